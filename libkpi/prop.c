/* prop.c - binomial proportion intervals, tests of equal proportions, and
 * the amount-weighted win rate. */
#include <limits.h>
#include <math.h>
#include <strings.h>

#include <gsl/gsl_cdf.h>

#include "kpi/prop.h"

/* ==== Confidence intervals ==== */

static const struct {
	const char *name;
	enum kpi_ci_method method;
} ci_names[] = {
	{ "wilson", KPI_CI_WILSON },
	{ "jeffreys", KPI_CI_JEFFREYS },
	{ "exact", KPI_CI_EXACT },
	{ "clopper-pearson", KPI_CI_EXACT },
	{ "none", KPI_CI_NONE },
};

enum kpi_status
kpi_ci_method_parse(const char *s, enum kpi_ci_method *out,
		    struct kpi_error *err)
{
	size_t i;

	for (i = 0; s && i < sizeof(ci_names) / sizeof(ci_names[0]); i++) {
		if (strcasecmp(s, ci_names[i].name) == 0) {
			*out = ci_names[i].method;
			return KPI_OK;
		}
	}
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "unknown interval method \"%s\" (expected wilson, "
			     "jeffreys, exact, clopper-pearson or none)",
			     s ? s : "");
}

const char *
kpi_ci_method_name(enum kpi_ci_method m)
{
	switch (m) {
	case KPI_CI_NONE:	return "none";
	case KPI_CI_WILSON:	return "wilson";
	case KPI_CI_JEFFREYS:	return "jeffreys";
	case KPI_CI_EXACT:	return "exact";
	}
	return "unknown";
}

/* Nonzero when level is a usable coverage; NaN fails both comparisons. */
static int
level_ok(double level)
{
	return level > 0.0 && level < 1.0;
}

/* The standard normal quantile z_{(1+level)/2}.  Taken from the upper tail,
 * (1 - level)/2, which loses no digits when level is close to 1; it equals
 * R's qnorm((1 + level)/2) to rounding. */
static double
z_two_sided(double level)
{
	return gsl_cdf_ugaussian_Qinv((1.0 - level) / 2.0);
}

/* Wilson (1927): the p whose score test at level does not reject,
 *   (x + z^2/2 -/+ z sqrt(x (n - x)/n + z^2/4)) / (n + z^2),
 * the same as R's prop.test(correct = FALSE) written with counts.  At x = 0
 * (x = n) the lower (upper) bound is exactly 0 (1) in exact arithmetic;
 * rounding could leave 1e-17, so they are pinned. */
static void
wilson(double x, double n, double z, double *lo, double *hi)
{
	double z2 = z * z;
	double centre = (x + z2 / 2.0) / (n + z2);
	double half = z * sqrt(x * (n - x) / n + z2 / 4.0) / (n + z2);

	*lo = x == 0.0 ? 0.0 : fmax(0.0, centre - half);
	*hi = x == n ? 1.0 : fmin(1.0, centre + half);
}

enum kpi_status
kpi_prop_interval(unsigned long x, unsigned long n, double level,
		  enum kpi_ci_method m, double *lo, double *hi,
		  struct kpi_error *err)
{
	double a, l, h, fx, fn;

	if (x > n)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%lu successes out of %lu trials", x, n);
	if (!level_ok(level))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "confidence level %g is not between 0 "
				     "and 1", level);
	if (m != KPI_CI_NONE && m != KPI_CI_WILSON && m != KPI_CI_JEFFREYS &&
	    m != KPI_CI_EXACT)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "unknown interval method %d", (int)m);
	if (n == 0 || m == KPI_CI_NONE) {
		*lo = NAN;
		*hi = NAN;
		return KPI_OK;
	}
	a = (1.0 - level) / 2.0;
	fx = (double)x;
	fn = (double)n;
	switch (m) {
	case KPI_CI_WILSON:
		wilson(fx, fn, z_two_sided(level), &l, &h);
		break;
	case KPI_CI_JEFFREYS:
		/* Brown, Cai & DasGupta (2001), 4.1.2: the equal-tailed
		 * interval of the Beta(x + 1/2, n - x + 1/2) posterior, with
		 * the bound pinned at x = 0 and x = n, where the Beta tail
		 * would otherwise exclude 0 (1) and undercover badly. */
		l = x == 0 ? 0.0
			   : gsl_cdf_beta_Pinv(a, fx + 0.5, fn - fx + 0.5);
		h = x == n ? 1.0
			   : gsl_cdf_beta_Qinv(a, fx + 0.5, fn - fx + 0.5);
		break;
	default:
		/* Clopper & Pearson (1934) through the Beta-binomial identity:
		 * lower = Beta(x, n - x + 1) quantile a, upper = Beta(x + 1,
		 * n - x) quantile 1 - a, as R's binom.test. */
		l = x == 0 ? 0.0 : gsl_cdf_beta_Pinv(a, fx, fn - fx + 1.0);
		h = x == n ? 1.0 : gsl_cdf_beta_Qinv(a, fx + 1.0, fn - fx);
		break;
	}
	/* GSL reports a failed inversion as NaN once its handler is off. */
	if (isnan(l) || isnan(h))
		return kpi_error_set(err, KPI_ENUMERIC, 0,
				     "%s interval for %lu/%lu did not converge",
				     kpi_ci_method_name(m), x, n);
	*lo = l;
	*hi = h;
	return KPI_OK;
}

/* ==== Chi-square test of homogeneity ==== */

/* Pearson's X^2 = sum over the k x 2 cells of (O - E)^2 / E, with
 * E = row total x column total / N, exactly the cells R's chisq.test sums;
 * df = (k - 1)(2 - 1). */
enum kpi_status
kpi_prop_chisq(const unsigned long *x, const unsigned long *n, size_t k,
	       struct kpi_chisq *out, struct kpi_error *err)
{
	struct kpi_chisq r;
	double total = 0.0, succ = 0.0, fail, stat = 0.0;
	double e1, e0, o1, o0, emin = INFINITY;
	int degenerate;
	size_t i;

	r.groups = 0;
	for (i = 0; i < k; i++) {
		if (x[i] > n[i])
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "group %zu: %lu successes out of "
					     "%lu trials", i + 1, x[i], n[i]);
		if (n[i] == 0)
			continue;
		r.groups++;
		total += (double)n[i];
		succ += (double)x[i];
	}
	fail = total - succ;
	/* An all-success or all-failure table has an expected column of
	 * zeros: R's statistic is then 0/0, and there is nothing to test. */
	degenerate = r.groups < 2 || succ == 0.0 || fail == 0.0;
	for (i = 0; i < k; i++) {
		if (n[i] == 0)
			continue;
		e1 = (double)n[i] * succ / total;
		e0 = (double)n[i] * fail / total;
		emin = fmin(emin, fmin(e1, e0));
		if (degenerate)
			continue;
		o1 = (double)x[i];
		o0 = (double)(n[i] - x[i]);
		stat += (o1 - e1) * (o1 - e1) / e1 + (o0 - e0) * (o0 - e0) / e0;
	}
	r.df = r.groups ? (double)(r.groups - 1) : 0.0;
	r.min_expected = r.groups ? emin : NAN;
	if (degenerate) {
		r.statistic = NAN;
		r.p_value = NAN;
	} else {
		r.statistic = stat;
		r.p_value = gsl_cdf_chisq_Q(stat, r.df);
	}
	*out = r;
	return KPI_OK;
}

/* ==== Fisher's exact test ==== */

/* R's fisher.test counts a table as "no more likely" than the observed one
 * when its probability is at most 1 + 1e-7 times the observed one, so that
 * tables equally likely in exact arithmetic are not lost to rounding. */
#define FISHER_REL_ERR (1.0 + 1e-7)

/* log f(i+1)/f(i) for the hypergeometric f(i) = C(m, i) C(nn, k - i) /
 * C(m + nn, k): the ratio (m - i)(k - i) / ((i + 1)(nn - k + i + 1)) is a
 * quotient of four counts, so the log of each step is accurate however
 * large the table (no lgamma differences of huge numbers to cancel). */
static double
hyper_log_step(double m, double nn, double k, double i)
{
	return log((m - i) / (i + 1.0)) + log((k - i) / (nn - k + i + 1.0));
}

/* Two-sided p-value as R's fisher.test: with m the first column total, nn
 * the second, k the first row total and x = a, the support is
 * max(0, k - nn) .. min(k, m).  Densities are taken relative to the mode
 * (R divides by the largest as well), by summing log steps outward from
 * it; the distribution is unimodal, so once a density underflows to 0 every
 * table beyond it does too and the walk stops there. */
enum kpi_status
kpi_fisher_exact(unsigned long a, unsigned long b, unsigned long c,
		 unsigned long d, double *p_value, struct kpi_error *err)
{
	double m = (double)a + (double)c;
	double nn = (double)b + (double)d;
	double k = (double)a + (double)b;
	double x = (double)a;
	double lo = fmax(0.0, k - nn);
	double hi = fmin(k, m);
	double mode, i, ld, ldx, fx, f, total, below;

	if (hi <= lo) {
		*p_value = 1.0;
		return KPI_OK;
	}
	/* The mode of the hypergeometric: floor((k + 1)(m + 1)/(N + 2)). */
	mode = floor((k + 1.0) * (m + 1.0) / (m + nn + 2.0));
	mode = fmin(fmax(mode, lo), hi);

	/* log density of the observed table relative to the mode */
	ldx = 0.0;
	for (i = mode; i < x; i++)
		ldx += hyper_log_step(m, nn, k, i);
	for (i = mode; i > x; i--)
		ldx -= hyper_log_step(m, nn, k, i - 1.0);
	fx = exp(ldx) * FISHER_REL_ERR;

	total = 1.0;
	below = 1.0 <= fx ? 1.0 : 0.0;
	ld = 0.0;
	for (i = mode; i < hi; i++) {
		ld += hyper_log_step(m, nn, k, i);
		f = exp(ld);
		if (f == 0.0)
			break;
		total += f;
		if (f <= fx)
			below += f;
	}
	ld = 0.0;
	for (i = mode; i > lo; i--) {
		ld -= hyper_log_step(m, nn, k, i - 1.0);
		f = exp(ld);
		if (f == 0.0)
			break;
		total += f;
		if (f <= fx)
			below += f;
	}
	*p_value = fmin(1.0, below / total);
	return KPI_OK;
}

/* ==== Win rate by amount ==== */

void
kpi_wprop_init(struct kpi_wprop *w)
{
	struct kpi_sum zero = { 0.0, 0.0 };

	w->n = 0;
	w->won = zero;
	w->all = zero;
	w->sq_exp = INT_MIN;
	w->won_sq = zero;
	w->lost_sq = zero;
}

/* Both sums of squares into the units of 2^(2 e), e >= w->sq_exp: a
 * multiplication by a power of two, exact but for what falls below the
 * smallest double next to the new largest square. */
static void
wprop_rescale(struct kpi_wprop *w, int e)
{
	int shift;

	if (w->sq_exp == INT_MIN) {
		w->sq_exp = e;
		return;
	}
	shift = 2 * (w->sq_exp - e);
	w->won_sq.sum = ldexp(w->won_sq.sum, shift);
	w->won_sq.comp = ldexp(w->won_sq.comp, shift);
	w->lost_sq.sum = ldexp(w->lost_sq.sum, shift);
	w->lost_sq.comp = ldexp(w->lost_sq.comp, shift);
	w->sq_exp = e;
}

enum kpi_status
kpi_wprop_add(struct kpi_wprop *w, double amount, int won,
	      struct kpi_error *err)
{
	double scaled;
	int e;

	if (!isfinite(amount) || amount < 0.0)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "amount %g is not a finite number >= 0",
				     amount);
	w->n++;
	kpi_sum_add(&w->all, amount);
	if (won)
		kpi_sum_add(&w->won, amount);
	if (amount == 0)
		return KPI_OK;
	/* amount = m 2^e with m in [1/2, 1): 2^e is the least power of two
	 * above it. */
	frexp(amount, &e);
	if (e > w->sq_exp)
		wprop_rescale(w, e);
	scaled = ldexp(amount, -w->sq_exp);
	kpi_sum_add(won ? &w->won_sq : &w->lost_sq, scaled * scaled);
	return KPI_OK;
}

static void
sum_merge(struct kpi_sum *a, const struct kpi_sum *b)
{
	a->comp += b->comp;
	kpi_sum_add(a, b->sum);
}

void
kpi_wprop_merge(struct kpi_wprop *a, const struct kpi_wprop *b)
{
	struct kpi_wprop bb = *b;

	a->n += b->n;
	sum_merge(&a->won, &b->won);
	sum_merge(&a->all, &b->all);
	if (bb.sq_exp == INT_MIN)
		return;
	/* Bring both to the larger scale. */
	if (bb.sq_exp > a->sq_exp)
		wprop_rescale(a, bb.sq_exp);
	else
		wprop_rescale(&bb, a->sq_exp);
	sum_merge(&a->won_sq, &bb.won_sq);
	sum_merge(&a->lost_sq, &bb.lost_sq);
}

/* Cochran (1977), chapter 6: v(R) = sum((y_i - R a_i)^2) / ((n - 1) n abar^2).
 * With y_i = a_i for a won deal and 0 for a lost one, the residual sum is
 * (1 - R)^2 sum_won a^2 + R^2 sum_lost a^2: two sums of non-negative terms,
 * so it streams without the cancellation of sum y^2 - 2R sum ya + ...; and
 * n abar^2 = A^2 / n with A = sum a_i. */
enum kpi_status
kpi_wprop_interval(const struct kpi_wprop *w, double level, double *ratio,
		   double *lo, double *hi, struct kpi_error *err)
{
	double all, r, ss, var, se, z, nd;

	if (!level_ok(level))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "confidence level %g is not between 0 "
				     "and 1", level);
	all = kpi_sum_value(&w->all);
	if (w->n == 0 || !(all > 0.0) || isinf(all)) {
		*ratio = NAN;
		*lo = NAN;
		*hi = NAN;
		return KPI_OK;
	}
	r = fmin(1.0, kpi_sum_value(&w->won) / all);
	*ratio = r;
	if (w->n < 2) {
		*lo = NAN;
		*hi = NAN;
		return KPI_OK;
	}
	/* In the units of the squares: all / 2^sq_exp lies in [1/2, n]. */
	nd = (double)w->n;
	ss = (1.0 - r) * (1.0 - r) * kpi_sum_value(&w->won_sq) +
	     r * r * kpi_sum_value(&w->lost_sq);
	all = ldexp(all, -w->sq_exp);
	var = ss / (nd - 1.0) * nd / (all * all);
	se = sqrt(var);
	z = z_two_sided(level);
	*lo = fmax(0.0, r - z * se);
	*hi = fmin(1.0, r + z * se);
	return KPI_OK;
}
