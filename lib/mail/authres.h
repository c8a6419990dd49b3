/*
 * authres.h - the Authentication-Results header field (RFC 8601).
 *
 * Writing: one field with our authserv-id for dkim, spf, dmarc and the
 * trust mark (method "kakuin-mark"), each with reason="..." and its
 * properties:
 *
 *   dkim         header.d header.s header.a header.b (first 8 characters
 *                of b=, RFC 6008)
 *   spf          smtp.mailfrom, or smtp.helo when the reverse-path is null
 *   dmarc        header.from policy.dmarc (the policy applied)
 *   kakuin-mark  header.from policy.corporate-number (13 digits)
 *                policy.organization (the registered name, UTF-8)
 *
 * Values are a token when they can be, a local-part@domain as is, and a
 * quoted-string otherwise.  A value with non-ASCII characters - the
 * organization's name is usually Japanese - is written by default as an
 * RFC 8187 ext-value, UTF-8'' followed by the percent-encoded UTF-8
 * bytes, which is an RFC 2045 token: every A-R reader takes it, and
 * kn_authres_ext_decode() turns it back into text.  RFC 6532 section 3.2
 * would allow the UTF-8 itself inside a quoted-string, as internationalized
 * mail (RFC 8616) does, but readers in the field refuse that and with it
 * the whole field (python3-authres, behind the dkimpy and pyspf milters,
 * takes ASCII qtext only), so raw UTF-8 is written only when asked for
 * (kn_authres.utf8).  RFC 2047 encoded-words are not used: they may not
 * stand inside a quoted-string (RFC 2047 section 5).  The corporate number
 * is the ASCII identifier either way.
 *
 * Reading: kn_authres_parse() turns a field value into typed results with
 * the RFC 8601 section 2.2 grammar (CFWS and nested comments anywhere the
 * grammar allows, version, "none", ptype.property=value).  A property value
 * is the token, quoted-string or address, never anything inside a comment
 * (header.d=example.net(.example.com) is example.net: OpenDMARC
 * CVE-2020-12272).  kn_authres_is_ours() answers the question RFC 8601
 * section 5 asks of every arriving field: does it bear our authserv-id (it
 * is then a forgery to remove)?
 */
#ifndef KN_MAIL_AUTHRES_H
#define KN_MAIL_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

#define KN_AUTHRES_MAX_LEN	(64u << 10)	/* field value parsed */
#define KN_AUTHRES_MAX_RESULTS	32		/* resinfo per field */
#define KN_AUTHRES_MAX_PROPS	16		/* propspec per resinfo */
#define KN_AUTHRES_MAX_VALUE	1024		/* bytes of one value */
#define KN_AUTHRES_MAX_DEPTH	16		/* comment nesting */
#define KN_AUTHRES_MAX_NAME	100		/* characters of an
						   organization's name (100
						   kanji percent-encoded
						   fit one line of 998) */

struct kn_authres_prop {
	char	*ptype;		/* lowercased: header, smtp, policy, body */
	char	*property;	/* lowercased: d, from, mailfrom, ... */
	char	*value;		/* quotes and quoted-pairs removed */
};

struct kn_authres_result {
	char			*method;	/* lowercased */
	int			 version;	/* method-version (1) */
	char			*result;	/* lowercased */
	char			*reason;	/* NULL when absent */
	struct kn_authres_prop	*props;
	size_t			 nprops;
	size_t			 cap;
};

struct kn_authres {
	char			 *authserv_id;
	int			  version;	/* authres-version; 1 */
	bool			  none;		/* "; none" */
	bool			  utf8;		/* write non-ASCII values as
						   UTF-8 quoted-strings
						   (RFC 6532), not RFC 8187
						   ext-values */
	struct kn_authres_result *results;
	size_t			  nresults;
	size_t			  cap;
};

/* An empty field (to fill, or after cleanup). */
void	kn_authres_init(struct kn_authres *ar);
void	kn_authres_cleanup(struct kn_authres *ar);

/*
 * Writing.  Each function checks what it is given (keywords per RFC 8601
 * section 2.2, values well-formed UTF-8 without control characters, at
 * most KN_AUTHRES_MAX_VALUE bytes) and returns 0, KN_ERR_INVAL with a
 * detail, KN_ERR_TOOBIG over a cap, or KN_ERR_NOMEM.
 */
int	kn_authres_set_id(struct kn_authres *ar, const char *authserv_id)
	    KN_WUR;
/* Appends a result; *out (may be NULL) points at it for properties. */
int	kn_authres_add(struct kn_authres *ar, struct kn_authres_result **out,
	    const char *method, const char *result, const char *reason)
	    KN_WUR;
int	kn_authres_add_prop(struct kn_authres_result *r, const char *ptype,
	    const char *property, const char *value) KN_WUR;

struct kn_authres_dkim {
	const char	*result;	/* pass, fail, neutral, policy, ... */
	const char	*d;		/* NULL: property left out */
	const char	*s;
	const char	*a;		/* e.g. rsa-sha256 */
	const char	*b;		/* the b= value; 8 characters kept */
	const char	*reason;
};

int	kn_authres_add_dkim(struct kn_authres *ar,
	    const struct kn_authres_dkim *k) KN_WUR;
/* mailfrom: the MAIL FROM address or domain; NULL or "" for the null
 * reverse-path, when helo is written as smtp.helo instead. */
int	kn_authres_add_spf(struct kn_authres *ar, const char *result,
	    const char *mailfrom, const char *helo, const char *reason) KN_WUR;
/* policy: the policy applied (none, quarantine, reject) or NULL. */
int	kn_authres_add_dmarc(struct kn_authres *ar, const char *result,
	    const char *from_domain, const char *policy, const char *reason)
	    KN_WUR;
/*
 * The trust mark: result pass, fail or none; number a corporate number
 * (13 digits, check digit verified) or NULL; name the organization's name
 * (UTF-8, at most KN_AUTHRES_MAX_NAME characters) or NULL.
 */
int	kn_authres_add_mark(struct kn_authres *ar, const char *result,
	    const char *from_domain, const char *number, const char *name,
	    const char *reason) KN_WUR;

/*
 * Appends the field value (what follows "Authentication-Results:", with
 * a leading space, no final CRLF) to out.  fold is the line break to fold
 * with (e.g. "\r\n\t", or "\n\t" for libmilter), or NULL for one line;
 * lines are folded before a result and before an item that would pass
 * column 78.  Returns 0, KN_ERR_INVAL (no authserv-id), KN_ERR_TOOBIG.
 */
int	kn_authres_encode(struct kn_buf *out, const struct kn_authres *ar,
	    const char *fold) KN_WUR;

/*
 * Parses a field value (after the colon; folding kept or not; need not be
 * NUL-terminated).  Returns 0, KN_ERR_INVAL with a detail naming the byte
 * and RFC 8601 section 2.2 (out is then empty), KN_ERR_TOOBIG over a cap,
 * or KN_ERR_NOMEM.
 */
int	kn_authres_parse(struct kn_authres *out, const char *value,
	    size_t len) KN_WUR;

/*
 * True when the field value bears authserv_id (ASCII case ignored).  When
 * the field is too malformed to read its authserv-id strictly, it counts
 * as ours if authserv_id stands as a whole word before the first ';':
 * removing a malformed forgery costs nothing, keeping one may fool a
 * lenient reader downstream.
 */
bool	kn_authres_is_ours(const char *value, size_t len,
	    const char *authserv_id);

/*
 * Appends value as text to out: an RFC 8187 ext-value (charset UTF-8,
 * any language tag) decoded, anything else as it is.  Returns 0,
 * KN_ERR_INVAL for a bad percent-escape, another charset or bytes that
 * are not UTF-8, or KN_ERR_TOOBIG.
 */
int	kn_authres_ext_decode(struct kn_buf *out, const char *value) KN_WUR;

/* The idx-th result of method (lowercase), or NULL. */
const struct kn_authres_result *kn_authres_find(const struct kn_authres *ar,
	    const char *method, size_t idx);
/* The value of ptype.property in r, or NULL. */
const char *kn_authres_prop(const struct kn_authres_result *r,
	    const char *ptype, const char *property);

#endif
