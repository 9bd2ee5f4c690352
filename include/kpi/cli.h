/* kpi/cli.h - what every kpi tool shares: the common options of the pipe
 * contract, reading several inputs as one stream, bad-row policy, messages
 * and atomic output.
 *
 * The library still never exits and never reads argv: a tool parses its
 * command line with getopt_long and hands each common option's value to
 * kpi_cli_common_set().  Messages are written to a stream the tool passes
 * (stderr). */
#ifndef KPI_CLI_H
#define KPI_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "kpi/csv.h"
#include "kpi/date.h"
#include "kpi/error.h"

/* Exit statuses of every tool (kpi(7)). */
enum {
	KPI_EXIT_OK = 0,
	KPI_EXIT_DATA = 1,	/* bad data, unreadable input, write error */
	KPI_EXIT_USAGE = 2,	/* bad option or argument */
};

/* getopt_long codes of the common long-only options; a tool's own long-only
 * options start at KPI_OPT_TOOL. */
enum {
	KPI_OPT_AS_OF = 0x100,
	KPI_OPT_DATE_FORMAT,
	KPI_OPT_DECIMAL_COMMA,
	KPI_OPT_PRECISION,
	KPI_OPT_SKIP_BAD,
	KPI_OPT_REJECTS,
	KPI_OPT_WEEK_START,
	KPI_OPT_FISCAL_START,
	KPI_OPT_PERIOD_LABEL,
	KPI_OPT_NA,
	KPI_OPT_TOOL = 0x200,
};

/* The common entries of a tool's `struct option` table (with <getopt.h>):
 * -d/--delimiter, -o/--output, -h/--help, -V/--version and the long-only
 * options above.  Their short letters are "d:o:hV". */
#define KPI_CLI_COMMON_LONGOPTS						\
	{ "delimiter", required_argument, NULL, 'd' },			\
	{ "output", required_argument, NULL, 'o' },			\
	{ "help", no_argument, NULL, 'h' },				\
	{ "version", no_argument, NULL, 'V' },				\
	{ "as-of", required_argument, NULL, KPI_OPT_AS_OF },		\
	{ "date-format", required_argument, NULL, KPI_OPT_DATE_FORMAT }, \
	{ "decimal-comma", no_argument, NULL, KPI_OPT_DECIMAL_COMMA },	\
	{ "precision", required_argument, NULL, KPI_OPT_PRECISION },	\
	{ "skip-bad", no_argument, NULL, KPI_OPT_SKIP_BAD },		\
	{ "rejects", required_argument, NULL, KPI_OPT_REJECTS },	\
	{ "week-start", required_argument, NULL, KPI_OPT_WEEK_START },	\
	{ "fiscal-start", required_argument, NULL, KPI_OPT_FISCAL_START }, \
	{ "period-label", no_argument, NULL, KPI_OPT_PERIOD_LABEL },	\
	{ "na", required_argument, NULL, KPI_OPT_NA }
#define KPI_CLI_COMMON_SHORTOPTS "d:o:hV"

/* The --help lines of the common options, for a tool's usage text. */
extern const char kpi_cli_common_help[];

#define KPI_CLI_MAX_NA 16

struct kpi_cli_common {
	char delimiter;			/* input delimiter; ',' */
	const char *output;		/* -o FILE; NULL = standard output */
	const char *as_of_text;		/* --as-of as given; NULL = none */
	const char *date_format_text;	/* --date-format as given */
	const char *rejects;		/* --rejects FILE */
	int decimal_comma;
	int precision;			/* -1 = round-trip */
	int skip_bad;			/* --skip-bad or --rejects */
	int period_label;
	struct kpi_calendar cal;
	const char *na[KPI_CLI_MAX_NA];	/* extra missing-value markers */
	size_t nna;
	char *na_buf;			/* storage behind na[] */
};

void kpi_cli_common_init(struct kpi_cli_common *c);
void kpi_cli_common_free(struct kpi_cli_common *c);

/* Interpret one common option (a getopt code and its argument).  Returns
 * KPI_OK, KPI_EINVAL with a message for a bad value, or KPI_ESTOP when `opt`
 * is not a common option (so the tool handles it). */
enum kpi_status kpi_cli_common_set(struct kpi_cli_common *c, int opt,
				   const char *arg, struct kpi_error *err);

/* Nonzero when a field is missing: empty, or one of the --na markers. */
int kpi_cli_is_missing(const struct kpi_cli_common *c, const char *field);

/* ==== Messages ==== */

/* Write "prog: FILE:LINE: column NAME: message\n" to `to`, leaving out the
 * parts err or file does not have. */
void kpi_cli_report(FILE *to, const char *prog, const char *file,
		    const struct kpi_error *err);

/* ==== Atomic output ==== */

/* -o FILE writes to a temporary file beside FILE and renames it over FILE
 * only on success, so a failed run never leaves half a report.  Without a
 * path (NULL or "-"), standard output. */
struct kpi_output {
	FILE *fp;
	char *path;
	char *tmp;
	int broken_pipe;	/* set by commit: the reader went away (EPIPE) */
};

enum kpi_status kpi_output_open(struct kpi_output *o, const char *path,
				struct kpi_error *err);
/* Flush and close (rename into place).  A closed pipe on standard output is
 * KPI_EIO with o->broken_pipe set, which a tool treats as a quiet success. */
enum kpi_status kpi_output_commit(struct kpi_output *o, struct kpi_error *err);
/* Discard: remove the temporary file.  Safe after commit and on a zeroed o. */
void kpi_output_abort(struct kpi_output *o);

/* ==== Reading the inputs ==== */

/* Per-record callback of kpi_cli_read_inputs(): `file` is the input's
 * display name. */
typedef enum kpi_status (*kpi_cli_row_fn)(const struct kpi_csv_record *rec,
					  void *ctx, struct kpi_error *err);
/* Optional instead of the per-record callback: rows recs[0, n) in order
 * (n >= 1), as the per-record callback would take them one by one, for a
 * tool that overlaps the work of several rows.  On failure *done is the
 * number of rows taken and recs[*done] is the row that failed, having
 * changed nothing: it is skipped as bad or ends the read as for on_row,
 * and the rest of the rows come again. */
typedef enum kpi_status (*kpi_cli_rows_fn)(const struct kpi_csv_record *recs,
					   size_t n, size_t *done, void *ctx,
					   struct kpi_error *err);
/* Called with the first input's header, once. */
typedef enum kpi_status (*kpi_cli_header_fn)(const struct kpi_csv_header *h,
					     void *ctx, struct kpi_error *err);

struct kpi_cli_reader {
	const struct kpi_cli_common *common;
	kpi_cli_header_fn on_header;
	kpi_cli_row_fn on_row;
	kpi_cli_rows_fn on_rows;	/* when set, used instead of on_row */
	void *ctx;
	/* filled while reading */
	const char *file;		/* display name of the current input */
	unsigned long rows_read;	/* data records seen */
	unsigned long rows_bad;		/* skipped or rejected */
	unsigned long rejects_written;
	struct kpi_csv_header *header;	/* the first input's header */
	struct kpi_output *rejects_out;	/* NULL until the first reject */
	struct kpi_csv_writer rejects;
	/* set by kpi_cli_run()'s before_write: the input of the line in its
	 * error (the read is over, so `file` no longer says) */
	const char *error_file;
};

/* Read every named input ("-" is standard input; no names means standard
 * input) as one stream: each must start with the same header.  A record that
 * on_row rejects with KPI_EPARSE or KPI_EINVAL, or whose width is wrong, is
 * skipped when --skip-bad or --rejects is set (and written to the rejects
 * file with its file, line, column and reason), and ends the read otherwise.
 * On error, r->file names the input it happened in (NULL for the rejects
 * file or when no input is involved). */
enum kpi_status kpi_cli_read_inputs(struct kpi_cli_reader *r,
				    char *const *names, size_t nnames,
				    struct kpi_error *err);
/* Close the rejects file (renaming it into place on success) and free. */
enum kpi_status kpi_cli_reader_finish(struct kpi_cli_reader *r, int success,
				      struct kpi_error *err);

/* ==== A tool's run ==== */

/* Writes a tool's result once the inputs are read. */
typedef enum kpi_status (*kpi_cli_write_fn)(void *ctx,
					    struct kpi_csv_writer *w,
					    struct kpi_error *err);

/* The body of every tool after option parsing: read the inputs through
 * `reader`, report skipped rows, open the output (-o or stdout), call
 * `write`, commit.  Messages go to `msg` (stderr) prefixed with prog.
 * Returns the exit status: KPI_EXIT_OK (also when the reader of stdout went
 * away), or KPI_EXIT_DATA.  If before_write is non-NULL it runs after the
 * read, before the output is opened (to check what was read). */
int kpi_cli_run(FILE *msg, const char *prog, struct kpi_cli_reader *reader,
		char *const *names, size_t nnames,
		kpi_cli_write_fn before_write, kpi_cli_write_fn write,
		void *ctx);

/* Print "prog: message" and the "Try 'prog --help'" line to msg; returns
 * KPI_EXIT_USAGE. */
int kpi_cli_usage_error(FILE *msg, const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report a bad value of option `opt` (a getopt code from `longopts`) as a
 * usage error, naming the option unless its message already does (the
 * common options name themselves); returns KPI_EXIT_USAGE. */
int kpi_cli_option_error(FILE *msg, const char *prog,
			 const struct option *longopts, int opt,
			 const struct kpi_error *err);

/* What kpi_cli_shared_option returns for an option it took. */
#define KPI_CLI_GO_ON (-1)

/* The options every tool answers the same way, for the default branch of
 * its getopt_long switch: -h/--help (writes `usage` to stdout), -V/--version,
 * getopt's unknown or incomplete option ('?'), and the common options of
 * KPI_CLI_COMMON_LONGOPTS (set in `common`; a bad value is reported with
 * kpi_cli_option_error).  Returns KPI_CLI_GO_ON when parsing goes on,
 * otherwise the exit status main() returns with. */
int kpi_cli_shared_option(FILE *msg, const char *prog, int opt,
			  const char *arg, struct kpi_cli_common *common,
			  const struct option *longopts,
			  void (*usage)(FILE *to));

/* Close stdout at the end of main and turn a late write error into exit
 * status 1 (a reader that went away is not an error).  Returns status, or
 * KPI_EXIT_DATA when closing failed. */
int kpi_cli_close_stdout(FILE *msg, const char *prog, int status);

/* Split a comma-separated list in place (the string is modified) and append
 * its items to *items (realloc'd; the caller frees it).  KPI_EINVAL for an
 * empty item. */
enum kpi_status kpi_cli_split_list(char *list, const char ***items, size_t *n,
				   struct kpi_error *err);

/* A date given as an option value (--as-of, --from, ...): ISO 8601 or a
 * period label, or else in the --date-format layout when there is one. */
enum kpi_status kpi_cli_parse_date(const struct kpi_cli_common *c,
				   const struct kpi_date_format *fmt,
				   const char *text, long *day,
				   struct kpi_error *err);

/* Parse an integer option value in [min, max]. */
enum kpi_status kpi_cli_parse_int(const char *s, long min, long max, long *out,
				  struct kpi_error *err);

#endif
