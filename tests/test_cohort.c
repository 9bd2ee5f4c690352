/* test_cohort.c - the cohort engine behind kpi-cohort: the CDNOW reference
 * numbers, the temporary file, row order, rejected rows, censoring at the
 * as-of date, NRR, and the errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "kpi/cohort.h"

/* ==== Running the engine over CSV text ==== */

struct run {
	struct kpi_cohort *cohort;
	struct kpi_csv_header *header;
	int rejected;
	enum kpi_status first_error;
	struct kpi_error err;
};

static enum kpi_status
run_header(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;
	enum kpi_status st = kpi_csv_header_new(&r->header, rec, err);

	return st == KPI_OK ? kpi_cohort_header(r->cohort, r->header, err) : st;
}

static enum kpi_status
run_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;
	enum kpi_status st = kpi_cohort_add(r->cohort, rec, err);

	if (st == KPI_EPARSE) {		/* as --skip-bad does */
		if (!r->rejected++) {
			r->first_error = st;
			r->err = *err;
		}
		return KPI_OK;
	}
	return st;
}

/* Options with the usual columns and a calendar. */
static struct kpi_cli_common common;

static struct kpi_cohort_options
options(void)
{
	struct kpi_cohort_options o = { 0 };

	kpi_cli_common_init(&common);
	o.id_col = "customer";
	o.time_col = "date";
	o.value_col = "amount";
	o.every = KPI_PERIOD_MONTH;
	o.common = &common;
	return o;
}

static struct kpi_cohort_report
report(void)
{
	struct kpi_cohort_report r = { 0 };

	r.mode = KPI_COHORT_RETURN_ON;
	r.ci = KPI_CI_WILSON;
	r.level = 0.95;
	r.precision = -1;
	return r;
}

/* Every line of a CSV text (no quoted fields) has as many fields as the
 * first. */
static void
assert_rectangular(const char *out)
{
	const char *p = out;
	long width = -1, line = 1;

	while (*p) {
		long n = 1;

		for (; *p && *p != '\n'; p++)
			n += *p == ',';
		if (width < 0)
			width = n;
		else if (n != width)
			fail_msg("line %ld has %ld fields, the header %ld", line,
				 n, width);
		if (*p)
			p++;
		line++;
	}
}

/* Read `in` through the engine and write the cohort table (or, with nrr,
 * the NRR table); returns the output (malloc'd).  *stats, when non-NULL,
 * receives the engine's counts after the table is built. */
static char *
run_file(FILE *in, const struct kpi_cohort_options *opt,
	 const struct kpi_cohort_report *rep, int nrr, int *rejected,
	 struct kpi_cohort_stats *stats)
{
	struct run r = { 0 };
	struct kpi_error err;
	struct kpi_csv_writer w;
	char *out = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&out, &len);

	assert_non_null(o);
	assert_int_equal(kpi_cohort_new(&r.cohort, opt, &err), KPI_OK);
	assert_int_equal(kpi_csv_read(in, NULL, run_header, run_row, &r, &err),
			 KPI_OK);
	assert_int_equal(kpi_cohort_finish(r.cohort, &err), KPI_OK);
	kpi_csv_writer_init(&w, o);
	if (nrr)
		assert_int_equal(kpi_cohort_write_nrr(r.cohort, rep, &w, &err),
				 KPI_OK);
	else
		assert_int_equal(kpi_cohort_write(r.cohort, rep, &w, &err),
				 KPI_OK);
	if (stats)
		kpi_cohort_stats(r.cohort, stats);
	fclose(o);
	assert_rectangular(out);
	kpi_cohort_free(r.cohort);
	kpi_csv_header_free(r.header);
	if (rejected)
		*rejected = r.rejected;
	return out;
}

static char *
run_text(const char *csv, const struct kpi_cohort_options *opt,
	 const struct kpi_cohort_report *rep, int nrr, int *rejected)
{
	FILE *in = fmemopen((void *)(uintptr_t)csv, strlen(csv), "r");
	char *out;

	assert_non_null(in);
	out = run_file(in, opt, rep, nrr, rejected, NULL);
	fclose(in);
	return out;
}

/* The whole of a file (the tests run in testdata/). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Field `col` (0-based) of the line that starts with `prefix`, as a
 * number; fails the test when there is no such line. */
static double
field(const char *out, const char *prefix, int col)
{
	size_t plen = strlen(prefix);
	const char *p = out;

	while (p && *p) {
		if (strncmp(p, prefix, plen) == 0) {
			int i;

			for (i = 0; i < col; i++) {
				p = strchr(p, ',');
				assert_non_null(p);
				p++;
			}
			if (*p == ',' || *p == '\n')
				return NAN;
			return strtod(p, NULL);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	fail_msg("no line starts with \"%s\"", prefix);
	return NAN;
}

/* Long output columns. */
enum { COHORT, AGE, PERIOD, SIZE, ACTIVE, RETENTION, LO, HI, REVENUE,
       REVENUE_RETENTION, LTV };

/* ==== Names ==== */

static void
test_mode_parse_accepts_names_and_rejects_others(void **state)
{
	enum kpi_cohort_mode m = KPI_COHORT_RETURN_ON;
	struct kpi_error err;

	assert_int_equal(kpi_cohort_mode_parse("return-on-or-after", &m, &err),
			 KPI_OK);
	assert_int_equal(m, KPI_COHORT_RETURN_ON_OR_AFTER);
	assert_int_equal(kpi_cohort_mode_parse("return-on", &m, &err), KPI_OK);
	assert_int_equal(m, KPI_COHORT_RETURN_ON);
	assert_int_equal(kpi_cohort_mode_parse("unbounded", &m, &err), KPI_OK);
	assert_int_equal(m, KPI_COHORT_RETURN_ON_OR_AFTER);
	assert_int_equal(kpi_cohort_mode_parse("sometimes", &m, &err),
			 KPI_EINVAL);
	assert_non_null(strstr(err.msg, "return-on-or-after"));
	assert_int_equal(m, KPI_COHORT_RETURN_ON_OR_AFTER);
}

static void
test_measure_parse_round_trips_column_names(void **state)
{
	static const char *const names[] = {
		"active", "retention", "retention_lo", "retention_hi",
		"revenue", "revenue_retention", "ltv",
	};
	enum kpi_cohort_measure m;
	struct kpi_error err;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(kpi_cohort_measure_parse(names[i], &m, &err),
				 KPI_OK);
		assert_string_equal(kpi_cohort_measure_name(m), names[i]);
	}
	assert_int_equal(kpi_cohort_measure_parse("logo", &m, &err), KPI_OK);
	assert_int_equal(m, KPI_COHORT_RETENTION);
	assert_false(kpi_cohort_measure_needs_value(KPI_COHORT_RETENTION));
	assert_true(kpi_cohort_measure_needs_value(KPI_COHORT_LTV));
	assert_int_equal(kpi_cohort_measure_parse("churn", &m, &err),
			 KPI_EINVAL);
}

static void
test_new_rejects_missing_columns_and_negative_lag(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort *c = NULL;
	struct kpi_error err;

	o.id_col = NULL;
	assert_int_equal(kpi_cohort_new(&c, &o, &err), KPI_EINVAL);
	assert_null(c);
	o = options();
	o.nrr_lag = -1;
	assert_int_equal(kpi_cohort_new(&c, &o, &err), KPI_EINVAL);
	assert_null(c);
	kpi_cohort_free(NULL);
}

/* ==== CDNOW ==== */

/* Expected values: the shared data/cdnow/README.md, computed there with
 * pandas (cohort = month of the first purchase; retained in month k = any
 * purchase in calendar month cohort + k); recomputed for this test with
 * pandas 1.5.3 to the same digits. */
static void
test_cdnow_matches_the_reference_numbers(void **state)
{
	static const double jan[] = { 0.1475, 0.1229, 0.1032, 0.0865, 0.0938, 0.0918 };
	static const double feb[] = { 0.1548, 0.1156, 0.0924, 0.0999, 0.0927, 0.0739 };
	static const double mar[] = { 0.1424, 0.1038, 0.1043, 0.0930, 0.0778, 0.0774 };
	static const double jan_revenue[] = { 0.2041, 0.1695, 0.1359 };
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	FILE *in = fopen("cdnow/cdnow_master.csv", "rb");
	struct kpi_cohort_stats st;
	char prefix[64], *out;
	int k;

	assert_non_null(in);
	o.id_col = "customer_id";
	out = run_file(in, &o, &r, 0, NULL, &st);
	fclose(in);
	assert_int_equal(st.rows, 69659);
	assert_int_equal(st.customers, 23570);
	assert_int_equal(st.cohorts, 3);
	assert_close(field(out, "1997-01-01,0,", SIZE), 7846, 0);
	assert_close(field(out, "1997-02-01,0,", SIZE), 8476, 0);
	assert_close(field(out, "1997-03-01,0,", SIZE), 7248, 0);
	for (k = 1; k <= 6; k++) {
		snprintf(prefix, sizeof(prefix), "1997-01-01,%d,", k);
		assert_close(field(out, prefix, RETENTION), jan[k - 1], 5e-5);
		if (k <= 3)
			assert_close(field(out, prefix, REVENUE_RETENTION),
				     jan_revenue[k - 1], 5e-5);
		snprintf(prefix, sizeof(prefix), "1997-02-01,%d,", k);
		assert_close(field(out, prefix, RETENTION), feb[k - 1], 5e-5);
		snprintf(prefix, sizeof(prefix), "1997-03-01,%d,", k);
		assert_close(field(out, prefix, RETENTION), mar[k - 1], 5e-5);
	}
	/* Month 1 of January: 1157 of 7846 bought again in February. */
	assert_close(field(out, "1997-01-01,1,", ACTIVE), 1157, 0);
	free(out);

	in = fopen("cdnow/cdnow_master.csv", "rb");
	assert_non_null(in);
	r.mode = KPI_COHORT_RETURN_ON_OR_AFTER;
	out = run_file(in, &o, &r, 0, NULL, NULL);
	fclose(in);
	assert_close(field(out, "1997-01-01,3,", RETENTION), 0.4002, 5e-5);
	assert_close(field(out, "1997-01-01,3,", ACTIVE), 3140, 0);
	free(out);
}

/* A bucket of 1 byte writes every record to the temporary file: the table
 * must not change, and rows in another order must not change it either. */
static void
test_spilling_and_row_order_leave_the_table_unchanged(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	struct kpi_cohort_stats st;
	size_t len, nlines = 0, i, j;
	char *text = slurp("cdnow/cdnow_master.csv", &len), *p;
	char **lines, *shuffled, *plain, *spilled, *reordered;
	FILE *in;
	uint64_t seed = 12345;

	o.id_col = "customer_id";
	r.summary = 1;
	plain = run_text(text, &o, &r, 0, NULL);

	o.bucket_bytes = 1;
	in = fmemopen(text, len, "r");
	assert_non_null(in);
	spilled = run_file(in, &o, &r, 0, NULL, &st);
	fclose(in);
	assert_true(st.spilled > 69659 * 20);
	assert_string_equal(spilled, plain);

	/* Fisher-Yates over the data lines with a fixed LCG. */
	for (p = text; *p; p++)
		nlines += *p == '\n';
	lines = malloc(nlines * sizeof(*lines));
	assert_non_null(lines);
	for (i = 0, p = text; i < nlines; i++) {
		lines[i] = p;
		p = strchr(p, '\n') + 1;
	}
	for (i = nlines - 1; i > 1; i--) {
		char *t;

		seed = seed * 6364136223846793005u + 1442695040888963407u;
		j = 1 + (size_t)((seed >> 33) % i);
		t = lines[i];
		lines[i] = lines[j];
		lines[j] = t;
	}
	shuffled = malloc(len + 1);
	assert_non_null(shuffled);
	for (i = 0, p = shuffled; i < nlines; i++) {
		size_t l = (size_t)(strchr(lines[i], '\n') - lines[i]) + 1;

		memcpy(p, lines[i], l);
		p += l;
	}
	*p = '\0';
	o.bucket_bytes = 0;
	reordered = run_text(shuffled, &o, &r, 0, NULL);
	assert_string_equal(reordered, plain);
	free(lines);
	free(shuffled);
	free(text);
	free(plain);
	free(spilled);
	free(reordered);
}

/* ==== Small cases, computed by hand ==== */

static const char orders[] =
	"customer,date,amount,plan\n"
	"x,2026-01-03,10,basic\n"
	"x,2026-01-15,20,basic\n"
	"y,2026-01-20,50,pro\n"
	"x,2026-01-31,5,basic\n"
	"x,2026-02-10,7,basic\n"
	"x,2026-02-11,3,basic\n"
	"y,2026-03-05,25,pro\n"
	"z,2026-03-09,40,basic\n"
	"x,2026-04-02,8,basic\n"
	"x,2026-04-20,100,basic\n";

/* x buys three times in January and twice in February: it counts once a
 * month; its amounts add up.  z is a cohort of one.  --as-of 2026-04-15
 * cuts April in half: its cells are empty, and the row of 04-20 is not
 * read. */
static void
test_events_in_one_period_count_once_and_as_of_censors(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	char *out;

	o.has_as_of = 1;
	o.as_of = 20558;	/* 2026-04-15 */
	r.summary = 1;
	out = run_text(orders, &o, &r, 0, NULL);
	assert_close(field(out, "2026-01-01,0,", SIZE), 2, 0);
	assert_close(field(out, "2026-01-01,0,", ACTIVE), 2, 0);
	assert_close(field(out, "2026-01-01,0,", REVENUE), 85, 0);
	assert_close(field(out, "2026-01-01,1,", ACTIVE), 1, 0);
	assert_close(field(out, "2026-01-01,1,", REVENUE), 10, 0);
	assert_close(field(out, "2026-01-01,1,", REVENUE_RETENTION), 10.0 / 85, 1e-15);
	assert_close(field(out, "2026-01-01,2,", LTV), 60, 0);
	assert_close(field(out, "2026-01-01,3,", SIZE), 2, 0);
	assert_nan(field(out, "2026-01-01,3,", ACTIVE));
	assert_nan(field(out, "2026-01-01,3,", RETENTION));
	assert_nan(field(out, "2026-01-01,3,", REVENUE));
	assert_close(field(out, "2026-03-01,0,", RETENTION), 1, 0);
	assert_nan(field(out, "2026-03-01,1,", RETENTION));
	/* Wilson bounds of 1/2 and 1/1 (R: prop.test(x, n, correct = FALSE)). */
	assert_close(field(out, "2026-01-01,1,", LO), 0.0945312057342307, 1e-12);
	assert_close(field(out, "2026-01-01,1,", HI), 0.9054687942657693, 1e-12);
	assert_close(field(out, "2026-03-01,0,", LO), 0.2065493143772375, 1e-12);
	/* Summary: age 0 pools both cohorts, age 1 only January (March's
	 * age 1 is April); there is no row for age 3. */
	assert_close(field(out, ",0,", SIZE), 3, 0);
	assert_close(field(out, ",0,", LTV), 125.0 / 3, 1e-12);
	assert_close(field(out, ",1,", SIZE), 2, 0);
	assert_close(field(out, ",1,", RETENTION), 0.5, 0);
	assert_null(strstr(out, "\n,3,"));
	free(out);
}

static void
test_return_on_or_after_counts_later_returns(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	char *out;

	o.has_as_of = 1;
	o.as_of = 20558;	/* 2026-04-15 */
	r.mode = KPI_COHORT_RETURN_ON_OR_AFTER;
	out = run_text(orders, &o, &r, 0, NULL);
	/* y skips February but comes back in March; x buys on 04-02. */
	assert_close(field(out, "2026-01-01,1,", ACTIVE), 2, 0);
	assert_close(field(out, "2026-01-01,2,", ACTIVE), 2, 0);
	assert_nan(field(out, "2026-01-01,3,", ACTIVE));
	free(out);
}

static void
test_nrr_splits_movements(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	char *out;

	enum { P, START, RETAINED, LOGO, START_REV, RETAINED_REV, EXPANSION,
	       CONTRACTION, CHURNED, NEW, NEW_REV, REACT, REACT_REV, NRR, GRR };

	o.has_as_of = 1;
	o.as_of = 20558;	/* 2026-04-15 */
	o.nrr_lag = 1;
	out = run_text(orders, &o, &r, 1, NULL);
	/* February: x (35 in January) and y (50) start; x spends 10: a
	 * contraction of 25; y churns 50. */
	assert_close(field(out, "2026-02-01,", START), 2, 0);
	assert_close(field(out, "2026-02-01,", START_REV), 85, 0);
	assert_close(field(out, "2026-02-01,", RETAINED_REV), 10, 0);
	assert_close(field(out, "2026-02-01,", CONTRACTION), 25, 0);
	assert_close(field(out, "2026-02-01,", CHURNED), 50, 0);
	assert_close(field(out, "2026-02-01,", NRR), 10.0 / 85, 1e-15);
	assert_close(field(out, "2026-02-01,", GRR), 10.0 / 85, 1e-15);
	/* March: x churns; z is new; y is back (reactivated, not in NRR). */
	assert_close(field(out, "2026-03-01,", NEW), 1, 0);
	assert_close(field(out, "2026-03-01,", NEW_REV), 40, 0);
	assert_close(field(out, "2026-03-01,", REACT), 1, 0);
	assert_close(field(out, "2026-03-01,", REACT_REV), 25, 0);
	assert_close(field(out, "2026-03-01,", NRR), 0, 0);
	/* April has not ended: only its start is known. */
	assert_close(field(out, "2026-04-01,", START), 2, 0);
	assert_close(field(out, "2026-04-01,", START_REV), 65, 0);
	assert_nan(field(out, "2026-04-01,", NRR));
	free(out);

	r.include_reactivated = 1;
	out = run_text(orders, &o, &r, 1, NULL);
	assert_close(field(out, "2026-03-01,", NRR), 2.5, 0);
	assert_close(field(out, "2026-03-01,", GRR), 0, 0);
	free(out);
}

/* 2025-12-29 is the Monday of ISO week 2026-W01 (GNU date +%G-W%V). */
static void
test_weeks_cross_the_year_end(void **state)
{
	static const char csv[] =
		"customer,date\n"
		"a,2025-12-22\n"
		"b,2025-12-28\n"
		"a,2025-12-31\n"
		"c,2026-01-01\n"
		"b,2026-01-02\n"
		"a,2026-01-05\n"
		"c,2026-01-12\n";
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	char *out;

	o.value_col = NULL;
	o.every = KPI_PERIOD_WEEK;
	out = run_text(csv, &o, &r, 0, NULL);
	assert_close(field(out, "2025-12-22,0,2025-12-22,", SIZE), 2, 0);
	assert_close(field(out, "2025-12-22,1,2025-12-29,", ACTIVE), 2, 0);
	assert_close(field(out, "2025-12-22,2,2026-01-05,", ACTIVE), 1, 0);
	/* The as-of date, 2026-01-12, is the Monday of an unfinished week. */
	assert_nan(field(out, "2025-12-22,3,2026-01-12,", ACTIVE));
	assert_close(field(out, "2025-12-29,0,", SIZE), 1, 0);
	assert_close(field(out, "2025-12-29,1,2026-01-05,", ACTIVE), 0, 0);
	assert_nan(field(out, "2025-12-22,0,", REVENUE));
	free(out);

	r.period_label = 1;
	out = run_text(csv, &o, &r, 0, NULL);
	assert_non_null(strstr(out, "\n2025-W52,1,2026-W01,2,2,"));
	free(out);
}

/* ==== Rejected rows ==== */

static void
test_customer_in_two_groups_is_rejected_without_trace(void **state)
{
	static const char with_conflict[] =
		"customer,date,region\n"
		"a,2026-01-05,West\n"
		"b,2026-01-06,East\n"
		"a,2026-02-07,East\n"
		"a,2026-03-01,West\n";
	static const char without[] =
		"customer,date,region\n"
		"a,2026-01-05,West\n"
		"b,2026-01-06,East\n"
		"a,2026-03-01,West\n";
	static const char *const groups[] = { "region" };
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	struct run run = { 0 };
	struct kpi_error err;
	FILE *in;
	char *a, *b;
	int rejected = 0;

	o.value_col = NULL;
	o.group_cols = groups;
	o.ngroup = 1;
	a = run_text(with_conflict, &o, &r, 0, &rejected);
	b = run_text(without, &o, &r, 0, NULL);
	assert_int_equal(rejected, 1);
	assert_string_equal(a, b);
	free(a);
	free(b);

	/* The message names the customer, both groups, the line, the column. */
	in = fmemopen((void *)(uintptr_t)with_conflict, strlen(with_conflict),
		      "r");
	assert_non_null(in);
	assert_int_equal(kpi_cohort_new(&run.cohort, &o, &err), KPI_OK);
	assert_int_equal(kpi_csv_read(in, NULL, run_header, run_row, &run, &err),
			 KPI_OK);
	assert_int_equal(run.first_error, KPI_EPARSE);
	assert_int_equal(run.err.line, 4);
	assert_string_equal(run.err.column, "region");
	assert_non_null(strstr(run.err.msg, "customer \"a\""));
	assert_non_null(strstr(run.err.msg, "\"West\""));
	assert_non_null(strstr(run.err.msg, "\"East\""));
	fclose(in);
	kpi_cohort_free(run.cohort);
	kpi_csv_header_free(run.header);
}

/* The check of groups keeps ids of up to 8 bytes in its table and longer
 * ones aside; both must be told apart exactly, also after the table grew. */
static void
test_group_check_handles_long_ids_and_growth(void **state)
{
	static const char *const groups[] = { "region" };
	struct kpi_cohort_options o = options();
	struct kpi_cohort *c = NULL;
	struct kpi_csv_header *h = NULL;
	struct kpi_error err;
	const char *names[] = { "customer", "date", "region" };
	const char *fields[3];
	char id[64];
	struct kpi_csv_record rec = { names, 3, 1, "", 0 };
	long i;

	o.value_col = NULL;
	o.group_cols = groups;
	o.ngroup = 1;
	assert_int_equal(kpi_cohort_new(&c, &o, &err), KPI_OK);
	assert_int_equal(kpi_csv_header_new(&h, &rec, &err), KPI_OK);
	assert_int_equal(kpi_cohort_header(c, h, &err), KPI_OK);
	rec.fields = fields;
	fields[0] = id;
	fields[1] = "2026-01-05";
	/* 20,000 customers, ids of 1 to 25 bytes, alternating regions. */
	for (i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "%.*s%ld", (int)(i % 20),
			 "abcdefghijklmnopqrst", i);
		fields[2] = i % 2 ? "East" : "West";
		rec.line = (unsigned long)i + 2;
		assert_int_equal(kpi_cohort_add(c, &rec, &err), KPI_OK);
	}
	/* Every one again, same region: fine; the other region: rejected. */
	for (i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "%.*s%ld", (int)(i % 20),
			 "abcdefghijklmnopqrst", i);
		fields[2] = i % 2 ? "East" : "West";
		assert_int_equal(kpi_cohort_add(c, &rec, &err), KPI_OK);
		fields[2] = i % 2 ? "West" : "East";
		assert_int_equal(kpi_cohort_add(c, &rec, &err), KPI_EPARSE);
		assert_string_equal(err.column, "region");
	}
	assert_int_equal(kpi_cohort_finish(c, &err), KPI_OK);
	{
		struct kpi_cohort_stats st;

		kpi_cohort_stats(c, &st);
		assert_int_equal(st.customers, 20000);
		assert_int_equal(st.rows, 40000);
		assert_int_equal(st.cohorts, 2);
	}
	kpi_cohort_free(c);
	kpi_csv_header_free(h);
}

/* Each bad row is KPI_EPARSE with its column, and nothing else of it is
 * kept: the table equals that of the good rows alone. */
static void
test_bad_values_name_their_column(void **state)
{
	static const struct {
		const char *row;
		const char *column;
		const char *text;
	} bad[] = {
		{ ",2026-01-05,1,2026-01-01\n", "customer", "missing" },
		{ "a,,1,2026-01-01\n", "date", "missing" },
		{ "a,2026-02-30,1,2026-01-01\n", "date", "2026-02-30" },
		{ "a,2026-01-05,12x,2026-01-01\n", "amount", "12x" },
		{ "a,2026-01-05,NA,2026-01-01\n", "amount", "--na" },
		{ "a,2026-01-05,1,\n", "signup", "missing" },
		{ "a,2025-12-31,1,2026-01-01\n", "date", "before" },
		{ "good,2026-01-05,1,2026-01-02\n", "signup", "cohort date" },
	};
	static const char head[] =
		"customer,date,amount,signup\n"
		"good,2026-01-03,5,2026-01-01\n";
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	char csv[256], *plain, *out;
	size_t i;

	o.cohort_col = "signup";
	plain = run_text(head, &o, &r, 0, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run run = { 0 };
		struct kpi_error err;
		FILE *in;
		int rejected = 0;

		snprintf(csv, sizeof(csv), "%s%s", head, bad[i].row);
		out = run_text(csv, &o, &r, 0, &rejected);
		assert_int_equal(rejected, 1);
		assert_string_equal(out, plain);
		free(out);

		in = fmemopen(csv, strlen(csv), "r");
		assert_non_null(in);
		assert_int_equal(kpi_cohort_new(&run.cohort, &o, &err), KPI_OK);
		assert_int_equal(kpi_csv_read(in, NULL, run_header, run_row,
					      &run, &err), KPI_OK);
		if (strcmp(run.err.column, bad[i].column) != 0 ||
		    !strstr(run.err.msg, bad[i].text))
			fail_msg("row %zu: column \"%s\", message \"%s\"", i,
				 run.err.column, run.err.msg);
		assert_int_equal(run.err.line, 3);
		fclose(in);
		kpi_cohort_free(run.cohort);
		kpi_csv_header_free(run.header);
	}
	free(plain);
}

static void
test_rows_after_as_of_are_ignored_and_counted(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	struct kpi_cohort_stats st;
	FILE *in = fmemopen((void *)(uintptr_t)orders, strlen(orders), "r");
	char *out;

	assert_non_null(in);
	o.has_as_of = 1;
	o.as_of = 20558;	/* 2026-04-15 */
	out = run_file(in, &o, &r, 0, NULL, &st);
	fclose(in);
	assert_int_equal(st.rows, 9);
	assert_int_equal(st.ignored, 1);
	assert_int_equal(st.customers, 3);
	assert_int_equal(st.as_of, 20558);
	assert_int_equal(st.spilled, 0);
	free(out);
}

/* ==== Resources ==== */

static void
test_unwritable_tmpdir_is_an_io_error(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort *c = NULL;
	struct run run = { 0 };
	struct kpi_error err;
	FILE *in = fmemopen((void *)(uintptr_t)orders, strlen(orders), "r");

	assert_non_null(in);
	o.bucket_bytes = 1;
	o.tmpdir = "/nonexistent/kpi-test";
	assert_int_equal(kpi_cohort_new(&c, &o, &err), KPI_OK);
	run.cohort = c;
	assert_int_equal(kpi_csv_read(in, NULL, run_header, run_row, &run, &err),
			 KPI_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent/kpi-test"));
	fclose(in);
	kpi_cohort_free(c);
	kpi_csv_header_free(run.header);
}

/* Without -g and a cohort column nothing is kept per customer while
 * reading: 200,000 customers cost no more than the bucket buffers. */
static void
test_memory_does_not_follow_customers_while_reading(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	struct kpi_cohort *c = NULL;
	struct kpi_csv_header *h = NULL;
	struct kpi_cohort_stats st;
	struct kpi_error err;
	struct kpi_csv_writer w;
	const char *names[] = { "customer", "date", "amount" };
	const char *fields[3];
	char id[32], date[16];
	struct kpi_csv_record rec = { names, 3, 1, "", 0 };
	FILE *devnull = fopen("/dev/null", "w");
	long i;

	assert_non_null(devnull);
	assert_int_equal(kpi_cohort_new(&c, &o, &err), KPI_OK);
	assert_int_equal(kpi_csv_header_new(&h, &rec, &err), KPI_OK);
	assert_int_equal(kpi_cohort_header(c, h, &err), KPI_OK);
	rec.fields = fields;
	fields[0] = id;
	fields[1] = date;
	fields[2] = "9.99";
	for (i = 0; i < 400000; i++) {
		snprintf(id, sizeof(id), "customer-%07ld", i % 200000);
		snprintf(date, sizeof(date), "2026-%02ld-%02ld", 1 + i % 12,
			 1 + i % 28);
		rec.line = (unsigned long)i + 2;
		assert_int_equal(kpi_cohort_add(c, &rec, &err), KPI_OK);
	}
	kpi_cohort_stats(c, &st);
	assert_int_equal(st.rows, 400000);
	assert_true(st.bytes < (size_t)9 * 1024 * 1024);
	assert_true(st.spilled > 0);
	assert_int_equal(kpi_cohort_finish(c, &err), KPI_OK);
	kpi_cohort_stats(c, &st);
	assert_int_equal(st.customers, 200000);
	kpi_csv_writer_init(&w, devnull);
	assert_int_equal(kpi_cohort_write(c, &r, &w, &err), KPI_OK);
	fclose(devnull);
	kpi_cohort_free(c);
	kpi_csv_header_free(h);
}

static void
test_nrr_needs_an_amount_and_a_lag(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	struct kpi_cohort *c = NULL;
	struct kpi_csv_writer w;
	struct kpi_error err;
	FILE *devnull = fopen("/dev/null", "w");

	assert_non_null(devnull);
	assert_int_equal(kpi_cohort_new(&c, &o, &err), KPI_OK);
	assert_int_equal(kpi_cohort_finish(c, &err), KPI_OK);
	kpi_csv_writer_init(&w, devnull);
	assert_int_equal(kpi_cohort_write_nrr(c, &r, &w, &err), KPI_EINVAL);
	/* An empty input gives a header and no rows. */
	assert_int_equal(kpi_cohort_write(c, &r, &w, &err), KPI_OK);
	fclose(devnull);
	kpi_cohort_free(c);
}

/* ==== A span of periods out of proportion ==== */

static void
add_dated(struct kpi_cohort *c, unsigned long line, const char *id, long day,
	  enum kpi_status want)
{
	const char *fields[3];
	char date[KPI_DATE_BUFSZ];
	struct kpi_csv_record rec = { fields, 3, line, "", 0 };
	struct kpi_error err;

	kpi_date_format_iso(day, date);
	fields[0] = id;
	fields[1] = date;
	fields[2] = "1";
	assert_int_equal(kpi_cohort_add(c, &rec, &err), want);
}

static struct kpi_cohort *
daily_engine_lag(struct kpi_cohort_options *o, struct kpi_csv_header **h,
		 long lag)
{
	const char *names[] = { "customer", "date", "amount" };
	struct kpi_csv_record rec = { names, 3, 1, "", 0 };
	struct kpi_cohort *c = NULL;
	struct kpi_error err;

	o->every = KPI_PERIOD_DAY;
	o->nrr_lag = lag;
	assert_int_equal(kpi_cohort_new(&c, o, &err), KPI_OK);
	assert_int_equal(kpi_csv_header_new(h, &rec, &err), KPI_OK);
	assert_int_equal(kpi_cohort_header(c, *h, &err), KPI_OK);
	return c;
}

static struct kpi_cohort *
daily_engine(struct kpi_cohort_options *o, struct kpi_csv_header **h)
{
	return daily_engine_lag(o, h, 1);
}

/* The cap, worked by hand: two rows allow 64 x 2 + 10,000 = 10,128 daily
 * periods, i.e. a last date 10,127 days after the first; one day more is
 * refused at the outlying row, before any per-period array is made. */
static void
test_span_of_periods_is_capped_by_rows(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_csv_header *h = NULL;
	struct kpi_cohort *c;
	struct kpi_error err;
	long first = 20454;	/* 2026-01-01 */
	int extra;

	for (extra = 0; extra <= 1; extra++) {
		c = daily_engine(&o, &h);
		kpi_cohort_input(c, "a.csv");
		add_dated(c, 2, "x", first, KPI_OK);
		add_dated(c, 3, "y", first + 10127 + extra, KPI_OK);
		if (!extra) {
			assert_int_equal(kpi_cohort_finish(c, &err), KPI_OK);
		} else {
			assert_int_equal(kpi_cohort_finish(c, &err),
					 KPI_EPARSE);
			assert_int_equal(err.line, 3);
			assert_string_equal(err.column, "date");
			assert_string_equal(kpi_cohort_error_input(c), "a.csv");
			assert_non_null(strstr(err.msg, "10128 days after"));
			assert_non_null(strstr(err.msg, "at most 10128 days"));
		}
		kpi_cohort_free(c);
		kpi_csv_header_free(h);
		h = NULL;
	}
}

/* The end that lies out is blamed, whichever it is and whatever the order
 * of the rows: here the earliest row, in the first of two inputs; and a
 * far as-of date alone is named without a line. */
static void
test_span_blames_the_outlying_row_or_the_as_of_date(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_csv_header *h = NULL;
	struct kpi_cohort *c;
	struct kpi_error err;
	long first = 20454;	/* 2026-01-01 */

	c = daily_engine(&o, &h);
	kpi_cohort_input(c, "a.csv");
	add_dated(c, 2, "x", first + 30, KPI_OK);
	add_dated(c, 3, "x", -500000, KPI_OK);	/* year 601 */
	kpi_cohort_input(c, "b.csv");
	add_dated(c, 2, "y", first, KPI_OK);
	add_dated(c, 3, "z", first + 400, KPI_OK);
	assert_int_equal(kpi_cohort_finish(c, &err), KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "date");
	assert_string_equal(kpi_cohort_error_input(c), "a.csv");
	assert_non_null(strstr(err.msg, "before"));
	assert_non_null(strstr(err.msg, "(b.csv:3)"));
	kpi_cohort_free(c);
	kpi_csv_header_free(h);
	h = NULL;

	o.has_as_of = 1;
	o.as_of = first + 200000;
	c = daily_engine(&o, &h);
	add_dated(c, 2, "x", first, KPI_OK);
	add_dated(c, 3, "y", first + 5, KPI_OK);
	assert_int_equal(kpi_cohort_finish(c, &err), KPI_EPARSE);
	assert_int_equal(err.line, 0);
	assert_null(kpi_cohort_error_input(c));
	assert_non_null(strstr(err.msg, "as-of date"));
	kpi_cohort_free(c);
	kpi_csv_header_free(h);
}

/* ==== A table of cells out of proportion ==== */

/* 601 customers, one a day from 2026-01-01 (lines 2 to 602), and line
 * 603: `last_id` on day 2027.  Worked by hand: 602 rows allow 64 x 602 +
 * 1,000,000 = 1,038,528 cells.  The cohort of day i holds ages 0 to 2027
 * - i, so the 601 cohorts hold sum(2028 - i, i = 0..600) = 601 x 2028 -
 * 600 x 601 / 2 = 1,218,828 - 180,300 = 1,038,528 cells: exactly the cap
 * when line 603 is a return of customer k0, one more (the 1-cell cohort of
 * day 2027) when it is a new customer, and 2,028 more (one group x 2,028
 * days) with the NRR table.  The span, 2,028 days, is well within 64 x
 * 602 + 10,000. */
static enum kpi_status
cells_case(const char *last_id, long lag, struct kpi_error *err,
	   struct kpi_cohort_stats *stats)
{
	struct kpi_cohort_options o = options();
	struct kpi_csv_header *h = NULL;
	struct kpi_cohort *c = daily_engine_lag(&o, &h, lag);
	long first = 20454;	/* 2026-01-01 */
	char id[16];
	enum kpi_status st;
	int i;

	kpi_cohort_input(c, "a.csv");
	for (i = 0; i <= 600; i++) {
		snprintf(id, sizeof(id), "k%d", i);
		add_dated(c, (unsigned long)i + 2, id, first + i, KPI_OK);
	}
	add_dated(c, 603, last_id, first + 2027, KPI_OK);
	st = kpi_cohort_finish(c, err);
	kpi_cohort_stats(c, stats);
	if (st != KPI_OK) {
		assert_int_equal(err->line, 603);
		assert_string_equal(err->column, "date");
		assert_string_equal(kpi_cohort_error_input(c), "a.csv");
		assert_non_null(strstr(err->msg,
				       "\"2031-07-21\" is 2027 days after \"2026-01-01\" (line 2): a table of 602 rows may hold at most 1038528 cells"));
	}
	kpi_cohort_free(c);
	kpi_csv_header_free(h);
	return st;
}

static void
test_cells_are_capped_by_rows(void **state)
{
	struct kpi_cohort_stats stats;
	struct kpi_error err;

	assert_int_equal(cells_case("k0", 0, &err, &stats), KPI_OK);
	assert_int_equal(stats.cohorts, 601);
	assert_int_equal(cells_case("z", 0, &err, &stats), KPI_EPARSE);
	assert_int_equal(cells_case("k0", 1, &err, &stats), KPI_EPARSE);
	assert_non_null(strstr(err.msg, "(cohorts x days, and groups x days)"));
}

/* No row lies out: 150 customers, one every 130 days.  By hand: 150 rows
 * allow 64 x 150 + 1,000,000 = 1,009,600 cells and a span of 64 x 150 +
 * 10,000 = 19,600 days; the span is 149 x 130 + 1 = 19,371 days and the
 * cells sum(19,371 - 130 i, i = 0..149) = 150 x 19,371 - 130 x 11,175 =
 * 1,452,900.  The largest gap, 130 days, is far from half the span, so
 * the table is named, not a row.  Then 150 customers on consecutive days
 * with an as-of date 9,000 days after the first: sum(9,001 - i, i =
 * 0..149) = 1,350,150 - 11,175 = 1,338,975 cells, and the as-of date,
 * 8,851 days after the latest, is named. */
static void
test_cells_cap_names_the_table_or_the_as_of_date(void **state)
{
	struct kpi_cohort_options o = options();
	struct kpi_csv_header *h = NULL;
	struct kpi_cohort *c;
	struct kpi_error err;
	long first = 20454;	/* 2026-01-01 */
	char id[16];
	int i, as_of;

	for (as_of = 0; as_of <= 1; as_of++) {
		o.has_as_of = as_of;
		o.as_of = first + 9000;
		c = daily_engine_lag(&o, &h, 0);
		for (i = 0; i < 150; i++) {
			snprintf(id, sizeof(id), "k%d", i);
			add_dated(c, (unsigned long)i + 2, id,
				  first + (as_of ? i : 130 * i), KPI_OK);
		}
		assert_int_equal(kpi_cohort_finish(c, &err), KPI_EPARSE);
		assert_int_equal(err.line, 0);
		assert_null(kpi_cohort_error_input(c));
		if (as_of)
			assert_non_null(strstr(err.msg,
					       "the as-of date 2050-08-23 is 8851 days after the latest date \"2026-05-30\": a table of 150 rows may hold at most 1009600 cells"));
		else
			assert_non_null(strstr(err.msg,
					       "the table needs more than the 1009600 cells (cohorts x days) that 150 rows may make"));
		kpi_cohort_free(c);
		kpi_csv_header_free(h);
		h = NULL;
	}
}

/* ==== Figures beyond the largest double ==== */

/* Write the table (or NRR) of `csv`, which must be refused: the status
 * and message into *err; fails the test if anything was written. */
static enum kpi_status
refused(const char *csv, const struct kpi_cohort_options *opt,
	const struct kpi_cohort_report *rep, int nrr, struct kpi_error *err)
{
	FILE *in = fmemopen((void *)(uintptr_t)csv, strlen(csv), "r");
	struct run r = { 0 };
	struct kpi_csv_writer w;
	char *out = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&out, &len);
	enum kpi_status st;

	assert_non_null(in);
	assert_non_null(o);
	assert_int_equal(kpi_cohort_new(&r.cohort, opt, err), KPI_OK);
	assert_int_equal(kpi_csv_read(in, NULL, run_header, run_row, &r, err),
			 KPI_OK);
	assert_int_equal(kpi_cohort_finish(r.cohort, err), KPI_OK);
	kpi_csv_writer_init(&w, o);
	st = nrr ? kpi_cohort_write_nrr(r.cohort, rep, &w, err)
		 : kpi_cohort_write(r.cohort, rep, &w, err);
	fclose(o);
	assert_string_equal(out, "");
	free(out);
	fclose(in);
	kpi_cohort_free(r.cohort);
	kpi_csv_header_free(r.header);
	return st;
}

/* DBL_MAX is about 1.7977e308.  By hand: 8e307 + 8e307 = 1.6e308 still
 * fits, so that table is written, its LTV 1.6e308 / 2 = 8e307; 1e308 +
 * 1.5e308 = 2.5e308 does not, and is refused before the header, naming
 * the cohort and age, whether the sum is the cell's or --summary's pool
 * of two cohorts of 1e308 and 1.5e308 at age 0.  A --wide table of logo
 * retention shows no revenue, so it is written. */
static void
test_revenue_beyond_a_double_is_refused_before_output(void **state)
{
	static const char fits[] =
		"customer,date,amount\n"
		"a,2026-01-05,8e307\n"
		"b,2026-01-20,8e307\n";
	static const char cell[] =
		"customer,date,amount\n"
		"a,2026-01-05,1e308\n"
		"b,2026-01-20,1.5e308\n";
	static const char pooled[] =
		"customer,date,amount\n"
		"a,2026-01-05,1e308\n"
		"b,2026-02-05,1.5e308\n";
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	struct kpi_error err;
	char *out;

	o.has_as_of = 1;
	o.as_of = 20484;	/* 2026-01-31: January is over */
	out = run_text(fits, &o, &r, 0, NULL);
	assert_close(field(out, "2026-01-01,0,", REVENUE), 1.6e308, 1e293);
	assert_close(field(out, "2026-01-01,0,", LTV), 8e307, 1e292);
	free(out);

	assert_int_equal(refused(cell, &o, &r, 0, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg,
			       "revenue of cohort 2026-01-01 at age 0 (2026-01-01) lies beyond the largest number a double holds"));
	assert_non_null(strstr(err.msg, "column amount"));

	r.wide = 1;
	r.measure = KPI_COHORT_RETENTION;
	out = run_text(cell, &o, &r, 0, NULL);
	assert_string_equal(out, "cohort,size,age_0\n2026-01-01,2,1\n");
	free(out);
	r.measure = KPI_COHORT_LTV;
	assert_int_equal(refused(cell, &o, &r, 0, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "ltv of cohort 2026-01-01 at age 0"));

	r = report();
	o.as_of = 20512;	/* 2026-02-28 */
	out = run_text(pooled, &o, &r, 0, NULL);	/* each cohort fits */
	free(out);
	r.summary = 1;
	assert_int_equal(refused(pooled, &o, &r, 0, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "revenue of the summary at age 0"));
}

/* The ratios: 1e10 / 1e-300 = 1e310 is beyond DBL_MAX though both sums
 * fit; and a contraction of 1e308 - (-1e308) = 2e308 overflows though
 * neither revenue does (negative amounts are refunds). */
static void
test_ratios_and_movements_beyond_a_double_are_refused(void **state)
{
	static const char tiny[] =
		"customer,date,amount\n"
		"a,2026-01-05,1e-300\n"
		"a,2026-02-05,1e10\n";
	static const char swing[] =
		"customer,date,amount\n"
		"a,2026-01-05,1e308\n"
		"a,2026-02-05,-1e308\n";
	struct kpi_cohort_options o = options();
	struct kpi_cohort_report r = report();
	struct kpi_error err;
	char *out;

	o.has_as_of = 1;
	o.as_of = 20512;	/* 2026-02-28 */
	assert_int_equal(refused(tiny, &o, &r, 0, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg,
			       "revenue_retention of cohort 2026-01-01 at age 1 (2026-02-01)"));

	o.nrr_lag = 1;
	assert_int_equal(refused(tiny, &o, &r, 1, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "nrr of period 2026-02-01"));
	assert_int_equal(refused(swing, &o, &r, 1, &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "contraction of period 2026-02-01"));

	/* Until February is over, only its start revenue is written. */
	o.as_of = 20510;	/* 2026-02-26 */
	out = run_text(swing, &o, &r, 1, NULL);
	assert_close(field(out, "2026-02-01,", 4), 1e308, 1e293);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_parse_accepts_names_and_rejects_others),
		cmocka_unit_test(test_measure_parse_round_trips_column_names),
		cmocka_unit_test(test_new_rejects_missing_columns_and_negative_lag),
		cmocka_unit_test(test_cdnow_matches_the_reference_numbers),
		cmocka_unit_test(test_spilling_and_row_order_leave_the_table_unchanged),
		cmocka_unit_test(test_events_in_one_period_count_once_and_as_of_censors),
		cmocka_unit_test(test_return_on_or_after_counts_later_returns),
		cmocka_unit_test(test_nrr_splits_movements),
		cmocka_unit_test(test_weeks_cross_the_year_end),
		cmocka_unit_test(test_customer_in_two_groups_is_rejected_without_trace),
		cmocka_unit_test(test_group_check_handles_long_ids_and_growth),
		cmocka_unit_test(test_bad_values_name_their_column),
		cmocka_unit_test(test_rows_after_as_of_are_ignored_and_counted),
		cmocka_unit_test(test_unwritable_tmpdir_is_an_io_error),
		cmocka_unit_test(test_memory_does_not_follow_customers_while_reading),
		cmocka_unit_test(test_nrr_needs_an_amount_and_a_lag),
		cmocka_unit_test(test_span_of_periods_is_capped_by_rows),
		cmocka_unit_test(test_span_blames_the_outlying_row_or_the_as_of_date),
		cmocka_unit_test(test_cells_are_capped_by_rows),
		cmocka_unit_test(test_cells_cap_names_the_table_or_the_as_of_date),
		cmocka_unit_test(test_revenue_beyond_a_double_is_refused_before_output),
		cmocka_unit_test(test_ratios_and_movements_beyond_a_double_are_refused),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
