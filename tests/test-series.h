/* test-series.h - what the forecasting tests share: the reference series
 * in testdata/ts/ (the tests run with testdata/ as the working directory),
 * a relative comparison, and a fitted parameter by name. */
#ifndef KPI_TEST_SERIES_H
#define KPI_TEST_SERIES_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "kpi/forecast.h"

/* Read the value column (after the last comma) of testdata/ts/NAME.csv. */
static inline double *
load_series(const char *name, size_t *n)
{
	char path[256], line[256];
	double *y = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "ts/%s.csv", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	*n = 0;
	if (!fgets(line, sizeof(line), f))
		fail_msg("%s is empty", path);
	while (fgets(line, sizeof(line), f)) {
		const char *comma = strrchr(line, ',');

		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			y = realloc(y, cap * sizeof(*y));
			assert_non_null(y);
		}
		y[(*n)++] = strtod(comma ? comma + 1 : line, NULL);
	}
	fclose(f);
	return y;
}

/* actual within rtol of expected, relative to |expected| when above 1 and
 * absolute below (parameters near 0 compare absolutely). */
#define assert_rel(actual, expected, rtol) do {				\
		double e2_ = (expected);				\
		assert_close((actual), e2_,				\
			     (rtol) * (fabs(e2_) > 1 ? fabs(e2_) : 1));	\
	} while (0)

/* The fitted parameter called name (the test fails without it). */
static inline double
param(const struct kpi_fc_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nparam; i++)
		if (strcmp(r->param_name[i], name) == 0)
			return r->param[i];
	fail_msg("no parameter %s in %s", name, r->model);
	return NAN;
}

#endif
