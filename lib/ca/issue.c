/* issue.c - building, linting and signing certificates. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "base/text.h"
#include "ca/ca_int.h"
#include "ca/lint.h"

#define SERIAL_BYTES 16		/* 127 random bits (SBR 7.1: >= 64) */

const EVP_MD *
kn__md_for(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC:
		return EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() :
		    EVP_sha256();
	default:
		return EVP_sha256();
	}
}

int
kn__sign_cert(X509 *x, EVP_PKEY *key)
{
	if (X509_sign(x, key, kn__md_for(key)) <= 0)
		return kn_err_set(KN_ERR_CRYPTO, NULL, "signing the "
		    "certificate failed (is the CA key available?)");
	return 0;
}

int
kn__sign_crl(X509_CRL *crl, EVP_PKEY *key)
{
	if (X509_CRL_sign(crl, key, kn__md_for(key)) <= 0)
		return kn_err_set(KN_ERR_CRYPTO, NULL, "signing the CRL "
		    "failed (is the CA key available?)");
	return 0;
}

X509 *
kn__pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = NULL;

	if (b != NULL)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return x;
}

char *
kn__x509_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *data;
	long n;

	if (b != NULL && PEM_write_bio_X509(b, x) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		memcpy(p, data, (size_t)n);
		p[n] = '\0';
	}
	BIO_free(b);
	return p;
}

void
kn__serial_hex(char out[KN_SERIAL_HEX], const ASN1_INTEGER *s)
{
	unsigned char buf[21];
	int n = s->length;

	if (n < 0 || n > 20) {
		snprintf(out, KN_SERIAL_HEX, "invalid");
		return;
	}
	memcpy(buf, s->data, (size_t)n);
	kn_hex(out, buf, (size_t)n);
}

int
kn__serial_norm(char out[KN_SERIAL_HEX], const char *in)
{
	size_t o = 0;

	for (; *in != '\0'; in++) {
		char c = *in;

		if (c == ':' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ||
		    o == KN_SERIAL_HEX - 1)
			return kn_err_set(KN_ERR_INVAL, "serial", "a serial "
			    "number is up to 20 bytes in hexadecimal "
			    "(RFC 5280 section 4.1.2.2)");
		out[o++] = c;
	}
	out[o] = '\0';
	if (o == 0)
		return kn_err_set(KN_ERR_INVAL, "serial", "the serial number "
		    "is empty");
	/* Stored without leading zero octets, as in the DER minus sign. */
	return 0;
}

char *
kn__name_str(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *data;
	long len;

	if (b != NULL && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB) >= 0 && (len = BIO_get_mem_data(b,
	    &data)) >= 0 && (p = malloc((size_t)len + 1)) != NULL) {
		memcpy(p, data, (size_t)len);
		p[len] = '\0';
	}
	BIO_free(b);
	return p;
}

void
kn__asn1_time(char out[21], const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		snprintf(out, 21, "invalid");
		return;
	}
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
kn__http_base(struct kn_buf *b, const char *base)
{
	if (strncmp(base, "https://", 8) == 0)
		kn_buf_putf(b, "http://%s", base + 8);
	else
		kn_buf_puts(b, base);
}

void
kn__crl_url(struct kn_buf *b, const char *base, const char *ca,
    int64_t shard)
{
	kn__http_base(b, base);
	if (shard == 0)
		kn_buf_putf(b, "/crl/%s.crl", ca);
	else
		kn_buf_putf(b, "/crl/%s/%lld.crl", ca, (long long)shard);
}

EVP_PKEY *
kn__keygen(enum kn_keyalg alg)
{
	switch (alg) {
	case KN_KEY_EC_P256:
		return EVP_EC_gen("P-256");
	case KN_KEY_EC_P384:
		return EVP_EC_gen("P-384");
	case KN_KEY_RSA_2048:
		return EVP_RSA_gen(2048);
	case KN_KEY_RSA_3072:
		return EVP_RSA_gen(3072);
	case KN_KEY_RSA_4096:
		return EVP_RSA_gen(4096);
	case KN_KEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	default:
		return NULL;
	}
}

/* A throwaway key per algorithm, for linting before the real signature
 * (S/MIME BR 4.3.1.2 allows a dummy key). */
static pthread_mutex_t dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY *dummy[8];

static EVP_PKEY *
dummy_key(EVP_PKEY *like)
{
	enum kn_keyalg alg = kn_keyalg_of(like);
	EVP_PKEY *k = NULL;

	if (alg == KN_KEY_NONE || (size_t)alg >= sizeof(dummy) /
	    sizeof(dummy[0]))
		alg = KN_KEY_EC_P256;
	/* The signature's size matters to nothing linted: the smallest
	 * RSA key does for every RSA size. */
	if (alg == KN_KEY_RSA_3072 || alg == KN_KEY_RSA_4096)
		alg = KN_KEY_RSA_2048;
	pthread_mutex_lock(&dummy_mu);
	if (dummy[alg] == NULL)
		dummy[alg] = kn__keygen(alg);
	if ((k = dummy[alg]) != NULL)
		EVP_PKEY_up_ref(k);
	pthread_mutex_unlock(&dummy_mu);
	return k;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (e == NULL)
		return kn_err_set(KN_ERR_INTERNAL, NULL, "building extension "
		    "%s = %s failed", OBJ_nid2sn(nid), value);
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : KN_ERR_NOMEM;
}

static void
put_ku(struct kn_buf *b, unsigned ku)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ X509v3_KU_DIGITAL_SIGNATURE, "digitalSignature" },
		{ X509v3_KU_NON_REPUDIATION, "nonRepudiation" },
		{ X509v3_KU_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ X509v3_KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ X509v3_KU_KEY_AGREEMENT, "keyAgreement" },
		{ X509v3_KU_KEY_CERT_SIGN, "keyCertSign" },
		{ X509v3_KU_CRL_SIGN, "cRLSign" },
	};
	size_t i;

	kn_buf_puts(b, "critical");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (ku & names[i].bit)
			kn_buf_putf(b, ",%s", names[i].name);
	}
}

/* certificatePolicies: the profile's OID, with the registry page URL as
 * a userNotice explicitText where the profile carries it (RFC 5280
 * section 4.2.1.4: explicitText of at most 200 characters). */
static int
add_policies(X509 *x, const struct kn_build *b)
{
	CERTIFICATEPOLICIES *pols = NULL;
	POLICYINFO *pi = NULL;
	POLICYQUALINFO *q = NULL;
	char text[256];
	int rc = KN_ERR_NOMEM;

	if (b->p->policy_oid == NULL)
		return 0;
	if ((pols = CERTIFICATEPOLICIES_new()) == NULL ||
	    (pi = POLICYINFO_new()) == NULL)
		goto out;
	if ((pi->policyid = OBJ_txt2obj(b->p->policy_oid, 1)) == NULL) {
		rc = kn_err_set(KN_ERR_INTERNAL, NULL, "bad policy OID %s",
		    b->p->policy_oid);
		goto out;
	}
	if (b->p->user_notice && b->registry_url != NULL) {
		snprintf(text, sizeof(text), "Verified organization: %s",
		    b->registry_url);
		if (strlen(text) > 200) {
			rc = kn_err_set(KN_ERR_CONFIG, "base_url", "base_url "
			    "is too long for a userNotice (RFC 5280 section "
			    "4.2.1.4: 200 characters)");
			goto out;
		}
		if ((q = POLICYQUALINFO_new()) == NULL ||
		    (q->d.usernotice = USERNOTICE_new()) == NULL ||
		    (q->d.usernotice->exptext = ASN1_STRING_type_new(
		    V_ASN1_UTF8STRING)) == NULL ||
		    ASN1_STRING_set(q->d.usernotice->exptext, text, -1) != 1)
			goto out;
		q->pqualid = OBJ_nid2obj(NID_id_qt_unotice);
		if ((pi->qualifiers = sk_POLICYQUALINFO_new_null()) == NULL ||
		    !sk_POLICYQUALINFO_push(pi->qualifiers, q))
			goto out;
		q = NULL;
	}
	if (!sk_POLICYINFO_push(pols, pi))
		goto out;
	pi = NULL;
	if (X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	rc = 0;
out:
	POLICYQUALINFO_free(q);
	POLICYINFO_free(pi);
	CERTIFICATEPOLICIES_free(pols);
	return rc;
}

/* The registry page URL as kakuin's own non-critical extension (TLS
 * profiles, where a userNotice is not allowed). */
static int
add_registry_ext(X509 *x, const char *url)
{
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(KN_OID_REGISTRY_URL, 1);
	unsigned char *der = NULL;
	int len, rc = KN_ERR_NOMEM;

	if (s == NULL || os == NULL || obj == NULL ||
	    ASN1_STRING_set(s, url, -1) != 1 ||
	    (len = i2d_ASN1_IA5STRING(s, &der)) <= 0 ||
	    ASN1_OCTET_STRING_set(os, der, len) != 1)
		goto out;
	if (X509_add_ext(x, X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os),
	    -1) != 1)
		goto out;
	rc = 0;
out:
	OPENSSL_free(der);
	ASN1_IA5STRING_free(s);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return rc;
}

static int
random_serial(X509 *x, char hex[KN_SERIAL_HEX])
{
	unsigned char raw[SERIAL_BYTES];
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;
	int rc = KN_ERR_NOMEM;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return KN_ERR_CRYPTO;
	/* Positive (top bit clear) and 16 octets long (top byte non-zero):
	 * a fixed length leaves no leading-zero ambiguity. */
	raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x01);
	if ((bn = BN_bin2bn(raw, sizeof(raw), NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_serialNumber(x, ai) != 1)
		goto out;
	kn__serial_hex(hex, ai);
	rc = 0;
out:
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

static int
build(X509 **out, char serial[KN_SERIAL_HEX], const struct kn_build *b)
{
	const struct kn_profile *p = b->p;
	X509V3_CTX ctx;
	struct kn_buf v;
	X509 *x = NULL;
	enum kn_keyalg alg = kn_keyalg_of(b->pub);
	size_t i;
	int rc = KN_ERR_NOMEM;
	time_t now = time(NULL);

	kn_buf_init(&v, 8192);
	if ((x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3)
	    != 1)
		goto out;
	if ((rc = random_serial(x, serial)) != 0)
		goto out;
	rc = KN_ERR_NOMEM;
	if (X509_set_subject_name(x, b->subject) != 1 ||
	    X509_set_issuer_name(x, b->issuer ?
	    X509_get_subject_name(b->issuer) : b->subject) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &now) == NULL ||
	    /* Validity counts both ends (RFC 5280 section 4.1.2.5):
	     * days * 86400 seconds in all. */
	    X509_time_adj_ex(X509_getm_notAfter(x), b->days, -1, &now) ==
	    NULL)
		goto out;
	if (b->spki != NULL) {
		/* The CSR's SubjectPublicKeyInfo, field by field: OpenSSL 3.0's
		 * X509_set_pubkey() would encode the key and decode it again. */
		ASN1_OBJECT *obj;
		const unsigned char *pk;
		const void *pval;
		X509_ALGOR *algor;
		unsigned char *copy;
		void *pv = NULL;
		int pklen, ptype;

		if (X509_PUBKEY_get0_param(&obj, &pk, &pklen, &algor,
		    b->spki) != 1)
			goto out;
		X509_ALGOR_get0(NULL, &ptype, &pval, algor);
		if (ptype == V_ASN1_OBJECT)
			pv = OBJ_dup(pval);
		else if (ptype == V_ASN1_SEQUENCE)
			pv = ASN1_STRING_dup(pval);
		if ((ptype == V_ASN1_OBJECT || ptype == V_ASN1_SEQUENCE) &&
		    pv == NULL)
			goto out;
		if ((copy = OPENSSL_memdup(pk, (size_t)pklen)) == NULL)
			goto out;
		if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x),
		    OBJ_dup(obj), ptype, pv, copy, pklen) != 1) {
			OPENSSL_free(copy);
			goto out;
		}
	} else if (X509_set_pubkey(x, b->pub) != 1)
		goto out;
	X509V3_set_ctx(&ctx, b->issuer ? b->issuer : x, x, NULL, NULL, 0);

	if (p->ca) {
		kn_buf_reset(&v);
		kn_buf_puts(&v, "critical,CA:TRUE");
		if (p->path_len >= 0)
			kn_buf_putf(&v, ",pathlen:%d", p->path_len);
		if ((rc = add_ext(x, &ctx, NID_basic_constraints,
		    v.data)) != 0)
			goto out;
	}
	kn_buf_reset(&v);
	put_ku(&v, kn_profile_ku(p, alg));
	if ((rc = add_ext(x, &ctx, NID_key_usage, v.data)) != 0)
		goto out;
	if (p->eku[0] != 0) {
		kn_buf_reset(&v);
		if (p->eku_critical)
			kn_buf_puts(&v, "critical,");
		for (i = 0; i < KN_MAX_EKU && p->eku[i] != 0; i++) {
			char oid[80];
			int nid = kn_profile_eku_nid(p->eku[i]);

			if (nid == 0) {
				rc = KN_ERR_INTERNAL;
				goto out;
			}
			OBJ_obj2txt(oid, sizeof(oid), OBJ_nid2obj(nid), 1);
			kn_buf_putf(&v, "%s%s", i ? "," : "", oid);
		}
		if ((rc = add_ext(x, &ctx, NID_ext_key_usage, v.data)) != 0)
			goto out;
	}
	if ((rc = add_ext(x, &ctx, NID_subject_key_identifier,
	    "hash")) != 0)
		goto out;
	if (b->issuer != NULL && (rc = add_ext(x, &ctx,
	    NID_authority_key_identifier, "keyid:always")) != 0)
		goto out;
	if (b->nemails + b->ndns > 0) {
		kn_buf_reset(&v);
		/* Names were checked strictly at request time: no commas or
		 * other configuration syntax can reach this string. */
		for (i = 0; i < b->nemails; i++)
			kn_buf_putf(&v, "%semail:%s", v.len ? "," : "",
			    b->emails[i]);
		for (i = 0; i < b->ndns; i++)
			kn_buf_putf(&v, "%sDNS:%s", v.len ? "," : "",
			    b->dns[i]);
		if (v.failed || (rc = add_ext(x, &ctx,
		    NID_subject_alt_name, v.data)) != 0)
			goto out;
	}
	if ((rc = add_policies(x, b)) != 0)
		goto out;
	if (b->issuer != NULL && p->crl_dp) {
		kn_buf_reset(&v);
		kn_buf_puts(&v, "URI:");
		kn__crl_url(&v, b->base_url, b->issuer_name, b->shard);
		if (v.failed || (rc = add_ext(x, &ctx,
		    NID_crl_distribution_points, v.data)) != 0)
			goto out;
	}
	if (b->issuer != NULL && p->aia) {
		/* The server's OCSP responder (RFC 6960) and the issuer's
		 * certificate (RFC 5280 4.2.2.1), both plain http. */
		kn_buf_reset(&v);
		kn_buf_puts(&v, "OCSP;URI:");
		kn__http_base(&v, b->base_url);
		kn_buf_puts(&v, "/ocsp,caIssuers;URI:");
		kn__http_base(&v, b->base_url);
		kn_buf_putf(&v, "/ca/%s.crt", b->issuer_name);
		if (v.failed || (rc = add_ext(x, &ctx, NID_info_access,
		    v.data)) != 0)
			goto out;
	}
	if (p->ocsp_nocheck && (rc = add_ext(x, &ctx,
	    NID_id_pkix_OCSP_noCheck, "ignored")) != 0)
		goto out;
	if (b->registry_url != NULL && !p->user_notice &&
	    (rc = add_registry_ext(x, b->registry_url)) != 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	X509_free(x);
	kn_buf_cleanup(&v);
	return rc;
}

int
kn__issue(X509 **out, char serial[KN_SERIAL_HEX], const struct kn_build *b)
{
	struct kn_lint_report *rep = NULL;
	EVP_PKEY *dk = NULL;
	X509 *x = NULL;
	int rc;

	if ((rc = build(&x, serial, b)) != 0)
		return rc;
	/* Pre-issuance lint (S/MIME BR 4.3.1.2) of the exact TBS, signed
	 * first with a throwaway key of the issuer's algorithm. */
	if ((dk = dummy_key(b->issuer_key)) == NULL ||
	    (rep = calloc(1, sizeof(*rep))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = kn__sign_cert(x, dk)) != 0)
		goto out;
	if (b->spki != NULL) {
		/* Through DER once, so that the key is decoded (once) for the
		 * linter and the signer. */
		unsigned char *der = NULL;
		const unsigned char *p;
		X509 *y;
		int len;

		if ((len = i2d_X509(x, &der)) <= 0) {
			rc = KN_ERR_NOMEM;
			goto out;
		}
		p = der;
		y = d2i_X509(NULL, &p, len);
		OPENSSL_free(der);
		if (y == NULL || X509_get0_pubkey(y) == NULL) {
			X509_free(y);
			rc = kn_err_set(KN_ERR_INTERNAL, NULL, "the certificate "
			    "could not be read back");
			goto out;
		}
		X509_free(x);
		x = y;
	}
	if ((rc = kn_lint_cert(rep, x, b->p, b->issuer ? b->issuer : x)) != 0)
		goto out;
	if (rep->errors > 0) {
		size_t i;

		for (i = 0; i < rep->n && rep->f[i].level != KN_LINT_ERROR;
		    i++)
			;
		rc = kn_err_set(KN_ERR_VERIFY, "profile", "the certificate "
		    "would break rule %s (%s): %s; nothing was signed",
		    rep->f[i].rule, rep->f[i].source, rep->f[i].msg);
		goto out;
	}
	if ((rc = kn__sign_cert(x, b->issuer_key)) != 0)
		goto out;
	*out = x;
	x = NULL;
out:
	free(rep);
	EVP_PKEY_free(dk);
	X509_free(x);
	return rc;
}
