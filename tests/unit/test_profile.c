/* test_profile.c - invariants of the profile table (lib/ca/profile.c). */
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/profile.h"
#include "testutil.h"

/* The names the issuer and the CLI rely on. */
static void
test_names(void **state)
{
	static const char *want[] = { "root-ca", "sub-ca",
	    "smime-sponsor-multipurpose", "smime-sponsor-strict",
	    "smime-org-multipurpose", "smime-org-strict", "client-auth",
	    "document-signing", "tls-dv", "tls-ov", "tls-ev",
	    "ocsp-signing", "tsa" };
	size_t i, j;

	(void)state;
	for (i = 0; i < NITEMS(want); i++) {
		const struct kn_profile *p = kn_profile_find(want[i]);

		if (p == NULL)
			fail_msg("profile %s is missing", want[i]);
		CHECK_STR(want[i], p->name, want[i]);
	}
	for (i = 0; i < kn_nprofiles; i++)
		for (j = 0; j < i; j++)
			if (strcmp(kn_profiles[i].name,
			    kn_profiles[j].name) == 0)
				fail_msg("profile %s twice",
				    kn_profiles[i].name);
	assert_null(kn_profile_find("smime-mailbox-legacy"));
	assert_null(kn_profile_find(""));
	assert_null(kn_profile_find(NULL));
}

/* Each row's own rules, and rules across rows. */
static void
test_invariants(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < kn_nprofiles; i++) {
		const struct kn_profile *p = &kn_profiles[i];
		const char *n = p->name;
		ASN1_OBJECT *o;
		int k;

		if (p->title == NULL || p->rules == NULL)
			fail_msg("%s: title and rules are required", n);
		if (p->default_days <= 0 || p->default_days > p->max_days)
			fail_msg("%s: default %d days not in 1..max %d", n,
			    p->default_days, p->max_days);
		/* Inclusive validity: never issue the exact maximum. */
		if (p->default_days >= p->max_days)
			fail_msg("%s: default equals the maximum", n);
		if (p->key_algs == 0 || (p->key_algs & 1u) != 0)
			fail_msg("%s: key_algs must name real algorithms", n);
		if (p->ku_sig == 0 || p->ku_rsa == 0)
			fail_msg("%s: key usage missing", n);
		if (((p->ku_sig | p->ku_rsa) & p->ku_optional) != 0)
			fail_msg("%s: optional KU bits also required", n);
		/* keyCertSign and pathLen only for CAs (RFC 5280). */
		CHECK_INT(n, ((p->ku_sig | p->ku_rsa | p->ku_optional) &
		    X509v3_KU_KEY_CERT_SIGN) != 0, p->ca);
		if (!p->ca && p->path_len != -1)
			fail_msg("%s: pathLen on an end-entity profile", n);
		CHECK_INT(n, p->ca, p->kind == KN_PROF_ROOT ||
		    p->kind == KN_PROF_SUBCA);
		if (p->policy_oid != NULL) {
			if ((o = OBJ_txt2obj(p->policy_oid, 1)) == NULL)
				fail_msg("%s: bad policy OID %s", n,
				    p->policy_oid);
			ASN1_OBJECT_free(o);
		} else if (p->kind != KN_PROF_ROOT)
			fail_msg("%s: only roots have no policy", n);
		/* Subscriber policy OIDs are unique (recognition). */
		for (j = 0; j < i && !p->ca; j++)
			if (!kn_profiles[j].ca && kn_profiles[j].policy_oid &&
			    p->policy_oid && strcmp(p->policy_oid,
			    kn_profiles[j].policy_oid) == 0)
				fail_msg("%s: policy shared with %s", n,
				    kn_profiles[j].name);
		if (!p->ca && p->policy_oid != NULL)
			CHECK_STR(n, kn_profile_by_policy(p->policy_oid)->name,
			    n);
		for (k = 0; k < KN_MAX_EKU && p->eku[k] != 0; k++)
			if (kn_profile_eku_nid(p->eku[k]) <= 0)
				fail_msg("%s: EKU %d has no NID", n, k);
		if (!p->ca && p->eku[0] == 0)
			fail_msg("%s: subscriber profile without EKU", n);
		if (p->strict && (p->allow_hold || !p->eku_exact))
			fail_msg("%s: Strict has no hold and exact EKU", n);
		if (p->kind == KN_PROF_SMIME) {
			if (strncmp(p->policy_oid, "2.23.140.1.5.", 13) != 0)
				fail_msg("%s: S/MIME needs an SBR OID", n);
			CHECK_INT(n, p->strict, p->policy_oid[
			    strlen(p->policy_oid) - 1] == '3');
			CHECK_INT(n, p->max_days <= 825, 1);
			CHECK_INT(n, p->eku[0], NID_email_protect);
			CHECK_INT(n, p->san & KN_SAN_EMAIL, KN_SAN_EMAIL);
			CHECK_INT(n, p->http_only && p->crl_dp &&
			    p->user_notice && p->org_bound, 1);
		}
		if (p->kind == KN_PROF_TLS) {
			if (strncmp(p->policy_oid, "2.23.140.1.", 11) != 0)
				fail_msg("%s: TLS needs a CABF OID", n);
			CHECK_INT(n, p->max_days, 200);	/* SC-081v3 */
			CHECK_INT(n, p->eku[0], NID_server_auth);
			CHECK_INT(n, p->eku[1], 0);	/* no clientAuth */
			CHECK_INT(n, p->user_notice, 0);
			CHECK_INT(n, kn_profile_allows_key(p,
			    KN_KEY_ED25519), 0);
		}
		if (p->kind == KN_PROF_OCSP)
			CHECK_INT(n, p->ocsp_nocheck, 1);
		else
			CHECK_INT(n, p->ocsp_nocheck, 0);
		if (p->kind == KN_PROF_TSA)
			CHECK_INT(n, p->eku_critical && p->eku_exact &&
			    p->eku[0] == NID_time_stamp && p->eku[1] == 0, 1);
		else
			CHECK_INT(n, p->eku_critical, 0);
	}
}

static void
test_keys_and_eku(void **state)
{
	const struct kn_profile *s = kn_profile_find("smime-sponsor-strict");
	const struct kn_profile *d = kn_profile_find("document-signing");
	ASN1_OBJECT *o;
	int nid;

	(void)state;
	assert_true(kn_profile_allows_key(s, KN_KEY_ED25519));
	assert_true(kn_profile_allows_key(s, KN_KEY_RSA_2048));
	assert_false(kn_profile_allows_key(s, KN_KEY_NONE));
	assert_false(kn_profile_allows_key(NULL, KN_KEY_EC_P256));
	assert_int_equal(kn_profile_ku(s, KN_KEY_RSA_3072),
	    X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_KEY_ENCIPHERMENT);
	assert_int_equal(kn_profile_ku(s, KN_KEY_EC_P256),
	    X509v3_KU_DIGITAL_SIGNATURE);
	nid = kn_profile_eku_nid(d->eku[0]);
	assert_int_not_equal(nid, 0);
	assert_int_equal(nid, kn_profile_eku_nid(KN_EKU_DOCSIGN));
	o = OBJ_txt2obj(KN_OID_KP_DOCSIGN, 1);
	assert_int_equal(OBJ_cmp(OBJ_nid2obj(nid), o), 0);
	ASN1_OBJECT_free(o);
	assert_int_equal(kn_profile_eku_nid(NID_client_auth),
	    NID_client_auth);
	assert_null(kn_profile_by_policy(KN_OID_ANY_POLICY));
	assert_null(kn_profile_by_policy("2.23.140.1.5.1.1"));
	assert_string_equal(kn_profile_by_policy("2.23.140.1.1")->name,
	    "tls-ev");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_keys_and_eku),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
