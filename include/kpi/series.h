/* kpi/series.h - regular time series from CSV rows (one per key), and the
 * accuracy measures of forecasts.
 *
 * Building series: kpi_series_set_new(), kpi_series_set_header() with the
 * input's header, kpi_series_set_add() per record, kpi_series_set_finish(),
 * then kpi_series_set_free().  Every complete series is handed to a
 * callback, in the order its key first appears in the input: all of them
 * from kpi_series_set_finish(), or, with `grouped` set, each one from
 * kpi_series_set_add() as soon as the next key starts (so memory grows with
 * the longest series, not with the input).  Each key's series is built from
 * its own rows only: the period unit is inferred per series, so input split
 * by key gives the same series.
 *
 * Periods.  The time column holds dates (ISO 8601, the labels 2026-W48,
 * 2026-11, 2026-Q4, or the --date-format layout) or, when every value is a
 * whole number and neither `every` nor a date format is given, a plain
 * integer index.  A dated series' unit is `every` when given (each date is
 * moved to the first day of its period), else inferred from its dates:
 *  - all on the first day of a month: year when the months are 12 apart
 *    (or a multiple), quarter when 3 apart, else month;
 *  - else all on one weekday and 7 days apart (or a multiple): week;
 *  - else day.
 * A series with a single date is a year, quarter or month by the calendar
 * (January 1, a quarter's first day, a month's first day), a week if it
 * falls on the calendar's week start, else a day: give `every` for those.
 * The seasonal period follows from the unit (day 7, week 52, month 12,
 * quarter 4, year 1, index 1) unless `season` is given.
 *
 * Errors: a value that is not a number, a date that does not parse, and a
 * missing value without `fill` are errors of the row (file, line, column;
 * --skip-bad applies).  A row without a period is skipped and counted.  Two
 * rows for one key and period, and a missing period inside a series without
 * `fill`, are errors of the series, named by key and period.
 */
#ifndef KPI_SERIES_H
#define KPI_SERIES_H

#include <stddef.h>

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/date.h"
#include "kpi/error.h"
#include "kpi/forecast.h"

enum kpi_series_fill {
	KPI_SERIES_FILL_NONE,		/* gaps and missing values are errors */
	KPI_SERIES_FILL_ZERO,		/* ... are 0 */
	KPI_SERIES_FILL_INTERPOLATE,	/* ... are interpolated linearly
					 * between their neighbours; before
					 * the first or after the last value,
					 * the nearest value */
};

/* Parse "zero" or "interpolate". */
enum kpi_status kpi_series_fill_parse(const char *s, enum kpi_series_fill *out,
				      struct kpi_error *err);

enum kpi_series_time {
	KPI_SERIES_DATE,	/* t is a day number: the period's first day */
	KPI_SERIES_INDEX,	/* t is the integer index */
};

/* One complete series, as handed to the callback.  Everything is borrowed
 * and valid only during the call. */
struct kpi_series {
	size_t index;			/* 0, 1, ... in order of first appearance */
	const char *const *key;		/* [nkey] key values (NUL-terminated) */
	const size_t *key_len;
	size_t nkey;
	enum kpi_series_time time;
	enum kpi_period_unit unit;	/* KPI_SERIES_DATE only */
	int week_day;			/* unit week: weekday of the periods */
	int m;				/* seasonal period */
	size_t n;
	const long *t;			/* [n] periods, increasing, no gaps */
	const double *y;		/* [n] finite values */
	const unsigned char *filled;	/* [n] 1 where `fill` made the value */
};

typedef enum kpi_status (*kpi_series_fn)(const struct kpi_series *s,
					 void *ctx, struct kpi_error *err);

struct kpi_series_options {
	const char *time_col;		/* -t */
	const char *value_col;		/* -v */
	const char *const *key_cols;	/* -k; may be empty */
	size_t nkey;
	int has_every;			/* --every given */
	enum kpi_period_unit every;
	int season;			/* --season; 0 = from the unit */
	enum kpi_series_fill fill;
	int grouped;			/* each key's rows come together */
	int has_as_of;			/* ignore rows dated after as_of */
	long as_of;
	const struct kpi_cli_common *common;	/* --na, --decimal-comma,
						 * calendar */
	const struct kpi_date_format *date_format;	/* NULL = ISO */
	kpi_series_fn on_series;
	/* A series that cannot be built (duplicate period, gap): NULL makes
	 * it an error of the run; otherwise this is called with err
	 * describing it, and its status decides (KPI_OK skips the series). */
	enum kpi_status (*on_bad_series)(void *ctx, struct kpi_error *err);
	void *ctx;
};

struct kpi_series_set;

/* The options are borrowed and must outlive the set. */
enum kpi_status kpi_series_set_new(struct kpi_series_set **out,
				   const struct kpi_series_options *opt,
				   struct kpi_error *err);
void kpi_series_set_free(struct kpi_series_set *s);	/* NULL is fine */

enum kpi_status kpi_series_set_header(struct kpi_series_set *s,
				      const struct kpi_csv_header *h,
				      struct kpi_error *err);
/* The records that follow come from the input `name` (copied; a name
 * equal to the last one changes nothing).  Their lines are that input's
 * own, and a series error (duplicate period, gap) is then reported at the
 * line of its input that kpi_series_set_error_input() names.  Without it
 * every record is taken to come from one input. */
enum kpi_status kpi_series_set_input(struct kpi_series_set *s,
				     const char *name, struct kpi_error *err);
/* The input of the line in the last series error handed to on_bad_series
 * or returned (err->line, err->column the time column); NULL when no input
 * was named. */
const char *kpi_series_set_error_input(const struct kpi_series_set *s);
/* One record.  A status from the callback (grouped mode) is returned. */
enum kpi_status kpi_series_set_add(struct kpi_series_set *s,
				   const struct kpi_csv_record *rec,
				   struct kpi_error *err);
/* End of input: hand the remaining series to the callback. */
enum kpi_status kpi_series_set_finish(struct kpi_series_set *s,
				      struct kpi_error *err);

/* Rows skipped because their period was missing. */
unsigned long kpi_series_set_skipped(const struct kpi_series_set *s);
/* Names of the key columns as in the header (valid after _header). */
const char *kpi_series_set_key_name(const struct kpi_series_set *s, size_t i);

/* The period k steps after t (k may be negative). */
long kpi_series_period_add(const struct kpi_series *s, long t, long k);
/* Write period t into buf (KPI_DATE_BUFSZ bytes): the integer index, the
 * first day as YYYY-MM-DD, or with `label` set its label under cal
 * (2026-W48, 2026-11, 2026-Q4, 2026); a period that does not start where
 * cal's do (a quarter or year inferred from dates in February) has no
 * label and is written as its first day.  Returns the length. */
size_t kpi_series_period_format(const struct kpi_series *s, long t, int label,
				const struct kpi_calendar *cal, char *buf);

/* ==== Accuracy (accuracy.c) ==== */

/* Accumulates forecast errors over the points of one or many series and
 * origins; e = f - y (forecast minus actual).  Measures:
 *   MAE    mean |e|                   RMSE   sqrt(mean e^2)
 *   MAPE   100 mean |e| / |y| over the points with y != 0 (zeros counted)
 *   sMAPE  100 mean 2|e| / (|y| + |f|), the M3 definition (0 when
 *          y = f = 0)
 *   WAPE   100 sum |e| / sum |y|
 *   bias   mean e (positive: forecasts too high)
 *   MASE   mean |e| / scale, scale = the series' in-sample mean absolute
 *          seasonal difference (kpi_mase_scale)
 *   coverage per level: 100 * share of points inside [lo, hi]
 *   MSIS per level (Gneiting & Raftery 2007; M4 competition guide):
 *          mean of ((hi - lo) + 2/a (lo - y)[y < lo] + 2/a (y - hi)[y > hi])
 *          / scale, a = 1 - level
 * Points without a finite scale are left out of MASE and MSIS, points
 * without finite bounds out of coverage and MSIS.  Averages over many
 * series weight every point alike ("series x horizons", as the M3 paper). */
struct kpi_accuracy {
	size_t n;			/* points */
	size_t nseries;			/* series added with kpi_accuracy_series */
	double sum_abs, sum_sq, sum_err, sum_abs_y, sum_ape, sum_sape;
	size_t n_ape, zeros;
	double sum_scaled;
	size_t n_scaled;
	size_t nlevels;
	double levels[KPI_FC_MAX_LEVELS];
	size_t n_int[KPI_FC_MAX_LEVELS];	/* points with bounds */
	size_t covered[KPI_FC_MAX_LEVELS];
	double sum_is[KPI_FC_MAX_LEVELS];	/* scaled interval scores */
	size_t n_is[KPI_FC_MAX_LEVELS];
};

struct kpi_accuracy_summary {
	size_t n, nseries, zeros;
	double mae, rmse, mape, smape, wape, bias, mase;
	size_t nlevels;
	double coverage[KPI_FC_MAX_LEVELS];
	double msis[KPI_FC_MAX_LEVELS];
};

void kpi_accuracy_init(struct kpi_accuracy *a, const double *levels,
		       size_t nlevels);
/* Add h points: actuals y, forecasts f, bounds lo/hi laid out as in
 * struct kpi_fc_result (lo[l * h + i]; NULL when there are none), and the
 * series' scale (NaN: none). */
void kpi_accuracy_add(struct kpi_accuracy *a, const double *y, const double *f,
		      const double *lo, const double *hi, size_t h,
		      double scale);
/* Count one more series (for the summary's nseries). */
void kpi_accuracy_series(struct kpi_accuracy *a);
/* Add b's points to a (same levels). */
void kpi_accuracy_merge(struct kpi_accuracy *a, const struct kpi_accuracy *b);
/* The measures; NaN where there is nothing to average. */
void kpi_accuracy_summarize(const struct kpi_accuracy *a,
			    struct kpi_accuracy_summary *out);

/* In-sample mean absolute difference at lag m of y[0..n-1] (the seasonal
 * naive's error, the MASE scale of Hyndman & Koehler 2006); lag 1 when
 * m <= 1 or n <= m.  NaN when n < 2; 0 for a constant series. */
double kpi_mase_scale(const double *y, size_t n, int m);

/* Backtest: for each of `origins` rolling origins (the last at n - h, each
 * earlier one a period before), fit spec to the values before the origin,
 * forecast spec->horizon steps and add the errors to acc, scaled by the
 * training part's kpi_mase_scale.  KPI_EINVAL when the first origin leaves
 * no observation to fit; a model's own error otherwise (acc is then left
 * as it was). */
enum kpi_status kpi_backtest(const double *y, size_t n,
			     const struct kpi_fc_spec *spec, int origins,
			     struct kpi_accuracy *acc, struct kpi_error *err);

#endif
