/* kpi/stats.h - streaming accumulators and quantiles.
 *
 * Results that do not exist (the mean of nothing, the variance of one value)
 * come back as NaN, which the CSV writer writes as an empty field. */
#ifndef KPI_STATS_H
#define KPI_STATS_H

#include <stddef.h>

#include "kpi/error.h"
#include "kpi/num.h"

/* Count, compensated sum, min, max and Welford's running mean and sum of
 * squared deviations (Welford 1962; Knuth TAOCP vol. 2, 4.2.2).
 *
 * Near the ends of the double range: the sum is a kpi_bigsum, so the mean
 * is finite whenever it is representable, even when the sum is not (the
 * mean of 1e308 and 1.5e308 is 1.25e308).  The mean and squared deviations
 * leave plain units for units of 2^exp and 2^(2 exp), 2^exp the least power
 * of two above every |x| seen, as soon as a deviation would overflow or a
 * squared deviation would lose bits below the normal range; so the sd of
 * 1e308, -1e308, 1e308 is 2e308 / sqrt(3) while its variance, 1.3e616, is
 * +inf, and the sd of values near DBL_MIN is as precise as a double there
 * can be (plain, their squared deviations vanish).  Data that never come
 * near those ends give the same bits as the plain recurrences.  n is the
 * count of values added; read the rest through the functions below, since
 * mean and m2 may be in scaled units. */
struct kpi_moments {
	unsigned long long n;
	struct kpi_bigsum sum;
	double mean;		/* in units of 2^exp once scaled */
	double m2;		/* in units of 2^(2 exp) once scaled */
	double min;
	double max;
	int scaled;
	int exp;
};

void kpi_moments_init(struct kpi_moments *m);
void kpi_moments_add(struct kpi_moments *m, double x);
/* Merge b into a (Chan, Golub & LeVeque 1979), for split work. */
void kpi_moments_merge(struct kpi_moments *a, const struct kpi_moments *b);

/* The sum; 0 when n == 0, +-inf when it lies beyond the largest double. */
double kpi_moments_sum(const struct kpi_moments *m);
/* sum / n, rounded once; finite for finite values (NaN when n == 0). */
double kpi_moments_mean(const struct kpi_moments *m);
double kpi_moments_min(const struct kpi_moments *m);
double kpi_moments_max(const struct kpi_moments *m);
/* Variance with divisor n - 1 (sample, needs n >= 2) or n (population,
 * needs n >= 1); NaN without enough values.  For finite values the
 * variance is +inf only when it lies beyond the largest double, and its
 * sd is then computed from the scaled sum of squares, not from +inf: the
 * population sd is always finite, the sample sd only passes the largest
 * double when it truly does (two values near +-DBL_MAX: sqrt(2) DBL_MAX). */
enum kpi_ddof { KPI_POPULATION = 0, KPI_SAMPLE = 1 };
double kpi_moments_variance(const struct kpi_moments *m, enum kpi_ddof ddof);
double kpi_moments_sd(const struct kpi_moments *m, enum kpi_ddof ddof);

/* ==== Stored values, for exact quantiles ==== */

/* A growable array of doubles. */
struct kpi_values {
	double *v;
	size_t n;
	size_t cap;
};

#define KPI_VALUES_INIT { NULL, 0, 0 }
/* Append x.  Callers skip missing values: NaN is refused (KPI_EINVAL);
 * KPI_ENOMEM when the array cannot grow.  Infinities are kept. */
enum kpi_status kpi_values_push(struct kpi_values *vs, double x,
				struct kpi_error *err);
void kpi_values_free(struct kpi_values *vs);	/* leaves it empty, reusable */
/* Sort ascending, in place (call before kpi_quantile_sorted).  Allocates
 * nothing and cannot fail; should NaNs have been written into v[] directly,
 * they end up last, unordered. */
void kpi_values_sort(struct kpi_values *vs);

/* Sample quantile p (0 <= p <= 1) of sorted[0..n-1] by Hyndman & Fan (1996)
 * definition `type` 1..9, as R's quantile(x, p, type = type); R's default and
 * ours is type 7.  NaN when n == 0 or p or type is out of range. */
double kpi_quantile_sorted(const double *sorted, size_t n, double p, int type);

#endif
