/* api_orgs.c - JSON API under /api/v1: organizations, domains, tokens. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base/text.h"
#include "dns/dns.h"
#include "registry/corpnum.h"
#include "registry/org.h"
#include "registry/org_json.h"
#include "server/http.h"
#include "store/db.h"

#define ORGS "/api/v1/orgs"

static MHD_RESULT
method_not_allowed(struct req *r, const char *allow)
{
	r->allow = allow;
	return reply_errorf(r, 405, "method_not_allowed", NULL, "%s is not "
	    "allowed here; use %s", r->method, allow);
}

static bool
is(struct req *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

static MHD_RESULT
store_down(struct req *r)
{
	return reply_errorf(r, 503, "busy", NULL, "the store is unavailable; "
	    "try again");
}

/* Principal for a write: needs role ra (admin passes too). */
static bool
officer(struct req *r, struct kn_principal *p, MHD_RESULT *res)
{
	int a = auth_bearer(r, "ra", p, res);

	if (a == 0) {
		*res = reply_errorf(r, 401, "unauthorized", "Authorization",
		    "this needs an officer's token: Authorization: Bearer "
		    "TOKEN (kakuin user token NAME)");
		return false;
	}
	/* Local RA officers act on their organization's certificate
	 * requests only; the registry is the RA's. */
	if (a == 1 && p->org_number != 0) {
		*res = reply_errorf(r, 403, "forbidden", NULL, "user %s is a "
		    "local RA officer: registry changes need an RA officer "
		    "of the trust center", p->name);
		return false;
	}
	return a == 1;
}

static void
actor_of(char out[96], const struct kn_principal *p)
{
	snprintf(out, 96, "user:%s", p->name);
}

#define ANSWER_MAX (16 << 20)

static MHD_RESULT
reply_org(struct req *r, unsigned status, const struct kn_org *org,
    bool officer)
{
	struct kn_buf b;
	struct kn_jw w;

	kn_buf_init(&b, ANSWER_MAX);
	kn_jw_init(&w, &b);
	kn_org_write_json(&w, org, officer);
	return reply_jsonbuf(r, status, &b);
}

static MHD_RESULT
reply_domain(struct req *r, unsigned status, const struct kn_domain *d)
{
	struct kn_buf b;
	struct kn_jw w;

	kn_buf_init(&b, ANSWER_MAX);
	kn_jw_init(&w, &b);
	kn_domain_write_json(&w, d, true);
	return reply_jsonbuf(r, status, &b);
}

static MHD_RESULT
get_org(struct req *r, int64_t number)
{
	struct kn_principal p;
	struct kn_org org;
	struct kn_db *db;
	MHD_RESULT res;
	int a, rc;

	if ((a = auth_bearer(r, "ra", &p, &res)) < 0)
		return res;
	if ((db = srv_db(r)) == NULL)
		return store_down(r);
	if ((rc = kn_org_load(db, &org, number, KN_ORG_LOAD_DOMAINS |
	    (a == 1 ? KN_ORG_LOAD_HISTORY : 0))) != 0)
		return reply_error(r, rc);
	if (org.hidden && a != 1) {
		char num[KN_CORPNUM_LEN + 1];

		/* Indistinguishable from an unknown number. */
		kn_org_cleanup(&org);
		kn_corpnum_format(num, number);
		return reply_errorf(r, 404, "not_found", "number", "no "
		    "organization with corporate number %s is in the "
		    "registry", num);
	}
	res = reply_org(r, 200, &org, a == 1);
	kn_org_cleanup(&org);
	return res;
}

static MHD_RESULT
list_orgs(struct req *r)
{
	struct kn_org_query q = { .limit = 50 };
	struct kn_org_list l;
	struct kn_principal p;
	struct kn_db *db;
	struct kn_buf b;
	struct kn_jw w;
	const char *v;
	MHD_RESULT res;
	int64_t n;
	size_t i;
	int auth, rc;

	if ((auth = auth_bearer(r, "ra", &p, &res)) < 0)
		return res;
	q.q = query_arg(r, "q");
	q.status = query_arg(r, "status");
	q.include_hidden = auth == 1;
	if ((v = query_arg(r, "limit")) != NULL) {
		if (kn_parse_int64(&n, v, 1, 500) != 0)
			return reply_errorf(r, 400, "invalid", "limit",
			    "limit must be a number from 1 to 500");
		q.limit = (int)n;
	}
	if ((v = query_arg(r, "offset")) != NULL) {
		if (kn_parse_int64(&n, v, 0, 100000) != 0)
			return reply_errorf(r, 400, "invalid", "offset",
			    "offset must be a number from 0 to 100000");
		q.offset = (int)n;
	}
	if ((db = srv_db(r)) == NULL)
		return store_down(r);
	if (!search_begin(r))
		return reply_errorf(r, 503, "busy", "q", "too many searches at "
		    "once; try again in a moment");
	rc = kn_org_search(db, &l, &q);
	search_end(r);
	if (rc != 0)
		return reply_error(r, rc);
	kn_buf_init(&b, ANSWER_MAX);
	kn_jw_init(&w, &b);
	kn_jw_obj(&w);
	kn_jw_key(&w, "orgs");
	kn_jw_arr(&w);
	for (i = 0; i < l.n; i++)
		kn_org_write_json(&w, &l.orgs[i], false);
	kn_jw_end_arr(&w);
	kn_jw_key(&w, "more");
	kn_jw_bool(&w, l.more);
	kn_jw_key(&w, "limit");
	kn_jw_int(&w, q.limit);
	kn_jw_key(&w, "offset");
	kn_jw_int(&w, q.offset);
	kn_jw_end_obj(&w);
	kn_org_list_cleanup(&l);
	return reply_jsonbuf(r, 200, &b);
}

/* Replies 200/201 with the officer view of number after a change. */
static MHD_RESULT
changed(struct req *r, struct kn_db *db, unsigned status, int64_t number)
{
	struct kn_org org;
	MHD_RESULT res;
	int rc;

	if ((rc = kn_org_get(db, &org, number)) != 0) {
		char num[KN_CORPNUM_LEN + 1];

		/* The change is committed: say so, even without the view. */
		kn_corpnum_format(num, number);
		return reply_json(r, status, json_pack("{s:s, s:s}", "number",
		    num, "note", "done; the organization could not be read "
		    "back"));
	}
	res = reply_org(r, status, &org, true);
	kn_org_cleanup(&org);
	return res;
}

static MHD_RESULT
add_org(struct req *r)
{
	static const char *const allow[] = { "number", NULL };
	struct kn_principal p;
	struct kn_org org;
	struct kn_db *db;
	char actor[96];
	MHD_RESULT res;
	json_t *body, *num;
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if ((body = body_json(r, &res)) == NULL)
		return res;
	kn_org_init(&org);
	num = json_object_get(body, "number");
	if (!json_is_string(num)) {
		res = reply_errorf(r, 400, "invalid", "number", "number (the "
		    "13-digit corporate number, as a string) is required");
		goto out;
	}
	if ((rc = kn_corpnum_parse(&org.number, json_string_value(num),
	    json_string_length(num))) != 0 ||
	    (rc = kn_org_from_json(&org, body, allow)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	if ((db = srv_db(r)) == NULL) {
		res = store_down(r);
		goto out;
	}
	actor_of(actor, &p);
	if ((rc = kn_org_add(db, actor, &org)) != 0)
		res = reply_error(r, rc);
	else
		res = changed(r, db, 201, org.number);
out:
	json_decref(body);
	kn_org_cleanup(&org);
	return res;
}

static MHD_RESULT
update_org(struct req *r, int64_t number)
{
	struct kn_principal p;
	struct kn_org org;
	struct kn_db *db;
	char actor[96];
	MHD_RESULT res;
	json_t *body;
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if ((body = body_json(r, &res)) == NULL)
		return res;
	kn_org_init(&org);
	org.number = number;
	if ((rc = kn_org_from_json(&org, body, NULL)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	if ((db = srv_db(r)) == NULL) {
		res = store_down(r);
		goto out;
	}
	actor_of(actor, &p);
	if ((rc = kn_org_update(db, actor, &org)) != 0)
		res = reply_error(r, rc);
	else
		res = changed(r, db, 200, number);
out:
	json_decref(body);
	kn_org_cleanup(&org);
	return res;
}

static MHD_RESULT
set_status(struct req *r, int64_t number, const char *to)
{
	struct kn_principal p;
	struct kn_db *db;
	char actor[96];
	MHD_RESULT res;
	json_t *body, *reason;
	const char *key;
	json_t *v;
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if ((body = body_json(r, &res)) == NULL)
		return res;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "reason") != 0) {
			res = reply_errorf(r, 400, "invalid", key, "unknown "
			    "field %s (only reason)", key);
			goto out;
		}
	}
	reason = json_object_get(body, "reason");
	if (!json_is_string(reason) || json_string_length(reason) == 0 ||
	    strlen(json_string_value(reason)) != json_string_length(reason)) {
		res = reply_errorf(r, 400, "invalid", "reason", "reason (a "
		    "non-empty string) is required for every status change");
		goto out;
	}
	if ((db = srv_db(r)) == NULL) {
		res = store_down(r);
		goto out;
	}
	actor_of(actor, &p);
	if ((rc = kn_org_set_status(db, actor, number, to,
	    json_string_value(reason))) != 0)
		res = reply_error(r, rc);
	else
		res = changed(r, db, 200, number);
out:
	json_decref(body);
	return res;
}

static MHD_RESULT
add_domain(struct req *r, int64_t number)
{
	struct kn_principal p;
	struct kn_domain d;
	struct kn_db *db;
	char actor[96];
	MHD_RESULT res;
	json_t *body, *name, *uses, *u;
	const char *key;
	json_t *v;
	bool web = false, mail = false;
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	if (!officer(r, &p, &res))
		return res;
	if ((body = body_json(r, &res)) == NULL)
		return res;
	json_object_foreach(body, key, v) {
		if (strcmp(key, "domain") != 0 && strcmp(key, "uses") != 0) {
			res = reply_errorf(r, 400, "invalid", key, "unknown "
			    "field %s (domain, uses)", key);
			goto out;
		}
	}
	name = json_object_get(body, "domain");
	uses = json_object_get(body, "uses");
	if (!json_is_string(name)) {
		res = reply_errorf(r, 400, "invalid", "domain", "domain (a "
		    "string) is required");
		goto out;
	}
	if (uses == NULL)
		web = mail = true;
	else if (!json_is_array(uses) || json_array_size(uses) == 0 ||
	    json_array_size(uses) > 2) {
		res = reply_errorf(r, 400, "invalid", "uses", "uses is an "
		    "array of \"web\" and/or \"mail\"");
		goto out;
	}
	json_array_foreach(uses, i, u) {
		if (json_is_string(u) && strcmp(json_string_value(u),
		    "web") == 0)
			web = true;
		else if (json_is_string(u) && strcmp(json_string_value(u),
		    "mail") == 0)
			mail = true;
		else {
			res = reply_errorf(r, 400, "invalid", "uses", "uses "
			    "holds only \"web\" and \"mail\"");
			goto out;
		}
	}
	if ((db = srv_db(r)) == NULL) {
		res = store_down(r);
		goto out;
	}
	actor_of(actor, &p);
	if ((rc = kn_domain_add(db, actor, number, json_string_value(name),
	    web, mail, &d)) != 0)
		res = reply_error(r, rc);
	else
		res = reply_domain(r, 201, &d);
out:
	kn_domain_cleanup(&d);
	json_decref(body);
	return res;
}

static MHD_RESULT
check_domain(struct req *r, int64_t number, const char *name)
{
	struct kn_principal p;
	struct kn_domain d;
	struct kn_dns *dns = NULL;
	struct kn_db *db;
	char actor[96];
	MHD_RESULT res;
	int rc;

	memset(&d, 0, sizeof(d));
	if (!officer(r, &p, &res))
		return res;
	if ((db = srv_db(r)) == NULL)
		return store_down(r);
	actor_of(actor, &p);
	/* A fresh resolver per check: a cached "no record" must never hide
	 * a record published a moment ago. */
	if ((rc = kn_dns_new(&dns, r->srv->cfg->resolver,
	    r->srv->cfg->dnssec_anchor)) == 0)
		rc = kn_domain_check(db, dns, actor, number, name, &d);
	kn_dns_free(dns);
	if (rc != 0)
		res = reply_error(r, rc);
	else
		res = reply_domain(r, 200, &d);
	kn_domain_cleanup(&d);
	return res;
}

static MHD_RESULT
list_domains(struct req *r, int64_t number)
{
	struct kn_principal p;
	struct kn_org org;
	struct kn_db *db;
	struct kn_buf b;
	struct kn_jw w;
	MHD_RESULT res;
	size_t i;
	int rc;

	if (!officer(r, &p, &res))
		return res;
	if ((db = srv_db(r)) == NULL)
		return store_down(r);
	if ((rc = kn_org_load(db, &org, number, KN_ORG_LOAD_DOMAINS)) != 0)
		return reply_error(r, rc);
	kn_buf_init(&b, ANSWER_MAX);
	kn_jw_init(&w, &b);
	kn_jw_obj(&w);
	kn_jw_key(&w, "domains");
	kn_jw_arr(&w);
	for (i = 0; i < org.ndomains; i++)
		kn_domain_write_json(&w, &org.domains[i], true);
	kn_jw_end_arr(&w);
	kn_jw_end_obj(&w);
	kn_org_cleanup(&org);
	return reply_jsonbuf(r, 200, &b);
}

/*
 * Failed logins per user name, in a small fixed table: five failures
 * within ten minutes block further tries for ten minutes.  Hashing the
 * name into a slot means a flood of random names cannot grow memory.
 */
#define LOGIN_SLOTS 1024
#define LOGIN_MAX_FAILS 5
#define LOGIN_BLOCK_SECONDS 600

static struct {
	unsigned char	 name[32];	/* SHA-256 of the name */
	int		 fails;
	time_t		 first;
} login_fails[LOGIN_SLOTS];
static pthread_mutex_t login_mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t login_slots;
static pthread_once_t login_once = PTHREAD_ONCE_INIT;

static void
login_init(void)
{
	sem_init(&login_slots, 0, 2);
}

static size_t
login_slot(const char *name, unsigned char h[32])
{
	unsigned int n;

	EVP_Digest(name, strlen(name), h, &n, EVP_sha256(), NULL);
	return ((size_t)h[0] << 8 | h[1]) % LOGIN_SLOTS;
}

static bool
login_blocked(const char *name)
{
	unsigned char h[32];
	size_t i = login_slot(name, h);
	bool blocked;

	pthread_once(&login_once, login_init);
	pthread_mutex_lock(&login_mu);
	blocked = memcmp(login_fails[i].name, h, 32) == 0 &&
	    login_fails[i].fails >= LOGIN_MAX_FAILS &&
	    time(NULL) - login_fails[i].first < LOGIN_BLOCK_SECONDS;
	pthread_mutex_unlock(&login_mu);
	return blocked;
}

static void
login_note(const char *name, bool ok)
{
	unsigned char h[32];
	size_t i = login_slot(name, h);
	time_t now = time(NULL);

	pthread_mutex_lock(&login_mu);
	if (memcmp(login_fails[i].name, h, 32) != 0 ||
	    now - login_fails[i].first >= LOGIN_BLOCK_SECONDS) {
		memcpy(login_fails[i].name, h, 32);
		login_fails[i].fails = 0;
		login_fails[i].first = now;
	}
	if (ok)
		login_fails[i].fails = 0;
	else
		login_fails[i].fails++;
	pthread_mutex_unlock(&login_mu);
}

static MHD_RESULT
issue_token(struct req *r)
{
	struct kn_principal p;
	struct kn_db *db;
	char token[KN_API_TOKEN_LEN + 1], actor[96];
	json_t *body, *user, *pw, *ttl;
	MHD_RESULT res;
	json_int_t days = 1;
	int rc;

	pthread_once(&login_once, login_init);
	if ((body = body_json(r, &res)) == NULL)
		return res;
	pw = NULL;
	user = json_object_get(body, "user");
	pw = json_object_get(body, "password");
	ttl = json_object_get(body, "ttl_days");
	if (!json_is_string(user) || !json_is_string(pw)) {
		res = reply_errorf(r, 400, "invalid", json_is_string(user) ?
		    "password" : "user", "user and password (strings) are "
		    "required");
		goto out;
	}
	if (ttl != NULL) {
		if (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
		    json_integer_value(ttl) > 90) {
			res = reply_errorf(r, 400, "invalid", "ttl_days",
			    "ttl_days must be an integer from 1 to 90");
			goto out;
		}
		days = json_integer_value(ttl);
	}
	if ((db = srv_db(r)) == NULL) {
		res = store_down(r);
		goto out;
	}
	if (login_blocked(json_string_value(user))) {
		res = reply_errorf(r, 429, "too_many_attempts", "user",
		    "too many failed logins for this user; wait %d minutes",
		    LOGIN_BLOCK_SECONDS / 60);
		goto out;
	}
	/* Each check costs 64 MiB of argon2id: a bounded number at once,
	 * and the rest told to come back instead of queueing. */
	if (sem_trywait(&login_slots) != 0) {
		res = reply_errorf(r, 503, "busy", NULL, "too many logins at "
		    "once; try again in a moment");
		goto out;
	}
	rc = kn_auth_password(db, &p, json_string_value(user),
	    json_string_value(pw));
	sem_post(&login_slots);
	login_note(json_string_value(user), rc == 0);
	if (rc != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	snprintf(r->user, sizeof(r->user), "%s", p.name);
	actor_of(actor, &p);
	if ((rc = kn_user_token(db, actor, p.name, "api login",
	    (int64_t)days * 86400, token)) != 0) {
		res = reply_error(r, rc);
		goto out;
	}
	res = reply_json(r, 201, json_pack("{s:s, s:s, s:s, s:I}", "token",
	    token, "user", p.name, "role", p.role, "ttl_days", days));
	explicit_bzero(token, sizeof(token));
out:
	/* The password lives in the parsed tree: wipe it before freeing. */
	if (json_is_string(pw))
		explicit_bzero((char *)json_string_value(pw),
		    json_string_length(pw));
	json_decref(body);
	return res;
}

MHD_RESULT
api_route(struct req *r, const char *path)
{
	char num[KN_CORPNUM_LEN + 1], rest[300];
	const char *p;
	int64_t number;
	size_t n;
	int rc;

	if (strcmp(path, "/api/v1/auth/token") == 0)
		return is(r, "POST") ? issue_token(r) :
		    method_not_allowed(r, "POST");
	if (strcmp(path, ORGS) == 0) {
		if (is(r, "GET") || is(r, "HEAD"))
			return list_orgs(r);
		if (is(r, "POST"))
			return add_org(r);
		return method_not_allowed(r, "GET, POST");
	}
	if (strncmp(path, ORGS "/", sizeof(ORGS)) != 0)
		return reply_errorf(r, 404, "not_found", NULL, "no API at %s",
		    path);
	p = path + sizeof(ORGS);
	n = strcspn(p, "/");
	if ((rc = kn_corpnum_parse(&number, p, n)) != 0)
		return reply_error(r, rc);
	memcpy(num, p, KN_CORPNUM_LEN);
	num[KN_CORPNUM_LEN] = '\0';
	p += n;
	snprintf(rest, sizeof(rest), "%s", p);
	if (rest[0] == '\0') {
		if (is(r, "GET") || is(r, "HEAD"))
			return get_org(r, number);
		if (is(r, "PATCH"))
			return update_org(r, number);
		return method_not_allowed(r, "GET, PATCH");
	}
	if (strcmp(rest, "/verify") == 0 || strcmp(rest, "/suspend") == 0 ||
	    strcmp(rest, "/withdraw") == 0) {
		if (!is(r, "POST"))
			return method_not_allowed(r, "POST");
		return set_status(r, number, rest[1] == 'v' ? "verified" :
		    rest[1] == 's' ? "suspended" : "withdrawn");
	}
	if (strcmp(rest, "/domains") == 0) {
		if (is(r, "GET"))
			return list_domains(r, number);
		if (is(r, "POST"))
			return add_domain(r, number);
		return method_not_allowed(r, "GET, POST");
	}
	if (strncmp(rest, "/domains/", 9) == 0) {
		char *dom = rest + 9, *slash = strchr(dom, '/');

		if (slash != NULL && strcmp(slash, "/check") == 0) {
			*slash = '\0';
			if (!is(r, "POST"))
				return method_not_allowed(r, "POST");
			return check_domain(r, number, dom);
		}
	}
	return reply_errorf(r, 404, "not_found", NULL, "no API at %s", path);
}
