/*
 * lint.c - pre-issuance linting: RFC 5280 and the profile's rules.
 *
 * Each check is a named rule in rules[] with its level and the section of
 * the document it enforces, in the spirit of OpenBSD rpki-client.  A
 * check may report several findings (one per violation); each finding
 * carries the rule id, the section (the rule's, or a more precise one the
 * check names) and a sentence for a person.  Nothing here prints.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/lint.h"
#include "registry/corpnum.h"

#define SBR	"S/MIME BR"
#define TLSBR	"TLS BR"

#define KU_ALL	(X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION | \
		    X509v3_KU_KEY_ENCIPHERMENT | X509v3_KU_DATA_ENCIPHERMENT | \
		    X509v3_KU_KEY_AGREEMENT | X509v3_KU_KEY_CERT_SIGN | \
		    X509v3_KU_CRL_SIGN | X509v3_KU_ENCIPHER_ONLY | \
		    X509v3_KU_DECIPHER_ONLY)

/* A decoded extension: present, decoded (v NULL when it did not). */
struct ext {
	void	*v;
	int	 crit;
	bool	 present;
};

struct ctx {
	struct kn_lint_report	*rep;
	const struct rule	*r;		/* the rule running */
	X509			*x;
	X509			*issuer;
	const struct kn_profile	*p;
	EVP_PKEY		*pkey;		/* get0 */
	int			 pktype;	/* EVP_PKEY_RSA ... or 0 */
	enum kn_keyalg		 alg;
	bool			 is_ca;		/* basicConstraints cA */
	bool			 self_issued;
	bool			 subject_empty;
	unsigned		 ku;		/* bits, when ku.present */
	struct ext		 bc, kuext, eku, san, pol, crldp, aia, akid,
				 skid, nc;
};

struct rule {
	struct kn_lint_rule	 info;
	void			(*check)(struct ctx *);
};

static void report(struct ctx *, const char *, const char *, ...)
    KN_PRINTF(3, 4);

static void
report(struct ctx *c, const char *source, const char *fmt, ...)
{
	struct kn_lint_report *rep = c->rep;
	struct kn_lint_finding *f;
	va_list ap;

	if (c->r->info.level == KN_LINT_ERROR)
		rep->errors++;
	else
		rep->warnings++;
	if (rep->n >= KN_LINT_MAX)
		return;
	f = &rep->f[rep->n++];
	f->level = c->r->info.level;
	f->rule = c->r->info.id;
	f->source = source != NULL ? source : c->r->info.source;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* Helpers. */

static bool
is_subscriber(const struct ctx *c)
{
	return c->p != NULL && !c->p->ca;
}

static bool
kind_is(const struct ctx *c, enum kn_prof_kind k)
{
	return c->p != NULL && c->p->kind == k;
}

static void
oid_text(char *buf, size_t len, const ASN1_OBJECT *o)
{
	int nid = OBJ_obj2nid(o);

	/* Short names ("serverAuth"), else the dotted OID. */
	if (nid != NID_undef && OBJ_nid2sn(nid) != NULL)
		snprintf(buf, len, "%s", OBJ_nid2sn(nid));
	else if (OBJ_obj2txt(buf, (int)len, o, 1) <= 0)
		snprintf(buf, len, "(unreadable OID)");
}

/* Copies an ASN1 string as printable text for a message (escapes). */
static void
str_text(char *buf, size_t len, const ASN1_STRING *s)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s), i;
	size_t o = 0;

	for (i = 0; i < n && o + 5 < len; i++) {
		if (d[i] >= 0x20 && d[i] < 0x7f && d[i] != '"')
			buf[o++] = (char)d[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x",
			    d[i]);
	}
	if (i < n && o + 4 < len)
		o += (size_t)snprintf(buf + o, len - o, "...");
	buf[o < len ? o : len - 1] = '\0';
}

static bool
eku_has(const struct ctx *c, int nid)
{
	EXTENDED_KEY_USAGE *eku = c->eku.v;
	int i;

	if (eku == NULL || nid == 0)
		return false;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
			return true;
	return false;
}

static bool
profile_eku_has(const struct kn_profile *p, int nid)
{
	int i;

	for (i = 0; i < KN_MAX_EKU && p->eku[i] != 0; i++)
		if (kn_profile_eku_nid(p->eku[i]) == nid)
			return true;
	return false;
}

static bool
has_uri_scheme(const ASN1_IA5STRING *s, const char *scheme)
{
	size_t n = strlen(scheme);

	return (size_t)ASN1_STRING_length(s) > n &&
	    strncasecmp((const char *)ASN1_STRING_get0_data(s), scheme,
	    n) == 0;
}

/* The EC curve, RSA size or Ed25519 of a key (kn_keyalg_of() of key.c,
 * re-derived here so that the linter stands alone). */
static enum kn_keyalg
keyalg_of(EVP_PKEY *pkey)
{
	char group[64];
	size_t glen = 0;
	int nid;

	if (pkey == NULL)
		return KN_KEY_NONE;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(pkey)) {
		case 2048:
			return KN_KEY_RSA_2048;
		case 3072:
			return KN_KEY_RSA_3072;
		case 4096:
			return KN_KEY_RSA_4096;
		default:
			return KN_KEY_NONE;
		}
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen))
			return KN_KEY_NONE;
		nid = OBJ_txt2nid(group);
		if (nid == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1)
			return KN_KEY_EC_P256;
		if (nid == NID_secp384r1)
			return KN_KEY_EC_P384;
		return KN_KEY_NONE;
	case EVP_PKEY_ED25519:
		return KN_KEY_ED25519;
	default:
		return KN_KEY_NONE;
	}
}

/* RFC 5321 section 4.1.2 Mailbox, ASCII only (RFC 9598 for UTF-8). */
static bool
valid_atext(unsigned char ch)
{
	return isalnum(ch) || (ch != 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch)
	    != NULL);
}

static bool valid_dnsname(const unsigned char *, size_t, bool, bool *,
    const char **);

static bool
valid_mailbox(const unsigned char *s, size_t n, const char **why)
{
	size_t at, i;
	bool upper;

	for (at = n; at > 0; at--)
		if (s[at - 1] == '@')
			break;
	if (at == 0) {
		*why = "has no '@'";
		return false;
	}
	at--;
	if (at == 0 || at > 64) {
		*why = "has a local part that is empty or longer than 64 "
		    "octets";
		return false;
	}
	if (s[0] == '"') {
		/* Quoted-string: printable ASCII, \ escapes. */
		if (at < 2 || s[at - 1] != '"') {
			*why = "has an unterminated quoted local part";
			return false;
		}
		for (i = 1; i < at - 1; i++) {
			if (s[i] < 0x20 || s[i] > 0x7e) {
				*why = "has a control or non-ASCII character "
				    "in the local part";
				return false;
			}
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"') {
				*why = "has an unescaped quote";
				return false;
			}
		}
	} else {
		/* Dot-string: atoms of atext separated by single dots. */
		for (i = 0; i < at; i++) {
			if (s[i] == '.') {
				if (i == 0 || i == at - 1 || s[i - 1] == '.') {
					*why = "has a leading, trailing or "
					    "double dot in the local part";
					return false;
				}
			} else if (!valid_atext(s[i])) {
				*why = "has a character the local part may "
				    "not contain (RFC 5321 Dot-string)";
				return false;
			}
		}
	}
	if (at + 1 >= n) {
		*why = "has no domain";
		return false;
	}
	return valid_dnsname(s + at + 1, n - at - 1, false, &upper, why);
}

/*
 * RFC 1034 3.5 preferred name syntax (LDH labels of 1-63 octets, 253 in
 * all, at least two labels, a TLD that is not all digits), with a
 * wildcard only as the whole leftmost label when wild is set.
 */
static bool
valid_dnsname(const unsigned char *s, size_t n, bool wild, bool *upper,
    const char **why)
{
	size_t i, start = 0, labels = 0;
	bool digits = true;

	*upper = false;
	if (n == 0 || n > 253) {
		*why = "is empty or longer than 253 octets";
		return false;
	}
	if (wild && n >= 2 && s[0] == '*' && s[1] == '.')
		start = 2;
	for (i = start; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start;

			if (len == 0 || len > 63) {
				*why = "has an empty label or one longer "
				    "than 63 octets";
				return false;
			}
			if (s[start] == '-' || s[i - 1] == '-') {
				*why = "has a label that starts or ends with "
				    "a hyphen";
				return false;
			}
			labels++;
			if (i < n)
				digits = true;
			start = i + 1;
			continue;
		}
		if (s[i] == '*') {
			*why = "has a wildcard that is not the whole "
			    "leftmost label";
			return false;
		}
		if (!isascii(s[i]) || !(isalnum(s[i]) || s[i] == '-')) {
			*why = "has a character that is not a letter, digit "
			    "or hyphen (use A-labels for IDNs)";
			return false;
		}
		if (isupper(s[i]))
			*upper = true;
		if (!isdigit(s[i]))
			digits = false;
	}
	if (labels < 2) {
		*why = "is not a fully qualified domain name";
		return false;
	}
	if (digits) {
		*why = "has an all-numeric top-level label";
		return false;
	}
	return true;
}

/* The subject's values of nid, as UTF-8 (first one), into buf. */
static bool
subject_value(X509 *x, int nid, char *buf, size_t len)
{
	X509_NAME *nm = X509_get_subject_name(x);
	unsigned char *u = NULL;
	int i, n;

	if ((i = X509_NAME_get_index_by_NID(nm, nid, -1)) < 0)
		return false;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(nm, i)));
	if (n < 0)
		return false;
	if ((size_t)n >= len || memchr(u, '\0', (size_t)n) != NULL) {
		OPENSSL_free(u);
		return false;
	}
	memcpy(buf, u, (size_t)n);
	buf[n] = '\0';
	OPENSSL_free(u);
	return true;
}

static bool
subject_has(X509 *x, int nid)
{
	return X509_NAME_get_index_by_NID(X509_get_subject_name(x), nid,
	    -1) >= 0;
}

/* True when the SAN holds this mailbox (rfc822Name or SmtpUTF8Mailbox),
 * compared case-insensitively. */
static bool
san_has_mailbox(const struct ctx *c, const char *mbox)
{
	GENERAL_NAMES *gens = c->san.v;
	size_t mlen = strlen(mbox);
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;

		if (g->type == GEN_EMAIL)
			s = g->d.rfc822Name;
		else if (g->type == GEN_OTHERNAME &&
		    OBJ_obj2nid(g->d.otherName->type_id) ==
		    NID_id_on_SmtpUTF8Mailbox &&
		    g->d.otherName->value->type == V_ASN1_UTF8STRING)
			s = g->d.otherName->value->value.utf8string;
		if (s != NULL && (size_t)ASN1_STRING_length(s) == mlen &&
		    strncasecmp((const char *)ASN1_STRING_get0_data(s), mbox,
		    mlen) == 0)
			return true;
	}
	return false;
}

/* Checks: the certificate itself (RFC 5280 4.1). */

static void
check_version(struct ctx *c)
{
	/* RFC 5280 4.1.2.1: extensions => v3. */
	if (X509_get_version(c->x) != X509_VERSION_3)
		report(c, NULL, "the certificate is version %ld; kakuin's "
		    "profiles use extensions, so it must be version 3",
		    X509_get_version(c->x) + 1);
}

static void
check_serial_positive(struct ctx *c)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(c->x);
	BIGNUM *bn;

	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER) {
		report(c, NULL, "the serial number is negative; it must be "
		    "a positive integer");
		return;
	}
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL && BN_is_zero(bn))
		report(c, NULL, "the serial number is zero; it must be a "
		    "positive integer");
	BN_free(bn);
}

/* DER content octets of the serial (a leading 0x00 counted). */
static int
serial_octets(const ASN1_INTEGER *sn)
{
	int n = ASN1_STRING_length(sn);
	const unsigned char *d = ASN1_STRING_get0_data(sn);

	if (n > 0 && ASN1_STRING_type(sn) == V_ASN1_INTEGER && (d[0] & 0x80))
		n++;
	return n;
}

static void
check_serial_length(struct ctx *c)
{
	int n = serial_octets(X509_get0_serialNumber(c->x));

	if (n > 20)
		report(c, NULL, "the serial number is %d octets long; "
		    "certificate users need only handle 20", n);
}

static void
check_serial_entropy(struct ctx *c)
{
	int n = serial_octets(X509_get0_serialNumber(c->x));

	/* A positive DER INTEGER of 8 octets holds at most 63 bits. */
	if (n < 9)
		report(c, NULL, "the serial number is %d octets long; 64 "
		    "random bits need at least 9 octets (kakuin issues 16)",
		    n);
}

/*
 * A to-be-signed certificate the issuer has not signed yet has an empty
 * signature algorithm (DER cannot encode an empty OID, so a parsed
 * certificate never does): the signature rules then have nothing to check.
 */
static bool
unsigned_tbs(X509 *x)
{
	const ASN1_OBJECT *obj;

	X509_ALGOR_get0(&obj, NULL, NULL, X509_get0_tbs_sigalg(x));
	return obj == NULL || OBJ_length(obj) == 0;
}

static void
check_sig_alg_match(struct ctx *c)
{
	const X509_ALGOR *outer = NULL;
	const ASN1_BIT_STRING *sig = NULL;

	X509_get0_signature(&sig, &outer, c->x);
	if (unsigned_tbs(c->x))
		return;
	if (X509_ALGOR_cmp(X509_get0_tbs_sigalg(c->x), outer) != 0)
		report(c, NULL, "the signature algorithm inside the signed "
		    "part differs from the one outside it");
}

static void
check_sig_alg_allowed(struct ctx *c)
{
	const X509_ALGOR *alg = X509_get0_tbs_sigalg(c->x);
	const ASN1_OBJECT *obj;
	const void *pval;
	char name[80];
	int ptype, nid;

	if (unsigned_tbs(c->x))
		return;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	oid_text(name, sizeof(name), obj);
	switch (nid) {
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		/* Byte-exact encodings: NULL parameters for PKCS#1 v1.5. */
		if (ptype != V_ASN1_NULL)
			report(c, NULL, "%s must have NULL parameters", name);
		return;
	case NID_rsassaPss:
		if (ptype != V_ASN1_SEQUENCE)
			report(c, NULL, "RSASSA-PSS must carry its "
			    "parameters (hash, MGF1, salt length)");
		return;
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
	case NID_ED25519:
		if (ptype != V_ASN1_UNDEF)
			report(c, NULL, "%s must have absent parameters",
			    name);
		return;
	default:
		report(c, NULL, "signature algorithm %s is not allowed (RSA "
		    "PKCS#1 v1.5 or PSS with SHA-2, ECDSA with SHA-2, "
		    "Ed25519)", name);
	}
}

static void
check_issuer_name(struct ctx *c)
{
	const X509_NAME *in = X509_get_issuer_name(c->x);
	const unsigned char *a, *b;
	size_t alen, blen;

	if (X509_NAME_entry_count(in) == 0) {
		report(c, "RFC 5280 section 4.1.2.4", "the issuer name is "
		    "empty; it must name the CA");
		return;
	}
	if (c->issuer == NULL)
		return;
	if (!X509_NAME_get0_der(in, &a, &alen) ||
	    !X509_NAME_get0_der(X509_get_subject_name(c->issuer), &b, &blen))
		return;
	if (alen != blen || memcmp(a, b, alen) != 0)
		report(c, NULL, "the issuer name is not byte-for-byte the "
		    "CA certificate's subject name");
}

static bool
time_year(const ASN1_TIME *t, int *year)
{
	const unsigned char *d = ASN1_STRING_get0_data(t);
	int n = ASN1_STRING_length(t), i;

	if (ASN1_STRING_type(t) == V_ASN1_UTCTIME) {
		if (n != 13)
			return false;
	} else if (ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME) {
		if (n != 15)
			return false;
	} else
		return false;
	for (i = 0; i < n - 1; i++)
		if (!isdigit(d[i]))
			return false;
	if (d[n - 1] != 'Z')
		return false;
	if (n == 13) {
		*year = (d[0] - '0') * 10 + (d[1] - '0');
		*year += *year >= 50 ? 1900 : 2000;
	} else
		*year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 +
		    (d[2] - '0') * 10 + (d[3] - '0');
	return ASN1_TIME_check(t) == 1;
}

static void
check_time_encoding(struct ctx *c)
{
	const ASN1_TIME *t[2] = { X509_get0_notBefore(c->x),
	    X509_get0_notAfter(c->x) };
	const char *what[2] = { "notBefore", "notAfter" };
	int i, year;

	for (i = 0; i < 2; i++) {
		if (!time_year(t[i], &year)) {
			report(c, "RFC 5280 section 4.1.2.5.1", "%s is not "
			    "YYMMDDHHMMSSZ (UTCTime) or YYYYMMDDHHMMSSZ "
			    "(GeneralizedTime)", what[i]);
			continue;
		}
		if (year < 2050 && ASN1_STRING_type(t[i]) !=
		    V_ASN1_UTCTIME)
			report(c, NULL, "%s (year %d) must be a UTCTime: "
			    "GeneralizedTime is only for 2050 and later",
			    what[i], year);
		else if (year >= 2050 && ASN1_STRING_type(t[i]) !=
		    V_ASN1_GENERALIZEDTIME)
			report(c, NULL, "%s (year %d) must be a "
			    "GeneralizedTime", what[i], year);
	}
}

/* Seconds from notBefore to notAfter; false when unreadable. */
static bool
validity_secs(X509 *x, long long *secs)
{
	int day, sec;

	if (!ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)))
		return false;
	*secs = (long long)day * 86400 + sec;
	return true;
}

static void
check_validity_order(struct ctx *c)
{
	long long s;

	if (validity_secs(c->x, &s) && s <= 0)
		report(c, NULL, "notAfter is not after notBefore: the "
		    "certificate is never valid");
}

static void
check_validity_max(struct ctx *c)
{
	long long s;

	if (c->p == NULL || !validity_secs(c->x, &s) || s <= 0)
		return;
	/* The period is inclusive: notAfter's second counts too. */
	s += 1;
	if (s > (long long)c->p->max_days * 86400)
		report(c, c->p->kind == KN_PROF_TLS ? "TLS BR 6.3.2" :
		    c->p->kind == KN_PROF_SMIME ? "S/MIME BR 6.3.2" : NULL,
		    "the validity is %lld days and %lld seconds; profile %s "
		    "allows at most %d days of 86,400 seconds, counted "
		    "inclusively", s / 86400, s % 86400, c->p->name,
		    c->p->max_days);
}

/* Checks: keys (profile). */

static void
check_key_alg(struct ctx *c)
{
	if (c->pkey == NULL) {
		report(c, NULL, "the public key could not be decoded");
		return;
	}
	if (c->p == NULL)
		return;
	if (c->pktype == EVP_PKEY_RSA && (c->p->key_algs &
	    ((1u << KN_KEY_RSA_2048) | (1u << KN_KEY_RSA_3072) |
	    (1u << KN_KEY_RSA_4096))) != 0)
		return;		/* sizes: e_rsa_modulus */
	if (!kn_profile_allows_key(c->p, c->alg))
		report(c, c->p->kind == KN_PROF_TLS ? "TLS BR 6.1.5" : NULL,
		    "profile %s does not allow this key (%s%s); it allows "
		    "RSA, ECDSA P-256/P-384%s", c->p->name,
		    c->alg != KN_KEY_NONE ? "algorithm " : "type ",
		    c->alg == KN_KEY_ED25519 ? "Ed25519" :
		    c->pktype == EVP_PKEY_EC ? "EC on another curve" :
		    c->pktype == EVP_PKEY_RSA_PSS ? "RSASSA-PSS key" :
		    OBJ_nid2sn(c->pktype),
		    (c->p->key_algs & (1u << KN_KEY_ED25519)) ?
		    ", Ed25519" : "");
}

static void
check_rsa_modulus(struct ctx *c)
{
	BIGNUM *n = NULL;
	int bits, i;
	/* SBR 6.1.6 / TLS BR 6.1.6: no factors smaller than 752. */
	static const unsigned short primes[] = { 3, 5, 7, 11, 13, 17, 19, 23,
	    29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
	    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163,
	    167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233,
	    239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293, 307, 311,
	    313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389,
	    397, 401, 409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463,
	    467, 479, 487, 491, 499, 503, 509, 521, 523, 541, 547, 557, 563,
	    569, 571, 577, 587, 593, 599, 601, 607, 613, 617, 619, 631, 641,
	    643, 647, 653, 659, 661, 673, 677, 683, 691, 701, 709, 719, 727,
	    733, 739, 743, 751 };

	if (c->pktype != EVP_PKEY_RSA)
		return;
	bits = EVP_PKEY_get_bits(c->pkey);
	if (bits < 2048 || bits % 8 != 0) {
		report(c, NULL, "the RSA modulus has %d bits; it must have "
		    "at least 2048 and a multiple of 8", bits);
		return;
	}
	if (c->p != NULL && c->alg == KN_KEY_NONE)
		report(c, "kakuin profile", "the RSA modulus has %d bits; "
		    "kakuin issues only 2048, 3072 and 4096", bits);
	if (!EVP_PKEY_get_bn_param(c->pkey, OSSL_PKEY_PARAM_RSA_N, &n))
		return;
	if (!BN_is_odd(n))
		report(c, NULL, "the RSA modulus is even");
	else {
		for (i = 0; i < (int)(sizeof(primes) / sizeof(primes[0]));
		    i++) {
			if (BN_mod_word(n, primes[i]) == 0) {
				report(c, NULL, "the RSA modulus has the "
				    "small factor %u", primes[i]);
				break;
			}
		}
	}
	BN_free(n);
}

static void
check_rsa_exponent(struct ctx *c)
{
	BIGNUM *e = NULL;

	if (c->pktype != EVP_PKEY_RSA ||
	    !EVP_PKEY_get_bn_param(c->pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		return;
	if (!BN_is_odd(e) || BN_num_bits(e) < 2)
		report(c, NULL, "the RSA public exponent must be odd and at "
		    "least 3");
	BN_free(e);
}

static void
check_rsa_exponent_range(struct ctx *c)
{
	BIGNUM *e = NULL;

	if (c->pktype != EVP_PKEY_RSA ||
	    !EVP_PKEY_get_bn_param(c->pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		return;
	if (BN_is_odd(e) && BN_num_bits(e) >= 2 &&
	    (BN_num_bits(e) < 17 || BN_num_bits(e) > 256 ||
	    (BN_num_bits(e) == 17 && BN_is_word(e, 65536))))
		report(c, NULL, "the RSA public exponent should be in "
		    "2^16+1 ... 2^256-1 (65537 is usual)");
	BN_free(e);
}

/* Checks: extensions in general (RFC 5280 4.2). */

static void
check_ext_duplicate(struct ctx *c)
{
	int i, j, n = X509_get_ext_count(c->x);
	char name[80];

	for (i = 0; i < n; i++) {
		const ASN1_OBJECT *oi = X509_EXTENSION_get_object(
		    X509_get_ext(c->x, i));

		for (j = 0; j < i; j++) {
			if (OBJ_cmp(oi, X509_EXTENSION_get_object(
			    X509_get_ext(c->x, j))) == 0) {
				oid_text(name, sizeof(name), oi);
				report(c, NULL, "extension %s appears more "
				    "than once", name);
				break;
			}
		}
	}
}

static void
check_ext_unknown_critical(struct ctx *c)
{
	int i, n = X509_get_ext_count(c->x);
	char name[80];

	for (i = 0; i < n; i++) {
		X509_EXTENSION *e = X509_get_ext(c->x, i);

		if (X509_EXTENSION_get_critical(e) &&
		    !X509_supported_extension(e)) {
			oid_text(name, sizeof(name),
			    X509_EXTENSION_get_object(e));
			report(c, NULL, "extension %s is critical but not "
			    "one certificate users know: they must reject "
			    "the certificate", name);
		}
	}
}

static void
check_ext_malformed(struct ctx *c)
{
	int i, n = X509_get_ext_count(c->x);
	char name[80];

	for (i = 0; i < n; i++) {
		X509_EXTENSION *e = X509_get_ext(c->x, i);
		const ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(e);
		const unsigned char *p = ASN1_STRING_get0_data(d);
		ASN1_TYPE *t;
		void *v;

		oid_text(name, sizeof(name), X509_EXTENSION_get_object(e));
		/* The value is one DER element, nothing after it. */
		t = d2i_ASN1_TYPE(NULL, &p, ASN1_STRING_length(d));
		ASN1_TYPE_free(t);
		if (t == NULL || p != ASN1_STRING_get0_data(d) +
		    ASN1_STRING_length(d)) {
			report(c, NULL, "extension %s is not one DER value",
			    name);
			continue;
		}
		if (X509V3_EXT_get(e) == NULL)
			continue;
		if ((v = X509V3_EXT_d2i(e)) == NULL) {
			report(c, NULL, "extension %s could not be decoded",
			    name);
			continue;
		}
		if (X509V3_EXT_get(e)->it != NULL)
			ASN1_item_free(v,
			    ASN1_ITEM_ptr(X509V3_EXT_get(e)->it));
		else if (X509V3_EXT_get(e)->ext_free != NULL)
			X509V3_EXT_get(e)->ext_free(v);
	}
}

/* Checks: basic constraints (RFC 5280 4.2.1.9). */

static void
check_bc_ca(struct ctx *c)
{
	if (c->p == NULL)
		return;
	if (c->p->ca && !c->is_ca)
		report(c, NULL, "profile %s is a CA profile but "
		    "basicConstraints does not assert cA", c->p->name);
	else if (!c->p->ca && c->is_ca)
		report(c, c->p->kind == KN_PROF_SMIME ? "S/MIME BR "
		    "7.1.2.3(d)" : NULL, "basicConstraints asserts cA in a "
		    "certificate of end-entity profile %s", c->p->name);
}

static void
check_bc_critical(struct ctx *c)
{
	if (c->is_ca && !c->bc.crit)
		report(c, NULL, "basicConstraints must be critical in a CA "
		    "certificate");
}

static void
check_bc_pathlen_ee(struct ctx *c)
{
	BASIC_CONSTRAINTS *bc = c->bc.v;

	if (bc != NULL && !bc->ca && bc->pathlen != NULL)
		report(c, NULL, "pathLenConstraint is present but cA is "
		    "not asserted");
}

static void
check_bc_pathlen_profile(struct ctx *c)
{
	BASIC_CONSTRAINTS *bc = c->bc.v;
	long have;

	if (c->p == NULL || !c->p->ca || bc == NULL || !bc->ca)
		return;
	have = bc->pathlen == NULL ? -1 : ASN1_INTEGER_get(bc->pathlen);
	if (have != c->p->path_len) {
		if (c->p->path_len < 0)
			report(c, NULL, "profile %s has no "
			    "pathLenConstraint; this certificate has %ld",
			    c->p->name, have);
		else
			report(c, NULL, "profile %s has pathLenConstraint "
			    "%d; this certificate has %s%ld", c->p->name,
			    c->p->path_len, have < 0 ? "none " : "",
			    have < 0 ? 0L : have);
	}
}

static void
check_nc_critical(struct ctx *c)
{
	if (c->nc.present && !c->nc.crit)
		report(c, NULL, "nameConstraints must be critical");
}

/* Checks: key usage (RFC 5280 4.2.1.3). */

static void
check_ku_missing(struct ctx *c)
{
	if (c->kuext.present)
		return;
	if (c->is_ca)
		report(c, NULL, "a CA certificate must have keyUsage");
	else if (c->p != NULL && (c->p->ku_sig | c->p->ku_rsa) != 0)
		report(c, c->p->kind == KN_PROF_SMIME ? "S/MIME BR "
		    "7.1.2.3(e)" : NULL, "keyUsage is missing; profile %s "
		    "requires it", c->p->name);
}

static void
check_ku_critical(struct ctx *c)
{
	if (!c->kuext.present || c->kuext.crit)
		return;
	if (c->is_ca || kind_is(c, KN_PROF_TLS))
		report(c, NULL, "keyUsage must be critical in %s",
		    c->is_ca ? "a CA certificate" : "a TLS certificate");
}

static void
check_ku_critical_warn(struct ctx *c)
{
	if (!c->kuext.present || c->kuext.crit || c->is_ca ||
	    kind_is(c, KN_PROF_TLS))
		return;
	report(c, NULL, "keyUsage should be critical");
}

static void
check_ku_keycertsign(struct ctx *c)
{
	if (c->kuext.present && (c->ku & X509v3_KU_KEY_CERT_SIGN) &&
	    !c->is_ca)
		report(c, NULL, "keyUsage asserts keyCertSign but "
		    "basicConstraints does not assert cA");
}

static void
ku_names(char *buf, size_t len, unsigned bits)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} n[] = {
		{ X509v3_KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ X509v3_KU_NON_REPUDIATION, "nonRepudiation" },
		{ X509v3_KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ X509v3_KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ X509v3_KU_KEY_AGREEMENT, "keyAgreement" },
		{ X509v3_KU_KEY_CERT_SIGN, "keyCertSign" },
		{ X509v3_KU_CRL_SIGN, "cRLSign" },
		{ X509v3_KU_ENCIPHER_ONLY, "encipherOnly" },
		{ X509v3_KU_DECIPHER_ONLY, "decipherOnly" },
	};
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		if ((bits & n[i].bit) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o ? "+" : "", n[i].name);
	}
	if (o == 0)
		snprintf(buf, len, "none");
}

static void
check_ku_key_type(struct ctx *c)
{
	unsigned allowed, bad;
	char names[160];
	const char *src, *what;

	if (!c->kuext.present || c->pkey == NULL)
		return;
	switch (c->pktype) {
	case EVP_PKEY_RSA:
		/* RFC 3279 2.3.1: no keyAgreement, encipher/decipherOnly. */
		allowed = X509v3_KU_DIGITAL_SIGNATURE |
		    X509v3_KU_NON_REPUDIATION | X509v3_KU_KEY_ENCIPHERMENT |
		    X509v3_KU_DATA_ENCIPHERMENT | X509v3_KU_KEY_CERT_SIGN |
		    X509v3_KU_CRL_SIGN;
		/* SBR 7.1.2.3(e): dataEncipherment not in Strict. */
		if (c->p != NULL && c->p->strict)
			allowed &= ~X509v3_KU_DATA_ENCIPHERMENT;
		src = "RFC 3279 section 2.3.1";
		what = "an RSA key";
		break;
	case EVP_PKEY_EC:
		/* RFC 5480 3: never keyEncipherment/dataEncipherment. */
		allowed = KU_ALL & ~(X509v3_KU_KEY_ENCIPHERMENT |
		    X509v3_KU_DATA_ENCIPHERMENT);
		src = "RFC 5480 section 3";
		what = "an EC key";
		break;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		allowed = X509v3_KU_DIGITAL_SIGNATURE |
		    X509v3_KU_NON_REPUDIATION | X509v3_KU_KEY_CERT_SIGN |
		    X509v3_KU_CRL_SIGN;
		src = "RFC 8410 section 5";
		what = "an EdDSA key";
		break;
	default:
		return;
	}
	if (kind_is(c, KN_PROF_SMIME))
		src = "S/MIME BR 7.1.2.3(e)";
	if ((bad = c->ku & ~allowed) != 0) {
		ku_names(names, sizeof(names), bad);
		report(c, src, "keyUsage %s is not allowed for %s", names,
		    what);
	}
}

static void
check_ku_profile(struct ctx *c)
{
	unsigned want, missing, extra;
	char m[160], e[160];

	if (c->p == NULL || !c->kuext.present || c->pkey == NULL)
		return;
	want = c->pktype == EVP_PKEY_RSA ? c->p->ku_rsa : c->p->ku_sig;
	missing = want & ~c->ku;
	extra = c->ku & ~(want | c->p->ku_optional);
	if (missing == 0 && extra == 0)
		return;
	ku_names(m, sizeof(m), missing);
	ku_names(e, sizeof(e), extra);
	report(c, NULL, "keyUsage for this %s key in profile %s: missing "
	    "%s, not allowed %s", c->pktype == EVP_PKEY_RSA ? "RSA" :
	    "EC/EdDSA", c->p->name, m, e);
}

/* Checks: extended key usage (RFC 5280 4.2.1.12). */

static const char *
eku_source(const struct ctx *c)
{
	switch (c->p->kind) {
	case KN_PROF_SMIME:
		return "S/MIME BR 7.1.2.3(f)";
	case KN_PROF_TLS:
		return "TLS BR 7.1.2.7.10; Chrome Root Program Policy "
		    "(serverAuth only)";
	case KN_PROF_TSA:
		return "RFC 3161 section 2.3";
	case KN_PROF_OCSP:
		return "RFC 6960 section 4.2.2.2";
	case KN_PROF_DOCSIGN:
		return "RFC 9336";
	case KN_PROF_FEED:
		return "kakuin feed-signing profile (docs/profiles.md)";
	case KN_PROF_SUBCA:
		return "S/MIME BR 7.1.2.2(g); TLS BR 7.1.2.10.6";
	case KN_PROF_ROOT:
		return "TLS BR 7.1.2.1";
	default:
		return NULL;
	}
}

static void
check_eku_missing(struct ctx *c)
{
	if (c->p == NULL || c->p->eku[0] == 0 || c->eku.present)
		return;
	report(c, eku_source(c), "extKeyUsage is missing; profile %s "
	    "requires it", c->p->name);
}

static void
check_eku_profile(struct ctx *c)
{
	int i, nid;

	if (c->p == NULL || c->eku.v == NULL)
		return;
	for (i = 0; i < KN_MAX_EKU && c->p->eku[i] != 0; i++) {
		nid = kn_profile_eku_nid(c->p->eku[i]);
		if (!eku_has(c, nid))
			report(c, eku_source(c), "extKeyUsage lacks %s, "
			    "which profile %s requires",
			    nid ? OBJ_nid2sn(nid) : c->p->eku[i] ==
			    KN_EKU_FEED ? KN_OID_KP_FEED : KN_OID_KP_DOCSIGN,
			    c->p->name);
	}
}

static void
check_eku_extra(struct ctx *c)
{
	EXTENDED_KEY_USAGE *eku = c->eku.v;
	char name[80];
	int i;

	if (c->p == NULL || eku == NULL ||
	    !(c->p->eku_exact || c->p->kind == KN_PROF_ROOT))
		return;
	if (c->p->kind == KN_PROF_ROOT) {
		report(c, eku_source(c), "a root CA certificate must not "
		    "have extKeyUsage");
		return;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);

		if (profile_eku_has(c->p, OBJ_obj2nid(o)))
			continue;
		oid_text(name, sizeof(name), o);
		report(c, eku_source(c), "extKeyUsage %s is not allowed in "
		    "profile %s, which allows only its own purposes", name,
		    c->p->name);
	}
}

static void
check_eku_smime_forbidden(struct ctx *c)
{
	static const int bad[] = { NID_server_auth, NID_code_sign,
	    NID_time_stamp, NID_anyExtendedKeyUsage };
	size_t i;

	if (!kind_is(c, KN_PROF_SMIME) && !(c->p != NULL &&
	    c->p->kind == KN_PROF_SUBCA && profile_eku_has(c->p,
	    NID_email_protect)))
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (eku_has(c, bad[i]))
			report(c, NULL, "extKeyUsage %s must never appear in "
			    "an S/MIME certificate", OBJ_nid2sn(bad[i]));
}

static void
check_eku_critical(struct ctx *c)
{
	if (c->p == NULL || !c->eku.present)
		return;
	if (c->p->eku_critical && !c->eku.crit)
		report(c, eku_source(c), "extKeyUsage must be critical in "
		    "profile %s", c->p->name);
	else if (!c->p->eku_critical && c->eku.crit)
		report(c, c->p->kind == KN_PROF_TLS ? "TLS BR 7.1.2.7.6" :
		    NULL, "extKeyUsage is critical; profile %s has it "
		    "non-critical", c->p->name);
}

/* Checks: SAN (RFC 5280 4.2.1.6, SBR 7.1.4.2.1, TLS BR 7.1.2.7.12). */

static void
check_san_required(struct ctx *c)
{
	GENERAL_NAMES *gens = c->san.v;
	bool email = false, dns = false;
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_EMAIL || (g->type == GEN_OTHERNAME &&
		    OBJ_obj2nid(g->d.otherName->type_id) ==
		    NID_id_on_SmtpUTF8Mailbox))
			email = true;
		if (g->type == GEN_DNS)
			dns = true;
	}
	if (c->subject_empty && !c->san.present) {
		report(c, "RFC 5280 section 4.1.2.6", "the subject is empty "
		    "and there is no subjectAltName: the certificate names "
		    "no one");
		return;
	}
	if (c->p == NULL)
		return;
	if ((c->p->san & KN_SAN_EMAIL) && !email)
		report(c, "S/MIME BR 7.1.2.3(h)", "subjectAltName must hold "
		    "at least one rfc822Name or SmtpUTF8Mailbox");
	if ((c->p->san & KN_SAN_DNS) && !dns)
		report(c, "TLS BR 7.1.2.7.12", "subjectAltName must hold at "
		    "least one dNSName");
}

static void
check_san_critical(struct ctx *c)
{
	if (c->san.present && c->subject_empty && !c->san.crit)
		report(c, NULL, "the subject is empty, so subjectAltName "
		    "must be critical");
}

static void
check_san_critical_warn(struct ctx *c)
{
	if (c->san.present && !c->subject_empty && c->san.crit)
		report(c, NULL, "subjectAltName is critical although the "
		    "subject is not empty");
}

static void
check_san_types(struct ctx *c)
{
	GENERAL_NAMES *gens = c->san.v;
	int i;

	if (c->p == NULL)
		return;
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		bool smtputf8 = g->type == GEN_OTHERNAME &&
		    OBJ_obj2nid(g->d.otherName->type_id) ==
		    NID_id_on_SmtpUTF8Mailbox;

		switch (c->p->kind) {
		case KN_PROF_TLS:
			if (g->type != GEN_DNS && g->type != GEN_IPADD)
				report(c, "TLS BR 7.1.2.7.12", "a TLS "
				    "certificate's subjectAltName holds only "
				    "dNSName and iPAddress; entry %d is "
				    "another type%s", i + 1,
				    g->type == GEN_EMAIL ? " (rfc822Name)" :
				    "");
			break;
		case KN_PROF_SMIME:
			if (g->type == GEN_EMAIL || g->type == GEN_DIRNAME ||
			    smtputf8)
				break;
			if (g->type == GEN_OTHERNAME && !c->p->strict)
				break;
			report(c, NULL, "subjectAltName entry %d is a type "
			    "profile %s does not allow (rfc822Name, "
			    "SmtpUTF8Mailbox, directoryName%s)", i + 1,
			    c->p->name, c->p->strict ? "" :
			    ", other otherNames");
			break;
		default:
			break;
		}
	}
}

static void
check_rfc822(struct ctx *c)
{
	GENERAL_NAMES *gens = c->san.v;
	const char *why;
	char txt[96];
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;

		if (g->type != GEN_EMAIL)
			continue;
		s = g->d.rfc822Name;
		why = "";
		if (!valid_mailbox(ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), &why)) {
			str_text(txt, sizeof(txt), s);
			report(c, NULL, "rfc822Name \"%s\" is not an RFC 5321 "
			    "Mailbox: it %s", txt, why);
		}
	}
}

static void
check_dnsname(struct ctx *c)
{
	GENERAL_NAMES *gens = c->san.v;
	const char *why;
	char txt[96];
	bool upper;
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;

		if (g->type != GEN_DNS)
			continue;
		s = g->d.dNSName;
		why = "";
		if (!valid_dnsname(ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), true, &upper, &why)) {
			str_text(txt, sizeof(txt), s);
			report(c, NULL, "dNSName \"%s\" %s", txt, why);
		}
	}
}

static void
check_dnsname_case(struct ctx *c)
{
	GENERAL_NAMES *gens = c->san.v;
	const char *why;
	char txt[96];
	bool upper;
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;

		if (g->type != GEN_DNS)
			continue;
		s = g->d.dNSName;
		if (valid_dnsname(ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), true, &upper, &why) &&
		    upper) {
			str_text(txt, sizeof(txt), s);
			report(c, NULL, "dNSName \"%s\" has upper-case "
			    "letters; kakuin writes names in lower case", txt);
		}
	}
}

/* Checks: AKI, SKI (RFC 5280 4.2.1.1-2). */

static void
check_aki_missing(struct ctx *c)
{
	AUTHORITY_KEYID *a = c->akid.v;

	if (c->self_issued)
		return;
	if (!c->akid.present)
		report(c, NULL, "authorityKeyIdentifier is missing; it is "
		    "required in every certificate not self-signed");
	else if (a != NULL && a->keyid == NULL)
		report(c, NULL, "authorityKeyIdentifier has no "
		    "keyIdentifier");
}

static void
check_aki_critical(struct ctx *c)
{
	if (c->akid.present && c->akid.crit)
		report(c, NULL, "authorityKeyIdentifier must not be "
		    "critical");
}

static void
check_aki_keyid_only(struct ctx *c)
{
	AUTHORITY_KEYID *a = c->akid.v;

	if (a == NULL || c->self_issued || c->p == NULL)
		return;
	if (a->issuer != NULL || a->serial != NULL)
		report(c, c->p->kind == KN_PROF_TLS ? "TLS BR 7.1.2.11.1" :
		    NULL, "authorityKeyIdentifier must hold only "
		    "keyIdentifier (no authorityCertIssuer or serial)");
}

static void
check_aki_match(struct ctx *c)
{
	AUTHORITY_KEYID *a = c->akid.v;
	const ASN1_OCTET_STRING *ski;

	if (a == NULL || a->keyid == NULL || c->issuer == NULL ||
	    (ski = X509_get0_subject_key_id(c->issuer)) == NULL)
		return;
	if (ASN1_OCTET_STRING_cmp(a->keyid, ski) != 0)
		report(c, NULL, "authorityKeyIdentifier does not match the "
		    "CA certificate's subjectKeyIdentifier");
}

static void
check_ski_ca(struct ctx *c)
{
	if (c->is_ca && !c->skid.present)
		report(c, NULL, "a CA certificate must have "
		    "subjectKeyIdentifier");
}

static void
check_ski_ee(struct ctx *c)
{
	if (!c->is_ca && !c->skid.present)
		report(c, NULL, "subjectKeyIdentifier should be present");
}

static void
check_keyid_critical(struct ctx *c)
{
	if (c->skid.present && c->skid.crit)
		report(c, NULL, "subjectKeyIdentifier must not be critical");
}

/* Checks: policies (RFC 5280 4.2.1.4, SBR 7.1.2.3(a), TLS BR 7.1.2.7.9). */

static void
check_policy_missing(struct ctx *c)
{
	if (c->p == NULL || c->p->policy_oid == NULL || c->pol.present)
		return;
	report(c, c->p->kind == KN_PROF_TLS ? "TLS BR 7.1.2.7.9" : NULL,
	    "certificatePolicies is missing; profile %s requires policy %s",
	    c->p->name, c->p->policy_oid);
}

static void
check_policy_oid(struct ctx *c)
{
	CERTIFICATEPOLICIES *pol = c->pol.v;
	char oid[96];
	bool found = false;
	int i;

	if (c->p == NULL || pol == NULL)
		return;
	for (i = 0; i < sk_POLICYINFO_num(pol); i++) {
		POLICYINFO *pi = sk_POLICYINFO_value(pol, i);

		if (OBJ_obj2txt(oid, sizeof(oid), pi->policyid, 1) <= 0)
			continue;
		if (c->p->policy_oid != NULL &&
		    strcmp(oid, c->p->policy_oid) == 0) {
			found = true;
			continue;
		}
		/* Exactly one CA/Browser Forum reserved OID. */
		if (strncmp(oid, "2.23.140.1.", 11) == 0)
			report(c, NULL, "policy %s is a reserved CA/Browser "
			    "Forum OID other than the profile's %s", oid,
			    c->p->policy_oid ? c->p->policy_oid : "(none)");
	}
	if (c->p->policy_oid != NULL && !found)
		report(c, NULL, "certificatePolicies lacks profile %s's "
		    "policy %s", c->p->name, c->p->policy_oid);
}

static void
check_policy_any(struct ctx *c)
{
	CERTIFICATEPOLICIES *pol = c->pol.v;
	int i;

	if (!is_subscriber(c) || pol == NULL)
		return;
	for (i = 0; i < sk_POLICYINFO_num(pol); i++)
		if (OBJ_obj2nid(sk_POLICYINFO_value(pol, i)->policyid) ==
		    NID_any_policy)
			report(c, NULL, "anyPolicy is not allowed in a "
			    "subscriber certificate");
}

static void
check_policy_qualifiers(struct ctx *c)
{
	CERTIFICATEPOLICIES *pol = c->pol.v;
	int i, j;

	if (c->p == NULL || pol == NULL)
		return;
	for (i = 0; i < sk_POLICYINFO_num(pol); i++) {
		POLICYINFO *pi = sk_POLICYINFO_value(pol, i);

		for (j = 0; j < sk_POLICYQUALINFO_num(pi->qualifiers); j++) {
			POLICYQUALINFO *q = sk_POLICYQUALINFO_value(
			    pi->qualifiers, j);

			switch (OBJ_obj2nid(q->pqualid)) {
			case NID_id_qt_cps:
				if (q->d.cpsuri == NULL ||
				    !(has_uri_scheme(q->d.cpsuri, "http://") ||
				    has_uri_scheme(q->d.cpsuri, "https://")))
					report(c, NULL, "the CPS qualifier "
					    "must be an http:// or https:// "
					    "URL");
				break;
			case NID_id_qt_unotice:
				if (c->p->kind == KN_PROF_TLS) {
					report(c, "TLS BR 7.1.2.7.9",
					    "a TLS certificate may carry only "
					    "a CPS qualifier, not a userNotice "
					    "(kakuin puts the registry URL in "
					    "its own extension)");
					break;
				}
				if (q->d.usernotice == NULL ||
				    q->d.usernotice->noticeref != NULL ||
				    q->d.usernotice->exptext == NULL)
					report(c, NULL, "a userNotice must "
					    "have explicitText and no "
					    "noticeRef");
				break;
			default:
				report(c, NULL, "policy qualifier of unknown "
				    "type");
			}
		}
	}
}

static void
check_policy_critical(struct ctx *c)
{
	if (c->pol.present && c->pol.crit)
		report(c, NULL, "certificatePolicies should not be critical");
}

/* Checks: CRL DP and AIA. */

static void
check_crldp_missing(struct ctx *c)
{
	if (c->p == NULL || !c->p->crl_dp || c->crldp.present)
		return;
	report(c, c->p->kind == KN_PROF_SMIME ? "S/MIME BR 7.1.2.3(b)" :
	    NULL, "cRLDistributionPoints is missing; profile %s requires "
	    "it", c->p->name);
}

static void
check_crldp_uri(struct ctx *c)
{
	CRL_DIST_POINTS *dps = c->crldp.v;
	int i, j;

	if (dps == NULL || c->p == NULL)
		return;
	for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *fn;

		if (dp->distpoint == NULL || dp->distpoint->type != 0) {
			report(c, NULL, "distribution point %d has no "
			    "fullName", i + 1);
			continue;
		}
		fn = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(fn); j++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(fn, j);

			if (g->type != GEN_URI)
				report(c, NULL, "distribution point %d names "
				    "something that is not a URI", i + 1);
			else if (c->p->http_only &&
			    !has_uri_scheme(g->d.uniformResourceIdentifier,
			    "http://"))
				report(c, NULL, "distribution point %d must "
				    "be an http:// URL in profile %s", i + 1,
				    c->p->name);
		}
	}
}

static void
check_aia_missing(struct ctx *c)
{
	if (c->p == NULL || !c->p->aia || c->aia.present)
		return;
	report(c, NULL, "authorityInformationAccess is missing; profile %s "
	    "includes it", c->p->name);
}

static void
check_aia_critical(struct ctx *c)
{
	if (c->aia.present && c->aia.crit)
		report(c, NULL, "authorityInformationAccess must not be "
		    "critical");
}

static void
check_aia_uri(struct ctx *c)
{
	AUTHORITY_INFO_ACCESS *aia = c->aia.v;
	int i;

	if (aia == NULL || c->p == NULL)
		return;
	for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

		if (ad->location->type != GEN_URI)
			report(c, NULL, "access description %d is not a URI",
			    i + 1);
		else if (c->p->http_only && !has_uri_scheme(
		    ad->location->d.uniformResourceIdentifier, "http://"))
			report(c, NULL, "access description %d must be an "
			    "http:// URL in profile %s", i + 1, c->p->name);
	}
}

/* Checks: other extensions. */

static void
check_subject_dir_attrs(struct ctx *c)
{
	if (c->p == NULL || c->p->kind != KN_PROF_SMIME)
		return;
	if (X509_get_ext_by_NID(c->x, NID_subject_directory_attributes,
	    -1) >= 0)
		report(c, NULL, "subjectDirectoryAttributes is not allowed "
		    "in Multipurpose or Strict S/MIME certificates");
}

static void
check_ocsp_nocheck(struct ctx *c)
{
	bool has = X509_get_ext_by_NID(c->x, NID_id_pkix_OCSP_noCheck,
	    -1) >= 0;

	if (c->p == NULL)
		return;
	if (c->p->ocsp_nocheck && !has)
		report(c, NULL, "id-pkix-ocsp-nocheck is missing; a "
		    "delegated OCSP responder certificate carries it");
	else if (!c->p->ocsp_nocheck && has)
		report(c, NULL, "id-pkix-ocsp-nocheck belongs only in OCSP "
		    "responder certificates; here it disables revocation "
		    "checking");
}

static void
check_registry_url(struct ctx *c)
{
	ASN1_OBJECT *o = OBJ_txt2obj(KN_OID_REGISTRY_URL, 1);
	X509_EXTENSION *e;
	ASN1_IA5STRING *s = NULL;
	const ASN1_OCTET_STRING *d;
	const unsigned char *p;
	int i;

	if (o == NULL)
		return;
	i = X509_get_ext_by_OBJ(c->x, o, -1);
	ASN1_OBJECT_free(o);
	if (i < 0)
		return;
	e = X509_get_ext(c->x, i);
	if (X509_EXTENSION_get_critical(e))
		report(c, NULL, "the registry URL extension must not be "
		    "critical");
	d = X509_EXTENSION_get_data(e);
	p = ASN1_STRING_get0_data(d);
	s = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(d));
	if (s == NULL || p != ASN1_STRING_get0_data(d) +
	    ASN1_STRING_length(d) || !has_uri_scheme(s, "https://"))
		report(c, NULL, "the registry URL extension must be one "
		    "IA5String holding an https:// URL");
	else {
		const unsigned char *u = ASN1_STRING_get0_data(s);

		for (i = 0; i < ASN1_STRING_length(s); i++) {
			if (u[i] <= 0x20 || u[i] >= 0x7f) {
				report(c, NULL, "the registry URL has a "
				    "space or control character");
				break;
			}
		}
	}
	ASN1_IA5STRING_free(s);
}

/* Checks: subject (SBR 7.1.4.2.2-.6, TLS BR 7.1.2.7.2-.4). */

struct subj_rules {
	const int	*allowed;	/* 0-terminated */
	const int	*required;	/* 0-terminated */
};

static const int a_ca[] = { NID_commonName, NID_organizationName,
    NID_organizationalUnitName, NID_organizationIdentifier,
    NID_countryName, 0 };
static const int r_ca[] = { NID_commonName, NID_organizationName,
    NID_countryName, 0 };
static const int a_sponsored[] = { NID_commonName, NID_givenName,
    NID_surname, NID_pseudonym, NID_organizationName,
    NID_organizationalUnitName, NID_organizationIdentifier, NID_title,
    NID_serialNumber, NID_pkcs9_emailAddress, NID_localityName,
    NID_stateOrProvinceName, NID_countryName, NID_streetAddress,
    NID_postalCode, 0 };
static const int r_org_bound[] = { NID_organizationName,
    NID_organizationIdentifier, NID_countryName, 0 };
static const int a_org[] = { NID_commonName, NID_organizationName,
    NID_organizationalUnitName, NID_organizationIdentifier,
    NID_pkcs9_emailAddress, NID_localityName, NID_stateOrProvinceName,
    NID_countryName, NID_streetAddress, NID_postalCode, 0 };
static const int a_dv[] = { NID_commonName, NID_countryName, 0 };
static const int r_none[] = { 0 };
static const int a_ov[] = { NID_commonName, NID_organizationName,
    NID_localityName, NID_stateOrProvinceName, NID_countryName,
    NID_streetAddress, NID_postalCode, 0 };
static const int r_ov[] = { NID_organizationName, NID_countryName, 0 };
static const int a_ev[] = { NID_commonName, NID_organizationName,
    NID_businessCategory, NID_jurisdictionCountryName,
    NID_jurisdictionStateOrProvinceName, NID_jurisdictionLocalityName,
    NID_serialNumber, NID_organizationIdentifier, NID_localityName,
    NID_stateOrProvinceName, NID_countryName, NID_streetAddress,
    NID_postalCode, 0 };
static const int r_ev[] = { NID_organizationName, NID_businessCategory,
    NID_jurisdictionCountryName, NID_serialNumber, NID_countryName, 0 };
static const int a_service[] = { NID_commonName, NID_organizationName,
    NID_organizationalUnitName, NID_countryName, 0 };
static const int r_service[] = { NID_commonName, NID_organizationName,
    0 };

static struct subj_rules
subj_rules(enum kn_subj s)
{
	struct subj_rules r = { NULL, NULL };

	switch (s) {
	case KN_SUBJ_CA:
		r.allowed = a_ca, r.required = r_ca;
		break;
	case KN_SUBJ_SPONSORED:
		r.allowed = a_sponsored, r.required = r_org_bound;
		break;
	case KN_SUBJ_ORG:
		r.allowed = a_org, r.required = r_org_bound;
		break;
	case KN_SUBJ_TLS_DV:
		r.allowed = a_dv, r.required = r_none;
		break;
	case KN_SUBJ_TLS_OV:
		r.allowed = a_ov, r.required = r_ov;
		break;
	case KN_SUBJ_TLS_EV:
		r.allowed = a_ev, r.required = r_ev;
		break;
	case KN_SUBJ_SERVICE:
		r.allowed = a_service, r.required = r_service;
		break;
	}
	return r;
}

static const char *
subj_source(const struct ctx *c)
{
	switch (c->p->subject) {
	case KN_SUBJ_SPONSORED:
		return c->p->kind == KN_PROF_SMIME ? "S/MIME BR 7.1.4.2.4" :
		    "kakuin profile (as S/MIME BR 7.1.4.2.4)";
	case KN_SUBJ_ORG:
		return "S/MIME BR 7.1.4.2.3";
	case KN_SUBJ_TLS_DV:
		return "TLS BR 7.1.2.7.2";
	case KN_SUBJ_TLS_OV:
		return "TLS BR 7.1.2.7.4";
	case KN_SUBJ_TLS_EV:
		return "TLS BR 7.1.2.7.3; EV Guidelines 7.1.4.2";
	case KN_SUBJ_CA:
		return "TLS BR 7.1.2.10.2";
	default:
		return "kakuin profile";
	}
}

static void
check_subject_required(struct ctx *c)
{
	struct subj_rules r;
	bool gn, sn, ps;
	int i;

	if (c->p == NULL)
		return;
	r = subj_rules(c->p->subject);
	for (i = 0; r.required[i] != 0; i++)
		if (!subject_has(c->x, r.required[i]))
			report(c, subj_source(c), "the subject lacks %s, "
			    "which profile %s requires",
			    OBJ_nid2ln(r.required[i]), c->p->name);
	if (c->p->subject == KN_SUBJ_SPONSORED) {
		gn = subject_has(c->x, NID_givenName);
		sn = subject_has(c->x, NID_surname);
		ps = subject_has(c->x, NID_pseudonym);
		if (!ps && !(gn && sn))
			report(c, subj_source(c), "the subject needs "
			    "givenName and surname (or a pseudonym)");
	}
	if (c->p->subject == KN_SUBJ_TLS_OV &&
	    !subject_has(c->x, NID_stateOrProvinceName) &&
	    !subject_has(c->x, NID_localityName))
		report(c, subj_source(c), "the subject needs "
		    "stateOrProvinceName or localityName");
}

static void
check_subject_allowed(struct ctx *c)
{
	X509_NAME *nm = X509_get_subject_name(c->x);
	struct subj_rules r;
	int i, j, nid;

	if (c->p == NULL)
		return;
	r = subj_rules(c->p->subject);
	for (i = 0; i < X509_NAME_entry_count(nm); i++) {
		const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(
		    X509_NAME_get_entry(nm, i));
		char name[80];

		nid = OBJ_obj2nid(o);
		for (j = 0; r.allowed[j] != 0; j++)
			if (r.allowed[j] == nid)
				break;
		oid_text(name, sizeof(name), o);
		if (r.allowed[j] == 0)
			report(c, subj_source(c), "subject attribute %s is "
			    "not allowed in profile %s", name, c->p->name);
		else if (c->p->strict && (nid == NID_streetAddress ||
		    nid == NID_postalCode))
			report(c, "S/MIME BR 7.1.4.2.2(g)", "subject "
			    "attribute %s is not allowed in Strict profile "
			    "%s", name, c->p->name);
	}
	if (c->p->subject == KN_SUBJ_SPONSORED &&
	    subject_has(c->x, NID_pseudonym) &&
	    (subject_has(c->x, NID_givenName) ||
	    subject_has(c->x, NID_surname)))
		report(c, subj_source(c), "pseudonym must not be combined "
		    "with givenName or surname");
}

static void
check_subject_placeholder(struct ctx *c)
{
	X509_NAME *nm = X509_get_subject_name(c->x);
	char name[80];
	int i, n;

	for (i = 0; i < X509_NAME_entry_count(nm); i++) {
		X509_NAME_ENTRY *ne = X509_NAME_get_entry(nm, i);
		unsigned char *u = NULL;
		int k;

		oid_text(name, sizeof(name), X509_NAME_ENTRY_get_object(ne));
		n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(ne));
		if (n < 0) {
			report(c, NULL, "subject attribute %s has a value "
			    "that is not valid text", name);
			continue;
		}
		for (k = 0; k < n; k++)
			if (u[k] != '.' && u[k] != '-' && u[k] != ' ')
				break;
		if (k == n)
			report(c, NULL, "subject attribute %s is empty or a "
			    "placeholder (\".\", \"-\", \" \"): leave the "
			    "attribute out instead", name);
		OPENSSL_free(u);
	}
}

static void
check_org_identifier(struct ctx *c)
{
	char v[128], country[8];
	const char *ref;
	int64_t num;
	size_t n;

	if (!subject_value(c->x, NID_organizationIdentifier, v, sizeof(v))) {
		if (subject_has(c->x, NID_organizationIdentifier))
			report(c, NULL, "organizationIdentifier is not "
			    "readable text");
		return;
	}
	n = strlen(v);
	/* 3-letter scheme, 2-letter country, '-', reference. */
	if (n < 7 || !isupper((unsigned char)v[0]) ||
	    !isupper((unsigned char)v[1]) || !isupper((unsigned char)v[2]) ||
	    !isupper((unsigned char)v[3]) || !isupper((unsigned char)v[4]) ||
	    v[5] != '-') {
		report(c, NULL, "organizationIdentifier \"%.60s\" is not "
		    "<scheme><country>-<reference> (e.g. NTRJP-<13-digit "
		    "corporate number>)", v);
		return;
	}
	if (strncmp(v, "NTR", 3) != 0 && strncmp(v, "VAT", 3) != 0 &&
	    strncmp(v, "PSD", 3) != 0 && strncmp(v, "LEI", 3) != 0 &&
	    strncmp(v, "GOV", 3) != 0 && strncmp(v, "INT", 3) != 0) {
		report(c, NULL, "organizationIdentifier scheme %.3s is not "
		    "one of NTR, VAT, PSD, LEI, GOV, INT", v);
		return;
	}
	ref = v + 6;
	if (strncmp(v, "NTRJP", 5) == 0 &&
	    kn_corpnum_parse(&num, ref, strlen(ref)) != 0)
		report(c, NULL, "organizationIdentifier %.60s does not hold "
		    "a valid 13-digit corporate number: %s", v,
		    kn_err_get()->msg);
	if (strncmp(v + 3, "XG", 2) != 0 && (!subject_value(c->x,
	    NID_countryName, country, sizeof(country)) ||
	    strncmp(country, v + 3, 2) != 0 || country[2] != '\0'))
		report(c, NULL, "organizationIdentifier country %.2s does "
		    "not match the subject's countryName", v + 3);
}

static void
check_subject_email_in_san(struct ctx *c)
{
	X509_NAME *nm = X509_get_subject_name(c->x);
	char v[256];
	int i;

	for (i = 0; i < X509_NAME_entry_count(nm); i++) {
		X509_NAME_ENTRY *ne = X509_NAME_get_entry(nm, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));
		unsigned char *u = NULL;
		int n;

		if (nid != NID_pkcs9_emailAddress && nid != NID_commonName)
			continue;
		if ((n = ASN1_STRING_to_UTF8(&u,
		    X509_NAME_ENTRY_get_data(ne))) < 0)
			continue;
		if ((size_t)n < sizeof(v) && memchr(u, '\0', (size_t)n) ==
		    NULL && (nid == NID_pkcs9_emailAddress ||
		    memchr(u, '@', (size_t)n) != NULL)) {
			memcpy(v, u, (size_t)n);
			v[n] = '\0';
			if (!san_has_mailbox(c, v))
				report(c, NULL, "subject %s \"%.80s\" is not "
				    "repeated in subjectAltName",
				    nid == NID_commonName ? "commonName" :
				    "emailAddress", v);
		}
		OPENSSL_free(u);
	}
}

static void
check_tls_cn_in_san(struct ctx *c)
{
	GENERAL_NAMES *gens = c->san.v;
	char cn[256];
	size_t n;
	int i;

	if (!kind_is(c, KN_PROF_TLS) || !subject_has(c->x, NID_commonName))
		return;
	if (!subject_value(c->x, NID_commonName, cn, sizeof(cn))) {
		report(c, NULL, "commonName is not readable text");
		return;
	}
	n = strlen(cn);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS &&
		    (size_t)ASN1_STRING_length(g->d.dNSName) == n &&
		    strncasecmp((const char *)ASN1_STRING_get0_data(
		    g->d.dNSName), cn, n) == 0)
			return;
	}
	report(c, NULL, "commonName \"%.80s\" is not one of the "
	    "subjectAltName dNSNames", cn);
}

#define RFC(s)	"RFC 5280 section " s

static const struct rule rules[] = {
	{ { "e_version_v3", KN_LINT_ERROR, RFC("4.1.2.1"),
	    "the certificate is version 3" }, check_version },
	{ { "e_serial_positive", KN_LINT_ERROR, RFC("4.1.2.2"),
	    "the serial number is positive" }, check_serial_positive },
	{ { "e_serial_too_long", KN_LINT_ERROR, RFC("4.1.2.2"),
	    "the serial number has at most 20 octets" },
	    check_serial_length },
	{ { "e_serial_entropy", KN_LINT_ERROR, "S/MIME BR 7.1; TLS BR 7.1",
	    "the serial number can hold 64 random bits (9+ octets)" },
	    check_serial_entropy },
	{ { "e_sig_alg_mismatch", KN_LINT_ERROR, RFC("4.1.1.2"),
	    "signature and signatureAlgorithm are the same" },
	    check_sig_alg_match },
	{ { "e_sig_alg_allowed", KN_LINT_ERROR,
	    "S/MIME BR 7.1.3.2; TLS BR 7.1.3.2",
	    "the signature algorithm and its encoding are allowed" },
	    check_sig_alg_allowed },
	{ { "e_issuer_name", KN_LINT_ERROR, "S/MIME BR 7.1.4.1; "
	    RFC("4.1.2.4"), "the issuer name is the CA's subject, byte for "
	    "byte" }, check_issuer_name },
	{ { "e_time_encoding", KN_LINT_ERROR, RFC("4.1.2.5"),
	    "UTCTime through 2049, GeneralizedTime from 2050, seconds, Z" },
	    check_time_encoding },
	{ { "e_validity_order", KN_LINT_ERROR, RFC("4.1.2.5"),
	    "notBefore is before notAfter" }, check_validity_order },
	{ { "e_validity_too_long", KN_LINT_ERROR, "kakuin profile "
	    "max_days (S/MIME BR 6.3.2; TLS BR 6.3.2)",
	    "the validity (inclusive, 86,400-second days) is at most the "
	    "profile's maximum" }, check_validity_max },
	{ { "e_key_alg", KN_LINT_ERROR, "S/MIME BR 6.1.5; TLS BR 6.1.5",
	    "the key algorithm is one the profile allows" }, check_key_alg },
	{ { "e_rsa_modulus", KN_LINT_ERROR, "S/MIME BR 6.1.5-6.1.6; TLS BR "
	    "6.1.5-6.1.6", "RSA modulus: 2048+ bits, multiple of 8, no "
	    "factor below 752" }, check_rsa_modulus },
	{ { "e_rsa_exponent", KN_LINT_ERROR, "S/MIME BR 6.1.6; TLS BR 6.1.6",
	    "the RSA public exponent is odd and at least 3" },
	    check_rsa_exponent },
	{ { "w_rsa_exponent_range", KN_LINT_WARN, "S/MIME BR 6.1.6; TLS BR "
	    "6.1.6", "the RSA public exponent is in 2^16+1 ... 2^256-1" },
	    check_rsa_exponent_range },
	{ { "e_ext_duplicate", KN_LINT_ERROR, RFC("4.2"),
	    "no extension appears twice" }, check_ext_duplicate },
	{ { "e_ext_unknown_critical", KN_LINT_ERROR, RFC("4.2"),
	    "no unrecognized extension is critical" },
	    check_ext_unknown_critical },
	{ { "e_ext_malformed", KN_LINT_ERROR, RFC("4.2"),
	    "every extension value is one decodable DER value" },
	    check_ext_malformed },
	{ { "e_bc_ca", KN_LINT_ERROR, RFC("4.2.1.9"),
	    "cA is asserted exactly in CA profiles" }, check_bc_ca },
	{ { "e_bc_not_critical", KN_LINT_ERROR, RFC("4.2.1.9"),
	    "basicConstraints is critical in CA certificates" },
	    check_bc_critical },
	{ { "e_bc_pathlen_ee", KN_LINT_ERROR, RFC("4.2.1.9"),
	    "no pathLenConstraint without cA" }, check_bc_pathlen_ee },
	{ { "e_bc_pathlen_profile", KN_LINT_ERROR, "kakuin profile "
	    "path_len (" RFC("4.2.1.9") ")", "the CA's pathLenConstraint is "
	    "the profile's" }, check_bc_pathlen_profile },
	{ { "e_nc_not_critical", KN_LINT_ERROR, RFC("4.2.1.10"),
	    "nameConstraints is critical" }, check_nc_critical },
	{ { "e_ku_missing", KN_LINT_ERROR, RFC("4.2.1.3"),
	    "keyUsage is present in CA certificates and where the profile "
	    "has it" }, check_ku_missing },
	{ { "e_ku_not_critical", KN_LINT_ERROR, "TLS BR 7.1.2.7.6; TLS BR "
	    "7.1.2.10.7", "keyUsage is critical in CA and TLS certificates" },
	    check_ku_critical },
	{ { "w_ku_not_critical", KN_LINT_WARN, "S/MIME BR 7.1.2.3(e); "
	    RFC("4.2.1.3"), "keyUsage should be critical" },
	    check_ku_critical_warn },
	{ { "e_ku_keycertsign_ee", KN_LINT_ERROR, RFC("4.2.1.3"),
	    "keyCertSign only with cA" }, check_ku_keycertsign },
	{ { "e_ku_key_type", KN_LINT_ERROR, "RFC 3279 2.3.1; RFC 5480 3; "
	    "RFC 8410 5; S/MIME BR 7.1.2.3(e)", "keyUsage bits fit the key "
	    "type" }, check_ku_key_type },
	{ { "e_ku_profile", KN_LINT_ERROR, "kakuin profile ku_rsa/ku_sig "
	    "(S/MIME BR 7.1.2.3(e); TLS BR 7.1.2.7.11)", "keyUsage is "
	    "exactly the profile's for the key type, plus optional bits" },
	    check_ku_profile },
	{ { "e_eku_missing", KN_LINT_ERROR, RFC("4.2.1.12"),
	    "extKeyUsage is present where the profile has it" },
	    check_eku_missing },
	{ { "e_eku_profile", KN_LINT_ERROR, RFC("4.2.1.12"),
	    "extKeyUsage holds every purpose of the profile" },
	    check_eku_profile },
	{ { "e_eku_extra", KN_LINT_ERROR, RFC("4.2.1.12"),
	    "exact profiles (Strict, TLS, OCSP, TSA ...) have no other "
	    "purpose; roots have no extKeyUsage" }, check_eku_extra },
	{ { "e_eku_smime_forbidden", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(f); "
	    "S/MIME BR 7.1.2.2(g)", "never serverAuth, codeSigning, "
	    "timeStamping or anyExtendedKeyUsage in S/MIME" },
	    check_eku_smime_forbidden },
	{ { "e_eku_criticality", KN_LINT_ERROR, RFC("4.2.1.12"),
	    "extKeyUsage criticality is the profile's (critical for TSA)" },
	    check_eku_critical },
	{ { "e_san_required", KN_LINT_ERROR, RFC("4.2.1.6"),
	    "subjectAltName holds the names the profile requires" },
	    check_san_required },
	{ { "e_san_not_critical", KN_LINT_ERROR, RFC("4.2.1.6"),
	    "subjectAltName is critical when the subject is empty" },
	    check_san_critical },
	{ { "w_san_critical", KN_LINT_WARN, "S/MIME BR 7.1.2.3(h); "
	    RFC("4.2.1.6"), "subjectAltName is not critical when there is "
	    "a subject" }, check_san_critical_warn },
	{ { "e_san_name_type", KN_LINT_ERROR, "S/MIME BR 7.1.4.2.1",
	    "subjectAltName holds only the name types the profile allows" },
	    check_san_types },
	{ { "e_rfc822_syntax", KN_LINT_ERROR, "RFC 5280 4.2.1.6; RFC 5321 "
	    "4.1.2", "every rfc822Name is an RFC 5321 Mailbox" },
	    check_rfc822 },
	{ { "e_dns_syntax", KN_LINT_ERROR, "RFC 5280 4.2.1.6; RFC 1034 "
	    "3.5; TLS BR 7.1.2.7.12", "every dNSName is an LDH FQDN, "
	    "wildcard only as the leftmost label" }, check_dnsname },
	{ { "w_dns_not_lowercase", KN_LINT_WARN, "kakuin profile",
	    "dNSNames are written in lower case" }, check_dnsname_case },
	{ { "e_aki_missing", KN_LINT_ERROR, RFC("4.2.1.1"),
	    "authorityKeyIdentifier with keyIdentifier unless self-issued" },
	    check_aki_missing },
	{ { "e_aki_critical", KN_LINT_ERROR, RFC("4.2.1.1"),
	    "authorityKeyIdentifier is not critical" }, check_aki_critical },
	{ { "e_aki_keyid_only", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(g); TLS "
	    "BR 7.1.2.11.1", "authorityKeyIdentifier holds only "
	    "keyIdentifier" }, check_aki_keyid_only },
	{ { "e_aki_mismatch", KN_LINT_ERROR, RFC("4.2.1.1"),
	    "authorityKeyIdentifier is the CA's subjectKeyIdentifier" },
	    check_aki_match },
	{ { "e_ski_missing_ca", KN_LINT_ERROR, RFC("4.2.1.2"),
	    "CA certificates have subjectKeyIdentifier" }, check_ski_ca },
	{ { "w_ski_missing", KN_LINT_WARN, RFC("4.2.1.2"),
	    "end-entity certificates have subjectKeyIdentifier" },
	    check_ski_ee },
	{ { "e_ski_critical", KN_LINT_ERROR, RFC("4.2.1.2"),
	    "subjectKeyIdentifier is not critical" }, check_keyid_critical },
	{ { "e_policy_missing", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(a)",
	    "certificatePolicies is present when the profile has a policy" },
	    check_policy_missing },
	{ { "e_policy_oid", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(a); TLS BR "
	    "7.1.2.7.9", "the profile's policy OID, and no other reserved "
	    "CA/Browser Forum OID" }, check_policy_oid },
	{ { "e_policy_any", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(a); TLS BR "
	    "7.1.2.7.9", "no anyPolicy in subscriber certificates" },
	    check_policy_any },
	{ { "e_policy_qualifier", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(a); "
	    RFC("4.2.1.4"), "CPS qualifiers are http(s) URLs; userNotice "
	    "has explicitText only (none in TLS)" },
	    check_policy_qualifiers },
	{ { "w_policy_critical", KN_LINT_WARN, "S/MIME BR 7.1.2.3(a)",
	    "certificatePolicies is not critical" }, check_policy_critical },
	{ { "e_crldp_missing", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(b); TLS "
	    "BR 7.1.2.11.2", "cRLDistributionPoints is present where the "
	    "profile has it" }, check_crldp_missing },
	{ { "e_crldp_uri", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(b); TLS BR "
	    "7.1.2.11.2", "every distribution point is an http:// URL" },
	    check_crldp_uri },
	{ { "e_aia_missing", KN_LINT_ERROR, "TLS BR 7.1.2.7.7; S/MIME BR "
	    "7.1.2.3(c)", "authorityInformationAccess is present where the "
	    "profile has it" }, check_aia_missing },
	{ { "e_aia_critical", KN_LINT_ERROR, "RFC 5280 4.2.2.1; S/MIME BR "
	    "7.1.2.3(c)", "authorityInformationAccess is not critical" },
	    check_aia_critical },
	{ { "e_aia_uri", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(c); TLS BR "
	    "7.1.2.7.7", "every access location is an http:// URL" },
	    check_aia_uri },
	{ { "e_subject_dir_attrs", KN_LINT_ERROR, "S/MIME BR 7.1.2.3(i)",
	    "no subjectDirectoryAttributes in Multipurpose/Strict S/MIME" },
	    check_subject_dir_attrs },
	{ { "e_ocsp_nocheck", KN_LINT_ERROR, "RFC 6960 4.2.2.2.1; S/MIME "
	    "BR 4.9.9", "id-pkix-ocsp-nocheck in, and only in, OCSP "
	    "responder certificates" }, check_ocsp_nocheck },
	{ { "e_registry_url", KN_LINT_ERROR, "kakuin profile "
	    "(KN_OID_REGISTRY_URL)", "the registry URL extension is a "
	    "non-critical IA5String https:// URL" }, check_registry_url },
	{ { "e_subject_required", KN_LINT_ERROR, "S/MIME BR 7.1.4.2.2",
	    "the subject has the attributes the profile requires" },
	    check_subject_required },
	{ { "e_subject_not_allowed", KN_LINT_ERROR, "S/MIME BR 7.1.4.2.2",
	    "the subject has no attribute outside the profile's set" },
	    check_subject_allowed },
	{ { "e_subject_placeholder", KN_LINT_ERROR, "S/MIME BR 7.1.4.2.2; "
	    "TLS BR 7.1.4.3", "no empty or placeholder (\".\", \"-\", \" "
	    "\") subject value" }, check_subject_placeholder },
	{ { "e_org_identifier", KN_LINT_ERROR, "S/MIME BR 7.1.4.2.2(d) and "
	    "Appendix A.1", "organizationIdentifier is <scheme><country>-"
	    "<ref>, NTRJP with a valid corporate number, country = C" },
	    check_org_identifier },
	{ { "e_subject_email_in_san", KN_LINT_ERROR, "S/MIME BR "
	    "7.1.4.2.1", "every mailbox in the subject is repeated in "
	    "subjectAltName" }, check_subject_email_in_san },
	{ { "e_tls_cn_in_san", KN_LINT_ERROR, "TLS BR 7.1.4.3",
	    "a TLS commonName is one of the dNSNames" },
	    check_tls_cn_in_san },
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))

const struct kn_lint_rule *
kn_lint_rule_at(size_t i)
{
	return i < NRULES ? &rules[i].info : NULL;
}

const struct kn_lint_finding *
kn_lint_find(const struct kn_lint_report *rep, const char *id)
{
	size_t i;

	for (i = 0; i < rep->n && i < KN_LINT_MAX; i++)
		if (strcmp(rep->f[i].rule, id) == 0)
			return &rep->f[i];
	return NULL;
}

static bool
self_issued(X509 *x)
{
	const unsigned char *a, *b;
	size_t alen, blen;

	if (!X509_NAME_get0_der(X509_get_issuer_name(x), &a, &alen) ||
	    !X509_NAME_get0_der(X509_get_subject_name(x), &b, &blen))
		return false;
	return alen == blen && memcmp(a, b, alen) == 0;
}

const struct kn_profile *
kn_lint_guess_profile(X509 *x)
{
	BASIC_CONSTRAINTS *bc;
	EXTENDED_KEY_USAGE *eku;
	CERTIFICATEPOLICIES *pol;
	const struct kn_profile *p = NULL;
	bool ca;
	int crit, i, nid;
	char oid[96];

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	ca = bc != NULL && bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (ca) {
		if (self_issued(x))
			p = kn_profile_find("root-ca");
		else if (eku != NULL && sk_ASN1_OBJECT_num(eku) > 0) {
			nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0));
			p = kn_profile_find(nid == NID_server_auth ?
			    "sub-ca-tls" : "sub-ca-smime");
		} else
			p = kn_profile_find("sub-ca");
		goto out;
	}
	pol = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
	for (i = 0; pol != NULL && i < sk_POLICYINFO_num(pol) && p == NULL;
	    i++)
		if (OBJ_obj2txt(oid, sizeof(oid),
		    sk_POLICYINFO_value(pol, i)->policyid, 1) > 0)
			p = kn_profile_by_policy(oid);
	CERTIFICATEPOLICIES_free(pol);
	for (i = 0; p == NULL && eku != NULL && i < sk_ASN1_OBJECT_num(eku);
	    i++) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		if (nid == NID_OCSP_sign)
			p = kn_profile_find("ocsp-signing");
		else if (nid == NID_time_stamp)
			p = kn_profile_find("tsa");
	}
out:
	EXTENDED_KEY_USAGE_free(eku);
	return p;
}

/* Decodes one extension: absent, present and decoded, or present and
 * undecodable/duplicated (v NULL; e_ext_malformed/duplicate report it). */
static void
decode(struct ext *e, X509 *x, int nid)
{
	e->present = X509_get_ext_by_NID(x, nid, -1) >= 0;
	e->crit = 0;
	e->v = NULL;
	if (!e->present)
		return;
	e->crit = X509_EXTENSION_get_critical(X509_get_ext(x,
	    X509_get_ext_by_NID(x, nid, -1)));
	e->v = X509_get_ext_d2i(x, nid, NULL, NULL);
}

int
kn_lint_cert(struct kn_lint_report *rep, X509 *x,
    const struct kn_profile *p, X509 *issuer)
{
	struct ctx c;
	ASN1_BIT_STRING *ku;
	size_t i;
	int j;

	if (rep == NULL || x == NULL)
		return kn_err_set(KN_ERR_INVAL, NULL, "no certificate to "
		    "lint");
	memset(rep, 0, sizeof(*rep));
	memset(&c, 0, sizeof(c));
	if (p == NULL)
		p = kn_lint_guess_profile(x);
	rep->profile = p;
	c.rep = rep;
	c.x = x;
	c.issuer = issuer;
	c.p = p;
	c.pkey = X509_get0_pubkey(x);
	c.pktype = c.pkey != NULL ? EVP_PKEY_get_base_id(c.pkey) : 0;
	c.alg = keyalg_of(c.pkey);
	c.self_issued = self_issued(x);
	c.subject_empty = X509_NAME_entry_count(X509_get_subject_name(x)) ==
	    0;
	decode(&c.bc, x, NID_basic_constraints);
	decode(&c.kuext, x, NID_key_usage);
	decode(&c.eku, x, NID_ext_key_usage);
	decode(&c.san, x, NID_subject_alt_name);
	decode(&c.pol, x, NID_certificate_policies);
	decode(&c.crldp, x, NID_crl_distribution_points);
	decode(&c.aia, x, NID_info_access);
	decode(&c.akid, x, NID_authority_key_identifier);
	decode(&c.skid, x, NID_subject_key_identifier);
	decode(&c.nc, x, NID_name_constraints);
	c.is_ca = c.bc.v != NULL && ((BASIC_CONSTRAINTS *)c.bc.v)->ca;
	if ((ku = c.kuext.v) != NULL) {
		for (j = 0; j < 9; j++)
			if (ASN1_BIT_STRING_get_bit(ku, j))
				c.ku |= j < 8 ? 0x80u >> j : 0x8000u;
	}
	for (i = 0; i < NRULES; i++) {
		c.r = &rules[i];
		rules[i].check(&c);
	}
	BASIC_CONSTRAINTS_free(c.bc.v);
	ASN1_BIT_STRING_free(c.kuext.v);
	EXTENDED_KEY_USAGE_free(c.eku.v);
	GENERAL_NAMES_free(c.san.v);
	CERTIFICATEPOLICIES_free(c.pol.v);
	CRL_DIST_POINTS_free(c.crldp.v);
	AUTHORITY_INFO_ACCESS_free(c.aia.v);
	AUTHORITY_KEYID_free(c.akid.v);
	ASN1_OCTET_STRING_free(c.skid.v);
	NAME_CONSTRAINTS_free(c.nc.v);
	return 0;
}

int
kn_lint_der(struct kn_lint_report *rep, const unsigned char *der,
    size_t len)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	int rc;

	if (len > KN_LINT_DER_MAX)
		return kn_err_set(KN_ERR_TOOBIG, NULL, "a certificate of "
		    "%zu bytes is larger than the %d bytes kakuin reads", len,
		    KN_LINT_DER_MAX);
	if (der == NULL || len == 0 ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return kn_err_set(KN_ERR_INVAL, NULL, "the input is not a "
		    "DER X.509 certificate (RFC 5280 section 4.1)");
	if (p != der + len) {
		X509_free(x);
		return kn_err_set(KN_ERR_INVAL, NULL, "%zu bytes follow the "
		    "certificate; a certificate file holds exactly one DER "
		    "certificate", (size_t)(der + len - p));
	}
	rc = kn_lint_cert(rep, x, NULL, NULL);
	X509_free(x);
	return rc;
}
