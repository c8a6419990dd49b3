/* feed.c - the signed feed of verified mail domains: its JSON, its CMS
 * signature, the receiver's verification, and publishing it from the
 * store for every node. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "audit/audit.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "ca/profile.h"
#include "registry/feed.h"
#include "store/db.h"

#define SIGNER_RENEW	30	/* days before its end a signer is replaced */
#define SIGNER_WHAT	"Mail-Domain Feed Signer"
#define FEED_ACTOR	"kakuin feed"

void
kn_feed_free(struct kn_feed *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].name_en);
	}
	free(f->v);
	free(f->issuer);
	free(f->signer);
	free(f->json);
	free(f);
}

static void
limits(const struct kn_feed_limits *in, struct kn_feed_limits *out)
{
	out->max_size = in != NULL && in->max_size != 0 ? in->max_size :
	    KN_FEED_MAX_SIZE;
	out->max_domains = in != NULL && in->max_domains != 0 ?
	    in->max_domains : KN_FEED_MAX_DOMAINS;
}

/* ---- times ---- */

/* Exactly "YYYY-MM-DDTHH:MM:SSZ", a real UTC time (RFC 3339 section 5.6,
 * the one form kakuin writes). */
static bool
parse_time(const char *s, time_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm, back;
	size_t i;
	time_t t;

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return false;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	tm.tm_hour = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_min = (s[14] - '0') * 10 + (s[15] - '0');
	tm.tm_sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 59)
		return false;
	back = tm;
	if ((t = timegm(&back)) == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
	    back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon)
		return false;	/* February 30th and the like */
	*out = t;
	return true;
}

/* ---- the JSON ---- */

/* Records the detail of a content problem: "the feed's <where>: ...". */
static int
bad(int code, const char *where, const char *fmt, ...) KN_PRINTF(3, 4);

static int
bad(int code, const char *where, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kn_err_set(code, "feed", "the feed's %s %s (docs/mail.md)",
	    where, msg);
}

/* Every member of o is one of keys, and each of keys is present. */
static int
members(json_t *o, const char *where, const char *const *keys)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(o))
		return bad(KN_ERR_INVAL, where, "is not a JSON object");
	json_object_foreach(o, k, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
			;
		if (keys[i] == NULL)
			return bad(KN_ERR_INVAL, where, "has a member "
			    "\"%.64s\" that a version %d feed does not have",
			    k, KN_FEED_VERSION);
	}
	for (i = 0; keys[i] != NULL; i++)
		if (json_object_get(o, keys[i]) == NULL)
			return bad(KN_ERR_INVAL, where, "lacks the member "
			    "\"%s\"", keys[i]);
	return 0;
}

static int
text_member(json_t *o, const char *key, const char *where, size_t maxchars,
    bool nullable, char **out)
{
	json_t *v = json_object_get(o, key);
	char w[96];

	*out = NULL;
	snprintf(w, sizeof(w), "%s.%s", where, key);
	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(KN_ERR_INVAL, w, "is not a string%s", nullable ?
		    " or null" : "");
	if (json_string_length(v) == 0)
		return bad(KN_ERR_INVAL, w, "is empty");
	if (kn_check_text(key, json_string_value(v), maxchars, false) != 0)
		return bad(KN_ERR_INVAL, w, "is not valid: %s",
		    kn_err_get()->msg);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return KN_ERR_NOMEM;
	return 0;
}

static int
time_member(json_t *o, const char *key, const char *where, char out[21],
    time_t *t)
{
	json_t *v = json_object_get(o, key);
	time_t dummy;
	char w[96];

	snprintf(w, sizeof(w), "%s.%s", where, key);
	if (!json_is_string(v) || !parse_time(json_string_value(v),
	    t != NULL ? t : &dummy))
		return bad(KN_ERR_INVAL, w, "is not a UTC time written "
		    "YYYY-MM-DDTHH:MM:SSZ (RFC 3339)");
	snprintf(out, 21, "%s", json_string_value(v));
	return 0;
}

/* The rules of one entry, the same for the parser and the publisher (a
 * registry row that breaks them is left out rather than spoiling the
 * whole feed for every receiver). */
static int
check_entry(const struct kn_feed_entry *e, const char *where)
{
	char norm[KN_DOMAIN_MAX + 1], w[96];
	int64_t num;
	time_t t;

	snprintf(w, sizeof(w), "%s.domain", where);
	if (kn_domain_parse(norm, e->domain) != 0)
		return bad(KN_ERR_INVAL, w, "is not a domain name: %s",
		    kn_err_get()->msg);
	if (strcmp(norm, e->domain) != 0)
		return bad(KN_ERR_INVAL, w, "%s is not in normal form (lower "
		    "case, no trailing dot)", e->domain);
	snprintf(w, sizeof(w), "%s.number", where);
	if (kn_corpnum_parse(&num, e->number, strlen(e->number)) != 0)
		return bad(KN_ERR_INVAL, w, "is not a corporate number: %s",
		    kn_err_get()->msg);
	snprintf(w, sizeof(w), "%s.name", where);
	if (e->name == NULL || e->name[0] == '\0')
		return bad(KN_ERR_INVAL, w, "is empty");
	if (kn_check_text("name", e->name,
	    kn_org_fields[KN_ORG_NAME].maxchars, false) != 0)
		return bad(KN_ERR_INVAL, w, "is not valid: %s",
		    kn_err_get()->msg);
	snprintf(w, sizeof(w), "%s.name_en", where);
	if (e->name_en != NULL && (e->name_en[0] == '\0' ||
	    kn_check_text("name_en", e->name_en,
	    kn_org_fields[KN_ORG_NAME_EN].maxchars, false) != 0))
		return bad(KN_ERR_INVAL, w, "is not valid: %s",
		    e->name_en[0] == '\0' ? "empty" : kn_err_get()->msg);
	snprintf(w, sizeof(w), "%s.verified_at", where);
	if (!parse_time(e->verified_at, &t))
		return bad(KN_ERR_INVAL, w, "is not a UTC time written "
		    "YYYY-MM-DDTHH:MM:SSZ (RFC 3339)");
	return 0;
}

static int
parse_entry(json_t *o, size_t i, struct kn_feed_entry *e)
{
	static const char *const keys[] = { "domain", "number", "name",
	    "name_en", "verified_at", NULL };
	json_t *v;
	char where[64];
	int rc;

	snprintf(where, sizeof(where), "domains[%zu]", i);
	if ((rc = members(o, where, keys)) != 0)
		return rc;
	v = json_object_get(o, "domain");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > KN_DOMAIN_MAX)
		return bad(KN_ERR_INVAL, where, "domain is not a string of 1 "
		    "to %d characters", KN_DOMAIN_MAX);
	snprintf(e->domain, sizeof(e->domain), "%s", json_string_value(v));
	v = json_object_get(o, "number");
	if (!json_is_string(v) || json_string_length(v) != KN_CORPNUM_LEN)
		return bad(KN_ERR_INVAL, where, "number is not a string of "
		    "13 digits");
	snprintf(e->number, sizeof(e->number), "%s", json_string_value(v));
	if ((rc = text_member(o, "name", where, 1000, false, &e->name)) != 0 ||
	    (rc = text_member(o, "name_en", where, 1000, true,
	    &e->name_en)) != 0 ||
	    (rc = time_member(o, "verified_at", where, e->verified_at,
	    NULL)) != 0)
		return rc;
	return check_entry(e, where);
}

int
kn_feed_parse_json(struct kn_feed **out, const char *json, size_t len,
    const struct kn_feed_limits *lim)
{
	static const char *const keys[] = { "version", "issuer", "serial",
	    "generated", "next_update", "domains", NULL };
	struct kn_feed_limits l;
	struct kn_feed *f = NULL;
	json_error_t jerr;
	json_t *root = NULL, *v, *arr;
	size_t i, n;
	int rc;

	*out = NULL;
	limits(lim, &l);
	if (len > l.max_size)
		return kn_err_set(KN_ERR_TOOBIG, "feed", "the feed's content "
		    "is %zu bytes, more than the %zu a receiver accepts", len,
		    l.max_size);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return KN_ERR_NOMEM;
	/* RFC 8259 section 8.1: UTF-8; jansson refuses anything else, and
	 * \u0000 (no JSON_ALLOW_NUL).  A member named twice is refused: two
	 * readers must never see two different feeds in one. */
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		rc = kn_err_set(KN_ERR_INVAL, "feed", "the feed's content is "
		    "not valid JSON (RFC 8259): %.200s at byte %d", jerr.text,
		    jerr.position);
		goto out;
	}
	if ((rc = members(root, "content", keys)) != 0)
		goto out;
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != KN_FEED_VERSION) {
		rc = bad(KN_ERR_INVAL, "version", "is not %d: this receiver "
		    "reads version %d feeds only", KN_FEED_VERSION,
		    KN_FEED_VERSION);
		goto out;
	}
	if ((rc = text_member(root, "issuer", "content", KN_FEED_ISSUER_MAX,
	    false, &f->issuer)) != 0)
		goto out;
	v = json_object_get(root, "serial");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		rc = bad(KN_ERR_INVAL, "serial", "is not a positive integer");
		goto out;
	}
	f->serial = json_integer_value(v);
	if ((rc = time_member(root, "generated", "content", f->generated,
	    &f->generated_t)) != 0 ||
	    (rc = time_member(root, "next_update", "content", f->next_update,
	    &f->next_update_t)) != 0)
		goto out;
	if (f->next_update_t <= f->generated_t) {
		rc = bad(KN_ERR_INVAL, "next_update", "%s is not after its "
		    "generated time %s", f->next_update, f->generated);
		goto out;
	}
	arr = json_object_get(root, "domains");
	if (!json_is_array(arr)) {
		rc = bad(KN_ERR_INVAL, "domains", "is not an array");
		goto out;
	}
	if ((n = json_array_size(arr)) > l.max_domains) {
		rc = kn_err_set(KN_ERR_TOOBIG, "feed", "the feed lists %zu "
		    "domains, more than the %zu a receiver accepts", n,
		    l.max_domains);
		goto out;
	}
	if (n > 0 && (f->v = calloc(n, sizeof(*f->v))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		f->n = i + 1;
		if ((rc = parse_entry(json_array_get(arr, i), i,
		    &f->v[i])) != 0)
			goto out;
		/* Sorted, so that a receiver can search it and two entries
		 * for one domain cannot hide. */
		if (i > 0 && strcmp(f->v[i - 1].domain, f->v[i].domain) >= 0) {
			char where[64];

			snprintf(where, sizeof(where), "domains[%zu]", i);
			rc = bad(KN_ERR_INVAL, where, "%s %s", f->v[i].domain,
			    strcmp(f->v[i - 1].domain, f->v[i].domain) == 0 ?
			    "is listed twice" : "is out of order (domains are "
			    "sorted bytewise)");
			goto out;
		}
	}
	if ((f->json = malloc(len + 1)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	memcpy(f->json, json, len);
	f->json[len] = '\0';
	f->json_len = len;
	*out = f;
	f = NULL;
	rc = 0;
out:
	json_decref(root);
	kn_feed_free(f);
	return rc;
}

static void
write_entries(struct kn_jw *w, const struct kn_feed *f)
{
	size_t i;

	kn_jw_arr(w);
	for (i = 0; i < f->n; i++) {
		const struct kn_feed_entry *e = &f->v[i];

		kn_jw_obj(w);
		kn_jw_kstr(w, "domain", e->domain);
		kn_jw_kstr(w, "number", e->number);
		kn_jw_kstr(w, "name", e->name);
		kn_jw_kstr(w, "name_en", e->name_en);
		kn_jw_kstr(w, "verified_at", e->verified_at);
		kn_jw_end_obj(w);
	}
	kn_jw_end_arr(w);
}

int
kn_feed_encode(struct kn_buf *out, const struct kn_feed *f)
{
	struct kn_jw w;

	kn_jw_init(&w, out);
	kn_jw_obj(&w);
	kn_jw_key(&w, "version");
	kn_jw_int(&w, KN_FEED_VERSION);
	kn_jw_kstr(&w, "issuer", f->issuer);
	kn_jw_key(&w, "serial");
	kn_jw_int(&w, f->serial);
	kn_jw_kstr(&w, "generated", f->generated);
	kn_jw_kstr(&w, "next_update", f->next_update);
	kn_jw_key(&w, "domains");
	write_entries(&w, f);
	kn_jw_end_obj(&w);
	kn_buf_puts(out, "\n");
	if (out->failed)
		return kn_err_set(KN_ERR_TOOBIG, "feed", "the feed is larger "
		    "than %zu bytes", out->max);
	return 0;
}

/* SHA-256 over what the feed says, apart from when and which one: the
 * issuer and the domains.  A node compares it with the stored feed's. */
static int
content_digest(const struct kn_feed *f, char out[65])
{
	struct kn_buf b;
	struct kn_jw w;
	unsigned char d[SHA256_DIGEST_LENGTH];

	kn_buf_init(&b, KN_FEED_MAX_SIZE);
	kn_buf_puts(&b, f->issuer);
	kn_buf_putn(&b, "", 1);
	kn_jw_init(&w, &b);
	write_entries(&w, f);
	if (b.failed) {
		kn_buf_cleanup(&b);
		return kn_err_set(KN_ERR_TOOBIG, "feed", "the feed is larger "
		    "than %u bytes", KN_FEED_MAX_SIZE);
	}
	SHA256((const unsigned char *)b.data, b.len, d);
	kn_hex(out, d, sizeof(d));
	kn_buf_cleanup(&b);
	return 0;
}

/* ---- CMS ---- */

/* The digest a key signs with: SHA-384 for P-384, else SHA-256. */
static const EVP_MD *
md_for(EVP_PKEY *key)
{
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	    EVP_PKEY_get_bits(key) > 256)
		return EVP_sha384();
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
		return NULL;
	return EVP_sha256();
}

int
kn_feed_sign(unsigned char **der, size_t *len, const char *json,
    size_t json_len, X509 *signer, EVP_PKEY *key, STACK_OF(X509) *chain)
{
	const unsigned int flags = CMS_BINARY | CMS_PARTIAL |
	    CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = NULL;
	ASN1_OBJECT *ct = NULL;
	BIO *in = NULL;
	unsigned char *p = NULL;
	int i, n, rc = KN_ERR_CRYPTO;

	*der = NULL;
	*len = 0;
	if (json_len > KN_FEED_MAX_SIZE)
		return kn_err_set(KN_ERR_TOOBIG, "feed", "the feed is larger "
		    "than %u bytes", KN_FEED_MAX_SIZE);
	/* RFC 5652 section 5.2: eContentType names the content; section
	 * 11.1: the content-type attribute repeats it under the
	 * signature. */
	if ((in = BIO_new_mem_buf(json, (int)json_len)) == NULL ||
	    (ct = OBJ_txt2obj(KN_OID_CT_FEED, 1)) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    CMS_set1_eContentType(cms, ct) != 1 ||
	    CMS_add1_signer(cms, signer, key, md_for(key), flags) == NULL)
		goto out;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (CMS_add1_cert(cms, sk_X509_value(chain, i)) != 1)
			goto out;
	if (CMS_final(cms, in, NULL, flags) != 1 ||
	    (n = i2d_CMS_ContentInfo(cms, &p)) <= 0)
		goto out;
	if ((*der = malloc((size_t)n)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	if (rc == KN_ERR_CRYPTO) {
		const char *why = ERR_reason_error_string(
		    ERR_peek_last_error());

		rc = kn_err_set(KN_ERR_CRYPTO, "feed", "the feed could not be "
		    "signed (%s)", why != NULL ? why : "no detail");
	}
	ERR_clear_error();
	OPENSSL_free(p);
	CMS_ContentInfo_free(cms);
	ASN1_OBJECT_free(ct);
	BIO_free(in);
	return rc;
}

/* The last OpenSSL error as text (the queue is emptied). */
static const char *
ossl_reason(char *buf, size_t len)
{
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0)
		snprintf(buf, len, "no further detail");
	else
		ERR_error_string_n(last, buf, len);
	return buf;
}

/* commonName of a name (else the whole name), malloc'd. */
static char *
name_text(const X509_NAME *n)
{
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	unsigned char *u = NULL;
	char *s;
	int len;

	if (i < 0 || (len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(n, i)))) < 0) {
		char buf[256];

		X509_NAME_oneline(n, buf, sizeof(buf));
		return strdup(buf);
	}
	s = strndup((const char *)u, (size_t)len);
	OPENSSL_free(u);
	return s;
}

static void
asn1_text(char out[32], const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		snprintf(out, 32, "an unreadable time");
		return;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The anchors: every certificate of a PEM text, at most
 * KN_FEED_MAX_ANCHORS. */
static int
load_anchors(const char *pem, X509_STORE **out)
{
	X509_STORE *st = NULL;
	BIO *b = NULL;
	X509 *x;
	int n = 0, rc = 0;

	*out = NULL;
	if (pem == NULL || pem[0] == '\0')
		return kn_err_set(KN_ERR_INVAL, "root", "no trust anchor (the "
		    "trust center's root certificate, PEM) was given");
	if ((st = X509_STORE_new()) == NULL ||
	    (b = BIO_new_mem_buf(pem, -1)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (++n > KN_FEED_MAX_ANCHORS) {
			X509_free(x);
			rc = kn_err_set(KN_ERR_TOOBIG, "root", "more than %d "
			    "trust anchors were given", KN_FEED_MAX_ANCHORS);
			goto out;
		}
		if (X509_STORE_add_cert(st, x) != 1) {
			X509_free(x);
			rc = KN_ERR_NOMEM;
			goto out;
		}
		X509_free(x);
	}
	ERR_clear_error();
	if (n == 0) {
		rc = kn_err_set(KN_ERR_INVAL, "root", "the trust anchor holds "
		    "no PEM certificate");
		goto out;
	}
	*out = st;
	st = NULL;
out:
	X509_STORE_free(st);
	BIO_free(b);
	return rc;
}

/* RFC 5652 section 5.3: signedAttrs MUST be present when the content
 * type is not id-data, and then (section 11.1) hold a content-type
 * attribute equal to eContentType. */
static bool
content_type_attr_ok(CMS_SignerInfo *si, const ASN1_OBJECT *ct)
{
	const ASN1_OBJECT *a;

	a = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType),
	    -3, V_ASN1_OBJECT);
	return a != NULL && OBJ_cmp(a, ct) == 0;
}

static bool
has_feed_purpose(X509 *x, const ASN1_OBJECT *kp)
{
	EXTENDED_KEY_USAGE *eku;
	int i;
	bool found = false;

	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL,
	    NULL)) == NULL)
		return false;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), kp) == 0)
			found = true;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

/* The signer's certificate chains to an anchor and is valid at now. */
static int
check_chain(X509_STORE *anchors, X509 *signer, STACK_OF(X509) *certs,
    time_t now, const char *who)
{
	X509_STORE_CTX *ctx = NULL;
	char t[32];
	int err, rc = 0;

	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, anchors, signer, certs) != 1) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	if (X509_verify_cert(ctx) == 1)
		goto out;
	err = X509_STORE_CTX_get_error(ctx);
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed is not signed "
		    "by a certificate of this trust center: its signer (%s) "
		    "does not chain to the given root", who);
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		asn1_text(t, X509_get0_notAfter(X509_STORE_CTX_get_current_cert(
		    ctx)));
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed's signer (%s) "
		    "has a certificate in its chain that expired at %s", who,
		    t);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		asn1_text(t, X509_get0_notBefore(
		    X509_STORE_CTX_get_current_cert(ctx)));
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed's signer (%s) "
		    "has a certificate in its chain that is not valid until "
		    "%s", who, t);
		break;
	default:
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the certificate chain "
		    "of the feed's signer (%s) does not verify: %s", who,
		    X509_verify_cert_error_string(err));
		break;
	}
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* The signer's certificate was valid when the feed was made. */
static int
check_generated(X509 *signer, const struct kn_feed *f, const char *who)
{
	time_t g = f->generated_t;
	char t[32];

	if (X509_cmp_time(X509_get0_notBefore(signer), &g) > 0) {
		asn1_text(t, X509_get0_notBefore(signer));
		return kn_err_set(KN_ERR_VERIFY, "feed", "the feed says it was "
		    "generated at %s, before its signer's certificate (%s) "
		    "became valid at %s", f->generated, who, t);
	}
	if (X509_cmp_time(X509_get0_notAfter(signer), &g) < 0) {
		asn1_text(t, X509_get0_notAfter(signer));
		return kn_err_set(KN_ERR_VERIFY, "feed", "the feed says it was "
		    "generated at %s, after its signer's certificate (%s) "
		    "expired at %s", f->generated, who, t);
	}
	return 0;
}

static int
check_fresh(const struct kn_feed *f, time_t now)
{
	char nowtext[21];

	kn_time_rfc3339(nowtext, now);
	if (f->generated_t > now + KN_FEED_SKEW)
		return kn_err_set(KN_ERR_VERIFY, "feed", "the feed was "
		    "generated at %s, after the current time %s (more than "
		    "%d minutes ahead): it is not valid yet, or a clock is "
		    "wrong", f->generated, nowtext, KN_FEED_SKEW / 60);
	if (now >= f->next_update_t)
		return kn_err_set(KN_ERR_VERIFY, "feed", "the feed expired at "
		    "%s (it is now %s); fetch a new one from the trust center",
		    f->next_update, nowtext);
	if (f->next_update_t - f->generated_t > KN_FEED_MAX_TTL)
		return kn_err_set(KN_ERR_VERIFY, "feed", "the feed claims to "
		    "be valid from %s to %s, longer than the %d days a "
		    "receiver accepts", f->generated, f->next_update,
		    KN_FEED_MAX_TTL / 86400);
	return 0;
}

int
kn_feed_verify(struct kn_feed **out, const unsigned char *der, size_t len,
    const char *anchors_pem, time_t now, const struct kn_feed_limits *lim)
{
	struct kn_feed_limits l;
	struct kn_feed *f = NULL;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	STACK_OF(X509) *certs = NULL;
	X509_STORE *anchors = NULL;
	X509_ALGOR *dig = NULL;
	ASN1_OBJECT *ct = NULL, *kp = NULL;
	ASN1_OCTET_STRING **content;
	X509 *signer = NULL;
	BIO *body = NULL;
	const unsigned char *p = der;
	char *who = NULL, *data, errbuf[256], ctname[96];
	long blen;
	int i, nid, rc;

	*out = NULL;
	limits(lim, &l);
	ERR_clear_error();
	if ((rc = load_anchors(anchors_pem, &anchors)) != 0)
		goto out;
	if (len == 0) {
		rc = kn_err_set(KN_ERR_INVAL, "feed", "the feed is empty");
		goto out;
	}
	if (len > l.max_size) {
		rc = kn_err_set(KN_ERR_TOOBIG, "feed", "the feed is %zu bytes, "
		    "more than the %zu a receiver accepts", len, l.max_size);
		goto out;
	}
	/* RFC 5652 section 3: one ContentInfo, and nothing after it. */
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		rc = kn_err_set(KN_ERR_INVAL, "feed", "the feed is not one DER "
		    "CMS ContentInfo (RFC 5652 section 3)%s", cms != NULL ?
		    ": bytes follow it" : "");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		rc = kn_err_set(KN_ERR_INVAL, "feed", "the feed is not CMS "
		    "SignedData (RFC 5652 section 5)");
		goto out;
	}
	if ((ct = OBJ_txt2obj(KN_OID_CT_FEED, 1)) == NULL ||
	    (kp = OBJ_txt2obj(KN_OID_KP_FEED, 1)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if (OBJ_cmp(CMS_get0_eContentType(cms), ct) != 0) {
		OBJ_obj2txt(ctname, sizeof(ctname), CMS_get0_eContentType(cms),
		    1);
		rc = kn_err_set(KN_ERR_INVAL, "feed", "the signed content is "
		    "not a kakuin mail-domain feed: its type is %s, not %s "
		    "(RFC 5652 section 5.2)", ctname, KN_OID_CT_FEED);
		goto out;
	}
	if ((content = CMS_get0_content(cms)) == NULL || *content == NULL) {
		rc = kn_err_set(KN_ERR_INVAL, "feed", "the feed's SignedData "
		    "carries no content (RFC 5652 section 5.2: eContent)");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed has %d "
		    "signatures; a feed has exactly one (RFC 5652 section 5.1)",
		    sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	nid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
	if (nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512) {
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed is signed "
		    "with the digest %s; a receiver accepts SHA-256, SHA-384 "
		    "and SHA-512 only", nid != NID_undef ? OBJ_nid2sn(nid) :
		    "(unknown)");
		goto out;
	}
	if ((certs = CMS_get1_certs(cms)) != NULL) {
		for (i = 0; i < sk_X509_num(certs) && signer == NULL; i++)
			if (CMS_SignerInfo_cert_cmp(si,
			    sk_X509_value(certs, i)) == 0)
				signer = sk_X509_value(certs, i);
	}
	if (signer == NULL) {
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed does not "
		    "carry the certificate of its signer");
		goto out;
	}
	if ((who = name_text(X509_get_subject_name(signer))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	/* The signature over the signed attributes, and the message digest
	 * attribute over the content (RFC 5652 sections 5.4 to 5.6). */
	if ((body = BIO_new(BIO_s_mem())) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if (CMS_verify(cms, certs, NULL, NULL, body, CMS_BINARY |
	    CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed's signature "
		    "does not verify: it was changed after it was signed, or "
		    "the signature is broken (%s)",
		    ossl_reason(errbuf, sizeof(errbuf)));
		goto out;
	}
	if (!content_type_attr_ok(si, ct)) {
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed's signed "
		    "content-type attribute is missing or differs from its "
		    "content type (RFC 5652 section 11.1)");
		goto out;
	}
	if ((rc = check_chain(anchors, signer, certs, now, who)) != 0)
		goto out;
	if (!has_feed_purpose(signer, kp)) {
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed is signed by "
		    "%s, a certificate that is not for signing the mail-domain "
		    "feed (it lacks kakuin's feed-signing purpose %s)", who,
		    KN_OID_KP_FEED);
		goto out;
	}
	if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE) == 0) {
		rc = kn_err_set(KN_ERR_VERIFY, "feed", "the feed's signer (%s) "
		    "may not sign: its keyUsage lacks digitalSignature (RFC "
		    "5280 section 4.2.1.3)", who);
		goto out;
	}
	blen = BIO_get_mem_data(body, &data);
	if (blen < 0 || (rc = kn_feed_parse_json(&f, data, (size_t)blen,
	    &l)) != 0) {
		if (blen < 0)
			rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = check_generated(signer, f, who)) != 0 ||
	    (rc = check_fresh(f, now)) != 0)
		goto out;
	f->signer = who;
	who = NULL;
	*out = f;
	f = NULL;
out:
	kn_feed_free(f);
	free(who);
	BIO_free(body);
	sk_X509_pop_free(certs, X509_free);
	X509_STORE_free(anchors);
	ASN1_OBJECT_free(ct);
	ASN1_OBJECT_free(kp);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kn_feed_entry *)a)->domain,
	    ((const struct kn_feed_entry *)b)->domain);
}

const struct kn_feed_entry *
kn_feed_lookup(const struct kn_feed *f, const char *domain)
{
	struct kn_feed_entry key;

	if (f == NULL || f->n == 0 || domain == NULL ||
	    kn_domain_parse(key.domain, domain) != 0) {
		kn_err_clear();
		return NULL;
	}
	return bsearch(&key, f->v, f->n, sizeof(f->v[0]), entry_cmp);
}

int
kn_feed_anchors(struct kn_db *db, char **pem)
{
	struct kn_ca *cas = NULL;
	struct kn_buf b;
	size_t n = 0, i;
	int rc, roots = 0;

	*pem = NULL;
	if ((rc = kn_ca_list(db, &cas, &n)) != 0)
		return rc;
	kn_buf_init(&b, 1 << 20);
	for (i = 0; i < n; i++) {
		if (cas[i].parent_id == 0 && cas[i].cert_pem != NULL) {
			kn_buf_puts(&b, cas[i].cert_pem);
			roots++;
		}
	}
	kn_ca_list_free(cas, n);
	if (b.failed)
		rc = KN_ERR_NOMEM;
	else if (roots == 0)
		rc = kn_err_set(KN_ERR_NOTFOUND, "ca", "this data directory "
		    "has no root CA (kakuin ca init)");
	else if ((*pem = kn_buf_steal(&b, NULL)) == NULL)
		rc = KN_ERR_NOMEM;
	kn_buf_cleanup(&b);
	return rc;
}

/* ---- signers ---- */

struct signer {
	char		 serial[KN_SERIAL_HEX];
	char		 not_after[21];
	char		 created[21];
	int64_t		 ca_id;
	char		*uri;
	char		*pem;
};

static void
signer_cleanup(struct signer *s)
{
	free(s->uri);
	free(s->pem);
	memset(s, 0, sizeof(*s));
}

/* The newest signer whose certificate is valid and ends after limit. */
static int
signer_row(struct kn_db *db, const char *limit, struct signer *s)
{
	struct kn_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = kn_db_stmt(db, &st, "SELECT f.serial, f.key_uri, "
	    "f.cert_pem, c.ca_id, c.not_after, f.created_at FROM "
	    "feed_signers f JOIN certs c ON c.serial = f.serial WHERE "
	    "c.status = 'valid' AND c.not_after > ? ORDER BY f.id DESC "
	    "LIMIT 1")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, limit)) == 0) {
		if ((rc = kn_stmt_step(st)) == KN_ROW) {
			snprintf(s->serial, sizeof(s->serial), "%s",
			    kn_stmt_text(st, 0));
			s->uri = kn_stmt_strdup(st, 1);
			s->pem = kn_stmt_strdup(st, 2);
			s->ca_id = kn_stmt_int64(st, 3);
			snprintf(s->not_after, sizeof(s->not_after), "%s",
			    kn_stmt_text(st, 4));
			snprintf(s->created, sizeof(s->created), "%s",
			    kn_stmt_text(st, 5));
			rc = s->uri && s->pem ? 0 : KN_ERR_NOMEM;
		} else
			rc = rc < 0 ? rc : kn_err_set(KN_ERR_NOTFOUND,
			    "feed", "there is no valid feed signer");
	}
	kn_stmt_done(st);
	if (rc != 0)
		signer_cleanup(s);
	return rc;
}

static int
signer_make(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor)
{
	struct kn_service_cert sc;
	struct kn_stmt *st = NULL;
	char now[21];
	int rc;

	if ((rc = kn_ca_issue_service(db, env, actor, NULL, "feed-signing",
	    SIGNER_WHAT, &sc)) != 0)
		return rc;
	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO feed_signers (serial, "
	    "key_uri, cert_pem, created_at) VALUES (?, ?, ?, ?)")) == 0) {
		if ((rc = kn_stmt_bind_text(st, 1, sc.serial)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 2, sc.key_uri)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 3, sc.cert_pem)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 4, now)) == 0)
			rc = kn_stmt_run(st);
		kn_stmt_done(st);
	}
	kn_service_cert_cleanup(&sc);
	return rc;
}

/* A signer may go on signing without a new one being made first: it ends
 * after renew, or it is less than a day old (so that a CA ending soon
 * does not make one per feed). */
static bool
signer_fresh(const struct signer *s, time_t now)
{
	char renew[21], yesterday[21];

	kn_time_rfc3339(renew, now + SIGNER_RENEW * 86400L);
	kn_time_rfc3339(yesterday, now - 86400L);
	return strcmp(s->not_after, renew) > 0 ||
	    strcmp(s->created, yesterday) > 0;
}

/* The signer to sign with, made first when there is none or the newest
 * is not fresh; when making one fails, one valid for an hour more goes
 * on signing. */
static pthread_mutex_t make_mu = PTHREAD_MUTEX_INITIALIZER;

static int
signer_get(struct kn_db *db, const struct kn_ca_env *env, const char *actor,
    struct signer *s)
{
	char soon[21];
	time_t now = time(NULL);
	int rc, made;

	kn_time_rfc3339(soon, now + 3600);
	rc = signer_row(db, soon, s);
	if (rc != 0 && rc != KN_ERR_NOTFOUND)
		return rc;
	if (rc == 0 && signer_fresh(s, now))
		return 0;
	signer_cleanup(s);
	pthread_mutex_lock(&make_mu);
	/* Another thread may have made one meanwhile. */
	rc = signer_row(db, soon, s);
	made = 0;
	if (rc == KN_ERR_NOTFOUND || (rc == 0 && !signer_fresh(s, now))) {
		signer_cleanup(s);
		made = signer_make(db, env, actor);
		rc = signer_row(db, soon, s);
	}
	pthread_mutex_unlock(&make_mu);
	if (rc == KN_ERR_NOTFOUND && made != 0)
		rc = made;
	if (rc == 0)
		kn_err_clear();
	return rc;
}

int
kn_feed_signer(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, char serial[KN_SERIAL_HEX], char **cert_pem)
{
	struct signer s;
	int rc;

	*cert_pem = NULL;
	if ((rc = signer_get(db, env, actor, &s)) != 0)
		return rc;
	snprintf(serial, KN_SERIAL_HEX, "%s", s.serial);
	*cert_pem = s.pem;
	s.pem = NULL;
	signer_cleanup(&s);
	return 0;
}

static X509 *
pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* The CAs from ca_id up to (not including) the root: the chain a feed
 * carries. */
static int
chain_of(struct kn_db *db, int64_t ca_id, STACK_OF(X509) **out)
{
	struct kn_ca *cas = NULL;
	size_t n = 0, i, hops;
	X509 *x;
	int rc;

	if ((*out = sk_X509_new_null()) == NULL)
		return KN_ERR_NOMEM;
	if ((rc = kn_ca_list(db, &cas, &n)) != 0)
		return rc;
	for (hops = 0; ca_id != 0 && hops < n && rc == 0; hops++) {
		for (i = 0; i < n && cas[i].id != ca_id; i++)
			;
		if (i == n || cas[i].parent_id == 0)
			break;
		if ((x = pem_x509(cas[i].cert_pem)) == NULL ||
		    !sk_X509_push(*out, x)) {
			X509_free(x);
			rc = KN_ERR_NOMEM;
		}
		ca_id = cas[i].parent_id;
	}
	kn_ca_list_free(cas, n);
	return rc;
}

/* ---- the registry's side ---- */

/* Frees what collect() put into f (f itself is not allocated). */
static void
entries_free(struct kn_feed *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].name_en);
	}
	free(f->v);
	free(f->issuer);
	memset(f, 0, sizeof(*f));
}

/* What the registry says now: every mail domain proven and not released,
 * of every verified organization the public may see.  Rows the verifier
 * would refuse are counted in *skipped and left out. */
static int
collect(struct kn_db *db, struct kn_feed *f, size_t *skipped)
{
	struct kn_stmt *st = NULL;
	struct kn_feed_entry e;
	size_t cap = 0, i, k;
	int rc;

	*skipped = 0;
	if ((rc = kn_db_stmt(db, &st, "SELECT d.name, o.number, o.name, "
	    "o.name_en, d.verified_at FROM domains d JOIN orgs o ON "
	    "o.number = d.org_number WHERE d.mail = 1 AND d.verified_at IS "
	    "NOT NULL AND d.released_at IS NULL AND o.status = 'verified' "
	    "AND o.hidden = 0")) != 0)
		return rc;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		const char *name = kn_stmt_text(st, 0);
		const char *en = kn_stmt_text(st, 3);
		const char *at = kn_stmt_text(st, 4);

		memset(&e, 0, sizeof(e));
		if (name == NULL || strlen(name) > KN_DOMAIN_MAX ||
		    at == NULL || strlen(at) >= sizeof(e.verified_at)) {
			(*skipped)++;
			continue;
		}
		snprintf(e.domain, sizeof(e.domain), "%s", name);
		kn_corpnum_format(e.number, kn_stmt_int64(st, 1));
		snprintf(e.verified_at, sizeof(e.verified_at), "%s", at);
		e.name = kn_stmt_strdup(st, 2);
		e.name_en = en != NULL && en[0] != '\0' ? strdup(en) : NULL;
		if (e.name == NULL || (en != NULL && en[0] != '\0' &&
		    e.name_en == NULL)) {
			free(e.name);
			free(e.name_en);
			rc = KN_ERR_NOMEM;
			break;
		}
		if (check_entry(&e, "domain") != 0) {
			free(e.name);
			free(e.name_en);
			(*skipped)++;
			continue;
		}
		if ((rc = kn_reserve(&f->v, &cap, f->n, sizeof(f->v[0]),
		    KN_FEED_MAX_DOMAINS)) != 0) {
			free(e.name);
			free(e.name_en);
			if (rc == KN_ERR_TOOBIG)
				rc = kn_err_set(KN_ERR_TOOBIG, "feed", "the "
				    "registry has more than %d verified mail "
				    "domains, the most a feed holds",
				    KN_FEED_MAX_DOMAINS);
			break;
		}
		f->v[f->n++] = e;
	}
	kn_stmt_done(st);
	kn_err_clear();
	if (rc < 0)
		return rc;
	/* Bytewise order: the database's collation is not to be trusted
	 * with it (PostgreSQL's locale collations ignore dots). */
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(f->v[0]), entry_cmp);
	for (i = k = 0; i < f->n; i++) {
		if (k > 0 && strcmp(f->v[k - 1].domain, f->v[i].domain) == 0) {
			/* One owner per proven domain (domains_one_owner):
			 * cannot happen; never publish two. */
			free(f->v[i].name);
			free(f->v[i].name_en);
			(*skipped)++;
			continue;
		}
		f->v[k++] = f->v[i];
	}
	f->n = k;
	return 0;
}

/* The stored feed. */
struct stored {
	int64_t		 serial;
	char		 digest[65];
	char		 signer[KN_SERIAL_HEX];
	char		 generated[21];
	char		 next_update[21];
	char		*der_b64;
};

static int
stored_read(struct kn_db *db, struct stored *s)
{
	struct kn_stmt *st;
	const char *t;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = kn_db_stmt(db, &st, "SELECT serial, digest, signer, "
	    "generated, next_update, der FROM mail_feed WHERE id = 1")) != 0)
		return rc;
	if ((rc = kn_stmt_step(st)) == KN_ROW) {
		s->serial = kn_stmt_int64(st, 0);
		snprintf(s->digest, sizeof(s->digest), "%s",
		    kn_stmt_text(st, 1) ? kn_stmt_text(st, 1) : "");
		snprintf(s->signer, sizeof(s->signer), "%s",
		    (t = kn_stmt_text(st, 2)) ? t : "");
		snprintf(s->generated, sizeof(s->generated), "%s",
		    (t = kn_stmt_text(st, 3)) ? t : "");
		snprintf(s->next_update, sizeof(s->next_update), "%s",
		    (t = kn_stmt_text(st, 4)) ? t : "");
		rc = 0;
		if (!kn_stmt_is_null(st, 5) &&
		    (s->der_b64 = kn_stmt_strdup(st, 5)) == NULL)
			rc = KN_ERR_NOMEM;
	} else if (rc >= 0)
		rc = kn_err_set(KN_ERR_DB, NULL, "mail_feed has no row");
	kn_stmt_done(st);
	return rc;
}

static char *
b64(const unsigned char *p, size_t n)
{
	char *s;

	if (n > (size_t)1 << 30 || (s = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

static int
unb64(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	int got;

	*out = NULL;
	if (n == 0 || n % 4 != 0 || n > (size_t)1 << 30)
		return kn_err_set(KN_ERR_DB, NULL, "the stored feed is not "
		    "base64");
	if ((*out = malloc(n / 4 * 3)) == NULL)
		return KN_ERR_NOMEM;
	if ((got = EVP_DecodeBlock(*out, (const unsigned char *)s,
	    (int)n)) < 0) {
		free(*out);
		*out = NULL;
		return kn_err_set(KN_ERR_DB, NULL, "the stored feed is not "
		    "base64");
	}
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	*len = (size_t)got - pad;
	return 0;
}

static time_t
when(const char *s)
{
	time_t t;

	return parse_time(s, &t) ? t : 0;
}

/* A process's copy of the current feed, shared by reference. */
struct doc {
	unsigned char		*der;
	size_t			 len;
	struct kn_feed_info	 info;
	int			 refs;		/* under kn_feed_pub.mu */
};

static void
doc_free(struct doc *d)
{
	if (d == NULL)
		return;
	free(d->der);
	free(d);
}

static int
doc_of(const struct stored *s, struct doc **out)
{
	struct doc *d;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[33];
	int rc;

	*out = NULL;
	if (s->serial == 0 || s->der_b64 == NULL)
		return kn_err_set(KN_ERR_NOTFOUND, "feed", "no mail-domain "
		    "feed has been signed yet");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return KN_ERR_NOMEM;
	if ((rc = unb64(s->der_b64, &d->der, &d->len)) != 0) {
		doc_free(d);
		return rc;
	}
	d->info.serial = s->serial;
	d->info.generated = when(s->generated);
	d->info.next_update = when(s->next_update);
	d->info.refresh_at = d->info.generated +
	    (d->info.next_update - d->info.generated) / 2;
	snprintf(d->info.signer, sizeof(d->info.signer), "%s", s->signer);
	SHA256(d->der, d->len, md);
	kn_hex(hex, md, 16);
	snprintf(d->info.etag, sizeof(d->info.etag), "\"%s\"", hex);
	*out = d;
	return 0;
}

/* Signs the next feed (serial after s->serial) for what the registry says
 * (f: issuer and entries) and stores it unless another node stored one
 * first; either way s then holds the stored feed. */
static int
publish(struct kn_db *db, const struct kn_ca_env *env, int ttl,
    struct kn_feed *f, const char *digest, struct stored *s)
{
	struct signer sg;
	struct kn_buf json, detail;
	struct kn_stmt *st = NULL;
	struct kn_jw w;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	unsigned char *der = NULL;
	char *text = NULL, obj[48];
	size_t len = 0;
	time_t now, end;
	struct tm tm;
	int64_t old = s->serial;
	int rc;

	memset(&sg, 0, sizeof(sg));
	kn_buf_init(&json, KN_FEED_MAX_SIZE);
	kn_buf_init(&detail, 4096);
	if ((rc = signer_get(db, env, FEED_ACTOR, &sg)) != 0)
		goto out;
	if ((cert = pem_x509(sg.pem)) == NULL) {
		rc = kn_err_set(KN_ERR_INTERNAL, "feed", "the certificate of "
		    "feed signer %s cannot be read", sg.serial);
		goto out;
	}
	if ((rc = kn_key_load(env->ks, sg.uri, &key)) != 0 ||
	    (rc = chain_of(db, sg.ca_id, &chain)) != 0)
		goto out;
	/* Made within its signer's validity (one made just now may start
	 * a second ahead), and never valid longer than its signer. */
	now = time(NULL);
	if (ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm) == 1 &&
	    timegm(&tm) > now)
		now = timegm(&tm);
	end = now + ttl;
	if (when(sg.not_after) != 0 && when(sg.not_after) < end)
		end = when(sg.not_after);
	f->serial = old + 1;
	kn_time_rfc3339(f->generated, now);
	kn_time_rfc3339(f->next_update, end);
	if ((rc = kn_feed_encode(&json, f)) != 0 ||
	    (rc = kn_feed_sign(&der, &len, json.data, json.len, cert, key,
	    chain)) != 0)
		goto out;
	if ((text = b64(der, len)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = kn_db_begin(db)) != 0 ||
	    (rc = kn_db_stmt(db, &st, "UPDATE mail_feed SET serial = ?, "
	    "digest = ?, signer = ?, generated = ?, next_update = ?, der = ? "
	    "WHERE id = 1 AND serial = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, f->serial)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, digest)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, sg.serial)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, f->generated)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, f->next_update)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, text)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 7, old)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	if (kn_stmt_changes(st) == 1) {
		kn_stmt_done(st);
		st = NULL;
		kn_jw_init(&w, &detail);
		kn_jw_obj(&w);
		kn_jw_key(&w, "serial");
		kn_jw_int(&w, f->serial);
		kn_jw_key(&w, "domains");
		kn_jw_int(&w, (int64_t)f->n);
		kn_jw_kstr(&w, "digest", digest);
		kn_jw_kstr(&w, "signer", sg.serial);
		kn_jw_kstr(&w, "generated", f->generated);
		kn_jw_kstr(&w, "next_update", f->next_update);
		kn_jw_end_obj(&w);
		snprintf(obj, sizeof(obj), "feed:%lld", (long long)f->serial);
		if (detail.failed) {
			rc = KN_ERR_NOMEM;
			goto out;
		}
		if ((rc = kn_audit_append(db, FEED_ACTOR, "feed.publish", obj,
		    detail.data, NULL)) != 0)
			goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	if ((rc = kn_db_commit(db)) != 0)
		goto out;
	/* Ours, or the one another node stored first. */
	free(s->der_b64);
	rc = stored_read(db, s);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	free(text);
	free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	signer_cleanup(&sg);
	kn_buf_cleanup(&json);
	kn_buf_cleanup(&detail);
	return rc;
}

/* Whether the stored feed must be replaced: none yet, the registry says
 * something else, past half its life, or signed by a signer that is no
 * longer the one to sign with. */
static int
stale(struct kn_db *db, const struct stored *s, const char *digest,
    time_t now, bool *out)
{
	struct signer sg;
	time_t g = when(s->generated), nu = when(s->next_update);
	char soon[21];
	int rc;

	*out = true;
	if (s->serial == 0 || s->der_b64 == NULL ||
	    strcmp(s->digest, digest) != 0 || g == 0 || nu <= g ||
	    now >= g + (nu - g) / 2)
		return 0;
	kn_time_rfc3339(soon, now + 3600);
	if ((rc = signer_row(db, soon, &sg)) == KN_ERR_NOTFOUND) {
		kn_err_clear();
		return 0;
	}
	if (rc != 0)
		return rc;
	*out = strcmp(sg.serial, s->signer) != 0 || !signer_fresh(&sg, now);
	signer_cleanup(&sg);
	return 0;
}

/* Compares the stored feed with the registry and gives the one to serve,
 * signing a new one first when needed (and possible). */
static int
refresh(struct kn_feed_pub *p, struct kn_db *db, const struct kn_ca_env *env,
    struct doc **out, bool *made_out);

struct kn_feed_pub {
	pthread_mutex_t	 mu;		/* cur, checked_ms */
	pthread_mutex_t	 refresh_mu;	/* one refresh at a time */
	int		 ttl;
	int		 check_ms;
	struct doc	*cur;
	int64_t		 checked_ms;	/* monotonic, of cur's last check */
};

static int64_t
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int
kn_feed_pub_new(struct kn_feed_pub **out, const struct kn_feed_conf *conf)
{
	struct kn_feed_pub *p;

	*out = NULL;
	if (conf->ttl < 600 || conf->ttl > KN_FEED_MAX_TTL)
		return kn_err_set(KN_ERR_INVAL, "feed_ttl", "feed_ttl is %d "
		    "seconds; it must be 600 to %d (7 days, the most a "
		    "receiver accepts)", conf->ttl, KN_FEED_MAX_TTL);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return KN_ERR_NOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->refresh_mu, NULL);
	p->ttl = conf->ttl;
	p->check_ms = conf->check_ms < 0 ? 0 : conf->check_ms;
	*out = p;
	return 0;
}

void
kn_feed_pub_free(struct kn_feed_pub *p)
{
	if (p == NULL)
		return;
	doc_free(p->cur);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->refresh_mu);
	free(p);
}

static int
refresh(struct kn_feed_pub *p, struct kn_db *db, const struct kn_ca_env *env,
    struct doc **out, bool *made_out)
{
	struct kn_feed f;
	struct stored s;
	char digest[65], now_text[21], late[256] = "";
	time_t now = time(NULL);
	size_t skipped = 0;
	bool need = false, made = false;
	int rc;

	*out = NULL;
	*made_out = false;
	memset(&f, 0, sizeof(f));
	if ((rc = stored_read(db, &s)) != 0)
		return rc;
	if (env != NULL) {
		if ((f.issuer = strdup(env->operator_name)) == NULL) {
			rc = KN_ERR_NOMEM;
			goto out;
		}
		if ((rc = collect(db, &f, &skipped)) == 0 &&
		    (rc = content_digest(&f, digest)) == 0 &&
		    (rc = stale(db, &s, digest, now, &need)) == 0 && need) {
			if ((rc = publish(db, env, p->ttl, &f, digest,
			    &s)) == 0)
				made = true;
		}
		if (rc == KN_ERR_NOMEM)
			goto out;
		/* The store or the token failing now: the stored feed goes
		 * on being served while it lasts, saying why it is late. */
		if (rc != 0) {
			snprintf(late, sizeof(late), "%s", kn_err_msg(rc));
			free(s.der_b64);
			if ((rc = stored_read(db, &s)) != 0)
				goto out;
		}
	}
	kn_time_rfc3339(now_text, now);
	if (s.serial == 0 || s.der_b64 == NULL) {
		rc = kn_err_set(KN_ERR_NOTFOUND, "feed", "no mail-domain feed "
		    "has been signed yet, and this server cannot sign one: %s",
		    env == NULL ? "the CA's keys are not available" : late);
		goto out;
	}
	if (strcmp(s.next_update, now_text) <= 0) {
		rc = kn_err_set(KN_ERR_STATE, "feed", "the mail-domain feed "
		    "expired at %s and cannot be signed again now: %s",
		    s.next_update, env == NULL ? "the CA's keys are not "
		    "available on this server" : late);
		goto out;
	}
	if ((rc = doc_of(&s, out)) != 0)
		goto out;
	(*out)->info.skipped = skipped;
	snprintf((*out)->info.late, sizeof((*out)->info.late), "%s", late);
	*made_out = made;
out:
	free(s.der_b64);
	entries_free(&f);
	return rc;
}

/* Hands out a copy of d (the caller holds a reference). */
static int
give(const struct doc *d, struct kn_feed_info *info, unsigned char **der,
    size_t *len)
{
	*info = d->info;
	if (der == NULL)
		return 0;
	*der = NULL;
	*len = 0;
	if ((*der = malloc(d->len)) == NULL)
		return KN_ERR_NOMEM;
	memcpy(*der, d->der, d->len);
	*len = d->len;
	return 0;
}

static void
put(struct kn_feed_pub *p, struct doc *d)
{
	bool last;

	pthread_mutex_lock(&p->mu);
	last = --d->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (last)
		doc_free(d);
}

/* A reference to the process's copy when it may be served: checked
 * within check_ms (or any age when any is true), and not expired. */
static struct doc *
cached(struct kn_feed_pub *p, bool any)
{
	struct doc *d = NULL;

	pthread_mutex_lock(&p->mu);
	if (p->cur != NULL && time(NULL) < p->cur->info.next_update &&
	    (any || mono_ms() - p->checked_ms < p->check_ms)) {
		d = p->cur;
		d->refs++;
	}
	pthread_mutex_unlock(&p->mu);
	return d;
}

int
kn_feed_current(struct kn_feed_pub *p, struct kn_db *db,
    const struct kn_ca_env *env, struct kn_feed_info *info,
    unsigned char **der, size_t *len)
{
	struct doc *d, *old;
	bool made = false;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((d = cached(p, false)) != NULL)
		goto give;
	if (pthread_mutex_trylock(&p->refresh_mu) != 0) {
		/* Another thread is refreshing: its copy will do meanwhile. */
		if ((d = cached(p, true)) != NULL)
			goto give;
		pthread_mutex_lock(&p->refresh_mu);
		if ((d = cached(p, false)) != NULL) {
			pthread_mutex_unlock(&p->refresh_mu);
			goto give;
		}
	}
	rc = refresh(p, db, env, &d, &made);
	if (rc == 0) {
		d->refs = 2;	/* the copy's and ours */
		pthread_mutex_lock(&p->mu);
		old = p->cur;
		p->cur = d;
		p->checked_ms = mono_ms();
		if (old != NULL && --old->refs > 0)
			old = NULL;
		pthread_mutex_unlock(&p->mu);
		doc_free(old);
	}
	pthread_mutex_unlock(&p->refresh_mu);
	if (rc != 0)
		return rc;
give:
	rc = give(d, info, der, len);
	info->made = made;
	put(p, d);
	return rc;
}

int
kn_feed_refresh(struct kn_feed_pub *p, struct kn_db *db,
    const struct kn_ca_env *env, struct kn_feed_info *info)
{
	struct stored s;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = stored_read(db, &s)) != 0)
		return rc;
	free(s.der_b64);
	if (s.serial == 0)
		return KN_ERR_NOTFOUND;
	return kn_feed_current(p, db, env, info, NULL, NULL);
}
