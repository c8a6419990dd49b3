/* server.h - kakuin serve. */
#ifndef KN_SERVER_SERVER_H
#define KN_SERVER_SERVER_H

#include "config/config.h"

struct kn_ca_env;

/* Serves until SIGTERM or SIGINT; returns a process exit status.  ca_env
 * may be NULL when the CA's keys are not available (the registry is
 * served all the same). */
int	server_run(struct kn_config *cfg, struct kn_ca_env *ca_env);

#endif
