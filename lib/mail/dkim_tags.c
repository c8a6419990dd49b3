/*
 * dkim_tags.c - the text of DKIM: tag lists (RFC 6376 section 3.2), the
 * DKIM-Signature field (section 3.5) and key records (section 3.6.1,
 * RFC 8463 section 4), and the base64 they carry.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mail/dkim.h"
#include "mail/dkim_int.h"

static bool
is_fws(unsigned char c)
{
	/* Folding reaches here as CRLF followed by WSP (the message parser
	 * guarantees it in header fields); TXT records have none. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* VALCHAR (%x21-3A / %x3C-7E), and UTF-8 octets (RFC 8616 section 4). */
static bool
is_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

bool
kn_dkim_slice_eq(struct kn_slice a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && strncasecmp(a.ptr, s, n) == 0;
}

bool
kn_dkim_lower_copy(char *dst, size_t cap, struct kn_slice s)
{
	size_t i;

	if (s.len >= cap)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];

		dst[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	dst[s.len] = '\0';
	return true;
}

bool
kn_dkim_valid_name(const char *p, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > KN_DKIM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && p[len - 1] != '-';
}

static const signed char b64val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31,
	['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41,
	['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46,
	['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51,
	['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61,
	['9'] = 62, ['+'] = 63, ['/'] = 64,
};	/* value + 1; 0: not a base64 character */

int
kn_dkim_b64_decode(unsigned char *out, size_t cap, size_t *out_len,
    const char *in, size_t len, const char *what)
{
	uint32_t acc = 0;
	size_t i, n = 0, chars = 0, pad = 0;

	*out_len = 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v = b64val[c];

		if (is_fws(c))
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		if (v == 0 || pad > 0)
			return kn_err_set(KN_ERR_INVAL, what, "%s= is not "
			    "base64: %s at character %zu (RFC 6376 section "
			    "2.4)", what, pad > 0 ? "data after the padding" :
			    "a character outside the alphabet", i + 1);
		acc = (acc << 6) | (uint32_t)(v - 1);
		if (++chars % 4 == 0) {
			if (n + 3 > cap)
				return kn_err_set(KN_ERR_TOOBIG, what, "%s= is "
				    "longer than %zu octets", what, cap);
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (chars % 4 != 0 || pad > 2)
		return kn_err_set(KN_ERR_INVAL, what, "%s= is not base64: its "
		    "length is not a multiple of 4 with padding (RFC 6376 "
		    "section 2.4)", what);
	if (pad > 0) {
		/* The last quantum held 4 - pad characters. */
		size_t keep = 3 - pad, k;
		uint32_t q = acc << (6 * pad);

		if (n + keep > cap)
			return kn_err_set(KN_ERR_TOOBIG, what, "%s= is longer "
			    "than %zu octets", what, cap);
		for (k = 0; k < keep; k++)
			out[n++] = (unsigned char)(q >> (16 - 8 * k));
	}
	*out_len = n;
	return 0;
}

int
kn_dkim_tags_parse(struct kn_dkim_tags *out, const char *p, size_t len)
{
	size_t i = 0, k;

	out->n = 0;
	for (;;) {
		struct kn_dkim_tag *t;
		size_t ns, ve;

		while (i < len && is_fws((unsigned char)p[i]))
			i++;
		if (i == len) {
			/* An empty list, or a ";" ending the last spec. */
			break;
		}
		if (!is_alpha((unsigned char)p[i]))
			return kn_err_set(KN_ERR_INVAL, "tag-list", "tag-list: "
			    "a tag name must start with a letter, not '%c' "
			    "at character %zu (RFC 6376 section 3.2)",
			    p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?', i + 1);
		ns = i;
		while (i < len && (is_alpha((unsigned char)p[i]) ||
		    is_digit((unsigned char)p[i]) || p[i] == '_'))
			i++;
		if (out->n == KN_DKIM_MAX_TAGS)
			return kn_err_set(KN_ERR_TOOBIG, "tag-list",
			    "tag-list: more than %d tags", KN_DKIM_MAX_TAGS);
		t = &out->v[out->n];
		t->name.ptr = p + ns;
		t->name.len = i - ns;
		while (i < len && is_fws((unsigned char)p[i]))
			i++;
		if (i == len || p[i] != '=')
			return kn_err_set(KN_ERR_INVAL, "tag-list", "tag-list: "
			    "tag %.*s has no '=' (RFC 6376 section 3.2)",
			    (int)t->name.len, t->name.ptr);
		i++;
		t->val_start = i;
		while (i < len && is_fws((unsigned char)p[i]))
			i++;
		t->value.ptr = p + i;
		ve = i;
		while (i < len && p[i] != ';') {
			unsigned char c = (unsigned char)p[i];

			if (is_valchar(c))
				ve = i + 1;
			else if (!is_fws(c))
				return kn_err_set(KN_ERR_INVAL, "tag-list",
				    "tag-list: tag %.*s has a control "
				    "character in its value (RFC 6376 section "
				    "3.2)", (int)t->name.len, t->name.ptr);
			i++;
		}
		t->value.len = ve - (size_t)(t->value.ptr - p);
		t->val_end = i;
		for (k = 0; k < out->n; k++) {
			if (out->v[k].name.len == t->name.len &&
			    memcmp(out->v[k].name.ptr, t->name.ptr,
			    t->name.len) == 0)
				return kn_err_set(KN_ERR_INVAL, "tag-list",
				    "tag-list: tag %.*s appears twice, which "
				    "makes the whole list invalid (RFC 6376 "
				    "section 3.2)", (int)t->name.len,
				    t->name.ptr);
		}
		out->n++;
		if (i == len)
			break;
		i++;	/* ';' */
		/* Two ';' with nothing between: an empty tag-spec. */
		k = i;
		while (k < len && is_fws((unsigned char)p[k]))
			k++;
		if (k < len && p[k] == ';')
			return kn_err_set(KN_ERR_INVAL, "tag-list", "tag-list: "
			    "an empty tag between two ';' (RFC 6376 section "
			    "3.2)");
	}
	return 0;
}

const struct kn_dkim_tag *
kn_dkim_tags_get(const struct kn_dkim_tags *t, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < t->n; i++) {
		if (t->v[i].name.len == n &&
		    memcmp(t->v[i].name.ptr, name, n) == 0)
			return &t->v[i];
	}
	return NULL;
}

const char *
kn_dkim_alg_name(enum kn_dkim_alg a)
{
	switch (a) {
	case KN_DKIM_RSA_SHA256:
		return "rsa-sha256";
	case KN_DKIM_ED25519_SHA256:
		return "ed25519-sha256";
	case KN_DKIM_RSA_SHA1:
		return "rsa-sha1";
	default:
		return "unknown";
	}
}

const char *
kn_dkim_canon_name(enum kn_dkim_canon c)
{
	return c == KN_DKIM_SIMPLE ? "simple" : "relaxed";
}

/* A decimal of at most maxdigits digits, saturating at UINT64_MAX. */
static bool
parse_decimal(struct kn_slice v, size_t maxdigits, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (v.len == 0 || v.len > maxdigits)
		return false;
	for (i = 0; i < v.len; i++) {
		unsigned d;

		if (!is_digit((unsigned char)v.ptr[i]))
			return false;
		d = (unsigned)(v.ptr[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			n = UINT64_MAX;
		else
			n = n * 10 + d;
	}
	*out = n;
	return true;
}

/*
 * Calls fn on each element of a colon-separated list (FWS around the
 * colons allowed).  Stops at the first nonzero return.  Empty elements
 * are an error (-1).
 */
static int
each_colon(struct kn_slice v, int (*fn)(void *, struct kn_slice), void *arg)
{
	size_t i = 0;
	int rc;

	for (;;) {
		struct kn_slice e;
		size_t s, end;

		while (i < v.len && is_fws((unsigned char)v.ptr[i]))
			i++;
		s = i;
		while (i < v.len && v.ptr[i] != ':')
			i++;
		end = i;
		while (end > s && is_fws((unsigned char)v.ptr[end - 1]))
			end--;
		if (end == s)
			return -1;
		e.ptr = v.ptr + s;
		e.len = end - s;
		if ((rc = fn(arg, e)) != 0)
			return rc;
		if (i == v.len)
			return 0;
		i++;
	}
}

static bool
is_ftext_name(struct kn_slice e)
{
	size_t i;

	for (i = 0; i < e.len; i++) {
		unsigned char c = (unsigned char)e.ptr[i];

		/* ftext, RFC 5322 section 3.6.8 */
		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return e.len > 0;
}

static int
add_h(void *arg, struct kn_slice e)
{
	struct kn_dkim_sig *s = arg;

	if (!is_ftext_name(e))
		return 1;
	if (s->nh == KN_DKIM_MAX_H)
		return 2;
	s->h[s->nh++] = e;
	return 0;
}

static int
find_dnstxt(void *arg, struct kn_slice e)
{
	(void)arg;
	return kn_dkim_slice_eq(e, "dns/txt") ? 1 : 0;
}

static int sig_fail(const char *, ...) KN_PRINTF(1, 2);

static int
sig_fail(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = kn_err_vset(KN_ERR_INVAL, "DKIM-Signature", fmt, ap);
	va_end(ap);
	return rc;
}

static const char *const sig_required[] = { "v", "a", "b", "bh", "d", "h",
	"s" };

int
kn_dkim_sig_parse(struct kn_dkim_sig *out, const char *value, size_t len)
{
	struct kn_dkim_tags *tags = NULL;
	const struct kn_dkim_tag *t;
	struct kn_slice v, dom;
	uint64_t n;
	size_t k, nb;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((tags = malloc(sizeof(*tags))) == NULL)
		return KN_ERR_NOMEM;
	if ((rc = kn_dkim_tags_parse(tags, value, len)) != 0) {
		if (rc == KN_ERR_TOOBIG)
			rc = KN_ERR_INVAL;
		goto out;
	}
	/* d= and s= first, so that a result can name them. */
	if ((t = kn_dkim_tags_get(tags, "d")) != NULL &&
	    kn_dkim_valid_name(t->value.ptr, t->value.len))
		(void)kn_dkim_lower_copy(out->d, sizeof(out->d), t->value);
	if ((t = kn_dkim_tags_get(tags, "s")) != NULL &&
	    kn_dkim_valid_name(t->value.ptr, t->value.len))
		(void)kn_dkim_lower_copy(out->s, sizeof(out->s), t->value);
	if ((t = kn_dkim_tags_get(tags, "a")) != NULL)
		snprintf(out->a, sizeof(out->a), "%.*s", (int)(t->value.len <
		    sizeof(out->a) ? t->value.len : sizeof(out->a) - 1),
		    t->value.ptr);
	for (k = 0; k < sizeof(sig_required) / sizeof(sig_required[0]);
	    k++) {
		if (kn_dkim_tags_get(tags, sig_required[k]) == NULL) {
			rc = sig_fail("the signature has no %s= tag, which "
			    "is required (RFC 6376 section 6.1.1)",
			    sig_required[k]);
			goto out;
		}
	}
	v = kn_dkim_tags_get(tags, "v")->value;
	if (v.len != 1 || v.ptr[0] != '1') {
		rc = sig_fail("v=%.*s: only version 1 exists (RFC 6376 "
		    "section 6.1.1)", (int)(v.len < 16 ? v.len : 16), v.ptr);
		goto out;
	}
	v = kn_dkim_tags_get(tags, "a")->value;
	if (kn_dkim_slice_eq(v, "rsa-sha256"))
		out->alg = KN_DKIM_RSA_SHA256;
	else if (kn_dkim_slice_eq(v, "ed25519-sha256"))
		out->alg = KN_DKIM_ED25519_SHA256;
	else if (kn_dkim_slice_eq(v, "rsa-sha1"))
		out->alg = KN_DKIM_RSA_SHA1;
	else
		out->alg = KN_DKIM_ALG_UNKNOWN;

	t = kn_dkim_tags_get(tags, "b");
	out->b_start = t->val_start;
	out->b_end = t->val_end;
	for (k = 0, nb = 0; k < t->value.len && nb < 8; k++) {
		if (!is_fws((unsigned char)t->value.ptr[k]))
			out->b_head[nb++] = t->value.ptr[k];
	}
	out->b_head[nb] = '\0';
	if ((rc = kn_dkim_b64_decode(out->b, sizeof(out->b), &out->b_len,
	    t->value.ptr, t->value.len, "b")) != 0)
		goto bad;
	if (out->b_len == 0) {
		rc = sig_fail("b= is empty: the field carries no signature "
		    "(RFC 6376 section 3.5)");
		goto out;
	}
	t = kn_dkim_tags_get(tags, "bh");
	if ((rc = kn_dkim_b64_decode(out->bh, sizeof(out->bh), &out->bh_len,
	    t->value.ptr, t->value.len, "bh")) != 0)
		goto bad;

	if (out->d[0] == '\0') {
		rc = sig_fail("d= is not a domain name (RFC 6376 section "
		    "3.5)");
		goto out;
	}
	if (out->s[0] == '\0') {
		rc = sig_fail("s= is not a selector: labels of letters, "
		    "digits and hyphens (RFC 6376 section 3.5)");
		goto out;
	}
	if (strlen(out->s) + strlen("._domainkey.") + strlen(out->d) >
	    KN_DKIM_NAME_MAX) {
		rc = sig_fail("s=%s._domainkey.d= is longer than a DNS name "
		    "can be (RFC 6376 section 3.6.2.1)", out->s);
		goto out;
	}

	v = kn_dkim_tags_get(tags, "c") ? kn_dkim_tags_get(tags, "c")->value :
	    (struct kn_slice){ "simple/simple", 13 };
	{
		const char *slash = memchr(v.ptr, '/', v.len);
		struct kn_slice hc = v, bc = { "simple", 6 };

		if (slash != NULL) {
			hc.len = (size_t)(slash - v.ptr);
			bc.ptr = slash + 1;
			bc.len = v.len - hc.len - 1;
		}
		if (kn_dkim_slice_eq(hc, "simple"))
			out->hcanon = KN_DKIM_SIMPLE;
		else if (kn_dkim_slice_eq(hc, "relaxed"))
			out->hcanon = KN_DKIM_RELAXED;
		else
			hc.len = 0;
		if (kn_dkim_slice_eq(bc, "simple"))
			out->bcanon = KN_DKIM_SIMPLE;
		else if (kn_dkim_slice_eq(bc, "relaxed"))
			out->bcanon = KN_DKIM_RELAXED;
		else
			hc.len = 0;
		if (hc.len == 0) {
			rc = sig_fail("c= names an unknown canonicalization: "
			    "simple and relaxed exist (RFC 6376 section "
			    "3.4)");
			goto out;
		}
	}

	v = kn_dkim_tags_get(tags, "h")->value;
	if ((rc = each_colon(v, add_h, out)) != 0) {
		rc = sig_fail(rc == 2 ? "h= lists more than 128 header "
		    "fields, more than kakuin reads (RFC 6376 section 3.5)" :
		    "h= has an empty or malformed field name (RFC 6376 "
		    "section 3.5)");
		goto out;
	}
	for (k = 0; k < out->nh; k++) {
		if (kn_dkim_slice_eq(out->h[k], "from"))
			break;
	}
	if (k == out->nh) {
		rc = sig_fail("h= does not include From: the signature does "
		    "not cover the author (RFC 6376 section 5.4 and "
		    "6.1.1)");
		goto out;
	}

	if ((t = kn_dkim_tags_get(tags, "i")) != NULL) {
		const char *at = NULL;
		size_t j;

		for (j = 0; j < t->value.len; j++) {
			if (t->value.ptr[j] == '@')
				at = t->value.ptr + j;
		}
		if (at == NULL || t->value.len > KN_DKIM_AUID_MAX) {
			rc = sig_fail("i= is not an identity of the form "
			    "[local-part]@domain (RFC 6376 section 3.5)");
			goto out;
		}
		dom.ptr = at + 1;
		dom.len = t->value.len - (size_t)(dom.ptr - t->value.ptr);
		memcpy(out->i, t->value.ptr, t->value.len);
		out->i[t->value.len] = '\0';
	} else {
		snprintf(out->i, sizeof(out->i), "@%s", out->d);
		dom.ptr = out->d;
		dom.len = strlen(out->d);
	}
	/* The i= domain is d= or a subdomain of it (section 3.5, i=). */
	{
		size_t dl = strlen(out->d);
		bool ok = kn_dkim_valid_name(dom.ptr, dom.len) &&
		    dom.len >= dl && strncasecmp(dom.ptr + dom.len - dl,
		    out->d, dl) == 0 && (dom.len == dl ||
		    dom.ptr[dom.len - dl - 1] == '.');

		if (!ok) {
			rc = sig_fail("the i= domain is neither d=%s nor a "
			    "subdomain of it (RFC 6376 section 6.1.1)",
			    out->d);
			goto out;
		}
	}

	if ((t = kn_dkim_tags_get(tags, "q")) != NULL &&
	    each_colon(t->value, find_dnstxt, NULL) != 1) {
		rc = sig_fail("q= does not offer dns/txt, the only query "
		    "method there is (RFC 6376 section 6.1.1)");
		goto out;
	}
	if ((t = kn_dkim_tags_get(tags, "l")) != NULL) {
		if (!parse_decimal(t->value, 76, &out->l)) {
			rc = sig_fail("l= is not a decimal body length (RFC "
			    "6376 section 3.5)");
			goto out;
		}
		out->has_l = true;
	}
	if ((t = kn_dkim_tags_get(tags, "t")) != NULL) {
		if (!parse_decimal(t->value, 12, &n)) {
			rc = sig_fail("t= is not a time of at most 12 digits "
			    "(RFC 6376 section 3.5)");
			goto out;
		}
		out->has_t = true;
		out->t = (int64_t)n;
	}
	if ((t = kn_dkim_tags_get(tags, "x")) != NULL) {
		if (!parse_decimal(t->value, 12, &n)) {
			rc = sig_fail("x= is not a time of at most 12 digits "
			    "(RFC 6376 section 3.5)");
			goto out;
		}
		out->has_x = true;
		out->x = (int64_t)n;
		if (out->has_t && out->x <= out->t) {
			rc = sig_fail("x= is not after t=: the signature "
			    "expired when it was made (RFC 6376 section "
			    "3.5)");
			goto out;
		}
	}
	rc = 0;
	goto out;
bad:
	/* A detail from the base64 decoder: say where. */
	{
		struct kn_error *e = kn_err_get_mut();
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		rc = kn_err_set(KN_ERR_INVAL, "DKIM-Signature", "%s", msg);
	}
out:
	free(tags);
	return rc;
}

void
kn_dkim_key_cleanup(struct kn_dkim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

static int key_fail(const char *, ...) KN_PRINTF(1, 2);

static int
key_fail(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = kn_err_vset(KN_ERR_INVAL, "key record", fmt, ap);
	va_end(ap);
	return rc;
}

struct list_find {
	const char	*want[2];
	bool		 found;
};

static int
find_any(void *arg, struct kn_slice e)
{
	struct list_find *f = arg;

	if ((f->want[0] && kn_dkim_slice_eq(e, f->want[0])) ||
	    (f->want[1] && kn_dkim_slice_eq(e, f->want[1])))
		f->found = true;
	return 0;
}

/* Whether a colon list has want0 or want1; -1 when malformed. */
static int
list_has(struct kn_slice v, const char *want0, const char *want1)
{
	struct list_find f = { { want0, want1 }, false };

	if (each_colon(v, find_any, &f) != 0)
		return -1;
	return f.found;
}

static int
rsa_key(struct kn_dkim_key *out, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk;

	/* SubjectPublicKeyInfo, as everyone publishes; the RSAPublicKey
	 * that RFC 6376 section 3.6.1 literally names is read too. */
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk == NULL || p != der + len) {
		EVP_PKEY_free(pk);
		p = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
		if (pk == NULL || p != der + len) {
			EVP_PKEY_free(pk);
			return key_fail("p= is not an RSA public key (RFC 6376 "
			    "section 3.6.1)");
		}
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pk);
		return key_fail("p= is not an RSA key, as k=rsa says (RFC "
		    "6376 section 3.6.1)");
	}
	out->bits = EVP_PKEY_get_bits(pk);
	if (out->bits < KN_DKIM_MIN_RSA_BITS) {
		EVP_PKEY_free(pk);
		return kn_err_set(KN_ERR_INVAL, "key record", "the RSA key has "
		    "%d bits; keys under 1024 bits are refused (RFC 8301 "
		    "section 3.2)", out->bits);
	}
	if (out->bits > KN_DKIM_MAX_RSA_BITS) {
		EVP_PKEY_free(pk);
		return kn_err_set(KN_ERR_INVAL, "key record", "the RSA key has "
		    "%d bits, more than the 8192 kakuin verifies (RFC 8301 "
		    "section 3.2 asks for 1024 to 4096)", out->bits);
	}
	out->pkey = pk;
	return 0;
}

int
kn_dkim_key_parse(struct kn_dkim_key *out, const char *txt, size_t len)
{
	struct kn_dkim_tags *tags = NULL;
	const struct kn_dkim_tag *t;
	unsigned char *der = NULL;
	size_t dlen;
	int rc, has;

	memset(out, 0, sizeof(*out));
	out->sha256 = true;
	if ((tags = malloc(sizeof(*tags))) == NULL ||
	    (der = malloc(KN_DKIM_MAX_KEY_LEN)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = kn_dkim_tags_parse(tags, txt, len)) != 0) {
		if (rc == KN_ERR_TOOBIG)
			rc = KN_ERR_INVAL;
		goto out;
	}
	if ((t = kn_dkim_tags_get(tags, "v")) != NULL &&
	    (t != &tags->v[0] || t->value.len != 5 ||
	    memcmp(t->value.ptr, "DKIM1", 5) != 0)) {
		rc = key_fail("v= must be DKIM1 and come first (RFC 6376 "
		    "section 3.6.1)");
		goto out;
	}
	if ((t = kn_dkim_tags_get(tags, "h")) != NULL) {
		if ((has = list_has(t->value, "sha256", NULL)) < 0) {
			rc = key_fail("h= is not a list of hash algorithms "
			    "(RFC 6376 section 3.6.1)");
			goto out;
		}
		out->sha256 = has == 1;
	}
	if ((t = kn_dkim_tags_get(tags, "k")) == NULL ||
	    kn_dkim_slice_eq(t->value, "rsa"))
		out->type = KN_DKIM_KEY_RSA;
	else if (kn_dkim_slice_eq(t->value, "ed25519"))
		out->type = KN_DKIM_KEY_ED25519;
	else {
		rc = key_fail("k= names a key type other than rsa and "
		    "ed25519 (RFC 6376 section 3.6.1, RFC 8463 section "
		    "4)");
		goto out;
	}
	if ((t = kn_dkim_tags_get(tags, "s")) != NULL &&
	    (has = list_has(t->value, "email", "*")) != 1) {
		rc = key_fail(has < 0 ? "s= is not a list of service types "
		    "(RFC 6376 section 3.6.1)" : "s= does not list email: "
		    "the key is not for mail (RFC 6376 section 3.6.1)");
		goto out;
	}
	if ((t = kn_dkim_tags_get(tags, "t")) != NULL) {
		if (list_has(t->value, "y", NULL) < 0) {
			rc = key_fail("t= is not a list of flags (RFC 6376 "
			    "section 3.6.1)");
			goto out;
		}
		out->testing = list_has(t->value, "y", NULL) == 1;
		out->strict = list_has(t->value, "s", NULL) == 1;
	}
	if ((t = kn_dkim_tags_get(tags, "p")) == NULL) {
		rc = key_fail("the record has no p= tag, which is required "
		    "(RFC 6376 section 3.6.1)");
		goto out;
	}
	if ((rc = kn_dkim_b64_decode(der, KN_DKIM_MAX_KEY_LEN, &dlen,
	    t->value.ptr, t->value.len, "p")) != 0) {
		struct kn_error *e = kn_err_get_mut();
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		rc = kn_err_set(KN_ERR_INVAL, "key record", "%s", msg);
		goto out;
	}
	if (dlen == 0) {
		out->revoked = true;
		rc = 0;
		goto out;
	}
	if (out->type == KN_DKIM_KEY_RSA)
		rc = rsa_key(out, der, dlen);
	else if (dlen != 32)
		rc = kn_err_set(KN_ERR_INVAL, "key record", "p= of an ed25519 "
		    "key is %zu octets, not 32 (RFC 8463 section 4)", dlen);
	else if ((out->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
	    NULL, der, dlen)) == NULL)
		rc = key_fail("p= is not an Ed25519 public key (RFC 8463 "
		    "section 4)");
	else
		out->bits = 256;
out:
	if (rc != 0) {
		EVP_PKEY_free(out->pkey);
		out->pkey = NULL;
	}
	free(der);
	free(tags);
	return rc;
}
