/* accuracy.c - forecast accuracy measures (MAE, RMSE, MAPE, sMAPE, WAPE,
 * bias, MASE, interval coverage and MSIS) and rolling-origin backtests. */
#include <math.h>
#include <string.h>

#include "kpi/series.h"

void
kpi_accuracy_init(struct kpi_accuracy *a, const double *levels, size_t nlevels)
{
	memset(a, 0, sizeof(*a));
	if (nlevels > KPI_FC_MAX_LEVELS)
		nlevels = KPI_FC_MAX_LEVELS;
	a->nlevels = nlevels;
	if (nlevels)
		memcpy(a->levels, levels, nlevels * sizeof(*levels));
}

void
kpi_accuracy_add(struct kpi_accuracy *a, const double *y, const double *f,
		 const double *lo, const double *hi, size_t h, double scale)
{
	int scaled = isfinite(scale) && scale > 0;
	size_t i, l;

	for (i = 0; i < h; i++) {
		double e = f[i] - y[i], ae = fabs(e);
		double den = fabs(y[i]) + fabs(f[i]);

		a->n++;
		a->sum_abs += ae;
		a->sum_sq += e * e;
		a->sum_err += e;
		a->sum_abs_y += fabs(y[i]);
		/* M3 sMAPE; a perfect forecast of zero is no error. */
		a->sum_sape += den > 0 ? 200.0 * ae / den : 0.0;
		if (y[i] != 0) {
			a->sum_ape += 100.0 * ae / fabs(y[i]);
			a->n_ape++;
		} else {
			a->zeros++;
		}
		if (scaled) {
			a->sum_scaled += ae / scale;
			a->n_scaled++;
		}
		for (l = 0; lo && hi && l < a->nlevels; l++) {
			double L = lo[l * h + i], U = hi[l * h + i];
			double alpha = 1.0 - a->levels[l], is;

			if (!isfinite(L) || !isfinite(U))
				continue;
			a->n_int[l]++;
			if (y[i] >= L && y[i] <= U)
				a->covered[l]++;
			if (!scaled)
				continue;
			/* Gneiting & Raftery (2007) interval score; the M4
			 * guide scales it like MASE. */
			is = U - L;
			if (y[i] < L)
				is += 2.0 / alpha * (L - y[i]);
			if (y[i] > U)
				is += 2.0 / alpha * (y[i] - U);
			a->sum_is[l] += is / scale;
			a->n_is[l]++;
		}
	}
}

void
kpi_accuracy_series(struct kpi_accuracy *a)
{
	a->nseries++;
}

void
kpi_accuracy_merge(struct kpi_accuracy *a, const struct kpi_accuracy *b)
{
	size_t l;

	a->n += b->n;
	a->nseries += b->nseries;
	a->sum_abs += b->sum_abs;
	a->sum_sq += b->sum_sq;
	a->sum_err += b->sum_err;
	a->sum_abs_y += b->sum_abs_y;
	a->sum_ape += b->sum_ape;
	a->sum_sape += b->sum_sape;
	a->n_ape += b->n_ape;
	a->zeros += b->zeros;
	a->sum_scaled += b->sum_scaled;
	a->n_scaled += b->n_scaled;
	for (l = 0; l < a->nlevels && l < b->nlevels; l++) {
		a->n_int[l] += b->n_int[l];
		a->covered[l] += b->covered[l];
		a->sum_is[l] += b->sum_is[l];
		a->n_is[l] += b->n_is[l];
	}
}

static double
ratio(double num, size_t den)
{
	return den ? num / (double)den : NAN;
}

void
kpi_accuracy_summarize(const struct kpi_accuracy *a,
		       struct kpi_accuracy_summary *out)
{
	size_t l;

	memset(out, 0, sizeof(*out));
	out->n = a->n;
	out->nseries = a->nseries;
	out->zeros = a->zeros;
	out->mae = ratio(a->sum_abs, a->n);
	out->rmse = sqrt(ratio(a->sum_sq, a->n));
	out->mape = ratio(a->sum_ape, a->n_ape);
	out->smape = ratio(a->sum_sape, a->n);
	out->wape = a->sum_abs_y > 0 ? 100.0 * a->sum_abs / a->sum_abs_y : NAN;
	out->bias = ratio(a->sum_err, a->n);
	out->mase = ratio(a->sum_scaled, a->n_scaled);
	out->nlevels = a->nlevels;
	for (l = 0; l < a->nlevels; l++) {
		out->coverage[l] = 100.0 * ratio((double)a->covered[l],
						 a->n_int[l]);
		out->msis[l] = ratio(a->sum_is[l], a->n_is[l]);
	}
}

double
kpi_mase_scale(const double *y, size_t n, int m)
{
	size_t lag = m > 1 && n > (size_t)m ? (size_t)m : 1, t;
	double s = 0;

	if (n < 2)
		return NAN;
	for (t = lag; t < n; t++)
		s += fabs(y[t] - y[t - lag]);
	return s / (double)(n - lag);
}

enum kpi_status
kpi_backtest(const double *y, size_t n, const struct kpi_fc_spec *spec,
	     int origins, struct kpi_accuracy *acc, struct kpi_error *err)
{
	size_t h = (size_t)spec->horizon, k;
	struct kpi_accuracy local;
	struct kpi_fc_result r;
	enum kpi_status st;

	if (origins < 1 || spec->horizon < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "need at least one origin and a horizon");
	if (n < h + (size_t)origins)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%zu observations are too few to hold out %zu with %d origin%s",
				     n, h, origins, origins > 1 ? "s" : "");
	/* Add to acc only when every origin worked. */
	kpi_accuracy_init(&local, acc->levels, acc->nlevels);
	for (k = 0; k < (size_t)origins; k++) {
		size_t train = n - h - ((size_t)origins - 1 - k);

		st = kpi_forecast(y, train, spec, &r, err);
		if (st != KPI_OK)
			return st;
		kpi_accuracy_add(&local, y + train, r.mean, r.lo, r.hi, h,
				 kpi_mase_scale(y, train, spec->m));
		kpi_fc_result_free(&r);
	}
	kpi_accuracy_merge(acc, &local);
	return KPI_OK;
}
