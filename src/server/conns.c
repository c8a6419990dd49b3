/* conns.c - the connection cap and the request deadline (see conns.h). */
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/tcp.h>		/* struct tcp_info with tcpi_bytes_received */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/conns.h"

#define TICK_MS		250	/* how often the reaper looks */
#define LOG_EVERY_S	10	/* at most one report line this often */

enum {
	PH_WAITING,		/* for a request (or its first bytes) */
	PH_READING,		/* its body: the header has arrived */
	PH_ANSWERING,		/* all of it arrived; no deadline */
};

struct shard;

struct conn {
	struct conn	*prev, *next;
	struct shard	*shard;
	int		 fd;
	int64_t		 opened;	/* ms, monotonic */
	atomic_int	 phase;
	atomic_uint	 served;	/* requests completed on it */
	atomic_llong	 began;		/* ms: its header arrived */
	/* Only the reaper reads and writes these. */
	unsigned	 seen;		/* served, when it last looked */
	uint64_t	 mark;		/* bytes received when it first looked
					   at a kept-alive connection */
	bool		 marked;
	int64_t		 first;		/* ms: the request's first byte was
					   noticed; 0 not yet */
	bool		 cut;
};

/* One list per worker thread: they add and remove connections without
 * waiting on each other, and the reaper takes one list at a time. */
struct shard {
	pthread_mutex_t	 mu;
	struct conn	*head;
};

static struct {
	struct shard	*shards;
	unsigned	 nshards;
	atomic_uint	 next;
	atomic_int	 open;
	int		 max;
	int64_t		 deadline;	/* ms */
	unsigned	 timeout;	/* s, for the log */
	atomic_ulong	 refused;
	unsigned long	 cut;
	pthread_t	 reaper;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 stop;
	bool		 running;
} g = { .mu = PTHREAD_MUTEX_INITIALIZER };

static _Thread_local struct shard *my_shard;

MHD_RESULT
conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)cls;
	(void)addr;
	(void)addrlen;
	/* Workers accepting at the same moment may each pass: the cap can
	 * be exceeded by at most one connection per worker. */
	if (atomic_load_explicit(&g.open, memory_order_relaxed) >= g.max) {
		atomic_fetch_add_explicit(&g.refused, 1, memory_order_relaxed);
		return MHD_NO;
	}
	return MHD_YES;
}

void
conns_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *c;
	struct shard *sh;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&g.open, 1);
		if (g.shards == NULL || (ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_CONNECTION_FD)) == NULL ||
		    (c = calloc(1, sizeof(*c))) == NULL)
			return;	/* counted, but without a deadline */
		if ((sh = my_shard) == NULL)
			sh = my_shard = &g.shards[atomic_fetch_add(&g.next, 1) %
			    g.nshards];
		c->shard = sh;
		c->fd = ci->connect_fd;
		c->opened = srv_now_ms();
		atomic_init(&c->phase, PH_WAITING);
		atomic_init(&c->served, 0);
		atomic_init(&c->began, 0);
		pthread_mutex_lock(&sh->mu);
		c->next = sh->head;
		if (sh->head != NULL)
			sh->head->prev = c;
		sh->head = c;
		pthread_mutex_unlock(&sh->mu);
		*socket_context = c;
		return;
	}
	/* Closed: libmicrohttpd closes the socket after this returns, so
	 * the reaper (which holds the list's lock while it shuts a socket
	 * down) never touches a descriptor that was reused. */
	atomic_fetch_sub(&g.open, 1);
	if ((c = *socket_context) == NULL)
		return;
	sh = c->shard;
	pthread_mutex_lock(&sh->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		sh->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&sh->mu);
	free(c);
	*socket_context = NULL;
}

struct conn *
conns_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
conns_reading(struct conn *c, const struct timespec *start)
{
	if (c == NULL)
		return;
	atomic_store_explicit(&c->began, (int64_t)start->tv_sec * 1000 +
	    start->tv_nsec / 1000000, memory_order_relaxed);
	atomic_store_explicit(&c->phase, PH_READING, memory_order_release);
}

void
conns_answering(struct conn *c)
{
	if (c != NULL)
		atomic_store_explicit(&c->phase, PH_ANSWERING,
		    memory_order_release);
}

void
conns_done(struct conn *c)
{
	if (c == NULL)
		return;
	atomic_fetch_add_explicit(&c->served, 1, memory_order_relaxed);
	atomic_store_explicit(&c->phase, PH_WAITING, memory_order_release);
}

int
conns_open(void)
{
	return atomic_load(&g.open);
}

/* Bytes the kernel has received on fd so far. */
static bool
bytes_received(int fd, uint64_t *n)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) +
	    sizeof(ti.tcpi_bytes_received))
		return false;
	*n = ti.tcpi_bytes_received;
	return true;
}

/*
 * Whether c has spent longer than the deadline on one request.  The clock
 * of a request starts when the connection opens (its first request), else
 * when the first byte of the next request is noticed on a kept-alive
 * connection (waiting idle for it is the idle timeout's business), and
 * stops when all of it has arrived.
 */
static bool
overdue(struct conn *c, int64_t now)
{
	unsigned served = atomic_load_explicit(&c->served,
	    memory_order_relaxed);
	int phase = atomic_load_explicit(&c->phase, memory_order_acquire);
	uint64_t n;

	if (served != c->seen) {
		c->seen = served;
		c->marked = false;
		c->first = 0;
	}
	if (phase == PH_ANSWERING)
		return false;
	if (c->first == 0) {
		if (served == 0)
			c->first = c->opened;
		else if (phase == PH_READING)
			c->first = atomic_load_explicit(&c->began,
			    memory_order_relaxed);
		else if (bytes_received(c->fd, &n)) {
			if (!c->marked) {
				c->mark = n;
				c->marked = true;
			} else if (n != c->mark)
				c->first = now;
		}
	}
	return c->first != 0 && now - c->first > g.deadline;
}

static void
sweep(void)
{
	int64_t now = srv_now_ms();
	struct conn *c;
	unsigned i;

	for (i = 0; i < g.nshards; i++) {
		pthread_mutex_lock(&g.shards[i].mu);
		for (c = g.shards[i].head; c != NULL; c = c->next) {
			if (c->cut || !overdue(c, now))
				continue;
			/* libmicrohttpd sees the end of the stream and
			 * closes the connection itself. */
			(void)shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
			g.cut++;
		}
		pthread_mutex_unlock(&g.shards[i].mu);
	}
}

static void *
reaper(void *arg)
{
	struct timespec until;
	/* The first refusal or cut is reported at once, later ones
	 * together at most every LOG_EVERY_S seconds. */
	int64_t last_log = srv_now_ms() - LOG_EVERY_S * 1000;
	unsigned long refused;

	(void)arg;
	pthread_mutex_lock(&g.mu);
	while (!g.stop) {
		pthread_mutex_unlock(&g.mu);
		sweep();
		if (srv_now_ms() - last_log >= LOG_EVERY_S * 1000 &&
		    (g.cut > 0 || atomic_load(&g.refused) > 0)) {
			refused = atomic_exchange(&g.refused, 0);
			if (refused > 0)
				fprintf(stderr, "kakuin serve: refused %lu "
				    "connection%s over max_connections (%d)\n",
				    refused, refused == 1 ? "" : "s", g.max);
			if (g.cut > 0)
				fprintf(stderr, "kakuin serve: closed %lu "
				    "connection%s that sent no whole request "
				    "within request_timeout (%u s)\n", g.cut,
				    g.cut == 1 ? "" : "s", g.timeout);
			g.cut = 0;
			last_log = srv_now_ms();
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&g.mu);
		if (!g.stop)
			pthread_cond_timedwait(&g.cv, &g.mu, &until);
	}
	pthread_mutex_unlock(&g.mu);
	return NULL;
}

int
conns_start(unsigned max, unsigned request_timeout, unsigned shards)
{
	pthread_condattr_t ca;
	unsigned i;
	int e;

	if (shards == 0)
		shards = 1;
	if ((g.shards = calloc(shards, sizeof(*g.shards))) == NULL)
		return -1;
	for (i = 0; i < shards; i++)
		pthread_mutex_init(&g.shards[i].mu, NULL);
	g.nshards = shards;
	g.max = (int)max;
	g.timeout = request_timeout;
	g.deadline = (int64_t)request_timeout * 1000;
	g.stop = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g.cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((e = pthread_create(&g.reaper, NULL, reaper, NULL)) != 0) {
		errno = e;
		return -1;
	}
	g.running = true;
	return 0;
}

void
conns_stop(void)
{
	struct conn *c, *next;
	unsigned i;

	if (g.running) {
		pthread_mutex_lock(&g.mu);
		g.stop = true;
		pthread_cond_signal(&g.cv);
		pthread_mutex_unlock(&g.mu);
		pthread_join(g.reaper, NULL);
		g.running = false;
	}
	for (i = 0; i < g.nshards; i++) {
		for (c = g.shards[i].head; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
		pthread_mutex_destroy(&g.shards[i].mu);
	}
	free(g.shards);
	g.shards = NULL;
	g.nshards = 0;
}
