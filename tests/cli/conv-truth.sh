#!/bin/sh
# conv-truth.sh - kpi-conv's funnel and transitions reports against a stage
# history whose true probabilities and exact counts are known.
#
# Usage: conv-truth.sh GEN-HISTORY KPI-CONV
# Prints TAP.  Runs in about a second; needs only sh and awk.
#
# bench/gen-history draws 20,000 deals (about 77,000 rows) from a Markov
# chain over lead, mql, sql, opportunity, won with per-region move
# probabilities: on each entry to a stage a deal moves forward, skips a
# stage, goes back one stage (and draws again there), is lost (a row
# "disqualified" from lead and mql, "lost" later), or stays open for ever.
# With -p it writes the truth: the exact probabilities the model implies and
# the counts it drew.
#
# What kpi-conv's rate estimates, and why it is the generator's `p` line:
#
#  - Regressions give a deal several tries at a stage, so the funnel rate
#    is not the per-entry forward probability.  With --skips pass the rate at
#    stage j is converted / entered = #(reached j + 1) / #(reached j), where
#    "reached" is the furthest stage entered (moves back undo nothing).  The
#    deals are independent draws, so given `entered` the count `converted`
#    is binomial with p = P(reach j + 1) / P(reach j); with --skips strict it
#    is P(entered j and j + 1) / P(entered j).  The generator computes both
#    exactly by propagating the chain's distribution over (stage, set of
#    stages entered); regions are mixed by their shares for the pooled rows.
#  - Nothing is censored: a journey ends in won, lost or "open for ever",
#    which the generator decides without looking at dates, and kpi-conv's
#    default --as-of is the latest date in the input, so every row counts
#    and an open deal is open whatever the date.  (Were deals still moving
#    at --as-of, converted / entered would be biased low for the young ones;
#    --window or this design is needed.)
#  - Every deal's rows are at least a day apart, so the order of its moves
#    is the order of its dates, whatever the order of the rows.
#
# The checks:
#  (a) every Wilson interval (5 regions and all, x 4 stages x 2 modes = 48)
#      at level 0.999 contains its true probability: by Bonferroni a
#      correct kpi-conv fails this for at most about 4.8% of seeds (1 of 60
#      seeds tried); at 0.95, per mode, at most 5 of the 20 regional
#      intervals miss (1 expected; regions are independent and a stage's
#      rate is asymptotically independent of the others' given entered, so
#      P(6 or more) is about 0.0003; the pooled and the two modes' intervals
#      are correlated with these and are not counted); the printed
#      interval is Wilson's for converted / entered (recomputed here to
#      1e-9); and each cum_rate's Wilson 0.999 interval (computed here, n =
#      the deals) contains the true P(reach the stage).  The seed is fixed,
#      so the outcome is too: a failure means kpi-conv's counts changed;
#  (b) the transitions report, per region and pooled, is exactly the moves
#      the generator made: forward, skip, backward and lost;
#  (c) entered = converted + lost + open + skipped on every row of the
#      funnel by region and month, and the months add up to the regions;
#  (d) entered, converted, lost, open and skipped per region and pooled,
#      both modes, are exactly the generator's counts under kpi-conv(1)'s
#      definitions, and the deals per monthly cohort too;
#  (e) median_days (pass) is exactly the generator's;
#  (f) the same deals in random row order give the same reports, byte
#      for byte.
set -u
if [ $# -ne 2 ]; then
	echo "usage: conv-truth.sh GEN-HISTORY KPI-CONV" >&2
	exit 99
fi
for p in "$1" "$2"; do
	if [ ! -x "$p" ]; then
		echo "Bail out! $p is not built"
		exit 99
	fi
done
gen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
kpi=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 99
LC_ALL=C
export LC_ALL

DEALS=20000
SEED=20261127
Z95=1.959963984540054		# qnorm(0.975)
Z999=3.2905267314919255		# qnorm(0.9995)

n=0
fails=0
ok() {		# ok DESCRIPTION: pass when the file "why" is empty
	n=$((n + 1))
	if [ ! -s why ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		head -n 10 why | sed 's/^/# /'
		fails=$((fails + 1))
	fi
	: >why
}
: >why

conv() {	# conv OUT ARGS...: run kpi-conv on history.csv
	out=$1
	shift
	if ! "$kpi" --id deal_id --stage stage --time entered \
		--stages lead,mql,sql,opportunity,won --lost lost,disqualified \
		"$@" history.csv >"$out" 2>"$out.err"; then
		echo "kpi-conv $* failed: $(head -n 3 "$out.err")" >>why
	fi
}

# ==== The data ====
"$gen" -n $DEALS -s $SEED -p truth.csv >history.csv 2>gen.err ||
	echo "gen-history failed: $(cat gen.err)" >>why
"$gen" -n $DEALS -s $SEED -o random >random.csv 2>gen.err ||
	echo "gen-history -o random failed: $(cat gen.err)" >>why
rows=$(awk -F, '$1 == "rows" { print $2 }' truth.csv)
[ "$(wc -l <history.csv)" -eq $((rows + 1)) ] ||
	echo "history.csv has $(wc -l <history.csv) lines, truth says $rows rows" >>why
ok "gen-history writes $DEALS deals ($rows rows) and the truth"

for mode in pass strict; do
	conv "$mode-95.csv" --skips $mode
	conv "$mode-95-region.csv" --skips $mode -g region
	conv "$mode-999.csv" --skips $mode --level 0.999
	conv "$mode-999-region.csv" --skips $mode --level 0.999 -g region
	conv "$mode-month.csv" --skips $mode -g region -e month
done
conv transitions.csv -r transitions
conv transitions-region.csv -r transitions -g region
ok "kpi-conv runs the funnel (pass, strict; by region, by month) and transitions"

# Funnel rows as MODE,REGION,STAGE,entered,converted,lost,open,skipped,
# rate,rate_lo,rate_hi,cum_rate,median_days,COHORT (columns 1 to 14), from
# funnel reports named MODE-*.csv; REGION and COHORT are "*" when the report
# has no such column.
flat() {
	awk -F, '
	FNR == 1 {
		mode = FILENAME
		sub(/-.*/, "", mode)
		split("", col)
		for (i = 1; i <= NF; i++)
			col[$i] = i
		next
	}
	{
		printf "%s,%s,%s", mode, "region" in col ? $col["region"] : "*",
			$col["stage"]
		for (i = 1; i <= 10; i++)
			printf ",%s", $col[name[i]]
		printf ",%s\n", "cohort" in col ? $col["cohort"] : "*"
	}
	BEGIN {
		split("entered converted lost open skipped rate rate_lo rate_hi cum_rate median_days",
		      name, " ")
	}' "$@"
}

# ==== (a) The estimates against the true probabilities ====
flat pass-95.csv pass-95-region.csv strict-95.csv strict-95-region.csv >95.flat
flat pass-999.csv pass-999-region.csv strict-999.csv strict-999-region.csv >999.flat

# cover Z: for each row with a true p, whether [lo, hi] holds it, and
# whether lo, hi are Wilson's interval at this z.
cover() {
	awk -F, -v z="$1" '
	function wilson(x, m, which,   c, h) {
		c = (x + z * z / 2) / (m + z * z)
		h = z / (m + z * z) * sqrt(x * (m - x) / m + z * z / 4)
		return which < 0 ? c - h : c + h
	}
	function abs(v) { return v < 0 ? -v : v }
	FNR == NR {
		if ($1 == "p")
			p[$2 "," $3 "," $4] = $5
		else if ($1 == "reach")
			reach[$2 "," $3] = $4
		next
	}
	{
		key = $1 "," $2 "," $3
		if ($1 == "pass" && ($2 "," $3) in reach) {
			# cum_rate = entered / deals: binomial in the deals.
			if (!($2 in first))
				first[$2] = $4
			q = reach[$2 "," $3]
			ncum++
			if (q < wilson($4, first[$2], -1) - 1e-12 ||
			    q > wilson($4, first[$2], 1) + 1e-12)
				printf "reach %s: true %.6f, cum_rate %s of %d\n",
					key, q, $12, first[$2] > "cum.miss"
		}
		if (!(key in p))
			next
		total++
		if ($9 != $5 / $4)
			printf "%s: rate %s is not %d / %d\n", key, $9, $5, $4 > "bad"
		if (abs($10 - wilson($5, $4, -1)) > 1e-9 ||
		    abs($11 - wilson($5, $4, 1)) > 1e-9)
			printf "%s: [%s, %s] is not the Wilson interval of %d / %d\n",
				key, $10, $11, $5, $4 > "bad"
		if (p[key] < $10 || p[key] > $11) {
			if ($2 != "*")
				miss[$1]++
			printf "%s: true %.6f outside [%.6f, %.6f] (%d / %d)\n",
				key, p[key], $10, $11, $5, $4 > "miss"
		}
	}
	END {
		printf "%d %d %d %d\n", total, miss["pass"], miss["strict"], ncum
	}' truth.csv -
}
rm -f bad miss cum.miss
# counted TOTAL NCUM: complain unless the rows were all there
counted() {
	[ "${1:-0}" = 48 ] ||
		echo "${1:-0} rates with a true probability, expected 48" >>why
	[ "${2:-0}" = 30 ] ||
		echo "${2:-0} cum_rates with a true probability, expected 30" >>why
}
set -- $(cover $Z999 <999.flat)
counted "${1:-}" "${4:-}"
[ -s miss ] && cat miss >>why
ok "every 99.9% Wilson interval contains the true conversion probability (48 intervals)"
counted "${1:-}" "${4:-}"
[ -s bad ] && cat bad >>why
ok "the 99.9% intervals are Wilson's for converted / entered"
counted "${1:-}" "${4:-}"
[ -s cum.miss ] && cat cum.miss >>why
ok "every cum_rate is within its 99.9% Wilson interval of the true P(reach)"
rm -f bad miss cum.miss
set -- $(cover $Z95 <95.flat)
counted "${1:-}" "${4:-}"
if [ "${2:-20}" -gt 5 ] || [ "${3:-20}" -gt 5 ]; then
	echo "misses by region: ${2:-?} pass, ${3:-?} strict; at most 5 each expected" >>why
	cat miss >>why
fi
ok "at most 5 of 20 regional 95% Wilson intervals miss the true probability, per mode (${2:-?} pass, ${3:-?} strict)"
counted "${1:-}" "${4:-}"
[ -s bad ] && cat bad >>why
ok "the 95% intervals are Wilson's for converted / entered"

# ==== (b) Transitions: exactly the moves made ====
awk -F, '$1 == "move" { print $2 "," $3 "," $4 "," $5 "," $6 }' truth.csv |
	sort >moves.want
tail -n +2 transitions-region.csv | sort >moves.got
diff moves.want moves.got >>why
ok "the transitions by region are the generator's moves, exactly"
awk -F, '{ c[$2 "," $3 "," $4] += $5 } END { for (k in c) print k "," c[k] }' \
	moves.want | sort >moves-all.want
tail -n +2 transitions.csv | sort >moves-all.got
diff moves-all.want moves-all.got >>why
ok "the pooled transitions are the generator's moves, exactly"
for kind in forward skip backward lost; do
	awk -F, -v k=$kind '$3 == k { s += $4 } END { if (!s) print "no " k " moves" }' \
		moves-all.got >>why
done
ok "forward, skip, backward and lost moves all occur"

# ==== (c) The identity, and months adding up ====
flat pass-month.csv strict-month.csv >month.flat
# 2 modes x 5 regions x the months x 5 stages
months=$(grep -c '^cohort,' truth.csv)
[ "$(wc -l <month.flat)" -eq $((50 * months)) ] ||
	echo "$(wc -l <month.flat) rows by region and month, expected $((50 * months))" >>why
awk -F, '$3 != "won" && $4 != $5 + $6 + $7 + $8 {
	print $0 ": entered is not converted + lost + open + skipped"
}' month.flat >>why
ok "entered = converted + lost + open + skipped on every row by region and month"
# sums MODE,REGION,STAGE: the five counts summed over the rows (cohorts)
sums() {
	awk -F, '{
		k = $1 "," $2 "," $3
		for (i = 4; i <= 8; i++)
			s[k "," i] += $i
		keys[k] = 1
	}
	END {
		for (k in keys)
			print k "," s[k ",4"] "," s[k ",5"] "," s[k ",6"] "," \
				s[k ",7"] "," s[k ",8"]
	}' | sort
}
sums <month.flat >months.sum
flat pass-95-region.csv strict-95-region.csv | sums >regions.sum
[ -s regions.sum ] || echo "no counts by region" >>why
diff regions.sum months.sum >>why
ok "the monthly cohorts add up to the regions' counts"

# ==== (d) Exact counts ====
awk -F, '$1 == "funnel" {
	print $2 "," $3 "," $4 "," $5 "," $6 "," $7 "," $8 "," $9
}' truth.csv | sort >counts.want
flat pass-95.csv pass-95-region.csv strict-95.csv strict-95-region.csv |
	awk -F, '{ print $1 "," $2 "," $3 "," $4 "," $5 + 0 "," $6 + 0 "," $7 + 0 "," $8 + 0 }' |
	sort >counts.got
diff counts.want counts.got >>why
ok "entered, converted, lost, open, skipped are the generator's, per region and pooled, pass and strict"
awk -F, '$1 == "cohort" { print $2 "," $3 }' truth.csv | sort >cohort.want
awk -F, '$1 == "pass" && $3 == "lead" { s[$14] += $4 }
	END { for (k in s) print k "," s[k] }' month.flat | sort >cohort.got
diff cohort.want cohort.got >>why
ok "the deals per monthly cohort are the generator's"

# ==== (e) Median days ====
awk -F, '$1 == "median" { print $2 "," $3 "," $4 }' truth.csv | sort >median.want
flat pass-95.csv pass-95-region.csv |
	awk -F, '$3 != "won" { print $2 "," $3 "," $13 }' | sort >median.got
diff median.want median.got >>why
ok "median_days (pass) is the generator's, per region and pooled"

# ==== (f) Row order does not matter ====
mv history.csv dated.csv
mv random.csv history.csv
for mode in pass strict; do
	conv "$mode-month-random.csv" --skips $mode -g region -e month
	cmp "$mode-month.csv" "$mode-month-random.csv" >/dev/null 2>&1 ||
		echo "--skips $mode -g region -e month differs with the rows shuffled" >>why
done
conv transitions-region-random.csv -r transitions -g region
cmp transitions-region.csv transitions-region-random.csv >/dev/null 2>&1 ||
	echo "-r transitions -g region differs with the rows shuffled" >>why
ok "the rows in random order give the same funnel and transitions"

echo "1..$n"
[ "$fails" -eq 0 ]
