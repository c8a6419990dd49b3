/*
 * spf.c - RFC 7208 check_host(): the record parser (sections 4.5, 4.6,
 * 5, 6), the macro expander (section 7) and the evaluation with its
 * processing limits (section 4.6.4).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/spf.h"

/* Internal outcomes of the evaluation, beside 0 (no match) and 1. */
#define E_TEMP	(-1000)		/* temperror; the reason is written */
#define E_PERM	(-1001)		/* permerror; the reason is written */

#define MAX_DEPTH	24	/* include/redirect nesting (the 10-lookup
				   limit stops it earlier) */
#define MAX_PARTS	(KN_SPF_SENDER_MAX + 2)	/* macro value parts */

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* p[0..n) equals the lower-case literal lit, in any case. */
static bool
ieq(const char *p, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lit[i] == '\0' || to_lower((unsigned char)p[i]) != lit[i])
			return false;
	}
	return lit[n] == '\0';
}

const char *
kn_spf_result_str(enum kn_spf_result r)
{
	switch (r) {
	case KN_SPF_NONE:
		return "none";
	case KN_SPF_NEUTRAL:
		return "neutral";
	case KN_SPF_PASS:
		return "pass";
	case KN_SPF_FAIL:
		return "fail";
	case KN_SPF_SOFTFAIL:
		return "softfail";
	case KN_SPF_TEMPERROR:
		return "temperror";
	case KN_SPF_PERMERROR:
		return "permerror";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* Macros (RFC 7208 section 7).                                        */

/*
 * macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" /
 * "t" / "v"; c, r and t only in exp text (section 7.2).
 */
static bool
valid_letter(int c, enum kn_spf_macro_mode mode)
{
	if (c == '\0')
		return false;
	if (strchr("slodiphv", c) != NULL)
		return true;
	if (strchr("crt", c) != NULL)
		return mode != KN_SPF_DOMAIN_SPEC;
	return false;
}

/* delimiter = "." / "-" / "+" / "," / "/" / "_" / "=" */
static bool
is_delim(int c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

/* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986) */
static bool
is_unreserved(int c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* The text a macro letter stands for; tmp holds computed values. */
static const char *
letter_value(const struct kn_spf_macros *m, int c, char *tmp, size_t tmpsz)
{
	const char *v = NULL;
	size_t o = 0;
	int i;

	switch (c) {
	case 's':
		v = m->sender;
		break;
	case 'l':
		v = m->local;
		break;
	case 'o':
		v = m->sender_domain;
		break;
	case 'd':
		v = m->domain;
		break;
	case 'h':
		v = m->helo;
		break;
	case 'p':
		v = m->ptr != NULL ? m->ptr : "unknown";
		break;
	case 'r':
		v = m->receiver != NULL && *m->receiver != '\0' ?
		    m->receiver : "unknown";
		break;
	case 'v':
		v = m->family == 6 ? "ip6" : "in-addr";
		break;
	case 't':
		snprintf(tmp, tmpsz, "%lld", m->now);
		v = tmp;
		break;
	case 'c':
		if (inet_ntop(m->family == 6 ? AF_INET6 : AF_INET, m->ip,
		    tmp, (socklen_t)tmpsz) == NULL)
			tmp[0] = '\0';
		v = tmp;
		break;
	case 'i':
		/*
		 * IPv4: dotted quad.  IPv6: 32 dot-separated nibbles, for
		 * use in %{ir} (section 7.3; lower case as in 7.4).
		 */
		if (m->family != 6) {
			if (inet_ntop(AF_INET, m->ip, tmp,
			    (socklen_t)tmpsz) == NULL)
				tmp[0] = '\0';
			v = tmp;
			break;
		}
		for (i = 0; i < 16 && o + 4 < tmpsz; i++) {
			o += (size_t)snprintf(tmp + o, tmpsz - o, "%x.%x.",
			    m->ip[i] >> 4, m->ip[i] & 0xf);
		}
		if (o > 0)
			tmp[o - 1] = '\0';
		v = tmp;
		break;
	}
	return v != NULL ? v : "";
}

/*
 * Splits value on the delimiters (default "."), reverses the parts when
 * asked, keeps the rightmost `keep' (0: all) and joins them with "."
 * (section 7.3); URL-escapes the result for an upper-case letter.
 */
static int
put_value(struct kn_buf *out, const char *v, const char *delims,
    unsigned keep, bool reverse, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t off[MAX_PARTS], len[MAX_PARTS];
	size_t n = 0, i, start = 0, first, vlen = strlen(v);
	int rc;

	for (i = 0; i <= vlen; i++) {
		if (i < vlen && !(delims[0] == '\0' ? v[i] == '.' :
		    strchr(delims, v[i]) != NULL))
			continue;
		if (n == MAX_PARTS)
			return kn_err_set(KN_ERR_TOOBIG, "macro", "a macro "
			    "value has more than %d parts", MAX_PARTS);
		off[n] = start;
		len[n] = i - start;
		n++;
		start = i + 1;
	}
	if (reverse) {
		for (i = 0; i < n / 2; i++) {
			size_t o = off[i], l = len[i];

			off[i] = off[n - 1 - i];
			len[i] = len[n - 1 - i];
			off[n - 1 - i] = o;
			len[n - 1 - i] = l;
		}
	}
	first = keep != 0 && keep < n ? n - keep : 0;
	for (i = first; i < n; i++) {
		size_t j;

		if (i > first && (rc = kn_buf_add(out, ".", 1)) != 0)
			return rc;
		if (!escape) {
			if ((rc = kn_buf_add(out, v + off[i], len[i])) != 0)
				return rc;
			continue;
		}
		for (j = 0; j < len[i]; j++) {
			unsigned char c = (unsigned char)v[off[i] + j];
			char e[3] = { '%', hex[c >> 4], hex[c & 0xf] };

			if (is_unreserved(c))
				rc = kn_buf_add(out, &c, 1);
			else
				rc = kn_buf_add(out, e, 3);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int
macro_error(size_t at, const char *what)
{
	return kn_err_set(KN_ERR_INVAL, "macro", "macro syntax error at "
	    "character %zu: %s (RFC 7208 section 7.1)", at + 1, what);
}

int
kn_spf_expand(struct kn_buf *out, const struct kn_spf_macros *m,
    const char *s, size_t len, enum kn_spf_macro_mode mode)
{
	char tmp[80], delims[8];
	size_t i = 0;
	int rc;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		unsigned keep = 0;
		size_t at = i, nd = 0;
		bool reverse = false, upper;
		int letter;

		if (c != '%') {
			/* macro-literal = %x21-24 / %x26-7E; SP in
			 * explain-string only. */
			if (c < 0x21 || c > 0x7e) {
				if (!(c == ' ' && mode ==
				    KN_SPF_EXPLAIN_STRING))
					return macro_error(i, c == ' ' ?
					    "a space" : "a byte that is not "
					    "visible US-ASCII");
			}
			if (out != NULL && (rc = kn_buf_add(out, s + i,
			    1)) != 0)
				return rc;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return macro_error(i, "'%' at the end");
		if (s[i + 1] != '{') {
			const char *lit;

			if (s[i + 1] == '%')
				lit = "%";
			else if (s[i + 1] == '_')
				lit = " ";
			else if (s[i + 1] == '-')
				lit = "%20";
			else
				return macro_error(i, "'%' not followed by "
				    "'{', '%', '-' or '_'");
			if (out != NULL && (rc = kn_buf_addstr(out,
			    lit)) != 0)
				return rc;
			i += 2;
			continue;
		}
		i += 2;
		if (i >= len)
			return macro_error(at, "unterminated %{");
		letter = to_lower((unsigned char)s[i]);
		upper = s[i] >= 'A' && s[i] <= 'Z';
		if (!valid_letter(letter, mode))
			return macro_error(at, strchr("crt", letter) != NULL ?
			    "%{c}, %{r} and %{t} belong in exp= text only" :
			    "unknown macro letter");
		i++;
		if (i < len && is_digit((unsigned char)s[i])) {
			if (s[i] == '0')
				return macro_error(at, "the number of parts "
				    "must be nonzero");
			while (i < len && is_digit((unsigned char)s[i])) {
				if (keep < 100000)
					keep = keep * 10 +
					    (unsigned)(s[i] - '0');
				i++;
			}
		}
		if (i < len && (s[i] == 'r' || s[i] == 'R')) {
			reverse = true;
			i++;
		}
		delims[0] = '\0';
		while (i < len && is_delim((unsigned char)s[i])) {
			if (nd + 1 < sizeof(delims) &&
			    strchr(delims, s[i]) == NULL)
				delims[nd++] = s[i];
			delims[nd] = '\0';
			i++;
		}
		delims[nd] = '\0';
		if (i >= len || s[i] != '}')
			return macro_error(at, "bad transformer or delimiter, "
			    "or no closing '}'");
		i++;
		if (out == NULL || m == NULL)
			continue;
		if ((rc = put_value(out, letter_value(m, letter, tmp,
		    sizeof(tmp)), delims, keep, reverse, upper)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The record parser.                                                  */

bool
kn_spf_is_record(const char *txt, size_t len)
{
	return len >= 6 && ieq(txt, 6, "v=spf1") &&
	    (len == 6 || txt[6] == ' ');
}

static int
term_error(const char *t, size_t n, size_t no, const char *sect,
    const char *fmt, ...) KN_PRINTF(5, 6);

static int
term_error(const char *t, size_t n, size_t no, const char *sect,
    const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kn_err_set(KN_ERR_INVAL, "record", "term %zu \"%.*s\": %s "
	    "(RFC 7208 section %s)", no, (int)(n > 80 ? 80 : n), t, what,
	    sect);
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 */
static bool
valid_toplabel(const char *p, size_t n)
{
	bool alpha = false, hyphen = false;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (is_alpha((unsigned char)p[i]))
			alpha = true;
		else if (p[i] == '-')
			hyphen = true;
		else if (!is_digit((unsigned char)p[i]))
			return false;
	}
	if (!hyphen)
		return alpha;
	return is_alnum((unsigned char)p[0]) &&
	    is_alnum((unsigned char)p[n - 1]);
}

/*
 * domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 */
static int
check_domain_spec(const char *t, size_t tn, size_t no, const char *s,
    size_t n, const char *sect)
{
	size_t i = 0, tail = 0, dot;
	int rc;

	if (n == 0)
		return term_error(t, tn, no, sect, "the domain-spec is empty");
	if ((rc = kn_spf_expand(NULL, NULL, s, n, KN_SPF_DOMAIN_SPEC)) != 0)
		return term_error(t, tn, no, "7.1", "%s",
		    kn_err_get()->msg);
	while (i < n) {
		if (s[i] != '%') {
			i++;
			continue;
		}
		if (s[i + 1] == '{') {
			while (s[i] != '}')
				i++;
			i++;
		} else
			i += 2;
		tail = i;
	}
	if (tail == n)
		return 0;	/* ends in a macro-expand */
	if (n - tail > 0 && s[n - 1] == '.')
		n--;
	for (dot = n; dot > tail && s[dot - 1] != '.'; dot--)
		;
	if (dot == tail)
		return term_error(t, tn, no, "7.1", "a domain-spec ends in "
		    "\".\" and a top-level label, or in a macro");
	if (!valid_toplabel(s + dot, n - dot))
		return term_error(t, tn, no, "7.1", "\"%.*s\" is not a valid "
		    "top-level label (letters, digits and inner hyphens, not "
		    "all digits)", (int)(n - dot > 63 ? 63 : n - dot),
		    s + dot);
	return 0;
}

/* A CIDR length: "0" or digits without a leading zero, at most max. */
static bool
parse_cidr(const char *p, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/*
 * dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], taken
 * off the end of p[0..*n).
 */
static int
split_dual_cidr(struct kn_spf_term *term, const char *p, size_t *n,
    size_t no)
{
	size_t e = *n, d;

	for (d = e; d > 0 && is_digit((unsigned char)p[d - 1]); d--)
		;
	if (d < e && d >= 2 && p[d - 1] == '/' && p[d - 2] == '/') {
		if (!parse_cidr(p + d, e - d, 128, &term->cidr6))
			return term_error(term->text.ptr, term->text.len, no,
			    "5.6", "an IPv6 prefix length is 0 to 128 "
			    "without leading zeros");
		e = d - 2;
	}
	for (d = e; d > 0 && is_digit((unsigned char)p[d - 1]); d--)
		;
	if (d < e && d >= 1 && p[d - 1] == '/') {
		if (!parse_cidr(p + d, e - d, 32, &term->cidr4))
			return term_error(term->text.ptr, term->text.len, no,
			    "5.6", "an IPv4 prefix length is 0 to 32 "
			    "without leading zeros");
		e = d - 1;
	}
	*n = e;
	return 0;
}

/*
 * ip4-network = qnum "." qnum "." qnum "." qnum, each 0 to 255 without
 * leading zeros (section 5.6).
 */
static bool
parse_ip4(const char *p, size_t n, unsigned char *addr)
{
	size_t i = 0;
	int k;

	for (k = 0; k < 4; k++) {
		size_t s = i;
		unsigned v = 0;

		while (i < n && is_digit((unsigned char)p[i]) && i - s < 3)
			v = v * 10 + (unsigned)(p[i++] - '0');
		if (i == s || v > 255 || (i - s > 1 && p[s] == '0'))
			return false;
		addr[k] = (unsigned char)v;
		if (k < 3) {
			if (i >= n || p[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

/* ip4 / ip6 = "ip4" ":" ip4-network [ ip4-cidr-length ] (section 5.6) */
static int
parse_ip(struct kn_spf_term *term, const char *r, size_t rn, size_t no)
{
	const char *t = term->text.ptr;
	size_t tn = term->text.len, i;
	char buf[INET6_ADDRSTRLEN + 1];
	bool six = term->mech == KN_SPF_IP6;

	if (rn == 0 || r[0] != ':')
		return term_error(t, tn, no, "5.6", "%s needs \":\" and a "
		    "network", six ? "ip6" : "ip4");
	r++;
	rn--;
	for (i = 0; i < rn && r[i] != '/'; i++)
		;
	if (i < rn && !parse_cidr(r + i + 1, rn - i - 1, six ? 128 : 32,
	    six ? &term->cidr6 : &term->cidr4))
		return term_error(t, tn, no, "5.6", "bad prefix length "
		    "(\"/\" and %s, no leading zeros)", six ? "0 to 128" :
		    "0 to 32");
	if (!six) {
		if (!parse_ip4(r, i, term->addr))
			return term_error(t, tn, no, "5.6", "not an IPv4 "
			    "address in dotted-quad form (use a prefix length, "
			    "not a shortened address)");
		return 0;
	}
	if (i == 0 || i >= sizeof(buf))
		return term_error(t, tn, no, "5.6", "not an IPv6 address");
	memcpy(buf, r, i);
	buf[i] = '\0';
	if (inet_pton(AF_INET6, buf, term->addr) != 1)
		return term_error(t, tn, no, "5.6", "not an IPv6 address "
		    "(RFC 4291 section 2.2)");
	return 0;
}

static const struct {
	const char	*name;
	enum kn_spf_mech mech;
	const char	*sect;
} mechs[] = {
	{ "all", KN_SPF_ALL, "5.1" },
	{ "include", KN_SPF_INCLUDE, "5.2" },
	{ "a", KN_SPF_A, "5.3" },
	{ "mx", KN_SPF_MX, "5.4" },
	{ "ptr", KN_SPF_PTR, "5.5" },
	{ "ip4", KN_SPF_IP4, "5.6" },
	{ "ip6", KN_SPF_IP6, "5.6" },
	{ "exists", KN_SPF_EXISTS, "5.7" },
};

static const char *
mech_sect(enum kn_spf_mech m)
{
	size_t i;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (mechs[i].mech == m)
			return mechs[i].sect;
	}
	return "5";
}

static int
parse_modifier(struct kn_spf_record *r, const char *t, size_t n,
    size_t namelen, size_t no)
{
	const char *v = t + namelen + 1;
	size_t vn = n - namelen - 1;
	struct kn_slice *slot = NULL;
	int rc;

	if (ieq(t, namelen, "redirect"))
		slot = &r->redirect;
	else if (ieq(t, namelen, "exp"))
		slot = &r->exp;
	if (slot == NULL) {
		/* unknown-modifier = name "=" macro-string; ignored
		 * (section 6), but its syntax must hold (section 4.6). */
		if (kn_spf_expand(NULL, NULL, v, vn,
		    KN_SPF_MACRO_STRING) != 0)
			return term_error(t, n, no, "7.1", "%s",
			    kn_err_get()->msg);
		return 0;
	}
	/* "These two modifiers MUST NOT appear in a record more than once
	 * each.  If they do, then check_host() exits with a result of
	 * "permerror"." (section 6) */
	if (slot->len != 0)
		return term_error(t, n, no, "6", "%s= appears twice",
		    slot == &r->exp ? "exp" : "redirect");
	if ((rc = check_domain_spec(t, n, no, v, vn, slot == &r->exp ?
	    "6.2" : "6.1")) != 0)
		return rc;
	slot->ptr = v;
	slot->len = vn;
	return 0;
}

static int
parse_term(struct kn_spf_record *r, const char *t, size_t n, size_t no)
{
	struct kn_spf_term *term;
	const char *rest;
	size_t i = 0, j, rn, k;
	int rc;

	/* modifier: name "=" ..., name = ALPHA *( ALPHA / DIGIT / "-" /
	 * "_" / "." ) */
	if (is_alpha((unsigned char)t[0])) {
		for (i = 1; i < n && (is_alnum((unsigned char)t[i]) ||
		    t[i] == '-' || t[i] == '_' || t[i] == '.'); i++)
			;
		if (i < n && t[i] == '=')
			return parse_modifier(r, t, n, i, no);
	}
	if (r->n == KN_SPF_MAX_TERMS)
		return kn_err_set(KN_ERR_TOOBIG, "record", "an SPF record "
		    "with more than %d mechanisms", KN_SPF_MAX_TERMS);
	term = &r->term[r->n];
	memset(term, 0, sizeof(*term));
	term->text.ptr = t;
	term->text.len = n;
	term->cidr4 = 32;
	term->cidr6 = 128;
	term->qualifier = KN_SPF_PASS;
	i = 0;
	switch (t[0]) {
	case '+':
		i = 1;
		break;
	case '-':
		term->qualifier = KN_SPF_FAIL;
		i = 1;
		break;
	case '~':
		term->qualifier = KN_SPF_SOFTFAIL;
		i = 1;
		break;
	case '?':
		term->qualifier = KN_SPF_NEUTRAL;
		i = 1;
		break;
	}
	for (j = i; j < n && is_alnum((unsigned char)t[j]); j++)
		;
	for (k = 0; k < sizeof(mechs) / sizeof(mechs[0]); k++) {
		if (ieq(t + i, j - i, mechs[k].name))
			break;
	}
	if (k == sizeof(mechs) / sizeof(mechs[0]))
		return term_error(t, n, no, "4.6.1", "not a mechanism (all, "
		    "include, a, mx, ptr, ip4, ip6, exists) nor a modifier "
		    "(name=value)");
	term->mech = mechs[k].mech;
	rest = t + j;
	rn = n - j;
	switch (term->mech) {
	case KN_SPF_ALL:
		if (rn != 0)
			return term_error(t, n, no, "5.1", "\"all\" takes no "
			    "argument");
		break;
	case KN_SPF_INCLUDE:
	case KN_SPF_EXISTS:
		if (rn == 0 || rest[0] != ':')
			return term_error(t, n, no, mechs[k].sect, "%s needs "
			    "\":\" and a domain", mechs[k].name);
		if ((rc = check_domain_spec(t, n, no, rest + 1, rn - 1,
		    mechs[k].sect)) != 0)
			return rc;
		term->domain.ptr = rest + 1;
		term->domain.len = rn - 1;
		break;
	case KN_SPF_A:
	case KN_SPF_MX:
		if ((rc = split_dual_cidr(term, rest, &rn, no)) != 0)
			return rc;
		/* FALLTHROUGH */
	case KN_SPF_PTR:
		if (rn == 0)
			break;
		if (rest[0] != ':')
			return term_error(t, n, no, mechs[k].sect, "after "
			    "\"%s\" comes \":\" and a domain%s", mechs[k].name,
			    term->mech == KN_SPF_PTR ? " (no prefix length)" :
			    ", or a prefix length \"/N\" or \"//N\"");
		if ((rc = check_domain_spec(t, n, no, rest + 1, rn - 1,
		    mechs[k].sect)) != 0)
			return rc;
		term->domain.ptr = rest + 1;
		term->domain.len = rn - 1;
		break;
	case KN_SPF_IP4:
	case KN_SPF_IP6:
		if ((rc = parse_ip(term, rest, rn, no)) != 0)
			return rc;
		break;
	}
	if (term->mech == KN_SPF_INCLUDE || term->mech == KN_SPF_A ||
	    term->mech == KN_SPF_MX || term->mech == KN_SPF_PTR ||
	    term->mech == KN_SPF_EXISTS)
		r->dns_terms++;
	r->n++;
	return 0;
}

int
kn_spf_parse(struct kn_spf_record *out, const char *rec, size_t len)
{
	size_t i, start, no = 0;
	int rc;

	out->n = 0;
	out->dns_terms = 0;
	memset(&out->redirect, 0, sizeof(out->redirect));
	memset(&out->exp, 0, sizeof(out->exp));
	if (len > KN_SPF_RECORD_MAX)
		return kn_err_set(KN_ERR_TOOBIG, "record", "an SPF record of "
		    "%zu bytes; kakuin reads at most %d", len,
		    KN_SPF_RECORD_MAX);
	if (!kn_spf_is_record(rec, len))
		return kn_err_set(KN_ERR_INVAL, "record", "an SPF record "
		    "starts with \"v=spf1\" and a space (RFC 7208 section "
		    "4.5)");
	/* Terms are US-ASCII separated by spaces only (sections 3 and
	 * 4.6.1): a tab, CR, LF or 8-bit byte is a syntax error. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rec[i];

		if (c < 0x20 || c > 0x7e)
			return kn_err_set(KN_ERR_INVAL, "record", "byte 0x%02x "
			    "at offset %zu: an SPF record holds printable "
			    "US-ASCII terms separated by spaces (RFC 7208 "
			    "sections 3 and 4.6.1)", c, i);
	}
	i = 6;
	while (i < len) {
		while (i < len && rec[i] == ' ')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && rec[i] != ' ')
			i++;
		if ((rc = parse_term(out, rec + start, i - start, ++no)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Evaluation (RFC 7208 sections 4 to 6).                              */

struct spf {
	struct kn_dns		*dns;
	struct kn_dns_budget	*budget;
	struct kn_spf_verdict	*v;
	struct kn_spf_macros	 m;
	char			 iptext[INET6_ADDRSTRLEN];
	unsigned		 lookups;
	unsigned		 voids;
	bool			 secure;	/* so far, every answer */
	bool			 answered;	/* some answer was used */
	struct timespec		 start;
	unsigned		 max_ms;
	/* The validated names of the client (section 5.5), found once. */
	bool			 ptr_done;
	bool			 ptr_void;
	size_t			 ptr_n;
	char			 ptr_names[KN_SPF_MAX_NAMES][KN_DNS_NAME_MAX
				    + 1];
	char			 p[KN_DNS_NAME_MAX + 1];
};

static int
stop(struct spf *st, int code, const char *fmt, ...) KN_PRINTF(3, 4);

/* Writes the reason of a temperror or permerror; returns code. */
static int
stop(struct spf *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->v->reason, sizeof(st->v->reason), fmt, ap);
	va_end(ap);
	return code;
}

static unsigned
elapsed_ms(const struct spf *st)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned)((now.tv_sec - st->start.tv_sec) * 1000 +
	    (now.tv_nsec - st->start.tv_nsec) / 1000000);
}

/*
 * One DNS query: the wall-clock limit, the budget, the DNSSEC tally.
 * Returns what kn_dns_lookup() does; E_TEMP past the time limit.
 */
static int
query(struct spf *st, struct kn_dns_answer *a, const char *name,
    enum kn_dns_type type)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (elapsed_ms(st) > st->max_ms)
		return stop(st, E_TEMP, "the SPF check of %s ran out of its "
		    "%u ms before looking up %s %s (RFC 7208 section 4.6.4 "
		    "asks receivers to bound the time)", st->v->domain,
		    st->max_ms, kn_dns_type_str(type), name);
	rc = kn_dns_lookup(st->dns, st->budget, a, name, type);
	if (rc == 0 || rc == KN_ERR_DNS) {
		st->answered = true;
		if (!a->secure)
			st->secure = false;
	}
	return rc;
}

/* A failed query as a temperror (section 5: "the mechanism stops and
 * the topmost check_host() returns temperror"). */
static int
dns_stop(struct spf *st, int rc, const char *sect)
{
	if (rc == E_TEMP || rc == KN_ERR_NOMEM)
		return rc;
	if (rc == KN_ERR_TOOBIG)
		return stop(st, E_TEMP, "%s; SPF gives temperror (kakuin's "
		    "per-message DNS budget; RFC 7208 section 4.6.4)",
		    kn_err_get()->msg);
	return stop(st, E_TEMP, "%s (RFC 7208 section %s)",
	    kn_err_get()->msg, sect);
}

/* A void lookup (section 4.6.4): more than two is a permerror. */
static int
void_lookup(struct spf *st, const char *what, const char *name)
{
	st->voids++;
	st->v->void_lookups = st->voids;
	if (st->voids > KN_SPF_MAX_VOID)
		return stop(st, E_PERM, "%s %s found nothing: more than %d "
		    "void lookups (RFC 7208 section 4.6.4)", what, name,
		    KN_SPF_MAX_VOID);
	return 0;
}

/* A DNS-querying term (section 4.6.4): more than ten is a permerror. */
static int
count_lookup(struct spf *st, const char *what, size_t n)
{
	st->lookups++;
	st->v->lookups = st->lookups;
	if (st->lookups > KN_SPF_MAX_LOOKUPS)
		return stop(st, E_PERM, "\"%.*s\" would be DNS-querying term "
		    "%u: at most %d mechanisms and modifiers may query DNS "
		    "(RFC 7208 section 4.6.4)", (int)(n > 80 ? 80 : n), what,
		    st->lookups, KN_SPF_MAX_LOOKUPS);
	return 0;
}

static bool
addr_match(const struct spf *st, const unsigned char *addr, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(st->m.ip, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (st->m.ip[full] & mask) == (addr[full] & mask);
}

/* name equals domain or is below it, in any case, final dots aside. */
static bool
name_within(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (d > 0 && domain[d - 1] == '.')
		d--;
	if (d == 0 || n < d || strncasecmp(name + n - d, domain, d) != 0)
		return false;
	return n == d || name[n - d - 1] == '.';
}

/*
 * The addresses of name of the client's family (section 5): 1 when the
 * client is among them (within the prefix), 0 when not.
 */
static int
match_addrs(struct spf *st, const char *name, unsigned cidr4,
    unsigned cidr6, const char *sect, bool count_void)
{
	struct kn_dns_answer a;
	enum kn_dns_type type = st->m.family == 6 ? KN_DNS_AAAA : KN_DNS_A;
	size_t i;
	int rc;

	rc = query(st, &a, name, type);
	if (rc == KN_ERR_INVAL) {
		rc = 0;		/* a name DNS cannot hold has no address */
		goto out;
	}
	if (rc != 0) {
		rc = dns_stop(st, rc, sect);
		goto out;
	}
	if (a.n == 0) {
		rc = count_void ? void_lookup(st, kn_dns_type_str(type), name) :
		    0;
		goto out;
	}
	for (i = 0; i < a.n; i++) {
		if (addr_match(st, a.rr[i].addr, st->m.family == 6 ? cidr6 :
		    cidr4)) {
			rc = 1;
			goto out;
		}
	}
out:
	kn_dns_answer_cleanup(&a);
	return rc;
}

/*
 * The validated domain names of the client (section 5.5): the PTR names
 * of its address (the first ten) whose own addresses include it.  A
 * failed PTR lookup leaves none; a failed address lookup skips the name.
 */
static int
find_ptr_names(struct spf *st)
{
	struct kn_dns_answer a, b;
	char rev[80];
	size_t i, j;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	if (st->ptr_done)
		return 0;
	st->ptr_done = true;
	kn_dns_reverse_name(rev, sizeof(rev), st->m.family, st->m.ip);
	rc = query(st, &a, rev, KN_DNS_PTR);
	if (rc == KN_ERR_TOOBIG || rc == E_TEMP || rc == KN_ERR_NOMEM) {
		rc = dns_stop(st, rc, "5.5");
		goto out;
	}
	rc = 0;
	if (a.status != KN_DNS_OK || a.n == 0) {
		st->ptr_void = a.status == KN_DNS_NXDOMAIN ||
		    a.status == KN_DNS_NODATA;
		goto out;
	}
	/* "the evaluation of each "PTR" record MUST NOT result in querying
	 * more than 10 address records ... all records other than the
	 * first 10 MUST be ignored" (section 4.6.4) */
	for (i = 0; i < a.n && i < KN_SPF_MAX_NAMES; i++) {
		const char *name = a.rr[i].text;

		rc = query(st, &b, name, st->m.family == 6 ? KN_DNS_AAAA :
		    KN_DNS_A);
		if (rc == KN_ERR_TOOBIG || rc == E_TEMP ||
		    rc == KN_ERR_NOMEM) {
			rc = dns_stop(st, rc, "5.5");
			goto out;
		}
		rc = 0;
		for (j = 0; j < b.n; j++) {
			if (addr_match(st, b.rr[j].addr, st->m.family == 6 ?
			    128 : 32)) {
				snprintf(st->ptr_names[st->ptr_n++],
				    sizeof(st->ptr_names[0]), "%s", name);
				break;
			}
		}
		kn_dns_answer_cleanup(&b);
	}
out:
	kn_dns_answer_cleanup(&a);
	kn_dns_answer_cleanup(&b);
	return rc;
}

/*
 * %{p} (section 7.3): the validated name equal to <domain>, else one
 * below it, else any; "unknown" when there is none.
 */
static int
set_p(struct spf *st)
{
	size_t i;
	int rc;

	if ((rc = find_ptr_names(st)) != 0)
		return rc;
	snprintf(st->p, sizeof(st->p), "unknown");
	for (i = 0; i < st->ptr_n; i++) {
		if (strcasecmp(st->ptr_names[i], st->m.domain) == 0) {
			snprintf(st->p, sizeof(st->p), "%s",
			    st->ptr_names[i]);
			return 0;
		}
	}
	for (i = 0; i < st->ptr_n; i++) {
		if (name_within(st->ptr_names[i], st->m.domain)) {
			snprintf(st->p, sizeof(st->p), "%s",
			    st->ptr_names[i]);
			return 0;
		}
	}
	if (st->ptr_n > 0)
		snprintf(st->p, sizeof(st->p), "%s", st->ptr_names[0]);
	return 0;
}

/* The macro-string uses %{p} (any case). */
static bool
uses_p(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i++) {
		if (s[i] == '%' && s[i + 1] == '%') {
			i++;
			continue;
		}
		if (s[i] == '%' && s[i + 1] == '{' &&
		    to_lower((unsigned char)s[i + 2]) == 'p')
			return true;
	}
	return false;
}

/*
 * The <target-name> of a term (section 4.8): spec expanded, or the
 * current domain.  A name longer than 253 bytes loses labels on the left
 * (section 7.3).  *valid: DNS can hold it.
 */
static int
target_name(struct spf *st, char *out, size_t outsz,
    const struct kn_slice *spec, bool count_p, bool *valid)
{
	struct kn_buf b;
	const char *s;
	size_t n;
	int rc;

	*valid = false;
	if (spec->len == 0) {
		snprintf(out, outsz, "%s", st->m.domain);
		*valid = kn_dns_valid_name(out, strlen(out));
		return 0;
	}
	if (uses_p(spec->ptr, spec->len)) {
		if (count_p && (rc = count_lookup(st, "%{p}", 4)) != 0)
			return rc;
		if ((rc = set_p(st)) != 0)
			return rc;
	}
	kn_buf_init(&b, KN_SPF_EXPAND_MAX);
	rc = kn_spf_expand(&b, &st->m, spec->ptr, spec->len,
	    KN_SPF_DOMAIN_SPEC);
	if (rc != 0) {
		if (rc != KN_ERR_NOMEM)
			rc = stop(st, E_PERM, "expanding \"%.*s\": %s",
			    (int)(spec->len > 80 ? 80 : spec->len), spec->ptr,
			    kn_err_msg(rc));
		goto out;
	}
	s = b.len > 0 ? b.data : "";
	n = b.len;
	if (n > 0 && s[n - 1] == '.')
		n--;
	/* "if the expanded domain name exceeds 253 characters ..., the
	 * left side is truncated to fit, by removing successive domain
	 * labels (and their following dots)" (section 7.3) */
	while (n > KN_DNS_NAME_MAX) {
		const char *dot = memchr(s, '.', n);

		if (dot == NULL) {
			n = 0;
			break;
		}
		n -= (size_t)(dot + 1 - s);
		s = dot + 1;
	}
	if (n >= outsz)
		n = 0;
	memcpy(out, s, n);
	out[n] = '\0';
	*valid = kn_dns_valid_name(out, n);
out:
	kn_buf_cleanup(&b);
	return rc;
}

static enum kn_spf_result check_host(struct spf *, const char *, int,
    bool);

/* exp= (section 6.2): any problem means no explanation. */
static void
explain(struct spf *st, const struct kn_slice *spec)
{
	struct kn_dns_answer a;
	struct kn_buf b;
	char target[KN_DNS_NAME_MAX + 1], reason[sizeof(st->v->reason)];
	bool valid, secure = st->secure;
	size_t i;

	memset(&a, 0, sizeof(a));
	memcpy(reason, st->v->reason, sizeof(reason));
	kn_buf_init(&b, KN_SPF_EXPAND_MAX);
	if (target_name(st, target, sizeof(target), spec, false,
	    &valid) != 0 || !valid)
		goto out;
	if (query(st, &a, target, KN_DNS_TXT) != 0 || a.n != 1 ||
	    a.total != 1)
		goto out;
	/* "the explanation string MUST be limited to US-ASCII" */
	for (i = 0; i < a.rr[0].len; i++) {
		unsigned char c = (unsigned char)a.rr[0].text[i];

		if (c < 0x20 || c > 0x7e)
			goto out;
	}
	if (uses_p(a.rr[0].text, a.rr[0].len) && set_p(st) != 0)
		goto out;
	if (kn_spf_expand(&b, &st->m, a.rr[0].text, a.rr[0].len,
	    KN_SPF_EXPLAIN_STRING) != 0)
		goto out;
	snprintf(st->v->explanation, sizeof(st->v->explanation), "%.*s",
	    (int)(b.len > KN_SPF_EXP_MAX ? KN_SPF_EXP_MAX : b.len),
	    b.len > 0 ? b.data : "");
out:
	/* The explanation decides nothing: not the result, its reason or
	 * whether it was secure. */
	memcpy(st->v->reason, reason, sizeof(reason));
	st->secure = secure;
	kn_dns_answer_cleanup(&a);
	kn_buf_cleanup(&b);
}

/* One mechanism: 1 match, 0 no match, E_TEMP, E_PERM, KN_ERR_NOMEM. */
static int
eval_term(struct spf *st, const struct kn_spf_term *t, int depth,
    const char *domain)
{
	struct kn_dns_answer a;
	char target[KN_DNS_NAME_MAX + 1];
	const char *sect = mech_sect(t->mech);
	enum kn_spf_result r;
	bool valid;
	size_t i;
	int rc = 0;

	memset(&a, 0, sizeof(a));
	switch (t->mech) {
	case KN_SPF_ALL:
		return 1;
	case KN_SPF_IP4:
		return st->m.family == 4 && addr_match(st, t->addr, t->cidr4);
	case KN_SPF_IP6:
		return st->m.family == 6 && addr_match(st, t->addr, t->cidr6);
	default:
		break;
	}
	if ((rc = count_lookup(st, t->text.ptr, t->text.len)) != 0)
		return rc;
	if ((rc = target_name(st, target, sizeof(target), &t->domain, true,
	    &valid)) != 0)
		return rc;
	switch (t->mech) {
	case KN_SPF_INCLUDE:
		if (!valid)
			return stop(st, E_PERM, "\"%.*s\" in the SPF record of "
			    "%s names \"%s\", which is not a domain name "
			    "(RFC 7208 section 5.2)", (int)t->text.len,
			    t->text.ptr, domain, target);
		r = check_host(st, target, depth + 1, true);
		switch (r) {
		case KN_SPF_PASS:
			return 1;
		case KN_SPF_FAIL:
		case KN_SPF_SOFTFAIL:
		case KN_SPF_NEUTRAL:
			return 0;
		case KN_SPF_TEMPERROR:
			return E_TEMP;
		case KN_SPF_PERMERROR:
			return E_PERM;
		case KN_SPF_NONE:
			break;
		}
		return stop(st, E_PERM, "\"%.*s\" in the SPF record of %s: "
		    "%s has no SPF record, which makes the include a "
		    "permerror (RFC 7208 section 5.2)", (int)t->text.len,
		    t->text.ptr, domain, target);
	case KN_SPF_A:
		if (!valid)
			return 0;
		return match_addrs(st, target, t->cidr4, t->cidr6, sect, true);
	case KN_SPF_EXISTS:
		if (!valid)
			return 0;
		/* An A query whatever the client's family (section 5.7). */
		rc = query(st, &a, target, KN_DNS_A);
		if (rc == KN_ERR_INVAL) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = dns_stop(st, rc, sect);
			break;
		}
		if (a.n == 0)
			rc = void_lookup(st, "A", target);
		else
			rc = 1;
		break;
	case KN_SPF_MX:
		if (!valid)
			return 0;
		rc = query(st, &a, target, KN_DNS_MX);
		if (rc == KN_ERR_INVAL) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			rc = dns_stop(st, rc, sect);
			break;
		}
		if (a.total == 0) {
			rc = void_lookup(st, "MX", target);
			break;
		}
		if (a.total > KN_SPF_MAX_NAMES) {
			rc = stop(st, E_PERM, "\"%.*s\": %s has %zu MX "
			    "records; the mx mechanism looks up at most %d "
			    "(RFC 7208 section 4.6.4)", (int)t->text.len,
			    t->text.ptr, target, a.total, KN_SPF_MAX_NAMES);
			break;
		}
		for (i = 0; i < a.n; i++) {
			/* A null MX (RFC 7505) names no host. */
			if (a.rr[i].text[0] == '\0')
				continue;
			rc = match_addrs(st, a.rr[i].text, t->cidr4,
			    t->cidr6, sect, false);
			if (rc != 0)
				break;
		}
		break;
	case KN_SPF_PTR:
		if (!valid)
			return 0;
		if ((rc = find_ptr_names(st)) != 0)
			break;
		if (st->ptr_n == 0 && st->ptr_void) {
			char rev[80];

			kn_dns_reverse_name(rev, sizeof(rev), st->m.family,
			    st->m.ip);
			rc = void_lookup(st, "PTR", rev);
			break;
		}
		for (i = 0; i < st->ptr_n; i++) {
			if (name_within(st->ptr_names[i], target)) {
				rc = 1;
				break;
			}
		}
		break;
	default:
		break;
	}
	kn_dns_answer_cleanup(&a);
	return rc;
}

static const char *
qualifier_char(enum kn_spf_result q)
{
	switch (q) {
	case KN_SPF_FAIL:
		return "-";
	case KN_SPF_SOFTFAIL:
		return "~";
	case KN_SPF_NEUTRAL:
		return "?";
	default:
		return "+";
	}
}

/* The reason for a result decided by term t of domain's record. */
static void
match_reason(struct spf *st, const struct kn_spf_term *t,
    const char *domain, const char *inner)
{
	struct kn_spf_verdict *v = st->v;
	const char *verdict;

	switch (t->qualifier) {
	case KN_SPF_PASS:
		verdict = "is authorized to send mail for";
		break;
	case KN_SPF_FAIL:
		verdict = "is not authorized to send mail for";
		break;
	case KN_SPF_SOFTFAIL:
		verdict = "is probably not authorized to send mail for";
		break;
	default:
		verdict = "gets no assertion (neutral) about sending mail "
		    "for";
		break;
	}
	snprintf(v->mechanism, sizeof(v->mechanism), "%.*s",
	    (int)t->text.len, t->text.ptr);
	snprintf(v->reason, sizeof(v->reason), "%s %s %s: \"%.*s\" in the "
	    "SPF record of %s matched%s%s%s (RFC 7208 section %s; qualifier "
	    "\"%s\" gives %s, section 2.6)", st->iptext, verdict, v->domain,
	    (int)(t->text.len > 100 ? 100 : t->text.len), t->text.ptr,
	    domain, inner[0] ? " (" : "", inner, inner[0] ? ")" : "",
	    mech_sect(t->mech), qualifier_char(t->qualifier),
	    kn_spf_result_str(t->qualifier));
}

/*
 * A domain SPF checks at the top (section 4.3): a valid name of more
 * than one label, not an address literal.
 */
static bool
checkable_domain(const char *d)
{
	size_t n = strlen(d);
	const char *dot;

	if (!kn_dns_valid_name(d, n) || d[0] == '[')
		return false;
	dot = strchr(d, '.');
	return dot != NULL && dot != d + n - 1;
}

static enum kn_spf_result
check_host(struct spf *st, const char *domain, int depth, bool in_include)
{
	struct kn_dns_answer a;
	struct kn_spf_record *rec = NULL;
	const char *saved = st->m.domain, *txt = NULL;
	char inner[256];
	size_t i, nrec = 0, txtlen = 0;
	enum kn_spf_result result;
	int rc;

	memset(&a, 0, sizeof(a));
	st->m.domain = domain;
	if (depth > MAX_DEPTH) {
		rc = stop(st, E_PERM, "includes and redirects nest deeper "
		    "than %d (RFC 7208 section 4.6.4)", MAX_DEPTH);
		goto out;
	}
	if (!checkable_domain(domain)) {
		snprintf(st->v->reason, sizeof(st->v->reason), "\"%.100s\" "
		    "is not a domain name SPF can check: it needs two or "
		    "more labels of 1 to 63 bytes (RFC 7208 section 4.3)",
		    domain);
		rc = KN_SPF_NONE;
		goto done;
	}
	/* Record lookup: TXT only (section 4.4). */
	rc = query(st, &a, domain, KN_DNS_TXT);
	if (rc == KN_ERR_INVAL) {
		snprintf(st->v->reason, sizeof(st->v->reason), "%s",
		    kn_err_get()->msg);
		rc = KN_SPF_NONE;
		goto done;
	}
	if (rc != 0) {
		rc = dns_stop(st, rc, "4.4");
		goto out;
	}
	if (a.status == KN_DNS_NXDOMAIN) {
		snprintf(st->v->reason, sizeof(st->v->reason), "%s does not "
		    "exist (NXDOMAIN), so it has no SPF record (RFC 7208 "
		    "section 4.3)", domain);
		rc = KN_SPF_NONE;
		goto done;
	}
	if (a.total > a.n) {
		rc = stop(st, E_PERM, "%s has %zu TXT records; kakuin reads "
		    "at most %d, so it cannot tell whether exactly one is an "
		    "SPF record (RFC 7208 section 4.5)", domain, a.total,
		    KN_DNS_MAX_RR);
		goto out;
	}
	for (i = 0; i < a.n; i++) {
		if (kn_spf_is_record(a.rr[i].text, a.rr[i].len)) {
			nrec++;
			txt = a.rr[i].text;
			txtlen = a.rr[i].len;
		}
	}
	if (nrec == 0) {
		snprintf(st->v->reason, sizeof(st->v->reason), "%s publishes "
		    "no SPF record: none of its %zu TXT records starts with "
		    "\"v=spf1\" (RFC 7208 section 4.5)", domain, a.n);
		rc = KN_SPF_NONE;
		goto done;
	}
	if (nrec > 1) {
		rc = stop(st, E_PERM, "%s publishes %zu SPF records; there "
		    "must be exactly one (RFC 7208 section 4.5)", domain,
		    nrec);
		goto out;
	}
	if ((rec = malloc(sizeof(*rec))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if (kn_spf_parse(rec, txt, txtlen) != 0) {
		rc = stop(st, E_PERM, "the SPF record of %s: %s", domain,
		    kn_err_get()->msg);
		goto out;
	}
	/* Mechanisms, left to right (section 4.6.2). */
	for (i = 0; i < rec->n; i++) {
		const struct kn_spf_term *t = &rec->term[i];

		st->v->mechanism[0] = '\0';
		rc = eval_term(st, t, depth, domain);
		if (rc < 0)
			goto out;
		if (rc == 0)
			continue;
		inner[0] = '\0';
		if (t->mech == KN_SPF_INCLUDE && st->v->mechanism[0] != '\0')
			snprintf(inner, sizeof(inner), "the included record "
			    "passed it by \"%.100s\"", st->v->mechanism);
		match_reason(st, t, domain, inner);
		rc = (int)t->qualifier;
		if (t->qualifier == KN_SPF_FAIL && !in_include &&
		    rec->exp.len != 0)
			explain(st, &rec->exp);
		goto done;
	}
	/* No match: redirect= (section 6.1), else neutral (4.7). */
	if (rec->redirect.len != 0) {
		char target[KN_DNS_NAME_MAX + 1];
		bool valid;

		/* The term as written: "redirect=" in any case. */
		if ((rc = count_lookup(st, rec->redirect.ptr - 9,
		    rec->redirect.len + 9)) != 0 ||
		    (rc = target_name(st, target, sizeof(target),
		    &rec->redirect, true, &valid)) != 0)
			goto out;
		if (!valid) {
			rc = stop(st, E_PERM, "redirect=%.*s in the SPF "
			    "record of %s names \"%s\", which is not a domain "
			    "name (RFC 7208 section 6.1)",
			    (int)rec->redirect.len, rec->redirect.ptr, domain,
			    target);
			goto out;
		}
		result = check_host(st, target, depth + 1, in_include);
		if (result == KN_SPF_NONE) {
			rc = stop(st, E_PERM, "redirect=%s in the SPF record "
			    "of %s: %s has no SPF record, which makes the "
			    "redirect a permerror (RFC 7208 section 6.1)",
			    target, domain, target);
			goto out;
		}
		rc = (int)result;
		goto done;
	}
	snprintf(st->v->mechanism, sizeof(st->v->mechanism), "(default)");
	snprintf(st->v->reason, sizeof(st->v->reason), "no mechanism in the "
	    "SPF record of %s matched %s and it has no redirect=: the "
	    "result is neutral (RFC 7208 section 4.7)", domain, st->iptext);
	rc = KN_SPF_NEUTRAL;
	goto done;
out:
	if (rc == KN_ERR_NOMEM) {
		snprintf(st->v->reason, sizeof(st->v->reason), "out of "
		    "memory while checking %s", domain);
		rc = E_TEMP;
	}
	rc = rc == E_TEMP ? KN_SPF_TEMPERROR : KN_SPF_PERMERROR;
done:
	st->m.domain = saved;
	free(rec);
	kn_dns_answer_cleanup(&a);
	return (enum kn_spf_result)rc;
}

/* The client address; an IPv4-mapped IPv6 address is IPv4 (section 5). */
static int
parse_client(struct spf *st, const char *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	unsigned char a6[16];

	memset(st->m.ip, 0, sizeof(st->m.ip));
	if (ip != NULL && inet_pton(AF_INET, ip, st->m.ip) == 1) {
		st->m.family = 4;
	} else if (ip != NULL && inet_pton(AF_INET6, ip, a6) == 1) {
		if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
			st->m.family = 4;
			memcpy(st->m.ip, a6 + 12, 4);
		} else {
			st->m.family = 6;
			memcpy(st->m.ip, a6, 16);
		}
	} else
		return kn_err_set(KN_ERR_INVAL, "ip", "\"%.60s\" is not an "
		    "IPv4 or IPv6 address", ip != NULL ? ip : "");
	inet_ntop(st->m.family == 6 ? AF_INET6 : AF_INET, st->m.ip,
	    st->iptext, sizeof(st->iptext));
	return 0;
}

int
kn_spf_check(struct kn_dns *dns, struct kn_spf_verdict *out,
    const struct kn_spf_request *req, enum kn_spf_identity id)
{
	struct kn_dns_budget own = { 0, KN_SPF_MAX_QUERIES };
	struct spf *st;
	const char *helo = req->helo != NULL ? req->helo : "";
	const char *from = req->mailfrom != NULL ? req->mailfrom : "";
	const char *at, *local = "postmaster", *domain;
	char localbuf[KN_SPF_SENDER_MAX + 1];
	unsigned before;
	int rc;

	memset(out, 0, sizeof(*out));
	out->identity = id;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return KN_ERR_NOMEM;
	if ((rc = parse_client(st, req->ip)) != 0)
		goto out;
	st->dns = dns;
	st->v = out;
	st->budget = req->budget != NULL ? req->budget : &own;
	st->max_ms = req->max_ms != 0 ? req->max_ms : KN_SPF_MAX_MS;
	st->secure = true;
	clock_gettime(CLOCK_MONOTONIC, &st->start);
	before = st->budget->used;
	/*
	 * MAIL FROM: the domain of the address, or postmaster@HELO for a
	 * null reverse-path (section 2.4); no local-part: "postmaster"
	 * (section 4.3).  HELO: postmaster@HELO (section 2.3).
	 */
	if (id == KN_SPF_MAILFROM && *from != '\0') {
		if ((at = strrchr(from, '@')) != NULL) {
			size_t ln = (size_t)(at - from);

			if (ln > 0 && ln < sizeof(localbuf)) {
				memcpy(localbuf, from, ln);
				localbuf[ln] = '\0';
				local = localbuf;
			}
			domain = at + 1;
		} else
			domain = from;
	} else
		domain = helo;
	if (strlen(local) + 1 + strlen(domain) > KN_SPF_SENDER_MAX) {
		out->result = KN_SPF_NONE;
		snprintf(out->domain, sizeof(out->domain), "%.253s", domain);
		snprintf(out->reason, sizeof(out->reason), "the sender is "
		    "longer than %d bytes; no SMTP path is (RFC 5321 section "
		    "4.5.3.1.3), so there is nothing to check",
		    KN_SPF_SENDER_MAX);
		goto out;
	}
	snprintf(out->sender, sizeof(out->sender), "%.*s@%.*s",
	    (int)strlen(local), local, (int)strlen(domain), domain);
	snprintf(out->domain, sizeof(out->domain), "%.253s", domain);
	st->m.sender = out->sender;
	st->m.local = local;
	st->m.sender_domain = domain;
	st->m.helo = helo;
	st->m.receiver = req->receiver;
	st->m.now = req->now != 0 ? (long long)req->now :
	    (long long)time(NULL);
	st->m.ptr = st->p;
	if (id == KN_SPF_HELO && !checkable_domain(domain)) {
		out->result = KN_SPF_NONE;
		snprintf(out->reason, sizeof(out->reason), "the HELO name "
		    "\"%.100s\" is not a fully qualified domain name, so it "
		    "has no SPF identity to check (RFC 7208 section 2.3)",
		    helo);
		goto out;
	}
	out->result = check_host(st, domain, 0, false);
	out->secure = st->answered && st->secure;
	out->queries = st->budget->used - before;
out:
	free(st);
	return rc;
}
