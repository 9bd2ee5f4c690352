#!/bin/sh
# render.sh - the weekly report as a reader sees it: build it into a
# temporary directory, check index.html with xmllint, open it in headless
# Chromium and check the screenshot with png-stats.
#
# Usage: render.sh PNG_STATS BINDIR
# Exit 77 (skipped) when chromium or xmllint is not installed; .ci/setup
# installs both.  KPI_RENDER_KEEP=DIR keeps the page and the screenshot there.
#
# The thresholds come from the demo report's screenshots at 1280x3600: the
# page with its tables and no charts has 4.4% of its pixels not white and
# 839 colours (anti-aliased text); with all five charts, 12.2% and 3153
# colours.  A page that failed to load is one flat colour; one
# line of error message has 0.05% of its pixels inked (in 248 colours of
# anti-aliasing).  So the test asks for a white background, more than 3% of
# pixels that are not the background (the share tells a report from an
# error), and more than 64 colours (which tells it from a flat page).
set -u
png_stats=$1
bindir=$(cd "$2" && pwd) || exit 99
src=$(cd "$(dirname "$0")/../.." && pwd)
width=1280
height=3600

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ] || ! command -v xmllint >/dev/null 2>&1; then
	echo "render.sh: chromium or xmllint not installed; skipped"
	exit 77
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "render.sh: $*" >&2
	exit 1
}

# 1. The report, from the tools of this build.
PATH="$bindir:$PATH" "$src/examples/weekly-report.sh" "$tmp/report" \
	>"$tmp/report.log" 2>&1 ||
	{ cat "$tmp/report.log" >&2; fail "weekly-report.sh failed"; }
page=$tmp/report/index.html
[ -s "$page" ] || fail "no index.html"

# 2. Well-formed XML, and HTML that libxml2's HTML parser reads without
# complaint, except that it does not know HTML5's inline SVG elements.
xmllint --noout "$page" || fail "index.html is not well-formed XML"
xmllint --html --noout "$page" 2>"$tmp/html.err"
svg_tags='svg|g|path|rect|line|polyline|polygon|circle|text|tspan|title|desc|defs|clipPath|style'
awk -v tags="^(${svg_tags})\$" '
	/HTML parser error : Tag [A-Za-z]+ invalid$/ {
		tag = $0
		sub(/.*Tag /, "", tag)
		sub(/ invalid$/, "", tag)
		if (tag ~ tags) { skip = 2; next }
	}
	skip > 0 { skip--; next }
	{ print }' "$tmp/html.err" >"$tmp/html.rest"
if [ -s "$tmp/html.rest" ]; then
	cat "$tmp/html.rest" >&2
	fail "xmllint --html reports errors"
fi
for want in 'Weekly sales report' 'id="bookings"' 'id="funnel"' \
	'id="regions"' 'id="retention"' 'id="waterfall"' '<table>'; do
	grep -qF "$want" "$page" || fail "index.html lacks $want"
done
if grep -q '<img' "$page" || grep -q '<script' "$page" ||
	grep -q 'href="http' "$page"; then
	fail "index.html is not self-contained"
fi

# 3. The screenshot.  Chromium gets its own home and profile in the
# temporary directory (it writes there even headless), no sandbox when run
# as root (it refuses to start otherwise), no /dev/shm (small in
# containers), and a timeout so that it can never hang the test run.
mkdir -p "$tmp/home" "$tmp/profile"
sandbox=
[ "$(id -u)" != 0 ] || sandbox=--no-sandbox
start=$(date +%s)
HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config \
XDG_CACHE_HOME=$tmp/home/.cache timeout -k 5 120 \
	"$chromium" --headless $sandbox --disable-gpu --hide-scrollbars \
	--disable-dev-shm-usage --no-first-run --user-data-dir="$tmp/profile" \
	--window-size="$width,$height" --screenshot="$tmp/shot.png" \
	"file://$page" >"$tmp/chromium.log" 2>&1
status=$?
echo "chromium: exit $status after $(($(date +%s) - start)) s"
if [ "$status" != 0 ] || [ ! -s "$tmp/shot.png" ]; then
	tail -n 20 "$tmp/chromium.log" >&2
	fail "chromium made no screenshot (exit status $status)"
fi
if [ -n "${KPI_RENDER_KEEP:-}" ]; then
	mkdir -p "$KPI_RENDER_KEEP"
	cp "$page" "$tmp/shot.png" "$KPI_RENDER_KEEP/"
fi

"$png_stats" "$tmp/shot.png" >"$tmp/stats" || fail "png-stats failed"
cat "$tmp/stats"
awk -v w="$width" -v h="$height" '
	{ v[$1] = $2 }
	END {
		if (v["width"] != w || v["height"] != h)
			bad = bad " size " v["width"] "x" v["height"] ", expected " w "x" h ";"
		if (v["background"] != "ffffffff")
			bad = bad " background " v["background"] ", expected white;"
		if (v["non_background"] + 0 <= 0.03)
			bad = bad " only " v["non_background"] " of pixels not background;"
		if (v["colours"] + 0 <= 64)
			bad = bad " only " v["colours"] " colours;"
		if (bad != "") {
			print "render.sh: screenshot:" bad > "/dev/stderr"
			exit 1
		}
	}' "$tmp/stats" || exit 1
echo "render.sh: screenshot ok"
