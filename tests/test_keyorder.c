/* test_keyorder.c - unit tests for the output order of group keys.
 *
 * The expected orders come from pandas 1.5 and Python 3.11, as a
 * demanding user would check them:
 *  - one numeric column: pd.Series(v)[pd.to_numeric(s.replace("", None))
 *    .sort_values(na_position="first", kind="stable").index];
 *  - equal numbers: sorted(v, key=lambda x: (float(x), x.encode()));
 *  - two columns: df.sort_values(["region", "n"], na_position="first")
 *    with n = pd.to_numeric(df.store);
 *  - byte order: sorted(v, key=str.encode).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "kpi/error.h"
#include "kpi/group.h"
#include "kpi/keyorder.h"

/* ==== Helpers ==== */

#define MAX_KEYS 16

/* A table of n tuples of nparts C strings, rows[i * nparts + j]; lens, when
 * non-NULL, gives byte lengths (for embedded NULs). */
static struct kpi_group *
table_of(size_t nparts, const char *const *rows, const size_t *lens,
	 size_t n)
{
	struct kpi_group *g = NULL;
	size_t i, j, slot, l[4];
	int added;

	assert_true(nparts <= 4);
	assert_int_equal(kpi_group_new(&g, nparts, NULL), KPI_OK);
	for (i = 0; i < n; i++) {
		for (j = 0; j < nparts; j++)
			l[j] = lens ? lens[i * nparts + j]
				    : strlen(rows[i * nparts + j]);
		assert_int_equal(kpi_group_intern(g, rows + i * nparts, l,
						  &slot, &added, NULL),
				 KPI_OK);
		assert_int_equal(slot, i);
		assert_true(added);
	}
	return g;
}

/* The common options of a run with or without --decimal-comma, and with
 * the --na marker na (NULL: none). */
static struct kpi_cli_common
common_of(int decimal_comma, const char *na)
{
	struct kpi_cli_common c;

	kpi_cli_common_init(&c);
	c.decimal_comma = decimal_comma;
	if (na) {
		c.na[0] = na;
		c.nna = 1;
	}
	return c;
}

/* The first part of each slot of g in output order, joined by '|'. */
static void
order_text(const struct kpi_group *g, size_t nparts,
	   const struct kpi_cli_common *common, char *buf, size_t size)
{
	size_t n = kpi_group_count(g), rank[MAX_KEYS], i, k, used = 0, len;
	struct kpi_error err;

	assert_true(n <= MAX_KEYS);
	kpi_error_clear(&err);
	if (kpi_keyorder_rank(g, nparts, common, rank, &err) != KPI_OK)
		fail_msg("kpi_keyorder_rank: %s", err.msg);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		for (k = 0; k < n && rank[k] != i; k++)
			;
		assert_true(k < n);	/* distinct keys: ranks 0..n-1 */
		for (size_t j = 0; j < nparts; j++) {
			const char *s = kpi_group_part(g, k, j, &len);

			used += (size_t)snprintf(buf + used, size - used, "%s%s",
						 j ? "," : i ? "|" : "", s);
			assert_true(used < size);
		}
	}
}

static void
assert_order_na(size_t nparts, const char *const *rows, size_t n,
		int decimal_comma, const char *na, const char *want)
{
	struct kpi_group *g = table_of(nparts, rows, NULL, n);
	struct kpi_cli_common c = common_of(decimal_comma, na);
	char got[512];

	order_text(g, nparts, &c, got, sizeof(got));
	assert_string_equal(got, want);
	kpi_group_free(g);
}

static void
assert_order(size_t nparts, const char *const *rows, size_t n,
	     int decimal_comma, const char *want)
{
	assert_order_na(nparts, rows, n, decimal_comma, NULL, want);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ==== One column ==== */

static void
test_keyorder_numbers_by_value_with_negatives_decimals_exponents(void **state)
{
	static const char *const v[] = {
		"10", "2", "-2", "1e3", "0.5", "-0.25", "1", "100", "-10",
	};

	(void)state;
	assert_order(1, v, N(v), 0, "-10|-2|-0.25|0.5|1|2|10|100|1e3");
}

static void
test_keyorder_empty_values_come_first_in_a_numeric_column(void **state)
{
	static const char *const v[] = { "3", "", "-7", "1" };

	(void)state;
	assert_order(1, v, N(v), 0, "|-7|1|3");
}

/* A --na marker is missing, like an empty value: it comes first (after
 * the empty value, by bytes) and leaves the column numeric.  Without the
 * marker "NA" is text, and the column goes back to byte order (Python:
 * sorted(["10", "NA", "2", "", "1"]) = ['', '1', '10', '2', 'NA']). */
static void
test_keyorder_na_markers_are_missing_not_text(void **state)
{
	static const char *const v[] = { "10", "NA", "2", "", "1" };

	(void)state;
	assert_order_na(1, v, N(v), 0, "NA", "|NA|1|2|10");
	assert_order_na(1, v, N(v), 0, NULL, "|1|10|2|NA");
	assert_order_na(1, v, N(v), 0, "n/a", "|1|10|2|NA");
}

static void
test_keyorder_equal_numbers_are_ordered_by_their_bytes(void **state)
{
	static const char *const v[] = {
		"7", "007", "7.0", "+7", "7e0", "6", "8",
	};

	(void)state;
	assert_order(1, v, N(v), 0, "6|+7|007|7|7.0|7e0|8");
}

static void
test_keyorder_one_non_number_turns_the_column_to_bytes(void **state)
{
	static const char *const v[] = { "2", "10", "n/a", "1" };
	struct kpi_group *g = table_of(1, v, NULL, N(v));
	struct kpi_keyorder *o = NULL;

	(void)state;
	assert_order(1, v, N(v), 0, "1|10|2|n/a");
	assert_int_equal(kpi_keyorder_new(&o, g, 1, NULL, NULL), KPI_OK);
	assert_false(kpi_keyorder_numeric(o, 0));
	kpi_keyorder_free(o);
	kpi_group_free(g);
}

static void
test_keyorder_out_of_range_number_is_not_a_number(void **state)
{
	static const char *const v[] = { "1e400", "2", "10" };

	(void)state;
	/* kpi_num_parse() refuses 1e400: byte order. */
	assert_order(1, v, N(v), 0, "10|1e400|2");
}

static void
test_keyorder_embedded_nul_is_not_a_number(void **state)
{
	/* "1", a NUL byte ("\000", octal), "5". */
	static const char *const v[] = { "10", "9", "1\0005" };
	static const size_t lens[] = { 2, 1, 3 };
	struct kpi_group *g = table_of(1, v, lens, N(v));
	struct kpi_keyorder *o = NULL;

	(void)state;
	assert_int_equal(kpi_keyorder_new(&o, g, 1, NULL, NULL), KPI_OK);
	assert_false(kpi_keyorder_numeric(o, 0));
	/* Bytes: "1\0005" < "10" < "9". */
	assert_true(kpi_keyorder_compare(o, 2, 0) < 0);
	assert_true(kpi_keyorder_compare(o, 0, 1) < 0);
	kpi_keyorder_free(o);
	kpi_group_free(g);
}

static void
test_keyorder_decimal_comma_reads_the_comma(void **state)
{
	static const char *const v[] = { "10", "1,5", "2" };

	(void)state;
	assert_order(1, v, N(v), 1, "1,5|2|10");
	/* Without --decimal-comma "1,5" is text: ',' sorts before '0'. */
	assert_order(1, v, N(v), 0, "1,5|10|2");
}

static void
test_keyorder_integers_beyond_double_precision_stay_in_order(void **state)
{
	/* 2^53 + 1 reads as the double 2^53: the bytes break the tie. */
	static const char *const v[] = {
		"9007199254740993", "9007199254740992", "10",
	};

	(void)state;
	assert_order(1, v, N(v), 0, "10|9007199254740992|9007199254740993");
}

static void
test_keyorder_all_empty_column_counts_as_numeric(void **state)
{
	static const char *const v[] = { "" };
	struct kpi_group *g = table_of(1, v, NULL, N(v));
	struct kpi_keyorder *o = NULL;

	(void)state;
	assert_int_equal(kpi_keyorder_new(&o, g, 1, NULL, NULL), KPI_OK);
	assert_true(kpi_keyorder_numeric(o, 0));
	assert_int_equal(kpi_keyorder_compare(o, 0, 0), 0);
	kpi_keyorder_free(o);
	kpi_group_free(g);
}

/* ==== Several columns ==== */

static void
test_keyorder_decides_each_column_on_its_own(void **state)
{
	static const char *const rows[] = {
		"west", "10",
		"east", "2",
		"west", "9",
		"east", "10",
		"east", "",
	};
	struct kpi_group *g = table_of(2, rows, NULL, N(rows) / 2);
	struct kpi_keyorder *o = NULL;

	(void)state;
	assert_order(2, rows, N(rows) / 2, 0,
		     "east,|east,2|east,10|west,9|west,10");
	assert_int_equal(kpi_keyorder_new(&o, g, 2, NULL, NULL), KPI_OK);
	assert_false(kpi_keyorder_numeric(o, 0));
	assert_true(kpi_keyorder_numeric(o, 1));
	assert_false(kpi_keyorder_numeric(o, 2));	/* out of range */
	kpi_keyorder_free(o);
	kpi_group_free(g);
}

static void
test_keyorder_equal_numbers_tie_break_before_the_next_column(void **state)
{
	static const char *const rows[] = {
		"7", "b",
		"007", "c",
		"7", "a",
	};

	(void)state;
	/* "007" < "7" decides first, whatever the second column holds. */
	assert_order(2, rows, N(rows) / 2, 0, "007,c|7,a|7,b");
}

static void
test_keyorder_text_column_after_a_numeric_column(void **state)
{
	static const char *const rows[] = {
		"2", "x",
		"10", "x",
		"2", "10",
		"2", "9",
	};

	(void)state;
	/* Column 1 holds "x": by bytes; column 0 by number. */
	assert_order(2, rows, N(rows) / 2, 0, "2,10|2,9|2,x|10,x");
}

/* ==== Ranks ==== */

static void
test_keyorder_rank_counts_equal_leading_parts_once(void **state)
{
	/* A table with a third part the order does not read, like kpi-agg's
	 * period: equal group columns get equal ranks. */
	static const char *const rows[] = {
		"2", "a", "p1",
		"10", "a", "p1",
		"2", "a", "p2",
		"1", "b", "p1",
	};
	struct kpi_group *g = table_of(3, rows, NULL, N(rows) / 3);
	size_t rank[4];
	struct kpi_keyorder *o = NULL;

	(void)state;
	assert_int_equal(kpi_keyorder_rank(g, 2, NULL, rank, NULL), KPI_OK);
	assert_int_equal(rank[0], 1);
	assert_int_equal(rank[1], 2);
	assert_int_equal(rank[2], 1);
	assert_int_equal(rank[3], 0);
	assert_int_equal(kpi_keyorder_new(&o, g, 2, NULL, NULL), KPI_OK);
	assert_int_equal(kpi_keyorder_compare(o, 0, 2), 0);
	assert_true(kpi_keyorder_compare(o, 0, 1) < 0);
	assert_true(kpi_keyorder_compare(o, 1, 0) > 0);
	kpi_keyorder_free(o);
	kpi_group_free(g);
}

static void
test_keyorder_no_parts_makes_every_key_equal(void **state)
{
	static const char *const rows[] = { "b", "a" };
	struct kpi_group *g = table_of(1, rows, NULL, N(rows));
	size_t rank[2] = { 9, 9 };

	(void)state;
	assert_int_equal(kpi_keyorder_rank(g, 0, NULL, rank, NULL), KPI_OK);
	assert_int_equal(rank[0], 0);
	assert_int_equal(rank[1], 0);
	kpi_group_free(g);
}

static void
test_keyorder_empty_table_and_free_null(void **state)
{
	struct kpi_group *g = NULL;
	struct kpi_keyorder *o = NULL;
	size_t rank[1];

	(void)state;
	assert_int_equal(kpi_group_new(&g, 2, NULL), KPI_OK);
	assert_int_equal(kpi_keyorder_rank(g, 2, NULL, rank, NULL), KPI_OK);
	assert_int_equal(kpi_keyorder_new(&o, g, 2, NULL, NULL), KPI_OK);
	kpi_keyorder_free(o);
	kpi_keyorder_free(NULL);
	kpi_group_free(g);
}

/* The order is a total order on many keys: sorted, every neighbour pair
 * is strictly increasing and the relation is antisymmetric. */
static void
test_keyorder_is_consistent_over_many_keys(void **state)
{
	enum { NK = 2000 };
	struct kpi_group *g = NULL;
	struct kpi_keyorder *o = NULL;
	size_t *rank = malloc(NK * sizeof(*rank)), *at = malloc(NK * sizeof(*at));
	size_t i, slot, len;
	char buf[32];
	const char *p;
	unsigned long long x = 12345;

	(void)state;
	assert_non_null(rank);
	assert_non_null(at);
	assert_int_equal(kpi_group_new(&g, 1, NULL), KPI_OK);
	for (i = 0; kpi_group_count(g) < NK; i++) {
		int added;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		/* Numbers of several spellings: integers, zero-padded,
		 * decimals, exponents, negatives. */
		switch ((x >> 33) % 5) {
		case 0: snprintf(buf, sizeof(buf), "%llu", (x >> 40) % 1000); break;
		case 1: snprintf(buf, sizeof(buf), "%05llu", (x >> 40) % 1000); break;
		case 2: snprintf(buf, sizeof(buf), "%.2f", (double)((x >> 40) % 100000) / 100); break;
		case 3: snprintf(buf, sizeof(buf), "%llue1", (x >> 40) % 100); break;
		default: snprintf(buf, sizeof(buf), "-%llu", (x >> 40) % 1000); break;
		}
		p = buf;
		len = strlen(buf);
		assert_int_equal(kpi_group_intern(g, &p, &len, &slot, &added,
						  NULL), KPI_OK);
	}
	assert_int_equal(kpi_keyorder_rank(g, 1, NULL, rank, NULL), KPI_OK);
	assert_int_equal(kpi_keyorder_new(&o, g, 1, NULL, NULL), KPI_OK);
	assert_true(kpi_keyorder_numeric(o, 0));
	for (i = 0; i < NK; i++)
		at[rank[i]] = i;
	for (i = 0; i + 1 < NK; i++) {
		double a = strtod(kpi_group_part(g, at[i], 0, NULL), NULL);
		double b = strtod(kpi_group_part(g, at[i + 1], 0, NULL), NULL);

		assert_true(a <= b);
		assert_true(kpi_keyorder_compare(o, at[i], at[i + 1]) < 0);
		assert_true(kpi_keyorder_compare(o, at[i + 1], at[i]) > 0);
	}
	kpi_keyorder_free(o);
	kpi_group_free(g);
	free(rank);
	free(at);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyorder_numbers_by_value_with_negatives_decimals_exponents),
		cmocka_unit_test(test_keyorder_empty_values_come_first_in_a_numeric_column),
		cmocka_unit_test(test_keyorder_na_markers_are_missing_not_text),
		cmocka_unit_test(test_keyorder_equal_numbers_are_ordered_by_their_bytes),
		cmocka_unit_test(test_keyorder_one_non_number_turns_the_column_to_bytes),
		cmocka_unit_test(test_keyorder_out_of_range_number_is_not_a_number),
		cmocka_unit_test(test_keyorder_embedded_nul_is_not_a_number),
		cmocka_unit_test(test_keyorder_decimal_comma_reads_the_comma),
		cmocka_unit_test(test_keyorder_integers_beyond_double_precision_stay_in_order),
		cmocka_unit_test(test_keyorder_all_empty_column_counts_as_numeric),
		cmocka_unit_test(test_keyorder_decides_each_column_on_its_own),
		cmocka_unit_test(test_keyorder_equal_numbers_tie_break_before_the_next_column),
		cmocka_unit_test(test_keyorder_text_column_after_a_numeric_column),
		cmocka_unit_test(test_keyorder_rank_counts_equal_leading_parts_once),
		cmocka_unit_test(test_keyorder_no_parts_makes_every_key_equal),
		cmocka_unit_test(test_keyorder_empty_table_and_free_null),
		cmocka_unit_test(test_keyorder_is_consistent_over_many_keys),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
