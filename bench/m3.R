# m3.R - R's forecast package on the M3 series, scored like kpi-forecast's
# --backtest (sMAPE, MASE, 95% coverage, MSIS), for bench/m3.sh --with-r.
# Usage: Rscript bench/m3.R M3DIR FREQS METHODS CORES
# Writes CSV rows without a header to standard output:
#   R,method,frequency,series,points,smape,mase,coverage95,msis95,wall,cpu
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
freqs <- strsplit(args[2], ",")[[1]]
methods <- strsplit(args[3], ",")[[1]]
cores <- as.integer(args[4])
suppressMessages(library(forecast))
library(parallel)

season <- c(yearly = 1, quarterly = 4, monthly = 12, other = 1)
horizon <- c(yearly = 6, quarterly = 8, monthly = 18, other = 8)

fit <- function(method, x, h) {
	switch(method,
	       ets = forecast(ets(x), h = h, level = 95),
	       theta = thetaf(x, h = h, level = 95),
	       arima = forecast(auto.arima(x), h = h, level = 95),
	       naive = naive(x, h = h, level = 95),
	       snaive = snaive(x, h = h, level = 95),
	       stop("unknown method ", method))
}

# The measures of kpi/series.h for one series: sMAPE (M3), MASE and MSIS
# scaled by the in-sample mean absolute difference at lag m (lag 1 when
# m = 1 or the series is not longer than m), coverage of the 95% interval.
score <- function(x, y, fc, m) {
	f <- as.numeric(fc$mean)
	lo <- as.numeric(fc$lower)
	hi <- as.numeric(fc$upper)
	lag <- if (m > 1 && length(x) > m) m else 1
	s <- mean(abs(diff(as.numeric(x), lag = lag)))
	a <- 0.05
	c(smape = mean(200 * abs(y - f) / (abs(y) + abs(f))),
	  mase = mean(abs(y - f)) / s,
	  coverage = 100 * mean(y >= lo & y <= hi),
	  msis = mean((hi - lo) + 2 / a * (lo - y) * (y < lo) +
		      2 / a * (y - hi) * (y > hi)) / s)
}

for (fr in freqs) {
	tr <- read.csv(file.path(dir, sprintf("m3_%s_train.csv", fr)))
	te <- read.csv(file.path(dir, sprintf("m3_%s_test.csv", fr)))
	tr <- tr[order(tr$series, tr$period), ]
	te <- te[order(te$series, te$period), ]
	train <- split(tr$value, tr$series)
	test <- split(te$value, te$series)
	ids <- names(train)
	m <- season[[fr]]
	h <- horizon[[fr]]
	for (method in methods) {
		t0 <- proc.time()
		res <- mclapply(ids, function(id) {
			x <- ts(train[[id]], frequency = m)
			score(x, test[[id]], fit(method, x, h), m)
		}, mc.cores = cores)
		el <- proc.time() - t0
		r <- do.call(rbind, res)
		cpu <- sum(el[c(1, 2, 4, 5)], na.rm = TRUE)
		cat(sprintf("R,%s,%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.2f,%.1f\n",
			    method, fr, nrow(r), nrow(r) * h, mean(r[, "smape"]),
			    mean(r[, "mase"]), mean(r[, "coverage"]),
			    mean(r[, "msis"]), el[["elapsed"]], cpu))
	}
}
