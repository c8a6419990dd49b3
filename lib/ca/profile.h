/*
 * profile.h - certificate profiles, defined as data (profile.c) and
 * documented in docs/profiles.md.
 *
 * A profile says what a certificate of its kind must look like: policy
 * OID, validity limit, key algorithms, key usage per key type, extended
 * key usage, which names it carries and where they come from.  The issuer
 * (issue.c) builds certificates from it; the linter (lint.c) checks any
 * certificate against it and against RFC 5280.  Organization-bound
 * subjects come from the registry, never from a CSR.
 */
#ifndef KN_CA_PROFILE_H
#define KN_CA_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/key.h"

enum kn_prof_kind {
	KN_PROF_ROOT,		/* self-signed root CA */
	KN_PROF_SUBCA,		/* issuing CA */
	KN_PROF_SMIME,
	KN_PROF_CLIENT,
	KN_PROF_DOCSIGN,
	KN_PROF_TLS,
	KN_PROF_OCSP,		/* delegated OCSP responder */
	KN_PROF_TSA,		/* time-stamping unit */
	KN_PROF_FEED,		/* signer of the mail-domain feed */
};

/* Which subject a profile builds (and the linter expects). */
enum kn_subj {
	KN_SUBJ_CA,		/* CN = CA name, O = operator, C */
	KN_SUBJ_SPONSORED,	/* givenName, surname, CN = personal name,
				   O, organizationIdentifier, C (SBR 7.1.4.2.4) */
	KN_SUBJ_ORG,		/* CN = organization name, O,
				   organizationIdentifier, C (SBR 7.1.4.2.3) */
	KN_SUBJ_TLS_DV,		/* CN = first dNSName, nothing else */
	KN_SUBJ_TLS_OV,		/* CN, O, ST, C */
	KN_SUBJ_TLS_EV,		/* CN, O, businessCategory,
				   jurisdictionCountryName, serialNumber, C */
	KN_SUBJ_SERVICE,	/* CN = service name, O = operator, C */
};

/*
 * kakuin's own OID arc (ITU-T X.667: UUID 384f8714-7212-49ca-b5a6-
 * 41781d0e40f8), for policies no forum has an OID for and the registry
 * URL extension.  Operators may configure their own arc later.
 */
#define KN_OID_ARC "2.25.74849698960942683782532264219848360184"
#define KN_OID_POLICY_CLIENT KN_OID_ARC ".1.1"	/* client authentication */
#define KN_OID_POLICY_DOCSIGN KN_OID_ARC ".1.2"	/* document signing */
#define KN_OID_POLICY_OCSP KN_OID_ARC ".1.3"	/* OCSP responder */
#define KN_OID_POLICY_TSA KN_OID_ARC ".1.4"	/* time-stamping unit */
#define KN_OID_POLICY_CA KN_OID_ARC ".1.5"	/* CA certificates */
#define KN_OID_POLICY_FEED KN_OID_ARC ".1.6"	/* mail-domain feed signer */
/* Non-critical extension: IA5String URL of the organization's public
 * registry page (used where a userNotice is not allowed, e.g. TLS). */
#define KN_OID_REGISTRY_URL KN_OID_ARC ".2.1"
/* .3: time-stamp policies (config.h).  .4: key purposes (extKeyUsage).
 * .5: CMS content types.  Both for the signed feed of verified mail
 * domains (registry/feed.h, docs/mail.md). */
#define KN_OID_KP_FEED KN_OID_ARC ".4.1"	/* id-kp: sign the feed */
#define KN_OID_CT_FEED KN_OID_ARC ".5.1"	/* eContentType of the feed */

/* Subject alternative names a profile requires. */
#define KN_SAN_EMAIL	0x1	/* rfc822Name: mail domain the org verified */
#define KN_SAN_DNS	0x2	/* dNSName: web domain the org verified */

/* Key usage bits, as OpenSSL's X509v3_KU_* (digitalSignature 0x80 ...). */

#define KN_OID_ANY_POLICY "2.5.29.32.0"
/* id-kp-documentSigning (RFC 9336).  OpenSSL 3.0 has no NID for it, so
 * eku[] holds the sentinel KN_EKU_DOCSIGN; kn_profile_eku_nid() turns it
 * into a NID (registering the OID on first use). */
#define KN_OID_KP_DOCSIGN "1.3.6.1.5.5.7.3.36"
#define KN_EKU_DOCSIGN (-1)
/* kakuin's feed-signing purpose (KN_OID_KP_FEED), the same way. */
#define KN_EKU_FEED (-2)

#define KN_MAX_EKU 4

struct kn_profile {
	const char	*name;		/* e.g. "smime-sponsor-strict" */
	const char	*title;
	const char	*rules;		/* governing document and version */
	enum kn_prof_kind kind;
	enum kn_subj	 subject;
	const char	*policy_oid;	/* certificatePolicies; NULL: none */
	int		 max_days;	/* validity limit of the rules */
	int		 default_days;	/* what kakuin issues by default */
	unsigned	 key_algs;	/* 1u << enum kn_keyalg allowed */
	unsigned	 ku_sig;	/* KU for EC and Ed25519 keys */
	unsigned	 ku_rsa;	/* KU for RSA keys */
	unsigned	 ku_optional;	/* bits that may be added */
	int		 eku[KN_MAX_EKU];	/* NIDs, 0-terminated */
	bool		 eku_critical;
	bool		 eku_exact;	/* no EKU but these (strict) */
	unsigned	 san;		/* KN_SAN_* required */
	bool		 org_bound;	/* subject organization from registry */
	bool		 allow_hold;	/* certificateHold (suspension) */
	bool		 ocsp_nocheck;	/* id-pkix-ocsp-nocheck */
	bool		 ca;
	int		 path_len;	/* CA path length; -1: absent */
	bool		 http_only;	/* CRL DP / AIA URIs http:// only */
	bool		 user_notice;	/* registry page URL as userNotice */
	/* Added with the linter: */
	bool		 strict;	/* S/MIME BR Strict generation */
	bool		 crl_dp;	/* cRLDistributionPoints required */
	bool		 aia;		/* authorityInfoAccess required */
};

extern const struct kn_profile kn_profiles[];
extern const size_t kn_nprofiles;

/* The profile of this name, or NULL. */
const struct kn_profile *kn_profile_find(const char *name);
/* The subscriber profile whose policy OID is oid, or NULL. */
const struct kn_profile *kn_profile_by_policy(const char *oid);
/* True when the profile allows keys of alg. */
bool	kn_profile_allows_key(const struct kn_profile *p, enum kn_keyalg alg);
/* The required KU bits for a key of alg (ku_rsa for RSA, else ku_sig). */
unsigned kn_profile_ku(const struct kn_profile *p, enum kn_keyalg alg);
/*
 * The OpenSSL NID of an eku[] entry: the entry itself, or for
 * KN_EKU_DOCSIGN and KN_EKU_FEED the NID of id-kp-documentSigning and of
 * kakuin's feed-signing purpose (created once, thread safe).  0 when the
 * OID cannot be registered.
 */
int	kn_profile_eku_nid(int eku);

#endif
