/*
 * ca.h - the certificate authority: hierarchy, the RA workflow from
 * request to revocation, and CRLs.
 *
 * Data flow: a request (CSR, or a key the CA generates and delivers once
 * as PKCS#12) names an organization, a profile and the subscriber's names
 * and mail addresses or host names; an officer (any "ra" officer, or a
 * local RA officer bound to that organization) records the identity check
 * and approves; the CA builds the certificate from registry data (never
 * from the CSR's subject), lints it, signs it with its key (in the token),
 * and stores it with the audit record in one durable transaction.
 */
#ifndef KN_CA_CA_H
#define KN_CA_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/key.h"

struct kn_db;
struct kn_principal;

/* What CA operations need besides the store. */
struct kn_ca_env {
	struct kn_keystore	*ks;
	const char		*base_url;	/* CRL DP, AIA, registry URLs */
	const char		*operator_name;	/* O of CA certificates */
	const char		*key_kind;	/* "pkcs11" or "file" */
	const char		*key_dir;	/* directory for file: keys */
	enum kn_keyalg		 key_alg;	/* for new CA keys */
	int			 crl_days;	/* nextUpdate - thisUpdate */
	int64_t			 shard_size;	/* certificates per CRL */
};

#define KN_CA_NAME_MAX 32
#define KN_SERIAL_HEX 41	/* 20 octets in hex + NUL */

struct kn_ca {
	int64_t	 id;
	char	 name[KN_CA_NAME_MAX + 1];
	int64_t	 parent_id;		/* 0 for a root */
	char	*key_uri;
	char	*cert_pem;
	char	*subject;
	char	 serial[KN_SERIAL_HEX];
	char	 not_before[21];
	char	 not_after[21];
	int64_t	 issued;
	int64_t	 crl_number;
	int64_t	 shard_size;
	char	 profile[24];		/* root-ca, sub-ca, sub-ca-smime... */
};

void	kn_ca_cleanup(struct kn_ca *ca);
/* CA names: 1..32 of [a-z0-9-], starting with a letter. */
bool	kn_valid_ca_name(const char *name);
/* Creates a self-signed root CA (key generated per env). */
int	kn_ca_create_root(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const char *name, int days, struct kn_ca *out)
	    KN_WUR;
/* Creates an issuing CA under parent, of profile (NULL: "sub-ca", for a
 * private hierarchy; "sub-ca-smime" and "sub-ca-tls" for publicly
 * trusted ones, which keep S/MIME and TLS apart). */
int	kn_ca_create_sub(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const char *name, const char *parent,
	    const char *profile, int days, struct kn_ca *out) KN_WUR;
/* Loads every CA's key once: KN_ERR_* naming the first that fails. */
int	kn_ca_check_keys(struct kn_db *db, const struct kn_ca_env *env)
	    KN_WUR;
int	kn_ca_get(struct kn_db *db, struct kn_ca *out, const char *name)
	    KN_WUR;
/* Every CA, roots first; free with kn_ca_list_free(). */
int	kn_ca_list(struct kn_db *db, struct kn_ca **out, size_t *n) KN_WUR;
void	kn_ca_list_free(struct kn_ca *v, size_t n);
/* The issuing CA new certificates of profile go to by default: the
 * newest issuing CA whose profile allows them, or KN_ERR_NOTFOUND. */
int	kn_ca_default_issuer(struct kn_db *db, struct kn_ca *out,
	    const char *profile) KN_WUR;

#define KN_MAX_NAMES 16		/* emails or DNS names per request */

struct kn_cert_request_in {
	int64_t		 org;
	const char	*profile;
	const char	*ca;		/* NULL: the default issuing CA */
	const char	*csr_pem;	/* or NULL with keygen */
	const char	*keygen;	/* "ec-p256"...: the CA generates */
	const char	*given_name;
	const char	*surname;
	const char	*emails[KN_MAX_NAMES];
	size_t		 nemails;
	const char	*dns[KN_MAX_NAMES];
	size_t		 ndns;
	int		 days;		/* 0: the profile's default */
	const char	*renewal_of;	/* serial renewed, or NULL */
};

#define KN_REVOCATION_CODE 28	/* base64url of 20 bytes + NUL */

/*
 * The checks every CSR goes through (also the fuzz entry point): exactly
 * one PEM CERTIFICATE REQUEST of at most 64 KiB and nothing after it, a
 * self-signature that verifies (RFC 2986 proof of possession), no MD5 or
 * SHA-1, and a key the profile allows.  *pub gets the public key.
 */
int	kn_csr_parse(const char *pem, const char *profile, EVP_PKEY **pub)
	    KN_WUR;

/*
 * Records a request after checking it completely (CSR signature and key,
 * profile, organization status, names against the organization's verified
 * domains).  Returns its id and the subscriber's revocation code (shown
 * once; stored only as a hash).
 */
int	kn_cert_request(struct kn_db *db, const char *actor,
	    const struct kn_cert_request_in *in, int64_t *id,
	    char code[KN_REVOCATION_CODE]) KN_WUR;

struct kn_identity_check {
	const char	*who;		/* officer who checked the person */
	const char	*how;		/* e.g. "photo ID in person" */
	const char	*ref;		/* evidence reference */
};

#define KN_P12_PASSWORD 28

/*
 * Approves request id and issues its certificate.  officer may be NULL
 * (the data directory's owner) or a principal; a local RA officer
 * (org_number set) may approve only for its organization.  Writes the
 * serial; for a CA-generated key also the PKCS#12 password (else "").
 */
int	kn_cert_approve(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const struct kn_principal *officer, int64_t id,
	    const struct kn_identity_check *idc, char serial[KN_SERIAL_HEX],
	    char p12_password[KN_P12_PASSWORD]) KN_WUR;
int	kn_cert_reject(struct kn_db *db, const char *actor,
	    const struct kn_principal *officer, int64_t id, const char *reason)
	    KN_WUR;

struct kn_cert {
	char	 serial[KN_SERIAL_HEX];
	char	 ca[KN_CA_NAME_MAX + 1];
	int64_t	 request_id;
	int64_t	 org_number;
	char	 profile[48];
	char	*subject;
	char	*emails;
	char	*dns_names;
	char	 not_before[21];
	char	 not_after[21];
	char	 status[8];		/* valid, hold, revoked */
	char	*revoked_at;
	char	*reason;
	char	*cert_pem;
	int64_t	 shard;
	bool	 p12_waiting;		/* a PKCS#12 not yet exported */
};

void	kn_cert_cleanup(struct kn_cert *c);
/* Serials are accepted in hex with or without colons, any case. */
int	kn_cert_get(struct kn_db *db, struct kn_cert *out, const char *serial)
	    KN_WUR;

struct kn_cert_query {
	int64_t		 org;		/* 0: any */
	const char	*status;	/* NULL: any */
	int		 limit;
	int		 offset;
};

int	kn_cert_list(struct kn_db *db, const struct kn_cert_query *q,
	    struct kn_cert **out, size_t *n) KN_WUR;
void	kn_cert_list_free(struct kn_cert *v, size_t n);

struct kn_request_info {
	int64_t	 id;
	int64_t	 org;
	char	 profile[48];
	char	 status[12];
	char	*names;		/* given name + surname */
	char	*emails;
	char	*dns_names;
	char	*requested_by;
	char	*created_at;
	char	*decision;
	char	*serial;
};

int	kn_request_list(struct kn_db *db, const char *status,
	    struct kn_request_info **out, size_t *n) KN_WUR;
void	kn_request_list_free(struct kn_request_info *v, size_t n);
/* Frees the strings of one entry (for callers that filter a list). */
void	kn_request_list_free_one(struct kn_request_info *r);

/*
 * RFC 5280 section 5.3.1 reasons accepted for end-entity revocation:
 * keyCompromise, affiliationChanged, superseded, cessationOfOperation,
 * privilegeWithdrawn (and unspecified, which is recorded without a
 * reasonCode extension, S/MIME BR 7.2.2).
 */
bool	kn_valid_revocation_reason(const char *reason);

/*
 * Revokes a certificate, by an officer (officer non-NULL, or NULL with
 * code NULL for the data directory's owner) or by the subscriber (code:
 * the revocation code from the request).  KN_ERR_STATE when already
 * revoked.  The caller then signs the CA's new CRL (kn_crl_generate);
 * the revocation stands even if that fails, and the server's refresher
 * signs it before the current CRL's nextUpdate.
 */
int	kn_cert_revoke(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const struct kn_principal *officer,
	    const char *serial, const char *reason, const char *code) KN_WUR;
/* certificateHold and its release (not for strict S/MIME). */
int	kn_cert_suspend(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const struct kn_principal *officer,
	    const char *serial) KN_WUR;
int	kn_cert_resume(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const struct kn_principal *officer,
	    const char *serial) KN_WUR;
/*
 * Files a renewal request for serial with the same names and profile:
 * with csr_pem a re-key, without it the same public key.
 */
int	kn_cert_renew(struct kn_db *db, const char *actor, const char *serial,
	    const char *csr_pem, int64_t *id, char code[KN_REVOCATION_CODE])
	    KN_WUR;
/* Hands out a CA-generated key's PKCS#12 once, then forgets it. */
int	kn_cert_take_p12(struct kn_db *db, const char *actor,
	    const char *serial, unsigned char **der, size_t *len) KN_WUR;

/* Signs new CRLs for ca (every shard), or for every CA when ca is NULL.
 * *count receives the number of CRLs written. */
int	kn_crl_generate(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const char *ca, int *count) KN_WUR;
/* Regenerates CRLs whose nextUpdate is less than half their life away. */
int	kn_crl_refresh(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, int *count) KN_WUR;
/* The current CRL of ca's shard as DER (malloc'd). */
int	kn_crl_get(struct kn_db *db, const char *ca, int64_t shard,
	    unsigned char **der, size_t *len, char next_update[21]) KN_WUR;

/* A certificate the trust center issues to one of its own services. */
struct kn_service_cert {
	char	 serial[KN_SERIAL_HEX];
	char	*key_uri;
	char	*cert_pem;
	char	*subject;
	char	 not_after[21];
};

void	kn_service_cert_cleanup(struct kn_service_cert *c);
/*
 * Issues a service certificate of profile (e.g. "tsa") from ca, or when
 * ca is NULL from the default issuing CA for profile: a new key (in the
 * token, or a file key when CA keys are files), subject C=JP, O=operator,
 * CN="<operator> <what>".  It is stored in certs like a subscriber's (no
 * organization), so it can be revoked and shows in CRLs and OCSP, and is
 * audited as cert.issue.
 */
int	kn_ca_issue_service(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const char *ca, const char *profile,
	    const char *what, struct kn_service_cert *out) KN_WUR;

/* Makes sure ca has a delegated OCSP responder certificate (profile
 * ocsp-signing, id-pkix-ocsp-nocheck) valid for more than 10 days: issues
 * a new one with a new key when not.  The responder does the same on
 * demand. */
int	kn_ocsp_signer(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, const char *ca) KN_WUR;

/* Signs and stores the answers of up to max certificates that have none
 * or one past half its life (the server runs it once a minute);
 * *count receives how many. */
int	kn_ocsp_presign(struct kn_db *db, const struct kn_ca_env *env, int max,
	    int *count) KN_WUR;

/* kn_ocsp_signer for every CA (the server runs it once a minute). */
int	kn_ocsp_refresh(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor) KN_WUR;

/* What an OCSP exchange came to, for the access log. */
struct kn_ocsp_info {
	int		 status;	/* OCSPResponseStatus (RFC 6960 4.2.1) */
	int		 ids;		/* CertIDs in the request */
	const char	*why;		/* why not successful, or NULL */
	bool		 cached;	/* a pre-signed response */
	bool		 cacheable;	/* one SHA-1 CertID, no nonce */
	bool		 must_sign;	/* kn_ocsp_presigned: the answer
					   needs a fresh signature */
	char		 this_update[21];	/* of a successful one */
	char		 next_update[21];
	char		 cert_status[8];	/* stored status of the first
						   certificate, if ours */
	void		*request;	/* kn_ocsp_presigned(_get) with
					   must_sign: the request parsed,
					   for kn_ocsp_respond_parsed */
};

/* Frees what info holds (the parsed request). */
void	kn_ocsp_info_cleanup(struct kn_ocsp_info *info);

/* Answers one DER OCSPRequest (RFC 6960) with a DER OCSPResponse in *out
 * (malloc'd): successful with good / revoked / unknown for each CertID,
 * or malformedRequest, unauthorized (an issuer not ours), internalError
 * or, when env is NULL (no CA keys), tryLater, with no body.  Fails only when no response can be encoded at all. */
int	kn_ocsp_respond(struct kn_db *db, const struct kn_ca_env *env,
	    const unsigned char *req, size_t reqlen, unsigned char **out,
	    size_t *outlen, struct kn_ocsp_info *info) KN_WUR;
/* The same for GET /ocsp/{base64} (RFC 6960 appendix A.1), URL encoding
 * already undone; bad base64 is a malformedRequest. */
int	kn_ocsp_respond_get(struct kn_db *db, const struct kn_ca_env *env,
	    const char *b64, unsigned char **out, size_t *outlen,
	    struct kn_ocsp_info *info) KN_WUR;
/* kn_ocsp_respond and kn_ocsp_respond_get that never sign: they answer
 * from the pre-signed responses, or with a status that needs no
 * signature; when the answer needs a fresh one (a nonce, several
 * CertIDs, no pre-signed answer yet) they return 0 with *out NULL and
 * info->must_sign set, and the caller signs with kn_ocsp_respond(_get)
 * where waiting on the key blocks nobody. */
int	kn_ocsp_presigned(struct kn_db *db, const struct kn_ca_env *env,
	    const unsigned char *req, size_t reqlen, unsigned char **out,
	    size_t *outlen, struct kn_ocsp_info *info) KN_WUR;
int	kn_ocsp_presigned_get(struct kn_db *db, const struct kn_ca_env *env,
	    const char *b64, unsigned char **out, size_t *outlen,
	    struct kn_ocsp_info *info) KN_WUR;
/* kn_ocsp_respond for the request kn_ocsp_presigned(_get) parsed and left
 * in pre->request (taken), so that it is not parsed twice. */
int	kn_ocsp_respond_parsed(struct kn_db *db, const struct kn_ca_env *env,
	    struct kn_ocsp_info *pre, unsigned char **out, size_t *outlen,
	    struct kn_ocsp_info *info) KN_WUR;
/* An OCSPResponse of only a status, no body (RFC 6960 4.2.1). */
int	kn_ocsp_bare(int status, unsigned char **out, size_t *len) KN_WUR;

#endif
