#!/bin/sh
# bench/fuzz.sh - run the libFuzzer harnesses of tests/fuzz for as long as
# you like, and say what they found.
#
# Usage: bench/fuzz.sh [-t SECONDS] [-j JOBS] [-k] [-b BUILDDIR] [HARNESS...]
#   -t SECONDS  per harness (default 600)
#   -j JOBS     harnesses run at the same time (default: the number of CPUs)
#   -k          keep going after a finding (libFuzzer fork mode, one job),
#               to collect every distinct one
#   -b BUILDDIR a clang build with -Dfuzz=true (default build-fuzz; made
#               here when missing)
#   HARNESS     csv num date date_format forecast (default: all built)
# The corpus grows in BUILDDIR/fuzz-work/corpus/HARNESS across runs (seeded
# from tests/fuzz/corpus/HARNESS, which is left as it is); findings go to
# BUILDDIR/fuzz-work/findings/HARNESS.  Prints one line per harness and a
# table; exit status 1 when anything was found.  To keep a finding as a
# regression test, fix it and copy the input to tests/fuzz/regress/HARNESS/.
set -u
cd "$(dirname "$0")/.." || exit 2
secs=600
jobs=$(nproc 2>/dev/null || echo 1)
keep=0
build=build-fuzz
while getopts t:j:kb: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	k) keep=1 ;;
	b) build=$OPTARG ;;
	*) echo "Usage: bench/fuzz.sh [-t SECONDS] [-j JOBS] [-k] [-b BUILDDIR] [HARNESS...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true >/dev/null || exit 2
fi
targets=$(ninja -C "$build" -t targets all |
	grep -o '^tests/fuzz/fuzz_[a-z_]*' | sort -u)
[ -n "$targets" ] || { echo "bench/fuzz.sh: $build has no fuzz targets (-Dfuzz=true?)" >&2; exit 2; }
ninja -C "$build" $targets >/dev/null || exit 2
if [ $# -eq 0 ]; then
	set -- $(printf '%s\n' $targets | sed 's|.*/fuzz_||')
fi

work=$build/fuzz-work
mkdir -p "$work" || exit 2
flags=
[ "$keep" = 1 ] && flags="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
echo "fuzzing $* for $secs s each, $jobs at a time"

# Run the harnesses, at most $jobs at once.
running=0
for h in "$@"; do
	[ -x "$build/tests/fuzz/fuzz_$h" ] || { echo "no harness $h" >&2; exit 2; }
	KPI_FUZZ_SEED=0 KPI_FUZZ_FLAGS=$flags sh tests/fuzz/run.sh "$build/tests/fuzz/fuzz_$h" \
		"$secs" "tests/fuzz/corpus/$h" "$work/findings/$h" \
		"$work/corpus/$h" >"$work/$h.out" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

status=0
printf '\n| harness | executions | seconds | corpus | findings |\n|---|---:|---:|---:|---:|\n'
for h in "$@"; do
	line=$(tail -1 "$work/$h.out")
	execs=$(echo "$line" | sed -n 's/.*: \([0-9]*\) executions.*/\1/p')
	found=$(ls "$work/findings/$h" 2>/dev/null | grep -cv '\.log$')
	printf '| %s | %s | %s | %s | %s |\n' "$h" "${execs:-?}" "$secs" \
		"$(ls "$work/corpus/$h" | wc -l)" "$found"
	if [ "$found" != 0 ]; then
		status=1
		grep -v 'executions in' "$work/$h.out" | sed "s/^/  $h: /" | head -10
		ls "$work/findings/$h" | grep -v '\.log$' | sed "s|^|  $work/findings/$h/|"
	fi
done
exit $status
