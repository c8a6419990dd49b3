/*
 * der.h - writing DER (X.690) by hand, for the answers that are made
 * many thousand times a second (time-stamp tokens, CRL entries) where
 * OpenSSL's generic encoder would cost more than the signature.
 *
 * Everything appends to a struct kn_buf with the sticky kn_buf_put*
 * calls: check b->failed once at the end.  Structures are built inside
 * out without extra buffers: write the contents, then kn_der_wrap() puts
 * the tag and length in front of everything written since a mark.
 */
#ifndef KN_BASE_DER_H
#define KN_BASE_DER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"

/* Length octets, definite form (X.690 section 8.1.3). */
void	kn_der_len(struct kn_buf *b, size_t n);
/* Tag, length and n content octets. */
void	kn_der_tlv(struct kn_buf *b, unsigned char tag, const void *p,
	    size_t n);
/*
 * Appends the n octets an OpenSSL i2d_*() call allocated at *p and frees
 * them; *p == NULL or n <= 0 (a failed i2d) marks b failed.  Call it as
 * kn_der_put_i2d(b, &p, i2d_X(x, &p)) with p NULL: *p is read only after
 * the i2d has run (arguments are evaluated in no set order).
 */
void	kn_der_put_i2d(struct kn_buf *b, unsigned char **p, int n);
/* Puts tag and length in front of b->data[mark..b->len). */
void	kn_der_wrap(struct kn_buf *b, size_t mark, unsigned char tag);
/* INTEGER of a value >= 0, in the fewest octets (X.690 8.3.2). */
void	kn_der_uint(struct kn_buf *b, uint64_t v);
/*
 * GeneralizedTime of t in UTC with up to digits (0..6) fraction digits;
 * DER drops trailing zeros of the fraction and the point with them
 * (X.690 section 11.7).
 */
void	kn_der_gentime(struct kn_buf *b, const struct timespec *t,
	    int digits);
/*
 * Sorts n encodings the way DER orders the elements of a SET OF (X.690
 * section 11.6: as octet strings, the shorter padded with zeros).
 */
void	kn_der_sort(struct kn_slice *v, size_t n);

#endif
