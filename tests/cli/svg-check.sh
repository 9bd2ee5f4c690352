#!/bin/sh
# svg-check.sh - run kpi-plot cases and check the SVG's structure; prints TAP.
#
# Usage: svg-check.sh BINDIR CASEDIR
# Each case is a file CASEDIR/NAME.svgcheck of directives, one per line
# (lines starting with # are comments):
#   run ARGS...          the command (a shell word list starting with
#                        kpi-plot), run in CASEDIR with BINDIR first on PATH;
#                        it must exit 0, write nothing to standard error and
#                        write well-formed XML (xmllint --noout)
#   count XPATH = N      the XPath count(XPATH) of the output is N
#   value XPATH = TEXT   the XPath string(XPATH) of the output is TEXT
# The SVG elements are in the SVG namespace, so select them by attribute
# (//*[@class="bar"]) or with local-name().
set -u
bindir=$(cd "$1" && pwd) || exit 99
casedir=$2
cd "$casedir" || exit 99
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
PATH="$bindir:$PATH"
LC_ALL=C
export PATH LC_ALL
command -v xmllint >/dev/null || { echo "1..0 # SKIP xmllint not installed"; exit 0; }

n=0
fails=0
report() {	# report OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}
for f in *.svgcheck; do
	c=${f%.svgcheck}
	while IFS= read -r line; do
		case $line in '#'*|'') continue ;; esac
		set -f
		directive=${line%% *}
		rest=${line#* }
		case $directive in
		run)
			eval "$rest" </dev/null >"$tmp/out.svg" 2>"$tmp/err"
			rc=$?
			ok=1
			[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] &&
				xmllint --noout "$tmp/out.svg" 2>>"$tmp/err" && ok=0
			report $ok "$c: $rest (status $rc, well-formed)"
			[ "$ok" = 0 ] || sed 's/^/# /' "$tmp/err" | head -5
			;;
		count|value)
			want=${rest#* = }
			xpath=${rest%% = *}
			if [ "$directive" = count ]; then
				got=$(xmllint --xpath "count($xpath)" "$tmp/out.svg" 2>&1)
			else
				got=$(xmllint --xpath "string($xpath)" "$tmp/out.svg" 2>&1)
			fi
			ok=1
			[ "$got" = "$want" ] && ok=0
			report $ok "$c: $directive $xpath = $want"
			[ "$ok" = 0 ] || echo "# got: $got"
			;;
		*)
			report 1 "$c: unknown directive $directive"
			;;
		esac
		set +f
	done <"$f"
done
echo "1..$n"
[ "$fails" = 0 ]
