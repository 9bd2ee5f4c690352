/* group.c - hash grouping of key tuples to dense slots, over an arena. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Layout:
 *  - slots[0..count-1], dense in order of first appearance: the full hash
 *    (so that rehashing never touches the tuples) and the tuple's address;
 *  - index[0..mask], open addressing with linear probing: 0 for an empty
 *    bucket, else (high 32 bits of the hash) << 32 | (slot + 1), so that most
 *    mismatches are rejected without leaving the index;
 *  - each tuple, in the arena, 8-aligned: its full hash, nparts lengths, then
 *    the parts' bytes, each followed by a NUL so that kpi_group_part() can
 *    hand out C strings.
 * The load factor is kept at or below 1/2, where linear probing needs about
 * 1.5 probes for a hit and 2.5 for a miss (Knuth TAOCP vol. 3, 6.4). */
struct group_slot {
	uint64_t hash;
	const unsigned char *tuple;
};

struct kpi_group {
	size_t nparts;
	size_t count;
	size_t cap;			/* room in slots[] */
	size_t max;			/* refuse more slots than this */
	struct group_slot *slots;
	uint64_t *index;
	size_t mask;			/* index has mask + 1 buckets */
	struct kpi_arena *arena;
};

/* The slot number must fit the low 32 bits of a bucket as slot + 1. */
#define GROUP_HARD_MAX ((size_t)1 << 31)
#define GROUP_FIRST_BUCKETS 64
/* Above this many parts the tuple header arithmetic could overflow; no CSV
 * has that many key columns. */
#define GROUP_MAX_PARTS ((size_t)1 << 16)

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
	g->mask = GROUP_FIRST_BUCKETS - 1;
	g->index = calloc(GROUP_FIRST_BUCKETS, sizeof(*g->index));
	g->cap = GROUP_FIRST_BUCKETS / 2;
	g->slots = malloc(g->cap * sizeof(*g->slots));
	g->arena = kpi_arena_new();
	if (!g->index || !g->slots || !g->arena)
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
	if (!g)
		return;
	kpi_arena_free(g->arena);
	free(g->index);
	free(g->slots);
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

size_t
kpi_group_bytes(const struct kpi_group *g)
{
	if (!g)
		return 0;
	return sizeof(*g) + g->cap * sizeof(*g->slots) +
	       (g->mask + 1) * sizeof(*g->index) + kpi_arena_size(g->arena);
}

static inline uint64_t
hash_tuple(size_t nparts, const char *const *parts, const size_t *lens)
{
	uint64_t h = HASH_SEED;
	size_t i;

	for (i = 0; i < nparts; i++)
		h = hash_part(h, (const unsigned char *)parts[i], lens[i]);
	return finalise(h);
}

static inline const size_t *
tuple_lens(const unsigned char *t)
{
	return (const size_t *)(const void *)(t + sizeof(uint64_t));
}

static inline const unsigned char *
tuple_bytes(const unsigned char *t, size_t nparts)
{
	return t + sizeof(uint64_t) + nparts * sizeof(size_t);
}

/* Equality of len bytes, inline: keys are short, and a memcmp() call per
 * part with a length that changes from row to row cost more than the rest
 * of the lookup.  Whole words, then the last word overlapping; below 8
 * bytes the same two-load cover as the hash's tail. */
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

/* Hash first (almost always decides), then the lengths, then the bytes. */
static inline int
tuple_equal(const unsigned char *t, size_t nparts, uint64_t h,
	    const char *const *parts, const size_t *lens)
{
	const size_t *tl = tuple_lens(t);
	const unsigned char *b;
	uint64_t th;
	size_t i;

	memcpy(&th, t, sizeof(th));
	if (th != h)
		return 0;
	for (i = 0; i < nparts; i++)
		if (tl[i] != lens[i])
			return 0;
	b = tuple_bytes(t, nparts);
	for (i = 0; i < nparts; i++) {
		if (!bytes_equal(b, (const unsigned char *)parts[i], lens[i]))
			return 0;
		b += lens[i] + 1;
	}
	return 1;
}

/* Double the index and reinsert every slot from its stored hash. */
static enum kpi_status
index_grow(struct kpi_group *g, struct kpi_error *err)
{
	size_t nb = (g->mask + 1) * 2, mask = nb - 1, s, i;
	uint64_t *index;

	if (nb > SIZE_MAX / sizeof(*index))
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "group index too large");
	index = calloc(nb, sizeof(*index));
	if (!index)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory growing the group index "
				     "to %zu buckets", nb);
	for (s = 0; s < g->count; s++) {
		uint64_t h = g->slots[s].hash;

		i = (size_t)h & mask;
		while (index[i])
			i = (i + 1) & mask;
		index[i] = (h >> 32) << 32 | (uint64_t)(s + 1);
	}
	free(g->index);
	g->index = index;
	g->mask = mask;
	return KPI_OK;
}

/* Make room for one more slot, before anything is changed, so that a failure
 * leaves the table as it was. */
static enum kpi_status
reserve_slot(struct kpi_group *g, struct kpi_error *err)
{
	struct group_slot *slots;
	size_t cap;
	enum kpi_status st;

	if (g->count >= g->max)
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "more than %zu distinct keys", g->max);
	if (g->count == g->cap) {
		cap = g->cap * 2;
		if (cap > g->max)
			cap = g->max;
		if (cap > SIZE_MAX / sizeof(*slots))
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "group table too large");
		slots = realloc(g->slots, cap * sizeof(*slots));
		if (!slots)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "out of memory for %zu groups",
					     cap);
		g->slots = slots;
		g->cap = cap;
	}
	if ((g->count + 1) * 2 > g->mask + 1) {
		st = index_grow(g, err);
		if (st != KPI_OK)
			return st;
	}
	return KPI_OK;
}

static unsigned char *
tuple_new(struct kpi_group *g, uint64_t h, const char *const *parts,
	  const size_t *lens, struct kpi_error *err)
{
	size_t head = sizeof(uint64_t) + g->nparts * sizeof(size_t);
	size_t total = head, i;
	unsigned char *t, *b;

	for (i = 0; i < g->nparts; i++) {
		if (lens[i] >= SIZE_MAX - total) {
			kpi_error_set(err, KPI_ENOMEM, 0, "key too long");
			return NULL;
		}
		total += lens[i] + 1;
	}
	t = arena_bump(g->arena, total, alignof(uint64_t));
	if (!t) {
		kpi_error_set(err, KPI_ENOMEM, 0,
			      "out of memory for a key of %zu bytes", total);
		return NULL;
	}
	memcpy(t, &h, sizeof(h));
	memcpy(t + sizeof(h), lens, g->nparts * sizeof(size_t));
	b = t + head;
	for (i = 0; i < g->nparts; i++) {
		if (lens[i])
			memcpy(b, parts[i], lens[i]);
		b[lens[i]] = '\0';
		b += lens[i] + 1;
	}
	return t;
}

/* The hot path of kpi-agg: one call per input row.  A hit allocates nothing
 * and normally touches one bucket and one tuple. */
enum kpi_status
kpi_group_intern(struct kpi_group *g, const char *const *parts,
		 const size_t *lens, size_t *slot, int *added,
		 struct kpi_error *err)
{
	uint64_t h = hash_tuple(g->nparts, parts, lens);
	uint64_t tag = h >> 32, b;
	size_t i = (size_t)h & g->mask, s;
	unsigned char *t;
	enum kpi_status st;

	for (;;) {
		b = g->index[i];
		if (b == 0)
			break;
		if (b >> 32 == tag) {
			s = (size_t)(uint32_t)b - 1;
			if (tuple_equal(g->slots[s].tuple, g->nparts, h, parts,
					lens)) {
				*slot = s;
				if (added)
					*added = 0;
				return KPI_OK;
			}
		}
		i = (i + 1) & g->mask;
	}

	st = reserve_slot(g, err);
	if (st != KPI_OK)
		return st;
	t = tuple_new(g, h, parts, lens, err);
	if (!t)
		return KPI_ENOMEM;
	/* The index may have been rebuilt: probe again for a free bucket. */
	i = (size_t)h & g->mask;
	while (g->index[i])
		i = (i + 1) & g->mask;
	s = g->count++;
	g->slots[s].hash = h;
	g->slots[s].tuple = t;
	g->index[i] = tag << 32 | (uint64_t)(s + 1);
	*slot = s;
	if (added)
		*added = 1;
	return KPI_OK;
}

const char *
kpi_group_part(const struct kpi_group *g, size_t slot, size_t i, size_t *len)
{
	const unsigned char *t, *b;
	const size_t *lens;
	size_t k;

	if (!g || slot >= g->count || i >= g->nparts) {
		if (len)
			*len = 0;
		return NULL;
	}
	t = g->slots[slot].tuple;
	lens = tuple_lens(t);
	b = tuple_bytes(t, g->nparts);
	for (k = 0; k < i; k++)
		b += lens[k] + 1;
	if (len)
		*len = lens[i];
	return (const char *)b;
}

int
kpi_group_compare(const struct kpi_group *g, size_t x, size_t y, size_t nparts)
{
	size_t i;

	for (i = 0; i < nparts; i++) {
		size_t lx, ly;
		const char *px = kpi_group_part(g, x, i, &lx);
		const char *py = kpi_group_part(g, y, i, &ly);
		int c = memcmp(px, py, lx < ly ? lx : ly);

		if (c)
			return c;
		if (lx != ly)
			return lx < ly ? -1 : 1;
	}
	return 0;
}
