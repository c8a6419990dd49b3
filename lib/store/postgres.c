/* postgres.c - the shared store backend (libpq). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "store/backend.h"

#define PG_MAX_PARAMS 64

struct pg_stmt {
	struct kn_stmt	 base;
	char		 name[24];
	int		 nparams;
	char		*params[PG_MAX_PARAMS];
	PGresult	*res;
	int		 row;		/* current row, -1 before the first */
	int64_t		 changes;
};

#define CONN(db) ((PGconn *)(db)->conn)

static int
pg_result_error(PGconn *conn, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
	    NULL;
	const char *msg = res ? PQresultErrorMessage(res) :
	    PQerrorMessage(conn);
	char clean[400];
	size_t n;

	snprintf(clean, sizeof(clean), "%s", msg ? msg : "");
	n = strlen(clean);
	while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
		clean[--n] = '\0';
	if (state == NULL)
		return kn_err_set(KN_ERR_DB, NULL, "store: %s", clean);
	if (strcmp(state, "23505") == 0)
		return kn_err_set(KN_ERR_EXISTS, NULL, "store: %s", clean);
	if (strncmp(state, "23", 2) == 0)
		return kn_err_set(KN_ERR_INVAL, NULL, "store: %s", clean);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return kn_err_set(KN_ERR_BUSY, NULL,
		    "store is busy (%s); try again", clean);
	return kn_err_set(KN_ERR_DB, NULL, "store: %s", clean);
}

static void
quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
pg_open(struct kn_db *db, const char *url)
{
	PGconn *conn;
	PGresult *res;
	int rc;

	conn = PQconnectdb(url);
	if (conn == NULL)
		return KN_ERR_NOMEM;
	if (PQstatus(conn) != CONNECTION_OK) {
		rc = kn_err_set(KN_ERR_DB, NULL, "cannot connect to "
		    "PostgreSQL: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return rc;
	}
	PQsetNoticeProcessor(conn, quiet_notice, NULL);
	res = PQexec(conn, "SET client_encoding = 'UTF8'; "
	    "SET lock_timeout = '10s'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_result_error(conn, res);
		PQclear(res);
		PQfinish(conn);
		return rc;
	}
	PQclear(res);
	db->conn = conn;
	return 0;
}

/*
 * Lost for good, or about to be found so: an idle connection has nothing
 * to read (kakuin never LISTENs), so a readable socket means the server
 * said goodbye (restart, failover, pg_terminate_backend).  One poll(2),
 * so the request about to run gets a fresh connection instead of an
 * error.
 */
static bool
pg_broken(const struct kn_db *db)
{
	PGconn *c = CONN(db);
	struct pollfd p;

	if (PQstatus(c) == CONNECTION_BAD)
		return true;
	if (PQtransactionStatus(c) != PQTRANS_IDLE || PQsocket(c) < 0)
		return false;
	p.fd = PQsocket(c);
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) == 1;
}

static void
pg_close(struct kn_db *db)
{
	PQfinish(CONN(db));
}

static void
deallocate(struct kn_db *db, const char *name)
{
	char sql[48];
	PGresult *res;

	snprintf(sql, sizeof(sql), "DEALLOCATE %s", name);
	res = PQexec(CONN(db), sql);
	PQclear(res);
}

static int
pg_exec(struct kn_db *db, const char *sql)
{
	PGresult *res;
	int rc = 0;

	res = PQexec(CONN(db), sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_result_error(CONN(db), res);
	PQclear(res);
	/* After ROLLBACK: free what an aborted transaction kept. */
	while (db->npending > 0 &&
	    PQtransactionStatus(CONN(db)) == PQTRANS_IDLE)
		deallocate(db, db->pending[--db->npending]);
	return rc;
}

/*
 * Rewrites '?' placeholders to $1..$n, leaving alone quoted text (with
 * E'' backslash escapes), quoted identifiers and comments.
 */
static int
rewrite(struct kn_buf *out, const char *sql, int *nparams)
{
	const char *start = sql;
	char quote = 0;
	bool escapes = false;
	int n = 0;

	for (; *sql != '\0'; sql++) {
		if (quote) {
			if (escapes && *sql == '\\' && sql[1] != '\0') {
				kn_buf_putn(out, sql++, 2);
				continue;
			}
			if (*sql == quote)
				quote = 0;
		} else if (*sql == '\'' || *sql == '"') {
			quote = *sql;
			escapes = *sql == '\'' && sql > start &&
			    (sql[-1] == 'E' || sql[-1] == 'e');
		} else if (sql[0] == '-' && sql[1] == '-') {
			size_t len = strcspn(sql, "\n");

			kn_buf_putn(out, sql, len);
			sql += len;
			if (*sql == '\0')
				break;
		} else if (sql[0] == '/' && sql[1] == '*') {
			const char *end = strstr(sql + 2, "*/");
			size_t len = end ? (size_t)(end + 2 - sql) : strlen(sql);

			kn_buf_putn(out, sql, len);
			sql += len - 1;
			continue;
		} else if (*sql == '?') {
			kn_buf_putf(out, "$%d", ++n);
			continue;
		}
		kn_buf_putn(out, sql, 1);
	}
	*nparams = n;
	if (out->failed || n > PG_MAX_PARAMS)
		return KN_ERR_TOOBIG;
	return 0;
}

static int
pg_prepare(struct kn_db *db, struct kn_stmt **out, const char *sql)
{
	struct pg_stmt *s;
	struct kn_buf q;
	PGresult *res;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KN_ERR_NOMEM;
	s->base.db = db;
	s->row = -1;
	kn_buf_init(&q, 1 << 20);
	if ((rc = rewrite(&q, sql, &s->nparams)) != 0)
		goto fail;
	snprintf(s->name, sizeof(s->name), "kn%u", db->nprepared++);
	res = PQprepare(CONN(db), s->name, q.data, s->nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_result_error(CONN(db), res);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	kn_buf_cleanup(&q);
	*out = &s->base;
	return 0;
fail:
	kn_buf_cleanup(&q);
	free(s);
	return rc;
}

static void
clear_params(struct pg_stmt *s)
{
	int i;

	for (i = 0; i < s->nparams; i++) {
		free(s->params[i]);
		s->params[i] = NULL;
	}
}

static void
pg_stmt_reset(struct kn_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	clear_params(s);
}

static void
pg_stmt_free(struct kn_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	pg_stmt_reset(st);
	if (PQstatus(CONN(st->db)) == CONNECTION_OK) {
		if (PQtransactionStatus(CONN(st->db)) != PQTRANS_INERROR)
			deallocate(st->db, s->name);
		else if (st->db->npending < 16)
			memcpy(st->db->pending[st->db->npending++], s->name,
			    sizeof(s->name));
	}
	free(s);
}

static int
set_param(struct pg_stmt *s, int idx, char *v)
{
	if (idx < 1 || idx > s->nparams) {
		free(v);
		return kn_err_set(KN_ERR_INTERNAL, NULL,
		    "store: parameter %d out of range", idx);
	}
	free(s->params[idx - 1]);
	s->params[idx - 1] = v;
	return 0;
}

static int
pg_bind_textn(struct kn_stmt *st, int idx, const char *p, size_t n)
{
	char *v;

	if (memchr(p, '\0', n) != NULL)
		return kn_err_set(KN_ERR_INVAL, NULL,
		    "text contains a NUL byte");
	if ((v = strndup(p, n)) == NULL)
		return KN_ERR_NOMEM;
	return set_param((struct pg_stmt *)st, idx, v);
}

static int
pg_bind_int64(struct kn_stmt *st, int idx, int64_t val)
{
	char *v;

	if (asprintf(&v, "%lld", (long long)val) < 0)
		return KN_ERR_NOMEM;
	return set_param((struct pg_stmt *)st, idx, v);
}

static int
pg_bind_null(struct kn_stmt *st, int idx)
{
	return set_param((struct pg_stmt *)st, idx, NULL);
}

static int
pg_step(struct kn_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	ExecStatusType es;
	int rc;

	if (s->res == NULL) {
		s->res = PQexecPrepared(CONN(st->db), s->name, s->nparams,
		    (const char *const *)s->params, NULL, NULL, 0);
		es = PQresultStatus(s->res);
		if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
			rc = pg_result_error(CONN(st->db), s->res);
			PQclear(s->res);
			s->res = NULL;
			return rc;
		}
		s->changes = 0;
		if (PQcmdTuples(s->res)[0] != '\0')
			s->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
		s->row = -1;
	}
	if (s->row + 1 < PQntuples(s->res)) {
		s->row++;
		return KN_ROW;
	}
	s->row = PQntuples(s->res);
	return KN_DONE;
}

static const char *
pg_text(struct kn_stmt *st, int col)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	if (s->res == NULL || s->row < 0 || s->row >= PQntuples(s->res) ||
	    PQgetisnull(s->res, s->row, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

static int64_t
pgst_int64(struct kn_stmt *st, int col)
{
	const char *v = pg_text(st, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

static bool
pg_is_null(struct kn_stmt *st, int col)
{
	return pg_text(st, col) == NULL;
}

static int64_t
pg_changes(struct kn_stmt *st)
{
	return ((struct pg_stmt *)st)->changes;
}

const struct kn_backend_ops kn_postgres_ops = {
	.kind = KN_DB_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.broken = pg_broken,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.stmt_free = pg_stmt_free,
	.stmt_reset = pg_stmt_reset,
	.bind_textn = pg_bind_textn,
	.bind_textref = pg_bind_textn,	/* libpq copies anyway */
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.text = pg_text,
	.int64 = pgst_int64,
	.is_null = pg_is_null,
	.changes = pg_changes,
};
