/*
 * test_key.c - keys by URI: file: (encrypted PKCS#8) and pkcs11: (a fresh
 * SoftHSM2 token per test), signing through the loaded EVP_PKEY and
 * verifying with its public half.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/key.h"
#include "testutil.h"

#define MODULE		"/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN		"kakuin"
#define PIN		"1234"
#define SO_PIN		"87654321"
#define PASSPHRASE	"correct horse battery staple"

struct fx {
	char			*dir;
	char			 conf[4096];
	struct kn_keystore	*ks;
};

static struct kn_keystore_config
config(const struct fx *f)
{
	struct kn_keystore_config c = {
		.module = MODULE,
		.token = TOKEN,
		.pin = PIN,
		.passphrase = PASSPHRASE,
		.softhsm_conf = f->conf,
	};

	return c;
}

static struct kn_keystore *
keystore(const struct kn_keystore_config *c)
{
	struct kn_keystore *ks = NULL;

	assert_int_equal(kn_keystore_new(&ks, c), 0);
	return ks;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct kn_keystore_config c;

	if (f == NULL)
		return -1;
	f->dir = tu_tmpdir();
	if (kn_softhsm_init(f->dir, MODULE, TOKEN, PIN, SO_PIN, f->conf,
	    sizeof(f->conf)) != 0) {
		fprintf(stderr, "# softhsm init: %s\n", kn_err_get()->msg);
		return -1;
	}
	c = config(f);
	if (kn_keystore_new(&f->ks, &c) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	kn_keystore_free(f->ks);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Signs msg with key and verifies it with the key's public half only. */
static void
sign_verify(const char *row, EVP_PKEY *key, bool pss)
{
	static const unsigned char msg[] = "kakuin: was this data changed?";
	EVP_MD_CTX *mc = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *pub = NULL;
	const EVP_MD *md;
	unsigned char *der = NULL, sig[1024];
	const unsigned char *p;
	size_t siglen = sizeof(sig);
	int n;

	md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL :
	    EVP_sha256();
	if ((n = i2d_PUBKEY(key, &der)) <= 0)
		fail_msg("%s: i2d_PUBKEY failed", row);
	p = der;
	if ((pub = d2i_PUBKEY(NULL, &p, n)) == NULL || p != der + n)
		fail_msg("%s: d2i_PUBKEY failed", row);

	assert_non_null(mc = EVP_MD_CTX_new());
	if (EVP_DigestSignInit(mc, &pc, md, NULL, key) != 1)
		fail_msg("%s: EVP_DigestSignInit failed", row);
	if (pss && (EVP_PKEY_CTX_set_rsa_padding(pc,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1))
		fail_msg("%s: PSS set-up failed", row);
	if (EVP_DigestSign(mc, sig, &siglen, msg, sizeof(msg)) != 1) {
		ERR_print_errors_fp(stderr);
		fail_msg("%s: EVP_DigestSign failed", row);
	}
	EVP_MD_CTX_free(mc);

	assert_non_null(mc = EVP_MD_CTX_new());
	if (EVP_DigestVerifyInit(mc, &pc, md, NULL, pub) != 1)
		fail_msg("%s: EVP_DigestVerifyInit failed", row);
	if (pss && (EVP_PKEY_CTX_set_rsa_padding(pc,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1))
		fail_msg("%s: PSS set-up failed", row);
	if (EVP_DigestVerify(mc, sig, siglen, msg, sizeof(msg)) != 1)
		fail_msg("%s: signature does not verify", row);
	/* A changed message must not verify. */
	if (EVP_DigestVerifyInit(mc, &pc, md, NULL, pub) != 1 ||
	    (pss && EVP_PKEY_CTX_set_rsa_padding(pc,
	    RSA_PKCS1_PSS_PADDING) != 1) ||
	    EVP_DigestVerify(mc, sig, siglen, msg, sizeof(msg) - 2) == 1)
		fail_msg("%s: a changed message verifies", row);
	ERR_clear_error();
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
}

static char *
slurp(const char *path)
{
	FILE *fp;
	char *s;
	long n;

	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	if (fread(s, 1, (size_t)n, fp) != (size_t)n)
		fail_msg("read %s", path);
	fclose(fp);
	return s;
}

static void
test_keyalg(void **state)
{
	static const struct {
		const char	*s;
		int		 want_r;
		enum kn_keyalg	 want;
	} tab[] = {
		{ "ec-p256", 0, KN_KEY_EC_P256 },
		{ "ec-p384", 0, KN_KEY_EC_P384 },
		{ "rsa-2048", 0, KN_KEY_RSA_2048 },
		{ "rsa-3072", 0, KN_KEY_RSA_3072 },
		{ "rsa-4096", 0, KN_KEY_RSA_4096 },
		{ "ed25519", 0, KN_KEY_ED25519 },
		{ "EC-P256", KN_ERR_INVAL, KN_KEY_NONE },
		{ "ec-p521", KN_ERR_INVAL, KN_KEY_NONE },
		{ "rsa-1024", KN_ERR_INVAL, KN_KEY_NONE },
		{ "", KN_ERR_INVAL, KN_KEY_NONE },
		{ "none", KN_ERR_INVAL, KN_KEY_NONE },
	};
	/* Keys kakuin refuses: kn_keyalg_of says none. */
	static const struct {
		const char	*name;
		const char	*type;
		const char	*curve;
		size_t		 bits;
	} bad[] = {
		{ "P-521", "EC", "P-521", 0 },
		{ "secp256k1", "EC", "secp256k1", 0 },
		{ "brainpool", "EC", "brainpoolP256r1", 0 },
		{ "RSA-1024", "RSA", NULL, 1024 },
		{ "RSA-2056", "RSA", NULL, 2056 },
		{ "X25519", "X25519", NULL, 0 },
		{ "Ed448", "ED448", NULL, 0 },
	};
	enum kn_keyalg a;
	EVP_PKEY *k;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		a = KN_KEY_NONE;
		CHECK_INT(tab[i].s, kn_keyalg_parse(&a, tab[i].s),
		    tab[i].want_r);
		CHECK_INT(tab[i].s, a, tab[i].want);
		if (tab[i].want_r == 0)
			CHECK_STR(tab[i].s, kn_keyalg_name(a), tab[i].s);
	}
	CHECK_STR("none", kn_keyalg_name(KN_KEY_NONE), "none");
	CHECK_INT("NULL", kn_keyalg_of(NULL), KN_KEY_NONE);
	for (i = 0; i < NITEMS(bad); i++) {
		if (bad[i].curve != NULL)
			k = EVP_PKEY_Q_keygen(NULL, NULL, bad[i].type,
			    bad[i].curve);
		else if (bad[i].bits != 0)
			k = EVP_PKEY_Q_keygen(NULL, NULL, bad[i].type,
			    bad[i].bits);
		else
			k = EVP_PKEY_Q_keygen(NULL, NULL, bad[i].type);
		if (k == NULL)
			fail_msg("%s: keygen failed", bad[i].name);
		CHECK_INT(bad[i].name, kn_keyalg_of(k), KN_KEY_NONE);
		EVP_PKEY_free(k);
	}
}

static void
test_generate_sign(void **state)
{
	static const struct {
		enum kn_keyalg	 alg;
		const char	*kind;
		int		 want_gen;
		const char	*want_msg;
	} tab[] = {
		{ KN_KEY_EC_P256, "pkcs11", 0, NULL },
		{ KN_KEY_EC_P384, "pkcs11", 0, NULL },
		{ KN_KEY_RSA_2048, "pkcs11", 0, NULL },
		{ KN_KEY_RSA_3072, "pkcs11", 0, NULL },
		{ KN_KEY_RSA_4096, "pkcs11", 0, NULL },
		{ KN_KEY_ED25519, "pkcs11", KN_ERR_INVAL, "Ed25519" },
		{ KN_KEY_EC_P256, "file", 0, NULL },
		{ KN_KEY_EC_P384, "file", 0, NULL },
		{ KN_KEY_RSA_2048, "file", 0, NULL },
		{ KN_KEY_RSA_3072, "file", 0, NULL },
		{ KN_KEY_RSA_4096, "file", 0, NULL },
		{ KN_KEY_ED25519, "file", 0, NULL },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < NITEMS(tab); i++) {
		EVP_PKEY *k = NULL, *k2 = NULL, *indep;
		char row[64], label[64], *uri = NULL, *pem, *furi;
		struct stat sb;
		bool file = strcmp(tab[i].kind, "file") == 0;
		BIO *bio;
		int r;

		snprintf(row, sizeof(row), "%s/%s", tab[i].kind,
		    kn_keyalg_name(tab[i].alg));
		snprintf(label, sizeof(label), "k-%s",
		    kn_keyalg_name(tab[i].alg));
		r = kn_key_generate(f->ks, tab[i].kind, f->dir, tab[i].alg,
		    label, &uri);
		CHECK_INT(row, r, tab[i].want_gen);
		if (r != 0) {
			CHECK_HAS(row, kn_err_get()->msg, tab[i].want_msg);
			continue;
		}
		if (file) {
			char *want = tu_printf("file:%s/%s.key.pem", f->dir,
			    label);
			char real[4096];

			/* tu_tmpdir may sit behind a symlink. */
			if (realpath(f->dir, real) != NULL) {
				free(want);
				want = tu_printf("file:%s/%s.key.pem", real,
				    label);
			}
			CHECK_STR(row, uri, want);
			free(want);
			if (stat(uri + 5, &sb) != 0)
				fail_msg("%s: no key file", row);
			CHECK_INT(row, sb.st_mode & 07777, 0600);
			pem = slurp(uri + 5);
			if (strncmp(pem,
			    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 38) != 0)
				fail_msg("%s: file is not encrypted PKCS#8",
				    row);
			/* libcrypto's own reader agrees. */
			bio = BIO_new_mem_buf(pem, -1);
			indep = PEM_read_bio_PrivateKey(bio, NULL, NULL,
			    (void *)PASSPHRASE);
			if (indep == NULL)
				fail_msg("%s: PEM_read_bio_PrivateKey", row);
			CHECK_INT(row, kn_keyalg_of(indep), tab[i].alg);
			EVP_PKEY_free(indep);
			BIO_free(bio);
			free(pem);
		} else {
			char *want = tu_printf("pkcs11:token=%s;object=%s",
			    TOKEN, label);

			CHECK_STR(row, uri, want);
			free(want);
		}
		r = kn_key_load(f->ks, uri, &k);
		if (r != 0)
			fail_msg("%s: load: %s", row, kn_err_get()->msg);
		CHECK_INT(row, kn_keyalg_of(k), tab[i].alg);
		sign_verify(row, k, false);
		if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
			sign_verify(row, k, true);
		/* A second load gives a reference of its own. */
		CHECK_INT(row, kn_key_load(f->ks, uri, &k2), 0);
		if (!file && k2 != k)
			fail_msg("%s: pkcs11 key not cached", row);
		sign_verify(row, k2, false);
		EVP_PKEY_free(k2);
		/* The same label again. */
		free(uri);
		uri = NULL;
		CHECK_INT(row, kn_key_generate(f->ks, tab[i].kind, f->dir,
		    tab[i].alg, label, &uri), KN_ERR_EXISTS);
		CHECK_INT(row, uri == NULL, 1);
		if (file) {
			/* file:///path names the same file. */
			furi = tu_printf("file://%s/%s.key.pem", f->dir,
			    label);
			CHECK_INT(row, kn_key_load(f->ks, furi, &k2), 0);
			CHECK_INT(row, kn_keyalg_of(k2), tab[i].alg);
			EVP_PKEY_free(k2);
			free(furi);
		}
		EVP_PKEY_free(k);
	}
}

/* Loading a new key must not disturb keys loaded before it. */
static void
test_pkcs11_more_keys(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *a = NULL, *b = NULL;
	char *ua = NULL, *ub = NULL, label[16];
	int i;

	assert_int_equal(kn_key_generate(f->ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "a", &ua), 0);
	assert_int_equal(kn_key_load(f->ks, ua, &a), 0);
	for (i = 0; i < 5; i++) {
		snprintf(label, sizeof(label), "b%d", i);
		assert_int_equal(kn_key_generate(f->ks, "pkcs11", NULL,
		    KN_KEY_EC_P256, label, &ub), 0);
		assert_int_equal(kn_key_load(f->ks, ub, &b), 0);
		sign_verify(label, b, false);
		sign_verify("a", a, false);
		EVP_PKEY_free(b);
		free(ub);
	}
	EVP_PKEY_free(a);
	free(ua);
}

static void
test_file_errors(void **state)
{
	struct fx *f = *state;
	struct kn_keystore_config c = config(f);
	struct kn_keystore *ks;
	EVP_PKEY *k = NULL, *plain;
	char *uri = NULL, *path, *furi;
	BIO *bio;
	FILE *fp;
	size_t i;
	static const char *const badlabels[] = {
		"", "A", "a b", "a/b", "../x", "ca\n", "caé",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};

	for (i = 0; i < NITEMS(badlabels); i++)
		CHECK_INT(badlabels[i], kn_key_generate(f->ks, "file", f->dir,
		    KN_KEY_EC_P256, badlabels[i], &uri), KN_ERR_INVAL);
	CHECK_INT("NULL label", kn_key_generate(f->ks, "file", f->dir,
	    KN_KEY_EC_P256, NULL, &uri), KN_ERR_INVAL);
	CHECK_INT("kind", kn_key_generate(f->ks, "disk", f->dir,
	    KN_KEY_EC_P256, "x", &uri), KN_ERR_INVAL);
	CHECK_INT("alg", kn_key_generate(f->ks, "file", f->dir,
	    KN_KEY_NONE, "x", &uri), KN_ERR_INVAL);
	path = tu_printf("%s/missing", f->dir);
	CHECK_INT("no dir", kn_key_generate(f->ks, "file", path,
	    KN_KEY_EC_P256, "x", &uri), KN_ERR_NOTFOUND);
	free(path);

	assert_int_equal(kn_key_generate(f->ks, "file", f->dir,
	    KN_KEY_EC_P256, "good", &uri), 0);

	/* Wrong passphrase. */
	c.passphrase = "wrong horse";
	ks = keystore(&c);
	CHECK_INT("wrong passphrase", kn_key_load(ks, uri, &k), KN_ERR_AUTH);
	CHECK_HAS("wrong passphrase", kn_err_get()->msg, "passphrase");
	if (strstr(kn_err_get()->msg, "wrong horse") != NULL)
		fail_msg("the passphrase is in the error message");
	kn_keystore_free(ks);

	/* No passphrase. */
	c.passphrase = NULL;
	ks = keystore(&c);
	CHECK_INT("no passphrase", kn_key_load(ks, uri, &k), KN_ERR_CONFIG);
	CHECK_INT("no passphrase gen", kn_key_generate(ks, "file", f->dir,
	    KN_KEY_EC_P256, "other", &uri), KN_ERR_CONFIG);
	kn_keystore_free(ks);
	free(uri);
	uri = NULL;

	/* Unencrypted PKCS#8 and traditional PEM are refused. */
	plain = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(plain);
	path = tu_printf("%s/plain.key.pem", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, plain, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(fp);
	furi = tu_printf("file:%s", path);
	CHECK_INT("plain", kn_key_load(f->ks, furi, &k), KN_ERR_INVAL);
	CHECK_HAS("plain", kn_err_get()->msg,
	    "file: keys must be encrypted at rest");
	free(furi);
	free(path);
	path = tu_printf("%s/trad.key.pem", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_non_null(bio = BIO_new_fp(fp, BIO_NOCLOSE));
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, plain,
	    NULL, NULL, 0, NULL, NULL), 1);
	BIO_free(bio);
	fclose(fp);
	furi = tu_printf("file:%s", path);
	CHECK_INT("traditional", kn_key_load(f->ks, furi, &k), KN_ERR_INVAL);
	CHECK_HAS("traditional", kn_err_get()->msg, "encrypted at rest");
	free(furi);
	free(path);

	/* An encrypted key kakuin does not accept (P-521). */
	EVP_PKEY_free(plain);
	plain = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	assert_non_null(plain);
	path = tu_printf("%s/p521.key.pem", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PKCS8PrivateKey(fp, plain,
	    EVP_aes_256_cbc(), PASSPHRASE, (int)strlen(PASSPHRASE), NULL,
	    NULL), 1);
	fclose(fp);
	furi = tu_printf("file:%s", path);
	CHECK_INT("p521", kn_key_load(f->ks, furi, &k), KN_ERR_INVAL);
	free(furi);
	free(path);
	EVP_PKEY_free(plain);

	/* Not a key; truncated; trailing garbage in the DER; missing. */
	{
		static const struct {
			const char	*name;
			const char	*text;
			int		 want;
		} tab[] = {
			{ "empty", "", KN_ERR_INVAL },
			{ "cert", "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n"
			    "-----END CERTIFICATE-----\n", KN_ERR_INVAL },
			{ "truncated", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
			    "MIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
			    KN_ERR_INVAL },
			{ "trailing", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
			    "MAMCAQAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
			    KN_ERR_INVAL },
		};

		for (i = 0; i < NITEMS(tab); i++) {
			path = tu_write(f->dir, "bad.pem", tab[i].text,
			    strlen(tab[i].text));
			furi = tu_printf("file:%s", path);
			CHECK_INT(tab[i].name, kn_key_load(f->ks, furi, &k),
			    tab[i].want);
			free(furi);
			free(path);
		}
	}
	furi = tu_printf("file:%s/nothere.key.pem", f->dir);
	CHECK_INT("missing", kn_key_load(f->ks, furi, &k), KN_ERR_NOTFOUND);
	free(furi);
	CHECK_INT("remote", kn_key_load(f->ks, "file://host/k.pem", &k),
	    KN_ERR_INVAL);
	CHECK_INT("empty", kn_key_load(f->ks, "file:", &k), KN_ERR_INVAL);
	CHECK_INT("scheme", kn_key_load(f->ks, "http://x/k.pem", &k),
	    KN_ERR_INVAL);
	CHECK_INT("NULL", kn_key_load(f->ks, NULL, &k), KN_ERR_INVAL);
}

static void
test_uri_parse(void **state)
{
	static const struct {
		const char	*uri;
		int		 want;
		const char	*want_token;
		const char	*want_object;
	} tab[] = {
		{ "pkcs11:token=kakuin;object=ca", 0, "kakuin", "ca" },
		{ "PKCS11:object=ca;token=kakuin", 0, "kakuin", "ca" },
		{ "pkcs11:token=my%20token;object=ca%2fsub;type=private", 0,
		    "my token", "ca/sub" },
		{ "pkcs11:manufacturer=SoftHSM%20project;token=t;object=o"
		    "?pin-value=1234", 0, "t", "o" },
		{ "pkcs11:token=t;object=o;id=%01%02", 0, "t", "o" },
		{ "pkcs11:token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;object=o", 0,
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "o" },
		{ "pkcs11:", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=kakuin", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:object=ca", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=t;object=o%zz", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=t;object=o%4", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=t;object=o%", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=t;object=a%00b", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=t;object=", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=a;token=b;object=o", KN_ERR_INVAL, NULL,
		    NULL },
		{ "pkcs11:token;object=o", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=t;;object=o", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;object=o",
		    KN_ERR_INVAL, NULL, NULL },
		{ "pkcs11:?token=t;object=o", KN_ERR_INVAL, NULL, NULL },
		{ "pkcs:token=t;object=o", KN_ERR_INVAL, NULL, NULL },
		{ "", KN_ERR_INVAL, NULL, NULL },
	};
	char token[33], object[256];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		int r = kn_key_pkcs11_uri_parse(token, object, tab[i].uri);

		CHECK_INT(tab[i].uri, r, tab[i].want);
		if (r == 0) {
			CHECK_STR(tab[i].uri, token, tab[i].want_token);
			CHECK_STR(tab[i].uri, object, tab[i].want_object);
		} else if (strncmp(tab[i].uri, "pkcs11:", 7) == 0 &&
		    strstr(kn_err_get()->msg, "RFC ") == NULL)
			fail_msg("%s: error names no RFC: %s", tab[i].uri,
			    kn_err_get()->msg);
	}
	CHECK_INT("NULL", kn_key_pkcs11_uri_parse(token, object, NULL),
	    KN_ERR_INVAL);
}

static void
test_pkcs11_errors(void **state)
{
	struct fx *f = *state;
	struct kn_keystore_config c = config(f);
	struct kn_keystore *ks;
	EVP_PKEY *k = NULL;
	char *uri = NULL;

	/* Wrong PIN before anyone in the process has logged in. */
	c.pin = "9999";
	ks = keystore(&c);
	CHECK_INT("wrong pin gen", kn_key_generate(ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "x", &uri), KN_ERR_AUTH);
	CHECK_INT("wrong pin load", kn_key_load(ks,
	    "pkcs11:token=kakuin;object=x", &k), KN_ERR_AUTH);
	if (strstr(kn_err_get()->msg, "9999") != NULL)
		fail_msg("the PIN is in the error message");
	kn_keystore_free(ks);

	assert_int_equal(kn_key_generate(f->ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "ca", &uri), 0);
	assert_int_equal(kn_key_load(f->ks, uri, &k), 0);
	EVP_PKEY_free(k);

	/* Wrong PIN while the token is logged in for another keystore. */
	ks = keystore(&c);
	CHECK_INT("wrong pin live", kn_key_load(ks, uri, &k), KN_ERR_AUTH);
	CHECK_INT("wrong pin gen live", kn_key_generate(ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "y", &uri), KN_ERR_AUTH);
	kn_keystore_free(ks);

	CHECK_INT("dup", kn_key_generate(f->ks, "pkcs11", NULL,
	    KN_KEY_EC_P384, "ca", &uri), KN_ERR_EXISTS);
	CHECK_INT("token", kn_key_load(f->ks, "pkcs11:token=other;object=ca",
	    &k), KN_ERR_NOTFOUND);
	CHECK_INT("object", kn_key_load(f->ks,
	    "pkcs11:token=kakuin;object=nope", &k), KN_ERR_NOTFOUND);
	CHECK_INT("malformed", kn_key_load(f->ks, "pkcs11:token=kakuin", &k),
	    KN_ERR_INVAL);
	CHECK_HAS("malformed", kn_err_get()->msg, "RFC 7512");
	free(uri);
	uri = NULL;

	/* Configuration. */
	c = config(f);
	c.token = "other";
	ks = keystore(&c);
	CHECK_INT("gen unknown token", kn_key_generate(ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "z", &uri), KN_ERR_NOTFOUND);
	kn_keystore_free(ks);
	c = config(f);
	c.pin = NULL;
	ks = keystore(&c);
	CHECK_INT("no pin", kn_key_generate(ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "z", &uri), KN_ERR_CONFIG);
	CHECK_INT("no pin load", kn_key_load(ks,
	    "pkcs11:token=kakuin;object=ca", &k), KN_ERR_CONFIG);
	kn_keystore_free(ks);
	c = config(f);
	c.pin = "123";
	ks = keystore(&c);
	CHECK_INT("short pin", kn_key_generate(ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "z", &uri), KN_ERR_CONFIG);
	kn_keystore_free(ks);
	c = config(f);
	c.module = NULL;
	ks = keystore(&c);
	CHECK_INT("no module", kn_key_generate(ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "z", &uri), KN_ERR_CONFIG);
	CHECK_INT("no module load", kn_key_load(ks,
	    "pkcs11:token=kakuin;object=ca", &k), KN_ERR_CONFIG);
	kn_keystore_free(ks);
	c = config(f);
	c.module = "/nonexistent/libpkcs11.so";
	ks = keystore(&c);
	CHECK_INT("bad module", kn_key_generate(ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "z", &uri), KN_ERR_CONFIG);
	CHECK_INT("bad module load", kn_key_load(ks,
	    "pkcs11:token=kakuin;object=ca", &k), KN_ERR_CONFIG);
	kn_keystore_free(ks);
}

static void
test_two_keystores(void **state)
{
	struct fx *f = *state;
	struct kn_keystore_config c = config(f);
	struct kn_keystore *ks2;
	EVP_PKEY *k1 = NULL, *k2 = NULL;
	char *uri = NULL;

	assert_int_equal(kn_key_generate(f->ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "shared", &uri), 0);
	assert_int_equal(kn_key_load(f->ks, uri, &k1), 0);
	ks2 = keystore(&c);
	assert_int_equal(kn_key_load(ks2, uri, &k2), 0);
	sign_verify("ks1", k1, false);
	sign_verify("ks2", k2, false);
	/* Generation while libp11 holds the module open. */
	free(uri);
	assert_int_equal(kn_key_generate(ks2, "pkcs11", NULL,
	    KN_KEY_RSA_2048, "later", &uri), 0);
	EVP_PKEY_free(k1);
	assert_int_equal(kn_key_load(f->ks, uri, &k1), 0);
	sign_verify("later", k1, false);
	EVP_PKEY_free(k1);
	/* The first keystore goes; the second keeps working. */
	kn_keystore_free(f->ks);
	f->ks = NULL;
	sign_verify("ks2 alone", k2, false);
	EVP_PKEY_free(k2);
	kn_keystore_free(ks2);
	free(uri);
}

static void
test_softhsm_init(void **state)
{
	struct fx *f = *state;
	char conf[4096], *text, *dir;

	text = slurp(f->conf);
	CHECK_HAS("conf", text, "objectstore.backend = file");
	CHECK_HAS("conf", text, "slots.removable = false");
	CHECK_HAS("conf", text, "/tokens\n");
	free(text);
	CHECK_INT("same label", kn_softhsm_init(f->dir, MODULE, TOKEN, PIN,
	    SO_PIN, conf, sizeof(conf)), KN_ERR_EXISTS);
	/* A second token in the same store. */
	CHECK_INT("second", kn_softhsm_init(f->dir, MODULE, "second", PIN,
	    SO_PIN, conf, sizeof(conf)), 0);
	CHECK_STR("second", conf, f->conf);
	dir = tu_printf("%s/sub", f->dir);
	CHECK_INT("short pin", kn_softhsm_init(dir, MODULE, "t", "123",
	    SO_PIN, conf, sizeof(conf)), KN_ERR_CONFIG);
	CHECK_INT("short so pin", kn_softhsm_init(dir, MODULE, "t", PIN,
	    "", conf, sizeof(conf)), KN_ERR_CONFIG);
	CHECK_INT("long label", kn_softhsm_init(dir, MODULE,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", PIN, SO_PIN, conf,
	    sizeof(conf)), KN_ERR_CONFIG);
	CHECK_INT("small out", kn_softhsm_init(dir, MODULE, "t", PIN,
	    SO_PIN, conf, 8), KN_ERR_TOOBIG);
	free(dir);
}

struct worker {
	EVP_PKEY	*key;
	int		 n;
	int		 failed;
	struct kn_keystore *ks;
	const char	*uri;
};

static void *
work(void *arg)
{
	static const unsigned char msg[] = "threads";
	struct worker *w = arg;
	EVP_PKEY *k = NULL;
	unsigned char sig[256];
	size_t siglen;
	int i;

	for (i = 0; i < w->n; i++) {
		EVP_MD_CTX *mc = EVP_MD_CTX_new();

		if (kn_key_load(w->ks, w->uri, &k) != 0) {
			w->failed++;
			EVP_MD_CTX_free(mc);
			continue;
		}
		siglen = sizeof(sig);
		if (mc == NULL ||
		    EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, k) != 1 ||
		    EVP_DigestSign(mc, sig, &siglen, msg, sizeof(msg)) != 1 ||
		    EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL,
		    w->key) != 1 ||
		    EVP_DigestVerify(mc, sig, siglen, msg, sizeof(msg)) != 1)
			w->failed++;
		EVP_MD_CTX_free(mc);
		EVP_PKEY_free(k);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct fx *f = *state;
	struct worker w[4];
	pthread_t t[4];
	EVP_PKEY *pub = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	char *uri = NULL;
	size_t i;
	int n;

	assert_int_equal(kn_key_generate(f->ks, "pkcs11", NULL,
	    KN_KEY_EC_P256, "busy", &uri), 0);
	{
		EVP_PKEY *k = NULL;

		assert_int_equal(kn_key_load(f->ks, uri, &k), 0);
		n = i2d_PUBKEY(k, &der);
		assert_true(n > 0);
		p = der;
		assert_non_null(pub = d2i_PUBKEY(NULL, &p, n));
		EVP_PKEY_free(k);
	}
	for (i = 0; i < NITEMS(w); i++) {
		w[i] = (struct worker){ pub, 100, 0, f->ks, uri };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < NITEMS(w); i++) {
		pthread_join(t[i], NULL);
		CHECK_INT("thread", w[i].failed, 0);
	}
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
	free(uri);
}

/*
 * The signer: pkcs11: EC and RSA keys sign in the token through sessions
 * of their own (CKM_ECDSA, CKM_RSA_PKCS over a DigestInfo), a file: key
 * through OpenSSL; every signature verifies with the public half, under
 * each digest the hot paths use, from several threads at once, and the
 * token keeps one key per label after the signer's sessions are gone.
 */
struct sgn_worker {
	struct kn_signer	*s;
	EVP_PKEY		*pub;
	const EVP_MD		*md;
	int			 rounds;
	int			 failed;
};

static int
signer_verify(struct kn_signer *s, EVP_PKEY *pub, const EVP_MD *md,
    const unsigned char *msg, size_t len)
{
	EVP_MD_CTX *mc = NULL;
	unsigned char sig[1024];
	size_t siglen = (size_t)EVP_PKEY_get_size(kn_signer_pkey(s));
	int ok;

	if (siglen > sizeof(sig) || kn_signer_sign(s, md, msg, len, sig,
	    &siglen) != 0)
		return 0;
	if ((mc = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(mc, NULL, md, NULL, pub) == 1 &&
	    EVP_DigestVerify(mc, sig, siglen, msg, len) == 1;
	/* The signature is over these bytes, not any others. */
	if (ok && EVP_DigestVerifyInit(mc, NULL, md, NULL, pub) == 1 &&
	    EVP_DigestVerify(mc, sig, siglen, msg, len - 1) == 1)
		ok = 0;
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
	return ok;
}

static void *
sgn_work(void *arg)
{
	struct sgn_worker *w = arg;
	unsigned char msg[64];
	int i;

	for (i = 0; i < w->rounds; i++) {
		memset(msg, i, sizeof(msg));
		if (!signer_verify(w->s, w->pub, w->md, msg, sizeof(msg)))
			w->failed++;
	}
	return NULL;
}

static EVP_PKEY *
public_half(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub;
	int n;

	assert_true((n = i2d_PUBKEY(key, &der)) > 0);
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	assert_non_null(pub);
	return pub;
}

static void
test_signer(void **state)
{
	static const struct {
		const char	*label;
		const char	*kind;
		enum kn_keyalg	 alg;
		const char	*md;
	} rows[] = {
		{ "sgn-p256", "pkcs11", KN_KEY_EC_P256, "SHA256" },
		{ "sgn-p384", "pkcs11", KN_KEY_EC_P384, "SHA384" },
		{ "sgn-rsa", "pkcs11", KN_KEY_RSA_2048, "SHA256" },
		{ "sgn-rsa", "pkcs11", KN_KEY_RSA_2048, "SHA512" },
		/* No DigestInfo of its own: signed through OpenSSL. */
		{ "sgn-rsa", "pkcs11", KN_KEY_RSA_2048, "SHA3-256" },
		{ "sgn-file", "file", KN_KEY_EC_P256, "SHA256" },
	};
	struct fx *f = *state;
	struct kn_keystore *ks2;
	struct kn_keystore_config c = config(f);
	struct kn_signer *s, *again;
	struct sgn_worker w[4];
	pthread_t t[4];
	EVP_PKEY *pub, *k;
	EVP_MD *md;
	char *uri = NULL, row[80];
	size_t i, j;

	for (i = 0; i < NITEMS(rows); i++) {
		snprintf(row, sizeof(row), "%s %s", rows[i].label,
		    rows[i].md);
		free(uri);
		uri = NULL;
		if (i == 0 || strcmp(rows[i].label, rows[i - 1].label) != 0)
			CHECK_INT(row, kn_key_generate(f->ks, rows[i].kind,
			    f->dir, rows[i].alg, rows[i].label, &uri), 0);
		else {
			/* The URI as the first row of this key made it. */
			char *u2 = NULL;

			CHECK_INT(row, kn_key_generate(f->ks, rows[i].kind,
			    f->dir, rows[i].alg, rows[i].label, &u2),
			    KN_ERR_EXISTS);
			free(u2);
			if (strcmp(rows[i].kind, "file") == 0)
				continue;
			uri = malloc(128);
			snprintf(uri, 128, "pkcs11:token=%s;object=%s", TOKEN,
			    rows[i].label);
		}
		CHECK_INT(row, kn_key_signer(f->ks, uri, &s), 0);
		CHECK_INT(row, kn_key_signer(f->ks, uri, &again), 0);
		if (s != again)
			fail_msg("%s: a second signer for one URI", row);
		assert_non_null(md = EVP_MD_fetch(NULL, rows[i].md, NULL));
		pub = public_half(kn_signer_pkey(s));
		for (j = 0; j < NITEMS(w); j++) {
			w[j] = (struct sgn_worker){ s, pub, md, 50, 0 };
			assert_int_equal(pthread_create(&t[j], NULL, sgn_work,
			    &w[j]), 0);
		}
		for (j = 0; j < NITEMS(w); j++) {
			pthread_join(t[j], NULL);
			CHECK_INT(row, w[j].failed, 0);
		}
		EVP_PKEY_free(pub);
		EVP_MD_free(md);
	}
	free(uri);

	/* Another keystore of the process loads a key whose session
	 * copies are alive: it finds the token object, one of its label. */
	ks2 = keystore(&c);
	k = NULL;
	CHECK_INT("beside", kn_key_load(ks2,
	    "pkcs11:token=kakuin;object=sgn-p256", &k), 0);
	EVP_PKEY_free(k);
	kn_keystore_free(ks2);

	/* A URI naming no key gives no signer. */
	CHECK_INT("missing", kn_key_signer(f->ks,
	    "pkcs11:token=kakuin;object=nothing", &s), KN_ERR_NOTFOUND);
	CHECK_INT("empty", kn_key_signer(f->ks, "", &s), KN_ERR_INVAL);

	/* The session copies went with the first keystore's sessions: a
	 * new keystore still finds exactly one key of each label. */
	kn_keystore_free(f->ks);
	f->ks = NULL;
	ks2 = keystore(&c);
	k = NULL;
	CHECK_INT("after", kn_key_load(ks2,
	    "pkcs11:token=kakuin;object=sgn-p256", &k), 0);
	EVP_PKEY_free(k);
	f->ks = ks2;
}

/* A key destroyed is gone from the token or the disk, a new keystore no
 * longer finds it, and its label can be made again. */
static void
test_destroy(void **state)
{
	static const char *const kinds[] = { "pkcs11", "file" };
	struct fx *f = *state;
	struct kn_keystore_config c = config(f);
	struct kn_signer *s;
	EVP_PKEY *k = NULL;
	char *uri = NULL, *again = NULL;
	size_t i;

	for (i = 0; i < NITEMS(kinds); i++) {
		CHECK_INT(kinds[i], kn_key_generate(f->ks, kinds[i], f->dir,
		    KN_KEY_EC_P256, "doomed", &uri), 0);
		CHECK_INT(kinds[i], kn_key_load(f->ks, uri, &k), 0);
		EVP_PKEY_free(k);
		k = NULL;
		CHECK_INT(kinds[i], kn_key_signer(f->ks, uri, &s), 0);
		CHECK_INT(kinds[i], kn_key_destroy(f->ks, uri), 0);
		CHECK_INT(kinds[i], kn_key_destroy(f->ks, uri),
		    KN_ERR_NOTFOUND);
		/* libp11 keeps its list until the module is unloaded. */
		kn_keystore_free(f->ks);
		f->ks = keystore(&c);
		CHECK_INT(kinds[i], kn_key_load(f->ks, uri, &k),
		    KN_ERR_NOTFOUND);
		CHECK_INT(kinds[i], kn_key_generate(f->ks, kinds[i], f->dir,
		    KN_KEY_EC_P256, "doomed", &again), 0);
		CHECK_STR(kinds[i], again, uri);
		CHECK_INT(kinds[i], kn_key_load(f->ks, again, &k), 0);
		EVP_PKEY_free(k);
		k = NULL;
		CHECK_INT(kinds[i], kn_key_destroy(f->ks, again), 0);
		free(uri);
		free(again);
		uri = again = NULL;
	}
	CHECK_INT("bad", kn_key_destroy(f->ks, "http://x"), KN_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyalg),
		cmocka_unit_test(test_uri_parse),
		cmocka_unit_test_setup_teardown(test_generate_sign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pkcs11_more_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pkcs11_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_keystores, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_softhsm_init, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_signer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_destroy, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("key", tests, NULL, NULL);
}
