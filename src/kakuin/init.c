/* init.c - kakuin init [--demo] [--store URL] */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "kakuin/cli.h"
#include "registry/demo.h"
#include "store/db.h"

/* Demo operators.  Their passwords are public (README): demo only. */
static const struct {
	const char	*name;
	const char	*role;
	const char	*password;
} demo_users[] = {
	{ "admin", "admin", "kakuin-demo-admin" },
	{ "ra-suzuki", "ra", "kakuin-demo-officer" },
};

static int
mkdir_p(const char *path)
{
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static void
remove_made(const char *datadir, const char *conf, bool own_sqlite)
{
	static const char *const files[] = { "kakuin.db", "kakuin.db-wal",
	    "kakuin.db-shm" };
	char p[4096];
	size_t i;

	unlink(conf);
	for (i = 0; own_sqlite && i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", datadir, files[i]);
		unlink(p);
	}
}

int
cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "demo", no_argument, NULL, 'D' },
		{ "store", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store = NULL;
	char path[4096], safe[512];
	bool demo = false;
	size_t i;
	int ch, rc, version;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			demo = true;
			break;
		case 's':
			store = optarg;
			break;
		default:
			return cli_usage("init [--demo] [--store URL]");
		}
	}
	if (store == NULL && getenv("KAKUIN_STORE") != NULL &&
	    *getenv("KAKUIN_STORE") != '\0')
		store = getenv("KAKUIN_STORE");
	/* Nobody is an officer of a store that does not exist yet. */
	c->as = NULL;
	c->no_officer = true;
	snprintf(path, sizeof(path), "%s/%s", c->datadir, KN_CONFIG_FILE);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "kakuin: %s is already initialized (%s "
		    "exists); remove it or choose another -d DATADIR\n",
		    c->datadir, path);
		return EXIT_BAD;
	}
	if (mkdir_p(c->datadir) == -1) {
		fprintf(stderr, "kakuin: cannot create %s: %s\n", c->datadir,
		    strerror(errno));
		return EXIT_BAD;
	}
	if ((rc = kn_config_write_default(c->datadir, store)) != 0)
		return cli_fail(c, rc, "init");
	if (cli_open(c) != 0) {
		/* Leave nothing half-made that a second init would trip on. */
		cli_close(c);
		remove_made(c->datadir, path, store == NULL);
		return EXIT_BAD;
	}
	if ((rc = kn_db_version(c->db, &version)) != 0) {
		cli_close(c);
		return cli_fail(c, rc, "init");
	}
	kn_db_redact(safe, sizeof(safe), c->cfg.store);
	printf("kakuin: created %s (store %s, schema version %d)\n",
	    c->datadir, safe, version);
	if (demo) {
		if ((rc = kn_demo_registry(c->db, c->actor)) != 0) {
			cli_close(c);
			return cli_fail(c, rc, "demo data");
		}
		for (i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]);
		    i++) {
			if ((rc = kn_user_add(c->db, c->actor,
			    demo_users[i].name, demo_users[i].role,
			    demo_users[i].password)) != 0) {
				cli_close(c);
				return cli_fail(c, rc, "demo users");
			}
			printf("kakuin: demo %s officer %s, password %s\n",
			    demo_users[i].role, demo_users[i].name,
			    demo_users[i].password);
		}
		printf("kakuin: demo organizations added; try: kakuin -d %s "
		    "org list\n", c->datadir);
	}
	cli_close(c);
	return 0;
}
