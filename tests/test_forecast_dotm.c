/* test_forecast_dotm.c - unit tests for forecast-dotm.c, the Dynamic
 * Optimised Theta Model.
 *
 * forecTheta (the authors' R package) is not installed here, so the
 * reference values come from tests/reference/dotm.R, an independent R
 * transcription of the model of Fiorucci et al. (2016) fitted as
 * forecTheta::dotm() fits it (R 4.2.2 optim(), printed with
 * options(digits = 15)); its interval bounds come from finite differences
 * of the forecast path, not from the C code's linearised recursion.  The R
 * call is next to each case.  The series are R's datasets (testdata/ts/). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "test-series.h"

#include "kpi/error.h"
#include "kpi/forecast.h"

/* The Nelder-Mead path is R's, so only the last digits differ. */
static enum kpi_status
run(const double *y, size_t n, int m, int h, struct kpi_fc_result *r,
    struct kpi_error *err)
{
	struct kpi_fc_spec s;

	kpi_fc_spec_init(&s);
	s.method = KPI_FC_DOTM;
	s.m = m;
	s.horizon = h;
	memset(r, 0, sizeof(*r));
	kpi_error_clear(err);
	return kpi_forecast(y, n, &s, r, err);
}

static void
fit(const double *y, size_t n, int m, int h, struct kpi_fc_result *r)
{
	struct kpi_error err;

	if (run(y, n, m, h, r, &err) != KPI_OK)
		fail_msg("dotm: %s", err.msg);
	assert_int_equal(r->h, h);
	assert_int_equal(r->n, n);
}

/* dotm_ref(Nile, 5, FALSE); dotm_bounds(Nile, 5, FALSE, 0.80 and 0.95):
 * non-seasonal; theta ends on its lower bound 1 (no trend line). */
static void
test_dotm_nile_matches_reference(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n;

	(void)state;
	y = load_series("nile-years", &n);
	fit(y, n, 1, 5, &r);
	assert_rel(param(&r, "l0"), 1051.164567959499209, 1e-8);
	assert_rel(param(&r, "alpha"), 0.246686716727056, 1e-8);
	assert_rel(param(&r, "theta"), 1.000000634426515, 1e-8);
	assert_rel(sqrt(r.sigma2), 144.308669013277, 1e-8);
	assert_rel(r.mean[0], 804.995826560400, 1e-9);
	assert_rel(r.mean[4], 804.995819871977, 1e-9);
	assert_rel(r.lo[0], 620.056825864778, 1e-9);		/* 80% */
	assert_rel(r.hi[4], 1011.218757038589, 1e-9);
	assert_rel(r.lo[5 + 0], 522.156032637467, 1e-9);	/* 95% */
	assert_rel(r.hi[5 + 0], 1087.835620483334, 1e-9);
	assert_rel(r.lo[5 + 4], 489.605054100594, 1e-9);
	assert_rel(r.hi[5 + 4], 1120.386585643359, 1e-9);
	assert_string_equal(r.model, "DOTM");
	kpi_fc_result_free(&r);
	free(y);
}

/* dotm_ref(AirPassengers, 12, TRUE), dotm_bounds(..., 0.80 and 0.95):
 * seasonal at 90%, so fitted to the multiplicatively adjusted series. */
static void
test_dotm_airpassengers_matches_reference(void **state)
{
	static const double mean[12] = {
		442.972472571045, 432.358330090005, 495.569034766955,
		482.676954440139, 487.986063620167, 556.278076413487,
		616.417940400460, 616.326104709993, 538.610398796840,
		470.608108957577, 411.185626456021, 463.703374133340,
	};
	struct kpi_fc_result r;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("airpassengers-dates", &n);
	fit(y, n, 12, 12, &r);
	assert_rel(param(&r, "l0"), -181.79170577696286, 1e-8);
	assert_rel(param(&r, "alpha"), 0.72312626869841, 1e-8);
	assert_rel(param(&r, "theta"), 238.27326296531606, 1e-7);
	for (i = 0; i < 12; i++)
		assert_rel(r.mean[i], mean[i], 1e-9);
	assert_rel(r.lo[0], 430.965818996684, 1e-9);		/* 80% */
	assert_rel(r.hi[0], 454.979126145406, 1e-9);
	assert_rel(r.lo[11], 432.695790671636, 1e-9);
	assert_rel(r.hi[11], 494.710957595045, 1e-9);
	assert_rel(r.lo[12 + 0], 424.609880527706, 1e-9);	/* 95% */
	assert_rel(r.hi[12 + 11], 511.125380759141, 1e-9);
	assert_string_equal(r.model, "DOTM (seasonally adjusted)");
	for (i = 0; i < n; i++)
		assert_true(isfinite(r.fitted[i]));
	kpi_fc_result_free(&r);
	free(y);
}

/* dotm_ref(USAccDeaths, 24, TRUE) (monthly, forecast past one season)
 * and dotm_ref(UKgas, 8, TRUE) (quarterly; theta very large, the trend
 * line nearly alone), with their 95% bounds. */
static void
test_dotm_monthly_and_quarterly_match_reference(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n;

	(void)state;
	y = load_series("usaccdeaths-dates", &n);
	fit(y, n, 12, 24, &r);
	assert_rel(param(&r, "l0"), 7697.039449329833587, 1e-8);
	assert_rel(param(&r, "alpha"), 0.531767996175233, 1e-8);
	assert_rel(param(&r, "theta"), 1.214972101544061, 1e-8);
	assert_rel(r.mean[0], 8269.70770103741, 1e-9);
	assert_rel(r.mean[12], 8256.40571005835, 1e-9);
	assert_rel(r.mean[23], 9034.17143212641, 1e-9);
	assert_rel(r.lo[24 + 0], 7803.92342438527, 1e-9);
	assert_rel(r.hi[24 + 0], 8735.49197768955, 1e-9);
	assert_rel(r.lo[24 + 23], 7620.18528616362, 1e-9);
	assert_rel(r.hi[24 + 23], 10448.15757808919, 1e-9);
	kpi_fc_result_free(&r);
	free(y);

	y = load_series("ukgas-dates", &n);
	fit(y, n, 4, 8, &r);
	assert_rel(param(&r, "alpha"), 0.125911166935795, 1e-6);
	assert_rel(sqrt(r.sigma2), 71.2807174131386, 1e-8);
	assert_rel(r.mean[0], 991.708610808195, 1e-8);
	assert_rel(r.mean[1], 657.666152393638, 1e-8);
	assert_rel(r.mean[7], 746.071099852089, 1e-8);
	assert_rel(r.lo[8 + 0], 788.61412740706, 1e-8);
	assert_rel(r.hi[8 + 7], 898.819914218993, 1e-8);
	kpi_fc_result_free(&r);
	free(y);
}

/* dotm_ref(WWWusage, 5, FALSE): alpha ends on its upper bound 0.99. */
static void
test_dotm_alpha_stays_within_bounds(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n;

	(void)state;
	y = load_series("wwwusage", &n);
	fit(y, n, 1, 5, &r);
	assert_rel(param(&r, "alpha"), 0.989999981648989, 1e-8);
	assert_true(param(&r, "alpha") <= 0.99);
	assert_rel(r.mean[0], 220.020401991258, 1e-9);
	assert_rel(r.mean[4], 220.020402052045, 1e-9);
	kpi_fc_result_free(&r);
	free(y);
}

/* Fewer than four values leave no two errors to estimate sigma from. */
static void
test_dotm_refuses_three_values(void **state)
{
	static const double y[] = { 3, 5, 4 };
	struct kpi_fc_result r;
	struct kpi_error err;

	(void)state;
	assert_int_equal(run(y, 3, 1, 2, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "at least 4"));
}

/* A constant series: every error can be made (nearly) zero, so the
 * forecasts are the constant and the intervals collapse onto it (hand
 * calculation: with y_t = c, A_t = c and B_t = 0 for every t, and l_t
 * tends to c).  All zeros must not divide by mean |y| = 0. */
static void
test_dotm_constant_and_zero_series(void **state)
{
	double y[20];
	struct kpi_fc_result r;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		y[i] = 7.0;
	fit(y, 20, 1, 3, &r);
	for (i = 0; i < 3; i++) {
		assert_close(r.mean[i], 7.0, 1e-6);
		assert_close(r.hi[3 + i] - r.lo[3 + i], 0.0, 1e-5);
	}
	kpi_fc_result_free(&r);
	for (i = 0; i < 20; i++)
		y[i] = 0.0;
	fit(y, 20, 4, 6, &r);
	for (i = 0; i < 6; i++) {
		assert_close(r.mean[i], 0.0, 1e-12);
		assert_true(r.lo[6 + i] <= r.lo[i] && r.hi[i] <= r.hi[6 + i]);
	}
	kpi_fc_result_free(&r);
}

/* The bounds widen with the horizon and the 80% interval lies inside the
 * 95% one around the point forecast (a property of any variance that
 * adds a psi^2 term per step). */
static void
test_dotm_intervals_nest_and_widen(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("lakehuron-years", &n);
	fit(y, n, 1, 10, &r);
	for (i = 0; i < 10; i++) {
		assert_true(r.lo[10 + i] < r.lo[i] && r.lo[i] < r.mean[i]);
		assert_true(r.mean[i] < r.hi[i] && r.hi[i] < r.hi[10 + i]);
		if (i > 0)
			assert_true(r.hi[i] - r.lo[i] >=
				    r.hi[i - 1] - r.lo[i - 1]);
	}
	kpi_fc_result_free(&r);
	free(y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dotm_nile_matches_reference),
		cmocka_unit_test(test_dotm_airpassengers_matches_reference),
		cmocka_unit_test(test_dotm_monthly_and_quarterly_match_reference),
		cmocka_unit_test(test_dotm_alpha_stays_within_bounds),
		cmocka_unit_test(test_dotm_refuses_three_values),
		cmocka_unit_test(test_dotm_constant_and_zero_series),
		cmocka_unit_test(test_dotm_intervals_nest_and_widen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
