/* funnel-internal.h - the deal table shared by funnel.c (reading) and
 * funnel-report.c (the reports).  Never installed. */
#ifndef KPI_FUNNEL_INTERNAL_H
#define KPI_FUNNEL_INTERNAL_H

#include <stdint.h>

#include "kpi/funnel.h"
#include "kpi/group.h"

#define KPI_FUNNEL_MAX_STAGES 32

/* Entry days: a day number, or one of these. */
#define NO_DAY INT32_MIN		/* never entered */
#define UNKNOWN_DAY (INT32_MIN + 1)	/* entered on a day not given */

struct deal {
	uint32_t group;		/* slot in kpi_funnel.groups */
	int32_t lost_day;	/* NO_DAY when not lost */
	int32_t amount_day;	/* day of the row the amount came from */
	double amount;		/* NaN when none */
};

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
	size_t amount_idx;
	size_t *stage_idx;		/* wide: date column per stage */
	size_t *group_idx;
	const char **parts;		/* per-row scratch for group keys */
	size_t *lens;

	struct kpi_group *groups;	/* group key -> slot */
	struct kpi_group *ids;		/* deal id -> deal number */
	struct deal *deals;
	int32_t *entered;		/* [deal * nstages + stage] earliest entry */
	size_t ndeals, cap;
	struct entry *history;
	size_t nhistory, history_cap;
	int32_t last_day;		/* latest date read, or NO_DAY */
};

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

#endif
