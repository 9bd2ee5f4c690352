/* kpi-plot.c - draw the CSV of any kpi tool as one self-contained SVG: line,
 * bar, forecast fan, funnel, cohort heatmap, pipeline waterfall.  Options
 * in, libkpi's charts, SVG out. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/cli.h"
#include "kpi/plot.h"

static const char prog[] = "kpi-plot";

enum {
	OPT_TYPE = KPI_OPT_TOOL,
	OPT_TITLE,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_FITTED,
	OPT_PERCENT,
	OPT_NO_PERCENT,
	OPT_Y_MIN,
	OPT_Y_MAX,
	OPT_COLOR_RANGE,
};

static const struct option longopts[] = {
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "x", required_argument, NULL, 'x' },
	{ "y", required_argument, NULL, 'y' },
	{ "group", required_argument, NULL, 'g' },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "height", required_argument, NULL, OPT_HEIGHT },
	{ "fitted", no_argument, NULL, OPT_FITTED },
	{ "percent", no_argument, NULL, OPT_PERCENT },
	{ "no-percent", no_argument, NULL, OPT_NO_PERCENT },
	{ "y-min", required_argument, NULL, OPT_Y_MIN },
	{ "y-max", required_argument, NULL, OPT_Y_MAX },
	{ "color-range", required_argument, NULL, OPT_COLOR_RANGE },
	KPI_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: %s [OPTION]... [FILE]\n"
		"Draw the CSV output of a kpi tool as one self-contained SVG chart.\n"
		"With no FILE, or when FILE is -, read standard input.\n"
		"\n"
		"      --type TYPE         line, bar, fan, funnel, heatmap or waterfall\n"
		"                          (default: from the columns)\n"
		"  -x, --x COL             the x column (line, bar; default period, else\n"
		"                          the first column)\n"
		"  -y, --y COLS            the value columns, comma-separated (default: the\n"
		"                          last column; fan value, funnel cum_rate,\n"
		"                          heatmap retention)\n"
		"  -g, --group COLS        one panel per value of these columns (default:\n"
		"                          the key columns before x, period or cohort)\n"
		"      --title TEXT        the chart's title (default: from the columns)\n"
		"      --width PX          width in pixels (default 720)\n"
		"      --height PX         height in pixels (default 400)\n"
		"      --fitted            fan: also draw the fitted values (dashed)\n"
		"      --percent           write values as percentages (0.62 as 62%%)\n"
		"      --no-percent        write them as numbers (default: percentages\n"
		"                          when the columns are shares: rate, *_rate,\n"
		"                          retention, *_retention, share, *_share, p_*,\n"
		"                          nrr, grr)\n"
		"      --y-min V           fix the low end of the value axis (V a number\n"
		"                          or a percentage, 20%%); data below is cut, and\n"
		"                          the chart says so (default: from the data)\n"
		"      --y-max V           fix the high end likewise\n"
		"      --color-range LO,HI heatmap: fix the colour scale (default: 0 to\n"
		"                          the round number at or above the largest value)\n"
		"%s"
		"\n"
		"Example: kpi-agg -t close_date -a sum:amount deals.csv | %s -o bookings.svg\n"
		"Full documentation: man kpi-plot; the CSV contract: man 7 kpi\n",
		prog, kpi_cli_common_help, prog);
}

#define usage_error(...) kpi_cli_usage_error(stderr, prog, __VA_ARGS__)

/* --color-range LO,HI: two values, LO below HI. */
static enum kpi_status
parse_range(char *arg, double *lo, double *hi, struct kpi_error *err)
{
	char *comma = strchr(arg, ',');
	enum kpi_status st;

	if (!comma)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\": expected LO,HI such as 0,0.2 or 0,20%%",
				     arg);
	*comma = '\0';
	st = kpi_plot_value_parse(arg, lo, err);
	if (st == KPI_OK)
		st = kpi_plot_value_parse(comma + 1, hi, err);
	*comma = ',';
	if (st == KPI_OK && !(*lo < *hi))
		st = kpi_error_set(err, KPI_EINVAL, 0,
				   "\"%s\": LO must be below HI", arg);
	return st;
}

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	return kpi_plot_header(ctx, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	return kpi_plot_add(ctx, rec, err);
}

static enum kpi_status
write_chart(void *ctx, struct kpi_csv_writer *w, struct kpi_error *err)
{
	return kpi_plot_write(ctx, w->out, err);
}

int
main(int argc, char **argv)
{
	struct kpi_cli_common common;
	struct kpi_plot_options opt;
	struct kpi_cli_reader reader = { 0 };
	struct kpi_error err;
	struct kpi_plot *plot = NULL;
	struct kpi_date_format *fmt = NULL;
	const char **ys = NULL, **groups = NULL;
	size_t ny = 0, ngroups = 0;
	int c, shared, status = KPI_EXIT_USAGE;
	long v;
	enum kpi_status st;

	kpi_init();
	signal(SIGPIPE, SIG_IGN);
	kpi_cli_common_init(&common);
	kpi_error_clear(&err);
	memset(&opt, 0, sizeof(opt));
	opt.width = 720;
	opt.height = 400;

	while ((c = getopt_long(argc, argv, "x:y:g:" KPI_CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		st = KPI_OK;
		switch (c) {
		case OPT_TYPE:
			st = kpi_plot_type_parse(optarg, &opt.type, &err);
			break;
		case 'x':
			opt.x_col = optarg;
			break;
		case 'y':
			st = kpi_cli_split_list(optarg, &ys, &ny, &err);
			break;
		case 'g':
			st = kpi_cli_split_list(optarg, &groups, &ngroups, &err);
			opt.group_set = 1;
			break;
		case OPT_TITLE:
			opt.title = optarg;
			break;
		case OPT_WIDTH:
		case OPT_HEIGHT:
			st = kpi_cli_parse_int(optarg, 200, 10000, &v, &err);
			if (c == OPT_WIDTH)
				opt.width = (double)v;
			else
				opt.height = (double)v;
			break;
		case OPT_FITTED:
			opt.fitted = 1;
			break;
		case OPT_PERCENT:
		case OPT_NO_PERCENT:
			opt.percent = c == OPT_PERCENT ? KPI_PLOT_PERCENT_ON
						       : KPI_PLOT_PERCENT_OFF;
			break;
		case OPT_Y_MIN:
			st = kpi_plot_value_parse(optarg, &opt.y_min, &err);
			opt.has_y_min = 1;
			break;
		case OPT_Y_MAX:
			st = kpi_plot_value_parse(optarg, &opt.y_max, &err);
			opt.has_y_max = 1;
			break;
		case OPT_COLOR_RANGE:
			st = parse_range(optarg, &opt.color_lo, &opt.color_hi,
					 &err);
			opt.has_color_range = 1;
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
		if (st != KPI_OK) {
			status = kpi_cli_option_error(stderr, prog, longopts, c,
						      &err);
			goto out;
		}
	}
	if (opt.has_y_min && opt.has_y_max && opt.y_min >= opt.y_max) {
		status = usage_error("--y-min %g is not below --y-max %g",
				     opt.y_min, opt.y_max);
		goto out;
	}
	if (argc - optind > 1) {
		status = usage_error("one input at most: the output of one kpi tool");
		goto out;
	}
	if (common.date_format_text &&
	    kpi_date_format_new(&fmt, common.date_format_text, &err)) {
		status = usage_error("--date-format: %s", err.msg);
		goto out;
	}
	opt.y_cols = ys;
	opt.ny = ny;
	opt.group_cols = groups;
	opt.ngroup = ngroups;
	opt.common = &common;
	opt.date_format = fmt;

	status = KPI_EXIT_DATA;
	if (kpi_plot_new(&plot, &opt, &err) != KPI_OK) {
		kpi_cli_report(stderr, prog, NULL, &err);
		goto out;
	}
	reader.common = &common;
	reader.on_header = on_header;
	reader.on_row = on_row;
	reader.ctx = plot;
	status = kpi_cli_run(stderr, prog, &reader, argv + optind,
			     (size_t)(argc - optind), NULL, write_chart, plot);
out:
	kpi_plot_free(plot);
	kpi_date_format_free(fmt);
	kpi_cli_common_free(&common);
	free(ys);
	free(groups);
	return kpi_cli_close_stdout(stderr, prog, status);
}
