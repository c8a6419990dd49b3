/* signq.c - the signing queue (see signq.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "server/signq.h"

#define LOG_EVERY_S	10	/* at most one overload report this often */
#define MAX_THREADS	256

struct sq_job {
	struct req		*r;
	const struct sq_kind	*kind;
	void			*arg;
	struct sq_reply		 out;
	int64_t			 queued;	/* ms, monotonic */
	int			 rc;		/* of sign or overload */
	atomic_bool		 done;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job was queued; stop */
	pthread_cond_t	 tick;		/* wakes the watcher: a new oldest
					   job; stop */
	struct sq_job	**ring;
	size_t		 cap, head, n;
	int64_t		 wait;		/* ms */
	bool		 stop;
	bool		 started;
	pthread_t	 threads[MAX_THREADS];
	unsigned	 nthreads;
	pthread_t	 watcher;
	bool		 watching;
	atomic_ulong	 full;		/* overload answers: queue full */
	atomic_ulong	 late;		/* overload answers: waited too long */
} q = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* Called with q.mu held. */
static struct sq_job *
pop(void)
{
	struct sq_job *job = q.ring[q.head];

	q.ring[q.head] = NULL;
	q.head = (q.head + 1) % q.cap;
	q.n--;
	return job;
}

/* The job's answer is made: hand the request back to its worker. */
static void
finish(struct sq_job *job)
{
	atomic_store_explicit(&job->done, true, memory_order_release);
	MHD_resume_connection(job->r->conn);
}

static void
overload(struct sq_job *job)
{
	job->rc = job->kind->overload(job->r, job->arg, &job->out);
	job->out.overloaded = true;
}

static void *
signer(void *arg)
{
	struct sq_job *job;

	(void)arg;
	pthread_mutex_lock(&q.mu);
	for (;;) {
		while (!q.stop && q.n == 0)
			pthread_cond_wait(&q.work, &q.mu);
		if (q.n == 0)
			break;
		job = pop();
		pthread_mutex_unlock(&q.mu);
		if (srv_now_ms() - job->queued > q.wait) {
			atomic_fetch_add(&q.late, 1);
			overload(job);
		} else {
			kn_err_clear();
			job->rc = job->kind->sign(job->r, job->arg, &job->out);
		}
		finish(job);
		pthread_mutex_lock(&q.mu);
	}
	pthread_mutex_unlock(&q.mu);
	return NULL;
}

/* Answers requests that waited too long even while every signing thread
 * is stuck on its key, and says now and then how many were turned
 * away. */
static void *
watcher(void *arg)
{
	struct timespec ts;
	/* The first overload is reported at once, later ones together at
	 * most every LOG_EVERY_S seconds. */
	int64_t now, until, last_log = srv_now_ms() - LOG_EVERY_S * 1000;
	unsigned long full, late;

	(void)arg;
	pthread_mutex_lock(&q.mu);
	while (!q.stop) {
		now = srv_now_ms();
		while (q.n > 0 && now - q.ring[q.head]->queued > q.wait) {
			struct sq_job *job = pop();

			atomic_fetch_add(&q.late, 1);
			overload(job);
			finish(job);
		}
		if (now - last_log >= LOG_EVERY_S * 1000 &&
		    atomic_load(&q.full) + atomic_load(&q.late) > 0) {
			full = atomic_exchange(&q.full, 0);
			late = atomic_exchange(&q.late, 0);
			fprintf(stderr, "kakuin serve: overloaded: told %lu "
			    "request%s to try later (%lu with the signing "
			    "queue full, %lu after waiting over %lld ms)\n",
			    full + late, full + late == 1 ? "" : "s", full,
			    late, (long long)q.wait);
			last_log = now;
		}
		/* Until the oldest job is due, a report, or a second. */
		until = q.n > 0 ? q.ring[q.head]->queued + q.wait + 1 :
		    now + 1000;
		if (atomic_load(&q.full) + atomic_load(&q.late) > 0 &&
		    last_log + LOG_EVERY_S * 1000 < until)
			until = last_log + LOG_EVERY_S * 1000;
		ts.tv_sec = until / 1000;
		ts.tv_nsec = (until % 1000) * 1000000L;
		pthread_cond_timedwait(&q.tick, &q.mu, &ts);
	}
	pthread_mutex_unlock(&q.mu);
	return NULL;
}

int
signq_start(unsigned threads, unsigned max, unsigned wait_ms)
{
	pthread_condattr_t ca;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned i;
	int e;

	if (threads == 0)
		threads = ncpu > 0 ? (unsigned)ncpu : 1;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if (max == 0)
		max = 1;
	if ((q.ring = calloc(max, sizeof(*q.ring))) == NULL)
		return -1;
	q.cap = max;
	q.head = q.n = 0;
	q.wait = wait_ms;
	q.stop = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q.work, NULL);
	pthread_cond_init(&q.tick, &ca);
	pthread_condattr_destroy(&ca);
	for (i = 0; i < threads; i++) {
		if ((e = pthread_create(&q.threads[i], NULL, signer,
		    NULL)) != 0)
			goto fail;
		q.nthreads++;
	}
	if ((e = pthread_create(&q.watcher, NULL, watcher, NULL)) != 0)
		goto fail;
	q.watching = true;
	q.started = true;
	return 0;
fail:
	signq_stop();
	errno = e;
	return -1;
}

void
signq_stop(void)
{
	unsigned i;

	pthread_mutex_lock(&q.mu);
	q.stop = true;
	while (q.n > 0) {
		struct sq_job *job = pop();

		overload(job);
		finish(job);
	}
	pthread_cond_broadcast(&q.work);
	pthread_cond_broadcast(&q.tick);
	pthread_mutex_unlock(&q.mu);
	for (i = 0; i < q.nthreads; i++)
		pthread_join(q.threads[i], NULL);
	q.nthreads = 0;
	if (q.watching)
		pthread_join(q.watcher, NULL);
	q.watching = false;
	q.started = false;
	free(q.ring);
	q.ring = NULL;
	q.cap = 0;
}

MHD_RESULT
signq_submit(struct req *r, const struct sq_kind *kind, void *arg)
{
	struct sq_job *job;
	MHD_RESULT res;

	if ((job = calloc(1, sizeof(*job))) == NULL) {
		if (kind->free_arg != NULL)
			kind->free_arg(arg);
		return MHD_NO;
	}
	job->r = r;
	job->kind = kind;
	job->arg = arg;
	job->queued = srv_now_ms();
	r->job = job;
	pthread_mutex_lock(&q.mu);
	if (q.started && !q.stop && q.n < q.cap) {
		/* Suspended before it is queued: a signing thread may
		 * resume it at once. */
		MHD_suspend_connection(r->conn);
		if (q.n == 0)
			pthread_cond_signal(&q.tick);	/* the new oldest */
		q.ring[(q.head + q.n++) % q.cap] = job;
		pthread_cond_signal(&q.work);
		pthread_mutex_unlock(&q.mu);
		return MHD_YES;
	}
	pthread_mutex_unlock(&q.mu);
	atomic_fetch_add(&q.full, 1);
	overload(job);
	atomic_store(&job->done, true);
	(void)signq_resumed(r, &res);
	return res;
}

static void
release(struct sq_job *job)
{
	free(job->out.data);
	if (job->kind->free_arg != NULL)
		job->kind->free_arg(job->arg);
	free(job);
}

bool
signq_resumed(struct req *r, MHD_RESULT *res)
{
	static const char *const no_store[] = { "Cache-Control", "no-store",
	    NULL };
	struct sq_job *job = r->job;
	struct sq_reply out;

	if (job == NULL ||
	    !atomic_load_explicit(&job->done, memory_order_acquire))
		return false;
	out = job->out;
	job->out.data = NULL;
	if (job->rc != 0) {
		free(out.data);
		fprintf(stderr, "kakuin serve: %s %s: %s answer: %s\n",
		    r->method, r->url, job->kind->name, kn_err_msg(job->rc));
		*res = reply_errorf(r, 500, "internal", NULL, "internal "
		    "error; the operator's log has the details");
	} else if (job->kind->send != NULL) {
		*res = job->kind->send(r, job->arg, &out);
	} else {
		*res = reply_headers(r, out.status, out.ctype, out.data,
		    out.len, true, out.overloaded ? no_store : NULL);
	}
	r->job = NULL;
	release(job);
	return true;
}

void
signq_forget(struct req *r)
{
	struct sq_job *job = r->job;

	/* Only an answered job can be left behind: a queued one keeps its
	 * connection suspended, and nothing closes a suspended one. */
	if (job != NULL &&
	    atomic_load_explicit(&job->done, memory_order_acquire)) {
		release(job);
		r->job = NULL;
	}
}
