/* plot-todo.c - temporary: chart types not drawn yet. */
#include "plot-internal.h"

#define TODO(name)							\
enum kpi_status plot_##name##_header(struct kpi_plot *p,		\
	const struct kpi_csv_header *h, struct kpi_error *err)		\
{ return kpi_error_set(err, KPI_EINVAL, 0, #name ": not drawn yet"); } \
enum kpi_status plot_##name##_write(struct kpi_plot *p,		\
	struct kpi_svg *svg, struct kpi_error *err)			\
{ return KPI_EINVAL; }
TODO(fan)
TODO(heatmap)
TODO(waterfall)
