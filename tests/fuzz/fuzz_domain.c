/*
 * fuzz_domain.c - domain name parsing.  An accepted name is at most 253
 * characters of lower-case letters, digits, hyphens and dots, has no
 * empty label and no trailing dot, and parses to itself again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/org.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[KN_DOMAIN_MAX + 1], again[KN_DOMAIN_MAX + 1];
	char *s;
	size_t i, n;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (kn_domain_parse(out, s) != 0)
		goto out;
	n = strlen(out);
	if (n == 0 || n > KN_DOMAIN_MAX || out[0] == '.' ||
	    out[n - 1] == '.' || strstr(out, "..") != NULL ||
	    strchr(out, '.') == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (!((out[i] >= 'a' && out[i] <= 'z') ||
		    (out[i] >= '0' && out[i] <= '9') || out[i] == '-' ||
		    out[i] == '.'))
			abort();
	}
	if (kn_domain_parse(again, out) != 0 || strcmp(again, out) != 0)
		abort();
out:
	free(s);
	return 0;
}
