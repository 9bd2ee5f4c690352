/* kpi/keyorder.h - the order in which every tool writes its groups.
 *
 * The rule (kpi(7), "Output order"): keys are ordered column by column.  A
 * column whose every non-empty value, among the keys of this run, is a
 * number (as kpi_num_parse() reads it: "7", "-2", "0.5", "1e3", "007") is
 * ordered numerically, so that 2 comes before 10 as in pandas and R; any
 * other column is ordered by bytes, a shorter prefix first, as memcmp().
 *
 *  - In a numeric column an empty value comes before every number (as the
 *    empty string comes first in byte order), and numbers that are equal
 *    but written differently ("7" and "007", "1e3" and "1000", "-0" and
 *    "0") are ordered by their bytes, so that the order stays total and
 *    the same on every run.
 *  - A missing value, empty or one of the run's --na markers ("NA"), is
 *    no number and no obstacle: it comes before every number, as an empty
 *    value does, the missing values among themselves by bytes.
 *  - The decision is made per column and per run, over the keys that are
 *    written: one value that is not a number nor missing ("n/a" without
 *    --na n/a, "12x") turns its whole column back to byte order.
 *  - Values with an embedded NUL byte are not numbers.
 */
#ifndef KPI_KEYORDER_H
#define KPI_KEYORDER_H

#include <stddef.h>

#include "kpi/cli.h"
#include "kpi/error.h"
#include "kpi/group.h"

struct kpi_keyorder;

/* Decide the order of the tuples of table g by their first nparts parts
 * (nparts may be 0: every tuple is then equal), reading numbers and
 * missing values as the run's common options say (--decimal-comma, --na;
 * common may be NULL: '.' and no markers).  One pass over the table's slots; the numbers are kept,
 * one double per slot and numeric column, so that comparing reads no text
 * unless the numbers are equal.  The table is borrowed: it must outlive
 * the order and gain no slots meanwhile.  KPI_ENOMEM when out of memory. */
enum kpi_status kpi_keyorder_new(struct kpi_keyorder **out,
				 const struct kpi_group *g, size_t nparts,
				 const struct kpi_cli_common *common,
				 struct kpi_error *err);
void kpi_keyorder_free(struct kpi_keyorder *o);		/* NULL is fine */

/* Order of the tuples in slots x and y (<0, 0, >0); 0 exactly when their
 * first nparts parts are equal byte for byte. */
int kpi_keyorder_compare(const struct kpi_keyorder *o, size_t x, size_t y);

/* Nonzero when part i is ordered numerically. */
int kpi_keyorder_numeric(const struct kpi_keyorder *o, size_t i);

/* rank[slot] for every slot of g: the position of its tuple (first nparts
 * parts) in output order, counting equal tuples once (0, 1, 1, 2, ...), so
 * that a caller sorting its own records compares two integers.  rank has
 * kpi_group_count(g) elements.  KPI_ENOMEM when out of memory. */
enum kpi_status kpi_keyorder_rank(const struct kpi_group *g, size_t nparts,
				  const struct kpi_cli_common *common,
				  size_t *rank, struct kpi_error *err);

#endif
