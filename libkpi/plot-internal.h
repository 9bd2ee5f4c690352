/* plot-internal.h - what the chart files of kpi-plot share: the table of
 * the columns a chart reads, the layout of panels, axes and legend. */
#ifndef KPI_PLOT_INTERNAL_H
#define KPI_PLOT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kpi/group.h"
#include "kpi/plot.h"
#include "kpi/scale.h"
#include "kpi/svg.h"

#define PLOT_MAX_KEYS 8
#define PLOT_MAX_NUM 32

/* What the x column holds, settled by its first non-missing value. */
enum plot_xkind {
	PLOT_X_NONE,		/* no value yet */
	PLOT_X_DATE,		/* day numbers */
	PLOT_X_NUM,
	PLOT_X_CAT,		/* category slots, in order of appearance */
};

/* The columns a chart reads and their values, row by row. */
struct plot_table {
	/* Keys: the tuple of these columns is a panel. */
	const char *key_names[PLOT_MAX_KEYS];
	size_t key_idx[PLOT_MAX_KEYS];
	size_t nkeys;
	/* The x column (dates, numbers or categories); x_name NULL = none. */
	const char *x_name;
	size_t x_idx;
	enum plot_xkind xkind;
	int x_cat_only;		/* the x column is always categories */
	/* A second category column (fan kind, funnel and heatmap cohort). */
	const char *cat_name;
	size_t cat_idx;
	/* Numeric columns; num_idx SIZE_MAX = absent (all missing). */
	const char *num_names[PLOT_MAX_NUM];
	size_t num_idx[PLOT_MAX_NUM];
	size_t nnum;

	size_t nrows, cap;
	unsigned long no_x;	/* rows left out: no x value */
	uint32_t *panel;	/* per row: panel slot */
	double *x;		/* per row: day, number or x category slot */
	uint32_t *cat;		/* per row: category slot */
	double *num;		/* per row: nnum values, NaN = missing */
	struct kpi_group *panels, *xcats, *cats;
	/* Panels are drawn in the order of their keys, as the kpi tools write
	 * groups, so that the input's row order does not matter. */
	size_t *slot_at;	/* position -> panel slot */
	size_t *pos_of;		/* panel slot -> position */
};

struct kpi_plot {
	const struct kpi_plot_options *opt;
	enum kpi_plot_type type;
	struct plot_table t;
	char title[256];
	const char *y_label;		/* axis titles */
	const char *x_label;
	char names[2 * KPI_PLOT_MAX_Y][128];	/* built column names */
	/* Default column names, copied: the header does not outlive the
	 * read. */
	char x_default[128], y_default[128];
	char note[384];		/* bottom right: what is not drawn */
};

/* Values as percentages: forced by --percent / --no-percent, else when
 * every one of the n columns is a share (kpi_plot_is_share()). */
int plot_percent(const struct kpi_plot *p, const char *const *names,
		 size_t n);
/* Add a sentence to the chart's note (once). */
void plot_note(struct kpi_plot *p, const char *text);

/* Rows in drawing order: by panel position, then x, then input order. */
struct plot_order {
	uint32_t panel;		/* position */
	double x;
	size_t row;
};

/* A sorted copy of the rows' order (free() it); NULL when out of memory. */
struct plot_order *plot_sort_rows(const struct plot_table *t);
/* The range of numeric columns ks[0..nk-1] over all rows; 0 when no value
 * is finite. */
int plot_num_range(const struct plot_table *t, const size_t *ks, size_t nk,
		   double *min, double *max);
/* The range of the x values. */
void plot_x_range(const struct plot_table *t, double *min, double *max);
/* Point markers are drawn for series of at most this many points. */
#define PLOT_MAX_MARKERS 100

/* Column lookups at header time: the index of name, or an error naming it
 * (required) / SIZE_MAX (optional). */
enum kpi_status plot_find(const struct kpi_csv_header *h, const char *name,
			  size_t *idx, struct kpi_error *err);
size_t plot_find_optional(const struct kpi_csv_header *h, const char *name);
/* Add a numeric column (required or optional); returns its number in
 * t->num[] through *k. */
enum kpi_status plot_add_num(struct plot_table *t,
			     const struct kpi_csv_header *h, const char *name,
			     int required, size_t *k, struct kpi_error *err);
/* Keys: the -g columns, or else the columns before column `before`
 * (SIZE_MAX: none). */
enum kpi_status plot_set_keys(struct kpi_plot *p,
			      const struct kpi_csv_header *h, size_t before,
			      struct kpi_error *err);

static inline double
plot_num(const struct plot_table *t, size_t row, size_t k)
{
	return t->num[row * t->nnum + k];
}

/* The display name of the panel at position i ("east", "east / pro"): into buf. */
void plot_panel_name(const struct plot_table *t, size_t i, char *buf,
		     size_t size);
size_t plot_npanels(const struct plot_table *t);

/* ==== Chart types (one file each) ==== */

enum kpi_status plot_line_header(struct kpi_plot *p,
				 const struct kpi_csv_header *h,
				 struct kpi_error *err);
enum kpi_status plot_line_write(struct kpi_plot *p, struct kpi_svg *svg,
				struct kpi_error *err);
enum kpi_status plot_fan_header(struct kpi_plot *p,
				const struct kpi_csv_header *h,
				struct kpi_error *err);
enum kpi_status plot_fan_write(struct kpi_plot *p, struct kpi_svg *svg,
			       struct kpi_error *err);
enum kpi_status plot_funnel_header(struct kpi_plot *p,
				   const struct kpi_csv_header *h,
				   struct kpi_error *err);
enum kpi_status plot_funnel_write(struct kpi_plot *p, struct kpi_svg *svg,
				  struct kpi_error *err);
enum kpi_status plot_heatmap_header(struct kpi_plot *p,
				    const struct kpi_csv_header *h,
				    struct kpi_error *err);
enum kpi_status plot_heatmap_write(struct kpi_plot *p, struct kpi_svg *svg,
				   struct kpi_error *err);
enum kpi_status plot_waterfall_header(struct kpi_plot *p,
				      const struct kpi_csv_header *h,
				      struct kpi_error *err);
enum kpi_status plot_waterfall_write(struct kpi_plot *p, struct kpi_svg *svg,
				     struct kpi_error *err);

/* ==== Layout (plot-frame.c) ==== */

/* Okabe & Ito (2008) colour-blind-safe palette, in the order series take
 * it. */
extern const char *const plot_palette[];
#define PLOT_PALETTE_SIZE 8
#define PLOT_BLUE "#0072B2"
#define PLOT_VERMILLION "#D55E00"
#define PLOT_GREY "#888888"
#define PLOT_INK "#222222"

struct plot_legend_item {
	const char *label;
	const char *color;
	int line;		/* 1 line swatch, 0 box */
	int dashed;
};

/* The page: title, optional legend row, a grid of panels. */
struct plot_frame {
	double width, height;
	double top, bottom, left, right;	/* the panels' outer box */
	size_t npanels, cols, rows;
	double cell_w, cell_h;
	int panel_titles;
	double extra_bottom;	/* room for turned x labels */
};

/* One panel's plot area in px. */
struct plot_area {
	double x0, y0, x1, y1;
	int x_labels, y_labels;	/* draw tick labels (outer panels) */
	int last_col;		/* in the grid's last column */
};

void plot_frame_init(struct plot_frame *f, const struct kpi_plot *p,
		     size_t npanels, int panel_titles, size_t nlegend,
		     double extra_bottom, double extra_right);
void plot_frame_area(const struct plot_frame *f, size_t i,
		     struct plot_area *a);
/* Title, legend, axis titles. */
void plot_frame_draw(const struct plot_frame *f, const struct kpi_plot *p,
		     struct kpi_svg *svg, const struct plot_legend_item *legend,
		     size_t nlegend);
/* Open <g class="panel">, draw its frame rect and title (may be NULL). */
void plot_panel_begin(struct kpi_svg *svg, const struct plot_area *a,
		      const char *title);
/* "no data" in the middle of the page. */
void plot_no_data(struct kpi_svg *svg, const struct plot_frame *f);

/* A value axis: shared ends and ticks (kpi_axis_value()), mapped per
 * panel. */
struct plot_yaxis {
	struct kpi_axis axis;
	int percent;
	int clip;		/* data beyond a fixed end: clip the marks */
};

/* The axis of data from min to max, with headroom (a fraction of the
 * range, room for labels above bars) above a free upper end, and the ends
 * fixed by --y-min and --y-max; says on the chart when data is cut. */
void plot_yaxis_init(struct plot_yaxis *y, struct kpi_plot *p, double min,
		     double max, double headroom, double height_px,
		     int percent);
/* A share as the label of a bar: one decimal, as the kpi report tables
 * write them ("62.0%", "46.4%"), but "0%" and "100%"; three significant
 * digits below 0.1% and from 1000% ("0.0421%", "1500%").  KPI_LABEL_BUFSZ
 * bytes. */
void plot_share_label(double v, char *buf);
/* Say on the chart when the axis (fixed by --y-min or --y-max) does not
 * reach zero, where bars start. */
void plot_yaxis_note_base(struct kpi_plot *p, const struct plot_yaxis *y);
double plot_y(const struct plot_yaxis *y, const struct plot_area *a, double v);
void plot_yaxis_draw(struct kpi_svg *svg, const struct plot_yaxis *y,
		     const struct plot_area *a);
/* Around a panel's marks: clip them to the plot area when the axis cuts
 * data (no output otherwise). */
void plot_marks_begin(struct kpi_svg *svg, const struct plot_yaxis *y,
		      const struct plot_area *a);
void plot_marks_end(struct kpi_svg *svg, const struct plot_yaxis *y);

/* An x axis of dates, numbers or categories (bands). */
struct plot_xaxis {
	enum plot_xkind kind;
	double d0, d1;			/* dates, numbers */
	struct kpi_ticks ticks;		/* numbers */
	struct kpi_date_ticks dticks;	/* dates */
	size_t ncat;			/* categories */
	const char **cat_labels;	/* borrowed */
	size_t label_every;		/* draw every n-th category label */
	double turn;			/* degrees the labels are turned */
};

void plot_xaxis_values(struct plot_xaxis *x, enum plot_xkind kind, double d0,
		       double d1, double width_px);
void plot_xaxis_bands(struct plot_xaxis *x, size_t n, const char **labels,
		      double width_px);
/* Extra bottom margin that turned category labels need. */
double plot_xaxis_extra_bottom(const struct plot_xaxis *x);
double plot_x(const struct plot_xaxis *x, const struct plot_area *a, double v);
/* Band i: left edge and width. */
void plot_band(const struct plot_xaxis *x, const struct plot_area *a, size_t i,
	       double *left, double *width);
void plot_xaxis_draw(struct kpi_svg *svg, const struct plot_xaxis *x,
		     const struct plot_area *a);

/* An interval whisker at x from y_lo to y_hi (px) with caps of half-width
 * half: one <path class="whisker">. */
void plot_whisker(struct kpi_svg *svg, double x, double y_lo, double y_hi,
		  double half);

/* ==== Bars (plot-line.c), shared by the bar chart and the funnel ==== */

struct plot_bar_spec {
	size_t ny;
	size_t y[KPI_PLOT_MAX_Y];	/* numeric columns of the bars */
	size_t lo[KPI_PLOT_MAX_Y];	/* whisker ends; SIZE_MAX = none */
	size_t hi[KPI_PLOT_MAX_Y];
	size_t count_num, count_den;	/* label "num/den"; SIZE_MAX = value */
	int percent;
	int drop_empty;		/* leave out categories with no bar at all */
	int to_one;		/* the value axis reaches 1 (100%) at least */
	/* A funnel of cum_rate (ny == 1): the conversion rate of the stage
	 * before each bar (step_rate) is written in the gap before the bar,
	 * and its interval (step_lo, step_hi) times the bar before is the
	 * bar's whisker; SIZE_MAX = none. */
	size_t step_rate, step_lo, step_hi;
	const char *y_names[KPI_PLOT_MAX_Y];	/* legend when ny > 1 */
};

enum kpi_status plot_bars(struct kpi_plot *p, struct kpi_svg *svg,
			  const struct plot_bar_spec *spec,
			  struct kpi_error *err);

#endif
