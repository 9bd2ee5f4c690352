/* funnel.c - reading deals into the funnel model: stage entries per deal,
 * lost outcomes, amounts and groups (see kpi/funnel.h). */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "funnel-internal.h"
#include "kpi/num.h"

/* ==== Set-up ==== */

enum chunk_kind { DEAL_BYTES, AMOUNT_BYTES };

/* Bytes of chunk k of deal states or of amounts (none without --amount). */
static size_t
chunk_bytes(const struct kpi_funnel *f, size_t k, enum chunk_kind kind)
{
	size_t n = k ? funnel_chunk_base(k) : funnel_chunk_base(1);

	if (kind == AMOUNT_BYTES)
		return f->has_amount ? n * sizeof(struct deal_amount) : 0;
	return n * (2 + f->opt->nstages) * sizeof(int32_t);
}

static enum kpi_status
nomem(struct kpi_error *err)
{
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
}

/* The k-th status value over the lists won, lost, open. */
static const char *
status_name(const struct kpi_funnel *f, size_t k)
{
	size_t s;

	for (s = 0; k >= f->nstatus_names[s]; s++)
		k -= f->nstatus_names[s];
	return f->status_names[s][k];
}

/* The values of each status: the options' lists, or "won", "lost" and
 * "open"; KPI_EINVAL when a value is in two lists (or twice in one). */
static enum kpi_status
set_status_names(struct kpi_funnel *f, struct kpi_error *err)
{
	static const char *const defaults[FUNNEL_NSTATUS][1] = {
		{ "won" }, { "lost" }, { "open" },
	};
	const struct kpi_funnel_options *opt = f->opt;
	const char *const *given[FUNNEL_NSTATUS] = {
		opt->won_status, opt->lost_status, opt->open_status,
	};
	size_t ngiven[FUNNEL_NSTATUS] = {
		opt->nwon_status, opt->nlost_status, opt->nopen_status,
	};
	size_t s, n = 0, k, j;

	for (s = 0; s < FUNNEL_NSTATUS; s++) {
		f->status_names[s] = ngiven[s] ? given[s] : defaults[s];
		f->nstatus_names[s] = ngiven[s] ? ngiven[s] : 1;
		n += f->nstatus_names[s];
	}
	for (k = 0; k < n; k++)
		for (j = 0; j < k; j++)
			if (strcmp(status_name(f, k), status_name(f, j)) == 0)
				return kpi_error_set(err, KPI_EINVAL, 0,
						     "status \"%s\" is named twice",
						     status_name(f, k));
	return KPI_OK;
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
	if (opt->status_col && opt->shape != KPI_FUNNEL_OUTCOME)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "a status column goes with deal outcomes (--stage, --created), not with a stage history or wide input");
	f = calloc(1, sizeof(*f));
	if (!f)
		return nomem(err);
	f->opt = opt;
	if (opt->status_col && set_status_names(f, err) != KPI_OK) {
		free(f);
		return KPI_EINVAL;
	}
	f->last_day = NO_DAY;
	f->stage_idx = calloc(opt->nstages + opt->nlost + 1, sizeof(size_t));
	f->group_idx = calloc(opt->ngroup + 1, sizeof(size_t));
	f->parts = calloc(opt->ngroup + 1, sizeof(char *));
	f->lens = calloc(opt->ngroup + 1, sizeof(size_t));
	f->days = calloc(FUNNEL_RING * (opt->nstages + opt->nlost),
			 sizeof(int32_t));
	for (i = 0; f->days && i < FUNNEL_RING; i++)
		f->rows[i].days = f->days + i * (opt->nstages + opt->nlost);
	if (!f->stage_idx || !f->group_idx || !f->parts || !f->lens ||
	    !f->days ||
	    kpi_group_new(&f->groups, opt->ngroup ? opt->ngroup : 1, err) != KPI_OK ||
	    kpi_idmap_new(&f->ids, err) != KPI_OK) {
		kpi_funnel_free(f);
		return nomem(err);
	}
	*out = f;
	return KPI_OK;
}

void
kpi_funnel_free(struct kpi_funnel *f)
{
	size_t k;

	if (!f)
		return;
	for (k = 0; k < f->nchunks; k++) {
		kpi_big_free(f->deal[k], chunk_bytes(f, k, DEAL_BYTES));
		kpi_big_free(f->amounts[k], chunk_bytes(f, k, AMOUNT_BYTES));
	}
	kpi_group_free(f->groups);
	kpi_idmap_free(f->ids);
	free(f->history);
	free(f->days);
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
		f->has_status = opt->status_col != NULL;
		if (st == KPI_OK && f->has_status)
			st = find(h, opt->status_col, &f->status_idx, err);
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

	/* Stage names mostly differ in their first byte: compare that
	 * before calling strcmp(). */
	for (i = 0; i < opt->nstages; i++)
		if (s[0] == opt->stages[i][0] && strcmp(s, opt->stages[i]) == 0) {
			*code = (unsigned)i;
			return KPI_OK;
		}
	for (i = 0; i < opt->nlost; i++)
		if (s[0] == opt->lost[i][0] && strcmp(s, opt->lost[i]) == 0) {
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

/* Append text to buf (size bytes, *len used), cut to fit. */
static void
append(char *buf, size_t size, size_t *len, const char *text)
{
	int n;

	if (*len + 1 >= size)
		return;
	n = snprintf(buf + *len, size - *len, "%s", text);
	if (n > 0)
		*len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

/* "won: won; lost: lost, dead; open: open" into buf, cut to fit. */
static void
status_list(const struct kpi_funnel *f, char *buf, size_t size)
{
	static const char *const kinds[FUNNEL_NSTATUS] = {
		"won: ", "; lost: ", "; open: ",
	};
	size_t len = 0, s, i;

	buf[0] = '\0';
	for (s = 0; s < FUNNEL_NSTATUS; s++) {
		append(buf, size, &len, kinds[s]);
		for (i = 0; i < f->nstatus_names[s]; i++) {
			if (i)
				append(buf, size, &len, ", ");
			append(buf, size, &len, f->status_names[s][i]);
		}
	}
}

/* The status of an outcome row, checked against its stage (row->code):
 * the win stage needs a won status, a lost outcome a lost one. */
static enum kpi_status
parse_status(const struct kpi_funnel *f, const char *field,
	     struct funnel_row *row, struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ns = opt->nstages, s, i;
	char list[160];

	row->status = STATUS_NONE;
	for (s = 0; s < FUNNEL_NSTATUS && row->status == STATUS_NONE; s++)
		for (i = 0; i < f->nstatus_names[s]; i++)
			if (strcmp(field, f->status_names[s][i]) == 0) {
				row->status = (enum deal_status)(s + 1);
				break;
			}
	if (row->status == STATUS_NONE) {
		status_list(f, list, sizeof(list));
		if (kpi_cli_is_missing(opt->common, field))
			return kpi_error_set(err, KPI_EPARSE, 0,
					     "the status is missing (the statuses are %s)",
					     list);
		return kpi_error_set(err, KPI_EPARSE, 0,
				     "unknown status \"%.40s\" (the statuses are %s; name others with --won-status, --lost-status or --open-status)",
				     field, list);
	}
	if (row->code == ns - 1 && row->status != STATUS_WON)
		return kpi_error_set(err, KPI_EPARSE, 0,
				     "status \"%.40s\" at the win stage \"%.40s\" (a deal at the win stage is won)",
				     field, opt->stages[ns - 1]);
	if (row->code >= ns && row->status != STATUS_LOST)
		return kpi_error_set(err, KPI_EPARSE, 0,
				     "status \"%.40s\" at the lost outcome \"%.40s\" (a deal there is lost)",
				     field, opt->lost[row->code - ns]);
	return KPI_OK;
}

/* True when the NUL-terminated field is the text of the last date parsed. */
static inline int
is_last_date(const struct kpi_funnel *f, const char *field)
{
	const char *m = f->last_date_text;

	while (*m && *m == *field) {
		m++;
		field++;
	}
	return *m == *field;
}

/* A date field: *day = NO_DAY when missing.  A history is mostly sorted by
 * date, so a row's date is often the last row's: the last date parsed is
 * kept with its text, and parsing depends on nothing else. */
static enum kpi_status
parse_day(struct kpi_funnel *f, const char *field, const char *column,
	  int32_t *day, struct kpi_error *err)
{
	long d;
	enum kpi_status st;
	size_t len;

	if (f->last_date_text[0] && is_last_date(f, field)) {
		*day = f->last_date_day;
		return KPI_OK;
	}
	if (kpi_cli_is_missing(f->opt->common, field)) {
		*day = NO_DAY;
		return KPI_OK;
	}
	st = kpi_date_parse(field, f->opt->date_format, &f->opt->common->cal, &d,
			    err);
	if (st != KPI_OK)
		return kpi_error_column(err, st, column);
	*day = (int32_t)d;
	len = strlen(field);
	if (len < sizeof(f->last_date_text)) {
		memcpy(f->last_date_text, field, len + 1);
		f->last_date_day = *day;
	}
	return KPI_OK;
}

/* ==== Deal state ==== */

/* Room and initial state for deal number `deal` (= f->ndeals), in group
 * `group`. */
static enum kpi_status
new_deal(struct kpi_funnel *f, size_t deal, size_t group,
	 struct kpi_error *err)
{
	size_t ns = f->opt->nstages, k = funnel_chunk_of(deal), j;
	int32_t *d;
	struct deal_amount *a;

	if (deal >= FUNNEL_MAX_DEALS)
		return kpi_error_set(err, KPI_ENOMEM, 0, "more than %zu deals",
				     FUNNEL_MAX_DEALS);
	if (k == f->nchunks) {
		f->deal[k] = kpi_big_alloc(chunk_bytes(f, k, DEAL_BYTES));
		if (!f->deal[k])
			return nomem(err);
		if (f->has_amount) {
			f->amounts[k] = kpi_big_alloc(chunk_bytes(f, k,
								  AMOUNT_BYTES));
			if (!f->amounts[k]) {
				kpi_big_free(f->deal[k],
					     chunk_bytes(f, k, DEAL_BYTES));
				return nomem(err);
			}
		}
		f->nchunks++;
	}
	d = funnel_deal(f, deal);
	d[DEAL_GROUP] = (int32_t)group;
	d[DEAL_LOST] = NO_DAY;
	for (j = 0; j < ns; j++)
		d[DEAL_ENTERED + j] = NO_DAY;
	if (f->has_amount) {
		a = &f->amounts[k][deal - funnel_chunk_base(k)];
		a->amount = NAN;
		a->day = NO_DAY;
	}
	f->ndeals = deal + 1;
	return KPI_OK;
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

/* Whether rec's group columns hold the tuple of group slot: a known deal's
 * row is compared with its group rather than looked up, so that a row
 * refused for naming another group adds no group to the report. */
static int
same_group(const struct kpi_funnel *f, const struct kpi_csv_record *rec,
	   size_t slot)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t i, len;

	for (i = 0; i < opt->ngroup; i++) {
		const char *field = rec->fields[f->group_idx[i]];
		const char *part = kpi_group_part(f->groups, slot, i, &len);

		if (!part || strlen(field) != len || memcmp(field, part, len))
			return 0;
	}
	return 1;
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

/*
 * Rows are taken in three passes, so that the cache
 * misses of one row overlap the work on the others: with a million deals
 * in random order, the id's bucket in the id map and then the deal's state
 * are each a miss, and taking one row at a time waits for both in turn.
 *  1. parse_row(): parse and check every value, hash the id and start
 *     loading its bucket;
 *  2. resolve_row(): the deal number (a new deal is added here, in the
 *     group its row names), and start loading its state;
 *  3. apply_row(): check that the row names the deal's group, and record
 *     the entries.
 * The rows are taken as if one by one: deals are numbered in order of
 * first appearance, and a row that fails in any pass changes nothing (see
 * kpi_funnel_add_rows()).
 */

/* Parse and check every value of a row; start loading the bucket of its
 * id. */
static enum kpi_status
parse_row(struct kpi_funnel *f, const struct kpi_csv_record *rec,
	  struct funnel_row *row, struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ns = opt->nstages, i;
	enum kpi_status st = KPI_OK;

	row->rec = rec;
	row->day = NO_DAY;
	row->closed = NO_DAY;
	row->code = 0;
	row->status = STATUS_NONE;
	row->amount = NAN;
	if (f->has_id) {
		row->id = rec->fields[f->id_idx];
		row->idlen = strlen(row->id);
		row->hash = kpi_idmap_hash(row->id, row->idlen);
		kpi_idmap_prefetch(f->ids, row->hash);
	}
	switch (opt->shape) {
	case KPI_FUNNEL_HISTORY:
		st = stage_code(f, rec->fields[f->stage_col_idx], &row->code, err);
		if (st != KPI_OK)
			return kpi_error_column(err, st, opt->stage_col);
		st = parse_day(f, rec->fields[f->time_idx], opt->time_col,
			       &row->day, err);
		if (st == KPI_OK && row->day == NO_DAY)
			st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "a stage entry needs its date"),
					      opt->time_col);
		break;
	case KPI_FUNNEL_OUTCOME:
		st = stage_code(f, rec->fields[f->stage_col_idx], &row->code, err);
		if (st != KPI_OK)
			return kpi_error_column(err, st, opt->stage_col);
		if (f->has_status) {
			st = parse_status(f, rec->fields[f->status_idx], row, err);
			if (st != KPI_OK)
				return kpi_error_column(err, st, opt->status_col);
		}
		st = parse_day(f, rec->fields[f->created_idx], opt->created_col,
			       &row->day, err);
		if (st == KPI_OK && opt->closed_col)
			st = parse_day(f, rec->fields[f->closed_idx],
				       opt->closed_col, &row->closed, err);
		if (st == KPI_OK && row->closed == NO_DAY && opt->closed_col &&
		    (row->code == ns - 1 || row->code >= ns ||
		     row->status == STATUS_WON || row->status == STATUS_LOST))
			st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "a won or lost deal needs its close date"),
					      opt->closed_col);
		if (st == KPI_OK && row->closed != NO_DAY && row->day != NO_DAY &&
		    row->closed < row->day)
			st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
						  "closed before it was created"),
					      opt->closed_col);
		break;
	case KPI_FUNNEL_WIDE:
		for (i = 0; st == KPI_OK && i < ns + opt->nlost; i++) {
			const char *col = i < ns ? opt->stage_cols[i]
						 : opt->lost[i - ns];

			st = parse_day(f, rec->fields[f->stage_idx[i]], col,
				       &row->days[i], err);
		}
		break;
	}
	if (st == KPI_OK && f->has_amount &&
	    !kpi_cli_is_missing(opt->common, rec->fields[f->amount_idx])) {
		st = kpi_num_parse(rec->fields[f->amount_idx],
				   opt->common->decimal_comma, &row->amount, err);
		if (st != KPI_OK)
			kpi_error_column(err, st, opt->amount_col);
	}
	if (st == KPI_OK && f->has_id && row->idlen == 0)
		st = kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
							 "empty deal id"),
				      opt->id_col);
	return st;
}

/* The deal of a row: by its id, or a new deal per row without one.  A new
 * deal goes in the row's group; start loading a known deal's state. */
static enum kpi_status
resolve_row(struct kpi_funnel *f, struct funnel_row *row,
	    struct kpi_error *err)
{
	enum kpi_status st;
	int added = 1;
	size_t k;

	row->deal = f->ndeals;
	if (f->has_id) {
		st = kpi_idmap_intern(f->ids, row->id, row->idlen, row->hash,
				      &row->deal, &added, err);
		if (st != KPI_OK)
			return st;
	}
	if (added) {
		/* Only a failure to allocate can stop a new deal here, and
		 * it ends the run. */
		st = group_of(f, row->rec, &row->group, err);
		return st != KPI_OK ? st
				    : new_deal(f, row->deal, row->group, err);
	}
#if defined(__GNUC__)
	__builtin_prefetch(funnel_deal(f, row->deal), 1);
	if (f->has_amount) {
		k = funnel_chunk_of(row->deal);
		__builtin_prefetch(&f->amounts[k][row->deal -
						  funnel_chunk_base(k)], 1);
	}
#else
	(void)k;
#endif
	return KPI_OK;
}

/* Check the row's deal is in the row's group, and record its entries. */
static enum kpi_status
apply_row(struct kpi_funnel *f, const struct funnel_row *row,
	  struct kpi_error *err)
{
	const struct kpi_funnel_options *opt = f->opt;
	size_t ns = opt->nstages, i, k;
	int32_t *d = funnel_deal(f, row->deal), day = row->day;
	unsigned code = row->code;
	struct deal_amount *a;

	if (!same_group(f, row->rec, (size_t)d[DEAL_GROUP]))
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "deal \"%.40s\" was seen before in another group",
					  row->id),
				opt->ngroup ? opt->group_cols[0] : opt->id_col);
	/* Outcomes are one row per deal, and every row enters the first
	 * stage: a deal that has entered it was given before. */
	if (opt->shape == KPI_FUNNEL_OUTCOME && d[DEAL_ENTERED] != NO_DAY)
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
					  "deal \"%.40s\" is given twice (deal outcomes are one row per deal)",
					  row->id),
				opt->id_col);
	if (!isnan(row->amount)) {
		k = funnel_chunk_of(row->deal);
		a = &f->amounts[k][row->deal - funnel_chunk_base(k)];
		if (a->day == NO_DAY || day == NO_DAY || day >= a->day) {
			/* In a history the latest row's amount wins. */
			a->amount = row->amount;
			a->day = day;
		}
	}

	switch (opt->shape) {
	case KPI_FUNNEL_HISTORY:
		note_day(f, day);
		if (code < ns)
			enter(&d[DEAL_ENTERED + code], day);
		else if (d[DEAL_LOST] == NO_DAY || day < d[DEAL_LOST])
			d[DEAL_LOST] = day;
		if (opt->keep_history)
			return keep_entry(f, row->deal, code, day, err);
		break;
	case KPI_FUNNEL_OUTCOME:
		note_day(f, day);
		note_day(f, row->closed);
		/* Only creation and close are dated: the first stage was
		 * entered when created, the win when closed; stages between
		 * were reached on an unknown day.  With a status, the stage is
		 * the last one reached: a won deal went on to the win (CRMs
		 * often leave it at the last open stage), a lost one was lost
		 * there. */
		enter(&d[DEAL_ENTERED], day);
		if (code < ns && code > 0)
			enter(&d[DEAL_ENTERED + code],
			      code == ns - 1 ? row->closed : NO_DAY);
		if (row->status == STATUS_WON && code != ns - 1)
			enter(&d[DEAL_ENTERED + ns - 1], row->closed);
		if (code >= ns || row->status == STATUS_LOST)
			d[DEAL_LOST] = row->closed == NO_DAY ? UNKNOWN_DAY
							     : row->closed;
		break;
	case KPI_FUNNEL_WIDE:
		for (i = 0; i < ns; i++) {
			note_day(f, row->days[i]);
			if (row->days[i] != NO_DAY)
				enter(&d[DEAL_ENTERED + i], row->days[i]);
		}
		for (i = ns; i < ns + opt->nlost; i++) {
			note_day(f, row->days[i]);
			if (row->days[i] != NO_DAY &&
			    (d[DEAL_LOST] == NO_DAY || row->days[i] < d[DEAL_LOST]))
				d[DEAL_LOST] = row->days[i];
		}
		break;
	}
	return KPI_OK;
}

/*
 * The passes run as a pipeline, FUNNEL_AHEAD rows apart: row i is parsed
 * while row i - AHEAD is resolved and row i - 2 AHEAD applied, so that a
 * few loads are on their way at any time (a whole block of them at once
 * would fill the queue of misses and stall it).  A row that fails in a pass
 * becomes the end: no later row goes further, the rows before it go
 * through every pass, then it is reported (the first row to fail in input
 * order, its error the last written to err).  Rows after it may have been
 * parsed (which changes nothing) or have added their new deals and groups
 * (which taking them later finds as known deals of the same group, with
 * nothing recorded yet).
 */
_Static_assert(FUNNEL_RING >= 2 * FUNNEL_AHEAD + 2,
	       "the ring holds every row in the passes");

enum kpi_status
kpi_funnel_add_rows(struct kpi_funnel *f, const struct kpi_csv_record *recs,
		    size_t n, size_t *done, struct kpi_error *err)
{
	struct funnel_row *rows = f->rows;
	size_t parsed = 0, resolved = 0, applied = 0, end = n;
	enum kpi_status st, st_end = KPI_OK;

	while (applied < end) {
		if (parsed < end) {
			st = parse_row(f, &recs[parsed],
				       &rows[parsed % FUNNEL_RING], err);
			if (st == KPI_OK) {
				parsed++;
			} else {
				end = parsed;
				st_end = st;
			}
		}
		if (resolved < parsed &&
		    (parsed - resolved > FUNNEL_AHEAD || parsed == end)) {
			st = resolve_row(f, &rows[resolved % FUNNEL_RING], err);
			if (st == KPI_OK) {
				resolved++;
			} else {
				end = parsed = resolved;
				st_end = st;
			}
		}
		if (applied < resolved &&
		    (resolved - applied > FUNNEL_AHEAD || resolved == end)) {
			st = apply_row(f, &rows[applied % FUNNEL_RING], err);
			if (st != KPI_OK) {
				*done = applied;
				return st;
			}
			applied++;
		}
	}
	*done = end;
	return st_end;
}

enum kpi_status
kpi_funnel_add(struct kpi_funnel *f, const struct kpi_csv_record *rec,
	       struct kpi_error *err)
{
	size_t done;

	return kpi_funnel_add_rows(f, rec, 1, &done, err);
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
