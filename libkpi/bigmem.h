/* bigmem.h - tables that grow with the input: group indexes and records,
 * the id map, the funnel's deals.  Never installed.
 *
 * They are read at random.  From 2 MiB up each gets a mapping of its own:
 *  - its pages come zeroed and are backed only once touched, so the unused
 *    tail of a table costs address space, not memory, and a table being
 *    rebuilt bigger can give back the old one's pages as it leaves them;
 *  - it is aligned to transparent huge pages, and its whole huge pages are
 *    advised for them where the system has them (Linux), so that a lookup
 *    misses the TLB less; the last part of a huge page, which a table
 *    filled from its start may never reach, stays in small pages, so that
 *    touching it does not back 2 MiB at once.
 * Smaller ones, and all of them where there is no anonymous mmap(), come
 * from calloc(). */
#ifndef KPI_BIGMEM_H
#define KPI_BIGMEM_H

#include <stddef.h>

/* A zeroed block of bytes; NULL when out of memory.  Free with
 * kpi_big_free() of the same size. */
void *kpi_big_alloc(size_t bytes);
void kpi_big_free(void *p, size_t bytes);

/* A table of `bytes` from kpi_big_alloc() that is being read from the start
 * for the last time has been read up to `to`: give back the pages before
 * it, in whole huge-page steps, *done being how far that went already. */
void kpi_big_release(void *p, size_t bytes, size_t to, size_t *done);

#endif
