#!/bin/sh
# agg.sh - speed benchmark of kpi-agg against Miller, GNU datamash and the libcsv floor
#
# Usage: bench/agg.sh [BUILDDIR]        (BUILDDIR defaults to "build")
#
# Needs: a built tree (meson setup build && ninja -C build), hyperfine, mlr
# (Miller 6), datamash, GNU time at /usr/bin/time, /usr/bin/python3.
# Writes bench/data/deals-1m.csv once, then bench/results/ on every run.
# Exit status: 0 all outputs agree; 1 outputs disagree or a command failed;
# 2 usage or missing tool; 77 kpi-agg is not built (reference tools were
# still timed and compared). With BENCH_STRICT=1, a missed target gives 3.
# See bench/README.md for the jobs and the targets.

set -eu

# Every tool parses and prints numbers in the C locale, and sorts bytewise.
LC_ALL=C
export LC_ALL

ROWS=1000000
# sha256 of `gen-deals -n 1000000` with the default seed (see README.md).
EXPECTED_SHA=0f9c23812f07850e976eeed1f81ae46fb6fa4df3ca652b2521a58a6b3942afc5
PYTHON=${PYTHON:-/usr/bin/python3}

here=$(cd "$(dirname "$0")" && pwd)
if ! build=$(cd "${1:-build}" 2>/dev/null && pwd); then
	echo "agg.sh: no build directory '${1:-build}' (run: meson setup build && ninja -C build)" >&2
	exit 2
fi
gen=$build/bench/gen-deals
floor=$build/bench/csv-floor
kpi=$build/kpi-agg

for prog in "$gen" "$floor"; do
	if [ ! -x "$prog" ]; then
		echo "agg.sh: $prog not built (add subdir('bench') to meson.build, then ninja -C '$build')" >&2
		exit 2
	fi
done
for tool in hyperfine mlr datamash awk sha256sum /usr/bin/time "$PYTHON"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "agg.sh: $tool not found (Debian: apt-get install hyperfine miller datamash time python3)" >&2
		exit 2
	fi
done
have_kpi=
if [ -x "$kpi" ]; then
	have_kpi=1
else
	echo "agg.sh: $kpi not built: timing and comparing the reference tools only" >&2
fi

data=$here/data
results=$here/results
mkdir -p "$data" "$results"
f=deals-1m.csv
csv=$data/$f

# ==== The input ====
if [ ! -s "$csv" ]; then
	echo "agg.sh: generating $csv ($ROWS rows)"
	"$gen" -n "$ROWS" > "$csv.tmp"
	mv "$csv.tmp" "$csv"
fi
sha=$(sha256sum "$csv" | cut -d' ' -f1)
if [ "$sha" != "$EXPECTED_SHA" ]; then
	echo "agg.sh: warning: $csv is not the default file (sha256 $sha); delete it to regenerate" >&2
fi
bytes=$(wc -c < "$csv" | tr -d ' ')

# ==== The jobs ====
# Run from the data directory so the commands read as a user would type them.
cd "$data"
q() { printf "'%s'" "$1"; }	# quote a path for sh -c

a_kpi="$(q "$kpi") -g region,stage -a count,sum:amount,mean:amount $f"
a_mlr="mlr --icsv --ocsv stats1 -a count,sum,mean -f amount -g region,stage $f"
# Columns: 4 region, 6 stage, 9 amount. --headers is --header-in plus a
# header line on output, so every tool's output starts with one.
a_dm="datamash -s -t, --headers -g 4,6 count 9 sum 9 mean 9 < $f"
b_kpi="$(q "$kpi") -t created_date --every month -a count,sum:amount $f"
# Miller 6: substr is substr0, 0-up with an inclusive end: chars 0..6 = YYYY-MM.
b_mlr="mlr --icsv --ocsv put '\$period = substr0(\$created_date, 0, 6) . \"-01\"' then stats1 -a count,sum -f amount -g period $f"
b_awk="awk -F, -v OFS=, 'NR == 1 { print \"period\", \"amount\"; next } { print substr(\$7, 1, 7) \"-01\", \$9 }' $f | datamash -s -t, --headers -g 1 count 2 sum 2"
c_floor="$(q "$floor") $f"

# Job list, one "name<TAB>command" per line, in report order.
tab=$(printf '\t')
jobs=$(
	[ -n "$have_kpi" ] && printf 'a/kpi-agg\t%s\n' "$a_kpi"
	printf 'a/mlr\t%s\n' "$a_mlr"
	printf 'a/datamash\t%s\n' "$a_dm"
	[ -n "$have_kpi" ] && printf 'b/kpi-agg\t%s\n' "$b_kpi"
	printf 'b/mlr\t%s\n' "$b_mlr"
	printf 'b/awk+datamash\t%s\n' "$b_awk"
	printf 'c/csv-floor\t%s\n' "$c_floor"
)
slug() { printf '%s' "$1" | tr '/+' '-_'; }

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "input: $csv, $bytes bytes, sha256 $sha"
	echo "hyperfine: $(hyperfine --version)"
	echo "miller: $(mlr --version)"
	echo "datamash: $(datamash --version | head -n 1)"
	echo "awk: $(readlink -f "$(command -v awk)")"
	[ -n "$have_kpi" ] && echo "kpi-agg: $("$kpi" --version 2>/dev/null || echo unknown)"
	echo "build: $build"
} > "$results/env.txt"
cat "$results/env.txt"

# ==== Outputs and peak RSS: each job once under GNU time ====
echo
echo "== Outputs and peak RSS (/usr/bin/time -v, one run each)"
status=0
: > "$results/rss.csv"
echo "$jobs" | while IFS="$tab" read -r name cmd; do
	s=$(slug "$name")
	if ! /usr/bin/time -v -o "$results/$s.time" sh -c "exec $cmd" > "$results/$s.csv" 2> "$results/$s.err"; then
		echo "agg.sh: $name failed: $cmd" >&2
		cat "$results/$s.err" >&2
		: > "$results/$s.failed"
	fi
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$results/$s.time")
	echo "$name,$kb" >> "$results/rss.csv"
	echo "$name: $kb kB"
done
if ls "$results"/*.failed >/dev/null 2>&1; then
	rm -f "$results"/*.failed
	exit 1
fi
echo "c/csv-floor counted $(cat "$results/c-csv-floor.csv") records (header included)"

# ==== Agreement ====
echo
echo "== Agreement (rows sorted, numbers within 0.005; normalised copies in $results/*.norm)"
set --
[ -n "$have_kpi" ] && set -- a-kpi-agg="$results/a-kpi-agg.csv"
echo "(a) -g region,stage: count, sum, mean of amount"
"$PYTHON" "$here/compare.py" 2 "$results" "$@" \
	a-mlr="$results/a-mlr.csv" a-datamash="$results/a-datamash.csv" || status=1
set --
[ -n "$have_kpi" ] && set -- b-kpi-agg="$results/b-kpi-agg.csv"
echo "(b) -t created_date --every month: count, sum of amount"
"$PYTHON" "$here/compare.py" 1 "$results" "$@" \
	b-mlr="$results/b-mlr.csv" b-awk_datamash="$results/b-awk_datamash.csv" || status=1

# ==== Timing: one hyperfine run over all jobs ====
echo
echo "== hyperfine --warmup 1 --runs 5"
set -- --warmup 1 --runs 5 \
	--export-json "$results/agg.json" --export-markdown "$results/agg.md"
nl='
'
IFS=$nl
set -f
for line in $jobs; do
	set -- "$@" -n "${line%%"$tab"*}" "${line#*"$tab"}"
done
set +f
unset IFS
hyperfine "$@"

# ==== Figures and targets ====
echo
echo "== Figures (MB = 10^6 bytes; speedup = their mean time / kpi-agg's)"
rstatus=0
"$PYTHON" "$here/report.py" "$results/agg.json" "$results/rss.csv" "$bytes" \
	"$results/summary.md" || rstatus=$?
echo
echo "Results in $results: agg.json agg.md summary.md env.txt *.csv *.norm"

if [ "$status" -ne 0 ]; then
	echo "agg.sh: outputs DISAGREE" >&2
	exit 1
fi
if [ "$rstatus" -ne 0 ] && [ "$rstatus" -ne 3 ]; then
	exit 1
fi
if [ -z "$have_kpi" ]; then
	exit 77
fi
if [ "$rstatus" -eq 3 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
	exit 3
fi
exit 0
