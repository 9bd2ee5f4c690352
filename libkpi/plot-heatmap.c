/* plot-heatmap.c - the cohort triangle of kpi-cohort: one cell per cohort
 * and age, coloured by the measure on a sequential scale, the value written
 * in the cell; cells of periods not over yet (empty values) stay blank. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/date.h"
#include "kpi/keyorder.h"
#include "plot-internal.h"

#define HEAT_LEGEND_W 64	/* right margin for the colour legend */
#define HEAT_MAX_AGES 400

enum kpi_status
plot_heatmap_header(struct kpi_plot *p, const struct kpi_csv_header *h,
		    struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	const char *y = p->opt->ny ? p->opt->y_cols[0] : "retention";
	enum kpi_status st;

	if (p->opt->ny > 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "-y: a heatmap draws one column");
	t->x_name = p->opt->x_col ? p->opt->x_col : "age";
	t->cat_name = "cohort";
	st = plot_find(h, t->x_name, &t->x_idx, err);
	if (st == KPI_OK)
		st = plot_find(h, t->cat_name, &t->cat_idx, err);
	if (st == KPI_OK)
		st = plot_add_num(t, h, y, 1, NULL, err);
	if (st != KPI_OK)
		return st;
	p->x_label = t->x_name;
	p->y_label = t->cat_name;
	snprintf(p->title, sizeof(p->title), "%s by %s and %s", y,
		 t->cat_name, t->x_name);
	return plot_set_keys(p, h, t->cat_idx, err);
}

/* ==== Colour ==== */

/* viridis (van der Walt & Smith, matplotlib 1.5, 2015) sampled at nine
 * evenly spaced points; perceptually uniform, readable in grey and by the
 * common colour vision deficiencies.  Between samples, linear in sRGB. */
static const unsigned char viridis[9][3] = {
	{ 0x44, 0x01, 0x54 }, { 0x47, 0x2d, 0x7b }, { 0x3b, 0x52, 0x8b },
	{ 0x2c, 0x72, 0x8e }, { 0x21, 0x91, 0x8c }, { 0x28, 0xae, 0x80 },
	{ 0x5e, 0xc9, 0x62 }, { 0xad, 0xdc, 0x30 }, { 0xfd, 0xe7, 0x25 },
};

static void
heat_colour(double u, char *buf, size_t size)
{
	double pos;
	size_t i, k;
	int rgb[3];

	if (!(u >= 0))
		u = 0;
	if (u > 1)
		u = 1;
	pos = u * 8;
	i = (size_t)pos;
	if (i >= 8)
		i = 7;
	for (k = 0; k < 3; k++)
		rgb[k] = (int)lround(viridis[i][k] + (pos - (double)i) *
				     (viridis[i + 1][k] - viridis[i][k]));
	snprintf(buf, size, "fill=\"#%02x%02x%02x\"", rgb[0], rgb[1], rgb[2]);
}

/* ==== Drawing ==== */

struct heat {
	const struct kpi_plot *p;
	size_t ncohort, nage;
	double age0;
	size_t *rank;			/* cohort slot -> row from the top */
	const char **cohort_labels;	/* by rank */
	char *store;
	struct kpi_axis axis;		/* colour domain and legend ticks */
	double lo, hi;
	int percent;
};

/* Cohorts from the oldest down, as kpi-cohort writes them (kpi/keyorder.h:
 * periods by their text, cohort numbers by number), labelled as periods
 * when they are. */
static enum kpi_status
order_cohorts(struct heat *h, struct kpi_error *err)
{
	const struct plot_table *t = &h->p->t;
	const char **names;
	long *days;
	size_t i, k, n = h->ncohort;
	int dates = 1;
	enum kpi_status st;

	names = malloc((n ? n : 1) * sizeof(*names));
	days = malloc((n ? n : 1) * sizeof(*days));
	h->rank = malloc((n ? n : 1) * sizeof(*h->rank));
	h->cohort_labels = malloc((n ? n : 1) * sizeof(*h->cohort_labels));
	h->store = malloc((n ? n : 1) * KPI_DATE_BUFSZ);
	if (!names || !days || !h->rank || !h->cohort_labels || !h->store) {
		free(names);
		free(days);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	st = kpi_keyorder_rank(t->cats, 1, h->p->opt->common, h->rank, err);
	if (st != KPI_OK) {
		free(names);
		free(days);
		return st;
	}
	/* The cohorts are distinct, so their ranks are their rows. */
	for (k = 0; k < n; k++)
		names[h->rank[k]] = kpi_group_part(t->cats, k, 0, NULL);
	for (i = 0; i < n; i++) {
		if (kpi_date_parse(names[i], NULL, &h->p->opt->common->cal,
				   &days[i], NULL) != KPI_OK)
			dates = 0;
	}
	for (i = 0; i < n; i++) {
		h->cohort_labels[i] = names[i];
		if (!dates)
			continue;
		kpi_period_label(days[i], kpi_period_unit_of(days, n),
				 &h->p->opt->common->cal,
				 h->store + i * KPI_DATE_BUFSZ);
		h->cohort_labels[i] = h->store + i * KPI_DATE_BUFSZ;
	}
	free(names);
	free(days);
	return KPI_OK;
}

static void
draw_legend(struct kpi_svg *svg, const struct heat *h,
	    const struct plot_frame *f)
{
	double x = f->right + 18, y0 = f->top + 4, y1 = f->bottom;
	double step = (y1 - y0) / 10;
	char colour[48], label[KPI_LABEL_BUFSZ];
	size_t i;

	kpi_svg_group_begin(svg, "legend", NULL);
	for (i = 0; i < 10; i++) {
		heat_colour((9.5 - (double)i) / 10, colour, sizeof(colour));
		kpi_svg_rect(svg, "legend-swatch", x, y0 + (double)i * step, 12,
			     step + 0.5, colour);
	}
	for (i = 0; i < h->axis.ticks.n; i++) {
		double v = kpi_ticks_value(&h->axis.ticks, i);
		double py = y1 - (v - h->lo) / (h->hi - h->lo) * (y1 - y0);

		if (v < h->lo - 1e-9 * (h->hi - h->lo) ||
		    v > h->hi + 1e-9 * (h->hi - h->lo))
			continue;
		kpi_scale_label(v, h->axis.ticks.step, h->percent, label);
		kpi_svg_text(svg, "tick-label", x + 16, py + 3.5, KPI_SVG_START,
			     10, 0, "fill=\"#555555\"", label);
	}
	kpi_svg_group_end(svg);
}

static void
draw_cells(struct kpi_svg *svg, const struct heat *h, size_t panel,
	   const struct plot_area *a)
{
	const struct plot_table *t = &h->p->t;
	double cw = (a->x1 - a->x0) / (double)h->nage;
	double ch = (a->y1 - a->y0) / (double)h->ncohort;
	double font = fmin(10, ch * 0.62);
	char colour[48], label[KPI_LABEL_BUFSZ], tip[256];
	size_t i;

	for (i = 0; i < t->nrows; i++) {
		double v = plot_num(t, i, 0), u, x, y;
		size_t row = h->rank[t->cat[i]];

		if (t->panel[i] != panel || !isfinite(v))
			continue;
		u = (v - h->lo) / (h->hi - h->lo);
		x = a->x0 + (t->x[i] - h->age0) * cw;
		y = a->y0 + (double)row * ch;
		heat_colour(u, colour, sizeof(colour));
		if (h->percent)
			plot_share_label(v, label);
		else
			kpi_scale_label(v, 0, 0, label);
		snprintf(tip, sizeof(tip), "%s, %s %g: %s",
			 h->cohort_labels[row], t->x_name, t->x[i], label);
		kpi_svg_rect_titled(svg, "cell", x + 0.5, y + 0.5, cw - 1,
				    ch - 1, colour, tip);
		/* "14.7%" as in the tables, else "15%" when that is too wide */
		if (h->percent &&
		    kpi_svg_text_width(kpi_svg_text_chars(label), font) > cw - 3)
			kpi_scale_label(v, 0.01, 1, label);
		if (font < 7 ||
		    kpi_svg_text_width(kpi_svg_text_chars(label), font) > cw - 3)
			continue;
		kpi_svg_text(svg, "cell-label", x + cw / 2, y + ch / 2 + font * 0.35,
			     KPI_SVG_MIDDLE, font, 0,
			     u < 0.6 ? "fill=\"#ffffff\"" : "fill=\"" PLOT_INK "\"",
			     label);
	}
}

static void
draw_axes(struct kpi_svg *svg, const struct heat *h, const struct plot_area *a)
{
	double cw = (a->x1 - a->x0) / (double)h->nage;
	double ch = (a->y1 - a->y0) / (double)h->ncohort;
	size_t every = (size_t)ceil(13 / ch), i;
	char label[KPI_LABEL_BUFSZ];

	if (a->y_labels)
		for (i = 0; i < h->ncohort; i += every ? every : 1)
			kpi_svg_text(svg, "tick-label", a->x0 - 4,
				     a->y0 + ((double)i + 0.5) * ch + 3.5,
				     KPI_SVG_END, 10, 0, "fill=\"#555555\"",
				     h->cohort_labels[i]);
	if (!a->x_labels)
		return;
	every = (size_t)ceil(22 / cw);
	for (i = 0; i < h->nage; i += every ? every : 1) {
		kpi_scale_label(h->age0 + (double)i, 0, 0, label);
		kpi_svg_text(svg, "tick-label", a->x0 + ((double)i + 0.5) * cw,
			     a->y1 + 14, KPI_SVG_MIDDLE, 10, 0,
			     "fill=\"#555555\"", label);
	}
}

enum kpi_status
plot_heatmap_write(struct kpi_plot *p, struct kpi_svg *svg,
		   struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	struct plot_frame f;
	struct plot_area a;
	struct heat h;
	size_t i, ks[1] = { 0 };
	double amin, amax, vmin, vmax;
	char name[512];
	enum kpi_status st;

	memset(&h, 0, sizeof(h));
	h.p = p;
	plot_frame_init(&f, p, plot_npanels(t), t->nkeys > 0, 0, 0,
			HEAT_LEGEND_W);
	plot_frame_draw(&f, p, svg, NULL, 0);
	if (t->nrows == 0) {
		plot_no_data(svg, &f);
		return KPI_OK;
	}
	plot_x_range(t, &amin, &amax);
	for (i = 0; i < t->nrows; i++)
		if (t->x[i] != floor(t->x[i]))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "%s %g is not a whole number",
					     t->x_name, t->x[i]);
	if (amax - amin >= HEAT_MAX_AGES)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%s from %g to %g: too many columns to draw (at most %d)",
				     t->x_name, amin, amax, HEAT_MAX_AGES);
	h.age0 = amin;
	h.nage = (size_t)(amax - amin) + 1;
	h.ncohort = kpi_group_count(t->cats);
	st = order_cohorts(&h, err);
	if (st != KPI_OK)
		goto out;
	plot_num_range(t, ks, 1, &vmin, &vmax);
	/* The colour domain runs from 0 to the nice number at or above the
	 * largest value (below the smallest, when there are negative ones),
	 * so that 6% to 15% retention spreads over most of the scale instead
	 * of the bottom sixth of 0..100%, while a colour still stands for the
	 * same value in every cohort and age, and lightness grows with the
	 * value from zero as a bar's length does.  --color-range fixes it, to
	 * compare the charts of several weeks. */
	h.percent = plot_percent(p, t->num_names, 1);
	kpi_axis_value(vmin, vmax, 5,
		       p->opt->has_color_range ? &p->opt->color_lo : NULL,
		       p->opt->has_color_range ? &p->opt->color_hi : NULL,
		       &h.axis);
	h.lo = h.axis.lo;
	h.hi = h.axis.hi;
	if (h.hi <= h.lo)
		h.hi = h.lo + 1;
	if (vmin < h.lo || vmax > h.hi)
		plot_note(p, "values beyond the colour range take its end colours");
	for (i = 0; i < plot_npanels(t); i++) {
		plot_frame_area(&f, i, &a);
		plot_panel_name(t, i, name, sizeof(name));
		plot_panel_begin(svg, &a, t->nkeys ? name : NULL);
		draw_axes(svg, &h, &a);
		draw_cells(svg, &h, t->slot_at[i], &a);
		kpi_svg_group_end(svg);
	}
	draw_legend(svg, &h, &f);
out:
	free(h.rank);
	free(h.cohort_labels);
	free(h.store);
	return st;
}
