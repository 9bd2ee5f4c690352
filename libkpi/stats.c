/* stats.c - placeholder until implemented. */
#include "kpi/stats.h"
