/* csv.c - CSV reader over libcsv, header map, minimal-quoting writer. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "kpi/csv.h"
#include "kpi/num.h"

/* ==== Reader ==== */

/* Input buffer: 64 KiB reads amortise the stdio call; a record longer than
 * the buffer makes it grow, up to a cap so that a file with a runaway quote
 * cannot eat all memory. */
#define READ_SIZE	((size_t)64 * 1024)
#define RECORD_MAX	((size_t)1 << 30)
#define FIELDS_INIT	64
#define FIELDBUF_INIT	((size_t)4096)
#define GROW_MIN	((size_t)4096)	/* smallest libcsv field buffer */
#define SHORT_FIELD	16		/* field_cb() copies these whole */
#define BATCH_MAX	64		/* records handed to on_batch at once */
#define BATCH_FBUF	((size_t)16 * 1024)	/* fbuf with on_batch */

static const char utf8_bom[3] = { '\xEF', '\xBB', '\xBF' };

/* kpi_csv_set_fast_path(): off only in tests that compare the two paths. */
static int fast_path_off;

struct reader {
	struct csv_parser p;
	FILE *in_file;
	kpi_csv_record_fn on_header;
	kpi_csv_record_fn on_record;
	kpi_csv_record_fn on_bad_width;
	kpi_csv_batch_fn on_batch;
	void *ctx;
	struct kpi_error *err;
	enum kpi_status st;	/* first non-OK status; all callbacks stop */
	unsigned char delim;

	/* Input buffer.  [pos, len) is not yet given to libcsv; [pos, scan)
	 * is known to hold no segment end, so a short read never makes us
	 * rescan a long line from its start.  lf and cr cache the next LF and
	 * CR at or after scan (len when there is none), so that each is
	 * searched for once per occurrence, not once per line: a file without
	 * CR costs one search per buffer. */
	char *buf;
	size_t cap, len, pos, scan, lf, cr;
	size_t quote;		/* next '"' at or after pos, or len: cached
				 * the same way */
	int fast;		/* split quote-free lines without libcsv */
	int eof;
	int bom_done;
	int have_nul;		/* nul_at is the first NUL at or after pos */
	size_t nul_at;

	/* The record being parsed.  It may span several segments (a quoted
	 * field with line breaks), so its bytes stay in buf from rec_start. */
	int in_rec;
	size_t rec_start;
	size_t seg_end;		/* end of the segment libcsv is parsing */
	unsigned long line;	/* physical line of the segment being fed */
	unsigned long rec_line;
	unsigned long field_line; /* where the record's next field starts */
	int got_record;

	/* Fields of the record: copies, NUL-terminated, in fbuf, and
	 * fields[i] points at field i.  From libcsv they lie back to back,
	 * and parse_segment() makes fbuf big enough for the whole record
	 * before libcsv runs, so the field callback never reallocates it.
	 * The fast path copies the line whole and trims fields in place. */
	char *fbuf;
	size_t fcap, flen;
	const char **fields;
	size_t nf, nfcap;

	/* With on_batch, the fast path keeps the records it split: each one's
	 * fields follow the previous one's in fbuf and in fields, from
	 * fbase (fields) and flen (fbuf) on, and batch[] holds them with
	 * their raw bytes in buf, fields[] by index (fields may move as it
	 * grows; fbuf never does while a batch is kept, nor buf).  They are
	 * handed over before anything else happens: another record, an
	 * error, a read. */
	size_t fbase;
	struct kpi_csv_record batch[BATCH_MAX];
	size_t batch_base[BATCH_MAX];
	size_t nbatch;

	int have_header;
	size_t width;
	char *hnames;		/* the header's fields, back to back */
};

/*
 * libcsv grows its field buffer by a fixed block (128 bytes by default)
 * through realloc_func, which makes one long field quadratic.  This
 * realloc keeps the real capacity in a header in front of the block and
 * grows it geometrically, so libcsv's many small requests are mostly
 * answered without copying.
 */
union grow_hdr {
	max_align_t align;
	size_t cap;
};

static void *
geometric_realloc(void *ptr, size_t size)
{
	union grow_hdr *h = NULL;
	size_t cap = 0;
	size_t want;

	if (ptr) {
		h = (union grow_hdr *)ptr - 1;
		cap = h->cap;
		if (size <= cap)
			return ptr;
	}
	want = cap < GROW_MIN ? GROW_MIN : cap;
	while (want < size && want <= SIZE_MAX / 2)
		want *= 2;
	if (want < size)
		want = size;
	if (want > SIZE_MAX - sizeof(*h))
		return NULL;
	h = realloc(h, sizeof(*h) + want);
	if (!h)
		return NULL;
	h->cap = want;
	return h + 1;
}

static void
geometric_free(void *ptr)
{
	if (ptr)
		free((union grow_hdr *)ptr - 1);
}

static void
reader_fail(struct reader *r, enum kpi_status st)
{
	if (r->st == KPI_OK)
		r->st = st;
}

static int
grow_fields(struct reader *r)
{
	size_t n = r->nfcap * 2;
	const char **fields;

	if (n > RECORD_MAX / sizeof(*fields)) {
		reader_fail(r, kpi_error_set(r->err, KPI_ENOMEM, r->rec_line,
			    "record has more than %zu fields",
			    RECORD_MAX / sizeof(*fields) / 2));
		return -1;
	}
	fields = realloc(r->fields, n * sizeof(*fields));
	if (!fields) {
		reader_fail(r, kpi_error_set(r->err, KPI_ENOMEM, r->rec_line,
					     "out of memory"));
		return -1;
	}
	r->fields = fields;
	r->nfcap = n;
	return 0;
}

/* Make fbuf hold at least `need` bytes.  Fields already stored move with
 * it; they hold no NUL (feed_segment() rejects those), so walking the
 * strings finds them again. */
static int
grow_fbuf(struct reader *r, size_t need)
{
	size_t n = r->fcap, i;
	char *p, *f;

	while (n < need)
		n = n <= SIZE_MAX / 2 ? n * 2 : need;
	p = realloc(r->fbuf, n);
	if (!p) {
		reader_fail(r, kpi_error_set(r->err, KPI_ENOMEM, r->rec_line,
					     "out of memory"));
		return -1;
	}
	r->fbuf = p;
	r->fcap = n;
	f = p;
	for (i = 0; i < r->nf; i++) {
		r->fields[i] = f;
		f += strlen(f) + 1;
	}
	return 0;
}

/* libcsv's field callback: copy the field, since libcsv reuses its buffer.
 * This runs for every field of the file, so it does as little as it can:
 * fbuf has room already, and libcsv has NUL-terminated the field
 * (CSV_APPEND_NULL), so the copy takes the terminator along. */
static void
field_cb(void *field, size_t len, void *data)
{
	struct reader *r = data;
	char *dst;

	if (r->st != KPI_OK)
		return;
	if (r->nf == r->nfcap && grow_fields(r))
		return;
	dst = r->fbuf + r->flen;
	r->fields[r->nf++] = dst;
	r->flen += len + 1;
	/* A delimiter ends this field on this line, so the next one starts
	 * here. */
	r->field_line = r->line;
	/* Most fields are short, and a fixed-size copy is a few instructions
	 * where a call to memcpy() costs more than the copy.  It may read
	 * past the field only inside libcsv's own buffer, which
	 * geometric_realloc() made at least GROW_MIN bytes, and may write
	 * past it only into the slack parse_segment() reserved. */
	if (len < SHORT_FIELD && field == r->p.entry_buf)
		memcpy(dst, field, SHORT_FIELD);
	else
		memcpy(dst, field, len + 1);
}

static enum kpi_status
dispatch(struct reader *r, const struct kpi_csv_record *rec)
{
	enum kpi_status st;
	size_t bytes, i, len;
	char *p;

	if (!r->have_header) {
		r->have_header = 1;
		r->width = rec->nfields;
		/* Kept to name the column of a later quoting error.  The
		 * fields need not lie back to back in fbuf (the fast path
		 * trims them in place), so they are gathered one by one. */
		bytes = 0;
		for (i = 0; i < rec->nfields; i++)
			bytes += strlen(rec->fields[i]) + 1;
		r->hnames = malloc(bytes);
		if (!r->hnames)
			return kpi_error_set(r->err, KPI_ENOMEM, rec->line,
					     "out of memory");
		p = r->hnames;
		for (i = 0; i < rec->nfields; i++) {
			len = strlen(rec->fields[i]) + 1;
			memcpy(p, rec->fields[i], len);
			p += len;
		}
		if (!r->on_header)
			return KPI_OK;
		return r->on_header(rec, r->ctx, r->err);
	}
	if (rec->nfields != r->width) {
		kpi_error_set(r->err, KPI_EPARSE, rec->line,
			      "%zu field%s, expected %zu", rec->nfields,
			      rec->nfields == 1 ? "" : "s", r->width);
		if (!r->on_bad_width)
			return KPI_EPARSE;
		st = r->on_bad_width(rec, r->ctx, r->err);
		/* Skipped: the read goes on and must not end with a stale
		 * error. */
		if (st == KPI_OK)
			kpi_error_clear(r->err);
		return st;
	}
	return r->on_record ? r->on_record(rec, r->ctx, r->err) : KPI_OK;
}

/* A callback's status: the read stops unless it is KPI_OK.  A callback
 * that fails without saying why still leaves a message. */
static void
callback_status(struct reader *r, enum kpi_status st, unsigned long line)
{
	if (st == KPI_OK)
		return;
	if (st != KPI_ESTOP && r->err && r->err->status == KPI_OK)
		kpi_error_set(r->err, st, line, "%s", kpi_strerror(st));
	r->st = st;
}

/* Hand the records kept for on_batch over, and start afresh. */
static void
flush_batch(struct reader *r)
{
	size_t i, n = r->nbatch;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		r->batch[i].fields = r->fields + r->batch_base[i];
	r->nbatch = 0;
	r->nf = 0;
	r->flen = 0;
	r->fbase = 0;
	if (r->st == KPI_OK)
		callback_status(r, r->on_batch(r->batch, n, r->ctx, r->err),
				r->batch[0].line);
}

/* Hand the record in fields[fbase, nf) to the caller.  It starts at
 * rec_start and its last segment ends at `end`, with the record's
 * terminator: LF, CRLF or CR, or none at the end of input. */
static void
deliver(struct reader *r, size_t end)
{
	struct kpi_csv_record rec;
	size_t base;

	if (end > r->rec_start && r->buf[end - 1] == '\n')
		end--;
	if (end > r->rec_start && r->buf[end - 1] == '\r')
		end--;
	rec.fields = r->fields + r->fbase;
	rec.nfields = r->nf - r->fbase;
	rec.line = r->rec_line;
	rec.raw = r->buf + r->rec_start;
	rec.raw_len = end - r->rec_start;

	if (r->on_batch && r->have_header && rec.nfields == r->width) {
		r->batch_base[r->nbatch] = r->fbase;
		r->batch[r->nbatch++] = rec;
		r->fbase = r->nf;
		if (r->nbatch == BATCH_MAX)
			flush_batch(r);
		return;
	}
	/* The batch's fields come before this record's, which stay where
	 * they are. */
	base = r->fbase;
	flush_batch(r);
	if (r->st != KPI_OK)
		return;
	rec.fields = r->fields + base;
	callback_status(r, dispatch(r, &rec), rec.line);
	r->nf = 0;
	r->flen = 0;
}

/* libcsv's record callback (term is -1 from csv_fini). */
static void
record_cb(int term, void *data)
{
	struct reader *r = data;

	(void)term;
	if (r->st != KPI_OK)
		return;
	r->got_record = 1;
	deliver(r, r->seg_end);
}

/* True when libcsv, between records, skips the bytes as a blank line:
 * it ignores spaces and tabs (unless one is the delimiter) and CR/LF. */
static int
is_blank(const char *s, size_t n, unsigned char delim)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\n' || c == '\r')
			continue;
		if ((c == ' ' || c == '\t') && c != delim)
			continue;
		return 0;
	}
	return 1;
}

/*
 * End of the next segment in buf, or 0 when more input is needed.  A
 * segment is one physical line with its terminator: up to and including a
 * LF, or a CR not followed by LF (libcsv ends a record at a lone CR too).
 * Feeding libcsv one segment at a time means each csv_parse() call ends at
 * most one record, which gives us the record's line and raw bytes.
 */
static size_t
next_segment(struct reader *r)
{
	const char *b = r->buf;
	size_t s = r->scan;
	size_t i;
	const char *hit;

	if (r->pos == r->len)
		return 0;
	if (r->lf < s)
		r->lf = s;
	if (r->lf < r->len && b[r->lf] != '\n') {
		hit = memchr(b + r->lf, '\n', r->len - r->lf);
		r->lf = hit ? (size_t)(hit - b) : r->len;
	}
	if (r->cr < s)
		r->cr = s;
	if (r->cr < r->len && b[r->cr] != '\r') {
		hit = memchr(b + r->cr, '\r', r->len - r->cr);
		r->cr = hit ? (size_t)(hit - b) : r->len;
	}
	if (r->cr < r->lf) {
		i = r->cr;
		if (i + 1 == r->len) {
			/* A CR ending the buffer: the next byte decides. */
			if (r->eof)
				return r->len;
			r->scan = i;
			return 0;
		}
		/* A CR before LF is the CRLF at the end of this line. */
		if (b[i + 1] != '\n')
			return i + 1;
	}
	if (r->lf < r->len)
		return r->lf + 1;
	if (r->eof)
		return r->len;
	r->scan = r->len;
	return 0;
}

static void
quoting_error(struct reader *r, const char *seg, size_t done)
{
	const char *what;
	const char *name;
	enum kpi_status st;
	size_t i;

	/* libcsv stops at the offending byte.  In strict mode that is a quote
	 * in an unquoted field, or anything but a delimiter, blank or line end
	 * after the closing quote of a quoted one. */
	if (seg[done] == '"' && !r->p.quoted)
		what = "a quote inside an unquoted field (quote the whole "
		       "field and double the quote)";
	else if (r->p.quoted)
		what = "text after the closing quote (a quote inside a "
		       "quoted field must be doubled)";
	else
		what = "a quote inside an unquoted field, or text after a "
		       "closing quote";
	st = kpi_error_set(r->err, KPI_EPARSE, r->rec_line,
			   "malformed quoting in field %zu: %s", r->nf + 1,
			   what);
	/* r->nf fields of the record are complete, the next one is bad. */
	if (r->have_header && r->nf < r->width) {
		name = r->hnames;
		for (i = 0; i < r->nf; i++)
			name += strlen(name) + 1;
		kpi_error_column(r->err, st, name);
	}
	reader_fail(r, st);
}

/* True when [pos, end) holds a quote.  Like lf and cr, the next quote is
 * searched for once per occurrence, so a file without quotes costs one
 * search per buffer. */
static int
has_quote(struct reader *r, size_t end)
{
	const char *hit;

	if (r->quote < r->pos)
		r->quote = r->pos;
	if (r->quote < r->len && r->buf[r->quote] != '"') {
		hit = memchr(r->buf + r->quote, '"', r->len - r->quote);
		r->quote = hit ? (size_t)(hit - r->buf) : r->len;
	}
	return r->quote < end;
}

static int
is_blank_char(char c)
{
	return c == ' ' || c == '\t';
}

/* A field of the fast path, [a, q): trim it, terminate it, return its
 * start.  Most fields start and end with a byte above ' ', which settles
 * the test in one comparison. */
static inline char *
fast_field(char *a, char *q)
{
	while (a < q && (unsigned char)*a <= ' ' && is_blank_char(*a))
		a++;
	while (q > a && (unsigned char)q[-1] <= ' ' && is_blank_char(q[-1]))
		q--;
	*q = '\0';
	return a;
}

/* The fast path finds delimiters a word at a time on little-endian
 * machines and with memchr() elsewhere; -DSCAN_WORDS=0 tests the latter. */
#ifndef SCAN_WORDS
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SCAN_WORDS 1
#else
#define SCAN_WORDS 0
#endif
#endif
#define SCAN_WORD sizeof(uint64_t)

/*
 * The fast path: a segment with no quote, taken while libcsv is between
 * records, split here as libcsv would split it.  Such a line is one record
 * of unquoted fields: split at every delimiter, each field trimmed of the
 * blanks libcsv's default space test knows (' ' and '\t'; a blank that is
 * the delimiter splits instead, so it never reaches a field), and no record
 * at all when the line holds only blanks.  CSV_STRICT only judges quotes,
 * so it cannot reject such a line.  libcsv stays idle and sees none of it.
 */
static void
fast_segment(struct reader *r, size_t end)
{
	const char *seg = r->buf + r->pos;
	size_t len = end - r->pos;
	const char d = (char)r->delim;
	size_t nf, base;
	char *f, *a, *q, *stop;
#if SCAN_WORDS
	const uint64_t ones = 0x0101010101010101u;
	const uint64_t low7 = 0x7F7F7F7F7F7F7F7Fu;
	const uint64_t dd = ones * (unsigned char)d;
	uint64_t x, m;
	size_t i;
#endif

	/* A segment holds CR or LF only as its terminator. */
	if (len > 0 && seg[len - 1] == '\n')
		len--;
	if (len > 0 && seg[len - 1] == '\r')
		len--;
	/* The fields are the line's bytes less the blanks trimmed, with a NUL
	 * in place of each delimiter and one at the end; a word of NULs
	 * after the line lets the scan read whole words.  They go after the
	 * records kept for on_batch, if there is room; fbuf grows only when
	 * it holds none, so that their fields do not move. */
	if (r->flen + len + 1 + SCAN_WORD > r->fcap) {
		flush_batch(r);
		if (r->st != KPI_OK)
			return;
	}
	if (len + 1 + SCAN_WORD > r->fcap && grow_fbuf(r, len + 1 + SCAN_WORD))
		return;
	f = r->fbuf + r->flen;
	base = nf = r->nf;
	memcpy(f, seg, len);
	stop = f + len;
	memset(stop, 0, 1 + SCAN_WORD);
	a = f;
#if SCAN_WORDS
	/* A word at a time: x has a zero byte where the line has d, and m
	 * gets exactly those bytes' high bits (no false hits from a borrow,
	 * unlike the shorter (x - ones) & ~x test).  d is never NUL, so the
	 * padding matches nothing.  A word ends at most SCAN_WORD fields,
	 * and the last field needs a slot too. */
	for (i = 0; i < len; i += SCAN_WORD) {
		memcpy(&x, f + i, SCAN_WORD);
		x ^= dd;
		m = ~(((x & low7) + low7) | x | low7);
		if (!m)
			continue;
		while (r->nfcap - nf <= SCAN_WORD) {
			if (grow_fields(r))
				return;
		}
		do {
			q = f + i + (size_t)__builtin_ctzll(m) / 8;
			m &= m - 1;
			r->fields[nf++] = fast_field(a, q);
			a = q + 1;
		} while (m);
	}
#else
	for (;;) {
		q = memchr(a, d, (size_t)(stop - a));
		if (!q)
			break;
		if (nf + 1 == r->nfcap && grow_fields(r))
			return;
		r->fields[nf++] = fast_field(a, q);
		a = q + 1;
	}
#endif
	r->fields[nf++] = fast_field(a, stop);
	/* One field (no delimiter) that trimmed to nothing: a blank line,
	 * which libcsv skips. */
	if (nf == base + 1 && r->fields[base][0] == '\0')
		return;
	r->nf = nf;
	r->flen += len + 1;
	deliver(r, end);
}

/* The slow path: a segment for libcsv. */
static void
parse_segment(struct reader *r, size_t end, int was_idle)
{
	const char *seg = r->buf + r->pos;
	size_t n = end - r->pos;
	size_t done, need;
	int code;

	/* The record's fields with their NULs take at most its bytes so far
	 * plus one: a field holds at most its own input bytes, and each ends
	 * at a delimiter or line end byte of its own, the last one perhaps
	 * at the end of input.  Twice that leaves a margin, and field_cb()
	 * may write SHORT_FIELD bytes for any field. */
	need = 2 * (end - r->rec_start) + 2 + SHORT_FIELD;
	if (need > r->fcap && grow_fbuf(r, need))
		return;
	r->seg_end = end;
	r->got_record = 0;
	done = csv_parse(&r->p, seg, n, field_cb, record_cb, r);
	if (done < n && r->st == KPI_OK) {
		code = csv_error(&r->p);
		if (code == CSV_EPARSE) {
			quoting_error(r, seg, done);
		} else {
			const char *msg = csv_strerror(code);

			reader_fail(r, kpi_error_set(r->err, KPI_ENOMEM,
						     r->rec_line, "%s", msg));
		}
	}
	if (r->got_record)
		r->in_rec = 0;
	else if (was_idle)
		r->in_rec = !is_blank(seg, n, r->delim);
}

/* Name the column a NUL byte is in: count the delimiters outside quotes
 * from the start of its record (a doubled quote toggles twice).  Only data
 * records have one; a NUL in the header names none. */
static void
nul_column(struct reader *r, int was_idle)
{
	size_t i = was_idle ? r->pos : r->rec_start;
	size_t field = 0;
	int quoted = 0;
	const char *name;

	if (!r->have_header)
		return;
	for (; i < r->nul_at; i++) {
		if (r->buf[i] == '"')
			quoted = !quoted;
		else if (!quoted && (unsigned char)r->buf[i] == r->delim)
			field++;
	}
	if (field >= r->width)
		return;
	name = r->hnames;
	while (field-- > 0)
		name += strlen(name) + 1;
	kpi_error_column(r->err, KPI_EPARSE, name);
}

/* Parse the segment [pos, end): one physical line with its terminator.
 * in_rec says whether libcsv is inside a record (a quoted field that spans
 * lines); only when it is not can a quote-free line skip libcsv. */
static void
feed_segment(struct reader *r, size_t end)
{
	int was_idle = !r->in_rec;

	/* Fields are C strings: a NUL would silently cut one short. */
	if (r->have_nul && r->nul_at < end) {
		flush_batch(r);
		if (r->st != KPI_OK)
			return;
		reader_fail(r, kpi_error_set(r->err, KPI_EPARSE, r->line,
					     "NUL byte in input"));
		nul_column(r, was_idle);
		return;
	}
	if (was_idle) {
		r->rec_start = r->pos;
		r->rec_line = r->line;
		r->field_line = r->line;
	}
	if (was_idle && r->fast && !has_quote(r, end)) {
		fast_segment(r, end);
	} else {
		/* libcsv's fields start at the start of fbuf. */
		flush_batch(r);
		if (r->st != KPI_OK)
			return;
		parse_segment(r, end, was_idle);
	}
	if (r->buf[end - 1] == '\n')
		r->line++;
	r->pos = end;
	r->scan = end;
}

/* Make room and read more input.  Bytes still needed (the record in
 * progress, or the incomplete line) move to the front of the buffer. */
static void
fill(struct reader *r)
{
	size_t keep = r->in_rec ? r->rec_start : r->pos;
	size_t n, got;
	char *p;
	const char *hit;

	/* The records kept for on_batch have their raw bytes in buf. */
	flush_batch(r);
	if (r->st != KPI_OK)
		return;

	if (keep > 0) {
		memmove(r->buf, r->buf + keep, r->len - keep);
		r->len -= keep;
		r->pos -= keep;
		r->scan -= keep;
		r->lf = r->lf > keep ? r->lf - keep : 0;
		r->cr = r->cr > keep ? r->cr - keep : 0;
		r->quote = r->quote > keep ? r->quote - keep : 0;
		r->rec_start = r->in_rec ? r->rec_start - keep : 0;
		if (r->have_nul)
			r->nul_at -= keep;
	}
	/* Grow while one record fills more than half the buffer, so that reads
	 * stay large and a huge record costs O(n) in copies overall. */
	if (r->len > r->cap / 2 && r->cap < RECORD_MAX) {
		n = r->cap * 2;
		p = realloc(r->buf, n);
		if (!p) {
			reader_fail(r, kpi_error_set(r->err, KPI_ENOMEM,
						     r->line, "out of memory"));
			return;
		}
		r->buf = p;
		r->cap = n;
	}
	if (r->len == r->cap) {
		reader_fail(r, kpi_error_set(r->err, KPI_ENOMEM,
			    r->in_rec ? r->rec_line : r->line,
			    "record larger than %zu MiB", RECORD_MAX >> 20));
		return;
	}
	got = fread(r->buf + r->len, 1, r->cap - r->len, r->in_file);
	if (ferror(r->in_file)) {
		int e = errno;

		reader_fail(r, kpi_error_set(r->err, KPI_EIO, 0,
					     "read error: %s", strerror(e)));
		return;
	}
	if (got == 0 || feof(r->in_file))
		r->eof = 1;
	if (!r->have_nul && got > 0) {
		hit = memchr(r->buf + r->len, '\0', got);
		if (hit) {
			r->have_nul = 1;
			r->nul_at = (size_t)(hit - r->buf);
		}
	}
	r->len += got;
}

enum kpi_status
kpi_csv_read(FILE *in, const struct kpi_csv_options *opt,
	     kpi_csv_record_fn on_header, kpi_csv_record_fn on_record,
	     void *ctx, struct kpi_error *err)
{
	struct reader r;
	unsigned char delim = ',';
	int parser_ready = 0, fini;
	size_t end;

	kpi_error_clear(err);
	if (opt && opt->delimiter)
		delim = (unsigned char)opt->delimiter;
	if (!in)
		return kpi_error_set(err, KPI_EINVAL, 0, "no input stream");
	if (delim == '"' || delim == '\r' || delim == '\n')
		return kpi_error_set(err, KPI_EINVAL, 0, "the delimiter cannot "
				     "be a quote or a line break");

	memset(&r, 0, sizeof(r));
	r.in_file = in;
	r.on_header = on_header;
	r.on_record = on_record;
	r.on_bad_width = opt ? opt->on_bad_width : NULL;
	r.on_batch = opt ? opt->on_batch : NULL;
	r.ctx = ctx;
	r.err = err;
	r.delim = delim;
	r.fast = !fast_path_off;
	r.line = 1;
	r.cap = READ_SIZE;
	r.fcap = r.on_batch ? BATCH_FBUF : FIELDBUF_INIT;
	r.nfcap = FIELDS_INIT;
	r.buf = malloc(r.cap);
	r.fbuf = malloc(r.fcap);
	r.fields = malloc(r.nfcap * sizeof(*r.fields));
	if (!r.buf || !r.fbuf || !r.fields ||
	    csv_init(&r.p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
		r.st = kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		goto out;
	}
	parser_ready = 1;
	csv_set_delim(&r.p, delim);
	csv_set_realloc_func(&r.p, geometric_realloc);
	csv_set_free_func(&r.p, geometric_free);
	csv_set_blk_size(&r.p, 4096);

	for (;;) {
		/* Excel writes a UTF-8 BOM; libcsv would glue it to the first
		 * column name. */
		if (!r.bom_done && (r.len >= sizeof(utf8_bom) || r.eof)) {
			if (r.len >= sizeof(utf8_bom) &&
			    memcmp(r.buf, utf8_bom, sizeof(utf8_bom)) == 0) {
				r.pos = sizeof(utf8_bom);
				r.scan = r.pos;
			}
			r.bom_done = 1;
		}
		while (r.bom_done && r.st == KPI_OK) {
			end = next_segment(&r);
			if (!end)
				break;
			feed_segment(&r, end);
		}
		if (r.st != KPI_OK || r.eof)
			break;
		fill(&r);
	}

	flush_batch(&r);
	/* csv_fini() hands over a last record that has no line end; its
	 * callbacks are no-ops once the read has stopped. */
	r.seg_end = r.len;
	fini = csv_fini(&r.p, field_cb, record_cb, &r);
	flush_batch(&r);
	if (fini != 0 && r.st == KPI_OK)
		r.st = kpi_error_set(err, KPI_EPARSE, r.field_line,
				     "unterminated quoted field");
	if (r.st == KPI_OK && !r.have_header)
		r.st = kpi_error_set(err, KPI_EPARSE, 0,
				     "empty input (no header row)");
out:
	if (parser_ready)
		csv_free(&r.p);
	free(r.buf);
	free(r.fbuf);
	free(r.fields);
	free(r.hnames);
	return r.st;
}

void
kpi_csv_set_fast_path(int on)
{
	fast_path_off = !on;
}

/* ==== Header map ==== */

struct kpi_csv_header {
	size_t n;
	char **names;		/* point into the same allocation */
};

/* Column lists in messages stop after this many names. */
#define LIST_NAMES_MAX	20

enum kpi_status
kpi_csv_header_new(struct kpi_csv_header **out,
		   const struct kpi_csv_record *rec, struct kpi_error *err)
{
	struct kpi_csv_header *h;
	size_t i, bytes, len;
	char *p;

	/* One block: the struct, the pointer array, then the names. */
	bytes = sizeof(*h) + rec->nfields * sizeof(char *);
	for (i = 0; i < rec->nfields; i++)
		bytes += strlen(rec->fields[i]) + 1;
	h = malloc(bytes);
	if (!h)
		return kpi_error_set(err, KPI_ENOMEM, rec->line,
				     "out of memory");
	h->n = rec->nfields;
	h->names = (char **)(h + 1);
	p = (char *)(h->names + h->n);
	for (i = 0; i < h->n; i++) {
		len = strlen(rec->fields[i]) + 1;
		memcpy(p, rec->fields[i], len);
		h->names[i] = p;
		p += len;
	}
	*out = h;
	return KPI_OK;
}

void
kpi_csv_header_free(struct kpi_csv_header *h)
{
	free(h);
}

size_t
kpi_csv_header_count(const struct kpi_csv_header *h)
{
	return h ? h->n : 0;
}

const char *
kpi_csv_header_name(const struct kpi_csv_header *h, size_t index)
{
	if (!h || index >= h->n)
		return NULL;
	return h->names[index];
}

/* Append printf output to buf[*len..size), keeping it NUL-terminated;
 * returns 0 when it did not fit (and then appends nothing). */
__attribute__((format(printf, 4, 5)))
static int
append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len) {
		buf[*len] = '\0';
		return 0;
	}
	*len += (size_t)n;
	return 1;
}

static enum kpi_status
unknown_column(const struct kpi_csv_header *h, const char *name,
	       struct kpi_error *err)
{
	char list[KPI_ERROR_MSG_MAX];
	/* The names get what the message leaves, less room for
	 * ", ... (N more)", so that the count always shows. */
	size_t room = sizeof(list) - 32;
	int head = snprintf(NULL, 0, "no column \"%s\"; the columns are: ",
			    name);
	size_t len = 0, i;
	const char *sep;
	const char *shown;

	room = head >= 0 && (size_t)head < room ? room - (size_t)head : 1;
	list[0] = '\0';
	for (i = 0; i < h->n && i < LIST_NAMES_MAX; i++) {
		sep = i ? ", " : "";
		shown = h->names[i][0] ? h->names[i] : "\"\"";
		if (!append(list, room, &len, "%s%s", sep, shown))
			break;
	}
	if (i < h->n)
		append(list, sizeof(list), &len, "%s... (%zu more)",
		       i ? ", " : "", h->n - i);
	if (h->n == 0)
		kpi_error_set(err, KPI_EINVAL, 0,
			      "no column \"%s\"; the header has no columns",
			      name);
	else
		kpi_error_set(err, KPI_EINVAL, 0,
			      "no column \"%s\"; the columns are: %s", name,
			      list);
	return kpi_error_column(err, KPI_EINVAL, name);
}

static enum kpi_status
ambiguous_column(const struct kpi_csv_header *h, const char *name,
		 size_t nmatch, struct kpi_error *err)
{
	char list[KPI_ERROR_MSG_MAX];
	size_t len = 0, i, seen = 0;
	const char *sep;

	list[0] = '\0';
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->names[i], name) != 0)
			continue;
		seen++;
		sep = seen == 1 ? "" : seen == nmatch ? " and " : ", ";
		if (!append(list, sizeof(list), &len, "%s%zu", sep, i + 1))
			break;
	}
	kpi_error_set(err, KPI_EINVAL, 0,
		      "column \"%s\" is ambiguous: it is columns %s", name,
		      list);
	return kpi_error_column(err, KPI_EINVAL, name);
}

enum kpi_status
kpi_csv_header_find(const struct kpi_csv_header *h, const char *name,
		    size_t *index, struct kpi_error *err)
{
	size_t i, nmatch = 0, first = 0, num = 0;
	const char *s;

	if (!h || !name)
		return kpi_error_set(err, KPI_EINVAL, 0, "no column name");
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->names[i], name) == 0 && nmatch++ == 0)
			first = i;
	}
	if (nmatch == 1) {
		*index = first;
		return KPI_OK;
	}
	if (nmatch > 1)
		return ambiguous_column(h, name, nmatch, err);

	/* A number picks a column by position, for files without useful
	 * names; the digits are capped so that the value cannot overflow. */
	for (s = name; *s >= '0' && *s <= '9' && num <= h->n; s++)
		num = num * 10 + (size_t)(*s - '0');
	if (s != name && *s == '\0' && num >= 1 && num <= h->n) {
		*index = num - 1;
		return KPI_OK;
	}
	return unknown_column(h, name, err);
}

int
kpi_csv_header_equal(const struct kpi_csv_header *a,
		     const struct kpi_csv_header *b)
{
	size_t i;

	if (a == b)
		return 1;
	if (!a || !b || a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->names[i], b->names[i]) != 0)
			return 0;
	}
	return 1;
}

/* ==== Writer ==== */

void
kpi_csv_writer_init(struct kpi_csv_writer *w, FILE *out)
{
	w->out = out;
	w->first = 1;
	w->lone_empty = 0;
}

static int
needs_quotes(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	/* A reader trims unquoted blanks at either end. */
	if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t')
		return 1;
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case ',':
		case '"':
		case '\r':
		case '\n':
			return 1;
		}
	}
	return 0;
}

static void
write_quoted(FILE *out, const char *s, size_t len)
{
	const char *end = s + len;
	const char *q;

	putc_unlocked('"', out);
	while (s < end) {
		q = memchr(s, '"', (size_t)(end - s));
		if (!q) {
			fwrite(s, 1, (size_t)(end - s), out);
			break;
		}
		/* Write through the quote, then double it. */
		fwrite(s, 1, (size_t)(q - s) + 1, out);
		putc_unlocked('"', out);
		s = q + 1;
	}
	putc_unlocked('"', out);
}

void
kpi_csv_write_field(struct kpi_csv_writer *w, const char *s, size_t len)
{
	if (!w->first)
		putc_unlocked(',', w->out);
	w->lone_empty = w->first && len == 0;
	w->first = 0;
	if (len == 0)
		return;
	if (needs_quotes(s, len))
		write_quoted(w->out, s, len);
	else
		fwrite(s, 1, len, w->out);
}

void
kpi_csv_write_str(struct kpi_csv_writer *w, const char *s)
{
	if (s)
		kpi_csv_write_field(w, s, strlen(s));
	else
		kpi_csv_write_field(w, "", 0);
}

void
kpi_csv_write_empty(struct kpi_csv_writer *w)
{
	kpi_csv_write_field(w, "", 0);
}

void
kpi_csv_write_double(struct kpi_csv_writer *w, double x, int precision)
{
	char buf[KPI_NUM_BUFSZ];
	size_t len = kpi_num_format(x, precision, buf);

	kpi_csv_write_field(w, buf, len);
}

void
kpi_csv_write_long(struct kpi_csv_writer *w, long long x)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	/* Negate in unsigned arithmetic: -LLONG_MIN does not fit. */
	unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x :
				       (unsigned long long)x;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		*--p = '-';
	kpi_csv_write_field(w, p, (size_t)(buf + sizeof(buf) - p));
}

void
kpi_csv_end_row(struct kpi_csv_writer *w)
{
	/* A row that is one empty field would be a blank line, which readers
	 * skip; "" keeps the row. */
	if (w->lone_empty)
		fwrite("\"\"", 1, 2, w->out);
	putc_unlocked('\n', w->out);
	w->first = 1;
	w->lone_empty = 0;
}

enum kpi_status
kpi_csv_writer_status(const struct kpi_csv_writer *w)
{
	return ferror(w->out) ? KPI_EIO : KPI_OK;
}
