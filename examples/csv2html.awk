# csv2html.awk - one CSV file (header row first) as an HTML table, for the
# weekly report.  POSIX awk; needs csv.awk loaded first:
#
#   awk -f examples/csv.awk -f examples/csv2html.awk [-v caption=TEXT]
#       [-v pct=REGEX] [-v CSV_FS=';'] FILE.csv > table.html
#
# The output is a <table> element that is also well-formed XML, so it can sit
# in an HTML page that xmllint reads as XHTML.  Rules, chosen for a reader
# who scans numbers rather than computes with them:
#  - text is HTML-escaped (& < > " '); line breaks inside a field become <br/>;
#  - a column whose non-empty cells are all numbers is a number column: its
#    cells and heading get class "n" (right-aligned by the page's CSS);
#  - an empty cell is shown as an en dash, never as 0 (missing is not zero);
#  - numbers are rounded for reading: integers as written, other values to
#    0 decimals from 100 up, 1 from 10, 2 from 1, 3 significant digits
#    below 1; thousands get a comma from 10,000 up (so years and the like
#    read as written); a minus is a real minus sign;
#  - a number column whose heading matches pct (default: a rate, retention,
#    coverage or share, or p_*, the names the kpi tools give fractions) is a
#    fraction shown as a percentage with one decimal;
#  - columns C_lo and C_hi next to C (the kpi tools' interval bounds) fold
#    into C's cell as "value (lo-hi)";
#  - headings show underscores as spaces.
# A file with a header but no rows gives one "no rows" line.  A record with
# the wrong number of fields, or a quote left open, stops with an error
# naming the file and line, exit status 1.

BEGIN {
	if (pct == "")
		pct = "(^|_)(rate|retention|coverage|share)(_|$)|^p_"
	EN_DASH = "&#8211;"
	MINUS = "&#8722;"
}

NR == 1 {
	sub(/^\357\273\277/, "")
}

{
	if (!csv_take($0))
		next
	if (CSV_REC == "")
		next
	n = csv_split(CSV_REC, f)
	if (rows == 0 && ncol == 0) {
		ncol = n
		for (c = 1; c <= n; c++)
			head[c] = f[c]
		next
	}
	if (n != ncol)
		csv_die("csv2html", n " fields, expected " ncol)
	rows++
	for (c = 1; c <= n; c++)
		cell[rows, c] = f[c]
}

END {
	csv_end("csv2html")
	if (ncol == 0)
		exit 0
	classify_columns()
	print "<table>"
	if (caption != "")
		print "<caption>" escape(caption) "</caption>"
	line = "<thead><tr>"
	for (c = 1; c <= ncol; c++) {
		if (folded[c])
			continue
		label = head[c]
		gsub(/_/, " ", label)
		line = line "<th" (number[c] ? " class=\"n\"" : "") ">" \
		    escape(label) "</th>"
	}
	print line "</tr></thead>"
	print "<tbody>"
	if (rows == 0)
		print "<tr><td class=\"empty\" colspan=\"" shown "\">no rows</td></tr>"
	for (r = 1; r <= rows; r++) {
		line = "<tr>"
		for (c = 1; c <= ncol; c++) {
			if (folded[c])
				continue
			line = line "<td" (number[c] ? " class=\"n\"" : "") ">" \
			    show(r, c) "</td>"
		}
		print line "</tr>"
	}
	print "</tbody>"
	print "</table>"
}

# number[c]: column c has numbers and nothing else but empty cells; percent[c]: and
# the heading names a fraction; lo_of[c], hi_of[c]: its interval columns,
# which are then folded[] into it; shown: how many columns remain.
function classify_columns(    c, d, r) {
	for (c = 1; c <= ncol; c++) {
		number[c] = 0
		for (r = 1; r <= rows; r++) {
			if (cell[r, c] == "")
				continue
			number[c] = is_number(cell[r, c])
			if (!number[c])
				break
		}
		percent[c] = number[c] && head[c] ~ pct
	}
	for (c = 1; c <= ncol; c++)
		for (d = 1; d <= ncol; d++) {
			if (head[d] == head[c] "_lo" && number[d])
				lo_of[c] = d
			if (head[d] == head[c] "_hi" && number[d])
				hi_of[c] = d
		}
	for (c = 1; c <= ncol; c++)
		if (lo_of[c] && hi_of[c] && number[c]) {
			folded[lo_of[c]] = 1
			folded[hi_of[c]] = 1
		}
	shown = 0
	for (c = 1; c <= ncol; c++)
		if (!folded[c])
			shown++
}

# The contents of the cell of row r, column c.
function show(r, c,    v, lo, hi) {
	v = cell[r, c]
	if (v == "")
		return "<span class=\"na\">" EN_DASH "</span>"
	if (!number[c]) {
		v = escape(v)
		gsub(/\n/, "<br/>", v)
		return v
	}
	v = readable(v, percent[c])
	if (lo_of[c] && hi_of[c] && !folded[c]) {
		lo = cell[r, lo_of[c]]
		hi = cell[r, hi_of[c]]
		if (lo != "" && hi != "")
			v = v " <span class=\"ci\">(" bare(readable(lo, percent[c])) \
			    EN_DASH bare(readable(hi, percent[c])) ")</span>"
	}
	return v
}

# 1 when s is a decimal number as the kpi tools write them (an integer with
# a leading zero, such as a zip code, is text).
function is_number(s) {
	if (s !~ /^[-+]?([0-9]+|[0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/)
		return 0
	return s !~ /^[-+]?0[0-9]/
}

# The number s rounded for reading; as a percentage when as_percent.
function readable(s, as_percent,    x, ax, out) {
	if (as_percent)
		return signed(sprintf("%.1f", s * 100)) "%"
	if (s ~ /^[-+]?[0-9]+$/)
		return signed(s)
	x = s + 0
	ax = x < 0 ? -x : x
	if (ax >= 99.95)	# rounds to 100 or more
		out = sprintf("%.0f", x)
	else if (ax >= 9.995)
		out = sprintf("%.1f", x)
	else if (ax >= 0.9995)
		out = sprintf("%.2f", x)
	else
		out = sprintf("%.3g", x)
	return signed(out)
}

# A formatted number with a minus sign and thousands separators.
function signed(s,    neg, whole, rest, at) {
	neg = ""
	if (s ~ /^-/) {
		s = substr(s, 2)
		if (s !~ /^[0.]*(e.*)?%?$/)	# no "-0.0"
			neg = MINUS
	}
	sub(/^\+/, "", s)
	at = match(s, /[^0-9]/)
	if (at) {
		whole = substr(s, 1, at - 1)
		rest = substr(s, at)
	} else {
		whole = s
		rest = ""
	}
	if (length(whole) > 4)
		while (match(whole, /[0-9][0-9][0-9][0-9]($|,)/))
			whole = substr(whole, 1, RSTART) "," substr(whole, RSTART + 1)
	return neg whole rest
}

# A bound of an interval: without the % its value already shows.
function bare(s) {
	sub(/%$/, "", s)
	return s
}

function escape(s) {
	gsub(/&/, "\\&amp;", s)
	gsub(/</, "\\&lt;", s)
	gsub(/>/, "\\&gt;", s)
	gsub(/"/, "\\&quot;", s)
	gsub(/'/, "\\&#39;", s)
	return s
}
