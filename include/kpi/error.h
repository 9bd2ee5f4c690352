/* kpi/error.h - status codes and the error detail every libkpi call can fill.
 *
 * Rules that hold for the whole library:
 *  - functions that can fail return enum kpi_status (KPI_OK == 0) and write
 *    results through out-parameters, which are left untouched on error;
 *  - a struct kpi_error *, when non-NULL, receives a human-readable message,
 *    the physical input line and the column the message is about; the
 *    library never prints, never exits and never reads argv;
 *  - input arrays and strings are borrowed (const), never freed or kept.
 */
#ifndef KPI_ERROR_H
#define KPI_ERROR_H

#include <stddef.h>

/* Never renumbered: tools map them to exit statuses. */
enum kpi_status {
	KPI_OK = 0,
	KPI_EINVAL,	/* bad argument or option value */
	KPI_ENOMEM,	/* allocation failed or a size cap was hit */
	KPI_EPARSE,	/* malformed input: CSV structure, number, date */
	KPI_EIO,	/* read or write error */
	KPI_ENUMERIC,	/* a computation has no finite answer */
	KPI_ESTOP,	/* a callback asked to stop early; not an error */
};

#define KPI_ERROR_MSG_MAX 256
#define KPI_ERROR_COLUMN_MAX 128

struct kpi_error {
	enum kpi_status status;
	unsigned long line;		/* physical line, 1-based; 0 = none */
	char column[KPI_ERROR_COLUMN_MAX]; /* column name; "" = none */
	char msg[KPI_ERROR_MSG_MAX];	/* what is wrong, without position */
};

/* A static description of a status; never NULL. */
const char *kpi_strerror(enum kpi_status st);

/* Fill err (when non-NULL) with st, line and a printf-style message, clear its
 * column, and return st, so that an early return is one line:
 *   return kpi_error_set(err, KPI_EPARSE, line, "\"%s\" is not a number", s);
 * The position stays out of the message: the tool adds it. */
enum kpi_status kpi_error_set(struct kpi_error *err, enum kpi_status st,
			      unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Name the column an error is about (when err is non-NULL); returns st. */
enum kpi_status kpi_error_column(struct kpi_error *err, enum kpi_status st,
				 const char *column);

/* Reset err to "no error". */
void kpi_error_clear(struct kpi_error *err);

/* Call once before any other libkpi function: turns GSL's abort-on-error
 * handler off so that numerical failures come back as status codes. */
void kpi_init(void);

#endif
