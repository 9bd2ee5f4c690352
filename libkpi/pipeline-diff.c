/* pipeline-diff.c - the pipeline waterfall between two snapshots of the
 * open deals: opening total, the movements that explain every change, and
 * the closing total, per group and period.
 *
 * Each deal lands in exactly one movement of each row it touches, by a
 * fixed precedence (kpi-pipeline(1) defines it), and its whole change goes
 * there, so the movements partition the change and
 *   opening + sum of movements = closing
 * holds by construction.  It is checked anyway: a row that breaks it is a
 * bug, reported as KPI_ENUMERIC. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline-internal.h"

static const char *const movement_names[KPI_MOVE_COUNT] = {
	"new", "won", "lost", "moved_in", "moved_out", "pulled_in",
	"pushed_out", "increased", "decreased", "advanced", "regressed",
};

const char *
kpi_movement_name(enum kpi_movement m)
{
	return (unsigned)m < KPI_MOVE_COUNT ? movement_names[m] : "";
}

/* Inflows add a deal to the row, outflows take one away; the rest change
 * the value of a deal that stays. */
static int
movement_sign(enum kpi_movement m)
{
	switch (m) {
	case KPI_MOVE_NEW:
	case KPI_MOVE_MOVED_IN:
	case KPI_MOVE_PULLED_IN:
		return 1;
	case KPI_MOVE_WON:
	case KPI_MOVE_LOST:
	case KPI_MOVE_MOVED_OUT:
	case KPI_MOVE_PUSHED_OUT:
		return -1;
	default:
		return 0;
	}
}

static enum kpi_status
grow_snaps(struct kpi_pipeline *p, size_t n, struct kpi_error *err)
{
	size_t cap = p->snap_cap ? p->snap_cap : 1024;
	struct snap *o, *nw;

	if (n <= p->snap_cap)
		return KPI_OK;
	while (cap < n)
		cap *= 2;
	o = realloc(p->snap_old, cap * sizeof(*o));
	if (!o)
		return pipeline_nomem(err);
	p->snap_old = o;
	nw = realloc(p->snap_new, cap * sizeof(*nw));
	if (!nw)
		return pipeline_nomem(err);
	p->snap_new = nw;
	memset(o + p->snap_cap, 0, (cap - p->snap_cap) * sizeof(*o));
	memset(nw + p->snap_cap, 0, (cap - p->snap_cap) * sizeof(*nw));
	p->snap_cap = cap;
	return KPI_OK;
}

enum kpi_status
pipeline_snap_add(struct kpi_pipeline *p, int old,
		  const struct kpi_csv_record *rec, struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	const struct deal_cols *cols = old ? &p->old_cols : &p->cols;
	struct parsed_deal d;
	struct snap *s;
	enum kpi_status st;

	st = pipeline_parse_deal(p, cols, rec, opt->weighted, &d, err);
	if (st != KPI_OK)
		return st;
	st = grow_snaps(p, d.id + 1, err);
	if (st != KPI_OK)
		return st;
	s = old ? &p->snap_old[d.id] : &p->snap_new[d.id];
	if (s->state != SNAP_ABSENT)
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "deal \"%.60s\" is given twice",
					  rec->fields[cols->id]), opt->id_col);
	if (d.group > UINT32_MAX)
		return pipeline_nomem(err);
	switch (d.kind) {
	case DEAL_OPEN:
		s->state = SNAP_OPEN;
		break;
	case DEAL_WON:
		s->state = SNAP_WON;
		break;
	default:		/* lost, or omitted from the forecast */
		s->state = SNAP_LOST;
		break;
	}
	s->group = (uint32_t)d.group;
	s->stage = d.stage;
	s->amount = d.amount;
	s->p = d.p;
	s->period = s->state == SNAP_LOST ? 0
		    : kpi_period_start(d.close, opt->every, &opt->common->cal);
	return KPI_OK;
}

/* ==== Classification ==== */

#define PART_OPENING KPI_MOVE_COUNT
#define PART_CLOSING (KPI_MOVE_COUNT + 1)

/* One deal's part in one row. */
struct contrib {
	size_t rank;
	long period;
	size_t group;
	unsigned what;		/* a movement, PART_OPENING or PART_CLOSING */
	double value;
};

struct contribs {
	struct contrib *c;
	size_t n, cap;
};

static enum kpi_status
add(struct contribs *cs, const struct kpi_pipeline *p, const struct snap *s,
    unsigned what, double value, struct kpi_error *err)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 1024;
		struct contrib *c = realloc(cs->c, cap * sizeof(*c));

		if (!c)
			return pipeline_nomem(err);
		cs->c = c;
		cs->cap = cap;
	}
	cs->c[cs->n].rank = p->rank[s->group];
	cs->c[cs->n].period = s->period;
	cs->c[cs->n].group = s->group;
	cs->c[cs->n].what = what;
	cs->c[cs->n].value = value;
	cs->n++;
	return KPI_OK;
}

static double
value_of(const struct kpi_pipeline *p, const struct snap *s)
{
	return p->opt->weighted ? s->amount * s->p : s->amount;
}

/* The movement of a deal open in both snapshots and in the same row. */
static int
in_row_movement(const struct snap *o, const struct snap *n)
{
	if (n->amount > o->amount)
		return KPI_MOVE_INCREASED;
	if (n->amount < o->amount)
		return KPI_MOVE_DECREASED;
	if (n->stage != o->stage)
		return n->stage > o->stage ? KPI_MOVE_ADVANCED : KPI_MOVE_REGRESSED;
	/* Same stage: only a per-deal probability can have moved. */
	if (n->p > o->p)
		return KPI_MOVE_ADVANCED;
	if (n->p < o->p)
		return KPI_MOVE_REGRESSED;
	return -1;
}

static enum kpi_status
classify(const struct kpi_pipeline *p, size_t id, size_t won_known,
	 struct contribs *cs, struct kpi_error *err)
{
	const struct snap *o = &p->snap_old[id], *n = &p->snap_new[id];
	double vo = o->state == SNAP_OPEN ? value_of(p, o) : 0;
	double vn = n->state == SNAP_OPEN ? value_of(p, n) : 0;
	enum kpi_status st = KPI_OK;
	int m;

	if (o->state == SNAP_OPEN)
		st = add(cs, p, o, PART_OPENING, vo, err);
	if (st == KPI_OK && n->state == SNAP_OPEN)
		st = add(cs, p, n, PART_CLOSING, vn, err);
	if (st != KPI_OK)
		return st;
	if (o->state == SNAP_OPEN && n->state == SNAP_OPEN) {
		if (o->group != n->group) {
			st = add(cs, p, o, KPI_MOVE_MOVED_OUT, -vo, err);
			if (st == KPI_OK)
				st = add(cs, p, n, KPI_MOVE_MOVED_IN, vn, err);
		} else if (o->period != n->period) {
			st = add(cs, p, o, KPI_MOVE_PUSHED_OUT, -vo, err);
			if (st == KPI_OK)
				st = add(cs, p, n, KPI_MOVE_PULLED_IN, vn, err);
		} else {
			m = in_row_movement(o, n);
			if (m >= 0)
				st = add(cs, p, n, (unsigned)m, vn - vo, err);
		}
	} else if (o->state == SNAP_OPEN) {
		int won = n->state == SNAP_WON;

		/* Gone from the new snapshot: won if --won names it. */
		if (n->state == SNAP_ABSENT && p->won_ids) {
			size_t len, slot;
			const char *parts[1];
			size_t lens[1];

			parts[0] = kpi_group_part(p->ids, id, 0, &len);
			lens[0] = len;
			st = kpi_group_intern(p->won_ids, parts, lens, &slot, NULL,
					      err);
			won = st == KPI_OK && slot < won_known;
		}
		if (st == KPI_OK)
			st = add(cs, p, o, won ? KPI_MOVE_WON : KPI_MOVE_LOST, -vo,
				 err);
	} else if (n->state == SNAP_OPEN) {
		st = add(cs, p, n, KPI_MOVE_NEW, vn, err);
	}
	return st;
}

static int
compare_contribs(const void *pa, const void *pb)
{
	const struct contrib *x = pa, *y = pb;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->period > y->period) - (x->period < y->period);
}

/* The group key of waterfall row r ("East,Enterprise", cut to size) and
 * its period, for messages. */
static void
row_names(const struct kpi_pipeline *p, const struct kpi_waterfall_row *r,
	  char *key, size_t size, char *day)
{
	size_t i, len = 0;

	key[0] = '\0';
	for (i = 0; i < p->opt->ngroup && len + 1 < size; i++) {
		size_t plen;
		const char *s = kpi_group_part(p->groups, r->group, i, &plen);
		int w = snprintf(key + len, size - len, "%s%.*s",
				 i ? "," : "", (int)plen, s);

		if (w > 0)
			len += (size_t)w;
	}
	kpi_date_format_iso(r->period, day);
}

/* Values of finite amounts that add up beyond the largest double are
 * refused, as the distribution's totals are, rather than written empty. */
static enum kpi_status
check_finite(const struct kpi_pipeline *p, const struct kpi_waterfall_row *r,
	     struct kpi_error *err)
{
	char key[128], day[KPI_DATE_BUFSZ];
	int over = isinf(r->opening) || isinf(r->closing);
	size_t m;

	for (m = 0; m < KPI_MOVE_COUNT; m++)
		over = over || isinf(r->value[m]);
	if (!over)
		return KPI_OK;
	row_names(p, r, key, sizeof(key), day);
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "the waterfall of %s%s%s: the amounts add up beyond the largest number a double holds (about 1.8e308)",
			     key, key[0] ? " " : "", day);
}

/* opening + movements = closing, in value and in deals.  The left side is
 * summed in a kpi_bigsum, which does not overflow on the way (opening and
 * new deals near the largest double, then as much lost). */
static enum kpi_status
check_row(const struct kpi_pipeline *p, const struct kpi_waterfall_row *r,
	  struct kpi_error *err)
{
	struct kpi_bigsum lhs = KPI_BIGSUM_INIT;
	double scale = fabs(r->opening) + fabs(r->closing), sum;
	long long deals = (long long)r->opening_deals;
	char key[128], day[KPI_DATE_BUFSZ];
	size_t m;

	kpi_bigsum_add(&lhs, r->opening);
	for (m = 0; m < KPI_MOVE_COUNT; m++) {
		kpi_bigsum_add(&lhs, r->value[m]);
		scale += fabs(r->value[m]);
		deals += movement_sign((enum kpi_movement)m) * (long long)r->deals[m];
	}
	sum = kpi_bigsum_value(&lhs);
	if (fabs(sum - r->closing) <= 1e-9 * scale &&
	    deals == (long long)r->closing_deals)
		return KPI_OK;
	row_names(p, r, key, sizeof(key), day);
	return kpi_error_set(err, KPI_ENUMERIC, 0,
			     "internal error: the waterfall of %s%s%s does not add up: opening %.17g (%lu deals) + movements %.17g != closing %.17g (%lld vs %lu deals); please report this bug",
			     key, key[0] ? " " : "", day, r->opening,
			     r->opening_deals, sum - r->opening, r->closing,
			     deals, r->closing_deals);
}

enum kpi_status
pipeline_diff_finish(struct kpi_pipeline *p, struct kpi_error *err)
{
	size_t nids = p->ids ? kpi_group_count(p->ids) : 0, i, j, m;
	size_t won_known = p->won_ids ? kpi_group_count(p->won_ids) : 0;
	struct contribs cs = { NULL, 0, 0 };
	enum kpi_status st;

	st = pipeline_rank_groups(p, err);
	if (st == KPI_OK)
		st = grow_snaps(p, nids, err);
	for (i = 0; st == KPI_OK && i < nids; i++)
		st = classify(p, i, won_known, &cs, err);
	if (st != KPI_OK)
		goto out;
	if (cs.n)
		qsort(cs.c, cs.n, sizeof(*cs.c), compare_contribs);
	p->wf = calloc(cs.n ? cs.n : 1, sizeof(*p->wf));
	if (!p->wf) {
		st = pipeline_nomem(err);
		goto out;
	}
	for (i = 0; i < cs.n; i = j) {
		struct kpi_waterfall_row *r = &p->wf[p->nwf++];
		struct kpi_sum open = { 0, 0 }, close = { 0, 0 };
		struct kpi_sum v[KPI_MOVE_COUNT];

		memset(v, 0, sizeof(v));
		r->group = cs.c[i].group;
		r->period = cs.c[i].period;
		for (j = i; j < cs.n && cs.c[j].rank == cs.c[i].rank &&
			    cs.c[j].period == cs.c[i].period; j++) {
			const struct contrib *c = &cs.c[j];

			if (c->what == PART_OPENING) {
				r->opening_deals++;
				kpi_sum_add(&open, c->value);
			} else if (c->what == PART_CLOSING) {
				r->closing_deals++;
				kpi_sum_add(&close, c->value);
			} else {
				r->deals[c->what]++;
				kpi_sum_add(&v[c->what], c->value);
			}
		}
		r->opening = kpi_sum_value(&open);
		r->closing = kpi_sum_value(&close);
		for (m = 0; m < KPI_MOVE_COUNT; m++)
			r->value[m] = kpi_sum_value(&v[m]);
		st = check_finite(p, r, err);
		if (st == KPI_OK)
			st = check_row(p, r, err);
		if (st != KPI_OK)
			goto out;
	}
out:
	free(cs.c);
	return st;
}

const struct kpi_waterfall_row *
kpi_pipeline_waterfall(const struct kpi_pipeline *p, size_t *nrows)
{
	*nrows = p->nwf;
	return p->wf;
}

enum kpi_status
pipeline_diff_write(struct kpi_pipeline *p, struct kpi_csv_writer *w,
		    struct kpi_error *err)
{
	int precision = p->opt->common->precision;
	size_t i, m;

	pipeline_write_group_header(p, w);
	kpi_csv_write_str(w, "opening_deals");
	kpi_csv_write_str(w, "opening");
	for (m = 0; m < KPI_MOVE_COUNT; m++) {
		char name[32];

		snprintf(name, sizeof(name), "%s_deals", movement_names[m]);
		kpi_csv_write_str(w, name);
		kpi_csv_write_str(w, movement_names[m]);
	}
	kpi_csv_write_str(w, "closing_deals");
	kpi_csv_write_str(w, "closing");
	kpi_csv_end_row(w);
	for (i = 0; i < p->nwf && kpi_csv_writer_status(w) == KPI_OK; i++) {
		const struct kpi_waterfall_row *r = &p->wf[i];

		pipeline_write_group(p, w, r->group);
		pipeline_write_period(p, w, r->period);
		kpi_csv_write_long(w, (long long)r->opening_deals);
		kpi_csv_write_double(w, r->opening, precision);
		for (m = 0; m < KPI_MOVE_COUNT; m++) {
			kpi_csv_write_long(w, (long long)r->deals[m]);
			kpi_csv_write_double(w, r->value[m], precision);
		}
		kpi_csv_write_long(w, (long long)r->closing_deals);
		kpi_csv_write_double(w, r->closing, precision);
		kpi_csv_end_row(w);
	}
	return kpi_csv_writer_status(w);
}
