/*
 * dkim_sign.c - DKIM signing (RFC 6376 section 5, RFC 8463 section 3),
 * keys and the records that publish them.
 *
 * The DKIM-Signature field is written out first, up to and including
 * "b=", and those very octets are canonicalized and hashed; the signature
 * value is appended afterwards.  What is hashed is what is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mail/dkim.h"
#include "mail/dkim_int.h"

#define SIGN_NAMES	64	/* names in the list of fields to sign */
#define NAME_LEN	64
#define FOLD		78	/* line length the field is folded to */
#define HBUF_MAX	(4u << 20)

/* Listed once more than they occur (RFC 6376 section 8.15). */
static const char *const oversign[] = { "from", "to", "cc", "subject",
	"date", "reply-to", "message-id" };
/* Signed when present (section 5.4.1's list, and mailing lists'). */
static const char *const also[] = { "sender", "in-reply-to", "references",
	"mime-version", "content-type", "content-transfer-encoding",
	"content-id", "content-description", "resent-date", "resent-from",
	"resent-sender", "resent-to", "resent-cc", "resent-message-id",
	"list-id", "list-help", "list-unsubscribe", "list-subscribe",
	"list-post", "list-owner", "list-archive" };

struct signame {
	char	name[NAME_LEN];
	bool	over;
};

struct kn_dkim_signer {
	EVP_PKEY		*key;
	enum kn_dkim_alg	 alg;
	char			 d[KN_DKIM_NAME_MAX + 1];
	char			 s[KN_DKIM_NAME_MAX + 1];
	char			 i[KN_DKIM_AUID_MAX + 1];
	enum kn_dkim_canon	 hcanon;
	enum kn_dkim_canon	 bcanon;
	struct signame		 names[SIGN_NAMES];
	size_t			 nnames;
	bool			 body_length;
	unsigned		 expire;
	EVP_MD			*sha256;
	EVP_MD_CTX		*mctx;	/* hashing */
	EVP_MD_CTX		*ectx;	/* Ed25519 signing */
	EVP_PKEY_CTX		*pctx;	/* RSA: set up once */
	struct kn_buf		 hbuf;
};

static bool
oversigned(const char *name)
{
	size_t k;

	for (k = 0; k < sizeof(oversign) / sizeof(oversign[0]); k++) {
		if (strcasecmp(name, oversign[k]) == 0)
			return true;
	}
	return false;
}

static int
add_name(struct kn_dkim_signer *s, const char *p, size_t len, bool over)
{
	size_t k;

	for (k = 0; k < len; k++) {
		unsigned char c = (unsigned char)p[k];

		if (c < 33 || c > 126 || c == ':')
			return kn_err_set(KN_ERR_INVAL, "headers",
			    "%.*s is not a header field name (RFC 5322 "
			    "section 3.6.8)", (int)len, p);
	}
	if (len == 0 || len >= NAME_LEN)
		return kn_err_set(KN_ERR_INVAL, "headers", "a header field "
		    "name in the list is empty or longer than %d characters",
		    NAME_LEN - 1);
	for (k = 0; k < s->nnames; k++) {
		if (strncasecmp(s->names[k].name, p, len) == 0 &&
		    s->names[k].name[len] == '\0')
			return 0;
	}
	if (s->nnames == SIGN_NAMES)
		return kn_err_set(KN_ERR_TOOBIG, "headers", "more than %d "
		    "header field names to sign", SIGN_NAMES);
	for (k = 0; k < len; k++) {
		unsigned char c = (unsigned char)p[k];

		s->names[s->nnames].name[k] = (char)(c >= 'A' && c <= 'Z' ?
		    c + 32 : c);
	}
	s->names[s->nnames].name[len] = '\0';
	s->names[s->nnames].over = over;
	s->nnames++;
	return 0;
}

static int
set_names(struct kn_dkim_signer *s, const struct kn_dkim_sign_opts *o)
{
	const char *p, *e;
	size_t k;
	int rc;

	if (o->headers == NULL) {
		for (k = 0; k < sizeof(oversign) / sizeof(oversign[0]); k++) {
			if ((rc = add_name(s, oversign[k], strlen(oversign[k]),
			    !o->no_oversign)) != 0)
				return rc;
		}
		for (k = 0; k < sizeof(also) / sizeof(also[0]); k++) {
			if ((rc = add_name(s, also[k], strlen(also[k]),
			    false)) != 0)
				return rc;
		}
		return 0;
	}
	for (p = o->headers; ; p = e + 1) {
		size_t len;

		e = strchr(p, ':');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if ((rc = add_name(s, p, len, false)) != 0)
			return rc;
		s->names[s->nnames - 1].over = !o->no_oversign &&
		    oversigned(s->names[s->nnames - 1].name);
		if (e == NULL)
			break;
	}
	for (k = 0; k < s->nnames; k++) {
		if (strcmp(s->names[k].name, "from") == 0)
			return 0;
	}
	return kn_err_set(KN_ERR_INVAL, "headers", "the header fields to sign "
	    "must include From (RFC 6376 section 5.4)");
}

static int
set_identity(struct kn_dkim_signer *s, const char *id)
{
	const char *at;
	size_t k, n, dl = strlen(s->d), dn;

	if (id == NULL || *id == '\0')
		return 0;
	n = strlen(id);
	at = strrchr(id, '@');
	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)id[k];

		if (c < 0x21 || c == ';' || c == 0x7f)
			at = NULL;
	}
	if (at == NULL || n > KN_DKIM_AUID_MAX)
		return kn_err_set(KN_ERR_INVAL, "identity", "identity %s is "
		    "not of the form [local-part]@domain (RFC 6376 section "
		    "3.5, i=)", id);
	dn = strlen(at + 1);
	if (!kn_dkim_valid_name(at + 1, dn) || dn < dl ||
	    strcasecmp(at + 1 + dn - dl, s->d) != 0 ||
	    (dn > dl && at[dn - dl] != '.'))
		return kn_err_set(KN_ERR_INVAL, "identity", "the domain of "
		    "identity %s is neither %s nor a subdomain of it (RFC "
		    "6376 section 3.5, i=)", id, s->d);
	memcpy(s->i, id, n + 1);
	return 0;
}

int
kn_dkim_signer_new(struct kn_dkim_signer **out, EVP_PKEY *key,
    const struct kn_dkim_sign_opts *o)
{
	struct kn_dkim_signer *s;
	int rc, id = EVP_PKEY_get_base_id(key);

	*out = NULL;
	if (o->domain == NULL || !kn_dkim_valid_name(o->domain,
	    strlen(o->domain)))
		return kn_err_set(KN_ERR_INVAL, "domain", "the signing domain "
		    "%s is not a domain name", o->domain ? o->domain : "");
	if (o->selector == NULL || !kn_dkim_valid_name(o->selector,
	    strlen(o->selector)) || strlen(o->selector) + strlen(o->domain) +
	    strlen("._domainkey.") > KN_DKIM_NAME_MAX)
		return kn_err_set(KN_ERR_INVAL, "selector", "the selector %s "
		    "is not labels of letters, digits and hyphens short enough "
		    "for a DNS name (RFC 6376 section 3.1)",
		    o->selector ? o->selector : "");
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519)
		return kn_err_set(KN_ERR_INVAL, "key", "a DKIM key is RSA or "
		    "Ed25519 (RFC 8301, RFC 8463)");
	if (id == EVP_PKEY_RSA && (EVP_PKEY_get_bits(key) <
	    KN_DKIM_MIN_RSA_BITS || EVP_PKEY_get_bits(key) >
	    KN_DKIM_MAX_RSA_BITS))
		return kn_err_set(KN_ERR_INVAL, "key", "the RSA key has %d "
		    "bits; signers use 1024 or more, 2048 recommended (RFC "
		    "8301 section 3.2)", EVP_PKEY_get_bits(key));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KN_ERR_NOMEM;
	kn_buf_init(&s->hbuf, HBUF_MAX);
	s->alg = id == EVP_PKEY_RSA ? KN_DKIM_RSA_SHA256 :
	    KN_DKIM_ED25519_SHA256;
	(void)kn_dkim_lower_copy(s->d, sizeof(s->d), (struct kn_slice){
	    o->domain, strlen(o->domain) });
	(void)kn_dkim_lower_copy(s->s, sizeof(s->s), (struct kn_slice){
	    o->selector, strlen(o->selector) });
	s->hcanon = o->hcanon;
	s->bcanon = o->bcanon;
	s->body_length = o->body_length;
	s->expire = o->expire_secs;
	if ((rc = set_identity(s, o->identity)) != 0 ||
	    (rc = set_names(s, o)) != 0)
		goto fail;
	rc = KN_ERR_CRYPTO;
	if ((s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (s->mctx = EVP_MD_CTX_new()) == NULL ||
	    (s->ectx = EVP_MD_CTX_new()) == NULL)
		goto crypto;
	if (s->alg == KN_DKIM_RSA_SHA256 &&
	    ((s->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(s->pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(s->pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(s->pctx, s->sha256) != 1))
		goto crypto;
	if (EVP_PKEY_up_ref(key) != 1)
		goto crypto;
	s->key = key;
	*out = s;
	return 0;
crypto:
	rc = kn_err_set(KN_ERR_CRYPTO, "key", "libcrypto cannot sign with "
	    "this key");
	ERR_clear_error();
fail:
	kn_dkim_signer_free(s);
	return rc;
}

static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n;

	(void)rwflag;
	if (u == NULL)
		return -1;
	n = strlen(u);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

int
kn_dkim_signer_load(struct kn_dkim_signer **out, const char *path,
    const char *pass, const struct kn_dkim_sign_opts *o)
{
	EVP_PKEY *key = NULL;
	BIO *bio;
	int rc;

	*out = NULL;
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();
		return kn_err_set(KN_ERR_IO, "key", "cannot read the key file "
		    "%s", path);
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)pass);
	BIO_free(bio);
	ERR_clear_error();
	if (key == NULL)
		return kn_err_set(KN_ERR_INVAL, "key", "%s holds no PEM "
		    "private key kakuin can read%s", path, pass == NULL ?
		    " (if it is encrypted, give its passphrase)" : " (or the "
		    "passphrase is wrong)");
	rc = kn_dkim_signer_new(out, key, o);
	EVP_PKEY_free(key);
	return rc;
}

void
kn_dkim_signer_free(struct kn_dkim_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_CTX_free(s->pctx);
	EVP_MD_CTX_free(s->mctx);
	EVP_MD_CTX_free(s->ectx);
	EVP_MD_free(s->sha256);
	EVP_PKEY_free(s->key);
	kn_buf_cleanup(&s->hbuf);
	free(s);
}

enum kn_dkim_alg
kn_dkim_signer_alg(const struct kn_dkim_signer *s)
{
	return s->alg;
}

/* ---------------------------------------------------------------- writing */

struct fold {
	struct kn_buf	*b;
	size_t		 col;
};

static void
fold_put(struct fold *f, const char *p, size_t n)
{
	kn_buf_putn(f->b, p, n);
	f->col += n;
}

/* One "tag=value;" (the last without ";"), on a new line when it would
 * pass the fold column. */
static void
fold_tag(struct fold *f, const char *tag, bool last)
{
	size_t n = strlen(tag) + (last ? 0 : 1);

	if (f->col + 1 + n > FOLD) {
		kn_buf_puts(f->b, "\r\n\t");
		f->col = 8;
	} else
		fold_put(f, " ", 1);
	fold_put(f, tag, strlen(tag));
	if (!last)
		fold_put(f, ";", 1);
}

/* h=: names joined by ':', folded after a ':' where needed. */
static void
fold_h(struct fold *f, const struct kn_slice *h, size_t nh)
{
	size_t k;

	if (f->col + 1 + 2 + h[0].len + 1 > FOLD) {
		kn_buf_puts(f->b, "\r\n\t");
		f->col = 8;
	} else
		fold_put(f, " ", 1);
	fold_put(f, "h=", 2);
	for (k = 0; k < nh; k++) {
		if (k > 0) {
			fold_put(f, ":", 1);
			if (f->col + h[k].len + 1 > FOLD) {
				kn_buf_puts(f->b, "\r\n\t");
				f->col = 8;
			}
		}
		fold_put(f, h[k].ptr, h[k].len);
	}
	fold_put(f, ";", 1);
}

/* base64 of p, folded, continuing the current line. */
static void
fold_b64(struct fold *f, const unsigned char *p, size_t n)
{
	char enc[4 * ((KN_DKIM_MAX_SIG_LEN + 2) / 3) + 1];
	size_t len, at = 0;

	len = (size_t)EVP_EncodeBlock((unsigned char *)enc, p, (int)n);
	while (at < len) {
		size_t room = f->col < FOLD ? FOLD - f->col : 0, take;

		if (room < 8) {
			kn_buf_puts(f->b, "\r\n\t");
			f->col = 8;
			room = FOLD - 8;
		}
		take = len - at < room ? len - at : room;
		fold_put(f, enc + at, take);
		at += take;
	}
}

struct sbody {
	enum kn_dkim_canon	canon;
	uint64_t		total;
	unsigned char		dg[32];
};

static void
hash_sink(void *arg, const void *p, size_t n)
{
	(void)EVP_DigestUpdate(arg, p, n);
}

static int
sign_one(struct kn_dkim_signer *s, const struct kn_mail_msg *m,
    const struct sbody *bh, time_t now, struct kn_buf *out)
{
	struct kn_slice h[KN_DKIM_MAX_H];
	struct fold f = { out, 0 };
	unsigned char dg[32], sig[KN_DKIM_MAX_SIG_LEN];
	char tag[KN_DKIM_AUID_MAX + 8], bhb[64];
	size_t nh = 0, k, start = out->len, siglen = sizeof(sig);
	int rc;

	/* The list of fields, from what the message holds. */
	for (k = 0; k < s->nnames; k++) {
		size_t c = kn_mail_count(m, s->names[k].name), r;

		if (s->names[k].over)
			c++;
		for (r = 0; r < c; r++) {
			if (nh == KN_DKIM_MAX_H)
				return kn_err_set(KN_ERR_TOOBIG, "headers",
				    "more than %d header fields to sign",
				    KN_DKIM_MAX_H);
			h[nh].ptr = s->names[k].name;
			h[nh].len = strlen(s->names[k].name);
			nh++;
		}
	}

	fold_put(&f, "DKIM-Signature:", 15);
	fold_tag(&f, "v=1", false);
	snprintf(tag, sizeof(tag), "a=%s", kn_dkim_alg_name(s->alg));
	fold_tag(&f, tag, false);
	snprintf(tag, sizeof(tag), "c=%s/%s", kn_dkim_canon_name(s->hcanon),
	    kn_dkim_canon_name(s->bcanon));
	fold_tag(&f, tag, false);
	snprintf(tag, sizeof(tag), "d=%s", s->d);
	fold_tag(&f, tag, false);
	if (s->i[0] != '\0') {
		snprintf(tag, sizeof(tag), "i=%s", s->i);
		fold_tag(&f, tag, false);
	}
	snprintf(tag, sizeof(tag), "s=%s", s->s);
	fold_tag(&f, tag, false);
	snprintf(tag, sizeof(tag), "t=%lld", (long long)now);
	fold_tag(&f, tag, false);
	if (s->expire > 0) {
		snprintf(tag, sizeof(tag), "x=%lld", (long long)now +
		    (long long)s->expire);
		fold_tag(&f, tag, false);
	}
	if (s->body_length) {
		snprintf(tag, sizeof(tag), "l=%llu",
		    (unsigned long long)bh->total);
		fold_tag(&f, tag, false);
	}
	fold_h(&f, h, nh);
	(void)EVP_EncodeBlock((unsigned char *)bhb, bh->dg, sizeof(bh->dg));
	snprintf(tag, sizeof(tag), "bh=%s", bhb);
	fold_tag(&f, tag, false);
	fold_tag(&f, "b=", true);
	if (out->failed)
		return KN_ERR_TOOBIG;

	/* Hash the fields, then the signature field exactly as written so
	 * far (section 3.7). */
	kn_buf_reset(&s->hbuf);
	if ((rc = kn_dkim_canon_selected(&s->hbuf, s->hcanon, m, h, nh,
	    SIZE_MAX)) != 0 ||
	    (rc = kn_dkim_canon_header(&s->hbuf, s->hcanon,
	    out->data + start, out->len - start, false)) != 0)
		return rc;
	if (EVP_DigestInit_ex(s->mctx, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(s->mctx, s->hbuf.data, s->hbuf.len) != 1 ||
	    EVP_DigestFinal_ex(s->mctx, dg, NULL) != 1)
		goto crypto;
	if (s->alg == KN_DKIM_RSA_SHA256) {
		if (EVP_PKEY_sign(s->pctx, sig, &siglen, dg, sizeof(dg)) != 1)
			goto crypto;
	} else {
		/* RFC 8463 section 3: PureEdDSA over the SHA-256 hash. */
		if (EVP_DigestSignInit_ex(s->ectx, NULL, NULL, NULL, NULL,
		    s->key, NULL) != 1 || EVP_DigestSign(s->ectx, sig, &siglen,
		    dg, sizeof(dg)) != 1)
			goto crypto;
	}
	fold_b64(&f, sig, siglen);
	kn_buf_puts(out, "\r\n");
	return out->failed ? KN_ERR_TOOBIG : 0;
crypto:
	ERR_clear_error();
	return kn_err_set(KN_ERR_CRYPTO, "key", "signing with the DKIM key "
	    "failed");
}

int
kn_dkim_sign_all(struct kn_dkim_signer *const *s, size_t n,
    const struct kn_mail_msg *m, time_t now, struct kn_buf *out)
{
	struct sbody bh[2];
	size_t k, from = kn_mail_count(m, "From");
	int rc;

	if (from != 1)
		return kn_err_set(KN_ERR_INVAL, "message", "the message has "
		    "%zu From header fields; a signed message has exactly "
		    "one (RFC 5322 section 3.6, RFC 6376 section 5.4)", from);
	if (now == 0)
		now = time(NULL);
	/* One body hash per canonicalization, whoever signs. */
	for (k = 0; k < 2; k++)
		bh[k].canon = (enum kn_dkim_canon)-1;
	for (k = 0; k < n; k++) {
		struct sbody *b = &bh[s[k]->bcanon == KN_DKIM_SIMPLE];

		if (b->canon != s[k]->bcanon) {
			b->canon = s[k]->bcanon;
			if (EVP_DigestInit_ex(s[k]->mctx, s[k]->sha256,
			    NULL) != 1)
				return KN_ERR_CRYPTO;
			b->total = kn_dkim_canon_body(b->canon, m->body.ptr,
			    m->body.len, UINT64_MAX, hash_sink, s[k]->mctx);
			if (EVP_DigestFinal_ex(s[k]->mctx, b->dg, NULL) != 1)
				return KN_ERR_CRYPTO;
		}
		if ((rc = sign_one(s[k], m, b, now, out)) != 0)
			return rc;
	}
	return 0;
}

int
kn_dkim_sign(struct kn_dkim_signer *s, const struct kn_mail_msg *m,
    time_t now, struct kn_buf *out)
{
	return kn_dkim_sign_all(&s, 1, m, now, out);
}

/* ---------------------------------------------------------------- keys */

int
kn_dkim_keygen(EVP_PKEY **out, const char *kind)
{
	*out = NULL;
	if (strcmp(kind, "rsa-2048") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(kind, "rsa-3072") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(kind, "rsa-4096") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	else if (strcmp(kind, "ed25519") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		return kn_err_set(KN_ERR_INVAL, "algorithm", "the key kind "
		    "%s is none of rsa-2048, rsa-3072, rsa-4096, ed25519",
		    kind);
	if (*out == NULL) {
		ERR_clear_error();
		return kn_err_set(KN_ERR_CRYPTO, "algorithm", "libcrypto "
		    "could not make a %s key", kind);
	}
	return 0;
}

int
kn_dkim_key_record(struct kn_buf *out, EVP_PKEY *key)
{
	unsigned char *der = NULL, raw[32];
	char *enc = NULL;
	size_t len = sizeof(raw);
	int n, rc = 0;
	bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;

	if (rsa) {
		if ((n = i2d_PUBKEY(key, &der)) <= 0) {
			rc = KN_ERR_CRYPTO;
			goto out;
		}
		len = (size_t)n;
	} else if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != 32) {
		rc = kn_err_set(KN_ERR_INVAL, "key", "a DKIM key is RSA or "
		    "Ed25519");
		goto out;
	}
	if ((enc = malloc(4 * ((len + 2) / 3) + 1)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	(void)EVP_EncodeBlock((unsigned char *)enc, rsa ? der : raw, (int)len);
	rc = kn_buf_addf(out, "v=DKIM1; k=%s; p=%s", rsa ? "rsa" : "ed25519",
	    enc);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	free(enc);
	return rc;
}

int
kn_dkim_key_save(EVP_PKEY *key, const char *path)
{
	BIO *bio = NULL;
	FILE *f = NULL;
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return kn_err_set(errno == EEXIST ? KN_ERR_EXISTS : KN_ERR_IO,
		    "out", "cannot create %s: %s", path, strerror(errno));
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		rc = kn_err_set(KN_ERR_IO, "out", "cannot write %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((bio = BIO_new_fp(f, BIO_NOCLOSE)) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) != 1 || BIO_flush(bio) != 1) {
		ERR_clear_error();
		rc = kn_err_set(KN_ERR_IO, "out", "cannot write the key to %s",
		    path);
	}
	BIO_free(bio);
	if (fclose(f) != 0 && rc == 0)
		rc = kn_err_set(KN_ERR_IO, "out", "cannot write %s: %s", path,
		    strerror(errno));
	if (rc == 0)
		return 0;
fail:
	(void)unlink(path);
	return rc;
}
