/* sqlite.c - the embedded store backend. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/backend.h"

struct sq_stmt {
	struct kn_stmt	 base;
	sqlite3_stmt	*st;
	bool		 started;
	bool		 done;
	int64_t		 changes;
};

#define CONN(db) ((sqlite3 *)(db)->conn)

static int
sq_error(sqlite3 *conn, int src)
{
	int ext = sqlite3_extended_errcode(conn);

	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return kn_err_set(KN_ERR_BUSY, NULL,
		    "store is busy (another writer holds the lock); "
		    "try again");
	case SQLITE_CONSTRAINT:
		if (ext == SQLITE_CONSTRAINT_UNIQUE ||
		    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return kn_err_set(KN_ERR_EXISTS, NULL, "store: %s",
			    sqlite3_errmsg(conn));
		return kn_err_set(KN_ERR_INVAL, NULL, "store: %s",
		    sqlite3_errmsg(conn));
	case SQLITE_NOMEM:
		return KN_ERR_NOMEM;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return kn_err_set(KN_ERR_IO, NULL, "store: %s",
		    sqlite3_errmsg(conn));
	default:
		return kn_err_set(KN_ERR_DB, NULL, "store: %s",
		    sqlite3_errmsg(conn));
	}
}

static int
sq_exec(struct kn_db *db, const char *sql)
{
	int rc;

	rc = sqlite3_exec(CONN(db), sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_error(CONN(db), rc);
	return 0;
}

static void
sq_global_config(void)
{
	/*
	 * Memory statistics take a global mutex on every SQLite allocation;
	 * kakuin never reads them.  Must precede sqlite3_initialize().
	 */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int
sq_open(struct kn_db *db, const char *path)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	sqlite3 *conn = NULL;
	int rc;

	pthread_once(&once, sq_global_config);
	rc = sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = kn_err_set(KN_ERR_DB, NULL, "cannot open store %s: %s",
		    path, conn ? sqlite3_errmsg(conn) : "out of memory");
		sqlite3_close(conn);
		return rc;
	}
	db->conn = conn;
	sqlite3_busy_timeout(conn, 10000);
	sqlite3_extended_result_codes(conn, 1);
	/*
	 * WAL lets readers (the web server) run beside one writer.
	 * synchronous=FULL syncs the log at every commit: whatever kakuin
	 * reported done (an issued serial, a revocation) survives a power
	 * cut.  Bulk imports commit in large batches, so it costs them
	 * little.
	 */
	if ((rc = sq_exec(db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;"
	    "PRAGMA cache_size=-65536;"
	    "PRAGMA temp_store=MEMORY;")) != 0) {
		sqlite3_close(conn);
		db->conn = NULL;
		return rc;
	}
	return 0;
}

static bool
sq_broken(const struct kn_db *db)
{
	(void)db;
	return false;
}

static void
sq_close(struct kn_db *db)
{
	sqlite3_close(CONN(db));
}

static int
sq_prepare(struct kn_db *db, struct kn_stmt **out, const char *sql)
{
	struct sq_stmt *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KN_ERR_NOMEM;
	s->base.db = db;
	rc = sqlite3_prepare_v3(CONN(db), sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &s->st, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_error(CONN(db), rc);
		free(s);
		return rc;
	}
	*out = &s->base;
	return 0;
}

static void
sq_stmt_free(struct kn_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	sqlite3_finalize(s->st);
	free(s);
}

static void
sq_stmt_reset(struct kn_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->started = s->done = false;
}

static int
bind_rc(struct kn_stmt *st, int rc)
{
	if (rc != SQLITE_OK)
		return sq_error(CONN(st->db), rc);
	return 0;
}

static int
sq_bind_textn(struct kn_stmt *st, int idx, const char *p, size_t n)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return bind_rc(st, sqlite3_bind_text64(s->st, idx, p, n,
	    SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int
sq_bind_textref(struct kn_stmt *st, int idx, const char *p, size_t n)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return bind_rc(st, sqlite3_bind_text64(s->st, idx, p, n,
	    SQLITE_STATIC, SQLITE_UTF8));
}

static int
sq_bind_int64(struct kn_stmt *st, int idx, int64_t v)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return bind_rc(st, sqlite3_bind_int64(s->st, idx, v));
}

static int
sq_bind_null(struct kn_stmt *st, int idx)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return bind_rc(st, sqlite3_bind_null(s->st, idx));
}

static int
sq_step(struct kn_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;
	int rc;

	if (s->done)
		return KN_DONE;
	s->started = true;
	rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW)
		return KN_ROW;
	if (rc == SQLITE_DONE) {
		s->done = true;
		s->changes = sqlite3_changes64(CONN(st->db));
		return KN_DONE;
	}
	rc = sq_error(CONN(st->db), rc);
	sqlite3_reset(s->st);
	return rc;
}

static const char *
sq_text(struct kn_stmt *st, int col)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return (const char *)sqlite3_column_text(s->st, col);
}

static int64_t
sq_int64(struct kn_stmt *st, int col)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return sqlite3_column_int64(s->st, col);
}

static bool
sq_is_null(struct kn_stmt *st, int col)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

static int64_t
sq_changes(struct kn_stmt *st)
{
	return ((struct sq_stmt *)st)->changes;
}

const struct kn_backend_ops kn_sqlite_ops = {
	.kind = KN_DB_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.broken = sq_broken,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.stmt_free = sq_stmt_free,
	.stmt_reset = sq_stmt_reset,
	.bind_textn = sq_bind_textn,
	.bind_textref = sq_bind_textref,
	.bind_int64 = sq_bind_int64,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.text = sq_text,
	.int64 = sq_int64,
	.is_null = sq_is_null,
	.changes = sq_changes,
};
