#!/bin/sh
# weekly-report.sh - the Monday sales report, built from a CRM export with the
# kpi tools: one HTML page, index.html, with the charts inline and the key
# tables beside them (a single file, so it can be mailed), and the CSV files
# behind it.  This is what a cron job runs (see kpi(7)):
#
#   15 6 * * 1  cd /srv/kpi && examples/weekly-report.sh /srv/reports/weekly
#
# Usage: weekly-report.sh [--as-of DATE] [--teams FILE] [--orders FILE]
#                         [OUTDIR [DEALS.csv [SNAPSHOT_DIR]]]
#   --as-of DATE  the day the report is for (also $KPI_AS_OF); rows dated
#                 later are ignored.  Default: the date of the newest
#                 pipeline snapshot, else the latest close date of the deals.
#   --teams FILE  sales_agent -> regional_office (default: the CRM sample's
#                 sales_teams.csv)
#   --orders FILE one row per purchase: customer_id, date, for the retention
#                 cohorts (default: the CDNOW sample in testdata/cdnow/)
#   OUTDIR        where the report goes (default out/weekly-report)
#   DEALS.csv     one row per opportunity (default: the CRM sample in testdata/):
#                 opportunity_id, sales_agent, product, account, deal_stage
#                 (Prospecting, Engaging, Won, Lost), engage_date, close_date,
#                 close_value
#   SNAPSHOT_DIR  weekly exports of the open pipeline named
#                 snapshot-YYYY-MM-DD.csv, and quota.csv (default:
#                 testdata/pipeline/)
# The kpi tools are taken from ./build when it holds them, else from PATH.
# Needs a POSIX shell and awk, and GNU date for the calendar arithmetic.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
prog=weekly-report.sh

usage() {
	sed -n '9,25s/^# \{0,1\}//p' "$here/examples/weekly-report.sh"
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

as_of=${KPI_AS_OF:-}
teams=$here/testdata/crm/sales_teams.csv
orders=$here/testdata/cdnow/cdnow_master.csv
while [ $# -gt 0 ]; do
	case $1 in
	--as-of=*) as_of=${1#*=} ;;
	--teams=*) teams=${1#*=} ;;
	--orders=*) orders=${1#*=} ;;
	--as-of|--teams|--orders)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $1 in
		--as-of) as_of=$2 ;;
		--teams) teams=$2 ;;
		--orders) orders=$2 ;;
		esac
		shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "$prog: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -le 3 ] || { usage >&2; exit 2; }
out=${1:-out/weekly-report}
deals=${2:-$here/testdata/crm/sales_pipeline.csv}
snapshots=${3:-$here/testdata/pipeline}
[ -x "$here/build/kpi-conv" ] && PATH="$here/build:$PATH"
export PATH
for f in "$deals" "$teams" "$orders"; do
	[ -r "$f" ] || die "$f: cannot read"
done

csv() {			# csv SCRIPT.awk [AWK ARGS]: run a CSV awk script
	script=$1
	shift
	awk -f "$here/examples/csv.awk" -f "$here/examples/$script" "$@"
}

day() {			# day DATE [DAYS]: the date DAYS days later
	date -u -d "$1 ${2:-0} days" +%F
}

# ==== The dates the report is about ====
newest_snapshot() {	# the newest snapshot-DATE.csv dated on or before $1
	ls "$snapshots" 2>/dev/null |
		sed -n 's/^snapshot-\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\)\.csv$/\1/p' |
		awk -v last="$1" '$0 <= last' | sort | tail -n 1
}
if [ -z "$as_of" ]; then
	as_of=$(newest_snapshot 9999-12-31)
	[ -n "$as_of" ] || as_of=$(csv csvcut.awk -v cols=close_date "$deals" |
		sed 1d | sort | tail -n 1)
fi
case $as_of in
[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
*) die "--as-of $as_of: expected a date YYYY-MM-DD" ;;
esac
[ "$(day "$as_of" 2>/dev/null)" = "$as_of" ] ||
	die "--as-of $as_of: not a calendar date"
# The last full week (Monday to Sunday) on or before the as-of date.
week_end=$(day "$as_of" "-$(( $(date -u -d "$as_of" +%u) % 7 ))")
week_start=$(day "$week_end" -6)
# This month and the six before it, for the funnel.
month=$(date -u -d "$as_of" +%Y-%m-01)
month0=$(date -u -d "$month -6 months" +%F)
new_snap=$(newest_snapshot "$as_of")
old_snap=
[ -z "$new_snap" ] || old_snap=$(newest_snapshot "$(day "$new_snap" -1)")

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ==== The CSV files ====
# Bookings per week and stage, every week present (0 when nothing closed).
kpi-agg -g deal_stage -t close_date --every week --fill --as-of "$as_of" \
	-a count,sum:close_value -o "$out/weekly-bookings.csv" "$deals"

# Monthly view: deals closed, value won, typical and large deal sizes.
kpi-agg -g deal_stage -t close_date --every month --as-of "$as_of" \
	-a count,sum:close_value,median:close_value,p90:close_value \
	-o "$out/monthly-closed.csv" "$deals"

# Per agent: deals in each stage, value, distinct accounts.
kpi-agg -g sales_agent,deal_stage \
	-a count,sum:close_value,mean:close_value,distinct:account \
	-o "$out/by-agent.csv" "$deals"

# Deals per stage now and the accounts behind them.
kpi-agg -g deal_stage -a count,distinct:account,missing:account \
	-o "$out/stages.csv" "$deals"

# Quarterly bookings per product, fiscal year starting in February.
kpi-agg -g product -t close_date --every quarter --fiscal-start 2 \
	--as-of "$as_of" --period-label -a count,sum:close_value \
	-o "$out/quarterly-by-product.csv" "$deals"

# Win rate and sales cycle per agent, with intervals and open deals censored.
kpi-conv -g sales_agent --stage deal_stage --created engage_date \
	--closed close_date --stages Prospecting,Engaging,Won --lost Lost \
	--amount close_value -r winrate --within 30,90 --as-of "$as_of" \
	-o "$out/winrate-by-agent.csv" "$deals"

# Conversion by monthly cohort of deals engaged.
kpi-conv --stage deal_stage --created engage_date --closed close_date \
	--stages Prospecting,Engaging,Won --lost Lost -e month --as-of "$as_of" \
	-o "$out/funnel-by-month.csv" "$deals"

# The same funnel for this month's cohort against the six before it, pooled:
# each deal labelled with its window (by a lookup table from every engage
# date), then funnels per window; deals outside the seven months are left out.
label_this=$(date -u -d "$month" '+%b %Y')
label_earlier="$(date -u -d "$month0" '+%b')–$(date -u -d "$month -1 month" '+%b %Y')"
{
	echo "engage_date,window"
	csv csvcut.awk -v cols=engage_date "$deals" >"$tmp/engage.csv"
	sed 1d "$tmp/engage.csv" | sort -u |
		awk -v month="$month" -v month0="$month0" -v a="$label_this" \
		    -v b="$label_earlier" '{
			w = "other"
			if ($0 ~ /^[0-9]/ && $0 >= month)
				w = a
			else if ($0 ~ /^[0-9]/ && $0 >= month0)
				w = b
			print $0 "," w }'
} >"$tmp/windows.csv"
csv csvjoin.awk -v key=engage_date -v add=window "$tmp/windows.csv" "$deals" \
	>"$tmp/deals-window.csv"
csv csvcut.awk -v 'where=window!=other' "$tmp/deals-window.csv" \
	>"$tmp/deals-7-months.csv"
kpi-conv -g window --stage deal_stage --created engage_date \
	--closed close_date --stages Engaging,Won --lost Lost --as-of "$as_of" \
	-o "$out/funnel-this-month.csv" "$tmp/deals-7-months.csv"
kpi-conv --stage deal_stage --created engage_date --closed close_date \
	--stages Engaging,Won --lost Lost -e month --period-label \
	--as-of "$as_of" -o "$out/funnel-by-month-7.csv" "$tmp/deals-7-months.csv"

# Won bookings per full week to the last Sunday, and next quarter's (13
# weeks) forecast with 80% and 95% intervals and the history, for the fan.
csv csvcut.awk -v where=deal_stage=Won "$deals" >"$tmp/won.csv"
kpi-agg -t close_date --every week --fill --as-of "$week_end" \
	-a count,sum:close_value -o "$out/won-weekly.csv" "$tmp/won.csv"
kpi-forecast -t period -v close_value_sum -H 13 --history \
	-o "$out/bookings-forecast.csv" "$out/won-weekly.csv"

# Win rate and cycle time per region: the deals joined with the teams table.
csv csvjoin.awk -v key=sales_agent -v add=regional_office \
	"$teams" "$deals" >"$tmp/deals-region.csv"
kpi-conv -g regional_office --stage deal_stage --created engage_date \
	--closed close_date --stages Prospecting,Engaging,Won --lost Lost \
	--amount close_value -r winrate --within 30,90 --as-of "$as_of" \
	-o "$out/winrate-by-region.csv" "$tmp/deals-region.csv"

# Cohort retention of customers by month of first purchase, to the as-of
# date or the end of the orders, whichever comes first (the demo's CDNOW
# orders end in 1998, and cohorts are not aged past their data).
csv csvcut.awk -v cols=date "$orders" >"$tmp/order-dates.csv"
orders_end=$(sed 1d "$tmp/order-dates.csv" | sort | tail -n 1)
orders_end=$(printf '%s\n%s\n' "$orders_end" "$as_of" | sort | head -n 1)
kpi-cohort --id customer_id -t date -e month --as-of "$orders_end" \
	-o "$out/retention.csv" "$orders"
kpi-cohort --id customer_id -t date -e month --as-of "$orders_end" --wide \
	-o "$out/retention-wide.csv" "$orders"

# This week's open pipeline: win probabilities by product from history, the
# distribution of bookings per agent and quarter against quota, and the
# waterfall since last week's export, per agent, per region and in total.
csv csvcut.awk -v 'where=deal_stage!=Prospecting' "$deals" \
	>"$tmp/engaged.csv"
kpi-conv -g product --stage deal_stage --created engage_date \
	--closed close_date --stages Engaging,Won --lost Lost --as-of "$as_of" \
	-r stage-win -o "$out/stage-win.csv" "$tmp/engaged.csv"
if [ -n "$new_snap" ]; then
	new=$snapshots/snapshot-$new_snap.csv
	set --		# --quota FILE when there is a quota file
	[ ! -f "$snapshots/quota.csv" ] || set -- --quota "$snapshots/quota.csv"
	kpi-pipeline --probs "$out/stage-win.csv" --stage deal_stage \
		--amount close_value --close-date close_date -g sales_agent \
		--as-of "$new_snap" --won "$deals" "$@" \
		-o "$out/pipeline.csv" "$new"
fi
if [ -n "$old_snap" ]; then
	old=$snapshots/snapshot-$old_snap.csv
	waterfall() {	# waterfall OLD NEW [-g COLS]: kpi-pipeline --diff
		o=$1 n=$2
		shift 2
		kpi-pipeline --diff "$o" --id opportunity_id --stage deal_stage \
			--stages Engaging --amount close_value \
			--close-date close_date --won "$deals" "$@" "$n"
	}
	waterfall "$old" "$new" -g sales_agent -o "$out/waterfall.csv"
	csv csvjoin.awk -v key=sales_agent -v add=regional_office \
		"$teams" "$old" >"$tmp/old-region.csv"
	csv csvjoin.awk -v key=sales_agent -v add=regional_office \
		"$teams" "$new" >"$tmp/new-region.csv"
	waterfall "$tmp/old-region.csv" "$tmp/new-region.csv" \
		-g regional_office --period-label \
		-o "$out/waterfall-by-region.csv"
	# All periods of expected close added up: one waterfall for the page.
	waterfall "$old" "$new" -o "$tmp/waterfall-periods.csv"
	awk -F, '
		NR == 1 { sub(/^period,/, ""); print; next }
		{ for (i = 2; i <= NF; i++) sum[i] += $i }
		END { for (i = 2; i <= NF; i++)
			printf "%.15g%s", sum[i], (i < NF ? "," : "\n") }' \
		"$tmp/waterfall-periods.csv" >"$out/waterfall-total.csv"
fi

# ==== The page ====
. "$here/examples/weekly-report-html.sh"
chart_failed=
write_page >"$tmp/index.html"
mv "$tmp/index.html" "$out/index.html"

echo "weekly report for $as_of written to $out:"
for f in "$out"/*.csv; do
	printf '  %-28s %6d rows\n' "$(basename "$f")" $(($(wc -l <"$f") - 1))
done
printf '  %-28s %6d bytes\n' index.html "$(wc -c <"$out/index.html")"
[ -z "$chart_failed" ] || die "some charts could not be drawn (see above)"
