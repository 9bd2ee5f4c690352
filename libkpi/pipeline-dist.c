/* pipeline-dist.c - the distribution of bookings: a sum of independent
 * Bernoulli-weighted deal amounts, exactly on an amount grid with a stated
 * error bound, or by seeded Monte Carlo spread over threads. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/num.h"
#include "kpi/pipeline.h"

/* The two inner loops get an AVX2 version beside the baseline one on
 * x86-64, chosen at load time (GCC and clang function multiversioning);
 * both give the same bits, the vector width does not change any sum's
 * order. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define KPI_HOT __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef KPI_HOT
#define KPI_HOT
#endif

/* A level within this of a cumulative probability reaches it, so that a
 * tie (P(S <= 0) = 0.1 exactly, level 0.1) does not hinge on rounding. */
#define LEVEL_EPS 1e-12

enum kpi_status
kpi_bookings_method_parse(const char *s, enum kpi_bookings_method *out,
			  struct kpi_error *err)
{
	if (strcmp(s, "auto") == 0)
		*out = KPI_BOOKINGS_AUTO;
	else if (strcmp(s, "exact") == 0)
		*out = KPI_BOOKINGS_EXACT;
	else if (strcmp(s, "monte-carlo") == 0 || strcmp(s, "mc") == 0)
		*out = KPI_BOOKINGS_MC;
	else
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\" is not a method (expected auto, exact or monte-carlo)",
				     s);
	return KPI_OK;
}

const char *
kpi_bookings_method_name(enum kpi_bookings_method m)
{
	switch (m) {
	case KPI_BOOKINGS_EXACT:	return "exact";
	case KPI_BOOKINGS_MC:		return "monte-carlo";
	case KPI_BOOKINGS_AUTO:		break;
	}
	return "auto";
}

void
kpi_bookings_options_init(struct kpi_bookings_options *o)
{
	memset(o, 0, sizeof(*o));
	o->method = KPI_BOOKINGS_AUTO;
	o->tolerance = 0.05;
	o->grid_max = (size_t)1 << 21;
	o->draws = 10000;
	o->seed = 1;
	o->threads = 1;
}

/* ==== Random numbers ==== */

/* SplitMix64 (Steele, Lea & Flood 2014): seeds the streams. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

/* xoshiro256** (Blackman & Vigna 2018): every bit of its output is good,
 * so each 64-bit word gives two 32-bit uniforms.  Its steps are in
 * mc_chunk(). */
struct rng {
	uint64_t s[4];
};

/* The stream `stream` under `seed`: independent of how chunks are spread
 * over threads. */
static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ splitmix64(&stream);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

/* ==== Checks and moments ==== */

static enum kpi_status
check_inputs(const double *amount, const double *p, size_t n,
	     const double *levels, size_t nlevels, struct kpi_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isfinite(amount[i]) || amount[i] < 0)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "amount %g of deal %zu is not a finite number >= 0",
					     amount[i], i + 1);
		if (!(p[i] >= 0 && p[i] <= 1))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "probability %g of deal %zu is not within 0 and 1",
					     p[i], i + 1);
	}
	for (i = 0; i < nlevels; i++)
		if (!(levels[i] > 0 && levels[i] < 1))
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "quantile level %g is not between 0 and 1",
					     levels[i]);
	return KPI_OK;
}

/* ==== The exact distribution on a grid ==== */

struct term {
	uint64_t k;		/* amount in grid steps */
	double p;
};

static int
compare_terms(const void *pa, const void *pb)
{
	const struct term *x = pa, *y = pb;

	return (x->k > y->k) - (x->k < y->k);
}

/* Rounding error of the grid `step`: sum |e_i| / 2 into *bound, the
 * midpoint (lo + hi) / 2 into *shift, and the grid's size (cells, as a
 * double so that it cannot overflow). */
static void
grid_error(const double *amount, size_t n, double step, double *bound,
	   double *shift, double *cells)
{
	struct kpi_sum lo = { 0, 0 }, hi = { 0, 0 }, c = { 0, 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		double k = nearbyint(amount[i] / step), e = amount[i] - k * step;

		kpi_sum_add(&c, k);
		if (e < 0)
			kpi_sum_add(&lo, e);
		else
			kpi_sum_add(&hi, e);
	}
	*bound = (kpi_sum_value(&hi) - kpi_sum_value(&lo)) / 2;
	*shift = (kpi_sum_value(&hi) + kpi_sum_value(&lo)) / 2;
	*cells = kpi_sum_value(&c) + 1;
}

/* A grid step.  When every amount is a decimal with at most 4 places,
 * the step can be g / den (den a power of ten) with every amount a whole
 * number of steps: no rounding at all, and a cell's amount is computed
 * from integers so that it prints as the decimal it is (17120.31, not
 * 17120.310000000001).  Otherwise den is 0 and amounts are rounded to
 * multiples of step. */
struct grid {
	double step;
	uint64_t g;
	double den;
};

static double
grid_value(const struct grid *gr, size_t s)
{
	if (gr->den > 0)
		return (double)((uint64_t)s * gr->g) / gr->den;
	return (double)s * gr->step;
}

static uint64_t
grid_k(const struct grid *gr, double amount)
{
	if (gr->den > 0)
		return (uint64_t)nearbyint(amount * gr->den) / gr->g;
	return (uint64_t)nearbyint(amount / gr->step);
}

/* Grid terms sorted by k (small first keeps the support small longest),
 * the number of cells, and the number of cell updates the convolution
 * will make. */
static enum kpi_status
grid_terms(const double *amount, const double *p, size_t n,
	   const struct grid *gr, struct term **out, double *cells,
	   double *work, struct kpi_error *err)
{
	struct term *t = malloc((n ? n : 1) * sizeof(*t));
	double top = 0, w = 0;
	size_t i;

	if (!t)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (i = 0; i < n; i++) {
		t[i].k = grid_k(gr, amount[i]);
		t[i].p = p[i];
	}
	qsort(t, n, sizeof(*t), compare_terms);
	for (i = 0; i < n; i++) {
		top += (double)t[i].k;
		w += top + 1;
	}
	*out = t;
	*cells = top + 1;
	*work = w;
	return KPI_OK;
}

/* One deal of k cells won with probability p: b = (1 - p) a + p a shifted
 * by k, over the support 0 .. cur of a.  Separate buffers (restrict), so
 * that each loop is plain enough for the compiler's vectoriser. */
KPI_HOT static void
convolve_step(double *restrict b, const double *restrict a, size_t cur,
	      size_t k, double p)
{
	size_t s, top = cur + k, lo_end = k < cur + 1 ? k : cur + 1;
	double q = 1 - p;

	for (s = 0; s < lo_end; s++)
		b[s] = q * a[s];
	for (s = cur + 1; s < k; s++)
		b[s] = 0;
	/* Unrolled by four: the vector operations the -O2 cost model does
	 * not make of the plain loop. */
	for (s = k; s + 3 <= cur; s += 4) {
		b[s] = q * a[s] + p * a[s - k];
		b[s + 1] = q * a[s + 1] + p * a[s + 1 - k];
		b[s + 2] = q * a[s + 2] + p * a[s + 2 - k];
		b[s + 3] = q * a[s + 3] + p * a[s + 3 - k];
	}
	for (; s <= cur; s++)
		b[s] = q * a[s] + p * a[s - k];
	for (s = (k > cur + 1 ? k : cur + 1); s <= top; s++)
		b[s] = p * a[s - k];
}

/* Convolve the terms: pmf[s] = P(sum k_i X_i = s), s = 0 .. cells - 1. */
static enum kpi_status
convolve(const struct term *t, size_t n, size_t cells, double **out,
	 struct kpi_error *err)
{
	double *a = malloc(cells * sizeof(double));
	double *b = malloc(cells * sizeof(double));
	size_t cur = 0, i, s;

	if (!a || !b) {
		free(a);
		free(b);
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory for a grid of %zu cells", cells);
	}
	a[0] = 1;
	for (i = 0; i < n; i++) {
		size_t k = (size_t)t[i].k;
		double *tmp;

		if (k == 0 || t[i].p == 0)
			continue;
		convolve_step(b, a, cur, k, t[i].p);
		tmp = a;
		a = b;
		b = tmp;
		cur += k;
	}
	for (s = cur + 1; s < cells; s++)
		a[s] = 0;
	free(b);
	*out = a;
	return KPI_OK;
}

enum kpi_status
kpi_bookings_pmf(const double *amount, const double *p, size_t n, double step,
		 size_t max_cells, double **pmf, size_t *size, double *bound,
		 double *shift, struct kpi_error *err)
{
	double b, sh, cells, work;
	struct term *t = NULL;
	struct grid gr;
	double *out = NULL;
	enum kpi_status st;

	st = check_inputs(amount, p, n, NULL, 0, err);
	if (st != KPI_OK)
		return st;
	if (!(step > 0) || !isfinite(step))
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "grid step %g is not a number > 0", step);
	grid_error(amount, n, step, &b, &sh, &cells);
	if (cells > (double)max_cells)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "a grid of %.0f cells is more than %zu",
				     cells, max_cells);
	gr.step = step;
	gr.g = 0;
	gr.den = 0;
	st = grid_terms(amount, p, n, &gr, &t, &cells, &work, err);
	if (st == KPI_OK)
		st = convolve(t, n, (size_t)cells, &out, err);
	free(t);
	if (st != KPI_OK)
		return st;
	*pmf = out;
	*size = (size_t)cells;
	if (bound)
		*bound = b;
	if (shift)
		*shift = sh;
	return KPI_OK;
}

/* The decimal grid of the amounts: all of them decimals with at most 4
 * places (to within the rounding of their binary value), scaled to
 * integers below 2^53 whose greatest common divisor is g.  0 when there
 * is none. */
static int
decimal_grid(const double *amount, size_t n, struct grid *gr)
{
	static const double pow10[] = { 1, 10, 100, 1000, 10000 };
	uint64_t g = 0;
	size_t i;
	int d = 0, dd;

	for (i = 0; i < n; i++) {
		for (dd = d; dd < 5; dd++) {
			double x = amount[i] * pow10[dd];

			if (fabs(x - nearbyint(x)) <= 4 * DBL_EPSILON * fmax(1, x))
				break;
		}
		if (dd == 5)
			return 0;
		d = dd;
	}
	for (i = 0; i < n; i++) {
		double x = nearbyint(amount[i] * pow10[d]);
		uint64_t a, b;

		if (x >= 9007199254740992.0)
			return 0;
		a = (uint64_t)x;
		b = g;
		while (b) {
			uint64_t r = a % b;

			a = b;
			b = r;
		}
		g = a;
	}
	if (g == 0)
		return 0;
	gr->g = g;
	gr->den = pow10[d];
	gr->step = (double)g / pow10[d];
	return 1;
}

/* The largest grid step whose actual error bound is at most tolerance *
 * sd and whose grid has at most grid_max cells; 0 when there is none. */
static double
tolerance_step(const double *amount, size_t n, double sd,
	       const struct kpi_bookings_options *o)
{
	double target = o->tolerance * sd, step, best = 0, b, sh, cells;
	int i;

	if (!(target > 0) || n == 0)
		return 0;
	/* With step = 4 target / n every |e_i| <= step / 2 gives
	 * sum |e_i| / 2 <= target; coarser steps often still keep the
	 * actual bound within target, and cost less. */
	step = 4 * target / (double)n;
	for (i = 0; i < 32; i++, step *= 2) {
		grid_error(amount, n, step, &b, &sh, &cells);
		if (b <= target && cells <= (double)o->grid_max)
			best = step;
		if (cells <= 1)
			break;
	}
	return best;
}

/* Updates a fine grid may take when the tolerance allows a coarser one:
 * a few milliseconds, for a smaller error where it is cheap. */
#define FINE_WORK 4194304.0

/* The grid for the exact method, the first that fits the caps of: the
 * decimal grid (no error at all); the finest grid within FINE_WORK updates
 * when it is finer than the next; the coarsest grid within the
 * tolerance.  *terms and
 * gr->step, or gr->step 0 when none fits. */
static enum kpi_status
choose_grid(const double *amount, const double *p, size_t n, double sd,
	    const struct kpi_bookings_options *o, double cap, struct grid *gr,
	    struct term **terms, struct kpi_error *err)
{
	struct grid cand[3];
	struct kpi_sum total = { 0, 0 };
	double target = o->tolerance * sd, b, sh, cells, work, fine;
	size_t i, nc = 0;
	enum kpi_status st;

	memset(cand, 0, sizeof(cand));
	if (decimal_grid(amount, n, &cand[nc]))
		nc++;
	for (i = 0; i < n; i++)
		kpi_sum_add(&total, amount[i]);
	if (target > 0) {
		double coarse = tolerance_step(amount, n, sd, o);

		fine = fmax((double)n * kpi_sum_value(&total) / (2 * FINE_WORK),
			    kpi_sum_value(&total) / (double)o->grid_max);
		grid_error(amount, n, fine, &b, &sh, &cells);
		if (fine > 0 && (fine < coarse || coarse == 0) && b <= target)
			cand[nc++].step = fine;
		if (coarse > 0)
			cand[nc++].step = coarse;
	}
	gr->step = 0;
	for (i = 0; i < nc; i++) {
		st = grid_terms(amount, p, n, &cand[i], terms, &cells, &work, err);
		if (st != KPI_OK)
			return st;
		if (cells <= (double)o->grid_max && work <= cap) {
			*gr = cand[i];
			return KPI_OK;
		}
		free(*terms);
		*terms = NULL;
	}
	return KPI_OK;
}

static void
quantiles_from_pmf(const double *pmf, size_t cells, const double *levels,
		   size_t nlevels, double base, const struct grid *gr,
		   double *q)
{
	size_t j, s;

	for (j = 0; j < nlevels; j++) {
		struct kpi_sum c = { 0, 0 };

		for (s = 0; s < cells; s++) {
			kpi_sum_add(&c, pmf[s]);
			if (kpi_sum_value(&c) >= levels[j] - LEVEL_EPS)
				break;
		}
		if (s == cells)		/* rounding: the last cell */
			s = cells - 1;
		q[j] = base + grid_value(gr, s);
	}
}

/* ==== Monte Carlo ==== */

struct mc_job {
	const double *amount;
	const uint32_t *thr;	/* P(u32 < thr) = p */
	size_t n;
	double base;
	uint64_t seed;
	unsigned long draws;
	size_t nchunks;
	double *sums;
	size_t next;		/* next chunk to take */
	pthread_mutex_t lock;
};

/* Draws are made LANES at a time, one xoshiro256** stream per lane, each
 * step of a lane's stream written out for all lanes side by side so that
 * the compiler can keep the lanes in vector registers.  Lane l of chunk c
 * is seeded by (seed, c * LANES + l); a partial last block still runs all
 * lanes and keeps the draws it needs. */
#define LANES 8

KPI_HOT static void
mc_chunk(const struct mc_job *j, size_t c)
{
	uint64_t s0[LANES], s1[LANES], s2[LANES], s3[LANES];
	unsigned long d = (unsigned long)c * KPI_BOOKINGS_CHUNK, end;
	size_t i, l;

	end = d + KPI_BOOKINGS_CHUNK;
	if (end > j->draws)
		end = j->draws;
	for (l = 0; l < LANES; l++) {
		struct rng r;

		rng_seed(&r, j->seed, (uint64_t)c * LANES + l);
		s0[l] = r.s[0];
		s1[l] = r.s[1];
		s2[l] = r.s[2];
		s3[l] = r.s[3];
	}
	for (; d < end; d += LANES) {
		double sum[LANES] = { 0 };

		for (i = 0; i < j->n; i += 2) {
			/* Two deals per 64-bit output; a lone last deal
			 * meets a zero amount. */
			double a0 = j->amount[i];
			double a1 = i + 1 < j->n ? j->amount[i + 1] : 0;
			uint32_t t0 = j->thr[i];
			uint32_t t1 = i + 1 < j->n ? j->thr[i + 1] : 0;

			for (l = 0; l < LANES; l++) {
				uint64_t x = s1[l] * 5, u, t = s1[l] << 17;

				x = (x << 7) | (x >> 57);
				u = x * 9;
				s2[l] ^= s0[l];
				s3[l] ^= s1[l];
				s1[l] ^= s2[l];
				s0[l] ^= s3[l];
				s2[l] ^= t;
				s3[l] = (s3[l] << 45) | (s3[l] >> 19);
				sum[l] += ((uint32_t)u < t0 ? a0 : 0) +
					  ((uint32_t)(u >> 32) < t1 ? a1 : 0);
			}
		}
		for (l = 0; l < LANES && d + l < end; l++)
			j->sums[d + l] = j->base + sum[l];
	}
}

static void *
mc_worker(void *arg)
{
	struct mc_job *j = arg;

	for (;;) {
		size_t c;

		pthread_mutex_lock(&j->lock);
		c = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (c >= j->nchunks)
			break;
		mc_chunk(j, c);
	}
	return NULL;
}

static void
mc_run(struct mc_job *j, unsigned threads)
{
	pthread_t tid[64];
	unsigned t, started = 0;

	j->nchunks = (j->draws + KPI_BOOKINGS_CHUNK - 1) / KPI_BOOKINGS_CHUNK;
	j->next = 0;
	if (threads > 64)
		threads = 64;
	if (threads > j->nchunks)
		threads = (unsigned)j->nchunks;
	if (threads <= 1) {
		size_t c;

		for (c = 0; c < j->nchunks; c++)
			mc_chunk(j, c);
		return;
	}
	pthread_mutex_init(&j->lock, NULL);
	for (t = 0; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, mc_worker, j) != 0)
			break;
		started++;
	}
	/* Whatever could not start, the calling thread does. */
	mc_worker(j);
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&j->lock);
}

static int
compare_doubles(const void *pa, const void *pb)
{
	double x = *(const double *)pa, y = *(const double *)pb;

	return (x > y) - (x < y);
}

/* ==== The distribution ==== */

enum kpi_status
kpi_bookings_compute(const double *amount, const double *p, size_t n,
		     const double *levels, size_t nlevels, double threshold,
		     const struct kpi_bookings_options *o, double *quantiles,
		     double *reach_p, struct kpi_bookings *out,
		     struct kpi_error *err)
{
	struct kpi_sum mean = { 0, 0 }, var = { 0, 0 }, certain = { 0, 0 };
	struct kpi_sum uncertain = { 0, 0 };	/* the amounts of ua */
	double *ua = NULL, *up = NULL, *pmf = NULL, *q = NULL;
	double base, step = 0, bound = 0, shift = 0, reach = NAN, unit = 1;
	struct grid gr = { 0, 0, 0 };
	struct term *t = NULL;
	struct kpi_bookings res;
	size_t i, nu = 0, cells = 0;
	enum kpi_bookings_method method = o->method;
	enum kpi_status st;

	st = check_inputs(amount, p, n, levels, nlevels, err);
	if (st != KPI_OK)
		return st;
	if (method != KPI_BOOKINGS_EXACT && o->draws == 0)
		return kpi_error_set(err, KPI_EINVAL, 0, "draws must be > 0");
	ua = malloc((n ? n : 1) * sizeof(double));
	up = malloc((n ? n : 1) * sizeof(double));
	q = malloc((nlevels ? nlevels : 1) * sizeof(double));
	if (!ua || !up || !q) {
		st = kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		goto out;
	}
	/* The square of an amount beyond 2^512 overflows (and 2^200 deals
	 * of 2^412 add up past the largest double), that of one below 2^-537
	 * vanishes, though the sd is finite and nonzero: such variances are
	 * summed in units of a power of two near the largest amount, which
	 * scales every term exactly. */
	unit = 0;
	for (i = 0; i < n; i++)
		if (amount[i] > unit)
			unit = amount[i];
	unit = unit > 0x1p400 || (unit > 0 && unit < 0x1p-400)
		? ldexp(1.0, ilogb(unit)) : 1.0;
	/* Certain deals shift the distribution; only the others vary. */
	for (i = 0; i < n; i++) {
		double scaled = amount[i] / unit;

		kpi_sum_add(&mean, amount[i] * p[i]);
		kpi_sum_add(&var, scaled * scaled * p[i] * (1 - p[i]));
		if (p[i] == 1)
			kpi_sum_add(&certain, amount[i]);
		else if (p[i] > 0 && amount[i] > 0) {
			ua[nu] = amount[i];
			up[nu] = p[i];
			kpi_sum_add(&uncertain, amount[i]);
			nu++;
		}
	}
	memset(&res, 0, sizeof(res));
	res.mean = kpi_sum_value(&mean);
	res.sd = unit * sqrt(fmax(kpi_sum_value(&var), 0));
	base = kpi_sum_value(&certain);

	if (nu == 0) {
		/* A point mass. */
		for (i = 0; i < nlevels; i++)
			q[i] = base;
		reach = isnan(threshold) ? NAN
			: base >= threshold - 1e-12 * fmax(1, fabs(threshold));
		res.method = KPI_BOOKINGS_EXACT;
		res.error_bound = 0;
		goto done;
	}

	if (method != KPI_BOOKINGS_MC) {
		/* Exact asked for: the grid cap bounds it, not the work. */
		double cap = method == KPI_BOOKINGS_EXACT ? HUGE_VAL
			: o->work_max > 0 ? o->work_max
			: fmax(4.0 * (double)nu * (double)o->draws, 16777216.0);

		st = choose_grid(ua, up, nu, res.sd, o, cap, &gr, &t, err);
		if (st != KPI_OK)
			goto out;
		step = gr.step;
		if (step == 0 && method == KPI_BOOKINGS_EXACT) {
			st = kpi_error_set(err, KPI_ENOMEM, 0,
					   "the exact distribution of %zu deals needs more than %zu grid cells at tolerance %g: use Monte Carlo, or a larger --grid or --tolerance",
					   nu, o->grid_max, o->tolerance);
			goto out;
		}
	}
	if (step > 0) {
		double c, x;

		if (gr.den > 0) {	/* every amount on the grid */
			bound = 0;
			shift = 0;
		} else {
			grid_error(ua, nu, step, &bound, &shift, &c);
		}
		for (i = 0, c = 1; i < nu; i++)
			c += (double)t[i].k;
		cells = (size_t)c;
		st = convolve(t, nu, cells, &pmf, err);
		if (st != KPI_OK)
			goto out;
		quantiles_from_pmf(pmf, cells, levels, nlevels, base + shift,
				   &gr, q);
		/* The grid's rounding may carry a quantile past what the deals
		 * can add up to (below the certain ones alone, or above all of
		 * them won); the true quantile lies within, so bringing it back
		 * only moves it closer. */
		for (i = 0; i < nlevels; i++)
			q[i] = fmin(fmax(q[i], base),
				    base + kpi_sum_value(&uncertain));
		if (!isnan(threshold)) {
			struct kpi_sum tail = { 0, 0 };
			size_t s, from;

			x = (threshold - base - shift) / step;
			x = ceil(x - 1e-9 * fmax(1, fabs(x)));
			from = x <= 0 ? 0 : x >= (double)cells ? cells : (size_t)x;
			for (s = cells; s > from; s--)
				kpi_sum_add(&tail, pmf[s - 1]);
			reach = fmin(kpi_sum_value(&tail), 1);
		}
		res.method = KPI_BOOKINGS_EXACT;
		res.error_bound = bound;
		res.step = step;
	} else {
		struct mc_job job;
		uint32_t *thr = malloc(nu * sizeof(uint32_t));
		double *sums = malloc(o->draws * sizeof(double));

		if (!thr || !sums) {
			free(thr);
			free(sums);
			st = kpi_error_set(err, KPI_ENOMEM, 0,
					   "out of memory for %lu draws", o->draws);
			goto out;
		}
		for (i = 0; i < nu; i++)
			thr[i] = (uint32_t)(up[i] * 4294967296.0);
		memset(&job, 0, sizeof(job));
		job.amount = ua;
		job.thr = thr;
		job.n = nu;
		job.base = base;
		job.seed = o->seed;
		job.draws = o->draws;
		job.sums = sums;
		mc_run(&job, o->threads);
		qsort(sums, o->draws, sizeof(double), compare_doubles);
		for (i = 0; i < nlevels; i++) {
			double k = ceil(levels[i] * (double)o->draws - 1e-9);
			size_t idx = k < 1 ? 0 : (size_t)k - 1;

			if (idx >= o->draws)
				idx = o->draws - 1;
			q[i] = sums[idx];
		}
		if (!isnan(threshold)) {
			double lim = threshold - 1e-12 * fmax(1, fabs(threshold));
			unsigned long lo = 0, hi = o->draws;

			/* First sum >= lim, by bisection over the sorted sums. */
			while (lo < hi) {
				unsigned long mid = lo + (hi - lo) / 2;

				if (sums[mid] >= lim)
					hi = mid;
				else
					lo = mid + 1;
			}
			reach = (double)(o->draws - lo) / (double)o->draws;
		}
		free(thr);
		free(sums);
		res.method = KPI_BOOKINGS_MC;
		res.error_bound = NAN;
		res.draws = o->draws;
	}
done:
	if (nlevels)
		memcpy(quantiles, q, nlevels * sizeof(double));
	if (reach_p)
		*reach_p = reach;
	*out = res;
	st = KPI_OK;
out:
	free(ua);
	free(up);
	free(q);
	free(t);
	free(pmf);
	return st;
}
