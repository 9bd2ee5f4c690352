#!/bin/sh
# pipeline.sh - speed of kpi-pipeline: the bookings distribution of 100,000
# open deals in 50 groups, Monte Carlo with 100,000 draws per row over
# threads, and the waterfall between two weekly snapshots.
#
# Usage: bench/pipeline.sh [BUILDDIR]        (BUILDDIR defaults to "build")
#
# Needs: a built tree (kpi-pipeline and bench/gen-pipeline), GNU time at
# /usr/bin/time, awk, sha256sum.  Writes bench/data/pipeline-*.csv once,
# then bench/results/pipeline-* on every run.
# Exit status: 0 every job ran and its output is sane; 1 a job failed or an
# output is wrong; 2 missing tool or build.  Targets print PASS/FAIL; with
# BENCH_STRICT=1 a missed target gives 3.  See bench/README.md.

set -eu
LC_ALL=C
export LC_ALL

DEALS=100000
GROUPS=50
RUNS=${RUNS:-3}
# sha256 of `gen-pipeline` with the defaults (see README.md).
EXPECTED_SHA=4df47b500f1b5dd08894f0943dcbebcece794bdd31c1d11400a7b105e6103e5c

here=$(cd "$(dirname "$0")" && pwd)
if ! build=$(cd "${1:-build}" 2>/dev/null && pwd); then
	echo "pipeline.sh: no build directory '${1:-build}' (run: meson setup build && ninja -C build)" >&2
	exit 2
fi
gen=$build/bench/gen-pipeline
kpi=$build/kpi-pipeline
for prog in "$gen" "$kpi"; do
	if [ ! -x "$prog" ]; then
		echo "pipeline.sh: $prog not built (ninja -C '$build')" >&2
		exit 2
	fi
done
for tool in /usr/bin/time awk sha256sum sort; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "pipeline.sh: $tool not found" >&2
		exit 2
	fi
done
cpus=$(nproc 2>/dev/null || echo 2)

data=$here/data
results=$here/results
mkdir -p "$data" "$results"
w0=$data/pipeline-w0.csv
w1=$data/pipeline-w1.csv
probs=$data/pipeline-probs.csv

# ==== The input ====
if [ ! -s "$w0" ] || [ ! -s "$w1" ] || [ ! -s "$probs" ]; then
	echo "generating $DEALS open deals in $GROUPS groups ..."
	"$gen" -n "$DEALS" -g "$GROUPS" -p "$probs" >"$w0"
	"$gen" -n "$DEALS" -g "$GROUPS" -w 1 >"$w1"
fi
sha=$(sha256sum "$w0" | cut -d' ' -f1)
if [ -n "$EXPECTED_SHA" ] && [ "$sha" != "$EXPECTED_SHA" ]; then
	echo "pipeline.sh: warning: $w0 has sha256 $sha, expected $EXPECTED_SHA" >&2
fi

# ==== The jobs ====
common="--probs $probs --stage stage --amount amount --close-date close_date -g rep"
dist="$common --as-of 2026-11-23"
jobs="dist dist-mc mc100k-j1 mc100k-j$cpus diff"
cmd_of() {
	case $1 in
	dist)		echo "$kpi $dist $w0" ;;
	dist-mc)	echo "$kpi $dist --method monte-carlo $w0" ;;
	mc100k-j*)	echo "$kpi $dist --method monte-carlo --draws 100000 -j ${1#mc100k-j} $w0" ;;
	diff)		echo "$kpi $common --id id --diff $w0 $w1" ;;
	esac
}

fail=0
: >"$results/pipeline-times.csv"
for job in $jobs; do
	cmd=$(cmd_of "$job")
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		i=$((i + 1))
		if ! /usr/bin/time -f "$job,%e,%U,%S,%M" -a -o "$results/pipeline-times.csv" \
		     $cmd >"$results/pipeline-$job.csv" 2>"$results/pipeline-$job.err"; then
			echo "pipeline.sh: $job failed:" >&2
			cat "$results/pipeline-$job.err" >&2
			fail=1
			break
		fi
	done
done

# ==== Checks ====
check() {	# check DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok: $desc"
	else
		echo "WRONG: $desc"
		fail=1
	fi
}
rows=$(($(wc -l <"$results/pipeline-dist.csv") - 1))
check "the distribution has one row per rep and quarter ($rows rows)" [ "$rows" -gt "$GROUPS" ]
check "every row of the default run is exact, its bound within 0.05 sd" \
	awk -F, 'NR > 1 && ($13 != "exact" || $14 > 0.05 * $9 + 1e-9) { bad = 1 } END { exit bad }' \
	"$results/pipeline-dist.csv"
check "Monte Carlo gives the same bytes with -j 1 and -j $cpus" \
	cmp -s "$results/pipeline-mc100k-j1.csv" "$results/pipeline-mc100k-j$cpus.csv"
# Exact and Monte Carlo medians agree: within 4 standard errors of the MC
# median (1.25 sd / sqrt(draws)) plus the exact bound.
check "exact and Monte Carlo (100,000 draws) medians agree" \
	awk -F, 'NR == FNR { if (FNR > 1) { m[$1 "," $2] = $11; b[$1 "," $2] = $14 }; next }
		 FNR > 1 { k = $1 "," $2; d = $11 - m[k]; if (d < 0) d = -d
			   if (d > 4 * 1.25 * $9 / sqrt(100000) + b[k] + 1e-6) bad = 1 }
		 END { exit bad }' \
	"$results/pipeline-dist.csv" "$results/pipeline-mc100k-j1.csv"
check "the waterfall ran (the tool checks every row adds up)" \
	[ "$(wc -l <"$results/pipeline-diff.csv")" -gt "$GROUPS" ]

# ==== Report ====
# Median wall and CPU (user + system) time per job over the runs.
summary=$results/pipeline-summary.md
{
	echo "kpi-pipeline on $DEALS deals, $GROUPS groups ($cpus CPUs, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'))"
	echo
	echo "| job | median wall (s) | median CPU (s) | peak RSS (MB) |"
	echo "|---|--:|--:|--:|"
	for job in $jobs; do
		awk -F, -v job="$job" '$1 == job { n++; w[n] = $2; c[n] = $3 + $4; if ($5 > r) r = $5 }
			function med(a, n,   i, j, t) {
				for (i = 2; i <= n; i++)
					for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
				return a[int((n + 1) / 2)]
			}
			END { if (n) printf "| %s | %.3f | %.3f | %.1f |\n", job, med(w, n), med(c, n), r / 1024 }' \
			"$results/pipeline-times.csv"
	done
} >"$summary"
cat "$summary"
for job in $jobs; do
	printf '%s: %s\n' "$job" "$(cmd_of "$job")"
done >"$results/pipeline-commands.txt"

cpu=$(awk -F, '$1 == "dist" { c = $3 + $4; if (!n++ || c < m) m = c } END { print m + 0 }' \
	"$results/pipeline-times.csv")
target=PASS
awk -v c="$cpu" 'BEGIN { exit !(c < 1) }' || target=FAIL
echo "target: the distribution of $DEALS deals in under 1 s of CPU (best run $cpu s): $target"

[ "$fail" = 0 ] || exit 1
[ "$target" = PASS ] || [ "${BENCH_STRICT:-}" != 1 ] || exit 3
exit 0
