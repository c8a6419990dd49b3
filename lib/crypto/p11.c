/*
 * p11.c - PKCS#11 tokens: SoftHSM2 set-up, key pair generation with direct
 * PKCS#11 calls, and loading keys through libp11 (the only place that
 * touches libp11 and the PKCS#11 API).
 *
 * A PKCS#11 module is initialized once per process (PKCS#11 v2.40 section
 * 5.4: C_Initialize, C_Finalize), so one libp11 context per module path is
 * shared by every keystore, reference-counted, and finalized with the last
 * one.  Locks, always taken in this order:
 *
 *   reg_lock   the list of loaded modules, SOFTHSM2_CONF, and every direct
 *              PKCS#11 session (generation, token initialization), so that
 *              they never race a libp11 load or unload of the same module
 *   m->lock    one module's libp11 slot list, logins and key enumeration
 *
 * Signing needs no lock of ours: libp11 0.4.12 takes a session from a
 * per-slot pool under its own mutex for each operation, and the module is
 * initialized with CKF_OS_LOCKING_OK.  A signer (below) has a pool of
 * sessions of its own, each under its own lock.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * libp11.h names RSA_METHOD and EC_KEY_METHOD, which OpenSSL 3 declares
 * only with its deprecated API; this file calls none of that API itself.
 */
#undef OPENSSL_NO_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <p11-kit/pkcs11.h>
#include <libp11.h>

#include "base/text.h"
#include "crypto/key.h"

#define PIN_MIN		4
#define PIN_MAX		255
#define TOKEN_LABEL_MAX	32	/* CK_TOKEN_INFO.label */
#define MAX_SLOTS	1024

struct login {
	struct login	*next;
	char		 token[TOKEN_LABEL_MAX + 1];
	char		*pin;		/* that logged in; wiped */
};

struct kn_p11mod {
	struct kn_p11mod *next;
	char		*path;
	char		*conf;		/* SOFTHSM2_CONF used */
	int		 refs;		/* under reg_lock */
	pthread_mutex_t	 lock;
	PKCS11_CTX	*ctx;
	PKCS11_SLOT	*slots;
	unsigned int	 nslots;
	struct login	*logins;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kn_p11mod *modules;

/* A direct PKCS#11 session with one module (reg_lock held). */
struct direct {
	void			*dl;
	CK_FUNCTION_LIST	*f;
	bool			 initialized;	/* by us */
	CK_SESSION_HANDLE	 s;
	bool			 open;
	bool			 logged_in;	/* we logged in */
};

static void
free_pin(char *pin)
{
	if (pin != NULL)
		OPENSSL_clear_free(pin, strlen(pin) + 1);
}

static bool
same_conf(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
check_pin(const char *field, const char *pin)
{
	size_t n;

	if (pin == NULL || *pin == '\0')
		return kn_err_set(KN_ERR_CONFIG, field,
		    "no %s is configured for the PKCS#11 token", field);
	n = strlen(pin);
	if (n < PIN_MIN || n > PIN_MAX)
		return kn_err_set(KN_ERR_CONFIG, field,
		    "the %s must be %d to %d bytes long", field, PIN_MIN,
		    PIN_MAX);
	return 0;
}

static int
check_token_label(const char *label)
{
	size_t i, n;

	if (label == NULL || *label == '\0')
		return kn_err_set(KN_ERR_CONFIG, "token",
		    "no PKCS#11 token label is configured");
	n = strlen(label);
	if (n > TOKEN_LABEL_MAX)
		return kn_err_set(KN_ERR_CONFIG, "token",
		    "a PKCS#11 token label is at most %d bytes",
		    TOKEN_LABEL_MAX);
	for (i = 0; i < n; i++) {
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return kn_err_set(KN_ERR_CONFIG, "token",
			    "the PKCS#11 token label has a control character");
	}
	if (label[n - 1] == ' ')
		return kn_err_set(KN_ERR_CONFIG, "token",
		    "a PKCS#11 token label cannot end in a space");
	return 0;
}

/* SOFTHSM2_CONF is read by SoftHSM2's C_Initialize (reg_lock held). */
static int
set_conf(const char *conf)
{
	const char *cur;

	if (conf == NULL)
		return 0;
	cur = getenv("SOFTHSM2_CONF");
	if (cur != NULL && strcmp(cur, conf) == 0)
		return 0;
	if (setenv("SOFTHSM2_CONF", conf, 1) != 0)
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

static struct kn_p11mod *
find_module(const char *path)
{
	struct kn_p11mod *m;

	for (m = modules; m != NULL; m = m->next) {
		if (strcmp(m->path, path) == 0)
			return m;
	}
	return NULL;
}

/* A module already loaded with another SOFTHSM2_CONF cannot be reused. */
static int
check_loaded(const char *module, const char *conf)
{
	struct kn_p11mod *m;

	if ((m = find_module(module)) != NULL && !same_conf(m->conf, conf))
		return kn_err_set(KN_ERR_CONFIG, "softhsm_conf",
		    "PKCS#11 module %s is already in use with another "
		    "SoftHSM2 configuration in this process", module);
	return 0;
}

/* Copies a blank-padded PKCS#11 label field into out[n + 1]. */
static void
unpad(char *out, const unsigned char *p, size_t n)
{
	while (n > 0 && p[n - 1] == ' ')
		n--;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int
ckr_err(CK_RV rv, const char *what)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return kn_err_set(KN_ERR_AUTH, "pin",
		    "%s: the PKCS#11 token refused the PIN", what);
	case CKR_PIN_LOCKED:
		return kn_err_set(KN_ERR_AUTH, "pin",
		    "%s: the PKCS#11 token's PIN is locked", what);
	case CKR_HOST_MEMORY:
	case CKR_DEVICE_MEMORY:
		return kn_err_set(KN_ERR_NOMEM, NULL,
		    "%s: out of memory in the PKCS#11 module", what);
	default:
		return kn_err_set(KN_ERR_CRYPTO, NULL,
		    "%s failed (PKCS#11 error 0x%lx)", what,
		    (unsigned long)rv);
	}
}

static void
direct_close(struct direct *d)
{
	/*
	 * No C_Logout: the login state is shared with libp11's sessions when
	 * it has the module open; closing our session or finalizing ends ours.
	 */
	if (d->f != NULL) {
		if (d->open)
			(void)d->f->C_CloseSession(d->s);
		if (d->initialized)
			(void)d->f->C_Finalize(NULL);
	}
	if (d->dl != NULL)
		dlclose(d->dl);
	memset(d, 0, sizeof(*d));
}

/*
 * Loads and initializes the module for direct calls (reg_lock held).  When
 * libp11 already has it initialized, C_Initialize answers
 * CKR_CRYPTOKI_ALREADY_INITIALIZED and we leave finalization to libp11.
 */
static int
direct_open(struct direct *d, const char *module, const char *conf)
{
	CK_C_GetFunctionList getlist;
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;
	int r;

	memset(d, 0, sizeof(*d));
	if (module == NULL || *module == '\0')
		return kn_err_set(KN_ERR_CONFIG, "module",
		    "no PKCS#11 module is configured");
	if ((r = check_loaded(module, conf)) < 0 || (r = set_conf(conf)) < 0)
		return r;
	if ((d->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return kn_err_set(KN_ERR_CONFIG, "module",
		    "cannot load PKCS#11 module %s", module);
	*(void **)&getlist = dlsym(d->dl, "C_GetFunctionList");
	if (getlist == NULL || getlist(&d->f) != CKR_OK || d->f == NULL) {
		d->f = NULL;
		direct_close(d);
		return kn_err_set(KN_ERR_CONFIG, "module",
		    "%s is not a PKCS#11 module", module);
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = d->f->C_Initialize(&args);
	if (rv == CKR_OK)
		d->initialized = true;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		direct_close(d);
		return ckr_err(rv, "initializing the PKCS#11 module");
	}
	return 0;
}

/* The slot holding an initialized token labelled label. */
static int
direct_find_token(struct direct *d, CK_SLOT_ID *out, const char *label)
{
	CK_SLOT_ID *ids = NULL;
	CK_TOKEN_INFO ti;
	CK_ULONG i, n = 0;
	CK_RV rv;
	char have[TOKEN_LABEL_MAX + 1];
	int r;

	if ((rv = d->f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK)
		return ckr_err(rv, "listing PKCS#11 slots");
	if (n > MAX_SLOTS)
		return kn_err_set(KN_ERR_TOOBIG, NULL,
		    "too many PKCS#11 slots");
	if (n == 0)
		goto notfound;
	if ((ids = calloc(n, sizeof(*ids))) == NULL)
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	if ((rv = d->f->C_GetSlotList(CK_TRUE, ids, &n)) != CKR_OK) {
		r = ckr_err(rv, "listing PKCS#11 slots");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (d->f->C_GetTokenInfo(ids[i], &ti) != CKR_OK ||
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0)
			continue;
		unpad(have, ti.label, sizeof(ti.label));
		if (strcmp(have, label) == 0) {
			*out = ids[i];
			r = 0;
			goto out;
		}
	}
 notfound:
	r = kn_err_set(KN_ERR_NOTFOUND, "token",
	    "no PKCS#11 token labelled \"%s\"", label);
 out:
	free(ids);
	return r;
}

static int
direct_login(struct direct *d, CK_SLOT_ID slot, CK_USER_TYPE who,
    const char *pin)
{
	CK_RV rv;

	rv = d->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &d->s);
	if (rv != CKR_OK)
		return ckr_err(rv, "opening a PKCS#11 session");
	d->open = true;
	rv = d->f->C_Login(d->s, who, (CK_UTF8CHAR *)pin,
	    (CK_ULONG)strlen(pin));
	if (rv == CKR_OK)
		d->logged_in = true;
	else if (rv != CKR_USER_ALREADY_LOGGED_IN)
		return ckr_err(rv, "logging in to the PKCS#11 token");
	return 0;
}

/*
 * When the token was already logged in by libp11 (this process), C_Login
 * does not look at the PIN: compare with the one that logged in.
 */
static int
check_remembered_pin(const char *module, const char *token, const char *pin)
{
	struct kn_p11mod *m;
	struct login *l;
	int r = 0;

	if ((m = find_module(module)) == NULL)
		return 0;
	pthread_mutex_lock(&m->lock);
	for (l = m->logins; l != NULL; l = l->next) {
		if (strcmp(l->token, token) != 0)
			continue;
		if (strlen(l->pin) != strlen(pin) ||
		    CRYPTO_memcmp(l->pin, pin, strlen(pin)) != 0)
			r = kn_err_set(KN_ERR_AUTH, "pin",
			    "the PKCS#11 token refused the PIN");
		break;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static int
label_taken(struct direct *d, const char *label, bool *taken)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_LABEL, (void *)label, (CK_ULONG)strlen(label) },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = d->f->C_FindObjectsInit(d->s, t, 1)) != CKR_OK)
		return ckr_err(rv, "searching the PKCS#11 token");
	rv = d->f->C_FindObjects(d->s, &h, 1, &n);
	(void)d->f->C_FindObjectsFinal(d->s);
	if (rv != CKR_OK)
		return ckr_err(rv, "searching the PKCS#11 token");
	*taken = n > 0;
	return 0;
}

/* DER of the named curves' OIDs (RFC 5480 section 2.1.1.1). */
static const CK_BYTE oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};
static const CK_BYTE oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
};

int
kn_p11_generate(const char *module, const char *conf, const char *token,
    const char *pin, enum kn_keyalg alg, const char *label)
{
	struct direct d;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BYTE id[16], e[] = { 0x01, 0x00, 0x01 };
	CK_ULONG bits = 0;
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	CK_ATTRIBUTE pubt[8], privt[14];
	CK_ULONG npub = 0, npriv = 0;
	CK_SLOT_ID slot;
	CK_RV rv;
	bool taken = false;
	int r;

#define ATTR(t, n, a, p, len) do {					\
	(t)[(n)].type = (a);						\
	(t)[(n)].pValue = (void *)(p);					\
	(t)[(n)].ulValueLen = (CK_ULONG)(len);				\
	(n)++;								\
} while (0)

	memset(&d, 0, sizeof(d));
	if ((r = check_token_label(token)) < 0 ||
	    (r = check_pin("pin", pin)) < 0)
		return r;
	if (kn_random(id, sizeof(id)) != 0)
		return kn_err_set(KN_ERR_CRYPTO, NULL,
		    "no random bytes for the key ID");

	ATTR(pubt, npub, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_VERIFY, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_LABEL, label, strlen(label));
	ATTR(pubt, npub, CKA_ID, id, sizeof(id));
	ATTR(privt, npriv, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_PRIVATE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_SENSITIVE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_EXTRACTABLE, &no, sizeof(no));
	ATTR(privt, npriv, CKA_SIGN, &yes, sizeof(yes));
	/* A signing key only (SoftHSM2 defaults these to true). */
	ATTR(privt, npriv, CKA_DECRYPT, &no, sizeof(no));
	ATTR(privt, npriv, CKA_UNWRAP, &no, sizeof(no));
	ATTR(privt, npriv, CKA_DERIVE, &no, sizeof(no));
	ATTR(privt, npriv, CKA_LABEL, label, strlen(label));
	ATTR(privt, npriv, CKA_ID, id, sizeof(id));

	switch (alg) {
	case KN_KEY_EC_P256:
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		ATTR(pubt, npub, CKA_EC_PARAMS, oid_p256, sizeof(oid_p256));
		break;
	case KN_KEY_EC_P384:
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		ATTR(pubt, npub, CKA_EC_PARAMS, oid_p384, sizeof(oid_p384));
		break;
	case KN_KEY_RSA_2048:
	case KN_KEY_RSA_3072:
	case KN_KEY_RSA_4096:
		bits = alg == KN_KEY_RSA_2048 ? 2048 :
		    alg == KN_KEY_RSA_3072 ? 3072 : 4096;
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		ATTR(pubt, npub, CKA_MODULUS_BITS, &bits, sizeof(bits));
		ATTR(pubt, npub, CKA_PUBLIC_EXPONENT, e, sizeof(e));
		break;
	case KN_KEY_ED25519:
		/*
		 * SoftHSM2 2.6.1 can make them (CKM_EC_EDWARDS_KEY_PAIR_GEN),
		 * but libp11 0.4.12 ignores CKK_EC_EDWARDS keys, so such a
		 * key could never be loaded: refuse before creating it.
		 */
		return kn_err_set(KN_ERR_INVAL, "alg",
		    "Ed25519 keys are not supported in PKCS#11 tokens by "
		    "this build (libp11 0.4.12 cannot sign with them); use "
		    "ec-p256 or a file: key");
	default:
		return kn_err_set(KN_ERR_INVAL, "alg",
		    "unsupported key algorithm");
	}
#undef ATTR

	pthread_mutex_lock(&reg_lock);
	if ((r = direct_open(&d, module, conf)) < 0)
		goto out;
	if ((r = direct_find_token(&d, &slot, token)) < 0)
		goto out;
	if ((r = direct_login(&d, slot, CKU_USER, pin)) < 0)
		goto out;
	if (!d.logged_in &&
	    (r = check_remembered_pin(module, token, pin)) < 0)
		goto out;
	if ((r = label_taken(&d, label, &taken)) < 0)
		goto out;
	if (taken) {
		r = kn_err_set(KN_ERR_EXISTS, "label",
		    "token \"%s\" already holds an object labelled \"%s\"",
		    token, label);
		goto out;
	}
	rv = d.f->C_GenerateKeyPair(d.s, &mech, pubt, npub, privt, npriv,
	    &pub, &priv);
	if (rv == CKR_MECHANISM_INVALID || rv == CKR_DOMAIN_PARAMS_INVALID ||
	    rv == CKR_TEMPLATE_INCONSISTENT) {
		r = kn_err_set(KN_ERR_INVAL, "alg",
		    "%s keys are not supported in this token",
		    kn_keyalg_name(alg));
		goto out;
	}
	if (rv != CKR_OK) {
		r = ckr_err(rv, "generating a key pair in the PKCS#11 token");
		goto out;
	}
	r = 0;
 out:
	direct_close(&d);
	pthread_mutex_unlock(&reg_lock);
	return r;
}

int
kn_p11_destroy(const char *module, const char *conf, const char *token,
    const char *pin, const char *label)
{
	struct direct d;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = {
		{ CKA_LABEL, (void *)label, (CK_ULONG)strlen(label) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
	};
	CK_OBJECT_HANDLE h[8];
	CK_SLOT_ID slot;
	CK_ULONG i, n = 0, npriv;
	CK_RV rv;
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = check_token_label(token)) < 0 ||
	    (r = check_pin("pin", pin)) < 0)
		return r;
	pthread_mutex_lock(&reg_lock);
	if ((r = direct_open(&d, module, conf)) < 0 ||
	    (r = direct_find_token(&d, &slot, token)) < 0 ||
	    (r = direct_login(&d, slot, CKU_USER, pin)) < 0)
		goto out;
	if (!d.logged_in &&
	    (r = check_remembered_pin(module, token, pin)) < 0)
		goto out;
	if ((rv = d.f->C_FindObjectsInit(d.s, t, 2)) != CKR_OK) {
		r = ckr_err(rv, "searching the PKCS#11 token");
		goto out;
	}
	rv = d.f->C_FindObjects(d.s, h, sizeof(h) / sizeof(h[0]), &n);
	(void)d.f->C_FindObjectsFinal(d.s);
	if (rv != CKR_OK) {
		r = ckr_err(rv, "searching the PKCS#11 token");
		goto out;
	}
	if (n == 0) {
		r = kn_err_set(KN_ERR_NOTFOUND, "uri", "PKCS#11 token \"%s\" "
		    "holds no object labelled \"%s\"", token, label);
		goto out;
	}
	/* One key pair only: two processes may each have made a pair under
	 * this label, and the other's may be in use. */
	for (i = 0, npriv = 0; i < n; i++) {
		CK_OBJECT_CLASS cls = 0;
		CK_ATTRIBUTE a = { CKA_CLASS, &cls, sizeof(cls) };

		if (d.f->C_GetAttributeValue(d.s, h[i], &a, 1) == CKR_OK &&
		    cls == CKO_PRIVATE_KEY)
			npriv++;
	}
	if (npriv > 1 || n > 2) {
		r = kn_err_set(KN_ERR_STATE, "uri", "PKCS#11 token \"%s\" "
		    "holds more than one key labelled \"%s\"; none was "
		    "destroyed", token, label);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rv = d.f->C_DestroyObject(d.s, h[i])) != CKR_OK) {
			r = ckr_err(rv, "destroying a key in the PKCS#11 "
			    "token");
			goto out;
		}
	}
	r = 0;
 out:
	direct_close(&d);
	pthread_mutex_unlock(&reg_lock);
	return r;
}

/* Writes all of p to a new file (mode 0600), replacing an old one. */
static int
write_file(const char *path, const char *p, size_t n)
{
	ssize_t w;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return kn_err_set(KN_ERR_IO, NULL, "cannot create %s: %s",
		    path, strerror(errno));
	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			r = kn_err_set(KN_ERR_IO, NULL, "cannot write %s: %s",
			    path, strerror(errno));
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) != 0 && r == 0)
		r = kn_err_set(KN_ERR_IO, NULL, "cannot write %s: %s", path,
		    strerror(errno));
	return r;
}

static int
make_dir(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return kn_err_set(KN_ERR_IO, NULL, "cannot create %s: %s",
		    path, strerror(errno));
	return 0;
}

int
kn_softhsm_init(const char *datadir, const char *module, const char *label,
    const char *pin, const char *so_pin, char *conf_out, size_t conf_len)
{
	struct direct d;
	CK_SLOT_ID *ids = NULL, slot = 0, dummy;
	CK_TOKEN_INFO ti;
	CK_ULONG i, n = 0;
	CK_UTF8CHAR label32[TOKEN_LABEL_MAX];
	CK_RV rv;
	char dir[PATH_MAX], conf[PATH_MAX], tokens[PATH_MAX];
	char text[PATH_MAX + 128];
	bool found = false;
	int len, r;

	memset(&d, 0, sizeof(d));
	if (datadir == NULL || *datadir == '\0')
		return kn_err_set(KN_ERR_INVAL, "datadir",
		    "no data directory given");
	if ((r = check_token_label(label)) < 0 ||
	    (r = check_pin("pin", pin)) < 0 ||
	    (r = check_pin("so_pin", so_pin)) < 0)
		return r;
	if ((r = make_dir(datadir)) < 0)
		return r;
	if (realpath(datadir, dir) == NULL)
		return kn_err_set(KN_ERR_IO, "datadir", "cannot resolve %s: %s",
		    datadir, strerror(errno));
	len = snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	if (len < 0 || (size_t)len >= sizeof(conf) ||
	    (size_t)len >= conf_len)
		return kn_err_set(KN_ERR_TOOBIG, "datadir",
		    "the data directory's path is too long");
	len = snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	if (len < 0 || (size_t)len >= sizeof(tokens))
		return kn_err_set(KN_ERR_TOOBIG, "datadir",
		    "the data directory's path is too long");
	if ((r = make_dir(tokens)) < 0)
		return r;
	len = snprintf(text, sizeof(text),
	    "# SoftHSM2 token store of this kakuin data directory.\n"
	    "directories.tokendir = %s\n"
	    "objectstore.backend = file\n"
	    "log.level = ERROR\n"
	    "slots.removable = false\n", tokens);
	if (len < 0 || (size_t)len >= sizeof(text))
		return kn_err_set(KN_ERR_TOOBIG, "datadir",
		    "the data directory's path is too long");
	if ((r = write_file(conf, text, (size_t)len)) < 0)
		return r;

	pthread_mutex_lock(&reg_lock);
	if ((r = direct_open(&d, module, conf)) < 0)
		goto out;
	r = direct_find_token(&d, &dummy, label);
	if (r == 0) {
		r = kn_err_set(KN_ERR_EXISTS, "token",
		    "a PKCS#11 token labelled \"%s\" already exists", label);
		goto out;
	}
	if (r != KN_ERR_NOTFOUND)
		goto out;
	kn_err_clear();
	if ((rv = d.f->C_GetSlotList(CK_FALSE, NULL, &n)) != CKR_OK) {
		r = ckr_err(rv, "listing PKCS#11 slots");
		goto out;
	}
	if (n > MAX_SLOTS) {
		r = kn_err_set(KN_ERR_TOOBIG, NULL, "too many PKCS#11 slots");
		goto out;
	}
	if (n > 0 && (ids = calloc(n, sizeof(*ids))) == NULL) {
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (n > 0 &&
	    (rv = d.f->C_GetSlotList(CK_FALSE, ids, &n)) != CKR_OK) {
		r = ckr_err(rv, "listing PKCS#11 slots");
		goto out;
	}
	for (i = 0; i < n && !found; i++) {
		if (d.f->C_GetTokenInfo(ids[i], &ti) == CKR_OK &&
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0) {
			slot = ids[i];
			found = true;
		}
	}
	if (!found) {
		r = kn_err_set(KN_ERR_NOTFOUND, "token",
		    "the PKCS#11 module has no free slot for a new token");
		goto out;
	}
	memset(label32, ' ', sizeof(label32));
	memcpy(label32, label, strlen(label));
	rv = d.f->C_InitToken(slot, (CK_UTF8CHAR *)so_pin,
	    (CK_ULONG)strlen(so_pin), label32);
	if (rv != CKR_OK) {
		r = ckr_err(rv, "initializing the PKCS#11 token");
		goto out;
	}
	/* SoftHSM2 keeps the slot ID until the module is finalized. */
	if ((r = direct_login(&d, slot, CKU_SO, so_pin)) < 0)
		goto out;
	rv = d.f->C_InitPIN(d.s, (CK_UTF8CHAR *)pin, (CK_ULONG)strlen(pin));
	if (rv != CKR_OK) {
		r = ckr_err(rv, "setting the PKCS#11 token's user PIN");
		goto out;
	}
	memcpy(conf_out, conf, strlen(conf) + 1);
	r = 0;
 out:
	free(ids);
	direct_close(&d);
	pthread_mutex_unlock(&reg_lock);
	return r;
}

/* libp11 ---------------------------------------------------------------- */

static void
module_free(struct kn_p11mod *m)
{
	struct login *l;

	if (m == NULL)
		return;
	while ((l = m->logins) != NULL) {
		m->logins = l->next;
		free_pin(l->pin);
		free(l);
	}
	if (m->ctx != NULL) {
		if (m->slots != NULL)
			PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
		PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->path);
	free(m->conf);
	free(m);
}

int
kn_p11mod_get(struct kn_p11mod **out, const char *module, const char *conf)
{
	struct kn_p11mod *m = NULL;
	int r;

	if (module == NULL || *module == '\0')
		return kn_err_set(KN_ERR_CONFIG, "module",
		    "no PKCS#11 module is configured");
	pthread_mutex_lock(&reg_lock);
	if ((m = find_module(module)) != NULL) {
		if (!same_conf(m->conf, conf)) {
			m = NULL;
			r = check_loaded(module, conf);
			goto out;
		}
		m->refs++;
		*out = m;
		m = NULL;
		r = 0;
		goto out;
	}
	/* libp11 prints to stderr when it cannot dlopen: look first. */
	if (access(module, R_OK) != 0) {
		r = kn_err_set(KN_ERR_CONFIG, "module",
		    "cannot load PKCS#11 module %s: %s", module,
		    strerror(errno));
		goto out;
	}
	if ((r = set_conf(conf)) < 0)
		goto out;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(module)) == NULL ||
	    (conf != NULL && (m->conf = strdup(conf)) == NULL)) {
		if (m != NULL) {
			free(m->path);
			free(m);
			m = NULL;
		}
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->refs = 1;
	if ((m->ctx = PKCS11_CTX_new()) == NULL) {
		r = kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (PKCS11_CTX_load(m->ctx, module) != 0) {
		PKCS11_CTX_free(m->ctx);
		m->ctx = NULL;
		ERR_clear_error();
		r = kn_err_set(KN_ERR_CONFIG, "module",
		    "cannot load PKCS#11 module %s", module);
		goto out;
	}
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
		m->slots = NULL;
		m->nslots = 0;
		ERR_clear_error();
		r = kn_err_set(KN_ERR_CRYPTO, NULL,
		    "cannot list the slots of PKCS#11 module %s", module);
		goto out;
	}
	m->next = modules;
	modules = m;
	*out = m;
	m = NULL;
	r = 0;
 out:
	module_free(m);
	pthread_mutex_unlock(&reg_lock);
	return r;
}

void
kn_p11mod_put(struct kn_p11mod *m)
{
	struct kn_p11mod **pp;

	if (m == NULL)
		return;
	pthread_mutex_lock(&reg_lock);
	if (--m->refs > 0) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	for (pp = &modules; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	module_free(m);
	pthread_mutex_unlock(&reg_lock);
}

/* True when the last libp11 error is the token refusing a PIN. */
static bool
pin_refused(void)
{
	unsigned long e;
	int reason;

	while ((e = ERR_get_error()) != 0) {
		if (ERR_GET_LIB(e) != ERR_get_CKR_code())
			continue;
		reason = ERR_GET_REASON(e);
		if (reason == CKR_PIN_INCORRECT || reason == CKR_PIN_INVALID ||
		    reason == CKR_PIN_LEN_RANGE || reason == CKR_PIN_LOCKED) {
			ERR_clear_error();
			return true;
		}
	}
	return false;
}

/* m->lock held. */
static int
login(struct kn_p11mod *m, PKCS11_SLOT *slot, const char *token,
    const char *pin)
{
	struct login *l;

	for (l = m->logins; l != NULL; l = l->next) {
		if (strcmp(l->token, token) != 0)
			continue;
		if (strlen(l->pin) != strlen(pin) ||
		    CRYPTO_memcmp(l->pin, pin, strlen(pin)) != 0)
			return kn_err_set(KN_ERR_AUTH, "pin",
			    "the PKCS#11 token refused the PIN");
		return 0;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->pin = strdup(pin)) == NULL) {
		free(l);
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	}
	memcpy(l->token, token, strlen(token) + 1);
	if (PKCS11_open_session(slot, 0) != 0 ||
	    PKCS11_login(slot, 0, pin) != 0) {
		free_pin(l->pin);
		free(l);
		if (pin_refused())
			return kn_err_set(KN_ERR_AUTH, "pin",
			    "the PKCS#11 token \"%s\" refused the PIN", token);
		ERR_clear_error();
		return kn_err_set(KN_ERR_CRYPTO, NULL,
		    "cannot log in to the PKCS#11 token \"%s\"", token);
	}
	l->next = m->logins;
	m->logins = l;
	return 0;
}

int
kn_p11mod_load_key(struct kn_p11mod *m, EVP_PKEY **out, const char *token,
    const char *object, const char *pin)
{
	PKCS11_SLOT *slot = NULL;
	PKCS11_KEY *keys = NULL, *key = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned int i, n = 0;
	int r;

	if ((r = check_pin("pin", pin)) < 0)
		return r;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nslots; i++) {
		PKCS11_TOKEN *t = m->slots[i].token;

		if (t != NULL && t->initialized && t->label != NULL &&
		    strcmp(t->label, token) == 0) {
			slot = &m->slots[i];
			break;
		}
	}
	if (slot == NULL) {
		r = kn_err_set(KN_ERR_NOTFOUND, "uri",
		    "no PKCS#11 token labelled \"%s\"", token);
		goto out;
	}
	if ((r = login(m, slot, token, pin)) < 0)
		goto out;
	if (PKCS11_enumerate_keys(slot->token, &keys, &n) != 0) {
		ERR_clear_error();
		r = kn_err_set(KN_ERR_CRYPTO, NULL,
		    "cannot list the keys of PKCS#11 token \"%s\" (libp11 "
		    "0.4.12 also fails on tokens holding Ed25519 keys)",
		    token);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (keys[i].isPrivate && keys[i].label != NULL &&
		    strcmp(keys[i].label, object) == 0) {
			if (key != NULL) {
				r = kn_err_set(KN_ERR_INVAL, "uri",
				    "PKCS#11 token \"%s\" holds more than one "
				    "private key labelled \"%s\"", token,
				    object);
				goto out;
			}
			key = &keys[i];
		}
	}
	if (key == NULL) {
		r = kn_err_set(KN_ERR_NOTFOUND, "uri",
		    "PKCS#11 token \"%s\" holds no private key labelled "
		    "\"%s\" that this build can use (RSA or EC)", token,
		    object);
		goto out;
	}
	if ((pkey = PKCS11_get_private_key(key)) == NULL) {
		ERR_clear_error();
		r = kn_err_set(KN_ERR_CRYPTO, NULL,
		    "cannot use PKCS#11 key \"%s\"", object);
		goto out;
	}
	*out = pkey;
	r = 0;
 out:
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* Signers ---------------------------------------------------------------- */

/*
 * Each signing thread keeps to one session of the pool (its hint), so a
 * session is taken without a wait unless more threads sign at once than
 * the pool has sessions.  A session is opened on first use: the token
 * object is found by its label and copied into the session.
 */
#define SIGN_POOL	16
#define EC_SIG_MAX	(2 * 66)	/* r || s of P-521 at most */
#define COPY_SUFFIX	" (session copy)"

struct p11sess {
	pthread_mutex_t		 lock;
	bool			 open;
	CK_SESSION_HANDLE	 s;
	CK_OBJECT_HANDLE	 key;
	bool			 copied;	/* key is the session copy */
};

struct kn_p11sign {
	struct kn_p11mod	*m;		/* a reference */
	void			*dl;
	CK_FUNCTION_LIST	*f;
	CK_SLOT_ID		 slot;
	char			 object[256];
	char			 copy_label[256 + sizeof(COPY_SUFFIX)];
	bool			 ec;
	struct p11sess		 pool[SIGN_POOL];
};

static unsigned int sign_hints;
static _Thread_local unsigned int sign_hint = UINT_MAX;

/* DigestInfo prefixes (RFC 8017 section 9.2, note 1). */
static const struct {
	int			 nid;
	size_t			 len;
	const unsigned char	*der;
} digestinfo[] = {
	{ NID_sha256, 19, (const unsigned char *)"\x30\x31\x30\x0d\x06\x09"
	    "\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20" },
	{ NID_sha384, 19, (const unsigned char *)"\x30\x41\x30\x0d\x06\x09"
	    "\x60\x86\x48\x01\x65\x03\x04\x02\x02\x05\x00\x04\x30" },
	{ NID_sha512, 19, (const unsigned char *)"\x30\x51\x30\x0d\x06\x09"
	    "\x60\x86\x48\x01\x65\x03\x04\x02\x03\x05\x00\x04\x40" },
};

static const unsigned char *
digestinfo_for(const EVP_MD *md, size_t *len)
{
	size_t i;

	for (i = 0; md != NULL && i < sizeof(digestinfo) /
	    sizeof(digestinfo[0]); i++) {
		if (digestinfo[i].nid == EVP_MD_get_type(md)) {
			*len = digestinfo[i].len;
			return digestinfo[i].der;
		}
	}
	return NULL;
}

int
kn_p11sign_new(struct kn_p11mod *m, struct kn_p11sign **out,
    const char *token, const char *object, EVP_PKEY *pkey)
{
	struct kn_p11sign *ps = NULL;
	struct direct d;
	CK_C_GetFunctionList getlist;
	int base = EVP_PKEY_get_base_id(pkey), i, r;

	*out = NULL;
	if (base != EVP_PKEY_EC && base != EVP_PKEY_RSA)
		return 0;
	if (strlen(object) >= sizeof(ps->object))
		return kn_err_set(KN_ERR_INVAL, "uri",
		    "the PKCS#11 object label is too long");
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return kn_err_set(KN_ERR_NOMEM, NULL, "out of memory");
	for (i = 0; i < SIGN_POOL; i++)
		pthread_mutex_init(&ps->pool[i].lock, NULL);
	memcpy(ps->object, object, strlen(object) + 1);
	snprintf(ps->copy_label, sizeof(ps->copy_label), "%s%s", object,
	    COPY_SUFFIX);
	ps->ec = base == EVP_PKEY_EC;
	pthread_mutex_lock(&reg_lock);
	m->refs++;
	ps->m = m;
	/* libp11 has the module loaded and initialized: the same copy. */
	if ((ps->dl = dlopen(m->path, RTLD_NOW | RTLD_LOCAL |
	    RTLD_NOLOAD)) == NULL) {
		r = kn_err_set(KN_ERR_CONFIG, "module",
		    "PKCS#11 module %s is not loaded", m->path);
		goto out;
	}
	*(void **)&getlist = dlsym(ps->dl, "C_GetFunctionList");
	if (getlist == NULL || getlist(&ps->f) != CKR_OK || ps->f == NULL) {
		r = kn_err_set(KN_ERR_CONFIG, "module",
		    "%s is not a PKCS#11 module", m->path);
		goto out;
	}
	memset(&d, 0, sizeof(d));
	d.f = ps->f;
	if ((r = direct_find_token(&d, &ps->slot, token)) < 0)
		goto out;
	*out = ps;
	ps = NULL;
	r = 0;
 out:
	pthread_mutex_unlock(&reg_lock);
	kn_p11sign_free(ps);
	return r;
}

static void
sess_close(struct kn_p11sign *ps, struct p11sess *ss)
{
	/* Closing the session destroys the session copy of the key. */
	if (ss->open)
		(void)ps->f->C_CloseSession(ss->s);
	ss->open = false;
	ss->copied = false;
}

void
kn_p11sign_free(struct kn_p11sign *ps)
{
	int i;

	if (ps == NULL)
		return;
	for (i = 0; i < SIGN_POOL; i++) {
		if (ps->f != NULL)
			sess_close(ps, &ps->pool[i]);
		pthread_mutex_destroy(&ps->pool[i].lock);
	}
	if (ps->dl != NULL)
		dlclose(ps->dl);
	kn_p11mod_put(ps->m);
	free(ps);
}

bool
kn_p11sign_takes(const struct kn_p11sign *ps, const EVP_MD *md)
{
	size_t len;

	if (ps == NULL || md == NULL)
		return false;
	return ps->ec || digestinfo_for(md, &len) != NULL;
}

/*
 * Opens a session (the token is logged in for the whole application by
 * libp11) and finds the key; copies it into the session when the token
 * allows it, else signs with the token object itself.
 */
static int
sess_open(struct kn_p11sign *ps, struct p11sess *ss)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE find[3], copy[2];
	CK_OBJECT_HANDLE h[2], c;
	CK_ULONG n = 0;
	CK_RV rv;
	int tries;

	rv = ps->f->C_OpenSession(ps->slot, CKF_SERIAL_SESSION, NULL, NULL,
	    &ss->s);
	if (rv != CKR_OK)
		return ckr_err(rv, "opening a PKCS#11 session for signing");
	ss->open = true;
	find[0].type = CKA_CLASS;
	find[0].pValue = &cls;
	find[0].ulValueLen = sizeof(cls);
	find[1].type = CKA_LABEL;
	find[1].pValue = ps->object;
	find[1].ulValueLen = (CK_ULONG)strlen(ps->object);
	find[2].type = CKA_TOKEN;
	find[2].pValue = &yes;
	find[2].ulValueLen = sizeof(yes);
	/* SoftHSM2 rereads its token directory after a change (a key made
	 * a moment ago) and may then list the objects wrongly to a search
	 * that runs beside the reread: look again before giving up. */
	for (tries = 0; tries < 3; tries++) {
		if ((rv = ps->f->C_FindObjectsInit(ss->s, find, 3)) != CKR_OK)
			goto fail;
		rv = ps->f->C_FindObjects(ss->s, h, 2, &n);
		(void)ps->f->C_FindObjectsFinal(ss->s);
		if (rv != CKR_OK)
			goto fail;
		if (n == 1)
			break;
		usleep(1000);
	}
	if (n != 1) {
		sess_close(ps, ss);
		return kn_err_set(KN_ERR_NOTFOUND, "uri",
		    "the PKCS#11 token no longer holds one private key "
		    "labelled \"%s\"", ps->object);
	}
	ss->key = h[0];
	/* Under a label no key URI can name (kakuin's labels have no
	 * spaces), so that loading the key by its label still finds one. */
	copy[0].type = CKA_TOKEN;
	copy[0].pValue = &no;
	copy[0].ulValueLen = sizeof(no);
	copy[1].type = CKA_LABEL;
	copy[1].pValue = ps->copy_label;
	copy[1].ulValueLen = (CK_ULONG)strlen(ps->copy_label);
	if (ps->f->C_CopyObject(ss->s, h[0], copy, 2, &c) == CKR_OK) {
		ss->key = c;
		ss->copied = true;
	}
	return 0;
 fail:
	sess_close(ps, ss);
	return ckr_err(rv, "finding the signing key in the PKCS#11 token");
}

/* r || s as an ECDSA-Sig-Value (RFC 5480 section 2.2 / SEC 1). */
static int
ec_der(unsigned char *sig, size_t *siglen, const unsigned char *rs,
    size_t n)
{
	unsigned char body[EC_SIG_MAX + 8], *p = body;
	const unsigned char *v;
	size_t half = n / 2, k, len, blen;
	int i;

	for (i = 0; i < 2; i++) {
		v = rs + (size_t)i * half;
		for (len = half; len > 1 && *v == 0; len--)
			v++;
		*p++ = 0x02;
		*p++ = (unsigned char)(len + (*v & 0x80 ? 1 : 0));
		if (*v & 0x80)
			*p++ = 0;
		memcpy(p, v, len);
		p += len;
	}
	blen = (size_t)(p - body);
	k = blen < 128 ? 2 : 3;
	if (k + blen > *siglen)
		return kn_err_set(KN_ERR_TOOBIG, NULL,
		    "the signature buffer is too small");
	sig[0] = 0x30;
	if (blen < 128)
		sig[1] = (unsigned char)blen;
	else {
		sig[1] = 0x81;
		sig[2] = (unsigned char)blen;
	}
	memcpy(sig + k, body, blen);
	*siglen = k + blen;
	return 0;
}

static CK_RV
sess_sign(struct kn_p11sign *ps, struct p11sess *ss, const EVP_MD *md,
    const unsigned char *dg, size_t dlen, unsigned char *out, CK_ULONG *len)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	unsigned char in[19 + EVP_MAX_MD_SIZE];
	const unsigned char *pre;
	size_t plen = 0;
	CK_RV rv;

	if (ps->ec) {
		memcpy(in, dg, dlen);
	} else {
		mech.mechanism = CKM_RSA_PKCS;
		if ((pre = digestinfo_for(md, &plen)) == NULL)
			return CKR_MECHANISM_INVALID;
		memcpy(in, pre, plen);
		memcpy(in + plen, dg, dlen);
	}
	if ((rv = ps->f->C_SignInit(ss->s, &mech, ss->key)) != CKR_OK)
		return rv;
	return ps->f->C_Sign(ss->s, in, (CK_ULONG)(plen + dlen), out, len);
}

int
kn_p11sign_digest(struct kn_p11sign *ps, const EVP_MD *md,
    const unsigned char *dg, size_t dlen, unsigned char *sig,
    size_t *siglen)
{
	struct p11sess *ss;
	unsigned char ecsig[EC_SIG_MAX];
	unsigned char *out;
	CK_ULONG len;
	CK_RV rv = CKR_OK;
	unsigned int h, i;
	int r, tries;

	if (dlen > EVP_MAX_MD_SIZE)
		return kn_err_set(KN_ERR_INVAL, NULL, "digest too long");
	if (sign_hint == UINT_MAX)
		sign_hint = __atomic_fetch_add(&sign_hints, 1,
		    __ATOMIC_RELAXED);
	h = sign_hint % SIGN_POOL;
	ss = &ps->pool[h];
	for (i = 0; i < SIGN_POOL; i++) {
		if (pthread_mutex_trylock(&ps->pool[(h + i) %
		    SIGN_POOL].lock) == 0) {
			ss = &ps->pool[(h + i) % SIGN_POOL];
			break;
		}
	}
	if (i == SIGN_POOL)
		pthread_mutex_lock(&ss->lock);
	/* A second try with a new session: the token may have been
	 * reinserted or its session closed under us. */
	for (tries = 0; tries < 2; tries++) {
		if (!ss->open && (r = sess_open(ps, ss)) < 0) {
			if (tries == 0)
				continue;
			goto out;
		}
		out = ps->ec ? ecsig : sig;
		len = ps->ec ? (CK_ULONG)sizeof(ecsig) : (CK_ULONG)*siglen;
		if ((rv = sess_sign(ps, ss, md, dg, dlen, out, &len)) ==
		    CKR_OK)
			break;
		sess_close(ps, ss);
	}
	if (rv != CKR_OK) {
		r = ckr_err(rv, "signing in the PKCS#11 token");
		goto out;
	}
	if (ps->ec) {
		if (len == 0 || len % 2 != 0 || len > sizeof(ecsig)) {
			r = kn_err_set(KN_ERR_CRYPTO, NULL,
			    "the PKCS#11 token gave a malformed ECDSA "
			    "signature");
			goto out;
		}
		r = ec_der(sig, siglen, ecsig, len);
	} else {
		*siglen = len;
		r = 0;
	}
 out:
	pthread_mutex_unlock(&ss->lock);
	return r;
}
