/* fuzz_date_format.c - a --date-format layout from the input, compiled by
 * kpi_date_format_new(), then applied to the rest of the input and to a
 * date written in that layout.
 *
 * Input: byte 0 is the layout's length L, bytes 1..L the layout, the rest
 * the text to parse (its first bytes also choose a day and a time).
 * Checks:
 *  - an accepted layout applied to any text gives a day in range or
 *    KPI_EPARSE with a message, and never writes the day on error;
 *  - a day written in an accepted layout by an independent writer below
 *    (zero-padded numbers, %e blank-padded, English month names in any
 *    case, any valid time) reads back as that day.  Not checked, as no
 *    parser without backtracking can tell them apart: a month name
 *    directly followed by a letter of the layout ("%bch" reads "Mar" +
 *    "ch" as "March"), and a one-digit %e at the start (after blanks
 *    only), whose padding blank is trimmed with the field's ("%e%m%Y":
 *    " 5112026").
 */
#include <ctype.h>
#include <string.h>

#include "kpi/date.h"

#include "fuzz.h"

#define DAY_MIN (-719162L)	/* 0001-01-01 */
#define DAY_MAX 2932896L	/* 9999-12-31 */

static const char *const months[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

struct when {
	int y, m, d, yday, hour, min, sec;
	unsigned casebits;
};

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
day_of_year(int y, int m, int d)
{
	static const int before[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
	};

	return before[m - 1] + d + (m > 2 && is_leap(y));
}

/* Nothing but blanks in out[0, n): what a field's leading blanks are. */
static int
blanks_only(const char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i] != ' ' && out[i] != '\t')
			return 0;
	return 1;
}

/* Write `w` in layout `lay` into out (size cap); returns 0, or -1 when the
 * layout is one the round trip does not cover. */
static int
render(const char *lay, const struct when *w, char *out, size_t cap)
{
	size_t n = 0, k;
	const char *name;
	char tmp[16];
	unsigned bits = w->casebits;

	for (; *lay; lay++) {
		if (*lay != '%' || lay[1] == '%') {
			if (*lay == '%')
				lay++;
			tmp[0] = *lay;
			tmp[1] = '\0';
		} else {
			lay++;
			switch (*lay) {
			case 'Y':
				snprintf(tmp, sizeof(tmp), "%04d", w->y);
				break;
			case 'y':
				snprintf(tmp, sizeof(tmp), "%02d", w->y % 100);
				break;
			case 'm':
				snprintf(tmp, sizeof(tmp), "%02d", w->m);
				break;
			case 'd':
				snprintf(tmp, sizeof(tmp), "%02d", w->d);
				break;
			case 'e':
				/* At the start (after blanks only) the padding
				 * blank is one of the field's leading blanks,
				 * which are trimmed (a CSV reader does it
				 * too): " 5" then reads as "5", and what
				 * follows decides. */
				if (w->d < 10 && blanks_only(out, n))
					return -1;
				snprintf(tmp, sizeof(tmp), "%2d", w->d);
				break;
			case 'j':
				snprintf(tmp, sizeof(tmp), "%03d", w->yday);
				break;
			case 'H':
				snprintf(tmp, sizeof(tmp), "%02d", w->hour);
				break;
			case 'M':
				snprintf(tmp, sizeof(tmp), "%02d", w->min);
				break;
			case 'S':
				snprintf(tmp, sizeof(tmp), "%02d", w->sec);
				break;
			case 'b':
			case 'h':
			case 'B':
				if (isalpha((unsigned char)lay[1]))
					return -1;
				name = months[w->m - 1];
				k = *lay == 'B' ? strlen(name) : 3;
				memcpy(tmp, name, k);
				tmp[k] = '\0';
				for (k = 0; tmp[k]; k++, bits >>= 1)
					if (bits & 1)
						tmp[k] ^= 0x20;	/* flip case */
				break;
			default:
				return -1;
			}
		}
		k = strlen(tmp);
		if (n + k >= cap)
			return -1;
		memcpy(out + n, tmp, k);
		n += k;
	}
	out[n] = '\0';
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kpi_date_format *fmt = NULL;
	struct kpi_error err;
	struct when w;
	char *layout, *text;
	char out[1024];
	size_t len;
	long day = DAY_MIN - 1, want;
	unsigned long u;
	enum kpi_status st;

	if (size < 1)
		return 0;
	len = data[0];
	if (len > size - 1)
		len = size - 1;
	layout = fuzz_strndup(data + 1, len);
	text = fuzz_strndup(data + 1 + len, size - 1 - len);

	st = kpi_date_format_new(&fmt, layout, &err);
	if (st != KPI_OK) {
		FUZZ_CHECK(st == KPI_EINVAL && err.msg[0] && fmt == NULL,
			   "layout \"%s\": status %d", layout, (int)st);
		goto out;
	}
	FUZZ_CHECK(fmt != NULL, "no format");

	st = kpi_date_parse(text, fmt, NULL, &day, &err);
	if (st == KPI_OK)
		FUZZ_CHECK(kpi_date_in_range(day), "\"%s\" in \"%s\": day %ld",
			   text, layout, day);
	else
		FUZZ_CHECK(st == KPI_EPARSE && err.msg[0] &&
			   day == DAY_MIN - 1, "\"%s\" in \"%s\": status %d",
			   text, layout, (int)st);

	/* The round trip: a day and a time from the text's bytes. */
	u = 0;
	for (len = 0; len < 8 && text[len]; len++)
		u = u * 251 + (unsigned char)text[len];
	want = DAY_MIN + (long)(u % (unsigned long)(DAY_MAX - DAY_MIN + 1));
	kpi_date_to_ymd(want, &w.y, &w.m, &w.d);
	if (strstr(layout, "%y")) {
		/* Two digits name 1969..2068 (POSIX). */
		w.y = 1969 + w.y % 100;
		if (w.m == 2 && w.d == 29 && !is_leap(w.y))
			w.d = 28;
		FUZZ_CHECK(kpi_date_from_ymd(w.y, w.m, w.d, &want, &err) ==
			   KPI_OK, "%d-%d-%d", w.y, w.m, w.d);
	}
	w.yday = day_of_year(w.y, w.m, w.d);
	w.hour = (int)(u % 24);
	w.min = (int)(u / 24 % 60);
	w.sec = (int)(u / 1440 % 61);
	w.casebits = (unsigned)(u >> 7);
	if (render(layout, &w, out, sizeof(out)) == 0) {
		day = DAY_MIN - 1;
		st = kpi_date_parse(out, fmt, NULL, &day, &err);
		FUZZ_CHECK(st == KPI_OK, "\"%s\" written in \"%s\" does not "
			   "read: %s", out, layout, err.msg);
		FUZZ_CHECK(day == want, "\"%s\" in \"%s\" reads as %ld, not "
			   "%ld", out, layout, day, want);
	}
out:
	kpi_date_format_free(fmt);
	free(layout);
	free(text);
	return 0;
}
