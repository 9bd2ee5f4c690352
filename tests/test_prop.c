/* test_prop.c - unit tests for proportion intervals, the chi-square and
 * Fisher tests, and the amount-weighted win rate.
 *
 * Expected values come from R 4.2.2 (stats package), printed with
 * options(digits = 17); the R command is next to each table.  The 4-digit
 * anchors of issue 3 and of shared/data/crm/README.md are checked as well,
 * at their own rounding. */
#include <math.h>
#include <string.h>

#include "test-util.h"

#include "kpi/error.h"
#include "kpi/prop.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Beta quantiles come from GSL's iterative inversion: agreement with R's
 * qbeta to 1e-9 is what TOOLCHAIN.md verified; the closed forms do better. */
#define TOL 1e-9

struct interval_case {
	unsigned long x, n;
	double level;
	double lo, hi;
};

static void
check_intervals(enum kpi_ci_method m, const struct interval_case *c,
		size_t nc)
{
	struct kpi_error err;
	double lo, hi;
	size_t i;

	for (i = 0; i < nc; i++) {
		kpi_error_clear(&err);
		assert_int_equal(kpi_prop_interval(c[i].x, c[i].n, c[i].level,
						   m, &lo, &hi, &err), KPI_OK);
		assert_close(lo, c[i].lo, TOL);
		assert_close(hi, c[i].hi, TOL);
	}
}

/* ==== Method names ==== */

static void
test_ci_method_parse_accepts_names_and_aliases(void **state)
{
	enum kpi_ci_method m = KPI_CI_NONE;

	assert_int_equal(kpi_ci_method_parse("wilson", &m, NULL), KPI_OK);
	assert_int_equal(m, KPI_CI_WILSON);
	assert_int_equal(kpi_ci_method_parse("Jeffreys", &m, NULL), KPI_OK);
	assert_int_equal(m, KPI_CI_JEFFREYS);
	assert_int_equal(kpi_ci_method_parse("exact", &m, NULL), KPI_OK);
	assert_int_equal(m, KPI_CI_EXACT);
	m = KPI_CI_NONE;
	assert_int_equal(kpi_ci_method_parse("clopper-pearson", &m, NULL),
			 KPI_OK);
	assert_int_equal(m, KPI_CI_EXACT);
	assert_int_equal(kpi_ci_method_parse("none", &m, NULL), KPI_OK);
	assert_int_equal(m, KPI_CI_NONE);
	assert_string_equal(kpi_ci_method_name(KPI_CI_WILSON), "wilson");
	assert_string_equal(kpi_ci_method_name(KPI_CI_JEFFREYS), "jeffreys");
	assert_string_equal(kpi_ci_method_name(KPI_CI_EXACT), "exact");
	assert_string_equal(kpi_ci_method_name(KPI_CI_NONE), "none");
}

static void
test_ci_method_parse_rejects_unknown_and_leaves_output(void **state)
{
	struct kpi_error err;
	enum kpi_ci_method m = KPI_CI_JEFFREYS;

	kpi_error_clear(&err);
	assert_int_equal(kpi_ci_method_parse("wald", &m, &err), KPI_EINVAL);
	assert_int_equal(m, KPI_CI_JEFFREYS);
	assert_int_equal(err.status, KPI_EINVAL);
	assert_non_null(strstr(err.msg, "\"wald\""));
	assert_non_null(strstr(err.msg, "wilson"));
	assert_int_equal(kpi_ci_method_parse("", &m, NULL), KPI_EINVAL);
	assert_int_equal(kpi_ci_method_parse(NULL, &m, NULL), KPI_EINVAL);
	assert_int_equal(m, KPI_CI_JEFFREYS);
}

/* ==== Intervals ==== */

/* R: w <- function(x, n, l = .95) prop.test(x, n, conf.level = l,
 *                                           correct = FALSE)$conf.int
 * w(0, 5); w(5, 5); w(4238, 6711); w(55, 79); w(1, 10); w(3, 7);
 * w(55, 79, 0.9) */
static void
test_wilson_matches_r_prop_test(void **state)
{
	static const struct interval_case c[] = {
		{ 0, 5, 0.95, 0.0, 0.43448246478317465 },
		{ 5, 5, 0.95, 0.56551753521682535, 1.0 },
		{ 4238, 6711, 0.95, 0.61988691478311408, 0.64296366937795735 },
		{ 55, 79, 0.95, 0.58765339288595508, 0.78655537216123983 },
		{ 1, 10, 0.95, 0.017876213095072892, 0.404150026795238371 },
		{ 3, 7, 0.95, 0.15821985525146970, 0.74954163547234265 },
		{ 55, 79, 0.90, 0.60576615226033159, 0.77364506868597693 },
	};

	check_intervals(KPI_CI_WILSON, c, NELEM(c));
}

/* R: j <- function(x, n, l = .95) { a <- (1 - l)/2
 *   c(if (x == 0) 0 else qbeta(a, x + .5, n - x + .5),
 *     if (x == n) 1 else qbeta(1 - a, x + .5, n - x + .5)) }
 * for the same (x, n, level) as above. */
static void
test_jeffreys_matches_r_qbeta(void **state)
{
	static const struct interval_case c[] = {
		{ 0, 5, 0.95, 0.0, 0.37937714229903918 },
		{ 5, 5, 0.95, 0.62062285770096082, 1.0 },
		{ 4238, 6711, 0.95, 0.61990438643316059, 0.64298325764330155 },
		{ 55, 79, 0.95, 0.58913011910172919, 0.78919492823323167 },
		{ 1, 10, 0.95, 0.011011673763161155, 0.381314771066616376 },
		{ 3, 7, 0.95, 0.13886421910489027, 0.76549875074790608 },
		{ 55, 79, 0.90, 0.60675540796442418, 0.77520311769406680 },
	};

	check_intervals(KPI_CI_JEFFREYS, c, NELEM(c));
}

/* R: e <- function(x, n, l = .95) binom.test(x, n, conf.level = l)$conf.int
 * for the same (x, n, level) as above. */
static void
test_exact_matches_r_binom_test(void **state)
{
	static const struct interval_case c[] = {
		{ 0, 5, 0.95, 0.0, 0.52182375010498139 },
		{ 5, 5, 0.95, 0.47817624989501861, 1.0 },
		{ 4238, 6711, 0.95, 0.61982942843150013, 0.64305724418711896 },
		{ 55, 79, 0.95, 0.58246288678789926, 0.79471030301960877 },
		{ 1, 10, 0.95, 0.0025285785444617865, 0.4450161170281954348 },
		{ 3, 7, 0.95, 0.09898827844250789, 0.81594843235991699 },
		{ 55, 79, 0.90, 0.60011714388429493, 0.78086779418316610 },
	};

	check_intervals(KPI_CI_EXACT, c, NELEM(c));
}

/* The bounds at x = 0 and x = n are exactly 0 and 1, not 1e-17 away. */
static void
test_jeffreys_pins_bounds_at_zero_and_n(void **state)
{
	static const enum kpi_ci_method ms[] = {
		KPI_CI_WILSON, KPI_CI_JEFFREYS, KPI_CI_EXACT
	};
	double lo, hi;
	size_t i;

	for (i = 0; i < NELEM(ms); i++) {
		assert_int_equal(kpi_prop_interval(0, 5, 0.95, ms[i], &lo, &hi,
						   NULL), KPI_OK);
		assert_double_exact(lo, 0.0);
		assert_true(hi > 0.0 && hi < 1.0);
		assert_int_equal(kpi_prop_interval(5, 5, 0.95, ms[i], &lo, &hi,
						   NULL), KPI_OK);
		assert_double_exact(hi, 1.0);
		assert_true(lo > 0.0 && lo < 1.0);
		assert_int_equal(kpi_prop_interval(0, 1, 0.95, ms[i], &lo, &hi,
						   NULL), KPI_OK);
		assert_double_exact(lo, 0.0);
		assert_int_equal(kpi_prop_interval(1, 1, 0.95, ms[i], &lo, &hi,
						   NULL), KPI_OK);
		assert_double_exact(hi, 1.0);
	}
}

/* Issue 3 and shared/data/crm/README.md, at their printed rounding. */
static void
test_interval_issue3_anchors_at_printed_rounding(void **state)
{
	double lo, hi;

	kpi_prop_interval(0, 5, 0.95, KPI_CI_WILSON, &lo, &hi, NULL);
	assert_close(lo, 0.0, 0.0);
	assert_close(hi, 0.4345, 0.5e-4);
	kpi_prop_interval(0, 5, 0.95, KPI_CI_JEFFREYS, &lo, &hi, NULL);
	assert_close(lo, 0.0, 0.0);
	assert_close(hi, 0.3794, 0.5e-4);
	kpi_prop_interval(0, 5, 0.95, KPI_CI_EXACT, &lo, &hi, NULL);
	assert_close(lo, 0.0, 0.0);
	assert_close(hi, 0.5218, 0.5e-4);
	kpi_prop_interval(5, 5, 0.95, KPI_CI_WILSON, &lo, &hi, NULL);
	assert_close(lo, 0.5655, 0.5e-4);
	assert_close(hi, 1.0, 0.0);
	kpi_prop_interval(4238, 6711, 0.95, KPI_CI_WILSON, &lo, &hi, NULL);
	assert_close(lo, 0.61989, 0.5e-5);
	assert_close(hi, 0.64296, 0.5e-5);
	kpi_prop_interval(4238, 6711, 0.95, KPI_CI_JEFFREYS, &lo, &hi, NULL);
	assert_close(lo, 0.61990, 0.5e-5);
	assert_close(hi, 0.64298, 0.5e-5);
	kpi_prop_interval(4238, 6711, 0.95, KPI_CI_EXACT, &lo, &hi, NULL);
	assert_close(lo, 0.61983, 0.5e-5);
	assert_close(hi, 0.64306, 0.5e-5);
	kpi_prop_interval(55, 79, 0.95, KPI_CI_WILSON, &lo, &hi, NULL);
	assert_close(lo, 0.5877, 0.5e-4);
	assert_close(hi, 0.7866, 0.5e-4);
	kpi_prop_interval(55, 79, 0.95, KPI_CI_JEFFREYS, &lo, &hi, NULL);
	assert_close(lo, 0.5891, 0.5e-4);
	assert_close(hi, 0.7892, 0.5e-4);
}

static void
test_interval_without_denominator_or_method_is_nan(void **state)
{
	static const enum kpi_ci_method ms[] = {
		KPI_CI_NONE, KPI_CI_WILSON, KPI_CI_JEFFREYS, KPI_CI_EXACT
	};
	double lo, hi;
	size_t i;

	for (i = 0; i < NELEM(ms); i++) {
		lo = 0.5;
		hi = 0.5;
		assert_int_equal(kpi_prop_interval(0, 0, 0.95, ms[i], &lo, &hi,
						   NULL), KPI_OK);
		assert_nan(lo);
		assert_nan(hi);
	}
	assert_int_equal(kpi_prop_interval(3, 7, 0.95, KPI_CI_NONE, &lo, &hi,
					   NULL), KPI_OK);
	assert_nan(lo);
	assert_nan(hi);
}

static void
test_interval_rejects_bad_input_and_leaves_outputs(void **state)
{
	struct kpi_error err;
	double lo = 7.0, hi = 8.0;

	kpi_error_clear(&err);
	assert_int_equal(kpi_prop_interval(6, 5, 0.95, KPI_CI_WILSON, &lo, &hi,
					   &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "6 successes out of 5"));
	assert_int_equal(kpi_prop_interval(1, 5, 0.0, KPI_CI_WILSON, &lo, &hi,
					   NULL), KPI_EINVAL);
	assert_int_equal(kpi_prop_interval(1, 5, 1.0, KPI_CI_JEFFREYS, &lo,
					   &hi, NULL), KPI_EINVAL);
	assert_int_equal(kpi_prop_interval(1, 5, NAN, KPI_CI_EXACT, &lo, &hi,
					   NULL), KPI_EINVAL);
	assert_int_equal(kpi_prop_interval(1, 5, 95, KPI_CI_EXACT, &lo, &hi,
					   NULL), KPI_EINVAL);
	assert_int_equal(kpi_prop_interval(1, 5, 0.95, (enum kpi_ci_method)99,
					   &lo, &hi, NULL), KPI_EINVAL);
	assert_int_equal(kpi_prop_interval(1, 0, 0.95, KPI_CI_NONE, &lo, &hi,
					   NULL), KPI_EINVAL);
	assert_double_exact(lo, 7.0);
	assert_double_exact(hi, 8.0);
}

/* Every method brackets x/n, the intervals nest as the level grows, and
 * Clopper-Pearson is the widest (it is conservative). */
static void
test_intervals_bracket_estimate_and_nest(void **state)
{
	static const enum kpi_ci_method ms[] = {
		KPI_CI_WILSON, KPI_CI_JEFFREYS, KPI_CI_EXACT
	};
	unsigned long n, x;
	double lo, hi, lo2, hi2, elo, ehi, p;
	size_t i;

	for (n = 1; n <= 60; n += 7) {
		for (x = 0; x <= n; x++) {
			p = (double)x / (double)n;
			kpi_prop_interval(x, n, 0.95, KPI_CI_EXACT, &elo, &ehi,
					  NULL);
			for (i = 0; i < NELEM(ms); i++) {
				assert_int_equal(kpi_prop_interval(x, n, 0.9,
					ms[i], &lo, &hi, NULL), KPI_OK);
				assert_int_equal(kpi_prop_interval(x, n, 0.99,
					ms[i], &lo2, &hi2, NULL), KPI_OK);
				assert_true(lo <= p && p <= hi);
				assert_true(lo2 <= lo && hi <= hi2);
				assert_true(0.0 <= lo2 && hi2 <= 1.0);
			}
			kpi_prop_interval(x, n, 0.95, KPI_CI_JEFFREYS, &lo,
					  &hi, NULL);
			assert_true(elo <= lo && hi <= ehi);
		}
	}
}

/* Large counts stay finite and agree across methods to the normal limit. */
static void
test_intervals_large_counts(void **state)
{
	double wl, wh, jl, jh, el, eh;

	assert_int_equal(kpi_prop_interval(400000, 1000000, 0.95,
					   KPI_CI_WILSON, &wl, &wh, NULL),
			 KPI_OK);
	assert_int_equal(kpi_prop_interval(400000, 1000000, 0.95,
					   KPI_CI_JEFFREYS, &jl, &jh, NULL),
			 KPI_OK);
	assert_int_equal(kpi_prop_interval(400000, 1000000, 0.95,
					   KPI_CI_EXACT, &el, &eh, NULL),
			 KPI_OK);
	/* R: prop.test(4e5, 1e6, correct = FALSE)$conf.int */
	assert_close(wl, 0.39904020357653724, 1e-9);
	assert_close(wh, 0.40096056471227570, 1e-9);
	assert_close(jl, wl, 2e-6);
	assert_close(el, wl, 2e-6);
	assert_close(jh, wh, 2e-6);
	assert_close(eh, wh, 2e-6);
}

/* ==== Chi-square ==== */

/* R: r <- chisq.test(matrix(c(x, n - x), ncol = 2), correct = FALSE);
 *    c(r$statistic, r$parameter, r$p.value, min(r$expected)) */
static void
test_chisq_matches_r(void **state)
{
	static const unsigned long x1[] = { 55, 120, 300 };
	static const unsigned long n1[] = { 79, 200, 410 };
	static const unsigned long x2[] = { 3, 4 };
	static const unsigned long n2[] = { 10, 12 };
	static const unsigned long x3[] = { 2238, 2000 };
	static const unsigned long n3[] = { 3711, 3000 };
	static const unsigned long x4[] = { 10, 0, 7 };
	static const unsigned long n4[] = { 20, 15, 9 };
	struct kpi_chisq r;

	assert_int_equal(kpi_prop_chisq(x1, n1, 3, &r, NULL), KPI_OK);
	assert_close(r.statistic, 10.9094313023139175556, 1e-11);
	assert_close(r.df, 2.0, 0.0);
	assert_close(r.p_value, 0.0042760925108170514, 1e-14);
	assert_close(r.min_expected, 24.5370101596516683173, 1e-12);
	assert_int_equal(r.groups, 3);

	assert_int_equal(kpi_prop_chisq(x2, n2, 2, &r, NULL), KPI_OK);
	assert_close(r.statistic, 0.027936507936507884, 1e-13);
	assert_close(r.df, 1.0, 0.0);
	assert_close(r.p_value, 0.867258178895433884, 1e-12);
	assert_close(r.min_expected, 3.181818181818181657, 1e-13);

	assert_int_equal(kpi_prop_chisq(x3, n3, 2, &r, NULL), KPI_OK);
	assert_close(r.statistic, 2.8830785593582267e+01, 1e-10);
	assert_close(r.p_value, 7.8985598875080657e-08, 1e-17);
	assert_close(r.min_expected, 1.1054984354045596e+03, 1e-9);

	/* R: chisq.test(matrix(c(10, 0, 7, 10, 15, 2), ncol = 2), ...) */
	assert_int_equal(kpi_prop_chisq(x4, n4, 3, &r, NULL), KPI_OK);
	assert_close(r.statistic, 1.6349552166545632e+01, 1e-11);
	assert_close(r.df, 2.0, 0.0);
	assert_close(r.p_value, 2.8166952165514341e-04, 1e-15);
	assert_close(r.min_expected, 3.4772727272727271e+00, 1e-13);
}

/* A group without trials drops out instead of poisoning the table. */
static void
test_chisq_drops_empty_groups(void **state)
{
	static const unsigned long x[] = { 0, 55, 0, 120, 300, 0 };
	static const unsigned long n[] = { 0, 79, 0, 200, 410, 0 };
	struct kpi_chisq r;

	assert_int_equal(kpi_prop_chisq(x, n, NELEM(x), &r, NULL), KPI_OK);
	assert_int_equal(r.groups, 3);
	assert_close(r.df, 2.0, 0.0);
	assert_close(r.statistic, 10.9094313023139175556, 1e-11);
	assert_close(r.p_value, 0.0042760925108170514, 1e-14);
}

/* R gives NaN for an all-success or all-failure table; one group, or
 * none, has nothing to compare. */
static void
test_chisq_degenerate_tables_give_nan(void **state)
{
	static const unsigned long all[] = { 5, 5 };
	static const unsigned long none[] = { 0, 0 };
	static const unsigned long n34[] = { 3, 4 };
	static const unsigned long one_x[] = { 3 };
	static const unsigned long one_n[] = { 9 };
	static const unsigned long zero[] = { 0, 0 };
	struct kpi_chisq r;

	assert_int_equal(kpi_prop_chisq(all, all, 2, &r, NULL), KPI_OK);
	assert_nan(r.statistic);
	assert_nan(r.p_value);
	assert_close(r.df, 1.0, 0.0);
	assert_close(r.min_expected, 0.0, 0.0);

	assert_int_equal(kpi_prop_chisq(none, n34, 2, &r, NULL), KPI_OK);
	assert_nan(r.p_value);
	assert_close(r.min_expected, 0.0, 0.0);

	assert_int_equal(kpi_prop_chisq(one_x, one_n, 1, &r, NULL), KPI_OK);
	assert_nan(r.p_value);
	assert_close(r.df, 0.0, 0.0);
	assert_int_equal(r.groups, 1);

	assert_int_equal(kpi_prop_chisq(zero, zero, 2, &r, NULL), KPI_OK);
	assert_nan(r.p_value);
	assert_nan(r.min_expected);
	assert_int_equal(r.groups, 0);

	assert_int_equal(kpi_prop_chisq(NULL, NULL, 0, &r, NULL), KPI_OK);
	assert_nan(r.p_value);
}

static void
test_chisq_rejects_more_successes_than_trials(void **state)
{
	static const unsigned long x[] = { 3, 8 };
	static const unsigned long n[] = { 10, 7 };
	struct kpi_error err;
	struct kpi_chisq r;

	memset(&r, 0, sizeof(r));
	r.statistic = 42.0;
	kpi_error_clear(&err);
	assert_int_equal(kpi_prop_chisq(x, n, 2, &r, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "group 2"));
	assert_double_exact(r.statistic, 42.0);
}

/* ==== Fisher ==== */

/* R: fisher.test(matrix(c(a, c, b, d), 2))$p.value */
static void
test_fisher_matches_r(void **state)
{
	static const struct {
		unsigned long a, b, c, d;
		double p;
	} t[] = {
		{ 3, 1, 1, 3, 0.48571428571428582 },
		{ 10, 2, 3, 15, 0.00053672411914343593 },
		{ 2, 2, 2, 2, 1.0 },
		{ 0, 5, 5, 0, 0.0079365079365079395 },
		{ 1, 9, 11, 3, 0.0027594561852200836 },
		{ 4238, 2473, 1200, 900, 8.8859351535230465e-07 },
		{ 420, 250, 120, 90, 0.16736784593032591 },
		{ 50000, 50000, 49500, 50500, 0.02563959662496312 },
	};
	double p;
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		p = -1.0;
		assert_int_equal(kpi_fisher_exact(t[i].a, t[i].b, t[i].c,
						  t[i].d, &p, NULL), KPI_OK);
		assert_close(p, t[i].p, 1e-9 * t[i].p + 1e-15);
	}
}

/* Tables equally likely as the observed one count in full: in a symmetric
 * table the mirror image has the same probability, which rounding alone
 * could otherwise drop (R's relative tolerance 1e-7). */
static void
test_fisher_counts_equally_likely_tables(void **state)
{
	double p1, p2;

	/* R: fisher.test(matrix(c(1, 4, 4, 1), 2))$p.value
	 * = 0.20634920634920631 */
	kpi_fisher_exact(1, 4, 4, 1, &p1, NULL);
	assert_close(p1, 0.20634920634920631, 1e-12);
	kpi_fisher_exact(4, 1, 1, 4, &p2, NULL);
	assert_close(p2, p1, 1e-15);
	/* transposing or swapping rows leaves the p-value as it is */
	kpi_fisher_exact(10, 3, 2, 15, &p2, NULL);
	kpi_fisher_exact(10, 2, 3, 15, &p1, NULL);
	assert_close(p2, p1, 1e-15);
	kpi_fisher_exact(3, 15, 10, 2, &p2, NULL);
	assert_close(p2, p1, 1e-15);
}

/* An empty row or column leaves one possible table: p = 1 (as R). */
static void
test_fisher_empty_margin_gives_one(void **state)
{
	double p;

	kpi_fisher_exact(0, 0, 3, 4, &p, NULL);
	assert_double_exact(p, 1.0);
	kpi_fisher_exact(7, 12, 0, 0, &p, NULL);
	assert_double_exact(p, 1.0);
	kpi_fisher_exact(0, 5, 0, 9, &p, NULL);
	assert_double_exact(p, 1.0);
	kpi_fisher_exact(0, 0, 0, 0, &p, NULL);
	assert_double_exact(p, 1.0);
}

/* Far in the tail the p-value underflows to 0 with R as well, and huge
 * counts do not overflow. */
static void
test_fisher_extreme_tables(void **state)
{
	double p;

	/* R: fisher.test(matrix(c(5000, 0, 0, 5000), 2))$p.value is 0 */
	assert_int_equal(kpi_fisher_exact(5000, 0, 0, 5000, &p, NULL), KPI_OK);
	assert_double_exact(p, 0.0);
	assert_int_equal(kpi_fisher_exact(3000000000UL, 3000000000UL,
					  3000000000UL, 3000000000UL, &p, NULL),
			 KPI_OK);
	assert_close(p, 1.0, 1e-9);
}

/* ==== Win rate by amount ==== */

/* R: a <- c(1200, 450, 3000, 800, 950, 2200, 610, 1500, 700, 4100, 520,
 *           880, 1300, 2600, 390, 1750)
 *    w <- c(1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0)
 *    y <- a * w; n <- length(a); R <- sum(y) / sum(a)
 *    v <- sum((y - R * a)^2) / (n - 1) / (n * mean(a)^2)
 *    z <- qnorm((1 + l) / 2); c(R, max(0, R - z * sqrt(v)),
 *                               min(1, R + z * sqrt(v)))   # l = .95, .8 */
static const double wp_amount[] = {
	1200, 450, 3000, 800, 950, 2200, 610, 1500, 700, 4100, 520, 880,
	1300, 2600, 390, 1750
};
static const int wp_won[] = { 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0 };

static void
wprop_fill(struct kpi_wprop *w, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		assert_int_equal(kpi_wprop_add(w, wp_amount[i], wp_won[i],
					       NULL), KPI_OK);
}

static void
test_wprop_matches_r_ratio_estimator(void **state)
{
	struct kpi_wprop w;
	double r, lo, hi;

	kpi_wprop_init(&w);
	wprop_fill(&w, 0, NELEM(wp_amount));
	assert_int_equal(kpi_wprop_interval(&w, 0.95, &r, &lo, &hi, NULL),
			 KPI_OK);
	assert_close(r, 0.71808278867102393, 1e-14);
	assert_close(lo, 0.47491444336500677, 1e-12);
	assert_close(hi, 0.96125113397704109, 1e-12);
	assert_int_equal(kpi_wprop_interval(&w, 0.8, &r, &lo, &hi, NULL),
			 KPI_OK);
	assert_close(lo, 0.55908355395245968, 1e-12);
	assert_close(hi, 0.87708202338958818, 1e-12);
}

/* R: a <- c(100, 250, 80, 500, 120, 60, 300); w <- c(1,0,1,1,0,0,1), as
 * above: R = 0.69503546099290781, upper limit min(1, 1.098) = 1. */
static void
test_wprop_clamps_to_unit_interval(void **state)
{
	static const double a[] = { 100, 250, 80, 500, 120, 60, 300 };
	static const int won[] = { 1, 0, 1, 1, 0, 0, 1 };
	struct kpi_wprop w;
	double r, lo, hi;
	size_t i;

	kpi_wprop_init(&w);
	for (i = 0; i < NELEM(a); i++)
		kpi_wprop_add(&w, a[i], won[i], NULL);
	kpi_wprop_interval(&w, 0.95, &r, &lo, &hi, NULL);
	assert_close(r, 0.69503546099290781, 1e-14);
	assert_close(lo, 0.29206725485529700, 1e-12);
	assert_double_exact(hi, 1.0);
}

static void
test_wprop_merge_equals_sequential_add(void **state)
{
	struct kpi_wprop all, a, b;
	double r1, lo1, hi1, r2, lo2, hi2;

	kpi_wprop_init(&all);
	kpi_wprop_init(&a);
	kpi_wprop_init(&b);
	wprop_fill(&all, 0, NELEM(wp_amount));
	wprop_fill(&a, 0, 5);
	wprop_fill(&b, 5, NELEM(wp_amount));
	kpi_wprop_merge(&a, &b);
	assert_true(a.n == all.n);
	kpi_wprop_interval(&all, 0.95, &r1, &lo1, &hi1, NULL);
	kpi_wprop_interval(&a, 0.95, &r2, &lo2, &hi2, NULL);
	assert_close(r2, r1, 1e-15);
	assert_close(lo2, lo1, 1e-14);
	assert_close(hi2, hi1, 1e-14);
}

/* The ratio and its variance do not change when every amount is scaled:
 * amounts x 2^600 (about 4e180; their squares would overflow), x 2^990
 * (sums near 1e303) and x 2^-600 (squares would vanish) must give R's
 * numbers above, also when merged from two parts whose largest amounts
 * differ (4100 and 3000: the parts' scales differ by one power of two). */
static void
test_wprop_does_not_depend_on_the_unit_of_the_amounts(void **state)
{
	static const int shifts[] = { 600, 990, -600 };
	struct kpi_wprop w, part;
	double r, lo, hi;
	size_t i, k;

	for (k = 0; k < NELEM(shifts); k++) {
		kpi_wprop_init(&w);
		kpi_wprop_init(&part);
		for (i = 0; i < NELEM(wp_amount); i++)
			assert_int_equal(kpi_wprop_add(i < 9 ? &w : &part,
						       ldexp(wp_amount[i], shifts[k]),
						       wp_won[i], NULL), KPI_OK);
		kpi_wprop_merge(&w, &part);
		assert_int_equal(kpi_wprop_interval(&w, 0.95, &r, &lo, &hi,
						    NULL), KPI_OK);
		assert_close(r, 0.71808278867102393, 1e-14);
		assert_close(lo, 0.47491444336500677, 1e-12);
		assert_close(hi, 0.96125113397704109, 1e-12);
	}
	/* Amounts whose sum overflows have no ratio. */
	kpi_wprop_init(&w);
	kpi_wprop_add(&w, 1e308, 1, NULL);
	kpi_wprop_add(&w, 1.5e308, 0, NULL);
	kpi_wprop_interval(&w, 0.95, &r, &lo, &hi, NULL);
	assert_nan(r);
	assert_nan(lo);
	assert_nan(hi);
}

static void
test_wprop_without_amount_or_variance_is_nan(void **state)
{
	struct kpi_wprop w;
	double r, lo, hi;

	kpi_wprop_init(&w);
	assert_int_equal(kpi_wprop_interval(&w, 0.95, &r, &lo, &hi, NULL),
			 KPI_OK);
	assert_nan(r);
	assert_nan(lo);
	assert_nan(hi);
	kpi_wprop_add(&w, 0.0, 1, NULL);
	kpi_wprop_add(&w, 0.0, 0, NULL);
	kpi_wprop_interval(&w, 0.95, &r, &lo, &hi, NULL);
	assert_nan(r);
	kpi_wprop_init(&w);
	kpi_wprop_add(&w, 250.0, 1, NULL);
	kpi_wprop_interval(&w, 0.95, &r, &lo, &hi, NULL);
	assert_double_exact(r, 1.0);
	assert_nan(lo);
	assert_nan(hi);
}

static void
test_wprop_rejects_bad_amounts_and_levels(void **state)
{
	struct kpi_wprop w;
	struct kpi_error err;
	double r = 3.0, lo = 4.0, hi = 5.0;

	kpi_wprop_init(&w);
	kpi_wprop_add(&w, 100.0, 1, NULL);
	kpi_error_clear(&err);
	assert_int_equal(kpi_wprop_add(&w, -1.0, 1, &err), KPI_EINVAL);
	assert_int_equal(err.status, KPI_EINVAL);
	assert_int_equal(kpi_wprop_add(&w, NAN, 0, NULL), KPI_EINVAL);
	assert_int_equal(kpi_wprop_add(&w, INFINITY, 0, NULL), KPI_EINVAL);
	assert_true(w.n == 1);
	assert_int_equal(kpi_wprop_interval(&w, 1.5, &r, &lo, &hi, NULL),
			 KPI_EINVAL);
	assert_double_exact(r, 3.0);
	assert_double_exact(lo, 4.0);
	assert_double_exact(hi, 5.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ci_method_parse_accepts_names_and_aliases),
		cmocka_unit_test(test_ci_method_parse_rejects_unknown_and_leaves_output),
		cmocka_unit_test(test_wilson_matches_r_prop_test),
		cmocka_unit_test(test_jeffreys_matches_r_qbeta),
		cmocka_unit_test(test_exact_matches_r_binom_test),
		cmocka_unit_test(test_jeffreys_pins_bounds_at_zero_and_n),
		cmocka_unit_test(test_interval_issue3_anchors_at_printed_rounding),
		cmocka_unit_test(test_interval_without_denominator_or_method_is_nan),
		cmocka_unit_test(test_interval_rejects_bad_input_and_leaves_outputs),
		cmocka_unit_test(test_intervals_bracket_estimate_and_nest),
		cmocka_unit_test(test_intervals_large_counts),
		cmocka_unit_test(test_chisq_matches_r),
		cmocka_unit_test(test_chisq_drops_empty_groups),
		cmocka_unit_test(test_chisq_degenerate_tables_give_nan),
		cmocka_unit_test(test_chisq_rejects_more_successes_than_trials),
		cmocka_unit_test(test_fisher_matches_r),
		cmocka_unit_test(test_fisher_counts_equally_likely_tables),
		cmocka_unit_test(test_fisher_empty_margin_gives_one),
		cmocka_unit_test(test_fisher_extreme_tables),
		cmocka_unit_test(test_wprop_matches_r_ratio_estimator),
		cmocka_unit_test(test_wprop_clamps_to_unit_interval),
		cmocka_unit_test(test_wprop_merge_equals_sequential_add),
		cmocka_unit_test(test_wprop_does_not_depend_on_the_unit_of_the_amounts),
		cmocka_unit_test(test_wprop_without_amount_or_variance_is_nan),
		cmocka_unit_test(test_wprop_rejects_bad_amounts_and_levels),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
