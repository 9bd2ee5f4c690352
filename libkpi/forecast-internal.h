/* forecast-internal.h - entry points the model families share with each
 * other and with their unit tests, never installed.  One section per file
 * (kpi/forecast.h holds the public interface). */
#ifndef KPI_FORECAST_INTERNAL_H
#define KPI_FORECAST_INTERNAL_H

#include <stddef.h>

#include "kpi/forecast.h"

/* ==== forecast-arima.c ==== */

/* A seasonal ARIMA(p,d,q)(P,D,Q)[spec->m] order; constant adds a mean when
 * d + D = 0 and a drift when d + D = 1 (ignored otherwise), as
 * forecast::Arima(include.constant = TRUE). */
struct kpi_arima_order {
	int p, d, q;
	int P, D, Q;
	int constant;
};

/* Fit one order as R's stats::arima(method = "CSS-ML") within
 * forecast::Arima() and forecast spec->horizon steps, filling *out as
 * kpi_fc_arima() does.  KPI_EINVAL when the order cannot be fitted (too
 * few values, non-stationary start, optimiser failure). */
enum kpi_status kpi_fc_arima_order(const double *y, size_t n,
				   const struct kpi_fc_spec *spec,
				   const struct kpi_arima_order *order,
				   struct kpi_fc_result *out,
				   struct kpi_error *err);

#endif
