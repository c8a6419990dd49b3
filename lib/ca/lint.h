/*
 * lint.h - pre-issuance certificate linting.
 *
 * Every to-be-signed certificate is checked against RFC 5280 and its
 * profile's rules before it is signed; a certificate with an error
 * finding is never signed.  `kakuin cert lint FILE` runs the same checks
 * on any certificate.  Each finding names its rule and the section of the
 * document it comes from ("RFC 5280 section 4.2.1.9", "S/MIME BR 7.1.2.3").
 */
#ifndef KN_CA_LINT_H
#define KN_CA_LINT_H

#include <stddef.h>

#include <openssl/x509.h>

#include "base/err.h"
#include "ca/profile.h"

enum kn_lint_level {
	KN_LINT_ERROR,		/* violates a MUST/SHALL: never signed */
	KN_LINT_WARN,		/* violates a SHOULD */
};

struct kn_lint_finding {
	enum kn_lint_level	 level;
	const char		*rule;		/* e.g. "e_smime_eku_strict" */
	const char		*source;	/* e.g. "S/MIME BR 7.1.2.3(f)" */
	char			 msg[256];	/* what is wrong, for a person */
};

/* Findings past KN_LINT_MAX are counted in errors/warnings, not kept. */
#define KN_LINT_MAX 64

struct kn_lint_report {
	struct kn_lint_finding	 f[KN_LINT_MAX];
	size_t			 n;
	size_t			 errors;
	size_t			 warnings;
	const struct kn_profile	*profile;	/* checked against */
};

/*
 * Lints x (signed or not: the signature itself is not checked) against
 * profile p; with p NULL the profile is recognized from the certificate's
 * policy OIDs, EKU and basic constraints (RFC 5280 checks only when none
 * fits).  issuer, when given, is the issuing CA's certificate (name
 * chaining and AKI).  Returns 0 when the report could be made (look at
 * rep->errors), or an error when x could not be examined.
 */
int	kn_lint_cert(struct kn_lint_report *rep, X509 *x,
	    const struct kn_profile *p, X509 *issuer) KN_WUR;

/*
 * Lints a DER certificate given as bytes (the fuzz entry point), with the
 * profile recognized from the certificate.  KN_ERR_INVAL when the bytes
 * are not exactly one certificate (trailing bytes included), with the
 * detail in kn_err_get(); KN_ERR_TOOBIG above KN_LINT_DER_MAX bytes.
 */
int	kn_lint_der(struct kn_lint_report *rep, const unsigned char *der,
	    size_t len) KN_WUR;

/* Added with lint.c: */

#define KN_LINT_DER_MAX (64 * 1024)

/* One rule of the linter, for documentation and tests. */
struct kn_lint_rule {
	const char		*id;
	enum kn_lint_level	 level;
	const char		*source;
	const char		*what;		/* one line, for a person */
};

/* The i-th rule (0-based), or NULL past the last one. */
const struct kn_lint_rule *kn_lint_rule_at(size_t i);
/*
 * The profile a certificate looks like: CA certificates by self-issue and
 * EKU, others by policy OID (kn_profile_by_policy), then by EKU
 * (OCSPSigning, timeStamping).  NULL when none fits.
 */
const struct kn_profile *kn_lint_guess_profile(X509 *x);
/* The first finding of rule id in rep, or NULL. */
const struct kn_lint_finding *kn_lint_find(const struct kn_lint_report *rep,
	    const char *id);

#endif
