/* forecast-simple.c - the benchmark methods (naive, seasonal naive, drift,
 * mean), the intermittent-demand methods (Croston, SBA, TSB) and the linear
 * trend with seasonal dummies, each as R's forecast package computes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_multifit.h>

#include "kpi/forecast.h"
#include "kpi/num.h"
#include "kpi/stats.h"

/* Smoothing constant of Croston and SBA: R's forecast::croston() default. */
#define CROSTON_ALPHA 0.1
/* TSB: smoothing of the demand size and of the demand probability
 * (Teunter, Syntetos & Babai 2011 use values of this order; fixed, not
 * optimised, so that short series get stable forecasts). */
#define TSB_ALPHA 0.1
#define TSB_BETA 0.1

/* ==== Random walks: naive, seasonal naive, drift ==== */

/* R's forecast:::lagwalk() and forecast.lagwalk(): the forecast i steps
 * ahead (1-based) repeats the value `lag` periods back and adds
 * steps * drift, where steps = floor((i - 1) / lag) + 1; the standard
 * error is sqrt(mse * steps + (steps * se(drift))^2), with mse the mean
 * squared residual (dividing by one less when there is a drift term, as R
 * does; R tests `drift != 0`, so a drift of exactly zero divides by the
 * count, and so do we). */
static enum kpi_status
lagwalk(const double *y, size_t n, const struct kpi_fc_spec *spec, size_t lag,
	int drift, struct kpi_fc_result *out, struct kpi_error *err)
{
	size_t h = (size_t)spec->horizon, i, t, count = n - lag;
	struct kpi_sum ss = { 0, 0 };
	double b = 0, bse = 0, mse, denom, *se = NULL;

	if (drift) {
		struct kpi_sum dev = { 0, 0 };

		b = (y[n - 1] - y[0]) / (double)(n - 1);
		for (t = 1; t < n; t++) {
			double d = y[t] - y[t - 1] - b;

			kpi_sum_add(&dev, d * d);
		}
		/* lm(diff ~ 1): sigma^2 = sum of squares / (n - 2), and the
		 * intercept's standard error sigma / sqrt(n - 1). */
		out->sigma2 = n > 2 ? kpi_sum_value(&dev) / (double)(n - 2) : NAN;
		bse = sqrt(out->sigma2 / (double)(n - 1));
	}
	for (t = lag; t < n; t++) {
		double f = y[t - lag] + b;
		double e = y[t] - f;

		out->fitted[t] = f;
		kpi_sum_add(&ss, e * e);
	}
	denom = (double)count - (b != 0 ? 1.0 : 0.0);
	mse = denom > 0 ? kpi_sum_value(&ss) / denom : NAN;
	if (!drift)
		out->sigma2 = count > 0 ? kpi_sum_value(&ss) / (double)count
					: NAN;
	se = malloc(h * sizeof(*se));
	if (!se)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (i = 0; i < h; i++) {
		double steps = (double)(i / lag + 1);

		out->mean[i] = y[n - lag + i % lag] + steps * b;
		se[i] = sqrt(mse * steps + steps * bse * steps * bse);
	}
	kpi_fc_intervals_symmetric(out, se, 0);
	free(se);
	if (drift) {
		kpi_fc_result_param(out, "drift", b);
		kpi_fc_result_param(out, "drift_se", bse);
	}
	return KPI_OK;
}

/* ==== Mean ==== */

/* R's forecast::meanf(): the sample mean, with intervals
 * mean -/+ t(n - 1) * s * sqrt(1 + 1/n), s the sample standard deviation. */
static enum kpi_status
mean_method(const double *y, size_t n, const struct kpi_fc_spec *spec,
	    struct kpi_fc_result *out, struct kpi_error *err)
{
	size_t h = (size_t)spec->horizon, i;
	struct kpi_sum sum = { 0, 0 }, dev = { 0, 0 };
	double mu, s, *se;

	for (i = 0; i < n; i++)
		kpi_sum_add(&sum, y[i]);
	mu = kpi_sum_value(&sum) / (double)n;
	for (i = 0; i < n; i++)
		kpi_sum_add(&dev, (y[i] - mu) * (y[i] - mu));
	s = n > 1 ? sqrt(kpi_sum_value(&dev) / (double)(n - 1)) : NAN;
	for (i = 0; i < n; i++)
		out->fitted[i] = mu;
	se = malloc(h * sizeof(*se));
	if (!se)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (i = 0; i < h; i++) {
		out->mean[i] = mu;
		se[i] = s * sqrt(1.0 + 1.0 / (double)n);
	}
	kpi_fc_intervals_symmetric(out, se, n > 1 ? (double)(n - 1) : NAN);
	free(se);
	out->sigma2 = s * s;
	kpi_fc_result_param(out, "mean", mu);
	return KPI_OK;
}

/* ==== Intermittent demand: Croston, SBA, TSB ==== */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Neither R nor the papers give these methods a stochastic model, so the
 * intervals are the quantiles of the one-period demand the method implies:
 * zero with probability 1 - p, else a demand size drawn from the series' own
 * non-zero demands rescaled to mean `size`, so that the mean of the demand,
 * p * size, is the point forecast.  Deterministic, the same for every step
 * (the methods forecast a flat rate).  A central interval of so skewed a
 * demand can miss its own mean (mostly zeros: the 80% interval is [0, 0]),
 * so each interval is widened to hold the point forecast. */
static enum kpi_status
intermittent_intervals(const double *y, size_t n, double p, double size,
		       struct kpi_fc_result *out, struct kpi_error *err)
{
	size_t h = (size_t)out->h, k = 0, i, l;
	double *sizes, mean = 0;

	sizes = malloc(n * sizeof(*sizes));
	if (!sizes)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (i = 0; i < n; i++)
		if (y[i] > 0) {
			sizes[k++] = y[i];
			mean += y[i];
		}
	if (k > 0)
		mean /= (double)k;
	if (!isfinite(mean)) {
		/* Demands near 1e308 overflow the sum: a running mean does
		 * not (the sum is kept otherwise, for the same roundings). */
		for (i = 0, mean = 0; i < k; i++)
			mean += (sizes[i] - mean) / (double)(i + 1);
	}
	qsort(sizes, k, sizeof(*sizes), cmp_double);
	p = p < 0 ? 0 : p > 1 ? 1 : p;
	for (l = 0; l < out->nlevels; l++) {
		double q[2], b[2];
		int j, bounded = 1;

		q[0] = (1.0 - out->levels[l]) / 2.0;
		q[1] = (1.0 + out->levels[l]) / 2.0;
		for (j = 0; j < 2; j++) {
			if (k == 0 || q[j] <= 1.0 - p)
				b[j] = 0;
			else {
				double d = kpi_quantile_sorted(sizes, k,
							       (q[j] - (1.0 - p)) / p,
							       7);

				b[j] = d * size / mean;
				if (!isfinite(b[j]))	/* d * size overflowed */
					b[j] = d * (size / mean);
			}
			bounded = bounded && isfinite(b[j]);
		}
		/* Demands near DBL_MAX can push a bound past it: no bound is
		 * better than an infinite one. */
		for (i = 0; i < h; i++) {
			double m = out->mean[i];

			out->lo[l * h + i] = !bounded ? NAN : b[0] < m ? b[0] : m;
			out->hi[l * h + i] = !bounded ? NAN : b[1] > m ? b[1] : m;
		}
	}
	free(sizes);
	return KPI_OK;
}

/* R's forecast::croston(alpha = 0.1): simple exponential smoothing, started
 * at the first value ("simple" initialisation), of the non-zero demands and,
 * separately, of the intervals between them (the first interval counts from
 * the start of the series); the forecast is their ratio, zero before the
 * first demand.  The fitted value at t is the forecast from y[0..t-1].  SBA
 * (Syntetos & Boylan 2005) multiplies by 1 - alpha/2. */
static enum kpi_status
croston(const double *y, size_t n, const struct kpi_fc_spec *spec, int sba,
	struct kpi_fc_result *out, struct kpi_error *err)
{
	const double a = CROSTON_ALPHA, adj = sba ? 1.0 - a / 2.0 : 1.0;
	double z = 0, p = 0, f;
	size_t t, ndemand = 0, last = 0, i;

	for (t = 0; t < n; t++) {
		out->fitted[t] = t == 0 ? NAN : ndemand ? adj * z / p : 0;
		if (y[t] > 0) {
			double interval = (double)(t + 1 - last);

			if (ndemand == 0) {
				z = y[t];
				p = interval;
			} else {
				z += a * (y[t] - z);
				p += a * (interval - p);
			}
			ndemand++;
			last = t + 1;
		}
	}
	f = ndemand ? adj * z / p : 0;
	for (i = 0; i < (size_t)spec->horizon; i++)
		out->mean[i] = f;
	kpi_fc_result_param(out, "alpha", a);
	kpi_fc_result_param(out, "demand", ndemand ? z : 0);
	kpi_fc_result_param(out, "interval", ndemand ? p : NAN);
	return intermittent_intervals(y, n, ndemand ? 1.0 / p : 0, adj * z, out,
				      err);
}

/* TSB (Teunter, Syntetos & Babai 2011): the demand probability is smoothed
 * every period (towards 1 after a demand, towards 0 otherwise) and the
 * demand size only after a demand; the forecast is their product.  Started
 * at the share of periods with a demand and the mean non-zero demand. */
static enum kpi_status
tsb(const double *y, size_t n, const struct kpi_fc_spec *spec,
    struct kpi_fc_result *out, struct kpi_error *err)
{
	const double a = TSB_ALPHA, b = TSB_BETA;
	double z = 0, p, f;
	size_t t, k = 0, i;

	for (t = 0; t < n; t++)
		if (y[t] > 0)
			z += (y[t] - z) / (double)++k;	/* running mean */
	p = (double)k / (double)n;
	for (t = 0; t < n; t++) {
		out->fitted[t] = p * z;
		if (y[t] > 0) {
			z += a * (y[t] - z);
			p += b * (1.0 - p);
		} else {
			p -= b * p;
		}
	}
	f = p * z;
	for (i = 0; i < (size_t)spec->horizon; i++)
		out->mean[i] = f;
	kpi_fc_result_param(out, "alpha", a);
	kpi_fc_result_param(out, "beta", b);
	kpi_fc_result_param(out, "demand", z);
	kpi_fc_result_param(out, "probability", p);
	return intermittent_intervals(y, n, p, z, out, err);
}

/* ==== Linear trend and seasonal dummies ==== */

/* R's forecast(tslm(y ~ trend + season)): ordinary least squares on an
 * intercept, the trend 1..n and m - 1 dummies for the seasons of positions
 * 1..m-1 (position i is season i mod m); prediction intervals
 * f -/+ t(n - p) * sqrt(s^2 + x0' Cov(b) x0), as predict.lm(interval =
 * "prediction").  Log-likelihood, AIC, AICc and BIC count p + 1 parameters
 * (the coefficients and the variance), as R's logLik.lm and AIC do; AICc is
 * AIC + 2k(k + 1)/(n - k - 1) with k = p + 1, R's forecast::CV. */
static enum kpi_status
tslm(const double *y, size_t n, const struct kpi_fc_spec *spec,
     struct kpi_fc_result *out, struct kpi_error *err)
{
	size_t m = (size_t)spec->m, p = m + 1, h = (size_t)spec->horizon;
	size_t i, j, k;
	gsl_matrix *X = NULL, *cov = NULL;
	gsl_vector *c = NULL, *x0 = NULL, *cx = NULL;
	gsl_multifit_linear_workspace *w = NULL;
	gsl_vector_const_view yv = gsl_vector_const_view_array(y, n);
	double chisq, s2, df, *se = NULL, ll;
	enum kpi_status st = KPI_ENOMEM;
	char name[32];

	if (n < p + 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "tslm needs at least %zu observations (%zu parameters), got %zu",
				     p + 1, p, n);
	X = gsl_matrix_calloc(n, p);
	cov = gsl_matrix_alloc(p, p);
	c = gsl_vector_alloc(p);
	x0 = gsl_vector_alloc(p);
	cx = gsl_vector_alloc(p);
	w = gsl_multifit_linear_alloc(n, p);
	se = malloc(h * sizeof(*se));
	if (!X || !cov || !c || !x0 || !cx || !w || !se) {
		kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		gsl_matrix_set(X, i, 0, 1.0);
		gsl_matrix_set(X, i, 1, (double)(i + 1));
		if (i % m)
			gsl_matrix_set(X, i, 1 + i % m, 1.0);
	}
	if (gsl_multifit_linear(X, &yv.vector, c, cov, &chisq, w) != GSL_SUCCESS) {
		st = kpi_error_set(err, KPI_ENUMERIC, 0,
				   "tslm: the least-squares fit failed");
		goto out;
	}
	df = (double)(n - p);
	s2 = chisq / df;
	for (i = 0; i < n; i++) {
		gsl_vector_const_view row = gsl_matrix_const_row(X, i);
		double f;

		gsl_blas_ddot(&row.vector, c, &f);
		out->fitted[i] = f;
	}
	for (i = 0; i < h; i++) {
		size_t pos = n + i;
		double f, var;

		gsl_vector_set_zero(x0);
		gsl_vector_set(x0, 0, 1.0);
		gsl_vector_set(x0, 1, (double)(pos + 1));
		if (pos % m)
			gsl_vector_set(x0, 1 + pos % m, 1.0);
		gsl_blas_ddot(x0, c, &f);
		gsl_blas_dgemv(CblasNoTrans, 1.0, cov, x0, 0.0, cx);
		gsl_blas_ddot(x0, cx, &var);
		out->mean[i] = f;
		se[i] = sqrt(s2 + var);
	}
	kpi_fc_intervals_symmetric(out, se, df);
	out->sigma2 = s2;
	k = p + 1;
	ll = -0.5 * (double)n * (log(2.0 * M_PI * chisq / (double)n) + 1.0);
	out->loglik = ll;
	out->aic = -2.0 * ll + 2.0 * (double)k;
	out->bic = -2.0 * ll + log((double)n) * (double)k;
	out->aicc = n > k + 1 ? out->aic + 2.0 * (double)(k * (k + 1)) /
						(double)(n - k - 1)
			      : NAN;
	kpi_fc_result_param(out, "intercept", gsl_vector_get(c, 0));
	kpi_fc_result_param(out, "trend", gsl_vector_get(c, 1));
	for (j = 1; j < m; j++) {
		snprintf(name, sizeof(name), "season%zu", j + 1);
		kpi_fc_result_param(out, name, gsl_vector_get(c, 1 + j));
	}
	st = KPI_OK;
out:
	free(se);
	gsl_multifit_linear_free(w);
	gsl_vector_free(cx);
	gsl_vector_free(x0);
	gsl_vector_free(c);
	gsl_matrix_free(cov);
	gsl_matrix_free(X);
	return st;
}

/* ==== Entry ==== */

static const char *
simple_model_name(enum kpi_fc_method method, int m)
{
	switch (method) {
	case KPI_FC_NAIVE:	return "Naive";
	case KPI_FC_SNAIVE:	return "Seasonal naive";
	case KPI_FC_DRIFT:	return "Drift";
	case KPI_FC_MEAN:	return "Mean";
	case KPI_FC_CROSTON:	return "Croston";
	case KPI_FC_SBA:	return "SBA";
	case KPI_FC_TSB:	return "TSB";
	case KPI_FC_TSLM:	return m > 1 ? "TSLM(trend+season)"
					     : "TSLM(trend)";
	default:		return NULL;
	}
}

enum kpi_status
kpi_fc_simple(const double *y, size_t n, const struct kpi_fc_spec *spec,
	      struct kpi_fc_result *out, struct kpi_error *err)
{
	enum kpi_fc_method method = spec->method;
	const char *name = simple_model_name(method, spec->m);
	size_t i;
	enum kpi_status st;

	if (!name)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%s is not one of the simple methods",
				     kpi_fc_method_name(method));
	if (method == KPI_FC_SNAIVE && n < (size_t)spec->m)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "snaive needs a full season (%d observations), got %zu",
				     spec->m, n);
	if (method == KPI_FC_DRIFT && n < 2)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "drift needs at least 2 observations");
	if (method == KPI_FC_CROSTON || method == KPI_FC_SBA ||
	    method == KPI_FC_TSB)
		for (i = 0; i < n; i++)
			if (y[i] < 0)
				return kpi_error_set(err, KPI_EINVAL, 0,
						     "%s needs values >= 0, observation %zu is %g",
						     kpi_fc_method_name(method),
						     i + 1, y[i]);
	st = kpi_fc_result_alloc(out, n, spec, err);
	if (st != KPI_OK)
		return st;
	snprintf(out->model, sizeof(out->model), "%s", name);
	switch (method) {
	case KPI_FC_NAIVE:
		return lagwalk(y, n, spec, 1, 0, out, err);
	case KPI_FC_SNAIVE:
		return lagwalk(y, n, spec, (size_t)spec->m, 0, out, err);
	case KPI_FC_DRIFT:
		return lagwalk(y, n, spec, 1, 1, out, err);
	case KPI_FC_MEAN:
		return mean_method(y, n, spec, out, err);
	case KPI_FC_CROSTON:
		return croston(y, n, spec, 0, out, err);
	case KPI_FC_SBA:
		return croston(y, n, spec, 1, out, err);
	case KPI_FC_TSB:
		return tsb(y, n, spec, out, err);
	case KPI_FC_TSLM:
		return tslm(y, n, spec, out, err);
	default:
		return kpi_error_set(err, KPI_EINVAL, 0, "unknown method");
	}
}
