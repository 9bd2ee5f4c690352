/* kpi-cohort.c - cohort retention of customers, logo and revenue, the LTV
 * curve, and net and gross revenue retention.  Options in, libkpi's cohort
 * engine, CSV out. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/cli.h"
#include "kpi/cohort.h"
#include "kpi/prop.h"

static const char prog[] = "kpi-cohort";

#define usage_error(...) kpi_cli_usage_error(stderr, prog, __VA_ARGS__)

enum {
	OPT_ID = KPI_OPT_TOOL,
	OPT_COHORT_COL,
	OPT_MODE,
	OPT_WIDE,
	OPT_MEASURE,
	OPT_SUMMARY,
	OPT_CI,
	OPT_LEVEL,
	OPT_NRR,
	OPT_NRR_LAG,
	OPT_NRR_REACTIVATED,
};

static const struct option longopts[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "time", required_argument, NULL, 't' },
	{ "value", required_argument, NULL, 'v' },
	{ "every", required_argument, NULL, 'e' },
	{ "cohort-col", required_argument, NULL, OPT_COHORT_COL },
	{ "group", required_argument, NULL, 'g' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "wide", no_argument, NULL, OPT_WIDE },
	{ "measure", required_argument, NULL, OPT_MEASURE },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "ci", required_argument, NULL, OPT_CI },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "nrr", no_argument, NULL, OPT_NRR },
	{ "nrr-lag", required_argument, NULL, OPT_NRR_LAG },
	{ "nrr-include-reactivated", no_argument, NULL, OPT_NRR_REACTIVATED },
	KPI_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: %s --id COL -t COL [OPTION]... [FILE]...\n"
		"Cohort retention of customers: logo and revenue retention by age, the LTV\n"
		"curve, and net and gross revenue retention.\n"
		"With no FILE, or when FILE is -, read standard input.\n"
		"\n"
		"Input (one row per event or transaction, any order):\n"
		"      --id COL            the customer\n"
		"  -t, --time COL          the event's date\n"
		"  -v, --value COL         the amount, for revenue, revenue retention and LTV\n"
		"  -e, --every UNIT        week, month (default) or quarter (also day, year)\n"
		"      --cohort-col COL    cohort by this date (a signup date) instead of the\n"
		"                          customer's first event\n"
		"  -g, --group COLS        split cohorts by these columns (a customer's group\n"
		"                          is that of its first row)\n"
		"Cohort table:\n"
		"      --mode MODE         return-on (default: active in that period) or\n"
		"                          return-on-or-after (that period or any later one)\n"
		"      --ci METHOD         interval on retention: wilson (default), jeffreys,\n"
		"                          exact or none\n"
		"      --level P           interval coverage (default 0.95)\n"
		"      --summary           add the size-weighted average of each age\n"
		"      --wide              one row per cohort, one column per age\n"
		"      --measure NAME      with --wide: retention (or logo, the default),\n"
		"                          active, revenue, revenue_retention, ltv,\n"
		"                          retention_lo, retention_hi\n"
		"Revenue retention per period instead of the cohort table:\n"
		"      --nrr               net and gross revenue retention (needs -v)\n"
		"      --nrr-lag N         compare each period with N periods before (default 1)\n"
		"      --nrr-include-reactivated\n"
		"                          count returning customers' revenue in NRR\n"
		"%s"
		"\n"
		"Example: %s --id customer_id -t date -v amount --summary orders.csv\n"
		"Full documentation: man kpi-cohort; the CSV contract: man 7 kpi\n",
		prog, kpi_cli_common_help, prog);
}

struct run {
	struct kpi_cohort *cohort;
	struct kpi_cohort_report report;
	int nrr;
	struct kpi_cli_reader *reader;
};

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_cohort_header(r->cohort, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	/* Rows remember their input, so that a date found too far out after
	 * the read is reported at its file and line. */
	kpi_cohort_input(r->cohort, r->reader->file);
	return kpi_cohort_add(r->cohort, rec, err);
}

/* The second pass over the events, before the output is opened. */
static enum kpi_status
finish(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	struct run *r = ctx;
	enum kpi_status st = kpi_cohort_finish(r->cohort, err);

	if (st != KPI_OK && err->line)
		r->reader->error_file = kpi_cohort_error_input(r->cohort);
	return st;
}

static enum kpi_status
write_result(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	struct run *r = ctx;

	if (r->nrr)
		return kpi_cohort_write_nrr(r->cohort, &r->report, w, err);
	return kpi_cohort_write(r->cohort, &r->report, w, err);
}

int
main(int argc, char **argv)
{
	struct kpi_cli_common common;
	struct kpi_cohort_options opt = { 0 };
	struct kpi_cli_reader reader = { 0 };
	struct kpi_error err;
	struct kpi_date_format *fmt = NULL;
	struct run run = { 0 };
	struct kpi_cohort_report *rep = &run.report;
	const char **groups = NULL;
	const char *every_text = NULL, *measure_text = NULL, *mode_text = NULL;
	const char *ci_text = NULL, *level_text = NULL, *lag_text = NULL;
	size_t ngroups = 0, i;
	int c, shared, status = KPI_EXIT_USAGE;

	kpi_init();
	/* A reader that went away shows up as EPIPE, which ends the run
	 * quietly, instead of killing the process. */
	signal(SIGPIPE, SIG_IGN);
	kpi_cli_common_init(&common);
	kpi_error_clear(&err);
	rep->mode = KPI_COHORT_RETURN_ON;
	rep->ci = KPI_CI_WILSON;
	rep->level = 0.95;
	rep->measure = KPI_COHORT_RETENTION;
	opt.every = KPI_PERIOD_MONTH;

	while ((c = getopt_long(argc, argv, "t:v:e:g:" KPI_CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		enum kpi_status st = KPI_OK;

		switch (c) {
		case OPT_ID:		opt.id_col = optarg; break;
		case 't':		opt.time_col = optarg; break;
		case 'v':		opt.value_col = optarg; break;
		case 'e':		every_text = optarg; break;
		case OPT_COHORT_COL:	opt.cohort_col = optarg; break;
		case OPT_MODE:		mode_text = optarg; break;
		case OPT_WIDE:		rep->wide = 1; break;
		case OPT_MEASURE:	measure_text = optarg; break;
		case OPT_SUMMARY:	rep->summary = 1; break;
		case OPT_CI:		ci_text = optarg; break;
		case OPT_LEVEL:		level_text = optarg; break;
		case OPT_NRR:		run.nrr = 1; break;
		case OPT_NRR_LAG:	lag_text = optarg; break;
		case OPT_NRR_REACTIVATED: rep->include_reactivated = 1; break;
		case 'g':
			st = kpi_cli_split_list(optarg, &groups, &ngroups, &err);
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
			status = c == 'g' ? usage_error("-g: %s", err.msg)
					  : usage_error("%s", err.msg);
			goto out;
		}
	}

	/* ==== Check the options ==== */
	if (!opt.id_col || !opt.time_col) {
		status = usage_error("--id COL and -t COL are needed: the customer and the event's date");
		goto out;
	}
	if (every_text && kpi_period_unit_parse(every_text, &opt.every, &err)) {
		status = usage_error("--every: %s", err.msg);
		goto out;
	}
	if (mode_text && kpi_cohort_mode_parse(mode_text, &rep->mode, &err)) {
		status = usage_error("--mode: %s", err.msg);
		goto out;
	}
	if (measure_text &&
	    kpi_cohort_measure_parse(measure_text, &rep->measure, &err)) {
		status = usage_error("--measure: %s", err.msg);
		goto out;
	}
	if (ci_text && kpi_ci_method_parse(ci_text, &rep->ci, &err)) {
		status = usage_error("--ci: %s", err.msg);
		goto out;
	}
	if (level_text && (kpi_num_parse(level_text, 0, &rep->level, NULL) ||
			   !(rep->level > 0 && rep->level < 1))) {
		status = usage_error("--level: \"%s\" is not a coverage between 0 and 1 (e.g. 0.95)",
				     level_text);
		goto out;
	}
	if (measure_text && !rep->wide) {
		status = usage_error("--measure chooses what --wide shows; give --wide too");
		goto out;
	}
	if (rep->wide && kpi_cohort_measure_needs_value(rep->measure) &&
	    !opt.value_col) {
		status = usage_error("--measure %s needs -v COL, the amount",
				     kpi_cohort_measure_name(rep->measure));
		goto out;
	}
	if ((lag_text || rep->include_reactivated) && !run.nrr) {
		status = usage_error("--nrr-lag and --nrr-include-reactivated go with --nrr");
		goto out;
	}
	if (run.nrr) {
		long lag = 1;

		if (!opt.value_col) {
			status = usage_error("--nrr needs -v COL, the amount");
			goto out;
		}
		if (rep->wide || rep->summary || mode_text || measure_text ||
		    ci_text || level_text) {
			status = usage_error("--nrr writes its own table: --wide, --summary, --mode, --measure, --ci and --level do not apply");
			goto out;
		}
		if (lag_text &&
		    kpi_cli_parse_int(lag_text, 1, 1000, &lag, &err) != KPI_OK) {
			status = usage_error("--nrr-lag: %s", err.msg);
			goto out;
		}
		opt.nrr_lag = lag;
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
	for (i = 0; i < ngroups; i++)
		if (strcmp(groups[i], opt.id_col) == 0) {
			status = usage_error("-g %s: the customer id cannot be a group",
					     groups[i]);
			goto out;
		}
	opt.group_cols = groups;
	opt.ngroup = ngroups;
	opt.tmpdir = getenv("TMPDIR");
	opt.common = &common;
	opt.date_format = fmt;
	rep->precision = common.precision;
	rep->period_label = common.period_label;

	/* ==== Run ==== */
	if (kpi_cohort_new(&run.cohort, &opt, &err) != KPI_OK) {
		status = usage_error("%s", err.msg);
		goto out;
	}
	reader.common = &common;
	reader.on_header = on_header;
	reader.on_row = on_row;
	reader.ctx = &run;
	run.reader = &reader;
	status = kpi_cli_run(stderr, prog, &reader, argv + optind,
			     (size_t)(argc - optind), finish, write_result, &run);
out:
	kpi_cohort_free(run.cohort);
	kpi_date_format_free(fmt);
	kpi_cli_common_free(&common);
	free(groups);
	return kpi_cli_close_stdout(stderr, prog, status);
}
