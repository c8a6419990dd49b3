/*
 * corpnum.h - Japanese corporate numbers (法人番号).
 *
 * 13 digits: a check digit, then the 12-digit base number.  Per the
 * National Tax Agency's rule, for the base P12..P1 (P1 rightmost) and
 * Qn = 1 for odd n, 2 for even n:  check = 9 - (sum(Pn * Qn) mod 9).
 * The check digit is therefore 1..9, so a number never starts with 0 and
 * fits an int64 without losing digits.
 */
#ifndef KN_REGISTRY_CORPNUM_H
#define KN_REGISTRY_CORPNUM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define KN_CORPNUM_LEN 13

/* Check digit (1..9) of a 12-digit base given as ASCII digits. */
int	kn_corpnum_check_digit(const char base[12]);
/*
 * Parses exactly 13 ASCII digits with a correct check digit.  Accepts no
 * spaces, signs or separators.  On failure records which rule was broken
 * (length, non-digit, check digit with the expected value).
 */
int	kn_corpnum_parse(int64_t *out, const char *s, size_t len) KN_WUR;
/* Formats a number as 13 digits into out[14]. */
void	kn_corpnum_format(char out[KN_CORPNUM_LEN + 1], int64_t n);

#endif
