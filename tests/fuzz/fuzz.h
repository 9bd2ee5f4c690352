/* fuzz.h - what every libFuzzer harness under tests/fuzz shares.
 *
 * A harness defines LLVMFuzzerTestOneInput().  Built with clang and
 * -fsanitize=fuzzer it is a fuzzer; linked with replay.c by any compiler it
 * replays files (the seed corpus and the kept crash inputs) as a test.  An
 * invariant that does not hold is a finding: FUZZ_CHECK says which one and
 * aborts, as a sanitizer report would. */
#ifndef KPI_FUZZ_H
#define KPI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...) do {					\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

/* Copy `size` bytes into a fresh NUL-terminated string (a field as the CSV
 * reader hands it over: C strings hold no NUL, so the copy stops at the
 * first one).  Never NULL: out of memory aborts. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	size_t i;

	if (!s)
		abort();
	for (i = 0; i < size && data[i]; i++)
		s[i] = (char)data[i];
	s[i] = '\0';
	return s;
}

#endif
