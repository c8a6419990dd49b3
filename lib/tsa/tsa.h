/*
 * tsa.h - the time-stamp authority (RFC 3161, with RFC 5816's
 * ESSCertIDv2) and the verification of its tokens.
 *
 * A time-stamping unit is a key in the token and a certificate of profile
 * tsa (critical timeStamping EKU) from one of the trust center's CAs,
 * stored in certs like any other so that it can be revoked.  The newest
 * valid unit signs; one is made on first use, and again when the current
 * one is revoked or nears its end.
 *
 * Token serial numbers come from a counter in the store: a process
 * reserves a block durably before it hands out any number of it, so no
 * serial is ever given twice, across restarts and crashes, and serials
 * rise with time within one node.
 */
#ifndef KN_TSA_TSA_H
#define KN_TSA_TSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "ca/ca.h"

struct kn_db;

/* PKIFailureInfo bits (RFC 3161 section 2.4.2). */
#define KN_TSA_BAD_ALG			0
#define KN_TSA_BAD_REQUEST		2
#define KN_TSA_BAD_DATA_FORMAT		5
#define KN_TSA_TIME_NOT_AVAILABLE	14
#define KN_TSA_UNACCEPTED_POLICY	15
#define KN_TSA_UNACCEPTED_EXTENSION	16
#define KN_TSA_ADD_INFO_NOT_AVAILABLE	17
#define KN_TSA_SYSTEM_FAILURE		25

struct kn_tsa_conf {
	const char	*ca;		/* CA that certifies units; NULL: the
					   default issuer of profile tsa */
	const char	*policy;	/* policy OID of tokens by default */
	const char	*policies;	/* further OIDs a request may ask for
					   (comma or space separated), or NULL */
	int		 accuracy_ms;	/* accuracy of genTime; 0: not stated */
};

/* A TSA of one store: its unit (kept a few seconds) and its block of
 * serial numbers.  Use one per store, from any thread. */
struct kn_tsa;

/* KN_ERR_INVAL naming the setting when a policy OID is not valid. */
int	kn_tsa_new(struct kn_tsa **out, const struct kn_tsa_conf *conf)
	    KN_WUR;
void	kn_tsa_free(struct kn_tsa *t);

/* What a time-stamp exchange came to, for the access log. */
struct kn_tsa_info {
	int		 status;	/* PKIStatus: 0 granted, 2 rejection */
	int		 failure;	/* PKIFailureInfo bit, or -1 */
	const char	*why;		/* why not granted, or NULL */
	int64_t		 serial;	/* of a granted token */
	char		 hash[16];	/* imprint algorithm */
};

/*
 * Answers one DER TimeStampReq with a DER TimeStampResp in *out
 * (malloc'd): a token, or a rejection whose failure info and text name
 * the problem (badAlg for MD5, SHA-1 and unknown hashes, badDataFormat,
 * badRequest, unacceptedPolicy, unacceptedExtension, systemFailure when
 * no unit can sign).  env NULL (no keys) is a systemFailure.  Fails only
 * when no answer can be encoded at all.
 */
int	kn_tsa_respond(struct kn_tsa *t, struct kn_db *db,
	    const struct kn_ca_env *env, const unsigned char *req, size_t len,
	    unsigned char **out, size_t *outlen, struct kn_tsa_info *info)
	    KN_WUR;
/* A rejection (PKIStatus 2) with one failure bit and a text. */
int	kn_tsa_reject(int failure, const char *text, unsigned char **out,
	    size_t *len) KN_WUR;

/* The unit that signs now (made when there is none): its certificate's
 * serial and PEM (malloc'd). */
int	kn_tsa_unit(struct kn_tsa *t, struct kn_db *db,
	    const struct kn_ca_env *env, const char *actor,
	    char serial[KN_SERIAL_HEX], char **cert_pem) KN_WUR;
/* Makes a new unit now (a new key and certificate); the old one stops
 * signing. */
int	kn_tsa_rekey(struct kn_tsa *t, struct kn_db *db,
	    const struct kn_ca_env *env, const char *actor,
	    char serial[KN_SERIAL_HEX]) KN_WUR;

/* The hash algorithms a request may use: SHA-256/384/512 and SHA3. */
const EVP_MD *kn_tsa_md(const char *name);
/* Digest of a file's contents into out (EVP_MAX_MD_SIZE). */
int	kn_tsa_hash_file(const char *path, const EVP_MD *md,
	    unsigned char *out, unsigned int *len) KN_WUR;
/* A DER TimeStampReq for a digest: a random 64-bit nonce, certReq. */
int	kn_tsa_query(const EVP_MD *md, const unsigned char *digest,
	    unsigned int dlen, unsigned char **der, size_t *len) KN_WUR;

/* A verdict on a time-stamp over a file. */
struct kn_tsa_verdict {
	int	 result;		/* 0 good, 1 not good, 2 unusable */
	char	*text;			/* the verdict for a person */
	char	*problem;		/* what is wrong (result != 0) */
	char	 gen_time[40];		/* genTime as written */
	char	 serial[48];		/* token serial, decimal */
	char	 hash[16];
	char	 policy[96];
	char	*tsa;			/* subject of the signing unit */
	char	*issuer;		/* its CA */
	char	 cert_serial[KN_SERIAL_HEX];
	char	 cert_status[12];	/* valid, hold, revoked, unknown */
	char	*revoked_at;
	char	*reason;
};

void	kn_tsa_verdict_cleanup(struct kn_tsa_verdict *v);
/*
 * Checks a TimeStampResp or a bare token (DER) over the file at path:
 * the imprint, the signature and ESSCertIDv2, the chain to the store's
 * root CAs at genTime, and the unit certificate's status in the store
 * (a revocation for keyCompromise or before genTime fails it; RFC 3161
 * section 4).  Returns 0 with a verdict in *v (or KN_ERR_NOMEM).
 */
int	kn_tsa_verify(struct kn_db *db, const char *path,
	    const unsigned char *tsr, size_t len, struct kn_tsa_verdict *v)
	    KN_WUR;

#endif
