/* kpi/cli.h - placeholder. */
#ifndef KPI_CLI_H
#define KPI_CLI_H
#include "kpi/error.h"
#endif
