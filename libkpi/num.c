/* num.c - placeholder until implemented. */
#include "kpi/num.h"
