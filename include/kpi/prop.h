/* kpi/prop.h - binomial proportions: confidence intervals, tests that
 * proportions differ between groups, and the win rate weighted by amount.
 *
 * A rate with no denominator (n == 0, no amount) comes back as NaN, which the
 * CSV writer writes as an empty field; that is a result, not an error, and
 * the status is KPI_OK.  Bad arguments (x > n, a level outside (0, 1)) are
 * KPI_EINVAL, and out-parameters are then left untouched.
 */
#ifndef KPI_PROP_H
#define KPI_PROP_H

#include <stddef.h>

#include "kpi/error.h"
#include "kpi/num.h"

/* ==== Confidence intervals for x successes in n trials ==== */

enum kpi_ci_method {
	KPI_CI_NONE,		/* no interval: both bounds NaN */
	KPI_CI_WILSON,		/* Wilson score, no continuity correction */
	KPI_CI_JEFFREYS,	/* equal-tailed Jeffreys (Beta posterior) */
	KPI_CI_EXACT,		/* Clopper-Pearson */
};

/* "wilson", "jeffreys", "exact" or "clopper-pearson", "none" (any case) to a
 * method; KPI_EINVAL, naming the accepted values, else. */
enum kpi_status kpi_ci_method_parse(const char *s, enum kpi_ci_method *out,
				    struct kpi_error *err);
/* "wilson", "jeffreys", "exact", "none"; never NULL. */
const char *kpi_ci_method_name(enum kpi_ci_method m);

/* Two-sided interval of coverage `level` (e.g. 0.95) for x successes out of
 * n trials, into *lo and *hi (within [0, 1]):
 *  - Wilson (1927) score interval, as R's prop.test(x, n, correct = FALSE)
 *    and binom::binom.wilson; the lower bound is 0 at x = 0 and the upper 1
 *    at x = n;
 *  - Jeffreys: the level quantiles of Beta(x + 1/2, n - x + 1/2), with the
 *    lower bound 0 at x = 0 and the upper 1 at x = n (Brown, Cai & DasGupta
 *    2001, section 4.1.2);
 *  - exact: Clopper & Pearson (1934), as R's binom.test(x, n)$conf.int.
 * n == 0 (no denominator) and KPI_CI_NONE give NaN bounds and KPI_OK.
 * KPI_EINVAL for x > n, a level outside (0, 1) or an unknown method. */
enum kpi_status kpi_prop_interval(unsigned long x, unsigned long n,
				  double level, enum kpi_ci_method m,
				  double *lo, double *hi,
				  struct kpi_error *err);

/* ==== Do the proportions differ? ==== */

/* Pearson's chi-square test of homogeneity of k proportions: the k x 2 table
 * of successes x[i] and failures n[i] - x[i], without continuity
 * correction, as R's
 *   chisq.test(matrix(c(x, n - x), ncol = 2), correct = FALSE).
 * Groups with n[i] == 0 are left out (R would give NaN for the whole table).
 * min_expected is the smallest expected cell count: the chi-square
 * approximation wants expected counts of 5 or more (Cochran 1954, who
 * allows a few cells down to 1); for a 2 x 2 table with less, use
 * kpi_fisher_exact().
 * A table that cannot be tested (fewer than 2 groups left, or no successes
 * or no failures at all) gives statistic and p_value NaN and KPI_OK; df and
 * min_expected are still filled. */
struct kpi_chisq {
	double statistic;
	double df;		/* groups used - 1 */
	double p_value;
	double min_expected;	/* NaN when no group is used */
	size_t groups;		/* groups with n[i] > 0 */
};

/* KPI_EINVAL when some x[i] > n[i] (out untouched). */
enum kpi_status kpi_prop_chisq(const unsigned long *x, const unsigned long *n,
			       size_t k, struct kpi_chisq *out,
			       struct kpi_error *err);

/* Two-sided p-value of Fisher's exact test for the 2 x 2 table
 *        success  failure
 *   A       a        b
 *   B       c        d
 * as R's fisher.test(matrix(c(a, c, b, d), 2))$p.value: conditional on the
 * margins, the sum of the hypergeometric probabilities of the tables no
 * more likely than the observed one, with R's relative tolerance 1e-7 for
 * ties.  Exact for any counts: the work is at most linear in the smallest
 * margin, and stops where the probabilities underflow (about 40 standard
 * deviations out).  A table with an empty margin has p-value 1.  Nothing is
 * allocated and nothing can fail: the status is always KPI_OK. */
enum kpi_status kpi_fisher_exact(unsigned long a, unsigned long b,
				 unsigned long c, unsigned long d,
				 double *p_value, struct kpi_error *err);

/* ==== Win rate by amount ==== */

/* The share of the closed amount that was won, R = sum(won amounts) /
 * sum(amounts), over closed deals with amounts a_i >= 0.  Its interval is
 * the normal approximation for a ratio estimator (Cochran, Sampling
 * Techniques, 3rd ed. 1977, chapter 6: the sample estimate of V(R)
 * without the finite population correction), with y_i = a_i if deal i was
 * won, else 0:
 *   var(R) = sum((y_i - R a_i)^2) / ((n - 1) n abar^2),  abar = mean(a_i),
 *   R -/+ z_{(1+level)/2} sqrt(var(R)),  clamped to [0, 1].
 * The accumulator streams and merges (for split work); feed it every closed
 * deal once.  The squares are kept in units of 2^(2 sq_exp), 2^sq_exp the
 * least power of two above every amount, so that amounts beyond 1.3e154
 * (whose squares overflow) or below 1e-154 (whose squares vanish) give the
 * same interval as the same amounts scaled to dollars. */
struct kpi_wprop {
	unsigned long long n;	/* deals added */
	struct kpi_sum won;	/* sum of won amounts */
	struct kpi_sum all;	/* sum of all amounts */
	int sq_exp;		/* scale of the squares; INT_MIN: none yet */
	struct kpi_sum won_sq;	/* sum of squared won amounts / 2^(2 sq_exp) */
	struct kpi_sum lost_sq;	/* sum of squared lost amounts, likewise */
};

void kpi_wprop_init(struct kpi_wprop *w);
/* One closed deal of amount `amount` (finite, >= 0), won when `won` is
 * nonzero; KPI_EINVAL (w untouched) for a negative or non-finite amount. */
enum kpi_status kpi_wprop_add(struct kpi_wprop *w, double amount, int won,
			      struct kpi_error *err);
void kpi_wprop_merge(struct kpi_wprop *a, const struct kpi_wprop *b);
/* The ratio into *ratio and the interval into *lo, *hi.  No amount at all
 * (n == 0 or every amount 0), or amounts whose sum lies beyond the largest
 * double, give NaN for all three; a single deal gives the ratio and NaN
 * bounds (no variance); KPI_OK in these cases.
 * KPI_EINVAL for a level outside (0, 1). */
enum kpi_status kpi_wprop_interval(const struct kpi_wprop *w, double level,
				   double *ratio, double *lo, double *hi,
				   struct kpi_error *err);

#endif
