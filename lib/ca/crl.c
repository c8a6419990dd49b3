/* crl.c - certificate revocation lists (RFC 5280 section 5), sharded by
 * the order of issuance when a CA issues more than shard_size
 * certificates; each certificate names its shard's URL in its CRL
 * distribution point. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "base/der.h"
#include "base/text.h"
#include "ca/ca_int.h"
#include "store/db.h"

#define CRL_DAYS 7		/* S/MIME BR 4.9.7: at least every 7 days */
#define CRL_MAX (512u << 20)	/* bytes of one CRL (about 10M entries) */

int
kn__reason_code(const char *r)
{
	static const struct {
		const char	*name;
		int		 code;
	} tab[] = {
		{ "keyCompromise", CRL_REASON_KEY_COMPROMISE },
		{ "cACompromise", CRL_REASON_CA_COMPROMISE },
		{ "affiliationChanged", CRL_REASON_AFFILIATION_CHANGED },
		{ "superseded", CRL_REASON_SUPERSEDED },
		{ "cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION },
		{ "certificateHold", CRL_REASON_CERTIFICATE_HOLD },
		{ "privilegeWithdrawn", CRL_REASON_PRIVILEGE_WITHDRAWN },
	};
	size_t i;

	for (i = 0; r != NULL && i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(tab[i].name, r) == 0)
			return tab[i].code;
	}
	return -1;	/* unspecified: no reasonCode (S/MIME BR 7.2.2) */
}

/*
 * One revokedCertificates entry (RFC 5280 section 5.1):
 *	SEQUENCE { userCertificate INTEGER, revocationDate Time,
 *	    crlEntryExtensions { reasonCode } OPTIONAL }
 * written directly: a million entries through OpenSSL's generic ASN.1
 * encoder take seconds; this takes tens of milliseconds.
 */
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

static int
put_entry(struct kn_buf *b, const char *hex, const char *when,
    const char *reason)
{
	unsigned char e[96], raw[22], *v;
	size_t hl = strlen(hex), n = 0, i, vl;
	int code = kn__reason_code(reason), hi, lo, y;
	struct tm tm;
	char t[40];

	if (hl == 0 || hl > 40)
		return kn_err_set(KN_ERR_INTERNAL, NULL, "bad serial %s", hex);
	/* Hex to bytes; an odd length has a leading half byte. */
	i = 0;
	if (hl % 2 == 1) {
		if ((lo = hexval(hex[0])) < 0)
			goto bad;
		raw[1 + n++] = (unsigned char)lo;
		i = 1;
	}
	for (; i < hl; i += 2) {
		if ((hi = hexval(hex[i])) < 0 || (lo = hexval(hex[i + 1])) < 0)
			goto bad;
		raw[1 + n++] = (unsigned char)(hi << 4 | lo);
	}
	/* Minimal positive two's complement (X.690 8.3.2). */
	v = raw + 1;
	vl = n;
	while (vl > 1 && v[0] == 0 && !(v[1] & 0x80)) {
		v++;
		vl--;
	}
	if (v[0] & 0x80) {
		*--v = 0;
		vl++;
	}
	memset(&tm, 0, sizeof(tm));
	if (strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return kn_err_set(KN_ERR_INTERNAL, NULL, "bad revocation time "
		    "%s", when);
	i = 0;
	e[i++] = 0x02;
	e[i++] = (unsigned char)vl;
	memcpy(e + i, v, vl);
	i += vl;
	/* UTCTime through 2049, GeneralizedTime from 2050 (5280 5.1.2.4). */
	y = tm.tm_year + 1900;
	if (y < 2050) {
		snprintf(t, sizeof(t), "%02d%02d%02d%02d%02d%02dZ", y % 100,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		e[i++] = 0x17;
	} else {
		snprintf(t, sizeof(t), "%04d%02d%02d%02d%02d%02dZ", y,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
		e[i++] = 0x18;
	}
	e[i++] = (unsigned char)strlen(t);
	memcpy(e + i, t, strlen(t));
	i += strlen(t);
	if (code >= 0) {
		/* Extensions { Extension { id-ce-cRLReasons,
		 * OCTET STRING { ENUMERATED code } } } */
		static const unsigned char head[] = { 0x30, 0x0c, 0x30, 0x0a,
		    0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01 };

		memcpy(e + i, head, sizeof(head));
		i += sizeof(head);
		e[i++] = (unsigned char)code;
	}
	kn_der_tlv(b, 0x30, e, i);
	return b->failed ? KN_ERR_TOOBIG : 0;
bad:
	return kn_err_set(KN_ERR_INTERNAL, NULL, "bad serial %s", hex);
}

/* Reads the tag and length at p[0..n): the header size and content
 * length, or -1 when malformed (only what OpenSSL wrote is read). */
static int
der_hdr(const unsigned char *p, size_t n, size_t *hdr, size_t *len)
{
	size_t l, k, i;

	if (n < 2)
		return -1;
	if (!(p[1] & 0x80)) {
		*hdr = 2;
		*len = p[1];
	} else {
		k = p[1] & 0x7f;
		if (k == 0 || k > 4 || n < 2 + k)
			return -1;
		for (l = 0, i = 0; i < k; i++)
			l = l << 8 | p[2 + i];
		*hdr = 2 + k;
		*len = l;
	}
	return *hdr + *len <= n ? 0 : -1;
}

/*
 * Puts the entries into a CRL that OpenSSL built and signed without them
 * (so names, times, extensions and the algorithm are OpenSSL's), then
 * signs the new TBSCertList once: CertificateList ::= SEQUENCE {
 * tbsCertList, signatureAlgorithm, signatureValue } (5280 5.1).
 */
static int
splice(struct kn_buf *out, const unsigned char *crl, size_t crllen,
    const struct kn_buf *entries, EVP_PKEY *key)
{
	const unsigned char *tbs, *alg, *p;
	size_t h, l, tbsh, tbsl, algh, algl, off, i;
	struct kn_buf nt;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc = KN_ERR_INTERNAL;

	kn_buf_init(&nt, out->max);
	if (der_hdr(crl, crllen, &h, &l) != 0 || crl[0] != 0x30)
		goto out;
	tbs = crl + h;
	if (der_hdr(tbs, l, &tbsh, &tbsl) != 0 || tbs[0] != 0x30)
		goto out;
	alg = tbs + tbsh + tbsl;
	if (der_hdr(alg, l - tbsh - tbsl, &algh, &algl) != 0)
		goto out;
	/* Walk version, signature, issuer, thisUpdate, nextUpdate: the
	 * entries go right after nextUpdate. */
	p = tbs + tbsh;
	for (off = 0, i = 0; i < 5; i++) {
		if (der_hdr(p + off, tbsl - off, &h, &l) != 0)
			goto out;
		off += h + l;
	}
	kn_buf_putn(&nt, p, off);
	if (entries->len > 0)
		kn_der_tlv(&nt, 0x30, entries->data, entries->len);
	kn_buf_putn(&nt, p + off, tbsl - off);
	if (nt.failed) {
		rc = KN_ERR_TOOBIG;
		goto out;
	}
	kn_buf_reset(out);
	kn_der_tlv(out, 0x30, nt.data, nt.len);	/* the new TBSCertList */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, kn__md_for(key), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (unsigned char *)out->data,
	    out->len) != 1 || (sig = malloc(siglen + 1)) == NULL ||
	    EVP_DigestSign(md, sig + 1, &siglen, (unsigned char *)out->data,
	    out->len) != 1) {
		rc = kn_err_set(KN_ERR_CRYPTO, NULL, "signing the CRL failed "
		    "(is the CA key available?)");
		goto out;
	}
	sig[0] = 0;	/* no unused bits in the BIT STRING */
	kn_buf_putn(out, alg, algh + algl);
	kn_der_tlv(out, 0x03, sig, siglen + 1);
	/* Wrap TBS + algorithm + signature in the outer SEQUENCE. */
	kn_buf_reset(&nt);
	kn_der_tlv(&nt, 0x30, out->data, out->len);
	if (nt.failed || out->failed) {
		rc = KN_ERR_TOOBIG;
		goto out;
	}
	kn_buf_reset(out);
	kn_buf_putn(out, nt.data, nt.len);
	rc = out->failed ? KN_ERR_NOMEM : 0;
out:
	EVP_MD_CTX_free(md);
	free(sig);
	kn_buf_cleanup(&nt);
	if (rc == KN_ERR_INTERNAL)
		kn_err_set(rc, NULL, "the CRL OpenSSL built could not be read "
		    "back");
	return rc;
}

/* Adds AKI, cRLNumber and, when the CA's CRLs are sharded, a critical
 * issuingDistributionPoint naming this shard (RFC 5280 5.2.5). */
static int
add_crl_exts(X509_CRL *crl, X509 *issuer, int64_t number, const char *url)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	ISSUING_DIST_POINT *idp = NULL;
	GENERAL_NAME *gn = NULL;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
	int rc = KN_ERR_NOMEM;

	if (akid == NULL || num == NULL || ski == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
	    0) != 1 || ASN1_INTEGER_set_int64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	if (url != NULL) {
		ASN1_IA5STRING *u = ASN1_IA5STRING_new();

		if (u == NULL || ASN1_STRING_set(u, url, -1) != 1 ||
		    (gn = GENERAL_NAME_new()) == NULL) {
			ASN1_IA5STRING_free(u);
			goto out;
		}
		GENERAL_NAME_set0_value(gn, GEN_URI, u);
		if ((idp = ISSUING_DIST_POINT_new()) == NULL ||
		    (idp->distpoint = DIST_POINT_NAME_new()) == NULL ||
		    (idp->distpoint->name.fullname =
		    sk_GENERAL_NAME_new_null()) == NULL ||
		    !sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn))
			goto out;
		gn = NULL;
		idp->distpoint->type = 0;
		idp->onlyuser = 1;
		if (X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point,
		    idp, 1, 0) != 1)
			goto out;
	}
	rc = 0;
out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	ISSUING_DIST_POINT_free(idp);
	GENERAL_NAME_free(gn);
	return rc;
}

static int
one_shard(struct kn_db *db, const struct kn_ca_env *env, const char *actor,
    struct kn_ca *ca, X509 *cert, EVP_PKEY *key, int64_t shard,
    int64_t nshards)
{
	struct kn_stmt *st = NULL;
	struct kn_buf url, ents, full;
	X509_CRL *crl = NULL;
	ASN1_TIME *t = NULL;
	unsigned char *der = NULL;
	char now[21], next[21], obj[64], detail[160], *b64 = NULL;
	int64_t number, entries = 0;
	int len, days = env->crl_days > 0 ? env->crl_days : CRL_DAYS, rc;
	time_t tnow = time(NULL);

	kn_buf_init(&url, 1024);
	kn_buf_init(&ents, CRL_MAX);
	kn_buf_init(&full, CRL_MAX);
	kn_now_rfc3339(now);
	kn_time_rfc3339(next, tnow + (time_t)days * 86400);
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	/* Monotonic per CA across all its shards (RFC 5280 5.2.3). */
	if ((rc = kn_db_stmt(db, &st, "UPDATE cas SET crl_number = "
	    "crl_number + 1 WHERE id = ? RETURNING crl_number")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, ca->id)) == 0)
		rc = kn_stmt_step(st);
	if (rc != KN_ROW) {
		rc = rc < 0 ? rc : KN_ERR_DB;
		goto out;
	}
	number = kn_stmt_int64(st, 0);
	kn_stmt_done(st);
	if ((crl = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(cert)) != 1 ||
	    (t = ASN1_TIME_set(NULL, tnow)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, t) != 1 ||
	    ASN1_TIME_set(t, tnow + (time_t)days * 86400) == NULL ||
	    X509_CRL_set1_nextUpdate(crl, t) != 1) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	/* Entries stay until the certificate expires (RFC 5280 3.3). */
	if ((rc = kn_db_stmt(db, &st, "SELECT serial, revoked_at, reason "
	    "FROM certs WHERE ca_id = ? AND shard = ? AND status <> 'valid' "
	    "AND not_after > ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, ca->id)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 2, shard)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, now)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		if ((rc = put_entry(&ents, kn_stmt_text(st, 0),
		    kn_stmt_text(st, 1), kn_stmt_text(st, 2))) != 0)
			goto out;
		entries++;
	}
	if (rc < 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	if (nshards > 1)
		kn__crl_url(&url, env->base_url, ca->name, shard);
	if ((rc = add_crl_exts(crl, cert, number, nshards > 1 && !url.failed ?
	    url.data : NULL)) != 0)
		goto out;
	/* OpenSSL signs the entry-free CRL (fixing the algorithm), then
	 * the entries are spliced in and the result signed once more. */
	if ((rc = kn__sign_crl(crl, key)) != 0)
		goto out;
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = splice(&full, der, (size_t)len, &ents, key)) != 0)
		goto out;
	if ((b64 = kn__b64((unsigned char *)full.data, full.len)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO crls (ca_id, shard, "
	    "number, this_update, next_update, entries, der) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ca_id, shard) DO UPDATE SET "
	    "number = excluded.number, this_update = excluded.this_update, "
	    "next_update = excluded.next_update, entries = excluded.entries, "
	    "der = excluded.der")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, ca->id)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 2, shard)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 3, number)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, next)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 6, entries)) != 0 ||
	    (rc = kn_stmt_bind_textref(st, 7, b64, strlen(b64))) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	snprintf(obj, sizeof(obj), "crl:%s/%lld", ca->name, (long long)shard);
	snprintf(detail, sizeof(detail), "{\"number\":%lld,\"entries\":%lld,"
	    "\"next_update\":\"%s\"}", (long long)number, (long long)entries,
	    next);
	if ((rc = kn_audit_append(db, actor, "crl.generate", obj, detail,
	    NULL)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&url);
	kn_buf_cleanup(&ents);
	kn_buf_cleanup(&full);
	X509_CRL_free(crl);
	ASN1_TIME_free(t);
	OPENSSL_free(der);
	free(b64);
	return rc;
}

static int
for_ca(struct kn_db *db, const struct kn_ca_env *env, const char *actor,
    struct kn_ca *ca, int *count)
{
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int64_t nshards, s;
	int rc;

	if ((rc = kn__ca_keys(env, ca, &cert, &key)) != 0)
		return rc;
	nshards = ca->shard_size > 0 && ca->issued > 0 ?
	    (ca->issued - 1) / ca->shard_size + 1 : 1;
	for (s = 0; s < nshards; s++) {
		if ((rc = one_shard(db, env, actor, ca, cert, key, s,
		    nshards)) != 0)
			break;
		(*count)++;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

int
kn_crl_generate(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const char *name, int *count)
{
	struct kn_ca ca, *v = NULL;
	size_t n = 0, i;
	int rc;

	*count = 0;
	if (name != NULL) {
		if ((rc = kn_ca_get(db, &ca, name)) != 0)
			return rc;
		rc = for_ca(db, env, actor, &ca, count);
		kn_ca_cleanup(&ca);
		return rc;
	}
	if ((rc = kn_ca_list(db, &v, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = for_ca(db, env, actor, &v[i], count);
	kn_ca_list_free(v, n);
	return rc;
}

static time_t
parse_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return timegm(&tm);
}

/* True when a shard of ca has no CRL yet, or one past half its life
 * (RFC 5280 leaves the schedule to the CA; S/MIME BR 4.9.7 wants a new
 * CRL at least every 7 days). */
static int
stale(struct kn_db *db, const struct kn_ca *ca, bool *out)
{
	struct kn_stmt *st;
	time_t now = time(NULL);
	int64_t nshards = ca->shard_size > 0 && ca->issued > 0 ?
	    (ca->issued - 1) / ca->shard_size + 1 : 1, rows = 0;
	int rc;

	*out = false;
	if ((rc = kn_db_stmt(db, &st, "SELECT this_update, next_update FROM "
	    "crls WHERE ca_id = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, ca->id)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		time_t a = parse_time(kn_stmt_text(st, 0));
		time_t b = parse_time(kn_stmt_text(st, 1));

		rows++;
		if ((b - now) * 2 < b - a)
			*out = true;
	}
	if (rows < nshards)
		*out = true;
out:
	kn_stmt_done(st);
	return rc < 0 ? rc : 0;
}

int
kn_crl_refresh(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, int *count)
{
	struct kn_ca *v = NULL;
	size_t n = 0, i;
	bool old;
	int rc;

	*count = 0;
	if ((rc = kn_ca_list(db, &v, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = stale(db, &v[i], &old)) == 0 && old)
			rc = for_ca(db, env, actor, &v[i], count);
	}
	kn_ca_list_free(v, n);
	return rc;
}

int
kn_crl_get(struct kn_db *db, const char *name, int64_t shard,
    unsigned char **der, size_t *len, char next_update[21])
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT c.der, c.next_update FROM "
	    "crls c JOIN cas a ON a.id = c.ca_id WHERE a.name = ? AND "
	    "c.shard = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, name)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 2, shard)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		snprintf(next_update, 21, "%s", kn_stmt_text(st, 1));
		rc = kn__unb64(kn_stmt_text(st, 0), der, len);
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "ca", "no CRL for %s shard "
		    "%lld (kakuin crl generate)", name, (long long)shard);
	kn_stmt_done(st);
	return rc;
}
