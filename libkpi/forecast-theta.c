/* forecast-theta.c - the Theta method, as R's forecast::thetaf (8.20). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "forecast-internal.h"

/*
 * Hyndman & Billah (2003) showed that the Theta method of Assimakopoulos &
 * Nikolopoulos (2000) is simple exponential smoothing with a drift equal to
 * half the slope of a linear trend.  forecast::thetaf, which we follow step
 * by step:
 *  1. when m > 1, the series is not constant and n > 2m, test seasonality at
 *     90%: |r_m| > qnorm(0.95) * sqrt((1 + 2 sum_{k<m} r_k^2) / n), with r_k
 *     the sample autocorrelations (acf());
 *  2. if seasonal, divide by the indices of the classical multiplicative
 *     decomposition (decompose(type = "multiplicative"));
 *  3. fit SES by ses(), that is ets(x, "ANN", opt.crit = "mse"): alpha and
 *     the initial level minimise the mean squared one-step error, found by
 *     the Nelder-Mead simplex of R's optim() from alpha = 0.20006 and the
 *     mean of the first ten values (series of 6 or fewer values go through
 *     HoltWinters-style SSE minimisation from the first value instead);
 *  4. b = slope of lsfit(0:(n-1), x) / 2, and the forecast h steps ahead is
 *     l_n + b * (h - 1 + (1 - (1 - alpha)^n) / alpha);
 *  5. multiply back by the last m seasonal indices;
 *  6. intervals: mean -/+ z * sqrt(sigma2 * (1 + (h - 1) alpha^2)), where
 *     sigma2 is the SES residual variance of the adjusted series (SSE /
 *     (n - 2)); like thetaf, the width is not reseasonalised.
 * One deliberate difference: a series with a value <= 0 is not seasonally
 * adjusted (a multiplicative decomposition of such data is meaningless, R
 * would divide by a trend near zero).
 */

/* ==== Simple exponential smoothing ==== */

struct ses_ctx {
	const double *x;
	size_t n;
};

/* Mean squared one-step error of SES with alpha = p[0], l0 = p[1]; out of
 * ets()'s "usual" bounds [1e-4, 0.9999] the value is infinite, as there. */
static double
ses_mse(const double *p, void *vctx)
{
	const struct ses_ctx *c = vctx;
	double alpha = p[0], l = p[1], sse = 0.0;
	size_t t;

	if (!(alpha >= 1e-4 && alpha <= 0.9999))
		return INFINITY;
	for (t = 0; t < c->n; t++) {
		double e = c->x[t] - l;

		sse += e * e;
		l += alpha * e;
	}
	return sse / (double)c->n;
}

/* SSE of SES started at the first value (HoltWinters() style), t >= 2. */
static double
ses_sse_first(const double *x, size_t n, double alpha)
{
	double l = x[0], sse = 0.0;
	size_t t;

	for (t = 1; t < n; t++) {
		double e = x[t] - l;

		sse += e * e;
		l += alpha * e;
	}
	return sse;
}

struct ses_fit {
	double alpha, l0, sigma2;
};

/* Fit SES to x[0..n-1] as forecast::ses() does (see the top of the file). */
static void
ses_fit(const double *x, size_t n, int m, struct ses_fit *fit)
{
	if (n > 6) {
		struct ses_ctx c = { x, n };
		double p[2], mse;
		size_t i, k = n < 10 ? n : 10;

		/* initparam(): lower + 0.2 (upper - lower) / m, with m = 1
		 * for a non-seasonal model; initstate(): mean of the first
		 * max(10, 2m) = 10 values. */
		p[0] = 1e-4 + 0.2 * (0.9999 - 1e-4);
		p[1] = 0.0;
		for (i = 0; i < k; i++)
			p[1] += x[i];
		p[1] /= (double)k;
		mse = kpi_fc_nelder_mead(ses_mse, &c, p, 2,
					 1.490116119384765625e-8, 2000);
		fit->alpha = p[0];
		fit->l0 = p[1];
		fit->sigma2 = mse * (double)n / (double)(n - 2);
		return;
	}
	/* ets() hands series this short to HoltWinters-style fitting: SSE
	 * from l0 = x[0], alpha in [0, 1] (golden section here), sigma2 =
	 * SSE / n.  With a single error term the SSE does not depend on
	 * alpha and R keeps its start, 0.2 / m. */
	fit->l0 = x[0];
	if (n <= 2) {
		fit->alpha = 0.2 / (double)m;
	} else {
		const double g = 0.5 * (sqrt(5.0) - 1.0);
		double a = 0.0, b = 1.0, c1, c2, f1, f2;
		int it;

		c1 = b - g * (b - a);
		c2 = a + g * (b - a);
		f1 = ses_sse_first(x, n, c1);
		f2 = ses_sse_first(x, n, c2);
		for (it = 0; it < 200 && b - a > 1e-12; it++) {
			if (f1 <= f2) {
				b = c2;
				c2 = c1;
				f2 = f1;
				c1 = b - g * (b - a);
				f1 = ses_sse_first(x, n, c1);
			} else {
				a = c1;
				c1 = c2;
				f1 = f2;
				c2 = a + g * (b - a);
				f2 = ses_sse_first(x, n, c2);
			}
		}
		fit->alpha = 0.5 * (a + b);
	}
	fit->sigma2 = ses_sse_first(x, n, fit->alpha) / (double)n;
}

/* ==== Seasonal test and classical decomposition ==== */

/* thetaf's test: the lag-m autocorrelation against the 90% one-sided limit
 * with Bartlett's variance for the lags below m, on y / s (s a power of
 * two, so that sums of values near the largest double do not overflow;
 * the autocorrelations do not change). */
static int
seasonal_test(const double *y, size_t n, int m, double s)
{
	double mean = 0.0, c0 = 0.0, sum2 = 0.0, rm = 0.0, stat;
	size_t t;
	int k;

	for (t = 0; t < n; t++)
		mean += y[t] / s;
	mean /= (double)n;
	for (t = 0; t < n; t++)
		c0 += (y[t] / s - mean) * (y[t] / s - mean);
	if (c0 <= 0.0)
		return 0;
	for (k = 1; k <= m; k++) {
		double c = 0.0, r;

		for (t = 0; t + (size_t)k < n; t++)
			c += (y[t] / s - mean) * (y[t + (size_t)k] / s - mean);
		r = c / c0;
		if (k < m)
			sum2 += r * r;
		else
			rm = r;
	}
	stat = sqrt((1.0 + 2.0 * sum2) / (double)n);
	return fabs(rm) / stat > gsl_cdf_ugaussian_Pinv(0.95);
}

/* decompose(y, "multiplicative")$figure: the centred moving average of
 * order m (2 x m for even m), the ratios y / trend averaged per position
 * in the cycle (counting from the first value), normalised to mean 1.
 * Returns 0 when an index is not finite or is near zero (thetaf then
 * stays non-seasonal).  The moving averages are taken of y / s, s a power
 * of two as for seasonal_test(); the ratios do not change. */
static int
seasonal_indices(const double *y, size_t n, int m, double s, double *figure)
{
	size_t half = (size_t)m / 2, t;
	double mean = 0.0;
	int i;

	for (i = 0; i < m; i++) {
		double sum = 0.0;
		size_t cnt = 0;

		for (t = (size_t)i; t < n; t += (size_t)m) {
			double tr = 0.0;
			size_t j;

			if (t < half || t + half >= n)
				continue;
			if (m % 2 == 0) {
				tr = 0.5 * (y[t - half] / s + y[t + half] / s);
				for (j = t - half + 1; j < t + half; j++)
					tr += y[j] / s;
			} else {
				for (j = t - half; j <= t + half; j++)
					tr += y[j] / s;
			}
			tr /= (double)m;
			sum += y[t] / s / tr;
			cnt++;
		}
		if (cnt == 0)
			return 0;
		figure[i] = sum / (double)cnt;
	}
	for (i = 0; i < m; i++)
		mean += figure[i];
	mean /= (double)m;
	for (i = 0; i < m; i++) {
		figure[i] /= mean;
		if (!isfinite(figure[i]) || fabs(figure[i]) < 1e-4)
			return 0;
	}
	return 1;
}

int
kpi_fc_theta_seasonality(const double *y, size_t n, int m, double *figure)
{
	size_t t;
	double s;

	if (m <= 1 || n <= 2 * (size_t)m)
		return 0;
	for (t = 0; t < n; t++)
		if (!(y[t] > 0.0))
			return 0;
	s = kpi_fc_pow2_scale(y, n);
	return seasonal_test(y, n, m, s) && seasonal_indices(y, n, m, s, figure);
}

double
kpi_fc_pow2_scale(const double *y, size_t n)
{
	double maxabs = 0.0;
	size_t t;
	int e;

	for (t = 0; t < n; t++)
		if (fabs(y[t]) > maxabs)
			maxabs = fabs(y[t]);
	if (!(maxabs > 1e100 || (maxabs > 0.0 && maxabs < 1e-100)))
		return 1.0;
	/* maxabs = f 2^e with f in [0.5, 1): 2^(e - 1) is finite even for
	 * the largest double (2^e would be 2^1024 = inf there) and leaves
	 * every |y| / s below 2. */
	frexp(maxabs, &e);
	return ldexp(1.0, e - 1);
}

/* ==== The method ==== */

enum kpi_status
kpi_fc_theta(const double *y, size_t n, const struct kpi_fc_spec *spec,
	     struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_result res;
	struct ses_fit fit;
	double *x = NULL, *figure = NULL;
	double sxx = 0.0, sxy = 0.0, tbar, xbar = 0.0, b, l, alpha, decay;
	double scale;
	enum kpi_status st;
	int m, h, seasonal = 0, i;
	size_t t, l2;

	memset(&res, 0, sizeof(res));
	if (!y || !spec || !out)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "theta: missing argument");
	m = spec->m;
	h = spec->horizon;
	if (m < 1 || h < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "theta: season and horizon must be >= 1");
	if (n < 2)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "theta needs at least 2 observations");
	for (t = 0; t < n; t++)
		if (!isfinite(y[t]))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "theta: value %zu is not finite",
					     t + 1);
	x = malloc(n * sizeof(*x));
	figure = malloc((size_t)m * sizeof(*figure));
	if (!x || !figure) {
		st = kpi_error_set(err, KPI_ENOMEM, 0, "theta: out of memory");
		goto out;
	}
	/* Values so large (or small) that their squares overflow (or vanish)
	 * are divided by a power of two first, which is exact, and the
	 * results multiplied back. */
	scale = kpi_fc_pow2_scale(y, n);
	for (t = 0; t < n; t++)
		x[t] = y[t] / scale;

	seasonal = kpi_fc_theta_seasonality(x, n, m, figure);
	if (seasonal)
		for (t = 0; t < n; t++)
			x[t] /= figure[t % (size_t)m];

	ses_fit(x, n, m, &fit);

	/* lsfit(0:(n-1), x): the least-squares slope, halved. */
	tbar = 0.5 * (double)(n - 1);
	for (t = 0; t < n; t++)
		xbar += x[t];
	xbar /= (double)n;
	for (t = 0; t < n; t++) {
		double dt = (double)t - tbar;

		sxx += dt * dt;
		sxy += dt * (x[t] - xbar);
	}
	b = 0.5 * sxy / sxx;

	st = kpi_fc_result_alloc(&res, n, spec, err);
	if (st != KPI_OK)
		goto out;
	snprintf(res.model, sizeof(res.model), "Theta%s",
		 seasonal ? " (seasonally adjusted)" : "");

	/* One-step fits: the SES level before each value, reseasonalised. */
	l = fit.l0;		/* for n <= 6, x[0]: the fit starts after it */
	for (t = 0; t < n; t++) {
		double s = seasonal ? figure[t % (size_t)m] : 1.0;

		if (n <= 6 && t == 0) {
			res.fitted[t] = NAN;
			continue;
		}
		res.fitted[t] = l * s;
		l += fit.alpha * (x[t] - l);
	}

	alpha = fit.alpha > 1e-10 ? fit.alpha : 1e-10;
	decay = (1.0 - pow(1.0 - alpha, (double)n)) / alpha;
	for (i = 0; i < h; i++) {
		double f = l + b * ((double)i + decay);

		if (seasonal)
			f *= figure[(n + (size_t)i) % (size_t)m];
		res.mean[i] = f;
	}
	for (l2 = 0; l2 < res.nlevels; l2++) {
		double z = gsl_cdf_ugaussian_Pinv(0.5 + 0.5 * res.levels[l2]);

		for (i = 0; i < h; i++) {
			double se = sqrt(fit.sigma2 *
					 ((double)i * alpha * alpha + 1.0));

			res.lo[l2 * (size_t)h + (size_t)i] = res.mean[i] - z * se;
			res.hi[l2 * (size_t)h + (size_t)i] = res.mean[i] + z * se;
		}
	}
	res.sigma2 = fit.sigma2 * scale * scale;
	res.nparam = 3;
	snprintf(res.param_name[0], sizeof(res.param_name[0]), "alpha");
	res.param[0] = alpha;
	snprintf(res.param_name[1], sizeof(res.param_name[1]), "drift");
	res.param[1] = b * scale;
	snprintf(res.param_name[2], sizeof(res.param_name[2]), "l0");
	res.param[2] = fit.l0 * scale;
	if (scale != 1.0) {
		for (t = 0; t < n; t++)
			res.fitted[t] *= scale;
		for (i = 0; i < h; i++)
			res.mean[i] *= scale;
		for (t = 0; t < res.nlevels * (size_t)h; t++) {
			res.lo[t] *= scale;
			res.hi[t] *= scale;
		}
	}
	for (t = 0; t < res.nlevels * (size_t)h; t++)
		if (isinf(res.lo[t]) || isinf(res.hi[t])) {
			st = kpi_error_set(err, KPI_ENUMERIC, 0,
					   "theta: the prediction intervals overflow");
			goto out;
		}
	*out = res;
	memset(&res, 0, sizeof(res));
	st = KPI_OK;
out:
	kpi_fc_result_free(&res);
	free(figure);
	free(x);
	return st;
}
