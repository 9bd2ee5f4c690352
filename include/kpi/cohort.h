/* kpi/cohort.h - customer cohorts: logo and revenue retention by age, the
 * LTV curve, and net and gross revenue retention (the engine behind
 * kpi-cohort).
 *
 * Input is events or transactions: a customer id, a date and optionally an
 * amount, in any order, any number of rows per customer.  A customer's
 * cohort is the period of its first event (or of an explicit cohort date
 * column); its age at an event is the number of whole periods from the
 * cohort period to the event's period (0, 1, 2, ...).
 *
 * Use: kpi_cohort_new(), kpi_cohort_header() with the input's header,
 * kpi_cohort_add() per record, kpi_cohort_finish() once, then any of the
 * writers, then kpi_cohort_free().
 *
 * ==== Memory and speed: two passes over a partitioned copy ====
 *
 * Logo retention needs, per (cohort, age), the number of DISTINCT customers
 * active, and revenue retention the revenue of the customers of a cohort;
 * the gross revenue retention of a period needs each customer's revenue in
 * two periods side by side.  None of these can be summed as rows arrive:
 * a customer's cohort is its earliest period, which the very last row may
 * change, and a customer active several times in one period counts once.
 * Keeping every customer's (period, revenue) pairs in memory costs 12 to 16
 * bytes per active customer-period: fine for retail data (two or three
 * active months per customer), hundreds of bytes per customer for
 * subscription data billed every month.  And a table of all customers,
 * looked up once per row, is the slow part of the naive design: at a
 * million customers each lookup misses the cache several times.
 *
 * So the events are partitioned, hash-join style:
 *
 *  1. While reading, each row is checked, and a compact record (the id's
 *     hash, the period index, the amount, the group slot and cohort date
 *     when used, and the id's bytes: 26 bytes for an 8-byte id with an
 *     amount) is appended to one of 256 buckets chosen by the id's hash.
 *     A bucket holds up to 32 KiB in memory; a full bucket is written to
 *     an unlinked temporary file in `tmpdir` as one chunk.  Nothing is
 *     kept per customer, except with -g or a cohort column: then a table
 *     of the ids (24-byte entries holding the id's hash, the id itself up
 *     to 8 bytes, its group and cohort date, at a load of at most 1/2:
 *     48 to 96 bytes a customer) checks as rows arrive that a customer
 *     keeps the group and cohort date of its first row, so that a row
 *     breaking the rule can be rejected with its line; each check reads
 *     one cache line.
 *  2. kpi_cohort_finish() reads the buckets back one at a time (chunks,
 *     then the in-memory tail).  A bucket holds 1/256 of the customers,
 *     whose table fits in cache; its records are numbered by customer,
 *     counting-sorted by customer (stable: a customer's first row comes
 *     first), and each customer's events are walked in period order: its
 *     cohort, its distinct active periods and their revenue, its last
 *     active age, its revenue movements between periods.  These are folded
 *     into the cohort table, and the bucket's memory is reused.
 *
 *     A bucket of more than 16 MiB (512 buffers; half a million events
 *     or so, reached at about 4 GB of input) is first split by more bits
 *     of the hash into 16 buckets, through the temporary file, and each
 *     is processed, or split again, in turn.
 *
 * Peak memory is therefore at most 8 MiB of bucket buffers, one bucket's
 * work (its records plus 12 bytes per record, at most 16 MiB of records
 * unless one customer alone has more), the output table (one cell per
 * group, cohort and age) and, with -g or a cohort column, the id table:
 * it does not grow with the number of events.  The temporary file takes
 * the records' size beyond what the buffers hold, twice for a split
 * bucket; small inputs (a quarter of a million events or so) never touch
 * the disk.  The file is unlinked as soon as it is made, so it vanishes
 * with the process however that ends.
 */
#ifndef KPI_COHORT_H
#define KPI_COHORT_H

#include <stddef.h>

#include "kpi/cli.h"
#include "kpi/csv.h"
#include "kpi/date.h"
#include "kpi/error.h"
#include "kpi/prop.h"

/* What "active at age k" means. */
enum kpi_cohort_mode {
	KPI_COHORT_RETURN_ON,		/* an event in exactly that period */
	KPI_COHORT_RETURN_ON_OR_AFTER,	/* an event in that period or later */
};

/* The measures a --wide triangle can show, named as the long output's
 * columns. */
enum kpi_cohort_measure {
	KPI_COHORT_ACTIVE,
	KPI_COHORT_RETENTION,
	KPI_COHORT_RETENTION_LO,
	KPI_COHORT_RETENTION_HI,
	KPI_COHORT_REVENUE,
	KPI_COHORT_REVENUE_RETENTION,
	KPI_COHORT_LTV,
};

/* "return-on" or "return-on-or-after" (also "on", "on-or-after",
 * "unbounded"); KPI_EINVAL naming the choices else. */
enum kpi_status kpi_cohort_mode_parse(const char *s, enum kpi_cohort_mode *out,
				      struct kpi_error *err);

/* "active", "retention" (also "logo"), "retention_lo", "retention_hi",
 * "revenue", "revenue_retention", "ltv"; KPI_EINVAL naming the choices
 * else.  kpi_cohort_measure_name() gives the column name back. */
enum kpi_status kpi_cohort_measure_parse(const char *s,
					 enum kpi_cohort_measure *out,
					 struct kpi_error *err);
const char *kpi_cohort_measure_name(enum kpi_cohort_measure m);

/* Nonzero when the measure needs an amount column. */
int kpi_cohort_measure_needs_value(enum kpi_cohort_measure m);

struct kpi_cohort_options {
	const char *id_col;		/* the customer */
	const char *time_col;		/* the event's date */
	const char *value_col;		/* amount; NULL: no revenue measures */
	const char *cohort_col;		/* explicit cohort date; NULL: the
					 * period of the first event */
	const char *const *group_cols;	/* a customer's segment */
	size_t ngroup;
	enum kpi_period_unit every;	/* cohort and age unit */
	int has_as_of;
	long as_of;			/* day number; else the latest date */
	long nrr_lag;			/* NRR compares a period with the one
					 * nrr_lag periods before; 0 = no NRR */
	const char *tmpdir;		/* for the temporary file; NULL: /tmp */
	size_t bucket_bytes;		/* bytes a bucket holds in memory before
					 * it is written out; 0: 32 KiB (tests
					 * use 1 to exercise the file) */
	const struct kpi_cli_common *common;	/* calendar, --na, ... */
	const struct kpi_date_format *date_format;	/* NULL = ISO */
};

struct kpi_cohort;

/* The options are borrowed and must outlive the engine.  KPI_EINVAL for
 * a missing column name or a negative nrr_lag. */
enum kpi_status kpi_cohort_new(struct kpi_cohort **out,
			       const struct kpi_cohort_options *opt,
			       struct kpi_error *err);
void kpi_cohort_free(struct kpi_cohort *c);	/* NULL is fine */

/* Resolve the column names against the input's header (KPI_EINVAL with
 * err->column set for an unknown one). */
enum kpi_status kpi_cohort_header(struct kpi_cohort *c,
				  const struct kpi_csv_header *h,
				  struct kpi_error *err);

/* The records that follow come from the input `name` (borrowed: it must
 * outlive the engine; NULL: one unnamed input).  Their lines are that
 * input's own; kpi_cohort_error_input() names the input of the line in
 * an error of kpi_cohort_finish(). */
void kpi_cohort_input(struct kpi_cohort *c, const char *name);
const char *kpi_cohort_error_input(const struct kpi_cohort *c);

/* Add one record.  Every value is checked before anything changes, so a
 * rejected record leaves no trace (--skip-bad loses nothing else).
 * KPI_EPARSE, with err->column set, for: a missing customer id, date or
 * cohort date; a date or amount that does not parse; a date in a period
 * before the customer's cohort period; a customer seen before under
 * another group, or with another cohort date (the customer keeps the
 * values of its first row).  A missing amount is an event without
 * revenue.  Rows dated after the as-of date are ignored (not an error).
 * KPI_EIO when the temporary file cannot be written, KPI_ENOMEM. */
enum kpi_status kpi_cohort_add(struct kpi_cohort *c,
			       const struct kpi_csv_record *rec,
			       struct kpi_error *err);

/* The second pass: build the cohort table.  Call once, after the last
 * kpi_cohort_add() and before any writer.  KPI_EPARSE, before anything is
 * allocated per period, when the periods from the earliest date to the
 * as-of date number more than 64 a row beyond 10,000, or 100,000 (a date
 * typed centuries out): err->line and err->column name the row of the
 * end that lies out (line 0 when the as-of date alone does).  KPI_EPARSE
 * too, before the table would grow past it, when the table's cells (one
 * per group, cohort and age, plus one per group and period for the NRR)
 * number more than 64 a row beyond 1,000,000, or 10,000,000: naming the
 * row of the end that lies out when it makes half the span or more, else
 * with line 0 (the as-of date, or the table itself).  KPI_EIO when the
 * temporary file cannot be read back, KPI_ENOMEM. */
enum kpi_status kpi_cohort_finish(struct kpi_cohort *c, struct kpi_error *err);

/* Counts, for messages, tests and memory reports.  customers is exact
 * after kpi_cohort_finish() (before it, only with -g or a cohort column). */
struct kpi_cohort_stats {
	unsigned long long rows;	/* events kept */
	unsigned long long ignored;	/* rows dated after the as-of date */
	size_t customers;
	size_t groups;
	size_t cohorts;			/* (group, cohort) rows of the table */
	unsigned long long spilled;	/* bytes written to the temporary file */
	size_t bytes;			/* memory held now (tables, buffers) */
	long as_of;			/* after finish: the as-of day used */
};
void kpi_cohort_stats(const struct kpi_cohort *c, struct kpi_cohort_stats *s);

/* ==== Writers ==== */

struct kpi_cohort_report {
	enum kpi_cohort_mode mode;
	enum kpi_ci_method ci;		/* interval on logo retention */
	double level;			/* e.g. 0.95 */
	int summary;			/* add the weighted average per age */
	int wide;			/* triangle of `measure` */
	enum kpi_cohort_measure measure;
	int include_reactivated;	/* NRR: count returning customers */
	int precision;			/* for numbers, as kpi_num_format() */
	int period_label;		/* 2026-11 instead of 2026-11-01 */
};

/* The cohort table (see kpi-cohort(1) for the columns), long or, with
 * r->wide, one row per cohort and one column per age.  Rows are sorted by
 * the group columns (numerically where a column holds only numbers, else
 * by bytes: kpi/keyorder.h), cohort and age; --summary rows have an
 * empty cohort and follow their group's cohorts.  Cells whose period has
 * not fully elapsed by the as-of date are empty.  KPI_EINVAL, before
 * anything is written, when a money figure the report shows (revenue,
 * revenue_retention, ltv, of a cell or a summary) lies beyond the largest
 * double: the message names it, its group, cohort and age. */
enum kpi_status kpi_cohort_write(struct kpi_cohort *c,
				 const struct kpi_cohort_report *r,
				 struct kpi_csv_writer *w,
				 struct kpi_error *err);

/* Net and gross revenue retention per group and period (needs nrr_lag > 0
 * and a value column): the customers active nrr_lag periods before, their
 * revenue then and now, expansion, contraction, churn, and the new and
 * reactivated customers of the period, which are not part of the ratios
 * unless r->include_reactivated.  KPI_EINVAL, before anything is written,
 * when one of the revenue columns or ratios lies beyond the largest
 * double, naming it, its period and group. */
enum kpi_status kpi_cohort_write_nrr(struct kpi_cohort *c,
				     const struct kpi_cohort_report *r,
				     struct kpi_csv_writer *w,
				     struct kpi_error *err);

#endif
