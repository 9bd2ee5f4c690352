/* test_num.c - unit tests for number parsing, formatting and summation.
 *
 * Expected values come from, as noted per test: the C compiler's own
 * conversion of decimal literals (GCC converts with MPFR, correctly
 * rounded), Python 3.11 float(), repr(), float.hex() and math.fsum() run by
 * hand at development time (never at test time), and glibc's strtod(),
 * which is correctly rounded and shares no code with kpi_num_parse()'s
 * scanner and fast path.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "kpi/num.h"

/* ==== Helpers ==== */

static double
parse_ok(const char *s, int decimal_comma)
{
	struct kpi_error err;
	double v = 12345.0;
	enum kpi_status st = kpi_num_parse(s, decimal_comma, &v, &err);

	if (st != KPI_OK)
		fail_msg("kpi_num_parse(\"%s\", %d) failed: %s", s,
			 decimal_comma, err.msg);
	return v;
}

/* Parse must fail with KPI_EPARSE, leave the output alone, and say msg
 * (when msg is non-NULL). */
static void
parse_fails(const char *s, int decimal_comma, const char *msg)
{
	struct kpi_error err;
	double v = 12345.0;
	enum kpi_status st = kpi_num_parse(s, decimal_comma, &v, &err);

	if (st != KPI_EPARSE)
		fail_msg("kpi_num_parse(\"%s\", %d) = %d (value %.17g), "
			 "expected KPI_EPARSE", s, decimal_comma, st, v);
	assert_int_equal(err.status, KPI_EPARSE);
	assert_true(v == 12345.0);
	if (msg)
		assert_string_equal(err.msg, msg);
}

static const char *
fmt(double x, int precision, char *buf)
{
	size_t n = kpi_num_format(x, precision, buf);

	assert_int_equal(n, strlen(buf));
	assert_true(n < KPI_NUM_BUFSZ);
	return buf;
}

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* ==== kpi_num_parse ==== */

static void
test_parse_reads_plain_numbers(void **state)
{
	/* Expected: the compiler's correctly rounded literals. */
	static const struct {
		const char *text;
		double value;
	} cases[] = {
		{ "0", 0.0 },
		{ "1.5", 1.5 },
		{ "1234.56", 1234.56 },
		{ "-99.9", -99.9 },
		{ "0.1", 0.1 },
		{ "0.3", 0.3 },
		{ "100000", 100000.0 },
		{ "0.05", 0.05 },
		{ "007", 7.0 },
		{ "1e3", 1e3 },
		{ "1E-3", 1e-3 },
		{ "2.5e+2", 250.0 },
		{ "12e30", 12e30 },
		{ "1.5e-20", 1.5e-20 },
		{ "123456789012345678", 123456789012345678.0 },
		{ "1500000000000000000000", 1.5e21 },
		{ "3.14159265358979323846", 3.14159265358979323846 },
		{ "0e999", 0.0 },
		{ "1e22", 1e22 },
		{ "1e23", 1e23 },
		{ "9007199254740992", 9007199254740992.0 },
		{ "1.7976931348623157e308", DBL_MAX },
		{ "2.2250738585072014e-308", DBL_MIN },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_double_exact(parse_ok(cases[i].text, 0), cases[i].value);
}

static void
test_parse_accepts_signs_points_and_blanks(void **state)
{
	assert_double_exact(parse_ok("+1.5", 0), 1.5);
	assert_double_exact(parse_ok(".5", 0), 0.5);
	assert_double_exact(parse_ok("5.", 0), 5.0);
	assert_double_exact(parse_ok("-.5", 0), -0.5);
	assert_double_exact(parse_ok("  1.5", 0), 1.5);
	assert_double_exact(parse_ok("1.5 \t", 0), 1.5);
	assert_double_exact(parse_ok("\t -2e1 ", 0), -20.0);
}

static void
test_parse_keeps_the_sign_of_negative_zero(void **state)
{
	assert_double_exact(parse_ok("-0", 0), -0.0);
	assert_double_exact(parse_ok("-0.000", 0), -0.0);
	assert_double_exact(parse_ok("+0", 0), 0.0);
	/* Underflow keeps the sign too: -1e-400 is -0.0 (Python float). */
	assert_double_exact(parse_ok("-1e-400", 0), -0.0);
}

static void
test_parse_rounds_hard_cases_correctly(void **state)
{
	char buf[1200];

	/* 2^53 + 1 is halfway between 2^53 and 2^53 + 2: ties to even.
	 * Python: float('9007199254740993') = 9007199254740992.0. */
	assert_double_exact(parse_ok("9007199254740993", 0),
			    9007199254740992.0);
	/* Any digit after the tie breaks it upwards.  Python:
	 * float('9007199254740993.000000001') = 9007199254740994.0. */
	assert_double_exact(parse_ok("9007199254740993.000000001", 0),
			    9007199254740994.0);
	/* The same, with the deciding digit 900 places after the point:
	 * beyond the digits the slow path copies, so only its sticky digit
	 * can tell (exact: 2^53 + 1 + 10^-900 is above the tie). */
	strcpy(buf, "9007199254740993.");
	memset(buf + strlen(buf), '0', 900);
	strcpy(buf + 17 + 900, "1");
	assert_double_exact(parse_ok(buf, 0), 9007199254740994.0);
	buf[16] = ',';
	assert_double_exact(parse_ok(buf, 1), 9007199254740994.0);
	/* The exact binary value of 0.1, all 55 digits. */
	assert_double_exact(parse_ok("0.1000000000000000055511151231257827"
				     "021181583404541015625", 0), 0.1);
	/* Around the smallest normal.  Python float.hex():
	 * 2.2250738585072011e-308 -> 0x0.fffffffffffffp-1022,
	 * 2.2250738585072012e-308 -> 0x1.0000000000000p-1022. */
	assert_double_exact(parse_ok("2.2250738585072011e-308", 0),
			    0x0.fffffffffffffp-1022);
	assert_double_exact(parse_ok("2.2250738585072012e-308", 0),
			    0x1.0000000000000p-1022);
	/* Subnormals.  Python: float('4.9e-324') = float('3e-324') = 5e-324
	 * (the smallest subnormal, 0x1p-1074), float('2e-324') = 0.0. */
	assert_double_exact(parse_ok("4.9e-324", 0), 0x1p-1074);
	assert_double_exact(parse_ok("3e-324", 0), 0x1p-1074);
	assert_double_exact(parse_ok("2e-324", 0), 0.0);
	assert_double_exact(parse_ok("1e-400", 0), 0.0);
}

static void
test_parse_matches_glibc_strtod_on_random_text(void **state)
{
	char text[64];
	char alt[64];
	int i;

	/* Mostly short amounts (the fast path), some 16-20 digit ones and
	 * large exponents (the slow path).  The test runs in the "C"
	 * locale, where strtod() is the reference. */
	for (i = 0; i < 300000; i++) {
		int ndig = 1 + (int)(rng() % (i % 4 == 0 ? 20 : 9));
		int point = (int)(rng() % (unsigned)(ndig + 2)) - 1;
		int ex = (int)(rng() % 61) - 30;
		int n = 0;
		int k;
		double want;
		double got;
		char *end;

		if (i % 8 == 0)
			ex = (int)(rng() % 700) - 350;
		if (rng() % 2)
			text[n++] = '-';
		for (k = 0; k < ndig; k++) {
			if (k == point)
				text[n++] = '.';
			text[n++] = (char)('0' + rng() % 10);
		}
		if (i % 3 == 0)
			n += sprintf(text + n, "e%d", ex);
		text[n] = '\0';
		want = strtod(text, &end);
		assert_true(*end == '\0');
		if (isinf(want))
			continue;
		got = parse_ok(text, 0);
		if (memcmp(&got, &want, sizeof(got)) != 0)
			fail_msg("\"%s\": got %a, strtod gives %a", text, got,
				 want);
		/* The decimal comma spelling gives the same bits. */
		strcpy(alt, text);
		if ((end = strchr(alt, '.')) != NULL)
			*end = ',';
		got = parse_ok(alt, 1);
		assert_memory_equal(&got, &want, sizeof(got));
	}
}

static void
test_parse_rejects_malformed_text(void **state)
{
	static const char *const bad[] = {
		"", " ", "\t", "abc", "1.5x", "x1.5", "0x10", "0X1p3", "nan",
		"NaN", "inf", "-inf", "infinity", "1e", "1e+", "e5", ".", "-",
		"+", "+-1", "--1", "- 1", "1 2", "1..5", "1.5.", ".e1", "1e5.5",
		"1,000.5", "1.000,5", "1'000", "1_000", "\xd9\xa1\xd9\xa2", "12\n", "\x01",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], 0, NULL);
	parse_fails("1.000,5", 1, NULL);
	parse_fails("1,000,5", 1, NULL);
	parse_fails("12x", 0, "\"12x\" is not a number");
	parse_fails("", 0, "\"\" is not a number");
	parse_fails("0x10", 0, "\"0x10\" is not a number");
	parse_fails("12\r", 0, "\"12\\r\" is not a number");
}

static void
test_parse_accepts_null_as_empty(void **state)
{
	parse_fails(NULL, 0, "\"\" is not a number");
}

static void
test_parse_hints_at_the_other_decimal_separator(void **state)
{
	parse_fails("1,5", 0, "\"1,5\" is not a number (for a decimal comma "
			      "use --decimal-comma)");
	parse_fails("1.5", 1, "\"1.5\" is not a number (with --decimal-comma "
			      "the decimal separator is ',')");
	/* No hint when the other separator would not help either. */
	parse_fails("1,000,000", 0, "\"1,000,000\" is not a number");
}

static void
test_parse_reads_a_decimal_comma(void **state)
{
	assert_double_exact(parse_ok("1,5", 1), 1.5);
	assert_double_exact(parse_ok("-0,25e2", 1), -25.0);
	assert_double_exact(parse_ok(",5", 1), 0.5);
	assert_double_exact(parse_ok("1234", 1), 1234.0);
	assert_double_exact(parse_ok(" 0,1 ", 1), 0.1);
}

static void
test_parse_reports_overflow_as_out_of_range(void **state)
{
	parse_fails("1e400", 0, "\"1e400\" is out of range (a number must "
				"lie within +-1.8e308)");
	parse_fails("-1e400", 0, NULL);
	/* Python: float('1.7976931348623159e308') = inf (above DBL_MAX's
	 * rounding boundary), float('1.7976931348623158e308') = DBL_MAX. */
	parse_fails("1.7976931348623159e308", 0, NULL);
	assert_double_exact(parse_ok("1.7976931348623158e308", 0), DBL_MAX);
	parse_fails("1e99999999999999999999999", 0, NULL);
	assert_double_exact(parse_ok("1e-99999999999999999999999", 0), 0.0);
}

static void
test_parse_truncates_long_text_in_messages(void **state)
{
	char text[200];
	struct kpi_error err;
	double v;

	memset(text, '7', sizeof(text) - 2);
	text[sizeof(text) - 2] = 'x';
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(kpi_num_parse(text, 0, &v, &err), KPI_EPARSE);
	assert_string_equal(err.msg, "\"7777777777777777777777777777777777777777"
				     "...\" is not a number");
}

/* Switch to a locale whose decimal point is a comma; 0 when none exists
 * (CI generates de_DE.UTF-8 with localedef). */
static int
comma_locale(void)
{
	static const char *const names[] = {
		"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (setlocale(LC_ALL, names[i]) &&
		    strcmp(localeconv()->decimal_point, ",") == 0)
			return 1;
	}
	setlocale(LC_ALL, "C");
	return 0;
}

static void
test_parse_and_format_ignore_a_comma_locale(void **state)
{
	char buf[KPI_NUM_BUFSZ];
	double v;

	if (!comma_locale())
		skip();
	/* The locale is live: the C library now reads "1.5" as 1. */
	assert_double_exact(strtod("1.5", NULL), 1.0);
	assert_double_exact(parse_ok("1.5", 0), 1.5);
	assert_double_exact(parse_ok("1,5", 1), 1.5);
	/* The slow path (strtod_l) too. */
	assert_double_exact(parse_ok("0.1000000000000000055511151231257827"
				     "021181583404541015625", 0), 0.1);
	assert_double_exact(parse_ok("12345678901234567890.5", 0),
			    12345678901234567890.5);
	assert_string_equal(fmt(1.5, -1, buf), "1.5");
	assert_string_equal(fmt(0.1 + 0.2, -1, buf), "0.30000000000000004");
	assert_string_equal(fmt(1234.5, 2, buf), "1234.50");
	assert_string_equal(fmt(1.5e-7, -1, buf), "1.5e-07");
	assert_int_equal(kpi_num_parse("1,5", 0, &v, NULL), KPI_EPARSE);
	/* The process locale is left as it was. */
	assert_string_equal(localeconv()->decimal_point, ",");
	setlocale(LC_ALL, "C");
}

/* ==== kpi_num_parse_long ==== */

static void
test_parse_long_reads_64_bit_integers(void **state)
{
	struct kpi_error err;
	long long v = 0;

	assert_int_equal(kpi_num_parse_long("0", &v, &err), KPI_OK);
	assert_true(v == 0);
	assert_int_equal(kpi_num_parse_long("-0", &v, &err), KPI_OK);
	assert_true(v == 0);
	assert_int_equal(kpi_num_parse_long(" +42\t", &v, &err), KPI_OK);
	assert_true(v == 42);
	assert_int_equal(kpi_num_parse_long("-17", &v, &err), KPI_OK);
	assert_true(v == -17);
	assert_int_equal(kpi_num_parse_long("9223372036854775807", &v, &err),
			 KPI_OK);
	assert_true(v == 9223372036854775807LL);
	assert_int_equal(kpi_num_parse_long("-9223372036854775808", &v, &err),
			 KPI_OK);
	assert_true(v == -9223372036854775807LL - 1);
	assert_int_equal(kpi_num_parse_long("000123", &v, &err), KPI_OK);
	assert_true(v == 123);
}

static void
test_parse_long_rejects_junk_and_overflow(void **state)
{
	static const char *const bad[] = {
		"", " ", "12x", "1.0", "1e3", "0x10", "+", "-", "--1", "1 2",
		"9223372036854775808", "-9223372036854775809",
		"99999999999999999999999",
	};
	struct kpi_error err;
	long long v = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kpi_num_parse_long(bad[i], &v, &err) != KPI_EPARSE)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_true(v == 7);
	}
	kpi_num_parse_long("12x", &v, &err);
	assert_string_equal(err.msg, "\"12x\" is not an integer");
	kpi_num_parse_long("9223372036854775808", &v, &err);
	assert_string_equal(err.msg, "\"9223372036854775808\" is out of range "
			    "(an integer must lie within "
			    "-9223372036854775808..9223372036854775807)");
	assert_int_equal(kpi_num_parse_long(NULL, &v, NULL), KPI_EPARSE);
}

/* ==== kpi_num_format ==== */

static void
test_format_writes_the_shortest_round_trip_form(void **state)
{
	/* Expected: Python repr() for the same doubles, except that integral
	 * values below 1e21 are written out in full (like ECMAScript). */
	static const struct {
		double x;
		const char *text;
	} cases[] = {
		{ 0.0, "0" },
		{ -0.0, "0" },
		{ 3.0, "3" },
		{ 1234567.0, "1234567" },
		{ -42.0, "-42" },
		{ 1.5, "1.5" },
		{ 0.1, "0.1" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1234.56, "1234.56" },
		{ 1e15, "1000000000000000" },
		{ 1e20, "100000000000000000000" },
		{ 1.2345678901234567e20, "123456789012345670000" },
		{ 9007199254740993.0, "9007199254740992" },
		{ 1e21, "1e+21" },
		{ 1e100, "1e+100" },
		{ 1.5e-7, "1.5e-07" },
		{ 0.0001, "0.0001" },
		{ DBL_MAX, "1.7976931348623157e+308" },
	};
	char buf[KPI_NUM_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(fmt(cases[i].x, -1, buf), cases[i].text);
}

static void
test_format_round_trips_random_doubles(void **state)
{
	char buf[KPI_NUM_BUFSZ];
	int i;

	for (i = 0; i < 200000; i++) {
		uint64_t bits = rng();
		double x;
		double back;

		memcpy(&x, &bits, sizeof(x));
		if (i % 2)	/* also plain amounts: cents */
			x = (double)(int64_t)(rng() % 100000000) / 100.0;
		if (!isfinite(x))
			continue;
		fmt(x, -1, buf);
		back = parse_ok(buf, 0);
		if (x == 0)
			assert_double_exact(back, 0.0);
		else if (memcmp(&back, &x, sizeof(x)) != 0)
			fail_msg("%a formats as \"%s\", reads back as %a", x,
				 buf, back);
	}
}

static void
test_format_with_precision_is_fixed_point(void **state)
{
	char buf[KPI_NUM_BUFSZ];

	/* Expected: Python '%.2f' % x (the same C formatting rules). */
	assert_string_equal(fmt(1234.5, 2, buf), "1234.50");
	assert_string_equal(fmt(1.005, 2, buf), "1.00");  /* 1.00499... */
	assert_string_equal(fmt(2.5, 0, buf), "2");	  /* ties to even */
	assert_string_equal(fmt(3.5, 0, buf), "4");
	assert_string_equal(fmt(-1.25, 1, buf), "-1.2");
	assert_string_equal(fmt(3.0, 3, buf), "3.000");
	/* A negative value that rounds to zero loses its sign. */
	assert_string_equal(fmt(-0.001, 2, buf), "0.00");
	assert_string_equal(fmt(-0.0, 2, buf), "0.00");
	assert_string_equal(fmt(-0.4, 0, buf), "0");
	/* Too wide for the buffer: the round-trip form instead. */
	assert_string_equal(fmt(1e300, 2, buf), "1e+300");
	assert_string_equal(fmt(1.0, 80, buf), "1");
	assert_string_equal(fmt(0.25, 2147483647, buf), "0.25");
}

static void
test_format_writes_nothing_for_nan_and_inf(void **state)
{
	char buf[KPI_NUM_BUFSZ] = "junk";

	assert_int_equal(kpi_num_format(NAN, -1, buf), 0);
	assert_string_equal(buf, "");
	strcpy(buf, "junk");
	assert_int_equal(kpi_num_format(INFINITY, 2, buf), 0);
	assert_string_equal(buf, "");
	strcpy(buf, "junk");
	assert_int_equal(kpi_num_format(-INFINITY, -1, buf), 0);
	assert_string_equal(buf, "");
}

/* ==== Neumaier summation ==== */

static double
neumaier(const double *x, size_t n)
{
	struct kpi_sum s = { 0.0, 0.0 };
	size_t i;

	for (i = 0; i < n; i++)
		kpi_sum_add(&s, x[i]);
	return kpi_sum_value(&s);
}

static void
test_sum_recovers_what_cancellation_loses(void **state)
{
	const double big[] = { 1e100, 1.0, -1e100 };
	double tenth[10];
	size_t i;

	/* Naive summation gives 0 here. */
	assert_double_exact(neumaier(big, 3), 1.0);
	/* Python: sum([0.1] * 10) = 0.9999999999999999, but
	 * math.fsum([0.1] * 10) = 1.0, the correctly rounded sum. */
	for (i = 0; i < 10; i++)
		tenth[i] = 0.1;
	assert_double_exact(neumaier(tenth, 10), 1.0);
}

static void
test_sum_overflows_to_infinity_not_nan(void **state)
{
	const double up[] = { 1e308, 1e308 }, down[] = { -1e308, -1e308 };
	const double back[] = { 1e308, 1e308, -1e308 };

	/* 2e308 is beyond DBL_MAX (about 1.798e308): IEEE 754 gives +inf,
	 * which the compensation term (inf - inf) must not turn into NaN,
	 * so that callers can tell an overflow from a missing value. */
	assert_true(isinf(neumaier(up, 2)) && neumaier(up, 2) > 0);
	assert_true(isinf(neumaier(down, 2)) && neumaier(down, 2) < 0);
	/* Once infinite, a sum stays so (inf - 1e308 = inf). */
	assert_true(isinf(neumaier(back, 3)));
}

static void
test_sum_does_not_depend_on_order(void **state)
{
	/* Reference, computed by hand with Python 3.11:
	 *   python3 -c "import math; print(repr(math.fsum([1e16, 1.0,
	 *     -1e16, 3.14159, 2.71828e-5, 123456.789, -0.1, 1e-10, 7.5,
	 *     -123456.7, 0.3, 1e15, -1e15, 42.0, 0.001])))"
	 *   -> 53.93161718290722   (plain sum() in this order: 52.876) */
	double terms[] = {
		1e16, 1.0, -1e16, 3.14159, 2.71828e-5, 123456.789, -0.1,
		1e-10, 7.5, -123456.7, 0.3, 1e15, -1e15, 42.0, 0.001,
	};
	const size_t n = sizeof(terms) / sizeof(terms[0]);
	const double want = 53.93161718290722;
	int round;

	for (round = 0; round < 1000; round++) {
		double got = neumaier(terms, n);
		size_t i;

		/* Within one ulp of the correctly rounded sum. */
		if (!(got == want || got == nextafter(want, 0.0) ||
		      got == nextafter(want, 100.0)))
			fail_msg("round %d: %.17g, expected %.17g", round,
				 got, want);
		/* Fisher-Yates shuffle for the next round. */
		for (i = n - 1; i > 0; i--) {
			size_t j = (size_t)(rng() % (i + 1));
			double t = terms[i];

			terms[i] = terms[j];
			terms[j] = t;
		}
	}
}

/* ==== Sums that do not overflow ==== */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define assert_rel(actual, expected) \
	assert_close((actual), (expected), 1e-13 * fabs(expected))

static void
bigsum_of(struct kpi_bigsum *b, const double *x, size_t n)
{
	struct kpi_bigsum zero = KPI_BIGSUM_INIT;
	size_t i;

	*b = zero;
	for (i = 0; i < n; i++)
		kpi_bigsum_add(b, x[i]);
}

static void
test_bigsum_equals_the_plain_sum_while_it_fits(void **state)
{
	/* The terms of test_sum_does_not_depend_on_order and 0.1 ten times:
	 * the same operations, so the same bits as kpi_sum. */
	const double terms[] = {
		1e16, 1.0, -1e16, 3.14159, 2.71828e-5, 123456.789, -0.1,
		1e-10, 7.5, -123456.7, 0.3, 1e15, -1e15, 42.0, 0.001,
	};
	const double tenth[] = { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
				 0.1 };
	struct kpi_bigsum b;

	bigsum_of(&b, terms, NELEM(terms));
	assert_int_equal(b.shift, 0);
	assert_double_exact(kpi_bigsum_value(&b), neumaier(terms, NELEM(terms)));
	assert_double_exact(kpi_bigsum_mean(&b, 15),
			    neumaier(terms, NELEM(terms)) / 15);
	bigsum_of(&b, tenth, NELEM(tenth));
	assert_double_exact(kpi_bigsum_value(&b), 1.0);
}

static void
test_bigsum_passes_the_largest_double_and_comes_back(void **state)
{
	/* By hand: 1e308 + 1e308 - 1e308 = 1e308 (kpi_sum gives +inf);
	 * 2.5e308 is beyond DBL_MAX, its half is not; DBL_MAX + DBL_MAX -
	 * DBL_MAX + 1 is DBL_MAX (the 1 is far below its ulp, 2^971), and
	 * -DBL_MAX twice is -inf with mean -DBL_MAX. */
	const double back[] = { 1e308, 1e308, -1e308 };
	const double two[] = { 1e308, 1.5e308 };
	const double max[] = { DBL_MAX, DBL_MAX, -DBL_MAX, 1 };
	const double neg[] = { -DBL_MAX, -DBL_MAX };
	struct kpi_bigsum b;

	bigsum_of(&b, back, NELEM(back));
	assert_int_equal(b.shift, KPI_BIGSUM_SHIFT);
	assert_double_exact(kpi_bigsum_value(&b), 1e308);
	bigsum_of(&b, two, NELEM(two));
	assert_true(isinf(kpi_bigsum_value(&b)) && kpi_bigsum_value(&b) > 0);
	assert_rel(kpi_bigsum_mean(&b, 2) / 1e308, 1.25);
	bigsum_of(&b, max, NELEM(max));
	assert_double_exact(kpi_bigsum_value(&b), DBL_MAX);
	bigsum_of(&b, neg, NELEM(neg));
	assert_true(isinf(kpi_bigsum_value(&b)) && kpi_bigsum_value(&b) < 0);
	assert_double_exact(kpi_bigsum_mean(&b, 2), -DBL_MAX);
}

static void
test_bigsum_keeps_subnormal_terms_exact_while_plain(void **state)
{
	/* Sums of subnormals are exact: 1 + 2 + 3 times 2^-1074 is 6 of
	 * them, and their mean 2 * 2^-1074. */
	const double x[] = { 0x1p-1074, 2 * 0x1p-1074, 3 * 0x1p-1074 };
	struct kpi_bigsum b;

	bigsum_of(&b, x, NELEM(x));
	assert_double_exact(kpi_bigsum_value(&b), 6 * 0x1p-1074);
	assert_double_exact(kpi_bigsum_mean(&b, 3), 2 * 0x1p-1074);
}

static void
test_bigsum_merge_and_add_value_cross_the_shift(void **state)
{
	/* a = 1e308 + 1e308 (scaled), b = -1e308 (plain): merged 1e308;
	 * c = 1.5e308 plain, adding a's value gives 3.5e308, beyond DBL_MAX,
	 * whose half 1.75e308 is not; two plain halves that overflow only
	 * together, 1e308 and 1e308, merge to +inf, mean 1e308. */
	const double up[] = { 1e308, 1e308 }, down[] = { -1e308 };
	const double c1[] = { 1.5e308 };
	struct kpi_bigsum a, b, c, d, e;

	bigsum_of(&a, up, 2);
	bigsum_of(&b, down, 1);
	kpi_bigsum_merge(&a, &b);
	assert_double_exact(kpi_bigsum_value(&a), 1e308);
	kpi_bigsum_merge(&b, &a);
	assert_double_exact(kpi_bigsum_value(&b), 0);

	bigsum_of(&a, up, 2);
	bigsum_of(&c, c1, 1);
	kpi_bigsum_add_value(&c, &a);
	assert_true(isinf(kpi_bigsum_value(&c)));
	assert_rel(kpi_bigsum_mean(&c, 2) / 1e308, 1.75);

	bigsum_of(&a, up, 1);
	bigsum_of(&d, up, 1);
	kpi_bigsum_merge(&a, &d);
	assert_true(isinf(kpi_bigsum_value(&a)));
	assert_double_exact(kpi_bigsum_mean(&a, 2), 1e308);
	e = d;
	kpi_bigsum_add_value(&d, &e);
	assert_double_exact(kpi_bigsum_mean(&d, 2), 1e308);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reads_plain_numbers),
		cmocka_unit_test(test_parse_accepts_signs_points_and_blanks),
		cmocka_unit_test(test_parse_keeps_the_sign_of_negative_zero),
		cmocka_unit_test(test_parse_rounds_hard_cases_correctly),
		cmocka_unit_test(test_parse_matches_glibc_strtod_on_random_text),
		cmocka_unit_test(test_parse_rejects_malformed_text),
		cmocka_unit_test(test_parse_accepts_null_as_empty),
		cmocka_unit_test(test_parse_hints_at_the_other_decimal_separator),
		cmocka_unit_test(test_parse_reads_a_decimal_comma),
		cmocka_unit_test(test_parse_reports_overflow_as_out_of_range),
		cmocka_unit_test(test_parse_truncates_long_text_in_messages),
		cmocka_unit_test(test_parse_and_format_ignore_a_comma_locale),
		cmocka_unit_test(test_parse_long_reads_64_bit_integers),
		cmocka_unit_test(test_parse_long_rejects_junk_and_overflow),
		cmocka_unit_test(test_format_writes_the_shortest_round_trip_form),
		cmocka_unit_test(test_format_round_trips_random_doubles),
		cmocka_unit_test(test_format_with_precision_is_fixed_point),
		cmocka_unit_test(test_format_writes_nothing_for_nan_and_inf),
		cmocka_unit_test(test_sum_recovers_what_cancellation_loses),
		cmocka_unit_test(test_sum_overflows_to_infinity_not_nan),
		cmocka_unit_test(test_sum_does_not_depend_on_order),
		cmocka_unit_test(test_bigsum_equals_the_plain_sum_while_it_fits),
		cmocka_unit_test(test_bigsum_passes_the_largest_double_and_comes_back),
		cmocka_unit_test(test_bigsum_keeps_subnormal_terms_exact_while_plain),
		cmocka_unit_test(test_bigsum_merge_and_add_value_cross_the_shift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
