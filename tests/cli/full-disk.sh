#!/bin/sh
# full-disk.sh - a real full file system under one tool: -o FILE on a 64 KiB
# tmpfs, an output far bigger than that.
#
# Usage: full-disk.sh TOOL ARGS_FILE
# ARGS_FILE is the tool's contract arguments (testdata/contract), for a run
# over big.csv (made here as contract.sh makes it) that writes many rows.
# Expected: exit status 1, a write error naming the file and saying the
# device is full (ENOSPC, not the EFBIG of contract.sh's `ulimit -f`), the
# previous FILE left as it was, and no temporary file left on the tmpfs.
# Needs root for mount(8): exits 77 (skipped) when not root or when the
# tmpfs cannot be mounted (a container without CAP_SYS_ADMIN).
set -u
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
args=$(cat "$2") || exit 99
name=$(basename "$tool")

if [ "$(id -u)" != 0 ]; then
	echo "$name: not root, cannot mount a tmpfs: skipped"
	exit 77
fi
work=$(mktemp -d) || exit 99
mnt=$work/mnt
mkdir "$mnt" || exit 99
if ! mount -t tmpfs -o size=64k kpi-full-disk "$mnt" 2>"$work/mount.err"; then
	echo "$name: cannot mount a tmpfs ($(cat "$work/mount.err")): skipped"
	rm -rf "$work"
	exit 77
fi
trap 'umount "$mnt"; rm -rf "$work"' EXIT
cd "$work" || exit 99
LC_ALL=C
export LC_ALL
wrap=
[ "${KPI_VALGRIND:-}" = 1 ] &&
	wrap="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"

awk 'BEGIN { print "id,day,amount,stage"
	     split("a b c", stage, " ")
	     for (i = 0; i < 200000; i++)
		     printf "c%d,2026-%02d-%02d,%d.%02d,%s\n", i, i % 12 + 1, i % 28 + 1, i % 997, i % 100, stage[i % 3 + 1] }' >big.csv

fails=0
check() {	# check DESCRIPTION CONDITION...
	desc=$1
	shift
	if "$@"; then
		echo "ok: $name: $desc"
	else
		echo "FAIL: $name: $desc"
		fails=$((fails + 1))
	fi
}

# The output must not fit: the same run to a real disk.
eval "$wrap \"\$tool\" $args big.csv" >full-size.csv 2>err
check "the run writes more than the tmpfs holds" \
	[ "$(wc -c <full-size.csv)" -gt 65536 ]

echo "last week's report" >"$mnt/report.csv"
eval "$wrap \"\$tool\" $args -o \"\$mnt/report.csv\" big.csv" >out 2>err
rc=$?
sed 's/^/# stderr: /' err
check "a full tmpfs under -o FILE exits 1" [ "$rc" = 1 ]
check "the message names the file and the full device" \
	grep -q "report.csv.*No space left on device" err
check "nothing goes to standard output" [ ! -s out ]
check "the previous FILE is left as it was" \
	grep -qx "last week's report" "$mnt/report.csv"
check "no temporary file is left on the tmpfs" \
	[ "$(ls -A "$mnt")" = report.csv ]
check "the tmpfs is empty again but for FILE" \
	[ "$(du -sk "$mnt" | cut -f1)" -le 8 ]
[ "$fails" = 0 ]
