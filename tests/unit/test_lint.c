/*
 * test_lint.c - the certificate linter, rule by rule.
 *
 * Every certificate here is built by build(): it starts from a correct
 * certificate for a profile (the extensions and subject kakuin's issuer
 * makes) and applies one mutation, then signs with a throwaway P-256 CA
 * key.  The table has, for every rule of the linter, at least one row
 * where it must fire and one near miss where it must not (and where no
 * error fires at all); test_rule_coverage checks that.
 *
 * With KN_LINT_CORPUS=DIR set, the correct certificates and the failing
 * rows are also written to DIR as DER (seeds for tests/fuzz/corpus/lint).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/text.h"
#include "ca/lint.h"
#include "testutil.h"

enum tkey {
	K_DEF = 0,	/* P-256 */
	K_EC256,
	K_EC384,
	K_RSA,		/* 2048, e = 65537 */
	K_RSA3072,
	K_ED25519,
	K_K1,		/* secp256k1 */
	K_RSA1024,
	K_RSA2049,
	K_RSA_SMALLF,	/* 2048 bits, divisible by 3 */
	K_RSA2056,
	K_RSA_E_EVEN,
	K_RSA_E1,
	K_RSA_E3,
	K_NKEYS,
};

static EVP_PKEY *keys[K_NKEYS];
static EVP_PKEY *ca_key, *ca2_key;
static X509 *ca, *ca2;
static time_t not_before;

#define CA_SUBJ "/C=JP/O=kakuin Test/CN=kakuin Test Issuing CA"
#define REG_URL "https://registry.example.jp/orgs/1010405009403"

/* Subject text "/k=v/k=v" (no escapes); "" is the empty name. */
static X509_NAME *
make_name(const char *s)
{
	X509_NAME *nm = X509_NAME_new();
	char *dup = strdup(s), *p = dup, *next, *eq;

	assert_non_null(nm);
	assert_non_null(dup);
	while (p != NULL && *p == '/') {
		p++;
		next = strchr(p, '/');
		if (next != NULL)
			*next = '\0';
		if ((eq = strchr(p, '=')) == NULL)
			fail_msg("bad subject %s", s);
		*eq = '\0';
		if (!X509_NAME_add_entry_by_txt(nm, p, MBSTRING_UTF8,
		    (unsigned char *)eq + 1, -1, -1, 0))
			fail_msg("cannot add %s to a name", p);
		p = next != NULL ? next : NULL;
		if (next != NULL)
			*next = '/';
	}
	free(dup);
	return nm;
}

static EVP_PKEY *
gen_key(const char *alg, const char *param)
{
	EVP_PKEY *k = NULL;

	if (strcmp(alg, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(alg, "RSA3072") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(alg, "EC") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg);
	assert_non_null(k);
	return k;
}

/* An RSA public key from n and e (nothing checks they make sense). */
static EVP_PKEY *
rsa_pub(BIGNUM *n, unsigned long e)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	BIGNUM *be = BN_new();

	assert_true(BN_set_word(be, e));
	assert_true(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n));
	assert_true(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be));
	params = OSSL_PARAM_BLD_to_param(b);
	assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
	assert_int_equal(EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(pc);
	BN_free(be);
	return k;
}

static EVP_PKEY *
rsa_random(int bits)
{
	BIGNUM *n = BN_new();
	EVP_PKEY *k;

	assert_true(BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD));
	k = rsa_pub(n, 65537);
	BN_free(n);
	return k;
}

static void
add_ext(X509 *x, X509V3_CTX *v3, CONF *conf, const char *name,
    const char *val)
{
	X509_EXTENSION *e;

	e = X509V3_EXT_nconf(conf, v3, name, val);
	if (e == NULL)
		fail_msg("cannot make extension %s = %s", name, val);
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

static void
add_raw_ext(X509 *x, const char *oid, int crit, const void *der,
    size_t len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_true(ASN1_OCTET_STRING_set(os, der, (int)len));
	e = X509_EXTENSION_create_by_OBJ(NULL, o, crit, os);
	assert_non_null(e);
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
}

static void
set_serial(X509 *x, const unsigned char *b, int n, bool neg)
{
	ASN1_INTEGER *sn = ASN1_INTEGER_new();

	assert_true(ASN1_STRING_set(sn, b, n));
	if (neg)
		sn->type = V_ASN1_NEG_INTEGER;
	assert_true(X509_set_serialNumber(x, sn));
	ASN1_INTEGER_free(sn);
}

struct row {
	const char	*name;
	const char	*profile;
	const char	*rule;
	bool		 fire;
	enum tkey	 key;
	const char	*subj;		/* NULL: the profile's subject */
	const char	*ext, *val;	/* replace/add; val NULL deletes */
	const char	*ext2, *val2;
	long		 secs;		/* validity; 0: default_days */
	void		(*fn)(X509 *);	/* before signing */
	void		(*post)(X509 *); /* after signing */
	const char	*md;		/* digest; NULL: SHA-256 */
	bool		 no_issuer;	/* lint without the CA certificate */
};

static const char *
default_subject(const struct kn_profile *p)
{
	switch (p->subject) {
	case KN_SUBJ_CA:
		return p->kind == KN_PROF_ROOT ? "/C=JP/O=kakuin Test/"
		    "CN=kakuin Test Root" : "/C=JP/O=kakuin Test/CN=kakuin "
		    "Test Sub";
	case KN_SUBJ_SPONSORED:
		return "/C=JP/O=Example KK/organizationIdentifier=NTRJP-"
		    "1010405009403/GN=Taro/SN=Yamada/CN=Taro Yamada";
	case KN_SUBJ_ORG:
		return "/C=JP/O=Example KK/organizationIdentifier=NTRJP-"
		    "1010405009403/CN=Example KK";
	case KN_SUBJ_TLS_DV:
		return "/CN=www.example.co.jp";
	case KN_SUBJ_TLS_OV:
		return "/C=JP/ST=Tokyo/O=Example KK/CN=www.example.co.jp";
	case KN_SUBJ_TLS_EV:
		return "/C=JP/ST=Tokyo/L=Chiyoda-ku/O=Example KK/"
		    "businessCategory=Private Organization/jurisdictionC=JP/"
		    "serialNumber=1010405009403/CN=www.example.co.jp";
	case KN_SUBJ_SERVICE:
	default:
		return "/C=JP/O=kakuin Test/CN=kakuin Test Service";
	}
}

static void
ku_text(char *buf, size_t len, unsigned bits)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} n[] = {
		{ X509v3_KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ X509v3_KU_NON_REPUDIATION, "nonRepudiation" },
		{ X509v3_KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ X509v3_KU_KEY_AGREEMENT, "keyAgreement" },
		{ X509v3_KU_KEY_CERT_SIGN, "keyCertSign" },
		{ X509v3_KU_CRL_SIGN, "cRLSign" },
	};
	size_t i;

	snprintf(buf, len, "critical");
	for (i = 0; i < NITEMS(n); i++) {
		if (bits & n[i].bit) {
			strncat(buf, ",", len - strlen(buf) - 1);
			strncat(buf, n[i].name, len - strlen(buf) - 1);
		}
	}
}

/* The extensions kakuin's issuer makes for a profile, as config text. */
struct extlist {
	const char	*name[24];
	char		 val[24][256];
	size_t		 n;
};

static void
ext_set(struct extlist *l, const char *name, const char *val)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->name[i], name) == 0) {
			if (val == NULL) {
				memmove(&l->name[i], &l->name[i + 1],
				    (l->n - i - 1) * sizeof(l->name[0]));
				memmove(&l->val[i], &l->val[i + 1],
				    (l->n - i - 1) * sizeof(l->val[0]));
				l->n--;
			} else
				snprintf(l->val[i], sizeof(l->val[i]), "%s",
				    val);
			return;
		}
	}
	if (val == NULL)
		return;
	assert_true(l->n < NITEMS(l->name));
	l->name[l->n] = name;
	snprintf(l->val[l->n++], sizeof(l->val[0]), "%s", val);
}

static void
default_exts(struct extlist *l, const struct kn_profile *p, EVP_PKEY *k)
{
	char buf[256];
	int i;

	memset(l, 0, sizeof(*l));
	if (p->ca) {
		if (p->path_len >= 0) {
			snprintf(buf, sizeof(buf), "critical,CA:TRUE,"
			    "pathlen:%d", p->path_len);
			ext_set(l, "basicConstraints", buf);
		} else
			ext_set(l, "basicConstraints", "critical,CA:TRUE");
	} else
		ext_set(l, "basicConstraints", "critical,CA:FALSE");
	ku_text(buf, sizeof(buf), EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ?
	    p->ku_rsa : p->ku_sig);
	ext_set(l, "keyUsage", buf);
	if (p->eku[0] != 0) {
		snprintf(buf, sizeof(buf), "%s", p->eku_critical ?
		    "critical" : "");
		for (i = 0; i < KN_MAX_EKU && p->eku[i] != 0; i++) {
			if (buf[0] != '\0')
				strncat(buf, ",", sizeof(buf) - strlen(buf) -
				    1);
			strncat(buf, p->eku[i] == KN_EKU_DOCSIGN ?
			    KN_OID_KP_DOCSIGN : p->eku[i] == KN_EKU_FEED ?
			    KN_OID_KP_FEED : OBJ_nid2sn(p->eku[i]),
			    sizeof(buf) - strlen(buf) - 1);
		}
		ext_set(l, "extendedKeyUsage", buf);
	}
	ext_set(l, "subjectKeyIdentifier", "hash");
	if (p->kind != KN_PROF_ROOT)
		ext_set(l, "authorityKeyIdentifier", "keyid:always");
	if (p->policy_oid != NULL)
		ext_set(l, "certificatePolicies", p->ca ? p->policy_oid :
		    "@pol");
	if (p->crl_dp)
		ext_set(l, "crlDistributionPoints",
		    "URI:http://crl.example.jp/sub.crl");
	if (p->aia)
		ext_set(l, "authorityInfoAccess", "caIssuers;URI:http://"
		    "ca.example.jp/sub.crt,OCSP;URI:http://ocsp.example.jp");
	if (p->ocsp_nocheck)
		ext_set(l, "noCheck", "ignored");
	if (p->san & KN_SAN_EMAIL)
		ext_set(l, "subjectAltName", "email:taro.yamada@example.co.jp");
	if (p->san & KN_SAN_DNS)
		ext_set(l, "subjectAltName", "DNS:www.example.co.jp");
}

static CONF *
make_conf(const struct kn_profile *p)
{
	char *text;
	BIO *bio;
	CONF *conf = NCONF_new(NULL);
	long line = 0;
	const char *oid = p->policy_oid ? p->policy_oid : "1.2.3.4";

	text = tu_printf(
	    "[pol]\npolicyIdentifier = %s\n%s"
	    "[notice]\nexplicitText = \"UTF8:" REG_URL "\"\n"
	    "[pol_ref]\npolicyIdentifier = %s\nuserNotice.1 = @noticeref\n"
	    "[noticeref]\norganization = \"Example\"\nnoticeNumbers = 1\n"
	    "explicitText = \"UTF8:" REG_URL "\"\n"
	    "[pol_notice]\npolicyIdentifier = %s\nuserNotice.1 = @notice\n"
	    "[pol_cps]\npolicyIdentifier = %s\n"
	    "CPS.1 = \"https://ca.example.jp/cps\"\n"
	    "[pol_ftp]\npolicyIdentifier = %s\n"
	    "CPS.1 = \"ftp://ca.example.jp/cps\"\n",
	    oid, p->user_notice ? "userNotice.1 = @notice\n" : "", oid, oid,
	    oid, oid);
	bio = BIO_new_mem_buf(text, -1);
	if (NCONF_load_bio(conf, bio, &line) <= 0)
		fail_msg("config line %ld", line);
	BIO_free(bio);
	free(text);
	return conf;
}

/* Builds and signs the row's certificate. */
static X509 *
build(const struct row *r)
{
	const struct kn_profile *p = kn_profile_find(r->profile);
	EVP_PKEY *k = keys[r->key == K_DEF ? K_EC256 : r->key];
	struct extlist l;
	X509V3_CTX v3;
	CONF *conf;
	X509 *x = X509_new();
	X509_NAME *subj;
	unsigned char sn[16];
	long secs;
	size_t i;

	if (p == NULL)
		fail_msg("%s: no profile %s", r->name, r->profile);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_int_equal(kn_random(sn, sizeof(sn)), 0);
	sn[0] = (sn[0] & 0x7f) | 0x40;
	set_serial(x, sn, sizeof(sn), false);
	subj = make_name(r->subj != NULL ? r->subj : default_subject(p));
	assert_true(X509_set_subject_name(x, subj));
	assert_true(X509_set_issuer_name(x, p->kind == KN_PROF_ROOT ? subj :
	    X509_get_subject_name(ca)));
	X509_NAME_free(subj);
	secs = r->secs != 0 ? r->secs : (long)p->default_days * 86400;
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), 0, 0,
	    &not_before));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 0,
	    secs - 1, &not_before));
	assert_true(X509_set_pubkey(x, k));

	default_exts(&l, p, k);
	if (r->ext != NULL)
		ext_set(&l, r->ext, r->val);
	if (r->ext2 != NULL)
		ext_set(&l, r->ext2, r->val2);
	conf = make_conf(p);
	X509V3_set_ctx(&v3, p->kind == KN_PROF_ROOT ? x : ca, x, NULL, NULL,
	    0);
	X509V3_set_nconf(&v3, conf);
	for (i = 0; i < l.n; i++)
		add_ext(x, &v3, conf, l.name[i], l.val[i]);
	NCONF_free(conf);
	if (r->fn != NULL)
		r->fn(x);
	if (X509_sign(x, ca_key, r->md != NULL ? EVP_get_digestbyname(r->md) :
	    EVP_sha256()) <= 0)
		fail_msg("%s: cannot sign", r->name);
	if (r->post != NULL)
		r->post(x);
	return x;
}

static void
lint_row(const struct row *r, struct kn_lint_report *rep, X509 **xout)
{
	const struct kn_profile *p = kn_profile_find(r->profile);
	X509 *x = build(r);

	assert_int_equal(kn_lint_cert(rep, x, p, r->no_issuer ||
	    p->kind == KN_PROF_ROOT ? NULL : ca), 0);
	if (xout != NULL)
		*xout = x;
	else
		X509_free(x);
}

static void
dump(const struct kn_lint_report *rep, const char *name)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		print_message("# %s: %s %s [%s]: %s\n", name,
		    rep->f[i].level == KN_LINT_ERROR ? "error" : "warning",
		    rep->f[i].rule, rep->f[i].source, rep->f[i].msg);
}

/* Mutations that the extension text cannot express. */

static void
m_v1(X509 *x)
{
	assert_true(X509_set_version(x, X509_VERSION_1));
}

static void
m_serial_zero(X509 *x)
{
	static const unsigned char z[1] = { 0 };

	set_serial(x, z, 1, false);
}

static void
m_serial_negative(X509 *x)
{
	static const unsigned char b[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a,
	    0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8 };

	set_serial(x, b, sizeof(b), true);
}

static void
m_serial_21(X509 *x)
{
	unsigned char b[21];

	memset(b, 0x5a, sizeof(b));
	set_serial(x, b, sizeof(b), false);
}

static void
m_serial_20(X509 *x)
{
	unsigned char b[20];

	memset(b, 0x5a, sizeof(b));
	set_serial(x, b, sizeof(b), false);
}

static void
m_serial_8(X509 *x)
{
	/* 8 content octets: at most 63 random bits. */
	static const unsigned char b[8] = { 0x7f, 1, 2, 3, 4, 5, 6, 7 };

	set_serial(x, b, sizeof(b), false);
}

static void
m_serial_9(X509 *x)
{
	/* 8 value octets with the top bit set: DER adds a 0x00 octet. */
	static const unsigned char b[8] = { 0xff, 1, 2, 3, 4, 5, 6, 7 };

	set_serial(x, b, sizeof(b), false);
}

static void
p_sigalg_mismatch(X509 *x)
{
	X509_ALGOR *a = (X509_ALGOR *)X509_get0_tbs_sigalg(x);

	assert_true(X509_ALGOR_set0(a, OBJ_nid2obj(NID_ecdsa_with_SHA384),
	    V_ASN1_UNDEF, NULL));
}

static void
m_issuer_other(X509 *x)
{
	X509_NAME *n = make_name("/C=JP/O=kakuin Test/CN=Another CA");

	assert_true(X509_set_issuer_name(x, n));
	X509_NAME_free(n);
}

static void
m_issuer_empty(X509 *x)
{
	X509_NAME *n = X509_NAME_new();

	assert_true(X509_set_issuer_name(x, n));
	X509_NAME_free(n);
}

static void
m_issuer_restring(X509 *x)
{
	/* Same text, other string type: equal to X509_NAME_cmp, not in
	 * bytes (SBR 7.1.4.1 wants the bytes). */
	X509_NAME *n = X509_NAME_new();

	assert_true(X509_NAME_add_entry_by_txt(n, "C", V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"JP", -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(n, "O", V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"kakuin Test", -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(n, "CN",
	    V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"kakuin Test Issuing CA", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, n));
	X509_NAME_free(n);
}

static void
m_notafter_generalized_2027(X509 *x)
{
	ASN1_GENERALIZEDTIME *t = ASN1_GENERALIZEDTIME_set(NULL,
	    not_before + 86400 * 30);

	assert_true(X509_set1_notAfter(x, t));
	ASN1_GENERALIZEDTIME_free(t);
}

static void
m_notafter_no_seconds(X509 *x)
{
	/* UTCTime 50 is 1950, so "2050 as UTCTime" cannot be written;
	 * what can be is a UTCTime without seconds. */
	ASN1_UTCTIME *t = ASN1_UTCTIME_new();

	assert_true(ASN1_STRING_set(t, "2701010000Z", -1));
	assert_true(X509_set1_notAfter(x, t));
	ASN1_UTCTIME_free(t);
}

static void
m_notafter_before(X509 *x)
{
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 0, -1,
	    &not_before));
}

static void
m_dup_ski(X509 *x)
{
	static const unsigned char ski[] = { 0x04, 0x02, 0xab, 0xcd };

	add_raw_ext(x, "2.5.29.14", 0, ski, sizeof(ski));
}

static void
m_unknown_critical(X509 *x)
{
	static const unsigned char null[] = { 0x05, 0x00 };

	add_raw_ext(x, "1.2.3.4.5", 1, null, sizeof(null));
}

static void
m_unknown_noncritical(X509 *x)
{
	static const unsigned char null[] = { 0x05, 0x00 };

	add_raw_ext(x, "1.2.3.4.5", 0, null, sizeof(null));
}

static void
m_ku_trailing(X509 *x)
{
	static const unsigned char ku[] = { 0x03, 0x02, 0x07, 0x80, 0x00 };

	add_raw_ext(x, "2.5.29.15", 1, ku, sizeof(ku));
}

static void
m_ku_wrong_type(X509 *x)
{
	static const unsigned char ku[] = { 0x04, 0x01, 0x80 };

	add_raw_ext(x, "2.5.29.15", 1, ku, sizeof(ku));
}

static void
m_aki_other(X509 *x)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;
	int i = X509_get_ext_by_NID(x, NID_authority_key_identifier, -1);

	X509_EXTENSION_free(X509_delete_ext(x, i));
	X509V3_set_ctx(&v3, ca2, x, NULL, NULL, 0);
	e = X509V3_EXT_nconf(NULL, &v3, "authorityKeyIdentifier",
	    "keyid:always");
	assert_non_null(e);
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

static void
m_subject_dir_attrs(X509 *x)
{
	/* SEQUENCE { Attribute dateOfBirth SET { GeneralizedTime } } */
	static const unsigned char sda[] = { 0x30, 0x1f, 0x30, 0x1d, 0x06,
	    0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x09, 0x01, 0x31, 0x11,
	    0x18, 0x0f, '1', '9', '8', '0', '0', '1', '0', '1', '1', '2',
	    '0', '0', '0', '0', 'Z' };

	add_raw_ext(x, "2.5.29.9", 0, sda, sizeof(sda));
}

static void
reg_url(X509 *x, int crit, const char *url, int type)
{
	ASN1_TYPE *t = ASN1_TYPE_new();
	ASN1_STRING *s = ASN1_STRING_type_new(type);
	unsigned char *der = NULL;
	int n;

	assert_true(ASN1_STRING_set(s, url, -1));
	ASN1_TYPE_set(t, type, s);
	n = i2d_ASN1_TYPE(t, &der);
	assert_true(n > 0);
	add_raw_ext(x, KN_OID_REGISTRY_URL, crit, der, (size_t)n);
	OPENSSL_free(der);
	ASN1_TYPE_free(t);
}

static void
m_reg_url(X509 *x)
{
	reg_url(x, 0, REG_URL, V_ASN1_IA5STRING);
}

static void
m_reg_url_critical(X509 *x)
{
	reg_url(x, 1, REG_URL, V_ASN1_IA5STRING);
}

static void
m_reg_url_http(X509 *x)
{
	reg_url(x, 0, "http://registry.example.jp/orgs/1", V_ASN1_IA5STRING);
}

static void
m_reg_url_utf8(X509 *x)
{
	reg_url(x, 0, REG_URL, V_ASN1_UTF8STRING);
}

#define EMAIL_SAN	"email:taro.yamada@example.co.jp"
#define SPONSOR(extra)	"/C=JP/O=Example KK/organizationIdentifier=" \
			"NTRJP-1010405009403/GN=Taro/SN=Yamada" extra \
			"/CN=Taro Yamada"
#define ORGID(v)	"/C=JP/O=Example KK/organizationIdentifier=" v \
			"/GN=Taro/SN=Yamada/CN=Taro Yamada"

static const struct row rows[] = {
	/* RFC 5280 4.1 */
	{ .name = "v3", .profile = "smime-sponsor-strict",
	  .rule = "e_version_v3" },
	{ .name = "v1", .profile = "smime-sponsor-strict",
	  .rule = "e_version_v3", .fire = true, .fn = m_v1 },
	{ .name = "serial 20 octets", .profile = "tls-dv",
	  .rule = "e_serial_too_long", .fn = m_serial_20 },
	{ .name = "serial 21 octets", .profile = "tls-dv",
	  .rule = "e_serial_too_long", .fire = true, .fn = m_serial_21 },
	{ .name = "serial positive", .profile = "tls-dv",
	  .rule = "e_serial_positive" },
	{ .name = "serial zero", .profile = "tls-dv",
	  .rule = "e_serial_positive", .fire = true, .fn = m_serial_zero },
	{ .name = "serial negative", .profile = "tls-dv",
	  .rule = "e_serial_positive", .fire = true,
	  .fn = m_serial_negative },
	{ .name = "serial 9 octets", .profile = "smime-org-strict",
	  .rule = "e_serial_entropy", .fn = m_serial_9 },
	{ .name = "serial 8 octets", .profile = "smime-org-strict",
	  .rule = "e_serial_entropy", .fire = true, .fn = m_serial_8 },
	{ .name = "sig alg same", .profile = "client-auth",
	  .rule = "e_sig_alg_mismatch" },
	{ .name = "sig alg differs", .profile = "client-auth",
	  .rule = "e_sig_alg_mismatch", .fire = true,
	  .post = p_sigalg_mismatch },
	{ .name = "ecdsa-sha384", .profile = "client-auth",
	  .rule = "e_sig_alg_allowed", .md = "SHA384" },
	{ .name = "ecdsa-sha1", .profile = "client-auth",
	  .rule = "e_sig_alg_allowed", .fire = true, .md = "SHA1" },
	{ .name = "issuer = CA subject", .profile = "smime-sponsor-strict",
	  .rule = "e_issuer_name" },
	{ .name = "issuer other CA", .profile = "smime-sponsor-strict",
	  .rule = "e_issuer_name", .fire = true, .fn = m_issuer_other },
	{ .name = "issuer restrung", .profile = "smime-sponsor-strict",
	  .rule = "e_issuer_name", .fire = true, .fn = m_issuer_restring },
	{ .name = "issuer empty", .profile = "smime-sponsor-strict",
	  .rule = "e_issuer_name", .fire = true, .fn = m_issuer_empty,
	  .no_issuer = true },
	{ .name = "GeneralizedTime 2051", .profile = "root-ca",
	  .rule = "e_time_encoding", .secs = 9000L * 86400 },
	{ .name = "GeneralizedTime 2026", .profile = "tls-dv",
	  .rule = "e_time_encoding", .fire = true,
	  .fn = m_notafter_generalized_2027 },
	{ .name = "UTCTime without seconds", .profile = "tls-dv",
	  .rule = "e_time_encoding", .fire = true,
	  .fn = m_notafter_no_seconds },
	{ .name = "notAfter after notBefore", .profile = "tls-dv",
	  .rule = "e_validity_order", .secs = 2 },
	{ .name = "notAfter before notBefore", .profile = "tls-dv",
	  .rule = "e_validity_order", .fire = true,
	  .fn = m_notafter_before },

	/* Validity and keys (profile) */
	{ .name = "TLS 200 days", .profile = "tls-ov",
	  .rule = "e_validity_too_long", .secs = 200L * 86400 },
	{ .name = "TLS 200 days + 1 s", .profile = "tls-ov",
	  .rule = "e_validity_too_long", .fire = true,
	  .secs = 200L * 86400 + 1 },
	{ .name = "S/MIME 825 days", .profile = "smime-sponsor-strict",
	  .rule = "e_validity_too_long", .secs = 825L * 86400 },
	{ .name = "S/MIME 826 days", .profile = "smime-sponsor-strict",
	  .rule = "e_validity_too_long", .fire = true,
	  .secs = 826L * 86400 },
	{ .name = "S/MIME Ed25519", .profile = "smime-sponsor-strict",
	  .rule = "e_key_alg", .key = K_ED25519 },
	{ .name = "S/MIME P-384", .profile = "smime-org-multipurpose",
	  .rule = "e_key_alg", .key = K_EC384 },
	{ .name = "TLS Ed25519", .profile = "tls-dv", .rule = "e_key_alg",
	  .fire = true, .key = K_ED25519 },
	{ .name = "S/MIME secp256k1", .profile = "smime-sponsor-strict",
	  .rule = "e_key_alg", .fire = true, .key = K_K1 },
	{ .name = "RSA 2048", .profile = "tls-ov", .rule = "e_rsa_modulus",
	  .key = K_RSA },
	{ .name = "RSA 3072", .profile = "smime-sponsor-strict",
	  .rule = "e_rsa_modulus", .key = K_RSA3072 },
	{ .name = "RSA 1024", .profile = "tls-ov", .rule = "e_rsa_modulus",
	  .fire = true, .key = K_RSA1024 },
	{ .name = "RSA 2049", .profile = "tls-ov", .rule = "e_rsa_modulus",
	  .fire = true, .key = K_RSA2049 },
	{ .name = "RSA small factor", .profile = "tls-ov",
	  .rule = "e_rsa_modulus", .fire = true, .key = K_RSA_SMALLF },
	{ .name = "RSA 2056 (not a kakuin size)", .profile = "tls-ov",
	  .rule = "e_rsa_modulus", .fire = true, .key = K_RSA2056 },
	{ .name = "RSA e 65537", .profile = "smime-sponsor-strict",
	  .rule = "e_rsa_exponent", .key = K_RSA },
	{ .name = "RSA e even", .profile = "smime-sponsor-strict",
	  .rule = "e_rsa_exponent", .fire = true, .key = K_RSA_E_EVEN },
	{ .name = "RSA e 1", .profile = "smime-sponsor-strict",
	  .rule = "e_rsa_exponent", .fire = true, .key = K_RSA_E1 },
	{ .name = "RSA e 65537 in range", .profile = "tls-dv",
	  .rule = "w_rsa_exponent_range", .key = K_RSA },
	{ .name = "RSA e 3", .profile = "tls-dv",
	  .rule = "w_rsa_exponent_range", .fire = true, .key = K_RSA_E3 },

	/* Extensions in general */
	{ .name = "no duplicate", .profile = "tsa",
	  .rule = "e_ext_duplicate" },
	{ .name = "SKI twice", .profile = "tsa", .rule = "e_ext_duplicate",
	  .fire = true, .fn = m_dup_ski },
	{ .name = "unknown non-critical", .profile = "tsa",
	  .rule = "e_ext_unknown_critical", .fn = m_unknown_noncritical },
	{ .name = "unknown critical", .profile = "tsa",
	  .rule = "e_ext_unknown_critical", .fire = true,
	  .fn = m_unknown_critical },
	{ .name = "extensions decode", .profile = "smime-org-strict",
	  .rule = "e_ext_malformed" },
	{ .name = "KU with trailing byte", .profile = "smime-org-strict",
	  .rule = "e_ext_malformed", .fire = true, .ext = "keyUsage",
	  .fn = m_ku_trailing },
	{ .name = "KU is an OCTET STRING", .profile = "smime-org-strict",
	  .rule = "e_ext_malformed", .fire = true, .ext = "keyUsage",
	  .fn = m_ku_wrong_type },

	/* Basic constraints, name constraints */
	{ .name = "sub-CA cA", .profile = "sub-ca", .rule = "e_bc_ca" },
	{ .name = "EE without basicConstraints",
	  .profile = "smime-sponsor-strict", .rule = "e_bc_ca",
	  .ext = "basicConstraints" },
	{ .name = "sub-CA cA false", .profile = "sub-ca", .rule = "e_bc_ca",
	  .fire = true, .ext = "basicConstraints",
	  .val = "critical,CA:FALSE" },
	{ .name = "EE cA true", .profile = "smime-sponsor-strict",
	  .rule = "e_bc_ca", .fire = true, .ext = "basicConstraints",
	  .val = "critical,CA:TRUE" },
	{ .name = "sub-CA bc critical", .profile = "sub-ca-tls",
	  .rule = "e_bc_not_critical" },
	{ .name = "sub-CA bc not critical", .profile = "sub-ca-tls",
	  .rule = "e_bc_not_critical", .fire = true,
	  .ext = "basicConstraints", .val = "CA:TRUE,pathlen:0" },
	{ .name = "EE no pathLen", .profile = "tls-ev",
	  .rule = "e_bc_pathlen_ee" },
	{ .name = "EE pathLen", .profile = "tls-ev",
	  .rule = "e_bc_pathlen_ee", .fire = true,
	  .ext = "basicConstraints", .val = "critical,CA:FALSE,pathlen:0" },
	{ .name = "root without pathLen", .profile = "root-ca",
	  .rule = "e_bc_pathlen_profile" },
	{ .name = "sub-CA pathLen 1", .profile = "sub-ca",
	  .rule = "e_bc_pathlen_profile", .fire = true,
	  .ext = "basicConstraints", .val = "critical,CA:TRUE,pathlen:1" },
	{ .name = "sub-CA without pathLen", .profile = "sub-ca-smime",
	  .rule = "e_bc_pathlen_profile", .fire = true,
	  .ext = "basicConstraints", .val = "critical,CA:TRUE" },
	{ .name = "nameConstraints critical", .profile = "sub-ca",
	  .rule = "e_nc_not_critical", .ext = "nameConstraints",
	  .val = "critical,permitted;DNS:example.jp" },
	{ .name = "nameConstraints not critical", .profile = "sub-ca",
	  .rule = "e_nc_not_critical", .fire = true,
	  .ext = "nameConstraints", .val = "permitted;DNS:example.jp" },

	/* Key usage */
	{ .name = "KU present", .profile = "smime-sponsor-multipurpose",
	  .rule = "e_ku_missing" },
	{ .name = "KU missing", .profile = "smime-sponsor-multipurpose",
	  .rule = "e_ku_missing", .fire = true, .ext = "keyUsage" },
	{ .name = "CA KU missing", .profile = "sub-ca",
	  .rule = "e_ku_missing", .fire = true, .ext = "keyUsage" },
	{ .name = "TLS KU critical", .profile = "tls-dv",
	  .rule = "e_ku_not_critical" },
	{ .name = "TLS KU not critical", .profile = "tls-dv",
	  .rule = "e_ku_not_critical", .fire = true, .ext = "keyUsage",
	  .val = "digitalSignature" },
	{ .name = "CA KU not critical", .profile = "sub-ca",
	  .rule = "e_ku_not_critical", .fire = true, .ext = "keyUsage",
	  .val = "keyCertSign,cRLSign" },
	{ .name = "S/MIME KU critical", .profile = "smime-org-strict",
	  .rule = "w_ku_not_critical" },
	{ .name = "S/MIME KU not critical", .profile = "smime-org-strict",
	  .rule = "w_ku_not_critical", .fire = true, .ext = "keyUsage",
	  .val = "digitalSignature" },
	{ .name = "CA keyCertSign", .profile = "sub-ca",
	  .rule = "e_ku_keycertsign_ee" },
	{ .name = "EE keyCertSign", .profile = "smime-org-strict",
	  .rule = "e_ku_keycertsign_ee", .fire = true, .ext = "keyUsage",
	  .val = "critical,digitalSignature,keyCertSign" },
	{ .name = "RSA DS+KE", .profile = "smime-sponsor-strict",
	  .rule = "e_ku_key_type", .key = K_RSA },
	{ .name = "EC keyEncipherment", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_ku_key_type",
	  .fire = true, .ext = "keyUsage",
	  .val = "critical,digitalSignature,keyEncipherment" },
	{ .name = "Ed25519 keyAgreement", .profile = "smime-sponsor-strict",
	  .rule = "e_ku_key_type", .fire = true, .key = K_ED25519,
	  .ext = "keyUsage", .val = "critical,digitalSignature,keyAgreement" },
	{ .name = "RSA Strict dataEncipherment", .profile =
	  "smime-sponsor-strict", .rule = "e_ku_key_type", .fire = true,
	  .key = K_RSA, .ext = "keyUsage", .val = "critical,"
	  "digitalSignature,keyEncipherment,dataEncipherment" },
	{ .name = "S/MIME EC DS+NR", .profile = "smime-sponsor-strict",
	  .rule = "e_ku_profile", .ext = "keyUsage",
	  .val = "critical,digitalSignature,nonRepudiation" },
	{ .name = "S/MIME RSA DS only", .profile = "smime-sponsor-strict",
	  .rule = "e_ku_profile", .fire = true, .key = K_RSA,
	  .ext = "keyUsage", .val = "critical,digitalSignature" },
	{ .name = "docsign without NR", .profile = "document-signing",
	  .rule = "e_ku_profile", .fire = true, .ext = "keyUsage",
	  .val = "critical,digitalSignature" },
	{ .name = "TLS EC with keyAgreement", .profile = "tls-dv",
	  .rule = "e_ku_profile", .fire = true, .ext = "keyUsage",
	  .val = "critical,digitalSignature,keyAgreement" },

	/* Extended key usage */
	{ .name = "EKU present", .profile = "ocsp-signing",
	  .rule = "e_eku_missing" },
	{ .name = "EKU missing", .profile = "ocsp-signing",
	  .rule = "e_eku_missing", .fire = true, .ext = "extendedKeyUsage" },
	{ .name = "EKU docSigning", .profile = "document-signing",
	  .rule = "e_eku_profile" },
	{ .name = "EKU lacks emailProtection", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_eku_profile",
	  .fire = true, .ext = "extendedKeyUsage", .val = "clientAuth" },
	{ .name = "Multipurpose + clientAuth + docSigning", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_eku_extra",
	  .ext = "extendedKeyUsage", .val = "emailProtection,clientAuth,"
	  KN_OID_KP_DOCSIGN },
	{ .name = "Strict + clientAuth", .profile = "smime-sponsor-strict",
	  .rule = "e_eku_extra", .fire = true, .ext = "extendedKeyUsage",
	  .val = "emailProtection,clientAuth" },
	{ .name = "TLS + clientAuth", .profile = "tls-dv",
	  .rule = "e_eku_extra", .fire = true, .ext = "extendedKeyUsage",
	  .val = "serverAuth,clientAuth" },
	{ .name = "root with EKU", .profile = "root-ca",
	  .rule = "e_eku_extra", .fire = true, .ext = "extendedKeyUsage",
	  .val = "serverAuth" },
	{ .name = "S/MIME emailProtection", .profile =
	  "smime-org-multipurpose", .rule = "e_eku_smime_forbidden" },
	{ .name = "S/MIME + serverAuth", .profile = "smime-org-multipurpose",
	  .rule = "e_eku_smime_forbidden", .fire = true,
	  .ext = "extendedKeyUsage", .val = "emailProtection,serverAuth" },
	{ .name = "S/MIME + anyEKU", .profile = "smime-org-multipurpose",
	  .rule = "e_eku_smime_forbidden", .fire = true,
	  .ext = "extendedKeyUsage",
	  .val = "emailProtection,anyExtendedKeyUsage" },
	{ .name = "TSA EKU critical", .profile = "tsa",
	  .rule = "e_eku_criticality" },
	{ .name = "TSA EKU not critical", .profile = "tsa",
	  .rule = "e_eku_criticality", .fire = true,
	  .ext = "extendedKeyUsage", .val = "timeStamping" },
	{ .name = "TLS EKU critical", .profile = "tls-dv",
	  .rule = "e_eku_criticality", .fire = true,
	  .ext = "extendedKeyUsage", .val = "critical,serverAuth" },
	{ .name = "TSA EKU + OCSPSigning", .profile = "tsa",
	  .rule = "e_eku_extra", .fire = true, .ext = "extendedKeyUsage",
	  .val = "critical,timeStamping,OCSPSigning" },

	/* Subject alternative name */
	{ .name = "client-auth without SAN", .profile = "client-auth",
	  .rule = "e_san_required" },
	{ .name = "S/MIME without SAN", .profile = "smime-org-strict",
	  .rule = "e_san_required", .fire = true, .ext = "subjectAltName" },
	{ .name = "S/MIME UPN only", .profile = "smime-org-multipurpose",
	  .rule = "e_san_required", .fire = true, .ext = "subjectAltName",
	  .val = "otherName:msUPN;UTF8:taro@example.co.jp" },
	{ .name = "TLS without dNSName", .profile = "tls-dv",
	  .rule = "e_san_required", .fire = true, .subj = "",
	  .ext = "subjectAltName", .val = "critical,IP:192.0.2.1" },
	{ .name = "empty subject, no SAN", .profile = "client-auth",
	  .rule = "e_san_required", .fire = true, .subj = "" },
	{ .name = "empty subject, critical SAN", .profile = "tls-dv",
	  .rule = "e_san_not_critical", .subj = "",
	  .ext = "subjectAltName", .val = "critical,DNS:www.example.co.jp" },
	{ .name = "empty subject, SAN not critical", .profile = "tls-dv",
	  .rule = "e_san_not_critical", .fire = true, .subj = "" },
	{ .name = "SAN not critical", .profile = "smime-sponsor-strict",
	  .rule = "w_san_critical" },
	{ .name = "SAN critical with subject", .profile =
	  "smime-sponsor-strict", .rule = "w_san_critical", .fire = true,
	  .ext = "subjectAltName", .val = "critical," EMAIL_SAN },
	{ .name = "Multipurpose UPN", .profile = "smime-sponsor-multipurpose",
	  .rule = "e_san_name_type", .ext = "subjectAltName",
	  .val = EMAIL_SAN ",otherName:msUPN;UTF8:taro@example.co.jp" },
	{ .name = "Strict UPN", .profile = "smime-sponsor-strict",
	  .rule = "e_san_name_type", .fire = true, .ext = "subjectAltName",
	  .val = EMAIL_SAN ",otherName:msUPN;UTF8:taro@example.co.jp" },
	{ .name = "S/MIME dNSName", .profile = "smime-sponsor-strict",
	  .rule = "e_san_name_type", .fire = true, .ext = "subjectAltName",
	  .val = EMAIL_SAN ",DNS:example.co.jp" },
	{ .name = "TLS rfc822Name", .profile = "tls-ov",
	  .rule = "e_san_name_type", .fire = true, .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,email:web@example.co.jp" },
	{ .name = "mailbox with plus", .profile = "smime-org-strict",
	  .rule = "e_rfc822_syntax", .ext = "subjectAltName",
	  .val = "email:sales+jp@mail.example.co.jp" },
	{ .name = "mailbox double dot", .profile = "smime-org-strict",
	  .rule = "e_rfc822_syntax", .fire = true, .ext = "subjectAltName",
	  .val = "email:sales..jp@example.co.jp" },
	{ .name = "mailbox no domain", .profile = "smime-org-strict",
	  .rule = "e_rfc822_syntax", .fire = true, .ext = "subjectAltName",
	  .val = "email:sales@" },
	{ .name = "mailbox single label", .profile = "smime-org-strict",
	  .rule = "e_rfc822_syntax", .fire = true, .ext = "subjectAltName",
	  .val = "email:sales@localhost" },
	{ .name = "mailbox space", .profile = "smime-org-strict",
	  .rule = "e_rfc822_syntax", .fire = true, .ext = "subjectAltName",
	  .val = "email:sa les@example.co.jp" },
	{ .name = "wildcard leftmost", .profile = "tls-dv",
	  .rule = "e_dns_syntax", .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,DNS:*.example.co.jp,"
	  "DNS:xn--eckwd4c7c.xn--zckzah" },
	{ .name = "wildcard inside", .profile = "tls-dv",
	  .rule = "e_dns_syntax", .fire = true, .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,DNS:www.*.example.co.jp" },
	{ .name = "two wildcards", .profile = "tls-dv",
	  .rule = "e_dns_syntax", .fire = true, .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,DNS:*.*.example.co.jp" },
	{ .name = "underscore", .profile = "tls-dv", .rule = "e_dns_syntax",
	  .fire = true, .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,DNS:ex_ample.co.jp" },
	{ .name = "hyphen start", .profile = "tls-dv",
	  .rule = "e_dns_syntax", .fire = true, .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,DNS:-www.example.co.jp" },
	{ .name = "numeric TLD", .profile = "tls-dv", .rule = "e_dns_syntax",
	  .fire = true, .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,DNS:192.0.2.1" },
	{ .name = "empty label", .profile = "tls-dv", .rule = "e_dns_syntax",
	  .fire = true, .ext = "subjectAltName",
	  .val = "DNS:www.example.co.jp,DNS:www..example.co.jp" },
	{ .name = "lower case", .profile = "tls-dv",
	  .rule = "w_dns_not_lowercase" },
	{ .name = "upper case", .profile = "tls-dv",
	  .rule = "w_dns_not_lowercase", .fire = true,
	  .ext = "subjectAltName", .val = "DNS:WWW.example.co.jp" },

	/* AKI, SKI */
	{ .name = "root without AKI", .profile = "root-ca",
	  .rule = "e_aki_missing" },
	{ .name = "AKI missing", .profile = "smime-sponsor-strict",
	  .rule = "e_aki_missing", .fire = true,
	  .ext = "authorityKeyIdentifier" },
	{ .name = "AKI issuer+serial only", .profile = "smime-sponsor-strict",
	  .rule = "e_aki_missing", .fire = true,
	  .ext = "authorityKeyIdentifier", .val = "issuer:always" },
	{ .name = "AKI not critical", .profile = "tls-ev",
	  .rule = "e_aki_critical" },
	{ .name = "AKI critical", .profile = "tls-ev",
	  .rule = "e_aki_critical", .fire = true,
	  .ext = "authorityKeyIdentifier", .val = "critical,keyid:always" },
	{ .name = "AKI keyid only", .profile = "tls-ev",
	  .rule = "e_aki_keyid_only" },
	{ .name = "AKI keyid+issuer", .profile = "tls-ev",
	  .rule = "e_aki_keyid_only", .fire = true,
	  .ext = "authorityKeyIdentifier",
	  .val = "keyid:always,issuer:always" },
	{ .name = "AKI matches", .profile = "document-signing",
	  .rule = "e_aki_mismatch" },
	{ .name = "AKI of another CA", .profile = "document-signing",
	  .rule = "e_aki_mismatch", .fire = true, .fn = m_aki_other },
	{ .name = "CA SKI", .profile = "root-ca",
	  .rule = "e_ski_missing_ca" },
	{ .name = "CA without SKI", .profile = "sub-ca",
	  .rule = "e_ski_missing_ca", .fire = true,
	  .ext = "subjectKeyIdentifier" },
	{ .name = "EE SKI", .profile = "smime-org-multipurpose",
	  .rule = "w_ski_missing" },
	{ .name = "EE without SKI", .profile = "smime-org-multipurpose",
	  .rule = "w_ski_missing", .fire = true,
	  .ext = "subjectKeyIdentifier" },
	{ .name = "SKI not critical", .profile = "tls-dv",
	  .rule = "e_ski_critical" },
	{ .name = "SKI critical", .profile = "tls-dv",
	  .rule = "e_ski_critical", .fire = true,
	  .ext = "subjectKeyIdentifier", .val = "critical,hash" },

	/* Policies */
	{ .name = "policy present", .profile = "tls-ev",
	  .rule = "e_policy_missing" },
	{ .name = "policy missing", .profile = "smime-sponsor-strict",
	  .rule = "e_policy_missing", .fire = true,
	  .ext = "certificatePolicies" },
	{ .name = "policy + CA's own OID", .profile = "smime-org-strict",
	  .rule = "e_policy_oid", .ext = "certificatePolicies",
	  .val = "@pol,1.2.392.200091.100.1" },
	{ .name = "Multipurpose OID in Strict", .profile =
	  "smime-sponsor-strict", .rule = "e_policy_oid", .fire = true,
	  .ext = "certificatePolicies", .val = "2.23.140.1.5.3.2" },
	{ .name = "two reserved OIDs", .profile = "tls-dv",
	  .rule = "e_policy_oid", .fire = true, .ext = "certificatePolicies",
	  .val = "@pol,2.23.140.1.2.2" },
	{ .name = "sub-CA anyPolicy", .profile = "sub-ca",
	  .rule = "e_policy_any" },
	{ .name = "EE anyPolicy", .profile = "smime-org-strict",
	  .rule = "e_policy_any", .fire = true, .ext = "certificatePolicies",
	  .val = "@pol,2.5.29.32.0" },
	{ .name = "TLS https CPS", .profile = "tls-dv",
	  .rule = "e_policy_qualifier", .ext = "certificatePolicies",
	  .val = "@pol_cps" },
	{ .name = "noticeRef", .profile = "smime-sponsor-strict",
	  .rule = "e_policy_qualifier", .fire = true,
	  .ext = "certificatePolicies", .val = "@pol_ref" },
	{ .name = "ftp CPS", .profile = "smime-sponsor-strict",
	  .rule = "e_policy_qualifier", .fire = true,
	  .ext = "certificatePolicies", .val = "@pol_ftp" },
	{ .name = "TLS userNotice", .profile = "tls-ov",
	  .rule = "e_policy_qualifier", .fire = true,
	  .ext = "certificatePolicies", .val = "@pol_notice" },
	{ .name = "policies not critical", .profile = "client-auth",
	  .rule = "w_policy_critical" },
	{ .name = "policies critical", .profile = "client-auth",
	  .rule = "w_policy_critical", .fire = true,
	  .ext = "certificatePolicies", .val = "critical,@pol" },

	/* CRL DP, AIA */
	{ .name = "OCSP responder without CRL DP", .profile = "ocsp-signing",
	  .rule = "e_crldp_missing" },
	{ .name = "S/MIME without CRL DP", .profile = "smime-org-strict",
	  .rule = "e_crldp_missing", .fire = true,
	  .ext = "crlDistributionPoints" },
	{ .name = "CRL DP http", .profile = "smime-org-strict",
	  .rule = "e_crldp_uri" },
	{ .name = "CRL DP https", .profile = "smime-org-strict",
	  .rule = "e_crldp_uri", .fire = true,
	  .ext = "crlDistributionPoints",
	  .val = "URI:https://crl.example.jp/sub.crl" },
	{ .name = "CRL DP ldap", .profile = "tls-dv", .rule = "e_crldp_uri",
	  .fire = true, .ext = "crlDistributionPoints",
	  .val = "URI:ldap://crl.example.jp/cn=sub" },
	{ .name = "AIA present", .profile = "smime-sponsor-strict",
	  .rule = "e_aia_missing" },
	{ .name = "AIA missing", .profile = "tls-dv",
	  .rule = "e_aia_missing", .fire = true,
	  .ext = "authorityInfoAccess" },
	{ .name = "AIA not critical", .profile = "tls-dv",
	  .rule = "e_aia_critical" },
	{ .name = "AIA critical", .profile = "tls-dv",
	  .rule = "e_aia_critical", .fire = true,
	  .ext = "authorityInfoAccess",
	  .val = "critical,caIssuers;URI:http://ca.example.jp/sub.crt" },
	{ .name = "AIA http", .profile = "smime-sponsor-multipurpose",
	  .rule = "e_aia_uri" },
	{ .name = "AIA https", .profile = "smime-sponsor-multipurpose",
	  .rule = "e_aia_uri", .fire = true, .ext = "authorityInfoAccess",
	  .val = "OCSP;URI:https://ocsp.example.jp" },

	/* Other extensions */
	{ .name = "no subjectDirectoryAttributes", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_subject_dir_attrs" },
	{ .name = "subjectDirectoryAttributes", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_subject_dir_attrs",
	  .fire = true, .fn = m_subject_dir_attrs },
	{ .name = "OCSP nocheck", .profile = "ocsp-signing",
	  .rule = "e_ocsp_nocheck" },
	{ .name = "OCSP without nocheck", .profile = "ocsp-signing",
	  .rule = "e_ocsp_nocheck", .fire = true, .ext = "noCheck" },
	{ .name = "S/MIME with nocheck", .profile = "smime-org-strict",
	  .rule = "e_ocsp_nocheck", .fire = true, .ext = "noCheck",
	  .val = "ignored" },
	{ .name = "registry URL", .profile = "tls-ov",
	  .rule = "e_registry_url", .fn = m_reg_url },
	{ .name = "registry URL critical", .profile = "tls-ov",
	  .rule = "e_registry_url", .fire = true, .fn = m_reg_url_critical },
	{ .name = "registry URL http", .profile = "tls-ov",
	  .rule = "e_registry_url", .fire = true, .fn = m_reg_url_http },
	{ .name = "registry URL UTF8String", .profile = "tls-ev",
	  .rule = "e_registry_url", .fire = true, .fn = m_reg_url_utf8 },

	/* Subject */
	{ .name = "sponsored with title and L", .profile =
	  "smime-sponsor-strict", .rule = "e_subject_required",
	  .subj = SPONSOR("/title=Manager/L=Chiyoda-ku/ST=Tokyo") },
	{ .name = "pseudonym instead of names", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_subject_required",
	  .subj = "/C=JP/O=Example KK/organizationIdentifier=NTRJP-"
	  "1010405009403/pseudonym=Tanuki" },
	{ .name = "sponsored without orgId", .profile =
	  "smime-sponsor-strict", .rule = "e_subject_required",
	  .fire = true, .subj = "/C=JP/O=Example KK/GN=Taro/SN=Yamada" },
	{ .name = "sponsored without surname", .profile =
	  "smime-sponsor-strict", .rule = "e_subject_required",
	  .fire = true, .subj = "/C=JP/O=Example KK/organizationIdentifier="
	  "NTRJP-1010405009403/GN=Taro/CN=Taro" },
	{ .name = "OV without ST or L", .profile = "tls-ov",
	  .rule = "e_subject_required", .fire = true,
	  .subj = "/C=JP/O=Example KK/CN=www.example.co.jp" },
	{ .name = "EV without jurisdiction", .profile = "tls-ev",
	  .rule = "e_subject_required", .fire = true,
	  .subj = "/C=JP/ST=Tokyo/O=Example KK/businessCategory=Private "
	  "Organization/serialNumber=1010405009403/CN=www.example.co.jp" },
	{ .name = "Multipurpose streetAddress", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_subject_not_allowed",
	  .subj = SPONSOR("/street=1-1 Chiyoda/postalCode=100-0001") },
	{ .name = "Strict streetAddress", .profile = "smime-sponsor-strict",
	  .rule = "e_subject_not_allowed", .fire = true,
	  .subj = SPONSOR("/street=1-1 Chiyoda") },
	{ .name = "Strict postalCode", .profile = "smime-org-strict",
	  .rule = "e_subject_not_allowed", .fire = true,
	  .subj = "/C=JP/O=Example KK/organizationIdentifier=NTRJP-"
	  "1010405009403/postalCode=100-0001/CN=Example KK" },
	{ .name = "sponsored businessCategory", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_subject_not_allowed",
	  .fire = true, .subj = SPONSOR("/businessCategory=Private") },
	{ .name = "org with givenName", .profile = "smime-org-multipurpose",
	  .rule = "e_subject_not_allowed", .fire = true,
	  .subj = "/C=JP/O=Example KK/organizationIdentifier=NTRJP-"
	  "1010405009403/GN=Taro/CN=Example KK" },
	{ .name = "DV with O", .profile = "tls-dv",
	  .rule = "e_subject_not_allowed", .fire = true,
	  .subj = "/O=Example KK/CN=www.example.co.jp" },
	{ .name = "OV with OU", .profile = "tls-ov",
	  .rule = "e_subject_not_allowed", .fire = true,
	  .subj = "/C=JP/ST=Tokyo/O=Example KK/OU=Web/CN=www.example.co.jp" },
	{ .name = "pseudonym with givenName", .profile =
	  "smime-sponsor-multipurpose", .rule = "e_subject_not_allowed",
	  .fire = true, .subj = SPONSOR("/pseudonym=Tanuki") },
	{ .name = "real values", .profile = "tls-ov",
	  .rule = "e_subject_placeholder",
	  .subj = "/C=JP/ST=Tokyo/L=Chiyoda-ku/O=Example K.K./"
	  "CN=www.example.co.jp" },
	{ .name = "placeholder dash", .profile = "tls-ov",
	  .rule = "e_subject_placeholder", .fire = true,
	  .subj = "/C=JP/ST=Tokyo/L=-/O=Example KK/CN=www.example.co.jp" },
	{ .name = "placeholder dot", .profile = "smime-sponsor-strict",
	  .rule = "e_subject_placeholder", .fire = true,
	  .subj = SPONSOR("/title=.") },
	{ .name = "placeholder space", .profile = "smime-sponsor-strict",
	  .rule = "e_subject_placeholder", .fire = true,
	  .subj = SPONSOR("/title= ") },
	{ .name = "empty value", .profile = "smime-sponsor-strict",
	  .rule = "e_subject_placeholder", .fire = true,
	  .subj = SPONSOR("/title=") },
	{ .name = "NTRJP good", .profile = "smime-sponsor-strict",
	  .rule = "e_org_identifier" },
	{ .name = "NTRJP wrong check digit", .profile =
	  "smime-sponsor-strict", .rule = "e_org_identifier", .fire = true,
	  .subj = ORGID("NTRJP-2010405009403") },
	{ .name = "NTRJP 12 digits", .profile = "smime-sponsor-strict",
	  .rule = "e_org_identifier", .fire = true,
	  .subj = ORGID("NTRJP-101040500940") },
	{ .name = "NTRUS with C=JP", .profile = "smime-sponsor-strict",
	  .rule = "e_org_identifier", .fire = true,
	  .subj = ORGID("NTRUS-1234567") },
	{ .name = "no hyphen", .profile = "smime-org-strict",
	  .rule = "e_org_identifier", .fire = true,
	  .subj = "/C=JP/O=Example KK/organizationIdentifier=NTRJP1010405009"
	  "403/CN=Example KK" },
	{ .name = "unknown scheme", .profile = "smime-org-strict",
	  .rule = "e_org_identifier", .fire = true,
	  .subj = "/C=JP/O=Example KK/organizationIdentifier=ABCJP-1010405"
	  "009403/CN=Example KK" },
	{ .name = "subject email in SAN", .profile = "smime-sponsor-strict",
	  .rule = "e_subject_email_in_san",
	  .subj = SPONSOR("/emailAddress=Taro.Yamada@example.co.jp") },
	{ .name = "CN mailbox in SAN", .profile = "smime-org-strict",
	  .rule = "e_subject_email_in_san",
	  .subj = "/C=JP/O=Example KK/organizationIdentifier=NTRJP-"
	  "1010405009403/CN=taro.yamada@example.co.jp" },
	{ .name = "subject email not in SAN", .profile =
	  "smime-sponsor-strict", .rule = "e_subject_email_in_san",
	  .fire = true, .subj = SPONSOR("/emailAddress=hanako@example.co.jp") },
	{ .name = "CN mailbox not in SAN", .profile = "smime-org-strict",
	  .rule = "e_subject_email_in_san", .fire = true,
	  .subj = "/C=JP/O=Example KK/organizationIdentifier=NTRJP-"
	  "1010405009403/CN=info@example.co.jp" },
	{ .name = "TLS CN in SAN", .profile = "tls-ov",
	  .rule = "e_tls_cn_in_san", .ext = "subjectAltName",
	  .val = "DNS:example.co.jp,DNS:www.example.co.jp" },
	{ .name = "TLS CN not in SAN", .profile = "tls-ov",
	  .rule = "e_tls_cn_in_san", .fire = true,
	  .subj = "/C=JP/ST=Tokyo/O=Example KK/CN=mail.example.co.jp" },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(rows); i++) {
		const struct row *r = &rows[i];
		struct kn_lint_report rep;
		const struct kn_lint_finding *f;

		lint_row(r, &rep, NULL);
		f = kn_lint_find(&rep, r->rule);
		if (r->fire && f == NULL) {
			dump(&rep, r->name);
			fail_msg("%s: rule %s did not fire", r->name, r->rule);
		}
		if (!r->fire && (f != NULL || rep.errors != 0)) {
			dump(&rep, r->name);
			fail_msg("%s: %s fired (%zu errors)", r->name,
			    f != NULL ? f->rule : "an error", rep.errors);
		}
		if (f != NULL) {
			/* A finding says what, and where the rule is. */
			CHECK_INT(r->name, strlen(f->msg) > 20, 1);
			CHECK_INT(r->name, strlen(f->source) > 5, 1);
			CHECK_INT(r->name, f->level, r->rule[0] == 'e' ?
			    KN_LINT_ERROR : KN_LINT_WARN);
		}
	}
}

/* Every rule has a row where it fires and a near miss where it does not. */
static void
test_rule_coverage(void **state)
{
	const struct kn_lint_rule *lr;
	size_t i, j;

	(void)state;
	for (i = 0; (lr = kn_lint_rule_at(i)) != NULL; i++) {
		bool bad = false, good = false;

		CHECK_INT(lr->id, lr->id[0] == 'e' ? KN_LINT_ERROR :
		    KN_LINT_WARN, lr->level);
		if (lr->source == NULL || lr->what == NULL)
			fail_msg("%s: source and description needed", lr->id);
		for (j = 0; j < i; j++)
			if (strcmp(kn_lint_rule_at(j)->id, lr->id) == 0)
				fail_msg("rule %s twice", lr->id);
		for (j = 0; j < NITEMS(rows); j++) {
			if (strcmp(rows[j].rule, lr->id) != 0)
				continue;
			if (rows[j].fire)
				bad = true;
			else
				good = true;
		}
		if (!bad || !good)
			fail_msg("rule %s lacks a %s row", lr->id,
			    bad ? "passing" : "failing");
	}
	for (j = 0; j < NITEMS(rows); j++) {
		for (i = 0; (lr = kn_lint_rule_at(i)) != NULL; i++)
			if (strcmp(rows[j].rule, lr->id) == 0)
				break;
		if (lr == NULL)
			fail_msg("row %s names unknown rule %s", rows[j].name,
			    rows[j].rule);
	}
	for (i = 0; kn_lint_rule_at(i) != NULL; i++)
		;
	print_message("# %zu rules, %zu rows\n", i, NITEMS(rows));
}

/* What kakuin issues lints clean: every profile, every key it allows. */
static void
test_profiles_clean(void **state)
{
	static const enum tkey ks[] = { K_EC256, K_EC384, K_RSA, K_RSA3072,
	    K_ED25519 };
	static const enum kn_keyalg algs[] = { KN_KEY_EC_P256,
	    KN_KEY_EC_P384, KN_KEY_RSA_2048, KN_KEY_RSA_3072,
	    KN_KEY_ED25519 };
	size_t i, k;
	int n = 0;

	(void)state;
	for (i = 0; i < kn_nprofiles; i++) {
		const struct kn_profile *p = &kn_profiles[i];

		for (k = 0; k < NITEMS(ks); k++) {
			struct row r = { .name = p->name, .profile = p->name,
			    .key = ks[k] };
			struct kn_lint_report rep;
			char name[96];
			X509 *x;

			if (!kn_profile_allows_key(p, algs[k]))
				continue;
			snprintf(name, sizeof(name), "%s/key %d", p->name,
			    (int)algs[k]);
			lint_row(&r, &rep, &x);
			if (rep.errors + rep.warnings != 0) {
				dump(&rep, name);
				fail_msg("%s: %zu errors, %zu warnings", name,
				    rep.errors, rep.warnings);
			}
			CHECK_STR(name, rep.profile->name, p->name);
			/* Recognized without being told. */
			assert_int_equal(kn_lint_cert(&rep, x, NULL,
			    p->ca ? NULL : ca), 0);
			CHECK_STR(name, rep.profile ? rep.profile->name :
			    "none", p->name);
			CHECK_INT(name, rep.errors, 0);
			X509_free(x);
			n++;
		}
	}
	print_message("# %d profile/key combinations lint clean\n", n);
}

static void
test_der(void **state)
{
	struct row r = { .name = "der", .profile = "smime-sponsor-strict" };
	struct kn_lint_report rep;
	unsigned char *der = NULL, *buf;
	X509 *x = build(&r);
	int n;

	(void)state;
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	buf = malloc((size_t)n + 1);
	memcpy(buf, der, (size_t)n);
	assert_int_equal(kn_lint_der(&rep, buf, (size_t)n), 0);
	assert_int_equal(rep.errors, 0);
	assert_string_equal(rep.profile->name, "smime-sponsor-strict");
	/* Trailing garbage, truncation, nothing, too much. */
	buf[n] = 0;
	assert_int_equal(kn_lint_der(&rep, buf, (size_t)n + 1),
	    KN_ERR_INVAL);
	CHECK_HAS("trailing", kn_err_get()->msg, "1 bytes follow");
	assert_int_equal(kn_lint_der(&rep, buf, (size_t)n - 1),
	    KN_ERR_INVAL);
	assert_int_equal(kn_lint_der(&rep, buf, 0), KN_ERR_INVAL);
	assert_int_equal(kn_lint_der(&rep, NULL, 0), KN_ERR_INVAL);
	assert_int_equal(kn_lint_der(&rep, buf, KN_LINT_DER_MAX + 1),
	    KN_ERR_TOOBIG);
	free(buf);
	OPENSSL_free(der);
	X509_free(x);
}

/* More findings than the report keeps: counted, not stored. */
static void
test_report_cap(void **state)
{
	char subj[2048] = "/C=JP/ST=Tokyo/O=Example KK/CN=www.example.co.jp";
	struct kn_lint_report rep;
	int i;

	(void)state;
	for (i = 0; i < 80; i++)
		strncat(subj, "/L=-", sizeof(subj) - strlen(subj) - 1);
	{
		struct row r = { .name = "cap", .profile = "tls-ov",
		    .subj = subj };

		lint_row(&r, &rep, NULL);
	}
	assert_int_equal(rep.n, KN_LINT_MAX);
	assert_true(rep.errors >= 80);
}

/* Pre-issuance: a certificate not signed yet lints clean. */
static void
test_unsigned(void **state)
{
	struct row r = { .name = "unsigned", .profile = "tls-ev" };
	const struct kn_profile *p = kn_profile_find("tls-ev");
	struct kn_lint_report rep;
	X509 *x = build(&r), *u = X509_new();

	(void)state;
	/* The same content, never signed. */
	assert_true(X509_set_version(u, X509_VERSION_3));
	assert_true(X509_set_serialNumber(u, X509_get_serialNumber(x)));
	assert_true(X509_set_issuer_name(u, X509_get_issuer_name(x)));
	assert_true(X509_set_subject_name(u, X509_get_subject_name(x)));
	assert_true(X509_set1_notBefore(u, X509_get0_notBefore(x)));
	assert_true(X509_set1_notAfter(u, X509_get0_notAfter(x)));
	assert_true(X509_set_pubkey(u, X509_get0_pubkey(x)));
	for (int i = 0; i < X509_get_ext_count(x); i++)
		assert_true(X509_add_ext(u, X509_get_ext(x, i), -1));
	assert_int_equal(kn_lint_cert(&rep, u, p, ca), 0);
	if (rep.errors != 0) {
		dump(&rep, "unsigned");
		fail_msg("an unsigned certificate has errors");
	}
	X509_free(u);
	X509_free(x);
}

/* Without a profile, only profile-free rules run. */
static void
test_no_profile(void **state)
{
	struct row r = { .name = "unknown", .profile = "client-auth",
	    .ext = "certificatePolicies", .val = "1.2.3.4",
	    .ext2 = "extendedKeyUsage", .val2 = "codeSigning" };
	struct kn_lint_report rep;
	X509 *x = build(&r);

	(void)state;
	assert_int_equal(kn_lint_cert(&rep, x, NULL, ca), 0);
	assert_null(rep.profile);
	assert_int_equal(rep.errors, 0);
	assert_int_equal(kn_lint_cert(&rep, NULL, NULL, NULL), KN_ERR_INVAL);
	X509_free(x);
}

static void
write_corpus(const char *dir)
{
	size_t i;

	for (i = 0; i < kn_nprofiles; i++) {
		struct row r = { .name = kn_profiles[i].name,
		    .profile = kn_profiles[i].name };
		X509 *x = build(&r);
		unsigned char *der = NULL;
		char *name = tu_printf("good-%s.der", kn_profiles[i].name);
		int n = i2d_X509(x, &der);

		free(tu_write(dir, name, der, (size_t)n));
		free(name);
		OPENSSL_free(der);
		X509_free(x);
	}
	for (i = 0; i < NITEMS(rows); i++) {
		X509 *x;
		unsigned char *der = NULL;
		char *name;
		int n;

		if (!rows[i].fire || i % 40 != 1)
			continue;
		x = build(&rows[i]);
		n = i2d_X509(x, &der);
		name = tu_printf("bad-%s.der", rows[i].rule);
		free(tu_write(dir, name, der, (size_t)n));
		free(name);
		OPENSSL_free(der);
		X509_free(x);
	}
}

static int
setup(void **state)
{
	struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 1 };
	BIGNUM *n = NULL, *t;
	X509_NAME *nm;
	const char *dir;

	(void)state;
	not_before = timegm(&tm);
	ca_key = gen_key("EC", "P-256");
	ca2_key = gen_key("EC", "P-256");
	keys[K_EC256] = gen_key("EC", "P-256");
	keys[K_EC384] = gen_key("EC", "P-384");
	keys[K_RSA] = gen_key("RSA", NULL);
	keys[K_RSA3072] = gen_key("RSA3072", NULL);
	keys[K_ED25519] = gen_key("ED25519", NULL);
	keys[K_K1] = gen_key("EC", "secp256k1");
	keys[K_RSA1024] = rsa_random(1024);
	keys[K_RSA2049] = rsa_random(2049);
	keys[K_RSA2056] = rsa_random(2056);
	assert_true(EVP_PKEY_get_bn_param(keys[K_RSA], OSSL_PKEY_PARAM_RSA_N,
	    &n));
	keys[K_RSA_E_EVEN] = rsa_pub(n, 65536);
	keys[K_RSA_E1] = rsa_pub(n, 1);
	keys[K_RSA_E3] = rsa_pub(n, 3);
	/* 3 * (2^2046 + 1): 2048 bits, odd, divisible by 3. */
	t = BN_new();
	assert_true(BN_set_bit(t, 2046) && BN_add_word(t, 1) &&
	    BN_mul_word(t, 3));
	keys[K_RSA_SMALLF] = rsa_pub(t, 65537);
	BN_free(t);
	BN_free(n);

	/* The issuing CA: a self-signed P-256 certificate. */
	ca = X509_new();
	ca2 = X509_new();
	{
		X509 *c[2] = { ca, ca2 };
		EVP_PKEY *k[2] = { ca_key, ca2_key };
		X509V3_CTX v3;
		X509_EXTENSION *e;
		int i;

		nm = make_name(CA_SUBJ);
		for (i = 0; i < 2; i++) {
			unsigned char sn[16] = { 0x40, (unsigned char)i };

			assert_true(X509_set_version(c[i], X509_VERSION_3));
			set_serial(c[i], sn, sizeof(sn), false);
			assert_true(X509_set_subject_name(c[i], nm));
			assert_true(X509_set_issuer_name(c[i], nm));
			X509_time_adj_ex(X509_getm_notBefore(c[i]), 0, 0,
			    &not_before);
			X509_time_adj_ex(X509_getm_notAfter(c[i]), 3650, 0,
			    &not_before);
			assert_true(X509_set_pubkey(c[i], k[i]));
			X509V3_set_ctx(&v3, c[i], c[i], NULL, NULL, 0);
			e = X509V3_EXT_nconf(NULL, &v3,
			    "subjectKeyIdentifier", "hash");
			assert_true(X509_add_ext(c[i], e, -1));
			X509_EXTENSION_free(e);
			assert_true(X509_sign(c[i], k[i], EVP_sha256()) > 0);
		}
		X509_NAME_free(nm);
	}
	if ((dir = getenv("KN_LINT_CORPUS")) != NULL && *dir != '\0')
		write_corpus(dir);
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < K_NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ca2_key);
	X509_free(ca);
	X509_free(ca2);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_coverage),
		cmocka_unit_test(test_profiles_clean),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_report_cap),
		cmocka_unit_test(test_no_profile),
		cmocka_unit_test(test_unsigned),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
