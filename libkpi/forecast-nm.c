/* forecast-nm.c - the Nelder-Mead simplex minimiser of R's optim(), shared
 * by the models that follow R code fitted with it (Theta, DOTM).
 *
 * The algorithm of Nelder & Mead (1965) in the form of Nash, "Compact
 * Numerical Methods for Computers" (1990), Algorithm 19, which is what
 * R's optim(method = "Nelder-Mead") runs, step for step, so that a model
 * written after R code lands on R's optimum and not merely near it. */
#include <math.h>

#include "forecast-internal.h"

#define NM_MAXDIM KPI_FC_NM_MAXDIM
#define NM_BIG 1.0e35

double
kpi_fc_nelder_mead(kpi_fc_nm_fn fn, void *ctx, double *x, int dim,
		   double reltol, int maxit)
{
	double P[NM_MAXDIM + 1][NM_MAXDIM + 2];	/* rows: coordinates, f */
	double trial[NM_MAXDIM], f, step, size, oldsize, convtol;
	double vl, vh, vr;
	int lo, hi, i, j, nfun, calcvert, np1 = dim + 1, cen = dim + 1;

	if (dim < 1 || dim > NM_MAXDIM)
		return NAN;
	f = fn(x, ctx);
	if (!isfinite(f))
		return f;
	nfun = 1;
	convtol = reltol * (fabs(f) + reltol);
	for (i = 0; i < dim; i++)
		P[i][0] = x[i];
	P[dim][0] = f;
	step = 0.0;
	for (i = 0; i < dim; i++)
		if (0.1 * fabs(x[i]) > step)
			step = 0.1 * fabs(x[i]);
	if (step == 0.0)
		step = 0.1;
	size = 0.0;
	for (j = 1; j < np1; j++) {
		double tstep = step;

		for (i = 0; i < dim; i++)
			P[i][j] = x[i];
		while (P[j - 1][j] == x[j - 1]) {
			P[j - 1][j] = x[j - 1] + tstep;
			tstep *= 10.0;
		}
		size += tstep;
	}
	oldsize = size;
	calcvert = 1;
	lo = 0;
	for (;;) {
		if (calcvert) {
			for (j = 0; j < np1; j++) {
				if (j == lo)
					continue;
				for (i = 0; i < dim; i++)
					trial[i] = P[i][j];
				f = fn(trial, ctx);
				if (!isfinite(f))
					f = NM_BIG;
				nfun++;
				P[dim][j] = f;
			}
			calcvert = 0;
		}
		vl = P[dim][lo];
		vh = vl;
		hi = lo;
		for (j = 0; j < np1; j++) {
			if (j == lo)
				continue;
			f = P[dim][j];
			if (f < vl) {
				lo = j;
				vl = f;
			}
			if (f > vh) {
				hi = j;
				vh = f;
			}
		}
		if (vh <= vl + convtol)
			break;
		/* Centroid of all but the highest vertex. */
		for (i = 0; i < dim; i++) {
			double s = -P[i][hi];

			for (j = 0; j < np1; j++)
				s += P[i][j];
			P[i][cen] = s / dim;
		}
		for (i = 0; i < dim; i++)
			trial[i] = 2.0 * P[i][cen] - P[i][hi];
		f = fn(trial, ctx);
		if (!isfinite(f))
			f = NM_BIG;
		nfun++;
		vr = f;
		if (vr < vl) {
			/* Reflection is the best: try going twice as far. */
			P[dim][cen] = f;
			for (i = 0; i < dim; i++) {
				double e = 2.0 * trial[i] - P[i][cen];

				P[i][cen] = trial[i];
				trial[i] = e;
			}
			f = fn(trial, ctx);
			if (!isfinite(f))
				f = NM_BIG;
			nfun++;
			if (f < vr) {
				for (i = 0; i < dim; i++)
					P[i][hi] = trial[i];
				P[dim][hi] = f;
			} else {
				for (i = 0; i < dim; i++)
					P[i][hi] = P[i][cen];
				P[dim][hi] = vr;
			}
			if (nfun > maxit)
				break;
			continue;
		}
		if (vr < vh) {
			for (i = 0; i < dim; i++)
				P[i][hi] = trial[i];
			P[dim][hi] = vr;
		}
		/* Contract the highest vertex towards the centroid. */
		for (i = 0; i < dim; i++)
			trial[i] = 0.5 * P[i][hi] + 0.5 * P[i][cen];
		f = fn(trial, ctx);
		if (!isfinite(f))
			f = NM_BIG;
		nfun++;
		if (f < P[dim][hi]) {
			for (i = 0; i < dim; i++)
				P[i][hi] = trial[i];
			P[dim][hi] = f;
		} else if (vr >= vh) {
			/* Shrink the whole simplex towards the lowest vertex. */
			calcvert = 1;
			size = 0.0;
			for (j = 0; j < np1; j++) {
				if (j == lo)
					continue;
				for (i = 0; i < dim; i++) {
					P[i][j] = 0.5 * (P[i][j] - P[i][lo]) +
						  P[i][lo];
					size += fabs(P[i][j] - P[i][lo]);
				}
			}
			if (size < oldsize)
				oldsize = size;
			else
				break;
		}
		/* Like R, stop after the iteration that passes maxit and
		 * return the vertex that was lowest when it began. */
		if (nfun > maxit)
			break;
	}
	for (i = 0; i < dim; i++)
		x[i] = P[i][lo];
	return P[dim][lo];
}
