#!/usr/bin/python3
"""m3-combine.py - combination rules for kpi-forecast's auto, scored on the
M3 validation split and, for the record, on the test set.

Usage:
  m3-combine.py [-b BUILDDIR] [--extra METHODS] [--tag TAG:METHOD:BIN]
                [M3DIR]

Fits each member of auto (ets, theta, arima, dotm, ces, damped) with
kpi-forecast at three origins of every M3 series: the end of the training part (origin
0, scored on the test set), the training part without its last h values
(origin 1, the validation split of bench/m3.sh --validate, scored on those
h values), and without its last 2h values (origin 2, the inner holdout of
the validation split).  Then it combines the members' forecasts by each
rule below and prints the sMAPE per frequency and over all series x
horizons, the 95% coverage and MSIS (the envelope of the members'
intervals, as auto builds them), first on the validation split (origin 1;
rules that look at a holdout use origin 2), then on the test set (origin
0; holdout origin 1).  Choose on the first; the second is for the record.

The rules with "the five" leave the damped trend out; "auto" is the rule
of kpi-forecast -m auto.  --extra M1,M2 adds the trimmed mean of the five
and each method (M+sa: fitted with --seasonal-adjust).
--tag TAG:METHOD:BIN adds a variant of one member, fitted by another build
(BIN, e.g. an experimental kpi-forecast) and reported alone and in the
trimmed mean in place of METHOD.  Results: bench/results/m3-combine/.
Needs pandas (python3-pandas).  Exit status 0; 77 without the data.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, "bench", "results", "m3-combine")
FREQS = {"yearly": (1, 6), "quarterly": (4, 8), "monthly": (12, 18),
         "other": (1, 8)}
MEMBERS = ["ets", "theta", "arima", "dotm", "ces"]


def prepare(m3dir):
    """Per frequency and origin k: the series cut k horizons short, and
    the h values that follow the cut (the test set for k = 0)."""
    for f, (_, h) in FREQS.items():
        tr = pd.read_csv(f"{m3dir}/m3_{f}_train.csv")
        te = pd.read_csv(f"{m3dir}/m3_{f}_test.csv")
        tr = tr.sort_values(["series", "period"])
        n = tr.groupby("series")["period"].transform("max")
        for k in (0, 1, 2):
            path = f"{OUT}/{f}-o{k}.csv"
            if os.path.exists(path):
                continue
            tr[tr.period <= n - k * h].to_csv(path, index=False)
            after = te if k == 0 else tr[(tr.period > n - k * h) &
                                         (tr.period <= n - (k - 1) * h)]
            after.to_csv(f"{OUT}/{f}-o{k}-act.csv", index=False)


def fit(tool, tag, method, f, k):
    """The member's forecasts and fitted values at origin k (cached);
    series a member cannot fit (too short at origin 2) are skipped."""
    path = f"{OUT}/{tag}-{method}-{f}-o{k}.csv"
    if not os.path.exists(path):
        m, h = FREQS[f]
        with open(path + ".tmp", "w") as out:
            subprocess.run([tool, "-k", "series", "-t", "period", "-v",
                            "value", "--season", str(m), "-H", str(h),
                            "-m", method.removesuffix("+sa"), "--level",
                            "95", "--history"] + (["--seasonal-adjust"] if
                           method.endswith("+sa") else []) + [
                            "--grouped", "--skip-bad", "-j", "2",
                            f"{OUT}/{f}-o{k}.csv"], stdout=out,
                           stderr=subprocess.DEVNULL, check=True)
        os.rename(path + ".tmp", path)
    d = pd.read_csv(path)
    fc = d[d.kind == "forecast"].copy()
    fc["step"] = fc.groupby("series").cumcount() + 1
    wide = [fc.pivot_table(index="series", columns="step", values=v)
            for v in ("value", "lo95", "hi95")]
    hist = d[d.kind.isin(["actual", "fitted"])].pivot_table(
        index=["series", "period"], columns="kind", values="value")
    mse = ((hist["actual"] - hist["fitted"]) ** 2).dropna() \
        .groupby(level=0).mean()
    return wide + [mse]


def actuals(f, k):
    a = pd.read_csv(f"{OUT}/{f}-o{k}-act.csv")
    a["step"] = a.groupby("series").cumcount() + 1
    a = a.pivot_table(index="series", columns="step", values="value")
    m = FREQS[f][0]
    tr = pd.read_csv(f"{OUT}/{f}-o{k}.csv")
    scale = tr.groupby("series")["value"].apply(
        lambda v: np.mean(np.abs(v.values[m:] - v.values[:-m])))
    return a, scale


def smape(a, fc):
    return 200 * np.abs(a - fc) / (np.abs(a) + np.abs(fc))


class Split:
    """The members' forecasts at one origin, and how to score them."""

    def __init__(self, fits, f, k):
        self.fits, self.f, self.k = fits, f, k
        self.a, self.scale = actuals(f, k)
        self.idx = self.a.index

    def get(self, tag, method, what=0):
        x = self.fits(tag, method, self.f, self.k)[what]
        return x.reindex(self.idx).values

    def holdout_smape(self, tag, method):
        """Per series: the member's sMAPE over the h values after the
        next origin (k + 1), a holdout inside the data fitted here."""
        a, _ = actuals(self.f, self.k + 1)
        fc = self.fits(tag, method, self.f, self.k + 1)[0].reindex(a.index)
        e = np.nanmean(smape(a.values, fc.values), 1)
        return pd.Series(e, index=a.index).reindex(self.idx).values


def trimmed(x):
    x = np.sort(x, 0)
    return (x[1:-1] if x.shape[0] >= 3 else x).mean(0)


def winsorized(x):
    x = np.sort(x, 0)
    x[0], x[-1] = x[1], x[-2]
    return x.mean(0)


def weighted(x, err):
    """Weights 1 / err per series; equal where an error is missing."""
    w = 1.0 / np.maximum(err, 1e-12)
    bad = ~np.all(np.isfinite(w), 0)
    w[:, bad] = 1.0
    return (x * (w / w.sum(0))[:, :, None]).sum(0)


def drop_worst(x, err, ndrop):
    """The trimmed mean of the members left after dropping the ndrop
    worst on the holdout (all of them where a holdout is missing)."""
    ok = np.all(np.isfinite(err), 0)
    keep = np.argsort(np.where(np.isfinite(err), err, 0), 0)
    keep = keep[: x.shape[0] - ndrop]
    xk = np.take_along_axis(x, keep[:, :, None].repeat(x.shape[2], 2), 0)
    return np.where(ok[:, None], trimmed(xk), trimmed(x))


def rules(variants, extras):
    """name -> (members as (tag, method), combine(split, members))."""
    base = [("base", m) for m in MEMBERS]

    def point(fn):
        return lambda s, mem: fn(np.stack([s.get(t, m) for t, m in mem]))

    r = {}
    for t, m in base:
        r[m + " alone"] = ([(t, m)], point(lambda x: x[0]))
    r["mean ETS, Theta, ARIMA"] = (base[:3], point(lambda x: x.mean(0)))
    r["mean of the five"] = (base, point(lambda x: x.mean(0)))
    r["median of the five"] = (base, point(lambda x: np.median(x, 0)))
    r["trimmed mean of the five"] = (base, point(trimmed))
    six = base + [("base", "damped")]
    r["auto: trimmed mean of six"] = (six, point(trimmed), (six, base))
    r["winsorized mean"] = (base, point(winsorized))
    r["1 / in-sample MSE weights"] = (base, lambda s, mem: weighted(
        np.stack([s.get(t, m) for t, m in mem]),
        np.stack([s.get(t, m, 3) for t, m in mem])))
    r["half equal, half 1 / MSE"] = (base, lambda s, mem: 0.5 * np.stack(
        [s.get(t, m) for t, m in mem]).mean(0) + 0.5 * weighted(
        np.stack([s.get(t, m) for t, m in mem]),
        np.stack([s.get(t, m, 3) for t, m in mem])))
    for p in (1, 2):
        r[f"1 / holdout sMAPE^{p} weights"] = (base, (
            lambda p: lambda s, mem: weighted(
                np.stack([s.get(t, m) for t, m in mem]),
                np.stack([s.holdout_smape(t, m) for t, m in mem]) ** p))(p))
    for nd, name in ((1, "holdout: drop the worst"),
                     (2, "holdout: drop the 2 worst"),
                     (4, "holdout: the best alone")):
        r[name] = (base, (lambda nd: lambda s, mem: drop_worst(
            np.stack([s.get(t, m) for t, m in mem]),
            np.stack([s.holdout_smape(t, m) for t, m in mem]), nd))(nd))
    for m in extras:
        r[f"{m} alone"] = ([("base", m)], point(lambda x: x[0]))
        r[f"trimmed mean, five + {m}"] = (base + [("base", m)],
                                          point(trimmed))
    if len(extras) > 1:
        every = base + [("base", m) for m in extras]
        r["trimmed mean of all"] = (every, point(trimmed))
        r["median of all"] = (every, point(lambda x: np.median(x, 0)))
    for tag, method in variants:
        r[f"{method} {tag} alone"] = ([(tag, method)],
                                      point(lambda x: x[0]))
        mem = [(tag, m) if m == method else ("base", m) for m in MEMBERS]
        r[f"trimmed mean, {method} {tag}"] = (mem, point(trimmed))
    return r


def score(fits, members, combine, k, bounds):
    """bounds: the members whose intervals make the envelope on
    non-seasonal and on seasonal series."""
    cells = []
    tot = np.zeros(4)
    for f in FREQS:
        s = Split(fits, f, k)
        p = combine(s, members)
        env = bounds[0] if FREQS[f][0] == 1 else bounds[1]
        lo = np.nanmin(np.stack([s.get(t, m, 1) for t, m in env]), 0)
        hi = np.nanmax(np.stack([s.get(t, m, 2) for t, m in env]), 0)
        lo, hi = np.minimum(lo, p), np.maximum(hi, p)
        a = s.a.values
        e = smape(a, p)
        msis = ((hi - lo) + 40 * (lo - a) * (a < lo) + 40 * (a - hi) *
                (a > hi)) / s.scale.reindex(s.idx).values[:, None]
        cells.append(np.nanmean(e))
        tot += [np.nansum(e), e.size, np.sum((a >= lo) & (a <= hi)),
                np.nansum(msis)]
    return cells + [tot[0] / tot[1], 100 * tot[2] / tot[1], tot[3] / tot[1]]


def main(argv):
    build, m3dir, variants, tools, extras = "build", None, [], {}, []
    i = 0
    while i < len(argv):
        if argv[i] == "-b":
            build = argv[i + 1]
            i += 2
        elif argv[i] == "--extra":
            extras += argv[i + 1].split(",")
            i += 2
        elif argv[i] == "--tag":
            tag, method, binary = argv[i + 1].split(":", 2)
            variants.append((tag, method))
            tools[tag] = binary
            i += 2
        else:
            m3dir = argv[i]
            i += 1
    m3dir = m3dir or os.path.join(REPO, "..", "shared", "data", "m3")
    if not os.path.exists(f"{m3dir}/m3_meta.csv"):
        print(f"m3-combine.py: no M3 data in {m3dir}", file=sys.stderr)
        return 77
    tools["base"] = os.path.join(REPO, build, "kpi-forecast")
    os.makedirs(OUT, exist_ok=True)
    prepare(m3dir)
    cache = {}

    def fits(tag, method, f, k):
        key = (tag, method, f, k)
        if key not in cache:
            cache[key] = fit(tools[tag], tag, method, f, k)
        return cache[key]

    head = "Y Q M O all cov95 MSIS"
    print(f"{'rule':34s} | validation: {head} | test: {head}")
    for name, rule in rules(variants, extras).items():
        members, combine = rule[:2]
        bounds = rule[2] if len(rule) > 2 else (members, members)
        row = []
        for k in (1, 0):
            v = score(fits, members, combine, k, bounds)
            row.append(" ".join(f"{x:5.2f}" for x in v[:5]) +
                       f" {v[5]:4.1f} {v[6]:5.2f}")
        print(f"{name:34s} | {row[0]} | {row[1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
