# csvjoin.awk - add a column from a lookup table to every row of a CSV file,
# matched by a key column, both chosen by header name: the weekly report's
# sales_agent -> regional_office.  POSIX awk; load csv.awk first:
#
#   awk -f examples/csv.awk -f examples/csvjoin.awk -v key=COL -v add=COL
#       [-v missing=TEXT] LOOKUP.csv DATA.csv
#
# Writes DATA.csv with the column add appended, taken from the LOOKUP.csv
# row whose key equals the row's key.  A row whose key is not in LOOKUP.csv
# is kept, with missing (default "(none)") in the new column, and the number
# of such rows is reported on standard error: nothing is dropped.  A key
# that LOOKUP.csv maps to two different values, a missing column or a record
# with the wrong number of fields is an error naming the file and line, exit
# status 1.  DATA.csv's records are written as read (CR line ends dropped).

BEGIN {
	if (missing == "")
		missing = "(none)"
}

FNR == 1 {
	sub(/^\357\273\277/, "")
	header = 1
	file++
}

{
	if (!csv_take($0))
		next
	if (CSV_REC == "")
		next
	n = csv_split(CSV_REC, f)
	if (header) {
		read_header(n)
		next
	}
	if (n != width)
		csv_die("csvjoin", n " fields, expected " width)
	if (file == 1) {
		if (f[key_col] in value && value[f[key_col]] != f[add_col])
			csv_die("csvjoin", key " " f[key_col] " has two values of " \
			    add ": " value[f[key_col]] " and " f[add_col])
		value[f[key_col]] = f[add_col]
	} else if (f[key_col] in value) {
		print CSV_REC "," csv_quote(value[f[key_col]])
	} else {
		print CSV_REC "," csv_quote(missing)
		unmatched++
	}
}

END {
	csv_end("csvjoin")
	if (file != 2)
		csv_die("csvjoin", "needs two files, LOOKUP.csv and DATA.csv")
	if (unmatched)
		printf "csvjoin: %s: %d rows whose %s is not in %s get %s \"%s\"\n",
		    FILENAME, unmatched, key, ARGV[1], add, missing | "cat 1>&2"
}

# Finds key (and, in the lookup table, add) in the header of file.
function read_header(n,    c) {
	header = 0
	width = n
	key_col = add_col = 0
	for (c = 1; c <= n; c++) {
		if (f[c] == key)
			key_col = c
		if (f[c] == add)
			add_col = c
	}
	if (!key_col)
		csv_die("csvjoin", "no column " key)
	if (file == 1 && !add_col)
		csv_die("csvjoin", "no column " add)
	if (file == 2)
		print CSV_REC "," csv_quote(add)
}
