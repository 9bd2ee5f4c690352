/* gen-pipeline.c - deterministic generator of an open-pipeline snapshot (and
 * its stage probabilities) for the kpi-pipeline benchmark.
 *
 * Usage: gen-pipeline [-n DEALS] [-g GROUPS] [-s SEED] [-w WEEK] [-p PROBS]
 *   writes DEALS open deals (default 100000) owned by GROUPS reps (default
 *   50) to standard output as the export of week WEEK (default 0) after
 *   2026-11-23; WEEK 1 is the next Monday's export of the same deals, with
 *   the changes a week brings (won, lost, slipped, pulled in, re-valued,
 *   advanced, regressed, new deals).  -p also writes the stage probabilities
 *   in the layout of kpi-conv --report stage-win.
 *
 * The same arguments give the same bytes on every platform: our own
 * splitmix64, amounts formatted from integer cents, integer arithmetic
 * only.  No libm, no locale, no printf of a double.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-util.h"

#define DEFAULT_DEALS	100000UL
#define DEFAULT_GROUPS	50UL
#define DEFAULT_SEED	UINT64_C(20261123)

static const char *const stages[] = {
	"Discovery", "Qualification", "Proposal", "Negotiation", "Commit",
};
#define N_STAGES	(sizeof(stages) / sizeof(stages[0]))
/* Stage win probabilities in per mille, and how many closed deals
 * back them (the probs file). */
static const unsigned stage_win[N_STAGES] = { 120, 210, 340, 520, 780 };
static const unsigned stage_closed[N_STAGES] = { 9000, 6200, 3900, 2300, 1400 };

static const char *const regions[] = { "NA", "EMEA", "APAC", "LATAM", "ANZ" };
#define N_REGIONS	(sizeof(regions) / sizeof(regions[0]))

/* A stream per deal: the deal's attributes do not depend on the others,
 * so week 1 changes each deal of week 0 in place. */
static uint64_t
deal_stream(uint64_t seed, unsigned long deal, unsigned salt)
{
	uint64_t s = seed ^ ((uint64_t)deal * UINT64_C(0x2545F4914F6CDD1D)) ^
		     ((uint64_t)salt << 56);

	splitmix64(&s);
	return s;
}

/* Uniform enough in [0, n) for test data (the modulo bias is below
 * n / 2^64); not gen-util.h's below(), which would change every file. */
static unsigned long
below_mod(uint64_t *s, unsigned long n)
{
	return (unsigned long)(splitmix64(s) % n);
}

/* Civil date of a day number (days since 1970-01-01), Hinnant's
 * algorithm. */
static void
civil(long z, char *buf)
{
	long era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	snprintf(buf, 64, "%04ld-%02ld-%02ld", y + (m <= 2), m, d);
}

#define DAY_2026_11_23 20780L

struct deal {
	unsigned long group;
	unsigned stage;
	uint64_t cents;
	long close, created;
	int open;		/* 0: closed this week (won or lost) */
};

/* Deal i as exported in week 0. */
static void
base_deal(uint64_t seed, unsigned long i, unsigned long groups, struct deal *d)
{
	uint64_t s = deal_stream(seed, i, 0);
	uint64_t size;

	d->group = below_mod(&s, groups);
	d->stage = (unsigned)(below_mod(&s, 100) < 35 ? 0 : below_mod(&s, N_STAGES));
	/* Skewed sizes: 2,000 to about 600,000 dollars, in cents. */
	size = 2000 + below_mod(&s, 3000);
	size = size * (1 + below_mod(&s, 8)) * (1 + below_mod(&s, 3) * below_mod(&s, 8));
	d->cents = size * 100 + below_mod(&s, 100);
	/* Expected close: up to a month stale to a year out. */
	d->close = DAY_2026_11_23 - 30 + (long)below_mod(&s, 400);
	d->created = DAY_2026_11_23 - 10 - (long)below_mod(&s, 300);
	d->open = 1;
}

/* The same deal a week later. */
static void
next_week(uint64_t seed, unsigned long i, struct deal *d)
{
	uint64_t s = deal_stream(seed, i, 1);
	unsigned long r = below_mod(&s, 100);

	if (r < 3) {
		d->open = 0;		/* closed: won or lost */
		return;
	}
	if (r < 13)
		d->close += 14 + (long)below_mod(&s, 60);	/* slipped */
	else if (r < 16)
		d->close -= (long)below_mod(&s, 30);	/* pulled in */
	r = below_mod(&s, 100);
	if (r < 6)
		d->cents += d->cents / 10;
	else if (r < 9)
		d->cents -= d->cents / 5;
	r = below_mod(&s, 100);
	if (r < 8 && d->stage + 1 < N_STAGES)
		d->stage++;
	else if (r < 10 && d->stage > 0)
		d->stage--;
}

static void
write_deal(FILE *out, unsigned long id, const struct deal *d)
{
	char close[64], created[64];

	civil(d->close, close);
	civil(d->created, created);
	fprintf(out, "D%07lu,Rep %02lu,%s,%s,%" PRIu64 ".%02u,%s,%s,%u\n", id,
		d->group + 1, regions[d->group % N_REGIONS], stages[d->stage],
		d->cents / 100, (unsigned)(d->cents % 100), close, created,
		stage_win[d->stage] / 10);
}

static int
write_probs(const char *path)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "stage,closed,won,p_won,p_won_lo,p_won_hi,open\n");
	for (i = 0; i < N_STAGES; i++) {
		unsigned long won = (unsigned long)stage_closed[i] * stage_win[i] / 1000;

		fprintf(f, "%s,%u,%lu,0.%03u,,,0\n", stages[i], stage_closed[i], won,
			stage_win[i]);
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int
parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	*out = strtoul(s, &end, 10);
	return *s && !*end ? 0 : -1;
}

int
main(int argc, char **argv)
{
	unsigned long n = DEFAULT_DEALS, groups = DEFAULT_GROUPS, week = 0, i, v;
	uint64_t seed = DEFAULT_SEED;
	const char *probs = NULL;
	static char buf[1 << 20];
	int c;

	while ((c = getopt(argc, argv, "n:g:s:w:p:")) != -1) {
		switch (c) {
		case 'n':
			if (parse_ulong(optarg, &n) || n == 0)
				goto usage;
			break;
		case 'g':
			if (parse_ulong(optarg, &groups) || groups == 0)
				goto usage;
			break;
		case 's':
			if (parse_ulong(optarg, &v))
				goto usage;
			seed = v;
			break;
		case 'w':
			if (parse_ulong(optarg, &week) || week > 1)
				goto usage;
			break;
		case 'p':
			probs = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (probs && write_probs(probs) != 0)
		return 1;
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	printf("id,rep,region,stage,amount,close_date,created,probability\n");
	for (i = 0; i < n; i++) {
		struct deal d;

		base_deal(seed, i, groups, &d);
		if (week == 1)
			next_week(seed, i, &d);
		if (d.open)
			write_deal(stdout, i + 1, &d);
	}
	/* New deals of the week: 2% more, with ids after the others. */
	if (week == 1)
		for (i = n; i < n + n / 50; i++) {
			struct deal d;

			base_deal(seed, i, groups, &d);
			d.created = DAY_2026_11_23 + 3;
			if (d.close < DAY_2026_11_23 + 7)
				d.close += 30;
			write_deal(stdout, i + 1, &d);
		}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen-pipeline: write");
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "Usage: gen-pipeline [-n DEALS] [-g GROUPS] [-s SEED] [-w 0|1] [-p PROBS]\n");
	return 2;
}
