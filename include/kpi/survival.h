/* kpi/survival.h - time to event with right censoring: Kaplan-Meier curves,
 * their median and restricted mean, and cumulative incidence with competing
 * risks (Aalen-Johansen), for sales cycles where open deals are censored.
 *
 * Conventions shared by both estimators, chosen to give the numbers R's
 * survival package (survfit) gives:
 *  - times are durations (e.g. days) >= 0, in any order; the arrays are
 *    borrowed and not modified (the library sorts a copy);
 *  - an observation censored at t was still at risk at t: at tied times,
 *    events come before censorings;
 *  - times tie only when equal as doubles (survfit's timefix also merges
 *    times that differ by rounding, about 1e-8 relative; day counts are
 *    whole numbers, so this never matters for dates);
 *  - the curves are step functions that change at event times only;
 *    asked beyond the largest observed time (event or censored) they are
 *    unknown and come back as NaN, as R's summary(fit, times) drops such
 *    times; before the first event they are at their start value;
 *  - estimates that do not exist (a median never reached, the curve of no
 *    observations) are NaN, which the CSV writer writes as an empty field.
 * Building costs O(n) time (a radix sort) and O(n) memory in a few
 * allocations; queries allocate nothing and may run concurrently.
 */
#ifndef KPI_SURVIVAL_H
#define KPI_SURVIVAL_H

#include <stddef.h>

#include "kpi/error.h"

/* ==== Kaplan-Meier ==== */

/* The estimate, read-only for the caller.  Step j (0 <= j < k) is the j-th
 * distinct event time, as R's summary(survfit(Surv(time, event) ~ 1)). */
struct kpi_km {
	size_t n;		/* observations */
	size_t events;		/* events among them */
	double max_time;	/* largest time observed; NaN when n == 0 */
	double level;		/* coverage of lower[] and upper[] */
	size_t k;		/* distinct event times */
	double *time;		/* [k] ascending */
	size_t *n_risk;		/* [k] at risk just before time[j] */
	size_t *n_event;	/* [k] events at time[j] */
	double *surv;		/* [k] S(time[j]) */
	/* [k] Greenwood standard error of surv[j] (R's summary() std.err;
	 * survfit's own $std.err is that of log S, std_err / surv);
	 * NaN where surv[j] is 0 */
	double *std_err;
	/* [k] pointwise limits, R's default conf.type = "log":
	 * exp(log S -/+ z se(log S)), the upper clipped to 1; NaN where
	 * surv[j] is 0 */
	double *lower;
	double *upper;
};

/* Estimate from time[i] >= 0 and event[i] (1 = event, 0 = censored),
 * i < n, with pointwise limits of coverage `level` (e.g. 0.95).  n == 0 is
 * allowed (an empty curve).  KPI_EINVAL for a negative or non-finite time,
 * an event flag other than 0 or 1 (the message names the index), or a level
 * outside (0, 1); KPI_ENOMEM.  *out is set only on success. */
enum kpi_status kpi_km_new(struct kpi_km **out, const double *time,
			   const int *event, size_t n, double level,
			   struct kpi_error *err);
void kpi_km_free(struct kpi_km *km);			/* NULL is fine */

/* S(t), its standard error and limits (each pointer may be NULL): the step
 * in force at t; 1 (se 0, limits 1) before the first event; NaN beyond
 * km->max_time or when n == 0. */
void kpi_km_at(const struct kpi_km *km, double t, double *surv,
	       double *std_err, double *lower, double *upper);
double kpi_km_surv(const struct kpi_km *km, double t);

/* The median and its confidence limits as R's print(survfit) gives them:
 * the first event time at which the curve is <= 1/2 (to a tolerance of
 * sqrt(DBL_EPSILON)); when the curve there equals 1/2 and falls lower
 * later, the midpoint between that time and the next event time.  The
 * limits apply the same rule to the lower and upper curves (the lower curve
 * gives the lower limit).  NaN for each one never reached. */
void kpi_km_median(const struct kpi_km *km, double *median, double *lower,
		   double *upper);

/* Restricted mean survival time to tau, the area under the curve from 0 to
 * tau (the curve held at its last value beyond the last event), and its
 * standard error, as R's print(survfit, rmean = tau):
 *   se^2 = sum over event times t_j <= tau of
 *          A_j^2 d_j / (n_j (n_j - d_j)),  A_j = area from t_j to tau,
 * (Klein & Moeschberger 2003, 4.5); terms with n_j == d_j count 0.
 * NaN for both when n == 0.  KPI_EINVAL for a tau that is negative or not
 * finite (outputs untouched). */
enum kpi_status kpi_km_rmean(const struct kpi_km *km, double tau,
			     double *rmean, double *std_err,
			     struct kpi_error *err);

/* ==== Competing risks: Aalen-Johansen cumulative incidence ==== */

/* Largest number of competing causes accepted. */
#define KPI_CIF_MAX_CAUSES 64

/* The estimate, read-only for the caller.  States are 0 = no event yet
 * (the all-cause Kaplan-Meier curve) and c = 1..ncauses = had an event of
 * cause c first; the probabilities of the states sum to 1 at every time.
 * This is R's survfit(Surv(time, factor(status)) ~ 1) with censoring as
 * the first level: pstate[] is its $pstate, std_err[] its $std.err (the
 * infinitesimal jackknife variance survfit computes for multi-state
 * curves; for state 0 it equals Greenwood's, except that it is 0, not NaN,
 * once everyone has had an event). */
struct kpi_cif {
	size_t n;		/* observations */
	size_t events;		/* events of any cause */
	double max_time;	/* largest time observed; NaN when n == 0 */
	int ncauses;
	size_t k;		/* distinct event times (any cause) */
	double *time;		/* [k] ascending */
	size_t *n_risk;		/* [k] at risk just before time[j] */
	/* [(ncauses + 1) * k]: n_event[c * k + j] events of cause c at
	 * time[j]; row 0 holds the all-cause count */
	size_t *n_event;
	/* [(ncauses + 1) * k]: pstate[s * k + j] = P(in state s at time[j]) */
	double *pstate;
	double *std_err;	/* [(ncauses + 1) * k], laid out as pstate */
};

/* Estimate from time[i] >= 0 and status[i] (0 = censored, 1..ncauses = the
 * cause of the event; e.g. 1 = won, 2 = lost), i < n.  n == 0 is allowed.
 * KPI_EINVAL for a negative or non-finite time, a status outside
 * 0..ncauses (the message names the index) or ncauses outside
 * 1..KPI_CIF_MAX_CAUSES; KPI_ENOMEM.  *out is set only on success. */
enum kpi_status kpi_cif_new(struct kpi_cif **out, const double *time,
			    const int *status, size_t n, int ncauses,
			    struct kpi_error *err);
void kpi_cif_free(struct kpi_cif *cif);			/* NULL is fine */

/* P(in state s at time t) and its standard error (either pointer may be
 * NULL): for s >= 1 the cumulative incidence of cause s by t, for s = 0 the
 * probability of no event by t.  Before the first event: 1 for state 0 and
 * 0 for the causes, se 0.  NaN beyond cif->max_time, when n == 0, or for a
 * state outside 0..ncauses. */
void kpi_cif_at(const struct kpi_cif *cif, int state, double t, double *p,
		double *std_err);

#endif
