/*
 * dkim.c - DKIM verification (RFC 6376 section 6, RFC 8301, RFC 8463).
 *
 * Per message: each DKIM-Signature field (top first, at most max_sigs
 * evaluated) is parsed and checked, its key fetched (at most max_lookups
 * distinct names; kept across messages for cache_secs), the body hash it
 * needs computed once per (canonicalization, l=) and shared, then the
 * header hash and the signature checked.  Every outcome is a result with
 * a reason; only running out of memory is an error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "mail/dkim.h"
#include "mail/dkim_int.h"

#define KEYCACHE	256	/* direct-mapped slots */
#define PCTX		8	/* RSA verify contexts kept, by key */
#define HBUF_MAX	(4u << 20)	/* canonical headers of one signature */

/* s._domainkey.d; the parser keeps it within KN_DKIM_NAME_MAX. */
#define KEYNAME_MAX	(2 * KN_DKIM_NAME_MAX + 16)

struct keyent {
	char			name[KEYNAME_MAX];
	time_t			expires;
	enum kn_dkim_status	status;	/* PASS: the key is usable */
	char			reason[KN_DKIM_REASON_MAX];
	bool			secure;
	struct kn_dkim_key	key;
};

struct bodyhash {
	enum kn_dkim_canon	canon;
	uint64_t		limit;
	uint64_t		total;
	unsigned char		dg[32];
};

struct kn_dkim_verifier {
	struct kn_dkim_verify_opts o;
	EVP_MD			*sha256;
	EVP_MD_CTX		*mctx;
	struct kn_buf		 hbuf;
	struct keyent		*cache;		/* KEYCACHE, or NULL */
	/* Per message. */
	struct keyent		*mk;		/* max_sigs entries */
	size_t			 nmk;
	size_t			 lookups;
	struct bodyhash		*bh;		/* max_sigs entries */
	size_t			 nbh;
	struct kn_dkim_sig	 sig;
	/* RSA contexts set up for verifying, reused while their key is. */
	struct {
		EVP_PKEY	*key;
		EVP_PKEY_CTX	*ctx;
	}			 pctx[PCTX];
	size_t			 pctx_next;
};

const char *
kn_dkim_status_name(enum kn_dkim_status s)
{
	switch (s) {
	case KN_DKIM_PASS:
		return "pass";
	case KN_DKIM_FAIL:
		return "fail";
	case KN_DKIM_NEUTRAL:
		return "neutral";
	case KN_DKIM_TEMPERROR:
		return "temperror";
	case KN_DKIM_POLICY:
		return "policy";
	default:
		return "permerror";
	}
}

void
kn_dkim_results_cleanup(struct kn_dkim_results *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

bool
kn_dkim_results_pass(const struct kn_dkim_results *r, const char *d)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->v[i].status == KN_DKIM_PASS &&
		    strcasecmp(r->v[i].d, d) == 0)
			return true;
	}
	return false;
}

int
kn_dkim_verifier_new(struct kn_dkim_verifier **out,
    const struct kn_dkim_verify_opts *opts)
{
	struct kn_dkim_verifier *v;
	int rc = KN_ERR_NOMEM;

	*out = NULL;
	if (opts->dns == NULL && opts->lookup == NULL)
		return kn_err_set(KN_ERR_INTERNAL, NULL, "a DKIM verifier "
		    "needs a DNS resolver or a key lookup");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return KN_ERR_NOMEM;
	v->o = *opts;
	if (v->o.skew == 0)
		v->o.skew = KN_DKIM_SKEW;
	if (v->o.max_sigs == 0)
		v->o.max_sigs = KN_DKIM_MAX_SIGS;
	if (v->o.max_sigs > KN_DKIM_MAX_RESULTS)
		v->o.max_sigs = KN_DKIM_MAX_RESULTS;
	if (v->o.max_lookups == 0)
		v->o.max_lookups = KN_DKIM_MAX_LOOKUPS;
	kn_buf_init(&v->hbuf, HBUF_MAX);
	if ((v->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (v->mctx = EVP_MD_CTX_new()) == NULL) {
		rc = kn_err_set(KN_ERR_CRYPTO, NULL, "SHA-256 is not "
		    "available from libcrypto");
		goto fail;
	}
	if ((v->mk = calloc(v->o.max_sigs, sizeof(*v->mk))) == NULL ||
	    (v->bh = calloc(v->o.max_sigs, sizeof(*v->bh))) == NULL)
		goto fail;
	if (v->o.cache_secs > 0 &&
	    (v->cache = calloc(KEYCACHE, sizeof(*v->cache))) == NULL)
		goto fail;
	*out = v;
	return 0;
fail:
	kn_dkim_verifier_free(v);
	return rc;
}

static void
msg_reset(struct kn_dkim_verifier *v)
{
	size_t i;

	for (i = 0; i < v->nmk; i++)
		kn_dkim_key_cleanup(&v->mk[i].key);
	v->nmk = 0;
	v->lookups = 0;
	v->nbh = 0;
}

void
kn_dkim_verifier_free(struct kn_dkim_verifier *v)
{
	size_t i;

	if (v == NULL)
		return;
	msg_reset(v);
	if (v->cache != NULL) {
		for (i = 0; i < KEYCACHE; i++)
			kn_dkim_key_cleanup(&v->cache[i].key);
	}
	for (i = 0; i < PCTX; i++)
		EVP_PKEY_CTX_free(v->pctx[i].ctx);
	free(v->cache);
	free(v->mk);
	free(v->bh);
	kn_buf_cleanup(&v->hbuf);
	EVP_MD_CTX_free(v->mctx);
	EVP_MD_free(v->sha256);
	free(v);
}

void
kn_dkim_verifier_set_now(struct kn_dkim_verifier *v, time_t now)
{
	v->o.now = now;
}

static void result_set(struct kn_dkim_result *, enum kn_dkim_status,
    const char *, ...) KN_PRINTF(3, 4);

static void
result_set(struct kn_dkim_result *r, enum kn_dkim_status st,
    const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- keys */

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
keyent_copy(struct keyent *dst, const struct keyent *src)
{
	kn_dkim_key_cleanup(&dst->key);
	*dst = *src;
	if (dst->key.pkey != NULL)
		EVP_PKEY_up_ref(dst->key.pkey);
}

static void key_set(struct keyent *, enum kn_dkim_status, const char *, ...)
    KN_PRINTF(3, 4);

static void
key_set(struct keyent *e, enum kn_dkim_status st, const char *fmt, ...)
{
	va_list ap;

	e->status = st;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

/* Fetches and parses the key record at e->name into e. */
static void
fetch_key(struct kn_dkim_verifier *v, struct keyent *e)
{
	struct kn_dns_txt txt;
	int rc;

	memset(&txt, 0, sizeof(txt));
	kn_err_clear();
	if (v->o.lookup != NULL)
		rc = v->o.lookup(v->o.lookup_arg, e->name, &txt);
	else
		rc = kn_dns_txt(v->o.dns, e->name, &txt);
	if (rc == KN_ERR_NOMEM) {
		key_set(e, KN_DKIM_TEMPERROR, "out of memory while "
		    "looking up the key %s", e->name);
		goto out;
	}
	if (rc != 0) {
		key_set(e, KN_DKIM_TEMPERROR, "the key lookup "
		    "failed for now: %s (RFC 6376 section 6.1.2)",
		    kn_err_msg(rc));
		goto out;
	}
	e->secure = txt.secure;
	if (txt.n == 0) {
		key_set(e, KN_DKIM_PERMERROR, "there is no key "
		    "record at %s (RFC 6376 section 6.1.2)", e->name);
		goto out;
	}
	if (txt.n > 1) {
		key_set(e, KN_DKIM_PERMERROR, "%s has %zu TXT "
		    "records; a key must be one record (RFC 6376 section "
		    "3.6.2.2)", e->name, txt.n);
		goto out;
	}
	if ((rc = kn_dkim_key_parse(&e->key, txt.txt[0],
	    strlen(txt.txt[0]))) != 0) {
		key_set(e, rc == KN_ERR_NOMEM ? KN_DKIM_TEMPERROR :
		    KN_DKIM_PERMERROR, "the key record at %s "
		    "is unusable: %s", e->name, kn_err_msg(rc));
		goto out;
	}
	e->status = KN_DKIM_PASS;
out:
	kn_dns_txt_cleanup(&txt);
}

/*
 * The key of s._domainkey.d for this message: from the message's own
 * list, the cache, or a lookup.  NULL when the lookup cap is reached.
 */
static const struct keyent *
get_key(struct kn_dkim_verifier *v, const char *d, const char *s,
    time_t now)
{
	struct keyent *e, *slot = NULL;
	char name[KEYNAME_MAX];
	size_t i;

	snprintf(name, sizeof(name), "%s._domainkey.%s", s, d);
	for (i = 0; i < v->nmk; i++) {
		if (strcmp(v->mk[i].name, name) == 0)
			return &v->mk[i];
	}
	if (v->nmk == v->o.max_sigs)
		return NULL;
	e = &v->mk[v->nmk];
	memset(e, 0, sizeof(*e));
	if (v->cache != NULL) {
		slot = &v->cache[name_hash(name) % KEYCACHE];
		if (strcmp(slot->name, name) == 0 && slot->expires > now) {
			keyent_copy(e, slot);
			v->nmk++;
			return e;
		}
	}
	if (v->lookups == v->o.max_lookups)
		return NULL;
	v->lookups++;
	snprintf(e->name, sizeof(e->name), "%s", name);
	fetch_key(v, e);
	v->nmk++;
	if (slot != NULL && e->status != KN_DKIM_TEMPERROR) {
		keyent_copy(slot, e);
		slot->expires = now + (time_t)v->o.cache_secs;
	}
	return e;
}

/* ---------------------------------------------------------------- hashes */

static void
hash_sink(void *arg, const void *p, size_t n)
{
	(void)EVP_DigestUpdate(arg, p, n);
}

/* The body hash for (canon, limit), computed once per message. */
static const struct bodyhash *
get_body(struct kn_dkim_verifier *v, const struct kn_mail_msg *m,
    enum kn_dkim_canon c, uint64_t limit)
{
	struct bodyhash *b;
	size_t i;

	for (i = 0; i < v->nbh; i++) {
		if (v->bh[i].canon == c && v->bh[i].limit == limit)
			return &v->bh[i];
	}
	if (v->nbh == v->o.max_sigs)
		return NULL;
	b = &v->bh[v->nbh];
	b->canon = c;
	b->limit = limit;
	if (EVP_DigestInit_ex(v->mctx, v->sha256, NULL) != 1)
		return NULL;
	b->total = kn_dkim_canon_body(c, m->body.ptr, m->body.len, limit,
	    hash_sink, v->mctx);
	if (EVP_DigestFinal_ex(v->mctx, b->dg, NULL) != 1)
		return NULL;
	v->nbh++;
	return b;
}

/*
 * The canonical signed header fields of sig (field number self being
 * verified) and the signature field itself without its b= value, into
 * v->hbuf (section 5.4.2: instances are taken from the bottom up; a name
 * listed more often than it occurs adds nothing).
 */
static int
canon_headers(struct kn_dkim_verifier *v, const struct kn_mail_msg *m,
    const struct kn_dkim_sig *sig, size_t self)
{
	const struct kn_mail_hdr *sh = &m->hdrs[self];
	struct kn_buf *hb = &v->hbuf;
	size_t off;
	int rc;

	kn_buf_reset(hb);
	if ((rc = kn_dkim_canon_selected(hb, sig->hcanon, m, sig->h, sig->nh,
	    self)) != 0)
		return rc;
	/* The signature field with the b= value deleted, no CRLF. */
	off = (size_t)(sh->value.ptr - sh->raw.ptr);
	{
		size_t pre = off + sig->b_start, post = off + sig->b_end;
		char *tmp;

		if ((tmp = malloc(sh->raw.len)) == NULL)
			return KN_ERR_NOMEM;
		memcpy(tmp, sh->raw.ptr, pre);
		memcpy(tmp + pre, sh->raw.ptr + post, sh->raw.len - post);
		rc = kn_dkim_canon_header(hb, sig->hcanon, tmp,
		    sh->raw.len - (post - pre), false);
		free(tmp);
	}
	return rc;
}

/* A context verifying rsa-sha256 with pkey, kept for the next message
 * signed with the same key (the key cache hands out the same EVP_PKEY). */
static EVP_PKEY_CTX *
rsa_ctx(struct kn_dkim_verifier *v, EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *pc;
	size_t i;

	for (i = 0; i < PCTX; i++) {
		if (v->pctx[i].key == pkey)
			return v->pctx[i].ctx;
	}
	if ((pc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_verify_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pc, v->sha256) != 1) {
		EVP_PKEY_CTX_free(pc);
		return NULL;
	}
	i = v->pctx_next++ % PCTX;
	EVP_PKEY_CTX_free(v->pctx[i].ctx);
	v->pctx[i].key = pkey;	/* the context holds a reference */
	v->pctx[i].ctx = pc;
	return pc;
}

static bool
check_sig(struct kn_dkim_verifier *v, const struct kn_dkim_sig *sig,
    EVP_PKEY *pkey, const unsigned char *dg)
{
	EVP_PKEY_CTX *pc;
	bool ok = false;

	if (sig->alg == KN_DKIM_RSA_SHA256) {
		ok = (pc = rsa_ctx(v, pkey)) != NULL &&
		    EVP_PKEY_verify(pc, sig->b, sig->b_len, dg, 32) == 1;
	} else {
		/* RFC 8463 section 3: PureEdDSA over the SHA-256 hash. */
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		ok = c != NULL && sig->b_len == 64 &&
		    EVP_DigestVerifyInit_ex(c, NULL, NULL, NULL, NULL, pkey,
		    NULL) == 1 && EVP_DigestVerify(c, sig->b, sig->b_len, dg,
		    32) == 1;
		EVP_MD_CTX_free(c);
	}
	ERR_clear_error();
	return ok;
}

/* ---------------------------------------------------------------- verify */

static bool
auid_is_d(const struct kn_dkim_sig *sig)
{
	const char *at = strrchr(sig->i, '@');

	return at != NULL && strcasecmp(at + 1, sig->d) == 0;
}

static int
verify_one(struct kn_dkim_verifier *v, const struct kn_mail_msg *m,
    size_t self, size_t nfrom, time_t now, struct kn_dkim_result *r)
{
	struct kn_dkim_sig *sig = &v->sig;
	const struct kn_mail_hdr *h = &m->hdrs[self];
	const struct keyent *ke;
	const struct bodyhash *bh;
	unsigned char dg[32];
	int rc;

	/* Nothing passes by default. */
	result_set(r, KN_DKIM_PERMERROR, "not evaluated");
	kn_err_clear();
	rc = kn_dkim_sig_parse(sig, h->value.ptr, h->value.len);
	snprintf(r->d, sizeof(r->d), "%s", sig->d);
	snprintf(r->s, sizeof(r->s), "%s", sig->s);
	snprintf(r->a, sizeof(r->a), "%s", sig->a);
	snprintf(r->b_head, sizeof(r->b_head), "%s", sig->b_head);
	if (rc == KN_ERR_NOMEM)
		return rc;
	if (rc != 0) {
		result_set(r, KN_DKIM_PERMERROR, "%s", kn_err_msg(rc));
		return 0;
	}
	snprintf(r->i, sizeof(r->i), "%s", sig->i);
	r->has_l = sig->has_l;
	r->l = sig->l;
	r->has_t = sig->has_t;
	r->t = sig->t;

	if (sig->alg == KN_DKIM_RSA_SHA1) {
		result_set(r, KN_DKIM_FAIL, "rsa-sha1 is historic: verifiers "
		    "must not accept it (RFC 8301 section 3.1)");
		return 0;
	}
	if (sig->alg == KN_DKIM_ALG_UNKNOWN) {
		result_set(r, KN_DKIM_PERMERROR, "a=%s is no signing algorithm "
		    "kakuin knows (rsa-sha256, ed25519-sha256; RFC 6376 "
		    "section 6.1.1)", sig->a);
		return 0;
	}
	if (sig->has_x && sig->x < now - (time_t)v->o.skew) {
		result_set(r, KN_DKIM_PERMERROR, "the signature expired %lld "
		    "seconds ago (x=, RFC 6376 section 6.1.1)",
		    (long long)(now - sig->x));
		return 0;
	}
	if (sig->has_t && sig->t > now + (time_t)v->o.skew) {
		result_set(r, KN_DKIM_PERMERROR, "the signature is dated %lld "
		    "seconds in the future (t=, RFC 6376 section 3.5)",
		    (long long)(sig->t - now));
		return 0;
	}
	if ((ke = get_key(v, sig->d, sig->s, now)) == NULL) {
		result_set(r, KN_DKIM_NEUTRAL, "not evaluated: the message "
		    "needs more than %zu key lookups", v->o.max_lookups);
		return 0;
	}
	if (ke->status != KN_DKIM_PASS) {
		result_set(r, ke->status, "%s", ke->reason);
		return 0;
	}
	r->key_secure = ke->secure;
	r->testing = ke->key.testing;
	r->key_bits = ke->key.bits;
	if (ke->key.revoked) {
		result_set(r, KN_DKIM_PERMERROR, "the key %s is revoked (empty "
		    "p=, RFC 6376 section 3.6.1)", ke->name);
		return 0;
	}
	if ((ke->key.type == KN_DKIM_KEY_RSA) !=
	    (sig->alg == KN_DKIM_RSA_SHA256)) {
		result_set(r, KN_DKIM_PERMERROR, "the key %s is of type %s, "
		    "not one a=%s uses (RFC 6376 section 6.1.2)", ke->name,
		    ke->key.type == KN_DKIM_KEY_RSA ? "rsa" : "ed25519",
		    kn_dkim_alg_name(sig->alg));
		return 0;
	}
	if (!ke->key.sha256) {
		result_set(r, KN_DKIM_PERMERROR, "the key record %s does not "
		    "allow sha256 (h=, RFC 6376 section 6.1.2)", ke->name);
		return 0;
	}
	if (ke->key.strict && !auid_is_d(sig)) {
		result_set(r, KN_DKIM_PERMERROR, "the key record %s says t=s: "
		    "the i= domain must be d=%s exactly (RFC 6376 section "
		    "3.6.1)", ke->name, sig->d);
		return 0;
	}

	if ((bh = get_body(v, m, sig->bcanon, sig->has_l ? sig->l :
	    UINT64_MAX)) == NULL)
		return KN_ERR_NOMEM;
	if (sig->has_l && sig->l > bh->total) {
		result_set(r, KN_DKIM_PERMERROR, "l=%llu is more than the "
		    "%llu octets of the canonical body (RFC 6376 section "
		    "3.4.5)", (unsigned long long)sig->l,
		    (unsigned long long)bh->total);
		return 0;
	}
	if (sig->has_l)
		r->unsigned_bytes = bh->total - sig->l;
	if (sig->bh_len != sizeof(bh->dg) ||
	    CRYPTO_memcmp(sig->bh, bh->dg, sizeof(bh->dg)) != 0) {
		result_set(r, KN_DKIM_FAIL, "the body hash does not match: "
		    "the body was changed after signing (RFC 6376 section "
		    "6.1.3)");
		goto testing;
	}
	if ((rc = canon_headers(v, m, sig, self)) != 0) {
		if (rc == KN_ERR_NOMEM)
			return rc;
		result_set(r, KN_DKIM_PERMERROR, "the signed header fields "
		    "cannot be read: %s", kn_err_msg(rc));
		return 0;
	}
	if (v->hbuf.failed ||
	    EVP_DigestInit_ex(v->mctx, v->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(v->mctx, v->hbuf.data, v->hbuf.len) != 1 ||
	    EVP_DigestFinal_ex(v->mctx, dg, NULL) != 1)
		return KN_ERR_NOMEM;
	if (!check_sig(v, sig, ke->key.pkey, dg)) {
		result_set(r, KN_DKIM_FAIL, "the signature does not verify: "
		    "a signed header field was changed, or the key is not the "
		    "signer's (RFC 6376 section 6.1.3)");
		goto testing;
	}
	if (nfrom != 1) {
		/* Crypto holds, but which author the signature vouches for
		 * is unclear: never a pass. */
		result_set(r, KN_DKIM_FAIL, "the message has %zu From header "
		    "fields; exactly one is required, so no signature can "
		    "vouch for its author (RFC 5322 section 3.6, RFC 6376 "
		    "section 8.15)", nfrom);
		return 0;
	}
	if (sig->has_l && r->unsigned_bytes > 0) {
		result_set(r, v->o.l_policy ? KN_DKIM_POLICY : KN_DKIM_PASS,
		    "signed by %s, but l= leaves the last %llu octets of the "
		    "body unsigned (RFC 6376 section 8.2)", sig->d,
		    (unsigned long long)r->unsigned_bytes);
		return 0;
	}
	result_set(r, KN_DKIM_PASS, "signed by %s%s", sig->d, sig->has_l ?
	    " (l= covers the whole body)" : "");
	return 0;
testing:
	if (r->testing) {
		char why[KN_DKIM_REASON_MAX];

		snprintf(why, sizeof(why), "%s", r->reason);
		result_set(r, KN_DKIM_NEUTRAL, "the key is in testing mode "
		    "(t=y), which makes a failure count for nothing (RFC 6376 "
		    "section 3.6.1): %s", why);
	}
	return 0;
}

int
kn_dkim_verify(struct kn_dkim_verifier *v, const struct kn_mail_msg *m,
    struct kn_dkim_results *out)
{
	size_t i, nsig = 0, nfrom = 0;
	time_t now = v->o.now != 0 ? v->o.now : time(NULL);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < m->nhdrs; i++) {
		if (kn_mail_hdr_is(&m->hdrs[i], "DKIM-Signature"))
			nsig++;
		else if (kn_mail_hdr_is(&m->hdrs[i], "From"))
			nfrom++;
	}
	if (nsig == 0)
		return 0;
	if (nsig > KN_DKIM_MAX_RESULTS) {
		out->unlisted = nsig - KN_DKIM_MAX_RESULTS;
		nsig = KN_DKIM_MAX_RESULTS;
	}
	if ((out->v = calloc(nsig, sizeof(*out->v))) == NULL)
		return KN_ERR_NOMEM;
	msg_reset(v);
	for (i = 0; i < m->nhdrs && out->n < nsig; i++) {
		struct kn_dkim_result *r;

		if (!kn_mail_hdr_is(&m->hdrs[i], "DKIM-Signature"))
			continue;
		r = &out->v[out->n++];
		if (out->n > v->o.max_sigs) {
			const struct kn_mail_hdr *h = &m->hdrs[i];

			if (kn_dkim_sig_parse(&v->sig, h->value.ptr,
			    h->value.len) == KN_ERR_NOMEM) {
				rc = KN_ERR_NOMEM;
				break;
			}
			snprintf(r->d, sizeof(r->d), "%s", v->sig.d);
			snprintf(r->s, sizeof(r->s), "%s", v->sig.s);
			snprintf(r->a, sizeof(r->a), "%s", v->sig.a);
			result_set(r, KN_DKIM_NEUTRAL, "not evaluated: the "
			    "message has more than %zu signatures",
			    v->o.max_sigs);
			continue;
		}
		if ((rc = verify_one(v, m, i, nfrom, now, r)) != 0)
			break;
	}
	msg_reset(v);
	if (rc != 0)
		kn_dkim_results_cleanup(out);
	return rc;
}
