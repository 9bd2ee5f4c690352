#!/usr/bin/python3
"""cohort.py - the pandas side of bench/cohort.sh.

Usage:
  cohort.py pandas FILE
      The usual pandas cohort recipe on a transaction log (columns
      customer_id, order_date, amount): first-purchase month per customer,
      month difference, distinct customers and revenue per (cohort, age),
      pivoted to the triangle.  Writes cohort,age,active,revenue (long, one
      row per non-empty cell) to standard output.  This is the command that
      is timed.
  cohort.py compare KPI_CSV PANDAS_CSV
      Check that kpi-cohort's long output and the recipe's agree: every
      cell with customers in one is in the other with the same number of
      distinct customers and the same revenue (within 0.005, or 1e-9
      relative); kpi-cohort's cells with no customer are absent from the
      recipe's.  Exits 1 when they disagree.
  cohort.py report HYPERFINE_JSON RSS_CSV CUSTOMERS SUMMARY_MD
      Figures and verdicts: mean times, the speedup of kpi-cohort over
      pandas (target >= 10), and peak RSS per customer (target < 100
      bytes).  RSS_CSV has "name,kilobytes,customers" lines.  Exits 3 when
      a target is missed.
"""

import csv
import json
import sys

ABS_TOL = 0.005
REL_TOL = 1e-9
SPEEDUP_TARGET = 10.0
BYTES_PER_CUSTOMER_TARGET = 100.0


def recipe(path):
    import pandas as pd

    df = pd.read_csv(path, usecols=["customer_id", "order_date", "amount"],
                     parse_dates=["order_date"])
    df["order_month"] = df["order_date"].dt.to_period("M")
    df["cohort"] = df.groupby("customer_id")["order_date"] \
        .transform("min").dt.to_period("M")
    cells = df.groupby(["cohort", "order_month"]) \
        .agg(active=("customer_id", "nunique"), revenue=("amount", "sum")) \
        .reset_index()
    cells["age"] = (cells["order_month"] - cells["cohort"]) \
        .apply(lambda offset: offset.n)
    triangle = cells.pivot_table(index="cohort", columns="age",
                                 values="active")
    revenue = cells.pivot_table(index="cohort", columns="age",
                                values="revenue", aggfunc="sum")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["cohort", "age", "active", "revenue"])
    for cohort in triangle.index:
        for age in triangle.columns:
            n = triangle.at[cohort, age]
            if n == n:          # not NaN: a cell with customers
                out.writerow([cohort.start_time.strftime("%Y-%m-%d"), age,
                              int(n), repr(float(revenue.at[cohort, age]))])
    return 0


def close(a, b):
    return abs(a - b) <= ABS_TOL or abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def compare(kpi_path, pandas_path):
    kpi = {}
    with open(kpi_path, newline="") as f:
        for row in csv.DictReader(f):
            if row["active"] == "":
                continue        # a period that had not ended: no count
            kpi[(row["cohort"], int(row["age"]))] = (
                int(row["active"]),
                float(row["revenue"]) if row["revenue"] else 0.0)
    ref = {}
    with open(pandas_path, newline="") as f:
        for row in csv.DictReader(f):
            ref[(row["cohort"], int(row["age"]))] = (int(row["active"]),
                                                     float(row["revenue"]))
    bad = 0
    for key, (n, rev) in sorted(kpi.items()):
        if n == 0:
            if key in ref:
                print(f"  {key}: kpi-cohort 0 customers, pandas {ref[key][0]}")
                bad += 1
            continue
        if key not in ref:
            print(f"  {key}: kpi-cohort {n} customers, pandas has no cell")
            bad += 1
        elif ref[key][0] != n or not close(ref[key][1], rev):
            print(f"  {key}: kpi-cohort {n} / {rev!r}, pandas {ref[key][0]} / {ref[key][1]!r}")
            bad += 1
    for key in sorted(set(ref) - set(kpi)):
        print(f"  {key}: only pandas has it")
        bad += 1
    cells = sum(1 for n, _ in kpi.values() if n)
    if bad:
        print(f"DISAGREE: {bad} of {cells} cells differ")
        return 1
    print(f"agree: {cells} cells with customers, same distinct customers "
          f"and revenue within {ABS_TOL} (or {REL_TOL:g} relative)")
    return 0


def report(json_path, rss_path, customers, md_path):
    with open(json_path) as f:
        results = {r["command"]: r for r in json.load(f)["results"]}
    rss = []
    with open(rss_path) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) == 3:
                rss.append((parts[0], int(parts[1]), int(parts[2])))
    md = ["| job | mean (s) | ± sd (s) | user+sys (s) |",
          "|---|--:|--:|--:|"]
    print(f"{'job':<12} {'mean (s)':>9} {'sd (s)':>8} {'user+sys':>9}")
    for name in ("kpi-cohort", "pandas"):
        r = results.get(name)
        if not r:
            continue
        cpu = r["user"] + r["system"]
        print(f"{name:<12} {r['mean']:9.3f} {r['stddev'] or 0:8.3f} {cpu:9.3f}")
        md.append(f"| {name} | {r['mean']:.3f} | {r['stddev'] or 0:.3f} | {cpu:.3f} |")
    md += ["", "| run | peak RSS (MB) | customers | bytes per customer |",
           "|---|--:|--:|--:|"]
    print()
    print(f"{'run':<34} {'peak RSS (MB)':>13} {'customers':>10} {'B/customer':>11}")
    for name, kb, n in rss:
        per = kb * 1024 / n if n else float("nan")
        print(f"{name:<34} {kb / 1024:13.1f} {n:10d} {per:11.1f}")
        md.append(f"| {name} | {kb / 1024:.1f} | {n} | {per:.1f} |")
    status = 0
    verdicts = []
    if "kpi-cohort" in results and "pandas" in results:
        speedup = results["pandas"]["mean"] / results["kpi-cohort"]["mean"]
        ok = speedup >= SPEEDUP_TARGET
        verdicts.append(f"{'PASS' if ok else 'FAIL'} speedup over pandas "
                        f"{speedup:.1f}x (target >= {SPEEDUP_TARGET:g}x)")
        status |= 0 if ok else 3
    main_run = [r for r in rss if r[0] == "kpi-cohort"]
    if main_run:
        _, kb, n = main_run[0]
        per = kb * 1024 / n
        ok = per < BYTES_PER_CUSTOMER_TARGET
        verdicts.append(f"{'PASS' if ok else 'FAIL'} peak RSS {per:.1f} bytes "
                        f"per customer (target < {BYTES_PER_CUSTOMER_TARGET:g})")
        status |= 0 if ok else 3
    print()
    for v in verdicts:
        print(v)
    md += [""] + [f"- {v}" for v in verdicts]
    with open(md_path, "w") as f:
        f.write("\n".join(md) + "\n")
    return status


def main(argv):
    if len(argv) == 3 and argv[1] == "pandas":
        return recipe(argv[2])
    if len(argv) == 4 and argv[1] == "compare":
        return compare(argv[2], argv[3])
    if len(argv) == 6 and argv[1] == "report":
        return report(argv[2], argv[3], int(argv[4]), argv[5])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
