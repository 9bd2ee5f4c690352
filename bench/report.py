#!/usr/bin/python3
"""report.py - turn the hyperfine JSON of bench/agg.sh into figures and verdicts.

Usage: report.py HYPERFINE_JSON RSS_CSV INPUT_BYTES SUMMARY_MD

Jobs are recognised by their hyperfine command names, set by agg.sh:
a/kpi-agg a/mlr a/datamash b/kpi-agg b/mlr b/awk+datamash c/csv-floor.
RSS_CSV has lines "name,kilobytes" from /usr/bin/time -v.
Prints a table and one PASS/FAIL line per target, writes the same as
Markdown to SUMMARY_MD, and exits 3 if a target fails (0 otherwise).
A job missing from the JSON (kpi-agg not built) gives SKIP, not FAIL.
"""

import json
import sys

MB = 1e6                # throughput in decimal megabytes per second
RSS_LIMIT_KB = 16 * 1024


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as f:
        results = {r["command"]: r for r in json.load(f)["results"]}
    rss = {}
    with open(argv[2]) as f:
        for line in f:
            name, _, kb = line.strip().rpartition(",")
            if name:
                rss[name] = int(kb)
    size = int(argv[3])

    order = ["a/kpi-agg", "a/mlr", "a/datamash",
             "b/kpi-agg", "b/mlr", "b/awk+datamash", "c/csv-floor"]
    rows = []
    md = ["| job | mean (s) | ± sd (s) | median (s) | user+sys (s) | MB/s | peak RSS (MB) |",
          "|---|--:|--:|--:|--:|--:|--:|"]
    print(f"input: {size} bytes ({size / MB:.1f} MB)")
    print(f"{'job':<16} {'mean s':>8} {'± sd':>7} {'median':>7} {'cpu s':>7} {'MB/s':>8} {'RSS MB':>7}")
    for name in order:
        r = results.get(name)
        if r is None:
            continue
        mean, sd = r["mean"], r["stddev"] or 0.0
        cpu = r["user"] + r["system"]
        kb = rss.get(name)
        rss_s = f"{kb / 1024:.1f}" if kb is not None else "-"
        med = r["median"]
        print(f"{name:<16} {mean:8.3f} {sd:7.3f} {med:7.3f} {cpu:7.3f} "
              f"{size / MB / mean:8.1f} {rss_s:>7}")
        md.append(f"| {name} | {mean:.3f} | {sd:.3f} | {med:.3f} | {cpu:.3f} | "
                  f"{size / MB / mean:.1f} | {rss_s} |")

    def mean(name):
        r = results.get(name)
        return r["mean"] if r else None

    def cpu(name):
        r = results.get(name)
        return r["user"] + r["system"] if r else None

    verdicts = []

    def check(label, value, target, higher_is_better=True, unit="x"):
        if value is None:
            verdicts.append((label, None, target, unit, "SKIP"))
            return
        ok = value >= target if higher_is_better else value < target
        verdicts.append((label, value, target, unit, "PASS" if ok else "FAIL"))

    def ratio(num, den):
        return num / den if num is not None and den is not None else None

    floor = mean("c/csv-floor")
    for job, others in (("a", [("Miller", "a/mlr", 12.0),
                               ("datamash -s", "a/datamash", 8.0)]),
                        ("b", [("Miller", "b/mlr", 12.0)])):
        ours = mean(f"{job}/kpi-agg")
        for label, name, target in others:
            check(f"({job}) speedup vs {label} (wall)", ratio(mean(name), ours), target)
        # For the record only: Miller runs on both cores, so wall time
        # flatters it; CPU time shows the work done.
        for label, name, _ in others:
            r = ratio(cpu(name), cpu(f"{job}/kpi-agg"))
            if r is not None:
                verdicts.append((f"({job}) speedup vs {label} (cpu time)", r, None, "x", "info"))
        if job == "b":
            r = ratio(mean("b/awk+datamash"), ours)
            if r is not None:
                verdicts.append(("(b) speedup vs awk+datamash -s (wall)", r, None, "x", "info"))
        check(f"({job}) throughput / floor", ratio(floor, ours), 0.8)
        kb = rss.get(f"{job}/kpi-agg")
        check(f"({job}) peak RSS", kb / 1024 if kb is not None else None,
              RSS_LIMIT_KB / 1024, higher_is_better=False, unit=" MB")

    print()
    md.append("")
    md.append("| target | measured | goal | verdict |")
    md.append("|---|--:|--:|---|")
    failed = False
    for label, value, target, unit, verdict in verdicts:
        v = "-" if value is None else (f"{value:.2f}{unit}")
        if target is None:
            goal = ""
        elif unit == "x":
            goal = f">= {target:g}{unit}"
        else:
            goal = f"< {target:g}{unit}"
        print(f"{verdict:<5} {label:<44} {v:>10}  {goal}")
        md.append(f"| {label} | {v} | {goal} | {verdict} |")
        failed = failed or verdict == "FAIL"
    with open(argv[4], "w") as f:
        f.write("\n".join(md) + "\n")
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
