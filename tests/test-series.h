/* test-series.h - reading the reference series in testdata/ts/ for the
 * forecasting tests (they run with testdata/ as the working directory). */
#ifndef KPI_TEST_SERIES_H
#define KPI_TEST_SERIES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

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

#endif
