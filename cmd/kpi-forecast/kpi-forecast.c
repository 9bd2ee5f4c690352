/* kpi-forecast.c - forecast one or many series with prediction intervals,
 * report the fitted models, or backtest their accuracy.  Options in,
 * libkpi's series, forecasting and accuracy, CSV out; keys are fitted on
 * -j threads and written in input order. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kpi/cli.h"
#include "kpi/forecast.h"
#include "kpi/num.h"
#include "kpi/series.h"

static const char prog[] = "kpi-forecast";

#define usage_error(...) kpi_cli_usage_error(stderr, prog, __VA_ARGS__)

enum {
	OPT_SEASON = KPI_OPT_TOOL,
	OPT_FILL,
	OPT_LEVEL,
	OPT_ETS,
	OPT_HISTORY,
	OPT_BACKTEST,
	OPT_ORIGINS,
	OPT_SEED,
	OPT_SEASONAL_ADJUST,
	OPT_GROUPED,
	OPT_PROGRESS,
};

static const struct option longopts[] = {
	{ "time", required_argument, NULL, 't' },
	{ "value", required_argument, NULL, 'v' },
	{ "key", required_argument, NULL, 'k' },
	{ "every", required_argument, NULL, 'e' },
	{ "season", required_argument, NULL, OPT_SEASON },
	{ "fill", required_argument, NULL, OPT_FILL },
	{ "horizon", required_argument, NULL, 'H' },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "method", required_argument, NULL, 'm' },
	{ "ets", required_argument, NULL, OPT_ETS },
	{ "history", no_argument, NULL, OPT_HISTORY },
	{ "report", required_argument, NULL, 'r' },
	{ "backtest", no_argument, NULL, OPT_BACKTEST },
	{ "origins", required_argument, NULL, OPT_ORIGINS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "seasonal-adjust", no_argument, NULL, OPT_SEASONAL_ADJUST },
	{ "jobs", required_argument, NULL, 'j' },
	{ "grouped", no_argument, NULL, OPT_GROUPED },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	KPI_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: %s -t COL -v COL [OPTION]... [FILE]...\n"
		"Forecast one series per key with prediction intervals, report the models,\n"
		"or backtest their accuracy.\n"
		"With no FILE, or when FILE is -, read standard input.\n"
		"\n"
		"Series:\n"
		"  -t, --time COL          the period: a date, a period label or an integer index\n"
		"  -v, --value COL         the value to forecast\n"
		"  -k, --key COLS          one series per value of these comma-separated columns\n"
		"  -e, --every UNIT        day, week, month, quarter or year (default: inferred)\n"
		"      --season N          seasonal period (default: 7, 52, 12, 4, 1 by unit; 1\n"
		"                          for an index)\n"
		"      --fill HOW          fill missing periods and values: zero or interpolate\n"
		"      --grouped           each key's rows come together: fit each series as\n"
		"                          soon as it ends (memory grows with the longest series)\n"
		"Forecasts:\n"
		"  -H, --horizon N         periods ahead (default 2 x season, or 10)\n"
		"      --level LIST        interval levels in percent (default 80,95)\n"
		"  -m, --method NAME       auto (default), naive, snaive, drift, mean, ses, holt,\n"
		"                          damped, hw, hwm, ets, theta, arima, croston, sba, tsb,\n"
		"                          tslm, dotm, ces\n"
		"      --ets SPEC          ETS model, e.g. ZZZ (select), MAdM, ANN; implies -m ets\n"
		"      --seasonal-adjust   fit the method to the seasonally adjusted series\n"
		"      --seed N            seed of simulated intervals (default 42)\n"
		"Output:\n"
		"      --history           also write the actual and fitted values\n"
		"  -r, --report WHAT       forecast (default) or models\n"
		"      --backtest          hold out the last horizon and write accuracy per key\n"
		"      --origins K         backtest from K rolling origins (default 1)\n"
		"  -j, --jobs N            fit on N threads (default 1); same output\n"
		"      --progress          report progress on standard error\n"
		"%s"
		"\n"
		"Example: %s -k region -t period -v amount_sum -H 6 monthly.csv\n"
		"Full documentation: man kpi-forecast; the CSV contract: man 7 kpi\n",
		prog, kpi_cli_common_help, prog);
}

enum report { REPORT_FORECAST, REPORT_MODELS, REPORT_BACKTEST };

/* ==== One series' work ==== */

struct job {
	struct job *next;
	/* input: a copy of the series */
	struct kpi_series s;
	char **key;
	size_t *key_len;
	long *t;
	double *y;
	unsigned char *filled;
	/* output */
	int done;
	enum kpi_status st;
	struct kpi_error err;
	struct kpi_fc_result r;
	struct kpi_accuracy acc;
};

struct tool {
	struct kpi_cli_common common;
	struct kpi_series_options sopt;
	struct kpi_fc_spec spec;
	enum report report;
	int horizon;			/* 0: by season */
	int origins;
	int history;
	int jobs;
	int progress;
	char level_names[KPI_FC_MAX_LEVELS][24];
	struct kpi_series_set *set;
	/* output */
	struct kpi_output out;
	struct kpi_csv_writer w;
	int header_written;
	struct kpi_accuracy overall;
	unsigned long series_done, series_skipped;
	/* a series-level failure, reported after the read at its input */
	int failed;
	struct kpi_error fail;
	const char *fail_input;
	const struct kpi_cli_reader *reader;
	/* threads */
	pthread_t *threads;
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	struct job *head, *tail, *todo;
	size_t inflight, max_inflight;
	int closing;
	/* progress */
	int progress_tty;
	double start, last_progress;
};

static void
job_free(struct job *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; j->key && i < j->s.nkey; i++)
		free(j->key[i]);
	free(j->key);
	free(j->key_len);
	free(j->t);
	free(j->y);
	free(j->filled);
	kpi_fc_result_free(&j->r);
	free(j);
}

static struct job *
job_new(const struct kpi_series *s)
{
	struct job *j = calloc(1, sizeof(*j));
	size_t i, n = s->n;

	if (!j)
		return NULL;
	j->s = *s;
	j->key = calloc(s->nkey ? s->nkey : 1, sizeof(*j->key));
	j->key_len = calloc(s->nkey ? s->nkey : 1, sizeof(*j->key_len));
	j->t = malloc(n * sizeof(*j->t));
	j->y = malloc(n * sizeof(*j->y));
	j->filled = malloc(n);
	if (!j->key || !j->key_len || !j->t || !j->y || !j->filled) {
		j->s.nkey = 0;
		job_free(j);
		return NULL;
	}
	for (i = 0; i < s->nkey; i++) {
		j->key[i] = malloc(s->key_len[i] + 1);
		if (!j->key[i]) {
			job_free(j);
			return NULL;
		}
		memcpy(j->key[i], s->key[i], s->key_len[i] + 1);
		j->key_len[i] = s->key_len[i];
	}
	memcpy(j->t, s->t, n * sizeof(*j->t));
	memcpy(j->y, s->y, n * sizeof(*j->y));
	memcpy(j->filled, s->filled, n);
	j->s.key = (const char *const *)j->key;
	j->s.key_len = j->key_len;
	j->s.t = j->t;
	j->s.y = j->y;
	j->s.filled = j->filled;
	return j;
}

static int
horizon_of(const struct tool *tl, const struct kpi_series *s)
{
	if (tl->horizon > 0)
		return tl->horizon;
	return s->m > 1 ? 2 * s->m : 10;
}

/* Fit and forecast (or backtest) one series; runs on any thread. */
static void
job_run(const struct tool *tl, struct job *j)
{
	struct kpi_fc_spec spec = tl->spec;

	spec.m = j->s.m;
	spec.horizon = horizon_of(tl, &j->s);
	kpi_error_clear(&j->err);
	if (tl->report == REPORT_BACKTEST) {
		kpi_accuracy_init(&j->acc, spec.levels, spec.nlevels);
		j->st = kpi_backtest(j->s.y, j->s.n, &spec, tl->origins,
				     &j->acc, &j->err);
		if (j->st == KPI_OK)
			kpi_accuracy_series(&j->acc);
	} else {
		j->st = kpi_forecast(j->s.y, j->s.n, &spec, &j->r, &j->err);
	}
}

/* ==== Writing ==== */

static void
write_key(struct tool *tl, const struct kpi_series *s)
{
	size_t i;

	for (i = 0; i < s->nkey; i++)
		kpi_csv_write_field(&tl->w, s->key[i], s->key_len[i]);
}

static void
write_header(struct tool *tl)
{
	size_t i, nkey = tl->sopt.nkey;
	char name[48];

	if (tl->header_written)
		return;
	tl->header_written = 1;
	for (i = 0; i < nkey; i++)
		kpi_csv_write_str(&tl->w, kpi_series_set_key_name(tl->set, i));
	switch (tl->report) {
	case REPORT_FORECAST:
		kpi_csv_write_str(&tl->w, "period");
		kpi_csv_write_str(&tl->w, "kind");
		kpi_csv_write_str(&tl->w, "value");
		for (i = 0; i < tl->spec.nlevels; i++) {
			snprintf(name, sizeof(name), "lo%s", tl->level_names[i]);
			kpi_csv_write_str(&tl->w, name);
			snprintf(name, sizeof(name), "hi%s", tl->level_names[i]);
			kpi_csv_write_str(&tl->w, name);
		}
		break;
	case REPORT_MODELS:
		kpi_csv_write_str(&tl->w, "model");
		kpi_csv_write_str(&tl->w, "n");
		kpi_csv_write_str(&tl->w, "m");
		kpi_csv_write_str(&tl->w, "aicc");
		kpi_csv_write_str(&tl->w, "sigma");
		kpi_csv_write_str(&tl->w, "parameters");
		break;
	case REPORT_BACKTEST:
		kpi_csv_write_str(&tl->w, "nseries");
		kpi_csv_write_str(&tl->w, "npoints");
		kpi_csv_write_str(&tl->w, "mae");
		kpi_csv_write_str(&tl->w, "rmse");
		kpi_csv_write_str(&tl->w, "mape");
		kpi_csv_write_str(&tl->w, "zeros");
		kpi_csv_write_str(&tl->w, "smape");
		kpi_csv_write_str(&tl->w, "wape");
		kpi_csv_write_str(&tl->w, "bias");
		kpi_csv_write_str(&tl->w, "mase");
		for (i = 0; i < tl->spec.nlevels; i++) {
			snprintf(name, sizeof(name), "coverage%s",
				 tl->level_names[i]);
			kpi_csv_write_str(&tl->w, name);
		}
		for (i = 0; i < tl->spec.nlevels; i++) {
			snprintf(name, sizeof(name), "msis%s",
				 tl->level_names[i]);
			kpi_csv_write_str(&tl->w, name);
		}
		break;
	}
	kpi_csv_end_row(&tl->w);
}

static void
write_period_row(struct tool *tl, const struct kpi_series *s, long t,
		 const char *kind, double value)
{
	char buf[KPI_DATE_BUFSZ];
	size_t len;

	write_key(tl, s);
	len = kpi_series_period_format(s, t, tl->common.period_label,
				       &tl->common.cal, buf);
	kpi_csv_write_field(&tl->w, buf, len);
	kpi_csv_write_str(&tl->w, kind);
	kpi_csv_write_double(&tl->w, value, tl->common.precision);
}

static void
write_forecast(struct tool *tl, const struct job *j)
{
	const struct kpi_series *s = &j->s;
	const struct kpi_fc_result *r = &j->r;
	size_t i, l, h = (size_t)r->h;
	int prec = tl->common.precision;

	for (i = 0; tl->history && i < s->n; i++) {
		write_period_row(tl, s, s->t[i], "actual", s->y[i]);
		for (l = 0; l < r->nlevels; l++) {
			kpi_csv_write_empty(&tl->w);
			kpi_csv_write_empty(&tl->w);
		}
		kpi_csv_end_row(&tl->w);
		write_period_row(tl, s, s->t[i], "fitted", r->fitted[i]);
		for (l = 0; l < r->nlevels; l++) {
			kpi_csv_write_empty(&tl->w);
			kpi_csv_write_empty(&tl->w);
		}
		kpi_csv_end_row(&tl->w);
	}
	for (i = 0; i < h; i++) {
		write_period_row(tl, s,
				 kpi_series_period_add(s, s->t[s->n - 1],
						       (long)i + 1),
				 "forecast", r->mean[i]);
		for (l = 0; l < r->nlevels; l++) {
			kpi_csv_write_double(&tl->w, r->lo[l * h + i], prec);
			kpi_csv_write_double(&tl->w, r->hi[l * h + i], prec);
		}
		kpi_csv_end_row(&tl->w);
	}
}

static void
write_model(struct tool *tl, const struct job *j)
{
	const struct kpi_fc_result *r = &j->r;
	char params[KPI_FC_MAX_PARAMS * 48], num[KPI_NUM_BUFSZ];
	size_t i, len = 0;

	write_key(tl, &j->s);
	kpi_csv_write_str(&tl->w, r->model);
	kpi_csv_write_long(&tl->w, (long long)r->n);
	kpi_csv_write_long(&tl->w, j->s.m);
	kpi_csv_write_double(&tl->w, r->aicc, tl->common.precision);
	kpi_csv_write_double(&tl->w, sqrt(r->sigma2), tl->common.precision);
	params[0] = '\0';
	for (i = 0; i < r->nparam && len < sizeof(params); i++) {
		kpi_num_format(r->param[i], tl->common.precision, num);
		len += (size_t)snprintf(params + len, sizeof(params) - len,
					"%s%s=%s", i ? " " : "",
					r->param_name[i], num[0] ? num : "NA");
	}
	kpi_csv_write_str(&tl->w, params);
	kpi_csv_end_row(&tl->w);
}

static void
write_accuracy(struct tool *tl, const struct kpi_accuracy *acc)
{
	struct kpi_accuracy_summary s;
	int prec = tl->common.precision;
	size_t l;

	kpi_accuracy_summarize(acc, &s);
	kpi_csv_write_long(&tl->w, (long long)s.nseries);
	kpi_csv_write_long(&tl->w, (long long)s.n);
	kpi_csv_write_double(&tl->w, s.mae, prec);
	kpi_csv_write_double(&tl->w, s.rmse, prec);
	kpi_csv_write_double(&tl->w, s.mape, prec);
	kpi_csv_write_long(&tl->w, (long long)s.zeros);
	kpi_csv_write_double(&tl->w, s.smape, prec);
	kpi_csv_write_double(&tl->w, s.wape, prec);
	kpi_csv_write_double(&tl->w, s.bias, prec);
	kpi_csv_write_double(&tl->w, s.mase, prec);
	for (l = 0; l < s.nlevels; l++)
		kpi_csv_write_double(&tl->w, s.coverage[l], prec);
	for (l = 0; l < s.nlevels; l++)
		kpi_csv_write_double(&tl->w, s.msis[l], prec);
	kpi_csv_end_row(&tl->w);
}

/* `region "east", segment "SMB"`, or "the series" without keys. */
static void
describe(const struct tool *tl, const struct kpi_series *s, char *buf,
	 size_t size)
{
	size_t i, len = 0;

	if (s->nkey == 0) {
		snprintf(buf, size, "the series");
		return;
	}
	for (i = 0; i < s->nkey && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s \"%s\"",
					i ? ", " : "",
					kpi_series_set_key_name(tl->set, i),
					s->key[i]);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Progress on standard error: on a terminal after two seconds, or always
 * with --progress; a line rewritten in place on a terminal, a line every
 * few seconds elsewhere. */
static void
show_progress(struct tool *tl, int last)
{
	double t;

	if (!tl->progress && !tl->progress_tty)
		return;
	t = now();
	if (!last && (t - tl->start < (tl->progress ? 0 : 2) ||
		      t - tl->last_progress < (tl->progress_tty ? 0.25 : 5)))
		return;
	if (last && tl->last_progress == 0)
		return;
	tl->last_progress = t;
	fprintf(stderr, "%s%s: %lu series, %.1f s%s", tl->progress_tty ? "\r" : "",
		prog, tl->series_done, t - tl->start,
		tl->progress_tty && !last ? "" : "\n");
	fflush(stderr);
}

/* Write a finished job (in input order).  A failed series stops the run,
 * or is skipped with a message under --skip-bad. */
static enum kpi_status
job_write(struct tool *tl, struct job *j, struct kpi_error *err)
{
	char who[200];

	if (j->st != KPI_OK) {
		describe(tl, &j->s, who, sizeof(who));
		if (tl->common.skip_bad && j->st != KPI_ENOMEM) {
			fprintf(stderr, "%s: skipped %s: %s\n", prog, who,
				j->err.msg);
			tl->series_skipped++;
			return KPI_OK;
		}
		kpi_error_set(err, j->st, 0, "%s: %s", who, j->err.msg);
		return j->st;
	}
	write_header(tl);
	switch (tl->report) {
	case REPORT_FORECAST:
		write_forecast(tl, j);
		break;
	case REPORT_MODELS:
		write_model(tl, j);
		break;
	case REPORT_BACKTEST:
		write_key(tl, &j->s);
		write_accuracy(tl, &j->acc);
		kpi_accuracy_merge(&tl->overall, &j->acc);
		break;
	}
	tl->series_done++;
	show_progress(tl, 0);
	return kpi_csv_writer_status(&tl->w);
}

/* ==== Threads: fit in parallel, write in order ==== */

static void *
worker(void *arg)
{
	struct tool *tl = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&tl->mu);
		while (!tl->todo && !tl->closing)
			pthread_cond_wait(&tl->work_cv, &tl->mu);
		if (tl->closing) {
			pthread_mutex_unlock(&tl->mu);
			return NULL;
		}
		j = tl->todo;
		tl->todo = j->next;
		pthread_mutex_unlock(&tl->mu);
		job_run(tl, j);
		pthread_mutex_lock(&tl->mu);
		j->done = 1;
		pthread_cond_broadcast(&tl->done_cv);
		pthread_mutex_unlock(&tl->mu);
	}
}

static enum kpi_status
pool_start(struct tool *tl, struct kpi_error *err)
{
	int i;

	tl->max_inflight = (size_t)tl->jobs * 8;
	if (tl->jobs <= 1)
		return KPI_OK;
	tl->threads = calloc((size_t)tl->jobs, sizeof(*tl->threads));
	if (!tl->threads)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	pthread_mutex_init(&tl->mu, NULL);
	pthread_cond_init(&tl->work_cv, NULL);
	pthread_cond_init(&tl->done_cv, NULL);
	for (i = 0; i < tl->jobs; i++) {
		if (pthread_create(&tl->threads[i], NULL, worker, tl) != 0)
			return kpi_error_set(err, KPI_ENOMEM, 0,
					     "cannot start a thread: %s",
					     strerror(errno));
		tl->nthreads++;
	}
	return KPI_OK;
}

/* Write the oldest job once it is done. */
static enum kpi_status
pool_write_head(struct tool *tl, struct kpi_error *err)
{
	struct job *j;
	enum kpi_status st;

	pthread_mutex_lock(&tl->mu);
	while (!tl->head->done)
		pthread_cond_wait(&tl->done_cv, &tl->mu);
	j = tl->head;
	tl->head = j->next;
	if (!tl->head)
		tl->tail = NULL;
	tl->inflight--;
	pthread_mutex_unlock(&tl->mu);
	st = job_write(tl, j, err);
	job_free(j);
	return st;
}

/* Stop the threads and free the jobs not written. */
static void
pool_stop(struct tool *tl)
{
	struct job *j;
	int i;

	if (tl->threads) {
		pthread_mutex_lock(&tl->mu);
		tl->closing = 1;
		pthread_cond_broadcast(&tl->work_cv);
		pthread_mutex_unlock(&tl->mu);
		for (i = 0; i < tl->nthreads; i++)
			pthread_join(tl->threads[i], NULL);
		pthread_mutex_destroy(&tl->mu);
		pthread_cond_destroy(&tl->work_cv);
		pthread_cond_destroy(&tl->done_cv);
		free(tl->threads);
		tl->threads = NULL;
	}
	while (tl->head) {
		j = tl->head;
		tl->head = j->next;
		job_free(j);
	}
	tl->tail = tl->todo = NULL;
}

static enum kpi_status
pool_drain(struct tool *tl, struct kpi_error *err)
{
	enum kpi_status st = KPI_OK;

	while (tl->head && st == KPI_OK)
		st = pool_write_head(tl, err);
	return st;
}

/* A series is complete: fit it here (-j 1) or queue it for the threads. */
static enum kpi_status
submit(struct tool *tl, const struct kpi_series *s, struct kpi_error *err)
{
	struct job *j = job_new(s);
	enum kpi_status st = KPI_OK;

	if (!j)
		return kpi_error_set(err, KPI_ENOMEM, 0, "out of memory");
	if (!tl->threads) {
		job_run(tl, j);
		st = job_write(tl, j, err);
		job_free(j);
		return st;
	}
	pthread_mutex_lock(&tl->mu);
	if (tl->tail)
		tl->tail->next = j;
	else
		tl->head = j;
	tl->tail = j;
	if (!tl->todo)
		tl->todo = j;
	tl->inflight++;
	pthread_cond_signal(&tl->work_cv);
	pthread_mutex_unlock(&tl->mu);
	while (st == KPI_OK && tl->inflight >= tl->max_inflight)
		st = pool_write_head(tl, err);
	return st;
}

/* ==== Callbacks ==== */

/* Series-level failures are kept and reported after the read (they belong
 * to no input line); KPI_ESTOP ends the read quietly. */
static enum kpi_status
stop_with(struct tool *tl, enum kpi_status st, const struct kpi_error *err)
{
	if (st == KPI_OK)
		return KPI_OK;
	if (!tl->failed) {
		tl->failed = 1;
		tl->fail = *err;
		tl->fail.status = st;
	}
	return KPI_ESTOP;
}

static enum kpi_status
on_series(const struct kpi_series *s, void *ctx, struct kpi_error *err)
{
	struct tool *tl = ctx;

	return stop_with(tl, submit(tl, s, err), err);
}

static enum kpi_status
on_bad_series(void *ctx, struct kpi_error *err)
{
	struct tool *tl = ctx;

	const char *input = kpi_series_set_error_input(tl->set);
	char what[64];

	if (tl->common.skip_bad) {
		snprintf(what, sizeof(what), "%s: skipped", prog);
		kpi_cli_report(stderr, what, input, err);
		tl->series_skipped++;
		return KPI_OK;
	}
	if (!tl->failed)
		tl->fail_input = input;
	return stop_with(tl, err->status ? err->status : KPI_EPARSE, err);
}

static enum kpi_status
on_header(const struct kpi_csv_header *h, void *ctx, struct kpi_error *err)
{
	struct tool *tl = ctx;

	return kpi_series_set_header(tl->set, h, err);
}

static enum kpi_status
on_row(const struct kpi_csv_record *rec, void *ctx, struct kpi_error *err)
{
	struct tool *tl = ctx;
	enum kpi_status st;

	/* Rows remember their input, so that a duplicate or a gap found
	 * later is reported at its file and line. */
	st = kpi_series_set_input(tl->set, tl->reader->file, err);
	if (st != KPI_OK)
		return st;
	return kpi_series_set_add(tl->set, rec, err);
}

/* ==== The run ==== */

/* Like kpi_cli_run(), but the output is open while reading, so that with
 * --grouped each series is written as soon as it is fitted. */
static int
run(struct tool *tl, char *const *names, size_t nnames)
{
	struct kpi_cli_reader reader = { 0 };
	struct kpi_error err;
	enum kpi_status st;
	int status = KPI_EXIT_DATA;

	kpi_error_clear(&err);
	tl->start = now();
	if (kpi_output_open(&tl->out, tl->common.output, &err) != KPI_OK) {
		kpi_cli_report(stderr, prog, NULL, &err);
		return KPI_EXIT_DATA;
	}
	kpi_csv_writer_init(&tl->w, tl->out.fp);
	if (pool_start(tl, &err) != KPI_OK) {
		kpi_cli_report(stderr, prog, NULL, &err);
		goto fail;
	}
	reader.common = &tl->common;
	reader.on_header = on_header;
	reader.on_row = on_row;
	reader.ctx = tl;
	tl->reader = &reader;
	st = kpi_cli_read_inputs(&reader, names, nnames, &err);
	if (st != KPI_OK) {
		kpi_cli_report(stderr, prog, reader.file, &err);
		kpi_cli_reader_finish(&reader, 0, &err);
		goto fail;
	}
	if (kpi_cli_reader_finish(&reader, 1, &err) != KPI_OK) {
		kpi_cli_report(stderr, prog, NULL, &err);
		goto fail;
	}
	if (reader.rows_bad)
		fprintf(stderr, "%s: %lu of %lu rows skipped as bad%s%s\n", prog,
			reader.rows_bad, reader.rows_read,
			tl->common.rejects ? ", written to " : "",
			tl->common.rejects ? tl->common.rejects : "");
	if (!tl->failed) {
		st = kpi_series_set_finish(tl->set, &err);
		if (st != KPI_OK && st != KPI_ESTOP) {
			kpi_cli_report(stderr, prog, NULL, &err);
			goto fail;
		}
	}
	if (!tl->failed && tl->threads)
		stop_with(tl, pool_drain(tl, &err), &err);
	if (tl->failed) {
		/* A write error is reported by the commit, which knows its
		 * cause (and keeps a closed pipe quiet). */
		if (tl->fail.status != KPI_EIO) {
			kpi_cli_report(stderr, prog, tl->fail_input,
				       &tl->fail);
			goto fail;
		}
	} else {
		write_header(tl);
		if (tl->report == REPORT_BACKTEST && tl->sopt.nkey > 0 &&
		    tl->series_done > 0) {
			size_t i;

			for (i = 0; i < tl->sopt.nkey; i++)
				kpi_csv_write_empty(&tl->w);
			write_accuracy(tl, &tl->overall);
		}
	}
	show_progress(tl, 1);
	if (kpi_series_set_skipped(tl->set))
		fprintf(stderr, "%s: %lu row%s without a period ignored\n",
			prog, kpi_series_set_skipped(tl->set),
			kpi_series_set_skipped(tl->set) == 1 ? "" : "s");
	if (tl->series_skipped)
		fprintf(stderr, "%s: %lu of %lu series skipped\n", prog,
			tl->series_skipped,
			tl->series_skipped + tl->series_done);
	pool_stop(tl);
	st = kpi_output_commit(&tl->out, &err);
	if (st == KPI_OK || tl->out.broken_pipe)
		return KPI_EXIT_OK;
	kpi_cli_report(stderr, prog, NULL, &err);
	kpi_output_abort(&tl->out);
	return KPI_EXIT_DATA;
fail:
	pool_stop(tl);
	kpi_output_abort(&tl->out);
	return status;
}

/* ==== Options ==== */

/* "80,95" (percent) or "0.8,0.95" (fractions, as R accepts). */
static int
parse_levels(struct tool *tl, const char *text)
{
	char *copy = strdup(text), *p, *comma;
	double v[KPI_FC_MAX_LEVELS];
	size_t n = 0, i;
	int fractions = 1, ok = 1;

	if (!copy)
		return 0;
	for (p = copy; ok; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (n == KPI_FC_MAX_LEVELS ||
		    kpi_num_parse(p, 0, &v[n], NULL) != KPI_OK ||
		    !(v[n] > 0 && v[n] < 100))
			ok = 0;
		else if (v[n++] >= 1)
			fractions = 0;
		if (!comma)
			break;
	}
	free(copy);
	if (!ok || n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		double pct = fractions ? v[i] * 100 : v[i];

		tl->spec.levels[i] = pct / 100;
		snprintf(tl->level_names[i], sizeof(tl->level_names[i]), "%.10g",
			 pct);
	}
	tl->spec.nlevels = n;
	return 1;
}

static int
parse_date_option(const char *name, const char *text,
		  const struct kpi_cli_common *common,
		  const struct kpi_date_format *fmt, long *day)
{
	struct kpi_error err;

	if (kpi_cli_parse_date(common, fmt, text, day, &err) == KPI_OK)
		return 0;
	fprintf(stderr, "%s: --%s: %s\n", prog, name, err.msg);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct tool tool;
	struct tool *tl = &tool;
	struct kpi_error err;
	struct kpi_date_format *fmt = NULL;
	const char **keys = NULL;
	const char *every_text = NULL, *fill_text = NULL, *method_text = NULL;
	const char *report_text = NULL;
	size_t nkeys = 0;
	int c, shared, status = KPI_EXIT_USAGE, backtest = 0, origins_given = 0;
	long v;

	kpi_init();
	/* A closed downstream pipe is reported by write errors (EPIPE), which
	 * end the run quietly, instead of killing the process. */
	signal(SIGPIPE, SIG_IGN);
	kpi_cli_common_init(&tl->common);
	kpi_error_clear(&err);
	kpi_fc_spec_init(&tl->spec);
	snprintf(tl->level_names[0], sizeof(tl->level_names[0]), "80");
	snprintf(tl->level_names[1], sizeof(tl->level_names[1]), "95");
	tl->origins = 1;
	tl->jobs = 1;

	while ((c = getopt_long(argc, argv, "t:v:k:e:H:m:r:j:" KPI_CLI_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			tl->sopt.time_col = optarg;
			break;
		case 'v':
			tl->sopt.value_col = optarg;
			break;
		case 'k':
			if (kpi_cli_split_list(optarg, &keys, &nkeys, &err)) {
				status = usage_error("-k: %s", err.msg);
				goto out;
			}
			break;
		case 'e':
			every_text = optarg;
			break;
		case OPT_SEASON:
			if (kpi_cli_parse_int(optarg, 1, 10000, &v, &err)) {
				status = usage_error("--season: %s", err.msg);
				goto out;
			}
			tl->sopt.season = (int)v;
			break;
		case OPT_FILL:
			fill_text = optarg;
			break;
		case 'H':
			if (kpi_cli_parse_int(optarg, 1, 100000, &v, &err)) {
				status = usage_error("--horizon: %s", err.msg);
				goto out;
			}
			tl->horizon = (int)v;
			break;
		case OPT_LEVEL:
			if (!parse_levels(tl, optarg)) {
				status = usage_error("--level: \"%s\" is not a list of up to %d percentages between 0 and 100",
						     optarg, KPI_FC_MAX_LEVELS);
				goto out;
			}
			break;
		case 'm':
			method_text = optarg;
			break;
		case OPT_ETS:
			if (kpi_fc_ets_spec_check(optarg, &err)) {
				status = usage_error("--ets: %s", err.msg);
				goto out;
			}
			tl->spec.ets_spec = optarg;
			break;
		case OPT_HISTORY:
			tl->history = 1;
			break;
		case 'r':
			report_text = optarg;
			break;
		case OPT_BACKTEST:
			backtest = 1;
			break;
		case OPT_ORIGINS:
			if (kpi_cli_parse_int(optarg, 1, 10000, &v, &err)) {
				status = usage_error("--origins: %s", err.msg);
				goto out;
			}
			tl->origins = (int)v;
			origins_given = 1;
			break;
		case OPT_SEASONAL_ADJUST:
			tl->spec.seasonal_adjust = 1;
			break;
		case OPT_SEED:
			if (kpi_cli_parse_int(optarg, 0, 2147483647L, &v, &err)) {
				status = usage_error("--seed: %s", err.msg);
				goto out;
			}
			tl->spec.seed = (unsigned long)v;
			break;
		case 'j':
			if (kpi_cli_parse_int(optarg, 1, 256, &v, &err)) {
				status = usage_error("--jobs: %s", err.msg);
				goto out;
			}
			tl->jobs = (int)v;
			break;
		case OPT_GROUPED:
			tl->sopt.grouped = 1;
			break;
		case OPT_PROGRESS:
			tl->progress = 1;
			break;
		default:
			shared = kpi_cli_shared_option(stderr, prog, c, optarg,
						       &tl->common, longopts,
						       usage);
			if (shared != KPI_CLI_GO_ON) {
				status = shared;
				goto out;
			}
			break;
		}
	}

	/* ==== Check the options ==== */
	if (!tl->sopt.time_col || !tl->sopt.value_col) {
		status = usage_error("%s", "-t COLUMN and -v COLUMN are required");
		goto out;
	}
	if (every_text) {
		if (kpi_period_unit_parse(every_text, &tl->sopt.every, &err)) {
			status = usage_error("--every: %s", err.msg);
			goto out;
		}
		tl->sopt.has_every = 1;
	}
	if (fill_text && kpi_series_fill_parse(fill_text, &tl->sopt.fill, &err)) {
		status = usage_error("--fill: %s", err.msg);
		goto out;
	}
	if (method_text &&
	    kpi_fc_method_parse(method_text, &tl->spec.method, &err)) {
		status = usage_error("-m: %s", err.msg);
		goto out;
	}
	if (tl->spec.ets_spec) {
		if (method_text && tl->spec.method != KPI_FC_ETS) {
			status = usage_error("--ets goes with -m ets, not -m %s",
					     method_text);
			goto out;
		}
		tl->spec.method = KPI_FC_ETS;
	}
	tl->report = REPORT_FORECAST;
	if (report_text) {
		if (strcmp(report_text, "models") == 0)
			tl->report = REPORT_MODELS;
		else if (strcmp(report_text, "forecast") != 0) {
			status = usage_error("--report: \"%s\" is not forecast or models",
					     report_text);
			goto out;
		}
	}
	if (backtest) {
		if (tl->report == REPORT_MODELS || tl->history) {
			status = usage_error("%s", "--backtest writes accuracy; it does not go with --report models or --history");
			goto out;
		}
		tl->report = REPORT_BACKTEST;
	} else if (origins_given) {
		status = usage_error("%s", "--origins goes with --backtest");
		goto out;
	}
	if (tl->history && tl->report == REPORT_MODELS) {
		status = usage_error("%s", "--history goes with the forecast report");
		goto out;
	}
	if (tl->common.date_format_text &&
	    kpi_date_format_new(&fmt, tl->common.date_format_text, &err)) {
		status = usage_error("--date-format: %s", err.msg);
		goto out;
	}
	if (tl->common.as_of_text) {
		if (parse_date_option("as-of", tl->common.as_of_text, &tl->common,
				      fmt, &tl->sopt.as_of))
			goto out;
		tl->sopt.has_as_of = 1;
	}
	tl->sopt.key_cols = keys;
	tl->sopt.nkey = nkeys;
	tl->sopt.common = &tl->common;
	tl->sopt.date_format = fmt;
	tl->sopt.on_series = on_series;
	tl->sopt.on_bad_series = on_bad_series;
	tl->sopt.ctx = tl;
	kpi_accuracy_init(&tl->overall, tl->spec.levels, tl->spec.nlevels);
	tl->progress_tty = isatty(STDERR_FILENO);

	/* ==== Run ==== */
	status = KPI_EXIT_DATA;
	if (kpi_series_set_new(&tl->set, &tl->sopt, &err) != KPI_OK) {
		kpi_cli_report(stderr, prog, NULL, &err);
		goto out;
	}
	status = run(tl, argv + optind, (size_t)(argc - optind));
out:
	kpi_series_set_free(tl->set);
	kpi_date_format_free(fmt);
	kpi_cli_common_free(&tl->common);
	free(keys);
	/* Late write errors on stdout (a full disk) must not look like
	 * success. */
	return kpi_cli_close_stdout(stderr, prog, status);
}
