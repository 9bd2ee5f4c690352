/* test_survival.c - unit tests for Kaplan-Meier and Aalen-Johansen.
 *
 * Expected values come from R 4.2.2 with survival 3.5-3, printed with
 * options(digits = 17):
 *   f <- survfit(Surv(t, e) ~ 1); summary(f); print(f, rmean = tau)
 *   (full digits: survival:::survmean(f, rmean = tau)$matrix)
 *   a <- survfit(Surv(t, factor(s, 0:2)) ~ 1); summary(a, times = ...)
 * The R command is next to each table.  The CRM reference numbers of
 * shared/data/crm/README.md are reproduced from testdata/crm (the tests run
 * in testdata/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "kpi/csv.h"
#include "kpi/date.h"
#include "kpi/error.h"
#include "kpi/survival.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Closed forms evaluated in another order than R's C code: a few ulps. */
#define TOL 1e-12

/* ==== Data ==== */

/* R's aml data set (survival package): aml$time, aml$status. */
static const double aml_time[] = {
	9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
	5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45
};
static const int aml_status[] = {
	1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
	1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1
};

/* Ties of events and censorings at 3, 5 and 8; the last time an event. */
static const double tie_time[] = { 3, 3, 3, 5, 5, 7, 8, 8, 10, 12 };
static const int tie_event[] = { 1, 1, 0, 1, 0, 0, 1, 1, 0, 1 };

struct km_row {
	double time, n_risk, n_event, surv, std_err, lower, upper;
};

static struct kpi_km *
km_of(const double *t, const int *e, size_t n)
{
	struct kpi_km *km = NULL;
	struct kpi_error err;

	kpi_error_clear(&err);
	if (kpi_km_new(&km, t, e, n, 0.95, &err) != KPI_OK)
		fail_msg("kpi_km_new: %s", err.msg);
	return km;
}

static void
check_km_rows(const struct kpi_km *km, const struct km_row *r, size_t nr)
{
	size_t j;

	assert_int_equal(km->k, nr);
	for (j = 0; j < nr; j++) {
		assert_close(km->time[j], r[j].time, 0.0);
		assert_close((double)km->n_risk[j], r[j].n_risk, 0.0);
		assert_close((double)km->n_event[j], r[j].n_event, 0.0);
		assert_close(km->surv[j], r[j].surv, TOL);
		if (isnan(r[j].std_err)) {
			assert_nan(km->std_err[j]);
			assert_nan(km->lower[j]);
			assert_nan(km->upper[j]);
		} else {
			assert_close(km->std_err[j], r[j].std_err, TOL);
			assert_close(km->lower[j], r[j].lower, TOL);
			assert_close(km->upper[j], r[j].upper, TOL);
		}
	}
}

/* ==== Kaplan-Meier, small cases ==== */

/* R: f <- survfit(Surv(aml$time, aml$status) ~ 1); s <- summary(f)
 *    cbind(s$time, s$n.risk, s$n.event, s$surv, s$std.err, s$lower,
 *          s$upper) */
static void
test_km_matches_r_summary_on_aml(void **state)
{
	static const struct km_row r[] = {
		{ 5, 23, 2, 0.913043478260869512, 0.058753384755841409,
		  0.804854797782957765, 1.00000000000000000 },
		{ 8, 21, 2, 0.826086956521739135, 0.079034196447511806,
		  0.684839468071898660, 0.99646660502298201 },
		{ 9, 19, 1, 0.782608695652173836, 0.086006148703798302,
		  0.630957910599587612, 0.97070875920768129 },
		{ 12, 18, 1, 0.739130434782608647, 0.091560537151700067,
		  0.579799217968031133, 0.94224652723151947 },
		{ 13, 17, 1, 0.695652173913043459, 0.095943875542151391,
		  0.530878341628212125, 0.91156845010048149 },
		{ 18, 14, 1, 0.645962732919254656, 0.101142675175284608,
		  0.475257724705514473, 0.87798226231686283 },
		{ 23, 13, 2, 0.546583850931677051, 0.107250641740122291,
		  0.372078087249211209, 0.80293335280236955 },
		{ 27, 11, 1, 0.496894409937888193, 0.108401780788683025,
		  0.324016545689815916, 0.76201063776504074 },
		{ 30, 9, 1, 0.441683919944789505, 0.109518069977657145,
		  0.271675995392291647, 0.71807847747497544 },
		{ 31, 8, 1, 0.386473429951690817, 0.108858801494864363,
		  0.222515297746885776, 0.67124244297363078 },
		{ 33, 7, 1, 0.331262939958592129, 0.106390972887550561,
		  0.176520182580704676, 0.62165772653129403 },
		{ 34, 6, 1, 0.276052449965493440, 0.101983376090491865,
		  0.133822195629272805, 0.56944929631151486 },
		{ 43, 5, 1, 0.220841959972394752, 0.095367438486434419,
		  0.094733240563312560, 0.51482637978433587 },
		{ 45, 4, 1, 0.165631469979296064, 0.086035208408575106,
		  0.059840717810080948, 0.45844677088550700 },
		{ 48, 2, 1, 0.082815734989648032, 0.072661800503528301,
		  0.014834608254847221, 0.46232740656529359 },
	};
	struct kpi_km *km = km_of(aml_time, aml_status, NELEM(aml_time));

	assert_int_equal(km->n, 23);
	assert_int_equal(km->events, 18);
	assert_close(km->max_time, 161, 0.0);
	check_km_rows(km, r, NELEM(r));
	kpi_km_free(km);
}

/* R: print(f, rmean = 138) for aml: median 27, 0.95LCL 18, 0.95UCL 45,
 * rmean 34.4596273291925428, se(rmean) 8.2765216471342757.  The upper
 * curve is not monotone there (0.4584 at 45, 0.4623 at 48): the rule takes
 * the first time it is <= 1/2. */
static void
test_km_median_and_rmean_match_r_print_on_aml(void **state)
{
	struct kpi_km *km = km_of(aml_time, aml_status, NELEM(aml_time));
	double med, lo, hi, rm, se;

	kpi_km_median(km, &med, &lo, &hi);
	assert_close(med, 27, 0.0);
	assert_close(lo, 18, 0.0);
	assert_close(hi, 45, 0.0);
	assert_int_equal(kpi_km_rmean(km, 138, &rm, &se, NULL), KPI_OK);
	assert_close(rm, 34.4596273291925428, TOL);
	assert_close(se, 8.2765216471342757, TOL);
	kpi_km_free(km);
}

/* R: t <- 1:10; e <- rep(1, 10): S is exactly 1/2 from 5 to 6, so the
 * median is the midpoint 5.5; 0.95LCL 3; the upper curve never reaches
 * 1/2 (NA at S = 0), so 0.95UCL is NA.  At t = 10, S = 0: std.err NaN,
 * limits NA.  print(f, rmean = 8): 5.2, se 0.78485667481394339. */
static void
test_km_median_midpoint_when_curve_is_exactly_half(void **state)
{
	static const double t[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const int e[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const struct km_row r[] = {
		{ 1, 10, 1, 0.9, 0.094868329805051374, 0.732011642743992663,
		  1.0 },
		{ 2, 9, 1, 0.8, 0.126491106406735165, 0.586817701233813604,
		  1.0 },
		{ 3, 8, 1, 0.7, 0.144913767461894355, 0.466533226139488999,
		  1.0 },
		{ 4, 7, 1, 0.6, 0.154919333848296648, 0.361719529254716288,
		  0.99524623605958118 },
		{ 5, 6, 1, 0.5, 0.158113883008418971, 0.269027355063544804,
		  0.92927353034768345 },
		{ 6, 5, 1, 0.4, 0.154919333848296703, 0.187236731482290503,
		  0.85453318231595687 },
		{ 7, 4, 1, 0.3, 0.144913767461894410, 0.116399696087110274,
		  0.77319789505847625 },
		{ 8, 3, 1, 0.2, 0.126491106406735193, 0.057900574217989290,
		  0.69083943536387749 },
		{ 9, 2, 1, 0.1, 0.094868329805051388, 0.015576838338526137,
		  0.64197880100399074 },
		{ 10, 1, 1, 0.0, NAN, NAN, NAN },
	};
	struct kpi_km *km = km_of(t, e, NELEM(t));
	double med, lo, hi, rm, se;

	check_km_rows(km, r, NELEM(r));
	kpi_km_median(km, &med, &lo, &hi);
	assert_close(med, 5.5, 0.0);
	assert_close(lo, 3, 0.0);
	assert_nan(hi);
	kpi_km_rmean(km, 8, &rm, &se, NULL);
	assert_close(rm, 5.2, TOL);
	assert_close(se, 0.78485667481394339, TOL);
	/* the curve is known to be 0 at its last event, and NaN beyond */
	assert_double_exact(kpi_km_surv(km, 10), 0.0);
	assert_nan(kpi_km_surv(km, 10.5));
	kpi_km_free(km);
}

/* R: t <- c(3,3,3,5,5,7,8,8,10,12); e <- c(1,1,0,1,0,0,1,1,0,1)
 * summary(f): censorings at 3 and 5 are at risk there (n.risk 10 and 7);
 * print(f, rmean = 11): median 8, 0.95LCL 5, 0.95UCL NA, rmean
 * 7.6857142857142859, se 1.0198496430654087. */
static void
test_km_ties_put_events_before_censorings(void **state)
{
	static const struct km_row r[] = {
		{ 3, 10, 2, 0.80000000000000004, 0.12649110640673519,
		  0.58681770123381360, 1.0 },
		{ 5, 7, 1, 0.68571428571428572, 0.15149401743232060,
		  0.44472166068521191, 1.0 },
		{ 8, 4, 2, 0.34285714285714286, 0.18741762038689661,
		  0.11744022624882929, 1.0 },
		{ 12, 1, 1, 0.0, NAN, NAN, NAN },
	};
	struct kpi_km *km = km_of(tie_time, tie_event, NELEM(tie_time));
	double med, lo, hi, rm, se;

	check_km_rows(km, r, NELEM(r));
	kpi_km_median(km, &med, &lo, &hi);
	assert_close(med, 8, 0.0);
	assert_close(lo, 5, 0.0);
	assert_nan(hi);
	kpi_km_rmean(km, 11, &rm, &se, NULL);
	assert_close(rm, 7.6857142857142859, TOL);
	assert_close(se, 1.0198496430654087, TOL);
	kpi_km_free(km);
}

/* R: summary(f, times = c(0, 2.5, 3, 6, 8, 11.9, 12)) for the ties data:
 * surv 1 1 .8 .68571 .34286 .34286 0; std.err 0 0 .12649 .15149 .18742
 * .18742 NaN; lower 1 1 .58682 .44472 .11744 .11744 NA; upper 1 ... NA.
 * Times past the last observation are dropped by R: NaN here. */
static void
test_km_at_matches_r_summary_times(void **state)
{
	static const struct {
		double t, surv, se, lo, hi;
	} r[] = {
		{ 0, 1, 0, 1, 1 },
		{ 2.5, 1, 0, 1, 1 },
		{ 3, 0.80000000000000004, 0.12649110640673519,
		  0.58681770123381360, 1 },
		{ 6, 0.68571428571428572, 0.15149401743232060,
		  0.44472166068521191, 1 },
		{ 8, 0.34285714285714286, 0.18741762038689661,
		  0.11744022624882929, 1 },
		{ 11.9, 0.34285714285714286, 0.18741762038689661,
		  0.11744022624882929, 1 },
	};
	struct kpi_km *km = km_of(tie_time, tie_event, NELEM(tie_time));
	double s, se, lo, hi;
	size_t i;

	for (i = 0; i < NELEM(r); i++) {
		kpi_km_at(km, r[i].t, &s, &se, &lo, &hi);
		assert_close(s, r[i].surv, TOL);
		assert_close(se, r[i].se, TOL);
		assert_close(lo, r[i].lo, TOL);
		assert_close(hi, r[i].hi, TOL);
	}
	kpi_km_at(km, 12, &s, &se, &lo, &hi);
	assert_double_exact(s, 0.0);
	assert_nan(se);
	assert_nan(lo);
	assert_nan(hi);
	kpi_km_at(km, 12.01, &s, &se, NULL, NULL);
	assert_nan(s);
	assert_nan(se);
	assert_nan(kpi_km_surv(km, NAN));
	assert_close(kpi_km_surv(km, -1), 1.0, 0.0);
	kpi_km_free(km);
}

/* The horizon may lie before the first event (area tau, se 0) or beyond
 * the last time (the curve is held, as R does). */
static void
test_km_rmean_horizon_edges(void **state)
{
	struct kpi_km *km = km_of(aml_time, aml_status, NELEM(aml_time));
	struct kpi_error err;
	double rm = 1.0, se = 2.0;

	kpi_km_rmean(km, 4, &rm, &se, NULL);
	assert_close(rm, 4, TOL);
	assert_close(se, 0, 0.0);
	kpi_km_rmean(km, 0, &rm, &se, NULL);
	assert_close(rm, 0, 0.0);
	/* R: print(survfit(Surv(aml$time, aml$status) ~ 1), rmean = 200):
	 * 39.594202898550726, se 12.584498346359966 (the last observation,
	 * 161, is censored: the curve is held at 0.0828 from 48 to 200) */
	kpi_km_rmean(km, 200, &rm, &se, NULL);
	assert_close(rm, 39.594202898550726, TOL);
	assert_close(se, 12.584498346359966, TOL);
	rm = 1.0;
	se = 2.0;
	kpi_error_clear(&err);
	assert_int_equal(kpi_km_rmean(km, -1, &rm, &se, &err), KPI_EINVAL);
	assert_int_equal(kpi_km_rmean(km, NAN, &rm, &se, NULL), KPI_EINVAL);
	assert_int_equal(kpi_km_rmean(km, INFINITY, &rm, &se, NULL),
			 KPI_EINVAL);
	assert_double_exact(rm, 1.0);
	assert_double_exact(se, 2.0);
	kpi_km_free(km);
}

/* No events: a flat curve at 1; nothing is ever <= 1/2. */
static void
test_km_all_censored_never_reaches_median(void **state)
{
	static const double t[] = { 4, 2, 9 };
	static const int e[] = { 0, 0, 0 };
	struct kpi_km *km = km_of(t, e, NELEM(t));
	double med, lo, hi, rm, se;

	assert_int_equal(km->k, 0);
	assert_int_equal(km->events, 0);
	kpi_km_median(km, &med, &lo, &hi);
	assert_nan(med);
	assert_nan(lo);
	assert_nan(hi);
	assert_close(kpi_km_surv(km, 9), 1.0, 0.0);
	kpi_km_rmean(km, 5, &rm, &se, NULL);
	assert_close(rm, 5, 0.0);
	assert_close(se, 0, 0.0);
	kpi_km_free(km);
}

static void
test_km_empty_input_gives_nan(void **state)
{
	struct kpi_km *km = km_of(NULL, NULL, 0);
	double med, lo, hi, rm, se;

	assert_int_equal(km->n, 0);
	assert_int_equal(km->k, 0);
	assert_nan(km->max_time);
	assert_nan(kpi_km_surv(km, 0));
	kpi_km_median(km, &med, &lo, &hi);
	assert_nan(med);
	assert_int_equal(kpi_km_rmean(km, 10, &rm, &se, NULL), KPI_OK);
	assert_nan(rm);
	assert_nan(se);
	kpi_km_free(km);
	kpi_km_free(NULL);
}

static void
test_km_rejects_bad_input_and_leaves_out(void **state)
{
	static const double t[] = { 1, 2, 3 };
	static const double tneg[] = { 1, -2, 3 };
	static const double tnan[] = { 1, 2, NAN };
	static const double tinf[] = { INFINITY, 2, 3 };
	static const int e[] = { 1, 0, 1 };
	static const int e2[] = { 1, 2, 1 };
	static struct kpi_km sentinel;
	struct kpi_km *km = &sentinel;
	struct kpi_error err;

	kpi_error_clear(&err);
	assert_int_equal(kpi_km_new(&km, tneg, e, 3, 0.95, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "time[1]"));
	assert_int_equal(kpi_km_new(&km, tnan, e, 3, 0.95, NULL), KPI_EINVAL);
	assert_int_equal(kpi_km_new(&km, tinf, e, 3, 0.95, NULL), KPI_EINVAL);
	assert_int_equal(kpi_km_new(&km, t, e2, 3, 0.95, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "status[1] = 2"));
	assert_int_equal(kpi_km_new(&km, t, e, 3, 0.0, NULL), KPI_EINVAL);
	assert_int_equal(kpi_km_new(&km, t, e, 3, 1.0, NULL), KPI_EINVAL);
	assert_true(km == &sentinel);
}

/* The caller's arrays are not modified and their order does not matter. */
static void
test_km_does_not_modify_input_and_ignores_order(void **state)
{
	double t[NELEM(aml_time)], rt[NELEM(aml_time)];
	int e[NELEM(aml_time)], re[NELEM(aml_time)];
	struct kpi_km *a, *b;
	size_t i, n = NELEM(aml_time);

	memcpy(t, aml_time, sizeof(t));
	memcpy(e, aml_status, sizeof(e));
	for (i = 0; i < n; i++) {
		rt[i] = aml_time[n - 1 - i];
		re[i] = aml_status[n - 1 - i];
	}
	a = km_of(t, e, n);
	b = km_of(rt, re, n);
	assert_memory_equal(t, aml_time, sizeof(t));
	assert_memory_equal(e, aml_status, sizeof(e));
	assert_int_equal(a->k, b->k);
	assert_memory_equal(a->time, b->time, a->k * sizeof(double));
	assert_memory_equal(a->surv, b->surv, a->k * sizeof(double));
	assert_memory_equal(a->std_err, b->std_err, a->k * sizeof(double));
	kpi_km_free(a);
	kpi_km_free(b);
}

/* The curve against a brute-force count, on times spread over many
 * magnitudes (the sort works on the bits of the doubles), with ties, -0
 * and subnormals: strictly ascending event times, n_risk = #(t_i >= time),
 * n_event = #(t_i == time and event), S the product of (1 - d/n). */
static void
test_km_agrees_with_brute_force_counts(void **state)
{
	enum { N = 3000 };
	static double t[N];
	static int e[N];
	struct kpi_km *km;
	unsigned long long x = 88172645463325252ULL;
	double s = 1.0;
	size_t i, j, risk, d;

	for (i = 0; i < N; i++) {
		/* xorshift64 (Marsaglia 2003): reproducible, no libc rand */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (x % 5) {
		case 0:  t[i] = (double)(x >> 40 & 63); break;	/* ties */
		case 1:  t[i] = ldexp((double)(x >> 11), -53 - (int)(x % 40));
			 break;
		case 2:  t[i] = ldexp((double)(x >> 11), (int)(x % 900));
			 break;
		case 3:  t[i] = (x >> 20 & 1) ? -0.0 : 4.9e-324; break;
		default: t[i] = (double)(x >> 30 & 7) * 0.5; break;
		}
		e[i] = (int)(x >> 33 & 1);
	}
	km = km_of(t, e, N);
	for (j = 0; j < km->k; j++) {
		if (j > 0)
			assert_true(km->time[j - 1] < km->time[j]);
		risk = 0;
		d = 0;
		for (i = 0; i < N; i++) {
			risk += t[i] >= km->time[j];
			d += t[i] == km->time[j] && e[i];
		}
		assert_true(d > 0);
		assert_int_equal(km->n_risk[j], risk);
		assert_int_equal(km->n_event[j], d);
		s *= 1.0 - (double)d / (double)risk;
		assert_close(km->surv[j], s, 1e-12);
	}
	d = 0;
	for (i = 0; i < N; i++)
		d += e[i];
	assert_int_equal(km->events, d);
	kpi_km_free(km);
}

/* The level sets the limits: R f <- survfit(Surv(aml$time, aml$status)
 * ~ 1, conf.int = 0.9); summary(f, times = 23): lower 0.39581014902922990,
 * upper 0.75479091890905325; print(f): median 27, 0.9LCL 18, 0.9UCL 43. */
static void
test_km_level_sets_limits(void **state)
{
	struct kpi_km *km = NULL;
	double lo, hi, med;

	assert_int_equal(kpi_km_new(&km, aml_time, aml_status,
				    NELEM(aml_time), 0.9, NULL), KPI_OK);
	assert_close(km->level, 0.9, 0.0);
	kpi_km_at(km, 23, NULL, NULL, &lo, &hi);
	assert_close(lo, 0.39581014902922990, TOL);
	assert_close(hi, 0.75479091890905325, TOL);
	kpi_km_median(km, &med, &lo, &hi);
	assert_close(med, 27, 0.0);
	assert_close(lo, 18, 0.0);
	assert_close(hi, 43, 0.0);
	kpi_km_free(km);
}

/* ==== Aalen-Johansen, small cases ==== */

/* R: t <- c(2,3,3,3,4,5,5,6,7,7,8,9,10,11,12)
 *    s <- c(1,2,0,1,1,0,2,1,2,0,1,0,2,1,0)
 *    a <- survfit(Surv(t, factor(s, 0:2)) ~ 1)
 *    m <- summary(a, times = c(1, 3, 5, 7, 9, 11, 12))
 *    cbind(m$time, m$pstate, m$std.err) */
static const double aj_time[] = { 2, 3, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 10, 11,
				  12 };
static const int aj_status[] = { 1, 2, 0, 1, 1, 0, 2, 1, 2, 0, 1, 0, 2, 1,
				 0 };

static void
test_cif_matches_r_pstate_and_std_err(void **state)
{
	static const struct {
		double t, p[3], se[3];
	} r[] = {
		{ 1, { 1, 0, 0 }, { 0, 0, 0 } },
		{ 3, { 0.80000000000000004, 0.13333333333333333,
		       0.066666666666666666 },
		     { 0.10327955589886449, 0.087770745147251084,
		       0.064406118871953077 } },
		{ 5, { 0.65454545454545454, 0.20606060606060606,
		       0.139393939393939403 },
		     { 0.12568071599953098, 0.106335992996336698,
		       0.091641979995120429 } },
		{ 7, { 0.49090909090909096, 0.28787878787878785,
		       0.221212121212121221 },
		     { 0.13757314835937878, 0.122774169411714401,
		       0.113541527613988738 } },
		{ 9, { 0.39272727272727281, 0.38606060606060605,
		       0.221212121212121221 },
		     { 0.14079990437808379, 0.138998738093699697,
		       0.113541527613988738 } },
		{ 11, { 0.13090909090909095, 0.51696969696969697,
			0.352121212121212168 },
		      { 0.11673700430585428, 0.155553793831627679,
			0.148505867030582162 } },
		{ 12, { 0.13090909090909095, 0.51696969696969697,
			0.352121212121212168 },
		      { 0.11673700430585428, 0.155553793831627679,
			0.148505867030582162 } },
	};
	struct kpi_cif *cif = NULL;
	struct kpi_error err;
	double p, se;
	size_t i;
	int s;

	kpi_error_clear(&err);
	assert_int_equal(kpi_cif_new(&cif, aj_time, aj_status, NELEM(aj_time),
				     2, &err), KPI_OK);
	assert_int_equal(cif->n, 15);
	assert_int_equal(cif->events, 10);
	assert_int_equal(cif->k, 9);
	for (i = 0; i < NELEM(r); i++) {
		for (s = 0; s <= 2; s++) {
			kpi_cif_at(cif, s, r[i].t, &p, &se);
			assert_close(p, r[i].p[s], TOL);
			assert_close(se, r[i].se[s], TOL);
		}
	}
	/* at time 3: 14 at risk, one event of each cause, one censored */
	assert_close(cif->time[1], 3, 0.0);
	assert_int_equal(cif->n_risk[1], 14);
	assert_int_equal(cif->n_event[1], 2);
	assert_int_equal(cif->n_event[cif->k + 1], 1);
	assert_int_equal(cif->n_event[2 * cif->k + 1], 1);
	kpi_cif_at(cif, 1, 12.5, &p, &se);
	assert_nan(p);
	assert_nan(se);
	kpi_cif_at(cif, 3, 5, &p, &se);
	assert_nan(p);
	kpi_cif_at(cif, -1, 5, &p, NULL);
	assert_nan(p);
	kpi_cif_free(cif);
	kpi_cif_free(NULL);
}

/* R: t <- c(1,2,3,4,5,6,6); s <- c(1,2,1,0,2,1,2): everyone left at 6
 * has an event, so S drops to 0; R's multi-state std.err is then 0 for
 * state 0 and finite for the causes:
 *   time 6: pstate 0, 0.47619047619047622, 0.52380952380952395;
 *   std.err 0, 0.20415720445074609, 0.20415720445074609;
 *   time 5: std.err 0.19934023560848904, 0.17074694419062769,
 *   0.19440394783993478. */
static void
test_cif_when_everyone_has_an_event(void **state)
{
	static const double t[] = { 1, 2, 3, 4, 5, 6, 6 };
	static const int s[] = { 1, 2, 1, 0, 2, 1, 2 };
	struct kpi_cif *cif = NULL;
	double p, se;

	assert_int_equal(kpi_cif_new(&cif, t, s, NELEM(t), 2, NULL), KPI_OK);
	kpi_cif_at(cif, 0, 6, &p, &se);
	assert_close(p, 0, TOL);
	assert_close(se, 0, TOL);
	kpi_cif_at(cif, 1, 6, &p, &se);
	assert_close(p, 0.47619047619047622, TOL);
	assert_close(se, 0.20415720445074609, TOL);
	kpi_cif_at(cif, 2, 6, &p, &se);
	assert_close(p, 0.52380952380952395, TOL);
	assert_close(se, 0.20415720445074609, TOL);
	kpi_cif_at(cif, 0, 5.5, NULL, &se);
	assert_close(se, 0.19934023560848904, TOL);
	kpi_cif_at(cif, 1, 5, NULL, &se);
	assert_close(se, 0.17074694419062769, TOL);
	kpi_cif_at(cif, 2, 5, NULL, &se);
	assert_close(se, 0.19440394783993478, TOL);
	kpi_cif_free(cif);
}

/* With one cause, the incidence is 1 - Kaplan-Meier, and state 0 is the
 * Kaplan-Meier curve with Greenwood's standard error. */
static void
test_cif_one_cause_is_one_minus_km(void **state)
{
	struct kpi_cif *cif = NULL;
	struct kpi_km *km = km_of(aml_time, aml_status, NELEM(aml_time));
	double p0, se0, p1, se1;
	size_t j;

	assert_int_equal(kpi_cif_new(&cif, aml_time, aml_status,
				     NELEM(aml_time), 1, NULL), KPI_OK);
	assert_int_equal(cif->k, km->k);
	for (j = 0; j < km->k; j++) {
		kpi_cif_at(cif, 0, km->time[j], &p0, &se0);
		kpi_cif_at(cif, 1, km->time[j], &p1, &se1);
		assert_close(p0, km->surv[j], 1e-15);
		assert_close(se0, km->std_err[j], 1e-15);
		assert_close(p1, 1.0 - km->surv[j], 1e-15);
		assert_close(se1, km->std_err[j], 1e-12);
	}
	kpi_cif_free(cif);
	kpi_km_free(km);
}

static void
test_cif_rejects_bad_input_and_leaves_out(void **state)
{
	static const double t[] = { 1, 2, 3 };
	static const double tneg[] = { 1, 2, -0.5 };
	static const int s[] = { 1, 2, 0 };
	static const int s3[] = { 1, 3, 0 };
	static const int sneg[] = { 1, -1, 0 };
	static struct kpi_cif sentinel;
	struct kpi_cif *cif = &sentinel;
	struct kpi_error err;
	double p = 0.0;

	kpi_error_clear(&err);
	assert_int_equal(kpi_cif_new(&cif, t, s3, 3, 2, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "status[1] = 3"));
	assert_int_equal(kpi_cif_new(&cif, t, sneg, 3, 2, NULL), KPI_EINVAL);
	assert_int_equal(kpi_cif_new(&cif, tneg, s, 3, 2, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "time[2]"));
	assert_int_equal(kpi_cif_new(&cif, t, s, 3, 0, NULL), KPI_EINVAL);
	assert_int_equal(kpi_cif_new(&cif, t, s, 3, KPI_CIF_MAX_CAUSES + 1,
				     NULL), KPI_EINVAL);
	assert_true(cif == &sentinel);
	assert_int_equal(kpi_cif_new(&cif, NULL, NULL, 0, 2, NULL), KPI_OK);
	assert_nan(cif->max_time);
	kpi_cif_at(cif, 1, 0, &p, NULL);
	assert_nan(p);
	kpi_cif_free(cif);
}

/* ==== The CRM reference (shared/data/crm/README.md) ==== */

struct crm {
	struct kpi_csv_header *h;
	size_t stage, engage, close;
	long end;		/* 2017-12-31, where open deals are censored */
	size_t n;
	double time[8800];
	int event[8800];	/* 1 won or lost, 0 open */
	int status[8800];	/* 1 won, 2 lost, 0 open */
};

static enum kpi_status
crm_header(const struct kpi_csv_record *rec, void *ctx,
	   struct kpi_error *err)
{
	struct crm *c = ctx;
	enum kpi_status st;

	st = kpi_csv_header_new(&c->h, rec, err);
	if (st == KPI_OK)
		st = kpi_csv_header_find(c->h, "deal_stage", &c->stage, err);
	if (st == KPI_OK)
		st = kpi_csv_header_find(c->h, "engage_date", &c->engage, err);
	if (st == KPI_OK)
		st = kpi_csv_header_find(c->h, "close_date", &c->close, err);
	return st;
}

/* Cycle = close_date - engage_date in days for Won and Lost; Engaging
 * deals are censored at 2017-12-31; Prospecting deals were never engaged
 * and are left out. */
static enum kpi_status
crm_record(const struct kpi_csv_record *rec, void *ctx,
	   struct kpi_error *err)
{
	struct crm *c = ctx;
	const char *stage = rec->fields[c->stage];
	long eng, end;
	enum kpi_status st;
	int status;

	if (strcmp(stage, "Prospecting") == 0)
		return KPI_OK;
	if (strcmp(stage, "Won") == 0)
		status = 1;
	else if (strcmp(stage, "Lost") == 0)
		status = 2;
	else if (strcmp(stage, "Engaging") == 0)
		status = 0;
	else
		return kpi_error_set(err, KPI_EPARSE, rec->line,
				     "unknown stage %s", stage);
	st = kpi_date_parse(rec->fields[c->engage], NULL, NULL, &eng, err);
	if (st != KPI_OK)
		return st;
	end = c->end;
	if (status != 0) {
		st = kpi_date_parse(rec->fields[c->close], NULL, NULL, &end,
				    err);
		if (st != KPI_OK)
			return st;
	}
	if (c->n == NELEM(c->time))
		return kpi_error_set(err, KPI_ENOMEM, rec->line, "too many");
	c->time[c->n] = (double)(end - eng);
	c->event[c->n] = status != 0;
	c->status[c->n] = status;
	c->n++;
	return KPI_OK;
}

static int
crm_setup(void **state)
{
	struct crm *c = calloc(1, sizeof(*c));
	struct kpi_error err;
	FILE *f;
	enum kpi_status st;

	if (!c)
		return -1;
	kpi_error_clear(&err);
	if (kpi_date_from_ymd(2017, 12, 31, &c->end, &err) != KPI_OK) {
		free(c);
		return -1;
	}
	f = fopen("crm/sales_pipeline.csv", "r");
	if (!f) {
		fprintf(stderr, "crm/sales_pipeline.csv: cannot open\n");
		free(c);
		return -1;
	}
	st = kpi_csv_read(f, NULL, crm_header, crm_record, c, &err);
	fclose(f);
	kpi_csv_header_free(c->h);
	c->h = NULL;
	if (st != KPI_OK) {
		fprintf(stderr, "crm/sales_pipeline.csv:%lu: %s\n", err.line,
			err.msg);
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int
crm_teardown(void **state)
{
	free(*state);
	return 0;
}

/* R (README recipe, reproduced):
 *   d <- read.csv("crm/sales_pipeline.csv"); d <- d[d$deal_stage !=
 *        "Prospecting", ]; eng <- as.Date(d$engage_date)
 *   t <- as.numeric(ifelse(d$deal_stage %in% c("Won", "Lost"),
 *        as.Date(d$close_date) - eng, as.Date("2017-12-31") - eng))
 *   e <- as.integer(d$deal_stage %in% c("Won", "Lost"))
 *   f <- survfit(Surv(t, e) ~ 1); print(f, rmean = 138)
 * n 8300, events 6711, median 69 (0.95 CI 67-70), rmean
 * 64.72693074430881666, se(rmean) 0.55780089918958997;
 * summary(f, times = c(14, 30, 60, 90, 120, 138)): see the table. */
static void
test_crm_km_reproduces_readme(void **state)
{
	static const struct {
		double t, surv, se, lo, hi;
	} r[] = {
		{ 14, 0.66188587423437606, 0.0051930362791493771,
		  0.65178556802598397, 0.67214269846112851 },
		{ 30, 0.61879870683254556, 0.0053322344327506668,
		  0.60843547880672155, 0.62933844740383427 },
		{ 60, 0.54976580203745740, 0.0054666966579658069,
		  0.53915500759555246, 0.56058542132027489 },
		{ 90, 0.35086063855231880, 0.0052693160406350869,
		  0.34068348718157626, 0.36134180938370464 },
		{ 120, 0.20445852962093325, 0.0044940844781548531,
		  0.19583732360933825, 0.21345926080027730 },
		{ 138, 0.17882025553169439, 0.0042932984244729040,
		  0.17060046062802545, 0.18743609290799010 },
	};
	struct crm *c = *state;
	struct kpi_km *km = km_of(c->time, c->event, c->n);
	double med, lo, hi, rm, se, s;
	size_t i;

	assert_int_equal(km->n, 8300);
	assert_int_equal(km->events, 6711);
	assert_int_equal(km->k, 138);
	assert_close(km->max_time, 423, 0.0);
	kpi_km_median(km, &med, &lo, &hi);
	assert_close(med, 69, 0.0);
	assert_close(lo, 67, 0.0);
	assert_close(hi, 70, 0.0);
	kpi_km_rmean(km, 138, &rm, &se, NULL);
	assert_close(rm, 64.72693074430881666, 1e-10);
	assert_close(se, 0.55780089918958997, 1e-12);
	assert_close(rm, 64.7, 0.05);	/* the README's rounding */
	for (i = 0; i < NELEM(r); i++) {
		kpi_km_at(km, r[i].t, &s, &se, &lo, &hi);
		assert_close(s, r[i].surv, TOL);
		assert_close(se, r[i].se, TOL);
		assert_close(lo, r[i].lo, TOL);
		assert_close(hi, r[i].hi, TOL);
	}
	kpi_km_free(km);
}

/* R: a <- survfit(Surv(t, factor(s, 0:2, c("open", "won", "lost"))) ~ 1)
 *    (s: 1 Won, 2 Lost, 0 Engaging); m <- summary(a, times = c(30, 60,
 *    90, 120)); m$pstate; m$std.err.  README: P(won by day 30/60/90/120) =
 *    0.2190 / 0.2647 / 0.3970 / 0.5000.  The naive 1 - KM that censors the
 *    losses, 1 - summary(survfit(Surv(t, s == 1) ~ 1), times = ...)$surv,
 *    overstates: 0.2421 / 0.2992 / 0.4799 / 0.6436. */
static void
test_crm_aalen_johansen_reproduces_readme(void **state)
{
	static const struct {
		double t, p[3], se[3], readme, naive;
	} r[] = {
		{ 30, { 0.61879870683254556, 0.21899483408635576,
			0.16220645908109890 },
		      { 0.0053322344327506399, 0.0045404489593980305,
			0.0040468912717900787 },
		  0.2190, 0.24210903685707530 },
		{ 60, { 0.54976580203745740, 0.26473297423779879,
			0.18550122372474404 },
		      { 0.0054666966579660610, 0.0048472176256252851,
			0.0042692904725758181 },
		  0.2647, 0.29918583594964143 },
		{ 90, { 0.35086063855231880, 0.39701474644948792,
			0.25212461499819333 },
		      { 0.0052693160406348102, 0.0053945859149518785,
			0.0047820948502971814 },
		  0.3970, 0.47991473170322629 },
		{ 120, { 0.20445852962093325, 0.50004196219774755,
			 0.29549950818131954 },
		       { 0.0044940844781548688, 0.0055389520678664917,
			 0.0050412925198153654 },
		  0.5000, 0.64359974041987478 },
	};
	struct crm *c = *state;
	struct kpi_cif *cif = NULL;
	struct kpi_km *naive;
	int *won;
	double p, se, sum;
	size_t i;
	int s;

	assert_int_equal(kpi_cif_new(&cif, c->time, c->status, c->n, 2, NULL),
			 KPI_OK);
	won = malloc(c->n * sizeof(*won));
	assert_non_null(won);
	for (i = 0; i < c->n; i++)
		won[i] = c->status[i] == 1;
	naive = km_of(c->time, won, c->n);
	for (i = 0; i < NELEM(r); i++) {
		sum = 0.0;
		for (s = 0; s <= 2; s++) {
			kpi_cif_at(cif, s, r[i].t, &p, &se);
			assert_close(p, r[i].p[s], 1e-13);
			assert_close(se, r[i].se[s], 1e-13);
			sum += p;
		}
		assert_close(sum, 1.0, 1e-14);
		kpi_cif_at(cif, 1, r[i].t, &p, NULL);
		assert_close(p, r[i].readme, 1e-4);
		assert_close(1.0 - kpi_km_surv(naive, r[i].t), r[i].naive,
			     1e-13);
	}
	kpi_km_free(naive);
	free(won);
	kpi_cif_free(cif);
}

/* README: closed-only median cycle 45 days.  R: print(survfit(Surv(t[e ==
 * 1], rep(1, sum(e))) ~ 1)): median 45, 0.95 CI 41-49 (no censoring, so
 * the KM median is the sample median of 6711 cycles). */
static void
test_crm_closed_only_median(void **state)
{
	struct crm *c = *state;
	double *t;
	int *e;
	size_t i, m = 0;
	struct kpi_km *km;
	double med, lo, hi;

	t = malloc(c->n * sizeof(*t));
	e = malloc(c->n * sizeof(*e));
	assert_non_null(t);
	assert_non_null(e);
	for (i = 0; i < c->n; i++) {
		if (!c->event[i])
			continue;
		t[m] = c->time[i];
		e[m] = 1;
		m++;
	}
	assert_int_equal(m, 6711);
	km = km_of(t, e, m);
	kpi_km_median(km, &med, &lo, &hi);
	assert_close(med, 45, 0.0);
	assert_close(lo, 41, 0.0);
	assert_close(hi, 49, 0.0);
	kpi_km_free(km);
	free(t);
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_km_matches_r_summary_on_aml),
		cmocka_unit_test(test_km_median_and_rmean_match_r_print_on_aml),
		cmocka_unit_test(test_km_median_midpoint_when_curve_is_exactly_half),
		cmocka_unit_test(test_km_ties_put_events_before_censorings),
		cmocka_unit_test(test_km_at_matches_r_summary_times),
		cmocka_unit_test(test_km_rmean_horizon_edges),
		cmocka_unit_test(test_km_all_censored_never_reaches_median),
		cmocka_unit_test(test_km_empty_input_gives_nan),
		cmocka_unit_test(test_km_rejects_bad_input_and_leaves_out),
		cmocka_unit_test(test_km_does_not_modify_input_and_ignores_order),
		cmocka_unit_test(test_km_agrees_with_brute_force_counts),
		cmocka_unit_test(test_km_level_sets_limits),
		cmocka_unit_test(test_cif_matches_r_pstate_and_std_err),
		cmocka_unit_test(test_cif_when_everyone_has_an_event),
		cmocka_unit_test(test_cif_one_cause_is_one_minus_km),
		cmocka_unit_test(test_cif_rejects_bad_input_and_leaves_out),
		cmocka_unit_test(test_crm_km_reproduces_readme),
		cmocka_unit_test(test_crm_aalen_johansen_reproduces_readme),
		cmocka_unit_test(test_crm_closed_only_median),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, crm_setup, crm_teardown);
}
