# csvcut.awk - choose, rename and filter the columns of a CSV file by their
# header names, for the weekly report's tables.  POSIX awk; load csv.awk
# first:
#
#   awk -f examples/csv.awk -f examples/csvcut.awk -v cols=LIST
#       [-v where=COL=VALUE | -v where=COL!=VALUE] [-v CSV_FS=';'] FILE.csv
#
# cols is a comma-separated list of NAME or NAME=HEADING: the columns to
# write, in that order, NAME renamed to HEADING (a heading may not hold a
# comma); empty: every column.  where keeps only the rows whose column COL
# equals VALUE exactly, or with COL!=VALUE those where it does not.  The
# output is CSV with commas, quoted where needed.
# A name that is not in the header, or a record with the wrong number of
# fields, is an error naming the file and line, exit status 1.

NR == 1 {
	sub(/^\357\273\277/, "")
}

{
	if (!csv_take($0))
		next
	if (CSV_REC == "")
		next
	n = csv_split(CSV_REC, f)
	if (!width) {
		read_header(n)
		next
	}
	if (n != width)
		csv_die("csvcut", n " fields, expected " width)
	if (where_col && (f[where_col] == where_value) == where_not)
		next
	write_row()
}

END {
	csv_end("csvcut")
}

# Finds the columns named in cols and where, and writes the new header.
function read_header(n,    c, k, spec, at, name) {
	width = n
	for (c = 1; c <= n; c++)
		index_of[f[c]] = c
	if (where != "") {
		at = index(where, "=")
		if (!at)
			csv_die("csvcut", "where needs COL=VALUE, not " where)
		name = substr(where, 1, at - 1)
		where_not = sub(/!$/, "", name)
		if (!(name in index_of))
			csv_die("csvcut", "no column " name " (in where)")
		where_col = index_of[name]
		where_value = substr(where, at + 1)
	}
	if (cols == "") {
		for (c = 1; c <= n; c++)
			out[c] = c
		nout = n
	} else {
		nout = split(cols, spec, ",")
		for (k = 1; k <= nout; k++) {
			at = index(spec[k], "=")
			name = at ? substr(spec[k], 1, at - 1) : spec[k]
			if (!(name in index_of))
				csv_die("csvcut", "no column " name)
			out[k] = index_of[name]
			if (at)
				f[out[k]] = substr(spec[k], at + 1)
		}
	}
	write_row()
}

function write_row(    k, line) {
	line = ""
	for (k = 1; k <= nout; k++)
		line = line (k > 1 ? "," : "") csv_quote_comma(f[out[k]])
	print line
}

# csv_quote() for the output, which always uses commas.
function csv_quote_comma(s,    saved, q) {
	saved = CSV_FS
	CSV_FS = ","
	q = csv_quote(s)
	CSV_FS = saved
	return q
}
