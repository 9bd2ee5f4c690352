/* forecast-internal.h - entry points the model families share with each
 * other and with their unit tests, never installed.  One section per file
 * (kpi/forecast.h holds the public interface). */
#ifndef KPI_FORECAST_INTERNAL_H
#define KPI_FORECAST_INTERNAL_H

#include <stddef.h>

#include "kpi/forecast.h"

/* ==== forecast-nm.c ==== */

#define KPI_FC_NM_MAXDIM 8

typedef double (*kpi_fc_nm_fn)(const double *x, void *ctx);

/* Minimise fn over dim <= KPI_FC_NM_MAXDIM parameters from x, as R's
 * optim(method = "Nelder-Mead", control = list(reltol, maxit)):
 * reflection 1, contraction 0.5, expansion 2, an initial simplex of steps
 * 10% of the largest |x_i| (0.1 when all are zero), stop when f_high <=
 * f_low + reltol * (|f_0| + reltol), f_0 the value at the start, or after
 * the iteration in which more than maxit values were computed.  A value
 * that is not finite counts as 1e35.  Returns the lowest value and leaves
 * its point in x; NaN for a dim out of range, and fn(x) itself when that
 * is not finite (x is then unchanged). */
double kpi_fc_nelder_mead(kpi_fc_nm_fn fn, void *ctx, double *x, int dim,
			  double reltol, int maxit);

/* ==== forecast-theta.c ==== */

/* The seasonal adjustment of R's thetaf(): when m > 1, n > 2m, every
 * value is positive and the lag-m autocorrelation passes the 90% test
 * (Assimakopoulos & Nikolopoulos 2000), fill figure[0..m-1] with the
 * indices of the classical multiplicative decomposition (decompose():
 * figure[t % m] belongs to y[t]) and return 1; else return 0 and leave
 * figure undefined.  Values up to the largest double are fine: the sums
 * are taken of y divided by kpi_fc_pow2_scale(y, n). */
int kpi_fc_theta_seasonality(const double *y, size_t n, int m,
			     double *figure);

/* A power of two s such that y / s neither overflows nor underflows when
 * squared and summed (1 when |y| stays within 1e-100 .. 1e100): dividing
 * by it is exact. */
double kpi_fc_pow2_scale(const double *y, size_t n);

/* ==== forecast-arima.c ==== */

/* A seasonal ARIMA(p,d,q)(P,D,Q)[spec->m] order; constant adds a mean when
 * d + D = 0 and a drift when d + D = 1 (ignored otherwise), as
 * forecast::Arima(include.constant = TRUE). */
struct kpi_arima_order {
	int p, d, q;
	int P, D, Q;
	int constant;
};

/* Fit one order, at most (5,2,5)(2,1,2), as R's stats::arima(method =
 * "CSS-ML") within forecast::Arima() and forecast spec->horizon steps,
 * filling *out as kpi_fc_arima() does.  KPI_EINVAL when the order cannot
 * be fitted (too few values, non-stationary start, optimiser failure). */
enum kpi_status kpi_fc_arima_order(const double *y, size_t n,
				   const struct kpi_fc_spec *spec,
				   const struct kpi_arima_order *order,
				   struct kpi_fc_result *out,
				   struct kpi_error *err);

/* ==== forecast-ets.c ==== */

/* One ETS model with every smoothing parameter and initial state given. */
struct kpi_ets_fixed {
	const char *model;	/* "ANN", "AAdN", "MAM", ...: no Z */
	double alpha, beta, gamma, phi;	/* those the model has */
	double l0, b0;
	double s[24];		/* s_1..s_m of the initial state, s_1 the most
				 * recent, as R's fit$initstate */
	int simulate;		/* intervals from spec->nsim simulated paths
				 * (seed spec->seed) with the point forecasts
				 * as means, as forecast.ets(simulate = TRUE) */
};

/* Run *par on y without estimating anything, as R's ets(y, model = fit,
 * use.initial.values = TRUE): fitted values, log-likelihood and criteria
 * (parameters counted as after a fit: the smoothing ones, l0, b0 and m - 1
 * seasonal states, plus the variance), sigma2 = SSE / (n - those but the
 * variance) as after a fit, and the forecasts and intervals of
 * kpi_fc_ets().  For checking the recursions against R. */
enum kpi_status kpi_fc_ets_fixed(const double *y, size_t n,
				 const struct kpi_fc_spec *spec,
				 const struct kpi_ets_fixed *par,
				 struct kpi_fc_result *out,
				 struct kpi_error *err);

#endif
