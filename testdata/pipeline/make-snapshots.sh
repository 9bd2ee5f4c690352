#!/bin/sh
# make-snapshots.sh - write the two weekly open-pipeline snapshots of the
# CRM sample (crm/sales_pipeline.csv) that the kpi-pipeline cases and the
# man page read: snapshot-2017-12-18.csv and snapshot-2017-12-25.csv.
#
# The CRM export holds each deal's current state only, and its open deals
# have no expected close date or amount.  The snapshots rebuild what a
# Monday export of three agents' open pipeline would have shown: every deal
# engaged before the snapshot date and not yet closed on it (deals that
# closed later, won or lost, were still open then), valued at its product's
# list price, with an expected close date, a forecast category and the
# rep's probability drawn from a hash of the deal id.  Between the two weeks some deals slip, some
# are pulled in, some change amount, as a rep's updates would do.  The same
# input gives the same bytes: no randomness, no clock.
#
# Usage: make-snapshots.sh [CRM_CSV]   (run from testdata/pipeline)
set -eu
crm=${1:-../crm/sales_pipeline.csv}
LC_ALL=C
export LC_ALL

snapshot() {	# snapshot DATE WEEK: WEEK 0 is the older export, 1 the newer
	awk -F, -v OFS=, -v snap="$1" -v week="$2" '
	function days(s,   y, m, d, era, yoe, doy, doe) {	# civil to day number
		y = substr(s, 1, 4) + 0; m = substr(s, 6, 2) + 0; d = substr(s, 9, 2) + 0
		y -= m <= 2
		era = int((y >= 0 ? y : y - 399) / 400)
		yoe = y - era * 400
		doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
		doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
		return era * 146097 + doe - 719468
	}
	function civil(z,   era, doe, yoe, y, doy, mp, d, m) {	# day number to civil
		z += 719468
		era = int((z >= 0 ? z : z - 146096) / 146097)
		doe = z - era * 146097
		yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
		y = yoe + era * 400
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153)
		d = doy - int((153 * mp + 2) / 5) + 1
		m = mp + (mp < 10 ? 3 : -9)
		return sprintf("%04d-%02d-%02d", y + (m <= 2), m, d)
	}
	function hash(s,   h, i) {
		h = 7
		for (i = 1; i <= length(s); i++)
			h = (h * 31 + index(chars, substr(s, i, 1))) % 1000003
		return h
	}
	BEGIN {
		chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		price["GTX Basic"] = 550; price["GTXPro"] = 4821
		price["MG Special"] = 55; price["MG Advanced"] = 3393
		price["GTX Plus Pro"] = 5482; price["GTX Plus Basic"] = 1096
		price["GTK 500"] = 26768
		team["Anna Snelling"] = team["Cecily Lampkin"] = team["Lajuana Vencill"] = 1
		t0 = days("2017-12-18"); t1 = days("2017-12-25")
		print "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value,forecast_category,probability"
	}
	{ sub(/\r$/, "") }
	NR == 1 || !($2 in team) || $6 == "" || $6 >= snap { next }
	$5 != "Engaging" && $7 < snap { next }
	{
		h = hash($1)
		amount = price[$3]
		# The expected close date a week ago: near the real close for
		# deals that closed, spread over the next months otherwise.
		if ($5 == "Engaging")
			due = days("2017-12-04") + h % 120
		else
			due = days($7) + h % 21 - 7
		if (week == 1) {
			r = int(h / 7) % 20
			if (due < t1 && r < 12)		# slipped: re-dated
				due += 28 + h % 30
			else if (r == 12 || r == 13)		# pushed out
				due += 35 + h % 30
			else if (r == 14 && due - 21 > t1)	# pulled in
				due -= 21
			r = int(h / 13) % 20
			if (r < 2)
				amount = int(amount * 1.2 + 0.5)
			else if (r == 2)
				amount = int(amount * 0.8 + 0.5)
		}
		# Forecast category by how soon the deal is expected.
		if (h % 50 == 7)
			cat = "Omitted"
		else if (due < days("2018-02-01"))
			cat = h % 3 == 0 ? "Commit" : "Best Case"
		else
			cat = "Pipeline"
		# The probability the rep keeps in the CRM, in percent.
		prob = cat == "Commit" ? 90 : cat == "Best Case" ? 60 : cat == "Pipeline" ? 25 : 10
		prob += int(h / 17) % 11 - 5
		print $1, $2, $3, $4, "Engaging", $6, civil(due), amount, cat, prob
	}' "$crm"
}

snapshot 2017-12-18 0 >snapshot-2017-12-18.csv
snapshot 2017-12-25 1 >snapshot-2017-12-25.csv
