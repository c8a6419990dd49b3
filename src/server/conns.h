/*
 * conns.h - the server's open connections: the cap on how many, and the
 * deadline for sending one whole request that a client trickling bytes
 * cannot push back (slowloris).
 *
 * libmicrohttpd's own timeout is an idle timeout: every byte a client sends
 * starts it again, so one byte every few seconds holds a connection for
 * ever.  Here a reaper thread looks at every connection a few times a
 * second and shuts down the socket of one whose request began more than
 * request_timeout seconds ago and has not fully arrived; libmicrohttpd
 * then closes it as it would any connection its client dropped.
 */
#ifndef KN_SERVER_CONNS_H
#define KN_SERVER_CONNS_H

#include <sys/socket.h>

#include <stdbool.h>

#include "server/http.h"

struct conn;

/* Starts the reaper.  max: connections kept at once (more are closed as
 * soon as they are accepted); request_timeout in seconds; shards: the
 * worker threads (each its own list, so they rarely wait on each other).
 * Returns 0, or -1 with errno. */
int		 conns_start(unsigned max, unsigned request_timeout,
		    unsigned shards);
/* Stops the reaper and frees what is left; after the daemon stopped. */
void		 conns_stop(void);

/* libmicrohttpd's accept policy (MHD_AcceptPolicyCallback). */
MHD_RESULT	 conns_accept(void *cls, const struct sockaddr *addr,
		    socklen_t addrlen);
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION callback. */
void		 conns_notify(void *cls, struct MHD_Connection *mc,
		    void **socket_context,
		    enum MHD_ConnectionNotificationCode code);

/* The phases of a request, from the access handler: its header has
 * arrived (it is reading the body); all of it has arrived (it is being
 * answered: no deadline any more); it is over (on_completed). */
struct conn	*conns_of(struct MHD_Connection *mc);
void		 conns_reading(struct conn *c, const struct timespec *start);
void		 conns_answering(struct conn *c);
void		 conns_done(struct conn *c);

/* Connections now open. */
int		 conns_open(void);

#endif
