/* gen-deals.c - deterministic generator of a synthetic deals CSV for benchmarks */

/*
 * The same seed and row count give the same bytes on every platform: the
 * random numbers come from our own splitmix64, amounts are formatted from
 * integer cents, and the only floating-point work is +, -, *, / and a
 * hand-written exp(), all of which IEEE 754 rounds exactly one way (the
 * build passes -ffp-contract=off so no FMA changes a rounding). No libm,
 * no locale, no printf of a double.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-util.h"

#define DEFAULT_ROWS	1000000UL
#define DEFAULT_SEED	UINT64_C(20261127)
#define N_ACCOUNTS	20000U
#define N_REPS		50U
#define REPS_PER_REGION	10U
#define OUTBUF_SIZE	(1U << 20)

/* ==== Vocabulary ==== */

static const char *const regions[] = {
	"NA East", "NA West", "EMEA", "APAC", "LATAM",
};
/* Cumulative share of accounts per region, in per mille. */
static const unsigned region_cum[] = { 250, 500, 750, 900, 1000 };

static const char *const segments[] = { "SMB", "Mid-Market", "Enterprise" };
static const unsigned segment_cum[] = { 600, 900, 1000 };

/* Median deal size (dollars), median cycle (days), base win rate (per mille). */
static const double segment_amount[] = { 6000.0, 28000.0, 110000.0 };
static const double segment_cycle[] = { 21.0, 45.0, 90.0 };
static const unsigned segment_win[] = { 330, 270, 210 };

/* Open stages in funnel order; an open deal sits in the one matching its age. */
static const char *const open_stages[] = {
	"Prospecting", "Discovery", "Qualification", "Proposal", "Negotiation",
};
#define N_OPEN_STAGES	(sizeof(open_stages) / sizeof(open_stages[0]))

/* 25 first names and 23 surnames: rep i is first[i % 25] last[i % 23],
 * distinct for i < 575. */
static const char *const first_names[] = {
	"Alice", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro",
	"Ines", "Jonas", "Keiko", "Liam", "Maria", "Noah", "Olga", "Pedro",
	"Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Yara", "Zoe",
};
static const char *const last_names[] = {
	"Adams", "Becker", "Chen", "Dubois", "Evans", "Fischer", "Garcia",
	"Haas", "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura",
	"Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Urban", "Weber",
	"Young", "Ziegler",
};
#define N_FIRST	(sizeof(first_names) / sizeof(first_names[0]))
#define N_LAST	(sizeof(last_names) / sizeof(last_names[0]))

/* ==== Random numbers ==== */

/* A stateless hash of a key, for attributes that must not depend on the
 * order in which rows are drawn (an account's region, segment, owner). */
static uint64_t
hash64(uint64_t seed, uint64_t key)
{
	uint64_t s = seed ^ (key * UINT64_C(0xD6E8FEB86659FD93));

	return splitmix64(&s);
}

/* Uniform double in [0, 1): the top 53 bits, exactly representable. */
static double
uniform(uint64_t *state)
{
	return (double)(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately standard normal: Irwin-Hall sum of twelve 16-bit uniforms
 * minus 6, computed in integers and converted once, so it is exact. */
static double
normal12(uint64_t *state)
{
	int64_t sum = 0;
	int i, j;

	for (i = 0; i < 3; i++) {
		uint64_t r = splitmix64(state);

		for (j = 0; j < 4; j++) {
			sum += (int64_t)(r & 0xFFFF);
			r >>= 16;
		}
	}
	return (double)(sum - 6 * 65536) / 65536.0;
}

/* exp(x) for |x| < 700 with +, -, *, / only: x = k ln 2 + r, |r| <= ln2/2,
 * Taylor series of e^r to degree 13 (error below 1e-16 relative), then
 * scaling by 2^k with exact doublings. ln 2 is split in two as in fdlibm
 * so that k ln 2 is subtracted without rounding error. */
static double
exp_det(double x)
{
	static const double ln2_hi = 6.93147180369123816490e-01;
	static const double ln2_lo = 1.90821492927058770002e-10;
	static const double inv_ln2 = 1.44269504088896338700e+00;
	double t = x * inv_ln2;
	long k = (long)(t < 0 ? t - 0.5 : t + 0.5);
	double r = (x - (double)k * ln2_hi) - (double)k * ln2_lo;
	double term = 1.0, sum = 1.0;
	int i;

	for (i = 1; i <= 13; i++) {
		term = term * r / (double)i;
		sum += term;
	}
	for (; k > 0; k--)
		sum *= 2.0;
	for (; k < 0; k++)
		sum *= 0.5;
	return sum;
}

/* Index into a cumulative per-mille table. */
static unsigned
pick(const unsigned *cum, unsigned n, unsigned permille)
{
	unsigned i;

	for (i = 0; i + 1 < n && permille >= cum[i]; i++)
		;
	return i;
}

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

/* The inverse, written as YYYY-MM-DD (10 bytes, no NUL) into out. */
static void
format_day(long z, char *out)
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
	y += m <= 2;
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

/* ==== Rows ==== */

struct gen {
	uint64_t seed;
	uint64_t rng;
	long first_day;			/* 2022-01-01 */
	long as_of;			/* 2026-11-27: the export date */
	char (*dates)[10];		/* YYYY-MM-DD for first_day..as_of */
	unsigned rep_skill[N_REPS];	/* win-rate multiplier, per mille */
};

/* Skewed account choice: half the deals go to a uniform account, half to
 * u^2 * N, so a few hundred accounts carry many deals, as in real books. */
static uint32_t
draw_account(struct gen *g)
{
	double u;

	if (below(&g->rng, 2) == 0)
		return below(&g->rng, N_ACCOUNTS);
	u = uniform(&g->rng);
	return (uint32_t)(u * u * (double)N_ACCOUNTS);
}

static void
write_row(struct gen *g, struct out *o, uint64_t deal)
{
	uint32_t acct = draw_account(g);
	uint64_t h = hash64(g->seed, acct);
	unsigned region = pick(region_cum, 5, (unsigned)(h % 1000));
	unsigned segment = pick(segment_cum, 3, (unsigned)((h >> 16) % 1000));
	unsigned rep = region * REPS_PER_REGION +
		       (unsigned)((h >> 32) % REPS_PER_REGION);
	long span = g->as_of - g->first_day + 1;
	long created, closed, age;
	double u, cycle_f, amount;
	uint64_t cents;
	unsigned stage;
	int won, open, stalled;

	/* One deal in ten is worked by another rep of the same region. */
	if (below(&g->rng, 10) == 0)
		rep = region * REPS_PER_REGION + below(&g->rng, REPS_PER_REGION);

	/* Created dates over the whole range, with a mild upward trend:
	 * 30% of the draws take the later of two uniform days. */
	created = (long)below(&g->rng, (uint32_t)span);
	if (below(&g->rng, 10) < 3) {
		long other = (long)below(&g->rng, (uint32_t)span);

		if (other > created)
			created = other;
	}
	created += g->first_day;
	age = g->as_of - created;

	u = (double)below(&g->rng, 1000);
	won = u < (double)segment_win[segment] * g->rep_skill[rep] / 1000.0;

	/* Cycle length: lognormal around the segment's median; lost deals
	 * die sooner than won ones close. */
	cycle_f = segment_cycle[segment] * exp_det(0.6 * normal12(&g->rng));
	if (!won)
		cycle_f *= 0.7;
	closed = created + (long)cycle_f;

	/* A deal not yet due to close at the export date is open; so is a
	 * stalled deal from the last year, whatever its cycle says. */
	stalled = age < 365 && below(&g->rng, 100) < 4;
	open = closed > g->as_of || stalled;
	if (!open)
		stage = won ? 5 : 6;
	else if (stalled || cycle_f < 1.0)
		stage = below(&g->rng, N_OPEN_STAGES);
	else {
		stage = (unsigned)((double)age * N_OPEN_STAGES / cycle_f);
		if (stage >= N_OPEN_STAGES)
			stage = N_OPEN_STAGES - 1;
	}

	amount = segment_amount[segment] * exp_det(0.9 * normal12(&g->rng));
	cents = (uint64_t)(amount * 100.0 + 0.5);
	if (cents < 100)
		cents = 100;

	out_char(o, 'D');
	out_uint(o, deal, 7);
	out_mem(o, ",A", 2);
	out_uint(o, acct + 1, 5);
	out_char(o, ',');
	out_str(o, first_names[rep % N_FIRST]);
	out_char(o, ' ');
	out_str(o, last_names[rep % N_LAST]);
	out_char(o, ',');
	out_str(o, regions[region]);
	out_char(o, ',');
	out_str(o, segments[segment]);
	out_char(o, ',');
	if (stage < N_OPEN_STAGES)
		out_str(o, open_stages[stage]);
	else
		out_str(o, stage == 5 ? "Closed Won" : "Closed Lost");
	out_char(o, ',');
	out_mem(o, g->dates[created - g->first_day], 10);
	out_char(o, ',');
	if (!open)
		out_mem(o, g->dates[closed - g->first_day], 10);
	out_char(o, ',');
	out_uint(o, cents / 100, 1);
	out_char(o, '.');
	out_uint(o, cents % 100, 2);
	out_char(o, ',');
	if (!open)
		out_char(o, won ? '1' : '0');
	out_char(o, '\n');
}

/* ==== main ==== */

static void
usage(FILE *fp)
{
	fprintf(fp,
		"Usage: gen-deals [-n ROWS] [-s SEED]\n"
		"Write a synthetic deals CSV (one header row, ROWS deals) to standard output.\n"
		"The same ROWS and SEED always give the same bytes.\n"
		"\n"
		"  -n, --rows ROWS   number of deals (default %lu)\n"
		"  -s, --seed SEED   64-bit seed (default %" PRIu64 ")\n"
		"  -h, --help        show this help and exit\n",
		DEFAULT_ROWS, DEFAULT_SEED);
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
		{ "rows", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gen g;
	struct out o;
	uint64_t rows = DEFAULT_ROWS, i, s;
	long d;
	unsigned r;
	int opt;

	g.seed = DEFAULT_SEED;
	while ((opt = getopt_long(argc, argv, "n:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u64(optarg, &rows) != 0) {
				fprintf(stderr, "gen-deals: invalid row count '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_u64(optarg, &g.seed) != 0) {
				fprintf(stderr, "gen-deals: invalid seed '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'gen-deals --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gen-deals: unexpected argument '%s'\n"
			"Try 'gen-deals --help' for more information.\n", argv[optind]);
		return 2;
	}

	g.first_day = days_from_civil(2022, 1, 1);
	g.as_of = days_from_civil(2026, 11, 27);
	g.dates = malloc((size_t)(g.as_of - g.first_day + 1) * sizeof(*g.dates));
	o.buf = malloc(OUTBUF_SIZE);
	o.len = 0;
	o.failed = 0;
	if (!g.dates || !o.buf) {
		fprintf(stderr, "gen-deals: out of memory\n");
		return 1;
	}
	for (d = g.first_day; d <= g.as_of; d++)
		format_day(d, g.dates[d - g.first_day]);

	/* Rep skill, 700..1300 per mille, from its own stream so that adding
	 * reps never shifts the deals. */
	s = g.seed ^ UINT64_C(0x5EED5EED5EED5EED);
	for (r = 0; r < N_REPS; r++)
		g.rep_skill[r] = 700 + below(&s, 601);

	g.rng = g.seed;
	out_str(&o, "deal_id,account_id,rep,region,segment,stage,"
		"created_date,closed_date,amount,won\n");
	for (i = 1; i <= rows && !o.failed; i++) {
		write_row(&g, &o, i);
		if (o.len > OUTBUF_SIZE - 256)
			out_flush(&o);
	}
	out_flush(&o);
	free(o.buf);
	free(g.dates);
	if (o.failed || fflush(stdout) != 0 || ferror(stdout) ||
	    fclose(stdout) != 0) {
		fprintf(stderr, "gen-deals: write error: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
