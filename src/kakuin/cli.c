/* cli.c - shared CLI plumbing. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/key.h"
#include "kakuin/cli.h"
#include "store/db.h"

int
cli_usage(const char *u)
{
	fprintf(stderr, "usage: kakuin %s\n", u);
	return EXIT_USAGE;
}

int
cli_fail(struct cli *c, int rc, const char *what)
{
	const struct kn_error *e = kn_err_get();

	(void)c;
	if (what == NULL)
		fprintf(stderr, "kakuin: %s\n", kn_err_msg(rc));
	else if (e->code == rc && e->msg[0] != '\0')
		fprintf(stderr, "kakuin: %s: %s\n", what, e->msg);
	else
		fprintf(stderr, "kakuin: %s: %s\n", what, kn_strerror(rc));
	return EXIT_BAD;
}

int
cli_fail_json(struct cli *c, int rc, const char *what)
{
	const struct kn_error *e = kn_err_get();
	json_t *j = json_object(), *err = json_object();

	json_object_set_new(err, "code", json_string(kn_errtoken(rc)));
	if (e->code == rc && e->field[0] != '\0')
		json_object_set_new(err, "field", json_string(e->field));
	json_object_set_new(err, "message", json_string(kn_err_msg(rc)));
	json_object_set_new(j, "error", err);
	cli_print_json(j);
	return cli_fail(c, rc, what);
}

int
cli_print_json(json_t *j)
{
	if (j == NULL) {
		fprintf(stderr, "kakuin: out of memory\n");
		return EXIT_BAD;
	}
	if (json_dumpf(j, stdout, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER) != 0) {
		json_decref(j);
		return EXIT_BAD;
	}
	putchar('\n');
	json_decref(j);
	return 0;
}

static int
settle_actor(struct cli *c)
{
	struct kn_stmt *st;
	struct passwd *pw;
	const char *who = c->as ? c->as : getenv("KAKUIN_OFFICER");
	int rc;

	if (c->no_officer || who == NULL || *who == '\0') {
		/* Whoever can write the data directory acts as its owner. */
		pw = getpwuid(getuid());
		snprintf(c->actor, sizeof(c->actor), "local:%s",
		    pw ? pw->pw_name : "unknown");
		return 0;
	}
	if ((rc = kn_db_stmt(c->db, &st, "SELECT id, name, role, "
	    "COALESCE(org_number, 0) FROM users WHERE name = ? AND "
	    "disabled_at IS NULL")) != 0)
		return cli_fail(c, rc, "officer");
	if ((rc = kn_stmt_bind_text(st, 1, who)) == 0 &&
	    (rc = kn_stmt_step(st)) == KN_ROW) {
		memset(&c->officer_buf, 0, sizeof(c->officer_buf));
		c->officer_buf.id = kn_stmt_int64(st, 0);
		snprintf(c->officer_buf.name, sizeof(c->officer_buf.name),
		    "%s", kn_stmt_text(st, 1));
		snprintf(c->officer_buf.role, sizeof(c->officer_buf.role),
		    "%s", kn_stmt_text(st, 2));
		c->officer_buf.org_number = kn_stmt_int64(st, 3);
		c->officer = &c->officer_buf;
	}
	kn_stmt_done(st);
	if (rc != KN_ROW) {
		fprintf(stderr, "kakuin: officer %s is not an active user "
		    "(kakuin user list)\n", who);
		return EXIT_BAD;
	}
	snprintf(c->actor, sizeof(c->actor), "user:%s", who);
	/* The registry is the RA's: a local RA officer changes nothing in
	 * it (as over the API). */
	if (c->registry_write && c->officer != NULL &&
	    c->officer->org_number != 0) {
		fprintf(stderr, "kakuin: %s is a local RA officer: registry "
		    "changes need an RA officer of the trust center\n", who);
		return EXIT_BAD;
	}
	return 0;
}

int
cli_open(struct cli *c)
{
	int rc;

	if ((rc = kn_config_load(&c->cfg, c->datadir, false)) != 0)
		return cli_fail(c, rc, "configuration");
	if ((rc = kn_db_open(&c->db, c->cfg.store)) != 0)
		return cli_fail(c, rc, "store");
	if ((rc = kn_db_migrate(c->db, NULL)) != 0)
		return cli_fail(c, rc, "store migration");
	return settle_actor(c);
}

void
cli_close(struct cli *c)
{
	kn_db_close(c->db);
	c->db = NULL;
	kn_keystore_free(c->ks);
	c->ks = NULL;
	kn_config_cleanup(&c->cfg);
}

int
cli_fill_env(struct kn_ca_env *env, const struct kn_config *cfg,
    struct kn_keystore *ks, char *key_dir, size_t key_dir_len)
{
	int rc;

	memset(env, 0, sizeof(*env));
	env->ks = ks;
	env->base_url = cfg->base_url;
	env->operator_name = cfg->operator_name;
	env->key_kind = cfg->ca_keys;
	snprintf(key_dir, key_dir_len, "%s/keys", cfg->datadir);
	env->key_dir = key_dir;
	env->crl_days = cfg->crl_days;
	env->shard_size = cfg->crl_shard_size;
	if ((rc = kn_keyalg_parse(&env->key_alg, cfg->ca_key_alg)) != 0)
		return rc;
	return 0;
}

int
cli_ca(struct cli *c)
{
	struct kn_keystore_config kc;
	int rc;

	memset(&kc, 0, sizeof(kc));
	kc.module = c->cfg.pkcs11_module;
	kc.token = c->cfg.pkcs11_token;
	kc.pin = c->cfg.pkcs11_pin;
	kc.passphrase = c->cfg.key_passphrase;
	kc.softhsm_conf = c->cfg.softhsm_conf[0] ? c->cfg.softhsm_conf :
	    NULL;
	if ((rc = kn_keystore_new(&c->ks, &kc)) != 0)
		return cli_fail(c, rc, "keys");
	if ((rc = cli_fill_env(&c->env, &c->cfg, c->ks, c->key_dir,
	    sizeof(c->key_dir))) != 0)
		return cli_fail(c, rc, "configuration");
	return 0;
}

int
cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct kn_buf b;
	FILE *f = stdin;
	char chunk[65536];
	size_t n;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") != 0 && (f = fopen(path, "rb")) == NULL)
		return kn_err_set(KN_ERR_IO, "file", "cannot read %s: %s",
		    path, strerror(errno));
	kn_buf_init(&b, max);
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (kn_buf_add(&b, chunk, n) != 0)
			rc = kn_err_set(KN_ERR_TOOBIG, "file", "%s is larger "
			    "than %zu bytes", path, max);
	}
	if (rc == 0 && ferror(f))
		rc = kn_err_set(KN_ERR_IO, "file", "cannot read %s", path);
	if (f != stdin)
		fclose(f);
	/* An empty file is an empty string, not NULL. */
	if (rc == 0 && b.data == NULL && kn_buf_add(&b, "", 0) != 0)
		rc = KN_ERR_NOMEM;
	if (rc == 0 && (*out = kn_buf_steal(&b, len)) == NULL)
		rc = KN_ERR_NOMEM;
	kn_buf_cleanup(&b);
	return rc;
}

char *
cli_secret(const char *var, const char *prompt)
{
	struct termios old, noecho;
	char buf[1100], *nl;
	const char *v;
	bool tty;

	if (var != NULL) {
		if ((v = getenv(var)) == NULL) {
			fprintf(stderr, "kakuin: environment variable %s is "
			    "not set\n", var);
			return NULL;
		}
		return strdup(v);
	}
	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	}
	if (fgets(buf, sizeof(buf), stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	v = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return (char *)v;
}
