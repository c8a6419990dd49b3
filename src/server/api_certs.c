/* api_certs.c - the CA over HTTP: /ca/{name}.crt, /crl/{name}.crl and the
 * JSON API under /api/v1/certs and /api/v1/cas. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/ocsp.h>
#include <openssl/sha.h>
#include <openssl/pem.h>

#include "base/jsonw.h"
#include "base/text.h"
#include "ca/ca.h"
#include "registry/corpnum.h"
#include "server/http.h"
#include "server/signq.h"
#include "tsa/tsa.h"
#include "store/db.h"

#define MAX_NAMES_JSON 16

static MHD_RESULT
no_ca(struct req *r)
{
	return reply_errorf(r, 503, "busy", NULL, "the CA's keys are not "
	    "available on this server; see its log");
}

static bool
is(struct req *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

static MHD_RESULT
not_allowed(struct req *r, const char *allow)
{
	r->allow = allow;
	return reply_errorf(r, 405, "method_not_allowed", NULL, "%s is not "
	    "allowed here; use %s", r->method, allow);
}

/* The certificate of a CA: DER (.crt, RFC 5280 4.2.2.1) or PEM (.pem). */
static MHD_RESULT
ca_file(struct req *r, const char *file)
{
	struct kn_db *db = srv_db(r);
	struct kn_ca ca;
	char name[KN_CA_NAME_MAX + 1];
	const char *dot = strrchr(file, '.');
	MHD_RESULT res;
	X509 *x;
	unsigned char *der = NULL;
	int len, rc;

	if (dot == NULL || (size_t)(dot - file) > KN_CA_NAME_MAX ||
	    (strcmp(dot, ".crt") != 0 && strcmp(dot, ".pem") != 0))
		return reply_errorf(r, 404, "not_found", NULL, "CA "
		    "certificates are at /ca/NAME.crt (DER) or /ca/NAME.pem");
	snprintf(name, sizeof(name), "%.*s", (int)(dot - file), file);
	if (db == NULL)
		return reply_errorf(r, 503, "busy", NULL, "store unavailable");
	if ((rc = kn_ca_get(db, &ca, name)) != 0)
		return reply_error(r, rc);
	if (strcmp(dot, ".pem") == 0) {
		char *p = strdup(ca.cert_pem);

		kn_ca_cleanup(&ca);
		if (p == NULL)
			return MHD_NO;
		return reply(r, 200, "application/x-pem-file", p, strlen(p),
		    true);
	}
	{
		BIO *b = BIO_new_mem_buf(ca.cert_pem, -1);

		x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	kn_ca_cleanup(&ca);
	if (x == NULL || (len = i2d_X509(x, &der)) <= 0) {
		X509_free(x);
		return reply_errorf(r, 500, "internal", NULL, "internal error");
	}
	X509_free(x);
	{
		void *copy = malloc((size_t)len);

		if (copy == NULL) {
			OPENSSL_free(der);
			return MHD_NO;
		}
		memcpy(copy, der, (size_t)len);
		OPENSSL_free(der);
		res = reply(r, 200, "application/pkix-cert", copy,
		    (size_t)len, true);
	}
	return res;
}

/* /crl/NAME.crl and /crl/NAME/SHARD.crl (RFC 5280 section 5; served as
 * application/pkix-crl, RFC 2585 section 4.2). */
static MHD_RESULT
crl_file(struct req *r, const char *file)
{
	struct kn_db *db = srv_db(r);
	char name[KN_CA_NAME_MAX + 1], next[21], num[16];
	const char *dot = strrchr(file, '.'), *slash = strchr(file, '/');
	unsigned char *der = NULL;
	int64_t shard = 0;
	size_t len = 0, n;
	int rc;

	n = (size_t)((slash ? slash : dot ? dot : file) - file);
	if (dot == NULL || strcmp(dot, ".crl") != 0 || n == 0 ||
	    n > KN_CA_NAME_MAX)
		return reply_errorf(r, 404, "not_found", NULL, "CRLs are at "
		    "/crl/CA.crl (and /crl/CA/SHARD.crl)");
	snprintf(name, sizeof(name), "%.*s", (int)n, file);
	if (slash != NULL) {
		size_t k = (size_t)(dot - slash - 1);

		if (k == 0 || k >= sizeof(num))
			return reply_errorf(r, 404, "not_found", NULL, "no such "
			    "CRL shard");
		snprintf(num, sizeof(num), "%.*s", (int)k, slash + 1);
		if (kn_parse_int64(&shard, num, 1, 1000000) != 0)
			return reply_errorf(r, 404, "not_found", NULL, "no such "
			    "CRL shard");
	}
	if (db == NULL)
		return reply_errorf(r, 503, "busy", NULL, "store unavailable");
	if ((rc = kn_crl_get(db, name, shard, &der, &len, next)) != 0)
		return reply_error(r, rc);
	return reply(r, 200, "application/pkix-crl", der, len, true);
}

/* "2026-11-21T19:58:14Z" as a time_t, or -1. */
static time_t
rfc3339_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	return timegm(&tm);
}

/* An answer any HTTP cache may keep (RFC 5019 section 6: one CertID, no
 * nonce, over GET): max-age up to when kakuin signs it again, ETag,
 * Last-Modified = thisUpdate, Expires = nextUpdate; If-None-Match gets
 * 304. */
static MHD_RESULT
ocsp_cached_reply(struct req *r, unsigned char *der, size_t len,
    const struct kn_ocsp_info *info)
{
	unsigned char d[32];
	char etag[40], hex[33], cc[96], lm[40], ex[40];
	const char *inm, *h[11];
	time_t now = time(NULL), tu = rfc3339_time(info->this_update);
	time_t nu = rfc3339_time(info->next_update);
	long age;
	struct tm tm;

	if (tu < 0 || nu < 0 || nu <= now)
		return reply(r, 200, "application/ocsp-response", der, len,
		    true);
	SHA256(der, len, d);
	kn_hex(hex, d, 16);
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	/* Half the life: kakuin signs it again then. */
	age = (long)(tu + (nu - tu) / 2 - now);
	if (age < 0)
		age = 0;
	snprintf(cc, sizeof(cc), "public, max-age=%ld, no-transform", age);
	strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT",
	    gmtime_r(&tu, &tm));
	strftime(ex, sizeof(ex), "%a, %d %b %Y %H:%M:%S GMT",
	    gmtime_r(&nu, &tm));
	h[0] = "Cache-Control", h[1] = cc;
	h[2] = "ETag", h[3] = etag;
	h[4] = "Last-Modified", h[5] = lm;
	h[6] = "Expires", h[7] = ex;
	h[8] = NULL;
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "If-None-Match");
	if (inm != NULL && strstr(inm, etag) != NULL) {
		free(der);
		return reply_headers(r, 304, "application/ocsp-response",
		    NULL, 0, false, h);
	}
	return reply_headers(r, 200, "application/ocsp-response", der, len,
	    true, h);
}

/* An OCSP request whose answer needs a fresh signature (a nonce, several
 * CertIDs, no pre-signed answer yet): made on a signing thread. */
struct ocsp_job {
	const char		*b64;	/* the GET form, else the POST body */
	bool			 ok;	/* kn_ocsp_respond succeeded */
	struct kn_ocsp_info	 pre;	/* the worker's look, its request
					   parsed */
	struct kn_ocsp_info	 info;
};

static void
ocsp_job_free(void *arg)
{
	struct ocsp_job *j = arg;

	if (j == NULL)
		return;
	kn_ocsp_info_cleanup(&j->pre);
	kn_ocsp_info_cleanup(&j->info);
	free(j);
}

static int
ocsp_sign(struct req *r, void *arg, struct sq_reply *out)
{
	struct ocsp_job *j = arg;
	struct kn_db *db = srv_db(r);
	int rc;

	out->status = 200;
	out->ctype = "application/ocsp-response";
	/* The store is away (restart, failover): a passing state. */
	if (db == NULL)
		return kn_ocsp_bare(OCSP_RESPONSE_STATUS_TRYLATER, &out->data,
		    &out->len);
	if (j->pre.request != NULL)
		rc = kn_ocsp_respond_parsed(db, r->srv->ca_env, &j->pre,
		    &out->data, &out->len, &j->info);
	else if (j->b64 != NULL)
		rc = kn_ocsp_respond_get(db, r->srv->ca_env, j->b64,
		    &out->data, &out->len, &j->info);
	else
		rc = kn_ocsp_respond(db, r->srv->ca_env,
		    (const unsigned char *)r->body.data, r->body.len,
		    &out->data, &out->len, &j->info);
	j->ok = rc == 0;
	if (rc != 0)
		rc = kn_ocsp_bare(OCSP_RESPONSE_STATUS_INTERNALERROR,
		    &out->data, &out->len);
	return rc;
}

/* RFC 6960 section 2.3: tryLater, "the service exists but is
 * temporarily unable to respond". */
static int
ocsp_overload(struct req *r, void *arg, struct sq_reply *out)
{
	(void)r;
	(void)arg;
	out->status = 200;
	out->ctype = "application/ocsp-response";
	return kn_ocsp_bare(OCSP_RESPONSE_STATUS_TRYLATER, &out->data,
	    &out->len);
}

static MHD_RESULT
ocsp_send(struct req *r, void *arg, struct sq_reply *out)
{
	static const char *const no_store[] = { "Cache-Control", "no-store",
	    NULL };
	struct ocsp_job *j = arg;

	if (!out->overloaded && j->ok && j->b64 != NULL &&
	    j->info.status == OCSP_RESPONSE_STATUS_SUCCESSFUL &&
	    (j->info.cacheable || j->info.cached))
		return ocsp_cached_reply(r, out->data, out->len, &j->info);
	return reply_headers(r, out->status, out->ctype, out->data, out->len,
	    true, out->overloaded ? no_store : NULL);
}

static const struct sq_kind ocsp_kind = {
	.name = "OCSP",
	.sign = ocsp_sign,
	.overload = ocsp_overload,
	.send = ocsp_send,
	.free_arg = ocsp_job_free,
};

/*
 * Pre-signed answers to GET /ocsp/..., kept by each HTTP worker for
 * HOT_MS by their path, so that a relying party asking again and again
 * costs no parse and no store read.  A status change made through this
 * server empties every worker's copies at once (hot_gen); one made by
 * another process (the CLI, another node) shows within HOT_MS, far inside
 * the hours the answers' own Cache-Control lets any HTTP cache keep them.
 */
#define HOT_SLOTS	1024
#define HOT_MS		1000
#define HOT_KEY		256	/* longer paths are not kept */

struct hot_entry {
	uint64_t		 hash;
	uint64_t		 gen;
	int64_t			 until;		/* monotonic ms */
	char			 key[HOT_KEY];
	unsigned char		*der;
	size_t			 len;
	struct kn_ocsp_info	 info;
};

static atomic_uint_fast64_t hot_gen = 1;
static pthread_key_t hot_tls;
static pthread_once_t hot_once = PTHREAD_ONCE_INIT;

static void
hot_free(void *p)
{
	struct hot_entry *v = p;
	size_t i;

	for (i = 0; v != NULL && i < HOT_SLOTS; i++)
		free(v[i].der);
	free(v);
}

static void
hot_init(void)
{
	(void)pthread_key_create(&hot_tls, hot_free);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* This thread's slot for key (FNV-1a), or NULL. */
static struct hot_entry *
hot_slot(const char *key, uint64_t *hash)
{
	struct hot_entry *v;
	uint64_t h = 14695981039346656037ULL;
	const char *c;

	if (strlen(key) >= HOT_KEY)
		return NULL;
	(void)pthread_once(&hot_once, hot_init);
	if ((v = pthread_getspecific(hot_tls)) == NULL) {
		if ((v = calloc(HOT_SLOTS, sizeof(*v))) == NULL ||
		    pthread_setspecific(hot_tls, v) != 0) {
			free(v);
			return NULL;
		}
	}
	for (c = key; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	*hash = h;
	return &v[h % HOT_SLOTS];
}

/* A copy of the kept answer for key, or NULL. */
static unsigned char *
hot_get(const char *key, size_t *len, struct kn_ocsp_info *info)
{
	struct hot_entry *e;
	unsigned char *der;
	uint64_t h;

	if ((e = hot_slot(key, &h)) == NULL || e->der == NULL ||
	    e->hash != h || strcmp(e->key, key) != 0 ||
	    e->gen != atomic_load(&hot_gen) || e->until <= mono_ms() ||
	    (der = malloc(e->len)) == NULL)
		return NULL;
	memcpy(der, e->der, e->len);
	*len = e->len;
	*info = e->info;
	return der;
}

/* Keeps der for key, as of generation gen (read before the store was). */
static void
hot_put(const char *key, uint64_t gen, const unsigned char *der, size_t len,
    const struct kn_ocsp_info *info)
{
	struct hot_entry *e;
	uint64_t h;

	if ((e = hot_slot(key, &h)) == NULL)
		return;
	free(e->der);
	if ((e->der = malloc(len)) == NULL)
		return;
	memcpy(e->der, der, len);
	e->len = len;
	e->hash = h;
	e->gen = gen;
	e->until = mono_ms() + HOT_MS;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->info = *info;
}

/* One OCSP exchange (RFC 6960 appendix A): the answer is always an
 * OCSPResponse, also for a request that cannot be read.  b64 is the GET
 * form, else der and len the POST body.  Pre-signed answers and those
 * that need no signature are sent from here; the rest go through the
 * signing queue. */
static MHD_RESULT
ocsp_answer(struct req *r, const char *b64, const unsigned char *der,
    size_t len)
{
	struct kn_ocsp_info info;
	struct ocsp_job *j;
	unsigned char *out = NULL;
	size_t outlen = 0;
	uint64_t gen = atomic_load(&hot_gen);
	int rc;

	if (b64 != NULL && (out = hot_get(b64, &outlen, &info)) != NULL)
		return ocsp_cached_reply(r, out, outlen, &info);
	rc = b64 != NULL ? kn_ocsp_presigned_get(srv_db(r), r->srv->ca_env,
	    b64, &out, &outlen, &info) : kn_ocsp_presigned(srv_db(r),
	    r->srv->ca_env, der, len, &out, &outlen, &info);
	if (rc == 0 && info.must_sign) {
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			kn_ocsp_info_cleanup(&info);
			rc = KN_ERR_NOMEM;
		} else {
			j->b64 = b64;
			j->pre = info;
			return signq_submit(r, &ocsp_kind, j);
		}
	}
	if (rc != 0 && kn_ocsp_bare(OCSP_RESPONSE_STATUS_INTERNALERROR, &out,
	    &outlen) != 0)
		return MHD_NO;
	if (rc == 0 && info.status == OCSP_RESPONSE_STATUS_SUCCESSFUL &&
	    (info.cacheable || info.cached) && b64 != NULL) {
		if (info.cached)
			hot_put(b64, gen, out, outlen, &info);
		return ocsp_cached_reply(r, out, outlen, &info);
	}
	return reply(r, 200, "application/ocsp-response", out, outlen, true);
}

bool
ca_too_big(struct req *r, MHD_RESULT *res)
{
	unsigned char *out = NULL;
	size_t outlen = 0;
	int rc;

	if (!is(r, "POST"))
		return false;
	if (strcmp(r->url, "/ocsp") == 0)
		rc = kn_ocsp_bare(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, &out,
		    &outlen);
	else if (strcmp(r->url, "/tsa") == 0)
		rc = kn_tsa_reject(KN_TSA_BAD_DATA_FORMAT, "the request is "
		    "larger than any time-stamp query (RFC 3161 section 2.4.1)",
		    &out, &outlen);
	else
		return false;
	*res = rc != 0 ? MHD_NO : reply(r, 413, strcmp(r->url, "/ocsp") == 0 ?
	    "application/ocsp-response" : "application/timestamp-reply", out,
	    outlen, true);
	return true;
}

/* On a signing thread: the TimeStampResp of the request's body. */
static int
tsa_sign(struct req *r, void *arg, struct sq_reply *out)
{
	struct kn_tsa_info info;
	struct kn_db *db = srv_db(r);

	(void)arg;
	out->status = 200;
	out->ctype = "application/timestamp-reply";
	if (db == NULL)
		return kn_tsa_reject(KN_TSA_SYSTEM_FAILURE, "the time-stamp "
		    "authority's store is unavailable; try again shortly",
		    &out->data, &out->len);
	return kn_tsa_respond(r->srv->tsa, db, r->srv->ca_env,
	    (const unsigned char *)r->body.data, r->body.len, &out->data,
	    &out->len, &info);
}

/* RFC 3161 section 2.4.2: systemFailure, "the request cannot be handled
 * due to system failure", with a text that says it passes. */
static int
tsa_overload(struct req *r, void *arg, struct sq_reply *out)
{
	(void)r;
	(void)arg;
	out->status = 200;
	out->ctype = "application/timestamp-reply";
	return kn_tsa_reject(KN_TSA_SYSTEM_FAILURE, "the time-stamp "
	    "authority is overloaded; try again shortly", &out->data,
	    &out->len);
}

static const struct sq_kind tsa_kind = {
	.name = "TSA",
	.sign = tsa_sign,
	.overload = tsa_overload,
};

/* One time-stamp exchange (RFC 3161 section 3.4): the answer is always a
 * TimeStampResp, a token or a rejection naming the problem.  Tokens are
 * signed by the signing queue. */
static MHD_RESULT
tsa_answer(struct req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn,
	    MHD_HEADER_KIND, "Content-Type");
	unsigned char *out = NULL;
	size_t outlen = 0;

	if (ct != NULL && strncasecmp(ct, "application/timestamp-query",
	    27) == 0 && (ct[27] == '\0' || ct[27] == ';' || ct[27] == ' '))
		return signq_submit(r, &tsa_kind, NULL);
	if (kn_tsa_reject(KN_TSA_BAD_REQUEST, "the request's Content-Type "
	    "must be application/timestamp-query (RFC 3161 section 3.4)",
	    &out, &outlen) != 0)
		return MHD_NO;
	return reply(r, 415, "application/timestamp-reply", out, outlen,
	    true);
}

static MHD_RESULT
reply_cert(struct req *r, unsigned status, const struct kn_cert *x)
{
	struct kn_buf b;
	struct kn_jw w;
	char num[KN_CORPNUM_LEN + 1];

	kn_corpnum_format(num, x->org_number);
	kn_buf_init(&b, 1 << 20);
	kn_jw_init(&w, &b);
	kn_jw_obj(&w);
	kn_jw_kstr(&w, "serial", x->serial);
	kn_jw_kstr(&w, "ca", x->ca);
	kn_jw_kstr(&w, "org", num);
	kn_jw_kstr(&w, "profile", x->profile);
	kn_jw_kstr(&w, "subject", x->subject);
	kn_jw_kstr(&w, "emails", x->emails);
	kn_jw_kstr(&w, "dns_names", x->dns_names);
	kn_jw_kstr(&w, "not_before", x->not_before);
	kn_jw_kstr(&w, "not_after", x->not_after);
	kn_jw_kstr(&w, "status", x->status);
	kn_jw_kstr(&w, "revoked_at", x->revoked_at);
	kn_jw_kstr(&w, "reason", x->reason);
	kn_jw_kstr(&w, "pem", x->cert_pem);
	kn_jw_end_obj(&w);
	return reply_jsonbuf(r, status, &b);
}

/* Reads an array of at most MAX_NAMES_JSON strings. */
static bool
names(json_t *a, const char **out, size_t *n)
{
	size_t i;
	json_t *v;

	*n = 0;
	if (a == NULL)
		return true;
	if (!json_is_array(a) || json_array_size(a) > MAX_NAMES_JSON)
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v))
			return false;
		out[(*n)++] = json_string_value(v);
	}
	return true;
}

static const char *
str_or_null(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/* POST /api/v1/certs/requests: anyone may ask (an officer approves);
 * the body is capped like every unauthenticated one. */
static MHD_RESULT
new_request(struct req *r)
{
	static const char *const keys[] = { "org", "profile", "csr",
	    "keygen", "emails", "dns", "given_name", "surname", "days", "ca",
	    NULL };
	struct kn_cert_request_in in;
	struct kn_principal p;
	char code[KN_REVOCATION_CODE], actor[96];
	const char *org, *key;
	json_t *body, *v;
	MHD_RESULT res;
	int64_t id;
	bool bad = false;
	int a, rc;

	memset(&in, 0, sizeof(in));
	if ((a = auth_bearer(r, "ra", &p, &res)) < 0)
		return res;
	if ((body = body_json(r, &res)) == NULL)
		return res;
	json_object_foreach(body, key, v) {
		size_t i;

		for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i] == NULL) {
			res = reply_errorf(r, 400, "invalid", key, "unknown "
			    "field %s", key);
			goto out;
		}
	}
	org = str_or_null(body, "org", &bad);
	in.profile = str_or_null(body, "profile", &bad);
	in.csr_pem = str_or_null(body, "csr", &bad);
	in.keygen = str_or_null(body, "keygen", &bad);
	in.given_name = str_or_null(body, "given_name", &bad);
	in.surname = str_or_null(body, "surname", &bad);
	in.ca = str_or_null(body, "ca", &bad);
	if (bad || org == NULL || in.profile == NULL) {
		res = reply_errorf(r, 400, "invalid", org == NULL ? "org" :
		    "profile", "org (corporate number) and profile are "
		    "required strings; other fields are strings too");
		goto out;
	}
	if (!names(json_object_get(body, "emails"), in.emails, &in.nemails) ||
	    !names(json_object_get(body, "dns"), in.dns, &in.ndns)) {
		res = reply_errorf(r, 400, "invalid", "emails", "emails and dns "
		    "are arrays of at most %d strings", MAX_NAMES_JSON);
		goto out;
	}
	if ((v = json_object_get(body, "days")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100000) {
			res = reply_errorf(r, 400, "invalid", "days", "days is "
			    "a positive integer");
			goto out;
		}
		in.days = (int)json_integer_value(v);
	}
	if ((rc = kn_corpnum_parse(&in.org, org, strlen(org))) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	if (a == 1 && p.org_number != 0 && p.org_number != in.org) {
		res = reply_errorf(r, 403, "forbidden", "org", "a local RA "
		    "officer files requests for its own organization only");
		goto out;
	}
	if (a == 1)
		snprintf(actor, sizeof(actor), "user:%s", p.name);
	else
		snprintf(actor, sizeof(actor), "subscriber");
	if ((rc = kn_cert_request(srv_db(r), actor, &in, &id, code)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	res = reply_json(r, 201, json_pack("{s:I, s:s, s:s}", "id",
	    (json_int_t)id, "status", "pending", "revocation_code", code));
	OPENSSL_cleanse(code, sizeof(code));
out:
	json_decref(body);
	return res;
}

static bool
officer(struct req *r, struct kn_principal *p, MHD_RESULT *res)
{
	int a = auth_bearer(r, "ra", p, res);

	if (a == 0)
		*res = reply_errorf(r, 401, "unauthorized", "Authorization",
		    "this needs an officer's token: Authorization: Bearer "
		    "TOKEN");
	return a == 1;
}

static MHD_RESULT
list_requests(struct req *r)
{
	struct kn_principal p;
	struct kn_request_info *v = NULL;
	struct kn_buf b;
	struct kn_jw w;
	char num[KN_CORPNUM_LEN + 1];
	MHD_RESULT res;
	size_t n = 0, i;
	const char *status = query_arg(r, "status");
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if (status == NULL)
		status = "pending";
	else if (strcmp(status, "all") == 0)
		status = NULL;
	if ((rc = kn_request_list(srv_db(r), status, &v, &n)) != 0)
		return reply_error(r, rc);
	kn_buf_init(&b, 4 << 20);
	kn_jw_init(&w, &b);
	kn_jw_obj(&w);
	kn_jw_key(&w, "requests");
	kn_jw_arr(&w);
	for (i = 0; i < n; i++) {
		/* A local RA officer sees its own organization only. */
		if (p.org_number != 0 && p.org_number != v[i].org)
			continue;
		kn_corpnum_format(num, v[i].org);
		kn_jw_obj(&w);
		kn_jw_key(&w, "id");
		kn_jw_int(&w, v[i].id);
		kn_jw_kstr(&w, "org", num);
		kn_jw_kstr(&w, "profile", v[i].profile);
		kn_jw_kstr(&w, "status", v[i].status);
		kn_jw_kstr(&w, "name", v[i].names);
		kn_jw_kstr(&w, "emails", v[i].emails);
		kn_jw_kstr(&w, "dns", v[i].dns_names);
		kn_jw_kstr(&w, "requested_by", v[i].requested_by);
		kn_jw_kstr(&w, "created_at", v[i].created_at);
		kn_jw_kstr(&w, "decision", v[i].decision);
		kn_jw_kstr(&w, "serial", v[i].serial);
		kn_jw_end_obj(&w);
	}
	kn_jw_end_arr(&w);
	kn_jw_end_obj(&w);
	kn_request_list_free(v, n);
	return reply_jsonbuf(r, 200, &b);
}

static MHD_RESULT
decide(struct req *r, int64_t id, bool approve)
{
	struct kn_identity_check idc = { NULL, NULL, NULL };
	struct kn_principal p;
	char actor[96], serial[KN_SERIAL_HEX], pw[KN_P12_PASSWORD];
	json_t *body, *ident;
	MHD_RESULT res;
	bool bad = false;
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if ((body = body_json(r, &res)) == NULL)
		return res;
	snprintf(actor, sizeof(actor), "user:%s", p.name);
	if (!approve) {
		const char *reason = str_or_null(body, "reason", &bad);

		if (bad || reason == NULL)
			res = reply_errorf(r, 400, "invalid", "reason", "reason "
			    "(a string) is required");
		else if ((rc = kn_cert_reject(srv_db(r), actor, &p, id,
		    reason)) != 0)
			res = reply_error(r, rc);
		else
			res = reply_json(r, 200, json_pack("{s:I, s:s}", "id",
			    (json_int_t)id, "status", "rejected"));
		json_decref(body);
		return res;
	}
	ident = json_object_get(body, "identity");
	if (!json_is_object(ident)) {
		res = reply_errorf(r, 400, "invalid", "identity", "identity "
		    "{who, how, ref} records the identity check (S/MIME BR "
		    "3.2.4)");
		goto out;
	}
	idc.who = str_or_null(ident, "who", &bad);
	idc.how = str_or_null(ident, "how", &bad);
	idc.ref = str_or_null(ident, "ref", &bad);
	if (bad) {
		res = reply_errorf(r, 400, "invalid", "identity", "identity "
		    "fields are strings");
		goto out;
	}
	if (r->srv->ca_env == NULL) {
		res = no_ca(r);
		goto out;
	}
	if ((rc = kn_cert_approve(srv_db(r), r->srv->ca_env, actor, &p, id,
	    &idc, serial, pw)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	{
		json_t *j = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
		    "status", "issued", "serial", serial);

		if (pw[0] != '\0')
			json_object_set_new(j, "p12_password",
			    json_string(pw));
		res = reply_json(r, 200, j);
	}
	OPENSSL_cleanse(pw, sizeof(pw));
out:
	json_decref(body);
	return res;
}

/* revoke (officer, or subscriber with the code), suspend, resume */
static MHD_RESULT
change(struct req *r, const char *serial, const char *what)
{
	struct kn_principal p;
	struct kn_cert x;
	char actor[96];
	const char *reason = NULL, *code = NULL;
	json_t *body = NULL;
	MHD_RESULT res;
	bool bad = false;
	int a, rc, n;

	if ((a = auth_bearer(r, "ra", &p, &res)) < 0)
		return res;
	if (r->body.len > 0 && (body = body_json(r, &res)) == NULL)
		return res;
	if (body != NULL) {
		reason = str_or_null(body, "reason", &bad);
		code = str_or_null(body, "code", &bad);
	}
	if (bad) {
		res = reply_errorf(r, 400, "invalid", "reason", "reason and code "
		    "are strings");
		goto out;
	}
	if (a == 0 && (strcmp(what, "revoke") != 0 || code == NULL)) {
		res = reply_errorf(r, 401, "unauthorized", "Authorization",
		    "this needs an officer's token%s", strcmp(what, "revoke") ==
		    0 ? ", or the subscriber's revocation code" : "");
		goto out;
	}
	if (r->srv->ca_env == NULL) {
		res = no_ca(r);
		goto out;
	}
	if (a == 1)
		snprintf(actor, sizeof(actor), "user:%s", p.name);
	else
		snprintf(actor, sizeof(actor), "subscriber");
	if (strcmp(what, "revoke") == 0)
		rc = kn_cert_revoke(srv_db(r), r->srv->ca_env, actor,
		    a == 1 ? &p : NULL, serial, reason ? reason :
		    "unspecified", a == 1 ? NULL : code);
	else if (strcmp(what, "suspend") == 0)
		rc = kn_cert_suspend(srv_db(r), r->srv->ca_env, actor, &p,
		    serial);
	else
		rc = kn_cert_resume(srv_db(r), r->srv->ca_env, actor, &p,
		    serial);
	/* Every worker's kept OCSP answers are stale now. */
	atomic_fetch_add(&hot_gen, 1);
	if (rc != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	if ((rc = kn_cert_get(srv_db(r), &x, serial)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	/* The new CRL now; the refresher retries if the token is busy. */
	if (kn_crl_generate(srv_db(r), r->srv->ca_env, actor, x.ca, &n) != 0)
		fprintf(stderr, "kakuin serve: CRL of %s: %s\n", x.ca,
		    kn_err_msg(kn_err_get()->code));
	res = reply_cert(r, 200, &x);
	kn_cert_cleanup(&x);
out:
	json_decref(body);
	return res;
}

static MHD_RESULT
list_cas(struct req *r)
{
	struct kn_ca *v = NULL;
	struct kn_buf b;
	struct kn_jw w;
	char url[512];
	size_t n = 0, i;
	int rc;

	if ((rc = kn_ca_list(srv_db(r), &v, &n)) != 0)
		return reply_error(r, rc);
	kn_buf_init(&b, 4 << 20);
	kn_jw_init(&w, &b);
	kn_jw_obj(&w);
	kn_jw_key(&w, "cas");
	kn_jw_arr(&w);
	for (i = 0; i < n; i++) {
		snprintf(url, sizeof(url), "%s/ca/%s.crt",
		    r->srv->cfg->base_url, v[i].name);
		kn_jw_obj(&w);
		kn_jw_kstr(&w, "name", v[i].name);
		kn_jw_kstr(&w, "kind", v[i].parent_id ? "issuing" : "root");
		kn_jw_kstr(&w, "subject", v[i].subject);
		kn_jw_kstr(&w, "serial", v[i].serial);
		kn_jw_kstr(&w, "not_before", v[i].not_before);
		kn_jw_kstr(&w, "not_after", v[i].not_after);
		kn_jw_kstr(&w, "url", url);
		kn_jw_kstr(&w, "pem", v[i].cert_pem);
		kn_jw_end_obj(&w);
	}
	kn_jw_end_arr(&w);
	kn_jw_end_obj(&w);
	kn_ca_list_free(v, n);
	return reply_jsonbuf(r, 200, &b);
}

/* POST /api/v1/certs/{serial}/renew {"csr"?}: a new request with the
 * same names (a re-key with a new CSR). */
static MHD_RESULT
renew(struct req *r, const char *serial)
{
	struct kn_principal p;
	struct kn_cert x;
	char code[KN_REVOCATION_CODE], actor[96];
	const char *csr = NULL;
	json_t *body = NULL;
	MHD_RESULT res;
	bool bad = false;
	int64_t id;
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if (r->body.len > 0) {
		const char *key;
		json_t *v;

		if ((body = body_json(r, &res)) == NULL)
			return res;
		json_object_foreach(body, key, v) {
			if (strcmp(key, "csr") != 0) {
				res = reply_errorf(r, 400, "invalid", key,
				    "unknown field %s (only csr)", key);
				goto out;
			}
		}
		csr = str_or_null(body, "csr", &bad);
	}
	if (bad) {
		res = reply_errorf(r, 400, "invalid", "csr", "csr is a PEM "
		    "string");
		goto out;
	}
	if ((rc = kn_cert_get(srv_db(r), &x, serial)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	rc = p.org_number != 0 && p.org_number != x.org_number;
	kn_cert_cleanup(&x);
	if (rc) {
		res = reply_errorf(r, 403, "forbidden", "officer", "a local RA "
		    "officer renews certificates of its own organization "
		    "only");
		goto out;
	}
	snprintf(actor, sizeof(actor), "user:%s", p.name);
	if ((rc = kn_cert_renew(srv_db(r), actor, serial, csr, &id,
	    code)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	res = reply_json(r, 201, json_pack("{s:I, s:s, s:s, s:s}", "id",
	    (json_int_t)id, "status", "pending", "renewal_of", serial,
	    "revocation_code", code));
	OPENSSL_cleanse(code, sizeof(code));
out:
	json_decref(body);
	return res;
}

/* GET /api/v1/certs/{serial}/p12: the PKCS#12 of a CA-generated key,
 * handed out once (its password was given at approval). */
static MHD_RESULT
take_p12(struct req *r, const char *serial)
{
	struct kn_principal p;
	struct kn_cert x;
	unsigned char *der = NULL;
	char actor[96];
	MHD_RESULT res;
	size_t len = 0;
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if ((rc = kn_cert_get(srv_db(r), &x, serial)) != 0)
		return reply_error(r, rc);
	rc = p.org_number != 0 && p.org_number != x.org_number;
	kn_cert_cleanup(&x);
	if (rc)
		return reply_errorf(r, 403, "forbidden", "officer", "a local "
		    "RA officer fetches keys of its own organization only");
	snprintf(actor, sizeof(actor), "user:%s", p.name);
	if ((rc = kn_cert_take_p12(srv_db(r), actor, serial, &der,
	    &len)) != 0)
		return reply_error(r, rc);
	return reply(r, 200, "application/x-pkcs12", der, len, true);
}

MHD_RESULT
ca_route(struct req *r, const char *path)
{
	char serial[64], verb[16];
	struct kn_cert x;
	struct kn_principal p;
	MHD_RESULT res;
	int64_t id;
	int rc;

	if (strcmp(path, "/tsa") == 0)
		return is(r, "POST") ? tsa_answer(r) : not_allowed(r, "POST");
	if (srv_db(r) == NULL && strncmp(path, "/ocsp", 5) == 0) {
		unsigned char *out;
		size_t outlen;

		if (kn_ocsp_bare(OCSP_RESPONSE_STATUS_TRYLATER, &out,
		    &outlen) != 0)
			return MHD_NO;
		return reply(r, 200, "application/ocsp-response", out, outlen,
		    true);
	}
	if (srv_db(r) == NULL)
		return reply_errorf(r, 503, "busy", NULL, "store unavailable");
	if (strcmp(path, "/ocsp") == 0)
		return is(r, "POST") ? ocsp_answer(r, NULL, (const unsigned
		    char *)r->body.data, r->body.len) : not_allowed(r, "POST");
	if (strncmp(path, "/ocsp/", 6) == 0)
		return is(r, "GET") || is(r, "HEAD") ? ocsp_answer(r,
		    path + 6, NULL, 0) : not_allowed(r, "GET");
	if (strncmp(path, "/ca/", 4) == 0)
		return is(r, "GET") || is(r, "HEAD") ? ca_file(r, path + 4) :
		    not_allowed(r, "GET");
	if (strncmp(path, "/crl/", 5) == 0)
		return is(r, "GET") || is(r, "HEAD") ? crl_file(r, path + 5) :
		    not_allowed(r, "GET");
	if (strcmp(path, "/api/v1/cas") == 0)
		return is(r, "GET") ? list_cas(r) : not_allowed(r, "GET");
	if (strcmp(path, "/api/v1/certs/requests") == 0) {
		if (is(r, "POST"))
			return new_request(r);
		if (is(r, "GET"))
			return list_requests(r);
		return not_allowed(r, "GET, POST");
	}
	if (sscanf(path, "/api/v1/certs/requests/%" SCNd64 "/%15[a-z]", &id,
	    verb) == 2) {
		if (!is(r, "POST"))
			return not_allowed(r, "POST");
		if (strcmp(verb, "approve") == 0 || strcmp(verb, "reject") == 0)
			return decide(r, id, verb[0] == 'a');
	}
	if (sscanf(path, "/api/v1/certs/%63[0-9a-fA-F:]/%15[a-z0-9]", serial,
	    verb) == 2) {
		if (strcmp(verb, "revoke") == 0 || strcmp(verb, "suspend") ==
		    0 || strcmp(verb, "resume") == 0)
			return is(r, "POST") ? change(r, serial, verb) :
			    not_allowed(r, "POST");
		if (strcmp(verb, "renew") == 0)
			return is(r, "POST") ? renew(r, serial) :
			    not_allowed(r, "POST");
		if (strcmp(verb, "p12") == 0)
			return is(r, "GET") ? take_p12(r, serial) :
			    not_allowed(r, "GET");
	} else if (sscanf(path, "/api/v1/certs/%63[0-9a-fA-F:]", serial) ==
	    1 && strlen(path) == strlen("/api/v1/certs/") + strlen(serial)) {
		if (!is(r, "GET") && !is(r, "HEAD"))
			return not_allowed(r, "GET");
		if ((rc = kn_cert_get(srv_db(r), &x, serial)) != 0)
			return reply_error(r, rc);
		res = reply_cert(r, 200, &x);
		kn_cert_cleanup(&x);
		return res;
	}
	(void)p;
	return reply_errorf(r, 404, "not_found", NULL, "no API at %s", path);
}
