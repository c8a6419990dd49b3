/* tsa.c - the RFC 3161 time-stamp authority: every request gets a DER
 * TimeStampResp, a token or a rejection that names the problem. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/buf.h"
#include "base/der.h"
#include "base/text.h"
#include "store/db.h"
#include "tsa/token.h"
#include "tsa/tsa.h"

#define TSA_REQ_MAX	8192	/* bytes of a TimeStampReq */
#define TSA_NONCE_MAX	32	/* bytes of a nonce */
#define TSA_POLICY_MAX	16	/* policies a request may ask for */
#define UNIT_TTL	10	/* seconds a process keeps its unit */
#define UNIT_RENEW	365	/* days before its end a unit is replaced */
#define BLOCK_MIN	16	/* serials reserved at a time, growing */
#define BLOCK_MAX	65536

struct unit {
	char		 serial[KN_SERIAL_HEX];
	X509		*cert;
	struct kn_signer *signer;	/* its key (the keystore's) */
	STACK_OF(X509)	*chain;		/* issuing CAs below the root */
	struct kn__tsa_tmpl *tmpl;	/* its part of every token */
	time_t		 at;
	int		 refs;		/* under kn_tsa.mu */
};

struct kn_tsa {
	pthread_mutex_t	 mu;		/* unit and serials */
	pthread_mutex_t	 make_mu;	/* making a unit */
	ASN1_OBJECT	*policy;
	ASN1_OBJECT	*policies[TSA_POLICY_MAX];
	size_t		 npolicies;
	int		 accuracy_ms;
	char		*ca;
	struct unit	*unit;
	int64_t		 next, end;	/* serials reserved, [next, end) */
	int64_t		 block;
};

/* The hash algorithms a message imprint may use (RFC 3161 2.4.1 leaves
 * the choice to the TSA; MD5 and SHA-1 are not collision resistant). */
static const struct {
	int		 nid;
	const char	*name;
} hashes[] = {
	{ NID_sha256, "sha256" }, { NID_sha384, "sha384" },
	{ NID_sha512, "sha512" }, { NID_sha3_256, "sha3-256" },
	{ NID_sha3_384, "sha3-384" }, { NID_sha3_512, "sha3-512" },
};

const EVP_MD *
kn_tsa_md(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (strcmp(hashes[i].name, name) == 0)
			return EVP_get_digestbynid(hashes[i].nid);
	return NULL;
}

static const char *
hash_name(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (hashes[i].nid == nid)
			return hashes[i].name;
	return NULL;
}

static void
unit_free(struct unit *u)
{
	if (u == NULL)
		return;
	X509_free(u->cert);
	sk_X509_pop_free(u->chain, X509_free);
	kn__tsa_tmpl_free(u->tmpl);
	free(u);
}

static ASN1_OBJECT *
oid(const char *s)
{
	return OBJ_txt2obj(s, 1);
}

int
kn_tsa_new(struct kn_tsa **out, const struct kn_tsa_conf *conf)
{
	struct kn_tsa *t;
	char *list = NULL, *tok, *save = NULL;
	int rc = 0;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return KN_ERR_NOMEM;
	pthread_mutex_init(&t->mu, NULL);
	pthread_mutex_init(&t->make_mu, NULL);
	t->accuracy_ms = conf->accuracy_ms;
	t->block = BLOCK_MIN;
	if (conf->ca != NULL && conf->ca[0] != '\0' &&
	    (t->ca = strdup(conf->ca)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((t->policy = oid(conf->policy)) == NULL) {
		rc = kn_err_set(KN_ERR_INVAL, "tsa_policy", "%s is not an "
		    "object identifier (dotted numbers, as 1.2.3.4)",
		    conf->policy);
		goto out;
	}
	if (conf->policies == NULL)
		goto out;
	if ((list = strdup(conf->policies)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	for (tok = strtok_r(list, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (t->npolicies == TSA_POLICY_MAX) {
			rc = kn_err_set(KN_ERR_INVAL, "tsa_policies", "more "
			    "than %d policies", TSA_POLICY_MAX);
			goto out;
		}
		if ((t->policies[t->npolicies] = oid(tok)) == NULL) {
			rc = kn_err_set(KN_ERR_INVAL, "tsa_policies", "%s is "
			    "not an object identifier (dotted numbers, as "
			    "1.2.3.4)", tok);
			goto out;
		}
		t->npolicies++;
	}
out:
	free(list);
	if (rc != 0)
		kn_tsa_free(t);
	else
		*out = t;
	return rc;
}

void
kn_tsa_free(struct kn_tsa *t)
{
	size_t i;

	if (t == NULL)
		return;
	unit_free(t->unit);
	ASN1_OBJECT_free(t->policy);
	for (i = 0; i < t->npolicies; i++)
		ASN1_OBJECT_free(t->policies[i]);
	free(t->ca);
	pthread_mutex_destroy(&t->mu);
	pthread_mutex_destroy(&t->make_mu);
	free(t);
}

/* ---- rejections, DER by hand (RFC 3161 section 2.4.2) ---- */

int
kn_tsa_reject(int failure, const char *text, unsigned char **out,
    size_t *len)
{
	struct kn_buf utf, info, bits, resp;
	unsigned char st[1] = { 2 }, bs[5];
	int rc = 0;

	*out = NULL;
	*len = 0;
	kn_buf_init(&utf, 4096);
	kn_buf_init(&info, 4096);
	kn_buf_init(&bits, 4096);
	kn_buf_init(&resp, 4096);
	kn_der_tlv(&info, 0x02, st, 1);			/* rejection */
	if (text != NULL) {
		/* PKIFreeText: SEQUENCE OF UTF8String */
		kn_der_tlv(&utf, 0x0c, text, strlen(text));
		kn_der_tlv(&info, 0x30, utf.data, utf.len);
	}
	if (failure >= 0 && failure <= 31) {
		size_t nbytes = (size_t)failure / 8 + 1;

		memset(bs, 0, sizeof(bs));
		/* The BIT STRING's unused bits, then the bit. */
		bs[0] = (unsigned char)(7 - failure % 8);
		bs[nbytes] = (unsigned char)(0x80 >> (failure % 8));
		kn_der_tlv(&bits, 0x03, bs, nbytes + 1);
		kn_buf_putn(&info, bits.data, bits.len);
	}
	kn_buf_reset(&bits);
	kn_der_tlv(&bits, 0x30, info.data, info.len);	/* PKIStatusInfo */
	kn_der_tlv(&resp, 0x30, bits.data, bits.len);	/* TimeStampResp */
	if (utf.failed || info.failed || bits.failed || resp.failed)
		rc = KN_ERR_NOMEM;
	else if ((*out = (unsigned char *)kn_buf_steal(&resp, len)) == NULL)
		rc = KN_ERR_NOMEM;
	kn_buf_cleanup(&utf);
	kn_buf_cleanup(&info);
	kn_buf_cleanup(&bits);
	kn_buf_cleanup(&resp);
	return rc;
}

static int
refuse(struct kn_tsa_info *info, int failure, const char *text,
    unsigned char **out, size_t *outlen)
{
	info->status = 2;
	info->failure = failure;
	info->why = text;
	return kn_tsa_reject(failure, text, out, outlen);
}

/* ---- serial numbers ---- */

/* Reserves the next block durably: after a crash the numbers of a block
 * not used up are skipped, never given again. */
static int
reserve(struct kn_tsa *t, struct kn_db *db)
{
	struct kn_stmt *st = NULL;
	int64_t end = 0;
	int rc;

	if ((rc = kn_db_begin(db)) != 0 ||
	    (rc = kn_db_stmt(db, &st, "UPDATE tsa_state SET next_serial = "
	    "next_serial + ? WHERE id = 1")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, t->block)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	if ((rc = kn_db_stmt(db, &st, "SELECT next_serial FROM tsa_state "
	    "WHERE id = 1")) != 0)
		goto out;
	if ((rc = kn_stmt_step(st)) != KN_ROW) {
		rc = kn_err_set(KN_ERR_DB, NULL, "tsa_state has no row");
		goto out;
	}
	end = kn_stmt_int64(st, 0);
	kn_stmt_done(st);
	st = NULL;
	if ((rc = kn_db_commit(db)) != 0)
		goto out;
	t->next = end - t->block;
	t->end = end;
	if (t->block < BLOCK_MAX)
		t->block *= 2;
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	return rc;
}

static int
next_serial(struct kn_tsa *t, struct kn_db *db, int64_t *serial)
{
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	if (t->next >= t->end)
		rc = reserve(t, db);
	if (rc == 0)
		*serial = t->next++;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

/* ---- units ---- */

static X509 *
pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* The CAs from ca_id up to (not including) the root. */
static int
chain_of(struct kn_db *db, int64_t ca_id, STACK_OF(X509) **out)
{
	struct kn_ca *cas = NULL;
	size_t n = 0, i, hops;
	int rc;

	if ((*out = sk_X509_new_null()) == NULL)
		return KN_ERR_NOMEM;
	if ((rc = kn_ca_list(db, &cas, &n)) != 0)
		return rc;
	for (hops = 0; ca_id != 0 && hops < n; hops++) {
		for (i = 0; i < n && cas[i].id != ca_id; i++)
			;
		if (i == n || cas[i].parent_id == 0)
			break;
		X509 *x = pem_x509(cas[i].cert_pem);

		if (x == NULL || !sk_X509_push(*out, x)) {
			X509_free(x);
			rc = KN_ERR_NOMEM;
			break;
		}
		ca_id = cas[i].parent_id;
	}
	kn_ca_list_free(cas, n);
	return rc;
}

/* The newest unit whose certificate is valid and ends after limit. */
static int
unit_row(struct kn_db *db, const char *limit, char serial[KN_SERIAL_HEX],
    char **uri, char **pem, int64_t *ca_id, char not_after[21],
    char created[21])
{
	struct kn_stmt *st;
	int rc;

	*uri = *pem = NULL;
	if ((rc = kn_db_stmt(db, &st, "SELECT u.serial, u.key_uri, "
	    "u.cert_pem, c.ca_id, c.not_after, u.created_at FROM tsa_units u "
	    "JOIN certs c ON c.serial = u.serial WHERE c.status = 'valid' "
	    "AND c.not_after > ? ORDER BY u.id DESC LIMIT 1")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, limit)) == 0) {
		if ((rc = kn_stmt_step(st)) == KN_ROW) {
			snprintf(serial, KN_SERIAL_HEX, "%s",
			    kn_stmt_text(st, 0));
			*uri = kn_stmt_strdup(st, 1);
			*pem = kn_stmt_strdup(st, 2);
			*ca_id = kn_stmt_int64(st, 3);
			snprintf(not_after, 21, "%s", kn_stmt_text(st, 4));
			snprintf(created, 21, "%s", kn_stmt_text(st, 5));
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

static int
unit_make(struct kn_tsa *t, struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, char serial[KN_SERIAL_HEX])
{
	struct kn_service_cert sc;
	struct kn_stmt *st = NULL;
	char now[21];
	int rc;

	if ((rc = kn_ca_issue_service(db, env, actor, t->ca, "tsa",
	    "Time-Stamping Unit", &sc)) != 0)
		return rc;
	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO tsa_units (serial, "
	    "key_uri, cert_pem, created_at) VALUES (?, ?, ?, ?)")) == 0) {
		if ((rc = kn_stmt_bind_text(st, 1, sc.serial)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 2, sc.key_uri)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 3, sc.cert_pem)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 4, now)) == 0)
			rc = kn_stmt_run(st);
		kn_stmt_done(st);
	}
	if (rc == 0 && serial != NULL)
		snprintf(serial, KN_SERIAL_HEX, "%s", sc.serial);
	kn_service_cert_cleanup(&sc);
	return rc;
}

/* Whether a unit ending at not_after, made at created, may go on signing
 * without a new one being made first: it ends after renew, or it is less
 * than a day old (so a CA that ends soon does not make one per request). */
static bool
unit_fresh(const char *not_after, const char *created, const char *renew,
    const char *yesterday)
{
	return strcmp(not_after, renew) > 0 || strcmp(created, yesterday) > 0;
}

/* Loads the current unit from the store, making one first when there is
 * none or the newest is not fresh.  When making one fails, a unit still
 * valid for an hour goes on signing. */
static int
unit_load(struct kn_tsa *t, struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, struct unit **out)
{
	struct unit *u = NULL;
	char serial[KN_SERIAL_HEX], na[21], created[21], soon[21];
	char renew[21], yesterday[21], *uri = NULL, *pem = NULL;
	int64_t ca_id = 0;
	int rc, made;

	*out = NULL;
	kn_time_rfc3339(soon, time(NULL) + 3600);
	kn_time_rfc3339(renew, time(NULL) + UNIT_RENEW * 86400L);
	kn_time_rfc3339(yesterday, time(NULL) - 86400L);
	rc = unit_row(db, soon, serial, &uri, &pem, &ca_id, na, created);
	if (rc != 0 && rc != KN_ERR_NOTFOUND)
		return rc;
	if (rc != 0 || !unit_fresh(na, created, renew, yesterday)) {
		free(uri);
		free(pem);
		uri = pem = NULL;
		pthread_mutex_lock(&t->make_mu);
		/* Another thread may have made one meanwhile. */
		rc = unit_row(db, soon, serial, &uri, &pem, &ca_id, na,
		    created);
		made = 0;
		if (rc == KN_ERR_NOTFOUND || (rc == 0 && !unit_fresh(na,
		    created, renew, yesterday))) {
			free(uri);
			free(pem);
			uri = pem = NULL;
			made = unit_make(t, db, env, actor, NULL);
			rc = unit_row(db, soon, serial, &uri, &pem, &ca_id,
			    na, created);
		}
		pthread_mutex_unlock(&t->make_mu);
		if (rc == KN_ERR_NOTFOUND && made != 0)
			rc = made;
		if (rc != 0)
			return rc;
		kn_err_clear();
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	snprintf(u->serial, sizeof(u->serial), "%s", serial);
	if ((u->cert = pem_x509(pem)) == NULL) {
		rc = kn_err_set(KN_ERR_INTERNAL, "tsa", "the certificate of "
		    "time-stamping unit %s cannot be read", serial);
		goto out;
	}
	if ((rc = kn_key_signer(env->ks, uri, &u->signer)) != 0 ||
	    (rc = chain_of(db, ca_id, &u->chain)) != 0 ||
	    (rc = kn__tsa_tmpl_new(&u->tmpl, u->cert, u->chain,
	    kn_signer_pkey(u->signer))) != 0)
		goto out;
	u->at = time(NULL);
	*out = u;
	u = NULL;
out:
	unit_free(u);
	free(uri);
	free(pem);
	return rc;
}

/* The unit to sign with, a reference to give back with unit_put(): the
 * process keeps its own for UNIT_TTL seconds, so a revoked unit stops
 * signing within that time on every node. */
static int
unit_get(struct kn_tsa *t, struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, struct unit **out)
{
	struct unit *u, *old;
	int rc;

	pthread_mutex_lock(&t->mu);
	if (t->unit != NULL && t->unit->at + UNIT_TTL > time(NULL)) {
		t->unit->refs++;
		*out = t->unit;
		pthread_mutex_unlock(&t->mu);
		return 0;
	}
	pthread_mutex_unlock(&t->mu);
	if ((rc = unit_load(t, db, env, actor, &u)) != 0)
		return rc;
	u->refs = 2;		/* the cache's and the caller's */
	pthread_mutex_lock(&t->mu);
	old = t->unit;
	t->unit = u;
	if (old != NULL && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&t->mu);
	unit_free(old);
	*out = u;
	return 0;
}

static void
unit_put(struct kn_tsa *t, struct unit *u)
{
	bool last;

	pthread_mutex_lock(&t->mu);
	last = --u->refs == 0;
	pthread_mutex_unlock(&t->mu);
	if (last)
		unit_free(u);
}

int
kn_tsa_unit(struct kn_tsa *t, struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, char serial[KN_SERIAL_HEX], char **cert_pem)
{
	struct unit *u;
	BIO *b;
	char *p;
	long n;
	int rc;

	*cert_pem = NULL;
	if ((rc = unit_get(t, db, env, actor, &u)) != 0)
		return rc;
	snprintf(serial, KN_SERIAL_HEX, "%s", u->serial);
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, u->cert) != 1 ||
	    (n = BIO_get_mem_data(b, &p)) <= 0 ||
	    (*cert_pem = strndup(p, (size_t)n)) == NULL)
		rc = KN_ERR_NOMEM;
	BIO_free(b);
	unit_put(t, u);
	return rc;
}

int
kn_tsa_rekey(struct kn_tsa *t, struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, char serial[KN_SERIAL_HEX])
{
	struct unit *old;
	int rc;

	pthread_mutex_lock(&t->make_mu);
	rc = unit_make(t, db, env, actor, serial);
	pthread_mutex_unlock(&t->make_mu);
	/* This process picks the new unit up at once. */
	pthread_mutex_lock(&t->mu);
	old = t->unit;
	t->unit = NULL;
	if (old != NULL && --old->refs > 0)
		old = NULL;
	pthread_mutex_unlock(&t->mu);
	unit_free(old);
	return rc;
}

/* ---- answering ---- */

static bool
policy_ok(const struct kn_tsa *t, const ASN1_OBJECT *o)
{
	size_t i;

	if (OBJ_cmp(o, t->policy) == 0)
		return true;
	for (i = 0; i < t->npolicies; i++)
		if (OBJ_cmp(o, t->policies[i]) == 0)
			return true;
	return false;
}

/* What RFC 3161 section 2.4.1 asks of a request, checked before anything
 * is signed, with a text that names the problem; 0 when it may be
 * granted. */
static int
check_request(const struct kn_tsa *t, const unsigned char *der, size_t len,
    struct kn_tsa_info *info, const char **why, TS_REQ **out)
{
	const unsigned char *p = der;
	TS_REQ *req;
	TS_MSG_IMPRINT *mi;
	X509_ALGOR *alg;
	const ASN1_OBJECT *aobj;
	const ASN1_INTEGER *nonce;
	const ASN1_OBJECT *pol;
	const EVP_MD *md;
	const char *name;
	int nid, ptype = V_ASN1_UNDEF, fail = -1;

	if (len > TSA_REQ_MAX) {
		*why = "the request is larger than 8192 bytes";
		return KN_TSA_BAD_DATA_FORMAT;
	}
	if ((req = d2i_TS_REQ(NULL, &p, (long)len)) == NULL) {
		*why = "the request is not a DER TimeStampReq (RFC 3161 "
		    "section 2.4.1)";
		return KN_TSA_BAD_DATA_FORMAT;
	}
	if (p != der + len) {
		*why = "the request has bytes after its TimeStampReq (RFC 3161 "
		    "section 2.4.1)";
		fail = KN_TSA_BAD_DATA_FORMAT;
		goto out;
	}
	if (TS_REQ_get_version(req) != 1) {
		*why = "the request's version is not 1 (RFC 3161 section "
		    "2.4.1)";
		fail = KN_TSA_BAD_REQUEST;
		goto out;
	}
	mi = TS_REQ_get_msg_imprint(req);
	alg = TS_MSG_IMPRINT_get_algo(mi);
	X509_ALGOR_get0(&aobj, &ptype, NULL, alg);
	/* The hash algorithms take no parameters or NULL ones (RFC 5754
	 * section 2); libcrypto would copy anything else into TSTInfo,
	 * where it could not read it back. */
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
		*why = "the message imprint's hash algorithm has parameters "
		    "other than NULL (RFC 5754 section 2)";
		fail = KN_TSA_BAD_DATA_FORMAT;
		goto out;
	}
	nid = OBJ_obj2nid(aobj);
	if ((name = hash_name(nid)) == NULL) {
		*why = nid == NID_md5 ? "MD5 message imprints are not "
		    "accepted (MD5 is broken); use SHA-256 or stronger" :
		    nid == NID_sha1 ? "SHA-1 message imprints are not "
		    "accepted (SHA-1 is not collision resistant); use SHA-256 "
		    "or stronger" : "the message imprint's hash algorithm is "
		    "not accepted; use SHA-256, SHA-384, SHA-512 or SHA-3";
		fail = KN_TSA_BAD_ALG;
		goto out;
	}
	snprintf(info->hash, sizeof(info->hash), "%s", name);
	md = EVP_get_digestbynid(nid);
	if (md == NULL || ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(mi)) !=
	    EVP_MD_get_size(md)) {
		*why = "the message imprint's length does not fit its hash "
		    "algorithm (RFC 3161 section 2.4.1)";
		fail = KN_TSA_BAD_DATA_FORMAT;
		goto out;
	}
	if ((pol = TS_REQ_get_policy_id(req)) != NULL && !policy_ok(t, pol)) {
		*why = "the requested policy is not one this TSA serves";
		fail = KN_TSA_UNACCEPTED_POLICY;
		goto out;
	}
	if ((nonce = TS_REQ_get_nonce(req)) != NULL &&
	    ASN1_STRING_length(nonce) > TSA_NONCE_MAX) {
		*why = "the nonce is longer than 32 bytes";
		fail = KN_TSA_BAD_REQUEST;
		goto out;
	}
	if (TS_REQ_get_ext_count(req) > 0) {
		*why = "request extensions are not supported (RFC 3161 "
		    "section 2.4.1)";
		fail = KN_TSA_UNACCEPTED_EXTENSION;
		goto out;
	}
	*out = req;
	req = NULL;
out:
	TS_REQ_free(req);
	return fail;
}

/* The token for a request check_request() accepted, into out. */
static int
grant(const struct kn_tsa *t, const struct unit *u, int64_t serial,
    TS_REQ *req, struct kn_buf *out)
{
	struct kn__tsa_grant g;
	struct kn_buf parts;
	const ASN1_OBJECT *pol = TS_REQ_get_policy_id(req);
	const ASN1_INTEGER *nonce = TS_REQ_get_nonce(req);
	unsigned char *p = NULL;
	size_t imp, non, end;
	int rc;

	memset(&g, 0, sizeof(g));
	kn_buf_init(&parts, TSA_REQ_MAX * 2);
	/* The requested policy when it is one we serve (check_request()
	 * refused any other), else the default (RFC 3161 section 2.4.2). */
	kn_der_put_i2d(&parts, &p, i2d_ASN1_OBJECT(pol != NULL ? pol :
	    t->policy, &p));
	imp = parts.len;
	kn_der_put_i2d(&parts, &p, i2d_TS_MSG_IMPRINT(
	    TS_REQ_get_msg_imprint(req), &p));
	non = parts.len;
	if (nonce != NULL)
		kn_der_put_i2d(&parts, &p, i2d_ASN1_INTEGER(nonce, &p));
	end = parts.len;
	if (parts.failed) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	g.policy.ptr = parts.data;
	g.policy.len = imp;
	g.imprint.ptr = parts.data + imp;
	g.imprint.len = non - imp;
	g.nonce.ptr = parts.data + non;
	g.nonce.len = end - non;
	g.cert_req = TS_REQ_get_cert_req(req) != 0;
	g.serial = serial;
	g.accuracy_ms = t->accuracy_ms;
	clock_gettime(CLOCK_REALTIME, &g.time);
	rc = kn__tsa_token(out, u->tmpl, u->signer, &g);
out:
	kn_buf_cleanup(&parts);
	return rc;
}

int
kn_tsa_respond(struct kn_tsa *t, struct kn_db *db,
    const struct kn_ca_env *env, const unsigned char *req, size_t len,
    unsigned char **out, size_t *outlen, struct kn_tsa_info *info)
{
	struct unit *u = NULL;
	struct kn_buf resp;
	TS_REQ *rq = NULL;
	const char *why = NULL;
	int64_t serial = 0;
	int fail, rc;

	memset(info, 0, sizeof(*info));
	info->failure = -1;
	*out = NULL;
	*outlen = 0;
	if ((fail = check_request(t, req, len, info, &why, &rq)) >= 0)
		return refuse(info, fail, why, out, outlen);
	if (env == NULL) {
		TS_REQ_free(rq);
		return refuse(info, KN_TSA_SYSTEM_FAILURE, "the time-stamp "
		    "authority's keys are not available", out, outlen);
	}
	if ((rc = unit_get(t, db, env, "kakuin tsa", &u)) != 0) {
		TS_REQ_free(rq);
		ERR_clear_error();
		return refuse(info, KN_TSA_SYSTEM_FAILURE, "the time-stamp "
		    "authority has no signing unit at the moment", out,
		    outlen);
	}
	if (next_serial(t, db, &serial) != 0) {
		TS_REQ_free(rq);
		unit_put(t, u);
		return refuse(info, KN_TSA_SYSTEM_FAILURE, "no serial number "
		    "could be reserved for the token", out, outlen);
	}
	kn_buf_init(&resp, 1 << 20);
	kn_buf_reserve(&resp, 4096);	/* a token with its certificates */
	rc = grant(t, u, serial, rq, &resp);
	unit_put(t, u);
	TS_REQ_free(rq);
	if (rc != 0) {
		kn_buf_cleanup(&resp);
		ERR_clear_error();
		return refuse(info, KN_TSA_SYSTEM_FAILURE, "the token could "
		    "not be signed", out, outlen);
	}
	info->status = 0;
	info->serial = serial;
	if ((*out = (unsigned char *)kn_buf_steal(&resp, outlen)) == NULL) {
		kn_buf_cleanup(&resp);
		return KN_ERR_NOMEM;
	}
	return 0;
}

/* ---- the client side: queries and verification ---- */

int
kn_tsa_hash_file(const char *path, const EVP_MD *md, unsigned char *out,
    unsigned int *len)
{
	EVP_MD_CTX *c;
	FILE *f;
	unsigned char buf[65536];
	size_t n;
	int rc = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return kn_err_set(KN_ERR_IO, "file", "cannot read %s: %s",
		    path, strerror(errno));
	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, md, NULL) != 1)
		rc = KN_ERR_CRYPTO;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(c, buf, n) != 1)
			rc = KN_ERR_CRYPTO;
	if (rc == 0 && ferror(f))
		rc = kn_err_set(KN_ERR_IO, "file", "cannot read %s: %s", path,
		    strerror(errno));
	if (rc == 0 && EVP_DigestFinal_ex(c, out, len) != 1)
		rc = KN_ERR_CRYPTO;
	EVP_MD_CTX_free(c);
	fclose(f);
	return rc;
}

int
kn_tsa_query(const EVP_MD *md, const unsigned char *digest,
    unsigned int dlen, unsigned char **der, size_t *len)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = BN_new();
	unsigned char *p = NULL;
	int n = 0, rc = KN_ERR_NOMEM;

	*der = NULL;
	*len = 0;
	if (req == NULL || mi == NULL || alg == NULL || bn == NULL)
		goto out;
	X509_ALGOR_set_md(alg, md);
	if (TS_REQ_set_version(req, 1) != 1 ||
	    TS_MSG_IMPRINT_set_algo(mi, alg) != 1 ||
	    TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)digest,
	    (int)dlen) != 1 ||
	    TS_REQ_set_msg_imprint(req, mi) != 1 ||
	    BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    TS_REQ_set_nonce(req, nonce) != 1 ||
	    TS_REQ_set_cert_req(req, 1) != 1 ||
	    (n = i2d_TS_REQ(req, &p)) <= 0)
		goto out;
	if ((*der = malloc((size_t)n)) == NULL)
		goto out;
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(p);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return rc;
}

void
kn_tsa_verdict_cleanup(struct kn_tsa_verdict *v)
{
	free(v->text);
	free(v->problem);
	free(v->tsa);
	free(v->issuer);
	free(v->revoked_at);
	free(v->reason);
	memset(v, 0, sizeof(*v));
}

static char *
name_text(const X509_NAME *n, int nid)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	unsigned char *u = NULL;
	char *s;
	int len;

	if (i < 0 || (len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(n, i)))) < 0)
		return strdup("(unnamed)");
	s = strndup((const char *)u, (size_t)len);
	OPENSSL_free(u);
	return s;
}

static void
gen_time_text(const ASN1_GENERALIZEDTIME *g, char out[40])
{
	const char *s = (const char *)ASN1_STRING_get0_data(g);
	int n = ASN1_STRING_length(g);

	/* YYYYMMDDhhmmss[.fff]Z as YYYY-MM-DD hh:mm:ss[.fff] UTC */
	if (n < 15 || s[n - 1] != 'Z') {
		snprintf(out, 40, "%.*s", n, s);
		return;
	}
	snprintf(out, 40, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s%.*s UTC", s, s + 4,
	    s + 6, s + 8, s + 10, s + 12, n - 15, s + 14);
}

/* The verdict, not good: result 1 (or 2 when the input is unusable). */
static int
fail(struct kn_tsa_verdict *v, int result, const char *fmt, ...)
    KN_PRINTF(3, 4);

static int
fail(struct kn_tsa_verdict *v, int result, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v->result = result;
	free(v->problem);
	if ((v->problem = strdup(buf)) == NULL)
		return KN_ERR_NOMEM;
	free(v->text);
	v->text = NULL;
	if (asprintf(&v->text, "%s: %s", result == 1 ? "NOT VALID" :
	    "CANNOT CHECK", buf) < 0) {
		v->text = NULL;
		return KN_ERR_NOMEM;
	}
	return 0;
}

/* The token (a reference) of a TimeStampResp or a bare token. */
static PKCS7 *
read_token(const unsigned char *der, size_t len, struct kn_tsa_verdict *v,
    bool *refused)
{
	const unsigned char *p = der;
	TS_RESP *resp;
	PKCS7 *tok = NULL;

	*refused = false;
	if ((resp = d2i_TS_RESP(NULL, &p, (long)len)) != NULL &&
	    p == der + len) {
		TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
		long st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
		const STACK_OF(ASN1_UTF8STRING) *txt =
		    TS_STATUS_INFO_get0_text(si);

		if (st != 0 && st != 1) {
			const ASN1_UTF8STRING *s0 =
			    sk_ASN1_UTF8STRING_num(txt) > 0 ?
			    sk_ASN1_UTF8STRING_value(txt, 0) : NULL;

			*refused = true;
			(void)fail(v, 1, "this is not a time-stamp: the "
			    "authority refused the request (%.*s)",
			    s0 ? ASN1_STRING_length(s0) : 2,
			    s0 ? (const char *)ASN1_STRING_get0_data(s0) :
			    "no reason given");
		} else if ((tok = TS_RESP_get_token(resp)) != NULL)
			tok = PKCS7_dup(tok);
		TS_RESP_free(resp);
		return tok;
	}
	TS_RESP_free(resp);
	p = der;
	if ((tok = d2i_PKCS7(NULL, &p, (long)len)) != NULL &&
	    p != der + len) {
		PKCS7_free(tok);
		tok = NULL;
	}
	return tok;
}

/* Trust anchors (root CAs) and the other certificates of the store that
 * a token without certificates may need (issuing CAs, units). */
static int
trust_of(struct kn_db *db, X509_STORE **store, STACK_OF(X509) **others)
{
	struct kn_ca *cas = NULL;
	struct kn_stmt *st = NULL;
	size_t n = 0, i;
	X509 *x;
	int rc;

	*store = X509_STORE_new();
	*others = sk_X509_new_null();
	if (*store == NULL || *others == NULL)
		return KN_ERR_NOMEM;
	if ((rc = kn_ca_list(db, &cas, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if ((x = pem_x509(cas[i].cert_pem)) == NULL)
			continue;
		if (cas[i].parent_id == 0) {
			if (X509_STORE_add_cert(*store, x) != 1)
				rc = KN_ERR_NOMEM;
			X509_free(x);
		} else if (!sk_X509_push(*others, x)) {
			X509_free(x);
			rc = KN_ERR_NOMEM;
		}
	}
	kn_ca_list_free(cas, n);
	if (rc != 0 || (rc = kn_db_stmt(db, &st, "SELECT cert_pem FROM "
	    "tsa_units")) != 0)
		return rc;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		if ((x = pem_x509(kn_stmt_text(st, 0))) != NULL &&
		    !sk_X509_push(*others, x)) {
			X509_free(x);
			rc = KN_ERR_NOMEM;
			break;
		}
	}
	kn_stmt_done(st);
	return rc < 0 ? rc : 0;
}

static const char *
openssl_reason(void)
{
	static _Thread_local char buf[256];
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0)
		return "no further detail";
	ERR_error_string_n(last, buf, sizeof(buf));
	return buf;
}

/* The unit certificate that signed tok (a reference), if present in the
 * token or among others. */
static X509 *
signer_of(PKCS7 *tok, STACK_OF(X509) *others)
{
	STACK_OF(X509) *s = PKCS7_get0_signers(tok, others, 0);
	X509 *x = NULL;

	if (s != NULL && sk_X509_num(s) > 0) {
		x = sk_X509_value(s, 0);
		if (X509_up_ref(x) != 1)
			x = NULL;
	}
	sk_X509_free(s);
	ERR_clear_error();
	return x;
}

/* The unit certificate's status in the store, and what it means for a
 * token of gen_time (RFC 3161 section 4: a key compromise voids every
 * token; another reason only those made after the revocation). */
static int
check_status(struct kn_db *db, X509 *signer, const char *gen_iso,
    struct kn_tsa_verdict *v, char *note, size_t notelen)
{
	struct kn_cert c;
	int rc;

	note[0] = '\0';
	{
		const ASN1_INTEGER *sn = X509_get0_serialNumber(signer);
		BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
		char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
		size_t i;

		BN_free(bn);
		if (hex == NULL)
			return KN_ERR_NOMEM;
		for (i = 0; hex[i] != '\0'; i++)
			hex[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ?
			    hex[i] - 'A' + 'a' : hex[i]);
		snprintf(v->cert_serial, sizeof(v->cert_serial), "%s", hex);
		OPENSSL_free(hex);
	}
	rc = kn_cert_get(db, &c, v->cert_serial);
	if (rc == KN_ERR_NOTFOUND) {
		snprintf(v->cert_status, sizeof(v->cert_status), "unknown");
		return fail(v, 1, "the time-stamping certificate %s is not on "
		    "record at this trust center, so its revocation cannot be "
		    "checked", v->cert_serial);
	}
	if (rc != 0)
		return rc;
	snprintf(v->cert_status, sizeof(v->cert_status), "%s", c.status);
	if (c.revoked_at != NULL)
		v->revoked_at = strdup(c.revoked_at);
	if (c.reason != NULL)
		v->reason = strdup(c.reason);
	if (strcmp(c.status, "hold") == 0)
		rc = fail(v, 1, "the time-stamping certificate %s is "
		    "suspended (since %s)", v->cert_serial,
		    c.revoked_at ? c.revoked_at : "an unknown time");
	else if (strcmp(c.status, "revoked") == 0) {
		const char *r = c.reason ? c.reason : "unspecified";

		if (strcmp(r, "keyCompromise") == 0 ||
		    strcmp(r, "unspecified") == 0 || c.revoked_at == NULL ||
		    strcmp(c.revoked_at, gen_iso) <= 0)
			rc = fail(v, 1, "the time-stamping certificate %s was "
			    "revoked on %s (%s)%s", v->cert_serial,
			    c.revoked_at ? c.revoked_at : "an unknown date", r,
			    strcmp(r, "keyCompromise") == 0 ? ": its key may "
			    "have signed false times, so no time-stamp of it "
			    "can be trusted (RFC 3161 section 4)" :
			    strcmp(r, "unspecified") == 0 ? ": with no reason "
			    "given, a key compromise cannot be ruled out" :
			    ", before this time-stamp was made");
		else
			snprintf(note, notelen, " Its certificate was revoked "
			    "later, on %s (%s), which does not affect "
			    "time-stamps made before (RFC 3161 section 4).",
			    c.revoked_at, r);
	}
	kn_cert_cleanup(&c);
	return rc;
}

int
kn_tsa_verify(struct kn_db *db, const char *path, const unsigned char *tsr,
    size_t len, struct kn_tsa_verdict *v)
{
	PKCS7 *tok = NULL;
	TS_TST_INFO *tst = NULL;
	TS_VERIFY_CTX *vc = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *others = NULL;
	X509 *signer = NULL;
	const ASN1_GENERALIZEDTIME *gt;
	const ASN1_OBJECT *aobj;
	const ASN1_OCTET_STRING *want;
	const EVP_MD *md;
	const char *hn;
	unsigned char got[EVP_MAX_MD_SIZE];
	unsigned int glen = 0;
	char gen_iso[21], note[512], *o = NULL;
	struct tm tm;
	time_t when;
	bool refused;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if ((tok = read_token(tsr, len, v, &refused)) == NULL) {
		if (!refused)
			rc = fail(v, 2, "the time-stamp file is neither a "
			    "TimeStampResp nor a time-stamp token (RFC 3161 "
			    "section 2.4.2)");
		goto out;
	}
	if ((tst = PKCS7_to_TS_TST_INFO(tok)) == NULL) {
		rc = fail(v, 2, "the token holds no TSTInfo (RFC 3161 section "
		    "2.4.2)");
		goto out;
	}
	gt = TS_TST_INFO_get_time(tst);
	gen_time_text(gt, v->gen_time);
	{
		const ASN1_INTEGER *sn = TS_TST_INFO_get_serial(tst);
		BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
		char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;

		snprintf(v->serial, sizeof(v->serial), "%s", dec ? dec : "?");
		OPENSSL_free(dec);
		BN_free(bn);
	}
	OBJ_obj2txt(v->policy, sizeof(v->policy),
	    TS_TST_INFO_get_policy_id(tst), 1);
	if (ASN1_TIME_to_tm(gt, &tm) != 1) {
		rc = fail(v, 2, "the token's genTime is not a valid time");
		goto out;
	}
	when = timegm(&tm);
	kn_time_rfc3339(gen_iso, when);
	/* The imprint, with the token's own algorithm. */
	X509_ALGOR_get0(&aobj, NULL, NULL, TS_MSG_IMPRINT_get_algo(
	    TS_TST_INFO_get_msg_imprint(tst)));
	if ((hn = hash_name(OBJ_obj2nid(aobj))) == NULL) {
		char an[80];

		OBJ_obj2txt(an, sizeof(an), aobj, 0);
		rc = fail(v, 1, "the time-stamp uses %s, a hash that is not "
		    "accepted (use SHA-256 or stronger)", an);
		goto out;
	}
	snprintf(v->hash, sizeof(v->hash), "%s", hn);
	md = EVP_get_digestbynid(OBJ_obj2nid(aobj));
	if ((rc = kn_tsa_hash_file(path, md, got, &glen)) != 0) {
		rc = fail(v, 2, "%s", kn_err_get()->msg);
		goto out;
	}
	want = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst));
	if ((unsigned)ASN1_STRING_length(want) != glen ||
	    memcmp(ASN1_STRING_get0_data(want), got, glen) != 0) {
		rc = fail(v, 1, "%s does not match this time-stamp: it was "
		    "changed after it was stamped, or it is another file",
		    path);
		goto out;
	}
	/* Signature, ESSCertID(v2) and chain, at genTime. */
	if ((rc = trust_of(db, &store, &others)) != 0)
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), when);
	if ((signer = signer_of(tok, others)) == NULL) {
		rc = fail(v, 1, "the certificate that signed the time-stamp is "
		    "neither in the token nor known to this trust center");
		goto out;
	}
	v->tsa = name_text(X509_get_subject_name(signer), NID_commonName);
	v->issuer = name_text(X509_get_issuer_name(signer), NID_commonName);
	if ((vc = TS_VERIFY_CTX_new()) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_SIGNATURE);
	TS_VERIFY_CTX_set_store(vc, store);
	store = NULL;
	TS_VERIFY_CTX_set_certs(vc, others);
	others = NULL;
	ERR_clear_error();
	if (TS_RESP_verify_token(vc, tok) != 1) {
		rc = fail(v, 1, "the time-stamp's signature or the chain of its "
		    "certificate to this trust center's root does not verify "
		    "(%s)", openssl_reason());
		goto out;
	}
	if ((rc = check_status(db, signer, gen_iso, v, note,
	    sizeof(note))) != 0 || v->result != 0)
		goto out;
	{
		char *org = name_text(X509_get_subject_name(signer),
		    NID_organizationName);

		/* "X Time-Stamping Unit of X" says X twice. */
		bool named = org == NULL || strstr(v->tsa, org) != NULL;

		if (asprintf(&o, "GOOD: %s existed in exactly this form at %s"
		    ". Time-stamped by %s%s%s (token %s, %s), certified by %s; "
		    "the time-stamping certificate %s is valid and not "
		    "revoked.%s", path, v->gen_time, v->tsa, named ? "" :
		    " of ", named ? "" : org, v->serial, hn, v->issuer,
		    v->cert_serial, note) < 0)
			o = NULL;
		free(org);
		if (o == NULL) {
			rc = KN_ERR_NOMEM;
			goto out;
		}
		if (note[0] != '\0' && strcmp(v->cert_status, "revoked") == 0) {
			/* "valid and not revoked" would be wrong then. */
			free(o);
			if (asprintf(&o, "GOOD: %s existed in exactly this "
			    "form at %s. Time-stamped by %s (token %s, %s), "
			    "certified by %s.%s", path, v->gen_time, v->tsa,
			    v->serial, hn, v->issuer, note) < 0) {
				o = NULL;
				rc = KN_ERR_NOMEM;
				goto out;
			}
		}
		v->text = o;
	}
out:
	X509_free(signer);
	TS_VERIFY_CTX_free(vc);
	X509_STORE_free(store);
	sk_X509_pop_free(others, X509_free);
	TS_TST_INFO_free(tst);
	PKCS7_free(tok);
	ERR_clear_error();
	return rc;
}
