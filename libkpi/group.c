/* group.c - hash grouping of key tuples to dense slots, over an arena. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "kpi/group.h"

/* ==== Arena ==== */

/* Chunks start small so that a tool with three groups does not reserve
 * megabytes, and double so that a million groups cost a few dozen mallocs;
 * past the ceiling the waste of a half-used last chunk stays bounded. */
#define ARENA_FIRST_CHUNK ((size_t)64 * 1024)
#define ARENA_MAX_CHUNK ((size_t)4 * 1024 * 1024)

/* The flexible array of max_align_t puts data[] at an offset aligned for any
 * type, and malloc() returns such an address, so aligned offsets within the
 * chunk give aligned pointers. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t size;			/* bytes in data[] */
	size_t used;
	max_align_t data[];
};

struct kpi_arena {
	struct arena_chunk *head;	/* the chunk being filled */
	size_t next_size;		/* data bytes of the next chunk */
	size_t reserved;		/* bytes obtained from malloc() */
};

struct kpi_arena *
kpi_arena_new(void)
{
	struct kpi_arena *a = malloc(sizeof(*a));

	if (!a)
		return NULL;
	a->head = NULL;
	a->next_size = ARENA_FIRST_CHUNK;
	a->reserved = 0;
	return a;
}

void
kpi_arena_free(struct kpi_arena *a)
{
	struct arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static struct arena_chunk *
chunk_new(size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - offsetof(struct arena_chunk, data))
		return NULL;
	c = malloc(offsetof(struct arena_chunk, data) + size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

/* len bytes at a multiple of align (a power of two, at most that of
 * max_align_t).  A request bigger than half a regular chunk gets a chunk of
 * its own, linked behind the head, so that the head's free tail is not thrown
 * away for it. */
static void *
arena_bump(struct kpi_arena *a, size_t len, size_t align)
{
	struct arena_chunk *c = a->head;
	size_t off;

	if (len == 0)
		len = 1;	/* distinct pointers for distinct calls */
	if (c) {
		off = (c->used + align - 1) & ~(align - 1);
		if (off <= c->size && c->size - off >= len) {
			c->used = off + len;
			return (unsigned char *)c->data + off;
		}
	}
	if (len > a->next_size / 2) {
		c = chunk_new(len);
		if (!c)
			return NULL;
		c->used = len;
		if (a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			a->head = c;
		}
		a->reserved += offsetof(struct arena_chunk, data) + len;
		return c->data;
	}
	c = chunk_new(a->next_size);
	if (!c)
		return NULL;
	a->reserved += offsetof(struct arena_chunk, data) + c->size;
	if (a->next_size < ARENA_MAX_CHUNK)
		a->next_size *= 2;
	c->next = a->head;
	a->head = c;
	c->used = len;
	return c->data;
}

void *
kpi_arena_alloc(struct kpi_arena *a, size_t len)
{
	const size_t align = alignof(max_align_t);

	/* Round up so that the next aligned request starts right after. */
	if (len > SIZE_MAX - align)
		return NULL;
	len = (len + align - 1) & ~(align - 1);
	return arena_bump(a, len, align);
}

char *
kpi_arena_strndup(struct kpi_arena *a, const char *s, size_t len)
{
	char *p;

	/* Strings need no alignment: packing them saves up to 15 bytes each. */
	if (len == SIZE_MAX)
		return NULL;
	p = arena_bump(a, len + 1, 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t
kpi_arena_size(const struct kpi_arena *a)
{
	return a ? a->reserved : 0;
}

/* ==== Hash ==== */

/* A word-at-a-time multiply-xorshift hash.  Each absorb step (xor, multiply
 * by an odd constant, xorshift) is a bijection of the state, so two inputs
 * that first differ in some word leave different states at that point.  Each
 * part is absorbed as its length followed by its bytes, so the encoding is
 * prefix-free and ("ab", "c") cannot collide structurally with ("a", "bc").
 * The finaliser is the 64-bit mixer of SplitMix64 (Steele, Lea & Flood 2014,
 * constants from Stafford's "Mix13"), which gives full avalanche, so both the
 * low bits (bucket) and the high bits (tag) are usable. */
#define HASH_SEED UINT64_C(0x6a09e667f3bcc909)
#define HASH_MUL UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t
absorb(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= HASH_MUL;
	h ^= h >> 32;
	return h;
}

static inline uint64_t
load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint64_t
load32(const unsigned char *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static inline uint64_t
finalise(uint64_t h)
{
	h ^= h >> 30;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return h;
}

/* The tail of 1..7 bytes is read with at most two loads instead of a byte
 * loop: for 4..7 bytes two overlapping 4-byte loads, for 1..3 bytes the
 * first, middle and last byte.  Given the length (absorbed before), both
 * cover every byte, so the mapping stays injective. */
static inline uint64_t
hash_part(uint64_t h, const unsigned char *p, size_t len)
{
	h = absorb(h, (uint64_t)len);
	while (len >= 8) {
		h = absorb(h, load64(p));
		p += 8;
		len -= 8;
	}
	if (len >= 4)
		h = absorb(h, load32(p) | load32(p + len - 4) << 32);
	else if (len > 0)
		h = absorb(h, (uint64_t)p[0] | (uint64_t)p[len / 2] << 8 |
			   (uint64_t)p[len - 1] << 16);
	return h;
}

/* ==== Group table ==== */

/* Layout, chosen so that a lookup touches two cache lines, its bucket and
 * the key's record, with no load in between to learn where the record is
 * (with many keys in random order every lookup misses the cache, and the
 * chain of dependent loads is what it costs):
 *  - index[0..nb-1], open addressing with linear probing: 0 for an empty
 *    bucket, else tag << 32 | (slot + 1), the tag being the high 32 bits of
 *    the hash.  The home bucket is the tag scaled to nb (tag * nb >> 32,
 *    Lemire 2019), so nb need not be a power of two and growing the index
 *    rehashes from the index alone, without reading a key.
 *  - one record per slot, at a fixed width within its chunk, so that its
 *    address follows from the slot without a load: chunk 0 holds slots
 *    0..63, chunk k >= 1 slots 2^(k+5)..2^(k+6)-1.  A record holds the
 *    tuple inline when it fits: nparts one-byte lengths, then each part's
 *    bytes and a NUL.  Otherwise its first byte is REC_OUT_OF_LINE and
 *    bytes 8..15 point to the tuple in the arena: nparts lengths (size_t),
 *    then each part's bytes and a NUL.  A new chunk takes the narrowest
 *    width (a multiple of 8 from 16 to 256) that inlines 95% of the keys
 *    seen so far; records never move, so kpi_group_part() pointers stay
 *    valid.  Chunks are allocated whole and written as slots fill, so the
 *    unused tail of the last one costs address space, not memory.
 * The load factor stays between 1/2 (after growing) and 7/10, where linear
 * probing needs about 2.2 probes for a hit and 6.1 for a miss (Knuth TAOCP
 * vol. 3, 6.4), most of them within the bucket's cache line: 8 bytes per
 * bucket make 11 to 16 bytes of index per key. */

/* The slot number must fit the low 32 bits of a bucket as slot + 1. */
#define GROUP_HARD_MAX ((size_t)1 << 31)
#define GROUP_FIRST_BUCKETS 64
/* Above this many parts the tuple header arithmetic could overflow; no CSV
 * has that many key columns. */
#define GROUP_MAX_PARTS ((size_t)1 << 16)

#define REC_FIRST_SHIFT 6	/* chunk 0 holds 2^6 records */
#define REC_CHUNKS 26		/* slots up to GROUP_HARD_MAX - 1 */
#define REC_OUT_OF_LINE 0xff	/* first byte of an out-of-line record */
#define REC_MIN_WIDTH 16	/* room for the marker and a pointer */
#define REC_MAX_WIDTH 256
/* Width classes 16, 24, ..., 256, then "not inline". */
#define REC_CLASSES ((REC_MAX_WIDTH - REC_MIN_WIDTH) / 8 + 2)

struct rec_chunk {
	unsigned char *rec;
	size_t width;
};

struct kpi_group {
	size_t nparts;
	size_t count;
	size_t max;			/* refuse more slots than this */
	uint64_t *index;
	size_t nb;			/* buckets */
	size_t grow_at;			/* slots the index can take */
	size_t nchunks;
	struct rec_chunk chunk[REC_CHUNKS];
	size_t seen[REC_CLASSES];	/* keys by the width they need */
	struct kpi_arena *arena;	/* out-of-line tuples */
};

static inline unsigned
floor_log2(size_t x)
{
#if defined(__GNUC__)
	return (unsigned)(sizeof(unsigned long long) * 8 - 1) -
	       (unsigned)__builtin_clzll((unsigned long long)x);
#else
	unsigned r = 0;

	while (x >>= 1)
		r++;
	return r;
#endif
}

static inline size_t
chunk_of(size_t slot)
{
	return slot >> REC_FIRST_SHIFT
	       ? (size_t)floor_log2(slot) - REC_FIRST_SHIFT + 1 : 0;
}

/* First slot of chunk k, which is also the number of slots in chunks
 * 0..k-1. */
static inline size_t
chunk_base(size_t k)
{
	return k ? (size_t)1 << (k + REC_FIRST_SHIFT - 1) : 0;
}

static inline size_t
chunk_slots(size_t k)
{
	return (size_t)1 << (k ? k + REC_FIRST_SHIFT - 1 : REC_FIRST_SHIFT);
}

enum kpi_status
kpi_group_new(struct kpi_group **out, size_t nparts, struct kpi_error *err)
{
	struct kpi_group *g = NULL;
	enum kpi_status st = KPI_ENOMEM;

	if (nparts == 0 || nparts > GROUP_MAX_PARTS)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "a key needs 1 to %zu parts, not %zu",
				     GROUP_MAX_PARTS, nparts);
	g = calloc(1, sizeof(*g));
	if (!g)
		goto out;
	g->nparts = nparts;
	g->max = GROUP_HARD_MAX;
	g->nb = GROUP_FIRST_BUCKETS;
	g->grow_at = GROUP_FIRST_BUCKETS * 7 / 10;
	g->index = kpi_big_alloc(GROUP_FIRST_BUCKETS * sizeof(*g->index));
	g->arena = kpi_arena_new();
	if (!g->index || !g->arena)
		goto out;
	*out = g;
	g = NULL;
	st = KPI_OK;
out:
	kpi_group_free(g);
	if (st != KPI_OK)
		kpi_error_set(err, st, 0, "out of memory for a group table");
	return st;
}

void
kpi_group_free(struct kpi_group *g)
{
	size_t k;

	if (!g)
		return;
	for (k = 0; k < g->nchunks; k++)
		kpi_big_free(g->chunk[k].rec, chunk_slots(k) * g->chunk[k].width);
	kpi_arena_free(g->arena);
	kpi_big_free(g->index, g->nb * sizeof(*g->index));
	free(g);
}

void
kpi_group_set_max(struct kpi_group *g, size_t max)
{
	g->max = max < GROUP_HARD_MAX ? max : GROUP_HARD_MAX;
}

size_t
kpi_group_count(const struct kpi_group *g)
{
	return g ? g->count : 0;
}

/* ==== Records ==== */

static inline const unsigned char *
rec_at(const struct kpi_group *g, size_t slot)
{
	const struct rec_chunk *c = &g->chunk[chunk_of(slot)];

	return c->rec + (slot - chunk_base(chunk_of(slot))) * c->width;
}

/* Bytes of an inline record for the tuple, or 0 when it cannot be inline
 * (a part of 255 bytes or more, or more than REC_MAX_WIDTH in all). */
static inline size_t
inline_size(size_t nparts, const size_t *lens)
{
	size_t need = nparts, i;

	for (i = 0; i < nparts; i++) {
		if (lens[i] >= REC_OUT_OF_LINE)
			return 0;
		need += lens[i] + 1;
		if (need > REC_MAX_WIDTH)
			return 0;
	}
	return need;
}

static inline size_t
width_class(size_t need)
{
	if (need == 0)
		return REC_CLASSES - 1;
	return need <= REC_MIN_WIDTH ? 0 : (need - REC_MIN_WIDTH + 7) / 8;
}

/* The narrowest width that inlines 95% of the keys seen so far and of
 * one more key needing `need` bytes. */
static size_t
choose_width(const struct kpi_group *g, size_t need)
{
	size_t total = 1, run = 0, c;

	for (c = 0; c < REC_CLASSES; c++)
		total += g->seen[c];
	for (c = 0; c + 1 < REC_CLASSES; c++) {
		run += g->seen[c] + (c == width_class(need));
		if (run >= total - total / 20)
			return REC_MIN_WIDTH + 8 * c;
	}
	return REC_MIN_WIDTH;	/* most keys are too long to inline */
}

/* The out-of-line tuple of a record: its lengths and its bytes. */
static inline const size_t *
rec_tuple(const unsigned char *r)
{
	const size_t *t;

	memcpy(&t, r + 8, sizeof(t));
	return t;
}

/* Equality of len bytes, inline: keys are short, and a memcmp() call per
 * part with a length that changes from row to row cost more than the rest
 * of the lookup.  Whole words, then the last word overlapping; below 8
 * bytes the same two-load cover as the hash's tail.  Never reads outside
 * either string. */
static inline int
bytes_equal(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t k;

	if (len >= 8) {
		for (k = 0; k + 8 < len; k += 8)
			if (load64(a + k) != load64(b + k))
				return 0;
		return load64(a + len - 8) == load64(b + len - 8);
	}
	if (len >= 4)
		return load32(a) == load32(b) &&
		       load32(a + len - 4) == load32(b + len - 4);
	if (len > 0)
		return a[0] == b[0] && a[len / 2] == b[len / 2] &&
		       a[len - 1] == b[len - 1];
	return 1;
}

static int
tuple_equal(const size_t *tl, size_t nparts, const char *const *parts,
	    const size_t *lens)
{
	const unsigned char *b = (const unsigned char *)(tl + nparts);
	size_t i;

	for (i = 0; i < nparts; i++)
		if (tl[i] != lens[i])
			return 0;
	for (i = 0; i < nparts; i++) {
		if (!bytes_equal(b, (const unsigned char *)parts[i], lens[i]))
			return 0;
		b += lens[i] + 1;
	}
	return 1;
}

/* Lengths first, then the bytes; a single part has its own short path. */
static inline int
rec_equal(const unsigned char *r, size_t nparts, const char *const *parts,
	  const size_t *lens)
{
	const unsigned char *b;
	size_t i;

	if (r[0] == REC_OUT_OF_LINE)
		return tuple_equal(rec_tuple(r), nparts, parts, lens);
	if (nparts == 1)
		return r[0] == lens[0] &&
		       bytes_equal(r + 1, (const unsigned char *)parts[0],
				   lens[0]);
	for (i = 0; i < nparts; i++)
		if (r[i] != lens[i])
			return 0;
	b = r + nparts;
	for (i = 0; i < nparts; i++) {
		if (!bytes_equal(b, (const unsigned char *)parts[i], lens[i]))
			return 0;
		b += lens[i] + 1;
	}
	return 1;
}

/* Copy the parts to b, each followed by a NUL. */
static void
copy_parts(unsigned char *b, size_t nparts, const char *const *parts,
	   const size_t *lens)
{
	size_t i;

	for (i = 0; i < nparts; i++) {
		if (lens[i])
			memcpy(b, parts[i], lens[i]);
		b[lens[i]] = '\0';
		b += lens[i] + 1;
	}
}

/* Write the record of slot (its chunk exists): inline when need (from
 * inline_size) fits the chunk's width, else in the arena. */
static enum kpi_status
rec_store(struct kpi_group *g, size_t slot, const char *const *parts,
	  const size_t *lens, size_t need, struct kpi_error *err)
{
	struct rec_chunk *c = &g->chunk[chunk_of(slot)];
	unsigned char *r = c->rec +
			   (slot - chunk_base(chunk_of(slot))) * c->width;
	size_t head = g->nparts * sizeof(size_t), total = head, i;
	unsigned char *t;

	if (need && need <= c->width) {
		for (i = 0; i < g->nparts; i++)
			r[i] = (unsigned char)lens[i];
		copy_parts(r + g->nparts, g->nparts, parts, lens);
		return KPI_OK;
	}
	for (i = 0; i < g->nparts; i++) {
		if (lens[i] >= SIZE_MAX - total)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "key too long");
		total += lens[i] + 1;
	}
	t = arena_bump(g->arena, total, alignof(size_t));
	if (!t)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory for a key of %zu bytes",
				     total);
	memcpy(t, lens, head);
	copy_parts(t + head, g->nparts, parts, lens);
	r[0] = REC_OUT_OF_LINE;
	memcpy(r + 8, &t, sizeof(t));
	return KPI_OK;
}

size_t
kpi_group_bytes(const struct kpi_group *g)
{
	size_t bytes, k;

	if (!g)
		return 0;
	bytes = sizeof(*g) + g->nb * sizeof(*g->index) +
		kpi_arena_size(g->arena);
	for (k = 0; k < g->nchunks; k++)
		bytes += chunk_slots(k) * g->chunk[k].width;
	return bytes;
}

/* ==== Index ==== */

/* The home bucket of a tag (the hash's high 32 bits) among nb <= 2^32. */
static inline size_t
home(uint64_t tag, size_t nb)
{
	return (size_t)((tag * (uint64_t)nb) >> 32);
}

/* Rebuild the index with twice as many buckets as slots (want), from the
 * tags in the old one. */
static enum kpi_status
index_grow(struct kpi_group *g, size_t want, struct kpi_error *err)
{
	const uint64_t most = (uint64_t)1 << 32;	/* see home() */
	size_t nb = want * 2, i, j, done = 0;
	uint64_t *index, e;

	if (nb < GROUP_FIRST_BUCKETS)
		nb = GROUP_FIRST_BUCKETS;
	if ((uint64_t)nb > most)
		nb = (size_t)most;
	if (nb > SIZE_MAX / sizeof(*index))
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "group index too large");
	index = kpi_big_alloc(nb * sizeof(*index));
	if (!index)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory growing the group index "
				     "to %zu buckets", nb);
	/* Homes keep the order of the tags, so the new index fills from
	 * its start as the old one is read from its start. */
	for (i = 0; i < g->nb; i++) {
		e = g->index[i];
		kpi_big_release(g->index, g->nb * sizeof(e), i * sizeof(e), &done);
		if (!e)
			continue;
		j = home(e >> 32, nb);
		while (index[j])
			if (++j == nb)
				j = 0;
		index[j] = e;
	}
	kpi_big_free(g->index, g->nb * sizeof(*g->index));
	g->index = index;
	g->nb = nb;
	g->grow_at = nb / 10 * 7 + nb % 10 * 7 / 10;
	return KPI_OK;
}

/* Make room for one more slot, whose record needs `need` bytes inline,
 * before anything is changed, so that a failure leaves the table as it
 * was. */
static enum kpi_status
reserve_slot(struct kpi_group *g, size_t need, struct kpi_error *err)
{
	struct rec_chunk *c;
	size_t k = g->nchunks, n;
	enum kpi_status st;

	if (g->count >= g->max)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "more than %zu distinct keys", g->max);
	if (g->count == chunk_base(k)) {
		c = &g->chunk[k];
		c->width = choose_width(g, need);
		n = chunk_slots(k);
		if (n > SIZE_MAX / c->width)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "group table too large");
		c->rec = kpi_big_alloc(n * c->width);
		if (!c->rec)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "out of memory for %zu groups",
					     chunk_base(k) + n);
		g->nchunks++;
	}
	if (g->count + 1 > g->grow_at) {
		st = index_grow(g, g->count + 1, err);
		if (st != KPI_OK)
			return st;
	}
	return KPI_OK;
}

/* ==== Lookup ==== */

static inline uint64_t
hash_tuple(size_t nparts, const char *const *parts, const size_t *lens)
{
	uint64_t h = HASH_SEED;
	size_t i;

	for (i = 0; i < nparts; i++)
		h = hash_part(h, (const unsigned char *)parts[i], lens[i]);
	return finalise(h);
}

/* The hot path of kpi-agg: one call per input row.  A hit allocates
 * nothing and normally touches one bucket and one record. */
enum kpi_status
kpi_group_intern(struct kpi_group *g, const char *const *parts,
		 const size_t *lens, size_t *slot, int *added,
		 struct kpi_error *err)
{
	uint64_t tag = hash_tuple(g->nparts, parts, lens) >> 32, e;
	size_t i = home(tag, g->nb), s, need;
	enum kpi_status st;

	for (;;) {
		e = g->index[i];
		if (e == 0)
			break;
		if (e >> 32 == tag) {
			s = (size_t)(uint32_t)e - 1;
			if (rec_equal(rec_at(g, s), g->nparts, parts, lens)) {
				*slot = s;
				if (added)
					*added = 0;
				return KPI_OK;
			}
		}
		if (++i == g->nb)
			i = 0;
	}

	need = inline_size(g->nparts, lens);
	st = reserve_slot(g, need, err);
	if (st == KPI_OK)
		st = rec_store(g, g->count, parts, lens, need, err);
	if (st != KPI_OK)
		return st;
	/* The index may have been rebuilt: probe again for a free bucket. */
	i = home(tag, g->nb);
	while (g->index[i])
		if (++i == g->nb)
			i = 0;
	s = g->count++;
	g->seen[width_class(need)]++;
	g->index[i] = tag << 32 | (uint64_t)(s + 1);
	*slot = s;
	if (added)
		*added = 1;
	return KPI_OK;
}

const char *
kpi_group_part(const struct kpi_group *g, size_t slot, size_t i, size_t *len)
{
	const unsigned char *r, *b;
	const size_t *tl;
	size_t k;

	if (!g || slot >= g->count || i >= g->nparts) {
		if (len)
			*len = 0;
		return NULL;
	}
	r = rec_at(g, slot);
	if (r[0] == REC_OUT_OF_LINE) {
		tl = rec_tuple(r);
		b = (const unsigned char *)(tl + g->nparts);
		for (k = 0; k < i; k++)
			b += tl[k] + 1;
		if (len)
			*len = tl[i];
		return (const char *)b;
	}
	b = r + g->nparts;
	for (k = 0; k < i; k++)
		b += (size_t)r[k] + 1;
	if (len)
		*len = r[i];
	return (const char *)b;
}

int
kpi_group_compare_part(const struct kpi_group *g, size_t x, size_t y,
		       size_t i)
{
	size_t lx, ly;
	const char *px = kpi_group_part(g, x, i, &lx);
	const char *py = kpi_group_part(g, y, i, &ly);
	int c = memcmp(px, py, lx < ly ? lx : ly);

	if (c)
		return c;
	return (lx > ly) - (lx < ly);
}

int
kpi_group_compare(const struct kpi_group *g, size_t x, size_t y, size_t nparts)
{
	size_t i;
	int c;

	for (i = 0; i < nparts; i++) {
		c = kpi_group_compare_part(g, x, y, i);
		if (c)
			return c;
	}
	return 0;
}

/* ==== Id map ==== */

/* Layout: one array of nb buckets of `width` bytes, open addressing with
 * linear probing from the home bucket (the hash's high 32 bits scaled to
 * nb, as in the group index).  A bucket holds:
 *  - bytes 0..3: the id + 1, 0 for an empty bucket;
 *  - byte 4: the key's length when the key is inline, in bytes
 *    5..width-1; or IDMAP_OUT_OF_LINE, with bytes 5..12 a pointer to the
 *    key in the arena: its length (size_t), then its bytes.
 * A key is inline exactly when it fits, so a key that fits never has to
 * look at an out-of-line bucket.  Keys are compared inside the bucket, so
 * a lookup reads one bucket (one cache line, at most two) where a group
 * table reads a bucket and a record.  Each growth picks the width (13, 14,
 * ..., 64 bytes: any width, since a bucket is read with memcpy(), and the
 * narrowest bucket is the most ids per cache line and per byte) that
 * inlines 95% of the keys seen, never narrower than before, rehashes from
 * the keys, and gives the old array's pages back as it goes, so that the
 * old and new arrays are not both held whole.  Load factor 1/2 to 7/10, as
 * in the group index. */
#define IDMAP_OUT_OF_LINE 0xff
#define IDMAP_KEY 5			/* offset of an inline key */
#define IDMAP_MIN_WIDTH (IDMAP_KEY + sizeof(size_t *))
#define IDMAP_MAX_WIDTH 64
#define IDMAP_CLASSES (IDMAP_MAX_WIDTH - IDMAP_MIN_WIDTH + 2)
#define IDMAP_FIRST_BUCKETS 64

struct kpi_idmap {
	unsigned char *bucket;
	size_t nb, width, bytes;	/* bytes: the array's allocated size */
	size_t count, grow_at;
	size_t seen[IDMAP_CLASSES];	/* keys by the width they need */
	struct kpi_arena *arena;	/* keys too long to inline */
};

/* Width class of a key of len bytes: the bucket width it needs less
 * IDMAP_MIN_WIDTH; the last class for keys too long for any width. */
static size_t
idmap_class(size_t len)
{
	size_t need = IDMAP_KEY + len;

	if (need > IDMAP_MAX_WIDTH)
		return IDMAP_CLASSES - 1;
	return need <= IDMAP_MIN_WIDTH ? 0 : need - IDMAP_MIN_WIDTH;
}

static size_t
idmap_choose_width(const struct kpi_idmap *m)
{
	size_t total = 0, run = 0, c;

	for (c = 0; c < IDMAP_CLASSES; c++)
		total += m->seen[c];
	for (c = 0; c + 1 < IDMAP_CLASSES; c++) {
		run += m->seen[c];
		if (run >= total - total / 20)
			return IDMAP_MIN_WIDTH + c;
	}
	return IDMAP_MIN_WIDTH;
}

/* A zeroed array of nb buckets of width bytes; *bytes gets its size. */
static unsigned char *
idmap_array(size_t nb, size_t width, size_t *bytes)
{
	if (nb > SIZE_MAX / width)
		return NULL;
	*bytes = nb * width;
	return kpi_big_alloc(*bytes);
}

enum kpi_status
kpi_idmap_new(struct kpi_idmap **out, struct kpi_error *err)
{
	struct kpi_idmap *m = calloc(1, sizeof(*m));

	if (m) {
		m->nb = IDMAP_FIRST_BUCKETS;
		m->width = IDMAP_MIN_WIDTH;
		m->grow_at = IDMAP_FIRST_BUCKETS * 7 / 10;
		m->bucket = idmap_array(m->nb, m->width, &m->bytes);
		m->arena = kpi_arena_new();
	}
	if (!m || !m->bucket || !m->arena) {
		kpi_idmap_free(m);
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory for an id map");
	}
	*out = m;
	return KPI_OK;
}

void
kpi_idmap_free(struct kpi_idmap *m)
{
	if (!m)
		return;
	kpi_big_free(m->bucket, m->bytes);
	kpi_arena_free(m->arena);
	free(m);
}

size_t
kpi_idmap_count(const struct kpi_idmap *m)
{
	return m ? m->count : 0;
}

size_t
kpi_idmap_bytes(const struct kpi_idmap *m)
{
	return m ? sizeof(*m) + m->bytes + kpi_arena_size(m->arena) : 0;
}

uint64_t
kpi_idmap_hash(const char *key, size_t len)
{
	return finalise(hash_part(HASH_SEED, (const unsigned char *)key, len));
}

void
kpi_idmap_prefetch(const struct kpi_idmap *m, uint64_t hash)
{
#if defined(__GNUC__)
	const unsigned char *b = m->bucket + home(hash >> 32, m->nb) * m->width;

	/* Both lines of a bucket that straddles two. */
	__builtin_prefetch(b);
	__builtin_prefetch(b + m->width - 1);
#else
	(void)m;
	(void)hash;
#endif
}

static inline uint32_t
idmap_id(const unsigned char *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/* The key of an out-of-line bucket: its length, then its bytes. */
static inline const size_t *
idmap_key(const unsigned char *b)
{
	const size_t *k;

	memcpy(&k, b + IDMAP_KEY, sizeof(k));
	return k;
}

/* Bucket b (of a map `width` wide) holds the key. */
static inline int
idmap_equal(const unsigned char *b, size_t width, const unsigned char *key,
	    size_t len)
{
	const size_t *k;

	if (b[4] != IDMAP_OUT_OF_LINE)
		return b[4] == len && bytes_equal(b + IDMAP_KEY, key, len);
	if (IDMAP_KEY + len <= width)
		return 0;	/* the key would be inline */
	k = idmap_key(b);
	return k[0] == len &&
	       bytes_equal((const unsigned char *)(k + 1), key, len);
}

/* Fill the empty bucket b (of a map `width` wide) with key and id.  A key
 * too long to inline goes to the arena, unless ool is its copy there
 * already (then this cannot fail). */
static enum kpi_status
idmap_fill(struct kpi_idmap *m, unsigned char *b, size_t width,
	   const unsigned char *key, size_t len, uint32_t id,
	   const size_t *ool, struct kpi_error *err)
{
	uint32_t v = id + 1;
	size_t *k;

	if (IDMAP_KEY + len <= width) {
		b[4] = (unsigned char)len;
		if (len)
			memcpy(b + IDMAP_KEY, key, len);
	} else {
		if (!ool) {
			if (len > SIZE_MAX - sizeof(size_t))
				return kpi_error_set(err, KPI_ENOMEM, 0,
						     "key too long");
			k = arena_bump(m->arena, sizeof(size_t) + len,
				       alignof(size_t));
			if (!k)
				return kpi_error_set(err, KPI_ENOMEM, 0,
						     "out of memory for a key of %zu bytes",
						     len);
			k[0] = len;
			memcpy(k + 1, key, len);
			ool = k;
		}
		b[4] = IDMAP_OUT_OF_LINE;
		memcpy(b + IDMAP_KEY, &ool, sizeof(ool));
	}
	memcpy(b, &v, sizeof(v));
	return KPI_OK;
}

/* The first empty bucket from the home of hash. */
static inline unsigned char *
idmap_free_bucket(unsigned char *bucket, size_t nb, size_t width,
		  uint64_t hash)
{
	size_t i = home(hash >> 32, nb);

	while (idmap_id(bucket + i * width))
		if (++i == nb)
			i = 0;
	return bucket + i * width;
}

/* Rebuild the map with twice as many buckets as ids (want), as wide as
 * the keys seen so far call for but never narrower, so that every inline
 * key still fits and nothing can fail once the new array is there. */
static enum kpi_status
idmap_grow(struct kpi_idmap *m, size_t want, struct kpi_error *err)
{
	const uint64_t most = (uint64_t)1 << 32;	/* see home() */
	size_t nb = want * 2, width = idmap_choose_width(m), bytes, i, len;
	size_t done = 0;
	unsigned char *bucket, *b;
	const unsigned char *key;
	const size_t *ool;
	uint64_t hash;

	if (width < m->width)
		width = m->width;
	if ((uint64_t)nb > most)
		nb = (size_t)most;
	bucket = idmap_array(nb, width, &bytes);
	if (!bucket)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory growing an id map to %zu keys",
				     want);
	/* As in index_grow(), the new array fills in the order the old one
	 * is read. */
	for (i = 0; i < m->nb; i++) {
		b = m->bucket + i * m->width;
		kpi_big_release(m->bucket, m->bytes, i * m->width, &done);
		if (idmap_id(b)) {
			ool = NULL;
			key = b + IDMAP_KEY;
			len = b[4];
			if (len == IDMAP_OUT_OF_LINE) {
				ool = idmap_key(b);
				key = (const unsigned char *)(ool + 1);
				len = ool[0];
			}
			hash = finalise(hash_part(HASH_SEED, key, len));
			idmap_fill(m, idmap_free_bucket(bucket, nb, width,
							hash),
				   width, key, len, idmap_id(b) - 1, ool,
				   NULL);
		}
	}
	kpi_big_free(m->bucket, m->bytes);
	m->bucket = bucket;
	m->nb = nb;
	m->width = width;
	m->bytes = bytes;
	m->grow_at = nb / 10 * 7 + nb % 10 * 7 / 10;
	return KPI_OK;
}

enum kpi_status
kpi_idmap_intern(struct kpi_idmap *m, const char *key, size_t len,
		 uint64_t hash, size_t *id, int *added, struct kpi_error *err)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t i = home(hash >> 32, m->nb);
	unsigned char *b;
	uint32_t v;
	enum kpi_status st;

	for (;;) {
		b = m->bucket + i * m->width;
		v = idmap_id(b);
		if (v == 0)
			break;
		if (idmap_equal(b, m->width, k, len)) {
			*id = v - 1;
			if (added)
				*added = 0;
			return KPI_OK;
		}
		if (++i == m->nb)
			i = 0;
	}
	if (m->count >= GROUP_HARD_MAX)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "more than %zu distinct keys",
				     GROUP_HARD_MAX);
	m->seen[idmap_class(len)]++;	/* counts towards a new width */
	st = KPI_OK;
	if (m->count + 1 > m->grow_at) {
		st = idmap_grow(m, m->count + 1, err);
		if (st == KPI_OK)
			b = idmap_free_bucket(m->bucket, m->nb, m->width, hash);
	}
	if (st == KPI_OK)
		st = idmap_fill(m, b, m->width, k, len, (uint32_t)m->count,
				NULL, err);
	if (st != KPI_OK) {
		m->seen[idmap_class(len)]--;
		return st;
	}
	*id = m->count++;
	if (added)
		*added = 1;
	return KPI_OK;
}
