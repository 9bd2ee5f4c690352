/* replay.c - run a fuzz harness over files, without libFuzzer.
 *
 * Usage: replay-NAME PATH...
 * Each PATH is a file or a directory of files (not recursive); each file is
 * one input to LLVMFuzzerTestOneInput().  This is how the seed corpus and
 * the kept crash inputs run as tests in every build (gcc, sanitizers,
 * valgrind): a harness that finds a broken invariant aborts.  Prints TAP,
 * one line per path. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *p;
	size_t len = 0, cap = 0, got;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			p = realloc(buf, cap);
			if (!p)
				abort();
			buf = p;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* libFuzzer hands over exactly `len` bytes: so does this copy, so
	 * that ASan and valgrind see a read past the end. */
	p = malloc(len ? len : 1);
	if (!p)
		abort();
	memcpy(p, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(p, len);
	free(p);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file in dir, in name order; returns the number run, -1 on error. */
static long
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, **p, path[4096];
	size_t n = 0, cap = 0, i;
	long done = 0;
	struct stat sb;

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			p = realloc(names, cap * sizeof(*names));
			if (!p)
				abort();
			names = p;
		}
		names[n] = strdup(e->d_name);
		if (!names[n])
			abort();
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (run_file(path) != 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	long n;
	int i, bad = 0;

	printf("1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0) {
			/* A harness may have no kept crash inputs yet. */
			printf("ok %d - %s # SKIP absent\n", i, argv[i]);
			continue;
		}
		n = S_ISDIR(sb.st_mode) ? run_dir(argv[i])
					: run_file(argv[i]) == 0;
		if (n < 0) {
			printf("not ok %d - %s\n", i, argv[i]);
			bad = 1;
		} else {
			printf("ok %d - %s (%ld inputs)\n", i, argv[i], n);
		}
		fflush(stdout);
	}
	return bad;
}
