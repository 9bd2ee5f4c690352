/* test-util.h - helpers shared by the cmocka unit tests. */
#ifndef KPI_TEST_UTIL_H
#define KPI_TEST_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka 1.1.5 has no double assert, and assert_float_equal casts to float. */
#define assert_close(actual, expected, tol) do {			\
		double a_ = (actual), e_ = (expected);			\
		if (!(fabs(a_ - e_) <= (tol)))				\
			fail_msg("%s = %.17g, expected %.17g (tol %g)",	\
				 #actual, a_, e_, (double)(tol));	\
	} while (0)

/* Bitwise-exact double equality (NaN equals NaN, -0 differs from 0). */
#define assert_double_exact(actual, expected) do {			\
		double a_ = (actual), e_ = (expected);			\
		if (memcmp(&a_, &e_, sizeof(double)) != 0)		\
			fail_msg("%s = %.17g, expected exactly %.17g",	\
				 #actual, a_, e_);			\
	} while (0)

#define assert_nan(actual) do {						\
		double a_ = (actual);					\
		if (!isnan(a_))						\
			fail_msg("%s = %.17g, expected NaN", #actual, a_); \
	} while (0)

/* splitmix64 (Steele, Lea & Flood 2014): a fixed seed gives the same
 * inputs on every platform. */
struct rng {
	uint64_t s;
};

static inline uint64_t
rng_next(struct rng *g)
{
	uint64_t z;

	g->s += 0x9E3779B97F4A7C15u;
	z = g->s;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for n far below 2^64. */
static inline size_t
rng_below(struct rng *g, size_t n)
{
	return (size_t)(rng_next(g) % n);
}

#endif
