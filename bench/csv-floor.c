/* csv-floor.c - the speed floor: a bare libcsv parse that only counts */

/*
 * kpi-agg cannot read CSV faster than libcsv hands it fields, so the time
 * of this program on a file is the floor the benchmark compares against.
 * It parses with the options a kpi tool would use (strict quoting, NUL-
 * terminated fields) and 64 KiB reads, does nothing per field but count,
 * and prints the number of records (header included).
 */

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct counts {
	unsigned long fields;
	unsigned long records;
};

static void
field_cb(void *field, size_t len, void *data)
{
	struct counts *c = data;

	(void)field;
	(void)len;
	c->fields++;
}

static void
record_cb(int term, void *data)
{
	struct counts *c = data;

	(void)term;
	c->records++;
}

int
main(int argc, char **argv)
{
	static char buf[64 * 1024];
	struct csv_parser p;
	struct counts c = { 0, 0 };
	const char *name = "-";
	FILE *in = stdin;
	size_t got;
	int status = 0;

	if (argc > 2) {
		fprintf(stderr, "Usage: csv-floor [FILE]\n");
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "-") != 0) {
		name = argv[1];
		in = fopen(name, "rb");
		if (!in) {
			fprintf(stderr, "csv-floor: %s: %s\n", name, strerror(errno));
			return 1;
		}
	}
	if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL) != 0) {
		fprintf(stderr, "csv-floor: out of memory\n");
		return 1;
	}
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (csv_parse(&p, buf, got, field_cb, record_cb, &c) != got) {
			fprintf(stderr, "csv-floor: %s: record %lu: %s\n", name,
				c.records + 1, csv_strerror(csv_error(&p)));
			status = 1;
			break;
		}
	}
	if (status == 0 && ferror(in)) {
		fprintf(stderr, "csv-floor: %s: read error\n", name);
		status = 1;
	}
	if (status == 0 && csv_fini(&p, field_cb, record_cb, &c) != 0) {
		fprintf(stderr, "csv-floor: %s: unterminated quoted field\n", name);
		status = 1;
	}
	csv_free(&p);
	if (in != stdin)
		fclose(in);
	if (status == 0)
		printf("%lu\n", c.records);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "csv-floor: write error\n");
		status = 1;
	}
	return status;
}
