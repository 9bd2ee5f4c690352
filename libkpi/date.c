/* date.c - placeholder until implemented. */
#include "kpi/date.h"
