#!/bin/sh
# man-examples.sh - run every "$ command" of a man page's EXAMPLES section
# (continuation lines end in a backslash) against testdata/, and fail when
# one exits non-zero or produces nothing.
# Usage: man-examples.sh BINDIR PAGE TESTDATA
set -u
bindir=$(cd "$1" && pwd) || exit 99
page=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
testdata=$(cd "$3" && pwd) || exit 99
PATH="$bindir:$PATH"
export PATH
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
for d in "$testdata"/*/; do
	ln -s "$d" "$work/$(basename "$d")"
done
cd "$work" || exit 99

# The EXAMPLES section as plain text, then its command lines: those that
# start with "$ " and the continuation lines after a trailing backslash.
mandoc -Tascii "$page" | col -bx |
	awk '/^EXAMPLES/ { on = 1; next } /^[A-Z][A-Z ]+$/ { on = 0 }
	     !on { next }
	     cont { sub(/^ */, ""); print; cont = /\\$/; next }
	     /^ *\$ / { sub(/^ *\$ /, ""); print; cont = /\\$/ }' \
	>"$work/.commands"
n=0
status=0
cmd=
while IFS= read -r line; do
	cmd="$cmd$line
"
	case "$line" in *\\) continue ;; esac
	n=$((n + 1))
	first=$(printf '%s' "$cmd" | head -1)
	sh -c "$cmd" >"$work/.out" 2>"$work/.err"
	rc=$?
	# A command writes its result to stdout, or to a file with -o.
	case "$cmd" in *"-o "*) produced=1 ;; *) produced=$([ -s "$work/.out" ] && echo 1) ;; esac
	if [ "$rc" = 0 ] && [ -n "$produced" ]; then
		echo "ok $n - $first"
	else
		echo "not ok $n - $first (exit $rc)"
		sed 's/^/# /' "$work/.err" | head -5
		status=1
	fi
	cmd=
done <"$work/.commands"
echo "1..$n"
[ "$n" -gt 0 ] || { echo "# no examples found in $page"; exit 1; }
exit $status
