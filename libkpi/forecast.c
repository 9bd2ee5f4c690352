/* forecast.c - method names, result memory, validation and dispatch to the
 * model families; interval helpers the families share. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "kpi/forecast.h"

static const char *const method_names[KPI_FC_NMETHODS] = {
	[KPI_FC_AUTO] = "auto",
	[KPI_FC_NAIVE] = "naive",
	[KPI_FC_SNAIVE] = "snaive",
	[KPI_FC_DRIFT] = "drift",
	[KPI_FC_MEAN] = "mean",
	[KPI_FC_SES] = "ses",
	[KPI_FC_HOLT] = "holt",
	[KPI_FC_DAMPED] = "damped",
	[KPI_FC_HW] = "hw",
	[KPI_FC_HWM] = "hwm",
	[KPI_FC_ETS] = "ets",
	[KPI_FC_THETA] = "theta",
	[KPI_FC_ARIMA] = "arima",
	[KPI_FC_CROSTON] = "croston",
	[KPI_FC_SBA] = "sba",
	[KPI_FC_TSB] = "tsb",
	[KPI_FC_TSLM] = "tslm",
	[KPI_FC_DOTM] = "dotm",
	[KPI_FC_CES] = "ces",
};

enum kpi_status
kpi_fc_method_parse(const char *s, enum kpi_fc_method *out,
		    struct kpi_error *err)
{
	int i;

	for (i = 0; i < KPI_FC_NMETHODS; i++)
		if (s && strcmp(s, method_names[i]) == 0) {
			*out = (enum kpi_fc_method)i;
			return KPI_OK;
		}
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "unknown method \"%s\" (auto, naive, snaive, drift, mean, ses, holt, damped, hw, hwm, ets, theta, arima, croston, sba, tsb, tslm, dotm, ces)",
			     s ? s : "");
}

const char *
kpi_fc_method_name(enum kpi_fc_method m)
{
	if ((int)m < 0 || m >= KPI_FC_NMETHODS)
		return "unknown";
	return method_names[m];
}

void
kpi_fc_spec_init(struct kpi_fc_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->method = KPI_FC_AUTO;
	spec->m = 1;
	spec->horizon = 1;
	spec->levels[0] = 0.80;
	spec->levels[1] = 0.95;
	spec->nlevels = 2;
	spec->seed = 42;
}

enum kpi_status
kpi_fc_ets_spec_check(const char *s, struct kpi_error *err)
{
	const char *p = s;

	if (!p || !*p || !strchr("AMZ", *p))
		goto bad;
	p++;
	if (!*p || !strchr("NAZ", *p))
		goto bad;
	if (p[0] == 'A' && p[1] == 'd')
		p++;
	p++;
	if (!*p || !strchr("NAMZ", *p) || p[1] != '\0')
		goto bad;
	return KPI_OK;
bad:
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "\"%s\" is not an ETS specification: error A, M or Z, trend N, A, Ad or Z, season N, A, M or Z (e.g. ZZZ, MAdM, ANN)",
			     s ? s : "");
}

/* ==== Results ==== */

void
kpi_fc_result_free(struct kpi_fc_result *r)
{
	if (!r)
		return;
	free(r->mean);
	free(r->lo);
	free(r->hi);
	free(r->fitted);
	memset(r, 0, sizeof(*r));
}

static double *
nan_array(size_t n)
{
	double *a = malloc((n ? n : 1) * sizeof(*a));
	size_t i;

	if (a)
		for (i = 0; i < n; i++)
			a[i] = NAN;
	return a;
}

enum kpi_status
kpi_fc_result_alloc(struct kpi_fc_result *out, size_t n,
		    const struct kpi_fc_spec *spec, struct kpi_error *err)
{
	size_t h = (size_t)spec->horizon, nl = spec->nlevels;

	memset(out, 0, sizeof(*out));
	if (nl > KPI_FC_MAX_LEVELS)
		nl = KPI_FC_MAX_LEVELS;
	out->h = spec->horizon;
	out->n = n;
	out->nlevels = nl;
	memcpy(out->levels, spec->levels, nl * sizeof(out->levels[0]));
	out->mean = nan_array(h);
	out->lo = nan_array(nl * h);
	out->hi = nan_array(nl * h);
	out->fitted = nan_array(n);
	out->loglik = out->aic = out->aicc = out->bic = out->sigma2 = NAN;
	if (!out->mean || !out->lo || !out->hi || !out->fitted) {
		kpi_fc_result_free(out);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	return KPI_OK;
}

static double *
copy_array(const double *src, size_t n)
{
	double *a = malloc((n ? n : 1) * sizeof(*a));

	if (a && n)
		memcpy(a, src, n * sizeof(*a));
	return a;
}

enum kpi_status
kpi_fc_result_copy(struct kpi_fc_result *dst, const struct kpi_fc_result *src,
		   struct kpi_error *err)
{
	size_t h = (size_t)src->h, nl = src->nlevels;

	*dst = *src;
	dst->mean = copy_array(src->mean, h);
	dst->lo = copy_array(src->lo, nl * h);
	dst->hi = copy_array(src->hi, nl * h);
	dst->fitted = copy_array(src->fitted, src->n);
	if (!dst->mean || !dst->lo || !dst->hi || !dst->fitted) {
		kpi_fc_result_free(dst);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	return KPI_OK;
}

void
kpi_fc_result_param(struct kpi_fc_result *r, const char *name, double value)
{
	if (r->nparam >= KPI_FC_MAX_PARAMS)
		return;
	snprintf(r->param_name[r->nparam], sizeof(r->param_name[0]), "%s",
		 name);
	r->param[r->nparam] = value;
	r->nparam++;
}

void
kpi_fc_intervals_symmetric(struct kpi_fc_result *r, const double *se,
			   double df)
{
	size_t l, i, h = (size_t)r->h;

	for (l = 0; l < r->nlevels; l++) {
		double p = 0.5 + r->levels[l] / 2.0;
		double q = df > 0 ? gsl_cdf_tdist_Pinv(p, df)
				  : gsl_cdf_ugaussian_Pinv(p);

		for (i = 0; i < h; i++) {
			double w = q * se[i];
			int ok = isfinite(w) && isfinite(r->mean[i]);

			r->lo[l * h + i] = ok ? r->mean[i] - w : NAN;
			r->hi[l * h + i] = ok ? r->mean[i] + w : NAN;
		}
	}
}

/* ==== Dispatch ==== */

static enum kpi_status
check_input(const double *y, size_t n, const struct kpi_fc_spec *spec,
	    struct kpi_error *err)
{
	size_t i;

	if (!spec)
		return kpi_error_set(err, KPI_EINVAL, 0, "no forecast spec");
	if (n < 1 || !y)
		return kpi_error_set(err, KPI_EINVAL, 0, "no observations");
	for (i = 0; i < n; i++)
		if (!isfinite(y[i]))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "observation %zu is not a finite number",
					     i + 1);
	if (spec->m < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "seasonal period %d is not >= 1", spec->m);
	if (spec->horizon < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "horizon %d is not >= 1", spec->horizon);
	if (spec->nlevels > KPI_FC_MAX_LEVELS)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "at most %d interval levels",
				     KPI_FC_MAX_LEVELS);
	for (i = 0; i < spec->nlevels; i++)
		if (!(spec->levels[i] > 0 && spec->levels[i] < 1))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "interval level %g is not between 0 and 1",
					     spec->levels[i]);
	if ((int)spec->method < 0 || spec->method >= KPI_FC_NMETHODS)
		return kpi_error_set(err, KPI_EINVAL, 0, "unknown method");
	if (spec->ets_spec && kpi_fc_ets_spec_check(spec->ets_spec, err))
		return KPI_EINVAL;
	return KPI_OK;
}

/* The model family that fits spec->method. */
static enum kpi_status
fit_family(const double *y, size_t n, const struct kpi_fc_spec *spec,
	   struct kpi_fc_result *r, struct kpi_error *err)
{
	enum kpi_status st;

	switch (spec->method) {
	case KPI_FC_AUTO:
		st = kpi_fc_auto(y, n, spec, r, err);
		break;
	case KPI_FC_NAIVE:
	case KPI_FC_SNAIVE:
	case KPI_FC_DRIFT:
	case KPI_FC_MEAN:
	case KPI_FC_CROSTON:
	case KPI_FC_SBA:
	case KPI_FC_TSB:
	case KPI_FC_TSLM:
		st = kpi_fc_simple(y, n, spec, r, err);
		break;
	case KPI_FC_SES:
	case KPI_FC_HOLT:
	case KPI_FC_DAMPED:
	case KPI_FC_HW:
	case KPI_FC_HWM:
	case KPI_FC_ETS:
		st = kpi_fc_ets(y, n, spec, r, err);
		break;
	case KPI_FC_THETA:
		st = kpi_fc_theta(y, n, spec, r, err);
		break;
	case KPI_FC_ARIMA:
		st = kpi_fc_arima(y, n, spec, r, err);
		break;
	case KPI_FC_DOTM:
		st = kpi_fc_dotm(y, n, spec, r, err);
		break;
	case KPI_FC_CES:
		st = kpi_fc_ces(y, n, spec, r, err);
		break;
	default:
		st = kpi_error_set(err, KPI_EINVAL, 0, "unknown method");
		break;
	}
	return st;
}

enum kpi_status
kpi_forecast(const double *y, size_t n, const struct kpi_fc_spec *spec,
	     struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_result r;
	enum kpi_status st;
	int i;

	st = check_input(y, n, spec, err);
	if (st != KPI_OK)
		return st;
	memset(&r, 0, sizeof(r));
	st = spec->seasonal_adjust ? kpi_fc_adjusted(y, n, spec, &r, err)
				   : fit_family(y, n, spec, &r, err);
	if (st == KPI_OK && (!r.mean || r.h != spec->horizon))
		st = kpi_error_set(err, KPI_ENUMERIC, 0,
				   "%s returned no forecasts",
				   kpi_fc_method_name(spec->method));
	for (i = 0; st == KPI_OK && i < r.h; i++)
		if (!isfinite(r.mean[i]))
			st = kpi_error_set(err, KPI_ENUMERIC, 0,
					   "%s: the forecast %d steps ahead is not finite",
					   r.model[0] ? r.model
						      : kpi_fc_method_name(spec->method),
					   i + 1);
	if (st != KPI_OK) {
		kpi_fc_result_free(&r);
		return st;
	}
	*out = r;
	return KPI_OK;
}
