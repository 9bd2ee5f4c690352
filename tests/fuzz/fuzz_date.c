/* fuzz_date.c - kpi_date_parse() without a layout (ISO 8601 dates and
 * timestamps, period labels), with the default and a fuzzed calendar.
 *
 * Input: byte 0 picks the week start, byte 1 the fiscal start, the rest is
 * the text.  For every accepted text:
 *  - the day is within 0001-01-01 .. 9999-12-31;
 *  - kpi_date_format_iso() writes it so that it reads back as the same day,
 *    and kpi_date_to_ymd() / kpi_date_from_ymd() agree;
 *  - for every period unit whose start is in range: the start is at or
 *    before the day, the next period after it, the label of the day is the
 *    label of the start, and the label reads back (under the same calendar)
 *    as the start;
 *  - the calendar changes the result only for fiscal labels ("FY...").
 * The same checks run on a day made from the input bytes, so that every
 * part of the range is covered even when the text is not a date.
 */
#include <string.h>

#include "kpi/date.h"

#include "fuzz.h"

#define DAY_MIN (-719162L)	/* 0001-01-01 */
#define DAY_MAX 2932896L	/* 9999-12-31 */

static void
check_day(long day, const struct kpi_calendar *cal, const char *what)
{
	static const enum kpi_period_unit units[] = {
		KPI_PERIOD_DAY, KPI_PERIOD_WEEK, KPI_PERIOD_MONTH,
		KPI_PERIOD_QUARTER, KPI_PERIOD_YEAR,
	};
	struct kpi_error err;
	char buf[KPI_DATE_BUFSZ], buf2[KPI_DATE_BUFSZ];
	long back, start, next;
	size_t i, n;
	int y, m, d, wd, iy, wk;

	FUZZ_CHECK(kpi_date_in_range(day), "\"%s\" gave day %ld", what, day);
	n = kpi_date_format_iso(day, buf);
	FUZZ_CHECK(n == 10 && strlen(buf) == n, "day %ld written \"%s\"", day,
		   buf);
	back = DAY_MIN - 1;
	FUZZ_CHECK(kpi_date_parse(buf, NULL, NULL, &back, &err) == KPI_OK,
		   "\"%s\" (day %ld) does not read back: %s", buf, day,
		   err.msg);
	FUZZ_CHECK(back == day, "\"%s\" reads as %ld, not %ld", buf, back, day);
	kpi_date_to_ymd(day, &y, &m, &d);
	FUZZ_CHECK(kpi_date_from_ymd(y, m, d, &back, &err) == KPI_OK &&
		   back == day, "%d-%d-%d is not day %ld", y, m, d, day);
	wd = kpi_date_weekday(day);
	FUZZ_CHECK(wd >= 1 && wd <= 7, "weekday %d", wd);
	kpi_date_iso_week(day, &iy, &wk);
	FUZZ_CHECK(wk >= 1 && wk <= 53 && (iy == y || iy == y - 1 ||
					   iy == y + 1), "week %d-W%d", iy, wk);

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		start = kpi_period_start(day, units[i], cal);
		if (!kpi_date_in_range(start))
			continue;
		next = kpi_period_next(start, units[i], cal);
		FUZZ_CHECK(start <= day && day < next,
			   "%s: day %ld not in [%ld, %ld)",
			   kpi_period_unit_name(units[i]), day, start, next);
		FUZZ_CHECK(kpi_period_start(start, units[i], cal) == start,
			   "start of a start");
		n = kpi_period_label(start, units[i], cal, buf);
		FUZZ_CHECK(n > 0 && n < KPI_DATE_BUFSZ && strlen(buf) == n,
			   "label length %zu", n);
		kpi_period_label(day, units[i], cal, buf2);
		FUZZ_CHECK(strcmp(buf, buf2) == 0, "labels \"%s\" and \"%s\"",
			   buf, buf2);
		back = DAY_MIN - 1;
		FUZZ_CHECK(kpi_date_parse(buf, NULL, cal, &back, &err) ==
			   KPI_OK, "%s label \"%s\" (week start %d, fiscal "
			   "start %d) does not read: %s",
			   kpi_period_unit_name(units[i]), buf,
			   cal->week_start, cal->fiscal_start, err.msg);
		FUZZ_CHECK(back == start, "%s label \"%s\" reads as %ld, the "
			   "period starts on %ld", kpi_period_unit_name(units[i]),
			   buf, back, start);
	}
}

static int
has_fy(const char *s)
{
	return strchr(s, 'F') || strchr(s, 'f');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kpi_calendar cal;
	struct kpi_error err, err2;
	long day = DAY_MIN - 1, day2 = DAY_MIN - 2;
	enum kpi_status st, st2;
	unsigned long u;
	char *s;

	if (size < 2)
		return 0;
	cal.week_start = 1 + data[0] % 7;
	cal.fiscal_start = 1 + data[1] % 12;
	s = fuzz_strndup(data + 2, size - 2);

	st = kpi_date_parse(s, NULL, NULL, &day, &err);
	if (st == KPI_OK) {
		struct kpi_calendar def = KPI_CALENDAR_DEFAULT;

		check_day(day, &def, s);
		check_day(day, &cal, s);
	} else {
		FUZZ_CHECK(st == KPI_EPARSE && err.msg[0], "status %d",
			   (int)st);
		FUZZ_CHECK(day == DAY_MIN - 1, "day written on error");
	}
	st2 = kpi_date_parse(s, NULL, &cal, &day2, &err2);
	if (st2 == KPI_OK)
		check_day(day2, &cal, s);
	else
		FUZZ_CHECK(st2 == KPI_EPARSE && err2.msg[0], "status %d",
			   (int)st2);
	if (!has_fy(s)) {
		FUZZ_CHECK(st == st2, "\"%s\": the calendar changes the status",
			   s);
		FUZZ_CHECK(st != KPI_OK || day == day2,
			   "\"%s\": %ld, or %ld under a calendar", s, day, day2);
	}

	/* A day from the bytes themselves. */
	if (size >= 6) {
		u = (unsigned long)data[2] | (unsigned long)data[3] << 8 |
		    (unsigned long)data[4] << 16 |
		    (unsigned long)data[5] << 24;
		check_day(DAY_MIN + (long)(u % (unsigned long)(DAY_MAX -
							       DAY_MIN + 1)),
			  &cal, "(from bytes)");
	}
	free(s);
	return 0;
}
