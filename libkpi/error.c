/* error.c - status strings, error filling and library initialisation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "kpi/error.h"

const char *
kpi_strerror(enum kpi_status st)
{
	switch (st) {
	case KPI_OK:		return "success";
	case KPI_EINVAL:	return "invalid argument";
	case KPI_ENOMEM:	return "out of memory";
	case KPI_EPARSE:	return "malformed input";
	case KPI_EIO:		return "input/output error";
	case KPI_ENUMERIC:	return "numerical failure";
	case KPI_ESTOP:		return "stopped";
	}
	return "unknown error";
}

enum kpi_status
kpi_error_set(struct kpi_error *err, enum kpi_status st, unsigned long line,
	      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return st;
	err->status = st;
	err->line = line;
	err->column[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return st;
}

enum kpi_status
kpi_error_column(struct kpi_error *err, enum kpi_status st, const char *column)
{
	if (err && column)
		snprintf(err->column, sizeof(err->column), "%s", column);
	return st;
}

void
kpi_error_clear(struct kpi_error *err)
{
	if (!err)
		return;
	err->status = KPI_OK;
	err->line = 0;
	err->column[0] = '\0';
	err->msg[0] = '\0';
}

void
kpi_init(void)
{
	/* GSL's default handler calls abort(); a library must not. */
	gsl_set_error_handler_off();
}
