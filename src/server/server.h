/* server.h - kakuin serve. */
#ifndef KN_SERVER_SERVER_H
#define KN_SERVER_SERVER_H

#include "config/config.h"

/* Serves until SIGTERM or SIGINT; returns a process exit status. */
int	server_run(struct kn_config *cfg);

#endif
