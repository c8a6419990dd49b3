/*
 * fuzz_corpnum.c - corporate number parsing.  An accepted number is
 * exactly 13 digits, formats back to the same text, and its check digit
 * is the one the rule computes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/corpnum.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char out[KN_CORPNUM_LEN + 1];
	int64_t v = -1;

	if (kn_corpnum_parse(&v, s, size) != 0)
		return 0;
	if (size != KN_CORPNUM_LEN || v <= 0)
		abort();
	kn_corpnum_format(out, v);
	if (memcmp(out, s, KN_CORPNUM_LEN) != 0)
		abort();
	if (kn_corpnum_check_digit(s + 1) != s[0] - '0')
		abort();
	return 0;
}
