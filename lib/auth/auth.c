/* auth.c - operators, argon2id passwords, bearer tokens. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "base/buf.h"
#include "base/text.h"
#include "store/db.h"

/* argon2id parameters: RFC 9106 section 4, second recommended option
 * (64 MiB, 3 passes), with 1 lane per request thread. */
#define ARGON_T 3
#define ARGON_M (64 * 1024)
#define ARGON_P 1
#define ARGON_SALT 16
#define ARGON_HASH 32
#define ENCODED_MAX 160

bool
kn_valid_username(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (i > 0 && (c == '.' || c == '_' || c == '-'))))
			return false;
	}
	return true;
}

int
kn_password_hash(char *out, size_t outlen, const char *password)
{
	unsigned char salt[ARGON_SALT];
	int rc;

	if ((rc = kn_random(salt, sizeof(salt))) != 0)
		return rc;
	rc = argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, password,
	    strlen(password), salt, sizeof(salt), ARGON_HASH, out, outlen);
	if (rc != ARGON2_OK)
		return kn_err_set(KN_ERR_CRYPTO, NULL, "argon2id: %s",
		    argon2_error_message(rc));
	return 0;
}

bool
kn_password_check(const char *encoded, const char *password)
{
	return argon2id_verify(encoded, password, strlen(password)) ==
	    ARGON2_OK;
}

static void
token_hash(char out[65], const char *token)
{
	unsigned char d[32];
	unsigned int n;

	EVP_Digest(token, strlen(token), d, &n, EVP_sha256(), NULL);
	kn_hex(out, d, sizeof(d));
}

int
kn_user_add(struct kn_db *db, const char *actor, const char *name,
    const char *role, const char *password)
{
	return kn_user_add_org(db, actor, name, role, password, 0);
}

int
kn_user_add_org(struct kn_db *db, const char *actor, const char *name,
    const char *role, const char *password, int64_t org)
{
	struct kn_stmt *st = NULL;
	char enc[ENCODED_MAX], now[21], obj[80], detail[128];
	int rc;

	if (!kn_valid_username(name))
		return kn_err_set(KN_ERR_INVAL, "name", "user names are 1-64 "
		    "characters of a-z, 0-9, '.', '_' and '-', starting with "
		    "a letter or digit");
	if (strcmp(role, "admin") != 0 && strcmp(role, "ra") != 0)
		return kn_err_set(KN_ERR_INVAL, "role", "role must be admin "
		    "or ra");
	if (org != 0 && strcmp(role, "ra") != 0)
		return kn_err_set(KN_ERR_INVAL, "org", "only ra officers are "
		    "bound to an organization (local RA officers)");
	if (password != NULL) {
		size_t n = strlen(password);

		if (n < KN_PASSWORD_MIN || n > KN_PASSWORD_MAX)
			return kn_err_set(KN_ERR_INVAL, "password", "a "
			    "password needs %d to %d characters",
			    KN_PASSWORD_MIN, KN_PASSWORD_MAX);
		if ((rc = kn_password_hash(enc, sizeof(enc), password)) != 0)
			return rc;
	}
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0)
		return rc;
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO users (name, role, "
	    "pw_hash, created_at, org_number) VALUES (?, ?, ?, ?, ?)")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, name)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, role)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, password ? enc : NULL)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, now)) != 0 ||
	    (rc = (org ? kn_stmt_bind_int64(st, 5, org) :
	    kn_stmt_bind_null(st, 5))) != 0 ||
	    (rc = kn_stmt_run(st)) != 0) {
		if (rc == KN_ERR_EXISTS)
			rc = kn_err_set(KN_ERR_EXISTS, "name", "user %s "
			    "already exists", name);
		else if (rc == KN_ERR_INVAL && org != 0)
			rc = kn_err_set(KN_ERR_NOTFOUND, "org", "no organization "
			    "%013lld is in the registry", (long long)org);
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	snprintf(obj, sizeof(obj), "user:%s", name);
	snprintf(detail, sizeof(detail), "{\"role\":\"%s\",\"password\":%s,"
	    "\"org\":%lld}", role, password ? "true" : "false",
	    (long long)org);
	if ((rc = kn_audit_append(db, actor, "user.add", obj, detail,
	    NULL)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	OPENSSL_cleanse(enc, sizeof(enc));
	kn_stmt_done(st);
	kn_db_rollback(db);
	return rc;
}

int
kn_user_list(struct kn_db *db, struct kn_user **out, size_t *n)
{
	struct kn_stmt *st;
	struct kn_user *v = NULL;
	size_t cap = 0, count = 0;
	char now[21];
	int rc;

	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "SELECT id, name, role, "
	    "COALESCE(org_number, 0), created_at, "
	    "CASE WHEN disabled_at IS NULL THEN 0 ELSE 1 END, "
	    "CASE WHEN pw_hash IS NULL THEN 0 ELSE 1 END, "
	    "(SELECT COUNT(*) FROM tokens t WHERE "
	    "t.user_id = users.id AND t.revoked_at IS NULL AND "
	    "(t.expires_at IS NULL OR t.expires_at > ?)) "
	    "FROM users ORDER BY name")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, now)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		struct kn_user *u;

		if ((rc = kn_reserve(&v, &cap, count, sizeof(*v),
		    KN_MAX_USERS)) != 0)
			goto out;
		u = &v[count++];
		memset(u, 0, sizeof(*u));
		u->id = kn_stmt_int64(st, 0);
		snprintf(u->name, sizeof(u->name), "%s", kn_stmt_text(st, 1));
		snprintf(u->role, sizeof(u->role), "%s", kn_stmt_text(st, 2));
		u->org_number = kn_stmt_int64(st, 3);
		snprintf(u->created_at, sizeof(u->created_at), "%s",
		    kn_stmt_text(st, 4));
		u->disabled = kn_stmt_int64(st, 5) != 0;
		u->has_password = kn_stmt_int64(st, 6) != 0;
		u->tokens = kn_stmt_int64(st, 7);
	}
out:
	kn_stmt_done(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

int
kn_user_token(struct kn_db *db, const char *actor, const char *name,
    const char *label, int64_t ttl, char *token)
{
	struct kn_stmt *st = NULL;
	unsigned char raw[32];
	char b64[44], hash[65], now[21], exp[21], obj[80];
	struct kn_buf detail;
	int64_t uid;
	int rc;

	kn_buf_init(&detail, 1024);
	if (label != NULL && (rc = kn_check_text("label", label, 100,
	    false)) != 0)
		return rc;
	if (ttl < 0)
		return kn_err_set(KN_ERR_INVAL, "ttl", "token lifetime must "
		    "be positive");
	if ((rc = kn_random(raw, sizeof(raw))) != 0)
		return rc;
	kn_base64url(b64, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	snprintf(token, KN_API_TOKEN_LEN + 1, "%s%s", KN_TOKEN_PREFIX, b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	token_hash(hash, token);
	kn_now_rfc3339(now);
	if (ttl > 0)
		kn_time_rfc3339(exp, time(NULL) + ttl);
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = kn_db_stmt(db, &st, "SELECT id FROM users WHERE name = ? "
	    "AND disabled_at IS NULL")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, name)) != 0)
		goto out;
	if ((rc = kn_stmt_step(st)) != KN_ROW) {
		if (rc == KN_DONE)
			rc = kn_err_set(KN_ERR_NOTFOUND, "name", "no active "
			    "user %s (kakuin user list shows them)", name);
		goto out;
	}
	uid = kn_stmt_int64(st, 0);
	kn_stmt_done(st);
	if ((rc = kn_db_stmt(db, &st, "INSERT INTO tokens (user_id, hash, "
	    "label, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_int64(st, 1, uid)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, hash)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, label)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, ttl > 0 ? exp : NULL)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	snprintf(obj, sizeof(obj), "user:%s", name);
	/* The audit keeps a short prefix of the hash, never the token. */
	kn_buf_putf(&detail, "{\"token_id\":\"%.12s\",\"expires\":\"%s\"}",
	    hash, ttl > 0 ? exp : "never");
	if ((rc = kn_audit_append(db, actor, "user.token", obj, detail.data,
	    NULL)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&detail);
	if (rc != 0)
		OPENSSL_cleanse(token, KN_API_TOKEN_LEN + 1);
	return rc;
}

static int
revoke_tokens(struct kn_db *db, const char *name, const char *now,
    int64_t *count)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "UPDATE tokens SET revoked_at = ? "
	    "WHERE revoked_at IS NULL AND user_id = (SELECT id FROM users "
	    "WHERE name = ?)")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, now)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 2, name)) == 0 &&
	    (rc = kn_stmt_run(st)) == 0)
		*count = kn_stmt_changes(st);
	kn_stmt_done(st);
	return rc;
}

static int
user_exists(struct kn_db *db, const char *name, bool *disabled)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT CASE WHEN disabled_at IS NULL "
	    "THEN 0 ELSE 1 END FROM users WHERE name = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, name)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		*disabled = kn_stmt_int64(st, 0) != 0;
		rc = 0;
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_NOTFOUND, "name", "no user %s (kakuin "
		    "user list shows them)", name);
	kn_stmt_done(st);
	return rc;
}

int
kn_user_revoke_tokens(struct kn_db *db, const char *actor, const char *name,
    int64_t *count)
{
	char now[21], obj[80], detail[64];
	bool disabled;
	int rc;

	*count = 0;
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0)
		return rc;
	if ((rc = user_exists(db, name, &disabled)) != 0 ||
	    (rc = revoke_tokens(db, name, now, count)) != 0)
		goto out;
	snprintf(obj, sizeof(obj), "user:%s", name);
	snprintf(detail, sizeof(detail), "{\"revoked\":%lld}",
	    (long long)*count);
	if ((rc = kn_audit_append(db, actor, "user.tokens_revoked", obj,
	    detail, NULL)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_db_rollback(db);
	return rc;
}

int
kn_user_disable(struct kn_db *db, const char *actor, const char *name)
{
	struct kn_stmt *st;
	char now[21], obj[80], detail[64];
	int64_t count = 0;
	bool disabled;
	int rc;

	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0)
		return rc;
	if ((rc = user_exists(db, name, &disabled)) != 0)
		goto out;
	if (disabled) {
		rc = kn_err_set(KN_ERR_STATE, "name", "user %s is already "
		    "disabled", name);
		goto out;
	}
	if ((rc = kn_db_stmt(db, &st, "UPDATE users SET disabled_at = ? "
	    "WHERE name = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, now)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 2, name)) == 0)
		rc = kn_stmt_run(st);
	kn_stmt_done(st);
	if (rc != 0 || (rc = revoke_tokens(db, name, now, &count)) != 0)
		goto out;
	snprintf(obj, sizeof(obj), "user:%s", name);
	snprintf(detail, sizeof(detail), "{\"tokens_revoked\":%lld}",
	    (long long)count);
	if ((rc = kn_audit_append(db, actor, "user.disable", obj, detail,
	    NULL)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_db_rollback(db);
	return rc;
}

static void
fill(struct kn_principal *p, struct kn_stmt *st)
{
	memset(p, 0, sizeof(*p));
	p->id = kn_stmt_int64(st, 0);
	snprintf(p->name, sizeof(p->name), "%s", kn_stmt_text(st, 1));
	snprintf(p->role, sizeof(p->role), "%s", kn_stmt_text(st, 2));
	p->org_number = kn_stmt_int64(st, 3);
}

static char dummy[ENCODED_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy(void)
{
	if (kn_password_hash(dummy, sizeof(dummy), "kakuin-no-such-user") != 0)
		snprintf(dummy, sizeof(dummy), "$argon2id$invalid");
}

int
kn_auth_password(struct kn_db *db, struct kn_principal *out,
    const char *name, const char *password)
{
	struct kn_stmt *st;
	bool found = false, ok;
	char enc[ENCODED_MAX] = "";
	int rc;

	if (strlen(password) > KN_PASSWORD_MAX)
		return kn_err_set(KN_ERR_AUTH, NULL, "wrong user name or "
		    "password");
	if ((rc = kn_db_stmt(db, &st, "SELECT id, name, role, "
	    "COALESCE(org_number, 0), pw_hash FROM users WHERE name = ? "
	    "AND disabled_at IS NULL")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, name)) == 0 &&
	    (rc = kn_stmt_step(st)) == KN_ROW && !kn_stmt_is_null(st, 4)) {
		fill(out, st);
		snprintf(enc, sizeof(enc), "%s", kn_stmt_text(st, 4));
		found = true;
	}
	kn_stmt_done(st);
	if (rc < 0)
		return rc;
	/* An unknown user costs the same argon2id work as a known one. */
	pthread_once(&dummy_once, make_dummy);
	ok = kn_password_check(found ? enc : dummy, password);
	OPENSSL_cleanse(enc, sizeof(enc));
	if (!found || !ok)
		return kn_err_set(KN_ERR_AUTH, NULL, "wrong user name or "
		    "password");
	return 0;
}

int
kn_auth_token(struct kn_db *db, struct kn_principal *out, const char *token)
{
	struct kn_stmt *st;
	char hash[65], now[21];
	int rc;

	if (strlen(token) != KN_API_TOKEN_LEN ||
	    strncmp(token, KN_TOKEN_PREFIX, strlen(KN_TOKEN_PREFIX)) != 0)
		return kn_err_set(KN_ERR_AUTH, "token", "the bearer token is "
		    "malformed (kakuin tokens start with kn_ and have %d "
		    "characters)", KN_API_TOKEN_LEN);
	token_hash(hash, token);
	kn_now_rfc3339(now);
	if ((rc = kn_db_stmt(db, &st, "SELECT u.id, u.name, u.role, "
	    "COALESCE(u.org_number, 0) FROM tokens t JOIN users u ON "
	    "u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL "
	    "AND (t.expires_at IS NULL OR t.expires_at > ?) AND "
	    "u.disabled_at IS NULL")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, hash)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 2, now)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		fill(out, st);
		rc = 0;
	} else if (rc == KN_DONE)
		rc = kn_err_set(KN_ERR_AUTH, "token", "the bearer token is "
		    "unknown, expired or revoked");
	kn_stmt_done(st);
	return rc;
}

bool
kn_auth_has_role(const struct kn_principal *p, const char *role)
{
	return strcmp(p->role, "admin") == 0 || strcmp(p->role, role) == 0;
}
