/* cli.c - the pipe contract shared by every tool: common options, reading
 * inputs as one stream, bad rows, messages, atomic output. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kpi-config.h"
#include "kpi/cli.h"
#include "kpi/num.h"

const char kpi_cli_common_help[] =
	"Input and output:\n"
	"  -d, --delimiter CHAR    input field delimiter: one byte, or 'tab' (default ',')\n"
	"  -o, --output FILE       write to FILE, replaced only when the run succeeds\n"
	"      --decimal-comma     numbers use ',' as the decimal point\n"
	"      --na LIST           also treat these comma-separated strings as missing\n"
	"      --precision N       write numbers with N decimals (default: round-trip)\n"
	"      --skip-bad          skip rows with bad values, report how many\n"
	"      --rejects FILE      skip bad rows and write them to FILE with the reason\n"
	"Dates and periods:\n"
	"      --as-of DATE        ignore rows dated after DATE\n"
	"      --date-format FMT   read dates in this strptime-style layout\n"
	"      --week-start DAY    first day of a week (default monday)\n"
	"      --fiscal-start M    first month (1-12) of the fiscal year (default 1)\n"
	"      --period-label      write periods as 2026-W48, 2026-11, 2026-Q4, 2026\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the version and exit\n";

void
kpi_cli_common_init(struct kpi_cli_common *c)
{
	const struct kpi_calendar cal = KPI_CALENDAR_DEFAULT;

	memset(c, 0, sizeof(*c));
	c->delimiter = ',';
	c->precision = -1;
	c->cal = cal;
}

void
kpi_cli_common_free(struct kpi_cli_common *c)
{
	free(c->na_buf);
	c->na_buf = NULL;
	c->nna = 0;
}

enum kpi_status
kpi_cli_parse_int(const char *s, long min, long max, long *out,
		  struct kpi_error *err)
{
	long long v;

	if (kpi_num_parse_long(s, &v, NULL) != KPI_OK || v < min || v > max)
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\" is not a whole number from %ld to %ld",
				     s, min, max);
	*out = (long)v;
	return KPI_OK;
}

static enum kpi_status
parse_delimiter(const char *s, char *out, struct kpi_error *err)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "TAB") == 0 ||
	    strcmp(s, "\\t") == 0) {
		*out = '\t';
		return KPI_OK;
	}
	if (strlen(s) != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r')
		return kpi_error_set(err, KPI_EINVAL, 0,
				     "\"%s\" must be one byte other than a quote or a line end (or 'tab')",
				     s);
	*out = s[0];
	return KPI_OK;
}

/* --na "NA,NULL,-": split once into a buffer the markers point into. */
static enum kpi_status
parse_na(struct kpi_cli_common *c, const char *arg, struct kpi_error *err)
{
	char *buf, *p;

	free(c->na_buf);
	c->nna = 0;
	buf = strdup(arg);
	c->na_buf = buf;
	if (!buf)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	for (p = buf;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (c->nna == KPI_CLI_MAX_NA)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "--na takes at most %d markers",
					     KPI_CLI_MAX_NA);
		if (*p)
			c->na[c->nna++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return KPI_OK;
}

static enum kpi_status set_option(struct kpi_cli_common *c, int opt,
				  const char *arg, struct kpi_error *err);

/* The long name of a common option, for messages. */
static const char *
option_name(int opt)
{
	switch (opt) {
	case 'd':			return "--delimiter";
	case KPI_OPT_PRECISION:		return "--precision";
	case KPI_OPT_WEEK_START:	return "--week-start";
	case KPI_OPT_FISCAL_START:	return "--fiscal-start";
	case KPI_OPT_NA:		return "--na";
	}
	return NULL;
}

enum kpi_status
kpi_cli_common_set(struct kpi_cli_common *c, int opt, const char *arg,
		   struct kpi_error *err)
{
	enum kpi_status st = set_option(c, opt, arg, err);
	const char *name = option_name(opt);

	if (st != KPI_OK && st != KPI_ESTOP && err && name) {
		char msg[KPI_ERROR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		kpi_error_set(err, st, 0, "%s: %s", name, msg);
	}
	return st;
}

static enum kpi_status
set_option(struct kpi_cli_common *c, int opt, const char *arg,
	   struct kpi_error *err)
{
	long v;
	enum kpi_status st;

	switch (opt) {
	case 'd':
		return parse_delimiter(arg, &c->delimiter, err);
	case 'o':
		c->output = arg;
		return KPI_OK;
	case KPI_OPT_AS_OF:
		c->as_of_text = arg;
		return KPI_OK;
	case KPI_OPT_DATE_FORMAT:
		c->date_format_text = arg;
		return KPI_OK;
	case KPI_OPT_DECIMAL_COMMA:
		c->decimal_comma = 1;
		return KPI_OK;
	case KPI_OPT_PRECISION:
		st = kpi_cli_parse_int(arg, 0, 17, &v, err);
		if (st == KPI_OK)
			c->precision = (int)v;
		return st;
	case KPI_OPT_SKIP_BAD:
		c->skip_bad = 1;
		return KPI_OK;
	case KPI_OPT_REJECTS:
		c->rejects = arg;
		c->skip_bad = 1;
		return KPI_OK;
	case KPI_OPT_WEEK_START:
		return kpi_weekday_parse(arg, &c->cal.week_start, err);
	case KPI_OPT_FISCAL_START:
		st = kpi_cli_parse_int(arg, 1, 12, &v, err);
		if (st == KPI_OK)
			c->cal.fiscal_start = (int)v;
		return st;
	case KPI_OPT_PERIOD_LABEL:
		c->period_label = 1;
		return KPI_OK;
	case KPI_OPT_NA:
		return parse_na(c, arg, err);
	}
	return KPI_ESTOP;
}

int
kpi_cli_is_missing(const struct kpi_cli_common *c, const char *field)
{
	size_t i;

	if (field[0] == '\0')
		return 1;
	for (i = 0; i < c->nna; i++)
		if (strcmp(field, c->na[i]) == 0)
			return 1;
	return 0;
}

/* ==== Messages ==== */

void
kpi_cli_report(FILE *to, const char *prog, const char *file,
	       const struct kpi_error *err)
{
	fprintf(to, "%s: ", prog);
	if (file && err->line)
		fprintf(to, "%s:%lu: ", file, err->line);
	else if (file)
		fprintf(to, "%s: ", file);
	if (err->column[0])
		fprintf(to, "column %s: ", err->column);
	fprintf(to, "%s\n", err->msg[0] ? err->msg : kpi_strerror(err->status));
}

/* ==== Atomic output ==== */

enum kpi_status
kpi_output_open(struct kpi_output *o, const char *path, struct kpi_error *err)
{
	struct stat sb;
	char *resolved = NULL;	/* the file a symbolic link names */
	int fd;
	size_t len;

	memset(o, 0, sizeof(*o));
	if (!path || strcmp(path, "-") == 0) {
		o->fp = stdout;
		return KPI_OK;
	}
	/* Only a regular file is replaced.  A device, pipe or socket
	 * (-o /dev/null, a named pipe, /dev/stdout on a terminal) is written
	 * in place: a file renamed over it would replace the node itself,
	 * and as root /dev/null would become a regular file. */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		o->path = strdup(path);
		if (!o->path)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		o->fp = fopen(path, "w");
		if (!o->fp) {
			kpi_error_set(err, KPI_EIO, 0, "%s: %s", path,
				      strerror(errno));
			kpi_output_abort(o);
			return KPI_EIO;
		}
		return KPI_OK;
	}
	/* Through a symbolic link the file it names is replaced, not the
	 * link (report.csv -> /srv/reports/..., /dev/stdout -> a file). */
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		resolved = realpath(path, NULL);
	/* The temporary file lives beside the target so that rename() is
	 * atomic (same file system). */
	o->path = resolved ? resolved : strdup(path);
	len = o->path ? strlen(o->path) : 0;
	o->tmp = malloc(len + sizeof(".tmpXXXXXX"));
	if (!o->path || !o->tmp) {
		kpi_output_abort(o);
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	}
	memcpy(o->tmp, o->path, len);
	memcpy(o->tmp + len, ".tmpXXXXXX", sizeof(".tmpXXXXXX"));
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		kpi_error_set(err, KPI_EIO, 0, "%s: %s", path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		kpi_output_abort(o);
		return KPI_EIO;
	}
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		close(fd);
		kpi_output_abort(o);
		return kpi_error_set(err, KPI_EIO, 0, "%s: %s", path,
				     strerror(errno));
	}
	return KPI_OK;
}

enum kpi_status
kpi_output_commit(struct kpi_output *o, struct kpi_error *err)
{
	const char *name = o->path ? o->path : "standard output";
	/* A failed write earlier left its errno; fflush may fail anew. */
	int saved = errno, failed;

	if (!o->fp)
		return KPI_OK;
	if (fflush(o->fp) != 0)
		saved = errno;
	failed = ferror(o->fp);
	if (failed) {
		o->broken_pipe = saved == EPIPE;
		if (o->fp != stdout) {
			fclose(o->fp);
			o->fp = NULL;
		}
		/* The message first: abort frees the name. */
		kpi_error_set(err, KPI_EIO, 0, "write error on %s: %s", name,
			      saved ? strerror(saved) : "unknown");
		kpi_output_abort(o);
		return KPI_EIO;
	}
	if (o->fp == stdout) {
		/* Leave stdout open; the tool's final close catches the rest. */
		o->fp = NULL;
		return KPI_OK;
	}
	failed = fclose(o->fp) != 0;
	o->fp = NULL;
	if (failed || (o->tmp && rename(o->tmp, o->path) != 0)) {
		saved = errno;
		kpi_error_set(err, KPI_EIO, 0, "%s: %s", name, strerror(saved));
		kpi_output_abort(o);
		return KPI_EIO;
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return KPI_OK;
}

void
kpi_output_abort(struct kpi_output *o)
{
	if (o->fp && o->fp != stdout)
		fclose(o->fp);
	o->fp = NULL;
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}

/* ==== Reading the inputs ==== */

/* State threaded through kpi_csv_read for one input. */
struct read_state {
	struct kpi_cli_reader *r;
	const char *file;
};

static enum kpi_status
reject(struct kpi_cli_reader *r, const struct kpi_csv_record *rec,
       const struct kpi_error *why)
{
	struct kpi_csv_writer *w = &r->rejects;
	char line[32];

	r->rows_bad++;
	if (!r->rejects_out)
		return KPI_OK;
	kpi_csv_write_str(w, r->file);
	snprintf(line, sizeof(line), "%lu", rec->line);
	kpi_csv_write_str(w, line);
	kpi_csv_write_str(w, why->column);
	kpi_csv_write_str(w, why->msg);
	kpi_csv_write_field(w, rec->raw, rec->raw_len);
	kpi_csv_end_row(w);
	r->rejects_written++;
	return KPI_OK;
}

static enum kpi_status
on_bad_width(const struct kpi_csv_record *rec, void *ctx,
	     struct kpi_error *err)
{
	struct read_state *s = ctx;

	s->r->rows_read++;
	if (!s->r->common->skip_bad)
		return err->status;
	return reject(s->r, rec, err);
}

static enum kpi_status
on_header(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct read_state *s = ctx;
	struct kpi_cli_reader *r = s->r;
	struct kpi_csv_header *h = NULL;
	enum kpi_status st;

	st = kpi_csv_header_new(&h, rec, err);
	if (st != KPI_OK)
		return st;
	if (!r->header) {
		r->header = h;
		st = r->on_header ? r->on_header(h, r->ctx, err) : KPI_OK;
		if (st != KPI_OK && !err->line)
			err->line = rec->line;
		return st;
	}
	if (!kpi_csv_header_equal(r->header, h)) {
		kpi_csv_header_free(h);
		return kpi_error_set(err, KPI_EPARSE, rec->line,
				     "header differs from the first input's");
	}
	kpi_csv_header_free(h);
	return KPI_OK;
}

/* The rows of one block, through on_rows: each failing row is skipped as
 * bad or ends the read, as in on_record(). */
static enum kpi_status
on_batch(const struct kpi_csv_record *recs, size_t n, void *ctx,
	 struct kpi_error *err)
{
	struct read_state *s = ctx;
	struct kpi_cli_reader *r = s->r;
	const struct kpi_csv_record *bad;
	enum kpi_status st;
	size_t done;

	while (n > 0) {
		done = 0;
		st = r->on_rows(recs, n, &done, r->ctx, err);
		if (st == KPI_OK) {
			r->rows_read += n;
			return st;
		}
		r->rows_read += done + 1;
		if (st == KPI_ESTOP)
			return st;
		bad = &recs[done];
		if (!err->line)
			err->line = bad->line;
		if (!r->common->skip_bad || (st != KPI_EPARSE && st != KPI_EINVAL))
			return st;
		reject(r, bad, err);
		kpi_error_clear(err);
		recs = bad + 1;
		n -= done + 1;
	}
	return KPI_OK;
}

static enum kpi_status
on_record(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct read_state *s = ctx;
	struct kpi_cli_reader *r = s->r;
	enum kpi_status st;

	if (r->on_rows)
		return on_batch(rec, 1, ctx, err);
	r->rows_read++;
	st = r->on_row(rec, r->ctx, err);
	if (st == KPI_OK || st == KPI_ESTOP)
		return st;
	if (!err->line)
		err->line = rec->line;
	if (!r->common->skip_bad || (st != KPI_EPARSE && st != KPI_EINVAL))
		return st;
	return reject(r, rec, err);
}

static enum kpi_status
open_rejects(struct kpi_cli_reader *r, struct kpi_error *err)
{
	enum kpi_status st;

	r->rejects_out = calloc(1, sizeof(*r->rejects_out));
	if (!r->rejects_out)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	st = kpi_output_open(r->rejects_out, r->common->rejects, err);
	if (st != KPI_OK) {
		free(r->rejects_out);
		r->rejects_out = NULL;
		return st;
	}
	kpi_csv_writer_init(&r->rejects, r->rejects_out->fp);
	kpi_csv_write_str(&r->rejects, "file");
	kpi_csv_write_str(&r->rejects, "line");
	kpi_csv_write_str(&r->rejects, "column");
	kpi_csv_write_str(&r->rejects, "reason");
	kpi_csv_write_str(&r->rejects, "record");
	kpi_csv_end_row(&r->rejects);
	return KPI_OK;
}

static enum kpi_status
read_one(struct kpi_cli_reader *r, const char *name, struct kpi_error *err)
{
	struct kpi_csv_options opt = { r->common->delimiter, on_bad_width,
				       r->on_rows ? on_batch : NULL };
	struct read_state s = { r, NULL };
	int is_stdin = strcmp(name, "-") == 0;
	FILE *in;
	enum kpi_status st;

	r->file = is_stdin ? "<stdin>" : name;
	s.file = r->file;
	in = is_stdin ? stdin : fopen(name, "rb");
	if (!in)
		return kpi_error_set(err, KPI_EIO, 0, "%s", strerror(errno));
	st = kpi_csv_read(in, &opt, on_header, on_record, &s, err);
	if (!is_stdin)
		fclose(in);
	return st;
}

enum kpi_status
kpi_cli_read_inputs(struct kpi_cli_reader *r, char *const *names,
		    size_t nnames, struct kpi_error *err)
{
	static char dash_name[] = "-";
	char *const dash[] = { dash_name };
	enum kpi_status st = KPI_OK;
	size_t i;

	r->file = NULL;
	if (r->common->rejects) {
		st = open_rejects(r, err);
		if (st != KPI_OK)
			return st;
	}
	if (nnames == 0) {
		names = dash;
		nnames = 1;
	}
	for (i = 0; i < nnames && st == KPI_OK; i++)
		st = read_one(r, names[i], err);
	if (st == KPI_ESTOP)
		st = KPI_OK;
	return st;
}

enum kpi_status
kpi_cli_reader_finish(struct kpi_cli_reader *r, int success,
		      struct kpi_error *err)
{
	enum kpi_status st = KPI_OK;

	if (r->rejects_out) {
		if (success) {
			st = kpi_output_commit(r->rejects_out, err);
			if (st != KPI_OK)
				r->file = NULL;
		} else {
			kpi_output_abort(r->rejects_out);
		}
		free(r->rejects_out);
		r->rejects_out = NULL;
	}
	kpi_csv_header_free(r->header);
	r->header = NULL;
	return st;
}

/* ==== A tool's run ==== */

enum kpi_status
kpi_cli_split_list(char *list, const char ***items, size_t *n,
		   struct kpi_error *err)
{
	char *p = list, *comma;

	do {
		const char **grown;

		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p)
			return kpi_error_set(err, KPI_EINVAL, 0,
					     "empty name in a comma-separated list");
		grown = realloc(*items, (*n + 1) * sizeof(**items));
		if (!grown)
			return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
		*items = grown;
		(*items)[(*n)++] = p;
		p = comma + 1;
	} while (comma);
	return KPI_OK;
}

int
kpi_cli_usage_error(FILE *msg, const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(msg, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(msg, fmt, ap);
	va_end(ap);
	fprintf(msg, "\nTry '%s --help' for more information.\n", prog);
	return KPI_EXIT_USAGE;
}

int
kpi_cli_option_error(FILE *msg, const char *prog,
		     const struct option *longopts, int opt,
		     const struct kpi_error *err)
{
	const char *name = NULL;
	size_t i;

	/* Common options name themselves in the message. */
	if (!(opt >= KPI_OPT_AS_OF && opt < KPI_OPT_TOOL) && opt != 'd' &&
	    opt != 'o')
		for (i = 0; longopts[i].name; i++)
			if (longopts[i].val == opt)
				name = longopts[i].name;
	return name ? kpi_cli_usage_error(msg, prog, "--%s: %s", name, err->msg)
		    : kpi_cli_usage_error(msg, prog, "%s", err->msg);
}

int
kpi_cli_shared_option(FILE *msg, const char *prog, int opt, const char *arg,
		      struct kpi_cli_common *common,
		      const struct option *longopts, void (*usage)(FILE *to))
{
	struct kpi_error err;

	switch (opt) {
	case 'h':
		usage(stdout);
		/* --help > /dev/full must not claim success. */
		return fflush(stdout) == 0 && !ferror(stdout) ? KPI_EXIT_OK
							     : KPI_EXIT_DATA;
	case 'V':
		printf("%s %s\n", prog, KPI_VERSION);
		return KPI_EXIT_OK;
	case '?':	/* getopt_long has said what was wrong */
		fprintf(msg, "Try '%s --help' for more information.\n", prog);
		return KPI_EXIT_USAGE;
	}
	kpi_error_clear(&err);
	if (kpi_cli_common_set(common, opt, arg, &err) != KPI_OK)
		return kpi_cli_option_error(msg, prog, longopts, opt, &err);
	return KPI_CLI_GO_ON;
}

int
kpi_cli_run(FILE *msg, const char *prog, struct kpi_cli_reader *reader,
	    char *const *names, size_t nnames, kpi_cli_write_fn before_write,
	    kpi_cli_write_fn write, void *ctx)
{
	struct kpi_output out;
	struct kpi_csv_writer w;
	struct kpi_error err;
	enum kpi_status st;

	kpi_error_clear(&err);
	st = kpi_cli_read_inputs(reader, names, nnames, &err);
	if (st != KPI_OK) {
		kpi_cli_report(msg, prog, reader->file, &err);
		kpi_cli_reader_finish(reader, 0, &err);
		return KPI_EXIT_DATA;
	}
	if (kpi_cli_reader_finish(reader, 1, &err) != KPI_OK) {
		kpi_cli_report(msg, prog, NULL, &err);
		return KPI_EXIT_DATA;
	}
	if (reader->rows_bad)
		fprintf(msg, "%s: %lu of %lu rows skipped as bad%s%s\n", prog,
			reader->rows_bad, reader->rows_read,
			reader->common->rejects ? ", written to " : "",
			reader->common->rejects ? reader->common->rejects : "");
	reader->error_file = NULL;
	if (before_write && before_write(ctx, NULL, &err) != KPI_OK) {
		kpi_cli_report(msg, prog, reader->error_file, &err);
		return KPI_EXIT_DATA;
	}
	if (kpi_output_open(&out, reader->common->output, &err) != KPI_OK) {
		kpi_cli_report(msg, prog, NULL, &err);
		return KPI_EXIT_DATA;
	}
	kpi_csv_writer_init(&w, out.fp);
	st = write(ctx, &w, &err);
	/* A write error is reported by the commit, which knows its cause. */
	if (st == KPI_OK || st == KPI_EIO)
		st = kpi_output_commit(&out, &err);
	if (st == KPI_OK)
		return KPI_EXIT_OK;
	if (out.broken_pipe)
		return KPI_EXIT_OK;
	kpi_cli_report(msg, prog, NULL, &err);
	kpi_output_abort(&out);
	return KPI_EXIT_DATA;
}

int
kpi_cli_close_stdout(FILE *msg, const char *prog, int status)
{
	errno = 0;
	if (fclose(stdout) != 0 && status == KPI_EXIT_OK && errno != EPIPE) {
		fprintf(msg, "%s: write error on standard output: %s\n", prog,
			strerror(errno));
		return KPI_EXIT_DATA;
	}
	return status;
}

enum kpi_status
kpi_cli_parse_date(const struct kpi_cli_common *c,
		   const struct kpi_date_format *fmt, const char *text,
		   long *day, struct kpi_error *err)
{
	if (fmt && kpi_date_parse(text, fmt, &c->cal, day, NULL) == KPI_OK)
		return KPI_OK;
	return kpi_date_parse(text, NULL, &c->cal, day, err);
}
