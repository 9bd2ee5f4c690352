/* kpi/pipeline.h - the open pipeline: weighted pipeline, the probability
 * distribution of bookings per group and period, coverage of quota, and the
 * pipeline waterfall between two snapshots (the engine behind kpi-pipeline).
 *
 * Two parts:
 *  - kpi_bookings_*: the distribution of S = sum a_i X_i, the X_i
 *    independent Bernoulli(p_i) draws ("deal i is won"), exactly on an
 *    amount grid with a stated error bound, or by seeded Monte Carlo;
 *  - kpi_pipeline_*: the report over CSV records: open deals read with
 *    kpi_pipeline_add(), side inputs (stage probabilities, closed-won
 *    bookings, quotas, the older snapshot of a waterfall) read before them.
 *
 * The library never prints, never exits and never reads argv; the tool
 * opens the files and hands every record to the functions below.
 */
#ifndef KPI_PIPELINE_H
#define KPI_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/date.h"
#include "kpi/error.h"

/* ==== The bookings distribution ==== */

enum kpi_bookings_method {
	KPI_BOOKINGS_AUTO,	/* exact when it is affordable, else Monte Carlo */
	KPI_BOOKINGS_EXACT,
	KPI_BOOKINGS_MC,
};

/* "auto", "exact", "monte-carlo" (or "mc") to a method; KPI_EINVAL else. */
enum kpi_status kpi_bookings_method_parse(const char *s,
					  enum kpi_bookings_method *out,
					  struct kpi_error *err);
/* "exact" or "monte-carlo" (or "auto"); never NULL. */
const char *kpi_bookings_method_name(enum kpi_bookings_method m);

struct kpi_bookings_options {
	enum kpi_bookings_method method;
	/* Exact method: the grid step is chosen so that error_bound <=
	 * tolerance * sd (see kpi_bookings_compute), on at most grid_max
	 * cells.  Auto also wants at most work_max cell updates and falls
	 * back to Monte Carlo beyond either cap; exact fails with KPI_ENOMEM
	 * beyond grid_max. */
	double tolerance;
	size_t grid_max;
	double work_max;	/* 0: 4 * n * draws, at least 2^24 */
	/* Monte Carlo: draws, and the seed of the stream.  Draws are made in
	 * chunks of KPI_BOOKINGS_CHUNK, chunk c from its own stream seeded by
	 * (seed, c), so the result does not depend on `threads`. */
	unsigned long draws;
	uint64_t seed;
	unsigned threads;	/* 0 or 1: the calling thread only */
};

#define KPI_BOOKINGS_CHUNK 4096

/* Defaults: auto, tolerance 0.05, 2^21 cells, draws 10000, seed 1. */
void kpi_bookings_options_init(struct kpi_bookings_options *o);

struct kpi_bookings {
	double mean;		/* sum a_i p_i, exact */
	double sd;		/* sqrt(sum a_i^2 p_i (1 - p_i)), exact */
	enum kpi_bookings_method method;	/* EXACT or MC: what was used */
	double error_bound;	/* exact: bound on every quantile's error; MC: NaN */
	double step;		/* exact: the grid step (0 when no grid was needed) */
	unsigned long draws;	/* MC: draws made; exact: 0 */
};

/* The distribution of S = sum_i a_i X_i, X_i ~ Bernoulli(p_i) independent,
 * for amounts a_i >= 0 (finite) and probabilities 0 <= p_i <= 1.
 *
 * quantiles[j] receives the lower quantile at levels[j] (0 < level < 1):
 * the smallest s with P(S <= s) >= level (R's quantile type 1 of the
 * distribution; a level within 1e-12 of a cumulative probability counts as
 * reaching it).  When reach_p is non-NULL, *reach_p = P(S >= threshold).
 *
 * Exact method: amounts are rounded to the nearest multiple k_i * step of a
 * grid step, and the distribution of sum k_i X_i is convolved deal by deal
 * (a direct dynamic programme over the support, O(n * total / step)).
 * With e_i = a_i - k_i step the rounding errors, S = S_grid + D where D
 * lies in [lo, hi], lo = sum of the negative e_i, hi = sum of the positive
 * e_i, so every quantile of S lies within [q_grid + lo, q_grid + hi]; the
 * result is reported at the midpoint q_grid + (lo + hi) / 2, and
 * error_bound = (hi - lo) / 2 = sum |e_i| / 2 <= n step / 4 bounds its
 * error.  reach_p is the grid's P(S_grid + (lo + hi) / 2 >= threshold);
 * the true probability lies between the grid's values at threshold -/+
 * error_bound.  The step is the first that fits the caps of: the greatest
 * common divisor of the amounts when all are decimals with at most 4
 * places (nothing rounded, error_bound 0, out.step that divisor); the
 * finest step within 2^22 cell updates, when its error_bound is at most
 * tolerance * sd and it is finer than the next; the coarsest step whose
 * error_bound is at most tolerance * sd.  Deals with p_i = 0 or 1 or
 * a_i = 0 need no grid.
 *
 * Monte Carlo: `draws` sums of independent draws (xoshiro256** streams, a
 * 32-bit uniform against p_i, so p_i is used to within 2^-32), their
 * sample quantiles by the same definition, and the share of sums >=
 * threshold (relative tolerance 1e-12).  Seeded and reproducible.
 *
 * KPI_EINVAL for a negative or non-finite amount, a probability outside
 * [0, 1], a level outside (0, 1), draws == 0; KPI_ENOMEM when memory or,
 * for method EXACT, the grid or work cap does not allow the tolerance.
 * Nothing is written on error. */
enum kpi_status kpi_bookings_compute(const double *amount, const double *p,
				     size_t n, const double *levels,
				     size_t nlevels, double threshold,
				     const struct kpi_bookings_options *o,
				     double *quantiles, double *reach_p,
				     struct kpi_bookings *out,
				     struct kpi_error *err);

/* The exact distribution on a given grid step: (*pmf)[k] = P(sum_i k_i X_i
 * = k) for k = 0 .. *size - 1, k_i = round(a_i / step) (step > 0), in a
 * malloc'd array the caller frees; *bound (when non-NULL) receives
 * sum |a_i - k_i step| / 2 and *shift the midpoint (lo + hi) / 2, so that
 * S is within *bound of k step + *shift.  KPI_ENOMEM beyond max_cells. */
enum kpi_status kpi_bookings_pmf(const double *amount, const double *p,
				 size_t n, double step, size_t max_cells,
				 double **pmf, size_t *size, double *bound,
				 double *shift, struct kpi_error *err);

/* ==== The pipeline report ==== */

/* What to do with a stale deal: an open deal whose expected close date is
 * before --as-of. */
enum kpi_stale_policy {
	KPI_STALE_KEEP,		/* leave it in the period of its close date */
	KPI_STALE_DROP,		/* count it as stale, leave it out otherwise */
	KPI_STALE_NEXT,		/* move it to the period after the as-of's */
	KPI_STALE_CURRENT,	/* move it to the period of the as-of date */
};

/* "keep", "drop", "next-period", "current" to a policy; KPI_EINVAL else. */
enum kpi_status kpi_stale_policy_parse(const char *s,
				       enum kpi_stale_policy *out,
				       struct kpi_error *err);

struct kpi_pipeline_options {
	/* Columns of the deals (and of the older snapshot with diff). */
	const char *id_col;		/* needed with diff; else optional */
	const char *stage_col;		/* needed with probs or diff */
	const char *amount_col;
	const char *close_col;		/* expected close date */
	const char *created_col;	/* optional: deals created after as_of
					 * are not in the pipeline yet */
	const char *prob_col;		/* the CRM's own probability */
	double prob_scale;		/* 100 (percent) or 1 (fraction) */
	const char *category_col;	/* forecast category */
	const char *const *group_cols;
	size_t ngroup;
	/* Stage order (for advanced / regressed); NULL: the order in which
	 * the probability file names the stages. */
	const char *const *stages;
	size_t nstages;
	/* Stages that mean closed: won, lost.  Compared exactly. */
	const char *const *won_stages;
	size_t nwon_stages;
	const char *const *lost_stages;
	size_t nlost_stages;
	/* Columns of the --won file; NULL: close_col and amount_col. */
	const char *won_date_col;
	const char *won_amount_col;

	enum kpi_period_unit every;
	int has_as_of;
	long as_of;			/* day number */
	enum kpi_stale_policy stale;
	unsigned long min_n;		/* stage probabilities need closed >= */
	const double *levels;		/* quantile levels */
	size_t nlevels;
	struct kpi_bookings_options bookings;
	unsigned threads;		/* rows spread over threads */

	int diff;			/* waterfall: old snapshot, then new */
	int weighted;			/* waterfall of amount x probability */

	const struct kpi_cli_common *common;	/* calendar, --na, precision */
	const struct kpi_date_format *date_format;	/* NULL = ISO */
};

struct kpi_pipeline;

/* The options are borrowed and must outlive the pipeline.  KPI_EINVAL for
 * options that do not fit together (no amount or close column, diff
 * without an id column, a stage order with a duplicate). */
enum kpi_status kpi_pipeline_new(struct kpi_pipeline **out,
				 const struct kpi_pipeline_options *opt,
				 struct kpi_error *err);
void kpi_pipeline_free(struct kpi_pipeline *p);	/* NULL is fine */

/* Stage probabilities as `kpi-conv --report stage-win` writes them: columns
 * stage, p_won and closed; the columns before `stage` (kpi-conv's groups)
 * are keys matched by name to the deals' columns.  Read before the deals.
 * A bad p_won or closed, or a key given twice, is KPI_EPARSE. */
enum kpi_status kpi_pipeline_probs_header(struct kpi_pipeline *p,
					  const struct kpi_csv_header *h,
					  struct kpi_error *err);
enum kpi_status kpi_pipeline_probs_add(struct kpi_pipeline *p,
				       const struct kpi_csv_record *rec,
				       struct kpi_error *err);

/* Closed-won bookings: the group columns, a date and an amount (see
 * won_date_col); rows whose stage column (when the file has one) is not a
 * won stage are ignored.  With diff, the ids of the won deals instead. */
enum kpi_status kpi_pipeline_won_header(struct kpi_pipeline *p,
					const struct kpi_csv_header *h,
					struct kpi_error *err);
enum kpi_status kpi_pipeline_won_add(struct kpi_pipeline *p,
				     const struct kpi_csv_record *rec,
				     struct kpi_error *err);

/* Quotas: the group columns, `period` (a date or period label, read as the
 * period that holds it) and `quota` (>= 0); rows for the same group and
 * period add up. */
enum kpi_status kpi_pipeline_quota_header(struct kpi_pipeline *p,
					  const struct kpi_csv_header *h,
					  struct kpi_error *err);
enum kpi_status kpi_pipeline_quota_add(struct kpi_pipeline *p,
				       const struct kpi_csv_record *rec,
				       struct kpi_error *err);

/* The deals: the open pipeline (diff: the older snapshot through _old_,
 * then the newer one through the plain calls).  Every value of a record
 * is checked before anything changes, so that a rejected record (--skip-
 * bad) leaves no trace.  KPI_EPARSE with err->column set for a bad value:
 * a negative or missing amount, a bad date, a probability outside the
 * scale, a stage missing from the probabilities or with closed < min_n, a
 * stage outside the stage order, an unknown category, an id seen twice. */
enum kpi_status kpi_pipeline_old_header(struct kpi_pipeline *p,
					const struct kpi_csv_header *h,
					struct kpi_error *err);
enum kpi_status kpi_pipeline_old_add(struct kpi_pipeline *p,
				     const struct kpi_csv_record *rec,
				     struct kpi_error *err);
enum kpi_status kpi_pipeline_header(struct kpi_pipeline *p,
				    const struct kpi_csv_header *h,
				    struct kpi_error *err);
enum kpi_status kpi_pipeline_add(struct kpi_pipeline *p,
				 const struct kpi_csv_record *rec,
				 struct kpi_error *err);

/* Compute every row once all input is read: the distributions, or the
 * waterfall with its invariant checked (a row whose opening total plus
 * movements differs from its closing total is KPI_ENUMERIC: a bug).
 * Without has_as_of, as_of is the latest created date (KPI_EINVAL when
 * there is none and no waterfall). */
enum kpi_status kpi_pipeline_finish(struct kpi_pipeline *p,
				    struct kpi_error *err);

/* Write the header and the rows, sorted by group (kpi_group_compare
 * order) and period.  Calls kpi_pipeline_finish() when it has not run. */
enum kpi_status kpi_pipeline_write(struct kpi_pipeline *p,
				   struct kpi_csv_writer *w,
				   struct kpi_error *err);

/* ==== The waterfall rows, for tests and other front ends ==== */

enum kpi_movement {
	KPI_MOVE_NEW,		/* open in new only */
	KPI_MOVE_WON,
	KPI_MOVE_LOST,
	KPI_MOVE_MOVED_IN,	/* from another group */
	KPI_MOVE_MOVED_OUT,
	KPI_MOVE_PULLED_IN,	/* from another period, same group */
	KPI_MOVE_PUSHED_OUT,
	KPI_MOVE_INCREASED,	/* same group and period, amount up */
	KPI_MOVE_DECREASED,
	KPI_MOVE_ADVANCED,	/* same amount, later stage */
	KPI_MOVE_REGRESSED,
	KPI_MOVE_COUNT,
};

/* Column name of a movement: "new", "won", ... "regressed". */
const char *kpi_movement_name(enum kpi_movement m);

struct kpi_waterfall_row {
	size_t group;			/* slot, for kpi_pipeline_group_part */
	long period;			/* first day */
	unsigned long opening_deals, closing_deals;
	double opening, closing;
	unsigned long deals[KPI_MOVE_COUNT];
	double value[KPI_MOVE_COUNT];
};

/* After kpi_pipeline_finish() with diff: the rows, in output order. */
const struct kpi_waterfall_row *kpi_pipeline_waterfall(const struct kpi_pipeline *p,
							size_t *nrows);
const char *kpi_pipeline_group_part(const struct kpi_pipeline *p,
				    size_t group, size_t i, size_t *len);

#endif
