#!/usr/bin/env bash
# soak.sh - gigabytes of generated transactions streamed through
# `kpi-agg | kpi-forecast` and through `kpi-cohort`: peak RSS of every
# process at each size (it must stay flat), wall time, throughput, and the
# outputs checked against the generator's own totals.
#
# Usage: bench/soak.sh [-b BUILDDIR] [-j JOBS] [GB...]
#   -b BUILDDIR  the build (default: build)
#   -j JOBS      which pipes: "agg", "cohort" or "agg,cohort" (the default)
#   GB           input sizes in units of 10^9 bytes (default: 1 10)
#
# Needs a built tree (kpi-agg, kpi-forecast, kpi-cohort, bench/gen-soak),
# GNU time at /usr/bin/time, awk, df.  Nothing the size of the input is
# written: gen-soak streams into the tools.  kpi-cohort keeps its events in
# an unlinked temporary file in $TMPDIR (about 26 bytes per row, twice that
# beyond a few GB), so the script checks that $TMPDIR has room first.
# Writes bench/results/soak/.
# Exit status: 0 every output agrees with the truth; 1 an output is wrong or
# a command failed; 2 usage, missing tool or no room.  Memory is judged
# PASS/FAIL (10 GB RSS within 10% of 1 GB RSS) without changing the status
# unless BENCH_STRICT=1 (then 3).  See bench/README.md.

set -uo pipefail
LC_ALL=C
export LC_ALL

# gen-soak writes 31.09 bytes per row; SOAK_ROWS_PER_GB shrinks a trial run.
ROWS_PER_GB=${SOAK_ROWS_PER_GB:-32160000}
HORIZON=6
EVENT_BYTES=56		# kpi-cohort's temporary file per row: twice 26 (split buckets), with slack

build=build
jobs=agg,cohort
while getopts b:j: opt; do
	case $opt in
	b) build=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) echo "Usage: bench/soak.sh [-b BUILDDIR] [-j agg,cohort] [GB...]" >&2; exit 2 ;;
	esac
done
want() { case ",$jobs," in *",$1,"*) return 0 ;; esac; return 1; }
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 1 10

here=$(cd "$(dirname "$0")" && pwd)
if ! build=$(cd "$build" 2>/dev/null && pwd); then
	echo "soak.sh: no build directory (run: meson setup build && ninja -C build)" >&2
	exit 2
fi
gen=$build/bench/gen-soak
agg=$build/kpi-agg
fc=$build/kpi-forecast
cohort=$build/kpi-cohort
for prog in "$gen" "$agg" "$fc" "$cohort"; do
	[ -x "$prog" ] || { echo "soak.sh: $prog not built (ninja -C '$build')" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "soak.sh: GNU time missing (apt-get install time)" >&2; exit 2; }

res=$here/results/soak
mkdir -p "$res" || exit 2
tmpdir=${TMPDIR:-/tmp}
status=0

fail() {
	echo "soak.sh: FAIL: $*" >&2
	status=1
}

# Peak RSS in kB and elapsed seconds from a GNU time -v report.
rss_kb() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
elapsed_s() {
	awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, p, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + p[i]
		print s }' "$1"
}
cpu_s() {
	awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$1"
}
now() { date +%s.%N; }

# kpi-agg's table against the generator's: same keys, same counts, sums
# within 1e-9 relative (kpi-agg sums doubles of two-decimal amounts).
check_agg() {	# truth output
	awk -F, 'NR == FNR { if (FNR > 1) { n[$1 "," $2] = $3; c[$1 "," $2] = $4 } next }
	FNR == 1 { if ($0 != "region,period,count,amount_sum") { print "header: " $0; bad++ } next }
	{
		k = $1 "," $2
		if (!(k in n)) { print "extra group " k; bad++; next }
		seen[k] = 1
		want = c[k] / 100
		d = $4 - want; if (d < 0) d = -d
		if ($3 != n[k] || d > 1e-9 * want + 0.005) {
			print k ": count " $3 " sum " $4 ", expected " n[k] " " want; bad++
		}
	}
	END {
		for (k in n) if (!(k in seen) && n[k] > 0) { print "missing group " k; bad++ }
		exit bad > 0
	}' "$1" "$2"
}

# kpi-forecast -m naive against the naive method computed here from the
# generator's monthly totals: the last value, and intervals
# last -/+ z sigma sqrt(h), sigma^2 the mean of the squared one-step
# differences (Hyndman & Athanasopoulos, FPP3 5.5, as R's naive()).
check_forecast() {	# truth output
	awk -F, -v H="$HORIZON" 'NR == FNR {
		if (FNR == 1) next
		r = $1; m = ++len[r]; v[r, m] = $4 / 100; last_month[r] = $2; next
	}
	FNR == 1 { next }
	{
		r = $1
		if (!(r in len)) { print "unknown series " r; bad++; next }
		h = ++got[r]
		n = len[r]; s = 0
		for (i = 2; i <= n; i++) { d = v[r, i] - v[r, i - 1]; s += d * d }
		sg = sqrt(s / (n - 1)); y = v[r, n]
		split(last_month[r], ym, "-"); mi = ym[1] * 12 + ym[2] - 1 + h
		per = sprintf("%04d-%02d-01", int(mi / 12), mi % 12 + 1)
		want[1] = y
		want[2] = y - 1.2815515655446004 * sg * sqrt(h); want[3] = y + 1.2815515655446004 * sg * sqrt(h)
		want[4] = y - 1.959963984540054 * sg * sqrt(h); want[5] = y + 1.959963984540054 * sg * sqrt(h)
		if ($2 != per || $3 != "forecast") { print r ": row " h ": " $2 "," $3 ", expected " per ",forecast"; bad++ }
		for (j = 1; j <= 5; j++) {
			d = $(j + 3) - want[j]; if (d < 0) d = -d
			if (d > 1e-7 * (y < 0 ? -y : y) + 0.01) { print r " h=" h " column " j + 3 ": " $(j + 3) ", expected " want[j]; bad++ }
		}
	}
	END {
		for (r in len) if (got[r] != H) { print r ": " got[r] + 0 " forecasts, expected " H; bad++ }
		exit bad > 0
	}' "$1" "$2"
}

# kpi-cohort's table against the generator's: every (cohort, age) cell,
# the same size and distinct active customers, revenue within 1e-9.
check_cohort() {	# truth output
	awk -F, 'NR == FNR { if (FNR > 1) { k = $1 "," $2; sz[k] = $3; act[k] = $4; c[k] = $5 } next }
	FNR == 1 {
		for (i = 1; i <= NF; i++) col[$i] = i
		if (!("size" in col) || !("active" in col) || !("revenue" in col)) { print "header: " $0; bad++ }
		next
	}
	{
		k = $1 "," $2
		if (!(k in sz)) { print "extra cell " k; bad++; next }
		seen[k] = 1
		want = c[k] / 100
		d = $(col["revenue"]) - want; if (d < 0) d = -d
		if ($(col["size"]) != sz[k] || $(col["active"]) != act[k] || d > 1e-9 * want + 0.005) {
			print k ": size " $(col["size"]) " active " $(col["active"]) " revenue " $(col["revenue"]) \
				", expected " sz[k] " " act[k] " " want; bad++
		}
	}
	END {
		for (k in sz) if (!(k in seen) && sz[k] > 0) { print "missing cell " k; bad++ }
		exit bad > 0
	}' "$1" "$2"
}

printf 'size,rows,bytes,job,process,peak_rss_kb,elapsed_s,cpu_s,pipe_wall_s\n' > "$res/rss.csv"
# One process's line of rss.csv from its GNU time report.
record() {	# record GB JOB PROCESS TIMEFILE PIPE_WALL
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$1" "$rows" "$bytes" "$2" "$3" \
		"$(rss_kb "$4")" "$(elapsed_s "$4")" "$(cpu_s "$4")" "$5" >> "$res/rss.csv"
}
for gb in "$@"; do
	case $gb in
	''|*[!0-9]*) echo "soak.sh: size '$gb' is not a whole number of GB" >&2; exit 2 ;;
	esac
	rows=$((gb * ROWS_PER_GB))
	need_kb=$((rows / 1024 * EVENT_BYTES))
	free_kb=$(df -Pk "$tmpdir" | awk 'NR == 2 { print $4 }')
	if want cohort && [ "$free_kb" -lt "$need_kb" ]; then
		echo "soak.sh: $tmpdir has $((free_kb / 1024)) MB free, kpi-cohort needs about $((need_kb / 1024)) MB at ${gb} GB" >&2
		exit 2
	fi
	t=$res/${gb}g

	# The weekly-report pipe: monthly sums per region, then a forecast.
	if want agg; then
		echo "soak.sh: ${gb} GB: $rows rows through kpi-agg | kpi-forecast"
		start=$(now)
		"$gen" -n "$rows" -T "$t-truth" |
			/usr/bin/time -v -o "$t-agg.time" "$agg" -g region -t order_date \
				-e month -a count,sum:amount |
			tee "$t-agg.csv" |
			/usr/bin/time -v -o "$t-forecast.time" "$fc" -k region -t period \
				-v amount_sum -m naive -H "$HORIZON" > "$t-forecast.csv" ||
			fail "${gb} GB: kpi-agg | kpi-forecast failed"
		wall=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
		bytes=$(awk -F, 'NR == 2 { print $3 }' "$t-truth-total.csv")
		check_agg "$t-truth-agg.csv" "$t-agg.csv" ||
			fail "${gb} GB: kpi-agg disagrees with the truth"
		check_forecast "$t-truth-agg.csv" "$t-forecast.csv" ||
			fail "${gb} GB: kpi-forecast disagrees with the naive method"
		record "$gb" "agg|forecast" kpi-agg "$t-agg.time" "$wall"
		record "$gb" "agg|forecast" kpi-forecast "$t-forecast.time" "$wall"
	fi

	if want cohort; then
		echo "soak.sh: ${gb} GB: $rows rows through kpi-cohort"
		start=$(now)
		"$gen" -n "$rows" -T "$t-truth2" |
			/usr/bin/time -v -o "$t-cohort.time" "$cohort" --id customer_id \
				-t order_date -v amount > "$t-cohort.csv" ||
			fail "${gb} GB: kpi-cohort failed"
		wall=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
		bytes=$(awk -F, 'NR == 2 { print $3 }' "$t-truth2-total.csv")
		if want agg; then
			cmp -s "$t-truth-agg.csv" "$t-truth2-agg.csv" ||
				fail "${gb} GB: the generator is not deterministic"
		fi
		check_cohort "$t-truth2-cohort.csv" "$t-cohort.csv" ||
			fail "${gb} GB: kpi-cohort disagrees with the truth"
		record "$gb" cohort kpi-cohort "$t-cohort.time" "$wall"
	fi
done

# ==== The report ====
awk -F, -v strict="${BENCH_STRICT:-0}" 'NR == 1 { next }
{
	key = $4 " " $5
	if (!(key in first)) { first[key] = $6; firstsize[key] = $1; order[++n] = key }
	lastrss[key] = $6; lastsize[key] = $1
	printf "| %s GB | %d | %.2f | %s | %.1f | %.1f | %.1f | %.1f | %.0f |\n", $1, $2, $3 / 1e9, $5, $6 / 1024, $7, $8, $9, $3 / 1e6 / $9 > "/dev/stderr"
}
END {
	for (i = 1; i <= n; i++) {
		k = order[i]
		if (firstsize[k] == lastsize[k]) continue
		r = lastrss[k] / first[k]
		printf "%s: peak RSS %.1f MB at %s GB, %.1f MB at %s GB: x%.3f %s\n", k,
			first[k] / 1024, firstsize[k], lastrss[k] / 1024, lastsize[k], r,
			(r <= 1.10 ? "PASS" : "FAIL")
		if (r > 1.10) miss = 1
	}
	exit miss && strict == 1 ? 3 : 0
}' "$res/rss.csv" 2> "$res/table.md" > "$res/flat.txt"
flat=$?
{
	echo "| input | rows | GB | process | peak RSS (MB) | elapsed (s) | CPU (s) | pipe wall (s) | MB/s (wall) |"
	echo "|---|--:|--:|---|--:|--:|--:|--:|--:|"
	cat "$res/table.md"
	echo
	cat "$res/flat.txt"
} | tee "$res/summary.md"
if [ $status -eq 0 ]; then
	echo "soak.sh: every output agrees with the generator's totals"
	[ $flat -eq 3 ] && status=3
fi
exit $status
