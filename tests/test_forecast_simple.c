/* test_forecast_simple.c - unit tests for forecast.c (method names,
 * validation, dispatch) and forecast-simple.c (naive, snaive, drift, mean,
 * Croston, SBA, TSB, tslm).
 *
 * Reference values come from R 4.2.2 with forecast 8.20; the R command is
 * next to each table.  The series are R's built-in data sets, copied into
 * testdata/ts/ (see testdata/README.md); the tests run in testdata/. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "test-series.h"

#include "kpi/error.h"
#include "kpi/forecast.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* R prints 15 significant digits: agree to 10. */
#define assert_r_digits(actual, expected) \
	assert_rel((actual), (expected), 1e-10)

static struct kpi_fc_spec
spec_of(enum kpi_fc_method method, int m, int h)
{
	struct kpi_fc_spec s;

	kpi_fc_spec_init(&s);
	s.method = method;
	s.m = m;
	s.horizon = h;
	return s;
}

/* One row of R's forecast: step (1-based), mean, lo80, hi80, lo95, hi95. */
struct fc_row {
	int step;
	double mean, lo80, hi80, lo95, hi95;
};

static void
check_rows(const struct kpi_fc_result *r, const struct fc_row *rows,
	   size_t nrows)
{
	size_t i, h = (size_t)r->h;

	assert_int_equal(r->nlevels, 2);
	for (i = 0; i < nrows; i++) {
		size_t k = (size_t)rows[i].step - 1;

		assert_r_digits(r->mean[k], rows[i].mean);
		assert_r_digits(r->lo[k], rows[i].lo80);
		assert_r_digits(r->hi[k], rows[i].hi80);
		assert_r_digits(r->lo[h + k], rows[i].lo95);
		assert_r_digits(r->hi[h + k], rows[i].hi95);
	}
}

static void
run(const char *series, enum kpi_fc_method method, int m, int h,
    struct kpi_fc_result *r)
{
	struct kpi_fc_spec s = spec_of(method, m, h);
	struct kpi_error err;
	double *y;
	size_t n;

	y = load_series(series, &n);
	if (kpi_forecast(y, n, &s, r, &err) != KPI_OK)
		fail_msg("%s on %s: %s", kpi_fc_method_name(method), series,
			 err.msg);
	assert_int_equal(r->n, n);
	assert_int_equal(r->h, h);
	free(y);
}

/* ==== Names and validation ==== */

static void
test_method_parse_round_trips_every_name(void **state)
{
	enum kpi_fc_method m;
	struct kpi_error err;
	int i;

	(void)state;
	for (i = 0; i < KPI_FC_NMETHODS; i++) {
		assert_int_equal(kpi_fc_method_parse(kpi_fc_method_name(i), &m,
						     &err), KPI_OK);
		assert_int_equal(m, i);
	}
	m = KPI_FC_TSB;
	assert_int_equal(kpi_fc_method_parse("arima2", &m, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "\"arima2\""));
	assert_int_equal(m, KPI_FC_TSB);
	assert_string_equal(kpi_fc_method_name(KPI_FC_NMETHODS), "unknown");
}

static void
test_ets_spec_check_accepts_the_family_and_nothing_else(void **state)
{
	static const char *const good[] = { "ZZZ", "ANN", "MAdM", "AAdA",
					    "MNM", "ZAdZ", "AZN" };
	static const char *const bad[] = { "", "A", "AN", "ANNN", "XNN",
					   "AMN", "ANX", "AdNN", "aNN",
					   "AAd", "AAdAd" };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++)
		assert_int_equal(kpi_fc_ets_spec_check(good[i], NULL), KPI_OK);
	for (i = 0; i < NELEM(bad); i++)
		if (kpi_fc_ets_spec_check(bad[i], NULL) != KPI_EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
}

static void
test_forecast_rejects_bad_input_and_leaves_out_untouched(void **state)
{
	double y[] = { 1, 2, 3, NAN };
	struct kpi_fc_spec s = spec_of(KPI_FC_NAIVE, 1, 3);
	struct kpi_fc_result r;
	struct kpi_error err;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(kpi_forecast(y, 4, &s, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "observation 4"));
	assert_int_equal(kpi_forecast(y, 0, &s, &r, &err), KPI_EINVAL);
	s.m = 0;
	assert_int_equal(kpi_forecast(y, 3, &s, &r, &err), KPI_EINVAL);
	s.m = 1;
	s.horizon = 0;
	assert_int_equal(kpi_forecast(y, 3, &s, &r, &err), KPI_EINVAL);
	s.horizon = 2;
	s.levels[1] = 1.0;
	assert_int_equal(kpi_forecast(y, 3, &s, &r, &err), KPI_EINVAL);
	s.levels[1] = 0.95;
	s.ets_spec = "QQQ";
	assert_int_equal(kpi_forecast(y, 3, &s, &r, &err), KPI_EINVAL);
	assert_int_equal(r.h, 0x5a5a5a5a);
}

static void
test_simple_refuses_what_it_cannot_fit(void **state)
{
	double y[] = { 3, 0, -1, 4, 5 };
	struct kpi_fc_result r;
	struct kpi_error err;
	struct kpi_fc_spec s;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	s = spec_of(KPI_FC_SNAIVE, 12, 3);
	assert_int_equal(kpi_forecast(y, 5, &s, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "full season"));
	s = spec_of(KPI_FC_DRIFT, 1, 3);
	assert_int_equal(kpi_forecast(y, 1, &s, &r, &err), KPI_EINVAL);
	s = spec_of(KPI_FC_CROSTON, 1, 3);
	assert_int_equal(kpi_forecast(y, 5, &s, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "observation 3 is -1"));
	s = spec_of(KPI_FC_TSLM, 4, 3);
	assert_int_equal(kpi_forecast(y, 5, &s, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "at least 6"));
	assert_int_equal(r.h, 0x5a5a5a5a);
}

/* ==== Random walks and mean ==== */

/* R: f <- naive(USAccDeaths, h = 3); f$mean, f$lower, f$upper; f$fitted[1:3];
 * f$model$sigma2 = 533129.901408451 */
static void
test_naive_matches_r_on_usaccdeaths(void **state)
{
	static const struct fc_row rows[] = {
		{ 1, 9240, 8304.26557719373, 10175.7344228063,
		  7808.91769546917, 10671.0823045308 },
		{ 2, 9240, 7916.67168848801, 10563.3283115120,
		  7216.14399606035, 11263.8560039396 },
		{ 3, 9240, 7619.26043730840, 10860.7395626916,
		  6761.29273873984, 11718.7072612602 },
	};
	struct kpi_fc_result r;

	(void)state;
	run("usaccdeaths-dates", KPI_FC_NAIVE, 12, 3, &r);
	check_rows(&r, rows, NELEM(rows));
	assert_nan(r.fitted[0]);
	assert_r_digits(r.fitted[1], 9007);
	assert_r_digits(r.fitted[2], 8106);
	assert_r_digits(r.sigma2, 533129.901408451);
	assert_string_equal(r.model, "Naive");
	kpi_fc_result_free(&r);
}

/* R: f <- snaive(USAccDeaths, h = 15); rows 1, 12, 13, 15 (the interval
 * widens after one full season); f$fitted[12:14] = NA 9007 8106;
 * f$model$sigma2 = 312934.35 */
static void
test_snaive_matches_r_on_usaccdeaths(void **state)
{
	static const struct fc_row rows[] = {
		{ 1, 7836, 7119.09319290333, 8552.90680709667,
		  6739.58565354804, 8932.41434645196 },
		{ 12, 9240, 8523.09319290333, 9956.90680709667,
		  8143.58565354804, 10336.41434645196 },
		{ 13, 7836, 6822.14067044630, 8849.85932955370,
		  6285.43596126720, 9386.56403873280 },
		{ 15, 7791, 6777.14067044630, 8804.85932955370,
		  6240.43596126720, 9341.56403873280 },
	};
	struct kpi_fc_result r;

	(void)state;
	run("usaccdeaths-dates", KPI_FC_SNAIVE, 12, 15, &r);
	check_rows(&r, rows, NELEM(rows));
	assert_nan(r.fitted[11]);
	assert_r_digits(r.fitted[12], 9007);
	assert_r_digits(r.fitted[13], 8106);
	assert_r_digits(r.sigma2, 312934.35);
	kpi_fc_result_free(&r);
}

/* R: f <- rwf(Nile, drift = TRUE, h = 3); f$fitted[1:3];
 * f$model$par$drift = -3.83838383838384, drift.se = 16.8978932882797,
 * f$model$sigma2 = 28268.3409606267 */
static void
test_drift_matches_r_on_nile(void **state)
{
	static const struct fc_row rows[] = {
		{ 1, 736.161616161616, 519.606400181612, 952.716832141621,
		  404.968993565323, 1067.35423875791 },
		{ 2, 732.323232323232, 424.540441433853, 1040.106023212612,
		  261.610073818326, 1203.03639082814 },
		{ 3, 728.484848484848, 349.667934397677, 1107.301762572020,
		  149.134373398857, 1307.83532357084 },
	};
	struct kpi_fc_result r;

	(void)state;
	run("nile-years", KPI_FC_DRIFT, 1, 3, &r);
	check_rows(&r, rows, NELEM(rows));
	assert_nan(r.fitted[0]);
	assert_r_digits(r.fitted[1], 1116.16161616162);
	assert_r_digits(r.fitted[2], 1156.16161616162);
	assert_int_equal(r.nparam, 2);
	assert_string_equal(r.param_name[0], "drift");
	assert_r_digits(r.param[0], -3.83838383838384);
	assert_r_digits(r.param[1], 16.8978932882797);
	assert_r_digits(r.sigma2, 28268.3409606267);
	kpi_fc_result_free(&r);
}

/* A drift of exactly zero: R's forecast.lagwalk divides the squared
 * residuals by their count, not by count - 1.
 * R: rwf(ts(c(1, 3, 2, 1)), drift = TRUE, h = 2) */
static void
test_drift_of_zero_follows_r(void **state)
{
	static const double y[] = { 1, 3, 2, 1 };
	static const struct fc_row rows[] = {
		{ 1, 1, -1.21971242404268, 3.21971242404268,
		  -2.39475720222851, 4.39475720222852 },
		{ 2, 1, -2.62477520974729, 4.62477520974729,
		  -4.54361529739871, 6.54361529739871 },
	};
	struct kpi_fc_spec s = spec_of(KPI_FC_DRIFT, 1, 2);
	struct kpi_fc_result r;

	(void)state;
	assert_int_equal(kpi_forecast(y, 4, &s, &r, NULL), KPI_OK);
	check_rows(&r, rows, NELEM(rows));
	kpi_fc_result_free(&r);
}

/* R: meanf(Nile, h = 2) */
static void
test_mean_matches_r_on_nile(void **state)
{
	static const struct fc_row rows[] = {
		{ 1, 919.35, 699.930265347212, 1138.76973465279,
		  581.891180641624, 1256.80881935838 },
		{ 2, 919.35, 699.930265347212, 1138.76973465279,
		  581.891180641624, 1256.80881935838 },
	};
	struct kpi_fc_result r;

	(void)state;
	run("nile-years", KPI_FC_MEAN, 1, 2, &r);
	check_rows(&r, rows, NELEM(rows));
	assert_r_digits(r.fitted[99], 919.35);
	kpi_fc_result_free(&r);
}

/* One observation: the forecast is that value; there is no spread to
 * estimate, so the bounds are NaN (written as empty fields). */
static void
test_single_observation_gives_nan_bounds(void **state)
{
	static const double y[] = { 42 };
	static const enum kpi_fc_method methods[] = {
		KPI_FC_NAIVE, KPI_FC_MEAN, KPI_FC_AUTO,
	};
	struct kpi_fc_result r;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(methods); i++) {
		struct kpi_fc_spec s = spec_of(methods[i], 1, 2);

		assert_int_equal(kpi_forecast(y, 1, &s, &r, NULL), KPI_OK);
		assert_r_digits(r.mean[0], 42);
		assert_r_digits(r.mean[1], 42);
		assert_nan(r.lo[0]);
		assert_nan(r.hi[3]);
		kpi_fc_result_free(&r);
	}
}

/* ==== Intermittent demand ==== */

/* testdata/ts/intermittent.csv (product P224 of the UCI weekly sales).
 * R: f <- croston(ts(x), h = 2); f$mean = 0.525963228348858;
 * f$fitted[c(1:6, 52)] = NA 0 0 0 0 0.2 0.525963228348858 */
static void
test_croston_matches_r(void **state)
{
	struct kpi_fc_result r;
	double hi95;

	(void)state;
	run("intermittent", KPI_FC_CROSTON, 1, 2, &r);
	assert_r_digits(r.mean[0], 0.525963228348858);
	assert_r_digits(r.mean[1], 0.525963228348858);
	assert_nan(r.fitted[0]);
	assert_r_digits(r.fitted[1], 0);
	assert_r_digits(r.fitted[4], 0);
	assert_r_digits(r.fitted[5], 0.2);
	assert_r_digits(r.fitted[51], 0.525963228348858);
	assert_string_equal(r.param_name[0], "alpha");
	assert_r_digits(r.param[0], 0.1);
	hi95 = r.hi[2];
	assert_true(hi95 > r.mean[0]);
	kpi_fc_result_free(&r);
	/* SBA = Croston * (1 - 0.1 / 2), its demand sizes (and bounds) too */
	run("intermittent", KPI_FC_SBA, 1, 2, &r);
	assert_r_digits(r.mean[1], 0.95 * 0.525963228348858);
	assert_r_digits(r.fitted[5], 0.95 * 0.2);
	assert_r_digits(r.hi[2], 0.95 * hi95);
	kpi_fc_result_free(&r);
}

/* Demands of 1e308 (a fuzz finding: the upper bound was infinite).  By
 * hand: y = 0, 1e308, 0, 1e308 gives z = 1e308 and p = 2, so the forecast
 * is 5e307; the demand is 0 with probability 1/2, else 1e308, so the 95%
 * interval is [0, 1e308]. */
static void
test_croston_of_huge_demands_has_finite_bounds(void **state)
{
	static const double y[] = { 0, 1e308, 0, 1e308 };
	struct kpi_fc_spec s = spec_of(KPI_FC_CROSTON, 1, 1);
	struct kpi_fc_result r;

	(void)state;
	assert_int_equal(kpi_forecast(y, 4, &s, &r, NULL), KPI_OK);
	assert_r_digits(r.mean[0], 5e307);
	assert_r_digits(r.lo[1], 0);
	assert_r_digits(r.hi[1], 1e308);
	kpi_fc_result_free(&r);
}

/* All zeros: forecast 0 and bounds 0 (R's croston gives 0 too). */
static void
test_croston_of_zeros_is_zero(void **state)
{
	static const double y[] = { 0, 0, 0, 0 };
	struct kpi_fc_spec s = spec_of(KPI_FC_CROSTON, 1, 2);
	struct kpi_fc_result r;

	(void)state;
	assert_int_equal(kpi_forecast(y, 4, &s, &r, NULL), KPI_OK);
	assert_r_digits(r.mean[0], 0);
	assert_r_digits(r.lo[0], 0);
	assert_r_digits(r.hi[3], 0);
	kpi_fc_result_free(&r);
}

/* TSB by hand on y = 0, 2, 0, 4 (alpha = beta = 0.1): start z = 3 (mean
 * demand), p = 0.5 (two demands in four periods).
 *   t1: fit 1.5;    y = 0: p = 0.45
 *   t2: fit 1.35;   y = 2: z = 2.9, p = 0.505
 *   t3: fit 1.4645; y = 0: p = 0.4545
 *   t4: fit 1.31805; y = 4: z = 3.01, p = 0.50905
 * forecast p z = 1.5322405.  Bounds: zero with probability 1 - p = 0.49095,
 * else a size from {2, 4} rescaled by z / 3; the 90% quantile is the
 * type-7 quantile of {2, 4} at (0.9 - 0.49095) / 0.50905, times 3.01 / 3;
 * the 10% and 2.5% quantiles are 0; the 97.5% quantile at
 * (0.975 - 0.49095) / 0.50905. */
static void
test_tsb_by_hand(void **state)
{
	static const double y[] = { 0, 2, 0, 4 };
	struct kpi_fc_spec s = spec_of(KPI_FC_TSB, 1, 2);
	struct kpi_fc_result r;
	double q90 = (0.9 - 0.49095) / 0.50905;
	double q975 = (0.975 - 0.49095) / 0.50905;

	(void)state;
	assert_int_equal(kpi_forecast(y, 4, &s, &r, NULL), KPI_OK);
	assert_r_digits(r.fitted[0], 1.5);
	assert_r_digits(r.fitted[1], 1.35);
	assert_r_digits(r.fitted[2], 1.4645);
	assert_r_digits(r.fitted[3], 1.31805);
	assert_r_digits(r.mean[0], 1.5322405);
	assert_r_digits(r.mean[1], 1.5322405);
	assert_r_digits(r.lo[0], 0);
	assert_r_digits(r.hi[0], (2 + 2 * q90) * 3.01 / 3);
	assert_r_digits(r.hi[1], (2 + 2 * q90) * 3.01 / 3);
	assert_r_digits(r.lo[2], 0);
	assert_r_digits(r.hi[2], (2 + 2 * q975) * 3.01 / 3);
	kpi_fc_result_free(&r);
}

/* ==== Linear trend and season ==== */

/* R: fit <- tslm(AirPassengers ~ trend + season); f <- forecast(fit, h = 13);
 * rows 1, 12, 13; coef(fit)[1:3] = 63.50793997668995 2.66032925407926
 * -9.41032925407928; logLik -668.498291025557 (df 14); AIC(fit)
 * 1364.99658205111; BIC(fit) 1406.57396824518; summary(fit)$sigma^2
 * 693.282383805761; fitted(fit)[1:2] = 66.1682692307694 59.4182692307693.
 * AICc: CV(fit) adds 2k(k+1)/(n-k-1) = 959.598098441656 - 956.342284488168
 * to its AIC, the same correction on R's AIC(). */
static void
test_tslm_matches_r_on_airpassengers(void **state)
{
	static const struct fc_row rows[] = {
		{ 1, 449.255681818182, 413.557351107618, 484.954012528746,
		  394.428652829258, 504.082710807106 },
		{ 12, 469.339015151515, 433.640684440951, 505.037345862079,
		  414.511986162592, 524.166044140439 },
		{ 13, 481.179632867133, 445.350109529102, 517.009156205164,
		  426.151112608279, 536.208153125987 },
	};
	struct kpi_fc_result r;

	(void)state;
	run("airpassengers-dates", KPI_FC_TSLM, 12, 13, &r);
	check_rows(&r, rows, NELEM(rows));
	assert_r_digits(r.param[0], 63.50793997668995);
	assert_r_digits(r.param[1], 2.66032925407926);
	assert_string_equal(r.param_name[2], "season2");
	assert_r_digits(r.param[2], -9.41032925407928);
	assert_int_equal(r.nparam, 13);
	assert_r_digits(r.loglik, -668.498291025557);
	assert_r_digits(r.aic, 1364.99658205111);
	assert_r_digits(r.bic, 1406.57396824518);
	assert_r_digits(r.aicc, 1364.99658205111 +
			   (959.598098441656362 - 956.342284488167934));
	assert_r_digits(r.sigma2, 693.282383805761);
	assert_r_digits(r.fitted[0], 66.1682692307694);
	assert_r_digits(r.fitted[1], 59.4182692307693);
	assert_string_equal(r.model, "TSLM(trend+season)");
	kpi_fc_result_free(&r);
}

/* R: fit <- tslm(Nile ~ trend); forecast(fit, h = 2); coef(fit);
 * AIC(fit) = 1290.62936831085; CV(fit): AICc - AIC = 0.25 */
static void
test_tslm_trend_only_matches_r_on_nile(void **state)
{
	static const struct fc_row rows[] = {
		{ 1, 782.277575757576, 584.123035508319, 980.432116006832,
		  477.506201698881, 1087.04894981627 },
		{ 2, 779.563270327032, 581.292214265915, 977.834326388150,
		  474.612689251250, 1084.51385140281 },
	};
	struct kpi_fc_result r;

	(void)state;
	run("nile-years", KPI_FC_TSLM, 1, 2, &r);
	check_rows(&r, rows, NELEM(rows));
	assert_int_equal(r.nparam, 2);
	assert_r_digits(r.param[0], 1056.42242424242386);
	assert_r_digits(r.param[1], -2.71430543054305);
	assert_r_digits(r.aic, 1290.62936831085);
	assert_r_digits(r.aicc, 1290.62936831085 + 0.25);
	kpi_fc_result_free(&r);
}

/* ==== auto ==== */

/* Whatever families are built, auto forecasts any series of n >= 1 and
 * gives finite point forecasts; on a seasonal series with two full seasons
 * its fallback is the seasonal naive. */
static void
test_auto_always_forecasts(void **state)
{
	struct kpi_fc_result r;
	double *y;
	size_t n, i;
	struct kpi_fc_spec s = spec_of(KPI_FC_AUTO, 12, 18);

	(void)state;
	y = load_series("airpassengers-dates", &n);
	assert_int_equal(kpi_forecast(y, n, &s, &r, NULL), KPI_OK);
	for (i = 0; i < 18; i++)
		assert_true(isfinite(r.mean[i]));
	assert_true(r.model[0] != '\0');
	kpi_fc_result_free(&r);
	/* Too short for any seasonal family. */
	assert_int_equal(kpi_forecast(y, 5, &s, &r, NULL), KPI_OK);
	for (i = 0; i < 18; i++)
		assert_true(isfinite(r.mean[i]));
	kpi_fc_result_free(&r);
	free(y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_parse_round_trips_every_name),
		cmocka_unit_test(test_ets_spec_check_accepts_the_family_and_nothing_else),
		cmocka_unit_test(test_forecast_rejects_bad_input_and_leaves_out_untouched),
		cmocka_unit_test(test_simple_refuses_what_it_cannot_fit),
		cmocka_unit_test(test_naive_matches_r_on_usaccdeaths),
		cmocka_unit_test(test_snaive_matches_r_on_usaccdeaths),
		cmocka_unit_test(test_drift_matches_r_on_nile),
		cmocka_unit_test(test_drift_of_zero_follows_r),
		cmocka_unit_test(test_mean_matches_r_on_nile),
		cmocka_unit_test(test_single_observation_gives_nan_bounds),
		cmocka_unit_test(test_croston_matches_r),
		cmocka_unit_test(test_croston_of_zeros_is_zero),
		cmocka_unit_test(test_croston_of_huge_demands_has_finite_bounds),
		cmocka_unit_test(test_tsb_by_hand),
		cmocka_unit_test(test_tslm_matches_r_on_airpassengers),
		cmocka_unit_test(test_tslm_trend_only_matches_r_on_nile),
		cmocka_unit_test(test_auto_always_forecasts),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
