/*
 * dkim_int.h - between the files of the DKIM module only.
 */
#ifndef KN_MAIL_DKIM_INT_H
#define KN_MAIL_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/dkim.h"

/*
 * Decodes base64 in which folding white space may appear anywhere (RFC
 * 6376 section 2.4, base64string) into out[cap].  Padding is required and
 * only at the end.  KN_ERR_INVAL for anything else, KN_ERR_TOOBIG when
 * the result would not fit.  what names the tag in the detail.
 */
int	kn_dkim_b64_decode(unsigned char *out, size_t cap, size_t *out_len,
	    const char *in, size_t len, const char *what) KN_WUR;

/* A domain name or selector: LDH labels of 1..63, at most 253 in all. */
bool	kn_dkim_valid_name(const char *p, size_t len);

/* ASCII case-insensitive equality of a slice and a NUL-terminated s. */
bool	kn_dkim_slice_eq(struct kn_slice a, const char *s);

/* Copies a slice into dst[cap] lowercased; false when it does not fit. */
bool	kn_dkim_lower_copy(char *dst, size_t cap, struct kn_slice s);

/*
 * Appends to out the canonical form of the header fields named in
 * h[0..nh), each instance taken from the bottom of the header up (RFC
 * 6376 section 5.4.2), skipping field number self (the signature being
 * verified; SIZE_MAX when signing).  A name listed more often than it
 * occurs adds nothing.
 */
int	kn_dkim_canon_selected(struct kn_buf *out, enum kn_dkim_canon c,
	    const struct kn_mail_msg *m, const struct kn_slice *h, size_t nh,
	    size_t self) KN_WUR;

#endif
