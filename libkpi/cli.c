/* cli.c - placeholder until implemented. */
#include "kpi/cli.h"
