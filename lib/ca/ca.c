/* ca.c - the CA hierarchy: roots and issuing CAs, their keys and certs. */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "ca/ca_int.h"
#include "store/db.h"

#define UB_COMMON_NAME	64	/* characters (RFC 5280 appendix A.1) */

#define DEFAULT_SHARD_SIZE 100000

void
kn_ca_cleanup(struct kn_ca *ca)
{
	free(ca->key_uri);
	free(ca->cert_pem);
	free(ca->subject);
	memset(ca, 0, sizeof(*ca));
}

bool
kn_valid_ca_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > KN_CA_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-'))
			return false;
	}
	return true;
}

int
kn__audit(struct kn_db *db, const char *actor, const char *action,
    const char *object, const struct kn_buf *detail)
{
	if (detail->failed)
		return KN_ERR_NOMEM;
	return kn_audit_append(db, actor, action, object, detail->data, NULL);
}

char *
kn__b64(const unsigned char *p, size_t n)
{
	size_t cap = 4 * ((n + 2) / 3) + 1;
	char *s = malloc(cap);

	if (s != NULL && EVP_EncodeBlock((unsigned char *)s, p, (int)n) < 0) {
		free(s);
		s = NULL;
	}
	return s;
}

int
kn__unb64(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s);
	unsigned char *p;
	int m;

	if (n % 4 != 0 || (p = malloc(n / 4 * 3 + 1)) == NULL)
		return KN_ERR_INVAL;
	if ((m = EVP_DecodeBlock(p, (const unsigned char *)s, (int)n)) < 0) {
		free(p);
		return KN_ERR_INVAL;
	}
	/* EVP_DecodeBlock counts the padding as data. */
	if (n >= 1 && s[n - 1] == '=')
		m--;
	if (n >= 2 && s[n - 2] == '=')
		m--;
	*out = p;
	*len = (size_t)m;
	return 0;
}

void
kn__read_ca(struct kn_stmt *st, struct kn_ca *ca)
{
	memset(ca, 0, sizeof(*ca));
	ca->id = kn_stmt_int64(st, 0);
	snprintf(ca->name, sizeof(ca->name), "%s", kn_stmt_text(st, 1));
	ca->parent_id = kn_stmt_int64(st, 2);
	ca->key_uri = strdup(kn_stmt_text(st, 3));
	ca->cert_pem = strdup(kn_stmt_text(st, 4));
	ca->subject = strdup(kn_stmt_text(st, 5));
	snprintf(ca->serial, sizeof(ca->serial), "%s", kn_stmt_text(st, 6));
	snprintf(ca->not_before, sizeof(ca->not_before), "%s",
	    kn_stmt_text(st, 7));
	snprintf(ca->not_after, sizeof(ca->not_after), "%s",
	    kn_stmt_text(st, 8));
	ca->issued = kn_stmt_int64(st, 9);
	ca->crl_number = kn_stmt_int64(st, 10);
	ca->shard_size = kn_stmt_int64(st, 11);
	snprintf(ca->profile, sizeof(ca->profile), "%s",
	    kn_stmt_text(st, 12) ? kn_stmt_text(st, 12) : "");
}

bool
kn__ca_can_issue(const struct kn_profile *ca, const struct kn_profile *leaf)
{
	size_t i, k;

	if (ca == NULL || ca->kind == KN_PROF_ROOT)
		return false;
	if (ca->eku[0] == 0)
		return true;
	for (i = 0; i < KN_MAX_EKU && leaf->eku[i] != 0; i++) {
		for (k = 0; k < KN_MAX_EKU && ca->eku[k] != 0; k++) {
			if (ca->eku[k] == leaf->eku[i])
				break;
		}
		if (k == KN_MAX_EKU || ca->eku[k] == 0)
			return false;
	}
	return true;
}

static int
get_where(struct kn_db *db, struct kn_ca *out, const char *sql,
    const char *name, int64_t id)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, sql)) != 0)
		return rc;
	rc = name ? kn_stmt_bind_text(st, 1, name) :
	    kn_stmt_bind_int64(st, 1, id);
	if (rc == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		kn__read_ca(st, out);
		rc = out->key_uri && out->cert_pem && out->subject ? 0 :
		    KN_ERR_NOMEM;
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "ca", "no CA %s (kakuin ca "
		    "list shows them; kakuin ca init makes the first)",
		    name ? name : "with that id");
	kn_stmt_done(st);
	return rc;
}

int
kn_ca_get(struct kn_db *db, struct kn_ca *out, const char *name)
{
	return get_where(db, out, "SELECT " KN_CA_COLS " FROM cas "
	    "WHERE name = ?", name, 0);
}

int
kn__ca_by_id(struct kn_db *db, struct kn_ca *out, int64_t id)
{
	return get_where(db, out, "SELECT " KN_CA_COLS " FROM cas "
	    "WHERE id = ?", NULL, id);
}

int
kn_ca_default_issuer(struct kn_db *db, struct kn_ca *out,
    const char *profile)
{
	const struct kn_profile *leaf = kn_profile_find(profile);
	struct kn_stmt *st;
	bool any = false;
	int rc;

	if (leaf == NULL)
		return kn_err_set(KN_ERR_INVAL, "profile", "unknown profile %s",
		    profile);
	if ((rc = kn_db_stmt(db, &st, "SELECT " KN_CA_COLS " FROM cas "
	    "WHERE parent_id IS NOT NULL ORDER BY id DESC")) != 0)
		return rc;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		any = true;
		kn__read_ca(st, out);
		if (kn__ca_can_issue(kn_profile_find(out->profile), leaf))
			break;
		kn_ca_cleanup(out);
	}
	kn_stmt_done(st);
	if (rc == KN_ROW)
		return 0;
	if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "ca", any ? "no issuing CA "
		    "may issue %s certificates (kakuin ca add NAME --profile "
		    "...)" : "there is no issuing CA yet: run kakuin ca init",
		    profile);
	return rc;
}

int
kn_ca_list(struct kn_db *db, struct kn_ca **out, size_t *n)
{
	struct kn_stmt *st;
	struct kn_ca *v = NULL;
	size_t cap = 0, count = 0;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT " KN_CA_COLS " FROM cas "
	    "ORDER BY COALESCE(parent_id, 0), id")) != 0)
		return rc;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		if ((rc = kn_reserve(&v, &cap, count, sizeof(*v), 10000)) != 0)
			break;
		kn__read_ca(st, &v[count++]);
	}
	kn_stmt_done(st);
	if (rc < 0) {
		kn_ca_list_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

void
kn_ca_list_free(struct kn_ca *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kn_ca_cleanup(&v[i]);
	free(v);
}

/* Parsed CA certificates, by CA id and serial: issuing parses its CA's
 * certificate for every certificate otherwise. */
#define CA_CACHE 16
static struct {
	int64_t	 id;
	char	 serial[KN_SERIAL_HEX];
	X509	*x;
} ca_cache[CA_CACHE];
static pthread_mutex_t ca_cache_mu = PTHREAD_MUTEX_INITIALIZER;

X509 *
kn__ca_cert(const struct kn_ca *ca)
{
	X509 *x = NULL;
	size_t i;

	pthread_mutex_lock(&ca_cache_mu);
	for (i = 0; i < CA_CACHE; i++) {
		if (ca_cache[i].x != NULL && ca_cache[i].id == ca->id &&
		    strcmp(ca_cache[i].serial, ca->serial) == 0) {
			x = ca_cache[i].x;
			X509_up_ref(x);
			break;
		}
	}
	if (x == NULL && (x = kn__pem_x509(ca->cert_pem)) != NULL) {
		i = (size_t)ca->id % CA_CACHE;
		X509_free(ca_cache[i].x);
		ca_cache[i].id = ca->id;
		snprintf(ca_cache[i].serial, sizeof(ca_cache[i].serial), "%s",
		    ca->serial);
		ca_cache[i].x = x;
		X509_up_ref(x);
	}
	pthread_mutex_unlock(&ca_cache_mu);
	return x;
}

void
kn__drop_key(const struct kn_ca_env *env, const char *uri)
{
	struct kn_error saved = *kn_err_get();

	if (uri != NULL && kn_key_destroy(env->ks, uri) != 0) {
		/* The key stays, unused, as it did before. */
	}
	*kn_err_get_mut() = saved;
}

int
kn__ca_keys(const struct kn_ca_env *env, const struct kn_ca *ca, X509 **cert,
    EVP_PKEY **key)
{
	int rc;

	if ((*cert = kn__ca_cert(ca)) == NULL)
		return kn_err_set(KN_ERR_INTERNAL, "ca", "the certificate of "
		    "CA %s cannot be read", ca->name);
	if ((rc = kn_key_load(env->ks, ca->key_uri, key)) != 0) {
		X509_free(*cert);
		*cert = NULL;
		return rc;
	}
	return 0;
}

X509_NAME *
kn__operator_name(const struct kn_ca_env *env, const char *what,
    const char *suffix)
{
	X509_NAME *n = X509_NAME_new();
	char cn[512];
	size_t len;

	/* ub-common-name is 64 characters (RFC 5280 appendix A.1): the
	 * operator's name goes (it is the organizationName too) when the
	 * whole would be longer, and a longer rest is cut at a character. */
	snprintf(cn, sizeof(cn), "%s %s%s", env->operator_name, what, suffix);
	if (kn_utf8_count(cn, strlen(cn)) > UB_COMMON_NAME)
		snprintf(cn, sizeof(cn), "%s%s", what, suffix);
	len = strlen(cn);
	if (!kn_valid_utf8(cn, len)) {
		X509_NAME_free(n);
		return NULL;
	}
	while (len > 0 && kn_utf8_count(cn, len) > UB_COMMON_NAME) {
		do
			len--;
		while (len > 0 && ((unsigned char)cn[len] & 0xc0) == 0x80);
		cn[len] = '\0';
	}
	if (n == NULL ||
	    X509_NAME_add_entry_by_NID(n, NID_countryName, MBSTRING_ASC,
	    (const unsigned char *)"JP", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_NID(n, NID_organizationName, MBSTRING_UTF8,
	    (const unsigned char *)env->operator_name, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static int
create(struct kn_db *db, const struct kn_ca_env *env, const char *actor,
    const char *name, const char *parent, const char *profile, int days,
    struct kn_ca *out)
{
	const struct kn_profile *p = kn_profile_find(parent ? (profile ?
	    profile : "sub-ca") : "root-ca");
	struct kn_ca up;
	struct kn_build b;
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	EVP_PKEY *key = NULL, *pkey = NULL;
	X509 *x = NULL, *upcert = NULL;
	X509_NAME *subj = NULL;
	char serial[KN_SERIAL_HEX], nb[21], na[21], label[64], *uri = NULL;
	char *pem = NULL, *subject = NULL, now[21];
	bool committed = false;
	int rc;

	memset(&up, 0, sizeof(up));
	kn_buf_init(&detail, 4096);
	if (p == NULL || (parent != NULL && p->kind != KN_PROF_SUBCA))
		return kn_err_set(KN_ERR_INVAL, "profile", "%s is not an "
		    "issuing CA profile (sub-ca, sub-ca-smime, sub-ca-tls)",
		    profile ? profile : "(none)");
	if (!kn_valid_ca_name(name))
		return kn_err_set(KN_ERR_INVAL, "name", "CA names are 1-32 "
		    "characters of a-z, 0-9 and '-', starting with a letter");
	if (days <= 0)
		days = p->default_days;
	if (days > p->max_days)
		return kn_err_set(KN_ERR_INVAL, "days", "a %s certificate may "
		    "be valid at most %d days (%s)", p->name, p->max_days,
		    p->rules);
	rc = kn_ca_get(db, &up, name);
	kn_ca_cleanup(&up);
	if (rc == 0)
		return kn_err_set(KN_ERR_EXISTS, "name", "CA %s already "
		    "exists", name);
	if (rc != KN_ERR_NOTFOUND)
		return rc;
	kn_err_clear();
	if (parent != NULL) {
		if ((rc = kn_ca_get(db, &up, parent)) != 0)
			return rc;
		if ((rc = kn__ca_keys(env, &up, &upcert, &pkey)) != 0)
			goto out;
	}
	/* The new CA's key, in the token unless configured otherwise. */
	if (strcmp(env->key_kind, "file") == 0 && mkdir(env->key_dir,
	    0700) == -1 && errno != EEXIST) {
		rc = kn_err_set(KN_ERR_IO, "ca_keys", "cannot create %s: %s",
		    env->key_dir, strerror(errno));
		goto out;
	}
	snprintf(label, sizeof(label), "ca-%s", name);
	if ((rc = kn_key_generate(env->ks, env->key_kind, env->key_dir,
	    env->key_alg, label, &uri)) != 0 ||
	    (rc = kn_key_load(env->ks, uri, &key)) != 0)
		goto out;
	if ((subj = kn__operator_name(env, name, "")) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	memset(&b, 0, sizeof(b));
	b.p = p;
	b.pub = key;
	b.subject = subj;
	b.days = days;
	b.issuer = upcert;
	b.issuer_key = parent ? pkey : key;
	b.issuer_name = parent;
	b.base_url = env->base_url;
	if ((rc = kn__issue(&x, serial, &b)) != 0)
		goto out;
	if ((pem = kn__x509_pem(x)) == NULL ||
	    (subject = kn__name_str(X509_get_subject_name(x))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	kn__asn1_time(nb, X509_get0_notBefore(x));
	kn__asn1_time(na, X509_get0_notAfter(x));
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO cas (name, parent_id, "
	    "key_uri, cert_pem, subject, serial, not_before, not_after, "
	    "shard_size, created_at, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?) RETURNING id")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, name)) != 0 ||
	    (rc = (parent ? kn_stmt_bind_int64(st, 2, up.id) :
	    kn_stmt_bind_null(st, 2))) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, uri)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, pem)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, subject)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, serial)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, nb)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 8, na)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 9, env->shard_size > 0 ?
	    env->shard_size : DEFAULT_SHARD_SIZE)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 10, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 11, p->name)) != 0)
		goto out;
	if ((rc = kn_stmt_step(st)) != KN_ROW) {
		rc = rc < 0 ? rc : KN_ERR_DB;
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	{
		struct kn_jw w;
		char obj[64];

		kn_jw_init(&w, &detail);
		kn_jw_obj(&w);
		kn_jw_kstr(&w, "parent", parent);
		kn_jw_kstr(&w, "serial", serial);
		kn_jw_kstr(&w, "subject", subject);
		kn_jw_kstr(&w, "key", uri);
		kn_jw_kstr(&w, "not_after", na);
		kn_jw_end_obj(&w);
		snprintf(obj, sizeof(obj), "ca:%s", name);
		if ((rc = kn__audit(db, actor, parent ? "ca.create_sub" :
		    "ca.create_root", obj, &detail)) != 0)
			goto out;
	}
	/* From here the CA may be made (a commit that reports a failure
	 * may still have been applied): its key stays, whatever follows. */
	committed = true;
	if ((rc = kn_db_commit(db)) != 0)
		goto out;
	/* Its delegated OCSP responder, at once. */
	if ((rc = kn_ocsp_signer(db, env, actor, name)) != 0)
		goto out;
	if (out != NULL)
		rc = kn_ca_get(db, out, name);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	if (rc != 0 && !committed)
		kn__drop_key(env, uri);
	kn_ca_cleanup(&up);
	kn_buf_cleanup(&detail);
	X509_NAME_free(subj);
	X509_free(x);
	X509_free(upcert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pkey);
	free(subject);
	free(pem);
	free(uri);
	return rc;
}

int
kn_ca_create_root(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const char *name, int days, struct kn_ca *out)
{
	return create(db, env, actor, name, NULL, NULL, days, out);
}

int
kn_ca_create_sub(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const char *name, const char *parent,
    const char *profile, int days, struct kn_ca *out)
{
	if (parent == NULL)
		return kn_err_set(KN_ERR_INVAL, "parent", "an issuing CA needs "
		    "a parent CA");
	return create(db, env, actor, name, parent, profile, days, out);
}

int
kn_ca_check_keys(struct kn_db *db, const struct kn_ca_env *env)
{
	struct kn_ca *v = NULL;
	EVP_PKEY *k;
	size_t n = 0, i;
	int rc;

	if ((rc = kn_ca_list(db, &v, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = kn_key_load(env->ks, v[i].key_uri, &k)) == 0)
			EVP_PKEY_free(k);
		else {
			char why[sizeof(kn_err_get()->msg)];

			/* Copied first: kn_err_set() writes that buffer. */
			snprintf(why, sizeof(why), "%s", kn_err_msg(rc));
			rc = kn_err_set(rc, "ca", "the key of CA %s: %s",
			    v[i].name, why);
		}
	}
	kn_ca_list_free(v, n);
	return rc;
}
