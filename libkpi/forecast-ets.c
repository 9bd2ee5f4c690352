/* forecast-ets.c - exponential smoothing in state space form (ETS), fitted,
 * selected and forecast the way R's forecast::ets() and forecast.ets() do.
 *
 * The models are those of Hyndman, Koehler, Ord & Snyder (2008), "Forecasting
 * with Exponential Smoothing: the State Space Approach" (HKOS below), in the
 * error-correction form of Hyndman, Koehler, Snyder & Grose (2002): error
 * A or M, trend N, A or Ad, season N, A or M.  As in ets() (forecast 8.20):
 *  - the initial states come from a classical decomposition of the first
 *    seasons and a regression on the first observations (its initstate());
 *  - the smoothing parameters and the initial states are estimated together
 *    by maximum likelihood, within the "usual" bounds and the admissible
 *    region (HKOS ch. 10), by Nelder-Mead with a wall outside them;
 *  - "Z" components are chosen by AICc, and the same combinations are
 *    excluded: additive error with multiplicative season, seasonal models
 *    for m = 1, m > 24 or n <= m, multiplicative error for data <= 0;
 *  - very short series get Holt-Winters with simple starting values, as
 *    ets() hands them to HoltWintersZZ();
 *  - the forecast variances are the analytic ones of HKOS ch. 6 (classes 1,
 *    2 and 3, with R's conventions); simulated paths are the fallback when
 *    those are not finite.
 *
 * Why our own Nelder-Mead rather than GSL's nmsimplex2: ets() runs the Nash
 * (1990) variant from a first simplex of steps of 10% of the largest value
 * (usually the level), which leaves the initial states nearly where
 * initstate() put them.  With that optimiser and start we reproduce ets()'s
 * choices and forecasts on the M3 data (sMAPE equal to R's in every
 * frequency); nmsimplex2, from better-scaled steps, finds higher
 * likelihoods, picks trended models more often and forecasts worse (yearly
 * 17.21 against 17.00, monthly 14.31 against 14.14).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "kpi/forecast.h"
#include "forecast-internal.h"

enum { ERR_ADD = 0, ERR_MUL = 1 };
enum { TR_NONE = 0, TR_ADD = 1 };
enum { SE_NONE = 0, SE_ADD = 1, SE_MUL = 2 };

#define ETS_MAX_M 24		/* ets(): "frequency too high" above this */
#define ETS_MAX_PAR (4 + 2 + ETS_MAX_M)
#define ETS_MAX_EVALS 2000	/* ets()'s maxit: function evaluations */
#define ETS_DEFAULT_NSIM 5000
#define ETS_MAX_NSIM 1000000

/* ets()'s default bounds for alpha, beta, gamma, phi. */
static const double lower_b[4] = {1e-4, 1e-4, 1e-4, 0.8};
static const double upper_b[4] = {0.9999, 0.9999, 0.9999, 0.98};

struct ets_model {
	int error, trend, damped, season;
};

/* Smoothing parameters; phi is 1 and beta, gamma 0 where the model has
 * none. */
struct ets_par {
	double alpha, beta, gamma, phi;
};

/* A fitted model: what selection compares and what the forecasts need. */
struct ets_fit {
	struct ets_model mod;
	int m;			/* 1 when there is no season */
	int hw;			/* fitted by the short-series Holt-Winters */
	struct ets_par p;
	double l0, b0;
	double s0[ETS_MAX_M];	/* s1..sm of HKOS: s0[0] the most recent */
	double beta_out;	/* beta as reported and used by the variances */
	int np;			/* free parameters: smoothing + states */
	double lik;		/* -2 log-likelihood up to a constant */
	double aic, aicc, bic, sigma2;
};

/* ==== Model names and specifications ==== */

static void
model_name(const struct ets_model *md, char *buf, size_t size)
{
	static const char etype[] = "AM", stype[] = "NAM";
	const char *t = md->trend == TR_NONE ? "N" : md->damped ? "Ad" : "A";

	snprintf(buf, size, "ETS(%c,%s,%c)", etype[md->error], t,
		 stype[md->season]);
}

/* A parsed "EXS" specification: each component a set of candidates. */
struct ets_spec {
	int err[2], nerr;
	int trend[2], ntrend;
	int damped[2], ndamped;
	int season[3], nseason;
};

static enum kpi_status
spec_parse(const char *s, struct ets_spec *sp, struct kpi_error *err)
{
	const char *p = s;

	memset(sp, 0, sizeof(*sp));
	sp->ndamped = 1;
	switch (*p++) {
	case 'A': sp->err[sp->nerr++] = ERR_ADD; break;
	case 'M': sp->err[sp->nerr++] = ERR_MUL; break;
	case 'Z':
		sp->err[sp->nerr++] = ERR_ADD;
		sp->err[sp->nerr++] = ERR_MUL;
		break;
	default: goto bad;
	}
	switch (*p++) {
	case 'N': sp->trend[sp->ntrend++] = TR_NONE; break;
	case 'A':
		sp->trend[sp->ntrend++] = TR_ADD;
		if (*p == 'd') {
			sp->damped[0] = 1;
			p++;
		}
		break;
	case 'Z':
		sp->trend[sp->ntrend++] = TR_NONE;
		sp->trend[sp->ntrend++] = TR_ADD;
		sp->damped[0] = 1;	/* ets() tries damped first */
		sp->damped[1] = 0;
		sp->ndamped = 2;
		break;
	case 'M':
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS \"%s\": multiplicative trend is not "
				     "supported (use N, A or Ad)", s);
	default: goto bad;
	}
	switch (*p++) {
	case 'N': sp->season[sp->nseason++] = SE_NONE; break;
	case 'A': sp->season[sp->nseason++] = SE_ADD; break;
	case 'M': sp->season[sp->nseason++] = SE_MUL; break;
	case 'Z':
		sp->season[sp->nseason++] = SE_NONE;
		sp->season[sp->nseason++] = SE_ADD;
		sp->season[sp->nseason++] = SE_MUL;
		break;
	default: goto bad;
	}
	if (*p == '\0')
		return KPI_OK;
bad:
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "ETS model \"%s\" is not error (A, M, Z), trend "
			     "(N, A, Ad, Z) and season (N, A, M, Z), e.g. "
			     "\"ZZZ\" or \"MAdM\"", s);
}

/* ==== Parameter space ==== */

/* All roots of c[0] + c[1] z + ... + c[d] z^d strictly inside the unit
 * circle?  The Schur-Cohn recursion: p is stable iff |c0| < |cd| and the
 * degree d-1 polynomial (cd p(z) - c0 p*(z)) / z is stable, p* being p
 * with its coefficients reversed.  The coefficients are not normalised at
 * each step (that would put a division on the critical path), only
 * rescaled when their size drifts far from 1. */
static int
schur_stable(double *c, int d)
{
	double buf[ETS_MAX_M + 2], *a = c, *q = buf, *t;

	while (d > 0) {
		double lead = a[d], c0 = a[0];
		int k;

		if (!(fabs(c0) < fabs(lead)))
			return 0;
		for (k = 0; k < d; k++)
			q[k] = lead * a[k + 1] - c0 * a[d - 1 - k];
		t = a;
		a = q;
		q = t;
		d--;
		if (fabs(a[d]) < 1e-100 || fabs(a[d]) > 1e100) {
			double inv = 1.0 / fabs(a[d]);

			if (!isfinite(inv) || inv == 0.0)
				return 0;
			for (k = 0; k <= d; k++)
				a[k] *= inv;
		}
	}
	return 1;
}

/* ets()'s admissible(): the region where the model is forecastable (HKOS
 * ch. 10).  For seasonal models, the roots of
 *   phi (1-a-g) + (a+b-a phi+g-1) z + (a+b-a phi) (z^2+...+z^{m-1})
 *   + (a+b-phi) z^m + z^{m+1}
 * must lie in the unit disc; ets() allows 1e-10 beyond it, we test the
 * disc of radius 1 + 1e-6, which also keeps the structural unit root of
 * the undamped trendless models (it is exactly at 1) inside. */
static int
admissible(const struct ets_par *p, int has_beta, int has_gamma, int m)
{
	double a = p->alpha, b = has_beta ? p->beta : 0.0, g = p->gamma;
	double phi = p->phi, c[ETS_MAX_M + 2], r = 1.0 + 1e-6, rk = 1.0;
	int k;

	if (phi < 0.0 || phi > 1.0 + 1e-8)
		return 0;
	if (!has_gamma) {
		if (a < 1.0 - 1.0 / phi || a > 1.0 + 1.0 / phi)
			return 0;
		if (has_beta && (b < a * (phi - 1.0) ||
				 b > (1.0 + phi) * (2.0 - a)))
			return 0;
		return 1;
	}
	if (m <= 1)
		return 1;
	if (g < fmax(1.0 - 1.0 / phi - a, 0.0) || g > 1.0 + 1.0 / phi - a)
		return 0;
	if (a < 1.0 - 1.0 / phi - g * (1.0 - m + phi + phi * m) /
	    (2.0 * phi * m))
		return 0;
	if (b < -(1.0 - phi) * (g / m + a))
		return 0;
	c[0] = phi * (1.0 - a - g);
	c[1] = a + b - a * phi + g - 1.0;
	for (k = 2; k < m; k++)
		c[k] = a + b - a * phi;
	c[m] = a + b - phi;
	c[m + 1] = 1.0;
	/* p(r w): the roots of p inside radius r are those of this in 1. */
	for (k = 0; k <= m + 1; k++) {
		c[k] *= rk;
		rk *= r;
	}
	return schur_stable(c, m + 1);
}

/* ets()'s check.param() with bounds = "usual" (admissible() adds the rest
 * of "both"); written so that a NaN fails. */
static int
params_usual(const struct ets_model *md, const struct ets_par *p)
{
	if (!(p->alpha >= lower_b[0] && p->alpha <= upper_b[0]))
		return 0;
	if (md->trend != TR_NONE &&
	    !(p->beta >= lower_b[1] && p->beta <= p->alpha &&
	      p->beta <= upper_b[1]))
		return 0;
	if (md->damped && !(p->phi >= lower_b[3] && p->phi <= upper_b[3]))
		return 0;
	if (md->season != SE_NONE &&
	    !(p->gamma >= lower_b[2] && p->gamma <= 1.0 - p->alpha &&
	      p->gamma <= upper_b[2]))
		return 0;
	return 1;
}

static int
params_ok(const struct ets_model *md, int m, const struct ets_par *p)
{
	return params_usual(md, p) &&
	       admissible(p, md->trend != TR_NONE, md->season != SE_NONE, m);
}

/* ==== The state recursion and the likelihood ==== */

/* What one pass over the data needs.  The seasonal states live in seas[]
 * as a line rather than a ring: seas[t] is the state that forecasts y[t]
 * (s_{t-m} of HKOS), the pass writes seas[t + m], so nothing is shifted. */
struct ets_work {
	const double *y;
	size_t n;
	int m;
	struct ets_model mod;
	int nsm;		/* smoothing parameters in the vector */
	int npar;		/* length of the optimised vector */
	double *seas;		/* [2 (n + m)]: states, then reciprocals */
	double x0[ETS_MAX_PAR];	/* starting point, then the optimum */
	/* Nelder-Mead's simplex, values, trial points and vertex sum */
	double simplex[ETS_MAX_PAR + 1][ETS_MAX_PAR], fsimp[ETS_MAX_PAR + 1];
	double xr[ETS_MAX_PAR], xe[ETS_MAX_PAR], cen[ETS_MAX_PAR];
	double vsum[ETS_MAX_PAR];
	long nevals;
	/* the short-series Holt-Winters' fixed starting states */
	double hw_l0, hw_b0, hw_s[ETS_MAX_M];
};

/* One pass of the error-correction recursions (Hyndman et al. 2002,
 * Table 1; HKOS Table 2.3), which hold for both error types:
 *   q = l + phi b,  p = y - s or y / s,  d = p - q
 *   level   l = q + alpha d
 *   trend   b = phi b + beta d
 *   season  s = s + gamma d  or  s + gamma (y / q - s)
 * (ets() writes the trend update as phi b + (beta / alpha) (l_new - l -
 * phi b), the same thing since l_new - l - phi b = alpha d).  Returns -2
 * log L up to a constant, n log(SSE) + 2 sum log|mu_t| (the sum for
 * multiplicative errors only), as ets() defines it, or HUGE_VAL when the
 * recursion breaks down.
 *
 * This is the inner loop of the whole fit, so it is written for speed:
 *  - the loop carries q (next one-step forecast of level + trend) and b:
 *      q' = (1 - alpha - phi beta) q + (alpha + phi beta) p + phi^2 b
 *      b' = phi b + beta (p - q)
 *    which is the same algebra with a chain of one multiply-add per step;
 *  - a multiplicative season keeps 1/s next to s (in seas[n + m ..]) and
 *    gets y/q and 1/s' from a single division, 1 / (q D) with
 *    D = (1 - gamma) s q + gamma y = q s';
 *  - the sum of logs is the log of a running product, rescaled by
 *    powers of two (exactly) now and then, so the loop holds no log();
 *  - err, tr and se are constants at each call site, so each model gets
 *    its own loop. */
static inline __attribute__((always_inline)) double
recurse(const double *y, size_t n, int m, double *seas, double l, double b,
	const struct ets_par *p, int err, int tr, int se, double *fit,
	double *resid, double *state_out)
{
	const double a = p->alpha, beta = p->beta, phi = p->phi;
	const double g = p->gamma, g1 = 1.0 - g;
	const double c1 = 1.0 - a - phi * beta, c2 = a + phi * beta;
	const double phi2 = phi * phi;
	double *sinv = seas + n + (size_t)m;
	double sse = 0.0, prod = 1.0, logs = 0.0, lik, q;
	long scale = 0;		/* prod carries a factor 2^(800 scale) */
	size_t t;
	int k;

	if (se == SE_MUL)
		for (k = 0; k < m; k++)
			sinv[k] = 1.0 / seas[k];
	q = tr ? l + phi * b : l;
	for (t = 0; t < n; t++) {
		double yt = y[t], s = se ? seas[t] : 0.0;
		double f, e, pt, d;

		if (se == SE_MUL) {
			double is = sinv[t], D = g1 * s * q + g * yt;
			double inv = 1.0 / (q * D);

			f = q * s;
			pt = yt * is;
			e = err == ERR_MUL ? yt * D * inv * is - 1.0 : yt - f;
			seas[t + (size_t)m] = D * D * inv;
			sinv[t + (size_t)m] = q * q * inv;
		} else if (se == SE_ADD) {
			f = q + s;
			pt = yt - s;
			e = err == ERR_MUL ? yt / f - 1.0 : yt - f;
		} else {
			f = q;
			pt = yt;
			e = err == ERR_MUL ? yt / f - 1.0 : yt - f;
		}
		if (err == ERR_MUL) {
			double af = fabs(f);

			if (!(af >= 1e-10))
				return HUGE_VAL;
			if (af < 0x1p150) {
				prod *= af;
				if (prod > 0x1p800) {
					prod *= 0x1p-800;
					scale++;
				} else if (prod < 0x1p-800) {
					prod *= 0x1p800;
					scale--;
				}
			} else {
				logs += log(af);
			}
		}
		sse += e * e;
		d = pt - q;
		if (se == SE_ADD)
			seas[t + (size_t)m] = s + g * d;
		if (fit) {
			fit[t] = f;
			resid[t] = e;
		}
		if (tr) {
			double qn = c1 * q + (c2 * pt + phi2 * b);

			b = phi * b + beta * d;
			q = qn;
		} else {
			q = q + a * d;
		}
	}
	if (state_out) {	/* q = l + phi b after the last step */
		state_out[0] = tr ? q - phi * b : q;
		state_out[1] = b;
	}
	lik = (double)n * log(sse);
	if (err == ERR_MUL)
		lik += 2.0 * (logs + log(prod) + 800.0 * M_LN2 * (double)scale);
	if (isnan(lik) || lik == HUGE_VAL)
		return HUGE_VAL;
	if (lik < -1e10)	/* a perfect fit; ets() caps it the same way */
		lik = -1e10;
	return lik;
}

/* The pass for w's model, with the model's loop. */
static double
recurse_model(const struct ets_work *w, double l, double b,
	      const struct ets_par *p, double *fit, double *resid,
	      double *state_out)
{
	const double *y = w->y;
	size_t n = w->n;
	int m = w->m;
	double *s = w->seas, *f = fit, *r = resid, *so = state_out;

#define PASS(e, t, se) recurse(y, n, m, s, l, b, p, e, t, se, f, r, so)
	switch (w->mod.error * 6 + w->mod.trend * 3 + w->mod.season) {
	case 0: return PASS(ERR_ADD, TR_NONE, SE_NONE);
	case 1: return PASS(ERR_ADD, TR_NONE, SE_ADD);
	case 2: return PASS(ERR_ADD, TR_NONE, SE_MUL);
	case 3: return PASS(ERR_ADD, TR_ADD, SE_NONE);
	case 4: return PASS(ERR_ADD, TR_ADD, SE_ADD);
	case 5: return PASS(ERR_ADD, TR_ADD, SE_MUL);
	case 6: return PASS(ERR_MUL, TR_NONE, SE_NONE);
	case 7: return PASS(ERR_MUL, TR_NONE, SE_ADD);
	case 8: return PASS(ERR_MUL, TR_NONE, SE_MUL);
	case 9: return PASS(ERR_MUL, TR_ADD, SE_NONE);
	case 10: return PASS(ERR_MUL, TR_ADD, SE_ADD);
	default: return PASS(ERR_MUL, TR_ADD, SE_MUL);
	}
#undef PASS
}

/* The parameter vector is laid out as ets()'s: alpha, [beta], [gamma],
 * [phi], l0, [b0], [s_1 .. s_{m-1}].  The m-th seasonal state is not free:
 * the seasonal states sum to 0 (additive) or to m (multiplicative). */
static void
unpack(const struct ets_work *w, const double *x, struct ets_par *p,
       const double **states)
{
	int i = 1;

	p->alpha = x[0];
	p->beta = w->mod.trend ? x[i++] : 0.0;
	p->gamma = w->mod.season ? x[i++] : 0.0;
	p->phi = w->mod.damped ? x[i++] : 1.0;
	*states = x + i;
}

/* Lay the initial seasonal states s_1..s_{m-1} (and the normalised s_m)
 * into seas[0..m-1], oldest first; 0 when a multiplicative one is
 * negative, as ets() refuses those. */
static int
seed_season(struct ets_work *w, const double *s)
{
	int m = w->m, i;
	double sum = 0.0, last;

	for (i = 0; i < m - 1; i++) {
		w->seas[m - 1 - i] = s[i];
		sum += s[i];
	}
	last = (w->mod.season == SE_MUL ? (double)m : 0.0) - sum;
	w->seas[0] = last;
	if (w->mod.season == SE_MUL) {
		if (last < 0.0)
			return 0;
		for (i = 0; i < m - 1; i++)
			if (s[i] < 0.0)
				return 0;
	}
	return 1;
}

/* -2 log L of the full vector x, HUGE_VAL outside the parameter space. */
static double
objective_x(struct ets_work *w, const double *x)
{
	struct ets_par p;
	const double *st;

	unpack(w, x, &p, &st);
	if (!params_ok(&w->mod, w->m, &p))
		return HUGE_VAL;
	if (w->mod.season && !seed_season(w, st + 1 + w->mod.trend))
		return HUGE_VAL;
	return recurse_model(w, st[0], w->mod.trend ? st[1] : 0.0, &p, NULL,
			     NULL, NULL);
}

/* ==== Initial states: ets()'s initstate() ==== */

/* Least-squares line through (1, y0), ..., (k, y_{k-1}): intercept, slope. */
static void
line_fit(const double *y, size_t k, double *a, double *b)
{
	double mt = ((double)k + 1.0) / 2.0, my = 0.0, sxy = 0.0, sxx = 0.0;
	size_t i;

	for (i = 0; i < k; i++)
		my += y[i];
	my /= (double)k;
	for (i = 0; i < k; i++) {
		double dt = (double)(i + 1) - mt;

		sxy += dt * (y[i] - my);
		sxx += dt * dt;
	}
	*b = sxx > 0.0 ? sxy / sxx : 0.0;
	*a = my - *b * mt;
}

/* Seasonal component of a classical decomposition (R's decompose()): a
 * centred moving average (2 x m for even m) as the trend, the mean
 * detrended value of each season, normalised.  fig[k] is the figure of
 * y[k], y[k + m], ... */
static void
decompose_figure(const double *y, size_t n, int m, int mult, double *fig)
{
	size_t half = (size_t)m / 2, i;
	int k, cnt[ETS_MAX_M];
	double mean = 0.0;

	for (k = 0; k < m; k++) {
		fig[k] = 0.0;
		cnt[k] = 0;
	}
	for (i = half; i + half < n; i++) {
		double tr = 0.0;
		size_t j;

		if (m % 2 == 0) {
			tr = 0.5 * (y[i - half] + y[i + half]);
			for (j = i - half + 1; j < i + half; j++)
				tr += y[j];
		} else {
			for (j = i - half; j <= i + half; j++)
				tr += y[j];
		}
		tr /= (double)m;
		fig[i % (size_t)m] += mult ? y[i] / tr : y[i] - tr;
		cnt[i % (size_t)m]++;
	}
	for (k = 0; k < m; k++) {
		fig[k] = cnt[k] ? fig[k] / cnt[k] : NAN;
		mean += fig[k];
	}
	mean /= m;
	for (k = 0; k < m; k++)
		fig[k] = mult ? fig[k] / mean : fig[k] - mean;
}

/* Short seasonal series (n < 3m): ets() takes the seasonal part as what a
 * regression on a trend and one Fourier pair leaves over the trend line.
 * det[i] = y[i] - (c0 + c1 t) or y[i] / (c0 + c1 t), t = i + 1. */
static int
fourier_detrend(const double *y, size_t n, int m, int mult, double *det)
{
	/* for m = 2 the sine column is identically zero and R drops it */
	size_t p = m == 2 ? 3 : 4, i;
	gsl_matrix *X = gsl_matrix_alloc(n, p), *cov = gsl_matrix_alloc(p, p);
	gsl_vector *c = gsl_vector_alloc(p);
	gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(n, p);
	gsl_vector_const_view yv = gsl_vector_const_view_array(y, n);
	double chisq;
	int ok = 0;

	if (!X || !cov || !c || !ws)
		goto out;
	for (i = 0; i < n; i++) {
		double t = (double)(i + 1), ang = 2.0 * M_PI * t / m;

		gsl_matrix_set(X, i, 0, 1.0);
		gsl_matrix_set(X, i, 1, t);
		if (p == 4) {
			gsl_matrix_set(X, i, 2, sin(ang));
			gsl_matrix_set(X, i, 3, cos(ang));
		} else {
			gsl_matrix_set(X, i, 2, cos(ang));
		}
	}
	if (gsl_multifit_linear(X, &yv.vector, c, cov, &chisq, ws) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		double tr = gsl_vector_get(c, 0) +
			    gsl_vector_get(c, 1) * (double)(i + 1);

		det[i] = mult ? y[i] / tr : y[i] - tr;
	}
	ok = 1;
out:
	gsl_multifit_linear_free(ws);
	gsl_vector_free(c);
	gsl_matrix_free(cov);
	gsl_matrix_free(X);
	return ok;
}

/* Initial states as ets() makes them: st = l0, [b0], [s_1 .. s_{m-1}].
 * sa[] is scratch of n.  Returns the number of states, 0 on failure. */
static int
init_states(const double *y, size_t n, int m, int tr, int se, double *sa,
	    double *st)
{
	double fig[ETS_MAX_M];
	size_t maxn, i;
	int k = 0, j;

	if (se != SE_NONE) {
		int mult = se == SE_MUL;
		double sum = 0.0;

		if (n < 4)
			return 0;
		if (n < 3 * (size_t)m) {
			if (!fourier_detrend(y, n, m, mult, sa))
				return 0;
			for (j = 0; j < m; j++)
				fig[j] = sa[j];
		} else {
			decompose_figure(y, n, m, mult, fig);
			for (i = 0; i < n; i++)
				sa[i] = fig[i % (size_t)m];
		}
		/* sa[] now holds the seasonal component; s_j = figure of
		 * y[m - j] (the last season before the data, most recent
		 * first). */
		for (j = 0; j < m - 1; j++) {
			st[2 + j] = fig[m - 1 - j];
			if (!isfinite(st[2 + j]))
				return 0;
		}
		if (mult) {
			for (j = 0; j < m - 1; j++) {
				st[2 + j] = fmax(st[2 + j], 0.01);
				sum += st[2 + j];
			}
			if (sum > m)
				for (j = 0; j < m - 1; j++)
					st[2 + j] /= sum + 0.01 * (m - 1);
			for (i = 0; i < n; i++)
				sa[i] = y[i] / fmax(sa[i], 0.01);
		} else {
			for (i = 0; i < n; i++)
				sa[i] = y[i] - sa[i];
		}
	} else {
		m = 1;
		memcpy(sa, y, n * sizeof(*y));
	}
	maxn = (size_t)(2 * m > 10 ? 2 * m : 10);
	if (maxn > n)
		maxn = n;
	if (tr == TR_NONE) {
		double mean = 0.0;

		for (i = 0; i < maxn; i++)
			mean += sa[i];
		st[k++] = mean / (double)maxn;
	} else {
		double a, b;

		if (maxn < 2)
			return 0;
		line_fit(sa, maxn, &a, &b);
		if (fabs(a + b) < 1e-8) {
			a *= 1.0 + 0.001;
			b *= 1.0 - 0.001;
		}
		st[k++] = a;
		st[k++] = b;
	}
	if (se != SE_NONE) {
		if (k == 1)	/* no trend: close the gap left for b0 */
			memmove(st + 1, st + 2, (size_t)(m - 1) * sizeof(*st));
		k += m - 1;
	}
	for (j = 0; j < k; j++)
		if (!isfinite(st[j]))
			return 0;
	return k;
}

/* ==== Fitting one model ==== */

/* ets()'s initparam(): the starting smoothing parameters. */
static int
init_params(const struct ets_model *md, int m, double *x)
{
	double alpha, up;
	int k = 0;

	alpha = lower_b[0] + 0.2 * (upper_b[0] - lower_b[0]) / m;
	if (alpha > 1.0 || alpha < 0.0)
		alpha = lower_b[0] + 0.002;
	x[k++] = alpha;
	if (md->trend) {
		double beta;

		up = fmin(upper_b[1], alpha);
		beta = lower_b[1] + 0.1 * (up - lower_b[1]);
		if (beta < 0.0 || beta > alpha)
			beta = alpha - 0.001;
		x[k++] = beta;
	}
	if (md->season) {
		double gamma;

		up = fmin(upper_b[2], 1.0 - alpha);
		gamma = lower_b[2] + 0.05 * (up - lower_b[2]);
		if (gamma < 0.0 || gamma > 1.0 - alpha)
			gamma = 1.0 - alpha - 0.001;
		x[k++] = gamma;
	}
	if (md->damped) {
		double phi = lower_b[3] + 0.99 * (upper_b[3] - lower_b[3]);

		if (phi < 0.0 || phi > 1.0)
			phi = upper_b[3] - 0.001;
		x[k++] = phi;
	}
	return k;
}

/* Nelder-Mead as in Nash (1990), Compact Numerical Methods, Algorithm 19,
 * the variant behind R's optim() and so ets(): reflection 1, contraction
 * 0.5, expansion 2, a shrink towards the best vertex when a contraction
 * fails, the first simplex from steps of a tenth of the largest parameter,
 * and the stop when the values spread by less than reltol (|f0| + reltol).
 * Values outside the parameter space count as a large constant. */
#define NM_BIG 1.0e35

typedef double (*nm_fn)(struct ets_work *w, const double *x);

static double
nm_eval(struct ets_work *w, nm_fn fn, const double *x)
{
	double v;

	w->nevals++;
	v = fn(w, x);
	return isfinite(v) ? v : NM_BIG;
}

/* Replace vertex v by x, keeping the running sum of the vertices. */
static void
nm_replace(double *v, const double *x, double *sum, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		sum[i] += x[i] - v[i];
		v[i] = x[i];
	}
}

/* Move every vertex halfway to vertex lo; returns the sum of the
 * distances |x - x_lo| left. */
static double
nm_shrink(double (*P)[ETS_MAX_PAR], int lo, int n)
{
	double size = 0.0;
	int i, j;

	for (j = 0; j <= n; j++) {
		if (j == lo)
			continue;
		for (i = 0; i < n; i++) {
			P[j][i] = 0.5 * (P[j][i] - P[lo][i]) + P[lo][i];
			size += fabs(P[j][i] - P[lo][i]);
		}
	}
	return size;
}

static double
nm_minimise(struct ets_work *w, nm_fn fn, int n, long maxevals)
{
	int n1 = n + 1, i, j, lo = 0, hi, calc = 1;
	double (*P)[ETS_MAX_PAR] = w->simplex, *fv = w->fsimp;
	double *xr = w->xr, *xe = w->xe, *cen = w->cen, *sum = w->vsum;
	double step = 0.0, size = 0.0, oldsize, convtol, f0;
	const double reltol = 1.4901161193847656e-08;	/* sqrt(DBL_EPSILON) */

	w->nevals = 0;
	f0 = nm_eval(w, fn, w->x0);
	if (!(f0 < NM_BIG))
		return HUGE_VAL;
	convtol = reltol * (fabs(f0) + reltol);
	for (i = 0; i < n; i++)
		step = fmax(step, 0.1 * fabs(w->x0[i]));
	if (step == 0.0)
		step = 0.1;
	memcpy(P[0], w->x0, (size_t)n * sizeof(double));
	fv[0] = f0;
	for (j = 1; j < n1; j++) {
		double t = step;

		memcpy(P[j], w->x0, (size_t)n * sizeof(double));
		while (P[j][j - 1] == w->x0[j - 1]) {
			P[j][j - 1] = w->x0[j - 1] + t;
			t *= 10.0;
		}
		size += t;
	}
	oldsize = size;
	for (;;) {
		double vl, vh, vr, fc;

		if (calc) {
			for (j = 0; j < n1; j++)
				if (j != lo)
					fv[j] = nm_eval(w, fn, P[j]);
			for (i = 0; i < n; i++)
				sum[i] = 0.0;
			for (j = 0; j < n1; j++)
				for (i = 0; i < n; i++)
					sum[i] += P[j][i];
			calc = 0;
		}
		vl = fv[lo];
		vh = vl;
		hi = lo;
		for (j = 0; j < n1; j++) {
			if (j == lo)
				continue;
			if (fv[j] < vl) {
				lo = j;
				vl = fv[j];
			}
			if (fv[j] > vh) {
				hi = j;
				vh = fv[j];
			}
		}
		if (vh <= vl + convtol)
			break;
		for (i = 0; i < n; i++) {
			cen[i] = (sum[i] - P[hi][i]) / n;
			xr[i] = 2.0 * cen[i] - P[hi][i];
		}
		vr = nm_eval(w, fn, xr);
		if (vr < vl) {
			for (i = 0; i < n; i++)
				xe[i] = 2.0 * xr[i] - cen[i];
			fc = nm_eval(w, fn, xe);
			if (fc < vr) {
				nm_replace(P[hi], xe, sum, n);
				fv[hi] = fc;
			} else {
				nm_replace(P[hi], xr, sum, n);
				fv[hi] = vr;
			}
		} else {
			if (vr < vh) {
				nm_replace(P[hi], xr, sum, n);
				fv[hi] = vr;
			}
			for (i = 0; i < n; i++)
				xe[i] = 0.5 * P[hi][i] + 0.5 * cen[i];
			fc = nm_eval(w, fn, xe);
			if (fc < fv[hi]) {
				nm_replace(P[hi], xe, sum, n);
				fv[hi] = fc;
			} else if (vr >= vh) {
				/* shrink; stop when that no longer shrinks */
				calc = 1;
				size = nm_shrink(P, lo, n);
				if (!(size < oldsize))
					break;
				oldsize = size;
			}
		}
		if (w->nevals > maxevals)
			break;
	}
	memcpy(w->x0, P[lo], (size_t)n * sizeof(double));
	return fv[lo];
}

/* Fit one model by maximum likelihood (ets()'s etsmodel()): its starting
 * values, at most ETS_MAX_EVALS evaluations of Nelder-Mead.  Returns 0 and
 * fills *f, or -1 when the model cannot be fitted to this series.  sa[] is
 * scratch of n. */
static int
fit_model(struct ets_work *w, const struct ets_model *md, int m_data,
	  double *sa, struct ets_fit *f)
{
	struct ets_par p;
	const double *st;
	double lik, states[ETS_MAX_PAR], k, nn = (double)w->n;
	int m = md->season ? m_data : 1, nst, i, np;

	w->mod = *md;
	w->m = m;
	w->nsm = init_params(md, m, w->x0);
	nst = init_states(w->y, w->n, m, md->trend, md->season, sa, states);
	if (nst == 0)
		return -1;
	np = w->nsm + nst;
	w->npar = np;
	if ((size_t)np + 1 >= w->n)	/* ets(): np >= length(y) - 1 */
		return -1;
	for (i = 0; i < nst; i++)
		w->x0[w->nsm + i] = states[i];
	unpack(w, w->x0, &p, &st);
	if (!params_ok(md, m, &p))
		return -1;
	lik = nm_minimise(w, objective_x, np, ETS_MAX_EVALS);
	if (!(lik < NM_BIG))
		return -1;
	/* the optimum again, to leave its seasonal states in place */
	lik = objective_x(w, w->x0);
	if (!(lik < NM_BIG))
		return -1;
	memset(f, 0, sizeof(*f));
	f->mod = *md;
	f->m = m;
	unpack(w, w->x0, &f->p, &st);
	f->beta_out = f->p.beta;
	f->l0 = st[0];
	f->b0 = md->trend ? st[1] : 0.0;
	for (i = 0; i < m && md->season; i++)	/* most recent first */
		f->s0[i] = w->seas[m - 1 - i];
	f->np = np;
	/* ets() counts the variance too */
	k = np + 1.0;
	f->lik = lik;
	f->aic = lik + 2.0 * k;
	f->bic = lik + log(nn) * k;
	f->aicc = nn - k - 1.0 > 0.0 ?
		  f->aic + 2.0 * k * (k + 1.0) / (nn - k - 1.0) : HUGE_VAL;
	return 0;
}

/* ==== Very short series: ets()'s hand-off to HoltWintersZZ() ==== */

/* Holt-Winters with the simple starting values of HoltWintersZZ(): the
 * first observation (and the first difference), or the first season's mean
 * (and the mean change to the second season) with the first season's
 * deviations.  Its recursions are the ETS ones with beta = alpha * beta*
 * (beta* the Holt-Winters trend parameter), so the same pass serves; the
 * parameters are fitted by least squares in [0, 1] (R uses L-BFGS-B, we
 * the same Nelder-Mead as above, with a wall at the box). */
static void
hw_par(const struct ets_work *w, const double *v, struct ets_par *p,
       double *beta_hw)
{
	int i = 1;

	p->alpha = v[0];
	*beta_hw = w->mod.trend ? v[i++] : 0.0;
	p->gamma = w->mod.season ? v[i++] : 0.0;
	p->phi = 1.0;
	p->beta = p->alpha * *beta_hw;
}

static double
hw_objective(struct ets_work *w, const double *v)
{
	struct ets_par p;
	double c[3] = {0.0, 0.0, 0.0}, out = 0.0, bhw, lik;
	int i, k = 1 + w->mod.trend + (w->mod.season != SE_NONE);

	/* a point outside [0, 1] counts as its projection on the box, a
	 * little worse, so that the simplex can rest on a face */
	for (i = 0; i < k; i++) {
		c[i] = fmin(fmax(v[i], 0.0), 1.0);
		out += fabs(v[i] - c[i]);
	}
	hw_par(w, c, &p, &bhw);
	for (i = 0; i < w->m && w->mod.season; i++)
		w->seas[i] = w->hw_s[i];
	/* additive errors: n log(SSE), the least-squares criterion */
	lik = recurse(w->y, w->n, w->m, w->seas, w->hw_l0, w->hw_b0, &p,
		      ERR_ADD, w->mod.trend, w->mod.season, NULL, NULL, NULL);
	return lik + out;
}

/* Returns 0, or -1 when the series is too short for these starting
 * values. */
static int
hw_fit(struct ets_work *w, int m_data, int tr, int se, struct ets_fit *f)
{
	const double *y = w->y;
	size_t n = w->n;
	int m = se ? m_data : 1, k = 1, j;
	struct ets_par p;
	double bhw;

	w->mod.error = se == SE_MUL ? ERR_MUL : ERR_ADD;
	w->mod.trend = tr;
	w->mod.damped = 0;
	w->mod.season = se;
	w->m = m;
	w->hw_b0 = 0.0;
	if (se) {
		double a = 0.0, b = 0.0;

		if (n < 2 * (size_t)m)
			return -1;
		for (j = 0; j < m; j++) {
			a += y[j];
			b += y[j + m];
		}
		w->hw_l0 = a / m;
		w->hw_b0 = (b / m - w->hw_l0) / m;
		for (j = 0; j < m; j++) {
			if (se == SE_MUL && !(y[j] > 0.0))
				return -1;
			w->hw_s[j] = se == SE_ADD ? y[j] - w->hw_l0 :
				     y[j] / w->hw_l0;
		}
	} else {
		w->hw_l0 = y[0];
		if (tr) {
			if (n < 2)
				return -1;
			w->hw_b0 = y[1] - y[0];
		}
	}
	/* initparam() with bounds [0, 1] and the data's frequency */
	w->x0[0] = 0.2 / m_data;
	if (tr)
		w->x0[k++] = 0.1 * w->x0[0];
	if (se)
		w->x0[k++] = 0.05 * (1.0 - w->x0[0]);
	if (!(nm_minimise(w, hw_objective, k, ETS_MAX_EVALS) < NM_BIG))
		return -1;
	memset(f, 0, sizeof(*f));
	for (j = 0; j < k; j++)
		w->x0[j] = fmin(fmax(w->x0[j], 0.0), 1.0);
	hw_par(w, w->x0, &p, &bhw);
	f->mod = w->mod;
	f->m = m;
	f->hw = 1;
	f->p = p;
	f->l0 = w->hw_l0;
	f->b0 = w->hw_b0;
	for (j = 0; j < m && se; j++)
		f->s0[j] = w->hw_s[m - 1 - j];
	/* R reports beta* as "beta" and so feeds it to the variances */
	f->beta_out = bhw;
	f->np = k;
	f->lik = f->aic = f->aicc = f->bic = NAN;
	return 0;
}

/* ==== Forecast means and variances (HKOS ch. 6; R's forecast.ets) ==== */

/* The state after the data: x = (l, b, s_1..s_m), s_1 the most recent. */
struct ets_state {
	double l, b;
	double s[ETS_MAX_M];
};

/* x <- F x for the linear models: l + phi b, phi b, and the seasons moved
 * on by one (s_1 takes s_m). */
static void
apply_f(const struct ets_fit *f, double *l, double *b, double *s)
{
	int k;

	*l += f->p.phi * *b;
	*b *= f->p.phi;
	if (f->mod.season) {
		double last = s[f->m - 1];

		for (k = f->m - 1; k > 0; k--)
			s[k] = s[k - 1];
		s[0] = last;
	}
}

static double
apply_h(const struct ets_fit *f, double l, double b, const double *s)
{
	return l + f->p.phi * b + (f->mod.season ? s[f->m - 1] : 0.0);
}

/* Classes 1 and 2: mu_j = w' F^{j-1} x and c_j = w' F^{j-1} g (HKOS
 * 6.2-6.3); the variance of class 1 is sigma2 (1 + sum_{i<j} c_i^2), that
 * of class 2 comes from theta_j = mu_j^2 + sigma2 sum_{i<j} c_i^2
 * theta_{j-i} as (1 + sigma2) theta_j - mu_j^2. */
static void
linear_moments(const struct ets_fit *f, const struct ets_state *x,
	       double sigma2, int h, double *mu, double *var, double *work)
{
	double l = x->l, b = x->b, s[ETS_MAX_M];
	double gl = f->p.alpha, gb = f->beta_out, gs[ETS_MAX_M];
	double *c = work, csum = 0.0;
	int j, i;

	memcpy(s, x->s, sizeof(s));
	memset(gs, 0, sizeof(gs));
	/* R's class1() sets G[3] = gamma whatever the trend: s_1 after l and
	 * b, but s_2 when there is no trend.  We follow it, so that the
	 * intervals of ANA and MNA agree with forecast.ets(). */
	gs[f->mod.trend || f->m < 2 ? 0 : 1] = f->p.gamma;
	if (!f->mod.trend)
		gb = 0.0;
	for (j = 0; j < h; j++) {
		mu[j] = apply_h(f, l, b, s);
		c[j] = apply_h(f, gl, gb, gs);
		apply_f(f, &l, &b, s);
		apply_f(f, &gl, &gb, gs);
	}
	if (f->mod.error == ERR_ADD) {
		for (j = 0; j < h; j++) {
			var[j] = sigma2 * (1.0 + csum);
			csum += c[j] * c[j];
		}
		return;
	}
	/* theta in var[] */
	for (j = 0; j < h; j++) {
		double th = mu[j] * mu[j];

		for (i = 1; i <= j; i++)
			th += sigma2 * c[i - 1] * c[i - 1] * var[j - i];
		var[j] = th;
	}
	for (j = 0; j < h; j++)
		var[j] = (1.0 + sigma2) * var[j] - mu[j] * mu[j];
}

/* out = X M X' for q x q matrices, skipping the zeros of X (most of the
 * Kronecker products below are sparse). */
static void
xmxt(const double *X, const double *M, double *out, double *tmp, int q)
{
	int i, j, k;

	memset(tmp, 0, (size_t)q * (size_t)q * sizeof(*tmp));
	for (i = 0; i < q; i++)
		for (k = 0; k < q; k++) {
			double xik = X[i * q + k];

			if (xik == 0.0)
				continue;
			for (j = 0; j < q; j++)
				tmp[i * q + j] += xik * M[k * q + j];
		}
	for (i = 0; i < q; i++)
		for (j = 0; j < q; j++) {
			double sum = 0.0;

			for (k = 0; k < q; k++) {
				double xjk = X[j * q + k];

				if (xjk != 0.0)
					sum += tmp[i * q + k] * xjk;
			}
			out[i * q + j] = sum;
		}
}

/* Kronecker product A (ma x ma) (x) B (mb x mb) into out (ma mb square). */
static void
kron(const double *A, int ma, const double *B, int mb, double *out)
{
	int q = ma * mb, a, b, c, d;

	for (a = 0; a < ma; a++)
		for (b = 0; b < mb; b++)
			for (c = 0; c < ma; c++)
				for (d = 0; d < mb; d++)
					out[(a * mb + b) * q + c * mb + d] =
						A[a * ma + c] * B[b * mb + d];
}

/* Class 3 (multiplicative error and season, HKOS 6.5): the moments of the
 * product of the level-trend and seasonal vectors, propagated as R's
 * class3() does.  Like R, it takes F1 = [1 1; 0 phi] and w1 = (1, 1), so
 * that a damped model's mean is that of R rather than l + phi_h b.
 * Returns 0, or -1 when out of memory. */
static int
class3_moments(const struct ets_fit *f, const struct ets_state *x,
	       double s2, int h, double *mu, double *var)
{
	int p1 = 1 + f->mod.trend, m = f->m, q = p1 * m, i, j, a;
	size_t qq = (size_t)q * (size_t)q;
	double F1[4], G1[4], *F2, *G2, *F21, *G21, *K, *V, *T, *A, *B, *C;
	double *D, *tmp, *v, *vn, *buf;

	buf = calloc(12 * qq + 2 * (size_t)q + 2 * (size_t)m * (size_t)m,
		     sizeof(*buf));
	if (!buf)
		return -1;
	F21 = buf;
	G21 = F21 + qq;
	K = G21 + qq;
	V = K + qq;
	T = V + qq;
	A = T + qq;
	B = A + qq;
	C = B + qq;
	D = C + qq;
	tmp = D + qq;
	v = tmp + 2 * qq;
	vn = v + q;
	F2 = vn + q;
	G2 = F2 + (size_t)m * (size_t)m;
	if (p1 == 1) {
		F1[0] = 1.0;
		G1[0] = f->p.alpha;
	} else {
		F1[0] = 1.0;
		F1[1] = 1.0;
		F1[2] = 0.0;
		F1[3] = f->mod.damped ? f->p.phi : 1.0;
		G1[0] = G1[1] = f->p.alpha;
		G1[2] = G1[3] = f->beta_out;
	}
	F2[m - 1] = 1.0;
	for (i = 1; i < m; i++)
		F2[i * m + i - 1] = 1.0;
	G2[m - 1] = f->p.gamma;
	kron(F2, m, F1, p1, F21);
	kron(G2, m, G1, p1, G21);
	kron(G2, m, F1, p1, K);
	kron(F2, m, G1, p1, T);
	for (i = 0; i < (int)qq; i++)
		K[i] += T[i];
	/* vec(M), column-major: v[i + p1 j] = x_ls[i] x_s[j] */
	for (j = 0; j < m; j++) {
		v[j * p1] = x->l * x->s[j];
		if (p1 == 2)
			v[j * p1 + 1] = x->b * x->s[j];
	}
	for (i = 0; i < h; i++) {
		double hvh = 0.0, mi = 0.0;

		for (a = 0; a < p1; a++)
			mi += v[(m - 1) * p1 + a];
		for (a = 0; a < p1; a++)
			for (j = 0; j < p1; j++)
				hvh += V[((m - 1) * p1 + a) * q +
					 (m - 1) * p1 + j];
		mu[i] = mi;
		var[i] = (1.0 + s2) * hvh + s2 * mi * mi;
		if (i == h - 1)
			break;
		/* V <- F V F' + s2 (F V G' + G V F' + K (V + vv') K'
		 *      + s2 G (3 V + 2 vv') G') */
		xmxt(F21, V, A, tmp, q);
		for (a = 0; a < q; a++)	/* B = F V G' */
			for (j = 0; j < q; j++) {
				double sum = 0.0;
				int k;

				for (k = 0; k < q; k++)
					if (G21[j * q + k] != 0.0)
						sum += V[a * q + k] *
						       G21[j * q + k];
				tmp[a * q + j] = sum;
			}
		for (a = 0; a < q; a++)
			for (j = 0; j < q; j++) {
				double sum = 0.0;
				int k;

				for (k = 0; k < q; k++)
					if (F21[a * q + k] != 0.0)
						sum += F21[a * q + k] *
						       tmp[k * q + j];
				B[a * q + j] = sum;
			}
		for (a = 0; a < q; a++)
			for (j = 0; j < q; j++)
				T[a * q + j] = V[a * q + j] + v[a] * v[j];
		xmxt(K, T, C, tmp, q);
		for (a = 0; a < q; a++)
			for (j = 0; j < q; j++)
				T[a * q + j] = 3.0 * V[a * q + j] +
					       2.0 * v[a] * v[j];
		xmxt(G21, T, D, tmp, q);
		for (a = 0; a < q; a++)
			for (j = 0; j < q; j++)
				V[a * q + j] = A[a * q + j] + s2 *
					(B[a * q + j] + B[j * q + a] +
					 C[a * q + j] + s2 * D[a * q + j]);
		/* vec(M) <- (F + s2 G) vec(M) */
		for (a = 0; a < q; a++) {
			double sum = 0.0;

			for (j = 0; j < q; j++)
				sum += (F21[a * q + j] + s2 * G21[a * q + j]) *
				       v[j];
			vn[a] = sum;
		}
		memcpy(v, vn, (size_t)q * sizeof(*v));
	}
	free(buf);
	return 0;
}

/* ==== Simulated intervals (forecast.ets(simulate = TRUE)) ==== */

/* R's quantile(type = 8) of sorted x[0..n-1]. */
static double
quantile8(const double *x, size_t n, double p)
{
	double pos = p * ((double)n + 1.0 / 3.0) + 1.0 / 3.0;
	double j = floor(pos), g = pos - j;

	if (j < 1.0)
		return x[0];
	if (j >= (double)n)
		return x[n - 1];
	return (1.0 - g) * x[(size_t)j - 1] + g * x[(size_t)j];
}

/* Paths from the final state with N(0, sigma2) errors (cut at -1 for
 * multiplicative errors, as R's simulate.ets()), through the same
 * recursions; the intervals are the paths' quantiles. */
static enum kpi_status
simulate_intervals(const struct ets_fit *f, const struct ets_state *x,
		   double sigma2, const struct kpi_fc_spec *spec, int h,
		   double *lo, double *hi, struct kpi_error *err)
{
	size_t nsim = spec->nsim > 0 ? (size_t)spec->nsim : ETS_DEFAULT_NSIM;
	size_t path, lv;
	double *paths = NULL, *sb = NULL, sd = sqrt(sigma2);
	gsl_rng *rng = NULL;
	enum kpi_status st = KPI_ENOMEM;
	int m = f->m, t;

	if (nsim > ETS_MAX_NSIM)
		nsim = ETS_MAX_NSIM;
	paths = malloc(nsim * (size_t)h * sizeof(*paths));
	sb = malloc(((size_t)m + (size_t)h) * sizeof(*sb));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!paths || !sb || !rng) {
		kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		goto out;
	}
	gsl_rng_set(rng, spec->seed);
	for (path = 0; path < nsim; path++) {
		double l = x->l, b = x->b;

		for (t = 0; t < m; t++)
			sb[t] = x->s[m - 1 - t];
		for (t = 0; t < h; t++) {
			double s = f->mod.season ? sb[t] : 0.0;
			double q = l + f->p.phi * b, fc, e, yt, pt, lnew;

			fc = f->mod.season == SE_ADD ? q + s :
			     f->mod.season == SE_MUL ? q * s : q;
			e = gsl_ran_gaussian(rng, sd);
			if (f->mod.error == ERR_MUL) {
				e = fmax(e, -1.0);
				yt = fc * (1.0 + e);
			} else {
				yt = fc + e;
			}
			paths[(size_t)t * nsim + path] = yt;
			pt = f->mod.season == SE_ADD ? yt - s :
			     f->mod.season == SE_MUL ? yt / s : yt;
			lnew = q + f->p.alpha * (pt - q);
			if (f->mod.trend)
				b = f->p.phi * b + f->p.beta * (pt - q);
			if (f->mod.season == SE_ADD)
				sb[t + m] = s + f->p.gamma * (yt - q - s);
			else if (f->mod.season == SE_MUL)
				sb[t + m] = s + f->p.gamma * (yt / q - s);
			l = lnew;
		}
	}
	for (t = 0; t < h; t++) {
		double *col = paths + (size_t)t * nsim;

		gsl_sort(col, 1, nsim);
		for (lv = 0; lv < spec->nlevels; lv++) {
			double a = spec->levels[lv];
			double ql = quantile8(col, nsim, 0.5 - a / 2.0);
			double qh = quantile8(col, nsim, 0.5 + a / 2.0);

			/* paths that overflowed give no interval */
			if (!isfinite(ql) || !isfinite(qh))
				ql = qh = NAN;
			lo[lv * (size_t)h + (size_t)t] = ql;
			hi[lv * (size_t)h + (size_t)t] = qh;
		}
	}
	st = KPI_OK;
out:
	gsl_rng_free(rng);
	free(sb);
	free(paths);
	return st;
}

/* ==== Model selection and the result ==== */

/* R's all.equal(y, rep(y[1], n)): mean relative difference below 1.5e-8. */
static int
is_constant(const double *y, size_t n)
{
	double dif = 0.0, mag = 0.0;
	size_t i;

	for (i = 0; i < n; i++) {
		dif += fabs(y[i] - y[0]);
		mag += fabs(y[i]);
	}
	if (mag / (double)n > 1.5e-8)
		return dif / mag < 1.5e-8;
	return dif / (double)n < 1.5e-8;
}

static const char *
method_spec(enum kpi_fc_method method, const char *ets_spec)
{
	switch (method) {
	case KPI_FC_SES: return "ANN";
	case KPI_FC_HOLT: return "AAN";
	case KPI_FC_DAMPED: return "AAdN";
	case KPI_FC_HW: return "AAA";
	case KPI_FC_HWM: return "MAM";
	default: return ets_spec ? ets_spec : "ZZZ";
	}
}

/* ets()'s route for series with n <= (parameters + 4): Holt-Winters for a
 * seasonal specification, Holt for a trended one, else the better (by
 * mean squared error) of Holt and simple exponential smoothing. */
static int
fit_short(struct ets_work *w, const struct ets_spec *sp, int m,
	  struct ets_fit *best)
{
	struct ets_fit f1, f2;
	int ok1, ok2;

	if (sp->nseason == 1 && sp->season[0] != SE_NONE &&
	    hw_fit(w, m, TR_ADD, sp->season[0], best) == 0)
		return 0;
	if (sp->ntrend == 1 && sp->trend[0] == TR_ADD)
		return hw_fit(w, m, TR_ADD, SE_NONE, best);
	if (sp->ntrend == 1 && sp->nseason == 1 &&
	    sp->season[0] == SE_NONE)
		return hw_fit(w, m, TR_NONE, SE_NONE, best);
	ok1 = hw_fit(w, m, TR_ADD, SE_NONE, &f1) == 0;
	ok2 = hw_fit(w, m, TR_NONE, SE_NONE, &f2) == 0;
	if (!ok2)
		return -1;
	/* the smaller mean squared error: compare SSE on one pass each */
	if (ok1) {
		double sse1, sse2;

		w->mod = f1.mod;
		w->m = 1;
		sse1 = recurse_model(w, f1.l0, f1.b0, &f1.p, NULL, NULL, NULL);
		w->mod = f2.mod;
		sse2 = recurse_model(w, f2.l0, f2.b0, &f2.p, NULL, NULL, NULL);
		if (sse1 < sse2) {
			*best = f1;
			return 0;
		}
	}
	*best = f2;
	return 0;
}

/* ets()'s search: every allowed combination of the candidates in sp, in
 * its order (error, trend, season, damped first), the smallest AICc kept.
 * Returns 0, or -1 when none could be fitted. */
static int
select_model(struct ets_work *w, const struct ets_spec *sp, int m,
	     int positive, double *sa, struct ets_fit *best)
{
	struct ets_fit cand;
	double best_ic = HUGE_VAL;
	int ie, it, is, id;

	for (ie = 0; ie < sp->nerr; ie++)
	for (it = 0; it < sp->ntrend; it++)
	for (is = 0; is < sp->nseason; is++)
	for (id = 0; id < sp->ndamped; id++) {
		struct ets_model md;

		md.error = sp->err[ie];
		md.trend = sp->trend[it];
		md.season = sp->season[is];
		md.damped = sp->damped[id];
		if ((md.trend == TR_NONE && md.damped) ||
		    (md.error == ERR_ADD && md.season == SE_MUL) ||
		    (md.error == ERR_MUL && !positive))
			continue;
		if (fit_model(w, &md, m, sa, &cand) != 0)
			continue;
		if (cand.aicc < best_ic) {
			best_ic = cand.aicc;
			*best = cand;
		}
	}
	return best_ic < HUGE_VAL ? 0 : -1;
}

/* The final pass over the data with the chosen fit: fitted values,
 * residuals, sigma2 and the state after the data. */
static double
final_pass(struct ets_work *w, struct ets_fit *f, double *fitted,
	   double *resid, struct ets_state *x)
{
	double lb[2], sse = 0.0, lik;
	size_t i;
	int k;

	w->mod = f->mod;
	w->m = f->m;
	for (k = 0; k < f->m && f->mod.season; k++)
		w->seas[f->m - 1 - k] = f->s0[k];
	lik = recurse_model(w, f->l0, f->b0, &f->p, fitted, resid, lb);
	x->l = lb[0];
	x->b = f->mod.trend ? lb[1] : 0.0;
	memset(x->s, 0, sizeof(x->s));
	for (k = 0; k < f->m && f->mod.season; k++)
		x->s[k] = w->seas[w->n + (size_t)f->m - 1 - (size_t)k];
	for (i = 0; i < w->n; i++)
		sse += resid[i] * resid[i];
	if (f->hw)
		f->sigma2 = sse / (double)w->n;
	else
		f->sigma2 = sse / (double)(w->n - (size_t)f->np);
	return lik;
}

/* Point forecasts from the state after the data: (l + phi_h b) with the
 * season of that step added or multiplied, phi_h = phi + ... + phi^h. */
static void
point_forecasts(const struct ets_fit *f, const struct ets_state *x, int h,
		double *mu)
{
	double phih = 0.0, pk = 1.0;
	int j;

	for (j = 0; j < h; j++) {
		double lt, s;

		pk *= f->p.phi;
		phih += pk;
		lt = x->l + (f->mod.trend ? phih * x->b : 0.0);
		s = f->mod.season ? x->s[f->m - 1 - j % f->m] : 0.0;
		mu[j] = f->mod.season == SE_MUL ? lt * s : lt + s;
	}
}

/* Means, intervals, parameters and criteria of fit f into r: the analytic
 * moments of forecast.ets(), or simulated paths when asked (simulate) or
 * when the analytic variances are not finite. */
static enum kpi_status
fill_result(const struct ets_fit *f, const struct ets_state *x,
	    const struct kpi_fc_spec *spec, int simulate,
	    struct kpi_fc_result *r, double *work, struct kpi_error *err)
{
	int h = spec->horizon, j, k;
	double *var = work + h;

	model_name(&f->mod, r->model, sizeof(r->model));
	if (!simulate) {
		if (f->mod.error == ERR_MUL && f->mod.season == SE_MUL) {
			if (class3_moments(f, x, f->sigma2, h, r->mean,
					   var) != 0)
				return kpi_error_set(err, KPI_ENOMEM, 0,
						     "out of memory");
		} else {
			linear_moments(f, x, f->sigma2, h, r->mean, var,
				       work);
		}
		for (j = 0; j < h; j++)
			if (!(var[j] >= 0.0) || !isfinite(var[j]) ||
			    !isfinite(r->mean[j]))
				simulate = 1;
	}
	if (simulate) {
		enum kpi_status st;

		point_forecasts(f, x, h, r->mean);
		st = simulate_intervals(f, x, f->sigma2, spec, h, r->lo,
					r->hi, err);
		if (st != KPI_OK)
			return st;
	} else {
		for (j = 0; j < h; j++)
			var[j] = sqrt(var[j]);
		kpi_fc_intervals_symmetric(r, var, 0.0);
	}
	for (j = 0; j < h; j++)
		if (!isfinite(r->mean[j]))
			return kpi_error_set(err, KPI_ENUMERIC, 0,
					     "%s: the forecasts are not finite",
					     r->model);
	r->loglik = -0.5 * f->lik;
	r->aic = f->aic;
	r->aicc = f->aicc;
	r->bic = f->bic;
	r->sigma2 = f->sigma2;
	r->nparam = 0;
	kpi_fc_result_param(r, "alpha", f->p.alpha);
	if (f->mod.trend)
		kpi_fc_result_param(r, "beta", f->beta_out);
	if (f->mod.season)
		kpi_fc_result_param(r, "gamma", f->p.gamma);
	if (f->mod.damped)
		kpi_fc_result_param(r, "phi", f->p.phi);
	kpi_fc_result_param(r, "l0", f->l0);
	if (f->mod.trend)
		kpi_fc_result_param(r, "b0", f->b0);
	for (k = 0; k < f->m && f->mod.season; k++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", k);
		kpi_fc_result_param(r, name, f->s0[k]);
	}
	return KPI_OK;
}

/* A constant series: ets() answers with simple exponential smoothing,
 * alpha = 0.99999 and the first value as the level (ses(initial =
 * "simple")), so the forecasts are flat and the intervals empty. */
static void
constant_fit(const double *y, struct ets_fit *f)
{
	memset(f, 0, sizeof(*f));
	f->m = 1;
	f->hw = 1;
	f->p.alpha = 0.99999;
	f->p.phi = 1.0;
	f->l0 = y[0];
	f->np = 1;
	f->lik = f->aic = f->aicc = f->bic = NAN;
}

enum kpi_status
kpi_fc_ets(const double *y, size_t n, const struct kpi_fc_spec *spec,
	   struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_result r;
	struct ets_spec sp;
	struct ets_work w;
	struct ets_fit best;
	struct ets_state xs;
	const char *code;
	double *sa = NULL, *resid = NULL, *work = NULL;
	double ymin;
	enum kpi_status st;
	int m, positive, have = 0, npars;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(&w, 0, sizeof(w));
	if (!y || !spec || !out)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS: missing series, spec or result");
	if (n < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS needs at least one observation");
	if (spec->m < 1 || spec->horizon < 1 ||
	    spec->nlevels > KPI_FC_MAX_LEVELS)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS: bad period, horizon or levels");
	for (i = 0; i < spec->nlevels; i++)
		if (!(spec->levels[i] > 0.0 && spec->levels[i] < 1.0))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "ETS: level %g is not in (0, 1)",
					     spec->levels[i]);
	ymin = y[0];
	for (i = 0; i < n; i++) {
		if (!isfinite(y[i]))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "ETS: value %zu is not finite",
					     i + 1);
		ymin = fmin(ymin, y[i]);
	}
	positive = ymin > 0.0;
	code = method_spec(spec->method, spec->ets_spec);
	st = spec_parse(code, &sp, err);
	if (st != KPI_OK)
		return st;
	m = spec->m;

	/* ets()'s restrictions, in its order */
	if (n <= (size_t)m) {
		sp.season[0] = SE_NONE;
		sp.nseason = 1;
	}
	if (m == 1 && sp.nseason == 1 && sp.season[0] != SE_NONE)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS(%s): a seasonal model needs a "
				     "seasonal period above 1", code);
	if (m > ETS_MAX_M) {
		if (sp.nseason == 1 && sp.season[0] != SE_NONE)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "ETS(%s): seasonal period %d is "
					     "too high (at most %d)", code, m,
					     ETS_MAX_M);
		sp.season[0] = SE_NONE;
		sp.nseason = 1;
	}
	if (m == 1) {
		sp.season[0] = SE_NONE;
		sp.nseason = 1;
	}
	if (sp.nerr == 1 && sp.err[0] == ERR_ADD && sp.nseason == 1 &&
	    sp.season[0] == SE_MUL)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS(%s): additive errors with a "
				     "multiplicative season are not allowed "
				     "(numerically unstable)", code);
	if (sp.nerr == 1 && sp.err[0] == ERR_MUL && !positive)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS(%s): multiplicative errors need data "
				     "> 0, and the series has %g", code, ymin);
	if (sp.nseason == 1 && sp.season[0] == SE_MUL && !positive)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS(%s): a multiplicative season needs "
				     "data > 0, and the series has %g", code,
				     ymin);

	st = KPI_ENOMEM;
	w.y = y;
	w.n = n;
	w.seas = malloc(2 * (n + (size_t)m) * sizeof(*w.seas));
	sa = malloc(n * sizeof(*sa));
	resid = malloc(n * sizeof(*resid));
	work = malloc(2 * (size_t)spec->horizon * sizeof(*work));
	if (!w.seas || !sa || !resid || !work) {
		kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		goto out;
	}

	if (is_constant(y, n)) {
		if (sp.nerr * sp.ntrend * sp.nseason * sp.ndamped == 1 &&
		    !(sp.trend[0] == TR_NONE && sp.season[0] == SE_NONE)) {
			st = kpi_error_set(err, KPI_EINVAL, 0,
					   "ETS(%s) cannot be estimated on a "
					   "constant series", code);
			goto out;
		}
		constant_fit(y, &best);
		have = 1;
	}

	/* ets() counts 2 + 2 (trend) + m (season) + 1 (damped) parameters
	 * for the components given, Z ones not counted */
	npars = 2;
	if (sp.ntrend == 1 && sp.trend[0] == TR_ADD)
		npars += 2 + sp.damped[0];
	if (sp.nseason == 1 && sp.season[0] != SE_NONE)
		npars += m;
	if (!have && n <= (size_t)npars + 4) {
		if (fit_short(&w, &sp, m, &best) != 0) {
			st = kpi_error_set(err, KPI_EINVAL, 0,
					   "ETS(%s): %zu observations are too "
					   "few to estimate it", code, n);
			goto out;
		}
		have = 1;
	}
	if (!have && select_model(&w, &sp, m, positive, sa, &best) == 0)
		have = 1;
	if (!have) {
		st = kpi_error_set(err, KPI_EINVAL, 0,
				   "ETS(%s): no model could be fitted to %zu "
				   "observations (too few for its parameters, "
				   "or the fit broke down)", code, n);
		goto out;
	}

	st = kpi_fc_result_alloc(&r, n, spec, err);
	if (st != KPI_OK)
		goto out;
	final_pass(&w, &best, r.fitted, resid, &xs);
	st = fill_result(&best, &xs, spec, 0, &r, work, err);
	if (st != KPI_OK)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	kpi_fc_result_free(&r);
	free(work);
	free(resid);
	free(sa);
	free(w.seas);
	return st;
}

enum kpi_status
kpi_fc_ets_fixed(const double *y, size_t n, const struct kpi_fc_spec *spec,
		 const struct kpi_ets_fixed *par, struct kpi_fc_result *out,
		 struct kpi_error *err)
{
	struct kpi_fc_result r;
	struct ets_spec sp;
	struct ets_work w;
	struct ets_fit f;
	struct ets_state xs;
	double *resid = NULL, *work = NULL, k, nn = (double)n, lik;
	enum kpi_status st;
	int m, i;

	memset(&r, 0, sizeof(r));
	memset(&w, 0, sizeof(w));
	memset(&f, 0, sizeof(f));
	if (!y || !spec || !par || !par->model || n < 2 || spec->horizon < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS: bad fixed-parameter call");
	st = spec_parse(par->model, &sp, err);
	if (st != KPI_OK)
		return st;
	if (sp.nerr != 1 || sp.ntrend != 1 || sp.nseason != 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS(%s): fixed parameters need a model "
				     "without Z", par->model);
	f.mod.error = sp.err[0];
	f.mod.trend = sp.trend[0];
	f.mod.damped = sp.damped[0];
	f.mod.season = sp.season[0];
	m = f.mod.season ? spec->m : 1;
	if (m < 1 || m > ETS_MAX_M || (f.mod.season && m < 2))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS(%s): bad seasonal period %d",
				     par->model, spec->m);
	f.m = m;
	f.p.alpha = par->alpha;
	f.p.beta = f.mod.trend ? par->beta : 0.0;
	f.p.gamma = f.mod.season ? par->gamma : 0.0;
	f.p.phi = f.mod.damped ? par->phi : 1.0;
	f.beta_out = f.p.beta;
	f.l0 = par->l0;
	f.b0 = f.mod.trend ? par->b0 : 0.0;
	for (i = 0; i < m && f.mod.season; i++)
		f.s0[i] = par->s[i];
	f.np = 1 + f.mod.trend + f.mod.damped + 1 + f.mod.trend;
	if (f.mod.season)
		f.np += 1 + m - 1;
	if ((size_t)f.np + 1 >= n)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "ETS(%s): %zu observations are too few",
				     par->model, n);

	st = KPI_ENOMEM;
	w.y = y;
	w.n = n;
	w.seas = malloc(2 * (n + (size_t)m) * sizeof(*w.seas));
	resid = malloc(n * sizeof(*resid));
	work = malloc(2 * (size_t)spec->horizon * sizeof(*work));
	if (!w.seas || !resid || !work) {
		kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		goto out;
	}
	st = kpi_fc_result_alloc(&r, n, spec, err);
	if (st != KPI_OK)
		goto out;
	lik = final_pass(&w, &f, r.fitted, resid, &xs);
	if (!(lik < HUGE_VAL)) {
		st = kpi_error_set(err, KPI_ENUMERIC, 0,
				   "ETS(%s): the recursion breaks down with "
				   "these values", par->model);
		goto out;
	}
	k = f.np + 1.0;
	f.lik = lik;
	f.aic = lik + 2.0 * k;
	f.bic = lik + log(nn) * k;
	f.aicc = nn - k - 1.0 > 0.0 ?
		 f.aic + 2.0 * k * (k + 1.0) / (nn - k - 1.0) : HUGE_VAL;
	st = fill_result(&f, &xs, spec, par->simulate, &r, work, err);
	if (st != KPI_OK)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	kpi_fc_result_free(&r);
	free(work);
	free(resid);
	free(w.seas);
	return st;
}
