/* corpnum.c - corporate number check digit (National Tax Agency rule). */
#include <inttypes.h>
#include <stdio.h>

#include "registry/corpnum.h"

int
kn_corpnum_check_digit(const char base[12])
{
	int n, sum = 0;

	/* n counts from the right: base[11] is P1. */
	for (n = 1; n <= 12; n++) {
		int p = base[12 - n] - '0';

		sum += p * ((n % 2) ? 1 : 2);
	}
	return 9 - sum % 9;
}

int
kn_corpnum_parse(int64_t *out, const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;
	int want;

	if (len != KN_CORPNUM_LEN)
		return kn_err_set(KN_ERR_INVAL, "number", "a corporate number "
		    "has 13 digits; this one has %zu characters", len);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return kn_err_set(KN_ERR_INVAL, "number", "a corporate "
			    "number has only digits 0-9; character %zu is "
			    "not one", i + 1);
		v = v * 10 + (s[i] - '0');
	}
	want = kn_corpnum_check_digit(s + 1);
	if (s[0] - '0' != want)
		return kn_err_set(KN_ERR_INVAL, "number", "corporate number "
		    "%.13s has a wrong check digit: the first digit must be %d "
		    "for base %.12s (National Tax Agency rule)", s, want,
		    s + 1);
	*out = v;
	return 0;
}

void
kn_corpnum_format(char out[KN_CORPNUM_LEN + 1], int64_t n)
{
	snprintf(out, KN_CORPNUM_LEN + 1, "%013" PRId64, n);
}
