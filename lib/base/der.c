/* der.c - DER written by hand (see der.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/der.h"

void
kn_der_len(struct kn_buf *b, size_t n)
{
	unsigned char l[9];
	int k = 0;

	if (n < 0x80) {
		l[0] = (unsigned char)n;
		kn_buf_putn(b, l, 1);
		return;
	}
	while (n > 0) {
		l[8 - k++] = n & 0xff;
		n >>= 8;
	}
	l[8 - k] = (unsigned char)(0x80 | k);
	kn_buf_putn(b, l + 8 - k, (size_t)k + 1);
}

void
kn_der_tlv(struct kn_buf *b, unsigned char tag, const void *p, size_t n)
{
	kn_buf_putn(b, &tag, 1);
	kn_der_len(b, n);
	kn_buf_putn(b, p, n);
}

void
kn_der_put_i2d(struct kn_buf *b, unsigned char **p, int n)
{
	if (n <= 0 || *p == NULL)
		b->failed = true;
	else
		kn_buf_putn(b, *p, (size_t)n);
	OPENSSL_free(*p);
	*p = NULL;
}

void
kn_der_wrap(struct kn_buf *b, size_t mark, unsigned char tag)
{
	unsigned char h[10];
	size_t n, k = 1, i;

	if (b->failed || mark > b->len)
		return;
	n = b->len - mark;
	h[0] = tag;
	if (n < 0x80)
		h[k++] = (unsigned char)n;
	else {
		size_t bytes = 0;

		for (i = n; i > 0; i >>= 8)
			bytes++;
		h[k++] = (unsigned char)(0x80 | bytes);
		for (i = bytes; i > 0; i--)
			h[k++] = (unsigned char)(n >> (8 * (i - 1)));
	}
	/* Grow by k octets, then slide the contents up behind the
	 * header. */
	kn_buf_putn(b, h, k);
	if (b->failed)
		return;
	memmove(b->data + mark + k, b->data + mark, n);
	memcpy(b->data + mark, h, k);
}

void
kn_der_uint(struct kn_buf *b, uint64_t v)
{
	unsigned char o[9];
	int k = 0;

	do {
		o[8 - k++] = v & 0xff;
		v >>= 8;
	} while (v > 0);
	/* A leading one bit would make it negative (X.690 8.3.3). */
	if (o[9 - k] & 0x80)
		o[8 - k++] = 0;
	kn_der_tlv(b, 0x02, o + 9 - k, (size_t)k);
}

void
kn_der_gentime(struct kn_buf *b, const struct timespec *t, int digits)
{
	struct tm tm;
	char s[32];
	long frac = t->tv_nsec;
	int n, i;

	gmtime_r(&t->tv_sec, &tm);
	n = (int)strftime(s, sizeof(s), "%Y%m%d%H%M%S", &tm);
	if (digits > 6)
		digits = 6;
	for (i = digits; i < 9; i++)
		frac /= 10;
	if (digits > 0 && frac > 0) {
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		s[n++] = '.';
		for (i = digits - 1; i >= 0; i--) {
			s[n + i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		n += digits;
	}
	s[n++] = 'Z';
	kn_der_tlv(b, 0x18, s, (size_t)n);
}

static int
set_order(const void *a, const void *b)
{
	const struct kn_slice *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->ptr, y->ptr, n);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

void
kn_der_sort(struct kn_slice *v, size_t n)
{
	qsort(v, n, sizeof(*v), set_order);
}
