/* test_cli.c - the shared pipe contract: common options, missing values,
 * messages, atomic output, reading several inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "test-util.h"
#include "kpi/cli.h"

static void
test_common_set_reads_every_common_option(void **state)
{
	struct kpi_cli_common c;
	struct kpi_error err;

	kpi_cli_common_init(&c);
	assert_int_equal(c.delimiter, ',');
	assert_int_equal(c.precision, -1);
	assert_int_equal(kpi_cli_common_set(&c, 'd', ";", &err), KPI_OK);
	assert_int_equal(c.delimiter, ';');
	assert_int_equal(kpi_cli_common_set(&c, 'd', "tab", &err), KPI_OK);
	assert_int_equal(c.delimiter, '\t');
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_PRECISION, "3", &err), KPI_OK);
	assert_int_equal(c.precision, 3);
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_WEEK_START, "sunday", &err), KPI_OK);
	assert_int_equal(c.cal.week_start, 7);
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_FISCAL_START, "4", &err), KPI_OK);
	assert_int_equal(c.cal.fiscal_start, 4);
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_REJECTS, "r.csv", &err), KPI_OK);
	assert_string_equal(c.rejects, "r.csv");
	assert_true(c.skip_bad);	/* --rejects implies skipping */
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_DECIMAL_COMMA, NULL, &err), KPI_OK);
	assert_true(c.decimal_comma);
	kpi_cli_common_free(&c);
}

static void
test_common_set_names_the_option_in_errors(void **state)
{
	struct kpi_cli_common c;
	struct kpi_error err;

	kpi_cli_common_init(&c);
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_FISCAL_START, "13", &err),
			 KPI_EINVAL);
	assert_string_equal(err.msg,
			    "--fiscal-start: \"13\" is not a whole number from 1 to 12");
	assert_int_equal(kpi_cli_common_set(&c, 'd', ";;", &err), KPI_EINVAL);
	assert_non_null(strstr(err.msg, "--delimiter: "));
	assert_int_equal(kpi_cli_common_set(&c, 'd', "\"", &err), KPI_EINVAL);
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_PRECISION, "-1", &err),
			 KPI_EINVAL);
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_PRECISION, "2x", &err),
			 KPI_EINVAL);
	/* Not a common option: the tool handles it. */
	assert_int_equal(kpi_cli_common_set(&c, 'g', "x", &err), KPI_ESTOP);
	kpi_cli_common_free(&c);
}

static int usage_calls;

static void
count_usage(FILE *to)
{
	usage_calls++;
}

static void
test_shared_option_takes_common_options_and_reports_bad_ones(void **state)
{
	static const struct option longopts[] = {
		{ "group", required_argument, NULL, 'g' },
		KPI_CLI_COMMON_LONGOPTS
	};
	struct kpi_cli_common c;
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	kpi_cli_common_init(&c);
	assert_int_equal(kpi_cli_shared_option(f, "kpi-x", 'd', ";", &c,
					       longopts, count_usage),
			 KPI_CLI_GO_ON);
	assert_int_equal(c.delimiter, ';');
	assert_int_equal(kpi_cli_shared_option(f, "kpi-x", KPI_OPT_PRECISION,
					       "2x", &c, longopts,
					       count_usage),
			 KPI_EXIT_USAGE);
	/* getopt_long has printed its own complaint before '?'. */
	assert_int_equal(kpi_cli_shared_option(f, "kpi-x", '?', NULL, &c,
					       longopts, count_usage),
			 KPI_EXIT_USAGE);
	fclose(f);
	assert_int_equal(usage_calls, 0);
	assert_non_null(strstr(buf, "kpi-x: --precision: "));
	assert_non_null(strstr(buf,
		"Try 'kpi-x --help' for more information.\n"
		"Try 'kpi-x --help' for more information.\n"));
	kpi_cli_common_free(&c);
}

static void
test_is_missing_knows_empty_and_na_markers(void **state)
{
	struct kpi_cli_common c;
	struct kpi_error err;

	kpi_cli_common_init(&c);
	assert_true(kpi_cli_is_missing(&c, ""));
	assert_false(kpi_cli_is_missing(&c, "NA"));
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_NA, "NA,,NULL,-", &err), KPI_OK);
	assert_int_equal(c.nna, 3);	/* the empty item adds nothing */
	assert_true(kpi_cli_is_missing(&c, "NA"));
	assert_true(kpi_cli_is_missing(&c, "NULL"));
	assert_true(kpi_cli_is_missing(&c, "-"));
	assert_false(kpi_cli_is_missing(&c, "na"));
	assert_false(kpi_cli_is_missing(&c, "0"));
	kpi_cli_common_free(&c);
}

static void
test_report_formats_file_line_and_column(void **state)
{
	struct kpi_error err;
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	kpi_error_set(&err, KPI_EPARSE, 17, "\"%s\" is not a number", "12x");
	kpi_error_column(&err, KPI_EPARSE, "amount");
	kpi_cli_report(f, "kpi-agg", "deals.csv", &err);
	kpi_error_set(&err, KPI_EIO, 0, "No such file or directory");
	kpi_cli_report(f, "kpi-agg", "x.csv", &err);
	kpi_error_set(&err, KPI_EINVAL, 0, "bad");
	kpi_cli_report(f, "kpi-agg", NULL, &err);
	fclose(f);
	assert_string_equal(buf,
			    "kpi-agg: deals.csv:17: column amount: \"12x\" is not a number\n"
			    "kpi-agg: x.csv: No such file or directory\n"
			    "kpi-agg: bad\n");
}

static char *
read_all(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_output_replaces_the_file_only_on_commit(void **state)
{
	char dir[] = "/tmp/kpi-test-XXXXXX", path[64];
	struct kpi_output o;
	struct kpi_error err;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);

	/* An aborted run leaves the old file and no temporary file. */
	assert_int_equal(kpi_output_open(&o, path, &err), KPI_OK);
	fputs("half a rep", o.fp);
	assert_string_equal(read_all(path), "old\n");
	kpi_output_abort(&o);
	assert_string_equal(read_all(path), "old\n");

	/* A committed run replaces it. */
	assert_int_equal(kpi_output_open(&o, path, &err), KPI_OK);
	fputs("new\n", o.fp);
	assert_int_equal(kpi_output_commit(&o, &err), KPI_OK);
	assert_string_equal(read_all(path), "new\n");

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);	/* fails if a temp file is left */
}

static void
test_output_to_a_missing_directory_is_an_io_error(void **state)
{
	struct kpi_output o;
	struct kpi_error err;

	assert_int_equal(kpi_output_open(&o, "/nonexistent-dir/x.csv", &err),
			 KPI_EIO);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.csv"));
}

/* Found by the hostile-input work (tests/cli/hostile.sh): -o /dev/null
 * wrote a temporary file in /dev and renamed it over the device, which as
 * root turns /dev/null into a regular file.  A node that is not a regular
 * file is written in place.  A named pipe stands in for the device here, so
 * that a regression cannot harm the machine running the test. */
static void
test_output_to_a_pipe_or_device_writes_in_place(void **state)
{
	char dir[] = "/tmp/kpi-test-XXXXXX", path[64], buf[16];
	struct kpi_output o;
	struct kpi_error err;
	struct stat sb;
	ssize_t n;
	int rd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);	/* a reader, so that
						 * opening to write does not
						 * block */
	assert_true(rd >= 0);
	assert_int_equal(kpi_output_open(&o, path, &err), KPI_OK);
	fputs("data\n", o.fp);
	assert_int_equal(kpi_output_commit(&o, &err), KPI_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	n = read(rd, buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "data\n", 5);
	close(rd);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);	/* fails if a temp file is left */
}

/* Found by contract.sh's full-filesystem check: a write error on -o FILE
 * was reported with the file's name read after it was freed.  A file size
 * limit (SIGXFSZ ignored, so writes fail with EFBIG) stands in for a full
 * disk. */
static void
test_output_write_error_names_the_file_and_keeps_it(void **state)
{
	char dir[] = "/tmp/kpi-test-XXXXXX", path[64], big[4096];
	struct kpi_output o;
	struct kpi_error err;
	struct rlimit old, lim;
	enum kpi_status st;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	memset(big, 'x', sizeof(big));

	assert_int_equal(kpi_output_open(&o, path, &err), KPI_OK);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	fwrite(big, 1, sizeof(big), o.fp);
	st = kpi_output_commit(&o, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(st, KPI_EIO);
	assert_non_null(strstr(err.msg, path));
	assert_string_equal(read_all(path), "old\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);	/* fails if a temp file is left */
}

/* Through a symbolic link the file it names is replaced; the link stays. */
static void
test_output_through_a_symlink_replaces_its_target(void **state)
{
	char dir[] = "/tmp/kpi-test-XXXXXX", real[64], link[64];
	struct kpi_output o;
	struct kpi_error err;
	struct stat sb;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(real, sizeof(real), "%s/real.csv", dir);
	snprintf(link, sizeof(link), "%s/link.csv", dir);
	f = fopen(real, "w");
	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(symlink("real.csv", link), 0);

	assert_int_equal(kpi_output_open(&o, link, &err), KPI_OK);
	fputs("new\n", o.fp);
	assert_int_equal(kpi_output_commit(&o, &err), KPI_OK);
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_string_equal(read_all(real), "new\n");

	assert_int_equal(unlink(link), 0);
	assert_int_equal(unlink(real), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Rows seen by the callback, to check what kpi_cli_read_inputs passes on. */
struct seen {
	int header_calls;
	int rows;
	double sum;
};

static enum kpi_status
seen_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct seen *s = ctx;

	s->header_calls++;
	return kpi_csv_header_count(h) == 2 ? KPI_OK
		: kpi_error_set(err, KPI_EINVAL, 0, "two columns expected");
}

static enum kpi_status
seen_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct seen *s = ctx;

	if (strcmp(rec->fields[1], "bad") == 0)
		return kpi_error_column(err, kpi_error_set(err, KPI_EPARSE, 0,
							   "\"bad\" is not a number"),
					"v");
	s->rows++;
	s->sum += atof(rec->fields[1]);
	return KPI_OK;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_read_inputs_reads_files_as_one_stream_and_keeps_rejects(void **state)
{
	char dir[] = "/tmp/kpi-test-XXXXXX", a[64], b[64], rej[64];
	char expected[512];
	char *names[2] = { a, b };
	struct kpi_cli_common c;
	struct kpi_cli_reader r = { 0 };
	struct kpi_error err;
	struct seen s = { 0 };

	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.csv", dir);
	snprintf(b, sizeof(b), "%s/b.csv", dir);
	snprintf(rej, sizeof(rej), "%s/rej.csv", dir);
	write_file(a, "k,v\nx,1\ny,bad\n");
	write_file(b, "k,v\nz,2\nw,3,4\nq,\"4\"\n");

	kpi_cli_common_init(&c);
	assert_int_equal(kpi_cli_common_set(&c, KPI_OPT_REJECTS, rej, &err), KPI_OK);
	r.common = &c;
	r.on_header = seen_header;
	r.on_row = seen_row;
	r.ctx = &s;
	assert_int_equal(kpi_cli_read_inputs(&r, names, 2, &err), KPI_OK);
	assert_int_equal(kpi_cli_reader_finish(&r, 1, &err), KPI_OK);
	/* Hand count: 5 data rows, "bad" and the 3-field row rejected. */
	assert_int_equal(s.header_calls, 1);
	assert_int_equal(s.rows, 3);
	assert_close(s.sum, 7, 0);
	assert_int_equal(r.rows_read, 5);
	assert_int_equal(r.rows_bad, 2);
	snprintf(expected, sizeof(expected),
		 "file,line,column,reason,record\n"
		 "%s,3,v,\"\"\"bad\"\" is not a number\",\"y,bad\"\n"
		 "%s,3,,\"3 fields, expected 2\",\"w,3,4\"\n", a, b);
	assert_string_equal(read_all(rej), expected);
	kpi_cli_common_free(&c);
	unlink(a);
	unlink(b);
	unlink(rej);
	rmdir(dir);
}

static void
test_read_inputs_stops_at_a_bad_row_without_skip_bad(void **state)
{
	char dir[] = "/tmp/kpi-test-XXXXXX", a[64];
	char *names[1] = { a };
	struct kpi_cli_common c;
	struct kpi_cli_reader r = { 0 };
	struct kpi_error err;
	struct seen s = { 0 };

	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.csv", dir);
	write_file(a, "k,v\nx,1\ny,bad\nz,2\n");
	kpi_cli_common_init(&c);
	r.common = &c;
	r.on_header = seen_header;
	r.on_row = seen_row;
	r.ctx = &s;
	assert_int_equal(kpi_cli_read_inputs(&r, names, 1, &err), KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "v");
	assert_string_equal(r.file, a);
	assert_int_equal(s.rows, 1);
	kpi_cli_reader_finish(&r, 0, &err);
	kpi_cli_common_free(&c);
	unlink(a);
	rmdir(dir);
}

static void
test_read_inputs_rejects_a_different_header(void **state)
{
	char dir[] = "/tmp/kpi-test-XXXXXX", a[64], b[64];
	char *names[2] = { a, b };
	struct kpi_cli_common c;
	struct kpi_cli_reader r = { 0 };
	struct kpi_error err;
	struct seen s = { 0 };

	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.csv", dir);
	snprintf(b, sizeof(b), "%s/b.csv", dir);
	write_file(a, "k,v\nx,1\n");
	write_file(b, "k,w\nx,1\n");
	kpi_cli_common_init(&c);
	r.common = &c;
	r.on_header = seen_header;
	r.on_row = seen_row;
	r.ctx = &s;
	assert_int_equal(kpi_cli_read_inputs(&r, names, 2, &err), KPI_EPARSE);
	assert_string_equal(r.file, b);
	assert_int_equal(err.line, 1);
	kpi_cli_reader_finish(&r, 0, &err);
	kpi_cli_common_free(&c);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_set_reads_every_common_option),
		cmocka_unit_test(test_common_set_names_the_option_in_errors),
		cmocka_unit_test(test_shared_option_takes_common_options_and_reports_bad_ones),
		cmocka_unit_test(test_is_missing_knows_empty_and_na_markers),
		cmocka_unit_test(test_report_formats_file_line_and_column),
		cmocka_unit_test(test_output_replaces_the_file_only_on_commit),
		cmocka_unit_test(test_output_to_a_missing_directory_is_an_io_error),
		cmocka_unit_test(test_output_to_a_pipe_or_device_writes_in_place),
		cmocka_unit_test(test_output_through_a_symlink_replaces_its_target),
		cmocka_unit_test(test_output_write_error_names_the_file_and_keeps_it),
		cmocka_unit_test(test_read_inputs_reads_files_as_one_stream_and_keeps_rejects),
		cmocka_unit_test(test_read_inputs_stops_at_a_bad_row_without_skip_bad),
		cmocka_unit_test(test_read_inputs_rejects_a_different_header),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
