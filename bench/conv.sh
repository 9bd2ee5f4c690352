#!/bin/sh
# conv.sh - speed and memory benchmark of kpi-conv's funnel report, against
# kpi-agg on the same stage history
#
# Usage: bench/conv.sh [BUILDDIR]        (BUILDDIR defaults to "build")
#
# Needs: a built tree (meson setup build && ninja -C build), hyperfine, GNU
# time at /usr/bin/time, awk, sha256sum.  No Python.
# Writes bench/data/history-1m.csv and history-250k.csv once (gen-history),
# then bench/results/conv-* on every run.
# Exit status: 0 the runs succeeded and their outputs are sane; 1 a command
# failed or an output is wrong; 2 usage or a missing tool or build.  With
# BENCH_STRICT=1, a missed target gives 3.  See bench/README.md.

set -eu

# Numbers are parsed and printed in the C locale.
LC_ALL=C
export LC_ALL

DEALS=1000000
SMALL=250000
# sha256 of `gen-history -n 1000000` with the default seed (see README.md).
EXPECTED_SHA=ca83c12e9d422d7af30c35aa6e9240474f65d07aa891b9911835176195a38c3b

here=$(cd "$(dirname "$0")" && pwd)
if ! build=$(cd "${1:-build}" 2>/dev/null && pwd); then
	echo "conv.sh: no build directory '${1:-build}' (run: meson setup build && ninja -C build)" >&2
	exit 2
fi
gen=$build/bench/gen-history
floor=$build/bench/csv-floor
conv=$build/kpi-conv
agg=$build/kpi-agg
for prog in "$gen" "$floor" "$conv" "$agg"; do
	if [ ! -x "$prog" ]; then
		echo "conv.sh: $prog not built (ninja -C '$build')" >&2
		exit 2
	fi
done
for tool in hyperfine awk sha256sum /usr/bin/time; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "conv.sh: $tool not found (Debian: apt-get install hyperfine time)" >&2
		exit 2
	fi
done

data=$here/data
results=$here/results
mkdir -p "$data" "$results"
big=history-1m.csv
small=history-250k.csv

# ==== The input ====
for spec in "$DEALS $big" "$SMALL $small"; do
	n=${spec% *}
	f=${spec#* }
	if [ ! -s "$data/$f" ]; then
		echo "conv.sh: generating $data/$f ($n deals)"
		"$gen" -n "$n" > "$data/$f.tmp"
		mv "$data/$f.tmp" "$data/$f"
	fi
done
sha=$(sha256sum "$data/$big" | cut -d' ' -f1)
if [ "$sha" != "$EXPECTED_SHA" ]; then
	echo "conv.sh: warning: $data/$big is not the default file (sha256 $sha); delete it to regenerate" >&2
fi
bytes=$(wc -c < "$data/$big" | tr -d ' ')
rows=$(($(wc -l < "$data/$big") - 1))

# ==== The jobs ====
# Run from the data directory so the commands read as a user would type them.
cd "$data"
q() { printf "'%s'" "$1"; }	# quote a path for sh -c

conv_args="--id deal_id --stage stage --time entered --stages lead,mql,sql,opportunity,won --lost lost,disqualified -g region -e month"
j_conv="$(q "$conv") $conv_args $big"
j_agg="$(q "$agg") -g region,stage -t entered --every month -a count $big"
j_floor="$(q "$floor") $big"

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "input: $data/$big, $bytes bytes, $rows rows, $DEALS deals, sha256 $sha"
	echo "hyperfine: $(hyperfine --version)"
	echo "kpi-conv: $("$conv" --version)"
	echo "build: $build"
} > "$results/conv-env.txt"
cat "$results/conv-env.txt"

# ==== Outputs and peak RSS, one run each under GNU time ====
echo
echo "== Outputs and peak RSS (/usr/bin/time -v, one run each)"
status=0
rm -f "$results"/conv-*.failed
# rss NAME COMMAND: run COMMAND once, keep its output, print its peak RSS (kB).
rss() {
	if ! /usr/bin/time -v -o "$results/conv-$1.time" sh -c "$2" \
		> "$results/conv-$1.csv" 2> "$results/conv-$1.err"; then
		echo "conv.sh: $1 failed: $2" >&2
		cat "$results/conv-$1.err" >&2
		: > "$results/conv-$1.failed"
	fi
	sed -n 's/.*Maximum resident set size (kbytes): *//p' "$results/conv-$1.time"
}
kb_big=$(rss conv-1m "exec $j_conv")
kb_small=$(rss conv-250k "exec $(q "$conv") $conv_args $small")
# The same deals with every row given twice: memory must not follow rows.
kb_twice=$(rss conv-1m-rows-twice \
	"{ cat $big; tail -n +2 $big; } | exec $(q "$conv") $conv_args -")
kb_agg=$(rss agg-1m "exec $j_agg")
if ls "$results"/conv-*.failed >/dev/null 2>&1; then
	rm -f "$results"/conv-*.failed
	exit 1
fi
echo "kpi-conv, $SMALL deals: $kb_small kB"
echo "kpi-conv, $DEALS deals: $kb_big kB"
echo "kpi-conv, $DEALS deals, every row twice: $kb_twice kB"
echo "kpi-agg, $DEALS deals: $kb_agg kB"

# Sanity: every deal enters lead once; kpi-agg counts every row.
leads=$(awk -F, 'NR > 1 && $3 == "lead" { s += $5 } END { print s + 0 }' \
	"$results/conv-conv-1m.csv")
counted=$(awk -F, 'NR > 1 { s += $4 } END { print s + 0 }' "$results/conv-agg-1m.csv")
if [ "$leads" != "$DEALS" ]; then
	echo "conv.sh: kpi-conv counts $leads deals at lead, expected $DEALS" >&2
	status=1
fi
if [ "$counted" != "$rows" ]; then
	echo "conv.sh: kpi-agg counts $counted rows, expected $rows" >&2
	status=1
fi
if ! cmp -s "$results/conv-conv-1m.csv" "$results/conv-conv-1m-rows-twice.csv"; then
	echo "conv.sh: kpi-conv's report changes when every row is given twice" >&2
	status=1
fi
[ "$status" -eq 0 ] || exit 1
echo "outputs: $leads deals at lead in kpi-conv's report, $counted rows in kpi-agg's"

# ==== Timing: one hyperfine run over all jobs ====
echo
echo "== hyperfine --warmup 1 --runs 5"
hyperfine --warmup 1 --runs 5 \
	--export-csv "$results/conv.csv" --export-markdown "$results/conv.md" \
	-n kpi-conv "$j_conv" -n kpi-agg "$j_agg" -n csv-floor "$j_floor"

# ==== Figures and targets ====
echo
echo "== Figures (MB = 10^6 bytes; ratio = kpi-agg's mean time / kpi-conv's)"
awk -F, -v bytes="$bytes" -v rows="$rows" -v deals="$DEALS" -v small="$SMALL" \
    -v kb_big="$kb_big" -v kb_small="$kb_small" -v kb_twice="$kb_twice" \
    -v kb_agg="$kb_agg" -v out="$results/conv-summary.md" '
NR > 1 { mean[$1] = $2; sd[$1] = $3; med[$1] = $4; cpu[$1] = $5 + $6 }
END {
	printf "input: %d bytes (%.1f MB), %d rows, %d deals\n",
		bytes, bytes / 1e6, rows, deals
	print "| job | mean (s) | ± sd (s) | median (s) | user+sys (s) | MB/s | Mrows/s |" > out
	print "|---|--:|--:|--:|--:|--:|--:|" > out
	printf "%-10s %8s %7s %7s %7s %8s %8s\n", "job", "mean s", "± sd",
		"median", "cpu s", "MB/s", "Mrows/s"
	n = split("kpi-conv kpi-agg csv-floor", jobs, " ")
	for (i = 1; i <= n; i++) {
		j = jobs[i]
		printf "%-10s %8.3f %7.3f %7.3f %7.3f %8.1f %8.2f\n", j, mean[j],
			sd[j], med[j], cpu[j], bytes / mean[j] / 1e6,
			rows / mean[j] / 1e6
		printf "| %s | %.3f | %.3f | %.3f | %.3f | %.1f | %.2f |\n", j,
			mean[j], sd[j], med[j], cpu[j], bytes / mean[j] / 1e6,
			rows / mean[j] / 1e6 > out
	}
	ratio = mean["kpi-agg"] / mean["kpi-conv"]
	mratio = med["kpi-agg"] / med["kpi-conv"]
	cratio = cpu["kpi-agg"] / cpu["kpi-conv"]
	per_deal = (kb_big - kb_small) * 1024 / (deals - small)
	twice = kb_twice / kb_big
	printf "\nkpi-conv peak RSS: %.1f MB at %d deals, %.1f MB at %d deals\n",
		kb_small * 1024 / 1e6, small, kb_big * 1024 / 1e6, deals
	printf "  every row twice (%d rows, same deals): %.1f MB (x%.3f)\n",
		2 * rows, kb_twice * 1024 / 1e6, twice
	printf "  %.1f bytes per deal (the growth from %d to %d deals); %.1f bytes per deal in all\n",
		per_deal, small, deals, kb_big * 1024 / deals
	printf "kpi-agg peak RSS: %.1f MB\n\n", kb_agg * 1024 / 1e6
	print "" > out
	printf "| kpi-conv peak RSS | %d deals | %d deals | %d deals, rows twice | bytes per deal (growth) |\n",
		small, deals, deals > out
	print "|---|--:|--:|--:|--:|" > out
	printf "| MB | %.1f | %.1f | %.1f | %.1f |\n", kb_small * 1024 / 1e6,
		kb_big * 1024 / 1e6, kb_twice * 1024 / 1e6, per_deal > out
	print "" > out

	fail = 0
	v = ratio >= 0.5 ? "PASS" : "FAIL"
	fail += v == "FAIL"
	printf "%s  kpi-conv throughput / kpi-agg throughput = %.2f (median %.2f, CPU time %.2f); target >= 0.5\n",
		v, ratio, mratio, cratio
	printf "- %s: kpi-conv throughput / kpi-agg throughput = %.2f (median %.2f, CPU time %.2f); target >= 0.5\n",
		v, ratio, mratio, cratio > out
	v = per_deal <= 72 ? "PASS" : "FAIL"
	fail += v == "FAIL"
	printf "%s  kpi-conv memory: %.1f bytes per deal; target <= 72 (a few dozen)\n",
		v, per_deal
	printf "- %s: kpi-conv memory: %.1f bytes per deal; target <= 72 (a few dozen)\n",
		v, per_deal > out
	v = twice <= 1.1 ? "PASS" : "FAIL"
	fail += v == "FAIL"
	printf "%s  kpi-conv memory follows deals, not rows: x%.3f with every row twice; target <= 1.1\n",
		v, twice
	printf "- %s: kpi-conv memory follows deals, not rows: x%.3f with every row twice; target <= 1.1\n",
		v, twice > out
	exit fail ? 3 : 0
}' "$results/conv.csv" || rstatus=$?
echo
echo "Results in $results: conv.csv conv.md conv-summary.md conv-env.txt conv-*.csv conv-*.time"

if [ "${rstatus:-0}" -ne 0 ] && [ "${rstatus:-0}" -ne 3 ]; then
	exit 1
fi
if [ "${rstatus:-0}" -eq 3 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
	exit 3
fi
exit 0
