/* test_stats.c - unit tests for moments, stored values and quantiles.
 *
 * Expected values come from R 4.2.2 (var(), sd(), mean(), sum(),
 * quantile(type = 1..9)) unless a comment works them out by hand; the R
 * command is next to each table. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "test-util.h"

#include "kpi/error.h"
#include "kpi/stats.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A few ulps relative to the expected value (exact bits are not promised
 * across compilers that fuse multiply-adds). */
#define assert_rel(actual, expected) do {				\
		double e2_ = (expected);				\
		assert_close((actual), e2_,				\
			     1e-13 * (fabs(e2_) > 1 ? fabs(e2_) : 1));	\
	} while (0)

static void
moments_of(struct kpi_moments *m, const double *x, size_t n)
{
	size_t i;

	kpi_moments_init(m);
	for (i = 0; i < n; i++)
		kpi_moments_add(m, x[i]);
}

/* Deterministic pseudo-random numbers (Knuth's MMIX LCG, top bits). */
static uint64_t
lcg_next(uint64_t *s)
{
	*s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *s >> 33;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ==== Moments ==== */

/* Deal amounts; R: w <- c(1200.5, 830, 15000, 42.25, 9800, 310, 310,
 * 7700.75, 2500, 640); var(w); sd(w); mean(w); sum(w);
 * sum((w - mean(w))^2) / length(w) */
static const double deals[] = {
	1200.5, 830, 15000, 42.25, 9800, 310, 310, 7700.75, 2500, 640,
};

static void
test_moments_match_r_var_sd_mean_sum(void **state)
{
	/* R: x <- c(2, 4, 4, 5, 7, 9, 10, 12, 15, 21)
	 * var(x); sd(x); mean(x) */
	const double x[] = { 2, 4, 4, 5, 7, 9, 10, 12, 15, 21 };
	struct kpi_moments m;

	moments_of(&m, deals, NELEM(deals));
	assert_int_equal(m.n, 10);
	assert_rel(kpi_moments_sum(&m), 38333.5);
	assert_rel(kpi_moments_mean(&m), 3833.3499999999999);
	assert_rel(kpi_moments_variance(&m, KPI_SAMPLE), 26931057.072222222);
	assert_rel(kpi_moments_sd(&m, KPI_SAMPLE), 5189.5141460662981);
	assert_rel(kpi_moments_variance(&m, KPI_POPULATION),
		   24237951.365000002);
	assert_double_exact(kpi_moments_min(&m), 42.25);
	assert_double_exact(kpi_moments_max(&m), 15000);

	moments_of(&m, x, NELEM(x));
	assert_rel(kpi_moments_variance(&m, KPI_SAMPLE), 34.322222222222223);
	assert_rel(kpi_moments_sd(&m, KPI_SAMPLE), 5.8585170668200863);
	assert_rel(kpi_moments_mean(&m), 8.9);
	assert_double_exact(kpi_moments_sum(&m), 89);
}

static void
test_moments_population_variance_by_hand(void **state)
{
	/* Mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; 32/8 = 4,
	 * 32/7 for the sample variance. */
	const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct kpi_moments m;

	moments_of(&m, x, NELEM(x));
	assert_double_exact(kpi_moments_mean(&m), 5);
	assert_double_exact(kpi_moments_variance(&m, KPI_POPULATION), 4);
	assert_double_exact(kpi_moments_sd(&m, KPI_POPULATION), 2);
	assert_rel(kpi_moments_variance(&m, KPI_SAMPLE), 32.0 / 7.0);
}

static void
test_moments_large_offset_variance_is_exact(void **state)
{
	/* R: var(c(1e9+4, 1e9+7, 1e9+13, 1e9+16)) == 30 (deviations -6, -3,
	 * 3, 6 from 1e9+10: 90 / 3).  The textbook one-pass formula
	 * (sum x^2 - (sum x)^2 / n) / (n - 1) cancels catastrophically here;
	 * it is computed too, to show the case has teeth. */
	const double x[] = { 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16 };
	struct kpi_moments m;
	double s = 0, q = 0, naive;
	size_t i;

	moments_of(&m, x, NELEM(x));
	assert_double_exact(kpi_moments_variance(&m, KPI_SAMPLE), 30);
	assert_double_exact(kpi_moments_variance(&m, KPI_POPULATION), 22.5);
	assert_double_exact(kpi_moments_mean(&m), 1e9 + 10);

	for (i = 0; i < NELEM(x); i++) {
		s += x[i];
		q += x[i] * x[i];
	}
	naive = (q - s * s / 4) / 3;
	assert_true(fabs(naive - 30) > 1);
}

static void
test_moments_large_offset_many_values_matches_two_pass(void **state)
{
	/* 10000 values 1e9 + k/4: the spread is exact after subtracting the
	 * offset, so a two-pass variance of the small parts is the
	 * reference. */
	struct kpi_moments m;
	double mean = 0, ss = 0, d;
	size_t k, n = 10000;

	kpi_moments_init(&m);
	for (k = 0; k < n; k++)
		kpi_moments_add(&m, 1e9 + (double)(k * 37 % 101) * 0.25);
	for (k = 0; k < n; k++)
		mean += (double)(k * 37 % 101) * 0.25;
	mean /= (double)n;
	for (k = 0; k < n; k++) {
		d = (double)(k * 37 % 101) * 0.25 - mean;
		ss += d * d;
	}
	assert_close(kpi_moments_variance(&m, KPI_SAMPLE),
		     ss / (double)(n - 1), 1e-9 * ss / (double)n);
	assert_close(kpi_moments_mean(&m), 1e9 + mean, 1e-6);
}

static void
test_moments_empty_gives_nan_and_zero_sum(void **state)
{
	struct kpi_moments m;

	kpi_moments_init(&m);
	assert_int_equal(m.n, 0);
	assert_double_exact(kpi_moments_sum(&m), 0);
	assert_nan(kpi_moments_mean(&m));
	assert_nan(kpi_moments_min(&m));
	assert_nan(kpi_moments_max(&m));
	assert_nan(kpi_moments_variance(&m, KPI_SAMPLE));
	assert_nan(kpi_moments_variance(&m, KPI_POPULATION));
	assert_nan(kpi_moments_sd(&m, KPI_SAMPLE));
	assert_nan(kpi_moments_sd(&m, KPI_POPULATION));
}

static void
test_moments_single_value_has_no_sample_variance(void **state)
{
	/* R: var(5) is NA; the population variance of one value is 0. */
	struct kpi_moments m;

	kpi_moments_init(&m);
	kpi_moments_add(&m, 5);
	assert_double_exact(kpi_moments_sum(&m), 5);
	assert_double_exact(kpi_moments_mean(&m), 5);
	assert_double_exact(kpi_moments_min(&m), 5);
	assert_double_exact(kpi_moments_max(&m), 5);
	assert_nan(kpi_moments_variance(&m, KPI_SAMPLE));
	assert_nan(kpi_moments_sd(&m, KPI_SAMPLE));
	assert_double_exact(kpi_moments_variance(&m, KPI_POPULATION), 0);
	assert_double_exact(kpi_moments_sd(&m, KPI_POPULATION), 0);
}

static void
test_moments_unknown_ddof_gives_nan(void **state)
{
	struct kpi_moments m;

	moments_of(&m, deals, NELEM(deals));
	assert_nan(kpi_moments_variance(&m, (enum kpi_ddof)2));
}

static void
test_moments_sum_and_mean_are_compensated(void **state)
{
	/* Naively 0.1 added ten times is 0.99999999999999989, and
	 * 1e100 + 1 - 1e100 is 0. */
	const double big[] = { 1e100, 1, -1e100 };
	struct kpi_moments m;
	int k;

	kpi_moments_init(&m);
	for (k = 0; k < 10; k++)
		kpi_moments_add(&m, 0.1);
	assert_double_exact(kpi_moments_sum(&m), 1.0);
	assert_double_exact(kpi_moments_mean(&m), 0.1);

	moments_of(&m, big, NELEM(big));
	assert_double_exact(kpi_moments_sum(&m), 1.0);
}

static void
test_moments_merge_equals_sequential_add(void **state)
{
	const size_t n = NELEM(deals);
	struct kpi_moments all, a, b;
	size_t cut;

	moments_of(&all, deals, n);
	for (cut = 0; cut <= n; cut++) {
		moments_of(&a, deals, cut);
		moments_of(&b, deals + cut, n - cut);
		kpi_moments_merge(&a, &b);
		assert_int_equal(a.n, all.n);
		assert_rel(kpi_moments_sum(&a), kpi_moments_sum(&all));
		assert_rel(kpi_moments_mean(&a), kpi_moments_mean(&all));
		assert_rel(kpi_moments_variance(&a, KPI_SAMPLE),
			   kpi_moments_variance(&all, KPI_SAMPLE));
		assert_rel(kpi_moments_variance(&a, KPI_POPULATION),
			   kpi_moments_variance(&all, KPI_POPULATION));
		assert_double_exact(kpi_moments_min(&a), kpi_moments_min(&all));
		assert_double_exact(kpi_moments_max(&a), kpi_moments_max(&all));
		/* b is only read. */
		assert_int_equal(b.n, n - cut);
	}
}

static void
test_moments_merge_keeps_large_offset_accuracy(void **state)
{
	const double x[] = { 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16 };
	struct kpi_moments a, b, empty;

	moments_of(&a, x, 2);
	moments_of(&b, x + 2, 2);
	kpi_moments_merge(&a, &b);
	assert_double_exact(kpi_moments_variance(&a, KPI_SAMPLE), 30);
	assert_double_exact(kpi_moments_sum(&a), 4e9 + 40);

	/* Merging nothing changes nothing, in either direction. */
	kpi_moments_init(&empty);
	kpi_moments_merge(&a, &empty);
	assert_double_exact(kpi_moments_variance(&a, KPI_SAMPLE), 30);
	kpi_moments_merge(&empty, &a);
	assert_int_equal(empty.n, 4);
	assert_double_exact(kpi_moments_variance(&empty, KPI_SAMPLE), 30);
	assert_double_exact(kpi_moments_min(&empty), 1e9 + 4);
}

/* ==== Moments near the ends of the double range ==== */

static void
test_moments_mean_is_finite_when_only_the_sum_overflows(void **state)
{
	/* By hand: 1e308 + 1.5e308 = 2.5e308 is beyond DBL_MAX (1.797e308),
	 * its half 1.25e308 is not.  In units of 2^64 the sum is one
	 * rounding of the exact sum, so the mean is that of the same values
	 * scaled down by 2^64, scaled back up.  DBL_MAX four times has mean
	 * DBL_MAX; 1e308 + 1e308 - 1e308 is 1e308 again, though the running
	 * sum passed DBL_MAX on the way. */
	const double two[] = { 1e308, 1.5e308 };
	const double four[] = { DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX };
	const double back[] = { 1e308, 1e308, -1e308 };
	struct kpi_moments m;

	moments_of(&m, two, NELEM(two));
	assert_rel(kpi_moments_mean(&m) / 1e308, 1.25);
	assert_double_exact(kpi_moments_mean(&m),
			    ldexp((ldexp(1e308, -64) + ldexp(1.5e308, -64)) / 2,
				  64));
	assert_true(isinf(kpi_moments_sum(&m)) && kpi_moments_sum(&m) > 0);

	moments_of(&m, four, NELEM(four));
	assert_double_exact(kpi_moments_mean(&m), DBL_MAX);
	assert_true(isinf(kpi_moments_sum(&m)));

	moments_of(&m, back, NELEM(back));
	assert_double_exact(kpi_moments_sum(&m), 1e308);
	assert_double_exact(kpi_moments_mean(&m), 1e308 / 3);
}

static void
test_moments_sd_is_finite_when_the_variance_is_not(void **state)
{
	/* By hand, x = 1e308, -1e308, 1e308: mean x/3, deviations 2x/3,
	 * -4x/3, 2x/3, squares (4 + 16 + 4) x^2 / 9 = 8 x^2 / 3.  Sample
	 * variance 4 x^2 / 3 = 1.33e616 and population variance 8 x^2 / 9
	 * lie beyond DBL_MAX; the sds, worked with x factored out,
	 * 2 x / sqrt(3) = 1.1547e308 and sqrt(8) x / 3 = 9.428e307, do not.
	 * The plain recurrences give NaN for all four (the deviation 2e308
	 * overflows). */
	const double x[] = { 1e308, -1e308, 1e308 };
	struct kpi_moments m;

	moments_of(&m, x, NELEM(x));
	assert_double_exact(kpi_moments_mean(&m), 1e308 / 3);
	assert_true(isinf(kpi_moments_variance(&m, KPI_SAMPLE)));
	assert_true(kpi_moments_variance(&m, KPI_SAMPLE) > 0);
	assert_true(isinf(kpi_moments_variance(&m, KPI_POPULATION)));
	assert_rel(kpi_moments_sd(&m, KPI_SAMPLE) / 1e308, 2 / sqrt(3.0));
	assert_rel(kpi_moments_sd(&m, KPI_POPULATION) / 1e308,
		   sqrt(8.0) / 3);
	assert_double_exact(kpi_moments_min(&m), -1e308);
	assert_double_exact(kpi_moments_max(&m), 1e308);
}

static void
test_moments_scaled_by_a_power_of_two_give_the_same_bits(void **state)
{
	/* Multiplying by 2^k is exact, and so is every rounding of data
	 * multiplied by 2^k when nothing leaves the normal range: the deals
	 * times 2^1000 (squares beyond DBL_MAX) and times 2^-1000 (squares
	 * below DBL_MIN) must give the mean and sds of the deals times 2^k,
	 * bit for bit.  Their variances are 2.7e7 * 2^2000 (+inf) and
	 * 2.7e7 * 2^-2000 (below the smallest subnormal: 0).  Plain, the
	 * first would give +inf sds, the second 0. */
	static const int k[] = { 1000, -1000, 600, -600 };
	double scaled[NELEM(deals)];
	struct kpi_moments ref, m;
	size_t i, j;

	moments_of(&ref, deals, NELEM(deals));
	for (j = 0; j < NELEM(k); j++) {
		for (i = 0; i < NELEM(deals); i++)
			scaled[i] = ldexp(deals[i], k[j]);
		moments_of(&m, scaled, NELEM(scaled));
		assert_double_exact(kpi_moments_mean(&m),
				    ldexp(kpi_moments_mean(&ref), k[j]));
		assert_double_exact(kpi_moments_sum(&m),
				    ldexp(kpi_moments_sum(&ref), k[j]));
		assert_double_exact(kpi_moments_sd(&m, KPI_SAMPLE),
				    ldexp(kpi_moments_sd(&ref, KPI_SAMPLE), k[j]));
		assert_double_exact(kpi_moments_sd(&m, KPI_POPULATION),
				    ldexp(kpi_moments_sd(&ref, KPI_POPULATION),
					  k[j]));
		assert_double_exact(kpi_moments_variance(&m, KPI_SAMPLE),
				    ldexp(kpi_moments_variance(&ref, KPI_SAMPLE),
					  2 * k[j]));
	}
	assert_true(isinf(ldexp(kpi_moments_variance(&ref, KPI_SAMPLE), 2000)));
	assert_double_exact(ldexp(kpi_moments_variance(&ref, KPI_SAMPLE), -2000),
			    0);
}

static void
test_moments_near_dbl_min_keep_their_precision(void **state)
{
	/* By hand: 1, 2, 3 times u have mean 2u, deviations -u, 0, u, sample
	 * variance u^2 and sd u, exactly, for u = DBL_MIN (2^-1022) and for
	 * the subnormal u = 2^-1060.  1 and 3 times the smallest subnormal
	 * 2^-1074 have mean 2^-1073 and population sd 2^-1074.  u^2 itself
	 * is far below the smallest subnormal: the variances are 0.  Plain,
	 * the squared deviations vanish and every sd is 0. */
	static const double units[] = { DBL_MIN, 0x1p-1060 };
	const double ends[] = { 0x1p-1074, 3 * 0x1p-1074 };
	double x[3];
	struct kpi_moments m;
	size_t i;

	for (i = 0; i < NELEM(units); i++) {
		x[0] = units[i];
		x[1] = 2 * units[i];
		x[2] = 3 * units[i];
		moments_of(&m, x, 3);
		assert_double_exact(kpi_moments_mean(&m), 2 * units[i]);
		assert_double_exact(kpi_moments_sum(&m), 6 * units[i]);
		assert_double_exact(kpi_moments_sd(&m, KPI_SAMPLE), units[i]);
		assert_double_exact(kpi_moments_variance(&m, KPI_SAMPLE), 0);
	}
	moments_of(&m, ends, NELEM(ends));
	assert_double_exact(kpi_moments_mean(&m), 0x1p-1073);
	assert_double_exact(kpi_moments_sd(&m, KPI_POPULATION), 0x1p-1074);
}

static void
test_moments_tiny_values_beside_large_ones_do_not_rescale_wrongly(void **state)
{
	/* Zeros and tiny values added after the moments went to scaled units
	 * must not pull the scale down: by hand, 0, 0, DBL_MIN, 2 DBL_MIN,
	 * 0 have mean 0.6 DBL_MIN, deviations -0.6, -0.6, 0.4, 1.4, -0.6
	 * DBL_MIN, squares 0.36 * 3 + 0.16 + 1.96 = 3.2 DBL_MIN^2, sample sd
	 * sqrt(0.8) DBL_MIN; and 1e300 after DBL_MIN values moves the scale
	 * up: sd of DBL_MIN, 1e300 is 1e300 / sqrt(2) to a relative 1e-16. */
	const double x[] = { 0, 0, DBL_MIN, 2 * DBL_MIN, 0 };
	const double y[] = { DBL_MIN, 1e300 };
	struct kpi_moments m;

	moments_of(&m, x, NELEM(x));
	assert_rel(kpi_moments_sd(&m, KPI_SAMPLE) / DBL_MIN, sqrt(0.8));
	moments_of(&m, y, NELEM(y));
	assert_rel(kpi_moments_sd(&m, KPI_SAMPLE) / 1e300, 1 / sqrt(2.0));
	assert_rel(kpi_moments_mean(&m) / 1e300, 0.5);
}

static void
test_moments_merge_near_the_ends_equals_sequential_add(void **state)
{
	/* Splits of data that overflow the plain recurrences (and of data
	 * that underflow them) merge to what one pass gives: the sd
	 * 1.1547e308 of test_moments_sd_is_finite_when_the_variance_is_not
	 * among them. */
	const double big[] = { 1e308, -1e308, 1e308, -1.5e308, 0.5e308, 1e300,
			       1.7e308 };
	const double tiny[] = { DBL_MIN, 2 * DBL_MIN, 3 * DBL_MIN, 0x1p-1060,
				0, 5 * DBL_MIN };
	const double *data[] = { big, tiny };
	const size_t len[] = { NELEM(big), NELEM(tiny) };
	struct kpi_moments all, a, b;
	size_t d, cut;

	for (d = 0; d < NELEM(data); d++) {
		moments_of(&all, data[d], len[d]);
		for (cut = 0; cut <= len[d]; cut++) {
			moments_of(&a, data[d], cut);
			moments_of(&b, data[d] + cut, len[d] - cut);
			kpi_moments_merge(&a, &b);
			assert_int_equal(a.n, all.n);
			assert_rel(kpi_moments_mean(&a) / kpi_moments_mean(&all), 1);
			assert_rel(kpi_moments_sd(&a, KPI_SAMPLE) /
				   kpi_moments_sd(&all, KPI_SAMPLE), 1);
			assert_rel(kpi_moments_sd(&a, KPI_POPULATION) /
				   kpi_moments_sd(&all, KPI_POPULATION), 1);
			assert_double_exact(kpi_moments_min(&a),
					    kpi_moments_min(&all));
			assert_double_exact(kpi_moments_max(&a),
					    kpi_moments_max(&all));
		}
	}
	moments_of(&a, big, 1);
	moments_of(&b, big + 1, 2);
	kpi_moments_merge(&a, &b);
	assert_rel(kpi_moments_sd(&a, KPI_SAMPLE) / 1e308, 2 / sqrt(3.0));
}

/* ==== Stored values ==== */

static void
test_values_push_grows_and_free_leaves_it_reusable(void **state)
{
	struct kpi_values vs = KPI_VALUES_INIT;
	size_t k, n = 100000;

	for (k = 0; k < n; k++)
		assert_int_equal(kpi_values_push(&vs, (double)k, NULL), KPI_OK);
	assert_int_equal(vs.n, n);
	assert_true(vs.cap >= n);
	for (k = 0; k < n; k++)
		assert_double_exact(vs.v[k], (double)k);
	kpi_values_free(&vs);
	assert_null(vs.v);
	assert_int_equal(vs.n, 0);
	assert_int_equal(vs.cap, 0);
	assert_int_equal(kpi_values_push(&vs, 1.5, NULL), KPI_OK);
	assert_int_equal(vs.n, 1);
	kpi_values_free(&vs);
	kpi_values_free(&vs);	/* twice is fine */
}

static void
test_values_push_refuses_nan(void **state)
{
	struct kpi_values vs = KPI_VALUES_INIT;
	struct kpi_error err;

	assert_int_equal(kpi_values_push(&vs, 1.0, NULL), KPI_OK);
	kpi_error_clear(&err);
	assert_int_equal(kpi_values_push(&vs, NAN, &err), KPI_EINVAL);
	assert_int_equal(err.status, KPI_EINVAL);
	assert_int_equal(vs.n, 1);
	/* Infinities are values. */
	assert_int_equal(kpi_values_push(&vs, INFINITY, NULL), KPI_OK);
	assert_int_equal(vs.n, 2);
	kpi_values_free(&vs);
}

/* Fill v[0..n-1] by pattern: 0 random, 1 few distinct values, 2 sorted,
 * 3 reversed, 4 all equal, 5 organ pipe, 6 sawtooth, 7 signed zeros and
 * infinities mixed in. */
static void
fill_pattern(double *v, size_t n, int pattern, uint64_t *seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (pattern) {
		case 0:
			v[i] = (double)lcg_next(seed) / 1e3 - 4e6;
			break;
		case 1:
			v[i] = (double)(lcg_next(seed) % 5) * 100.0;
			break;
		case 2:
			v[i] = (double)i * 0.5;
			break;
		case 3:
			v[i] = (double)(n - i);
			break;
		case 4:
			v[i] = 42.0;
			break;
		case 5:
			v[i] = (double)(i < n / 2 ? i : n - i);
			break;
		case 6:
			v[i] = (double)(i % 17);
			break;
		default:
			switch (lcg_next(seed) % 5) {
			case 0: v[i] = -0.0; break;
			case 1: v[i] = 0.0; break;
			case 2: v[i] = INFINITY; break;
			case 3: v[i] = -INFINITY; break;
			default: v[i] = (double)(lcg_next(seed) % 100) - 50;
			}
			break;
		}
	}
}

static void
test_values_sort_agrees_with_qsort(void **state)
{
	const size_t sizes[] = { 0, 1, 2, 3, 15, 16, 17, 33, 100, 1000, 65537 };
	uint64_t seed = 12345;
	struct kpi_values vs;
	double *ref;
	size_t s, i, n;
	int pattern;

	for (s = 0; s < NELEM(sizes); s++) {
		for (pattern = 0; pattern < 8; pattern++) {
			n = sizes[s];
			vs.v = malloc((n ? n : 1) * sizeof(double));
			ref = malloc((n ? n : 1) * sizeof(double));
			assert_non_null(vs.v);
			assert_non_null(ref);
			vs.n = n;
			vs.cap = n;
			fill_pattern(vs.v, n, pattern, &seed);
			if (n)
				memcpy(ref, vs.v, n * sizeof(double));
			qsort(ref, n, sizeof(double), cmp_double);
			kpi_values_sort(&vs);
			for (i = 0; i < n; i++)
				if (vs.v[i] != ref[i])
					fail_msg("size %zu pattern %d: v[%zu] "
						 "= %g, expected %g", n,
						 pattern, i, vs.v[i], ref[i]);
			free(ref);
			kpi_values_free(&vs);
		}
	}
}

static void
test_values_sort_puts_stray_nans_last(void **state)
{
	struct kpi_values vs = KPI_VALUES_INIT;
	size_t k;

	for (k = 0; k < 50; k++)
		assert_int_equal(kpi_values_push(&vs, (double)((k * 7) % 50),
						 NULL), KPI_OK);
	/* Written behind push's back, as the struct is public. */
	vs.v[3] = NAN;
	vs.v[20] = NAN;
	vs.v[49] = NAN;
	kpi_values_sort(&vs);
	for (k = 0; k + 1 < 47; k++)
		assert_true(vs.v[k] <= vs.v[k + 1]);
	for (k = 47; k < 50; k++)
		assert_nan(vs.v[k]);
	kpi_values_free(&vs);
}

/* ==== Quantiles ==== */

static const double probs6[] = { 0, 0.1, 0.25, 0.5, 0.9, 1 };

static void
test_quantile_matches_r_all_types_with_ties(void **state)
{
	/* R 4.2.2: x <- c(2, 4, 4, 5, 7, 9, 10, 12, 15, 21)
	 * for (k in 1:9) cat(k, sprintf("%.17g", quantile(x,
	 *     c(0, .1, .25, .5, .9, 1), type = k, names = FALSE)), "\n") */
	const double x[] = { 2, 4, 4, 5, 7, 9, 10, 12, 15, 21 };
	static const double want[9][6] = {
		{ 2, 2, 4, 7, 15, 21 },
		{ 2, 3, 4, 8, 18, 21 },
		{ 2, 2, 4, 7, 15, 21 },
		{ 2, 2, 4, 7, 15, 21 },
		{ 2, 3, 4, 8, 18, 21 },
		{ 2, 2.2000000000000002, 4, 8, 20.399999999999999, 21 },
		{ 2, 3.7999999999999998, 4.25, 8, 15.599999999999998, 21 },
		{ 2, 2.7333333333333329, 4, 7.9999999999999982,
		  18.799999999999997, 21 },
		{ 2, 2.8000000000000003, 4, 8, 18.599999999999998, 21 },
	};
	int type;
	size_t i;

	for (type = 1; type <= 9; type++)
		for (i = 0; i < NELEM(probs6); i++)
			assert_rel(kpi_quantile_sorted(x, NELEM(x), probs6[i],
						       type),
				   want[type - 1][i]);
}

static void
test_quantile_matches_r_after_sorting_unsorted_input(void **state)
{
	/* R 4.2.2: y <- c(3.5, -1, 8, 8, 0, 2.25, 100)
	 * for (k in 1:9) cat(k, sprintf("%.17g", quantile(y,
	 *     c(0.05, 0.33, 0.5, 0.67, 0.95), type = k, names = FALSE)),
	 *     "\n") */
	const double y[] = { 3.5, -1, 8, 8, 0, 2.25, 100 };
	const double p[] = { 0.05, 0.33, 0.5, 0.67, 0.95 };
	static const double want[9][5] = {
		{ -1, 2.25, 3.5, 8, 100 },
		{ -1, 2.25, 3.5, 8, 100 },
		{ -1, 0, 3.5, 8, 100 },
		{ -1, 0.69750000000000012, 2.875, 6.6050000000000022,
		  67.799999999999955 },
		{ -1, 1.8225000000000002, 3.5, 8, 100 },
		{ -1, 1.4400000000000004, 3.5, 8, 100 },
		{ -0.69999999999999996, 2.2050000000000001, 3.5, 8,
		  72.399999999999935 },
		{ -1, 1.6950000000000012, 3.5, 8, 100 },
		{ -1, 1.7268750000000002, 3.5, 8, 100 },
	};
	struct kpi_values vs = KPI_VALUES_INIT;
	int type;
	size_t i;

	for (i = 0; i < NELEM(y); i++)
		assert_int_equal(kpi_values_push(&vs, y[i], NULL), KPI_OK);
	kpi_values_sort(&vs);
	for (type = 1; type <= 9; type++)
		for (i = 0; i < NELEM(p); i++)
			assert_rel(kpi_quantile_sorted(vs.v, vs.n, p[i], type),
				   want[type - 1][i]);
	kpi_values_free(&vs);
}

static void
test_quantile_type7_equals_gsl(void **state)
{
	struct kpi_values vs = KPI_VALUES_INIT;
	uint64_t seed = 99;
	double sorted[NELEM(deals)], p, got, ref;
	size_t k;
	int i;

	memcpy(sorted, deals, sizeof(deals));
	qsort(sorted, NELEM(sorted), sizeof(double), cmp_double);
	for (k = 0; k < 1000; k++)
		assert_int_equal(kpi_values_push(&vs, (double)lcg_next(&seed) /
						 1e5, NULL), KPI_OK);
	kpi_values_sort(&vs);
	for (i = 0; i <= 1000; i++) {
		p = i / 1000.0;
		got = kpi_quantile_sorted(sorted, NELEM(sorted), p, 7);
		ref = gsl_stats_quantile_from_sorted_data(sorted, 1,
							  NELEM(sorted), p);
		assert_rel(got, ref);
		got = kpi_quantile_sorted(vs.v, vs.n, p, 7);
		ref = gsl_stats_quantile_from_sorted_data(vs.v, 1, vs.n, p);
		assert_rel(got, ref);
	}
	kpi_values_free(&vs);
}

static void
test_quantile_p0_gives_min_and_p1_gives_max(void **state)
{
	const double x[] = { -3.5, 0, 0, 2, 7.25, 7.25, 1e6 };
	size_t n;
	int type;

	for (n = 1; n <= NELEM(x); n++) {
		for (type = 1; type <= 9; type++) {
			assert_double_exact(kpi_quantile_sorted(x, n, 0.0,
								type), x[0]);
			assert_double_exact(kpi_quantile_sorted(x, n, 1.0,
								type),
					    x[n - 1]);
		}
	}
}

static void
test_quantile_single_value_is_that_value(void **state)
{
	const double x[] = { 1234.5 };
	int type, i;

	for (type = 1; type <= 9; type++)
		for (i = 0; i <= 20; i++)
			assert_double_exact(kpi_quantile_sorted(x, 1, i / 20.0,
								type),
					    1234.5);
}

static void
test_quantile_empty_or_bad_arguments_give_nan(void **state)
{
	const double x[] = { 1, 2, 3 };
	int type;

	for (type = 1; type <= 9; type++) {
		assert_nan(kpi_quantile_sorted(x, 0, 0.5, type));
		assert_nan(kpi_quantile_sorted(NULL, 0, 0.5, type));
		assert_nan(kpi_quantile_sorted(x, 3, -0.01, type));
		assert_nan(kpi_quantile_sorted(x, 3, 1.01, type));
		assert_nan(kpi_quantile_sorted(x, 3, NAN, type));
		assert_nan(kpi_quantile_sorted(x, 3, INFINITY, type));
	}
	assert_nan(kpi_quantile_sorted(x, 3, 0.5, 0));
	assert_nan(kpi_quantile_sorted(x, 3, 0.5, 10));
	assert_nan(kpi_quantile_sorted(x, 3, 0.5, -7));
}

static void
test_quantile_does_not_modify_input(void **state)
{
	const double orig[] = { 1, 2, 2, 3, 10 };
	double x[NELEM(orig)];
	int type;

	memcpy(x, orig, sizeof(x));
	for (type = 1; type <= 9; type++)
		(void)kpi_quantile_sorted(x, NELEM(x), 0.37, type);
	assert_memory_equal(x, orig, sizeof(x));
}

static void
test_quantile_fuzz_treats_near_integer_np_as_integer(void **state)
{
	/* p = 0.1 * 3 is 0.30000000000000004, so n p = 10 p is
	 * 3.0000000000000004 for x = 1..10, 4e-16 above the integer 3 that
	 * it stands for.  Types 4-6, 8, 9 have always absorbed this with
	 * R's fuzz (4 * DBL_EPSILON); R 4.5.0 extends it to types 1-3.
	 * Exact arithmetic gives x_(3) = 3 for type 1 and (x_(3) + x_(4)) / 2
	 * for type 2; R 4.2.2, without the fuzz there, returns 4 for both.
	 * Type 7 has no fuzz in any R version (R 4.2.2: 3.7000000000000002). */
	const double x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	const double p = 0.1 * 3;

	assert_true(10 * p > 3.0);	/* the premise */
	assert_double_exact(kpi_quantile_sorted(x, 10, p, 1), 3);
	assert_double_exact(kpi_quantile_sorted(x, 10, p, 2), 3.5);
	assert_double_exact(kpi_quantile_sorted(x, 10, p, 3), 3);
	assert_rel(kpi_quantile_sorted(x, 10, p, 7), 3.7000000000000002);

	/* R 4.2.2: for (k in c(4, 5, 6, 8, 9)) cat(k, sprintf("%.17g",
	 *     quantile(1:9, 0.1 * 3, type = k, names = FALSE)), "\n")
	 * type 6 has n p + m = 10 p = 3.0000000000000004 -> exactly x_(3). */
	assert_rel(kpi_quantile_sorted(x, 9, p, 4), 2.7000000000000002);
	assert_rel(kpi_quantile_sorted(x, 9, p, 5), 3.2000000000000002);
	assert_double_exact(kpi_quantile_sorted(x, 9, p, 6), 3);
	assert_rel(kpi_quantile_sorted(x, 9, p, 8), 3.1333333333333337);
	assert_rel(kpi_quantile_sorted(x, 9, p, 9), 3.1500000000000004);
}

static void
test_quantile_type7_has_no_fuzz(void **state)
{
	/* x = 1..51, p = 0.58: index = 1 + 50 p = 29.999999999999996, 4e-15
	 * below 30.  Type 7 takes it as it is (R 4.2.2: quantile(1:51, 0.58)
	 * is 29.999999999999996, and so is GSL), where a fuzz would give 30. */
	double x[51];
	size_t i;

	for (i = 0; i < 51; i++)
		x[i] = (double)(i + 1);
	assert_true(kpi_quantile_sorted(x, 51, 0.58, 7) < 30);
	assert_rel(kpi_quantile_sorted(x, 51, 0.58, 7), 29.999999999999996);
	assert_double_exact(kpi_quantile_sorted(x, 51, 0.58, 7),
			    gsl_stats_quantile_from_sorted_data(x, 1, 51,
								0.58));
}

static void
test_quantile_never_extrapolates_below_the_order_statistic(void **state)
{
	/* Type 8, n = 9, p = 1/2: n p + m = 1/3 + (9 + 1 - 2/3) / 2 rounds to
	 * 5 - 4 DBL_EPSILON, exactly -fuzz away from 5, so h = -fuzz is not
	 * zeroed; R only interpolates for 0 < h < 1 and returns x_(5).
	 * R 4.2.2: quantile(1:9, 0.5, type = 8) is exactly 5. */
	const double x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	assert_double_exact(kpi_quantile_sorted(x, 9, 0.5, 8), 5);
}

static void
test_quantile_infinite_values(void **state)
{
	/* R: quantile(c(-Inf, 1, 2, Inf), c(0, .5, 1)) is -Inf 1.5 Inf */
	const double x[] = { -INFINITY, 1, 2, INFINITY };

	assert_double_exact(kpi_quantile_sorted(x, 4, 0, 7), -INFINITY);
	assert_double_exact(kpi_quantile_sorted(x, 4, 0.5, 7), 1.5);
	assert_double_exact(kpi_quantile_sorted(x, 4, 1, 7), INFINITY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moments_match_r_var_sd_mean_sum),
		cmocka_unit_test(test_moments_population_variance_by_hand),
		cmocka_unit_test(test_moments_large_offset_variance_is_exact),
		cmocka_unit_test(test_moments_large_offset_many_values_matches_two_pass),
		cmocka_unit_test(test_moments_empty_gives_nan_and_zero_sum),
		cmocka_unit_test(test_moments_single_value_has_no_sample_variance),
		cmocka_unit_test(test_moments_unknown_ddof_gives_nan),
		cmocka_unit_test(test_moments_sum_and_mean_are_compensated),
		cmocka_unit_test(test_moments_merge_equals_sequential_add),
		cmocka_unit_test(test_moments_merge_keeps_large_offset_accuracy),
		cmocka_unit_test(test_moments_mean_is_finite_when_only_the_sum_overflows),
		cmocka_unit_test(test_moments_sd_is_finite_when_the_variance_is_not),
		cmocka_unit_test(test_moments_scaled_by_a_power_of_two_give_the_same_bits),
		cmocka_unit_test(test_moments_near_dbl_min_keep_their_precision),
		cmocka_unit_test(test_moments_tiny_values_beside_large_ones_do_not_rescale_wrongly),
		cmocka_unit_test(test_moments_merge_near_the_ends_equals_sequential_add),
		cmocka_unit_test(test_values_push_grows_and_free_leaves_it_reusable),
		cmocka_unit_test(test_values_push_refuses_nan),
		cmocka_unit_test(test_values_sort_agrees_with_qsort),
		cmocka_unit_test(test_values_sort_puts_stray_nans_last),
		cmocka_unit_test(test_quantile_matches_r_all_types_with_ties),
		cmocka_unit_test(test_quantile_matches_r_after_sorting_unsorted_input),
		cmocka_unit_test(test_quantile_type7_equals_gsl),
		cmocka_unit_test(test_quantile_p0_gives_min_and_p1_gives_max),
		cmocka_unit_test(test_quantile_single_value_is_that_value),
		cmocka_unit_test(test_quantile_empty_or_bad_arguments_give_nan),
		cmocka_unit_test(test_quantile_does_not_modify_input),
		cmocka_unit_test(test_quantile_fuzz_treats_near_integer_np_as_integer),
		cmocka_unit_test(test_quantile_type7_has_no_fuzz),
		cmocka_unit_test(test_quantile_never_extrapolates_below_the_order_statistic),
		cmocka_unit_test(test_quantile_infinite_values),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
