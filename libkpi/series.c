/* series.c - regular time series from CSV rows: keys, periods, their unit
 * and seasonal period, duplicates, gaps and filling. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/group.h"
#include "kpi/num.h"
#include "kpi/series.h"

/* One row as kept: its period, value (NaN when missing) and position:
 * its line plus the base of its input (see struct input), so that rows of
 * several inputs stay apart in 24 bytes. */
struct obs {
	long t;
	double y;
	unsigned long line;
};

/* An input named by kpi_series_set_input(): the positions of its lines
 * start after `base`, the highest position of the inputs before it. */
struct input {
	char *name;
	unsigned long base;
};

struct key_rows {
	struct obs *obs;
	size_t n, cap;
};

enum time_kind { TIME_UNKNOWN, TIME_DATE, TIME_INDEX };

struct kpi_series_set {
	const struct kpi_series_options *opt;
	size_t time_idx, value_idx;
	size_t *key_idx;
	char **key_names;		/* copies of the key columns' names */
	struct kpi_group *keys;
	struct key_rows *rows;		/* [slots]; only `current` when grouped */
	size_t nrows_cap;
	size_t current;			/* grouped: the slot being read */
	int have_current;
	unsigned long current_end;	/* grouped: position of its last row */
	unsigned long *key_end;		/* grouped: [slots] the same, per key */
	size_t key_end_cap;
	enum time_kind time;
	unsigned long skipped;
	struct input *inputs;
	size_t ninputs, inputs_cap;
	unsigned long last_pos;		/* highest position seen */
	const char *error_input;	/* of the last series error */
	const char **parts;		/* scratch for a record's key */
	size_t *lens;
	/* scratch for building a series */
	long *t;
	double *y;
	unsigned char *filled;
	size_t scratch_cap;
};

enum kpi_status
kpi_series_fill_parse(const char *s, enum kpi_series_fill *out,
		      struct kpi_error *err)
{
	if (s && strcmp(s, "zero") == 0)
		*out = KPI_SERIES_FILL_ZERO;
	else if (s && strcmp(s, "interpolate") == 0)
		*out = KPI_SERIES_FILL_INTERPOLATE;
	else
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\" is not zero or interpolate",
				     s ? s : "");
	return KPI_OK;
}

enum kpi_status
kpi_series_set_new(struct kpi_series_set **out,
		   const struct kpi_series_options *opt, struct kpi_error *err)
{
	struct kpi_series_set *s;
	enum kpi_status st;

	if (!opt->time_col || !opt->value_col || !opt->common ||
	    !opt->on_series)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "a time column, a value column and a callback are needed");
	s = calloc(1, sizeof(*s));
	if (!s)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	s->opt = opt;
	s->key_idx = calloc(opt->nkey ? opt->nkey : 1, sizeof(*s->key_idx));
	s->key_names = calloc(opt->nkey ? opt->nkey : 1,
			      sizeof(*s->key_names));
	s->parts = calloc(opt->nkey ? opt->nkey : 1, sizeof(*s->parts));
	s->lens = calloc(opt->nkey ? opt->nkey : 1, sizeof(*s->lens));
	if (!s->key_idx || !s->key_names || !s->parts || !s->lens) {
		kpi_series_set_free(s);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	/* With no key columns every row belongs to one series: a table of
	 * one-part tuples, the empty string. */
	st = kpi_group_new(&s->keys, opt->nkey ? opt->nkey : 1, err);
	if (st != KPI_OK) {
		kpi_series_set_free(s);
		return st;
	}
	*out = s;
	return KPI_OK;
}

void
kpi_series_set_free(struct kpi_series_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nrows_cap; i++)
		free(s->rows[i].obs);
	free(s->rows);
	free(s->key_end);
	kpi_group_free(s->keys);
	free(s->key_idx);
	for (i = 0; s->key_names && i < s->opt->nkey; i++)
		free(s->key_names[i]);
	free(s->key_names);
	for (i = 0; i < s->ninputs; i++)
		free(s->inputs[i].name);
	free(s->inputs);
	free(s->parts);
	free(s->lens);
	free(s->t);
	free(s->y);
	free(s->filled);
	free(s);
}

unsigned long
kpi_series_set_skipped(const struct kpi_series_set *s)
{
	return s->skipped;
}

enum kpi_status
kpi_series_set_input(struct kpi_series_set *s, const char *name,
		     struct kpi_error *err)
{
	struct input *in;

	if (!name || (s->ninputs &&
		      strcmp(s->inputs[s->ninputs - 1].name, name) == 0))
		return KPI_OK;
	if (s->ninputs == s->inputs_cap) {
		size_t cap = s->inputs_cap ? 2 * s->inputs_cap : 4;

		in = realloc(s->inputs, cap * sizeof(*in));
		if (!in)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "out of memory");
		s->inputs = in;
		s->inputs_cap = cap;
	}
	in = &s->inputs[s->ninputs];
	in->name = strdup(name);
	if (!in->name)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	in->base = s->last_pos;
	s->ninputs++;
	return KPI_OK;
}

const char *
kpi_series_set_error_input(const struct kpi_series_set *s)
{
	return s->error_input;
}

/* The input (NULL when none was named) and line of a position. */
static const char *
locate(const struct kpi_series_set *s, unsigned long pos,
       unsigned long *line)
{
	size_t lo = 0, hi = s->ninputs;

	*line = pos;
	if (s->ninputs == 0)
		return NULL;
	/* The last input whose base is below pos. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->inputs[mid].base < pos)
			lo = mid;
		else
			hi = mid;
	}
	*line = pos - s->inputs[lo].base;
	return s->inputs[lo].name;
}

/* "line 12", or "other.csv:12" when that row is in another input than
 * the one the error is reported at. */
static void
describe_pos(const struct kpi_series_set *s, unsigned long pos,
	     char *buf, size_t size)
{
	unsigned long line;
	const char *in = locate(s, pos, &line);

	if (in && s->error_input && strcmp(in, s->error_input) != 0)
		snprintf(buf, size, "%s:%lu", in, line);
	else
		snprintf(buf, size, "line %lu", line);
}

/* Point err at the row at position pos, in the time column: the tool
 * reports it as FILE:LINE: column NAME. */
static enum kpi_status
series_error_at(struct kpi_series_set *s, unsigned long pos,
		struct kpi_error *err)
{
	unsigned long line;

	s->error_input = locate(s, pos, &line);
	if (err)
		err->line = line;
	return kpi_error_column(err, KPI_EPARSE, s->opt->time_col);
}

const char *
kpi_series_set_key_name(const struct kpi_series_set *s, size_t i)
{
	return i < s->opt->nkey ? s->key_names[i] : NULL;
}

enum kpi_status
kpi_series_set_header(struct kpi_series_set *s, const struct kpi_csv_header *h,
		      struct kpi_error *err)
{
	const struct kpi_series_options *o = s->opt;
	enum kpi_status st;
	size_t i;

	st = kpi_csv_header_find(h, o->time_col, &s->time_idx, err);
	if (st == KPI_OK)
		st = kpi_csv_header_find(h, o->value_col, &s->value_idx, err);
	for (i = 0; st == KPI_OK && i < o->nkey; i++) {
		const char *name;

		st = kpi_csv_header_find(h, o->key_cols[i], &s->key_idx[i],
					 err);
		if (st != KPI_OK)
			break;
		/* The header goes away with the input; keep the names. */
		name = kpi_csv_header_name(h, s->key_idx[i]);
		free(s->key_names[i]);
		s->key_names[i] = strdup(name);
		if (!s->key_names[i])
			st = kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	return st;
}

/* ==== Periods ==== */

static long
month_index(long day)
{
	int y, m, d;

	kpi_date_to_ymd(day, &y, &m, &d);
	return (long)y * 12 + m - 1;
}

static long
month_start(long mi)
{
	long day = 0;

	kpi_date_from_ymd((int)(mi / 12), (int)(mi % 12) + 1, 1, &day, NULL);
	return day;
}

static long
unit_months(enum kpi_period_unit u)
{
	return u == KPI_PERIOD_YEAR ? 12 : u == KPI_PERIOD_QUARTER ? 3 : 1;
}

long
kpi_series_period_add(const struct kpi_series *s, long t, long k)
{
	if (s->time == KPI_SERIES_INDEX)
		return t + k;
	switch (s->unit) {
	case KPI_PERIOD_DAY:
		return t + k;
	case KPI_PERIOD_WEEK:
		return t + 7 * k;
	default:
		return month_start(month_index(t) + k * unit_months(s->unit));
	}
}

/* Steps from a to b (b later), in the series' unit. */
static long
period_diff(const struct kpi_series *s, long a, long b)
{
	if (s->time == KPI_SERIES_INDEX || s->unit == KPI_PERIOD_DAY)
		return b - a;
	if (s->unit == KPI_PERIOD_WEEK)
		return (b - a) / 7;
	return (month_index(b) - month_index(a)) / unit_months(s->unit);
}

size_t
kpi_series_period_format(const struct kpi_series *s, long t, int label,
			 const struct kpi_calendar *cal, char *buf)
{
	struct kpi_calendar c = KPI_CALENDAR_DEFAULT;

	if (s->time == KPI_SERIES_INDEX)
		return (size_t)snprintf(buf, KPI_DATE_BUFSZ, "%ld", t);
	if (!label || s->unit == KPI_PERIOD_DAY)
		return kpi_date_format_iso(t, buf);
	if (cal)
		c = *cal;
	if (s->unit == KPI_PERIOD_WEEK)
		c.week_start = s->week_day;
	/* Quarters and years inferred from dates 3 or 12 months apart can
	 * start in any month: one that is not the calendar's (a year of
	 * Februaries) has no label, and is written as its first day, as a
	 * week that does not start on Monday is. */
	if (kpi_period_start(t, s->unit, &c) != t)
		return kpi_date_format_iso(t, buf);
	return kpi_period_label(t, s->unit, &c, buf);
}

static long
gcd(long a, long b)
{
	if (a < 0)
		a = -a;
	while (b) {
		long r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* The unit of a dated series from its sorted periods (see series.h); a
 * period may repeat. */
static enum kpi_period_unit
infer_unit(const struct obs *o, size_t n, const struct kpi_calendar *cal)
{
	size_t i;
	int all_first = 1, y, m, d;
	long g = 0;

	for (i = 0; i < n && all_first; i++) {
		kpi_date_to_ymd(o[i].t, &y, &m, &d);
		all_first = d == 1;
	}
	for (i = 1; i < n; i++)
		g = gcd(g, o[i].t - o[i - 1].t);
	if (g == 0)
		n = 1;	/* one distinct period */
	g = 0;
	if (all_first) {
		if (n == 1) {
			long r = ((month_index(o[0].t) % 12) -
				  (cal->fiscal_start - 1) + 12) % 12;

			return r == 0 ? KPI_PERIOD_YEAR
			       : r % 3 == 0 ? KPI_PERIOD_QUARTER
					    : KPI_PERIOD_MONTH;
		}
		for (i = 1; i < n; i++)
			g = gcd(g, month_index(o[i].t) - month_index(o[i - 1].t));
		return g % 12 == 0 ? KPI_PERIOD_YEAR
		       : g % 3 == 0 ? KPI_PERIOD_QUARTER
				    : KPI_PERIOD_MONTH;
	}
	if (n == 1)
		return kpi_date_weekday(o[0].t) == cal->week_start
			       ? KPI_PERIOD_WEEK : KPI_PERIOD_DAY;
	for (i = 1; i < n; i++)
		g = gcd(g, o[i].t - o[i - 1].t);
	return g % 7 == 0 ? KPI_PERIOD_WEEK : KPI_PERIOD_DAY;
}

/* ==== Messages ==== */

/* `region "east", segment "SMB": ` (nothing without key columns). */
static void
describe_key(const struct kpi_series_set *s, const struct kpi_series *sr,
	     char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sr->nkey && s->opt->nkey && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s \"%s\"",
					i ? ", " : "", s->key_names[i],
					sr->key[i]);
	if (len && len < size)
		snprintf(buf + len, size - len, ": ");
}

/* The kpi-agg command that sums duplicate rows: by the key columns and the
 * period of the time column (or, for an integer index, the column itself). */
static void
agg_hint(const struct kpi_series_set *s, enum kpi_period_unit unit,
	 char *buf, size_t size)
{
	const struct kpi_series_options *o = s->opt;
	size_t i, len;

	len = (size_t)snprintf(buf, size, "kpi-agg");
	for (i = 0; i < o->nkey && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? "," : " -g ", o->key_cols[i]);
	if (len >= size)
		return;
	if (s->time == TIME_INDEX)
		snprintf(buf + len, size - len, "%s%s -a sum:%s",
			 o->nkey ? "," : " -g ", o->time_col, o->value_col);
	else
		snprintf(buf + len, size - len, " -t %s --every %s -a sum:%s",
			 o->time_col,
			 kpi_period_unit_name(unit), o->value_col);
}

static enum kpi_status
bad_series(struct kpi_series_set *s, struct kpi_error *err)
{
	if (s->opt->on_bad_series)
		return s->opt->on_bad_series(s->opt->ctx, err);
	return err ? err->status : KPI_EPARSE;
}

/* ==== Building one series ==== */

static int
cmp_obs(const void *a, const void *b)
{
	const struct obs *x = a, *y = b;

	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return (x->line > y->line) - (x->line < y->line);
}

static enum kpi_status
grow_scratch(struct kpi_series_set *s, size_t n, struct kpi_error *err)
{
	long *t;
	double *y;
	unsigned char *f;

	if (n <= s->scratch_cap)
		return KPI_OK;
	t = realloc(s->t, n * sizeof(*t));
	if (t)
		s->t = t;
	y = realloc(s->y, n * sizeof(*y));
	if (y)
		s->y = y;
	f = realloc(s->filled, n);
	if (f)
		s->filled = f;
	if (!t || !y || !f)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	s->scratch_cap = n;
	return KPI_OK;
}

/* Fill the missing values (NaN) of y[0..n-1]. */
static void
fill_values(double *y, size_t n, enum kpi_series_fill how)
{
	size_t i, prev = SIZE_MAX;

	for (i = 0; i < n; i++) {
		size_t j;

		if (isnan(y[i]))
			continue;
		if (how == KPI_SERIES_FILL_ZERO) {
			prev = i;
			continue;
		}
		/* Missing values between prev and i: on the line between
		 * them, or the nearest value before the first one. */
		for (j = prev == SIZE_MAX ? 0 : prev + 1; j < i; j++)
			y[j] = prev == SIZE_MAX
				       ? y[i]
				       : y[prev] + (y[i] - y[prev]) *
						   (double)(j - prev) /
						   (double)(i - prev);
		prev = i;
	}
	for (i = 0; i < n; i++)
		if (isnan(y[i]))
			y[i] = how == KPI_SERIES_FILL_ZERO || prev == SIZE_MAX
				       ? 0 : y[prev];
}

static enum kpi_status
build(struct kpi_series_set *s, size_t slot, struct kpi_error *err)
{
	const struct kpi_series_options *o = s->opt;
	struct key_rows *kr = &s->rows[o->grouped ? 0 : slot];
	const struct kpi_calendar *cal = &o->common->cal;
	struct kpi_series sr;
	char key[160], hint[160], p1[KPI_DATE_BUFSZ], p2[KPI_DATE_BUFSZ];
	char where[KPI_ERROR_COLUMN_MAX + 32];
	size_t i, n, nkey = o->nkey ? o->nkey : 1;
	unsigned long line;
	const char *kparts[64];
	size_t klens[64];
	long span, prev;
	enum kpi_status st;

	if (kr->n == 0)
		return KPI_OK;
	memset(&sr, 0, sizeof(sr));
	if (nkey > 64)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "at most 64 key columns");
	for (i = 0; i < nkey; i++)
		kparts[i] = kpi_group_part(s->keys, slot, i, &klens[i]);
	sr.index = slot;
	sr.key = kparts;
	sr.key_len = klens;
	sr.nkey = o->nkey;
	sr.time = s->time == TIME_INDEX ? KPI_SERIES_INDEX : KPI_SERIES_DATE;
	sr.unit = o->has_every ? o->every : KPI_PERIOD_DAY;
	describe_key(s, &sr, key, sizeof(key));
	qsort(kr->obs, kr->n, sizeof(*kr->obs), cmp_obs);
	if (sr.time == KPI_SERIES_DATE && !o->has_every)
		sr.unit = infer_unit(kr->obs, kr->n, cal);
	for (i = 1; i < kr->n; i++)
		if (kr->obs[i].t == kr->obs[i - 1].t) {
			kpi_series_period_format(&sr, kr->obs[i].t, 0, cal, p1);
			agg_hint(s, sr.unit, hint, sizeof(hint));
			s->error_input = locate(s, kr->obs[i].line, &line);
			describe_pos(s, kr->obs[i - 1].line, where,
				     sizeof(where));
			kpi_error_set(err, KPI_EPARSE, 0,
				      "%speriod %s is also on %s; aggregate first: %s",
				      key, p1, where, hint);
			series_error_at(s, kr->obs[i].line, err);
			return bad_series(s, err);
		}
	sr.week_day = kpi_date_weekday(kr->obs[0].t);
	if (o->season > 0)
		sr.m = o->season;
	else if (sr.time == KPI_SERIES_INDEX)
		sr.m = 1;
	else
		switch (sr.unit) {
		case KPI_PERIOD_DAY:		sr.m = 7; break;
		case KPI_PERIOD_WEEK:		sr.m = 52; break;
		case KPI_PERIOD_MONTH:		sr.m = 12; break;
		case KPI_PERIOD_QUARTER:	sr.m = 4; break;
		default:			sr.m = 1; break;
		}
	span = period_diff(&sr, kr->obs[0].t, kr->obs[kr->n - 1].t);
	if (span < 0 || (unsigned long)span >= (unsigned long)SIZE_MAX / 32 ||
	    (size_t)span + 1 > kr->n * 64 + 1000000)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "%sthe periods span %ld steps for %zu rows",
				     key, span, kr->n);
	n = (size_t)span + 1;
	st = grow_scratch(s, n, err);
	if (st != KPI_OK)
		return st;
	for (i = 0; i < n; i++) {
		s->t[i] = kpi_series_period_add(&sr, kr->obs[0].t, (long)i);
		s->y[i] = NAN;
		s->filled[i] = 1;
	}
	for (i = 0; i < kr->n; i++) {
		long pos = period_diff(&sr, kr->obs[0].t, kr->obs[i].t);

		s->y[pos] = kr->obs[i].y;
		s->filled[pos] = isnan(kr->obs[i].y);
		prev = i ? period_diff(&sr, kr->obs[0].t, kr->obs[i - 1].t) : -1;
		if (i > 0 && o->fill == KPI_SERIES_FILL_NONE && pos != prev + 1) {
			kpi_series_period_format(&sr, s->t[prev + 1], 0, cal, p1);
			kpi_series_period_format(&sr, kr->obs[i - 1].t, 0, cal,
						 p2);
			s->error_input = locate(s, kr->obs[i].line, &line);
			describe_pos(s, kr->obs[i - 1].line, where,
				     sizeof(where));
			kpi_error_set(err, KPI_EPARSE, 0,
				      "%sno row for period %s, between %s (%s) and this row; give --fill zero or --fill interpolate",
				      key, p1, p2, where);
			series_error_at(s, kr->obs[i].line, err);
			return bad_series(s, err);
		}
		if (kpi_series_period_add(&sr, kr->obs[0].t, pos) != kr->obs[i].t) {
			kpi_series_period_format(&sr, kr->obs[i].t, 0, cal, p1);
			kpi_error_set(err, KPI_EPARSE, 0,
				      "%speriod %s is not the start of a %s; give --every",
				      key, p1, kpi_period_unit_name(sr.unit));
			series_error_at(s, kr->obs[i].line, err);
			return bad_series(s, err);
		}
	}
	if (o->fill != KPI_SERIES_FILL_NONE)
		fill_values(s->y, n, o->fill);
	sr.n = n;
	sr.t = s->t;
	sr.y = s->y;
	sr.filled = s->filled;
	return o->on_series(&sr, o->ctx, err);
}

/* ==== Rows ==== */

static enum kpi_status
push(struct key_rows *kr, long t, double y, unsigned long line,
     struct kpi_error *err)
{
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? 2 * kr->cap : 16;
		struct obs *o = realloc(kr->obs, cap * sizeof(*o));

		if (!o)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		kr->obs = o;
		kr->cap = cap;
	}
	kr->obs[kr->n].t = t;
	kr->obs[kr->n].y = y;
	kr->obs[kr->n].line = line;
	kr->n++;
	return KPI_OK;
}

/* Whole number, optional sign: an index rather than a date. */
static int
is_integer(const char *f)
{
	while (*f == ' ' || *f == '\t')
		f++;
	if (*f == '-' || *f == '+')
		f++;
	if (*f < '0' || *f > '9')
		return 0;
	while (*f >= '0' && *f <= '9')
		f++;
	while (*f == ' ' || *f == '\t')
		f++;
	return *f == '\0';
}

static enum kpi_status
parse_time(struct kpi_series_set *s, const char *f, long *t,
	   struct kpi_error *err)
{
	const struct kpi_series_options *o = s->opt;
	long long v;
	enum kpi_status st;

	if (s->time == TIME_UNKNOWN)
		s->time = !o->has_every && !o->date_format && is_integer(f)
				  ? TIME_INDEX : TIME_DATE;
	if (s->time == TIME_INDEX) {
		if (o->has_as_of)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "\"%s\" is an integer period index; --as-of needs dated periods",
					     f);
		if (!is_integer(f) || kpi_num_parse_long(f, &v, NULL) != KPI_OK ||
		    v < -(1LL << 52) || v > (1LL << 52))
			return kpi_error_set(err, KPI_EPARSE, 0,
					     "\"%s\" is not a whole number (earlier rows have an integer period index)",
					     f);
		*t = (long)v;
		return KPI_OK;
	}
	st = kpi_date_parse(f, o->date_format, &o->common->cal, t, err);
	if (st != KPI_OK)
		return st;
	if (o->has_every)
		*t = kpi_period_start(*t, o->every, &o->common->cal);
	if (!kpi_date_in_range(*t))
		return kpi_error_set(err, KPI_EPARSE, 0,
				     "\"%s\" starts a period before year 1", f);
	return KPI_OK;
}

static enum kpi_status
grow_rows(struct kpi_series_set *s, size_t slots, struct kpi_error *err)
{
	struct key_rows *r;
	size_t cap;

	if (slots <= s->nrows_cap)
		return KPI_OK;
	cap = s->nrows_cap ? 2 * s->nrows_cap : 16;
	while (cap < slots)
		cap *= 2;
	r = realloc(s->rows, cap * sizeof(*r));
	if (!r)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	memset(r + s->nrows_cap, 0, (cap - s->nrows_cap) * sizeof(*r));
	s->rows = r;
	s->nrows_cap = cap;
	return KPI_OK;
}

/* Grouped: the key being read has ended.  Remember where its rows ended,
 * for the message should it come again, and build its series. */
static enum kpi_status
end_key(struct kpi_series_set *s, struct kpi_error *err)
{
	enum kpi_status st;

	if (s->current >= s->key_end_cap) {
		size_t cap = s->key_end_cap ? 2 * s->key_end_cap : 64;
		unsigned long *e;

		while (cap <= s->current)
			cap *= 2;
		e = realloc(s->key_end, cap * sizeof(*e));
		if (!e)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "out of memory");
		s->key_end = e;
		s->key_end_cap = cap;
	}
	s->key_end[s->current] = s->current_end;
	st = build(s, s->current, err);
	if (s->nrows_cap)
		s->rows[0].n = 0;
	return st;
}

/* Grouped: the key of the row being read (in s->parts) ended before other
 * keys.  The error names the key columns and the line its rows ended on;
 * the reader adds the file and line of this row. */
static enum kpi_status
key_again(struct kpi_series_set *s, size_t slot, struct kpi_error *err)
{
	const struct kpi_series_options *o = s->opt;
	char vals[160], cols[KPI_ERROR_COLUMN_MAX];
	char where[KPI_ERROR_COLUMN_MAX + 32];
	size_t i, nc = 0, nv = 0;

	cols[0] = vals[0] = '\0';
	for (i = 0; i < o->nkey; i++) {
		if (nc < sizeof(cols))
			nc += (size_t)snprintf(cols + nc, sizeof(cols) - nc,
					       "%s%s", i ? "," : "",
					       s->key_names[i]);
		if (nv < sizeof(vals))
			nv += (size_t)snprintf(vals + nv, sizeof(vals) - nv,
					       "%s\"%s\"", i ? "," : "",
					       s->parts[i]);
	}
	where[0] = '\0';
	s->error_input = s->ninputs ? s->inputs[s->ninputs - 1].name : NULL;
	if (slot < s->key_end_cap && !(s->have_current && slot == s->current))
		describe_pos(s, s->key_end[slot], where, sizeof(where));
	kpi_error_set(err, KPI_EPARSE, 0,
		      "key %s comes again after other keys (its rows ended on %s); with --grouped each key's rows must come together: sort by %s first, or drop --grouped",
		      vals, where[0] ? where : "an earlier line", cols);
	return kpi_error_column(err, KPI_EPARSE, cols);
}

enum kpi_status
kpi_series_set_add(struct kpi_series_set *s, const struct kpi_csv_record *rec,
		   struct kpi_error *err)
{
	const struct kpi_series_options *o = s->opt;
	const char *tf = rec->fields[s->time_idx];
	const char *vf = rec->fields[s->value_idx];
	static const char empty[] = "";
	size_t i, slot;
	unsigned long pos;
	int added;
	long t;
	double y = NAN;
	enum kpi_status st;

	if (kpi_cli_is_missing(o->common, tf)) {
		s->skipped++;
		return KPI_OK;
	}
	pos = rec->line + (s->ninputs ? s->inputs[s->ninputs - 1].base : 0);
	if (pos > s->last_pos)
		s->last_pos = pos;
	st = parse_time(s, tf, &t, err);
	if (st != KPI_OK)
		return kpi_error_column(err, st, o->time_col);
	if (o->has_as_of && s->time == TIME_DATE && t > o->as_of)
		return KPI_OK;
	if (kpi_cli_is_missing(o->common, vf)) {
		if (o->fill == KPI_SERIES_FILL_NONE) {
			kpi_error_set(err, KPI_EPARSE, 0,
				      "missing value; give --fill zero or --fill interpolate");
			return kpi_error_column(err, KPI_EPARSE, o->value_col);
		}
	} else {
		st = kpi_num_parse(vf, o->common->decimal_comma, &y, err);
		if (st != KPI_OK)
			return kpi_error_column(err, st, o->value_col);
	}
	for (i = 0; i < o->nkey; i++) {
		s->parts[i] = rec->fields[s->key_idx[i]];
		s->lens[i] = strlen(s->parts[i]);
	}
	if (o->nkey == 0) {
		s->parts[0] = empty;
		s->lens[0] = 0;
	}
	st = kpi_group_intern(s->keys, s->parts, s->lens, &slot, &added, err);
	if (st != KPI_OK)
		return st;
	if (o->grouped) {
		if (!added && (!s->have_current || slot != s->current))
			return key_again(s, slot, err);
		if (added && s->have_current) {
			st = end_key(s, err);
			if (st != KPI_OK)
				return st;
		}
		s->current = slot;
		s->have_current = 1;
		s->current_end = pos;
		st = grow_rows(s, 1, err);
		if (st != KPI_OK)
			return st;
		return push(&s->rows[0], t, y, pos, err);
	}
	st = grow_rows(s, slot + 1, err);
	if (st != KPI_OK)
		return st;
	return push(&s->rows[slot], t, y, pos, err);
}

enum kpi_status
kpi_series_set_finish(struct kpi_series_set *s, struct kpi_error *err)
{
	size_t i, count = kpi_group_count(s->keys);
	enum kpi_status st = KPI_OK;

	if (s->opt->grouped) {
		if (s->have_current)
			st = end_key(s, err);
		s->have_current = 0;
		return st;
	}
	for (i = 0; i < count && st == KPI_OK; i++) {
		st = build(s, i, err);
		free(s->rows[i].obs);
		s->rows[i].obs = NULL;
		s->rows[i].n = s->rows[i].cap = 0;
	}
	return st;
}
