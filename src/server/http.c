/* http.c - replies, per-thread store connections, authentication. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "server/http.h"
#include "store/db.h"

/*
 * Each worker thread has its own store connection (a struct kn_db is
 * single-threaded).  They are also kept in a list so that shutdown can
 * close them once the workers are gone.
 */
static _Thread_local struct kn_db *thread_db;
static pthread_mutex_t dbs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kn_db *dbs[512];
static size_t ndbs;

int64_t
srv_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct kn_db *
srv_db(struct req *r)
{
	struct kn_db *db;

	if (thread_db != NULL && kn_db_broken(thread_db)) {
		size_t i;

		/* The store went away (restart, failover): start over. */
		pthread_mutex_lock(&dbs_mu);
		for (i = 0; i < ndbs; i++) {
			if (dbs[i] == thread_db) {
				dbs[i] = dbs[--ndbs];
				break;
			}
		}
		pthread_mutex_unlock(&dbs_mu);
		kn_db_close(thread_db);
		thread_db = NULL;
	}
	if (thread_db != NULL)
		return thread_db;
	if (kn_db_open(&db, r->srv->cfg->store) != 0)
		return NULL;
	pthread_mutex_lock(&dbs_mu);
	if (ndbs == sizeof(dbs) / sizeof(dbs[0])) {
		pthread_mutex_unlock(&dbs_mu);
		kn_db_close(db);
		return NULL;
	}
	dbs[ndbs++] = db;
	pthread_mutex_unlock(&dbs_mu);
	thread_db = db;
	return db;
}

void
srv_db_close_all(void)
{
	size_t i;

	pthread_mutex_lock(&dbs_mu);
	for (i = 0; i < ndbs; i++)
		kn_db_close(dbs[i]);
	ndbs = 0;
	pthread_mutex_unlock(&dbs_mu);
}

static void
security_headers(struct MHD_Response *resp, const char *ctype)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	if (strncmp(ctype, "text/html", 9) == 0) {
		MHD_add_response_header(resp, "Content-Security-Policy",
		    "default-src 'self'; style-src 'self'; img-src 'self' "
		    "data:; frame-ancestors 'none'; form-action 'self'");
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
}

MHD_RESULT
reply(struct req *r, unsigned status, const char *ctype, void *data,
    size_t len, bool must_free)
{
	return reply_headers(r, status, ctype, data, len, must_free, NULL);
}

MHD_RESULT
reply_headers(struct req *r, unsigned status, const char *ctype, void *data,
    size_t len, bool must_free, const char *const *headers)
{
	struct MHD_Response *resp;
	MHD_RESULT ret;
	size_t i;

	resp = MHD_create_response_from_buffer(len, data, must_free ?
	    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		if (must_free)
			free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	security_headers(resp, ctype);
	/* Caching headers: the caller's, or the defaults. */
	for (i = 0; headers != NULL && headers[i] != NULL; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	if (headers == NULL && ((strcmp(r->method, "GET") != 0 &&
	    strcmp(r->method, "HEAD") != 0) ||
	    strcmp(ctype, "application/x-pkcs12") == 0))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	else if (headers == NULL && status == 200 &&
	    strncmp(ctype, "text/css", 8) != 0)
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		    "Bearer realm=\"kakuin\"");
	if (status == 405 && r->allow != NULL)
		MHD_add_response_header(resp, "Allow", r->allow);
	r->status = status;
	r->resp_len = len;
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

MHD_RESULT
reply_json(struct req *r, unsigned status, json_t *body)
{
	char *s;
	size_t n;

	static const char nomem[] = "{\"error\":{\"code\":\"nomem\","
	    "\"message\":\"out of memory\"}}\n";

	if (body == NULL)
		return reply(r, 500, "application/json", (void *)nomem,
		    sizeof(nomem) - 1, false);
	s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (s == NULL)
		return MHD_NO;
	n = strlen(s);
	/* json_dumps' buffer has no room for a newline: reallocate. */
	{
		char *t = realloc(s, n + 2);

		if (t == NULL) {
			free(s);
			return MHD_NO;
		}
		s = t;
		s[n++] = '\n';
		s[n] = '\0';
	}
	return reply(r, status, "application/json", s, n, true);
}

unsigned
http_status_of(int rc)
{
	switch (rc) {
	case KN_ERR_INVAL:
		return 400;
	case KN_ERR_AUTH:
		return 401;
	case KN_ERR_PERM:
		return 403;
	case KN_ERR_NOTFOUND:
		return 404;
	case KN_ERR_EXISTS:
	case KN_ERR_STATE:
		return 409;
	case KN_ERR_TOOBIG:
		return 413;
	case KN_ERR_VERIFY:
		return 422;
	case KN_ERR_DNS:
		return 502;
	case KN_ERR_BUSY:
		return 503;
	default:
		return 500;
	}
}

static MHD_RESULT
error_body(struct req *r, unsigned status, const char *code,
    const char *field, const char *msg)
{
	json_t *err = json_object();

	json_object_set_new(err, "code", json_string(code));
	if (field != NULL && *field != '\0')
		json_object_set_new(err, "field", json_string(field));
	json_object_set_new(err, "message", json_string(msg));
	return reply_json(r, status, json_pack("{s:o}", "error", err));
}

MHD_RESULT
reply_error(struct req *r, int rc)
{
	const struct kn_error *e = kn_err_get();
	unsigned status = http_status_of(rc);

	/* A lost store connection (restart, failover, a terminated
	 * session not yet noticed before the query): a read is answered
	 * again once on a new connection; anything else gets a 503 to retry,
	 * and the next request on this worker reconnects. */
	if (rc == KN_ERR_DB && thread_db != NULL && kn_db_broken(thread_db) &&
	    !r->retried && (strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0)) {
		r->retried = true;
		kn_err_clear();
		return srv_route(r);
	}
	if (rc == KN_ERR_DB && thread_db != NULL && kn_db_broken(thread_db)) {
		fprintf(stderr, "kakuin serve: store connection lost: %s\n",
		    kn_err_msg(rc));
		return error_body(r, 503, "busy", NULL, "the store connection "
		    "was lost; try again");
	}
	/* Store and internal failures are logged, not explained. */
	if (status == 500) {
		fprintf(stderr, "kakuin serve: %s %s: %s\n", r->method, r->url,
		    kn_err_msg(rc));
		return error_body(r, status, kn_errtoken(rc), NULL,
		    "internal error; the operator's log has the details");
	}
	return error_body(r, status, kn_errtoken(rc),
	    e->code == rc ? e->field : NULL, kn_err_msg(rc));
}

MHD_RESULT
reply_errorf(struct req *r, unsigned status, const char *code,
    const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_body(r, status, code, field, msg);
}

MHD_RESULT
reply_html(struct req *r, unsigned status, struct kn_buf *b)
{
	size_t n;
	char *p;

	if (b->failed) {
		kn_buf_cleanup(b);
		return reply_errorf(r, 500, "internal", NULL, "page too "
		    "large");
	}
	p = kn_buf_steal(b, &n);
	return reply(r, status, "text/html; charset=utf-8", p, n, true);
}

MHD_RESULT
reply_jsonbuf(struct req *r, unsigned status, struct kn_buf *b)
{
	size_t n;
	char *p;

	kn_buf_putn(b, "\n", 1);
	if (b->failed) {
		kn_buf_cleanup(b);
		return reply_errorf(r, 500, "internal", NULL, "answer too "
		    "large");
	}
	p = kn_buf_steal(b, &n);
	return reply(r, status, "application/json", p, n, true);
}

MHD_RESULT
reply_redirect(struct req *r, const char *location)
{
	struct MHD_Response *resp;
	MHD_RESULT ret;

	resp = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Location", location);
	r->status = 303;
	ret = MHD_queue_response(r->conn, 303, resp);
	MHD_destroy_response(resp);
	return ret;
}

static atomic_int searches;

bool
search_begin(struct req *r)
{
	const char *q = query_arg(r, "q");

	/* Numbers and domains are index lookups; officers are trusted. */
	if (q == NULL || *q == '\0' || r->auth_rc == 1 ||
	    strspn(q, "0123456789") == strlen(q) || strchr(q, '.') != NULL)
		return true;
	if (atomic_fetch_add(&searches, 1) >= (int)r->srv->workers) {
		atomic_fetch_sub(&searches, 1);
		return false;
	}
	r->searching = true;
	return true;
}

void
search_end(struct req *r)
{
	if (r->searching) {
		atomic_fetch_sub(&searches, 1);
		r->searching = false;
	}
}

const char *
query_arg(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    key);
}

/* auth_resolve() keeps its failure's detail, so the answer given later
 * still says exactly what was wrong. */
static void
keep_auth_error(struct req *r)
{
	if (r->auth_rc < 0)
		r->auth_err = *kn_err_get();
}

void
auth_resolve(struct req *r)
{
	const char *h = MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, "Authorization");
	struct kn_db *db;

	if (h == NULL) {
		r->auth_rc = 0;
		return;
	}
	kn_err_clear();
	if (strncasecmp(h, "Bearer ", 7) != 0)
		r->auth_rc = kn_err_set(KN_ERR_AUTH, "Authorization", "use "
		    "Authorization: Bearer TOKEN (RFC 6750 section 2.1)");
	else if ((db = srv_db(r)) == NULL)
		r->auth_rc = kn_err_set(KN_ERR_BUSY, NULL, "store "
		    "unavailable");
	else
		r->auth_rc = kn_auth_token(db, &r->principal, h + 7);
	keep_auth_error(r);
	if (r->auth_rc == 0) {
		r->auth_rc = 1;
		snprintf(r->user, sizeof(r->user), "%s", r->principal.name);
	}
}

/* auth_resolve() records its own failures through this, so that the
 * answer given later still says exactly what was wrong. */


int
auth_bearer(struct req *r, const char *role, struct kn_principal *p,
    MHD_RESULT *res)
{
	if (r->auth_rc == 0)
		return 0;
	if (r->auth_rc < 0) {
		/* Said again as recorded when the request began. */
		*kn_err_get_mut() = r->auth_err;
		*res = reply_error(r, r->auth_rc);
		return -1;
	}
	*p = r->principal;
	if (!kn_auth_has_role(p, role)) {
		*res = reply_errorf(r, 403, "forbidden", NULL, "user %s (role "
		    "%s) may not do this; it needs role %s", p->name, p->role,
		    role);
		return -1;
	}
	return 1;
}

json_t *
body_json(struct req *r, MHD_RESULT *res)
{
	const char *ct = MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, "Content-Type");
	json_error_t jerr;
	json_t *j;

	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
		*res = reply_errorf(r, 415, "unsupported_media_type",
		    "Content-Type", "send the body as application/json");
		return NULL;
	}
	if (r->body.len == 0) {
		*res = reply_errorf(r, 400, "invalid", NULL, "the request "
		    "body is empty; a JSON object is expected");
		return NULL;
	}
	j = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (j == NULL) {
		*res = reply_errorf(r, 400, "invalid", NULL, "malformed JSON "
		    "(RFC 8259) at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*res = reply_errorf(r, 400, "invalid", NULL, "the request "
		    "body must be a JSON object");
		return NULL;
	}
	return j;
}
