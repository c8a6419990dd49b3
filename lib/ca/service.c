/* service.c - certificates the trust center issues to its own services
 * (time-stamping units): a new key, a subject naming the operator, and a
 * row in certs like any subscriber's, so that it can be revoked and shows
 * in CRLs and OCSP answers. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/jsonw.h"
#include "base/text.h"
#include "ca/ca_int.h"
#include "store/db.h"

void
kn_service_cert_cleanup(struct kn_service_cert *c)
{
	free(c->key_uri);
	free(c->cert_pem);
	free(c->subject);
	memset(c, 0, sizeof(*c));
}

/* Stores the certificate and its audit row in one transaction. */
static int
store(struct kn_db *db, const char *actor, const struct kn_ca *ca,
    const struct kn_profile *p, const struct kn_service_cert *out,
    int64_t shard, const char *spki, const char *not_before)
{
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	struct kn_jw w;
	char now[21], obj[64];
	int rc;

	kn_buf_init(&detail, 2048);
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0 ||
	    (rc = kn_db_stmt(db, &st, "INSERT INTO certs (serial, ca_id, "
	    "profile, subject, not_before, not_after, status, shard, "
	    "cert_pem, created_at, spki_sha256) VALUES (?, ?, ?, ?, ?, ?, "
	    "'valid', ?, ?, ?, ?)")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, out->serial)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 2, ca->id)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, p->name)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, out->subject)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, not_before)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, out->not_after)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 7, shard)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 8, out->cert_pem)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 9, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 10, spki)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	if ((rc = kn_db_stmt(db, &st, "UPDATE cas SET issued = issued + 1 "
	    "WHERE id = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, ca->id)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	kn_jw_init(&w, &detail);
	kn_jw_obj(&w);
	kn_jw_kstr(&w, "ca", ca->name);
	kn_jw_kstr(&w, "profile", p->name);
	kn_jw_kstr(&w, "subject", out->subject);
	kn_jw_kstr(&w, "not_after", out->not_after);
	kn_jw_kstr(&w, "key", out->key_uri);
	kn_jw_end_obj(&w);
	snprintf(obj, sizeof(obj), "cert:%s", out->serial);
	if ((rc = kn__audit(db, actor, "cert.issue", obj, &detail)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&detail);
	return rc;
}

int
kn_ca_issue_service(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const char *ca_name, const char *profile,
    const char *what, struct kn_service_cert *out)
{
	const struct kn_profile *p = kn_profile_find(profile);
	struct kn_build b;
	struct kn_ca ca;
	EVP_PKEY *key = NULL, *cakey = NULL;
	X509 *x = NULL, *cacert = NULL;
	X509_NAME *subj = NULL;
	unsigned char rnd[6];
	char label[64], nb[21], spki[65];
	bool stored = false;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ca, 0, sizeof(ca));
	if (p == NULL || p->ca)
		return kn_err_set(KN_ERR_INVAL, "profile", "%s is not a "
		    "service certificate profile", profile);
	rc = ca_name != NULL ? kn_ca_get(db, &ca, ca_name) :
	    kn_ca_default_issuer(db, &ca, profile);
	if (rc != 0)
		return rc;
	if (!kn__ca_can_issue(kn_profile_find(ca.profile), p)) {
		rc = kn_err_set(KN_ERR_INVAL, "ca", "CA %s (profile %s) may "
		    "not issue %s certificates", ca.name, ca.profile, profile);
		goto out;
	}
	if (strcmp(env->key_kind, "file") == 0 && mkdir(env->key_dir,
	    0700) == -1 && errno != EEXIST) {
		rc = kn_err_set(KN_ERR_IO, "ca_keys", "cannot create %s: %s",
		    env->key_dir, strerror(errno));
		goto out;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = KN_ERR_CRYPTO;
		goto out;
	}
	snprintf(label, sizeof(label), "%s-%02x%02x%02x%02x%02x%02x", profile,
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	if ((rc = kn__ca_keys(env, &ca, &cacert, &cakey)) != 0 ||
	    (rc = kn_key_generate(env->ks, env->key_kind, env->key_dir,
	    env->key_alg, label, &out->key_uri)) != 0 ||
	    (rc = kn_key_load(env->ks, out->key_uri, &key)) != 0)
		goto out;
	if ((subj = kn__operator_name(env, what, "")) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	memset(&b, 0, sizeof(b));
	b.p = p;
	b.pub = key;
	b.subject = subj;
	b.days = p->default_days;
	b.issuer = cacert;
	b.issuer_key = cakey;
	b.issuer_name = ca.name;
	b.shard = ca.shard_size > 0 ? ca.issued / ca.shard_size : 0;
	b.base_url = env->base_url;
	if ((rc = kn__issue(&x, out->serial, &b)) != 0 ||
	    (rc = kn__spki_hash(X509_get_X509_PUBKEY(x), spki)) != 0)
		goto out;
	if ((out->cert_pem = kn__x509_pem(x)) == NULL ||
	    (out->subject = kn__name_str(X509_get_subject_name(x))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	kn__asn1_time(nb, X509_get0_notBefore(x));
	kn__asn1_time(out->not_after, X509_get0_notAfter(x));
	/* Once the store is asked to keep it, the key stays: a commit that
	 * reports a failure may still have been applied. */
	stored = true;
	rc = store(db, actor, &ca, p, out, b.shard, spki, nb);
out:
	if (rc != 0) {
		if (!stored)
			kn__drop_key(env, out->key_uri);
		kn_service_cert_cleanup(out);
	}
	kn_ca_cleanup(&ca);
	X509_NAME_free(subj);
	X509_free(x);
	X509_free(cacert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return rc;
}
