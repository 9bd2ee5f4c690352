/* keyorder.c - output order of group keys: numeric columns by number,
 * the others by bytes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpi/keyorder.h"
#include "kpi/num.h"

struct kpi_keyorder {
	const struct kpi_group *g;
	size_t nparts;
	/* num[i][slot]: the number of part i, -INFINITY for an empty value
	 * (kpi_num_parse() never gives an infinity, so it sorts before every
	 * number read); num[i] is NULL when part i is ordered by bytes. */
	double **num;
};

void
kpi_keyorder_free(struct kpi_keyorder *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; o->num && i < o->nparts; i++)
		free(o->num[i]);
	free(o->num);
	free(o);
}

/* Whether the value s[0..len-1] is missing: empty, or one of the run's
 * --na markers (compared with its length, as group parts are not
 * NUL-terminated). */
static int
is_missing(const struct kpi_cli_common *common, const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 1;
	for (i = 0; common && i < common->nna; i++)
		if (strlen(common->na[i]) == len &&
		    memcmp(common->na[i], s, len) == 0)
			return 1;
	return 0;
}

/* Read part i of every slot into v.  0 when every value is missing or a
 * number; 1 at the first that is neither (the rest is then not read); -1
 * when the parser ran out of memory. */
static int
read_column(const struct kpi_group *g, size_t i,
	    const struct kpi_cli_common *common, double *v)
{
	size_t n = kpi_group_count(g), slot, len;
	int decimal_comma = common ? common->decimal_comma : 0;

	for (slot = 0; slot < n; slot++) {
		const char *s = kpi_group_part(g, slot, i, &len);
		enum kpi_status st;

		if (is_missing(common, s, len)) {
			v[slot] = -INFINITY;
			continue;
		}
		if (memchr(s, '\0', len))
			return 1;
		st = kpi_num_parse(s, decimal_comma, &v[slot], NULL);
		if (st == KPI_ENOMEM)
			return -1;
		if (st != KPI_OK)
			return 1;
	}
	return 0;
}

enum kpi_status
kpi_keyorder_new(struct kpi_keyorder **out, const struct kpi_group *g,
		 size_t nparts, const struct kpi_cli_common *common,
		 struct kpi_error *err)
{
	size_t n = kpi_group_count(g), i;
	struct kpi_keyorder *o = calloc(1, sizeof(*o));
	int rc;

	if (!o || n > SIZE_MAX / sizeof(double))
		goto nomem;
	o->g = g;
	o->nparts = nparts;
	o->num = calloc(nparts ? nparts : 1, sizeof(*o->num));
	if (!o->num)
		goto nomem;
	for (i = 0; i < nparts; i++) {
		o->num[i] = malloc((n ? n : 1) * sizeof(double));
		if (!o->num[i])
			goto nomem;
		rc = read_column(g, i, common, o->num[i]);
		if (rc < 0)
			goto nomem;
		if (rc > 0) {
			free(o->num[i]);
			o->num[i] = NULL;
		}
	}
	*out = o;
	return KPI_OK;
nomem:
	kpi_keyorder_free(o);
	return kpi_error_set(err, KPI_ENOMEM, 0,
			     "out of memory ordering %zu groups", n);
}

int
kpi_keyorder_numeric(const struct kpi_keyorder *o, size_t i)
{
	return i < o->nparts && o->num[i] != NULL;
}

int
kpi_keyorder_compare(const struct kpi_keyorder *o, size_t x, size_t y)
{
	size_t i;

	if (x == y)
		return 0;
	for (i = 0; i < o->nparts; i++) {
		int c;

		if (o->num[i]) {
			double a = o->num[i][x], b = o->num[i][y];

			if (a != b)
				return a < b ? -1 : 1;
		}
		c = kpi_group_compare_part(o->g, x, y, i);
		if (c)
			return c;
	}
	return 0;
}

/* ==== Ranks ==== */

struct rank_item {
	const struct kpi_keyorder *o;
	size_t slot;
};

static int
compare_rank_items(const void *pa, const void *pb)
{
	const struct rank_item *a = pa, *b = pb;

	return kpi_keyorder_compare(a->o, a->slot, b->slot);
}

enum kpi_status
kpi_keyorder_rank(const struct kpi_group *g, size_t nparts,
		  const struct kpi_cli_common *common, size_t *rank,
		  struct kpi_error *err)
{
	size_t n = kpi_group_count(g), i, r = 0;
	struct kpi_keyorder *o = NULL;
	struct rank_item *items = NULL;
	enum kpi_status st;

	st = kpi_keyorder_new(&o, g, nparts, common, err);
	if (st != KPI_OK)
		return st;
	if (n > SIZE_MAX / sizeof(*items) ||
	    !(items = malloc((n ? n : 1) * sizeof(*items)))) {
		kpi_keyorder_free(o);
		return kpi_error_set(err, KPI_ENOMEM, 0,
				     "out of memory ordering %zu groups", n);
	}
	for (i = 0; i < n; i++) {
		items[i].o = o;
		items[i].slot = i;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), compare_rank_items);
	for (i = 0; i < n; i++) {
		if (i > 0 && kpi_keyorder_compare(o, items[i - 1].slot,
						  items[i].slot) != 0)
			r++;
		rank[items[i].slot] = r;
	}
	free(items);
	kpi_keyorder_free(o);
	return KPI_OK;
}
