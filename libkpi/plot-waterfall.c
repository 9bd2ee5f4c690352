/* plot-waterfall.c - the pipeline waterfall of kpi-pipeline --diff: the
 * opening total, each movement floating up or down from where the last one
 * ended, the closing total. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot-internal.h"

#define WF_MAX (2 * KPI_PLOT_MAX_Y)	/* opening, movements, closing */

enum kpi_status
plot_waterfall_header(struct kpi_plot *p, const struct kpi_csv_header *h,
		      struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	size_t open_idx, close_idx, i, n = 0;
	enum kpi_status st;

	st = plot_find(h, "opening", &open_idx, err);
	if (st == KPI_OK)
		st = plot_find(h, "closing", &close_idx, err);
	if (st != KPI_OK)
		return st;
	/* The movements are the value columns between the two totals (the
	 * *_deals columns count deals). */
	for (i = open_idx; i <= close_idx && st == KPI_OK; i++) {
		const char *name = kpi_csv_header_name(h, i);
		size_t len = strlen(name);

		if (len > 6 && strcmp(name + len - 6, "_deals") == 0)
			continue;
		if (n == WF_MAX)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "more than %d movements to draw",
					     WF_MAX - 2);
		snprintf(p->names[n], sizeof(p->names[n]), "%s", name);
		st = plot_add_num(t, h, p->names[n], 1, NULL, err);
		n++;
	}
	if (st != KPI_OK)
		return st;
	if (n < 2 || strcmp(t->num_names[n - 1], "closing") != 0)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "the columns opening ... closing are not in that order");
	p->y_label = "value";
	snprintf(p->title, sizeof(p->title), "Pipeline: opening to closing");
	return plot_set_keys(p, h, SIZE_MAX, err);
}

static void
draw_step(struct kpi_svg *svg, const struct plot_xaxis *xa,
	  const struct plot_yaxis *ya, const struct plot_area *a, size_t slot,
	  double from, double to, int total, double *right_edge)
{
	double left, band, w, y0 = plot_y(ya, a, from), y1 = plot_y(ya, a, to);
	char label[KPI_LABEL_BUFSZ + 1];
	double v = to - from;

	plot_band(xa, a, slot, &left, &band);
	w = band * 0.7;
	left += band * 0.15;
	if (*right_edge >= 0)
		kpi_svg_line(svg, "connector", *right_edge, y0, left, y0,
			     "stroke=\"#777777\" stroke-dasharray=\"2 2\"");
	*right_edge = left + w;
	if (total) {
		kpi_svg_rect(svg, "bar total", left, fmin(y0, y1), w,
			     fabs(y1 - y0), "fill=\"#7a7a7a\"");
		kpi_scale_label(to, 0, 0, label);
	} else {
		kpi_svg_rect(svg, v >= 0 ? "bar up" : "bar down", left,
			     fmin(y0, y1), w, fabs(y1 - y0),
			     v >= 0 ? "fill=\"" PLOT_BLUE "\""
				    : "fill=\"" PLOT_VERMILLION "\"");
		label[0] = v > 0 ? '+' : '\0';
		kpi_scale_label(v, 0, 0, label + (v > 0));
	}
	if (kpi_svg_text_width(kpi_svg_text_chars(label), 10) > band)
		return;
	if (!total && v < 0)
		kpi_svg_text(svg, "value", left + w / 2, fmax(y0, y1) + 12,
			     KPI_SVG_MIDDLE, 10, 0, "fill=\"" PLOT_INK "\"",
			     label);
	else
		kpi_svg_text(svg, "value", left + w / 2, fmin(y0, y1) - 4,
			     KPI_SVG_MIDDLE, 10, 0, "fill=\"" PLOT_INK "\"",
			     label);
}

enum kpi_status
plot_waterfall_write(struct kpi_plot *p, struct kpi_svg *svg,
		     struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	struct plot_frame f;
	struct plot_area a;
	struct plot_xaxis xa;
	struct plot_yaxis ya;
	size_t npanels = plot_npanels(t), n = t->nnum, i, k, pi, nslots = 0;
	double *sum = calloc((npanels ? npanels : 1) * n, sizeof(double));
	const char *labels[WF_MAX];
	size_t slot_col[WF_MAX];
	char names[WF_MAX][128], name[512];
	double lo = INFINITY, hi = -INFINITY;

	if (!sum)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (i = 0; i < t->nrows; i++)
		for (k = 0; k < n; k++) {
			double v = plot_num(t, i, k);

			if (isfinite(v))
				sum[t->panel[i] * n + k] += v;
		}
	/* A movement that is zero in every panel takes no room. */
	for (k = 0; k < n; k++) {
		int any = k == 0 || k + 1 == n;
		char *c;

		for (pi = 0; pi < npanels && !any; pi++)
			any = sum[pi * n + k] != 0;
		if (!any)
			continue;
		snprintf(names[nslots], sizeof(names[0]), "%s", t->num_names[k]);
		for (c = names[nslots]; *c; c++)
			if (*c == '_')
				*c = ' ';
		labels[nslots] = names[nslots];
		slot_col[nslots++] = k;
	}
	for (pi = 0; pi < npanels; pi++) {
		double run = 0;

		for (k = 0; k < n; k++) {
			run = k == 0 || k + 1 == n ? sum[pi * n + k]
						   : run + sum[pi * n + k];
			lo = fmin(lo, run);
			hi = fmax(hi, run);
		}
	}
	if (lo > hi) {
		lo = 0;
		hi = 0;
	}
	plot_frame_init(&f, p, npanels, t->nkeys > 0, 0, 0, 0);
	plot_frame_area(&f, 0, &a);
	plot_xaxis_bands(&xa, nslots, labels, a.x1 - a.x0);
	plot_frame_init(&f, p, npanels, t->nkeys > 0, 0,
			plot_xaxis_extra_bottom(&xa), 0);
	plot_frame_area(&f, 0, &a);
	plot_yaxis_init(&ya, p, lo, hi, 0.06, a.y1 - a.y0,
			plot_percent(p, t->num_names, n));
	plot_yaxis_note_base(p, &ya);
	plot_frame_draw(&f, p, svg, NULL, 0);
	if (t->nrows == 0)
		plot_no_data(svg, &f);
	for (pi = 0; pi < npanels; pi++) {
		double run = 0, edge = -1;
		size_t slot = t->slot_at[pi];

		plot_frame_area(&f, pi, &a);
		plot_panel_name(t, pi, name, sizeof(name));
		plot_panel_begin(svg, &a, t->nkeys ? name : NULL);
		plot_yaxis_draw(svg, &ya, &a);
		plot_xaxis_draw(svg, &xa, &a);
		plot_marks_begin(svg, &ya, &a);
		for (i = 0; i < nslots; i++) {
			k = slot_col[i];
			if (k == 0 || k + 1 == n) {
				run = sum[slot * n + k];
				draw_step(svg, &xa, &ya, &a, i, 0, run, 1, &edge);
			} else {
				draw_step(svg, &xa, &ya, &a, i, run,
					  run + sum[slot * n + k], 0, &edge);
				run += sum[slot * n + k];
			}
		}
		plot_marks_end(svg, &ya);
		kpi_svg_group_end(svg);
	}
	free(sum);
	return KPI_OK;
}
