/* serve.c - kakuin serve [--listen ADDR:PORT] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kakuin/cli.h"
#include "server/server.h"
#include "ca/ca.h"
#include "store/db.h"

int
cmd_serve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "access-log", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *alog = NULL;
	struct kn_db *db = NULL;
	char *dup;
	int ch, ret, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'l')
			listen = optarg;
		else if (ch == 'a')
			alog = optarg;
		else
			return cli_usage("serve [--listen ADDR:PORT] "
			    "[--access-log FILE|-|'']");
	}
	if (optind != argc)
		return cli_usage("serve [--listen ADDR:PORT]");
	/* Migrate once here; workers open their own connections. */
	if (cli_open(c) != 0)
		return EXIT_BAD;
	kn_db_close(c->db);
	c->db = NULL;
	if (listen != NULL && (dup = strdup(listen)) != NULL) {
		free(c->cfg.listen);
		c->cfg.listen = dup;
	}
	if (alog != NULL && (dup = strdup(alog)) != NULL) {
		free(c->cfg.access_log);
		c->cfg.access_log = dup;
	}
	/* The CA's keys: without them the registry is served anyway, and
	 * CA requests are answered 503. */
	if (cli_ca(c) != 0) {
		fprintf(stderr, "kakuin serve: the CA is unavailable; serving "
		    "the registry only\n");
		ret = server_run(&c->cfg, NULL);
	} else if ((db = NULL, kn_db_open(&db, c->cfg.store)) != 0 ||
	    (rc = kn_ca_check_keys(db, &c->env)) != 0) {
		/* Say it now, not at the first approval. */
		fprintf(stderr, "kakuin serve: the CA is unavailable (%s); "
		    "serving the registry only\n", kn_err_msg(kn_err_get()->code));
		kn_db_close(db);
		ret = server_run(&c->cfg, NULL);
	} else {
		kn_db_close(db);
		ret = server_run(&c->cfg, &c->env);
	}
	cli_close(c);
	return ret;
}
