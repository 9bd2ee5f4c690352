#!/bin/sh
# weekly-report.sh - the Monday sales report, built from a CRM export with the
# kpi tools.  This is what a cron job runs:
#
#   15 6 * * 1  cd /srv/kpi && examples/weekly-report.sh /srv/reports/weekly
#
# Usage: weekly-report.sh [OUTDIR [DEALS.csv]]
#   OUTDIR     where the report goes (default out/weekly-report)
#   DEALS.csv  one row per opportunity (default: the CRM sample in testdata/)
# The kpi tools are taken from ./build when it holds them, else from PATH.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-out/weekly-report}
deals=${2:-$here/testdata/crm/sales_pipeline.csv}
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

# The pipeline now: deals per stage and the accounts behind them.
kpi-agg -g deal_stage -a count,distinct:account,missing:account \
	-o "$out/pipeline.csv" "$deals"

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

echo "weekly report written to $out:"
for f in "$out"/*.csv; do
	printf '  %-28s %6d rows\n' "$(basename "$f")" $(($(wc -l <"$f") - 1))
done
