# csv.awk - RFC 4180 records in POSIX awk, for the other examples/*.awk
# scripts: load it first, as in  awk -f csv.awk -f csv2html.awk FILE.csv
#
# awk splits its input at every newline, but a quoted CSV field may hold
# newlines, commas and doubled quotes.  So a script feeds each input line to
# csv_take(), which returns 1 once a whole record has been read (left in
# CSV_REC, the line of the current file it starts on in CSV_LINE), and then
# splits that record with csv_split().  A CR ending a line is dropped (CRLF
# exports); a CR ending a line inside a quoted field is dropped as well, so a
# field's line breaks always read as LF.  CSV_FS is the field delimiter, one character
# (default ",").  At END a script calls csv_end() to reject a quote left open.

# Appends line to the record being read; 1 when the record is complete.
function csv_take(line,    quotes) {
	sub(/\r$/, "", line)
	if (csv_open_) {
		CSV_REC = CSV_REC "\n" line
	} else {
		CSV_REC = line
		CSV_LINE = FNR
	}
	quotes = gsub(/"/, "\"", line)
	if (quotes % 2)
		csv_open_ = !csv_open_
	return !csv_open_
}

# Splits record rec into f[1..n] and returns n.  Quotes around a field are
# removed and doubled quotes inside it undone.
function csv_split(rec, f,    n, i, c, len, field, quoted) {
	if (CSV_FS == "")
		CSV_FS = ","
	if (index(rec, "\"") == 0) {
		n = csv_split_plain_(rec, f)
		return n
	}
	n = 0
	field = ""
	quoted = 0
	len = length(rec)
	for (i = 1; i <= len; i++) {
		c = substr(rec, i, 1)
		if (quoted) {
			if (c != "\"")
				field = field c
			else if (substr(rec, i + 1, 1) == "\"") {
				field = field c
				i++
			} else
				quoted = 0
		} else if (c == "\"") {
			quoted = 1
		} else if (c == CSV_FS) {
			f[++n] = field
			field = ""
		} else {
			field = field c
		}
	}
	f[++n] = field
	return n
}

# Splits a record without quotes at CSV_FS, taken literally (split() would
# read a delimiter such as "|" or "." as a regular expression).
function csv_split_plain_(rec, f,    n, at) {
	n = 0
	while ((at = index(rec, CSV_FS)) > 0) {
		f[++n] = substr(rec, 1, at - 1)
		rec = substr(rec, at + 1)
	}
	f[++n] = rec
	return n
}

# The field s as written in a CSV file: quoted when it holds the delimiter,
# a quote, a line break or blanks at either end.
function csv_quote(s) {
	if (CSV_FS == "")
		CSV_FS = ","
	if (index(s, CSV_FS) || index(s, "\"") || index(s, "\n") ||
	    index(s, "\r") || s ~ /^[ \t]|[ \t]$/) {
		gsub(/"/, "\"\"", s)
		return "\"" s "\""
	}
	return s
}

# Prints "PROG: FILE:LINE: msg" on standard error and exits 1.
function csv_die(prog, msg) {
	printf "%s: %s:%d: %s\n", prog, (FILENAME == "" ? "-" : FILENAME),
	    CSV_LINE, msg | "cat 1>&2"
	close("cat 1>&2")
	csv_failed_ = 1
	exit 1
}

# Call at END: fails when the input ended inside a quoted field.
function csv_end(prog) {
	if (csv_failed_)
		exit 1
	if (csv_open_)
		csv_die(prog, "unterminated quoted field")
}
