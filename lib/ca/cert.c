/* cert.c - issued certificates: lookup, revocation, suspension, renewal,
 * the one-time PKCS#12 of a CA-generated key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "base/buf.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "ca/ca_int.h"
#include "registry/corpnum.h"
#include "store/db.h"

void
kn_cert_cleanup(struct kn_cert *c)
{
	free(c->subject);
	free(c->emails);
	free(c->dns_names);
	free(c->revoked_at);
	free(c->reason);
	free(c->cert_pem);
	memset(c, 0, sizeof(*c));
}

#define CERT_COLS "c.serial, a.name, COALESCE(c.request_id, 0), " \
	"COALESCE(c.org_number, 0), c.profile, c.subject, c.emails, " \
	"c.dns_names, c.not_before, c.not_after, c.status, c.revoked_at, " \
	"c.reason, c.cert_pem, c.shard, " \
	"(SELECT CASE WHEN r.p12 IS NULL THEN 0 ELSE 1 END FROM " \
	"cert_requests r WHERE r.id = c.request_id)"

static void
read_cert(struct kn_stmt *st, struct kn_cert *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", kn_stmt_text(st, 0));
	snprintf(c->ca, sizeof(c->ca), "%s", kn_stmt_text(st, 1));
	c->request_id = kn_stmt_int64(st, 2);
	c->org_number = kn_stmt_int64(st, 3);
	snprintf(c->profile, sizeof(c->profile), "%s", kn_stmt_text(st, 4));
	c->subject = kn_stmt_strdup(st, 5);
	c->emails = kn_stmt_strdup(st, 6);
	c->dns_names = kn_stmt_strdup(st, 7);
	snprintf(c->not_before, sizeof(c->not_before), "%s",
	    kn_stmt_text(st, 8));
	snprintf(c->not_after, sizeof(c->not_after), "%s",
	    kn_stmt_text(st, 9));
	snprintf(c->status, sizeof(c->status), "%s", kn_stmt_text(st, 10));
	c->revoked_at = kn_stmt_strdup(st, 11);
	c->reason = kn_stmt_strdup(st, 12);
	c->cert_pem = kn_stmt_strdup(st, 13);
	c->shard = kn_stmt_int64(st, 14);
	c->p12_waiting = kn_stmt_int64(st, 15) != 0;
}

int
kn_cert_get(struct kn_db *db, struct kn_cert *out, const char *in)
{
	struct kn_stmt *st;
	char serial[KN_SERIAL_HEX];
	int rc;

	if ((rc = kn__serial_norm(serial, in)) != 0)
		return rc;
	if ((rc = kn_db_stmt(db, &st, "SELECT " CERT_COLS " FROM certs c "
	    "JOIN cas a ON a.id = c.ca_id WHERE c.serial = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		read_cert(st, out);
		rc = out->cert_pem ? 0 : KN_ERR_NOMEM;
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "serial", "no certificate "
		    "with serial %s was issued here", serial);
	kn_stmt_done(st);
	return rc;
}

int
kn_cert_list(struct kn_db *db, const struct kn_cert_query *q,
    struct kn_cert **out, size_t *n)
{
	struct kn_stmt *st;
	struct kn_cert *v = NULL;
	size_t cap = 0, count = 0;
	int limit = q->limit > 0 && q->limit <= 500 ? q->limit : 50, rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT " CERT_COLS " FROM certs c "
	    "JOIN cas a ON a.id = c.ca_id WHERE (? = 0 OR c.org_number = ?) "
	    "AND (CAST(? AS TEXT) IS NULL OR c.status = ?) "
	    "ORDER BY c.created_at DESC, c.serial LIMIT ? OFFSET ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, q->org)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 2, q->org)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, q->status)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, q->status)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 5, limit)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 6, q->offset)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		if ((rc = kn_reserve(&v, &cap, count, sizeof(*v),
		    (size_t)limit)) != 0)
			break;
		read_cert(st, &v[count++]);
	}
out:
	kn_stmt_done(st);
	if (rc < 0) {
		kn_cert_list_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

void
kn_cert_list_free(struct kn_cert *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kn_cert_cleanup(&v[i]);
	free(v);
}

int
kn_request_list(struct kn_db *db, const char *status,
    struct kn_request_info **out, size_t *n)
{
	struct kn_stmt *st;
	struct kn_request_info *v = NULL;
	size_t cap = 0, count = 0;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT id, org_number, profile, "
	    "status, COALESCE(surname || ' ' || given_name, ''), emails, "
	    "dns_names, requested_by, created_at, decision, serial "
	    "FROM cert_requests WHERE (CAST(? AS TEXT) IS NULL OR "
	    "status = ?) ORDER BY id DESC LIMIT 500")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, status)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, status)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		struct kn_request_info *r;

		if ((rc = kn_reserve(&v, &cap, count, sizeof(*v), 500)) != 0)
			break;
		r = &v[count++];
		memset(r, 0, sizeof(*r));
		r->id = kn_stmt_int64(st, 0);
		r->org = kn_stmt_int64(st, 1);
		snprintf(r->profile, sizeof(r->profile), "%s",
		    kn_stmt_text(st, 2));
		snprintf(r->status, sizeof(r->status), "%s",
		    kn_stmt_text(st, 3));
		r->names = kn_stmt_strdup(st, 4);
		r->emails = kn_stmt_strdup(st, 5);
		r->dns_names = kn_stmt_strdup(st, 6);
		r->requested_by = kn_stmt_strdup(st, 7);
		r->created_at = kn_stmt_strdup(st, 8);
		r->decision = kn_stmt_strdup(st, 9);
		r->serial = kn_stmt_strdup(st, 10);
	}
out:
	kn_stmt_done(st);
	if (rc < 0) {
		kn_request_list_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

void
kn_request_list_free_one(struct kn_request_info *r)
{
	free(r->names);
	free(r->emails);
	free(r->dns_names);
	free(r->requested_by);
	free(r->created_at);
	free(r->decision);
	free(r->serial);
	memset(r, 0, sizeof(*r));
}

void
kn_request_list_free(struct kn_request_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kn_request_list_free_one(&v[i]);
	free(v);
}

/* RFC 5280 section 5.3.1 CRLReason names an end entity may be revoked
 * for. */
static const char *const reasons[] = { "unspecified", "keyCompromise",
    "affiliationChanged", "superseded", "cessationOfOperation",
    "privilegeWithdrawn", NULL };

bool
kn_valid_revocation_reason(const char *reason)
{
	size_t i;

	for (i = 0; reasons[i] != NULL; i++) {
		if (strcmp(reasons[i], reason) == 0)
			return true;
	}
	return false;
}

/* What a status change needs to know about the certificate. */
struct target {
	char	 serial[KN_SERIAL_HEX];
	char	 ca[KN_CA_NAME_MAX + 1];
	char	 status[8];
	char	 profile[48];
	int64_t	 org;
	char	*revoked_at;
	char	*code_hash;
};

static int
load_target(struct kn_db *db, const char *in, struct target *t)
{
	struct kn_stmt *st;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = kn__serial_norm(t->serial, in)) != 0)
		return rc;
	if ((rc = kn_db_stmt(db, &st, "SELECT a.name, c.status, c.profile, "
	    "COALESCE(c.org_number, 0), c.revoked_at, r.revocation_hash "
	    "FROM certs c JOIN cas a ON a.id = c.ca_id LEFT JOIN "
	    "cert_requests r ON r.id = c.request_id WHERE c.serial = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, t->serial)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		snprintf(t->ca, sizeof(t->ca), "%s", kn_stmt_text(st, 0));
		snprintf(t->status, sizeof(t->status), "%s",
		    kn_stmt_text(st, 1));
		snprintf(t->profile, sizeof(t->profile), "%s",
		    kn_stmt_text(st, 2));
		t->org = kn_stmt_int64(st, 3);
		t->revoked_at = kn_stmt_strdup(st, 4);
		t->code_hash = kn_stmt_strdup(st, 5);
		rc = 0;
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "serial", "no certificate "
		    "with serial %s was issued here", t->serial);
	kn_stmt_done(st);
	return rc;
}

static void
target_cleanup(struct target *t)
{
	free(t->revoked_at);
	free(t->code_hash);
	memset(t, 0, sizeof(*t));
}

/* An officer (bound to the certificate's organization, if bound at all),
 * the data directory's owner, or the subscriber with the code. */
static int
authorize(const struct kn_principal *officer, const char *code,
    const struct target *t)
{
	unsigned char d[32];
	unsigned int dl;
	char hex[65];

	if (code != NULL) {
		if (t->code_hash == NULL || strlen(code) > 256)
			return kn_err_set(KN_ERR_AUTH, "code", "the revocation "
			    "code does not match this certificate");
		EVP_Digest(code, strlen(code), d, &dl, EVP_sha256(), NULL);
		kn_hex(hex, d, sizeof(d));
		if (CRYPTO_memcmp(hex, t->code_hash, 64) != 0)
			return kn_err_set(KN_ERR_AUTH, "code", "the revocation "
			    "code does not match this certificate");
		return 0;
	}
	if (officer != NULL && officer->org_number != 0 &&
	    officer->org_number != t->org)
		return kn_err_set(KN_ERR_PERM, "officer", "officer %s is a "
		    "local RA officer of another organization",
		    officer->name);
	return 0;
}

/* Moves serial from status `from` to `to` with the audit row.  The
 * caller signs the CA's new CRL afterwards (kn_crl_generate). */
static int
change(struct kn_db *db, const struct kn_ca_env *env, const char *actor,
    const struct target *t, const char *to, const char *reason,
    const char *action)
{
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	struct kn_jw w;
	char now[21], obj[64];
	int rc;

	kn_buf_init(&detail, 1024);
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = kn_db_stmt(db, &st, "UPDATE certs SET status = ?, "
	    "revoked_at = ?, reason = ?, revoked_by = ? "
	    "WHERE serial = ? AND status = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, to)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, strcmp(to, "valid") == 0 ? NULL :
	    now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, reason)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, strcmp(to, "valid") == 0 ? NULL :
	    actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, t->serial)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, t->status)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	if (kn_stmt_changes(st) != 1) {
		rc = kn_err_set(KN_ERR_BUSY, "serial", "the certificate changed "
		    "meanwhile; look again");
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	/* Its pre-signed OCSP answer no longer holds: the next asker gets
	 * one signed with the new status. */
	if ((rc = kn__ocsp_forget(db, t->serial)) != 0)
		goto out;
	kn_jw_init(&w, &detail);
	kn_jw_obj(&w);
	kn_jw_kstr(&w, "from", t->status);
	kn_jw_kstr(&w, "to", to);
	kn_jw_kstr(&w, "reason", reason);
	kn_jw_end_obj(&w);
	snprintf(obj, sizeof(obj), "cert:%s", t->serial);
	if ((rc = kn__audit(db, actor, action, obj, &detail)) != 0)
		goto out;
	if ((rc = kn_db_commit(db)) == 0)
		kn__ocsp_resign(db, env, t->serial);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&detail);
	return rc;
}

int
kn_cert_revoke(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const struct kn_principal *officer,
    const char *serial, const char *reason, const char *code)
{
	struct target t;
	int rc;

	if (reason == NULL || !kn_valid_revocation_reason(reason))
		return kn_err_set(KN_ERR_INVAL, "reason", "reason must be one "
		    "of keyCompromise, affiliationChanged, superseded, "
		    "cessationOfOperation, privilegeWithdrawn, unspecified "
		    "(RFC 5280 section 5.3.1)");
	if ((rc = load_target(db, serial, &t)) != 0)
		return rc;
	if (strcmp(t.status, "revoked") == 0)
		rc = kn_err_set(KN_ERR_STATE, "serial", "certificate %s was "
		    "already revoked on %s", t.serial, t.revoked_at ?
		    t.revoked_at : "an earlier date");
	else if ((rc = authorize(officer, code, &t)) == 0)
		rc = change(db, env, actor, &t, "revoked", reason,
		    "cert.revoke");
	target_cleanup(&t);
	return rc;
}

int
kn_cert_suspend(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const struct kn_principal *officer,
    const char *serial)
{
	const struct kn_profile *p;
	struct target t;
	int rc;

	if ((rc = load_target(db, serial, &t)) != 0)
		return rc;
	p = kn_profile_find(t.profile);
	if (p == NULL || !p->allow_hold)
		rc = kn_err_set(KN_ERR_STATE, "serial", "certificates of "
		    "profile %s cannot be suspended (S/MIME BR 4.9.13: no "
		    "certificateHold for Strict); revoke it instead",
		    t.profile);
	else if (strcmp(t.status, "valid") != 0)
		rc = kn_err_set(KN_ERR_STATE, "serial", "certificate %s is %s, "
		    "not valid", t.serial, t.status);
	else if ((rc = authorize(officer, NULL, &t)) == 0)
		rc = change(db, env, actor, &t, "hold", "certificateHold",
		    "cert.suspend");
	target_cleanup(&t);
	return rc;
}

int
kn_cert_resume(struct kn_db *db, const struct kn_ca_env *env,
    const char *actor, const struct kn_principal *officer,
    const char *serial)
{
	struct target t;
	int rc;

	if ((rc = load_target(db, serial, &t)) != 0)
		return rc;
	if (strcmp(t.status, "hold") != 0)
		rc = kn_err_set(KN_ERR_STATE, "serial", "certificate %s is %s, "
		    "not suspended", t.serial, t.status);
	else if ((rc = authorize(officer, NULL, &t)) == 0)
		rc = change(db, env, actor, &t, "valid", NULL, "cert.resume");
	target_cleanup(&t);
	return rc;
}

int
kn_cert_renew(struct kn_db *db, const char *actor, const char *in_serial,
    const char *csr_pem, int64_t *id, char code[KN_REVOCATION_CODE])
{
	struct kn_cert_request_in in;
	struct kn_stmt *st;
	char serial[KN_SERIAL_HEX], *emails = NULL, *dns = NULL, *csr = NULL;
	char *keygen = NULL, *given = NULL, *surname = NULL, *ca = NULL;
	char profile[48];
	int rc;

	memset(&in, 0, sizeof(in));
	if ((rc = kn__serial_norm(serial, in_serial)) != 0)
		return rc;
	if ((rc = kn_db_stmt(db, &st, "SELECT r.org_number, r.profile, "
	    "a.name, r.csr_pem, r.keygen, r.given_name, r.surname, r.emails, "
	    "r.dns_names, c.status FROM certs c JOIN cert_requests r ON "
	    "r.id = c.request_id JOIN cas a ON a.id = c.ca_id "
	    "WHERE c.serial = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		in.org = kn_stmt_int64(st, 0);
		snprintf(profile, sizeof(profile), "%s", kn_stmt_text(st, 1));
		ca = kn_stmt_strdup(st, 2);
		csr = kn_stmt_strdup(st, 3);
		keygen = kn_stmt_strdup(st, 4);
		given = kn_stmt_strdup(st, 5);
		surname = kn_stmt_strdup(st, 6);
		emails = kn_stmt_strdup(st, 7);
		dns = kn_stmt_strdup(st, 8);
		/* A revoked certificate's key is not reused: re-key. */
		if (strcmp(kn_stmt_text(st, 9), "revoked") == 0 &&
		    csr_pem == NULL && kn_stmt_is_null(st, 4))
			rc = kn_err_set(KN_ERR_STATE, "csr", "certificate %s "
			    "is revoked: renew it only with a new key (give a "
			    "new CSR)", serial);
		else
			rc = 0;
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "serial", "no certificate "
		    "with serial %s was issued here", serial);
	kn_stmt_done(st);
	if (rc != 0)
		goto out;
	in.profile = profile;
	in.ca = ca;
	/* Re-key with a new CSR; otherwise the same key (or, for a key the
	 * CA generated, a new one of the same kind). */
	in.csr_pem = csr_pem ? csr_pem : (keygen ? NULL : csr);
	in.keygen = csr_pem ? NULL : keygen;
	in.given_name = given;
	in.surname = surname;
	{
		char *p;

		for (p = emails; p != NULL && in.nemails < KN_MAX_NAMES;) {
			in.emails[in.nemails++] = p;
			if ((p = strchr(p, ',')) != NULL)
				*p++ = '\0';
		}
		for (p = dns; p != NULL && in.ndns < KN_MAX_NAMES;) {
			in.dns[in.ndns++] = p;
			if ((p = strchr(p, ',')) != NULL)
				*p++ = '\0';
		}
	}
	in.renewal_of = serial;
	rc = kn_cert_request(db, actor, &in, id, code);
out:
	free(ca);
	free(csr);
	free(keygen);
	free(given);
	free(surname);
	free(emails);
	free(dns);
	return rc;
}

int
kn_cert_take_p12(struct kn_db *db, const char *actor, const char *in,
    unsigned char **der, size_t *len)
{
	struct kn_stmt *st = NULL;
	char serial[KN_SERIAL_HEX], obj[64], *b64 = NULL;
	int rc;

	if ((rc = kn__serial_norm(serial, in)) != 0)
		return rc;
	if ((rc = kn_db_begin(db)) != 0)
		return rc;
	if ((rc = kn_db_stmt(db, &st, "SELECT p12 FROM cert_requests WHERE "
	    "serial = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW && !kn_stmt_is_null(st, 0)) {
		b64 = kn_stmt_strdup(st, 0);
		rc = b64 ? 0 : KN_ERR_NOMEM;
	} else if (rc >= 0)
		rc = kn_err_set(KN_ERR_NOTFOUND, "serial", "no PKCS#12 is "
		    "waiting for %s: it is handed out once, and only for keys "
		    "the CA generated", serial);
	kn_stmt_done(st);
	st = NULL;
	if (rc != 0)
		goto out;
	if ((rc = kn_db_stmt(db, &st, "UPDATE cert_requests SET p12 = NULL "
	    "WHERE serial = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, serial)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	snprintf(obj, sizeof(obj), "cert:%s", serial);
	if ((rc = kn_audit_append(db, actor, "cert.p12_delivered", obj, "{}",
	    NULL)) != 0)
		goto out;
	if ((rc = kn__unb64(b64, der, len)) != 0)
		goto out;
	if ((rc = kn_db_commit(db)) != 0) {
		free(*der);
		*der = NULL;
	}
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	free(b64);
	return rc;
}
