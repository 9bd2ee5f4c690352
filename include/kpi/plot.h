/* kpi/plot.h - charts of the kpi tools' CSV output as one self-contained SVG:
 * line and bar charts, the forecast fan, the funnel, the cohort heatmap and
 * the pipeline waterfall, each optionally as small multiples.
 *
 * Use: kpi_plot_new(), kpi_plot_header() with the input's header (which
 * settles the chart type and finds the columns), kpi_plot_add() per record
 * (which parses the fields it needs, so a bad value is reported with its
 * line and column), then kpi_plot_write().  The chart types, their columns
 * and the class names of the drawn elements are documented in kpi-plot(1);
 * the classes are an interface. */
#ifndef KPI_PLOT_H
#define KPI_PLOT_H

#include <stdio.h>

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/error.h"

enum kpi_plot_type {
	KPI_PLOT_AUTO,		/* from the columns */
	KPI_PLOT_LINE,
	KPI_PLOT_BAR,
	KPI_PLOT_FAN,
	KPI_PLOT_FUNNEL,
	KPI_PLOT_HEATMAP,
	KPI_PLOT_WATERFALL,
};

/* "line", "bar", "fan", "funnel", "heatmap", "waterfall" or "auto";
 * KPI_EINVAL else. */
enum kpi_status kpi_plot_type_parse(const char *s, enum kpi_plot_type *out,
				    struct kpi_error *err);
const char *kpi_plot_type_name(enum kpi_plot_type t);

/* Most panels of a small multiple, and categories of a bar axis. */
#define KPI_PLOT_MAX_PANELS 100
#define KPI_PLOT_MAX_CATEGORIES 1000
#define KPI_PLOT_MAX_Y 8

/* Whether values are written as percentages (0.62 as 62%). */
enum kpi_plot_percent {
	KPI_PLOT_PERCENT_AUTO,	/* by the column names: kpi_plot_is_share() */
	KPI_PLOT_PERCENT_ON,
	KPI_PLOT_PERCENT_OFF,
};

struct kpi_plot_options {
	enum kpi_plot_type type;
	const char *x_col;		/* -x; NULL: the type's default */
	const char *const *y_cols;	/* -y; ny == 0: the type's default */
	size_t ny;
	const char *const *group_cols;	/* -g; group_set == 0: the default */
	size_t ngroup;
	int group_set;
	const char *title;		/* NULL: made from the columns */
	double width, height;		/* px */
	int fitted;			/* fan: draw the fitted values */
	enum kpi_plot_percent percent;
	/* Fixed ends of the value axis (when has_*); data beyond them is cut
	 * at the plot area and the chart says so. */
	int has_y_min, has_y_max;
	double y_min, y_max;
	/* Heatmap: a fixed colour domain (when has_color_range). */
	int has_color_range;
	double color_lo, color_hi;
	const struct kpi_cli_common *common;	/* missing markers, decimal comma */
	const struct kpi_date_format *date_format; /* NULL: ISO and labels */
};

struct kpi_plot;

/* Nonzero when a column of this name holds a proportion, written as a
 * fraction (0.62 for 62%), by the naming rule of kpi(7) that the tools
 * follow: "rate" or a name ending in "_rate" (rate, cum_rate, win_rate),
 * "retention" or ending in "_retention", "share" or ending in "_share", a
 * name starting with "p_" (a probability: p_won, p_won_90d, p_quota), and
 * "nrr" and "grr"; each also with "_lo" or "_hi" appended (its interval).
 * Percentages already multiplied by 100 (mape, wape, coverage80) and
 * ratios such as coverage (pipeline / remaining quota) are not. */
int kpi_plot_is_share(const char *name);

/* A value of an option such as --y-max: a number ("0.2", "-1.5e3") or a
 * percentage ("20%" is 0.2), read without regard to the locale. */
enum kpi_status kpi_plot_value_parse(const char *s, double *out,
				     struct kpi_error *err);

/* opt (and the strings it points to) must outlive the plot. */
enum kpi_status kpi_plot_new(struct kpi_plot **out,
			     const struct kpi_plot_options *opt,
			     struct kpi_error *err);
void kpi_plot_free(struct kpi_plot *p);		/* NULL is fine */

/* Settle the chart type and find its columns.  A missing column is
 * KPI_EINVAL with the column named and the available ones listed. */
enum kpi_status kpi_plot_header(struct kpi_plot *p,
				const struct kpi_csv_header *h,
				struct kpi_error *err);
/* Keep one record's fields.  A field that is not a number (or date, where
 * one is needed) is KPI_EPARSE with the column named; an empty field (or a
 * --na marker) is a gap. */
enum kpi_status kpi_plot_add(struct kpi_plot *p,
			     const struct kpi_csv_record *rec,
			     struct kpi_error *err);
/* Draw the chart as SVG to out.  No rows draws a chart saying "no data". */
enum kpi_status kpi_plot_write(struct kpi_plot *p, FILE *out,
			       struct kpi_error *err);

#endif
