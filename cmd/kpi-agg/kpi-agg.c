/* kpi-agg.c - group rows and roll them up by period: the workhorse of every
 * weekly report.  Options in, libkpi's aggregation, CSV out. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/agg.h"
#include "kpi/cli.h"

static const char prog[] = "kpi-agg";

enum {
	OPT_FILL = KPI_OPT_TOOL,
	OPT_FROM,
	OPT_TO,
	OPT_QUANTILE_TYPE,
};

static const struct option longopts[] = {
	{ "group", required_argument, NULL, 'g' },
	{ "time", required_argument, NULL, 't' },
	{ "every", required_argument, NULL, 'e' },
	{ "aggregate", required_argument, NULL, 'a' },
	{ "fill", no_argument, NULL, OPT_FILL },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "quantile-type", required_argument, NULL, OPT_QUANTILE_TYPE },
	KPI_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: %s [OPTION]... [FILE]...\n"
		"Group CSV rows by columns and by period of a date column, and aggregate.\n"
		"With no FILE, or when FILE is -, read standard input.\n"
		"\n"
		"  -g, --group COLS        group by these comma-separated columns\n"
		"  -t, --time COL          also group by the period of this date column\n"
		"  -e, --every UNIT        day, week, month (default), quarter or year\n"
		"  -a, --aggregate LIST    aggregates (default count): count, count:COL, sum:COL,\n"
		"                          mean, min, max, range, var, sd, varp, sdp, median,\n"
		"                          pNN (p90, p99.5), distinct, first, last, missing\n"
		"      --fill              write every period, empty ones with count 0 and sum 0\n"
		"      --from DATE         start at this date's period; ignore earlier rows\n"
		"      --to DATE           end at this date's period; ignore later rows\n"
		"      --quantile-type N   R's quantile definition 1-9 (default 7)\n"
		"%s"
		"\n"
		"Example: %s -g region -t close_date --every week -a count,sum:amount deals.csv\n"
		"Full documentation: man kpi-agg; the CSV contract: man 7 kpi\n",
		prog, kpi_cli_common_help, prog);
}

#define usage_error(...) kpi_cli_usage_error(stderr, prog, __VA_ARGS__)

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	return kpi_agg_header(ctx, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	return kpi_agg_add(ctx, rec, err);
}

static enum kpi_status
write_result(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	return kpi_agg_write(ctx, w, err);
}

static int
parse_date_option(const char *name, const char *text,
		  const struct kpi_cli_common *common,
		  const struct kpi_date_format *fmt, long *day)
{
	struct kpi_error err;

	if (kpi_cli_parse_date(common, fmt, text, day, &err) == KPI_OK)
		return 0;
	fprintf(stderr, "%s: --%s: %s\n", prog, name, err.msg);
	return -1;
}

int
main(int argc, char **argv)
{
	struct kpi_cli_common common;
	struct kpi_agg_options opt = { 0 };
	struct kpi_cli_reader reader = { 0 };
	struct kpi_error err;
	struct kpi_agg *agg = NULL;
	struct kpi_agg_spec *specs = NULL;
	struct kpi_date_format *fmt = NULL;
	const char **groups = NULL;
	const char *agg_list = "count", *from_text = NULL, *to_text = NULL;
	const char *every_text = NULL;
	size_t nspecs = 0, ngroups = 0;
	int c, shared, status = KPI_EXIT_USAGE;
	long v;

	kpi_init();
	/* A closed downstream pipe is reported by write errors (EPIPE), which
	 * end the run quietly, instead of killing the process. */
	signal(SIGPIPE, SIG_IGN);
	kpi_cli_common_init(&common);
	kpi_error_clear(&err);
	opt.quantile_type = 7;

	while ((c = getopt_long(argc, argv, "g:t:e:a:" KPI_CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (kpi_cli_split_list(optarg, &groups, &ngroups, &err)) {
				status = usage_error("-g: %s", err.msg);
				goto out;
			}
			break;
		case 't':
			opt.time_col = optarg;
			break;
		case 'e':
			every_text = optarg;
			break;
		case 'a':
			agg_list = optarg;
			break;
		case OPT_FILL:
			opt.fill = 1;
			break;
		case OPT_FROM:
			from_text = optarg;
			break;
		case OPT_TO:
			to_text = optarg;
			break;
		case OPT_QUANTILE_TYPE:
			if (kpi_cli_parse_int(optarg, 1, 9, &v, &err) != KPI_OK) {
				status = usage_error("--quantile-type: %s", err.msg);
				goto out;
			}
			opt.quantile_type = (int)v;
			break;
		default:
			shared = kpi_cli_shared_option(stderr, prog, c, optarg,
						       &common, longopts, usage);
			if (shared != KPI_CLI_GO_ON) {
				status = shared;
				goto out;
			}
			break;
		}
	}

	/* ==== Check the options ==== */
	if (kpi_agg_spec_parse(agg_list, &specs, &nspecs, &err) != KPI_OK) {
		status = usage_error("-a: %s", err.msg);
		goto out;
	}
	opt.every = KPI_PERIOD_MONTH;
	if (every_text && kpi_period_unit_parse(every_text, &opt.every, &err)) {
		status = usage_error("--every: %s", err.msg);
		goto out;
	}
	if (!opt.time_col && (every_text || opt.fill || from_text || to_text ||
			      common.as_of_text)) {
		status = usage_error("%s",
				     "--every, --fill, --from, --to and --as-of need -t COLUMN");
		goto out;
	}
	if (common.date_format_text &&
	    kpi_date_format_new(&fmt, common.date_format_text, &err)) {
		status = usage_error("--date-format: %s", err.msg);
		goto out;
	}
	if ((common.as_of_text &&
	     parse_date_option("as-of", common.as_of_text, &common, fmt, &opt.as_of)) ||
	    (from_text && parse_date_option("from", from_text, &common, fmt, &opt.from)) ||
	    (to_text && parse_date_option("to", to_text, &common, fmt, &opt.to)))
		goto out;
	opt.has_as_of = common.as_of_text != NULL;
	opt.has_from = from_text != NULL;
	opt.has_to = to_text != NULL;
	if (opt.has_from && opt.has_to && opt.from > opt.to) {
		status = usage_error("--from %s is after --to", from_text);
		goto out;
	}
	opt.group_cols = groups;
	opt.ngroup = ngroups;
	opt.specs = specs;
	opt.nspecs = nspecs;
	opt.common = &common;
	opt.date_format = fmt;

	/* ==== Run ==== */
	status = KPI_EXIT_DATA;
	if (kpi_agg_new(&agg, &opt, &err) != KPI_OK) {
		kpi_cli_report(stderr, prog, NULL, &err);
		goto out;
	}
	reader.common = &common;
	reader.on_header = on_header;
	reader.on_row = on_row;
	reader.ctx = agg;
	status = kpi_cli_run(stderr, prog, &reader, argv + optind,
			     (size_t)(argc - optind), NULL, write_result, agg);
out:
	kpi_agg_free(agg);
	kpi_agg_specs_free(specs, nspecs);
	kpi_date_format_free(fmt);
	kpi_cli_common_free(&common);
	free(groups);
	/* Late write errors on stdout (a full disk) must not look like
	 * success. */
	return kpi_cli_close_stdout(stderr, prog, status);
}
