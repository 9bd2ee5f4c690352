/* kpi/scale.h - the axes of a chart: linear scales, tick values at round
 * numbers, ticks on period boundaries, and their labels. */
#ifndef KPI_SCALE_H
#define KPI_SCALE_H

#include <stddef.h>

#include "kpi/date.h"

/* A linear map of the domain [d0, d1] onto the range [r0, r1] (pixels; r0 >
 * r1 for a vertical axis that grows upwards). */
struct kpi_scale {
	double d0, d1;
	double r0, r1;
};

/* The pixel of x; the middle of the range when the domain is one point. */
double kpi_scale_map(const struct kpi_scale *s, double x);

/* Heckbert's "nice number" (Graphics Gems, 1990): a number of the form
 * {1, 2, 5, 10} x 10^k close to x > 0.  round != 0 picks the nearest (for a
 * tick step), round == 0 the smallest not below x (for a range). */
double kpi_nice_num(double x, int round);

/* Tick values lo, lo + step, ..., hi at round numbers around [min, max]
 * (Heckbert's loose labelling): lo <= min and hi >= max are multiples of
 * step, and there are about `want` ticks (want >= 2).  A one-point domain
 * is widened first (to [0, 1] around 0, else by half its size each way). */
struct kpi_ticks {
	double lo, hi, step;
	size_t n;		/* number of ticks: (hi - lo) / step + 1 */
};

void kpi_ticks_nice(double min, double max, int want, struct kpi_ticks *t);
/* Tick i (0-based), computed as lo + i * step and snapped to the step's
 * precision so that 0.1 + 0.2 prints as 0.3. */
double kpi_ticks_value(const struct kpi_ticks *t, size_t i);

/* A value axis over data from min to max: its ends lo and hi, and its
 * ticks (draw those within [lo, hi]).  A free end holds zero (a bar starts
 * there, and a line far from zero should not look like a steep change) and
 * is the outer nice tick (kpi_ticks_nice() over the data and zero, `want`
 * ticks, or the next finer nice step when its outer ticks span less and
 * number at most want + 1); except that data spilling past zero by less than one tick step,
 * on the side opposite its bulk (the lower bound of an interval around
 * bookings), ends its axis at the next quarter step past the data instead
 * of a whole step away.  A fixed end (fix_lo, fix_hi non-NULL) is the end
 * whatever the data; the ticks are then nice ticks over [lo, hi].
 * Non-finite min or max count as 0. */
struct kpi_axis {
	double lo, hi;
	struct kpi_ticks ticks;
};

void kpi_axis_value(double min, double max, int want, const double *fix_lo,
		    const double *fix_hi, struct kpi_axis *a);

/* Longest label kpi_scale_label() writes, NUL included. */
#define KPI_LABEL_BUFSZ 48

/* A value as a short label with an SI suffix: k (10^3), M (10^6), G (10^9),
 * T (10^12) when |x| >= 1000, so 1500 is "1.5k", 2000000 "2M", 250 "250".
 * With step > 0 (a tick label) the decimals are those the step needs
 * (ticks 0, 2500, 5000 give "0", "2.5k", "5k"); with step == 0 the value
 * keeps three significant digits (1234 is "1.23k").  Trailing zeros are
 * dropped.  percent != 0 writes x as a percentage ("12.5%").  NaN and
 * infinities give "".  Returns the length. */
size_t kpi_scale_label(double x, double step, int percent, char *buf);

/* ==== Dates ==== */

#define KPI_DATE_TICKS_MAX 64

/* Ticks on period boundaries for a date axis from day d0 to day d1 drawn
 * over width_px pixels: the finest of days, ISO weeks, months, quarters,
 * half years, years, and 2, 5, 10, 20, 50, 100... years whose labels (the
 * period labels of kpi(7): "2026-11-23", "2026-W48", "2026-11", "2026-Q4",
 * "2026") of char_px pixels per character keep a gap of at least gap_px.
 * Ticks are the period starts within [d0, d1]; a domain of one day gets
 * that day.  At most KPI_DATE_TICKS_MAX ticks. */
struct kpi_date_ticks {
	enum kpi_period_unit unit;	/* of the labels */
	int every;			/* every n-th period of unit (years) */
	size_t n;
	long day[KPI_DATE_TICKS_MAX];
};

void kpi_date_ticks(long d0, long d1, double width_px, double char_px,
		    double gap_px, struct kpi_date_ticks *t);

/* The label of tick i ("2026-Q4"; KPI_DATE_BUFSZ bytes).  Returns the
 * length. */
size_t kpi_date_ticks_label(const struct kpi_date_ticks *t, size_t i,
			    char *buf);

/* The coarsest period unit whose starts all the n days are (year, quarter,
 * month, ISO week, else day), for labelling dates that are periods. */
enum kpi_period_unit kpi_period_unit_of(const long *days, size_t n);

#endif
