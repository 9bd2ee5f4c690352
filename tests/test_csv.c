/* test_csv.c - unit tests for the CSV reader, the header map and the writer. */

/*
 * Every expected value below was worked out by hand from the input text in
 * the same test: lines are counted by '\n' from 1, fields are joined with
 * '|' in the expectations, and writer output is spelled out byte by byte.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "kpi/csv.h"
#include "kpi/error.h"

/* ==== Helpers ==== */

#define MAX_RECS	32
#define TEXT_MAX	512

/* What the callbacks saw, one entry per record (header included). */
struct seen {
	size_t n;
	int is_header[MAX_RECS];
	size_t nfields[MAX_RECS];
	unsigned long line[MAX_RECS];
	char text[MAX_RECS][TEXT_MAX];	/* fields joined by '|' */
	char raw[MAX_RECS][TEXT_MAX];

	size_t stop_at;			/* 1-based record that stops; 0 never */
	enum kpi_status stop_status;

	int use_bad;			/* install on_bad_width */
	enum kpi_status bad_status;	/* what it returns */
	size_t nbad;
	unsigned long bad_line;
	size_t bad_nfields;
	char bad_msg[KPI_ERROR_MSG_MAX];
	char bad_raw[TEXT_MAX];
};

static void
copy_bytes(char *dst, const char *src, size_t len)
{
	if (len >= TEXT_MAX)
		fail_msg("test text too long (%zu bytes)", len);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static enum kpi_status
keep(struct seen *s, const struct kpi_csv_record *rec, int is_header,
     struct kpi_error *err)
{
	size_t i = s->n, k, len = 0, flen;
	char *t;

	if (i >= MAX_RECS)
		fail_msg("more than %d records", MAX_RECS);
	t = s->text[i];
	t[0] = '\0';
	for (k = 0; k < rec->nfields; k++) {
		flen = strlen(rec->fields[k]);
		if (len + flen + 2 >= TEXT_MAX)
			fail_msg("record %zu too long", i + 1);
		if (k)
			t[len++] = '|';
		memcpy(t + len, rec->fields[k], flen + 1);
		len += flen;
	}
	s->is_header[i] = is_header;
	s->nfields[i] = rec->nfields;
	s->line[i] = rec->line;
	copy_bytes(s->raw[i], rec->raw, rec->raw_len);
	s->n++;
	if (s->stop_at && s->n == s->stop_at) {
		if (s->stop_status != KPI_ESTOP)
			kpi_error_set(err, s->stop_status, rec->line,
				      "stopped by the test");
		return s->stop_status;
	}
	return KPI_OK;
}

static enum kpi_status
on_header(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	return keep(ctx, rec, 1, err);
}

static enum kpi_status
on_record(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	return keep(ctx, rec, 0, err);
}

static enum kpi_status
on_bad(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct seen *s = ctx;

	s->nbad++;
	s->bad_line = rec->line;
	s->bad_nfields = rec->nfields;
	snprintf(s->bad_msg, sizeof(s->bad_msg), "%s", err ? err->msg : "");
	copy_bytes(s->bad_raw, rec->raw, rec->raw_len);
	return s->bad_status;
}

/* A real stream holding exactly these bytes (NULs included). */
static FILE *
stream_of(const char *data, size_t len)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	rewind(f);
	return f;
}

static enum kpi_status
read_bytes(const char *data, size_t len, char delim, struct seen *s,
	   struct kpi_error *err)
{
	struct kpi_csv_options opt = { 0 };
	enum kpi_status st;
	FILE *f = stream_of(data, len);

	opt.delimiter = delim;
	opt.on_bad_width = s->use_bad ? on_bad : NULL;
	st = kpi_csv_read(f, &opt, on_header, on_record, s, err);
	fclose(f);
	return st;
}

static enum kpi_status
read_str(const char *data, struct seen *s, struct kpi_error *err)
{
	return read_bytes(data, strlen(data), 0, s, err);
}

static struct seen *
seen_new(void)
{
	struct seen *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

/* ==== Reader: structure ==== */

static void
test_csv_read_splits_quoted_delimiters_and_embedded_newlines(void **state)
{
	/* Lines: 1 header, 2 "a,b", 3-4 the quoted "x\ny", 5 the last. */
	const char *in = "id,note\n1,\"a,b\"\n2,\"x\ny\"\n3,z\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(err.status, KPI_OK);
	assert_int_equal(s->n, 4);
	assert_true(s->is_header[0]);
	assert_false(s->is_header[1]);
	assert_string_equal(s->text[0], "id|note");
	assert_string_equal(s->text[1], "1|a,b");
	assert_string_equal(s->text[2], "2|x\ny");
	assert_string_equal(s->text[3], "3|z");
	assert_int_equal(s->nfields[2], 2);
	assert_int_equal(s->line[0], 1);
	assert_int_equal(s->line[1], 2);
	assert_int_equal(s->line[2], 3);
	assert_int_equal(s->line[3], 5);
	assert_string_equal(s->raw[2], "2,\"x\ny\"");
	free(s);
}

static void
test_csv_read_accepts_crlf_and_keeps_crlf_inside_quotes(void **state)
{
	/* Records start on lines 1, 2, 3 (spans 3-4) and 5. */
	const char *in = "a,b\r\n1,2\r\n3,\"x\r\ny\"\r\n4,5\r\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 4);
	assert_string_equal(s->text[0], "a|b");
	assert_string_equal(s->text[1], "1|2");
	assert_string_equal(s->text[2], "3|x\r\ny");
	assert_string_equal(s->text[3], "4|5");
	assert_int_equal(s->line[2], 3);
	assert_int_equal(s->line[3], 5);
	/* The terminator is gone from raw; the CRLF inside the quotes is
	 * not. */
	assert_string_equal(s->raw[1], "1,2");
	assert_string_equal(s->raw[2], "3,\"x\r\ny\"");
	free(s);
}

static void
test_csv_read_accepts_lone_cr_line_ends(void **state)
{
	/* Old Mac files: CR ends records, but lines count LF, so all are 1. */
	const char *in = "a,b\r1,2\r3,4";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->text[1], "1|2");
	assert_string_equal(s->text[2], "3|4");
	assert_string_equal(s->raw[1], "1,2");
	assert_string_equal(s->raw[2], "3,4");
	assert_int_equal(s->line[2], 1);
	free(s);
}

static void
test_csv_read_drops_a_leading_bom(void **state)
{
	const char *in = "\xEF\xBB\xBFname,amount\nA,1\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->text[0], "name|amount");
	assert_string_equal(s->raw[0], "name,amount");
	assert_int_equal(s->line[0], 1);
	assert_int_equal(s->line[1], 2);
	free(s);
}

static void
test_csv_read_keeps_a_bom_that_is_not_at_the_start(void **state)
{
	/* Only the very first bytes are a BOM; later ones are data. */
	const char *in = "a\n\xEF\xBB\xBFx\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->text[1], "\xEF\xBB\xBFx");
	free(s);
}

static void
test_csv_read_keeps_a_last_line_without_newline(void **state)
{
	const char *in = "a,b\n1,2";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->text[1], "1|2");
	assert_string_equal(s->raw[1], "1,2");
	assert_int_equal(s->line[1], 2);
	free(s);
}

static void
test_csv_read_skips_blank_lines_but_counts_them(void **state)
{
	/* Line 2 is empty, line 4 holds blanks only and line 5 is empty:
	 * the records are on lines 1, 3 and 6. */
	const char *in = "a,b\n\n1,2\n   \n\n3,4\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 3);
	assert_int_equal(s->line[0], 1);
	assert_int_equal(s->line[1], 3);
	assert_int_equal(s->line[2], 6);
	assert_string_equal(s->text[2], "3|4");
	free(s);
}

static void
test_csv_read_gives_empty_fields_as_empty_strings(void **state)
{
	const char *in = "a,b,c\n,\"\",x\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->nfields[1], 3);
	assert_string_equal(s->text[1], "||x");
	free(s);
}

static void
test_csv_read_keeps_raw_record_verbatim(void **state)
{
	/* Quotes, the doubled quote and the blanks stay in raw; the fields are
	 * unquoted and the unquoted one is trimmed; CRLF leaves raw. */
	const char *in = "a,b\r\n\"q\"\"uote\" , x \r\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_OK);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->text[1], "q\"uote|x");
	assert_string_equal(s->raw[1], "\"q\"\"uote\" , x ");
	free(s);
}

static void
test_csv_read_accepts_semicolon_delimiter(void **state)
{
	const char *in = "a;b\n\"1;5\";2,5\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_bytes(in, strlen(in), ';', s, &err), KPI_OK);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->nfields[1], 2);
	assert_string_equal(s->text[1], "1;5|2,5");
	free(s);
}

static void
test_csv_read_accepts_tab_delimiter(void **state)
{
	/* With tab as delimiter an empty tab-separated field is still a field
	 * and a comma is plain text. */
	const char *in = "a\tb\tc\n1,5\t\tz\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_bytes(in, strlen(in), '\t', s, &err), KPI_OK);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->nfields[1], 3);
	assert_string_equal(s->text[1], "1,5||z");
	free(s);
}

static void
test_csv_read_rejects_a_quote_as_delimiter(void **state)
{
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_bytes("a\n", 2, '"', s, &err), KPI_EINVAL);
	assert_int_equal(s->n, 0);
	free(s);
}

/* ==== Reader: errors ==== */

static void
test_csv_read_rejects_ragged_row_with_its_line(void **state)
{
	/* The row "4,5" is on line 4 (line 3 is a quoted two-line record). */
	const char *in = "a,b,c\n1,\"x\ny\",3\n4,5\n6,7,8\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_EPARSE);
	assert_int_equal(err.status, KPI_EPARSE);
	assert_int_equal(err.line, 4);
	assert_string_equal(err.msg, "2 fields, expected 3");
	assert_int_equal(s->n, 2);
	free(s);
}

static void
test_csv_read_names_a_single_field_in_the_singular(void **state)
{
	const char *in = "a,b\nx\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_EPARSE);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg, "1 field, expected 2");
	free(s);
}

static void
test_csv_read_on_bad_width_ok_skips_the_record(void **state)
{
	const char *in = "a,b,c\n1,2,3\n4,5\n6,7,8\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	s->use_bad = 1;
	s->bad_status = KPI_OK;
	assert_int_equal(read_str(in, s, &err), KPI_OK);
	/* Skipping leaves no stale error behind. */
	assert_int_equal(err.status, KPI_OK);
	assert_int_equal(s->nbad, 1);
	assert_int_equal(s->bad_line, 3);
	assert_int_equal(s->bad_nfields, 2);
	assert_string_equal(s->bad_msg, "2 fields, expected 3");
	assert_string_equal(s->bad_raw, "4,5");
	assert_int_equal(s->n, 3);
	assert_string_equal(s->text[1], "1|2|3");
	assert_string_equal(s->text[2], "6|7|8");
	free(s);
}

static void
test_csv_read_on_bad_width_status_ends_the_read(void **state)
{
	const char *in = "a,b\n1,2,3\n4,5\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	s->use_bad = 1;
	s->bad_status = KPI_ESTOP;
	assert_int_equal(read_str(in, s, &err), KPI_ESTOP);
	assert_int_equal(s->nbad, 1);
	assert_int_equal(s->bad_line, 2);
	assert_int_equal(s->n, 1);	/* the header only */
	free(s);
}

static void
test_csv_read_rejects_unterminated_quote_at_eof(void **state)
{
	/* The open quote is on line 3; the file goes on to line 4. */
	const char *in = "a,b\n1,2\n3,\"oops\nmore\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.msg, "unterminated quoted field");
	assert_int_equal(s->n, 2);
	free(s);
}

static void
test_csv_read_names_the_line_an_unterminated_field_starts_on(void **state)
{
	/* The record starts on line 2; its first field closes on line 3, where
	 * the unterminated second field opens. */
	const char *in = "a,b\n\"x\ny\",\"open\nz\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.msg, "unterminated quoted field");
	free(s);
}

static void
test_csv_read_rejects_quote_inside_unquoted_field(void **state)
{
	const char *in = "a,b\n1,2\n3,x\"y\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.msg, "malformed quoting in field 2: a quote "
			    "inside an unquoted field (quote the whole field "
			    "and double the quote)");
	assert_string_equal(err.column, "b");
	assert_int_equal(s->n, 2);
	free(s);
}

static void
test_csv_read_rejects_text_after_closing_quote(void **state)
{
	/* The record starts on line 2 and the bad "z" is on line 3: the error
	 * names the record's first line. */
	const char *in = "a,b\n1,\"x\ny\"z\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_EPARSE);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg, "malformed quoting in field 2: text "
			    "after the closing quote (a quote inside a quoted "
			    "field must be doubled)");
	assert_string_equal(err.column, "b");
	free(s);
}

static void
test_csv_read_names_no_column_for_a_bad_header(void **state)
{
	const char *in = "a,b\"c\n1,2\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str(in, s, &err), KPI_EPARSE);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.column, "");
	assert_int_equal(s->n, 0);
	free(s);
}

static void
test_csv_read_rejects_nul_byte_with_its_line(void **state)
{
	static const char in[] = "a,b\n1,2\n3,x\0y\n4,5\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_bytes(in, sizeof(in) - 1, 0, s, &err),
			 KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.msg, "NUL byte in input");
	assert_int_equal(s->n, 2);
	free(s);
}

/* Found by tests/cli/hostile.sh: a NUL is in a field, so the message
 * names its column (as for any other bad field), counting delimiters
 * outside quotes from the start of the record, which may be lines back. */
static void
test_csv_read_names_the_column_of_a_nul_byte(void **state)
{
	static const char plain[] = "a,b,c\n1,2,3\n4,x\0y,6\n";
	static const char quoted[] = "a,b,c\n1,\"p,\n\"\"q\",r\0s\n";
	static const char header[] = "a,b\0,c\n1,2,3\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_bytes(plain, sizeof(plain) - 1, 0, s, &err),
			 KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "b");
	assert_string_equal(err.msg, "NUL byte in input");
	free(s);

	/* Field 2 is "p,\n\"q" (quoted, over two lines); the NUL is in c. */
	s = seen_new();
	assert_int_equal(read_bytes(quoted, sizeof(quoted) - 1, 0, s, &err),
			 KPI_EPARSE);
	assert_int_equal(err.line, 3);
	assert_string_equal(err.column, "c");
	free(s);

	s = seen_new();
	assert_int_equal(read_bytes(header, sizeof(header) - 1, 0, s, &err),
			 KPI_EPARSE);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.column, "");
	free(s);
}

static void
test_csv_read_rejects_empty_input(void **state)
{
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str("", s, &err), KPI_EPARSE);
	assert_string_equal(err.msg, "empty input (no header row)");
	assert_int_equal(s->n, 0);
	free(s);
}

static void
test_csv_read_rejects_bom_and_blank_lines_only(void **state)
{
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str("\xEF\xBB\xBF\n \n\r\n", s, &err),
			 KPI_EPARSE);
	assert_string_equal(err.msg, "empty input (no header row)");
	assert_int_equal(s->n, 0);
	free(s);
}

static void
test_csv_read_accepts_header_only(void **state)
{
	struct seen *s = seen_new();
	struct kpi_error err;

	assert_int_equal(read_str("a,b,c\n", s, &err), KPI_OK);
	assert_int_equal(s->n, 1);
	assert_true(s->is_header[0]);
	assert_int_equal(s->nfields[0], 3);
	free(s);
}

static void
test_csv_read_reports_read_errors(void **state)
{
	/* Reading a directory fails with EISDIR on Linux. */
	struct kpi_error err;
	FILE *f = fopen(".", "r");
	struct seen *s = seen_new();

	assert_non_null(f);
	assert_int_equal(kpi_csv_read(f, NULL, on_header, on_record, s, &err),
			 KPI_EIO);
	assert_int_equal(err.status, KPI_EIO);
	assert_non_null(strstr(err.msg, "read error"));
	fclose(f);
	free(s);
}

/* ==== Reader: callbacks ==== */

static void
test_csv_read_callback_estop_stops_without_error(void **state)
{
	const char *in = "a\n1\n2\n3\n4\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	s->stop_at = 3;		/* header, "1", "2" */
	s->stop_status = KPI_ESTOP;
	assert_int_equal(read_str(in, s, &err), KPI_ESTOP);
	assert_int_equal(err.status, KPI_OK);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->text[2], "2");
	free(s);
}

static void
test_csv_read_callback_error_passes_through(void **state)
{
	const char *in = "a\n1\n2\n";
	struct seen *s = seen_new();
	struct kpi_error err;

	s->stop_at = 2;
	s->stop_status = KPI_EINVAL;
	assert_int_equal(read_str(in, s, &err), KPI_EINVAL);
	assert_int_equal(err.status, KPI_EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg, "stopped by the test");
	assert_int_equal(s->n, 2);
	free(s);
}

static enum kpi_status
fail_silently(const struct kpi_csv_record *rec, void *ctx,
	      struct kpi_error *err)
{
	return KPI_ENUMERIC;
}

static void
test_csv_read_fills_in_a_message_a_callback_left_out(void **state)
{
	const char *in = "a\n1\n";
	struct kpi_error err;
	FILE *f = stream_of(in, strlen(in));

	assert_int_equal(kpi_csv_read(f, NULL, NULL, fail_silently, NULL,
				      &err), KPI_ENUMERIC);
	fclose(f);
	assert_int_equal(err.status, KPI_ENUMERIC);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg, kpi_strerror(KPI_ENUMERIC));
}

/* ==== Reader: buffer boundaries and large records ==== */

struct big {
	size_t n;
	size_t len1;		/* length of the second field of record 2 */
	int blob_ok;
	size_t raw_len;
	unsigned long line[4];
	char first[16];		/* first field of record 2 */
	char last[16];
};

static const char *big_blob;

static enum kpi_status
big_record(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct big *b = ctx;

	if (b->n < 4)
		b->line[b->n] = rec->line;
	if (b->n == 1) {
		b->len1 = strlen(rec->fields[1]);
		b->blob_ok = memcmp(rec->fields[1], big_blob, b->len1) == 0;
		b->raw_len = rec->raw_len;
		snprintf(b->first, sizeof(b->first), "%s", rec->fields[0]);
	}
	if (rec->nfields > 1)
		snprintf(b->last, sizeof(b->last), "%s", rec->fields[1]);
	b->n++;
	return KPI_OK;
}

static void
test_csv_read_handles_a_record_larger_than_the_buffer(void **state)
{
	/* A 1,000,000-byte quoted field with a LF after every 1000th byte:
	 * 1000 LFs, so the record spans lines 2..1002 and the next one starts
	 * on line 1003.  raw is "1,\"" + blob + "\"": 1,000,004 bytes. */
	const size_t blob_len = 1000000;
	const char *head = "id,blob\n1,\"";
	const char *tail = "\"\n2,small\n";
	size_t hl = strlen(head), tl = strlen(tail), i;
	char *blob = malloc(blob_len);
	char *in = malloc(hl + blob_len + tl);
	struct big b = { 0 };
	struct kpi_error err;
	FILE *f;

	assert_non_null(blob);
	assert_non_null(in);
	for (i = 0; i < blob_len; i++)
		blob[i] = i % 1000 == 999 ? '\n' : (char)('a' + i % 26);
	memcpy(in, head, hl);
	memcpy(in + hl, blob, blob_len);
	memcpy(in + hl + blob_len, tail, tl);
	big_blob = blob;
	f = stream_of(in, hl + blob_len + tl);
	assert_int_equal(kpi_csv_read(f, NULL, big_record, big_record, &b,
				      &err), KPI_OK);
	fclose(f);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.len1, blob_len);
	assert_true(b.blob_ok);
	assert_int_equal(b.raw_len, blob_len + 4);
	/* The field before the long one survives the buffers growing. */
	assert_string_equal(b.first, "1");
	assert_int_equal(b.line[1], 2);
	assert_int_equal(b.line[2], 1003);
	assert_string_equal(b.last, "small");
	free(in);
	free(blob);
}

static void
test_csv_read_handles_a_single_line_longer_than_the_buffer(void **state)
{
	/* 3,000,000 unquoted bytes on one line: the buffer must grow past
	 * 64 KiB several times without losing the line. */
	const size_t blob_len = 3000000;
	const char *head = "id,blob\n1,";
	const char *tail = "\n2,end";
	size_t hl = strlen(head), tl = strlen(tail);
	char *blob = malloc(blob_len);
	char *in = malloc(hl + blob_len + tl);
	struct big b = { 0 };
	struct kpi_error err;
	FILE *f;

	assert_non_null(blob);
	assert_non_null(in);
	memset(blob, 'q', blob_len);
	memcpy(in, head, hl);
	memcpy(in + hl, blob, blob_len);
	memcpy(in + hl + blob_len, tail, tl);
	big_blob = blob;
	f = stream_of(in, hl + blob_len + tl);
	assert_int_equal(kpi_csv_read(f, NULL, big_record, big_record, &b,
				      &err), KPI_OK);
	fclose(f);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.len1, blob_len);
	assert_true(b.blob_ok);
	assert_int_equal(b.raw_len, blob_len + 2);
	assert_int_equal(b.line[2], 3);
	assert_string_equal(b.last, "end");
	free(in);
	free(blob);
}

struct many {
	int one_line;		/* every record is on line 1 */
	size_t n;
	int bad;		/* first unexpected record, 1-based */
	char first_field[32];
};

static enum kpi_status
many_record(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct many *m = ctx;
	char want[32];

	/* Record i (1-based, after the header) is "<i>,..." on line i + 1
	 * (or 1 for one_line), and no record's raw text keeps a CR or LF. */
	m->n++;
	snprintf(want, sizeof(want), "%zu", m->n);
	if (!m->bad && (strcmp(rec->fields[0], want) != 0 ||
			rec->line != (m->one_line ? 1 : m->n + 1) ||
			memchr(rec->raw, '\r', rec->raw_len) ||
			memchr(rec->raw, '\n', rec->raw_len)))
		m->bad = (int)m->n;
	return KPI_OK;
}

static void
test_csv_read_splits_crlf_across_read_boundaries(void **state)
{
	/* Header "k,v\r\n" is 5 bytes; record 1 is "1," + 65528 'p' + CRLF,
	 * so its CR is byte 65535, the last of the first 64 KiB read, and its
	 * LF the first of the next.  Records 2..20000 follow with varied
	 * lengths, which puts many more line ends across later boundaries. */
	const size_t pad = 65528;
	size_t cap = 5 + 2 + pad + 2 + 20000 * 40, len = 0, i, k;
	char *in = malloc(cap);
	struct many m = { 0 };
	struct kpi_error err;
	FILE *f;

	assert_non_null(in);
	memcpy(in, "k,v\r\n1,", 7);
	len = 7;
	memset(in + len, 'p', pad);
	len += pad;
	memcpy(in + len, "\r\n", 2);
	len += 2;
	assert_int_equal(in[65535], '\r');
	for (i = 2; i <= 20000; i++) {
		len += (size_t)snprintf(in + len, cap - len, "%zu,", i);
		for (k = 0; k < i % 23; k++)
			in[len++] = 'v';
		in[len++] = '\r';
		in[len++] = '\n';
	}
	f = stream_of(in, len);
	assert_int_equal(kpi_csv_read(f, NULL, NULL, many_record, &m, &err),
			 KPI_OK);
	fclose(f);
	assert_int_equal(m.bad, 0);
	assert_int_equal(m.n, 20000);
	free(in);
}

static void
test_csv_read_handles_many_cr_only_lines(void **state)
{
	/* 20000 records "<i>,x" ended by CR alone: no LF anywhere, so every
	 * record is on line 1 and the search for LF must not rescan. */
	size_t cap = 8 + 20000 * 16, len = 0, i;
	char *in = malloc(cap);
	struct many m = { 1, 0, 0, "" };
	struct kpi_error err;
	FILE *f;

	assert_non_null(in);
	len += (size_t)snprintf(in, cap, "k,v\r");
	for (i = 1; i <= 20000; i++)
		len += (size_t)snprintf(in + len, cap - len, "%zu,x\r", i);
	f = stream_of(in, len);
	assert_int_equal(kpi_csv_read(f, NULL, NULL, many_record, &m, &err),
			 KPI_OK);
	fclose(f);
	assert_int_equal(m.n, 20000);
	assert_int_equal(m.bad, 0);
	free(in);
}

static void
test_csv_read_finds_a_nul_beyond_the_first_buffer(void **state)
{
	/* 12000 lines "<i>,y\n" after the 4-byte header; the NUL replaces
	 * the "y" of record 11000, which ends at byte 4 + 9*4 + 90*5 + 900*6
	 * + 9000*7 + 1001*8 = 76898, past the first 64 KiB read.  It is on
	 * line 11001, and records 1..10999 come first. */
	size_t cap = 8 + 12000 * 16, len = 0, i, nul = 0;
	char *in = malloc(cap);
	struct many m = { 0 };
	struct kpi_error err;
	FILE *f;

	assert_non_null(in);
	len += (size_t)snprintf(in, cap, "k,v\n");
	for (i = 1; i <= 12000; i++) {
		len += (size_t)snprintf(in + len, cap - len, "%zu,y\n", i);
		if (i == 11000)
			nul = len - 2;
	}
	assert_int_equal(nul, 76898 - 2);
	in[nul] = '\0';
	f = stream_of(in, len);
	assert_int_equal(kpi_csv_read(f, NULL, NULL, many_record, &m, &err),
			 KPI_EPARSE);
	fclose(f);
	assert_int_equal(err.line, 11001);
	assert_string_equal(err.msg, "NUL byte in input");
	assert_int_equal(m.n, 10999);
	assert_int_equal(m.bad, 0);
	free(in);
}

/* ==== Reader: the fast path agrees with libcsv ==== */

/*
 * kpi_csv_read() splits a quote-free line itself and gives the rest to
 * libcsv.  These tests read the same bytes with the fast path on and off
 * and require the same callbacks, in the same order, with the same fields,
 * lines and raw bytes, and the same result and error: libcsv is the
 * reference.
 */

/* A growable byte string, kept NUL-terminated. */
struct bytes {
	char *p;
	size_t len, cap;
};

static void
bytes_put(struct bytes *b, const void *s, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	while (cap - b->len <= n)
		cap *= 2;
	if (cap != b->cap) {
		p = realloc(b->p, cap);
		assert_non_null(p);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
bytes_putc(struct bytes *b, char c)
{
	bytes_put(b, &c, 1);
}

__attribute__((format(printf, 2, 3)))
static void
bytes_printf(struct bytes *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	bytes_put(b, tmp, (size_t)n);
}

/* Everything the callbacks saw, as text, then the read's result. */
struct trace {
	struct bytes log;
	struct bytes batches;		/* sizes of the blocks, with on_batch */
	size_t calls;
	size_t stop_at;			/* 1-based call that stops; 0 never */
	enum kpi_status stop_status;
	int stop_says_why;		/* fill in err when stopping */
	enum kpi_status bad_status;	/* what on_bad_width returns */
	enum kpi_status st;		/* the read's result */
	struct kpi_error err;		/* and its error */
};

static void
trace_record(struct trace *t, char kind, const struct kpi_csv_record *rec)
{
	size_t i, len;

	bytes_printf(&t->log, "%c nfields=%zu line=%lu\n", kind, rec->nfields,
		     rec->line);
	for (i = 0; i < rec->nfields; i++) {
		len = strlen(rec->fields[i]);
		bytes_printf(&t->log, " field %zu:", len);
		bytes_put(&t->log, rec->fields[i], len);
		bytes_putc(&t->log, '\n');
	}
	bytes_printf(&t->log, " raw %zu:", rec->raw_len);
	bytes_put(&t->log, rec->raw, rec->raw_len);
	bytes_putc(&t->log, '\n');
}

static enum kpi_status
trace_stop(struct trace *t, unsigned long line, struct kpi_error *err)
{
	t->calls++;
	if (t->calls != t->stop_at)
		return KPI_OK;
	if (t->stop_says_why)
		kpi_error_set(err, t->stop_status, line, "stopped at call %zu",
			      t->calls);
	return t->stop_status;
}

static enum kpi_status
trace_header(const struct kpi_csv_record *rec, void *ctx,
	     struct kpi_error *err)
{
	trace_record(ctx, 'H', rec);
	return trace_stop(ctx, rec->line, err);
}

static enum kpi_status
trace_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	trace_record(ctx, 'R', rec);
	return trace_stop(ctx, rec->line, err);
}

static enum kpi_status
trace_bad(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct trace *t = ctx;

	trace_record(t, 'B', rec);
	bytes_printf(&t->log, " err %d line=%lu msg=%s\n", (int)err->status,
		     err->line, err->msg);
	if (t->bad_status != KPI_OK)
		return t->bad_status;
	return trace_stop(t, rec->line, err);
}

/* A block of records, taken one by one as trace_row() takes them; a
 * stop without a message gets the one the reader gives a single record,
 * as the batch contract asks of a callback. */
static enum kpi_status
trace_batch(const struct kpi_csv_record *recs, size_t n, void *ctx,
	    struct kpi_error *err)
{
	struct trace *t = ctx;
	enum kpi_status st;
	size_t i;

	bytes_printf(&t->batches, "%zu ", n);
	for (i = 0; i < n; i++) {
		trace_record(t, 'R', &recs[i]);
		st = trace_stop(t, recs[i].line, err);
		if (st == KPI_OK)
			continue;
		if (st != KPI_ESTOP && err->status == KPI_OK)
			kpi_error_set(err, st, recs[i].line, "%s",
				      kpi_strerror(st));
		return st;
	}
	return KPI_OK;
}

/* Read f from its start into t->log, with the fast path on or off, and
 * the data records one by one or in blocks. */
static void
trace_read(FILE *f, const struct kpi_csv_options *opt, int fast, int batch,
	   struct trace *t)
{
	struct kpi_error *err = &t->err;
	struct kpi_csv_options o = { 0 };

	if (opt)
		o = *opt;
	o.on_batch = batch ? trace_batch : NULL;
	t->log.len = 0;
	t->batches.len = 0;
	t->calls = 0;
	rewind(f);
	kpi_csv_set_fast_path(fast);
	t->st = kpi_csv_read(f, opt || batch ? &o : NULL, trace_header,
			     trace_row, t, err);
	kpi_csv_set_fast_path(1);
	bytes_printf(&t->log, "end st=%d err=%d line=%lu column=%s msg=%s\n",
		     (int)t->st, (int)err->status, err->line, err->column,
		     err->msg);
}

/* Some bytes of s from `at`, with the unprintable ones escaped, for a
 * failure message. */
static const char *
escaped(const char *s, size_t len, size_t at)
{
	static char out[3][400];	/* one per argument of a message */
	static int which;
	char *o = out[which = (which + 1) % 3];
	size_t i, k = 0;
	unsigned char c;

	for (i = at; i < len && k + 5 < sizeof(out[0]); i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F && c != '\\')
			o[k++] = (char)c;
		else
			k += (size_t)snprintf(o + k, sizeof(out[0]) - k,
					      "\\x%02X", c);
	}
	o[k] = '\0';
	return o;
}

/* Blocks of more than one record that on_batch got in check_same(), so
 * that a test can make sure the blocks were tried. */
static size_t blocks_seen;

/* Fail unless the trace `got` (read as `how`) is the same as `want`
 * (libcsv's, one record at a time). */
static void
compare_traces(const char *what, size_t id, const char *how, const char *in,
	       size_t len, const struct kpi_csv_options *opt,
	       const struct trace *got, const struct trace *want)
{
	size_t i, n;

	n = got->log.len < want->log.len ? got->log.len : want->log.len;
	for (i = 0; i < n && got->log.p[i] == want->log.p[i]; i++)
		;
	if (i < n || got->log.len != want->log.len) {
		/* Back up to the start of the differing line. */
		while (i > 0 && got->log.p[i - 1] != '\n')
			i--;
		fail_msg("%s %zu (delimiter 0x%02X): the traces differ\n"
			 "input: %s\n%s: %s\nlibcsv: %s", what, id,
			 (unsigned char)(opt ? opt->delimiter : 0),
			 escaped(in, len, 0), how, escaped(got->log.p,
			 got->log.len, i), escaped(want->log.p,
			 want->log.len, i));
	}
}

/* Read the bytes with and without the fast path, and with both in blocks
 * (on_batch); fail unless every trace is libcsv's one by one. */
static void
check_same(const char *what, size_t id, const char *in, size_t len,
	   const struct kpi_csv_options *opt, struct trace *fast,
	   struct trace *slow)
{
	/* fmemopen() is much cheaper than a temporary file, and glibc's
	 * reads NULs like any byte; it wants a buffer it may write to, and
	 * not an empty one. */
	char *copy = malloc(len + 1);
	static struct trace blocks;
	FILE *f;
	const char *p;
	int fast_path;

	assert_non_null(copy);
	if (len)
		memcpy(copy, in, len);
	f = len ? fmemopen(copy, len, "r") : stream_of("", 0);
	assert_non_null(f);

	trace_read(f, opt, 0, 0, slow);
	trace_read(f, opt, 1, 0, fast);
	compare_traces(what, id, "fast", in, len, opt, fast, slow);
	for (fast_path = 0; fast_path <= 1; fast_path++) {
		blocks.bad_status = slow->bad_status;
		blocks.stop_at = slow->stop_at;
		blocks.stop_status = slow->stop_status;
		blocks.stop_says_why = slow->stop_says_why;
		trace_read(f, opt, fast_path, 1, &blocks);
		compare_traces(what, id, fast_path ? "fast, in blocks" :
			       "libcsv, in blocks", in, len, opt, &blocks,
			       slow);
		for (p = blocks.batches.p;
		     p < blocks.batches.p + blocks.batches.len; p++)
			if ((p == blocks.batches.p || p[-1] == ' ') &&
			    !(*p == '1' && p[1] == ' '))
				blocks_seen++;
	}
	fclose(f);
	free(copy);
}

static const char diff_delims[] = { 0, ',', ';', '\t', '|', ' ' };

static void
test_csv_read_fast_path_matches_libcsv_on_edge_cases(void **state)
{
	/* Blanks around and between fields, blank lines of every kind,
	 * every line end, a last line without one, BOMs, quotes next to
	 * quote-free lines, NULs, and delimiters that are blanks. */
	static const char *const cases[] = {
		"", "\n", " \n", "\t\r\n", " \t \r", "a", "a\n", " a ",
		"a,b\n c , d \r\n", "a;b\n1;2\n", "a\tb\n1\t2\n\t\n",
		"a b\n1  2\n \n", "a|b\n|\n||\n", "a,b\n,\n", "x\n\n\n\ny",
		"a,b\r\n1,2\r3,4\n5,6", "a\r\r\n\rb\r", "\357\273\277a,b\n1,2",
		"\xEF\xBB\xBF", "\xEF\xBB", "\xEF\xBB\xBF \n\xEF\xBB\xBF\n",
		"a,b\n\"x\ny\",2\n3,4\n", "a\n\"\"\n \"q\" \n",
		"a,b\n1,2\n3,x\"y\n",
		"a,b\n\"open\n1,2\n", "a,b\n\"x\"z,1\n", "a,\tb\t\n\t1,2 \n",
		"a,b,c\n1,2\n3,4,5\n6,7,8,9\n", "h\n  \t  \n\t\t\n\r\n",
		"a , b\n\"1\" , 2 \n 3 , \"4\"\n", "a\n\"x\r\ny\"\r\nz\r\n",
		"a,b\n1,\"2\n\n3\",4\n5,6\n",
	};
	static const char nul_case[] = "a,b\n1,2\n3,\0\n";
	struct trace fast = { 0 }, slow = { 0 };
	struct kpi_csv_options opt = { 0 };
	size_t i, k;

	for (k = 0; k < sizeof(diff_delims); k++) {
		opt.delimiter = diff_delims[k];
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			opt.on_bad_width = NULL;
			check_same("edge case", i, cases[i], strlen(cases[i]),
				   &opt, &fast, &slow);
			opt.on_bad_width = trace_bad;
			check_same("edge case", i, cases[i], strlen(cases[i]),
				   &opt, &fast, &slow);
		}
		check_same("edge case", i, nul_case, sizeof(nul_case) - 1,
			   &opt, &fast, &slow);
	}
	free(fast.log.p);
	free(slow.log.p);
}

/* How an input is drawn: the odds of each kind of trouble. */
struct gen {
	struct rng g;
	char delim;
	size_t width;
	int malformed;		/* bad quoting allowed */
	int nul;		/* NUL bytes allowed */
	int long_fields;	/* fields longer than the 64 KiB read */
};

static void
gen_text(struct gen *G, struct bytes *b, size_t n, const char *alpha)
{
	size_t k = strlen(alpha);

	while (n--)
		bytes_putc(b, alpha[rng_below(&G->g, k)]);
}

static void
gen_blanks(struct gen *G, struct bytes *b)
{
	if (rng_below(&G->g, 4) == 0)
		gen_text(G, b, 1 + rng_below(&G->g, 3), " \t");
}

/* Field content: mostly short, sometimes longer than a read buffer. */
static size_t
gen_len(struct gen *G)
{
	if (G->long_fields && rng_below(&G->g, 4) == 0)
		return 60000 + rng_below(&G->g, 80000);
	return rng_below(&G->g, rng_below(&G->g, 4) ? 6 : 30);
}

static void
gen_field(struct gen *G, struct bytes *b)
{
	size_t roll = rng_below(&G->g, 100);
	size_t n = gen_len(G), i;
	char c;

	gen_blanks(G, b);
	if (G->nul && rng_below(&G->g, 40) == 0) {
		gen_text(G, b, n, "ab ");
		bytes_putc(b, '\0');
	} else if (G->malformed && roll < 4) {
		/* A quote inside an unquoted field, text after a closing
		 * quote, or a quote never closed. */
		if (roll < 2)
			gen_text(G, b, 1 + n, "ab");
		bytes_putc(b, '"');
		gen_text(G, b, n, "ab \n");
		if (roll == 2)
			bytes_put(b, "\"x", 2);
	} else if (roll < 65) {
		gen_text(G, b, n, "aabb \t,;|");
	} else {
		bytes_putc(b, '"');
		for (i = 0; i < n; i++) {
			c = "aab \t,;|\r\n\""[rng_below(&G->g, 11)];
			bytes_putc(b, c);
			if (c == '"')
				bytes_putc(b, c);
		}
		bytes_putc(b, '"');
	}
	gen_blanks(G, b);
}

static void
gen_line_end(struct gen *G, struct bytes *b)
{
	size_t roll = rng_below(&G->g, 20);

	if (roll < 12)
		bytes_putc(b, '\n');
	else if (roll < 17)
		bytes_put(b, "\r\n", 2);
	else
		bytes_putc(b, '\r');
}

/* One random input, mostly well-formed CSV of G->width columns with some
 * ragged rows, blank lines, stray bytes and, when allowed, bad quoting,
 * NULs and long fields. */
static void
gen_input(struct gen *G, struct bytes *b, size_t lines)
{
	size_t i, k, w, roll;

	b->len = 0;
	roll = rng_below(&G->g, 16);
	if (roll == 0)
		bytes_put(b, "\xEF\xBB\xBF", 3);
	else if (roll == 1)
		bytes_put(b, "\xEF\xBB", 2);
	if (rng_below(&G->g, 20) == 0) {
		/* Byte soup. */
		gen_text(G, b, rng_below(&G->g, 60), G->malformed ?
			 "aabb  \t\t,,;;||\"\r\n" : "aabb  \t\t,,;;||\r\n");
		return;
	}
	for (i = 0; i < lines; i++) {
		roll = rng_below(&G->g, 20);
		if (roll < 2) {
			/* Blank, or blanks only (unless one is the
			 * delimiter). */
			gen_text(G, b, rng_below(&G->g, 4), " \t");
		} else if (roll < 3) {
			/* Stray bytes. */
			gen_text(G, b, rng_below(&G->g, 12), G->malformed ?
				 "aabb  \t\t,,;;||\"" : "aabb  \t\t,,;;||");
		} else {
			w = G->width;
			if (rng_below(&G->g, 16) == 0)
				w = 1 + rng_below(&G->g, G->width + 2);
			for (k = 0; k < w; k++) {
				if (k)
					bytes_putc(b, G->delim ? G->delim :
						   ',');
				gen_field(G, b);
			}
		}
		/* The last line may lack its line end. */
		if (i + 1 < lines || rng_below(&G->g, 2))
			gen_line_end(G, b);
	}
}

static void
test_csv_read_fast_path_matches_libcsv_on_random_input(void **state)
{
	/* 20000 inputs of up to 12 lines, 200 of 1000 to 3000 lines (so that
	 * lines of both kinds straddle the 64 KiB reads), and 60 of 3 lines
	 * with fields longer than a read; six delimiters (the default, ',',
	 * ';', '\t', '|', ' '); random on_bad_width and early stops.  The
	 * counts at the end make sure that many reads get to the end of
	 * their input, not only to their first error. */
	const size_t n_small = 20000, n_many = 200, n_long = 60;
	struct trace fast = { 0 }, slow = { 0 };
	struct kpi_csv_options opt = { 0 };
	struct bytes in = { 0 };
	struct gen G;
	size_t id, lines, n_ok = 0, n_rows = 0, n_nul = 0;
	const char *p;

	for (id = 0; id < n_small + n_many + n_long; id++) {
		memset(&G, 0, sizeof(G));
		G.g.s = 20261127u * (id + 1);
		G.delim = diff_delims[rng_below(&G.g, sizeof(diff_delims))];
		G.width = 1 + rng_below(&G.g, 5);
		G.malformed = rng_below(&G.g, 3) == 0;
		G.nul = rng_below(&G.g, 10) == 0;
		lines = rng_below(&G.g, 13);
		if (id >= n_small) {
			lines = id < n_small + n_many ?
				1000 + rng_below(&G.g, 2000) : 3;
			G.long_fields = id >= n_small + n_many;
			G.malformed = G.nul = 0;
		}
		gen_input(&G, &in, lines);

		opt.delimiter = G.delim;
		opt.on_bad_width = rng_below(&G.g, 2) ? trace_bad : NULL;
		fast.bad_status = slow.bad_status =
			rng_below(&G.g, 8) == 0 ? KPI_ESTOP : KPI_OK;
		fast.stop_at = slow.stop_at = 0;
		if (rng_below(&G.g, 6) == 0) {
			fast.stop_at = slow.stop_at = 1 + rng_below(&G.g, 6);
			fast.stop_status = slow.stop_status =
				rng_below(&G.g, 2) ? KPI_ESTOP : KPI_ENUMERIC;
			fast.stop_says_why = slow.stop_says_why =
				(int)rng_below(&G.g, 2);
		}
		if (id >= n_small) {
			/* Read the long inputs to their end. */
			opt.on_bad_width = trace_bad;
			fast.bad_status = slow.bad_status = KPI_OK;
			fast.stop_at = slow.stop_at = 0;
		}
		check_same("random input", id, in.p, in.len, &opt, &fast,
			   &slow);
		if (fast.st == KPI_OK)
			n_ok++;
		if (strcmp(fast.err.msg, "NUL byte in input") == 0)
			n_nul++;
		for (p = fast.log.p; p < fast.log.p + fast.log.len; p++) {
			if ((*p == 'R' || *p == 'B') &&
			    (p == fast.log.p || p[-1] == '\n'))
				n_rows++;
		}
	}
	/* About 7200 reads end KPI_OK, 376000 records reach a callback and
	 * 1200 reads stop at a NUL. */
	assert_true(n_ok > (n_small + n_many + n_long) / 4);
	assert_true(n_rows > 300000);
	assert_true(n_nul > 100);
	assert_true(blocks_seen > 1000);
	free(in.p);
	free(fast.log.p);
	free(slow.log.p);
}

/* ==== Header map ==== */

static struct kpi_csv_header *
header_of(const char *const *names, size_t n)
{
	struct kpi_csv_record rec = { names, n, 1, "", 0 };
	struct kpi_csv_header *h = NULL;
	struct kpi_error err;

	assert_int_equal(kpi_csv_header_new(&h, &rec, &err), KPI_OK);
	assert_non_null(h);
	return h;
}

static void
test_csv_header_find_by_name_and_number(void **state)
{
	static const char *const names[] = { "date", "amount", "region", "2" };
	struct kpi_csv_header *h = header_of(names, 4);
	struct kpi_error err;
	size_t idx = 99;

	assert_int_equal(kpi_csv_header_count(h), 4);
	assert_string_equal(kpi_csv_header_name(h, 2), "region");
	assert_null(kpi_csv_header_name(h, 4));
	assert_int_equal(kpi_csv_header_find(h, "region", &idx, &err), KPI_OK);
	assert_int_equal(idx, 2);
	/* "3" is no name here, so it is column 3 (index 2)... */
	assert_int_equal(kpi_csv_header_find(h, "3", &idx, &err), KPI_OK);
	assert_int_equal(idx, 2);
	/* ...but "2" is the name of column 4, and the name wins. */
	assert_int_equal(kpi_csv_header_find(h, "2", &idx, &err), KPI_OK);
	assert_int_equal(idx, 3);
	kpi_csv_header_free(h);
}

static void
test_csv_header_find_unknown_lists_the_columns(void **state)
{
	static const char *const names[] = { "date", "amount", "region" };
	struct kpi_csv_header *h = header_of(names, 3);
	struct kpi_error err;
	size_t idx = 99;

	assert_int_equal(kpi_csv_header_find(h, "stage", &idx, &err),
			 KPI_EINVAL);
	assert_string_equal(err.msg, "no column \"stage\"; the columns are: "
			    "date, amount, region");
	assert_string_equal(err.column, "stage");
	assert_int_equal(idx, 99);
	/* Numbers out of range are unknown columns too. */
	assert_int_equal(kpi_csv_header_find(h, "4", &idx, &err), KPI_EINVAL);
	assert_int_equal(kpi_csv_header_find(h, "0", &idx, &err), KPI_EINVAL);
	assert_int_equal(kpi_csv_header_find(h, "99999999999999999999999",
					     &idx, &err), KPI_EINVAL);
	assert_int_equal(kpi_csv_header_find(h, "", &idx, &err), KPI_EINVAL);
	assert_int_equal(idx, 99);
	kpi_csv_header_free(h);
}

static void
test_csv_header_find_unknown_shortens_a_long_list(void **state)
{
	char store[25][4];
	const char *names[25];
	struct kpi_csv_header *h;
	struct kpi_error err;
	size_t idx, i;

	for (i = 0; i < 25; i++) {
		snprintf(store[i], sizeof(store[i]), "c%zu", i + 1);
		names[i] = store[i];
	}
	h = header_of(names, 25);
	assert_int_equal(kpi_csv_header_find(h, "zz", &idx, &err), KPI_EINVAL);
	assert_string_equal(err.msg, "no column \"zz\"; the columns are: "
			    "c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, "
			    "c12, c13, c14, c15, c16, c17, c18, c19, c20, "
			    "... (5 more)");
	kpi_csv_header_free(h);
}

static void
test_csv_header_find_unknown_keeps_the_count_when_names_are_long(void **state)
{
	/* 25 names of 30 letters cannot all fit in a message; whatever fits,
	 * the message must end with the count of names left out. */
	char store[25][31];
	const char *names[25];
	struct kpi_csv_header *h;
	struct kpi_error err;
	size_t idx, i, len;

	for (i = 0; i < 25; i++) {
		memset(store[i], (int)('a' + i), 30);
		store[i][30] = '\0';
		names[i] = store[i];
	}
	h = header_of(names, 25);
	assert_int_equal(kpi_csv_header_find(h, "no-such-column", &idx, &err),
			 KPI_EINVAL);
	len = strlen(err.msg);
	assert_true(len > 6);
	assert_string_equal(err.msg + len - 5, "more)");
	assert_non_null(strstr(err.msg, "no column \"no-such-column\"; the "
				"columns are: aaaa"));
	kpi_csv_header_free(h);
}

static void
test_csv_header_find_ambiguous_names_the_positions(void **state)
{
	static const char *const two[] = { "date", "amount", "region",
					   "amount" };
	static const char *const three[] = { "x", "x", "y", "x" };
	struct kpi_csv_header *h = header_of(two, 4);
	struct kpi_error err;
	size_t idx = 99;

	assert_int_equal(kpi_csv_header_find(h, "amount", &idx, &err),
			 KPI_EINVAL);
	assert_string_equal(err.msg, "column \"amount\" is ambiguous: "
			    "it is columns 2 and 4");
	assert_string_equal(err.column, "amount");
	assert_int_equal(idx, 99);
	kpi_csv_header_free(h);

	h = header_of(three, 4);
	assert_int_equal(kpi_csv_header_find(h, "x", &idx, &err), KPI_EINVAL);
	assert_string_equal(err.msg, "column \"x\" is ambiguous: "
			    "it is columns 1, 2 and 4");
	kpi_csv_header_free(h);
}

static void
test_csv_header_equal_compares_names_and_count(void **state)
{
	static const char *const ab[] = { "a", "b" };
	static const char *const ab2[] = { "a", "b" };
	static const char *const ba[] = { "b", "a" };
	static const char *const abc[] = { "a", "b", "c" };
	struct kpi_csv_header *h1 = header_of(ab, 2);
	struct kpi_csv_header *h2 = header_of(ab2, 2);
	struct kpi_csv_header *h3 = header_of(ba, 2);
	struct kpi_csv_header *h4 = header_of(abc, 3);

	assert_true(kpi_csv_header_equal(h1, h2));
	assert_false(kpi_csv_header_equal(h1, h3));
	assert_false(kpi_csv_header_equal(h1, h4));
	assert_false(kpi_csv_header_equal(h4, h1));
	kpi_csv_header_free(h1);
	kpi_csv_header_free(h2);
	kpi_csv_header_free(h3);
	kpi_csv_header_free(h4);
	kpi_csv_header_free(NULL);
}

/* ==== Writer ==== */

/* Everything written to f so far, as a NUL-terminated string. */
static char *
contents(FILE *f)
{
	long n;
	char *s;

	assert_int_equal(fflush(f), 0);
	n = ftell(f);
	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	return s;
}

static void
test_csv_write_quotes_only_when_needed(void **state)
{
	struct kpi_csv_writer w;
	FILE *f = tmpfile();
	char *out;

	assert_non_null(f);
	kpi_csv_writer_init(&w, f);
	kpi_csv_write_str(&w, "plain");
	kpi_csv_write_str(&w, "mid space");
	kpi_csv_write_str(&w, "a,b");
	kpi_csv_write_str(&w, "say \"hi\"");
	kpi_csv_end_row(&w);
	kpi_csv_write_str(&w, "line\nbreak");
	kpi_csv_write_str(&w, "cr\r");
	kpi_csv_write_str(&w, " lead");
	kpi_csv_write_str(&w, "trail\t");
	kpi_csv_write_empty(&w);
	kpi_csv_write_field(&w, "abc;def", 3);	/* only "abc" */
	kpi_csv_end_row(&w);
	kpi_csv_write_long(&w, 0);
	kpi_csv_write_long(&w, 42);
	kpi_csv_write_long(&w, -7);
	kpi_csv_write_long(&w, -9223372036854775807LL - 1);
	kpi_csv_end_row(&w);
	assert_int_equal(kpi_csv_writer_status(&w), KPI_OK);
	out = contents(f);
	assert_string_equal(out,
		"plain,mid space,\"a,b\",\"say \"\"hi\"\"\"\n"
		"\"line\nbreak\",\"cr\r\",\" lead\",\"trail\t\",,abc\n"
		"0,42,-7,-9223372036854775808\n");
	free(out);
	fclose(f);
}

static void
test_csv_write_keeps_a_row_of_one_empty_field(void **state)
{
	struct kpi_csv_writer w;
	FILE *f = tmpfile();
	char *out;

	assert_non_null(f);
	kpi_csv_writer_init(&w, f);
	kpi_csv_write_str(&w, "v");
	kpi_csv_end_row(&w);
	kpi_csv_write_empty(&w);	/* alone: not a blank line */
	kpi_csv_end_row(&w);
	kpi_csv_write_empty(&w);	/* with a second field: no quotes */
	kpi_csv_write_empty(&w);
	kpi_csv_end_row(&w);
	out = contents(f);
	assert_string_equal(out, "v\n\"\"\n,\n");
	free(out);
	fclose(f);
}

static void
test_csv_write_double_uses_num_format(void **state)
{
	struct kpi_csv_writer w;
	FILE *f = tmpfile();
	char *out;

	assert_non_null(f);
	kpi_csv_writer_init(&w, f);
	kpi_csv_write_double(&w, 0.1, -1);	/* shortest round trip: 0.1 */
	kpi_csv_write_double(&w, 2.5, 2);	/* fixed: 2.50 */
	kpi_csv_write_double(&w, NAN, -1);	/* missing: empty */
	kpi_csv_write_double(&w, -INFINITY, 3);
	kpi_csv_end_row(&w);
	out = contents(f);
	assert_string_equal(out, "0.1,2.50,,\n");
	free(out);
	fclose(f);
}

static void
test_csv_writer_status_reports_write_errors(void **state)
{
	/* Writing to a read-only stream fails and sets its error flag. */
	struct kpi_csv_writer w;
	FILE *f = fopen("/dev/null", "r");

	assert_non_null(f);
	kpi_csv_writer_init(&w, f);
	kpi_csv_write_str(&w, "x");
	kpi_csv_end_row(&w);
	fflush(f);
	assert_int_equal(kpi_csv_writer_status(&w), KPI_EIO);
	fclose(f);
}

static void
test_csv_write_then_read_round_trips(void **state)
{
	static const char *const row[] = {
		"plain", "a,b", "\"quoted\"", "two\nlines", "crlf\r\nend",
		"  padded  ", "\ttab", "", "x\"y",
	};
	const size_t n = sizeof(row) / sizeof(row[0]);
	struct kpi_csv_writer w;
	struct seen *s = seen_new();
	struct kpi_error err;
	char want[TEXT_MAX] = "";
	size_t i;
	FILE *f = tmpfile();

	assert_non_null(f);
	kpi_csv_writer_init(&w, f);
	for (i = 0; i < n; i++)
		kpi_csv_write_long(&w, (long long)i);
	kpi_csv_end_row(&w);
	for (i = 0; i < n; i++)
		kpi_csv_write_str(&w, row[i]);
	kpi_csv_end_row(&w);
	kpi_csv_write_empty(&w);	/* one-column row of one empty field */
	kpi_csv_end_row(&w);
	assert_int_equal(kpi_csv_writer_status(&w), KPI_OK);
	rewind(f);

	s->use_bad = 1;			/* the last row is 1 field wide */
	s->bad_status = KPI_OK;
	assert_int_equal(kpi_csv_read(f, &(struct kpi_csv_options){
					      .on_bad_width = on_bad }, on_header,
				      on_record, s, &err), KPI_OK);
	fclose(f);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->nfields[1], n);
	for (i = 0; i < n; i++) {
		if (i)
			strcat(want, "|");
		strcat(want, row[i]);
	}
	assert_string_equal(s->text[1], want);
	/* The lone empty field came back as a record of one field. */
	assert_int_equal(s->nbad, 1);
	assert_int_equal(s->bad_nfields, 1);
	/* Row 2 holds two LFs ("two\nlines", "crlf\r\nend"), so it spans
	 * lines 2-4 and the lone empty field is on line 5. */
	assert_int_equal(s->bad_line, 5);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_read_splits_quoted_delimiters_and_embedded_newlines),
		cmocka_unit_test(test_csv_read_accepts_crlf_and_keeps_crlf_inside_quotes),
		cmocka_unit_test(test_csv_read_accepts_lone_cr_line_ends),
		cmocka_unit_test(test_csv_read_drops_a_leading_bom),
		cmocka_unit_test(test_csv_read_keeps_a_bom_that_is_not_at_the_start),
		cmocka_unit_test(test_csv_read_keeps_a_last_line_without_newline),
		cmocka_unit_test(test_csv_read_skips_blank_lines_but_counts_them),
		cmocka_unit_test(test_csv_read_gives_empty_fields_as_empty_strings),
		cmocka_unit_test(test_csv_read_keeps_raw_record_verbatim),
		cmocka_unit_test(test_csv_read_accepts_semicolon_delimiter),
		cmocka_unit_test(test_csv_read_accepts_tab_delimiter),
		cmocka_unit_test(test_csv_read_rejects_a_quote_as_delimiter),
		cmocka_unit_test(test_csv_read_rejects_ragged_row_with_its_line),
		cmocka_unit_test(test_csv_read_names_a_single_field_in_the_singular),
		cmocka_unit_test(test_csv_read_on_bad_width_ok_skips_the_record),
		cmocka_unit_test(test_csv_read_on_bad_width_status_ends_the_read),
		cmocka_unit_test(test_csv_read_rejects_unterminated_quote_at_eof),
		cmocka_unit_test(test_csv_read_names_the_line_an_unterminated_field_starts_on),
		cmocka_unit_test(test_csv_read_rejects_quote_inside_unquoted_field),
		cmocka_unit_test(test_csv_read_rejects_text_after_closing_quote),
		cmocka_unit_test(test_csv_read_names_no_column_for_a_bad_header),
		cmocka_unit_test(test_csv_read_rejects_nul_byte_with_its_line),
		cmocka_unit_test(test_csv_read_names_the_column_of_a_nul_byte),
		cmocka_unit_test(test_csv_read_rejects_empty_input),
		cmocka_unit_test(test_csv_read_rejects_bom_and_blank_lines_only),
		cmocka_unit_test(test_csv_read_accepts_header_only),
		cmocka_unit_test(test_csv_read_reports_read_errors),
		cmocka_unit_test(test_csv_read_callback_estop_stops_without_error),
		cmocka_unit_test(test_csv_read_callback_error_passes_through),
		cmocka_unit_test(test_csv_read_fills_in_a_message_a_callback_left_out),
		cmocka_unit_test(test_csv_read_handles_a_record_larger_than_the_buffer),
		cmocka_unit_test(test_csv_read_handles_a_single_line_longer_than_the_buffer),
		cmocka_unit_test(test_csv_read_splits_crlf_across_read_boundaries),
		cmocka_unit_test(test_csv_read_handles_many_cr_only_lines),
		cmocka_unit_test(test_csv_read_finds_a_nul_beyond_the_first_buffer),
		cmocka_unit_test(test_csv_read_fast_path_matches_libcsv_on_edge_cases),
		cmocka_unit_test(test_csv_read_fast_path_matches_libcsv_on_random_input),
		cmocka_unit_test(test_csv_header_find_by_name_and_number),
		cmocka_unit_test(test_csv_header_find_unknown_lists_the_columns),
		cmocka_unit_test(test_csv_header_find_unknown_shortens_a_long_list),
		cmocka_unit_test(test_csv_header_find_unknown_keeps_the_count_when_names_are_long),
		cmocka_unit_test(test_csv_header_find_ambiguous_names_the_positions),
		cmocka_unit_test(test_csv_header_equal_compares_names_and_count),
		cmocka_unit_test(test_csv_write_quotes_only_when_needed),
		cmocka_unit_test(test_csv_write_keeps_a_row_of_one_empty_field),
		cmocka_unit_test(test_csv_write_double_uses_num_format),
		cmocka_unit_test(test_csv_writer_status_reports_write_errors),
		cmocka_unit_test(test_csv_write_then_read_round_trips),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
