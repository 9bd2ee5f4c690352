/* fuzz_pipeline.c - arbitrary CSV through kpi-pipeline's engine: a side
 * input (stage probabilities, quotas, closed-won bookings or the older
 * snapshot of a waterfall) and the deals, each read by
 * kpi_cli_read_inputs() into the kpi_pipeline_*_header/_add() pair that
 * kpi-pipeline's main() uses for it, then kpi_pipeline_finish() and
 * kpi_pipeline_write().
 *
 * Input: bytes 0 and 1 choose the options (below); the rest is the side
 * input, a form feed (0x0c), and the deals (no form feed: no side input).
 * Deal columns: id, stage, a (amount), close, created, p (probability),
 * cat (forecast category), g (group).  Stage order Discovery, Proposal,
 * Negotiation; won stages Won, Closed Won; lost Lost, Closed Lost.
 * Checks, beyond no crash, leak or undefined behaviour:
 *  - every deal row is used or, with --skip-bad, rejected; a side input is
 *    read strictly (fuzz-cli.h);
 *  - errors have a documented status and a message; KPI_ENUMERIC from a
 *    waterfall (opening + movements != closing) is a finding;
 *  - the report reads back as CSV, every number finite or empty;
 *  - distribution: deals, stale >= 0 and whole; the pipeline empty only
 *    when the amounts overflow, and then nothing more is checked;
 *    0 <= weighted <= pipeline;
 *    sd >= 0; mean = won + weighted; the quantiles do not decrease with
 *    the level and lie within [won - error_bound, won + pipeline +
 *    error_bound]; p_quota in [0, 1]; error_bound >= 0;
 *  - waterfall: deal counts whole and >= 0.
 */
#define _GNU_SOURCE		/* memfd_create(), memchr() */
#include "kpi/date.h"
#include "kpi/pipeline.h"

#include "fuzz-cli.h"

enum side { SIDE_PROBS, SIDE_QUOTA, SIDE_WON, SIDE_OLD };

struct run {
	struct kpi_cli_common common;
	struct kpi_pipeline_options opt;
	struct kpi_pipeline *pl;
	enum side side;
};

/* The reader of each side input, as kpi-pipeline pairs them. */
static const struct {
	enum kpi_status (*header)(struct kpi_pipeline *p,
				  const struct kpi_csv_header *h,
				  struct kpi_error *err);
	enum kpi_status (*row)(struct kpi_pipeline *p,
			       const struct kpi_csv_record *rec,
			       struct kpi_error *err);
} side_fns[] = {
	[SIDE_PROBS] = { kpi_pipeline_probs_header, kpi_pipeline_probs_add },
	[SIDE_QUOTA] = { kpi_pipeline_quota_header, kpi_pipeline_quota_add },
	[SIDE_WON] = { kpi_pipeline_won_header, kpi_pipeline_won_add },
	[SIDE_OLD] = { kpi_pipeline_old_header, kpi_pipeline_old_add },
};

static enum kpi_status
side_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return side_fns[r->side].header(r->pl, h, err);
}

static enum kpi_status
side_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return side_fns[r->side].row(r->pl, rec, err);
}

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_pipeline_header(r->pl, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct run *r = ctx;

	return kpi_pipeline_add(r->pl, rec, err);
}

static double
col(const char *const *names, const char *const *f, size_t n, const char *name)
{
	int i = fuzz_col(names, n, name);

	return i < 0 ? NAN : fuzz_num(names, f, (size_t)i);
}

static void
check_count(const char *name, double v)
{
	FUZZ_CHECK(isnan(v) || (v >= 0 && v == floor(v)), "%s = %g", name, v);
}

static void
check_distribution_row(const char *const *names, const char *const *f,
		       size_t n, void *ctx)
{
	const struct run *r = ctx;
	double pipeline = col(names, f, n, "pipeline");
	double weighted = col(names, f, n, "weighted");
	double won = col(names, f, n, "won");
	double mean = col(names, f, n, "mean"), sd = col(names, f, n, "sd");
	double eb = col(names, f, n, "error_bound"), q, prev = -INFINITY;
	double first = NAN;
	double scale, slack;
	char name[32];
	size_t i;

	check_count("deals", col(names, f, n, "deals"));
	check_count("stale", col(names, f, n, "stale"));
	if (isnan(pipeline)) {
		/* Written empty: amounts that add up beyond 1.8e308. */
		FUZZ_CHECK(!(weighted < 1e300 && won < 1e300),
			   "pipeline empty, weighted %g, won %g", weighted, won);
		return;
	}
	scale = fabs(pipeline) + fabs(won) + 1;
	slack = 1e-9 * scale;
	FUZZ_CHECK(weighted >= -slack && weighted <= pipeline + slack,
		   "weighted %g of pipeline %g", weighted, pipeline);
	/* Empty only when it overflows. */
	FUZZ_CHECK(sd >= 0 || (isnan(sd) && !(fabs(pipeline) < 1e150)),
		   "sd %g of pipeline %g", sd, pipeline);
	FUZZ_CHECK(fabs(mean - (won + weighted)) <= slack,
		   "mean %.17g, won %.17g + weighted %.17g", mean, won, weighted);
	if (isnan(eb))
		eb = 0;		/* Monte Carlo */
	FUZZ_CHECK(eb >= 0, "error bound %g", eb);
	for (i = 0; i < r->opt.nlevels; i++) {
		snprintf(name, sizeof(name), "p%.10g", r->opt.levels[i] * 100);
		q = col(names, f, n, name);
		FUZZ_CHECK(!isnan(q), "no %s", name);
		FUZZ_CHECK(q >= prev - slack, "%s = %.17g below %.17g", name, q,
			   prev);
		FUZZ_CHECK(q >= won - eb - slack && q <= won + pipeline + eb + slack,
			   "%s = %.17g outside [%.17g, %.17g] +- %g", name, q, won,
			   won + pipeline, eb);
		if (i == 0)
			first = q;
		prev = q;
	}
	/* Quantiles apart: the distribution has a spread. */
	if (prev > first + slack + 2 * eb)
		FUZZ_CHECK(sd > 0, "sd %g, quantiles from %.17g to %.17g", sd,
			   first, prev);
	i = (size_t)fuzz_col(names, n, "p_quota");
	if (fuzz_col(names, n, "p_quota") >= 0)
		(void)fuzz_prob(names, f, i);
}

static void
check_waterfall_row(const char *const *names, const char *const *f, size_t n,
		    void *ctx)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (len > 6 && strcmp(names[i] + len - 6, "_deals") == 0)
			check_count(names[i], fuzz_num(names, f, i));
	}
}

/* Read one input; returns its status. */
static enum kpi_status
read_part(struct run *r, int slot, const uint8_t *p, size_t len, int side)
{
	struct kpi_cli_common strict = r->common;
	struct kpi_error err;
	unsigned long used;

	if (side) {
		/* As kpi-pipeline: side inputs have no --skip-bad, and the
		 * probabilities are a kpi tool's output, comma-separated. */
		strict.skip_bad = 0;
		if (r->side == SIDE_PROBS)
			strict.delimiter = ',';
		return fuzz_read(&strict, fuzz_file(slot, p, len), side_header,
				 side_row, r, &used, &err);
	}
	return fuzz_read(&r->common, fuzz_file(slot, p, len), on_header, on_row,
			 r, &used, &err);
}

/*
 * Options.  Byte 0: bits 0-1 the side input: --prob-col p with the side
 * input as --quota, --probs, --prob-col p with the side input as --won,
 * --diff (stage order given); bit 2 -g g, bit 3 --created created, bit 4
 * --category-col cat, bit 5 --skip-bad, bits 6-7 --stale-policy (keep,
 * drop, next-period, current).  Byte 1: bits 0-2 --every (day ... year,
 * then quarter), bit 3 --as-of 2026-06-30 (always without --created),
 * bit 4 --prob-scale 1 (else 100), bit 5 --method monte-carlo with 300
 * draws (else auto), bit 6 --weighted (with --diff and --prob-col p), bit
 * 7 --levels 0.05,0.5,0.95 (else 0.1,0.5,0.9).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const groups[] = { "g" };
	static const char *const stages[] = { "Discovery", "Proposal",
					      "Negotiation" };
	static const char *const won_stages[] = { "Won", "Closed Won" };
	static const char *const lost_stages[] = { "Lost", "Closed Lost" };
	static const double levels_a[] = { 0.1, 0.5, 0.9 };
	static const double levels_b[] = { 0.05, 0.5, 0.95 };
	static const enum side sides[] = { SIDE_QUOTA, SIDE_PROBS, SIDE_WON,
					   SIDE_OLD };
	static int ready;
	struct run r;
	struct kpi_error err;
	struct fuzz_output out;
	enum kpi_status st = KPI_OK;
	const uint8_t *body, *ff;
	size_t len;
	unsigned b0, b1;

	if (!ready) {
		kpi_init();
		ready = 1;
	}
	if (size < 2)
		return 0;
	b0 = data[0];
	b1 = data[1];
	body = data + 2;
	len = size - 2;
	memset(&r, 0, sizeof(r));
	kpi_cli_common_init(&r.common);
	r.common.skip_bad = (b0 >> 5) & 1;
	kpi_bookings_options_init(&r.opt.bookings);
	r.opt.prob_scale = (b1 >> 4) & 1 ? 1 : 100;
	r.opt.min_n = 2;
	r.opt.threads = 1;
	r.opt.id_col = "id";
	r.opt.stage_col = "stage";
	r.opt.amount_col = "a";
	r.opt.close_col = "close";
	r.side = sides[b0 & 3];
	if (r.side != SIDE_PROBS)
		r.opt.prob_col = "p";
	if (r.side == SIDE_OLD) {
		r.opt.diff = 1;
		r.opt.stages = stages;
		r.opt.nstages = 3;
		r.opt.weighted = (b1 >> 6) & 1;
	}
	if ((b0 >> 2) & 1) {
		r.opt.group_cols = groups;
		r.opt.ngroup = 1;
	}
	if ((b0 >> 3) & 1)
		r.opt.created_col = "created";
	if ((b0 >> 4) & 1)
		r.opt.category_col = "cat";
	r.opt.stale = (enum kpi_stale_policy)((b0 >> 6) & 3);
	r.opt.won_stages = won_stages;
	r.opt.nwon_stages = 2;
	r.opt.lost_stages = lost_stages;
	r.opt.nlost_stages = 2;
	r.opt.every = (b1 & 7) <= KPI_PERIOD_YEAR ? (enum kpi_period_unit)(b1 & 7)
						  : KPI_PERIOD_QUARTER;
	if (((b1 >> 3) & 1) || (!r.opt.created_col && !r.opt.diff)) {
		r.opt.has_as_of = 1;
		if (kpi_date_parse("2026-06-30", NULL, NULL, &r.opt.as_of, &err))
			abort();
	}
	if ((b1 >> 5) & 1) {
		r.opt.bookings.method = KPI_BOOKINGS_MC;
		r.opt.bookings.draws = 300;
	}
	r.opt.levels = (b1 >> 7) & 1 ? levels_b : levels_a;
	r.opt.nlevels = 3;
	r.opt.common = &r.common;

	kpi_error_clear(&err);
	st = kpi_pipeline_new(&r.pl, &r.opt, &err);
	FUZZ_CHECK(st == KPI_OK, "kpi_pipeline_new: %s", err.msg);
	ff = memchr(body, '\f', len);
	if (ff) {
		st = read_part(&r, 1, body, (size_t)(ff - body), 1);
		len -= (size_t)(ff + 1 - body);
		body = ff + 1;
	}
	if (st == KPI_OK)
		st = read_part(&r, 0, body, len, 0);
	if (st == KPI_OK) {
		st = kpi_pipeline_finish(r.pl, &err);
		fuzz_check_error(st, &err, "finish");
		FUZZ_CHECK(!(r.opt.diff && st == KPI_ENUMERIC),
			   "waterfall does not add up: %s", err.msg);
	}
	if (st == KPI_OK) {
		fuzz_output_open(&out);
		st = kpi_pipeline_write(r.pl, &out.w, &err);
		fuzz_check_error(st, &err, "write");
		fuzz_output_close(&out);
		if (st == KPI_OK)
			fuzz_output_rows(&out, r.opt.diff ? check_waterfall_row
							  : check_distribution_row,
					 &r);
		fuzz_output_free(&out);
	}
	kpi_pipeline_free(r.pl);
	kpi_cli_common_free(&r.common);
	return 0;
}
