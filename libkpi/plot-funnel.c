/* plot-funnel.c - the funnel of kpi-conv: one bar per stage, the share of
 * the first stage's deals that reached it (cum_rate), the count entered
 * above it and the conversion rate of each step between the bars; or, with
 * -y rate, each stage's rate to the next with its interval and
 * "converted/entered". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot-internal.h"

/* Numeric columns, in this order. */
enum { F_Y, F_LO, F_HI, F_CONVERTED, F_ENTERED, F_OPEN, F_RATE, F_RATE_LO,
       F_RATE_HI };

enum kpi_status
plot_funnel_header(struct kpi_plot *p, const struct kpi_csv_header *h,
		   struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	size_t cohort = plot_find_optional(h, "cohort");
	enum kpi_status st;
	const char *y;

	/* cum_rate, where kpi-conv writes it, has a value at every stage,
	 * the last one (won) included, which has no rate: it has no next
	 * stage. */
	if (p->opt->ny)
		y = p->opt->y_cols[0];
	else
		y = plot_find_optional(h, "cum_rate") != SIZE_MAX ? "cum_rate"
								   : "rate";

	if (p->opt->ny > 1)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "-y: a funnel draws one column");
	t->x_name = p->opt->x_col ? p->opt->x_col : "stage";
	t->x_cat_only = 1;
	st = plot_find(h, t->x_name, &t->x_idx, err);
	if (st == KPI_OK)
		st = plot_add_num(t, h, y, 1, NULL, err);
	if (st != KPI_OK)
		return st;
	snprintf(p->names[0], sizeof(p->names[0]), "%s_lo", y);
	snprintf(p->names[1], sizeof(p->names[1]), "%s_hi", y);
	plot_add_num(t, h, p->names[0], 0, NULL, err);
	plot_add_num(t, h, p->names[1], 0, NULL, err);
	plot_add_num(t, h, "converted", 0, NULL, err);
	plot_add_num(t, h, "entered", 0, NULL, err);
	plot_add_num(t, h, "open", 0, NULL, err);
	plot_add_num(t, h, "rate", 0, NULL, err);
	plot_add_num(t, h, "rate_lo", 0, NULL, err);
	plot_add_num(t, h, "rate_hi", 0, NULL, err);
	if (cohort != SIZE_MAX) {
		t->cat_name = "cohort";
		t->cat_idx = cohort;
	}
	p->x_label = t->x_name;
	p->y_label = y;
	snprintf(p->title, sizeof(p->title), "%s by %s", y, t->x_name);
	return plot_set_keys(p, h, cohort != SIZE_MAX ? cohort : t->x_idx,
			     err);
}

/* The cohort drawn when the input has several and -g does not split them:
 * the latest one whose deals have all left every stage (no open deals),
 * else the latest.  Cohorts are period starts, so "latest" is the
 * greatest in text order. */
static uint32_t
pick_cohort(const struct plot_table *t)
{
	size_t n = kpi_group_count(t->cats), c, i;
	int best_complete = -1, best = -1;

	for (c = 0; c < n; c++) {
		const char *name = kpi_group_part(t->cats, c, 0, NULL);
		int complete = 1;

		for (i = 0; i < t->nrows; i++)
			if (t->cat[i] == c && plot_num(t, i, F_OPEN) > 0)
				complete = 0;
		if (best < 0 ||
		    strcmp(name, kpi_group_part(t->cats, (size_t)best, 0, NULL)) > 0)
			best = (int)c;
		if (complete && (best_complete < 0 ||
				 strcmp(name, kpi_group_part(t->cats,
							     (size_t)best_complete,
							     0, NULL)) > 0))
			best_complete = (int)c;
	}
	return (uint32_t)(best_complete >= 0 ? best_complete : best);
}

/* Keep the rows of one cohort. */
static void
keep_cohort(struct plot_table *t, uint32_t cohort)
{
	size_t i, n = 0;

	for (i = 0; i < t->nrows; i++) {
		if (t->cat[i] != cohort)
			continue;
		t->panel[n] = t->panel[i];
		t->x[n] = t->x[i];
		t->cat[n] = t->cat[i];
		memmove(t->num + n * t->nnum, t->num + i * t->nnum,
			t->nnum * sizeof(double));
		n++;
	}
	t->nrows = n;
}

enum kpi_status
plot_funnel_write(struct kpi_plot *p, struct kpi_svg *svg,
		  struct kpi_error *err)
{
	struct plot_table *t = &p->t;
	struct plot_bar_spec spec;
	int cohort_in_keys = 0;
	size_t k;

	for (k = 0; k < t->nkeys; k++)
		cohort_in_keys |= t->cat_name && t->key_idx[k] == t->cat_idx;
	if (t->cat_name && !cohort_in_keys && kpi_group_count(t->cats) > 1) {
		uint32_t c = pick_cohort(t);
		size_t len = strlen(p->title);

		if (!p->opt->title)
			snprintf(p->title + len, sizeof(p->title) - len,
				 ", cohort %s", kpi_group_part(t->cats, c, 0, NULL));
		keep_cohort(t, c);
	}
	memset(&spec, 0, sizeof(spec));
	spec.ny = 1;
	spec.y[0] = F_Y;
	spec.lo[0] = t->num_idx[F_LO] != SIZE_MAX && t->num_idx[F_HI] != SIZE_MAX
		     ? F_LO : SIZE_MAX;
	spec.hi[0] = spec.lo[0] == SIZE_MAX ? SIZE_MAX : F_HI;
	spec.y_names[0] = t->num_names[F_Y];
	spec.count_num = F_CONVERTED;
	spec.count_den = F_ENTERED;
	spec.step_rate = SIZE_MAX;
	spec.step_lo = SIZE_MAX;
	spec.step_hi = SIZE_MAX;
	if (strcmp(t->num_names[F_Y], "rate") != 0) {
		/* cum_rate and others: the entered count. */
		spec.count_num = F_ENTERED;
		spec.count_den = SIZE_MAX;
	}
	if (strcmp(t->num_names[F_Y], "cum_rate") == 0 &&
	    t->num_idx[F_RATE] != SIZE_MAX) {
		spec.step_rate = F_RATE;
		if (t->num_idx[F_RATE_LO] != SIZE_MAX &&
		    t->num_idx[F_RATE_HI] != SIZE_MAX) {
			spec.step_lo = F_RATE_LO;
			spec.step_hi = F_RATE_HI;
		}
	}
	if (t->num_idx[spec.count_num] == SIZE_MAX ||
	    (spec.count_den != SIZE_MAX && t->num_idx[spec.count_den] == SIZE_MAX))
		spec.count_num = SIZE_MAX;
	spec.percent = plot_percent(p, &t->num_names[F_Y], 1);
	spec.drop_empty = 1;
	/* Shares of a whole: the axis shows the whole. */
	spec.to_one = spec.percent;
	return plot_bars(p, svg, &spec, err);
}
