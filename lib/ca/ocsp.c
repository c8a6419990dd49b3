/* ocsp.c - the OCSP responder (RFC 6960, profile of RFC 5019/9919): every
 * request gets a DER OCSPResponse, never a transport error. */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/der.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "ca/ca_int.h"
#include "store/db.h"

#define OCSP_MAX_IDS	16	/* CertIDs in one request */
#define OCSP_GET_MAX	8192	/* base64 characters of a GET request */
#define OCSP_HOURS	24	/* nextUpdate - thisUpdate */
#define SIGNER_RENEW	10	/* days before its notAfter a responder
				   certificate is replaced */

/* Serializes making responder certificates within a process. */
static pthread_mutex_t signer_mu = PTHREAD_MUTEX_INITIALIZER;

/* The newest responder certificate of ca: its key URI and PEM (malloc'd),
 * or KN_ERR_NOTFOUND. */
static int
signer_row(struct kn_db *db, int64_t ca_id, char **uri, char **pem,
    char not_after[21])
{
	struct kn_stmt *st;
	int rc;

	*uri = *pem = NULL;
	if ((rc = kn_db_stmt(db, &st, "SELECT key_uri, cert_pem, not_after "
	    "FROM ocsp_signers WHERE ca_id = ? ORDER BY id DESC LIMIT 1")) !=
	    0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, ca_id)) == 0) {
		if ((rc = kn_stmt_step(st)) == KN_ROW) {
			*uri = kn_stmt_strdup(st, 0);
			*pem = kn_stmt_strdup(st, 1);
			snprintf(not_after, 21, "%s", kn_stmt_text(st, 2));
			rc = *uri && *pem ? 0 : KN_ERR_NOMEM;
		} else
			rc = rc < 0 ? rc : KN_ERR_NOTFOUND;
	}
	kn_stmt_done(st);
	if (rc != 0) {
		free(*uri);
		free(*pem);
		*uri = *pem = NULL;
	}
	return rc;
}

/* Issues a new responder certificate for ca (profile ocsp-signing, key
 * in the token or a file key as the CA's own) and stores it. */
static int
signer_make(struct kn_db *db, const struct kn_ca_env *env, const char *actor,
    const struct kn_ca *ca)
{
	struct kn_build b;
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	EVP_PKEY *key = NULL, *cakey = NULL;
	X509 *x = NULL, *cacert = NULL;
	X509_NAME *subj = NULL;
	unsigned char rnd[6];
	char serial[KN_SERIAL_HEX], nb[21], na[21], now[21], label[64];
	char obj[64], *uri = NULL, *pem = NULL;
	bool sent = false;
	int rc;

	kn_buf_init(&detail, 2048);
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
	snprintf(label, sizeof(label), "ocsp-%s-%02x%02x%02x%02x%02x%02x",
	    ca->name, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	if ((rc = kn__ca_keys(env, ca, &cacert, &cakey)) != 0 ||
	    (rc = kn_key_generate(env->ks, env->key_kind, env->key_dir,
	    env->key_alg, label, &uri)) != 0 ||
	    (rc = kn_key_load(env->ks, uri, &key)) != 0)
		goto out;
	if ((subj = kn__operator_name(env, ca->name,
	    " OCSP responder")) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	memset(&b, 0, sizeof(b));
	b.p = kn_profile_find("ocsp-signing");
	b.pub = key;
	b.subject = subj;
	b.days = b.p->default_days;
	b.issuer = cacert;
	b.issuer_key = cakey;
	b.issuer_name = ca->name;
	b.base_url = env->base_url;
	if ((rc = kn__issue(&x, serial, &b)) != 0)
		goto out;
	if ((pem = kn__x509_pem(x)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	kn__asn1_time(nb, X509_get0_notBefore(x));
	kn__asn1_time(na, X509_get0_notAfter(x));
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0 ||
	    (rc = kn_db_stmt(db, &st, "INSERT INTO ocsp_signers (ca_id, "
	    "key_uri, cert_pem, serial, not_before, not_after, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, ca->id)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, uri)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, pem)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, serial)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, nb)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, na)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, now)) != 0)
		goto out;
	if ((rc = kn_stmt_step(st)) != KN_DONE) {
		rc = rc < 0 ? rc : KN_ERR_DB;
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	{
		struct kn_jw w;

		kn_jw_init(&w, &detail);
		kn_jw_obj(&w);
		kn_jw_kstr(&w, "serial", serial);
		kn_jw_kstr(&w, "key", uri);
		kn_jw_kstr(&w, "not_after", na);
		kn_jw_end_obj(&w);
	}
	snprintf(obj, sizeof(obj), "ca:%s", ca->name);
	if ((rc = kn__audit(db, actor, "ca.ocsp_signer", obj, &detail)) != 0)
		goto out;
	/* A commit that reports a failure may still have been applied:
	 * from here the key stays. */
	sent = true;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	if (rc != 0 && !sent)
		kn__drop_key(env, uri);
	kn_buf_cleanup(&detail);
	X509_NAME_free(subj);
	X509_free(x);
	X509_free(cacert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	free(uri);
	free(pem);
	return rc;
}

/*
 * Responders this process loaded, by CA (id and certificate serial, so
 * another store with the same ids never matches), kept for SIGNER_TTL
 * seconds: a nonce request otherwise pays a query, a PEM parse and a key
 * lookup before it signs.  A responder another process made meanwhile is
 * picked up after the TTL; the old one stays valid for days.
 */
#define SIGNER_CACHE	8
#define SIGNER_TTL	60

/* A responder as a signed answer needs it, shared by reference. */
#define SIG_MAX		1024	/* an RSA-4096 signature is 512 bytes */
struct responder {
	int		 refs;		/* atomic */
	X509		*cert;
	struct kn_signer *key;		/* the keystore's */
	unsigned char	 kh[SHA_DIGEST_LENGTH];	/* SHA-1 of its key */
	unsigned char	*der;		/* its certificate */
	size_t		 derlen;
	const EVP_MD	*md;		/* its signature's digest */
	size_t		 sigmax;	/* its longest signature */
	struct kn_buf	 alg;		/* signatureAlgorithm, DER */
};

static void
responder_put(struct responder *rp)
{
	if (rp == NULL || __atomic_sub_fetch(&rp->refs, 1,
	    __ATOMIC_ACQ_REL) > 0)
		return;
	X509_free(rp->cert);
	OPENSSL_free(rp->der);
	kn_buf_cleanup(&rp->alg);
	free(rp);
}

/* Takes cert. */
static int
responder_new(struct responder **out, X509 *cert, struct kn_signer *key)
{
	struct responder *rp;
	EVP_PKEY *pkey;
	unsigned char *p = NULL;
	unsigned int khlen = 0;
	int n, sig_nid;

	if ((rp = calloc(1, sizeof(*rp))) == NULL) {
		X509_free(cert);
		return KN_ERR_NOMEM;
	}
	rp->refs = 1;
	rp->cert = cert;
	rp->key = key;
	kn_buf_init(&rp->alg, 64);
	pkey = kn_signer_pkey(key);
	rp->md = kn__md_for(pkey);
	/* responderID byKey (RFC 6960 section 4.2.2.3). */
	if (X509_pubkey_digest(cert, EVP_sha1(), rp->kh, &khlen) != 1 ||
	    khlen != sizeof(rp->kh) ||
	    (n = i2d_X509(cert, &rp->der)) <= 0 ||
	    OBJ_find_sigid_by_algs(&sig_nid, rp->md ?
	    EVP_MD_get_type(rp->md) : NID_undef,
	    EVP_PKEY_get_base_id(pkey)) != 1 ||
	    EVP_PKEY_get_size(pkey) <= 0 ||
	    EVP_PKEY_get_size(pkey) > SIG_MAX) {
		responder_put(rp);
		return kn_err_set(KN_ERR_CRYPTO, "ocsp", "the OCSP responder "
		    "certificate cannot be encoded");
	}
	rp->derlen = (size_t)n;
	rp->sigmax = (size_t)EVP_PKEY_get_size(pkey);
	/* sha*WithRSAEncryption takes NULL parameters (RFC 4055 section
	 * 5), ecdsa-with-SHA* none (RFC 5758 section 3.2). */
	kn_der_put_i2d(&rp->alg, &p, i2d_ASN1_OBJECT(OBJ_nid2obj(sig_nid),
	    &p));
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		kn_der_tlv(&rp->alg, 0x05, NULL, 0);
	kn_der_wrap(&rp->alg, 0, 0x30);
	if (rp->alg.failed) {
		responder_put(rp);
		return KN_ERR_NOMEM;
	}
	*out = rp;
	return 0;
}

static struct {
	int64_t		 ca_id;
	char		 ca_serial[KN_SERIAL_HEX];
	uint64_t	 ks;		/* kn_keystore_id */
	struct responder *rp;
	char		 not_after[21];
	time_t		 at;
} signers[SIGNER_CACHE];
static pthread_mutex_t signers_mu = PTHREAD_MUTEX_INITIALIZER;

static struct responder *
signer_cached(const struct kn_ca_env *env, const struct kn_ca *ca,
    const char *limit)
{
	size_t i = (size_t)ca->id % SIGNER_CACHE;
	struct responder *rp = NULL;

	pthread_mutex_lock(&signers_mu);
	if (signers[i].rp != NULL && signers[i].ca_id == ca->id &&
	    signers[i].ks == kn_keystore_id(env->ks) &&
	    strcmp(signers[i].ca_serial, ca->serial) == 0 &&
	    signers[i].at + SIGNER_TTL > time(NULL) &&
	    strcmp(signers[i].not_after, limit) > 0) {
		rp = signers[i].rp;
		__atomic_add_fetch(&rp->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&signers_mu);
	return rp;
}

static void
signer_keep(const struct kn_ca_env *env, const struct kn_ca *ca,
    const char *not_after, struct responder *rp)
{
	size_t i = (size_t)ca->id % SIGNER_CACHE;
	struct responder *old;

	__atomic_add_fetch(&rp->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&signers_mu);
	old = signers[i].rp;
	signers[i].ca_id = ca->id;
	snprintf(signers[i].ca_serial, sizeof(signers[i].ca_serial), "%s",
	    ca->serial);
	signers[i].ks = kn_keystore_id(env->ks);
	signers[i].rp = rp;
	snprintf(signers[i].not_after, sizeof(signers[i].not_after), "%s",
	    not_after);
	signers[i].at = time(NULL);
	pthread_mutex_unlock(&signers_mu);
	responder_put(old);
}

/* The responder certificate and key of ca, made first when there is none
 * or the newest ends within SIGNER_RENEW days. */
static int
signer_get(struct kn_db *db, const struct kn_ca_env *env, const char *actor,
    const struct kn_ca *ca, struct responder **out)
{
	char na[21], limit[21], *uri = NULL, *pem = NULL;
	struct kn_signer *key = NULL;
	X509 *cert;
	int rc, tries;

	*out = NULL;
	kn_time_rfc3339(limit, time(NULL) + SIGNER_RENEW * 86400L);
	if ((*out = signer_cached(env, ca, limit)) != NULL)
		return 0;
	for (tries = 0; tries < 2; tries++) {
		rc = signer_row(db, ca->id, &uri, &pem, na);
		if (rc == 0 && strcmp(na, limit) > 0)
			break;
		if (rc != 0 && rc != KN_ERR_NOTFOUND)
			return rc;
		free(uri);
		free(pem);
		uri = pem = NULL;
		if (tries > 0)
			return kn_err_set(KN_ERR_INTERNAL, "ocsp", "no OCSP "
			    "responder certificate for CA %s", ca->name);
		pthread_mutex_lock(&signer_mu);
		/* Another thread may have made it meanwhile. */
		rc = signer_row(db, ca->id, &uri, &pem, na);
		if (rc == 0 && strcmp(na, limit) > 0) {
			pthread_mutex_unlock(&signer_mu);
			break;
		}
		free(uri);
		free(pem);
		uri = pem = NULL;
		rc = signer_make(db, env, actor, ca);
		pthread_mutex_unlock(&signer_mu);
		if (rc != 0)
			return rc;
	}
	if ((cert = kn__pem_x509(pem)) == NULL)
		rc = KN_ERR_INTERNAL;
	else if ((rc = kn_key_signer(env->ks, uri, &key)) != 0)
		X509_free(cert);
	else
		rc = responder_new(out, cert, key);
	free(uri);
	free(pem);
	if (rc == 0)
		signer_keep(env, ca, na, *out);
	return rc;
}

int
kn_ocsp_signer(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const char *ca_name)
{
	struct kn_ca ca;
	struct responder *rp = NULL;
	int rc;

	if ((rc = kn_ca_get(db, &ca, ca_name)) != 0)
		return rc;
	rc = signer_get(db, env, actor, &ca, &rp);
	responder_put(rp);
	kn_ca_cleanup(&ca);
	return rc;
}

/* The issuer of one CertID, matched by name and key hash (RFC 6960
 * section 4.1.1) under SHA-1 or SHA-256. */
struct issuer {
	struct kn_ca	 ca;
	X509		*cert;
	unsigned char	 name1[20], key1[20];
	unsigned char	 name256[32], key256[32];
};

static int
issuer_hashes(struct issuer *is)
{
	unsigned int n;

	if ((is->cert = kn__ca_cert(&is->ca)) == NULL)
		return KN_ERR_INTERNAL;
	if (X509_NAME_digest(X509_get_subject_name(is->cert), EVP_sha1(),
	    is->name1, &n) != 1 || X509_pubkey_digest(is->cert, EVP_sha1(),
	    is->key1, &n) != 1 ||
	    X509_NAME_digest(X509_get_subject_name(is->cert), EVP_sha256(),
	    is->name256, &n) != 1 || X509_pubkey_digest(is->cert,
	    EVP_sha256(), is->key256, &n) != 1)
		return KN_ERR_CRYPTO;
	return 0;
}

/*
 * Whether the DER of a CertID has a hashAlgorithm without parameters or
 * with NULL ones, the only encodings of SHA-1 and SHA-256 (RFC 5754
 * section 2; RFC 3279 section 2.2.1).  libcrypto takes any value there
 * and writes it back as it read it, so a CertID with other parameters
 * would be echoed into an answer that libcrypto itself cannot read back.
 * Checked on the encoding put_single writes anyway.
 */
static const char certid_params_why[] = "a CertID's hashAlgorithm has "
    "parameters other than NULL (RFC 5754 section 2)";

static bool
certid_alg_ok(const unsigned char *der, size_t n)
{
	const unsigned char *q = der, *end;
	long len;
	int tag, xclass;

	/* CertID, then its first element, hashAlgorithm, then the OID. */
	if ((ASN1_get_object(&q, &len, &tag, &xclass, (long)n) & 0x80) ||
	    tag != V_ASN1_SEQUENCE ||
	    (ASN1_get_object(&q, &len, &tag, &xclass, (long)(der + n - q)) &
	    0x80) || tag != V_ASN1_SEQUENCE)
		return false;
	end = q + len;
	if ((ASN1_get_object(&q, &len, &tag, &xclass, (long)(end - q)) &
	    0x80) || tag != V_ASN1_OBJECT)
		return false;
	q += len;
	return q == end || (end - q == 2 && q[0] == 0x05 && q[1] == 0x00);
}

/* Index into v of the CA that id names, or -1 (not ours, or a hash we do
 * not take). */
static int
find_issuer(struct issuer *v, size_t n, OCSP_CERTID *id)
{
	ASN1_OCTET_STRING *nh, *kh;
	ASN1_OBJECT *md;
	const unsigned char *name, *key;
	size_t i, len;
	int nid;

	if (OCSP_id_get0_info(&nh, &md, &kh, NULL, id) != 1)
		return -1;
	nid = OBJ_obj2nid(md);
	if (nid == NID_sha1)
		len = 20;
	else if (nid == NID_sha256)
		len = 32;
	else
		return -1;
	if ((size_t)ASN1_STRING_length(nh) != len ||
	    (size_t)ASN1_STRING_length(kh) != len)
		return -1;
	for (i = 0; i < n; i++) {
		name = len == 20 ? v[i].name1 : v[i].name256;
		key = len == 20 ? v[i].key1 : v[i].key256;
		if (memcmp(ASN1_STRING_get0_data(nh), name, len) == 0 &&
		    memcmp(ASN1_STRING_get0_data(kh), key, len) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Which CA a CertID names, by its hashes alone: the hot path of a
 * pre-signed answer needs only the CA's id, so each thread keeps the
 * hashes of every CA of its store handle for INDEX_TTL seconds instead
 * of reading the CAs and hashing their names and keys per request.  A
 * CertID it does not know reloads it at once (a CA made since).
 */
#define INDEX_MAX	32
#define INDEX_TTL	10

struct ix_entry {
	int64_t		 id;
	unsigned char	 name1[20], key1[20];
	unsigned char	 name256[32], key256[32];
};

static _Thread_local struct {
	uint64_t	 instance;	/* kn_db_instance() of its handle */
	time_t		 at;
	size_t		 n;
	struct ix_entry	 v[INDEX_MAX];
} ix;

static int
ix_load(struct kn_db *db)
{
	struct kn_ca *cas = NULL;
	size_t ncas = 0, i;
	int rc;

	ix.instance = 0;
	ix.n = 0;
	if ((rc = kn_ca_list(db, &cas, &ncas)) != 0)
		return rc;
	for (i = 0; i < ncas && ix.n < INDEX_MAX; i++) {
		struct issuer is;

		memset(&is, 0, sizeof(is));
		is.ca = cas[i];
		if (issuer_hashes(&is) == 0) {
			struct ix_entry *e = &ix.v[ix.n++];

			e->id = cas[i].id;
			memcpy(e->name1, is.name1, 20);
			memcpy(e->key1, is.key1, 20);
			memcpy(e->name256, is.name256, 32);
			memcpy(e->key256, is.key256, 32);
		}
		X509_free(is.cert);
	}
	kn_ca_list_free(cas, ncas);
	ix.instance = kn_db_instance(db);
	ix.at = time(NULL);
	return 0;
}

/* The id of the CA a SHA-1 CertID names, or 0. */
static int64_t
ix_find(struct kn_db *db, OCSP_CERTID *id)
{
	ASN1_OCTET_STRING *nh, *kh;
	size_t i;
	int pass;

	if (OCSP_id_get0_info(&nh, NULL, &kh, NULL, id) != 1 ||
	    ASN1_STRING_length(nh) != 20 || ASN1_STRING_length(kh) != 20)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		if ((pass == 1 || ix.instance != kn_db_instance(db) ||
		    ix.at + INDEX_TTL <= time(NULL)) && ix_load(db) != 0) {
			kn_err_clear();
			return 0;
		}
		for (i = 0; i < ix.n; i++)
			if (memcmp(ASN1_STRING_get0_data(nh), ix.v[i].name1,
			    20) == 0 && memcmp(ASN1_STRING_get0_data(kh),
			    ix.v[i].key1, 20) == 0)
				return ix.v[i].id;
		if (ix.at == time(NULL))
			break;		/* just loaded: not ours */
	}
	return 0;
}

/* The status of serial as CA ca_id issued it: only what an answer says
 * (the hot path of a signed answer; kn_cert_get() reads the whole
 * certificate).  KN_ERR_NOTFOUND when that CA never issued it. */
static int
cert_status(struct kn_db *db, int64_t ca_id, const char *serial,
    char status[8], char reason[32], char revoked_at[21])
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT status, reason, revoked_at "
	    "FROM certs WHERE serial = ? AND ca_id = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 2, ca_id)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		snprintf(status, 8, "%s", kn_stmt_text(st, 0) ?
		    kn_stmt_text(st, 0) : "");
		snprintf(reason, 32, "%s", kn_stmt_text(st, 1) ?
		    kn_stmt_text(st, 1) : "");
		snprintf(revoked_at, 21, "%s", kn_stmt_text(st, 2) ?
		    kn_stmt_text(st, 2) : "");
		rc = 0;
	} else if (rc == KN_DONE)
		rc = KN_ERR_NOTFOUND;
	kn_stmt_done(st);
	return rc;
}

/* "2026-11-21T19:58:14Z" from the store as a GeneralizedTime; false
 * when it is not a time. */
static bool
put_time_iso(struct kn_buf *b, const char *iso)
{
	char g[15];
	size_t i, k = 0;

	for (i = 0; iso[i] != '\0' && k < 14; i++) {
		if (iso[i] >= '0' && iso[i] <= '9')
			g[k++] = iso[i];
	}
	if (k != 14)
		return false;
	g[14] = 'Z';
	kn_der_tlv(b, 0x18, g, sizeof(g));
	return true;
}

static void
put_time(struct kn_buf *b, time_t t)
{
	struct timespec ts = { .tv_sec = t, .tv_nsec = 0 };

	kn_der_gentime(b, &ts, 0);
}

/*
 * Appends the SingleResponse for one CertID of issuer is (RFC 6960
 * section 4.2.1): its status from the store, thisUpdate now, nextUpdate
 * OCSP_HOURS later.
 */
static int
put_single(struct kn_db *db, struct kn_buf *b, OCSP_CERTID *id,
    const struct issuer *v, size_t n, const struct issuer *is, time_t now,
    int *wrote, char dbst[8])
{
	ASN1_INTEGER *sn;
	char serial[KN_SERIAL_HEX], st[8], why[32], at[21];
	unsigned char *p = NULL, reason;
	size_t i, m = b->len, r;
	int status = V_OCSP_CERTSTATUS_UNKNOWN, code = -1, rc;

	if (OCSP_id_get0_info(NULL, NULL, NULL, &sn, id) != 1)
		return KN_ERR_INVAL;
	/* A serial longer than 20 octets (RFC 5280 4.1.2.2) was never
	 * issued here. */
	if (ASN1_STRING_length(sn) <= 20) {
		kn__serial_hex(serial, sn);
		rc = cert_status(db, is->ca.id, serial, st, why, at);
		if (rc == 0) {
			snprintf(dbst, 8, "%s", st);
			if (strcmp(st, "valid") == 0)
				status = V_OCSP_CERTSTATUS_GOOD;
			else {
				status = V_OCSP_CERTSTATUS_REVOKED;
				code = strcmp(st, "hold") == 0 ?
				    OCSP_REVOKED_STATUS_CERTIFICATEHOLD :
				    kn__reason_code(why);
			}
		} else if (rc != KN_ERR_NOTFOUND)
			return rc;
		/* A CA certificate this CA issued. */
		for (i = 0; i < n && status == V_OCSP_CERTSTATUS_UNKNOWN;
		    i++) {
			if (v[i].ca.parent_id == is->ca.id &&
			    strcmp(v[i].ca.serial, serial) == 0)
				status = V_OCSP_CERTSTATUS_GOOD;
		}
	}
	*wrote = status;
	r = b->len;
	kn_der_put_i2d(b, &p, i2d_OCSP_CERTID(id, &p));		/* certID */
	if (!b->failed && !certid_alg_ok((unsigned char *)b->data + r,
	    b->len - r))
		return KN_ERR_VERIFY;
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		kn_buf_putn(b, "\x80\x00", 2);		/* good [0] NULL */
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		r = b->len;				/* revoked [1] */
		if (!put_time_iso(b, at))		/* revocationTime */
			return kn_err_set(KN_ERR_INTERNAL, "ocsp",
			    "certificate %s has no revocation time", serial);
		if (code >= 0) {
			size_t e = b->len;

			reason = (unsigned char)code;
			kn_der_tlv(b, 0x0a, &reason, 1);	/* CRLReason */
			kn_der_wrap(b, e, 0xa0);
		}
		kn_der_wrap(b, r, 0xa1);
		break;
	default:
		kn_buf_putn(b, "\x82\x00", 2);	/* unknown [2] NULL */
		break;
	}
	put_time(b, now);				/* thisUpdate */
	r = b->len;
	put_time(b, now + OCSP_HOURS * 3600L);		/* nextUpdate [0] */
	kn_der_wrap(b, r, 0xa0);
	kn_der_wrap(b, m, 0x30);
	return 0;
}

static int
encode(OCSP_RESPONSE *resp, unsigned char **out, size_t *len)
{
	unsigned char *der = NULL;
	int n;

	if (resp == NULL || (n = i2d_OCSP_RESPONSE(resp, &der)) <= 0)
		return KN_ERR_NOMEM;
	if ((*out = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return KN_ERR_NOMEM;
	}
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

int
kn_ocsp_bare(int status, unsigned char **out, size_t *len)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
	int rc = encode(resp, out, len);

	OCSP_RESPONSE_free(resp);
	return rc;
}

int
kn_ocsp_refresh(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor)
{
	struct kn_ca *cas = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = kn_ca_list(db, &cas, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = kn_ocsp_signer(db, env, actor, cas[i].name);
	kn_ca_list_free(cas, n);
	return rc;
}

/* A pre-signed answer for serial of CA ca_id still before its refresh
 * time: KN_ERR_NOTFOUND when there is none. */
static int
cached_get(struct kn_db *db, int64_t ca_id, const char *serial,
    unsigned char **out, size_t *outlen, struct kn_ocsp_info *info)
{
	struct kn_stmt *st;
	char now[21];
	int rc;

	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "SELECT der, this_update, next_update "
	    "FROM ocsp_responses WHERE serial = ? AND ca_id = ? AND "
	    "refresh_at > ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 2, ca_id)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 3, now)) == 0) {
		if ((rc = kn_stmt_step(st)) == KN_ROW) {
			rc = kn__unb64(kn_stmt_text(st, 0), out, outlen);
			snprintf(info->this_update, sizeof(info->this_update),
			    "%s", kn_stmt_text(st, 1));
			snprintf(info->next_update, sizeof(info->next_update),
			    "%s", kn_stmt_text(st, 2));
		} else
			rc = rc < 0 ? rc : KN_ERR_NOTFOUND;
	}
	kn_stmt_done(st);
	return rc;
}

/* Keeps a freshly signed answer for the next asker (a failure only costs
 * a signature later). */
static void
cached_put(struct kn_db *db, int64_t ca_id, const char *serial,
    const unsigned char *der, size_t len, const struct kn_ocsp_info *info)
{
	struct kn_stmt *st = NULL;
	char refresh[21], *b64;
	int rc;

	kn_time_rfc3339(refresh, time(NULL) + OCSP_HOURS * 3600L / 2);
	if ((b64 = kn__b64(der, len)) == NULL)
		return;
	/* Only while the certificate still has the status the answer was
	 * signed from: a revocation committed meanwhile wins. */
	if ((rc = kn_db_begin(db)) != 0 ||
	    (rc = kn_db_stmt(db, &st, "INSERT INTO ocsp_responses (serial, "
	    "ca_id, der, this_update, next_update, refresh_at) SELECT ?, ?, "
	    "?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM certs WHERE serial = ? "
	    "AND status = ?) ON CONFLICT (serial) DO UPDATE SET ca_id = "
	    "excluded.ca_id, der = excluded.der, this_update = "
	    "excluded.this_update, next_update = excluded.next_update, "
	    "refresh_at = excluded.refresh_at")) != 0)
		goto out;
	if (kn_stmt_bind_text(st, 1, serial) == 0 &&
	    kn_stmt_bind_int64(st, 2, ca_id) == 0 &&
	    kn_stmt_bind_text(st, 3, b64) == 0 &&
	    kn_stmt_bind_text(st, 4, info->this_update) == 0 &&
	    kn_stmt_bind_text(st, 5, info->next_update) == 0 &&
	    kn_stmt_bind_text(st, 6, refresh) == 0 &&
	    kn_stmt_bind_text(st, 7, serial) == 0 &&
	    kn_stmt_bind_text(st, 8, info->cert_status) == 0 &&
	    kn_stmt_run(st) == 0) {
		kn_stmt_done(st);
		st = NULL;
		if (kn_db_commit(db) != 0)
			kn_err_clear();
	}
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_err_clear();
	free(b64);
}

int
kn__ocsp_forget(struct kn_db *db, const char *serial)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "DELETE FROM ocsp_responses WHERE "
	    "serial = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) == 0)
		rc = kn_stmt_run(st);
	kn_stmt_done(st);
	return rc;
}

/*
 * Signs the answer for ids (all of CA v[which]) into *out; the nonce of
 * rq, if any, is echoed.  *first is the status of ids[0].
 *
 * The BasicOCSPResponse (RFC 6960 section 4.2.1) is written directly:
 * OpenSSL's OCSP_basic_sign() and its generic encoder cost about as much
 * CPU again as the signature, and an answer with a nonce is signed for
 * each request.
 */
static int
sign_answer(struct kn_db *db, const struct kn_ca_env *env,
    const struct issuer *v, size_t ncas, int which, OCSP_CERTID **ids,
    int n, OCSP_REQUEST *rq, unsigned char **out, size_t *outlen,
    struct kn_ocsp_info *info, int *first)
{
	struct kn_buf tbs, resp, fin;
	struct responder *rp = NULL;
	unsigned char sig[1 + SIG_MAX], *p = NULL;
	size_t siglen, m, r;
	time_t now = time(NULL);
	char dbst[8];
	int k, st, idx, rc;

	kn_buf_init(&tbs, 1 << 20);
	kn_buf_init(&resp, 1 << 20);
	kn_buf_init(&fin, 1 << 20);
	/* An answer with one CertID and the responder's certificate. */
	kn_buf_reserve(&tbs, 1024);
	kn_buf_reserve(&resp, 2048);
	kn_buf_reserve(&fin, 2048);
	if ((rc = signer_get(db, env, "kakuin serve", &v[which].ca,
	    &rp)) != 0) {
		info->why = "the OCSP responder's key is not available";
		goto out;
	}
	kn_time_rfc3339(info->this_update, now);
	kn_time_rfc3339(info->next_update, now + OCSP_HOURS * 3600L);
	/* ResponseData: responderID byKey [2], the SHA-1 of the responder's
	 * public key (RFC 6960 section 4.2.2.3). */
	kn_der_tlv(&tbs, 0x04, rp->kh, sizeof(rp->kh));
	kn_der_wrap(&tbs, 0, 0xa2);
	put_time(&tbs, now);				/* producedAt */
	m = tbs.len;					/* responses */
	for (k = 0; k < n; k++) {
		if ((rc = put_single(db, &tbs, ids[k], v, ncas, &v[which],
		    now, &st, k == 0 ? info->cert_status : dbst)) != 0) {
			info->why = rc == KN_ERR_VERIFY ? certid_params_why :
			    "a certificate's status cannot be read";
			goto out;
		}
		if (k == 0)
			*first = st;
	}
	kn_der_wrap(&tbs, m, 0x30);
	/* A nonce is echoed, the whole extension as the request had it
	 * (RFC 6960 section 4.4.1; RFC 8954 caps it at 32 octets). */
	if (rq != NULL && (idx = OCSP_REQUEST_get_ext_by_NID(rq,
	    NID_id_pkix_OCSP_Nonce, -1)) >= 0) {
		r = tbs.len;
		kn_der_put_i2d(&tbs, &p, i2d_X509_EXTENSION(
		    OCSP_REQUEST_get_ext(rq, idx), &p));
		kn_der_wrap(&tbs, r, 0x30);		/* Extensions */
		kn_der_wrap(&tbs, r, 0xa1);		/* [1] */
	}
	kn_der_wrap(&tbs, 0, 0x30);
	if (tbs.failed) {
		rc = KN_ERR_NOMEM;
		info->why = "out of memory";
		goto out;
	}
	/* The signature over the DER of ResponseData. */
	rc = KN_ERR_CRYPTO;
	info->why = "the response cannot be signed";
	siglen = rp->sigmax;
	if (kn_signer_sign(rp->key, rp->md, tbs.data, tbs.len, sig + 1,
	    &siglen) != 0)
		goto out;
	sig[0] = 0;				/* BIT STRING: no unused bits */
	/* BasicOCSPResponse */
	kn_buf_putn(&resp, tbs.data, tbs.len);
	kn_buf_putn(&resp, rp->alg.data, rp->alg.len);	/* signatureAlgorithm */
	kn_der_tlv(&resp, 0x03, sig, siglen + 1);
	/* The responder's certificate goes along so that clients can check
	 * it chains to the issuer (RFC 6960 section 4.2.2.2). */
	m = resp.len;
	kn_buf_putn(&resp, rp->der, rp->derlen);
	kn_der_wrap(&resp, m, 0x30);
	kn_der_wrap(&resp, m, 0xa0);
	kn_der_wrap(&resp, 0, 0x30);
	/* OCSPResponse: successful, responseBytes id-pkix-ocsp-basic. */
	kn_buf_putn(&fin, "\x0a\x01\x00", 3);
	m = fin.len;
	kn_der_put_i2d(&fin, &p, i2d_ASN1_OBJECT(OBJ_nid2obj(
	    NID_id_pkix_OCSP_basic), &p));
	kn_der_tlv(&fin, 0x04, resp.data, resp.len);
	kn_der_wrap(&fin, m, 0x30);
	kn_der_wrap(&fin, m, 0xa0);
	kn_der_wrap(&fin, 0, 0x30);
	if (resp.failed || fin.failed) {
		rc = KN_ERR_NOMEM;
		info->why = "out of memory";
		goto out;
	}
	info->why = NULL;
	if ((*out = (unsigned char *)kn_buf_steal(&fin, outlen)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	rc = 0;
out:
	kn_buf_cleanup(&tbs);
	kn_buf_cleanup(&resp);
	kn_buf_cleanup(&fin);
	responder_put(rp);
	return rc;
}

/* Every CA with its CertID hashes. */
static int
issuers(struct kn_db *db, struct kn_ca **cas, size_t *ncas,
    struct issuer **v)
{
	size_t i;
	int rc;

	*v = NULL;
	if ((rc = kn_ca_list(db, cas, ncas)) != 0)
		return rc;
	if ((*v = calloc(*ncas ? *ncas : 1, sizeof(**v))) == NULL)
		return KN_ERR_NOMEM;
	for (i = 0; i < *ncas; i++) {
		(*v)[i].ca = (*cas)[i];
		if ((rc = issuer_hashes(&(*v)[i])) != 0)
			return rc;
	}
	return 0;
}

static void
issuers_free(struct kn_ca *cas, size_t ncas, struct issuer *v)
{
	size_t i;

	for (i = 0; v != NULL && i < ncas; i++)
		X509_free(v[i].cert);
	free(v);
	kn_ca_list_free(cas, ncas);
}

/*
 * The CAs with their CertID hashes, kept per thread like the index above
 * (INDEX_TTL seconds, reloaded at once for a CertID it does not know), so
 * that an answer signed per request (a nonce, several CertIDs, SHA-256)
 * does not read and hash every CA first.  Freed when the thread ends.
 */
struct iss_cache {
	uint64_t	 instance;
	time_t		 at;
	struct kn_ca	*cas;
	size_t		 ncas;
	struct issuer	*v;
};

static pthread_key_t iss_key;
static pthread_once_t iss_once = PTHREAD_ONCE_INIT;
static int iss_key_rc;

static void
iss_cache_free(void *p)
{
	struct iss_cache *c = p;

	if (c == NULL)
		return;
	issuers_free(c->cas, c->ncas, c->v);
	free(c);
}

static void
iss_key_make(void)
{
	iss_key_rc = pthread_key_create(&iss_key, iss_cache_free);
}

/* This thread's CAs (borrowed until its next call), reloaded when stale,
 * of another store handle, or when reload is set and they were not loaded
 * within this second. */
static int
issuers_cached(struct kn_db *db, bool reload, struct issuer **v,
    size_t *ncas)
{
	struct iss_cache *c;
	time_t now = time(NULL);
	int rc;

	if (pthread_once(&iss_once, iss_key_make) != 0 || iss_key_rc != 0)
		return KN_ERR_INTERNAL;
	if ((c = pthread_getspecific(iss_key)) == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return KN_ERR_NOMEM;
		if (pthread_setspecific(iss_key, c) != 0) {
			free(c);
			return KN_ERR_INTERNAL;
		}
	}
	if (c->v == NULL || c->instance != kn_db_instance(db) ||
	    c->at + INDEX_TTL <= now || (reload && c->at != now)) {
		issuers_free(c->cas, c->ncas, c->v);
		c->cas = NULL;
		c->v = NULL;
		c->ncas = 0;
		if ((rc = issuers(db, &c->cas, &c->ncas, &c->v)) != 0) {
			issuers_free(c->cas, c->ncas, c->v);
			c->cas = NULL;
			c->v = NULL;
			c->ncas = 0;
			return rc;
		}
		c->instance = kn_db_instance(db);
		c->at = now;
	}
	*v = c->v;
	*ncas = c->ncas;
	return 0;
}

/* kn_ocsp_respond; when may_sign is false, an answer that needs a fresh
 * signature is left to the caller (info->must_sign). */
static int
respond(struct kn_db *db, const struct kn_ca_env *env,
    const unsigned char *req, size_t reqlen, OCSP_REQUEST *given,
    bool may_sign, unsigned char **out, size_t *outlen,
    struct kn_ocsp_info *info)
{
	const unsigned char *p = req;
	OCSP_REQUEST *rq = NULL;
	OCSP_CERTID *ids[OCSP_MAX_IDS];
	ASN1_OBJECT *md;
	ASN1_INTEGER *sn;
	struct issuer *v = NULL;
	char serial[KN_SERIAL_HEX];
	size_t ncas = 0;
	int64_t ca_id = 0;
	int n, k, which = -1, rc, status, first = -1;
	bool cacheable, reloaded = false;

	*out = NULL;
	*outlen = 0;
	memset(info, 0, sizeof(*info));
	if (env == NULL) {
		status = OCSP_RESPONSE_STATUS_TRYLATER;
		info->why = "the server runs without its CA keys";
		goto bare;
	}
	status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
	if ((rq = given) != NULL)
		given = NULL;
	else if (reqlen == 0 || reqlen > 65536 ||
	    (rq = d2i_OCSP_REQUEST(NULL, &p, (long)reqlen)) == NULL ||
	    p != req + reqlen) {
		info->why = "not a DER OCSPRequest (RFC 6960 section 4.1.1)";
		goto bare;
	}
	n = OCSP_request_onereq_count(rq);
	info->ids = n;
	if (n < 1 || n > OCSP_MAX_IDS) {
		info->why = "an OCSPRequest names 1 to 16 certificates";
		goto bare;
	}
	/* What RFC 5019 clients send (one SHA-1 CertID, no nonce) is
	 * answered from the pre-signed responses; anything else needs a
	 * signature of its own, and a caller that does not sign here need
	 * not read the store for it. */
	cacheable = n == 1 && OCSP_REQUEST_get_ext_by_NID(rq,
	    NID_id_pkix_OCSP_Nonce, -1) < 0 &&
	    OCSP_id_get0_info(NULL, &md, NULL, &sn, OCSP_onereq_get0_id(
	    OCSP_request_onereq_get0(rq, 0))) == 1 &&
	    OBJ_obj2nid(md) == NID_sha1 && ASN1_STRING_length(sn) <= 20;
	if (!cacheable && !may_sign) {
		info->must_sign = true;
		info->request = rq;
		rq = NULL;
		rc = 0;
		goto out;
	}
	/* The hot path: a pre-signed answer, found by the CA's id alone. */
	if (cacheable) {
		ca_id = ix_find(db, OCSP_onereq_get0_id(
		    OCSP_request_onereq_get0(rq, 0)));
		kn__serial_hex(serial, sn);
		if (ca_id != 0 && cached_get(db, ca_id, serial, out, outlen,
		    info) == 0) {
			info->status = OCSP_RESPONSE_STATUS_SUCCESSFUL;
			info->cached = true;
			rc = 0;
			goto out;
		}
		kn_err_clear();
	}
	/* Signed requests are accepted; the signature is not needed
	 * (RFC 6960 section 4.1.2: optional). */
	status = OCSP_RESPONSE_STATUS_INTERNALERROR;
	if (issuers_cached(db, false, &v, &ncas) != 0) {
		info->why = "the CAs cannot be read";
		goto bare;
	}
	/* One signer answers for every CertID: all must name the same CA. */
	for (k = 0; k < n; k++) {
		int w;

		ids[k] = OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, k));
		w = find_issuer(v, ncas, ids[k]);
		if (w < 0 && !reloaded) {
			/* A CA made since this thread read them. */
			reloaded = true;
			if (issuers_cached(db, true, &v, &ncas) != 0) {
				info->why = "the CAs cannot be read";
				goto bare;
			}
			which = -1;
			k = -1;
			continue;
		}
		if (w < 0 || (which >= 0 && w != which)) {
			status = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
			info->why = w < 0 ? "a certificate of an issuer this "
			    "responder does not serve, or a CertID hash other "
			    "than SHA-1 or SHA-256" : "certificates of more "
			    "than one issuer in one request";
			goto bare;
		}
		which = w;
	}
	/* (Already looked for when the index knew the CA.) */
	if (cacheable && ca_id != v[which].ca.id) {
		if (cached_get(db, v[which].ca.id, serial, out, outlen,
		    info) == 0) {
			info->status = OCSP_RESPONSE_STATUS_SUCCESSFUL;
			info->cached = true;
			rc = 0;
			goto out;
		}
		kn_err_clear();
	}
	if (!may_sign) {
		info->must_sign = true;
		info->request = rq;
		rq = NULL;
		rc = 0;
		goto out;
	}
	if (sign_answer(db, env, v, ncas, which, ids, n, rq, out, outlen,
	    info, &first) != 0) {
		if (info->why == certid_params_why)
			status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		goto bare;
	}
	info->status = OCSP_RESPONSE_STATUS_SUCCESSFUL;
	info->cacheable = cacheable;
	if (cacheable && first != V_OCSP_CERTSTATUS_UNKNOWN)
		cached_put(db, v[which].ca.id, serial, *out, *outlen, info);
	rc = 0;
	goto out;
bare:
	info->status = status;
	free(*out);
	*out = NULL;
	rc = kn_ocsp_bare(status, out, outlen);
out:
	OCSP_REQUEST_free(rq);
	OCSP_REQUEST_free(given);
	return rc;
}

void
kn_ocsp_info_cleanup(struct kn_ocsp_info *info)
{
	OCSP_REQUEST_free(info->request);
	info->request = NULL;
}

int
kn_ocsp_respond_parsed(struct kn_db *db, const struct kn_ca_env *env,
    struct kn_ocsp_info *pre, unsigned char **out, size_t *outlen,
    struct kn_ocsp_info *info)
{
	OCSP_REQUEST *rq = pre->request;

	pre->request = NULL;
	if (rq == NULL)
		return kn_err_set(KN_ERR_INVAL, "ocsp", "no parsed request");
	return respond(db, env, NULL, 0, rq, true, out, outlen, info);
}

int
kn_ocsp_respond(struct kn_db *db, const struct kn_ca_env *env,
    const unsigned char *req, size_t reqlen, unsigned char **out,
    size_t *outlen, struct kn_ocsp_info *info)
{
	return respond(db, env, req, reqlen, NULL, true, out, outlen, info);
}

int
kn_ocsp_presigned(struct kn_db *db, const struct kn_ca_env *env,
    const unsigned char *req, size_t reqlen, unsigned char **out,
    size_t *outlen, struct kn_ocsp_info *info)
{
	return respond(db, env, req, reqlen, NULL, false, out, outlen, info);
}

/* kn_ocsp_presign, or for serial only (whatever its answer's age). */
static int
presign(struct kn_db *db, const struct kn_ca_env *env, const char *serial,
    int max, int *count)
{
	struct kn_stmt *st = NULL;
	struct issuer *v = NULL;
	struct kn_ca *cas = NULL;
	struct todo {
		char	 serial[KN_SERIAL_HEX];
		int64_t	 ca_id;
	} *todo = NULL;
	char now[21];
	size_t ncas = 0, ntodo = 0, i, w;
	int rc;

	*count = 0;
	if (max <= 0)
		return 0;
	if ((todo = calloc((size_t)max, sizeof(*todo))) == NULL)
		return KN_ERR_NOMEM;
	kn_now_rfc3339(now);
	/* Certificates still valid in time with no answer, or one past its
	 * refresh time. */
	if (serial != NULL)
		rc = kn_db_stmt(db, &st, "SELECT serial, ca_id FROM certs "
		    "WHERE not_after > ? AND serial = ? LIMIT ?");
	else
		rc = kn_db_stmt(db, &st, "SELECT c.serial, c.ca_id FROM "
		    "certs c LEFT JOIN ocsp_responses o ON o.serial = "
		    "c.serial WHERE c.not_after > ? AND (o.serial IS NULL OR "
		    "o.refresh_at <= ?) LIMIT ?");
	if (rc != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, serial ? serial : now)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 3, max)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW && ntodo < (size_t)max) {
		snprintf(todo[ntodo].serial, sizeof(todo[ntodo].serial), "%s",
		    kn_stmt_text(st, 0));
		todo[ntodo++].ca_id = kn_stmt_int64(st, 1);
	}
	kn_stmt_done(st);
	st = NULL;
	if (rc < 0 || ntodo == 0)
		goto out;
	if ((rc = issuers(db, &cas, &ncas, &v)) != 0)
		goto out;
	for (i = 0; i < ntodo; i++) {
		struct kn_ocsp_info info;
		OCSP_CERTID *id = NULL;
		ASN1_INTEGER *sn = NULL;
		BIGNUM *bn = NULL;
		unsigned char *der = NULL;
		size_t len = 0;
		int first = -1;

		for (w = 0; w < ncas && v[w].ca.id != todo[i].ca_id; w++)
			;
		if (w == ncas)
			continue;
		memset(&info, 0, sizeof(info));
		if (BN_hex2bn(&bn, todo[i].serial) == 0 ||
		    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
		    (id = OCSP_cert_id_new(EVP_sha1(),
		    X509_get_subject_name(v[w].cert),
		    X509_get0_pubkey_bitstr(v[w].cert), sn)) == NULL)
			rc = KN_ERR_NOMEM;
		else
			rc = sign_answer(db, env, v, ncas, (int)w, &id, 1,
			    NULL, &der, &len, &info, &first);
		if (rc == 0 && first != V_OCSP_CERTSTATUS_UNKNOWN) {
			cached_put(db, todo[i].ca_id, todo[i].serial, der, len,
			    &info);
			(*count)++;
		}
		free(der);
		OCSP_CERTID_free(id);
		ASN1_INTEGER_free(sn);
		BN_free(bn);
		if (rc != 0)
			goto out;
	}
out:
	kn_stmt_done(st);
	issuers_free(cas, ncas, v);
	free(todo);
	return rc;
}

int
kn_ocsp_presign(struct kn_db *db, const struct kn_ca_env *env, int max,
    int *count)
{
	return presign(db, env, NULL, max, count);
}

void
kn__ocsp_resign(struct kn_db *db, const struct kn_ca_env *env,
    const char *serial)
{
	int n;

	if (env != NULL && presign(db, env, serial, 1, &n) != 0)
		kn_err_clear();
}

static int
respond_get(struct kn_db *db, const struct kn_ca_env *env, const char *b64,
    bool may_sign, unsigned char **out, size_t *outlen,
    struct kn_ocsp_info *info)
{
	unsigned char *der = NULL;
	size_t len = 0;
	int rc;

	if (strlen(b64) > OCSP_GET_MAX || kn__unb64(b64, &der, &len) != 0) {
		memset(info, 0, sizeof(*info));
		info->status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		info->why = "not the base64 of a DER OCSPRequest (RFC 6960 "
		    "appendix A.1)";
		return kn_ocsp_bare(info->status, out, outlen);
	}
	rc = respond(db, env, der, len, NULL, may_sign, out, outlen, info);
	free(der);
	return rc;
}

int
kn_ocsp_respond_get(struct kn_db *db, const struct kn_ca_env *env,
    const char *b64, unsigned char **out, size_t *outlen,
    struct kn_ocsp_info *info)
{
	return respond_get(db, env, b64, true, out, outlen, info);
}

int
kn_ocsp_presigned_get(struct kn_db *db, const struct kn_ca_env *env,
    const char *b64, unsigned char **out, size_t *outlen,
    struct kn_ocsp_info *info)
{
	return respond_get(db, env, b64, false, out, outlen, info);
}
