#!/bin/sh
# hostile.sh - one tool against the hostile inputs of testdata/bad, and the
# "nothing lost" check of --rejects.
#
# Usage: hostile.sh TOOL CASEDIR
# Prints TAP, one line per case.  Every case is a file CASEDIR/NAME.case of
# directives, one per line, `KEY TOOL REST`, where TOOL is a tool name or
# `*` (every tool); for one tool, its own line beats the `*` line:
#   input  T FILE | gen NAME [N]   the input (default NAME.csv), or made by
#                                  this script's gen_NAME (N: its size)
#   args   T ARGS...               the tool's arguments (default: CASEDIR/tools)
#   expect T STATUS [TEXT]         exit status, and a text standard error must
#                                  hold (without TEXT, status 0 means that
#                                  standard error is empty)
#   out    T FILE                  standard output must be FILE, byte for byte
#                                  ("TOOL" in FILE stands for the tool)
#   same   T FILE [sorted]         standard output must be the tool's output
#                                  for the input FILE (its lines sorted)
#   check  T NAME                  this script's check_NAME OUT ERR INPUT must
#                                  succeed
#   todo   T REASON                a known deviation, reported: a failure is
#                                  a TAP TODO
# Whatever the case says, a run fails when the tool crashes (status >= 128),
# hangs (killed after a timeout), or a sanitizer or valgrind reports an
# error.  Inputs are read from the working directory, so messages name them
# as NAME.csv.
#
# KPI_VALGRIND=1 runs the tool under valgrind memcheck (exit 99 on errors)
# and shrinks the generated inputs (a 64 MB field to 4 MB, a million columns
# or groups to 20,000) to keep the run within minutes.
set -u
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
casedir=$(cd "$2" && pwd) || exit 99
name=$(basename "$tool")
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 99
LC_ALL=C
export LC_ALL

wrap=
limit=60
div=1
if [ "${KPI_VALGRIND:-}" = 1 ]; then
	wrap="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
	limit=900
	div=50
fi

# ==== Generated inputs ====

# gen_big_field N: a record whose id is one quoted field of N bytes over four
# lines (commas and doubled quotes inside), then a record with a bad amount on
# line 7, which only a reader that got through the big one can name.
gen_big_field() {
	printf 'id,day,amount,stage\nd1,2026-01-05,10,a\n"'
	for part in 1 2 3 4; do
		head -c $(($1 / 4 - 8)) /dev/zero | tr '\0' 'x'
		[ "$part" = 4 ] || printf ',""\n'
	done
	printf '",2026-01-06,20,a\nd3,2026-01-07,oops,a\n'
}

# gen_wide N: a header of N extra columns before the usual four, then the one
# record of one-row.csv, padded.  gen_wide_unknown: the same without "day".
gen_wide() {
	awk -v n="$1" -v day="${2:-day}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "c%d,", i
		print "id," day ",amount,stage"
		for (i = 1; i <= n; i++)
			printf ","
		print "d1,2026-01-05,10,a" }'
}
gen_wide_unknown() {
	gen_wide "$1" date
}

# gen_groups N: N rows, each its own id (and so its own group, customer,
# deal and series), stages a, b, c in turn, dates over 2026, amounts 1..100.
gen_groups() {
	awk -v n="$1" 'BEGIN {
		print "id,day,amount,stage"
		split("a b c", s, " ")
		for (i = 0; i < n; i++)
			printf "g%d,2026-%02d-%02d,%d,%s\n", i, i % 12 + 1,
			       i % 28 + 1, i % 100 + 1, s[i % 3 + 1] }'
}

# gen_one_percent_bad N: N rows, each its own id; the stage (a, b, c in
# turn) and the day (a day apart within a stage) make every row its own
# period of its stage's series.  Row i with i % 100 == 37 is bad, in turn:
# the amount "12x"; the date 2020-02-30 (in a record whose id is quoted, with
# a comma and a doubled quote); one field short.  Some good rows are quoted.
gen_one_percent_bad() {
	awk -v n="$1" '
	# Day number (days since 1970-01-01, >= 0) to YYYY-MM-DD (H. Hinnant).
	function civil(z,   era, doe, yoe, doy, mp, d, m) {
		z += 719468
		era = int(z / 146097)
		doe = z - era * 146097
		yoe = doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)
		yoe = int(yoe / 365)
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153)
		d = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9
		return sprintf("%04d-%02d-%02d", yoe + era * 400 + (m <= 2), m, d)
	}
	BEGIN {
		print "id,day,amount,stage"
		split("a b c", s, " ")
		for (i = 0; i < n; i++) {
			day = civil(18262 + int(i / 3))	# from 2020-01-01
			st = s[i % 3 + 1]
			amt = i % 50 + 1
			if (i % 100 != 37) {
				if (i % 7 == 0)
					printf "\"k%d\",%s,\"%d\",%s\n", i, day, amt, st
				else
					printf "k%d,%s,%d,%s\n", i, day, amt, st
				continue
			}
			kind = int(i / 100) % 3
			if (kind == 0)
				printf "k%d,%s,12x,%s\n", i, day, st
			else if (kind == 1)
				printf "\"k%d, \"\"q\"\"\",2020-02-30,%d,%s\n", i, amt, st
			else
				printf "k%d,%s,%d\n", i, day, amt
		}
	}'
}

# ==== Checks of generated outputs: independent computations ====

# Every row is its own group: one output row per id, count 1, sum = amount.
check_groups_agg() {
	tail -n +2 "$3" | awk -F, '{ print $1 "," 1 "," $3 }' | sort >"$work/want"
	tail -n +2 "$1" | sort >"$work/got"
	cmp -s "$work/want" "$work/got"
}

# Each customer has one event: a cohort is the customers of its month, all
# active at age 0, none later.
check_groups_cohort() {
	tail -n +2 "$3" | awk -F, '{ n[substr($2, 1, 7) "-01"]++ }
		END { for (m in n) print m "," n[m] }' | sort >"$work/want"
	awk -F, 'NR > 1 && $2 == 0 { print $1 "," $4 }' "$1" | sort >"$work/got"
	cmp -s "$work/want" "$work/got" &&
		awk -F, 'NR > 1 && $2 == 0 && $5 != "" && $5 != $4 { exit 1 }
			 NR > 1 && $2 > 0 && $5 != "" && $5 != 0 { exit 1 }' "$1"
}

# One deal per group: the group's funnel has it entering a, and then won
# (its one row is at b), lost (at c) or still open (at a).
check_groups_conv() {
	tail -n +2 "$3" | awk -F, '{ print $1 "," $4 }' | sort >"$work/want"
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		 $col["stage"] == "a" {
			if ($col["entered"] != 1) print "entered " $0
			s = $col["converted"] == 1 ? "b" : ($col["lost"] == 1 ? "c" : "a")
			print $col["id"] "," s }' "$1" | sort >"$work/got"
	cmp -s "$work/want" "$work/got"
}

# One series per id, each of one value: the naive forecast is that value.
check_groups_forecast() {
	tail -n +2 "$3" | awk -F, '{ print $1 "," $3 }' | sort >"$work/want"
	awk -F, 'NR > 1 && $3 == "forecast" { print $1 "," $4 }' "$1" |
		sort -u >"$work/got"
	cmp -s "$work/want" "$work/got"
}

# One deal per group, all due after --as-of: per group pipeline = amount,
# weighted = amount x P(won | stage) from probs.csv.
check_groups_pipeline() {
	tail -n +2 "$3" | awk -F, '{ p = $4 == "a" ? 0.3 : ($4 == "b" ? 0.6 : 0)
		printf "%s,%d,%.6f\n", $1, $3, $3 * p }' | sort >"$work/want"
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		 { printf "%s,%d,%.6f\n", $col["id"], $col["pipeline"],
			  $col["weighted"] }' "$1" | sort >"$work/got"
	cmp -s "$work/want" "$work/got"
}

# col_sum FILE COLUMN [FILTER_COLUMN FILTER_VALUE]: the sum of a column.
col_sum() {
	awk -F, -v c="$2" -v fc="${3:-}" -v fv="${4:-}" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		fc == "" || $col[fc] == fv { n += $col[c] }
		END { print n + 0 }' "$1"
}

# Nothing lost: rows read = rows used + rows rejected, the rejects file holds
# exactly the bad rows, each verbatim on its line, and the tool says how many
# it skipped.  "Used" is what the tool's output counts (each row is its own
# deal, customer and period).
check_rejects() {
	case $name in
	kpi-agg)	used=$(col_sum "$1" count) ;;
	kpi-conv)	used=$(col_sum "$1" entered stage a) ;;
	kpi-forecast)	used=$(awk -F, '$3 == "actual" && $4 != 0' "$1" | wc -l) ;;
	kpi-cohort)	used=$(col_sum "$1" size age 0) ;;
	kpi-pipeline)	used=$(col_sum "$1" deals) ;;
	kpi-plot)	used=$(svg_points "$1") ;;
	*)		echo "# no count of rows used for $name"; return 1 ;;
	esac
	python3 - "$3" "$work/rejects.csv" "$used" "$2" <<'PY'
import csv, os, sys
inp, rej, used, err = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
lines = open(inp, 'rb').read().decode().split('\n')
rows = len(lines) - 2			# the header, and "" after the last LF
bad = {i + 2 for i in range(rows) if i % 100 == 37}
with open(rej, newline='') as f:
    recs = list(csv.reader(f))
problems = []
if recs[0] != ['file', 'line', 'column', 'reason', 'record']:
    problems.append('rejects header %r' % recs[0])
got = set()
for r in recs[1:]:
    line = int(r[1])
    got.add(line)
    if r[0] != os.path.basename(inp):
        problems.append('line %d: file %r' % (line, r[0]))
    if lines[line - 1] != r[4]:
        problems.append('line %d: record %r, the input has %r'
                        % (line, r[4], lines[line - 1]))
    if not r[3]:
        problems.append('line %d: no reason' % line)
if got != bad:
    problems.append('rejected lines %s, bad lines %s'
                    % (sorted(got - bad)[:5], sorted(bad - got)[:5]))
if used + len(recs) - 1 != rows:
    problems.append('%d rows read, %d used + %d rejected'
                    % (rows, used, len(recs) - 1))
if '%d of %d rows skipped as bad' % (len(recs) - 1, rows) not in open(err).read():
    problems.append('the message does not say %d of %d' % (len(recs) - 1, rows))
for p in problems[:5]:
    print('# ' + p)
sys.exit(1 if problems else 0)
PY
}

# kpi-plot: the points drawn, as markers or as the vertices of lines.
svg_points() {
	markers=$(grep -c 'class="point"' "$1")
	vertices=$(grep -o 'class="line" points="[^"]*"' "$1" |
		sed 's/.*points="//; s/"$//' | tr ' ' '\n' | grep -c ,)
	# Markers of series of at most 100 points sit on their line's vertices.
	[ "$markers" -gt 0 ] && [ "$markers" -ge "$vertices" ] && vertices=0
	echo $((markers + vertices))
}

# kpi-plot: well-formed XML with one point per row of the input.
check_svg_rows() {
	xmllint --noout "$1" &&
		[ "$(svg_points "$1")" = "$(tail -n +2 "$3" | grep -c .)" ]
}

# kpi-plot: a header and no rows is a well-formed chart saying so.
check_svg_no_data() {
	xmllint --noout "$1" && grep -q 'class="no-data"' "$1"
}

# A message about a missing column among a million must stay short.
check_short_message() {
	[ "$(wc -c <"$2")" -lt 2048 ]
}

# Forecasts of a constant series are that constant, intervals included
# (or empty: no interval).
check_forecast_constant() {
	awk -F, -v c="$4" 'NR > 1 { for (i = 4; i <= NF; i++)
		if ($i != "" && $i != c) exit 1 }' "$1"
}
check_forecast_all_zero() {
	check_forecast_constant "$@" 0
}
check_forecast_seven() {
	check_forecast_constant "$@" 7
}

# ==== Running the cases ====

# lookup KEY FILE: the REST of the tool's line for KEY, else of the '*' line.
lookup() {
	awk -v key="$1" -v tool="$name" '
		$1 == key && $2 == tool { mine = 1; v = rest() }
		$1 == key && $2 == "*" && !mine { v = rest() }
		function rest(  s) { s = $0; sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]*/, "", s)
				    return s }
		END { if (v != "" || mine) print v }' "$2"
}

base_args=$(awk -v tool="$name" '$1 == tool { sub(/^[^ \t]+[ \t]+/, ""); print }' \
	"$casedir/tools")
[ -n "$base_args" ] || { echo "1..0 # SKIP $name has no arguments in tools"; exit 0; }
for f in "$casedir"/*.csv; do
	ln -s "$f" "$work/$(basename "$f")"
done

# run ARGS INPUT: the tool on INPUT with ARGS; status in $rc.
run() {
	eval "timeout -k 5 $limit $wrap \"\$tool\" $1 \"\$2\"" \
		</dev/null >"$work/out" 2>"$work/err"
	rc=$?
}

n=0
fails=0
for casefile in "$casedir"/*.case; do
	c=$(basename "$casefile" .case)
	n=$((n + 1))
	desc=$(sed -n '1s/^# *//p' "$casefile")
	args=$(lookup args "$casefile")
	[ -n "$args" ] || args=$base_args
	input=$(lookup input "$casefile")
	[ -n "$input" ] || input="$c.csv"
	case $input in
	gen\ *)
		set -- $input
		size=$(( ${3:-0} / div ))
		[ "$size" -ge 1000 ] || size=$(( ${3:-0} < 1000 ? ${3:-0} : 1000 ))
		"gen_$2" "$size" >"$work/$c.csv"
		input="$c.csv"
		;;
	esac
	expect=$(lookup expect "$casefile")
	want_status=${expect%% *}
	want_text=
	[ "$expect" = "$want_status" ] || want_text=${expect#* }

	run "$args" "$input"
	cp "$work/out" "$work/out.$c"
	why=
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="no answer within $limit s (a hang?)"
	elif [ "$rc" -ge 128 ]; then
		why="crashed (status $rc)"
	elif grep -qE 'Sanitizer|runtime error:|Invalid (read|write)|uninitialised' "$work/err"; then
		why="sanitizer or valgrind report"
	elif [ "$rc" != "$want_status" ]; then
		why="exit status $rc, expected $want_status"
	elif [ -n "$want_text" ] && ! grep -qF -- "$want_text" "$work/err"; then
		why="standard error lacks: $want_text"
	elif [ "$rc" != 0 ] && ! head -1 "$work/err" | grep -q "^$name: "; then
		why="the message does not start with '$name: '"
	elif [ "$rc" = 0 ] && [ -z "$want_text" ] && [ -s "$work/err" ]; then
		why="unexpected standard error"
	fi
	# "TOOL" in a file name stands for the tool's name.
	out=$(lookup out "$casefile" | sed "s/TOOL/$name/g")
	case $out in
	/*|'') ;;
	*) out=$casedir/$out ;;
	esac
	if [ -z "$why" ] && [ -n "$out" ] && ! cmp -s "$out" "$work/out.$c"; then
		why="standard output differs from $(basename "$out")"
		diff "$out" "$work/out.$c" | head -10 | cut -c 1-200 | sed 's/^/# /'
	fi
	same=$(lookup same "$casefile")
	if [ -z "$why" ] && [ -n "$same" ]; then
		set -- $same
		cp "$work/out" "$work/got"
		run "$args" "$1"
		if [ "${2:-}" = sorted ]; then
			sort "$work/out" >"$work/want"
			sort "$work/got" >"$work/got.sorted"
			mv "$work/got.sorted" "$work/got"
		else
			mv "$work/out" "$work/want"
		fi
		cmp -s "$work/want" "$work/got" ||
			why="standard output differs from the output for $1"
	fi
	chk=$(lookup check "$casefile")
	if [ -z "$why" ] && [ -n "$chk" ] &&
	   ! "check_$chk" "$work/out.$c" "$work/err" "$work/$input"; then
		why="check $chk failed"
	fi
	todo=$(lookup todo "$casefile")
	directive=
	[ -n "$todo" ] && directive=" # TODO $todo"
	if [ -z "$why" ]; then
		echo "ok $n - $name: $c: $desc$directive"
	else
		echo "not ok $n - $name: $c: $desc: $why$directive"
		echo "# command: $name $args $input"
		sed 's/^/# stderr: /' "$work/err" | head -5 | cut -c 1-300
		[ -z "$todo" ] && fails=$((fails + 1))
	fi
	rm -f "$work/out.$c" "$work/$c.csv.gen"
	case $(lookup input "$casefile") in gen\ *) rm -f "$work/$c.csv" ;; esac
done

echo "1..$n"
[ "$fails" = 0 ]
