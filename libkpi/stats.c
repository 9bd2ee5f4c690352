/* stats.c - streaming moments, stored values and sample quantiles. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kpi/stats.h"

/* ==== Moments ==== */

/* A deviation below 2^-480 squares below 2^-960, 2^62 above the smallest
 * normal double; a little further down, products of deviations start
 * losing bits to the subnormal range (and deviations near DBL_MIN square
 * to 0), so such data move to scaled units. */
#define TINY_DEVIATION 0x1p-480

void
kpi_moments_init(struct kpi_moments *m)
{
	struct kpi_bigsum zero = KPI_BIGSUM_INIT;

	m->n = 0;
	m->sum = zero;
	m->mean = 0.0;
	m->m2 = 0.0;
	m->min = INFINITY;
	m->max = -INFINITY;
	m->scaled = 0;
	m->exp = 0;
}

/* The least e with |x| < 2^e, for finite nonzero x. */
static int
exponent_above(double x)
{
	int e;

	frexp(x, &e);
	return e;
}

/* Move the mean and m2 to units of 2^e and 2^(2 e) (from plain units,
 * exp 0, or from scaled ones with e >= exp): a multiplication by a power
 * of two, exact but for what falls below the smallest double next to the
 * new largest value. */
static void
rescale(struct kpi_moments *m, int e)
{
	int shift = e - m->exp;

	m->mean = ldexp(m->mean, -shift);
	m->m2 = ldexp(m->m2, -2 * shift);
	m->exp = e;
	m->scaled = 1;
}

/* Welford's update in units of 2^exp, where every value seen is below 1
 * in magnitude: a deviation is below 2 and m2 below 4n, and a deviation
 * small enough to lose bits when squared is negligible next to the
 * largest value. */
static void
scaled_add(struct kpi_moments *m, double x)
{
	double xs, delta;

	if (isfinite(x) && x != 0.0 && exponent_above(x) > m->exp)
		rescale(m, exponent_above(x));
	xs = ldexp(x, -m->exp);
	delta = xs - m->mean;
	m->mean += delta / (double)m->n;
	m->m2 += delta * (xs - m->mean);
}

/* Welford's update (Welford 1962; Knuth TAOCP vol. 2, 4.2.2, recurrences
 * (15) and (16)): the running mean and the sum of squared deviations from
 * it, which stay accurate when the data sit far from zero, unlike
 * sum(x^2) - n * mean^2.  The terms delta * (x - mean) are never negative,
 * so m2 is never negative.  The sum is kept separately, compensated
 * (Neumaier 1974), because the reported sum and mean must not drift.
 * The plain update is tried first; when it overflows (a deviation or m2
 * past the largest double) or meets a tiny deviation, it is dropped and
 * the moments go to scaled units for good, so ordinary data pay two
 * comparisons.  Callers skip missing values: a NaN would poison every
 * result but the min and max, which ignore it; so would an infinity,
 * which is never scaled. */
void
kpi_moments_add(struct kpi_moments *m, double x)
{
	double delta, mean, m2;

	m->n++;
	kpi_bigsum_add(&m->sum, x);
	if (x < m->min)
		m->min = x;
	if (x > m->max)
		m->max = x;
	if (m->scaled) {
		scaled_add(m, x);
		return;
	}
	delta = x - m->mean;
	mean = m->mean + delta / (double)m->n;
	m2 = m->m2 + delta * (x - mean);
	if ((!isfinite(m2) || (fabs(delta) < TINY_DEVIATION && delta != 0.0)) &&
	    isfinite(x) && isfinite(m->m2)) {
		rescale(m, exponent_above(fmax(-m->min, m->max)));
		scaled_add(m, x);
		return;
	}
	m->mean = mean;
	m->m2 = m2;
}

/* Chan, Golub & LeVeque (1979), the pairwise update: with d = mean_b -
 * mean_a, mean = mean_a + d * n_b / n and m2 = m2_a + m2_b + d^2 n_a n_b / n.
 * Both compensated sums are carried over whole.  As in kpi_moments_add(),
 * plain units unless either side is scaled or the plain update overflows
 * or squares a tiny difference; scaled, both sides go to the units of the
 * larger magnitude. */
void
kpi_moments_merge(struct kpi_moments *a, const struct kpi_moments *b)
{
	struct kpi_moments bb;
	double na, nb, n, d, mean, m2;

	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	na = (double)a->n;
	nb = (double)b->n;
	n = na + nb;
	a->n += b->n;
	kpi_bigsum_merge(&a->sum, &b->sum);
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
	if (!a->scaled && !b->scaled) {
		d = b->mean - a->mean;
		mean = a->mean + d * (nb / n);
		m2 = a->m2 + b->m2 + d * d * (na * (nb / n));
		if ((isfinite(m2) && !(fabs(d) < TINY_DEVIATION && d != 0.0)) ||
		    !isfinite(a->m2) || !isfinite(b->m2)) {
			a->mean = mean;
			a->m2 = m2;
			return;
		}
	}
	bb = *b;
	rescale(a, exponent_above(fmax(-a->min, a->max)));
	rescale(&bb, a->exp);
	d = bb.mean - a->mean;
	a->mean += d * (nb / n);
	a->m2 += bb.m2 + d * d * (na * (nb / n));
}

double
kpi_moments_sum(const struct kpi_moments *m)
{
	return m->n ? kpi_bigsum_value(&m->sum) : 0.0;
}

/* From the compensated sum rather than Welford's running mean, so that the
 * mean of 0.1 repeated ten times is what sum / n says it is. */
double
kpi_moments_mean(const struct kpi_moments *m)
{
	return m->n ? kpi_bigsum_mean(&m->sum, (double)m->n) : NAN;
}

double
kpi_moments_min(const struct kpi_moments *m)
{
	return m->n ? m->min : NAN;
}

double
kpi_moments_max(const struct kpi_moments *m)
{
	return m->n ? m->max : NAN;
}

/* The divisor of m2, or NaN without enough values. */
static double
divisor(const struct kpi_moments *m, enum kpi_ddof ddof)
{
	switch (ddof) {
	case KPI_POPULATION:
		return m->n >= 1 ? (double)m->n : NAN;
	case KPI_SAMPLE:
		return m->n >= 2 ? (double)(m->n - 1) : NAN;
	}
	return NAN;
}

/* In plain units exp is 0, and these are m2 / d and sqrt(m2 / d). */
double
kpi_moments_variance(const struct kpi_moments *m, enum kpi_ddof ddof)
{
	return ldexp(m->m2 / divisor(m, ddof), 2 * m->exp);
}

double
kpi_moments_sd(const struct kpi_moments *m, enum kpi_ddof ddof)
{
	return ldexp(sqrt(m->m2 / divisor(m, ddof)), m->exp);
}

/* ==== Stored values ==== */

#define VALUES_FIRST_CAP 16

/* NaN would make "sorted" meaningless (it compares false with everything),
 * so it is refused here rather than poisoning every quantile later. */
enum kpi_status
kpi_values_push(struct kpi_values *vs, double x, struct kpi_error *err)
{
	double *v;
	size_t cap;

	if (isnan(x))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "NaN cannot be stored for quantiles");
	if (vs->n == vs->cap) {
		if (vs->cap == 0)
			cap = VALUES_FIRST_CAP;
		else if (vs->cap > SIZE_MAX / 2 / sizeof(*v))
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "too many values (%zu)", vs->n);
		else
			cap = vs->cap * 2;
		v = realloc(vs->v, cap * sizeof(*v));
		if (!v)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "out of memory for %zu values",
					     cap);
		vs->v = v;
		vs->cap = cap;
	}
	vs->v[vs->n++] = x;
	return KPI_OK;
}

void
kpi_values_free(struct kpi_values *vs)
{
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
	vs->cap = 0;
}

/* Introsort (Musser 1997): quicksort with a median-of-three pivot and Hoare's
 * partition, which stops on keys equal to the pivot and so splits runs of
 * ties (common in sales amounts) evenly; heapsort below a depth of 2 log2 n,
 * so the worst case stays O(n log n); insertion sort for short ranges.  The
 * comparisons are inline '<' on doubles, several times faster than qsort()'s
 * callback, and nothing is allocated, so sorting cannot fail. */
#define SORT_SMALL 16

static void
insertion_sort(double *v, size_t n)
{
	size_t i, j;
	double x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && x < v[j - 1]; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void
sift_down(double *v, size_t root, size_t n)
{
	size_t child;
	double x = v[root];

	for (;;) {
		child = 2 * root + 1;
		if (child >= n)
			break;
		if (child + 1 < n && v[child] < v[child + 1])
			child++;
		if (!(x < v[child]))
			break;
		v[root] = v[child];
		root = child;
	}
	v[root] = x;
}

static void
heap_sort(double *v, size_t n)
{
	size_t i;
	double t;

	for (i = n / 2; i > 0; i--)
		sift_down(v, i - 1, n);
	for (i = n; i > 1; i--) {
		t = v[0];
		v[0] = v[i - 1];
		v[i - 1] = t;
		sift_down(v, 0, i - 1);
	}
}

static inline void
swap2(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

static void
intro_sort(double *v, size_t n, unsigned depth)
{
	size_t i, j;
	double pivot;

	while (n > SORT_SMALL) {
		if (depth == 0) {
			heap_sort(v, n);
			return;
		}
		depth--;
		/* Median of first, middle and last; afterwards v[0] <= pivot
		 * <= v[n-1] act as sentinels for the scans below. */
		if (v[n / 2] < v[0])
			swap2(&v[n / 2], &v[0]);
		if (v[n - 1] < v[n / 2]) {
			swap2(&v[n - 1], &v[n / 2]);
			if (v[n / 2] < v[0])
				swap2(&v[n / 2], &v[0]);
		}
		pivot = v[n / 2];
		i = 0;
		j = n - 1;
		for (;;) {
			do
				i++;
			while (v[i] < pivot);
			do
				j--;
			while (pivot < v[j]);
			if (i >= j)
				break;
			swap2(&v[i], &v[j]);
		}
		/* v[0..j] <= pivot <= v[j+1..n-1]; recurse into the smaller
		 * side so the stack stays O(log n). */
		if (j + 1 < n - (j + 1)) {
			intro_sort(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			intro_sort(v + j + 1, n - (j + 1), depth);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

void
kpi_values_sort(struct kpi_values *vs)
{
	size_t n = vs->n, k;
	unsigned depth = 0;

	/* Push refuses NaN, but v[] is public: should one get in, it goes
	 * last instead of breaking the ordering the sort relies on. */
	for (k = n; k > 0; k--) {
		if (isnan(vs->v[k - 1]))
			swap2(&vs->v[k - 1], &vs->v[--n]);
	}
	for (k = n; k > 1; k >>= 1)
		depth += 2;
	intro_sort(vs->v, n, depth);
}

/* ==== Quantiles ==== */

/* Order statistic x_(j), 1-based, with j clamped to 1..n: R's quantile()
 * pads the sorted data as x1, x1, x..., xn, xn for the same effect. */
static double
order_stat(const double *x, size_t n, double j)
{
	if (j < 1.0)
		return x[0];
	if (j >= (double)n)
		return x[n - 1];
	return x[(size_t)j - 1];
}

/* Hyndman & Fan (1996) sample quantiles, Q(p) = (1 - g') x_(j) + g' x_(j+1),
 * computed the way R's stats::quantile(type = 1..9) computes them, operation
 * for operation, so that the results agree to the last bit:
 *  - type 7 (R's default): index = 1 + (n - 1) p, no fuzz.  This equals
 *    gsl_stats_quantile_from_sorted_data() except that R, and we, return
 *    x_(j) exactly when x_(j) == x_(j+1);
 *  - types 4-6, 8, 9: m = a + p (1 - a - b) with (a, b) = (0, 1), (1/2, 1/2),
 *    (0, 0), (1/3, 1/3), (3/8, 3/8); np + m = a + p (n + 1 - a - b);
 *  - types 1-3: np + m = n p, or n p - 1/2 for type 3; g' is 1 when g > 0
 *    and else 0 (type 1), 1/2 (type 2), or 0 only when j is even (type 3).
 * Where j = floor(np + m) is taken, R uses fuzz = 4 * DBL_EPSILON so that an
 * np + m meant to be an integer but a rounding error above or below it is
 * treated as that integer.  R applies it to types 4-9 (except 7) in every
 * version and, since R 4.5.0, to types 1-3 as well; we do both, so types 1-3
 * differ from R < 4.5 only when n p is within 4 DBL_EPSILON of an integer
 * without being one (it then follows exact arithmetic, as R 4.5 does). */
double
kpi_quantile_sorted(const double *sorted, size_t n, double p, int type)
{
	static const double ab[10][2] = {
		[4] = { 0.0, 1.0 },
		[5] = { 0.5, 0.5 },
		[6] = { 0.0, 0.0 },
		[8] = { 1.0 / 3.0, 1.0 / 3.0 },
		[9] = { 3.0 / 8.0, 3.0 / 8.0 },
	};
	const double fuzz = 4.0 * DBL_EPSILON;
	double index, lo, h, nppm, j, g, x0, x1;

	if (n == 0 || !(p >= 0.0 && p <= 1.0) || type < 1 || type > 9)
		return NAN;

	if (type == 7) {
		index = 1.0 + (double)(n - 1) * p;
		lo = floor(index);
		x0 = order_stat(sorted, n, lo);
		x1 = order_stat(sorted, n, ceil(index));
		if (index > lo && x1 != x0) {
			h = index - lo;
			return (1.0 - h) * x0 + h * x1;
		}
		return x0;
	}

	if (type <= 3)
		nppm = type == 3 ? (double)n * p - 0.5 : (double)n * p;
	else
		nppm = ab[type][0] + p * ((double)n + 1.0 - ab[type][0] -
					  ab[type][1]);
	j = floor(nppm + fuzz);
	g = nppm - j;
	if (fabs(g) < fuzz)
		g = 0.0;

	switch (type) {
	case 1:
		h = g > 0.0 ? 1.0 : 0.0;
		break;
	case 2:
		h = g > 0.0 ? 1.0 : 0.5;
		break;
	case 3:
		/* fmod of a negative j (n p < 1/2) gives -1 for odd j. */
		h = g > 0.0 || fmod(j, 2.0) != 0.0 ? 1.0 : 0.0;
		break;
	default:
		h = g;
		break;
	}

	/* Like R, interpolate only for 0 < h < 1: h can be a hair below 0
	 * (exactly -fuzz escapes the test above), and R then takes x_(j). */
	x0 = order_stat(sorted, n, j);
	if (!(h > 0.0))
		return x0;
	x1 = order_stat(sorted, n, j + 1.0);
	if (h >= 1.0)
		return x1;
	if (x0 == x1)
		return x0;
	return (1.0 - h) * x0 + h * x1;
}
