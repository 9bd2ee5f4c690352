/* test-util.h - helpers shared by the cmocka unit tests. */
#ifndef KPI_TEST_UTIL_H
#define KPI_TEST_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
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

#endif
