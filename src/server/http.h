/*
 * http.h - the server's request context, replies, per-thread store
 * connections and authentication.  Glue between libmicrohttpd and lib/.
 */
#ifndef KN_SERVER_HTTP_H
#define KN_SERVER_HTTP_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "auth/auth.h"
#include "base/buf.h"
#include "config/config.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/* A static file from web/static, loaded at start. */
struct static_file {
	char		 name[64];
	const char	*ctype;
	char		*data;
	size_t		 len;
	char		 etag[24];
};

#define MAX_STATIC 16

struct kn_ca_env;
struct conn;
struct sq_job;

struct srv {
	struct kn_config	*cfg;
	struct kn_ca_env	*ca_env;	/* NULL: the CA is unavailable */
	struct kn_tsa		*tsa;		/* the time-stamp authority */
	struct kn_feed_pub	*feed;		/* /feed/mail-domains */
	FILE			*access_log;
	struct static_file	 files[MAX_STATIC];
	size_t			 nfiles;
	unsigned		 workers;
};

struct req {
	struct srv		*srv;
	struct MHD_Connection	*conn;
	const char		*method;
	const char		*url;
	struct kn_buf		 body;
	bool			 too_big;
	unsigned		 status;
	size_t			 resp_len;
	struct timespec		 start;
	struct conn		*cn;		/* its connection (conns.c) */
	struct sq_job		*job;		/* its answer being signed
						   (signq.c) */
	char			 user[65];
	const char		*allow;		/* Allow header of a 405 */
	int			 auth_rc;	/* 1 valid, 0 none, <0 error */
	struct kn_error		 auth_err;	/* why, when auth_rc < 0 */
	bool			 searching;	/* holds a search slot */
	bool			 retried;	/* routed again after a lost
						   store connection */
	struct kn_principal	 principal;	/* when auth_rc == 1 */
};

/* Resolves the request's bearer token once, before its body is read;
 * only a valid token earns the full body cap. */
void		 auth_resolve(struct req *r);

/* Milliseconds of the monotonic clock. */
int64_t		 srv_now_ms(void);

/* The calling worker thread's store connection (opened on first use). */
struct kn_db	*srv_db(struct req *r);
/* Closes every worker's connection; after the daemon stopped. */
void		 srv_db_close_all(void);

/* Replies; each returns the MHD result to hand back. */
/* Answers a request by its path (server.c). */
MHD_RESULT	 srv_route(struct req *r);
MHD_RESULT	 reply(struct req *r, unsigned status, const char *ctype,
		    void *data, size_t len, bool must_free);
/* reply() with extra headers (name, value, ..., NULL), which then set the
 * caching headers instead of the defaults. */
MHD_RESULT	 reply_headers(struct req *r, unsigned status, const char *ctype,
		    void *data, size_t len, bool must_free,
		    const char *const *headers);
MHD_RESULT	 reply_json(struct req *r, unsigned status, json_t *body);
/* The error recorded for rc as {"error": {code, field, message}} with the
 * HTTP status that fits it. */
MHD_RESULT	 reply_error(struct req *r, int rc);
MHD_RESULT	 reply_errorf(struct req *r, unsigned status,
		    const char *code, const char *field, const char *fmt, ...)
		    KN_PRINTF(5, 6);
MHD_RESULT	 reply_html(struct req *r, unsigned status, struct kn_buf *b);
/* Replies with a JSON document written into b (taken over). */
MHD_RESULT	 reply_jsonbuf(struct req *r, unsigned status, struct kn_buf *b);
MHD_RESULT	 reply_redirect(struct req *r, const char *location);
unsigned	 http_status_of(int rc);

/*
 * Authenticates the request's bearer token.  Returns 1 with *p filled
 * when a valid token carries role; 0 when no Authorization header was
 * sent; -1 when a reply (401/403) has been queued in *res.
 */
int		 auth_bearer(struct req *r, const char *role,
		    struct kn_principal *p, MHD_RESULT *res);
/* Parses the request body as a JSON object; NULL with a 400 queued. */
json_t		*body_json(struct req *r, MHD_RESULT *res);
/*
 * Text searches scan the whole registry (millions of listed organizations
 * after an import): anonymous ones run a bounded number at a time.
 * search_begin() returns false when the caller should answer 503.
 */
bool		 search_begin(struct req *r);
void		 search_end(struct req *r);
/* A query argument, or NULL. */
const char	*query_arg(struct req *r, const char *key);

/* Route handlers (api_orgs.c, pages.c). */
MHD_RESULT	 api_route(struct req *r, const char *path);
MHD_RESULT	 page_route(struct req *r, const char *path);
MHD_RESULT	 ca_route(struct req *r, const char *path);
/* A body over the cap sent to a protocol endpoint (POST /ocsp, /tsa):
 * answered in that protocol with HTTP 413; false for any other path. */
bool		 ca_too_big(struct req *r, MHD_RESULT *res);
/* /feed/mail-domains (feed.c). */
MHD_RESULT	 feed_route(struct req *r, const char *path);
int		 pages_load_static(struct srv *s);
void		 pages_free_static(struct srv *s);

#endif
