/*
 * key.h - private keys addressed by URI, kept in the smallest corner of
 * the program.
 *
 *   pkcs11:token=LABEL;object=NAME     a key inside a PKCS#11 token (the
 *                                      default: SoftHSM2 in the data
 *                                      directory); it never leaves it
 *   file:PATH                          PKCS#8 PEM, always encrypted
 *                                      (PBES2, AES-256-CBC, scrypt/PBKDF2)
 *
 * A loaded key is an EVP_PKEY usable with OpenSSL's signing functions
 * (X509_sign, X509_CRL_sign, OCSP/TS/CMS signing); for pkcs11: keys the
 * private operations run in the token.  PINs and passphrases come from the
 * keystore configuration and are wiped when it is freed; they are never
 * logged.  The PKCS#11 engine's deprecated API is confined to p11.c.
 */
#ifndef KN_CRYPTO_KEY_H
#define KN_CRYPTO_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "base/err.h"

enum kn_keyalg {
	KN_KEY_NONE = 0,
	KN_KEY_EC_P256,
	KN_KEY_EC_P384,
	KN_KEY_RSA_2048,
	KN_KEY_RSA_3072,
	KN_KEY_RSA_4096,
	KN_KEY_ED25519,
};

/* "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519". */
int		 kn_keyalg_parse(enum kn_keyalg *out, const char *s) KN_WUR;
const char	*kn_keyalg_name(enum kn_keyalg alg);
/* The algorithm of a public or private key, or KN_KEY_NONE when it is
 * none kakuin accepts (wrong curve, RSA size not 2048/3072/4096...). */
enum kn_keyalg	 kn_keyalg_of(EVP_PKEY *pkey);

struct kn_keystore_config {
	const char	*module;	/* PKCS#11 module path */
	const char	*token;		/* token label */
	const char	*pin;		/* user PIN */
	const char	*passphrase;	/* for file: keys */
	const char	*softhsm_conf;	/* SOFTHSM2_CONF to use, or NULL */
};

struct kn_keystore;

/* Copies the configuration (secrets included, wiped on free). */
int	kn_keystore_new(struct kn_keystore **out,
	    const struct kn_keystore_config *c) KN_WUR;
void	kn_keystore_free(struct kn_keystore *ks);

/*
 * Generates a new key of alg named label.  kind is "pkcs11" (inside the
 * token; CKA_SENSITIVE, not extractable) or "file" (written as encrypted
 * PKCS#8 to DIR/LABEL.key.pem where DIR is file_dir).  Returns the key's
 * URI in *uri (malloc'd).  KN_ERR_EXISTS when the label is taken.
 */
int	kn_key_generate(struct kn_keystore *ks, const char *kind,
	    const char *file_dir, enum kn_keyalg alg, const char *label,
	    char **uri) KN_WUR;
/*
 * Destroys the key a URI names, for a key made moments ago whose
 * certificate could not be made or stored: in a token, every object with
 * its label (the key pair); a file: key's file.  Forgets what the
 * keystore kept of it; its signer, if any, must no longer be in use.
 * (libp11 0.4.12 lists a token's keys once per process and never drops
 * one: a key made again under the same label is loadable only by a later
 * process.)
 */
int	kn_key_destroy(struct kn_keystore *ks, const char *uri) KN_WUR;
/*
 * Loads the key a URI names.  *out is a new reference.  pkcs11: keys are
 * cached (loaded once per keystore) and wrap token objects: free them
 * before ks, and use them from any thread.
 */
int	kn_key_load(struct kn_keystore *ks, const char *uri, EVP_PKEY **out)
	    KN_WUR;

/*
 * A signer: the way this process signs fastest with the key a URI names,
 * for the hot paths (OCSP answers and time-stamp tokens signed per
 * request).  For a pkcs11: key each signing thread gets a PKCS#11 session
 * of its own holding a session copy of the key (C_CopyObject with
 * CKA_TOKEN false: the copy stays inside the token, as sensitive and
 * unextractable as the original, and goes with the session), so threads
 * neither queue for one session nor make the token reread its stored
 * object on every signature; kakuin hashes and the token signs the digest
 * (CKM_ECDSA, or CKM_RSA_PKCS over a DigestInfo).  Anything else signs
 * through OpenSSL as kn_key_load's key would.  Signers are kept in the
 * keystore, one per URI: *out is borrowed and valid until kn_keystore_free.
 */
struct kn_signer;

int	kn_key_signer(struct kn_keystore *ks, const char *uri,
	    struct kn_signer **out) KN_WUR;
/* A number no other keystore of the process had or will have: caches
 * that outlive a keystore tell its signers from a later one's by it. */
uint64_t kn_keystore_id(const struct kn_keystore *ks);
/* The key's EVP_PKEY (algorithm, size, public half); borrowed. */
EVP_PKEY *kn_signer_pkey(const struct kn_signer *s);
/*
 * Signs n bytes of tbs with digest md (NULL for Ed25519) into sig, which
 * holds EVP_PKEY_get_size bytes; *siglen is its length on return: an
 * ECDSA-Sig-Value in DER or an RSA PKCS #1 v1.5 signature, as
 * EVP_DigestSign gives.  Thread-safe.
 */
int	kn_signer_sign(struct kn_signer *s, const EVP_MD *md,
	    const void *tbs, size_t n, unsigned char *sig, size_t *siglen)
	    KN_WUR;

/*
 * Creates a SoftHSM2 configuration (DATADIR/softhsm2.conf) and token
 * directory (DATADIR/tokens) and initializes a token labelled label with
 * the given user PIN and security officer PIN.  Writes the configuration
 * path to conf_out[conf_len].
 */
int	kn_softhsm_init(const char *datadir, const char *module,
	    const char *label, const char *pin, const char *so_pin,
	    char *conf_out, size_t conf_len) KN_WUR;

/*
 * Parses an RFC 7512 PKCS#11 URI: token= and object= are required
 * (percent-decoded, at most 32 and 255 bytes); other attributes and the
 * query are ignored.  Writes NUL-terminated strings to token[33] and
 * object[256].  KN_ERR_INVAL when malformed.
 */
int	kn_key_pkcs11_uri_parse(char token[33], char object[256],
	    const char *uri) KN_WUR;

/*
 * Between key.c and p11.c only.  One libp11 context per module path is
 * shared by all keystores of the process (PKCS#11 initializes a module
 * once per process) and unloaded with the last of them.
 */
struct kn_p11mod;

int	kn_p11mod_get(struct kn_p11mod **out, const char *module,
	    const char *softhsm_conf) KN_WUR;
void	kn_p11mod_put(struct kn_p11mod *m);
/* A new reference to the private key labelled object in token. */
int	kn_p11mod_load_key(struct kn_p11mod *m, EVP_PKEY **out,
	    const char *token, const char *object, const char *pin) KN_WUR;
/*
 * The token half of a signer: sessions of the module that holds pkey's
 * token object, with a module reference.  *out is NULL (and 0 returned)
 * when the key is neither EC nor RSA: the caller signs through OpenSSL.
 */
struct kn_p11sign;

int	kn_p11sign_new(struct kn_p11mod *m, struct kn_p11sign **out,
	    const char *token, const char *object, EVP_PKEY *pkey) KN_WUR;
void	kn_p11sign_free(struct kn_p11sign *ps);
/* Whether it signs digests of md (RSA: those it has a DigestInfo for). */
bool	kn_p11sign_takes(const struct kn_p11sign *ps, const EVP_MD *md);
/* Signs the digest dg of md; KN_ERR_CRYPTO when the token fails twice. */
int	kn_p11sign_digest(struct kn_p11sign *ps, const EVP_MD *md,
	    const unsigned char *dg, size_t dlen, unsigned char *sig,
	    size_t *siglen) KN_WUR;
/* Destroys every object labelled label in token (direct PKCS#11). */
int	kn_p11_destroy(const char *module, const char *softhsm_conf,
	    const char *token, const char *pin, const char *label) KN_WUR;
/* Generates a key pair labelled label in token with direct PKCS#11 calls. */
int	kn_p11_generate(const char *module, const char *softhsm_conf,
	    const char *token, const char *pin, enum kn_keyalg alg,
	    const char *label) KN_WUR;

#endif
