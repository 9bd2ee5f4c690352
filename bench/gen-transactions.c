/* gen-transactions.c - deterministic generator of a synthetic transaction
 * log (customer, date, amount, region) for the kpi-cohort benchmark */

/*
 * Usage: gen-transactions [-n ROWS] [-c CUSTOMERS] [-s SEED] > orders.csv
 *
 * The same options give the same bytes on every platform: random numbers
 * come from our own splitmix64, amounts are written from integer cents, and
 * the only floating-point work is +, -, *, / in a hand-written exp() and
 * log(), which IEEE 754 rounds one way (the build passes -ffp-contract=off
 * so that no fused multiply-add changes a rounding).  No libm, no locale,
 * no printf of a double.
 *
 * The shape of the data (see bench/README.md):
 *  - CUSTOMERS customers (default 1,000,000), each with a first purchase
 *    between 2023-01-01 and 2025-12-31, acquisition growing over time;
 *  - ROWS - CUSTOMERS repeat purchases (default 9,000,000), each by a
 *    customer drawn with a skew (a tenth of the customers are frequent
 *    buyers and make about half the repeats), dated after the customer's
 *    first purchase by an exponential gap whose mean (30 to 400 days) is
 *    the customer's own, so that retention decays with age as in real
 *    purchase logs, and redrawn while it falls after 2025-12-31;
 *  - amounts lognormal around 45 dollars, two decimals;
 *  - a region per customer (NA 40%, EMEA 35%, APAC 25%);
 *  - rows sorted by date, as an export from an order system is; within a
 *    day, first purchases by customer number, then repeats as drawn.
 * Customer ids are C0000001 ... and not in date order.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-util.h"

#define DEFAULT_ROWS		10000000UL
#define DEFAULT_CUSTOMERS	1000000UL
#define DEFAULT_SEED		UINT64_C(20261127)
#define FIRST_DAY_Y		2023
#define NDAYS			1096	/* 2023-01-01 .. 2025-12-31 */
#define OUTBUF_SIZE		(1U << 20)

static const char *const regions[] = { "NA", "EMEA", "APAC" };
static const unsigned region_cum[] = { 400, 750, 1000 };	/* per mille */

/* ==== Random numbers ==== */

/* A customer's fixed attributes come from a hash of its number, so that
 * they do not depend on the order of the draws. */
static uint64_t
hash64(uint64_t seed, uint64_t key)
{
	uint64_t s = seed ^ (key * UINT64_C(0xD6E8FEB86659FD93));

	return splitmix64(&s);
}

/* Uniform in (0, 1]: 53 random bits, never 0, exactly representable. */
static double
uniform_pos(uint64_t *state)
{
	return (double)((splitmix64(state) >> 11) + 1) *
	       (1.0 / 9007199254740992.0);
}

/* About standard normal: Irwin-Hall sum of twelve 16-bit uniforms minus 6,
 * summed in integers and converted once. */
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

/* exp(x), |x| < 700, with +, -, *, / only: x = k ln2 + r, |r| <= ln2 / 2,
 * Taylor series of e^r to degree 14, then exact doublings or halvings.
 * ln 2 is split in a high part with trailing zeros and a low part, as in
 * fdlibm, so that k ln 2 is subtracted without rounding error. */
static double
exp_det(double x)
{
	const double ln2_hi = 6.93147180369123816490e-01;
	const double ln2_lo = 1.90821492927058770002e-10;
	double t = x * 1.44269504088896338700e+00;
	long k = (long)(t < 0 ? t - 0.5 : t + 0.5);
	double r = (x - (double)k * ln2_hi) - (double)k * ln2_lo;
	double term = 1.0, sum = 1.0;
	int i;

	for (i = 1; i <= 14; i++) {
		term = term * r / i;
		sum += term;
	}
	for (; k > 0; k--)
		sum *= 2.0;
	for (; k < 0; k++)
		sum *= 0.5;
	return sum;
}

/* log(u) for 0 < u <= 1: u = m 2^-k with m in [0.5, 1) by exact doublings,
 * then log m = 2 atanh(z), z = (m - 1) / (m + 1), |z| <= 1/3, whose odd
 * series to z^41 is below 1e-17 relative. */
static double
log_det(double u)
{
	const double ln2 = 6.93147180559945286227e-01;
	double z, z2, term, sum;
	int k = 0, i;

	while (u < 0.5) {
		u *= 2.0;
		k++;
	}
	z = (u - 1.0) / (u + 1.0);
	z2 = z * z;
	term = z;
	sum = z;
	for (i = 3; i <= 41; i += 2) {
		term *= z2;
		sum += term / i;
	}
	return 2.0 * sum - k * ln2;
}

/* ==== Calendar ==== */

/* The date d days after 2023-01-01 as "YYYY-MM-DD", by counting years and
 * months (it runs once per day of the range). */
static void
format_day(unsigned d, char out[11])
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
					  31, 30, 31 };
	unsigned y = FIRST_DAY_Y, m = 0;

	for (;;) {
		unsigned len = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
				       ? 366 : 365;

		if (d < len)
			break;
		d -= len;
		y++;
	}
	for (;;) {
		unsigned len = mdays[m] + (m == 1 && y % 4 == 0 &&
					   (y % 100 != 0 || y % 400 == 0));

		if (d < len)
			break;
		d -= len;
		m++;
	}
	m++;
	d++;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

/* ==== The data ==== */

struct customer {
	uint16_t first;		/* day of the first purchase */
	uint8_t region;
	double mean_gap;	/* days */
};

/* Customer attributes from its number. */
static void
make_customer(uint64_t seed, uint32_t i, struct customer *c)
{
	uint64_t s = hash64(seed, i);
	uint32_t r = below(&s, 1000), k;
	double u;

	for (k = 0; region_cum[k] <= r; k++)
		;
	c->region = (uint8_t)k;
	/* Acquisition grows: half uniform, half with density rising
	 * linearly over the three years (the larger of two uniforms). */
	if (below(&s, 2) == 0) {
		c->first = (uint16_t)below(&s, NDAYS);
	} else {
		uint32_t a = below(&s, NDAYS), b = below(&s, NDAYS);

		c->first = (uint16_t)(a > b ? a : b);
	}
	/* Mean gap between purchases: 30 to 400 days, log-uniform. */
	u = (double)below(&s, 1u << 20) / (double)(1u << 20);
	c->mean_gap = 30.0 * exp_det(u * 2.5902671654458267);	/* ln(400/30) */
}

static uint32_t
amount_cents(uint64_t *state)
{
	/* Lognormal, median 45 dollars, sigma 0.8; at least 1 dollar. */
	double a = 4500.0 * exp_det(0.8 * normal12(state));

	return a < 100.0 ? 100u : (uint32_t)(a + 0.5);
}

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: gen-transactions [-n ROWS] [-c CUSTOMERS] [-s SEED]\n"
		"Write a synthetic transaction log as CSV to standard output:\n"
		"customer_id,order_date,amount,region, sorted by date.\n"
		"  -n ROWS       transactions, at least CUSTOMERS (default %lu)\n"
		"  -c CUSTOMERS  customers (default %lu)\n"
		"  -s SEED       random seed (default %" PRIu64 ")\n",
		DEFAULT_ROWS, DEFAULT_CUSTOMERS, DEFAULT_SEED);
}

int
main(int argc, char **argv)
{
	unsigned long rows = DEFAULT_ROWS, ncust = DEFAULT_CUSTOMERS, i;
	uint64_t seed = DEFAULT_SEED, state;
	struct customer *cust = NULL;
	uint32_t *who = NULL, *cents = NULL, *order = NULL;
	uint16_t *day = NULL;
	unsigned long *start = NULL;
	char dates[NDAYS][11], *out = NULL;
	size_t used = 0;
	int c, status = 1;

	while ((c = getopt(argc, argv, "n:c:s:h")) != -1) {
		unsigned long v;

		switch (c) {
		case 'n':
			if (parse_count(optarg, 2000000000UL, &rows)) {
				fprintf(stderr, "gen-transactions: -n: bad count \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'c':
			if (parse_count(optarg, 9999999UL, &ncust)) {
				fprintf(stderr, "gen-transactions: -c: bad count \"%s\" (1 to 9999999)\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_count(optarg, ~0UL, &v)) {
				fprintf(stderr, "gen-transactions: -s: bad seed \"%s\"\n", optarg);
				return 2;
			}
			seed = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || rows < ncust) {
		usage(stderr);
		return 2;
	}

	cust = malloc(ncust * sizeof(*cust));
	who = malloc(rows * sizeof(*who));
	cents = malloc(rows * sizeof(*cents));
	day = malloc(rows * sizeof(*day));
	order = malloc(rows * sizeof(*order));
	start = calloc(NDAYS + 1, sizeof(*start));
	out = malloc(OUTBUF_SIZE);
	if (!cust || !who || !cents || !day || !order || !start || !out) {
		fprintf(stderr, "gen-transactions: out of memory\n");
		goto done;
	}
	for (i = 0; i < NDAYS; i++)
		format_day((unsigned)i, dates[i]);

	/* ==== First purchases, then repeats ==== */
	state = seed;
	for (i = 0; i < ncust; i++) {
		make_customer(seed, (uint32_t)i, &cust[i]);
		who[i] = (uint32_t)i;
		day[i] = cust[i].first;
		cents[i] = amount_cents(&state);
	}
	for (; i < rows; i++) {
		const struct customer *cu;
		uint32_t k;
		double gap = 0;
		int tries;

		/* A tenth of the customers (every tenth number, scrambled by
		 * an odd multiplier) draws half the repeats. */
		if (below(&state, 2) == 0)
			k = below(&state, (uint32_t)ncust);
		else
			k = (uint32_t)(((uint64_t)below(&state,
						       (uint32_t)((ncust + 9) / 10)) *
					10) % ncust);
		k = (uint32_t)(((uint64_t)k * 2654435761u) % ncust);
		cu = &cust[k];
		for (tries = 0; tries < 8; tries++) {
			gap = -cu->mean_gap * log_det(uniform_pos(&state));
			if (cu->first + gap < NDAYS)
				break;
		}
		if (cu->first + gap >= NDAYS)
			gap = below(&state, (uint32_t)(NDAYS - cu->first));
		who[i] = k;
		day[i] = (uint16_t)(cu->first + (unsigned)gap);
		cents[i] = amount_cents(&state);
	}

	/* ==== Sort by day (stable counting sort) and write ==== */
	for (i = 0; i < rows; i++)
		start[day[i] + 1]++;
	for (i = 1; i <= NDAYS; i++)
		start[i] += start[i - 1];
	for (i = 0; i < rows; i++)
		order[start[day[i]]++] = (uint32_t)i;

	used = (size_t)snprintf(out, OUTBUF_SIZE,
				"customer_id,order_date,amount,region\n");
	for (i = 0; i < rows; i++) {
		uint32_t r = order[i];
		int n;

		if (used > OUTBUF_SIZE - 64) {
			if (fwrite(out, 1, used, stdout) != used)
				goto write_error;
			used = 0;
		}
		n = snprintf(out + used, 64, "C%07" PRIu32 ",%s,%" PRIu32 ".%02" PRIu32 ",%s\n",
			     who[r] + 1, dates[day[r]], cents[r] / 100,
			     cents[r] % 100, regions[cust[who[r]].region]);
		used += (size_t)n;
	}
	if (fwrite(out, 1, used, stdout) != used || fflush(stdout) != 0)
		goto write_error;
	status = 0;
	goto done;
write_error:
	perror("gen-transactions: write error");
done:
	free(cust);
	free(who);
	free(cents);
	free(day);
	free(order);
	free(start);
	free(out);
	return status;
}
