/* test_forecast_auto.c - unit tests for forecast-auto.c, the combination
 * behind -m auto.
 *
 * Each member is checked against R in its own test file; here the
 * reference is the rule of kpi-forecast(1), worked out in the test from
 * the members fitted one by one: the point forecast is the mean of the
 * six members' forecasts without the highest and the lowest, each bound
 * the envelope of the members' bounds (without the damped trend's on a
 * seasonal series), widened to hold the point forecast. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "test-series.h"

#include "kpi/error.h"
#include "kpi/forecast.h"

static const enum kpi_fc_method members[] = {
	KPI_FC_ETS, KPI_FC_THETA, KPI_FC_ARIMA, KPI_FC_DOTM, KPI_FC_CES,
	KPI_FC_DAMPED,
};
#define NMEMBERS (sizeof(members) / sizeof(members[0]))

static void
fit(const double *y, size_t n, enum kpi_fc_method method, int m, int h,
    struct kpi_fc_result *r)
{
	struct kpi_fc_spec s;
	struct kpi_error err;

	kpi_fc_spec_init(&s);
	s.method = method;
	s.m = m;
	s.horizon = h;
	memset(r, 0, sizeof(*r));
	if (kpi_forecast(y, n, &s, r, &err) != KPI_OK)
		fail_msg("%s: %s", kpi_fc_method_name(method), err.msg);
}

/* The mean of x[0..5] without its highest and its lowest value. */
static double
trimmed_mean_of_six(const double *x)
{
	double lo = x[0], hi = x[0], sum = 0;
	size_t i;

	for (i = 0; i < 6; i++) {
		sum += x[i];
		lo = fmin(lo, x[i]);
		hi = fmax(hi, x[i]);
	}
	return (sum - lo - hi) / 4.0;
}

/* Fit auto and its members to the series and compare auto with the rule
 * step by step; return through *damped_outside how many bounds of the
 * damped trend lie outside auto's interval. */
static void
check_rule(const char *name, int m, int h, size_t *damped_outside)
{
	struct kpi_fc_result fit_of[NMEMBERS], r;
	size_t n, i, j, l;
	double *y, x[NMEMBERS];

	y = load_series(name, &n);
	for (j = 0; j < NMEMBERS; j++)
		fit(y, n, members[j], m, h, &fit_of[j]);
	fit(y, n, KPI_FC_AUTO, m, h, &r);
	assert_int_equal(param(&r, "members"), 6);
	assert_memory_equal(r.model, "Trimmed(ETS(", 12);
	assert_non_null(strstr(r.model, ",ETS(A,Ad,N))"));
	*damped_outside = 0;
	for (i = 0; i < (size_t)h; i++) {
		for (j = 0; j < NMEMBERS; j++)
			x[j] = fit_of[j].mean[i];
		assert_rel(r.mean[i], trimmed_mean_of_six(x), 1e-12);
		for (l = 0; l < r.nlevels; l++) {
			size_t at = l * (size_t)h + i;
			size_t last = m > 1 ? NMEMBERS - 1 : NMEMBERS;
			double lo = r.mean[i], hi = r.mean[i];

			for (j = 0; j < last; j++) {
				lo = fmin(lo, fit_of[j].lo[at]);
				hi = fmax(hi, fit_of[j].hi[at]);
			}
			assert_true(r.lo[at] == lo);
			assert_true(r.hi[at] == hi);
			*damped_outside += (fit_of[5].lo[at] < lo) +
					   (fit_of[5].hi[at] > hi);
		}
	}
	for (j = 0; j < NMEMBERS; j++)
		kpi_fc_result_free(&fit_of[j]);
	kpi_fc_result_free(&r);
	free(y);
}

/* USAccDeaths, monthly (m = 12): the damped trend's point forecasts count,
 * its bounds do not, and they would have widened the interval. */
static void
test_seasonal_series_leaves_out_damped_bounds(void **state)
{
	size_t outside;

	(void)state;
	check_rule("usaccdeaths-dates", 12, 18, &outside);
	assert_true(outside > 0);
}

/* The Nile (m = 1): all six intervals make the envelope. */
static void
test_nonseasonal_series_takes_every_bound(void **state)
{
	size_t outside;

	(void)state;
	check_rule("nile-years", 1, 10, &outside);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seasonal_series_leaves_out_damped_bounds),
		cmocka_unit_test(test_nonseasonal_series_takes_every_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
