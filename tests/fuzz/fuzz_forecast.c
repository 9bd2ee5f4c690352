/* fuzz_forecast.c - short series of arbitrary values through kpi_forecast()
 * for every method.
 *
 * Input: byte 0 the method (and, from its quotient by the number of
 * methods, whether to adjust for the season), byte 1 the seasonal period, byte 2 the horizon,
 * byte 3 the interval levels, byte 4 how the values are coded (raw doubles,
 * or small integers, scaled integers, sparse counts), byte 5 the ETS
 * specification; the rest the values.  The work is bounded: at most
 * MAX_N values and MAX_H steps.  Checks:
 *  - the status is KPI_OK, KPI_EINVAL or KPI_ENUMERIC with a message (a
 *    short series never runs out of memory), and *out is untouched on error;
 *    auto never fails on finite values (it falls back);
 *  - on success: h, n and the levels are as asked; every point forecast is
 *    finite; every interval bound is finite or both bounds of the step are
 *    NaN (no interval, written empty); never infinite; lo <= mean <= hi;
 *    a wider level gives an interval at least as wide; fitted values are
 *    finite or NaN.
 */
#include <math.h>
#include <string.h>

#include "kpi/forecast.h"

#include "fuzz.h"

#define MAX_N 48
#define MAX_H 24

/*
 * Findings fixed and kept in tests/fuzz/regress/forecast: ETS and Theta gave
 * infinite bounds for values beyond about 1e154; Croston, SBA and TSB gave
 * intervals (quantiles of a skewed one-period demand) that missed their own
 * point forecast.
 */

/* Relative slack for "lo <= mean": bounds computed as mean - q * se can
 * land an ulp or so away. */
static int
le(double a, double b)
{
	return a <= b + 1e-12 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static size_t
decode(const uint8_t *p, size_t len, int mode, double *y)
{
	size_t n = 0, i;
	uint64_t bits;
	int16_t v16;

	switch (mode % 4) {
	case 0:		/* raw IEEE doubles: NaN, inf, 1e300, subnormals */
		for (i = 0; i + 8 <= len && n < MAX_N; i += 8) {
			memcpy(&bits, p + i, 8);
			memcpy(&y[n++], &bits, 8);
		}
		break;
	case 1:		/* small signed integers */
		for (i = 0; i < len && n < MAX_N; i++)
			y[n++] = (double)(int8_t)p[i];
		break;
	case 2:		/* 16-bit values times a power of ten */
		for (i = 0; i + 2 <= len && n < MAX_N; i += 2) {
			memcpy(&v16, p + i, 2);
			y[n++] = v16 * pow(10, (double)(mode / 4 % 16) - 4);
		}
		break;
	default:	/* sparse counts: mostly zeros (intermittent demand) */
		for (i = 0; i < len && n < MAX_N; i++)
			y[n++] = p[i] < 160 ? 0 : (double)(p[i] - 159);
		break;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int periods[] = { 1, 1, 2, 3, 4, 7, 12, 52 };
	static const double level_set[] = { 0.8, 0.95, 0.5, 0.99, 0.001,
					     0.999 };
	static const char *const ets_specs[] = {
		NULL, "ZZZ", "ANN", "AAN", "AAdN", "MNN", "MAN", "MAdN",
		"AAA", "MAM", "MAdM", "ANA", "MNM", "ZZN", "ZNZ", "AZZ",
	};
	struct kpi_fc_spec spec;
	struct kpi_fc_result r;
	struct kpi_error err;
	double y[MAX_N];
	size_t n, i, l, k;
	enum kpi_status st;
	int h;

	if (size < 6)
		return 0;
	kpi_init();
	kpi_fc_spec_init(&spec);
	spec.method = (enum kpi_fc_method)(data[0] % KPI_FC_NMETHODS);
	spec.seasonal_adjust = data[0] / KPI_FC_NMETHODS % 2;
	spec.m = periods[data[1] % 8];
	spec.horizon = 1 + data[2] % MAX_H;
	spec.nlevels = data[3] % 4;
	for (i = 0; i < spec.nlevels; i++)
		spec.levels[i] = level_set[(data[3] / 4 + i) % 6];
	spec.ets_spec = ets_specs[data[5] % 16];
	spec.nsim = 200 + data[5];	/* bounded simulation */
	n = decode(data + 6, size - 6, data[4], y);
	if (n == 0)
		return 0;

	memset(&r, 0xA5, sizeof(r));
	st = kpi_forecast(y, n, &spec, &r, &err);
	if (st != KPI_OK) {
		uint8_t untouched[sizeof(r)];

		memset(untouched, 0xA5, sizeof(untouched));
		FUZZ_CHECK(st == KPI_EINVAL || st == KPI_ENUMERIC,
			   "%s, n = %zu: status %d: %s",
			   kpi_fc_method_name(spec.method), n, (int)st,
			   err.msg);
		FUZZ_CHECK(err.msg[0] != '\0', "no message");
		/* auto falls back rather than fail on finite values. */
		for (i = 0; i < n && isfinite(y[i]); i++)
			;
		FUZZ_CHECK(spec.method != KPI_FC_AUTO || i < n,
			   "auto failed on %zu finite values: %s", n, err.msg);
		FUZZ_CHECK(memcmp(&r, untouched, sizeof(r)) == 0,
			   "*out written on error");
		return 0;
	}
	h = spec.horizon;
	FUZZ_CHECK(r.h == h && r.n == n && r.nlevels == spec.nlevels,
		   "%s: h %d n %zu levels %zu", r.model, r.h, r.n, r.nlevels);
	FUZZ_CHECK(r.mean != NULL, "no forecasts");
	for (i = 0; i < (size_t)h; i++) {
		double mu = r.mean[i];

		FUZZ_CHECK(isfinite(mu), "%s: mean[%zu] = %g", r.model, i, mu);
		for (l = 0; l < r.nlevels; l++) {
			double lo = r.lo[l * h + i], hi = r.hi[l * h + i];

			FUZZ_CHECK(!isinf(lo) && !isinf(hi),
				   "%s: %g%% interval %zu steps ahead is "
				   "[%g, %g]", r.model, 100 * r.levels[l],
				   i + 1, lo, hi);
			FUZZ_CHECK(isnan(lo) == isnan(hi),
				   "%s: one-sided interval [%g, %g]", r.model,
				   lo, hi);
			if (isnan(lo))
				continue;
			FUZZ_CHECK(le(lo, mu) && le(mu, hi),
				   "%s (n = %zu, m = %d): %g%% interval %zu "
				   "steps ahead [%.17g, %.17g] misses the "
				   "forecast %.17g", r.model, n, spec.m,
				   100 * r.levels[l], i + 1, lo, hi, mu);
			for (k = 0; k < r.nlevels; k++) {
				double lo2 = r.lo[k * h + i];
				double hi2 = r.hi[k * h + i];

				if (r.levels[k] <= r.levels[l] || isnan(lo2))
					continue;
				FUZZ_CHECK(le(lo2, lo) && le(hi, hi2),
					   "%s: %g%% interval [%g, %g] inside "
					   "%g%% [%g, %g]", r.model,
					   100 * r.levels[k], lo2, hi2,
					   100 * r.levels[l], lo, hi);
			}
		}
	}
	if (r.fitted)
		for (i = 0; i < n; i++)
			FUZZ_CHECK(!isinf(r.fitted[i]), "%s: fitted[%zu] = %g",
				   r.model, i, r.fitted[i]);
	kpi_fc_result_free(&r);
	return 0;
}
