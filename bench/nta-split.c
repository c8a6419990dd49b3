/*
 * nta-split - the ceiling of "kakuin org import" without the store: maps a
 * corporate-number file and runs every record through the importer's own
 * splitter and checker (kn_nta_parse_row, kn_nta_check_row), then prints
 *
 *   rows=N accepted=N rejected=N seconds=S
 *
 * on standard output.  bench/run puts its rate beside the real import's.
 *
 *   nta-split FILE.csv
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "registry/nta.h"

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
split_all(const char *p, size_t size, int64_t *rows, int64_t *accepted)
{
	struct kn_nta_row *row;
	size_t pos = 0, used;
	int rc;

	if ((row = calloc(1, sizeof(*row))) == NULL)
		return -1;
	/* The same steps, in the same order, as kn_nta_import(). */
	if (size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < size) {
		used = 0;
		rc = kn_nta_parse_row(row, p + pos, size - pos, &used);
		if (rc != 0 && used <= 2 && (p[pos] == '\n' ||
		    p[pos] == '\r')) {
			pos += used;
			continue;
		}
		(*rows)++;
		if (rc == 0 && kn_nta_check_row(row) == 0)
			(*accepted)++;
		pos += used;
	}
	free(row);
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	const char *p;
	int64_t rows = 0, accepted = 0;
	double t0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: nta-split FILE.csv\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || sb.st_size == 0) {
		perror(argv[1]);
		return 1;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	(void)madvise((void *)p, (size_t)sb.st_size, MADV_SEQUENTIAL);
	t0 = now();
	if (split_all(p, (size_t)sb.st_size, &rows, &accepted) != 0) {
		fprintf(stderr, "nta-split: out of memory\n");
		return 1;
	}
	printf("rows=%" PRId64 " accepted=%" PRId64 " rejected=%" PRId64
	    " seconds=%.6f\n", rows, accepted, rows - accepted, now() - t0);
	munmap((void *)p, (size_t)sb.st_size);
	close(fd);
	return 0;
}
