/* forecast-auto.c - the default method: a combination of the automatic
 * model families, with a fallback that never fails for n >= 1.
 *
 * The rule, in one place so that it can be tuned:
 *  1. Fit every member of `members` (automatic ETS, Theta, automatic
 *     ARIMA, DOTM, automatic CES, and the damped trend ETS(A,Ad,N) of
 *     Gardner & McKenzie 1985, on non-seasonal series the DAMPEN
 *     benchmark of the M3 competition) to the series.  A member that
 *     returns an error (too short, refused, not built) is left out.
 *  2. Point forecasts: the `point` combination of the members that
 *     fitted, step by step: the trimmed mean, which drops the highest and
 *     the lowest forecast and averages the others (with three members the
 *     median, with two the mean).  The equal-weight mean of ETS, Theta and
 *     ARIMA is the "comb" benchmark of the M3 and M4 work (Makridakis,
 *     Spiliotis & Assimakopoulos 2020); the median of ETS, CES, ARIMA and
 *     DOTM is SCUM (Petropoulos & Svetunkov 2020, "A simple combination
 *     of univariate models", IJF 36(1)); the trimmed mean (Jose & Winkler
 *     2008, "Simple robust averages of forecasts", IJF 24(1)) lies between
 *     the two.  The rule was chosen on a validation split, never on the M3
 *     test set: fitted to each M3 training series without its last h
 *     values and scored on those (bench/m3.sh --validate), the sMAPE over
 *     all series x horizons was 13.51 for the mean of ETS, Theta and ARIMA,
 *     13.32 for the mean of the four without CES, 13.15 for SCUM, 13.20
 *     for the mean, 13.08 for the median and 13.06 for the trimmed mean
 *     of the first five, and 13.04 for the trimmed mean of all six (13.08
 *     with the damped trend of the seasonally adjusted series, which
 *     did worse on the quarterly and monthly series: see
 *     bench/README.md).  The damped trend ignores the season of seasonal
 *     series and is kept there too, as it helped them a little on
 *     validation.  Weights per series did worse: the inverse of each
 *     member's in-sample MSE 13.22, of its sMAPE on the series' own last
 *     h values (fitted without them) 13.24 (bench/m3-combine.py).
 *  3. Interval bounds: the `lower` and `upper` combinations of the
 *     members' bounds, level by level and step by step (members without
 *     bounds are left out, and so is the damped trend when m > 1: its
 *     interval does not model the season).  The envelope (lowest lower
 *     bound, highest upper bound; Gaba, Tsetlin & Winkler 2017,
 *     "Combining interval forecasts", Decision Analysis 14(1)), because
 *     each member's interval ignores the model uncertainty the others
 *     reveal: averaging the bounds of ETS, Theta and ARIMA
 *     (Vincentization: Lichtendahl, Grushka-Cockayne & Winkler 2013)
 *     covered only 91.8% of the M3 test points at 95%, their envelope
 *     95.6%.  On the validation split the envelope of the six covered
 *     95.9% with a mean scaled interval score of 11.72, that of the five
 *     (the damped trend's bounds left out everywhere) 95.0% and 10.25,
 *     and this rule 95.2% and 10.17.
 *  4. Fitted values: the same combination of the members' fitted values.
 *  5. No member fitted, or fewer than `min_n` observations (one or two
 *     points say nothing about the spread, though a member may fit them
 *     with intervals of width zero, as R's ets() and auto.arima() do):
 *     seasonal naive when the series has at least two full seasons, naive
 *     otherwise (naive works for any n >= 1, with empty bounds for n = 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/forecast.h"

enum combine {
	COMBINE_MEAN,
	COMBINE_MEDIAN,
	COMBINE_TRIMMED,	/* the mean without the highest and the lowest */
	COMBINE_MIN,
	COMBINE_MAX,
};

struct member {
	enum kpi_fc_method method;
	int seasonal;		/* models a season: its bounds count when m > 1 */
};

static const struct {
	struct member members[6];
	size_t nmembers;
	enum combine point;
	enum combine lower, upper;
	size_t min_n;
} rule = {
	{ { KPI_FC_ETS, 1 }, { KPI_FC_THETA, 1 }, { KPI_FC_ARIMA, 1 },
	  { KPI_FC_DOTM, 1 }, { KPI_FC_CES, 1 }, { KPI_FC_DAMPED, 0 } }, 6,
	COMBINE_TRIMMED,
	COMBINE_MIN, COMBINE_MAX,
	3,
};

#define MAX_MEMBERS (sizeof(rule.members) / sizeof(rule.members[0]))

/* Combine the finite values among x[0..k-1]; NaN when none is finite. */
static double
combine(enum combine how, double *x, size_t k)
{
	size_t i, j = 0;
	double s = 0;

	for (i = 0; i < k; i++)
		if (isfinite(x[i]))
			x[j++] = x[i];
	if (j == 0)
		return NAN;
	if (how == COMBINE_MIN || how == COMBINE_MAX) {
		for (i = 1; i < j; i++)
			if ((how == COMBINE_MIN) == (x[i] < x[0]))
				x[0] = x[i];
		return x[0];
	}
	if (how == COMBINE_MEDIAN || how == COMBINE_TRIMMED) {
		/* Insertion sort: k is tiny. */
		for (i = 1; i < j; i++) {
			double v = x[i];
			size_t p = i;

			for (; p > 0 && x[p - 1] > v; p--)
				x[p] = x[p - 1];
			x[p] = v;
		}
		if (how == COMBINE_MEDIAN)
			return j % 2 ? x[j / 2]
				     : (x[j / 2 - 1] + x[j / 2]) / 2.0;
		if (j >= 3) {
			x++;
			j -= 2;
		}
	}
	for (i = 0; i < j; i++)
		s += x[i];
	return s / (double)j;
}

/* Whether member f has finite bounds at every level at step i. */
static int
has_bounds(const struct kpi_fc_result *f, size_t i)
{
	size_t l, h = (size_t)f->h;

	for (l = 0; l < f->nlevels; l++)
		if (!isfinite(f->lo[l * h + i]) || !isfinite(f->hi[l * h + i]))
			return 0;
	return 1;
}

/* The interval bounds of step i, level by level, combined over the
 * members j with use[j] set that have bounds at every level of that step.
 * Taking the same members at every level keeps the intervals nested (a
 * member whose 95% bound overflowed while its 80% bound did not would
 * otherwise widen the 80% interval alone).  A member without bounds may still pull the point
 * forecast outside the others' envelope; the interval then stretches to
 * the point, so that it always holds it. */
static void
combine_bounds(const struct kpi_fc_result *fit, const int *use, size_t k,
	       struct kpi_fc_result *out, size_t i)
{
	double lo[MAX_MEMBERS], hi[MAX_MEMBERS];
	size_t j, l, m, h = (size_t)out->h;
	double mu = out->mean[i];

	for (l = 0; l < out->nlevels; l++) {
		for (j = m = 0; j < k; j++) {
			if (!use[j] || !has_bounds(&fit[j], i))
				continue;
			lo[m] = fit[j].lo[l * h + i];
			hi[m++] = fit[j].hi[l * h + i];
		}
		if (m == 0) {
			out->lo[l * h + i] = out->hi[l * h + i] = NAN;
			continue;
		}
		out->lo[l * h + i] = fmin(combine(rule.lower, lo, m), mu);
		out->hi[l * h + i] = fmax(combine(rule.upper, hi, m), mu);
	}
}

static enum kpi_status
fallback(const double *y, size_t n, const struct kpi_fc_spec *spec,
	 struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_spec s = *spec;

	s.method = spec->m > 1 && n >= 2 * (size_t)spec->m ? KPI_FC_SNAIVE
							    : KPI_FC_NAIVE;
	return kpi_fc_simple(y, n, &s, out, err);
}

enum kpi_status
kpi_fc_auto(const double *y, size_t n, const struct kpi_fc_spec *spec,
	    struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_result fit[MAX_MEMBERS];
	struct kpi_fc_spec s = *spec;
	size_t k = 0, i, j, h = (size_t)spec->horizon, len;
	double x[MAX_MEMBERS];
	int bounds[MAX_MEMBERS];	/* fit[j]'s bounds join the interval */
	struct kpi_error ignored;
	enum kpi_status st;

	memset(fit, 0, sizeof(fit));
	s.ets_spec = NULL;
	for (i = 0; n >= rule.min_n && i < rule.nmembers; i++) {
		s.method = rule.members[i].method;
		if (kpi_forecast(y, n, &s, &fit[k], &ignored) == KPI_OK)
			bounds[k++] = spec->m == 1 || rule.members[i].seasonal;
	}
	if (k == 0)
		return fallback(y, n, spec, out, err);
	if (k == 1) {
		*out = fit[0];
		return KPI_OK;
	}
	st = kpi_fc_result_alloc(out, n, spec, err);
	if (st != KPI_OK)
		goto done;
	for (i = 0; i < h; i++) {
		for (j = 0; j < k; j++)
			x[j] = fit[j].mean[i];
		out->mean[i] = combine(rule.point, x, k);
		combine_bounds(fit, bounds, k, out, i);
	}
	{
		double ss = 0;
		size_t nres = 0;

		for (i = 0; i < n; i++) {
			int all = 1;

			for (j = 0; j < k; j++) {
				x[j] = fit[j].fitted[i];
				all = all && isfinite(x[j]);
			}
			out->fitted[i] = all ? combine(rule.point, x, k) : NAN;
			if (all) {
				ss += (y[i] - out->fitted[i]) *
				      (y[i] - out->fitted[i]);
				nres++;
			}
		}
		out->sigma2 = nres ? ss / (double)nres : NAN;
	}
	/* "Trimmed(ETS(M,Ad,N),Theta,ARIMA(0,1,1),DOTM,CES(N),ETS(A,Ad,N))",
	 * cut to the field. */
	len = (size_t)snprintf(out->model, sizeof(out->model), "%s(",
			       rule.point == COMBINE_MEAN     ? "Mean"
			       : rule.point == COMBINE_MEDIAN ? "Median"
							      : "Trimmed");
	for (j = 0; j < k && len < sizeof(out->model); j++)
		len += (size_t)snprintf(out->model + len,
					sizeof(out->model) - len, "%s%s",
					j ? "," : "", fit[j].model);
	if (len < sizeof(out->model))
		snprintf(out->model + len, sizeof(out->model) - len, ")");
	kpi_fc_result_param(out, "members", (double)k);
	st = KPI_OK;
done:
	for (j = 0; j < k; j++)
		kpi_fc_result_free(&fit[j]);
	return st;
}
