/* ca_int.h - what the CA's files share.  Private to lib/ca. */
#ifndef KN_CA_INT_H
#define KN_CA_INT_H

#include <openssl/x509.h>

#include "base/buf.h"
#include "ca/ca.h"
#include "ca/profile.h"

struct kn_stmt;

/* Everything one certificate is built from. */
struct kn_build {
	const struct kn_profile	*p;
	EVP_PKEY		*pub;		/* subject public key */
	X509_PUBKEY		*spki;		/* the same from a CSR, or NULL:
						   copied as is (no key encoder) */
	X509_NAME		*subject;
	const char *const	*emails;
	size_t			 nemails;
	const char *const	*dns;
	size_t			 ndns;
	int			 days;
	X509			*issuer;	/* NULL: self-signed */
	EVP_PKEY		*issuer_key;
	const char		*issuer_name;	/* CA name, for URLs */
	int64_t			 shard;		/* CRL shard */
	const char		*base_url;
	const char		*registry_url;	/* NULL unless org-bound */
};

/* Builds, lints (with a throwaway key), then signs.  Writes the serial.
 * KN_ERR_VERIFY names the first lint error when the result breaks a
 * rule: nothing is signed then. */
int	kn__issue(X509 **out, char serial[KN_SERIAL_HEX],
	    const struct kn_build *b) KN_WUR;
/* A new in-memory key of alg (subscriber keys the CA generates, and the
 * throwaway keys of pre-issuance linting), or NULL. */
EVP_PKEY *kn__keygen(enum kn_keyalg alg);
/* The digest to sign with for key (NULL for Ed25519). */
const EVP_MD *kn__md_for(EVP_PKEY *key);
/* Signs with the digest that fits the key (none for Ed25519). */
int	kn__sign_cert(X509 *x, EVP_PKEY *key) KN_WUR;
int	kn__sign_crl(X509_CRL *crl, EVP_PKEY *key) KN_WUR;
X509	*kn__pem_x509(const char *pem);
char	*kn__x509_pem(X509 *x);
/* Serial of x as lower-case hex into out. */
void	kn__serial_hex(char out[KN_SERIAL_HEX], const ASN1_INTEGER *s);
/* Normalizes a serial typed by a person (colons, case). */
int	kn__serial_norm(char out[KN_SERIAL_HEX], const char *in) KN_WUR;
void	kn__asn1_time(char out[21], const ASN1_TIME *t);
/* A name as RFC 2253 text with UTF-8 kept (malloc'd), or NULL. */
char	*kn__name_str(const X509_NAME *n);
/* base with https:// turned into http://: CRL DP and AIA URLs are plain
 * HTTP (S/MIME BR 7.1.2.3(b), TLS BR 7.1.2.7.7). */
void	kn__http_base(struct kn_buf *b, const char *base);
/* URL of ca's CRL shard: BASE/crl/CA.crl, or BASE/crl/CA/N.crl for shard
 * N > 0. */
void	kn__crl_url(struct kn_buf *b, const char *base, const char *ca,
	    int64_t shard);
int	kn__ca_by_id(struct kn_db *db, struct kn_ca *out, int64_t id) KN_WUR;
void	kn__read_ca(struct kn_stmt *st, struct kn_ca *ca);
/* A CA's certificate, parsed once per process (a reference to free). */
X509	*kn__ca_cert(const struct kn_ca *ca);
/* C = JP, O = operator, CN = "<operator> <what><suffix>": the subject of
 * CA and responder certificates. */
X509_NAME *kn__operator_name(const struct kn_ca_env *env, const char *what,
	    const char *suffix);
/* Loads a CA's certificate and private key. */
/* Destroys a key made for a certificate that could not be made or
 * stored (so that its label can be made again and no spare key stays in
 * the token), keeping the detail of the error that stopped it; NULL is
 * no key. */
void	kn__drop_key(const struct kn_ca_env *env, const char *uri);
int	kn__ca_keys(const struct kn_ca_env *env, const struct kn_ca *ca,
	    X509 **cert, EVP_PKEY **key) KN_WUR;
/* Appends the audit row of a CA action whose detail JSON was written into
 * detail (KN_ERR_NOMEM when that buffer overflowed). */
int	kn__audit(struct kn_db *db, const char *actor, const char *action,
	    const char *object, const struct kn_buf *detail) KN_WUR;
/* The RFC 5280 CRLReason code of a reason name; -1 for unspecified (no
 * reasonCode). */
int	kn__reason_code(const char *r);
/* Drops the pre-signed OCSP answer of serial (its status changed); call
 * within the transaction that changes it. */
int	kn__ocsp_forget(struct kn_db *db, const char *serial) KN_WUR;
/* Signs serial's OCSP answer again at once (after its status changed);
 * a failure leaves it to the next asker. */
void	kn__ocsp_resign(struct kn_db *db, const struct kn_ca_env *env,
	    const char *serial);
/* Lower-case hex SHA-256 of a SubjectPublicKeyInfo (certs.spki_sha256). */
int	kn__spki_hash(X509_PUBKEY *pk, char out[65]) KN_WUR;
/* Base64 (no newlines) of n bytes, and back. */
char	*kn__b64(const unsigned char *p, size_t n);
int	kn__unb64(const char *s, unsigned char **out, size_t *len) KN_WUR;

#define KN_CA_COLS "id, name, COALESCE(parent_id, 0), key_uri, cert_pem, " \
	"subject, serial, not_before, not_after, issued, crl_number, " \
	"shard_size, profile"

/* True when a CA of profile ca may issue certificates of profile leaf:
 * an EKU-constrained CA only for EKUs it carries itself. */
bool	kn__ca_can_issue(const struct kn_profile *ca,
	    const struct kn_profile *leaf);

#endif
