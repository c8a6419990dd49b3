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
#include <sys/types.h>

#include <ctype.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "base/buf.h"
#include "base/text.h"
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


/*
 * RFC 2047 encoded words.
 *
 * A word is decoded only when it is a whole encoded-word between white
 * space (RFC 2047 section 5); the white space between two encoded words
 * goes (section 6.2).  The octets of adjacent words in one charset are
 * joined before they are converted, so that a character split across two
 * words (which section 5 forbids, but senders do) still decodes.  A word
 * that is malformed, in another charset, does not convert, or would
 * decode to a control character is kept as written.
 */

/* The charsets decoded; iconv NULL: UTF-8 or US-ASCII, checked only. */
static const struct {
	const char	*mime;
	const char	*iconv;
} charsets[] = {
	{ "utf-8", NULL },
	{ "us-ascii", NULL },
	{ "iso-2022-jp", "ISO-2022-JP" },
	{ "shift_jis", "SHIFT_JIS" },
	{ "x-sjis", "SHIFT_JIS" },
	{ "cp932", "CP932" },
	{ "windows-31j", "CP932" },
	{ "euc-jp", "EUC-JP" },
	{ "iso-8859-1", "ISO-8859-1" },
};

#define CS_ASCII 1	/* index of us-ascii in charsets */

struct ew {
	int		 cs;	/* index in charsets */
	char		 enc;	/* 'B' or 'Q' */
	const char	*text;
	size_t		 len;
};

static bool
parse_ew(const char *w, size_t n, struct ew *ew)
{
	const char *p, *q, *end = w + n, *star;
	size_t cl, i;

	if (n < 9 || w[0] != '=' || w[1] != '?' || w[n - 2] != '?' ||
	    w[n - 1] != '=')
		return false;
	p = w + 2;
	if ((q = memchr(p, '?', (size_t)(end - p))) == NULL || q == p)
		return false;
	cl = (size_t)(q - p);
	/* RFC 2231 section 5: charset*language. */
	if ((star = memchr(p, '*', cl)) != NULL)
		cl = (size_t)(star - p);
	ew->cs = -1;
	for (i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++) {
		if (strlen(charsets[i].mime) == cl &&
		    strncasecmp(charsets[i].mime, p, cl) == 0) {
			ew->cs = (int)i;
			break;
		}
	}
	if (ew->cs < 0 || end - q < 6 || q[2] != '?')
		return false;
	if (q[1] == 'B' || q[1] == 'b')
		ew->enc = 'B';
	else if (q[1] == 'Q' || q[1] == 'q')
		ew->enc = 'Q';
	else
		return false;
	ew->text = q + 3;
	ew->len = (size_t)(end - 2 - ew->text);
	for (i = 0; i < ew->len; i++) {
		if (ew->text[i] <= ' ' || ew->text[i] >= 0x7f ||
		    ew->text[i] == '?')
			return false;
	}
	return ew->len > 0;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes the text of ew into out (room for ew->len octets); -1 when it
 * is malformed. */
static ssize_t
decode_ew(char *out, const struct ew *ew)
{
	const unsigned char *t = (const unsigned char *)ew->text;
	size_t i, n = ew->len, o = 0, pad = 0, data;
	unsigned acc = 0;
	int bits = 0, v, v2;

	if (ew->enc == 'B') {
		while (pad < n && pad < 3 && t[n - 1 - pad] == '=')
			pad++;
		data = n - pad;
		if (pad > 2 || (pad > 0 && n % 4 != 0) || data % 4 == 1)
			return -1;
		for (i = 0; i < data; i++) {
			if ((v = b64val(t[i])) < 0)
				return -1;
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (char)((acc >> bits) & 0xff);
			}
		}
		return (ssize_t)o;
	}
	for (i = 0; i < n; i++) {
		if (t[i] == '_')
			out[o++] = ' ';
		else if (t[i] != '=')
			out[o++] = (char)t[i];
		else if (i + 2 < n && (v = hexval(t[i + 1])) >= 0 &&
		    (v2 = hexval(t[i + 2])) >= 0) {
			out[o++] = (char)(v << 4 | v2);
			i += 2;
		} else
			return -1;
	}
	return (ssize_t)o;
}

static bool
has_8bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return true;
	}
	return false;
}

/* True when p[0..n) is UTF-8 without C0, DEL or C1 controls. */
static bool
printable_utf8(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i;

	if (!kn_valid_utf8(p, n))
		return false;
	for (i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
		if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

/*
 * Converts the octets of one run of encoded words in charset cs to UTF-8
 * and appends them; *ok false (nothing appended) when they do not convert.
 */
static int
convert_run(struct kn_buf *out, int cs, const char *p, size_t n, bool *ok)
{
	iconv_t cd;
	char *ob = NULL, *ip = (char *)(uintptr_t)p, *op;
	size_t il = n, ol, cap;
	int rc = 0;

	*ok = false;
	if (charsets[cs].iconv == NULL) {
		if (cs == CS_ASCII && has_8bit(p, n))
			return 0;
		if (!printable_utf8(p, n))
			return 0;
		if ((rc = kn_buf_add(out, p, n)) == 0)
			*ok = true;
		return rc;
	}
	if ((cd = iconv_open("UTF-8", charsets[cs].iconv)) == (iconv_t)-1)
		return 0;
	cap = 4 * n + 16;
	if ((ob = malloc(cap)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	op = ob;
	ol = cap;
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0 ||
	    iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
		goto out;
	if (!printable_utf8(ob, (size_t)(op - ob)))
		goto out;
	if ((rc = kn_buf_add(out, ob, (size_t)(op - ob))) == 0)
		*ok = true;
out:
	free(ob);
	iconv_close(cd);
	return rc;
}

int
kn_mail_decode_words(struct kn_buf *out, const char *text, size_t len)
{
	struct kn_buf raw;
	struct ew ew;
	char *tmp = NULL;
	size_t i = 0, ws, w, pstart = 0, pend = 0;
	ssize_t dn;
	int pcs = -1, rc;
	bool isew, ok = true;

	kn_buf_init(&raw, len + 1);
	if ((tmp = malloc(len + 1)) == NULL)
		return KN_ERR_NOMEM;
	while (i < len) {
		ws = i;
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		w = i;
		while (i < len && text[i] != ' ' && text[i] != '\t')
			i++;
		isew = false;
		dn = 0;
		if (i > w && parse_ew(text + w, i - w, &ew) &&
		    (dn = decode_ew(tmp, &ew)) >= 0)
			isew = true;
		if (isew && pcs == ew.cs) {
			/* Same charset: join the octets, drop the WSP. */
			if ((rc = kn_buf_add(&raw, tmp, (size_t)dn)) != 0)
				goto out;
			pend = i;
			continue;
		}
		if (pcs >= 0) {
			if ((rc = convert_run(out, pcs, raw.data, raw.len,
			    &ok)) != 0)
				goto out;
			if (!ok && (rc = kn_buf_add(out, text + pstart,
			    pend - pstart)) != 0)
				goto out;
			pcs = -1;
		}
		if (isew) {
			/* WSP between two decoded words goes. */
			if ((pend == 0 || !ok || pend != ws) &&
			    (rc = kn_buf_add(out, text + ws, w - ws)) != 0)
				goto out;
			kn_buf_reset(&raw);
			if ((rc = kn_buf_add(&raw, tmp, (size_t)dn)) != 0)
				goto out;
			pcs = ew.cs;
			pstart = w;
			pend = i;
			ok = true;
			continue;
		}
		if ((rc = kn_buf_add(out, text + ws, i - ws)) != 0)
			goto out;
		pend = 0;
	}
	if (pcs >= 0) {
		if ((rc = convert_run(out, pcs, raw.data, raw.len, &ok)) != 0)
			goto out;
		if (!ok && (rc = kn_buf_add(out, text + pstart,
		    pend - pstart)) != 0)
			goto out;
	}
	rc = kn_buf_add(out, "", 0);
out:
	kn_buf_cleanup(&raw);
	free(tmp);
	return rc;
}

/*
 * Addresses (RFC 5322 section 3.4), with the obsolete forms of section
 * 4.4: CFWS around the dots of local parts and domains (obs-local-part,
 * obs-domain), obs-phrase, obs-route (read, then dropped) and empty list
 * elements (obs-addr-list, obs-mbox-list, obs-group-list).  RFC 6532
 * UTF-8 is allowed where RFC 5322 allows text.  A lexer skips CFWS
 * (nested comments included) and hands out atoms, quoted strings, domain
 * literals and specials; the parser backtracks only to re-read a phrase
 * as a local part.  Nothing recurses beyond one group level.
 */

/* atext (RFC 5322 section 3.2.3) and UTF8-non-ascii (RFC 6532). */
static const unsigned char atext[256] = {
	['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1,
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['/'] = 1, ['='] = 1, ['?'] = 1,
	['^'] = 1, ['_'] = 1, ['`'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1,
	['~'] = 1, [0x80 ... 0xff] = 1,
};

#define MAX_COMMENT_DEPTH	64

enum { T_END, T_ATOM, T_QSTR, T_DLIT, T_SPECIAL };

struct tok {
	int	 type;
	char	 c;		/* T_SPECIAL: which */
	size_t	 start, end;	/* the token's octets */
	bool	 sp;		/* CFWS before it */
};

struct lexer {
	const char	*s;
	size_t		 len;
	size_t		 pos;
};

static bool
is_fold(const char *s, size_t n, size_t i)
{
	return i + 2 < n && s[i] == '\r' && s[i + 1] == '\n' &&
	    (s[i + 2] == ' ' || s[i + 2] == '\t');
}

static bool
is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* What may follow a backslash: VCHAR or WSP (RFC 5322 section 3.2.1). */
static bool
qp_ok(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t';
}

static int
lex_err(size_t at, const char *what, const char *sect)
{
	return kn_err_set(KN_ERR_INVAL, "address", "%s at character %zu "
	    "(RFC 5322 section %s)", what, at + 1, sect);
}

static int
lex(struct lexer *lx, struct tok *t)
{
	const char *s = lx->s;
	size_t n = lx->len, i = lx->pos, at, depth;
	unsigned char c;

	t->sp = false;
	for (;;) {
		if (i < n && (s[i] == ' ' || s[i] == '\t')) {
			i++;
			t->sp = true;
			continue;
		}
		if (is_fold(s, n, i)) {
			i += 2;
			t->sp = true;
			continue;
		}
		if (i == n || s[i] != '(')
			break;
		/* A comment, nested comments and quoted-pairs in it. */
		at = i;
		depth = 0;
		do {
			if (i == n)
				return lex_err(at, "a comment is not closed",
				    "3.2.2");
			c = (unsigned char)s[i];
			if (c == '\\') {
				if (i + 1 == n ||
				    !qp_ok((unsigned char)s[i + 1]))
					return lex_err(i, "a backslash quotes "
					    "nothing or a control character",
					    "3.2.1");
				i += 2;
				continue;
			}
			if (is_fold(s, n, i)) {
				i += 2;
				continue;
			}
			if (c == '(' && ++depth > MAX_COMMENT_DEPTH)
				return lex_err(i, "comments are nested more "
				    "than 64 deep", "3.2.2");
			if (c == ')')
				depth--;
			else if (is_ctl(c))
				return lex_err(i, "a control character in a "
				    "comment", "3.2.2");
			i++;
		} while (depth > 0);
		t->sp = true;
	}
	t->start = i;
	if (i == n) {
		t->type = T_END;
		t->end = i;
		lx->pos = i;
		return 0;
	}
	c = (unsigned char)s[i];
	if (c == '"') {
		at = i++;
		for (;;) {
			if (i == n)
				return lex_err(at, "a quoted string is not "
				    "closed", "3.2.4");
			c = (unsigned char)s[i];
			if (c == '"')
				break;
			if (c == '\\') {
				if (i + 1 == n ||
				    !qp_ok((unsigned char)s[i + 1]))
					return lex_err(i, "a backslash quotes "
					    "nothing or a control character",
					    "3.2.1");
				i += 2;
				continue;
			}
			if (is_fold(s, n, i)) {
				i += 2;
				continue;
			}
			if (is_ctl(c))
				return lex_err(i, "a control character in a "
				    "quoted string", "3.2.4");
			i++;
		}
		t->type = T_QSTR;
		i++;
	} else if (c == '[') {
		at = i++;
		for (;;) {
			if (i == n)
				return lex_err(at, "a domain literal is not "
				    "closed", "3.4.1");
			c = (unsigned char)s[i];
			if (c == ']')
				break;
			if (is_fold(s, n, i)) {
				i += 2;
				continue;
			}
			if (c == '[' || c == '\\' || is_ctl(c))
				return lex_err(i, "a domain literal holds [, "
				    "\\ or a control character", "3.4.1");
			i++;
		}
		t->type = T_DLIT;
		i++;
	} else if (c != '\0' && strchr("<>@,;:.", c) != NULL) {
		t->type = T_SPECIAL;
		t->c = (char)c;
		i++;
	} else if (atext[c]) {
		while (i < n && atext[(unsigned char)s[i]])
			i++;
		t->type = T_ATOM;
	} else if (c == ')')
		return lex_err(i, "a ) closes no comment", "3.2.2");
	else if (is_ctl(c) || c == '\r' || c == '\n')
		return lex_err(i, "a control character", "3.2.3");
	else
		return kn_err_set(KN_ERR_INVAL, "address", "the character "
		    "'%c' at character %zu is not allowed there (RFC 5322 "
		    "section 3.2.3)", c, i + 1);
	t->end = i;
	lx->pos = i;
	return 0;
}

static int
peek(struct lexer *lx, struct tok *t)
{
	size_t save = lx->pos;
	int rc;

	rc = lex(lx, t);
	lx->pos = save;
	return rc;
}

static bool
is_special(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->c == c;
}

static bool
is_word(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QSTR;
}

static const char *
tok_name(const struct tok *t)
{
	switch (t->type) {
	case T_END:
		return "the end";
	case T_ATOM:
		return "a word";
	case T_QSTR:
		return "a quoted string";
	case T_DLIT:
		return "a domain literal";
	}
	switch (t->c) {
	case '<':
		return "'<'";
	case '>':
		return "'>'";
	case '@':
		return "'@'";
	case ',':
		return "','";
	case ';':
		return "';'";
	case ':':
		return "':'";
	default:
		return "'.'";
	}
}

static int
unexpected(const struct tok *t, const char *want, const char *sect)
{
	return kn_err_set(KN_ERR_INVAL, "address", "%s at character %zu "
	    "where %s belongs (RFC 5322 section %s)", tok_name(t),
	    t->start + 1, want, sect);
}

/* Appends a word: an atom as it is, a quoted string unquoted. */
static void
put_word(struct kn_buf *b, const struct lexer *lx, const struct tok *t)
{
	const char *p = lx->s + t->start, *end = lx->s + t->end, *q;

	if (t->type != T_QSTR) {
		kn_buf_putn(b, p, (size_t)(end - p));
		return;
	}
	p++;
	end--;
	while (p < end) {
		for (q = p; q < end && *q != '\\' && *q != '\r'; q++)
			;
		kn_buf_putn(b, p, (size_t)(q - p));
		if (q == end)
			break;
		if (*q == '\\') {
			kn_buf_putn(b, q + 1, 1);
			p = q + 2;
		} else
			p = q + 2;	/* the CRLF of a fold */
	}
}

/*
 * The phrase between from and to as text: words joined by one space where
 * CFWS parted them, encoded words in atoms decoded (not those in quoted
 * strings, RFC 2047 section 5), trimmed.  Appended to out.
 */
static int
phrase_text(struct kn_buf *out, const struct lexer *lx, size_t from,
    size_t to)
{
	struct lexer sub = *lx;
	struct kn_buf run;
	struct tok t;
	int rc = 0;

	kn_buf_init(&run, lx->len + 1);
	sub.pos = from;
	while (sub.pos < to) {
		if ((rc = lex(&sub, &t)) != 0 || t.type == T_END)
			break;
		if (t.type == T_QSTR) {
			if (run.len > 0) {
				if ((rc = kn_mail_decode_words(out, run.data,
				    run.len)) != 0)
					break;
				kn_buf_reset(&run);
			}
			if (t.sp && out->len > 0)
				kn_buf_putn(out, " ", 1);
			put_word(out, lx, &t);
			continue;
		}
		if (t.sp && (out->len > 0 || run.len > 0))
			kn_buf_putn(&run, " ", 1);
		put_word(&run, lx, &t);
	}
	if (rc == 0 && run.failed)
		rc = KN_ERR_TOOBIG;
	if (rc == 0 && run.len > 0)
		rc = kn_mail_decode_words(out, run.data, run.len);
	if (rc == 0 && out->failed)
		rc = KN_ERR_TOOBIG;
	kn_buf_cleanup(&run);
	if (rc == KN_ERR_TOOBIG)
		return kn_err_set(rc, "address", "a display name is too long");
	if (rc == 0)
		rc = kn_buf_add(out, "", 0);
	return rc;
}

/* Lower-cases ASCII in place. */
static void
lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

/*
 * domain = dot-atom / domain-literal / obs-domain (RFC 5322 section
 * 3.4.1); a domain in UTF-8 (RFC 6532) becomes its A-label form (IDNA2008,
 * RFC 5891, without mappings: a name that is not already a valid U-label
 * is refused).  *out is allocated.
 */
static int
parse_domain(struct lexer *lx, char **out)
{
	struct kn_buf b;
	struct tok t;
	char *d = NULL, *a = NULL;
	const char *p;
	int rc, irc;

	*out = NULL;
	kn_buf_init(&b, lx->len + 1);
	if ((rc = lex(lx, &t)) != 0)
		goto out;
	if (t.type == T_DLIT) {
		for (p = lx->s + t.start; p < lx->s + t.end; p++) {
			if (*p != '\r' && *p != '\n')
				kn_buf_putn(&b, p, 1);
		}
	} else if (t.type == T_ATOM) {
		put_word(&b, lx, &t);
		for (;;) {
			if ((rc = peek(lx, &t)) != 0)
				goto out;
			if (!is_special(&t, '.'))
				break;
			if ((rc = lex(lx, &t)) != 0 || (rc = lex(lx, &t)) != 0)
				goto out;
			if (t.type != T_ATOM) {
				rc = unexpected(&t, "a domain label",
				    "3.4.1");
				goto out;
			}
			kn_buf_putn(&b, ".", 1);
			put_word(&b, lx, &t);
		}
	} else {
		rc = unexpected(&t, "a domain", "3.4.1");
		goto out;
	}
	if (b.failed || (rc = kn_buf_add(&b, "", 0)) != 0) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	d = kn_buf_steal(&b, NULL);
	if (d == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	lower(d);
	if (has_8bit(d, strlen(d))) {
		irc = idn2_lookup_u8((const uint8_t *)d, (uint8_t **)&a,
		    IDN2_NFC_INPUT | IDN2_NO_TR46);
		if (irc != IDN2_OK) {
			rc = kn_err_set(KN_ERR_INVAL, "address", "the domain "
			    "%.200s is not a valid internationalized domain "
			    "name (RFC 5322 section 3.4.1 with RFC 6532 "
			    "section 3.2; RFC 5891): %s", d,
			    idn2_strerror(irc));
			goto out;
		}
		free(d);
		d = strdup(a);
		idn2_free(a);
		a = NULL;
		if (d == NULL) {
			rc = KN_ERR_NOMEM;
			goto out;
		}
		lower(d);
	}
	*out = d;
	d = NULL;
	rc = 0;
out:
	free(d);
	kn_buf_cleanup(&b);
	return rc;
}

/*
 * addr-spec = local-part "@" domain; local-part = dot-atom /
 * quoted-string / obs-local-part.  The local part is kept as written with
 * its quotes removed.
 */
static int
parse_addr_spec(struct lexer *lx, char **local, char **domain)
{
	struct kn_buf b;
	struct tok t;
	int rc;

	*local = *domain = NULL;
	kn_buf_init(&b, lx->len + 1);
	if ((rc = lex(lx, &t)) != 0)
		goto out;
	if (!is_word(&t)) {
		rc = unexpected(&t, "an address", "3.4.1");
		goto out;
	}
	put_word(&b, lx, &t);
	for (;;) {
		if ((rc = lex(lx, &t)) != 0)
			goto out;
		if (!is_special(&t, '.'))
			break;
		if ((rc = lex(lx, &t)) != 0)
			goto out;
		if (!is_word(&t)) {
			rc = unexpected(&t, "a word of the local part",
			    "3.4.1");
			goto out;
		}
		kn_buf_putn(&b, ".", 1);
		put_word(&b, lx, &t);
	}
	if (b.failed || (rc = kn_buf_add(&b, "", 0)) != 0) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if (!is_special(&t, '@')) {
		rc = kn_err_set(KN_ERR_INVAL, "address", "the address "
		    "%.200s has no @domain: %s at character %zu where @ "
		    "belongs (RFC 5322 section 3.4.1)", b.data, tok_name(&t),
		    t.start + 1);
		goto out;
	}
	if ((rc = parse_domain(lx, domain)) != 0)
		goto out;
	*local = kn_buf_steal(&b, NULL);
	if (*local == NULL) {
		free(*domain);
		*domain = NULL;
		rc = KN_ERR_NOMEM;
	}
out:
	kn_buf_cleanup(&b);
	return rc;
}

/* obs-route = obs-domain-list ":" (RFC 5322 section 4.4): read and
 * dropped; the address is the addr-spec after it. */
static int
skip_route(struct lexer *lx)
{
	struct tok t;
	char *d;
	int rc;
	bool need = true;

	for (;;) {
		if ((rc = lex(lx, &t)) != 0)
			return rc;
		if (is_special(&t, ','))
			continue;
		if (is_special(&t, ':') && !need)
			return 0;
		if (!is_special(&t, '@'))
			return unexpected(&t, "@domain of a route", "4.4");
		if ((rc = parse_domain(lx, &d)) != 0)
			return rc;
		free(d);
		need = false;
	}
}

struct aparse {
	struct lexer		 lx;
	struct kn_mail_addrs	*out;
	size_t			 cap;
};

/* Adds an address; takes the strings (freed on failure too). */
static int
add_addr(struct aparse *ap, char *display, char *local, char *domain,
    const char *group)
{
	struct kn_mail_addr *a;
	char *g = NULL;
	int rc;

	if (group != NULL && (g = strdup(group)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto fail;
	}
	if ((rc = kn_reserve(&ap->out->v, &ap->cap, ap->out->n,
	    sizeof(*ap->out->v), KN_MAIL_MAX_ADDRS)) != 0) {
		if (rc == KN_ERR_TOOBIG)
			rc = kn_err_set(KN_ERR_TOOBIG, "address", "more than "
			    "%d addresses in one field", KN_MAIL_MAX_ADDRS);
		goto fail;
	}
	a = &ap->out->v[ap->out->n++];
	a->display = display;
	a->local = local;
	a->domain = domain;
	a->group = g;
	return 0;
fail:
	free(display);
	free(local);
	free(domain);
	free(g);
	return rc;
}

static char *
trimmed_or_null(struct kn_buf *b)
{
	char *s;

	if (b->data == NULL)
		return NULL;
	kn_trim(b->data);
	if (b->data[0] == '\0')
		return NULL;
	s = strdup(b->data);
	return s;
}

/*
 * address = mailbox / group; mailbox = name-addr / addr-spec.  group is
 * the name of the group being read (mailboxes only), or NULL.
 */
static int
parse_address(struct aparse *ap, const char *group)
{
	struct lexer *lx = &ap->lx;
	struct kn_buf name;
	struct tok t;
	char *display = NULL, *local = NULL, *domain = NULL, *gname = NULL;
	size_t save = lx->pos, words = 0, end;
	int rc;

	kn_buf_init(&name, 4 * lx->len + 64);
	/* phrase = 1*word / obs-phrase (word *(word / "." / CFWS)) */
	for (;;) {
		if ((rc = peek(lx, &t)) != 0)
			goto out;
		if (is_word(&t))
			words++;
		else if (!(words > 0 && is_special(&t, '.')))
			break;
		if ((rc = lex(lx, &t)) != 0)
			goto out;
	}
	end = lx->pos;
	if (is_special(&t, '<')) {
		/* name-addr = [display-name] angle-addr */
		if (words > 0) {
			if ((rc = phrase_text(&name, lx, save, end)) != 0)
				goto out;
			if ((display = trimmed_or_null(&name)) == NULL &&
			    name.data != NULL && name.data[0] != '\0') {
				rc = KN_ERR_NOMEM;
				goto out;
			}
		}
		(void)lex(lx, &t);
		if ((rc = peek(lx, &t)) != 0)
			goto out;
		if (is_special(&t, '>')) {
			rc = kn_err_set(KN_ERR_INVAL, "address", "an empty "
			    "address <> at character %zu (RFC 5322 section "
			    "3.4)", t.start + 1);
			goto out;
		}
		if ((is_special(&t, '@') || is_special(&t, ',')) &&
		    (rc = skip_route(lx)) != 0)
			goto out;
		if ((rc = parse_addr_spec(lx, &local, &domain)) != 0)
			goto out;
		if ((rc = lex(lx, &t)) != 0)
			goto out;
		if (!is_special(&t, '>')) {
			rc = unexpected(&t, "the '>' that ends an address",
			    "3.4");
			goto out;
		}
		rc = add_addr(ap, display, local, domain, group);
		display = local = domain = NULL;
		goto out;
	}
	if (words > 0 && is_special(&t, ':')) {
		/* group = display-name ":" [group-list] ";" [CFWS] */
		if (group != NULL) {
			rc = kn_err_set(KN_ERR_INVAL, "address", "a group "
			    "inside the group %.200s at character %zu (RFC "
			    "5322 section 3.4)", group, t.start + 1);
			goto out;
		}
		if ((rc = phrase_text(&name, lx, save, end)) != 0)
			goto out;
		kn_trim(name.data);
		if ((gname = strdup(name.data)) == NULL) {
			rc = KN_ERR_NOMEM;
			goto out;
		}
		(void)lex(lx, &t);
		for (;;) {
			if ((rc = peek(lx, &t)) != 0)
				goto out;
			if (is_special(&t, ';') || is_special(&t, ',')) {
				(void)lex(lx, &t);
				if (t.c == ';')
					break;
				continue;
			}
			if (t.type == T_END) {
				rc = kn_err_set(KN_ERR_INVAL, "address", "the "
				    "group %.200s is not closed with ';' (RFC "
				    "5322 section 3.4)", gname);
				goto out;
			}
			if ((rc = parse_address(ap, gname)) != 0)
				goto out;
			if ((rc = peek(lx, &t)) != 0)
				goto out;
			if (!is_special(&t, ',') && !is_special(&t, ';') &&
			    t.type != T_END) {
				rc = unexpected(&t, "',' or ';'", "3.4");
				goto out;
			}
		}
		rc = 0;
		goto out;
	}
	/* addr-spec: the words read were its local part. */
	lx->pos = save;
	if ((rc = parse_addr_spec(lx, &local, &domain)) != 0)
		goto out;
	rc = add_addr(ap, NULL, local, domain, group);
	local = domain = NULL;
out:
	free(display);
	free(local);
	free(domain);
	free(gname);
	kn_buf_cleanup(&name);
	return rc;
}

int
kn_mail_addrs_parse(struct kn_mail_addrs *out, const char *value,
    size_t len)
{
	struct aparse ap;
	struct tok t;
	size_t elements = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ap, 0, sizeof(ap));
	ap.lx.s = value;
	ap.lx.len = len;
	ap.out = out;
	if (!kn_valid_utf8(value, len))
		return kn_err_set(KN_ERR_INVAL, "address", "the addresses "
		    "are not valid UTF-8 (RFC 5322 section 3.2.3 with RFC "
		    "6532 section 3.2)");
	/* address-list, with obs-addr-list's empty elements. */
	for (;;) {
		if ((rc = peek(&ap.lx, &t)) != 0)
			goto out;
		if (t.type == T_END)
			break;
		if (is_special(&t, ',')) {
			(void)lex(&ap.lx, &t);
			continue;
		}
		if ((rc = parse_address(&ap, NULL)) != 0)
			goto out;
		elements++;
		if ((rc = peek(&ap.lx, &t)) != 0)
			goto out;
		if (t.type != T_END && !is_special(&t, ',')) {
			rc = unexpected(&t, "',' or the end of the list",
			    "3.4");
			goto out;
		}
	}
	if (elements == 0)
		rc = kn_err_set(KN_ERR_INVAL, "address", "there is no address "
		    "(RFC 5322 section 3.4)");
out:
	if (rc != 0)
		kn_mail_addrs_cleanup(out);
	return rc;
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

/* A host name: LDH labels of 1 to 63 octets, at most 253 in all, not
 * starting or ending with a hyphen, the last label not all digits (RFC
 * 1035 section 2.3.1, RFC 3696 section 2). */
static bool
valid_hostname(const char *d)
{
	size_t n = strlen(d), i, label = 0, digits = 0;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		char c = d[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return false;
			if (c == '\0')
				break;
			label = digits = 0;
			continue;
		}
		if (c == '-' && label == 0)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return false;
		if (c >= '0' && c <= '9')
			digits++;
		label++;
	}
	return digits != label;
}

/* True when the field name is all ftext (RFC 5322 section 3.6.8). */
static bool
ftext_name(const struct kn_mail_hdr *h)
{
	size_t i;

	for (i = 0; i < h->name.len; i++) {
		unsigned char c = (unsigned char)h->name.ptr[i];

		if (c < 33 || c > 126)
			return false;
	}
	return true;
}

int
kn_mail_from(struct kn_mail_addrs *out, const struct kn_mail_msg *m)
{
	const struct kn_mail_hdr *h, *from = NULL;
	struct kn_mail_addrs a;
	struct kn_buf b;
	char why[sizeof(((struct kn_error *)0)->msg)];
	size_t i, nfrom = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	kn_buf_init(&b, 0);
	if (m->defects & KN_MAIL_LEADING_WSP) {
		rc = kn_err_set(KN_ERR_INVAL, "From", "the message starts "
		    "with white space, so readers disagree on its header "
		    "fields (RFC 5322 section 2.2)");
		goto out;
	}
	if (m->defects & KN_MAIL_BAD_LINE) {
		rc = kn_err_set(KN_ERR_INVAL, "From", "the header section "
		    "has a line that is not a header field (no colon); "
		    "readers disagree on the fields after it (RFC 5322 "
		    "section 2.2)");
		goto out;
	}
	for (i = 0; i < m->nhdrs; i++) {
		h = &m->hdrs[i];
		if (h->defects & (KN_MAIL_HDR_CTL | KN_MAIL_HDR_BARE_CR)) {
			rc = kn_err_set(KN_ERR_INVAL, "From", "header field "
			    "%zu has a NUL, a bare CR or another control "
			    "character, which readers treat differently (RFC "
			    "5322 section 2.2)", i + 1);
			goto out;
		}
		if (h->defects & KN_MAIL_HDR_EMPTY_LINE) {
			rc = kn_err_set(KN_ERR_INVAL, "From", "header field "
			    "%zu has a folded line of only white space "
			    "(obsolete syntax, RFC 5322 section 4.2), where "
			    "some readers end the header section", i + 1);
			goto out;
		}
		if (!ftext_name(h)) {
			rc = kn_err_set(KN_ERR_INVAL, "From", "the name of "
			    "header field %zu has a character other than "
			    "printable US-ASCII (RFC 5322 section 3.6.8)",
			    i + 1);
			goto out;
		}
		if (kn_mail_hdr_is(h, "From")) {
			if (nfrom++ == 0)
				from = h;
		}
	}
	if (nfrom != 1) {
		rc = kn_err_set(KN_ERR_INVAL, "From", nfrom == 0 ? "the "
		    "message has no From header field (RFC 5322 section "
		    "3.6)" : "the message has %zu From header fields; it "
		    "must have exactly one (RFC 5322 section 3.6)", nfrom);
		goto out;
	}
	if (from->defects & KN_MAIL_HDR_WSP_NAME) {
		rc = kn_err_set(KN_ERR_INVAL, "From", "the From header field "
		    "has white space before its colon (obsolete syntax, RFC "
		    "5322 section 4.5.1), which some readers do not take "
		    "for a From field");
		goto out;
	}
	/* Unfolding never lengthens a value. */
	kn_buf_init(&b, from->value.len + 1);
	if ((rc = kn_mail_unfold(&b, from)) != 0)
		goto out;
	if (b.len == 0) {
		rc = kn_err_set(KN_ERR_INVAL, "From", "the From header field "
		    "is empty (RFC 5322 section 3.6.2)");
		goto out;
	}
	if ((rc = kn_mail_addrs_parse(&a, b.data, b.len)) != 0) {
		snprintf(why, sizeof(why), "%s", kn_err_msg(rc));
		rc = kn_err_set(rc, "From", "the From header field: %s", why);
		goto out;
	}
	for (i = 0; i < a.n; i++) {
		if (a.v[i].group != NULL) {
			rc = kn_err_set(KN_ERR_INVAL, "From", "the From header "
			    "field holds a group, not a mailbox (RFC 5322 "
			    "section 3.6.2)");
			goto out;
		}
	}
	if (a.n != 1) {
		rc = kn_err_set(KN_ERR_INVAL, "From", a.n == 0 ? "the From "
		    "header field holds no mailbox (RFC 5322 section "
		    "3.6.2)" : "the From header field holds %zu mailboxes; "
		    "the author must be exactly one (RFC 5322 section "
		    "3.6.2)", a.n);
		goto out;
	}
	if (a.v[0].domain[0] == '[') {
		rc = kn_err_set(KN_ERR_INVAL, "From", "the author address has "
		    "a domain literal %.100s, not a domain name (RFC 5322 "
		    "section 3.4.1)", a.v[0].domain);
		goto out;
	}
	if (!valid_hostname(a.v[0].domain)) {
		rc = kn_err_set(KN_ERR_INVAL, "From", "the author domain "
		    "%.200s is not a host name (RFC 5322 section 3.4.1, RFC "
		    "1035 section 2.3.1)", a.v[0].domain);
		goto out;
	}
	*out = a;
	memset(&a, 0, sizeof(a));
	rc = 0;
out:
	kn_mail_addrs_cleanup(&a);
	kn_buf_cleanup(&b);
	return rc;
}
