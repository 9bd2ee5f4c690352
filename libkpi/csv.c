/* csv.c - placeholder until implemented. */
#include "kpi/csv.h"
