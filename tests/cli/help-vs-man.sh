#!/bin/sh
# help-vs-man.sh - every long option that --help prints is in the man page.
# Usage: help-vs-man.sh TOOL PAGE
set -u
tool=$1
page=$2
help=$("$tool" --help) || { echo "not ok: $tool --help failed"; exit 1; }
man=$(mandoc -Tascii "$page" | col -bx) || exit 99
status=0
for opt in $(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
	if ! printf '%s\n' "$man" | grep -q -- "$opt"; then
		echo "$page does not document $opt"
		status=1
	fi
done
exit $status
