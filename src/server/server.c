/* server.c - the libmicrohttpd daemon: connections, bodies, routing,
 * access log, and a clean stop on SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/conns.h"
#include "server/http.h"
#include "server/server.h"
#include "server/signq.h"
#include "base/text.h"
#include "ca/ca.h"
#include "registry/feed.h"
#include "store/db.h"
#include "tsa/tsa.h"

#define ANON_MAX_BODY (16 * 1024)
#define DRAIN_SECONDS 10
#define FD_RESERVE 128		/* descriptors kept for the store, the token,
				   logs: not for connections */

/* Requests begun and not yet completed (idle keep-alive connections are
 * not counted): what a stop waits for. */
static atomic_int inflight;

static double
since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

MHD_RESULT
srv_route(struct req *r)
{
	const char *path = r->url;

	if (strcmp(path, "/healthz") == 0) {
		struct kn_db *db = srv_db(r);
		struct kn_stmt *st;
		int rc = KN_ERR_DB;

		if (db != NULL && (rc = kn_db_stmt(db, &st,
		    "SELECT 1")) == 0) {
			rc = kn_stmt_step(st) == KN_ROW ? 0 : KN_ERR_DB;
			kn_stmt_done(st);
		}
		if (rc != 0)
			return reply_json(r, 503, json_pack("{s:s, s:s}",
			    "status", "unavailable", "store", "unreachable"));
		return reply_json(r, 200, json_pack("{s:s, s:s}", "status",
		    "ok", "version", KN_VERSION));
	}
	if (strncmp(path, "/ca/", 4) == 0 || strncmp(path, "/crl/", 5) == 0 ||
	    strcmp(path, "/ocsp") == 0 || strncmp(path, "/ocsp/", 6) == 0 ||
	    strcmp(path, "/tsa") == 0 ||
	    strcmp(path, "/api/v1/cas") == 0 ||
	    strncmp(path, "/api/v1/certs", 13) == 0)
		return ca_route(r, path);
	if (strncmp(path, "/api/", 5) == 0)
		return api_route(r, path);
	if (strncmp(path, "/feed/", 6) == 0)
		return feed_route(r, path);
	return page_route(r, path);
}

static MHD_RESULT
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct req *r = *con_cls;
	const char *cl;
	MHD_RESULT res;

	(void)version;
	if (r == NULL) {
		size_t cap;

		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		atomic_fetch_add(&inflight, 1);
		r->srv = s;
		r->conn = conn;
		r->method = method;
		r->url = url;
		clock_gettime(CLOCK_MONOTONIC, &r->start);
		/* The header is in; the deadline runs on for the body. */
		r->cn = conns_of(conn);
		conns_reading(r->cn, &r->start);
		/* Only a valid token earns the full body cap. */
		auth_resolve(r);
		cap = s->cfg->max_body;
		if (r->auth_rc != 1 && cap > ANON_MAX_BODY)
			cap = ANON_MAX_BODY;
		kn_buf_init(&r->body, cap);
		*con_cls = r;
		/* Refuse an announced oversized body before reading it. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > cap)
			r->too_big = true;
		return MHD_YES;
	}
	/* Back from the signing queue with its answer. */
	if (r->job != NULL && signq_resumed(r, &res))
		return res;
	if (*upload_size > 0) {
		if (!r->too_big && kn_buf_add(&r->body, upload,
		    *upload_size) != 0)
			r->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	conns_answering(r->cn);
	kn_err_clear();
	if (r->too_big && ca_too_big(r, &res))
		return res;
	if (r->too_big)
		return reply_errorf(r, 413, "too_big", NULL, "the request "
		    "body is larger than %zu bytes%s", r->body.max,
		    r->body.max < s->cfg->max_body ? " (the limit without "
		    "a valid token)" : "");
	return srv_route(r);
}

/* Appends s with control characters, quotes and backslashes escaped, so
 * that a request cannot forge a log line. */
static void
log_escaped(struct kn_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			kn_buf_putf(b, "\\x%02x", c);
		else
			kn_buf_putn(b, s, 1);
	}
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct srv *s = cls;
	struct req *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN] = "-", when[32];
	struct kn_buf line;
	struct tm tm;
	time_t now;

	if (r == NULL)
		return;
	conns_done(r->cn);
	signq_forget(r);
	if (s->access_log != NULL) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && ci->client_addr != NULL) {
			const struct sockaddr *sa = ci->client_addr;

			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)
				    (const void *)sa)->sin_addr, addr,
				    sizeof(addr));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct
				    sockaddr_in6 *)(const void *)sa)->sin6_addr,
				    addr, sizeof(addr));
		}
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		kn_buf_init(&line, 8192);
		log_escaped(&line, r->method);
		kn_buf_putn(&line, " ", 1);
		log_escaped(&line, r->url);
		/* One fprintf per line: stdio locks the stream per call. */
		fprintf(s->access_log, "%s - %s [%s] \"%s\" %u %zu "
		    "%.6f%s\n", addr, r->user[0] ? r->user : "-", when,
		    line.failed ? "-" : line.data, r->status, r->resp_len,
		    since(&r->start), toe == MHD_REQUEST_TERMINATED_COMPLETED_OK
		    ? "" : " aborted");
		kn_buf_cleanup(&line);
	}
	kn_buf_cleanup(&r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&inflight, 1);
}

/*
 * libmicrohttpd's messages.  Some come once per connection (one for each
 * connection refused over max_connections_per_ip): each message is
 * printed at most once every 10 s, with how many were left out.
 */
static void
on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		const char	*fmt;
		time_t		 last;
		unsigned long	 left_out;
	} seen[16];
	static size_t next;
	time_t now = time(NULL);
	unsigned long left_out = 0;
	size_t i;

	(void)cls;
	pthread_mutex_lock(&mu);
	for (i = 0; i < sizeof(seen) / sizeof(seen[0]) && seen[i].fmt != fmt;
	    i++)
		;
	if (i == sizeof(seen) / sizeof(seen[0])) {
		i = next++ % (sizeof(seen) / sizeof(seen[0]));
		seen[i].fmt = fmt;
		seen[i].last = 0;
		seen[i].left_out = 0;
	}
	if (seen[i].last != 0 && now - seen[i].last < 10) {
		seen[i].left_out++;
		pthread_mutex_unlock(&mu);
		return;
	}
	seen[i].last = now;
	left_out = seen[i].left_out;
	seen[i].left_out = 0;
	pthread_mutex_unlock(&mu);
	if (left_out > 0)
		fprintf(stderr, "kakuin serve: (%lu more like the next in "
		    "10 s)\n", left_out);
	fprintf(stderr, "kakuin serve: ");
	vfprintf(stderr, fmt, ap);
}

/* Connections the descriptor limit leaves room for: raises the soft limit
 * to the hard one when max_connections needs it, and caps the count
 * below what is left (accept() failing with EMFILE would make the
 * listening socket spin rather than refuse). */
static unsigned
connection_cap(int want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return (unsigned)want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >
		    need ? need : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		unsigned cap = rl.rlim_cur > 2 * FD_RESERVE ?
		    (unsigned)(rl.rlim_cur - FD_RESERVE) : FD_RESERVE;

		fprintf(stderr, "kakuin serve: max_connections = %d, but only "
		    "%llu open files are allowed (ulimit -n): keeping at most "
		    "%u connections\n", want, (unsigned long long)rl.rlim_cur,
		    cap);
		return cap;
	}
	return (unsigned)want;
}

static int
parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	long port;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "*") == 0 || host[0] == '\0')
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

/*
 * Signs CRLs before they go stale (S/MIME BR 4.9.7), once a minute, on
 * its own store connection.  Several servers may share a store: each
 * CRL number is taken under the CA row's lock, so they never collide.
 */
struct refresher {
	struct srv		*srv;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	bool			 stop;
};

/* Pre-signs OCSP answers: certificates with none, or one past half its
 * life, in batches for at most 20 s a minute. */
static void
presign_ocsp(struct kn_db *db, const struct kn_ca_env *env)
{
	struct timespec t0, t;
	int n, total = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (kn_ocsp_presign(db, env, 1000, &n) != 0) {
			fprintf(stderr, "kakuin serve: OCSP pre-signing: %s\n",
			    kn_err_get()->msg);
			break;
		}
		total += n;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (n == 1000 && t.tv_sec - t0.tv_sec < 20);
	if (total > 0)
		fprintf(stderr, "kakuin serve: pre-signed %d OCSP answer%s\n",
		    total, total == 1 ? "" : "s");
}

/* Keeps the mail-domain feed current once one was asked for, so that no
 * request waits for its signature: within a minute of a registry change,
 * or at half its life. */
static void
refresh_feed(struct kn_db *db, struct srv *s)
{
	struct kn_feed_info info;
	char until[21];
	int rc;

	if ((rc = kn_feed_refresh(s->feed, db, s->ca_env, &info)) ==
	    KN_ERR_NOTFOUND && info.serial == 0)
		return;
	if (rc != 0)
		fprintf(stderr, "kakuin serve: mail-domain feed: %s\n",
		    kn_err_msg(rc));
	else if (info.late[0] != '\0') {
		kn_time_rfc3339(until, info.next_update);
		fprintf(stderr, "kakuin serve: mail-domain feed %lld is served "
		    "until it expires at %s: a new one could not be signed: "
		    "%s\n", (long long)info.serial, until, info.late);
	}
	else if (info.made && info.skipped > 0)
		fprintf(stderr, "kakuin serve: signed mail-domain feed %lld; "
		    "%zu registry row%s left out: not valid in a feed\n",
		    (long long)info.serial, info.skipped, info.skipped == 1 ?
		    "" : "s");
	else if (info.made)
		fprintf(stderr, "kakuin serve: signed mail-domain feed %lld\n",
		    (long long)info.serial);
}

static void *
refresh_crls(void *arg)
{
	struct refresher *rf = arg;
	struct kn_db *db = NULL;
	struct timespec until;
	int n;

	pthread_mutex_lock(&rf->mu);
	while (!rf->stop) {
		pthread_mutex_unlock(&rf->mu);
		if (db == NULL || kn_db_broken(db)) {
			kn_db_close(db);
			db = NULL;
			if (kn_db_open(&db, rf->srv->cfg->store) != 0)
				db = NULL;
		}
		if (db != NULL && kn_crl_refresh(db, rf->srv->ca_env,
		    "kakuin serve", &n) != 0)
			fprintf(stderr, "kakuin serve: CRL refresh: %s\n",
			    kn_err_msg(kn_err_get()->code));
		else if (db != NULL && n > 0)
			fprintf(stderr, "kakuin serve: signed %d CRL%s\n", n,
			    n == 1 ? "" : "s");
		if (db != NULL && kn_ocsp_refresh(db, rf->srv->ca_env,
		    "kakuin serve") != 0)
			fprintf(stderr, "kakuin serve: OCSP responder "
			    "certificates: %s\n", kn_err_get()->msg);
		if (db != NULL)
			presign_ocsp(db, rf->srv->ca_env);
		if (db != NULL)
			refresh_feed(db, rf->srv);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 60;
		pthread_mutex_lock(&rf->mu);
		if (!rf->stop)
			pthread_cond_timedwait(&rf->cv, &rf->mu, &until);
	}
	pthread_mutex_unlock(&rf->mu);
	kn_db_close(db);
	return NULL;
}

int
server_run(struct kn_config *cfg, struct kn_ca_env *ca_env)
{
	struct refresher rf;
	pthread_t rf_thread;
	bool rf_started = false;
	struct srv s;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	sigset_t sigs;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned max;
	char safe[512];
	int sig = 0, ret = 1;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.ca_env = ca_env;
	s.workers = cfg->workers > 0 ? (unsigned)cfg->workers :
	    (unsigned)(ncpu > 0 ? ncpu : 1);
	if (parse_listen(cfg->listen, &sa) != 0) {
		fprintf(stderr, "kakuin serve: listen = %s: expected "
		    "ADDR:PORT, as 127.0.0.1:8080\n", cfg->listen);
		return 1;
	}
	if (cfg->access_log[0] == '\0')
		s.access_log = NULL;
	else if (strcmp(cfg->access_log, "-") == 0)
		s.access_log = stderr;
	else if ((s.access_log = fopen(cfg->access_log, "a")) == NULL) {
		fprintf(stderr, "kakuin serve: access log %s: %s\n",
		    cfg->access_log, strerror(errno));
		return 1;
	}
	if (s.access_log != NULL)
		setvbuf(s.access_log, NULL, _IOLBF, 0);
	if (pages_load_static(&s) != 0)
		goto out;
	{
		struct kn_tsa_conf tc;

		tc.ca = cfg->tsa_ca[0] != '\0' ? cfg->tsa_ca : NULL;
		tc.policy = cfg->tsa_policy;
		tc.policies = cfg->tsa_policies;
		tc.accuracy_ms = cfg->tsa_accuracy_ms;
		if (kn_tsa_new(&s.tsa, &tc) != 0) {
			fprintf(stderr, "kakuin serve: %s\n",
			    kn_err_get()->msg);
			goto out;
		}
	}
	{
		/* Each process compares its copy of the feed with the store
		 * every 5 s: a change made on another node shows that soon. */
		struct kn_feed_conf fc = { .ttl = cfg->feed_ttl,
		    .check_ms = 5000 };

		if (kn_feed_pub_new(&s.feed, &fc) != 0) {
			fprintf(stderr, "kakuin serve: %s\n",
			    kn_err_get()->msg);
			goto out;
		}
	}

	/* Signals are taken by sigwait() below, never by a worker. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	max = connection_cap(cfg->max_connections);
	if (conns_start(max, (unsigned)cfg->request_timeout, s.workers) !=
	    0) {
		fprintf(stderr, "kakuin serve: cannot start: %s\n",
		    strerror(errno));
		conns_stop();
		goto out;
	}
	if (signq_start((unsigned)cfg->sign_threads, (unsigned)cfg->sign_queue,
	    (unsigned)cfg->sign_wait_ms) != 0) {
		fprintf(stderr, "kakuin serve: cannot start signing threads: "
		    "%s\n", strerror(errno));
		conns_stop();
		goto out;
	}
	/*
	 * The connection cap is kept by conns_accept(), which closes a
	 * connection over it as soon as it is accepted.  libmicrohttpd's own
	 * cap is set out of reach: it splits it between the workers, and a
	 * worker at its share stops accepting, leaving new clients hanging
	 * in the listen queue instead of being told no.  Suspending lets a
	 * worker put a request aside while it waits for a signature.
	 */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME, 0,
	    conns_accept, NULL, on_request, &s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, s.workers,
	    MHD_OPTION_CONNECTION_LIMIT, (max + s.workers) * s.workers,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)cfg->max_connections_per_ip,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
	    MHD_OPTION_NOTIFY_CONNECTION, conns_notify, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		signq_stop();
		conns_stop();
		fprintf(stderr, "kakuin serve: cannot listen on %s (is "
		    "another server using the port?)\n", cfg->listen);
		goto out;
	}
	kn_db_redact(safe, sizeof(safe), cfg->store);
	fprintf(stderr, "kakuin serve: listening on http://%s (%u workers, "
	    "store %s)\n", cfg->listen, s.workers, safe);
	if (ca_env != NULL) {
		memset(&rf, 0, sizeof(rf));
		rf.srv = &s;
		pthread_mutex_init(&rf.mu, NULL);
		pthread_cond_init(&rf.cv, NULL);
		rf_started = pthread_create(&rf_thread, NULL, refresh_crls,
		    &rf) == 0;
	}
	while (sigwait(&sigs, &sig) == 0) {
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	fprintf(stderr, "kakuin serve: %s received, finishing requests in "
	    "flight\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	/* Stop accepting, let begun requests finish (bounded), then close
	 * what is left, idle keep-alive connections included. */
	(void)MHD_quiesce_daemon(d);
	for (int i = 0; i < DRAIN_SECONDS * 100 &&
	    atomic_load(&inflight) > 0; i++)
		usleep(10000);
	if (atomic_load(&inflight) > 0)
		fprintf(stderr, "kakuin serve: %d requests still running after "
		    "%d s; closing them\n", atomic_load(&inflight),
		    DRAIN_SECONDS);
	/* Requests still waiting for a signature are told to try later;
	 * libmicrohttpd must find none suspended when it stops. */
	signq_stop();
	MHD_stop_daemon(d);
	conns_stop();
	if (rf_started) {
		pthread_mutex_lock(&rf.mu);
		rf.stop = true;
		pthread_cond_signal(&rf.cv);
		pthread_mutex_unlock(&rf.mu);
		pthread_join(rf_thread, NULL);
	}
	srv_db_close_all();
	fprintf(stderr, "kakuin serve: stopped\n");
	ret = 0;
out:
	kn_feed_pub_free(s.feed);
	kn_tsa_free(s.tsa);
	pages_free_static(&s);
	if (s.access_log != NULL && s.access_log != stderr)
		fclose(s.access_log);
	return ret;
}
