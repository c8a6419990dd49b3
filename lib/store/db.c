/* db.c - backend-independent part of the store: dispatch, statement cache,
 * transactions and migrations. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "store/backend.h"

void
kn_db_redact(char *out, size_t len, const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *colon, *pw;
	size_t o;

	snprintf(out, len, "%s", url);
	if (scheme != NULL && (at = strchr(scheme + 3, '@')) != NULL &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) !=
	    NULL) {
		o = (size_t)(colon - url) + 1;
		if (o < len)
			snprintf(out + o, len - o, "***%s", at);
	}
	/* key=value connection strings and URI parameters */
	if ((pw = strstr(out, "password=")) != NULL) {
		o = (size_t)(pw - out) + 9;
		if (o < len)
			snprintf(out + o, len - o, "***");
	}
}

/* Numbers each open store handle, so that per-handle caches elsewhere
 * never mistake a new handle at a reused address for an old one. */
static atomic_uint_fast64_t instances;

uint64_t
kn_db_instance(const struct kn_db *db)
{
	return db->instance;
}

int
kn_db_open(struct kn_db **out, const char *url)
{
	struct kn_db *db;
	const struct kn_backend_ops *ops;
	int rc;

	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0) {
		ops = &kn_postgres_ops;
	} else if (strncmp(url, "sqlite:", 7) == 0) {
		ops = &kn_sqlite_ops;
		url += 7;
	} else if (strstr(url, "://") != NULL) {
	{
		char safe[512];

		kn_db_redact(safe, sizeof(safe), url);
		return kn_err_set(KN_ERR_CONFIG, "store", "%s is no kind of "
		    "store kakuin knows; use sqlite:PATH or postgresql://...",
		    safe);
	}
	} else
		ops = &kn_sqlite_ops;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return KN_ERR_NOMEM;
	db->ops = ops;
	db->instance = atomic_fetch_add(&instances, 1) + 1;
	if ((rc = ops->open(db, url)) != 0) {
		free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void
kn_db_close(struct kn_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < KN_STMT_CACHE; i++) {
		if (db->cache[i].st != NULL)
			db->ops->stmt_free(db->cache[i].st);
	}
	db->ops->close(db);
	free(db);
}

enum kn_db_backend
kn_db_backend(const struct kn_db *db)
{
	return db->ops->kind;
}

bool
kn_db_broken(const struct kn_db *db)
{
	return db->ops->broken(db);
}

int
kn_db_exec(struct kn_db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

/*
 * SQLite has one writer at a time.  Writers of this process queue on a
 * mutex: SQLite's own busy handler would have them sleep in steps of a
 * millisecond or more, and several threads issuing certificates would
 * spend their time asleep.  Other processes still wait in the busy
 * handler.
 */
static pthread_mutex_t sqlite_writer = PTHREAD_MUTEX_INITIALIZER;

static void
writer_unlock(struct kn_db *db)
{
	if (db->writer) {
		db->writer = false;
		pthread_mutex_unlock(&sqlite_writer);
	}
}

int
kn_db_begin(struct kn_db *db)
{
	int rc;

	if (db->in_tx)
		return kn_err_set(KN_ERR_INTERNAL, NULL,
		    "store: nested transaction");
	if (db->ops->kind == KN_DB_SQLITE) {
		pthread_mutex_lock(&sqlite_writer);
		db->writer = true;
	}
	rc = db->ops->exec(db, db->ops->kind == KN_DB_SQLITE ?
	    "BEGIN IMMEDIATE" : "BEGIN");
	if (rc == 0)
		db->in_tx = true;
	else
		writer_unlock(db);
	return rc;
}

int
kn_db_commit(struct kn_db *db)
{
	int rc;

	if (!db->in_tx)
		return kn_err_set(KN_ERR_INTERNAL, NULL,
		    "store: commit outside a transaction");
	rc = db->ops->exec(db, "COMMIT");
	if (rc != 0) {
		kn_db_rollback(db);
		return rc;
	}
	db->in_tx = false;
	writer_unlock(db);
	return 0;
}

int
kn_db_begin_read(struct kn_db *db, bool *began)
{
	struct kn_stmt *st;
	int rc;

	*began = false;
	if (db->in_tx)
		return 0;
	if (db->ops->kind == KN_DB_POSTGRES)
		rc = db->ops->exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ "
		    "READ ONLY");
	else if ((rc = kn_db_stmt(db, &st, "BEGIN")) == 0) {
		/* Cached: this runs once per page or API read. */
		rc = kn_stmt_run(st);
		kn_stmt_done(st);
	}
	if (rc == 0) {
		db->in_tx = true;
		*began = true;
	}
	return rc;
}

void
kn_db_end_read(struct kn_db *db, bool began)
{
	struct kn_stmt *st;

	if (!began || !db->in_tx)
		return;
	if (db->ops->kind == KN_DB_SQLITE &&
	    kn_db_stmt(db, &st, "COMMIT") == 0) {
		if (kn_stmt_run(st) == 0) {
			kn_stmt_done(st);
			db->in_tx = false;
			return;
		}
		kn_stmt_done(st);
	}
	kn_db_rollback(db);
}

void
kn_db_rollback(struct kn_db *db)
{
	size_t i;

	if (db == NULL || !db->in_tx)
		return;
	/* Statements left mid-result would keep SQLite's read lock. */
	for (i = 0; i < KN_STMT_CACHE; i++) {
		if (db->cache[i].st != NULL)
			db->ops->stmt_reset(db->cache[i].st);
	}
	(void)db->ops->exec(db, "ROLLBACK");
	db->in_tx = false;
	writer_unlock(db);
}

bool
kn_db_in_tx(const struct kn_db *db)
{
	return db->in_tx;
}

int
kn_db_prepare(struct kn_db *db, struct kn_stmt **out, const char *sql)
{
	return db->ops->prepare(db, out, sql);
}

int
kn_db_stmt(struct kn_db *db, struct kn_stmt **out, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) % KN_STMT_CACHE, i;
	int rc;

	for (i = 0; i < KN_STMT_CACHE; i++) {
		struct kn_stmt_cache_ent *e =
		    &db->cache[(h + i) % KN_STMT_CACHE];

		if (e->sql == sql) {
			*out = e->st;
			return 0;
		}
		if (e->sql == NULL) {
			if ((rc = db->ops->prepare(db, &e->st, sql)) != 0)
				return rc;
			e->sql = sql;
			*out = e->st;
			return 0;
		}
	}
	return kn_err_set(KN_ERR_INTERNAL, NULL,
	    "store: statement cache full (%d)", KN_STMT_CACHE);
}

void
kn_stmt_free(struct kn_stmt *st)
{
	if (st != NULL)
		st->db->ops->stmt_free(st);
}

void
kn_stmt_done(struct kn_stmt *st)
{
	if (st != NULL)
		st->db->ops->stmt_reset(st);
}

int
kn_stmt_bind_textn(struct kn_stmt *st, int idx, const char *s, size_t n)
{
	return st->db->ops->bind_textn(st, idx, s, n);
}

int
kn_stmt_bind_textref(struct kn_stmt *st, int idx, const char *s, size_t n)
{
	return st->db->ops->bind_textref(st, idx, s, n);
}

int
kn_stmt_bind_text(struct kn_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return st->db->ops->bind_null(st, idx);
	return st->db->ops->bind_textn(st, idx, s, strlen(s));
}

int
kn_stmt_bind_int64(struct kn_stmt *st, int idx, int64_t v)
{
	return st->db->ops->bind_int64(st, idx, v);
}

int
kn_stmt_bind_null(struct kn_stmt *st, int idx)
{
	return st->db->ops->bind_null(st, idx);
}

int
kn_stmt_step(struct kn_stmt *st)
{
	return st->db->ops->step(st);
}

const char *
kn_stmt_text(struct kn_stmt *st, int col)
{
	return st->db->ops->text(st, col);
}

int64_t
kn_stmt_int64(struct kn_stmt *st, int col)
{
	return st->db->ops->int64(st, col);
}

bool
kn_stmt_is_null(struct kn_stmt *st, int col)
{
	return st->db->ops->is_null(st, col);
}

char *
kn_stmt_strdup(struct kn_stmt *st, int col)
{
	const char *v = kn_stmt_text(st, col);

	return v != NULL ? strdup(v) : NULL;
}

int64_t
kn_stmt_changes(struct kn_stmt *st)
{
	return st->db->ops->changes(st);
}

int
kn_stmt_run(struct kn_stmt *st)
{
	int rc;

	while ((rc = kn_stmt_step(st)) == KN_ROW)
		;
	return rc;
}

static const struct kn_migration *
migrations(enum kn_db_backend backend)
{
	return backend == KN_DB_SQLITE ? kn_migrations_sqlite :
	    kn_migrations_postgres;
}

int
kn_db_latest_version(enum kn_db_backend backend)
{
	const struct kn_migration *m = migrations(backend);
	int v = 0;

	for (; m->sql != NULL; m++)
		v = m->version;
	return v;
}

int
kn_db_version(struct kn_db *db, int *version)
{
	struct kn_stmt *st = NULL;
	int rc;

	if ((rc = kn_db_exec(db, "CREATE TABLE IF NOT EXISTS "
	    "schema_migrations (version INTEGER PRIMARY KEY, "
	    "name TEXT NOT NULL, applied_at TEXT NOT NULL)")) != 0)
		return rc;
	if ((rc = kn_db_prepare(db, &st, "SELECT COALESCE(MAX(version), 0) "
	    "FROM schema_migrations")) != 0)
		return rc;
	if ((rc = kn_stmt_step(st)) == KN_ROW) {
		*version = (int)kn_stmt_int64(st, 0);
		rc = 0;
	} else if (rc == KN_DONE)
		rc = KN_ERR_DB;
	kn_stmt_free(st);
	return rc;
}

int
kn_db_migrate(struct kn_db *db, int *version)
{
	const struct kn_migration *m;
	struct kn_stmt *st = NULL;
	char now[21];
	int cur, rc;

	if ((rc = kn_db_version(db, &cur)) != 0)
		return rc;
	if (cur > kn_db_latest_version(kn_db_backend(db)))
		return kn_err_set(KN_ERR_DB, NULL, "store schema version %d is "
		    "newer than this kakuin knows (%d); upgrade kakuin", cur,
		    kn_db_latest_version(kn_db_backend(db)));
	for (m = migrations(kn_db_backend(db)); m->sql != NULL; m++) {
		if (m->version <= cur)
			continue;
		if ((rc = kn_db_begin(db)) != 0)
			return rc;
		if ((rc = kn_db_exec(db, m->sql)) != 0)
			goto fail;
		if ((rc = kn_db_prepare(db, &st, "INSERT INTO "
		    "schema_migrations (version, name, applied_at) "
		    "VALUES (?, ?, ?)")) != 0)
			goto fail;
		kn_now_rfc3339(now);
		if ((rc = kn_stmt_bind_int64(st, 1, m->version)) != 0 ||
		    (rc = kn_stmt_bind_text(st, 2, m->name)) != 0 ||
		    (rc = kn_stmt_bind_text(st, 3, now)) != 0 ||
		    (rc = kn_stmt_run(st)) != 0)
			goto fail;
		kn_stmt_free(st);
		st = NULL;
		if ((rc = kn_db_commit(db)) != 0)
			return rc;
		cur = m->version;
	}
	if (version != NULL)
		*version = cur;
	return 0;
fail:
	kn_db_rollback(db);
	kn_stmt_free(st);
	return rc;
}
