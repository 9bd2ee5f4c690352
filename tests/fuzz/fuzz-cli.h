/* fuzz-cli.h - what the harnesses of the tools' engines share: the input
 * handed over as a file, read through kpi_cli_read_inputs() as the tools
 * read it, the output kept in memory and read back as CSV.
 *
 * The tools open their inputs by name, so a harness puts the bytes in a
 * memfd and names it /proc/self/fd/N: the same reader, the same per-row
 * error policy (--skip-bad), no disk.  Linux only, like the fuzz builds. */
#ifndef KPI_FUZZ_CLI_H
#define KPI_FUZZ_CLI_H

#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/error.h"
#include "kpi/num.h"

#include "fuzz.h"

#define FUZZ_MAX_FILES 2

/* The bytes as a file named by the returned path, valid until the next call
 * with the same slot (0 or 1). */
static inline const char *
fuzz_file(int slot, const uint8_t *data, size_t size)
{
	static int fd[FUZZ_MAX_FILES] = { -1, -1 };
	static char path[FUZZ_MAX_FILES][32];
	size_t done = 0;

	if (fd[slot] < 0) {
		fd[slot] = memfd_create("fuzz-input", 0);
		if (fd[slot] < 0)
			abort();
		snprintf(path[slot], sizeof(path[slot]), "/proc/self/fd/%d",
			 fd[slot]);
	}
	if (ftruncate(fd[slot], 0) != 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(fd[slot], data + done, size - done,
				   (off_t)done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	return path[slot];
}

/* A status that a library call may return, with a message when it is an
 * error.  ESTOP belongs to callbacks.  ENOMEM is the library's cap on what
 * an input asks for (a series spanning a million periods); a real
 * allocation failure is caught by libFuzzer's malloc limit first. */
static inline void
fuzz_check_error(enum kpi_status st, const struct kpi_error *err,
		 const char *what)
{
	if (st == KPI_OK)
		return;
	FUZZ_CHECK(st == KPI_EPARSE || st == KPI_EINVAL || st == KPI_ENUMERIC ||
		   st == KPI_EIO || st == KPI_ENOMEM, "%s: status %d (%s)", what,
		   (int)st, err->msg);
	FUZZ_CHECK(err->msg[0] != '\0', "%s: status %d without a message",
		   what, (int)st);
}

/* Counts the rows the engine took, for "rows read = rows used + rows
 * rejected". */
struct fuzz_reader {
	kpi_cli_header_fn on_header;
	kpi_cli_row_fn on_row;
	void *ctx;
	unsigned long used;
	unsigned long stopped;	/* the row that stopped the read (KPI_ESTOP) */
};

static inline enum kpi_status
fuzz_reader_header(const struct kpi_csv_header *h, void *ctx,
		   struct kpi_error *err)
{
	struct fuzz_reader *f = ctx;

	return f->on_header(h, f->ctx, err);
}

static inline enum kpi_status
fuzz_reader_row(const struct kpi_csv_record *rec, void *ctx,
		struct kpi_error *err)
{
	struct fuzz_reader *f = ctx;
	enum kpi_status st = f->on_row(rec, f->ctx, err);

	if (st == KPI_OK)
		f->used++;
	else if (st == KPI_ESTOP)
		f->stopped++;
	else
		FUZZ_CHECK(err->msg[0] != '\0', "line %lu: status %d without a message",
			   rec->line, (int)st);
	return st;
}

/* Read `path` as a tool does, with the common options c.  On success, every
 * data row was used or, with skip_bad, rejected, but for the one row on
 * which the engine stopped the read (KPI_ESTOP), if it did.  *used receives
 * the rows the engine took. */
static inline enum kpi_status
fuzz_read(const struct kpi_cli_common *c, const char *path,
	  kpi_cli_header_fn on_header, kpi_cli_row_fn on_row, void *ctx,
	  unsigned long *used, struct kpi_error *err)
{
	struct fuzz_reader f = { on_header, on_row, ctx, 0, 0 };
	struct kpi_cli_reader r = { 0 };
	char *names[1];
	char name[32];
	enum kpi_status st, fin;

	snprintf(name, sizeof(name), "%s", path);
	names[0] = name;
	r.common = c;
	r.on_header = fuzz_reader_header;
	r.on_row = fuzz_reader_row;
	r.ctx = &f;
	kpi_error_clear(err);
	st = kpi_cli_read_inputs(&r, names, 1, err);
	fuzz_check_error(st, err, "read");
	if (getenv("KPI_FUZZ_SHOW"))
		fprintf(stderr, "---- read: status %d %s; %lu rows, %lu used, %lu bad\n",
			(int)st, err->msg, r.rows_read, f.used, r.rows_bad);
	if (st == KPI_OK) {
		FUZZ_CHECK(r.rows_read == f.used + r.rows_bad + f.stopped &&
			   f.stopped <= 1,
			   "%lu rows read, %lu used, %lu rejected, %lu stopped",
			   r.rows_read, f.used, r.rows_bad, f.stopped);
		FUZZ_CHECK(c->skip_bad || r.rows_bad == 0,
			   "%lu rows rejected without --skip-bad", r.rows_bad);
	}
	fin = kpi_cli_reader_finish(&r, st == KPI_OK, err);
	FUZZ_CHECK(fin == KPI_OK, "reader finish: %s", err->msg);
	*used = f.used;
	return st;
}

/* ==== Output, read back ==== */

/* An output in memory. */
struct fuzz_output {
	char *buf;
	size_t len;
	FILE *fp;
	struct kpi_csv_writer w;
};

static inline void
fuzz_output_open(struct fuzz_output *o)
{
	o->buf = NULL;
	o->len = 0;
	o->fp = open_memstream(&o->buf, &o->len);
	if (!o->fp)
		abort();
	kpi_csv_writer_init(&o->w, o->fp);
}

static inline void
fuzz_output_close(struct fuzz_output *o)
{
	if (fclose(o->fp) != 0)
		abort();
	o->fp = NULL;
}

static inline void
fuzz_output_free(struct fuzz_output *o)
{
	free(o->buf);
	o->buf = NULL;
}

/* Called with each row of the output and the header's names, up to
 * FUZZ_ROWS_CHECKED rows: a date centuries off makes a cohort table of
 * hundreds of thousands of rows, which the fuzzer's instrumentation would
 * take seconds to check; the rest are only read back as CSV. */
#define FUZZ_ROWS_CHECKED 20000
/* An output longer than this (a wide cohort table of sixty thousand ages)
 * is not read back at all: the fuzzer would time out reading it. */
#define FUZZ_BYTES_CHECKED ((size_t)4 << 20)
/* Called with each row of the output and the header's names. */
typedef void (*fuzz_row_fn)(const char *const *names, const char *const *fields,
			    size_t n, void *ctx);

struct fuzz_rows {
	fuzz_row_fn fn;
	void *ctx;
	const char *const *names;
	size_t width;
	size_t nrows;
	char **copy;
};

static inline enum kpi_status
fuzz_rows_header(const struct kpi_csv_record *rec, void *ctx,
		 struct kpi_error *err)
{
	struct fuzz_rows *r = ctx;
	size_t i;

	r->copy = calloc(rec->nfields, sizeof(*r->copy));
	if (!r->copy)
		abort();
	for (i = 0; i < rec->nfields; i++) {
		r->copy[i] = strdup(rec->fields[i]);
		if (!r->copy[i])
			abort();
	}
	r->names = (const char *const *)r->copy;
	r->width = rec->nfields;
	return KPI_OK;
}

static inline enum kpi_status
fuzz_rows_record(const struct kpi_csv_record *rec, void *ctx,
		 struct kpi_error *err)
{
	struct fuzz_rows *r = ctx;

	if (r->nrows++ < FUZZ_ROWS_CHECKED)
		r->fn(r->names, rec->fields, rec->nfields, r->ctx);
	return KPI_OK;
}

/* Read the output back with the library's own reader: it must be well-formed
 * CSV, every row as wide as the header.  Returns the number of data rows,
 * SIZE_MAX when the output was too long to read back.
 * With KPI_FUZZ_SHOW set in the environment, the output goes to stderr too
 * (to see what an input does). */
static inline size_t
fuzz_output_rows(const struct fuzz_output *o, fuzz_row_fn fn, void *ctx)
{
	struct fuzz_rows r = { fn, ctx, NULL, 0, 0, NULL };
	struct kpi_error err;
	enum kpi_status st;
	FILE *in;
	size_t i;

	if (getenv("KPI_FUZZ_SHOW"))
		fprintf(stderr, "---- output\n%.*s", (int)o->len, o->buf);
	if (o->len == 0)
		return 0;
	if (o->len > FUZZ_BYTES_CHECKED)
		return SIZE_MAX;	/* not read back */
	in = fmemopen(o->buf, o->len, "rb");
	if (!in)
		abort();
	st = kpi_csv_read(in, NULL, fuzz_rows_header, fuzz_rows_record, &r, &err);
	FUZZ_CHECK(st == KPI_OK, "the output does not read back: line %lu: %s",
		   err.line, err.msg);
	fclose(in);
	for (i = 0; i < r.width; i++)
		free(r.copy[i]);
	free(r.copy);
	return r.nrows;
}

/* The index of column `name`, or -1. */
static inline int
fuzz_col(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* A number of the output: NaN when empty; anything else must parse and be
 * finite (kpi writes no "nan" or "inf"). */
static inline double
fuzz_num(const char *const *names, const char *const *fields, size_t i)
{
	double x;

	if (fields[i][0] == '\0')
		return NAN;
	FUZZ_CHECK(kpi_num_parse(fields[i], 0, &x, NULL) == KPI_OK,
		   "column %s: \"%s\" is not a number", names[i], fields[i]);
	FUZZ_CHECK(isfinite(x), "column %s: %s", names[i], fields[i]);
	return x;
}

/* A probability or rate column: empty or in [0, 1]. */
static inline double
fuzz_prob(const char *const *names, const char *const *fields, size_t i)
{
	double x = fuzz_num(names, fields, i);

	FUZZ_CHECK(isnan(x) || (x >= 0 && x <= 1), "column %s: %s outside [0, 1]",
		   names[i], fields[i]);
	return x;
}

#endif
