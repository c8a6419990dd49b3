/*
 * cli.h - what every CLI noun shares: the data directory, the store, the
 * acting officer, error reporting and --json output.
 */
#ifndef KN_CLI_H
#define KN_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "auth/auth.h"
#include "ca/ca.h"
#include "config/config.h"

struct kn_db;
struct kn_keystore;

struct cli {
	const char	*prog;
	const char	*datadir;
	const char	*as;		/* --as OFFICER, or NULL */
	bool		 no_officer;	/* act as the local user (init) */
	/* With --as / KAKUIN_OFFICER: that officer, whose organization
	 * binding (local RA) every CA action respects; NULL otherwise. */
	struct kn_principal *officer;
	struct kn_principal officer_buf;
	bool		 registry_write; /* set by org verbs that change it */
	struct kn_config cfg;
	struct kn_db	*db;
	char		 actor[96];
	struct kn_keystore *ks;		/* opened by cli_ca() */
	struct kn_ca_env env;		/* filled by cli_ca() */
	char		 key_dir[4096];
};

/* Exit statuses: 0 done/good, 1 failed/not good, 2 could not process. */
#define EXIT_BAD 1
#define EXIT_USAGE 2

/* Loads the configuration, opens and migrates the store, and settles who
 * acts.  Prints the problem and returns nonzero on failure. */
int	cli_open(struct cli *c);
void	cli_close(struct cli *c);
/* After cli_open(): opens the keystore and fills c->env for CA work. */
int	cli_ca(struct cli *c);
/* Fills env from a loaded configuration and an open keystore (the server
 * does the same). */
int	cli_fill_env(struct kn_ca_env *env, const struct kn_config *cfg,
	    struct kn_keystore *ks, char *key_dir, size_t key_dir_len);
/* Prints "kakuin: <what>: <detail>" (just the detail when what is NULL)
 * for an error code and returns 1. */
int	cli_fail(struct cli *c, int rc, const char *what);
/* Prints a usage line to stderr and returns EXIT_USAGE. */
int	cli_usage(const char *usage);
/* Prints JSON (steals the reference) to stdout with a newline. */
int	cli_print_json(json_t *j);
/* A JSON error object on stdout for --json callers, then cli_fail(). */
int	cli_fail_json(struct cli *c, int rc, const char *what);
/* Reads a whole file ("-": standard input) of at most max bytes into
 * *out (malloc'd, NUL-terminated after len bytes).  0, or KN_ERR_IO /
 * KN_ERR_TOOBIG / KN_ERR_NOMEM with a detail naming the file. */
int	cli_read_file(const char *path, size_t max, char **out, size_t *len);
/* Reads a secret from environment variable var, or prompts on the
 * terminal without echo.  Returns a malloc'd string or NULL. */
char	*cli_secret(const char *var, const char *prompt);

int	cmd_init(struct cli *c, int argc, char **argv);
int	cmd_serve(struct cli *c, int argc, char **argv);
int	cmd_org(struct cli *c, int argc, char **argv);
int	cmd_user(struct cli *c, int argc, char **argv);
int	cmd_audit(struct cli *c, int argc, char **argv);
int	cmd_ca(struct cli *c, int argc, char **argv);
int	cmd_cert(struct cli *c, int argc, char **argv);
int	cmd_crl(struct cli *c, int argc, char **argv);
int	cmd_ts(struct cli *c, int argc, char **argv);
int	cmd_mail(struct cli *c, int argc, char **argv);
int	cmd_feed(struct cli *c, int argc, char **argv);
/* kakuin cert lint FILE (cert_lint.c). */
int	cert_lint(struct cli *c, int argc, char **argv);

#endif
