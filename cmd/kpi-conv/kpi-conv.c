/* kpi-conv.c - funnel conversion, stage transitions, win rates and cycle
 * times from deal exports.  Options in, libkpi's funnel model, CSV out. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/cli.h"
#include "kpi/funnel.h"
#include "kpi/prop.h"

static const char prog[] = "kpi-conv";

#define usage_error(...) kpi_cli_usage_error(stderr, prog, __VA_ARGS__)

enum {
	OPT_ID = KPI_OPT_TOOL,
	OPT_STAGE,
	OPT_TIME,
	OPT_STAGE_COLUMNS,
	OPT_CREATED,
	OPT_CLOSED,
	OPT_STATUS,
	OPT_WON_STATUS,
	OPT_LOST_STATUS,
	OPT_OPEN_STATUS,
	OPT_STAGES,
	OPT_LOST,
	OPT_AMOUNT,
	OPT_SKIPS,
	OPT_WINDOW,
	OPT_CI,
	OPT_LEVEL,
	OPT_MIN_N,
	OPT_WITHIN,
	OPT_STALE_AFTER,
	OPT_QUALIFIED,
};

static const struct option longopts[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "stage", required_argument, NULL, OPT_STAGE },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "stage-columns", required_argument, NULL, OPT_STAGE_COLUMNS },
	{ "created", required_argument, NULL, OPT_CREATED },
	{ "closed", required_argument, NULL, OPT_CLOSED },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "won-status", required_argument, NULL, OPT_WON_STATUS },
	{ "lost-status", required_argument, NULL, OPT_LOST_STATUS },
	{ "open-status", required_argument, NULL, OPT_OPEN_STATUS },
	{ "stages", required_argument, NULL, OPT_STAGES },
	{ "lost", required_argument, NULL, OPT_LOST },
	{ "amount", required_argument, NULL, OPT_AMOUNT },
	{ "group", required_argument, NULL, 'g' },
	{ "skips", required_argument, NULL, OPT_SKIPS },
	{ "report", required_argument, NULL, 'r' },
	{ "every", required_argument, NULL, 'e' },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "ci", required_argument, NULL, OPT_CI },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "min-n", required_argument, NULL, OPT_MIN_N },
	{ "within", required_argument, NULL, OPT_WITHIN },
	{ "stale-after", required_argument, NULL, OPT_STALE_AFTER },
	{ "qualified", required_argument, NULL, OPT_QUALIFIED },
	KPI_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

enum report { REPORT_FUNNEL, REPORT_TRANSITIONS, REPORT_WINRATE,
	      REPORT_VELOCITY, REPORT_STAGE_WIN, REPORT_COMPARE };

static const char *const report_names[] = {
	"funnel", "transitions", "winrate", "velocity", "stage-win", "compare",
};

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: %s [OPTION]... [FILE]...\n"
		"Funnel conversion, stage transitions and win rates of deals, with intervals.\n"
		"With no FILE, or when FILE is -, read standard input.\n"
		"\n"
		"Input, one of three shapes:\n"
		"      --id COL --stage COL --time COL\n"
		"                          stage history: one row per stage entry\n"
		"      --stage-columns COLS\n"
		"                          wide: one date column per stage, in funnel order\n"
		"      --stage COL --created COL [--closed COL] [--id COL]\n"
		"                          outcome: one row per deal with its current stage\n"
		"      --status COL        outcome: the deal's status; its stage is then the\n"
		"                          last one reached, where a lost deal was lost\n"
		"      --won-status LIST, --lost-status LIST, --open-status LIST\n"
		"                          status values (default won, lost, open; exact match)\n"
		"      --stages LIST       the funnel in order, the last stage being the win\n"
		"      --lost LIST         lost outcomes (wide input: their date columns)\n"
		"      --amount COL        deal amount\n"
		"  -g, --group COLS        report per group of these columns\n"
		"      --skips MODE        pass (default: a later stage implies the earlier\n"
		"                          ones) or strict (only real entries count)\n"
		"Reports:\n"
		"  -r, --report NAME       funnel (default), transitions, winrate, velocity,\n"
		"                          stage-win, compare\n"
		"  -e, --every UNIT        cohorts by the period deals entered the first stage\n"
		"      --window DAYS       count a conversion only within DAYS of the entry\n"
		"      --ci METHOD         wilson (default), jeffreys, exact or none\n"
		"      --level P           interval coverage (default 0.95)\n"
		"      --min-n N           leave rates with fewer than N deals empty\n"
		"      --within DAYS       winrate: P(won within DAYS), a comma list\n"
		"      --stale-after DAYS  winrate: open deals older than DAYS count as lost\n"
		"      --qualified STAGE   velocity: open deals at or past STAGE count\n"
		"                          (default: the second stage)\n"
		"%s"
		"\n"
		"Example: %s --id deal --stage stage --time entered \\\n"
		"           --stages lead,qualified,proposal,won --lost lost history.csv\n"
		"Full documentation: man kpi-conv; the CSV contract: man 7 kpi\n",
		prog, kpi_cli_common_help, prog);
}

struct run {
	struct kpi_funnel *funnel;
	struct kpi_funnel_report_options report_opt;
	enum report report;
	int has_as_of;
};

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_funnel_header(r->funnel, h, err);
}

static enum kpi_status
on_rows(const struct kpi_csv_record *recs, size_t n, size_t *done, void *ctx,
	struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_funnel_add_rows(r->funnel, recs, n, done, err);
}

/* Without --as-of, the latest date in the input is "now". */
static enum kpi_status
settle_as_of(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	struct run *r = ctx;

	if (r->has_as_of)
		return KPI_OK;
	return kpi_funnel_last_date(r->funnel, &r->report_opt.as_of, err);
}

static enum kpi_status
write_report(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	struct run *r = ctx;

	switch (r->report) {
	case REPORT_FUNNEL:
		return kpi_funnel_write_funnel(r->funnel, &r->report_opt, w, err);
	case REPORT_TRANSITIONS:
		return kpi_funnel_write_transitions(r->funnel, &r->report_opt, w,
						    err);
	case REPORT_WINRATE:
		return kpi_funnel_write_winrate(r->funnel, &r->report_opt, w, err);
	case REPORT_VELOCITY:
		return kpi_funnel_write_velocity(r->funnel, &r->report_opt, w,
						 err);
	case REPORT_STAGE_WIN:
		return kpi_funnel_write_stage_win(r->funnel, &r->report_opt, w,
						  err);
	case REPORT_COMPARE:
		return kpi_funnel_write_compare(r->funnel, &r->report_opt, w, err);
	}
	return KPI_EINVAL;
}

static int
parse_report(const char *s, enum report *out)
{
	size_t i;

	for (i = 0; i < sizeof(report_names) / sizeof(report_names[0]); i++)
		if (strcmp(s, report_names[i]) == 0) {
			*out = (enum report)i;
			return 0;
		}
	return -1;
}

int
main(int argc, char **argv)
{
	struct kpi_cli_common common;
	struct kpi_funnel_options opt = { 0 };
	struct kpi_cli_reader reader = { 0 };
	struct kpi_error err;
	struct kpi_date_format *fmt = NULL;
	struct run run = { 0 };
	struct kpi_funnel_report_options *ro = &run.report_opt;
	const char **groups = NULL, **stages = NULL, **lost = NULL;
	const char **stage_cols = NULL, **within_text = NULL;
	const char **won_status = NULL, **lost_status = NULL;
	const char **open_status = NULL;
	const char *every_text = NULL, *skips = NULL, *qualified = NULL;
	size_t ngroups = 0, nstages = 0, nlost = 0, nstage_cols = 0, nwithin = 0;
	long *within = NULL, v;
	enum kpi_ci_method ci = KPI_CI_WILSON;
	int c, shared, status = KPI_EXIT_USAGE;
	size_t i;

	kpi_init();
	signal(SIGPIPE, SIG_IGN);
	kpi_cli_common_init(&common);
	kpi_error_clear(&err);
	ro->window = -1;
	ro->stale_after = -1;
	ro->level = 0.95;

	while ((c = getopt_long(argc, argv, "g:r:e:" KPI_CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		enum kpi_status st = KPI_OK;

		switch (c) {
		case OPT_ID:		opt.id_col = optarg; break;
		case OPT_STAGE:		opt.stage_col = optarg; break;
		case OPT_TIME:		opt.time_col = optarg; break;
		case OPT_CREATED:	opt.created_col = optarg; break;
		case OPT_CLOSED:	opt.closed_col = optarg; break;
		case OPT_STATUS:	opt.status_col = optarg; break;
		case OPT_AMOUNT:	opt.amount_col = optarg; break;
		case OPT_SKIPS:		skips = optarg; break;
		case OPT_QUALIFIED:	qualified = optarg; break;
		case 'e':		every_text = optarg; break;
		case 'g':
			st = kpi_cli_split_list(optarg, &groups, &ngroups, &err);
			break;
		case OPT_STAGES:
			st = kpi_cli_split_list(optarg, &stages, &nstages, &err);
			break;
		case OPT_LOST:
			st = kpi_cli_split_list(optarg, &lost, &nlost, &err);
			break;
		case OPT_WON_STATUS:
			st = kpi_cli_split_list(optarg, &won_status,
						&opt.nwon_status, &err);
			break;
		case OPT_LOST_STATUS:
			st = kpi_cli_split_list(optarg, &lost_status,
						&opt.nlost_status, &err);
			break;
		case OPT_OPEN_STATUS:
			st = kpi_cli_split_list(optarg, &open_status,
						&opt.nopen_status, &err);
			break;
		case OPT_STAGE_COLUMNS:
			st = kpi_cli_split_list(optarg, &stage_cols, &nstage_cols,
						&err);
			break;
		case OPT_WITHIN:
			st = kpi_cli_split_list(optarg, &within_text, &nwithin,
						&err);
			break;
		case 'r':
			if (parse_report(optarg, &run.report) != 0)
				st = kpi_error_set(&err, KPI_EINVAL, 0,
						   "\"%s\" is not a report (expected funnel, transitions, winrate, velocity, stage-win or compare)",
						   optarg);
			break;
		case OPT_WINDOW:
			st = kpi_cli_parse_int(optarg, 0, 100000, &ro->window, &err);
			break;
		case OPT_STALE_AFTER:
			st = kpi_cli_parse_int(optarg, 0, 100000, &ro->stale_after,
					       &err);
			break;
		case OPT_MIN_N:
			st = kpi_cli_parse_int(optarg, 0, 1000000000, &v, &err);
			ro->min_n = (unsigned long)v;
			break;
		case OPT_CI:
			st = kpi_ci_method_parse(optarg, &ci, &err);
			break;
		case OPT_LEVEL: {
			double level;

			if (kpi_num_parse(optarg, 0, &level, NULL) != KPI_OK ||
			    !(level > 0 && level < 1))
				st = kpi_error_set(&err, KPI_EINVAL, 0,
						   "\"%s\" is not a coverage between 0 and 1 (e.g. 0.95)",
						   optarg);
			ro->level = level;
			break;
		}
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
	if (nstage_cols) {
		opt.shape = KPI_FUNNEL_WIDE;
		opt.stage_cols = stage_cols;
		if (!nstages) {
			stages = realloc(stages, nstage_cols * sizeof(*stages));
			if (!stages)
				goto out;
			memcpy(stages, stage_cols, nstage_cols * sizeof(*stages));
			nstages = nstage_cols;
		}
		if (nstages != nstage_cols) {
			status = usage_error("--stages names %zu stages but --stage-columns %zu columns",
					     nstages, nstage_cols);
			goto out;
		}
	} else if (opt.time_col) {
		opt.shape = KPI_FUNNEL_HISTORY;
		if (!opt.id_col || !opt.stage_col) {
			status = usage_error("a stage history needs --id, --stage and --time");
			goto out;
		}
	} else if (opt.created_col) {
		opt.shape = KPI_FUNNEL_OUTCOME;
		if (!opt.stage_col) {
			status = usage_error("deal outcomes need --stage and --created");
			goto out;
		}
	} else {
		status = usage_error("say how deals are given: --time (stage history), --stage-columns (wide) or --created (outcomes)");
		goto out;
	}
	if (opt.status_col && opt.shape != KPI_FUNNEL_OUTCOME) {
		status = usage_error("--status goes with deal outcomes (--stage, --created), not with a stage history or wide input");
		goto out;
	}
	if (!opt.status_col &&
	    (opt.nwon_status || opt.nlost_status || opt.nopen_status)) {
		status = usage_error("--won-status, --lost-status and --open-status need --status");
		goto out;
	}
	if (!nstages) {
		status = usage_error("--stages is needed: the funnel's stages in order, the last being the win");
		goto out;
	}
	if (skips && strcmp(skips, "strict") != 0 && strcmp(skips, "pass") != 0) {
		status = usage_error("--skips: \"%s\" is not pass or strict", skips);
		goto out;
	}
	if (run.report == REPORT_TRANSITIONS && opt.shape != KPI_FUNNEL_HISTORY) {
		status = usage_error("the transitions report needs a stage history (--id, --stage, --time)");
		goto out;
	}
	ro->qualified = nstages > 2 ? 1 : 0;
	if (qualified) {
		for (i = 0; i < nstages && strcmp(stages[i], qualified) != 0; i++)
			;
		if (i == nstages) {
			status = usage_error("--qualified: \"%s\" is not one of the --stages",
					     qualified);
			goto out;
		}
		ro->qualified = i;
	}
	if (every_text) {
		if (kpi_period_unit_parse(every_text, &ro->every, &err) != KPI_OK) {
			status = usage_error("--every: %s", err.msg);
			goto out;
		}
		ro->has_every = 1;
	}
	if (nwithin) {
		within = calloc(nwithin, sizeof(*within));
		if (!within)
			goto out;
		for (i = 0; i < nwithin; i++)
			if (kpi_cli_parse_int(within_text[i], 0, 100000, &within[i],
					      &err) != KPI_OK) {
				status = usage_error("--within: %s", err.msg);
				goto out;
			}
	}
	if (common.date_format_text &&
	    kpi_date_format_new(&fmt, common.date_format_text, &err) != KPI_OK) {
		status = usage_error("--date-format: %s", err.msg);
		goto out;
	}
	if (common.as_of_text) {
		if (kpi_cli_parse_date(&common, fmt, common.as_of_text, &ro->as_of,
				       &err) != KPI_OK) {
			status = usage_error("--as-of: %s", err.msg);
			goto out;
		}
		run.has_as_of = 1;
	}
	opt.group_cols = groups;
	opt.ngroup = ngroups;
	opt.stages = stages;
	opt.nstages = nstages;
	opt.lost = lost;
	opt.nlost = nlost;
	opt.won_status = won_status;
	opt.lost_status = lost_status;
	opt.open_status = open_status;
	opt.strict_skips = skips && strcmp(skips, "strict") == 0;
	opt.keep_history = run.report == REPORT_TRANSITIONS;
	opt.common = &common;
	opt.date_format = fmt;
	ro->ci = ci;
	ro->within = within;
	ro->nwithin = nwithin;
	ro->precision = common.precision;
	ro->period_label = common.period_label;
	ro->cal = &common.cal;

	/* ==== Run ==== */
	if (kpi_funnel_new(&run.funnel, &opt, &err) != KPI_OK) {
		status = usage_error("%s", err.msg);
		goto out;
	}
	reader.common = &common;
	reader.on_header = on_header;
	reader.on_rows = on_rows;
	reader.ctx = &run;
	status = kpi_cli_run(stderr, prog, &reader, argv + optind,
			     (size_t)(argc - optind), settle_as_of, write_report,
			     &run);
out:
	kpi_funnel_free(run.funnel);
	kpi_date_format_free(fmt);
	kpi_cli_common_free(&common);
	free(groups);
	free(stages);
	free(lost);
	free(won_status);
	free(lost_status);
	free(open_status);
	free(stage_cols);
	free(within_text);
	free(within);
	return kpi_cli_close_stdout(stderr, prog, status);
}
