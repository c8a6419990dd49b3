/* request.c - the RA workflow: request, approval or rejection, issuance,
 * revocation, suspension, renewal, one-time PKCS#12 delivery. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "base/buf.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "ca/ca_int.h"
#include "registry/corpnum.h"
#include "registry/org.h"
#include "store/db.h"

#define CSR_MAX (64 * 1024)
#define NAMES_MAX 4096

/* RFC 5321 section 4.1.2 Mailbox with an ASCII dot-atom local part (the
 * SmtpUTF8Mailbox of RFC 9598 is not issued).  Lower-cases the domain. */
static int
check_email(char out[320], const char *in)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *at = strrchr(in, '@');
	char dom[KN_DOMAIN_MAX + 1];
	size_t i, llen;

	if (at == NULL || at == in)
		return kn_err_set(KN_ERR_INVAL, "email", "%s is not a mail "
		    "address (local@domain, RFC 5321 section 4.1.2)", in);
	llen = (size_t)(at - in);
	if (llen > 64)
		return kn_err_set(KN_ERR_INVAL, "email", "the local part of %s "
		    "is longer than 64 characters (RFC 5321 section 4.5.3.1.1)",
		    in);
	for (i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.' && i > 0 && i + 1 < llen && in[i - 1] != '.')
			continue;
		if (c >= 0x80)
			return kn_err_set(KN_ERR_INVAL, "email", "%s has a "
			    "non-ASCII local part; internationalized "
			    "mailboxes are not issued", in);
		if (!isalnum(c) && strchr(atext, c) == NULL)
			return kn_err_set(KN_ERR_INVAL, "email", "%s is not a "
			    "dot-atom mailbox (RFC 5321 section 4.1.2)", in);
	}
	if (kn_domain_parse(dom, at + 1) != 0)
		return kn_err_set(KN_ERR_INVAL, "email", "the domain of %s: "
		    "%s", in, kn_err_get()->msg);
	snprintf(out, 320, "%.*s@%s", (int)llen, in, dom);
	return 0;
}

/* The 47 prefectures (都道府県), as addresses in the registry begin. */
static const char *const prefectures[] = {
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
	"茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
	"新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
	"静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
	"奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
	"徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
	"熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
};

static const char *
prefecture_of(const char *address)
{
	size_t i;

	for (i = 0; address != NULL &&
	    i < sizeof(prefectures) / sizeof(prefectures[0]); i++) {
		if (strncmp(address, prefectures[i],
		    strlen(prefectures[i])) == 0)
			return prefectures[i];
	}
	return NULL;
}

struct orginfo {
	char	*name;		/* legal name */
	char	*address;
	char	*kind;		/* NTA kind code, or NULL */
};

static void
orginfo_cleanup(struct orginfo *o)
{
	free(o->name);
	free(o->address);
	free(o->kind);
	memset(o, 0, sizeof(*o));
}

/* The organization's facts, if it may get certificates now. */
static int
org_for_issue(struct kn_db *db, int64_t number, struct orginfo *oi)
{
	struct kn_stmt *st;
	char num[KN_CORPNUM_LEN + 1];
	int rc;

	memset(oi, 0, sizeof(*oi));
	kn_corpnum_format(num, number);
	if ((rc = kn_db_stmt(db, &st, "SELECT status, name, address, kind "
	    "FROM orgs WHERE number = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "org", "no organization with "
		    "corporate number %s is in the registry", num);
	else if (rc == KN_ROW) {
		const char *status = kn_stmt_text(st, 0);

		if (strcmp(status, "verified") != 0)
			rc = kn_err_set(KN_ERR_STATE, "org", "organization %s "
			    "is %s: certificates are issued only for verified "
			    "organizations", num, status);
		else if ((oi->name = kn_stmt_strdup(st, 1)) == NULL)
			rc = KN_ERR_NOMEM;
		else {
			oi->address = kn_stmt_strdup(st, 2);
			oi->kind = kn_stmt_strdup(st, 3);
			rc = 0;
		}
	}
	kn_stmt_done(st);
	return rc;
}

/*
 * Mail addresses must be at a mail domain the organization proved; host
 * names at (or under) a web domain it proved.
 */
static int
names_verified(struct kn_db *db, int64_t number, char **emails,
    size_t nemails, char **dns, size_t ndns)
{
	struct kn_stmt *st;
	char doms[KN_ORG_MAX_DOMAINS][KN_DOMAIN_MAX + 1];
	bool web[KN_ORG_MAX_DOMAINS], mail[KN_ORG_MAX_DOMAINS];
	size_t n = 0, i, k;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT name, web, mail FROM domains "
	    "WHERE org_number = ? AND verified_at IS NOT NULL AND "
	    "released_at IS NULL")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) != 0) {
		kn_stmt_done(st);
		return rc;
	}
	while ((rc = kn_stmt_step(st)) == KN_ROW && n < KN_ORG_MAX_DOMAINS) {
		snprintf(doms[n], sizeof(doms[n]), "%s", kn_stmt_text(st, 0));
		web[n] = kn_stmt_int64(st, 1) != 0;
		mail[n] = kn_stmt_int64(st, 2) != 0;
		n++;
	}
	kn_stmt_done(st);
	if (rc < 0)
		return rc;
	for (i = 0; i < nemails; i++) {
		const char *d = strrchr(emails[i], '@') + 1;

		for (k = 0; k < n; k++) {
			if (mail[k] && strcmp(doms[k], d) == 0)
				break;
		}
		if (k == n)
			return kn_err_set(KN_ERR_INVAL, "email", "%s is not at a "
			    "mail domain this organization has verified "
			    "(S/MIME BR 3.2.2.1)", emails[i]);
	}
	for (i = 0; i < ndns; i++) {
		size_t dl = strlen(dns[i]);

		for (k = 0; k < n; k++) {
			size_t bl = strlen(doms[k]);

			if (!web[k])
				continue;
			if (strcmp(doms[k], dns[i]) == 0 || (dl > bl &&
			    dns[i][dl - bl - 1] == '.' &&
			    strcmp(dns[i] + dl - bl, doms[k]) == 0))
				break;
		}
		if (k == n)
			return kn_err_set(KN_ERR_INVAL, "dns", "%s is not a web "
			    "domain (or under one) this organization has "
			    "verified (TLS BR 3.2.2.4)", dns[i]);
	}
	return 0;
}

/* SHA-256 of the DER SubjectPublicKeyInfo, in hex.  From the parsed
 * X509_PUBKEY: re-serializing it is cheap, where i2d_PUBKEY() would run
 * OpenSSL 3.0's key encoder. */
int
kn__spki_hash(X509_PUBKEY *pk, char out[65])
{
	unsigned char *der = NULL, d[32];
	unsigned int dl;
	int len;

	if ((len = i2d_X509_PUBKEY(pk, &der)) <= 0)
		return KN_ERR_CRYPTO;
	EVP_Digest(der, (size_t)len, d, &dl, EVP_sha256(), NULL);
	OPENSSL_free(der);
	kn_hex(out, d, sizeof(d));
	return 0;
}

/* Reads and checks a CSR: one PEM CERTIFICATE REQUEST, a valid self-
 * signature (proof of possession, RFC 2986 section 3), no weak hash, a
 * key the profile allows. */
static int
parse_csr(const char *pem, const struct kn_profile *p, bool verify,
    EVP_PKEY **pub, char spki[65], X509_REQ **keep)
{
	BIO *b = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *k = NULL;
	const char *rest;
	char *data;
	long left;
	int nid, rc;

	if (strlen(pem) > CSR_MAX)
		return kn_err_set(KN_ERR_INVAL, "csr", "the CSR is larger than "
		    "%d bytes", CSR_MAX);
	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return KN_ERR_NOMEM;
	if ((req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL)) == NULL) {
		rc = kn_err_set(KN_ERR_INVAL, "csr", "no PEM CERTIFICATE "
		    "REQUEST (PKCS #10, RFC 2986) could be read");
		goto out;
	}
	/* Nothing but white space may follow. */
	left = BIO_get_mem_data(b, &data);
	for (rest = data; left > 0 && isspace((unsigned char)*rest); rest++)
		left--;
	if (left > 0) {
		rc = kn_err_set(KN_ERR_INVAL, "csr", "data follows the "
		    "certificate request; send exactly one");
		goto out;
	}
	if ((k = X509_REQ_get_pubkey(req)) == NULL) {
		rc = kn_err_set(KN_ERR_INVAL, "csr", "the CSR's public key "
		    "cannot be read");
		goto out;
	}
	/* At approval the CSR comes from the store, checked when it was
	 * received: its self-signature need not be verified again. */
	if (verify && X509_REQ_verify(req, k) != 1) {
		rc = kn_err_set(KN_ERR_INVAL, "csr", "the CSR's signature does "
		    "not verify: it does not prove possession of the key "
		    "(RFC 2986 section 3)");
		goto out;
	}
	nid = X509_REQ_get_signature_nid(req);
	if (nid == NID_md5WithRSAEncryption || nid == NID_sha1WithRSAEncryption ||
	    nid == NID_ecdsa_with_SHA1 || nid == NID_md2WithRSAEncryption ||
	    nid == NID_md4WithRSAEncryption || nid == NID_dsaWithSHA1) {
		rc = kn_err_set(KN_ERR_INVAL, "csr", "the CSR is signed with "
		    "%s, a broken hash: sign it with SHA-256 or better",
		    OBJ_nid2ln(nid));
		goto out;
	}
	if (!kn_profile_allows_key(p, kn_keyalg_of(k))) {
		if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
			rc = kn_err_set(KN_ERR_INVAL, "csr", "an RSA key of %d "
			    "bits is not allowed for %s (RSA 2048, 3072 or "
			    "4096; %s)", EVP_PKEY_get_bits(k), p->name,
			    p->rules);
		else {
			char group[64] = "";
			size_t gl = 0;

			if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
				(void)EVP_PKEY_get_group_name(k, group,
				    sizeof(group), &gl);
			rc = kn_err_set(KN_ERR_INVAL, "csr", "%s key%s%s "
			    "(%d bits) is not allowed for %s (P-256, P-384, "
			    "RSA 2048-4096%s; %s)", group[0] ? "an EC" :
			    EVP_PKEY_get0_type_name(k), group[0] ? " on " : "",
			    group, EVP_PKEY_get_bits(k), p->name,
			    kn_profile_allows_key(p, KN_KEY_ED25519) ?
			    ", Ed25519" : "", p->rules);
		}
		goto out;
	}
	if (spki != NULL && (rc = kn__spki_hash(X509_REQ_get_X509_PUBKEY(req),
	    spki)) != 0)
		goto out;
	*pub = k;
	k = NULL;
	if (keep != NULL) {
		*keep = req;
		req = NULL;
	}
	rc = 0;
out:
	EVP_PKEY_free(k);
	X509_REQ_free(req);
	BIO_free(b);
	return rc;
}

/* A key once reported compromised is never certified again (S/MIME BR
 * 6.1.1.3, TLS BR 6.1.1.3). */
static int
key_not_compromised(struct kn_db *db, const char *spki)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT serial FROM certs WHERE "
	    "spki_sha256 = ? AND status = 'revoked' AND "
	    "reason = 'keyCompromise' LIMIT 1")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, spki)) == 0 &&
	    (rc = kn_stmt_step(st)) == KN_ROW)
		rc = kn_err_set(KN_ERR_INVAL, "csr", "this key was reported "
		    "compromised when certificate %s was revoked: it is never "
		    "certified again (S/MIME BR 6.1.1.3); make a new key",
		    kn_stmt_text(st, 0));
	kn_stmt_done(st);
	return rc < 0 ? rc : 0;
}

int
kn_csr_parse(const char *pem, const char *profile, EVP_PKEY **pub)
{
	const struct kn_profile *p = kn_profile_find(profile);

	if (p == NULL)
		return kn_err_set(KN_ERR_INVAL, "profile", "unknown profile %s",
		    profile);
	return parse_csr(pem, p, true, pub, NULL, NULL);
}

/*
 * CSRs this process parsed when their request arrived, by request id.
 * Approval usually follows in the same process (the server), and OpenSSL
 * 3.0 spends much of an issuance decoding keys: the approval reuses the
 * parsed request instead.  An entry counts only when both the id and the
 * stored CSR text match, so another database that reuses the id (a test,
 * a restored backup) never gets this one's key; a miss (another process,
 * an old request) parses the stored CSR again.
 */
#define CSR_CACHE 256

static struct {
	int64_t		 id;
	char		*pem;
	X509_REQ	*req;
	EVP_PKEY	*pub;
	char		 spki[65];
} csr_cache[CSR_CACHE];
static pthread_mutex_t csr_cache_mu = PTHREAD_MUTEX_INITIALIZER;

/* Takes ownership of req and pub; a failed copy just skips caching. */
static void
csr_cache_put(int64_t id, const char *pem, X509_REQ *req, EVP_PKEY *pub,
    const char *spki)
{
	size_t i = (size_t)id % CSR_CACHE;
	char *copy = strdup(pem);

	if (copy == NULL) {
		X509_REQ_free(req);
		EVP_PKEY_free(pub);
		return;
	}
	pthread_mutex_lock(&csr_cache_mu);
	free(csr_cache[i].pem);
	X509_REQ_free(csr_cache[i].req);
	EVP_PKEY_free(csr_cache[i].pub);
	csr_cache[i].id = id;
	csr_cache[i].pem = copy;
	csr_cache[i].req = req;
	csr_cache[i].pub = pub;
	snprintf(csr_cache[i].spki, sizeof(csr_cache[i].spki), "%s", spki);
	pthread_mutex_unlock(&csr_cache_mu);
}

/* Hands over the entry of request id with this CSR text, if any. */
static bool
csr_cache_take(int64_t id, const char *pem, X509_REQ **req, EVP_PKEY **pub,
    char spki[65])
{
	size_t i = (size_t)id % CSR_CACHE;
	bool hit = false;

	pthread_mutex_lock(&csr_cache_mu);
	if (csr_cache[i].req != NULL && csr_cache[i].id == id &&
	    strcmp(csr_cache[i].pem, pem) == 0) {
		*req = csr_cache[i].req;
		*pub = csr_cache[i].pub;
		memcpy(spki, csr_cache[i].spki, 65);
		free(csr_cache[i].pem);
		csr_cache[i].pem = NULL;
		csr_cache[i].req = NULL;
		csr_cache[i].pub = NULL;
		hit = true;
	}
	pthread_mutex_unlock(&csr_cache_mu);
	return hit;
}

static bool
subscriber_profile(const struct kn_profile *p)
{
	return p->kind == KN_PROF_SMIME || p->kind == KN_PROF_CLIENT ||
	    p->kind == KN_PROF_DOCSIGN || p->kind == KN_PROF_TLS;
}

/* Splits a comma-joined list from the store into at most max items. */
static size_t
split(char *s, char **v, size_t max)
{
	size_t n = 0;
	char *p;

	while (s != NULL && *s != '\0' && n < max) {
		v[n++] = s;
		if ((p = strchr(s, ',')) == NULL)
			break;
		*p = '\0';
		s = p + 1;
	}
	return n;
}

struct reqrow {
	int64_t	 id;
	int64_t	 org;
	char	 profile[48];
	int64_t	 ca_id;
	char	 status[12];
	char	*csr_pem;
	char	*keygen;
	char	*given;
	char	*surname;
	char	*emails;
	char	*dns;
	int64_t	 days;
	char	*serial;
};

static void
reqrow_cleanup(struct reqrow *r)
{
	free(r->csr_pem);
	free(r->keygen);
	free(r->given);
	free(r->surname);
	free(r->emails);
	free(r->dns);
	free(r->serial);
	memset(r, 0, sizeof(*r));
}

static int
load_request(struct kn_db *db, int64_t id, struct reqrow *r)
{
	struct kn_stmt *st;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = kn_db_stmt(db, &st, "SELECT id, org_number, profile, "
	    "ca_id, status, csr_pem, keygen, given_name, surname, emails, "
	    "dns_names, days, serial FROM cert_requests WHERE id = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, id)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		r->id = kn_stmt_int64(st, 0);
		r->org = kn_stmt_int64(st, 1);
		snprintf(r->profile, sizeof(r->profile), "%s",
		    kn_stmt_text(st, 2));
		r->ca_id = kn_stmt_int64(st, 3);
		snprintf(r->status, sizeof(r->status), "%s",
		    kn_stmt_text(st, 4));
		r->csr_pem = kn_stmt_strdup(st, 5);
		r->keygen = kn_stmt_strdup(st, 6);
		r->given = kn_stmt_strdup(st, 7);
		r->surname = kn_stmt_strdup(st, 8);
		r->emails = kn_stmt_strdup(st, 9);
		r->dns = kn_stmt_strdup(st, 10);
		r->days = kn_stmt_int64(st, 11);
		r->serial = kn_stmt_strdup(st, 12);
		rc = 0;
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "request", "no certificate "
		    "request %lld", (long long)id);
	kn_stmt_done(st);
	return rc;
}

static int
check_text_opt(const char *field, const char *v, size_t max)
{
	if (v == NULL)
		return 0;
	if (*v == '\0')
		return kn_err_set(KN_ERR_INVAL, field, "%s is empty", field);
	return kn_check_text(field, v, max, false);
}

int
kn_cert_request(struct kn_db *db, const char *actor,
    const struct kn_cert_request_in *in, int64_t *id,
    char code[KN_REVOCATION_CODE])
{
	const struct kn_profile *p = kn_profile_find(in->profile ?
	    in->profile : "");
	struct kn_ca ca;
	struct kn_stmt *st = NULL;
	struct kn_buf emails, dns, detail;
	struct kn_jw w;
	EVP_PKEY *pub = NULL;
	enum kn_keyalg kg = KN_KEY_NONE;
	char norm[KN_MAX_NAMES][320], *ev[KN_MAX_NAMES], *dv[KN_MAX_NAMES];
	char dnorm[KN_MAX_NAMES][KN_DOMAIN_MAX + 1];
	struct orginfo oi = { NULL, NULL, NULL };
	X509_REQ *csr = NULL;
	char now[21], hash[65], spki[65];
	unsigned char raw[20], d[32];
	unsigned int dl;
	size_t i;
	int days, rc;

	memset(&ca, 0, sizeof(ca));
	kn_buf_init(&emails, NAMES_MAX);
	kn_buf_init(&dns, NAMES_MAX);
	kn_buf_init(&detail, 8192);
	if (p == NULL || !subscriber_profile(p)) {
		rc = kn_err_set(KN_ERR_INVAL, "profile", "unknown profile %s "
		    "(docs/profiles.md lists them)", in->profile ?
		    in->profile : "(none)");
		goto out;
	}
	if ((in->csr_pem == NULL) == (in->keygen == NULL)) {
		rc = kn_err_set(KN_ERR_INVAL, "csr", "give either a CSR or a "
		    "key algorithm for the CA to generate, not %s",
		    in->csr_pem ? "both" : "neither");
		goto out;
	}
	if (in->nemails > KN_MAX_NAMES || in->ndns > KN_MAX_NAMES) {
		rc = kn_err_set(KN_ERR_INVAL, "email", "at most %d mail "
		    "addresses and %d host names", KN_MAX_NAMES, KN_MAX_NAMES);
		goto out;
	}
	for (i = 0; i < in->nemails; i++) {
		if ((rc = check_email(norm[i], in->emails[i])) != 0)
			goto out;
		ev[i] = norm[i];
		kn_buf_putf(&emails, "%s%s", i ? "," : "", norm[i]);
	}
	for (i = 0; i < in->ndns; i++) {
		if ((rc = kn_domain_parse(dnorm[i], in->dns[i])) != 0) {
			rc = kn_err_set(KN_ERR_INVAL, "dns", "%s",
			    kn_err_get()->msg);
			goto out;
		}
		dv[i] = dnorm[i];
		kn_buf_putf(&dns, "%s%s", i ? "," : "", dnorm[i]);
	}
	if ((p->san & KN_SAN_EMAIL) && in->nemails == 0) {
		rc = kn_err_set(KN_ERR_INVAL, "email", "profile %s needs a "
		    "mail address (%s)", p->name, p->rules);
		goto out;
	}
	if ((p->san & KN_SAN_DNS) && in->ndns == 0) {
		rc = kn_err_set(KN_ERR_INVAL, "dns", "profile %s needs a "
		    "host name (%s)", p->name, p->rules);
		goto out;
	}
	if (p->kind != KN_PROF_TLS && in->ndns > 0) {
		rc = kn_err_set(KN_ERR_INVAL, "dns", "host names belong in "
		    "TLS certificates only");
		goto out;
	}
	if (p->kind == KN_PROF_TLS && in->nemails > 0) {
		rc = kn_err_set(KN_ERR_INVAL, "email", "TLS certificates carry "
		    "no mail addresses (TLS BR 7.1.2.7.12)");
		goto out;
	}
	if ((rc = check_text_opt("given_name", in->given_name, 64)) != 0 ||
	    (rc = check_text_opt("surname", in->surname, 64)) != 0)
		goto out;
	if (p->subject == KN_SUBJ_SPONSORED && (in->given_name == NULL ||
	    in->surname == NULL)) {
		rc = kn_err_set(KN_ERR_INVAL, in->given_name ? "surname" :
		    "given_name", "profile %s names the person: given name "
		    "and surname are required (S/MIME BR 7.1.4.2.4)", p->name);
		goto out;
	}
	days = in->days > 0 ? in->days : p->default_days;
	if (days > p->max_days) {
		rc = kn_err_set(KN_ERR_INVAL, "days", "profile %s allows at "
		    "most %d days (%s)", p->name, p->max_days, p->rules);
		goto out;
	}
	if (in->keygen != NULL) {
		if ((rc = kn_keyalg_parse(&kg, in->keygen)) != 0)
			goto out;
		if (!kn_profile_allows_key(p, kg)) {
			rc = kn_err_set(KN_ERR_INVAL, "keygen", "profile %s "
			    "does not allow %s keys", p->name, in->keygen);
			goto out;
		}
	} else if ((rc = parse_csr(in->csr_pem, p, true, &pub, spki,
	    &csr)) != 0)
		goto out;
	if (emails.failed || dns.failed) {
		rc = KN_ERR_NOMEM;
		goto out;
	}

	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = org_for_issue(db, in->org, &oi)) != 0 ||
	    (rc = names_verified(db, in->org, ev, in->nemails, dv,
	    in->ndns)) != 0)
		goto out;
	if (pub != NULL && (rc = key_not_compromised(db, spki)) != 0)
		goto out;
	rc = in->ca ? kn_ca_get(db, &ca, in->ca) :
	    kn_ca_default_issuer(db, &ca, p->name);
	if (rc != 0)
		goto out;
	if (ca.parent_id == 0) {
		rc = kn_err_set(KN_ERR_INVAL, "ca", "%s is a root CA; "
		    "subscriber certificates come from an issuing CA",
		    ca.name);
		goto out;
	}
	if (!kn__ca_can_issue(kn_profile_find(ca.profile), p)) {
		rc = kn_err_set(KN_ERR_INVAL, "ca", "CA %s (%s) may not issue %s "
		    "certificates: its extended key usage does not cover them",
		    ca.name, ca.profile, p->name);
		goto out;
	}
	if ((p->subject == KN_SUBJ_TLS_OV || p->subject == KN_SUBJ_TLS_EV) &&
	    prefecture_of(oi.address) == NULL) {
		rc = kn_err_set(KN_ERR_STATE, "org", "the organization's "
		    "registered address does not begin with a prefecture, "
		    "which a %s certificate names (TLS BR 7.1.4.2.2): fix the "
		    "address in the registry first", p->name);
		goto out;
	}
	/* The subscriber's revocation code: shown once, stored hashed. */
	if ((rc = kn_random(raw, sizeof(raw))) != 0)
		goto out;
	kn_base64url(code, raw, sizeof(raw));
	EVP_Digest(code, strlen(code), d, &dl, EVP_sha256(), NULL);
	kn_hex(hash, d, sizeof(d));
	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO cert_requests (org_number, "
	    "profile, ca_id, status, csr_pem, keygen, given_name, surname, "
	    "emails, dns_names, days, renewal_of, revocation_hash, "
	    "requested_by, created_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, in->org)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, p->name)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 3, ca.id)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, in->csr_pem)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, in->keygen ? kn_keyalg_name(kg) :
	    NULL)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, in->given_name)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, in->surname)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 8, emails.len ? emails.data :
	    NULL)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 9, dns.len ? dns.data : NULL)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 10, days)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 11, in->renewal_of)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 12, hash)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 13, actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 14, now)) != 0)
		goto out;
	if ((rc = kn_stmt_step(st)) != KN_ROW) {
		rc = rc < 0 ? rc : KN_ERR_DB;
		goto out;
	}
	*id = kn_stmt_int64(st, 0);
	kn_stmt_done(st);
	st = NULL;
	kn_jw_init(&w, &detail);
	kn_jw_obj(&w);
	kn_jw_key(&w, "org");
	kn_jw_int(&w, in->org);
	kn_jw_kstr(&w, "profile", p->name);
	kn_jw_kstr(&w, "ca", ca.name);
	kn_jw_kstr(&w, "emails", emails.len ? emails.data : NULL);
	kn_jw_kstr(&w, "dns", dns.len ? dns.data : NULL);
	kn_jw_kstr(&w, "key", in->keygen ? "generated by the CA" :
	    "from CSR");
	kn_jw_kstr(&w, "renewal_of", in->renewal_of);
	kn_jw_end_obj(&w);
	{
		char obj[48];

		snprintf(obj, sizeof(obj), "request:%lld", (long long)*id);
		if ((rc = kn__audit(db, actor, "cert.request", obj,
		    &detail)) != 0)
			goto out;
	}
	if ((rc = kn_db_commit(db)) == 0 && csr != NULL) {
		csr_cache_put(*id, in->csr_pem, csr, pub, spki);
		csr = NULL;
		pub = NULL;
	}
out:
	if (rc != 0)
		OPENSSL_cleanse(code, KN_REVOCATION_CODE);
	X509_REQ_free(csr);
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_ca_cleanup(&ca);
	kn_buf_cleanup(&emails);
	kn_buf_cleanup(&dns);
	kn_buf_cleanup(&detail);
	EVP_PKEY_free(pub);
	orginfo_cleanup(&oi);
	return rc;
}

static int
may_act_for(const struct kn_principal *officer, int64_t org)
{
	char num[KN_CORPNUM_LEN + 1];

	if (officer == NULL || officer->org_number == 0 ||
	    officer->org_number == org)
		return 0;
	kn_corpnum_format(num, org);
	return kn_err_set(KN_ERR_PERM, "officer", "officer %s is a local RA "
	    "officer of another organization and may not act for %s",
	    officer->name, num);
}

/* EV businessCategory (TLS BR 7.1.4.2.5 / EV Guidelines 9.2.4) from the
 * NTA kind: 101/201 public bodies, 301-305 and 401 companies. */
static const char *
business_category(const char *kind, const char *name)
{
	static const char *const forms[] = { "株式会社", "合同会社",
	    "有限会社", "合名会社", "合資会社" };
	size_t i;

	/* Without the agency's kind, the legal form in the name says it. */
	for (i = 0; kind == NULL && name != NULL &&
	    i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (strstr(name, forms[i]) != NULL)
			return "Private Organization";
	}
	if (kind != NULL && (strcmp(kind, "101") == 0 ||
	    strcmp(kind, "201") == 0))
		return "Government Entity";
	if (kind != NULL && ((kind[0] == '3' && strcmp(kind, "399") != 0) ||
	    strcmp(kind, "401") == 0))
		return "Private Organization";
	return "Non-Commercial Entity";
}

/* Subject from the registry and the request, as the profile says. */
static int
subscriber_subject(X509_NAME **out, const struct kn_profile *p, int64_t org,
    const struct orginfo *oi, const struct reqrow *r, char **dns,
    size_t ndns)
{
	X509_NAME *n = X509_NAME_new();
	const char *pref = prefecture_of(oi->address);
	char oid[32], cn[160], num[KN_CORPNUM_LEN + 1];
	bool ok = n != NULL;

	kn_corpnum_format(num, org);
	snprintf(oid, sizeof(oid), "NTRJP-%s", num);
	if ((p->subject == KN_SUBJ_TLS_OV || p->subject == KN_SUBJ_TLS_EV) &&
	    pref == NULL) {
		X509_NAME_free(n);
		return kn_err_set(KN_ERR_STATE, "org", "the organization's "
		    "registered address does not begin with a prefecture, "
		    "which a %s certificate names (TLS BR 7.1.4.2.2): fix "
		    "the address in the registry first", p->name);
	}
#define ADD(nid, v) (ok = ok && X509_NAME_add_entry_by_NID(n, nid, \
	MBSTRING_UTF8, (const unsigned char *)(v), -1, -1, 0) == 1)
	switch (p->subject) {
	case KN_SUBJ_SPONSORED:
		/* Japanese order: family name first. */
		snprintf(cn, sizeof(cn), "%s %s", r->surname, r->given);
		ADD(NID_countryName, "JP");
		ADD(NID_organizationName, oi->name);
		ADD(NID_organizationIdentifier, oid);
		ADD(NID_surname, r->surname);
		ADD(NID_givenName, r->given);
		ADD(NID_commonName, cn);
		break;
	case KN_SUBJ_ORG:
		ADD(NID_countryName, "JP");
		ADD(NID_organizationName, oi->name);
		ADD(NID_organizationIdentifier, oid);
		ADD(NID_commonName, oi->name);
		break;
	case KN_SUBJ_TLS_DV:
		ADD(NID_commonName, dns[0]);
		break;
	case KN_SUBJ_TLS_EV:
		ADD(NID_countryName, "JP");
		ADD(NID_stateOrProvinceName, pref);
		ADD(NID_organizationName, oi->name);
		ADD(NID_businessCategory, business_category(oi->kind,
		    oi->name));
		ADD(NID_jurisdictionCountryName, "JP");
		ADD(NID_serialNumber, num);
		ADD(NID_commonName, dns[0]);
		break;
	default:
		ADD(NID_countryName, "JP");
		if (pref != NULL)
			ADD(NID_stateOrProvinceName, pref);
		ADD(NID_organizationName, oi->name);
		if (ndns > 0)
			ADD(NID_commonName, dns[0]);
		break;
	}
#undef ADD
	if (!ok) {
		X509_NAME_free(n);
		return kn_err_set(KN_ERR_INVAL, "subject", "the subject cannot "
		    "be built from the registry and the request");
	}
	*out = n;
	return 0;
}

static int
make_p12(X509 *x, EVP_PKEY *key, X509 *issuer, char pw[KN_P12_PASSWORD],
    char **b64)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	unsigned char raw[20], *der = NULL;
	PKCS12 *p12 = NULL;
	int len, rc = KN_ERR_CRYPTO;

	if (chain == NULL || !sk_X509_push(chain, issuer))
		goto out;
	if ((rc = kn_random(raw, sizeof(raw))) != 0)
		goto out;
	kn_base64url(pw, raw, sizeof(raw));
	rc = KN_ERR_CRYPTO;
	/* PBES2 with AES-256-CBC for key and certificates, SHA-256 MAC. */
	p12 = PKCS12_create_ex(pw, "kakuin", key, x, chain, NID_aes_256_cbc,
	    NID_aes_256_cbc, PKCS12_DEFAULT_ITER, PKCS12_DEFAULT_ITER, 0,
	    NULL, NULL);
	if (p12 == NULL || PKCS12_set_mac(p12, pw, -1, NULL, 0,
	    PKCS12_DEFAULT_ITER, EVP_sha256()) != 1 ||
	    (len = i2d_PKCS12(p12, &der)) <= 0 ||
	    (*b64 = kn__b64(der, (size_t)len)) == NULL)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(pw, KN_P12_PASSWORD);
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(chain);
	return rc;
}

int
kn_cert_approve(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const struct kn_principal *officer, int64_t id,
    const struct kn_identity_check *idc, char serial[KN_SERIAL_HEX],
    char p12_password[KN_P12_PASSWORD])
{
	const struct kn_profile *p;
	struct reqrow r;
	struct kn_ca ca;
	struct kn_build b;
	struct kn_stmt *st = NULL;
	struct kn_buf url, detail;
	struct kn_jw w;
	X509 *x = NULL, *cacert = NULL;
	X509_NAME *subj = NULL;
	X509_REQ *csr = NULL;
	EVP_PKEY *pub = NULL, *cakey = NULL;
	char *emails[KN_MAX_NAMES], *dns[KN_MAX_NAMES];
	struct orginfo oi = { NULL, NULL, NULL };
	char *pem = NULL, *subject = NULL, *p12 = NULL, nb[21], na[21];
	char now[21], spki[65];
	size_t nemails, ndns;
	int64_t shard;
	int rc;

	memset(&ca, 0, sizeof(ca));
	memset(&r, 0, sizeof(r));
	p12_password[0] = '\0';
	kn_buf_init(&url, 1024);
	kn_buf_init(&detail, 8192);
	if (idc == NULL || idc->who == NULL || *idc->who == '\0' ||
	    idc->how == NULL || *idc->how == '\0') {
		rc = kn_err_set(KN_ERR_INVAL, "identity", "record the identity "
		    "check: who checked the person and how (S/MIME BR "
		    "3.2.4)");
		goto out;
	}
	if ((rc = kn_check_text("identity.who", idc->who, 200, false)) != 0 ||
	    (rc = kn_check_text("identity.how", idc->how, 200, false)) != 0 ||
	    (idc->ref != NULL && (rc = kn_check_text("identity.ref",
	    idc->ref, 200, false)) != 0))
		goto out;
	if ((rc = load_request(db, id, &r)) != 0)
		goto out;
	if (strcmp(r.status, "pending") != 0) {
		rc = kn_err_set(KN_ERR_STATE, "request", "request %lld was "
		    "already %s%s%s", (long long)id, r.status,
		    r.serial ? " as serial " : "", r.serial ? r.serial : "");
		goto out;
	}
	if ((rc = may_act_for(officer, r.org)) != 0)
		goto out;
	if ((p = kn_profile_find(r.profile)) == NULL) {
		rc = kn_err_set(KN_ERR_STATE, "profile", "profile %s is no "
		    "longer offered", r.profile);
		goto out;
	}
	/* Again now: the organization or its domains may have changed. */
	nemails = split(r.emails, emails, KN_MAX_NAMES);
	ndns = split(r.dns, dns, KN_MAX_NAMES);
	if ((rc = org_for_issue(db, r.org, &oi)) != 0 ||
	    (rc = names_verified(db, r.org, emails, nemails, dns,
	    ndns)) != 0)
		goto out;
	if ((rc = kn__ca_by_id(db, &ca, r.ca_id)) != 0 ||
	    (rc = kn__ca_keys(env, &ca, &cacert, &cakey)) != 0)
		goto out;
	if (r.keygen != NULL) {
		enum kn_keyalg alg;

		if ((rc = kn_keyalg_parse(&alg, r.keygen)) != 0)
			goto out;
		if ((pub = kn__keygen(alg)) == NULL) {
			rc = KN_ERR_CRYPTO;
			goto out;
		}
	} else if ((!csr_cache_take(r.id, r.csr_pem, &csr, &pub, spki) &&
	    (rc = parse_csr(r.csr_pem, p, false, &pub, spki, &csr)) != 0) ||
	    (rc = key_not_compromised(db, spki)) != 0)
		goto out;
	if ((rc = subscriber_subject(&subj, p, r.org, &oi, &r, dns,
	    ndns)) != 0)
		goto out;
	kn_buf_putf(&url, "%s/orgs/%013lld", env->base_url, (long long)r.org);
	shard = ca.shard_size > 0 ? ca.issued / ca.shard_size : 0;
	memset(&b, 0, sizeof(b));
	b.p = p;
	b.pub = pub;
	b.spki = csr ? X509_REQ_get_X509_PUBKEY(csr) : NULL;
	b.subject = subj;
	b.emails = (const char *const *)emails;
	b.nemails = nemails;
	b.dns = (const char *const *)dns;
	b.ndns = ndns;
	b.days = (int)r.days;
	b.issuer = cacert;
	b.issuer_key = cakey;
	b.issuer_name = ca.name;
	b.shard = shard;
	b.base_url = env->base_url;
	/* The registry page only where the organization is in the
	 * subject; TLS carries it only as an https:// URL (kakuin
	 * profile rule: relying software may follow it). */
	b.registry_url = url.failed || !p->org_bound ? NULL : url.data;
	if (p->kind == KN_PROF_TLS && b.registry_url != NULL &&
	    strncmp(b.registry_url, "https://", 8) != 0)
		b.registry_url = NULL;
	if ((rc = kn__issue(&x, serial, &b)) != 0)
		goto out;
	if (r.keygen != NULL && (rc = kn__spki_hash(X509_get_X509_PUBKEY(x),
	    spki)) != 0)
		goto out;
	if ((pem = kn__x509_pem(x)) == NULL ||
	    (subject = kn__name_str(X509_get_subject_name(x))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if (r.keygen != NULL && (rc = make_p12(x, pub, cacert, p12_password,
	    &p12)) != 0)
		goto out;
	kn__asn1_time(nb, X509_get0_notBefore(x));
	kn__asn1_time(na, X509_get0_notAfter(x));
	/*
	 * Everything above (checks, key, build, lint, signatures) ran
	 * without the write lock, so approvals proceed side by side; what
	 * it relied on is checked again under the lock before anything is
	 * stored.  A certificate signed but not stored was never shown to
	 * anyone and is dropped.
	 */
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	orginfo_cleanup(&oi);
	if ((rc = org_for_issue(db, r.org, &oi)) != 0 ||
	    (rc = names_verified(db, r.org, emails, nemails, dns,
	    ndns)) != 0 ||
	    (r.keygen == NULL && (rc = key_not_compromised(db, spki)) != 0))
		goto out;
	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO certs (serial, ca_id, "
	    "request_id, org_number, profile, subject, emails, dns_names, "
	    "not_before, not_after, status, shard, cert_pem, created_at, "
	    "spki_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'valid', ?, "
	    "?, ?, ?)")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 2, ca.id)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 3, r.id)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 4, r.org)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, p->name)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, subject)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, nemails ? r.emails : NULL)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 8, ndns ? r.dns : NULL)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 9, nb)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 10, na)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 11, shard)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 12, pem)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 13, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 14, spki)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	/* Only a pending request is turned into a certificate. */
	if ((rc = kn_db_stmt(db, &st, "UPDATE cert_requests SET "
	    "status = 'issued', decided_by = ?, decided_at = ?, "
	    "identity_who = ?, identity_how = ?, identity_ref = ?, "
	    "serial = ?, p12 = ? WHERE id = ? AND status = 'pending'")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, idc->who)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, idc->how)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, idc->ref)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, serial)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, p12)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 8, r.id)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	if (kn_stmt_changes(st) != 1) {
		rc = kn_err_set(KN_ERR_STATE, "request", "request %lld was "
		    "decided by someone else meanwhile", (long long)id);
		goto out;
	}
	kn_stmt_done(st);
	if ((rc = kn_db_stmt(db, &st, "UPDATE cas SET issued = issued + 1 "
	    "WHERE id = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, ca.id)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	kn_jw_init(&w, &detail);
	kn_jw_obj(&w);
	kn_jw_key(&w, "request");
	kn_jw_int(&w, r.id);
	kn_jw_kstr(&w, "ca", ca.name);
	kn_jw_kstr(&w, "profile", p->name);
	kn_jw_kstr(&w, "subject", subject);
	kn_jw_kstr(&w, "not_after", na);
	kn_jw_kstr(&w, "identity_who", idc->who);
	kn_jw_kstr(&w, "identity_how", idc->how);
	kn_jw_kstr(&w, "identity_ref", idc->ref);
	kn_jw_key(&w, "ca_generated_key");
	kn_jw_bool(&w, r.keygen != NULL);
	kn_jw_end_obj(&w);
	{
		char obj[64];

		snprintf(obj, sizeof(obj), "cert:%s", serial);
		if ((rc = kn__audit(db, actor, "cert.issue", obj,
		    &detail)) != 0)
			goto out;
	}
	/* Durable before anyone is told the serial (synchronous=FULL). */
	rc = kn_db_commit(db);
out:
	if (rc != 0)
		OPENSSL_cleanse(p12_password, KN_P12_PASSWORD);
	kn_stmt_done(st);
	kn_db_rollback(db);
	reqrow_cleanup(&r);
	kn_ca_cleanup(&ca);
	kn_buf_cleanup(&url);
	kn_buf_cleanup(&detail);
	X509_NAME_free(subj);
	X509_free(x);
	X509_free(cacert);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(cakey);
	X509_REQ_free(csr);
	orginfo_cleanup(&oi);
	free(pem);
	free(subject);
	free(p12);
	return rc;
}

int
kn_cert_reject(struct kn_db *db, const char *actor,
    const struct kn_principal *officer, int64_t id, const char *reason)
{
	struct kn_stmt *st = NULL;
	struct reqrow r;
	struct kn_buf detail;
	struct kn_jw w;
	char now[21], obj[48];
	int rc;

	memset(&r, 0, sizeof(r));
	kn_buf_init(&detail, 2048);
	if (reason == NULL || *reason == '\0')
		return kn_err_set(KN_ERR_INVAL, "reason", "say why the request "
		    "is rejected");
	if ((rc = kn_check_text("reason", reason, 500, false)) != 0)
		return rc;
	if ((rc = kn_db_begin(db)) != 0)
		return rc;
	if ((rc = load_request(db, id, &r)) != 0)
		goto out;
	if (strcmp(r.status, "pending") != 0) {
		rc = kn_err_set(KN_ERR_STATE, "request", "request %lld was "
		    "already %s", (long long)id, r.status);
		goto out;
	}
	if ((rc = may_act_for(officer, r.org)) != 0)
		goto out;
	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "UPDATE cert_requests SET "
	    "status = 'rejected', decided_by = ?, decided_at = ?, "
	    "decision = ? WHERE id = ? AND status = 'pending'")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, reason)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 4, id)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	kn_jw_init(&w, &detail);
	kn_jw_obj(&w);
	kn_jw_kstr(&w, "reason", reason);
	kn_jw_end_obj(&w);
	snprintf(obj, sizeof(obj), "request:%lld", (long long)id);
	if ((rc = kn__audit(db, actor, "cert.reject", obj, &detail)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	reqrow_cleanup(&r);
	kn_buf_cleanup(&detail);
	return rc;
}
