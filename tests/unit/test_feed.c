/*
 * test_feed.c - the signed feed of verified mail domains: publishing from
 * the demo registry and the receiver's verifier, round trip and every way
 * a feed must be refused, against each store (SQLite in a scratch file,
 * PostgreSQL when KAKUIN_TEST_PG is set).  Keys are file: keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/text.h"
#include "ca/ca.h"
#include "crypto/key.h"
#include "registry/demo.h"
#include "registry/feed.h"
#include "store/db.h"
#include "testutil.h"

#define JIPDEC 1010405009403LL
#define SHOJI 4011001099001LL		/* verified, kakuin-shoji.example */
#define MINATO 4010401088002LL		/* verified, minato-keiyaku.example */
#define SAPPORO 9000020011002LL		/* verified, city.sapporo.example */

struct fx {
	struct kn_db		*db;
	char			*dir;
	char			*pgname;
	char			*url;
	char			*keydir;
	struct kn_keystore	*ks;
	struct kn_ca_env	 env;
	struct kn_feed_pub	*pub;
	char			*anchors;
};


static int
ca_in(struct kn_db *db, struct kn_ca_env *env)
{
	if (kn_ca_create_root(db, env, "test", "root", 0, NULL) != 0 ||
	    kn_ca_create_sub(db, env, "test", "issuing", "root", NULL, 0,
	    NULL) != 0) {
		print_error("CA setup: %s\n", kn_err_get()->msg);
		return -1;
	}
	return 0;
}

static int
common(struct fx *fx)
{
	struct kn_keystore_config kc = {
		.module = "/usr/lib/softhsm/libsofthsm2.so",
		.token = "unused",
		.pin = "unused-pin",
		.passphrase = "unit test passphrase",
	};
	struct kn_feed_conf fc = { .ttl = 86400, .check_ms = 0 };

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
	fx->env.shard_size = 100;
	if (ca_in(fx->db, &fx->env) != 0 ||
	    kn_feed_pub_new(&fx->pub, &fc) != 0 ||
	    kn_feed_anchors(fx->db, &fx->anchors) != 0)
		return -1;
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
	if (tu_pg_create("kn_feed", &fx->pgname, &fx->url) != 0)
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
	kn_feed_pub_free(fx->pub);
	kn_db_close(fx->db);
	kn_keystore_free(fx->ks);
	if (fx->dir != NULL)
		tu_rmtree(fx->dir);
	if (fx->pgname != NULL)
		tu_pg_drop(fx->pgname);
	free(fx->anchors);
	free(fx->dir);
	free(fx->pgname);
	free(fx->url);
	free(fx->keydir);
	free(fx);
	return 0;
}

static int64_t
count(struct kn_db *db, const char *sql)
{
	struct kn_stmt *st;
	int64_t n = -1;

	assert_int_equal(kn_db_prepare(db, &st, sql), 0);
	if (kn_stmt_step(st) == KN_ROW)
		n = kn_stmt_int64(st, 0);
	kn_stmt_free(st);
	return n;
}

/* The current feed of fx's store, verified now. */
static struct kn_feed *
current(struct fx *fx, struct kn_feed_pub *pub, struct kn_feed_info *info)
{
	struct kn_feed *f = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	int rc;

	rc = kn_feed_current(pub, fx->db, &fx->env, info, &der, &len);
	if (rc != 0)
		fail_msg("kn_feed_current: %s", kn_err_get()->msg);
	rc = kn_feed_verify(&f, der, len, fx->anchors, time(NULL), NULL);
	if (rc != 0)
		fail_msg("kn_feed_verify: %s", kn_err_get()->msg);
	free(der);
	return f;
}

static void
want_domains(const struct kn_feed *f, const char *const *want)
{
	size_t i;

	for (i = 0; want[i] != NULL; i++) {
		if (i >= f->n)
			fail_msg("the feed lacks %s", want[i]);
		CHECK_STR("feed domains", f->v[i].domain, want[i]);
	}
	CHECK_INT("feed domains", f->n, i);
}

/* The demo registry's verified mail domains, and what a receiver reads
 * of them; asking again signs nothing. */
static void
test_round_trip(void **state)
{
	static const char *const want[] = { "city.sapporo.example",
	    "jipdec.example", "kakuin-shoji.example", "mail.jipdec.example",
	    "minato-keiyaku.example", NULL };
	struct fx *fx = *state;
	struct kn_feed_info info, again;
	const struct kn_feed_entry *e;
	struct kn_feed *f;

	/* A background refresh signs nothing before anyone asked. */
	assert_int_equal(kn_feed_refresh(fx->pub, fx->db, &fx->env, &info),
	    KN_ERR_NOTFOUND);
	assert_int_equal(count(fx->db, "SELECT count(*) FROM feed_signers"),
	    0);
	assert_int_equal(count(fx->db, "SELECT count(*) FROM certs"), 0);
	f = current(fx, fx->pub, &info);
	assert_true(info.made);
	assert_int_equal(info.serial, 1);
	want_domains(f, want);
	CHECK_STR("issuer", f->issuer, "kakuin unit");
	CHECK_HAS("signer", f->signer, "Mail-Domain Feed Signer");
	CHECK_INT("serial", f->serial, 1);
	CHECK_INT("ttl", f->next_update_t - f->generated_t, 86400);
	CHECK_INT("refresh", info.refresh_at, f->generated_t + 43200);
	e = kn_feed_lookup(f, "Kakuin-Shoji.Example.");
	assert_non_null(e);
	CHECK_STR("shoji", e->number, "4011001099001");
	CHECK_STR("shoji", e->name, "株式会社かくいん商事");
	CHECK_STR("shoji", e->name_en, "Kakuin Trading Co., Ltd.");
	assert_non_null(kn_feed_lookup(f, "mail.jipdec.example"));
	/* Not in it: applied (sakura), web only and suspended (hikari),
	 * parents and children of listed domains. */
	assert_null(kn_feed_lookup(f, "sakura-mail.example"));
	assert_null(kn_feed_lookup(f, "hikari-bussan.example"));
	assert_null(kn_feed_lookup(f, "example"));
	assert_null(kn_feed_lookup(f, "x.jipdec.example"));
	assert_null(kn_feed_lookup(f, "not a domain"));
	CHECK_HAS("json", f->json, "\"domain\":\"jipdec.example\"");
	kn_feed_free(f);
	assert_int_equal(count(fx->db, "SELECT count(*) FROM audit WHERE "
	    "action = 'feed.publish'"), 1);
	/* Asked again: the same feed, nothing signed. */
	f = current(fx, fx->pub, &again);
	assert_false(again.made);
	assert_int_equal(again.serial, 1);
	assert_string_equal(again.etag, info.etag);
	kn_feed_free(f);
	/* Once there is one, a background refresh keeps it current. */
	assert_int_equal(kn_feed_refresh(fx->pub, fx->db, &fx->env, &again),
	    0);
	assert_false(again.made);
	assert_int_equal(kn_org_set_status(fx->db, "t", SAPPORO, "suspended",
	    "test"), 0);
	assert_int_equal(kn_feed_refresh(fx->pub, fx->db, &fx->env, &again),
	    0);
	assert_true(again.made);
	assert_int_equal(again.serial, 2);
	assert_int_equal(count(fx->db, "SELECT count(*) FROM feed_signers"),
	    1);
	assert_int_equal(count(fx->db, "SELECT count(*) FROM certs WHERE "
	    "profile = 'feed-signing'"), 1);
}

/* Every change of the registry that a receiver must see makes a new
 * feed, on every node sharing the store; a node that finds a new feed
 * stored serves it without signing. */
static void
test_registry_changes(void **state)
{
	struct fx *fx = *state;
	struct kn_feed_conf fc = { .ttl = 86400, .check_ms = 0 };
	struct kn_feed_pub *node2;
	struct kn_feed_info info, i2;
	struct kn_feed *f;
	int64_t serial;

	assert_int_equal(kn_feed_pub_new(&node2, &fc), 0);
	f = current(fx, fx->pub, &info);
	serial = info.serial;
	assert_non_null(kn_feed_lookup(f, "minato-keiyaku.example"));
	kn_feed_free(f);

	/* Suspended: gone. */
	assert_int_equal(kn_org_set_status(fx->db, "t", MINATO, "suspended",
	    "test"), 0);
	f = current(fx, fx->pub, &info);
	assert_true(info.made);
	assert_true(info.serial > serial);
	serial = info.serial;
	assert_null(kn_feed_lookup(f, "minato-keiyaku.example"));
	kn_feed_free(f);
	/* The other node serves that one. */
	f = current(fx, node2, &i2);
	assert_false(i2.made);
	assert_int_equal(i2.serial, serial);
	assert_string_equal(i2.etag, info.etag);
	kn_feed_free(f);

	/* Verified again: back. */
	assert_int_equal(kn_org_set_status(fx->db, "t", MINATO, "verified",
	    "test"), 0);
	f = current(fx, node2, &i2);
	assert_true(i2.made);
	assert_true(i2.serial > serial);
	serial = i2.serial;
	assert_non_null(kn_feed_lookup(f, "minato-keiyaku.example"));
	kn_feed_free(f);

	/* Withdrawn: its domains are released. */
	assert_int_equal(kn_org_set_status(fx->db, "t", SHOJI, "withdrawn",
	    "test"), 0);
	f = current(fx, fx->pub, &info);
	assert_true(info.serial > serial);
	serial = info.serial;
	assert_null(kn_feed_lookup(f, "kakuin-shoji.example"));
	kn_feed_free(f);

	/* Hidden by the National Tax Agency: left out like its page. */
	assert_int_equal(kn_db_exec(fx->db, "UPDATE orgs SET hidden = 1 "
	    "WHERE number = 9000020011002"), 0);
	f = current(fx, fx->pub, &info);
	assert_true(info.serial > serial);
	assert_null(kn_feed_lookup(f, "city.sapporo.example"));
	kn_feed_free(f);

	/* A change of a name shows too. */
	serial = info.serial;
	assert_int_equal(kn_db_exec(fx->db, "UPDATE orgs SET name_en = "
	    "'JIPDEC Foundation' WHERE number = 1010405009403"), 0);
	f = current(fx, node2, &i2);
	assert_true(i2.serial > serial);
	CHECK_STR("renamed", kn_feed_lookup(f, "jipdec.example")->name_en,
	    "JIPDEC Foundation");
	kn_feed_free(f);
	kn_feed_pub_free(node2);
}

/* Half its life over: signed again.  Without keys: the stored feed
 * while it lasts, then an error that says why. */
static void
test_life_and_no_keys(void **state)
{
	struct fx *fx = *state;
	struct kn_feed_info info;
	struct kn_feed *f;
	char gen[21], nu[21], *sql;
	time_t now = time(NULL);
	int64_t serial;
	int rc;

	f = current(fx, fx->pub, &info);
	serial = info.serial;
	kn_feed_free(f);
	/* Not yet half: the same. */
	kn_time_rfc3339(gen, now - 43000);
	kn_time_rfc3339(nu, now - 43000 + 86400);
	sql = tu_printf("UPDATE mail_feed SET generated = '%s', next_update "
	    "= '%s'", gen, nu);
	assert_int_equal(kn_db_exec(fx->db, sql), 0);
	free(sql);
	f = current(fx, fx->pub, &info);
	assert_int_equal(info.serial, serial);
	kn_feed_free(f);
	/* Past half. */
	kn_time_rfc3339(gen, now - 43300);
	kn_time_rfc3339(nu, now - 43300 + 86400);
	sql = tu_printf("UPDATE mail_feed SET generated = '%s', next_update "
	    "= '%s'", gen, nu);
	assert_int_equal(kn_db_exec(fx->db, sql), 0);
	free(sql);
	f = current(fx, fx->pub, &info);
	assert_true(info.made);
	assert_int_equal(info.serial, serial + 1);
	kn_feed_free(f);

	/* The token failing (here: a wrong passphrase): what is stored,
	 * saying why no new one was signed. */
	assert_int_equal(kn_org_set_status(fx->db, "t", MINATO, "suspended",
	    "test"), 0);
	{
		struct kn_keystore_config kc = {
			.module = "/usr/lib/softhsm/libsofthsm2.so",
			.token = "unused",
			.pin = "unused-pin",
			.passphrase = "not the passphrase",
		};
		struct kn_ca_env broken = fx->env;

		assert_int_equal(kn_keystore_new(&broken.ks, &kc), 0);
		assert_int_equal(kn_feed_current(fx->pub, fx->db, &broken,
		    &info, NULL, NULL), 0);
		assert_false(info.made);
		assert_int_equal(info.serial, serial + 1);
		if (info.late[0] == '\0')
			fail_msg("no reason given for a late feed");
		kn_keystore_free(broken.ks);
	}
	/* No keys: what is stored, unsigned by this call. */
	assert_int_equal(kn_feed_current(fx->pub, fx->db, NULL, &info, NULL,
	    NULL), 0);
	assert_false(info.made);
	assert_int_equal(info.serial, serial + 1);
	/* ... until it expires. */
	assert_int_equal(kn_db_exec(fx->db, "UPDATE mail_feed SET "
	    "next_update = '2001-01-01T00:00:00Z'"), 0);
	rc = kn_feed_current(fx->pub, fx->db, NULL, &info, NULL, NULL);
	assert_int_equal(rc, KN_ERR_STATE);
	CHECK_HAS("expired", kn_err_get()->msg, "expired at "
	    "2001-01-01T00:00:00Z");
	CHECK_HAS("expired", kn_err_get()->msg, "keys are not available");
	/* With keys a new one replaces it, without the suspended domain. */
	f = current(fx, fx->pub, &info);
	assert_true(info.made);
	assert_null(kn_feed_lookup(f, "minato-keiyaku.example"));
	kn_feed_free(f);
}

/* A revoked signer is replaced at the next check, and its feed with it. */
static void
test_signer_revoked(void **state)
{
	struct fx *fx = *state;
	struct kn_feed_info info;
	struct kn_feed *f;
	char s1[KN_SERIAL_HEX], s2[KN_SERIAL_HEX], *pem = NULL;

	f = current(fx, fx->pub, &info);
	kn_feed_free(f);
	assert_int_equal(kn_feed_signer(fx->db, &fx->env, "t", s1, &pem), 0);
	free(pem);
	assert_string_equal(info.signer, s1);
	assert_int_equal(kn_cert_revoke(fx->db, &fx->env, "t", NULL, s1,
	    "keyCompromise", NULL), 0);
	f = current(fx, fx->pub, &info);
	assert_true(info.made);
	kn_feed_free(f);
	assert_int_equal(kn_feed_signer(fx->db, &fx->env, "t", s2, &pem), 0);
	free(pem);
	assert_string_not_equal(s1, s2);
	assert_string_equal(info.signer, s2);
	assert_int_equal(count(fx->db, "SELECT count(*) FROM feed_signers"),
	    2);
}

/* ---- the verifier's refusals ---- */

/* A signer of profile (made in db by kn_ca_issue_service) with its key
 * and issuing CA. */
struct signer {
	X509		*cert;
	EVP_PKEY	*key;
	STACK_OF(X509)	*chain;
};

static X509 *
pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(x);
	return x;
}

static void
make_signer(struct kn_db *db, struct kn_ca_env *env, const char *profile,
    struct signer *s)
{
	struct kn_service_cert sc;
	struct kn_ca ca;

	if (kn_ca_issue_service(db, env, "t", NULL, profile, "Test Signer",
	    &sc) != 0)
		fail_msg("issue %s: %s", profile, kn_err_get()->msg);
	s->cert = pem_x509(sc.cert_pem);
	assert_int_equal(kn_key_load(env->ks, sc.key_uri, &s->key), 0);
	assert_int_equal(kn_ca_get(db, &ca, "issuing"), 0);
	s->chain = sk_X509_new_null();
	assert_true(sk_X509_push(s->chain, pem_x509(ca.cert_pem)) > 0);
	kn_ca_cleanup(&ca);
	kn_service_cert_cleanup(&sc);
}

static void
signer_free(struct signer *s)
{
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	sk_X509_pop_free(s->chain, X509_free);
}

/* Feed JSON from a small fixed registry, with times relative to now. */
static char *
feed_json(time_t gen, time_t nu)
{
	struct kn_feed_entry e[2];
	struct kn_feed f;
	struct kn_buf b;
	char *s;

	memset(e, 0, sizeof(e));
	memset(&f, 0, sizeof(f));
	snprintf(e[0].domain, sizeof(e[0].domain), "bank.example");
	snprintf(e[0].number, sizeof(e[0].number), "1010405009403");
	e[0].name = "株式会社テスト銀行";
	e[0].name_en = "Test Bank Ltd.";
	snprintf(e[0].verified_at, sizeof(e[0].verified_at),
	    "2026-01-01T00:00:00Z");
	snprintf(e[1].domain, sizeof(e[1].domain), "city.example");
	snprintf(e[1].number, sizeof(e[1].number), "9000020011002");
	e[1].name = "テスト市";
	snprintf(e[1].verified_at, sizeof(e[1].verified_at),
	    "2026-01-01T00:00:00Z");
	f.issuer = "kakuin unit";
	f.serial = 9;
	kn_time_rfc3339(f.generated, gen);
	kn_time_rfc3339(f.next_update, nu);
	f.v = e;
	f.n = 2;
	kn_buf_init(&b, 1 << 20);
	assert_int_equal(kn_feed_encode(&b, &f), 0);
	s = kn_buf_steal(&b, NULL);
	kn_buf_cleanup(&b);
	return s;
}

static void
sign_json(const struct signer *s, const char *json, unsigned char **der,
    size_t *len)
{
	if (kn_feed_sign(der, len, json, strlen(json), s->cert, s->key,
	    s->chain) != 0)
		fail_msg("kn_feed_sign: %s", kn_err_get()->msg);
}

/* The same JSON as plain id-data, the way any S/MIME signer would sign
 * it. */
static void
sign_as_data(const struct signer *s, const char *json, unsigned char **der,
    size_t *len)
{
	BIO *in = BIO_new_mem_buf(json, -1);
	CMS_ContentInfo *cms = CMS_sign(s->cert, s->key, s->chain, in,
	    CMS_BINARY);
	unsigned char *p = NULL;
	int n;

	assert_non_null(cms);
	n = i2d_CMS_ContentInfo(cms, &p);
	assert_true(n > 0);
	*der = malloc((size_t)n);
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(p);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
}

/* Flips one byte of the content inside the DER. */
static void
tamper(unsigned char *der, size_t len)
{
	size_t i;

	for (i = 0; i + 12 <= len; i++) {
		if (memcmp(der + i, "bank.example", 12) == 0) {
			der[i] = 'p';
			return;
		}
	}
	fail_msg("no content to tamper with");
}

enum how {
	GOOD,		/* feed JSON signed by the feed signer */
	TAMPERED,
	WRONG_PROFILE,	/* signed by a TSA unit of the same CA */
	OTHER_CA,	/* a feed signer of another trust center */
	OTHER_CA_OWN,	/* the same, checked against its own root */
	AS_DATA,	/* plain id-data content */
	TRAILING,	/* a byte after the DER */
	NOT_DER,
	NO_ANCHOR,
	BAD_JSON,	/* signed, but the content breaks a rule */
	LONG_TTL,	/* valid for 8 days */
	TOO_BIG,
};

static const struct vrow {
	const char	*name;
	enum how	 how;
	long		 now;		/* seconds after generated */
	int		 want_rc;
	const char	*want_msg;
} vrows[] = {
	{ "good", GOOD, 60, 0, NULL },
	{ "clock 4 minutes behind", GOOD, -240, 0, NULL },
	{ "last second", GOOD, 86399, 0, NULL },
	{ "tampered content", TAMPERED, 60, KN_ERR_VERIFY,
	  "signature does not verify" },
	{ "expired", GOOD, 86400, KN_ERR_VERIFY, "the feed expired at" },
	{ "expired long ago", GOOD, 30 * 86400, KN_ERR_VERIFY,
	  "expired at" },
	{ "not yet valid", GOOD, -3600, KN_ERR_VERIFY,
	  "it is not valid yet, or a clock is wrong" },
	{ "signed by a TSA unit", WRONG_PROFILE, 60, KN_ERR_VERIFY,
	  "not for signing the mail-domain feed" },
	{ "signer from another CA", OTHER_CA, 60, KN_ERR_VERIFY,
	  "not signed by a certificate of this trust center" },
	{ "another CA, its own root", OTHER_CA_OWN, 60, 0, NULL },
	{ "plain data content", AS_DATA, 60, KN_ERR_INVAL,
	  "not a kakuin mail-domain feed" },
	{ "trailing garbage", TRAILING, 60, KN_ERR_INVAL, "bytes follow it" },
	{ "not DER", NOT_DER, 60, KN_ERR_INVAL, "not one DER CMS" },
	{ "no trust anchor", NO_ANCHOR, 60, KN_ERR_INVAL, "no trust anchor" },
	{ "content breaks a rule", BAD_JSON, 60, KN_ERR_INVAL,
	  "domains[0].number" },
	{ "valid for 8 days", LONG_TTL, 60, KN_ERR_VERIFY,
	  "longer than the 7 days" },
	{ "oversized", TOO_BIG, 60, KN_ERR_TOOBIG, "more than the" },
};

static void
test_verify_refusals(void **state)
{
	struct fx *fx = *state;
	struct signer feed, tsa, other;
	struct kn_db *db2 = NULL;
	struct kn_ca_env env2 = fx->env;
	char *url2, *dir2, *anchors2 = NULL, *json, *good_json;
	/* Feeds claim a time two hours ahead, so that every time checked
	 * below is inside the signer's certificate. */
	time_t gen = time(NULL) + 7200;
	size_t i;

	make_signer(fx->db, &fx->env, "feed-signing", &feed);
	make_signer(fx->db, &fx->env, "tsa", &tsa);
	/* Another trust center: its own store, root and signer. */
	dir2 = tu_tmpdir();
	url2 = tu_printf("sqlite:%s/other.db", dir2);
	env2.key_dir = dir2;
	assert_int_equal(kn_db_open(&db2, url2), 0);
	assert_int_equal(kn_db_migrate(db2, NULL), 0);
	assert_int_equal(ca_in(db2, &env2), 0);
	make_signer(db2, &env2, "feed-signing", &other);
	assert_int_equal(kn_feed_anchors(db2, &anchors2), 0);
	good_json = feed_json(gen, gen + 86400);

	for (i = 0; i < NITEMS(vrows); i++) {
		const struct vrow *r = &vrows[i];
		const char *anchors = fx->anchors;
		struct kn_feed *f = NULL;
		unsigned char *der = NULL;
		size_t len = 0;
		int rc;

		json = good_json;
		switch (r->how) {
		case GOOD:
		case TAMPERED:
		case TRAILING:
		case NO_ANCHOR:
			sign_json(&feed, json, &der, &len);
			break;
		case WRONG_PROFILE:
			sign_json(&tsa, json, &der, &len);
			break;
		case OTHER_CA:
			sign_json(&other, json, &der, &len);
			break;
		case OTHER_CA_OWN:
			sign_json(&other, json, &der, &len);
			anchors = anchors2;
			break;
		case AS_DATA:
			sign_as_data(&feed, json, &der, &len);
			break;
		case NOT_DER:
			der = (unsigned char *)strdup("this is not a feed");
			len = strlen((char *)der);
			break;
		case BAD_JSON:
			json = strdup(good_json);
			/* A wrong check digit. */
			*strstr(json, "1010405009403") = '2';
			sign_json(&feed, json, &der, &len);
			free(json);
			break;
		case LONG_TTL:
			json = feed_json(gen, gen + 8 * 86400);
			sign_json(&feed, json, &der, &len);
			free(json);
			break;
		case TOO_BIG:
			len = KN_FEED_MAX_SIZE + 1;
			der = calloc(1, len);
			break;
		}
		if (r->how == TAMPERED)
			tamper(der, len);
		if (r->how == TRAILING) {
			der = realloc(der, len + 1);
			der[len++] = 0;
		}
		if (r->how == NO_ANCHOR)
			anchors = "";
		kn_err_clear();
		rc = kn_feed_verify(&f, der, len, anchors, gen + r->now, NULL);
		if (rc != r->want_rc)
			fail_msg("%s: rc %d (%s), want %d", r->name, rc,
			    kn_err_get()->msg, r->want_rc);
		if (rc == 0) {
			assert_non_null(f);
			CHECK_INT(r->name, f->n, 2);
			CHECK_STR(r->name, kn_feed_lookup(f,
			    "bank.example")->name, "株式会社テスト銀行");
			assert_null(kn_feed_lookup(f, "city.example")->name_en);
		} else {
			assert_null(f);
			CHECK_HAS(r->name, kn_err_get()->msg, r->want_msg);
		}
		kn_feed_free(f);
		free(der);
	}

	/* A signer whose certificate has expired by the time of checking:
	 * the chain says so (a feed claiming a later time changes
	 * nothing). */
	{
		struct kn_feed *f = NULL;
		unsigned char *der = NULL;
		size_t len = 0;
		time_t end;
		const ASN1_TIME *na = X509_get0_notAfter(feed.cert);
		struct tm tm;

		assert_int_equal(ASN1_TIME_to_tm(na, &tm), 1);
		end = timegm(&tm);
		json = feed_json(end + 60, end + 86400);
		sign_json(&feed, json, &der, &len);
		free(json);
		assert_int_equal(kn_feed_verify(&f, der, len, fx->anchors,
		    end + 3600, NULL), KN_ERR_VERIFY);
		CHECK_HAS("signer expired", kn_err_get()->msg,
		    "has a certificate in its chain that expired at");
		free(der);
	}
	/* Caps a receiver may set lower. */
	{
		struct kn_feed_limits lim = { .max_domains = 1 };
		struct kn_feed *f = NULL;
		unsigned char *der = NULL;
		size_t len = 0;

		sign_json(&feed, good_json, &der, &len);
		assert_int_equal(kn_feed_verify(&f, der, len, fx->anchors,
		    gen + 60, &lim), KN_ERR_TOOBIG);
		CHECK_HAS("max domains", kn_err_get()->msg,
		    "lists 2 domains, more than the 1");
		lim.max_domains = 0;
		lim.max_size = 100;
		assert_int_equal(kn_feed_verify(&f, der, len, fx->anchors,
		    gen + 60, &lim), KN_ERR_TOOBIG);
		free(der);
	}
	free(good_json);
	signer_free(&feed);
	signer_free(&tsa);
	signer_free(&other);
	free(anchors2);
	kn_db_close(db2);
	tu_rmtree(dir2);
	free(dir2);
	free(url2);
}

/* ---- the content's rules ---- */

#define HEAD0(v, issuer, serial, gen, nu) \
	"\"version\":" v ",\"issuer\":" issuer ",\"serial\":" serial \
	",\"generated\":" gen ",\"next_update\":" nu ",\"domains\":["
#define HEAD(v, issuer, serial, gen, nu) "{" HEAD0(v, issuer, serial, gen, nu)
#define OKHEAD0 HEAD0("1", "\"kakuin\"", "3", "\"2026-01-01T00:00:00Z\"", \
	"\"2026-01-02T00:00:00Z\"")
#define ENTRY0(d, num, name, en, at) \
	"\"domain\":" d ",\"number\":" num ",\"name\":" name \
	",\"name_en\":" en ",\"verified_at\":" at "}"
#define ENTRY(d, num, name, en, at) "{" ENTRY0(d, num, name, en, at)
#define OK1_0 ENTRY0("\"a.example\"", "\"1010405009403\"", \
	"\"甲株式会社\"", "null", "\"2025-12-01T00:00:00Z\"")
#define OK1 "{" OK1_0
#define OK2 ENTRY("\"b.example\"", "\"4011001099001\"", "\"乙\"", \
	"\"Otsu KK\"", "\"2025-12-01T00:00:00Z\"")
#define DOC(...) "{" OKHEAD0 __VA_ARGS__ "]}"

static const struct jrow {
	const char	*name;
	const char	*json;
	int		 want_rc;
	const char	*want_msg;
} jrows[] = {
	{ "good", DOC(OK1 "," OK2), 0, NULL },
	{ "no domains", DOC(""), 0, NULL },
	{ "not JSON", "{\"version\":1", KN_ERR_INVAL, "not valid JSON" },
	{ "empty", "", KN_ERR_INVAL, "not valid JSON" },
	{ "array", "[1]", KN_ERR_INVAL, "content is not a JSON object" },
	{ "trailing text", DOC(OK1) "x", KN_ERR_INVAL, "not valid JSON" },
	{ "unknown member",
	  "{\"extra\":1," OKHEAD0 OK1 "]}", KN_ERR_INVAL,
	  "member \"extra\" that a version 1 feed does not have" },
	{ "duplicate member",
	  "{\"serial\":4," OKHEAD0 OK1 "]}", KN_ERR_INVAL, "duplicate" },
	{ "missing member",
	  "{\"version\":1,\"issuer\":\"k\",\"serial\":3,\"generated\":"
	  "\"2026-01-01T00:00:00Z\",\"domains\":[]}", KN_ERR_INVAL,
	  "lacks the member \"next_update\"" },
	{ "version 2", HEAD("2", "\"k\"", "3", "\"2026-01-01T00:00:00Z\"",
	  "\"2026-01-02T00:00:00Z\"") "]}", KN_ERR_INVAL,
	  "reads version 1 feeds only" },
	{ "version as text", HEAD("\"1\"", "\"k\"", "3",
	  "\"2026-01-01T00:00:00Z\"", "\"2026-01-02T00:00:00Z\"") "]}",
	  KN_ERR_INVAL, "version is not 1" },
	{ "serial 0", HEAD("1", "\"k\"", "0", "\"2026-01-01T00:00:00Z\"",
	  "\"2026-01-02T00:00:00Z\"") "]}", KN_ERR_INVAL,
	  "serial is not a positive integer" },
	{ "serial real", HEAD("1", "\"k\"", "1.5",
	  "\"2026-01-01T00:00:00Z\"", "\"2026-01-02T00:00:00Z\"") "]}",
	  KN_ERR_INVAL, "serial is not a positive integer" },
	{ "serial huge", HEAD("1", "\"k\"", "99999999999999999999",
	  "\"2026-01-01T00:00:00Z\"", "\"2026-01-02T00:00:00Z\"") "]}",
	  KN_ERR_INVAL, "not valid JSON" },
	{ "issuer empty", HEAD("1", "\"\"", "3", "\"2026-01-01T00:00:00Z\"",
	  "\"2026-01-02T00:00:00Z\"") "]}", KN_ERR_INVAL,
	  "issuer is empty" },
	{ "issuer control", HEAD("1", "\"a\\u0007b\"", "3",
	  "\"2026-01-01T00:00:00Z\"", "\"2026-01-02T00:00:00Z\"") "]}",
	  KN_ERR_INVAL, "issuer is not valid" },
	{ "issuer null", HEAD("1", "null", "3", "\"2026-01-01T00:00:00Z\"",
	  "\"2026-01-02T00:00:00Z\"") "]}", KN_ERR_INVAL,
	  "issuer is not a string" },
	{ "time with a space", HEAD("1", "\"k\"", "3",
	  "\"2026-01-01 00:00:00Z\"", "\"2026-01-02T00:00:00Z\"") "]}",
	  KN_ERR_INVAL, "content.generated is not a UTC time" },
	{ "time with offset", HEAD("1", "\"k\"", "3",
	  "\"2026-01-01T00:00:00+09:00\"", "\"2026-01-02T00:00:00Z\"") "]}",
	  KN_ERR_INVAL, "generated is not a UTC time" },
	{ "February 30", HEAD("1", "\"k\"", "3", "\"2026-02-30T00:00:00Z\"",
	  "\"2026-03-02T00:00:00Z\"") "]}", KN_ERR_INVAL,
	  "generated is not a UTC time" },
	{ "hour 24", HEAD("1", "\"k\"", "3", "\"2026-01-01T24:00:00Z\"",
	  "\"2026-01-02T00:00:00Z\"") "]}", KN_ERR_INVAL,
	  "generated is not a UTC time" },
	{ "ends before it starts", HEAD("1", "\"k\"", "3",
	  "\"2026-01-02T00:00:00Z\"", "\"2026-01-02T00:00:00Z\"") "]}",
	  KN_ERR_INVAL, "is not after its generated time" },
	{ "domains object", "{\"version\":1,\"issuer\":\"k\",\"serial\":3,"
	  "\"generated\":\"2026-01-01T00:00:00Z\",\"next_update\":"
	  "\"2026-01-02T00:00:00Z\",\"domains\":{}}", KN_ERR_INVAL,
	  "domains is not an array" },
	{ "entry not object", DOC("\"a.example\""), KN_ERR_INVAL,
	  "domains[0] is not a JSON object" },
	{ "entry extra member", DOC("{\"x\":1," OK1_0), KN_ERR_INVAL,
	  "domains[0] has a member \"x\"" },
	{ "entry missing name_en", DOC("{\"domain\":\"a.example\","
	  "\"number\":\"1010405009403\",\"name\":\"甲\",\"verified_at\":"
	  "\"2025-12-01T00:00:00Z\"}"), KN_ERR_INVAL,
	  "lacks the member \"name_en\"" },
	{ "upper-case domain", DOC(ENTRY("\"A.example\"",
	  "\"1010405009403\"", "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")),
	  KN_ERR_INVAL, "not in normal form" },
	{ "trailing dot", DOC(ENTRY("\"a.example.\"", "\"1010405009403\"",
	  "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "not in normal form" },
	{ "one label", DOC(ENTRY("\"localhost\"", "\"1010405009403\"",
	  "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "domains[0].domain is not a domain name" },
	{ "underscore", DOC(ENTRY("\"a_b.example\"", "\"1010405009403\"",
	  "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "is not a domain name" },
	{ "address", DOC(ENTRY("\"192.0.2.1\"", "\"1010405009403\"",
	  "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "is not a domain name" },
	{ "U-label", DOC(ENTRY("\"例え.jp\"", "\"1010405009403\"",
	  "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "non-ASCII" },
	{ "domain null", DOC(ENTRY("null", "\"1010405009403\"", "\"甲\"",
	  "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "domain is not a string" },
	{ "number 12 digits", DOC(ENTRY("\"a.example\"", "\"010405009403\"",
	  "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "number is not a string of 13 digits" },
	{ "number check digit", DOC(ENTRY("\"a.example\"",
	  "\"2010405009403\"", "\"甲\"", "null",
	  "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "domains[0].number is not a corporate number" },
	{ "number as integer", DOC(ENTRY("\"a.example\"", "1010405009403",
	  "\"甲\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "number is not a string of 13 digits" },
	{ "number with letters", DOC(ENTRY("\"a.example\"",
	  "\"10104050094O3\"", "\"甲\"", "null",
	  "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "is not a corporate number" },
	{ "name empty", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "\"\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "domains[0].name is empty" },
	{ "name null", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "null", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "domains[0].name is not a string" },
	{ "name too long", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "\"" "0123456789012345678901234567890123456789012345678901234567"
	  "8901234567890123456789012345678901234567890123456789012345678901"
	  "23456789012345678901234567890\"", "null",
	  "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "domains[0].name is not valid" },
	{ "name with newline", DOC(ENTRY("\"a.example\"",
	  "\"1010405009403\"", "\"a\\nb\"", "null",
	  "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL, "name is not valid" },
	{ "name with NUL", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "\"a\\u0000b\"", "null", "\"2025-12-01T00:00:00Z\"")),
	  KN_ERR_INVAL, "not valid JSON" },
	{ "name bad UTF-8", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "\"\xff\xfe\"", "null", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "not valid JSON" },
	{ "name_en empty", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "\"甲\"", "\"\"", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "name_en is empty" },
	{ "name_en number", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "\"甲\"", "7", "\"2025-12-01T00:00:00Z\"")), KN_ERR_INVAL,
	  "name_en is not a string or null" },
	{ "verified_at bad", DOC(ENTRY("\"a.example\"", "\"1010405009403\"",
	  "\"甲\"", "null", "\"yesterday\"")), KN_ERR_INVAL,
	  "domains[0].verified_at is not a UTC time" },
	{ "out of order", DOC(OK2 "," OK1), KN_ERR_INVAL,
	  "domains[1] a.example is out of order" },
	{ "listed twice", DOC(OK1 "," OK1), KN_ERR_INVAL,
	  "a.example is listed twice" },
	{ "deep nesting", DOC("[[[[[[[[[[[[]]]]]]]]]]]]"), KN_ERR_INVAL,
	  "domains[0] is not a JSON object" },
};

static void
test_parse_json(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(jrows); i++) {
		const struct jrow *r = &jrows[i];
		struct kn_feed *f = NULL;
		int rc;

		kn_err_clear();
		rc = kn_feed_parse_json(&f, r->json, strlen(r->json), NULL);
		if (rc != r->want_rc)
			fail_msg("%s: rc %d (%s), want %d", r->name, rc,
			    kn_err_get()->msg, r->want_rc);
		if (rc == 0) {
			assert_non_null(f);
			CHECK_INT(r->name, f->serial, 3);
			CHECK_STR(r->name, f->issuer, "kakuin");
		} else {
			assert_null(f);
			CHECK_HAS(r->name, kn_err_get()->msg, r->want_msg);
			CHECK_STR(r->name, kn_err_get()->field, "feed");
		}
		kn_feed_free(f);
	}
}

/* What kn_feed_encode writes, kn_feed_parse_json reads back the same;
 * lookups ignore case and a trailing dot. */
static void
test_encode_parse(void **state)
{
	char *json = feed_json(1767225600, 1767225600 + 3600);
	struct kn_feed *f = NULL;
	struct kn_buf b;

	(void)state;
	assert_int_equal(kn_feed_parse_json(&f, json, strlen(json), NULL), 0);
	CHECK_STR("generated", f->generated, "2026-01-01T00:00:00Z");
	CHECK_INT("generated", f->generated_t, 1767225600);
	CHECK_INT("next", f->next_update_t, 1767225600 + 3600);
	CHECK_STR("lookup", kn_feed_lookup(f, "BANK.example.")->number,
	    "1010405009403");
	assert_null(kn_feed_lookup(f, "www.bank.example"));
	assert_null(kn_feed_lookup(f, ""));
	kn_buf_init(&b, 1 << 20);
	assert_int_equal(kn_feed_encode(&b, f), 0);
	assert_string_equal(b.data, json);
	/* A cap reached while writing is an error, not a short feed. */
	kn_buf_cleanup(&b);
	kn_buf_init(&b, 64);
	assert_int_equal(kn_feed_encode(&b, f), KN_ERR_TOOBIG);
	kn_buf_cleanup(&b);
	kn_feed_free(f);
	free(json);
}

static void
test_conf(void **state)
{
	struct kn_feed_conf fc = { .ttl = 599 };
	struct kn_feed_pub *p = NULL;

	(void)state;
	assert_int_equal(kn_feed_pub_new(&p, &fc), KN_ERR_INVAL);
	assert_string_equal(kn_err_get()->field, "feed_ttl");
	fc.ttl = KN_FEED_MAX_TTL + 1;
	assert_int_equal(kn_feed_pub_new(&p, &fc), KN_ERR_INVAL);
	fc.ttl = KN_FEED_MAX_TTL;
	assert_int_equal(kn_feed_pub_new(&p, &fc), 0);
	kn_feed_pub_free(p);
}

#define FEED_TESTS(setup) \
	cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_registry_changes, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_life_and_no_keys, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_signer_revoked, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_verify_refusals, setup, \
	    teardown)

int
main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_parse_json),
		cmocka_unit_test(test_encode_parse),
		cmocka_unit_test(test_conf),
	};
	const struct CMUnitTest sqlite_tests[] = { FEED_TESTS(setup_sqlite) };
	const struct CMUnitTest pg_tests[] = { FEED_TESTS(setup_pg) };
	const char *pg = getenv("KAKUIN_TEST_PG");
	int failed;

	failed = cmocka_run_group_tests_name("feed content", plain, NULL,
	    NULL);
	failed += cmocka_run_group_tests_name("feed sqlite", sqlite_tests,
	    NULL, NULL);
	if (pg != NULL && *pg != '\0')
		failed += cmocka_run_group_tests_name("feed postgresql",
		    pg_tests, NULL, NULL);
	return failed != 0;
}
