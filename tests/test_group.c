/* test_group.c - unit tests for the arena and the group table. */
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "kpi/error.h"
#include "kpi/group.h"

/* ==== Helpers ==== */

static struct kpi_group *
group_new_or_fail(size_t nparts)
{
	struct kpi_group *g = NULL;
	struct kpi_error err;

	kpi_error_clear(&err);
	if (kpi_group_new(&g, nparts, &err) != KPI_OK)
		fail_msg("kpi_group_new: %s", err.msg);
	assert_non_null(g);
	return g;
}

/* Intern a 2-part tuple of C strings; returns the slot, sets *added. */
static size_t
intern2(struct kpi_group *g, const char *a, const char *b, int *added)
{
	const char *parts[2] = { a, b };
	size_t lens[2] = { strlen(a), strlen(b) };
	size_t slot = (size_t)-1;
	struct kpi_error err;

	kpi_error_clear(&err);
	if (kpi_group_intern(g, parts, lens, &slot, added, &err) != KPI_OK)
		fail_msg("kpi_group_intern: %s", err.msg);
	return slot;
}

static size_t
intern_bytes(struct kpi_group *g, const char *const *parts,
	     const size_t *lens, int *added)
{
	size_t slot = (size_t)-1;

	assert_int_equal(kpi_group_intern(g, parts, lens, &slot, added, NULL),
			 KPI_OK);
	return slot;
}

/* ==== Arena ==== */

static void
test_arena_alloc_is_aligned_for_any_type(void **state)
{
	struct kpi_arena *a = kpi_arena_new();
	size_t sizes[] = { 1, 3, 7, 8, 15, 16, 17, 31, 100, 0, 1, 4095 };
	size_t k;

	assert_non_null(a);
	for (k = 0; k < 2000; k++) {
		size_t len = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))];
		unsigned char *p = kpi_arena_alloc(a, len);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xa5, len);	/* ASan/valgrind check the bounds */
	}
	kpi_arena_free(a);
}

static void
test_arena_alloc_gives_distinct_non_overlapping_blocks(void **state)
{
	struct kpi_arena *a = kpi_arena_new();
	unsigned char *p[200];
	size_t k, i;

	assert_non_null(a);
	for (k = 0; k < 200; k++) {
		p[k] = kpi_arena_alloc(a, 1000);
		assert_non_null(p[k]);
		memset(p[k], (int)k, 1000);
	}
	/* 200 KB spans several chunks; nothing was overwritten. */
	for (k = 0; k < 200; k++)
		for (i = 0; i < 1000; i++)
			assert_int_equal(p[k][i], (unsigned char)k);
	kpi_arena_free(a);
}

static void
test_arena_large_allocation_gets_its_own_chunk(void **state)
{
	struct kpi_arena *a = kpi_arena_new();
	size_t big = (size_t)10 * 1024 * 1024, before;
	unsigned char *small1, *large, *small2;

	assert_non_null(a);
	assert_int_equal(kpi_arena_size(a), 0);
	small1 = kpi_arena_alloc(a, 100);
	assert_non_null(small1);
	before = kpi_arena_size(a);
	assert_true(before >= 100);
	assert_true(before < big);

	large = kpi_arena_alloc(a, big);
	assert_non_null(large);
	assert_int_equal((uintptr_t)large % alignof(max_align_t), 0);
	memset(large, 0x5a, big);
	assert_true(kpi_arena_size(a) >= before + big);

	/* Small allocations keep filling the first chunk: no new chunk for
	 * them, so the reserved size does not move. */
	before = kpi_arena_size(a);
	small2 = kpi_arena_alloc(a, 100);
	assert_non_null(small2);
	assert_int_equal(kpi_arena_size(a), before);
	assert_true((uintptr_t)small2 + 100 <= (uintptr_t)large ||
		    (uintptr_t)small2 >= (uintptr_t)large + big);
	kpi_arena_free(a);
}

static void
test_arena_refuses_size_that_overflows(void **state)
{
	struct kpi_arena *a = kpi_arena_new();

	assert_non_null(a);
	assert_null(kpi_arena_alloc(a, SIZE_MAX));
	assert_null(kpi_arena_alloc(a, SIZE_MAX - 3));
	assert_null(kpi_arena_strndup(a, "x", SIZE_MAX));
	/* Still usable afterwards. */
	assert_non_null(kpi_arena_alloc(a, 8));
	kpi_arena_free(a);
}

static void
test_arena_strndup_copies_bytes_and_terminates(void **state)
{
	struct kpi_arena *a = kpi_arena_new();
	const char src[] = { 'a', '\0', 'b', 'c', 'X' };
	char *s, *e;

	assert_non_null(a);
	s = kpi_arena_strndup(a, src, 4);
	assert_non_null(s);
	assert_memory_equal(s, src, 4);
	assert_int_equal(s[4], '\0');
	e = kpi_arena_strndup(a, NULL, 0);
	assert_non_null(e);
	assert_string_equal(e, "");
	assert_ptr_not_equal(s, e);
	kpi_arena_free(a);
}

static void
test_arena_free_accepts_null(void **state)
{
	kpi_arena_free(NULL);
	assert_int_equal(kpi_arena_size(NULL), 0);
}

/* ==== Group table ==== */

static void
test_group_new_rejects_zero_parts(void **state)
{
	static char sentinel;
	struct kpi_group *const before = (struct kpi_group *)(void *)&sentinel;
	struct kpi_group *g = before;	/* must stay put on error */
	struct kpi_error err;

	kpi_error_clear(&err);
	assert_int_equal(kpi_group_new(&g, 0, &err), KPI_EINVAL);
	assert_int_equal(err.status, KPI_EINVAL);
	assert_true(strlen(err.msg) > 0);
	assert_ptr_equal(g, before);
}

static void
test_group_free_accepts_null(void **state)
{
	kpi_group_free(NULL);
	assert_int_equal(kpi_group_count(NULL), 0);
}

static void
test_group_intern_gives_dense_slots_in_first_seen_order(void **state)
{
	struct kpi_group *g = group_new_or_fail(2);
	int added = -1;

	assert_int_equal(kpi_group_count(g), 0);
	assert_int_equal(intern2(g, "West", "Negotiation", &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(intern2(g, "East", "Negotiation", &added), 1);
	assert_int_equal(added, 1);
	assert_int_equal(intern2(g, "West", "Closed Won", &added), 2);
	assert_int_equal(added, 1);
	assert_int_equal(intern2(g, "East", "Negotiation", &added), 1);
	assert_int_equal(added, 0);
	assert_int_equal(intern2(g, "North", "Proposal", &added), 3);
	assert_int_equal(added, 1);
	assert_int_equal(kpi_group_count(g), 4);
	kpi_group_free(g);
}

static void
test_group_intern_same_tuple_gives_same_slot_not_added(void **state)
{
	struct kpi_group *g = group_new_or_fail(2);
	char a[16], b[16];
	size_t first, again;
	int added = -1;
	int k;

	first = intern2(g, "West", "Negotiation", &added);
	assert_int_equal(added, 1);
	/* Fresh copies of the bytes, so identity is by content. */
	for (k = 0; k < 100; k++) {
		snprintf(a, sizeof(a), "%s", "West");
		snprintf(b, sizeof(b), "%s", "Negotiation");
		again = intern2(g, a, b, &added);
		assert_int_equal(again, first);
		assert_int_equal(added, 0);
	}
	/* added may be NULL. */
	assert_int_equal(intern2(g, "West", "Negotiation", NULL), first);
	assert_int_equal(kpi_group_count(g), 1);
	kpi_group_free(g);
}

static void
test_group_parts_are_binary_safe(void **state)
{
	struct kpi_group *g = group_new_or_fail(2);
	const char *ab_c[2] = { "ab", "c" }, *a_bc[2] = { "a", "bc" };
	size_t l21[2] = { 2, 1 }, l12[2] = { 1, 2 };
	const char *e_x[2] = { "", "x" }, *x_e[2] = { "x", "" };
	size_t l01[2] = { 0, 1 }, l10[2] = { 1, 0 };
	const char *e_e[2] = { "", "" }, *null_null[2] = { NULL, NULL };
	size_t l00[2] = { 0, 0 };
	const char nul1[] = { 'a', '\0', 'b' }, nul2[] = { 'a', '\0', 'c' };
	const char *n1[2] = { nul1, "z" }, *n2[2] = { nul2, "z" };
	const char *n3[2] = { "a", "z" };
	size_t l31[2] = { 3, 1 }, l11[2] = { 1, 1 };
	size_t s[8], i, j;
	int added;

	s[0] = intern_bytes(g, ab_c, l21, &added);
	s[1] = intern_bytes(g, a_bc, l12, &added);
	s[2] = intern_bytes(g, e_x, l01, &added);
	s[3] = intern_bytes(g, x_e, l10, &added);
	s[4] = intern_bytes(g, e_e, l00, &added);
	s[5] = intern_bytes(g, n1, l31, &added);
	s[6] = intern_bytes(g, n2, l31, &added);
	s[7] = intern_bytes(g, n3, l11, &added);	/* "a" is a prefix */
	for (i = 0; i < 8; i++) {
		assert_int_equal(s[i], i);
		for (j = 0; j < i; j++)
			assert_true(s[i] != s[j]);
	}
	assert_int_equal(kpi_group_count(g), 8);

	/* Empty parts may be passed as NULL pointers with length 0. */
	assert_int_equal(intern_bytes(g, null_null, l00, &added), s[4]);
	assert_int_equal(added, 0);
	assert_int_equal(intern_bytes(g, n2, l31, &added), s[6]);
	assert_int_equal(added, 0);
	assert_int_equal(intern_bytes(g, a_bc, l12, &added), s[1]);
	assert_int_equal(added, 0);
	kpi_group_free(g);
}

static void
test_group_part_returns_bytes_and_lengths(void **state)
{
	struct kpi_group *g = group_new_or_fail(3);
	const char nul[] = { 'x', '\0', 'y' };
	const char *parts[3] = { "West", "", nul };
	size_t lens[3] = { 4, 0, 3 };
	const char *p;
	size_t slot, len = 99;
	int added;

	slot = intern_bytes(g, parts, lens, &added);
	assert_int_equal(added, 1);

	p = kpi_group_part(g, slot, 0, &len);
	assert_int_equal(len, 4);
	assert_string_equal(p, "West");
	assert_ptr_not_equal(p, parts[0]);	/* the bytes were copied */

	p = kpi_group_part(g, slot, 1, &len);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");

	p = kpi_group_part(g, slot, 2, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(p, nul, 3);
	assert_int_equal(p[3], '\0');

	/* len may be NULL. */
	assert_string_equal(kpi_group_part(g, slot, 0, NULL), "West");
	kpi_group_free(g);
}

static void
test_group_part_out_of_range_gives_null(void **state)
{
	struct kpi_group *g = group_new_or_fail(2);
	size_t len = 99;

	assert_null(kpi_group_part(g, 0, 0, &len));
	assert_int_equal(len, 0);
	intern2(g, "a", "b", NULL);
	assert_non_null(kpi_group_part(g, 0, 1, NULL));
	len = 99;
	assert_null(kpi_group_part(g, 0, 2, &len));
	assert_int_equal(len, 0);
	assert_null(kpi_group_part(g, 1, 0, NULL));
	kpi_group_free(g);
}

/* The bytes the million-key test uses for key k. */
static void
million_key(size_t k, char *a, char *b)
{
	snprintf(a, 32, "customer-%zu", k * 7919 % 1000003);
	snprintf(b, 32, "%zu", k);
}

static void
test_group_growth_keeps_one_million_keys(void **state)
{
	struct kpi_group *g = group_new_or_fail(2);
	const size_t n = 1000000;
	char a[32], b[32];
	const char *p;
	size_t k, len;
	int added;

	for (k = 0; k < n; k++) {
		million_key(k, a, b);
		assert_int_equal(intern2(g, a, b, &added), k);
		assert_int_equal(added, 1);
	}
	assert_int_equal(kpi_group_count(g), n);
	assert_true(kpi_group_bytes(g) > n * 16);

	/* After twenty-odd rehashes every key still maps to its own slot. */
	for (k = 0; k < n; k += (k < 1000 ? 1 : 997)) {
		million_key(k, a, b);
		assert_int_equal(intern2(g, a, b, &added), k);
		assert_int_equal(added, 0);
		p = kpi_group_part(g, k, 0, &len);
		assert_int_equal(len, strlen(a));
		assert_string_equal(p, a);
		p = kpi_group_part(g, k, 1, &len);
		assert_string_equal(p, b);
	}
	million_key(n - 1, a, b);
	assert_int_equal(intern2(g, a, b, &added), n - 1);
	assert_int_equal(added, 0);
	assert_int_equal(kpi_group_count(g), n);
	kpi_group_free(g);
}

static void
test_group_cap_refuses_new_keys_with_enomem(void **state)
{
	struct kpi_group *g = group_new_or_fail(1);
	const char *parts[1];
	size_t lens[1], slot = 12345;
	char buf[16];
	struct kpi_error err;
	int added = 7;
	int k;

	kpi_group_set_max(g, 100);
	for (k = 0; k < 100; k++) {
		snprintf(buf, sizeof(buf), "k%d", k);
		parts[0] = buf;
		lens[0] = strlen(buf);
		assert_int_equal(kpi_group_intern(g, parts, lens, &slot,
						  &added, NULL), KPI_OK);
	}
	slot = 12345;
	added = 7;
	parts[0] = "one too many";
	lens[0] = strlen(parts[0]);
	kpi_error_clear(&err);
	assert_int_equal(kpi_group_intern(g, parts, lens, &slot, &added, &err),
			 KPI_ENOMEM);
	assert_int_equal(err.status, KPI_ENOMEM);
	assert_non_null(strstr(err.msg, "100"));
	/* Out-parameters untouched, table unchanged and still usable. */
	assert_int_equal(slot, 12345);
	assert_int_equal(added, 7);
	assert_int_equal(kpi_group_count(g), 100);
	parts[0] = "k42";
	lens[0] = 3;
	assert_int_equal(kpi_group_intern(g, parts, lens, &slot, &added, &err),
			 KPI_OK);
	assert_int_equal(slot, 42);
	assert_int_equal(added, 0);
	kpi_group_free(g);
}

static void
test_group_single_part_keys_with_long_bytes(void **state)
{
	struct kpi_group *g = group_new_or_fail(1);
	static char big[100000];
	const char *parts[1] = { big };
	size_t lens[1], len;
	int added;

	/* Keys of every length 0..40 share a prefix: the word loop and the
	 * 1-3 and 4-7 byte tails must tell them all apart. */
	memset(big, 'q', sizeof(big));
	for (lens[0] = 0; lens[0] <= 40; lens[0]++)
		assert_int_equal(intern_bytes(g, parts, lens, &added),
				 lens[0]);
	for (lens[0] = 0; lens[0] <= 40; lens[0]++) {
		assert_int_equal(intern_bytes(g, parts, lens, &added),
				 lens[0]);
		assert_int_equal(added, 0);
	}
	/* One byte changed anywhere in a long key is a different key. */
	lens[0] = sizeof(big);
	assert_int_equal(intern_bytes(g, parts, lens, &added), 41);
	big[sizeof(big) / 2] = 'r';
	assert_int_equal(intern_bytes(g, parts, lens, &added), 42);
	assert_int_equal(added, 1);
	assert_memory_equal(kpi_group_part(g, 42, 0, &len), big, sizeof(big));
	assert_int_equal(len, sizeof(big));
	kpi_group_free(g);
}

/* Key k of the next test: its number and a dash, then a letter repeated:
 * 200 keys of 8 bytes, 1300 of 20 to 59 (wider chunks), then lengths
 * cycling through 3..399 (most of them out of line). */
static void
every_width_key(char *key, size_t k, size_t *len)
{
	int n;

	*len = k < 200 ? 8 : k < 1500 ? 20 + k % 40 : 3 + k % 397;
	memset(key, 'a' + (int)(k % 26), *len);
	n = snprintf(key, 16, "%zu", k);
	key[n] = '-';
	if (*len < (size_t)n + 1)
		*len = (size_t)n + 1;
}

/* Keys of growing length: short ones inline in the first chunks, longer
 * ones in wider chunks, and past 254 bytes (a one-byte length) or 256 in
 * all out of line.  Every slot keeps its bytes and is found again. */
static void
test_group_records_of_every_width_keep_their_bytes(void **state)
{
	struct kpi_group *g = group_new_or_fail(1);
	static char key[400];
	const char *parts[1] = { key };
	size_t lens[1], k, n = 4000, len;
	const char *p;
	int added;

	for (k = 0; k < n; k++) {
		every_width_key(key, k, lens);
		assert_int_equal(intern_bytes(g, parts, lens, &added), k);
		assert_int_equal(added, 1);
	}
	for (k = 0; k < n; k++) {
		every_width_key(key, k, lens);
		assert_int_equal(intern_bytes(g, parts, lens, &added), k);
		assert_int_equal(added, 0);
		p = kpi_group_part(g, k, 0, &len);
		assert_int_equal(len, lens[0]);
		assert_memory_equal(p, key, len);
		assert_int_equal(p[len], '\0');
	}
	kpi_group_free(g);
}

/* A multi-part tuple goes out of line when one part is 255 bytes or more,
 * and stays distinct from the same bytes split differently. */
static void
test_group_multi_part_tuples_with_a_long_part(void **state)
{
	struct kpi_group *g = group_new_or_fail(3);
	static char big[300];
	const char *parts[3] = { "x", big, "" };
	size_t lens[3] = { 1, 255, 0 }, len;
	int added;

	memset(big, 'b', sizeof(big));
	assert_int_equal(intern_bytes(g, parts, lens, &added), 0);
	lens[1] = 254;			/* inline */
	assert_int_equal(intern_bytes(g, parts, lens, &added), 1);
	lens[1] = 255;
	lens[2] = 1;
	parts[2] = "b";
	assert_int_equal(intern_bytes(g, parts, lens, &added), 2);
	lens[1] = 256;			/* "x", 256 b's, "" */
	lens[2] = 0;
	assert_int_equal(intern_bytes(g, parts, lens, &added), 3);
	assert_int_equal(added, 1);
	lens[1] = 255;
	assert_int_equal(intern_bytes(g, parts, lens, &added), 0);
	assert_int_equal(added, 0);
	lens[2] = 1;
	assert_int_equal(intern_bytes(g, parts, lens, &added), 2);
	assert_int_equal(added, 0);
	assert_memory_equal(kpi_group_part(g, 0, 1, &len), big, 255);
	assert_int_equal(len, 255);
	assert_string_equal(kpi_group_part(g, 0, 2, &len), "");
	assert_int_equal(len, 0);
	assert_string_equal(kpi_group_part(g, 2, 2, NULL), "b");
	assert_string_equal(kpi_group_part(g, 1, 0, NULL), "x");
	assert_int_equal(kpi_group_count(g), 4);
	kpi_group_free(g);
}

static void
test_group_part_pointers_stay_valid_while_the_table_grows(void **state)
{
	struct kpi_group *g = group_new_or_fail(2);
	const char *kept[100];
	char a[32], b[32];
	size_t k;

	for (k = 0; k < 100; k++) {
		snprintf(a, sizeof(a), "early-%zu", k);
		intern2(g, a, "x", NULL);
		kept[k] = kpi_group_part(g, k, 0, NULL);
	}
	for (k = 0; k < 200000; k++) {
		snprintf(a, sizeof(a), "late-%zu", k);
		snprintf(b, sizeof(b), "%zu", k * 31);
		intern2(g, a, b, NULL);
	}
	for (k = 0; k < 100; k++) {
		snprintf(a, sizeof(a), "early-%zu", k);
		assert_ptr_equal(kpi_group_part(g, k, 0, NULL), kept[k]);
		assert_string_equal(kept[k], a);
	}
	kpi_group_free(g);
}

/* The output order of groups: bytewise per part, a prefix first; inline
 * and out-of-line records alike. */
static void
test_group_compare_orders_bytewise_then_shorter_first(void **state)
{
	struct kpi_group *g = group_new_or_fail(2);
	static char big[300];
	size_t s_b, s_a, s_ab, s_big, s_ay, s_nul;
	const char nul[] = { 'a', '\0', 'z' };
	const char *parts[2];
	size_t lens[2];
	int added;

	memset(big, 'a', sizeof(big));
	s_b = intern2(g, "b", "", NULL);
	s_a = intern2(g, "a", "x", NULL);
	s_ab = intern2(g, "ab", "", NULL);
	s_ay = intern2(g, "a", "y", NULL);
	parts[0] = big;
	parts[1] = "";
	lens[0] = sizeof(big);
	lens[1] = 0;
	s_big = intern_bytes(g, parts, lens, &added);	/* out of line */
	parts[0] = nul;
	lens[0] = sizeof(nul);
	s_nul = intern_bytes(g, parts, lens, &added);
	assert_true(kpi_group_compare(g, s_a, s_ay, 2) < 0);
	assert_true(kpi_group_compare(g, s_ay, s_a, 2) > 0);
	assert_int_equal(kpi_group_compare(g, s_a, s_ay, 1), 0);
	/* "a" is a prefix of "ab"; NUL sorts before 'b'; 'b' after 'a'. */
	assert_true(kpi_group_compare(g, s_a, s_ab, 2) < 0);
	assert_true(kpi_group_compare(g, s_nul, s_ab, 2) < 0);
	assert_true(kpi_group_compare(g, s_ab, s_big, 2) > 0);
	assert_true(kpi_group_compare(g, s_big, s_b, 2) < 0);
	assert_int_equal(kpi_group_compare(g, s_big, s_big, 2), 0);
	kpi_group_free(g);
}

/* ==== Id map ==== */

static struct kpi_idmap *
idmap_new_or_fail(void)
{
	struct kpi_idmap *m = NULL;
	struct kpi_error err;

	kpi_error_clear(&err);
	if (kpi_idmap_new(&m, &err) != KPI_OK)
		fail_msg("kpi_idmap_new: %s", err.msg);
	assert_non_null(m);
	return m;
}

static size_t
idmap_id(struct kpi_idmap *m, const char *key, size_t len, int *added)
{
	size_t id = (size_t)-1;
	struct kpi_error err;

	kpi_error_clear(&err);
	if (kpi_idmap_intern(m, key, len, kpi_idmap_hash(key, len), &id, added,
			     &err) != KPI_OK)
		fail_msg("kpi_idmap_intern: %s", err.msg);
	return id;
}

static void
test_idmap_gives_dense_ids_in_first_seen_order(void **state)
{
	struct kpi_idmap *m = idmap_new_or_fail();
	int added = -1;

	assert_int_equal(kpi_idmap_count(m), 0);
	assert_int_equal(idmap_id(m, "D0000007", 8, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(idmap_id(m, "D0000003", 8, &added), 1);
	assert_int_equal(added, 1);
	assert_int_equal(idmap_id(m, "D0000007", 8, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(idmap_id(m, "D0000009", 8, NULL), 2);
	assert_int_equal(kpi_idmap_count(m), 3);
	assert_true(kpi_idmap_bytes(m) > 0);
	kpi_idmap_free(m);
}

static void
test_idmap_keys_are_binary_safe(void **state)
{
	struct kpi_idmap *m = idmap_new_or_fail();
	const char nul1[] = { 'a', '\0', 'b' }, nul2[] = { 'a', '\0', 'c' };
	char copy[8];
	int added;

	assert_int_equal(idmap_id(m, "", 0, &added), 0);
	assert_int_equal(idmap_id(m, NULL, 0, &added), 0);	/* "" again */
	assert_int_equal(added, 0);
	assert_int_equal(idmap_id(m, nul1, 3, &added), 1);
	assert_int_equal(idmap_id(m, nul2, 3, &added), 2);
	assert_int_equal(idmap_id(m, nul1, 1, &added), 3);	/* "a" */
	assert_int_equal(idmap_id(m, nul1, 2, &added), 4);	/* "a\0" */
	assert_int_equal(added, 1);
	/* Identity is by content, not address. */
	memcpy(copy, nul2, 3);
	assert_int_equal(idmap_id(m, copy, 3, &added), 2);
	assert_int_equal(added, 0);
	assert_int_equal(kpi_idmap_hash(copy, 3), kpi_idmap_hash(nul2, 3));
	kpi_idmap_free(m);
}

/* Short keys, then longer ones that make later growths widen the buckets,
 * then keys too long for any bucket; every id survives each rebuild. */
static void
test_idmap_growth_through_widths_keeps_every_id(void **state)
{
	struct kpi_idmap *m = idmap_new_or_fail();
	static char key[2000];
	const size_t n = 120000;
	size_t k, len;
	int added;

	for (k = 0; k < n; k++) {
		len = k < 40000 ? 8 : k < 80000 ? 30 : k < 110000 ? 100 : 1500;
		memset(key, 'k', len);
		snprintf(key, sizeof(key), "%zu", k);
		key[strlen(key)] = ':';
		kpi_idmap_prefetch(m, kpi_idmap_hash(key, len));
		assert_int_equal(idmap_id(m, key, len, &added), k);
		assert_int_equal(added, 1);
	}
	assert_int_equal(kpi_idmap_count(m), n);
	for (k = 0; k < n; k += 7) {
		len = k < 40000 ? 8 : k < 80000 ? 30 : k < 110000 ? 100 : 1500;
		memset(key, 'k', len);
		snprintf(key, sizeof(key), "%zu", k);
		key[strlen(key)] = ':';
		assert_int_equal(idmap_id(m, key, len, &added), k);
		assert_int_equal(added, 0);
		/* One byte more or less is another key. */
		assert_int_equal(idmap_id(m, key, len - 1, &added), n + k / 7);
		assert_int_equal(added, 1);
	}
	kpi_idmap_free(m);
}

static void
test_idmap_growth_keeps_one_million_ids(void **state)
{
	struct kpi_idmap *m = idmap_new_or_fail();
	const size_t n = 1000000;
	char key[32];
	size_t k;
	int added;

	for (k = 0; k < n; k++) {
		snprintf(key, sizeof(key), "D%07zu", k * 7919 % 1000003);
		assert_int_equal(idmap_id(m, key, strlen(key), &added), k);
		assert_int_equal(added, 1);
	}
	for (k = 0; k < n; k += (k < 1000 ? 1 : 997)) {
		snprintf(key, sizeof(key), "D%07zu", k * 7919 % 1000003);
		assert_int_equal(idmap_id(m, key, strlen(key), &added), k);
		assert_int_equal(added, 0);
	}
	assert_int_equal(kpi_idmap_count(m), n);
	assert_true(kpi_idmap_bytes(m) >= n * 13);	/* 13-byte buckets */
	kpi_idmap_free(m);
}

static void
test_idmap_free_accepts_null(void **state)
{
	kpi_idmap_free(NULL);
	assert_int_equal(kpi_idmap_count(NULL), 0);
	assert_int_equal(kpi_idmap_bytes(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_alloc_is_aligned_for_any_type),
		cmocka_unit_test(test_arena_alloc_gives_distinct_non_overlapping_blocks),
		cmocka_unit_test(test_arena_large_allocation_gets_its_own_chunk),
		cmocka_unit_test(test_arena_refuses_size_that_overflows),
		cmocka_unit_test(test_arena_strndup_copies_bytes_and_terminates),
		cmocka_unit_test(test_arena_free_accepts_null),
		cmocka_unit_test(test_group_new_rejects_zero_parts),
		cmocka_unit_test(test_group_free_accepts_null),
		cmocka_unit_test(test_group_intern_gives_dense_slots_in_first_seen_order),
		cmocka_unit_test(test_group_intern_same_tuple_gives_same_slot_not_added),
		cmocka_unit_test(test_group_parts_are_binary_safe),
		cmocka_unit_test(test_group_part_returns_bytes_and_lengths),
		cmocka_unit_test(test_group_part_out_of_range_gives_null),
		cmocka_unit_test(test_group_growth_keeps_one_million_keys),
		cmocka_unit_test(test_group_cap_refuses_new_keys_with_enomem),
		cmocka_unit_test(test_group_single_part_keys_with_long_bytes),
		cmocka_unit_test(test_group_records_of_every_width_keep_their_bytes),
		cmocka_unit_test(test_group_multi_part_tuples_with_a_long_part),
		cmocka_unit_test(test_group_part_pointers_stay_valid_while_the_table_grows),
		cmocka_unit_test(test_group_compare_orders_bytewise_then_shorter_first),
		cmocka_unit_test(test_idmap_gives_dense_ids_in_first_seen_order),
		cmocka_unit_test(test_idmap_keys_are_binary_safe),
		cmocka_unit_test(test_idmap_growth_through_widths_keeps_every_id),
		cmocka_unit_test(test_idmap_growth_keeps_one_million_ids),
		cmocka_unit_test(test_idmap_free_accepts_null),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
