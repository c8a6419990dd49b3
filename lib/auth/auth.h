/*
 * auth.h - operator accounts, passwords and API tokens.
 *
 * Roles: "admin" (everything) and "ra" (registration authority officer:
 * organizations and domains).  Passwords are hashed with argon2id; API
 * bearer tokens are 32 random bytes shown once and stored only as their
 * SHA-256 hash.
 */
#ifndef KN_AUTH_AUTH_H
#define KN_AUTH_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct kn_db;

#define KN_TOKEN_PREFIX "kn_"
#define KN_API_TOKEN_LEN (3 + 43)
#define KN_PASSWORD_MIN 12
#define KN_PASSWORD_MAX 1024
#define KN_MAX_USERS 100000	/* operators listed at once */

struct kn_principal {
	int64_t	 id;
	char	 name[65];
	char	 role[8];
	int64_t	 org_number;	/* 0 unless bound to an organization */
};

struct kn_user {
	int64_t	 id;
	char	 name[65];
	char	 role[8];
	int64_t	 org_number;
	char	 created_at[21];
	bool	 disabled;
	bool	 has_password;
	int64_t	 tokens;	/* live tokens */
};

/* User names: 1..64 of [a-z0-9._-], starting with a letter or digit. */
bool	kn_valid_username(const char *name);
/*
 * Adds an operator.  password may be NULL (token-only account); otherwise
 * it must have KN_PASSWORD_MIN..MAX bytes.  Audited.
 */
int	kn_user_add(struct kn_db *db, const char *actor, const char *name,
	    const char *role, const char *password) KN_WUR;
/* The same, for a local RA officer bound to organization org (role "ra";
 * the organization must be in the registry): it may act for that
 * organization only. */
int	kn_user_add_org(struct kn_db *db, const char *actor, const char *name,
	    const char *role, const char *password, int64_t org) KN_WUR;
/* All operators, in name order; free *out with free(). */
int	kn_user_list(struct kn_db *db, struct kn_user **out, size_t *n)
	    KN_WUR;
/*
 * Issues a new API token for user name, valid for ttl seconds (0: no
 * expiry), into token[KN_API_TOKEN_LEN + 1].  Audited.
 */
int	kn_user_token(struct kn_db *db, const char *actor, const char *name,
	    const char *label, int64_t ttl, char *token) KN_WUR;
/* Revokes every live token of user name; *count gets how many.  Audited. */
int	kn_user_revoke_tokens(struct kn_db *db, const char *actor,
	    const char *name, int64_t *count) KN_WUR;
/* Disables user name (no password login, no tokens); revokes its tokens.
 * Audited.  KN_ERR_STATE when already disabled. */
int	kn_user_disable(struct kn_db *db, const char *actor, const char *name)
	    KN_WUR;
/* Checks a name and password; KN_ERR_AUTH when wrong (same answer for an
 * unknown user, after the same work). */
int	kn_auth_password(struct kn_db *db, struct kn_principal *out,
	    const char *name, const char *password) KN_WUR;
/* Resolves a bearer token; KN_ERR_AUTH when unknown, expired or revoked. */
int	kn_auth_token(struct kn_db *db, struct kn_principal *out,
	    const char *token) KN_WUR;
/* True when the principal has role (admin satisfies every role). */
bool	kn_auth_has_role(const struct kn_principal *p, const char *role);

/* argon2id hash (encoded, $argon2id$...) and check, exposed for tests. */
int	kn_password_hash(char *out, size_t outlen, const char *password)
	    KN_WUR;
bool	kn_password_check(const char *encoded, const char *password);

#endif
