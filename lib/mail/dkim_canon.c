/*
 * dkim_canon.c - canonicalization (RFC 6376 section 3.4).
 *
 * The body is read in place.  Unchanged stretches go to the sink as they
 * stand (the whole body in one piece for most mail: relaxed changes only
 * runs of white space, tabs and white space at line ends); the few
 * changed places are gathered in a small staging buffer so that a body
 * full of them does not cost one sink call each.  The scan looks at
 * sixteen octets at a time (SSE2) and goes straight to the places where
 * something may change.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mail/dkim.h"
#include "mail/dkim_int.h"

#define STAGE		4096
#define DIRECT		512	/* stretches this long bypass the stage */

struct emit {
	kn_dkim_sink	*sink;
	void		*arg;
	uint64_t	 left;	/* octets the sink may still take */
	uint64_t	 total;	/* canonical length so far */
	size_t		 slen;
	char		 stage[STAGE];
};

static void
flush(struct emit *e)
{
	if (e->slen > 0) {
		e->sink(e->arg, e->stage, e->slen);
		e->slen = 0;
	}
}

static inline void
put(struct emit *e, const char *p, size_t n)
{
	e->total += n;
	if (e->left == 0 || n == 0)
		return;
	if (n > e->left)
		n = (size_t)e->left;
	e->left -= n;
	if (n >= DIRECT) {
		flush(e);
		e->sink(e->arg, p, n);
		return;
	}
	if (e->slen + n > STAGE)
		flush(e);
	memcpy(e->stage + e->slen, p, n);
	e->slen += n;
}

static uint64_t
simple_body(struct emit *e, const char *b, size_t len)
{
	size_t end = len;

	/* Empty lines at the end go; one CRLF ends the body, also an
	 * empty one (section 3.4.3). */
	while (end >= 2 && b[end - 2] == '\r' && b[end - 1] == '\n')
		end -= 2;
	put(e, b, end);
	put(e, "\r\n", 2);
	return e->total;
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Where the relaxed body ends: lines that are empty once their white
 * space is gone are dropped from the end (section 3.4.4).  The result is
 * the end of the last line with content (its trailing white space and
 * CRLF excluded by the caller's line rule), or 0.
 */
static size_t
relaxed_end(const char *b, size_t len)
{
	size_t p = len, q;

	for (;;) {
		q = p;
		while (q > 0 && is_wsp((unsigned char)b[q - 1]))
			q--;
		if (q >= 2 && b[q - 2] == '\r' && b[q - 1] == '\n') {
			p = q - 2;
			continue;
		}
		return q == 0 ? 0 : p;
	}
}

static bool
is_ws_or_cr(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * The first position at or after i where relaxed may change something: a
 * tab, or a space followed by white space or CR (a run of white space, or
 * white space that may end a line).  A lone space between words is left
 * alone.  Sixteen octets at a time where SSE2 is there (every x86-64).
 */
static size_t
next_change(const unsigned char *p, size_t i, size_t end)
{
#ifdef __SSE2__
	const __m128i vsp = _mm_set1_epi8(' ');
	const __m128i vtab = _mm_set1_epi8('\t');
	const __m128i vcr = _mm_set1_epi8('\r');

	/* Each octet beside the one after it (a second load, one octet
	 * on): 32 octets per round, one branch. */
	while (i + 33 <= end) {
		__m128i a0 = _mm_loadu_si128((const void *)(p + i));
		__m128i a1 = _mm_loadu_si128((const void *)(p + i + 1));
		__m128i b0 = _mm_loadu_si128((const void *)(p + i + 16));
		__m128i b1 = _mm_loadu_si128((const void *)(p + i + 17));
		__m128i ca = _mm_or_si128(_mm_cmpeq_epi8(a0, vtab),
		    _mm_and_si128(_mm_cmpeq_epi8(a0, vsp), _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(a1, vsp),
		    _mm_cmpeq_epi8(a1, vtab)), _mm_cmpeq_epi8(a1, vcr))));
		__m128i cb = _mm_or_si128(_mm_cmpeq_epi8(b0, vtab),
		    _mm_and_si128(_mm_cmpeq_epi8(b0, vsp), _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(b1, vsp),
		    _mm_cmpeq_epi8(b1, vtab)), _mm_cmpeq_epi8(b1, vcr))));
		unsigned m = (unsigned)_mm_movemask_epi8(ca) |
		    ((unsigned)_mm_movemask_epi8(cb) << 16);

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 32;
	}
#endif
	for (; i < end; i++) {
		if (p[i] == '\t' || (p[i] == ' ' && (i + 1 == end ||
		    is_ws_or_cr(p[i + 1]))))
			return i;
	}
	return end;
}

static uint64_t
relaxed_body(struct emit *e, const char *b, size_t len)
{
	const unsigned char *p = (const unsigned char *)b;
	size_t end = relaxed_end(b, len), i = 0, run = 0, j;

	while ((i = next_change(p, i, end)) < end) {
		for (j = i; j < end && is_wsp(p[j]); j++)
			;
		if (j == end || (p[j] == '\r' && j + 1 < end &&
		    p[j + 1] == '\n')) {
			/* White space at the end of a line goes. */
			put(e, b + run, i - run);
			run = i = j;
			continue;
		}
		if (j == i + 1 && p[i] == ' ') {
			/* One space before a bare CR stays. */
			i = j;
			continue;
		}
		/* A run of white space becomes one space. */
		put(e, b + run, i - run);
		put(e, " ", 1);
		run = i = j;
	}
	put(e, b + run, end - run);
	if (end > 0)
		put(e, "\r\n", 2);
	return e->total;
}

uint64_t
kn_dkim_canon_body(enum kn_dkim_canon c, const char *body, size_t len,
    uint64_t limit, kn_dkim_sink *sink, void *arg)
{
	struct emit e;
	uint64_t total;

	e.sink = sink;
	e.arg = arg;
	e.left = limit;
	e.total = 0;
	e.slen = 0;
	if (c == KN_DKIM_SIMPLE)
		total = simple_body(&e, body, len);
	else
		total = relaxed_body(&e, body, len);
	flush(&e);
	return total;
}

int
kn_dkim_canon_header(struct kn_buf *out, enum kn_dkim_canon c,
    const char *raw, size_t len, bool crlf)
{
	const char *colon;
	char *o;
	size_t i, nend, start, n = 0;
	bool space = false, any = false;
	int rc;

	if (len >= 2 && raw[len - 2] == '\r' && raw[len - 1] == '\n')
		len -= 2;
	if (c == KN_DKIM_SIMPLE) {
		if ((rc = kn_buf_add(out, raw, len)) != 0)
			return rc;
		return crlf ? kn_buf_add(out, "\r\n", 2) : 0;
	}
	if ((colon = memchr(raw, ':', len)) == NULL)
		return kn_err_set(KN_ERR_INVAL, "header", "a header field "
		    "without a colon (RFC 5322 section 2.2)");
	/* Room first: the relaxed form is never longer than the field. */
	start = out->len;
	if ((rc = kn_buf_add(out, raw, len)) != 0)
		return rc;
	o = out->data + start;
	/* The name, lowercased, without white space before the colon. */
	nend = (size_t)(colon - raw);
	while (nend > 0 && is_wsp((unsigned char)raw[nend - 1]))
		nend--;
	for (i = 0; i < nend; i++) {
		unsigned char ch = (unsigned char)raw[i];

		o[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	o[n++] = ':';
	/* The value unfolded, white space runs as one space, none at either
	 * end. */
	for (i = (size_t)(colon - raw) + 1; i < len; i++) {
		unsigned char ch = (unsigned char)raw[i];

		if (ch == '\r' && i + 1 < len && raw[i + 1] == '\n') {
			i++;
			continue;
		}
		if (is_wsp(ch)) {
			space = true;
			continue;
		}
		if (space && any)
			o[n++] = ' ';
		o[n++] = (char)ch;
		space = false;
		any = true;
	}
	out->len = start + n;
	out->data[out->len] = '\0';
	return crlf ? kn_buf_add(out, "\r\n", 2) : 0;
}

int
kn_dkim_canon_selected(struct kn_buf *out, enum kn_dkim_canon c,
    const struct kn_mail_msg *m, const struct kn_slice *h, size_t nh,
    size_t self)
{
	size_t k, j, i;
	int rc;

	for (k = 0; k < nh; k++) {
		size_t skip = 0;

		/* Listed before so often: take the next instance up. */
		for (j = 0; j < k; j++) {
			if (h[j].len == h[k].len && strncasecmp(h[j].ptr,
			    h[k].ptr, h[k].len) == 0)
				skip++;
		}
		for (i = m->nhdrs; i > 0; i--) {
			const struct kn_mail_hdr *f = &m->hdrs[i - 1];

			if (i - 1 == self || f->name.len != h[k].len ||
			    strncasecmp(f->name.ptr, h[k].ptr, h[k].len) != 0)
				continue;
			if (skip-- > 0)
				continue;
			if ((rc = kn_dkim_canon_header(out, c, f->raw.ptr,
			    f->raw.len, true)) != 0)
				return rc;
			break;
		}
	}
	return 0;
}
