/* test_scale.c - nice ticks, labels and date ticks.
 *
 * Expected values are hand calculations with Heckbert's algorithm ("Nice
 * numbers for graph labels", Graphics Gems, 1990), worked in the comments:
 * nicenum(x, round) writes x = f 10^e with f in [1, 10) and picks 1, 2, 5
 * or 10 for f (rounded: below 1.5, 3, 7; not rounded: at most 1, 2, 5);
 * loose labelling takes range = nicenum(max - min, 0), step =
 * nicenum(range / (want - 1), 1), lo = floor(min / step) step, hi =
 * ceil(max / step) step.  Dates were checked with GNU date (ISO weeks:
 * date +%G-W%V). */
#include <math.h>
#include <string.h>

#include "test-util.h"
#include "kpi/date.h"
#include "kpi/scale.h"

static void
test_nice_num_rounds_to_one_two_five(void **state)
{
	(void)state;
	/* 0.034 = 3.4e-2: rounded 3.4 < 7 -> 5; not rounded 3.4 <= 5 -> 5 */
	assert_close(kpi_nice_num(0.034, 1), 0.05, 1e-15);
	assert_close(kpi_nice_num(0.034, 0), 0.05, 1e-15);
	/* 7.1: rounded >= 7 -> 10; 1.4: rounded < 1.5 -> 1 */
	assert_close(kpi_nice_num(7.1, 1), 10, 1e-12);
	assert_close(kpi_nice_num(1.4, 1), 1, 1e-12);
	/* 2.1 not rounded: > 2, <= 5 -> 5; 438 -> 4.38e2 -> 500 */
	assert_close(kpi_nice_num(2.1, 0), 5, 1e-12);
	assert_close(kpi_nice_num(438, 0), 500, 1e-9);
	/* exactly 1, 2, 5 stay themselves when not rounded */
	assert_close(kpi_nice_num(2, 0), 2, 1e-12);
	assert_close(kpi_nice_num(1000, 0), 1000, 1e-9);
}

static void
test_ticks_follow_heckbert_loose_labels(void **state)
{
	struct kpi_ticks t;

	(void)state;
	/* 105..543, 5 ticks: range nicenum(438) = 500, step nicenum(125,
	 * rounded: 1.25 < 1.5) = 100, lo 100, hi 600: 6 ticks. */
	kpi_ticks_nice(105, 543, 5, &t);
	assert_close(t.lo, 100, 1e-9);
	assert_close(t.hi, 600, 1e-9);
	assert_close(t.step, 100, 1e-9);
	assert_int_equal(t.n, 6);
	/* 0..1, 5 ticks: range 1, step nicenum(0.25) = 0.2: 0, 0.2 ... 1 */
	kpi_ticks_nice(0, 1, 5, &t);
	assert_close(t.step, 0.2, 1e-15);
	assert_int_equal(t.n, 6);
	/* -3.7..12.2: range nicenum(15.9) = 20, step nicenum(5) = 5,
	 * lo floor(-0.74) 5 = -5, hi ceil(2.44) 5 = 15 */
	kpi_ticks_nice(-3.7, 12.2, 5, &t);
	assert_close(t.lo, -5, 1e-12);
	assert_close(t.hi, 15, 1e-12);
	assert_int_equal(t.n, 5);
	/* 0..10 with 7 wanted: step nicenum(10/6 = 1.67) = 2: 0..10 */
	kpi_ticks_nice(0, 10, 7, &t);
	assert_close(t.step, 2, 1e-12);
	assert_int_equal(t.n, 6);
}

static void
test_ticks_widen_a_single_value(void **state)
{
	struct kpi_ticks t;

	(void)state;
	/* 7..7 widens to 3.5..10.5: range nicenum(7) = 10, step
	 * nicenum(2.5) = 2, lo 2, hi 12 */
	kpi_ticks_nice(7, 7, 5, &t);
	assert_close(t.lo, 2, 1e-12);
	assert_close(t.hi, 12, 1e-12);
	assert_int_equal(t.n, 6);
	/* 0..0 is 0..1 */
	kpi_ticks_nice(0, 0, 5, &t);
	assert_close(t.lo, 0, 0);
	assert_close(t.hi, 1, 1e-12);
}

static void
test_tick_values_are_snapped_to_the_step(void **state)
{
	struct kpi_ticks t;

	(void)state;
	kpi_ticks_nice(0, 1, 11, &t);	/* step 0.1 */
	assert_close(t.step, 0.1, 1e-15);
	/* 0 + 3 x 0.1 is 0.30000000000000004; the tick is the double 0.3 */
	assert_double_exact(kpi_ticks_value(&t, 3), 0.3);
	assert_double_exact(kpi_ticks_value(&t, 7), 0.7);
}

static void
test_value_axis_holds_zero_and_ends_at_outer_ticks(void **state)
{
	struct kpi_axis a;

	(void)state;
	/* 105..543 with zero: kpi_ticks_nice(0, 543, 5): range
	 * nicenum(543) = 1000, step nicenum(250, rounded) = 200, hi 600;
	 * the finer step 100 would need 7 ticks, more than 5 + 1 */
	kpi_axis_value(105, 543, 5, NULL, NULL, &a);
	assert_close(a.lo, 0, 0);
	assert_close(a.hi, 600, 1e-9);
	assert_close(a.ticks.step, 200, 1e-9);
	/* all negative: -543..0, lo -600 */
	kpi_axis_value(-543, -105, 5, NULL, NULL, &a);
	assert_close(a.lo, -600, 1e-9);
	assert_close(a.hi, 0, 0);
	/* retention 6%..15.5%: 0..0.2 by 0.05 (the heatmap's domain) */
	kpi_axis_value(0.06, 0.155, 5, NULL, NULL, &a);
	assert_close(a.lo, 0, 0);
	assert_close(a.hi, 0.2, 1e-15);
	assert_close(a.ticks.step, 0.05, 1e-15);
}

static void
test_value_axis_takes_a_finer_step_that_spans_less(void **state)
{
	struct kpi_axis a;

	(void)state;
	/* the waterfall of the weekly report, 0..252k with 4 ticks wanted:
	 * range nicenum(252k) = 500k, step nicenum(166.7k, rounded) = 200k,
	 * 0..400k in 3 ticks; the finer 100k gives 0..300k in 4 (<= 4 + 1) */
	kpi_axis_value(0, 252000, 4, NULL, NULL, &a);
	assert_close(a.ticks.step, 100000, 1e-6);
	assert_close(a.hi, 300000, 1e-6);
	assert_int_equal(a.ticks.n, 4);
	/* 0..2650 with 7: step 1000 gives 0..3000, and so would 500: the
	 * span is no smaller, so the step stays 1000 */
	kpi_axis_value(0, 2650, 7, NULL, NULL, &a);
	assert_close(a.ticks.step, 1000, 1e-9);
	/* 0..0.6552 with 7: 0.2 gives 0..0.8, 0.1 gives 0..0.7 in 8 ticks */
	kpi_axis_value(0, 0.6552, 7, NULL, NULL, &a);
	assert_close(a.ticks.step, 0.1, 1e-15);
	assert_close(a.hi, 0.7, 1e-12);
	/* a step of 5 refines to 2: 0..1200 with 6: range nicenum(1200) =
	 * 2000, step nicenum(400, rounded) = 500, 0..1500; 200 gives
	 * 0..1200 in 7 ticks (<= 6 + 1); with 5 wanted it would not */
	kpi_axis_value(0, 1200, 6, NULL, NULL, &a);
	assert_close(a.ticks.step, 200, 1e-9);
	assert_close(a.hi, 1200, 1e-9);
	kpi_axis_value(0, 1200, 5, NULL, NULL, &a);
	assert_close(a.ticks.step, 500, 1e-9);
	assert_close(a.hi, 1500, 1e-9);
}

static void
test_value_axis_ends_a_quarter_step_past_a_small_spill(void **state)
{
	struct kpi_axis a;

	(void)state;
	/* bookings -29.6k..500k, 5 ticks: range nicenum(529.6k) = 1M, step
	 * nicenum(250k, rounded) = 200k, ticks -200k..600k; -29.6k is less
	 * than a step below zero, so the axis ends at -ceil(29.6k / 50k) 50k
	 * = -50k */
	kpi_axis_value(-29600, 500000, 5, NULL, NULL, &a);
	assert_close(a.ticks.step, 200000, 1e-6);
	assert_close(a.ticks.lo, -200000, 1e-6);
	assert_close(a.lo, -50000, 1e-6);
	assert_close(a.hi, 600000, 1e-6);
	/* mirrored: the spill above zero of mostly negative data */
	kpi_axis_value(-500000, 29600, 5, NULL, NULL, &a);
	assert_close(a.lo, -600000, 1e-6);
	assert_close(a.hi, 50000, 1e-6);
	/* a spill of a whole step or more keeps the outer tick: -250k.. 500k,
	 * range nicenum(750k) = 1M, step 200k, lo -400k */
	kpi_axis_value(-250000, 500000, 5, NULL, NULL, &a);
	assert_close(a.lo, -400000, 1e-6);
	/* -300..300: range nicenum(600) = 1000, step nicenum(250, rounded)
	 * = 200; 300 is more than a step on either side: -400..400 */
	kpi_axis_value(-300, 300, 5, NULL, NULL, &a);
	assert_close(a.lo, -400, 1e-9);
	assert_close(a.hi, 400, 1e-9);
}

static void
test_value_axis_fixed_ends_win(void **state)
{
	struct kpi_axis a;
	double zero = 0, half = 0.5, top = 0.45;

	(void)state;
	/* both fixed: the ends whatever the data; ticks over them:
	 * kpi_ticks_nice(0, 0.45, 7): range 0.5, step nicenum(0.083) = 0.1 */
	kpi_axis_value(-0.1, 0.9, 7, &zero, &top, &a);
	assert_close(a.lo, 0, 0);
	assert_close(a.hi, 0.45, 0);
	assert_close(a.ticks.step, 0.1, 1e-15);
	/* a fixed low end need not hold zero: 0.5 .. nice above 0.6552,
	 * kpi_ticks_nice(0.5, 0.6552, 7): range nicenum(0.1552) = 0.2, step
	 * nicenum(0.0333, rounded) = 0.05, hi 0.7 */
	kpi_axis_value(0.6204, 0.6552, 7, &half, NULL, &a);
	assert_close(a.lo, 0.5, 0);
	assert_close(a.hi, 0.7, 1e-12);
	/* a fixed low end above all the data: the ticks of the one point 0.5,
	 * widened to 0.25..0.75: range nicenum(0.5) = 0.5, step
	 * nicenum(0.125, rounded) = 0.1, hi ceil(7.5) 0.1 = 0.8 */
	kpi_axis_value(0.1, 0.3, 5, &half, NULL, &a);
	assert_close(a.lo, 0.5, 0);
	assert_close(a.hi, 0.8, 1e-12);
	/* no finite data: 0..1 */
	kpi_axis_value(NAN, NAN, 5, NULL, NULL, &a);
	assert_close(a.lo, 0, 0);
	assert_close(a.hi, 1, 1e-12);
}

static void
check_label(double x, double step, int percent, const char *want)
{
	char buf[KPI_LABEL_BUFSZ];
	size_t n = kpi_scale_label(x, step, percent, buf);

	if (strcmp(buf, want) != 0)
		fail_msg("label(%g, %g, %d) = \"%s\", expected \"%s\"", x,
			 step, percent, buf, want);
	assert_int_equal(n, strlen(want));
}

static void
test_labels_use_si_suffixes(void **state)
{
	(void)state;
	check_label(1500, 0, 0, "1.5k");
	check_label(2000000, 0, 0, "2M");
	check_label(250, 0, 0, "250");
	check_label(1234, 0, 0, "1.23k");	/* three significant digits */
	check_label(3e9, 0, 0, "3G");
	check_label(4.2e12, 0, 0, "4.2T");
	check_label(-1500, 0, 0, "-1.5k");
	check_label(0, 0, 0, "0");
	/* 999,999 is 999.999k, which rounds to 1000k: say 1M */
	check_label(999999, 0, 0, "1M");
	check_label(0.25, 0, 0, "0.25");
	check_label(NAN, 0, 0, "");
}

static void
test_tick_labels_take_the_decimals_of_the_step(void **state)
{
	(void)state;
	/* ticks 0, 2500, 5000, 7500: 2.5k needs one decimal, 5k none */
	check_label(2500, 2500, 0, "2.5k");
	check_label(5000, 2500, 0, "5k");
	check_label(7500, 2500, 0, "7.5k");
	/* ticks 0, 0.05 ... as numbers and as percentages */
	check_label(0.2, 0.05, 0, "0.2");
	check_label(0.35, 0.05, 1, "35%");
	check_label(0.5, 0.2, 1, "50%");
	check_label(0.125, 0, 1, "12.5%");
	check_label(0.1475, 0.01, 1, "15%");
}

static long
day(int y, int m, int d)
{
	long out = 0;

	assert_int_equal(kpi_date_from_ymd(y, m, d, &out, NULL), KPI_OK);
	return out;
}

static void
check_tick_label(const struct kpi_date_ticks *t, size_t i, const char *want)
{
	char buf[KPI_DATE_BUFSZ];

	kpi_date_ticks_label(t, i, buf);
	assert_string_equal(buf, want);
}

static void
test_date_ticks_pick_the_finest_unit_that_fits(void **state)
{
	struct kpi_date_ticks t;

	(void)state;
	/* 2026-01-01..2026-12-01 (334 days) on 628 px: 1.88 px a day; a
	 * month label needs 7 x 6 + 14 = 56 px, a month is at least 28 days
	 * = 52.6 px: too close; quarters (90 days, 169 px) fit. */
	kpi_date_ticks(day(2026, 1, 1), day(2026, 12, 1), 628, 6, 14, &t);
	assert_int_equal(t.unit, KPI_PERIOD_QUARTER);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.day[1], day(2026, 4, 1));
	check_tick_label(&t, 0, "2026-Q1");
	check_tick_label(&t, 3, "2026-Q4");
	/* the same on 1200 px: 3.59 px a day, months 100 px: monthly */
	kpi_date_ticks(day(2026, 1, 1), day(2026, 12, 1), 1200, 6, 14, &t);
	assert_int_equal(t.unit, KPI_PERIOD_MONTH);
	assert_int_equal(t.n, 12);
	check_tick_label(&t, 10, "2026-11");
	/* January 2026 on 628 px: days (74 px a label, 20.3 px a day) do not
	 * fit, weeks do: the Mondays 5, 12, 19, 26 (ISO weeks 2..5) */
	kpi_date_ticks(day(2026, 1, 1), day(2026, 1, 31), 628, 6, 14, &t);
	assert_int_equal(t.unit, KPI_PERIOD_WEEK);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.day[0], day(2026, 1, 5));
	check_tick_label(&t, 0, "2026-W02");
}

static void
test_date_ticks_step_over_years(void **state)
{
	struct kpi_date_ticks t;

	(void)state;
	/* 2020..2029 on 628 px: 0.19 px a day, a year 69.7 px >= 4 x 6 + 14 */
	kpi_date_ticks(day(2020, 1, 1), day(2029, 1, 1), 628, 6, 14, &t);
	assert_int_equal(t.unit, KPI_PERIOD_YEAR);
	assert_int_equal(t.every, 1);
	assert_int_equal(t.n, 10);
	/* 1900..2100 on 600 px: a year is 3 px; 2, 5, 10 years too close,
	 * 20 years 60 px: 1900, 1920, ..., 2100 */
	kpi_date_ticks(day(1900, 1, 1), day(2100, 1, 1), 600, 6, 14, &t);
	assert_int_equal(t.every, 20);
	assert_int_equal(t.n, 11);
	check_tick_label(&t, 1, "1920");
	/* one day: one tick */
	kpi_date_ticks(day(2026, 3, 4), day(2026, 3, 4), 600, 6, 14, &t);
	assert_int_equal(t.n, 1);
	check_tick_label(&t, 0, "2026-03-04");
}

static void
test_period_unit_of_dates(void **state)
{
	long q[] = { day(2026, 1, 1), day(2026, 4, 1) };
	long m[] = { day(2026, 1, 1), day(2026, 2, 1) };
	long w[] = { day(2026, 1, 5), day(2026, 1, 12) };	/* Mondays */
	long y[] = { day(2026, 1, 1), day(2027, 1, 1) };
	long d[] = { day(2026, 1, 2) };

	(void)state;
	assert_int_equal(kpi_period_unit_of(q, 2), KPI_PERIOD_QUARTER);
	assert_int_equal(kpi_period_unit_of(m, 2), KPI_PERIOD_MONTH);
	assert_int_equal(kpi_period_unit_of(w, 2), KPI_PERIOD_WEEK);
	assert_int_equal(kpi_period_unit_of(y, 2), KPI_PERIOD_YEAR);
	assert_int_equal(kpi_period_unit_of(d, 1), KPI_PERIOD_DAY);
}

static void
test_scale_maps_linearly(void **state)
{
	struct kpi_scale s = { 0, 10, 356, 40 };
	struct kpi_scale one = { 3, 3, 0, 100 };

	(void)state;
	assert_close(kpi_scale_map(&s, 0), 356, 1e-12);
	assert_close(kpi_scale_map(&s, 5), 198, 1e-12);	/* (356 + 40) / 2 */
	assert_close(kpi_scale_map(&s, 10), 40, 1e-12);
	assert_close(kpi_scale_map(&one, 3), 50, 1e-12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nice_num_rounds_to_one_two_five),
		cmocka_unit_test(test_ticks_follow_heckbert_loose_labels),
		cmocka_unit_test(test_ticks_widen_a_single_value),
		cmocka_unit_test(test_tick_values_are_snapped_to_the_step),
		cmocka_unit_test(test_value_axis_holds_zero_and_ends_at_outer_ticks),
		cmocka_unit_test(test_value_axis_takes_a_finer_step_that_spans_less),
		cmocka_unit_test(test_value_axis_ends_a_quarter_step_past_a_small_spill),
		cmocka_unit_test(test_value_axis_fixed_ends_win),
		cmocka_unit_test(test_labels_use_si_suffixes),
		cmocka_unit_test(test_tick_labels_take_the_decimals_of_the_step),
		cmocka_unit_test(test_date_ticks_pick_the_finest_unit_that_fits),
		cmocka_unit_test(test_date_ticks_step_over_years),
		cmocka_unit_test(test_period_unit_of_dates),
		cmocka_unit_test(test_scale_maps_linearly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
