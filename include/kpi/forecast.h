/* kpi/forecast.h - forecasting one regular time series: the models, their
 * fitting, prediction intervals and automatic selection.
 *
 * A series here is a plain array of n doubles, equally spaced, oldest
 * first, with a seasonal period m (1 = no seasonality, 4 quarterly, 12
 * monthly, 52 weekly).  Turning CSV rows into such arrays (periods, keys,
 * gaps) is kpi/series.h's job.  Every model fills the same result struct,
 * so the tool, the backtest and the automatic choice treat them alike.
 *
 * Models and the references they follow:
 *   naive, snaive, drift, mean    Hyndman & Athanasopoulos, FPP3 5.2, 5.5
 *   ses, holt, damped, hw, hwm    fixed ETS specifications (below)
 *   ets                           Hyndman, Koehler, Ord & Snyder (2008),
 *                                 R forecast::ets: ML fit, admissible
 *                                 parameters, selection by AICc
 *   theta                         Assimakopoulos & Nikolopoulos (2000), as
 *                                 R forecast::thetaf (Hyndman & Billah 2003)
 *   arima                         Hyndman & Khandakar (2008), auto.arima
 *   croston, sba, tsb             Croston (1972); Syntetos & Boylan (2005);
 *                                 Teunter, Syntetos & Babai (2011)
 *   tslm                          linear trend + seasonal dummies (OLS)
 *   dotm                          Fiorucci, Pellegrini, Louzada, Petropoulos
 *                                 & Koehler (2016), as R forecTheta::dotm
 *   ces                           Svetunkov, Kourentzes & Ord (2022), as R
 *                                 smooth::auto.ces
 *   auto                          see kpi_fc_auto in forecast-auto.c
 */
#ifndef KPI_FORECAST_H
#define KPI_FORECAST_H

#include <stddef.h>

#include "kpi/error.h"

enum kpi_fc_method {
	KPI_FC_AUTO = 0,
	KPI_FC_NAIVE,
	KPI_FC_SNAIVE,
	KPI_FC_DRIFT,
	KPI_FC_MEAN,
	KPI_FC_SES,		/* ETS(A,N,N) */
	KPI_FC_HOLT,		/* ETS(A,A,N) */
	KPI_FC_DAMPED,		/* ETS(A,Ad,N) */
	KPI_FC_HW,		/* ETS(A,A,A), additive Holt-Winters */
	KPI_FC_HWM,		/* ETS(M,A,M), multiplicative Holt-Winters */
	KPI_FC_ETS,		/* automatic ETS, or the spec in ets_spec */
	KPI_FC_THETA,
	KPI_FC_ARIMA,
	KPI_FC_CROSTON,
	KPI_FC_SBA,
	KPI_FC_TSB,
	KPI_FC_TSLM,
	KPI_FC_DOTM,		/* dynamic optimised theta */
	KPI_FC_CES,		/* complex exponential smoothing */
	KPI_FC_NMETHODS,
};

/* "auto", "naive", ... (as in the enum, lower case) to a method. */
enum kpi_status kpi_fc_method_parse(const char *s, enum kpi_fc_method *out,
				    struct kpi_error *err);
const char *kpi_fc_method_name(enum kpi_fc_method m);

#define KPI_FC_MAX_LEVELS 8
#define KPI_FC_MAX_PARAMS 32

/* What to fit and forecast. */
struct kpi_fc_spec {
	enum kpi_fc_method method;
	int m;			/* seasonal period, >= 1 */
	int horizon;		/* steps ahead, >= 1 */
	double levels[KPI_FC_MAX_LEVELS];	/* e.g. 0.80, 0.95 */
	size_t nlevels;
	/* ETS: "ZZZ" (select), or e.g. "MAdM", "ANN", "AAdN": error, trend
	 * (N, A, Ad; Z = select), season (N, A, M; Z = select).  NULL = "ZZZ". */
	const char *ets_spec;
	unsigned long seed;	/* simulated intervals */
	int nsim;		/* simulated paths; 0 = default (e.g. 5000) */
	/* Fit the method to the seasonally adjusted series, with m = 1,
	 * and put the season back (kpi_fc_adjusted()).  0 = no. */
	int seasonal_adjust;
};

/* One fitted model and its forecasts.  Arrays are owned by the result and
 * freed by kpi_fc_result_free(); a zeroed struct is "empty". */
struct kpi_fc_result {
	char model[128];	/* e.g. "ETS(M,Ad,N)", "Theta", "ARIMA(0,1,1)" */
	int h;			/* horizon */
	size_t n;		/* observations fitted */
	size_t nlevels;
	double levels[KPI_FC_MAX_LEVELS];
	double *mean;		/* [h] point forecasts */
	double *lo, *hi;	/* [nlevels * h]: lo[l * h + i] */
	double *fitted;		/* [n] one-step in-sample fits (NaN where none) */
	/* Information criteria and scale; NaN where the model has none. */
	double loglik, aic, aicc, bic, sigma2;
	size_t nparam;
	char param_name[KPI_FC_MAX_PARAMS][16];	/* "alpha", "beta", "phi", ... */
	double param[KPI_FC_MAX_PARAMS];
};

void kpi_fc_result_free(struct kpi_fc_result *r);

/* Fit spec->method to y[0..n-1] and forecast spec->horizon steps with
 * intervals at spec->levels.  y must hold finite values (the caller fills or
 * refuses gaps).  A model that cannot be fitted to this series (too short,
 * multiplicative with values <= 0, constant where that matters) is
 * KPI_EINVAL with the reason in err->msg; auto never fails that way for
 * n >= 1, it falls back.  *out is filled only on success. */
enum kpi_status kpi_forecast(const double *y, size_t n,
			     const struct kpi_fc_spec *spec,
			     struct kpi_fc_result *out, struct kpi_error *err);

/* ==== Model families (one file each), called by kpi_forecast() ==== */
/* kpi_forecast() has validated y, n, m, horizon and levels before it calls a
 * family, hands it a zeroed *out, and on an error status frees whatever the
 * family left in *out with kpi_fc_result_free() (so a family may return
 * early without cleaning up, as long as it does not free arrays itself
 * without clearing their pointers).  On success it checks that every point
 * forecast is finite. */

/* Allocate out->mean, lo, hi (for h and nlevels) and fitted (n), set h, n,
 * levels and NaN criteria.  For model implementations. */
enum kpi_status kpi_fc_result_alloc(struct kpi_fc_result *out, size_t n,
				    const struct kpi_fc_spec *spec,
				    struct kpi_error *err);

/* naive, snaive, drift, mean, croston, sba, tsb, tslm (forecast-simple.c) */
enum kpi_status kpi_fc_simple(const double *y, size_t n,
			      const struct kpi_fc_spec *spec,
			      struct kpi_fc_result *out, struct kpi_error *err);
/* ses, holt, damped, hw, hwm, ets (forecast-ets.c) */
enum kpi_status kpi_fc_ets(const double *y, size_t n,
			   const struct kpi_fc_spec *spec,
			   struct kpi_fc_result *out, struct kpi_error *err);
/* theta (forecast-theta.c) */
enum kpi_status kpi_fc_theta(const double *y, size_t n,
			     const struct kpi_fc_spec *spec,
			     struct kpi_fc_result *out, struct kpi_error *err);
/* arima (forecast-arima.c) */
enum kpi_status kpi_fc_arima(const double *y, size_t n,
			     const struct kpi_fc_spec *spec,
			     struct kpi_fc_result *out, struct kpi_error *err);
/* dotm (forecast-dotm.c) */
enum kpi_status kpi_fc_dotm(const double *y, size_t n,
			    const struct kpi_fc_spec *spec,
			    struct kpi_fc_result *out, struct kpi_error *err);
/* ces (forecast-ces.c) */
enum kpi_status kpi_fc_ces(const double *y, size_t n,
			   const struct kpi_fc_spec *spec,
			   struct kpi_fc_result *out, struct kpi_error *err);
/* Any method on the seasonally adjusted series (forecast-adjust.c):
 * spec->method fitted with m = 1 to y divided by the classical
 * multiplicative seasonal indices when theta's 90% seasonality test passes
 * (to y itself otherwise), its forecasts, bounds and fitted values
 * multiplied back by the indices, " (seasonally adjusted)" added to the
 * model name.  kpi_forecast() calls it when spec->seasonal_adjust is set. */
enum kpi_status kpi_fc_adjusted(const double *y, size_t n,
				const struct kpi_fc_spec *spec,
				struct kpi_fc_result *out,
				struct kpi_error *err);
/* auto (forecast-auto.c) */
enum kpi_status kpi_fc_auto(const double *y, size_t n,
			    const struct kpi_fc_spec *spec,
			    struct kpi_fc_result *out, struct kpi_error *err);

/* ==== Helpers (forecast.c) ==== */

/* A spec with defaults: method auto, m = 1, horizon 1, levels 80 and 95,
 * ets_spec NULL, seed 42, nsim 0. */
void kpi_fc_spec_init(struct kpi_fc_spec *spec);

/* Check an ETS specification: three letters error (A, M, Z), trend (N, A,
 * Ad, Z), season (N, A, M, Z), as "ANN", "MAdM", "ZZZ".  KPI_EINVAL with a
 * message otherwise. */
enum kpi_status kpi_fc_ets_spec_check(const char *s, struct kpi_error *err);

/* Symmetric intervals around r->mean: for every level l and step i,
 * lo/hi = mean[i] -/+ q * se[i], q the (1 + level) / 2 quantile of the
 * standard normal (df <= 0) or of Student's t with df degrees of freedom.
 * A NaN or infinite se[i] gives NaN bounds for that step. */
void kpi_fc_intervals_symmetric(struct kpi_fc_result *r, const double *se,
				double df);

/* Deep copy of src into *dst (which is overwritten, not freed). */
enum kpi_status kpi_fc_result_copy(struct kpi_fc_result *dst,
				   const struct kpi_fc_result *src,
				   struct kpi_error *err);

/* Append "name" = value to r's parameters; ignored when all
 * KPI_FC_MAX_PARAMS slots are taken.  The name is cut to 15 bytes. */
void kpi_fc_result_param(struct kpi_fc_result *r, const char *name,
			 double value);

#endif
