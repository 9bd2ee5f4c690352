/* pipeline-internal.h - what pipeline.c and pipeline-diff.c share: the
 * engine's state and the parsing of one deal record.  Never installed. */
#ifndef KPI_PIPELINE_INTERNAL_H
#define KPI_PIPELINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kpi/group.h"
#include "kpi/num.h"
#include "kpi/pipeline.h"

/* Forecast categories, in output order. */
enum category {
	CAT_PIPELINE,
	CAT_BEST_CASE,
	CAT_COMMIT,
	CAT_CLOSED,
	CAT_OMITTED,
	CAT_COUNT,
};

/* What a deal record is. */
enum deal_kind {
	DEAL_OPEN,
	DEAL_WON,		/* a won stage, or category closed */
	DEAL_LOST,		/* a lost stage */
	DEAL_OMITTED,		/* category omitted */
	DEAL_SKIPPED,		/* created after --as-of: not there yet */
};

/* Column indexes of one deals input (the snapshots' headers may differ). */
struct deal_cols {
	int set;
	size_t id, stage, amount, close, created, prob, category;
	size_t *group;		/* [ngroup] */
	size_t *probkey;	/* [nprob_keys] */
};

/* One record, parsed and checked. */
struct parsed_deal {
	enum deal_kind kind;
	int category;		/* enum category, or -1 without the column */
	double amount;
	long close;		/* day number */
	long created;
	int has_created;
	double p;		/* NaN when not needed */
	size_t stage;		/* rank in the stage order, or SIZE_MAX */
	size_t id;		/* slot in ids, or SIZE_MAX */
	size_t group;		/* slot in groups */
};

/* A probability from the --probs file. */
struct prob_entry {
	double p;		/* NaN: p_won was empty */
	unsigned long closed;
};

/* Deals kept for the distribution report. */
struct deal {
	uint32_t group;
	int32_t close;
	double amount;
	double p;
	unsigned char kind;	/* enum deal_kind */
	signed char category;
};

struct dated_amount {
	uint32_t group;
	long day;
	double amount;
};

/* A deal's state in one snapshot of a waterfall. */
enum snap_state { SNAP_ABSENT, SNAP_OPEN, SNAP_WON, SNAP_LOST };

struct snap {
	uint32_t group;
	unsigned char state;	/* enum snap_state */
	long period;
	double amount;
	double p;
	size_t stage;
};

/* A row of the distribution report. */
struct prow {
	size_t group;
	long period;
	size_t first, nopen;	/* the open deals: amounts[first ..] */
	unsigned long stale;
	struct kpi_sum pipeline, weighted, won, quota, cat[CAT_COUNT];
	int has_quota;
	struct kpi_bookings b;
	double reach;
	uint64_t seed;
};

struct kpi_pipeline {
	const struct kpi_pipeline_options *opt;
	struct deal_cols cols, old_cols;

	/* --probs */
	char **prob_keys;		/* the key column names */
	size_t nprob_keys;
	struct kpi_group *probs;	/* (keys..., stage) */
	struct prob_entry *pe;
	size_t npe, pe_cap;
	size_t probs_stage, probs_p, probs_closed;
	int have_probs;

	/* Stage order: slot = rank; slots >= nstages_known are unknown
	 * names looked up (interning is the only lookup). */
	struct kpi_group *stages;
	size_t nstages_known;

	struct kpi_group *groups;	/* -g tuples */
	size_t ngparts;			/* parts of a group key (>= 1) */
	struct kpi_group *ids;

	struct deal *deals;
	size_t ndeals, deals_cap;
	long max_created;
	int have_created;
	unsigned long created_after;

	/* --won */
	struct dated_amount *won;
	size_t nwon, won_cap;
	struct kpi_group *won_ids;
	size_t *won_group;
	size_t won_date, won_amount, won_stage, won_id;
	int won_has_stage;

	/* --quota */
	struct dated_amount *quota;
	size_t nquota, quota_cap;
	size_t *quota_group;
	size_t quota_period, quota_amount;

	/* waterfall: per id */
	struct snap *snap_old, *snap_new;
	size_t snap_cap;

	/* per-record scratch */
	const char **parts;
	size_t *lens;
	size_t nparts_cap;

	/* results */
	int finished;
	long as_of;
	struct prow *rows;
	size_t nrows;
	double *rowq;			/* [row * nlevels + j] */
	double *amounts, *probs_v;	/* open deals in row order */
	struct kpi_waterfall_row *wf;
	size_t nwf;
	size_t *rank;			/* output rank of each group slot */
};

enum kpi_status pipeline_nomem(struct kpi_error *err);
/* Parse and check one deal record against cols; nothing changes. */
enum kpi_status pipeline_parse_deal(struct kpi_pipeline *p,
				    const struct deal_cols *cols,
				    const struct kpi_csv_record *rec,
				    int need_prob, struct parsed_deal *d,
				    struct kpi_error *err);
/* Resolve a deals header into cols. */
enum kpi_status pipeline_deal_header(struct kpi_pipeline *p,
				     struct deal_cols *cols,
				     const struct kpi_csv_header *h,
				     struct kpi_error *err);
/* Rank every group slot in output order (p->rank). */
enum kpi_status pipeline_rank_groups(struct kpi_pipeline *p,
				     struct kpi_error *err);
void pipeline_write_group(const struct kpi_pipeline *p,
			  struct kpi_csv_writer *w, size_t group);
void pipeline_write_group_header(const struct kpi_pipeline *p,
				 struct kpi_csv_writer *w);
void pipeline_write_period(const struct kpi_pipeline *p,
			   struct kpi_csv_writer *w, long period);
/* The waterfall (pipeline-diff.c). */
enum kpi_status pipeline_snap_add(struct kpi_pipeline *p, int old,
				  const struct kpi_csv_record *rec,
				  struct kpi_error *err);
enum kpi_status pipeline_diff_finish(struct kpi_pipeline *p,
				     struct kpi_error *err);
enum kpi_status pipeline_diff_write(struct kpi_pipeline *p,
				    struct kpi_csv_writer *w,
				    struct kpi_error *err);

#endif
