/* fuzz_csv.c - arbitrary bytes through kpi_csv_read() and the header map.
 *
 * Input layout: byte 0 picks the delimiter, byte 1 holds flags, byte 2 the
 * offset of the data from the end of the reader's first 64 KiB buffer when
 * flag PAD is set; the rest is the CSV text.  Beyond "no crash", every read
 * is checked against invariants that hold for any input:
 *  - the header comes first and once; every record handed to on_record has
 *    the header's width, and every record handed to on_bad_width does not;
 *  - a record's raw bytes are the input's bytes, in order: only blank lines
 *    lie between two records, and each ends at a line end or the input's end;
 *  - a record's line is 1 + the number of LFs before its first byte, so line
 *    numbers never decrease (a lone CR ends a record but not a line);
 *  - every unique header name is found by kpi_csv_header_find();
 *  - an error names a status the API documents, with a message, at or after
 *    the last record delivered;
 *  - the fast path (quote-free lines split without libcsv) and the libcsv
 *    path give the same records and the same error; with flag BLOCKS the
 *    fast path hands its records over in blocks (on_batch).
 */
#define _GNU_SOURCE		/* memmem() */
#include <string.h>

#include "kpi/csv.h"
#include "kpi/error.h"

#include "fuzz.h"

enum {
	FLAG_BAD_WIDTH = 1,	/* install on_bad_width (skip and go on) */
	FLAG_PAD = 6,		/* both bits: start the data near the 64 KiB
				 * boundary */
	FLAG_BLOCKS = 8,	/* the fast path's read uses on_batch */
};

#define READER_BUF	(64 * 1024)	/* csv.c's READ_SIZE */
#define NAMES_CHECKED	64

struct run {
	const uint8_t *in;	/* the whole input, padding included */
	size_t len;
	size_t pos;		/* end of the last record's raw bytes */
	size_t lf_pos;		/* LFs in [0, lf_pos) are counted in lfs */
	unsigned long lfs;
	unsigned char delim;
	int have_header;
	size_t width;
	unsigned long last_line;
	size_t nrecords, nbad;
	uint64_t hash;		/* of everything the callbacks saw */
};

static void
mix(struct run *r, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		r->hash ^= b[i];
		r->hash *= 0x100000001b3ULL;	/* FNV-1a */
	}
}

static int
skipped_byte(const struct run *r, unsigned char c)
{
	if (c == '\r' || c == '\n')
		return 1;
	return (c == ' ' || c == '\t') && c != r->delim;
}

/* Check where rec lies in the input and fold it into the hash. */
static void
see(struct run *r, const struct kpi_csv_record *rec, int kind)
{
	const uint8_t *hit;
	size_t off, i, len;
	unsigned long line;

	FUZZ_CHECK(rec->nfields >= 1, "a record without fields");
	FUZZ_CHECK(rec->raw != NULL, "no raw bytes");
	FUZZ_CHECK(rec->line >= r->last_line, "line %lu after line %lu",
		   rec->line, r->last_line);
	hit = memmem(r->in + r->pos, r->len - r->pos, rec->raw, rec->raw_len);
	FUZZ_CHECK(hit != NULL, "raw bytes of line %lu are not in the input",
		   rec->line);
	off = (size_t)(hit - r->in);
	for (i = r->pos; i < off; i++)
		FUZZ_CHECK(skipped_byte(r, r->in[i]),
			   "byte %zu (0x%02x) before line %lu is not blank",
			   i, r->in[i], rec->line);
	FUZZ_CHECK(off + rec->raw_len == r->len ||
		   r->in[off + rec->raw_len] == '\n' ||
		   r->in[off + rec->raw_len] == '\r',
		   "record on line %lu does not end at a line end", rec->line);
	for (; r->lf_pos < off; r->lf_pos++)
		r->lfs += r->in[r->lf_pos] == '\n';
	line = r->lfs + 1;
	FUZZ_CHECK(rec->line == line, "record says line %lu, starts on %lu",
		   rec->line, line);
	r->pos = off + rec->raw_len;
	r->last_line = rec->line;

	mix(r, &kind, sizeof(kind));
	mix(r, &rec->line, sizeof(rec->line));
	mix(r, &off, sizeof(off));
	mix(r, &rec->raw_len, sizeof(rec->raw_len));
	mix(r, &rec->nfields, sizeof(rec->nfields));
	for (i = 0; i < rec->nfields; i++) {
		FUZZ_CHECK(rec->fields[i] != NULL, "field %zu is NULL", i);
		len = strlen(rec->fields[i]);
		mix(r, &len, sizeof(len));
		mix(r, rec->fields[i], len);
	}
}

static int
all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void
check_header_map(const struct kpi_csv_record *rec)
{
	struct kpi_csv_header *h = NULL;
	struct kpi_error err;
	size_t i, j, idx, count;
	const char *name;

	FUZZ_CHECK(kpi_csv_header_new(&h, rec, &err) == KPI_OK,
		   "header map: %s", err.msg);
	FUZZ_CHECK(kpi_csv_header_count(h) == rec->nfields, "header count");
	for (i = 0; i < rec->nfields && i < NAMES_CHECKED; i++) {
		name = kpi_csv_header_name(h, i);
		FUZZ_CHECK(strcmp(name, rec->fields[i]) == 0, "name %zu", i);
		count = 0;
		for (j = 0; j < rec->nfields; j++)
			count += strcmp(rec->fields[j], name) == 0;
		idx = (size_t)-1;
		if (kpi_csv_header_find(h, name, &idx, &err) == KPI_OK) {
			FUZZ_CHECK(idx < rec->nfields, "index %zu", idx);
			FUZZ_CHECK(count == 1 || all_digits(name),
				   "ambiguous \"%s\" found", name);
		} else {
			FUZZ_CHECK(count > 1, "unique \"%s\" not found: %s",
				   name, err.msg);
			FUZZ_CHECK(err.msg[0] != '\0', "no message");
		}
		if (count == 1)
			FUZZ_CHECK(idx == i, "\"%s\" found at %zu, not %zu",
				   name, idx, i);
	}
	/* An unknown name: the message lists (some of) the columns. */
	if (kpi_csv_header_find(h, "\x01no such column", &idx, &err) == KPI_OK)
		FUZZ_CHECK(strcmp(kpi_csv_header_name(h, idx),
				  "\x01no such column") == 0, "unknown found");
	else
		FUZZ_CHECK(err.status == KPI_EINVAL && err.msg[0],
			   "unknown column: status %d", (int)err.status);
	kpi_csv_header_free(h);
}

static enum kpi_status
on_header(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	FUZZ_CHECK(!r->have_header, "a second header");
	see(r, rec, 0);
	r->have_header = 1;
	r->width = rec->nfields;
	check_header_map(rec);
	return KPI_OK;
}

static enum kpi_status
on_record(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	FUZZ_CHECK(r->have_header, "a record before the header");
	FUZZ_CHECK(rec->nfields == r->width, "%zu fields, header has %zu",
		   rec->nfields, r->width);
	see(r, rec, 1);
	r->nrecords++;
	return KPI_OK;
}

/* A block: each record as on_record() takes it. */
static enum kpi_status
on_batch(const struct kpi_csv_record *recs, size_t n, void *ctx,
	 struct kpi_error *err)
{
	size_t i;

	FUZZ_CHECK(n > 0, "an empty block");
	for (i = 0; i < n; i++)
		on_record(&recs[i], ctx, err);
	return KPI_OK;
}

static enum kpi_status
on_bad_width(const struct kpi_csv_record *rec, void *ctx,
	     struct kpi_error *err)
{
	struct run *r = ctx;

	FUZZ_CHECK(r->have_header, "a bad record before the header");
	FUZZ_CHECK(rec->nfields != r->width, "reported width %zu is right",
		   rec->nfields);
	FUZZ_CHECK(err && err->status == KPI_EPARSE && err->line == rec->line,
		   "width error not described");
	see(r, rec, 2);
	r->nbad++;
	return KPI_OK;
}

struct outcome {
	enum kpi_status st;
	struct kpi_error err;
	uint64_t hash;
	size_t nrecords, nbad;
};

static void
read_once(const uint8_t *in, size_t len, size_t start, char delim,
	  int bad_width, int fast, int blocks, struct outcome *o)
{
	struct kpi_csv_options opt = { 0 };
	struct run r;
	FILE *f;
	unsigned char d = delim ? (unsigned char)delim : ',';
	unsigned long lines = 1;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.in = in;
	r.len = len;
	r.delim = d;
	r.hash = 0xcbf29ce484222325ULL;
	/* A BOM is dropped only at the very start of the input.  The padding
	 * is one blank line, skipped here without a byte-by-byte loop (the
	 * fuzzer instruments this file too, and 64 KiB of it would be most
	 * of the work). */
	if (start == 0 && len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)
		r.pos = r.lf_pos = 3;
	if (start > 0) {
		r.pos = r.lf_pos = start;
		r.lfs = 1;
	}
	opt.delimiter = delim;
	opt.on_bad_width = bad_width ? on_bad_width : NULL;
	opt.on_batch = blocks ? on_batch : NULL;
	f = fmemopen((void *)(uintptr_t)in, len, "r");
	if (!f)
		abort();
	kpi_csv_set_fast_path(fast);
	o->st = kpi_csv_read(f, &opt, on_header, on_record, &r, &o->err);
	kpi_csv_set_fast_path(1);
	fclose(f);

	for (i = start; i < len; i++)
		lines += in[i] == '\n';
	lines += start > 0;
	switch (o->st) {
	case KPI_OK:
		FUZZ_CHECK(r.have_header, "success without a header");
		break;
	case KPI_EINVAL:
		FUZZ_CHECK(d == '"' || d == '\r' || d == '\n',
			   "EINVAL with delimiter 0x%02x: %s", d, o->err.msg);
		break;
	case KPI_EPARSE:
		FUZZ_CHECK(o->err.line >= r.last_line || !r.have_header,
			   "error on line %lu, before the last record (%lu)",
			   o->err.line, r.last_line);
		FUZZ_CHECK(o->err.line <= lines, "error on line %lu of %lu",
			   o->err.line, lines);
		break;
	default:
		FUZZ_CHECK(0, "status %d on a %zu-byte input: %s",
			   (int)o->st, len, o->err.msg);
	}
	if (o->st != KPI_OK)
		FUZZ_CHECK(o->err.status == o->st && o->err.msg[0] != '\0',
			   "error without a message");
	o->hash = r.hash;
	o->nrecords = r.nrecords;
	o->nbad = r.nbad;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = { ',', ';', '\t', '|', ' ', ':' };
	struct outcome fast, slow;
	uint8_t *buf = NULL;
	const uint8_t *in;
	size_t len, pad = 0;
	char delim;
	int flags;

	if (size < 3)
		return 0;
	delim = data[0] < 0xF0 ? delims[data[0] % sizeof(delims)]
			       : (char)(data[0] & 0x0F);	/* NUL, CR, LF... */
	if (data[0] == 0xFF)
		delim = '"';
	flags = data[1];
	in = data + 3;
	len = size - 3;
	if ((flags & FLAG_PAD) == FLAG_PAD) {
		/* A blank line up to near the end of the first buffer, so
		 * that the data straddles the boundary where csv.c refills.
		 * One line, not many: each line costs a trip through the
		 * reader. */
		pad = READER_BUF - data[2];
		buf = malloc(pad + len);
		if (!buf)
			abort();
		memset(buf, delim == ' ' ? '\t' : ' ', pad - 1);
		buf[pad - 1] = '\n';
		memcpy(buf + pad, in, len);
		in = buf;
		len += pad;
	}
	memset(&fast, 0, sizeof(fast));
	memset(&slow, 0, sizeof(slow));
	read_once(in, len, pad, delim, flags & FLAG_BAD_WIDTH, 1,
		  flags & FLAG_BLOCKS, &fast);
	read_once(in, len, pad, delim, flags & FLAG_BAD_WIDTH, 0, 0, &slow);
	FUZZ_CHECK(fast.st == slow.st, "fast path status %d, libcsv %d (%s | %s)",
		   (int)fast.st, (int)slow.st, fast.err.msg, slow.err.msg);
	FUZZ_CHECK(fast.hash == slow.hash && fast.nrecords == slow.nrecords &&
		   fast.nbad == slow.nbad,
		   "fast path and libcsv give different records (%zu+%zu, %zu+%zu)",
		   fast.nrecords, fast.nbad, slow.nrecords, slow.nbad);
	if (fast.st != KPI_OK) {
		FUZZ_CHECK(fast.err.line == slow.err.line,
			   "error lines %lu and %lu", fast.err.line,
			   slow.err.line);
		FUZZ_CHECK(strcmp(fast.err.msg, slow.err.msg) == 0 &&
			   strcmp(fast.err.column, slow.err.column) == 0,
			   "messages differ: \"%s\" (%s) and \"%s\" (%s)",
			   fast.err.msg, fast.err.column, slow.err.msg,
			   slow.err.column);
	}
	free(buf);
	return 0;
}
