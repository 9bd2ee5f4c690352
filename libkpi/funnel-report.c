/* funnel-report.c - the kpi-conv reports computed from the deal table:
 * funnel conversion by cohort, stage transitions, P(won | stage). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnel-internal.h"
#include "kpi/keyorder.h"
#include "kpi/num.h"
#include "kpi/prop.h"
#include "kpi/stats.h"

static enum kpi_status
nomem(struct kpi_error *err)
{
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
}

/* ==== A deal as of a date ==== */

int
funnel_view(const struct kpi_funnel *f, size_t deal, long as_of,
	    struct deal_view *v)
{
	const struct kpi_funnel_options *opt = f->opt;
	const int32_t *d = funnel_deal(f, deal), *e = d + DEAL_ENTERED;
	int32_t lost_day = d[DEAL_LOST];
	size_t ns = opt->nstages, j;
	int any = 0;

	v->reached = -1;
	/* A deal created after --as-of did not exist yet, whatever stage it
	 * has since reached on a day not given. */
	if (opt->shape == KPI_FUNNEL_OUTCOME && e[0] != NO_DAY &&
	    e[0] != UNKNOWN_DAY && e[0] > as_of)
		return 0;
	for (j = 0; j < ns; j++) {
		int32_t day = e[j];

		/* Entries after --as-of have not happened yet. */
		if (day != NO_DAY && day != UNKNOWN_DAY && day > as_of)
			day = NO_DAY;
		v->eff[j] = day;
		if (day != NO_DAY) {
			v->reached = (int)j;
			any = 1;
		}
	}
	v->lost = lost_day != NO_DAY &&
		  (lost_day == UNKNOWN_DAY || lost_day <= as_of);
	v->lost_day = v->lost ? lost_day : NO_DAY;
	if (!opt->strict_skips) {
		/* A skipped stage was passed through when a later stage was
		 * entered; a regression does not undo an earlier pass. */
		for (j = ns - 1; j-- > 0;) {
			int32_t later = v->eff[j + 1], *here = &v->eff[j];

			if (later == NO_DAY || *here == UNKNOWN_DAY)
				continue;
			/* Outcomes date only creation and close: when a
			 * stage between was passed is not known. */
			if (*here == NO_DAY && opt->shape == KPI_FUNNEL_OUTCOME)
				*here = UNKNOWN_DAY;
			else if (*here == NO_DAY ||
				 (later != UNKNOWN_DAY && later < *here))
				*here = later;
		}
		/* A deal lost before any recorded stage entered the first. */
		if (v->reached < 0 && v->lost) {
			v->eff[0] = v->lost_day;
			v->reached = 0;
			any = 1;
		}
	}
	v->won = v->reached == (int)ns - 1;
	if (v->won)
		v->lost = 0;
	v->amount = funnel_deal_amount(f, deal);
	v->group = (uint32_t)d[DEAL_GROUP];
	return any || v->lost;
}

/* rank[slot] = position of the group in output order (kpi/keyorder.h);
 * the keys are distinct, so the ranks are 0..n-1. */
size_t *
funnel_group_ranks(const struct kpi_funnel *f)
{
	size_t n = kpi_group_count(f->groups);
	size_t nparts = f->opt->ngroup ? f->opt->ngroup : 1;
	size_t *rank = malloc((n ? n : 1) * sizeof(*rank));

	if (rank && kpi_keyorder_rank(f->groups, nparts, f->opt->common,
				      rank, NULL) != KPI_OK) {
		free(rank);
		return NULL;
	}
	return rank;
}

void
funnel_write_group(const struct kpi_funnel *f, struct kpi_csv_writer *w,
		   size_t slot)
{
	size_t i, len;

	for (i = 0; i < f->opt->ngroup; i++) {
		const char *p = kpi_group_part(f->groups, slot, i, &len);

		kpi_csv_write_field(w, p, len);
	}
}

void
funnel_group_text(const struct kpi_funnel *f, size_t slot, char *buf,
		  size_t size)
{
	size_t i, len = 0, plen;

	buf[0] = '\0';
	for (i = 0; i < f->opt->ngroup && len + 1 < size; i++) {
		const char *p = kpi_group_part(f->groups, slot, i, &plen);
		int n = snprintf(buf + len, size - len, "%s%.*s", i ? "," : "",
				 (int)(plen < INT_MAX ? plen : INT_MAX), p);

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

void
funnel_write_group_header(const struct kpi_funnel *f, struct kpi_csv_writer *w)
{
	size_t i;

	for (i = 0; i < f->opt->ngroup; i++)
		kpi_csv_write_str(w, f->opt->group_cols[i]);
}

void
funnel_write_rate(struct kpi_csv_writer *w,
		  const struct kpi_funnel_report_options *r,
		  unsigned long x, unsigned long n, int judged)
{
	double lo = NAN, hi = NAN, rate = NAN;

	if (judged && n > 0 && n >= r->min_n) {
		rate = (double)x / (double)n;
		kpi_prop_interval(x, n, r->level, (enum kpi_ci_method)r->ci, &lo,
				  &hi, NULL);
	}
	kpi_csv_write_double(w, rate, r->precision);
	kpi_csv_write_double(w, lo, r->precision);
	kpi_csv_write_double(w, hi, r->precision);
}

void
funnel_write_cohort(struct kpi_csv_writer *w,
		    const struct kpi_funnel_report_options *r, long cohort)
{
	char buf[KPI_DATE_BUFSZ];

	kpi_csv_write_field(w, buf, funnel_cohort_text(r, cohort, buf));
}

size_t
funnel_cohort_text(const struct kpi_funnel_report_options *r, long cohort,
		   char *buf)
{
	buf[0] = '\0';
	if (cohort == LONG_MIN)
		return 0;
	if (r->period_label)
		return kpi_period_label(cohort, r->every, r->cal, buf);
	return kpi_date_format_iso(cohort, buf);
}

/* The cohort of a deal: the period it entered the first stage in. */
long
funnel_cohort(const struct kpi_funnel_report_options *r,
	      const struct deal_view *v)
{
	if (!r->has_every || v->eff[0] == UNKNOWN_DAY || v->eff[0] == NO_DAY)
		return r->has_every ? LONG_MIN : 0;
	return kpi_period_start(v->eff[0], r->every, r->cal);
}

/* ==== Cells: (group, cohort) -> counters ==== */

/* Whole days to the next stage, for their median.  Values in [0, nhist)
 * are counted, the others kept, so that a stage with a million conversions
 * costs a counter per distinct day rather than a value per conversion
 * (values kept were the report's only memory that grew with the deals).
 * The counted range widens to cover the kept values when that takes no
 * more counters than the values it absorbs, up to DAYS_HIST_MAX days. */
#define DAYS_HIST_MAX 4096

struct days {
	int32_t *v;		/* values outside [0, nhist), unsorted */
	size_t n, cap;
	uint32_t *hist;		/* hist[x]: how many took x days */
	size_t nhist, counted;	/* counted = the sum of hist[] */
};

static int
days_counts(const struct days *d, int32_t x)
{
	return x >= 0 && (size_t)x < d->nhist;
}

/* v[] is full: widen the counted range over the values kept, if cheap. */
static enum kpi_status
days_fold(struct days *d, struct kpi_error *err)
{
	size_t want = d->nhist, absorbed = 0, i, j;
	uint32_t *hist;

	for (i = 0; i < d->n; i++)
		if (d->v[i] >= 0 && d->v[i] < DAYS_HIST_MAX) {
			absorbed++;
			if ((size_t)d->v[i] >= want)
				want = (size_t)d->v[i] + 1;
		}
	if (want == d->nhist || want > d->counted + absorbed)
		return KPI_OK;
	hist = realloc(d->hist, want * sizeof(*hist));
	if (!hist)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	memset(hist + d->nhist, 0, (want - d->nhist) * sizeof(*hist));
	d->hist = hist;
	d->nhist = want;
	for (i = j = 0; i < d->n; i++) {
		if (days_counts(d, d->v[i])) {
			d->hist[d->v[i]]++;
			d->counted++;
		} else {
			d->v[j++] = d->v[i];
		}
	}
	d->n = j;
	return KPI_OK;
}

static enum kpi_status
days_push(struct days *d, int32_t x, struct kpi_error *err)
{
	enum kpi_status st;

	if (!days_counts(d, x) && d->n == d->cap) {
		st = days_fold(d, err);
		if (st != KPI_OK)
			return st;
	}
	if (days_counts(d, x)) {
		d->hist[x]++;
		d->counted++;
		return KPI_OK;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		int32_t *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = x;
	return KPI_OK;
}

static int
compare_int32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* The k-th smallest value (from 0), v[] sorted, neg of them negative:
 * those, then the counted values, then the rest of v[]. */
static int32_t
days_kth(const struct days *d, size_t neg, size_t k)
{
	size_t x;

	if (k < neg)
		return d->v[k];
	if (k - neg < d->counted) {
		k -= neg;
		for (x = 0; k >= d->hist[x]; x++)
			k -= d->hist[x];
		return (int32_t)x;
	}
	return d->v[k - d->counted];
}

/* The median (R's type 7: the mean of the middle two for even n). */
static double
days_median(struct days *d)
{
	size_t total = d->n + d->counted, neg = 0;

	if (!total)
		return NAN;
	qsort(d->v, d->n, sizeof(*d->v), compare_int32);
	while (neg < d->n && d->v[neg] < 0)
		neg++;
	if (total % 2)
		return days_kth(d, neg, total / 2);
	return ((double)days_kth(d, neg, total / 2 - 1) +
		(double)days_kth(d, neg, total / 2)) / 2;
}

/* Per cell and stage. */
struct stage_cell {
	unsigned long entered, converted, lost, open, skipped;
	/* Of the entered, those that entered the first stage too (with
	 * strict skips a deal can start further on): cum_rate's numerator. */
	unsigned long from_first;
	int32_t last_entry;		/* latest known entry day, for --window */
	int has_unknown;		/* an entry day is not known */
	struct days days;		/* days to the next stage */
};

struct cells {
	struct kpi_group *keys;		/* (group slot, cohort) */
	struct stage_cell *c;		/* [cell * nstages + stage] */
	size_t cap, nstages;
};

static void
cells_free(struct cells *cs)
{
	size_t i;

	for (i = 0; cs->c && i < cs->cap * cs->nstages; i++) {
		free(cs->c[i].days.v);
		free(cs->c[i].days.hist);
	}
	free(cs->c);
	kpi_group_free(cs->keys);
}

static enum kpi_status
cell_of(struct cells *cs, uint32_t group, long cohort, size_t *cell,
	struct kpi_error *err)
{
	uint64_t g = group;
	const char *parts[2] = { (const char *)&g, (const char *)&cohort };
	size_t lens[2] = { sizeof(g), sizeof(cohort) };
	enum kpi_status st = kpi_group_intern(cs->keys, parts, lens, cell, NULL,
					      err);

	if (st != KPI_OK || *cell < cs->cap)
		return st;
	{
		size_t cap = cs->cap ? cs->cap * 2 : 64, i;
		struct stage_cell *c = realloc(cs->c, cap * cs->nstages * sizeof(*c));

		if (!c)
			return nomem(err);
		for (i = cs->cap * cs->nstages; i < cap * cs->nstages; i++) {
			memset(&c[i], 0, sizeof(c[i]));
			c[i].last_entry = NO_DAY;
		}
		cs->c = c;
		cs->cap = cap;
	}
	return KPI_OK;
}

struct cell_order {
	const struct cells *cs;
	const size_t *rank;
	size_t cell;
};

static void
cell_key(const struct cells *cs, size_t cell, uint64_t *group, long *cohort)
{
	memcpy(group, kpi_group_part(cs->keys, cell, 0, NULL), sizeof(*group));
	memcpy(cohort, kpi_group_part(cs->keys, cell, 1, NULL), sizeof(*cohort));
}

static int
compare_cells(const void *pa, const void *pb)
{
	const struct cell_order *a = pa, *b = pb;
	uint64_t ga, gb;
	long ca, cb;

	cell_key(a->cs, a->cell, &ga, &ca);
	cell_key(b->cs, b->cell, &gb, &cb);
	if (a->rank[ga] != a->rank[gb])
		return a->rank[ga] < a->rank[gb] ? -1 : 1;
	return (ca > cb) - (ca < cb);
}

/* ==== Funnel ==== */

static enum kpi_status
count_deal(struct cells *cs, const struct kpi_funnel_report_options *r,
	   const struct deal_view *v, size_t ns, struct kpi_error *err)
{
	size_t cell, j;
	enum kpi_status st = cell_of(cs, v->group, funnel_cohort(r, v), &cell, err);

	if (st != KPI_OK)
		return st;
	for (j = 0; j < ns; j++) {
		struct stage_cell *c = &cs->c[cell * ns + j];
		int32_t here = v->eff[j];
		int32_t next = j + 1 < ns ? v->eff[j + 1] : NO_DAY;
		int known = here != UNKNOWN_DAY && next != NO_DAY &&
			    next != UNKNOWN_DAY;

		if (here == NO_DAY)
			continue;	/* strict skips: not really entered */
		c->entered++;
		if (v->eff[0] != NO_DAY)
			c->from_first++;
		if (here == UNKNOWN_DAY)
			c->has_unknown = 1;
		else if (c->last_entry == NO_DAY || here > c->last_entry)
			c->last_entry = here;
		if (j + 1 == ns)
			break;
		if (next != NO_DAY) {
			/* A conversion outside the window does not count;
			 * without both days it cannot be checked.  With
			 * strict skips the next stage may have been entered
			 * before this one (a regression): the deal entered
			 * both, but took no step forward within a window and
			 * has no days to the next stage. */
			int forward = known && next >= here;

			if (r->window < 0 || !known ||
			    (forward && next - here <= r->window))
				c->converted++;
			if (forward) {
				st = days_push(&c->days, next - here, err);
				if (st != KPI_OK)
					return st;
			}
		} else if (v->reached > (int)j) {
			c->skipped++;	/* strict skips: went on past the next */
		} else if (v->lost) {
			c->lost++;
		} else {
			c->open++;
		}
	}
	return KPI_OK;
}

static void
write_funnel_header(const struct kpi_funnel *f,
		    const struct kpi_funnel_report_options *r,
		    struct kpi_csv_writer *w)
{
	static const char *const cols[] = {
		"stage", "next_stage", "entered", "converted", "lost", "open",
		"skipped", "rate", "rate_lo", "rate_hi", "cum_rate", "median_days",
	};
	size_t i;

	funnel_write_group_header(f, w);
	if (r->has_every)
		kpi_csv_write_str(w, "cohort");
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		kpi_csv_write_str(w, cols[i]);
	kpi_csv_end_row(w);
}

static void
write_funnel_cell(const struct kpi_funnel *f, const struct cells *cs,
		  size_t cell, const struct kpi_funnel_report_options *r,
		  struct kpi_csv_writer *w)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ns = opt->nstages, j;
	unsigned long first = cs->c[cell * ns].entered;
	uint64_t group;
	long cohort;

	cell_key(cs, cell, &group, &cohort);
	for (j = 0; j < ns; j++) {
		struct stage_cell *c = &cs->c[cell * ns + j];
		int last = j + 1 == ns;
		/* With a window, a stage can be judged once its latest
		 * entrant has had the whole window. */
		int judged = r->window < 0 ||
			     (!c->has_unknown && c->last_entry != NO_DAY &&
			      (long)c->last_entry + r->window <= r->as_of);

		funnel_write_group(f, w, (size_t)group);
		if (r->has_every)
			funnel_write_cohort(w, r, cohort);
		kpi_csv_write_str(w, opt->stages[j]);
		if (last)
			kpi_csv_write_empty(w);
		else
			kpi_csv_write_str(w, opt->stages[j + 1]);
		kpi_csv_write_long(w, (long long)c->entered);
		if (last) {
			kpi_csv_write_empty(w);
			kpi_csv_write_empty(w);
			kpi_csv_write_empty(w);
			kpi_csv_write_empty(w);
			funnel_write_rate(w, r, 0, 0, 0);
		} else {
			kpi_csv_write_long(w, (long long)c->converted);
			kpi_csv_write_long(w, (long long)c->lost);
			kpi_csv_write_long(w, (long long)c->open);
			kpi_csv_write_long(w, (long long)c->skipped);
			funnel_write_rate(w, r, c->converted, c->entered, judged);
		}
		kpi_csv_write_double(w, first && c->entered >= r->min_n
				     ? (double)c->from_first / (double)first
				     : NAN, r->precision);
		kpi_csv_write_double(w, days_median(&c->days), r->precision);
		kpi_csv_end_row(w);
	}
}

/* Cells in output order; NULL when out of memory. */
static size_t *
ordered_cells(const struct kpi_funnel *f, const struct cells *cs)
{
	size_t n = kpi_group_count(cs->keys), i;
	size_t *rank = funnel_group_ranks(f), *out = malloc((n ? n : 1) * sizeof(*out));
	struct cell_order *items = malloc((n ? n : 1) * sizeof(*items));

	if (!rank || !out || !items) {
		free(rank);
		free(out);
		free(items);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		items[i].cs = cs;
		items[i].rank = rank;
		items[i].cell = i;
	}
	qsort(items, n, sizeof(*items), compare_cells);
	for (i = 0; i < n; i++)
		out[i] = items[i].cell;
	free(items);
	free(rank);
	return out;
}

enum kpi_status
kpi_funnel_write_funnel(struct kpi_funnel *f,
			const struct kpi_funnel_report_options *r,
			struct kpi_csv_writer *w, struct kpi_error *err)
{
	size_t ns = f->opt->nstages, i, *order = NULL;
	struct cells cs = { NULL, NULL, 0, ns };
	struct deal_view v;
	enum kpi_status st = kpi_group_new(&cs.keys, 2, err);

	for (i = 0; st == KPI_OK && i < f->ndeals; i++)
		if (funnel_view(f, i, r->as_of, &v))
			st = count_deal(&cs, r, &v, ns, err);
	if (st == KPI_OK) {
		order = ordered_cells(f, &cs);
		if (!order)
			st = nomem(err);
	}
	if (st == KPI_OK) {
		write_funnel_header(f, r, w);
		for (i = 0; i < kpi_group_count(cs.keys); i++)
			write_funnel_cell(f, &cs, order[i], r, w);
		st = kpi_csv_writer_status(w);
	}
	free(order);
	cells_free(&cs);
	return st;
}

/* ==== Stage transitions ==== */

static const char *
code_name(const struct kpi_funnel_options *opt, unsigned code)
{
	return code < opt->nstages ? opt->stages[code]
				   : opt->lost[code - opt->nstages];
}

static const char *
transition_kind(const struct kpi_funnel_options *opt, unsigned from,
		unsigned to)
{
	size_t ns = opt->nstages;

	if (to >= ns)
		return "lost";
	if (from >= ns)
		return "reopened";
	if (to == from + 1)
		return "forward";
	return to > from ? "skip" : "backward";
}

static int
compare_entries(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;

	if (a->deal != b->deal)
		return a->deal < b->deal ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

enum kpi_status
kpi_funnel_write_transitions(struct kpi_funnel *f,
			     const struct kpi_funnel_report_options *r,
			     struct kpi_csv_writer *w, struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ncodes = opt->nstages + opt->nlost, ngroups, i, g, a, b;
	unsigned long *count;
	size_t *rank, *by_rank;
	enum kpi_status st;

	if (opt->shape != KPI_FUNNEL_HISTORY || !opt->keep_history)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "the transitions report needs a stage history (--id, --stage, --time)");
	ngroups = kpi_group_count(f->groups);
	count = calloc((ngroups ? ngroups : 1) * ncodes * ncodes, sizeof(*count));
	rank = funnel_group_ranks(f);
	by_rank = malloc((ngroups ? ngroups : 1) * sizeof(*by_rank));
	if (!count || !rank || !by_rank) {
		free(count);
		free(rank);
		free(by_rank);
		return nomem(err);
	}
	if (f->nhistory > 1)	/* qsort of no array is undefined */
		qsort(f->history, f->nhistory, sizeof(*f->history),
		      compare_entries);
	for (i = 1; i < f->nhistory; i++) {
		const struct entry *p = &f->history[i - 1], *e = &f->history[i];

		if (p->deal != e->deal || p->code == e->code || e->day > r->as_of)
			continue;
		g = funnel_deal_group(f, e->deal);
		count[(g * ncodes + p->code) * ncodes + e->code]++;
	}
	for (g = 0; g < ngroups; g++)
		by_rank[rank[g]] = g;

	funnel_write_group_header(f, w);
	kpi_csv_write_str(w, "from_stage");
	kpi_csv_write_str(w, "to_stage");
	kpi_csv_write_str(w, "kind");
	kpi_csv_write_str(w, "count");
	kpi_csv_end_row(w);
	for (i = 0; i < ngroups; i++) {
		g = by_rank[i];
		for (a = 0; a < ncodes; a++)
			for (b = 0; b < ncodes; b++) {
				unsigned long n = count[(g * ncodes + a) * ncodes + b];

				if (!n)
					continue;
				funnel_write_group(f, w, g);
				kpi_csv_write_str(w, code_name(opt, (unsigned)a));
				kpi_csv_write_str(w, code_name(opt, (unsigned)b));
				kpi_csv_write_str(w, transition_kind(opt, (unsigned)a,
								     (unsigned)b));
				kpi_csv_write_long(w, (long long)n);
				kpi_csv_end_row(w);
			}
	}
	st = kpi_csv_writer_status(w);
	free(count);
	free(rank);
	free(by_rank);
	return st;
}

/* ==== P(won | reached stage) ==== */

enum kpi_status
kpi_funnel_write_stage_win(struct kpi_funnel *f,
			   const struct kpi_funnel_report_options *r,
			   struct kpi_csv_writer *w, struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ns = opt->nstages, ngroups = kpi_group_count(f->groups), i, j, g;
	/* [group * ns + stage]: closed deals that reached it, won ones, and
	 * open deals sitting at it now. */
	unsigned long *closed = calloc((ngroups ? ngroups : 1) * ns, sizeof(long));
	unsigned long *won = calloc((ngroups ? ngroups : 1) * ns, sizeof(long));
	unsigned long *open = calloc((ngroups ? ngroups : 1) * ns, sizeof(long));
	size_t *rank = funnel_group_ranks(f);
	size_t *by_rank = malloc((ngroups ? ngroups : 1) * sizeof(size_t));
	struct deal_view v;
	enum kpi_status st = KPI_OK;

	if (!closed || !won || !open || !rank || !by_rank) {
		st = nomem(err);
		goto out;
	}
	for (i = 0; i < f->ndeals; i++) {
		if (!funnel_view(f, i, r->as_of, &v))
			continue;
		g = v.group;
		if (!v.won && !v.lost) {
			if (v.reached >= 0)
				open[g * ns + (size_t)v.reached]++;
			continue;
		}
		for (j = 0; j < ns; j++) {
			if (v.eff[j] == NO_DAY)
				continue;
			closed[g * ns + j]++;
			won[g * ns + j] += (unsigned long)v.won;
		}
	}
	for (g = 0; g < ngroups; g++)
		by_rank[rank[g]] = g;
	funnel_write_group_header(f, w);
	kpi_csv_write_str(w, "stage");
	kpi_csv_write_str(w, "closed");
	kpi_csv_write_str(w, "won");
	kpi_csv_write_str(w, "p_won");
	kpi_csv_write_str(w, "p_won_lo");
	kpi_csv_write_str(w, "p_won_hi");
	kpi_csv_write_str(w, "open");
	kpi_csv_end_row(w);
	for (i = 0; i < ngroups; i++) {
		g = by_rank[i];
		for (j = 0; j + 1 < ns; j++) {
			funnel_write_group(f, w, g);
			kpi_csv_write_str(w, opt->stages[j]);
			kpi_csv_write_long(w, (long long)closed[g * ns + j]);
			kpi_csv_write_long(w, (long long)won[g * ns + j]);
			funnel_write_rate(w, r, won[g * ns + j], closed[g * ns + j], 1);
			kpi_csv_write_long(w, (long long)open[g * ns + j]);
			kpi_csv_end_row(w);
		}
	}
	st = kpi_csv_writer_status(w);
out:
	free(closed);
	free(won);
	free(open);
	free(rank);
	free(by_rank);
	return st;
}

/* ==== Do conversion rates differ between groups? ==== */

static void
write_compare_stage(const struct kpi_funnel *f, const struct cells *cs,
		    size_t j, const struct kpi_funnel_report_options *r,
		    struct kpi_csv_writer *w, unsigned long *x, unsigned long *n)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ns = opt->nstages, ncells = kpi_group_count(cs->keys), i;
	unsigned long sx = 0, sn = 0;
	struct kpi_chisq chi;
	double p = NAN;
	const char *test = "chisq";

	for (i = 0; i < ncells; i++) {
		x[i] = cs->c[i * ns + j].converted;
		n[i] = cs->c[i * ns + j].entered;
		sx += x[i];
		sn += n[i];
	}
	kpi_prop_chisq(x, n, ncells, &chi, NULL);
	p = chi.p_value;
	/* Two groups with a small expected count: the chi-square p-value is
	 * not to be trusted (Cochran 1954); Fisher's test is exact. */
	if (chi.groups == 2 && chi.min_expected < 5) {
		size_t a = SIZE_MAX, b = SIZE_MAX;

		for (i = 0; i < ncells; i++)
			if (n[i] > 0) {
				if (a == SIZE_MAX)
					a = i;
				else
					b = i;
			}
		kpi_fisher_exact(x[a], n[a] - x[a], x[b], n[b] - x[b], &p, NULL);
		test = "fisher";
	}
	kpi_csv_write_str(w, opt->stages[j]);
	kpi_csv_write_str(w, opt->stages[j + 1]);
	kpi_csv_write_long(w, (long long)chi.groups);
	kpi_csv_write_long(w, (long long)sn);
	kpi_csv_write_long(w, (long long)sx);
	kpi_csv_write_double(w, sn ? (double)sx / (double)sn : NAN, r->precision);
	kpi_csv_write_str(w, chi.groups >= 2 ? test : "");
	kpi_csv_write_double(w, strcmp(test, "fisher") ? chi.statistic : NAN,
			     r->precision);
	kpi_csv_write_double(w, strcmp(test, "fisher") && chi.groups >= 2
			     ? chi.df : NAN, r->precision);
	kpi_csv_write_double(w, p, r->precision);
	kpi_csv_write_double(w, chi.min_expected, r->precision);
	kpi_csv_end_row(w);
}

enum kpi_status
kpi_funnel_write_compare(struct kpi_funnel *f,
			 const struct kpi_funnel_report_options *r,
			 struct kpi_csv_writer *w, struct kpi_error *err)
{
	static const char *const cols[] = {
		"stage", "next_stage", "groups", "entered", "converted", "rate",
		"test", "statistic", "df", "p_value", "min_expected",
	};
	struct kpi_funnel_report_options whole = *r;
	size_t ns = f->opt->nstages, i, ncells;
	struct cells cs = { NULL, NULL, 0, ns };
	unsigned long *x = NULL, *n = NULL;
	struct deal_view v;
	enum kpi_status st = kpi_group_new(&cs.keys, 2, err);

	whole.has_every = 0;	/* one cell per group */
	for (i = 0; st == KPI_OK && i < f->ndeals; i++)
		if (funnel_view(f, i, r->as_of, &v))
			st = count_deal(&cs, &whole, &v, ns, err);
	ncells = cs.keys ? kpi_group_count(cs.keys) : 0;
	if (st == KPI_OK) {
		x = malloc((ncells ? ncells : 1) * sizeof(*x));
		n = malloc((ncells ? ncells : 1) * sizeof(*n));
		if (!x || !n)
			st = nomem(err);
	}
	if (st == KPI_OK) {
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			kpi_csv_write_str(w, cols[i]);
		kpi_csv_end_row(w);
		for (i = 0; i + 1 < ns; i++)
			write_compare_stage(f, &cs, i, r, w, x, n);
		st = kpi_csv_writer_status(w);
	}
	free(x);
	free(n);
	cells_free(&cs);
	return st;
}
