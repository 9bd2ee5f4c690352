/* kpi/num.h - numbers: parsing that ignores the process locale, output that
 * round-trips, and compensated summation. */
#ifndef KPI_NUM_H
#define KPI_NUM_H

#include <math.h>
#include <stddef.h>

#include "kpi/error.h"

/* Parse a whole field as a finite double.  Accepted: optional sign, digits
 * with an optional decimal point ('.' or, when decimal_comma is set, ','),
 * optional exponent (e/E, sign, digits).  Surrounding blanks are allowed.
 * Rejected (KPI_EPARSE, message quotes the text): empty text, anything else
 * after the number, hex ("0x10"), "nan", "inf", thousands separators, and
 * values that overflow a double ("1e400"; underflow to 0 is accepted).
 * "-0" gives -0.0.  Result is correctly rounded, whatever setlocale() says.
 * The decimal point is exactly one of the two: with decimal_comma set,
 * "1.5" is rejected, since in a comma export a '.' is a thousands separator
 * ("1.000" would otherwise silently read as 1).  The message then names the
 * other separator ("for a decimal comma use --decimal-comma").  s == NULL
 * reads as "".  Thread-safe; allocates nothing. */
enum kpi_status kpi_num_parse(const char *s, int decimal_comma, double *out,
			      struct kpi_error *err);

/* Parse a whole field as a signed 64-bit integer (decimal only). */
enum kpi_status kpi_num_parse_long(const char *s, long long *out,
				   struct kpi_error *err);

/* Longest text kpi_num_format() writes, NUL included. */
#define KPI_NUM_BUFSZ 64

/* Format x into buf (KPI_NUM_BUFSZ bytes) with '.' as decimal point whatever
 * the locale.  precision < 0: the shortest of %.15g, %.16g, %.17g that reads
 * back as exactly x (so output round-trips); precision >= 0: fixed with that
 * many decimals ("%.*f").  -0 is written "0".  NaN and infinities give "".
 * Returns the length written.
 * Details: integral values below 1e21 are written as integers ("1e+20"
 * would be "100000000000000000000"), as ECMAScript does; a fixed form that
 * rounds to zero drops its sign ("-0.001" with 2 decimals is "0.00"); a
 * fixed form too long for the buffer (1e300 with 2 decimals) is written in
 * the round-trip form instead.  Thread-safe: only the calling thread's
 * locale is switched, with uselocale(), for the duration of the call. */
size_t kpi_num_format(double x, int precision, char *buf);

/* Neumaier's compensated sum (Neumaier 1974, improved Kahan-Babuska): the
 * total does not depend on the order of the terms to within 1 ulp in
 * practice. */
struct kpi_sum {
	double sum;
	double comp;
};

static inline void
kpi_sum_add(struct kpi_sum *s, double x)
{
	double t = s->sum + x;

	if ((s->sum >= 0 ? s->sum : -s->sum) >= (x >= 0 ? x : -x))
		s->comp += (s->sum - t) + x;
	else
		s->comp += (x - t) + s->sum;
	s->sum = t;
}

/* An overflowed sum is +-inf (the compensation would turn it into NaN). */
static inline double
kpi_sum_value(const struct kpi_sum *s)
{
	return isinf(s->sum) ? s->sum : s->sum + s->comp;
}

/* A compensated sum that does not overflow on the way: while its running
 * total fits in a double it is exactly a kpi_sum (same operations, same
 * bits); the first term that would carry it past the largest double moves
 * it, for good, to units of 2^KPI_BIGSUM_SHIFT.  Fewer than 2^64 finite
 * terms cannot pass the largest double there, and scaling by a power of
 * two is exact, so the scaled sum is what the plain one would be with an
 * unbounded exponent, but for terms below 2^-958 (which lose low bits to
 * the subnormal range once scaled).  kpi_bigsum_value() is then +-inf only
 * when the total itself lies beyond the largest double, and
 * kpi_bigsum_mean() is finite whenever the mean is. */
#define KPI_BIGSUM_SHIFT 64

struct kpi_bigsum {
	struct kpi_sum s;	/* in units of 2^shift */
	int shift;		/* 0, or KPI_BIGSUM_SHIFT */
};

#define KPI_BIGSUM_INIT { { 0.0, 0.0 }, 0 }

/* Move b to units of 2^KPI_BIGSUM_SHIFT (b->shift must be 0). */
void kpi_bigsum_widen(struct kpi_bigsum *b);

static inline void
kpi_bigsum_add(struct kpi_bigsum *b, double x)
{
	struct kpi_sum before = b->s;

	if (b->shift == 0) {
		kpi_sum_add(&b->s, x);
		if (!isinf(b->s.sum))
			return;
		b->s = before;
		kpi_bigsum_widen(b);
	}
	kpi_sum_add(&b->s, ldexp(x, -KPI_BIGSUM_SHIFT));
}

/* Add the value of `src` (its sum and compensation rounded to one double
 * in its units), as kpi_sum_add(dst, kpi_sum_value(src)) does for plain
 * sums. */
void kpi_bigsum_add_value(struct kpi_bigsum *dst,
			  const struct kpi_bigsum *src);

/* Merge b into a, both compensations carried over (for split work). */
void kpi_bigsum_merge(struct kpi_bigsum *a, const struct kpi_bigsum *b);

/* The sum; +-inf when it lies beyond the largest double. */
double kpi_bigsum_value(const struct kpi_bigsum *b);

/* The sum divided by n (n > 0), rounded once in the sum's units. */
double kpi_bigsum_mean(const struct kpi_bigsum *b, double n);

#endif
