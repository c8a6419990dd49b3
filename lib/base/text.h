/*
 * text.h - checks on text that arrives from outside: UTF-8 validity,
 * control characters, lengths, dates, and a bounded integer parser
 * (atoi/strtol are not used on external input).
 */
#ifndef KN_BASE_TEXT_H
#define KN_BASE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"

/* True when p[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool	kn_valid_utf8(const char *p, size_t n);
/* Number of code points in well-formed UTF-8. */
size_t	kn_utf8_count(const char *p, size_t n);
/*
 * Checks one free-text field: well-formed UTF-8, no C0/C1 control
 * characters (tab and, when multiline, newline excepted), at most maxchars
 * code points and 4 * maxchars bytes.  On failure records the detail against
 * field and returns KN_ERR_INVAL (a field rule, not a transport cap).
 */
int	kn_check_text(const char *field, const char *s, size_t maxchars,
	    bool multiline) KN_WUR;
/* True when s is a real calendar date YYYY-MM-DD (years 1000..9999). */
bool	kn_valid_date(const char *s);
/* Parses a decimal integer in [min, max], all of s. */
int	kn_parse_int64(int64_t *out, const char *s, int64_t min, int64_t max)
	    KN_WUR;
/* Current UTC time as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void	kn_now_rfc3339(char out[21]);
void	kn_time_rfc3339(char out[21], time_t t);
/* Fills p with n cryptographically random bytes. */
int	kn_random(void *p, size_t n) KN_WUR;
/* Base64url without padding of n bytes into out (4 * ceil(n/3) + 1). */
void	kn_base64url(char *out, const unsigned char *p, size_t n);
/* Trims ASCII white space at both ends, in place; returns s. */
char	*kn_trim(char *s);

#endif
