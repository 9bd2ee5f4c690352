/* test_series.c - unit tests for series.c (rows to regular series: keys,
 * period units, duplicates, gaps, filling) and accuracy.c (accuracy
 * measures, the MASE scale, backtests).
 *
 * The accuracy values are worked by hand in the comments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/error.h"
#include "kpi/forecast.h"
#include "kpi/series.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ==== Accuracy ==== */

/* y = 10, 0, 5; f = 12, 1, 5; e = f - y = 2, 1, 0; scale 2.
 * MAE 1; RMSE sqrt(5/3); MAPE over y != 0: (20 + 0) / 2 = 10, one zero;
 * sMAPE (200*2/22 + 200*1/1 + 0) / 3; WAPE 100 * 3 / 15 = 20; bias 1;
 * MASE (2 + 1 + 0) / 2 / 3 = 0.5.
 * 80% bounds [9, 11], [2, 3], [4, 6]: y = 0 is below, coverage 2/3;
 * interval scores 2, 1 + 2/0.2 * 2 = 21, 2: MSIS (25 / 3) / 2. */
static void
test_accuracy_by_hand(void **state)
{
	static const double y[] = { 10, 0, 5 }, f[] = { 12, 1, 5 };
	static const double lo[] = { 9, 2, 4 }, hi[] = { 11, 3, 6 };
	static const double level = 0.8;
	struct kpi_accuracy a;
	struct kpi_accuracy_summary s;

	(void)state;
	kpi_accuracy_init(&a, &level, 1);
	kpi_accuracy_add(&a, y, f, lo, hi, 3, 2.0);
	kpi_accuracy_series(&a);
	kpi_accuracy_summarize(&a, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.nseries, 1);
	assert_close(s.mae, 1, 1e-15);
	assert_close(s.rmse, sqrt(5.0 / 3.0), 1e-15);
	assert_close(s.mape, 10, 1e-13);
	assert_int_equal(s.zeros, 1);
	assert_close(s.smape, (200.0 * 2 / 22 + 200.0) / 3, 1e-12);
	assert_close(s.wape, 20, 1e-13);
	assert_close(s.bias, 1, 1e-15);
	assert_close(s.mase, 0.5, 1e-15);
	assert_close(s.coverage[0], 200.0 / 3, 1e-12);
	assert_close(s.msis[0], 25.0 / 3 / 2, 1e-12);
}

/* Perfect forecasts of zero count as no error in sMAPE; without a scale
 * there is no MASE; without bounds no coverage; an empty accumulator is
 * all NaN. */
static void
test_accuracy_edge_cases(void **state)
{
	static const double y[] = { 0, 4 }, f[] = { 0, 2 };
	static const double levels[] = { 0.8, 0.95 };
	struct kpi_accuracy a, b;
	struct kpi_accuracy_summary s;

	(void)state;
	kpi_accuracy_init(&a, levels, 2);
	kpi_accuracy_summarize(&a, &s);
	assert_nan(s.mae);
	assert_nan(s.smape);
	assert_nan(s.coverage[1]);
	kpi_accuracy_add(&a, y, f, NULL, NULL, 2, NAN);
	kpi_accuracy_summarize(&a, &s);
	assert_close(s.smape, (0 + 200.0 * 2 / 6) / 2, 1e-12);
	assert_nan(s.mase);
	assert_nan(s.coverage[0]);
	assert_nan(s.msis[0]);
	assert_close(s.mape, 50, 1e-13);
	/* merging adds the points */
	kpi_accuracy_init(&b, levels, 2);
	kpi_accuracy_add(&b, y, f, NULL, NULL, 2, 1.0);
	kpi_accuracy_merge(&a, &b);
	kpi_accuracy_summarize(&a, &s);
	assert_int_equal(s.n, 4);
	assert_close(s.mae, 1, 1e-15);
	assert_close(s.mase, 1, 1e-15);
}

/* y = 1, 3, 2, 5: lag 1 (3 differences 2, 1, 3) = 2; lag 2 (1, 2) = 1.5;
 * m >= n falls back to lag 1; n = 1 has no scale. */
static void
test_mase_scale(void **state)
{
	static const double y[] = { 1, 3, 2, 5 };

	(void)state;
	assert_close(kpi_mase_scale(y, 4, 1), 2, 1e-15);
	assert_close(kpi_mase_scale(y, 4, 2), 1.5, 1e-15);
	assert_close(kpi_mase_scale(y, 4, 4), 2, 1e-15);
	assert_close(kpi_mase_scale(y, 4, 12), 2, 1e-15);
	assert_nan(kpi_mase_scale(y, 1, 1));
}

/* y = 1..10, naive, h = 2, two origins.  Origin 1 fits 1..7 and forecasts
 * 7, 7 against 8, 9; origin 2 fits 1..8 and forecasts 8, 8 against 9, 10:
 * errors -1, -2, -1, -2.  MAE 1.5, bias -1.5, scale 1 both times: MASE
 * 1.5.  sMAPE: 200 (1/15 + 2/16 + 1/17 + 2/18) / 4. */
static void
test_backtest_naive_by_hand(void **state)
{
	double y[10];
	struct kpi_fc_spec spec;
	struct kpi_accuracy a;
	struct kpi_accuracy_summary s;
	struct kpi_error err;
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		y[i] = (double)(i + 1);
	kpi_fc_spec_init(&spec);
	spec.method = KPI_FC_NAIVE;
	spec.horizon = 2;
	kpi_accuracy_init(&a, spec.levels, spec.nlevels);
	assert_int_equal(kpi_backtest(y, 10, &spec, 2, &a, &err), KPI_OK);
	kpi_accuracy_summarize(&a, &s);
	assert_int_equal(s.n, 4);
	assert_close(s.mae, 1.5, 1e-15);
	assert_close(s.bias, -1.5, 1e-15);
	assert_close(s.mase, 1.5, 1e-15);
	assert_close(s.smape, 200.0 * (1.0 / 15 + 2.0 / 16 + 1.0 / 17 +
				       2.0 / 18) / 4, 1e-12);
	/* too short: nothing added */
	assert_int_equal(kpi_backtest(y, 3, &spec, 2, &a, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "too few"));
	/* a model error leaves acc as it was */
	spec.method = KPI_FC_SNAIVE;
	spec.m = 8;
	assert_int_equal(kpi_backtest(y, 10, &spec, 2, &a, &err), KPI_EINVAL);
	kpi_accuracy_summarize(&a, &s);
	assert_int_equal(s.n, 4);
}

/* ==== Series from rows ==== */

#define MAX_SERIES 8
#define MAX_N 64

struct got {
	size_t count;
	char key[MAX_SERIES][32];
	size_t n[MAX_SERIES];
	int m[MAX_SERIES];
	enum kpi_series_time time[MAX_SERIES];
	enum kpi_period_unit unit[MAX_SERIES];
	long t[MAX_SERIES][MAX_N];
	double y[MAX_SERIES][MAX_N];
	unsigned char filled[MAX_SERIES][MAX_N];
	char next[MAX_SERIES][KPI_DATE_BUFSZ];	/* the period after the last */
	char label[MAX_SERIES][KPI_DATE_BUFSZ];	/* label of the first */
	size_t bad;
	char bad_msg[KPI_ERROR_MSG_MAX];
	size_t rows_at_first_series;	/* grouped: rows added before it */
	size_t rows;
};

static enum kpi_status
on_series(const struct kpi_series *s, void *ctx, struct kpi_error *err)
{
	struct got *g = ctx;
	size_t k = g->count++, i;

	(void)err;
	assert_true(k < MAX_SERIES);
	assert_true(s->n <= MAX_N);
	assert_int_equal(s->index, k);
	snprintf(g->key[k], sizeof(g->key[k]), "%s",
		 s->nkey ? s->key[0] : "");
	g->n[k] = s->n;
	g->m[k] = s->m;
	g->time[k] = s->time;
	g->unit[k] = s->unit;
	for (i = 0; i < s->n; i++) {
		g->t[k][i] = s->t[i];
		g->y[k][i] = s->y[i];
		g->filled[k][i] = s->filled[i];
	}
	kpi_series_period_format(s, kpi_series_period_add(s, s->t[s->n - 1], 1),
				 0, NULL, g->next[k]);
	kpi_series_period_format(s, s->t[0], 1, NULL, g->label[k]);
	if (k == 0)
		g->rows_at_first_series = g->rows;
	return KPI_OK;
}

static enum kpi_status
on_bad(void *ctx, struct kpi_error *err)
{
	struct got *g = ctx;

	g->bad++;
	snprintf(g->bad_msg, sizeof(g->bad_msg), "%s", err->msg);
	return KPI_OK;
}

struct run_opts {
	const char *every;		/* NULL: infer */
	int season;
	enum kpi_series_fill fill;
	int grouped;
	int skip_bad_series;
	const char *date_format;
	size_t second_input;	/* > 0: lines from this index on are the
				 * rows of a second input, "b.csv", whose
				 * header line 1 is not repeated; the first
				 * is "a.csv" */
};

/* Feed "key,date,amount" rows (header included) to a series set.  Returns
 * the first error; err gets its message and line, error_input (to be
 * freed) the input of a series error. */
static char *error_input;

static enum kpi_status
feed(const char *const *lines, size_t nlines, const struct run_opts *ro,
     struct got *g, struct kpi_error *err)
{
	static const char *const keys[] = { "region" };
	struct kpi_cli_common common;
	struct kpi_series_options opt;
	struct kpi_series_set *set = NULL;
	struct kpi_csv_header *h = NULL;
	struct kpi_date_format *fmt = NULL;
	enum kpi_status st;
	size_t i;

	memset(g, 0, sizeof(*g));
	kpi_cli_common_init(&common);
	memset(&opt, 0, sizeof(opt));
	opt.time_col = "date";
	opt.value_col = "amount";
	opt.key_cols = keys;
	opt.nkey = 1;
	opt.fill = ro->fill;
	opt.season = ro->season;
	opt.grouped = ro->grouped;
	opt.common = &common;
	opt.on_series = on_series;
	opt.on_bad_series = ro->skip_bad_series ? on_bad : NULL;
	opt.ctx = g;
	if (ro->every) {
		opt.has_every = 1;
		assert_int_equal(kpi_period_unit_parse(ro->every, &opt.every,
						       NULL), KPI_OK);
	}
	if (ro->date_format)
		assert_int_equal(kpi_date_format_new(&fmt, ro->date_format,
						     NULL), KPI_OK);
	opt.date_format = fmt;
	st = kpi_series_set_new(&set, &opt, err);
	for (i = 0; st == KPI_OK && i < nlines; i++) {
		char buf[128], *fields[3], *p;
		struct kpi_csv_record rec;
		size_t nf = 0;

		snprintf(buf, sizeof(buf), "%s", lines[i]);
		for (p = buf; nf < 3; nf++) {
			char *comma = strchr(p, ',');

			fields[nf] = p;
			if (!comma) {
				nf++;
				break;
			}
			*comma = '\0';
			p = comma + 1;
		}
		assert_int_equal(nf, 3);
		rec.fields = (const char *const *)fields;
		rec.nfields = 3;
		rec.line = (unsigned long)i + 1;
		if (ro->second_input && i >= ro->second_input)
			rec.line = (unsigned long)(i - ro->second_input) + 2;
		if (ro->second_input && i > 0)
			assert_int_equal(kpi_series_set_input(set,
					 i >= ro->second_input ? "b.csv"
							       : "a.csv",
					 err), KPI_OK);
		rec.raw = lines[i];
		rec.raw_len = strlen(lines[i]);
		if (i == 0) {
			st = kpi_csv_header_new(&h, &rec, err);
			if (st == KPI_OK)
				st = kpi_series_set_header(set, h, err);
			continue;
		}
		g->rows++;
		st = kpi_series_set_add(set, &rec, err);
		if (st != KPI_OK && err->line == 0)
			err->line = rec.line;
	}
	/* The reader frees the header before the set is finished. */
	kpi_csv_header_free(h);
	if (st == KPI_OK)
		st = kpi_series_set_finish(set, err);
	error_input = NULL;
	if (set && kpi_series_set_error_input(set))
		error_input = strdup(kpi_series_set_error_input(set));
	kpi_series_set_free(set);
	kpi_date_format_free(fmt);
	kpi_cli_common_free(&common);
	return st;
}

static const struct run_opts defaults;

static long
day(const char *iso)
{
	long d = 0;

	assert_int_equal(kpi_date_parse(iso, NULL, NULL, &d, NULL), KPI_OK);
	return d;
}

static void
test_series_monthly_keys_in_first_appearance_order(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"west,2026-03-01,30",
		"east,2026-02-01,2",
		"west,2026-01-01,10",
		"east,2026-01-01,1",
		"west,2026-02-01,20",
	};
	struct got g;
	struct kpi_error err;

	(void)state;
	assert_int_equal(feed(rows, NELEM(rows), &defaults, &g, &err), KPI_OK);
	assert_int_equal(g.count, 2);
	assert_string_equal(g.key[0], "west");
	assert_string_equal(g.key[1], "east");
	assert_int_equal(g.n[0], 3);
	assert_int_equal(g.unit[0], KPI_PERIOD_MONTH);
	assert_int_equal(g.m[0], 12);
	assert_int_equal(g.t[0][0], day("2026-01-01"));
	assert_int_equal(g.t[0][2], day("2026-03-01"));
	assert_close(g.y[0][0], 10, 0);
	assert_close(g.y[0][2], 30, 0);
	assert_string_equal(g.next[0], "2026-04-01");
	assert_string_equal(g.label[0], "2026-01");
	assert_int_equal(g.n[1], 2);
	assert_close(g.y[1][1], 2, 0);
	assert_int_equal(g.filled[0][1], 0);
}

static void
test_series_infers_quarter_year_week_day(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"q,2025-10-01,1", "q,2026-01-01,2", "q,2026-04-01,3",
		"y,2024-01-01,1", "y,2025-01-01,2",
		"w,2026-11-22,1", "w,2026-11-29,2", "w,2026-12-06,3",
		"d,2026-11-22,1", "d,2026-11-23,2",
		"f,2024-04-01,1", "f,2025-04-01,2",
	};
	struct got g;
	struct kpi_error err;

	(void)state;
	assert_int_equal(feed(rows, NELEM(rows), &defaults, &g, &err), KPI_OK);
	assert_int_equal(g.count, 5);
	assert_int_equal(g.unit[0], KPI_PERIOD_QUARTER);
	assert_int_equal(g.m[0], 4);
	assert_string_equal(g.next[0], "2026-07-01");
	assert_string_equal(g.label[0], "2025-Q4");
	assert_int_equal(g.unit[1], KPI_PERIOD_YEAR);
	assert_int_equal(g.m[1], 1);
	assert_string_equal(g.next[1], "2026-01-01");
	/* Sunday weeks: labelled by their first day */
	assert_int_equal(g.unit[2], KPI_PERIOD_WEEK);
	assert_int_equal(g.m[2], 52);
	assert_string_equal(g.next[2], "2026-12-13");
	assert_int_equal(g.unit[3], KPI_PERIOD_DAY);
	assert_int_equal(g.m[3], 7);
	/* April years (a fiscal year): 12 months apart */
	assert_int_equal(g.unit[4], KPI_PERIOD_YEAR);
	assert_string_equal(g.next[4], "2026-04-01");
	/* Calendar years have their label; April years under the calendar
	 * year have none and are written as their first day (a fuzz finding:
	 * they were labelled "2024", which reads back as 2024-01-01). */
	assert_string_equal(g.label[1], "2024");
	assert_string_equal(g.label[4], "2024-04-01");
}

static void
test_series_every_moves_dates_to_period_starts(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,2026-01-15,1", "a,2026-02-03,2", "a,2026-03-31,3",
	};
	struct run_opts ro = defaults;
	struct got g;
	struct kpi_error err;

	(void)state;
	ro.every = "month";
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_int_equal(g.n[0], 3);
	assert_int_equal(g.t[0][0], day("2026-01-01"));
	assert_string_equal(g.next[0], "2026-04-01");
	/* two rows in one month after the move: a duplicate */
	ro.every = "quarter";
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_EPARSE);
	assert_non_null(strstr(err.msg,
			       "region \"a\": period 2026-01-01 is also on line 2; aggregate first: kpi-agg -g region -t date --every quarter -a sum:amount"));
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "date");
}

static void
test_series_integer_index_with_season(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,3,30", "a,1,10", "a,2,20",
	};
	struct run_opts ro = defaults;
	struct got g;
	struct kpi_error err;

	(void)state;
	ro.season = 4;
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_int_equal(g.time[0], KPI_SERIES_INDEX);
	assert_int_equal(g.m[0], 4);
	assert_int_equal(g.t[0][0], 1);
	assert_close(g.y[0][2], 30, 0);
	assert_string_equal(g.next[0], "4");
	assert_string_equal(g.label[0], "1");
}

/* Rows of two inputs: a duplicate across them is reported at the second
 * one's own line, and names the first by file and line. */
static void
test_series_errors_name_their_input(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,1,30", "a,2,10",		/* a.csv lines 2, 3 */
		"b,1,5", "a,2,20", "a,4,1",	/* b.csv lines 2, 3, 4 */
	};
	struct run_opts ro = defaults;
	struct got g;
	struct kpi_error err;

	(void)state;
	ro.second_input = 3;
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_EPARSE);
	assert_string_equal(err.msg,
			    "region \"a\": period 2 is also on a.csv:3; aggregate first: kpi-agg -g region,date -a sum:amount");
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "date");
	assert_non_null(error_input);
	assert_string_equal(error_input, "b.csv");
	free(error_input);
	/* without the duplicate, the gap before period 4 is b.csv's line 4,
	 * after a.csv's line 3 */
	ro.second_input = 3;
	{
		static const char *const gap[] = {
			"region,date,amount",
			"a,1,30", "a,2,10",
			"b,1,5", "a,4,1",
		};

		assert_int_equal(feed(gap, NELEM(gap), &ro, &g, &err),
				 KPI_EPARSE);
	}
	assert_string_equal(err.msg,
			    "region \"a\": no row for period 3, between 2 (a.csv:3) and this row; give --fill zero or --fill interpolate");
	assert_int_equal(err.line, 3);
	assert_string_equal(error_input, "b.csv");
	free(error_input);
}

static void
test_series_duplicates_name_key_period_and_kpi_agg(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,1,30", "a,2,10", "a,1,20",
	};
	struct got g;
	struct kpi_error err;
	struct run_opts ro = defaults;

	(void)state;
	assert_int_equal(feed(rows, NELEM(rows), &defaults, &g, &err),
			 KPI_EPARSE);
	assert_string_equal(err.msg,
			    "region \"a\": period 1 is also on line 2; aggregate first: kpi-agg -g region,date -a sum:amount");
	assert_int_equal(err.line, 4);
	assert_string_equal(err.column, "date");
	assert_int_equal(g.count, 0);
	/* with a bad-series handler the series is skipped */
	ro.skip_bad_series = 1;
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_int_equal(g.bad, 1);
	assert_int_equal(g.count, 0);
}

static void
test_series_gap_is_an_error_unless_filled(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,2026-01-01,10", "a,2026-04-01,40", "a,2026-02-01,",
	};
	static const char *const no_empty[] = {
		"region,date,amount",
		"a,2026-01-01,10", "a,2026-04-01,40",
	};
	struct run_opts ro = defaults;
	struct got g;
	struct kpi_error err;

	(void)state;
	/* the empty value is an error of its row */
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_EPARSE);
	assert_int_equal(err.line, 4);
	assert_string_equal(err.column, "amount");
	assert_non_null(strstr(err.msg, "--fill"));
	/* Jan and Apr only: inferred as quarters, no gap */
	assert_int_equal(feed(no_empty, NELEM(no_empty), &ro, &g, &err),
			 KPI_OK);
	assert_int_equal(g.unit[0], KPI_PERIOD_QUARTER);
	/* as months, Feb and Mar are missing */
	ro.every = "month";
	assert_int_equal(feed(no_empty, NELEM(no_empty), &ro, &g, &err),
			 KPI_EPARSE);
	assert_string_equal(err.msg,
			    "region \"a\": no row for period 2026-02-01, between 2026-01-01 (line 2) and this row; give --fill zero or --fill interpolate");
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "date");
	ro.fill = KPI_SERIES_FILL_ZERO;
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_int_equal(g.n[0], 4);
	assert_close(g.y[0][1], 0, 0);
	assert_close(g.y[0][2], 0, 0);
	assert_close(g.y[0][3], 40, 0);
	assert_int_equal(g.filled[0][0], 0);
	assert_int_equal(g.filled[0][1], 1);
	assert_int_equal(g.filled[0][2], 1);
	assert_int_equal(g.filled[0][3], 0);
	ro.fill = KPI_SERIES_FILL_INTERPOLATE;
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_close(g.y[0][1], 20, 1e-12);
	assert_close(g.y[0][2], 30, 1e-12);
}

static void
test_series_interpolate_ends_take_the_nearest_value(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,1,", "a,2,4", "a,3,", "a,4,8", "a,5,",
	};
	struct run_opts ro = defaults;
	struct got g;
	struct kpi_error err;

	(void)state;
	ro.fill = KPI_SERIES_FILL_INTERPOLATE;
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_int_equal(g.n[0], 5);
	assert_close(g.y[0][0], 4, 0);
	assert_close(g.y[0][2], 6, 1e-15);
	assert_close(g.y[0][4], 8, 0);
}

static void
test_series_bad_values_and_missing_periods(void **state)
{
	static const char *const text[] = {
		"region,date,amount",
		"a,2026-01-01,10", "a,2026-02-01,12x",
	};
	static const char *const bad_date[] = {
		"region,date,amount",
		"a,2026-01-01,10", "a,2026-02-30,1",
	};
	static const char *const mixed[] = {
		"region,date,amount",
		"a,1,10", "a,2026-02-01,1",
	};
	static const char *const no_period[] = {
		"region,date,amount",
		"a,,10", "a,2026-01-01,1", "a,2026-02-01,2",
	};
	struct got g;
	struct kpi_error err;

	(void)state;
	assert_int_equal(feed(text, NELEM(text), &defaults, &g, &err),
			 KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "amount");
	assert_non_null(strstr(err.msg, "12x"));
	assert_int_equal(feed(bad_date, NELEM(bad_date), &defaults, &g, &err),
			 KPI_EPARSE);
	assert_string_equal(err.column, "date");
	assert_int_equal(feed(mixed, NELEM(mixed), &defaults, &g, &err),
			 KPI_EPARSE);
	assert_non_null(strstr(err.msg, "integer period index"));
	assert_int_equal(feed(no_period, NELEM(no_period), &defaults, &g, &err),
			 KPI_OK);
	assert_int_equal(g.count, 1);
	assert_int_equal(g.n[0], 2);
}

static void
test_series_grouped_hands_each_key_over_when_the_next_starts(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,1,1", "a,2,2", "b,1,3", "b,2,4",
	};
	static const char *const ungrouped[] = {
		"region,date,amount",
		"a,1,1", "b,1,3", "a,2,2",
	};
	struct run_opts ro = defaults;
	struct got g;
	struct kpi_error err;

	(void)state;
	ro.grouped = 1;
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_int_equal(g.count, 2);
	/* "a" was complete when the first "b" row arrived */
	assert_int_equal(g.rows_at_first_series, 3);
	assert_string_equal(g.key[1], "b");
	assert_close(g.y[1][1], 4, 0);
	assert_int_equal(feed(ungrouped, NELEM(ungrouped), &ro, &g, &err),
			 KPI_EPARSE);
	/* the key column, and where the key's rows ended: "a,1,1" is line 2 */
	assert_string_equal(err.column, "region");
	assert_non_null(strstr(err.msg, "key \"a\" comes again after other keys (its rows ended on line 2)"));
	/* without --grouped the same rows are fine */
	assert_int_equal(feed(ungrouped, NELEM(ungrouped), &defaults, &g, &err),
			 KPI_OK);
	assert_int_equal(g.count, 2);
	assert_int_equal(g.rows_at_first_series, 3);
}

static void
test_series_date_format_and_labels(void **state)
{
	static const char *const rows[] = {
		"region,date,amount",
		"a,01.11.2026,1", "a,01.12.2026,2",
	};
	static const char *const labels[] = {
		"region,date,amount",
		"a,2026-W48,1", "a,2026-W49,2",
	};
	struct run_opts ro = defaults;
	struct got g;
	struct kpi_error err;

	(void)state;
	ro.date_format = "%d.%m.%Y";
	assert_int_equal(feed(rows, NELEM(rows), &ro, &g, &err), KPI_OK);
	assert_int_equal(g.unit[0], KPI_PERIOD_MONTH);
	assert_string_equal(g.next[0], "2027-01-01");
	assert_int_equal(feed(labels, NELEM(labels), &defaults, &g, &err),
			 KPI_OK);
	assert_int_equal(g.unit[0], KPI_PERIOD_WEEK);
	assert_string_equal(g.label[0], "2026-W48");
	assert_string_equal(g.next[0], "2026-12-07");
}

static void
test_fill_parse(void **state)
{
	enum kpi_series_fill f = KPI_SERIES_FILL_NONE;
	struct kpi_error err;

	(void)state;
	assert_int_equal(kpi_series_fill_parse("zero", &f, &err), KPI_OK);
	assert_int_equal(f, KPI_SERIES_FILL_ZERO);
	assert_int_equal(kpi_series_fill_parse("interpolate", &f, &err), KPI_OK);
	assert_int_equal(f, KPI_SERIES_FILL_INTERPOLATE);
	assert_int_equal(kpi_series_fill_parse("linear", &f, &err), KPI_EINVAL);
	assert_int_equal(f, KPI_SERIES_FILL_INTERPOLATE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy_by_hand),
		cmocka_unit_test(test_accuracy_edge_cases),
		cmocka_unit_test(test_mase_scale),
		cmocka_unit_test(test_backtest_naive_by_hand),
		cmocka_unit_test(test_series_monthly_keys_in_first_appearance_order),
		cmocka_unit_test(test_series_infers_quarter_year_week_day),
		cmocka_unit_test(test_series_every_moves_dates_to_period_starts),
		cmocka_unit_test(test_series_integer_index_with_season),
		cmocka_unit_test(test_series_duplicates_name_key_period_and_kpi_agg),
		cmocka_unit_test(test_series_errors_name_their_input),
		cmocka_unit_test(test_series_gap_is_an_error_unless_filled),
		cmocka_unit_test(test_series_interpolate_ends_take_the_nearest_value),
		cmocka_unit_test(test_series_bad_values_and_missing_periods),
		cmocka_unit_test(test_series_grouped_hands_each_key_over_when_the_next_starts),
		cmocka_unit_test(test_series_date_format_and_labels),
		cmocka_unit_test(test_fill_parse),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
