/* bigmem.c - tables that grow with the input, in mappings of their own
 * (see bigmem.h). */
#include <stdint.h>
#include <stdlib.h>

#include "bigmem.h"

#include <sys/mman.h>

#define BIG_MIN ((size_t)2 << 20)
#define BIG_ALIGN ((size_t)2 << 20)

static size_t
big_size(size_t bytes)
{
	return (bytes + BIG_ALIGN - 1) & ~(BIG_ALIGN - 1);
}

void *
kpi_big_alloc(size_t bytes)
{
#if defined(MAP_ANONYMOUS)
	unsigned char *p, *a;
	size_t len;

	if (bytes >= BIG_MIN) {
		if (bytes > SIZE_MAX - 2 * BIG_ALIGN)
			return NULL;
		len = big_size(bytes);
		p = mmap(NULL, len + BIG_ALIGN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		a = (unsigned char *)(((uintptr_t)p + BIG_ALIGN - 1) &
				      ~(uintptr_t)(BIG_ALIGN - 1));
		if (a > p)
			munmap(p, (size_t)(a - p));
		if (a < p + BIG_ALIGN)
			munmap(a + len, (size_t)(p + BIG_ALIGN - a));
#if defined(MADV_HUGEPAGE)
		if (bytes >= BIG_ALIGN)
			madvise(a, bytes & ~(BIG_ALIGN - 1), MADV_HUGEPAGE);
#endif
		return a;
	}
#endif
	return calloc(1, bytes ? bytes : 1);
}

void
kpi_big_free(void *p, size_t bytes)
{
#if defined(MAP_ANONYMOUS)
	if (p && bytes >= BIG_MIN) {
		munmap(p, big_size(bytes));
		return;
	}
#endif
	free(p);
}

void
kpi_big_release(void *p, size_t bytes, size_t to, size_t *done)
{
#if defined(MAP_ANONYMOUS) && defined(MADV_DONTNEED)
	size_t end = to & ~(BIG_ALIGN - 1);

	if (bytes >= BIG_MIN && end > *done) {
		madvise((unsigned char *)p + *done, end - *done, MADV_DONTNEED);
		*done = end;
	}
#else
	(void)p;
	(void)bytes;
	(void)to;
	(void)done;
#endif
}
