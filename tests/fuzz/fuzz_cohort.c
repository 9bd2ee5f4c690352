/* fuzz_cohort.c - arbitrary CSV through kpi-cohort's engine: read by
 * kpi_cli_read_inputs() into kpi_cohort_header/_add(), then
 * kpi_cohort_finish() and one of the writers, as kpi-cohort's main() calls
 * them.
 *
 * Input: bytes 0 and 1 choose the options (below); the rest is the CSV,
 * with columns id, t, v (amount), g (group) and c (cohort date).
 * Checks, beyond no crash, leak or undefined behaviour:
 *  - every data row is used or, with --skip-bad, rejected (fuzz-cli.h),
 *    and the engine keeps or ignores (after --as-of) every row used;
 *  - errors have a documented status and a message;
 *  - the output reads back as CSV; every number is finite or empty;
 *  - cohort table: size >= 1, 0 <= active <= size, retention = active /
 *    size in [0, 1] with retention_lo <= retention <= retention_hi in
 *    [0, 1]; the sizes of a group's cohorts add up to its customers; in the
 *    wide table every share is in [0, 1] (retention, its bounds);
 *  - NRR table: customers retained <= customers at the start, logo
 *    retention in [0, 1].
 * Temporary files: half the inputs set a one-byte bucket, so that every
 * bucket goes through the temporary file (and its read-back).
 */
#define _GNU_SOURCE		/* memfd_create() */
#include "kpi/cohort.h"
#include "kpi/date.h"

#include "fuzz-cli.h"

struct run {
	struct kpi_cli_common common;
	struct kpi_cohort_options opt;
	struct kpi_cohort_report rep;
	struct kpi_cohort *cohort;
	struct kpi_date_format *fmt;
	int nrr;
	/* output check */
	unsigned long long size_sum;
	const char *const *names;	/* the header the indices are for */
	int i_size, i_active, i_ret, i_lo, i_hi, i_age;
};

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_cohort_header(r->cohort, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_cohort_add(r->cohort, rec, err);
}

static double
col_num(const char *const *names, const char *const *f, size_t n,
	const char *name)
{
	int i = fuzz_col(names, n, name);

	FUZZ_CHECK(i >= 0, "no column %s", name);
	return fuzz_num(names, f, (size_t)i);
}

/* The long table's columns, looked up once per output: a date decades off
 * makes hundreds of thousands of rows. */
static void
long_columns(struct run *r, const char *const *names, size_t n)
{
	int *const idx[] = { &r->i_size, &r->i_active, &r->i_ret, &r->i_lo,
			     &r->i_hi, &r->i_age };
	static const char *const want[] = { "size", "active", "retention",
					    "retention_lo", "retention_hi", "age" };
	size_t i;

	if (r->names == names)
		return;
	r->names = names;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		*idx[i] = fuzz_col(names, n, want[i]);
		FUZZ_CHECK(*idx[i] >= 0, "no column %s", want[i]);
	}
}

static void
check_long_row(const char *const *names, const char *const *f, size_t n,
	       void *ctx)
{
	struct run *r = ctx;
	double size, active, ret, lo, hi;
	size_t i;

	long_columns(r, names, n);
	for (i = r->opt.ngroup + 1; i < n; i++)
		if (i != r->opt.ngroup + 2)	/* the period */
			(void)fuzz_num(names, f, i);
	size = fuzz_num(names, f, (size_t)r->i_size);
	active = fuzz_num(names, f, (size_t)r->i_active);
	ret = fuzz_prob(names, f, (size_t)r->i_ret);
	lo = fuzz_prob(names, f, (size_t)r->i_lo);
	hi = fuzz_prob(names, f, (size_t)r->i_hi);
	if (f[r->opt.ngroup][0] == '\0')
		return;		/* a --summary row */
	FUZZ_CHECK(size >= 1 && size == floor(size), "size %g", size);
	if (!isnan(active)) {
		FUZZ_CHECK(active >= 0 && active <= size, "active %g of %g",
			   active, size);
		FUZZ_CHECK(!isnan(ret) && fabs(ret - active / size) <= 1e-12,
			   "retention %g for %g of %g", ret, active, size);
	}
	if (!isnan(ret) && !isnan(lo) && !isnan(hi))
		FUZZ_CHECK(lo <= ret + 1e-12 && ret <= hi + 1e-12,
			   "retention %g outside [%g, %g]", ret, lo, hi);
	if (fuzz_num(names, f, (size_t)r->i_age) == 0)
		r->size_sum += (unsigned long long)size;
}

static void
check_wide_row(const char *const *names, const char *const *f, size_t n,
	       void *ctx)
{
	struct run *r = ctx;
	int share = r->rep.measure == KPI_COHORT_RETENTION ||
		    r->rep.measure == KPI_COHORT_RETENTION_LO ||
		    r->rep.measure == KPI_COHORT_RETENTION_HI;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strncmp(names[i], "age_", 4) == 0) {
			if (share)
				(void)fuzz_prob(names, f, i);
			else
				(void)fuzz_num(names, f, i);
		}
	}
	if (f[r->opt.ngroup][0] != '\0')
		r->size_sum += (unsigned long long)col_num(names, f, n, "size");
}

static void
check_nrr_row(const char *const *names, const char *const *f, size_t n,
	      void *ctx)
{
	double start, kept;
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(names[i], "period") != 0)
			(void)fuzz_num(names, f, i);
	start = col_num(names, f, n, "start_customers");
	kept = col_num(names, f, n, "retained_customers");
	if (!isnan(kept))	/* empty: the period is not over */
		FUZZ_CHECK(kept >= 0 && kept <= start,
			   "%g of %g customers retained", kept, start);
	(void)fuzz_prob(names, f, (size_t)fuzz_col(names, n, "logo_retention"));
}

static void
write_and_check(struct run *r)
{
	struct kpi_cohort_stats stats;
	struct fuzz_output out;
	struct kpi_error err;
	enum kpi_status st;

	fuzz_output_open(&out);
	kpi_error_clear(&err);
	st = r->nrr ? kpi_cohort_write_nrr(r->cohort, &r->rep, &out.w, &err)
		    : kpi_cohort_write(r->cohort, &r->rep, &out.w, &err);
	fuzz_check_error(st, &err, "write");
	fuzz_output_close(&out);
	if (st == KPI_OK) {
		size_t rows = fuzz_output_rows(&out, r->nrr ? check_nrr_row :
					       r->rep.wide ? check_wide_row
							   : check_long_row, r);

		kpi_cohort_stats(r->cohort, &stats);
		if (!r->nrr && rows <= FUZZ_ROWS_CHECKED)
			FUZZ_CHECK(r->size_sum == stats.customers,
				   "cohort sizes add up to %llu, %zu customers",
				   r->size_sum, stats.customers);
	}
	fuzz_output_free(&out);
}

/*
 * Options.  Byte 0: bits 0-2 --every (day, week, month, quarter, year, then
 * month), bit 3 -v v, bit 4 -g g, bit 5 --cohort-col c, bit 6 --mode
 * return-on-or-after, bit 7 --skip-bad.  Byte 1: bits 0-1 --nrr-lag (none,
 * 1, 2, 3; only with -v), bit 2 --as-of 2026-06-30, bit 3 a one-byte
 * bucket, bit 4 --wide, bit 5 --summary, bit 6 --ci jeffreys (else
 * wilson), bit 7 ';' as the delimiter.  --wide shows the retention, or with
 * -v and --summary the revenue.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const groups[] = { "g" };
	static int ready;
	struct run r;
	struct kpi_error err;
	enum kpi_status st;
	struct kpi_cohort_stats stats;
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
	r.common.skip_bad = (b0 >> 7) & 1;
	if ((b1 >> 7) & 1)
		r.common.delimiter = ';';
	r.opt.id_col = "id";
	r.opt.time_col = "t";
	r.opt.every = (b0 & 7) <= KPI_PERIOD_YEAR ? (enum kpi_period_unit)(b0 & 7)
						  : KPI_PERIOD_MONTH;
	if ((b0 >> 3) & 1)
		r.opt.value_col = "v";
	if ((b0 >> 4) & 1) {
		r.opt.group_cols = groups;
		r.opt.ngroup = 1;
	}
	if ((b0 >> 5) & 1)
		r.opt.cohort_col = "c";
	r.rep.mode = (b0 >> 6) & 1 ? KPI_COHORT_RETURN_ON_OR_AFTER
				   : KPI_COHORT_RETURN_ON;
	if (r.opt.value_col && (b1 & 3)) {
		r.nrr = 1;
		r.opt.nrr_lag = b1 & 3;
	}
	if ((b1 >> 2) & 1) {
		r.opt.has_as_of = 1;
		if (kpi_date_parse("2026-06-30", NULL, NULL, &r.opt.as_of, &err))
			abort();
	}
	r.opt.bucket_bytes = (b1 >> 3) & 1;
	r.opt.tmpdir = getenv("TMPDIR");
	r.opt.common = &r.common;
	r.rep.ci = (b1 >> 6) & 1 ? KPI_CI_JEFFREYS : KPI_CI_WILSON;
	r.rep.level = 0.95;
	r.rep.wide = (b1 >> 4) & 1;
	r.rep.summary = (b1 >> 5) & 1;
	r.rep.measure = r.rep.wide && r.rep.summary && r.opt.value_col
				? KPI_COHORT_REVENUE : KPI_COHORT_RETENTION;
	r.rep.precision = -1;

	kpi_error_clear(&err);
	st = kpi_cohort_new(&r.cohort, &r.opt, &err);
	FUZZ_CHECK(st == KPI_OK, "kpi_cohort_new: %s", err.msg);
	st = fuzz_read(&r.common, fuzz_file(0, data + 2, size - 2), on_header,
		       on_row, &r, &used, &err);
	if (st == KPI_OK) {
		kpi_cohort_stats(r.cohort, &stats);
		FUZZ_CHECK(stats.rows + stats.ignored == used,
			   "%llu rows kept and %llu ignored of %lu used",
			   stats.rows, stats.ignored, used);
		st = kpi_cohort_finish(r.cohort, &err);
		fuzz_check_error(st, &err, "finish");
	}
	if (st == KPI_OK)
		write_and_check(&r);
	kpi_cohort_free(r.cohort);
	kpi_cli_common_free(&r.common);
	return 0;
}
