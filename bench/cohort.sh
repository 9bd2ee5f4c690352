#!/bin/sh
# cohort.sh - speed and memory benchmark of kpi-cohort against the usual
# pandas cohort recipe, on ten million transactions of a million customers
#
# Usage: bench/cohort.sh [BUILDDIR]        (BUILDDIR defaults to "build")
#
# Needs: a built tree (kpi-cohort and bench/gen-transactions), hyperfine,
# GNU time at /usr/bin/time, Debian's /usr/bin/python3 with python3-pandas.
# Writes bench/data/transactions-10m.csv (and -1m.csv) once, then
# bench/results/cohort/ on every run.  RUNS (default 3) sets hyperfine's
# runs per command.
# Exit status: 0 outputs agree; 1 they disagree or a command failed; 2 usage
# or missing tool.  With BENCH_STRICT=1, a missed target gives 3.
# See bench/README.md for the jobs and the targets.

set -eu

LC_ALL=C
export LC_ALL

ROWS=10000000
CUSTOMERS=1000000
# sha256 of `gen-transactions` with the default options (see README.md).
EXPECTED_SHA=26981482caa5fb6b833249ff7457e15e07a17af3d4aae2f6278ff3c0c02caf3f
PYTHON=${PYTHON:-/usr/bin/python3}
RUNS=${RUNS:-3}

here=$(cd "$(dirname "$0")" && pwd)
if ! build=$(cd "${1:-build}" 2>/dev/null && pwd); then
	echo "cohort.sh: no build directory '${1:-build}' (run: meson setup build && ninja -C build)" >&2
	exit 2
fi
gen=$build/bench/gen-transactions
kpi=$build/kpi-cohort
for prog in "$gen" "$kpi"; do
	if [ ! -x "$prog" ]; then
		echo "cohort.sh: $prog not built (ninja -C '$build')" >&2
		exit 2
	fi
done
for tool in hyperfine sha256sum /usr/bin/time "$PYTHON"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "cohort.sh: $tool not found (Debian: apt-get install hyperfine time python3-pandas)" >&2
		exit 2
	fi
done
if ! "$PYTHON" -c 'import pandas' 2>/dev/null; then
	echo "cohort.sh: $PYTHON has no pandas (Debian: apt-get install python3-pandas)" >&2
	exit 2
fi

data=$here/data
results=$here/results/cohort
mkdir -p "$data" "$results"
f=transactions-10m.csv
small=transactions-1m.csv

# ==== The inputs ====
if [ ! -s "$data/$f" ]; then
	echo "cohort.sh: generating $data/$f ($ROWS rows, $CUSTOMERS customers)"
	"$gen" -n "$ROWS" -c "$CUSTOMERS" > "$data/$f.tmp"
	mv "$data/$f.tmp" "$data/$f"
fi
if [ ! -s "$data/$small" ]; then
	"$gen" -n $((ROWS / 10)) -c $((CUSTOMERS / 10)) > "$data/$small.tmp"
	mv "$data/$small.tmp" "$data/$small"
fi
sha=$(sha256sum "$data/$f" | cut -d' ' -f1)
if [ "$sha" != "$EXPECTED_SHA" ]; then
	echo "cohort.sh: warning: $data/$f is not the default file (sha256 $sha); delete it to regenerate" >&2
fi
bytes=$(wc -c < "$data/$f" | tr -d ' ')

# ==== The jobs ====
cd "$data"
q() { printf "'%s'" "$1"; }
kpi_cmd="$(q "$kpi") --id customer_id -t order_date -v amount $f"
pandas_cmd="$(q "$PYTHON") $(q "$here/cohort.py") pandas $f"

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "input: $f, $bytes bytes, sha256 $sha"
	echo "hyperfine: $(hyperfine --version)"
	echo "python: $("$PYTHON" --version 2>&1), pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)')"
	echo "kpi-cohort: $("$kpi" --version)"
	echo "TMPDIR: ${TMPDIR:-/tmp}"
} > "$results/env.txt"
cat "$results/env.txt"

# ==== Outputs and peak RSS: each run once under GNU time ====
echo
echo "== Outputs and peak RSS (/usr/bin/time -v, one run each)"
: > "$results/rss.csv"
measure() {	# measure NAME CUSTOMERS COMMAND: output in NAME.csv, RSS in rss.csv
	if ! /usr/bin/time -v -o "$results/$1.time" sh -c "exec $3" \
		> "$results/$1.csv" 2> "$results/$1.err"; then
		echo "cohort.sh: $1 failed: $3" >&2
		cat "$results/$1.err" >&2
		exit 1
	fi
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$results/$1.time")
	echo "$1,$kb,$2" >> "$results/rss.csv"
	echo "$1: $kb kB peak RSS"
}
measure kpi-cohort "$CUSTOMERS" "$kpi_cmd"
measure pandas "$CUSTOMERS" "$pandas_cmd"
# How memory grows: a tenth of the customers, groups (which keep a table of
# the ids to check that a customer stays in its group), and no input.
measure kpi-cohort-100k-customers $((CUSTOMERS / 10)) \
	"$(q "$kpi") --id customer_id -t order_date -v amount $small"
measure kpi-cohort-g-region "$CUSTOMERS" \
	"$(q "$kpi") --id customer_id -t order_date -v amount -g region $f"
printf 'customer_id,order_date,amount\nC1,2025-01-01,1\n' > "$results/one.csv"
measure kpi-cohort-one-row 1 \
	"$(q "$kpi") --id customer_id -t order_date -v amount $(q "$results/one.csv")"

# ==== Agreement ====
echo
echo "== Agreement of kpi-cohort and pandas (distinct customers and revenue per cohort and age)"
status=0
"$PYTHON" "$here/cohort.py" compare "$results/kpi-cohort.csv" \
	"$results/pandas.csv" || status=1

# ==== Timing: one hyperfine run over both ====
echo
echo "== hyperfine --warmup 1 --runs $RUNS"
hyperfine --warmup 1 --runs "$RUNS" \
	--export-json "$results/cohort.json" \
	--export-markdown "$results/cohort.md" \
	-n kpi-cohort "$kpi_cmd" -n pandas "$pandas_cmd"

# ==== Figures and targets ====
echo
echo "== Figures (speedup = pandas mean / kpi-cohort mean; bytes per customer = peak RSS / customers)"
rstatus=0
"$PYTHON" "$here/cohort.py" report "$results/cohort.json" "$results/rss.csv" \
	"$CUSTOMERS" "$results/summary.md" || rstatus=$?
echo
echo "Results in $results: cohort.json cohort.md summary.md env.txt rss.csv *.csv"

if [ "$status" -ne 0 ]; then
	echo "cohort.sh: outputs DISAGREE" >&2
	exit 1
fi
if [ "$rstatus" -ne 0 ] && [ "$rstatus" -ne 3 ]; then
	exit 1
fi
if [ "$rstatus" -eq 3 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
	exit 3
fi
exit 0
