# dotm.R - an independent reference for libkpi/forecast-dotm.c, written in
# R from the equations of Fiorucci, Pellegrini, Louzada, Petropoulos &
# Koehler (2016), IJF 32(4), section 3, fitted as the authors' package
# forecTheta::dotm() fits them (not installed here; it is not in Debian):
# SSE of the errors t = 3..n divided by mean |y|, R's optim() Nelder-Mead
# from (y_1 / 2, 0.5, 2).  The bounds take the psi weights by finite
# differences of the whole forecast path (an innovation added to the j-th
# forecast), an approach independent of the C code's linearised recursion.
# Not run by the tests: tests/test_forecast_dotm.c holds its output (R 4.2.2):
#   Rscript -e 'source("tests/reference/dotm.R"); options(digits = 15);
#               print(dotm_ref(Nile, 5, FALSE)); print(dotm_bounds(Nile, 5, FALSE, 0.95))'
dotm_ref <- function(y, h, adjust) {
  n <- length(y); m <- frequency(y); fig <- rep(1, n + h)
  x <- as.numeric(y)
  if (adjust) {
    d <- decompose(y, type = "multiplicative")$figure
    fig <- d[((0:(n + h - 1)) %% m) + 1]
    x <- x / fig[1:n]
  }
  cte <- mean(abs(x))
  run <- function(par, ext) {
    l0 <- par[1]; a <- par[2]; th <- par[3]
    N <- if (ext) n + h else n
    xx <- c(x, rep(NA, h)); mu <- numeric(N)
    ell <- a * xx[1] + (1 - a) * l0; my <- xx[1]; A <- xx[1]; B <- 0; mu[1] <- xx[1]
    for (i in 1:(N - 1)) {
      mu[i + 1] <- ell + (1 - 1/th) * (A * (1 - a)^i + B * (1 - (1 - a)^(i + 1)) / a)
      if (i >= n) xx[i + 1] <- mu[i + 1]
      ell <- a * xx[i + 1] + (1 - a) * ell
      Bn <- ((i - 1) * B + 6 * (xx[i + 1] - my) / (i + 1)) / (i + 2)
      my <- (i * my + xx[i + 1]) / (i + 1)
      B <- Bn; A <- my - B * (i + 2) / 2
    }
    mu
  }
  sse <- function(par) {
    if (par[1] < -1e10 || par[1] > 1e10 || par[2] < 0.1 || par[2] > 0.99 ||
        par[3] < 1 || par[3] > 1e10) return(1e300)
    mu <- run(par, FALSE); sum(((x - mu) / cte)[3:n]^2)
  }
  o <- optim(c(x[1] / 2, 0.5, 2), sse, method = "Nelder-Mead")
  mu <- run(o$par, TRUE)
  list(par = o$par, value = o$value, mean = mu[(n + 1):(n + h)] * fig[(n + 1):(n + h)],
       sigma = sd((x - mu[1:n])[3:n]))
}
# Interval reference: psi weights by finite differences of the whole
# forecast path (an innovation e_j added to the j-th forecast value).
dotm_path <- function(x, par, h, eps) {
  n <- length(x); l0 <- par[1]; a <- par[2]; th <- par[3]
  xx <- c(x, rep(NA, h))
  ell <- a * xx[1] + (1 - a) * l0; my <- xx[1]; A <- xx[1]; B <- 0
  for (i in 1:(n + h - 1)) {
    mu <- ell + (1 - 1/th) * (A * (1 - a)^i + B * (1 - (1 - a)^(i + 1)) / a)
    if (i >= n) xx[i + 1] <- mu + eps[i + 1 - n]
    ell <- a * xx[i + 1] + (1 - a) * ell
    Bn <- ((i - 1) * B + 6 * (xx[i + 1] - my) / (i + 1)) / (i + 2)
    my <- (i * my + xx[i + 1]) / (i + 1)
    B <- Bn; A <- my - B * (i + 2) / 2
  }
  xx[(n + 1):(n + h)]
}
dotm_bounds <- function(y, h, adjust, level) {
  r <- dotm_ref(y, h, adjust); n <- length(y); m <- frequency(y)
  x <- as.numeric(y); fig <- rep(1, n + h)
  if (adjust) { d <- decompose(y, type = "multiplicative")$figure
    fig <- d[((0:(n + h - 1)) %% m) + 1]; x <- x / fig[1:n] }
  base <- dotm_path(x, r$par, h, rep(0, h))
  psi <- sapply(1:h, function(j) { e <- rep(0, h); e[j] <- 1; dotm_path(x, r$par, h, e) - base })
  se <- r$sigma * sqrt(rowSums(psi^2)); z <- qnorm(0.5 + level / 2)
  f <- fig[(n + 1):(n + h)]
  rbind(lo = (base - z * se) * f, hi = (base + z * se) * f)
}
