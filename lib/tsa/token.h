/*
 * token.h - time-stamp tokens written by hand (inside lib/tsa only).
 *
 * A token is a CMS SignedData (RFC 5652) over a TSTInfo (RFC 3161 section
 * 2.4.2) with ESSCertIDv2 (RFC 5816).  All of it that depends only on the
 * signing unit - its certificates, its issuer and serial, its name, the
 * signing-certificate attribute - is encoded once when the unit is
 * loaded; a request then costs its TSTInfo, one digest and the signature.
 */
#ifndef KN_TSA_TOKEN_H
#define KN_TSA_TOKEN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/key.h"

struct kn__tsa_tmpl;

/* What one token says besides the unit (each slice a whole DER TLV). */
struct kn__tsa_grant {
	struct kn_slice	 policy;	/* OBJECT IDENTIFIER */
	struct kn_slice	 imprint;	/* MessageImprint */
	struct kn_slice	 nonce;		/* INTEGER, or empty */
	bool		 cert_req;
	int64_t		 serial;
	int		 accuracy_ms;	/* 0: no accuracy */
	struct timespec	 time;
};

/* The unit's part of every token; chain may be NULL. */
int	kn__tsa_tmpl_new(struct kn__tsa_tmpl **out, X509 *cert,
	    STACK_OF(X509) *chain, EVP_PKEY *key) KN_WUR;
void	kn__tsa_tmpl_free(struct kn__tsa_tmpl *tp);
/* Appends a whole granted TimeStampResp to out. */
int	kn__tsa_token(struct kn_buf *out, const struct kn__tsa_tmpl *tp,
	    struct kn_signer *signer, const struct kn__tsa_grant *g) KN_WUR;

#endif
