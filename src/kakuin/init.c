/* init.c - kakuin init [--demo] [--store URL] */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "base/text.h"
#include "ca/ca.h"
#include "crypto/key.h"
#include "kakuin/cli.h"
#include "tsa/tsa.h"
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

static int
secret(char *out, size_t len)
{
	unsigned char raw[24];
	int rc;

	if (len < 33)
		return KN_ERR_INTERNAL;
	if ((rc = kn_random(raw, sizeof(raw))) != 0)
		return rc;
	kn_base64url(out, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* The time-stamp authority's first unit, so that the demo's certificate
 * list shows it and the first time-stamp is quick. */
static int
demo_tsa(struct cli *c)
{
	struct kn_tsa_conf tc;
	struct kn_tsa *t;
	char serial[KN_SERIAL_HEX], *pem = NULL;
	int rc;

	tc.ca = c->cfg.tsa_ca[0] != '\0' ? c->cfg.tsa_ca : NULL;
	tc.policy = c->cfg.tsa_policy;
	tc.policies = c->cfg.tsa_policies;
	tc.accuracy_ms = c->cfg.tsa_accuracy_ms;
	if ((rc = kn_tsa_new(&t, &tc)) != 0)
		return rc;
	rc = kn_tsa_unit(t, c->db, &c->env, c->actor, serial, &pem);
	kn_tsa_free(t);
	free(pem);
	if (rc == 0)
		printf("kakuin: demo time-stamping unit %s (POST /tsa, kakuin "
		    "ts stamp)\n", serial);
	return rc;
}

/* The demo CA: a root, an issuing CA, and S/MIME certificates for two
 * JIPDEC employees, one of them revoked, and one request waiting. */
static int
demo_ca(struct cli *c)
{
	struct kn_cert_request_in in;
	struct kn_identity_check idc = { "ra-suzuki", "photo ID checked in "
	    "person (demo)", "demo-0001" };
	struct kn_ca root, iss;
	char code[KN_REVOCATION_CODE], serial[KN_SERIAL_HEX];
	char pw[KN_P12_PASSWORD];
	int64_t id;
	int rc, n;

	memset(&root, 0, sizeof(root));
	memset(&iss, 0, sizeof(iss));
	if ((rc = cli_ca(c)) != 0)
		return rc;
	if ((rc = kn_ca_create_root(c->db, &c->env, c->actor, "root", 0,
	    &root)) != 0 ||
	    (rc = kn_ca_create_sub(c->db, &c->env, c->actor, "issuing",
	    "root", NULL, 0, &iss)) != 0)
		goto out;
	memset(&in, 0, sizeof(in));
	in.org = 1010405009403;
	in.profile = "smime-sponsor-multipurpose";
	in.keygen = "ec-p256";
	in.given_name = "太郎";
	in.surname = "山田";
	in.emails[0] = "taro@jipdec.example";
	in.nemails = 1;
	if ((rc = kn_cert_request(c->db, c->actor, &in, &id, code)) != 0 ||
	    (rc = kn_cert_approve(c->db, &c->env, c->actor, NULL, id, &idc,
	    serial, pw)) != 0)
		goto out;
	printf("kakuin: demo certificate %s for taro@jipdec.example (valid)"
	    "\n", serial);
	in.given_name = "花子";
	in.surname = "佐藤";
	in.emails[0] = "hanako@jipdec.example";
	if ((rc = kn_cert_request(c->db, c->actor, &in, &id, code)) != 0 ||
	    (rc = kn_cert_approve(c->db, &c->env, c->actor, NULL, id, &idc,
	    serial, pw)) != 0 ||
	    (rc = kn_cert_revoke(c->db, &c->env, c->actor, NULL, serial,
	    "keyCompromise", NULL)) != 0)
		goto out;
	printf("kakuin: demo certificate %s for hanako@jipdec.example "
	    "(revoked: keyCompromise)\n", serial);
	in.given_name = "次郎";
	in.surname = "鈴木";
	in.emails[0] = "jiro@jipdec.example";
	if ((rc = kn_cert_request(c->db, c->actor, &in, &id, code)) != 0)
		goto out;
	printf("kakuin: demo request %lld for jiro@jipdec.example waits for "
	    "approval (kakuin cert approve %lld)\n", (long long)id,
	    (long long)id);
	if ((rc = demo_tsa(c)) != 0)
		goto out;
	rc = kn_crl_generate(c->db, &c->env, c->actor, NULL, &n);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(code, sizeof(code));
	kn_ca_cleanup(&root);
	kn_ca_cleanup(&iss);
	if (rc != 0)
		return cli_fail(c, rc, "demo CA");
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
	struct kn_config_secrets sec;
	char path[4096], safe[512], pin[40], so_pin[40], pass[40];
	char conf[4096];
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
	/* Secrets of the new data directory: the token's PINs and the
	 * passphrase of file: keys. */
	if ((rc = secret(pin, sizeof(pin))) != 0 ||
	    (rc = secret(so_pin, sizeof(so_pin))) != 0 ||
	    (rc = secret(pass, sizeof(pass))) != 0)
		return cli_fail(c, rc, "init");
	sec.pkcs11_pin = pin;
	sec.key_passphrase = pass;
	rc = kn_config_write_default(c->datadir, store, &sec);
	OPENSSL_cleanse(pass, sizeof(pass));
	if (rc != 0) {
		OPENSSL_cleanse(pin, sizeof(pin));
		OPENSSL_cleanse(so_pin, sizeof(so_pin));
		return cli_fail(c, rc, "init");
	}
	if (cli_open(c) != 0) {
		/* Leave nothing half-made that a second init would trip on. */
		cli_close(c);
		remove_made(c->datadir, path, store == NULL);
		OPENSSL_cleanse(pin, sizeof(pin));
		OPENSSL_cleanse(so_pin, sizeof(so_pin));
		return EXIT_BAD;
	}
	/* The embedded token, unless the operator uses another module. */
	if (strstr(c->cfg.pkcs11_module, "softhsm") != NULL) {
		rc = kn_softhsm_init(c->datadir, c->cfg.pkcs11_module,
		    c->cfg.pkcs11_token, pin, so_pin, conf, sizeof(conf));
		if (rc != 0) {
			OPENSSL_cleanse(pin, sizeof(pin));
			OPENSSL_cleanse(so_pin, sizeof(so_pin));
			cli_close(c);
			return cli_fail(c, rc, "token");
		}
		printf("kakuin: SoftHSM2 token %s created in %s/tokens; its "
		    "security officer PIN is not stored, keep it safe:\n  %s\n",
		    c->cfg.pkcs11_token, c->datadir, so_pin);
	}
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
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
		if ((rc = demo_ca(c)) != 0) {
			cli_close(c);
			return rc;
		}
	}
	cli_close(c);
	return 0;
}
