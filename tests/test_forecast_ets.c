/* test_forecast_ets.c - unit tests for forecast-ets.c, the ETS models.
 *
 * Reference values come from R 4.2.2 with forecast 8.20, printed with
 * options(digits = 17); the R commands are next to each case.  The series
 * are R's datasets (testdata/ts/, see testdata/README.md); the tests run in
 * testdata/.
 *
 * Two kinds of checks:
 *  - fixed parameters and initial states (kpi_fc_ets_fixed, R's
 *    ets(y, model = fit, use.initial.values = TRUE)): no optimiser is
 *    involved, so the recursions, the likelihood, the criteria, the point
 *    forecasts and the analytic variances (classes 1, 2 and 3) must agree
 *    with R to 1e-8 relative;
 *  - estimation and selection (kpi_forecast): we run the same Nelder-Mead
 *    from the same start as ets(), so the same model must be chosen, the
 *    log-likelihood must be at least R's - 0.5 (and, here, within 1e-4
 *    relative of it), the parameters within 1e-4 and the forecasts and
 *    intervals within 0.1%. */
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
spec_of(enum kpi_fc_method method, int m, int h, const char *ets)
{
	struct kpi_fc_spec s;

	kpi_fc_spec_init(&s);
	s.method = method;
	s.m = m;
	s.horizon = h;
	s.ets_spec = ets;
	return s;
}

/* ==== Fixed parameters: the recursions against R ==== */

/* One case: R's fitted parameters and initial states, and what R reports
 * for them.  Steps checked: 1, 2 and the last of the data (fitted) and of
 * the horizon (mean, lo80, hi95); levels 80 and 95. */
struct fixed_case {
	const char *series;
	int m, h;
	struct kpi_ets_fixed par;
	double loglik, aic, aicc, bic, sigma2;
	double fitted[3], mean[3], lo80[3], hi95[3];
};

static void
check_fixed(const struct fixed_case *c)
{
	struct kpi_fc_spec spec = spec_of(KPI_FC_ETS, c->m, c->h, NULL);
	struct kpi_fc_result r;
	struct kpi_error err;
	size_t n, i;
	double *y = load_series(c->series, &n);
	int h = c->h, at[3];

	memset(&r, 0, sizeof(r));
	if (kpi_fc_ets_fixed(y, n, &spec, &c->par, &r, &err) != KPI_OK)
		fail_msg("%s %s: %s", c->series, c->par.model, err.msg);
	assert_rel(r.loglik, c->loglik, 1e-8);
	assert_rel(r.aic, c->aic, 1e-8);
	assert_rel(r.aicc, c->aicc, 1e-8);
	assert_rel(r.bic, c->bic, 1e-8);
	assert_rel(r.sigma2, c->sigma2, 1e-8);
	assert_rel(r.fitted[0], c->fitted[0], 1e-8);
	assert_rel(r.fitted[1], c->fitted[1], 1e-8);
	assert_rel(r.fitted[n - 1], c->fitted[2], 1e-8);
	at[0] = 0;
	at[1] = 1;
	at[2] = h - 1;
	for (i = 0; i < 3; i++) {
		assert_rel(r.mean[at[i]], c->mean[i], 1e-8);
		assert_rel(r.lo[at[i]], c->lo80[i], 1e-8);	/* 80% */
		assert_rel(r.hi[h + at[i]], c->hi95[i], 1e-8);	/* 95% */
	}
	kpi_fc_result_free(&r);
	free(y);
}

/* fit <- ets(AirPassengers, "MAM", damped = TRUE)   # = ets(AirPassengers)
 * f <- forecast(fit, h = 24); fit$par; fit$initstate; fit$loglik; ...
 * Class 3 with R's damped mean (F1 = [1 1; 0 phi], w1 = (1, 1)). */
static void
test_fixed_madm_airpassengers_matches_r(void **state)
{
	static const struct fixed_case c = {
		"airpassengers-dates", 12, 24,
		{ "MAdM", 0.70955191620879110026, 0.02040891933223586141,
		  0.00010046830971865299, 0.97999992668398583362,
		  120.99393550720338908, 1.77054019711165078,
		  { 0.89444747568887384, 0.79932202829106569,
		    0.92165959839727152, 1.05920192983827399,
		    1.22030069724042178, 1.23179850716711181,
		    1.11050018094691927, 0.97861276076047210,
		    0.98038207347181405, 1.01103008804153882,
		    0.88689228722260804, 0.90585237293362830 }, 0 },
		-679.58321623695645, 1395.1664324739129, 1400.6384324739129,
		1448.623071866281, 0.0015340763495901928,
		{ 111.17441455034023, 110.94525750967199, 441.04885076047043 },
		{ 441.80184727847916, 434.11862006878243, 465.57802039660083 },
		{ 419.62564878437598, 407.16681260351208, 361.85394015464504 },
		{ 475.71741613347348, 475.33785257601249, 624.21031196372530 },
	};

	(void)state;
	check_fixed(&c);
}

/* fit <- ets(USAccDeaths, "ANA", damped = FALSE); forecast(fit, h = 24)
 * Class 1 without trend: R's class1() puts gamma on s_2 (G[3]), and so do
 * we. */
static void
test_fixed_ana_usaccdeaths_matches_r(void **state)
{
	static const struct fixed_case c = {
		"usaccdeaths-dates", 12, 24,
		{ "ANA", 0.5945898908361367807, 0, 0.0020289599540652685, 0,
		  9248.362824127469139, 0,
		  { -51.344874827699165, -255.352755427803913,
		    218.290114668505595, -121.771020334216729,
		    970.738744865900571, 1683.236610608533510,
		    756.091981288502211, 306.421216533572931,
		    -489.562713202277280, -739.900427055783553,
		    -1537.791724341286908, -739.055152775947249 }, 0 },
		-555.07233501262772, 1140.1446700252554, 1148.7160985966841,
		1174.2946618104963, 85667.856312277843,
		{ 8509.3076713515220, 8006.4939271472631, 8856.9679808862311 },
		{ 8397.4969092293122, 7599.2206134440412, 9085.4921039457386 },
		{ 8022.3986615554313, 7162.8252542307100, 7951.7153472431146 },
		{ 8971.1601748135363, 8266.6297213366888, 10819.4540211952080 },
	};

	(void)state;
	check_fixed(&c);
}

/* fit <- ets(USAccDeaths, "MAA", damped = TRUE); forecast(fit, h = 24)
 * Class 2 with a damped trend and an additive season. */
static void
test_fixed_mada_usaccdeaths_matches_r(void **state)
{
	static const struct fixed_case c = {
		"usaccdeaths-dates", 12, 24,
		{ "MAdA", 0.55569026456920722623, 0.00010014778851069295,
		  0.00010012194099927421, 0.95123198010316811768,
		  9930.8222980995815306, -49.4977685928937063,
		  { 7.8012552791538052, -261.0085206919720804,
		    263.8925183391103246, -109.1099941605329917,
		    986.3965421244363370, 1679.4749537445113674,
		    744.6884976212159017, 339.5563582589464886,
		    -514.8370010070232183, -740.8353967439105645,
		    -1523.4610465933162686, -872.5581661706190744 }, 0 },
		-553.94060911633187, 1143.8812182326637, 1156.7868786100223,
		1184.8612083749526, 0.0011469375766502766,
		{ 9011.1802714996575, 8313.1663828858109, 8905.3846049243457 },
		{ 8209.8491531301224, 7557.7209635743666, 9074.1234966958564 },
		{ 7853.5283703213554, 7174.4985814902739, 7944.9599313310591 },
		{ 8754.7947643912084, 8143.8090205424733, 10801.0301466279379 },
	};

	(void)state;
	check_fixed(&c);
}

/* fit <- ets(UKgas, "MAM", damped = FALSE); forecast(fit, h = 8)
 * Class 3 with m = 4; its mean beyond one season carries sigma2 terms. */
static void
test_fixed_mam_ukgas_matches_r(void **state)
{
	static const struct fixed_case c = {
		"ukgas-dates", 4, 8,
		{ "MAM", 0.030536868894066392, 0.030536443576984554,
		  0.623838578907127794, 0,
		  124.08994265041614824, 0.86547559060299895,
		  { 0.95578606068997651, 0.65392630597470169,
		    1.05823021789025962, 1.33205741544506218 }, 0 },
		-618.3607797331066, 1254.7215594662132, 1256.5582941600908,
		1278.8607405103312, 0.013623596342813156,
		{ 166.44779146798874, 132.83948563521156, 852.02830588401389 },
		{ 1258.82361821570635, 652.61783326446368, 952.21453391966782 },
		{ 1070.52512196405519, 554.82079063594790, 765.01326981009254 },
		{ 1546.80131721641237, 802.18550303276106,
		  1238.51416116815790 },
	};

	(void)state;
	check_fixed(&c);
}

/* fit <- ets(Nile, "MNN"); forecast(fit, h = 10)   # class 2 */
static void
test_fixed_mnn_nile_matches_r(void **state)
{
	static const struct fixed_case c = {
		"nile-years", 1, 10,
		{ "MNN", 0.1514031662366615, 0, 0, 0, 1087.7718249928084, 0,
		  { 0 }, 0 },
		-726.15095780314834, 1458.3019156062967, 1458.5519156062967,
		1466.1174261642609, 0.023957056555940173,
		{ 1087.77182499280843, 1092.65127273092639,
		  856.51606203207916 },
		{ 838.87516132299515, 838.87516132299515, 838.87516132299515 },
		{ 672.47637669179142, 670.53484042754724, 655.70694989910783 },
		{ 1093.3601416521353, 1096.3294651307265, 1119.0067667577537 },
	};

	(void)state;
	check_fixed(&c);
}

/* fit <- ets(WWWusage, "AAN", damped = TRUE); forecast(fit, h = 10) */
static void
test_fixed_aadn_wwwusage_matches_r(void **state)
{
	static const struct fixed_case c = {
		"wwwusage", 1, 10,
		{ "AAdN", 0.99989995633555706, 0.99664387398697363, 0,
		  0.81495802790418725, 90.35176744974845064,
		  -0.01728233783866355, { 0 }, 0 },
		-352.86549019775225, 717.7309803955045, 718.63420620195609,
		733.36200151143305, 12.224387261602645,
		{ 90.337683069785882, 86.090035908702788, 218.746381186366079 },
		{ 218.36633492175798, 217.03506866061915, 212.31273947536872 },
		{ 213.88559604526233, 207.76114133501980, 162.37378834950971 },
		{ 225.21903368017897, 231.21831656269816, 288.68777444385688 },
	};

	(void)state;
	check_fixed(&c);
}

/* fit <- ets(WWWusage, "MAN", damped = FALSE); forecast(fit, h = 10) */
static void
test_fixed_man_wwwusage_matches_r(void **state)
{
	static const struct fixed_case c = {
		"wwwusage", 1, 10,
		{ "MAN", 0.99989915162651255, 0.99987568920205960, 0, 0,
		  85.2581120073412109, 3.4412220823310333, { 0 }, 0 },
		-365.0876125982935, 740.17522519658701, 740.81352306892745,
		753.20107612652748, 0.00089798069915192303,
		{ 88.699334089672249, 90.742045454142982, 217.999643871192916 },
		{ 217.99934773322821, 215.99889719911840, 199.99529292623993 },
		{ 209.627433302417273, 197.307912605889527,
		  36.580844442861178 },
		{ 230.80308595742338, 244.58429135979267, 449.91612498015047 },
	};

	(void)state;
	check_fixed(&c);
}

/* forecast(ets(AirPassengers), h = 24, simulate = TRUE, npaths = 20000):
 * the means are the point forecasts (l + phi_h b) s, 441.769214394784 at
 * h = 1; at h = 24 R's etsforecast() gives 465.545733714604, counting phi
 * twice, where (l + sum(phi^(1:24)) b) s from fit$states is
 * 464.958940792752.  R's simulated upper 95% bounds were 475.670901392358
 * and 638.713771737673 (its own random numbers, so we allow 1.5%).  The
 * same seed gives the same bounds. */
static void
test_fixed_simulated_intervals_agree_with_r(void **state)
{
	struct kpi_fc_spec spec = spec_of(KPI_FC_ETS, 12, 24, NULL);
	struct kpi_ets_fixed par = {
		"MAdM", 0.70955191620879110026, 0.02040891933223586141,
		0.00010046830971865299, 0.97999992668398583362,
		120.99393550720338908, 1.77054019711165078,
		{ 0.89444747568887384, 0.79932202829106569,
		  0.92165959839727152, 1.05920192983827399,
		  1.22030069724042178, 1.23179850716711181,
		  1.11050018094691927, 0.97861276076047210,
		  0.98038207347181405, 1.01103008804153882,
		  0.88689228722260804, 0.90585237293362830 }, 1 };
	struct kpi_fc_result a, b;
	size_t n;
	double *y = load_series("airpassengers-dates", &n);

	(void)state;
	spec.nsim = 20000;
	spec.seed = 7;
	assert_int_equal(kpi_fc_ets_fixed(y, n, &spec, &par, &a, NULL), KPI_OK);
	assert_int_equal(kpi_fc_ets_fixed(y, n, &spec, &par, &b, NULL), KPI_OK);
	assert_rel(a.mean[0], 441.769214394784, 1e-9);
	assert_rel(a.mean[23], 464.958940792752, 1e-9);
	assert_rel(a.hi[24], 475.670901392358, 0.015);
	assert_rel(a.hi[47], 638.713771737673, 0.015);
	assert_true(a.lo[0] < a.mean[0] && a.mean[0] < a.hi[0]);
	assert_true(a.hi[0] < a.hi[24] && a.lo[24] < a.lo[0]);
	assert_memory_equal(a.lo, b.lo, 2 * 24 * sizeof(double));
	assert_memory_equal(a.hi, b.hi, 2 * 24 * sizeof(double));
	kpi_fc_result_free(&a);
	kpi_fc_result_free(&b);
	free(y);
}

/* ==== Estimation and selection against R ==== */

/* What ets() and forecast() report for one series. */
struct fit_case {
	const char *series;
	enum kpi_fc_method method;
	const char *spec;
	int m, h;
	const char *model;
	const char *pname[4];
	double par[4];
	double loglik, aicc, sigma2;
	double mean[3];		/* at steps 1, 2 and h */
	double lo80[2], hi95[2];	/* at steps 1 and h */
};

static void
check_fit(const struct fit_case *c)
{
	struct kpi_fc_spec spec = spec_of(c->method, c->m, c->h, c->spec);
	struct kpi_fc_result r;
	struct kpi_error err;
	size_t n, i;
	double *y = load_series(c->series, &n), *copy;
	int h = c->h;

	copy = malloc(n * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, y, n * sizeof(*y));
	memset(&r, 0, sizeof(r));
	if (kpi_forecast(y, n, &spec, &r, &err) != KPI_OK)
		fail_msg("%s: %s", c->series, err.msg);
	assert_memory_equal(y, copy, n * sizeof(*y));
	assert_string_equal(r.model, c->model);
	for (i = 0; i < 4 && c->pname[i]; i++)
		assert_close(param(&r, c->pname[i]), c->par[i], 1e-4);
	/* at least as good an optimum as R's, and here the same one */
	assert_true(r.loglik >= c->loglik - 0.5);
	assert_rel(r.loglik, c->loglik, 1e-4);
	assert_rel(r.aicc, c->aicc, 1e-4);
	assert_rel(r.sigma2, c->sigma2, 1e-3);
	assert_rel(r.mean[0], c->mean[0], 1e-3);
	assert_rel(r.mean[1], c->mean[1], 1e-3);
	assert_rel(r.mean[h - 1], c->mean[2], 1e-3);
	assert_rel(r.lo[0], c->lo80[0], 1e-3);
	assert_rel(r.lo[h - 1], c->lo80[1], 1e-3);
	assert_rel(r.hi[h], c->hi95[0], 1e-3);
	assert_rel(r.hi[2 * h - 1], c->hi95[1], 1e-3);
	assert_int_equal(r.n, n);
	assert_int_equal(r.h, h);
	kpi_fc_result_free(&r);
	free(copy);
	free(y);
}

/* fit <- ets(AirPassengers); forecast(fit, h = 24, level = c(80, 95)) */
static void
test_auto_airpassengers_chooses_madm_as_r(void **state)
{
	static const struct fit_case c = {
		"airpassengers-dates", KPI_FC_ETS, NULL, 12, 24, "ETS(M,Ad,M)",
		{ "alpha", "beta", "gamma", "phi" },
		{ 0.709551916208791, 0.0204089193322359, 0.000100468309718653,
		  0.979999926683986 },
		-679.583216236956, 1400.63843247391, 0.00153407634959019,
		{ 441.801847278479, 434.118620068782, 465.578020396601 },
		{ 419.625648784376, 361.853940154645 },
		{ 475.717416133473, 624.210311963725 },
	};

	(void)state;
	check_fit(&c);
}

/* fit <- ets(UKgas); forecast(fit, h = 8) */
static void
test_auto_ukgas_chooses_mam_as_r(void **state)
{
	static const struct fit_case c = {
		"ukgas-dates", KPI_FC_ETS, "ZZZ", 4, 8, "ETS(M,A,M)",
		{ "alpha", "beta", "gamma", NULL },
		{ 0.0305368688940664, 0.0305364435769846, 0.6238385789071278 },
		-618.360779733107, 1256.55829416009, 0.0136235963428132,
		{ 1258.82361821571, 652.617833264464, 952.214533919668 },
		{ 1070.52512196406, 765.013269810093 },
		{ 1546.80131721641, 1238.51416116816 },
	};

	(void)state;
	check_fit(&c);
}

/* fit <- ets(USAccDeaths); forecast(fit, h = 24) */
static void
test_auto_usaccdeaths_chooses_ana_as_r(void **state)
{
	static const struct fit_case c = {
		"usaccdeaths-dates", KPI_FC_ETS, NULL, 12, 24, "ETS(A,N,A)",
		{ "alpha", "gamma", "l0", NULL },
		{ 0.594589890836137, 0.00202895995406527, 9248.36282412747 },
		-555.072335012628, 1148.71609859668, 85667.8563122778,
		{ 8397.49690922931, 7599.22061344404, 9085.49210394574 },
		{ 8022.39866155543, 7951.71534724311 },
		{ 8971.16017481354, 10819.4540211952 },
	};

	(void)state;
	check_fit(&c);
}

/* fit <- ets(Nile); forecast(fit, h = 10) */
static void
test_auto_nile_chooses_mnn_as_r(void **state)
{
	static const struct fit_case c = {
		"nile-years", KPI_FC_ETS, NULL, 1, 10, "ETS(M,N,N)",
		{ "alpha", NULL, NULL, NULL }, { 0.151403166236662 },
		-726.150957803148, 1458.5519156063, 0.0239570565559402,
		{ 838.875161322995, 838.875161322995, 838.875161322995 },
		{ 672.476376691791, 655.706949899108 },
		{ 1093.36014165214, 1119.00676675775 },
	};

	(void)state;
	check_fit(&c);
}

/* fit <- ets(WWWusage); forecast(fit, h = 10): the damped trend, which is
 * also what ets(WWWusage, "AAN", damped = TRUE) gives (-m damped). */
static void
test_auto_wwwusage_chooses_aadn_as_r(void **state)
{
	struct fit_case c = {
		"wwwusage", KPI_FC_ETS, NULL, 1, 10, "ETS(A,Ad,N)",
		{ "alpha", "beta", "phi", NULL },
		{ 0.9998999563355571, 0.9966438739869736, 0.8149580279041873 },
		-352.865490197752, 718.634206201956, 12.2243872616026,
		{ 218.366334921758, 217.035068660619, 212.312739475369 },
		{ 213.885596045262, 162.37378834951 },
		{ 225.219033680179, 288.687774443857 },
	};

	(void)state;
	check_fit(&c);
	c.method = KPI_FC_DAMPED;
	check_fit(&c);
	c.method = KPI_FC_ETS;
	c.spec = "AAdN";
	check_fit(&c);
}

/* ==== The fixed methods ==== */

/* fit <- ets(Nile, "ANN"); forecast(fit, h = 10)   (-m ses) */
static void
test_ses_is_ann(void **state)
{
	static const struct fit_case c = {
		"nile-years", KPI_FC_SES, NULL, 1, 10, "ETS(A,N,N)",
		{ "alpha", "l0", NULL, NULL },
		{ 0.245533862697156, 1110.68685995136 },
		-726.390519999206, 1459.03103999841, 20802.8010255647,
		{ 805.38128285872, 805.38128285872, 805.38128285872 },
		{ 620.540843106376, 575.808124739275 },
		{ 1088.07034082666, 1156.4831298921 },
	};

	(void)state;
	check_fit(&c);
}

/* fit <- ets(WWWusage, "AAN", damped = FALSE); forecast(fit, h = 10)
 * (-m holt) */
static void
test_holt_is_aan(void **state)
{
	static const struct fit_case c = {
		"wwwusage", KPI_FC_HOLT, NULL, 1, 10, "ETS(A,A,N)",
		{ "alpha", "beta", "l0", "b0" },
		{ 0.999899814906903, 0.999899798519283, 85.083479315891367,
		  3.105848480337938 },
		-359.346865223763, 729.332028319865, 13.7713330041911,
		{ 217.999398625844, 215.998997661993, 199.995789951185 },
		{ 213.243593227324, 106.689475535536 },
		{ 225.272775327326, 342.695483589443 },
	};

	(void)state;
	check_fit(&c);
}

/* fit <- ets(USAccDeaths, "AAA", damped = FALSE); forecast(fit, h = 24)
 * (-m hw) */
static void
test_hw_is_aaa(void **state)
{
	static const struct fit_case c = {
		"usaccdeaths-dates", KPI_FC_HW, NULL, 12, 24, "ETS(A,A,A)",
		{ "alpha", "beta", "gamma", "b0" },
		{ 0.537836338579467, 0.00118122904167618, 0.00371516218674482,
		  -20.04685725899 },
		-555.924933733456, 1157.18320080025, 90853.8617353025,
		{ 8034.84313464801, 7485.72536056182, 8644.69838191775 },
		{ 7648.55819055671, 7551.16391167525 },
		{ 8625.61497601928, 10317.1150330711 },
	};

	(void)state;
	check_fit(&c);
}

/* fit <- ets(AirPassengers, "MAM", damped = FALSE); forecast(fit, h = 24)
 * (-m hwm; R's hw(seasonal = "multiplicative") would fit by MSE instead) */
static void
test_hwm_is_mam(void **state)
{
	static const struct fit_case c = {
		"airpassengers-dates", KPI_FC_HWM, NULL, 12, 24, "ETS(M,A,M)",
		{ "alpha", "beta", "gamma", "l0" },
		{ 0.3949968504950142, 0.0107004419033437, 0.3995392024005587,
		  122.3754260164762684 },
		-682.403619057806, 1403.66438097275, 0.00158214813524167,
		{ 448.9737671674, 425.227817273056, 500.435516064022 },
		{ 426.087201703905, 432.728922001936 },
		{ 483.975748550184, 603.983815988396 },
	};

	(void)state;
	check_fit(&c);
}

/* The parameters a seasonal damped fit reports: alpha, beta, gamma, phi,
 * l0, b0, s0..s11 (s0 the most recent initial season, as R's s1). */
static void
test_param_names_of_madm(void **state)
{
	static const char *const names[] = {
		"alpha", "beta", "gamma", "phi", "l0", "b0", "s0", "s1", "s2",
		"s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
	};
	struct kpi_fc_spec spec = spec_of(KPI_FC_ETS, 12, 3, "MAdM");
	struct kpi_fc_result r;
	double *y, sum = 0.0;
	size_t n, i;

	(void)state;
	y = load_series("airpassengers-dates", &n);
	assert_int_equal(kpi_forecast(y, n, &spec, &r, NULL), KPI_OK);
	assert_int_equal(r.nparam, 18);
	for (i = 0; i < 18; i++) {
		assert_string_equal(r.param_name[i], names[i]);
		if (i >= 6)
			sum += r.param[i];
	}
	/* multiplicative seasonal states sum to m */
	assert_close(sum, 12.0, 1e-9);
	/* the one-step fit of the first month is (l0 + phi b0) s11 */
	assert_rel(r.fitted[0], (param(&r, "l0") + param(&r, "phi") *
				 param(&r, "b0")) * param(&r, "s11"), 1e-12);
	kpi_fc_result_free(&r);
	free(y);
}

/* ==== Short, constant and refused series ==== */

/* ets(ts(c(10, 12, 11, 14, 13, 15))): n <= 6, so ets() hands the series to
 * HoltWintersZZ(): Holt (alpha 0.417124946726431, beta* 1, l0 10, b0 2)
 * beats simple smoothing on MSE; forecast(h = 3) 15.2411685982270,
 * 16.1183360759035, 16.9955035535800, 95% [12.30080594123998,
 * 18.1815312552139] at h = 1.  R optimises with L-BFGS-B, we with
 * Nelder-Mead, hence 1e-3. */
static void
test_short_series_gets_holt_winters_as_r(void **state)
{
	static const double y[] = {10, 12, 11, 14, 13, 15};
	static const double y2[] = {5, 9, 4, 8, 6, 7};
	struct kpi_fc_spec spec = spec_of(KPI_FC_ETS, 1, 3, NULL);
	struct kpi_fc_result r;

	(void)state;
	assert_int_equal(kpi_forecast(y, 6, &spec, &r, NULL), KPI_OK);
	assert_string_equal(r.model, "ETS(A,A,N)");
	assert_close(param(&r, "alpha"), 0.417124946726431, 1e-3);
	assert_close(param(&r, "beta"), 1.0, 1e-3);
	assert_close(param(&r, "l0"), 10.0, 1e-12);
	assert_close(param(&r, "b0"), 2.0, 1e-12);
	assert_rel(r.mean[0], 15.2411685982270, 1e-3);
	assert_rel(r.mean[2], 16.9955035535800, 1e-3);
	assert_rel(r.lo[3], 12.30080594123998, 1e-3);
	assert_rel(r.hi[3], 18.1815312552139, 1e-3);
	assert_nan(r.aicc);
	kpi_fc_result_free(&r);
	/* ets(ts(c(5, 9, 4, 8, 6, 7))): SES, alpha 0.195702436048087,
	 * forecast 6.15436567208392, sigma2 4.47879087871465 */
	spec.horizon = 2;
	assert_int_equal(kpi_forecast(y2, 6, &spec, &r, NULL), KPI_OK);
	assert_string_equal(r.model, "ETS(A,N,N)");
	assert_close(param(&r, "alpha"), 0.195702436048087, 1e-3);
	assert_rel(r.mean[1], 6.15436567208392, 1e-3);
	assert_rel(r.sigma2, 4.47879087871465, 1e-3);
	kpi_fc_result_free(&r);
}

/* y3 <- ts(AirPassengers[1:20], frequency = 4); ets(y3, "MAM", damped =
 * FALSE): a short seasonal series, still estimated (n > npar + 4):
 * loglik -77.5363488979728, AICc 191.072697795946, mean 154.806081469140,
 * 162.022902999437, 167.190487955313, 164.037877462526, upper 95% at h = 4
 * 235.771151619545.  Its initial seasons come from the Fourier
 * regression (n < 3 m). */
static void
test_short_seasonal_series_mam_as_r(void **state)
{
	static const double y[] = {
		112, 118, 132, 129, 121, 135, 148, 148, 136, 119,
		104, 118, 115, 126, 141, 135, 125, 149, 170, 170,
	};
	struct kpi_fc_spec spec = spec_of(KPI_FC_HWM, 4, 4, NULL);
	struct kpi_fc_result r;

	(void)state;
	assert_int_equal(kpi_forecast(y, 20, &spec, &r, NULL), KPI_OK);
	assert_string_equal(r.model, "ETS(M,A,M)");
	assert_true(r.loglik >= -77.5363488979728 - 0.5);
	assert_rel(r.aicc, 191.072697795946, 1e-4);
	assert_rel(r.mean[0], 154.806081469140, 1e-3);
	assert_rel(r.mean[3], 164.037877462526, 1e-3);
	assert_rel(r.hi[4 + 3], 235.771151619545, 1e-3);
	kpi_fc_result_free(&r);
}

/* ets(ts(rep(3.5, 10))): simple smoothing with alpha 0.99999 and flat,
 * zero-width intervals; a fixed trended model cannot be estimated. */
static void
test_constant_series(void **state)
{
	double y[10];
	struct kpi_fc_spec spec = spec_of(KPI_FC_ETS, 1, 2, NULL);
	struct kpi_fc_result r;
	struct kpi_error err;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		y[i] = 3.5;
	assert_int_equal(kpi_forecast(y, 10, &spec, &r, NULL), KPI_OK);
	assert_string_equal(r.model, "ETS(A,N,N)");
	assert_close(param(&r, "alpha"), 0.99999, 0);
	for (i = 0; i < 2; i++) {
		assert_close(r.mean[i], 3.5, 0);
		assert_close(r.lo[i], 3.5, 0);
		assert_close(r.hi[2 + i], 3.5, 0);
	}
	assert_close(r.sigma2, 0.0, 0);
	kpi_fc_result_free(&r);
	spec.method = KPI_FC_SES;
	assert_int_equal(kpi_forecast(y, 10, &spec, &r, NULL), KPI_OK);
	kpi_fc_result_free(&r);
	spec.method = KPI_FC_HOLT;
	assert_int_equal(kpi_forecast(y, 10, &spec, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "constant"));
}

static void
expect_refusal(const double *y, size_t n, enum kpi_fc_method method,
	       int m, const char *ets, const char *words)
{
	struct kpi_fc_spec spec = spec_of(method, m, 4, ets);
	struct kpi_fc_result r;
	struct kpi_error err;

	memset(&r, 0x5a, sizeof(r));
	memset(&err, 0, sizeof(err));
	assert_int_equal(kpi_fc_ets(y, n, &spec, &r, &err), KPI_EINVAL);
	if (!strstr(err.msg, words))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, words);
	/* out untouched */
	assert_int_equal(((const unsigned char *)&r)[0], 0x5a);
	assert_int_equal(((const unsigned char *)&r)[sizeof(r) - 1], 0x5a);
}

static void
test_refusals_have_reasons(void **state)
{
	double y[48];
	int i;

	(void)state;
	for (i = 0; i < 48; i++)
		y[i] = 10.0 + (i % 4) + 0.1 * i;
	y[5] = 0.0;
	expect_refusal(y, 48, KPI_FC_HWM, 4, NULL, "data > 0");
	expect_refusal(y, 48, KPI_FC_ETS, 4, "MNN", "data > 0");
	expect_refusal(y, 48, KPI_FC_ETS, 4, "ZZM", "data > 0");
	y[5] = 12.0;
	expect_refusal(y, 48, KPI_FC_ETS, 4, "AAM", "not allowed");
	expect_refusal(y, 48, KPI_FC_HW, 1, NULL, "period above 1");
	expect_refusal(y, 48, KPI_FC_ETS, 25, "AAA", "too high");
	expect_refusal(y, 48, KPI_FC_ETS, 4, "MMN", "multiplicative trend");
	expect_refusal(y, 48, KPI_FC_ETS, 4, "AXN", "not error");
}

/* With data <= 0, "ZZZ" only tries additive errors; with m > 24 the season
 * is dropped (ets() warns); with n <= m too. */
static void
test_selection_restrictions(void **state)
{
	double y[60];
	struct kpi_fc_spec spec = spec_of(KPI_FC_ETS, 4, 4, NULL);
	struct kpi_fc_result r;
	int i;

	(void)state;
	for (i = 0; i < 60; i++)
		y[i] = 5.0 * sin(i * 1.5707963267948966) + 0.2 * i - 3.0 +
		       ((i * 7919) % 13) / 13.0;
	assert_int_equal(kpi_forecast(y, 60, &spec, &r, NULL), KPI_OK);
	assert_int_equal(r.model[4], 'A');
	kpi_fc_result_free(&r);
	spec.m = 30;
	assert_int_equal(kpi_forecast(y, 60, &spec, &r, NULL), KPI_OK);
	assert_int_equal(r.model[strlen(r.model) - 2], 'N');
	kpi_fc_result_free(&r);
	spec.m = 12;
	assert_int_equal(kpi_forecast(y, 12, &spec, &r, NULL), KPI_OK);
	assert_int_equal(r.model[strlen(r.model) - 2], 'N');
	kpi_fc_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_madm_airpassengers_matches_r),
		cmocka_unit_test(test_fixed_ana_usaccdeaths_matches_r),
		cmocka_unit_test(test_fixed_mada_usaccdeaths_matches_r),
		cmocka_unit_test(test_fixed_mam_ukgas_matches_r),
		cmocka_unit_test(test_fixed_mnn_nile_matches_r),
		cmocka_unit_test(test_fixed_aadn_wwwusage_matches_r),
		cmocka_unit_test(test_fixed_man_wwwusage_matches_r),
		cmocka_unit_test(test_fixed_simulated_intervals_agree_with_r),
		cmocka_unit_test(test_auto_airpassengers_chooses_madm_as_r),
		cmocka_unit_test(test_auto_ukgas_chooses_mam_as_r),
		cmocka_unit_test(test_auto_usaccdeaths_chooses_ana_as_r),
		cmocka_unit_test(test_auto_nile_chooses_mnn_as_r),
		cmocka_unit_test(test_auto_wwwusage_chooses_aadn_as_r),
		cmocka_unit_test(test_ses_is_ann),
		cmocka_unit_test(test_holt_is_aan),
		cmocka_unit_test(test_hw_is_aaa),
		cmocka_unit_test(test_hwm_is_mam),
		cmocka_unit_test(test_param_names_of_madm),
		cmocka_unit_test(test_short_series_gets_holt_winters_as_r),
		cmocka_unit_test(test_short_seasonal_series_mam_as_r),
		cmocka_unit_test(test_constant_series),
		cmocka_unit_test(test_refusals_have_reasons),
		cmocka_unit_test(test_selection_restrictions),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
