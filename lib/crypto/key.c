/*
 * key.c - key algorithms, the keystore, file: keys, and pkcs11: URIs
 * (RFC 7512).  PKCS#11 itself lives in p11.c.
 *
 * Threads: a keystore may be shared.  ks->lock guards its cache of loaded
 * pkcs11: keys (a URI is loaded once; every kn_key_load returns a new
 * reference) and its module reference; p11.c documents the locks below it.
 * file: keys are read afresh on each load and need no lock.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "base/buf.h"
#include "base/text.h"
#include "crypto/key.h"

#define LABEL_MAX	64
#define URI_MAX		1024
#define OBJECT_MAX	255
#define TOKEN_MAX	32
#define KEYFILE_MAX	(64 * 1024)
#define CACHE_MAX	1024
/* scrypt for PBES2 (RFC 7914); 16 MiB, within OpenSSL's 32 MiB default. */
#define SCRYPT_N	16384
#define SCRYPT_R	8
#define SCRYPT_P	1

static const struct {
	enum kn_keyalg	 alg;
	const char	*name;
} algtab[] = {
	{ KN_KEY_EC_P256, "ec-p256" },
	{ KN_KEY_EC_P384, "ec-p384" },
	{ KN_KEY_RSA_2048, "rsa-2048" },
	{ KN_KEY_RSA_3072, "rsa-3072" },
	{ KN_KEY_RSA_4096, "rsa-4096" },
	{ KN_KEY_ED25519, "ed25519" },
};

struct cached {
	char		*token;
	char		*object;
	EVP_PKEY	*pkey;
};

struct kn_signer {
	char			*uri;
	EVP_PKEY		*pkey;
	struct kn_p11sign	*p11;		/* NULL: OpenSSL signs */
};

static void
signer_free(struct kn_signer *s)
{
	if (s == NULL)
		return;
	kn_p11sign_free(s->p11);
	EVP_PKEY_free(s->pkey);
	free(s->uri);
	free(s);
}

struct kn_keystore {
	char		*module;
	char		*token;
	char		*pin;
	char		*passphrase;
	char		*softhsm_conf;
	pthread_mutex_t	 lock;
	struct kn_p11mod *mod;		/* once a pkcs11: key is loaded */
	struct cached	*cache;
	size_t		 ncache;
	size_t		 capcache;
	uint64_t	 id;
	struct kn_signer **signers;		/* under lock */
	size_t		 nsigners;
	size_t		 capsigners;
};

static uint64_t keystore_ids;

uint64_t
kn_keystore_id(const struct kn_keystore *ks)
{
	return ks->id;
}

int
kn_keyalg_parse(enum kn_keyalg *out, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(algtab) / sizeof(algtab[0]); i++) {
		if (strcmp(s, algtab[i].name) == 0) {
			*out = algtab[i].alg;
			return 0;
		}
	}
	return kn_err_set(KN_ERR_INVAL, "alg",
	    "unknown key algorithm; use ec-p256, ec-p384, rsa-2048, rsa-3072, "
	    "rsa-4096 or ed25519");
}

const char *
kn_keyalg_name(enum kn_keyalg alg)
{
	size_t i;

	for (i = 0; i < sizeof(algtab) / sizeof(algtab[0]); i++) {
		if (algtab[i].alg == alg)
			return algtab[i].name;
	}
	return "none";
}

static int
curve_nid(EVP_PKEY *pkey)
{
	EVP_PKEY *pub = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	char name[80];
	size_t len = 0;
	int n, nid = NID_undef;

	if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1) {
		/* A key without parameter access: ask its public half. */
		ERR_clear_error();
		if ((n = i2d_PUBKEY(pkey, &der)) <= 0)
			goto out;
		p = der;
		if ((pub = d2i_PUBKEY(NULL, &p, n)) == NULL ||
		    p != der + n ||
		    EVP_PKEY_get_group_name(pub, name, sizeof(name),
		    &len) != 1)
			goto out;
	}
	if ((nid = OBJ_sn2nid(name)) == NID_undef)
		nid = EC_curve_nist2nid(name);
 out:
	ERR_clear_error();
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
	return nid;
}

enum kn_keyalg
kn_keyalg_of(EVP_PKEY *pkey)
{
	if (pkey == NULL)
		return KN_KEY_NONE;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(pkey)) {
		case 2048:
			return KN_KEY_RSA_2048;
		case 3072:
			return KN_KEY_RSA_3072;
		case 4096:
			return KN_KEY_RSA_4096;
		default:
			return KN_KEY_NONE;
		}
	case EVP_PKEY_EC:
		switch (curve_nid(pkey)) {
		case NID_X9_62_prime256v1:
			return KN_KEY_EC_P256;
		case NID_secp384r1:
			return KN_KEY_EC_P384;
		default:
			return KN_KEY_NONE;
		}
	case EVP_PKEY_ED25519:
		return KN_KEY_ED25519;
	default:
		return KN_KEY_NONE;
	}
}

/* Keystore -------------------------------------------------------------- */

static void
free_secret(char *s)
{
	if (s != NULL)
		OPENSSL_clear_free(s, strlen(s) + 1);
}

static int
dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s != NULL && (*out = strdup(s)) == NULL)
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

int
kn_keystore_new(struct kn_keystore **out, const struct kn_keystore_config *c)
{
	struct kn_keystore *ks;
	int r;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	pthread_mutex_init(&ks->lock, NULL);
	ks->id = __atomic_add_fetch(&keystore_ids, 1, __ATOMIC_RELAXED);
	if ((r = dup_opt(&ks->module, c->module)) < 0 ||
	    (r = dup_opt(&ks->token, c->token)) < 0 ||
	    (r = dup_opt(&ks->pin, c->pin)) < 0 ||
	    (r = dup_opt(&ks->passphrase, c->passphrase)) < 0 ||
	    (r = dup_opt(&ks->softhsm_conf, c->softhsm_conf)) < 0) {
		kn_keystore_free(ks);
		return r;
	}
	*out = ks;
	return 0;
}

void
kn_keystore_free(struct kn_keystore *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	/* Our references go before libp11 releases the keys they wrap. */
	for (i = 0; i < ks->nsigners; i++)
		signer_free(ks->signers[i]);
	free(ks->signers);
	for (i = 0; i < ks->ncache; i++) {
		EVP_PKEY_free(ks->cache[i].pkey);
		free(ks->cache[i].token);
		free(ks->cache[i].object);
	}
	free(ks->cache);
	kn_p11mod_put(ks->mod);
	free(ks->module);
	free(ks->token);
	free_secret(ks->pin);
	free_secret(ks->passphrase);
	free(ks->softhsm_conf);
	pthread_mutex_destroy(&ks->lock);
	free(ks);
}

/* URIs ------------------------------------------------------------------ */

static bool
valid_label(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > LABEL_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	}
	return true;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes p[0..n) into out[max + 1] (RFC 3986 section 2.1). */
static int
pct_decode(char *out, size_t max, const char *p, size_t n, const char *attr)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			if (i + 2 >= n)
				goto bad;
			if ((hi = hexval(p[i + 1])) < 0 ||
			    (lo = hexval(p[i + 2])) < 0)
				goto bad;
			c = hi << 4 | lo;
			i += 2;
			if (c == 0)
				return kn_err_set(KN_ERR_INVAL, "uri",
				    "RFC 7512: the %s attribute contains "
				    "%%00", attr);
		}
		if (o >= max)
			return kn_err_set(KN_ERR_INVAL, "uri",
			    "RFC 7512: the %s attribute is longer than %zu "
			    "bytes", attr, max);
		out[o++] = (char)c;
	}
	if (o == 0)
		return kn_err_set(KN_ERR_INVAL, "uri",
		    "RFC 7512: the %s attribute is empty", attr);
	out[o] = '\0';
	return 0;
 bad:
	return kn_err_set(KN_ERR_INVAL, "uri",
	    "RFC 3986 section 2.1: bad percent-encoding in the %s attribute",
	    attr);
}

int
kn_key_pkcs11_uri_parse(char token[33], char object[256], const char *uri)
{
	const char *p, *end, *attr, *eq, *semi;
	bool have_token = false, have_object = false;
	size_t n;
	int r;

	if (uri == NULL || strncasecmp(uri, "pkcs11:", 7) != 0)
		return kn_err_set(KN_ERR_INVAL, "uri",
		    "RFC 7512: a PKCS#11 URI starts with \"pkcs11:\"");
	if ((n = strlen(uri)) > URI_MAX)
		return kn_err_set(KN_ERR_INVAL, "uri",
		    "the key URI is longer than %d bytes", URI_MAX);
	p = uri + 7;
	/* RFC 7512 section 2.3: the query follows "?"; nothing we use. */
	if ((end = strchr(p, '?')) == NULL)
		end = uri + n;
	while (p < end) {
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		attr = p;
		p = semi < end ? semi + 1 : end;
		if (semi == attr)
			return kn_err_set(KN_ERR_INVAL, "uri",
			    "RFC 7512 section 2.3: empty path attribute");
		if ((eq = memchr(attr, '=', (size_t)(semi - attr))) == NULL)
			return kn_err_set(KN_ERR_INVAL, "uri",
			    "RFC 7512 section 2.3: path attribute without "
			    "\"=\"");
		n = (size_t)(eq - attr);
		if (n == 5 && strncmp(attr, "token", 5) == 0) {
			if (have_token)
				goto dup;
			have_token = true;
			if ((r = pct_decode(token, TOKEN_MAX, eq + 1,
			    (size_t)(semi - eq - 1), "token")) < 0)
				return r;
		} else if (n == 6 && strncmp(attr, "object", 6) == 0) {
			if (have_object)
				goto dup;
			have_object = true;
			if ((r = pct_decode(object, OBJECT_MAX, eq + 1,
			    (size_t)(semi - eq - 1), "object")) < 0)
				return r;
		}
		/* Other attributes (type, id, serial...) are ignored. */
	}
	if (!have_token || !have_object)
		return kn_err_set(KN_ERR_INVAL, "uri",
		    "RFC 7512: kakuin needs a PKCS#11 URI with token= and "
		    "object=, e.g. pkcs11:token=kakuin;object=ca");
	return 0;
 dup:
	return kn_err_set(KN_ERR_INVAL, "uri",
	    "RFC 7512 section 2.3: an attribute appears more than once");
}

/* Appends s percent-encoded for a PKCS#11 URI path attribute value. */
static void
put_pct(struct kn_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			kn_buf_putn(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		kn_buf_putn(b, e, 3);
	}
}

/* file: keys ------------------------------------------------------------ */

static int
need_passphrase(const struct kn_keystore *ks)
{
	if (ks->passphrase == NULL || *ks->passphrase == '\0')
		return kn_err_set(KN_ERR_CONFIG, "passphrase",
		    "no keystore passphrase is configured for file: keys");
	if (strlen(ks->passphrase) > INT_MAX)
		return kn_err_set(KN_ERR_CONFIG, "passphrase",
		    "the keystore passphrase is too long");
	return 0;
}

static int
keygen(EVP_PKEY **out, enum kn_keyalg alg)
{
	EVP_PKEY *pkey = NULL;

	switch (alg) {
	case KN_KEY_EC_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case KN_KEY_EC_P384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case KN_KEY_RSA_2048:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case KN_KEY_RSA_3072:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case KN_KEY_RSA_4096:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	case KN_KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		return kn_err_set(KN_ERR_INVAL, "alg",
		    "unsupported key algorithm");
	}
	if (pkey == NULL) {
		ERR_clear_error();
		return kn_err_set(KN_ERR_CRYPTO, NULL,
		    "%s key generation failed", kn_keyalg_name(alg));
	}
	*out = pkey;
	return 0;
}

/* PKCS#8 EncryptedPrivateKeyInfo, PBES2 with scrypt and AES-256-CBC. */
static int
encrypt_pem(BIO *bio, EVP_PKEY *pkey, const char *pass)
{
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *p8 = NULL;
	int r = KN_ERR_CRYPTO;

	if ((p8inf = EVP_PKEY2PKCS8(pkey)) == NULL)
		goto out;
	pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL,
	    SCRYPT_N, SCRYPT_R, SCRYPT_P);
	if (pbe == NULL)
		goto out;
	if ((p8 = PKCS8_set0_pbe(pass, (int)strlen(pass), p8inf, pbe)) ==
	    NULL)
		goto out;
	pbe = NULL;
	if (PEM_write_bio_PKCS8(bio, p8) != 1)
		goto out;
	r = 0;
 out:
	if (r != 0) {
		ERR_clear_error();
		kn_err_set(r, NULL, "cannot encrypt the private key");
	}
	X509_SIG_free(p8);
	X509_ALGOR_free(pbe);
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	return r;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
generate_file(struct kn_keystore *ks, const char *file_dir,
    enum kn_keyalg alg, const char *label, char **uri)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char dir[PATH_MAX], path[PATH_MAX], *pem, *s = NULL;
	long pemlen;
	int fd = -1, n, r;
	bool created = false;

	if ((r = need_passphrase(ks)) < 0)
		return r;
	if (file_dir == NULL || *file_dir == '\0')
		return kn_err_set(KN_ERR_INVAL, "dir",
		    "no directory given for the file: key");
	if (realpath(file_dir, dir) == NULL)
		return kn_err_set(errno == ENOENT ? KN_ERR_NOTFOUND : KN_ERR_IO,
		    "dir", "cannot use directory %s: %s", file_dir,
		    strerror(errno));
	n = snprintf(path, sizeof(path), "%s/%s.key.pem", dir, label);
	if (n < 0 || (size_t)n >= sizeof(path))
		return kn_err_set(KN_ERR_TOOBIG, "dir",
		    "the key file's path is too long");
	if ((r = keygen(&pkey, alg)) < 0)
		goto out;
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((r = encrypt_pem(bio, pkey, ks->passphrase)) < 0)
		goto out;
	pemlen = BIO_get_mem_data(bio, &pem);
	if (pemlen <= 0) {
		r = kn_err_set(KN_ERR_INTERNAL, NULL, "empty key file");
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST)
			r = kn_err_set(KN_ERR_EXISTS, "label",
			    "key file %s already exists", path);
		else
			r = kn_err_set(KN_ERR_IO, NULL, "cannot create %s: %s",
			    path, strerror(errno));
		goto out;
	}
	created = true;
	if (fchmod(fd, 0600) != 0 ||
	    write_all(fd, pem, (size_t)pemlen) != 0 || fsync(fd) != 0) {
		r = kn_err_set(KN_ERR_IO, NULL, "cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		r = kn_err_set(KN_ERR_IO, NULL, "cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (asprintf(&s, "file:%s", path) < 0) {
		s = NULL;
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	*uri = s;
	created = false;
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	if (created)
		(void)unlink(path);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return r;
}

static int
read_keyfile(const char *path, char **out, size_t *outlen)
{
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return kn_err_set(errno == ENOENT ? KN_ERR_NOTFOUND : KN_ERR_IO,
		    "uri", "cannot open key file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		r = kn_err_set(KN_ERR_IO, "uri", "%s is not a regular file",
		    path);
		goto out;
	}
	if (sb.st_size > KEYFILE_MAX) {
		r = kn_err_set(KN_ERR_TOOBIG, "uri",
		    "key file %s is larger than %d bytes", path, KEYFILE_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	while (n < (size_t)sb.st_size) {
		got = read(fd, buf + n, (size_t)sb.st_size - n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	if (n != (size_t)sb.st_size) {
		r = kn_err_set(KN_ERR_IO, "uri", "cannot read %s", path);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	close(fd);
	return r;
}

static int
load_file(struct kn_keystore *ks, const char *path, EVP_PKEY **out)
{
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;
	X509_SIG *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *text = NULL, *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t textlen = 0;
	long derlen = 0;
	int r;

	if ((r = need_passphrase(ks)) < 0)
		return r;
	if ((r = read_keyfile(path, &text, &textlen)) < 0)
		return r;
	if ((bio = BIO_new_mem_buf(text, (int)textlen)) == NULL) {
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) != 1) {
		r = kn_err_set(KN_ERR_INVAL, "uri",
		    "%s is not a PEM private key file", path);
		goto out;
	}
	if (strcmp(name, PEM_STRING_PKCS8) != 0) {
		if (strstr(name, "PRIVATE KEY") != NULL)
			r = kn_err_set(KN_ERR_INVAL, "uri",
			    "%s: file: keys must be encrypted at rest "
			    "(PEM \"ENCRYPTED PRIVATE KEY\", PKCS#8); this "
			    "one is \"%s\"", path, name);
		else
			r = kn_err_set(KN_ERR_INVAL, "uri",
			    "%s holds a \"%s\", not a private key", path,
			    name);
		goto out;
	}
	p = der;
	if ((p8 = d2i_X509_SIG(NULL, &p, derlen)) == NULL ||
	    p != der + derlen) {
		r = kn_err_set(KN_ERR_INVAL, "uri",
		    "%s: malformed EncryptedPrivateKeyInfo (RFC 5958 "
		    "section 3)", path);
		goto out;
	}
	p8inf = PKCS8_decrypt(p8, ks->passphrase,
	    (int)strlen(ks->passphrase));
	if (p8inf == NULL) {
		r = kn_err_set(KN_ERR_AUTH, "passphrase",
		    "the keystore passphrase does not decrypt %s (wrong "
		    "passphrase, or a damaged file)", path);
		goto out;
	}
	if ((pkey = EVP_PKCS82PKEY(p8inf)) == NULL) {
		r = kn_err_set(KN_ERR_INVAL, "uri",
		    "%s: the decrypted private key is malformed", path);
		goto out;
	}
	if (kn_keyalg_of(pkey) == KN_KEY_NONE) {
		r = kn_err_set(KN_ERR_INVAL, "uri",
		    "%s: the key's algorithm is not one kakuin accepts "
		    "(EC P-256/P-384, RSA 2048/3072/4096, Ed25519)", path);
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
 out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	X509_SIG_free(p8);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	free(text);
	return r;
}

/* pkcs11: keys ---------------------------------------------------------- */

static int
load_pkcs11(struct kn_keystore *ks, const char *uri, EVP_PKEY **out)
{
	char token[TOKEN_MAX + 1], object[OBJECT_MAX + 1];
	struct cached *c;
	EVP_PKEY *pkey = NULL;
	size_t i;
	int r;

	if ((r = kn_key_pkcs11_uri_parse(token, object, uri)) < 0)
		return r;
	pthread_mutex_lock(&ks->lock);
	for (i = 0; i < ks->ncache; i++) {
		c = &ks->cache[i];
		if (strcmp(c->token, token) == 0 &&
		    strcmp(c->object, object) == 0) {
			if (EVP_PKEY_up_ref(c->pkey) != 1) {
				r = kn_err_set(KN_ERR_CRYPTO, NULL,
				    "cannot reference the key");
				goto out;
			}
			*out = c->pkey;
			r = 0;
			goto out;
		}
	}
	if ((r = kn_reserve(&ks->cache, &ks->capcache, ks->ncache,
	    sizeof(*ks->cache), CACHE_MAX)) < 0) {
		kn_err_set(r, NULL, "too many PKCS#11 keys loaded");
		goto out;
	}
	if (ks->mod == NULL && (r = kn_p11mod_get(&ks->mod, ks->module,
	    ks->softhsm_conf)) < 0)
		goto out;
	if ((r = kn_p11mod_load_key(ks->mod, &pkey, token, object,
	    ks->pin)) < 0)
		goto out;
	if (kn_keyalg_of(pkey) == KN_KEY_NONE) {
		r = kn_err_set(KN_ERR_INVAL, "uri",
		    "PKCS#11 key \"%s\" uses an algorithm or size kakuin does "
		    "not accept", object);
		goto out;
	}
	c = &ks->cache[ks->ncache];
	if ((c->token = strdup(token)) == NULL ||
	    (c->object = strdup(object)) == NULL ||
	    EVP_PKEY_up_ref(pkey) != 1) {
		free(c->token);
		free(c->object);
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	c->pkey = pkey;
	ks->ncache++;
	*out = pkey;
	pkey = NULL;
	r = 0;
 out:
	pthread_mutex_unlock(&ks->lock);
	EVP_PKEY_free(pkey);
	return r;
}

/* Signers --------------------------------------------------------------- */

static int
signer_new(struct kn_keystore *ks, const char *uri, struct kn_signer **out)
{
	char token[TOKEN_MAX + 1], object[OBJECT_MAX + 1];
	struct kn_signer *s;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->uri = strdup(uri)) == NULL) {
		free(s);
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	}
	if ((r = kn_key_load(ks, uri, &s->pkey)) < 0)
		goto out;
	if (strncasecmp(uri, "pkcs11:", 7) == 0) {
		/* kn_key_load parsed the URI and loaded ks->mod. */
		if ((r = kn_key_pkcs11_uri_parse(token, object, uri)) < 0 ||
		    (r = kn_p11sign_new(ks->mod, &s->p11, token, object,
		    s->pkey)) < 0)
			goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
 out:
	signer_free(s);
	return r;
}

int
kn_key_signer(struct kn_keystore *ks, const char *uri,
    struct kn_signer **out)
{
	struct kn_signer *s = NULL;
	size_t i;
	int r;

	if (uri == NULL || *uri == '\0')
		return kn_err_set(KN_ERR_INVAL, "uri", "no key URI given");
	pthread_mutex_lock(&ks->lock);
	for (i = 0; i < ks->nsigners; i++) {
		if (strcmp(ks->signers[i]->uri, uri) == 0) {
			*out = ks->signers[i];
			pthread_mutex_unlock(&ks->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&ks->lock);
	/* Made unlocked (kn_key_load locks); a racing twin is dropped. */
	if ((r = signer_new(ks, uri, &s)) < 0)
		return r;
	pthread_mutex_lock(&ks->lock);
	r = 0;
	for (i = 0; i < ks->nsigners; i++) {
		if (strcmp(ks->signers[i]->uri, uri) == 0) {
			*out = ks->signers[i];
			goto out;
		}
	}
	if ((r = kn_reserve(&ks->signers, &ks->capsigners, ks->nsigners,
	    sizeof(*ks->signers), CACHE_MAX)) < 0) {
		r = kn_err_set(r, NULL, "too many signing keys loaded");
		goto out;
	}
	ks->signers[ks->nsigners++] = s;
	*out = s;
	s = NULL;
	r = 0;
 out:
	pthread_mutex_unlock(&ks->lock);
	signer_free(s);
	return r;
}

EVP_PKEY *
kn_signer_pkey(const struct kn_signer *s)
{
	return s->pkey;
}

int
kn_signer_sign(struct kn_signer *s, const EVP_MD *md, const void *tbs,
    size_t n, unsigned char *sig, size_t *siglen)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = NULL;
	int r = 0;

	if (s->p11 != NULL && kn_p11sign_takes(s->p11, md)) {
		size_t cap = *siglen;

		if (EVP_Digest(tbs, n, dg, &dlen, md, NULL) != 1)
			return kn_err_set(KN_ERR_CRYPTO, NULL,
			    "cannot compute the digest to sign");
		if (kn_p11sign_digest(s->p11, md, dg, dlen, sig, siglen) == 0)
			return 0;
		/* The token failed twice in the signer's sessions: once more
		 * through libp11's, as kn_key_load's key signs. */
		*siglen = cap;
		kn_err_clear();
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, md, NULL, s->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, siglen, tbs, n) != 1) {
		ERR_clear_error();
		r = kn_err_set(KN_ERR_CRYPTO, NULL, "the key cannot sign");
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Entry points ---------------------------------------------------------- */

int
kn_key_generate(struct kn_keystore *ks, const char *kind,
    const char *file_dir, enum kn_keyalg alg, const char *label, char **uri)
{
	struct kn_buf b;
	int r;

	if (!valid_label(label))
		return kn_err_set(KN_ERR_INVAL, "label",
		    "a key label is 1 to %d characters of a-z, 0-9, \".\", "
		    "\"_\" and \"-\"", LABEL_MAX);
	if (strcmp(kn_keyalg_name(alg), "none") == 0)
		return kn_err_set(KN_ERR_INVAL, "alg",
		    "unsupported key algorithm");
	if (kind != NULL && strcmp(kind, "file") == 0)
		return generate_file(ks, file_dir, alg, label, uri);
	if (kind == NULL || strcmp(kind, "pkcs11") != 0)
		return kn_err_set(KN_ERR_INVAL, "kind",
		    "a key is kept in \"pkcs11\" (a token) or \"file\"");
	if ((r = kn_p11_generate(ks->module, ks->softhsm_conf, ks->token,
	    ks->pin, alg, label)) < 0)
		return r;
	kn_buf_init(&b, URI_MAX);
	kn_buf_puts(&b, "pkcs11:token=");
	put_pct(&b, ks->token);
	kn_buf_puts(&b, ";object=");
	put_pct(&b, label);
	if (b.failed) {
		kn_buf_cleanup(&b);
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	}
	*uri = kn_buf_steal(&b, NULL);
	return 0;
}

/* Drops what ks keeps of uri (token and object, when a pkcs11: URI). */
static void
forget(struct kn_keystore *ks, const char *uri, const char *token,
    const char *object)
{
	size_t i;

	pthread_mutex_lock(&ks->lock);
	for (i = 0; i < ks->nsigners; i++) {
		if (strcmp(ks->signers[i]->uri, uri) == 0) {
			signer_free(ks->signers[i]);
			ks->signers[i] = ks->signers[--ks->nsigners];
			break;
		}
	}
	for (i = 0; token != NULL && i < ks->ncache; i++) {
		struct cached *c = &ks->cache[i];

		if (strcmp(c->token, token) == 0 &&
		    strcmp(c->object, object) == 0) {
			EVP_PKEY_free(c->pkey);
			free(c->token);
			free(c->object);
			ks->cache[i] = ks->cache[--ks->ncache];
			break;
		}
	}
	pthread_mutex_unlock(&ks->lock);
}

int
kn_key_destroy(struct kn_keystore *ks, const char *uri)
{
	char token[TOKEN_MAX + 1], object[OBJECT_MAX + 1];
	const char *path;
	int r;

	if (uri == NULL || *uri == '\0')
		return kn_err_set(KN_ERR_INVAL, "uri", "no key URI given");
	if (strncasecmp(uri, "pkcs11:", 7) == 0) {
		if ((r = kn_key_pkcs11_uri_parse(token, object, uri)) < 0)
			return r;
		forget(ks, uri, token, object);
		return kn_p11_destroy(ks->module, ks->softhsm_conf, token,
		    ks->pin, object);
	}
	if (strncasecmp(uri, "file:", 5) != 0)
		return kn_err_set(KN_ERR_INVAL, "uri",
		    "a key URI starts with \"pkcs11:\" or \"file:\"");
	path = uri + 5;
	if (strncmp(path, "//", 2) == 0)
		path += 2;
	forget(ks, uri, NULL, NULL);
	if (unlink(path) == -1)
		return kn_err_set(errno == ENOENT ? KN_ERR_NOTFOUND : KN_ERR_IO,
		    "uri", "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int
kn_key_load(struct kn_keystore *ks, const char *uri, EVP_PKEY **out)
{
	const char *path;

	if (uri == NULL || *uri == '\0')
		return kn_err_set(KN_ERR_INVAL, "uri", "no key URI given");
	if (strncasecmp(uri, "pkcs11:", 7) == 0)
		return load_pkcs11(ks, uri, out);
	if (strncasecmp(uri, "file:", 5) == 0) {
		path = uri + 5;
		/* RFC 8089: file:///path is file:/path with an empty host. */
		if (strncmp(path, "//", 2) == 0) {
			path += 2;
			if (*path != '/')
				return kn_err_set(KN_ERR_INVAL, "uri",
				    "RFC 8089: only local file: URIs "
				    "(file:///path) are supported");
		}
		if (*path == '\0')
			return kn_err_set(KN_ERR_INVAL, "uri",
			    "the file: URI has no path");
		return load_file(ks, path, out);
	}
	return kn_err_set(KN_ERR_INVAL, "uri",
	    "a key URI starts with \"pkcs11:\" (RFC 7512) or \"file:\"");
}
