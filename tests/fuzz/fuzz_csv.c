/*
 * fuzz_csv.c - the National Tax Agency CSV splitter and checker, walked
 * over the whole input as the importer walks a file: every call must
 * consume at least one byte and no more than is left, and every field of
 * an accepted record must lie inside the input or the row's scratch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/corpnum.h"
#include "registry/nta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct kn_nta_row row;

static int
inside(const char *p, size_t len, const char *lo, size_t n)
{
	return p >= lo && len <= n && (size_t)(p - lo) <= n - len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t pos = 0, i;
	int64_t num;

	while (pos < size) {
		size_t used = 0;

		if (kn_nta_parse_row(&row, p + pos, size - pos, &used) == 0) {
			if (row.nfields != KN_NTA_FIELDS)
				abort();
			for (i = 0; i < row.nfields; i++) {
				const struct kn_slice *f = &row.f[i];

				if (f->len > KN_NTA_MAX_FIELD)
					abort();
				if (!inside(f->ptr, f->len, p + pos,
				    used) && !inside(f->ptr, f->len,
				    row.scratch, sizeof(row.scratch)))
					abort();
			}
			/* An accepted record has a valid number. */
			if (kn_nta_check_row(&row) == 0 &&
			    kn_corpnum_parse(&num, row.f[KN_NTA_NUMBER].ptr,
			    row.f[KN_NTA_NUMBER].len) != 0)
				abort();
		}
		if (used == 0 || used > size - pos)
			abort();
		pos += used;
	}
	return 0;
}
