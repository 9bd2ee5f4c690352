/* test_agg.c - the aggregation engine behind kpi-agg: aggregate names,
 * exact sums, rows that are rejected leave no trace, output order. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "kpi/agg.h"

static void
test_spec_parse_names_output_columns(void **state)
{
	struct kpi_agg_spec *s = NULL;
	struct kpi_error err;
	size_t n = 0;

	assert_int_equal(kpi_agg_spec_parse("count,sum:amount,p99.5:amount,"
					    "distinct:account_id,count:amount,median:x",
					    &s, &n, &err), KPI_OK);
	assert_int_equal(n, 6);
	assert_int_equal(s[0].op, KPI_AGG_COUNT);
	assert_string_equal(s[0].name, "count");
	assert_null(s[0].column);
	assert_string_equal(s[1].name, "amount_sum");
	assert_int_equal(s[2].op, KPI_AGG_QUANTILE);
	assert_close(s[2].p, 0.995, 1e-15);
	assert_string_equal(s[2].name, "amount_p99.5");
	assert_string_equal(s[3].name, "account_id_distinct");
	assert_int_equal(s[4].op, KPI_AGG_COUNT_VALUES);
	assert_string_equal(s[4].name, "amount_count");
	assert_close(s[5].p, 0.5, 0);
	kpi_agg_specs_free(s, n);
}

static void
test_spec_parse_rejects_bad_lists(void **state)
{
	static const char *const bad[] = {
		"", "sum", "sum:", "foo:x", "count,,sum:x", "p101:x", "p:x",
		"px:x", "mean",
	};
	struct kpi_agg_spec *s = NULL;
	struct kpi_error err;
	size_t i, n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kpi_agg_spec_parse(bad[i], &s, &n, &err) != KPI_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_true(err.msg[0] != '\0');
	}
}

/* Run an aggregation over CSV text and return its output (static buffer). */
struct run {
	struct kpi_agg *agg;
	struct kpi_csv_header *header;
	int rejected;
};

static enum kpi_status
run_header(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;
	enum kpi_status st = kpi_csv_header_new(&r->header, rec, err);

	return st == KPI_OK ? kpi_agg_header(r->agg, r->header, err) : st;
}

static enum kpi_status
run_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;
	enum kpi_status st = kpi_agg_add(r->agg, rec, err);

	if (st == KPI_EPARSE) {		/* as --skip-bad does */
		r->rejected++;
		return KPI_OK;
	}
	return st;
}

static const char *
aggregate(const char *csv, struct kpi_agg_options *opt, int *rejected)
{
	static char out[4096];
	struct kpi_cli_common common;
	struct run r = { 0 };
	struct kpi_error err;
	struct kpi_csv_writer w;
	FILE *in = fmemopen((void *)(uintptr_t)csv, strlen(csv), "r");
	FILE *o = fmemopen(out, sizeof(out), "w");

	assert_non_null(in);
	assert_non_null(o);
	kpi_cli_common_init(&common);
	opt->common = &common;
	if (!opt->quantile_type)
		opt->quantile_type = 7;
	assert_int_equal(kpi_agg_new(&r.agg, opt, &err), KPI_OK);
	assert_int_equal(kpi_csv_read(in, NULL, run_header, run_row, &r, &err),
			 KPI_OK);
	kpi_csv_writer_init(&w, o);
	assert_int_equal(kpi_agg_write(r.agg, &w, &err), KPI_OK);
	fclose(o);
	fclose(in);
	kpi_agg_free(r.agg);
	kpi_csv_header_free(r.header);
	if (rejected)
		*rejected = r.rejected;
	return out;
}

static void
test_sum_is_compensated(void **state)
{
	/* Hand calculation: 1e16 + 1 - 1e16 + 1 = 2 exactly; plain double
	 * addition gives 1, because 1e16 + 1 rounds back to 1e16. */
	struct kpi_agg_spec *s = NULL;
	struct kpi_agg_options opt = { 0 };
	struct kpi_error err;
	size_t n;

	assert_int_equal(kpi_agg_spec_parse("sum:v", &s, &n, &err), KPI_OK);
	opt.specs = s;
	opt.nspecs = n;
	assert_string_equal(aggregate("v\n1e16\n1\n-1e16\n1\n", &opt, NULL),
			    "v_sum\n2\n");
	kpi_agg_specs_free(s, n);
}

static void
test_rejected_row_leaves_no_trace(void **state)
{
	/* The second row's b is bad: neither its count nor its a may count. */
	struct kpi_agg_spec *s = NULL;
	struct kpi_agg_options opt = { 0 };
	struct kpi_error err;
	const char *groups[] = { "g" };
	size_t n;
	int rejected;

	assert_int_equal(kpi_agg_spec_parse("count,sum:a,sum:b,distinct:c,last:c",
					    &s, &n, &err), KPI_OK);
	opt.specs = s;
	opt.nspecs = n;
	opt.group_cols = groups;
	opt.ngroup = 1;
	assert_string_equal(aggregate("g,a,b,c\n"
				      "x,1,10,p\n"
				      "x,2,oops,q\n"
				      "x,4,20,p\n", &opt, &rejected),
			    "g,count,a_sum,b_sum,c_distinct,c_last\n"
			    "x,2,5,30,1,p\n");
	assert_int_equal(rejected, 1);
	kpi_agg_specs_free(s, n);
}

static void
test_groups_sort_by_bytes_then_period(void **state)
{
	/* Byte order: "B" < "a" < "ab"; periods ascending within a group; the
	 * empty date sorts first. */
	struct kpi_agg_spec *s = NULL;
	struct kpi_agg_options opt = { 0 };
	struct kpi_error err;
	const char *groups[] = { "g" };
	size_t n;

	assert_int_equal(kpi_agg_spec_parse("count", &s, &n, &err), KPI_OK);
	opt.specs = s;
	opt.nspecs = n;
	opt.group_cols = groups;
	opt.ngroup = 1;
	opt.time_col = "d";
	opt.every = KPI_PERIOD_MONTH;
	assert_string_equal(aggregate("g,d\n"
				      "ab,2026-03-05\n"
				      "a,2026-02-01\n"
				      "B,2026-01-31\n"
				      "a,2026-01-15\n"
				      "a,\n"
				      "a,2026-02-28\n", &opt, NULL),
			    "g,period,count\n"
			    "B,2026-01-01,1\n"
			    "a,,1\n"
			    "a,2026-01-01,1\n"
			    "a,2026-02-01,2\n"
			    "ab,2026-03-01,1\n");
	kpi_agg_specs_free(s, n);
}

static void
test_fill_ends_every_group_at_the_latest_period(void **state)
{
	/* Group y stops in January but the data run to March: its February
	 * and March are written with count 0 and an empty mean. */
	struct kpi_agg_spec *s = NULL;
	struct kpi_agg_options opt = { 0 };
	struct kpi_error err;
	const char *groups[] = { "g" };
	size_t n;

	assert_int_equal(kpi_agg_spec_parse("count,mean:v", &s, &n, &err), KPI_OK);
	opt.specs = s;
	opt.nspecs = n;
	opt.group_cols = groups;
	opt.ngroup = 1;
	opt.time_col = "d";
	opt.every = KPI_PERIOD_MONTH;
	opt.fill = 1;
	assert_string_equal(aggregate("g,d,v\n"
				      "x,2026-01-10,1\n"
				      "x,2026-03-10,3\n"
				      "y,2026-01-20,5\n", &opt, NULL),
			    "g,period,count,v_mean\n"
			    "x,2026-01-01,1,1\n"
			    "x,2026-02-01,0,\n"
			    "x,2026-03-01,1,3\n"
			    "y,2026-01-01,1,5\n"
			    "y,2026-02-01,0,\n"
			    "y,2026-03-01,0,\n");
	kpi_agg_specs_free(s, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse_names_output_columns),
		cmocka_unit_test(test_spec_parse_rejects_bad_lists),
		cmocka_unit_test(test_sum_is_compensated),
		cmocka_unit_test(test_rejected_row_leaves_no_trace),
		cmocka_unit_test(test_groups_sort_by_bytes_then_period),
		cmocka_unit_test(test_fill_ends_every_group_at_the_latest_period),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
