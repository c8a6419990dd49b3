/*
 * fuzz_feed.c - the receiver's side of the mail-domain feed on arbitrary
 * bytes: kn_feed_verify() on them as a DER feed, kn_feed_parse_json() on
 * them as its content, and, when they parse, the same content signed by a
 * real feed signer (a scratch store with a root and an issuing CA) and
 * verified.  Whatever comes in: an error with a detail, or a feed whose
 * entries are sorted, valid and found by lookup, that writes back to the
 * same JSON and whose signed form the verifier reads the same way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "ca_fixture.h"
#include "registry/feed.h"
#include "store/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kn_db *db;
static struct kn_ca_env env;
static char *anchors;
static X509 *signer;
static EVP_PKEY *key;
static STACK_OF(X509) *chain;

static X509 *
pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (x == NULL)
		abort();
	return x;
}

static void
setup(void)
{
	struct kn_stmt *st;
	struct kn_ca ca;
	char serial[KN_SERIAL_HEX], *pem = NULL;

	fuzz_ca_fixture("feed", &db, &env);
	if (kn_feed_anchors(db, &anchors) != 0 ||
	    kn_feed_signer(db, &env, "fuzz", serial, &pem) != 0)
		abort();
	signer = pem_x509(pem);
	free(pem);
	if (kn_db_stmt(db, &st, "SELECT key_uri FROM feed_signers") != 0 ||
	    kn_stmt_step(st) != KN_ROW ||
	    kn_key_load(env.ks, kn_stmt_text(st, 0), &key) != 0)
		abort();
	kn_stmt_done(st);
	if (kn_ca_get(db, &ca, "issuing") != 0 ||
	    (chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(chain, pem_x509(ca.cert_pem)))
		abort();
	kn_ca_cleanup(&ca);
}

/* What any feed that was accepted must be. */
static void
check_feed(const struct kn_feed *f)
{
	size_t i;

	if (f->issuer == NULL || f->serial < 1 ||
	    f->next_update_t <= f->generated_t || f->json == NULL)
		abort();
	for (i = 0; i < f->n; i++) {
		if (i > 0 && strcmp(f->v[i - 1].domain, f->v[i].domain) >= 0)
			abort();
		if (kn_feed_lookup(f, f->v[i].domain) != &f->v[i] ||
		    strlen(f->v[i].number) != 13 || f->v[i].name == NULL)
			abort();
	}
}

static void
refused(int rc)
{
	if (rc >= 0 || kn_err_get()->msg[0] == '\0')
		abort();
}

/* Written back, it reads the same and writes the same again. */
static void
round_trip(const struct kn_feed *f)
{
	struct kn_buf a, b;
	struct kn_feed *g = NULL;

	kn_buf_init(&a, KN_FEED_MAX_SIZE);
	kn_buf_init(&b, KN_FEED_MAX_SIZE);
	if (kn_feed_encode(&a, f) != 0 ||
	    kn_feed_parse_json(&g, a.data, a.len, NULL) != 0 ||
	    g->n != f->n || g->serial != f->serial ||
	    kn_feed_encode(&b, g) != 0 || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0)
		abort();
	kn_feed_free(g);
	kn_buf_cleanup(&a);
	kn_buf_cleanup(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_feed *f = NULL, *g = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	int rc;

	if (db == NULL)
		setup();
	kn_err_clear();
	rc = kn_feed_verify(&f, data, size, anchors, time(NULL), NULL);
	if (rc == 0)
		check_feed(f);
	else if (f != NULL)
		abort();
	else
		refused(rc);
	kn_feed_free(f);
	f = NULL;

	kn_err_clear();
	if ((rc = kn_feed_parse_json(&f, (const char *)data, size,
	    NULL)) != 0) {
		if (f != NULL)
			abort();
		refused(rc);
		return 0;
	}
	check_feed(f);
	round_trip(f);
	/* Signed by a real signer, the verifier reads the content as the
	 * parser did; only time can stand in the way. */
	if (kn_feed_sign(&der, &len, (const char *)data, size, signer, key,
	    chain) != 0)
		abort();
	kn_err_clear();
	rc = kn_feed_verify(&g, der, len, anchors, f->generated_t + 1, NULL);
	if (rc == 0) {
		check_feed(g);
		if (g->n != f->n || g->serial != f->serial)
			abort();
	} else if (rc != KN_ERR_VERIFY)
		abort();
	kn_feed_free(g);
	kn_feed_free(f);
	free(der);
	return 0;
}
