/* test_plot.c - kpi-plot's naming rule for shares and its option values.
 * Expected answers follow the column names the kpi tools write, from their
 * man pages: kpi-conv(1) (rate, rate_lo, cum_rate, win_rate,
 * amount_win_rate, p_won, p_won_90d, velocity), kpi-cohort(1) (retention,
 * logo_retention, revenue_retention, nrr, grr, ltv), kpi-pipeline(1)
 * (coverage, p_quota, p10), kpi-forecast(1) (mape, coverage80), and
 * kpi-agg(1) (amount_sum, close_value_p90). */
#include <math.h>
#include <string.h>

#include "test-util.h"
#include "kpi/plot.h"

static void
test_shares_by_name(void **state)
{
	static const char *const shares[] = {
		"rate", "rate_lo", "rate_hi", "cum_rate", "win_rate",
		"win_rate_hi", "amount_win_rate", "p_won", "p_won_90d",
		"p_quota", "retention", "retention_lo", "logo_retention",
		"revenue_retention", "nrr", "grr", "share", "market_share",
	};
	static const char *const others[] = {
		"velocity", "ltv", "coverage", "weighted_coverage", "p10",
		"p90", "close_value_p90", "mape", "wape", "coverage80",
		"amount_sum", "entered", "", "_lo", "rates", "ratex",
		"pirate_x", "p_", "nrr_count", "win_rate_mean",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shares) / sizeof(shares[0]); i++)
		if (!kpi_plot_is_share(shares[i]))
			fail_msg("\"%s\" is a share", shares[i]);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (kpi_plot_is_share(others[i]))
			fail_msg("\"%s\" is not a share", others[i]);
}

static void
test_value_parse_reads_numbers_and_percentages(void **state)
{
	double v = -1;

	(void)state;
	assert_int_equal(kpi_plot_value_parse("0.2", &v, NULL), KPI_OK);
	assert_close(v, 0.2, 0);
	assert_int_equal(kpi_plot_value_parse("20%", &v, NULL), KPI_OK);
	assert_close(v, 0.2, 1e-17);
	assert_int_equal(kpi_plot_value_parse("-1.5e3", &v, NULL), KPI_OK);
	assert_close(v, -1500, 0);
	assert_int_equal(kpi_plot_value_parse("12.5%", &v, NULL), KPI_OK);
	assert_close(v, 0.125, 1e-17);
}

static void
test_value_parse_rejects_bad_values(void **state)
{
	static const char *const bad[] = {
		"", "%", "12x", "x%", "1,5", "nan", "inf", "20%%", "1e400",
	};
	struct kpi_error err;
	double v = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kpi_error_clear(&err);
		if (kpi_plot_value_parse(bad[i], &v, &err) != KPI_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "not a"));
	}
	assert_close(v, 7, 0);	/* untouched on error */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares_by_name),
		cmocka_unit_test(test_value_parse_reads_numbers_and_percentages),
		cmocka_unit_test(test_value_parse_rejects_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
