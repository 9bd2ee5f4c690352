/* kpi/date.h - civil dates as day numbers, date parsing, periods and fiscal
 * calendars, period labels.
 *
 * A date is a day number: days since 1970-01-01 (proleptic Gregorian), valid
 * for years 1..9999.  A period is identified by its first day.
 */
#ifndef KPI_DATE_H
#define KPI_DATE_H

#include <stddef.h>

#include "kpi/error.h"

#define KPI_DATE_MIN_YEAR 1
#define KPI_DATE_MAX_YEAR 9999

/* Day number of y-m-d; KPI_EPARSE when the date does not exist
 * (2026-02-30, month 13, year 0 or 10000). */
enum kpi_status kpi_date_from_ymd(int y, int m, int d, long *day,
				  struct kpi_error *err);
/* Inverse of kpi_date_from_ymd for any day in range. */
void kpi_date_to_ymd(long day, int *y, int *m, int *d);
/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int kpi_date_weekday(long day);
/* ISO 8601 week-numbering year and week (1..53) of a day. */
void kpi_date_iso_week(long day, int *iso_year, int *week);

/* Longest text a date or label function writes, NUL included. */
#define KPI_DATE_BUFSZ 32

/* "YYYY-MM-DD" into buf; returns the length. */
size_t kpi_date_format_iso(long day, char *buf);

/* ==== Calendars and periods ==== */

enum kpi_period_unit {
	KPI_PERIOD_DAY,
	KPI_PERIOD_WEEK,
	KPI_PERIOD_MONTH,
	KPI_PERIOD_QUARTER,
	KPI_PERIOD_YEAR,
};

struct kpi_calendar {
	int week_start;		/* first day of a week, 1 = Monday ... 7 = Sunday */
	int fiscal_start;	/* first month of a fiscal year, 1..12 */
};

/* Monday weeks, calendar years. */
#define KPI_CALENDAR_DEFAULT { 1, 1 }

/* "day", "week", "month", "quarter", "year" (also "daily", "weekly",
 * "monthly", "quarterly", "yearly"/"annual") to a unit; KPI_EINVAL else. */
enum kpi_status kpi_period_unit_parse(const char *s, enum kpi_period_unit *out,
				      struct kpi_error *err);
const char *kpi_period_unit_name(enum kpi_period_unit u);

/* Weekday name or number ("monday", "mon", "1" ... "sunday", "sun", "7") to
 * 1..7; KPI_EINVAL else. */
enum kpi_status kpi_weekday_parse(const char *s, int *out,
				  struct kpi_error *err);

/* First day of the period that holds `day`.  Quarters and years follow the
 * fiscal start; weeks the week start.  May be before year 1 only for the
 * first days of year 1; callers check with kpi_date_in_range().
 * cal == NULL means KPI_CALENDAR_DEFAULT, and so does a week_start or
 * fiscal_start out of range (tools validate options first); the same holds
 * for kpi_period_next() and kpi_period_label(). */
long kpi_period_start(long day, enum kpi_period_unit u,
		      const struct kpi_calendar *cal);
/* First day of the period after the one starting at `start`. */
long kpi_period_next(long start, enum kpi_period_unit u,
		     const struct kpi_calendar *cal);
/* Nonzero when day is within 0001-01-01 .. 9999-12-31. */
int kpi_date_in_range(long day);

/* The label of the period starting at `start`:
 *   day      2026-11-27
 *   week     2026-W48 (ISO week; for weeks not starting on Monday the first
 *            day's date, as no standard label exists)
 *   month    2026-11
 *   quarter  2026-Q4, or FY2027-Q1 when fiscal_start != 1
 *   year     2026, or FY2027 when fiscal_start != 1
 * A fiscal year is named after the calendar year it ends in: with
 * fiscal_start = 4, FY2027 runs from 2026-04-01 to 2027-03-31, and its
 * quarter n starts in month fiscal_start + 3(n - 1).  The last fiscal year
 * that starts in 9999 is "FY10000".  Any day of the period gives the same
 * label.  Returns the length written into buf (KPI_DATE_BUFSZ bytes). */
size_t kpi_period_label(long start, enum kpi_period_unit u,
			const struct kpi_calendar *cal, char *buf);

/* ==== Parsing ==== */

/* A compiled strptime-style layout for --date-format.  Conversions: %Y (exactly
 * 4 digits, so "3.7.26" is an error rather than the year 26: use %y for
 * two-digit years),
 * %m, %d, %e, %H, %M, %S, %b/%h (English month abbreviation, any case; full
 * names accepted), %B, %j (day of year), %y (two-digit year: 69-99 -> 19xx,
 * 00-68 -> 20xx, as POSIX), %%, and literal text.  Numeric fields accept
 * unpadded values ("3.7.2026" with "%d.%m.%Y"); %e also a leading blank
 * ("Nov  5").  A number directly followed by another number has no
 * separator to end it, so it takes its full width: "%Y%m%d" reads
 * "20261127".  %H %M %S are checked (00..23, 00..59, 00..60) and ignored:
 * the date is the date as written.  Literal text, blanks included, matches
 * itself exactly; the C library's strptime() is not used (it is locale
 * dependent and lenient).
 * kpi_date_format_new() fails with KPI_EINVAL, naming the problem, for an
 * unknown conversion, a field given twice, a layout longer than 256 bytes,
 * or one that lacks a year (%Y or %y) and either a month and a day, or %j
 * (which cannot be combined with a month or a day).  *out is set only on
 * success; free with kpi_date_format_free(), which accepts NULL.  A format
 * is immutable once made and can be shared between threads. */
struct kpi_date_format;

enum kpi_status kpi_date_format_new(struct kpi_date_format **out,
				    const char *layout, struct kpi_error *err);
void kpi_date_format_free(struct kpi_date_format *f);

/* Parse a whole field into a day number.
 * fmt == NULL: ISO 8601 "YYYY-MM-DD", "YYYY-MM-DDThh:mm[:ss[.frac]]" with an
 * optional "Z", "+hh:mm", "+hhmm" or "+hh" offset (or ' ' instead of 'T'),
 * whose date is the date as written; and the period labels above
 * ("2026-W48", "2026-11", "2026-Q4", "2026", "FY2027-Q1", "FY2027"), read as
 * their first day under `cal` (NULL: KPI_CALENDAR_DEFAULT).
 * fmt != NULL: that layout only.
 * Errors: KPI_EPARSE with a message quoting the text and saying what was
 * expected.
 * Details of the fmt == NULL forms:
 *  - years have exactly 4 digits, months, days and time fields 2; hours
 *    00..23, minutes 00..59, seconds 00..60 (leap second), offsets up to
 *    +-23:59; "2026-11-27T" and anything after the last field are errors;
 *  - "YYYY-Www" is always an ISO week, read as its Monday whatever
 *    cal->week_start (weeks starting on other days are labelled with their
 *    first day's date); the ISO week date "2026-W48-5" is that weekday;
 *    week 53 exists only in years that have it (2026 does, 2025 does not);
 *  - "YYYY-Qn" and "YYYY" are always calendar quarters and years, whatever
 *    cal->fiscal_start; fiscal periods are written "FYyyyy-Qn" and "FYyyyy"
 *    (4 or 5 digits) and are read under cal;
 *  - the letters T, W, Q, FY and Z may be lower case.
 * In both modes blanks around the field are ignored, s == NULL reads as "",
 * and *day is left untouched on error. */
enum kpi_status kpi_date_parse(const char *s, const struct kpi_date_format *fmt,
			       const struct kpi_calendar *cal, long *day,
			       struct kpi_error *err);

#endif
