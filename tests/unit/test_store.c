/*
 * test_store.c - the store and the registry on top of it, as one suite run
 * against each backend: SQLite in a scratch file, and PostgreSQL when
 * KAKUIN_TEST_PG names a server (make check starts one).  Every test gets
 * a store of its own: a new SQLite file, or a new PostgreSQL database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "registry/corpnum.h"
#include "registry/demo.h"
#include "registry/nta.h"
#include "registry/org.h"
#include "store/db.h"
#include "testutil.h"

struct fx {
	struct kn_db	*db;
	char		*url;
	char		*dir;		/* SQLite: scratch directory */
	char		*pgname;	/* PostgreSQL: scratch database */
};

static int pg_serial;

#define pg_url tu_pg_url
#define pg_admin tu_pg_admin

static int
setup_sqlite(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	fx->dir = tu_tmpdir();
	fx->url = tu_printf("sqlite:%s/kakuin.db", fx->dir);
	if (kn_db_open(&fx->db, fx->url) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
setup_pg(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char *sql;
	int rc;

	if (fx == NULL)
		return -1;
	*state = fx;
	fx->pgname = tu_printf("kn_unit_%ld_%d", (long)getpid(),
	    ++pg_serial);
	sql = tu_printf("DROP DATABASE IF EXISTS %s", fx->pgname);
	rc = pg_admin(sql);
	free(sql);
	sql = tu_printf("CREATE DATABASE %s", fx->pgname);
	if (rc == 0)
		rc = pg_admin(sql);
	free(sql);
	if (rc != 0)
		return -1;
	fx->url = pg_url(getenv("KAKUIN_TEST_PG"), fx->pgname);
	if ((rc = kn_db_open(&fx->db, fx->url)) != 0) {
		print_error("%s: %s\n", fx->url, kn_err_msg(rc));
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char *sql;

	if (fx == NULL)
		return 0;
	kn_db_close(fx->db);
	if (fx->dir != NULL)
		tu_rmtree(fx->dir);
	if (fx->pgname != NULL) {
		sql = tu_printf("DROP DATABASE IF EXISTS %s", fx->pgname);
		(void)pg_admin(sql);
		free(sql);
	}
	free(fx->dir);
	free(fx->pgname);
	free(fx->url);
	free(fx);
	return 0;
}

static struct kn_db *
migrated(void **state)
{
	struct fx *fx = *state;
	int v = 0, rc;

	if ((rc = kn_db_migrate(fx->db, &v)) != 0)
		fail_msg("migrate: %s", kn_err_msg(rc));
	return fx->db;
}

/* The single integer a query returns. */
static int64_t
scalar(struct kn_db *db, const char *sql)
{
	struct kn_stmt *st = NULL;
	int64_t v;
	int rc;

	if ((rc = kn_db_prepare(db, &st, sql)) != 0)
		fail_msg("%s: %s", sql, kn_err_msg(rc));
	if ((rc = kn_stmt_step(st)) != KN_ROW)
		fail_msg("%s: step %d: %s", sql, rc, kn_err_msg(rc));
	v = kn_stmt_int64(st, 0);
	kn_stmt_free(st);
	return v;
}

/* The audit chain is intact; returns its length. */
static int64_t
chain_ok(struct kn_db *db)
{
	struct kn_audit_report rep;
	int rc;

	if ((rc = kn_audit_verify(db, &rep)) != 0)
		fail_msg("audit chain broken at %lld: %s (%s)",
		    (long long)rep.broken_seq, rep.reason, kn_err_msg(rc));
	return rep.rows;
}

static void
test_migrate(void **state)
{
	struct fx *fx = *state;
	enum kn_db_backend be = kn_db_backend(fx->db);
	int v = -1, latest = kn_db_latest_version(be);

	assert_true(latest >= 1);
	assert_int_equal(kn_db_version(fx->db, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kn_db_migrate(fx->db, &v), 0);
	assert_int_equal(v, latest);
	/* Again: nothing to do, same version, no duplicate rows. */
	assert_int_equal(kn_db_migrate(fx->db, &v), 0);
	assert_int_equal(v, latest);
	assert_int_equal(scalar(fx->db, "SELECT COUNT(*) FROM "
	    "schema_migrations"), latest);
	assert_int_equal(scalar(fx->db, "SELECT COUNT(*) FROM audit_head"),
	    1);
	/* A store from a newer kakuin is refused, not damaged. */
	assert_int_equal(kn_db_exec(fx->db, "INSERT INTO schema_migrations "
	    "(version, name, applied_at) VALUES (9999, 'future', 'x')"), 0);
	assert_int_equal(kn_db_migrate(fx->db, &v), KN_ERR_DB);
	CHECK_HAS("newer store", kn_err_get()->msg, "upgrade kakuin");
	assert_int_equal(kn_db_version(fx->db, &v), 0);
	assert_int_equal(v, 9999);
}

static void
test_stmt_cache(void **state)
{
	static const char q1[] = "SELECT CAST(? AS TEXT)";
	static const char q2[] = "SELECT CAST(? AS TEXT)";
	struct kn_db *db = migrated(state);
	struct kn_stmt *a = NULL, *b = NULL, *c = NULL;

	assert_int_equal(kn_db_stmt(db, &a, q1), 0);
	assert_int_equal(kn_db_stmt(db, &b, q1), 0);
	assert_ptr_equal(a, b);
	/* The address is the key: equal text elsewhere is another entry. */
	assert_int_equal(kn_db_stmt(db, &c, q2), 0);
	assert_ptr_not_equal(a, c);

	assert_int_equal(kn_stmt_bind_text(a, 1, "first"), 0);
	assert_int_equal(kn_stmt_step(a), KN_ROW);
	assert_string_equal(kn_stmt_text(a, 0), "first");
	kn_stmt_done(a);
	/* Reuse starts over, with the bindings cleared. */
	assert_int_equal(kn_stmt_step(a), KN_ROW);
	assert_true(kn_stmt_is_null(a, 0));
	assert_null(kn_stmt_text(a, 0));
	assert_int_equal(kn_stmt_step(a), KN_DONE);
	kn_stmt_done(a);
	assert_int_equal(kn_stmt_bind_text(a, 1, "second"), 0);
	assert_int_equal(kn_stmt_step(a), KN_ROW);
	assert_string_equal(kn_stmt_text(a, 0), "second");
	kn_stmt_done(a);
	kn_stmt_done(NULL);
	kn_stmt_free(NULL);

	/* A statement that does not compile is an error, not a crash. */
	assert_int_equal(kn_db_prepare(db, &c, "SELEKT 1"), KN_ERR_DB);
	assert_int_not_equal(kn_db_exec(db, "SELECT * FROM no_such_table"),
	    0);
}

static void
test_bind_types(void **state)
{
	static const struct {
		int64_t		 id;
		const char	*t;	/* NULL: SQL NULL */
		size_t		 tlen;
		bool		 n_null;
		int64_t		 n;
		const char	*want_t;
	} rows[] = {
		{ 1, "héllo 日本 'quoted' \"double\" \\", 0, false, INT64_MAX,
		    NULL },
		{ 2, NULL, 0, false, INT64_MIN, NULL },
		{ 3, "abcdef", 3, false, 0, "abc" },
		{ 4, "", 0, true, 0, "" },
		{ 5, "?", 0, false, -1, NULL },
	};
	struct kn_db *db = migrated(state);
	struct kn_stmt *st = NULL;
	size_t i;
	int rc;

	assert_int_equal(kn_db_exec(db, "CREATE TABLE kv (id BIGINT PRIMARY "
	    "KEY, t TEXT, n BIGINT)"), 0);
	assert_int_equal(kn_db_prepare(db, &st, "INSERT INTO kv (id, t, n) "
	    "VALUES (?, ?, ?)"), 0);
	for (i = 0; i < NITEMS(rows); i++) {
		assert_int_equal(kn_stmt_bind_int64(st, 1, rows[i].id), 0);
		if (rows[i].t == NULL)
			rc = kn_stmt_bind_null(st, 2);
		else if (rows[i].tlen > 0)
			rc = kn_stmt_bind_textn(st, 2, rows[i].t,
			    rows[i].tlen);
		else
			rc = kn_stmt_bind_text(st, 2, rows[i].t);
		assert_int_equal(rc, 0);
		if (rows[i].n_null)
			rc = kn_stmt_bind_null(st, 3);
		else
			rc = kn_stmt_bind_int64(st, 3, rows[i].n);
		assert_int_equal(rc, 0);
		assert_int_equal(kn_stmt_run(st), 0);
		assert_int_equal(kn_stmt_changes(st), 1);
		kn_stmt_done(st);
	}
	kn_stmt_free(st);

	assert_int_equal(kn_db_prepare(db, &st, "SELECT id, t, n FROM kv "
	    "ORDER BY id"), 0);
	for (i = 0; i < NITEMS(rows); i++) {
		const char *want = rows[i].want_t ? rows[i].want_t : rows[i].t;
		char row[16];

		snprintf(row, sizeof(row), "row %lld", (long long)rows[i].id);
		CHECK_INT(row, kn_stmt_step(st), KN_ROW);
		CHECK_INT(row, kn_stmt_int64(st, 0), rows[i].id);
		CHECK_STR(row, kn_stmt_text(st, 1), want);
		CHECK_INT(row, kn_stmt_is_null(st, 1), want == NULL);
		CHECK_INT(row, kn_stmt_is_null(st, 2), rows[i].n_null);
		if (!rows[i].n_null)
			CHECK_INT(row, kn_stmt_int64(st, 2), rows[i].n);
	}
	assert_int_equal(kn_stmt_step(st), KN_DONE);
	assert_int_equal(kn_stmt_step(st), KN_DONE);
	kn_stmt_free(st);

	assert_int_equal(kn_db_prepare(db, &st, "UPDATE kv SET n = 7 WHERE "
	    "id >= ?"), 0);
	assert_int_equal(kn_stmt_bind_int64(st, 1, 3), 0);
	assert_int_equal(kn_stmt_run(st), 0);
	assert_int_equal(kn_stmt_changes(st), 3);
	kn_stmt_done(st);
	assert_int_equal(kn_stmt_bind_int64(st, 1, 100), 0);
	assert_int_equal(kn_stmt_run(st), 0);
	assert_int_equal(kn_stmt_changes(st), 0);
	kn_stmt_free(st);
	assert_int_equal(scalar(db, "SELECT SUM(n) FROM kv WHERE id >= 3"),
	    21);
}

static void
test_constraints(void **state)
{
	static const struct {
		const char	*name;
		const char	*sql;
		int		 want_rc;
	} tab[] = {
		{ "first row", "INSERT INTO c (k, u, p) VALUES (1, 'a', 1)",
		    0 },
		{ "primary key", "INSERT INTO c (k, u, p) VALUES (1, 'b', 1)",
		    KN_ERR_EXISTS },
		{ "unique", "INSERT INTO c (k, u, p) VALUES (2, 'a', 1)",
		    KN_ERR_EXISTS },
		{ "foreign key", "INSERT INTO c (k, u, p) VALUES (3, 'c', 99)",
		    KN_ERR_INVAL },
		{ "not null", "INSERT INTO c (k, u, p) VALUES (4, NULL, 1)",
		    KN_ERR_INVAL },
		{ "check", "INSERT INTO c (k, u, p) VALUES (-5, 'd', 1)",
		    KN_ERR_INVAL },
		{ "second row", "INSERT INTO c (k, u, p) VALUES (6, 'e', 1)",
		    0 },
	};
	struct kn_db *db = migrated(state);
	size_t i;

	assert_int_equal(kn_db_exec(db, "CREATE TABLE par (id INTEGER "
	    "PRIMARY KEY); INSERT INTO par (id) VALUES (1); "
	    "CREATE TABLE c (k INTEGER PRIMARY KEY CHECK (k > 0), "
	    "u TEXT NOT NULL UNIQUE, p INTEGER REFERENCES par (id))"), 0);
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_stmt *st = NULL;

		/* Through a prepared statement, as the registry writes. */
		CHECK_INT(tab[i].name, kn_db_prepare(db, &st, tab[i].sql), 0);
		CHECK_INT(tab[i].name, kn_stmt_run(st), tab[i].want_rc);
		kn_stmt_free(st);
	}
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM c"), 2);
	/* And through kn_db_exec. */
	assert_int_equal(kn_db_exec(db, tab[1].sql), KN_ERR_EXISTS);
}

static void
test_transactions(void **state)
{
	struct fx *fx = *state;
	struct kn_db *db = migrated(state), *other = NULL;
	struct kn_stmt *st = NULL;

	assert_int_equal(kn_db_exec(db, "CREATE TABLE t (k TEXT PRIMARY "
	    "KEY)"), 0);
	assert_false(kn_db_in_tx(db));
	/* Rolled back: no trace. */
	assert_int_equal(kn_db_begin(db), 0);
	assert_true(kn_db_in_tx(db));
	assert_int_equal(kn_db_exec(db, "INSERT INTO t VALUES ('gone')"), 0);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t"), 1);
	kn_db_rollback(db);
	assert_false(kn_db_in_tx(db));
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t"), 0);
	/* Committed: kept, and seen by another connection. */
	assert_int_equal(kn_db_begin(db), 0);
	assert_int_equal(kn_db_exec(db, "INSERT INTO t VALUES ('kept')"), 0);
	assert_int_equal(kn_db_commit(db), 0);
	assert_false(kn_db_in_tx(db));
	assert_int_equal(kn_db_open(&other, fx->url), 0);
	assert_int_equal(scalar(other, "SELECT COUNT(*) FROM t"), 1);
	/* Uncommitted work is invisible to the other connection. */
	assert_int_equal(kn_db_begin(db), 0);
	assert_int_equal(kn_db_exec(db, "INSERT INTO t VALUES ('later')"),
	    0);
	assert_int_equal(scalar(other, "SELECT COUNT(*) FROM t"), 1);
	assert_int_equal(kn_db_commit(db), 0);
	assert_int_equal(scalar(other, "SELECT COUNT(*) FROM t"), 2);
	kn_db_close(other);

	/* Misuse is an internal error and changes nothing. */
	assert_int_equal(kn_db_commit(db), KN_ERR_INTERNAL);
	assert_int_equal(kn_db_begin(db), 0);
	assert_int_equal(kn_db_begin(db), KN_ERR_INTERNAL);
	assert_true(kn_db_in_tx(db));
	/* A failed statement inside a transaction, then rollback: the
	 * connection is usable again (PostgreSQL aborts the transaction). */
	assert_int_equal(kn_db_exec(db, "INSERT INTO t VALUES ('x')"), 0);
	assert_int_equal(kn_db_exec(db, "INSERT INTO t VALUES ('kept')"),
	    KN_ERR_EXISTS);
	kn_db_rollback(db);
	kn_db_rollback(db);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t"), 2);
	/* A statement left mid-result does not block rollback or reuse. */
	assert_int_equal(kn_db_begin(db), 0);
	assert_int_equal(kn_db_exec(db, "INSERT INTO t VALUES ('y')"), 0);
	assert_int_equal(kn_db_stmt(db, &st, "SELECT k FROM t ORDER BY k"),
	    0);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	kn_db_rollback(db);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t"), 2);
	kn_stmt_done(st);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	assert_string_equal(kn_stmt_text(st, 0), "kept");
	kn_stmt_done(st);
	kn_db_rollback(NULL);
}

/* '?' inside quotes is text, not a placeholder, on both backends. */
static void
test_placeholders_in_quotes(void **state)
{
	struct kn_db *db = migrated(state);
	struct kn_stmt *st = NULL;

	assert_int_equal(kn_db_prepare(db, &st, "SELECT '?' || CAST(? AS "
	    "TEXT), 'it''s ?', CAST(? AS TEXT), '?" "?'"), 0);
	assert_int_equal(kn_stmt_bind_text(st, 1, "a"), 0);
	assert_int_equal(kn_stmt_bind_text(st, 2, "b"), 0);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	assert_string_equal(kn_stmt_text(st, 0), "?a");
	assert_string_equal(kn_stmt_text(st, 1), "it's ?");
	assert_string_equal(kn_stmt_text(st, 2), "b");
	assert_string_equal(kn_stmt_text(st, 3), "??");
	kn_stmt_free(st);

	assert_int_equal(kn_db_exec(db, "CREATE TABLE \"q?t\" (\"c?\" TEXT)"),
	    0);
	assert_int_equal(kn_db_prepare(db, &st, "INSERT INTO \"q?t\" "
	    "(\"c?\") VALUES (?)"), 0);
	assert_int_equal(kn_stmt_bind_text(st, 1, "what?"), 0);
	assert_int_equal(kn_stmt_run(st), 0);
	kn_stmt_free(st);
	assert_int_equal(kn_db_prepare(db, &st, "SELECT \"c?\" FROM \"q?t\" "
	    "WHERE \"c?\" = ?"), 0);
	assert_int_equal(kn_stmt_bind_text(st, 1, "what?"), 0);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	assert_string_equal(kn_stmt_text(st, 0), "what?");
	assert_int_equal(kn_stmt_step(st), KN_DONE);
	kn_stmt_free(st);
}

/* Registry helpers. */

#define JIPDEC	1010405009403LL
#define KAKUIN	4011001099001LL
#define MINATO	4010401088002LL
#define HYAKU	9000020011002LL
#define NTA	7000012050002LL

static int
add_org(struct kn_db *db, int64_t number, const char *name,
    const char *kana, const char *name_en)
{
	struct kn_org org;
	int rc;

	kn_org_init(&org);
	org.number = number;
	if ((name != NULL && kn_org_set(&org, KN_ORG_NAME, name) != 0) ||
	    (kana != NULL && kn_org_set(&org, KN_ORG_KANA, kana) != 0) ||
	    (name_en != NULL && kn_org_set(&org, KN_ORG_NAME_EN,
	    name_en) != 0))
		fail_msg("out of memory");
	rc = kn_org_add(db, "tester", &org);
	kn_org_cleanup(&org);
	return rc;
}

static void
must_add(struct kn_db *db, int64_t number, const char *name,
    const char *kana, const char *name_en)
{
	int rc;

	if ((rc = add_org(db, number, name, kana, name_en)) != 0)
		fail_msg("add %lld: %s", (long long)number, kn_err_msg(rc));
}

static void
status_is(struct kn_db *db, const char *row, int64_t number,
    const char *want)
{
	struct kn_org o;

	CHECK_INT(row, kn_org_get(db, &o, number), 0);
	CHECK_STR(row, o.status, want);
	kn_org_cleanup(&o);
}

static void
test_org_add_get(void **state)
{
	struct kn_db *db = migrated(state);
	struct kn_org org, got;
	int rc;

	kn_org_init(&org);
	org.number = JIPDEC;
	assert_int_equal(kn_org_set(&org, KN_ORG_NAME,
	    "一般財団法人日本情報経済社会推進協会"), 0);
	assert_int_equal(kn_org_set(&org, KN_ORG_KANA,
	    " ニホンジョウホウケイザイシャカイスイシンキョウカイ"), 0);
	assert_int_equal(kn_org_set(&org, KN_ORG_POSTAL_CODE, "106-6117"),
	    0);
	assert_int_equal(kn_org_set(&org, KN_ORG_URL,
	    "https://www.jipdec.example/"), 0);
	assert_int_equal(kn_org_set(&org, KN_ORG_DESCRIPTION,
	    "一行目\n二行目"), 0);
	assert_int_equal(kn_org_add(db, "alice", &org), 0);
	kn_org_cleanup(&org);

	assert_int_equal(kn_org_get(db, &got, JIPDEC), 0);
	assert_int_equal(got.number, JIPDEC);
	assert_string_equal(got.status, "applied");
	assert_string_equal(got.f[KN_ORG_NAME],
	    "一般財団法人日本情報経済社会推進協会");
	assert_string_equal(got.f[KN_ORG_KANA],
	    "ニホンジョウホウケイザイシャカイスイシンキョウカイ");
	assert_string_equal(got.f[KN_ORG_POSTAL_CODE], "1066117");
	assert_string_equal(got.f[KN_ORG_DESCRIPTION], "一行目\n二行目");
	assert_null(got.f[KN_ORG_PHONE]);
	assert_string_equal(got.status_by, "alice");
	assert_non_null(got.created_at);
	assert_null(got.verified_since);
	assert_int_equal(got.ndomains, 0);
	assert_int_equal(got.nevents, 1);
	assert_null(got.events[0].from_status);
	assert_string_equal(got.events[0].to_status, "applied");
	assert_string_equal(got.events[0].actor, "alice");
	kn_org_cleanup(&got);

	rc = kn_org_get(db, &got, KAKUIN);
	assert_int_equal(rc, KN_ERR_NOTFOUND);
	CHECK_HAS("not found", kn_err_get()->msg, "4011001099001");
	assert_int_equal(chain_ok(db), 1);
}

/* A refused application stores nothing and audits nothing. */
static void
test_org_add_refused(void **state)
{
	static const struct {
		const char	*name;
		const char	*org_name;
		const char	*kana;
		int		 want_rc;
		const char	*want_field;
	} tab[] = {
		{ "no name", NULL, "カクイン", KN_ERR_INVAL, "name" },
		{ "blank name", "   ", NULL, KN_ERR_INVAL, "name" },
		{ "hiragana kana", "株式会社かくいん", "かくいん", KN_ERR_INVAL,
		    "kana" },
		{ "control in name", "株式会社\x1b", NULL, KN_ERR_INVAL,
		    "name" },
	};
	struct kn_db *db = migrated(state);
	struct kn_org got;
	size_t i;

	for (i = 0; i < NITEMS(tab); i++) {
		kn_err_clear();
		CHECK_INT(tab[i].name, add_org(db, KAKUIN, tab[i].org_name,
		    tab[i].kana, NULL), tab[i].want_rc);
		CHECK_STR(tab[i].name, kn_err_get()->field,
		    tab[i].want_field);
		CHECK_INT(tab[i].name, kn_org_get(db, &got, KAKUIN),
		    KN_ERR_NOTFOUND);
	}
	assert_false(kn_db_in_tx(db));
	assert_int_equal(chain_ok(db), 0);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM orgs"), 0);
}

static void
test_org_add_duplicate(void **state)
{
	struct kn_db *db = migrated(state);
	struct kn_org got;

	must_add(db, KAKUIN, "株式会社かくいん商事", "カクインショウジ", NULL);
	assert_int_equal(add_org(db, KAKUIN, "別の会社", NULL, "Other"),
	    KN_ERR_EXISTS);
	CHECK_STR("duplicate", kn_err_get()->field, "number");
	assert_int_equal(kn_org_get(db, &got, KAKUIN), 0);
	assert_string_equal(got.f[KN_ORG_NAME], "株式会社かくいん商事");
	assert_null(got.f[KN_ORG_NAME_EN]);
	assert_int_equal(got.nevents, 1);
	kn_org_cleanup(&got);
	/* Still refused once verified. */
	assert_int_equal(kn_org_set_status(db, "bob", KAKUIN, "verified",
	    "register checked"), 0);
	assert_int_equal(add_org(db, KAKUIN, "別の会社", NULL, NULL),
	    KN_ERR_EXISTS);
	status_is(db, "after second duplicate", KAKUIN, "verified");
	assert_int_equal(chain_ok(db), 2);
	assert_false(kn_db_in_tx(db));
}

static void
test_org_search(void **state)
{
	static const struct {
		const char	*q;
		const char	*status;
		int		 limit, offset;
		int		 want_rc;
		size_t		 want_n;
		int64_t		 want_first;
		bool		 want_more;
	} tab[] = {
		{ "1010405009403", NULL, 10, 0, 0, 1, JIPDEC, false },
		{ "4011001099001", NULL, 10, 0, 0, 1, KAKUIN, false },
		{ "9999999999999", NULL, 10, 0, 0, 0, 0, false },
		{ "かくいん", NULL, 10, 0, 0, 1, KAKUIN, false },
		{ "カクイン", NULL, 10, 0, 0, 1, KAKUIN, false },
		/* Hiragana finds the katakana reading. */
		{ "かくいんしょうじ", NULL, 10, 0, 0, 1, KAKUIN, false },
		{ "みなとでんし", NULL, 10, 0, 0, 1, MINATO, false },
		{ "kakuin trading", NULL, 10, 0, 0, 1, KAKUIN, false },
		{ "JIPDEC", NULL, 10, 0, 0, 1, JIPDEC, false },
		{ "情報経済", NULL, 10, 0, 0, 1, JIPDEC, false },
		{ "minato.example", NULL, 10, 0, 0, 1, MINATO, false },
		{ "MINATO.Example.", NULL, 10, 0, 0, 1, MINATO, false },
		{ "pending.example", NULL, 10, 0, 0, 0, 0, false },
		/* LIKE wildcards in the query are literal. */
		{ "%", NULL, 10, 0, 0, 1, HYAKU, false },
		{ "_", NULL, 10, 0, 0, 0, 0, false },
		{ "\\", NULL, 10, 0, 0, 0, 0, false },
		/* Everything that applied; verified first. */
		{ "", NULL, 10, 0, 0, 4, KAKUIN, false },
		{ NULL, NULL, 10, 0, 0, 4, KAKUIN, false },
		{ "", "verified", 10, 0, 0, 1, KAKUIN, false },
		{ "", "applied", 10, 0, 0, 3, 0, false },
		{ "", "withdrawn", 10, 0, 0, 0, 0, false },
		{ "", NULL, 2, 0, 0, 2, KAKUIN, true },
		{ "", NULL, 2, 2, 0, 2, 0, false },
		{ "", NULL, 2, 4, 0, 0, 0, false },
		{ "", "bogus", 10, 0, KN_ERR_INVAL, 0, 0, false },
		{ "", NULL, 0, 0, KN_ERR_INVAL, 0, 0, false },
		{ "", NULL, 501, 0, KN_ERR_INVAL, 0, 0, false },
		{ "", NULL, 10, -1, KN_ERR_INVAL, 0, 0, false },
		{ "\x01", NULL, 10, 0, KN_ERR_INVAL, 0, 0, false },
	};
	struct kn_db *db = migrated(state);
	struct kn_domain d;
	size_t i;

	must_add(db, JIPDEC, "一般財団法人日本情報経済社会推進協会",
	    "ニホンジョウホウケイザイシャカイスイシンキョウカイ", "JIPDEC");
	must_add(db, KAKUIN, "株式会社かくいん商事", "カクインショウジ",
	    "Kakuin Trading Co., Ltd.");
	must_add(db, MINATO, "合同会社みなと電子契約", "ミナトデンシケイヤク",
	    "Minato E-Contract LLC");
	must_add(db, HYAKU, "100%商会", "ヒャクパーセントショウカイ", NULL);
	assert_int_equal(kn_org_set_status(db, "bob", KAKUIN, "verified",
	    "checked"), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(kn_domain_add(db, "bob", MINATO, "minato.example",
	    true, true, &d), 0);
	kn_domain_cleanup(&d);
	assert_int_equal(kn_domain_mark_verified(db, "bob", MINATO,
	    "minato.example", "demo"), 0);
	assert_int_equal(kn_domain_add(db, "bob", MINATO, "pending.example",
	    true, false, &d), 0);
	kn_domain_cleanup(&d);

	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_org_query q = { .q = tab[i].q,
		    .status = tab[i].status, .limit = tab[i].limit,
		    .offset = tab[i].offset };
		struct kn_org_list l;
		char row[96];
		int rc;

		snprintf(row, sizeof(row), "q=\"%s\" status=%s limit=%d "
		    "offset=%d", tab[i].q ? tab[i].q : "(null)",
		    tab[i].status ? tab[i].status : "-", tab[i].limit,
		    tab[i].offset);
		rc = kn_org_search(db, &l, &q);
		CHECK_INT(row, rc, tab[i].want_rc);
		if (rc != 0)
			continue;
		CHECK_INT(row, l.n, tab[i].want_n);
		CHECK_INT(row, l.more, tab[i].want_more);
		if (tab[i].want_first != 0)
			CHECK_INT(row, l.orgs[0].number, tab[i].want_first);
		kn_org_list_cleanup(&l);
	}
	chain_ok(db);
}

static void
test_org_status(void **state)
{
	static const struct {
		const char	*to;
		const char	*reason;
		int		 want_rc;
		const char	*want_field;	/* of the error */
		const char	*want_status;	/* after the attempt */
	} steps[] = {
		{ "suspended", "complaint", KN_ERR_STATE, "status",
		    "applied" },
		{ "verified", "", KN_ERR_INVAL, "reason", "applied" },
		{ "verified", NULL, KN_ERR_INVAL, "reason", "applied" },
		{ "verified", "bad\x07reason", KN_ERR_INVAL, "reason",
		    "applied" },
		{ "verified", "register checked", 0, NULL, "verified" },
		{ "verified", "again", KN_ERR_STATE, "status", "verified" },
		{ "applied", "back", KN_ERR_STATE, "status", "verified" },
		{ "listed", "back", KN_ERR_STATE, "status", "verified" },
		{ "bogus", "x", KN_ERR_INVAL, "status", "verified" },
		{ "suspended", "complaint", 0, NULL, "suspended" },
		{ "suspended", "again", KN_ERR_STATE, "status", "suspended" },
		{ "verified", "cleared", 0, NULL, "verified" },
		{ "withdrawn", "asked to leave", 0, NULL, "withdrawn" },
		{ "verified", "return", KN_ERR_STATE, "status", "withdrawn" },
		{ "suspended", "x", KN_ERR_STATE, "status", "withdrawn" },
		{ "withdrawn", "again", KN_ERR_STATE, "status", "withdrawn" },
	};
	struct kn_db *db = migrated(state);
	struct kn_org o;
	char *since = NULL;
	size_t i;
	int64_t audit;

	must_add(db, KAKUIN, "株式会社かくいん商事", NULL, NULL);
	audit = chain_ok(db);
	for (i = 0; i < NITEMS(steps); i++) {
		char row[64];

		snprintf(row, sizeof(row), "step %zu: to %s", i + 1,
		    steps[i].to);
		kn_err_clear();
		CHECK_INT(row, kn_org_set_status(db, "officer", KAKUIN,
		    steps[i].to, steps[i].reason), steps[i].want_rc);
		if (steps[i].want_rc == 0)
			audit++;
		else
			CHECK_STR(row, kn_err_get()->field,
			    steps[i].want_field);
		CHECK_INT(row, kn_db_in_tx(db), false);
		CHECK_INT(row, kn_org_get(db, &o, KAKUIN), 0);
		CHECK_STR(row, o.status, steps[i].want_status);
		/* verified_since is the first verification, kept after. */
		if (since == NULL && o.verified_since != NULL)
			since = strdup(o.verified_since);
		else if (since != NULL)
			CHECK_STR(row, o.verified_since, since);
		kn_org_cleanup(&o);
		CHECK_INT(row, chain_ok(db), audit);
	}
	assert_non_null(since);
	free(since);
	assert_int_equal(kn_org_get(db, &o, KAKUIN), 0);
	assert_int_equal(o.nevents, 5);
	assert_string_equal(o.events[4].from_status, "verified");
	assert_string_equal(o.events[4].to_status, "withdrawn");
	assert_string_equal(o.events[4].reason, "asked to leave");
	assert_string_equal(o.status_reason, "asked to leave");
	assert_string_equal(o.status_by, "officer");
	kn_org_cleanup(&o);

	assert_int_equal(kn_org_set_status(db, "officer", JIPDEC, "verified",
	    "x"), KN_ERR_NOTFOUND);
	/* Applied straight to withdrawn is allowed. */
	must_add(db, MINATO, "合同会社みなと電子契約", NULL, NULL);
	assert_int_equal(kn_org_set_status(db, "officer", MINATO,
	    "withdrawn", "changed their mind"), 0);
	status_is(db, "applied to withdrawn", MINATO, "withdrawn");
}

static void
test_org_update(void **state)
{
	struct kn_db *db = migrated(state);
	struct kn_org o;

	must_add(db, KAKUIN, "株式会社かくいん商事", "カクインショウジ", NULL);
	kn_org_init(&o);
	o.number = KAKUIN;
	assert_int_equal(kn_org_set(&o, KN_ORG_PHONE, "03-1234-5678"), 0);
	assert_int_equal(kn_org_update(db, "officer", &o), 0);
	/* A bad value changes nothing. */
	assert_int_equal(kn_org_set(&o, KN_ORG_PHONE, "call us"), 0);
	assert_int_equal(kn_org_update(db, "officer", &o), KN_ERR_INVAL);
	assert_int_equal(kn_org_set(&o, KN_ORG_PHONE, NULL), 0);
	assert_int_equal(kn_org_set(&o, KN_ORG_NAME, " "), 0);
	assert_int_equal(kn_org_update(db, "officer", &o), KN_ERR_INVAL);
	kn_org_cleanup(&o);
	kn_org_init(&o);
	assert_int_equal(kn_org_get(db, &o, KAKUIN), 0);
	assert_string_equal(o.f[KN_ORG_PHONE], "03-1234-5678");
	assert_string_equal(o.f[KN_ORG_NAME], "株式会社かくいん商事");
	assert_string_equal(o.f[KN_ORG_KANA], "カクインショウジ");
	kn_org_cleanup(&o);
	/* Given empty, a field is cleared; fields not given are kept. */
	kn_org_init(&o);
	o.number = KAKUIN;
	assert_int_equal(kn_org_set(&o, KN_ORG_PHONE, " "), 0);
	assert_int_equal(kn_org_update(db, "officer", &o), 0);
	kn_org_cleanup(&o);
	assert_int_equal(kn_org_get(db, &o, KAKUIN), 0);
	assert_null(o.f[KN_ORG_PHONE]);
	assert_string_equal(o.f[KN_ORG_KANA], "カクインショウジ");
	kn_org_cleanup(&o);
	/* A withdrawn organization cannot be changed. */
	assert_int_equal(kn_org_set_status(db, "officer", KAKUIN,
	    "withdrawn", "closed"), 0);
	kn_org_init(&o);
	o.number = KAKUIN;
	assert_int_equal(kn_org_set(&o, KN_ORG_PHONE, "03-9999-9999"), 0);
	assert_int_equal(kn_org_update(db, "officer", &o), KN_ERR_STATE);
	o.number = JIPDEC;
	assert_int_equal(kn_org_update(db, "officer", &o), KN_ERR_NOTFOUND);
	kn_org_cleanup(&o);
	assert_int_equal(chain_ok(db), 4);
}

static const struct kn_domain *
find_domain(const struct kn_org *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->ndomains; i++) {
		if (strcmp(o->domains[i].name, name) == 0)
			return &o->domains[i];
	}
	return NULL;
}

static int64_t
search_one(struct kn_db *db, const char *q)
{
	struct kn_org_query query = { .q = q, .limit = 10 };
	struct kn_org_list l;
	int64_t n;

	if (kn_org_search(db, &l, &query) != 0)
		fail_msg("search %s failed", q);
	n = l.n == 1 ? l.orgs[0].number : (int64_t)-(int64_t)l.n;
	kn_org_list_cleanup(&l);
	return n;
}

static void
test_domain_owner(void **state)
{
	struct kn_db *db = migrated(state);
	struct kn_domain d, d2;
	struct kn_org o;
	const struct kn_domain *od;

	must_add(db, JIPDEC, "一般財団法人日本情報経済社会推進協会", NULL,
	    NULL);
	must_add(db, KAKUIN, "株式会社かくいん商事", NULL, NULL);
	memset(&d, 0, sizeof(d));
	memset(&d2, 0, sizeof(d2));

	assert_int_equal(kn_domain_add(db, "bob", JIPDEC, "Shared.Example.",
	    true, false, &d), 0);
	assert_string_equal(d.name, "shared.example");
	assert_int_equal(strlen(d.token), KN_TOKEN_LEN);
	assert_null(d.verified_at);
	assert_true(d.web);
	assert_false(d.mail);
	/* Unproven claims by two organizations may coexist. */
	assert_int_equal(kn_domain_add(db, "bob", KAKUIN, "shared.example",
	    false, true, &d2), 0);
	assert_string_not_equal(d.token, d2.token);
	kn_domain_cleanup(&d2);
	/* A repeated claim adds the use and keeps the token. */
	assert_int_equal(kn_domain_add(db, "bob", JIPDEC, "shared.example",
	    false, true, &d2), 0);
	assert_string_equal(d2.token, d.token);
	assert_true(d2.web);
	assert_true(d2.mail);
	kn_domain_cleanup(&d2);
	assert_int_equal(kn_domain_add(db, "bob", JIPDEC, "shared.example",
	    false, false, &d2), KN_ERR_INVAL);
	assert_int_equal(kn_domain_add(db, "bob", JIPDEC, "bad..example",
	    true, false, &d2), KN_ERR_INVAL);
	assert_int_equal(kn_domain_add(db, "bob", MINATO, "minato.example",
	    true, false, &d2), KN_ERR_NOTFOUND);

	/* Proven by one: the other can neither prove nor claim it. */
	assert_int_equal(kn_domain_mark_verified(db, "bob", JIPDEC,
	    "shared.example", "demo"), 0);
	assert_int_equal(kn_domain_mark_verified(db, "bob", KAKUIN,
	    "shared.example", "demo"), KN_ERR_EXISTS);
	CHECK_HAS("owned", kn_err_get()->msg, "1010405009403");
	assert_int_equal(kn_domain_add(db, "bob", KAKUIN, "shared.example",
	    true, true, &d2), KN_ERR_EXISTS);
	assert_int_equal(kn_domain_mark_verified(db, "bob", KAKUIN,
	    "unclaimed.example", "demo"), KN_ERR_NOTFOUND);
	assert_int_equal(search_one(db, "shared.example"), JIPDEC);
	/* The store itself refuses a second owner too. */
	assert_int_equal(kn_db_exec(db, "UPDATE domains SET verified_at = "
	    "'2024-01-01T00:00:00Z' WHERE org_number = 4011001099001"),
	    KN_ERR_EXISTS);

	/* Withdrawal releases the domain. */
	assert_int_equal(kn_org_set_status(db, "bob", JIPDEC, "withdrawn",
	    "closed"), 0);
	assert_int_equal(kn_org_get(db, &o, JIPDEC), 0);
	od = find_domain(&o, "shared.example");
	assert_non_null(od);
	assert_non_null(od->verified_at);
	assert_non_null(od->released_at);
	kn_org_cleanup(&o);
	assert_int_equal(search_one(db, "shared.example"), 0);
	assert_int_equal(kn_domain_add(db, "bob", JIPDEC, "other.example",
	    true, false, &d2), KN_ERR_STATE);
	assert_int_equal(kn_domain_mark_verified(db, "bob", KAKUIN,
	    "shared.example", "demo"), 0);
	assert_int_equal(search_one(db, "shared.example"), KAKUIN);
	kn_domain_cleanup(&d);
	assert_int_equal(chain_ok(db), 8);
}

/*
 * A withdrawn organization may apply again: a new application, with the
 * old history kept, and its released domains proven anew.
 */
static void
test_org_reapply(void **state)
{
	struct kn_db *db = migrated(state);
	struct kn_domain d, d2;
	struct kn_org o;
	const struct kn_domain *od;

	memset(&d, 0, sizeof(d));
	memset(&d2, 0, sizeof(d2));
	must_add(db, KAKUIN, "株式会社かくいん商事", NULL, NULL);
	assert_int_equal(kn_domain_add(db, "bob", KAKUIN, "kakuin.example",
	    true, true, &d), 0);
	assert_int_equal(kn_domain_mark_verified(db, "bob", KAKUIN,
	    "kakuin.example", "demo"), 0);
	assert_int_equal(kn_org_set_status(db, "bob", KAKUIN, "verified",
	    "checked"), 0);
	assert_int_equal(kn_org_set_status(db, "bob", KAKUIN, "withdrawn",
	    "closed"), 0);
	assert_int_equal(kn_org_set_status(db, "bob", KAKUIN, "verified",
	    "back"), KN_ERR_STATE);
	CHECK_HAS("withdrawn", kn_err_get()->msg, "apply again");

	must_add(db, KAKUIN, "株式会社かくいん商事", NULL, "Kakuin Trading");
	assert_int_equal(kn_org_get(db, &o, KAKUIN), 0);
	assert_string_equal(o.status, "applied");
	assert_null(o.verified_since);
	assert_string_equal(o.f[KN_ORG_NAME_EN], "Kakuin Trading");
	assert_int_equal(o.nevents, 4);
	assert_string_equal(o.events[3].from_status, "withdrawn");
	assert_string_equal(o.events[3].to_status, "applied");
	od = find_domain(&o, "kakuin.example");
	assert_non_null(od);
	assert_non_null(od->released_at);
	kn_org_cleanup(&o);
	/* The old proof does not carry over: a new claim, a new token. */
	assert_int_equal(search_one(db, "kakuin.example"), 0);
	assert_int_equal(kn_domain_add(db, "bob", KAKUIN, "kakuin.example",
	    true, false, &d2), 0);
	assert_string_not_equal(d2.token, d.token);
	assert_null(d2.verified_at);
	assert_null(d2.released_at);
	assert_true(d2.web);
	assert_false(d2.mail);
	kn_domain_cleanup(&d);
	kn_domain_cleanup(&d2);
	/* A second application while the first is open is refused. */
	assert_int_equal(add_org(db, KAKUIN, "株式会社かくいん商事", NULL,
	    NULL), KN_ERR_EXISTS);

	/* Public views load no history. */
	assert_int_equal(kn_org_load(db, &o, KAKUIN, KN_ORG_LOAD_DOMAINS),
	    0);
	assert_int_equal(o.nevents, 0);
	assert_int_equal(o.ndomains, 1);
	kn_org_cleanup(&o);
	assert_int_equal(kn_org_load(db, &o, KAKUIN, 0), 0);
	assert_int_equal(o.ndomains, 0);
	assert_string_equal(o.status, "applied");
	kn_org_cleanup(&o);
	assert_int_equal(chain_ok(db), 7);
}

/* Writes the agency's CSV for tests: one record per line. */
static void
nta_line(struct kn_buf *b, int seq, const char *number, const char *update,
    const char *name, const char *street, bool latest, bool hidden)
{
	kn_buf_putf(b, "%d,%s,\"01\",\"0\",\"%s\",\"%s\",\"%s\",\"\",\"301\","
	    "\"東京都\",\"港区\",\"%s\",\"\",\"13\",\"103\",\"1066117\",\"\","
	    "\"\",\"\",\"\",\"\",\"\",\"2015-10-05\",\"%d\",\"\",\"\",\"\","
	    "\"\",\"\",\"%d\"\r\n", seq, number, update, update, name, street,
	    latest, hidden);
}

struct progress {
	int			 calls;
	struct kn_import_progress last;
};

static void
on_progress(void *arg, const struct kn_import_progress *p)
{
	struct progress *pr = arg;

	if (pr->calls > 0 && p->bytes_done < pr->last.bytes_done)
		fail_msg("progress went back from %llu to %llu",
		    (unsigned long long)pr->last.bytes_done,
		    (unsigned long long)p->bytes_done);
	pr->calls++;
	pr->last = *p;
}

static void
test_import(void **state)
{
	struct fx *fx = *state;
	struct kn_db *db = migrated(state);
	struct progress pr = { 0 };
	struct kn_import_opts o = { .actor = "importer",
	    .progress = on_progress, .arg = &pr };
	struct kn_import_result res, again;
	struct kn_import_reject *rej = NULL;
	struct kn_buf b;
	struct kn_org org;
	size_t nrej = 0;
	char *dir = tu_tmpdir(), *path;
	int64_t audit;

	(void)fx;
	kn_buf_init(&b, 1 << 20);
	kn_buf_puts(&b, "\xef\xbb\xbf");
	nta_line(&b, 1, "1010405009403", "2014-04-01", "旧名称協会",
	    "一丁目", false, false);
	nta_line(&b, 2, "1010405009403", "2015-10-05",
	    "一般財団法人日本情報経済社会推進協会", "六本木一丁目９番９号",
	    true, false);
	nta_line(&b, 3, "1010405009404", "2015-10-05", "検査数字違い",
	    "一丁目", true, false);
	nta_line(&b, 4, "7000012050002", "2015-10-05", "国税庁",
	    "霞が関三丁目１番１号", true, true);
	nta_line(&b, 5, "4011001099001", "2016-01-01",
	    "株式会社かくいん商事", "丸の内二丁目, \"\"一番\"\"", true, false);
	/* An older record that arrives later does not overwrite. */
	nta_line(&b, 6, "1010405009403", "2010-01-01", "古い名前",
	    "旧住所", true, false);
	kn_buf_puts(&b, "\r\n");
	assert_false(b.failed);
	path = tu_write(dir, "00_zenkoku_all.csv", b.data, b.len);
	kn_buf_cleanup(&b);
	o.path = path;

	assert_int_equal(kn_nta_import(db, &o, &res), 0);
	assert_int_equal(res.lines, 6);
	assert_int_equal(res.accepted, 5);
	assert_int_equal(res.rejected, 1);
	assert_false(res.already_done);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM nta_records"), 5);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM orgs"), 3);
	/* Progress ends at the whole file with the final counts. */
	assert_true(pr.calls >= 1);
	assert_true(pr.last.bytes_total > 0);
	assert_int_equal(pr.last.bytes_done, pr.last.bytes_total);
	assert_int_equal(pr.last.accepted, 5);
	assert_int_equal(pr.last.rejected, 1);
	assert_int_equal(kn_nta_rejects(db, res.id, 100, &rej, &nrej), 0);
	assert_int_equal(nrej, 1);
	assert_int_equal(rej[0].line, 3);
	CHECK_HAS("reject", rej[0].reason, "corporateNumber");
	kn_nta_rejects_free(rej, nrej);

	assert_int_equal(kn_org_get(db, &org, JIPDEC), 0);
	assert_string_equal(org.status, "listed");
	assert_string_equal(org.f[KN_ORG_NAME],
	    "一般財団法人日本情報経済社会推進協会");
	assert_string_equal(org.f[KN_ORG_ADDRESS],
	    "東京都港区六本木一丁目９番９号");
	assert_string_equal(org.nta_updated, "2015-10-05");
	assert_false(org.hidden);
	kn_org_cleanup(&org);
	assert_int_equal(kn_org_get(db, &org, KAKUIN), 0);
	assert_string_equal(org.f[KN_ORG_ADDRESS],
	    "東京都港区丸の内二丁目, \"一番\"");
	kn_org_cleanup(&org);

	/* Listed organizations are found by name, not in the applied list;
	 * hidden ones only when asked. */
	assert_int_equal(search_one(db, ""), 0);
	assert_int_equal(search_one(db, "日本情報"), JIPDEC);
	assert_int_equal(search_one(db, "国税庁"), 0);
	{
		struct kn_org_query q = { .q = "国税庁", .limit = 10,
		    .include_hidden = true };
		struct kn_org_list l;

		assert_int_equal(kn_org_search(db, &l, &q), 0);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.orgs[0].number, NTA);
		kn_org_list_cleanup(&l);
	}
	/* A listed organization cannot change status until it applies. */
	assert_int_equal(kn_org_set_status(db, "officer", JIPDEC, "verified",
	    "x"), KN_ERR_STATE);

	/* The same file again: recognised, nothing changes. */
	audit = chain_ok(db);
	assert_int_equal(kn_nta_import(db, &o, &again), 0);
	assert_true(again.already_done);
	assert_int_equal(again.id, res.id);
	assert_int_equal(again.accepted, 5);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM nta_records"), 5);
	assert_int_equal(chain_ok(db), audit);
	/* Unless asked to: then it is a new import of its own. */
	o.again = true;
	assert_int_equal(kn_nta_import(db, &o, &again), 0);
	assert_false(again.already_done);
	assert_int_not_equal(again.id, res.id);
	assert_int_equal(again.accepted, 5);
	assert_int_equal(again.rejected, 1);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM orgs"), 3);
	o.again = false;

	/* Applying keeps the agency's data and records where it came from. */
	must_add(db, JIPDEC, "一般財団法人日本情報経済社会推進協会", NULL,
	    "JIPDEC");
	assert_int_equal(kn_org_get(db, &org, JIPDEC), 0);
	assert_string_equal(org.status, "applied");
	assert_string_equal(org.f[KN_ORG_NAME_EN], "JIPDEC");
	assert_string_equal(org.f[KN_ORG_ADDRESS],
	    "東京都港区六本木一丁目９番９号");
	assert_int_equal(org.nevents, 1);
	assert_string_equal(org.events[0].from_status, "listed");
	kn_org_cleanup(&org);
	assert_int_equal(add_org(db, JIPDEC, "二度目", NULL, NULL),
	    KN_ERR_EXISTS);

	/* A missing file is an I/O error naming it. */
	o.path = "/nonexistent/kakuin/file.csv";
	assert_int_equal(kn_nta_import(db, &o, &again), KN_ERR_IO);
	CHECK_HAS("missing", kn_err_get()->msg, "/nonexistent/kakuin");
	chain_ok(db);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

/* Interrupted after a few batches, then resumed: the same end state as
 * one import, with no record applied twice. */
static void
test_import_resume(void **state)
{
	struct kn_db *db = migrated(state);
	struct kn_import_opts o = { .actor = "importer", .batch = 2 };
	struct kn_import_result res;
	struct kn_buf b;
	char *dir = tu_tmpdir(), *path;
	int i, rc;

	kn_buf_init(&b, 1 << 20);
	for (i = 1; i <= 9; i++) {
		char base[13], num[14];

		snprintf(base, sizeof(base), "%012d", 100000 + i);
		snprintf(num, sizeof(num), "%d%s",
		    kn_corpnum_check_digit(base), base);
		if (i == 4)
			num[0] = num[0] == '1' ? '2' : '1';
		nta_line(&b, i, num, "2020-01-01", "株式会社テスト", "一丁目",
		    true, false);
	}
	assert_false(b.failed);
	path = tu_write(dir, "diff.csv", b.data, b.len);
	kn_buf_cleanup(&b);
	o.path = path;

	o.stop_after = 5;
	rc = kn_nta_import(db, &o, &res);
	assert_int_equal(rc, KN_ERR_IO);
	assert_false(kn_db_in_tx(db));
	/* Two batches of two were committed; line 5 was lost. */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM nta_records"), 3);
	assert_int_equal(scalar(db, "SELECT line FROM imports"), 4);

	o.stop_after = 0;
	assert_int_equal(kn_nta_import(db, &o, &res), 0);
	assert_int_equal(res.resumed_at, 4);
	assert_int_equal(res.lines, 9);
	assert_int_equal(res.accepted, 8);
	assert_int_equal(res.rejected, 1);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM nta_records"), 8);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM orgs"), 8);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM import_rejects"),
	    1);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM imports"), 1);
	assert_int_equal(scalar(db, "SELECT accepted FROM imports"), 8);
	assert_true(scalar(db, "SELECT COUNT(*) FROM imports WHERE "
	    "finished_at IS NOT NULL") == 1);

	assert_int_equal(kn_nta_import(db, &o, &res), 0);
	assert_true(res.already_done);
	assert_int_equal(res.accepted, 8);
	/* start, 2 batches, then 2 batches and the end after resuming */
	assert_int_equal(chain_ok(db), 6);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

/* The demonstration registry that kakuin init --demo creates. */
static void
test_demo(void **state)
{
	static const struct {
		const char	*status;
		int64_t		 want;
	} tab[] = {
		{ "verified", 4 }, { "applied", 1 }, { "suspended", 1 },
		{ "listed", 0 }, { "withdrawn", 0 },
	};
	struct kn_db *db = migrated(state);
	size_t i;

	assert_int_equal(kn_demo_registry(db, "demo"), 0);
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_org_query q = { .status = tab[i].status,
		    .limit = 100 };
		struct kn_org_list l;

		CHECK_INT(tab[i].status, kn_org_search(db, &l, &q), 0);
		CHECK_INT(tab[i].status, l.n, tab[i].want);
		kn_org_list_cleanup(&l);
	}
	assert_int_equal(search_one(db, "jipdec.example"), JIPDEC);
	assert_int_equal(search_one(db, "mail.jipdec.example"), JIPDEC);
	/* A pending claim is not published. */
	assert_int_equal(search_one(db, "sakura-mail.example"), 0);
	chain_ok(db);
	/* Run twice, it refuses rather than duplicating. */
	assert_int_equal(kn_demo_registry(db, "demo"), KN_ERR_EXISTS);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM orgs"), 6);
	chain_ok(db);
}

#define STORE_TESTS(setup) \
	cmocka_unit_test_setup_teardown(test_migrate, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_stmt_cache, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_bind_types, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_constraints, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_transactions, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_placeholders_in_quotes, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_org_add_get, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_org_add_refused, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_org_add_duplicate, setup, \
	    teardown), \
	cmocka_unit_test_setup_teardown(test_org_search, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_org_status, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_org_update, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_domain_owner, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_org_reapply, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_import, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_import_resume, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_demo, setup, teardown)

int
main(void)
{
	const struct CMUnitTest sqlite_tests[] = { STORE_TESTS(setup_sqlite) };
	const struct CMUnitTest pg_tests[] = { STORE_TESTS(setup_pg) };
	const char *pg = getenv("KAKUIN_TEST_PG");
	int failed;

	failed = cmocka_run_group_tests_name("store sqlite", sqlite_tests,
	    NULL, NULL);
	/* make check sets KAKUIN_TEST_PG: then PostgreSQL must run. */
	if (pg != NULL && *pg != '\0')
		failed += cmocka_run_group_tests_name("store postgresql",
		    pg_tests, NULL, NULL);
	return failed != 0;
}
