/* forecast-arima.c - seasonal ARIMA and its automatic choice, as R's
 * stats::arima and forecast::auto.arima (forecast 8.20, R 4.2). */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_poly.h>

#include "kpi/forecast.h"
#include "forecast-internal.h"

/*
 * What is followed, and where it differs:
 *
 * Fitting one order (stats::arima, method "CSS-ML", inside forecast's
 * Arima/myarima).  y_t = beta x_t + z_t with x_t = 1 (a mean, when d + D =
 * 0) or x_t = t (a drift, when d + D = 1), and z an ARIMA(p,d,q)(P,D,Q)[m]
 * process.  The coefficients start at 0 and beta at the least-squares fit
 * on the differenced data; conditional sum of squares is minimised first,
 * then the exact Gaussian likelihood, both with the BFGS of R's optim()
 * (numerical gradients, steps 1e-3, parscale 10 se for beta, reltol 1e-8,
 * 100 iterations).  The AR parts are kept stationary during the ML search
 * through R's partial-autocorrelation (tanh) parametrisation; MA roots
 * inside the unit circle are inverted at the start and at the end.  The
 * Hessian of R's optimHess() gives var(coef); a model whose variances are
 * not all >= 0, or with a root of modulus < 1.01, or whose fit fails, gets
 * an infinite AICc, as in forecast:::myarima.
 *
 * The likelihood.  R puts the differencing into the state space with a
 * diffuse prior (kappa = 1e6); here the series is differenced first and
 * the ARMA likelihood of the differences is exact, which is the limit of
 * R's as kappa grows (log-likelihoods agree to 1e-6 relative or better,
 * coefficients to about 1e-5).  The ARMA state space is Akaike's (1974)
 * form, state (y_t, y_{t+1|t}, ..., y_{t+r-1|t}), whose stationary
 * covariance has first column gamma(0..r-1), the autocovariances; with
 * that start the covariance recursion is rank one and the Chandrasekhar
 * recursions of Morf, Sidhu & Kailath (1974) run the Kalman filter in O(r)
 * per observation.  The autocovariances are exact; R's start (Gardner et
 * al. 1980) is not, close to the unit circle, where R's likelihood can be
 * far off (M3 series N0478: AR(2) 1.959, -0.960, R's log-likelihood -84.35
 * against the exact -93.29), so R's choice can differ there.  The full
 * O(r^2) filter runs only once, for the chosen model's residuals, final
 * state and forecasts.
 *
 * The choice (forecast::auto.arima, stepwise): D = 1 when the STL seasonal
 * strength of the series exceeds 0.64 (the default seasonal.test = "seas";
 * STL as stats::stl(s.window = 11), Cleveland et al. 1990), d from KPSS
 * tests at 5% (urca::ur.kpss, type "mu", lag trunc(3 sqrt(n) / 13)) up to
 * 2, then Hyndman & Khandakar's (2008) stepwise search over (p,q)(P,Q) and
 * the constant from (2,2)(1,1), AICc, at most 94 models; for series longer
 * than 150 or m > 12 the search uses CSS fits (auto.arima's
 * approximation) and the best ones are refitted exactly.
 *
 * Forecasts and intervals are those of predict.Arima: the chosen model is
 * run once through R's own filter (undifferenced, diffuse lagged values
 * with kappa = 1e6), and KalmanForecast() goes on from its final state,
 * with forecast's sigma2 = sum(residuals^2) / (n - d - mD - npar + 1),
 * the standardised residuals of the first d + mD values included as R
 * has them.  Those values have no fitted value here (NaN).
 */

/* ==== Limits and the model ==== */

#define MAXK 16		/* estimated coefficients: p, q <= 5, P, Q <= 2, beta */
#define MAX_PERIOD 52	/* longest season handled */
#define NDEPS 1e-3	/* optim()'s finite-difference step */
#define RELTOL 1.490116119384765625e-8	/* sqrt(DBL_EPSILON) */
#define LOG_2PI 1.8378770664093454836	/* log(2 pi) */

typedef struct kpi_arima_order order_t;

/* One fitted order. */
struct fit {
	order_t o;
	int k;			/* coefficients: ar, ma, sar, sma, [beta] */
	int nbeta;		/* 1 when beta is in the model */
	int beta_fixed;		/* beta given, not estimated */
	double coef[MAXK];
	double value;		/* optimised objective */
	double loglik, aic, aicc, bic, ic;
	size_t nused;		/* n - d - mD */
	double css_sigma2;	/* CSS residual variance (CSS fits) */
	double s2;		/* ML innovation variance ssq / nused */
	/* The variance check of an ML fit is left until the fit could win
	 * (it changes nothing else): the optimum in optim's coordinates. */
	int hess_pending;
	double raw[MAXK], parscale[MAXK];
};

/* Everything a fit needs, allocated once per series. */
struct ws {
	const double *y;
	size_t n;
	int m;
	size_t maxlag;		/* capacity of the expanded polynomials */
	int use_aic;		/* ic = AIC (series of 3 values or fewer) */
	double offset;		/* approximation: AIC offset of the CSS fits */
	double scale;		/* y holds the series divided by this */
	/* the model being fitted */
	const order_t *o;
	int nbeta, k;
	size_t dtot;		/* d + mD */
	int trans;		/* ML objective with transformed AR parts */
	double beta_fixed;
	int has_beta_fixed;
	/* arrays */
	double *delta;		/* [maxlag + 1] differencing polynomial */
	double *dy, *dx;	/* [n] differenced y and regressor (from dtot) */
	double *w;		/* [n] dy - beta dx */
	double *res;		/* [n] CSS residuals */
	double *phi, *theta;	/* [maxlag + 1] expanded lag polynomials */
	double *gam;		/* [maxlag + 2] ARMA autocovariances */
	double *psi;		/* [2 (maxlag + 2)] AR autocovariances */
	double *A;		/* [(maxlag + 2)^2] Durbin-Levinson steps */
	double *v1, *v2, *v3, *v4;	/* [maxlag + 2] filter vectors */
	int *nzlag;		/* [2 (maxlag + 2)] nonzero lags */
};

static size_t
narma_of(const order_t *o)
{
	return (size_t)(o->p + o->q + o->P + o->Q);
}

/* ==== Polynomials and parameter transforms ==== */

/* Partial autocorrelations tanh(raw) to AR coefficients (Durbin-Levinson),
 * as R's partrans(); p <= 5 here. */
static void
partrans(int p, const double *raw, double *out)
{
	double work[8];
	int j, k;

	for (j = 0; j < p; j++)
		work[j] = out[j] = tanh(raw[j]);
	for (j = 1; j < p; j++) {
		double a = out[j];

		for (k = 0; k < j; k++)
			work[k] -= a * out[j - k - 1];
		for (k = 0; k < j; k++)
			out[k] = work[k];
	}
}

/* The inverse: AR coefficients back to atanh of the partial
 * autocorrelations (R's invpartrans()). */
static void
invpartrans(int p, const double *phi, double *out)
{
	double work[8];
	int j, k;

	for (j = 0; j < p; j++)
		work[j] = out[j] = phi[j];
	for (j = p - 1; j > 0; j--) {
		double a = out[j];

		for (k = 0; k < j; k++)
			work[k] = (out[k] + a * out[j - k - 1]) / (1.0 - a * a);
		for (k = 0; k < j; k++)
			out[k] = work[k];
	}
	for (j = 0; j < p; j++)
		out[j] = atanh(out[j]);
}

/* Smallest root modulus of 1 + c[0] z + ... + c[deg-1] z^deg; +inf for a
 * constant.  Returns -1 when the root finder fails. */
static int
min_root(const double *c, int deg, double *minmod)
{
	double a[128], z[256];
	gsl_poly_complex_workspace *w;
	int i, st;

	*minmod = INFINITY;
	while (deg > 0 && c[deg - 1] == 0.0)
		deg--;
	if (deg == 0)
		return 0;
	if (deg > 127)
		return -1;
	if (deg == 1) {
		*minmod = 1.0 / fabs(c[0]);
		return 0;
	}
	a[0] = 1.0;
	for (i = 0; i < deg; i++)
		a[i + 1] = c[i];
	w = gsl_poly_complex_workspace_alloc((size_t)deg + 1);
	if (!w)
		return -1;
	st = gsl_poly_complex_solve(a, (size_t)deg + 1, w, z);
	gsl_poly_complex_workspace_free(w);
	if (st != 0)
		return -1;
	for (i = 0; i < deg; i++) {
		double mod = hypot(z[2 * i], z[2 * i + 1]);

		if (mod < *minmod)
			*minmod = mod;
	}
	return 0;
}

/* arima's arCheck(): all roots of 1 - ar_1 z - ... outside the unit
 * circle (trailing exact zeros dropped). */
static int
ar_stationary(const double *ar, int p)
{
	double c[8], mod;
	int i;

	for (i = 0; i < p; i++)
		c[i] = -ar[i];
	if (min_root(c, p, &mod) != 0)
		return 0;
	return mod > 1.0;
}

/* arima's maInvert(): reflect the roots of 1 + ma_1 z + ... that lie
 * inside the unit circle.  Returns 1 when ma changed, -1 on failure. */
static int
ma_invert(double *ma, int q)
{
	double a[8], z[16];
	double complex poly[8];
	gsl_poly_complex_workspace *w;
	int q0 = q, i, j, inside = 0, st;

	while (q0 > 0 && ma[q0 - 1] == 0.0)
		q0--;
	if (q0 == 0)
		return 0;
	if (q0 == 1) {
		if (fabs(ma[0]) <= 1.0)
			return 0;
		ma[0] = 1.0 / ma[0];
		return 1;
	}
	a[0] = 1.0;
	for (i = 0; i < q0; i++)
		a[i + 1] = ma[i];
	w = gsl_poly_complex_workspace_alloc((size_t)q0 + 1);
	if (!w)
		return -1;
	st = gsl_poly_complex_solve(a, (size_t)q0 + 1, w, z);
	gsl_poly_complex_workspace_free(w);
	if (st != 0)
		return -1;
	for (i = 0; i < q0; i++)
		if (hypot(z[2 * i], z[2 * i + 1]) < 1.0)
			inside = 1;
	if (!inside)
		return 0;
	/* Rebuild prod (1 - z / root) with the inside roots reflected. */
	poly[0] = 1.0;
	for (i = 1; i <= q0; i++)
		poly[i] = 0.0;
	for (i = 0; i < q0; i++) {
		double complex r = z[2 * i] + I * z[2 * i + 1];

		if (cabs(r) < 1.0)
			r = 1.0 / r;
		for (j = i + 1; j > 0; j--)
			poly[j] -= poly[j - 1] / r;
	}
	for (i = 0; i < q0; i++)
		ma[i] = creal(poly[i + 1]);
	return 1;
}

/* The lag polynomials of the model for coefficients par (R's
 * ARIMA_transPars): phi[k] and theta[k] are the coefficients of lag k + 1.
 * With trans, the AR parts of par are partial-autocorrelation parameters. */
static void
expand(const order_t *o, int m, const double *par, int trans, double *phi,
       size_t *pp, double *theta, size_t *qq)
{
	double ar[8], sar[8];
	const double *ma = par + o->p, *sma = par + o->p + o->q + o->P;
	int i, j;

	if (trans) {
		partrans(o->p, par, ar);
		partrans(o->P, par + o->p + o->q, sar);
	} else {
		for (i = 0; i < o->p; i++)
			ar[i] = par[i];
		for (i = 0; i < o->P; i++)
			sar[i] = par[o->p + o->q + i];
	}
	*pp = (size_t)(o->p + m * o->P);
	*qq = (size_t)(o->q + m * o->Q);
	for (i = 0; i < (int)*pp; i++)
		phi[i] = 0.0;
	for (i = 0; i < (int)*qq; i++)
		theta[i] = 0.0;
	for (i = 0; i < o->p; i++)
		phi[i] = ar[i];
	for (i = 0; i < o->q; i++)
		theta[i] = ma[i];
	for (j = 0; j < o->P; j++) {
		phi[(j + 1) * m - 1] += sar[j];
		for (i = 0; i < o->p; i++)
			phi[(j + 1) * m + i] -= ar[i] * sar[j];
	}
	for (j = 0; j < o->Q; j++) {
		theta[(j + 1) * m - 1] += sma[j];
		for (i = 0; i < o->q; i++)
			theta[(j + 1) * m + i] += ma[i] * sma[j];
	}
}

/* ==== The exact ARMA likelihood ==== */

/* Autocovariances gamma(0..nlag-1) of the ARMA(phi, theta) process with
 * unit innovation variance.  The AR part x = e / phi(B) first: the
 * Durbin-Levinson recursion run backwards gives its partial
 * autocorrelations k_j (all |k_j| < 1 for a stationary AR) and the
 * coefficients of every lower order, so gamma_x(0) = 1 / prod(1 - k_j^2)
 * and gamma_x(k) = sum_j phi^(k)_j gamma_x(k - j).  Then w = theta(B) x:
 * gamma(h) = sum_l c_l gamma_x(h + l), c_l the autocovariances of the MA
 * filter.  O(p^2 + r q); -1 when the AR part is not stationary. */
static int
arma_acov(struct ws *ws, const double *phi, size_t pp, const double *theta,
	  size_t qq, size_t nlag, double *gam)
{
	size_t L2 = ws->maxlag + 2, nx = nlag + qq, i, j, k;
	double *Ar = ws->A, *gx = ws->psi, *c = ws->v4, g0 = 1.0;
	int *mal = ws->nzlag + L2, nm = 0, l;

	if (pp > 0) {
		for (j = 0; j < pp; j++)
			Ar[pp * L2 + j] = phi[j];
		for (k = pp; k >= 1; k--) {
			double kap = Ar[k * L2 + k - 1], den;

			if (!(fabs(kap) < 1.0))
				return -1;
			den = 1.0 / (1.0 - kap * kap);
			g0 *= den;
			for (j = 1; j < k; j++)
				Ar[(k - 1) * L2 + j - 1] =
					(Ar[k * L2 + j - 1] +
					 kap * Ar[k * L2 + k - j - 1]) * den;
		}
	}
	if (!isfinite(g0))
		return -1;
	gx[0] = g0;
	for (k = 1; k <= pp && k < nx; k++) {
		double v = 0.0;

		for (j = 1; j <= k; j++)
			v += Ar[k * L2 + j - 1] * gx[k - j];
		gx[k] = v;
	}
	if (pp + 1 < nx) {
		int *arl = mal;		/* the nonzero AR lags, for a moment */
		int na = 0, q;

		for (j = 1; j <= pp; j++)
			if (phi[j - 1] != 0.0)
				arl[na++] = (int)j;
		for (k = pp + 1; k < nx; k++) {
			double v = 0.0;

			for (q = 0; q < na; q++)
				v += phi[arl[q] - 1] * gx[k - (size_t)arl[q]];
			gx[k] = v;
		}
	}
	/* MA filter autocovariances c_0..c_qq over the nonzero terms */
	mal[nm++] = 0;
	for (j = 1; j <= qq; j++)
		if (theta[j - 1] != 0.0)
			mal[nm++] = (int)j;
	for (i = 0; i <= qq; i++)
		c[i] = 0.0;
	for (i = 0; i < (size_t)nm; i++)
		for (j = i; j < (size_t)nm; j++) {
			double ti = mal[i] ? theta[mal[i] - 1] : 1.0;
			double tj = mal[j] ? theta[mal[j] - 1] : 1.0;

			c[mal[j] - mal[i]] += ti * tj;
		}
	/* the lags of the nonzero c_l, l >= 1, replace the MA lags */
	nm = 0;
	for (i = 1; i <= qq; i++)
		if (c[i] != 0.0)
			mal[nm++] = (int)i;
	for (k = 0; k < nlag; k++) {
		double v = c[0] * gx[k];
		int q;

		for (q = 0; q < nm; q++) {
			l = mal[q];
			v += c[l] * (gx[k + (size_t)l] +
				     gx[(size_t)labs((long)k - l)]);
		}
		gam[k] = v;
	}
	if (!(gam[0] > 0.0) || !isfinite(gam[0]))
		return -1;
	return 0;
}

/* (T x) for Akaike's transition: shift up, the last element the AR
 * combination sum_i phi_i x[r - i]. */
static void
tmul(const double *phi, size_t pp, size_t r, const double *x, double *out)
{
	double last = 0.0;
	size_t i;

	for (i = 1; i <= pp; i++)
		last += phi[i - 1] * x[r - i];
	for (i = 0; i + 1 < r; i++)
		out[i] = x[i + 1];
	out[r - 1] = last;
}

/* Exact likelihood of the zero-mean ARMA for w[0..N-1] by the
 * Chandrasekhar recursions: sum of v_t^2 / F_t and of log F_t.  0, or -1
 * when the process has no stationary covariance. */
static int
arma_like(struct ws *ws, const double *phi, size_t pp, const double *theta,
	  size_t qq, const double *w, size_t N, double *ssq, double *sumlog)
{
	double *restrict a = ws->v1, *restrict K = ws->v2;
	double *restrict u = ws->v3, *restrict nzc = ws->v4;
	int *nzo = ws->nzlag;
	double F, mu, s = 0.0, sl = 0.0, prodF = 1.0;
	size_t r = pp > qq + 1 ? pp : qq + 1, i, t;
	int nnz = 0, converged = 0, j;

	if (arma_acov(ws, phi, pp, theta, qq, r, ws->gam) != 0)
		return -1;
	/* P1 Z' = gamma(0..r-1); K = T P1 Z', F = gamma(0). */
	tmul(phi, pp, r, ws->gam, K);
	/* the nonzero AR terms of T's last row: coefficient and offset */
	for (i = 1; i <= pp; i++)
		if (phi[i - 1] != 0.0) {
			nzc[nnz] = phi[i - 1];
			nzo[nnz++] = (int)(r - i);
		}
	F = ws->gam[0];
	for (i = 0; i < r; i++) {
		a[i] = 0.0;
		u[i] = K[i];
	}
	mu = -1.0 / F;
	for (t = 0; t < N; t++) {
		double v = w[t] - a[0], vf, z, c1, c2, alast = 0.0, ulast = 0.0;
		double kold;

		if (!(F > 0.0))
			return -1;
		vf = v / F;
		s += v * vf;
		prodF *= F;
		if (prodF > 1e150) {
			sl += log(prodF);
			prodF = 1.0;
		}
		for (j = 0; j < nnz; j++)
			alast += nzc[j] * a[nzo[j]];
		if (converged) {
			for (i = 0; i + 1 < r; i++)
				a[i] = a[i + 1] + K[i] * vf;
			a[r - 1] = alast + K[r - 1] * vf;
			continue;
		}
		/* a = T a + K v / F, and the Chandrasekhar step
		 * P_{t+1} - P_t = mu u u' (rank one) in the same pass:
		 * K += mu z T u, u = T u - (z / F) K, with z = u[0]. */
		for (j = 0; j < nnz; j++)
			ulast += nzc[j] * u[nzo[j]];
		z = u[0];
		c1 = mu * z;
		c2 = z / F;
		i = 0;
#if defined(__GNUC__)
		{
			/* Two elements at a time with GCC/clang vector types
			 * (the same operations, so the same results): this
			 * loop is most of the search's time, and -O2 does not
			 * vectorise it. */
			typedef double v2 __attribute__((vector_size(16)));
			v2 vvf = { vf, vf }, vc1 = { c1, c1 }, vc2 = { c2, c2 };

			for (; i + 2 < r; i += 2) {
				v2 va, vu, vk;

				memcpy(&vu, u + i + 1, sizeof(vu));
				memcpy(&va, a + i + 1, sizeof(va));
				memcpy(&vk, K + i, sizeof(vk));
				va = va + vk * vvf;
				memcpy(a + i, &va, sizeof(va));
				va = vk + vc1 * vu;
				memcpy(K + i, &va, sizeof(va));
				vu = vu - vc2 * vk;
				memcpy(u + i, &vu, sizeof(vu));
			}
		}
#endif
		for (; i + 1 < r; i++) {
			double gi = u[i + 1];

			kold = K[i];
			a[i] = a[i + 1] + kold * vf;
			K[i] = kold + c1 * gi;
			u[i] = gi - c2 * kold;
		}
		kold = K[r - 1];
		a[r - 1] = alast + kold * vf;
		K[r - 1] = kold + c1 * ulast;
		u[r - 1] = ulast - c2 * kold;
		{
			double Fn = F + c1 * z;

			mu = mu * F / Fn;
			F = Fn;
		}
		if (t % 4 == 3) {
			/* P has stopped moving once mu u u' is negligible */
			double n0 = 0.0, n1 = 0.0;

			for (i = 0; i + 1 < r; i += 2) {
				n0 += u[i] * u[i];
				n1 += u[i + 1] * u[i + 1];
			}
			if (i < r)
				n0 += u[i] * u[i];
			if (fabs(mu) * (n0 + n1) < 1e-14 * F)
				converged = 1;
		}
	}
	*ssq = s;
	*sumlog = sl + log(prodF);
	return 0;
}

/* ==== Objectives ==== */

static void
fill_w(struct ws *ws, double beta)
{
	size_t t;

	for (t = ws->dtot; t < ws->n; t++)
		ws->w[t] = ws->dy[t] - beta * ws->dx[t];
}

static double
beta_of(const struct ws *ws, const double *par)
{
	if (ws->has_beta_fixed)
		return ws->beta_fixed;
	return ws->nbeta ? par[narma_of(ws->o)] : 0.0;
}

/* arima's armafn(): 0.5 log(ssq / N) + 0.5 sum log F / N. */
static double
ml_objective(void *ctx, const double *par)
{
	struct ws *ws = ctx;
	size_t pp, qq, N = ws->n - ws->dtot;
	double ssq, sumlog;

	expand(ws->o, ws->m, par, ws->trans, ws->phi, &pp, ws->theta, &qq);
	fill_w(ws, beta_of(ws, par));
	if (arma_like(ws, ws->phi, pp, ws->theta, qq, ws->w + ws->dtot, N,
		      &ssq, &sumlog) != 0)
		return DBL_MAX;
	return 0.5 * (log(ssq / (double)N) + sumlog / (double)N);
}

/* Conditional sum of squares of R's ARIMA_CSS, conditioning on the first
 * ncond = d + mD + p + mP values; *nu gets the number of terms. */
static double
css_ssq(struct ws *ws, const double *par, size_t *nu)
{
	int *arl = ws->nzlag, *mal = ws->nzlag + ws->maxlag + 2;
	size_t pp, qq, ncond, l, j;
	int na = 0, nm = 0, i;
	double ssq = 0.0;

	expand(ws->o, ws->m, par, 0, ws->phi, &pp, ws->theta, &qq);
	fill_w(ws, beta_of(ws, par));
	for (j = 1; j <= pp; j++)
		if (ws->phi[j - 1] != 0.0)
			arl[na++] = (int)j;
	for (j = 1; j <= qq; j++)
		if (ws->theta[j - 1] != 0.0)
			mal[nm++] = (int)j;
	ncond = ws->dtot + pp;
	*nu = 0;
	for (l = ncond; l < ws->n; l++) {
		double tmp = ws->w[l];

		for (i = 0; i < na; i++)
			tmp -= ws->phi[arl[i] - 1] * ws->w[l - (size_t)arl[i]];
		for (i = 0; i < nm && (size_t)mal[i] <= l - ncond; i++)
			tmp -= ws->theta[mal[i] - 1] *
			       ws->res[l - (size_t)mal[i]];
		ws->res[l] = tmp;
		ssq += tmp * tmp;
		(*nu)++;
	}
	return ssq;
}

static double
css_objective(void *ctx, const double *par)
{
	size_t nu;
	double ssq = css_ssq(ctx, par, &nu);

	return 0.5 * log(ssq / (double)nu);
}

/* ==== BFGS, as R's optim(method = "BFGS") ==== */

typedef double (*objective_fn)(void *ctx, const double *par);

struct optim {
	objective_fn fn;
	void *ctx;
	int k;
	double parscale[MAXK];
};

/* The objective at scaled parameters x (par = x * parscale). */
static double
opt_value(const struct optim *op, const double *x)
{
	double par[MAXK] = { 0 };
	int i;

	for (i = 0; i < op->k; i++)
		par[i] = x[i] * op->parscale[i];
	return op->fn(op->ctx, par);
}

/* Central differences with step NDEPS on the scaled parameters, as
 * optim's fmingr(); -1 when one is not finite (R stops with an error). */
static int
opt_grad(const struct optim *op, const double *x, double *g)
{
	double xx[MAXK];
	int i;

	for (i = 0; i < op->k; i++)
		xx[i] = x[i];
	for (i = 0; i < op->k; i++) {
		double f1, f2;

		xx[i] = x[i] + NDEPS;
		f1 = opt_value(op, xx);
		xx[i] = x[i] - NDEPS;
		f2 = opt_value(op, xx);
		xx[i] = x[i];
		g[i] = (f1 - f2) / (2.0 * NDEPS);
		if (!isfinite(g[i]))
			return -1;
	}
	return 0;
}

/* The variable-metric method of Nash (1990, Algorithm 21) as R's vmmin():
 * line search by step halving to a fifth with an Armijo test, BFGS update
 * of the inverse Hessian, restarts when it fails.  Returns 0 on convergence,
 * 1 when maxit iterations ran out, -1 on an error (non-finite start or
 * gradient); x and *fmin hold the result. */
static int
bfgs(const struct optim *op, double *x, double *fmin, int maxit)
{
	const double stepredn = 0.2, acctol = 1e-4, reltest = 10.0;
	double B[MAXK][MAXK], g[MAXK], t[MAXK], X[MAXK], c[MAXK];
	double f, Fmin, gradproj, steplength, D1, D2;
	int n = op->k, i, j, count, iter, ilast, gradcount, accpoint;

	if (maxit <= 0) {
		*fmin = opt_value(op, x);
		return 0;
	}
	f = opt_value(op, x);
	if (!isfinite(f))
		return -1;
	Fmin = f;
	if (opt_grad(op, x, g) != 0)
		return -1;
	gradcount = 1;
	iter = 1;
	ilast = gradcount;
	do {
		if (ilast == gradcount)
			for (i = 0; i < n; i++)
				for (j = 0; j <= i; j++)
					B[i][j] = i == j ? 1.0 : 0.0;
		for (i = 0; i < n; i++) {
			X[i] = x[i];
			c[i] = g[i];
		}
		gradproj = 0.0;
		for (i = 0; i < n; i++) {
			double s = 0.0;

			for (j = 0; j <= i; j++)
				s -= B[i][j] * g[j];
			for (j = i + 1; j < n; j++)
				s -= B[j][i] * g[j];
			t[i] = s;
			gradproj += s * g[i];
		}
		if (gradproj < 0.0) {
			steplength = 1.0;
			accpoint = 0;
			do {
				count = 0;
				for (i = 0; i < n; i++) {
					x[i] = X[i] + steplength * t[i];
					if (reltest + X[i] == reltest + x[i])
						count++;
				}
				if (count < n) {
					f = opt_value(op, x);
					accpoint = isfinite(f) &&
						   f <= Fmin + gradproj *
							   steplength * acctol;
					if (!accpoint)
						steplength *= stepredn;
				}
			} while (!(count == n || accpoint));
			if (!(fabs(f - Fmin) > RELTOL * (fabs(Fmin) + RELTOL))) {
				/* too little change: stop unless just reset */
				count = n;
				Fmin = f;
			}
			if (count < n) {
				Fmin = f;
				if (opt_grad(op, x, g) != 0)
					return -1;
				gradcount++;
				iter++;
				D1 = 0.0;
				for (i = 0; i < n; i++) {
					t[i] *= steplength;
					c[i] = g[i] - c[i];
					D1 += t[i] * c[i];
				}
				if (D1 > 0.0) {
					D2 = 0.0;
					for (i = 0; i < n; i++) {
						double s = 0.0;

						for (j = 0; j <= i; j++)
							s += B[i][j] * c[j];
						for (j = i + 1; j < n; j++)
							s += B[j][i] * c[j];
						X[i] = s;
						D2 += s * c[i];
					}
					D2 = 1.0 + D2 / D1;
					for (i = 0; i < n; i++)
						for (j = 0; j <= i; j++)
							B[i][j] += (D2 * t[i] * t[j] -
								    X[i] * t[j] -
								    t[i] * X[j]) / D1;
				} else {
					ilast = gradcount;
				}
			} else if (ilast < gradcount) {
				count = 0;
				ilast = gradcount;
			}
		} else {
			/* uphill: reset unless that was just done */
			count = 0;
			if (ilast == gradcount)
				count = n;
			else
				ilast = gradcount;
		}
		if (iter >= maxit)
			break;
		if (gradcount - ilast > 2 * n)
			ilast = gradcount;
	} while (count != n || ilast != gradcount);
	*fmin = Fmin;
	return iter < maxit ? 0 : 1;
}

/* optimHess(): differences of numerical gradients, steps NDEPS/parscale on
 * the scaled parameters, symmetrised; H is in the natural units. */
static int
opt_hessian(const struct optim *op, const double *x, double H[MAXK][MAXK])
{
	double xx[MAXK], g1[MAXK], g2[MAXK];
	int n = op->k, i, j;

	for (i = 0; i < n; i++)
		xx[i] = x[i];
	for (i = 0; i < n; i++) {
		double eps = NDEPS / op->parscale[i];

		xx[i] = x[i] + eps;
		if (opt_grad(op, xx, g1) != 0)
			return -1;
		xx[i] = x[i] - eps;
		if (opt_grad(op, xx, g2) != 0)
			return -1;
		xx[i] = x[i];
		for (j = 0; j < n; j++)
			H[i][j] = (g1[j] - g2[j]) /
				  (2.0 * eps * op->parscale[i] * op->parscale[j]);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++) {
			double s = 0.5 * (H[i][j] + H[j][i]);

			H[i][j] = H[j][i] = s;
		}
	return 0;
}

/* Inverse of the k x k matrix M by Gauss-Jordan with partial pivoting;
 * -1 when singular to working precision (R's solve() refuses a
 * reciprocal condition number below DBL_EPSILON; the 1-norm one is
 * computed exactly here). */
static int
invert(int k, double M[MAXK][MAXK], double Minv[MAXK][MAXK])
{
	double a[MAXK][2 * MAXK], norm = 0.0, inorm = 0.0;
	int i, j, c;

	for (j = 0; j < k; j++) {
		double s = 0.0;

		for (i = 0; i < k; i++)
			s += fabs(M[i][j]);
		if (s > norm)
			norm = s;
	}
	for (i = 0; i < k; i++)
		for (j = 0; j < 2 * k; j++)
			a[i][j] = j < k ? M[i][j] : (j - k == i ? 1.0 : 0.0);
	for (c = 0; c < k; c++) {
		int piv = c;

		for (i = c + 1; i < k; i++)
			if (fabs(a[i][c]) > fabs(a[piv][c]))
				piv = i;
		if (a[piv][c] == 0.0 || !isfinite(a[piv][c]))
			return -1;
		if (piv != c)
			for (j = 0; j < 2 * k; j++) {
				double t = a[c][j];

				a[c][j] = a[piv][j];
				a[piv][j] = t;
			}
		for (j = 2 * k - 1; j >= c; j--)
			a[c][j] /= a[c][c];
		for (i = 0; i < k; i++) {
			double f = a[i][c];

			if (i == c || f == 0.0)
				continue;
			for (j = c; j < 2 * k; j++)
				a[i][j] -= f * a[c][j];
		}
	}
	for (j = 0; j < k; j++) {
		double s = 0.0;

		for (i = 0; i < k; i++) {
			Minv[i][j] = a[i][k + j];
			s += fabs(Minv[i][j]);
		}
		if (s > inorm)
			inorm = s;
	}
	if (!(1.0 / (norm * inorm) >= DBL_EPSILON))
		return -1;
	return 0;
}

/* ==== Fitting one order ==== */

/* Difference y (and the regressor) for order o: delta holds the
 * coefficients c_0 = 1, c_1.. of (1 - B)^d (1 - B^m)^D.  -1 when the
 * series is not longer than d + mD. */
static int
ws_setup(struct ws *ws, const order_t *o, int nbeta)
{
	double *c = ws->delta;
	size_t dtot = (size_t)o->d + (size_t)ws->m * (size_t)o->D, deg = 0;
	size_t t, j;
	int i;

	if (dtot >= ws->n || dtot > ws->maxlag)
		return -1;
	c[0] = 1.0;
	for (i = 0; i < o->d + o->D; i++) {
		size_t lag = i < o->d ? 1 : (size_t)ws->m;

		for (j = deg + 1; j <= deg + lag; j++)
			c[j] = 0.0;
		deg += lag;
		for (j = deg; j >= lag; j--)
			c[j] -= c[j - lag];
	}
	for (t = dtot; t < ws->n; t++) {
		double s = 0.0, sx = 0.0;

		for (j = 0; j <= dtot; j++) {
			double xt = o->d + o->D == 0 ? 1.0 : (double)(t - j + 1);

			s += c[j] * ws->y[t - j];
			sx += c[j] * xt;
		}
		ws->dy[t] = s;
		ws->dx[t] = sx;
	}
	ws->o = o;
	ws->dtot = dtot;
	ws->nbeta = nbeta;
	ws->k = (int)narma_of(o) + (nbeta && !ws->has_beta_fixed);
	ws->trans = 0;
	return 0;
}

/* Largest root check of forecast:::myarima: the expanded AR and MA
 * polynomials, trailing coefficients below 1e-8 dropped, must have no
 * root of modulus below 1.01. */
static int
roots_ok(struct ws *ws, const double *coef)
{
	size_t pp, qq;
	double mod, c[128];
	size_t i, last;

	expand(ws->o, ws->m, coef, 0, ws->phi, &pp, ws->theta, &qq);
	if (pp > 127 || qq > 127)
		return 0;
	for (last = 0, i = 0; i < pp; i++)
		if (fabs(ws->phi[i]) > 1e-8)
			last = i + 1;
	for (i = 0; i < last; i++)
		c[i] = -ws->phi[i];
	if (last > 0 && (min_root(c, (int)last, &mod) != 0 || mod < 1.01))
		return 0;
	for (last = 0, i = 0; i < qq; i++)
		if (fabs(ws->theta[i]) > 1e-8)
			last = i + 1;
	if (last > 0 && (min_root(ws->theta, (int)last, &mod) != 0 ||
			 mod < 1.01))
		return 0;
	return 1;
}

/* var(coef) = A' (n H)^-1 A of stats::arima, A the Jacobian of the AR
 * transforms (R's ARIMA_Gradtrans, steps 1e-3) for an ML fit in the
 * transformed parameters (raw non-NULL), the identity for a CSS fit
 * (raw NULL); 1 when every variance is >= 0 (checkarima() passes), 0 when
 * one is negative, -1 when H is singular (R's solve() fails and so does
 * the fit). */
static int
variances_ok(const struct ws *ws, double H[MAXK][MAXK], const double *raw,
	     int k, size_t nused)
{
	double Hinv[MAXK][MAXK], A[MAXK][MAXK];
	const order_t *o = ws->o;
	int i, j, a, b;

	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			H[i][j] *= (double)nused;
	if (invert(k, H, Hinv) != 0)
		return -1;
	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			A[i][j] = i == j;
	for (b = 0; b < 2 && raw; b++) {
		int off = b ? o->p + o->q : 0, np = b ? o->P : o->p;
		double w1[8], w2[8], w3[8];

		if (np == 0)
			continue;
		for (i = 0; i < np; i++)
			w1[i] = raw[off + i];
		partrans(np, w1, w2);
		for (i = 0; i < np; i++) {
			w1[i] += 1e-3;
			partrans(np, w1, w3);
			for (j = 0; j < np; j++)
				A[off + i][off + j] = (w3[j] - w2[j]) / 1e-3;
			w1[i] -= 1e-3;
		}
	}
	for (j = 0; j < k; j++) {
		double v = 0.0;

		for (a = 0; a < k; a++)
			for (b = 0; b < k; b++)
				v += A[a][j] * Hinv[a][b] * A[b][j];
		if (!(v >= 0.0))
			return 0;
	}
	return 1;
}

/* The information criteria of forecast:::myarima from aic. */
static void
criteria(struct ws *ws, struct fit *f)
{
	double npar = (double)f->k + 1.0, nstar = (double)f->nused;

	f->bic = f->aic + npar * (log(nstar) - 2.0);
	f->aicc = f->aic + 2.0 * npar * (npar + 1.0) / (nstar - npar - 1.0);
	f->ic = ws->use_aic ? f->aic : f->aicc;
	if (isnan(f->ic))
		f->ic = INFINITY;
}

/* stats::arima(method = "CSS-ML", or "CSS" when css_only) for order o,
 * then myarima's criteria and checks.  Returns 0 with f filled (f->ic
 * infinite when a check fails), -1 when the fit itself fails. */
static int
fit_order(struct ws *ws, const order_t *o, int css_only, struct fit *f)
{
	struct optim op;
	double init[MAXK], x[MAXK], H[MAXK][MAXK], val;
	int nbeta = o->constant && o->d + o->D <= 1;
	int narma = (int)narma_of(o), k, i, code, vok = 1;
	size_t N;

	memset(f, 0, sizeof(*f));
	f->o = *o;
	f->ic = INFINITY;
	if (ws_setup(ws, o, nbeta) != 0)
		return -1;
	k = ws->k;
	if (k > MAXK)
		return -1;
	N = ws->n - ws->dtot;
	f->k = k;
	f->nbeta = nbeta;
	f->beta_fixed = ws->has_beta_fixed;
	f->nused = N;
	op.ctx = ws;
	op.k = k;
	for (i = 0; i < k; i++) {
		init[i] = 0.0;
		op.parscale[i] = 1.0;
	}
	if (nbeta && !ws->has_beta_fixed) {
		/* lm(dy ~ dx - 1): the start and 10 standard errors as the
		 * scale of beta. */
		double sxx = 0.0, sxy = 0.0, rss = 0.0, b, se;
		size_t t;

		if (N < 2)
			return -1;
		for (t = ws->dtot; t < ws->n; t++) {
			sxx += ws->dx[t] * ws->dx[t];
			sxy += ws->dx[t] * ws->dy[t];
		}
		b = sxy / sxx;
		for (t = ws->dtot; t < ws->n; t++) {
			double e = ws->dy[t] - b * ws->dx[t];

			rss += e * e;
		}
		se = sqrt(rss / (double)(N - 1) / sxx);
		if (!(se > 0.0) || !isfinite(se))
			return -1;
		init[narma] = b;
		op.parscale[narma] = 10.0 * se;
	}
	if (ws->dtot + (size_t)o->p + (size_t)ws->m * (size_t)o->P >= ws->n)
		return -1;

	/* Conditional sum of squares. */
	op.fn = css_objective;
	for (i = 0; i < k; i++)
		x[i] = init[i] / op.parscale[i];
	if (k > 0) {
		code = bfgs(&op, x, &val, 100);
		if (code < 0)
			return -1;
	} else {
		code = 0;
		val = opt_value(&op, x);
	}
	if (css_only) {
		size_t nu;

		for (i = 0; i < k; i++)
			f->coef[i] = x[i] * op.parscale[i];
		if (k > 0) {
			if (opt_hessian(&op, x, H) != 0)
				return -1;
			vok = variances_ok(ws, H, NULL, k, N);
			if (vok < 0)
				return -1;
		}
		f->value = val;
		f->css_sigma2 = css_ssq(ws, f->coef, &nu) / (double)nu;
		f->aic = ws->offset + (double)N * log(f->css_sigma2) +
			 2.0 * ((double)k + 1.0);
		f->loglik = NAN;
		criteria(ws, f);
		if (!vok || !roots_ok(ws, f->coef))
			f->ic = INFINITY;
		return 0;
	}
	if (code == 0)
		for (i = 0; i < k; i++)
			init[i] = x[i] * op.parscale[i];
	if (!ar_stationary(init, o->p) ||
	    !ar_stationary(init + o->p + o->q, o->P))
		return -1;

	/* Maximum likelihood over transformed AR parameters. */
	invpartrans(o->p, init, init);
	invpartrans(o->P, init + o->p + o->q, init + o->p + o->q);
	if (ma_invert(init + o->p, o->q) < 0 ||
	    ma_invert(init + o->p + o->q + o->P, o->Q) < 0)
		return -1;
	ws->trans = 1;
	op.fn = ml_objective;
	for (i = 0; i < k; i++)
		x[i] = init[i] / op.parscale[i];
	if (k > 0) {
		int c1, c2;

		if (bfgs(&op, x, &val, 100) < 0)
			goto fail;
		for (i = 0; i < k; i++)
			f->coef[i] = x[i] * op.parscale[i];
		c1 = ma_invert(f->coef + o->p, o->q);
		c2 = ma_invert(f->coef + o->p + o->q + o->P, o->Q);
		if (c1 < 0 || c2 < 0)
			goto fail;
		if (c1 || c2) {
			for (i = 0; i < k; i++)
				x[i] = f->coef[i] / op.parscale[i];
			val = opt_value(&op, x);
		}
		for (i = 0; i < k; i++) {
			f->raw[i] = f->coef[i];
			f->parscale[i] = op.parscale[i];
		}
		f->hess_pending = 1;
		partrans(o->p, f->coef, f->coef);
		partrans(o->P, f->coef + o->p + o->q, f->coef + o->p + o->q);
	} else {
		val = opt_value(&op, x);
	}
	ws->trans = 0;
	f->value = val;
	{
		size_t pp, qq;
		double ssq, sumlog;

		expand(o, ws->m, f->coef, 0, ws->phi, &pp, ws->theta, &qq);
		fill_w(ws, beta_of(ws, f->coef));
		f->s2 = arma_like(ws, ws->phi, pp, ws->theta, qq,
				  ws->w + ws->dtot, N, &ssq, &sumlog) == 0
			? ssq / (double)N : NAN;
	}
	f->loglik = -0.5 * (2.0 * (double)N * val + (double)N +
			    (double)N * LOG_2PI);
	f->aic = -2.0 * f->loglik + 2.0 * ((double)k + 1.0);
	criteria(ws, f);
	if (!vok || !roots_ok(ws, f->coef)) {
		f->ic = INFINITY;
		f->hess_pending = 0;
	}
	return 0;
fail:
	ws->trans = 0;
	return -1;
}

/* The deferred part of fit_order(): optimHess() at the ML optimum and
 * checkarima(); a singular Hessian fails the fit as R's solve() does.
 * Either way the fit's criterion becomes infinite. */
static void
hess_check(struct ws *ws, struct fit *f)
{
	struct optim op;
	double H[MAXK][MAXK], x[MAXK];
	int i, ok;

	if (!f->hess_pending)
		return;
	f->hess_pending = 0;
	ws->has_beta_fixed = 0;
	if (ws_setup(ws, &f->o, f->nbeta) != 0) {
		f->ic = INFINITY;
		return;
	}
	ws->trans = 1;
	op.fn = ml_objective;
	op.ctx = ws;
	op.k = f->k;
	for (i = 0; i < f->k; i++) {
		op.parscale[i] = f->parscale[i];
		x[i] = f->raw[i] / f->parscale[i];
	}
	ok = opt_hessian(&op, x, H) == 0 &&
	     variances_ok(ws, H, f->raw, f->k, f->nused) == 1;
	ws->trans = 0;
	if (!ok)
		f->ic = INFINITY;
}

/* ==== The chosen model: residuals, state and forecasts ==== */

/* The series minus beta times the regressor at (0-based) time t. */
static double
zval(const struct ws *ws, const struct fit *f, double beta, size_t t)
{
	double xt = f->o.d + f->o.D == 0 ? 1.0 : (double)(t + 1);

	return ws->y[t] - (f->nbeta ? beta * xt : 0.0);
}

/* x <- T x for the state of R's makeARIMA in Akaike's form: the ARMA block
 * of size r, then dtot lagged values of z, the newest first; c is the
 * differencing polynomial. */
static void
tstate(const double *phi, size_t pp, size_t r, const double *c, size_t dtot,
       double *x)
{
	double znew = x[0], last = 0.0;
	size_t i;

	for (i = 0; i < dtot; i++)
		znew -= c[i + 1] * x[r + i];
	for (i = 1; i <= pp; i++)
		last += phi[i - 1] * x[r - i];
	for (i = 0; i + 1 < r; i++)
		x[i] = x[i + 1];
	x[r - 1] = last;
	for (i = dtot; i-- > 1;)
		x[r + i] = x[r + i - 1];
	if (dtot > 0)
		x[r] = znew;
}

/* P <- T P T' + psi psi' (psi on the ARMA block) for dimension rd = r +
 * dtot; col is scratch of rd values. */
static void
tcov(const double *phi, size_t pp, size_t r, const double *c, size_t dtot,
     const double *psi, double *P, double *col)
{
	size_t rd = r + dtot, i, l;

	for (l = 0; l < rd; l++) {		/* columns: T P */
		for (i = 0; i < rd; i++)
			col[i] = P[i * rd + l];
		tstate(phi, pp, r, c, dtot, col);
		for (i = 0; i < rd; i++)
			P[i * rd + l] = col[i];
	}
	for (l = 0; l < rd; l++) {		/* rows: (T P) T' */
		tstate(phi, pp, r, c, dtot, P + l * rd);
		for (i = 0; i < r && l < r; i++)
			P[l * rd + i] += psi[l] * psi[i];
	}
}

/* Run the full Kalman filter for fit f (Akaike's form, stationary start)
 * over the differenced series, then fill out: fitted values, criteria,
 * coefficients, and forecasts with intervals from the final state as
 * predict.Arima computes them. */
static enum kpi_status
finish(struct ws *ws, const struct fit *f, const struct kpi_fc_spec *spec,
       struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_result res;
	double *P = NULL, *Pa = NULL, *a = NULL, *col = NULL, *psi = NULL;
	double beta, ssq = 0.0, sigma2;
	size_t pp, qq, r, rd, dtot, i, j, l, t, h = (size_t)spec->horizon;
	enum kpi_status st;
	char name[sizeof(((struct kpi_fc_result *)0)->model)];
	int nparam = 0, nar = (int)narma_of(&f->o);

	memset(&res, 0, sizeof(res));
	ws->has_beta_fixed = f->beta_fixed;
	ws->beta_fixed = f->coef[nar];
	if (ws_setup(ws, &f->o, f->nbeta) != 0)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "arima: series too short");
	dtot = ws->dtot;
	beta = f->nbeta ? f->coef[nar] : 0.0;
	expand(&f->o, ws->m, f->coef, 0, ws->phi, &pp, ws->theta, &qq);
	r = pp > qq + 1 ? pp : qq + 1;
	rd = r + dtot;
	P = calloc(r * r, sizeof(*P));
	Pa = calloc(rd * rd, sizeof(*Pa));
	a = calloc(rd, sizeof(*a));
	col = calloc(rd, sizeof(*col));
	psi = calloc(r, sizeof(*psi));
	if (!P || !Pa || !a || !col || !psi) {
		st = kpi_error_set(err, KPI_ENOMEM, 0, "arima: out of memory");
		goto out;
	}
	if (arma_acov(ws, ws->phi, pp, ws->theta, qq, r, ws->gam) != 0) {
		st = kpi_error_set(err, KPI_ENUMERIC, 0,
				   "arima: the AR part is not stationary");
		goto out;
	}
	/* psi weights and the stationary covariance of Akaike's state:
	 * P0[i][l] = gamma(l - i) - sum_{k < i} psi_k psi_{k + l - i}. */
	for (j = 0; j < r; j++) {
		double v = j == 0 ? 1.0 : (j <= qq ? ws->theta[j - 1] : 0.0);

		for (i = 1; i <= pp && i <= j; i++)
			v += ws->phi[i - 1] * psi[j - i];
		psi[j] = v;
	}
	for (i = 0; i < r; i++)
		for (l = i; l < r; l++) {
			double v = ws->gam[l - i];
			size_t k;

			for (k = 0; k < i; k++)
				v -= psi[k] * psi[k + l - i];
			P[i * r + l] = P[l * r + i] = v;
		}

	st = kpi_fc_result_alloc(&res, ws->n, spec, err);
	if (st != KPI_OK)
		goto out;

	/* R's ARIMA_Like over the undifferenced z = y - beta x: the state
	 * (ARMA block, z_{t-1}, ..., z_{t-dtot}) with the lagged values
	 * diffuse (variance kappa = 1e6), so that the standardised residuals
	 * of the first d + mD values, which forecast's sigma2 sums with the
	 * rest, are R's. */
	for (i = 0; i < r; i++)
		for (l = 0; l < r; l++)
			Pa[i * rd + l] = P[i * r + l];
	for (i = r; i < rd; i++)
		Pa[i * rd + i] = 1e6;
	for (t = 0; t < ws->n; t++) {
		double v, F;

		if (t > 0) {
			tstate(ws->phi, pp, r, ws->delta, dtot, a);
			tcov(ws->phi, pp, r, ws->delta, dtot, psi, Pa, col);
		}
		/* col = Pa Z', Z = (1, 0, ..., -c_1, ..., -c_dtot) */
		for (i = 0; i < rd; i++) {
			double s = Pa[i * rd];

			for (l = 0; l < dtot; l++)
				s -= ws->delta[l + 1] * Pa[i * rd + r + l];
			col[i] = s;
		}
		v = zval(ws, f, beta, t) - a[0];
		F = col[0];
		for (l = 0; l < dtot; l++) {
			v += ws->delta[l + 1] * a[r + l];
			F -= ws->delta[l + 1] * col[r + l];
		}
		if (!(F > 0.0) || !isfinite(v)) {
			st = kpi_error_set(err, KPI_ENUMERIC, 0,
					   "arima: the Kalman filter failed");
			goto out;
		}
		ssq += v * v / F;
		if (t >= dtot)
			res.fitted[t] = ws->y[t] - v;
		for (i = 0; i < rd; i++)
			a[i] += col[i] * v / F;
		for (i = 0; i < rd; i++)
			for (l = 0; l < rd; l++)
				Pa[i * rd + l] -= col[i] * col[l] / F;
	}
	sigma2 = ssq / ((double)f->nused - (double)f->k);

	/* Forecasts from the filtered state, as KalmanForecast(). */
	for (j = 0; j < h; j++) {
		double fc, var, xt, se;

		tstate(ws->phi, pp, r, ws->delta, dtot, a);
		tcov(ws->phi, pp, r, ws->delta, dtot, psi, Pa, col);
		/* y = Z a with Z = (1, 0, ..., -c_1, ..., -c_dtot) */
		fc = a[0];
		for (i = 0; i < dtot; i++)
			fc -= ws->delta[i + 1] * a[r + i];
		for (i = 0; i < rd; i++) {
			double v = Pa[i * rd];

			for (l = 0; l < dtot; l++)
				v -= ws->delta[l + 1] * Pa[i * rd + r + l];
			col[i] = v;
		}
		var = col[0];
		for (l = 0; l < dtot; l++)
			var -= ws->delta[l + 1] * col[r + l];
		xt = f->o.d + f->o.D == 0 ? 1.0 : (double)(ws->n + j + 1);
		res.mean[j] = fc + (f->nbeta ? beta * xt : 0.0);
		se = sqrt((var > 0.0 ? var : 0.0) * sigma2);
		for (l = 0; l < res.nlevels; l++) {
			double q = gsl_cdf_ugaussian_Pinv(0.5 +
							  0.5 * res.levels[l]);

			res.lo[l * h + j] = res.mean[j] - q * se;
			res.hi[l * h + j] = res.mean[j] + q * se;
		}
	}

	/* Name, criteria and coefficients as forecast reports them. */
	t = (size_t)snprintf(name, sizeof(name), "ARIMA(%d,%d,%d)", f->o.p,
			     f->o.d, f->o.q);
	if (ws->m > 1 && f->o.P + f->o.D + f->o.Q > 0)
		snprintf(name + t, sizeof(name) - t, "(%d,%d,%d)[%d]", f->o.P,
			 f->o.D, f->o.Q, ws->m);
	t = strlen(name);
	if (f->nbeta)
		snprintf(name + t, sizeof(name) - t, "%s",
			 f->o.d + f->o.D == 0 ? " with non-zero mean"
					      : " with drift");
	else if (f->o.d + f->o.D == 0)
		snprintf(name + t, sizeof(name) - t, " with zero mean");
	memcpy(res.model, name, sizeof(res.model));
	res.loglik = f->loglik;
	res.aic = f->aic;
	res.aicc = f->aicc;
	res.bic = f->bic;
	res.sigma2 = sigma2;
	{
		static const char *const pfx[4] = { "ar", "ma", "sar", "sma" };
		const int cnt[4] = { f->o.p, f->o.q, f->o.P, f->o.Q };
		int b, c;

		for (b = 0; b < 4; b++)
			for (c = 0; c < cnt[b]; c++) {
				snprintf(res.param_name[nparam],
					 sizeof(res.param_name[0]), "%s%d",
					 pfx[b], c + 1);
				res.param[nparam] = f->coef[nparam];
				nparam++;
			}
		if (f->nbeta) {
			snprintf(res.param_name[nparam],
				 sizeof(res.param_name[0]), "%s",
				 f->o.d + f->o.D == 0 ? "intercept" : "drift");
			res.param[nparam] = beta;
			nparam++;
		}
	}
	res.nparam = (size_t)nparam;
	if (ws->scale != 1.0) {
		double sc = ws->scale, shift = (double)f->nused * log(sc);

		for (t = 0; t < ws->n; t++)
			res.fitted[t] *= sc;
		for (j = 0; j < h; j++)
			res.mean[j] *= sc;
		for (j = 0; j < res.nlevels * h; j++) {
			res.lo[j] *= sc;
			res.hi[j] *= sc;
		}
		if (f->nbeta)
			res.param[nparam - 1] *= sc;
		res.sigma2 *= sc * sc;
		res.loglik -= shift;
		res.aic += 2.0 * shift;
		res.aicc += 2.0 * shift;
		res.bic += 2.0 * shift;
	}
	for (j = 0; j < res.nlevels * h; j++)
		if (isinf(res.lo[j]) || isinf(res.hi[j])) {
			st = kpi_error_set(err, KPI_ENUMERIC, 0,
					   "arima: the prediction intervals overflow");
			goto out;
		}
	*out = res;
	memset(&res, 0, sizeof(res));
	st = KPI_OK;
out:
	kpi_fc_result_free(&res);
	free(psi);
	free(col);
	free(a);
	free(Pa);
	free(P);
	return st;
}

/* ==== Tests for differencing ==== */

/* forecast:::is.constant, i.e. all.equal(x, rep(x[1], n)): mean absolute
 * difference from x[1] at most 1.5e-8 relative to mean |x| (absolute when
 * that mean is below 1.5e-8). */
static int
is_constant(const double *x, size_t n)
{
	double sd = 0.0, sx = 0.0;
	size_t t;

	if (n == 0)
		return 1;
	for (t = 0; t < n; t++) {
		sd += fabs(x[t] - x[0]);
		sx += fabs(x[t]);
	}
	sd /= (double)n;
	sx /= (double)n;
	if (sx > 1.5e-8)
		sd /= sx;
	return sd <= 1.5e-8;
}

/* KPSS level-stationarity statistic of urca::ur.kpss(type = "mu",
 * use.lag = trunc(3 sqrt(n) / 13)) (Kwiatkowski et al. 1992). */
static double
kpss_stat(const double *x, size_t n)
{
	double mean = 0.0, S = 0.0, num = 0.0, s2 = 0.0, den;
	size_t t, lag = (size_t)(3.0 * sqrt((double)n) / 13.0), l;

	for (t = 0; t < n; t++)
		mean += x[t];
	mean /= (double)n;
	for (t = 0; t < n; t++) {
		double e = x[t] - mean;

		S += e;
		num += S * S;
		s2 += e * e;
	}
	num /= (double)n * (double)n;
	s2 /= (double)n;
	den = s2;
	for (l = 1; l <= lag; l++) {
		double c = 0.0;

		for (t = l; t < n; t++)
			c += (x[t] - mean) * (x[t - l] - mean);
		den += 2.0 / (double)n * (1.0 - (double)l / (double)(lag + 1)) *
		       c;
	}
	return num / den;
}

/* forecast::ndiffs(test = "kpss", alpha = 0.05, max.d = 2): difference
 * while the KPSS p-value, interpolated in the table 0.347 0.463 0.574 0.739
 * -> 10% 5% 2.5% 1%, is below 5%, i.e. while the statistic exceeds 0.463.
 * x is overwritten with its differences. */
static int
ndiffs(double *x, size_t n)
{
	double stat;
	int d = 0;

	if (is_constant(x, n))
		return 0;
	stat = kpss_stat(x, n);
	if (isnan(stat))
		return 0;
	while (stat > 0.463 && d < 2) {
		size_t t;

		d++;
		for (t = 0; t + 1 < n; t++)
			x[t] = x[t + 1] - x[t];
		n--;
		if (is_constant(x, n))
			return d;
		stat = kpss_stat(x, n);
		if (isnan(stat))
			return d - 1;
	}
	return d;
}

/* ---- STL (Cleveland, Cleveland, McRae & Terpenning 1990), as the Fortran
 * behind stats::stl, without the robustness iterations.  Arrays are used
 * 1-based, as in the paper's description, through pointers moved back by
 * one. ---- */

/* Loess estimate at xs from y[nleft..nright], tricube weights, local
 * level (ideg 0) or line (ideg 1).  0 when all weights vanish. */
static int
stl_est(const double *y, int n, int len, int ideg, double xs, double *ys,
	int nleft, int nright, double *w)
{
	double range = (double)n - 1.0, h, h9, h1, a = 0.0;
	int j;

	h = xs - (double)nleft;
	if ((double)nright - xs > h)
		h = (double)nright - xs;
	if (len > n)
		h += (double)((len - n) / 2);
	h9 = 0.999 * h;
	h1 = 0.001 * h;
	for (j = nleft; j <= nright; j++) {
		double r = fabs((double)j - xs);

		w[j] = 0.0;
		if (r <= h9) {
			if (r <= h1) {
				w[j] = 1.0;
			} else {
				double q = r / h, c = 1.0 - q * q * q;

				w[j] = c * c * c;
			}
			a += w[j];
		}
	}
	if (a <= 0.0)
		return 0;
	for (j = nleft; j <= nright; j++)
		w[j] /= a;
	if (h > 0.0 && ideg > 0) {
		double b, c = 0.0;

		a = 0.0;
		for (j = nleft; j <= nright; j++)
			a += w[j] * (double)j;
		b = xs - a;
		for (j = nleft; j <= nright; j++)
			c += w[j] * ((double)j - a) * ((double)j - a);
		if (sqrt(c) > 0.001 * range) {
			b /= c;
			for (j = nleft; j <= nright; j++)
				w[j] *= b * ((double)j - a) + 1.0;
		}
	}
	*ys = 0.0;
	for (j = nleft; j <= nright; j++)
		*ys += w[j] * y[j];
	return 1;
}

/* Loess smoothing of y[1..n] with span len, evaluated every njump points
 * and interpolated linearly in between. */
static void
stl_ess(const double *y, int n, int len, int ideg, int njump, double *ys,
	double *res)
{
	int newnj, nleft = 1, nright = n, nsh, i, j, k;

	if (n < 2) {
		ys[1] = y[1];
		return;
	}
	newnj = njump < n - 1 ? njump : n - 1;
	nsh = (len + 1) / 2;
	if (len >= n) {
		nleft = 1;
		nright = n;
		for (i = 1; i <= n; i += newnj)
			if (!stl_est(y, n, len, ideg, (double)i, &ys[i], nleft,
				     nright, res))
				ys[i] = y[i];
	} else if (newnj == 1) {
		nleft = 1;
		nright = len;
		for (i = 1; i <= n; i++) {
			if (i > nsh && nright != n) {
				nleft++;
				nright++;
			}
			if (!stl_est(y, n, len, ideg, (double)i, &ys[i], nleft,
				     nright, res))
				ys[i] = y[i];
		}
		return;
	} else {
		for (i = 1; i <= n; i += newnj) {
			if (i < nsh) {
				nleft = 1;
				nright = len;
			} else if (i >= n - nsh + 1) {
				nleft = n - len + 1;
				nright = n;
			} else {
				nleft = i - nsh + 1;
				nright = len + i - nsh;
			}
			if (!stl_est(y, n, len, ideg, (double)i, &ys[i], nleft,
				     nright, res))
				ys[i] = y[i];
		}
	}
	if (newnj == 1)
		return;
	for (i = 1; i <= n - newnj; i += newnj) {
		double delta = (ys[i + newnj] - ys[i]) / (double)newnj;

		for (j = i + 1; j <= i + newnj - 1; j++)
			ys[j] = ys[i] + delta * (double)(j - i);
	}
	k = ((n - 1) / newnj) * newnj + 1;
	if (k != n) {
		if (!stl_est(y, n, len, ideg, (double)n, &ys[n], nleft, nright,
			     res))
			ys[n] = y[n];
		if (k != n - 1) {
			double delta = (ys[n] - ys[k]) / (double)(n - k);

			for (j = k + 1; j <= n - 1; j++)
				ys[j] = ys[k] + delta * (double)(j - k);
		}
	}
}

/* Moving average of length len over x[1..n] into ave[1..n-len+1]. */
static void
stl_ma(const double *x, int n, int len, double *ave)
{
	double v = 0.0;
	int i, newn = n - len + 1;

	for (i = 1; i <= len; i++)
		v += x[i];
	ave[1] = v / (double)len;
	for (i = 2; i <= newn; i++) {
		v = v - x[i - 1] + x[len + i - 1];
		ave[i] = v / (double)len;
	}
}

/* Seasonal smoothing: each cycle-subseries smoothed by loess and
 * extended by one value at each end, into season[1..n + 2 np]. */
static void
stl_ss(const double *y, int n, int np, int ns, int isdeg, int nsjump,
       double *season, double *work1, double *work2, double *work4)
{
	int j, i, k, m;

	for (j = 1; j <= np; j++) {
		k = (n - j) / np + 1;
		for (i = 1; i <= k; i++)
			work1[i] = y[(i - 1) * np + j];
		stl_ess(work1, k, ns, isdeg, nsjump, work2 + 1, work4);
		if (!stl_est(work1, k, ns, isdeg, 0.0, &work2[1], 1,
			     ns < k ? ns : k, work4))
			work2[1] = work2[2];
		if (!stl_est(work1, k, ns, isdeg, (double)(k + 1), &work2[k + 2],
			     k - ns + 1 > 1 ? k - ns + 1 : 1, k, work4))
			work2[k + 2] = work2[k + 1];
		for (m = 1; m <= k + 2; m++)
			season[(m - 1) * np + j] = work2[m];
	}
}

static int
nextodd(double x)
{
	int v = (int)floor(x + 0.5);

	return v % 2 == 0 ? v + 1 : v;
}

/* forecast:::seas.heuristic on mstl(x) = stl(x, s.window = 11):
 * max(0, min(1, 1 - var(remainder) / var(remainder + seasonal))).  -1 on
 * allocation failure. */
static double
seasonal_strength(const double *x, size_t nn, int np)
{
	int n = (int)nn, ns = 11, nt, nl, i, it;
	int nsjump, ntjump, nljump;
	size_t len = nn + 2 * (size_t)np + 1;
	double *buf, *w1, *w2, *w3, *w4, *w5, *season, *trend, *xx;
	double mr = 0.0, ms = 0.0, vr = 0.0, vs = 0.0, strength;

	nt = nextodd(ceil(1.5 * np / (1.0 - 1.5 / ns)));
	nl = nextodd((double)np);
	if (nt < 3)
		nt = 3;
	if (nl < 3)
		nl = 3;
	nsjump = (ns + 9) / 10;
	ntjump = (nt + 9) / 10;
	nljump = (nl + 9) / 10;
	buf = calloc(8 * len, sizeof(*buf));
	if (!buf)
		return -1.0;
	/* 1-based views */
	w1 = buf;
	w2 = buf + len;
	w3 = buf + 2 * len;
	w4 = buf + 3 * len;
	w5 = buf + 4 * len;
	season = buf + 5 * len;
	trend = buf + 6 * len;
	xx = buf + 7 * len;
	for (i = 1; i <= n; i++)
		xx[i] = x[i - 1];
	x = xx;
	for (it = 0; it < 2; it++) {
		for (i = 1; i <= n; i++)
			w1[i] = x[i] - trend[i];
		stl_ss(w1, n, np, ns, 0, nsjump, w2, w3, w4, season);
		/* low-pass: moving averages np, np, 3, then loess */
		stl_ma(w2, n + 2 * np, np, w3);
		stl_ma(w3, n + np + 1, np, w1);
		stl_ma(w1, n + 2, 3, w3);
		stl_ess(w3, n, nl, 1, nljump, w1, w5);
		for (i = 1; i <= n; i++)
			season[i] = w2[np + i] - w1[i];
		for (i = 1; i <= n; i++)
			w1[i] = x[i] - season[i];
		stl_ess(w1, n, nt, 1, ntjump, trend, w3);
	}
	for (i = 1; i <= n; i++) {
		double r = x[i] - season[i] - trend[i];

		mr += r;
		ms += r + season[i];
	}
	mr /= n;
	ms /= n;
	for (i = 1; i <= n; i++) {
		double r = x[i] - season[i] - trend[i];

		vr += (r - mr) * (r - mr);
		vs += (r + season[i] - ms) * (r + season[i] - ms);
	}
	free(buf);
	strength = 1.0 - vr / vs;
	if (!(strength > 0.0))
		return 0.0;
	return strength < 1.0 ? strength : 1.0;
}

/* ==== Workspace ==== */

static int
ws_init(struct ws *ws, const double *y, size_t n, int m, size_t maxlag)
{
	size_t L = maxlag + 2, total;
	double *b;

	memset(ws, 0, sizeof(*ws));
	ws->y = y;
	ws->n = n;
	ws->m = m;
	ws->maxlag = maxlag;
	ws->scale = 1.0;
	total = 4 * n + 3 * L + 3 * L + L * L + 4 * L;
	b = malloc(total * sizeof(*b));
	ws->nzlag = malloc(2 * L * sizeof(*ws->nzlag));
	if (!b || !ws->nzlag) {
		free(b);
		free(ws->nzlag);
		ws->nzlag = NULL;
		return -1;
	}
	memset(b, 0, total * sizeof(*b));
	ws->dy = b;
	ws->dx = b + n;
	ws->w = b + 2 * n;
	ws->res = b + 3 * n;
	b += 4 * n;
	ws->delta = b;
	ws->phi = b + L;
	ws->theta = b + 2 * L;
	b += 3 * L;
	ws->gam = b;
	ws->psi = b + L;	/* 2 L: also the AR autocovariances */
	b += 3 * L;
	ws->A = b;
	b += L * L;
	ws->v1 = b;
	ws->v2 = b + L;
	ws->v3 = b + 2 * L;
	ws->v4 = b + 3 * L;
	return 0;
}

static void
ws_free(struct ws *ws)
{
	free(ws->dy);
	free(ws->nzlag);
}

/* ==== The automatic choice ==== */

#define NMODELS 94

struct search {
	struct ws *ws;
	int d, D;
	int maxp, maxq, maxP, maxQ;
	int approx;
	int k;				/* models tried */
	order_t tried[NMODELS];
	double ic[NMODELS];
};

/* forecast:::newmodel(): not tried yet. */
static int
untried(const struct search *s, int p, int q, int P, int Q, int c)
{
	int i;

	for (i = 0; i < s->k; i++)
		if (s->tried[i].p == p && s->tried[i].q == q &&
		    s->tried[i].P == P && s->tried[i].Q == Q &&
		    s->tried[i].constant == c)
			return 0;
	return 1;
}

/* forecast:::myarima() for one candidate, recorded in the table. */
static void
try_order(struct search *s, int p, int q, int P, int Q, int c, struct fit *f)
{
	order_t o;

	o.p = p;
	o.d = s->d;
	o.q = q;
	o.P = P;
	o.D = s->D;
	o.Q = Q;
	o.constant = c;
	if (fit_order(s->ws, &o, s->approx, f) != 0) {
		memset(f, 0, sizeof(*f));
		f->o = o;
		f->ic = INFINITY;
	}
	if (s->k < NMODELS) {
		s->tried[s->k] = o;
		s->ic[s->k] = f->ic;
		s->k++;
	}
}

/* fit beats best: the deferred variance check runs only now, for a fit
 * that would otherwise win; its recorded criterion is updated. */
static int
wins(struct search *s, struct fit *f, const struct fit *best)
{
	if (!(f->ic < best->ic))
		return 0;
	hess_check(s->ws, f);
	if (s->k > 0)
		s->ic[s->k - 1] = f->ic;
	return f->ic < best->ic;
}

/* The stepwise search of auto.arima (Hyndman & Khandakar 2008, as
 * forecast 8.20 codes it); best gets the chosen fit (ic infinite when
 * nothing could be fitted). */
static void
stepwise(struct search *s, int constant, int allow_const, size_t n,
	 struct fit *best)
{
	static const int moves[16][4] = {
		{ 0, 0, -1, 0 }, { 0, 0, 0, -1 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 },
		{ 0, 0, -1, -1 }, { 0, 0, -1, 1 }, { 0, 0, 1, -1 }, { 0, 0, 1, 1 },
		{ -1, 0, 0, 0 }, { 0, -1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 1, 0, 0 },
		{ -1, -1, 0, 0 }, { -1, 1, 0, 0 }, { 1, -1, 0, 0 }, { 1, 1, 0, 0 },
	};
	struct fit f;
	int p, q, P, Q, startk, i, sp = 2, sq = 2, sP = 1, sQ = 1;

	if (n < 10) {
		sp = 1;
		sq = 1;
		sP = 0;
		sQ = 0;
	}
	p = sp < s->maxp ? sp : s->maxp;
	q = sq < s->maxq ? sq : s->maxq;
	P = sP < s->maxP ? sP : s->maxP;
	Q = sQ < s->maxQ ? sQ : s->maxQ;
	try_order(s, p, q, P, Q, constant, best);
	hess_check(s->ws, best);
	s->ic[s->k - 1] = best->ic;
	try_order(s, 0, 0, 0, 0, constant, &f);
	if (wins(s, &f, best)) {
		*best = f;
		p = q = P = Q = 0;
	}
	if (s->maxp > 0 || s->maxP > 0) {
		int np = s->maxp > 0, nP = s->maxP > 0;

		try_order(s, np, 0, nP, 0, constant, &f);
		if (wins(s, &f, best)) {
			*best = f;
			p = np;
			P = nP;
			q = Q = 0;
		}
	}
	if (s->maxq > 0 || s->maxQ > 0) {
		int nq = s->maxq > 0, nQ = s->maxQ > 0;

		try_order(s, 0, nq, 0, nQ, constant, &f);
		if (wins(s, &f, best)) {
			*best = f;
			p = P = 0;
			q = nq;
			Q = nQ;
		}
	}
	if (constant) {
		/* forecast 8.20 keeps `constant` set after this one wins */
		try_order(s, 0, 0, 0, 0, 0, &f);
		if (wins(s, &f, best)) {
			*best = f;
			p = q = P = Q = 0;
		}
	}
	startk = 0;
	while (startk < s->k && s->k < NMODELS) {
		int improved = 0;

		startk = s->k;
		for (i = 0; i < 16 && !improved; i++) {
			int np = p + moves[i][0], nq = q + moves[i][1];
			int nP = P + moves[i][2], nQ = Q + moves[i][3];

			if (np < 0 || np > s->maxp || nq < 0 || nq > s->maxq ||
			    nP < 0 || nP > s->maxP || nQ < 0 || nQ > s->maxQ ||
			    !untried(s, np, nq, nP, nQ, constant))
				continue;
			if (s->k >= NMODELS)
				return;
			try_order(s, np, nq, nP, nQ, constant, &f);
			if (wins(s, &f, best)) {
				*best = f;
				p = np;
				q = nq;
				P = nP;
				Q = nQ;
				improved = 1;
			}
		}
		if (improved || !allow_const ||
		    !untried(s, p, q, P, Q, !constant))
			continue;
		if (s->k >= NMODELS)
			return;
		try_order(s, p, q, P, Q, !constant, &f);
		if (wins(s, &f, best)) {
			*best = f;
			constant = !constant;
		}
	}
}

/* After a search on CSS fits, refit the candidates exactly in order of
 * their criterion until one fits (auto.arima's approximation). */
static void
refit_exact(struct search *s, struct fit *best)
{
	int idx[NMODELS], i, j;
	struct fit f;

	for (i = 0; i < s->k; i++)
		idx[i] = i;
	for (i = 1; i < s->k; i++) {	/* stable insertion sort */
		int v = idx[i];

		for (j = i; j > 0 && s->ic[idx[j - 1]] > s->ic[v]; j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
	for (i = 0; i < s->k; i++) {
		if (fit_order(s->ws, &s->tried[idx[i]], 0, &f) != 0)
			continue;
		hess_check(s->ws, &f);
		if (f.ic < INFINITY) {
			*best = f;
			return;
		}
	}
}

/* A model with no free coefficient: order o, beta fixed (when nbeta). */
static void
fixed_fit(struct ws *ws, const order_t *o, int nbeta, double beta,
	  struct fit *f)
{
	memset(f, 0, sizeof(*f));
	f->o = *o;
	f->nbeta = nbeta;
	f->beta_fixed = nbeta;
	f->coef[0] = beta;
	f->nused = ws->n - ((size_t)o->d + (size_t)ws->m * (size_t)o->D);
	f->loglik = f->aic = f->aicc = f->bic = NAN;
	f->ic = INFINITY;
}

static enum kpi_status
check_input(const double *y, size_t n, const struct kpi_fc_spec *spec,
	    struct kpi_fc_result *out, struct kpi_error *err)
{
	size_t t;

	if (!y || !spec || !out)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "arima: missing argument");
	if (spec->m < 1 || spec->horizon < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "arima: season and horizon must be >= 1");
	if (spec->m > MAX_PERIOD)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "arima: seasonal period %d above %d is not supported",
				     spec->m, MAX_PERIOD);
	if (n < 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "arima needs at least 1 observation");
	for (t = 0; t < n; t++)
		if (!isfinite(y[t]))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "arima: value %zu is not finite",
					     t + 1);
	return KPI_OK;
}

/* Series whose squares would overflow (or vanish) are fitted divided by a
 * power of two, which is exact, and the results multiplied back; *ys gets
 * the scaled copy (NULL when no scaling is needed).  -1 on allocation
 * failure. */
static int
scaled_copy(const double *y, size_t n, double **ys, double *scale)
{
	double maxabs = 0.0;
	size_t t;
	int e;

	*ys = NULL;
	*scale = 1.0;
	for (t = 0; t < n; t++)
		if (fabs(y[t]) > maxabs)
			maxabs = fabs(y[t]);
	if (!(maxabs > 1e100 || (maxabs > 0.0 && maxabs < 1e-100)))
		return 0;
	frexp(maxabs, &e);
	*scale = ldexp(1.0, e);
	*ys = malloc(n * sizeof(**ys));
	if (!*ys)
		return -1;
	for (t = 0; t < n; t++)
		(*ys)[t] = y[t] / *scale;
	return 0;
}

/* auto.arima on a constant series: the mean, with zero-width intervals. */
static enum kpi_status
constant_model(const double *y, size_t n, const struct kpi_fc_spec *spec,
	       struct kpi_fc_result *out, struct kpi_error *err)
{
	struct kpi_fc_result res;
	enum kpi_status st;
	size_t t, l;
	int j;

	st = kpi_fc_result_alloc(&res, n, spec, err);
	if (st != KPI_OK)
		return st;
	snprintf(res.model, sizeof(res.model),
		 "ARIMA(0,0,0) with non-zero mean");
	for (t = 0; t < n; t++)
		res.fitted[t] = y[t];
	for (j = 0; j < res.h; j++) {
		res.mean[j] = y[0];
		for (l = 0; l < res.nlevels; l++) {
			res.lo[l * (size_t)res.h + (size_t)j] = y[0];
			res.hi[l * (size_t)res.h + (size_t)j] = y[0];
		}
	}
	res.sigma2 = 0.0;
	res.nparam = 1;
	snprintf(res.param_name[0], sizeof(res.param_name[0]), "intercept");
	res.param[0] = y[0];
	*out = res;
	return KPI_OK;
}

enum kpi_status
kpi_fc_arima(const double *y, size_t n, const struct kpi_fc_spec *spec,
	     struct kpi_fc_result *out, struct kpi_error *err)
{
	struct ws ws;
	struct search s;
	struct fit best;
	double *dx = NULL, *ys = NULL, scale;
	enum kpi_status st;
	size_t nd, t;
	int m, d, D, constant, allow_const;

	st = check_input(y, n, spec, out, err);
	if (st != KPI_OK)
		return st;
	if (is_constant(y, n))
		return constant_model(y, n, spec, out, err);
	m = spec->m;
	if (scaled_copy(y, n, &ys, &scale) != 0)
		return kpi_error_set(err, KPI_ENOMEM, 0, "arima: out of memory");
	if (ys)
		y = ys;
	if (ws_init(&ws, y, n, m, 5 + 2 * (size_t)m + 2) != 0) {
		free(ys);
		return kpi_error_set(err, KPI_ENOMEM, 0, "arima: out of memory");
	}
	ws.scale = scale;
	dx = malloc(n * sizeof(*dx));
	if (!dx) {
		st = kpi_error_set(err, KPI_ENOMEM, 0, "arima: out of memory");
		goto out;
	}
	ws.use_aic = n <= 3;

	/* Seasonal differencing: STL seasonal strength > 0.64. */
	D = 0;
	if (m > 1 && n > 2 * (size_t)m && !is_constant(y, n)) {
		double str = seasonal_strength(y, n, m);

		if (str < 0.0) {
			st = kpi_error_set(err, KPI_ENOMEM, 0,
					   "arima: out of memory");
			goto out;
		}
		D = str > 0.64;
	}
	nd = n;
	memcpy(dx, y, n * sizeof(*dx));
	if (D) {
		for (t = 0; t + (size_t)m < n; t++)
			dx[t] = dx[t + (size_t)m] - dx[t];
		nd -= (size_t)m;
	}
	d = ndiffs(dx, nd);
	/* ndiffs left the differences in dx only when it differenced; redo
	 * them for the constant check below. */
	memcpy(dx, y, n * sizeof(*dx));
	nd = n;
	if (D) {
		for (t = 0; t + (size_t)m < n; t++)
			dx[t] = dx[t + (size_t)m] - dx[t];
		nd -= (size_t)m;
	}
	for (int i = 0; i < d && nd > 0; i++) {
		for (t = 0; t + 1 < nd; t++)
			dx[t] = dx[t + 1] - dx[t];
		nd--;
	}
	if (nd == 0) {
		st = kpi_error_set(err, KPI_EINVAL, 0,
				   "arima: not enough data to proceed");
		goto out;
	}
	if (is_constant(dx, nd)) {
		/* auto.arima's special cases for a polynomial series */
		order_t o = { 0, d, 0, 0, D, 0, 0 };
		double mean = 0.0;

		for (t = 0; t < nd; t++)
			mean += dx[t];
		mean /= (double)nd;
		if (D > 0 && d == 0) {
			o.constant = 1;
			fixed_fit(&ws, &o, 1, mean / (double)m, &best);
		} else if (D == 0 && d < 2) {
			o.constant = 1;
			fixed_fit(&ws, &o, 1, mean, &best);
		} else {
			fixed_fit(&ws, &o, 0, 0.0, &best);
		}
		st = finish(&ws, &best, spec, out, err);
		goto out;
	}

	memset(&s, 0, sizeof(s));
	s.ws = &ws;
	s.d = d;
	s.D = D;
	s.maxp = (int)(n / 3) < 5 ? (int)(n / 3) : 5;
	s.maxq = s.maxp;
	s.maxP = m > 1 ? ((int)(n / 3 / (size_t)m) < 2 ?
			  (int)(n / 3 / (size_t)m) : 2) : 0;
	s.maxQ = s.maxP;
	if (m > 1) {
		if (s.maxP > 0 && s.maxp > m - 1)
			s.maxp = m - 1;
		if (s.maxQ > 0 && s.maxq > m - 1)
			s.maxq = m - 1;
	}
	s.approx = n > 150 || m > 12;
	if (s.approx) {
		/* offset: -2 loglik - n log sigma2 of ARIMA(0,d,0)(0,D,0) */
		order_t o0 = { 0, d, 0, 0, D, 0, d + D == 0 };
		struct fit f0;

		ws.offset = 0.0;
		if (fit_order(&ws, &o0, 0, &f0) == 0 && isfinite(f0.loglik))
			ws.offset = -2.0 * f0.loglik - (double)n * log(f0.s2);
	}
	allow_const = d + D <= 1;
	constant = allow_const;
	stepwise(&s, constant, allow_const, n, &best);
	if (s.approx && best.ic < INFINITY)
		refit_exact(&s, &best);
	else if (s.approx)
		best.ic = INFINITY;
	if (!(best.ic < INFINITY)) {
		st = kpi_error_set(err, KPI_EINVAL, 0,
				   "arima: no suitable ARIMA model found");
		goto out;
	}
	st = finish(&ws, &best, spec, out, err);
out:
	free(dx);
	free(ys);
	ws_free(&ws);
	return st;
}

enum kpi_status
kpi_fc_arima_order(const double *y, size_t n, const struct kpi_fc_spec *spec,
		   const struct kpi_arima_order *order,
		   struct kpi_fc_result *out, struct kpi_error *err)
{
	struct ws ws;
	struct fit f;
	enum kpi_status st;
	size_t maxlag;
	double *ys = NULL, scale;

	st = check_input(y, n, spec, out, err);
	if (st != KPI_OK)
		return st;
	if (!order || order->p < 0 || order->q < 0 || order->P < 0 ||
	    order->Q < 0 || order->d < 0 || order->D < 0 || order->p > 5 ||
	    order->q > 5 || order->P > 2 || order->Q > 2 || order->d > 2 ||
	    order->D > 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "arima: orders above (5,2,5)(2,1,2) are not supported");
	maxlag = (size_t)(order->p > order->q ? order->p : order->q) +
		 (size_t)spec->m * (size_t)(order->P > order->Q ? order->P
								 : order->Q) +
		 (size_t)order->d + (size_t)spec->m * (size_t)order->D + 2;
	if (scaled_copy(y, n, &ys, &scale) != 0)
		return kpi_error_set(err, KPI_ENOMEM, 0, "arima: out of memory");
	if (ws_init(&ws, ys ? ys : y, n, spec->m, maxlag) != 0) {
		free(ys);
		return kpi_error_set(err, KPI_ENOMEM, 0, "arima: out of memory");
	}
	ws.scale = scale;
	ws.use_aic = n <= 3;
	if (fit_order(&ws, order, 0, &f) != 0)
		st = kpi_error_set(err, KPI_EINVAL, 0,
				   "arima: the model could not be fitted");
	else
		st = finish(&ws, &f, spec, out, err);
	ws_free(&ws);
	free(ys);
	return st;
}
