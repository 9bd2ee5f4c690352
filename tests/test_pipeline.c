/* test_pipeline.c - the bookings distribution (exact on a grid, Monte
 * Carlo), the pipeline report over CSV text, and the waterfall invariant on
 * generated snapshot pairs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "kpi/cli.h"
#include "kpi/pipeline.h"

/* ==== Three deals: eight outcomes, by hand ==== */

/* Deals of 100, 200 and 400 won with probabilities 0.2, 0.5 and 0.7.
 * Outcomes and their probabilities, worked out by hand:
 *   {}      0   .8 x .5 x .3 = .12      {3}      400  .8 x .5 x .7 = .28
 *   {1}   100   .2 x .5 x .3 = .03      {1,3}    500  .2 x .5 x .7 = .07
 *   {2}   200   .8 x .5 x .3 = .12      {2,3}    600  .8 x .5 x .7 = .28
 *   {1,2} 300   .2 x .5 x .3 = .03      {1,2,3}  700  .2 x .5 x .7 = .07
 * cumulative .12 .15 .27 .30 .58 .65 .93 1; mean 20 + 100 + 280 = 400;
 * variance 100^2 .16 + 200^2 .25 + 400^2 .21 = 45200. */
static const double three_a[] = { 100, 200, 400 };
static const double three_p[] = { 0.2, 0.5, 0.7 };
static const double three_pmf[] = { .12, .03, .12, .03, .28, .07, .28, .07 };

static void
test_bookings_pmf_three_deals_has_eight_outcomes(void **state)
{
	struct kpi_error err;
	double *pmf = NULL, bound = -1, shift = -1;
	size_t size = 0, k;

	assert_int_equal(kpi_bookings_pmf(three_a, three_p, 3, 100, 1000, &pmf,
					  &size, &bound, &shift, &err), KPI_OK);
	assert_int_equal(size, 8);
	for (k = 0; k < 8; k++)
		assert_close(pmf[k], three_pmf[k], 1e-15);
	assert_close(bound, 0, 0);
	assert_close(shift, 0, 0);
	free(pmf);

	/* A finer grid: the same outcomes, zeros between them. */
	assert_int_equal(kpi_bookings_pmf(three_a, three_p, 3, 50, 1000, &pmf,
					  &size, NULL, NULL, &err), KPI_OK);
	assert_int_equal(size, 15);
	for (k = 0; k < 15; k++)
		assert_close(pmf[k], k % 2 ? 0 : three_pmf[k / 2], 1e-15);
	free(pmf);

	/* A grid too big for the cap. */
	pmf = NULL;
	assert_int_equal(kpi_bookings_pmf(three_a, three_p, 3, 1, 100, &pmf,
					  &size, NULL, NULL, &err), KPI_ENOMEM);
	assert_null(pmf);
}

static void
test_bookings_three_deals_quantiles_and_reach(void **state)
{
	/* Each level against the cumulative probabilities above: a level
	 * equal to one (.12, .15, .3, .93) is reached there. */
	static const double levels[] = {
		.05, .12, .13, .15, .2, .27, .28, .3, .5, .58, .6, .65, .9, .93,
		.95, .999,
	};
	static const double expect[] = {
		0, 0, 100, 100, 200, 200, 300, 300, 400, 400, 500, 500, 600, 600,
		700, 700,
	};
	static const double thresholds[] = { -5, 0, 1, 300, 400, 450, 700, 701 };
	static const double reach[] = { 1, 1, .88, .73, .70, .42, .07, 0 };
	const size_t nl = sizeof(levels) / sizeof(levels[0]);
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	double q[16], r;
	size_t i;

	kpi_bookings_options_init(&o);
	for (i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++) {
		assert_int_equal(kpi_bookings_compute(three_a, three_p, 3, levels,
						      nl, thresholds[i], &o, q, &r,
						      &b, &err), KPI_OK);
		assert_close(r, reach[i], 1e-14);
	}
	for (i = 0; i < nl; i++)
		assert_close(q[i], expect[i], 0);
	assert_int_equal(b.method, KPI_BOOKINGS_EXACT);
	assert_close(b.error_bound, 0, 0);
	assert_close(b.step, 100, 0);
	assert_close(b.mean, 400, 1e-12);
	assert_close(b.sd, sqrt(45200), 1e-12);
}

static void
test_bookings_decimal_amounts_are_exact(void **state)
{
	/* Cents: the grid is 0.01, nothing is rounded, and each percentile
	 * is the decimal sum itself.  By hand, with p = .2, .5, .7:
	 *   0 .12   0.07 .12   5.5 .28   5.57 .28   17120.31 .03
	 *   17120.38 .03   17125.81 .07   17125.88 .07
	 * cumulative .12 .24 .52 .80 .83 .86 .93 1. */
	static const double a[] = { 17120.31, 0.07, 5.5 };
	static const double levels[] = { .1, .2, .5, .8, .85, .9, .95 };
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	double q[7], r;

	kpi_bookings_options_init(&o);
	assert_int_equal(kpi_bookings_compute(a, three_p, 3, levels, 7,
					      17120.38, &o, q, &r, &b, &err),
			 KPI_OK);
	assert_int_equal(b.method, KPI_BOOKINGS_EXACT);
	assert_close(b.error_bound, 0, 0);
	assert_close(b.step, 0.01, 1e-15);
	assert_double_exact(q[0], 0);
	assert_double_exact(q[1], 0.07);
	assert_double_exact(q[2], 5.5);
	assert_double_exact(q[3], 5.57);
	assert_double_exact(q[4], 17120.38);
	assert_double_exact(q[5], 17125.81);
	assert_double_exact(q[6], 17125.88);
	assert_close(r, .03 + .07 + .07, 1e-14);
}

static void
test_bookings_certain_deals_shift_the_distribution(void **state)
{
	/* A deal of 1000 at p = 1 and one at p = 0 add 1000 to every outcome
	 * and nothing to the spread. */
	static const double a[] = { 100, 1000, 200, 5000, 400 };
	static const double p[] = { 0.2, 1, 0.5, 0, 0.7 };
	static const double levels[] = { .1, .5, .9 };
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	double q[3], r;

	kpi_bookings_options_init(&o);
	assert_int_equal(kpi_bookings_compute(a, p, 5, levels, 3, 1450, &o, q,
					      &r, &b, &err), KPI_OK);
	assert_close(q[0], 1000, 0);
	assert_close(q[1], 1400, 0);
	assert_close(q[2], 1600, 0);
	assert_close(r, .42, 1e-14);
	assert_close(b.mean, 1400, 1e-12);
	assert_close(b.sd, sqrt(45200), 1e-12);
}

static void
test_bookings_point_mass_without_uncertain_deals(void **state)
{
	static const double a[] = { 300, 50 };
	static const double p[] = { 1, 0 };
	static const double levels[] = { .5 };
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	double q[1], r;

	kpi_bookings_options_init(&o);
	assert_int_equal(kpi_bookings_compute(a, p, 2, levels, 1, 300, &o, q,
					      &r, &b, &err), KPI_OK);
	assert_close(q[0], 300, 0);
	assert_close(r, 1, 0);
	assert_close(b.sd, 0, 0);
	assert_int_equal(b.method, KPI_BOOKINGS_EXACT);
	assert_int_equal(kpi_bookings_compute(NULL, NULL, 0, levels, 1, 1, &o,
					      q, &r, &b, &err), KPI_OK);
	assert_close(q[0], 0, 0);
	assert_close(r, 0, 0);
}

static void
test_bookings_sd_of_huge_amounts_is_finite(void **state)
{
	/* Found by tests/fuzz/fuzz_pipeline.c: a^2 overflowed, the sum of
	 * variances became NaN and the sd was written as 0.  By hand: the
	 * variance is 1e308^2 * 0.3 * 0.7 + 2^2 * 0.5 * 0.5, so the sd is
	 * 1e308 * sqrt(0.21) to double precision. */
	static const double a[] = { 1e308, 2 };
	static const double p[] = { 0.3, 0.5 };
	static const double levels[] = { .5 };
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	double q[1];

	kpi_bookings_options_init(&o);
	assert_int_equal(kpi_bookings_compute(a, p, 2, levels, 1, NAN, &o, q,
					      NULL, &b, &err), KPI_OK);
	assert_close(b.sd / 1e308, sqrt(0.21), 1e-15);
	assert_close(b.mean / 1e308, 0.3, 1e-15);
}

static void
test_bookings_monte_carlo_three_deals(void **state)
{
	/* The quantiles fall on outcomes whose cumulative probability is far
	 * from the level, so 200000 draws find them; P(S >= 450) = .42 within
	 * 4 standard errors. */
	static const double levels[] = { .1, .5, .9 };
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	double q[3], r;

	kpi_bookings_options_init(&o);
	o.method = KPI_BOOKINGS_MC;
	o.draws = 200000;
	o.seed = 42;
	assert_int_equal(kpi_bookings_compute(three_a, three_p, 3, levels, 3,
					      450, &o, q, &r, &b, &err), KPI_OK);
	assert_int_equal(b.method, KPI_BOOKINGS_MC);
	assert_nan(b.error_bound);
	assert_int_equal(b.draws, 200000);
	assert_close(q[0], 0, 0);
	assert_close(q[1], 400, 0);
	assert_close(q[2], 600, 0);
	assert_close(r, .42, 4 * sqrt(.42 * .58 / 200000));
}

/* ==== Many deals: exact against Monte Carlo ==== */

static uint64_t
lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return *s >> 11;
}

static double
unif(uint64_t *s)
{
	return (double)lcg(s) / 9007199254740992.0;
}

/* n deals with skewed amounts (cents) and stage-like probabilities. */
static void
make_deals(double *a, double *p, size_t n, uint64_t seed)
{
	static const double stage_p[] = { .1, .25, .4, .6, .85 };
	size_t i;

	for (i = 0; i < n; i++) {
		double u = unif(&seed);

		a[i] = floor(100 * 2000 * exp(3 * u * u)) / 100;
		p[i] = stage_p[lcg(&seed) % 5];
	}
}

/* P(S <= x) from a pmf on the grid (step, shift). */
static double
cdf_at(const double *pmf, size_t size, double step, double shift, double x)
{
	double c = 0;
	size_t k;

	for (k = 0; k < size && (double)k * step + shift <= x; k++)
		c += pmf[k];
	return c;
}

static void
test_bookings_exact_agrees_with_monte_carlo(void **state)
{
	/* 300 deals.  The exact quantile errs by at most error_bound; a Monte
	 * Carlo quantile x of level q has P(S <= x) within a few
	 * sqrt(q (1 - q) / draws) of q.  Checked through the exact CDF on a
	 * fine grid, with 5 standard errors of slack plus the grid's bound. */
	enum { N = 300, DRAWS = 100000 };
	static const double levels[] = { .05, .1, .25, .5, .75, .9, .95 };
	const size_t nl = sizeof(levels) / sizeof(levels[0]);
	double *a = malloc(N * sizeof(double)), *p = malloc(N * sizeof(double));
	double qe[7], qm[7], re, rm, *pmf = NULL, bound, shift, step, thr;
	struct kpi_bookings_options o;
	struct kpi_bookings be, bm;
	struct kpi_error err;
	size_t i, size;

	assert_non_null(a);
	assert_non_null(p);
	make_deals(a, p, N, 7);
	kpi_bookings_options_init(&o);
	o.method = KPI_BOOKINGS_EXACT;
	o.tolerance = 0.005;
	o.work_max = 1e10;
	thr = 0;
	for (i = 0; i < N; i++)
		thr += a[i] * p[i];
	thr *= 1.05;		/* a quota a little above the mean */
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, nl, thr, &o, qe,
					      &re, &be, &err), KPI_OK);
	assert_int_equal(be.method, KPI_BOOKINGS_EXACT);
	assert_true(be.error_bound <= 0.005 * be.sd);
	assert_true(be.error_bound > 0);

	o.method = KPI_BOOKINGS_MC;
	o.draws = DRAWS;
	o.seed = 2026;
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, nl, thr, &o, qm,
					      &rm, &bm, &err), KPI_OK);
	assert_int_equal(bm.method, KPI_BOOKINGS_MC);
	assert_close(bm.mean, be.mean, 0);
	assert_close(bm.sd, be.sd, 0);

	step = be.step;
	assert_int_equal(kpi_bookings_pmf(a, p, N, step, (size_t)1 << 24, &pmf,
					  &size, &bound, &shift, &err), KPI_OK);
	for (i = 0; i < nl; i++) {
		double se = sqrt(levels[i] * (1 - levels[i]) / DRAWS);
		double lo = cdf_at(pmf, size, step, shift, qm[i] - 2 * bound - 1e-9);
		double hi = cdf_at(pmf, size, step, shift, qm[i] + 2 * bound);

		/* The MC quantile's level under the exact distribution. */
		if (!(hi >= levels[i] - 5 * se && lo <= levels[i] + 5 * se))
			fail_msg("level %g: MC quantile %.2f has exact CDF in [%g, %g]",
				 levels[i], qm[i], lo, hi);
		/* And the two quantiles are close in amount too. */
		assert_true(fabs(qe[i] - qm[i]) < 0.05 * be.sd + be.error_bound);
	}
	assert_close(rm, re, 5 * sqrt(re * (1 - re) / DRAWS) + 1e-3);
	free(pmf);
	free(a);
	free(p);
}

static void
test_bookings_monte_carlo_does_not_depend_on_threads(void **state)
{
	enum { N = 200 };
	static const double levels[] = { .1, .5, .9 };
	double a[N], p[N], q1[3], q3[3], q4[3], r1, r3, r4;
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;

	make_deals(a, p, N, 11);
	kpi_bookings_options_init(&o);
	o.method = KPI_BOOKINGS_MC;
	o.draws = 3 * KPI_BOOKINGS_CHUNK + 17;	/* a short last chunk */
	o.seed = 5;
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, 3, 40000, &o, q1,
					      &r1, &b, &err), KPI_OK);
	o.threads = 3;
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, 3, 40000, &o, q3,
					      &r3, &b, &err), KPI_OK);
	assert_memory_equal(q1, q3, sizeof(q1));
	assert_memory_equal(&r1, &r3, sizeof(r1));
	o.seed = 6;
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, 3, 40000, &o, q4,
					      &r4, &b, &err), KPI_OK);
	assert_true(memcmp(q1, q4, sizeof(q1)) != 0 || r1 != r4);
}

static void
test_bookings_grid_bound_holds(void **state)
{
	/* Amounts in cents: the gcd grid of one cent is too big, so the
	 * tolerance picks a coarse step.  Its quantiles must lie within
	 * error_bound of those of a grid 1000 times finer (itself within its
	 * own, much smaller, bound of the truth). */
	enum { N = 60 };
	static const double levels[] = { .1, .3, .5, .7, .9 };
	double a[N], p[N], q[5], r, *pmf = NULL, bound, shift;
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	size_t i, size;

	make_deals(a, p, N, 3);
	kpi_bookings_options_init(&o);
	o.method = KPI_BOOKINGS_EXACT;
	o.tolerance = 0.05;
	o.grid_max = 100000;
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, 5, NAN, &o, q,
					      &r, &b, &err), KPI_OK);
	assert_true(b.step > 0.01);
	assert_true(b.error_bound <= 0.05 * b.sd);
	assert_nan(r);
	assert_int_equal(kpi_bookings_pmf(a, p, N, b.step / 1000, (size_t)1 << 26,
					  &pmf, &size, &bound, &shift, &err), KPI_OK);
	for (i = 0; i < 5; i++) {
		double c = 0, x = NAN;
		size_t k;

		for (k = 0; k < size; k++) {
			c += pmf[k];
			if (c >= levels[i] - 1e-12) {
				x = (double)k * b.step / 1000 + shift;
				break;
			}
		}
		if (!(fabs(q[i] - x) <= b.error_bound + bound + 1e-6))
			fail_msg("level %g: %.4f vs fine grid %.4f, bound %g",
				 levels[i], q[i], x, b.error_bound);
	}
	free(pmf);
}

/* Amounts off any small decimal grid: the grid of the tolerance rounds
 * them, and a quantile near the ends used to fall outside what the deals
 * can add up to (p10 = -0.0074 here).  By hand, with both deals at 0.5%:
 * P(nothing) = 0.995^2 = 0.990025, so every level up to 0.99 is 0; the
 * largest sum is 4.00000000004.  No quantile lies outside [0, that]. */
static void
test_bookings_quantiles_stay_within_what_deals_add_up_to(void **state)
{
	static const double a[] = { 1.00000000001, 3.00000000003 };
	static const double p[] = { 0.005, 0.005 };
	static const double levels[] = { .1, .5, .9, .99, .999999, .9999999 };
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;
	double q[6], r;
	size_t i;

	(void)state;
	kpi_bookings_options_init(&o);
	o.method = KPI_BOOKINGS_EXACT;
	assert_int_equal(kpi_bookings_compute(a, p, 2, levels, 6, NAN, &o, q,
					      &r, &b, &err), KPI_OK);
	for (i = 0; i < 4; i++)
		assert_double_exact(q[i], 0);
	for (i = 4; i < 6; i++) {
		assert_true(q[i] >= 0 && q[i] <= 4.00000000004);
		assert_close(q[i], 4.00000000004, b.error_bound + 1e-12);
	}
}

static void
test_bookings_auto_falls_back_to_monte_carlo(void **state)
{
	enum { N = 2000 };
	static const double levels[] = { .5 };
	double *a = malloc(N * sizeof(double)), *p = malloc(N * sizeof(double));
	double q[1], r;
	struct kpi_bookings_options o;
	struct kpi_bookings b;
	struct kpi_error err;

	assert_non_null(a);
	assert_non_null(p);
	make_deals(a, p, N, 9);
	kpi_bookings_options_init(&o);
	o.draws = 1000;
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, 1, NAN, &o, q, &r,
					      &b, &err), KPI_OK);
	assert_int_equal(b.method, KPI_BOOKINGS_MC);
	o.method = KPI_BOOKINGS_EXACT;
	o.grid_max = 10000;
	q[0] = -1;
	assert_int_equal(kpi_bookings_compute(a, p, N, levels, 1, NAN, &o, q, &r,
					      &b, &err), KPI_ENOMEM);
	assert_close(q[0], -1, 0);	/* untouched */
	free(a);
	free(p);
}

static void
test_bookings_rejects_bad_input(void **state)
{
	static const double levels[] = { .5 }, bad_level[] = { 1 };
	static const double neg[] = { 100, -1 }, ok[] = { 100, 200 };
	static const double pbad[] = { .5, 1.5 }, pok[] = { .5, .5 };
	double nan_a[] = { 100, NAN };
	struct kpi_bookings_options o;
	struct kpi_bookings b = { 0 };
	struct kpi_error err;
	double q[1] = { -7 }, r = -7;

	kpi_bookings_options_init(&o);
	assert_int_equal(kpi_bookings_compute(neg, pok, 2, levels, 1, 0, &o, q,
					      &r, &b, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "amount"));
	assert_int_equal(kpi_bookings_compute(nan_a, pok, 2, levels, 1, 0, &o,
					      q, &r, &b, &err), KPI_EINVAL);
	assert_int_equal(kpi_bookings_compute(ok, pbad, 2, levels, 1, 0, &o, q,
					      &r, &b, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "probability"));
	assert_int_equal(kpi_bookings_compute(ok, pok, 2, bad_level, 1, 0, &o,
					      q, &r, &b, &err), KPI_EINVAL);
	o.method = KPI_BOOKINGS_MC;
	o.draws = 0;
	assert_int_equal(kpi_bookings_compute(ok, pok, 2, levels, 1, 0, &o, q,
					      &r, &b, &err), KPI_EINVAL);
	assert_close(q[0], -7, 0);
	assert_close(r, -7, 0);
	assert_close(b.mean, 0, 0);
}

/* ==== The report over CSV text ==== */

struct feed {
	struct kpi_pipeline *p;
	struct kpi_csv_header *h;
	int old;		/* 0 deals, 1 old snapshot, 2 probs */
	int rejected;
};

static enum kpi_status
feed_header(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct feed *f = ctx;
	enum kpi_status st = kpi_csv_header_new(&f->h, rec, err);

	if (st != KPI_OK)
		return st;
	switch (f->old) {
	case 1:		return kpi_pipeline_old_header(f->p, f->h, err);
	case 2:		return kpi_pipeline_probs_header(f->p, f->h, err);
	default:	return kpi_pipeline_header(f->p, f->h, err);
	}
}

static enum kpi_status
feed_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct feed *f = ctx;
	enum kpi_status st;

	switch (f->old) {
	case 1:		st = kpi_pipeline_old_add(f->p, rec, err); break;
	case 2:		st = kpi_pipeline_probs_add(f->p, rec, err); break;
	default:	st = kpi_pipeline_add(f->p, rec, err); break;
	}
	if (st == KPI_EPARSE) {		/* as --skip-bad does */
		f->rejected++;
		return KPI_OK;
	}
	return st;
}

/* Feed CSV text to one input of p; the number of rejected records. */
static int
feed(struct kpi_pipeline *p, int which, const char *csv)
{
	struct feed f = { p, NULL, which, 0 };
	struct kpi_error err;
	FILE *in = fmemopen((void *)(uintptr_t)csv, strlen(csv), "r");

	assert_non_null(in);
	if (kpi_csv_read(in, NULL, feed_header, feed_row, &f, &err) != KPI_OK)
		fail_msg("read: %s", err.msg);
	fclose(in);
	kpi_csv_header_free(f.h);
	return f.rejected;
}

static const char *
report(struct kpi_pipeline *p)
{
	static char out[8192];
	struct kpi_csv_writer w;
	struct kpi_error err;
	FILE *o = fmemopen(out, sizeof(out), "w");

	assert_non_null(o);
	kpi_csv_writer_init(&w, o);
	if (kpi_pipeline_write(p, &w, &err) != KPI_OK)
		fail_msg("write: %s", err.msg);
	fclose(o);
	return out;
}

static struct kpi_cli_common test_common;
static const double test_levels[] = { .1, .5, .9 };

static void
report_options(struct kpi_pipeline_options *o)
{
	kpi_cli_common_init(&test_common);
	memset(o, 0, sizeof(*o));
	kpi_bookings_options_init(&o->bookings);
	o->amount_col = "amount";
	o->close_col = "close";
	o->stage_col = "stage";
	o->prob_scale = 100;
	o->every = KPI_PERIOD_QUARTER;
	o->levels = test_levels;
	o->nlevels = 3;
	o->threads = 1;
	o->min_n = 10;
	o->common = &test_common;
}

static const char probs_csv[] =
	"region,stage,closed,won,p_won,p_won_lo,p_won_hi,open\n"
	"East,a,20,4,0.2,0.1,0.4,1\n"
	"East,b,20,10,0.5,0.3,0.7,1\n"
	"East,c,20,14,0.7,0.5,0.9,1\n"
	"West,a,5,1,0.2,0,0.6,1\n";

static void
test_report_three_deals_with_stale_policies(void **state)
{
	/* The hand-computed deals again, per region East, as of 2026-11-16:
	 * the 200 deal was due 2026-11-10, so it is stale. */
	static const char deals[] =
		"id,region,stage,amount,close\n"
		"d1,East,a,100,2026-12-01\n"
		"d2,East,b,200,2026-11-10\n"
		"d3,East,c,400,2026-12-31\n";
	static const char *const groups[] = { "region" };
	static const struct {
		enum kpi_stale_policy policy;
		const char *out;
	} cases[] = {
		{ KPI_STALE_KEEP,
		  "region,period,deals,stale,pipeline,weighted,won,mean,sd,p10,p50,p90,method,error_bound\n"
		  "East,2026-10-01,3,1,700,400,0,400,212.602916254693,0,400,600,exact,0\n" },
		{ KPI_STALE_DROP,
		  "region,period,deals,stale,pipeline,weighted,won,mean,sd,p10,p50,p90,method,error_bound\n"
		  "East,2026-10-01,2,1,500,300,0,300,187.6166303929372,0,400,500,exact,0\n" },
		{ KPI_STALE_NEXT,
		  "region,period,deals,stale,pipeline,weighted,won,mean,sd,p10,p50,p90,method,error_bound\n"
		  "East,2026-10-01,2,0,500,300,0,300,187.6166303929372,0,400,500,exact,0\n"
		  "East,2027-01-01,1,1,200,100,0,100,100,0,0,200,exact,0\n" },
		{ KPI_STALE_CURRENT,
		  "region,period,deals,stale,pipeline,weighted,won,mean,sd,p10,p50,p90,method,error_bound\n"
		  "East,2026-10-01,3,1,700,400,0,400,212.602916254693,0,400,600,exact,0\n" },
	};
	struct kpi_pipeline_options o;
	struct kpi_pipeline *p;
	struct kpi_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		report_options(&o);
		o.id_col = "id";
		o.group_cols = groups;
		o.ngroup = 1;
		o.has_as_of = 1;
		assert_int_equal(kpi_date_parse("2026-11-16", NULL, NULL, &o.as_of,
						&err), KPI_OK);
		o.stale = cases[i].policy;
		assert_int_equal(kpi_pipeline_new(&p, &o, &err), KPI_OK);
		assert_int_equal(feed(p, 2, probs_csv), 0);
		assert_int_equal(feed(p, 0, deals), 0);
		assert_string_equal(report(p), cases[i].out);
		kpi_pipeline_free(p);
	}
}

static void
test_report_rejects_bad_deals_without_trace(void **state)
{
	/* Each bad row is rejected whole; the good ones give the hand case
	 * (without the 200 deal: 100 at .2 and 400 at .7). */
	static const char deals[] =
		"id,region,stage,amount,close\n"
		"d1,East,a,100,2026-12-01\n"
		"x1,East,zz,100,2026-12-01\n"		/* unknown stage */
		"x2,West,a,100,2026-12-01\n"		/* n = 5 < 10 */
		"x3,East,a,-5,2026-12-01\n"		/* negative */
		"x4,East,a,,2026-12-01\n"		/* no amount */
		"x5,East,a,10,2026-13-01\n"		/* bad date */
		"d1,East,b,100,2026-12-01\n"		/* repeated id */
		"d3,East,c,400,2026-12-31\n";
	static const char *const groups[] = { "region" };
	struct kpi_pipeline_options o;
	struct kpi_pipeline *p;
	struct kpi_error err;

	report_options(&o);
	o.id_col = "id";
	o.group_cols = groups;
	o.ngroup = 1;
	o.has_as_of = 1;
	o.as_of = 20000;
	assert_int_equal(kpi_pipeline_new(&p, &o, &err), KPI_OK);
	assert_int_equal(feed(p, 2, probs_csv), 0);
	assert_int_equal(feed(p, 0, deals), 6);
	assert_string_equal(report(p),
		"region,period,deals,stale,pipeline,weighted,won,mean,sd,p10,p50,p90,method,error_bound\n"
		"East,2026-10-01,2,0,500,300,0,300,187.6166303929372,0,400,500,exact,0\n");
	kpi_pipeline_free(p);
}

static void
test_report_names_the_stage_in_probability_errors(void **state)
{
	static const char *const groups[] = { "region" };
	struct kpi_pipeline_options o;
	struct kpi_pipeline *p;
	struct kpi_csv_header *h = NULL;
	struct kpi_error err;
	const char *const hdr[] = { "region", "stage", "amount", "close" };
	const char *const west[] = { "West", "a", "10", "2026-12-01" };
	const char *const gone[] = { "East", "zz", "10", "2026-12-01" };
	struct kpi_csv_record rec = { hdr, 4, 1, "", 0 };

	report_options(&o);
	o.group_cols = groups;
	o.ngroup = 1;
	o.has_as_of = 1;
	assert_int_equal(kpi_pipeline_new(&p, &o, &err), KPI_OK);
	assert_int_equal(feed(p, 2, probs_csv), 0);
	assert_int_equal(kpi_csv_header_new(&h, &rec, &err), KPI_OK);
	assert_int_equal(kpi_pipeline_header(p, h, &err), KPI_OK);
	rec.fields = west;
	assert_int_equal(kpi_pipeline_add(p, &rec, &err), KPI_EPARSE);
	assert_string_equal(err.column, "stage");
	assert_non_null(strstr(err.msg, "stage \"a\" has 5 closed deals"));
	assert_non_null(strstr(err.msg, "region=West"));
	assert_non_null(strstr(err.msg, "--min-n 10"));
	rec.fields = gone;
	assert_int_equal(kpi_pipeline_add(p, &rec, &err), KPI_EPARSE);
	assert_non_null(strstr(err.msg, "stage \"zz\""));
	kpi_csv_header_free(h);
	kpi_pipeline_free(p);
}

static void
test_report_quota_coverage_and_reach(void **state)
{
	/* Quota 900, won 300 to date (the 50 after the as-of date does not
	 * count): remaining 600, coverage 700 / 600, weighted 400 / 600,
	 * P(300 + S >= 900) = P(S >= 600) = .28 + .07 = .35. */
	static const char deals[] =
		"stage,amount,close\n"
		"a,100,2026-12-01\n"
		"b,200,2026-11-20\n"
		"c,400,2026-12-31\n";
	struct kpi_pipeline_options o;
	struct kpi_pipeline *p;
	struct kpi_error err;
	struct kpi_csv_header *h = NULL;

	report_options(&o);
	o.min_n = 0;
	o.has_as_of = 1;
	assert_int_equal(kpi_date_parse("2026-11-16", NULL, NULL, &o.as_of, &err),
			 KPI_OK);
	assert_int_equal(kpi_pipeline_new(&p, &o, &err), KPI_OK);
	assert_int_equal(feed(p, 2, "stage,closed,p_won\na,1,.2\nb,1,.5\nc,1,.7\n"),
			 0);
	/* The side inputs through their own calls. */
	{
		const char *const wh[] = { "close", "amount" };
		const char *const w1[] = { "2026-10-05", "300" };
		const char *const w2[] = { "2026-11-20", "50" };
		const char *const qh[] = { "period", "quota" };
		const char *const q1[] = { "2026-Q4", "900" };
		struct kpi_csv_record rec = { wh, 2, 1, "", 0 };

		assert_int_equal(kpi_csv_header_new(&h, &rec, &err), KPI_OK);
		assert_int_equal(kpi_pipeline_won_header(p, h, &err), KPI_OK);
		kpi_csv_header_free(h);
		rec.fields = w1;
		assert_int_equal(kpi_pipeline_won_add(p, &rec, &err), KPI_OK);
		rec.fields = w2;
		assert_int_equal(kpi_pipeline_won_add(p, &rec, &err), KPI_OK);
		rec.fields = qh;
		assert_int_equal(kpi_csv_header_new(&h, &rec, &err), KPI_OK);
		assert_int_equal(kpi_pipeline_quota_header(p, h, &err), KPI_OK);
		kpi_csv_header_free(h);
		rec.fields = q1;
		assert_int_equal(kpi_pipeline_quota_add(p, &rec, &err), KPI_OK);
	}
	assert_int_equal(feed(p, 0, deals), 0);
	assert_string_equal(report(p),
		"period,deals,stale,pipeline,weighted,won,quota,remaining,coverage,weighted_coverage,mean,sd,p10,p50,p90,p_quota,method,error_bound\n"
		"2026-10-01,3,0,700,400,300,900,600,1.1666666666666667,0.6666666666666666,700,212.602916254693,300,700,900,0.35,exact,0\n");
	kpi_pipeline_free(p);
}

/* ==== The waterfall on generated snapshot pairs ==== */

struct gen_deal {
	int open;		/* in the snapshot and open */
	int closed;		/* 1 won, 2 lost (in the new snapshot) */
	int group, stage, day;
	long amount;
};

static int
write_snapshot(char *buf, size_t size, const struct gen_deal *d, size_t n)
{
	static const char *const groups[] = { "East", "West", "North" };
	static const char *const stages[] = { "s1", "s2", "s3", "s4" };
	size_t i, len = 0;
	int w;

	w = snprintf(buf, size, "id,region,stage,amount,close,prob\n");
	len = (size_t)w;
	for (i = 0; i < n; i++) {
		const char *stage = d[i].closed == 1 ? "Won"
				  : d[i].closed == 2 ? "Lost" : stages[d[i].stage];
		long day = 20454 + d[i].day;	/* from 2026-01-01 */
		char date[KPI_DATE_BUFSZ];

		if (!d[i].open && !d[i].closed)
			continue;
		kpi_date_format_iso(day, date);
		w = snprintf(buf + len, size - len, "D%zu,%s,%s,%ld,%s,%d\n", i,
			     groups[d[i].group], stage, d[i].amount, date,
			     10 + 20 * d[i].stage);
		if (w < 0 || (size_t)w >= size - len)
			return -1;
		len += (size_t)w;
	}
	return 0;
}

static void
check_waterfall(int weighted, uint64_t seed)
{
	enum { N = 400 };
	static const char *const groups[] = { "region" };
	static const char *const order[] = { "s1", "s2", "s3", "s4" };
	static const char *const won[] = { "Won" }, *const lost[] = { "Lost" };
	static struct gen_deal o[N], nw[N];
	static char old_csv[64 * N], new_csv[64 * N];
	struct kpi_pipeline_options opt;
	struct kpi_pipeline *p;
	struct kpi_error err;
	const struct kpi_waterfall_row *rows;
	double open_total = 0, close_total = 0, sum_open = 0, sum_close = 0;
	unsigned long moves[KPI_MOVE_COUNT] = { 0 };
	size_t i, nrows, m;

	/* Old: 300 open deals; new: each kept, changed (group, period,
	 * amount, stage, several at once), won, lost, or gone; 100 new. */
	for (i = 0; i < N; i++) {
		struct gen_deal *a = &o[i], *b = &nw[i];
		unsigned r;

		memset(a, 0, sizeof(*a));
		a->open = i < 300;
		a->group = (int)(lcg(&seed) % 3);
		a->stage = (int)(lcg(&seed) % 4);
		a->day = (int)(lcg(&seed) % 270);
		a->amount = 1000 + (long)(lcg(&seed) % 50) * 500;
		*b = *a;
		if (!a->open) {
			b->open = 1;		/* new */
			continue;
		}
		r = (unsigned)(lcg(&seed) % 16);
		if (r & 1)
			b->amount += (long)(lcg(&seed) % 9) * 250 - 1000;
		if (r & 2)
			b->stage = (int)(lcg(&seed) % 4);
		if (r & 4)
			b->day += (int)(lcg(&seed) % 120) - 40;
		if ((r & 8) && lcg(&seed) % 3 == 0)
			b->group = (b->group + 1) % 3;
		if (b->amount < 0)
			b->amount = 0;
		if (b->day < 0)
			b->day = 0;
		switch (lcg(&seed) % 10) {
		case 0:	b->open = 0; b->closed = 1; break;
		case 1: b->open = 0; b->closed = 2; break;
		case 2: b->open = 0; break;		/* gone */
		}
	}
	assert_int_equal(write_snapshot(old_csv, sizeof(old_csv), o, N), 0);
	assert_int_equal(write_snapshot(new_csv, sizeof(new_csv), nw, N), 0);

	report_options(&opt);
	opt.id_col = "id";
	opt.group_cols = groups;
	opt.ngroup = 1;
	opt.stages = order;
	opt.nstages = 4;
	opt.won_stages = won;
	opt.nwon_stages = 1;
	opt.lost_stages = lost;
	opt.nlost_stages = 1;
	opt.diff = 1;
	opt.weighted = weighted;
	opt.prob_col = weighted ? "prob" : NULL;
	assert_int_equal(kpi_pipeline_new(&p, &opt, &err), KPI_OK);
	assert_int_equal(feed(p, 1, old_csv), 0);
	assert_int_equal(feed(p, 0, new_csv), 0);
	if (kpi_pipeline_finish(p, &err) != KPI_OK)
		fail_msg("finish: %s", err.msg);
	rows = kpi_pipeline_waterfall(p, &nrows);
	assert_true(nrows > 3);

	/* Every row adds up (the engine checks it too), and the rows
	 * together hold exactly the two snapshots' open totals. */
	for (i = 0; i < N; i++) {
		double w_old = weighted ? (10 + 20 * o[i].stage) / 100.0 : 1;
		double w_new = weighted ? (10 + 20 * nw[i].stage) / 100.0 : 1;

		if (o[i].open)
			open_total += (double)o[i].amount * w_old;
		if (nw[i].open)
			close_total += (double)nw[i].amount * w_new;
	}
	for (i = 0; i < nrows; i++) {
		double s = rows[i].opening;
		long deals = (long)rows[i].opening_deals;

		for (m = 0; m < KPI_MOVE_COUNT; m++) {
			s += rows[i].value[m];
			moves[m] += rows[i].deals[m];
		}
		deals += (long)rows[i].deals[KPI_MOVE_NEW] +
			 (long)rows[i].deals[KPI_MOVE_MOVED_IN] +
			 (long)rows[i].deals[KPI_MOVE_PULLED_IN] -
			 (long)rows[i].deals[KPI_MOVE_WON] -
			 (long)rows[i].deals[KPI_MOVE_LOST] -
			 (long)rows[i].deals[KPI_MOVE_MOVED_OUT] -
			 (long)rows[i].deals[KPI_MOVE_PUSHED_OUT];
		assert_close(s, rows[i].closing, 1e-6);
		assert_int_equal(deals, (long)rows[i].closing_deals);
		sum_open += rows[i].opening;
		sum_close += rows[i].closing;
		if (i > 0)
			assert_true(rows[i - 1].group != rows[i].group ||
				    rows[i - 1].period < rows[i].period);
	}
	assert_close(sum_open, open_total, 1e-6);
	assert_close(sum_close, close_total, 1e-6);
	/* Every movement happened, and the flows balance across rows. */
	for (m = 0; m < KPI_MOVE_COUNT; m++)
		if (moves[m] == 0)
			fail_msg("no deal was classified %s", kpi_movement_name(m));
	assert_int_equal(moves[KPI_MOVE_MOVED_IN], moves[KPI_MOVE_MOVED_OUT]);
	assert_int_equal(moves[KPI_MOVE_PULLED_IN], moves[KPI_MOVE_PUSHED_OUT]);
	assert_int_equal(moves[KPI_MOVE_NEW], 100);
	kpi_pipeline_free(p);
}

static void
test_waterfall_adds_up_on_generated_snapshots(void **state)
{
	uint64_t seed;

	for (seed = 1; seed <= 20; seed++)
		check_waterfall(0, seed);
}

static void
test_weighted_waterfall_adds_up_on_generated_snapshots(void **state)
{
	uint64_t seed;

	for (seed = 101; seed <= 120; seed++)
		check_waterfall(1, seed);
}

static void
test_waterfall_classifies_by_precedence(void **state)
{
	/* Hand case, quarters, as-of irrelevant.  A: amount up and stage up
	 * in place -> increased (+500, amount first).  B: stage up only ->
	 * advanced (0).  C: pushed to Q2 with a new amount -> pushed_out
	 * -1000 from Q1, pulled_in +1200 to Q2.  D: other region -> moved.
	 * E: won.  F: lost stage.  G: gone -> lost.  H: new.  I: unchanged. */
	static const char old_csv[] =
		"id,region,stage,amount,close\n"
		"A,East,s1,1000,2026-02-01\n"
		"B,East,s1,1000,2026-02-01\n"
		"C,East,s2,1000,2026-03-01\n"
		"D,East,s2,1000,2026-03-01\n"
		"E,East,s3,1000,2026-03-01\n"
		"F,East,s3,1000,2026-03-01\n"
		"G,East,s3,1000,2026-03-01\n"
		"I,East,s3,1000,2026-03-01\n";
	static const char new_csv[] =
		"id,region,stage,amount,close\n"
		"A,East,s2,1500,2026-02-01\n"
		"B,East,s3,1000,2026-02-01\n"
		"C,East,s2,1200,2026-04-01\n"
		"D,West,s2,1000,2026-03-01\n"
		"E,East,Won,1000,2026-03-01\n"
		"F,East,Lost,1000,2026-03-01\n"
		"H,East,s1,700,2026-03-15\n"
		"I,East,s3,1000,2026-03-01\n";
	static const char *const groups[] = { "region" };
	static const char *const order[] = { "s1", "s2", "s3" };
	static const char *const won[] = { "Won" }, *const lost[] = { "Lost" };
	struct kpi_pipeline_options opt;
	struct kpi_pipeline *p;
	struct kpi_error err;

	report_options(&opt);
	opt.id_col = "id";
	opt.group_cols = groups;
	opt.ngroup = 1;
	opt.stages = order;
	opt.nstages = 3;
	opt.won_stages = won;
	opt.nwon_stages = 1;
	opt.lost_stages = lost;
	opt.nlost_stages = 1;
	opt.diff = 1;
	assert_int_equal(kpi_pipeline_new(&p, &opt, &err), KPI_OK);
	assert_int_equal(feed(p, 1, old_csv), 0);
	assert_int_equal(feed(p, 0, new_csv), 0);
	assert_string_equal(report(p),
		"region,period,opening_deals,opening,new_deals,new,won_deals,won,lost_deals,lost,moved_in_deals,moved_in,moved_out_deals,moved_out,pulled_in_deals,pulled_in,pushed_out_deals,pushed_out,increased_deals,increased,decreased_deals,decreased,advanced_deals,advanced,regressed_deals,regressed,closing_deals,closing\n"
		"East,2026-01-01,8,8000,1,700,1,-1000,2,-2000,0,0,1,-1000,0,0,1,-1000,1,500,0,0,1,0,0,0,4,4200\n"
		"East,2026-04-01,0,0,0,0,0,0,0,0,0,0,0,0,1,1200,0,0,0,0,0,0,0,0,0,0,1,1200\n"
		"West,2026-01-01,0,0,0,0,0,0,0,0,1,1000,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1000\n");
	kpi_pipeline_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bookings_pmf_three_deals_has_eight_outcomes),
		cmocka_unit_test(test_bookings_three_deals_quantiles_and_reach),
		cmocka_unit_test(test_bookings_decimal_amounts_are_exact),
		cmocka_unit_test(test_bookings_certain_deals_shift_the_distribution),
		cmocka_unit_test(test_bookings_sd_of_huge_amounts_is_finite),
		cmocka_unit_test(test_bookings_point_mass_without_uncertain_deals),
		cmocka_unit_test(test_bookings_monte_carlo_three_deals),
		cmocka_unit_test(test_bookings_exact_agrees_with_monte_carlo),
		cmocka_unit_test(test_bookings_monte_carlo_does_not_depend_on_threads),
		cmocka_unit_test(test_bookings_grid_bound_holds),
		cmocka_unit_test(test_bookings_quantiles_stay_within_what_deals_add_up_to),
		cmocka_unit_test(test_bookings_auto_falls_back_to_monte_carlo),
		cmocka_unit_test(test_bookings_rejects_bad_input),
		cmocka_unit_test(test_report_three_deals_with_stale_policies),
		cmocka_unit_test(test_report_rejects_bad_deals_without_trace),
		cmocka_unit_test(test_report_names_the_stage_in_probability_errors),
		cmocka_unit_test(test_report_quota_coverage_and_reach),
		cmocka_unit_test(test_waterfall_adds_up_on_generated_snapshots),
		cmocka_unit_test(test_weighted_waterfall_adds_up_on_generated_snapshots),
		cmocka_unit_test(test_waterfall_classifies_by_precedence),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
