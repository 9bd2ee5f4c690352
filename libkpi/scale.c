/* scale.c - linear scales, nice tick values, date ticks and short labels. */
#include <math.h>
#include <string.h>

#include "kpi/num.h"
#include "kpi/scale.h"

double
kpi_scale_map(const struct kpi_scale *s, double x)
{
	if (s->d1 == s->d0)
		return (s->r0 + s->r1) / 2;
	return s->r0 + (x - s->d0) / (s->d1 - s->d0) * (s->r1 - s->r0);
}

/* ==== Nice numbers (Heckbert 1990) ==== */

double
kpi_nice_num(double x, int round)
{
	double e = floor(log10(x));
	double f = x / pow(10, e);	/* fraction in [1, 10) */
	double nf;

	if (round) {
		if (f < 1.5)
			nf = 1;
		else if (f < 3)
			nf = 2;
		else if (f < 7)
			nf = 5;
		else
			nf = 10;
	} else {
		if (f <= 1)
			nf = 1;
		else if (f <= 2)
			nf = 2;
		else if (f <= 5)
			nf = 5;
		else
			nf = 10;
	}
	return nf * pow(10, e);
}

void
kpi_ticks_nice(double min, double max, int want, struct kpi_ticks *t)
{
	double range, step;

	if (want < 2)
		want = 2;
	if (max < min) {
		double tmp = min;

		min = max;
		max = tmp;
	}
	if (max == min) {
		if (min == 0) {
			max = 1;
		} else {
			double half = fabs(min) / 2;

			min -= half;
			max += half;
		}
	}
	range = kpi_nice_num(max - min, 0);
	step = kpi_nice_num(range / (want - 1), 1);
	t->lo = floor(min / step) * step;
	t->hi = ceil(max / step) * step;
	t->step = step;
	t->n = (size_t)llround((t->hi - t->lo) / step) + 1;
}

double
kpi_ticks_value(const struct kpi_ticks *t, size_t i)
{
	double v = t->lo + (double)i * t->step;
	double digits = -floor(log10(t->step));
	double scale;

	if (digits < 0)
		digits = 0;
	scale = pow(10, digits);
	v = round(v * scale) / scale;
	return v == 0 ? 0 : v;	/* no -0 */
}

/* ==== Value axes ==== */

/* Heckbert's step rounds the range up before dividing it (529.6k becomes
 * 1M, in steps of 200k), which can leave a third of an axis empty.  The
 * next finer nice step (1 -> 0.5, 2 -> 1, 5 -> 2) is taken when its outer
 * ticks span less and there are at most want + 1 of them. */
static void
finer_ticks(double lo, double hi, int want, struct kpi_ticks *t)
{
	double mantissa = t->step / pow(10, floor(log10(t->step)));
	struct kpi_ticks u;

	u.step = t->step * (mantissa < 4 ? 0.5 : 0.4);
	u.lo = floor(lo / u.step) * u.step;
	u.hi = ceil(hi / u.step) * u.step;
	u.n = (size_t)llround((u.hi - u.lo) / u.step) + 1;
	if (u.n <= (size_t)want + 1 &&
	    u.hi - u.lo < t->hi - t->lo - u.step / 2)
		*t = u;
}

void
kpi_axis_value(double min, double max, int want, const double *fix_lo,
	       const double *fix_hi, struct kpi_axis *a)
{
	double lo, hi, quarter;

	if (!isfinite(min))
		min = 0;
	if (!isfinite(max))
		max = 0;
	lo = fix_lo ? *fix_lo : fmin(min, 0);
	hi = fix_hi ? *fix_hi : fmax(max, 0);
	if (hi < lo) {	/* a fixed end beyond all the data */
		if (fix_lo && !fix_hi)
			hi = lo;
		else if (fix_hi && !fix_lo)
			lo = hi;
	}
	kpi_ticks_nice(lo, hi, want, &a->ticks);
	if (!(fix_lo && fix_hi) && hi > lo)
		finer_ticks(lo, hi, want, &a->ticks);
	a->lo = fix_lo ? *fix_lo : a->ticks.lo;
	a->hi = fix_hi ? *fix_hi : a->ticks.hi;
	if (fix_lo && fix_hi)
		return;
	quarter = a->ticks.step / 4;
	if (!fix_lo && min < 0 && max > 0 && -min < a->ticks.step &&
	    -min <= max)
		a->lo = -ceil(-min / quarter) * quarter;
	if (!fix_hi && max > 0 && min < 0 && max < a->ticks.step &&
	    max <= -min)
		a->hi = ceil(max / quarter) * quarter;
}

/* ==== Labels ==== */

/* Decimals that show step (in units) exactly, at most 6. */
static int
step_decimals(double step)
{
	int d;

	for (d = 0; d < 6; d++) {
		double s = step * pow(10, d);

		if (fabs(s - round(s)) < 1e-6 * (s > 1 ? s : 1))
			break;
	}
	return d;
}

static int
significant_decimals(double a)
{
	int d;

	if (a == 0)
		return 0;
	d = 2 - (int)floor(log10(a));
	return d < 0 ? 0 : (d > 6 ? 6 : d);
}

size_t
kpi_scale_label(double x, double step, int percent, char *buf)
{
	static const char *const suffixes[] = { "", "k", "M", "G", "T" };
	const char *suffix = "";
	double unit = 1, r;
	int k = 0, d;
	size_t n;
	char *dot;

	if (!isfinite(x) || !isfinite(step)) {
		buf[0] = '\0';
		return 0;
	}
	if (percent) {
		x *= 100;
		step *= 100;
		suffix = "%";
	} else {
		while (k < 4 && fabs(x) >= unit * 1000) {
			unit *= 1000;
			k++;
		}
	}
	for (;;) {
		d = step > 0 ? step_decimals(step / unit)
			     : significant_decimals(fabs(x) / unit);
		r = round(x / unit * pow(10, d)) / pow(10, d);
		/* 999.96 rounds to 1000: say 1k instead. */
		if (percent || k == 4 || fabs(r) < 1000)
			break;
		unit *= 1000;
		k++;
	}
	if (!percent)
		suffix = suffixes[k];
	n = kpi_num_format(r, d, buf);
	dot = strchr(buf, '.');
	if (dot) {
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	if (strcmp(buf, "-0") == 0) {
		strcpy(buf, "0");
		n = 1;
	}
	strcpy(buf + n, suffix);
	return n + strlen(suffix);
}

/* ==== Date ticks ==== */

struct date_step {
	enum kpi_period_unit unit;
	int every;		/* months (half years) or years */
	double min_days;	/* the shortest step, for spacing */
	size_t chars;		/* label length */
};

static const struct date_step date_steps[] = {
	{ KPI_PERIOD_DAY, 1, 1, 10 },
	{ KPI_PERIOD_WEEK, 1, 7, 8 },
	{ KPI_PERIOD_MONTH, 1, 28, 7 },
	{ KPI_PERIOD_QUARTER, 1, 90, 7 },
	{ KPI_PERIOD_MONTH, 6, 181, 7 },
	{ KPI_PERIOD_YEAR, 1, 365, 4 },
	{ KPI_PERIOD_YEAR, 2, 730, 4 },
	{ KPI_PERIOD_YEAR, 5, 1826, 4 },
	{ KPI_PERIOD_YEAR, 10, 3652, 4 },
	{ KPI_PERIOD_YEAR, 20, 7305, 4 },
	{ KPI_PERIOD_YEAR, 50, 18262, 4 },
	{ KPI_PERIOD_YEAR, 100, 36524, 4 },
	{ KPI_PERIOD_YEAR, 200, 73048, 4 },
	{ KPI_PERIOD_YEAR, 500, 182621, 4 },
	{ KPI_PERIOD_YEAR, 1000, 365242, 4 },
	{ KPI_PERIOD_YEAR, 2000, 730485, 4 },
	{ KPI_PERIOD_YEAR, 5000, 1826212, 4 },
};

/* Whether the period starting at day is one of every n-th. */
static int
date_step_keeps(const struct date_step *s, long day)
{
	int y, m, d;

	if (s->every == 1)
		return 1;
	kpi_date_to_ymd(day, &y, &m, &d);
	if (s->unit == KPI_PERIOD_MONTH)
		return (m - 1) % s->every == 0;
	return y % s->every == 0;
}

static size_t
date_step_fill(const struct date_step *s, long d0, long d1, long *out)
{
	long day = kpi_period_start(d0, s->unit, NULL);
	size_t n = 0;

	if (day < d0)
		day = kpi_period_next(day, s->unit, NULL);
	while (day <= d1 && kpi_date_in_range(day)) {
		if (date_step_keeps(s, day)) {
			if (n == KPI_DATE_TICKS_MAX)
				return n + 1;	/* too many */
			out[n++] = day;
		}
		day = kpi_period_next(day, s->unit, NULL);
	}
	return n;
}

void
kpi_date_ticks(long d0, long d1, double width_px, double char_px,
	       double gap_px, struct kpi_date_ticks *t)
{
	size_t nsteps = sizeof(date_steps) / sizeof(date_steps[0]), i, n;
	double px_per_day;

	if (d1 < d0) {
		long tmp = d0;

		d0 = d1;
		d1 = tmp;
	}
	t->unit = KPI_PERIOD_DAY;
	t->every = 1;
	t->n = 1;
	t->day[0] = d0;
	if (d1 == d0)
		return;
	px_per_day = width_px / (double)(d1 - d0);
	for (i = 0; i < nsteps; i++) {
		const struct date_step *s = &date_steps[i];

		if (s->min_days * px_per_day <
		    (double)s->chars * char_px + gap_px && i + 1 < nsteps)
			continue;
		n = date_step_fill(s, d0, d1, t->day);
		if (n > KPI_DATE_TICKS_MAX)
			continue;
		t->unit = s->unit;
		t->every = s->every;
		t->n = n;
		return;
	}
}

size_t
kpi_date_ticks_label(const struct kpi_date_ticks *t, size_t i, char *buf)
{
	return kpi_period_label(t->day[i], t->unit, NULL, buf);
}

enum kpi_period_unit
kpi_period_unit_of(const long *days, size_t n)
{
	static const enum kpi_period_unit order[] = {
		KPI_PERIOD_YEAR, KPI_PERIOD_QUARTER, KPI_PERIOD_MONTH,
		KPI_PERIOD_WEEK,
	};
	size_t k, i;

	for (k = 0; n > 0 && k < sizeof(order) / sizeof(order[0]); k++) {
		for (i = 0; i < n; i++)
			if (kpi_period_start(days[i], order[k], NULL) != days[i])
				break;
		if (i == n)
			return order[k];
	}
	return KPI_PERIOD_DAY;
}
