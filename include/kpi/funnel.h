/* kpi/funnel.h - deals moving through sales stages: the model behind
 * kpi-conv (funnel conversion, stage transitions, win rates, cycle times).
 *
 * A funnel is an ordered list of stages, the last of which is the win
 * (lead, mql, sql, opportunity, won), plus any number of lost outcomes
 * (closed_lost, disqualified).  Deals are read in one of three shapes:
 *
 *  - history: one row per stage entry (deal id, stage, date entered), as
 *    Salesforce's OpportunityHistory exports it; rows in any order;
 *  - wide: one row per deal, one date column per stage (empty = never);
 *  - outcome: one row per deal with its current stage, the date it was
 *    created (entered the first stage) and the date it closed.  A lost
 *    deal carries a lost outcome as its stage, and so is lost at the
 *    first stage; or, with a status column (open, won or lost, as
 *    Pipedrive and HubSpot export deals), its stage is the last one it
 *    reached, and it was lost there.
 *
 * A deal reached stage j when it entered j or any later stage: a skipped
 * stage is passed through on the date the later stage was entered.  With
 * strict skips only real entries count.  Moves backward are ignored for
 * the funnel (the transitions report shows them).
 *
 * Memory grows with the number of deals (a few dozen bytes each plus the id
 * and group text), except for the transitions report, which keeps every
 * stage entry. */
#ifndef KPI_FUNNEL_H
#define KPI_FUNNEL_H

#include <stddef.h>

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/date.h"
#include "kpi/error.h"

enum kpi_funnel_shape {
	KPI_FUNNEL_HISTORY,
	KPI_FUNNEL_WIDE,
	KPI_FUNNEL_OUTCOME,
};

struct kpi_funnel_options {
	enum kpi_funnel_shape shape;
	const char *id_col;		/* history, outcome (optional) */
	const char *stage_col;		/* history, outcome */
	const char *time_col;		/* history: date the stage was entered */
	const char *const *stage_cols;	/* wide: one date column per stage */
	const char *created_col;	/* outcome: entered the first stage */
	const char *closed_col;		/* outcome: won or lost on this date */
	/* Outcome, optional: the deal's status, whose values are matched
	 * exactly (case included, as stage names are) against three lists,
	 * each "won", "lost" or "open" when not given (n = 0).  With it, the
	 * stage is the last one the deal reached: a lost deal was lost there,
	 * a won deal reached the win whatever its stage says, an open deal is
	 * open there.  A stage that names a lost outcome needs a lost status;
	 * the win stage needs a won one. */
	const char *status_col;
	const char *const *won_status;
	size_t nwon_status;
	const char *const *lost_status;
	size_t nlost_status;
	const char *const *open_status;
	size_t nopen_status;
	const char *amount_col;		/* optional */
	const char *const *group_cols;
	size_t ngroup;
	const char *const *stages;	/* funnel order; the last is the win */
	size_t nstages;
	const char *const *lost;	/* lost outcomes */
	size_t nlost;
	int strict_skips;
	int keep_history;		/* keep every entry (transitions) */
	const struct kpi_cli_common *common;
	const struct kpi_date_format *date_format;
};

struct kpi_funnel;

/* KPI_EINVAL for fewer than 2 or more than 32 stages, a stage, lost
 * outcome or status value named twice, or a status column without the
 * outcome shape.  opt and what it points to are kept until
 * kpi_funnel_free(). */
enum kpi_status kpi_funnel_new(struct kpi_funnel **out,
			       const struct kpi_funnel_options *opt,
			       struct kpi_error *err);
void kpi_funnel_free(struct kpi_funnel *f);

enum kpi_status kpi_funnel_header(struct kpi_funnel *f,
				  const struct kpi_csv_header *h,
				  struct kpi_error *err);
/* One row.  An unknown stage or status, a status at odds with the stage, a
 * bad date or amount, a deal seen under two groups, or a deal given twice
 * in outcomes (with an id) is KPI_EPARSE with the column named.  In a
 * history, the amount of a deal's latest row counts. */
enum kpi_status kpi_funnel_add(struct kpi_funnel *f,
			       const struct kpi_csv_record *rec,
			       struct kpi_error *err);
/* Rows recs[0, n) in order, as kpi_funnel_add() one by one, but faster on
 * a long history: the memory loads of several rows overlap.  On failure
 * *done rows were added and recs[*done] is the one that failed, having
 * changed nothing (the form of kpi_cli_rows_fn). */
enum kpi_status kpi_funnel_add_rows(struct kpi_funnel *f,
				    const struct kpi_csv_record *recs,
				    size_t n, size_t *done,
				    struct kpi_error *err);

/* Latest date read (the default --as-of); KPI_EINVAL when none. */
enum kpi_status kpi_funnel_last_date(const struct kpi_funnel *f, long *day,
				     struct kpi_error *err);

/* ==== Reports ==== */

/* What the reports need beyond the deals. */
struct kpi_funnel_report_options {
	long as_of;			/* day number; deals after it are ignored */
	int has_every;			/* cohorts by period of first-stage entry */
	enum kpi_period_unit every;
	long window;			/* days; < 0: no window */
	int ci;				/* enum kpi_ci_method */
	double level;			/* e.g. 0.95 */
	unsigned long min_n;		/* rates with a smaller denominator are empty */
	long stale_after;		/* days; < 0: never stale */
	const long *within;		/* winrate: P(won within d days) */
	size_t nwithin;
	size_t qualified;		/* velocity: first qualified stage */
	int precision;			/* for numbers, as kpi_num_format */
	int period_label;
	const struct kpi_calendar *cal;
};

/* Each writes a header and its rows, sorted by group, cohort and stage.
 * The winrate and velocity reports return KPI_EINVAL, before writing
 * anything, when a money figure (won_amount, closed_amount, won_mean,
 * velocity) lies beyond the largest double, naming it, its group and
 * cohort. */
enum kpi_status kpi_funnel_write_funnel(struct kpi_funnel *f,
					const struct kpi_funnel_report_options *r,
					struct kpi_csv_writer *w,
					struct kpi_error *err);
enum kpi_status kpi_funnel_write_transitions(struct kpi_funnel *f,
					     const struct kpi_funnel_report_options *r,
					     struct kpi_csv_writer *w,
					     struct kpi_error *err);
enum kpi_status kpi_funnel_write_winrate(struct kpi_funnel *f,
					 const struct kpi_funnel_report_options *r,
					 struct kpi_csv_writer *w,
					 struct kpi_error *err);
/* Per stage: do the groups' conversion rates differ?  Pearson's chi-square
 * test of homogeneity, or Fisher's exact test for two groups with an
 * expected count below 5. */
enum kpi_status kpi_funnel_write_compare(struct kpi_funnel *f,
					 const struct kpi_funnel_report_options *r,
					 struct kpi_csv_writer *w,
					 struct kpi_error *err);
/* Sales velocity per group: open deals at or past r->qualified x win rate
 * x mean won amount / mean cycle of closed deals, with its inputs. */
enum kpi_status kpi_funnel_write_velocity(struct kpi_funnel *f,
					  const struct kpi_funnel_report_options *r,
					  struct kpi_csv_writer *w,
					  struct kpi_error *err);
enum kpi_status kpi_funnel_write_stage_win(struct kpi_funnel *f,
					   const struct kpi_funnel_report_options *r,
					   struct kpi_csv_writer *w,
					   struct kpi_error *err);

#endif
