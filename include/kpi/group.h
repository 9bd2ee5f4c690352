/* kpi/group.h - grouping of key tuples to dense slots, and the arena that
 * holds their bytes.
 *
 * A key is a tuple of byte strings (binary-safe, with lengths).  Each distinct
 * tuple gets a slot number 0, 1, 2, ... in order of first appearance, which
 * the caller uses to index its own accumulator arrays.  Memory grows with the
 * number of distinct keys, not with the number of lookups.
 */
#ifndef KPI_GROUP_H
#define KPI_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "kpi/error.h"

/* ==== Arena: append-only storage freed all at once ==== */

struct kpi_arena;

struct kpi_arena *kpi_arena_new(void);
void kpi_arena_free(struct kpi_arena *a);		/* NULL is fine */
/* len bytes, aligned for any type; NULL when out of memory. */
void *kpi_arena_alloc(struct kpi_arena *a, size_t len);
/* A copy of len bytes plus a NUL; NULL when out of memory. */
char *kpi_arena_strndup(struct kpi_arena *a, const char *s, size_t len);
/* Bytes held (for memory reports and caps). */
size_t kpi_arena_size(const struct kpi_arena *a);

/* ==== Group table ==== */

struct kpi_group;

/* A table for tuples of nparts strings (nparts >= 1). */
enum kpi_status kpi_group_new(struct kpi_group **out, size_t nparts,
			      struct kpi_error *err);
void kpi_group_free(struct kpi_group *g);		/* NULL is fine */

/* The slot of the tuple parts[0..nparts-1] (lengths lens[]), adding it when
 * new; *added (when non-NULL) tells which.  The bytes are copied. */
enum kpi_status kpi_group_intern(struct kpi_group *g, const char *const *parts,
				 const size_t *lens, size_t *slot, int *added,
				 struct kpi_error *err);

/* Number of slots (distinct tuples so far). */
size_t kpi_group_count(const struct kpi_group *g);

/* Order of the tuples in slots x and y by their first nparts parts: each
 * part compared bytewise, a shorter prefix first (<0, 0, >0 as memcmp).
 * The tools write their groups in the order of kpi/keyorder.h instead,
 * which orders a column of numbers numerically. */
int kpi_group_compare(const struct kpi_group *g, size_t x, size_t y,
		      size_t nparts);
/* The same for part i alone. */
int kpi_group_compare_part(const struct kpi_group *g, size_t x, size_t y,
			   size_t i);

/* Part i of the tuple in slot; *len (when non-NULL) gets its length.  The
 * bytes are NUL-terminated and live as long as the table.  NULL (and *len 0)
 * when slot or i is out of range. */
const char *kpi_group_part(const struct kpi_group *g, size_t slot, size_t i,
			   size_t *len);

/* Refuse more than max distinct tuples: kpi_group_intern() of a new tuple
 * then fails with KPI_ENOMEM and a message.  The default, and the ceiling,
 * is 2^31. */
void kpi_group_set_max(struct kpi_group *g, size_t max);

/* Bytes held by the table, its index and its arena (for memory reports). */
size_t kpi_group_bytes(const struct kpi_group *g);

/* ==== Id map: distinct byte strings to dense numbers, one way ====
 *
 * For keys that are only looked up, such as the deal ids of a stage
 * history: like a one-part group table, but with no way back from a number
 * to its bytes, which lets a short key live in its index bucket so that a
 * lookup reads one cache line instead of two. */

struct kpi_idmap;

enum kpi_status kpi_idmap_new(struct kpi_idmap **out, struct kpi_error *err);
void kpi_idmap_free(struct kpi_idmap *m);		/* NULL is fine */

/* The hash of a key, for kpi_idmap_prefetch() and kpi_idmap_intern(); it
 * depends on the bytes only. */
uint64_t kpi_idmap_hash(const char *key, size_t len);
/* Start loading the key's bucket into the cache, so that other work can
 * be done while it comes; changes nothing. */
void kpi_idmap_prefetch(const struct kpi_idmap *m, uint64_t hash);
/* The number of the key (len bytes, binary-safe; hash is
 * kpi_idmap_hash(key, len)): 0, 1, 2, ... in order of first appearance,
 * adding it when new; *added (when non-NULL) tells which.  The bytes are
 * copied.  KPI_ENOMEM past 2^31 keys or when out of memory, leaving the
 * map as it was. */
enum kpi_status kpi_idmap_intern(struct kpi_idmap *m, const char *key,
				 size_t len, uint64_t hash, size_t *id,
				 int *added, struct kpi_error *err);

/* Number of keys so far. */
size_t kpi_idmap_count(const struct kpi_idmap *m);
/* Bytes held (for memory reports). */
size_t kpi_idmap_bytes(const struct kpi_idmap *m);

#endif
