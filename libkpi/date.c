/* date.c - civil dates as day numbers, parsing, periods and fiscal
 * calendars, period labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/date.h"
#include "quote.h"

/* ==== Day numbers ==== */

/* Day numbers of 0001-01-01 and 9999-12-31 (Python:
 * date(1,1,1).toordinal() - date(1970,1,1).toordinal() = -719162 and
 * date(9999,12,31) likewise = 2932896). */
#define DAY_MIN (-719162L)
#define DAY_MAX 2932896L

/* The Gregorian calendar repeats every 400 years = 146097 days exactly
 * (400 * 365 + 97 leap days).  Counting years from March makes February,
 * with its leap day, the last month of a year, so month lengths inside a
 * year never depend on the year.  Day 0 of that count is 0000-03-01, which
 * is 719468 days before 1970-01-01. */
#define ERA_DAYS 146097L
#define MAR1_0000 719468L

/* Days before each month of a March-based year: Mar 31, Apr 30, May 31,
 * Jun 30, Jul 31, Aug 31, Sep 30, Oct 31, Nov 30, Dec 31, Jan 31, Feb. */
static const short days_before_mar[12] = {
	0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337,
};

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static const char *const weekday_names[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday",
};

/* Floor division and modulo, correct for negative a (b > 0). */
static long
floor_div(long a, long b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static long
floor_mod(long a, long b)
{
	return a - floor_div(a, b) * b;
}

static int
is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(long y, int m)
{
	static const unsigned char len[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Day number of a y-m-d that is known to exist (any year, even <= 0). */
static long
days_from_civil(long y, int m, int d)
{
	long my = m <= 2 ? y - 1 : y;		/* March-based year */
	int mi = m <= 2 ? m + 9 : m - 3;	/* 0 = March ... 11 = February */
	long era = floor_div(my, 400);
	long yoe = my - era * 400;		/* 0..399 */
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + days_before_mar[mi] +
		   d - 1;

	return era * ERA_DAYS + doe - MAR1_0000;
}

static void
civil_from_days(long day, long *y, int *m, int *d)
{
	long z = day + MAR1_0000;
	long era = floor_div(z, ERA_DAYS);
	long doe = z - era * ERA_DAYS;		/* 0..146096 */
	/* Peel centuries (36524 days; the era's last one has the extra
	 * leap day of year 400 at its very end), then 4-year cycles (1461
	 * days; a century's last one lacks its leap day, again at the end),
	 * then years (365 days; a cycle's leap day is its last day).  Each
	 * short or long unit is the last one, so capping the quotient is
	 * all the correction needed. */
	long c = doe / 36524 < 3 ? doe / 36524 : 3;
	long rc = doe - c * 36524;
	long q = rc / 1461;
	long rq = rc - q * 1461;
	long yr = rq / 365 < 3 ? rq / 365 : 3;
	long doy = rq - yr * 365;		/* 0..365, from March 1 */
	/* Inverse of days_before_mar[], which is (153 * mi + 2) / 5: from
	 * March the months run 31, 30, 31, 30, 31 days, 153 days per five
	 * months, twice over, then January and a February that ends the
	 * year.  Checked for every day in tests/test_date.c. */
	int mi = (int)((doy * 5 + 2) / 153);

	*d = (int)(doy - days_before_mar[mi] + 1);
	*m = mi < 10 ? mi + 3 : mi - 9;
	*y = era * 400 + c * 100 + q * 4 + yr + (*m <= 2);
}

/* Why y-m-d is not a date, into why; 0 when it is one. */
static int
ymd_problem(long y, int m, int d, char *why, size_t n)
{
	if (y < KPI_DATE_MIN_YEAR || y > KPI_DATE_MAX_YEAR)
		snprintf(why, n, "year must be 0001..9999");
	else if (m < 1 || m > 12)
		snprintf(why, n, "month must be 01..12");
	else if (d < 1 || d > days_in_month(y, m))
		snprintf(why, n, "%s %ld has %d days", month_names[m - 1], y,
			 days_in_month(y, m));
	else
		return 0;
	return -1;
}

enum kpi_status
kpi_date_from_ymd(int y, int m, int d, long *day, struct kpi_error *err)
{
	char why[64];

	if (ymd_problem(y, m, d, why, sizeof(why)) != 0)
		return kpi_error_set(err, KPI_EPARSE, 0,
			"%04d-%02d-%02d is not a valid date (%s)", y, m, d,
			why);
	*day = days_from_civil(y, m, d);
	return KPI_OK;
}

void
kpi_date_to_ymd(long day, int *y, int *m, int *d)
{
	long yy;

	civil_from_days(day, &yy, m, d);
	*y = (int)yy;
}

int
kpi_date_weekday(long day)
{
	/* 1970-01-01 was a Thursday (ISO 4). */
	return (int)floor_mod(day + 3, 7) + 1;
}

void
kpi_date_iso_week(long day, int *iso_year, int *week)
{
	/* ISO 8601: a week belongs to the year that holds its Thursday, and
	 * week 1 is the one with the year's first Thursday. */
	long thursday = day - kpi_date_weekday(day) + 4;
	long y;
	int m;
	int d;

	civil_from_days(thursday, &y, &m, &d);
	*iso_year = (int)y;
	*week = (int)((thursday - days_from_civil(y, 1, 1)) / 7 + 1);
}

/* Monday of ISO week 1 of iso_year. */
static long
iso_week1_monday(long iso_year)
{
	/* January 4 is always in week 1. */
	long jan4 = days_from_civil(iso_year, 1, 4);

	return jan4 - kpi_date_weekday(jan4) + 1;
}

static int
iso_weeks_in_year(long iso_year)
{
	/* December 28 is always in the year's last week. */
	int y;
	int w;

	kpi_date_iso_week(days_from_civil(iso_year, 12, 28), &y, &w);
	return w;
}

int
kpi_date_in_range(long day)
{
	return day >= DAY_MIN && day <= DAY_MAX;
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

size_t
kpi_date_format_iso(long day, char *buf)
{
	long y;
	int m;
	int d;

	civil_from_days(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		return (size_t)snprintf(buf, KPI_DATE_BUFSZ, "%ld-%02d-%02d",
					y, m, d);
	/* Hand-rolled: this runs once per output row. */
	put2(buf, (int)(y / 100));
	put2(buf + 2, (int)(y % 100));
	buf[4] = '-';
	put2(buf + 5, m);
	buf[7] = '-';
	put2(buf + 8, d);
	buf[10] = '\0';
	return 10;
}

/* ==== Calendars and periods ==== */

static const struct kpi_calendar default_calendar = KPI_CALENDAR_DEFAULT;

/* Out-of-range settings read as the default: these functions cannot fail,
 * and the tools validate options before they get here. */
static int
cal_week_start(const struct kpi_calendar *cal)
{
	return cal && cal->week_start >= 1 && cal->week_start <= 7 ?
	       cal->week_start : 1;
}

static int
cal_fiscal_start(const struct kpi_calendar *cal)
{
	return cal && cal->fiscal_start >= 1 && cal->fiscal_start <= 12 ?
	       cal->fiscal_start : 1;
}

/* ASCII-only, locale-independent case-insensitive comparisons. */
static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
equal_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	}
	return *a == *b;
}

enum kpi_status
kpi_period_unit_parse(const char *s, enum kpi_period_unit *out,
		      struct kpi_error *err)
{
	static const struct {
		const char *name;
		enum kpi_period_unit unit;
	} names[] = {
		{ "day", KPI_PERIOD_DAY }, { "daily", KPI_PERIOD_DAY },
		{ "week", KPI_PERIOD_WEEK }, { "weekly", KPI_PERIOD_WEEK },
		{ "month", KPI_PERIOD_MONTH }, { "monthly", KPI_PERIOD_MONTH },
		{ "quarter", KPI_PERIOD_QUARTER },
		{ "quarterly", KPI_PERIOD_QUARTER },
		{ "year", KPI_PERIOD_YEAR }, { "yearly", KPI_PERIOD_YEAR },
		{ "annual", KPI_PERIOD_YEAR }, { "annually", KPI_PERIOD_YEAR },
	};
	char q[KPI_QUOTE_BUFSZ];
	size_t i;

	for (i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (equal_nocase(s, names[i].name)) {
			*out = names[i].unit;
			return KPI_OK;
		}
	}
	return kpi_error_set(err, KPI_EINVAL, 0,
		"\"%s\" is not a period (expected day, week, month, quarter "
		"or year)", kpi_quote(s, q));
}

const char *
kpi_period_unit_name(enum kpi_period_unit u)
{
	switch (u) {
	case KPI_PERIOD_DAY:		return "day";
	case KPI_PERIOD_WEEK:		return "week";
	case KPI_PERIOD_MONTH:		return "month";
	case KPI_PERIOD_QUARTER:	return "quarter";
	case KPI_PERIOD_YEAR:		return "year";
	}
	return "unknown";
}

enum kpi_status
kpi_weekday_parse(const char *s, int *out, struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];
	char abbr[4];
	int i;

	if (s && s[0] >= '1' && s[0] <= '7' && s[1] == '\0') {
		*out = s[0] - '0';
		return KPI_OK;
	}
	for (i = 0; s && i < 7; i++) {
		memcpy(abbr, weekday_names[i], 3);
		abbr[3] = '\0';
		if (equal_nocase(s, weekday_names[i]) ||
		    equal_nocase(s, abbr)) {
			*out = i + 1;
			return KPI_OK;
		}
	}
	return kpi_error_set(err, KPI_EINVAL, 0,
		"\"%s\" is not a weekday (expected monday..sunday, mon..sun "
		"or 1..7)", kpi_quote(s, q));
}

/* First day of the 1-, 3- or 12-month period holding y-m, where periods
 * start at months first, first + step, ... (first in 1..12). */
static long
month_period_start(long y, int m, int first, int step)
{
	/* Months since the period grid's origin, modulo the step. */
	int back = (int)floor_mod(m - first, step);
	long idx = y * 12 + (m - 1) - back;

	return days_from_civil(floor_div(idx, 12), (int)floor_mod(idx, 12) + 1,
			       1);
}

long
kpi_period_start(long day, enum kpi_period_unit u,
		 const struct kpi_calendar *cal)
{
	long y;
	int m;
	int d;

	switch (u) {
	case KPI_PERIOD_DAY:
		return day;
	case KPI_PERIOD_WEEK:
		return day - floor_mod(kpi_date_weekday(day) -
				       cal_week_start(cal), 7);
	case KPI_PERIOD_MONTH:
		civil_from_days(day, &y, &m, &d);
		return day - d + 1;
	case KPI_PERIOD_QUARTER:
		civil_from_days(day, &y, &m, &d);
		return month_period_start(y, m, cal_fiscal_start(cal), 3);
	case KPI_PERIOD_YEAR:
		civil_from_days(day, &y, &m, &d);
		return month_period_start(y, m, cal_fiscal_start(cal), 12);
	}
	return day;
}

static long
add_months(long day, int months)
{
	long y;
	int m;
	int d;
	long idx;

	civil_from_days(day, &y, &m, &d);
	idx = y * 12 + (m - 1) + months;
	return days_from_civil(floor_div(idx, 12), (int)floor_mod(idx, 12) + 1,
			       1);
}

long
kpi_period_next(long start, enum kpi_period_unit u,
		const struct kpi_calendar *cal)
{
	switch (u) {
	case KPI_PERIOD_DAY:
		return start + 1;
	case KPI_PERIOD_WEEK:
		return start + 7;
	case KPI_PERIOD_MONTH:
		return add_months(start, 1);
	case KPI_PERIOD_QUARTER:
		return add_months(start, 3);
	case KPI_PERIOD_YEAR:
		return add_months(start, 12);
	}
	return start + 1;
}

size_t
kpi_period_label(long start, enum kpi_period_unit u,
		 const struct kpi_calendar *cal, char *buf)
{
	int fs = cal_fiscal_start(cal);
	long y;
	int m;
	int d;
	int iso_year;
	int week;
	int n;

	start = kpi_period_start(start, u, cal);
	civil_from_days(start, &y, &m, &d);
	switch (u) {
	case KPI_PERIOD_DAY:
		return kpi_date_format_iso(start, buf);
	case KPI_PERIOD_WEEK:
		if (cal_week_start(cal) != 1)
			return kpi_date_format_iso(start, buf);
		kpi_date_iso_week(start, &iso_year, &week);
		n = snprintf(buf, KPI_DATE_BUFSZ, "%04d-W%02d", iso_year,
			     week);
		break;
	case KPI_PERIOD_MONTH:
		n = snprintf(buf, KPI_DATE_BUFSZ, "%04ld-%02d", y, m);
		break;
	case KPI_PERIOD_QUARTER:
		if (fs == 1) {
			n = snprintf(buf, KPI_DATE_BUFSZ, "%04ld-Q%d", y,
				     (m - 1) / 3 + 1);
		} else {
			/* The fiscal year starting in calendar year y0 ends
			 * in, and is named after, y0 + 1. */
			long fy = (m >= fs ? y : y - 1) + 1;

			n = snprintf(buf, KPI_DATE_BUFSZ, "FY%04ld-Q%d", fy,
				     (int)floor_mod(m - fs, 12) / 3 + 1);
		}
		break;
	case KPI_PERIOD_YEAR:
		if (fs == 1)
			n = snprintf(buf, KPI_DATE_BUFSZ, "%04ld", y);
		else
			n = snprintf(buf, KPI_DATE_BUFSZ, "FY%04ld", y + 1);
		break;
	default:
		return kpi_date_format_iso(start, buf);
	}
	return n < 0 ? 0 : (size_t)n;
}

/* ==== Parsing ISO 8601 dates, timestamps and period labels ==== */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Exactly n digits at p, as a number; -1 when they are not there. */
static int
digits_n(const char *p, int n)
{
	int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Only blanks are left from p. */
static int
at_end(const char *p)
{
	while (is_blank(*p))
		p++;
	return *p == '\0';
}

static enum kpi_status
not_a_date(const char *s, struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];
	const char *p = s;
	int n = 0;

	while (is_blank(*p))
		p++;
	while (is_digit(p[n]))
		n++;
	/* Compact ISO 8601 ("20261127") is a common export layout. */
	if (n == 8 && at_end(p + n))
		return kpi_error_set(err, KPI_EPARSE, 0,
			"\"%s\" is not a date (expected YYYY-MM-DD; for this "
			"layout use --date-format %%Y%%m%%d)", kpi_quote(s, q));
	return kpi_error_set(err, KPI_EPARSE, 0,
		"\"%s\" is not a date (expected YYYY-MM-DD; use --date-format "
		"for other layouts)", kpi_quote(s, q));
}

static enum kpi_status
invalid(const char *s, const char *what, const char *why,
	struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];

	return kpi_error_set(err, KPI_EPARSE, 0, "\"%s\" is not a valid %s (%s)",
			     kpi_quote(s, q), what, why);
}

static enum kpi_status
out_of_range(const char *s, struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];

	return kpi_error_set(err, KPI_EPARSE, 0,
		"\"%s\" is out of range (dates run from 0001-01-01 to "
		"9999-12-31)", kpi_quote(s, q));
}

#define TIMESTAMP_SYNTAX "expected YYYY-MM-DDThh:mm[:ss][Z|+hh:mm]"

/* The "hh:mm[:ss[.frac]][Z|+hh:mm|+hhmm|+hh]" after a date's 'T' or ' '.
 * Everything is checked and then ignored: a timestamp's date is the date
 * as written, with no time-zone conversion (DESIGN.md). */
static enum kpi_status
parse_time(const char *s, const char *p, struct kpi_error *err)
{
	int hh = digits_n(p, 2);
	int mm = -1;
	int ss = 0;
	int oh = 0;
	int om = 0;

	/* Each field is read only once the one before it is known to be
	 * there, so that nothing is read past the terminating NUL. */
	if (hh >= 0 && p[2] == ':')
		mm = digits_n(p + 3, 2);
	if (mm < 0)
		return invalid(s, "timestamp", TIMESTAMP_SYNTAX, err);
	p += 5;
	if (*p == ':') {
		ss = digits_n(p + 1, 2);
		if (ss < 0)
			return invalid(s, "timestamp", TIMESTAMP_SYNTAX, err);
		p += 3;
		if (*p == '.' || *p == ',') {
			p++;
			if (!is_digit(*p))
				return invalid(s, "timestamp",
					       TIMESTAMP_SYNTAX, err);
			while (is_digit(*p))
				p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		oh = digits_n(p + 1, 2);
		if (oh < 0)
			return invalid(s, "timestamp", TIMESTAMP_SYNTAX, err);
		p += 3;
		if (*p == ':' || is_digit(*p)) {
			p += *p == ':';
			om = digits_n(p, 2);
			if (om < 0)
				return invalid(s, "timestamp",
					       TIMESTAMP_SYNTAX, err);
			p += 2;
		}
	}
	if (!at_end(p))
		return invalid(s, "timestamp", TIMESTAMP_SYNTAX, err);
	if (hh > 23)
		return invalid(s, "timestamp", "hour must be 00..23", err);
	if (mm > 59)
		return invalid(s, "timestamp", "minute must be 00..59", err);
	if (ss > 60)	/* 60: a leap second */
		return invalid(s, "timestamp", "second must be 00..60", err);
	if (oh > 23 || om > 59)
		return invalid(s, "timestamp",
			       "time zone offset must be within +-23:59", err);
	return KPI_OK;
}

/* "FYyyyy" or "FYyyyy-Qn" from p (after "FY"): fiscal years under cal. */
static enum kpi_status
parse_fiscal(const char *s, const char *p, const struct kpi_calendar *cal,
	     long *day, struct kpi_error *err)
{
	int fs = cal_fiscal_start(cal);
	long fy = 0;
	long start;
	int n = 0;
	int quarter = 0;

	/* FY10000 exists: with fiscal_start 4 it runs from 9999-04-01. */
	while (n < 5 && is_digit(p[n])) {
		fy = fy * 10 + (p[n] - '0');
		n++;
	}
	if (n < 4 || is_digit(p[n]))
		return not_a_date(s, err);
	p += n;
	if (p[0] == '-' && (p[1] == 'Q' || p[1] == 'q')) {
		if (!is_digit(p[2]) || !at_end(p + 3))
			return not_a_date(s, err);
		quarter = p[2] - '0';
		if (quarter < 1 || quarter > 4)
			return invalid(s, "fiscal quarter", "expected Q1..Q4",
				       err);
	} else if (!at_end(p)) {
		return not_a_date(s, err);
	}
	/* A fiscal year is named after the calendar year it ends in. */
	start = days_from_civil(fs == 1 ? fy : fy - 1, fs, 1);
	if (quarter > 1)
		start = add_months(start, 3 * (quarter - 1));
	if (!kpi_date_in_range(start))
		return invalid(s, quarter ? "fiscal quarter" : "fiscal year",
			       "it starts outside 0001..9999", err);
	*day = start;
	return KPI_OK;
}

static enum kpi_status
parse_iso(const char *s, const struct kpi_calendar *cal, long *day,
	  struct kpi_error *err)
{
	char why[64];
	const char *p = s;
	long start;
	int y;
	int m;
	int d;

	while (is_blank(*p))
		p++;
	if ((p[0] == 'F' || p[0] == 'f') && (p[1] == 'Y' || p[1] == 'y'))
		return parse_fiscal(s, p + 2, cal, day, err);
	y = digits_n(p, 4);
	if (y < 0 || is_digit(p[4]))
		return not_a_date(s, err);
	p += 4;
	if (at_end(p)) {
		if (y < KPI_DATE_MIN_YEAR)
			return invalid(s, "year", "year must be 0001..9999",
				       err);
		*day = days_from_civil(y, 1, 1);
		return KPI_OK;
	}
	if (*p != '-')
		return not_a_date(s, err);
	p++;
	if (*p == 'W' || *p == 'w') {
		int w = digits_n(p + 1, 2);
		int wd = 1;

		if (w < 0)
			return not_a_date(s, err);
		p += 3;
		/* ISO week date "2026-W48-5" names a day of the week. */
		if (p[0] == '-' && p[1] >= '1' && p[1] <= '7') {
			wd = p[1] - '0';
			p += 2;
		}
		if (!at_end(p))
			return not_a_date(s, err);
		if (y < KPI_DATE_MIN_YEAR)
			return invalid(s, "week", "year must be 0001..9999",
				       err);
		if (w < 1 || w > iso_weeks_in_year(y)) {
			snprintf(why, sizeof(why), "%d has %d ISO weeks", y,
				 iso_weeks_in_year(y));
			return invalid(s, "week", why, err);
		}
		start = iso_week1_monday(y) + 7L * (w - 1) + wd - 1;
		if (!kpi_date_in_range(start))
			return out_of_range(s, err);
		*day = start;
		return KPI_OK;
	}
	if (*p == 'Q' || *p == 'q') {
		/* Plain "YYYY-Qn" is always a calendar quarter, whatever
		 * the fiscal start: fiscal quarters are written "FY". */
		if (!is_digit(p[1]) || !at_end(p + 2))
			return not_a_date(s, err);
		if (p[1] < '1' || p[1] > '4')
			return invalid(s, "quarter", "expected Q1..Q4", err);
		if (y < KPI_DATE_MIN_YEAR)
			return invalid(s, "quarter", "year must be 0001..9999",
				       err);
		*day = days_from_civil(y, 3 * (p[1] - '1') + 1, 1);
		return KPI_OK;
	}
	m = digits_n(p, 2);
	if (m < 0 || is_digit(p[2]))
		return not_a_date(s, err);
	p += 2;
	if (at_end(p)) {
		if (ymd_problem(y, m, 1, why, sizeof(why)) != 0)
			return invalid(s, "month", why, err);
		*day = days_from_civil(y, m, 1);
		return KPI_OK;
	}
	d = *p == '-' ? digits_n(p + 1, 2) : -1;
	if (d < 0 || is_digit(p[3]))
		return not_a_date(s, err);
	p += 3;
	if (ymd_problem(y, m, d, why, sizeof(why)) != 0)
		return invalid(s, "date", why, err);
	if (!at_end(p)) {
		enum kpi_status st;

		if (!(*p == 'T' || *p == 't' || (*p == ' ' && is_digit(p[1]))))
			return not_a_date(s, err);
		st = parse_time(s, p + 1, err);
		if (st != KPI_OK)
			return st;
	}
	*day = days_from_civil(y, m, d);
	return KPI_OK;
}

/* ==== --date-format layouts ==== */

enum item_kind { ITEM_LITERAL, ITEM_NUMBER, ITEM_MONTH_NAME };

enum field {
	F_YEAR, F_YEAR2, F_MONTH, F_DAY, F_YDAY, F_HOUR, F_MINUTE, F_SECOND,
	F_COUNT
};

struct item {
	unsigned char kind;	/* enum item_kind */
	unsigned char field;	/* enum field */
	unsigned char width;	/* most digits */
	unsigned char fixed;	/* exactly `width` digits */
	unsigned char blank;	/* %e: a leading blank may pad the number */
	char c;			/* literal character, or conversion letter */
};

struct kpi_date_format {
	unsigned has;		/* bit per enum field set by the layout */
	size_t n;
	const char *layout;	/* a copy, for messages; after items[] */
	struct item items[];
};

/* Longest layout accepted: an option value, not data. */
#define LAYOUT_MAX 256

/* The conversions, the field they fill and their most digits. */
static int
conversion(char c, struct item *it)
{
	static const struct {
		char c;
		unsigned char field;
		unsigned char width;
	} table[] = {
		{ 'Y', F_YEAR, 4 }, { 'y', F_YEAR2, 2 }, { 'm', F_MONTH, 2 },
		{ 'd', F_DAY, 2 }, { 'e', F_DAY, 2 }, { 'j', F_YDAY, 3 },
		{ 'H', F_HOUR, 2 }, { 'M', F_MINUTE, 2 }, { 'S', F_SECOND, 2 },
		{ 'b', F_MONTH, 0 }, { 'h', F_MONTH, 0 }, { 'B', F_MONTH, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].c != c)
			continue;
		it->kind = table[i].width ? ITEM_NUMBER : ITEM_MONTH_NAME;
		it->field = table[i].field;
		it->width = table[i].width;
		it->fixed = c == 'Y';	/* "3.7.26" is not year 26 */
		it->blank = c == 'e';
		it->c = c;
		return 0;
	}
	return -1;
}

enum kpi_status
kpi_date_format_new(struct kpi_date_format **out, const char *layout,
		    struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];
	struct kpi_date_format *f = NULL;
	enum kpi_status st = KPI_OK;
	size_t len;
	size_t i;
	const char *p;
	unsigned has = 0;
	int year_fields = 0;
	int month_fields = 0;
	int day_fields = 0;

	if (!layout)
		layout = "";
	len = strlen(layout);
	if (len > LAYOUT_MAX)
		return kpi_error_set(err, KPI_EINVAL, 0,
			"date format \"%s\" is too long (at most %d bytes)",
			kpi_quote(layout, q), LAYOUT_MAX);
	/* At most one item per layout byte; the copy goes after them. */
	f = malloc(sizeof(*f) + len * sizeof(f->items[0]) + len + 1);
	if (!f)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	f->n = 0;
	for (p = layout; *p; p++) {
		struct item *it = &f->items[f->n];

		if (*p != '%' || p[1] == '%') {
			it->kind = ITEM_LITERAL;
			it->c = *p;
			p += *p == '%';
			f->n++;
			continue;
		}
		p++;
		if (*p == '\0') {
			st = kpi_error_set(err, KPI_EINVAL, 0,
				"date format \"%s\" ends with a lone '%%'",
				kpi_quote(layout, q));
			goto out;
		}
		if (conversion(*p, it) != 0) {
			char conv[8];

			snprintf(conv, sizeof(conv), "%%%c", *p);
			st = kpi_error_set(err, KPI_EINVAL, 0,
				"date format \"%s\": unknown conversion \"%s\" "
				"(known: %%Y %%y %%m %%d %%e %%j %%b %%B %%h "
				"%%H %%M %%S %%%%)", kpi_quote(layout, q),
				conv);
			goto out;
		}
		if (has & (1u << it->field) ||
		    (it->field == F_YEAR && has & (1u << F_YEAR2)) ||
		    (it->field == F_YEAR2 && has & (1u << F_YEAR))) {
			st = kpi_error_set(err, KPI_EINVAL, 0,
				"date format \"%s\" sets a field twice (%%%c)",
				kpi_quote(layout, q), *p);
			goto out;
		}
		has |= 1u << it->field;
		f->n++;
	}
	/* Blanks around a field are ignored, so blanks at either end of the
	 * layout have nothing to match: " %d.%m.%Y" would reject every date.
	 * They are dropped (from the items; messages show the layout as
	 * given). */
	while (f->n > 0 && f->items[f->n - 1].kind == ITEM_LITERAL &&
	       is_blank(f->items[f->n - 1].c))
		f->n--;
	for (i = 0; i < f->n && f->items[i].kind == ITEM_LITERAL &&
		    is_blank(f->items[i].c); i++)
		;
	if (i > 0) {
		memmove(f->items, f->items + i, (f->n - i) * sizeof(f->items[0]));
		f->n -= i;
	}
	/* Adjacent numbers ("%Y%m%d") have no separator to end them, so a
	 * number directly followed by another takes its full width. */
	for (i = 0; i + 1 < f->n; i++) {
		if (f->items[i].kind == ITEM_NUMBER &&
		    f->items[i + 1].kind == ITEM_NUMBER)
			f->items[i].fixed = 1;
	}
	year_fields = !!(has & (1u << F_YEAR | 1u << F_YEAR2));
	month_fields = !!(has & 1u << F_MONTH);
	day_fields = !!(has & 1u << F_DAY);
	if (!year_fields || (has & 1u << F_YDAY ?
			     month_fields || day_fields :
			     !month_fields || !day_fields)) {
		st = kpi_error_set(err, KPI_EINVAL, 0,
			"date format \"%s\" must give a year (%%Y or %%y) and "
			"either a month (%%m, %%b or %%B) and a day (%%d or "
			"%%e), or a day of the year (%%j)",
			kpi_quote(layout, q));
		goto out;
	}
	f->has = has;
	memcpy((char *)&f->items[f->n], layout, len + 1);
	f->layout = (const char *)&f->items[f->n];
	*out = f;
	f = NULL;
out:
	free(f);
	return st;
}

void
kpi_date_format_free(struct kpi_date_format *f)
{
	free(f);
}

/* A month name at p, full or abbreviated, any case; advances *pp. */
static int
match_month(const char **pp)
{
	const char *p = *pp;
	int i;

	for (i = 0; i < 12; i++) {
		const char *name = month_names[i];
		size_t k = 0;

		while (name[k] && lower((unsigned char)p[k]) ==
				  lower((unsigned char)name[k]))
			k++;
		if (name[k] == '\0' || k == 3) {
			*pp = p + k;
			return i + 1;
		}
	}
	return 0;
}

/* `"text" does not match the date format "layout" (expected X after
 * "prefix")`, where prefix is what matched (its last 40 bytes at most). */
static enum kpi_status
mismatch(const char *s, const char *at, const struct kpi_date_format *f,
	 const struct item *it, struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];
	char ql[KPI_QUOTE_BUFSZ];
	char qp[KPI_QUOTE_BUFSZ];
	char prefix[KPI_QUOTE_MAX + 1];
	char want[48];
	size_t n = (size_t)(at - s);

	if (n > KPI_QUOTE_MAX)
		n = KPI_QUOTE_MAX;
	memcpy(prefix, at - n, n);
	prefix[n] = '\0';
	if (!it)
		snprintf(want, sizeof(want), "nothing more");
	else if (it->kind == ITEM_LITERAL)
		snprintf(want, sizeof(want), "\"%c\"", it->c);
	else if (it->kind == ITEM_MONTH_NAME)
		snprintf(want, sizeof(want), "a month name for %%%c", it->c);
	else if (it->fixed)
		snprintf(want, sizeof(want), "%d digits for %%%c", it->width,
			 it->c);
	else
		snprintf(want, sizeof(want), "digits for %%%c", it->c);
	if (at == s)
		return kpi_error_set(err, KPI_EPARSE, 0,
			"\"%s\" does not match the date format \"%s\" "
			"(expected %s at the start)", kpi_quote(s, q),
			kpi_quote(f->layout, ql), want);
	return kpi_error_set(err, KPI_EPARSE, 0,
		"\"%s\" does not match the date format \"%s\" (expected %s "
		"after \"%s\")", kpi_quote(s, q), kpi_quote(f->layout, ql),
		want, kpi_quote(prefix, qp));
}

static enum kpi_status
parse_with_format(const char *s, const struct kpi_date_format *f,
		  long *day, struct kpi_error *err)
{
	char why[64];
	int val[F_COUNT] = { 0 };
	const char *p = s;
	size_t i;
	long y;

	while (is_blank(*p))
		p++;
	for (i = 0; i < f->n; i++) {
		const struct item *it = &f->items[i];
		int width = it->width;
		int v = 0;
		int n = 0;

		switch (it->kind) {
		case ITEM_LITERAL:
			if (*p != it->c)
				return mismatch(s, p, f, it, err);
			p++;
			break;
		case ITEM_MONTH_NAME:
			v = match_month(&p);
			if (v == 0)
				return mismatch(s, p, f, it, err);
			val[it->field] = v;
			break;
		case ITEM_NUMBER:
			/* %e pads with a blank, as in "Mar  5". */
			if (it->blank && *p == ' ' && is_digit(p[1])) {
				p++;
				width--;
			}
			while (n < width && is_digit(p[n])) {
				v = v * 10 + (p[n] - '0');
				n++;
			}
			if (n == 0 || (it->fixed && n < width))
				return mismatch(s, p, f, it, err);
			p += n;
			val[it->field] = v;
			break;
		}
	}
	if (!at_end(p))
		return mismatch(s, p, f, NULL, err);

	if (f->has & 1u << F_YEAR)
		y = val[F_YEAR];
	else	/* POSIX strptime: 69-99 are 1969-1999, 00-68 2000-2068. */
		y = val[F_YEAR2] + (val[F_YEAR2] >= 69 ? 1900 : 2000);
	if (val[F_HOUR] > 23)
		return invalid(s, "date", "hour must be 00..23", err);
	if (val[F_MINUTE] > 59)
		return invalid(s, "date", "minute must be 00..59", err);
	if (val[F_SECOND] > 60)
		return invalid(s, "date", "second must be 00..60", err);
	if (f->has & 1u << F_YDAY) {
		int ndays = is_leap(y) ? 366 : 365;

		if (ymd_problem(y, 1, 1, why, sizeof(why)) != 0)
			return invalid(s, "date", why, err);
		if (val[F_YDAY] < 1 || val[F_YDAY] > ndays) {
			snprintf(why, sizeof(why), "%ld has %d days", y, ndays);
			return invalid(s, "date", why, err);
		}
		*day = days_from_civil(y, 1, 1) + val[F_YDAY] - 1;
		return KPI_OK;
	}
	if (ymd_problem(y, val[F_MONTH], val[F_DAY], why, sizeof(why)) != 0)
		return invalid(s, "date", why, err);
	*day = days_from_civil(y, val[F_MONTH], val[F_DAY]);
	return KPI_OK;
}

enum kpi_status
kpi_date_parse(const char *s, const struct kpi_date_format *fmt,
	       const struct kpi_calendar *cal, long *day,
	       struct kpi_error *err)
{
	if (!s)
		s = "";
	if (!cal)
		cal = &default_calendar;
	if (fmt)
		return parse_with_format(s, fmt, day, err);
	return parse_iso(s, cal, day, err);
}
