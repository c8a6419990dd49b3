/*
 * test_ca.c - the certificate authority in process, under the sanitizers,
 * against each store: SQLite in a scratch file and PostgreSQL when
 * KAKUIN_TEST_PG is set.  CA keys are file: keys (the token is covered by
 * test_key); CRLs shard every 3 certificates so that sharding runs too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "auth/auth.h"
#include "base/text.h"
#include "ca/ca.h"
#include "tsa/tsa.h"
#include "crypto/key.h"
#include "registry/demo.h"
#include "store/db.h"
#include "testutil.h"

#define JIPDEC 1010405009403LL
#define SHOJI 4011001099001LL		/* verified, kakuin-shoji.example */
#define SAKURA 7011101077003LL		/* applied */
#define HIKARI 8012001066004LL		/* suspended */

struct fx {
	struct kn_db		*db;
	char			*dir;
	char			*pgname;
	char			*url;
	char			*keydir;
	struct kn_keystore	*ks;
	struct kn_ca_env	 env;
};


static int
common(struct fx *fx)
{
	struct kn_keystore_config kc = {
		.module = "/usr/lib/softhsm/libsofthsm2.so",
		.token = "unused",
		.pin = "unused-pin",
		.passphrase = "unit test passphrase",
	};

	if (kn_db_migrate(fx->db, NULL) != 0 ||
	    kn_demo_registry(fx->db, "test") != 0 ||
	    kn_keystore_new(&fx->ks, &kc) != 0)
		return -1;
	if (fx->dir == NULL)
		fx->dir = tu_tmpdir();
	fx->keydir = tu_printf("%s/keys", fx->dir);
	fx->env.ks = fx->ks;
	fx->env.base_url = "https://ca.test";
	fx->env.operator_name = "kakuin unit";
	fx->env.key_kind = "file";
	fx->env.key_dir = fx->keydir;
	fx->env.key_alg = KN_KEY_EC_P256;
	fx->env.crl_days = 7;
	fx->env.shard_size = 3;
	if (kn_ca_create_root(fx->db, &fx->env, "test", "root", 0, NULL) !=
	    0 || kn_ca_create_sub(fx->db, &fx->env, "test", "issuing", "root",
	    NULL, 0, NULL) != 0) {
		print_error("CA setup: %s\n", kn_err_get()->msg);
		return -1;
	}
	return 0;
}

static int
setup_sqlite(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	*state = fx;
	fx->dir = tu_tmpdir();
	fx->url = tu_printf("sqlite:%s/kakuin.db", fx->dir);
	if (kn_db_open(&fx->db, fx->url) != 0)
		return -1;
	return common(fx);
}

static int
setup_pg(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	*state = fx;
	if (tu_pg_create("kn_ca", &fx->pgname, &fx->url) != 0)
		return -1;
	if (kn_db_open(&fx->db, fx->url) != 0)
		return -1;
	return common(fx);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (fx == NULL)
		return 0;
	kn_db_close(fx->db);
	kn_keystore_free(fx->ks);
	if (fx->dir != NULL)
		tu_rmtree(fx->dir);
	if (fx->pgname != NULL)
		tu_pg_drop(fx->pgname);
	free(fx->dir);
	free(fx->pgname);
	free(fx->url);
	free(fx->keydir);
	free(fx);
	return 0;
}

/* A PEM CSR for key, signed with md. */
static char *
csr_for(EVP_PKEY *key, const EVP_MD *md)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem;
	long len;

	assert_non_null(req);
	assert_int_equal(X509_NAME_add_entry_by_NID(n, NID_commonName,
	    MBSTRING_ASC, (const unsigned char *)"from the CSR", -1, -1, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, n), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, md) > 0);
	assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
	len = BIO_get_mem_data(b, &data);
	pem = tu_printf("%.*s", (int)len, data);
	BIO_free(b);
	X509_NAME_free(n);
	X509_REQ_free(req);
	return pem;
}

static void
base_request(struct kn_cert_request_in *in, const char *email)
{
	memset(in, 0, sizeof(*in));
	in->org = JIPDEC;
	in->profile = "smime-sponsor-multipurpose";
	in->given_name = "太郎";
	in->surname = "山田";
	in->emails[0] = email;
	in->nemails = 1;
}

static const struct kn_identity_check idc = { "ra-unit", "photo ID",
    "unit-1" };

/* Requests and approves; returns the serial in out. */
static void
issue(struct fx *fx, struct kn_cert_request_in *in,
    char out[KN_SERIAL_HEX])
{
	char code[KN_REVOCATION_CODE], pw[KN_P12_PASSWORD];
	int64_t id;
	int rc;

	rc = kn_cert_request(fx->db, "test", in, &id, code);
	if (rc != 0)
		fail_msg("request: %s", kn_err_msg(rc));
	rc = kn_cert_approve(fx->db, &fx->env, "test", NULL, id, &idc, out,
	    pw);
	if (rc != 0)
		fail_msg("approve: %s", kn_err_msg(rc));
}

static int64_t
count(struct fx *fx, const char *sql)
{
	struct kn_stmt *st;
	int64_t n = -1;

	assert_int_equal(kn_db_prepare(fx->db, &st, sql), 0);
	if (kn_stmt_step(st) == KN_ROW)
		n = kn_stmt_int64(st, 0);
	kn_stmt_free(st);
	return n;
}

static X509 *
pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

/* Verifies the certificate with serial against the demo hierarchy,
 * optionally with CRLs checked; returns the X509 verify error. */
static int
verify_chain(struct fx *fx, const char *serial, bool crls)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	struct kn_ca root, iss;
	struct kn_cert c;
	X509 *leaf, *r, *i;
	int err;

	assert_int_equal(kn_ca_get(fx->db, &root, "root"), 0);
	assert_int_equal(kn_ca_get(fx->db, &iss, "issuing"), 0);
	assert_int_equal(kn_cert_get(fx->db, &c, serial), 0);
	r = pem_x509(root.cert_pem);
	i = pem_x509(iss.cert_pem);
	leaf = pem_x509(c.cert_pem);
	X509_STORE_add_cert(store, r);
	sk_X509_push(untrusted, i);
	if (crls) {
		const char *names[] = { "root", "issuing" };
		size_t k;

		for (k = 0; k < 2; k++) {
			unsigned char *der = NULL;
			const unsigned char *p;
			char next[21];
			size_t len;
			X509_CRL *crl;

			assert_int_equal(kn_crl_get(fx->db, names[k], k == 1 ?
			    c.shard : 0, &der, &len, next), 0);
			p = der;
			crl = d2i_X509_CRL(NULL, &p, (long)len);
			assert_non_null(crl);
			X509_STORE_add_crl(store, crl);
			X509_CRL_free(crl);
			free(der);
		}
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
	}
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	err = X509_verify_cert(ctx) == 1 ? 0 :
	    X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(r);
	X509_free(leaf);
	kn_ca_cleanup(&root);
	kn_ca_cleanup(&iss);
	kn_cert_cleanup(&c);
	return err;
}

/* The commonName of a certificate's subject, in characters. */
static size_t
cn_chars(const char *pem, char *o, size_t olen)
{
	X509 *x = pem_x509(pem);
	X509_NAME *n;
	char cn[512];
	int len;

	assert_non_null(x);
	n = X509_get_subject_name(x);
	len = X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof(cn));
	assert_true(len > 0);
	assert_true(X509_NAME_get_text_by_NID(n, NID_organizationName, o,
	    (int)olen) > 0);
	X509_free(x);
	return kn_utf8_count(cn, (size_t)len);
}

/*
 * A 64-character operator name: the CA's and its OCSP responder's
 * commonName stay within RFC 5280's 64 characters (the operator's name
 * left to organizationName), and organizationName is the name whole.
 */
static void
long_operator_name(struct fx *fx)
{
	static const char op[] = "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a"
	    "\xe7\xa4\xbe 0123456789012345678901234567890123456789012345678"
	    "9012345678";
	const char *saved = fx->env.operator_name;
	struct kn_stmt *st = NULL;
	struct kn_ca ca;
	char o[256];

	assert_int_equal(kn_utf8_count(op, strlen(op)), 64);
	fx->env.operator_name = op;
	assert_int_equal(kn_ca_create_sub(fx->db, &fx->env, "t",
	    "long-operator", "root", NULL, 0, NULL), 0);
	assert_int_equal(kn_ca_get(fx->db, &ca, "long-operator"), 0);
	CHECK_INT("CA commonName", cn_chars(ca.cert_pem, o, sizeof(o)) <= 64,
	    true);
	CHECK_STR("CA organizationName", o, op);
	assert_int_equal(kn_ocsp_signer(fx->db, &fx->env, "t",
	    "long-operator"), 0);
	assert_int_equal(kn_db_stmt(fx->db, &st, "SELECT cert_pem FROM "
	    "ocsp_signers WHERE ca_id = ?"), 0);
	assert_int_equal(kn_stmt_bind_int64(st, 1, ca.id), 0);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	CHECK_INT("responder commonName", cn_chars(kn_stmt_text(st, 0), o,
	    sizeof(o)) <= 64, true);
	kn_stmt_done(st);
	kn_ca_cleanup(&ca);
	fx->env.operator_name = saved;
}

static void
test_hierarchy(void **state)
{
	struct fx *fx = *state;
	struct kn_ca *v = NULL;
	size_t n = 0;

	assert_int_equal(kn_ca_list(fx->db, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "root");
	assert_int_equal(v[0].parent_id, 0);
	assert_int_equal(v[1].parent_id, v[0].id);
	kn_ca_list_free(v, n);
	assert_int_equal(kn_ca_create_root(fx->db, &fx->env, "t", "root", 0,
	    NULL), KN_ERR_EXISTS);
	assert_int_equal(kn_ca_create_root(fx->db, &fx->env, "t", "Bad Name",
	    0, NULL), KN_ERR_INVAL);
	assert_int_equal(kn_ca_create_sub(fx->db, &fx->env, "t", "x", "nope",
	    NULL, 0, NULL), KN_ERR_NOTFOUND);
	assert_int_equal(kn_ca_create_sub(fx->db, &fx->env, "t", "x", "root",
	    "tls-dv", 0, NULL), KN_ERR_INVAL);
	assert_int_equal(kn_ca_create_sub(fx->db, &fx->env, "t", "smime-1",
	    "root", "sub-ca-smime", 0, NULL), 0);
	assert_int_equal(kn_ca_check_keys(fx->db, &fx->env), 0);
	long_operator_name(fx);
}

static void
test_issue_revoke_crl(void **state)
{
	struct fx *fx = *state;
	struct kn_cert_request_in in;
	struct kn_cert c;
	char serial[KN_SERIAL_HEX];
	int n;

	base_request(&in, "taro@jipdec.example");
	in.keygen = "ec-p256";
	issue(fx, &in, serial);
	assert_int_equal(kn_cert_get(fx->db, &c, serial), 0);
	assert_string_equal(c.status, "valid");
	assert_true(strstr(c.subject, "organizationIdentifier=NTRJP-"
	    "1010405009403") != NULL);
	kn_cert_cleanup(&c);
	assert_int_equal(kn_crl_generate(fx->db, &fx->env, "t", NULL, &n), 0);
	assert_int_equal(verify_chain(fx, serial, true), 0);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, serial,
	    "keyCompromise", NULL), 0);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, serial,
	    "keyCompromise", NULL), KN_ERR_STATE);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, serial,
	    "bogusReason", NULL), KN_ERR_INVAL);
	assert_int_equal(kn_crl_generate(fx->db, &fx->env, "t", "issuing",
	    &n), 0);
	assert_int_equal(verify_chain(fx, serial, true),
	    X509_V_ERR_CERT_REVOKED);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL,
	    "00ff00ff", "superseded", NULL), KN_ERR_NOTFOUND);
}

static void
test_bad_requests(void **state)
{
	struct fx *fx = *state;
	EVP_PKEY *rsa1024 = EVP_RSA_gen(1024), *p256 = EVP_EC_gen("P-256");
	char *weak = csr_for(rsa1024, EVP_sha256());
	char *sha1 = csr_for(p256, EVP_sha1());
	char *good = csr_for(p256, EVP_sha256());
	struct {
		const char	*name;
		int64_t		 org;
		const char	*profile;
		const char	*csr;
		const char	*keygen;
		const char	*email;
		const char	*dns;
		bool		 person;
		int		 want_rc;
		const char	*want_field;
	} tab[] = {
		{ "unknown profile", JIPDEC, "nope", good, NULL,
		    "taro@jipdec.example", NULL, true, KN_ERR_INVAL,
		    "profile" },
		{ "CSR and keygen", JIPDEC, NULL, good, "ec-p256",
		    "taro@jipdec.example", NULL, true, KN_ERR_INVAL, "csr" },
		{ "garbage CSR", JIPDEC, NULL, "garbage", NULL,
		    "taro@jipdec.example", NULL, true, KN_ERR_INVAL, "csr" },
		{ "RSA 1024", JIPDEC, NULL, weak, NULL,
		    "taro@jipdec.example", NULL, true, KN_ERR_INVAL, "csr" },
		{ "SHA-1 CSR", JIPDEC, NULL, sha1, NULL,
		    "taro@jipdec.example", NULL, true, KN_ERR_INVAL, "csr" },
		{ "unverified mail domain", JIPDEC, NULL, good, NULL,
		    "taro@example.com", NULL, true, KN_ERR_INVAL, "email" },
		{ "other org's domain", JIPDEC, NULL, good, NULL,
		    "x@kakuin-shoji.example", NULL, true, KN_ERR_INVAL,
		    "email" },
		{ "bad mailbox", JIPDEC, NULL, good, NULL, "a..b@jipdec.example",
		    NULL, true, KN_ERR_INVAL, "email" },
		{ "host name in S/MIME", JIPDEC, NULL, good, NULL,
		    "taro@jipdec.example", "www.jipdec.example", true,
		    KN_ERR_INVAL, "dns" },
		{ "no person", JIPDEC, NULL, good, NULL,
		    "taro@jipdec.example", NULL, false, KN_ERR_INVAL,
		    "given_name" },
		{ "applied org", SAKURA, NULL, good, NULL,
		    "taro@sakura-mail.example", NULL, true, KN_ERR_STATE,
		    "org" },
		{ "suspended org", HIKARI, NULL, good, NULL,
		    "taro@hikari-bussan.example", NULL, true, KN_ERR_STATE,
		    "org" },
		{ "unknown org", 1010405009403LL + 9, NULL, good, NULL,
		    "taro@jipdec.example", NULL, true, KN_ERR_NOTFOUND, "org" },
	};
	int64_t before = count(fx, "SELECT COUNT(*) FROM cert_requests");
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_cert_request_in in;
		char code[KN_REVOCATION_CODE];
		int64_t id;
		int rc;

		base_request(&in, tab[i].email);
		in.org = tab[i].org;
		if (tab[i].profile != NULL)
			in.profile = tab[i].profile;
		in.csr_pem = tab[i].csr;
		in.keygen = tab[i].keygen;
		if (tab[i].dns != NULL) {
			in.dns[0] = tab[i].dns;
			in.ndns = 1;
		}
		if (!tab[i].person)
			in.given_name = NULL;
		kn_err_clear();
		rc = kn_cert_request(fx->db, "test", &in, &id, code);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		CHECK_STR(tab[i].name, kn_err_get()->field, tab[i].want_field);
	}
	CHECK_INT("nothing stored", count(fx, "SELECT COUNT(*) FROM "
	    "cert_requests"), before);
	free(weak);
	free(sha1);
	free(good);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
}

static void
test_approval_rules(void **state)
{
	struct fx *fx = *state;
	struct kn_cert_request_in in;
	struct kn_principal other = { .name = "local", .role = "ra",
	    .org_number = SHOJI };
	struct kn_identity_check none = { NULL, NULL, NULL };
	char code[KN_REVOCATION_CODE], serial[KN_SERIAL_HEX];
	char pw[KN_P12_PASSWORD];
	int64_t id;

	base_request(&in, "taro@jipdec.example");
	in.keygen = "ec-p256";
	assert_int_equal(kn_cert_request(fx->db, "test", &in, &id, code), 0);
	assert_int_equal(kn_cert_approve(fx->db, &fx->env, "t", &other, id,
	    &idc, serial, pw), KN_ERR_PERM);
	assert_int_equal(kn_cert_approve(fx->db, &fx->env, "t", NULL, id,
	    &none, serial, pw), KN_ERR_INVAL);
	assert_int_equal(kn_cert_approve(fx->db, &fx->env, "t", NULL, id,
	    &idc, serial, pw), 0);
	assert_true(pw[0] != '\0');
	assert_int_equal(kn_cert_approve(fx->db, &fx->env, "t", NULL, id,
	    &idc, serial, pw), KN_ERR_STATE);
	assert_int_equal(kn_cert_reject(fx->db, "t", NULL, id, "late"),
	    KN_ERR_STATE);
	CHECK_INT("one certificate", count(fx, "SELECT COUNT(*) FROM certs"),
	    1);
}

static void
test_compromised_key(void **state)
{
	struct fx *fx = *state;
	struct kn_cert_request_in in;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	char *csr = csr_for(k, EVP_sha256());
	char serial[KN_SERIAL_HEX], code[KN_REVOCATION_CODE];
	int64_t id;

	base_request(&in, "taro@jipdec.example");
	in.csr_pem = csr;
	issue(fx, &in, serial);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, serial,
	    "keyCompromise", NULL), 0);
	in.profile = "client-auth";
	in.nemails = 0;
	assert_int_equal(kn_cert_request(fx->db, "test", &in, &id, code),
	    KN_ERR_INVAL);
	CHECK_HAS("compromised", kn_err_get()->msg, "compromised");
	/* Renewing the revoked certificate needs a new key. */
	assert_int_equal(kn_cert_renew(fx->db, "t", serial, NULL, &id, code),
	    KN_ERR_STATE);
	free(csr);
	EVP_PKEY_free(k);
}

static void
test_hold_and_subscriber_code(void **state)
{
	struct fx *fx = *state;
	struct kn_cert_request_in in;
	struct kn_cert c;
	char serial[KN_SERIAL_HEX], code[KN_REVOCATION_CODE];
	char pw[KN_P12_PASSWORD];
	int64_t id;

	base_request(&in, "taro@jipdec.example");
	in.keygen = "ec-p256";
	issue(fx, &in, serial);
	assert_int_equal(kn_cert_suspend(fx->db, &fx->env, "t", NULL,
	    serial), 0);
	assert_int_equal(kn_cert_get(fx->db, &c, serial), 0);
	assert_string_equal(c.status, "hold");
	kn_cert_cleanup(&c);
	assert_int_equal(kn_cert_resume(fx->db, &fx->env, "t", NULL,
	    serial), 0);
	assert_int_equal(kn_cert_resume(fx->db, &fx->env, "t", NULL,
	    serial), KN_ERR_STATE);
	/* Strict S/MIME has no certificateHold (S/MIME BR 4.9.13). */
	in.profile = "smime-sponsor-strict";
	assert_int_equal(kn_cert_request(fx->db, "test", &in, &id, code), 0);
	assert_int_equal(kn_cert_approve(fx->db, &fx->env, "t", NULL, id,
	    &idc, serial, pw), 0);
	assert_int_equal(kn_cert_suspend(fx->db, &fx->env, "t", NULL,
	    serial), KN_ERR_STATE);
	/* The subscriber revokes with the code; a wrong one is refused. */
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "subscriber", NULL,
	    serial, "cessationOfOperation", "wrong-code"), KN_ERR_AUTH);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "subscriber", NULL,
	    serial, "cessationOfOperation", code), 0);
}

static void
test_sharded_crls(void **state)
{
	struct fx *fx = *state;
	struct kn_cert_request_in in;
	struct kn_cert c;
	char serial[KN_SERIAL_HEX], next[21];
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_CRL *crl;
	size_t len;
	int i, n, crit = -1;
	ISSUING_DIST_POINT *idp;

	base_request(&in, "taro@jipdec.example");
	in.keygen = "ec-p256";
	for (i = 0; i < 7; i++)
		issue(fx, &in, serial);
	/* The seventh certificate is in shard 2 (3 per shard). */
	assert_int_equal(kn_cert_get(fx->db, &c, serial), 0);
	assert_int_equal(c.shard, 2);
	assert_non_null(strstr(c.cert_pem, "-----BEGIN"));
	kn_cert_cleanup(&c);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, serial,
	    "superseded", NULL), 0);
	assert_int_equal(kn_crl_generate(fx->db, &fx->env, "t", "issuing",
	    &n), 0);
	assert_int_equal(n, 3);		/* one CRL per shard */
	assert_int_equal(kn_crl_generate(fx->db, &fx->env, "t", "root", &n),
	    0);
	assert_int_equal(kn_crl_get(fx->db, "issuing", 2, &der, &len, next),
	    0);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit,
	    NULL);
	assert_non_null(idp);
	assert_int_equal(crit, 1);
	ISSUING_DIST_POINT_free(idp);
	X509_CRL_free(crl);
	free(der);
	assert_int_equal(verify_chain(fx, serial, true),
	    X509_V_ERR_CERT_REVOKED);
}

static void
test_p12_once(void **state)
{
	struct fx *fx = *state;
	struct kn_cert_request_in in;
	char code[KN_REVOCATION_CODE], serial[KN_SERIAL_HEX];
	char pw[KN_P12_PASSWORD];
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	PKCS12 *p12;
	size_t len;
	int64_t id;

	base_request(&in, "taro@jipdec.example");
	in.keygen = "rsa-2048";
	assert_int_equal(kn_cert_request(fx->db, "test", &in, &id, code), 0);
	assert_int_equal(kn_cert_approve(fx->db, &fx->env, "t", NULL, id,
	    &idc, serial, pw), 0);
	assert_int_equal(kn_cert_take_p12(fx->db, "t", serial, &der, &len),
	    0);
	p = der;
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	assert_non_null(p12);
	assert_int_equal(PKCS12_parse(p12, pw, &key, &cert, NULL), 1);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	assert_int_equal(PKCS12_parse(p12, "wrong", NULL, NULL, NULL), 0);
	PKCS12_free(p12);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(der);
	assert_int_equal(kn_cert_take_p12(fx->db, "t", serial, &der, &len),
	    KN_ERR_NOTFOUND);
}

/* The certificate's key is the CSR's own, also when a second database in
 * the same process holds a request with the same id and another key. */
static void
test_certificate_carries_csr_key(void **state)
{
	struct fx *a = *state, *b = NULL;
	void *bstate = NULL;
	struct kn_cert_request_in in;
	char code[KN_REVOCATION_CODE], serial[KN_SERIAL_HEX];
	char pw[KN_P12_PASSWORD];
	EVP_PKEY *ka = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *kb = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *csra, *csrb;
	int64_t ida, idb;
	struct kn_cert c;
	X509 *x;

	assert_non_null(ka);
	assert_non_null(kb);
	csra = csr_for(ka, EVP_sha256());
	csrb = csr_for(kb, EVP_sha256());
	assert_int_equal((a->pgname != NULL ? setup_pg : setup_sqlite)(
	    &bstate), 0);
	b = bstate;
	base_request(&in, "taro@jipdec.example");
	in.csr_pem = csra;
	assert_int_equal(kn_cert_request(a->db, "test", &in, &ida, code), 0);
	in.csr_pem = csrb;
	assert_int_equal(kn_cert_request(b->db, "test", &in, &idb, code), 0);
	assert_int_equal(ida, idb);

	assert_int_equal(kn_cert_approve(a->db, &a->env, "t", NULL, ida,
	    &idc, serial, pw), 0);
	assert_int_equal(kn_cert_get(a->db, &c, serial), 0);
	x = pem_x509(c.cert_pem);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), ka), 1);
	X509_free(x);
	kn_cert_cleanup(&c);

	assert_int_equal(kn_cert_approve(b->db, &b->env, "t", NULL, idb,
	    &idc, serial, pw), 0);
	assert_int_equal(kn_cert_get(b->db, &c, serial), 0);
	x = pem_x509(c.cert_pem);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), kb), 1);
	X509_free(x);
	kn_cert_cleanup(&c);

	teardown(&bstate);
	free(csra);
	free(csrb);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
}

/* The OCSP status of serial as kakuin answers a SHA-1, nonce-less
 * request: V_OCSP_CERTSTATUS_*, with the reason of a revoked one. */
static int
ocsp_status(struct fx *fx, const char *serial, int *reason)
{
	struct kn_ca iss;
	struct kn_ocsp_info info;
	OCSP_REQUEST *rq = OCSP_REQUEST_new();
	OCSP_CERTID *id;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	OCSP_SINGLERESP *one;
	ASN1_GENERALIZEDTIME *rev, *tu, *nu;
	ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	X509 *i;
	unsigned char *der = NULL, *out = NULL;
	const unsigned char *p;
	size_t outlen;
	int len, st;

	assert_int_equal(kn_ca_get(fx->db, &iss, "issuing"), 0);
	i = pem_x509(iss.cert_pem);
	assert_true(BN_hex2bn(&bn, serial) > 0);
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(i),
	    X509_get0_pubkey_bitstr(i), sn);
	assert_non_null(id);
	assert_non_null(OCSP_request_add0_id(rq, id));
	len = i2d_OCSP_REQUEST(rq, &der);
	assert_true(len > 0);
	assert_int_equal(kn_ocsp_respond(fx->db, &fx->env, der, (size_t)len,
	    &out, &outlen, &info), 0);
	assert_int_equal(info.status, 0);
	p = out;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)outlen);
	assert_non_null(resp);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	one = OCSP_resp_get0(bs, 0);
	assert_non_null(one);
	st = OCSP_single_get0_status(one, reason, &rev, &tu, &nu);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(rq);
	OPENSSL_free(der);
	free(out);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_free(i);
	kn_ca_cleanup(&iss);
	return st;
}

/* kn_ocsp_presigned on a SHA-1 request for serial, with or without a
 * nonce: whether it answered (and with what status) or left the
 * signing to the caller. */
static void
check_presigned(struct fx *fx, const char *serial, bool nonce,
    bool want_must_sign)
{
	struct kn_ca iss;
	struct kn_ocsp_info info;
	OCSP_REQUEST *rq = OCSP_REQUEST_new();
	OCSP_CERTID *id;
	ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	X509 *i;
	unsigned char *der = NULL, *out = NULL;
	size_t outlen = 0;
	int len;

	assert_int_equal(kn_ca_get(fx->db, &iss, "issuing"), 0);
	i = pem_x509(iss.cert_pem);
	assert_true(BN_hex2bn(&bn, serial) > 0);
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(i),
	    X509_get0_pubkey_bitstr(i), sn);
	assert_non_null(id);
	assert_non_null(OCSP_request_add0_id(rq, id));
	if (nonce)
		assert_int_equal(OCSP_request_add1_nonce(rq, NULL, 16), 1);
	len = i2d_OCSP_REQUEST(rq, &der);
	assert_true(len > 0);
	assert_int_equal(kn_ocsp_presigned(fx->db, &fx->env, der, (size_t)len,
	    &out, &outlen, &info), 0);
	assert_int_equal(info.must_sign, want_must_sign);
	if (want_must_sign) {
		struct kn_ocsp_info done;

		assert_null(out);
		/* The request it parsed is signed without a second parse. */
		assert_non_null(info.request);
		assert_int_equal(kn_ocsp_respond_parsed(fx->db, &fx->env,
		    &info, &out, &outlen, &done), 0);
		assert_null(info.request);
		assert_int_equal(done.status, 0);
		assert_false(done.cached);
		assert_non_null(out);
		assert_int_equal(kn_ocsp_respond_parsed(fx->db, &fx->env,
		    &info, &out, &outlen, &done), KN_ERR_INVAL);
	} else {
		assert_null(info.request);
		assert_non_null(out);
		assert_int_equal(info.status, 0);
		assert_true(info.cached);
	}
	/* Garbage needs no signature: malformedRequest at once. */
	free(out);
	out = NULL;
	assert_int_equal(kn_ocsp_presigned(fx->db, &fx->env, der, 3, &out,
	    &outlen, &info), 0);
	assert_false(info.must_sign);
	assert_int_equal(info.status, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	assert_non_null(out);
	free(out);
	OCSP_REQUEST_free(rq);
	OPENSSL_free(der);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_free(i);
	kn_ca_cleanup(&iss);
}

static void
test_ocsp(void **state)
{
	struct fx *fx = *state;
	struct kn_cert_request_in in;
	char serial[KN_SERIAL_HEX];
	int reason = -1, n;

	base_request(&in, "taro@jipdec.example");
	in.keygen = "ec-p256";
	issue(fx, &in, serial);
	/* Nothing pre-signed yet: the caller signs. */
	assert_int_equal(count(fx, "SELECT count(*) FROM ocsp_responses"), 0);
	check_presigned(fx, serial, false, true);
	assert_int_equal(ocsp_status(fx, serial, &reason),
	    V_OCSP_CERTSTATUS_GOOD);
	/* The answer was kept, and is served again as kept. */
	assert_int_equal(count(fx, "SELECT count(*) FROM ocsp_responses"), 1);
	check_presigned(fx, serial, false, false);
	check_presigned(fx, serial, true, true);
	assert_int_equal(ocsp_status(fx, serial, &reason),
	    V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, serial,
	    "keyCompromise", NULL), 0);
	assert_int_equal(ocsp_status(fx, serial, &reason),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	assert_int_equal(ocsp_status(fx, "7fffffffffffffff01", &reason),
	    V_OCSP_CERTSTATUS_UNKNOWN);
	/* Pre-signing finds nothing missing, then re-signs a stale one. */
	assert_int_equal(kn_ocsp_presign(fx->db, &fx->env, 100, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(kn_db_exec(fx->db, "UPDATE ocsp_responses SET "
	    "refresh_at = '2000-01-01T00:00:00Z'"), 0);
	assert_int_equal(kn_ocsp_presign(fx->db, &fx->env, 100, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM ocsp_responses "
	    "WHERE refresh_at > '2001-01-01'"), 1);
}

/* Stamps one SHA-256 imprint with t; returns the token's serial. */
static int64_t
stamp(struct fx *fx, struct kn_tsa *t)
{
	struct kn_tsa_info info;
	unsigned char dg[32], *q = NULL, *r = NULL;
	size_t qlen, rlen;

	memset(dg, 0x5a, sizeof(dg));
	assert_int_equal(kn_tsa_query(EVP_sha256(), dg, sizeof(dg), &q,
	    &qlen), 0);
	assert_int_equal(kn_tsa_respond(t, fx->db, &fx->env, q, qlen, &r,
	    &rlen, &info), 0);
	assert_int_equal(info.status, 0);
	free(q);
	free(r);
	return info.serial;
}

/* Two TSAs on one store (two processes, or two nodes on PostgreSQL)
 * never give the same serial; a new one starts above every serial given
 * before; a revoked unit is replaced. */
static void
test_tsa_serials_and_units(void **state)
{
	struct fx *fx = *state;
	struct kn_tsa_conf tc = { NULL, "1.2.3.4.1", NULL, 1000 };
	struct kn_tsa *a, *b, *c;
	char unit[KN_SERIAL_HEX], unit2[KN_SERIAL_HEX], *pem = NULL;
	int64_t seen[200], max = 0;
	int i, j, n = 0;

	assert_int_equal(kn_tsa_new(&a, &tc), 0);
	assert_int_equal(kn_tsa_new(&b, &tc), 0);
	for (i = 0; i < 60; i++) {
		seen[n++] = stamp(fx, a);
		seen[n++] = stamp(fx, b);
	}
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++)
			assert_true(seen[i] != seen[j]);
		if (seen[i] > max)
			max = seen[i];
	}
	/* a's serials rise. */
	for (i = 2; i < n; i += 2)
		assert_true(seen[i] > seen[i - 2]);
	kn_tsa_free(a);
	kn_tsa_free(b);
	assert_int_equal(kn_tsa_new(&c, &tc), 0);
	assert_true(stamp(fx, c) > max);
	assert_int_equal(kn_tsa_unit(c, fx->db, &fx->env, "t", unit, &pem), 0);
	free(pem);
	assert_int_equal(count(fx, "SELECT count(*) FROM tsa_units"), 1);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, unit,
	    "keyCompromise", NULL), 0);
	assert_int_equal(kn_tsa_rekey(c, fx->db, &fx->env, "t", unit2), 0);
	assert_string_not_equal(unit, unit2);
	(void)stamp(fx, c);
	assert_int_equal(kn_tsa_unit(c, fx->db, &fx->env, "t", unit, &pem), 0);
	free(pem);
	assert_string_equal(unit, unit2);
	kn_tsa_free(c);
	/* A policy setting that is no OID is refused, naming the key. */
	tc.policy = "policy-one";
	assert_int_equal(kn_tsa_new(&a, &tc), KN_ERR_INVAL);
	assert_string_equal(kn_err_get()->field, "tsa_policy");
}

#define CA_TESTS(setup) \
	cmocka_unit_test_setup_teardown(test_hierarchy, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_issue_revoke_crl, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_approval_rules, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_compromised_key, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_hold_and_subscriber_code, \
	    setup, teardown), \
	cmocka_unit_test_setup_teardown(test_sharded_crls, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_p12_once, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_certificate_carries_csr_key, \
	    setup, teardown), \
	cmocka_unit_test_setup_teardown(test_ocsp, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_tsa_serials_and_units, setup, \
	    teardown)

int
main(void)
{
	const struct CMUnitTest sqlite_tests[] = { CA_TESTS(setup_sqlite) };
	const struct CMUnitTest pg_tests[] = { CA_TESTS(setup_pg) };
	const char *pg = getenv("KAKUIN_TEST_PG");
	int failed;

	failed = cmocka_run_group_tests_name("ca sqlite", sqlite_tests, NULL,
	    NULL);
	if (pg != NULL && *pg != '\0')
		failed += cmocka_run_group_tests_name("ca postgresql",
		    pg_tests, NULL, NULL);
	return failed != 0;
}
