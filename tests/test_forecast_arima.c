/* test_forecast_arima.c - unit tests for forecast-arima.c: one ARIMA order
 * fitted as stats::arima (CSS-ML) and the automatic choice of
 * forecast::auto.arima.
 *
 * Reference values come from R 4.2.2 with forecast 8.20, printed with
 * options(digits = 15); the R command is next to each case.  The series are
 * R's datasets (testdata/ts/, see testdata/README.md); the tests run in
 * testdata/.
 *
 * Tolerances.  Without differencing the likelihood is the same exact
 * Gaussian likelihood as R's and the numbers agree to about 1e-9.  With
 * differencing R uses a diffuse prior with kappa = 1e6 where this code
 * differences first (the kappa -> infinity limit): coefficients then agree
 * to about 1e-5, log-likelihoods to about 1e-3 on seasonal models, and
 * R's sigma2 carries the d + mD diffuse residuals (about y / 1000 each),
 * which this code leaves out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "test-series.h"

#include "kpi/error.h"
#include "kpi/forecast.h"
#include "../libkpi/forecast-internal.h"

static struct kpi_fc_spec
spec_of(int m, int h)
{
	struct kpi_fc_spec s;

	memset(&s, 0, sizeof(s));
	s.method = KPI_FC_ARIMA;
	s.m = m;
	s.horizon = h;
	s.levels[0] = 0.80;
	s.levels[1] = 0.95;
	s.nlevels = 2;
	return s;
}

/* One R case: coefficients by name, the criteria, and the forecast mean,
 * 80% lower and 95% upper bounds at steps 1 and h. */
struct rcase {
	const char *series;
	int m, h;
	struct kpi_arima_order order;
	const char *model;
	const char *name[4];
	double coef[4];
	double loglik, aicc, sigma2;
	double mean1, lo1, hi1, meanh, loh, hih;
};

static void
check_case(const struct rcase *c, int automatic, double ctol, double ltol,
	   double stol, double ftol)
{
	struct kpi_fc_spec s = spec_of(c->m, c->h);
	struct kpi_fc_result r;
	struct kpi_error err;
	enum kpi_status st;
	double *y;
	size_t n, i, h = (size_t)c->h;

	y = load_series(c->series, &n);
	memset(&r, 0, sizeof(r));
	kpi_error_clear(&err);
	st = automatic ? kpi_fc_arima(y, n, &s, &r, &err)
		       : kpi_fc_arima_order(y, n, &s, &c->order, &r, &err);
	if (st != KPI_OK)
		fail_msg("%s: %s", c->series, err.msg);
	assert_string_equal(r.model, c->model);
	for (i = 0; i < 4 && c->name[i]; i++)
		assert_close(param(&r, c->name[i]), c->coef[i], ctol);
	assert_close(r.loglik, c->loglik, ltol);
	assert_close(r.aicc, c->aicc, ltol);
	assert_rel(r.sigma2, c->sigma2, stol);
	assert_rel(r.mean[0], c->mean1, ftol);
	assert_rel(r.lo[0], c->lo1, ftol);
	assert_rel(r.hi[h + 0], c->hi1, ftol);
	assert_rel(r.mean[h - 1], c->meanh, ftol);
	assert_rel(r.lo[h - 1], c->loh, ftol);
	assert_rel(r.hi[h + h - 1], c->hih, ftol);
	kpi_fc_result_free(&r);
	free(y);
}

/* p <- function(f, h) { fc <- forecast(f, h = h); coef(f);
 *   c(f$loglik, f$aicc, f$sigma2);
 *   cbind(fc$mean, fc$lower[, 1], fc$upper[, 2])[c(1, h), ] }
 * p(Arima(lh, order = c(1, 0, 0)), 5)
 * p(Arima(LakeHuron, order = c(2, 0, 0)), 5)
 * p(Arima(Nile, order = c(1, 0, 1)), 5) */
static void
test_arima_order_without_differencing_matches_r(void **state)
{
	static const struct rcase cases[] = {
		{ "lh", 1, 5, { 1, 0, 0, 0, 0, 0, 1 },
		  "ARIMA(1,0,0) with non-zero mean",
		  { "ar1", "intercept", NULL, NULL },
		  { 0.573929601442579, 2.413287957712350, 0, 0 },
		  -29.379162387371231, 65.303779320197009, 0.206076015575896,
		  2.69262640615980, 2.11085843217201, 3.58236374255045,
		  2.44359651163925, 1.73455316705375, 3.52798472997429 },
		{ "lakehuron-years", 1, 5, { 2, 0, 0, 0, 0, 0, 1 },
		  "ARIMA(2,0,0) with non-zero mean",
		  { "ar1", "ar2", "intercept", NULL },
		  { 1.043613573658439, -0.249497654828762,
		    579.047321605699153, 0 },
		  -103.633222554498658, 215.696552635879044, 0.493941274515472,
		  579.789558883223, 578.888872194163, 581.167040304475,
		  579.228652132832, 577.577393265222, 581.754034643129 },
		{ "nile-years", 1, 5, { 1, 0, 1, 0, 0, 0, 1 },
		  "ARIMA(1,0,1) with non-zero mean",
		  { "ar1", "ma1", "intercept", NULL },
		  { 0.861078277530486, -0.517695408641896,
		    920.556726654820181, 0 },
		  -637.038789206354, 1282.498631044288, 20506.863447540727,
		  800.312607555828, 616.791633655808, 1080.98371664140,
		  854.451716135078, 643.744044321669, 1176.70129166821 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], 0, 1e-6, 1e-6, 1e-6, 1e-8);
}

/* p(Arima(WWWusage, order = c(1, 1, 1), include.drift = TRUE), 5)
 * p(Arima(AirPassengers, order = c(0, 1, 1), seasonal = c(0, 1, 1)), 24)
 * p(Arima(UKgas, order = c(1, 0, 0), seasonal = c(0, 1, 1),
 *         include.drift = TRUE), 8) */
static void
test_arima_order_with_differencing_matches_r(void **state)
{
	static const struct rcase cases[] = {
		{ "wwwusage", 1, 5, { 1, 1, 1, 0, 0, 0, 1 },
		  "ARIMA(1,1,1) with drift",
		  { "ar1", "ma1", "drift", NULL },
		  { 0.634368975342446, 0.529699294905039, 1.120474437631052, 0 },
		  -253.7896552123174, 516.0048423395284, 10.0300598662445,
		  219.157228888954, 215.098520509833, 225.364487699836,
		  220.784521781630, 195.461815163289, 259.512259546852 },
		{ "airpassengers-dates", 12, 24, { 0, 1, 1, 0, 1, 1, 0 },
		  "ARIMA(0,1,1)(0,1,1)[12]",
		  { "ma1", "sma1", NULL, NULL },
		  { -0.308673666075597, -0.107447034926172, 0, 0 },
		  -507.501443240990, 1021.191862859932, 137.524850617982,
		  447.053211074412, 432.024329010124, 470.037902729318,
		  497.281105884658, 418.331356673587, 618.024327774767 },
		{ "ukgas-dates", 4, 8, { 1, 0, 0, 0, 1, 1, 1 },
		  "ARIMA(1,0,0)(0,1,1)[4] with drift",
		  { "ar1", "sma1", "drift", NULL },
		  { 0.00160823908652549, 0.07746883133986061,
		    5.80145545376922112, 0 },
		  -518.945899584214, 1046.295839572468, 1301.003285003757,
		  1190.793782011501, 1144.568956329666, 1261.488552291414,
		  826.841546555371, 758.890350446234, 930.763933028936 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], 0, 2e-5, 2e-4, 2e-5, 2e-6);
}

/* Arima(AirPassengers, order = c(2, 1, 1), seasonal = c(1, 0, 0)) stops
 * with "non-stationary seasonal AR part from CSS"; so does this code. */
static void
test_arima_order_refuses_nonstationary_css_start(void **state)
{
	struct kpi_arima_order o = { 2, 1, 1, 1, 0, 0, 0 };
	struct kpi_fc_spec s = spec_of(12, 6);
	struct kpi_fc_result r, zero;
	struct kpi_error err;
	double *y;
	size_t n;

	(void)state;
	y = load_series("airpassengers-dates", &n);
	memset(&r, 0, sizeof(r));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(kpi_fc_arima_order(y, n, &s, &o, &r, &err),
			 KPI_EINVAL);
	assert_memory_equal(&r, &zero, sizeof(r));
	free(y);
}

/* p <- function(x, h) { f <- auto.arima(x); fc <- forecast(f, h = h);
 *   forecast:::arima.string(f); c(f$loglik, f$aicc, f$sigma2); coef(f);
 *   cbind(fc$mean, fc$lower[, 1], fc$upper[, 2])[c(1, h), ] }
 * p(WWWusage, 10); p(Nile, 5); p(LakeHuron, 5) */
static void
test_auto_arima_nonseasonal_matches_r(void **state)
{
	static const struct rcase cases[] = {
		{ "wwwusage", 1, 10, { 0 }, "ARIMA(1,1,1)",
		  { "ar1", "ma1", NULL, NULL },
		  { 0.650375976231776, 0.525595888951201, 0, 0 },
		  -254.14973578716558, 514.55210315327849, 9.99532520114215,
		  218.880496734650, 214.828822218915, 225.076998179791,
		  216.841337551024, 171.147831427411, 286.723524688444 },
		{ "nile-years", 1, 5, { 0 }, "ARIMA(1,1,1)",
		  { "ar1", "ma1", NULL, NULL },
		  { 0.254371370057013, -0.874136371155902, 0, 0 },
		  -630.627381776019, 1267.507395130986, 20176.914865758492,
		  816.181275939677, 634.142684558093, 1094.58527660327,
		  842.061725375902, 637.958909051265, 1154.21004612606 },
		{ "lakehuron-years", 1, 5, { 0 }, "ARIMA(0,1,0)",
		  { NULL, NULL, NULL, NULL }, { 0, 0, 0, 0 },
		  -109.107879706240197, 220.257864675638302,
		  0.558781861933794,
		  579.96, 579.002018249814, 581.425106655629,
		  579.96, 577.817887685379, 583.236078076275 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], 1, 2e-5, 2e-4, 1e-3, 1e-5);
}

/* p(AirPassengers, 24); p(USAccDeaths, 12); p(UKgas, 8): D = 1 from the
 * STL seasonal strength, d = 1 from KPSS, then the stepwise search. */
static void
test_auto_arima_seasonal_matches_r(void **state)
{
	static const struct rcase cases[] = {
		{ "airpassengers-dates", 12, 24, { 0 },
		  "ARIMA(2,1,1)(0,1,0)[12]",
		  { "ar1", "ar2", "ma1", NULL },
		  { 0.595980706586721, 0.214274553578295, -0.981877169668577,
		    0 },
		  -504.923852561182, 1018.165165439824, 132.344749403784,
		  445.634901393398, 430.890348018975, 468.184749841921,
		  499.858207210924, 459.652927605512, 561.346876206841 },
		{ "usaccdeaths-dates", 12, 12, { 0 },
		  "ARIMA(0,1,1)(0,1,1)[12]",
		  { "ma1", "sma1", NULL, NULL },
		  { -0.430269236217264, -0.552791270185796, 0, 0 },
		  -425.439993553138, 857.316350742639, 102860.268051634557,
		  8336.06126629841, 7924.71204460043, 8965.16561236818,
		  9376.57370691456, 8497.51948675757, 10720.97112196004 },
		{ "ukgas-dates", 4, 8, { 0 }, "ARIMA(0,1,1)(0,1,0)[4]",
		  { "ma1", NULL, NULL, NULL },
		  { -0.929676299866483, 0, 0, 0 },
		  -513.337390135118, 1030.794780270235, 1236.703818615479,
		  1201.895642918702, 1156.827574598088, 1270.821305479661,
		  858.791285837404, 791.644791043498, 961.482987851155 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], 1, 1e-4, 3e-3, 5e-4, 2e-5);
}

/* y <- read.csv("ts/intermittent.csv")$value
 * p(ts(y, frequency = 52), 4): m > 12, so the search runs on CSS fits
 * (auto.arima's approximation) and the best one is refitted by ML. */
static void
test_auto_arima_weekly_approximation_matches_r(void **state)
{
	static const struct rcase c = {
		"intermittent", 52, 4, { 0 }, "ARIMA(0,1,1)",
		{ "ma1", NULL, NULL, NULL }, { -0.830668659128668, 0, 0, 0 },
		-48.922464713822386, 102.094929427644772, 0.397519444596103,
		0.895026540763923, 0.0870192597485577, 2.13076703893363,
		0.895026540763923, 0.0529839715473656, 2.18281952037196,
	};

	(void)state;
	check_case(&c, 1, 1e-5, 1e-5, 1e-5, 1e-5);
}

static void
run_auto(const double *y, size_t n, int m, int h, struct kpi_fc_result *r)
{
	struct kpi_fc_spec s = spec_of(m, h);
	struct kpi_error err;

	memset(r, 0, sizeof(*r));
	kpi_error_clear(&err);
	if (kpi_fc_arima(y, n, &s, r, &err) != KPI_OK)
		fail_msg("kpi_fc_arima: %s", err.msg);
}

/* auto.arima(ts(3 + 2 * (1:20))): ARIMA(0,1,0) with drift 2, forecasts
 * 45 47 49; auto.arima(ts(rep(c(1, 5, 3, 2), 6), frequency = 4)):
 * ARIMA(0,0,0)(0,1,0)[4] with drift 0, forecasts 1 5 3 2;
 * auto.arima(ts(rep(7, 10))): ARIMA(0,0,0) with non-zero mean.  The
 * intervals of the first two come only from R's diffuse residuals: sigma2
 * 4.73683736842579e-07, 95% upper bound 49.0023364309764 at step 3, and
 * 1.94999805000195e-06, 80% lower bound 0.998210411525821 at step 1. */
static void
test_auto_arima_polynomial_and_constant_series(void **state)
{
	static const double cycle[4] = { 1, 5, 3, 2 };
	double line[20], seas[24], flat[10];
	struct kpi_fc_result r;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		line[i] = 3.0 + 2.0 * (double)(i + 1);
	for (i = 0; i < 24; i++)
		seas[i] = cycle[i % 4];
	for (i = 0; i < 10; i++)
		flat[i] = 7.0;

	run_auto(line, 20, 1, 3, &r);
	assert_string_equal(r.model, "ARIMA(0,1,0) with drift");
	assert_close(param(&r, "drift"), 2.0, 1e-12);
	assert_close(r.mean[0], 45.0, 1e-9);
	assert_close(r.mean[2], 49.0, 1e-9);
	assert_rel(r.sigma2, 4.73683736842579e-07, 1e-6);
	assert_close(r.hi[3 + 2], 49.0023364309764, 1e-9);
	kpi_fc_result_free(&r);

	run_auto(seas, 24, 4, 4, &r);
	assert_string_equal(r.model, "ARIMA(0,0,0)(0,1,0)[4] with drift");
	for (i = 0; i < 4; i++)
		assert_close(r.mean[i], cycle[i], 1e-9);
	assert_rel(r.sigma2, 1.94999805000195e-06, 1e-6);
	assert_close(r.lo[0], 0.998210411525821, 1e-9);
	kpi_fc_result_free(&r);

	run_auto(flat, 10, 1, 2, &r);
	assert_string_equal(r.model, "ARIMA(0,0,0) with non-zero mean");
	assert_close(r.mean[1], 7.0, 0);
	assert_close(r.lo[1], 7.0, 0);
	assert_close(r.hi[2 + 1], 7.0, 0);
	kpi_fc_result_free(&r);
}

/* p(ts(c(5.1, 4.8, 6.2, 5.9, 6.5)), 2): ARIMA(0,0,0) with non-zero mean,
 * loglik -4.92594124676156, AICc 19.85188249352311, sigma2 0.525, mean
 * 5.7, 80% lower 4.77142767220121, 95% upper 7.12012882544663. */
static void
test_auto_arima_short_series_matches_r(void **state)
{
	static const double y[] = { 5.1, 4.8, 6.2, 5.9, 6.5 };
	struct kpi_fc_result r;

	(void)state;
	run_auto(y, 5, 1, 2, &r);
	assert_string_equal(r.model, "ARIMA(0,0,0) with non-zero mean");
	assert_close(r.loglik, -4.92594124676156, 1e-8);
	assert_close(r.aicc, 19.85188249352311, 1e-8);
	assert_close(r.sigma2, 0.525, 1e-9);
	assert_close(r.mean[1], 5.7, 1e-9);
	assert_close(r.lo[1], 4.77142767220121, 1e-8);
	assert_close(r.hi[2 + 1], 7.12012882544663, 1e-8);
	kpi_fc_result_free(&r);
}

static void
test_auto_arima_does_not_modify_input(void **state)
{
	struct kpi_fc_result r;
	double *y, *copy;
	size_t n;

	(void)state;
	y = load_series("usaccdeaths-dates", &n);
	copy = malloc(n * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, y, n * sizeof(*y));
	run_auto(y, n, 12, 6, &r);
	assert_memory_equal(y, copy, n * sizeof(*y));
	/* fitted values: NaN for the first d + mD = 13, finite after */
	assert_nan(r.fitted[12]);
	assert_true(isfinite(r.fitted[13]));
	assert_true(isfinite(r.fitted[n - 1]));
	kpi_fc_result_free(&r);
	free(copy);
	free(y);
}

/* Values near 1e250 (squares overflow) are fitted divided by a power of
 * two: same model, results scaled back, intervals finite. */
static void
test_auto_arima_huge_values_scale_back(void **state)
{
	struct kpi_fc_result r, big;
	double *y;
	size_t n, i;

	(void)state;
	y = load_series("wwwusage", &n);
	run_auto(y, n, 1, 5, &r);
	for (i = 0; i < n; i++)
		y[i] = ldexp(y[i], 830);
	run_auto(y, n, 1, 5, &big);
	assert_string_equal(big.model, r.model);
	for (i = 0; i < 5; i++) {
		assert_rel(ldexp(big.mean[i], -830), r.mean[i], 1e-6);
		assert_rel(ldexp(big.hi[5 + i], -830), r.hi[5 + i], 1e-6);
		assert_true(isfinite(big.lo[i]));
	}
	kpi_fc_result_free(&big);
	kpi_fc_result_free(&r);
	free(y);
}

static void
test_arima_rejects_bad_input_and_leaves_out_untouched(void **state)
{
	static const double bad[] = { 1, 2, NAN, 4, 5, 6 };
	static const double ok[] = { 1, 3, 2, 4, 3, 5, 4, 6 };
	struct kpi_arima_order big = { 6, 0, 0, 0, 0, 0, 0 };
	struct kpi_fc_spec s = spec_of(1, 3);
	struct kpi_fc_result r, zero;
	struct kpi_error err;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(kpi_fc_arima(bad, 6, &s, &r, &err), KPI_EINVAL);
	assert_true(strlen(err.msg) > 0);
	assert_int_equal(kpi_fc_arima(ok, 0, &s, &r, &err), KPI_EINVAL);
	assert_int_equal(kpi_fc_arima(NULL, 8, &s, &r, NULL), KPI_EINVAL);
	assert_int_equal(kpi_fc_arima_order(ok, 8, &s, &big, &r, &err),
			 KPI_EINVAL);
	s.m = 53;
	assert_int_equal(kpi_fc_arima(ok, 8, &s, &r, &err), KPI_EINVAL);
	s.m = 1;
	s.horizon = 0;
	assert_int_equal(kpi_fc_arima(ok, 8, &s, &r, &err), KPI_EINVAL);
	assert_memory_equal(&r, &zero, sizeof(r));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arima_order_without_differencing_matches_r),
		cmocka_unit_test(test_arima_order_with_differencing_matches_r),
		cmocka_unit_test(test_arima_order_refuses_nonstationary_css_start),
		cmocka_unit_test(test_auto_arima_nonseasonal_matches_r),
		cmocka_unit_test(test_auto_arima_seasonal_matches_r),
		cmocka_unit_test(test_auto_arima_weekly_approximation_matches_r),
		cmocka_unit_test(test_auto_arima_polynomial_and_constant_series),
		cmocka_unit_test(test_auto_arima_short_series_matches_r),
		cmocka_unit_test(test_auto_arima_does_not_modify_input),
		cmocka_unit_test(test_auto_arima_huge_values_scale_back),
		cmocka_unit_test(test_arima_rejects_bad_input_and_leaves_out_untouched),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
