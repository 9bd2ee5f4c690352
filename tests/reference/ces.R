# ces.R - an independent reference for libkpi/forecast-ces.c, written in R
# from the equations of Svetunkov, Kourentzes & Ord (2022), "Complex
# exponential smoothing", Naval Research Logistics, section 4 (forms N, S,
# P, F), with the estimation kpi-forecast(1) documents: SSE of the scored
# pass after backcasting (forward, backward, forward), R's optim()
# Nelder-Mead from a0 = 1.3, a1 = 1, b0 = 0.1 (P) or 1.3 (F), b1 = 1,
# the admissible region of smooth (stable complex pairs, 0 < b0 < 2 for P,
# no box bounds); the form by AICc.  The
# interval bounds take the error responses by finite differences of the
# whole forecast path, not by the C code's recursion of deviations.
# R's smooth package (auto.ces) is not installed here; it is not in Debian.
# Not run by the tests: tests/test_forecast_ces.c holds its output (R 4.2.2):
#   Rscript -e 'source("tests/reference/ces.R"); options(digits = 15);
#               str(ces_ref(Nile, 1, 5))'
ces_form_np <- c(N = 2, S = 2, P = 3, F = 4)
ces_stable <- function(x0, x1) {
  D <- matrix(c(1 - x0 + x1, 1 - x0 - x1, x1 - 1, 1 - x0), 2)
  all(Mod(eigen(D, only.values = TRUE)$values) < 1)
}
ces_ok <- function(form, p) {
  ok <- ces_stable(p[1], p[2])
  if (form == "P") ok <- ok && p[3] > 0 && p[3] < 2
  if (form == "F") ok <- ok && ces_stable(p[3], p[4])
  ok
}
# One pass over x from st = list(l, c, sa, sb), then `extra` steps ahead
# with the errors eps; returns the end state, the SSE and the one-step
# predictions followed by the path.  Time t uses ring slot (t mod m) + 1.
ces_pass <- function(form, p, x, m, st, extra = 0, eps = NULL) {
  n <- length(x); fit <- numeric(n + extra); sse <- 0
  l <- st$l; cc <- st$c; sa <- st$sa; sb <- st$sb
  for (t in 0:(n + extra - 1)) {
    k <- (t %% m) + 1
    f <- switch(form, N = l, S = sa[k], l + sa[k])
    yy <- if (t < n) x[t + 1] else f + (if (is.null(eps)) 0 else eps[t - n + 1])
    fit[t + 1] <- if (t < n) f else yy   # a forecast path holds its values
    e <- yy - f
    sse <- sse + if (t < n) e^2 else 0
    if (form == "S") {
      a <- sa[k]; b <- sb[k]
      sa[k] <- a - (1 - p[2]) * b + (p[1] - p[2]) * e
      sb[k] <- a + (1 - p[1]) * b + (p[1] + p[2]) * e
    } else {
      l0 <- l
      l <- l0 - (1 - p[2]) * cc + (p[1] - p[2]) * e
      cc <- l0 + (1 - p[1]) * cc + (p[1] + p[2]) * e
    }
    if (form == "P") sa[k] <- sa[k] + p[3] * e
    if (form == "F") {
      a <- sa[k]; b <- sb[k]
      sa[k] <- a - (1 - p[4]) * b + (p[3] - p[4]) * e
      sb[k] <- a + (1 - p[3]) * b + (p[3] + p[4]) * e
    }
  }
  list(l = l, c = cc, sa = sa, sb = sb, sse = sse, fit = fit)
}
ces_turn <- function(st, n, m) {
  idx <- ((n - 1 - (0:(m - 1))) %% m) + 1
  list(l = st$l, c = st$c, sa = st$sa[idx], sb = st$sb[idx])
}
ces_start <- function(form, x, m) {
  k <- min(10, length(x)); if (form != "N") k <- max(k, m)
  mu <- mean(x[1:k]); sa <- sb <- rep(0, m)
  if (form == "S") { sa <- x[1:m]; sb <- x[1:m] / 1.1 }
  if (form %in% c("P", "F")) {
    sa <- 0.5 * ((x[1:m] - mean(x[1:m])) + (x[m + 1:m] - mean(x[m + 1:m])))
    sb <- sa / 1.1
  }
  list(l = mu, c = mu / 1.1, sa = sa, sb = sb)
}
ces_backcast <- function(form, p, x, m) {
  n <- length(x)
  s <- ces_pass(form, p, x, m, ces_start(form, x, m))
  s <- ces_pass(form, p, rev(x), m, ces_turn(s, n, m))
  ces_turn(s, n, m)
}
ces_fit_form <- function(form, x, m) {
  if (form == "N") m <- 1
  v <- c(1.3, 1, if (form == "P") 0.1 else 1.3, 1)[1:ces_form_np[[form]]]
  obj <- function(p) if (!ces_ok(form, p)) Inf else
    ces_pass(form, p, x, m, ces_backcast(form, p, x, m))$sse
  o <- optim(v, obj, method = "Nelder-Mead")
  n <- length(x); k <- ces_form_np[[form]] + 1
  ll <- -0.5 * n * (log(2 * pi * o$value / n) + 1)
  list(form = form, m = m, par = o$par, sse = o$value, loglik = ll,
       aicc = -2 * ll + 2 * k + 2 * k * (k + 1) / (n - k - 1))
}
ces_ref <- function(y, m, h, level = 0.95) {
  x <- as.numeric(y); n <- length(x)
  forms <- if (m > 1 && n >= 2 * m) c("N", "S", "P", "F") else "N"
  fits <- lapply(forms, ces_fit_form, x = x, m = m)
  best <- fits[[which.min(sapply(fits, `[[`, "aicc"))]]
  f <- best$form; mm <- best$m; p <- best$par
  st <- ces_backcast(f, p, x, mm)
  path <- function(eps) ces_pass(f, p, x, mm, st, h, eps)$fit[n + 1:h]
  mean <- path(rep(0, h))
  psi <- sapply(1:h, function(j) { e <- rep(0, h); e[j] <- 1; path(e) - mean })
  sigma <- sqrt(best$sse / (n - ces_form_np[[f]]))
  se <- sigma * sqrt(rowSums(psi^2)); z <- qnorm(0.5 + level / 2)
  list(form = f, par = p, aicc = best$aicc, sigma = sigma, mean = mean,
       lo = mean - z * se, hi = mean + z * se,
       aiccs = sapply(fits, `[[`, "aicc"))
}
