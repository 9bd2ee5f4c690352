/* funnel-internal.h - the deal table shared by funnel.c (reading) and
 * funnel-report.c (the reports).  Never installed. */
#ifndef KPI_FUNNEL_INTERNAL_H
#define KPI_FUNNEL_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "kpi/funnel.h"
#include "kpi/group.h"

#define KPI_FUNNEL_MAX_STAGES 32

/* Entry days: a day number, or one of these. */
#define NO_DAY INT32_MIN		/* never entered */
#define UNKNOWN_DAY (INT32_MIN + 1)	/* entered on a day not given */

/* Deals are numbered 0, 1, ... in order of first appearance.  Their state
 * lives in chunks that never move (no copy while the table grows, and the
 * unused tail of the last chunk is never touched, so it costs address
 * space, not memory): chunk 0 holds deals 0..1023, chunk k >= 1 deals
 * 2^(k+9)..2^(k+10)-1.  A deal is 2 + nstages int32 (DEAL_*): its group
 * slot, the day it was lost (NO_DAY when not), then the earliest entry day
 * of each stage.  The group is checked on every row, so it shares the
 * line the row then changes. */
#define FUNNEL_DEAL_SHIFT 10
#define FUNNEL_DEAL_CHUNKS 22		/* up to FUNNEL_MAX_DEALS - 1 */
#define FUNNEL_MAX_DEALS ((size_t)1 << 31)
#define DEAL_GROUP 0
#define DEAL_LOST 1
#define DEAL_ENTERED 2			/* + stage */

/* With --amount: the amount of the deal's latest row, and that row's day. */
struct deal_amount {
	double amount;		/* NaN when none */
	int32_t day;
};

/* A deal's status column, outcome shape (STATUS_NONE: no such column). */
enum deal_status { STATUS_NONE, STATUS_WON, STATUS_LOST, STATUS_OPEN };
#define FUNNEL_NSTATUS 3	/* won, lost, open */

/* A row being taken (see kpi_funnel_add_rows() in funnel.c): what its
 * fields say, parsed. */
struct funnel_row {
	const char *id;		/* in the record */
	size_t idlen;
	uint64_t hash;		/* of the id */
	const struct kpi_csv_record *rec;	/* valid while in the passes */
	size_t group, deal;	/* group: set for a new deal only */
	double amount;		/* NaN when none */
	int32_t day, closed;	/* history: entered; outcome: created, closed */
	unsigned code;		/* stage, or nstages + lost outcome */
	enum deal_status status;	/* outcome with a status column */
	int32_t *days;		/* wide: entry day per stage, then lost outcome */
};

/* Rows between the passes of kpi_funnel_add_rows(): enough for the loads
 * started in one pass to arrive before the next pass needs them, few
 * enough not to queue more misses than the core keeps in flight.  The ring
 * holds the 2 * AHEAD + 1 rows in the passes. */
#define FUNNEL_AHEAD 8
#define FUNNEL_RING 32

/* One stage entry of a history, kept for the transitions report. */
struct entry {
	uint32_t deal;
	int32_t day;
	uint32_t seq;		/* input order, for ties */
	uint16_t code;		/* stage, or nstages + lost outcome */
};

struct kpi_funnel {
	const struct kpi_funnel_options *opt;
	const struct kpi_csv_header *header;
	int has_id, has_amount;
	size_t id_idx, stage_col_idx, time_idx, created_idx, closed_idx;
	size_t amount_idx, status_idx;
	int has_status;
	/* The values of each status, won, lost, open (STATUS_x - 1): the
	 * options' lists or their defaults. */
	const char *const *status_names[FUNNEL_NSTATUS];
	size_t nstatus_names[FUNNEL_NSTATUS];
	size_t *stage_idx;		/* wide: date column per stage */
	size_t *group_idx;
	const char **parts;		/* per-row scratch for group keys */
	size_t *lens;

	struct kpi_group *groups;	/* group key -> slot */
	struct kpi_idmap *ids;		/* deal id -> deal number */
	size_t ndeals;
	int32_t *deal[FUNNEL_DEAL_CHUNKS];	/* see FUNNEL_DEAL_SHIFT */
	struct deal_amount *amounts[FUNNEL_DEAL_CHUNKS];	/* --amount */
	size_t nchunks;
	struct funnel_row rows[FUNNEL_RING];
	int32_t *days;			/* rows[i].days point here */
	struct entry *history;
	size_t nhistory, history_cap;
	int32_t last_day;		/* latest date read, or NO_DAY */
	char last_date_text[24];	/* the last date field parsed ("" none) */
	int32_t last_date_day;		/* and its day */
};

/* ==== Deal state ==== */

static inline size_t
funnel_chunk_of(size_t deal)
{
	size_t k = 0;

	deal >>= FUNNEL_DEAL_SHIFT;
	if (!deal)
		return 0;
#if defined(__GNUC__)
	k = sizeof(unsigned long long) * 8 - (size_t)__builtin_clzll(deal);
#else
	while (deal) {
		deal >>= 1;
		k++;
	}
#endif
	return k;
}

/* First deal of chunk k. */
static inline size_t
funnel_chunk_base(size_t k)
{
	return k ? (size_t)1 << (k + FUNNEL_DEAL_SHIFT - 1) : 0;
}

/* The int32 of deal number `deal`, indexed by DEAL_*. */
static inline int32_t *
funnel_deal(const struct kpi_funnel *f, size_t deal)
{
	size_t k = funnel_chunk_of(deal);

	return f->deal[k] +
	       (deal - funnel_chunk_base(k)) * (2 + f->opt->nstages);
}

static inline uint32_t
funnel_deal_group(const struct kpi_funnel *f, size_t deal)
{
	return (uint32_t)funnel_deal(f, deal)[DEAL_GROUP];
}

/* NaN without --amount or when none was given. */
static inline double
funnel_deal_amount(const struct kpi_funnel *f, size_t deal)
{
	size_t k = funnel_chunk_of(deal);

	if (!f->has_amount)
		return NAN;
	return f->amounts[k][deal - funnel_chunk_base(k)].amount;
}

/* ==== Shared by the report files ==== */

/* A deal as of a date: entry days per stage with skips passed through
 * (unless strict), entries after the date removed. */
struct deal_view {
	int32_t eff[KPI_FUNNEL_MAX_STAGES];
	int reached;		/* furthest stage entered, -1 none */
	int won, lost;
	int32_t lost_day;
	double amount;
	uint32_t group;
};

/* Fill v for deal number `deal`; 0 when the deal had not started by as_of. */
int funnel_view(const struct kpi_funnel *f, size_t deal, long as_of,
		struct deal_view *v);
/* rank[group slot] = its position in output order (malloc'd; NULL: ENOMEM). */
size_t *funnel_group_ranks(const struct kpi_funnel *f);
void funnel_write_group_header(const struct kpi_funnel *f,
			       struct kpi_csv_writer *w);
void funnel_write_group(const struct kpi_funnel *f, struct kpi_csv_writer *w,
			size_t slot);
/* "a,b" for group `slot`, for messages (cut to fit `size`). */
void funnel_group_text(const struct kpi_funnel *f, size_t slot, char *buf,
		       size_t size);
/* rate, lo, hi of x out of n: empty unless judged and n >= min_n. */
void funnel_write_rate(struct kpi_csv_writer *w,
		       const struct kpi_funnel_report_options *r,
		       unsigned long x, unsigned long n, int judged);
/* The cohort (first day of the period of first-stage entry), LONG_MIN when
 * unknown, 0 without --every. */
long funnel_cohort(const struct kpi_funnel_report_options *r,
		   const struct deal_view *v);
void funnel_write_cohort(struct kpi_csv_writer *w,
			 const struct kpi_funnel_report_options *r, long cohort);
/* The cohort as written, into buf (KPI_DATE_BUFSZ bytes); its length, 0
 * (and "") when unknown. */
size_t funnel_cohort_text(const struct kpi_funnel_report_options *r,
			  long cohort, char *buf);

#endif
