/*
 * replay.c - main() for fuzz targets in ordinary builds: runs
 * LLVMFuzzerTestOneInput once on each file named (a directory: on each
 * file in it), so that make check replays every corpus under the
 * sanitizers without libFuzzer.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX (16 << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL;
	size_t n;
	long len;
	int rc = 1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    len > REPLAY_MAX || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: unreadable or larger than %d "
		    "bytes\n", path, REPLAY_MAX);
		goto out;
	}
	/* An exact-size heap copy, so overreads hit the redzone. */
	if ((buf = malloc(len > 0 ? (size_t)len : 1)) == NULL)
		goto out;
	n = fread(buf, 1, (size_t)len, f);
	if (n != (size_t)len) {
		fprintf(stderr, "replay: %s: short read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, n);
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int
run_path(const char *path)
{
	struct stat sb;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (stat(path, &sb) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(sb.st_mode))
		return run_file(path);
	if ((d = opendir(path)) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &sb) == 0 && S_ISREG(sb.st_mode))
			rc |= run_file(sub);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char *argv[])
{
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|dir ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		rc |= run_path(argv[i]);
	if (rc == 0)
		printf("replay: %d input(s) ran clean\n", argc - 1);
	return rc;
}
