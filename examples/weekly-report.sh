#!/bin/sh
# weekly-report.sh - the Monday sales report, built from a CRM export with the
# kpi tools.  This is what a cron job runs:
#
#   15 6 * * 1  cd /srv/kpi && examples/weekly-report.sh /srv/reports/weekly
#
# Usage: weekly-report.sh [OUTDIR [DEALS.csv [SNAPSHOT_DIR]]]
#   OUTDIR        where the report goes (default out/weekly-report)
#   DEALS.csv     one row per opportunity (default: the CRM sample in testdata/)
#   SNAPSHOT_DIR  this and last week's open-pipeline exports, quota.csv
#                 (default: testdata/pipeline/)
# The kpi tools are taken from ./build when it holds them, else from PATH.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-out/weekly-report}
deals=${2:-$here/testdata/crm/sales_pipeline.csv}
snapshots=${3:-$here/testdata/pipeline}
[ -x "$here/build/kpi-conv" ] && PATH="$here/build:$PATH"
export PATH
mkdir -p "$out"

# Bookings per week and stage, every week present (0 when nothing closed),
# the series a forecast reads.
kpi-agg -g deal_stage -t close_date --every week --fill \
	-a count,sum:close_value -o "$out/weekly-bookings.csv" "$deals"

# Monthly view: deals closed, value won, typical and large deal sizes.
kpi-agg -g deal_stage -t close_date --every month \
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
	--period-label -a count,sum:close_value \
	-o "$out/quarterly-by-product.csv" "$deals"

# Win rate and sales cycle per agent, with intervals and open deals censored.
kpi-conv -g sales_agent --stage deal_stage --created engage_date \
	--closed close_date --stages Prospecting,Engaging,Won --lost Lost \
	--amount close_value -r winrate --within 30,90 \
	-o "$out/winrate-by-agent.csv" "$deals"

# Conversion by monthly cohort of deals engaged.
kpi-conv --stage deal_stage --created engage_date --closed close_date \
	--stages Prospecting,Engaging,Won --lost Lost -e month \
	-o "$out/funnel-by-month.csv" "$deals"

# Next quarter's won bookings, week by week, with 80% and 95% intervals and
# the history, for the forecast chart.
{ head -n 1 "$deals"; grep ',Won,' "$deals"; } |
	kpi-agg -t close_date --every week --fill -a sum:close_value |
	kpi-forecast -t period -v close_value_sum -H 13 --history \
		-o "$out/bookings-forecast.csv"

# This week's open pipeline: win probabilities by product from history, the
# distribution of bookings per agent and quarter against quota, and the
# waterfall since last week's export.
grep -v ',Prospecting,' "$deals" |
	kpi-conv -g product --stage deal_stage --created engage_date \
		--closed close_date --stages Engaging,Won --lost Lost \
		-r stage-win -o "$out/stage-win.csv"
kpi-pipeline --probs "$out/stage-win.csv" --stage deal_stage \
	--amount close_value --close-date close_date -g sales_agent \
	--as-of 2017-12-25 --won "$deals" --quota "$snapshots/quota.csv" \
	-o "$out/pipeline.csv" "$snapshots/snapshot-2017-12-25.csv"
kpi-pipeline --diff "$snapshots/snapshot-2017-12-18.csv" \
	--id opportunity_id --stage deal_stage --stages Engaging \
	--amount close_value --close-date close_date -g sales_agent \
	--won "$deals" -o "$out/waterfall.csv" \
	"$snapshots/snapshot-2017-12-25.csv"

echo "weekly report written to $out:"
for f in "$out"/*.csv; do
	printf '  %-28s %6d rows\n' "$(basename "$f")" $(($(wc -l <"$f") - 1))
done
