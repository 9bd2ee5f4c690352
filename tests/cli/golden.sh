#!/bin/sh
# golden.sh - run data-driven CLI cases and print TAP.
#
# Usage: golden.sh BINDIR CASEDIR
# Each case NAME in CASEDIR is a set of files:
#   NAME.args    the command line, a shell word list starting with the tool
#                name (kpi-agg -g region ...); run with CASEDIR as the working
#                directory and BINDIR first on PATH
#   NAME.in      standard input (optional; /dev/null otherwise)
#   NAME.out     expected standard output, byte for byte (optional)
#   NAME.status  expected exit status (optional; 0 otherwise)
#   NAME.err     a line that standard error must contain (optional; without
#                it standard error must be empty when the status is 0)
set -u
bindir=$(cd "$1" && pwd) || exit 99
casedir=$2
cd "$casedir" || exit 99
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
PATH="$bindir:$PATH"
# KPI_VALGRIND=1 runs every tool under valgrind memcheck: a memory error or a
# definite leak makes the tool exit 99, which fails the case.
if [ "${KPI_VALGRIND:-}" = 1 ]; then
	mkdir "$tmp/bin"
	for t in "$bindir"/kpi-*; do
		[ -x "$t" ] || continue
		printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "%s" "$@"\n' \
			"$t" >"$tmp/bin/${t##*/}"
		chmod +x "$tmp/bin/${t##*/}"
	done
	PATH="$tmp/bin:$PATH"
fi
export PATH
LC_ALL=C
export LC_ALL

cases=$(ls *.args 2>/dev/null | sed 's/\.args$//')
n=$(printf '%s\n' $cases | grep -c .)
echo "1..$n"
i=0
for c in $cases; do
	i=$((i + 1))
	in=/dev/null
	[ -f "$c.in" ] && in="$c.in"
	want_status=0
	[ -f "$c.status" ] && want_status=$(cat "$c.status")
	eval "$(cat "$c.args")" <"$in" >"$tmp/out" 2>"$tmp/err"
	status=$?
	why=
	if [ "$status" != "$want_status" ]; then
		why="exit status $status, expected $want_status"
	elif [ -f "$c.out" ] && ! cmp -s "$c.out" "$tmp/out"; then
		why="standard output differs"
	elif [ -f "$c.err" ] && ! grep -qF -- "$(cat "$c.err")" "$tmp/err"; then
		why="standard error lacks: $(cat "$c.err")"
	elif [ ! -f "$c.err" ] && [ "$status" = 0 ] && [ -s "$tmp/err" ]; then
		why="unexpected standard error"
	fi
	if [ -z "$why" ]; then
		echo "ok $i - $c"
	else
		echo "not ok $i - $c: $why"
		echo "# command: $(cat "$c.args")"
		[ -f "$c.out" ] && diff "$c.out" "$tmp/out" | head -20 | sed 's/^/# /'
		sed 's/^/# stderr: /' "$tmp/err" | head -5
	fi
done
