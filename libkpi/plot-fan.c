/* plot-fan.c - the forecast fan of kpi-forecast --history: actuals, the
 * forecast from the last actual on, its intervals as shaded bands and a
 * marker at the forecast origin. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot-internal.h"

#define FAN_MAX_LEVELS 4

/* Numeric column 0 is the value; then lo, hi of each level. */
struct fan_levels {
	size_t n;
	int level[FAN_MAX_LEVELS];	/* 80, 95: ascending */
};

/* Interval levels: the columns loNN with a matching hiNN. */
static void
find_levels(const struct kpi_csv_header *h, struct fan_levels *lv)
{
	size_t i, k, n = kpi_csv_header_count(h);

	lv->n = 0;
	for (i = 0; i < n && lv->n < FAN_MAX_LEVELS; i++) {
		const char *name = kpi_csv_header_name(h, i);
		char hi[64];
		int level = 0;

		if (strncmp(name, "lo", 2) != 0 || !name[2] ||
		    strspn(name + 2, "0123456789") != strlen(name + 2) ||
		    strlen(name) > 8)
			continue;
		level = atoi(name + 2);
		snprintf(hi, sizeof(hi), "hi%s", name + 2);
		if (level <= 0 || level >= 100 ||
		    plot_find_optional(h, hi) == SIZE_MAX)
			continue;
		for (k = lv->n; k > 0 && lv->level[k - 1] > level; k--)
			lv->level[k] = lv->level[k - 1];
		lv->level[k] = level;
		lv->n++;
	}
}

enum kpi_status
plot_fan_header(struct kpi_plot *p, const struct kpi_csv_header *h,
		struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	const char *y = p->opt->ny ? p->opt->y_cols[0] : "value";
	struct fan_levels lv;
	enum kpi_status st;
	size_t k, len;

	if (p->opt->ny > 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "-y: a fan draws one column");
	t->x_name = p->opt->x_col ? p->opt->x_col : "period";
	st = plot_find(h, t->x_name, &t->x_idx, err);
	if (st == KPI_OK)
		st = plot_find(h, "kind", &t->cat_idx, err);
	if (st == KPI_OK)
		st = plot_add_num(t, h, y, 1, NULL, err);
	if (st != KPI_OK)
		return st;
	t->cat_name = "kind";
	find_levels(h, &lv);
	for (k = 0; k < lv.n; k++) {
		snprintf(p->names[2 * k], sizeof(p->names[0]), "lo%d",
			 lv.level[k]);
		snprintf(p->names[2 * k + 1], sizeof(p->names[0]), "hi%d",
			 lv.level[k]);
		plot_add_num(t, h, p->names[2 * k], 1, NULL, err);
		plot_add_num(t, h, p->names[2 * k + 1], 1, NULL, err);
	}
	p->x_label = t->x_name;
	p->y_label = y;
	snprintf(p->title, sizeof(p->title), "%s: actual and forecast", y);
	for (k = 0; k < lv.n; k++) {
		len = strlen(p->title);
		snprintf(p->title + len, sizeof(p->title) - len, "%s%d%%",
			 k == 0 ? " with " : (k + 1 == lv.n ? " and " : ", "),
			 lv.level[k]);
	}
	if (lv.n) {
		len = strlen(p->title);
		snprintf(p->title + len, sizeof(p->title) - len, " interval%s",
			 lv.n > 1 ? "s" : "");
	}
	return plot_set_keys(p, h, t->x_idx, err);
}

/* ==== Drawing ==== */

enum { KIND_OTHER, KIND_ACTUAL, KIND_FITTED, KIND_FORECAST };

struct fan {
	const struct kpi_plot *p;
	struct plot_order *o;
	unsigned char *kind;		/* per category slot */
	size_t nlevels;
	struct plot_xaxis xa;
	struct plot_yaxis ya;
	double *xs, *ys;		/* scratch, 2 * rows + 2 */
};

static int
row_kind(const struct fan *f, size_t row)
{
	return f->kind[f->p->t.cat[row]];
}

/* One line of the rows of a kind in o[from, to), split at gaps; the
 * forecast line starts at the origin (ox, oy) when one is given. */
static void
draw_kind(struct kpi_svg *svg, const struct fan *f, size_t from, size_t to,
	  int kind, const struct plot_area *a, const char *cls,
	  const char *style, const double *origin)
{
	const struct plot_table *t = &f->p->t;
	size_t i, n = 0;

	if (origin) {
		f->xs[n] = origin[0];
		f->ys[n++] = origin[1];
	}
	for (i = from; i <= to; i++) {
		double v = i < to ? plot_num(t, f->o[i].row, 0) : NAN;

		if (i < to && row_kind(f, f->o[i].row) != kind)
			continue;
		if (isfinite(v)) {
			f->xs[n] = plot_x(&f->xa, a, f->o[i].x);
			f->ys[n++] = plot_y(&f->ya, a, v);
			continue;
		}
		if (n >= 2)
			kpi_svg_poly(svg, cls, f->xs, f->ys, n, 0, style);
		n = 0;
	}
}

static void
draw_points(struct kpi_svg *svg, const struct fan *f, size_t from, size_t to,
	    const struct plot_area *a)
{
	const struct plot_table *t = &f->p->t;
	size_t i, n = 0;

	for (i = from; i < to; i++)
		n += row_kind(f, f->o[i].row) != KIND_FITTED;
	if (n > PLOT_MAX_MARKERS)
		return;
	for (i = from; i < to; i++) {
		int k = row_kind(f, f->o[i].row);
		double v = plot_num(t, f->o[i].row, 0);

		if ((k == KIND_ACTUAL || k == KIND_FORECAST) && isfinite(v))
			kpi_svg_circle(svg, "point", plot_x(&f->xa, a, f->o[i].x),
				       plot_y(&f->ya, a, v), 2.5,
				       k == KIND_ACTUAL ? "fill=\"" PLOT_INK "\""
				       : "fill=\"" PLOT_BLUE "\"");
	}
}

/* The band of level k: the origin, the upper ends forward, the lower ends
 * back. */
static void
draw_band(struct kpi_svg *svg, const struct fan *f, size_t from, size_t to,
	  size_t k, const struct plot_area *a, const double *origin)
{
	const struct plot_table *t = &f->p->t;
	static const char *const opacity[] = { "0.38", "0.2", "0.12", "0.08" };
	size_t i, n = 0, m, outer = f->nlevels - 1 - k;
	char cls[64], style[96];

	if (origin) {
		f->xs[n] = origin[0];
		f->ys[n++] = origin[1];
	}
	m = n;
	for (i = from; i < to; i++) {
		size_t row = f->o[i].row;
		double hi = plot_num(t, row, 2 + 2 * k);

		if (row_kind(f, row) != KIND_FORECAST || !isfinite(hi) ||
		    !isfinite(plot_num(t, row, 1 + 2 * k)))
			continue;
		f->xs[n] = plot_x(&f->xa, a, f->o[i].x);
		f->ys[n++] = plot_y(&f->ya, a, hi);
	}
	if (n == m)
		return;
	for (i = to; i-- > from;) {
		size_t row = f->o[i].row;
		double lo = plot_num(t, row, 1 + 2 * k);

		if (row_kind(f, row) != KIND_FORECAST || !isfinite(lo) ||
		    !isfinite(plot_num(t, row, 2 + 2 * k)))
			continue;
		f->xs[n] = plot_x(&f->xa, a, f->o[i].x);
		f->ys[n++] = plot_y(&f->ya, a, lo);
	}
	snprintf(cls, sizeof(cls), "band band%s", t->num_names[1 + 2 * k] + 2);
	snprintf(style, sizeof(style),
		 "fill=\"" PLOT_BLUE "\" fill-opacity=\"%s\" stroke=\"none\"",
		 opacity[outer < 4 ? outer : 3]);
	kpi_svg_poly(svg, cls, f->xs, f->ys, n, 1, style);
}

static void
draw_panel(struct kpi_svg *svg, const struct fan *f, size_t from, size_t to,
	   const struct plot_area *a)
{
	const struct plot_table *t = &f->p->t;
	double origin[2], last_x = NAN;
	size_t i, k;
	int have_origin = 0;

	/* The forecast origin: the last actual value. */
	for (i = from; i < to; i++) {
		double v = plot_num(t, f->o[i].row, 0);

		if (row_kind(f, f->o[i].row) == KIND_ACTUAL && isfinite(v)) {
			origin[0] = plot_x(&f->xa, a, f->o[i].x);
			origin[1] = plot_y(&f->ya, a, v);
			last_x = f->o[i].x;
			have_origin = 1;
		}
	}
	for (k = f->nlevels; k-- > 0;)
		draw_band(svg, f, from, to, k, a, have_origin ? origin : NULL);
	if (have_origin && isfinite(last_x))
		kpi_svg_line(svg, "origin", origin[0], a->y0, origin[0], a->y1,
			     "stroke=\"#777777\" stroke-dasharray=\"3 3\"");
	if (f->p->opt->fitted)
		draw_kind(svg, f, from, to, KIND_FITTED, a, "line fitted",
			  "fill=\"none\" stroke=\"" PLOT_VERMILLION "\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"",
			  NULL);
	draw_kind(svg, f, from, to, KIND_ACTUAL, a, "line actual",
		  "fill=\"none\" stroke=\"" PLOT_INK "\" stroke-width=\"2\" stroke-linejoin=\"round\"",
		  NULL);
	draw_kind(svg, f, from, to, KIND_FORECAST, a, "line forecast",
		  "fill=\"none\" stroke=\"" PLOT_BLUE "\" stroke-width=\"2\" stroke-linejoin=\"round\"",
		  have_origin ? origin : NULL);
	draw_points(svg, f, from, to, a);
}

enum kpi_status
plot_fan_write(struct kpi_plot *p, struct kpi_svg *svg, struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	struct plot_legend_item legend[4 + FAN_MAX_LEVELS];
	struct plot_frame fr;
	struct plot_area a;
	struct fan f;
	size_t ncat = kpi_group_count(t->cats), nl = 0, i, from, to;
	size_t ks[1 + 2 * FAN_MAX_LEVELS];
	double xmin, xmax, ymin, ymax;
	char name[512];
	static char level_names[FAN_MAX_LEVELS][16];

	memset(&f, 0, sizeof(f));
	f.p = p;
	f.nlevels = (t->nnum - 1) / 2;
	f.kind = calloc(ncat ? ncat : 1, 1);
	f.o = plot_sort_rows(t);
	f.xs = malloc((2 * t->nrows + 2) * sizeof(double));
	f.ys = malloc((2 * t->nrows + 2) * sizeof(double));
	if (!f.kind || !f.o || !f.xs || !f.ys) {
		free(f.kind);
		free(f.o);
		free(f.xs);
		free(f.ys);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	for (i = 0; i < ncat; i++) {
		const char *k = kpi_group_part(t->cats, i, 0, NULL);

		f.kind[i] = strcmp(k, "actual") == 0 ? KIND_ACTUAL
			  : strcmp(k, "fitted") == 0 ? KIND_FITTED
			  : strcmp(k, "forecast") == 0 ? KIND_FORECAST
			  : KIND_OTHER;
	}
	legend[nl++] = (struct plot_legend_item){ "actual", PLOT_INK, 1, 0 };
	legend[nl++] = (struct plot_legend_item){ "forecast", PLOT_BLUE, 1, 0 };
	for (i = 0; i < f.nlevels; i++) {
		snprintf(level_names[i], sizeof(level_names[i]), "%s%%",
			 t->num_names[1 + 2 * i] + 2);
		legend[nl++] = (struct plot_legend_item){
			level_names[i], i + 1 == f.nlevels ? "#b7d3e8" : "#7fb1d7",
			0, 0 };
	}
	if (p->opt->fitted)
		legend[nl++] = (struct plot_legend_item){ "fitted",
			PLOT_VERMILLION, 1, 1 };
	for (i = 0; i < t->nnum; i++)
		ks[i] = i;
	/* Fitted values are in the range only when drawn. */
	ymin = INFINITY;
	ymax = -INFINITY;
	for (i = 0; i < t->nrows; i++) {
		size_t k;

		if (row_kind(&f, i) == KIND_OTHER ||
		    (row_kind(&f, i) == KIND_FITTED && !p->opt->fitted))
			continue;
		for (k = 0; k < t->nnum; k++) {
			double v = plot_num(t, i, ks[k]);

			if (isfinite(v)) {
				ymin = fmin(ymin, v);
				ymax = fmax(ymax, v);
			}
		}
	}
	if (ymin > ymax) {
		ymin = 0;
		ymax = 0;
	}
	plot_frame_init(&fr, p, plot_npanels(t), t->nkeys > 0, nl, 0, 0);
	plot_frame_area(&fr, 0, &a);
	plot_x_range(t, &xmin, &xmax);
	plot_xaxis_values(&f.xa, t->xkind == PLOT_X_CAT ? PLOT_X_NUM : t->xkind,
			  xmin, xmax, a.x1 - a.x0);
	plot_yaxis_init(&f.ya, p, ymin, ymax, 0, a.y1 - a.y0,
			plot_percent(p, t->num_names, 1));
	plot_frame_draw(&fr, p, svg, legend, nl);
	if (t->nrows == 0)
		plot_no_data(svg, &fr);
	for (from = 0; from < t->nrows; from = to) {
		for (to = from; to < t->nrows && f.o[to].panel == f.o[from].panel;
		     to++)
			;
		i = f.o[from].panel;
		plot_frame_area(&fr, i, &a);
		plot_panel_name(t, i, name, sizeof(name));
		plot_panel_begin(svg, &a, t->nkeys ? name : NULL);
		plot_yaxis_draw(svg, &f.ya, &a);
		plot_xaxis_draw(svg, &f.xa, &a);
		plot_marks_begin(svg, &f.ya, &a);
		draw_panel(svg, &f, from, to, &a);
		plot_marks_end(svg, &f.ya);
		kpi_svg_group_end(svg);
	}
	free(f.kind);
	free(f.o);
	free(f.xs);
	free(f.ys);
	return KPI_OK;
}
