/* agg.c - group-by and period rollup: the engine behind kpi-agg.
 *
 * One pass over the rows.  Each (group key, period) tuple is interned into a
 * kpi_group table that hands out dense slot numbers; accumulators live in
 * arrays indexed by slot.  Numeric columns are parsed once per row however
 * many aggregates read them, and every value of a row is checked before any
 * accumulator changes, so a rejected row leaves no trace. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/agg.h"
#include "kpi/group.h"
#include "kpi/keyorder.h"
#include "kpi/num.h"
#include "kpi/stats.h"

/* The period part of a key for rows whose date is empty. */
#define NO_PERIOD LONG_MIN

/* ==== Parsing the -a list ==== */

struct op_name {
	const char *name;
	enum kpi_agg_op op;
	int numeric;		/* needs the column parsed as a number */
};

static const struct op_name op_names[] = {
	{ "count", KPI_AGG_COUNT_VALUES, 0 },
	{ "missing", KPI_AGG_MISSING, 0 },
	{ "sum", KPI_AGG_SUM, 1 },
	{ "mean", KPI_AGG_MEAN, 1 },
	{ "min", KPI_AGG_MIN, 1 },
	{ "max", KPI_AGG_MAX, 1 },
	{ "range", KPI_AGG_RANGE, 1 },
	{ "var", KPI_AGG_VAR, 1 },
	{ "sd", KPI_AGG_SD, 1 },
	{ "varp", KPI_AGG_VARP, 1 },
	{ "sdp", KPI_AGG_SDP, 1 },
	{ "median", KPI_AGG_QUANTILE, 1 },
	{ "distinct", KPI_AGG_DISTINCT, 0 },
	{ "first", KPI_AGG_FIRST, 0 },
	{ "last", KPI_AGG_LAST, 0 },
};

static int
op_is_numeric(enum kpi_agg_op op)
{
	size_t i;

	if (op == KPI_AGG_QUANTILE)
		return 1;
	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i].op == op)
			return op_names[i].numeric;
	return 0;
}

/* "p90" -> 0.9, "p99.5" -> 0.995; the percentage is 0..100. */
static int
parse_percentile(const char *s, size_t len, double *p)
{
	char buf[32];
	double v;

	if (len < 2 || s[0] != 'p' || len >= sizeof(buf))
		return 0;
	memcpy(buf, s + 1, len - 1);
	buf[len - 1] = '\0';
	if (buf[0] < '0' || buf[0] > '9' ||
	    kpi_num_parse(buf, 0, &v, NULL) != KPI_OK || v < 0 || v > 100)
		return 0;
	*p = v / 100;
	return 1;
}

static enum kpi_status
parse_one_spec(const char *item, size_t len, struct kpi_agg_spec *spec,
	       struct kpi_error *err)
{
	const char *colon = memchr(item, ':', len);
	size_t oplen = colon ? (size_t)(colon - item) : len;
	size_t i, clen;
	int found = 0;

	memset(spec, 0, sizeof(*spec));
	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		if (strlen(op_names[i].name) == oplen &&
		    memcmp(op_names[i].name, item, oplen) == 0) {
			spec->op = op_names[i].op;
			if (spec->op == KPI_AGG_QUANTILE)
				spec->p = 0.5;
			found = 1;
			break;
		}
	}
	if (!found && parse_percentile(item, oplen, &spec->p)) {
		spec->op = KPI_AGG_QUANTILE;
		found = 1;
	}
	if (!found)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "unknown aggregate \"%.*s\" (try count, sum, mean, min, max, range, var, sd, varp, sdp, median, p90, distinct, first, last, missing)",
				     (int)oplen, item);
	if (!colon) {
		if (spec->op != KPI_AGG_COUNT_VALUES)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "aggregate \"%.*s\" needs a column: %.*s:COLUMN",
					     (int)oplen, item, (int)oplen, item);
		spec->op = KPI_AGG_COUNT;
		spec->name = strdup("count");
		return spec->name ? KPI_OK
				  : kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	clen = len - oplen - 1;
	if (clen == 0)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "aggregate \"%.*s\" has an empty column name",
				     (int)len, item);
	spec->column = malloc(clen + 1);
	spec->name = malloc(clen + 1 + oplen + 1);
	if (!spec->column || !spec->name)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	memcpy(spec->column, colon + 1, clen);
	spec->column[clen] = '\0';
	memcpy(spec->name, colon + 1, clen);
	spec->name[clen] = '_';
	memcpy(spec->name + clen + 1, item, oplen);
	spec->name[clen + 1 + oplen] = '\0';
	return KPI_OK;
}

enum kpi_status
kpi_agg_spec_parse(const char *list, struct kpi_agg_spec **out, size_t *n,
		   struct kpi_error *err)
{
	struct kpi_agg_spec *specs;
	size_t count = 1, i = 0;
	const char *p;
	enum kpi_status st = KPI_OK;

	for (p = list; *p; p++)
		count += *p == ',';
	specs = calloc(count, sizeof(*specs));
	if (!specs)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (p = list; st == KPI_OK && i < count; i++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0)
			st = kpi_error_set(err, KPI_EINVAL, 0,
					   "empty item in the aggregate list \"%s\"",
					   list);
		else
			st = parse_one_spec(p, len, &specs[i], err);
		p = end ? end + 1 : p + len;
	}
	if (st != KPI_OK) {
		kpi_agg_specs_free(specs, count);
		return st;
	}
	*out = specs;
	*n = count;
	return KPI_OK;
}

void
kpi_agg_specs_free(struct kpi_agg_spec *specs, size_t n)
{
	size_t i;

	if (!specs)
		return;
	for (i = 0; i < n; i++) {
		free(specs[i].column);
		free(specs[i].name);
	}
	free(specs);
}

/* ==== The aggregation ==== */

/* Text kept for first/last: a buffer per slot, reused by "last". */
struct text_cell {
	char *s;
	size_t cap;
	int set;
};

struct kpi_agg {
	const struct kpi_agg_options *opt;
	const struct kpi_csv_header *header;	/* borrowed */
	size_t *group_idx;		/* column index of each -g column */
	size_t time_idx;
	size_t *spec_col;		/* column index of each spec (or 0) */
	size_t *spec_num;		/* numeric column slot of each spec */
	size_t *num_col;		/* column index of each numeric column */
	int *num_needs_values;		/* keep values for quantiles */
	size_t nnum;
	size_t nparts;			/* parts of a group key */

	struct kpi_group *table;
	size_t cap;			/* slots the arrays below can hold */
	unsigned long long *count;	/* [slot] rows */
	struct kpi_moments *mom;	/* [slot * nnum + k] */
	struct kpi_values *vals;	/* [slot * nnum + k] */
	unsigned char *sorted;		/* [slot * nnum + k] */
	unsigned long long *counter;	/* [slot * nspecs + s] */
	struct text_cell *text;		/* [slot * nspecs + s] */
	struct kpi_group *distinct;	/* (slot, spec, value) tuples */

	/* per-row scratch */
	const char **parts;
	size_t *lens;
	double *num;
	unsigned char *num_missing;

	long last_day;			/* latest date used */
	int have_day;
	unsigned long out_of_range;

	/* The first aggregate whose value overflowed (finite values whose
	 * sum, range or variance lies beyond the largest double): the output
	 * is refused rather than written with an empty cell. */
	int overflowed;
	size_t overflow_spec, overflow_slot;
};

enum kpi_status
kpi_agg_new(struct kpi_agg **out, const struct kpi_agg_options *opt,
	    struct kpi_error *err)
{
	struct kpi_agg *a = calloc(1, sizeof(*a));
	size_t n = opt->nspecs;

	if (!a)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	a->opt = opt;
	a->nparts = opt->ngroup + (opt->time_col ? 1 : 0);
	if (a->nparts == 0)
		a->nparts = 1;	/* one empty part: the grand total */
	a->group_idx = calloc(opt->ngroup + 1, sizeof(size_t));
	a->spec_col = calloc(n + 1, sizeof(size_t));
	a->spec_num = calloc(n + 1, sizeof(size_t));
	a->num_col = calloc(n + 1, sizeof(size_t));
	a->num_needs_values = calloc(n + 1, sizeof(int));
	a->parts = calloc(a->nparts, sizeof(char *));
	a->lens = calloc(a->nparts, sizeof(size_t));
	a->num = calloc(n + 1, sizeof(double));
	a->num_missing = calloc(n + 1, 1);
	if (!a->group_idx || !a->spec_col || !a->spec_num || !a->num_col ||
	    !a->num_needs_values || !a->parts || !a->lens || !a->num ||
	    !a->num_missing) {
		kpi_agg_free(a);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	if (kpi_group_new(&a->table, a->nparts, err) != KPI_OK) {
		kpi_agg_free(a);
		return KPI_ENOMEM;
	}
	*out = a;
	return KPI_OK;
}

void
kpi_agg_free(struct kpi_agg *a)
{
	size_t i, nspecs;

	if (!a)
		return;
	nspecs = a->opt->nspecs;
	for (i = 0; a->vals && i < a->cap * a->nnum; i++)
		kpi_values_free(&a->vals[i]);
	for (i = 0; a->text && i < a->cap * nspecs; i++)
		free(a->text[i].s);
	kpi_group_free(a->table);
	kpi_group_free(a->distinct);
	free(a->group_idx);
	free(a->spec_col);
	free(a->spec_num);
	free(a->num_col);
	free(a->num_needs_values);
	free(a->parts);
	free(a->lens);
	free(a->num);
	free(a->num_missing);
	free(a->count);
	free(a->mom);
	free(a->vals);
	free(a->sorted);
	free(a->counter);
	free(a->text);
	free(a);
}

static enum kpi_status
find_column(const struct kpi_csv_header *h, const char *name, size_t *idx,
	    struct kpi_error *err)
{
	enum kpi_status st = kpi_csv_header_find(h, name, idx, err);

	if (st != KPI_OK)
		kpi_error_column(err, st, name);
	return st;
}

enum kpi_status
kpi_agg_header(struct kpi_agg *a, const struct kpi_csv_header *h,
	       struct kpi_error *err)
{
	const struct kpi_agg_options *opt = a->opt;
	size_t i, k;
	enum kpi_status st;
	int any_distinct = 0;

	a->header = h;
	for (i = 0; i < opt->ngroup; i++) {
		st = find_column(h, opt->group_cols[i], &a->group_idx[i], err);
		if (st != KPI_OK)
			return st;
	}
	if (opt->time_col) {
		st = find_column(h, opt->time_col, &a->time_idx, err);
		if (st != KPI_OK)
			return st;
	}
	for (i = 0; i < opt->nspecs; i++) {
		const struct kpi_agg_spec *sp = &opt->specs[i];

		if (!sp->column)
			continue;
		st = find_column(h, sp->column, &a->spec_col[i], err);
		if (st != KPI_OK)
			return st;
		any_distinct |= sp->op == KPI_AGG_DISTINCT;
		if (!op_is_numeric(sp->op))
			continue;
		/* Share one parsed value per column among its aggregates. */
		for (k = 0; k < a->nnum && a->num_col[k] != a->spec_col[i]; k++)
			;
		if (k == a->nnum)
			a->num_col[a->nnum++] = a->spec_col[i];
		a->spec_num[i] = k;
		if (sp->op == KPI_AGG_QUANTILE)
			a->num_needs_values[k] = 1;
	}
	if (any_distinct)
		return kpi_group_new(&a->distinct, 2, err);
	return KPI_OK;
}

/* Make room for slot number `slot` in every per-slot array. */
static enum kpi_status
grow(struct kpi_agg *a, size_t slot, struct kpi_error *err)
{
	size_t nspecs = a->opt->nspecs, cap = a->cap ? a->cap : 64;
	void *p;

	if (slot < a->cap)
		return KPI_OK;
	while (cap <= slot)
		cap *= 2;
#define GROW(field, per)						\
	do {								\
		size_t old_ = a->cap * (per), new_ = cap * (per);	\
		p = realloc(a->field, (new_ ? new_ : 1) * sizeof(*a->field)); \
		if (!p)							\
			goto nomem;					\
		a->field = p;						\
		memset(a->field + old_, 0, (new_ - old_) * sizeof(*a->field)); \
	} while (0)
	GROW(count, 1);
	GROW(mom, a->nnum);
	GROW(vals, a->nnum);
	GROW(sorted, a->nnum);
	GROW(counter, nspecs);
	GROW(text, nspecs);
#undef GROW
	for (size_t i = a->cap * a->nnum; i < cap * a->nnum; i++)
		kpi_moments_init(&a->mom[i]);
	a->cap = cap;
	return KPI_OK;
nomem:
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory (%zu groups)",
			     slot);
}

static enum kpi_status
set_text(struct text_cell *c, const char *s, struct kpi_error *err)
{
	size_t len = strlen(s);

	if (len + 1 > c->cap) {
		char *p = realloc(c->s, len + 1);

		if (!p)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		c->s = p;
		c->cap = len + 1;
	}
	memcpy(c->s, s, len + 1);
	c->set = 1;
	return KPI_OK;
}

static enum kpi_status
count_distinct(struct kpi_agg *a, size_t slot, size_t s, const char *value,
	       struct kpi_error *err)
{
	uint64_t id[2] = { slot, s };
	const char *parts[2] = { (const char *)id, value };
	size_t lens[2] = { sizeof(id), strlen(value) };
	size_t dslot;
	int added;
	enum kpi_status st;

	st = kpi_group_intern(a->distinct, parts, lens, &dslot, &added, err);
	if (st == KPI_OK && added)
		a->counter[slot * a->opt->nspecs + s]++;
	return st;
}

/* Fold a checked row into the accumulators of `slot`. */
static enum kpi_status
accumulate(struct kpi_agg *a, size_t slot, const struct kpi_csv_record *rec,
	   struct kpi_error *err)
{
	const struct kpi_agg_options *opt = a->opt;
	const struct kpi_cli_common *common = opt->common;
	size_t k, s;
	enum kpi_status st;

	a->count[slot]++;
	for (k = 0; k < a->nnum; k++) {
		size_t cell = slot * a->nnum + k;

		if (a->num_missing[k])
			continue;
		kpi_moments_add(&a->mom[cell], a->num[k]);
		if (a->num_needs_values[k]) {
			st = kpi_values_push(&a->vals[cell], a->num[k], err);
			if (st != KPI_OK)
				return st;
			a->sorted[cell] = 0;
		}
	}
	for (s = 0; s < opt->nspecs; s++) {
		const struct kpi_agg_spec *sp = &opt->specs[s];
		const char *field;
		size_t cell = slot * opt->nspecs + s;
		int missing;

		if (!sp->column || op_is_numeric(sp->op))
			continue;
		field = rec->fields[a->spec_col[s]];
		missing = kpi_cli_is_missing(common, field);
		switch (sp->op) {
		case KPI_AGG_COUNT_VALUES:
			a->counter[cell] += !missing;
			break;
		case KPI_AGG_MISSING:
			a->counter[cell] += missing;
			break;
		case KPI_AGG_DISTINCT:
			if (!missing) {
				st = count_distinct(a, slot, s, field, err);
				if (st != KPI_OK)
					return st;
			}
			break;
		case KPI_AGG_FIRST:
			if (!a->text[cell].set && !missing) {
				st = set_text(&a->text[cell], field, err);
				if (st != KPI_OK)
					return st;
			}
			break;
		case KPI_AGG_LAST:
			if (!missing) {
				st = set_text(&a->text[cell], field, err);
				if (st != KPI_OK)
					return st;
			}
			break;
		default:
			break;
		}
	}
	return KPI_OK;
}

/* The period of a row, or NO_PERIOD for an empty date.  Rows outside
 * --from/--to/--as-of are KPI_ESTOP (skipped, counted). */
static enum kpi_status
row_period(struct kpi_agg *a, const char *field, unsigned long line,
	   long *period, struct kpi_error *err)
{
	const struct kpi_agg_options *opt = a->opt;
	long day;
	enum kpi_status st;

	if (kpi_cli_is_missing(opt->common, field)) {
		*period = NO_PERIOD;
		return KPI_OK;
	}
	st = kpi_date_parse(field, opt->date_format, &opt->common->cal, &day,
			    err);
	if (st != KPI_OK) {
		err->line = line;
		return kpi_error_column(err, st, opt->time_col);
	}
	if ((opt->has_as_of && day > opt->as_of) ||
	    (opt->has_to && day > opt->to) ||
	    (opt->has_from && day < opt->from))
		return KPI_ESTOP;
	if (!a->have_day || day > a->last_day)
		a->last_day = day;
	a->have_day = 1;
	*period = kpi_period_start(day, opt->every, &opt->common->cal);
	return KPI_OK;
}

/* Markers other software writes for a missing value. */
static int
looks_like_na(const char *s)
{
	static const char *const markers[] = {
		"NA", "N/A", "n/a", "NULL", "null", "None", "#N/A", "-", "?",
	};
	size_t i;

	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strcmp(s, markers[i]) == 0)
			return 1;
	return 0;
}

static void
append_na_hint(struct kpi_error *err)
{
	size_t len = strlen(err->msg);

	snprintf(err->msg + len, sizeof(err->msg) - len,
		 " (to read it as missing, use --na)");
}

enum kpi_status
kpi_agg_add(struct kpi_agg *a, const struct kpi_csv_record *rec,
	    struct kpi_error *err)
{
	const struct kpi_agg_options *opt = a->opt;
	static const char empty[] = "";
	long period = 0;
	size_t i, slot;
	enum kpi_status st;

	/* Check every value before touching any accumulator. */
	for (i = 0; i < a->nnum; i++) {
		const char *field = rec->fields[a->num_col[i]];

		a->num_missing[i] = (unsigned char)kpi_cli_is_missing(opt->common,
								      field);
		if (a->num_missing[i])
			continue;
		st = kpi_num_parse(field, opt->common->decimal_comma, &a->num[i],
				   err);
		if (st != KPI_OK) {
			err->line = rec->line;
			if (looks_like_na(field))
				append_na_hint(err);
			return kpi_error_column(err, st,
						kpi_csv_header_name(a->header, a->num_col[i]));
		}
	}
	if (opt->time_col) {
		st = row_period(a, rec->fields[a->time_idx], rec->line, &period,
				err);
		if (st == KPI_ESTOP) {
			a->out_of_range++;
			return KPI_OK;
		}
		if (st != KPI_OK)
			return st;
	}

	for (i = 0; i < opt->ngroup; i++) {
		a->parts[i] = rec->fields[a->group_idx[i]];
		a->lens[i] = strlen(a->parts[i]);
	}
	if (opt->time_col) {
		a->parts[i] = (const char *)&period;
		a->lens[i] = sizeof(period);
	} else if (opt->ngroup == 0) {
		a->parts[0] = empty;
		a->lens[0] = 0;
	}
	st = kpi_group_intern(a->table, a->parts, a->lens, &slot, NULL, err);
	if (st == KPI_OK)
		st = grow(a, slot, err);
	if (st == KPI_OK)
		st = accumulate(a, slot, rec, err);
	return st;
}

unsigned long
kpi_agg_rows_out_of_range(const struct kpi_agg *a)
{
	return a->out_of_range;
}

/* ==== Output ==== */

struct sort_item {
	const struct kpi_keyorder *order;
	size_t slot;
	long period;
};

static long
slot_period(const struct kpi_agg *a, size_t slot)
{
	long period;

	memcpy(&period, kpi_group_part(a->table, slot, a->opt->ngroup, NULL),
	       sizeof(period));
	return period;
}

/* Compare the group columns of two slots in output order: numerically
 * where a column holds only numbers, else by bytes (kpi/keyorder.h). */
static int
compare_groups(const struct kpi_keyorder *order, size_t x, size_t y)
{
	return kpi_keyorder_compare(order, x, y);
}

static int
compare_items(const void *pa, const void *pb)
{
	const struct sort_item *x = pa, *y = pb;
	int c = compare_groups(x->order, x->slot, y->slot);

	if (c)
		return c;
	return (x->period > y->period) - (x->period < y->period);
}

/* Every input value is finite, so an infinite aggregate can only be an
 * overflow; it is noted for kpi_agg_write() to refuse. */
static void
write_number(struct kpi_csv_writer *w, struct kpi_agg *a, double x,
	     size_t spec, size_t slot)
{
	if (isinf(x) && !a->overflowed) {
		a->overflowed = 1;
		a->overflow_spec = spec;
		a->overflow_slot = slot;
	}
	kpi_csv_write_double(w, x, a->opt->common->precision);
}

static double
quantile(struct kpi_agg *a, size_t cell, double p)
{
	struct kpi_values *vs = &a->vals[cell];

	if (!a->sorted[cell]) {
		kpi_values_sort(vs);
		a->sorted[cell] = 1;
	}
	return kpi_quantile_sorted(vs->v, vs->n, p, a->opt->quantile_type);
}

/* The aggregates of `slot`, or of an empty period when slot is SIZE_MAX. */
static void
write_values(struct kpi_agg *a, struct kpi_csv_writer *w, size_t slot)
{
	const struct kpi_agg_options *opt = a->opt;
	int empty = slot == SIZE_MAX;
	size_t s;

	for (s = 0; s < opt->nspecs; s++) {
		const struct kpi_agg_spec *sp = &opt->specs[s];
		size_t cell = empty ? 0 : slot * a->nnum + a->spec_num[s];
		size_t tcell = empty ? 0 : slot * opt->nspecs + s;
		struct kpi_moments none;
		const struct kpi_moments *m = &none;

		kpi_moments_init(&none);
		if (!empty && op_is_numeric(sp->op))
			m = &a->mom[cell];
		switch (sp->op) {
		case KPI_AGG_COUNT:
			kpi_csv_write_long(w, empty ? 0 : (long long)a->count[slot]);
			break;
		case KPI_AGG_COUNT_VALUES:
		case KPI_AGG_MISSING:
		case KPI_AGG_DISTINCT:
			kpi_csv_write_long(w, empty ? 0 : (long long)a->counter[tcell]);
			break;
		case KPI_AGG_SUM:
			write_number(w, a, kpi_moments_sum(m), s, slot);
			break;
		case KPI_AGG_MEAN:
			write_number(w, a, kpi_moments_mean(m), s, slot);
			break;
		case KPI_AGG_MIN:
			write_number(w, a, kpi_moments_min(m), s, slot);
			break;
		case KPI_AGG_MAX:
			write_number(w, a, kpi_moments_max(m), s, slot);
			break;
		case KPI_AGG_RANGE:
			write_number(w, a, kpi_moments_max(m) - kpi_moments_min(m),
				     s, slot);
			break;
		case KPI_AGG_VAR:
			write_number(w, a, kpi_moments_variance(m, KPI_SAMPLE),
				     s, slot);
			break;
		case KPI_AGG_SD:
			write_number(w, a, kpi_moments_sd(m, KPI_SAMPLE),
				     s, slot);
			break;
		case KPI_AGG_VARP:
			write_number(w, a, kpi_moments_variance(m, KPI_POPULATION),
				     s, slot);
			break;
		case KPI_AGG_SDP:
			write_number(w, a, kpi_moments_sd(m, KPI_POPULATION),
				     s, slot);
			break;
		case KPI_AGG_QUANTILE:
			write_number(w, a, empty ? NAN : quantile(a, cell, sp->p),
				     s, slot);
			break;
		case KPI_AGG_FIRST:
		case KPI_AGG_LAST:
			if (!empty && a->text[tcell].set)
				kpi_csv_write_str(w, a->text[tcell].s);
			else
				kpi_csv_write_empty(w);
			break;
		}
	}
	kpi_csv_end_row(w);
}

/* One output row: group columns (taken from `key_slot`), period, values. */
static void
write_row(struct kpi_agg *a, struct kpi_csv_writer *w, size_t key_slot,
	  long period, size_t slot)
{
	const struct kpi_agg_options *opt = a->opt;
	size_t i;

	for (i = 0; i < opt->ngroup; i++) {
		size_t len;
		const char *p = kpi_group_part(a->table, key_slot, i, &len);

		kpi_csv_write_field(w, p, len);
	}
	if (opt->time_col) {
		char buf[KPI_DATE_BUFSZ];

		if (period == NO_PERIOD)
			kpi_csv_write_empty(w);
		else if (opt->common->period_label)
			kpi_csv_write_field(w, buf,
					    kpi_period_label(period, opt->every,
							     &opt->common->cal, buf));
		else
			kpi_csv_write_field(w, buf, kpi_date_format_iso(period, buf));
	}
	write_values(a, w, slot);
}

static void
write_header(const struct kpi_agg *a, struct kpi_csv_writer *w)
{
	const struct kpi_agg_options *opt = a->opt;
	size_t i;

	for (i = 0; i < opt->ngroup; i++)
		kpi_csv_write_str(w, opt->group_cols[i]);
	if (opt->time_col)
		kpi_csv_write_str(w, "period");
	for (i = 0; i < opt->nspecs; i++)
		kpi_csv_write_str(w, opt->specs[i].name);
	kpi_csv_end_row(w);
}

/* Write the rows of one group (items[0..n-1], sorted by period), adding an
 * empty row for every period missing between the first (or --from) and the
 * last (--to, or the period of --as-of, or of the latest date read). */
static void
write_filled(struct kpi_agg *a, struct kpi_csv_writer *w,
	     const struct sort_item *items, size_t n)
{
	const struct kpi_agg_options *opt = a->opt;
	const struct kpi_calendar *cal = &opt->common->cal;
	size_t i = 0, key = items[0].slot;
	long p, end;

	while (i < n && items[i].period == NO_PERIOD) {
		write_row(a, w, key, NO_PERIOD, items[i].slot);
		i++;
	}
	if (opt->has_to)
		end = opt->to;
	else if (opt->has_as_of)
		end = opt->as_of;
	else if (a->have_day)
		end = a->last_day;
	else
		end = LONG_MIN;
	if (end == LONG_MIN || (i == n && !opt->has_from)) {
		for (; i < n; i++)
			write_row(a, w, key, items[i].period, items[i].slot);
		return;
	}
	end = kpi_period_start(end, opt->every, cal);
	p = opt->has_from ? kpi_period_start(opt->from, opt->every, cal)
			  : (i < n ? items[i].period : end);
	for (; p <= end && kpi_date_in_range(p);
	     p = kpi_period_next(p, opt->every, cal)) {
		if (i < n && items[i].period == p)
			write_row(a, w, key, p, items[i++].slot);
		else
			write_row(a, w, key, p, SIZE_MAX);
	}
	/* Nothing can lie beyond `end`: such rows were not read.  Be safe. */
	for (; i < n; i++)
		write_row(a, w, key, items[i].period, items[i].slot);
}

/* A mean cannot overflow, nor a population sd; a variance can while its
 * sd does not, and the message says so. */
static enum kpi_status
overflow_error(const struct kpi_agg *a, struct kpi_error *err)
{
	const struct kpi_agg_spec *sp = &a->opt->specs[a->overflow_spec];
	const char *part = a->opt->ngroup
		? kpi_group_part(a->table, a->overflow_slot, 0, NULL) : NULL;
	int variance = sp->op == KPI_AGG_VAR || sp->op == KPI_AGG_VARP;

	return kpi_error_set(err, KPI_EINVAL, 0,
			     "%s%s%s%s lies beyond the largest number a double holds (about 1.8e308): the values of column %s are too %s%s%s%s",
			     sp->name, part ? " of group \"" : "",
			     part ? part : "", part ? "\"" : "",
			     sp->column ? sp->column : "?",
			     variance ? "spread out for a variance ("
				      : "large to aggregate",
			     variance ? (sp->op == KPI_AGG_VAR ? "sd:" : "sdp:") : "",
			     variance ? sp->column : "",
			     variance ? ", its square root, can be computed)" : "");
}

enum kpi_status
kpi_agg_write(struct kpi_agg *a, struct kpi_csv_writer *w,
	      struct kpi_error *err)
{
	const struct kpi_agg_options *opt = a->opt;
	size_t n = kpi_group_count(a->table), i, j;
	struct sort_item *items;
	struct kpi_keyorder *order;
	enum kpi_status st;

	write_header(a, w);
	if (n == 0 && opt->ngroup == 0 && !opt->time_col)
		write_row(a, w, 0, 0, SIZE_MAX);	/* the total of nothing */
	if (n == 0)
		return kpi_csv_writer_status(w);
	st = kpi_keyorder_new(&order, a->table, opt->ngroup, opt->common,
			      err);
	if (st != KPI_OK)
		return st;
	items = malloc(n * sizeof(*items));
	if (!items) {
		kpi_keyorder_free(order);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	for (i = 0; i < n; i++) {
		items[i].order = order;
		items[i].slot = i;
		items[i].period = opt->time_col ? slot_period(a, i) : 0;
	}
	qsort(items, n, sizeof(*items), compare_items);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && compare_groups(order, items[i].slot,
							 items[j].slot) == 0; j++)
			;
		if (opt->fill && opt->time_col) {
			write_filled(a, w, items + i, j - i);
		} else {
			for (size_t k = i; k < j; k++)
				write_row(a, w, items[k].slot, items[k].period,
					  items[k].slot);
		}
	}
	free(items);
	kpi_keyorder_free(order);
	if (a->overflowed)
		return overflow_error(a, err);
	return kpi_csv_writer_status(w);
}
