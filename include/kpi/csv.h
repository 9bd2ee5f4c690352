/* kpi/csv.h - streaming CSV reader (over libcsv) and minimal-quoting writer.
 *
 * Reading is push style: kpi_csv_read() calls back once for the header and
 * once per data record.  Everything a callback receives is valid only during
 * the call; copy what you keep.  Input is RFC 4180 with any one-byte
 * delimiter, LF or CRLF line ends, a leading UTF-8 BOM dropped, quoted fields
 * that may span lines.  Every record must have as many fields as the header.
 * Leading and trailing blanks of unquoted fields are trimmed (libcsv's
 * default); quote a field to keep them.  An empty field, quoted or not, is
 * the empty string.
 */
#ifndef KPI_CSV_H
#define KPI_CSV_H

#include <stdio.h>

#include "kpi/error.h"

/* One record as read.  fields[i] are NUL-terminated; raw is the record's
 * bytes exactly as in the file (without its line terminator), for a
 * rejects file. */
struct kpi_csv_record {
	const char *const *fields;
	size_t nfields;
	unsigned long line;	/* physical line the record starts on, 1-based */
	const char *raw;
	size_t raw_len;
};

/* A record callback.  Return KPI_OK to go on; any other status stops the
 * read and becomes kpi_csv_read()'s result (KPI_ESTOP for "done, no error"). */
typedef enum kpi_status (*kpi_csv_record_fn)(const struct kpi_csv_record *rec,
					     void *ctx, struct kpi_error *err);

/* A block of consecutive records (n >= 1), for a callback that overlaps
 * the work of several rows, such as waiting for the hash buckets of one
 * while it parses the next.  Return as a record callback: any status but
 * KPI_OK stops the read, the callback having dealt with the records before
 * the one it stopped at (and named that one's line in err). */
typedef enum kpi_status (*kpi_csv_batch_fn)(const struct kpi_csv_record *recs,
					    size_t n, void *ctx,
					    struct kpi_error *err);

struct kpi_csv_options {
	char delimiter;			/* 0 means ',' */
	/* Called for a record whose width differs from the header's, with err
	 * already describing it.  NULL: the width error ends the read.
	 * Otherwise its status decides, as for on_record (KPI_OK skips the
	 * record and goes on, and err is cleared again). */
	kpi_csv_record_fn on_bad_width;
	/* Optional: data records of the header's width go here, a few dozen
	 * at a time (the ones of one read buffer without quotes, mostly),
	 * instead of to on_record.  The order of all callbacks is kept: a
	 * record of another width, an error or the end hands over the block
	 * so far first.  An out-of-memory error may drop the block. */
	kpi_csv_batch_fn on_batch;
};

/* Read all of `in`.  on_header gets the first record (may be NULL), on_record
 * every later one.  Structural errors (bad quoting, unterminated quote, read
 * error) end the read with KPI_EPARSE / KPI_EIO and err->line set.  An empty
 * input (no header) is KPI_EPARSE "empty input".  Returns KPI_OK at end of
 * input, or KPI_ESTOP when a callback stopped the read early. */
enum kpi_status kpi_csv_read(FILE *in, const struct kpi_csv_options *opt,
			     kpi_csv_record_fn on_header,
			     kpi_csv_record_fn on_record, void *ctx,
			     struct kpi_error *err);

/* For tests: kpi_csv_read() splits a line that holds no quote itself and
 * hands only the others to libcsv; kpi_csv_set_fast_path(0) sends every
 * line through libcsv, so that a test can check both give the same records
 * and errors.  On by default.  Process-wide and not thread-safe: call it
 * only while no read is running. */
void kpi_csv_set_fast_path(int on);

/* ==== Header map ==== */

struct kpi_csv_header;

/* Copy the names of a header record.  Duplicate names are allowed here; only
 * looking one up is an error. */
enum kpi_status kpi_csv_header_new(struct kpi_csv_header **out,
				   const struct kpi_csv_record *rec,
				   struct kpi_error *err);
void kpi_csv_header_free(struct kpi_csv_header *h);

size_t kpi_csv_header_count(const struct kpi_csv_header *h);
const char *kpi_csv_header_name(const struct kpi_csv_header *h, size_t index);

/* Find a column by name, or by 1-based number when `name` is all digits and
 * no column has that name.  *index receives the 0-based index.  Errors
 * (KPI_EINVAL): unknown column (the message lists the available names,
 * shortened when there are many), ambiguous name (the message names the
 * positions). */
enum kpi_status kpi_csv_header_find(const struct kpi_csv_header *h,
				    const char *name, size_t *index,
				    struct kpi_error *err);

/* True when both headers have the same names in the same order. */
int kpi_csv_header_equal(const struct kpi_csv_header *a,
			 const struct kpi_csv_header *b);

/* ==== Writer ==== */

/* Writes CSV to a FILE: ',' delimiter, LF line ends, a field quoted only when
 * it holds the delimiter, a quote, CR or LF, or starts or ends with a blank
 * (which a reader would trim).  A row made of one empty field is written
 * as "" (a blank line would be skipped by a reader).  Errors are sticky and
 * reported by kpi_csv_writer_status() / the stream's ferror(). */
struct kpi_csv_writer {
	FILE *out;
	int first;		/* next field starts a row */
	int lone_empty;		/* the row so far is one empty field */
};

void kpi_csv_writer_init(struct kpi_csv_writer *w, FILE *out);

/* One field of text (len bytes, need not be NUL-terminated). */
void kpi_csv_write_field(struct kpi_csv_writer *w, const char *s, size_t len);
void kpi_csv_write_str(struct kpi_csv_writer *w, const char *s);
/* An empty field (a missing value). */
void kpi_csv_write_empty(struct kpi_csv_writer *w);
/* A number per kpi_num_format(); NaN and infinities are written empty. */
void kpi_csv_write_double(struct kpi_csv_writer *w, double x, int precision);
void kpi_csv_write_long(struct kpi_csv_writer *w, long long x);
/* Finish the row with "\n". */
void kpi_csv_end_row(struct kpi_csv_writer *w);

/* KPI_EIO when a write to the stream has failed, else KPI_OK. */
enum kpi_status kpi_csv_writer_status(const struct kpi_csv_writer *w);

#endif
