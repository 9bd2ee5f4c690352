/* test_forecast_adjust.c - unit tests for forecast-adjust.c, any method
 * fitted to the seasonally adjusted series (--seasonal-adjust).
 *
 * The reference is R 4.2.2 with forecast 8.20, printed with digits = 15:
 * thetaf()'s seasonality test, decompose(y, "multiplicative"), the method
 * fitted to y / dec$seasonal and its forecasts multiplied by dec$figure
 * of their period, as in
 *
 *   dec <- decompose(y, type = "multiplicative")
 *   fit <- ets(y / dec$seasonal, "AAN", damped = TRUE)
 *   fc <- forecast(fit, h = h, level = c(80, 95))
 *   idx <- dec$figure[((n + 0:(h - 1)) %% m) + 1]
 *   fc$mean * idx; fc$lower[, 1] * idx; fc$upper[, 2] * idx
 *
 * The series are R's datasets (testdata/ts/). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "test-series.h"

#include "kpi/error.h"
#include "kpi/forecast.h"

static enum kpi_status
run(const double *y, size_t n, enum kpi_fc_method method, int m, int h,
    int adjust, struct kpi_fc_result *r, struct kpi_error *err)
{
	struct kpi_fc_spec s;

	kpi_fc_spec_init(&s);
	s.method = method;
	s.m = m;
	s.horizon = h;
	s.seasonal_adjust = adjust;
	memset(r, 0, sizeof(*r));
	kpi_error_clear(err);
	return kpi_forecast(y, n, &s, r, err);
}

static void
fit(const double *y, size_t n, enum kpi_fc_method method, int m, int h,
    int adjust, struct kpi_fc_result *r)
{
	struct kpi_error err;

	if (run(y, n, method, m, h, adjust, r, &err) != KPI_OK)
		fail_msg("%s: %s", kpi_fc_method_name(method), err.msg);
	assert_int_equal(r->h, h);
	assert_int_equal(r->n, n);
}

/* Bit for bit: the same doubles. */
static void
assert_same_values(const double *a, const double *b, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++)
		assert_double_exact(a[i], b[i]);
}

static void
assert_same_result(const struct kpi_fc_result *a,
		   const struct kpi_fc_result *b)
{
	size_t h = (size_t)b->h;

	assert_string_equal(a->model, b->model);
	assert_int_equal(a->h, b->h);
	assert_same_values(a->mean, b->mean, h);
	assert_same_values(a->lo, b->lo, b->nlevels * h);
	assert_same_values(a->hi, b->hi, b->nlevels * h);
	assert_same_values(a->fitted, b->fitted, b->n);
}

/* USAccDeaths (m = 12, n = 72): the test passes (|r12| / se > 1.645).
 * R, as above with h = 6: alpha 0.523927576775088, beta
 * 0.000100276415105034, phi 0.972463359352979, l 9975.04091408095,
 * b -19.5833324833156; fitted values of the first three months
 * (fitted(fit) * dec$seasonal) 9037.81383062939 8180.71765218434
 * 9012.60453016542. */
static void
test_damped_usaccdeaths_matches_r(void **state)
{
	static const double mean[] = {
		8266.00544905835, 7507.50955966797, 8323.77186223702,
		8559.20533581098, 9459.47645994016, 9884.76647020352,
	};
	static const double lo80[] = {
		7958.36230212832, 7191.97329660321, 7937.96861567367,
		8128.63535005502, 8948.89641029744, 9317.22400825868,
	};
	static const double hi95[] = {
		8736.50504055717, 7990.08063058738, 8913.80701081213,
		9217.70530381422, 10240.34126119312, 10752.74776336075,
	};
	static const double fitted[] = {
		9037.81383062939, 8180.71765218434, 9012.60453016542,
	};
	struct kpi_fc_result r;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("usaccdeaths-dates", &n);
	fit(y, n, KPI_FC_DAMPED, 12, 6, 1, &r);
	assert_string_equal(r.model, "ETS(A,Ad,N) (seasonally adjusted)");
	assert_rel(param(&r, "alpha"), 0.523927576775088, 1e-6);
	assert_rel(param(&r, "phi"), 0.972463359352979, 1e-6);
	assert_rel(param(&r, "l0"), 9975.04091408095, 1e-8);
	assert_rel(param(&r, "b0"), -19.5833324833156, 1e-6);
	for (i = 0; i < 6; i++) {
		assert_rel(r.mean[i], mean[i], 1e-9);
		assert_rel(r.lo[i], lo80[i], 1e-9);
		assert_rel(r.hi[6 + i], hi95[i], 1e-9);
	}
	for (i = 0; i < 3; i++)
		assert_rel(r.fitted[i], fitted[i], 1e-9);
	kpi_fc_result_free(&r);
	free(y);
}

/* UKgas (m = 4, n = 108), as above with h = 8: alpha 0.0266265698118507,
 * beta 0.0266264849221931, phi 0.979999154462635; dec$figure 1.453710655826259
 * 0.955932592312157 0.558444080734706 1.031912671126878. */
static void
test_damped_ukgas_matches_r(void **state)
{
	static const double mean[] = {
		970.480357170918, 651.247204974512, 387.937650254377,
		730.402966663627, 1047.675778799819, 700.994164203982,
		416.417957074221, 781.977299419968,
	};
	static const double lo80[] = {
		839.643578207339, 565.091934149996, 337.453203989989,
		636.623486800489, 914.507804866685, 612.454571562033,
		363.946898156971, 683.279163068343,
	};
	static const double hi95[] = {
		1170.577943187966, 783.010321211343, 465.146948044590,
		873.826304406998, 1251.338619859357, 836.403785985626,
		496.665516730383, 932.923073114375,
	};
	struct kpi_fc_result r;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("ukgas-dates", &n);
	fit(y, n, KPI_FC_DAMPED, 4, 8, 1, &r);
	assert_rel(param(&r, "alpha"), 0.0266265698118507, 1e-6);
	assert_rel(param(&r, "phi"), 0.979999154462635, 1e-6);
	for (i = 0; i < 8; i++) {
		assert_rel(r.mean[i], mean[i], 1e-9);
		assert_rel(r.lo[i], lo80[i], 1e-9);
		assert_rel(r.hi[8 + i], hi95[i], 1e-9);
	}
	kpi_fc_result_free(&r);
	free(y);
}

/* NAIVE2 of the M3 competition: snaive never sees the season, so it is
 * the naive forecast of the adjusted series, the last value 9240 over its
 * December index 0.993829664834845 times the index of each month ahead.
 * R: naive(y / dec$seasonal, h = 6) times idx: 8439.92634001820
 * 7667.49215965115 8503.32874399672 8746.02192019771 9668.28793033470
 * 10105.35023757144; upper 95% 8940.63311607313 ... 11573.84299110455. */
static void
test_snaive_adjusted_is_naive2(void **state)
{
	static const double mean[] = {
		8439.92634001820, 7667.49215965115, 8503.32874399672,
		8746.02192019771, 9668.28793033470, 10105.35023757144,
	};
	static const double hi95[] = {
		8940.63311607313, 8310.79156630346, 9377.09327098464,
		9783.75430376220, 10950.85294791329, 11573.84299110455,
	};
	struct kpi_fc_result r;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("usaccdeaths-dates", &n);
	fit(y, n, KPI_FC_SNAIVE, 12, 6, 1, &r);
	for (i = 0; i < 6; i++) {
		assert_rel(r.mean[i], mean[i], 1e-12);
		assert_rel(r.hi[6 + i], hi95[i], 1e-12);
	}
	/* By hand, from R's figure: 9240 / 0.993829664834845 x
	 * 0.907775883737129 (January). */
	assert_rel(r.mean[0], 9240 / 0.993829664834845 * 0.907775883737129,
		   1e-12);
	kpi_fc_result_free(&r);
	free(y);
}

/* Without a season to remove, the method is fitted as it is, with m = 1:
 * non-seasonal data (Nile, m = 1), a seasonal period whose test fails (the
 * Nile at m = 6: R's acf() gives |r6| / se = 1.523 < 1.645), and a series
 * with a value of zero, which multiplicative indices cannot divide. */
static void
test_no_season_to_remove_fits_as_is(void **state)
{
	struct kpi_fc_result a, b;
	double *y;
	size_t n;

	(void)state;
	y = load_series("nile-years", &n);
	fit(y, n, KPI_FC_DAMPED, 1, 10, 1, &a);
	fit(y, n, KPI_FC_DAMPED, 1, 10, 0, &b);
	assert_same_result(&a, &b);
	kpi_fc_result_free(&a);
	fit(y, n, KPI_FC_DAMPED, 6, 10, 1, &a);
	assert_same_result(&a, &b);
	kpi_fc_result_free(&a);
	kpi_fc_result_free(&b);
	free(y);

	y = load_series("usaccdeaths-dates", &n);
	y[5] = 0;
	fit(y, n, KPI_FC_SES, 12, 12, 1, &a);
	fit(y, n, KPI_FC_SES, 1, 12, 0, &b);
	assert_same_result(&a, &b);
	assert_null(strstr(a.model, "adjusted"));
	kpi_fc_result_free(&a);
	kpi_fc_result_free(&b);
	free(y);
}

/* A seasonal series near the largest double whose last value is high:
 * the naive forecast of the adjusted series is finite, and putting the
 * season back overflows the peak month ahead (1.7e308 x 1.0 / 0.8 by the
 * ratio of the indices).  That is an error naming the step, not an
 * infinite forecast. */
static void
test_overflow_when_the_season_comes_back(void **state)
{
	double y[48];
	struct kpi_fc_result r;
	struct kpi_error err;
	size_t t;

	(void)state;
	for (t = 0; t < 48; t++)
		y[t] = t % 12 == 6 ? 1.7e308 : 0.8e308;
	y[47] = 1.0e308;
	assert_int_equal(run(y, 48, KPI_FC_NAIVE, 12, 12, 1, &r, &err),
			 KPI_ENUMERIC);
	assert_non_null(strstr(err.msg, "7 steps ahead overflows"));
	assert_null(r.mean);
	/* A million times smaller, it fits, with the season back. */
	for (t = 0; t < 48; t++)
		y[t] /= 1e6;
	assert_int_equal(run(y, 48, KPI_FC_NAIVE, 12, 12, 1, &r, &err),
			 KPI_OK);
	assert_string_equal(r.model, "Naive (seasonally adjusted)");
	assert_true(isfinite(r.mean[6]) && r.mean[6] > y[42]);
	kpi_fc_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_damped_usaccdeaths_matches_r),
		cmocka_unit_test(test_damped_ukgas_matches_r),
		cmocka_unit_test(test_snaive_adjusted_is_naive2),
		cmocka_unit_test(test_no_season_to_remove_fits_as_is),
		cmocka_unit_test(test_overflow_when_the_season_comes_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
