/* fuzz_num.c - kpi_num_parse(), kpi_num_parse_long() and kpi_num_format()
 * on arbitrary text, against the C library as an independent reference.
 *
 * Input: byte 0 holds flags (bit 0: decimal comma; bits 1-5: a precision
 * for the fixed format), the rest is the text.  Checks:
 *  - kpi_num_parse() accepts exactly the documented grammar (blanks, sign,
 *    digits with at most one decimal point, optional exponent, blanks) when
 *    the value is finite, and then gives the same double, bit for bit, as
 *    glibc's correctly rounded strtod() in the C locale;
 *  - an accepted value is finite and kpi_num_format() writes it so that it
 *    reads back as the same value; the fixed format reads back within half
 *    a unit of its last decimal;
 *  - kpi_num_parse_long() agrees with strtoll() on the same grammar without
 *    point or exponent, overflow included.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "kpi/num.h"

#include "fuzz.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The grammar of num.h, written out again independently: returns 1 when s
 * is a number with decimal point `point` (allow_point) or an integer. */
static int
grammar(const char *s, char point, int allow_point, int allow_exp)
{
	int digits = 0, points = 0;

	while (is_blank(*s))
		s++;
	if (*s == '+' || *s == '-')
		s++;
	for (;; s++) {
		if (is_digit(*s))
			digits++;
		else if (allow_point && *s == point && points == 0)
			points++;
		else
			break;
	}
	if (!digits)
		return 0;
	if (allow_exp && (*s == 'e' || *s == 'E')) {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return 0;
		while (is_digit(*s))
			s++;
	}
	while (is_blank(*s))
		s++;
	return *s == '\0';
}

static void
check_double(const char *s, int comma, int precision)
{
	struct kpi_error err;
	char buf[KPI_NUM_BUFSZ];
	char *copy, *p, *end;
	double x = 12345.0, y, ref;
	size_t n;
	int ok, want;

	ok = kpi_num_parse(s, comma, &x, &err) == KPI_OK;
	want = grammar(s, comma ? ',' : '.', 1, 1);
	if (!ok) {
		FUZZ_CHECK(x == 12345.0, "output written on error");
		FUZZ_CHECK(err.status == KPI_EPARSE && err.msg[0],
			   "status %d for a bad number", (int)err.status);
	}
	if (want) {
		/* The reference: strtod() on the text with '.' as point. */
		copy = strdup(s);
		if (!copy)
			abort();
		if (comma)
			for (p = copy; *p; p++)
				if (*p == ',')
					*p = '.';
		errno = 0;
		ref = strtod(copy, &end);
		while (is_blank(*end))
			end++;
		FUZZ_CHECK(*end == '\0', "strtod stopped early in \"%s\"", s);
		free(copy);
		if (isinf(ref)) {
			FUZZ_CHECK(!ok, "\"%s\" overflows but was accepted", s);
			FUZZ_CHECK(strstr(err.msg, "out of range") != NULL,
				   "overflow message: %s", err.msg);
		} else {
			FUZZ_CHECK(ok, "\"%s\" rejected: %s", s, err.msg);
			FUZZ_CHECK(memcmp(&x, &ref, sizeof(x)) == 0,
				   "\"%s\" read as %.17g, strtod gives %.17g",
				   s, x, ref);
		}
	} else {
		FUZZ_CHECK(!ok, "\"%s\" is outside the grammar but read as %.17g",
			   s, x);
	}
	if (!ok)
		return;

	FUZZ_CHECK(isfinite(x), "\"%s\" gave %g", s, x);
	n = kpi_num_format(x, -1, buf);
	FUZZ_CHECK(n < KPI_NUM_BUFSZ && n == strlen(buf), "length %zu", n);
	FUZZ_CHECK(kpi_num_parse(buf, 0, &y, &err) == KPI_OK,
		   "%.17g formats as \"%s\", which does not read: %s", x, buf,
		   err.msg);
	FUZZ_CHECK(y == x, "%.17g formats as \"%s\", which reads as %.17g",
		   x, buf, y);

	n = kpi_num_format(x, precision, buf);
	FUZZ_CHECK(n < KPI_NUM_BUFSZ && n == strlen(buf), "length %zu", n);
	FUZZ_CHECK(kpi_num_parse(buf, 0, &y, &err) == KPI_OK,
		   "%.17g with %d decimals is \"%s\": %s", x, precision, buf,
		   err.msg);
	FUZZ_CHECK(fabs(y - x) <= 0.5 * pow(10, -precision) * (1 + 1e-9) +
		   fabs(x) * 4 * DBL_EPSILON,
		   "%.17g with %d decimals is \"%s\"", x, precision, buf);
}

static void
check_long(const char *s)
{
	struct kpi_error err;
	long long v = 12345, ref;
	char *end;
	int ok;

	ok = kpi_num_parse_long(s, &v, &err) == KPI_OK;
	if (!grammar(s, '.', 0, 0)) {
		FUZZ_CHECK(!ok, "\"%s\" read as the integer %lld", s, v);
		FUZZ_CHECK(v == 12345, "output written on error");
		return;
	}
	errno = 0;
	ref = strtoll(s, &end, 10);
	if (errno == ERANGE) {
		FUZZ_CHECK(!ok && strstr(err.msg, "out of range"),
			   "\"%s\" overflows but gave %lld", s, v);
		return;
	}
	FUZZ_CHECK(ok, "\"%s\" rejected: %s", s, err.msg);
	FUZZ_CHECK(v == ref, "\"%s\" read as %lld, strtoll gives %lld", s, v,
		   ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = fuzz_strndup(data + 1, size - 1);
	check_double(s, data[0] & 1, (data[0] >> 1) % 21);
	check_long(s);
	free(s);
	return 0;
}
