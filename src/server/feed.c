/* feed.c - GET /feed/mail-domains: the signed feed of verified mail
 * domains (registry/feed.h), made by kn_feed_current() and never signed
 * per request; cacheable by any HTTP cache, with conditional requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/feed.h"
#include "server/http.h"

#define FEED_PATH	"/feed/mail-domains"
/* RFC 8551 section 3.2: a SignedData in DER. */
#define FEED_CTYPE	"application/pkcs7-mime; smime-type=signed-data"
/* Longest an HTTP cache keeps a copy: a suspension reaches receivers
 * that fetch through caches within this time. */
#define FEED_MAX_AGE	600

static void
http_date(char out[40], time_t t)
{
	struct tm tm;

	strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
}

/* RFC 9110 section 13.1.2: If-None-Match holds "*" or a list of entity
 * tags, compared weakly (a W/ prefix is ignored). */
static bool
none_match(const char *hdr, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = hdr;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' ||
		    p[n] == ' ' || p[n] == '\t'))
			return true;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return false;
}

/* RFC 9110 section 13.1.3: an IMF-fixdate; -1 when it is not one. */
static time_t
parse_http_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	return timegm(&tm);
}

MHD_RESULT
feed_route(struct req *r, const char *path)
{
	struct kn_feed_info info;
	struct kn_db *db;
	unsigned char *der = NULL;
	size_t len = 0;
	char cc[64], lm[40], ex[40];
	const char *h[9], *inm, *ims;
	time_t now = time(NULL), t;
	long age;
	int rc;

	if (strcmp(path, FEED_PATH) != 0)
		return reply_errorf(r, 404, "not_found", NULL, "the feed of "
		    "verified mail domains is at " FEED_PATH);
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		r->allow = "GET, HEAD";
		return reply_errorf(r, 405, "method_not_allowed", NULL, "%s is "
		    "not allowed here; use GET", r->method);
	}
	if ((db = srv_db(r)) == NULL)
		return reply_errorf(r, 503, "busy", NULL, "store unavailable");
	if ((rc = kn_feed_current(r->srv->feed, db, r->srv->ca_env, &info,
	    &der, &len)) != 0) {
		if (rc == KN_ERR_NOTFOUND || rc == KN_ERR_STATE)
			return reply_errorf(r, 503, "busy", "feed", "%s",
			    kn_err_get()->msg);
		return reply_error(r, rc);
	}
	if (info.made)
		fprintf(stderr, "kakuin serve: signed mail-domain feed %lld\n",
		    (long long)info.serial);
	/* Kept until the next feed is due at the latest, and never longer
	 * than FEED_MAX_AGE; Expires says the same to HTTP/1.0 caches (the
	 * feed's own next_update is the receiver's hard limit). */
	age = (long)(info.refresh_at - now);
	if (age > FEED_MAX_AGE)
		age = FEED_MAX_AGE;
	if (age < 0)
		age = 0;
	snprintf(cc, sizeof(cc), "public, max-age=%ld, no-transform", age);
	http_date(lm, info.generated);
	http_date(ex, now + age);
	h[0] = "Cache-Control", h[1] = cc;
	h[2] = "ETag", h[3] = info.etag;
	h[4] = "Last-Modified", h[5] = lm;
	h[6] = "Expires", h[7] = ex;
	h[8] = NULL;
	/* RFC 9110 section 13.2.2: If-None-Match first; If-Modified-Since
	 * only without it. */
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "If-None-Match");
	ims = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "If-Modified-Since");
	if ((inm != NULL && none_match(inm, info.etag)) || (inm == NULL &&
	    ims != NULL && (t = parse_http_date(ims)) != -1 &&
	    info.generated <= t)) {
		free(der);
		return reply_headers(r, 304, FEED_CTYPE, NULL, 0, false, h);
	}
	return reply_headers(r, 200, FEED_CTYPE, der, len, true, h);
}
