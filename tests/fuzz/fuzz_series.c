/* fuzz_series.c - arbitrary CSV through kpi-forecast's series reader:
 * kpi_cli_read_inputs() into kpi_series_set_header/_add/_finish(), as
 * kpi-forecast's main() calls them (periods, keys, duplicates, gaps).
 *
 * Input: byte 0 and byte 1 choose the options (below); the rest is the CSV,
 * whose columns the options name t (time), v (value), k and k2 (keys).
 * Checks, beyond no crash, leak or undefined behaviour:
 *  - every data row is used or, with --skip-bad, rejected (fuzz-cli.h);
 *  - an error (of a row, of a series, of the run) has a documented status
 *    and a message;
 *  - every series handed over is non-empty, numbered 0, 1, ... in order
 *    (numbers of series given up are skipped),
 *    with nkey keys, a seasonal period >= 1, finite values, and periods
 *    that increase one period at a time (kpi_series_period_add), none after
 *    --as-of; `filled` is set only with --fill;
 *  - a dated period prints as a date (and, for months, quarters and years,
 *    as a label) that reads back as the same period;
 *  - rows are conserved: without --fill and with every series built, the
 *    rows used are the points of the series plus the rows without a period
 *    (plus, with --as-of, the rows after it).
 */
#define _GNU_SOURCE		/* memfd_create() */
#include "kpi/date.h"
#include "kpi/forecast.h"
#include "kpi/series.h"

#include "fuzz-cli.h"

struct run {
	struct kpi_cli_common common;
	struct kpi_series_options opt;
	struct kpi_series_set *set;
	struct kpi_date_format *fmt;
	size_t nseries;
	size_t points, filled;
	size_t bad_series;
	int failed;		/* a series stopped the run: */
	struct kpi_error fail;	/* why */
};

static void
check_period_text(const struct run *r, const struct kpi_series *s, long t)
{
	char buf[KPI_DATE_BUFSZ];
	struct kpi_error err;
	size_t len;
	long back;

	len = kpi_series_period_format(s, t, 0, &r->common.cal, buf);
	FUZZ_CHECK(len > 0 && len < sizeof(buf) && strlen(buf) == len,
		   "period %ld formats to %zu bytes", t, len);
	if (s->time != KPI_SERIES_DATE)
		return;
	FUZZ_CHECK(kpi_date_parse(buf, NULL, &r->common.cal, &back, &err) ==
			   KPI_OK && back == t,
		   "period %ld written as \"%s\" reads back as %ld", t, buf, back);
	if (s->unit == KPI_PERIOD_MONTH || s->unit == KPI_PERIOD_QUARTER ||
	    s->unit == KPI_PERIOD_YEAR) {
		len = kpi_series_period_format(s, t, 1, &r->common.cal, buf);
		FUZZ_CHECK(len > 0 && len < sizeof(buf), "label of %ld", t);
		FUZZ_CHECK(kpi_date_parse(buf, NULL, &r->common.cal, &back,
					  &err) == KPI_OK && back == t,
			   "period %ld labelled \"%s\" reads back as %ld", t,
			   buf, back);
	}
}

static enum kpi_status
on_series(const struct kpi_series *s, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;
	size_t i;

	/* Numbered by first appearance: a series given up keeps its number. */
	FUZZ_CHECK(r->bad_series ? s->index >= r->nseries : s->index == r->nseries,
		   "series %zu handed over as %zu", r->nseries, s->index);
	FUZZ_CHECK(s->n >= 1, "an empty series");
	FUZZ_CHECK(s->nkey == r->opt.nkey, "%zu keys", s->nkey);
	FUZZ_CHECK(s->m >= 1, "seasonal period %d", s->m);
	for (i = 0; i < s->nkey; i++)
		FUZZ_CHECK(s->key[i] && strlen(s->key[i]) == s->key_len[i],
			   "key %zu", i);
	for (i = 0; i < s->n; i++) {
		FUZZ_CHECK(isfinite(s->y[i]), "value %zu is %g", i, s->y[i]);
		FUZZ_CHECK(!s->filled[i] || r->opt.fill != KPI_SERIES_FILL_NONE,
			   "value %zu filled without --fill", i);
		if (i > 0)
			FUZZ_CHECK(s->t[i] == kpi_series_period_add(s, s->t[i - 1], 1),
				   "period %ld follows %ld", s->t[i], s->t[i - 1]);
		if (r->opt.has_as_of && s->time == KPI_SERIES_DATE)
			FUZZ_CHECK(s->t[i] <= r->opt.as_of, "period %ld after --as-of",
				   s->t[i]);
		r->filled += s->filled[i] != 0;
	}
	check_period_text(r, s, s->t[0]);
	check_period_text(r, s, s->t[s->n - 1]);
	r->points += s->n;
	r->nseries++;
	return KPI_OK;
}

/* As kpi-forecast: with --skip-bad a series that cannot be built is
 * skipped, else the run stops quietly (KPI_ESTOP) and fails after the read
 * with this error.  (The library also takes no handler, making it an error
 * of the run; in grouped mode that error comes back from the row that
 * starts the next key, which the reader would then reject as a bad row
 * under --skip-bad, so the tools always pass a handler.) */
static enum kpi_status
on_bad_series(void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	fuzz_check_error(err->status ? err->status : KPI_EPARSE, err,
			 "bad series");
	if (r->common.skip_bad) {
		r->bad_series++;
		return KPI_OK;
	}
	if (!r->failed) {
		r->failed = 1;
		r->fail = *err;
	}
	return KPI_ESTOP;
}

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_series_set_header(r->set, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_series_set_add(r->set, rec, err);
}

/*
 * Options.  Byte 0: bits 0-2 --every (0-2 none, then day, week, month,
 * quarter, year), bits 3-4 --fill (none, zero, interpolate, none), bit 5
 * --grouped, bit 6 --skip-bad (rows and series), bit 7 unused.  Byte 1:
 * bits 0-1 the keys (none, k, k and k2, none), bit 2 --as-of 2026-06-30,
 * bit 3 --decimal-comma, bits 4-5 --season (from the unit, 1, 4, 12),
 * bit 6 ';' as the delimiter, bit 7 --date-format %d.%m.%Y.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "k", "k2" };
	static const int seasons[] = { 0, 1, 4, 12 };
	static int ready;
	struct run r;
	struct kpi_error err;
	enum kpi_status st;
	const char *path;
	unsigned long used = 0;
	unsigned b0, b1;

	if (!ready) {
		kpi_init();
		ready = 1;
	}
	if (size < 2)
		return 0;
	b0 = data[0];
	b1 = data[1];
	memset(&r, 0, sizeof(r));
	kpi_cli_common_init(&r.common);
	r.common.skip_bad = (b0 >> 6) & 1;
	r.common.decimal_comma = (b1 >> 3) & 1;
	if ((b1 >> 6) & 1)
		r.common.delimiter = ';';
	if ((b1 >> 7) & 1 &&
	    kpi_date_format_new(&r.fmt, "%d.%m.%Y", &err) != KPI_OK)
		abort();
	r.opt.time_col = "t";
	r.opt.value_col = "v";
	r.opt.key_cols = keys;
	r.opt.nkey = (b1 & 3) == 3 ? 0 : b1 & 3;
	if ((b0 & 7) >= 3) {
		r.opt.has_every = 1;
		r.opt.every = (enum kpi_period_unit)((b0 & 7) - 3);
	}
	r.opt.season = seasons[(b1 >> 4) & 3];
	r.opt.fill = (enum kpi_series_fill)((b0 >> 3) & 3);
	if (r.opt.fill > KPI_SERIES_FILL_INTERPOLATE)
		r.opt.fill = KPI_SERIES_FILL_NONE;
	r.opt.grouped = (b0 >> 5) & 1;
	if ((b1 >> 2) & 1) {
		r.opt.has_as_of = 1;
		if (kpi_date_parse("2026-06-30", NULL, NULL, &r.opt.as_of, &err))
			abort();
	}
	r.opt.common = &r.common;
	r.opt.date_format = r.fmt;
	r.opt.on_series = on_series;
	r.opt.on_bad_series = on_bad_series;
	r.opt.ctx = &r;

	kpi_error_clear(&err);
	st = kpi_series_set_new(&r.set, &r.opt, &err);
	FUZZ_CHECK(st == KPI_OK, "kpi_series_set_new: %s", err.msg);
	path = fuzz_file(0, data + 2, size - 2);
	st = fuzz_read(&r.common, path, on_header, on_row, &r, &used, &err);
	if (st == KPI_OK && !r.failed) {
		st = kpi_series_set_finish(r.set, &err);
		if (st == KPI_ESTOP)
			FUZZ_CHECK(r.failed, "finish stopped without a bad series");
		else
			fuzz_check_error(st, &err, "finish");
	}
	if (st == KPI_OK && !r.failed) {
		/* Each row used is a point, a row without a period or, with
		 * --as-of, a row after it; a gap filled is a point without a
		 * row, a series given up keeps its rows. */
		size_t low = r.points - r.filled + kpi_series_set_skipped(r.set);
		size_t high = r.points + kpi_series_set_skipped(r.set);

		FUZZ_CHECK(used >= low, "%lu rows used, %zu points from rows",
			   used, low);
		if (!r.opt.has_as_of && !r.bad_series)
			FUZZ_CHECK(used <= high, "%lu rows used, %zu points",
				   used, high);
		if (!r.opt.has_as_of && !r.bad_series &&
		    r.opt.fill == KPI_SERIES_FILL_NONE)
			FUZZ_CHECK(used == high, "%lu rows used, %zu points",
				   used, high);
	}
	kpi_series_set_free(r.set);
	kpi_date_format_free(r.fmt);
	kpi_cli_common_free(&r.common);
	return 0;
}
