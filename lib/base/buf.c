/* buf.c - capped growable buffers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/buf.h"

void
kn_buf_init(struct kn_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
kn_buf_cleanup(struct kn_buf *b)
{
	if (b->data != NULL)
		OPENSSL_clear_free(b->data, b->cap);
	memset(b, 0, sizeof(*b));
}

void
kn_buf_reset(struct kn_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
grow(struct kn_buf *b, size_t need)
{
	size_t ncap;
	char *p;

	if (need > b->max || need + 1 < need)
		return KN_ERR_TOOBIG;
	if (need + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need + 1)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return KN_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

void
kn_buf_reserve(struct kn_buf *b, size_t n)
{
	if (b->len + n <= b->max && b->len + n >= b->len)
		(void)grow(b, b->len + n);
}

int
kn_buf_add(struct kn_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = grow(b, b->len + n)) != 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
kn_buf_addstr(struct kn_buf *b, const char *s)
{
	return kn_buf_add(b, s, strlen(s));
}

static int
vaddf(struct kn_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, rc;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return KN_ERR_INVAL;
	if ((rc = grow(b, b->len + (size_t)n)) != 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
kn_buf_addf(struct kn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
kn_buf_putn(struct kn_buf *b, const void *p, size_t n)
{
	if (!b->failed && kn_buf_add(b, p, n) != 0)
		b->failed = true;
}

void
kn_buf_puts(struct kn_buf *b, const char *s)
{
	kn_buf_putn(b, s, strlen(s));
}

void
kn_buf_putf(struct kn_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->failed)
		return;
	va_start(ap, fmt);
	if (vaddf(b, fmt, ap) != 0)
		b->failed = true;
	va_end(ap);
}

void
kn_buf_put_html(struct kn_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		kn_buf_putn(b, run, (size_t)(s - run));
		kn_buf_puts(b, rep);
		run = s + 1;
	}
	kn_buf_putn(b, run, (size_t)(s - run));
}

void
kn_buf_put_urlenc(struct kn_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			kn_buf_putn(b, s, 1);
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 15];
		kn_buf_putn(b, enc, 3);
	}
}

char *
kn_buf_steal(struct kn_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL)
		p = strdup("");
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
	return p;
}

int
kn_reserve(void *arr, size_t *cap, size_t n, size_t elem, size_t max)
{
	void **ap = arr;
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return kn_err_set(KN_ERR_TOOBIG, NULL, "more than %zu items",
		    max);
	ncap = *cap ? *cap * 2 : 4;
	if (ncap > max)
		ncap = max;
	if ((p = reallocarray(*ap, ncap, elem)) == NULL)
		return KN_ERR_NOMEM;
	*ap = p;
	*cap = ncap;
	return 0;
}

void
kn_hex(char *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}
