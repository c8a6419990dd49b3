/*
 * fuzz_mail_dkim_sig.c - the DKIM-Signature field (RFC 6376 section 3.5)
 * and the canonicalizations it is hashed with.  An accepted field names a
 * valid d= and s=, an i= within d=, at least one signed field among which
 * From, a non-empty b= whose region lies inside the input.  Relaxed
 * canonical forms are idempotent and never hold a tab, a run of spaces or
 * a space before a line end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/dkim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct kn_dkim_sig sig;

static void
sink(void *arg, const void *p, size_t n)
{
	kn_buf_putn(arg, p, n);
}

static void
check_relaxed_body(const char *in, size_t n)
{
	struct kn_buf a, b;
	uint64_t total, again;
	size_t i;

	kn_buf_init(&a, 1 << 24);
	kn_buf_init(&b, 1 << 24);
	total = kn_dkim_canon_body(KN_DKIM_RELAXED, in, n, UINT64_MAX, sink,
	    &a);
	if (a.failed || total != a.len)
		abort();
	for (i = 0; i < a.len; i++) {
		if (a.data[i] == '\t' || (a.data[i] == ' ' && i + 1 < a.len &&
		    (a.data[i + 1] == ' ' || (a.data[i + 1] == '\r' &&
		    i + 2 < a.len && a.data[i + 2] == '\n'))))
			abort();
	}
	if (a.len > 0 && (a.len < 2 || memcmp(a.data + a.len - 2, "\r\n",
	    2) != 0))
		abort();
	again = kn_dkim_canon_body(KN_DKIM_RELAXED, a.data ? a.data : "",
	    a.len, UINT64_MAX, sink, &b);
	if (again != total || (a.len > 0 && memcmp(a.data, b.data, a.len)
	    != 0))
		abort();
	/* A limit cuts the output, never the count. */
	kn_buf_reset(&b);
	if (kn_dkim_canon_body(KN_DKIM_RELAXED, in, n, total / 2, sink,
	    &b) != total || b.len != total / 2)
		abort();
	kn_buf_cleanup(&a);
	kn_buf_cleanup(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct kn_buf h;
	const char *at;
	size_t i, dl;
	bool from = false;

	check_relaxed_body(in, size);
	kn_buf_init(&h, 1 << 24);
	kn_buf_puts(&h, "DKIM-Signature:");
	kn_buf_putn(&h, in, size);
	if (!h.failed) {
		struct kn_buf c;

		kn_buf_init(&c, 1 << 24);
		if (kn_dkim_canon_header(&c, KN_DKIM_RELAXED, h.data, h.len,
		    false) != 0 || c.len > h.len ||
		    strncmp(c.data, "dkim-signature:", 15) != 0)
			abort();
		kn_buf_cleanup(&c);
	}
	kn_buf_cleanup(&h);

	if (kn_dkim_sig_parse(&sig, in, size) != 0)
		return 0;
	dl = strlen(sig.d);
	if (dl == 0 || sig.s[0] == '\0' || sig.nh == 0 || sig.b_len == 0 ||
	    sig.b_start > sig.b_end || sig.b_end > size)
		abort();
	for (i = 0; i < sig.nh; i++) {
		if (sig.h[i].len == 0 || sig.h[i].ptr < in ||
		    sig.h[i].ptr + sig.h[i].len > in + size)
			abort();
		if (sig.h[i].len == 4 && strncasecmp(sig.h[i].ptr, "from",
		    4) == 0)
			from = true;
	}
	if (!from)
		abort();
	if ((at = strrchr(sig.i, '@')) == NULL || strlen(at + 1) < dl ||
	    strcasecmp(at + 1 + strlen(at + 1) - dl, sig.d) != 0)
		abort();
	if (sig.has_t && sig.has_x && sig.x <= sig.t)
		abort();
	return 0;
}
