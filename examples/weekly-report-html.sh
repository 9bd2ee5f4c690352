# weekly-report-html.sh - the page of the weekly report: sourced by
# weekly-report.sh once the CSV files are in $out, it defines write_page,
# which prints index.html.  The page is HTML5 that is also well-formed XML
# (every element closed, only numeric character references), with its CSS
# in the head, no scripts and no external files; the charts are kpi-plot's
# SVG elements inline, so the page can travel as one e-mail.
# Uses the variables of weekly-report.sh: out, tmp, here, as_of, week_start,
# week_end, month, month0, new_snap, old_snap, label_this, label_earlier,
# deals, teams, orders.

table() {		# table [csv2html.awk args] FILE.csv: an HTML table
	csv csv2html.awk "$@"
}

nice_date() {		# nice_date DATE: "Mon 25 Dec 2017"
	date -u -d "$1" '+%a %-d %b %Y'
}

# chart NAME TYPE TITLE FILE [kpi-plot options]: kpi-plot's SVG, kept as
# NAME.svg beside the CSV files and printed inline without its XML
# declaration.  Without kpi-plot, a line that says so; when kpi-plot fails,
# its message, on the page and on standard error, and chart_failed is set
# so that the script ends with exit status 1 (the tables still go out).
chart() {
	name=$1 type=$2 title=$3 file=$4
	shift 4
	if ! command -v kpi-plot >/dev/null 2>&1; then
		echo '<p class="nochart">No chart: kpi-plot is not installed.</p>'
		return
	fi
	if kpi-plot --type "$type" --title "$title" --width 600 --height 340 \
		"$@" -o "$out/$name.svg" "$file" 2>"$tmp/plot.err"; then
		sed '/^<?xml/d; /^<!DOCTYPE/d' "$out/$name.svg"
		return
	fi
	cat "$tmp/plot.err" >&2
	chart_failed=1
	printf '<p class="nochart">No chart: %s</p>\n' \
		"$(head -n 1 "$tmp/plot.err" | escape)"
}

escape() {		# HTML-escape standard input
	sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'
}

section() {		# section ID HEADING SENTENCE: opens a section
	printf '<div class="section" id="%s">\n<h2>%s</h2>\n<p class="what">%s</p>\n' \
		"$1" "$2" "$3"
}

headline() {
	awk -F, '$2 == "actual" { won = $3 } $2 == "forecast" { next_q += $3 }
		END { printf "%s,%.15g", won, next_q }' \
		"$out/bookings-forecast.csv" >"$tmp/h1"
	awk -F, 'END { print $2 }' "$out/won-weekly.csv" >"$tmp/h2"
	{
		echo "won_last_week,deals_won_last_week,forecast_next_13_weeks,open_pipeline,change_since_last_week"
		if [ -f "$out/waterfall-total.csv" ]; then
			awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			{ printf "%s,%.15g\n", $c["closing"],
			    $c["closing"] - $c["opening"] }' \
				"$out/waterfall-total.csv" >"$tmp/h3"
		else
			echo "," >"$tmp/h3"
		fi
		awk -F, -v deals="$(cat "$tmp/h2")" -v pipe="$(cat "$tmp/h3")" '
			{ split($0, h, ","); printf "%s,%s,%s,%s\n", h[1], deals, h[2], pipe }' \
			"$tmp/h1"
	} >"$tmp/headline.csv"
	echo '<div class="headline">'
	table "$tmp/headline.csv"
	echo '</div>'
}

bookings_section() {
	section bookings "Bookings by week and next quarter&#8217;s forecast" \
		"Value of the deals won each week (Monday to Sunday, by close date) up to the week ending $(nice_date "$week_end"), and kpi-forecast&#8217;s forecast for the next 13 weeks with its 80% and 95% prediction intervals (the model is chosen automatically by AICc). The table shows the last four weeks and the forecast, with the 80% interval in brackets."
	echo '<div class="row"><div class="chart">'
	chart bookings-forecast fan "Won bookings per week" \
		"$out/bookings-forecast.csv" -x period -y value
	echo '</div><div class="table">'
	awk -F, 'BEGIN { print "week,won,forecast,forecast_lo,forecast_hi" }
		$2 == "actual" { a[++n] = $1 "," $3 ",,," }
		$2 == "forecast" { f[++m] = $1 ",," $3 "," $4 "," $5 }
		END { for (i = (n > 4 ? n - 3 : 1); i <= n; i++) print a[i]
		      for (i = 1; i <= m; i++) print f[i] }' \
		"$out/bookings-forecast.csv" >"$tmp/bookings.csv"
	table "$tmp/bookings.csv"
	echo '</div></div></div>'
}

funnel_section() {
	section funnel "Funnel: this month against the last six" \
		"Deals by the month they were engaged (their cohort): how many were won, lost or are still open, and the win rate so far, won / engaged, with its 95% Wilson interval. Open deals count in the denominator, so the rate of a young cohort still rises as its deals close. The chart and the last two rows compare $label_this with $label_earlier pooled."
	echo '<div class="row"><div class="chart">'
	chart funnel funnel "Engaged to won: $label_this vs $label_earlier" \
		"$out/funnel-this-month.csv" -g window
	echo '</div><div class="table">'
	{
		echo "cohort,engaged,won,lost,open,win_rate,win_rate_lo,win_rate_hi,median_days"
		for f in funnel-by-month-7 funnel-this-month; do
			awk -F, 'NR > 1 && $2 == "Engaging" { print $1 "," $4 "," \
			    $5 "," $6 "," $7 "," $9 "," $10 "," $11 "," $13 }' \
				"$out/$f.csv" | sort -r
		done
	} >"$tmp/funnel.csv"
	table "$tmp/funnel.csv"
	echo '</div></div></div>'
}

region_section() {
	section regions "Win rate and cycle time by region" \
		"Deals per regional office (each deal&#8217;s sales agent looked up in $(basename "$teams" | escape)) as of $(nice_date "$as_of"): win rate = won / (won + lost) with its 95% Wilson interval; cycle = days from engaging to closing, as the median of closed deals and as the Kaplan&#8211;Meier median that counts open deals as still running (with its 95% interval); and the probability of a deal being won within 90 days."
	echo '<div class="row"><div class="chart">'
	chart winrate-by-region bar "Win rate by region" \
		"$out/winrate-by-region.csv" -x regional_office -y win_rate
	echo '</div></div><div class="wide">'
	csv csvcut.awk -v cols=regional_office=region,won,lost,open,win_rate,win_rate_lo,win_rate_hi,cycle_median=median_days_closed,km_median=median_days_KM,km_median_lo=median_days_KM_lo,km_median_hi=median_days_KM_hi,p_won_90d=won_within_90_days \
		"$out/winrate-by-region.csv" >"$tmp/regions.csv"
	table -v pct='rate|^won_within' "$tmp/regions.csv"
	echo '</div></div>'
}

retention_section() {
	section retention "Customer retention by monthly cohort" \
		"Customers grouped by the month of their first purchase ($(basename "$orders" | escape)): the share of each cohort that buys again in each later month (month 0, always 100%, is left out of the chart). The table picks months 1, 2, 3, 6 and 12."
	echo '<div class="wide">'
	# Month 0 is 100% by definition.  kpi-plot colours from 0 to the round
	# number above the largest cell, so with month 0 in, the scale would
	# run to 100% and the later months (6% to 15%) would all sit in its
	# darkest sixth; left out, the scale runs to 20% and the months that
	# differ look different.  So it is still left out.
	csv csvcut.awk -v 'where=age!=0' "$out/retention.csv" \
		>"$tmp/retention-later.csv"
	chart retention heatmap "Retention by cohort and month since first purchase" \
		"$tmp/retention-later.csv" --width 1100 --height 300
	csv csvcut.awk -v cols=cohort,size,age_1=after_1_month,age_2=after_2_months,age_3=after_3_months,age_6=after_6_months,age_12=after_12_months \
		"$out/retention-wide.csv" >"$tmp/retention.csv"
	table -v pct='^after' "$tmp/retention.csv"
	echo '</div></div>'
}

waterfall_section() {
	if [ -z "$old_snap" ]; then
		section waterfall "Pipeline since last week" \
			"No pipeline snapshot before $(nice_date "$as_of") in $(echo "$snapshots" | escape), so there is no waterfall this week."
		echo '</div>'
		return
	fi
	section waterfall "Pipeline waterfall since last week" \
		"The open pipeline (deals in Engaging, by close value) in the export of $(nice_date "$new_snap") against that of $(nice_date "$old_snap"): deals that came in, closed won or lost, moved their close date into or out of the quarter, or changed value. Movements with no deal are left out."
	echo '<div class="row"><div class="chart">'
	chart waterfall waterfall "Open pipeline, $old_snap to $new_snap" \
		"$out/waterfall-total.csv"
	echo '</div><div class="table">'
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) name[i] = $i; next }
		{ for (i = 1; i <= NF; i++) v[name[i]] = $i }
		END {
			print "movement,deals,value"
			n = split("opening new won lost moved_in moved_out pulled_in pushed_out increased decreased advanced regressed closing", m, " ")
			split("Open last week|New deals|Won|Lost|Moved in (group)|Moved out (group)|Close date pulled in|Close date pushed out|Value increased|Value decreased|Stage advanced|Stage went back|Open now", label, "|")
			for (i = 1; i <= n; i++)
				if (i == 1 || i == n || v[m[i] "_deals"] != 0)
					print label[i] "," v[m[i] "_deals"] "," v[m[i]]
		}' "$out/waterfall-total.csv" >"$tmp/waterfall.csv"
	table "$tmp/waterfall.csv"
	echo '</div></div>'
	echo '<h3>By region</h3>'
	csv csvcut.awk -v cols=regional_office=region,period=close_quarter,opening,new,won,lost,pulled_in,pushed_out,increased,decreased,closing \
		"$out/waterfall-by-region.csv" >"$tmp/waterfall-region.csv"
	table "$tmp/waterfall-region.csv"
	echo '</div>'
}

write_page() {
	cat <<EOF
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Weekly sales report, $as_of</title>
<style>
body { margin: 0; background: #fff; color: #1f2328;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
    "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
.main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 40px; }
h1 { font-size: 26px; margin: 0 0 2px; }
h2 { font-size: 19px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.sub { color: #57606a; margin: 0 0 18px; }
p.what { color: #57606a; margin: 0 0 14px; max-width: 90ch; }
.section { border-top: 1px solid #d0d7de; padding: 20px 0 8px; }
.row { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.chart { flex: 0 1 600px; min-width: 0; }
.table { flex: 1 1 440px; overflow-x: auto; }
svg { max-width: 100%; height: auto; }
.wide { overflow-x: auto; margin-top: 14px; }
p.nochart { color: #8c959f; font-style: italic; }
table { border-collapse: collapse; font-size: 13px;
  font-variant-numeric: tabular-nums; }
th, td { padding: 4px 7px; border-bottom: 1px solid #eaeef2;
  text-align: left; white-space: nowrap; }
th { font-weight: 600; border-bottom: 2px solid #d0d7de; }
.n { text-align: right; }
.na { color: #8c959f; }
.ci { color: #6e7781; font-size: 12px; }
.headline table { font-size: 14px; margin-bottom: 8px; }
.headline td { font-size: 24px; font-weight: 600; border: 0; padding-right: 28px; }
.headline th { border: 0; color: #57606a; font-weight: 400; padding-right: 28px; }
.footer { color: #57606a; font-size: 12px; border-top: 1px solid #d0d7de;
  padding-top: 10px; }
</style>
</head>
<body>
<div class="main">
<h1>Weekly sales report</h1>
<p class="sub">As of $(nice_date "$as_of"): the week of $(nice_date "$week_start") to $(nice_date "$week_end"). Amounts are deal values in the CRM&#8217;s currency; an en dash marks a value that is missing or cannot be computed yet.</p>
EOF
	headline
	bookings_section
	funnel_section
	region_section
	retention_section
	waterfall_section
	cat <<EOF
<div class="footer">Built by examples/weekly-report.sh with the kpi tools from $(basename "$deals" | escape), $(basename "$teams" | escape), $(basename "$orders" | escape) and the pipeline snapshots in $(basename "$snapshots" | escape)/. The CSV files beside this page hold every number in it.</div>
</div>
</body>
</html>
EOF
}
