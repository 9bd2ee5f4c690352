/* num.c - locale-independent number parsing and round-trip formatting. */

/* strtod_l() is an extension (glibc, the BSDs, macOS); glibc
 * declares it only under _GNU_SOURCE, which must precede every include. */
#define _GNU_SOURCE

#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/num.h"
#include "quote.h"

/* ==== The "C" locale ==== */

/* One "C" locale object for strtod_l() and for formatting under uselocale(),
 * created on first use.  The lazy initialisation is thread-safe without a
 * lock: two threads racing both call newlocale() and the loser frees its
 * copy.  glibc returns a static object for "C", so nothing leaks either way.
 * NULL after a failed newlocale() (out of memory): callers fall back. */
static _Atomic(locale_t) c_locale_obj;

static locale_t
c_locale(void)
{
	locale_t loc = atomic_load_explicit(&c_locale_obj, memory_order_acquire);
	locale_t expected = (locale_t)0;

	if (loc)
		return loc;
	loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!loc)
		return (locale_t)0;
	if (!atomic_compare_exchange_strong(&c_locale_obj, &expected, loc)) {
		freelocale(loc);
		loc = expected;
	}
	return loc;
}

/* ==== Parsing ==== */

/* Exact powers of ten: 10^k = 5^k * 2^k is an exact double while its odd
 * part 5^k fits the 53-bit significand, that is up to k = 22; 10^0..10^19
 * fit a uint64_t. */
static const double pow10d[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
static const uint64_t pow10u[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL,
};

#define TWO53 9007199254740992ULL

/* Significant digits handed to strtod_l() on the slow path.  A decimal
 * number exactly halfway between two doubles has at most 767 significant
 * digits, so 780 digits plus one "sticky" digit standing for everything
 * dropped decide the rounding exactly as the full text would. */
#define SLOW_DIGITS 780

/* Explicit exponents saturate here: far beyond any double, yet far from
 * overflowing a long long when a field's digit count is subtracted, so
 * "0.<a million zeros>1e1000005" is still read exactly. */
#define EXP_CAP 100000000000000000LL

/* Slow-path exponents are clamped here: with at most 781 digits the value
 * is 0 or infinite beyond it anyway. */
#define EXP_CLAMP 10000000LL

/* What the scanner learned about a syntactically valid number. */
struct scan {
	const char *start;	/* the sign, or the mantissa when unsigned */
	const char *mant;	/* first digit or point of the mantissa */
	const char *mant_end;	/* one past the mantissa */
	uint64_t w;		/* significant digits, when !many */
	long long exp10;	/* value = w * 10^exp10, when !many */
	long long explicit_exp;	/* the e/E part alone */
	int neg;
	int many;		/* more than 19 significant digits */
	char point;		/* the decimal point in the text ('.' if none) */
};

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

/* Check the syntax of the whole text with `point` as the decimal point and
 * collect the significand.  Returns 0 when the text is a number. */
static int
scan_number(const char *s, char point, struct scan *sc)
{
	const char *p = s;
	uint64_t w = 0;
	int nd = 0;		/* digits in w */
	long long zeros = 0;	/* zeros seen after w's last digit, not in w */
	long long frac = 0;	/* mantissa digits after the point */
	long long ex = 0;
	int ndig = 0;
	int seen_point = 0;
	int many = 0;

	while (is_blank(*p))
		p++;
	sc->neg = 0;
	sc->start = p;
	if (*p == '+' || *p == '-') {
		sc->neg = *p == '-';
		p++;
	}
	sc->mant = p;
	for (;; p++) {
		char c = *p;

		if (is_digit(c)) {
			ndig++;
			frac += seen_point;
			if (c == '0') {
				/* Leading zeros only move the point; inner and
				 * trailing zeros wait until a nonzero digit, so
				 * "1500000000000000000000" stays exact. */
				zeros += nd > 0;
			} else if (many || nd + zeros + 1 > 19) {
				many = 1;
			} else {
				w = w * pow10u[zeros + 1] + (uint64_t)(c - '0');
				nd += (int)zeros + 1;
				zeros = 0;
			}
		} else if (c == point && !seen_point) {
			seen_point = 1;
		} else {
			break;
		}
	}
	if (ndig == 0)
		return -1;
	sc->mant_end = p;
	if (*p == 'e' || *p == 'E') {
		int eneg = 0;

		p++;
		if (*p == '+' || *p == '-') {
			eneg = *p == '-';
			p++;
		}
		if (!is_digit(*p))
			return -1;
		for (; is_digit(*p); p++) {
			if (ex < EXP_CAP)
				ex = ex * 10 + (*p - '0');
		}
		if (eneg)
			ex = -ex;
	}
	while (is_blank(*p))
		p++;
	if (*p != '\0')
		return -1;
	sc->point = seen_point ? point : '.';
	sc->w = w;
	sc->exp10 = ex + zeros - frac;
	sc->explicit_exp = ex;
	sc->many = many;
	return 0;
}

/* The double nearest to w * 10^e, when that is computable exactly with one
 * rounding (Clinger 1990, "How to read floating point numbers accurately"):
 * w and 10^|e| are both exact doubles, so one IEEE multiply or divide is
 * correctly rounded.  Needs FLT_EVAL_METHOD == 0 (SSE2, not x87, whose
 * extended precision would round twice).  Returns 0 when it cannot. */
static int
fast_path(uint64_t w, long long e, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
	if (w > TWO53)
		return 0;
	if (e > 22 && e <= 22 + 19) {
		/* "12e30": move the excess power into w while w stays exact
		 * (w * 10^(e-22) <= 2^53), then one multiply by 10^22. */
		uint64_t scale = pow10u[e - 22];

		if (w > TWO53 / scale)
			return 0;
		w *= scale;
		e = 22;
	}
	if (e >= 0 && e <= 22) {
		*out = (double)w * pow10d[e];
		return 1;
	}
	if (e < 0 && e >= -22) {
		*out = (double)w / pow10d[-e];
		return 1;
	}
#endif
	return 0;
}

/* Convert with strtod_l() in the "C" locale, which is correctly rounded
 * for any number of digits.  The scanner has validated the text, so a '.'
 * number goes there as it is (no copy).  A decimal-comma number is rebuilt
 * as "[-]DDD[1]e<exp>" (significant digits only, point-free). */
static int
slow_path(const struct scan *sc, double *out)
{
	char buf[SLOW_DIGITS + 48];
	const char *p;
	size_t n = 0;
	long kept = 0;
	long long dropped = 0;	/* significant digits not copied */
	long long frac = 0;
	int seen_point = 0;
	int sticky = 0;
	long long e;
	locale_t loc = c_locale();

	if (!loc)
		return -1;
	if (sc->point == '.') {
		*out = strtod_l(sc->start, NULL, loc);
		return 0;
	}
	if (sc->neg)
		buf[n++] = '-';
	for (p = sc->mant; p < sc->mant_end; p++) {
		if (!is_digit(*p)) {
			seen_point = 1;
			continue;
		}
		frac += seen_point;
		if (kept == 0 && *p == '0')
			continue;
		if (kept < SLOW_DIGITS) {
			buf[n++] = *p;
			kept++;
		} else {
			dropped++;
			sticky |= *p != '0';
		}
	}
	if (kept == 0) {
		*out = sc->neg ? -0.0 : 0.0;
		return 0;
	}
	if (sticky)
		buf[n++] = '1';
	e = sc->explicit_exp - frac + dropped - sticky;
	if (e > EXP_CLAMP)
		e = EXP_CLAMP;
	if (e < -EXP_CLAMP)
		e = -EXP_CLAMP;
	snprintf(buf + n, sizeof(buf) - n, "e%lld", e);
	*out = strtod_l(buf, NULL, loc);
	return 0;
}

/* Parse without messages: 0 ok, -1 syntax, -2 overflow, -3 no C locale. */
static int
parse_value(const char *s, char point, double *out)
{
	struct scan sc;
	double v;

	if (scan_number(s, point, &sc) != 0)
		return -1;
	if (!sc.many && sc.w == 0) {
		v = 0.0;	/* whatever the exponent: "0e999" */
	} else if (sc.many || !fast_path(sc.w, sc.exp10, &v)) {
		if (slow_path(&sc, &v) != 0)
			return -3;
		if (isinf(v))
			return -2;
		*out = v;	/* sign already in the text given to strtod_l */
		return 0;
	}
	*out = sc.neg ? -v : v;
	return 0;
}

enum kpi_status
kpi_num_parse(const char *s, int decimal_comma, double *out,
	      struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];
	char other = decimal_comma ? '.' : ',';
	double v;
	int rc;

	if (!s)
		s = "";
	rc = parse_value(s, decimal_comma ? ',' : '.', &v);
	if (rc == 0) {
		*out = v;
		return KPI_OK;
	}
	if (rc == -2)
		return kpi_error_set(err, KPI_EPARSE, 0,
			"\"%s\" is out of range (a number must lie within "
			"+-1.8e308)", kpi_quote(s, q));
	if (rc == -3)
		return kpi_error_set(err, KPI_ENOMEM, 0,
			"cannot create the C locale to read \"%s\"",
			kpi_quote(s, q));
	/* Would the other decimal separator have made it a number? */
	if (strchr(s, other) && parse_value(s, other, &v) != -1)
		return kpi_error_set(err, KPI_EPARSE, 0, decimal_comma ?
			"\"%s\" is not a number (with --decimal-comma the "
			"decimal separator is ',')" :
			"\"%s\" is not a number (for a decimal comma use "
			"--decimal-comma)", kpi_quote(s, q));
	return kpi_error_set(err, KPI_EPARSE, 0, "\"%s\" is not a number",
			     kpi_quote(s, q));
}

enum kpi_status
kpi_num_parse_long(const char *s, long long *out, struct kpi_error *err)
{
	char q[KPI_QUOTE_BUFSZ];
	const char *p;
	unsigned long long v = 0;
	unsigned long long limit = (unsigned long long)LLONG_MAX;
	int neg = 0;
	int over = 0;

	if (!s)
		s = "";
	p = s;
	while (is_blank(*p))
		p++;
	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (!is_digit(*p))
		goto bad;
	if (neg)
		limit += 1;	/* -9223372036854775808 exists */
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (limit - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	while (is_blank(*p))
		p++;
	if (*p != '\0')
		goto bad;
	if (over)
		return kpi_error_set(err, KPI_EPARSE, 0,
			"\"%s\" is out of range (an integer must lie within "
			"-9223372036854775808..9223372036854775807)",
			kpi_quote(s, q));
	if (!neg)
		*out = (long long)v;
	else if (v == limit)
		*out = LLONG_MIN;
	else
		*out = -(long long)v;
	return KPI_OK;
bad:
	return kpi_error_set(err, KPI_EPARSE, 0, "\"%s\" is not an integer",
			     kpi_quote(s, q));
}

/* ==== Formatting ==== */

/* Replace the locale's decimal point by '.'; only needed when no "C"
 * locale object could be made and snprintf ran under the process locale.
 * The locale's point can be several bytes (U+066B in ps_AF). */
static size_t
fix_point(char *buf, size_t n)
{
	const char *dp = localeconv()->decimal_point;
	size_t k = strlen(dp);
	char *p;

	if (k == 0 || (k == 1 && dp[0] == '.'))
		return n;
	p = strstr(buf, dp);
	if (!p)
		return n;
	*p = '.';
	memmove(p + 1, p + k, n - (size_t)(p - buf) - k + 1);
	return n - (k - 1);
}

/* "1.2345678901234567e+20" -> "123456789012345670000": an integral value
 * below 1e21 prints as an integer, as in ECMAScript's Number::toString,
 * with the same (shortest) significant digits, so it reads back the same.
 * %.Ng uses an exponent only when it is >= N, and N exceeds the number of
 * digits after the point, so only zeros are appended. */
static size_t
expand_exponent(char *buf, size_t n)
{
	char digits[24];
	size_t nd = 0;
	size_t i = 0;
	size_t out = 0;
	long ex;
	char *e = strchr(buf, 'e');

	if (!e)
		return n;
	ex = strtol(e + 1, NULL, 10);
	if (buf[0] == '-')
		i = 1;
	for (; buf + i < e; i++) {
		if (is_digit(buf[i]))
			digits[nd++] = buf[i];
	}
	if (ex < (long)nd - 1 || ex >= 21)
		return n;
	if (buf[0] == '-')
		out = 1;
	memcpy(buf + out, digits, nd);
	out += nd;
	for (i = nd - 1; (long)i < ex; i++)
		buf[out++] = '0';
	buf[out] = '\0';
	return out;
}

/* After rounding, "-0.00" is a negative zero in disguise: drop the sign. */
static size_t
drop_negative_zero(char *buf, size_t n)
{
	size_t i;

	if (buf[0] != '-')
		return n;
	for (i = 1; i < n; i++) {
		if (buf[i] != '0' && buf[i] != '.')
			return n;
	}
	memmove(buf, buf + 1, n);
	return n - 1;
}

static size_t
format_fixed(double x, int precision, char *buf)
{
	int n = snprintf(buf, KPI_NUM_BUFSZ, "%.*f", precision, x);

	return n < 0 ? KPI_NUM_BUFSZ : (size_t)n;
}

static size_t
format_general(double x, int digits, char *buf)
{
	int n = snprintf(buf, KPI_NUM_BUFSZ, "%.*g", digits, x);

	return n < 0 ? KPI_NUM_BUFSZ : (size_t)n;
}

size_t
kpi_num_format(double x, int precision, char *buf)
{
	locale_t loc;
	locale_t old = (locale_t)0;
	size_t n = 0;
	int digits;

	if (!isfinite(x)) {
		buf[0] = '\0';
		return 0;
	}
	if (x == 0)
		x = 0.0;	/* -0 is written "0" */
	/* Switch only this thread's locale, and only for the snprintf()
	 * calls: setlocale() is process-wide and not thread-safe. */
	loc = c_locale();
	if (loc)
		old = uselocale(loc);
	/* A fixed form too long for the buffer (1e300 with 2 decimals) falls
	 * through to the round-trip form.  A precision that cannot fit at all
	 * is not even tried: glibc would build all INT_MAX digits first. */
	if (precision >= 0 && precision < KPI_NUM_BUFSZ - 2) {
		n = format_fixed(x, precision, buf);
		if (n < KPI_NUM_BUFSZ) {
			if (!loc)
				n = fix_point(buf, n);
			n = drop_negative_zero(buf, n);
			goto out;
		}
	}
	for (digits = 15; digits <= 17; digits++) {
		double back;

		n = format_general(x, digits, buf);
		if (!loc)
			n = fix_point(buf, n);
		if (parse_value(buf, '.', &back) == 0 && back == x)
			break;
	}
	if (x == floor(x) && fabs(x) < 1e21)
		n = expand_exponent(buf, n);
out:
	if (loc)
		uselocale(old);
	return n;
}

/* ==== Sums that do not overflow ==== */

void
kpi_bigsum_widen(struct kpi_bigsum *b)
{
	b->s.sum = ldexp(b->s.sum, -KPI_BIGSUM_SHIFT);
	b->s.comp = ldexp(b->s.comp, -KPI_BIGSUM_SHIFT);
	b->shift = KPI_BIGSUM_SHIFT;
}

void
kpi_bigsum_add_value(struct kpi_bigsum *dst, const struct kpi_bigsum *src)
{
	if (src->shift == 0) {
		kpi_bigsum_add(dst, kpi_sum_value(&src->s));
		return;
	}
	if (dst->shift == 0)
		kpi_bigsum_widen(dst);
	kpi_sum_add(&dst->s, kpi_sum_value(&src->s));
}

/* As kpi_moments_merge() always merged its sums: the compensations are
 * added, then b's sum as one term. */
void
kpi_bigsum_merge(struct kpi_bigsum *a, const struct kpi_bigsum *b)
{
	struct kpi_bigsum before = *a, bb = *b;

	if (a->shift == 0 && bb.shift == 0) {
		a->s.comp += bb.s.comp;
		kpi_sum_add(&a->s, bb.s.sum);
		if (!isinf(a->s.sum) && !isinf(a->s.comp))
			return;
		*a = before;
	}
	if (a->shift == 0)
		kpi_bigsum_widen(a);
	if (bb.shift == 0)
		kpi_bigsum_widen(&bb);
	a->s.comp += bb.s.comp;
	kpi_sum_add(&a->s, bb.s.sum);
}

double
kpi_bigsum_value(const struct kpi_bigsum *b)
{
	return ldexp(kpi_sum_value(&b->s), b->shift);
}

double
kpi_bigsum_mean(const struct kpi_bigsum *b, double n)
{
	return ldexp(kpi_sum_value(&b->s) / n, b->shift);
}
