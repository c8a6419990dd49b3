/*
 * buf.h - growable byte buffer with a hard cap, and read-only slices.
 *
 * Every buffer has a maximum set at creation (curl's dynbuf rule): appends
 * past it fail with KN_ERR_TOOBIG and leave the buffer unchanged.  The
 * contents are always NUL-terminated for convenience, but the length is
 * authoritative.
 */
#ifndef KN_BASE_BUF_H
#define KN_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct kn_slice {
	const char	*ptr;
	size_t		 len;
};

struct kn_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	bool	 failed;	/* sticky: an append failed */
};

void	kn_buf_init(struct kn_buf *b, size_t max);
/* Frees the storage; wipes it first (buffers may hold secrets). */
void	kn_buf_cleanup(struct kn_buf *b);
/* Makes room for n more bytes at once (a size known ahead spares the
 * doublings); past max it leaves the buffer as it is. */
void	kn_buf_reserve(struct kn_buf *b, size_t n);
void	kn_buf_reset(struct kn_buf *b);
int	kn_buf_add(struct kn_buf *b, const void *p, size_t n) KN_WUR;
int	kn_buf_addstr(struct kn_buf *b, const char *s) KN_WUR;
int	kn_buf_addf(struct kn_buf *b, const char *fmt, ...) KN_PRINTF(2, 3)
	    KN_WUR;
/*
 * The "_s" (sticky) variants record failure in b->failed instead of
 * returning it, for long runs of appends checked once at the end.
 */
void	kn_buf_puts(struct kn_buf *b, const char *s);
void	kn_buf_putn(struct kn_buf *b, const void *p, size_t n);
void	kn_buf_putf(struct kn_buf *b, const char *fmt, ...) KN_PRINTF(2, 3);
/* Appends s with &, <, >, ", ' escaped for HTML text and attributes. */
void	kn_buf_put_html(struct kn_buf *b, const char *s);
/* Appends s percent-encoded for a URL query component. */
void	kn_buf_put_urlenc(struct kn_buf *b, const char *s);
/* Takes ownership of the data (caller frees); the buffer is emptied. */
char	*kn_buf_steal(struct kn_buf *b, size_t *len);

/*
 * Makes room for one more element in a growable array: when n == *cap,
 * doubles *arr (at least 4 elements, at most max).  Returns 0,
 * KN_ERR_TOOBIG when n has reached max, or KN_ERR_NOMEM; *arr is unchanged
 * on failure.
 */
int	kn_reserve(void *arr, size_t *cap, size_t n, size_t elem, size_t max)
	    KN_WUR;

/* Hex encoding of n bytes into out (2n+1 bytes). */
void	kn_hex(char *out, const unsigned char *p, size_t n);

#endif
