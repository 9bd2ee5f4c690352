/* kpi/agg.h - group rows by key columns and by period of a date column, and
 * aggregate (the engine behind kpi-agg).
 *
 * Use: kpi_agg_spec_parse() the -a list, kpi_agg_new(), kpi_agg_header()
 * with the input's header, kpi_agg_add() per record, kpi_agg_write(), then
 * kpi_agg_free().  Memory grows with the number of groups (and, for
 * quantiles, with the values they must keep; for distinct counts, with the
 * distinct values), not with the number of rows. */
#ifndef KPI_AGG_H
#define KPI_AGG_H

#include <stddef.h>

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/date.h"
#include "kpi/error.h"

enum kpi_agg_op {
	KPI_AGG_COUNT,		/* rows in the group ("count") */
	KPI_AGG_COUNT_VALUES,	/* non-missing values ("count:COL") */
	KPI_AGG_MISSING,	/* missing values */
	KPI_AGG_SUM,
	KPI_AGG_MEAN,
	KPI_AGG_MIN,
	KPI_AGG_MAX,
	KPI_AGG_RANGE,
	KPI_AGG_VAR,		/* sample variance, divisor n - 1 */
	KPI_AGG_SD,
	KPI_AGG_VARP,		/* population variance, divisor n */
	KPI_AGG_SDP,
	KPI_AGG_QUANTILE,	/* median, pNN, q:COL:FRACTION */
	KPI_AGG_DISTINCT,	/* number of distinct non-missing values */
	KPI_AGG_FIRST,		/* first value in input order (text) */
	KPI_AGG_LAST,
};

struct kpi_agg_spec {
	enum kpi_agg_op op;
	char *column;		/* NULL for plain "count" */
	double p;		/* KPI_AGG_QUANTILE: probability in [0, 1] */
	char *name;		/* output column name: "count", "amount_sum" */
};

/* Parse "count,sum:amount,p90:amount,distinct:account_id" into an array the
 * caller frees with kpi_agg_specs_free().  Operation names: count, sum,
 * mean, min, max, range, var, sd, varp, sdp, median, pNN (NN a percentage,
 * p99.5 allowed), distinct, first, last, missing; "OP:COL".  Output names are
 * COL_OP (amount_sum, amount_p90, account_id_distinct, amount_count). */
enum kpi_status kpi_agg_spec_parse(const char *list, struct kpi_agg_spec **out,
				   size_t *n, struct kpi_error *err);
void kpi_agg_specs_free(struct kpi_agg_spec *specs, size_t n);

struct kpi_agg_options {
	const char *const *group_cols;	/* -g */
	size_t ngroup;
	const char *time_col;		/* -t; NULL = no periods */
	enum kpi_period_unit every;
	const struct kpi_agg_spec *specs;
	size_t nspecs;
	const struct kpi_cli_common *common;	/* calendar, --na, ... */
	const struct kpi_date_format *date_format;	/* NULL = ISO */
	int quantile_type;		/* 1..9, R's types; 7 by default */
	int fill;			/* --fill */
	int has_from, has_to, has_as_of;
	long from, to, as_of;		/* day numbers */
};

struct kpi_agg;

/* The options are borrowed and must outlive the aggregation. */
enum kpi_status kpi_agg_new(struct kpi_agg **out,
			    const struct kpi_agg_options *opt,
			    struct kpi_error *err);
void kpi_agg_free(struct kpi_agg *a);

/* Resolve the column names against the input's header. */
enum kpi_status kpi_agg_header(struct kpi_agg *a,
			       const struct kpi_csv_header *h,
			       struct kpi_error *err);

/* Add one record.  A bad value (a number column that holds text, a date
 * column that holds no date) is KPI_EPARSE with err->column set, and the
 * record is not counted anywhere, so that --skip-bad loses nothing else. */
enum kpi_status kpi_agg_add(struct kpi_agg *a, const struct kpi_csv_record *rec,
			    struct kpi_error *err);

/* Write the header and one row per group and period, sorted by the group
 * key (numerically where a column holds only numbers, else by bytes: see
 * kpi/keyorder.h) and period.  Rows with an empty date form their own
 * group with an empty period, sorted first. */
enum kpi_status kpi_agg_write(struct kpi_agg *a, struct kpi_csv_writer *w,
			      struct kpi_error *err);

/* Rows ignored because they were dated after --as-of or outside
 * --from/--to. */
unsigned long kpi_agg_rows_out_of_range(const struct kpi_agg *a);

#endif
