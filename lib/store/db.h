/*
 * db.h - the store interface.  Two backends sit behind it: SQLite (the
 * embedded default: WAL, foreign keys, busy timeout) and PostgreSQL (libpq)
 * for several nodes sharing one store.
 *
 * SQL is written once, with '?' placeholders, in the dialect both accept
 * (ON CONFLICT, RETURNING, partial indexes).  Schema differences live only
 * in the per-backend migration files (migrations/<backend>/NNNN_name.sql).
 *
 * A struct kn_db is one connection and is used by one thread at a time.
 */
#ifndef KN_STORE_DB_H
#define KN_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct kn_db;
struct kn_stmt;

enum kn_db_backend {
	KN_DB_SQLITE,
	KN_DB_POSTGRES,
};

/* kn_stmt_step() results besides errors. */
#define KN_ROW	1
#define KN_DONE	0

/*
 * Opens a store.  url is "sqlite:PATH" (or a bare path) or a libpq
 * "postgresql://..." / "postgres://..." URI.  Does not migrate.
 */
int	kn_db_open(struct kn_db **out, const char *url) KN_WUR;
/* Closes the connection and frees cached statements; NULL is fine. */
void	kn_db_close(struct kn_db *db);
enum kn_db_backend kn_db_backend(const struct kn_db *db);
/* A number no other handle opened by this process has had. */
uint64_t kn_db_instance(const struct kn_db *db);
/* True when the connection is lost for good (PostgreSQL restarted or the
 * session was terminated): close it and open a new one. */
bool	kn_db_broken(const struct kn_db *db);
/* Applies every migration newer than the store's version, each in its own
 * transaction.  Returns the resulting version in *version (may be NULL). */
int	kn_db_migrate(struct kn_db *db, int *version) KN_WUR;
/* Schema version the store is at (0 when empty). */
int	kn_db_version(struct kn_db *db, int *version) KN_WUR;
/* The store URL with any password replaced by "***", for messages. */
void	kn_db_redact(char *out, size_t len, const char *url);
/* Latest schema version this build knows. */
int	kn_db_latest_version(enum kn_db_backend backend);

/* Runs SQL without parameters or results (may hold several statements). */
int	kn_db_exec(struct kn_db *db, const char *sql) KN_WUR;
/* A write transaction (SQLite BEGIN IMMEDIATE: writers queue, no upgrade
 * deadlocks).  Nesting is an internal error. */
int	kn_db_begin(struct kn_db *db) KN_WUR;
int	kn_db_commit(struct kn_db *db) KN_WUR;
/*
 * A read-only snapshot for several SELECTs (SQLite: a deferred BEGIN, one
 * lock instead of one per statement; PostgreSQL: REPEATABLE READ READ
 * ONLY).  Inside an open transaction it does nothing: *began says whether
 * kn_db_end_read() has something to end.
 */
int	kn_db_begin_read(struct kn_db *db, bool *began) KN_WUR;
void	kn_db_end_read(struct kn_db *db, bool began);
/* Rolls back when a transaction is open; otherwise does nothing. */
void	kn_db_rollback(struct kn_db *db);
bool	kn_db_in_tx(const struct kn_db *db);

/*
 * Returns the connection's cached prepared statement for sql, preparing it
 * on first use.  sql must be a string with static storage duration (its
 * address is the cache key).  The statement stays owned by the connection:
 * call kn_stmt_done() when finished with it, never kn_stmt_free().
 */
int	kn_db_stmt(struct kn_db *db, struct kn_stmt **out, const char *sql)
	    KN_WUR;
/* Prepares an uncached statement; free it with kn_stmt_free(). */
int	kn_db_prepare(struct kn_db *db, struct kn_stmt **out, const char *sql)
	    KN_WUR;
void	kn_stmt_free(struct kn_stmt *st);
/* Resets a statement and clears its bindings for reuse; NULL is fine. */
void	kn_stmt_done(struct kn_stmt *st);

/* Bindings are 1-based and copy their values. */
int	kn_stmt_bind_text(struct kn_stmt *st, int idx, const char *s) KN_WUR;
int	kn_stmt_bind_textn(struct kn_stmt *st, int idx, const char *s,
	    size_t n) KN_WUR;
/*
 * Binds text without copying it (SQLite): the caller keeps s[0..n) alive
 * and unchanged until the statement has been stepped to the end or reset.
 * For bulk loads, where the bytes live in a mapped file anyway.
 */
int	kn_stmt_bind_textref(struct kn_stmt *st, int idx, const char *s,
	    size_t n) KN_WUR;
int	kn_stmt_bind_int64(struct kn_stmt *st, int idx, int64_t v) KN_WUR;
int	kn_stmt_bind_null(struct kn_stmt *st, int idx) KN_WUR;

/*
 * Executes on first call, then walks the rows: KN_ROW while a row is
 * available, KN_DONE at the end, or a negative error.  A unique or
 * foreign-key violation returns KN_ERR_EXISTS / KN_ERR_INVAL; a locked
 * store KN_ERR_BUSY.
 */
int	kn_stmt_step(struct kn_stmt *st) KN_WUR;
/* Column accessors for the current row (0-based).  Text is NULL for SQL
 * NULL and valid until the next step or reset. */
const char *kn_stmt_text(struct kn_stmt *st, int col);
int64_t	kn_stmt_int64(struct kn_stmt *st, int col);
bool	kn_stmt_is_null(struct kn_stmt *st, int col);
/* A malloc'd copy of a text column, or NULL for SQL NULL (or no memory). */
char	*kn_stmt_strdup(struct kn_stmt *st, int col);
/* Rows changed by the last executed INSERT/UPDATE/DELETE. */
int64_t	kn_stmt_changes(struct kn_stmt *st);

/* Runs a statement that must return nothing (steps it to the end). */
int	kn_stmt_run(struct kn_stmt *st) KN_WUR;

#endif
