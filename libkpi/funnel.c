/* funnel.c - reading deals into the funnel model: stage entries per deal,
 * lost outcomes, amounts and groups (see kpi/funnel.h). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "funnel-internal.h"
#include "kpi/num.h"

/* ==== Set-up ==== */

static enum kpi_status
nomem(struct kpi_error *err)
{
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
}

enum kpi_status
kpi_funnel_new(struct kpi_funnel **out, const struct kpi_funnel_options *opt,
	       struct kpi_error *err)
{
	struct kpi_funnel *f;
	size_t i, j;

	if (opt->nstages < 2 || opt->nstages > KPI_FUNNEL_MAX_STAGES)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "a funnel needs 2 to %d stages, the last being the win",
				     KPI_FUNNEL_MAX_STAGES);
	for (i = 0; i < opt->nstages + opt->nlost; i++) {
		const char *a = i < opt->nstages ? opt->stages[i]
						 : opt->lost[i - opt->nstages];

		for (j = 0; j < i; j++) {
			const char *b = j < opt->nstages ? opt->stages[j]
							 : opt->lost[j - opt->nstages];

			if (strcmp(a, b) == 0)
				return kpi_error_set(err, KPI_EINVAL, 0,
						     "stage \"%s\" is named twice", a);
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return nomem(err);
	f->opt = opt;
	f->last_day = NO_DAY;
	f->stage_idx = calloc(opt->nstages + opt->nlost + 1, sizeof(size_t));
	f->group_idx = calloc(opt->ngroup + 1, sizeof(size_t));
	f->parts = calloc(opt->ngroup + 1, sizeof(char *));
	f->lens = calloc(opt->ngroup + 1, sizeof(size_t));
	if (!f->stage_idx || !f->group_idx || !f->parts || !f->lens ||
	    kpi_group_new(&f->groups, opt->ngroup ? opt->ngroup : 1, err) != KPI_OK ||
	    kpi_group_new(&f->ids, 1, err) != KPI_OK) {
		kpi_funnel_free(f);
		return nomem(err);
	}
	*out = f;
	return KPI_OK;
}

void
kpi_funnel_free(struct kpi_funnel *f)
{
	if (!f)
		return;
	kpi_group_free(f->groups);
	kpi_group_free(f->ids);
	free(f->deals);
	free(f->entered);
	free(f->history);
	free(f->stage_idx);
	free(f->group_idx);
	free(f->parts);
	free(f->lens);
	free(f);
}

static enum kpi_status
find(const struct kpi_csv_header *h, const char *name, size_t *idx,
     struct kpi_error *err)
{
	enum kpi_status st = kpi_csv_header_find(h, name, idx, err);

	return st == KPI_OK ? st : kpi_error_column(err, st, name);
}

enum kpi_status
kpi_funnel_header(struct kpi_funnel *f, const struct kpi_csv_header *h,
		  struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	enum kpi_status st = KPI_OK;
	size_t i;

	f->header = h;
	f->has_id = opt->id_col != NULL;
	f->has_amount = opt->amount_col != NULL;
	if (f->has_id)
		st = find(h, opt->id_col, &f->id_idx, err);
	if (st == KPI_OK && opt->amount_col)
		st = find(h, opt->amount_col, &f->amount_idx, err);
	for (i = 0; st == KPI_OK && i < opt->ngroup; i++)
		st = find(h, opt->group_cols[i], &f->group_idx[i], err);
	switch (opt->shape) {
	case KPI_FUNNEL_HISTORY:
		if (st == KPI_OK)
			st = find(h, opt->stage_col, &f->stage_col_idx, err);
		if (st == KPI_OK)
			st = find(h, opt->time_col, &f->time_idx, err);
		break;
	case KPI_FUNNEL_OUTCOME:
		if (st == KPI_OK)
			st = find(h, opt->stage_col, &f->stage_col_idx, err);
		if (st == KPI_OK)
			st = find(h, opt->created_col, &f->created_idx, err);
		if (st == KPI_OK && opt->closed_col)
			st = find(h, opt->closed_col, &f->closed_idx, err);
		break;
	case KPI_FUNNEL_WIDE:
		/* stage_idx[]: the date column of each stage, then of each lost
		 * outcome. */
		for (i = 0; st == KPI_OK && i < opt->nstages; i++)
			st = find(h, opt->stage_cols[i], &f->stage_idx[i], err);
		for (i = 0; st == KPI_OK && i < opt->nlost; i++)
			st = find(h, opt->lost[i], &f->stage_idx[opt->nstages + i],
				  err);
		break;
	}
	return st;
}

/* ==== Per-row parsing ==== */

/* Stage code of a stage name: 0..nstages-1 funnel stages, then the lost
 * outcomes; KPI_EPARSE naming the choices otherwise. */
static enum kpi_status
stage_code(const struct kpi_funnel *f, const char *s, unsigned *code,
	   struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t i;
	char list[160];
	size_t len = 0;

	for (i = 0; i < opt->nstages; i++)
		if (strcmp(s, opt->stages[i]) == 0) {
			*code = (unsigned)i;
			return KPI_OK;
		}
	for (i = 0; i < opt->nlost; i++)
		if (strcmp(s, opt->lost[i]) == 0) {
			*code = (unsigned)(opt->nstages + i);
			return KPI_OK;
		}
	list[0] = '\0';
	for (i = 0; i < opt->nstages + opt->nlost && len < sizeof(list); i++) {
		const char *name = i < opt->nstages ? opt->stages[i]
						    : opt->lost[i - opt->nstages];
		int n = snprintf(list + len, sizeof(list) - len, "%s%s",
				 i ? ", " : "", name);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	return kpi_error_set(err, KPI_EPARSE, 0,
			     "unknown stage \"%.40s\" (the stages are %s; name others with --stages or --lost)",
			     s, list);
}

/* A date field: *day = NO_DAY when missing. */
static enum kpi_status
parse_day(const struct kpi_funnel *f, const char *field, const char *column,
	  int32_t *day, struct kpi_error *err)
{
	long d;
	enum kpi_status st;

	if (kpi_cli_is_missing(f->opt->common, field)) {
		*day = NO_DAY;
		return KPI_OK;
	}
	st = kpi_date_parse(field, f->opt->date_format, &f->opt->common->cal, &d,
			    err);
	if (st != KPI_OK)
		return kpi_error_column(err, st, column);
	*day = (int32_t)d;
	return KPI_OK;
}

static enum kpi_status
grow_deals(struct kpi_funnel *f, size_t slot, struct kpi_error *err)
{
	size_t cap = f->cap ? f->cap : 1024, ns = f->opt->nstages, i;
	struct deal *d;
	int32_t *e;

	if (slot < f->cap)
		return KPI_OK;
	while (cap <= slot)
		cap *= 2;
	d = realloc(f->deals, cap * sizeof(*d));
	if (!d)
		return nomem(err);
	f->deals = d;
	e = realloc(f->entered, cap * ns * sizeof(*e));
	if (!e)
		return nomem(err);
	f->entered = e;
	for (i = f->cap; i < cap; i++) {
		memset(&f->deals[i], 0, sizeof(f->deals[i]));
		f->deals[i].lost_day = NO_DAY;
		f->deals[i].amount = NAN;
		f->deals[i].amount_day = NO_DAY;
	}
	for (i = f->cap * ns; i < cap * ns; i++)
		e[i] = NO_DAY;
	f->cap = cap;
	return KPI_OK;
}

/* The deal a row belongs to: by id, or a new deal per row without one. */
static enum kpi_status
deal_of(struct kpi_funnel *f, const struct kpi_csv_record *rec, size_t *slot,
	int *added, struct kpi_error *err)
{
	enum kpi_status st;

	if (f->has_id) {
		const char *id = rec->fields[f->id_idx];
		size_t len = strlen(id);

		if (len == 0)
			return kpi_error_column(err,
						kpi_error_set(err, KPI_EPARSE, 0,
							      "empty deal id"),
						f->opt->id_col);
		st = kpi_group_intern(f->ids, &id, &len, slot, added, err);
		if (st != KPI_OK)
			return st;
	} else {
		*slot = f->ndeals;
		*added = 1;
	}
	st = grow_deals(f, *slot, err);
	if (st == KPI_OK && *added)
		f->ndeals = *slot + 1;
	return st;
}

static enum kpi_status
group_of(struct kpi_funnel *f, const struct kpi_csv_record *rec, size_t *slot,
	 struct kpi_error *err)
{
	static const char empty[] = "";
	const struct kpi_funnel_options *opt = f->opt;
	size_t i;

	for (i = 0; i < opt->ngroup; i++) {
		f->parts[i] = rec->fields[f->group_idx[i]];
		f->lens[i] = strlen(f->parts[i]);
	}
	if (opt->ngroup == 0) {
		f->parts[0] = empty;
		f->lens[0] = 0;
	}
	return kpi_group_intern(f->groups, f->parts, f->lens, slot, NULL, err);
}

static void
note_day(struct kpi_funnel *f, int32_t day)
{
	if (day != NO_DAY && (f->last_day == NO_DAY || day > f->last_day))
		f->last_day = day;
}

/* Keep the earliest of two entry days. */
static void
enter(int32_t *slot, int32_t day)
{
	if (*slot == NO_DAY || (day != NO_DAY && (*slot == UNKNOWN_DAY || day < *slot)))
		*slot = day == NO_DAY ? UNKNOWN_DAY : day;
}

static enum kpi_status
keep_entry(struct kpi_funnel *f, size_t deal, unsigned code, int32_t day,
	   struct kpi_error *err)
{
	if (f->nhistory == f->history_cap) {
		size_t cap = f->history_cap ? 2 * f->history_cap : 4096;
		struct entry *h = realloc(f->history, cap * sizeof(*h));

		if (!h)
			return nomem(err);
		f->history = h;
		f->history_cap = cap;
	}
	f->history[f->nhistory].deal = (uint32_t)deal;
	f->history[f->nhistory].day = day;
	f->history[f->nhistory].code = (uint16_t)code;
	f->history[f->nhistory].seq = (uint32_t)f->nhistory;
	f->nhistory++;
	return KPI_OK;
}

enum kpi_status
kpi_funnel_add(struct kpi_funnel *f, const struct kpi_csv_record *rec,
	       struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ns = opt->nstages, i, deal, group;
	int32_t days[KPI_FUNNEL_MAX_STAGES * 2], day = NO_DAY, closed = NO_DAY;
	unsigned code = 0;
	double amount = NAN;
	int added;
	struct deal *d;
	enum kpi_status st = KPI_OK;

	/* Parse and check every value first: a rejected row changes nothing. */
	switch (opt->shape) {
	case KPI_FUNNEL_HISTORY:
		st = stage_code(f, rec->fields[f->stage_col_idx], &code, err);
		if (st != KPI_OK)
			return kpi_error_column(err, st, opt->stage_col);
		st = parse_day(f, rec->fields[f->time_idx], opt->time_col, &day, err);
		if (st == KPI_OK && day == NO_DAY)
			st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "a stage entry needs its date"),
					      opt->time_col);
		break;
	case KPI_FUNNEL_OUTCOME:
		st = stage_code(f, rec->fields[f->stage_col_idx], &code, err);
		if (st != KPI_OK)
			return kpi_error_column(err, st, opt->stage_col);
		st = parse_day(f, rec->fields[f->created_idx], opt->created_col,
			       &day, err);
		if (st == KPI_OK && opt->closed_col)
			st = parse_day(f, rec->fields[f->closed_idx],
				       opt->closed_col, &closed, err);
		if (st == KPI_OK && closed == NO_DAY && opt->closed_col &&
		    (code == ns - 1 || code >= ns))
			st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "a won or lost deal needs its close date"),
					      opt->closed_col);
		if (st == KPI_OK && closed != NO_DAY && day != NO_DAY &&
		    closed < day)
			st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "closed before it was created"),
					      opt->closed_col);
		break;
	case KPI_FUNNEL_WIDE:
		for (i = 0; st == KPI_OK && i < ns + opt->nlost; i++) {
			const char *col = i < ns ? opt->stage_cols[i]
						 : opt->lost[i - ns];

			st = parse_day(f, rec->fields[f->stage_idx[i]], col,
				       &days[i], err);
		}
		break;
	}
	if (st == KPI_OK && f->has_amount &&
	    !kpi_cli_is_missing(opt->common, rec->fields[f->amount_idx])) {
		st = kpi_num_parse(rec->fields[f->amount_idx],
				   opt->common->decimal_comma, &amount, err);
		if (st != KPI_OK)
			kpi_error_column(err, st, opt->amount_col);
	}
	if (st != KPI_OK)
		return st;

	st = group_of(f, rec, &group, err);
	if (st == KPI_OK)
		st = deal_of(f, rec, &deal, &added, err);
	if (st != KPI_OK)
		return st;
	d = &f->deals[deal];
	if (added) {
		d->group = (uint32_t)group;
	} else if (d->group != group) {
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "deal \"%.40s\" was seen before in another group",
					  rec->fields[f->id_idx]),
				opt->ngroup ? opt->group_cols[0] : opt->id_col);
	}
	if (!isnan(amount) && (d->amount_day == NO_DAY || day == NO_DAY ||
			       day >= d->amount_day)) {
		/* In a history the latest row's amount wins. */
		d->amount = amount;
		d->amount_day = day;
	}

	switch (opt->shape) {
	case KPI_FUNNEL_HISTORY:
		note_day(f, day);
		if (code < ns)
			enter(&f->entered[deal * ns + code], day);
		else if (d->lost_day == NO_DAY || day < d->lost_day)
			d->lost_day = day;
		if (opt->keep_history)
			st = keep_entry(f, deal, code, day, err);
		break;
	case KPI_FUNNEL_OUTCOME:
		note_day(f, day);
		note_day(f, closed);
		/* Only creation and close are dated: the first stage was
		 * entered when created, the win when closed; stages between
		 * were reached on an unknown day. */
		enter(&f->entered[deal * ns], day);
		if (code < ns && code > 0)
			enter(&f->entered[deal * ns + code],
			      code == ns - 1 ? closed : NO_DAY);
		if (code >= ns)
			d->lost_day = closed == NO_DAY ? UNKNOWN_DAY : closed;
		break;
	case KPI_FUNNEL_WIDE:
		for (i = 0; i < ns; i++) {
			note_day(f, days[i]);
			if (days[i] != NO_DAY)
				enter(&f->entered[deal * ns + i], days[i]);
		}
		for (i = ns; i < ns + opt->nlost; i++) {
			note_day(f, days[i]);
			if (days[i] != NO_DAY &&
			    (d->lost_day == NO_DAY || days[i] < d->lost_day))
				d->lost_day = days[i];
		}
		break;
	}
	return st;
}

enum kpi_status
kpi_funnel_last_date(const struct kpi_funnel *f, long *day,
		     struct kpi_error *err)
{
	if (f->last_day == NO_DAY)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "no dated rows: give --as-of");
	*day = f->last_day;
	return KPI_OK;
}
