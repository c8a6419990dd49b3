/* ca_fixture.c - see ca_fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca_fixture.h"

static struct kn_db *fx_db;
static struct kn_keystore *fx_ks;
static char fx_dir[64];
static char fx_keys[80];

static void
cleanup(void)
{
	char cmd[96];

	kn_db_close(fx_db);
	kn_keystore_free(fx_ks);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fx_dir);
}

void
fuzz_ca_fixture(const char *name, struct kn_db **db, struct kn_ca_env *env)
{
	struct kn_keystore_config kc = {
		.module = "/usr/lib/softhsm/libsofthsm2.so",
		.token = "unused",
		.pin = "unused-pin",
		.passphrase = "fuzz passphrase",
	};
	char url[96];

	snprintf(fx_dir, sizeof(fx_dir), "/tmp/kakuin-fuzz-%.16s-XXXXXX",
	    name);
	if (mkdtemp(fx_dir) == NULL)
		abort();
	snprintf(fx_keys, sizeof(fx_keys), "%s/keys", fx_dir);
	snprintf(url, sizeof(url), "sqlite:%s/kakuin.db", fx_dir);
	if (kn_db_open(&fx_db, url) != 0 || kn_db_migrate(fx_db, NULL) != 0 ||
	    kn_keystore_new(&fx_ks, &kc) != 0)
		abort();
	memset(env, 0, sizeof(*env));
	env->ks = fx_ks;
	env->base_url = "http://ca.fuzz";
	env->operator_name = "kakuin fuzz";
	env->key_kind = "file";
	env->key_dir = fx_keys;
	env->key_alg = KN_KEY_EC_P256;
	env->crl_days = 7;
	env->shard_size = 1000;
	if (kn_ca_create_root(fx_db, env, "fuzz", "root", 0, NULL) != 0 ||
	    kn_ca_create_sub(fx_db, env, "fuzz", "issuing", "root", NULL, 0,
	    NULL) != 0)
		abort();
	atexit(cleanup);
	*db = fx_db;
}
