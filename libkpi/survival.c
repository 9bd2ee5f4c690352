/* survival.c - Kaplan-Meier and Aalen-Johansen estimates for right-censored
 * durations, with the variances and summaries R's survival package gives. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "kpi/survival.h"

/* ==== Sorted observations ==== */

/* One observation, copied so that the caller's arrays stay as they are and
 * the sort moves 16 bytes instead of chasing an index into two arrays. */
struct obs {
	double t;
	int s;
};

/* The sort key of a time >= 0: for non-negative doubles the IEEE 754 bit
 * patterns, read as unsigned integers, are in the order of the values (-0
 * is made +0 by the caller). */
static uint64_t
obs_key(const struct obs *o)
{
	uint64_t u;

	memcpy(&u, &o->t, sizeof(u));
	return u;
}

/* LSD radix sort on the 8 bytes of the key, one counting pass per byte
 * (Knuth, TAOCP vol. 3, 5.2.5): O(n), against O(n log n) calls through
 * qsort's comparison pointer, which took 130 ms for a million deals.  A
 * byte that is the same in every key is skipped; for whole days only two
 * or three bytes differ.  Sorts o[] using tmp[] (both n long). */
static void
obs_radix_sort(struct obs *o, struct obs *tmp, size_t n)
{
	size_t count[8][256] = { { 0 } };
	struct obs *src = o, *dst = tmp, *swap;
	size_t i, b, sum, c;
	uint64_t k;
	unsigned byte;

	if (n < 2)
		return;
	for (i = 0; i < n; i++) {
		k = obs_key(&o[i]);
		for (b = 0; b < 8; b++)
			count[b][(k >> (8 * b)) & 0xff]++;
	}
	for (b = 0; b < 8; b++) {
		byte = (unsigned)((obs_key(&src[0]) >> (8 * b)) & 0xff);
		if (count[b][byte] == n)
			continue;
		sum = 0;
		for (c = 0; c < 256; c++) {
			size_t here = count[b][c];

			count[b][c] = sum;
			sum += here;
		}
		for (i = 0; i < n; i++) {
			byte = (unsigned)((obs_key(&src[i]) >> (8 * b)) & 0xff);
			dst[count[b][byte]++] = src[i];
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != o)
		memcpy(o, src, n * sizeof(*o));
}

/* malloc(count * size) with an overflow check (NULL when too big); a zero
 * count still gets a valid pointer, so that NULL always means failure. */
static void *
alloc_array(size_t count, size_t size)
{
	if (count == 0)
		count = 1;
	if (count > SIZE_MAX / size)
		return NULL;
	return malloc(count * size);
}

/* Validate and copy (time[i], status[i]) and sort the copy by time.  Only
 * the time order matters: each tie group is then handled as a whole, with
 * everyone in it at risk, which is R's "events before censorings". */
static enum kpi_status
obs_sorted(const double *time, const int *status, size_t n, int maxstatus,
	   struct obs **out, struct kpi_error *err)
{
	struct obs *o, *tmp;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isfinite(time[i]) || time[i] < 0.0)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "time[%zu] = %g is not a duration "
					     ">= 0", i, time[i]);
		if (status[i] < 0 || status[i] > maxstatus)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "status[%zu] = %d is not in "
					     "0..%d", i, status[i], maxstatus);
	}
	o = alloc_array(n, sizeof(*o));
	tmp = alloc_array(n, sizeof(*tmp));
	if (!o || !tmp) {
		free(o);
		free(tmp);
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory for %zu observations", n);
	}
	for (i = 0; i < n; i++) {
		o[i].t = time[i] + 0.0;		/* -0 becomes +0 */
		o[i].s = status[i];
	}
	obs_radix_sort(o, tmp, n);
	free(tmp);
	*out = o;
	return KPI_OK;
}

/* Number of distinct times at which at least one event happens. */
static size_t
count_event_times(const struct obs *o, size_t n)
{
	size_t i = 0, k = 0;
	double t;
	int any;

	while (i < n) {
		t = o[i].t;
		any = 0;
		for (; i < n && o[i].t == t; i++)
			any |= o[i].s != 0;
		k += (size_t)any;
	}
	return k;
}

/* Index of the last step at or before t, plus one (0: before the first);
 * time[] ascending. */
static size_t
steps_upto(const double *time, size_t k, double t)
{
	size_t lo = 0, hi = k, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (time[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
level_ok(double level)
{
	return level > 0.0 && level < 1.0;
}

/* ==== Kaplan-Meier ==== */

void
kpi_km_free(struct kpi_km *km)
{
	if (!km)
		return;
	free(km->time);
	free(km->n_risk);
	free(km->n_event);
	free(km->surv);
	free(km->std_err);
	free(km->lower);
	free(km->upper);
	free(km);
}

/* Kaplan & Meier (1958): S(t) = prod over event times t_j <= t of
 * (1 - d_j / n_j).  Greenwood (1926): var(log S(t)) = sum d_j / (n_j (n_j -
 * d_j)); the "log" limits exp(log S -/+ z se(log S)) are survfit's default
 * conf.type (Therneau & Grambsch 2000, 2.1).  Once S reaches 0 it stays
 * there and its log-scale variance is infinite: R reports NA limits. */
enum kpi_status
kpi_km_new(struct kpi_km **out, const double *time, const int *event,
	   size_t n, double level, struct kpi_error *err)
{
	enum kpi_status st;
	struct kpi_km *km = NULL;
	struct obs *o = NULL;
	size_t i, j, k, risk, d, c;
	double s = 1.0, gw = 0.0, z, t;

	if (!level_ok(level))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "confidence level %g is not between 0 "
				     "and 1", level);
	st = obs_sorted(time, event, n, 1, &o, err);
	if (st != KPI_OK)
		return st;
	st = KPI_ENOMEM;
	km = calloc(1, sizeof(*km));
	if (!km)
		goto out;
	k = count_event_times(o, n);
	km->n = n;
	km->level = level;
	km->k = k;
	km->max_time = n ? o[n - 1].t : NAN;
	km->time = alloc_array(k, sizeof(*km->time));
	km->n_risk = alloc_array(k, sizeof(*km->n_risk));
	km->n_event = alloc_array(k, sizeof(*km->n_event));
	km->surv = alloc_array(k, sizeof(*km->surv));
	km->std_err = alloc_array(k, sizeof(*km->std_err));
	km->lower = alloc_array(k, sizeof(*km->lower));
	km->upper = alloc_array(k, sizeof(*km->upper));
	if (!km->time || !km->n_risk || !km->n_event || !km->surv ||
	    !km->std_err || !km->lower || !km->upper)
		goto out;

	z = gsl_cdf_ugaussian_Qinv((1.0 - level) / 2.0);
	risk = n;
	j = 0;
	for (i = 0; i < n;) {
		t = o[i].t;
		d = 0;
		c = 0;
		for (; i < n && o[i].t == t; i++) {
			if (o[i].s)
				d++;
			else
				c++;
		}
		if (d > 0) {
			s *= (double)(risk - d) / (double)risk;
			if (risk > d)
				gw += (double)d /
				      ((double)risk * (double)(risk - d));
			km->time[j] = t;
			km->n_risk[j] = risk;
			km->n_event[j] = d;
			km->surv[j] = s;
			if (s > 0.0) {
				km->std_err[j] = s * sqrt(gw);
				km->lower[j] = exp(log(s) - z * sqrt(gw));
				km->upper[j] = fmin(1.0,
						    exp(log(s) + z * sqrt(gw)));
			} else {
				km->std_err[j] = NAN;
				km->lower[j] = NAN;
				km->upper[j] = NAN;
			}
			km->events += d;
			j++;
		}
		risk -= d + c;
	}
	*out = km;
	km = NULL;
	st = KPI_OK;
out:
	if (st == KPI_ENOMEM)
		kpi_error_set(err, st, 0, "out of memory for a Kaplan-Meier "
			      "curve of %zu observations", n);
	kpi_km_free(km);
	free(o);
	return st;
}

void
kpi_km_at(const struct kpi_km *km, double t, double *surv, double *std_err,
	  double *lower, double *upper)
{
	double s = NAN, se = NAN, lo = NAN, hi = NAN;
	size_t j;

	if (km->n > 0 && t <= km->max_time) {
		j = steps_upto(km->time, km->k, t);
		if (j == 0) {
			s = 1.0;
			se = 0.0;
			lo = 1.0;
			hi = 1.0;
		} else {
			s = km->surv[j - 1];
			se = km->std_err[j - 1];
			lo = km->lower[j - 1];
			hi = km->upper[j - 1];
		}
	}
	if (surv)
		*surv = s;
	if (std_err)
		*std_err = se;
	if (lower)
		*lower = lo;
	if (upper)
		*upper = hi;
}

double
kpi_km_surv(const struct kpi_km *km, double t)
{
	double s;

	kpi_km_at(km, t, &s, NULL, NULL, NULL);
	return s;
}

/* The median rule of R's print.survfit (survival 3.x, survmean()): the
 * first time the curve is below 1/2 + tol, tol = sqrt(DBL_EPSILON); if the
 * curve is 1/2 there (within tol), the midpoint between that time and the
 * first later time the curve is lower, the usual convention for a sample
 * median of an even count.  Missing (NaN) points are skipped.  The upper
 * curve need not be monotone, so the scan is in time order, not a search. */
static double
median_of(const double *y, const double *time, size_t k)
{
	const double tol = sqrt(DBL_EPSILON);
	size_t j, l;

	for (j = 0; j < k; j++)
		if (!isnan(y[j]) && y[j] < 0.5 + tol)
			break;
	if (j == k)
		return NAN;
	if (fabs(y[j] - 0.5) < tol) {
		for (l = j + 1; l < k; l++)
			if (!isnan(y[l]) && y[l] < y[j])
				return (time[j] + time[l]) / 2.0;
	}
	return time[j];
}

void
kpi_km_median(const struct kpi_km *km, double *median, double *lower,
	      double *upper)
{
	if (median)
		*median = median_of(km->surv, km->time, km->k);
	if (lower)
		*lower = median_of(km->lower, km->time, km->k);
	if (upper)
		*upper = median_of(km->upper, km->time, km->k);
}

/* Area under the step curve from 0 to tau, and the variance of R's
 * survmean(): sum over event times t_j <= tau of A_j^2 d_j / (n_j (n_j -
 * d_j)), A_j the area from t_j to tau (Klein & Moeschberger 2003, eq. 4.5.2),
 * accumulated backwards so that each A_j costs O(1). */
enum kpi_status
kpi_km_rmean(const struct kpi_km *km, double tau, double *rmean,
	     double *std_err, struct kpi_error *err)
{
	double area = 0.0, prev_t = 0.0, prev_s = 1.0, a, var = 0.0, nr, d;
	size_t j, m;

	if (!isfinite(tau) || tau < 0.0)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "restricted mean horizon %g is not a "
				     "duration >= 0", tau);
	if (km->n == 0) {
		*rmean = NAN;
		*std_err = NAN;
		return KPI_OK;
	}
	m = steps_upto(km->time, km->k, tau);
	for (j = 0; j < m; j++) {
		area += (km->time[j] - prev_t) * prev_s;
		prev_t = km->time[j];
		prev_s = km->surv[j];
	}
	area += (tau - prev_t) * prev_s;
	/* a = area from time[j] to tau, from the last step back */
	a = 0.0;
	prev_t = tau;
	for (j = m; j-- > 0;) {
		a += (prev_t - km->time[j]) * km->surv[j];
		prev_t = km->time[j];
		nr = (double)km->n_risk[j];
		d = (double)km->n_event[j];
		if (nr > d)
			var += a * a * d / (nr * (nr - d));
	}
	*rmean = area;
	*std_err = sqrt(var);
	return KPI_OK;
}

/* ==== Aalen-Johansen ==== */

void
kpi_cif_free(struct kpi_cif *cif)
{
	if (!cif)
		return;
	free(cif->time);
	free(cif->n_risk);
	free(cif->n_event);
	free(cif->pstate);
	free(cif->std_err);
	free(cif);
}

/* Running sums of the variance recursion for one cause; see kpi_cif_new. */
struct cif_var {
	double f;	/* F_c at the last event time */
	double a;	/* sum of the a_l terms */
	double h;	/* H = sum w_l (F - F_l) */
	double g;	/* G = sum w_l (F - F_l)^2 */
	double q;	/* Q = sum A_l e_l */
	double e;	/* E = sum A_l e_l (F - F_l) */
};

/* Aalen & Johansen (1978) for one initial state and competing absorbing
 * causes: with S the all-cause Kaplan-Meier curve,
 *   F_c(t) = sum over event times t_l <= t of S(t_{l-1}) d_cl / n_l.
 * Variance: the infinitesimal jackknife, as survfit computes for
 * multi-state curves (Therneau, "The survfit function", survival package
 * vignette).  Differentiating F_c(t) with respect to each observation's
 * weight, the contributions of different event times are uncorrelated (the
 * cross terms sum to zero over each risk set), which leaves
 *   var F_c(t) = sum_{l: t_l <= t}  A_l^2 d_cl (n_l - d_cl) / n_l
 *                + w_l (F - F_l)^2 - 2 A_l e_l (F - F_l),
 * with F = F_c(t), F_l = F_c(t_l), A_l = S(t_{l-1}) / n_l, e_l = d_cl / n_l
 * and w_l = d_l / (n_l (n_l - d_l)) (0 when n_l = d_l, after which F does
 * not move).  The sums over l of w_l (F - F_l)^k and A_l e_l (F - F_l) are
 * carried forward by expanding F - F_l = (F_prev - F_l) + delta: O(1) per
 * event time and cause, and every carried sum has non-negative terms.
 * For state 0 the same method gives Greenwood's S^2 sum w_l. */
enum kpi_status
kpi_cif_new(struct kpi_cif **out, const double *time, const int *status,
	    size_t n, int ncauses, struct kpi_error *err)
{
	enum kpi_status st;
	struct kpi_cif *cif = NULL;
	struct obs *o = NULL;
	struct cif_var *cv = NULL;
	size_t *dc = NULL;
	size_t i, j, k, risk, d, nst, c;
	double s = 1.0, sprev, w, wprev, gw = 0.0, t, nr, dcl, al, delta, v;

	if (ncauses < 1 || ncauses > KPI_CIF_MAX_CAUSES)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%d competing causes (expected 1..%d)",
				     ncauses, KPI_CIF_MAX_CAUSES);
	st = obs_sorted(time, status, n, ncauses, &o, err);
	if (st != KPI_OK)
		return st;
	st = KPI_ENOMEM;
	nst = (size_t)ncauses + 1;
	cif = calloc(1, sizeof(*cif));
	cv = calloc(nst, sizeof(*cv));
	dc = calloc(nst, sizeof(*dc));
	if (!cif || !cv || !dc)
		goto out;
	k = count_event_times(o, n);
	cif->n = n;
	cif->ncauses = ncauses;
	cif->k = k;
	cif->max_time = n ? o[n - 1].t : NAN;
	cif->time = alloc_array(k, sizeof(*cif->time));
	cif->n_risk = alloc_array(k, sizeof(*cif->n_risk));
	if (k > SIZE_MAX / nst)
		goto out;
	cif->n_event = alloc_array(k * nst, sizeof(*cif->n_event));
	cif->pstate = alloc_array(k * nst, sizeof(*cif->pstate));
	cif->std_err = alloc_array(k * nst, sizeof(*cif->std_err));
	if (!cif->time || !cif->n_risk || !cif->n_event || !cif->pstate ||
	    !cif->std_err)
		goto out;

	risk = n;
	j = 0;
	wprev = 0.0;		/* sum of w_l over the earlier event times */
	for (i = 0; i < n;) {
		t = o[i].t;
		for (c = 0; c < nst; c++)
			dc[c] = 0;
		for (; i < n && o[i].t == t; i++)
			dc[o[i].s]++;
		d = 0;
		for (c = 1; c < nst; c++)
			d += dc[c];
		if (d > 0) {
			nr = (double)risk;
			sprev = s;
			s *= (double)(risk - d) / nr;
			w = risk > d ? (double)d / (nr * (double)(risk - d))
				     : 0.0;
			gw += w;
			cif->time[j] = t;
			cif->n_risk[j] = risk;
			cif->n_event[j] = d;
			cif->pstate[j] = s;
			cif->std_err[j] = s > 0.0 ? s * sqrt(gw) : 0.0;
			al = sprev / nr;
			for (c = 1; c < nst; c++) {
				struct cif_var *p = &cv[c];

				dcl = (double)dc[c];
				delta = sprev * dcl / nr;
				/* move the sums from F_prev to F = F_prev +
				 * delta; the new term l = j has F - F_l = 0 */
				p->g += 2.0 * delta * p->h +
					delta * delta * wprev;
				p->h += delta * wprev;
				p->e += delta * p->q;
				p->q += al * dcl / nr;
				p->a += al * al * dcl * (nr - dcl) / nr;
				p->f += delta;
				v = p->a + p->g - 2.0 * p->e;
				cif->n_event[c * k + j] = dc[c];
				cif->pstate[c * k + j] = p->f;
				cif->std_err[c * k + j] = sqrt(fmax(0.0, v));
			}
			wprev = gw;
			cif->events += d;
			j++;
		}
		risk -= d + dc[0];
	}
	*out = cif;
	cif = NULL;
	st = KPI_OK;
out:
	if (st == KPI_ENOMEM)
		kpi_error_set(err, st, 0, "out of memory for a cumulative "
			      "incidence of %zu observations", n);
	kpi_cif_free(cif);
	free(dc);
	free(cv);
	free(o);
	return st;
}

void
kpi_cif_at(const struct kpi_cif *cif, int state, double t, double *p,
	   double *std_err)
{
	double pv = NAN, se = NAN;
	size_t j, row;

	if (cif->n > 0 && t <= cif->max_time && state >= 0 &&
	    state <= cif->ncauses) {
		row = (size_t)state * cif->k;
		j = steps_upto(cif->time, cif->k, t);
		if (j == 0) {
			pv = state == 0 ? 1.0 : 0.0;
			se = 0.0;
		} else {
			pv = cif->pstate[row + j - 1];
			se = cif->std_err[row + j - 1];
		}
	}
	if (p)
		*p = pv;
	if (std_err)
		*std_err = se;
}
