/*
 * test_audit.c - the hash-chained audit log: appending, verifying, and
 * catching each kind of tampering.  The tampering goes around kakuin,
 * straight to the SQLite file, after dropping the append-only triggers,
 * as someone with access to the file could.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "store/db.h"
#include "testutil.h"

struct fx {
	char		*dir;
	char		*path;
	struct kn_db	*db;
};

/* A new store in a new directory, migrated. */
static int
fresh(struct fx *fx)
{
	char *url;
	int v, rc;

	fx->dir = tu_tmpdir();
	fx->path = tu_printf("%s/kakuin.db", fx->dir);
	url = tu_printf("sqlite:%s", fx->path);
	rc = kn_db_open(&fx->db, url);
	free(url);
	if (rc == 0)
		rc = kn_db_migrate(fx->db, &v);
	return rc;
}

static void
discard(struct fx *fx)
{
	kn_db_close(fx->db);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx->path);
	fx->db = NULL;
	fx->dir = fx->path = NULL;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	*state = fx;
	return fresh(fx) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	discard(fx);
	free(fx);
	return 0;
}

/* Appends n records in one transaction. */
static void
append(struct kn_db *db, int n)
{
	int i, rc;

	assert_int_equal(kn_db_begin(db), 0);
	for (i = 0; i < n; i++) {
		char obj[32];
		int64_t seq = 0;

		snprintf(obj, sizeof(obj), "org:%d", i);
		if ((rc = kn_audit_append(db, "alice", "org.add", obj,
		    "{\"n\":1}", &seq)) != 0)
			fail_msg("append: %s", kn_err_msg(rc));
		assert_true(seq > 0);
	}
	assert_int_equal(kn_db_commit(db), 0);
}

/* Runs SQL on the store file directly, as an intruder would. */
static void
tamper(const char *path, const char *sql)
{
	sqlite3 *conn = NULL;
	char *err = NULL;

	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	if (sqlite3_exec(conn, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("tamper %s: %s", sql, err ? err : "?");
	sqlite3_close(conn);
}

static void
test_append_needs_tx(void **state)
{
	struct fx *fx = *state;
	struct kn_audit_report rep;
	int64_t seq = -1;

	assert_int_equal(kn_audit_append(fx->db, "alice", "x", "y", "{}",
	    &seq), KN_ERR_INTERNAL);
	assert_int_equal(seq, -1);
	assert_int_equal(kn_audit_verify(fx->db, &rep), 0);
	assert_int_equal(rep.rows, 0);
	/* An empty log's head is the all-zero hash. */
	assert_int_equal(strspn(rep.head, "0"), 64);
	assert_int_equal(strlen(rep.head), 64);
}

static void
test_append_verify(void **state)
{
	struct fx *fx = *state;
	struct kn_audit_report rep;
	struct kn_stmt *st = NULL;
	int64_t seq = 0;

	append(fx->db, 3);
	assert_int_equal(kn_audit_verify(fx->db, &rep), 0);
	assert_int_equal(rep.rows, 3);
	assert_int_equal(rep.broken_seq, 0);
	assert_int_equal(kn_db_prepare(fx->db, &st, "SELECT hash FROM audit "
	    "WHERE seq = 3"), 0);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	assert_string_equal(rep.head, kn_stmt_text(st, 0));
	kn_stmt_free(st);

	/* A rolled-back append leaves no row and no gap. */
	assert_int_equal(kn_db_begin(fx->db), 0);
	assert_int_equal(kn_audit_append(fx->db, "bob", "user.add",
	    "user:bob", "{}", &seq), 0);
	assert_int_equal(seq, 4);
	kn_db_rollback(fx->db);
	assert_int_equal(kn_audit_verify(fx->db, &rep), 0);
	assert_int_equal(rep.rows, 3);
	append(fx->db, 1);
	assert_int_equal(kn_audit_verify(fx->db, &rep), 0);
	assert_int_equal(rep.rows, 4);

	/* The log is append-only through the store. */
	assert_int_not_equal(kn_db_exec(fx->db, "UPDATE audit SET actor = "
	    "'mallory' WHERE seq = 1"), 0);
	assert_int_not_equal(kn_db_exec(fx->db, "DELETE FROM audit WHERE "
	    "seq = 4"), 0);
	assert_int_equal(kn_audit_verify(fx->db, &rep), 0);
	assert_int_equal(rep.rows, 4);
}

/*
 * The row hash is SHA-256 over "kakuin audit v1" and its NUL, then each of
 * seq (decimal), at, actor, action, object, detail, prev as an 8-byte
 * big-endian length and the bytes.  Stored logs depend on this encoding
 * never changing: compute it independently.
 */
static void
put(EVP_MD_CTX *md, const char *s)
{
	unsigned char len[8] = { 0 };
	size_t n = strlen(s);

	len[6] = (unsigned char)(n >> 8);
	len[7] = (unsigned char)n;
	assert_true(n < 65536);
	EVP_DigestUpdate(md, len, 8);
	EVP_DigestUpdate(md, s, n);
}

static void
test_hash_encoding(void **state)
{
	static const struct {
		int64_t		 seq;
		const char	*f[6];
	} tab[] = {
		{ 1, { "2024-01-01T00:00:00Z", "alice", "org.add",
		    "org:1010405009403", "{}", "0000000000000000000000000000"
		    "000000000000000000000000000000000000" } },
		{ 42, { "", "", "", "", "", "" } },
		/* Moving a byte between fields changes the hash. */
		{ 7, { "ab", "c", "x", "y", "z", "p" } },
		{ 7, { "a", "bc", "x", "y", "z", "p" } },
	};
	char got[KN_AUDIT_HASH_HEX], want[KN_AUDIT_HASH_HEX];
	char prev_hash[KN_AUDIT_HASH_HEX] = "";
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned char d[32];
		unsigned int dlen;
		char seq[24], row[16];
		int k;

		snprintf(row, sizeof(row), "row %zu", i);
		assert_non_null(md);
		assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
		EVP_DigestUpdate(md, "kakuin audit v1", 16);
		snprintf(seq, sizeof(seq), "%lld", (long long)tab[i].seq);
		put(md, seq);
		for (k = 0; k < 6; k++)
			put(md, tab[i].f[k]);
		EVP_DigestFinal_ex(md, d, &dlen);
		EVP_MD_CTX_free(md);
		kn_hex(want, d, sizeof(d));
		assert_int_equal(kn_audit_hash(got, tab[i].seq, tab[i].f[0],
		    tab[i].f[1], tab[i].f[2], tab[i].f[3], tab[i].f[4],
		    tab[i].f[5]), 0);
		CHECK_STR(row, got, want);
		if (strcmp(got, prev_hash) == 0)
			fail_msg("%s: same hash as the row before", row);
		memcpy(prev_hash, got, sizeof(got));
	}
}

static void
test_tamper(void **state)
{
	static const struct {
		const char	*name;
		const char	*sql;
		int64_t		 want_seq;
		const char	*want_reason;
	} tab[] = {
		{ "edited detail",
		    "UPDATE audit SET detail = '{\"n\":2}' WHERE seq = 2",
		    2, "was changed" },
		{ "edited actor of the last row",
		    "UPDATE audit SET actor = 'mallory' WHERE seq = 4",
		    4, "was changed" },
		{ "edited time",
		    "UPDATE audit SET at = '2000-01-01T00:00:00Z' "
		    "WHERE seq = 1", 1, "was changed" },
		{ "edited link",
		    "UPDATE audit SET prev = (SELECT hash FROM audit "
		    "WHERE seq = 1) WHERE seq = 3", 3, "does not link" },
		{ "deleted middle row", "DELETE FROM audit WHERE seq = 2",
		    2, "row 2 is missing" },
		{ "deleted first row", "DELETE FROM audit WHERE seq = 1",
		    1, "row 1 is missing" },
		{ "deleted tail row", "DELETE FROM audit WHERE seq = 4",
		    4, "rows at the end were deleted" },
		{ "deleted every row", "DELETE FROM audit", 1,
		    "rows at the end were deleted" },
		{ "wrong head",
		    "UPDATE audit_head SET hash = (SELECT hash FROM audit "
		    "WHERE seq = 3)", 4, "does not match the recorded head" },
		/* Row 4 is the first the head does not account for. */
		{ "head behind",
		    "UPDATE audit_head SET seq = 3", 4,
		    "the head records 3 rows but the log holds 4" },
		{ "head row removed", "DELETE FROM audit_head", 5,
		    "head row is missing" },
		{ "renumbered rows",
		    "DELETE FROM audit WHERE seq = 2; "
		    "UPDATE audit SET seq = seq - 1 WHERE seq > 2", 2,
		    "does not link" },
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_audit_report rep;
		int rc;

		/* A fresh log of four rows for each kind of tampering. */
		discard(fx);
		assert_int_equal(fresh(fx), 0);
		append(fx->db, 4);
		assert_int_equal(kn_audit_verify(fx->db, &rep), 0);

		tamper(fx->path, "DROP TRIGGER audit_no_update; "
		    "DROP TRIGGER audit_no_delete;");
		tamper(fx->path, tab[i].sql);
		rc = kn_audit_verify(fx->db, &rep);
		CHECK_INT(tab[i].name, rc, KN_ERR_VERIFY);
		CHECK_INT(tab[i].name, rep.broken_seq, tab[i].want_seq);
		CHECK_HAS(tab[i].name, rep.reason, tab[i].want_reason);
	}
}

/*
 * Rewriting a row together with its own hash is caught at the next row,
 * whose prev no longer matches.
 */
static void
test_tamper_rehashed(void **state)
{
	struct fx *fx = *state;
	struct kn_audit_report rep;
	struct kn_stmt *st = NULL;
	char hash[KN_AUDIT_HASH_HEX], *sql;
	char at[32], prev[KN_AUDIT_HASH_HEX];

	append(fx->db, 3);
	assert_int_equal(kn_db_prepare(fx->db, &st, "SELECT at, prev FROM "
	    "audit WHERE seq = 2"), 0);
	assert_int_equal(kn_stmt_step(st), KN_ROW);
	snprintf(at, sizeof(at), "%s", kn_stmt_text(st, 0));
	snprintf(prev, sizeof(prev), "%s", kn_stmt_text(st, 1));
	kn_stmt_free(st);
	assert_int_equal(kn_audit_hash(hash, 2, at, "mallory", "org.add",
	    "org:1", "{\"n\":1}", prev), 0);
	sql = tu_printf("DROP TRIGGER audit_no_update; UPDATE audit SET "
	    "actor = 'mallory', hash = '%s' WHERE seq = 2", hash);
	tamper(fx->path, sql);
	free(sql);
	assert_int_equal(kn_audit_verify(fx->db, &rep), KN_ERR_VERIFY);
	assert_int_equal(rep.broken_seq, 3);
	CHECK_HAS("rehashed", rep.reason, "does not link to the hash of row 2");
	assert_int_equal(rep.rows, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_needs_tx, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_append_verify, setup,
		    teardown),
		cmocka_unit_test(test_hash_encoding),
		cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper_rehashed, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
