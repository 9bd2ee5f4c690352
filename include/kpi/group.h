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

/* Part i of the tuple in slot; *len (when non-NULL) gets its length.  The
 * bytes are NUL-terminated and live as long as the table.  NULL (and *len 0)
 * when slot or i is out of range. */
/* Order of the tuples in slots x and y by their first nparts parts: each
 * part compared bytewise, a shorter prefix first (<0, 0, >0 as memcmp).
 * This is the output order of every tool's groups. */
int kpi_group_compare(const struct kpi_group *g, size_t x, size_t y,
		      size_t nparts);

const char *kpi_group_part(const struct kpi_group *g, size_t slot, size_t i,
			   size_t *len);

/* Refuse more than max distinct tuples: kpi_group_intern() of a new tuple
 * then fails with KPI_ENOMEM and a message.  The default, and the ceiling,
 * is 2^31. */
void kpi_group_set_max(struct kpi_group *g, size_t max);

/* Bytes held by the table, its index and its arena (for memory reports). */
size_t kpi_group_bytes(const struct kpi_group *g);

#endif
