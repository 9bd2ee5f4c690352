#!/bin/sh
# contract.sh - the pipe contract of kpi(7), checked against one tool.
#
# Usage: contract.sh TOOL ARGS_FILE
# ARGS_FILE holds the tool's arguments for a run that reads big.csv (made
# here: 200,000 rows with columns id, day, amount, stage (a, b or c)) and
# writes many rows.
# Prints TAP.
set -u
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
args=$(cat "$2") || exit 99

name=$(basename "$tool")
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 99
LC_ALL=C
export LC_ALL
# KPI_VALGRIND=1 runs the tool under valgrind memcheck (exit 99 on errors).
wrap=
[ "${KPI_VALGRIND:-}" = 1 ] &&
	wrap="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
kpi() {
	$wrap "$tool" "$@"
}

awk 'BEGIN { print "id,day,amount,stage"
	     split("a b c", stage, " ")
	     for (i = 0; i < 200000; i++)
		     printf "c%d,2026-%02d-%02d,%d.%02d,%s\n", i, i % 12 + 1, i % 28 + 1, i % 997, i % 100, stage[i % 3 + 1] }' >big.csv

n=0
fails=0
check() {	# check DESCRIPTION CONDITION...
	n=$((n + 1))
	desc=$1
	shift
	if "$@"; then
		echo "ok $n - $name: $desc"
	else
		echo "not ok $n - $name: $desc"
		sed 's/^/# stderr: /' err 2>/dev/null | head -5
		fails=$((fails + 1))
	fi
}
run() {		# run ARGS...: status in $rc, output in out and err
	kpi "$@" >out 2>err
	rc=$?
}

run --help
check "--help exits 0" [ "$rc" = 0 ]
check "--help writes usage to standard output" grep -q "^Usage: $name" out
check "--help writes nothing to standard error" [ ! -s err ]

run --version
check "--version exits 0 and names the tool" \
	sh -c "[ $rc = 0 ] && grep -q '^$name [0-9]' out"

run --no-such-option
check "an unknown option exits 2" [ "$rc" = 2 ]
check "an unknown option points to --help" grep -q "Try '$name --help'" err
check "an unknown option writes nothing to standard output" [ ! -s out ]

run $args no-such-file.csv
check "a missing file exits 1" [ "$rc" = 1 ]
check "a missing file is named in the message" grep -q "^$name: no-such-file.csv: " err

if [ -w /dev/full ]; then
	eval "kpi $args big.csv" >/dev/full 2>err
	rc=$?
	check "a full disk (/dev/full) exits 1" [ "$rc" = 1 ]
	check "a full disk is reported" grep -q "write error" err
fi

# A reader that goes away early: quiet, and status 0.
( eval "kpi $args big.csv" 2>err; echo $? >rc ) | head -1 >/dev/null
check "a closed pipe exits 0" [ "$(cat rc)" = 0 ]
check "a closed pipe is silent" [ ! -s err ]

# -o replaces the file only on success.
echo "last week's report" >report.csv
printf 'id,day,amount,stage\n1,2026-01-01,"unterminated\n' >broken.csv
eval "kpi $args -o report.csv broken.csv" >out 2>err
rc=$?
check "a failed run exits 1" [ "$rc" = 1 ]
check "a failed run leaves the -o file as it was" \
	grep -qx "last week's report" report.csv
check "a failed run leaves no temporary file" \
	sh -c '[ "$(ls | grep -c tmp)" = 0 ]'
eval "kpi $args -o report.csv big.csv" >out 2>err
rc=$?
check "a good run with -o exits 0 and writes nothing to stdout" \
	sh -c "[ $rc = 0 ] && [ ! -s out ]"
check "a good run replaces the -o file" sh -c '! grep -q "last week" report.csv'

# A full file system half way through: a file size limit of 1 KB, with
# SIGXFSZ ignored so that a write fails (EFBIG) as it would on a full disk
# (ENOSPC), instead of killing the tool.  Status 1, a message, and with -o
# the previous file left as it was.
full() {	# full ARGS: the tool under the limit
	( trap '' XFSZ; ulimit -f 2; eval "exec $wrap \"\$tool\" $1" )
}
echo "last week's report" >report.csv
full "$args -o report.csv big.csv" >out 2>err
rc=$?
check "a full file system half way through -o FILE exits 1" [ "$rc" = 1 ]
check "a full file system is reported with the file's name" \
	grep -q "write error on .*report.csv" err
check "a full file system leaves the -o file as it was" \
	grep -qx "last week's report" report.csv
check "a full file system leaves no temporary file" \
	sh -c '[ "$(ls | grep -c tmp)" = 0 ]'
full "$args big.csv" >out 2>err
rc=$?
check "a full file system half way through standard output exits 1" \
	[ "$rc" = 1 ]
check "a full file system on standard output is reported" \
	grep -q "write error" err

echo "1..$n"
[ "$fails" = 0 ]
