/*
 * profile.c - the certificate profiles as data.  docs/profiles.md explains
 * each row; lint.c enforces them; issue.c builds from them.
 *
 * Sources: RFC 5280; CA/Browser Forum S/MIME Baseline Requirements v1.0.10
 * ("SBR"); TLS Baseline Requirements as in force on 2026-11-21 ("TLS BR",
 * with ballot SC-081v3: 200 days for certificates issued from 2026-03-15);
 * Chrome Root Program Policy (serverAuth-only TLS hierarchies, clientAuth
 * removed from new TLS certificates); RFC 6960 (OCSP); RFC 3161 (TSA);
 * RFC 9336 (id-kp-documentSigning); RFC 5652 (CMS, for the feed of verified
 * mail domains).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/profile.h"

#define ALG(a)		(1u << (a))
#define RSA_ALL		(ALG(KN_KEY_RSA_2048) | ALG(KN_KEY_RSA_3072) | \
			    ALG(KN_KEY_RSA_4096))
#define EC_ALL		(ALG(KN_KEY_EC_P256) | ALG(KN_KEY_EC_P384))
/* SBR 6.1.5: RSA, ECDSA P-256/P-384 (P-521 too, kakuin does not make
 * them), EdDSA.  TLS BR 6.1.5: RSA and ECDSA only. */
#define KEYS_SMIME	(RSA_ALL | EC_ALL | ALG(KN_KEY_ED25519))
#define KEYS_WEBPKI	(RSA_ALL | EC_ALL)

#define DS	X509v3_KU_DIGITAL_SIGNATURE
#define NR	X509v3_KU_NON_REPUDIATION
#define KE	X509v3_KU_KEY_ENCIPHERMENT
#define KCS	X509v3_KU_KEY_CERT_SIGN
#define CRLS	X509v3_KU_CRL_SIGN

#define SBR	"CA/Browser Forum S/MIME BR v1.0.10"
#define TLSBR	"CA/Browser Forum TLS BR (SC-081v3, as of 2026-11-21)"

const struct kn_profile kn_profiles[] = {
	{
		.name = "root-ca",
		.title = "Root CA (self-signed)",
		.rules = "RFC 5280; " TLSBR " 7.1.2.1",
		.kind = KN_PROF_ROOT,
		.subject = KN_SUBJ_CA,
		.policy_oid = NULL,	/* TLS BR 7.1.2.1: NOT RECOMMENDED */
		.max_days = 9132,	/* 25 years */
		.default_days = 5479,	/* 15 years */
		.key_algs = KEYS_WEBPKI,
		.ku_sig = KCS | CRLS,
		.ku_rsa = KCS | CRLS,
		.ku_optional = DS,
		.ca = true,
		.path_len = -1,
	},
	{
		.name = "sub-ca",
		.title = "Issuing CA (private hierarchy, all purposes)",
		.rules = "RFC 5280 4.2.1.9",
		.kind = KN_PROF_SUBCA,
		.subject = KN_SUBJ_CA,
		/* One issuing CA for every kakuin profile: anyPolicy so that
		 * RFC 5280 6.1 policy processing accepts each leaf policy. */
		.policy_oid = KN_OID_ANY_POLICY,
		.max_days = 3653,
		.default_days = 1826,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = KCS | CRLS,
		.ku_rsa = KCS | CRLS,
		.ku_optional = DS,
		.ca = true,
		.path_len = 0,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "sub-ca-smime",
		.title = "Issuing CA for S/MIME (publicly trusted)",
		.rules = SBR " 7.1.2.2",
		.kind = KN_PROF_SUBCA,
		.subject = KN_SUBJ_CA,
		/* SBR 7.1.2.2(a): anyPolicy for an affiliated CA. */
		.policy_oid = KN_OID_ANY_POLICY,
		.max_days = 3653,
		.default_days = 1826,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = KCS | CRLS,
		.ku_rsa = KCS | CRLS,
		.ku_optional = DS,
		/* SBR 7.1.2.2(g): emailProtection SHALL; the others are the
		 * Multipurpose leaf EKUs (EKU chaining in Windows). */
		.eku = { NID_email_protect, NID_client_auth, KN_EKU_DOCSIGN },
		.eku_exact = true,
		.ca = true,
		.path_len = 0,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "sub-ca-tls",
		.title = "Issuing CA for TLS servers (publicly trusted)",
		.rules = TLSBR " 7.1.2.10; Chrome Root Program Policy",
		.kind = KN_PROF_SUBCA,
		.subject = KN_SUBJ_CA,
		.policy_oid = KN_OID_ANY_POLICY,
		.max_days = 3653,
		.default_days = 1826,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = KCS | CRLS,
		.ku_rsa = KCS | CRLS,
		.ku_optional = DS,
		.eku = { NID_server_auth },	/* serverAuth-only hierarchy */
		.eku_exact = true,
		.ca = true,
		.path_len = 0,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "smime-sponsor-multipurpose",
		.title = "S/MIME Sponsor-validated Multipurpose (employee)",
		.rules = SBR,
		.kind = KN_PROF_SMIME,
		.subject = KN_SUBJ_SPONSORED,
		.policy_oid = "2.23.140.1.5.3.2",
		.max_days = 825,		/* SBR 6.3.2 */
		.default_days = 365,
		.key_algs = KEYS_SMIME,
		.ku_sig = DS,			/* SBR 7.1.2.3(e): signing */
		.ku_rsa = DS | KE,		/* SBR 7.1.2.3(e): dual use */
		.ku_optional = NR,
		.eku = { NID_email_protect },	/* + clientAuth, docSigning */
		.san = KN_SAN_EMAIL,
		.org_bound = true,
		.allow_hold = true,		/* SBR 4.9.13 */
		.path_len = -1,
		.http_only = true,
		.user_notice = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "smime-sponsor-strict",
		.title = "S/MIME Sponsor-validated Strict (employee)",
		.rules = SBR,
		.kind = KN_PROF_SMIME,
		.subject = KN_SUBJ_SPONSORED,
		.policy_oid = "2.23.140.1.5.3.3",
		.max_days = 825,
		.default_days = 365,
		.key_algs = KEYS_SMIME,
		.ku_sig = DS,
		.ku_rsa = DS | KE,
		.ku_optional = NR,
		.eku = { NID_email_protect },
		.eku_exact = true,		/* SBR 7.1.2.3(f) Strict */
		.san = KN_SAN_EMAIL,
		.org_bound = true,
		.allow_hold = false,		/* SBR 4.9.13: not Strict */
		.path_len = -1,
		.http_only = true,
		.user_notice = true,
		.strict = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "smime-org-multipurpose",
		.title = "S/MIME Organization-validated Multipurpose "
		    "(role or department mailbox)",
		.rules = SBR,
		.kind = KN_PROF_SMIME,
		.subject = KN_SUBJ_ORG,
		.policy_oid = "2.23.140.1.5.2.2",
		.max_days = 825,
		.default_days = 365,
		.key_algs = KEYS_SMIME,
		.ku_sig = DS,
		.ku_rsa = DS | KE,
		.ku_optional = NR,
		.eku = { NID_email_protect },
		.san = KN_SAN_EMAIL,
		.org_bound = true,
		.allow_hold = true,
		.path_len = -1,
		.http_only = true,
		.user_notice = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "smime-org-strict",
		.title = "S/MIME Organization-validated Strict "
		    "(role or department mailbox)",
		.rules = SBR,
		.kind = KN_PROF_SMIME,
		.subject = KN_SUBJ_ORG,
		.policy_oid = "2.23.140.1.5.2.3",
		.max_days = 825,
		.default_days = 365,
		.key_algs = KEYS_SMIME,
		.ku_sig = DS,
		.ku_rsa = DS | KE,
		.ku_optional = NR,
		.eku = { NID_email_protect },
		.eku_exact = true,
		.san = KN_SAN_EMAIL,
		.org_bound = true,
		.path_len = -1,
		.http_only = true,
		.user_notice = true,
		.strict = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "client-auth",
		.title = "TLS client authentication (employee)",
		.rules = "RFC 5280; kakuin policy " KN_OID_POLICY_CLIENT,
		.kind = KN_PROF_CLIENT,
		.subject = KN_SUBJ_SPONSORED,
		.policy_oid = KN_OID_POLICY_CLIENT,
		.max_days = 825,
		.default_days = 365,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS,
		.ku_rsa = DS,
		.eku = { NID_client_auth },
		.eku_exact = true,
		.san = 0,		/* rfc822Name MAY: a verified mailbox */
		.org_bound = true,
		.allow_hold = true,
		.path_len = -1,
		.http_only = true,
		.user_notice = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "document-signing",
		.title = "Document signing (employee)",
		.rules = "RFC 5280; RFC 9336; kakuin policy "
		    KN_OID_POLICY_DOCSIGN,
		.kind = KN_PROF_DOCSIGN,
		.subject = KN_SUBJ_SPONSORED,
		.policy_oid = KN_OID_POLICY_DOCSIGN,
		.max_days = 825,
		.default_days = 365,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS | NR,
		.ku_rsa = DS | NR,
		.eku = { KN_EKU_DOCSIGN },
		.eku_exact = true,
		.san = 0,
		.org_bound = true,
		.allow_hold = false,	/* long-term validation: final */
		.path_len = -1,
		.http_only = true,
		.user_notice = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "tls-dv",
		.title = "TLS server, domain validated",
		.rules = TLSBR,
		.kind = KN_PROF_TLS,
		.subject = KN_SUBJ_TLS_DV,
		.policy_oid = "2.23.140.1.2.1",
		.max_days = 200,	/* TLS BR 6.3.2 from 2026-03-15 */
		.default_days = 90,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS,
		.ku_rsa = DS,
		.ku_optional = KE,	/* RSA only (lint: e_ku_key_type) */
		.eku = { NID_server_auth },
		.eku_exact = true,	/* Chrome: no clientAuth */
		.san = KN_SAN_DNS,
		.path_len = -1,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "tls-ov",
		.title = "TLS server, organization validated",
		.rules = TLSBR,
		.kind = KN_PROF_TLS,
		.subject = KN_SUBJ_TLS_OV,
		.policy_oid = "2.23.140.1.2.2",
		.max_days = 200,
		.default_days = 90,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS,
		.ku_rsa = DS,
		.ku_optional = KE,
		.eku = { NID_server_auth },
		.eku_exact = true,
		.san = KN_SAN_DNS,
		.org_bound = true,
		.path_len = -1,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "tls-ev",
		.title = "TLS server, extended validation",
		.rules = TLSBR "; EV Guidelines",
		.kind = KN_PROF_TLS,
		.subject = KN_SUBJ_TLS_EV,
		.policy_oid = "2.23.140.1.1",
		.max_days = 200,
		.default_days = 90,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS,
		.ku_rsa = DS,
		.ku_optional = KE,
		.eku = { NID_server_auth },
		.eku_exact = true,
		.san = KN_SAN_DNS,
		.org_bound = true,
		.path_len = -1,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		.name = "ocsp-signing",
		.title = "Delegated OCSP responder",
		.rules = "RFC 6960 4.2.2.2; " SBR " 4.9.9",
		.kind = KN_PROF_OCSP,
		.subject = KN_SUBJ_SERVICE,
		.policy_oid = KN_OID_POLICY_OCSP,
		.max_days = 90,
		.default_days = 30,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS,
		.ku_rsa = DS,
		.eku = { NID_OCSP_sign },
		.eku_exact = true,
		.ocsp_nocheck = true,
		.path_len = -1,
		.http_only = true,
		.aia = false,
		.crl_dp = false,	/* ocsp-nocheck: never checked */
	},
	{
		.name = "tsa",
		.title = "Time-stamping unit",
		.rules = "RFC 3161 2.3; kakuin policy " KN_OID_POLICY_TSA,
		.kind = KN_PROF_TSA,
		.subject = KN_SUBJ_SERVICE,
		.policy_oid = KN_OID_POLICY_TSA,
		.max_days = 1827,
		.default_days = 1096,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS,
		.ku_rsa = DS,
		.ku_optional = NR,
		.eku = { NID_time_stamp },
		.eku_critical = true,	/* RFC 3161 2.3: MUST be critical */
		.eku_exact = true,
		.path_len = -1,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
	{
		/* Signs /feed/mail-domains (CMS SignedData, RFC 5652): a
		 * receiver accepts a feed only from a certificate with this
		 * purpose, so that no other certificate of the CA can speak
		 * for the registry. */
		.name = "feed-signing",
		.title = "Mail-domain feed signer",
		.rules = "RFC 5652; kakuin policy " KN_OID_POLICY_FEED,
		.kind = KN_PROF_FEED,
		.subject = KN_SUBJ_SERVICE,
		.policy_oid = KN_OID_POLICY_FEED,
		.max_days = 825,
		.default_days = 365,
		.key_algs = KEYS_WEBPKI,
		.ku_sig = DS,
		.ku_rsa = DS,
		.eku = { KN_EKU_FEED },
		.eku_exact = true,
		.path_len = -1,
		.http_only = true,
		.crl_dp = true,
		.aia = true,
	},
};

const size_t kn_nprofiles = sizeof(kn_profiles) / sizeof(kn_profiles[0]);

const struct kn_profile *
kn_profile_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < kn_nprofiles; i++)
		if (strcmp(kn_profiles[i].name, name) == 0)
			return &kn_profiles[i];
	return NULL;
}

const struct kn_profile *
kn_profile_by_policy(const char *oid)
{
	size_t i;

	if (oid == NULL)
		return NULL;
	for (i = 0; i < kn_nprofiles; i++) {
		const struct kn_profile *p = &kn_profiles[i];

		if (!p->ca && p->policy_oid != NULL &&
		    strcmp(p->policy_oid, oid) == 0)
			return p;
	}
	return NULL;
}

bool
kn_profile_allows_key(const struct kn_profile *p, enum kn_keyalg alg)
{
	if (p == NULL || alg == KN_KEY_NONE || (unsigned)alg >= 32)
		return false;
	return (p->key_algs & ALG(alg)) != 0;
}

unsigned
kn_profile_ku(const struct kn_profile *p, enum kn_keyalg alg)
{
	switch (alg) {
	case KN_KEY_RSA_2048:
	case KN_KEY_RSA_3072:
	case KN_KEY_RSA_4096:
		return p->ku_rsa;
	default:
		return p->ku_sig;
	}
}

static CRYPTO_ONCE eku_once = CRYPTO_ONCE_STATIC_INIT;
static int docsign_nid, feed_nid;

static int
register_oid(const char *oid, const char *sn, const char *ln)
{
	int nid;

	if ((nid = OBJ_txt2nid(oid)) == NID_undef)
		nid = OBJ_create(oid, sn, ln);
	return nid == NID_undef ? 0 : nid;
}

static void
eku_init(void)
{
	docsign_nid = register_oid(KN_OID_KP_DOCSIGN, "documentSigning",
	    "Document Signing");
	feed_nid = register_oid(KN_OID_KP_FEED, "kakuinFeedSigning",
	    "kakuin Mail-Domain Feed Signing");
}

int
kn_profile_eku_nid(int eku)
{
	if (eku != KN_EKU_DOCSIGN && eku != KN_EKU_FEED)
		return eku;
	if (!CRYPTO_THREAD_run_once(&eku_once, eku_init))
		return 0;
	return eku == KN_EKU_DOCSIGN ? docsign_nid : feed_nid;
}
