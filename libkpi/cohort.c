/* cohort.c - customer cohorts: logo and revenue retention, the LTV curve,
 * net and gross revenue retention (see kpi/cohort.h for the design). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kpi/cohort.h"
#include "kpi/group.h"
#include "kpi/keyorder.h"
#include "kpi/num.h"

#define NBUCKETS 256
#define DEFAULT_BUCKET_BYTES ((size_t)32 * 1024)
#define FIRST_BUCKET_BYTES ((size_t)1024)
#define MAX_ID_LEN 65535
#define NO_CHUNK UINT64_MAX
#define CHUNK_HEAD 12		/* bytes before a chunk's records */
/* Pass 2 holds a whole bucket in memory.  A bucket of more than
 * SPLIT_BUFFERS bucket buffers (16 MiB by default) is first split by four
 * more bits of the id's hash into SPLIT_WAYS buckets, written through the
 * temporary file, and each is processed or split again in turn: the
 * recursive partitioning of the Grace hash join (Kitsuregawa, Tanaka &
 * Moto-oka 1983), so that memory stays flat however many events come, at
 * the cost of writing a big bucket's records once more.  The table of
 * local customers hashes the low bits; splits take the high ones, at most
 * MAX_SPLITS times (a single customer's events cannot be split). */
#define SPLIT_BUFFERS 512
#define SPLIT_BITS 4
#define SPLIT_WAYS (1 << SPLIT_BITS)
#define MAX_SPLITS 4

/*
 * An event as kept between the passes, packed into its bucket's bytes
 * (fields read and written with memcpy; which are present depends on the
 * options, and is the same for every record of a run):
 *	uint32_t hash		low bits of the id's hash
 *	int32_t period		period index of the date
 *	double amount		with a value column
 *	uint32_t group		group slot, with -g
 *	int32_t cohort		cohort day, with a cohort column
 *	uint16_t idlen, then the id's bytes
 */

/* A bucket's bytes are written to the temporary file in chunks, each
 * after a head of CHUNK_HEAD bytes: the offset of the bucket's chunk before
 * it (NO_CHUNK for the first) and its length.  Only a bucket's last chunk
 * is remembered in memory, so that nothing grows with the events; reading
 * a bucket back walks the chain backwards into `struct chunk`s. */
struct chunk {
	uint64_t offset;	/* of the records */
	uint32_t len;
};

struct bucket {
	unsigned char *buf;	/* the records not written out yet */
	size_t used, cap;
	uint64_t last;		/* head of its last chunk; NO_CHUNK: none */
	uint64_t spilled;	/* bytes of records in those chunks */
	uint64_t nrec;		/* records in all */
};

/* One (group, cohort, age) cell. */
struct cell {
	unsigned long long active;	/* customers active at this age */
	unsigned long long last;	/* customers whose last active age is this */
	struct kpi_sum revenue;
};

/* One (group, cohort) row of the table; its cells are ages 0..ncells-1. */
struct row {
	uint32_t group;
	int32_t cohort;
	unsigned long long size;
	size_t cells;		/* offset in the cell pool */
	size_t ncells;
};

/* Revenue movements of one group in one period. */
struct nrr_cell {
	unsigned long long start, retained, fresh, reactivated;
	struct kpi_sum start_rev, retained_rev, gross, expansion, contraction,
		churned, fresh_rev, reactivated_rev;
};

/* A row at one end of the periods, kept so that a span too long for the
 * table can be blamed on its row after the read. */
struct far_row {
	long period;
	unsigned long line;
	const char *input;
	const char *column;
	char text[KPI_DATE_BUFSZ];	/* the date as written, maybe cut */
};

/* One event of the customer being folded in. */
struct event {
	long period;
	double amount;
};

/* A customer's distinct active periods and their revenue. */
struct active {
	long period;
	double revenue;
};

/* A bucket's customers while it is processed: open addressing on the
 * id's hash; `local` is 1 + the customer's number in the bucket, 0 for an
 * empty place. */
struct local_slot {
	uint32_t hash;
	uint32_t local;
};

/* A customer seen while reading (with -g or a cohort column): one entry of
 * an open-addressing table, 24 bytes, so that checking a row costs one
 * cache line.  An id of up to 8 bytes is kept in `key`, zero-padded (ids
 * hold no NUL byte, so the padded bytes identify the id); a longer one in
 * seen_ids, at offset `key`, and SEEN_LONG is set in `group`. */
struct seen {
	uint64_t hash;		/* 0: an empty place */
	uint64_t key;
	uint32_t group;		/* group slot (below 2^31) | SEEN_LONG */
	int32_t cohort;		/* cohort day */
};

#define SEEN_LONG UINT32_C(0x80000000)

/* The last date text of a column and its day: exports sorted by date
 * repeat the same text row after row, and parsing it is a tenth of the
 * reading time. */
struct date_cache {
	char text[40];
	size_t len;		/* 0: empty cache */
	long day;
};

struct kpi_cohort {
	const struct kpi_cohort_options *opt;
	const struct kpi_csv_header *header;
	size_t id_idx, time_idx, value_idx, cohort_idx;
	size_t *group_idx;
	const char **parts;
	size_t *lens;

	struct kpi_group *groups;	/* group tuples (with -g) */
	/* Only to check, as rows arrive, that a customer keeps its group and
	 * cohort date (with -g or a cohort column). */
	int check;
	struct seen *seen;
	size_t nseen, seen_cap;
	unsigned char *seen_ids;	/* ids longer than 8 bytes */
	size_t seen_ids_len, seen_ids_cap;

	/* Pass 1: events by bucket, spilled to a temporary file. */
	size_t off_amount, off_group, off_cohort, off_len, rec_head;
	struct bucket buckets[NBUCKETS];
	size_t bucket_bytes;
	struct chunk *chunks;		/* one bucket's, while it is read */
	size_t nchunks, chunks_cap;
	int fd;
	uint64_t file_size;

	struct date_cache time_cache, cohort_cache;
	long week_rem;			/* first days of weeks are this mod 7 */
	long cache_day, cache_idx;	/* the last day's period */
	int cache_ok;
	long last_day;
	int have_day;
	long pmin;			/* earliest period index (events, cohorts) */
	const char *input;		/* the input rows come from now */
	struct far_row first, last;	/* the earliest and latest periods */
	int have_far;
	long first2, last2;		/* the next distinct ones inward */
	const char *error_input;	/* of the row the last error names */
	unsigned long long rows, ignored;

	/* Pass 2: the table. */
	int finished;
	size_t ncustomers;
	long as_of, asof_idx, last_complete;
	struct kpi_group *rowkeys;	/* (group, cohort) -> row */
	struct row *rowv;
	size_t nrows, rows_cap;
	struct cell *cells;
	size_t ncells, cells_cap;
	struct nrr_cell **nrr;		/* [group][period - pmin] */
	unsigned long long nrr_cells;	/* groups x periods of nrr */
	long *group_first;		/* [group] earliest event period */
	size_t ngroups;
	size_t *group_rank;		/* [group] position in output order */
	struct event *ev;		/* one customer's events */
	size_t ev_cap;
	struct active *act;		/* one customer's periods */
	size_t act_cap;
	/* one bucket */
	unsigned char *loaded;
	size_t loaded_cap;
	uint32_t *rec_local, *rec_off, *by_customer;
	size_t rec_cap;
	uint32_t *first_off;		/* [local] the customer's first record */
	size_t *counts;
	size_t counts_cap;
	size_t local_cap;
	struct local_slot *table;
	size_t table_cap;
};

static enum kpi_status
nomem(struct kpi_error *err)
{
	return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
}

/* Grow the array that the pointer at `pp` points to (elements of `size`
 * bytes, *cap of them) to hold at least `need`, doubling from `first` but
 * to no more than `max` elements when `need` is within it.
 * The pointer is read and written with memcpy, so that one function serves
 * arrays of any type without an aliasing cast.  -1 when out of memory (the
 * array is then as it was). */
static int
grow_array_max(void *pp, size_t *cap, size_t need, size_t size, size_t first,
	       size_t max)
{
	size_t n = *cap ? *cap : first;
	void *p, *q;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return -1;
		n *= 2;
	}
	if (n > max && need <= max)
		n = max;
	memcpy(&p, pp, sizeof(p));
	q = realloc(p, n * size);
	if (!q)
		return -1;
	memcpy(pp, &q, sizeof(q));
	*cap = n;
	return 0;
}

static int
grow_array(void *pp, size_t *cap, size_t need, size_t size, size_t first)
{
	return grow_array_max(pp, cap, need, size, first, SIZE_MAX);
}

/* ==== Names ==== */

static const char *const measure_names[] = {
	"active", "retention", "retention_lo", "retention_hi", "revenue",
	"revenue_retention", "ltv",
};

enum kpi_status
kpi_cohort_measure_parse(const char *s, enum kpi_cohort_measure *out,
			 struct kpi_error *err)
{
	size_t i;

	if (strcmp(s, "logo") == 0) {
		*out = KPI_COHORT_RETENTION;
		return KPI_OK;
	}
	for (i = 0; i < sizeof(measure_names) / sizeof(measure_names[0]); i++)
		if (strcmp(s, measure_names[i]) == 0) {
			*out = (enum kpi_cohort_measure)i;
			return KPI_OK;
		}
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "\"%s\" is not a measure (expected active, retention or logo, retention_lo, retention_hi, revenue, revenue_retention or ltv)",
			     s);
}

const char *
kpi_cohort_measure_name(enum kpi_cohort_measure m)
{
	if ((size_t)m < sizeof(measure_names) / sizeof(measure_names[0]))
		return measure_names[m];
	return "";
}

int
kpi_cohort_measure_needs_value(enum kpi_cohort_measure m)
{
	return m == KPI_COHORT_REVENUE || m == KPI_COHORT_REVENUE_RETENTION ||
	       m == KPI_COHORT_LTV;
}

enum kpi_status
kpi_cohort_mode_parse(const char *s, enum kpi_cohort_mode *out,
		      struct kpi_error *err)
{
	if (strcmp(s, "return-on") == 0 || strcmp(s, "on") == 0) {
		*out = KPI_COHORT_RETURN_ON;
		return KPI_OK;
	}
	if (strcmp(s, "return-on-or-after") == 0 ||
	    strcmp(s, "on-or-after") == 0 || strcmp(s, "unbounded") == 0) {
		*out = KPI_COHORT_RETURN_ON_OR_AFTER;
		return KPI_OK;
	}
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "\"%s\" is not a mode (expected return-on or return-on-or-after)",
			     s);
}

/* ==== Periods as consecutive integers ==== */

static long
floor_div(long a, long b)
{
	long q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Months per period and the month (0-11) periods are aligned to, for the
 * month-based units. */
static void
month_unit(const struct kpi_cohort *c, long *n, long *offset)
{
	int fs = c->opt->common->cal.fiscal_start;

	if (fs < 1 || fs > 12)
		fs = 1;
	switch (c->opt->every) {
	case KPI_PERIOD_QUARTER:
		*n = 3;
		*offset = fs - 1;
		break;
	case KPI_PERIOD_YEAR:
		*n = 12;
		*offset = fs - 1;
		break;
	default:
		*n = 1;
		*offset = 0;
		break;
	}
}

/* The index of the period that starts on `start`: the next period has the
 * next index.  Days count themselves, weeks their first day / 7, months
 * and longer their first month. */
static long
index_of_start(const struct kpi_cohort *c, long start)
{
	long n, offset;
	int y, m, d;

	switch (c->opt->every) {
	case KPI_PERIOD_DAY:
		return start;
	case KPI_PERIOD_WEEK:
		return floor_div(start, 7);
	default:
		month_unit(c, &n, &offset);
		kpi_date_to_ymd(start, &y, &m, &d);
		return floor_div((long)y * 12 + (m - 1) - offset, n);
	}
}

/* The first day of period `idx`, or LONG_MIN for a period that starts
 * outside years 1..9999 (none does: indexes come from days in range). */
static long
start_of_index(const struct kpi_cohort *c, long idx)
{
	long n, offset, mi, day;

	switch (c->opt->every) {
	case KPI_PERIOD_DAY:
		return idx;
	case KPI_PERIOD_WEEK:
		return idx * 7 + c->week_rem;
	default:
		month_unit(c, &n, &offset);
		mi = idx * n + offset;
		if (kpi_date_from_ymd((int)floor_div(mi, 12),
				      (int)(mi - floor_div(mi, 12) * 12) + 1, 1,
				      &day, NULL) != KPI_OK)
			return LONG_MIN;
		return day;
	}
}

/* The period index of a day in range; KPI_EPARSE when the period starts
 * before year 1 (a fiscal period of the first days of year 1). */
static enum kpi_status
period_of(struct kpi_cohort *c, long day, long *idx, struct kpi_error *err)
{
	long start;

	if (c->cache_ok && day == c->cache_day) {
		*idx = c->cache_idx;
		return KPI_OK;
	}
	start = kpi_period_start(day, c->opt->every, &c->opt->common->cal);
	if (!kpi_date_in_range(start))
		return kpi_error_set(err, KPI_EPARSE, 0,
				     "the %s of this date starts before year 1",
				     kpi_period_unit_name(c->opt->every));
	c->cache_day = day;
	c->cache_idx = index_of_start(c, start);
	c->cache_ok = 1;
	*idx = c->cache_idx;
	return KPI_OK;
}

/* ==== Set-up ==== */

enum kpi_status
kpi_cohort_new(struct kpi_cohort **out, const struct kpi_cohort_options *opt,
	       struct kpi_error *err)
{
	struct kpi_cohort *c;
	size_t i, ngroup = opt->ngroup;
	long ws;

	if (!opt->id_col || !opt->time_col || !opt->common)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "a customer id column and a date column are needed");
	if (opt->nrr_lag < 0)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "the NRR lag must not be negative");
	c = calloc(1, sizeof(*c));
	if (!c)
		return nomem(err);
	c->opt = opt;
	c->fd = -1;
	c->bucket_bytes = opt->bucket_bytes ? opt->bucket_bytes
					    : DEFAULT_BUCKET_BYTES;
	if (c->bucket_bytes > UINT32_MAX / 2)
		c->bucket_bytes = UINT32_MAX / 2;
	c->off_amount = 8;
	c->off_group = c->off_amount + (opt->value_col ? sizeof(double) : 0);
	c->off_cohort = c->off_group + (ngroup ? sizeof(uint32_t) : 0);
	c->off_len = c->off_cohort + (opt->cohort_col ? sizeof(int32_t) : 0);
	c->rec_head = c->off_len + sizeof(uint16_t);
	for (i = 0; i < NBUCKETS; i++)
		c->buckets[i].last = NO_CHUNK;
	ws = kpi_period_start(0, KPI_PERIOD_WEEK, &opt->common->cal);
	c->week_rem = ws - floor_div(ws, 7) * 7;
	c->group_idx = calloc(ngroup + 1, sizeof(*c->group_idx));
	c->parts = calloc(ngroup + 1, sizeof(*c->parts));
	c->lens = calloc(ngroup + 1, sizeof(*c->lens));
	c->check = ngroup || opt->cohort_col;
	if (!c->group_idx || !c->parts || !c->lens ||
	    (ngroup && kpi_group_new(&c->groups, ngroup, err) != KPI_OK)) {
		kpi_cohort_free(c);
		return nomem(err);
	}
	*out = c;
	return KPI_OK;
}

static void
free_seen(struct kpi_cohort *c)
{
	free(c->seen);
	free(c->seen_ids);
	c->seen = NULL;
	c->seen_ids = NULL;
	c->nseen = c->seen_cap = c->seen_ids_len = c->seen_ids_cap = 0;
}

/* The memory of pass 2's per-bucket work. */
static void
free_bucket_work(struct kpi_cohort *c)
{
	free(c->ev);
	free(c->act);
	free(c->loaded);
	free(c->rec_local);
	free(c->rec_off);
	free(c->by_customer);
	free(c->first_off);
	free(c->counts);
	free(c->table);
	c->ev = NULL;
	c->act = NULL;
	c->loaded = NULL;
	c->rec_local = c->rec_off = c->by_customer = c->first_off = NULL;
	c->counts = NULL;
	c->table = NULL;
	c->ev_cap = c->act_cap = c->loaded_cap = c->rec_cap = 0;
	c->counts_cap = c->local_cap = c->table_cap = 0;
}

static void
release_buckets(struct kpi_cohort *c)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		free(c->buckets[i].buf);
		c->buckets[i].buf = NULL;
		c->buckets[i].used = c->buckets[i].cap = 0;
	}
	free(c->chunks);
	c->chunks = NULL;
	c->nchunks = c->chunks_cap = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
kpi_cohort_free(struct kpi_cohort *c)
{
	size_t i;

	if (!c)
		return;
	release_buckets(c);
	kpi_group_free(c->groups);
	free_seen(c);
	kpi_group_free(c->rowkeys);
	for (i = 0; c->nrr && i < c->ngroups; i++)
		free(c->nrr[i]);
	free(c->nrr);
	free(c->group_first);
	free(c->group_rank);
	free(c->group_idx);
	free(c->parts);
	free(c->lens);
	free(c->rowv);
	free(c->cells);
	free_bucket_work(c);
	free(c);
}

static enum kpi_status
find_column(const struct kpi_csv_header *h, const char *name, size_t *idx,
	    struct kpi_error *err)
{
	enum kpi_status st = kpi_csv_header_find(h, name, idx, err);

	return st == KPI_OK ? st : kpi_error_column(err, st, name);
}

enum kpi_status
kpi_cohort_header(struct kpi_cohort *c, const struct kpi_csv_header *h,
		  struct kpi_error *err)
{
	const struct kpi_cohort_options *opt = c->opt;
	enum kpi_status st;
	size_t i;

	c->header = h;
	st = find_column(h, opt->id_col, &c->id_idx, err);
	if (st == KPI_OK)
		st = find_column(h, opt->time_col, &c->time_idx, err);
	if (st == KPI_OK && opt->value_col)
		st = find_column(h, opt->value_col, &c->value_idx, err);
	if (st == KPI_OK && opt->cohort_col)
		st = find_column(h, opt->cohort_col, &c->cohort_idx, err);
	for (i = 0; st == KPI_OK && i < opt->ngroup; i++)
		st = find_column(h, opt->group_cols[i], &c->group_idx[i], err);
	return st;
}

/* ==== Pass 1: reading ==== */

static enum kpi_status
bad_row(struct kpi_error *err, enum kpi_status st, unsigned long line,
	const char *column)
{
	if (err)
		err->line = line;
	return kpi_error_column(err, st, column);
}

/* A date field into a day number; a missing one is an error. */
static enum kpi_status
parse_day(const struct kpi_cohort *c, struct date_cache *cache,
	  const char *field, const char *column, const char *what,
	  unsigned long line, long *day, struct kpi_error *err)
{
	const struct kpi_cohort_options *opt = c->opt;
	size_t len = strlen(field);
	enum kpi_status st;

	if (cache->len && len == cache->len &&
	    memcmp(field, cache->text, len) == 0) {
		*day = cache->day;
		return KPI_OK;
	}
	if (kpi_cli_is_missing(opt->common, field)) {
		kpi_error_set(err, KPI_EPARSE, line, "the %s is missing", what);
		return bad_row(err, KPI_EPARSE, line, column);
	}
	st = kpi_date_parse(field, opt->date_format, &opt->common->cal, day,
			    err);
	if (st != KPI_OK)
		return bad_row(err, st, line, column);
	if (len < sizeof(cache->text)) {
		memcpy(cache->text, field, len);
		cache->len = len;
		cache->day = *day;
	}
	return KPI_OK;
}

/* Markers other software writes for a missing value. */
static int
looks_missing(const char *s)
{
	static const char *const markers[] = {
		"NA", "N/A", "n/a", "NULL", "null", "None", "#N/A", "-", "?",
		"nan", "NaN",
	};
	size_t i;

	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strcmp(s, markers[i]) == 0)
			return 1;
	return 0;
}

static enum kpi_status
parse_amount(const struct kpi_cohort *c, const char *field, unsigned long line,
	     double *amount, struct kpi_error *err)
{
	const struct kpi_cohort_options *opt = c->opt;
	enum kpi_status st;

	*amount = 0;
	if (kpi_cli_is_missing(opt->common, field))
		return KPI_OK;
	st = kpi_num_parse(field, opt->common->decimal_comma, amount, err);
	if (st == KPI_OK)
		return st;
	if (err && looks_missing(field)) {
		size_t len = strlen(err->msg);

		snprintf(err->msg + len, sizeof(err->msg) - len,
			 " (to read it as missing, use --na)");
	}
	return bad_row(err, st, line, opt->value_col);
}

/* "a,b" for a group tuple (or this row's parts), for messages. */
static void
group_text(const struct kpi_cohort *c, size_t gslot, int from_row, char *buf,
	   size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < c->opt->ngroup && len + 1 < size; i++) {
		const char *p = from_row ? c->parts[i]
					 : kpi_group_part(c->groups, gslot, i, NULL);
		int n = snprintf(buf + len, size - len, "%s%s", i ? "," : "", p);

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

/* The group column where this row's tuple differs from group gslot. */
static const char *
differing_group_column(const struct kpi_cohort *c, size_t gslot)
{
	size_t i, len;

	for (i = 0; i < c->opt->ngroup; i++) {
		const char *p = kpi_group_part(c->groups, gslot, i, &len);

		if (len != c->lens[i] || memcmp(p, c->parts[i], len) != 0)
			return c->opt->group_cols[i];
	}
	return c->opt->group_cols[0];
}

/* A table of `cap` entries, all empty.  Large tables ask for huge pages:
 * the lookups are random, and with 4 KiB pages most would also miss the
 * TLB. */
static struct seen *
seen_alloc(size_t cap)
{
	size_t bytes = cap * sizeof(struct seen);
	void *p = NULL;

	if (cap > SIZE_MAX / sizeof(struct seen))
		return NULL;
	if (bytes >= ((size_t)2 << 20)) {
		if (posix_memalign(&p, (size_t)2 << 20, bytes) != 0)
			return NULL;
#ifdef MADV_HUGEPAGE
		madvise(p, bytes, MADV_HUGEPAGE);
#endif
	} else {
		p = malloc(bytes);
		if (!p)
			return NULL;
	}
	memset(p, 0, bytes);
	return p;
}

static int
seen_grow(struct kpi_cohort *c)
{
	size_t cap = c->seen_cap ? c->seen_cap * 2 : 4096, mask = cap - 1, i;
	struct seen *t = seen_alloc(cap);

	if (!t)
		return -1;
	for (i = 0; i < c->seen_cap; i++) {
		size_t j;

		if (!c->seen[i].hash)
			continue;
		for (j = c->seen[i].hash & mask; t[j].hash; j = (j + 1) & mask)
			;
		t[j] = c->seen[i];
	}
	free(c->seen);
	c->seen = t;
	c->seen_cap = cap;
	return 0;
}

static uint64_t
short_key(const char *id, size_t len)
{
	uint64_t k = 0;

	memcpy(&k, id, len);
	return k;
}

static int
seen_equal(const struct kpi_cohort *c, const struct seen *e, const char *id,
	   size_t len)
{
	uint32_t l;

	if (len <= 8)
		return !(e->group & SEEN_LONG) && e->key == short_key(id, len);
	if (!(e->group & SEEN_LONG))
		return 0;
	memcpy(&l, c->seen_ids + e->key, sizeof(l));
	return l == len && memcmp(c->seen_ids + e->key + sizeof(l), id, len) == 0;
}

/* The entry of an id; a new one (group and cohort to be set) when *added. */
static enum kpi_status
seen_find(struct kpi_cohort *c, const char *id, size_t len, uint64_t h,
	  struct seen **out, int *added, struct kpi_error *err)
{
	struct seen *e;
	size_t j, mask;

	if (h == 0)
		h = 1;
	if ((c->nseen + 1) * 2 > c->seen_cap && seen_grow(c) != 0)
		return nomem(err);
	mask = c->seen_cap - 1;
	for (j = h & mask; c->seen[j].hash; j = (j + 1) & mask) {
		if (c->seen[j].hash == h && seen_equal(c, &c->seen[j], id, len)) {
			*out = &c->seen[j];
			*added = 0;
			return KPI_OK;
		}
	}
	e = &c->seen[j];
	if (len <= 8) {
		e->key = short_key(id, len);
		e->group = 0;
	} else {
		uint32_t l = (uint32_t)len;

		if (grow_array(&c->seen_ids, &c->seen_ids_cap,
			       c->seen_ids_len + sizeof(l) + len, 1, 64 * 1024))
			return nomem(err);
		e->key = c->seen_ids_len;
		memcpy(c->seen_ids + e->key, &l, sizeof(l));
		memcpy(c->seen_ids + e->key + sizeof(l), id, len);
		c->seen_ids_len += sizeof(l) + len;
		e->group = SEEN_LONG;
	}
	e->hash = h;
	c->nseen++;
	*out = e;
	*added = 1;
	return KPI_OK;
}

/* Write n bytes to the temporary file. */
static enum kpi_status
write_all(struct kpi_cohort *c, const void *buf, size_t n, const char *dir,
	  struct kpi_error *err)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t w = write(c->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return kpi_error_set(err, KPI_EIO, 0,
					     "writing the temporary file in %s: %s",
					     dir, w < 0 ? strerror(errno)
							: "nothing written");
		p += w;
		n -= (size_t)w;
	}
	return KPI_OK;
}

/* Write a bucket's bytes to the temporary file as one chunk, after its
 * head (see struct chunk). */
static enum kpi_status
spill(struct kpi_cohort *c, struct bucket *b, struct kpi_error *err)
{
	const char *dir = c->opt->tmpdir && *c->opt->tmpdir ? c->opt->tmpdir
							    : "/tmp";
	unsigned char head[CHUNK_HEAD];
	uint32_t len = (uint32_t)b->used;
	enum kpi_status st;

	if (c->fd < 0) {
		char path[4096];
		int n = snprintf(path, sizeof(path), "%s/kpi-cohort-XXXXXX",
				 dir);

		if (n < 0 || (size_t)n >= sizeof(path))
			return kpi_error_set(err, KPI_EIO, 0,
					     "temporary directory name too long");
		c->fd = mkstemp(path);
		if (c->fd < 0)
			return kpi_error_set(err, KPI_EIO, 0,
					     "cannot make a temporary file in %s: %s",
					     dir, strerror(errno));
		/* Gone from the directory now; the space is freed when the
		 * descriptor is closed, however the process ends. */
		unlink(path);
	}
	memcpy(head, &b->last, sizeof(b->last));
	memcpy(head + 8, &len, sizeof(len));
	st = write_all(c, head, sizeof(head), dir, err);
	if (st == KPI_OK)
		st = write_all(c, b->buf, b->used, dir, err);
	if (st != KPI_OK)
		return st;
	b->last = c->file_size;
	c->file_size += CHUNK_HEAD + b->used;
	b->spilled += b->used;
	b->used = 0;
	return KPI_OK;
}

/* A 64-bit hash of an id's bytes: word-at-a-time multiply-xorshift, then
 * SplitMix64's finaliser (Steele, Lea & Flood 2014) for full avalanche:
 * the top byte picks the bucket, the low 32 bits place the id in the
 * bucket's table. */
static uint64_t
hash_id(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)n, w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	w = 0;
	if (n)
		memcpy(&w, s, n);
	h = (h ^ w) * UINT64_C(0x94D049BB133111EB);
	h ^= h >> 30;
	h *= UINT64_C(0xBF58476D1CE4E5B9);
	h ^= h >> 27;
	h *= UINT64_C(0x94D049BB133111EB);
	h ^= h >> 31;
	return h;
}

/* Room for a record of len bytes at the end of bucket b's buffer, writing
 * the bucket out first when the record does not fit. */
static enum kpi_status
bucket_room(struct kpi_cohort *c, struct bucket *b, size_t len,
	    unsigned char **at, struct kpi_error *err)
{
	unsigned char *r;
	enum kpi_status st;

	if (b->used && b->used + len > c->bucket_bytes) {
		st = spill(c, b, err);
		if (st != KPI_OK)
			return st;
	}
	if (b->cap - b->used < len) {
		size_t cap = b->cap ? b->cap * 2 : FIRST_BUCKET_BYTES;

		if (cap > c->bucket_bytes)
			cap = c->bucket_bytes;
		if (cap < b->used + len)
			cap = b->used + len;
		r = realloc(b->buf, cap);
		if (!r)
			return nomem(err);
		b->buf = r;
		b->cap = cap;
	}
	*at = b->buf + b->used;
	b->used += len;
	b->nrec++;
	return KPI_OK;
}

/* Append one record to the bucket of its id. */
static enum kpi_status
append_event(struct kpi_cohort *c, const char *id, size_t idlen, uint64_t h,
	     long period, double amount, uint32_t group, int32_t cohort,
	     struct kpi_error *err)
{
	uint32_t h32 = (uint32_t)h;
	int32_t p32 = (int32_t)period;
	uint16_t l16 = (uint16_t)idlen;
	unsigned char *r;
	enum kpi_status st;

	st = bucket_room(c, &c->buckets[h >> 56], c->rec_head + idlen, &r, err);
	if (st != KPI_OK)
		return st;
	memcpy(r, &h32, sizeof(h32));
	memcpy(r + 4, &p32, sizeof(p32));
	if (c->opt->value_col)
		memcpy(r + c->off_amount, &amount, sizeof(amount));
	if (c->opt->ngroup)
		memcpy(r + c->off_group, &group, sizeof(group));
	if (c->opt->cohort_col)
		memcpy(r + c->off_cohort, &cohort, sizeof(cohort));
	memcpy(r + c->off_len, &l16, sizeof(l16));
	memcpy(r + c->rec_head, id, idlen);
	return KPI_OK;
}

/* With -g or a cohort column: the customer must keep the group and the
 * cohort date of its first row.  Checked here, as rows arrive, so that a
 * row that breaks the rule can be rejected (and kept with --rejects). */
static enum kpi_status
check_customer(struct kpi_cohort *c, const struct kpi_csv_record *rec,
	       const char *id, size_t idlen, uint64_t h, size_t gslot,
	       long cday, struct kpi_error *err)
{
	const struct kpi_cohort_options *opt = c->opt;
	unsigned long line = rec->line;
	struct seen *e = NULL;
	int added = 0;
	enum kpi_status st;

	st = seen_find(c, id, idlen, h, &e, &added, err);
	if (st != KPI_OK)
		return st;
	if (added) {
		e->group |= (uint32_t)gslot;
		e->cohort = (int32_t)cday;
		return KPI_OK;
	}
	if (opt->ngroup && (e->group & ~SEEN_LONG) != gslot) {
		size_t was_slot = e->group & ~SEEN_LONG;
		char was[96], now[96];

		group_text(c, was_slot, 0, was, sizeof(was));
		group_text(c, 0, 1, now, sizeof(now));
		kpi_error_set(err, KPI_EPARSE, line,
			      "customer \"%.40s\" is in group \"%s\" on an earlier row and \"%s\" here",
			      id, was, now);
		return bad_row(err, KPI_EPARSE, line,
			       differing_group_column(c, was_slot));
	}
	if (opt->cohort_col && e->cohort != (int32_t)cday) {
		char was[KPI_DATE_BUFSZ];

		kpi_date_format_iso(e->cohort, was);
		kpi_error_set(err, KPI_EPARSE, line,
			      "customer \"%.40s\" has cohort date %s on an earlier row and \"%s\" here",
			      id, was, rec->fields[c->cohort_idx]);
		return bad_row(err, KPI_EPARSE, line, opt->cohort_col);
	}
	return KPI_OK;
}

void
kpi_cohort_input(struct kpi_cohort *c, const char *name)
{
	c->input = name;
}

const char *
kpi_cohort_error_input(const struct kpi_cohort *c)
{
	return c->error_input;
}

static void
far_row_set(const struct kpi_cohort *c, struct far_row *f, long period,
	    unsigned long line, const char *column, const char *text)
{
	f->period = period;
	f->line = line;
	f->input = c->input;
	f->column = column;
	snprintf(f->text, sizeof(f->text), "%s", text);
}

/* Keep the rows of the earliest and the latest period, and the next
 * distinct period inward from each, whose gap tells which end lies out. */
static void
note_far_row(struct kpi_cohort *c, long period, unsigned long line,
	     const char *column, const char *text)
{
	if (!c->have_far) {
		far_row_set(c, &c->first, period, line, column, text);
		far_row_set(c, &c->last, period, line, column, text);
		c->first2 = LONG_MAX;
		c->last2 = LONG_MIN;
		c->have_far = 1;
		return;
	}
	if (period < c->first.period) {
		c->first2 = c->first.period;
		far_row_set(c, &c->first, period, line, column, text);
	} else if (period > c->first.period && period < c->first2) {
		c->first2 = period;
	}
	if (period > c->last.period) {
		c->last2 = c->last.period;
		far_row_set(c, &c->last, period, line, column, text);
	} else if (period < c->last.period && period > c->last2) {
		c->last2 = period;
	}
}

enum kpi_status
kpi_cohort_add(struct kpi_cohort *c, const struct kpi_csv_record *rec,
	       struct kpi_error *err)
{
	const struct kpi_cohort_options *opt = c->opt;
	const char *const *f = rec->fields;
	const char *id = f[c->id_idx];
	unsigned long line = rec->line;
	long day, cday = 0, pidx, cidx = 0;
	double amount = 0;
	size_t gslot = 0, i, idlen;
	uint64_t h;
	enum kpi_status st;

	if (c->finished)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "rows added after the table was built");
	/* ==== Check every value before anything changes ==== */
	if (kpi_cli_is_missing(opt->common, id)) {
		kpi_error_set(err, KPI_EPARSE, line, "the customer id is missing");
		return bad_row(err, KPI_EPARSE, line, opt->id_col);
	}
	st = parse_day(c, &c->time_cache, f[c->time_idx], opt->time_col, "date",
		       line, &day, err);
	if (st != KPI_OK)
		return st;
	if (opt->value_col) {
		st = parse_amount(c, f[c->value_idx], line, &amount, err);
		if (st != KPI_OK)
			return st;
	}
	if (opt->cohort_col) {
		st = parse_day(c, &c->cohort_cache, f[c->cohort_idx],
			       opt->cohort_col, "cohort date", line, &cday, err);
		if (st != KPI_OK)
			return st;
	}
	if (opt->has_as_of && day > opt->as_of) {
		c->ignored++;
		return KPI_OK;
	}
	st = period_of(c, day, &pidx, err);
	if (st != KPI_OK)
		return bad_row(err, st, line, opt->time_col);
	if (opt->cohort_col) {
		st = period_of(c, cday, &cidx, err);
		if (st != KPI_OK)
			return bad_row(err, st, line, opt->cohort_col);
		if (pidx < cidx) {
			kpi_error_set(err, KPI_EPARSE, line,
				      "\"%s\" is in a %s before the customer's cohort date \"%s\"",
				      f[c->time_idx],
				      kpi_period_unit_name(opt->every),
				      f[c->cohort_idx]);
			return bad_row(err, KPI_EPARSE, line, opt->time_col);
		}
	}

	idlen = strlen(id);
	if (idlen > MAX_ID_LEN) {
		kpi_error_set(err, KPI_EPARSE, line,
			      "the customer id is longer than %d bytes",
			      MAX_ID_LEN);
		return bad_row(err, KPI_EPARSE, line, opt->id_col);
	}

	/* ==== The customer and its group ==== */
	if (opt->ngroup) {
		for (i = 0; i < opt->ngroup; i++) {
			c->parts[i] = f[c->group_idx[i]];
			c->lens[i] = strlen(c->parts[i]);
		}
		st = kpi_group_intern(c->groups, c->parts, c->lens, &gslot,
				      NULL, err);
		if (st != KPI_OK)
			return st;
	}
	h = hash_id(id, idlen);
	if (c->check) {
		st = check_customer(c, rec, id, idlen, h, gslot, cday, err);
		if (st != KPI_OK)
			return st;
	}
	st = append_event(c, id, idlen, h, pidx, amount, (uint32_t)gslot,
			  (int32_t)cday, err);
	if (st != KPI_OK)
		return st;
	if (!c->have_day || day > c->last_day)
		c->last_day = day;
	if (!c->have_day || pidx < c->pmin)
		c->pmin = pidx;
	if (opt->cohort_col && cidx < c->pmin)
		c->pmin = cidx;
	note_far_row(c, pidx, line, opt->time_col, f[c->time_idx]);
	if (opt->cohort_col)
		note_far_row(c, cidx, line, opt->cohort_col, f[c->cohort_idx]);
	c->have_day = 1;
	c->rows++;
	return KPI_OK;
}

/* ==== Pass 2: the table ==== */

static unsigned long long cells_limit(const struct kpi_cohort *c);
static enum kpi_status check_cells(struct kpi_cohort *c,
				   unsigned long long need,
				   struct kpi_error *err);

/* The row of (group, cohort), made with its cells when new. */
static enum kpi_status
find_row(struct kpi_cohort *c, uint32_t group, long cohort, struct row **out,
	 struct kpi_error *err)
{
	int32_t key[2] = { (int32_t)group, (int32_t)cohort };
	const char *part = (const char *)key;
	size_t len = sizeof(key), slot, ncells;
	unsigned long long limit;
	struct row *r;
	int added;
	enum kpi_status st;

	st = kpi_group_intern(c->rowkeys, &part, &len, &slot, &added, err);
	if (st != KPI_OK)
		return st;
	if (!added) {
		*out = &c->rowv[slot];
		return KPI_OK;
	}
	ncells = (size_t)(c->asof_idx - cohort + 1);
	limit = cells_limit(c) - c->nrr_cells;
	if (c->ncells + ncells > limit)
		return check_cells(c, c->nrr_cells + c->ncells + ncells, err);
	if (grow_array(&c->rowv, &c->rows_cap, slot + 1,
		       sizeof(*c->rowv), 64) != 0 ||
	    grow_array_max(&c->cells, &c->cells_cap, c->ncells + ncells,
			   sizeof(*c->cells), 1024, (size_t)limit) != 0)
		return nomem(err);
	r = &c->rowv[slot];
	r->group = group;
	r->cohort = (int32_t)cohort;
	r->size = 0;
	r->cells = c->ncells;
	r->ncells = ncells;
	memset(&c->cells[c->ncells], 0, ncells * sizeof(*c->cells));
	c->ncells += ncells;
	c->nrows = slot + 1;
	*out = r;
	return KPI_OK;
}

static int
compare_event_period(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;

	return (a->period > b->period) - (a->period < b->period);
}

/* Most customers have a handful of events: insertion sort; qsort for the
 * few with many. */
static void
sort_by_period(struct event *e, size_t n)
{
	size_t i, j;

	if (n > 24) {
		qsort(e, n, sizeof(*e), compare_event_period);
		return;
	}
	for (i = 1; i < n; i++) {
		struct event x = e[i];

		for (j = i; j > 0 && e[j - 1].period > x.period; j--)
			e[j] = e[j - 1];
		e[j] = x;
	}
}

static void
add_min(struct kpi_sum *s, double a, double b)
{
	kpi_sum_add(s, a < b ? a : b);
}

/* A customer's revenue movements: as a member of the start set of period
 * p + lag for each active period p, and as new or returning in each
 * active period p it was not active lag periods before. */
static void
customer_nrr(struct kpi_cohort *c, uint32_t group, long cohort,
	     const struct active *a, size_t m)
{
	long lag = c->opt->nrr_lag;
	struct nrr_cell *cells = c->nrr[group];
	size_t j, k = 0;

	for (j = 0; j < m; j++) {
		long q = a[j].period + lag;
		struct nrr_cell *x;

		if (q > c->asof_idx)
			break;
		x = &cells[q - c->pmin];
		x->start++;
		kpi_sum_add(&x->start_rev, a[j].revenue);
		while (k < m && a[k].period < q)
			k++;
		if (k < m && a[k].period == q) {
			double now = a[k].revenue, then = a[j].revenue;

			x->retained++;
			kpi_sum_add(&x->retained_rev, now);
			add_min(&x->gross, now, then);
			if (now > then)
				kpi_sum_add(&x->expansion, now - then);
			else
				kpi_sum_add(&x->contraction, then - now);
		} else {
			kpi_sum_add(&x->churned, a[j].revenue);
		}
	}
	for (j = 0, k = 0; j < m; j++) {
		long before = a[j].period - lag;
		struct nrr_cell *x = &cells[a[j].period - c->pmin];

		if (before < c->pmin)
			continue;
		while (k < j && a[k].period < before)
			k++;
		if (k < j && a[k].period == before)
			continue;
		if (cohort > before) {
			x->fresh++;
			kpi_sum_add(&x->fresh_rev, a[j].revenue);
		} else {
			x->reactivated++;
			kpi_sum_add(&x->reactivated_rev, a[j].revenue);
		}
	}
}

/* Fold one customer's events (e[0..n-1], any order) into the table.  The
 * cohort is the period of cohort_day when has_cohort (an explicit cohort
 * date), else that of the first event. */
static enum kpi_status
add_customer(struct kpi_cohort *c, uint32_t group, int has_cohort,
	     long cohort_day, struct event *e, size_t n, struct kpi_error *err)
{
	struct active *a;
	struct kpi_sum sum = { 0, 0 };
	struct row *row = NULL;
	struct cell *cells;
	long cohort;
	size_t i, m = 0;
	enum kpi_status st;

	sort_by_period(e, n);
	if (grow_array(&c->act, &c->act_cap, n, sizeof(*c->act), 64))
		return nomem(err);
	a = c->act;
	for (i = 0; i < n; i++) {
		if (i == 0 || e[i].period != e[i - 1].period) {
			if (m)
				a[m - 1].revenue = kpi_sum_value(&sum);
			a[m].period = e[i].period;
			sum.sum = sum.comp = 0;
			m++;
		}
		kpi_sum_add(&sum, e[i].amount);
	}
	a[m - 1].revenue = kpi_sum_value(&sum);
	if (has_cohort) {
		st = period_of(c, cohort_day, &cohort, err);
		if (st != KPI_OK)
			return st;
	} else {
		cohort = a[0].period;
	}
	st = find_row(c, group, cohort, &row, err);
	if (st != KPI_OK)
		return st;
	row->size++;
	cells = &c->cells[row->cells];
	for (i = 0; i < m; i++) {
		struct cell *x = &cells[a[i].period - cohort];

		x->active++;
		kpi_sum_add(&x->revenue, a[i].revenue);
	}
	cells[a[m - 1].period - cohort].last++;
	if (a[0].period < c->group_first[group])
		c->group_first[group] = a[0].period;
	if (c->nrr)
		customer_nrr(c, group, cohort, a, m);
	return KPI_OK;
}

static enum kpi_status
read_back(struct kpi_cohort *c, void *dst, size_t len, uint64_t offset,
	  struct kpi_error *err)
{
	unsigned char *p = dst;

	while (len > 0) {
		ssize_t got = pread(c->fd, p, len, (off_t)offset);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return kpi_error_set(err, KPI_EIO, 0,
					     "reading the temporary file back: %s",
					     got < 0 ? strerror(errno)
						     : "unexpected end");
		p += got;
		len -= (size_t)got;
		offset += (uint64_t)got;
	}
	return KPI_OK;
}

/* The chunks of bucket bk, first to last, into c->chunks[0 .. nchunks-1],
 * by walking their heads backwards from the last. */
static enum kpi_status
bucket_chunks(struct kpi_cohort *c, const struct bucket *bk,
	      struct kpi_error *err)
{
	unsigned char head[CHUNK_HEAD];
	uint64_t at = bk->last, bytes = 0;
	size_t i;
	enum kpi_status st;

	c->nchunks = 0;
	while (at != NO_CHUNK) {
		struct chunk *ch;

		if (grow_array(&c->chunks, &c->chunks_cap, c->nchunks + 1,
			       sizeof(*c->chunks), 64) != 0)
			return nomem(err);
		st = read_back(c, head, sizeof(head), at, err);
		if (st != KPI_OK)
			return st;
		ch = &c->chunks[c->nchunks++];
		ch->offset = at + CHUNK_HEAD;
		memcpy(&ch->len, head + 8, sizeof(ch->len));
		bytes += ch->len;
		memcpy(&at, head, sizeof(at));
	}
	if (bytes != bk->spilled)
		return kpi_error_set(err, KPI_EIO, 0,
				     "the temporary file does not read back as written");
	for (i = 0; i < c->nchunks / 2; i++) {
		struct chunk t = c->chunks[i];

		c->chunks[i] = c->chunks[c->nchunks - 1 - i];
		c->chunks[c->nchunks - 1 - i] = t;
	}
	return KPI_OK;
}

/* Does the record at `off` hold the same id as the one at `other`? */
static int
same_id(const struct kpi_cohort *c, size_t off, size_t other)
{
	uint16_t la, lb;

	memcpy(&la, c->loaded + off + c->off_len, sizeof(la));
	memcpy(&lb, c->loaded + other + c->off_len, sizeof(lb));
	return la == lb && memcmp(c->loaded + off + c->rec_head,
				  c->loaded + other + c->rec_head, la) == 0;
}

/* Double the bucket's customer table and put every customer back. */
static int
grow_table(struct kpi_cohort *c)
{
	size_t cap = c->table_cap ? c->table_cap * 2 : 1024, mask = cap - 1, i;
	struct local_slot *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (i = 0; i < c->table_cap; i++) {
		size_t j = c->table[i].hash & mask;

		if (!c->table[i].local)
			continue;
		while (t[j].local)
			j = (j + 1) & mask;
		t[j] = c->table[i];
	}
	free(c->table);
	c->table = t;
	c->table_cap = cap;
	return 0;
}

/* The bucket-local number of the customer of the record at `off`, a new
 * one when it was not seen in this bucket before. */
static enum kpi_status
local_customer(struct kpi_cohort *c, size_t off, size_t *nlocal,
	       uint32_t *local, struct kpi_error *err)
{
	uint32_t h;
	size_t j, mask;

	if ((*nlocal + 1) * 2 > c->table_cap && grow_table(c) != 0)
		return nomem(err);
	mask = c->table_cap - 1;
	memcpy(&h, c->loaded + off, sizeof(h));
	for (j = h & mask; c->table[j].local; j = (j + 1) & mask) {
		uint32_t l = c->table[j].local - 1;

		if (c->table[j].hash == h && same_id(c, off, c->first_off[l])) {
			*local = l;
			return KPI_OK;
		}
	}
	if (grow_array(&c->first_off, &c->local_cap, *nlocal + 1,
		       sizeof(*c->first_off), 1024) != 0)
		return nomem(err);
	c->first_off[*nlocal] = (uint32_t)off;
	c->table[j].hash = h;
	c->table[j].local = (uint32_t)(*nlocal + 1);
	*local = (uint32_t)*nlocal;
	(*nlocal)++;
	return KPI_OK;
}

/* Deal the records of `bytes` bytes at c->loaded out to the buckets sub[]
 * by bits of their hash. */
static enum kpi_status
deal_records(struct kpi_cohort *c, size_t bytes, int depth,
	     struct bucket *sub, struct kpi_error *err)
{
	int shift = 32 - SPLIT_BITS * (depth + 1);
	size_t off = 0, len;
	uint32_t h;
	uint16_t l16;
	unsigned char *r;
	enum kpi_status st;

	while (off < bytes) {
		memcpy(&h, c->loaded + off, sizeof(h));
		memcpy(&l16, c->loaded + off + c->off_len, sizeof(l16));
		len = c->rec_head + l16;
		st = bucket_room(c, &sub[(h >> shift) & (SPLIT_WAYS - 1)], len,
				 &r, err);
		if (st != KPI_OK)
			return st;
		memcpy(r, c->loaded + off, len);
		off += len;
	}
	return KPI_OK;
}

/* Split bucket bk into sub[] (see SPLIT_BUFFERS), reading it back one
 * chunk at a time; its own buffer is freed. */
static enum kpi_status
split_bucket(struct kpi_cohort *c, struct bucket *bk, int depth,
	     struct bucket *sub, struct kpi_error *err)
{
	enum kpi_status st = bucket_chunks(c, bk, err);
	size_t k;

	for (k = 0; k < c->nchunks && st == KPI_OK; k++) {
		size_t len = c->chunks[k].len;

		if (grow_array(&c->loaded, &c->loaded_cap, len, 1,
			       64 * 1024) != 0)
			return nomem(err);
		st = read_back(c, c->loaded, len, c->chunks[k].offset, err);
		if (st == KPI_OK)
			st = deal_records(c, len, depth, sub, err);
	}
	if (st == KPI_OK && bk->used) {
		if (grow_array(&c->loaded, &c->loaded_cap, bk->used, 1,
			       64 * 1024) != 0)
			return nomem(err);
		memcpy(c->loaded, bk->buf, bk->used);
		st = deal_records(c, bk->used, depth, sub, err);
	}
	free(bk->buf);
	bk->buf = NULL;
	bk->used = bk->cap = 0;
	return st;
}

static enum kpi_status process_bucket(struct kpi_cohort *c, struct bucket *bk,
				      int depth, struct kpi_error *err);

/* Split a bucket that is too big, then process its parts. */
static enum kpi_status
process_split(struct kpi_cohort *c, struct bucket *bk, int depth,
	      struct kpi_error *err)
{
	struct bucket sub[SPLIT_WAYS];
	enum kpi_status st;
	size_t i;

	memset(sub, 0, sizeof(sub));
	for (i = 0; i < SPLIT_WAYS; i++)
		sub[i].last = NO_CHUNK;
	st = split_bucket(c, bk, depth, sub, err);
	for (i = 0; i < SPLIT_WAYS && st == KPI_OK; i++)
		st = process_bucket(c, &sub[i], depth + 1, err);
	for (i = 0; i < SPLIT_WAYS; i++)
		free(sub[i].buf);
	return st;
}

/* Load bucket bk (its chunks, then its in-memory tail), number its
 * customers with a table that fits in cache, sort the records by customer
 * (a counting sort: stable, so each customer's first record comes first)
 * and fold each customer in.  A bucket too big for that is split first. */
static enum kpi_status
process_bucket(struct kpi_cohort *c, struct bucket *bk, int depth,
	       struct kpi_error *err)
{
	const struct kpi_cohort_options *opt = c->opt;
	size_t bytes = (size_t)bk->spilled + bk->used, n = (size_t)bk->nrec;
	size_t got = 0, i, off, nlocal = 0;
	size_t k;
	enum kpi_status st;

	if (n == 0)
		return KPI_OK;
	if (bytes / SPLIT_BUFFERS > c->bucket_bytes && depth < MAX_SPLITS)
		return process_split(c, bk, depth, err);
	if (bytes > UINT32_MAX)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "too many events for one pass (%zu bytes in a bucket)",
				     bytes);
	if (grow_array(&c->loaded, &c->loaded_cap, bytes, 1,
		       64 * 1024) != 0)
		return nomem(err);
	st = bucket_chunks(c, bk, err);
	if (st != KPI_OK)
		return st;
	for (k = 0; k < c->nchunks; k++) {
		st = read_back(c, c->loaded + got, c->chunks[k].len,
			       c->chunks[k].offset, err);
		if (st != KPI_OK)
			return st;
		got += c->chunks[k].len;
	}
	if (bk->used)
		memcpy(c->loaded + got, bk->buf, bk->used);
	free(bk->buf);
	bk->buf = NULL;
	bk->used = bk->cap = 0;

	if (n > c->rec_cap) {
		uint32_t *p;

		p = realloc(c->rec_local, n * sizeof(*p));
		if (!p)
			return nomem(err);
		c->rec_local = p;
		p = realloc(c->rec_off, n * sizeof(*p));
		if (!p)
			return nomem(err);
		c->rec_off = p;
		p = realloc(c->by_customer, n * sizeof(*p));
		if (!p)
			return nomem(err);
		c->by_customer = p;
		c->rec_cap = n;
	}
	if (c->table_cap)
		memset(c->table, 0, c->table_cap * sizeof(*c->table));
	for (i = 0, off = 0; i < n; i++) {
		uint16_t len;

		st = local_customer(c, off, &nlocal, &c->rec_local[i], err);
		if (st != KPI_OK)
			return st;
		c->rec_off[i] = (uint32_t)off;
		memcpy(&len, c->loaded + off + c->off_len, sizeof(len));
		off += c->rec_head + len;
	}
	c->ncustomers += nlocal;

	if (grow_array(&c->counts, &c->counts_cap, nlocal + 1,
		       sizeof(*c->counts), 1024) != 0)
		return nomem(err);
	memset(c->counts, 0, (nlocal + 1) * sizeof(*c->counts));
	for (i = 0; i < n; i++)
		c->counts[c->rec_local[i] + 1]++;
	for (i = 1; i <= nlocal; i++)
		c->counts[i] += c->counts[i - 1];
	/* counts[l] is where customer l's records start; placing them moves
	 * it to where they end, which is where customer l + 1's start. */
	for (i = 0; i < n; i++)
		c->by_customer[c->counts[c->rec_local[i]]++] = c->rec_off[i];
	for (i = 0; i < nlocal; i++) {
		size_t start = i ? c->counts[i - 1] : 0, end = c->counts[i], j;
		const unsigned char *first = c->loaded + c->by_customer[start];
		uint32_t group = 0;
		int32_t cday = 0;

		if (grow_array(&c->ev, &c->ev_cap, end - start,
			       sizeof(*c->ev), 64) != 0)
			return nomem(err);
		for (j = start; j < end; j++) {
			const unsigned char *r = c->loaded + c->by_customer[j];
			struct event *e = &c->ev[j - start];
			int32_t p;

			memcpy(&p, r + 4, sizeof(p));
			e->period = p;
			e->amount = 0;
			if (opt->value_col)
				memcpy(&e->amount, r + c->off_amount,
				       sizeof(e->amount));
		}
		if (opt->ngroup)
			memcpy(&group, first + c->off_group, sizeof(group));
		if (opt->cohort_col)
			memcpy(&cday, first + c->off_cohort, sizeof(cday));
		st = add_customer(c, group, opt->cohort_col != NULL, cday,
				  c->ev, end - start, err);
		if (st != KPI_OK)
			return st;
	}
	return KPI_OK;
}

/* The most periods a table may span: 64 a row beyond 10,000, as the
 * forecast's series reader allows (libkpi/series.c), and never more than
 * 100,000.  Every per-period array (the cells of a cohort's row, the
 * --wide and --summary columns, the NRR periods of each group) and each
 * cohort's share of the table written are at most this long, so the
 * memory and output of a cohort or a group stay proportional to the
 * input.  10,000 periods
 * are 27 years of days, so a small input of real dates always passes;
 * 100,000 are 273 years of days or 1,900 years of weeks, more ages than
 * any report has: a date that far out is a typo (year 9739 for 2023).
 * Without the cap, one such row in a daily run made 2.8 million periods,
 * 450 MB for each group's NRR and 121 MB of output. */
#define SPAN_PER_ROW 64
#define SPAN_FLOOR 10000
#define SPAN_MAX 100000

/* "line N", or "FILE:N" when the row is in another input than the
 * blamed one. */
static void
far_row_where(const struct far_row *f, const struct far_row *blamed,
	      char *buf, size_t size)
{
	if (f->input && (!blamed->input || strcmp(f->input, blamed->input)))
		snprintf(buf, size, "%s:%lu", f->input, f->line);
	else
		snprintf(buf, size, "line %lu", f->line);
}

/* The row of the end that lies out, the one further from its neighbour
 * inward (a lone typo), into *out, the other end's into *in; that gap. */
static long
outlying_row(const struct kpi_cohort *c, const struct far_row **out,
	     const struct far_row **in)
{
	long late = c->last.period - c->last2;
	long early = c->first2 - c->first.period;

	if (c->first2 == LONG_MAX)	/* a single period */
		late = early = 0;
	if (late >= early) {
		*out = &c->last;
		*in = &c->first;
		return late;
	}
	*out = &c->first;
	*in = &c->last;
	return early;
}

/* Refuse at row `out`: how far it lies from `in`, then `why`. */
static enum kpi_status
blame_row(struct kpi_cohort *c, const struct far_row *out,
	  const struct far_row *in, const char *why, struct kpi_error *err)
{
	char where[96];

	far_row_where(in, out, where, sizeof(where));
	c->error_input = out->input;
	kpi_error_set(err, KPI_EPARSE, out->line,
		      "\"%s\" is %ld %ss %s \"%s\" (%s): %s", out->text,
		      labs(out->period - in->period),
		      kpi_period_unit_name(c->opt->every),
		      out == &c->last ? "after" : "before", in->text, where, why);
	return kpi_error_column(err, KPI_EPARSE, out->column);
}

/* Refuse a table spanning more periods than the cap, naming the row of
 * the end that lies out, or the as-of date when it alone makes the span. */
static enum kpi_status
check_span(struct kpi_cohort *c, struct kpi_error *err)
{
	const char *unit = kpi_period_unit_name(c->opt->every);
	unsigned long long limit = c->rows * SPAN_PER_ROW + SPAN_FLOOR;
	const struct far_row *out, *in;
	char why[128], day[KPI_DATE_BUFSZ];
	long span = c->asof_idx - c->pmin + 1;

	if (limit > SPAN_MAX)
		limit = SPAN_MAX;
	if (span <= (long)limit)
		return KPI_OK;
	snprintf(why, sizeof(why), "a table of %llu rows may span at most %llu %ss",
		 c->rows, limit, unit);
	if (c->last.period - c->first.period + 1 <= (long)limit) {
		kpi_date_format_iso(c->as_of, day);
		return kpi_error_set(err, KPI_EPARSE, 0,
				     "the as-of date %s is %ld %ss after the earliest date \"%s\": %s",
				     day, span - 1, unit, c->first.text, why);
	}
	outlying_row(c, &out, &in);
	return blame_row(c, out, in, why, err);
}

/* The most cells the tables may hold: the cohort table's (one per group,
 * cohort and age, 32 bytes each, a line of the long output) and, with
 * --nrr, the NRR table's (one per group and period, 160 bytes).  The span
 * cap keeps each cohort's row proportional to the input, but not their
 * number: 1,000 daily cohorts and one row 90,000 days out pass it with
 * 1,250 rows and make 90 million cells (2.9 GB, 9 GB of output) per
 * group.  So the cells too are capped in proportion to the rows, as the
 * span is, with the same 64 a row: one row can start a cohort and push
 * the as-of date, so a row is allowed as many cells as it may add
 * periods.  Beyond 1,000,000 cells (32 MB): a hundred rows of dates
 * within 10,000 periods always pass (100 cohorts x 10,000 ages), and so
 * does any table of one group
 * spanning up to 1,413 periods (k (k + 1) / 2 cells at most: 117 years of
 * months, 27 of weeks, nearly 4 of days).  At most 10,000,000 (320 MB of
 * cells, a daily triangle of 12 years; 140,625 rows reach it), so that a
 * typo 273 years out in a big input is caught too.  Worked examples in
 * tests/test_cohort.c. */
#define CELLS_PER_ROW 64
#define CELLS_FLOOR 1000000
#define CELLS_MAX 10000000

static unsigned long long
cells_limit(const struct kpi_cohort *c)
{
	unsigned long long limit = c->rows * CELLS_PER_ROW + CELLS_FLOOR;

	return limit < CELLS_MAX ? limit : CELLS_MAX;
}

/* Refuse tables needing `need` cells when that is over the cap, before
 * they are made: naming the row of the end that lies out when it makes
 * half the span or more (a lone typo), the as-of date when it does, and
 * else the table itself (many cohorts or groups). */
static enum kpi_status
check_cells(struct kpi_cohort *c, unsigned long long need,
	    struct kpi_error *err)
{
	const char *unit = kpi_period_unit_name(c->opt->every);
	unsigned long long limit = cells_limit(c);
	const struct far_row *out, *in;
	char what[64], why[160], day[KPI_DATE_BUFSZ];
	long span = c->asof_idx - c->pmin + 1, gap;

	if (need <= limit)
		return KPI_OK;
	if (c->nrr_cells)
		snprintf(what, sizeof(what), "cohorts x %ss, and groups x %ss",
			 unit, unit);
	else
		snprintf(what, sizeof(what), "cohorts x %ss", unit);
	snprintf(why, sizeof(why),
		 "a table of %llu rows may hold at most %llu cells (%s)",
		 c->rows, limit, what);
	gap = c->asof_idx - c->last.period;
	if (gap > 0 && 2 * gap >= span) {
		kpi_date_format_iso(c->as_of, day);
		return kpi_error_set(err, KPI_EPARSE, 0,
				     "the as-of date %s is %ld %ss after the latest date \"%s\": %s",
				     day, gap, unit, c->last.text, why);
	}
	gap = outlying_row(c, &out, &in);
	if (gap > 0 && 2 * gap >= span)
		return blame_row(c, out, in, why, err);
	return kpi_error_set(err, KPI_EPARSE, 0,
			     "the table needs more than the %llu cells (%s) that %llu rows may make: count by a longer period, or by fewer groups",
			     limit, what, c->rows);
}

enum kpi_status
kpi_cohort_finish(struct kpi_cohort *c, struct kpi_error *err)
{
	const struct kpi_cohort_options *opt = c->opt;
	long start, next;
	size_t b, g, nper;
	enum kpi_status st = KPI_OK;

	if (c->finished)
		return KPI_OK;
	c->finished = 1;
	/* The checks of pass 1 are done. */
	free_seen(c);
	c->as_of = opt->has_as_of ? opt->as_of : c->last_day;
	c->ngroups = opt->ngroup ? kpi_group_count(c->groups) : 1;
	if (opt->ngroup) {
		c->group_rank = malloc((c->ngroups ? c->ngroups : 1) *
					sizeof(*c->group_rank));
		st = !c->group_rank ? nomem(err)
		     : kpi_keyorder_rank(c->groups, opt->ngroup, opt->common,
					 c->group_rank, err);
		if (st != KPI_OK)
			goto out;
	}
	if (!c->have_day)
		goto out;
	st = period_of(c, c->as_of, &c->asof_idx, err);
	if (st != KPI_OK)
		goto out;
	/* The as-of period counts only when as_of is its last day. */
	start = kpi_period_start(c->as_of, opt->every, &opt->common->cal);
	next = kpi_period_next(start, opt->every, &opt->common->cal);
	c->last_complete = c->as_of + 1 == next ? c->asof_idx : c->asof_idx - 1;
	st = check_span(c, err);
	if (st != KPI_OK)
		goto out;

	st = kpi_group_new(&c->rowkeys, 1, err);
	if (st != KPI_OK)
		goto out;
	c->group_first = malloc(c->ngroups * sizeof(*c->group_first));
	if (!c->group_first) {
		st = nomem(err);
		goto out;
	}
	for (g = 0; g < c->ngroups; g++)
		c->group_first[g] = LONG_MAX;
	if (opt->nrr_lag > 0 && opt->value_col) {
		nper = (size_t)(c->asof_idx - c->pmin + 1);
		c->nrr_cells = (unsigned long long)c->ngroups * nper;
		st = check_cells(c, c->nrr_cells, err);
		if (st != KPI_OK)
			goto out;
		c->nrr = calloc(c->ngroups, sizeof(*c->nrr));
		if (!c->nrr) {
			st = nomem(err);
			goto out;
		}
		for (g = 0; g < c->ngroups; g++) {
			c->nrr[g] = calloc(nper, sizeof(**c->nrr));
			if (!c->nrr[g]) {
				st = nomem(err);
				goto out;
			}
		}
	}
	for (b = 0; b < NBUCKETS && st == KPI_OK; b++)
		st = process_bucket(c, &c->buckets[b], 0, err);
out:
	release_buckets(c);
	free_bucket_work(c);
	return st;
}

void
kpi_cohort_stats(const struct kpi_cohort *c, struct kpi_cohort_stats *s)
{
	size_t i, bytes = sizeof(*c);

	memset(s, 0, sizeof(*s));
	s->rows = c->rows;
	s->ignored = c->ignored;
	s->customers = c->finished ? c->ncustomers : c->nseen;
	s->groups = c->opt->ngroup ? kpi_group_count(c->groups)
				   : (c->rows ? 1 : 0);
	s->cohorts = c->nrows;
	s->spilled = c->file_size;
	s->as_of = c->as_of;
	bytes += kpi_group_bytes(c->groups) + kpi_group_bytes(c->rowkeys);
	bytes += c->seen_cap * sizeof(*c->seen) + c->seen_ids_cap;
	for (i = 0; i < NBUCKETS; i++)
		bytes += c->buckets[i].cap;
	bytes += c->chunks_cap * sizeof(*c->chunks);
	bytes += c->rows_cap * sizeof(*c->rowv) + c->cells_cap * sizeof(*c->cells);
	if (c->nrr)
		bytes += c->ngroups * (size_t)(c->asof_idx - c->pmin + 1) *
			 sizeof(**c->nrr);
	s->bytes = bytes;
}

/* ==== Output ==== */

/* Groups in output order, numerically where a group column holds only
 * numbers (kpi/keyorder.h), by the ranks kpi_cohort_finish() took. */
static int
compare_groups(const struct kpi_cohort *c, uint32_t x, uint32_t y)
{
	if (!c->opt->ngroup || x == y)
		return 0;
	return (c->group_rank[x] > c->group_rank[y]) -
	       (c->group_rank[x] < c->group_rank[y]);
}

/* qsort has no context argument; the writers are not reentrant anyway. */
static const struct kpi_cohort *sorting;

static int
compare_rows(const void *pa, const void *pb)
{
	const struct row *x = &sorting->rowv[*(const size_t *)pa];
	const struct row *y = &sorting->rowv[*(const size_t *)pb];
	int d = compare_groups(sorting, x->group, y->group);

	if (d)
		return d;
	return (x->cohort > y->cohort) - (x->cohort < y->cohort);
}

static int
compare_group_slots(const void *pa, const void *pb)
{
	return compare_groups(sorting, *(const uint32_t *)pa,
			      *(const uint32_t *)pb);
}

static void
write_group(const struct kpi_cohort *c, struct kpi_csv_writer *w,
	    uint32_t group)
{
	size_t i, len;

	for (i = 0; i < c->opt->ngroup; i++) {
		const char *p = kpi_group_part(c->groups, group, i, &len);

		kpi_csv_write_field(w, p, len);
	}
}

/* Period idx as the output writes it, into buf (KPI_DATE_BUFSZ bytes);
 * its length, 0 for none. */
static size_t
period_text(const struct kpi_cohort *c, const struct kpi_cohort_report *r,
	    long idx, char *buf)
{
	long day = start_of_index(c, idx);

	buf[0] = '\0';
	if (day == LONG_MIN)
		return 0;
	if (r->period_label)
		return kpi_period_label(day, c->opt->every,
					&c->opt->common->cal, buf);
	return kpi_date_format_iso(day, buf);
}

static void
write_period(const struct kpi_cohort *c, const struct kpi_cohort_report *r,
	     struct kpi_csv_writer *w, long idx)
{
	char buf[KPI_DATE_BUFSZ];
	size_t len = period_text(c, r, idx, buf);

	if (len)
		kpi_csv_write_field(w, buf, len);
	else
		kpi_csv_write_empty(w);
}

static void
write_group_header(const struct kpi_cohort *c, struct kpi_csv_writer *w)
{
	size_t i;

	for (i = 0; i < c->opt->ngroup; i++)
		kpi_csv_write_str(w, c->opt->group_cols[i]);
}

/* The measures of one cell (or one pooled age of --summary); ltv is the
 * cumulative revenue per customer, NaN for an empty cohort. */
struct values {
	unsigned long long size, active;
	int complete;
	double revenue, revenue0, ltv;
};

static double
measure(const struct values *v, const struct kpi_cohort_report *r,
	int have_value, enum kpi_cohort_measure m)
{
	double lo = NAN, hi = NAN;

	if (!v->complete || v->size == 0)
		return NAN;
	switch (m) {
	case KPI_COHORT_ACTIVE:
		return (double)v->active;
	case KPI_COHORT_RETENTION:
		return (double)v->active / (double)v->size;
	case KPI_COHORT_RETENTION_LO:
	case KPI_COHORT_RETENTION_HI:
		if (r->ci == KPI_CI_NONE ||
		    kpi_prop_interval((unsigned long)v->active,
				      (unsigned long)v->size, r->level, r->ci,
				      &lo, &hi, NULL) != KPI_OK)
			return NAN;
		return m == KPI_COHORT_RETENTION_LO ? lo : hi;
	case KPI_COHORT_REVENUE:
		return have_value ? v->revenue : NAN;
	case KPI_COHORT_REVENUE_RETENTION:
		return have_value && v->revenue0 != 0 ? v->revenue / v->revenue0
						      : NAN;
	case KPI_COHORT_LTV:
		return have_value ? v->ltv : NAN;
	}
	return NAN;
}

static void
write_measure(struct kpi_csv_writer *w, const struct kpi_cohort_report *r,
	      double x, int integral)
{
	if (isnan(x))
		kpi_csv_write_empty(w);
	else if (integral)
		kpi_csv_write_long(w, (long long)x);
	else
		kpi_csv_write_double(w, x, r->precision);
}

static void
write_long_values(struct kpi_csv_writer *w, const struct kpi_cohort_report *r,
		  int have_value, const struct values *v)
{
	int m;

	kpi_csv_write_long(w, (long long)v->size);
	for (m = KPI_COHORT_ACTIVE; m <= KPI_COHORT_LTV; m++)
		write_measure(w, r, measure(v, r, have_value,
					    (enum kpi_cohort_measure)m),
			      m == KPI_COHORT_ACTIVE);
	kpi_csv_end_row(w);
}

/* Active customers of each age of a row under the report's mode, into
 * act[0..ncells-1]: return-on as counted, return-on-or-after as the
 * customers whose last active age is at least that age. */
static void
row_active(const struct kpi_cohort *c, const struct row *row,
	   const struct kpi_cohort_report *r, unsigned long long *act)
{
	const struct cell *cells = &c->cells[row->cells];
	unsigned long long sum = 0;
	size_t k;

	for (k = row->ncells; k-- > 0;) {
		sum += cells[k].last;
		act[k] = r->mode == KPI_COHORT_RETURN_ON ? cells[k].active : sum;
	}
}

/* One age of --summary: sums over the cohorts whose cell is complete.
 * The cumulative revenue is a kpi_bigsum, so that its mean, the LTV, is
 * written whenever it fits, even when the pooled sum does not. */
struct pool {
	unsigned long long size, active;
	struct kpi_sum revenue, revenue0;
	struct kpi_bigsum cumulative;
	int reached;
};

/* Pool ages 0..width-1 over the rows[0..n-1] of one group. */
static void
pool_group(const struct kpi_cohort *c, const struct kpi_cohort_report *r,
	   const size_t *rows, size_t n, size_t width, unsigned long long *act,
	   struct pool *p)
{
	size_t i, k;

	memset(p, 0, width * sizeof(*p));
	for (i = 0; i < n; i++) {
		const struct row *row = &c->rowv[rows[i]];
		const struct cell *cells = &c->cells[row->cells];
		double rev0 = kpi_sum_value(&cells[0].revenue);
		struct kpi_bigsum cum = KPI_BIGSUM_INIT;

		row_active(c, row, r, act);
		for (k = 0; k < row->ncells; k++) {
			double rev = kpi_sum_value(&cells[k].revenue);

			kpi_bigsum_add(&cum, rev);
			if (row->cohort + (long)k > c->last_complete)
				break;
			p[k].reached = 1;
			p[k].size += row->size;
			p[k].active += act[k];
			kpi_sum_add(&p[k].revenue, rev);
			kpi_sum_add(&p[k].revenue0, rev0);
			kpi_bigsum_add_value(&p[k].cumulative, &cum);
		}
	}
}

static void
pool_values(const struct pool *p, struct values *v)
{
	v->size = p->size;
	v->active = p->active;
	v->complete = p->reached;
	v->revenue = kpi_sum_value(&p->revenue);
	v->revenue0 = kpi_sum_value(&p->revenue0);
	v->ltv = p->size ? kpi_bigsum_mean(&p->cumulative, (double)p->size)
			 : NAN;
}

/* Values of age k of one row, given its active counts and its revenue
 * summed over ages 0..k. */
static void
cell_values(const struct kpi_cohort *c, const struct row *row, size_t k,
	    const unsigned long long *act, const struct kpi_bigsum *cumulative,
	    struct values *v)
{
	const struct cell *cells = &c->cells[row->cells];

	v->size = row->size;
	v->active = act[k];
	v->complete = row->cohort + (long)k <= c->last_complete;
	v->revenue = kpi_sum_value(&cells[k].revenue);
	v->revenue0 = kpi_sum_value(&cells[0].revenue);
	v->ltv = row->size ? kpi_bigsum_mean(cumulative, (double)row->size)
			   : NAN;
}

/* The rows sorted by group and cohort, into a new array. */
static enum kpi_status
sorted_rows(const struct kpi_cohort *c, size_t **out, struct kpi_error *err)
{
	size_t i, *idx = malloc((c->nrows + 1) * sizeof(*idx));

	if (!idx)
		return nomem(err);
	for (i = 0; i < c->nrows; i++)
		idx[i] = i;
	sorting = c;
	qsort(idx, c->nrows, sizeof(*idx), compare_rows);
	*out = idx;
	return KPI_OK;
}

static size_t
max_cells(const struct kpi_cohort *c)
{
	size_t i, m = 0;

	for (i = 0; i < c->nrows; i++)
		if (c->rowv[i].ncells > m)
			m = c->rowv[i].ncells;
	return m;
}

/* ==== Figures beyond the largest double ====
 *
 * Every amount read is finite, so a money figure that is not (a sum past
 * about 1.8e308, the difference of two such sums, or a ratio whose first
 * period's revenue is tiny next to a later one) can only come from an
 * overflow.  It is refused before the output is begun, as kpi-agg and
 * kpi-pipeline do, rather than written as an empty cell that reads as "no
 * data".  The records kept between the passes carry no line number, so
 * the message names the figure's group, cohort and period, not a row. */

#define BEYOND_DOUBLE "lies beyond the largest number a double holds (about 1.8e308)"

/* Whether measure m (revenue, revenue_retention or ltv) of a complete
 * cell overflowed.  The ratio is also refused when its first period's
 * revenue did, which would make it 0 or NaN rather than infinite. */
static int
money_overflows(const struct values *v, enum kpi_cohort_measure m)
{
	switch (m) {
	case KPI_COHORT_REVENUE:
		return !isfinite(v->revenue);
	case KPI_COHORT_REVENUE_RETENTION:
		return !isfinite(v->revenue0) ||
		       (v->revenue0 != 0 && !isfinite(v->revenue / v->revenue0));
	case KPI_COHORT_LTV:
		/* A mean of finite revenues is finite: only a revenue of
		 * one age that overflowed makes it infinite. */
		return !isfinite(v->ltv);
	default:
		return 0;
	}
}

/* The first money measure of v that the report shows (all three in the
 * long table, --measure's in a --wide one) and that overflowed; -1 when
 * none did. */
static int
shown_overflow(const struct values *v, const struct kpi_cohort_report *r)
{
	int m;

	if (!v->complete || v->size == 0)
		return -1;
	for (m = KPI_COHORT_REVENUE; m <= KPI_COHORT_LTV; m++)
		if ((!r->wide || r->measure == (enum kpi_cohort_measure)m) &&
		    money_overflows(v, (enum kpi_cohort_measure)m))
			return m;
	return -1;
}

/* " of group \"a,b\"" with -g, else "", into buf. */
static void
of_group(const struct kpi_cohort *c, uint32_t group, char *buf, size_t size)
{
	char text[256];

	buf[0] = '\0';
	if (!c->opt->ngroup)
		return;
	group_text(c, group, 0, text, sizeof(text));
	snprintf(buf, size, " of group \"%s\"", text);
}

/* Refuse measure m of a cohort at an age (cohort LONG_MIN: of the
 * summary). */
static enum kpi_status
table_overflow_error(const struct kpi_cohort *c,
		     const struct kpi_cohort_report *r, int m, uint32_t group,
		     long cohort, size_t age, struct kpi_error *err)
{
	char grp[300], start[KPI_DATE_BUFSZ], period[KPI_DATE_BUFSZ];
	const char *why = m == KPI_COHORT_REVENUE_RETENTION
		? "the revenue of age 0 is too small next to it, or the amounts"
		: "the amounts";

	of_group(c, group, grp, sizeof(grp));
	if (cohort == LONG_MIN)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "%s of the summary%s at age %zu " BEYOND_DOUBLE ": %s of column %s are too large to add up",
				     kpi_cohort_measure_name((enum kpi_cohort_measure)m),
				     grp, age, why, c->opt->value_col);
	period_text(c, r, cohort, start);
	period_text(c, r, cohort + (long)age, period);
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "%s of cohort %s%s at age %zu (%s) " BEYOND_DOUBLE ": %s of column %s are too large to add up",
			     kpi_cohort_measure_name((enum kpi_cohort_measure)m),
			     start, grp, age, period, why, c->opt->value_col);
}

/* The money figures of the table the report writes, in its order (idx:
 * the rows sorted; act and pools: scratch of `width` ages). */
static enum kpi_status
check_table(const struct kpi_cohort *c, const struct kpi_cohort_report *r,
	    const size_t *idx, size_t width, unsigned long long *act,
	    struct pool *pools, struct kpi_error *err)
{
	size_t i, j, k;
	struct values v;
	int m;

	for (i = 0; i < c->nrows; i = j) {
		uint32_t group = c->rowv[idx[i]].group;

		for (j = i; j < c->nrows &&
			    compare_groups(c, group, c->rowv[idx[j]].group) == 0; j++) {
			const struct row *row = &c->rowv[idx[j]];
			const struct cell *cells = &c->cells[row->cells];
			struct kpi_bigsum cum = KPI_BIGSUM_INIT;

			row_active(c, row, r, act);
			for (k = 0; k < row->ncells; k++) {
				kpi_bigsum_add(&cum, kpi_sum_value(&cells[k].revenue));
				cell_values(c, row, k, act, &cum, &v);
				m = shown_overflow(&v, r);
				if (m >= 0)
					return table_overflow_error(c, r, m, group,
								    row->cohort, k,
								    err);
			}
		}
		if (!r->summary)
			continue;
		pool_group(c, r, idx + i, j - i, width, act, pools);
		for (k = 0; k < width; k++) {
			pool_values(&pools[k], &v);
			m = shown_overflow(&v, r);
			if (m >= 0)
				return table_overflow_error(c, r, m, group, LONG_MIN,
							    k, err);
		}
	}
	return KPI_OK;
}

enum kpi_status
kpi_cohort_write(struct kpi_cohort *c, const struct kpi_cohort_report *r,
		 struct kpi_csv_writer *w, struct kpi_error *err)
{
	static const char *const long_cols[] = {
		"cohort", "age", "period", "size", "active", "retention",
		"retention_lo", "retention_hi", "revenue", "revenue_retention",
		"ltv",
	};
	int have_value = c->opt->value_col != NULL;
	size_t *idx = NULL, i, j, k, width = 0;
	unsigned long long *act = NULL;
	struct pool *pools = NULL;
	enum kpi_status st;

	if (!c->finished) {
		st = kpi_cohort_finish(c, err);
		if (st != KPI_OK)
			return st;
	}
	width = max_cells(c);
	if (c->nrows) {
		st = sorted_rows(c, &idx, err);
		if (st != KPI_OK)
			return st;
		act = malloc(width * sizeof(*act));
		pools = malloc(width * sizeof(*pools));
		st = !act || !pools ? nomem(err) : KPI_OK;
		if (st == KPI_OK && have_value)
			st = check_table(c, r, idx, width, act, pools, err);
		if (st != KPI_OK)
			goto out;
	}
	write_group_header(c, w);
	if (r->wide) {
		char name[32];

		kpi_csv_write_str(w, "cohort");
		kpi_csv_write_str(w, "size");
		for (k = 0; k < width; k++) {
			snprintf(name, sizeof(name), "age_%zu", k);
			kpi_csv_write_str(w, name);
		}
	} else {
		for (i = 0; i < sizeof(long_cols) / sizeof(long_cols[0]); i++)
			kpi_csv_write_str(w, long_cols[i]);
	}
	kpi_csv_end_row(w);
	for (i = 0; i < c->nrows; i = j) {
		uint32_t group = c->rowv[idx[i]].group;
		unsigned long long total = 0;

		for (j = i; j < c->nrows &&
			    compare_groups(c, group, c->rowv[idx[j]].group) == 0; j++) {
			const struct row *row = &c->rowv[idx[j]];
			const struct cell *cells = &c->cells[row->cells];
			struct kpi_bigsum cum = KPI_BIGSUM_INIT;
			struct values v;

			total += row->size;
			row_active(c, row, r, act);
			write_group(c, w, group);
			write_period(c, r, w, row->cohort);
			if (r->wide)
				kpi_csv_write_long(w, (long long)row->size);
			for (k = 0; k < (r->wide ? width : row->ncells); k++) {
				if (k >= row->ncells) {
					kpi_csv_write_empty(w);
					continue;
				}
				kpi_bigsum_add(&cum, kpi_sum_value(&cells[k].revenue));
				cell_values(c, row, k, act, &cum, &v);
				if (r->wide) {
					write_measure(w, r,
						      measure(&v, r, have_value, r->measure),
						      r->measure == KPI_COHORT_ACTIVE);
					continue;
				}
				if (k > 0) {
					write_group(c, w, group);
					write_period(c, r, w, row->cohort);
				}
				kpi_csv_write_long(w, (long long)k);
				write_period(c, r, w, row->cohort + (long)k);
				write_long_values(w, r, have_value, &v);
			}
			if (r->wide)
				kpi_csv_end_row(w);
		}
		if (!r->summary)
			continue;
		/* The weighted average over the cohorts that reached each age:
		 * pooled counts, so each customer weighs the same. */
		pool_group(c, r, idx + i, j - i, width, act, pools);
		if (r->wide) {
			write_group(c, w, group);
			kpi_csv_write_empty(w);
			kpi_csv_write_long(w, (long long)total);
		}
		for (k = 0; k < width; k++) {
			struct values v;

			pool_values(&pools[k], &v);
			if (r->wide) {
				write_measure(w, r, measure(&v, r, have_value, r->measure),
					      r->measure == KPI_COHORT_ACTIVE);
				continue;
			}
			if (!pools[k].reached)
				continue;
			write_group(c, w, group);
			kpi_csv_write_empty(w);
			kpi_csv_write_long(w, (long long)k);
			kpi_csv_write_empty(w);
			write_long_values(w, r, have_value, &v);
		}
		if (r->wide)
			kpi_csv_end_row(w);
	}
	st = kpi_csv_writer_status(w);
out:
	free(pools);
	free(act);
	free(idx);
	return st;
}

static void
write_ratio(struct kpi_csv_writer *w, const struct kpi_cohort_report *r,
	    double num, double den)
{
	if (den == 0)
		kpi_csv_write_empty(w);
	else
		kpi_csv_write_double(w, num / den, r->precision);
}

/* The money columns of the NRR table, in their order. */
enum {
	NRR_START, NRR_RETAINED, NRR_EXPANSION, NRR_CONTRACTION, NRR_CHURNED,
	NRR_NEW, NRR_REACTIVATED, NRR_NRR, NRR_GRR, NRR_MONEY
};

static const char *const nrr_money_cols[NRR_MONEY] = {
	"start_revenue", "retained_revenue", "expansion", "contraction",
	"churned_revenue", "new_revenue", "reactivated_revenue", "nrr", "grr",
};

/* The money figures of one NRR row into m[]: NaN where the column is
 * empty by design, which is every one after start_revenue in a period not
 * over (`over` 0), and the ratios when nothing started. */
static void
nrr_money(const struct nrr_cell *x, const struct kpi_cohort_report *r,
	  int over, double *m)
{
	double start = kpi_sum_value(&x->start_rev);
	int i;

	for (i = 0; i < NRR_MONEY; i++)
		m[i] = NAN;
	m[NRR_START] = start;
	if (!over)
		return;
	m[NRR_RETAINED] = kpi_sum_value(&x->retained_rev);
	m[NRR_EXPANSION] = kpi_sum_value(&x->expansion);
	m[NRR_CONTRACTION] = kpi_sum_value(&x->contraction);
	m[NRR_CHURNED] = kpi_sum_value(&x->churned);
	m[NRR_NEW] = kpi_sum_value(&x->fresh_rev);
	m[NRR_REACTIVATED] = kpi_sum_value(&x->reactivated_rev);
	if (start == 0)
		return;
	m[NRR_NRR] = (m[NRR_RETAINED] +
		      (r->include_reactivated ? m[NRR_REACTIVATED] : 0)) / start;
	m[NRR_GRR] = kpi_sum_value(&x->gross) / start;
}

/* The first of m[] (from nrr_money()) that overflowed; -1 when none. */
static int
nrr_overflow(const double *m, int over)
{
	int i;

	for (i = 0; i < NRR_MONEY; i++) {
		if ((i > NRR_START && !over) || (i >= NRR_NRR && m[NRR_START] == 0))
			break;
		if (!isfinite(m[i]))
			return i;
	}
	return -1;
}

static enum kpi_status
nrr_overflow_error(const struct kpi_cohort *c,
		   const struct kpi_cohort_report *r, int i, uint32_t group,
		   long q, struct kpi_error *err)
{
	char grp[300], period[KPI_DATE_BUFSZ];

	of_group(c, group, grp, sizeof(grp));
	period_text(c, r, q, period);
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "%s of period %s%s " BEYOND_DOUBLE ": %s of column %s are too large to add up",
			     nrr_money_cols[i], period, grp,
			     i >= NRR_NRR ? "the start revenue is too small next to the revenue after it, or the amounts"
					  : "the amounts",
			     c->opt->value_col);
}

/* The rows of the NRR table, groups in the order `groups`; with w NULL,
 * only check that no money figure overflowed. */
static enum kpi_status
nrr_rows(const struct kpi_cohort *c, const struct kpi_cohort_report *r,
	 const uint32_t *groups, struct kpi_csv_writer *w,
	 struct kpi_error *err)
{
	double m[NRR_MONEY];
	size_t i;
	long q;
	int k;

	for (i = 0; i < c->ngroups; i++) {
		uint32_t grp = groups[i];

		if (c->group_first[grp] == LONG_MAX)
			continue;	/* every row of it was rejected */
		for (q = c->group_first[grp] + c->opt->nrr_lag; q <= c->asof_idx;
		     q++) {
			const struct nrr_cell *x = &c->nrr[grp][q - c->pmin];
			int over = q <= c->last_complete;

			nrr_money(x, r, over, m);
			if (!w) {
				k = nrr_overflow(m, over);
				if (k >= 0)
					return nrr_overflow_error(c, r, k, grp, q,
								  err);
				continue;
			}
			write_group(c, w, grp);
			write_period(c, r, w, q);
			kpi_csv_write_long(w, (long long)x->start);
			/* A period not over: only its start is known; the
			 * columns after start_revenue are empty (NaN). */
			if (over) {
				kpi_csv_write_long(w, (long long)x->retained);
				write_ratio(w, r, (double)x->retained,
					    (double)x->start);
			} else {
				kpi_csv_write_empty(w);
				kpi_csv_write_empty(w);
			}
			for (k = NRR_START; k <= NRR_CHURNED; k++)
				kpi_csv_write_double(w, m[k], r->precision);
			if (over)
				kpi_csv_write_long(w, (long long)x->fresh);
			else
				kpi_csv_write_empty(w);
			kpi_csv_write_double(w, m[NRR_NEW], r->precision);
			if (over)
				kpi_csv_write_long(w, (long long)x->reactivated);
			else
				kpi_csv_write_empty(w);
			for (k = NRR_REACTIVATED; k < NRR_MONEY; k++)
				kpi_csv_write_double(w, m[k], r->precision);
			kpi_csv_end_row(w);
		}
	}
	return KPI_OK;
}

enum kpi_status
kpi_cohort_write_nrr(struct kpi_cohort *c, const struct kpi_cohort_report *r,
		     struct kpi_csv_writer *w, struct kpi_error *err)
{
	static const char *const cols[] = {
		"period", "start_customers", "retained_customers",
		"logo_retention", "start_revenue", "retained_revenue",
		"expansion", "contraction", "churned_revenue", "new_customers",
		"new_revenue", "reactivated_customers", "reactivated_revenue",
		"nrr", "grr",
	};
	uint32_t *groups = NULL;
	size_t i, g;
	enum kpi_status st;

	if (!c->finished) {
		st = kpi_cohort_finish(c, err);
		if (st != KPI_OK)
			return st;
	}
	if (c->opt->nrr_lag <= 0 || !c->opt->value_col)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "net revenue retention needs an amount column and a lag");
	if (c->nrr) {
		groups = malloc(c->ngroups * sizeof(*groups));
		if (!groups)
			return nomem(err);
		for (g = 0; g < c->ngroups; g++)
			groups[g] = (uint32_t)g;
		sorting = c;
		qsort(groups, c->ngroups, sizeof(*groups), compare_group_slots);
		st = nrr_rows(c, r, groups, NULL, err);
		if (st != KPI_OK) {
			free(groups);
			return st;
		}
	}
	write_group_header(c, w);
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		kpi_csv_write_str(w, cols[i]);
	kpi_csv_end_row(w);
	if (c->nrr)
		nrr_rows(c, r, groups, w, err);
	free(groups);
	return kpi_csv_writer_status(w);
}
