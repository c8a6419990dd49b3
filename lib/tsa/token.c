/*
 * token.c - time-stamp tokens written by hand (see token.h).
 *
 * OpenSSL's TS_RESP_create_response() builds a token through its generic
 * ASN.1 layer: it parses the request again, copies the certificates,
 * hashes the unit certificate for ESSCertIDv2 and allocates a few hundred
 * objects - together more CPU than the signature itself.  Here the unit's
 * part is DER encoded once, and a token is a few hundred octets of TSTInfo
 * plus three signed attributes (RFC 5652 section 5.3), signed as
 * OpenSSL would sign them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "base/der.h"
#include "tsa/token.h"

#define TMPL_MAX	(256 << 10)	/* octets of the unit's certificates */
#define TOKEN_MAX	(512 << 10)

struct kn__tsa_tmpl {
	const EVP_MD	*md;
	int		 md_nid;
	struct kn_buf	 certs;		/* certificates [0] IMPLICIT SET OF */
	struct kn_buf	 sid;		/* IssuerAndSerialNumber */
	struct kn_buf	 name;		/* TSTInfo tsa [0] GeneralName */
	struct kn_buf	 md_alg;	/* DigestAlgorithmIdentifier */
	struct kn_buf	 sig_alg;	/* SignatureAlgorithmIdentifier */
	struct kn_buf	 ctype;		/* contentType attribute */
	struct kn_buf	 md_oid;	/* messageDigest attribute type */
	struct kn_buf	 ess;		/* signingCertificateV2 attribute */
	struct kn_buf	 ct_tst;	/* id-ct-TSTInfo */
	struct kn_buf	 ct_signed;	/* id-signedData */
};

static void
put_oid(struct kn_buf *b, int nid)
{
	unsigned char *p = NULL;
	const ASN1_OBJECT *o = OBJ_nid2obj(nid);

	kn_der_put_i2d(b, &p, o == NULL ? 0 : i2d_ASN1_OBJECT(o, &p));
}

static void
put_name(struct kn_buf *b, const X509_NAME *n)
{
	unsigned char *p = NULL;

	kn_der_put_i2d(b, &p, i2d_X509_NAME(n, &p));
}

static void
put_serial(struct kn_buf *b, const X509 *x)
{
	unsigned char *p = NULL;

	kn_der_put_i2d(b, &p, i2d_ASN1_INTEGER(X509_get0_serialNumber(x),
	    &p));
}

/* The digest a unit signs with: one that fits its key. */
static int
md_nid_for(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256)
		return NID_sha384;
	return NID_sha256;
}

/* certificates [0] IMPLICIT CertificateSet, in DER's SET OF order. */
static int
put_certs(struct kn_buf *b, X509 *cert, STACK_OF(X509) *chain)
{
	struct kn_slice *v;
	unsigned char **der;
	size_t n = 1 + (size_t)(chain ? sk_X509_num(chain) : 0), i;
	size_t mark = b->len;
	int len, rc = KN_ERR_NOMEM;

	v = calloc(n, sizeof(*v));
	der = calloc(n, sizeof(*der));
	if (v == NULL || der == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		X509 *x = i == 0 ? cert : sk_X509_value(chain, (int)i - 1);

		if ((len = i2d_X509(x, &der[i])) <= 0) {
			rc = KN_ERR_CRYPTO;
			goto out;
		}
		v[i].ptr = (const char *)der[i];
		v[i].len = (size_t)len;
	}
	kn_der_sort(v, n);
	for (i = 0; i < n; i++)
		kn_buf_putn(b, v[i].ptr, v[i].len);
	kn_der_wrap(b, mark, 0xa0);
	rc = b->failed ? KN_ERR_TOOBIG : 0;
out:
	for (i = 0; der != NULL && i < n; i++)
		OPENSSL_free(der[i]);
	free(der);
	free(v);
	return rc;
}

/*
 * The signingCertificateV2 attribute (RFC 5035 section 3, RFC 5816
 * section 2.2.1): one ESSCertIDv2 of the unit certificate, SHA-256 (the
 * default, so its AlgorithmIdentifier is left out) with issuerSerial.
 */
static int
put_ess(struct kn_buf *b, X509 *cert)
{
	unsigned char h[32];
	unsigned int hlen = 0;
	size_t attr = b->len, m1, m2, m3, m4, m5;

	if (X509_digest(cert, EVP_sha256(), h, &hlen) != 1 || hlen != 32)
		return KN_ERR_CRYPTO;
	put_oid(b, NID_id_smime_aa_signingCertificateV2);
	m1 = b->len;				/* SET OF AttributeValue */
	m2 = b->len;				/* SigningCertificateV2 */
	m3 = b->len;				/* certs */
	m4 = b->len;				/* ESSCertIDv2 */
	kn_der_tlv(b, 0x04, h, hlen);		/* certHash */
	m5 = b->len;				/* IssuerSerial */
	{
		size_t gn = b->len, dn;

		dn = b->len;
		put_name(b, X509_get_issuer_name(cert));
		kn_der_wrap(b, dn, 0xa4);	/* directoryName */
		kn_der_wrap(b, gn, 0x30);	/* GeneralNames */
	}
	put_serial(b, cert);
	kn_der_wrap(b, m5, 0x30);
	kn_der_wrap(b, m4, 0x30);
	kn_der_wrap(b, m3, 0x30);
	kn_der_wrap(b, m2, 0x30);
	kn_der_wrap(b, m1, 0x31);
	kn_der_wrap(b, attr, 0x30);
	return b->failed ? KN_ERR_TOOBIG : 0;
}

void
kn__tsa_tmpl_free(struct kn__tsa_tmpl *tp)
{
	if (tp == NULL)
		return;
	kn_buf_cleanup(&tp->certs);
	kn_buf_cleanup(&tp->sid);
	kn_buf_cleanup(&tp->name);
	kn_buf_cleanup(&tp->md_alg);
	kn_buf_cleanup(&tp->sig_alg);
	kn_buf_cleanup(&tp->ctype);
	kn_buf_cleanup(&tp->md_oid);
	kn_buf_cleanup(&tp->ess);
	kn_buf_cleanup(&tp->ct_tst);
	kn_buf_cleanup(&tp->ct_signed);
	free(tp);
}

int
kn__tsa_tmpl_new(struct kn__tsa_tmpl **out, X509 *cert,
    STACK_OF(X509) *chain, EVP_PKEY *key)
{
	struct kn__tsa_tmpl *tp;
	size_t m;
	int sig_nid, rc;

	*out = NULL;
	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return KN_ERR_NOMEM;
	kn_buf_init(&tp->certs, TMPL_MAX);
	kn_buf_init(&tp->sid, TMPL_MAX);
	kn_buf_init(&tp->name, TMPL_MAX);
	kn_buf_init(&tp->md_alg, 64);
	kn_buf_init(&tp->sig_alg, 64);
	kn_buf_init(&tp->ctype, 64);
	kn_buf_init(&tp->md_oid, 64);
	kn_buf_init(&tp->ess, TMPL_MAX);
	kn_buf_init(&tp->ct_tst, 64);
	kn_buf_init(&tp->ct_signed, 64);
	tp->md_nid = md_nid_for(key);
	tp->md = tp->md_nid == NID_sha384 ? EVP_sha384() : EVP_sha256();
	if ((rc = put_certs(&tp->certs, cert, chain)) != 0 ||
	    (rc = put_ess(&tp->ess, cert)) != 0)
		goto out;
	/* sid: IssuerAndSerialNumber (RFC 5652 section 5.3, version 1). */
	put_name(&tp->sid, X509_get_issuer_name(cert));
	put_serial(&tp->sid, cert);
	kn_der_wrap(&tp->sid, 0, 0x30);
	/* tsa [0] EXPLICIT GeneralName: directoryName [4] (RFC 3161
	 * section 2.4.2), the unit's subject as OpenSSL's TS_TSA_NAME. */
	put_name(&tp->name, X509_get_subject_name(cert));
	kn_der_wrap(&tp->name, 0, 0xa4);
	kn_der_wrap(&tp->name, 0, 0xa0);
	/* Digest AlgorithmIdentifier without parameters (RFC 5754
	 * section 2). */
	put_oid(&tp->md_alg, tp->md_nid);
	kn_der_wrap(&tp->md_alg, 0, 0x30);
	/* ecdsa-with-SHA* without parameters (RFC 5758 section 3.2);
	 * sha*WithRSAEncryption with NULL (RFC 4055 section 5). */
	if (OBJ_find_sigid_by_algs(&sig_nid, tp->md_nid,
	    EVP_PKEY_get_base_id(key)) != 1) {
		rc = kn_err_set(KN_ERR_CRYPTO, "tsa", "the time-stamping "
		    "unit's key type cannot sign tokens");
		goto out;
	}
	put_oid(&tp->sig_alg, sig_nid);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		kn_der_tlv(&tp->sig_alg, 0x05, NULL, 0);
	kn_der_wrap(&tp->sig_alg, 0, 0x30);
	/* contentType attribute: id-ct-TSTInfo (RFC 3161 section 2.4.2). */
	put_oid(&tp->ctype, NID_pkcs9_contentType);
	m = tp->ctype.len;
	put_oid(&tp->ctype, NID_id_smime_ct_TSTInfo);
	kn_der_wrap(&tp->ctype, m, 0x31);
	kn_der_wrap(&tp->ctype, 0, 0x30);
	put_oid(&tp->md_oid, NID_pkcs9_messageDigest);
	put_oid(&tp->ct_tst, NID_id_smime_ct_TSTInfo);
	put_oid(&tp->ct_signed, NID_pkcs7_signed);
	if (tp->certs.failed || tp->sid.failed || tp->name.failed ||
	    tp->md_alg.failed || tp->sig_alg.failed || tp->ctype.failed ||
	    tp->md_oid.failed || tp->ess.failed || tp->ct_tst.failed ||
	    tp->ct_signed.failed) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	*out = tp;
	tp = NULL;
out:
	kn__tsa_tmpl_free(tp);
	return rc;
}

static void
put_buf(struct kn_buf *b, const struct kn_buf *src)
{
	kn_buf_putn(b, src->data, src->len);
}

/* TSTInfo (RFC 3161 section 2.4.2). */
static void
put_tstinfo(struct kn_buf *b, const struct kn__tsa_tmpl *tp,
    const struct kn__tsa_grant *g)
{
	size_t m = b->len, a;
	int ms = g->accuracy_ms;

	kn_der_uint(b, 1);				/* version v1 */
	kn_buf_putn(b, g->policy.ptr, g->policy.len);
	kn_buf_putn(b, g->imprint.ptr, g->imprint.len);
	kn_der_uint(b, (uint64_t)g->serial);
	kn_der_gentime(b, &g->time, 3);
	if (ms > 0) {
		/* Accuracy: seconds, millis [0] (1..999); zeros left out. */
		a = b->len;
		if (ms / 1000 > 0)
			kn_der_uint(b, (uint64_t)(ms / 1000));
		if (ms % 1000 > 0) {
			size_t mm = b->len;

			kn_der_uint(b, (uint64_t)(ms % 1000));
			b->data[mm] = (char)0x80;	/* [0] IMPLICIT */
		}
		kn_der_wrap(b, a, 0x30);
	}
	kn_buf_putn(b, g->nonce.ptr, g->nonce.len);
	put_buf(b, &tp->name);
	kn_der_wrap(b, m, 0x30);
}

int
kn__tsa_token(struct kn_buf *out, const struct kn__tsa_tmpl *tp,
    struct kn_signer *signer, const struct kn__tsa_grant *g)
{
	EVP_PKEY *key = kn_signer_pkey(signer);
	struct kn_buf tst, attrs;
	struct kn_slice av[3];
	unsigned char dg[EVP_MAX_MD_SIZE], *sig = NULL;
	unsigned int dlen = 0;
	size_t siglen, mark, m_sd, m_si, m_set, m, i;
	struct kn_buf mdattr;
	int rc = KN_ERR_NOMEM;

	kn_buf_init(&tst, TOKEN_MAX);
	kn_buf_init(&attrs, TOKEN_MAX);
	kn_buf_init(&mdattr, 256);
	kn_buf_reserve(&tst, 1024);
	kn_buf_reserve(&attrs, 1024);
	put_tstinfo(&tst, tp, g);
	if (tst.failed)
		goto out;
	if (EVP_Digest(tst.data, tst.len, dg, &dlen, tp->md, NULL) != 1) {
		rc = KN_ERR_CRYPTO;
		goto out;
	}
	/* messageDigest attribute (RFC 5652 section 11.2). */
	put_buf(&mdattr, &tp->md_oid);
	m = mdattr.len;
	kn_der_tlv(&mdattr, 0x04, dg, dlen);
	kn_der_wrap(&mdattr, m, 0x31);
	kn_der_wrap(&mdattr, 0, 0x30);
	if (mdattr.failed)
		goto out;
	/* signedAttrs, a SET OF in DER order; the signature covers them
	 * with the SET tag (RFC 5652 section 5.4). */
	av[0].ptr = tp->ctype.data;
	av[0].len = tp->ctype.len;
	av[1].ptr = mdattr.data;
	av[1].len = mdattr.len;
	av[2].ptr = tp->ess.data;
	av[2].len = tp->ess.len;
	kn_der_sort(av, 3);
	for (i = 0; i < 3; i++)
		kn_buf_putn(&attrs, av[i].ptr, av[i].len);
	kn_der_wrap(&attrs, 0, 0x31);
	if (attrs.failed)
		goto out;
	if ((siglen = (size_t)EVP_PKEY_get_size(key)) == 0 ||
	    (sig = malloc(siglen)) == NULL)
		goto out;
	if ((rc = kn_signer_sign(signer, tp->md, attrs.data, attrs.len, sig,
	    &siglen)) != 0)
		goto out;
	/* The signed attributes appear as [0] IMPLICIT. */
	attrs.data[0] = (char)0xa0;

	mark = out->len;			/* TimeStampResp */
	kn_buf_putn(out, "\x30\x03\x02\x01\x00", 5);	/* granted */
	m = out->len;				/* ContentInfo */
	put_buf(out, &tp->ct_signed);
	m_sd = out->len;			/* [0] SignedData */
	kn_der_uint(out, 3);	/* version 3: eContentType is not id-data
				   (RFC 5652 section 5.1) */
	{
		size_t s = out->len;

		put_buf(out, &tp->md_alg);
		kn_der_wrap(out, s, 0x31);	/* digestAlgorithms */
		s = out->len;			/* encapContentInfo */
		put_buf(out, &tp->ct_tst);
		kn_der_tlv(out, 0x04, tst.data, tst.len);
		kn_der_wrap(out, s + tp->ct_tst.len, 0xa0);
		kn_der_wrap(out, s, 0x30);
	}
	if (g->cert_req)
		put_buf(out, &tp->certs);
	m_set = out->len;			/* signerInfos */
	m_si = out->len;
	kn_der_uint(out, 1);			/* version 1: sid is
						   issuerAndSerialNumber */
	put_buf(out, &tp->sid);
	put_buf(out, &tp->md_alg);
	kn_buf_putn(out, attrs.data, attrs.len);
	put_buf(out, &tp->sig_alg);
	kn_der_tlv(out, 0x04, sig, siglen);
	kn_der_wrap(out, m_si, 0x30);
	kn_der_wrap(out, m_set, 0x31);
	kn_der_wrap(out, m_sd, 0x30);		/* SignedData */
	kn_der_wrap(out, m_sd, 0xa0);		/* content [0] EXPLICIT */
	kn_der_wrap(out, m, 0x30);		/* ContentInfo */
	kn_der_wrap(out, mark, 0x30);
	rc = out->failed ? KN_ERR_TOOBIG : 0;
out:
	free(sig);
	kn_buf_cleanup(&tst);
	kn_buf_cleanup(&attrs);
	kn_buf_cleanup(&mdattr);
	return rc;
}
