/* forecast-dotm.c - the Dynamic Optimised Theta Model (DOTM). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "forecast-internal.h"

/*
 * Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler (2016), "Models for
 * optimising the theta method and their relationship to state space
 * models", IJF 32(4), section 3: the Theta method's two theta lines as a
 * state space model whose theta is estimated and whose linear trend is
 * re-estimated at every step.  After t values the state is the SES level
 * l_t, the mean ybar_t and the intercept and slope A_t, B_t of the
 * least-squares line through y_1..y_t, and
 *
 *   mu_{t+1} = l_t + (1 - 1/theta) [(1 - alpha)^t A_t
 *                                   + (1 - (1 - alpha)^(t+1)) / alpha B_t]
 *   l_{t+1}  = alpha y_{t+1} + (1 - alpha) l_t
 *   B_{t+1}  = ((t - 1) B_t + 6 (y_{t+1} - ybar_t) / (t + 1)) / (t + 2)
 *   ybar_{t+1} = (t ybar_t + y_{t+1}) / (t + 1)
 *   A_{t+1}  = ybar_{t+1} - (t + 2) / 2 B_{t+1}
 *
 * started at l_1 = alpha y_1 + (1 - alpha) l_0, ybar_1 = A_1 = y_1,
 * B_1 = 0, mu_1 = y_1.  As the authors' R package forecTheta (dotm(),
 * version 2.x), which we follow:
 *  - the parameters (l_0, alpha, theta) minimise the sum of the squared
 *    errors y_t - mu_t for t = 3..n, divided by mean |y|, by R's
 *    Nelder-Mead from (y_1 / 2, 0.5, 2) with alpha in [0.1, 0.99], theta
 *    >= 1 and |l_0| <= 1e10 (1e300 outside);
 *  - the forecasts run the same recursion with each forecast taking the
 *    place of the value, so A and B keep moving;
 *  - seasonal series are divided by classical multiplicative indices
 *    first and the forecasts and bounds multiplied back.
 * Deliberate differences:
 *  - the seasonal test and indices are those of our theta (R's thetaf():
 *    qnorm(0.95) instead of 1.64, only when n > 2m and every value is
 *    positive), so that both theta models adjust the same series;
 *  - forecTheta's intervals are quantiles of 200 simulated paths.  Every
 *    update above is linear in the values, so a future value's error is a
 *    linear combination psi of the innovations before it, and we give the
 *    exact normal intervals of those paths: mean -/+ z sigma sqrt(sum
 *    psi^2), sigma the standard deviation of the errors t = 3..n as
 *    forecTheta's sd();
 *  - the bound on l_0 is 1e10 times max(1, mean |y|), so that the start
 *    y_1 / 2 stays inside it for series of any size.
 */

#define DOTM_MIN_N 4

struct dotm_state {
	double level, mean, a, b;
	double decay;		/* (1 - alpha)^t after t values */
	size_t t;
};

struct dotm_par {
	double l0, alpha, theta;
};

static void
dotm_start(struct dotm_state *s, const struct dotm_par *p, double y1)
{
	s->level = p->alpha * y1 + (1.0 - p->alpha) * p->l0;
	s->mean = y1;
	s->a = y1;
	s->b = 0.0;
	s->decay = 1.0 - p->alpha;
	s->t = 1;
}

/* mu_{t+1}, the one-step prediction from the state after t values. */
static double
dotm_predict(const struct dotm_state *s, const struct dotm_par *p)
{
	double q = 1.0 - p->alpha;

	return s->level + (1.0 - 1.0 / p->theta) *
			  (s->decay * s->a + (1.0 - s->decay * q) / p->alpha *
					     s->b);
}

static void
dotm_update(struct dotm_state *s, const struct dotm_par *p, double y)
{
	double t = (double)s->t;

	s->level = p->alpha * y + (1.0 - p->alpha) * s->level;
	s->b = ((t - 1.0) * s->b + 6.0 * (y - s->mean) / (t + 1.0)) /
	       (t + 2.0);
	s->mean = (t * s->mean + y) / (t + 1.0);
	s->a = s->mean - (t + 2.0) / 2.0 * s->b;
	s->decay *= 1.0 - p->alpha;
	s->t++;
}

struct dotm_ctx {
	const double *x;
	size_t n;
	double cte;		/* mean |x|, the error scale */
	double l0max;
};

static int
dotm_par_ok(const struct dotm_par *p, double l0max)
{
	return p->l0 >= -l0max && p->l0 <= l0max && p->alpha >= 0.1 &&
	       p->alpha <= 0.99 && p->theta >= 1.0 && p->theta <= 1e10;
}

/* forecTheta's objective: the scaled SSE of the errors t = 3..n. */
static double
dotm_sse(const double *v, void *vctx)
{
	const struct dotm_ctx *c = vctx;
	struct dotm_par p = { v[0], v[1], v[2] };
	struct dotm_state s;
	double sse = 0.0;
	size_t t;

	if (!dotm_par_ok(&p, c->l0max))
		return 1e300;
	dotm_start(&s, &p, c->x[0]);
	for (t = 1; t < c->n; t++) {
		double e = (c->x[t] - dotm_predict(&s, &p)) / c->cte;

		if (t >= 2)
			sse += e * e;
		dotm_update(&s, &p, c->x[t]);
	}
	return sse;
}

/* Standard errors of the h forecasts relative to sigma: the square root of
 * the sum of squared psi weights, found by pushing a unit innovation at
 * each step through the linearised recursion (the state differences from
 * the forecast path, whose updates are linear and share its
 * coefficients). */
static void
dotm_relative_se(const struct dotm_state *end, const struct dotm_par *p,
		 int h, double *se)
{
	int i, j;

	for (i = 0; i < h; i++)
		se[i] = 0.0;
	for (j = 0; j < h; j++) {
		struct dotm_state d = *end;
		double *psi = se;

		/* d holds the deviations of level, mean, A and B; decay and
		 * t keep the forecast path's values, which set the
		 * coefficients of the step. */
		d.level = d.mean = d.a = d.b = 0.0;
		for (i = 0; i < h; i++) {
			double dy = dotm_predict(&d, p) + (i == j ? 1.0 : 0.0);

			if (i >= j)
				psi[i] += dy * dy;
			dotm_update(&d, p, dy);
		}
	}
	for (i = 0; i < h; i++)
		se[i] = sqrt(se[i]);
}

enum kpi_status
kpi_fc_dotm(const double *y, size_t n, const struct kpi_fc_spec *spec,
	    struct kpi_fc_result *out, struct kpi_error *err)
{
	struct dotm_ctx c;
	struct dotm_state s;
	struct dotm_par p;
	double *x = NULL, *figure = NULL, *se = NULL;
	double v[3], scale, sum = 0.0, sum2 = 0.0, sigma;
	size_t t, l, m = (size_t)spec->m, h = (size_t)spec->horizon;
	enum kpi_status st;
	int seasonal;

	if (n < DOTM_MIN_N)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "dotm needs at least %d observations",
				     DOTM_MIN_N);
	x = malloc(n * sizeof(*x));
	figure = malloc(m * sizeof(*figure));
	se = malloc(h * sizeof(*se));
	if (!x || !figure || !se) {
		st = kpi_error_set(err, KPI_ENOMEM, 0, "dotm: out of memory");
		goto done;
	}
	scale = kpi_fc_pow2_scale(y, n);
	for (t = 0; t < n; t++)
		x[t] = y[t] / scale;
	seasonal = kpi_fc_theta_seasonality(x, n, spec->m, figure);
	if (seasonal)
		for (t = 0; t < n; t++)
			x[t] /= figure[t % m];

	c.x = x;
	c.n = n;
	c.cte = 0.0;
	for (t = 0; t < n; t++)
		c.cte += fabs(x[t]);
	c.cte /= (double)n;
	if (!(c.cte > 0.0))
		c.cte = 1.0;
	c.l0max = 1e10 * (c.cte > 1.0 ? c.cte : 1.0);
	v[0] = x[0] / 2.0;
	v[1] = 0.5;
	v[2] = 2.0;
	kpi_fc_nelder_mead(dotm_sse, &c, v, 3, 1.490116119384765625e-8, 500);
	p.l0 = v[0];
	p.alpha = v[1];
	p.theta = v[2];
	if (!dotm_par_ok(&p, c.l0max)) {
		st = kpi_error_set(err, KPI_ENUMERIC, 0,
				   "dotm: the fit did not converge");
		goto done;
	}

	st = kpi_fc_result_alloc(out, n, spec, err);
	if (st != KPI_OK)
		goto done;
	snprintf(out->model, sizeof(out->model), "DOTM%s",
		 seasonal ? " (seasonally adjusted)" : "");
	dotm_start(&s, &p, x[0]);
	out->fitted[0] = x[0];
	for (t = 1; t < n; t++) {
		out->fitted[t] = dotm_predict(&s, &p);
		if (t >= 2) {
			double e = x[t] - out->fitted[t];

			sum += e;
			sum2 += e * e;
		}
		dotm_update(&s, &p, x[t]);
	}
	/* sd() of the n - 2 errors: n - 3 degrees of freedom. */
	sigma = sqrt(fmax(0.0, (sum2 - sum * sum / (double)(n - 2)) /
				   (double)(n - 3)));
	dotm_relative_se(&s, &p, spec->horizon, se);
	for (t = 0; t < h; t++) {
		out->mean[t] = dotm_predict(&s, &p);
		dotm_update(&s, &p, out->mean[t]);
		se[t] *= sigma;
	}
	kpi_fc_intervals_symmetric(out, se, 0);
	for (t = 0; t < h; t++) {
		double f = (seasonal ? figure[(n + t) % m] : 1.0) * scale;

		out->mean[t] *= f;
		for (l = 0; l < out->nlevels; l++) {
			out->lo[l * h + t] *= f;
			out->hi[l * h + t] *= f;
			if (isinf(out->lo[l * h + t]) ||
			    isinf(out->hi[l * h + t])) {
				st = kpi_error_set(err, KPI_ENUMERIC, 0,
						   "dotm: the prediction intervals overflow");
				goto done;
			}
		}
	}
	for (t = 0; t < n; t++)
		out->fitted[t] *= (seasonal ? figure[t % m] : 1.0) * scale;
	out->sigma2 = sigma * sigma * scale * scale;
	kpi_fc_result_param(out, "l0", p.l0 * scale);
	kpi_fc_result_param(out, "alpha", p.alpha);
	kpi_fc_result_param(out, "theta", p.theta);
	st = KPI_OK;
done:
	free(se);
	free(figure);
	free(x);
	return st;
}
