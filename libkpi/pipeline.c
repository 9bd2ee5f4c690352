/* pipeline.c - the open pipeline per group and period: weighted pipeline,
 * the distribution of bookings, coverage of quota (the engine behind
 * kpi-pipeline; the waterfall is in pipeline-diff.c, the distribution in
 * pipeline-dist.c).
 *
 * Side inputs (stage probabilities, closed-won bookings, quotas) are read
 * first; each deal is then checked in full before anything is kept, so
 * that a rejected record leaves no trace.  The rows are formed once all
 * input is read, because --as-of may be the latest created date and the
 * stale policy moves deals between periods. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/keyorder.h"
#include "kpi/pipeline.h"
#include "pipeline-internal.h"

enum kpi_status
pipeline_nomem(struct kpi_error *err)
{
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
}

enum kpi_status
kpi_stale_policy_parse(const char *s, enum kpi_stale_policy *out,
		       struct kpi_error *err)
{
	if (strcmp(s, "keep") == 0)
		*out = KPI_STALE_KEEP;
	else if (strcmp(s, "drop") == 0)
		*out = KPI_STALE_DROP;
	else if (strcmp(s, "next-period") == 0 || strcmp(s, "next") == 0)
		*out = KPI_STALE_NEXT;
	else if (strcmp(s, "current") == 0)
		*out = KPI_STALE_CURRENT;
	else
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\" is not a stale policy (expected keep, drop, next-period or current)",
				     s);
	return KPI_OK;
}

/* ==== Life cycle ==== */

static enum kpi_status
intern_name(struct kpi_group *g, const char *s, size_t *slot, int *added,
	    struct kpi_error *err)
{
	const char *parts[1] = { s };
	size_t lens[1] = { strlen(s) };

	return kpi_group_intern(g, parts, lens, slot, added, err);
}

enum kpi_status
kpi_pipeline_new(struct kpi_pipeline **out,
		 const struct kpi_pipeline_options *opt, struct kpi_error *err)
{
	struct kpi_pipeline *p;
	enum kpi_status st;
	size_t i;

	if (!opt->amount_col || !opt->close_col)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "the amount and expected close date columns are needed");
	if (opt->diff && !opt->id_col)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "a waterfall needs the deal id column");
	if (opt->diff && !opt->stage_col)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "a waterfall needs the stage column");
	if (!(opt->prob_scale == 1 || opt->prob_scale == 100))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "the probability scale must be 1 or 100");
	p = calloc(1, sizeof(*p));
	if (!p)
		return pipeline_nomem(err);
	p->opt = opt;
	p->ngparts = opt->ngroup ? opt->ngroup : 1;
	st = kpi_group_new(&p->groups, p->ngparts, err);
	if (st == KPI_OK)
		st = kpi_group_new(&p->stages, 1, err);
	if (st == KPI_OK && (opt->id_col || opt->diff))
		st = kpi_group_new(&p->ids, 1, err);
	for (i = 0; st == KPI_OK && i < opt->nstages; i++) {
		size_t slot;
		int added;

		st = intern_name(p->stages, opt->stages[i], &slot, &added, err);
		if (st == KPI_OK && !added)
			st = kpi_error_set(err, KPI_EINVAL, 0,
					   "stage \"%s\" is given twice", opt->stages[i]);
	}
	p->nstages_known = opt->nstages;
	if (st != KPI_OK) {
		kpi_pipeline_free(p);
		return st;
	}
	*out = p;
	return KPI_OK;
}

void
kpi_pipeline_free(struct kpi_pipeline *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nprob_keys; i++)
		free(p->prob_keys[i]);
	free(p->prob_keys);
	kpi_group_free(p->probs);
	kpi_group_free(p->stages);
	kpi_group_free(p->groups);
	kpi_group_free(p->ids);
	kpi_group_free(p->won_ids);
	free(p->pe);
	free(p->cols.group);
	free(p->cols.probkey);
	free(p->old_cols.group);
	free(p->old_cols.probkey);
	free(p->deals);
	free(p->won);
	free(p->won_group);
	free(p->quota);
	free(p->quota_group);
	free(p->snap_old);
	free(p->snap_new);
	free(p->parts);
	free(p->lens);
	free(p->rows);
	free(p->rowq);
	free(p->amounts);
	free(p->probs_v);
	free(p->wf);
	free(p->rank);
	free(p);
}

/* ==== Helpers ==== */

static enum kpi_status
find_col(const struct kpi_csv_header *h, const char *name, size_t *idx,
	 struct kpi_error *err)
{
	enum kpi_status st = kpi_csv_header_find(h, name, idx, err);

	if (st != KPI_OK)
		kpi_error_column(err, st, name);
	return st;
}

/* A column by exact name, without the error (optional columns). */
static int
has_col(const struct kpi_csv_header *h, const char *name, size_t *idx)
{
	size_t i, n = kpi_csv_header_count(h);

	for (i = 0; i < n; i++)
		if (strcmp(kpi_csv_header_name(h, i), name) == 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

static enum kpi_status
grow_parts(struct kpi_pipeline *p, size_t n, struct kpi_error *err)
{
	const char **parts;
	size_t *lens;

	if (n <= p->nparts_cap)
		return KPI_OK;
	parts = realloc(p->parts, n * sizeof(*parts));
	if (!parts)
		return pipeline_nomem(err);
	p->parts = parts;
	lens = realloc(p->lens, n * sizeof(*lens));
	if (!lens)
		return pipeline_nomem(err);
	p->lens = lens;
	p->nparts_cap = n;
	return KPI_OK;
}

/* Grow an array of `size`-byte items to hold n + 1. */
static enum kpi_status
reserve(void **arr, size_t *cap, size_t n, size_t size, struct kpi_error *err)
{
	size_t c;
	void *q;

	if (n < *cap)
		return KPI_OK;
	c = *cap ? *cap * 2 : 256;
	q = realloc(*arr, c * size);
	if (!q)
		return pipeline_nomem(err);
	*arr = q;
	*cap = c;
	return KPI_OK;
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static enum kpi_status
parse_amount(const struct kpi_pipeline *p, const char *field, const char *col,
	     double *out, struct kpi_error *err)
{
	enum kpi_status st;
	double v;

	if (kpi_cli_is_missing(p->opt->common, field))
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "missing amount"), col);
	st = kpi_num_parse(field, p->opt->common->decimal_comma, &v, err);
	if (st != KPI_OK)
		return kpi_error_column(err, st, col);
	if (v < 0)
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "negative amount \"%s\"", field), col);
	*out = v + 0.0;		/* -0 is 0 */
	return KPI_OK;
}

static enum kpi_status
parse_day(const struct kpi_pipeline *p, const char *field, const char *col,
	  long *out, struct kpi_error *err)
{
	enum kpi_status st = kpi_date_parse(field, p->opt->date_format,
					    &p->opt->common->cal, out, err);

	return st == KPI_OK ? KPI_OK : kpi_error_column(err, st, col);
}

/* "Best Case", "best_case", "best-case", "bestcase" are one category. */
static int
parse_category(const char *s)
{
	static const char *const names[CAT_COUNT] = {
		"pipeline", "bestcase", "commit", "closed", "omitted",
	};
	char buf[32];
	size_t n = 0;
	int i;

	for (; *s && n + 1 < sizeof(buf); s++) {
		if (*s == ' ' || *s == '_' || *s == '-')
			continue;
		buf[n++] = (char)tolower((unsigned char)*s);
	}
	if (*s)
		return -1;
	buf[n] = '\0';
	for (i = 0; i < CAT_COUNT; i++)
		if (strcmp(buf, names[i]) == 0)
			return i;
	return -1;
}

/* The key of a group, "region=East, rep=Ann", for messages. */
static void
describe_key(char *buf, size_t size, char *const *names, const char *const *vals,
	     size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len + 1 < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s=%s", i ? ", " : "",
				 names[i], vals[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* ==== Stage probabilities ==== */

enum kpi_status
kpi_pipeline_probs_header(struct kpi_pipeline *p,
			  const struct kpi_csv_header *h,
			  struct kpi_error *err)
{
	size_t i;
	enum kpi_status st;

	st = find_col(h, "stage", &p->probs_stage, err);
	if (st == KPI_OK)
		st = find_col(h, "p_won", &p->probs_p, err);
	if (st == KPI_OK)
		st = find_col(h, "closed", &p->probs_closed, err);
	if (st != KPI_OK)
		return st;
	/* kpi-conv writes its group columns first: they are the keys. */
	p->nprob_keys = p->probs_stage;
	p->prob_keys = calloc(p->nprob_keys ? p->nprob_keys : 1, sizeof(char *));
	if (!p->prob_keys)
		return pipeline_nomem(err);
	for (i = 0; i < p->nprob_keys; i++) {
		p->prob_keys[i] = strdup(kpi_csv_header_name(h, i));
		if (!p->prob_keys[i])
			return pipeline_nomem(err);
	}
	p->have_probs = 1;
	return kpi_group_new(&p->probs, p->nprob_keys + 1, err);
}

enum kpi_status
kpi_pipeline_probs_add(struct kpi_pipeline *p,
		       const struct kpi_csv_record *rec,
		       struct kpi_error *err)
{
	const char *stage = rec->fields[p->probs_stage];
	const char *ptext = rec->fields[p->probs_p];
	const char *ctext = rec->fields[p->probs_closed];
	size_t i, slot;
	long long closed;
	double v = NAN;
	int added;
	enum kpi_status st;

	if (kpi_num_parse_long(ctext, &closed, NULL) != KPI_OK || closed < 0)
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "\"%s\" is not a count of closed deals", ctext),
				"closed");
	if (!kpi_cli_is_missing(p->opt->common, ptext)) {
		st = kpi_num_parse(ptext, 0, &v, err);
		if (st != KPI_OK)
			return kpi_error_column(err, st, "p_won");
		if (!(v >= 0 && v <= 1))
			return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "probability \"%s\" is not within 0 and 1", ptext),
					"p_won");
	}
	if (stage[0] == '\0')
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "empty stage name"), "stage");
	st = grow_parts(p, p->nprob_keys + 1, err);
	if (st != KPI_OK)
		return st;
	for (i = 0; i < p->nprob_keys; i++) {
		p->parts[i] = rec->fields[i];
		p->lens[i] = strlen(rec->fields[i]);
	}
	p->parts[i] = stage;
	p->lens[i] = strlen(stage);
	st = kpi_group_intern(p->probs, p->parts, p->lens, &slot, &added, err);
	if (st != KPI_OK)
		return st;
	if (!added)
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "stage \"%s\" is given twice for the same group", stage),
				"stage");
	st = reserve((void **)&p->pe, &p->pe_cap, slot, sizeof(*p->pe), err);
	if (st != KPI_OK)
		return st;
	p->pe[slot].p = v;
	p->pe[slot].closed = (unsigned long)closed;
	p->npe = slot + 1;
	/* Without --stages, the order the file names the stages in. */
	if (!p->opt->nstages) {
		st = intern_name(p->stages, stage, &slot, &added, err);
		if (st == KPI_OK && added)
			p->nstages_known = slot + 1;
	}
	return st;
}

/* ==== Deals ==== */

enum kpi_status
pipeline_deal_header(struct kpi_pipeline *p, struct deal_cols *c,
		     const struct kpi_csv_header *h, struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	enum kpi_status st = KPI_OK;
	size_t i;

	c->group = calloc(opt->ngroup + 1, sizeof(size_t));
	c->probkey = calloc(p->nprob_keys + 1, sizeof(size_t));
	if (!c->group || !c->probkey)
		return pipeline_nomem(err);
	st = find_col(h, opt->amount_col, &c->amount, err);
	if (st == KPI_OK)
		st = find_col(h, opt->close_col, &c->close, err);
	if (st == KPI_OK && opt->id_col)
		st = find_col(h, opt->id_col, &c->id, err);
	if (st == KPI_OK && opt->stage_col)
		st = find_col(h, opt->stage_col, &c->stage, err);
	if (st == KPI_OK && opt->created_col)
		st = find_col(h, opt->created_col, &c->created, err);
	if (st == KPI_OK && opt->prob_col)
		st = find_col(h, opt->prob_col, &c->prob, err);
	if (st == KPI_OK && opt->category_col)
		st = find_col(h, opt->category_col, &c->category, err);
	for (i = 0; st == KPI_OK && i < opt->ngroup; i++)
		st = find_col(h, opt->group_cols[i], &c->group[i], err);
	for (i = 0; st == KPI_OK && i < p->nprob_keys; i++) {
		st = kpi_csv_header_find(h, p->prob_keys[i], &c->probkey[i], err);
		if (st != KPI_OK) {
			char msg[KPI_ERROR_MSG_MAX];

			snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
			kpi_error_set(err, st, 0,
				      "the --probs file is keyed by column %s, which the deals lack: %s",
				      p->prob_keys[i], msg);
			kpi_error_column(err, st, p->prob_keys[i]);
		}
	}
	if (st == KPI_OK && p->have_probs && !opt->stage_col)
		st = kpi_error_set(err, KPI_EINVAL, 0,
				   "stage probabilities need the stage column");
	c->set = st == KPI_OK;
	return st;
}

/* The probability of an open deal at `stage` from --probs. */
static enum kpi_status
lookup_prob(struct kpi_pipeline *p, const struct deal_cols *c,
	    const struct kpi_csv_record *rec, const char *stage, double *out,
	    struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	const char *vals[64];
	char key[160];
	size_t i, slot, nk = p->nprob_keys;
	int added;
	enum kpi_status st;

	st = grow_parts(p, nk + 1, err);
	if (st != KPI_OK)
		return st;
	for (i = 0; i < nk; i++) {
		p->parts[i] = rec->fields[c->probkey[i]];
		p->lens[i] = strlen(p->parts[i]);
		if (i < 64)
			vals[i] = p->parts[i];
	}
	p->parts[nk] = stage;
	p->lens[nk] = strlen(stage);
	/* Interning is the table's lookup: a new slot means "not there". */
	st = kpi_group_intern(p->probs, p->parts, p->lens, &slot, &added, err);
	if (st != KPI_OK)
		return st;
	describe_key(key, sizeof(key), p->prob_keys, vals, nk < 64 ? nk : 64);
	if (slot >= p->npe)
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "stage \"%s\" is not in the --probs file%s%s%s",
					  stage, nk ? " (for " : "", key, nk ? ")" : ""),
				opt->stage_col);
	if (p->pe[slot].closed < opt->min_n || isnan(p->pe[slot].p))
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "stage \"%s\" has %lu closed deals in the --probs file%s%s%s, below --min-n %lu",
					  stage, p->pe[slot].closed, nk ? " (for " : "", key,
					  nk ? ")" : "", opt->min_n ? opt->min_n : 1),
				opt->stage_col);
	*out = p->pe[slot].p;
	return KPI_OK;
}

static enum kpi_status
parse_prob_field(const struct kpi_pipeline *p, const char *field, double *out,
		 struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	char buf[64];
	size_t len = strlen(field);
	double v;
	enum kpi_status st;

	if (kpi_cli_is_missing(opt->common, field))
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "missing probability"), opt->prob_col);
	/* "40%" in a percent column. */
	if (opt->prob_scale == 100 && len > 1 && len < sizeof(buf) &&
	    field[len - 1] == '%') {
		memcpy(buf, field, len - 1);
		buf[len - 1] = '\0';
		field = buf;
	}
	st = kpi_num_parse(field, opt->common->decimal_comma, &v, err);
	if (st != KPI_OK)
		return kpi_error_column(err, st, opt->prob_col);
	if (!(v >= 0 && v <= opt->prob_scale))
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "probability \"%s\" is not within 0 and %g",
					  field, opt->prob_scale), opt->prob_col);
	*out = v / opt->prob_scale;
	return KPI_OK;
}

enum kpi_status
pipeline_parse_deal(struct kpi_pipeline *p, const struct deal_cols *c,
		    const struct kpi_csv_record *rec, int need_prob,
		    struct parsed_deal *d, struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	const char *const *f = rec->fields;
	const char *stage = opt->stage_col ? f[c->stage] : NULL;
	size_t i;
	int added;
	enum kpi_status st;

	memset(d, 0, sizeof(*d));
	d->category = -1;
	d->p = NAN;
	d->stage = SIZE_MAX;
	d->id = SIZE_MAX;
	d->kind = DEAL_OPEN;
	if (opt->category_col) {
		d->category = parse_category(f[c->category]);
		if (d->category < 0)
			return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "\"%s\" is not a forecast category (pipeline, best case, commit, closed, omitted)",
						  f[c->category]), opt->category_col);
		if (d->category == CAT_OMITTED)
			d->kind = DEAL_OMITTED;
		else if (d->category == CAT_CLOSED)
			d->kind = DEAL_WON;
	}
	if (stage && d->kind == DEAL_OPEN) {
		if (stage[0] == '\0')
			return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "missing stage"), opt->stage_col);
		if (in_list(stage, opt->won_stages, opt->nwon_stages))
			d->kind = DEAL_WON;
		else if (in_list(stage, opt->lost_stages, opt->nlost_stages))
			d->kind = DEAL_LOST;
	}
	if (d->kind != DEAL_LOST) {
		st = parse_amount(p, f[c->amount], opt->amount_col, &d->amount, err);
		if (st == KPI_OK && kpi_cli_is_missing(opt->common, f[c->close]))
			st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "missing expected close date"),
					      opt->close_col);
		if (st == KPI_OK)
			st = parse_day(p, f[c->close], opt->close_col, &d->close, err);
		if (st != KPI_OK)
			return st;
	}
	if (opt->created_col && !kpi_cli_is_missing(opt->common, f[c->created])) {
		st = parse_day(p, f[c->created], opt->created_col, &d->created, err);
		if (st != KPI_OK)
			return st;
		d->has_created = 1;
	}
	if (d->kind == DEAL_OPEN && stage && (p->nstages_known || opt->diff)) {
		size_t slot;

		st = intern_name(p->stages, stage, &slot, &added, err);
		if (st != KPI_OK)
			return st;
		if (slot >= p->nstages_known)
			return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "stage \"%s\" is not one of the %s", stage,
						  opt->nstages ? "--stages" : "stages of the --probs file"),
					opt->stage_col);
		d->stage = slot;
	}
	if (d->kind == DEAL_OPEN && need_prob) {
		if (opt->prob_col)
			st = parse_prob_field(p, f[c->prob], &d->p, err);
		else if (p->have_probs)
			st = lookup_prob(p, c, rec, stage, &d->p, err);
		else
			st = kpi_error_set(err, KPI_EINVAL, 0,
					   "no probabilities: give --probs or --prob-col");
		if (st != KPI_OK)
			return st;
	}
	if (d->has_created && opt->has_as_of && d->created > opt->as_of && !opt->diff)
		d->kind = DEAL_SKIPPED;

	/* Every value is good: now the tables may grow. */
	if (opt->id_col) {
		if (f[c->id][0] == '\0')
			return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "missing deal id"), opt->id_col);
		st = intern_name(p->ids, f[c->id], &d->id, &added, err);
		if (st != KPI_OK)
			return st;
		if (!added && !opt->diff)
			return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "deal \"%.60s\" is given twice", f[c->id]),
					opt->id_col);
	}
	st = grow_parts(p, p->ngparts, err);
	if (st != KPI_OK)
		return st;
	for (i = 0; i < opt->ngroup; i++) {
		p->parts[i] = f[c->group[i]];
		p->lens[i] = strlen(p->parts[i]);
	}
	if (opt->ngroup == 0) {
		p->parts[0] = "";
		p->lens[0] = 0;
	}
	return kpi_group_intern(p->groups, p->parts, p->lens, &d->group, NULL, err);
}

enum kpi_status
kpi_pipeline_header(struct kpi_pipeline *p, const struct kpi_csv_header *h,
		    struct kpi_error *err)
{
	return pipeline_deal_header(p, &p->cols, h, err);
}

enum kpi_status
kpi_pipeline_old_header(struct kpi_pipeline *p, const struct kpi_csv_header *h,
			struct kpi_error *err)
{
	return pipeline_deal_header(p, &p->old_cols, h, err);
}

enum kpi_status
kpi_pipeline_old_add(struct kpi_pipeline *p, const struct kpi_csv_record *rec,
		     struct kpi_error *err)
{
	return pipeline_snap_add(p, 1, rec, err);
}

enum kpi_status
kpi_pipeline_add(struct kpi_pipeline *p, const struct kpi_csv_record *rec,
		 struct kpi_error *err)
{
	struct parsed_deal d;
	struct deal *k;
	enum kpi_status st;

	if (p->opt->diff)
		return pipeline_snap_add(p, 0, rec, err);
	st = pipeline_parse_deal(p, &p->cols, rec, 1, &d, err);
	if (st != KPI_OK)
		return st;
	if (d.kind == DEAL_SKIPPED) {
		p->created_after++;
		return KPI_OK;
	}
	if (d.has_created && (!p->have_created || d.created > p->max_created)) {
		p->max_created = d.created;
		p->have_created = 1;
	}
	if (d.kind == DEAL_LOST)
		return KPI_OK;
	if (d.group > UINT32_MAX)
		return pipeline_nomem(err);
	st = reserve((void **)&p->deals, &p->deals_cap, p->ndeals,
		     sizeof(*p->deals), err);
	if (st != KPI_OK)
		return st;
	k = &p->deals[p->ndeals++];
	k->group = (uint32_t)d.group;
	k->close = (int32_t)d.close;
	k->amount = d.amount;
	k->p = d.p;
	k->kind = (unsigned char)d.kind;
	k->category = (signed char)d.category;
	return KPI_OK;
}

/* ==== Closed-won bookings ==== */

static enum kpi_status
side_group_cols(const struct kpi_pipeline *p, const struct kpi_csv_header *h,
		size_t **out, const char *what, struct kpi_error *err)
{
	size_t i;
	enum kpi_status st;

	*out = calloc(p->opt->ngroup + 1, sizeof(size_t));
	if (!*out)
		return pipeline_nomem(err);
	for (i = 0; i < p->opt->ngroup; i++) {
		st = kpi_csv_header_find(h, p->opt->group_cols[i], &(*out)[i], err);
		if (st != KPI_OK) {
			kpi_error_set(err, st, 0, "the %s file lacks the group column %s",
				      what, p->opt->group_cols[i]);
			return kpi_error_column(err, st, p->opt->group_cols[i]);
		}
	}
	return KPI_OK;
}

static enum kpi_status
side_group(struct kpi_pipeline *p, const size_t *cols,
	   const struct kpi_csv_record *rec, size_t *slot,
	   struct kpi_error *err)
{
	size_t i;
	enum kpi_status st = grow_parts(p, p->ngparts, err);

	if (st != KPI_OK)
		return st;
	for (i = 0; i < p->opt->ngroup; i++) {
		p->parts[i] = rec->fields[cols[i]];
		p->lens[i] = strlen(p->parts[i]);
	}
	if (p->opt->ngroup == 0) {
		p->parts[0] = "";
		p->lens[0] = 0;
	}
	st = kpi_group_intern(p->groups, p->parts, p->lens, slot, NULL, err);
	if (st == KPI_OK && *slot > UINT32_MAX)
		st = pipeline_nomem(err);
	return st;
}

enum kpi_status
kpi_pipeline_won_header(struct kpi_pipeline *p, const struct kpi_csv_header *h,
			struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	enum kpi_status st;

	p->won_has_stage = opt->stage_col && has_col(h, opt->stage_col,
						      &p->won_stage);
	if (opt->diff) {
		st = find_col(h, opt->id_col, &p->won_id, err);
		if (st == KPI_OK)
			st = kpi_group_new(&p->won_ids, 1, err);
		return st;
	}
	st = find_col(h, opt->won_date_col ? opt->won_date_col : opt->close_col,
		      &p->won_date, err);
	if (st == KPI_OK)
		st = find_col(h, opt->won_amount_col ? opt->won_amount_col
				 : opt->amount_col, &p->won_amount, err);
	if (st == KPI_OK)
		st = side_group_cols(p, h, &p->won_group, "--won", err);
	return st;
}

enum kpi_status
kpi_pipeline_won_add(struct kpi_pipeline *p, const struct kpi_csv_record *rec,
		     struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	const char *dcol = opt->won_date_col ? opt->won_date_col : opt->close_col;
	const char *acol = opt->won_amount_col ? opt->won_amount_col
						: opt->amount_col;
	struct dated_amount *w;
	double amount;
	long day;
	size_t slot;
	enum kpi_status st;

	if (p->won_has_stage &&
	    !in_list(rec->fields[p->won_stage], opt->won_stages, opt->nwon_stages))
		return KPI_OK;		/* open or lost: not a booking */
	if (opt->diff)
		return intern_name(p->won_ids, rec->fields[p->won_id], &slot, NULL,
				   err);
	st = parse_amount(p, rec->fields[p->won_amount], acol, &amount, err);
	if (st == KPI_OK && kpi_cli_is_missing(opt->common, rec->fields[p->won_date]))
		st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "missing close date"), dcol);
	if (st == KPI_OK)
		st = parse_day(p, rec->fields[p->won_date], dcol, &day, err);
	if (st == KPI_OK)
		st = side_group(p, p->won_group, rec, &slot, err);
	if (st == KPI_OK)
		st = reserve((void **)&p->won, &p->won_cap, p->nwon, sizeof(*p->won),
			     err);
	if (st != KPI_OK)
		return st;
	w = &p->won[p->nwon++];
	w->group = (uint32_t)slot;
	w->day = day;
	w->amount = amount;
	return KPI_OK;
}

/* ==== Quotas ==== */

enum kpi_status
kpi_pipeline_quota_header(struct kpi_pipeline *p,
			  const struct kpi_csv_header *h, struct kpi_error *err)
{
	enum kpi_status st = find_col(h, "period", &p->quota_period, err);

	if (st == KPI_OK)
		st = find_col(h, "quota", &p->quota_amount, err);
	if (st == KPI_OK)
		st = side_group_cols(p, h, &p->quota_group, "--quota", err);
	return st;
}

enum kpi_status
kpi_pipeline_quota_add(struct kpi_pipeline *p,
		       const struct kpi_csv_record *rec, struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	struct dated_amount *q;
	double amount;
	long day;
	size_t slot;
	enum kpi_status st;

	st = parse_amount(p, rec->fields[p->quota_amount], "quota", &amount, err);
	if (st == KPI_OK)
		st = parse_day(p, rec->fields[p->quota_period], "period", &day, err);
	if (st == KPI_OK)
		st = side_group(p, p->quota_group, rec, &slot, err);
	if (st == KPI_OK)
		st = reserve((void **)&p->quota, &p->quota_cap, p->nquota,
			     sizeof(*p->quota), err);
	if (st != KPI_OK)
		return st;
	q = &p->quota[p->nquota++];
	q->group = (uint32_t)slot;
	q->day = kpi_period_start(day, opt->every, &opt->common->cal);
	q->amount = amount;
	return KPI_OK;
}

/* ==== Output order ==== */

/* The groups' positions in output order: numerically where a group column
 * holds only numbers, else by bytes (kpi/keyorder.h). */
enum kpi_status
pipeline_rank_groups(struct kpi_pipeline *p, struct kpi_error *err)
{
	size_t n = kpi_group_count(p->groups);

	free(p->rank);
	p->rank = malloc((n ? n : 1) * sizeof(size_t));
	if (!p->rank)
		return pipeline_nomem(err);
	return kpi_keyorder_rank(p->groups, p->ngparts, p->opt->common,
				 p->rank, err);
}

void
pipeline_write_group_header(const struct kpi_pipeline *p,
			    struct kpi_csv_writer *w)
{
	size_t i;

	for (i = 0; i < p->opt->ngroup; i++)
		kpi_csv_write_str(w, p->opt->group_cols[i]);
	kpi_csv_write_str(w, "period");
}

void
pipeline_write_group(const struct kpi_pipeline *p, struct kpi_csv_writer *w,
		     size_t group)
{
	size_t i, len;

	for (i = 0; i < p->opt->ngroup; i++) {
		const char *s = kpi_group_part(p->groups, group, i, &len);

		kpi_csv_write_field(w, s, len);
	}
}

void
pipeline_write_period(const struct kpi_pipeline *p, struct kpi_csv_writer *w,
		      long period)
{
	const struct kpi_pipeline_options *opt = p->opt;
	char buf[KPI_DATE_BUFSZ];

	if (opt->common->period_label)
		kpi_csv_write_field(w, buf, kpi_period_label(period, opt->every,
							     &opt->common->cal, buf));
	else
		kpi_csv_write_field(w, buf, kpi_date_format_iso(period, buf));
}

const char *
kpi_pipeline_group_part(const struct kpi_pipeline *p, size_t group, size_t i,
			size_t *len)
{
	return kpi_group_part(p->groups, group, i, len);
}

/* ==== Rows of the distribution report ==== */

enum item_kind {
	ITEM_OPEN,		/* in the distribution */
	ITEM_DROPPED,		/* stale, dropped */
	ITEM_WON_DEAL,		/* won in the deals input */
	ITEM_OMITTED,
	ITEM_QUOTA,
	ITEM_WON,		/* from --won */
};

struct item {
	size_t rank;
	long period;
	unsigned kind;
	size_t idx;
};

static int
compare_items(const void *pa, const void *pb)
{
	const struct item *x = pa, *y = pb;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* FNV-1a over the group's bytes and the period: a row's Monte Carlo
 * stream depends on what the row is, not on where it is in the input, so
 * that input split by group gives the same numbers. */
static uint64_t
row_seed(const struct kpi_pipeline *p, size_t group, long period)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t i, j, len;
	unsigned char b[sizeof(long)];

	for (i = 0; i < p->opt->ngroup; i++) {
		const char *s = kpi_group_part(p->groups, group, i, &len);

		for (j = 0; j < len; j++)
			h = (h ^ (unsigned char)s[j]) * 0x100000001b3u;
		h = (h ^ 0xff) * 0x100000001b3u;	/* part separator */
	}
	memcpy(b, &period, sizeof(b));
	for (j = 0; j < sizeof(b); j++)
		h = (h ^ b[j]) * 0x100000001b3u;
	return p->opt->bookings.seed ^ h;
}

struct row_job {
	struct kpi_pipeline *p;
	size_t next;
	unsigned inner_threads;
	pthread_mutex_t lock;
	enum kpi_status st;
	size_t bad_row;
	struct kpi_error err;
};

static enum kpi_status
compute_row(struct kpi_pipeline *p, size_t r, unsigned threads,
	    struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	struct prow *row = &p->rows[r];
	struct kpi_bookings_options o = opt->bookings;
	double won = kpi_sum_value(&row->won), threshold = NAN;

	o.seed = row->seed;
	o.threads = threads;
	if (row->has_quota)
		threshold = kpi_sum_value(&row->quota) - won;
	return kpi_bookings_compute(p->amounts + row->first, p->probs_v + row->first,
				    row->nopen, opt->levels, opt->nlevels,
				    threshold, &o, p->rowq + r * opt->nlevels,
				    &row->reach, &row->b, err);
}

static void *
row_worker(void *arg)
{
	struct row_job *j = arg;
	struct kpi_error err;

	kpi_error_clear(&err);
	for (;;) {
		size_t r;
		enum kpi_status st;

		pthread_mutex_lock(&j->lock);
		r = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (r >= j->p->nrows)
			break;
		st = compute_row(j->p, r, j->inner_threads, &err);
		if (st != KPI_OK) {
			pthread_mutex_lock(&j->lock);
			/* Report the first bad row in output order, whatever
			 * thread met it. */
			if (j->st == KPI_OK || r < j->bad_row) {
				j->st = st;
				j->bad_row = r;
				j->err = err;
			}
			pthread_mutex_unlock(&j->lock);
		}
	}
	return NULL;
}

/* Rows over threads when there are enough rows; otherwise one row at a
 * time with its Monte Carlo chunks over threads.  The results are the
 * same either way. */
static enum kpi_status
compute_rows(struct kpi_pipeline *p, struct kpi_error *err)
{
	unsigned threads = p->opt->threads ? p->opt->threads : 1, t, started = 0;
	pthread_t tid[64];
	struct row_job j;

	memset(&j, 0, sizeof(j));
	j.p = p;
	j.inner_threads = 1;
	if (threads > 64)
		threads = 64;
	if ((size_t)threads > p->nrows) {
		j.inner_threads = threads;
		threads = 1;
	}
	pthread_mutex_init(&j.lock, NULL);
	for (t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, row_worker, &j) != 0)
			break;
		started++;
	}
	row_worker(&j);
	for (t = 0; t < started; t++)
		pthread_join(tid[t + 1], NULL);
	pthread_mutex_destroy(&j.lock);
	if (j.st != KPI_OK && err) {
		/* Say which row: "region=East, period 2026-10-01: ...". */
		const struct prow *row = &p->rows[j.bad_row];
		char where[160], day[KPI_DATE_BUFSZ];
		size_t i, len = 0;

		where[0] = '\0';
		for (i = 0; i < p->opt->ngroup && len + 1 < sizeof(where); i++) {
			size_t plen;
			const char *s = kpi_group_part(p->groups, row->group, i, &plen);
			int w = snprintf(where + len, sizeof(where) - len,
					 "%s%s=%.*s", i ? ", " : "",
					 p->opt->group_cols[i], (int)plen, s);

			if (w > 0)
				len += (size_t)w;
		}
		kpi_date_format_iso(row->period, day);
		kpi_error_set(err, j.st, 0, "%s%speriod %s: %s", where,
			      len ? ", " : "", day, j.err.msg);
	}
	return j.st;
}

static enum kpi_status
push_item(struct item **items, size_t *n, size_t *cap, size_t rank,
	  long period, unsigned kind, size_t idx, struct kpi_error *err)
{
	enum kpi_status st = reserve((void **)items, cap, *n, sizeof(**items), err);

	if (st != KPI_OK)
		return st;
	(*items)[*n].rank = rank;
	(*items)[*n].period = period;
	(*items)[*n].kind = kind;
	(*items)[*n].idx = idx;
	(*n)++;
	return KPI_OK;
}

static enum kpi_status
finish_distribution(struct kpi_pipeline *p, struct kpi_error *err)
{
	const struct kpi_pipeline_options *opt = p->opt;
	const struct kpi_calendar *cal = &opt->common->cal;
	struct item *items = NULL;
	unsigned char *known = NULL;
	size_t nitems = 0, cap = 0, i, j, nopen = 0, rows_cap, nq;
	long asof_period, next_period;
	enum kpi_status st = KPI_OK;

	if (opt->has_as_of)
		p->as_of = opt->as_of;
	else if (p->have_created)
		p->as_of = p->max_created;
	else
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "no --as-of and no created dates: give --as-of so that stale deals can be told");
	asof_period = kpi_period_start(p->as_of, opt->every, cal);
	next_period = kpi_period_next(asof_period, opt->every, cal);
	st = pipeline_rank_groups(p, err);
	if (st != KPI_OK)
		return st;

	for (i = 0; st == KPI_OK && i < p->ndeals; i++) {
		const struct deal *d = &p->deals[i];
		long period = kpi_period_start(d->close, opt->every, cal);
		unsigned kind = ITEM_OPEN;

		if (d->kind == DEAL_WON)
			kind = ITEM_WON_DEAL;
		else if (d->kind == DEAL_OMITTED)
			kind = ITEM_OMITTED;
		else if (d->close < p->as_of) {
			switch (opt->stale) {
			case KPI_STALE_KEEP:	break;
			case KPI_STALE_DROP:	kind = ITEM_DROPPED; break;
			case KPI_STALE_NEXT:	period = next_period; break;
			case KPI_STALE_CURRENT:	period = asof_period; break;
			}
		}
		nopen += kind == ITEM_OPEN;
		st = push_item(&items, &nitems, &cap, p->rank[d->group], period,
			       kind, i, err);
	}
	/* The groups of the report are those of the deals and quotas. */
	known = calloc(kpi_group_count(p->groups) + 1, 1);
	if (!known)
		st = pipeline_nomem(err);
	for (i = 0; st == KPI_OK && i < p->ndeals; i++)
		known[p->deals[i].group] = 1;
	for (i = 0; st == KPI_OK && i < p->nquota; i++)
		known[p->quota[i].group] = 1;
	for (i = 0; st == KPI_OK && i < p->nquota; i++)
		st = push_item(&items, &nitems, &cap, p->rank[p->quota[i].group],
			       p->quota[i].day, ITEM_QUOTA, i, err);
	for (i = 0; st == KPI_OK && i < p->nwon; i++)
		if (p->won[i].day <= p->as_of)
			st = push_item(&items, &nitems, &cap,
				       p->rank[p->won[i].group],
				       kpi_period_start(p->won[i].day, opt->every, cal),
				       ITEM_WON, i, err);
	if (st != KPI_OK)
		goto out;
	if (nitems)
		qsort(items, nitems, sizeof(*items), compare_items);

	p->amounts = malloc((nopen ? nopen : 1) * sizeof(double));
	p->probs_v = malloc((nopen ? nopen : 1) * sizeof(double));
	rows_cap = nitems ? nitems : 1;
	p->rows = calloc(rows_cap, sizeof(*p->rows));
	if (!p->amounts || !p->probs_v || !p->rows) {
		st = pipeline_nomem(err);
		goto out;
	}
	nopen = 0;
	for (i = 0; i < nitems; i = j) {
		struct prow *row = &p->rows[p->nrows];
		int keep = 0;
		size_t group = SIZE_MAX;

		memset(row, 0, sizeof(*row));
		row->period = items[i].period;
		row->first = nopen;
		for (j = i; j < nitems && items[j].rank == items[i].rank &&
			    items[j].period == items[i].period; j++) {
			const struct item *it = &items[j];
			const struct deal *d = it->kind <= ITEM_OMITTED
					       ? &p->deals[it->idx] : NULL;

			switch (it->kind) {
			case ITEM_OPEN:
			case ITEM_DROPPED:
				group = d->group;
				keep = 1;
				if (d->close < p->as_of)
					row->stale++;
				if (it->kind == ITEM_DROPPED)
					break;
				p->amounts[nopen] = d->amount;
				p->probs_v[nopen] = d->p;
				nopen++;
				kpi_sum_add(&row->pipeline, d->amount);
				kpi_sum_add(&row->weighted, d->amount * d->p);
				if (d->category >= 0)
					kpi_sum_add(&row->cat[d->category], d->amount);
				break;
			case ITEM_WON_DEAL:
			case ITEM_OMITTED:
				group = d->group;
				keep = 1;
				if (d->kind == DEAL_WON)
					kpi_sum_add(&row->won, d->amount);
				if (d->category >= 0)
					kpi_sum_add(&row->cat[d->category], d->amount);
				break;
			case ITEM_QUOTA:
				group = p->quota[it->idx].group;
				keep = 1;
				row->has_quota = 1;
				kpi_sum_add(&row->quota, p->quota[it->idx].amount);
				break;
			case ITEM_WON:
				group = p->won[it->idx].group;
				/* Bookings alone make a row only in the
				 * current period, of a group the deals or
				 * quotas name. */
				keep |= it->period == asof_period && known[group];
				kpi_sum_add(&row->won, p->won[it->idx].amount);
				break;
			}
		}
		row->nopen = nopen - row->first;
		row->group = group;
		if (!keep) {
			nopen = row->first;
			continue;
		}
		row->seed = row_seed(p, group, row->period);
		p->nrows++;
	}
	nq = p->nrows * opt->nlevels;
	p->rowq = malloc((nq ? nq : 1) * sizeof(double));
	if (!p->rowq) {
		st = pipeline_nomem(err);
		goto out;
	}
	st = compute_rows(p, err);
out:
	free(items);
	free(known);
	return st;
}

enum kpi_status
kpi_pipeline_finish(struct kpi_pipeline *p, struct kpi_error *err)
{
	enum kpi_status st;

	if (p->finished)
		return KPI_OK;
	st = p->opt->diff ? pipeline_diff_finish(p, err)
			  : finish_distribution(p, err);
	if (st == KPI_OK)
		p->finished = 1;
	return st;
}

/* ==== Writing ==== */

static void
write_num(const struct kpi_pipeline *p, struct kpi_csv_writer *w, double x)
{
	kpi_csv_write_double(w, x, p->opt->common->precision);
}

static void
write_header(const struct kpi_pipeline *p, struct kpi_csv_writer *w)
{
	static const char *const cats[CAT_COUNT] = {
		"cat_pipeline", "cat_best_case", "cat_commit", "cat_closed",
		"cat_omitted",
	};
	const struct kpi_pipeline_options *opt = p->opt;
	size_t i;

	pipeline_write_group_header(p, w);
	kpi_csv_write_str(w, "deals");
	kpi_csv_write_str(w, "stale");
	kpi_csv_write_str(w, "pipeline");
	kpi_csv_write_str(w, "weighted");
	kpi_csv_write_str(w, "won");
	if (opt->category_col) {
		for (i = 0; i < CAT_COUNT; i++)
			kpi_csv_write_str(w, cats[i]);
		kpi_csv_write_str(w, "forecast_commit");
		kpi_csv_write_str(w, "forecast_best_case");
	}
	if (p->quota_group) {
		kpi_csv_write_str(w, "quota");
		kpi_csv_write_str(w, "remaining");
		kpi_csv_write_str(w, "coverage");
		kpi_csv_write_str(w, "weighted_coverage");
	}
	kpi_csv_write_str(w, "mean");
	kpi_csv_write_str(w, "sd");
	for (i = 0; i < opt->nlevels; i++) {
		char name[KPI_NUM_BUFSZ + 8], num[KPI_NUM_BUFSZ];

		snprintf(num, sizeof(num), "%.10g", opt->levels[i] * 100);
		snprintf(name, sizeof(name), "p%s", num);
		kpi_csv_write_str(w, name);
	}
	if (p->quota_group)
		kpi_csv_write_str(w, "p_quota");
	kpi_csv_write_str(w, "method");
	kpi_csv_write_str(w, "error_bound");
	kpi_csv_end_row(w);
}

/* The money figures of row r in output order, from pipeline to p_quota,
 * into x[] (NaN for an empty cell); returns how many.  x[] holds at most
 * FIXED_FIGURES + nlevels. */
#define FIXED_FIGURES (3 + CAT_COUNT + 2 + 4 + 2 + 1)

static size_t
row_figures(const struct kpi_pipeline *p, size_t r, double *x)
{
	const struct kpi_pipeline_options *opt = p->opt;
	const struct prow *row = &p->rows[r];
	double won = kpi_sum_value(&row->won), remaining = NAN;
	size_t i, n = 0;

	x[n++] = kpi_sum_value(&row->pipeline);
	x[n++] = kpi_sum_value(&row->weighted);
	x[n++] = won;
	if (opt->category_col) {
		double commit;

		for (i = 0; i < CAT_COUNT; i++)
			x[n++] = kpi_sum_value(&row->cat[i]);
		/* won already holds the closed category. */
		commit = won + kpi_sum_value(&row->cat[CAT_COMMIT]);
		x[n++] = commit;
		x[n++] = commit + kpi_sum_value(&row->cat[CAT_BEST_CASE]);
	}
	if (p->quota_group) {
		if (row->has_quota)
			remaining = kpi_sum_value(&row->quota) - won;
		x[n++] = row->has_quota ? kpi_sum_value(&row->quota) : NAN;
		x[n++] = remaining;
		/* No quota left to cover: no coverage ratio. */
		x[n++] = remaining > 0 ? kpi_sum_value(&row->pipeline) / remaining
				       : NAN;
		x[n++] = remaining > 0 ? kpi_sum_value(&row->weighted) / remaining
				       : NAN;
	}
	x[n++] = won + row->b.mean;
	x[n++] = row->b.sd;
	for (i = 0; i < opt->nlevels; i++)
		x[n++] = won + p->rowq[r * opt->nlevels + i];
	if (p->quota_group)
		x[n++] = row->has_quota ? row->reach : NAN;
	return n;
}

static void
write_row(const struct kpi_pipeline *p, struct kpi_csv_writer *w, size_t r,
	  double *x)
{
	const struct prow *row = &p->rows[r];
	size_t i, n = row_figures(p, r, x);

	pipeline_write_group(p, w, row->group);
	pipeline_write_period(p, w, row->period);
	kpi_csv_write_long(w, (long long)row->nopen);
	kpi_csv_write_long(w, (long long)row->stale);
	for (i = 0; i < n; i++)
		write_num(p, w, x[i]);
	kpi_csv_write_str(w, kpi_bookings_method_name(row->b.method));
	write_num(p, w, row->b.error_bound);
	kpi_csv_end_row(w);
}

/* The name of figure i of row_figures() (p<level> for a quantile, into
 * buf). */
static const char *
figure_name(const struct kpi_pipeline *p, size_t i, char *buf, size_t size)
{
	static const char *const sums[] = {
		"pipeline", "weighted", "won", "cat_pipeline", "cat_best_case",
		"cat_commit", "cat_closed", "cat_omitted", "forecast_commit",
		"forecast_best_case",
	};
	static const char *const quota[] = {
		"quota", "remaining", "coverage", "weighted_coverage",
	};
	const struct kpi_pipeline_options *opt = p->opt;

	if (i < 3)
		return sums[i];
	i -= 3;
	if (opt->category_col) {
		if (i < CAT_COUNT + 2)
			return sums[3 + i];
		i -= CAT_COUNT + 2;
	}
	if (p->quota_group) {
		if (i < 4)
			return quota[i];
		i -= 4;
	}
	if (i < 2)
		return i == 0 ? "mean" : "sd";
	i -= 2;
	if (i < opt->nlevels) {
		snprintf(buf, size, "p%.10g", opt->levels[i] * 100);
		return buf;
	}
	return "p_quota";
}

/* Figures of finite amounts beyond the largest double are refused rather
 * than written as empty cells, as kpi-agg does: totals that add up past
 * it, and the figures computed from them (a coverage over a tiny
 * remaining quota, won plus the expected bookings). */
static enum kpi_status
check_totals(const struct kpi_pipeline *p, double *x, struct kpi_error *err)
{
	size_t r, i, n;

	for (r = 0; r < p->nrows; r++) {
		const struct prow *row = &p->rows[r];
		const char *part = p->opt->ngroup
			? kpi_group_part(p->groups, row->group, 0, NULL) : NULL;
		int over = isinf(kpi_sum_value(&row->pipeline)) ||
			   isinf(kpi_sum_value(&row->weighted)) ||
			   isinf(kpi_sum_value(&row->won)) ||
			   isinf(kpi_sum_value(&row->quota));
		char name[KPI_NUM_BUFSZ + 8], period[KPI_DATE_BUFSZ];

		for (i = 0; i < CAT_COUNT; i++)
			over = over || isinf(kpi_sum_value(&row->cat[i]));
		if (over)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "the amounts%s%s%s add up beyond the largest number a double holds (about 1.8e308)",
					     part ? " of group \"" : "",
					     part ? part : "", part ? "\"" : "");
		n = row_figures(p, r, x);
		for (i = 0; i < n && !isinf(x[i]); i++)
			continue;
		if (i == n)
			continue;
		if (p->opt->common->period_label)
			kpi_period_label(row->period, p->opt->every,
					 &p->opt->common->cal, period);
		else
			kpi_date_format_iso(row->period, period);
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%s%s%s%s of period %s lies beyond the largest number a double holds (about 1.8e308)",
				     figure_name(p, i, name, sizeof(name)),
				     part ? " of group \"" : "",
				     part ? part : "", part ? "\"" : "", period);
	}
	return KPI_OK;
}

enum kpi_status
kpi_pipeline_write(struct kpi_pipeline *p, struct kpi_csv_writer *w,
		   struct kpi_error *err)
{
	enum kpi_status st = kpi_pipeline_finish(p, err);
	double *x;
	size_t r;

	if (st != KPI_OK)
		return st;
	if (p->opt->diff)
		return pipeline_diff_write(p, w, err);
	x = malloc((FIXED_FIGURES + p->opt->nlevels) * sizeof(*x));
	if (!x)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	st = check_totals(p, x, err);
	if (st == KPI_OK) {
		write_header(p, w);
		for (r = 0; r < p->nrows && kpi_csv_writer_status(w) == KPI_OK;
		     r++)
			write_row(p, w, r, x);
		st = kpi_csv_writer_status(w);
	}
	free(x);
	return st;
}
