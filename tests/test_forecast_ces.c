/* test_forecast_ces.c - unit tests for forecast-ces.c, Complex Exponential
 * Smoothing.
 *
 * R's smooth package (auto.ces) is not installed here, so the reference
 * values come from tests/reference/ces.R, an independent R transcription of
 * the model of Svetunkov, Kourentzes & Ord (2022) with the estimation that
 * kpi-forecast(1) documents (R 4.2.2 optim(), printed with options(digits
 * = 15)); its interval bounds come from finite differences of the forecast
 * path, not from the C code's recursion of deviations.  The R call is next
 * to each case: r <- ces_ref(y, m, h) (95% bounds).  The series are R's
 * datasets (testdata/ts/). */
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
	s.method = KPI_FC_CES;
	s.m = m;
	s.horizon = h;
	s.levels[0] = 0.95;
	s.nlevels = 1;
	memset(r, 0, sizeof(*r));
	kpi_error_clear(err);
	return kpi_forecast(y, n, &s, r, err);
}

static void
fit(const char *name, int m, int h, struct kpi_fc_result *r)
{
	struct kpi_error err;
	double *y;
	size_t n;

	y = load_series(name, &n);
	if (run(y, n, m, h, r, &err) != KPI_OK)
		fail_msg("ces on %s: %s", name, err.msg);
	assert_int_equal(r->h, h);
	assert_int_equal(r->n, n);
	free(y);
}

/* ces_ref(Nile, 1, 5): non-seasonal, so form N only. */
static void
test_ces_nile_matches_reference(void **state)
{
	static const double mean[5] = {
		800.189305623951, 797.516711752848, 794.131580488003,
		790.912671022737, 787.674817948654,
	};
	struct kpi_fc_result r;
	size_t i;

	(void)state;
	fit("nile-years", 1, 5, &r);
	assert_string_equal(r.model, "CES(N)");
	assert_rel(param(&r, "a0"), 1.214724063621794, 1e-8);
	assert_rel(param(&r, "a1"), 0.995052418904584, 1e-8);
	assert_rel(r.aicc, 1280.79575390123, 1e-10);
	assert_rel(sqrt(r.sigma2), 143.149793637414, 1e-9);
	for (i = 0; i < 5; i++)
		assert_rel(r.mean[i], mean[i], 1e-9);
	assert_rel(r.lo[0], 519.620865700280, 1e-9);
	assert_rel(r.hi[0], 1080.75774554762, 1e-9);
	assert_rel(r.lo[4], 482.966496203528, 1e-9);
	assert_rel(r.hi[4], 1092.38313969378, 1e-9);
	kpi_fc_result_free(&r);
}

/* ces_ref(AirPassengers, 12, 12): AICc of N, S, P, F 1426.843,
 * 1252.126, 1128.186, 1113.700, so the full form F. */
static void
test_ces_airpassengers_chooses_full_form(void **state)
{
	struct kpi_fc_result r;
	size_t i;

	(void)state;
	fit("airpassengers-dates", 12, 12, &r);
	assert_string_equal(r.model, "CES(F)");
	assert_rel(param(&r, "a0"), 1.33522073846484, 1e-7);
	assert_rel(param(&r, "a1"), 1.00930513493219, 1e-7);
	assert_rel(param(&r, "b0"), 1.74667473975205, 1e-7);
	assert_rel(param(&r, "b1"), 1.11972667657874, 1e-7);
	assert_rel(r.aicc, 1113.7001946585, 1e-10);
	assert_rel(sqrt(r.sigma2), 11.3127406984096, 1e-9);
	assert_rel(r.mean[0], 452.677657347704, 1e-9);
	assert_rel(r.mean[6], 668.462643766923, 1e-9);
	assert_rel(r.mean[11], 481.198371805704, 1e-9);
	assert_rel(r.lo[0], 430.505093012380, 1e-9);
	assert_rel(r.hi[11], 515.260987335512, 1e-9);
	assert_rel(r.lo[11], 447.135756275895, 1e-9);
	for (i = 0; i < 144; i++)
		assert_true(isfinite(r.fitted[i]));
	kpi_fc_result_free(&r);
}

/* ces_ref(USAccDeaths, 12, 6) and ces_ref(UKgas, 4, 8): P again, with b0
 * near its lower bound and a0 near 1. */
static void
test_ces_monthly_and_quarterly_match_reference(void **state)
{
	struct kpi_fc_result r;

	(void)state;
	fit("usaccdeaths-dates", 12, 6, &r);
	assert_string_equal(r.model, "CES(P)");
	assert_rel(param(&r, "a0"), 1.555155761240071, 1e-8);
	assert_rel(param(&r, "b0"), 0.100179233833481, 1e-7);
	assert_rel(r.mean[0], 8265.99158135567, 1e-9);
	assert_rel(r.mean[5], 9859.73018455307, 1e-9);
	assert_rel(r.lo[5], 9018.58812516835, 1e-9);
	assert_rel(r.hi[5], 10700.87224393780, 1e-9);
	kpi_fc_result_free(&r);

	fit("ukgas-dates", 4, 8, &r);
	assert_string_equal(r.model, "CES(P)");
	assert_rel(param(&r, "a0"), 0.999950924771174, 1e-8);
	assert_rel(r.aicc, 1075.15547371559, 1e-10);
	assert_rel(r.mean[0], 1201.925058974936, 1e-9);
	assert_rel(r.mean[7], 853.529509788965, 1e-9);
	assert_rel(r.lo[7], 756.169696498181, 1e-9);
	assert_rel(r.hi[0], 1269.067052906886, 1e-9);
	kpi_fc_result_free(&r);
}

/* ces_ref(WWWusage, 1, 5): a0 = 2.05 goes past statsforecast's box bound
 * (1.8), which the admissible region does not have; the complex pair
 * stays stable: the discount matrix [[1 - a0 + a1, a1 - 1], [1 - a0 - a1,
 * 1 - a0]] has trace tr and determinant det with |tr| < 1 + det < 2. */
static void
test_ces_parameters_stay_admissible(void **state)
{
	struct kpi_fc_result r;
	double a0, a1, tr, det;

	(void)state;
	fit("wwwusage", 1, 5, &r);
	a0 = param(&r, "a0");
	a1 = param(&r, "a1");
	assert_rel(a0, 2.05114404433982, 1e-7);
	assert_rel(a1, 1.02641224126977, 1e-7);
	tr = (1 - a0 + a1) + (1 - a0);
	det = (1 - a0 + a1) * (1 - a0) - (a1 - 1) * (1 - a0 - a1);
	assert_true(fabs(tr) < 1 + det && det < 1);
	assert_rel(r.aicc, 631.057712247494, 1e-10);
	assert_rel(r.mean[0], 222.194359955248, 1e-9);
	assert_rel(r.mean[4], 233.758936424623, 1e-9);
	assert_rel(r.lo[4], 207.828763262784, 1e-9);
	assert_rel(r.hi[4], 259.689109586462, 1e-9);
	kpi_fc_result_free(&r);
}

/* Short series: three values are refused; a seasonal period with fewer
 * than two seasons leaves only the non-seasonal form. */
static void
test_ces_short_series(void **state)
{
	static const double y[] = { 3, 5, 4, 6, 7, 6, 8, 9, 8, 10 };
	struct kpi_fc_result r;
	struct kpi_error err;

	(void)state;
	assert_int_equal(run(y, 3, 1, 2, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "at least 4"));
	assert_int_equal(run(y, 10, 12, 3, &r, &err), KPI_OK);
	assert_string_equal(r.model, "CES(N)");
	kpi_fc_result_free(&r);
}

/* A constant series: whatever the parameters, the backcast passes settle
 * the states on the constant, so the forecast is that constant (to 1e-6)
 * with bounds around it; all zeros (an SSE of exactly 0) stay finite. */
static void
test_ces_constant_series(void **state)
{
	double y[24];
	struct kpi_fc_result r;
	struct kpi_error err;
	size_t i;

	(void)state;
	for (i = 0; i < 24; i++)
		y[i] = 5.0;
	assert_int_equal(run(y, 24, 4, 3, &r, &err), KPI_OK);
	for (i = 0; i < 3; i++) {
		assert_close(r.mean[i], 5.0, 1e-6);
		assert_true(r.lo[i] <= r.mean[i] && r.mean[i] <= r.hi[i]);
	}
	kpi_fc_result_free(&r);
	for (i = 0; i < 24; i++)
		y[i] = 0.0;
	assert_int_equal(run(y, 24, 1, 3, &r, &err), KPI_OK);
	for (i = 0; i < 3; i++)
		assert_close(r.mean[i], 0.0, 1e-12);
	kpi_fc_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ces_nile_matches_reference),
		cmocka_unit_test(test_ces_airpassengers_chooses_full_form),
		cmocka_unit_test(test_ces_monthly_and_quarterly_match_reference),
		cmocka_unit_test(test_ces_parameters_stay_admissible),
		cmocka_unit_test(test_ces_short_series),
		cmocka_unit_test(test_ces_constant_series),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
