/* funnel-winrate.c - the winrate report: outcomes, win rate by count and by
 * amount, deal sizes, and the sales cycle both among closed deals and with
 * open deals censored (Kaplan-Meier), plus P(won within d days) with loss as
 * a competing risk (Aalen-Johansen). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnel-internal.h"
#include "kpi/prop.h"
#include "kpi/stats.h"
#include "kpi/survival.h"

/* Status codes of the competing-risks fit. */
enum { CENSORED = 0, WON = 1, LOST = 2 };

/* One (group, cohort) cell. */
struct win_cell {
	uint64_t group;
	long cohort;
	unsigned long deals, won, lost, open, stale;
	unsigned long open_qualified;	/* open at or past r->qualified */
	struct kpi_wprop amount;	/* closed deals with an amount */
	struct kpi_moments won_size;
	struct kpi_values won_sizes;
	struct kpi_values cycle;	/* closed deals: days created -> closed */
	/* every deal with a start day: duration and outcome */
	double *t;
	int *status;
	size_t nt, tcap;
};

static void
cell_free(struct win_cell *c)
{
	kpi_values_free(&c->won_sizes);
	kpi_values_free(&c->cycle);
	free(c->t);
	free(c->status);
}

static enum kpi_status
push_time(struct win_cell *c, double t, int status, struct kpi_error *err)
{
	if (c->nt == c->tcap) {
		size_t cap = c->tcap ? 2 * c->tcap : 64;
		double *nt = realloc(c->t, cap * sizeof(*nt));
		int *ns;

		if (!nt)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		c->t = nt;
		ns = realloc(c->status, cap * sizeof(*ns));
		if (!ns)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		c->status = ns;
		c->tcap = cap;
	}
	c->t[c->nt] = t;
	c->status[c->nt] = status;
	c->nt++;
	return KPI_OK;
}

/* Fold one deal, as of r->as_of, into its cell. */
static enum kpi_status
add_deal(struct win_cell *c, const struct kpi_funnel_report_options *r,
	 const struct deal_view *v, size_t ns, struct kpi_error *err)
{
	int32_t start = v->eff[0];
	int known_start = start != NO_DAY && start != UNKNOWN_DAY;
	int32_t close = v->won ? v->eff[ns - 1] : v->lost ? v->lost_day : NO_DAY;
	int known_close = close != NO_DAY && close != UNKNOWN_DAY;
	int won = v->won, lost = v->lost;
	enum kpi_status st = KPI_OK;

	c->deals++;
	/* An open deal older than --stale-after days counts as lost on the
	 * day it went stale. */
	if (!won && !lost && known_start && r->stale_after >= 0 &&
	    r->as_of - start > r->stale_after) {
		lost = 1;
		close = (int32_t)(start + r->stale_after);
		known_close = 1;
		c->stale++;
	}
	if (won) {
		c->won++;
	} else if (lost) {
		c->lost++;
	} else {
		c->open++;
		if (v->reached >= (int)r->qualified)
			c->open_qualified++;
	}
	if ((won || lost) && !isnan(v->amount) && v->amount >= 0)
		st = kpi_wprop_add(&c->amount, v->amount, won, err);
	if (st == KPI_OK && won && !isnan(v->amount)) {
		kpi_moments_add(&c->won_size, v->amount);
		st = kpi_values_push(&c->won_sizes, v->amount, err);
	}
	if (st != KPI_OK || !known_start)
		return st;
	if (won || lost) {
		if (!known_close || close < start)
			return KPI_OK;
		st = kpi_values_push(&c->cycle, (double)(close - start), err);
		if (st == KPI_OK)
			st = push_time(c, (double)(close - start), won ? WON : LOST,
				       err);
		return st;
	}
	/* Still open: censored at --as-of. */
	return push_time(c, (double)(r->as_of - start), CENSORED, err);
}

/* Group columns, cohort, then cols[]. */
static void
write_columns(const struct kpi_funnel *f,
	      const struct kpi_funnel_report_options *r,
	      struct kpi_csv_writer *w, const char *const *cols, size_t n)
{
	size_t i;

	funnel_write_group_header(f, w);
	if (r->has_every)
		kpi_csv_write_str(w, "cohort");
	for (i = 0; i < n; i++)
		kpi_csv_write_str(w, cols[i]);
}

static double
cycle_mean(const struct win_cell *c)
{
	struct kpi_sum s = { 0, 0 };
	size_t i;

	for (i = 0; i < c->cycle.n; i++)
		kpi_sum_add(&s, c->cycle.v[i]);
	return c->cycle.n ? kpi_sum_value(&s) / (double)c->cycle.n : NAN;
}

static void
write_header(const struct kpi_funnel *f, const struct kpi_funnel_report_options *r,
	     struct kpi_csv_writer *w)
{
	static const char *const cols[] = {
		"deals", "won", "lost", "open", "stale",
		"win_rate", "win_rate_lo", "win_rate_hi",
		"won_amount", "closed_amount",
		"amount_win_rate", "amount_win_rate_lo", "amount_win_rate_hi",
		"won_mean", "won_median",
		"cycle_n", "cycle_mean", "cycle_median",
		"km_median", "km_median_lo", "km_median_hi",
	};
	char name[64];
	size_t i;

	write_columns(f, r, w, cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < r->nwithin; i++) {
		snprintf(name, sizeof(name), "p_won_%ldd", r->within[i]);
		kpi_csv_write_str(w, name);
	}
	kpi_csv_end_row(w);
}

/* The money figures of a cell as written, NaN where the column is empty
 * by design (no won deal, no win rate, no cycle); the velocity and its
 * rate and cycle only for that report. */
struct money {
	double won, closed, won_mean;
	double rate, cycle, velocity;
};

/* open x rate x mean / cycle with the mean's binary exponent set aside
 * until the end: scaling by a power of two is exact, so these are the
 * roundings of the plain product, but a product that passes the largest
 * double only on the way (2 open deals x 1.5e308 / 2 days) does not
 * overflow. */
static double
velocity_of(unsigned long open, double rate, double mean, double cycle)
{
	int e;
	double fraction = frexp(mean, &e);

	return ldexp((double)open * rate * fraction / cycle, e);
}

static void
cell_money(const struct win_cell *c, const struct kpi_funnel_report_options *r,
	   int velocity, struct money *m)
{
	unsigned long closed = c->won + c->lost;

	m->won = kpi_sum_value(&c->amount.won);
	m->closed = kpi_sum_value(&c->amount.all);
	m->won_mean = kpi_moments_mean(&c->won_size);
	m->rate = m->cycle = m->velocity = NAN;
	if (!velocity)
		return;
	if (closed && closed >= r->min_n)
		m->rate = (double)c->won / (double)closed;
	m->cycle = cycle_mean(c);
	if (m->cycle > 0)
		m->velocity = velocity_of(c->open_qualified, m->rate,
					  m->won_mean, m->cycle);
}

static double
median_of(struct kpi_values *vs)
{
	if (!vs->n)
		return NAN;
	kpi_values_sort(vs);
	return kpi_quantile_sorted(vs->v, vs->n, 0.5, 7);
}

static enum kpi_status
write_cell(const struct kpi_funnel *f, struct win_cell *c,
	   const struct kpi_funnel_report_options *r, struct kpi_csv_writer *w,
	   struct kpi_error *err)
{
	struct kpi_km *km = NULL;
	struct kpi_cif *cif = NULL;
	double ratio, lo, hi, med = NAN, med_lo = NAN, med_hi = NAN;
	struct money m;
	int *event = NULL;
	size_t i;
	int p = r->precision;
	enum kpi_status st = KPI_OK;

	if (c->nt) {
		event = malloc(c->nt * sizeof(*event));
		if (!event)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		/* For the cycle, any close is the event. */
		for (i = 0; i < c->nt; i++)
			event[i] = c->status[i] != CENSORED;
		st = kpi_km_new(&km, c->t, event, c->nt, r->level, err);
		if (st == KPI_OK)
			st = kpi_cif_new(&cif, c->t, c->status, c->nt, 2, err);
		if (st != KPI_OK)
			goto out;
		kpi_km_median(km, &med, &med_lo, &med_hi);
	}

	funnel_write_group(f, w, (size_t)c->group);
	if (r->has_every)
		funnel_write_cohort(w, r, c->cohort);
	kpi_csv_write_long(w, (long long)c->deals);
	kpi_csv_write_long(w, (long long)c->won);
	kpi_csv_write_long(w, (long long)c->lost);
	kpi_csv_write_long(w, (long long)c->open);
	kpi_csv_write_long(w, (long long)c->stale);
	funnel_write_rate(w, r, c->won, c->won + c->lost, 1);
	cell_money(c, r, 0, &m);
	kpi_csv_write_double(w, m.won, p);
	kpi_csv_write_double(w, m.closed, p);
	ratio = lo = hi = NAN;
	if (c->won + c->lost >= r->min_n)
		kpi_wprop_interval(&c->amount, r->level, &ratio, &lo, &hi, NULL);
	kpi_csv_write_double(w, ratio, p);
	kpi_csv_write_double(w, lo, p);
	kpi_csv_write_double(w, hi, p);
	kpi_csv_write_double(w, m.won_mean, p);
	kpi_csv_write_double(w, median_of(&c->won_sizes), p);
	kpi_csv_write_long(w, (long long)c->cycle.n);
	kpi_csv_write_double(w, cycle_mean(c), p);
	kpi_csv_write_double(w, median_of(&c->cycle), p);
	kpi_csv_write_double(w, med, p);
	kpi_csv_write_double(w, med_lo, p);
	kpi_csv_write_double(w, med_hi, p);
	for (i = 0; i < r->nwithin; i++) {
		double pw = NAN;

		if (cif)
			kpi_cif_at(cif, WON, (double)r->within[i], &pw, NULL);
		kpi_csv_write_double(w, pw, p);
	}
	kpi_csv_end_row(w);
out:
	kpi_km_free(km);
	kpi_cif_free(cif);
	free(event);
	return st;
}

static void
write_velocity_header(const struct kpi_funnel *f,
		      const struct kpi_funnel_report_options *r,
		      struct kpi_csv_writer *w)
{
	static const char *const cols[] = {
		"open_qualified", "win_rate", "won_mean", "cycle_mean",
		"velocity",
	};

	write_columns(f, r, w, cols, sizeof(cols) / sizeof(cols[0]));
	kpi_csv_end_row(w);
}

/* Sales velocity, the value the open pipeline turns into per day:
 * open qualified deals x win rate x mean won amount / mean cycle. */
static enum kpi_status
write_velocity_cell(const struct kpi_funnel *f, struct win_cell *c,
		    const struct kpi_funnel_report_options *r,
		    struct kpi_csv_writer *w, struct kpi_error *err)
{
	struct money m;

	cell_money(c, r, 1, &m);
	funnel_write_group(f, w, (size_t)c->group);
	if (r->has_every)
		funnel_write_cohort(w, r, c->cohort);
	kpi_csv_write_long(w, (long long)c->open_qualified);
	kpi_csv_write_double(w, m.rate, r->precision);
	kpi_csv_write_double(w, m.won_mean, r->precision);
	kpi_csv_write_double(w, m.cycle, r->precision);
	kpi_csv_write_double(w, m.velocity, r->precision);
	kpi_csv_end_row(w);
	return KPI_OK;
}

struct cell_sort {
	const size_t *rank;
	struct win_cell *c;
};

static int
compare_cells(const void *pa, const void *pb)
{
	const struct cell_sort *a = pa, *b = pb;

	if (a->rank[a->c->group] != b->rank[b->c->group])
		return a->rank[a->c->group] < b->rank[b->c->group] ? -1 : 1;
	return (a->c->cohort > b->c->cohort) - (a->c->cohort < b->c->cohort);
}

/* Every amount read is finite, so a money figure that is not can only
 * come from an overflow: refused before the output is begun, as kpi-agg
 * and kpi-pipeline do, rather than written as an empty cell that reads as
 * "no data".  A mean of finite amounts is finite (kpi_moments_mean), so
 * won_mean needs no check.  The cells are checked in output order, so the
 * first named is the first the output would have shown. */
static enum kpi_status
check_money(const struct kpi_funnel *f,
	    const struct kpi_funnel_report_options *r,
	    const struct cell_sort *order, size_t n, int velocity,
	    struct kpi_error *err)
{
	char group[256], cohort[KPI_DATE_BUFSZ];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct win_cell *c = order[i].c;
		const char *name = NULL;
		struct money m;

		cell_money(c, r, velocity, &m);
		if (!velocity && !isfinite(m.won))
			name = "won_amount";
		else if (!velocity && !isfinite(m.closed))
			name = "closed_amount";
		else if (isinf(m.velocity))
			name = "velocity";
		if (!name)
			continue;
		funnel_group_text(f, (size_t)c->group, group, sizeof(group));
		cohort[0] = '\0';
		if (r->has_every)
			funnel_cohort_text(r, c->cohort, cohort);
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%s%s%s%s%s%s%s lies beyond the largest number a double holds (about 1.8e308): %s%s%s",
				     name,
				     f->opt->ngroup ? " of group \"" : "",
				     group, f->opt->ngroup ? "\"" : "",
				     r->has_every ? " in cohort " : "",
				     r->has_every && !cohort[0] ? "(unknown)" : "",
				     cohort,
				     strcmp(name, "velocity") == 0
				     ? "open_qualified x win_rate x won_mean / cycle_mean is too large" : "the amounts of column ",
				     strcmp(name, "velocity") == 0 ? "" : f->opt->amount_col,
				     strcmp(name, "velocity") == 0 ? "" : " are too large to add up");
	}
	return KPI_OK;
}

static enum kpi_status
write_cells(struct kpi_funnel *f, const struct kpi_funnel_report_options *r,
	    struct kpi_csv_writer *w, struct kpi_error *err, int velocity)
{
	size_t ns = f->opt->nstages, i, slot, ncells = 0, cap = 0;
	struct kpi_group *keys = NULL;
	struct win_cell *cells = NULL;
	struct cell_sort *order = NULL;
	size_t *rank = NULL;
	struct deal_view v;
	enum kpi_status st = kpi_group_new(&keys, 2, err);

	for (i = 0; st == KPI_OK && i < f->ndeals; i++) {
		uint64_t g;
		long cohort;
		const char *parts[2] = { (const char *)&g, (const char *)&cohort };
		size_t lens[2] = { sizeof(g), sizeof(cohort) };
		int added;

		if (!funnel_view(f, i, r->as_of, &v))
			continue;
		g = v.group;
		cohort = funnel_cohort(r, &v);
		st = kpi_group_intern(keys, parts, lens, &slot, &added, err);
		if (st != KPI_OK)
			break;
		if (added) {
			if (slot >= cap) {
				size_t ncap = cap ? 2 * cap : 16;
				struct win_cell *nc = realloc(cells, ncap * sizeof(*nc));

				if (!nc) {
					st = kpi_error_set(err, KPI_ENOMEM, 0,
							   "out of memory");
					break;
				}
				cells = nc;
				cap = ncap;
			}
			memset(&cells[slot], 0, sizeof(cells[slot]));
			cells[slot].group = g;
			cells[slot].cohort = cohort;
			kpi_wprop_init(&cells[slot].amount);
			kpi_moments_init(&cells[slot].won_size);
			ncells = slot + 1;
		}
		st = add_deal(&cells[slot], r, &v, ns, err);
	}
	if (st == KPI_OK) {
		rank = funnel_group_ranks(f);
		order = malloc((ncells ? ncells : 1) * sizeof(*order));
		if (!rank || !order)
			st = kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	if (st == KPI_OK) {
		for (i = 0; i < ncells; i++) {
			order[i].rank = rank;
			order[i].c = &cells[i];
		}
		qsort(order, ncells, sizeof(*order), compare_cells);
		if (f->has_amount)
			st = check_money(f, r, order, ncells, velocity, err);
	}
	if (st == KPI_OK) {
		if (velocity)
			write_velocity_header(f, r, w);
		else
			write_header(f, r, w);
		for (i = 0; st == KPI_OK && i < ncells; i++)
			st = velocity ? write_velocity_cell(f, order[i].c, r, w, err)
				      : write_cell(f, order[i].c, r, w, err);
		if (st == KPI_OK)
			st = kpi_csv_writer_status(w);
	}
	for (i = 0; i < ncells; i++)
		cell_free(&cells[i]);
	free(cells);
	free(order);
	free(rank);
	kpi_group_free(keys);
	return st;
}

enum kpi_status
kpi_funnel_write_winrate(struct kpi_funnel *f,
			 const struct kpi_funnel_report_options *r,
			 struct kpi_csv_writer *w, struct kpi_error *err)
{
	return write_cells(f, r, w, err, 0);
}

enum kpi_status
kpi_funnel_write_velocity(struct kpi_funnel *f,
			  const struct kpi_funnel_report_options *r,
			  struct kpi_csv_writer *w, struct kpi_error *err)
{
	return write_cells(f, r, w, err, 1);
}
