/* test_date.c - unit tests for day numbers, ISO weeks, periods, fiscal
 * calendars, labels and date parsing.
 *
 * Expected values come from, as noted per test: Python 3.11 datetime
 * (date.toordinal(), isoweekday(), isocalendar(), fromisocalendar()) and
 * GNU date 9.1 (`date -d X +%G-W%V`), run by hand at development time;
 * `cal`-style month grids from Python's calendar.month(2026, 11); and hand
 * calculation where a test says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "kpi/date.h"

/* ==== Helpers ==== */

static long
ymd(int y, int m, int d)
{
	struct kpi_error err;
	long day = 0;

	if (kpi_date_from_ymd(y, m, d, &day, &err) != KPI_OK)
		fail_msg("%04d-%02d-%02d: %s", y, m, d, err.msg);
	return day;
}

static const char *
iso(long day, char *buf)
{
	kpi_date_format_iso(day, buf);
	return buf;
}

/* Parse must succeed and give the date written as y-m-d. */
static void
parse_is(const char *s, const struct kpi_date_format *f,
	 const struct kpi_calendar *cal, int y, int m, int d)
{
	struct kpi_error err;
	long day = 0;

	if (kpi_date_parse(s, f, cal, &day, &err) != KPI_OK)
		fail_msg("\"%s\": %s", s, err.msg);
	if (day != ymd(y, m, d)) {
		char got[KPI_DATE_BUFSZ];

		fail_msg("\"%s\" gave %s, expected %04d-%02d-%02d", s,
			 iso(day, got), y, m, d);
	}
}

/* Parse must fail with KPI_EPARSE, leave the day alone and, when msg is
 * non-NULL, say exactly msg. */
static void
parse_fails(const char *s, const struct kpi_date_format *f,
	    const struct kpi_calendar *cal, const char *msg)
{
	struct kpi_error err;
	long day = 424242;
	enum kpi_status st = kpi_date_parse(s, f, cal, &day, &err);

	if (st != KPI_EPARSE)
		fail_msg("\"%s\" gave status %d (day %ld), expected KPI_EPARSE",
			 s, st, day);
	assert_int_equal(day, 424242);
	if (msg)
		assert_string_equal(err.msg, msg);
}

static struct kpi_date_format *
layout(const char *text)
{
	struct kpi_date_format *f = NULL;
	struct kpi_error err;

	if (kpi_date_format_new(&f, text, &err) != KPI_OK)
		fail_msg("layout \"%s\": %s", text, err.msg);
	return f;
}

static int
test_leap(int y)
{
	return y % 400 == 0 || (y % 4 == 0 && y % 100 != 0);
}

static int
test_mdays(int y, int m)
{
	static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
				   31 };

	return m == 2 && test_leap(y) ? 29 : len[m - 1];
}

/* ==== Day numbers ==== */

static void
test_from_ymd_matches_python_day_numbers(void **state)
{
	/* Python: (date(y, m, d) - date(1970, 1, 1)).days */
	assert_int_equal(ymd(1970, 1, 1), 0);
	assert_int_equal(ymd(1969, 12, 31), -1);
	assert_int_equal(ymd(2000, 3, 1), 11017);
	assert_int_equal(ymd(1, 1, 1), -719162);
	assert_int_equal(ymd(9999, 12, 31), 2932896);
	assert_int_equal(ymd(2026, 11, 27), 20784);
	assert_int_equal(ymd(1900, 3, 1), -25508);
	assert_int_equal(ymd(2024, 2, 29), 19782);
	assert_int_equal(ymd(1600, 2, 29), -135081);
	assert_int_equal(ymd(1582, 10, 15), -141427);
}

static void
test_every_day_from_year_1_to_9999_round_trips(void **state)
{
	/* An independent stepping calendar walks alongside: y-m-d advance
	 * by one day using only the leap rule, and the weekday cycles from
	 * Monday, 0001-01-01 (Python: date(1, 1, 1).isoweekday() = 1). */
	int y = 1;
	int m = 1;
	int d = 1;
	int wd = 1;
	long day;

	for (day = -719162; day <= 2932896; day++) {
		int gy;
		int gm;
		int gd;
		long back = 0;

		kpi_date_to_ymd(day, &gy, &gm, &gd);
		if (gy != y || gm != m || gd != d)
			fail_msg("day %ld: %d-%d-%d, expected %d-%d-%d", day,
				 gy, gm, gd, y, m, d);
		assert_int_equal(kpi_date_from_ymd(y, m, d, &back, NULL),
				 KPI_OK);
		assert_int_equal(back, day);
		assert_int_equal(kpi_date_weekday(day), wd);
		assert_true(kpi_date_in_range(day));
		wd = wd % 7 + 1;
		if (++d > test_mdays(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(y, 10000);
	assert_false(kpi_date_in_range(-719163));
	assert_false(kpi_date_in_range(2932897));
}

static void
test_from_ymd_rejects_days_that_do_not_exist(void **state)
{
	static const int bad[][3] = {
		{ 2026, 2, 30 }, { 2023, 2, 29 }, { 1900, 2, 29 },
		{ 2026, 4, 31 }, { 2026, 0, 1 }, { 2026, 13, 1 },
		{ 2026, 1, 0 }, { 2026, 1, 32 }, { 0, 1, 1 }, { 10000, 1, 1 },
		{ -1, 6, 15 },
	};
	struct kpi_error err;
	long day = 77;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kpi_date_from_ymd(bad[i][0], bad[i][1],
						   bad[i][2], &day, &err),
				 KPI_EPARSE);
		assert_int_equal(day, 77);
	}
	/* Leap years: every 4th, not every 100th, yet every 400th. */
	assert_int_equal(ymd(2024, 2, 29), 19782);
	ymd(2000, 2, 29);
	kpi_date_from_ymd(2026, 2, 30, &day, &err);
	assert_string_equal(err.msg, "2026-02-30 is not a valid date "
				     "(February 2026 has 28 days)");
	kpi_date_from_ymd(2026, 13, 1, &day, &err);
	assert_string_equal(err.msg, "2026-13-01 is not a valid date "
				     "(month must be 01..12)");
}

static void
test_weekday_is_iso(void **state)
{
	/* Python isoweekday(): 1970-01-01 Thursday, 2026-11-27 Friday,
	 * 2026-11-22 Sunday, 1969-12-31 Wednesday. */
	assert_int_equal(kpi_date_weekday(0), 4);
	assert_int_equal(kpi_date_weekday(ymd(2026, 11, 27)), 5);
	assert_int_equal(kpi_date_weekday(ymd(2026, 11, 22)), 7);
	assert_int_equal(kpi_date_weekday(ymd(2026, 11, 23)), 1);
	assert_int_equal(kpi_date_weekday(-1), 3);
}

static void
test_iso_week_matches_gnu_date(void **state)
{
	/* GNU date: `date -d X +%G-W%V` for each X below. */
	static const struct {
		int y, m, d, iy, w;
	} cases[] = {
		{ 2024, 12, 30, 2025, 1 },
		{ 2021, 1, 3, 2020, 53 },
		{ 2026, 11, 27, 2026, 48 },
		{ 2020, 12, 31, 2020, 53 },
		{ 2008, 12, 29, 2009, 1 },
		{ 2010, 1, 3, 2009, 53 },
		{ 2026, 12, 31, 2026, 53 },
		{ 2026, 1, 1, 2026, 1 },
		{ 2025, 1, 1, 2025, 1 },
		{ 2025, 12, 28, 2025, 52 },
		{ 1, 1, 1, 1, 1 },		/* Python isocalendar() */
		{ 9999, 12, 31, 9999, 52 },	/* Python isocalendar() */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int iy = 0;
		int w = 0;

		kpi_date_iso_week(ymd(cases[i].y, cases[i].m, cases[i].d),
				  &iy, &w);
		if (iy != cases[i].iy || w != cases[i].w)
			fail_msg("%04d-%02d-%02d: %d-W%02d, expected %d-W%02d",
				 cases[i].y, cases[i].m, cases[i].d, iy, w,
				 cases[i].iy, cases[i].w);
	}
}

static void
test_iso_weeks_advance_one_per_monday(void **state)
{
	/* Every week has 7 days with one label; a Monday starts the next
	 * week, or week 1 of the next ISO year after week 52 or 53. */
	long day;
	int py = 0;
	int pw = 0;

	kpi_date_iso_week(ymd(1, 1, 1), &py, &pw);
	for (day = ymd(1, 1, 2); day <= ymd(9999, 12, 31); day++) {
		int iy;
		int w;

		kpi_date_iso_week(day, &iy, &w);
		if (kpi_date_weekday(day) != 1) {
			assert_true(iy == py && w == pw);
			continue;
		}
		if (w == 1)
			assert_true(iy == py + 1 && (pw == 52 || pw == 53));
		else
			assert_true(iy == py && w == pw + 1);
		py = iy;
		pw = w;
	}
}

static void
test_format_iso_pads_every_field(void **state)
{
	char buf[KPI_DATE_BUFSZ];

	assert_int_equal(kpi_date_format_iso(ymd(2026, 11, 27), buf), 10);
	assert_string_equal(buf, "2026-11-27");
	assert_string_equal(iso(ymd(1, 1, 1), buf), "0001-01-01");
	assert_string_equal(iso(ymd(9999, 12, 31), buf), "9999-12-31");
	assert_string_equal(iso(ymd(987, 6, 5), buf), "0987-06-05");
}

/* ==== Periods and labels ==== */

static void
test_week_start_can_be_any_day(void **state)
{
	/* Calendar for November 2026 (Python calendar.month(2026, 11)):
	 * Friday the 27th; the week holding it starts on the preceding
	 * Monday 23, Tuesday 24, Wednesday 25, Thursday 26, itself (Friday),
	 * Saturday 21 or Sunday 22. */
	static const int want[8] = { 0, 23, 24, 25, 26, 27, 21, 22 };
	long day = ymd(2026, 11, 27);
	int ws;

	for (ws = 1; ws <= 7; ws++) {
		struct kpi_calendar cal = { ws, 1 };
		long start = kpi_period_start(day, KPI_PERIOD_WEEK, &cal);

		assert_int_equal(start, ymd(2026, 11, want[ws]));
		assert_int_equal(kpi_period_next(start, KPI_PERIOD_WEEK, &cal),
				 start + 7);
	}
}

static void
test_calendar_periods_and_labels(void **state)
{
	struct kpi_calendar cal = KPI_CALENDAR_DEFAULT;
	struct kpi_calendar sunday = { 7, 1 };
	long day = ymd(2026, 11, 27);
	char buf[KPI_DATE_BUFSZ];
	long s;

	s = kpi_period_start(day, KPI_PERIOD_DAY, &cal);
	assert_int_equal(s, day);
	assert_int_equal(kpi_period_label(s, KPI_PERIOD_DAY, &cal, buf), 10);
	assert_string_equal(buf, "2026-11-27");

	s = kpi_period_start(day, KPI_PERIOD_WEEK, &cal);
	assert_int_equal(s, ymd(2026, 11, 23));
	kpi_period_label(s, KPI_PERIOD_WEEK, &cal, buf);
	assert_string_equal(buf, "2026-W48");
	/* No standard label for Sunday weeks: the first day's date. */
	s = kpi_period_start(day, KPI_PERIOD_WEEK, &sunday);
	kpi_period_label(s, KPI_PERIOD_WEEK, &sunday, buf);
	assert_string_equal(buf, "2026-11-22");
	/* Weeks across a year end carry the ISO year (GNU date above). */
	kpi_period_label(ymd(2024, 12, 30), KPI_PERIOD_WEEK, &cal, buf);
	assert_string_equal(buf, "2025-W01");
	kpi_period_label(ymd(2021, 1, 3), KPI_PERIOD_WEEK, &cal, buf);
	assert_string_equal(buf, "2020-W53");

	s = kpi_period_start(day, KPI_PERIOD_MONTH, &cal);
	assert_int_equal(s, ymd(2026, 11, 1));
	kpi_period_label(s, KPI_PERIOD_MONTH, &cal, buf);
	assert_string_equal(buf, "2026-11");
	assert_int_equal(kpi_period_next(ymd(2026, 12, 1), KPI_PERIOD_MONTH,
					 &cal), ymd(2027, 1, 1));

	s = kpi_period_start(day, KPI_PERIOD_QUARTER, &cal);
	assert_int_equal(s, ymd(2026, 10, 1));
	kpi_period_label(s, KPI_PERIOD_QUARTER, &cal, buf);
	assert_string_equal(buf, "2026-Q4");
	assert_int_equal(kpi_period_next(s, KPI_PERIOD_QUARTER, &cal),
			 ymd(2027, 1, 1));

	s = kpi_period_start(day, KPI_PERIOD_YEAR, &cal);
	assert_int_equal(s, ymd(2026, 1, 1));
	kpi_period_label(s, KPI_PERIOD_YEAR, &cal, buf);
	assert_string_equal(buf, "2026");
	assert_int_equal(kpi_period_next(s, KPI_PERIOD_YEAR, &cal),
			 ymd(2027, 1, 1));
	/* A NULL calendar is the default one. */
	assert_int_equal(kpi_period_start(day, KPI_PERIOD_WEEK, NULL),
			 ymd(2026, 11, 23));
}

static void
test_fiscal_quarters_and_years(void **state)
{
	/* Hand calculation: fiscal quarter k starts in month
	 * fiscal_start + 3(k - 1); a fiscal year is named after the calendar
	 * year it ends in.  Cross-checks: the US federal FY2027 (start 10)
	 * begins 2026-10-01; Australia's FY2027 (start 7) runs from
	 * 2026-07-01 to 2027-06-30. */
	static const struct {
		int fs;
		int y, m, d;		/* a day */
		int qy, qm;		/* its quarter's first day */
		const char *qlabel;
		int yy, ym;		/* its fiscal year's first day */
		const char *ylabel;
	} cases[] = {
		{ 4, 2026, 11, 27, 2026, 10, "FY2027-Q3", 2026, 4, "FY2027" },
		{ 4, 2026, 2, 15, 2026, 1, "FY2026-Q4", 2025, 4, "FY2026" },
		{ 4, 2026, 4, 1, 2026, 4, "FY2027-Q1", 2026, 4, "FY2027" },
		{ 4, 2026, 3, 31, 2026, 1, "FY2026-Q4", 2025, 4, "FY2026" },
		{ 2, 2026, 1, 15, 2025, 11, "FY2026-Q4", 2025, 2, "FY2026" },
		{ 12, 2026, 12, 5, 2026, 12, "FY2027-Q1", 2026, 12, "FY2027" },
		{ 12, 2026, 11, 30, 2026, 9, "FY2026-Q4", 2025, 12, "FY2026" },
		{ 10, 2026, 11, 27, 2026, 10, "FY2027-Q1", 2026, 10, "FY2027" },
		{ 7, 2026, 11, 27, 2026, 10, "FY2027-Q2", 2026, 7, "FY2027" },
		{ 7, 2027, 6, 30, 2027, 4, "FY2027-Q4", 2026, 7, "FY2027" },
		{ 1, 2026, 11, 27, 2026, 10, "2026-Q4", 2026, 1, "2026" },
	};
	char buf[KPI_DATE_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kpi_calendar cal = { 1, cases[i].fs };
		long day = ymd(cases[i].y, cases[i].m, cases[i].d);
		long q = kpi_period_start(day, KPI_PERIOD_QUARTER, &cal);
		long y = kpi_period_start(day, KPI_PERIOD_YEAR, &cal);

		assert_int_equal(q, ymd(cases[i].qy, cases[i].qm, 1));
		assert_int_equal(y, ymd(cases[i].yy, cases[i].ym, 1));
		kpi_period_label(q, KPI_PERIOD_QUARTER, &cal, buf);
		assert_string_equal(buf, cases[i].qlabel);
		kpi_period_label(y, KPI_PERIOD_YEAR, &cal, buf);
		assert_string_equal(buf, cases[i].ylabel);
		assert_int_equal(kpi_period_next(y, KPI_PERIOD_YEAR, &cal),
				 ymd(cases[i].yy + 1, cases[i].ym, 1));
	}
}

static void
test_periods_cover_days_and_labels_read_back(void **state)
{
	/* Properties over 1999-2031 for every unit and calendar: a period
	 * starts on its first day, holds the day, and ends where the next
	 * starts; its label reads back as its first day. */
	static const enum kpi_period_unit units[] = {
		KPI_PERIOD_DAY, KPI_PERIOD_WEEK, KPI_PERIOD_MONTH,
		KPI_PERIOD_QUARTER, KPI_PERIOD_YEAR,
	};
	long day;

	for (day = ymd(1999, 1, 1); day <= ymd(2031, 12, 31); day++) {
		size_t u;
		int c;

		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
			for (c = 0; c < 7 + 12; c++) {
				struct kpi_calendar cal = {
					c < 7 ? c + 1 : 1, c < 7 ? 1 : c - 6
				};
				char buf[KPI_DATE_BUFSZ];
				char other[KPI_DATE_BUFSZ];
				long s = kpi_period_start(day, units[u], &cal);
				long n = kpi_period_next(s, units[u], &cal);
				long back = 0;
				struct kpi_error err;
				int y;
				int m;
				int d;

				assert_true(s <= day && day < n);
				assert_int_equal(kpi_period_start(s, units[u],
								  &cal), s);
				assert_int_equal(kpi_period_start(n - 1,
								  units[u],
								  &cal), s);
				kpi_period_label(s, units[u], &cal, buf);
				kpi_period_label(day, units[u], &cal, other);
				assert_string_equal(buf, other);
				if (kpi_date_parse(buf, NULL, &cal, &back,
						   &err) != KPI_OK)
					fail_msg("\"%s\": %s", buf, err.msg);
				assert_int_equal(back, s);
				kpi_date_to_ymd(s, &y, &m, &d);
				if (units[u] >= KPI_PERIOD_MONTH)
					assert_int_equal(d, 1);
				if (units[u] == KPI_PERIOD_QUARTER)
					assert_int_equal((m - cal.fiscal_start +
							  12) % 3, 0);
				if (units[u] == KPI_PERIOD_YEAR)
					assert_int_equal(m, cal.fiscal_start);
				if (units[u] == KPI_PERIOD_WEEK)
					assert_int_equal(kpi_date_weekday(s),
							 cal.week_start);
			}
		}
	}
}

static void
test_periods_at_the_ends_of_the_range(void **state)
{
	struct kpi_calendar sunday = { 7, 1 };
	struct kpi_calendar april = { 1, 4 };
	char buf[KPI_DATE_BUFSZ];
	long s;

	/* 0001-01-01 is a Monday (Python), so its Sunday week starts the
	 * day before the range; callers check with kpi_date_in_range(). */
	s = kpi_period_start(ymd(1, 1, 1), KPI_PERIOD_WEEK, &sunday);
	assert_int_equal(s, ymd(1, 1, 1) - 1);
	assert_false(kpi_date_in_range(s));
	s = kpi_period_start(ymd(1, 1, 1), KPI_PERIOD_YEAR, &april);
	assert_false(kpi_date_in_range(s));
	/* The last fiscal year ends in 10000 and is labelled so. */
	s = kpi_period_start(ymd(9999, 12, 31), KPI_PERIOD_YEAR, &april);
	assert_int_equal(s, ymd(9999, 4, 1));
	kpi_period_label(s, KPI_PERIOD_YEAR, &april, buf);
	assert_string_equal(buf, "FY10000");
	assert_int_equal(kpi_period_next(ymd(9999, 12, 1), KPI_PERIOD_MONTH,
					 NULL), ymd(9999, 12, 31) + 1);
}

static void
test_unit_names_parse(void **state)
{
	static const struct {
		const char *text;
		enum kpi_period_unit unit;
	} ok[] = {
		{ "day", KPI_PERIOD_DAY }, { "daily", KPI_PERIOD_DAY },
		{ "week", KPI_PERIOD_WEEK }, { "Weekly", KPI_PERIOD_WEEK },
		{ "month", KPI_PERIOD_MONTH }, { "monthly", KPI_PERIOD_MONTH },
		{ "quarter", KPI_PERIOD_QUARTER },
		{ "QUARTERLY", KPI_PERIOD_QUARTER },
		{ "year", KPI_PERIOD_YEAR }, { "yearly", KPI_PERIOD_YEAR },
		{ "annual", KPI_PERIOD_YEAR },
	};
	struct kpi_error err;
	enum kpi_period_unit u = KPI_PERIOD_DAY;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(kpi_period_unit_parse(ok[i].text, &u, &err),
				 KPI_OK);
		assert_int_equal(u, ok[i].unit);
	}
	for (i = 0; i < 5; i++) {
		assert_int_equal(kpi_period_unit_parse(
			kpi_period_unit_name((enum kpi_period_unit)i), &u,
			&err), KPI_OK);
		assert_int_equal(u, i);
	}
	u = KPI_PERIOD_MONTH;
	assert_int_equal(kpi_period_unit_parse("fortnight", &u, &err),
			 KPI_EINVAL);
	assert_string_equal(err.msg, "\"fortnight\" is not a period (expected "
			    "day, week, month, quarter or year)");
	assert_int_equal(kpi_period_unit_parse("", &u, &err), KPI_EINVAL);
	assert_int_equal(kpi_period_unit_parse("days", &u, &err), KPI_EINVAL);
	assert_int_equal(kpi_period_unit_parse(NULL, &u, NULL), KPI_EINVAL);
	assert_int_equal(u, KPI_PERIOD_MONTH);
}

static void
test_weekday_names_parse(void **state)
{
	static const struct {
		const char *text;
		int wd;
	} ok[] = {
		{ "monday", 1 }, { "Mon", 1 }, { "1", 1 }, { "tuesday", 2 },
		{ "TUE", 2 }, { "wed", 3 }, { "thursday", 4 }, { "fri", 5 },
		{ "saturday", 6 }, { "SUNDAY", 7 }, { "sun", 7 }, { "7", 7 },
	};
	static const char *const bad[] = {
		"", "0", "8", "17", "mo", "sunday!", "lundi", " mon",
	};
	struct kpi_error err;
	int wd = 99;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(kpi_weekday_parse(ok[i].text, &wd, &err),
				 KPI_OK);
		assert_int_equal(wd, ok[i].wd);
	}
	wd = 99;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kpi_weekday_parse(bad[i], &wd, &err),
				 KPI_EINVAL);
		assert_int_equal(wd, 99);
	}
	kpi_weekday_parse("lundi", &wd, &err);
	assert_string_equal(err.msg, "\"lundi\" is not a weekday (expected "
			    "monday..sunday, mon..sun or 1..7)");
}

/* ==== Parsing ISO dates, labels and timestamps ==== */

static void
test_parse_reads_iso_dates(void **state)
{
	parse_is("2026-11-27", NULL, NULL, 2026, 11, 27);
	parse_is("0001-01-01", NULL, NULL, 1, 1, 1);
	parse_is("9999-12-31", NULL, NULL, 9999, 12, 31);
	parse_is("2024-02-29", NULL, NULL, 2024, 2, 29);
	parse_is("2000-02-29", NULL, NULL, 2000, 2, 29);
	parse_is(" 2026-11-27\t", NULL, NULL, 2026, 11, 27);
}

static void
test_parse_rejects_bad_dates_saying_why(void **state)
{
	parse_fails("2026-02-30", NULL, NULL, "\"2026-02-30\" is not a valid "
		    "date (February 2026 has 28 days)");
	parse_fails("2023-02-29", NULL, NULL, "\"2023-02-29\" is not a valid "
		    "date (February 2023 has 28 days)");
	parse_fails("1900-02-29", NULL, NULL, NULL);
	parse_fails("2026-04-31", NULL, NULL, "\"2026-04-31\" is not a valid "
		    "date (April 2026 has 30 days)");
	parse_fails("2026-00-10", NULL, NULL, "\"2026-00-10\" is not a valid "
		    "date (month must be 01..12)");
	parse_fails("2026-13-10", NULL, NULL, NULL);
	parse_fails("2026-11-00", NULL, NULL, NULL);
	parse_fails("0000-01-01", NULL, NULL, "\"0000-01-01\" is not a valid "
		    "date (year must be 0001..9999)");
	parse_fails("27/11/2026", NULL, NULL, "\"27/11/2026\" is not a date "
		    "(expected YYYY-MM-DD; use --date-format for other "
		    "layouts)");
	parse_fails("20261127", NULL, NULL, "\"20261127\" is not a date "
		    "(expected YYYY-MM-DD; for this layout use --date-format "
		    "%Y%m%d)");
	parse_fails("", NULL, NULL, "\"\" is not a date (expected YYYY-MM-DD; "
		    "use --date-format for other layouts)");
	parse_fails(NULL, NULL, NULL, NULL);
	{
		static const char *const bad[] = {
			"26-11-27", "10000-01-01", "2026-1-27", "2026-11-7",
			"2026-011-27", "2026-11-270", "2026/11/27",
			"2026-11-27x", "2026-11-27 x", "2026-11-27T",
			"2026-11-27 ", "+2026-11-27", "2026--11", "2026-",
			"2026-11-", "Nov 27 2026", "2026 11 27", "2026-11-27Z",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strcmp(bad[i], "2026-11-27 ") == 0)
				continue;	/* trailing blanks are fine */
			parse_fails(bad[i], NULL, NULL, NULL);
		}
	}
}

static void
test_parse_reads_labels_as_their_first_day(void **state)
{
	struct kpi_calendar april = { 1, 4 };
	struct kpi_calendar sunday = { 7, 1 };

	/* ISO week dates: Python date.fromisocalendar(). */
	parse_is("2026-W48", NULL, NULL, 2026, 11, 23);
	parse_is("2026-W48", NULL, &sunday, 2026, 11, 23);
	parse_is("2026-W48-5", NULL, NULL, 2026, 11, 27);
	parse_is("2026-W53", NULL, NULL, 2026, 12, 28);	/* 2026 has 53 */
	parse_is("2020-W53", NULL, NULL, 2020, 12, 28);
	parse_is("2025-W01", NULL, NULL, 2024, 12, 30);
	parse_is("0001-W01", NULL, NULL, 1, 1, 1);
	parse_is("9999-W52", NULL, NULL, 9999, 12, 27);
	parse_is("2026-w48", NULL, NULL, 2026, 11, 23);

	parse_is("2026-11", NULL, NULL, 2026, 11, 1);
	parse_is("2026-Q4", NULL, NULL, 2026, 10, 1);
	parse_is("2026-Q1", NULL, NULL, 2026, 1, 1);
	/* Plain "YYYY-Qn" is a calendar quarter whatever the fiscal start. */
	parse_is("2026-Q4", NULL, &april, 2026, 10, 1);
	parse_is("2026", NULL, NULL, 2026, 1, 1);
	parse_is("2026", NULL, &april, 2026, 1, 1);

	/* Fiscal labels (hand calculation, see the fiscal test). */
	parse_is("FY2027-Q1", NULL, &april, 2026, 4, 1);
	parse_is("FY2027-Q3", NULL, &april, 2026, 10, 1);
	parse_is("FY2027-Q4", NULL, &april, 2027, 1, 1);
	parse_is("FY2027", NULL, &april, 2026, 4, 1);
	parse_is("fy2027-q2", NULL, &april, 2026, 7, 1);
	parse_is("FY2026", NULL, NULL, 2026, 1, 1);
	parse_is("FY2026-Q2", NULL, NULL, 2026, 4, 1);
	parse_is("FY10000", NULL, &april, 9999, 4, 1);
}

static void
test_parse_rejects_bad_labels(void **state)
{
	struct kpi_calendar april = { 1, 4 };

	/* Python: date(2025, 12, 28).isocalendar().week = 52. */
	parse_fails("2025-W53", NULL, NULL, "\"2025-W53\" is not a valid week "
		    "(2025 has 52 ISO weeks)");
	parse_fails("2026-W00", NULL, NULL, NULL);
	parse_fails("2026-W54", NULL, NULL, NULL);
	parse_fails("2026-W5", NULL, NULL, NULL);
	parse_fails("2026-W48-8", NULL, NULL, NULL);
	parse_fails("2026-W48-0", NULL, NULL, NULL);
	parse_fails("0000-W01", NULL, NULL, NULL);
	/* Its Sunday would be 10000-01-02. */
	parse_fails("9999-W52-7", NULL, NULL, "\"9999-W52-7\" is out of range "
		    "(dates run from 0001-01-01 to 9999-12-31)");
	parse_fails("2026-Q5", NULL, NULL, "\"2026-Q5\" is not a valid quarter "
		    "(expected Q1..Q4)");
	parse_fails("2026-Q0", NULL, NULL, NULL);
	parse_fails("2026-Q12", NULL, NULL, NULL);
	parse_fails("2026-13", NULL, NULL, "\"2026-13\" is not a valid month "
		    "(month must be 01..12)");
	parse_fails("0000", NULL, NULL, NULL);
	parse_fails("202", NULL, NULL, NULL);
	parse_fails("FY0001", NULL, &april, "\"FY0001\" is not a valid fiscal "
		    "year (it starts outside 0001..9999)");
	parse_fails("FY10000", NULL, NULL, NULL);
	parse_fails("FY2027-Q5", NULL, &april, NULL);
	parse_fails("FY27", NULL, &april, NULL);
	parse_fails("FY2027Q1", NULL, &april, NULL);
	parse_fails("FY", NULL, &april, NULL);
}

static void
test_parse_reads_timestamps_as_the_date_written(void **state)
{
	static const char *const ok[] = {
		"2026-11-27T13:45", "2026-11-27T13:45:10",
		"2026-11-27T13:45:10.123", "2026-11-27T13:45:10,5",
		"2026-11-27T13:45Z", "2026-11-27T13:45:10Z",
		"2026-11-27T13:45:10.123456789Z", "2026-11-27T23:59:59+01:00",
		"2026-11-27T00:00:00-0530", "2026-11-27T13:45+05",
		"2026-11-27 13:45:10", "2026-11-27 13:45:10+00:00",
		"2026-11-27t13:45z", "2026-11-27T23:59:60Z",
		"2026-11-27T00:00-23:59", " 2026-11-27T13:45 ",
	};
	size_t i;

	/* No time-zone conversion: 23:59:59+01:00 is still the 27th. */
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		parse_is(ok[i], NULL, NULL, 2026, 11, 27);
}

static void
test_parse_rejects_bad_timestamps(void **state)
{
	static const char *const bad[] = {
		"2026-11-27T", "2026-11-27T13", "2026-11-27T13:", "2026-11-27T1:45",
		"2026-11-27T13:45:", "2026-11-27T13:45:1", "2026-11-27T13:45:10.",
		"2026-11-27T13:45x", "2026-11-27T13:45+", "2026-11-27T13:45+1",
		"2026-11-27T13:45+01:", "2026-11-27T13:45+01:0",
		"2026-11-27T13:45+0100x", "2026-11-27T13:45ZZ",
		"2026-11-27T24:00", "2026-11-27T13:60", "2026-11-27T13:45:61",
		"2026-11-27T13:45+24:00", "2026-11-27T13:45+01:60",
		"2026-11-27  13:45", "2026-02-30T13:45",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], NULL, NULL, NULL);
	parse_fails("2026-11-27T25:00", NULL, NULL, "\"2026-11-27T25:00\" is "
		    "not a valid timestamp (hour must be 00..23)");
	parse_fails("2026-11-27T13", NULL, NULL, "\"2026-11-27T13\" is not a "
		    "valid timestamp (expected YYYY-MM-DDThh:mm[:ss][Z|+hh:mm])");
}

/* ==== --date-format layouts ==== */

static void
test_layouts_read_common_export_formats(void **state)
{
	struct kpi_date_format *f;

	f = layout("%d.%m.%Y");
	parse_is("3.7.2026", f, NULL, 2026, 7, 3);
	parse_is("03.07.2026", f, NULL, 2026, 7, 3);
	parse_is("27.11.2026", f, NULL, 2026, 11, 27);
	parse_is(" 27.11.2026 ", f, NULL, 2026, 11, 27);
	parse_fails("27/11/2026", f, NULL, "\"27/11/2026\" does not match the "
		    "date format \"%d.%m.%Y\" (expected \".\" after \"27\")");
	parse_fails("31.02.2026", f, NULL, "\"31.02.2026\" is not a valid date "
		    "(February 2026 has 28 days)");
	parse_fails("27.11.2026x", f, NULL, "\"27.11.2026x\" does not match "
		    "the date format \"%d.%m.%Y\" (expected nothing more after "
		    "\"27.11.2026\")");
	parse_fails("27.11.20261", f, NULL, NULL);
	parse_fails("3.7.26", f, NULL, NULL);	/* %Y is four digits, not year 26 */
	parse_fails("2026-11-27", f, NULL, NULL);
	parse_fails(".11.2026", f, NULL, "\".11.2026\" does not match the date "
		    "format \"%d.%m.%Y\" (expected digits for %d at the start)");
	kpi_date_format_free(f);

	f = layout("%m/%d/%Y");
	parse_is("11/27/2026", f, NULL, 2026, 11, 27);
	parse_is("2/3/2026", f, NULL, 2026, 2, 3);
	parse_fails("27/11/2026", f, NULL, "\"27/11/2026\" is not a valid date "
		    "(month must be 01..12)");
	kpi_date_format_free(f);

	f = layout("%d %b %Y");
	parse_is("5 Mar 2026", f, NULL, 2026, 3, 5);
	parse_is("05 march 2026", f, NULL, 2026, 3, 5);
	parse_is("27 NOV 2026", f, NULL, 2026, 11, 27);
	parse_is("1 May 2026", f, NULL, 2026, 5, 1);
	parse_fails("5 Mrz 2026", f, NULL, "\"5 Mrz 2026\" does not match the "
		    "date format \"%d %b %Y\" (expected a month name for %b "
		    "after \"5 \")");
	parse_fails("5 Marc 2026", f, NULL, NULL);
	kpi_date_format_free(f);

	f = layout("%B %e, %Y");
	parse_is("November 27, 2026", f, NULL, 2026, 11, 27);
	parse_is("june 5, 2026", f, NULL, 2026, 6, 5);
	kpi_date_format_free(f);

	f = layout("%b %e %Y");
	parse_is("Nov  5 2026", f, NULL, 2026, 11, 5);	/* ls -l style */
	parse_is("Nov 5 2026", f, NULL, 2026, 11, 5);
	kpi_date_format_free(f);

	f = layout("%Y%m%d");
	parse_is("20261127", f, NULL, 2026, 11, 27);
	parse_is("00010101", f, NULL, 1, 1, 1);
	parse_fails("202611", f, NULL, "\"202611\" does not match the date "
		    "format \"%Y%m%d\" (expected digits for %d after "
		    "\"202611\")");
	parse_fails("26-11-27", f, NULL, "\"26-11-27\" does not match the date "
		    "format \"%Y%m%d\" (expected 4 digits for %Y at the "
		    "start)");
	kpi_date_format_free(f);
}

static void
test_layouts_with_two_digit_years_days_of_year_and_times(void **state)
{
	struct kpi_date_format *f;

	/* POSIX strptime %y: 69-99 are 19xx, 00-68 are 20xx. */
	f = layout("%y-%m-%d");
	parse_is("26-11-27", f, NULL, 2026, 11, 27);
	parse_is("68-12-31", f, NULL, 2068, 12, 31);
	parse_is("69-01-01", f, NULL, 1969, 1, 1);
	parse_is("99-06-30", f, NULL, 1999, 6, 30);
	parse_is("0-1-1", f, NULL, 2000, 1, 1);
	kpi_date_format_free(f);

	/* GNU date -d 2026-11-27 +%j = 331; 2024 is a leap year. */
	f = layout("%Y-%j");
	parse_is("2026-331", f, NULL, 2026, 11, 27);
	parse_is("2024-366", f, NULL, 2024, 12, 31);
	parse_is("2026-1", f, NULL, 2026, 1, 1);
	parse_fails("2026-366", f, NULL, "\"2026-366\" is not a valid date "
		    "(2026 has 365 days)");
	parse_fails("2026-0", f, NULL, NULL);
	kpi_date_format_free(f);

	f = layout("%d/%m/%Y %H:%M:%S");
	parse_is("27/11/2026 13:45:10", f, NULL, 2026, 11, 27);
	parse_is("27/11/2026 23:59:60", f, NULL, 2026, 11, 27);
	parse_fails("27/11/2026 24:00:00", f, NULL, "\"27/11/2026 24:00:00\" "
		    "is not a valid date (hour must be 00..23)");
	parse_fails("27/11/2026 13:60:00", f, NULL, NULL);
	parse_fails("27/11/2026 13:45:61", f, NULL, NULL);
	parse_fails("27/11/2026", f, NULL, NULL);
	kpi_date_format_free(f);

	f = layout("%Y-%m-%d%%");
	parse_is("2026-11-27%", f, NULL, 2026, 11, 27);
	parse_fails("2026-11-27", f, NULL, NULL);
	kpi_date_format_free(f);

	/* With a layout, ISO text and labels are not read. */
	f = layout("%d.%m.%Y");
	parse_fails("2026-W48", f, NULL, NULL);
	kpi_date_format_free(f);
}

/* Found by tests/fuzz/fuzz_date_format: blanks at either end of a layout
 * had nothing to match once the field's own blanks were skipped, so
 * " %d.%m.%Y" rejected every date, quoted or not. */
static void
test_layouts_ignore_blanks_at_either_end(void **state)
{
	struct kpi_date_format *f;

	f = layout(" \t%d.%m.%Y ");
	parse_is("27.11.2026", f, NULL, 2026, 11, 27);
	parse_is("\t27.11.2026  ", f, NULL, 2026, 11, 27);
	parse_fails("27. 11.2026", f, NULL, NULL);
	kpi_date_format_free(f);

	f = layout("%b %e %Y ");	/* inner blanks still match exactly */
	parse_is("Nov  5 2026", f, NULL, 2026, 11, 5);
	parse_fails("Nov5 2026", f, NULL, NULL);
	kpi_date_format_free(f);
}

static void
test_layouts_are_checked_when_compiled(void **state)
{
	static const char *const bad[] = {
		"%d.%m", "%Y-%m", "%Y-%d", "%m/%d", "%j", "%Y-%j-%m",
		"%Y-%m-%d %j", "%Y%", "%Y-%m-%d-%Y", "%Y %y %m %d", "%b %m %d %Y",
		"", "hello", "%Y-%m-%e-%d", "%Y-%m-%d %Z", "%F",
	};
	static char sentinel;
	struct kpi_date_format *const untouched =
		(struct kpi_date_format *)(void *)&sentinel;
	struct kpi_date_format *f = untouched;
	struct kpi_error err;
	char big[400];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kpi_date_format_new(&f, bad[i], &err) != KPI_EINVAL)
			fail_msg("layout \"%s\" was accepted", bad[i]);
		assert_ptr_equal(f, untouched);
	}
	kpi_date_format_new(&f, "%d.%Q.%Y", &err);
	assert_string_equal(err.msg, "date format \"%d.%Q.%Y\": unknown "
			    "conversion \"%Q\" (known: %Y %y %m %d %e %j %b %B "
			    "%h %H %M %S %%)");
	kpi_date_format_new(&f, "%d.%m", &err);
	assert_string_equal(err.msg, "date format \"%d.%m\" must give a year "
			    "(%Y or %y) and either a month (%m, %b or %B) and a "
			    "day (%d or %e), or a day of the year (%j)");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "%Y%m%d", 6);
	assert_int_equal(kpi_date_format_new(&f, big, &err), KPI_EINVAL);
	assert_ptr_equal(f, untouched);
	kpi_date_format_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_ymd_matches_python_day_numbers),
		cmocka_unit_test(test_every_day_from_year_1_to_9999_round_trips),
		cmocka_unit_test(test_from_ymd_rejects_days_that_do_not_exist),
		cmocka_unit_test(test_weekday_is_iso),
		cmocka_unit_test(test_iso_week_matches_gnu_date),
		cmocka_unit_test(test_iso_weeks_advance_one_per_monday),
		cmocka_unit_test(test_format_iso_pads_every_field),
		cmocka_unit_test(test_week_start_can_be_any_day),
		cmocka_unit_test(test_calendar_periods_and_labels),
		cmocka_unit_test(test_fiscal_quarters_and_years),
		cmocka_unit_test(test_periods_cover_days_and_labels_read_back),
		cmocka_unit_test(test_periods_at_the_ends_of_the_range),
		cmocka_unit_test(test_unit_names_parse),
		cmocka_unit_test(test_weekday_names_parse),
		cmocka_unit_test(test_parse_reads_iso_dates),
		cmocka_unit_test(test_parse_rejects_bad_dates_saying_why),
		cmocka_unit_test(test_parse_reads_labels_as_their_first_day),
		cmocka_unit_test(test_parse_rejects_bad_labels),
		cmocka_unit_test(test_parse_reads_timestamps_as_the_date_written),
		cmocka_unit_test(test_parse_rejects_bad_timestamps),
		cmocka_unit_test(test_layouts_read_common_export_formats),
		cmocka_unit_test(test_layouts_with_two_digit_years_days_of_year_and_times),
		cmocka_unit_test(test_layouts_ignore_blanks_at_either_end),
		cmocka_unit_test(test_layouts_are_checked_when_compiled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
