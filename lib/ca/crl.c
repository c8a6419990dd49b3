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
#include "base/text.h"
#include "ca/ca_int.h"
#include "store/db.h"

#define CRL_DAYS 7		/* S/MIME BR 4.9.7: at least every 7 days */

static int
reason_code(const char *r)
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

static int
add_entry(X509_CRL *crl, const char *serial_hex, const char *when,
    const char *reason)
{
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *e = NULL;
	BIGNUM *bn = NULL;
	struct tm tm;
	int code = reason_code(reason), rc = KN_ERR_NOMEM;

	memset(&tm, 0, sizeof(tm));
	if (rv == NULL || BN_hex2bn(&bn, serial_hex) == 0 ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_REVOKED_set_serialNumber(rv, sn) != 1)
		goto out;
	if (strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL) {
		rc = kn_err_set(KN_ERR_INTERNAL, NULL, "bad revocation time "
		    "%s", when);
		goto out;
	}
	if ((t = ASN1_TIME_adj(NULL, timegm(&tm), 0, 0)) == NULL ||
	    X509_REVOKED_set_revocationDate(rv, t) != 1)
		goto out;
	if (code >= 0 && ((e = ASN1_ENUMERATED_new()) == NULL ||
	    ASN1_ENUMERATED_set(e, code) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, e, 0, 0) != 1))
		goto out;
	if (X509_CRL_add0_revoked(crl, rv) != 1)
		goto out;
	rv = NULL;
	rc = 0;
out:
	X509_REVOKED_free(rv);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(e);
	BN_free(bn);
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
	struct kn_buf url;
	X509_CRL *crl = NULL;
	ASN1_TIME *t = NULL;
	unsigned char *der = NULL;
	char now[21], next[21], obj[64], detail[160], *b64 = NULL;
	int64_t number, entries = 0;
	int len, days = env->crl_days > 0 ? env->crl_days : CRL_DAYS, rc;
	time_t tnow = time(NULL);

	kn_buf_init(&url, 1024);
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
		if ((rc = add_entry(crl, kn_stmt_text(st, 0),
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
	X509_CRL_sort(crl);
	if ((rc = kn__sign_crl(crl, key)) != 0)
		goto out;
	if ((len = i2d_X509_CRL(crl, &der)) <= 0 ||
	    (b64 = kn__b64(der, (size_t)len)) == NULL) {
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
