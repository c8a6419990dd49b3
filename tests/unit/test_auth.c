/* test_auth.c - operators, argon2id passwords, API tokens, roles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "store/db.h"
#include "testutil.h"

struct fx {
	char		*dir;
	struct kn_db	*db;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char *url;
	int v, rc;

	if (fx == NULL)
		return -1;
	*state = fx;
	fx->dir = tu_tmpdir();
	url = tu_printf("sqlite:%s/kakuin.db", fx->dir);
	rc = kn_db_open(&fx->db, url);
	free(url);
	if (rc == 0)
		rc = kn_db_migrate(fx->db, &v);
	return rc == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	kn_db_close(fx->db);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static int64_t
scalar(struct kn_db *db, const char *sql)
{
	struct kn_stmt *st = NULL;
	int64_t v;

	assert_int_equal(kn_db_prepare(db, &st, sql), 0);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	v = kn_stmt_int64(st, 0);
	kn_stmt_free(st);
	return v;
}

static void
test_password_hash(void **state)
{
	char a[160], b[160];

	(void)state;
	assert_int_equal(kn_password_hash(a, sizeof(a),
	    "correct horse battery"), 0);
	assert_int_equal(strncmp(a, "$argon2id$", 10), 0);
	/* RFC 9106 parameters as encoded: 64 MiB, 3 passes, 1 lane. */
	CHECK_HAS("params", a, "m=65536,t=3,p=1");
	assert_true(kn_password_check(a, "correct horse battery"));
	assert_false(kn_password_check(a, "correct horse batterY"));
	assert_false(kn_password_check(a, ""));
	assert_false(kn_password_check(a, "correct horse battery "));
	/* A new salt every time. */
	assert_int_equal(kn_password_hash(b, sizeof(b),
	    "correct horse battery"), 0);
	assert_string_not_equal(a, b);
	/* Garbage or a different algorithm never verifies. */
	assert_false(kn_password_check("$argon2id$garbage", "x"));
	assert_false(kn_password_check("", ""));
	assert_false(kn_password_check("$argon2i$v=19$m=65536,t=3,p=1$"
	    "c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
	    "password"));
	/* Too small an output buffer is an error, not an overflow. */
	assert_int_equal(kn_password_hash(b, 20, "correct horse battery"),
	    KN_ERR_CRYPTO);
}

static void
test_valid_username(void **state)
{
	static char l64[65], l65[66];
	const struct {
		const char	*in;
		bool		 want;
	} tab[] = {
		{ "alice", true },
		{ "a", true },
		{ "0day", true },
		{ "ra.tokyo_2-b", true },
		{ "a.", true },
		{ l64, true },
		{ l65, false },
		{ "", false },
		{ ".alice", false },
		{ "-alice", false },
		{ "_alice", false },
		{ "Alice", false },
		{ "al ice", false },
		{ "al@ice", false },
		{ "al/ice", false },
		{ "al\nice", false },
		{ "アリス", false },
		{ "ａlice", false },
	};
	size_t i;

	(void)state;
	memset(l64, 'x', 64);
	memset(l65, 'y', 65);
	for (i = 0; i < NITEMS(tab); i++)
		CHECK_INT(tab[i].in, kn_valid_username(tab[i].in),
		    tab[i].want);
}

static void
test_user_add(void **state)
{
	static const struct {
		const char	*name;
		const char	*user;
		const char	*role;
		const char	*password;
		int		 want_rc;
		const char	*want_field;
	} tab[] = {
		{ "admin", "alice", "admin", "twelve chars", 0, NULL },
		{ "token-only ra", "robot", "ra", NULL, 0, NULL },
		{ "bad name", "Alice", "admin", NULL, KN_ERR_INVAL, "name" },
		{ "bad role", "bob", "root", NULL, KN_ERR_INVAL, "role" },
		{ "empty role", "bob", "", NULL, KN_ERR_INVAL, "role" },
		{ "short password", "bob", "ra", "eleven char", KN_ERR_INVAL,
		    "password" },
		{ "duplicate", "alice", "ra", NULL, KN_ERR_EXISTS, "name" },
	};
	struct fx *fx = *state;
	struct kn_user *users = NULL;
	size_t i, n = 0;

	for (i = 0; i < NITEMS(tab); i++) {
		kn_err_clear();
		CHECK_INT(tab[i].name, kn_user_add(fx->db, "init",
		    tab[i].user, tab[i].role, tab[i].password),
		    tab[i].want_rc);
		if (tab[i].want_field != NULL)
			CHECK_STR(tab[i].name, kn_err_get()->field,
			    tab[i].want_field);
		CHECK_INT(tab[i].name, kn_db_in_tx(fx->db), false);
	}
	/* Only the two good ones exist, each audited once. */
	assert_int_equal(kn_user_list(fx->db, &users, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(users[0].name, "alice");
	assert_string_equal(users[0].role, "admin");
	assert_true(users[0].has_password);
	assert_string_equal(users[1].name, "robot");
	assert_false(users[1].has_password);
	assert_false(users[1].disabled);
	free(users);
	assert_int_equal(scalar(fx->db, "SELECT COUNT(*) FROM audit WHERE "
	    "action = 'user.add'"), 2);
	/* The password is stored only as its argon2id hash. */
	assert_int_equal(scalar(fx->db, "SELECT COUNT(*) FROM users WHERE "
	    "pw_hash LIKE '%twelve%'"), 0);
	assert_int_equal(scalar(fx->db, "SELECT COUNT(*) FROM audit WHERE "
	    "detail LIKE '%twelve%'"), 0);
}

static void
test_auth_password(void **state)
{
	static const struct {
		const char	*name;
		const char	*user;
		const char	*password;
		int		 want_rc;
	} tab[] = {
		{ "right", "alice", "correct horse battery", 0 },
		{ "wrong", "alice", "correct horse batterx", KN_ERR_AUTH },
		{ "empty", "alice", "", KN_ERR_AUTH },
		{ "unknown user", "mallory", "correct horse battery",
		    KN_ERR_AUTH },
		{ "token-only user", "robot", "", KN_ERR_AUTH },
		{ "disabled user", "carol", "carols password",
		    KN_ERR_AUTH },
	};
	struct fx *fx = *state;
	struct kn_principal p;
	char *huge;
	size_t i;

	assert_int_equal(kn_user_add(fx->db, "init", "alice", "admin",
	    "correct horse battery"), 0);
	assert_int_equal(kn_user_add(fx->db, "init", "robot", "ra", NULL), 0);
	assert_int_equal(kn_user_add(fx->db, "init", "carol", "ra",
	    "carols password"), 0);
	assert_int_equal(kn_db_exec(fx->db, "UPDATE users SET disabled_at = "
	    "'2024-01-01T00:00:00Z' WHERE name = 'carol'"), 0);
	for (i = 0; i < NITEMS(tab); i++) {
		memset(&p, 0, sizeof(p));
		kn_err_clear();
		CHECK_INT(tab[i].name, kn_auth_password(fx->db, &p,
		    tab[i].user, tab[i].password), tab[i].want_rc);
		if (tab[i].want_rc == 0) {
			CHECK_STR(tab[i].name, p.name, tab[i].user);
			CHECK_STR(tab[i].name, p.role, "admin");
		} else {
			/* One answer for every failure: no user probing. */
			CHECK_STR(tab[i].name, kn_err_get()->msg,
			    "wrong user name or password");
		}
	}
	huge = malloc(KN_PASSWORD_MAX + 2);
	assert_non_null(huge);
	memset(huge, 'p', KN_PASSWORD_MAX + 1);
	huge[KN_PASSWORD_MAX + 1] = '\0';
	assert_int_equal(kn_auth_password(fx->db, &p, "alice", huge),
	    KN_ERR_AUTH);
	free(huge);
}

static void
test_tokens(void **state)
{
	struct fx *fx = *state;
	struct kn_principal p;
	struct kn_user *users = NULL;
	size_t n = 0;
	char tok[KN_API_TOKEN_LEN + 1], tok2[KN_API_TOKEN_LEN + 1];
	char expired[KN_API_TOKEN_LEN + 1], revoked[KN_API_TOKEN_LEN + 1];
	char bad[KN_API_TOKEN_LEN + 1], wrongp[KN_API_TOKEN_LEN + 1];
	char shortt[KN_API_TOKEN_LEN + 1], longt[KN_API_TOKEN_LEN + 2];
	size_t i;

	assert_int_equal(kn_user_add(fx->db, "init", "robot", "ra", NULL), 0);
	assert_int_equal(kn_user_add(fx->db, "init", "carol", "admin", NULL),
	    0);
	assert_int_equal(kn_user_token(fx->db, "init", "robot", "ci",
	    0, tok), 0);
	assert_int_equal(strlen(tok), KN_API_TOKEN_LEN);
	assert_int_equal(strncmp(tok, KN_TOKEN_PREFIX, 3), 0);
	assert_int_equal(strspn(tok + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_int_equal(kn_user_token(fx->db, "init", "robot", NULL, 3600,
	    tok2), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(kn_user_token(fx->db, "init", "robot", "old", 3600,
	    expired), 0);
	assert_int_equal(kn_user_token(fx->db, "init", "carol", "gone", 0,
	    revoked), 0);
	/* Expire and revoke through the store, as time and an admin do. */
	assert_int_equal(kn_db_exec(fx->db, "UPDATE tokens SET expires_at = "
	    "'2000-01-01T00:00:00Z' WHERE label = 'old'"), 0);
	assert_int_equal(kn_db_exec(fx->db, "UPDATE tokens SET revoked_at = "
	    "'2000-01-01T00:00:00Z' WHERE label = 'gone'"), 0);
	/* A token-like string nobody issued. */
	memcpy(bad, tok, sizeof(bad));
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	/* The issued token with its prefix or length spoilt. */
	snprintf(wrongp, sizeof(wrongp), "kx_%s", tok + 3);
	snprintf(shortt, sizeof(shortt), "%.*s", KN_API_TOKEN_LEN - 1, tok);
	snprintf(longt, sizeof(longt), "%sA", tok);
	{
	const struct {
		const char	*name;
		const char	*token;
		int		 want_rc;
		const char	*want_user;
	} tab[] = {
		{ "no expiry", tok, 0, "robot" },
		{ "an hour", tok2, 0, "robot" },
		{ "expired", expired, KN_ERR_AUTH, NULL },
		{ "revoked", revoked, KN_ERR_AUTH, NULL },
		{ "unknown", bad, KN_ERR_AUTH, NULL },
		{ "empty", "", KN_ERR_AUTH, NULL },
		{ "no prefix", tok + 3, KN_ERR_AUTH, NULL },
		{ "wrong prefix", wrongp, KN_ERR_AUTH, NULL },
		{ "one short", shortt, KN_ERR_AUTH, NULL },
		{ "one long", longt, KN_ERR_AUTH, NULL },
	};

	for (i = 0; i < NITEMS(tab); i++) {
		memset(&p, 0, sizeof(p));
		CHECK_INT(tab[i].name, kn_auth_token(fx->db, &p,
		    tab[i].token), tab[i].want_rc);
		if (tab[i].want_user != NULL) {
			CHECK_STR(tab[i].name, p.name, tab[i].want_user);
			CHECK_STR(tab[i].name, p.role, "ra");
		}
	}
	}
	/* Disabling the user ends its tokens. */
	assert_int_equal(kn_db_exec(fx->db, "UPDATE users SET disabled_at = "
	    "'2024-01-01T00:00:00Z' WHERE name = 'robot'"), 0);
	assert_int_equal(kn_auth_token(fx->db, &p, tok), KN_ERR_AUTH);
	assert_int_equal(kn_user_token(fx->db, "init", "robot", NULL, 0,
	    tok2), KN_ERR_NOTFOUND);
	assert_int_equal(kn_db_exec(fx->db, "UPDATE users SET disabled_at = "
	    "NULL WHERE name = 'robot'"), 0);

	/* Tokens are stored and audited only as hashes. */
	{
		char *sql = tu_printf("SELECT COUNT(*) FROM tokens WHERE "
		    "hash = '%s' OR label = '%s'", tok, tok);
		assert_int_equal(scalar(fx->db, sql), 0);
		free(sql);
		sql = tu_printf("SELECT COUNT(*) FROM audit WHERE "
		    "detail LIKE '%%%s%%'", tok + 3);
		assert_int_equal(scalar(fx->db, sql), 0);
		free(sql);
	}
	/* The list counts live tokens only. */
	assert_int_equal(kn_user_list(fx->db, &users, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(users[0].name, "carol");
	assert_int_equal(users[0].tokens, 0);
	assert_string_equal(users[1].name, "robot");
	assert_int_equal(users[1].tokens, 2);
	free(users);

	/* Refused issues leave nothing behind. */
	assert_int_equal(kn_user_token(fx->db, "init", "nobody", NULL, 0,
	    tok2), KN_ERR_NOTFOUND);
	assert_int_equal(kn_user_token(fx->db, "init", "robot", NULL, -1,
	    tok2), KN_ERR_INVAL);
	assert_int_equal(kn_user_token(fx->db, "init", "robot", "bad\nlabel",
	    0, tok2), KN_ERR_INVAL);
	assert_int_equal(scalar(fx->db, "SELECT COUNT(*) FROM tokens"), 4);
	assert_int_equal(scalar(fx->db, "SELECT COUNT(*) FROM audit WHERE "
	    "action = 'user.token'"), 4);
	assert_false(kn_db_in_tx(fx->db));
}

static void
test_roles(void **state)
{
	static const struct {
		const char	*role;
		const char	*need;
		bool		 want;
	} tab[] = {
		{ "admin", "admin", true },
		{ "admin", "ra", true },
		{ "ra", "ra", true },
		{ "ra", "admin", false },
		{ "", "ra", false },
		{ "Admin", "ra", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_principal p;
		char row[32];

		memset(&p, 0, sizeof(p));
		snprintf(p.role, sizeof(p.role), "%s", tab[i].role);
		snprintf(row, sizeof(row), "%s needs %s", tab[i].role,
		    tab[i].need);
		CHECK_INT(row, kn_auth_has_role(&p, tab[i].need), tab[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_hash),
		cmocka_unit_test(test_valid_username),
		cmocka_unit_test_setup_teardown(test_user_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_password, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test(test_roles),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
