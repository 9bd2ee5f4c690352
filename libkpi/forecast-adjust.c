/* forecast-adjust.c - any method fitted to the seasonally adjusted series.
 *
 * This is how the benchmarks of the M3 and M4 competitions handle
 * seasonality (NAIVE2, SINGLE and DAMPEN in Makridakis & Hibon 2000;
 * Naive 2, SES, Holt, Damped and Comb in Makridakis, Spiliotis &
 * Assimakopoulos 2020, "The M4 Competition: 100,000 time series and 61
 * forecasting methods", IJF 36(1)): when the lag-m autocorrelation passes
 * the 90% test, divide the series by the indices of the classical
 * multiplicative decomposition, fit the method without a season, and
 * multiply its forecasts back.  The test and the indices are those of
 * theta (kpi_fc_theta_seasonality(), R's thetaf()).  The indices are taken
 * as known, so the bounds scale with the point forecasts and carry no
 * uncertainty of their own, as in thetaf().  The method never sees the
 * season: it is fitted with m = 1 whether or not the test passes, so that
 * `snaive` becomes the naive forecast of the adjusted series (NAIVE2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast-internal.h"

/* Multiply the forecasts, bounds and fitted values of r by the seasonal
 * index of their period; KPI_ENUMERIC when a forecast or a bound
 * overflows (as DOTM refuses bounds it cannot hold). */
static enum kpi_status
reseasonalize(struct kpi_fc_result *r, const double *figure, size_t m,
	      struct kpi_error *err)
{
	size_t t, l, h = (size_t)r->h;

	for (t = 0; t < h; t++) {
		double f = figure[(r->n + t) % m];

		r->mean[t] *= f;
		if (isinf(r->mean[t]))
			return kpi_error_set(err, KPI_ENUMERIC, 0,
					     "%s: the forecast %zu steps ahead overflows when the season is put back",
					     r->model, t + 1);
		for (l = 0; l < r->nlevels; l++) {
			r->lo[l * h + t] *= f;
			r->hi[l * h + t] *= f;
			if (isinf(r->lo[l * h + t]) || isinf(r->hi[l * h + t]))
				return kpi_error_set(err, KPI_ENUMERIC, 0,
						     "%s: the prediction interval %zu steps ahead overflows when the season is put back",
						     r->model, t + 1);
		}
	}
	for (t = 0; t < r->n; t++)
		r->fitted[t] *= figure[t % m];
	return KPI_OK;
}

enum kpi_status
kpi_fc_adjusted(const double *y, size_t n, const struct kpi_fc_spec *spec,
		struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_spec inner = *spec;
	size_t t, m = (size_t)spec->m, len;
	double *x = NULL, *figure = NULL;
	enum kpi_status st;

	inner.seasonal_adjust = 0;
	inner.m = 1;
	if (m > 1) {
		figure = malloc(m * sizeof(*figure));
		if (!figure) {
			st = kpi_error_set(err, KPI_ENOMEM, 0,
					   "seasonal adjustment: out of memory");
			goto done;
		}
	}
	if (m <= 1 || !kpi_fc_theta_seasonality(y, n, spec->m, figure)) {
		st = kpi_forecast(y, n, &inner, out, err);
		goto done;
	}
	x = malloc(n * sizeof(*x));
	if (!x) {
		st = kpi_error_set(err, KPI_ENOMEM, 0,
				   "seasonal adjustment: out of memory");
		goto done;
	}
	for (t = 0; t < n; t++)
		x[t] = y[t] / figure[t % m];
	st = kpi_forecast(x, n, &inner, out, err);
	if (st != KPI_OK)
		goto done;
	st = reseasonalize(out, figure, m, err);
	if (st != KPI_OK)
		goto done;	/* kpi_forecast() frees *out */
	len = strlen(out->model);
	snprintf(out->model + len, sizeof(out->model) - len,
		 " (seasonally adjusted)");
done:
	free(figure);
	free(x);
	return st;
}
