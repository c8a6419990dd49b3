/*
 * msg.c - the one RFC 5322 message parser (see msg.h for the contract).
 *
 * kn_mail_parse() makes one allocation for the private CRLF copy and one
 * pass over the bytes: a memchr() scan counts the bare LFs (to size the
 * copy), then the header section is read byte by byte through a class
 * table while it is copied, and the body is copied line by line with
 * memchr()/memcpy().  Every slice points into the copy.
 *
 * Choices where RFC 5322 leaves room, all of them on the side of failing
 * closed:
 *
 *  - A header line without a colon (or with an empty name, or a name
 *    followed by anything but WSP and a colon) ends the header section:
 *    the message gets KN_MAIL_BAD_LINE and that line and everything after
 *    it is the body.  Readers that skipped such a line would see header
 *    fields below it that we do not, so kn_mail_from() refuses any message
 *    with KN_MAIL_BAD_LINE.  (An mbox "From " line at the top is such a
 *    line: strip it before parsing.)
 *  - A first line that starts with WSP (a continuation of nothing) also
 *    ends the header section at once (KN_MAIL_LEADING_WSP): the message
 *    has no header fields.
 *  - A field name followed by WSP before the colon ("From :", the
 *    obs-optional form of RFC 5322 section 4.5.1) is a field of that name
 *    with KN_MAIL_HDR_WSP_NAME: kn_mail_count() and kn_mail_find() count
 *    it, so a second "From :" makes the author ambiguous, not invisible.
 *  - A field name is every octet up to WSP or the colon; octets outside
 *    ftext (RFC 5322 section 3.6.8) in it are recorded as defects
 *    (KN_MAIL_HDR_CTL, KN_MAIL_HDR_8BIT) rather than ending the section.
 *  - A line of only WSP inside a field is obs-FWS (RFC 5322 section 4.2),
 *    a continuation, with KN_MAIL_HDR_EMPTY_LINE; only CRLF alone ends
 *    the header section.
 *  - A bare CR is kept as it is and recorded (KN_MAIL_HDR_BARE_CR); it
 *    never ends a line.  Bare CRs in the body are not looked for.
 *  - When the message ends inside the header section, the last field has
 *    no ending CRLF (nothing is added) and KN_MAIL_NO_BODY_SEP is set.
 *  - max_size applies to the input as given; max_hdr_len to one field
 *    from its name to the end of its value (folding included, the ending
 *    CRLF not).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "mail/msg.h"

/* Octet classes of the header section. */
#define C_CTL	0x01	/* control other than HT, CR, LF; DEL */
#define C_8BIT	0x02
#define C_CR	0x04
#define C_LF	0x08
#define C_WSP	0x10
#define C_COLON	0x20

/* Octets that stop the copy of a run of a field value. */
#define C_VALSTOP	(C_CTL | C_8BIT | C_CR | C_LF)

static const unsigned char cls[256] = {
	[0x00 ... 0x08] = C_CTL,
	['\t'] = C_WSP,
	['\n'] = C_LF,
	[0x0b ... 0x0c] = C_CTL,
	['\r'] = C_CR,
	[0x0e ... 0x1f] = C_CTL,
	[' '] = C_WSP,
	[':'] = C_COLON,
	[0x7f] = C_CTL,
	[0x80 ... 0xff] = C_8BIT,
};

#define HDRS_FIRST	32	/* initial room in the header array */

/*
 * Copies in[i..len) to w converting bare LF to CRLF; returns the new end
 * of the copy.
 */
static char *
copy_body(char *w, const char *in, size_t i, size_t len, size_t nbare)
{
	const char *p = in + i, *end = in + len, *q;
	size_t n;

	if (nbare == 0) {
		memcpy(w, p, (size_t)(end - p));
		return w + (end - p);
	}
	while (p < end && (q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n = (size_t)(q - p);
		memcpy(w, p, n);
		w += n;
		if (q == in || q[-1] != '\r')
			*w++ = '\r';
		*w++ = '\n';
		p = q + 1;
	}
	n = (size_t)(end - p);
	memcpy(w, p, n);
	return w + n;
}

int
kn_mail_parse(struct kn_mail_msg **out, const char *data, size_t len,
    const struct kn_mail_limits *lim)
{
	const unsigned char *in = (const unsigned char *)data;
	struct kn_mail_msg *m = NULL;
	struct kn_mail_hdr *h;
	const char *p, *q, *end = data + len;
	size_t max_size = KN_MAIL_MAX_SIZE, max_hdrs = KN_MAIL_MAX_HDRS;
	size_t max_hdr_len = KN_MAIL_MAX_HDR_LEN;
	size_t nlf = 0, nbare = 0, cap = 0, i = 0, i0, s;
	char *w, *fstart, *nend, *vstart;
	unsigned defects;
	int rc;

	*out = NULL;
	if (lim != NULL) {
		if (lim->max_size != 0)
			max_size = lim->max_size;
		if (lim->max_hdrs != 0)
			max_hdrs = lim->max_hdrs;
		if (lim->max_hdr_len != 0)
			max_hdr_len = lim->max_hdr_len;
	}
	if (len > max_size)
		return kn_err_set(KN_ERR_TOOBIG, "message", "the message is "
		    "%zu bytes, more than the %zu the parser accepts "
		    "(max_size)", len, max_size);

	/* Count bare LFs: the copy grows by one octet for each. */
	for (p = data; p < end &&
	    (q = memchr(p, '\n', (size_t)(end - p))) != NULL; p = q + 1) {
		nlf++;
		if (q == data || q[-1] != '\r')
			nbare++;
	}

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return KN_ERR_NOMEM;
	if ((m->data = malloc(len + nbare + 1)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if (nbare > 0 && nbare < nlf)
		m->defects |= KN_MAIL_MIXED_EOL;
	cap = max_hdrs < HDRS_FIRST ? max_hdrs : HDRS_FIRST;
	if ((m->hdrs = reallocarray(NULL, cap, sizeof(*m->hdrs))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}

	w = m->data;
	for (;;) {
		/* At the start of a line in the header section. */
		if (i == len) {
			m->defects |= KN_MAIL_NO_BODY_SEP;
			break;
		}
		if (in[i] == '\n') {
			*w++ = '\r';
			*w++ = '\n';
			i++;
			break;
		}
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
			*w++ = '\r';
			*w++ = '\n';
			i += 2;
			break;
		}
		if (m->nhdrs == 0 && (cls[in[i]] & C_WSP)) {
			m->defects |= KN_MAIL_LEADING_WSP;
			break;
		}

		/* The field name: every octet up to WSP, colon or EOL. */
		i0 = i;
		fstart = w;
		defects = 0;
		while (i < len && (cls[in[i]] & (C_WSP | C_COLON | C_CR |
		    C_LF)) == 0) {
			if (cls[in[i]] & C_CTL)
				defects |= KN_MAIL_HDR_CTL;
			else if (cls[in[i]] & C_8BIT)
				defects |= KN_MAIL_HDR_8BIT;
			*w++ = (char)in[i++];
		}
		nend = w;
		while (i < len && (cls[in[i]] & C_WSP)) {
			defects |= KN_MAIL_HDR_WSP_NAME;
			*w++ = (char)in[i++];
		}
		if (nend == fstart || i == len || in[i] != ':') {
			/* Not a field: the header section ends here. */
			m->defects |= KN_MAIL_BAD_LINE;
			w = fstart;
			i = i0;
			break;
		}
		*w++ = ':';
		i++;
		vstart = w;

		/* The value, with its folding, up to the ending CRLF. */
		for (;;) {
			s = i;
			while (i < len && (cls[in[i]] & C_VALSTOP) == 0)
				i++;
			memcpy(w, in + s, i - s);
			w += i - s;
			if ((size_t)(w - fstart) > max_hdr_len) {
				rc = kn_err_set(KN_ERR_TOOBIG, "header",
				    "header field %zu is longer than %zu "
				    "bytes (max_hdr_len)", m->nhdrs + 1,
				    max_hdr_len);
				goto out;
			}
			if (i == len)
				break;
			if (in[i] == '\r' && (i + 1 == len ||
			    in[i + 1] != '\n')) {
				defects |= KN_MAIL_HDR_BARE_CR;
				*w++ = (char)in[i++];
				continue;
			}
			if (cls[in[i]] & C_CTL) {
				defects |= KN_MAIL_HDR_CTL;
				*w++ = (char)in[i++];
				continue;
			}
			if (cls[in[i]] & C_8BIT) {
				defects |= KN_MAIL_HDR_8BIT;
				*w++ = (char)in[i++];
				continue;
			}
			/* A line ending, CRLF or bare LF. */
			i += in[i] == '\r' ? 2 : 1;
			*w++ = '\r';
			*w++ = '\n';
			if (i == len || (cls[in[i]] & C_WSP) == 0)
				break;
			/* Folded: a line of only WSP is obs-FWS. */
			for (s = i; s < len && (cls[in[s]] & C_WSP); s++)
				;
			if (s == len || in[s] == '\n' || (in[s] == '\r' &&
			    s + 1 < len && in[s + 1] == '\n'))
				defects |= KN_MAIL_HDR_EMPTY_LINE;
		}

		if ((rc = kn_reserve(&m->hdrs, &cap, m->nhdrs,
		    sizeof(*m->hdrs), max_hdrs)) != 0) {
			if (rc == KN_ERR_TOOBIG)
				rc = kn_err_set(KN_ERR_TOOBIG, "header",
				    "the message has more than %zu header "
				    "fields (max_hdrs)", max_hdrs);
			goto out;
		}
		h = &m->hdrs[m->nhdrs++];
		h->raw.ptr = fstart;
		h->raw.len = (size_t)(w - fstart);
		h->name.ptr = fstart;
		h->name.len = (size_t)(nend - fstart);
		h->value.ptr = vstart;
		h->value.len = (size_t)(w - vstart);
		if (h->value.len >= 2 && w[-1] == '\n' && w[-2] == '\r')
			h->value.len -= 2;
		h->defects = defects;
		if (defects != 0)
			m->defects |= KN_MAIL_HDR_DEFECT;
		if (i == len) {
			m->defects |= KN_MAIL_NO_BODY_SEP;
			break;
		}
	}

	m->body.ptr = w;
	w = copy_body(w, data, i, len, nbare);
	m->body.len = (size_t)(w - m->body.ptr);
	*w = '\0';
	m->len = (size_t)(w - m->data);
	*out = m;
	m = NULL;
	rc = 0;
out:
	kn_mail_free(m);
	return rc;
}

void
kn_mail_free(struct kn_mail_msg *m)
{
	if (m == NULL)
		return;
	free(m->data);
	free(m->hdrs);
	free(m);
}

bool
kn_mail_hdr_is(const struct kn_mail_hdr *h, const char *name)
{
	size_t n = strlen(name);

	return h->name.len == n && strncasecmp(h->name.ptr, name, n) == 0;
}

size_t
kn_mail_count(const struct kn_mail_msg *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->nhdrs; i++) {
		if (kn_mail_hdr_is(&m->hdrs[i], name))
			n++;
	}
	return n;
}

const struct kn_mail_hdr *
kn_mail_find(const struct kn_mail_msg *m, const char *name, size_t idx)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++) {
		if (kn_mail_hdr_is(&m->hdrs[i], name) && idx-- == 0)
			return &m->hdrs[i];
	}
	return NULL;
}

int
kn_mail_unfold(struct kn_buf *out, const struct kn_mail_hdr *h)
{
	const char *p = h->value.ptr, *end = p + h->value.len, *q;
	size_t start = out->len;
	int rc;

	/* Trim leading WSP (and the folds among it). */
	while (p < end && (*p == ' ' || *p == '\t' || (*p == '\r' &&
	    end - p >= 2 && p[1] == '\n')))
		p += *p == '\r' ? 2 : 1;
	while (p < end) {
		q = memchr(p, '\r', (size_t)(end - p));
		if (q == NULL)
			q = end;
		else if (end - q < 2 || q[1] != '\n')
			q++;	/* a bare CR stays */
		if ((rc = kn_buf_add(out, p, (size_t)(q - p))) != 0)
			return rc;
		p = q;
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
	}
	while (out->len > start && (out->data[out->len - 1] == ' ' ||
	    out->data[out->len - 1] == '\t'))
		out->len--;
	if ((rc = kn_buf_add(out, "", 0)) != 0)
		return rc;
	return 0;
}

int
kn_mail_decode_words(struct kn_buf *out, const char *text, size_t len)
{
	return kn_buf_add(out, text, len) == 0 ? kn_buf_add(out, "", 0) :
	    KN_ERR_TOOBIG;
}

int
kn_mail_addrs_parse(struct kn_mail_addrs *out, const char *value,
    size_t len)
{
	(void)value;
	(void)len;
	memset(out, 0, sizeof(*out));
	return kn_err_set(KN_ERR_INVAL, "address", "address parsing is not "
	    "built yet");
}

void
kn_mail_addrs_cleanup(struct kn_mail_addrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].display);
		free(a->v[i].local);
		free(a->v[i].domain);
		free(a->v[i].group);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int
kn_mail_from(struct kn_mail_addrs *out, const struct kn_mail_msg *m)
{
	(void)m;
	memset(out, 0, sizeof(*out));
	return kn_err_set(KN_ERR_INVAL, "From", "author parsing is not "
	    "built yet");
}
