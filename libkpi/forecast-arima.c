/* forecast-arima.c - not written yet: the method reports that it cannot fit,
 * and auto leaves it out.  See kpi/forecast.h. */
#include "kpi/forecast.h"

enum kpi_status
kpi_fc_arima(const double *y, size_t n, const struct kpi_fc_spec *spec,
	    struct kpi_fc_result *out, struct kpi_error *err)
{
	(void)y; (void)n; (void)spec; (void)out;
	return kpi_error_set(err, KPI_EINVAL, 0,
			     "this method is not available in this build yet");
}
