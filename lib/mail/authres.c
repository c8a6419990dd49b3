/*
 * authres.c - the Authentication-Results header field (RFC 8601): writing
 * one field with our authserv-id, and parsing any field into typed
 * results.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/text.h"
#include "mail/authres.h"
#include "registry/corpnum.h"

#define SEC "RFC 8601 section 2.2"
#define LINE_MAX_COLS 78	/* RFC 5322 section 2.1.1 */
#define FIELD_NAME_COLS 24	/* "Authentication-Results: " */
#define LINE_HARD_MAX 998	/* RFC 5322 section 2.1.1 */

/* ------------------------------------------------------------ chars */

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

static bool
is_letdig(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 2045 token: CHAR except SPACE, CTLs and tspecials. */
static bool
is_tokenc(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 5322 atext. */
static bool
is_atext(unsigned char c)
{
	return is_letdig(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c)
	    != NULL);
}

/* An RFC 5321 Ldh-str that starts and ends with a letter or digit. */
static bool
valid_keyword(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_letdig((unsigned char)s[0]) ||
	    !is_letdig((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (!is_letdig((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

static bool
valid_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_tokenc((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* dot-atom-text (RFC 5322 section 3.2.3). */
static bool
valid_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return false;
		} else if (!is_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* domain-name (RFC 8601 section 2.2, from RFC 6376): LDH labels. */
static bool
valid_domain(const char *s, size_t n)
{
	size_t i, start = 0;

	if (n == 0 || n > 255)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!valid_keyword(s + start, i - start) &&
			    !(i - start > 0 && s[start] == '_'))
				return false;
			start = i + 1;
		} else if (!is_letdig((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return false;
	}
	return true;
}

/* [ local-part ] "@" domain-name, unquoted. */
static bool
valid_addr(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t l;

	if (at == NULL)
		return false;
	l = (size_t)(at - s);
	if (l > 0 && !valid_dot_atom(s, l))
		return false;
	return valid_domain(at + 1, n - l - 1);
}

/* Well-formed UTF-8 with no control characters. */
static int
check_text(const char *what, const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n > max)
		return kn_err_set(KN_ERR_TOOBIG, "authres", "%s is %zu bytes; "
		    "at most %zu fit in an Authentication-Results field", what,
		    n, max);
	if (!kn_valid_utf8(s, n))
		return kn_err_set(KN_ERR_INVAL, "authres", "%s is not "
		    "well-formed UTF-8", what);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return kn_err_set(KN_ERR_INVAL, "authres", "%s has a "
			    "control character at byte %zu", what, i + 1);
	}
	return 0;
}

/* ------------------------------------------------------------ model */

void
kn_authres_init(struct kn_authres *ar)
{
	memset(ar, 0, sizeof(*ar));
	ar->version = 1;
}

static void
result_cleanup(struct kn_authres_result *r)
{
	size_t i;

	for (i = 0; i < r->nprops; i++) {
		free(r->props[i].ptype);
		free(r->props[i].property);
		free(r->props[i].value);
	}
	free(r->props);
	free(r->method);
	free(r->result);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

void
kn_authres_cleanup(struct kn_authres *ar)
{
	size_t i;

	if (ar == NULL)
		return;
	for (i = 0; i < ar->nresults; i++)
		result_cleanup(&ar->results[i]);
	free(ar->results);
	free(ar->authserv_id);
	kn_authres_init(ar);
}

static char *
lowdup(const char *s, size_t n)
{
	char *d;
	size_t i;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	d[n] = '\0';
	return d;
}

int
kn_authres_set_id(struct kn_authres *ar, const char *id)
{
	char *d;

	if (id == NULL || !valid_token(id, strlen(id)) ||
	    strlen(id) > KN_AUTHRES_MAX_VALUE)
		return kn_err_set(KN_ERR_INVAL, "authserv_id", "the "
		    "authserv-id must be one token, usually the receiving "
		    "host's name (RFC 8601 section 2.5)");
	if ((d = strdup(id)) == NULL)
		return KN_ERR_NOMEM;
	free(ar->authserv_id);
	ar->authserv_id = d;
	return 0;
}

static int
new_result(struct kn_authres *ar, struct kn_authres_result **out)
{
	int rc;

	if (ar->nresults >= KN_AUTHRES_MAX_RESULTS)
		return kn_err_set(KN_ERR_TOOBIG, "authres", "an "
		    "Authentication-Results field holds at most %d results",
		    KN_AUTHRES_MAX_RESULTS);
	if ((rc = kn_reserve(&ar->results, &ar->cap, ar->nresults,
	    sizeof(*ar->results), KN_AUTHRES_MAX_RESULTS)) != 0)
		return rc;
	*out = &ar->results[ar->nresults++];
	memset(*out, 0, sizeof(**out));
	(*out)->version = 1;
	return 0;
}

static int
new_prop(struct kn_authres_result *r, struct kn_authres_prop **out)
{
	int rc;

	if (r->nprops >= KN_AUTHRES_MAX_PROPS)
		return kn_err_set(KN_ERR_TOOBIG, "authres", "a result holds "
		    "at most %d properties", KN_AUTHRES_MAX_PROPS);
	if ((rc = kn_reserve(&r->props, &r->cap, r->nprops, sizeof(*r->props),
	    KN_AUTHRES_MAX_PROPS)) != 0)
		return rc;
	*out = &r->props[r->nprops++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

int
kn_authres_add(struct kn_authres *ar, struct kn_authres_result **out,
    const char *method, const char *result, const char *reason)
{
	struct kn_authres_result *r = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (method == NULL || !valid_keyword(method, strlen(method)) ||
	    result == NULL || !valid_keyword(result, strlen(result)))
		return kn_err_set(KN_ERR_INVAL, "authres", "method and result "
		    "must be keywords: letters, digits and hyphens (%s)", SEC);
	if (reason != NULL &&
	    (rc = check_text("the reason", reason, KN_AUTHRES_MAX_VALUE)) != 0)
		return rc;
	if ((rc = new_result(ar, &r)) != 0)
		return rc;
	r->method = lowdup(method, strlen(method));
	r->result = lowdup(result, strlen(result));
	if (reason != NULL)
		r->reason = strdup(reason);
	if (r->method == NULL || r->result == NULL ||
	    (reason != NULL && r->reason == NULL)) {
		result_cleanup(r);
		ar->nresults--;
		return KN_ERR_NOMEM;
	}
	if (out != NULL)
		*out = r;
	return 0;
}

int
kn_authres_add_prop(struct kn_authres_result *r, const char *ptype,
    const char *property, const char *value)
{
	struct kn_authres_prop *p = NULL;
	int rc;

	if (ptype == NULL || !valid_keyword(ptype, strlen(ptype)) ||
	    property == NULL || !valid_keyword(property, strlen(property)))
		return kn_err_set(KN_ERR_INVAL, "authres", "ptype and property "
		    "must be keywords (%s)", SEC);
	if (value == NULL || *value == '\0')
		return kn_err_set(KN_ERR_INVAL, "authres", "%s.%s has no value",
		    ptype, property);
	if ((rc = check_text("a property value", value,
	    KN_AUTHRES_MAX_VALUE)) != 0)
		return rc;
	if ((rc = new_prop(r, &p)) != 0)
		return rc;
	p->ptype = lowdup(ptype, strlen(ptype));
	p->property = lowdup(property, strlen(property));
	p->value = strdup(value);
	if (p->ptype == NULL || p->property == NULL || p->value == NULL) {
		free(p->ptype);
		free(p->property);
		free(p->value);
		r->nprops--;
		return KN_ERR_NOMEM;
	}
	return 0;
}

/* Drops the result just added when one of its properties was refused. */
static int
undo(struct kn_authres *ar, int rc)
{
	result_cleanup(&ar->results[--ar->nresults]);
	return rc;
}

int
kn_authres_add_dkim(struct kn_authres *ar, const struct kn_authres_dkim *k)
{
	struct kn_authres_result *r;
	char b[9];
	int rc;

	if ((rc = kn_authres_add(ar, &r, "dkim", k->result, k->reason)) != 0)
		return rc;
	if (k->d != NULL && (rc = kn_authres_add_prop(r, "header", "d",
	    k->d)) != 0)
		return undo(ar, rc);
	if (k->s != NULL && (rc = kn_authres_add_prop(r, "header", "s",
	    k->s)) != 0)
		return undo(ar, rc);
	if (k->a != NULL && (rc = kn_authres_add_prop(r, "header", "a",
	    k->a)) != 0)
		return undo(ar, rc);
	if (k->b != NULL && *k->b != '\0') {
		/* RFC 6008 section 2: enough of b= to tell signatures apart. */
		snprintf(b, sizeof(b), "%s", k->b);
		if ((rc = kn_authres_add_prop(r, "header", "b", b)) != 0)
			return undo(ar, rc);
	}
	return 0;
}

int
kn_authres_add_spf(struct kn_authres *ar, const char *result,
    const char *mailfrom, const char *helo, const char *reason)
{
	struct kn_authres_result *r;
	int rc;

	if ((rc = kn_authres_add(ar, &r, "spf", result, reason)) != 0)
		return rc;
	if (mailfrom != NULL && *mailfrom != '\0')
		rc = kn_authres_add_prop(r, "smtp", "mailfrom", mailfrom);
	else if (helo != NULL && *helo != '\0')
		rc = kn_authres_add_prop(r, "smtp", "helo", helo);
	return rc != 0 ? undo(ar, rc) : 0;
}

int
kn_authres_add_dmarc(struct kn_authres *ar, const char *result,
    const char *from_domain, const char *policy, const char *reason)
{
	struct kn_authres_result *r;
	int rc;

	if ((rc = kn_authres_add(ar, &r, "dmarc", result, reason)) != 0)
		return rc;
	if (from_domain != NULL && *from_domain != '\0' &&
	    (rc = kn_authres_add_prop(r, "header", "from", from_domain)) != 0)
		return undo(ar, rc);
	if (policy != NULL && (rc = kn_authres_add_prop(r, "policy", "dmarc",
	    policy)) != 0)
		return undo(ar, rc);
	return 0;
}

int
kn_authres_add_mark(struct kn_authres *ar, const char *result,
    const char *from_domain, const char *number, const char *name,
    const char *reason)
{
	struct kn_authres_result *r;
	int64_t n;
	int rc;

	if (result == NULL || (strcmp(result, "pass") != 0 &&
	    strcmp(result, "fail") != 0 && strcmp(result, "none") != 0))
		return kn_err_set(KN_ERR_INVAL, "authres", "the kakuin-mark "
		    "result is pass, fail or none");
	if (number != NULL && (rc = kn_corpnum_parse(&n, number,
	    strlen(number))) != 0)
		return rc;
	if (name != NULL) {
		if ((rc = check_text("the organization's name", name,
		    4 * KN_AUTHRES_MAX_NAME)) != 0)
			return rc;
		if (*name == '\0' ||
		    kn_utf8_count(name, strlen(name)) > KN_AUTHRES_MAX_NAME)
			return kn_err_set(KN_ERR_INVAL, "authres", "the "
			    "organization's name must have 1 to %d "
			    "characters", KN_AUTHRES_MAX_NAME);
	}
	if ((rc = kn_authres_add(ar, &r, "kakuin-mark", result, reason)) != 0)
		return rc;
	if (from_domain != NULL && *from_domain != '\0' &&
	    (rc = kn_authres_add_prop(r, "header", "from", from_domain)) != 0)
		return undo(ar, rc);
	if (number != NULL && (rc = kn_authres_add_prop(r, "policy",
	    "corporate-number", number)) != 0)
		return undo(ar, rc);
	if (name != NULL && (rc = kn_authres_add_prop(r, "policy",
	    "organization", name)) != 0)
		return undo(ar, rc);
	return 0;
}

const struct kn_authres_result *
kn_authres_find(const struct kn_authres *ar, const char *method, size_t idx)
{
	size_t i;

	for (i = 0; i < ar->nresults; i++) {
		if (strcmp(ar->results[i].method, method) == 0 && idx-- == 0)
			return &ar->results[i];
	}
	return NULL;
}

const char *
kn_authres_prop(const struct kn_authres_result *r, const char *ptype,
    const char *property)
{
	size_t i;

	for (i = 0; i < r->nprops; i++) {
		if (strcmp(r->props[i].ptype, ptype) == 0 &&
		    strcmp(r->props[i].property, property) == 0)
			return r->props[i].value;
	}
	return NULL;
}

/* ------------------------------------------------------------ writing */

struct out {
	struct kn_buf	*b;
	const char	*fold;
	size_t		 col;
};

/* The length of s cut to at most max bytes on a UTF-8 boundary. */
static size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* RFC 8187 attr-char: left as is in an ext-value. */
static bool
is_attrc(unsigned char c)
{
	return is_letdig(c) || (c != 0 && strchr("!#$&+-.^_`|~", c) != NULL);
}

/*
 * Where the value part of an RFC 8187 ext-value in UTF-8 starts
 * ("UTF-8'" [ language ] "'"), or 0 when v is not one.
 */
static size_t
ext_start(const char *v, size_t n)
{
	size_t i;

	if (n < 7 || strncasecmp(v, "UTF-8'", 6) != 0)
		return 0;
	for (i = 6; i < n && v[i] != '\''; i++) {
		if (!is_letdig((unsigned char)v[i]) && v[i] != '-')
			return 0;
	}
	return i < n ? i + 1 : 0;
}

/*
 * value = token / quoted-string; an address may stand as it is; without
 * utf8, non-ASCII text (or text that would read as one) is an RFC 8187
 * ext-value, itself a token.
 */
static void
put_value(struct kn_buf *b, const char *v, size_t n, bool addr, bool utf8)
{
	static const char hex[] = "0123456789ABCDEF";
	bool ascii = true;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] >= 0x80)
			ascii = false;
	}
	if (!utf8 && (!ascii || ext_start(v, n) > 0)) {
		kn_buf_puts(b, "UTF-8''");
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)v[i];
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

			if (is_attrc(c))
				kn_buf_putn(b, v + i, 1);
			else
				kn_buf_putn(b, enc, 3);
		}
		return;
	}
	if (valid_token(v, n) || (addr && valid_addr(v, n))) {
		kn_buf_putn(b, v, n);
		return;
	}
	kn_buf_puts(b, "\"");
	for (i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			kn_buf_puts(b, "\\");
		kn_buf_putn(b, v + i, 1);
	}
	kn_buf_puts(b, "\"");
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kn_authres_ext_decode(struct kn_buf *out, const char *v)
{
	size_t start = out->len, i = ext_start(v, strlen(v));

	if (i == 0)
		return kn_buf_addstr(out, v);
	for (; v[i] != '\0'; i++) {
		int hi, lo;
		char c;

		if (v[i] != '%') {
			kn_buf_putn(out, v + i, 1);
			continue;
		}
		if ((hi = hexval(v[i + 1])) < 0 || (lo = hexval(v[i + 2])) < 0)
			return kn_err_set(KN_ERR_INVAL, "authres", "a bad "
			    "percent-escape in an ext-value (RFC 8187 section "
			    "3.2)");
		c = (char)(hi << 4 | lo);
		kn_buf_putn(out, &c, 1);
		i += 2;
	}
	if (out->failed)
		return kn_err_set(KN_ERR_TOOBIG, "authres", "a decoded value "
		    "does not fit");
	if (!kn_valid_utf8(out->data + start, out->len - start))
		return kn_err_set(KN_ERR_INVAL, "authres", "an ext-value that "
		    "is not UTF-8 once decoded (RFC 8187 section 3.2)");
	return 0;
}

/* Writes one item after a space, or after a fold when it would not fit. */
static void
put_item(struct out *o, const char *item, size_t n)
{
	size_t w = kn_utf8_count(item, n);

	if (o->fold != NULL && o->col > 8 && o->col + 1 + w > LINE_MAX_COLS) {
		kn_buf_puts(o->b, o->fold);
		o->col = 8;
	} else {
		kn_buf_puts(o->b, " ");
		o->col++;
	}
	kn_buf_putn(o->b, item, n);
	o->col += w;
}

int
kn_authres_encode(struct kn_buf *b, const struct kn_authres *ar,
    const char *fold)
{
	struct kn_buf item;
	struct out o;
	size_t i, j;
	int rc = 0;

	if (ar->authserv_id == NULL)
		return kn_err_set(KN_ERR_INVAL, "authserv_id", "the "
		    "Authentication-Results field needs an authserv-id "
		    "(RFC 8601 section 2.5)");
	kn_buf_init(&item, 4 * KN_AUTHRES_MAX_VALUE);
	o.b = b;
	o.fold = fold;
	o.col = FIELD_NAME_COLS - 1;
	kn_buf_puts(b, " ");
	kn_buf_puts(b, ar->authserv_id);
	o.col += 1 + strlen(ar->authserv_id);
	if (ar->nresults == 0) {
		kn_buf_puts(b, "; none");
		goto out;
	}
	for (i = 0; i < ar->nresults; i++) {
		const struct kn_authres_result *r = &ar->results[i];

		kn_buf_puts(b, ";");
		if (fold != NULL) {
			kn_buf_puts(b, fold);
			o.col = 8;
			kn_buf_putf(b, "%s=%s", r->method, r->result);
			o.col += strlen(r->method) + 1 + strlen(r->result);
		} else {
			kn_buf_reset(&item);
			kn_buf_putf(&item, "%s=%s", r->method, r->result);
			put_item(&o, item.data, item.len);
		}
		if (r->reason != NULL) {
			size_t cut = strlen(r->reason);

			/* A reason is cut to fit a line; nothing else is. */
			do {
				cut = utf8_cut(r->reason, cut);
				kn_buf_reset(&item);
				kn_buf_puts(&item, "reason=");
				put_value(&item, r->reason, cut, false,
				    ar->utf8);
				cut /= 2;
			} while (8 + item.len > LINE_HARD_MAX && cut > 0);
			put_item(&o, item.data, item.len);
		}
		for (j = 0; j < r->nprops; j++) {
			const struct kn_authres_prop *p = &r->props[j];

			kn_buf_reset(&item);
			kn_buf_putf(&item, "%s.%s=", p->ptype, p->property);
			put_value(&item, p->value, strlen(p->value), true,
			    ar->utf8);
			if (item.failed || 8 + item.len > LINE_HARD_MAX) {
				rc = kn_err_set(KN_ERR_TOOBIG, "authres",
				    "%s.%s is too long for one line of a "
				    "header field (RFC 5322 section 2.1.1)",
				    p->ptype, p->property);
				goto out;
			}
			put_item(&o, item.data, item.len);
		}
	}
out:
	if (rc == 0 && (b->failed || item.failed))
		rc = kn_err_set(KN_ERR_TOOBIG, "authres", "the "
		    "Authentication-Results field does not fit its buffer");
	kn_buf_cleanup(&item);
	return rc;
}

/* ------------------------------------------------------------ parsing */

struct cur {
	const char	*p;
	size_t		 n;
	size_t		 i;
};

static int
perr(const struct cur *c, const char *what)
{
	return kn_err_set(KN_ERR_INVAL, "authres", "Authentication-Results: "
	    "%s at byte %zu (%s)", what, c->i + 1, SEC);
}

/* A line break followed by WSP (folding); *len its length, 0 if none. */
static size_t
fold_len(const struct cur *c, size_t i)
{
	if (i + 1 < c->n && c->p[i] == '\r' && c->p[i + 1] == '\n' &&
	    i + 2 < c->n && is_wsp((unsigned char)c->p[i + 2]))
		return 2;
	if (i < c->n && c->p[i] == '\n' && i + 1 < c->n &&
	    is_wsp((unsigned char)c->p[i + 1]))
		return 1;
	return 0;
}

/* CFWS (RFC 5322 section 3.2.2): WSP, folding, nested comments. */
static int
skip_cfws(struct cur *c)
{
	size_t f;
	int depth;

	for (;;) {
		if (c->i < c->n && is_wsp((unsigned char)c->p[c->i])) {
			c->i++;
			continue;
		}
		if ((f = fold_len(c, c->i)) > 0) {
			c->i += f;
			continue;
		}
		if (c->i >= c->n || c->p[c->i] != '(')
			return 0;
		depth = 0;
		while (c->i < c->n) {
			unsigned char ch = (unsigned char)c->p[c->i];

			if (ch == '(') {
				if (++depth > KN_AUTHRES_MAX_DEPTH)
					return perr(c, "comments nested too "
					    "deep");
				c->i++;
			} else if (ch == ')') {
				c->i++;
				if (--depth == 0)
					break;
			} else if (ch == '\\') {
				if (c->i + 1 >= c->n ||
				    (unsigned char)c->p[c->i + 1] < 0x20)
					return perr(c, "a bad quoted-pair in "
					    "a comment");
				c->i += 2;
			} else if ((f = fold_len(c, c->i)) > 0)
				c->i += f;
			else if (ch == '\r' || ch == '\n')
				return perr(c, "a line break in a comment");
			else
				c->i++;
		}
		if (depth != 0)
			return perr(c, "a comment is not closed");
	}
}

static bool
at_end(const struct cur *c)
{
	return c->i >= c->n;
}

static bool
peek(const struct cur *c, char ch)
{
	return c->i < c->n && c->p[c->i] == ch;
}

/* A keyword; its slice in *s.  Error when there is none. */
static int
keyword(struct cur *c, struct kn_slice *s, const char *what)
{
	size_t st = c->i;

	while (c->i < c->n && (is_letdig((unsigned char)c->p[c->i]) ||
	    c->p[c->i] == '-'))
		c->i++;
	s->ptr = c->p + st;
	s->len = c->i - st;
	if (!valid_keyword(s->ptr, s->len)) {
		c->i = st;
		return perr(c, what);
	}
	return 0;
}

/* quoted-string, unescaped and unfolded into out (KN_AUTHRES_MAX_VALUE). */
static int
quoted(struct cur *c, struct kn_buf *out)
{
	size_t f;

	c->i++;	/* the opening quote */
	while (c->i < c->n) {
		unsigned char ch = (unsigned char)c->p[c->i];

		if (ch == '"') {
			c->i++;
			return out->failed ? kn_err_set(KN_ERR_TOOBIG,
			    "authres", "a value is longer than %d bytes",
			    KN_AUTHRES_MAX_VALUE) : 0;
		}
		if (ch == '\\') {
			if (c->i + 1 >= c->n ||
			    (unsigned char)c->p[c->i + 1] < 0x20)
				return perr(c, "a bad quoted-pair");
			kn_buf_putn(out, c->p + c->i + 1, 1);
			c->i += 2;
		} else if ((f = fold_len(c, c->i)) > 0)
			c->i += f;	/* unfold: keep the WSP */
		else if (ch == '\r' || ch == '\n')
			return perr(c, "a line break in a quoted-string");
		else {
			kn_buf_putn(out, c->p + c->i, 1);
			c->i++;
		}
	}
	return perr(c, "a quoted-string is not closed");
}

/* value = token / quoted-string (RFC 2045). */
static int
value(struct cur *c, struct kn_buf *out, const char *what)
{
	size_t st = c->i;

	if (peek(c, '"'))
		return quoted(c, out);
	while (c->i < c->n && is_tokenc((unsigned char)c->p[c->i]))
		c->i++;
	if (c->i == st)
		return perr(c, what);
	kn_buf_putn(out, c->p + st, c->i - st);
	if (out->failed)
		return kn_err_set(KN_ERR_TOOBIG, "authres", "a value is longer "
		    "than %d bytes", KN_AUTHRES_MAX_VALUE);
	return 0;
}

/*
 * pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
 * (RFC 8601 section 2.2).
 */
static int
pvalue(struct cur *c, struct kn_buf *out)
{
	size_t st;
	int rc;

	if ((rc = skip_cfws(c)) != 0)
		return rc;
	if (peek(c, '"')) {
		if ((rc = quoted(c, out)) != 0)
			return rc;
		if (!peek(c, '@'))
			return skip_cfws(c);
		/* A quoted local-part. */
	}
	/*
	 * An address's local-part is a dot-atom, whose atext holds '/', '='
	 * and '?', which a token does not.  Unquoted values with those
	 * (header.b=ab/c+d= as many receivers write it) are read too: after
	 * a pvalue only CFWS, ';' or the end may follow, so nothing is
	 * ambiguous.
	 */
	st = c->i;
	while (c->i < c->n && (is_tokenc((unsigned char)c->p[c->i]) ||
	    is_atext((unsigned char)c->p[c->i]) || c->p[c->i] == '@'))
		c->i++;
	if (c->i == st && out->len == 0)
		return perr(c, "a property has no value");
	if (memchr(c->p + st, '@', c->i - st) != NULL) {
		const char *at = memchr(c->p + st, '@', c->i - st);
		size_t l = (size_t)(at - (c->p + st));

		if ((out->len > 0 && l != 0) ||
		    (out->len == 0 && !valid_addr(c->p + st, c->i - st)) ||
		    (out->len > 0 && !valid_domain(at + 1, c->i - st - 1))) {
			c->i = st;
			return perr(c, "a property value is not "
			    "local-part@domain");
		}
	}
	kn_buf_putn(out, c->p + st, c->i - st);
	if (out->failed)
		return kn_err_set(KN_ERR_TOOBIG, "authres", "a value is longer "
		    "than %d bytes", KN_AUTHRES_MAX_VALUE);
	return skip_cfws(c);
}

static int
take(char **dst, struct kn_buf *b)
{
	if ((*dst = strndup(b->data ? b->data : "", b->len)) == NULL)
		return KN_ERR_NOMEM;
	kn_buf_reset(b);
	return 0;
}

/* One resinfo after its ';'. */
static int
resinfo(struct cur *c, struct kn_authres *ar, struct kn_buf *v)
{
	struct kn_authres_result *r = NULL;
	struct kn_authres_prop *p = NULL;
	struct kn_slice m, res, kw;
	size_t save;
	int rc;

	if ((rc = keyword(c, &m, "a result has no method")) != 0)
		return rc;
	if ((rc = skip_cfws(c)) != 0)
		return rc;
	if (m.len == 4 && strncasecmp(m.ptr, "none", 4) == 0 &&
	    (at_end(c) || peek(c, ';'))) {
		if (ar->nresults > 0)
			return perr(c, "\"none\" among results");
		ar->none = true;
		return 0;
	}
	if ((rc = new_result(ar, &r)) != 0)
		return rc;
	if ((r->method = lowdup(m.ptr, m.len)) == NULL)
		return KN_ERR_NOMEM;
	if (peek(c, '/')) {
		int ver = 0;

		c->i++;
		if ((rc = skip_cfws(c)) != 0)
			return rc;
		if (c->i >= c->n || !is_digit((unsigned char)c->p[c->i]))
			return perr(c, "a method version is not a number");
		while (c->i < c->n && is_digit((unsigned char)c->p[c->i])) {
			if (ver > 9999)
				return perr(c, "a method version is too big");
			ver = ver * 10 + (c->p[c->i++] - '0');
		}
		r->version = ver;
		if ((rc = skip_cfws(c)) != 0)
			return rc;
	}
	if (!peek(c, '='))
		return perr(c, "a method is not followed by '='");
	c->i++;
	if ((rc = skip_cfws(c)) != 0)
		return rc;
	if ((rc = keyword(c, &res, "a method has no result")) != 0)
		return rc;
	if ((r->result = lowdup(res.ptr, res.len)) == NULL)
		return KN_ERR_NOMEM;
	if ((rc = skip_cfws(c)) != 0)
		return rc;
	/* reasonspec = "reason" [CFWS] "=" [CFWS] value */
	save = c->i;
	if (keyword(c, &kw, "") == 0 && kw.len == 6 &&
	    strncasecmp(kw.ptr, "reason", 6) == 0) {
		if ((rc = skip_cfws(c)) != 0)
			return rc;
		if (peek(c, '=')) {
			c->i++;
			if ((rc = skip_cfws(c)) != 0)
				return rc;
			if ((rc = value(c, v, "reason= has no value")) != 0)
				return rc;
			if ((rc = take(&r->reason, v)) != 0)
				return rc;
			if ((rc = skip_cfws(c)) != 0)
				return rc;
			save = c->i;
		}
	}
	c->i = save;
	kn_err_clear();
	/* 1*propspec */
	while (!at_end(c) && !peek(c, ';')) {
		struct kn_slice pt, pr;

		if ((rc = keyword(c, &pt, "expected ptype.property=value, "
		    "';' or the end")) != 0)
			return rc;
		if ((rc = skip_cfws(c)) != 0)
			return rc;
		if (!peek(c, '.'))
			return perr(c, "a ptype is not followed by '.'");
		c->i++;
		if ((rc = skip_cfws(c)) != 0)
			return rc;
		if ((rc = keyword(c, &pr, "a property name is missing")) != 0)
			return rc;
		if ((rc = skip_cfws(c)) != 0)
			return rc;
		if (!peek(c, '='))
			return perr(c, "a property is not followed by '='");
		c->i++;
		if ((rc = new_prop(r, &p)) != 0)
			return rc;
		if ((p->ptype = lowdup(pt.ptr, pt.len)) == NULL ||
		    (p->property = lowdup(pr.ptr, pr.len)) == NULL)
			return KN_ERR_NOMEM;
		if ((rc = pvalue(c, v)) != 0)
			return rc;
		if ((rc = take(&p->value, v)) != 0)
			return rc;
	}
	return 0;
}

int
kn_authres_parse(struct kn_authres *out, const char *s, size_t len)
{
	struct kn_authres ar;
	struct kn_buf v;
	struct cur c;
	size_t i;
	int rc = 0;

	kn_authres_init(out);
	kn_authres_init(&ar);
	kn_buf_init(&v, KN_AUTHRES_MAX_VALUE);
	if (len > KN_AUTHRES_MAX_LEN)
		return kn_err_set(KN_ERR_TOOBIG, "authres", "the "
		    "Authentication-Results field is %zu bytes; at most %u "
		    "are read", len, KN_AUTHRES_MAX_LEN);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') ||
		    ch == 0x7f)
			return kn_err_set(KN_ERR_INVAL, "authres",
			    "Authentication-Results: a control character "
			    "(0x%02x) at byte %zu (%s)", ch, i + 1, SEC);
	}
	if (!kn_valid_utf8(s, len))
		return kn_err_set(KN_ERR_INVAL, "authres",
		    "Authentication-Results: not well-formed UTF-8 (RFC 6532 "
		    "section 3.2)");
	c.p = s;
	c.n = len;
	c.i = 0;
	if ((rc = skip_cfws(&c)) != 0)
		goto out;
	if ((rc = value(&c, &v, "no authserv-id")) != 0)
		goto out;
	if (v.len == 0) {
		rc = perr(&c, "an empty authserv-id");
		goto out;
	}
	if ((rc = take(&ar.authserv_id, &v)) != 0)
		goto out;
	if ((rc = skip_cfws(&c)) != 0)
		goto out;
	if (c.i < c.n && is_digit((unsigned char)c.p[c.i])) {
		/* authres-version = 1*DIGIT [CFWS] (section 2.2). */
		int ver = 0;

		while (c.i < c.n && is_digit((unsigned char)c.p[c.i])) {
			if (ver > 9999) {
				rc = perr(&c, "the version is too big");
				goto out;
			}
			ver = ver * 10 + (c.p[c.i++] - '0');
		}
		if (ver != 1) {
			rc = kn_err_set(KN_ERR_INVAL, "authres",
			    "Authentication-Results version %d is not 1 "
			    "(RFC 8601 section 2.2)", ver);
			goto out;
		}
		ar.version = ver;
		if ((rc = skip_cfws(&c)) != 0)
			goto out;
	}
	while (!at_end(&c)) {
		if (!peek(&c, ';')) {
			rc = perr(&c, "expected ';'");
			goto out;
		}
		c.i++;
		if ((rc = skip_cfws(&c)) != 0)
			goto out;
		if (ar.none) {
			rc = perr(&c, "a result after \"none\"");
			goto out;
		}
		if ((rc = resinfo(&c, &ar, &v)) != 0)
			goto out;
	}
	if (ar.nresults == 0 && !ar.none) {
		rc = kn_err_set(KN_ERR_INVAL, "authres",
		    "Authentication-Results: no results and no \"none\" (%s)",
		    SEC);
		goto out;
	}
	*out = ar;
	kn_authres_init(&ar);
out:
	kn_authres_cleanup(&ar);
	kn_buf_cleanup(&v);
	return rc;
}

/* ------------------------------------------------------------ ours? */

bool
kn_authres_is_ours(const char *s, size_t len, const char *id)
{
	struct kn_buf v;
	struct cur c;
	size_t idlen, i, end;
	bool ours = false;

	if (id == NULL || (idlen = strlen(id)) == 0)
		return false;
	if (len > KN_AUTHRES_MAX_LEN)
		len = KN_AUTHRES_MAX_LEN;
	kn_buf_init(&v, KN_AUTHRES_MAX_VALUE);
	c.p = s;
	c.n = len;
	c.i = 0;
	if (skip_cfws(&c) == 0 && value(&c, &v, "") == 0) {
		ours = v.len == idlen && strncasecmp(v.data, id, idlen) == 0;
		goto out;
	}
	/* Unreadable: ours if id stands as a word before the first ';'. */
	for (end = 0; end < len && s[end] != ';'; end++)
		;
	for (i = 0; i + idlen <= end; i++) {
		if (strncasecmp(s + i, id, idlen) == 0 &&
		    (i == 0 || !is_tokenc((unsigned char)s[i - 1])) &&
		    (i + idlen == end ||
		    !is_tokenc((unsigned char)s[i + idlen]))) {
			ours = true;
			break;
		}
	}
out:
	kn_err_clear();
	kn_buf_cleanup(&v);
	return ours;
}
