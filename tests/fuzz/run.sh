#!/bin/sh
# run.sh - fuzz one harness for a fixed time and report what was found.
#
# Usage: run.sh HARNESS SECONDS SEED_DIR FINDINGS_DIR [CORPUS_DIR]
# New inputs go to CORPUS_DIR (a temporary directory by default, so that the
# checked-in seeds stay as they are); a crash, sanitizer report, broken
# invariant, timeout (10 s for one input) or leak is written to FINDINGS_DIR
# and makes the exit status nonzero.  KPI_FUZZ_SECONDS, when set, overrides
# SECONDS; KPI_FUZZ_FLAGS adds libFuzzer flags (bench/fuzz.sh: -fork=N
# -ignore_crashes=1 to go on after a finding).  The random seed is
# KPI_FUZZ_SEED (default 1, so that a short run in CI explores the same
# inputs on every machine; 0 asks libFuzzer for a fresh one) and
# KPI_FUZZ_RUNS, when set, stops after that many inputs, so that CI never
# goes further than a run that was checked by hand.  The last line is
# "HARNESS: N executions in S s, F new findings, exit RC".
set -u
exe=$1
secs=${KPI_FUZZ_SECONDS:-$2}
seeds=$3
findings=$4
name=$(basename "$exe")
mkdir -p "$findings" || exit 99
if [ $# -ge 5 ]; then
	corpus=$5
	mkdir -p "$corpus" || exit 99
	tmp=
else
	tmp=$(mktemp -d) || exit 99
	corpus=$tmp
fi
log=$findings/$name.log
before=$(ls "$findings" | grep -cv '\.log$')
"$exe" -max_total_time="$secs" -seed="${KPI_FUZZ_SEED:-1}" \
	-runs="${KPI_FUZZ_RUNS:--1}" -timeout=10 -rss_limit_mb=2560 \
	-max_len=8192 -print_final_stats=1 \
	-artifact_prefix="$findings/" ${KPI_FUZZ_FLAGS:-} "$corpus" "$seeds" \
	>"$log" 2>&1
rc=$?
[ -n "$tmp" ] && rm -rf "$tmp"
after=$(ls "$findings" | grep -cv '\.log$')
# One process prints its total; fork mode a running one ("#N: cov: ...").
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
[ -n "$execs" ] ||
	execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
if [ "$rc" != 0 ]; then
	# Show what the fuzzer reported, and where the input is.
	grep -E 'ERROR|invariant failed|runtime error|SUMMARY|Test unit written|deadly signal|timeout' \
		"$log" | head -20
fi
echo "$name: ${execs:-0} executions in $secs s, $((after - before)) new findings, exit $rc"
[ "$rc" = 0 ]
