/* group.c - placeholder until implemented. */
#include "kpi/group.h"
