/*
 * fuzz_config.c - the configuration file reader, on a kakuin.conf in a
 * scratch directory of this process.  A file is either loaded or refused
 * with KN_ERR_CONFIG (or KN_ERR_NOMEM); never anything else.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char dir[64];
static char path[128];

static void
remove_dir(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_config c;
	FILE *f;
	int rc;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/kakuin-fuzz-config-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/%s", dir, KN_CONFIG_FILE);
		atexit(remove_dir);
		unsetenv("KAKUIN_RESOLVER");
		unsetenv("KAKUIN_STORE");
		unsetenv("KAKUIN_LISTEN");
	}
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	rc = kn_config_load(&c, dir, false);
	if (rc == 0) {
		if (c.store == NULL || c.listen == NULL || c.workers < 0 ||
		    c.workers > 256 || c.timeout < 1 || c.max_body < 1024)
			abort();
		kn_config_cleanup(&c);
	} else if (rc != KN_ERR_CONFIG && rc != KN_ERR_NOMEM)
		abort();
	return 0;
}
