#!/usr/bin/python3
"""compare.py - normalise CSV outputs of several tools and check they agree.

Usage: compare.py KEYS OUTDIR NAME=FILE NAME=FILE...

Each FILE is a CSV with one header row (its names differ between tools and
are ignored). The first KEYS columns are the row key (group columns, period);
the remaining columns are numbers. Each file is normalised into OUTDIR/NAME.norm
(rows sorted by key, numbers with 2 decimals), for a human to diff, and every
file is compared with the first: same keys, same number of values, and each
value equal within 0.005 absolute or 1e-11 relative (the tools print
different digits: kpi-agg 17 significant, datamash 14, Miller shortest).
Prints one line per comparison; exits 1 if any pair disagrees.
"""

import csv
import os
import sys

ABS_TOL = 0.005
REL_TOL = 1e-11


def load(path, keys):
    rows = {}
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        for lineno, rec in enumerate(reader, start=2):
            if not rec:
                continue
            key = tuple(rec[:keys])
            try:
                vals = [float(v) for v in rec[keys:]]
            except ValueError as e:
                raise SystemExit(f"compare.py: {path}:{lineno}: {e}")
            if key in rows:
                raise SystemExit(f"compare.py: {path}:{lineno}: duplicate key {key}")
            rows[key] = vals
    return rows


def write_norm(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for key in sorted(rows):
            w.writerow(list(key) + ["%.2f" % v for v in rows[key]])


def diff(ref, other):
    """Return (problems, max_abs_diff) for other against ref."""
    problems = []
    worst = 0.0
    for key in sorted(set(ref) | set(other)):
        if key not in other:
            problems.append(f"missing row {','.join(key)}")
            continue
        if key not in ref:
            problems.append(f"extra row {','.join(key)}")
            continue
        a, b = ref[key], other[key]
        if len(a) != len(b):
            problems.append(f"row {','.join(key)}: {len(b)} values, expected {len(a)}")
            continue
        for i, (x, y) in enumerate(zip(a, b)):
            d = abs(x - y)
            worst = max(worst, d)
            if d > ABS_TOL and d > REL_TOL * max(abs(x), abs(y)):
                problems.append(f"row {','.join(key)} value {i + 1}: {y!r} vs {x!r}")
    return problems, worst


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    keys = int(argv[1])
    outdir = argv[2]
    tables = []
    for spec in argv[3:]:
        name, sep, path = spec.partition("=")
        if not sep:
            sys.stderr.write(f"compare.py: expected NAME=FILE, got {spec!r}\n")
            return 2
        rows = load(path, keys)
        write_norm(os.path.join(outdir, name + ".norm"), rows)
        tables.append((name, rows))

    ref_name, ref = tables[0]
    status = 0
    for name, rows in tables[1:]:
        problems, worst = diff(ref, rows)
        if problems:
            status = 1
            print(f"  {name} vs {ref_name}: DISAGREE ({len(problems)} differences)")
            for p in problems[:5]:
                print(f"    {p}")
        else:
            print(f"  {name} vs {ref_name}: agree ({len(ref)} rows, "
                  f"max |diff| {worst:.2g})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
