/*
 * signq.h - answers that need a fresh signature (OCSP with a nonce,
 * time-stamps) are made by a few signing threads fed by a bounded queue,
 * so that no HTTP worker ever waits on a key.
 *
 * A request whose answer must be signed is suspended (libmicrohttpd keeps
 * its connection aside), queued, signed on a signing thread, and resumed;
 * the worker that picks it up again sends the answer.  When the queue is
 * full, or the request waited longer than sign_wait_ms, it gets its kind's
 * overload answer at once instead (OCSP tryLater, RFC 6960 section 2.3; a
 * TSA rejection with systemFailure, RFC 3161 section 2.4.2): a client told
 * to try later can go to another responder, one left waiting cannot.
 */
#ifndef KN_SERVER_SIGNQ_H
#define KN_SERVER_SIGNQ_H

#include <stdbool.h>
#include <stddef.h>

#include "server/http.h"

/* An answer made off the HTTP workers. */
struct sq_reply {
	unsigned	 status;	/* HTTP status */
	const char	*ctype;		/* Content-Type (static) */
	unsigned char	*data;		/* malloc'd; sending takes it */
	size_t		 len;
	bool		 overloaded;	/* the overload answer */
};

/* A kind of work (the OCSP one is in api_certs.c). */
struct sq_kind {
	const char	*name;		/* "OCSP", in log lines */
	/* On a signing thread: makes r's answer; srv_db(r) is that
	 * thread's own store connection.  0, or <0 to answer 500. */
	int		(*sign)(struct req *r, void *arg, struct sq_reply *out);
	/* On any thread, fast, without the store or a key: the answer
	 * under overload.  0, or <0 to answer 500. */
	int		(*overload)(struct req *r, void *arg,
			    struct sq_reply *out);
	/* On the HTTP worker: queues out as r's reply, taking out->data.
	 * NULL: reply() as it is, with Cache-Control: no-store when
	 * overloaded. */
	MHD_RESULT	(*send)(struct req *r, void *arg, struct sq_reply *out);
	/* Frees arg (NULL: nothing to free). */
	void		(*free_arg)(void *arg);
};

/* Starts threads signing threads (0: one per core) for a queue of max
 * requests, each waiting at most wait_ms.  Returns 0, or -1 with
 * errno. */
int		 signq_start(unsigned threads, unsigned max, unsigned wait_ms);
/* Answers what is still queued with its overload answer, lets the
 * signing threads finish what they hold, and stops them.  Call it once
 * no new request can arrive, before libmicrohttpd stops (which must find
 * no connection suspended). */
void		 signq_stop(void);
/* Queues the making of r's answer, with arg (taken, also on failure):
 * suspends r and returns MHD_YES, or answers at once with the overload
 * answer when the queue is full or stopped. */
MHD_RESULT	 signq_submit(struct req *r, const struct sq_kind *kind,
		    void *arg);
/* In the access handler: true when r came back from the queue, with its
 * answer queued in *res. */
bool		 signq_resumed(struct req *r, MHD_RESULT *res);
/* When r completes: frees what it still holds of the queue. */
void		 signq_forget(struct req *r);

#endif
