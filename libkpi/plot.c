/* plot.c - kpi-plot's engine: the chart type, the table of the columns a
 * chart reads, and the SVG document around the chart. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/date.h"
#include "kpi/keyorder.h"
#include "kpi/num.h"
#include "plot-internal.h"

static const char *const type_names[] = {
	"auto", "line", "bar", "fan", "funnel", "heatmap", "waterfall",
};

enum kpi_status
kpi_plot_type_parse(const char *s, enum kpi_plot_type *out,
		    struct kpi_error *err)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*out = (enum kpi_plot_type)i;
			return KPI_OK;
		}
	}
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "unknown chart type \"%s\" (line, bar, fan, funnel, heatmap, waterfall)",
			     s);
}

const char *
kpi_plot_type_name(enum kpi_plot_type t)
{
	return type_names[t];
}

/* ==== Shares and option values ==== */

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int
is_share_word(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (len == n)
		return memcmp(s, word, n) == 0;
	return len > n && s[len - n - 1] == '_' && ends_with(s, len, word);
}

int
kpi_plot_is_share(const char *name)
{
	size_t len = strlen(name);

	if (ends_with(name, len, "_lo") || ends_with(name, len, "_hi"))
		len -= 3;
	if (len == 0)
		return 0;
	if (len > 2 && memcmp(name, "p_", 2) == 0)
		return 1;
	if ((len == 3 && (memcmp(name, "nrr", 3) == 0 ||
			  memcmp(name, "grr", 3) == 0)))
		return 1;
	return is_share_word(name, len, "rate") ||
	       is_share_word(name, len, "retention") ||
	       is_share_word(name, len, "share");
}

enum kpi_status
kpi_plot_value_parse(const char *s, double *out, struct kpi_error *err)
{
	size_t len = strlen(s);
	char buf[64];
	double v;

	if (len > 0 && s[len - 1] == '%') {
		if (len >= sizeof(buf))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "\"%s\" is not a number", s);
		memcpy(buf, s, len - 1);
		buf[len - 1] = '\0';
		if (kpi_num_parse(buf, 0, &v, NULL) != KPI_OK)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "\"%s\" is not a percentage", s);
		*out = v / 100;
		return KPI_OK;
	}
	if (kpi_num_parse(s, 0, &v, NULL) != KPI_OK)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\" is not a number (or a percentage such as 20%%)",
				     s);
	*out = v;
	return KPI_OK;
}

int
plot_percent(const struct kpi_plot *p, const char *const *names, size_t n)
{
	size_t i;

	if (p->opt->percent != KPI_PLOT_PERCENT_AUTO)
		return p->opt->percent == KPI_PLOT_PERCENT_ON;
	for (i = 0; i < n; i++)
		if (!kpi_plot_is_share(names[i]))
			return 0;
	return n > 0;
}

void
plot_note(struct kpi_plot *p, const char *text)
{
	size_t len = strlen(p->note);

	if (strstr(p->note, text))
		return;
	snprintf(p->note + len, sizeof(p->note) - len, "%s%s",
		 len ? "; " : "", text);
}

enum kpi_status
kpi_plot_new(struct kpi_plot **out, const struct kpi_plot_options *opt,
	     struct kpi_error *err)
{
	struct kpi_plot *p = calloc(1, sizeof(*p));

	if (!p)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	p->opt = opt;
	p->type = opt->type;
	if (kpi_group_new(&p->t.panels, 1, err) != KPI_OK ||
	    kpi_group_new(&p->t.xcats, 1, err) != KPI_OK ||
	    kpi_group_new(&p->t.cats, 1, err) != KPI_OK) {
		kpi_plot_free(p);
		return KPI_ENOMEM;
	}
	kpi_group_set_max(p->t.xcats, KPI_PLOT_MAX_CATEGORIES);
	kpi_group_set_max(p->t.cats, KPI_PLOT_MAX_CATEGORIES);
	*out = p;
	return KPI_OK;
}

void
kpi_plot_free(struct kpi_plot *p)
{
	if (!p)
		return;
	kpi_group_free(p->t.panels);
	kpi_group_free(p->t.xcats);
	kpi_group_free(p->t.cats);
	free(p->t.panel);
	free(p->t.x);
	free(p->t.cat);
	free(p->t.num);
	free(p->t.slot_at);
	free(p->t.pos_of);
	free(p);
}

/* ==== Columns ==== */

enum kpi_status
plot_find(const struct kpi_csv_header *h, const char *name, size_t *idx,
	  struct kpi_error *err)
{
	enum kpi_status st = kpi_csv_header_find(h, name, idx, err);

	if (st != KPI_OK) {
		if (err)
			err->line = 1;
		return kpi_error_column(err, st, name);
	}
	return KPI_OK;
}

size_t
plot_find_optional(const struct kpi_csv_header *h, const char *name)
{
	size_t idx;

	if (kpi_csv_header_find(h, name, &idx, NULL) != KPI_OK)
		return SIZE_MAX;
	return idx;
}

enum kpi_status
plot_add_num(struct plot_table *t, const struct kpi_csv_header *h,
	     const char *name, int required, size_t *k, struct kpi_error *err)
{
	size_t idx = SIZE_MAX;

	if (t->nnum == PLOT_MAX_NUM)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "more than %d columns to draw",
				     PLOT_MAX_NUM);
	if (required) {
		enum kpi_status st = plot_find(h, name, &idx, err);

		if (st != KPI_OK)
			return st;
	} else {
		idx = plot_find_optional(h, name);
	}
	t->num_names[t->nnum] = name;
	t->num_idx[t->nnum] = idx;
	if (k)
		*k = t->nnum;
	t->nnum++;
	return KPI_OK;
}

enum kpi_status
plot_set_keys(struct kpi_plot *p, const struct kpi_csv_header *h,
	      size_t before, struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	enum kpi_status st;
	size_t i;

	t->nkeys = 0;
	if (p->opt->group_set) {
		if (p->opt->ngroup > PLOT_MAX_KEYS)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "-g: at most %d columns",
					     PLOT_MAX_KEYS);
		for (i = 0; i < p->opt->ngroup; i++) {
			st = plot_find(h, p->opt->group_cols[i],
				       &t->key_idx[i], err);
			if (st != KPI_OK)
				return st;
			t->key_names[i] = p->opt->group_cols[i];
		}
		t->nkeys = p->opt->ngroup;
	} else if (before != SIZE_MAX) {
		for (i = 0; i < before && i < PLOT_MAX_KEYS; i++) {
			t->key_idx[i] = i;
			t->key_names[i] = kpi_csv_header_name(h, i);
		}
		t->nkeys = i;
	}
	if (t->nkeys) {
		kpi_group_free(t->panels);
		t->panels = NULL;
		if (kpi_group_new(&t->panels, t->nkeys, err) != KPI_OK)
			return KPI_ENOMEM;
		kpi_group_set_max(t->panels, KPI_PLOT_MAX_PANELS);
	}
	return KPI_OK;
}

size_t
plot_npanels(const struct plot_table *t)
{
	return t->nkeys ? kpi_group_count(t->panels) : (t->nrows ? 1 : 0);
}

void
plot_panel_name(const struct plot_table *t, size_t i, char *buf, size_t size)
{
	size_t k, n = 0;

	buf[0] = '\0';
	for (k = 0; k < t->nkeys && n + 1 < size; k++) {
		const char *part = kpi_group_part(t->panels, t->slot_at[i], k,
						  NULL);
		int w = snprintf(buf + n, size - n, "%s%s", k ? " / " : "",
				 part ? part : "");

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* ==== Type ==== */

static int
has(const struct kpi_csv_header *h, const char *name)
{
	return plot_find_optional(h, name) != SIZE_MAX;
}

static enum kpi_plot_type
infer_type(const struct kpi_csv_header *h)
{
	if (has(h, "kind") && has(h, "period") && has(h, "value"))
		return KPI_PLOT_FAN;
	if (has(h, "cohort") && has(h, "age"))
		return KPI_PLOT_HEATMAP;
	if (has(h, "opening") && has(h, "closing"))
		return KPI_PLOT_WATERFALL;
	if (has(h, "stage") && has(h, "rate"))
		return KPI_PLOT_FUNNEL;
	return KPI_PLOT_AUTO;	/* line or bar, by the x values */
}

enum kpi_status
kpi_plot_header(struct kpi_plot *p, const struct kpi_csv_header *h,
		struct kpi_error *err)
{
	if (p->type == KPI_PLOT_AUTO)
		p->type = infer_type(h);
	switch (p->type) {
	case KPI_PLOT_FAN:
		return plot_fan_header(p, h, err);
	case KPI_PLOT_FUNNEL:
		return plot_funnel_header(p, h, err);
	case KPI_PLOT_HEATMAP:
		return plot_heatmap_header(p, h, err);
	case KPI_PLOT_WATERFALL:
		return plot_waterfall_header(p, h, err);
	default:
		return plot_line_header(p, h, err);
	}
}

/* ==== Rows ==== */

static enum kpi_status
bad_field(struct kpi_error *err, enum kpi_status st, unsigned long line,
	  const char *column)
{
	if (err)
		err->line = line;
	return kpi_error_column(err, st, column);
}

static enum kpi_status
grow(struct plot_table *t, struct kpi_error *err)
{
	size_t cap = t->cap ? t->cap * 2 : 256;
	void *a, *b, *c, *d;

	if (cap > SIZE_MAX / (sizeof(double) * (t->nnum + 1)))
		return kpi_error_set(err, KPI_ENOMEM, 0, "too many rows");
	a = realloc(t->panel, cap * sizeof(uint32_t));
	if (a)
		t->panel = a;
	b = realloc(t->x, cap * sizeof(double));
	if (b)
		t->x = b;
	c = realloc(t->cat, cap * sizeof(uint32_t));
	if (c)
		t->cat = c;
	d = realloc(t->num, cap * (t->nnum ? t->nnum : 1) * sizeof(double));
	if (d)
		t->num = d;
	if (!a || !b || !c || !d)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	t->cap = cap;
	return KPI_OK;
}

static enum kpi_status
intern(struct kpi_group *g, const char *s, size_t max, const char *what,
       uint32_t *slot, struct kpi_error *err)
{
	size_t len = strlen(s), n;
	enum kpi_status st = kpi_group_intern(g, &s, &len, &n, NULL, err);

	if (st == KPI_ENOMEM && kpi_group_count(g) >= max)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "more than %zu %s: too many to draw",
				     max, what);
	if (st == KPI_OK)
		*slot = (uint32_t)n;
	return st;
}

static enum kpi_status
parse_x(struct kpi_plot *p, const char *field, unsigned long line,
	double *x, struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	const struct kpi_cli_common *c = p->opt->common;
	enum kpi_status st;
	long day;
	uint32_t slot;

	if (t->xkind == PLOT_X_NONE) {
		if (t->x_cat_only)
			t->xkind = PLOT_X_CAT;
		else if (kpi_date_parse(field, p->opt->date_format, &c->cal,
					&day, NULL) == KPI_OK)
			t->xkind = PLOT_X_DATE;
		else if (kpi_num_parse(field, c->decimal_comma, x, NULL) == KPI_OK)
			t->xkind = PLOT_X_NUM;
		else
			t->xkind = PLOT_X_CAT;
	}
	switch (t->xkind) {
	case PLOT_X_DATE:
		st = kpi_date_parse(field, p->opt->date_format, &c->cal, &day,
				    err);
		*x = (double)day;
		break;
	case PLOT_X_NUM:
		st = kpi_num_parse(field, c->decimal_comma, x, err);
		break;
	default:
		st = intern(t->xcats, field, KPI_PLOT_MAX_CATEGORIES,
			    "categories", &slot, err);
		*x = slot;
		break;
	}
	return st == KPI_OK ? st : bad_field(err, st, line, t->x_name);
}

enum kpi_status
kpi_plot_add(struct kpi_plot *p, const struct kpi_csv_record *rec,
	     struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	const struct kpi_cli_common *c = p->opt->common;
	const char *parts[PLOT_MAX_KEYS];
	size_t lens[PLOT_MAX_KEYS], k, slot;
	double *row, x = 0;
	uint32_t cat = 0;
	enum kpi_status st;

	if (t->nrows == t->cap) {
		st = grow(t, err);
		if (st != KPI_OK)
			return st;
	}
	if (t->x_name && kpi_cli_is_missing(c, rec->fields[t->x_idx])) {
		/* No place on the x axis: counted, and said on the chart. */
		t->no_x++;
		return KPI_OK;
	}
	if (t->x_name) {
		st = parse_x(p, rec->fields[t->x_idx], rec->line, &x, err);
		if (st != KPI_OK)
			return st;
	}
	if (t->cat_name) {
		st = intern(t->cats, rec->fields[t->cat_idx],
			    KPI_PLOT_MAX_CATEGORIES, t->cat_name, &cat, err);
		if (st != KPI_OK)
			return bad_field(err, st, rec->line, t->cat_name);
	}
	row = t->num + t->nrows * t->nnum;
	for (k = 0; k < t->nnum; k++) {
		const char *field;

		row[k] = NAN;
		if (t->num_idx[k] == SIZE_MAX)
			continue;
		field = rec->fields[t->num_idx[k]];
		if (kpi_cli_is_missing(c, field))
			continue;
		st = kpi_num_parse(field, c->decimal_comma, &row[k], err);
		if (st != KPI_OK)
			return bad_field(err, st, rec->line, t->num_names[k]);
	}
	slot = 0;
	if (t->nkeys) {
		for (k = 0; k < t->nkeys; k++) {
			parts[k] = rec->fields[t->key_idx[k]];
			lens[k] = strlen(parts[k]);
		}
		st = kpi_group_intern(t->panels, parts, lens, &slot, NULL, err);
		if (st == KPI_ENOMEM &&
		    kpi_group_count(t->panels) >= KPI_PLOT_MAX_PANELS)
			return kpi_error_set(err, KPI_EINVAL, rec->line,
					     "more than %d groups of %s%s: too many panels to draw (select rows, or name other columns with -g)",
					     KPI_PLOT_MAX_PANELS, t->key_names[0],
					     t->nkeys > 1 ? ", ..." : "");
		if (st != KPI_OK)
			return st;
	}
	t->panel[t->nrows] = (uint32_t)slot;
	t->x[t->nrows] = x;
	t->cat[t->nrows] = cat;
	t->nrows++;
	return KPI_OK;
}

/* ==== Helpers of the chart files ==== */

static int
order_compare(const void *a, const void *b)
{
	const struct plot_order *x = a, *y = b;

	if (x->panel != y->panel)
		return x->panel < y->panel ? -1 : 1;
	if (x->x != y->x)
		return x->x < y->x ? -1 : 1;
	return x->row < y->row ? -1 : (x->row > y->row);
}

struct plot_order *
plot_sort_rows(const struct plot_table *t)
{
	struct plot_order *o = malloc((t->nrows ? t->nrows : 1) * sizeof(*o));
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i < t->nrows; i++) {
		o[i].panel = (uint32_t)t->pos_of[t->panel[i]];
		o[i].x = t->x[i];
		o[i].row = i;
	}
	qsort(o, t->nrows, sizeof(*o), order_compare);
	return o;
}

int
plot_num_range(const struct plot_table *t, const size_t *ks, size_t nk,
	       double *min, double *max)
{
	size_t i, k;
	int any = 0;

	*min = 0;
	*max = 0;
	for (i = 0; i < t->nrows; i++) {
		for (k = 0; k < nk; k++) {
			double v = plot_num(t, i, ks[k]);

			if (!isfinite(v))
				continue;
			if (!any || v < *min)
				*min = v;
			if (!any || v > *max)
				*max = v;
			any = 1;
		}
	}
	return any;
}

void
plot_x_range(const struct plot_table *t, double *min, double *max)
{
	size_t i;

	*min = 0;
	*max = 0;
	for (i = 0; i < t->nrows; i++) {
		if (i == 0 || t->x[i] < *min)
			*min = t->x[i];
		if (i == 0 || t->x[i] > *max)
			*max = t->x[i];
	}
}

/* ==== Output ==== */

/* Panels in the order the tools write their groups (kpi/keyorder.h):
 * the keys are distinct, so their ranks are the positions. */
static enum kpi_status
order_panels(struct plot_table *t, const struct kpi_cli_common *common,
	     struct kpi_error *err)
{
	size_t n = plot_npanels(t), i;
	enum kpi_status st;

	t->slot_at = malloc((n ? n : 1) * sizeof(size_t));
	t->pos_of = malloc((n ? n : 1) * sizeof(size_t));
	if (!t->slot_at || !t->pos_of)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (i = 0; i < n; i++)
		t->pos_of[i] = i;
	if (t->nkeys) {
		st = kpi_keyorder_rank(t->panels, t->nkeys, common, t->pos_of,
				       err);
		if (st != KPI_OK)
			return st;
	}
	for (i = 0; i < n; i++)
		t->slot_at[t->pos_of[i]] = i;
	return KPI_OK;
}

enum kpi_status
kpi_plot_write(struct kpi_plot *p, FILE *out, struct kpi_error *err)
{
	struct kpi_svg svg;
	enum kpi_status st;

	st = order_panels(&p->t, p->opt->common, err);
	if (st != KPI_OK)
		return st;
	if (p->opt->title)
		snprintf(p->title, sizeof(p->title), "%s", p->opt->title);
	kpi_svg_begin(&svg, out, p->opt->width, p->opt->height,
		      p->title[0] ? p->title : NULL);
	switch (p->type) {
	case KPI_PLOT_FAN:
		st = plot_fan_write(p, &svg, err);
		break;
	case KPI_PLOT_FUNNEL:
		st = plot_funnel_write(p, &svg, err);
		break;
	case KPI_PLOT_HEATMAP:
		st = plot_heatmap_write(p, &svg, err);
		break;
	case KPI_PLOT_WATERFALL:
		st = plot_waterfall_write(p, &svg, err);
		break;
	default:
		st = plot_line_write(p, &svg, err);
		break;
	}
	if (st != KPI_OK)
		return st;
	if (p->t.no_x) {
		char note[256];

		snprintf(note, sizeof(note), "%lu row%s without %s not drawn",
			 p->t.no_x, p->t.no_x == 1 ? "" : "s", p->t.x_name);
		plot_note(p, note);
	}
	if (p->note[0])
		kpi_svg_text(&svg, "note", p->opt->width - 6,
			     p->opt->height - 4, KPI_SVG_END, 9, 0,
			     "fill=\"#777777\"", p->note);
	return kpi_svg_end(&svg, err);
}
