/* fuzz_funnel.c - arbitrary CSV through kpi-conv's funnel engine: read by
 * kpi_cli_read_inputs() into kpi_funnel_header/_add(), the as-of date from
 * kpi_funnel_last_date() when none is given, then one report writer, as
 * kpi-conv's main() calls them.
 *
 * Input: bytes 0 and 1 choose the options (below); the rest is the CSV.
 * The funnel is lead, mql, sql, won with the lost outcome lost; columns:
 *  history  id, stage, t (date entered), a (amount), g (group)
 *  wide     lead, mql, sql, won, lost (dates), a, g
 *  outcome  id, stage, created, closed, a, g
 *  status   id, stage, s (won, lost or open), created, closed, a, g
 * Checks, beyond no crash, leak or undefined behaviour:
 *  - every data row is used or, with --skip-bad, rejected (fuzz-cli.h);
 *  - errors have a documented status and a message;
 *  - the report reads back as CSV, every number finite or empty;
 *  - every rate, probability and p-value is in [0, 1], and every interval
 *    holds its estimate (X_lo <= X <= X_hi); converted <= entered,
 *    won <= closed, counts are whole and >= 0.
 */
#define _GNU_SOURCE		/* memfd_create() */
#include "kpi/date.h"
#include "kpi/funnel.h"
#include "kpi/prop.h"

#include "fuzz-cli.h"

struct run {
	struct kpi_cli_common common;
	struct kpi_funnel_options opt;
	struct kpi_funnel_report_options ro;
	struct kpi_funnel *funnel;
};

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_funnel_header(r->funnel, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_funnel_add(r->funnel, rec, err);
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Shares: rates, probabilities, p-values, and their bounds. */
static int
is_share(const char *name)
{
	return ends_with(name, "rate") || ends_with(name, "rate_lo") ||
	       ends_with(name, "rate_hi") || strncmp(name, "p_", 2) == 0;
}

static int
is_count(const char *name)
{
	static const char *const counts[] = {
		"entered", "converted", "lost", "open", "skipped", "count",
		"deals", "won", "stale", "closed", "groups", "cycle_n",
		"open_qualified",
	};
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (strcmp(name, counts[i]) == 0)
			return 1;
	return 0;
}

static void
check_row(const char *const *names, const char *const *f, size_t n, void *ctx)
{
	char lo_name[64], hi_name[64];
	size_t i;
	int lo, hi, a, b;
	double x, l, h;

	for (i = 0; i < n; i++) {
		double v;

		if (kpi_num_parse(f[i], 0, &v, NULL) != KPI_OK && f[i][0])
			continue;	/* a group, stage or period */
		v = fuzz_num(names, f, i);
		if (is_share(names[i]))
			(void)fuzz_prob(names, f, i);
		if (is_count(names[i]) && !isnan(v))
			FUZZ_CHECK(v >= 0 && v == floor(v), "%s = %s", names[i],
				   f[i]);
	}
	/* Every X with X_lo and X_hi. */
	for (i = 0; i < n; i++) {
		if (ends_with(names[i], "_lo") || ends_with(names[i], "_hi"))
			continue;
		snprintf(lo_name, sizeof(lo_name), "%s_lo", names[i]);
		snprintf(hi_name, sizeof(hi_name), "%s_hi", names[i]);
		lo = fuzz_col(names, n, lo_name);
		hi = fuzz_col(names, n, hi_name);
		if (lo < 0 || hi < 0)
			continue;
		x = fuzz_num(names, f, i);
		l = fuzz_num(names, f, (size_t)lo);
		h = fuzz_num(names, f, (size_t)hi);
		if (!isnan(l) && !isnan(h))
			FUZZ_CHECK(l <= h, "%s: [%g, %g]", names[i], l, h);
		if (!isnan(x) && !isnan(l) && !isnan(h))
			FUZZ_CHECK(l <= x * (1 + 1e-12) + 1e-12 &&
				   x <= h * (1 + 1e-12) + 1e-12,
				   "%s %g outside [%g, %g]", names[i], x, l, h);
	}
	a = fuzz_col(names, n, "converted");
	b = fuzz_col(names, n, "entered");
	if (a >= 0 && b >= 0 && f[a][0] && f[b][0])
		FUZZ_CHECK(fuzz_num(names, f, (size_t)a) <= fuzz_num(names, f, (size_t)b),
			   "converted %s of %s entered", f[a], f[b]);
	a = fuzz_col(names, n, "won");
	b = fuzz_col(names, n, "closed");
	if (a >= 0 && b >= 0 && f[a][0] && f[b][0])
		FUZZ_CHECK(fuzz_num(names, f, (size_t)a) <= fuzz_num(names, f, (size_t)b),
			   "won %s of %s closed", f[a], f[b]);
	a = fuzz_col(names, n, "p_value");
	if (a >= 0)
		(void)fuzz_prob(names, f, (size_t)a);
}

static enum kpi_status
write_report(struct run *r, int report, struct kpi_csv_writer *w,
	     struct kpi_error *err)
{
	switch (report) {
	case 0:
		return kpi_funnel_write_funnel(r->funnel, &r->ro, w, err);
	case 1:
		return kpi_funnel_write_transitions(r->funnel, &r->ro, w, err);
	case 2:
		return kpi_funnel_write_winrate(r->funnel, &r->ro, w, err);
	case 3:
		return kpi_funnel_write_velocity(r->funnel, &r->ro, w, err);
	case 4:
		return kpi_funnel_write_stage_win(r->funnel, &r->ro, w, err);
	default:
		return kpi_funnel_write_compare(r->funnel, &r->ro, w, err);
	}
}

/*
 * Options.  Byte 0: bits 0-1 the shape (history, wide, outcome, outcome
 * with a status column),
 * bits 2-4 the report (funnel, transitions, winrate, velocity, stage-win,
 * compare, funnel, winrate), bit 5 -g g, bit 6 --amount a, bit 7
 * --skip-bad.  Byte 1: bits 0-2 --every (none, none, none, day ... year),
 * bit 3 --as-of 2026-06-30 (else the latest date), bit 4 --skips strict,
 * bit 5 --window 30 and --stale-after 60, bits 6-7 --ci (wilson,
 * jeffreys, exact, wilson) with --min-n 2 when bit 7 is set.
 * The win-rate report asks for P(won within 30, 90 days); velocity counts
 * from mql.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const stages[] = { "lead", "mql", "sql", "won" };
	static const char *const lost[] = { "lost" };
	static const char *const stage_cols[] = { "lead", "mql", "sql", "won" };
	static const char *const groups[] = { "g" };
	static const long within[] = { 30, 90 };
	static const enum kpi_ci_method cis[] = { KPI_CI_WILSON, KPI_CI_JEFFREYS,
						  KPI_CI_EXACT, KPI_CI_WILSON };
	static int ready;
	struct run r;
	struct kpi_error err;
	struct fuzz_output out;
	enum kpi_status st;
	unsigned long used = 0;
	unsigned b0, b1;
	int report;

	if (!ready) {
		kpi_init();
		ready = 1;
	}
	if (size < 2)
		return 0;
	b0 = data[0];
	b1 = data[1];
	memset(&r, 0, sizeof(r));
	kpi_cli_common_init(&r.common);
	r.common.skip_bad = (b0 >> 7) & 1;
	switch (b0 & 3) {
	case 1:
		r.opt.shape = KPI_FUNNEL_WIDE;
		r.opt.stage_cols = stage_cols;
		break;
	case 3:
		r.opt.status_col = "s";
		/* fall through */
	case 2:
		r.opt.shape = KPI_FUNNEL_OUTCOME;
		r.opt.id_col = "id";
		r.opt.stage_col = "stage";
		r.opt.created_col = "created";
		r.opt.closed_col = "closed";
		break;
	default:
		r.opt.shape = KPI_FUNNEL_HISTORY;
		r.opt.id_col = "id";
		r.opt.stage_col = "stage";
		r.opt.time_col = "t";
		break;
	}
	report = (b0 >> 2) & 7;
	if (report == 6)
		report = 0;
	else if (report == 7)
		report = 2;
	if (report == 1 && r.opt.shape != KPI_FUNNEL_HISTORY)
		report = 0;	/* kpi-conv: transitions need a history */
	if ((b0 >> 5) & 1) {
		r.opt.group_cols = groups;
		r.opt.ngroup = 1;
	}
	if ((b0 >> 6) & 1)
		r.opt.amount_col = "a";
	r.opt.stages = stages;
	r.opt.nstages = 4;
	r.opt.lost = lost;
	r.opt.nlost = 1;
	r.opt.strict_skips = (b1 >> 4) & 1;
	r.opt.keep_history = report == 1;
	r.opt.common = &r.common;

	r.ro.window = (b1 >> 5) & 1 ? 30 : -1;
	r.ro.stale_after = (b1 >> 5) & 1 ? 60 : -1;
	if ((b1 & 7) >= 3) {
		r.ro.has_every = 1;
		r.ro.every = (enum kpi_period_unit)((b1 & 7) - 3);
	}
	r.ro.ci = (int)cis[(b1 >> 6) & 3];
	r.ro.level = 0.95;
	r.ro.min_n = (b1 >> 7) & 1 ? 2 : 0;
	r.ro.within = within;
	r.ro.nwithin = report == 2 ? 2 : 0;
	r.ro.qualified = 1;
	r.ro.precision = -1;
	r.ro.cal = &r.common.cal;

	kpi_error_clear(&err);
	st = kpi_funnel_new(&r.funnel, &r.opt, &err);
	FUZZ_CHECK(st == KPI_OK, "kpi_funnel_new: %s", err.msg);
	st = fuzz_read(&r.common, fuzz_file(0, data + 2, size - 2), on_header,
		       on_row, &r, &used, &err);
	if (st == KPI_OK) {
		if ((b1 >> 3) & 1)
			st = kpi_date_parse("2026-06-30", NULL, NULL, &r.ro.as_of,
					    &err);
		else
			st = kpi_funnel_last_date(r.funnel, &r.ro.as_of, &err);
		fuzz_check_error(st, &err, "as-of");
		if (st == KPI_OK)
			FUZZ_CHECK(kpi_date_in_range(r.ro.as_of), "as-of %ld",
				   r.ro.as_of);
	}
	if (st == KPI_OK) {
		fuzz_output_open(&out);
		st = write_report(&r, report, &out.w, &err);
		fuzz_check_error(st, &err, "report");
		fuzz_output_close(&out);
		if (st == KPI_OK)
			fuzz_output_rows(&out, check_row, &r);
		fuzz_output_free(&out);
	}
	kpi_funnel_free(r.funnel);
	kpi_cli_common_free(&r.common);
	return 0;
}
