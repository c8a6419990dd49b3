/*
 * fuzz_ocsp.c - the OCSP responder (kn_ocsp_respond) on arbitrary request
 * bytes, against a scratch SQLite store with a root and an issuing CA
 * (file keys).  Whatever comes in, the answer must be a DER OCSPResponse
 * whose status is one RFC 6960 section 4.2.1 defines, with a body exactly
 * when it is successful.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ocsp.h>

#include "ca/ca.h"
#include "store/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kn_db *db;
static struct kn_keystore *ks;
static struct kn_ca_env env;
static char dir[] = "/tmp/kakuin-fuzz-ocsp-XXXXXX";
static char keys[sizeof(dir) + 8];

static void
cleanup(void)
{
	char cmd[sizeof(dir) + 16];

	kn_db_close(db);
	kn_keystore_free(ks);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_ocsp: could not remove %s\n", dir);
}

static void
setup(void)
{
	struct kn_keystore_config kc = {
		.module = "/usr/lib/softhsm/libsofthsm2.so",
		.token = "unused",
		.pin = "unused-pin",
		.passphrase = "fuzz passphrase",
	};
	char url[sizeof(dir) + 32];

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(url, sizeof(url), "sqlite:%s/kakuin.db", dir);
	if (kn_db_open(&db, url) != 0 || kn_db_migrate(db, NULL) != 0 ||
	    kn_keystore_new(&ks, &kc) != 0)
		abort();
	env.ks = ks;
	env.base_url = "http://ocsp.fuzz";
	env.operator_name = "kakuin fuzz";
	env.key_kind = "file";
	env.key_dir = keys;
	env.key_alg = KN_KEY_EC_P256;
	env.crl_days = 7;
	env.shard_size = 1000;
	if (kn_ca_create_root(db, &env, "fuzz", "root", 0, NULL) != 0 ||
	    kn_ca_create_sub(db, &env, "fuzz", "issuing", "root", NULL, 0,
	    NULL) != 0)
		abort();
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_ocsp_info info, pre;
	unsigned char *out = NULL;
	const unsigned char *p;
	size_t len = 0;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	int st;

	if (db == NULL)
		setup();
	if (kn_ocsp_respond(db, &env, data, size, &out, &len, &info) != 0)
		abort();
	p = out;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
	    p != out + len)
		abort();
	st = OCSP_response_status(resp);
	if (st != info.status || (st != OCSP_RESPONSE_STATUS_SUCCESSFUL &&
	    st != OCSP_RESPONSE_STATUS_MALFORMEDREQUEST &&
	    st != OCSP_RESPONSE_STATUS_INTERNALERROR &&
	    st != OCSP_RESPONSE_STATUS_UNAUTHORIZED))
		abort();
	/* A body exactly when successful, and a reason otherwise. */
	bs = OCSP_response_get1_basic(resp);
	if ((st == OCSP_RESPONSE_STATUS_SUCCESSFUL) != (bs != NULL) ||
	    (st != OCSP_RESPONSE_STATUS_SUCCESSFUL && info.why == NULL))
		abort();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	free(out);
	/* The path that never signs (the server's HTTP workers) answers
	 * the same, or leaves the answer to be signed. */
	out = NULL;
	if (kn_ocsp_presigned(db, &env, data, size, &out, &len, &pre) != 0 ||
	    (pre.must_sign != (out == NULL)) ||
	    (!pre.must_sign && pre.status != st))
		abort();
	free(out);
	return 0;
}
