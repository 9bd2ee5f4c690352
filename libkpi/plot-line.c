/* plot-line.c - line and bar charts of any table (kpi-agg's output), and
 * the bars the funnel shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/date.h"
#include "kpi/num.h"
#include "plot-internal.h"

enum kpi_status
plot_line_header(struct kpi_plot *p, const struct kpi_csv_header *h,
		 struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	const struct kpi_plot_options *opt = p->opt;
	size_t ny = opt->ny ? opt->ny : 1, j, k;
	enum kpi_status st;
	const char *x = opt->x_col;

	if (!x) {
		snprintf(p->x_default, sizeof(p->x_default), "%s",
			 plot_find_optional(h, "period") != SIZE_MAX ? "period"
			 : kpi_csv_header_name(h, 0));
		x = p->x_default;
	}
	snprintf(p->y_default, sizeof(p->y_default), "%s",
		 kpi_csv_header_name(h, kpi_csv_header_count(h) - 1));
	st = plot_find(h, x, &t->x_idx, err);
	if (st != KPI_OK)
		return st;
	t->x_name = x;
	if (ny > KPI_PLOT_MAX_Y)
		return kpi_error_set(err, KPI_EINVAL, 0, "-y: at most %d columns",
				     KPI_PLOT_MAX_Y);
	for (j = 0; j < ny; j++) {
		const char *y = opt->ny ? opt->y_cols[j] : p->y_default;

		st = plot_add_num(t, h, y, 1, &k, err);
		if (st != KPI_OK)
			return st;
		if (t->num_idx[k] == t->x_idx)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "-y %s is the x column: name the values to draw with -y",
					     y);
	}
	/* Interval ends written beside a value (rate_lo, rate_hi). */
	for (j = 0; j < ny; j++) {
		snprintf(p->names[2 * j], sizeof(p->names[0]), "%s_lo",
			 t->num_names[j]);
		snprintf(p->names[2 * j + 1], sizeof(p->names[0]), "%s_hi",
			 t->num_names[j]);
		plot_add_num(t, h, p->names[2 * j], 0, NULL, err);
		plot_add_num(t, h, p->names[2 * j + 1], 0, NULL, err);
	}
	p->x_label = x;
	p->y_label = ny == 1 ? t->num_names[0] : NULL;
	if (ny == 1)
		snprintf(p->title, sizeof(p->title), "%s by %s",
			 t->num_names[0], x);
	else
		snprintf(p->title, sizeof(p->title), "%s, %s%s by %s",
			 t->num_names[0], t->num_names[1], ny > 2 ? ", ..." : "",
			 x);
	return plot_set_keys(p, h, t->x_idx, err);
}

/* ==== Lines ==== */

struct series_path {
	double *xs, *ys;
	size_t n;
};

static void
flush_segment(struct kpi_svg *svg, struct series_path *s, const char *style,
	      const char *color, int markers)
{
	char dot[64];

	snprintf(dot, sizeof(dot), "fill=\"%s\"", color);
	if (s->n >= 2)
		kpi_svg_poly(svg, "line", s->xs, s->ys, s->n, 0, style);
	else if (s->n == 1 && !markers)	/* alone between gaps */
		kpi_svg_circle(svg, "point", s->xs[0], s->ys[0], 2.5, dot);
	s->n = 0;
}

static void
draw_series(struct kpi_svg *svg, const struct kpi_plot *p,
	    const struct plot_order *o, size_t from, size_t to, size_t k,
	    const struct plot_xaxis *xa, const struct plot_yaxis *ya,
	    const struct plot_area *a, const char *color,
	    struct series_path *s)
{
	const struct plot_table *t = &p->t;
	char style[96], dot[64];
	size_t i, finite = 0;
	int markers;

	for (i = from; i < to; i++)
		finite += isfinite(plot_num(t, o[i].row, k)) != 0;
	markers = finite <= PLOT_MAX_MARKERS;
	snprintf(style, sizeof(style),
		 "fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"",
		 color);
	snprintf(dot, sizeof(dot), "fill=\"%s\"", color);
	s->n = 0;
	for (i = from; i < to; i++) {
		double v = plot_num(t, o[i].row, k);

		if (!isfinite(v)) {
			flush_segment(svg, s, style, color, markers);
			continue;
		}
		s->xs[s->n] = plot_x(xa, a, o[i].x);
		s->ys[s->n] = plot_y(ya, a, v);
		s->n++;
	}
	flush_segment(svg, s, style, color, markers);
	if (!markers)
		return;
	for (i = from; i < to; i++) {
		double v = plot_num(t, o[i].row, k);

		if (isfinite(v))
			kpi_svg_circle(svg, "point", plot_x(xa, a, o[i].x),
				       plot_y(ya, a, v), 2.5, dot);
	}
}

static const char **
xcat_labels(const struct plot_table *t, size_t *n)
{
	size_t i;
	const char **labels;

	*n = kpi_group_count(t->xcats);
	labels = malloc((*n ? *n : 1) * sizeof(*labels));
	if (!labels)
		return NULL;
	for (i = 0; i < *n; i++)
		labels[i] = kpi_group_part(t->xcats, i, 0, NULL);
	return labels;
}

/* The frame, sized for an x axis that needs extra_bottom, and panel 0's
 * area. */
static void
frame_for(struct plot_frame *f, const struct kpi_plot *p, size_t nlegend,
	  double extra_bottom, double extra_right, struct plot_area *a)
{
	plot_frame_init(f, p, plot_npanels(&p->t), p->t.nkeys > 0, nlegend,
			extra_bottom, extra_right);
	plot_frame_area(f, 0, a);
}

static void
legend_of(const struct plot_table *t, size_t ny, int line,
	  struct plot_legend_item *legend)
{
	size_t j;

	for (j = 0; j < ny; j++) {
		legend[j].label = t->num_names[j];
		legend[j].color = plot_palette[j % PLOT_PALETTE_SIZE];
		legend[j].line = line;
		legend[j].dashed = 0;
	}
}

/* The interval band of series j (columns COL_lo, COL_hi beside it): one
 * polygon per run of rows where both ends are known, the upper ends
 * forward and the lower ends back, in the series' colour. */
static void
draw_band(struct kpi_svg *svg, const struct plot_table *t,
	  const struct plot_order *o, size_t from, size_t to, size_t klo,
	  const struct plot_xaxis *xa, const struct plot_yaxis *ya,
	  const struct plot_area *a, const char *color, struct series_path *s)
{
	char style[96];
	size_t i, start, n, k;

	snprintf(style, sizeof(style),
		 "fill=\"%s\" fill-opacity=\"0.2\" stroke=\"none\"", color);
	for (start = from; start < to; start = i + 1) {
		for (i = start; i < to && isfinite(plot_num(t, o[i].row, klo)) &&
			    isfinite(plot_num(t, o[i].row, klo + 1)); i++)
			;
		n = 0;
		for (k = start; k < i; k++) {
			s->xs[n] = plot_x(xa, a, o[k].x);
			s->ys[n++] = plot_y(ya, a, plot_num(t, o[k].row, klo + 1));
		}
		for (k = i; k-- > start;) {
			s->xs[n] = plot_x(xa, a, o[k].x);
			s->ys[n++] = plot_y(ya, a, plot_num(t, o[k].row, klo));
		}
		if (i - start >= 2)
			kpi_svg_poly(svg, "band", s->xs, s->ys, n, 1, style);
	}
}

/* Numeric column of the interval ends of series j, or SIZE_MAX: both
 * COL_lo and COL_hi must be in the input. */
static size_t
interval_of(const struct plot_table *t, size_t ny, size_t j)
{
	return t->num_idx[ny + 2 * j] != SIZE_MAX &&
	       t->num_idx[ny + 2 * j + 1] != SIZE_MAX ? ny + 2 * j : SIZE_MAX;
}

static enum kpi_status
write_lines(struct kpi_plot *p, struct kpi_svg *svg, size_t ny,
	    struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	struct plot_legend_item legend[KPI_PLOT_MAX_Y];
	struct plot_frame f;
	struct plot_area a;
	struct plot_xaxis xa;
	struct plot_yaxis ya;
	struct series_path s = { NULL, NULL, 0 };
	struct plot_order *o = NULL;
	const char **labels = NULL;
	size_t nl = ny > 1 ? ny : 0, ncat, i, j, from, to, nk = 0;
	double xmin, xmax, ymin, ymax;
	size_t ks[3 * KPI_PLOT_MAX_Y];
	char name[512];

	legend_of(t, ny, 1, legend);
	frame_for(&f, p, nl, 0, 0, &a);
	if (t->xkind == PLOT_X_CAT) {
		labels = xcat_labels(t, &ncat);
		if (!labels)
			goto nomem;
		plot_xaxis_bands(&xa, ncat, labels, a.x1 - a.x0);
		frame_for(&f, p, nl, plot_xaxis_extra_bottom(&xa), 0, &a);
	} else {
		plot_x_range(t, &xmin, &xmax);
		plot_xaxis_values(&xa, t->xkind, xmin, xmax, a.x1 - a.x0);
	}
	/* The bands are drawn, so the axis holds them. */
	for (j = 0; j < ny; j++) {
		ks[nk++] = j;
		if (interval_of(t, ny, j) != SIZE_MAX) {
			ks[nk++] = ny + 2 * j;
			ks[nk++] = ny + 2 * j + 1;
		}
	}
	plot_num_range(t, ks, nk, &ymin, &ymax);
	plot_yaxis_init(&ya, p, ymin, ymax, 0, a.y1 - a.y0,
			plot_percent(p, t->num_names, ny));
	o = plot_sort_rows(t);
	s.xs = malloc((2 * t->nrows + 1) * sizeof(double));
	s.ys = malloc((2 * t->nrows + 1) * sizeof(double));
	if (!o || !s.xs || !s.ys)
		goto nomem;
	plot_frame_draw(&f, p, svg, legend, nl);
	for (from = 0; from < t->nrows; from = to) {
		for (to = from; to < t->nrows && o[to].panel == o[from].panel; to++)
			;
		i = o[from].panel;
		plot_frame_area(&f, i, &a);
		plot_panel_name(t, i, name, sizeof(name));
		plot_panel_begin(svg, &a, t->nkeys ? name : NULL);
		plot_yaxis_draw(svg, &ya, &a);
		plot_xaxis_draw(svg, &xa, &a);
		plot_marks_begin(svg, &ya, &a);
		for (j = 0; j < ny; j++)
			if (interval_of(t, ny, j) != SIZE_MAX)
				draw_band(svg, t, o, from, to, ny + 2 * j, &xa,
					  &ya, &a,
					  plot_palette[j % PLOT_PALETTE_SIZE],
					  &s);
		for (j = 0; j < ny; j++)
			draw_series(svg, p, o, from, to, j, &xa, &ya, &a,
				    plot_palette[j % PLOT_PALETTE_SIZE], &s);
		plot_marks_end(svg, &ya);
		kpi_svg_group_end(svg);
	}
	free(o);
	free(labels);
	free(s.xs);
	free(s.ys);
	return KPI_OK;
nomem:
	free(o);
	free(labels);
	free(s.xs);
	free(s.ys);
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
}

/* ==== Bars ==== */

static int
double_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The bar categories: x categories as they came, or the distinct dates or
 * numbers in order (labelled as periods, or as numbers).  Each row's x
 * becomes its category's number. */
static enum kpi_status
bar_categories(struct plot_table *t, const char ***labels_out, size_t *n_out,
	       char **store_out, struct kpi_error *err)
{
	double *v = NULL;
	long *days = NULL;
	char *store = NULL;
	const char **labels = NULL;
	size_t n = 0, i;
	enum kpi_period_unit unit = KPI_PERIOD_DAY;

	if (t->xkind == PLOT_X_CAT || t->nrows == 0) {
		labels = xcat_labels(t, n_out);
		if (!labels)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		*labels_out = labels;
		*store_out = NULL;
		return KPI_OK;
	}
	v = malloc(t->nrows * sizeof(double));
	if (!v)
		goto nomem;
	memcpy(v, t->x, t->nrows * sizeof(double));
	qsort(v, t->nrows, sizeof(double), double_compare);
	for (i = 0; i < t->nrows; i++)
		if (n == 0 || v[i] != v[n - 1])
			v[n++] = v[i];
	if (n > KPI_PLOT_MAX_CATEGORIES) {
		free(v);
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%zu distinct values of %s: too many bars (at most %d); draw a line chart",
				     n, t->x_name, KPI_PLOT_MAX_CATEGORIES);
	}
	labels = malloc(n * sizeof(*labels));
	store = malloc(n * KPI_LABEL_BUFSZ);
	days = malloc(n * sizeof(long));
	if (!labels || !store || !days)
		goto nomem;
	for (i = 0; i < n; i++)
		days[i] = (long)v[i];
	if (t->xkind == PLOT_X_DATE)
		unit = kpi_period_unit_of(days, n);
	for (i = 0; i < n; i++) {
		char *buf = store + i * KPI_LABEL_BUFSZ;

		if (t->xkind == PLOT_X_DATE)
			kpi_period_label(days[i], unit, NULL, buf);
		else
			kpi_scale_label(v[i], 0, 0, buf);
		labels[i] = buf;
	}
	for (i = 0; i < t->nrows; i++) {
		const double *hit = bsearch(&t->x[i], v, n, sizeof(double),
					    double_compare);

		t->x[i] = (double)(hit - v);
	}
	free(v);
	free(days);
	*labels_out = labels;
	*n_out = n;
	*store_out = store;
	return KPI_OK;
nomem:
	free(v);
	free(days);
	free(store);
	free(labels);
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
}

/* Per panel, category and series: the sum of the rows' values, how many
 * rows gave one, and the last row (for whiskers and count labels). */
struct bar_cell {
	double sum;
	size_t rows;
	size_t last;
};

/* A count in full when it is a whole number below 100000 ("4606", as
 * the tables beside the charts write it), else short ("4.61k"). */
static void
count_label(double v, int short_form, char *buf)
{
	if (!short_form && v == floor(v) && fabs(v) < 1e5)
		kpi_num_format(v, 0, buf);
	else
		kpi_scale_label(v, 0, 0, buf);
}

/* The label of a bar: "converted/entered", the entered count, or the
 * value; short_form writes counts with k, M ... */
static void
bar_label(const struct plot_table *t, const struct plot_bar_spec *spec,
	  const struct bar_cell *c, int short_form, char *buf)
{
	double num, den;

	if (spec->count_num != SIZE_MAX && c->rows == 1) {
		char a[KPI_LABEL_BUFSZ], b[KPI_LABEL_BUFSZ];

		num = plot_num(t, c->last, spec->count_num);
		den = spec->count_den == SIZE_MAX ? NAN
			: plot_num(t, c->last, spec->count_den);
		if (isfinite(num)) {
			count_label(num, short_form, a);
			if (!isfinite(den)) {
				strcpy(buf, a);
				return;
			}
			count_label(den, short_form, b);
			snprintf(buf, 2 * KPI_LABEL_BUFSZ + 2, "%s/%s", a, b);
			return;
		}
	}
	if (spec->percent)
		plot_share_label(c->sum, buf);
	else
		kpi_scale_label(c->sum, 0, 0, buf);
}

/* A bar with its label, and its interval [lo, hi] as a whisker when both
 * are finite. */
static void
draw_bar(struct kpi_svg *svg, const struct plot_table *t,
	 const struct plot_bar_spec *spec, const struct bar_cell *c, size_t j,
	 double left, double w, double lo, double hi,
	 const struct plot_yaxis *ya, const struct plot_area *a)
{
	char style[64], label[2 * KPI_LABEL_BUFSZ + 2];
	/* Bars start at zero, or at the end of an axis (--y-min) that does
	 * not reach it. */
	double base = fmin(fmax(0, ya->axis.lo), ya->axis.hi);
	double y0 = plot_y(ya, a, base), y = plot_y(ya, a, c->sum), top = y;

	snprintf(style, sizeof(style), "fill=\"%s\"",
		 plot_palette[j % PLOT_PALETTE_SIZE]);
	kpi_svg_rect(svg, "bar", left, fmin(y, y0), w, fabs(y0 - y), style);
	if (isfinite(lo) && isfinite(hi)) {
		plot_whisker(svg, left + w / 2, plot_y(ya, a, lo),
			     plot_y(ya, a, hi), fmin(4, w / 4));
		top = fmin(top, plot_y(ya, a, hi));
	}
	bar_label(t, spec, c, 0, label);
	if (kpi_svg_text_width(kpi_svg_text_chars(label), 10) > w + 8)
		bar_label(t, spec, c, 1, label);
	if (kpi_svg_text_width(kpi_svg_text_chars(label), 10) > w + 8)
		return;
	if (c->sum < 0)
		kpi_svg_text(svg, "value", left + w / 2, fmax(y0, y) + 12,
			     KPI_SVG_MIDDLE, 10, 0, "fill=\"" PLOT_INK "\"",
			     label);
	else if (top - 14 < a->y0 && y0 - y >= 16)
		/* No room above (a panel title is there): inside, at the foot
		 * of the bar. */
		kpi_svg_text(svg, "value", left + w / 2, y0 - 5,
			     KPI_SVG_MIDDLE, 10, 0, "fill=\"#ffffff\"", label);
	else
		kpi_svg_text(svg, "value", left + w / 2, top - 4,
			     KPI_SVG_MIDDLE, 10, 0, "fill=\"" PLOT_INK "\"",
			     label);
}

/* The rate of the step from the bar before into this one, in the gap
 * between them (x the gap's middle, gap its width), at the height of the
 * middle of this bar: an arrow across the gap with the rate above it,
 * "46.4%", or "46%" when that does not fit, or nothing. */
static void
draw_step_rate(struct kpi_svg *svg, double rate, double x, double gap,
	       double y_bar, const struct plot_yaxis *ya,
	       const struct plot_area *a)
{
	char label[KPI_LABEL_BUFSZ], n[6][KPI_SVG_NUMSZ], d[12 * KPI_SVG_NUMSZ];
	double base = plot_y(ya, a, fmin(fmax(0, ya->axis.lo), ya->axis.hi));
	double y = base - y_bar >= 30 ? (base + y_bar) / 2 : base - 15;
	double half = gap / 2 - 3;

	plot_share_label(rate, label);
	if (kpi_svg_text_width(kpi_svg_text_chars(label), 10) > gap - 2)
		kpi_scale_label(rate, 0.01, 1, label);
	if (kpi_svg_text_width(kpi_svg_text_chars(label), 10) > gap - 2 ||
	    half < 4)
		return;
	kpi_svg_num(x - half, n[0]);
	kpi_svg_num(y, n[1]);
	kpi_svg_num(x + half, n[2]);
	kpi_svg_num(x + half - 4, n[3]);
	kpi_svg_num(y - 3, n[4]);
	kpi_svg_num(y + 3, n[5]);
	snprintf(d, sizeof(d), "M%s %sH%sM%s %sL%s %sL%s %s", n[0], n[1], n[2],
		 n[3], n[4], n[2], n[1], n[3], n[5]);
	kpi_svg_path(svg, "step-arrow", d,
		     "fill=\"none\" stroke=\"#777777\" stroke-width=\"1\"");
	kpi_svg_text(svg, "step-rate", x, y - 5, KPI_SVG_MIDDLE, 10, 0,
		     "fill=\"#444444\"", label);
}

enum kpi_status
plot_bars(struct kpi_plot *p, struct kpi_svg *svg,
	  const struct plot_bar_spec *spec, struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	struct plot_legend_item legend[KPI_PLOT_MAX_Y];
	struct plot_frame f;
	struct plot_area a;
	struct plot_xaxis xa;
	struct plot_yaxis ya;
	struct bar_cell *cells = NULL;
	const char **labels = NULL, **shown_labels = NULL;
	char *store = NULL, name[512];
	size_t npanels = plot_npanels(t), ny = spec->ny, ncat = 0;
	size_t nl = ny > 1 ? ny : 0, i, j, c, k, pi, nshown = 0;
	size_t *shown = NULL;
	const struct bar_cell *prev;
	double ymin = INFINITY, ymax = -INFINITY;
	enum kpi_status st;

	for (j = 0; j < ny; j++) {
		legend[j].label = spec->y_names[j];
		legend[j].color = plot_palette[j % PLOT_PALETTE_SIZE];
		legend[j].line = 0;
		legend[j].dashed = 0;
	}
	st = bar_categories(t, &labels, &ncat, &store, err);
	if (st != KPI_OK)
		return st;
	cells = calloc((npanels ? npanels : 1) * (ncat ? ncat : 1) * ny,
		       sizeof(*cells));
	if (!cells) {
		free(labels);
		free(store);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	for (i = 0; i < t->nrows; i++) {
		for (j = 0; j < ny; j++) {
			struct bar_cell *cell = &cells[(t->panel[i] * ncat +
						 (size_t)t->x[i]) * ny + j];
			double v = plot_num(t, i, spec->y[j]);

			if (!isfinite(v))
				continue;
			cell->sum += v;
			cell->rows++;
			cell->last = i;
		}
	}
	for (i = 0; i < npanels * ncat * ny; i++) {
		const struct bar_cell *cell = &cells[i];
		double lo, hi;

		if (!cell->rows)
			continue;
		ymin = fmin(ymin, cell->sum);
		ymax = fmax(ymax, cell->sum);
		j = i % ny;
		if (cell->rows == 1 && spec->lo[j] != SIZE_MAX) {
			lo = plot_num(t, cell->last, spec->lo[j]);
			hi = plot_num(t, cell->last, spec->hi[j]);
			if (isfinite(lo))
				ymin = fmin(ymin, lo);
			if (isfinite(hi))
				ymax = fmax(ymax, hi);
		}
	}
	/* The categories drawn: all, or those with a bar somewhere. */
	shown = malloc((ncat ? ncat : 1) * sizeof(*shown));
	shown_labels = malloc((ncat ? ncat : 1) * sizeof(*shown_labels));
	if (!shown || !shown_labels) {
		st = kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		goto out;
	}
	for (c = 0; c < ncat; c++) {
		int any = !spec->drop_empty;

		for (i = 0; !any && i < npanels * ny; i++)
			any = cells[((i / ny) * ncat + c) * ny + i % ny].rows > 0;
		if (!any)
			continue;
		shown_labels[nshown] = labels[c];
		shown[nshown++] = c;
	}
	frame_for(&f, p, nl, 0, 0, &a);
	plot_xaxis_bands(&xa, nshown, shown_labels, a.x1 - a.x0);
	frame_for(&f, p, nl, plot_xaxis_extra_bottom(&xa), 0, &a);
	/* Room above the bars for their labels; a share stops at 100%, whose
	 * labels go in the margin above. */
	if (ymin > ymax) {	/* no bars */
		ymin = 0;
		ymax = 0;
	}
	if (spec->to_one && !p->opt->has_y_max)
		ymax = fmax(ymax, 1);
	plot_yaxis_init(&ya, p, ymin, ymax,
			spec->percent && ymax <= 1 ? 0 : 0.06, a.y1 - a.y0,
			spec->percent);
	plot_yaxis_note_base(p, &ya);
	plot_frame_draw(&f, p, svg, legend, nl);
	if (t->nrows == 0)
		plot_no_data(svg, &f);
	for (pi = 0; pi < npanels; pi++) {
		plot_frame_area(&f, pi, &a);
		plot_panel_name(t, pi, name, sizeof(name));
		plot_panel_begin(svg, &a, t->nkeys ? name : NULL);
		plot_yaxis_draw(svg, &ya, &a);
		plot_xaxis_draw(svg, &xa, &a);
		plot_marks_begin(svg, &ya, &a);
		prev = NULL;
		for (k = 0; k < nshown; k++) {
			double left, band, w;

			c = shown[k];
			plot_band(&xa, &a, k, &left, &band);
			w = band * 0.7 / (double)ny;
			for (j = 0; j < ny; j++) {
				const struct bar_cell *cell =
					&cells[(t->slot_at[pi] * ncat + c) *
					       ny + j];
				double lo = NAN, hi = NAN, rate = NAN;

				if (!cell->rows) {
					prev = NULL;
					continue;
				}
				if (cell->rows == 1 && spec->lo[j] != SIZE_MAX) {
					lo = plot_num(t, cell->last, spec->lo[j]);
					hi = plot_num(t, cell->last, spec->hi[j]);
				}
				if (prev && prev->rows == 1 && cell->rows == 1 &&
				    spec->step_rate != SIZE_MAX)
					rate = plot_num(t, prev->last,
							spec->step_rate);
				if (isfinite(rate) && spec->step_lo != SIZE_MAX) {
					lo = prev->sum *
					     plot_num(t, prev->last, spec->step_lo);
					hi = prev->sum *
					     plot_num(t, prev->last, spec->step_hi);
				}
				draw_bar(svg, t, spec, cell, j,
					 left + band * 0.15 + (double)j * w, w,
					 lo, hi, &ya, &a);
				if (isfinite(rate))
					draw_step_rate(svg, rate, left,
						       band * 0.3,
						       plot_y(&ya, &a, cell->sum),
						       &ya, &a);
				prev = cell;
			}
		}
		plot_marks_end(svg, &ya);
		kpi_svg_group_end(svg);
	}
out:
	free(shown);
	free(shown_labels);
	free(cells);
	free(labels);
	free(store);
	return st;
}

enum kpi_status
plot_line_write(struct kpi_plot *p, struct kpi_svg *svg,
		struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	size_t ny = p->opt->ny ? p->opt->ny : 1, j;
	struct plot_bar_spec spec;

	if (p->type == KPI_PLOT_BAR ||
	    (p->type == KPI_PLOT_AUTO && t->xkind == PLOT_X_CAT)) {
		memset(&spec, 0, sizeof(spec));
		spec.ny = ny;
		for (j = 0; j < ny; j++) {
			spec.y[j] = j;
			spec.lo[j] = interval_of(t, ny, j);
			spec.hi[j] = spec.lo[j] == SIZE_MAX ? SIZE_MAX
				     : ny + 2 * j + 1;
			spec.y_names[j] = t->num_names[j];
		}
		spec.count_num = SIZE_MAX;
		spec.count_den = SIZE_MAX;
		spec.step_rate = SIZE_MAX;
		spec.percent = plot_percent(p, t->num_names, ny);
		return plot_bars(p, svg, &spec, err);
	}
	if (t->nrows == 0) {
		struct plot_frame f;

		plot_frame_init(&f, p, 1, 0, 0, 0, 0);
		plot_frame_draw(&f, p, svg, NULL, 0);
		plot_no_data(svg, &f);
		return KPI_OK;
	}
	return write_lines(p, svg, ny, err);
}
