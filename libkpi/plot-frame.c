/* plot-frame.c - the page of a chart: title, legend, the grid of small
 * multiples, and the value, date, number and category axes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/num.h"
#include "plot-internal.h"

/* Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish
 * green, vermillion, reddish purple, sky blue, yellow, black (yellow late:
 * it is faint on white). */
const char *const plot_palette[PLOT_PALETTE_SIZE] = {
	"#0072B2", "#E69F00", "#009E73", "#D55E00",
	"#CC79A7", "#56B4E9", "#F0E442", "#000000",
};

/* Margins (px), documented in kpi-plot(1) so that a test can compute where
 * a point must be. */
#define MARGIN_LEFT 64
#define MARGIN_RIGHT 28
#define MARGIN_BOTTOM 44
#define TITLE_BAND 40		/* title baseline at 22 */
#define NO_TITLE_BAND 12
#define LEGEND_BAND 22
#define PANEL_TITLE 18
#define GAP 16
#define COL_GAP 28	/* between panel columns: room for end labels */
#define TICK_FONT 10
#define TICK_CHAR (0.6 * TICK_FONT)
#define CAT_LABEL_MAX 20	/* characters of a category label */

void
plot_frame_init(struct plot_frame *f, const struct kpi_plot *p,
		size_t npanels, int panel_titles, size_t nlegend,
		double extra_bottom, double extra_right)
{
	double avail_w, avail_h, best = -1;
	size_t c;

	memset(f, 0, sizeof(*f));
	f->width = p->opt->width;
	f->height = p->opt->height;
	f->top = p->title[0] ? TITLE_BAND : NO_TITLE_BAND;
	if (nlegend)
		f->top += LEGEND_BAND;
	f->left = MARGIN_LEFT;
	f->right = f->width - MARGIN_RIGHT - extra_right;
	f->extra_bottom = extra_bottom;
	f->bottom = f->height - MARGIN_BOTTOM - extra_bottom;
	f->npanels = npanels ? npanels : 1;
	f->panel_titles = panel_titles;
	avail_w = f->right - f->left;
	avail_h = f->bottom - f->top;
	/* The grid whose cells come closest to 1.6:1 wins. */
	for (c = 1; c <= f->npanels; c++) {
		size_t r = (f->npanels + c - 1) / c;
		double w = (avail_w - (double)(c - 1) * COL_GAP) / (double)c;
		double h = (avail_h - (double)(r - 1) * GAP) / (double)r;
		double score = fmin(w / 1.6, h);

		if (score > best) {
			best = score;
			f->cols = c;
			f->rows = r;
		}
	}
	f->cell_w = (avail_w - (double)(f->cols - 1) * COL_GAP) /
		    (double)f->cols;
	f->cell_h = (avail_h - (double)(f->rows - 1) * GAP) / (double)f->rows;
}

void
plot_frame_area(const struct plot_frame *f, size_t i, struct plot_area *a)
{
	size_t r = i / f->cols, c = i % f->cols;

	a->x0 = f->left + (double)c * (f->cell_w + COL_GAP);
	a->x1 = a->x0 + f->cell_w;
	a->y0 = f->top + (double)r * (f->cell_h + GAP) +
		(f->panel_titles ? PANEL_TITLE : 0);
	a->y1 = f->top + (double)r * (f->cell_h + GAP) + f->cell_h;
	a->y_labels = c == 0;
	a->last_col = c + 1 == f->cols;
	a->x_labels = r + 1 == f->rows || i + f->cols >= f->npanels;
}

void
plot_frame_draw(const struct plot_frame *f, const struct kpi_plot *p,
		struct kpi_svg *svg, const struct plot_legend_item *legend,
		size_t nlegend)
{
	double x, y;
	size_t i;

	if (p->title[0])
		kpi_svg_text(svg, "title", 12, 22, KPI_SVG_START, 14, 0,
			     "font-weight=\"bold\" fill=\"" PLOT_INK "\"",
			     p->title);
	if (nlegend) {
		kpi_svg_group_begin(svg, "legend", NULL);
		x = f->left;
		y = (p->title[0] ? TITLE_BAND : NO_TITLE_BAND) + 6;
		for (i = 0; i < nlegend; i++) {
			const struct plot_legend_item *it = &legend[i];
			char style[96];

			if (it->line) {
				snprintf(style, sizeof(style),
					 "stroke=\"%s\" stroke-width=\"2\"%s",
					 it->color, it->dashed ?
					 " stroke-dasharray=\"4 3\"" : "");
				kpi_svg_line(svg, "swatch", x, y, x + 16, y,
					     style);
			} else {
				snprintf(style, sizeof(style), "fill=\"%s\"",
					 it->color);
				kpi_svg_rect(svg, "swatch", x + 2, y - 5, 12,
					     10, style);
			}
			kpi_svg_text(svg, "legend-label", x + 20, y + 4,
				     KPI_SVG_START, 11, 0,
				     "fill=\"" PLOT_INK "\"", it->label);
			x += 20 + kpi_svg_text_width(kpi_svg_text_chars(it->label),
						     11) + 18;
		}
		kpi_svg_group_end(svg);
	}
	if (p->y_label)
		kpi_svg_text(svg, "axis-title", 14, (f->top + f->bottom) / 2,
			     KPI_SVG_MIDDLE, 11, -90, "fill=\"#444444\"",
			     p->y_label);
	if (p->x_label)
		kpi_svg_text(svg, "axis-title", (f->left + f->right) / 2,
			     f->height - 10, KPI_SVG_MIDDLE, 11, 0,
			     "fill=\"#444444\"", p->x_label);
}

void
plot_panel_begin(struct kpi_svg *svg, const struct plot_area *a,
		 const char *title)
{
	kpi_svg_group_begin(svg, "panel", NULL);
	kpi_svg_rect(svg, "frame", a->x0, a->y0, a->x1 - a->x0, a->y1 - a->y0,
		     "fill=\"none\"");
	if (title)
		kpi_svg_text(svg, "panel-title", a->x0, a->y0 - 6,
			     KPI_SVG_START, 11, 0,
			     "font-weight=\"bold\" fill=\"" PLOT_INK "\"", title);
}

void
plot_no_data(struct kpi_svg *svg, const struct plot_frame *f)
{
	kpi_svg_text(svg, "no-data", f->width / 2, f->height / 2,
		     KPI_SVG_MIDDLE, 14, 0, "fill=\"#666666\"", "no data");
}

/* ==== Value axis ==== */

void
plot_yaxis_init(struct plot_yaxis *y, struct kpi_plot *p, double min,
		double max, double headroom, double height_px, int percent)
{
	const struct kpi_plot_options *o = p->opt;
	int want = (int)(height_px / 45);
	double top = max;
	char note[128], end[KPI_LABEL_BUFSZ];

	if (!o->has_y_max && top > 0)
		top += (top - fmin(min, 0)) * headroom;
	kpi_axis_value(min, top, want < 3 ? 3 : want,
		       o->has_y_min ? &o->y_min : NULL,
		       o->has_y_max ? &o->y_max : NULL, &y->axis);
	y->percent = percent;
	y->clip = 0;
	if (o->has_y_min && min < y->axis.lo) {
		kpi_scale_label(y->axis.lo, 0, percent, end);
		snprintf(note, sizeof(note), "values below %s cut at the axis",
			 end);
		plot_note(p, note);
		y->clip = 1;
	}
	if (o->has_y_max && max > y->axis.hi) {
		kpi_scale_label(y->axis.hi, 0, percent, end);
		snprintf(note, sizeof(note), "values above %s cut at the axis",
			 end);
		plot_note(p, note);
		y->clip = 1;
	}
}

void
plot_yaxis_note_base(struct kpi_plot *p, const struct plot_yaxis *y)
{
	char note[128], end[KPI_LABEL_BUFSZ];

	if (y->axis.lo <= 0 && y->axis.hi >= 0)
		return;
	kpi_scale_label(y->axis.lo > 0 ? y->axis.lo : y->axis.hi, 0,
			y->percent, end);
	snprintf(note, sizeof(note), "bars start at %s, not at 0", end);
	plot_note(p, note);
}

double
plot_y(const struct plot_yaxis *y, const struct plot_area *a, double v)
{
	struct kpi_scale s = { y->axis.lo, y->axis.hi, a->y1, a->y0 };

	return kpi_scale_map(&s, v);
}

void
plot_yaxis_draw(struct kpi_svg *svg, const struct plot_yaxis *y,
		const struct plot_area *a)
{
	const struct kpi_ticks *t = &y->axis.ticks;
	double slack = (y->axis.hi - y->axis.lo) * 1e-9;
	char label[KPI_LABEL_BUFSZ];
	size_t i;

	for (i = 0; i < t->n; i++) {
		double v = kpi_ticks_value(t, i);
		double py = plot_y(y, a, v);

		if (v < y->axis.lo - slack || v > y->axis.hi + slack)
			continue;
		kpi_svg_line(svg, v == 0 ? "baseline" : "grid", a->x0, py,
			     a->x1, py, v == 0 ? "stroke=\"#999999\"" :
			     "stroke=\"#e3e3e3\"");
		if (!a->y_labels)
			continue;
		kpi_scale_label(v, t->step, y->percent, label);
		kpi_svg_text(svg, "tick-label", a->x0 - 6, py + 3.5, KPI_SVG_END,
			     TICK_FONT, 0, "fill=\"#555555\"", label);
	}
}

void
plot_marks_begin(struct kpi_svg *svg, const struct plot_yaxis *y,
		 const struct plot_area *a)
{
	/* 3 px of slack all round, so that a point marker (2.5 px) on the
	 * edge is drawn whole. */
	if (y->clip)
		kpi_svg_viewport_begin(svg, "marks", a->x0 - 3, a->y0 - 3,
				       a->x1 - a->x0 + 6, a->y1 - a->y0 + 6);
}

void
plot_marks_end(struct kpi_svg *svg, const struct plot_yaxis *y)
{
	if (y->clip)
		kpi_svg_viewport_end(svg);
}

void
plot_share_label(double v, char *buf)
{
	size_t n;

	if (v == 0 || v == 1 || !isfinite(v) || fabs(v) < 0.001 ||
	    fabs(v) >= 10) {
		kpi_scale_label(v, 0, 1, buf);
		return;
	}
	n = kpi_num_format(v * 100, 1, buf);
	strcpy(buf + n, "%");
}

/* ==== x axes ==== */

void
plot_xaxis_values(struct plot_xaxis *x, enum plot_xkind kind, double d0,
		  double d1, double width_px)
{
	int want = (int)(width_px / 80);

	memset(x, 0, sizeof(*x));
	x->kind = kind;
	if (kind == PLOT_X_DATE) {
		x->d0 = d0;
		x->d1 = d1;
		kpi_date_ticks((long)d0, (long)d1, width_px, TICK_CHAR, 14,
			       &x->dticks);
		return;
	}
	kpi_ticks_nice(d0, d1, want < 2 ? 2 : want, &x->ticks);
	x->d0 = x->ticks.lo;
	x->d1 = x->ticks.hi;
}

static size_t
label_chars(const char *s)
{
	size_t n = kpi_svg_text_chars(s);

	return n > CAT_LABEL_MAX ? CAT_LABEL_MAX : n;
}

void
plot_xaxis_bands(struct plot_xaxis *x, size_t n, const char **labels,
		 double width_px)
{
	double band, widest = 0;
	size_t i;

	memset(x, 0, sizeof(*x));
	x->kind = PLOT_X_CAT;
	x->ncat = n;
	x->cat_labels = labels;
	x->label_every = 1;
	if (n == 0)
		return;
	band = width_px / (double)n;
	for (i = 0; i < n; i++)
		widest = fmax(widest, kpi_svg_text_width(label_chars(labels[i]),
							 TICK_FONT));
	if (widest + 6 <= band)
		return;
	/* Turned labels need about a line height each. */
	x->turn = -35;
	x->label_every = (size_t)ceil(14 / band);
	if (x->label_every < 1)
		x->label_every = 1;
}

double
plot_xaxis_extra_bottom(const struct plot_xaxis *x)
{
	double widest = 0;
	size_t i;

	if (x->turn == 0)
		return 0;
	for (i = 0; i < x->ncat; i++)
		widest = fmax(widest, kpi_svg_text_width(label_chars(x->cat_labels[i]),
							 TICK_FONT));
	return widest * sin(35 * M_PI / 180);
}

double
plot_x(const struct plot_xaxis *x, const struct plot_area *a, double v)
{
	struct kpi_scale s = { x->d0, x->d1, a->x0, a->x1 };

	if (x->kind == PLOT_X_CAT) {
		double left, width;

		plot_band(x, a, (size_t)v, &left, &width);
		return left + width / 2;
	}
	return kpi_scale_map(&s, v);
}

void
plot_band(const struct plot_xaxis *x, const struct plot_area *a, size_t i,
	  double *left, double *width)
{
	*width = (a->x1 - a->x0) / (double)(x->ncat ? x->ncat : 1);
	*left = a->x0 + (double)i * *width;
}

/* A category label cut to CAT_LABEL_MAX characters with an ellipsis. */
static void
short_label(const char *s, char *buf, size_t size)
{
	size_t chars = 0, n = 0;

	if (kpi_svg_text_chars(s) <= CAT_LABEL_MAX) {
		snprintf(buf, size, "%s", s);
		return;
	}
	for (; s[n] && n + 4 < size; n++)
		if (((unsigned char)s[n] & 0xc0) != 0x80 &&
		    chars++ == CAT_LABEL_MAX - 1)
			break;
	memcpy(buf, s, n);
	strcpy(buf + n, "\xe2\x80\xa6");	/* U+2026 */
}

/* A centred tick label must not run into the next panel or off the page. */
static int
label_fits(const struct plot_area *a, double px, const char *label)
{
	double half = kpi_svg_text_width(kpi_svg_text_chars(label), TICK_FONT) / 2;

	double right = a->last_col ? a->x1 + MARGIN_RIGHT - 2
				   : a->x1 + COL_GAP / 2 - 1;
	double left = a->y_labels ? a->x0 - MARGIN_LEFT + 30
				  : a->x0 - COL_GAP / 2 + 1;

	return px + half <= right && px - half >= left;
}

void
plot_xaxis_draw(struct kpi_svg *svg, const struct plot_xaxis *x,
		const struct plot_area *a)
{
	char label[KPI_LABEL_BUFSZ * 4];
	size_t i;
	double px;

	kpi_svg_line(svg, "axis", a->x0, a->y1, a->x1, a->y1,
		     "stroke=\"#999999\"");
	if (x->kind == PLOT_X_CAT) {
		for (i = 0; i < x->ncat; i += x->label_every) {
			px = plot_x(x, a, (double)i);
			kpi_svg_line(svg, "tick", px, a->y1, px, a->y1 + 4,
				     "stroke=\"#999999\"");
			if (!a->x_labels)
				continue;
			short_label(x->cat_labels[i], label, sizeof(label));
			if (x->turn != 0)
				kpi_svg_text(svg, "tick-label", px + 3, a->y1 + 12,
					     KPI_SVG_END, TICK_FONT, x->turn,
					     "fill=\"#555555\"", label);
			else
				kpi_svg_text(svg, "tick-label", px, a->y1 + 15,
					     KPI_SVG_MIDDLE, TICK_FONT, 0,
					     "fill=\"#555555\"", label);
		}
		return;
	}
	if (x->kind == PLOT_X_DATE) {
		for (i = 0; i < x->dticks.n; i++) {
			px = plot_x(x, a, (double)x->dticks.day[i]);
			kpi_svg_line(svg, "tick", px, a->y1, px, a->y1 + 4,
				     "stroke=\"#999999\"");
			if (!a->x_labels)
				continue;
			kpi_date_ticks_label(&x->dticks, i, label);
			if (!label_fits(a, px, label))
				continue;
			kpi_svg_text(svg, "tick-label", px, a->y1 + 15,
				     KPI_SVG_MIDDLE, TICK_FONT, 0,
				     "fill=\"#555555\"", label);
		}
		return;
	}
	for (i = 0; i < x->ticks.n; i++) {
		double v = kpi_ticks_value(&x->ticks, i);

		px = plot_x(x, a, v);
		kpi_svg_line(svg, "tick", px, a->y1, px, a->y1 + 4,
			     "stroke=\"#999999\"");
		if (!a->x_labels)
			continue;
		kpi_scale_label(v, x->ticks.step, 0, label);
		if (!label_fits(a, px, label))
			continue;
		kpi_svg_text(svg, "tick-label", px, a->y1 + 15, KPI_SVG_MIDDLE,
			     TICK_FONT, 0, "fill=\"#555555\"", label);
	}
}

void
plot_whisker(struct kpi_svg *svg, double x, double y_lo, double y_hi,
	     double half)
{
	char a[KPI_SVG_NUMSZ], l[KPI_SVG_NUMSZ], h[KPI_SVG_NUMSZ];
	char x0[KPI_SVG_NUMSZ], x1[KPI_SVG_NUMSZ], d[12 * KPI_SVG_NUMSZ];

	kpi_svg_num(x, a);
	kpi_svg_num(y_lo, l);
	kpi_svg_num(y_hi, h);
	kpi_svg_num(x - half, x0);
	kpi_svg_num(x + half, x1);
	snprintf(d, sizeof(d), "M%s %sV%sM%s %sH%sM%s %sH%s", a, l, h, x0, l,
		 x1, x0, h, x1);
	kpi_svg_path(svg, "whisker", d,
		     "fill=\"none\" stroke=\"" PLOT_INK "\" stroke-width=\"1.2\"");
}
