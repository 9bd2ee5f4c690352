/* gen-util.h - what the data generators of bench/ share: reproducible
 * random numbers and the parsing of their counts.  Header-only; each
 * generator is one C file. */
#ifndef KPI_BENCH_GEN_UTIL_H
#define KPI_BENCH_GEN_UTIL_H

#include <stdint.h>
#include <stdlib.h>

/* splitmix64 (Steele, Lea & Flood 2014; constants as in Vigna's reference
 * code): one 64-bit add and a finaliser, good enough for test data and
 * the same on every platform. */
static inline uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z;

	*state += UINT64_C(0x9E3779B97F4A7C15);
	z = *state;
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform integer in [0, n), n > 0, by Lemire's multiply-shift (the bias
 * is below 2^-32 for the n used here, and the result is reproducible). */
static inline uint32_t
below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(((splitmix64(state) >> 32) * (uint64_t)n) >> 32);
}

/* A count option: decimal digits only, 1 to max; 0 on success. */
static inline int
parse_count(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

#endif
