/* gen-history.c - deterministic generator of a synthetic stage history (one
 * row per stage entry) with known stage probabilities, for kpi-conv's truth
 * test and speed benchmark */

/*
 * The model.  Every deal enters `lead` on a day drawn uniformly from
 * 2024-01-01..2026-06-30, then walks a Markov chain over the stages
 * lead, mql, sql, opportunity, won.  Each time it enters a stage s that is
 * not the win, it draws one move, with probabilities (in basis points)
 * that depend on s and on the deal's region:
 *
 *   forward  to s + 1 (lead->mql, ..., opportunity->won)
 *   skip     to s + 2, passing s + 1 by (lead->sql, mql->opportunity,
 *            sql->won)
 *   back     to s - 1 (a regression); the deal then draws again there
 *   lost     ends the deal: a row "disqualified" from lead or mql, a row
 *            "lost" from sql or opportunity
 *   open     ends the deal's moves: it stays open at s for ever, no row
 *
 * won is final.  Days between entries are 1 or more (so a deal never has
 * two rows on one day and its moves have one order): forward and skip
 * 1 + U[0, m) + U[0, m) with m = 10, 15, 20, 30 days by stage; back
 * 1 + U[0, 14); lost 1 + U[0, 45) + U[0, 45).
 *
 * Every journey ends by a move to won, lost or open, and no move depends
 * on a date.  kpi-conv's default --as-of is the latest date in the input,
 * so with it no row is ignored and nothing is censored: a deal that is
 * open has stopped moving and stays open, whatever the date.
 *
 * Rows are written interleaved by date (sorted by the day entered, in random
 * order within a day), as a CRM exports its stage history, or with
 * `-o random` in random order.  Never grouped by deal.
 *
 * -p FILE writes the truth: the model's parameters, the exact funnel
 * probabilities they imply (computed by propagating the chain's
 * distribution over (stage, set of stages entered) until less than 1e-18
 * of it is left), and what this run drew: the funnel counts under
 * kpi-conv's definitions, every stage-to-stage move, and the deals per
 * monthly cohort.  See write_truth() for the lines.
 *
 * The same -n, -s and -o give the same bytes on every platform: our own
 * splitmix64, integer probabilities and integer cents; the only floating
 * point is in the truth file.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-util.h"

#define DEFAULT_DEALS	1000000UL
#define DEFAULT_SEED	UINT64_C(20261127)
#define MAX_DEALS	50000000UL
#define OUTBUF_SIZE	(1U << 20)
#define MAX_DAYS	4096	/* days to the next stage kept exactly */

/* ==== The model ==== */

enum { LEAD, MQL, SQL, OPPORTUNITY, WON, LOST, DISQUALIFIED, NCODES };
#define NSTAGES		5	/* lead..won */
#define NOPEN		4	/* stages a deal draws a move in: lead..opportunity */

static const char *const code_names[NCODES] = {
	"lead", "mql", "sql", "opportunity", "won", "lost", "disqualified",
};

enum move { FORWARD, SKIP, BACK, LOSE, STAY, NMOVES };

static const char *const regions[] = {
	"NA East", "NA West", "EMEA", "APAC", "LATAM",
};
#define NREGIONS	(sizeof(regions) / sizeof(regions[0]))
/* Share of deals per region, per mille. */
static const unsigned region_share[NREGIONS] = { 250, 250, 250, 150, 100 };
/* The forward probability of every stage is scaled by this, per mille. */
static const unsigned region_forward[NREGIONS] = { 1000, 950, 900, 1050, 850 };

/* Per stage lead, mql, sql, opportunity; basis points.  Lost takes what
 * the others leave. */
static const unsigned base_forward[NOPEN] = { 7500, 6500, 6500, 5500 };
static const unsigned base_skip[NOPEN] = { 400, 500, 300, 0 };
static const unsigned base_back[NOPEN] = { 0, 1000, 1000, 1000 };
static const unsigned base_stay[NOPEN] = { 500, 400, 400, 500 };
/* Days to the next stage: 1 + U[0, m) + U[0, m). */
static const unsigned forward_days[NOPEN] = { 10, 15, 20, 30 };
#define BACK_DAYS	14
#define LOST_DAYS	45

/* prob[region][stage][move], basis points summing to 10000. */
static unsigned prob[NREGIONS][NOPEN][NMOVES];

static void
model_init(void)
{
	size_t r, s;

	for (r = 0; r < NREGIONS; r++)
		for (s = 0; s < NOPEN; s++) {
			unsigned *p = prob[r][s];

			/* Exact: base_forward values are multiples of 100 and
			 * region_forward values of 10. */
			p[FORWARD] = base_forward[s] * region_forward[r] / 1000;
			p[SKIP] = base_skip[s];
			p[BACK] = base_back[s];
			p[STAY] = base_stay[s];
			p[LOSE] = 10000 - p[FORWARD] - p[SKIP] - p[BACK] - p[STAY];
		}
}

/* ==== Random numbers ==== */

/* ==== Dates ==== */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", days_from_civil). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

/* The inverse: year, month and day of a day number. */
static void
civil_from_days(long z, long *year, unsigned *month, unsigned *day)
{
	long era, y;
	unsigned doe, yoe, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	*year = y + (m <= 2);
	*month = m;
	*day = d;
}

/* YYYY-MM-DD, 10 bytes and no NUL, for years 0..9999. */
static void
format_day(long z, char *out)
{
	long y;
	unsigned m, d;

	civil_from_days(z, &y, &m, &d);
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
}

/* ==== Output buffer ==== */

struct out {
	char *buf;
	size_t len;
	int failed;
};

static void
out_flush(struct out *o)
{
	if (o->len > 0 && fwrite(o->buf, 1, o->len, stdout) != o->len)
		o->failed = 1;
	o->len = 0;
}

static void
out_mem(struct out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void
out_char(struct out *o, char c)
{
	o->buf[o->len++] = c;
}

/* Decimal, at least `width` digits with leading zeros. */
static void
out_uint(struct out *o, uint64_t v, unsigned width)
{
	char tmp[24];
	unsigned n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		out_char(o, tmp[--n]);
}

/* ==== Drawing the deals ==== */

struct row {
	uint32_t deal;			/* 0-up */
	int32_t day;
	uint32_t code;
};

struct deal {
	uint32_t cents;			/* amount */
	uint8_t region;
};

/* What this run drew, under kpi-conv's definitions (see tally()). */
struct counts {
	/* [mode 0 pass, 1 strict][region, NREGIONS = all][stage] */
	unsigned long entered[2][NREGIONS + 1][NSTAGES];
	unsigned long converted[2][NREGIONS + 1][NSTAGES];
	unsigned long lost[2][NREGIONS + 1][NSTAGES];
	unsigned long open[2][NREGIONS + 1][NSTAGES];
	unsigned long skipped[2][NREGIONS + 1][NSTAGES];
	/* [region][from code][to code] */
	unsigned long moves[NREGIONS][NCODES][NCODES];
	/* [region, NREGIONS = all][stage][days]: days from reaching the stage
	 * to reaching the next (pass), the last bin holding MAX_DAYS or more. */
	unsigned long days[NREGIONS + 1][NOPEN][MAX_DAYS + 1];
	unsigned long *cohort;		/* deals per month since first_month */
};

struct gen {
	uint64_t rng;
	long first_day, last_start;	/* lead entries fall in this range */
	long first_month;		/* year * 12 + month - 1 of first_day */
	size_t nmonths;
	struct row *rows;
	size_t nrows, cap;
	struct deal *deals;
	struct counts c;
};

static int
add_row(struct gen *g, uint32_t deal, long day, unsigned code)
{
	if (g->nrows == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 1 << 16;
		struct row *r = realloc(g->rows, cap * sizeof(*r));

		if (!r)
			return -1;
		g->rows = r;
		g->cap = cap;
	}
	g->rows[g->nrows].deal = deal;
	g->rows[g->nrows].day = (int32_t)day;
	g->rows[g->nrows].code = code;
	g->nrows++;
	return 0;
}

static unsigned
draw_move(struct gen *g, unsigned region, unsigned stage)
{
	const unsigned *p = prob[region][stage];
	uint32_t u = below(&g->rng, 10000);
	unsigned m;

	for (m = 0; m + 1 < NMOVES && u >= p[m]; m++)
		u -= p[m];
	return m;
}

static long
draw_days(struct gen *g, unsigned m)
{
	return 1 + (long)below(&g->rng, m) + (long)below(&g->rng, m);
}

/* The funnel rows of one finished deal, as kpi-conv(1) defines them: a
 * deal reached stage j when it entered j or a later stage; with strict
 * skips only real entries count, and a deal that entered j, not j + 1,
 * but a later stage is skipped at j; a deal that reached j and no later
 * stage stopped there, lost or open.  Moves backward undo nothing. */
static void
tally(struct counts *c, unsigned region, unsigned mask, int lost,
      const long *first)
{
	int top = 0, j, mode;
	size_t r, k;
	long reach[NSTAGES];

	for (j = 0; j < NSTAGES; j++)
		if (mask & (1U << j))
			top = j;
	for (k = 0; k < 2; k++) {
		r = k ? NREGIONS : region;
		for (mode = 0; mode < 2; mode++)
			for (j = 0; j <= top; j++) {
				int here = mode == 0 || (mask & (1U << j));
				int next = j + 1 < NSTAGES &&
					   (mode == 0 ? top > j
						      : (mask & (1U << (j + 1))) != 0);

				if (!here)
					continue;
				c->entered[mode][r][j]++;
				if (j + 1 == NSTAGES)
					continue;
				if (next)
					c->converted[mode][r][j]++;
				else if (top > j)
					c->skipped[mode][r][j]++;
				else if (lost)
					c->lost[mode][r][j]++;
				else
					c->open[mode][r][j]++;
			}
	}

	/* Days to the next stage (pass): the day a stage was reached is its
	 * first entry or an earlier first entry of a later stage. */
	for (j = NSTAGES - 1; j >= 0; j--) {
		reach[j] = mask & (1U << j) ? first[j] : LONG_MAX;
		if (j + 1 < NSTAGES && reach[j + 1] < reach[j])
			reach[j] = reach[j + 1];
	}
	for (j = 0; j < top; j++) {
		long d = reach[j + 1] - reach[j];

		d = d < MAX_DAYS ? d : MAX_DAYS;
		c->days[region][j][d]++;
		c->days[NREGIONS][j][d]++;
	}
}

static int
draw_deal(struct gen *g, uint32_t id)
{
	unsigned region, stage, mask, u, to;
	long day, y;
	unsigned mo, d;
	int lost = 0, done = 0;
	long first[NSTAGES];

	u = below(&g->rng, 1000);
	for (region = 0; region + 1 < NREGIONS && u >= region_share[region];
	     region++)
		u -= region_share[region];
	day = g->first_day +
	      (long)below(&g->rng, (uint32_t)(g->last_start - g->first_day + 1));
	/* Amounts from $500 to about $250,000, skewed to the small ones. */
	g->deals[id].cents = 50000 + below(&g->rng, 500) * below(&g->rng, 50000);
	g->deals[id].region = (uint8_t)region;

	civil_from_days(day, &y, &mo, &d);
	g->c.cohort[(size_t)(y * 12 + mo - 1 - g->first_month)]++;

	stage = LEAD;
	mask = 1U << LEAD;
	first[LEAD] = day;
	if (add_row(g, id, day, LEAD) != 0)
		return -1;
	while (!done) {
		unsigned m = draw_move(g, region, stage);

		switch (m) {
		case FORWARD:
		case SKIP:
			to = stage + (m == FORWARD ? 1 : 2);
			day += draw_days(g, forward_days[stage]);
			break;
		case BACK:
			to = stage - 1;
			day += 1 + (long)below(&g->rng, BACK_DAYS);
			break;
		case LOSE:
			to = stage <= MQL ? DISQUALIFIED : LOST;
			day += draw_days(g, LOST_DAYS);
			lost = 1;
			break;
		default:
			to = NCODES;	/* stays open: no row */
			break;
		}
		if (to == NCODES)
			break;
		if (add_row(g, id, day, to) != 0)
			return -1;
		g->c.moves[region][stage][to]++;
		if (to < NSTAGES && !(mask & (1U << to))) {
			mask |= 1U << to;
			first[to] = day;
		}
		done = to == WON || to >= LOST;
		stage = to;
	}
	tally(&g->c, region, mask, lost, first);
	return 0;
}

/* ==== Row order ==== */

/* Fisher-Yates with our own generator, then (unless fully random) a stable
 * counting sort by day: rows by date, in random order within a day. */
static int
order_rows(struct gen *g, int by_date)
{
	size_t i, n = g->nrows, span;
	long lo = g->rows[0].day, hi = g->rows[0].day;
	size_t *start;
	struct row *sorted, t;

	for (i = n; i > 1; i--) {
		size_t j = (size_t)below(&g->rng, (uint32_t)i);

		t = g->rows[i - 1];
		g->rows[i - 1] = g->rows[j];
		g->rows[j] = t;
	}
	if (!by_date)
		return 0;
	for (i = 0; i < n; i++) {
		if (g->rows[i].day < lo)
			lo = g->rows[i].day;
		if (g->rows[i].day > hi)
			hi = g->rows[i].day;
	}
	span = (size_t)(hi - lo + 1);
	start = calloc(span + 1, sizeof(*start));
	sorted = malloc(n * sizeof(*sorted));
	if (!start || !sorted) {
		free(start);
		free(sorted);
		return -1;
	}
	for (i = 0; i < n; i++)
		start[g->rows[i].day - lo + 1]++;
	for (i = 1; i <= span; i++)
		start[i] += start[i - 1];
	for (i = 0; i < n; i++)
		sorted[start[g->rows[i].day - lo]++] = g->rows[i];
	free(start);
	free(g->rows);
	g->rows = sorted;
	g->cap = n;
	return 0;
}

/* ==== Writing ==== */

static int
write_rows(const struct gen *g)
{
	struct out o;
	char date[10];
	size_t i;

	o.buf = malloc(OUTBUF_SIZE);
	o.len = 0;
	o.failed = 0;
	if (!o.buf)
		return -1;
	out_str(&o, "deal_id,stage,entered,region,amount\n");
	for (i = 0; i < g->nrows && !o.failed; i++) {
		const struct row *r = &g->rows[i];
		const struct deal *d = &g->deals[r->deal];

		out_char(&o, 'D');
		out_uint(&o, (uint64_t)r->deal + 1, 7);
		out_char(&o, ',');
		out_str(&o, code_names[r->code]);
		out_char(&o, ',');
		format_day(r->day, date);
		out_mem(&o, date, sizeof(date));
		out_char(&o, ',');
		out_str(&o, regions[d->region]);
		out_char(&o, ',');
		out_uint(&o, d->cents / 100, 1);
		out_char(&o, '.');
		out_uint(&o, d->cents % 100, 2);
		out_char(&o, '\n');
		if (o.len > OUTBUF_SIZE - 256)
			out_flush(&o);
	}
	out_flush(&o);
	free(o.buf);
	return o.failed ? -1 : 0;
}

/* ==== The truth ==== */

/* Exact funnel probabilities of one region's chain.  A state is the stage
 * a deal is at and the set of stages it has entered (a bit mask); each
 * round moves all the probability mass of the open states one move on and
 * collects what ends (won, lost, stays open) by the final set entered.
 * Every move ends a deal with probability 0.16 or more, so 300 rounds
 * leave less than 1e-22; we stop below 1e-18.
 *
 * From final[mask] = P(a deal ends having entered exactly these stages):
 *   reach[j]  = P(entered j or a later stage)              (pass)
 *   enter[j]  = P(entered j)                               (strict)
 *   both[j]   = P(entered j and j + 1)                     (strict) */
struct truth {
	double reach[NSTAGES], enter[NSTAGES], both[NSTAGES];
};

static void
chain_truth(unsigned region, struct truth *t)
{
	static double mass[2][NOPEN][1 << NSTAGES];
	double final[1 << NSTAGES] = { 0 }, left = 1.0;
	unsigned cur = 0, s, mask, j, round;

	memset(mass, 0, sizeof(mass));
	mass[0][LEAD][1U << LEAD] = 1.0;
	for (round = 0; round < 100000 && left > 1e-18; round++) {
		unsigned nxt = cur ^ 1;

		memset(mass[nxt], 0, sizeof(mass[nxt]));
		left = 0.0;
		for (s = 0; s < NOPEN; s++)
			for (mask = 0; mask < (1U << NSTAGES); mask++) {
				double m = mass[cur][s][mask];
				const unsigned *p = prob[region][s];
				unsigned k;

				if (m == 0.0)
					continue;
				final[mask] += m * (p[LOSE] + p[STAY]) / 10000.0;
				for (k = 1; k <= 2; k++) {
					unsigned to = s + k;
					double q = m * p[k == 1 ? FORWARD : SKIP] / 10000.0;

					if (to > WON || q == 0.0)
						continue;
					if (to == WON)
						final[mask | 1U << WON] += q;
					else
						mass[nxt][to][mask | 1U << to] += q;
				}
				if (s > 0)
					mass[nxt][s - 1][mask | 1U << (s - 1)] +=
						m * p[BACK] / 10000.0;
			}
		for (s = 0; s < NOPEN; s++)
			for (mask = 0; mask < (1U << NSTAGES); mask++)
				left += mass[nxt][s][mask];
		cur = nxt;
	}
	memset(t, 0, sizeof(*t));
	for (mask = 1; mask < (1U << NSTAGES); mask++) {
		unsigned top = 0;

		for (j = 0; j < NSTAGES; j++)
			if (mask & (1U << j))
				top = j;
		for (j = 0; j < NSTAGES; j++) {
			if (j <= top)
				t->reach[j] += final[mask];
			if (mask & (1U << j))
				t->enter[j] += final[mask];
			if (j + 1 < NSTAGES && (mask & (3U << j)) == (3U << j))
				t->both[j] += final[mask];
		}
	}
}

/* The k-th smallest (0-up) of the days counted in hist; -1 past the
 * exact range. */
static long
kth_day(const unsigned long *hist, unsigned long k)
{
	long d;

	for (d = 0; d < MAX_DAYS; d++) {
		if (k < hist[d])
			return d;
		k -= hist[d];
	}
	return -1;
}

/* The median as R's quantile(type = 7) takes it, written into buf
 * (empty when there is none). */
static void
format_median(const unsigned long *hist, char *buf, size_t size)
{
	unsigned long n = 0;
	long a, b;
	int d;

	for (d = 0; d <= MAX_DAYS; d++)
		n += hist[d];
	buf[0] = '\0';
	if (n == 0)
		return;
	a = kth_day(hist, (n - 1) / 2);
	b = kth_day(hist, n / 2);
	if (a < 0 || b < 0)
		return;
	/* Days are whole, so the median is whole or a half. */
	snprintf(buf, size, "%ld%s", (a + b) / 2, (a + b) % 2 ? ".5" : "");
}

/* The truth file, CSV lines whose first field says what they are (a
 * region of "*" means all regions; mode is pass or strict):
 *
 *   param,REGION,STAGE,forward,skip,back,lost,open
 *       the probabilities of each move on entering STAGE
 *   p,MODE,REGION,STAGE,P
 *       the true conversion probability that kpi-conv's funnel rate
 *       converted / entered estimates at STAGE: P(reached STAGE + 1 |
 *       reached STAGE) for pass, P(entered both | entered STAGE) for strict
 *   reach,REGION,STAGE,P
 *       P(a deal reaches STAGE): what cum_rate estimates (pass)
 *   funnel,MODE,REGION,STAGE,entered,converted,lost,open,skipped
 *       the counts this run drew (won: entered only)
 *   median,REGION,STAGE,DAYS
 *       the median days from reaching STAGE to reaching the next (pass:
 *       the day a stage is reached is its first entry or the first entry
 *       of a later stage, whichever is earlier); R's quantile type 7
 *   move,REGION,FROM,TO,KIND,COUNT
 *       every move this run made, as kpi-conv -r transitions names it
 *   cohort,MONTH,DEALS
 *       deals per month of their lead entry
 *   rows,N and deals,N */
static int
write_truth(const struct gen *g, const char *path, unsigned long ndeals)
{
	static const char *const modes[2] = { "pass", "strict" };
	struct truth t[NREGIONS + 1];
	const struct counts *c = &g->c;
	FILE *f = fopen(path, "w");
	size_t r, s, a, b, m;
	int ok;

	if (!f)
		return -1;
	memset(&t[NREGIONS], 0, sizeof(t[NREGIONS]));
	for (r = 0; r < NREGIONS; r++) {
		double w = region_share[r] / 1000.0;

		chain_truth((unsigned)r, &t[r]);
		for (s = 0; s < NSTAGES; s++) {
			t[NREGIONS].reach[s] += w * t[r].reach[s];
			t[NREGIONS].enter[s] += w * t[r].enter[s];
			t[NREGIONS].both[s] += w * t[r].both[s];
		}
	}
	for (r = 0; r < NREGIONS; r++)
		for (s = 0; s < NOPEN; s++)
			fprintf(f, "param,%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f\n",
				regions[r], code_names[s],
				prob[r][s][FORWARD] / 10000.0,
				prob[r][s][SKIP] / 10000.0,
				prob[r][s][BACK] / 10000.0,
				prob[r][s][LOSE] / 10000.0,
				prob[r][s][STAY] / 10000.0);
	for (r = 0; r <= NREGIONS; r++) {
		const char *name = r < NREGIONS ? regions[r] : "*";

		for (s = 0; s < NSTAGES; s++)
			fprintf(f, "reach,%s,%s,%.17g\n", name, code_names[s],
				t[r].reach[s]);
		for (s = 0; s + 1 < NSTAGES; s++) {
			fprintf(f, "p,pass,%s,%s,%.17g\n", name, code_names[s],
				t[r].reach[s + 1] / t[r].reach[s]);
			fprintf(f, "p,strict,%s,%s,%.17g\n", name, code_names[s],
				t[r].both[s] / t[r].enter[s]);
		}
		for (m = 0; m < 2; m++)
			for (s = 0; s < NSTAGES; s++)
				fprintf(f, "funnel,%s,%s,%s,%lu,%lu,%lu,%lu,%lu\n",
					modes[m], name, code_names[s],
					c->entered[m][r][s], c->converted[m][r][s],
					c->lost[m][r][s], c->open[m][r][s],
					c->skipped[m][r][s]);
	}
	for (r = 0; r <= NREGIONS; r++)
		for (s = 0; s < NOPEN; s++) {
			char med[32];

			format_median(c->days[r][s], med, sizeof(med));
			fprintf(f, "median,%s,%s,%s\n",
				r < NREGIONS ? regions[r] : "*", code_names[s], med);
		}
	for (r = 0; r < NREGIONS; r++)
		for (a = 0; a < NCODES; a++)
			for (b = 0; b < NCODES; b++) {
				const char *kind = b >= LOST ? "lost"
						   : b == a + 1 ? "forward"
						   : b > a ? "skip" : "backward";

				if (c->moves[r][a][b])
					fprintf(f, "move,%s,%s,%s,%s,%lu\n",
						regions[r], code_names[a],
						code_names[b], kind,
						c->moves[r][a][b]);
			}
	for (m = 0; m < g->nmonths; m++) {
		long ym = g->first_month + (long)m;

		fprintf(f, "cohort,%04ld-%02ld-01,%lu\n", ym / 12, ym % 12 + 1,
			c->cohort[m]);
	}
	fprintf(f, "rows,%zu\ndeals,%lu\n", g->nrows, ndeals);
	ok = !ferror(f);
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* ==== main ==== */

static void
usage(FILE *fp)
{
	fprintf(fp,
		"Usage: gen-history [-n DEALS] [-s SEED] [-o ORDER] [-p FILE]\n"
		"Write a synthetic stage history (deal_id,stage,entered,region,amount;\n"
		"one row per stage entry) to standard output.  The same options give the\n"
		"same bytes.  Stages: lead,mql,sql,opportunity,won; lost outcomes: lost,\n"
		"disqualified.\n"
		"\n"
		"  -n, --deals DEALS  number of deals (default %lu)\n"
		"  -s, --seed SEED    64-bit seed (default %" PRIu64 ")\n"
		"  -o, --order ORDER  date (default: by day entered) or random\n"
		"  -p, --truth FILE   write the model's true probabilities and this\n"
		"                     run's counts to FILE\n"
		"  -h, --help         show this help and exit\n",
		DEFAULT_DEALS, DEFAULT_SEED);
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = (uint64_t)x;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "deals", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "order", required_argument, NULL, 'o' },
		{ "truth", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen g;	/* big: the day histograms */
	uint64_t ndeals = DEFAULT_DEALS, seed = DEFAULT_SEED;
	const char *truth = NULL;
	int opt, by_date = 1, status = 1;
	uint32_t i;
	long y;
	unsigned mo, d;

	while ((opt = getopt_long(argc, argv, "n:s:o:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u64(optarg, &ndeals) != 0 || ndeals == 0 ||
			    ndeals > MAX_DEALS) {
				fprintf(stderr, "gen-history: invalid deal count '%s' (1 to %lu)\n",
					optarg, MAX_DEALS);
				return 2;
			}
			break;
		case 's':
			if (parse_u64(optarg, &seed) != 0) {
				fprintf(stderr, "gen-history: invalid seed '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o':
			if (strcmp(optarg, "date") == 0) {
				by_date = 1;
			} else if (strcmp(optarg, "random") == 0) {
				by_date = 0;
			} else {
				fprintf(stderr, "gen-history: invalid order '%s' (date or random)\n",
					optarg);
				return 2;
			}
			break;
		case 'p':
			truth = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'gen-history --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gen-history: unexpected argument '%s'\n"
			"Try 'gen-history --help' for more information.\n", argv[optind]);
		return 2;
	}

	model_init();
	memset(&g, 0, sizeof(g));
	g.rng = seed;
	g.first_day = days_from_civil(2024, 1, 1);
	g.last_start = days_from_civil(2026, 6, 30);
	civil_from_days(g.first_day, &y, &mo, &d);
	g.first_month = y * 12 + mo - 1;
	civil_from_days(g.last_start, &y, &mo, &d);
	g.nmonths = (size_t)(y * 12 + mo - 1 - g.first_month + 1);
	g.c.cohort = calloc(g.nmonths, sizeof(*g.c.cohort));
	g.deals = malloc((size_t)ndeals * sizeof(*g.deals));
	if (!g.c.cohort || !g.deals)
		goto nomem;
	for (i = 0; i < ndeals; i++)
		if (draw_deal(&g, i) != 0)
			goto nomem;
	if (order_rows(&g, by_date) != 0)
		goto nomem;
	if (write_rows(&g) != 0 || fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "gen-history: write error: %s\n", strerror(errno));
		goto out;
	}
	if (truth && write_truth(&g, truth, (unsigned long)ndeals) != 0) {
		fprintf(stderr, "gen-history: %s: %s\n", truth, strerror(errno));
		goto out;
	}
	status = 0;
	goto out;
nomem:
	fprintf(stderr, "gen-history: out of memory\n");
out:
	free(g.rows);
	free(g.deals);
	free(g.c.cohort);
	return status;
}
