/* gen-soak.c - an endless-sized transaction log for the soak test
 * (bench/soak.sh), streamed in date order, with the true totals it emitted */

/*
 * Usage: gen-soak [-n ROWS] [-c CUSTOMERS] [-s SEED] [-T PREFIX] > orders.csv
 *
 * Unlike gen-transactions, which draws every row and sorts them in memory,
 * this generator writes each day's rows as it draws them, so that its
 * memory depends on the customers and never on the rows: ten gigabytes can
 * go straight into a pipe.  The date range is fixed (2023-01-01 to
 * 2025-12-31, 36 months) and so are the customers; more rows only make
 * every day busier, so a tool whose memory follows groups, customers or
 * periods must show the same peak RSS at 1 GB as at 10 GB.
 *
 * Rows: customer_id,order_date,amount,region (the columns of
 * gen-transactions).  Each customer has a first day and a region from a
 * hash of its number; on each day come first the customers acquired that
 * day, in number order, then that day's share of the ROWS - CUSTOMERS
 * repeat purchases, each by a customer acquired on or before the day,
 * drawn with a skew towards recent customers (so that retention decays
 * with age).  Amounts are integer cents, 1.00 to 999.99.  There is no
 * floating point at all: the same options give the same bytes anywhere.
 *
 * With -T PREFIX it writes, after the last row, what it emitted, counted
 * here and not by libkpi, for bench/soak.sh to check the tools against:
 *   PREFIX-agg.csv     region,month,count,cents (rows and amount per
 *                      region and month of order_date)
 *   PREFIX-cohort.csv  cohort,age,size,active,cents (customers acquired in
 *                      the cohort month, distinct customers of the cohort
 *                      buying in its age-th month, their cents), every cell
 *                      up to the last month, empty ones included
 *   PREFIX-total.csv   rows,customers,bytes
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen-util.h"

#define DEFAULT_ROWS		30000000UL
#define DEFAULT_CUSTOMERS	1000000UL
#define DEFAULT_SEED		UINT64_C(20261127)
#define FIRST_YEAR		2023
#define NYEARS			3
#define NDAYS			1096	/* 2023-01-01 .. 2025-12-31 */
#define NMONTHS			(12 * NYEARS)
#define NREGIONS		3
#define OUTBUF_SIZE		(1U << 20)
#define MAX_LINE		64

static const char *const regions[NREGIONS] = { "NA", "EMEA", "APAC" };
static const unsigned region_cum[NREGIONS] = { 400, 750, 1000 };	/* per mille */

/* ==== Calendar ==== */

struct day {
	char date[11];		/* YYYY-MM-DD */
	uint8_t month;		/* months since 2023-01 */
};

static int
is_leap(unsigned y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static void
make_calendar(struct day *days)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
					  31, 30, 31 };
	unsigned y, m, d, i = 0;

	for (y = FIRST_YEAR; y < FIRST_YEAR + NYEARS; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= mdays[m - 1] + (m == 2 && is_leap(y)); d++) {
				snprintf(days[i].date, sizeof(days[i].date),
					 "%04u-%02u-%02u", y, m, d);
				days[i].month = (uint8_t)((y - FIRST_YEAR) * 12 + m - 1);
				i++;
			}
}

/* ==== The truth ==== */

struct truth {
	uint64_t count[NREGIONS][NMONTHS];
	uint64_t cents[NREGIONS][NMONTHS];
	uint64_t size[NMONTHS];
	uint64_t active[NMONTHS][NMONTHS];	/* [cohort][age] */
	uint64_t revenue[NMONTHS][NMONTHS];
};

/* Counts one purchase; last_month holds, per customer, 1 + the last month
 * in which it was counted active, so that a customer counts once a month. */
static void
count_purchase(struct truth *t, uint8_t *last_month, uint32_t c, unsigned cohort,
	       unsigned region, unsigned month, uint32_t cents)
{
	unsigned age = month - cohort;

	t->count[region][month]++;
	t->cents[region][month] += cents;
	t->revenue[cohort][age] += cents;
	if (last_month[c] != month + 1) {
		last_month[c] = (uint8_t)(month + 1);
		t->active[cohort][age]++;
	}
}

static int
write_truth(const char *prefix, const struct truth *t, unsigned long rows,
	    unsigned long ncust, uint64_t bytes, const struct day *days)
{
	char path[4096];
	FILE *f;
	unsigned r, m, a;
	int bad = 0;

	snprintf(path, sizeof(path), "%s-agg.csv", prefix);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "region,month,count,cents\n");
	for (r = 0; r < NREGIONS; r++)
		for (m = 0; m < NMONTHS; m++)
			fprintf(f, "%s,%04u-%02u-01,%" PRIu64 ",%" PRIu64 "\n",
				regions[r], FIRST_YEAR + m / 12, m % 12 + 1,
				t->count[r][m], t->cents[r][m]);
	bad |= fclose(f);

	snprintf(path, sizeof(path), "%s-cohort.csv", prefix);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "cohort,age,size,active,cents\n");
	for (m = 0; m < NMONTHS; m++)
		for (a = 0; m + a < NMONTHS; a++)
			fprintf(f, "%04u-%02u-01,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
				FIRST_YEAR + m / 12, m % 12 + 1, a, t->size[m],
				t->active[m][a], t->revenue[m][a]);
	bad |= fclose(f);

	snprintf(path, sizeof(path), "%s-total.csv", prefix);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "rows,customers,bytes,first,last\n%lu,%lu,%" PRIu64 ",%s,%s\n",
		rows, ncust, bytes, days[0].date, days[NDAYS - 1].date);
	bad |= fclose(f);
	return bad ? -1 : 0;
}

/* ==== Output ==== */

struct out {
	char *buf;
	size_t used;
	uint64_t bytes;
};

static int
flush_out(struct out *o)
{
	if (fwrite(o->buf, 1, o->used, stdout) != o->used)
		return -1;
	o->bytes += o->used;
	o->used = 0;
	return 0;
}

/* Writes n's decimal digits, at least min of them, ending just before end;
 * returns where they start. */
static char *
put_digits(char *end, uint32_t n, int min)
{
	do {
		*--end = (char)('0' + n % 10);
		n /= 10;
		min--;
	} while (n > 0 || min > 0);
	return end;
}

/* The row by hand, not by snprintf, which would make the generator, not the
 * tools, the slowest stage of the pipe. */
static int
write_row(struct out *o, uint32_t c, const char *date, uint32_t cents,
	  unsigned region)
{
	char line[MAX_LINE], *end = line + sizeof(line), *p;
	size_t n;

	p = end;
	*--p = '\n';
	n = strlen(regions[region]);
	p -= n;
	memcpy(p, regions[region], n);
	*--p = ',';
	p = put_digits(p, cents % 100, 2);
	*--p = '.';
	p = put_digits(p, cents / 100, 1);
	*--p = ',';
	p -= 10;
	memcpy(p, date, 10);
	*--p = ',';
	p = put_digits(p, c + 1, 7);
	*--p = 'C';
	n = (size_t)(end - p);
	if (o->used + n > OUTBUF_SIZE && flush_out(o))
		return -1;
	memcpy(o->buf + o->used, p, n);
	o->used += n;
	return 0;
}

/* ==== Main ==== */

static void
usage(FILE *to)
{
	fprintf(to,
		"Usage: gen-soak [-n ROWS] [-c CUSTOMERS] [-s SEED] [-T PREFIX]\n"
		"Stream a transaction log customer_id,order_date,amount,region, in date\n"
		"order, 2023-01-01 to 2025-12-31, to standard output.\n"
		"  -n ROWS       transactions, at least CUSTOMERS (default %lu)\n"
		"  -c CUSTOMERS  customers (default %lu)\n"
		"  -s SEED       random seed (default %" PRIu64 ")\n"
		"  -T PREFIX     write the true totals to PREFIX-agg.csv,\n"
		"                PREFIX-cohort.csv and PREFIX-total.csv\n",
		DEFAULT_ROWS, DEFAULT_CUSTOMERS, DEFAULT_SEED);
}

int
main(int argc, char **argv)
{
	unsigned long rows = DEFAULT_ROWS, ncust = DEFAULT_CUSTOMERS, repeats;
	uint64_t seed = DEFAULT_SEED, state;
	const char *prefix = NULL;
	static struct day days[NDAYS];
	static struct truth truth;
	uint16_t *first = NULL;		/* per customer: first day */
	uint8_t *region = NULL, *last_month = NULL;
	uint32_t *order = NULL;		/* customers by first day */
	unsigned long start[NDAYS + 1] = { 0 }, acquired = 0, pending = 0, i;
	struct out o = { NULL, 0, 0 };
	unsigned d;
	int c, status = 1;

	while ((c = getopt(argc, argv, "n:c:s:T:h")) != -1) {
		unsigned long v;

		switch (c) {
		case 'n':
			if (parse_count(optarg, ~0UL, &rows)) {
				fprintf(stderr, "gen-soak: -n: bad count \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'c':
			if (parse_count(optarg, 9999999UL, &ncust)) {
				fprintf(stderr, "gen-soak: -c: bad count \"%s\" (1 to 9999999)\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_count(optarg, ~0UL, &v)) {
				fprintf(stderr, "gen-soak: -s: bad seed \"%s\"\n", optarg);
				return 2;
			}
			seed = v;
			break;
		case 'T':
			prefix = optarg;
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

	first = malloc(ncust * sizeof(*first));
	region = malloc(ncust);
	last_month = calloc(ncust, 1);
	order = malloc(ncust * sizeof(*order));
	o.buf = malloc(OUTBUF_SIZE);
	if (!first || !region || !last_month || !order || !o.buf) {
		fprintf(stderr, "gen-soak: out of memory\n");
		goto done;
	}
	make_calendar(days);

	/* Customers: a region, and a first day growing over the range (the
	 * later of two uniform days half of the time), from a hash of the
	 * number, then ordered by first day by a counting sort. */
	for (i = 0; i < ncust; i++) {
		uint64_t s = seed ^ ((uint64_t)i * UINT64_C(0xD6E8FEB86659FD93));
		uint32_t r = below(&s, 1000), a, b;

		for (c = 0; region_cum[c] <= r; c++)
			;
		region[i] = (uint8_t)c;
		a = below(&s, NDAYS);
		b = below(&s, NDAYS);
		first[i] = (uint16_t)(below(&s, 2) == 0 || a > b ? a : b);
		start[first[i] + 1]++;
	}
	for (d = 1; d <= NDAYS; d++)
		start[d] += start[d - 1];
	for (i = 0; i < ncust; i++)
		order[start[first[i]]++] = (uint32_t)i;	/* start[d] ends as start[d + 1] */

	o.used = (size_t)snprintf(o.buf, OUTBUF_SIZE,
				  "customer_id,order_date,amount,region\n");
	state = seed;
	repeats = rows - ncust;
	for (d = 0; d < NDAYS; d++) {
		unsigned month = days[d].month;
		/* This day's share of the repeats, exactly ROWS - CUSTOMERS in
		 * all; carried over while no customer has been acquired. */
		unsigned long today = (unsigned long)((uint64_t)repeats * (d + 1) / NDAYS -
						      (uint64_t)repeats * d / NDAYS);

		for (; acquired < start[d]; acquired++) {
			uint32_t k = order[acquired];
			uint32_t cents = 100 + below(&state, 99900);

			truth.size[month]++;
			count_purchase(&truth, last_month, k, month, region[k],
				       month, cents);
			if (write_row(&o, k, days[d].date, cents, region[k]))
				goto write_error;
		}
		pending += today;
		if (acquired == 0)
			continue;
		for (; pending > 0; pending--) {
			/* Index from the most recent customer back, by the
			 * square of a uniform: recent customers buy more. */
			uint64_t u = splitmix64(&state) >> 32;
			uint64_t back = (acquired * ((u * u) >> 32)) >> 32;
			uint32_t k = order[acquired - 1 - back];
			uint32_t cents = 100 + below(&state, 99900);

			count_purchase(&truth, last_month, k, days[first[k]].month,
				       region[k], month, cents);
			if (write_row(&o, k, days[d].date, cents, region[k]))
				goto write_error;
		}
	}
	if (flush_out(&o) || fflush(stdout) != 0)
		goto write_error;
	if (prefix && write_truth(prefix, &truth, rows, ncust, o.bytes, days)) {
		perror("gen-soak: writing the totals");
		goto done;
	}
	status = 0;
	goto done;
write_error:
	perror("gen-soak: write error");
done:
	free(first);
	free(region);
	free(last_month);
	free(order);
	free(o.buf);
	return status;
}
