/*
 * dmarc.c - DMARC records (RFC 7489 section 6.3, RFC 9989 sections 4.7
 * and 4.8), policy discovery (RFC 7489 section 6.6.3 with the public
 * suffix list, RFC 9989 section 4.10 with the DNS Tree Walk), identifier
 * alignment and the verdict.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "base/buf.h"
#include "base/text.h"
#include "mail/dmarc.h"
#include "registry/org.h"

struct kn_dmarc {
	struct kn_dns		*dns;
	enum kn_dmarc_mode	 mode;
	psl_ctx_t		*psl;
};

/* ------------------------------------------------------------ records */

static const char *
sec_tags(enum kn_dmarc_mode m)
{
	return m == KN_DMARC_RFC7489 ? "RFC 7489 section 6.3" :
	    "RFC 9989 section 4.7";
}

static const char *
sec_abnf(enum kn_dmarc_mode m)
{
	return m == KN_DMARC_RFC7489 ? "RFC 7489 section 6.4" :
	    "RFC 9989 section 4.8";
}

static const char *
sec_p_fallback(enum kn_dmarc_mode m)
{
	return m == KN_DMARC_RFC7489 ? "RFC 7489 section 6.6.3" :
	    "RFC 9989 section 4.10.1";
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static struct kn_slice
trim_wsp(const char *p, size_t n)
{
	struct kn_slice s;

	while (n > 0 && is_wsp(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	s.ptr = p;
	s.len = n;
	return s;
}

/* ASCII case-insensitive comparison of a slice with a literal. */
static bool
ieq(struct kn_slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}

static bool
ieq2(struct kn_slice a, struct kn_slice b)
{
	return a.len == b.len && strncasecmp(a.ptr, b.ptr, a.len) == 0;
}

bool
kn_dmarc_record_is_dmarc(const char *txt, size_t len)
{
	size_t i = 0;

	while (i < len && is_wsp(txt[i]))
		i++;
	if (i >= len || (txt[i] != 'v' && txt[i] != 'V'))
		return false;
	i++;
	while (i < len && is_wsp(txt[i]))
		i++;
	if (i >= len || txt[i] != '=')
		return false;
	i++;
	while (i < len && is_wsp(txt[i]))
		i++;
	/* The value is case-sensitive (RFC 9989 section 4.8: %s"DMARC1"). */
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	while (i < len && is_wsp(txt[i]))
		i++;
	return i == len || txt[i] == ';';
}

void
kn_dmarc_record_cleanup(struct kn_dmarc_record *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrua; i++)
		free(r->rua[i]);
	for (i = 0; i < r->nruf; i++)
		free(r->ruf[i]);
	memset(r, 0, sizeof(*r));
}

static int
parse_request(enum kn_dmarc_policy *out, struct kn_slice v)
{
	if (ieq(v, "none"))
		*out = KN_DMARC_POLICY_NONE;
	else if (ieq(v, "quarantine"))
		*out = KN_DMARC_POLICY_QUARANTINE;
	else if (ieq(v, "reject"))
		*out = KN_DMARC_POLICY_REJECT;
	else
		return KN_ERR_INVAL;
	return 0;
}

/*
 * One DMARC reporting URI (RFC 3986 URI with ',' and '!' encoded, and an
 * optional obsolete "!" size suffix).  *keep is the length without the
 * suffix.
 */
static bool
valid_uri(struct kn_slice u, size_t *keep)
{
	const char *bang;
	size_t n = u.len, i;

	if ((bang = memchr(u.ptr, '!', u.len)) != NULL) {
		n = (size_t)(bang - u.ptr);
		i = n + 1;
		if (i >= u.len || !is_digit(u.ptr[i]))
			return false;
		while (i < u.len && is_digit(u.ptr[i]))
			i++;
		if (i < u.len && strchr("kmgtKMGT", u.ptr[i]) != NULL)
			i++;
		if (i != u.len)
			return false;
	}
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (n == 0 || !is_alpha(u.ptr[0]))
		return false;
	for (i = 1; i < n && u.ptr[i] != ':'; i++) {
		char c = u.ptr[i];

		if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' ||
		    c == '.'))
			return false;
	}
	if (i >= n - 1)
		return false;	/* no ':' or nothing after it */
	for (i++; i < n; i++) {
		char c = u.ptr[i];

		if (c == '%') {
			if (i + 2 >= n)
				return false;
			if (!is_hex(u.ptr[i + 1]) || !is_hex(u.ptr[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (is_alpha(c) || is_digit(c) ||
		    strchr("-._~$&'()*+=:@/?#[]", c) != NULL)
			continue;
		return false;
	}
	*keep = n;
	return true;
}

static int
parse_uris(char **v, size_t *nv, struct kn_slice val, const char *tag,
    enum kn_dmarc_mode mode)
{
	size_t pos = 0, keep, k = 0;

	for (;;) {
		const char *start = val.ptr + pos;
		const char *comma = memchr(start, ',', val.len - pos);
		size_t m = comma ? (size_t)(comma - start) : val.len - pos;
		struct kn_slice u = trim_wsp(start, m);

		k++;
		if (u.len == 0)
			return kn_err_set(KN_ERR_INVAL, "dmarc", "%s has an "
			    "empty URI (entry %zu) (%s)", tag, k,
			    sec_abnf(mode));
		if (!valid_uri(u, &keep))
			return kn_err_set(KN_ERR_INVAL, "dmarc", "%s entry "
			    "%zu \"%.*s\" is not a URI (RFC 3986; commas and "
			    "'!' must be percent-encoded, %s)", tag, k,
			    (int)(u.len > 80 ? 80 : u.len), u.ptr,
			    sec_abnf(mode));
		if (*nv < KN_DMARC_MAX_URIS) {
			if ((v[*nv] = strndup(u.ptr, keep)) == NULL)
				return KN_ERR_NOMEM;
			(*nv)++;
		}
		if (comma == NULL)
			break;
		pos += m + 1;
	}
	return 0;
}

static int
parse_fo(unsigned *out, struct kn_slice val, enum kn_dmarc_mode mode)
{
	size_t pos = 0;
	unsigned fo = 0;

	for (;;) {
		const char *start = val.ptr + pos;
		const char *colon = memchr(start, ':', val.len - pos);
		size_t m = colon ? (size_t)(colon - start) : val.len - pos;
		struct kn_slice o = trim_wsp(start, m);
		unsigned bit;

		if (ieq(o, "0"))
			bit = KN_DMARC_FO_0;
		else if (ieq(o, "1"))
			bit = KN_DMARC_FO_1;
		else if (ieq(o, "d"))
			bit = KN_DMARC_FO_D;
		else if (ieq(o, "s"))
			bit = KN_DMARC_FO_S;
		else
			return kn_err_set(KN_ERR_INVAL, "dmarc", "fo option "
			    "\"%.*s\" is not 0, 1, d or s (%s)",
			    (int)(o.len > 40 ? 40 : o.len), o.ptr,
			    sec_tags(mode));
		if (fo & bit)
			return kn_err_set(KN_ERR_INVAL, "dmarc", "fo lists "
			    "\"%.*s\" twice (%s)", (int)o.len, o.ptr,
			    sec_abnf(mode));
		fo |= bit;
		if (colon == NULL)
			break;
		pos += m + 1;
	}
	if (mode == KN_DMARC_RFC9989 &&
	    (fo & (KN_DMARC_FO_0 | KN_DMARC_FO_1)) ==
	    (KN_DMARC_FO_0 | KN_DMARC_FO_1))
		return kn_err_set(KN_ERR_INVAL, "dmarc", "fo has both 0 and "
		    "1, which exclude each other (RFC 9989 section 4.7)");
	*out = fo;
	return 0;
}

/* rf (RFC 7489): Keyword *( ":" Keyword ), Keyword an RFC 5321 Ldh-str. */
static int
parse_rf(char out[64], struct kn_slice val)
{
	size_t pos = 0, o = 0, i;

	for (;;) {
		const char *start = val.ptr + pos;
		const char *colon = memchr(start, ':', val.len - pos);
		size_t m = colon ? (size_t)(colon - start) : val.len - pos;
		struct kn_slice k = trim_wsp(start, m);

		if (k.len == 0 || k.ptr[k.len - 1] == '-')
			goto bad;
		for (i = 0; i < k.len; i++) {
			if (!(is_alpha(k.ptr[i]) || is_digit(k.ptr[i]) ||
			    k.ptr[i] == '-'))
				goto bad;
		}
		if (o + k.len + 2 > 64)
			return kn_err_set(KN_ERR_INVAL, "dmarc", "rf is "
			    "longer than 63 characters");
		if (o > 0)
			out[o++] = ':';
		for (i = 0; i < k.len; i++) {
			char c = k.ptr[i];

			out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		out[o] = '\0';
		if (colon == NULL)
			break;
		pos += m + 1;
	}
	return 0;
bad:
	return kn_err_set(KN_ERR_INVAL, "dmarc", "rf must be report format "
	    "names separated by colons, as rf=afrf (RFC 7489 section 6.3)");
}

static int
parse_uint(uint32_t *out, struct kn_slice v, unsigned maxdigits,
    uint32_t max)
{
	uint64_t n = 0;
	size_t i;

	if (v.len == 0 || v.len > maxdigits)
		return KN_ERR_INVAL;
	for (i = 0; i < v.len; i++) {
		if (!is_digit(v.ptr[i]))
			return KN_ERR_INVAL;
		n = n * 10 + (uint64_t)(v.ptr[i] - '0');
		if (n > max)
			return KN_ERR_INVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

/* A tag name: ALPHA *( ALPHA / DIGIT / "_" ) (RFC 6376 tag-name). */
static size_t
tag_name_len(struct kn_slice t)
{
	size_t i;

	if (t.len == 0 || !is_alpha(t.ptr[0]))
		return 0;
	for (i = 1; i < t.len; i++) {
		if (!(is_alpha(t.ptr[i]) || is_digit(t.ptr[i]) ||
		    t.ptr[i] == '_'))
			break;
	}
	return i;
}

#define SHOW(s) (int)((s).len > 40 ? 40 : (s).len), (s).ptr

/*
 * Applies one tag (not the first, v=DMARC1) to *r.  An invalid p, sp or
 * np is noted in policy_err, for the rua fallback at the end.
 */
static int
apply_tag(struct kn_dmarc_record *r, bool *have_p, char *policy_err,
    size_t errlen, struct kn_slice name, struct kn_slice val,
    enum kn_dmarc_mode mode)
{
	bool r9989 = mode == KN_DMARC_RFC9989;
	enum kn_dmarc_policy *pp;
	bool *strict;
	uint32_t pct;

	if (ieq(name, "v"))
		return kn_err_set(KN_ERR_INVAL, "dmarc", "v must be the "
		    "first tag and appear once (%s)", sec_tags(mode));
	if (ieq(name, "p") || ieq(name, "sp") || (r9989 && ieq(name, "np"))) {
		pp = ieq(name, "p") ? &r->p : ieq(name, "sp") ? &r->sp : &r->np;
		if (ieq(name, "p"))
			*have_p = true;
		if (parse_request(pp, val) != 0 && policy_err[0] == '\0')
			snprintf(policy_err, errlen, "%.*s=%.*s is not none, "
			    "quarantine or reject", SHOW(name), SHOW(val));
		return 0;
	}
	if (ieq(name, "adkim") || ieq(name, "aspf")) {
		strict = ieq(name, "adkim") ? &r->adkim_strict :
		    &r->aspf_strict;
		if (!ieq(val, "r") && !ieq(val, "s"))
			return kn_err_set(KN_ERR_INVAL, "dmarc", "%.*s=%.*s is "
			    "not r (relaxed) or s (strict) (%s)", SHOW(name),
			    SHOW(val), sec_tags(mode));
		*strict = ieq(val, "s");
		return 0;
	}
	if (r9989 && ieq(name, "psd")) {
		if (!ieq(val, "y") && !ieq(val, "n") && !ieq(val, "u"))
			return kn_err_set(KN_ERR_INVAL, "dmarc", "psd=%.*s is "
			    "not y, n or u (RFC 9989 section 4.7)", SHOW(val));
		r->psd = (char)(val.ptr[0] | 0x20);
		return 0;
	}
	if (r9989 && ieq(name, "t")) {
		if (!ieq(val, "y") && !ieq(val, "n"))
			return kn_err_set(KN_ERR_INVAL, "dmarc", "t=%.*s is "
			    "not y or n (RFC 9989 section 4.7)", SHOW(val));
		r->testing = ieq(val, "y");
		return 0;
	}
	if (!r9989 && ieq(name, "pct")) {
		if (parse_uint(&pct, val, 3, 100) != 0)
			return kn_err_set(KN_ERR_INVAL, "dmarc", "pct=%.*s is "
			    "not a whole number from 0 to 100 (RFC 7489 "
			    "section 6.3)", SHOW(val));
		r->pct = (int)pct;
		return 0;
	}
	if (!r9989 && ieq(name, "ri")) {
		if (parse_uint(&r->ri, val, 10, UINT32_MAX) != 0)
			return kn_err_set(KN_ERR_INVAL, "dmarc", "ri=%.*s is "
			    "not a 32-bit number of seconds (RFC 7489 section "
			    "6.3)", SHOW(val));
		return 0;
	}
	if (!r9989 && ieq(name, "rf"))
		return parse_rf(r->rf, val);
	if (ieq(name, "fo"))
		return parse_fo(&r->fo, val, mode);
	if (ieq(name, "rua"))
		return parse_uris(r->rua, &r->nrua, val, "rua", mode);
	if (ieq(name, "ruf"))
		return parse_uris(r->ruf, &r->nruf, val, "ruf", mode);
	/* Any other tag is unknown here and ignored. */
	return 0;
}


int
kn_dmarc_record_parse(struct kn_dmarc_record *out, const char *txt,
    size_t len, enum kn_dmarc_mode mode)
{
	struct kn_slice names[KN_DMARC_MAX_TAGS];
	struct kn_dmarc_record r;
	char policy_err[200] = "";
	size_t ntags = 0, pos = 0, i, j;
	bool have_p = false, r9989 = mode == KN_DMARC_RFC9989;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.mode = mode;
	r.psd = 'u';
	r.pct = 100;
	r.ri = 86400;
	if (mode != KN_DMARC_RFC7489 && mode != KN_DMARC_RFC9989)
		return kn_err_set(KN_ERR_INVAL, "mode", "DMARC mode must be "
		    "RFC 7489 or RFC 9989");
	if (len > KN_DMARC_MAX_RECORD)
		return kn_err_set(KN_ERR_TOOBIG, "dmarc", "the DMARC record "
		    "is %zu bytes long; at most %d are read", len,
		    KN_DMARC_MAX_RECORD);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)txt[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return kn_err_set(KN_ERR_INVAL, "dmarc", "byte %zu of "
			    "the DMARC record is a control or non-ASCII "
			    "character (%s)", i + 1, sec_abnf(mode));
	}
	if (!kn_dmarc_record_is_dmarc(txt, len))
		return kn_err_set(KN_ERR_INVAL, "dmarc", "a DMARC record "
		    "must start with the tag v=DMARC1 (%s)", sec_tags(mode));
	for (;;) {
		const char *seg = txt + pos;
		const char *semi = memchr(seg, ';', len - pos);
		size_t n = semi ? (size_t)(semi - seg) : len - pos;
		struct kn_slice t = trim_wsp(seg, n), name, val;
		size_t k;

		pos += n + 1;
		if (t.len == 0) {
			if (semi == NULL)
				break;	/* one trailing ';' is allowed */
			rc = kn_err_set(KN_ERR_INVAL, "dmarc", "the DMARC "
			    "record has an empty tag after tag %zu (two "
			    "semicolons; %s)", ntags, sec_abnf(mode));
			goto out;
		}
		if ((k = tag_name_len(t)) == 0) {
			rc = kn_err_set(KN_ERR_INVAL, "dmarc", "tag %zu of the "
			    "DMARC record, \"%.*s\", does not start with a "
			    "tag name (%s)", ntags + 1, SHOW(t),
			    sec_abnf(mode));
			goto out;
		}
		name.ptr = t.ptr;
		name.len = k;
		while (k < t.len && is_wsp(t.ptr[k]))
			k++;
		if (k >= t.len || t.ptr[k] != '=') {
			rc = kn_err_set(KN_ERR_INVAL, "dmarc", "tag \"%.*s\" "
			    "of the DMARC record has no '=' (%s)", SHOW(name),
			    sec_abnf(mode));
			goto out;
		}
		k++;
		val = trim_wsp(t.ptr + k, t.len - k);
		if (val.len == 0) {
			rc = kn_err_set(KN_ERR_INVAL, "dmarc", "tag \"%.*s\" "
			    "of the DMARC record has an empty value (%s)",
			    SHOW(name), sec_abnf(mode));
			goto out;
		}
		for (i = 0; i < val.len; i++) {
			if (val.ptr[i] == '\t') {
				rc = kn_err_set(KN_ERR_INVAL, "dmarc", "the "
				    "value of tag \"%.*s\" has a tab (%s)",
				    SHOW(name), sec_abnf(mode));
				goto out;
			}
		}
		/* RFC 6376 section 3.2, whose tag=value syntax DMARC uses. */
		for (j = 0; j < ntags; j++) {
			if (ieq2(names[j], name)) {
				rc = kn_err_set(KN_ERR_INVAL, "dmarc", "tag "
				    "\"%.*s\" appears twice in the DMARC "
				    "record (%s; RFC 6376 section 3.2)",
				    SHOW(name), sec_tags(mode));
				goto out;
			}
		}
		if (ntags == KN_DMARC_MAX_TAGS) {
			rc = kn_err_set(KN_ERR_TOOBIG, "dmarc", "the DMARC "
			    "record has more than %d tags", KN_DMARC_MAX_TAGS);
			goto out;
		}
		names[ntags++] = name;
		if (ntags > 1 && (rc = apply_tag(&r, &have_p, policy_err,
		    sizeof(policy_err), name, val, mode)) != 0)
			goto out;
		if (semi == NULL)
			break;
	}
	if (policy_err[0] != '\0' || (!have_p && !r9989)) {
		/*
		 * RFC 7489 section 6.6.3 / RFC 9989 section 4.10.1: no valid
		 * p (or an invalid sp / np): with a valid rua URI act as if
		 * p=none was published, else no DMARC processing.
		 */
		if (r.nrua == 0) {
			rc = kn_err_set(KN_ERR_INVAL, "dmarc", "%s and there "
			    "is no rua URI, so the record cannot apply (%s)",
			    policy_err[0] != '\0' ? policy_err :
			    "the DMARC record has no p tag",
			    sec_p_fallback(mode));
			goto out;
		}
		r.p = KN_DMARC_POLICY_NONE;
		r.sp = r.np = KN_DMARC_POLICY_UNSET;
		r.p_implied = true;
	} else if (!have_p) {
		/* RFC 9989 section 4.7: absent p is p=none. */
		r.p = KN_DMARC_POLICY_NONE;
		r.p_implied = true;
	}
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	kn_dmarc_record_cleanup(&r);
	return rc;
}

/* ------------------------------------------------------------ names */

int
kn_dmarc_spf_parse(enum kn_dmarc_spf *out, const char *s)
{
	static const char *names[] = { "none", "neutral", "pass", "fail",
	    "softfail", "temperror", "permerror" };
	size_t i;

	for (i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum kn_dmarc_spf)i;
			return 0;
		}
	}
	return kn_err_set(KN_ERR_INVAL, "spf", "SPF result \"%.40s\" is not "
	    "one of none, neutral, pass, fail, softfail, temperror, "
	    "permerror (RFC 7208 section 2.6)", s ? s : "");
}

const char *
kn_dmarc_spf_name(enum kn_dmarc_spf r)
{
	switch (r) {
	case KN_DMARC_SPF_NONE: return "none";
	case KN_DMARC_SPF_NEUTRAL: return "neutral";
	case KN_DMARC_SPF_PASS: return "pass";
	case KN_DMARC_SPF_FAIL: return "fail";
	case KN_DMARC_SPF_SOFTFAIL: return "softfail";
	case KN_DMARC_SPF_TEMPERROR: return "temperror";
	case KN_DMARC_SPF_PERMERROR: return "permerror";
	}
	return "none";
}

const char *
kn_dmarc_result_name(enum kn_dmarc_result r)
{
	switch (r) {
	case KN_DMARC_NONE: return "none";
	case KN_DMARC_PASS: return "pass";
	case KN_DMARC_FAIL: return "fail";
	case KN_DMARC_TEMPERROR: return "temperror";
	case KN_DMARC_PERMERROR: return "permerror";
	}
	return "permerror";
}

const char *
kn_dmarc_policy_name(enum kn_dmarc_policy p)
{
	switch (p) {
	case KN_DMARC_POLICY_UNSET: return "unset";
	case KN_DMARC_POLICY_NONE: return "none";
	case KN_DMARC_POLICY_QUARANTINE: return "quarantine";
	case KN_DMARC_POLICY_REJECT: return "reject";
	}
	return "none";
}

/* ------------------------------------------------------------ context */

int
kn_dmarc_new(struct kn_dmarc **out, struct kn_dns *dns,
    enum kn_dmarc_mode mode, const char *psl_file)
{
	struct kn_dmarc *d;

	*out = NULL;
	if (mode != KN_DMARC_RFC7489 && mode != KN_DMARC_RFC9989)
		return kn_err_set(KN_ERR_CONFIG, "dmarc", "the DMARC mode "
		    "must be RFC 7489 or RFC 9989");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return KN_ERR_NOMEM;
	d->dns = dns;
	d->mode = mode;
	if (mode == KN_DMARC_RFC7489) {
		if (psl_file == NULL || *psl_file == '\0')
			psl_file = KN_DMARC_PSL_FILE;
		if ((d->psl = psl_load_file(psl_file)) == NULL) {
			free(d);
			return kn_err_set(KN_ERR_CONFIG, "psl", "cannot load "
			    "the public suffix list %s, which RFC 7489 "
			    "section 3.2 needs (Debian package publicsuffix)",
			    psl_file);
		}
	}
	*out = d;
	return 0;
}

void
kn_dmarc_free(struct kn_dmarc *d)
{
	if (d == NULL)
		return;
	psl_free(d->psl);
	free(d);
}

/*
 * RFC 7489 section 3.2: the public suffix that matches most labels plus
 * one more label.  A name that is itself a public suffix is its own
 * Organizational Domain.
 */
static void
psl_org(const struct kn_dmarc *d, char out[KN_DMARC_DOMAIN_MAX + 1],
    const char *domain)
{
	const char *r = psl_registrable_domain(d->psl, domain);

	snprintf(out, KN_DMARC_DOMAIN_MAX + 1, "%s", r != NULL ? r : domain);
}

/* True when name is dom or a subdomain of it. */
static bool
under(const char *name, const char *dom)
{
	size_t n = strlen(name), m = strlen(dom);

	if (n == m)
		return strcmp(name, dom) == 0;
	return n > m && name[n - m - 1] == '.' &&
	    strcmp(name + n - m, dom) == 0;
}

/* ------------------------------------------------------------ lookups */

enum ans_kind {
	ANS_NONE,	/* no DMARC record */
	ANS_MULTI,	/* several: all discarded */
	ANS_INVALID,	/* one, not valid */
	ANS_VALID,
	ANS_ERROR,	/* the lookup failed */
};

struct answer {
	char			 domain[KN_DMARC_DOMAIN_MAX + 1];
	enum ans_kind		 kind;
	bool			 nxdomain;
	size_t			 ndmarc;
	struct kn_dmarc_record	 rec;
	char			 detail[320];
};

struct eval {
	struct kn_dmarc		*d;
	struct kn_dmarc_verdict	*v;		/* NULL: no verdict kept */
	struct answer		*ans;		/* KN_DMARC_MAX_QUERIES */
	size_t			 nans;
	size_t			 nqueries;
	size_t			 cap_queried;
	bool			 secure;
	char			 from[KN_DMARC_DOMAIN_MAX + 1];
	char			 org[KN_DMARC_DOMAIN_MAX + 1];
	bool			 have_org;
	bool			 psd_policy;	/* the policy is a PSD's */
	char			 note[400];	/* said after a none */
	char			 dns_err[640];	/* last failed lookup */
};

static int
note_query(struct eval *e, const char *name)
{
	int rc;

	if (e->v == NULL)
		return 0;
	if ((rc = kn_reserve(&e->v->queried, &e->cap_queried, e->v->nqueried,
	    sizeof(char *), KN_DMARC_MAX_QUERIES + 1)) != 0)
		return rc;
	if ((e->v->queried[e->v->nqueried] = strdup(name)) == NULL)
		return KN_ERR_NOMEM;
	e->v->nqueried++;
	return 0;
}

static int
spend_query(struct eval *e)
{
	if (e->nqueries >= KN_DMARC_MAX_QUERIES)
		return kn_err_set(KN_ERR_TOOBIG, "dmarc", "one DMARC verdict "
		    "may make at most %d DNS queries", KN_DMARC_MAX_QUERIES);
	e->nqueries++;
	return 0;
}

/*
 * The DMARC records at _dmarc.<domain>, asked once per verdict.  Returns
 * the answer's index, KN_ERR_TOOBIG when the query budget is spent, or
 * KN_ERR_NOMEM.  A failed lookup is an answer (ANS_ERROR).
 */
static int
lookup(struct eval *e, const char *domain)
{
	struct kn_dns_txt t;
	struct answer *a;
	char qname[KN_DMARC_DOMAIN_MAX + 8];
	size_t i, which = 0;
	int rc, idx;

	for (i = 0; i < e->nans; i++) {
		if (strcmp(e->ans[i].domain, domain) == 0)
			return (int)i;
	}
	if (e->nans == KN_DMARC_MAX_QUERIES || (rc = spend_query(e)) != 0)
		return KN_ERR_TOOBIG;
	idx = (int)e->nans++;
	a = &e->ans[idx];
	memset(a, 0, sizeof(*a));
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	snprintf(qname, sizeof(qname), "_dmarc.%s", domain);
	if ((rc = note_query(e, qname)) != 0)
		return rc;
	if (strlen(qname) > KN_DMARC_DOMAIN_MAX) {
		/* No such name can exist (RFC 1035 section 2.3.4). */
		a->kind = ANS_NONE;
		a->nxdomain = true;
		return idx;
	}
	if (e->d->dns == NULL) {
		a->kind = ANS_ERROR;
		e->secure = false;
		snprintf(a->detail, sizeof(a->detail), "no DNS resolver to "
		    "look up %s", qname);
		return idx;
	}
	if ((rc = kn_dns_txt(e->d->dns, qname, &t)) != 0) {
		a->kind = ANS_ERROR;
		e->secure = false;
		snprintf(a->detail, sizeof(a->detail), "%s", kn_err_msg(rc));
		return idx;
	}
	a->nxdomain = t.nxdomain;
	if (!t.secure)
		e->secure = false;
	for (i = 0; i < t.n; i++) {
		if (kn_dmarc_record_is_dmarc(t.txt[i], strlen(t.txt[i]))) {
			a->ndmarc++;
			which = i;
		}
	}
	if (a->ndmarc == 0)
		a->kind = ANS_NONE;
	else if (a->ndmarc > 1)
		a->kind = ANS_MULTI;
	else if ((rc = kn_dmarc_record_parse(&a->rec, t.txt[which],
	    strlen(t.txt[which]), e->d->mode)) == 0)
		a->kind = ANS_VALID;
	else if (rc == KN_ERR_NOMEM) {
		kn_dns_txt_cleanup(&t);
		return rc;
	} else {
		a->kind = ANS_INVALID;
		snprintf(a->detail, sizeof(a->detail), "%s", kn_err_msg(rc));
	}
	kn_dns_txt_cleanup(&t);
	return idx;
}

struct walk {
	char	org[KN_DMARC_DOMAIN_MAX + 1];
	int	psd;	/* answer with psd=y above the start, or -1 */
	int	bad;	/* answer that stopped the walk, or -1 */
};

/*
 * The DNS Tree Walk from domain (RFC 9989 section 4.10) and its
 * Organizational Domain (section 4.10.2).  With strict, an invalid record
 * stops the walk (policy discovery); else it counts as no record.
 * Returns 0, KN_ERR_DNS (w->bad failed), KN_ERR_INVAL (w->bad is
 * invalid), KN_ERR_TOOBIG or KN_ERR_NOMEM.
 */
static int
walk(struct eval *e, struct walk *w, const char *domain, bool strict)
{
	struct {
		int	ans;
		size_t	labels;
	} found[KN_DMARC_WALK_MAX];
	size_t starts[KN_DMARC_DOMAIN_MAX / 2 + 2], nlabels = 0, nfound = 0;
	size_t i, k, len = strlen(domain);
	int a;

	w->psd = w->bad = -1;
	snprintf(w->org, sizeof(w->org), "%s", domain);
	starts[nlabels++] = 0;
	for (i = 0; i < len && nlabels < sizeof(starts) / sizeof(starts[0]);
	    i++) {
		if (domain[i] == '.')
			starts[nlabels++] = i + 1;
	}
	/*
	 * Targets: the domain, then (step 4) its suffix of at most 7
	 * labels, then one label fewer each time: at most 8 queries.
	 */
	k = nlabels;
	while (k >= 1 && nfound < KN_DMARC_WALK_MAX) {
		struct answer *an;

		if ((a = lookup(e, domain + starts[nlabels - k])) < 0)
			return a;
		an = &e->ans[a];
		if (an->kind == ANS_ERROR) {
			w->bad = a;
			return KN_ERR_DNS;
		}
		if (an->kind == ANS_INVALID && strict) {
			w->bad = a;
			return KN_ERR_INVAL;
		}
		if (an->kind == ANS_VALID) {
			found[nfound].ans = a;
			found[nfound].labels = k;
			nfound++;
			/* Steps 2 and 6: a psd=y or psd=n record stops. */
			if (an->rec.psd == 'y' || an->rec.psd == 'n')
				break;
		}
		if (k == nlabels)
			k = nlabels - 1 < KN_DMARC_WALK_MAX - 1 ?
			    nlabels - 1 : KN_DMARC_WALK_MAX - 1;
		else
			k--;
	}
	/* Section 4.10.2, from the longest name to the shortest. */
	for (i = 0; i < nfound; i++) {
		const struct kn_dmarc_record *r = &e->ans[found[i].ans].rec;

		if (r->psd == 'n') {
			snprintf(w->org, sizeof(w->org), "%s",
			    e->ans[found[i].ans].domain);
			return 0;
		}
		if (r->psd == 'y' && found[i].labels != nlabels) {
			w->psd = found[i].ans;
			snprintf(w->org, sizeof(w->org), "%s", domain +
			    starts[nlabels - (found[i].labels + 1)]);
			return 0;
		}
	}
	if (nfound > 0)
		snprintf(w->org, sizeof(w->org), "%s",
		    e->ans[found[nfound - 1].ans].domain);
	return 0;
}

int
kn_dmarc_org_domain(struct kn_dmarc *d, char out[KN_DMARC_DOMAIN_MAX + 1],
    const char *domain)
{
	struct eval e;
	struct walk w;
	char dom[KN_DOMAIN_MAX + 1];
	size_t i;
	int rc;

	if ((rc = kn_domain_parse(dom, domain)) != 0)
		return rc;
	if (d->mode == KN_DMARC_RFC7489) {
		psl_org(d, out, dom);
		return 0;
	}
	memset(&e, 0, sizeof(e));
	e.d = d;
	e.secure = true;
	if ((e.ans = calloc(KN_DMARC_MAX_QUERIES, sizeof(*e.ans))) == NULL)
		return KN_ERR_NOMEM;
	rc = walk(&e, &w, dom, false);
	if (rc == KN_ERR_DNS)
		rc = kn_err_set(KN_ERR_DNS, "domain", "DNS Tree Walk for %s: "
		    "lookup of _dmarc.%s failed: %s", dom,
		    e.ans[w.bad].domain, e.ans[w.bad].detail);
	else if (rc == 0)
		snprintf(out, KN_DMARC_DOMAIN_MAX + 1, "%s", w.org);
	for (i = 0; i < e.nans; i++)
		kn_dmarc_record_cleanup(&e.ans[i].rec);
	free(e.ans);
	return rc;
}

/* ------------------------------------------------------------ verdict */

static void KN_PRINTF(2, 3)
say(struct kn_dmarc_verdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

static void KN_PRINTF(2, 3)
add(struct kn_dmarc_verdict *v, const char *fmt, ...)
{
	size_t n = strlen(v->reason);
	va_list ap;

	if (n + 1 >= sizeof(v->reason))
		return;
	va_start(ap, fmt);
	vsnprintf(v->reason + n, sizeof(v->reason) - n, fmt, ap);
	va_end(ap);
}

/* At most 100 printable ASCII characters of s, others as '?'. */
static void
printable(char out[104], const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 100; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ?
		    s[i] : '?';
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static const char *
sec_dns(enum kn_dmarc_mode m)
{
	return m == KN_DMARC_RFC7489 ? "RFC 7489 section 6.6.3" :
	    "RFC 9989 section 5.3.6";
}

static enum kn_dmarc_policy
lower(enum kn_dmarc_policy p)
{
	return p == KN_DMARC_POLICY_REJECT ? KN_DMARC_POLICY_QUARANTINE :
	    KN_DMARC_POLICY_NONE;
}

/* Verdict for a failed lookup or an invalid record; returns 1. */
static int
stop_at(struct eval *e, int a, int rc)
{
	struct kn_dmarc_verdict *v = e->v;
	const struct answer *an = &e->ans[a];

	if (rc == KN_ERR_INVAL || an->kind == ANS_INVALID) {
		v->result = KN_DMARC_PERMERROR;
		say(v, "the DMARC record at _dmarc.%s is invalid, so the "
		    "policy of the From domain %s cannot be known: %s",
		    an->domain, e->from, an->detail);
	} else {
		v->result = KN_DMARC_TEMPERROR;
		say(v, "DMARC cannot decide for the From domain %s: the DNS "
		    "lookup of _dmarc.%s failed (%s): %s", e->from,
		    an->domain, sec_dns(e->d->mode), an->detail);
	}
	return 1;
}

static int
no_policy(struct eval *e)
{
	struct kn_dmarc_verdict *v = e->v;
	size_t i;

	v->result = KN_DMARC_NONE;
	say(v, "no DMARC policy applies to the From domain %s: no DMARC "
	    "record at ", e->from);
	for (i = 0; i < v->nqueried; i++)
		add(v, "%s%s", i > 0 ? ", " : "", v->queried[i]);
	if (e->note[0] != '\0')
		add(v, "; %s", e->note);
	return 1;
}

static int
budget_spent(struct eval *e)
{
	e->v->result = KN_DMARC_TEMPERROR;
	say(e->v, "DMARC cannot decide for the From domain %s: it would "
	    "take more than %d DNS queries", e->from, KN_DMARC_MAX_QUERIES);
	return 1;
}

/*
 * Whether the From domain exists (RFC 9989 section 3.2.13: NXDOMAIN
 * means it and everything below it do not).  Returns 0, KN_ERR_DNS
 * (e->dns_err says why), KN_ERR_TOOBIG or KN_ERR_NOMEM.
 */
static int
from_nxdomain(struct eval *e, bool *nx)
{
	struct kn_dns_txt t;
	int a, rc;

	if ((a = lookup(e, e->from)) < 0)
		return a;
	/* An answer other than NXDOMAIN for _dmarc.F means F exists. */
	if (e->ans[a].kind != ANS_ERROR && !e->ans[a].nxdomain) {
		*nx = false;
		return 0;
	}
	if ((rc = spend_query(e)) != 0)
		return rc;
	if ((rc = note_query(e, e->from)) != 0)
		return rc;
	if (e->d->dns == NULL) {
		snprintf(e->dns_err, sizeof(e->dns_err), "no DNS resolver");
		return KN_ERR_DNS;
	}
	if ((rc = kn_dns_txt(e->d->dns, e->from, &t)) != 0) {
		e->secure = false;
		snprintf(e->dns_err, sizeof(e->dns_err), "%s", kn_err_msg(rc));
		return KN_ERR_DNS;
	}
	if (!t.secure)
		e->secure = false;
	*nx = t.nxdomain;
	kn_dns_txt_cleanup(&t);
	return 0;
}

/*
 * Which tag of the policy record at answer a governs the From domain:
 * p at the domain itself; for a subdomain, np when it does not exist
 * (RFC 9989), else sp, else p.  Returns 0, 1 (a verdict was given) or
 * KN_ERR_NOMEM.
 */
static int
choose_tag(struct eval *e, int a)
{
	struct kn_dmarc_verdict *v = e->v;
	const struct kn_dmarc_record *r = &e->ans[a].rec;
	bool nx = false;
	int rc;

	snprintf(v->policy_domain, sizeof(v->policy_domain), "%s",
	    e->ans[a].domain);
	if (strcmp(e->ans[a].domain, e->from) == 0) {
		v->policy_tag = "p";
		v->requested = r->p;
		return 0;
	}
	if (e->d->mode == KN_DMARC_RFC9989 && r->np != KN_DMARC_POLICY_UNSET) {
		rc = from_nxdomain(e, &nx);
		if (rc == KN_ERR_NOMEM)
			return rc;
		if (rc == KN_ERR_TOOBIG)
			return budget_spent(e);
		if (rc != 0) {
			v->result = KN_DMARC_TEMPERROR;
			say(v, "DMARC cannot decide for the From domain %s: "
			    "whether it exists (for np= of %s) is unknown: %s "
			    "(%s)", e->from, e->ans[a].domain, e->dns_err,
			    sec_dns(e->d->mode));
			return 1;
		}
		v->from_nxdomain = nx;
		if (nx) {
			v->policy_tag = "np";
			v->requested = r->np;
			return 0;
		}
	}
	if (r->sp != KN_DMARC_POLICY_UNSET) {
		v->policy_tag = "sp";
		v->requested = r->sp;
	} else {
		v->policy_tag = "p";
		v->requested = r->p;
	}
	return 0;
}

/* RFC 7489 section 6.6.3.  Returns the policy answer, 1+ (decided: as
 * -1 - verdict), or a negative error; see discover(). */
static int
discover_7489(struct eval *e, int *pol)
{
	int a;

	if ((a = lookup(e, e->from)) < 0)
		return a == KN_ERR_TOOBIG ? budget_spent(e) : a;
	psl_org(e->d, e->org, e->from);
	e->have_org = true;
	snprintf(e->v->org_domain, sizeof(e->v->org_domain), "%s", e->org);
	if (e->ans[a].kind == ANS_NONE && strcmp(e->org, e->from) != 0) {
		/* Step 4: none at the From domain: the Organizational one. */
		if ((a = lookup(e, e->org)) < 0)
			return a == KN_ERR_TOOBIG ? budget_spent(e) : a;
	}
	switch (e->ans[a].kind) {
	case ANS_ERROR:
	case ANS_INVALID:
		return stop_at(e, a, 0);
	case ANS_MULTI:
		e->v->result = KN_DMARC_NONE;
		say(e->v, "no DMARC policy applies to the From domain %s: "
		    "_dmarc.%s has %zu DMARC records, and then none applies "
		    "(RFC 7489 section 6.6.3)", e->from, e->ans[a].domain,
		    e->ans[a].ndmarc);
		return 1;
	case ANS_NONE:
		return no_policy(e);
	case ANS_VALID:
		break;
	}
	*pol = a;
	return 0;
}

/* RFC 9989 section 4.10.1. */
static int
discover_9989(struct eval *e, int *pol)
{
	struct walk w;
	int a, rc;

	if ((a = lookup(e, e->from)) < 0)
		return a == KN_ERR_TOOBIG ? budget_spent(e) : a;
	switch (e->ans[a].kind) {
	case ANS_ERROR:
	case ANS_INVALID:
		return stop_at(e, a, 0);
	case ANS_VALID:
		*pol = a;
		return 0;
	case ANS_MULTI:
		snprintf(e->note, sizeof(e->note), "the %zu DMARC records at "
		    "_dmarc.%s were all discarded (RFC 9989 section 4.10)",
		    e->ans[a].ndmarc, e->from);
		break;
	case ANS_NONE:
		break;
	}
	rc = walk(e, &w, e->from, true);
	if (rc == KN_ERR_DNS || rc == KN_ERR_INVAL)
		return stop_at(e, w.bad, rc);
	if (rc == KN_ERR_TOOBIG)
		return budget_spent(e);
	if (rc != 0)
		return rc;
	snprintf(e->org, sizeof(e->org), "%s", w.org);
	e->have_org = true;
	snprintf(e->v->org_domain, sizeof(e->v->org_domain), "%s", e->org);
	/* The Organizational Domain's record, else the PSD's. */
	if (strcmp(e->org, e->from) != 0) {
		if ((a = lookup(e, e->org)) < 0)
			return a == KN_ERR_TOOBIG ? budget_spent(e) : a;
		if (e->ans[a].kind == ANS_ERROR ||
		    e->ans[a].kind == ANS_INVALID)
			return stop_at(e, a, 0);
		if (e->ans[a].kind == ANS_VALID) {
			*pol = a;
			return 0;
		}
	}
	if (w.psd >= 0) {
		e->psd_policy = true;
		*pol = w.psd;
		return 0;
	}
	return no_policy(e);
}

/* The Organizational Domain of the From domain, once. */
static int
from_org(struct eval *e)
{
	struct walk w;
	int rc;

	if (e->have_org)
		return 0;
	if (e->d->mode == KN_DMARC_RFC7489)
		psl_org(e->d, e->org, e->from);
	else {
		if ((rc = walk(e, &w, e->from, false)) != 0) {
			if (rc == KN_ERR_DNS)
				snprintf(e->dns_err, sizeof(e->dns_err),
				    "_dmarc.%s: %s", e->ans[w.bad].domain,
				    e->ans[w.bad].detail);
			return rc;
		}
		snprintf(e->org, sizeof(e->org), "%s", w.org);
	}
	e->have_org = true;
	snprintf(e->v->org_domain, sizeof(e->v->org_domain), "%s", e->org);
	return 0;
}

/*
 * Identifier alignment of id with the From domain (RFC 7489 section 3.1,
 * RFC 9989 section 4.4): strict is equality; relaxed is the same
 * Organizational Domain.  Returns 0 with *ok, KN_ERR_DNS (e->dns_err),
 * KN_ERR_TOOBIG or KN_ERR_NOMEM.
 */
static int
align(struct eval *e, bool strict, const char *id, bool *ok)
{
	char org[KN_DMARC_DOMAIN_MAX + 1];
	struct walk w;
	int rc;

	*ok = false;
	if (strcmp(id, e->from) == 0) {
		*ok = true;
		return 0;
	}
	if (strict)
		return 0;
	if ((rc = from_org(e)) != 0)
		return rc;
	if (e->d->mode == KN_DMARC_RFC7489) {
		psl_org(e->d, org, id);
		*ok = strcmp(org, e->org) == 0;
		return 0;
	}
	/* Its Organizational Domain is a suffix of id: no walk needed. */
	if (!under(id, e->org))
		return 0;
	if ((rc = walk(e, &w, id, false)) != 0) {
		if (rc == KN_ERR_DNS)
			snprintf(e->dns_err, sizeof(e->dns_err),
			    "_dmarc.%s: %s", e->ans[w.bad].domain,
			    e->ans[w.bad].detail);
		return rc;
	}
	*ok = strcmp(w.org, e->org) == 0;
	return 0;
}

/* The first part of every pass / fail reason: who asks for what. */
static void
policy_sentence(struct eval *e, const struct kn_dmarc_record *r)
{
	struct kn_dmarc_verdict *v = e->v;
	const char *pol = kn_dmarc_policy_name(v->requested);

	if (strcmp(v->policy_tag, "np") == 0)
		say(v, "the From domain %s does not exist (NXDOMAIN), %s%s "
		    "publishes np=%s for non-existent subdomains", e->from,
		    e->psd_policy ? "the public suffix domain " : "",
		    v->policy_domain, pol);
	else if (strcmp(v->policy_domain, e->from) == 0)
		say(v, "the From domain %s publishes p=%s", e->from, pol);
	else
		say(v, "the From domain %s falls under %s%s, which publishes "
		    "%s=%s", e->from, e->psd_policy ?
		    "the public suffix domain " : "", v->policy_domain,
		    v->policy_tag, pol);
	if (r->p_implied && strcmp(v->policy_tag, "p") == 0)
		add(v, " (implied: the record has no valid p tag)");
}

static const char *
mode_word(bool strict)
{
	return strict ? "strict" : "relaxed";
}

int
kn_dmarc_eval(struct kn_dmarc *d, struct kn_dmarc_verdict *v,
    const struct kn_dmarc_input *in)
{
	struct eval e;
	const struct kn_dmarc_record *r;
	char dom[KN_DOMAIN_MAX + 1], shown[104], unaligned[KN_DOMAIN_MAX + 1];
	const char *spf_id;
	size_t i, npass = 0, considered = 0;
	bool dns_failed = false, spent = false, ok, spf_valid = false;
	int rc = 0, pol = -1, pass;

	memset(v, 0, sizeof(*v));
	v->mode = d->mode;
	v->policy = KN_DMARC_POLICY_NONE;
	memset(&e, 0, sizeof(e));
	e.d = d;
	e.v = v;
	e.secure = true;
	unaligned[0] = '\0';
	if ((e.ans = calloc(KN_DMARC_MAX_QUERIES, sizeof(*e.ans))) == NULL)
		return KN_ERR_NOMEM;

	/* RFC 9989 section 5.3.1: exactly one Author Domain. */
	if (in->from_domain == NULL ||
	    kn_domain_parse(e.from, in->from_domain) != 0) {
		printable(shown, in->from_domain ? in->from_domain : "");
		v->result = KN_DMARC_PERMERROR;
		say(v, "the From domain \"%s\" is not one valid domain name, "
		    "so DMARC cannot apply and the message cannot pass "
		    "(RFC 9989 section 5.3.1)", shown);
		goto out;
	}
	snprintf(v->from_domain, sizeof(v->from_domain), "%s", e.from);

	rc = d->mode == KN_DMARC_RFC7489 ? discover_7489(&e, &pol) :
	    discover_9989(&e, &pol);
	if (rc == 0)
		rc = choose_tag(&e, pol);
	if (rc != 0) {
		if (rc > 0)
			rc = 0;
		goto out;
	}
	r = &e.ans[pol].rec;
	v->have_record = true;

	/* DKIM: identical d= first (no DNS), then relaxed candidates. */
	for (pass = 0; pass < 2 && !(v->aligned & KN_DMARC_ALIGNED_DKIM);
	    pass++) {
		for (i = 0; i < in->ndkim; i++) {
			const struct kn_dmarc_dkim *k = &in->dkim[i];
			bool same;

			if (!k->pass || k->domain == NULL ||
			    kn_domain_parse(dom, k->domain) != 0)
				continue;
			same = strcmp(dom, e.from) == 0;
			if (pass == 0)
				npass++;
			if ((pass == 0) != same)
				continue;
			if (pass == 1 && ++considered > KN_DMARC_MAX_DKIM)
				break;
			rc = align(&e, r->adkim_strict, dom, &ok);
			if (rc == KN_ERR_NOMEM)
				goto out;
			if (rc == KN_ERR_DNS)
				dns_failed = true;
			else if (rc == KN_ERR_TOOBIG)
				spent = true;
			rc = 0;
			if (ok) {
				v->aligned |= KN_DMARC_ALIGNED_DKIM;
				snprintf(v->dkim_domain,
				    sizeof(v->dkim_domain), "%s", dom);
				break;
			}
			if (unaligned[0] == '\0')
				snprintf(unaligned, sizeof(unaligned), "%s",
				    dom);
		}
	}

	/*
	 * SPF: the MAIL FROM identity only; the HELO domain stands in for
	 * it only when the reverse-path is null (RFC 7208 section 2.4).
	 */
	v->spf_helo = in->mailfrom_domain == NULL ||
	    in->mailfrom_domain[0] == '\0';
	spf_id = v->spf_helo ? in->helo_domain : in->mailfrom_domain;
	if (spf_id != NULL && kn_domain_parse(dom, spf_id) == 0) {
		spf_valid = true;
		snprintf(v->spf_domain, sizeof(v->spf_domain), "%s", dom);
	}
	if (spf_valid && in->spf == KN_DMARC_SPF_PASS) {
		rc = align(&e, r->aspf_strict, v->spf_domain, &ok);
		if (rc == KN_ERR_NOMEM)
			goto out;
		if (rc == KN_ERR_DNS)
			dns_failed = true;
		else if (rc == KN_ERR_TOOBIG)
			spent = true;
		rc = 0;
		if (ok)
			v->aligned |= KN_DMARC_ALIGNED_SPF;
	}

	policy_sentence(&e, r);
	if (v->aligned != 0) {
		v->result = KN_DMARC_PASS;
		v->policy = KN_DMARC_POLICY_NONE;
		add(v, ", and ");
		if (v->aligned & KN_DMARC_ALIGNED_DKIM)
			add(v, "the DKIM signature of %s aligned with it "
			    "(%s)%s", v->dkim_domain,
			    mode_word(r->adkim_strict),
			    (v->aligned & KN_DMARC_ALIGNED_SPF) ? " and " : "");
		if (v->aligned & KN_DMARC_ALIGNED_SPF)
			add(v, "the SPF pass for the %s domain %s aligned with "
			    "it (%s)", v->spf_helo ? "HELO" : "MAIL FROM",
			    v->spf_domain, mode_word(r->aspf_strict));
		goto out;
	}
	if (dns_failed) {
		v->result = KN_DMARC_TEMPERROR;
		v->policy = KN_DMARC_POLICY_NONE;
		add(v, ", but whether an identifier aligns with it is "
		    "unknown: the DNS lookup of %s failed (%s)", e.dns_err,
		    sec_dns(d->mode));
		goto out;
	}
	v->result = KN_DMARC_FAIL;
	add(v, " and no DKIM signature or SPF result aligned with it");
	if (npass == 0)
		add(v, "; no DKIM signature passed");
	else if (unaligned[0] != '\0')
		add(v, "; the DKIM signature of %s passed but is not aligned "
		    "(adkim=%s)", unaligned, r->adkim_strict ? "s" : "r");
	if (!spf_valid)
		add(v, "; SPF has no valid domain");
	else if (in->spf != KN_DMARC_SPF_PASS)
		add(v, "; SPF %s for the %s domain %s",
		    kn_dmarc_spf_name(in->spf), v->spf_helo ? "HELO" :
		    "MAIL FROM", v->spf_domain);
	else
		add(v, "; the SPF pass for the %s domain %s is not aligned "
		    "(aspf=%s)", v->spf_helo ? "HELO" : "MAIL FROM",
		    v->spf_domain, r->aspf_strict ? "s" : "r");
	if (spent || considered > KN_DMARC_MAX_DKIM)
		add(v, "; some identifiers were not checked (at most %d DNS "
		    "queries and %d DKIM signatures per message)",
		    KN_DMARC_MAX_QUERIES, KN_DMARC_MAX_DKIM);
	v->policy = v->requested;
	if (d->mode == KN_DMARC_RFC9989 && r->testing &&
	    v->policy != KN_DMARC_POLICY_NONE) {
		v->policy = lower(v->requested);
		add(v, "; t=y (the owner is testing): %s instead of %s",
		    kn_dmarc_policy_name(v->policy),
		    kn_dmarc_policy_name(v->requested));
	}
	if (d->mode == KN_DMARC_RFC7489 && r->pct < 100 &&
	    v->policy != KN_DMARC_POLICY_NONE) {
		int s = in->sample;
		uint32_t x;

		if (s < 0 || s > 99)
			s = kn_random(&x, sizeof(x)) == 0 ? (int)(x % 100) : 0;
		if (s >= r->pct) {
			v->policy = lower(v->requested);
			add(v, "; pct=%d and this message is outside the "
			    "sampled share (RFC 7489 section 6.6.4): %s "
			    "instead of %s", r->pct,
			    kn_dmarc_policy_name(v->policy),
			    kn_dmarc_policy_name(v->requested));
		} else
			add(v, "; pct=%d and this message is in the sampled "
			    "share", r->pct);
	}
out:
	if (pol >= 0 && v->have_record) {
		v->record = e.ans[pol].rec;
		memset(&e.ans[pol].rec, 0, sizeof(e.ans[pol].rec));
	}
	v->dnssec = e.nqueries > 0 && e.secure;
	for (i = 0; i < e.nans; i++)
		kn_dmarc_record_cleanup(&e.ans[i].rec);
	free(e.ans);
	return rc;
}

void
kn_dmarc_verdict_cleanup(struct kn_dmarc_verdict *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nqueried; i++)
		free(v->queried[i]);
	free(v->queried);
	kn_dmarc_record_cleanup(&v->record);
	memset(v, 0, sizeof(*v));
}
