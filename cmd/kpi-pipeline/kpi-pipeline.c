/* kpi-pipeline.c - the open pipeline: weighted pipeline, the distribution of
 * bookings per group and period, quota coverage, and the waterfall between
 * two snapshots.  Options in, libkpi's pipeline engine, CSV out. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/cli.h"
#include "kpi/num.h"
#include "kpi/pipeline.h"

static const char prog[] = "kpi-pipeline";

#define usage_error(...) kpi_cli_usage_error(stderr, prog, __VA_ARGS__)

enum {
	OPT_ID = KPI_OPT_TOOL,
	OPT_STAGE,
	OPT_AMOUNT,
	OPT_CLOSE_DATE,
	OPT_CREATED,
	OPT_PROB_COL,
	OPT_PROB_SCALE,
	OPT_CATEGORY_COL,
	OPT_STAGES,
	OPT_WON_STAGES,
	OPT_LOST_STAGES,
	OPT_PROBS,
	OPT_MIN_N,
	OPT_STALE_POLICY,
	OPT_WON,
	OPT_WON_DATE,
	OPT_WON_AMOUNT,
	OPT_QUOTA,
	OPT_QUANTILES,
	OPT_METHOD,
	OPT_TOLERANCE,
	OPT_GRID,
	OPT_DRAWS,
	OPT_SEED,
	OPT_DIFF,
	OPT_WEIGHTED,
};

static const struct option longopts[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "stage", required_argument, NULL, OPT_STAGE },
	{ "amount", required_argument, NULL, OPT_AMOUNT },
	{ "close-date", required_argument, NULL, OPT_CLOSE_DATE },
	{ "created", required_argument, NULL, OPT_CREATED },
	{ "group", required_argument, NULL, 'g' },
	{ "prob-col", required_argument, NULL, OPT_PROB_COL },
	{ "prob-scale", required_argument, NULL, OPT_PROB_SCALE },
	{ "category-col", required_argument, NULL, OPT_CATEGORY_COL },
	{ "stages", required_argument, NULL, OPT_STAGES },
	{ "won-stages", required_argument, NULL, OPT_WON_STAGES },
	{ "lost-stages", required_argument, NULL, OPT_LOST_STAGES },
	{ "probs", required_argument, NULL, OPT_PROBS },
	{ "min-n", required_argument, NULL, OPT_MIN_N },
	{ "every", required_argument, NULL, 'e' },
	{ "stale-policy", required_argument, NULL, OPT_STALE_POLICY },
	{ "won", required_argument, NULL, OPT_WON },
	{ "won-date", required_argument, NULL, OPT_WON_DATE },
	{ "won-amount", required_argument, NULL, OPT_WON_AMOUNT },
	{ "quota", required_argument, NULL, OPT_QUOTA },
	{ "quantiles", required_argument, NULL, OPT_QUANTILES },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "tolerance", required_argument, NULL, OPT_TOLERANCE },
	{ "grid", required_argument, NULL, OPT_GRID },
	{ "draws", required_argument, NULL, OPT_DRAWS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "threads", required_argument, NULL, 'j' },
	{ "diff", required_argument, NULL, OPT_DIFF },
	{ "weighted", no_argument, NULL, OPT_WEIGHTED },
	KPI_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: %s [OPTION]... [FILE]...\n"
		"  or:  %s --diff OLD [OPTION]... [NEW]\n"
		"The open pipeline per group and period of expected close: weighted pipeline,\n"
		"the probability distribution of bookings, quota coverage; or, with --diff,\n"
		"the waterfall of movements between two snapshots.\n"
		"With no FILE, or when FILE is -, read standard input.\n"
		"\n"
		"Deals:\n"
		"      --amount COL        deal amount (needed; >= 0)\n"
		"      --close-date COL    expected close date (needed)\n"
		"      --stage COL         stage (needed with --probs and --diff)\n"
		"      --id COL            deal id (needed with --diff; else catches repeats)\n"
		"      --created COL       creation date: later than --as-of is not there yet\n"
		"  -g, --group COLS        report per group of these columns\n"
		"      --category-col COL  forecast category: pipeline, best case, commit,\n"
		"                          closed (won), omitted (left out)\n"
		"      --won-stages LIST   stages that mean won (default Won,Closed Won)\n"
		"      --lost-stages LIST  stages that mean lost (default Lost,Closed Lost)\n"
		"      --stages LIST       stage order, for advanced and regressed\n"
		"Probabilities, one of:\n"
		"      --probs FILE        P(won) per stage from kpi-conv -r stage-win\n"
		"      --min-n N           a stage needs N closed deals in FILE (default 10)\n"
		"      --prob-col COL      the CRM's per-deal probability\n"
		"      --prob-scale S      100: COL is a percentage (default); 1: a fraction\n"
		"Report:\n"
		"  -e, --every UNIT        periods of expected close (default quarter)\n"
		"      --stale-policy P    deals due before --as-of: keep (default), drop,\n"
		"                          next-period or current\n"
		"      --won FILE          closed-won deals to date, added as certain\n"
		"      --won-date COL      their close date column (default: --close-date's)\n"
		"      --won-amount COL    their amount column (default: --amount's)\n"
		"      --quota FILE        quota per group and period: group columns,\n"
		"                          period, quota\n"
		"      --quantiles LIST    levels of the bookings quantiles (default\n"
		"                          0.1,0.5,0.9)\n"
		"Distribution:\n"
		"      --method M          auto (default), exact or monte-carlo\n"
		"      --tolerance X       exact: quantile error at most X sd (default 0.05)\n"
		"      --grid N            exact: at most N grid cells (default 2097152)\n"
		"      --draws N           Monte Carlo draws per row (default 10000)\n"
		"      --seed N            Monte Carlo seed (default 1)\n"
		"  -j, --threads N         spread the work over N threads (default 1)\n"
		"Waterfall:\n"
		"      --diff OLD          compare snapshot OLD with the input, the new one\n"
		"      --weighted          measure amount x probability, not amount\n"
		"%s"
		"\n"
		"Example: kpi-conv ... -r stage-win history.csv > probs.csv\n"
		"         %s --probs probs.csv --stage stage --amount amount \\\n"
		"           --close-date close --as-of 2026-11-23 -g rep open-deals.csv\n"
		"Full documentation: man kpi-pipeline; the CSV contract: man 7 kpi\n",
		prog, prog, kpi_cli_common_help, prog);
}

/* ==== Reading the side inputs ==== */

struct side {
	struct kpi_pipeline *p;
	enum kpi_status (*header)(struct kpi_pipeline *,
				  const struct kpi_csv_header *,
				  struct kpi_error *);
	enum kpi_status (*row)(struct kpi_pipeline *,
			       const struct kpi_csv_record *,
			       struct kpi_error *);
};

static enum kpi_status
side_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct side *s = ctx;

	return s->header(s->p, h, err);
}

static enum kpi_status
side_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct side *s = ctx;

	return s->row(s->p, rec, err);
}

/* Read a side input in full; its bad rows are errors even with
 * --skip-bad, which is about the deals.  A kpi tool's output (--probs) is
 * always comma-separated; the others are exports like the deals and use
 * -d.  0 on success. */
static int
read_side(const struct kpi_cli_common *common, const char *option,
	  char *name, int kpi_output, struct side *s)
{
	struct kpi_cli_common strict = *common;
	struct kpi_cli_reader r = { 0 };
	struct kpi_error err;
	char *names[1] = { name };
	enum kpi_status st;

	strict.skip_bad = 0;
	strict.rejects = NULL;
	if (kpi_output)
		strict.delimiter = ',';
	kpi_error_clear(&err);
	r.common = &strict;
	r.on_header = side_header;
	r.on_row = side_row;
	r.ctx = s;
	st = kpi_cli_read_inputs(&r, names, 1, &err);
	if (st == KPI_OK && !r.header)
		st = kpi_error_set(&err, KPI_EPARSE, 0, "%s: empty input", option);
	if (st != KPI_OK) {
		kpi_cli_report(stderr, prog, r.file ? r.file : name, &err);
		kpi_cli_reader_finish(&r, 0, &err);
		return -1;
	}
	kpi_cli_reader_finish(&r, 1, &err);
	return 0;
}

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	return kpi_pipeline_header(ctx, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	return kpi_pipeline_add(ctx, rec, err);
}

static enum kpi_status
before_write(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	return kpi_pipeline_finish(ctx, err);
}

static enum kpi_status
write_report(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	return kpi_pipeline_write(ctx, w, err);
}

/* ==== Option values ==== */

/* "0.1,0.5,0.9" or "p10,p50,p90". */
static enum kpi_status
parse_levels(char *text, double **out, size_t *n, struct kpi_error *err)
{
	const char **items = NULL;
	size_t count = 0, i;
	double *v = NULL;
	enum kpi_status st;

	st = kpi_cli_split_list(text, &items, &count, err);
	if (st == KPI_OK) {
		v = calloc(count, sizeof(double));
		if (!v)
			st = kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	for (i = 0; st == KPI_OK && i < count; i++) {
		const char *s = items[i];
		double scale = 1;

		if (s[0] == 'p' || s[0] == 'P') {
			s++;
			scale = 100;
		}
		if (kpi_num_parse(s, 0, &v[i], NULL) != KPI_OK ||
		    !(v[i] / scale > 0 && v[i] / scale < 1))
			st = kpi_error_set(err, KPI_EINVAL, 0,
					   "\"%s\" is not a level between 0 and 1 (0.1) or a percentile (p10)",
					   items[i]);
		else
			v[i] /= scale;
		/* Two levels would give two columns of one name. */
		for (size_t k = 0; st == KPI_OK && k < i; k++)
			if (v[k] == v[i])
				st = kpi_error_set(err, KPI_EINVAL, 0,
						   "level \"%s\" is given twice", items[i]);
	}
	free(items);
	if (st != KPI_OK) {
		free(v);
		return st;
	}
	*out = v;
	*n = count;
	return KPI_OK;
}

static enum kpi_status
parse_positive(const char *s, double *out, struct kpi_error *err)
{
	if (kpi_num_parse(s, 0, out, NULL) != KPI_OK || !(*out > 0))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\" is not a number > 0", s);
	return KPI_OK;
}

static int
is_stdin(const char *name)
{
	return strcmp(name, "-") == 0;
}

int
main(int argc, char **argv)
{
	struct kpi_cli_common common;
	struct kpi_pipeline_options opt;
	struct kpi_cli_reader reader = { 0 };
	struct kpi_error err;
	struct kpi_date_format *fmt = NULL;
	struct kpi_pipeline *pl = NULL;
	static const char *const default_won[] = { "Won", "Closed Won" };
	static const char *const default_lost[] = { "Lost", "Closed Lost" };
	static const double default_levels[] = { 0.1, 0.5, 0.9 };
	const char **groups = NULL, **stages = NULL, **won_stages = NULL;
	const char **lost_stages = NULL;
	const char *every_text = NULL, *stale_text = NULL;
	char *probs = NULL, *won = NULL, *quota = NULL, *old = NULL;
	size_t ngroups = 0, nstages = 0, nwon = 0, nlost = 0, nlevels = 0;
	double *levels = NULL;
	int c, shared, status = KPI_EXIT_USAGE, stdin_uses;
	long v;
	size_t i;

	kpi_init();
	signal(SIGPIPE, SIG_IGN);
	kpi_cli_common_init(&common);
	kpi_error_clear(&err);
	memset(&opt, 0, sizeof(opt));
	kpi_bookings_options_init(&opt.bookings);
	opt.prob_scale = 100;
	opt.min_n = 10;
	opt.threads = 1;

	while ((c = getopt_long(argc, argv, "g:e:j:" KPI_CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		enum kpi_status st = KPI_OK;
		double x;

		switch (c) {
		case OPT_ID:		opt.id_col = optarg; break;
		case OPT_STAGE:		opt.stage_col = optarg; break;
		case OPT_AMOUNT:	opt.amount_col = optarg; break;
		case OPT_CLOSE_DATE:	opt.close_col = optarg; break;
		case OPT_CREATED:	opt.created_col = optarg; break;
		case OPT_PROB_COL:	opt.prob_col = optarg; break;
		case OPT_CATEGORY_COL:	opt.category_col = optarg; break;
		case OPT_WON_DATE:	opt.won_date_col = optarg; break;
		case OPT_WON_AMOUNT:	opt.won_amount_col = optarg; break;
		case OPT_PROBS:		probs = optarg; break;
		case OPT_WON:		won = optarg; break;
		case OPT_QUOTA:		quota = optarg; break;
		case OPT_DIFF:		old = optarg; opt.diff = 1; break;
		case OPT_WEIGHTED:	opt.weighted = 1; break;
		case 'e':		every_text = optarg; break;
		case OPT_STALE_POLICY:	stale_text = optarg; break;
		case 'g':
			st = kpi_cli_split_list(optarg, &groups, &ngroups, &err);
			break;
		case OPT_STAGES:
			st = kpi_cli_split_list(optarg, &stages, &nstages, &err);
			break;
		case OPT_WON_STAGES:
			st = kpi_cli_split_list(optarg, &won_stages, &nwon, &err);
			break;
		case OPT_LOST_STAGES:
			st = kpi_cli_split_list(optarg, &lost_stages, &nlost, &err);
			break;
		case OPT_PROB_SCALE:
			if (strcmp(optarg, "100") == 0)
				opt.prob_scale = 100;
			else if (strcmp(optarg, "1") == 0)
				opt.prob_scale = 1;
			else
				st = kpi_error_set(&err, KPI_EINVAL, 0,
						   "\"%s\" is not 100 (percent) or 1 (fraction)",
						   optarg);
			break;
		case OPT_MIN_N:
			st = kpi_cli_parse_int(optarg, 0, 1000000000, &v, &err);
			opt.min_n = (unsigned long)v;
			break;
		case OPT_QUANTILES:
			free(levels);
			levels = NULL;
			st = parse_levels(optarg, &levels, &nlevels, &err);
			break;
		case OPT_METHOD:
			st = kpi_bookings_method_parse(optarg, &opt.bookings.method,
						       &err);
			break;
		case OPT_TOLERANCE:
			st = parse_positive(optarg, &x, &err);
			opt.bookings.tolerance = x;
			break;
		case OPT_GRID:
			st = kpi_cli_parse_int(optarg, 16, 268435456, &v, &err);
			opt.bookings.grid_max = (size_t)v;
			break;
		case OPT_DRAWS:
			st = kpi_cli_parse_int(optarg, 1, 100000000, &v, &err);
			opt.bookings.draws = (unsigned long)v;
			break;
		case OPT_SEED: {
			long long s;

			if (kpi_num_parse_long(optarg, &s, NULL) != KPI_OK || s < 0)
				st = kpi_error_set(&err, KPI_EINVAL, 0,
						   "\"%s\" is not a whole number >= 0",
						   optarg);
			opt.bookings.seed = (uint64_t)s;
			break;
		}
		case 'j':
			st = kpi_cli_parse_int(optarg, 1, 64, &v, &err);
			opt.threads = (unsigned)v;
			break;
		default:
			shared = kpi_cli_shared_option(stderr, prog, c, optarg,
						       &common, longopts, usage);
			if (shared != KPI_CLI_GO_ON) {
				status = shared;
				goto out;
			}
			st = KPI_OK;
			break;
		}
		if (st != KPI_OK) {
			status = kpi_cli_option_error(stderr, prog, longopts, c,
						      &err);
			goto out;
		}
	}

	/* ==== Check the options ==== */
	if (!opt.amount_col || !opt.close_col) {
		status = usage_error("--amount and --close-date are needed");
		goto out;
	}
	if (probs && opt.prob_col) {
		status = usage_error("--probs and --prob-col exclude each other");
		goto out;
	}
	if (probs && !opt.stage_col) {
		status = usage_error("--probs needs --stage");
		goto out;
	}
	if (opt.diff) {
		if (!opt.id_col || !opt.stage_col) {
			status = usage_error("--diff needs --id and --stage");
			goto out;
		}
		if (!nstages && !probs) {
			status = usage_error("--diff needs the stage order: --stages LIST, or --probs FILE");
			goto out;
		}
		if (opt.weighted && !probs && !opt.prob_col) {
			status = usage_error("--weighted needs --probs or --prob-col");
			goto out;
		}
		if (quota) {
			status = usage_error("--quota does not apply to --diff");
			goto out;
		}
	} else {
		if (!probs && !opt.prob_col) {
			status = usage_error("give the win probabilities: --probs FILE (from kpi-conv -r stage-win) or --prob-col COL");
			goto out;
		}
		if (opt.weighted) {
			status = usage_error("--weighted applies to --diff only");
			goto out;
		}
		if (!common.as_of_text && !opt.created_col) {
			status = usage_error("give --as-of DATE (or --created COL, whose latest date is then the default): stale deals are those due before it");
			goto out;
		}
	}
	/* Only one input can be standard input. */
	stdin_uses = (optind == argc);
	for (i = (size_t)optind; i < (size_t)argc; i++)
		stdin_uses += is_stdin(argv[i]);
	stdin_uses += (probs && is_stdin(probs)) + (won && is_stdin(won)) +
		      (quota && is_stdin(quota)) + (old && is_stdin(old));
	if (stdin_uses > 1) {
		status = usage_error("standard input can be read once: name the deals file when --probs, --won, --quota or --diff is -");
		goto out;
	}
	opt.every = KPI_PERIOD_QUARTER;
	if (every_text && kpi_period_unit_parse(every_text, &opt.every, &err)) {
		status = usage_error("--every: %s", err.msg);
		goto out;
	}
	if (stale_text && kpi_stale_policy_parse(stale_text, &opt.stale, &err)) {
		status = usage_error("--stale-policy: %s", err.msg);
		goto out;
	}
	if (common.date_format_text &&
	    kpi_date_format_new(&fmt, common.date_format_text, &err) != KPI_OK) {
		status = usage_error("--date-format: %s", err.msg);
		goto out;
	}
	if (common.as_of_text) {
		if (kpi_cli_parse_date(&common, fmt, common.as_of_text, &opt.as_of,
				       &err) != KPI_OK) {
			status = usage_error("--as-of: %s", err.msg);
			goto out;
		}
		opt.has_as_of = 1;
	}
	opt.group_cols = groups;
	opt.ngroup = ngroups;
	opt.stages = stages;
	opt.nstages = nstages;
	opt.won_stages = nwon ? won_stages : default_won;
	opt.nwon_stages = nwon ? nwon : 2;
	opt.lost_stages = nlost ? lost_stages : default_lost;
	opt.nlost_stages = nlost ? nlost : 2;
	opt.levels = levels ? levels : default_levels;
	opt.nlevels = levels ? nlevels : 3;
	opt.common = &common;
	opt.date_format = fmt;

	/* ==== Run ==== */
	if (kpi_pipeline_new(&pl, &opt, &err) != KPI_OK) {
		status = usage_error("%s", err.msg);
		goto out;
	}
	status = KPI_EXIT_DATA;
	{
		struct side s_probs = { pl, kpi_pipeline_probs_header,
					kpi_pipeline_probs_add };
		struct side s_quota = { pl, kpi_pipeline_quota_header,
					kpi_pipeline_quota_add };
		struct side s_won = { pl, kpi_pipeline_won_header,
				      kpi_pipeline_won_add };
		struct side s_old = { pl, kpi_pipeline_old_header,
				      kpi_pipeline_old_add };

		if ((probs && read_side(&common, "--probs", probs, 1, &s_probs)) ||
		    (quota && read_side(&common, "--quota", quota, 0, &s_quota)) ||
		    (won && read_side(&common, "--won", won, 0, &s_won)) ||
		    (old && read_side(&common, "--diff", old, 0, &s_old)))
			goto out;
	}
	reader.common = &common;
	reader.on_header = on_header;
	reader.on_row = on_row;
	reader.ctx = pl;
	status = kpi_cli_run(stderr, prog, &reader, argv + optind,
			     (size_t)(argc - optind), before_write, write_report,
			     pl);
out:
	kpi_pipeline_free(pl);
	kpi_date_format_free(fmt);
	kpi_cli_common_free(&common);
	free(groups);
	free(stages);
	free(won_stages);
	free(lost_stages);
	free(levels);
	return kpi_cli_close_stdout(stderr, prog, status);
}
