/*
 * dkim_canon.c - canonicalization (RFC 6376 section 3.4).
 *
 * The body is read in place.  Unchanged stretches go to the sink as they
 * stand (the whole body in one piece for most mail: relaxed changes only
 * runs of white space, tabs and white space at line ends); the few
 * changed places are gathered in a small staging buffer so that a body
 * full of them does not cost one sink call each.  The scan looks at eight
 * octets at a time and at single octets only where something may change.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

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

static void
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

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL
/* Nonzero when some octet of v is zero (exact as a yes/no; the octets it
 * marks above the first zero one may be false). */
#define HASZERO(v)	(((v) - ONES) & ~(v) & HIGHS)

/*
 * True when the eight octets at p need no change under relaxed: no tab,
 * and no space followed by white space or CR (a run of white space, or
 * white space that might end a line).  next is the octet after the
 * eight ('\r' when there is none).  False answers may be wrong (the
 * caller then looks closer); true ones never are.
 */
static bool
word_plain(const unsigned char *p, unsigned char next)
{
	uint64_t w, sp, tab, cr, ws;

	memcpy(&w, p, 8);
	tab = HASZERO(w ^ (ONES * '\t'));
	if (tab != 0)
		return false;
	sp = HASZERO(w ^ (ONES * ' '));
	if (sp == 0)
		return true;
	cr = HASZERO(w ^ (ONES * '\r'));
	ws = sp | cr;
	/* Little-endian octet order: octet k + 1 sits 8 bits above k.  The
	 * tests below assume it; other machines take the octet path. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if ((sp & (ws >> 8)) != 0)
		return false;
	if ((sp >> 63) != 0 && (next == ' ' || next == '\t' || next == '\r'))
		return false;
	return true;
#else
	(void)ws;
	(void)next;
	return false;
#endif
}

static uint64_t
relaxed_body(struct emit *e, const char *b, size_t len)
{
	const unsigned char *p = (const unsigned char *)b;
	size_t end = relaxed_end(b, len), i = 0, run = 0, j;

	while (i < end) {
		while (i + 8 <= end && word_plain(p + i, i + 8 < end ?
		    p[i + 8] : '\r'))
			i += 8;
		if (i >= end)
			break;
		if (!is_wsp(p[i])) {
			i++;
			continue;
		}
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
