/*
 * ca-issue - certificate issuance rate of a data directory's CA, in
 * process: opens the store and the keystore as the CLI does (kakuin.conf,
 * SQLite, SoftHSM2), then times N cycles of kn_cert_request +
 * kn_cert_approve (request, approval, lint, sign in the token, store,
 * audit; two transactions per certificate, committed as the product
 * commits them).  (bench/sign-rate times the raw signing rate of the
 * same CA key.)
 *
 *   ca-issue -d DATADIR [-n CERTS] [-c CA] [-o ORG] [-e MAILDOMAIN]
 *            [-S full] [-j THREADS]
 *
 * Prints key=value lines on standard output:
 *
 *   issue certs=N seconds=S request_seconds=S approve_seconds=S sync=NAME
 *
 * -S full sets PRAGMA synchronous=FULL on the connection first (an fsync
 * per commit), to show what power-cut durability costs when the product
 * runs with something weaker.  bench/run puts these beside `openssl ca`.
 */
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "ca/ca.h"
#include "config/config.h"
#include "crypto/key.h"
#include "store/db.h"

#define WARMUP 20

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
fail(int rc, const char *what)
{
	const struct kn_error *e = kn_err_get();

	fprintf(stderr, "ca-issue: %s: %s\n", what,
	    e->code == rc && e->msg[0] != '\0' ? e->msg : kn_strerror(rc));
	return 1;
}

/* A PEM PKCS#10 request for a fresh P-256 key (subject is ignored). */
static char *
make_csr(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL, *data;
	long len;

	if (k == NULL || req == NULL || n == NULL || b == NULL ||
	    X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_ASC,
	    (const unsigned char *)"bench", -1, -1, 0) != 1 ||
	    X509_REQ_set_subject_name(req, n) != 1 ||
	    X509_REQ_set_pubkey(req, k) != 1 ||
	    X509_REQ_sign(req, k, EVP_sha256()) <= 0 ||
	    PEM_write_bio_X509_REQ(b, req) != 1)
		goto out;
	len = BIO_get_mem_data(b, &data);
	if ((pem = malloc((size_t)len + 1)) != NULL) {
		memcpy(pem, data, (size_t)len);
		pem[len] = '\0';
	}
out:
	BIO_free(b);
	X509_NAME_free(n);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return pem;
}

static const char *
sync_name(struct kn_db *db)
{
	static const char *const names[] = { "OFF", "NORMAL", "FULL",
	    "EXTRA" };
	struct kn_stmt *st;
	int64_t v = -1;

	if (kn_db_backend(db) != KN_DB_SQLITE)
		return "postgresql";
	if (kn_db_stmt(db, &st, "PRAGMA synchronous") != 0)
		return "?";
	if (kn_stmt_step(st) == KN_ROW)
		v = kn_stmt_int64(st, 0);
	kn_stmt_done(st);
	return v >= 0 && v < 4 ? names[v] : "?";
}

static int
one_cert(struct kn_db *db, const struct kn_ca_env *env, const char *ca,
    int64_t org, const char *maildom, const char *csr, long i,
    double *treq, double *tapp)
{
	struct kn_cert_request_in in;
	struct kn_identity_check idc = { "ra-suzuki", "photo ID checked in "
	    "person (bench)", NULL };
	char code[KN_REVOCATION_CODE], serial[KN_SERIAL_HEX];
	char pw[KN_P12_PASSWORD], email[128], ref[32];
	int64_t id;
	double t0, t1, t2;
	int rc;

	snprintf(email, sizeof(email), "bench%ld@%s", i, maildom);
	snprintf(ref, sizeof(ref), "bench-%ld", i);
	idc.ref = ref;
	memset(&in, 0, sizeof(in));
	in.org = org;
	in.profile = "smime-sponsor-multipurpose";
	in.ca = ca;
	in.csr_pem = csr;
	in.given_name = "太郎";
	in.surname = "山田";
	in.emails[0] = email;
	in.nemails = 1;
	t0 = now();
	if ((rc = kn_cert_request(db, "local:bench", &in, &id, code)) != 0)
		return fail(rc, "cert request");
	t1 = now();
	if ((rc = kn_cert_approve(db, env, "local:bench", NULL, id, &idc,
	    serial, pw)) != 0)
		return fail(rc, "cert approve");
	t2 = now();
	*treq += t1 - t0;
	*tapp += t2 - t1;
	return 0;
}

/* One issuing thread: its own store connection, a slice of the CSRs. */
struct worker {
	pthread_t		 thread;
	const char		*store;
	const struct kn_ca_env	*env;
	const char		*ca;
	int64_t			 org;
	const char		*maildom;
	char			**csr;
	long			 first;
	long			 last;
	double			 treq;
	double			 tapp;
	int			 rc;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct kn_db *db = NULL;
	long i;

	if ((w->rc = kn_db_open(&db, w->store)) != 0) {
		fail(w->rc, "store");
		return NULL;
	}
	for (i = w->first; i < w->last; i++) {
		if ((w->rc = one_cert(db, w->env, w->ca, w->org, w->maildom,
		    w->csr[i], i, &w->treq, &w->tapp)) != 0)
			break;
	}
	kn_db_close(db);
	return NULL;
}

static int
issue(struct kn_db *db, const char *store, const struct kn_ca_env *env,
    const char *ca, int64_t org, const char *maildom, long n, int threads)
{
	struct worker w[8];
	char **csr;
	double treq = 0, tapp = 0, t0, t1;
	long i, total = n + WARMUP;
	int rc = 1, k;

	if ((csr = calloc((size_t)total, sizeof(*csr))) == NULL)
		return 1;
	/* Subscriber keys and CSRs are the subscribers' work: made first. */
	for (i = 0; i < total; i++) {
		if ((csr[i] = make_csr()) == NULL) {
			fprintf(stderr, "ca-issue: cannot make a CSR\n");
			goto out;
		}
	}
	/* Warm-up: the token session, key lookup, statement cache. */
	for (i = 0; i < WARMUP; i++) {
		if (one_cert(db, env, ca, org, maildom, csr[i], i, &treq,
		    &tapp) != 0)
			goto out;
	}
	treq = tapp = 0;
	t0 = now();
	/* Each thread takes an equal slice, as the server's workers would
	 * take requests. */
	for (k = 0; k < threads; k++) {
		memset(&w[k], 0, sizeof(w[k]));
		w[k].store = store;
		w[k].env = env;
		w[k].ca = ca;
		w[k].org = org;
		w[k].maildom = maildom;
		w[k].csr = csr;
		w[k].first = WARMUP + n * k / threads;
		w[k].last = WARMUP + n * (k + 1) / threads;
		if (pthread_create(&w[k].thread, NULL, work, &w[k]) != 0)
			goto out;
	}
	for (k = 0; k < threads; k++) {
		pthread_join(w[k].thread, NULL);
		treq += w[k].treq;
		tapp += w[k].tapp;
		if (w[k].rc != 0)
			goto out;
	}
	t1 = now();
	printf("issue certs=%ld seconds=%.4f request_seconds=%.4f "
	    "approve_seconds=%.4f sync=%s threads=%d\n", n, t1 - t0, treq,
	    tapp, sync_name(db), threads);
	rc = 0;
out:
	for (i = 0; i < total; i++)
		free(csr[i]);
	free(csr);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: ca-issue -d DATADIR [-n CERTS] "
	    "[-c CA] [-o ORG] [-e MAILDOMAIN] [-S full] [-j THREADS]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct kn_keystore_config kc;
	struct kn_keystore *ks = NULL;
	struct kn_ca_env env;
	struct kn_config cfg;
	struct kn_db *db = NULL;
	const char *dir = NULL, *ca = "issuing", *maildom = "jipdec.example";
	const char *sync = NULL;
	char key_dir[4096];
	int64_t org = 1010405009403LL;
	long n = 1000;
	int ch, rc, status = 1, threads = 1;

	while ((ch = getopt(argc, argv, "d:n:c:o:e:S:j:")) != -1) {
		switch (ch) {
		case 'j':
			threads = (int)strtol(optarg, NULL, 10);
			if (threads < 1 || threads > 8)
				return usage();
			break;
		case 'd':
			dir = optarg;
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'c':
			ca = optarg;
			break;
		case 'o':
			org = strtoll(optarg, NULL, 10);
			break;
		case 'e':
			maildom = optarg;
			break;
		case 'S':
			sync = optarg;
			break;
		default:
			return usage();
		}
	}
	if (dir == NULL || optind != argc || n < 0 ||
	    (sync != NULL && strcmp(sync, "full") != 0))
		return usage();
	memset(&cfg, 0, sizeof(cfg));
	if ((rc = kn_config_load(&cfg, dir, false)) != 0)
		return fail(rc, "configuration");
	if ((rc = kn_db_open(&db, cfg.store)) != 0) {
		fail(rc, "store");
		goto out;
	}
	if ((rc = kn_db_migrate(db, NULL)) != 0) {
		fail(rc, "store migration");
		goto out;
	}
	if (sync != NULL && kn_db_backend(db) == KN_DB_SQLITE &&
	    (rc = kn_db_exec(db, "PRAGMA synchronous=FULL")) != 0) {
		fail(rc, "synchronous=FULL");
		goto out;
	}
	/* As cli_ca() and cli_fill_env() (src/kakuin/cli.c). */
	memset(&kc, 0, sizeof(kc));
	kc.module = cfg.pkcs11_module;
	kc.token = cfg.pkcs11_token;
	kc.pin = cfg.pkcs11_pin;
	kc.passphrase = cfg.key_passphrase;
	kc.softhsm_conf = cfg.softhsm_conf[0] ? cfg.softhsm_conf : NULL;
	if ((rc = kn_keystore_new(&ks, &kc)) != 0) {
		fail(rc, "keys");
		goto out;
	}
	memset(&env, 0, sizeof(env));
	env.ks = ks;
	env.base_url = cfg.base_url;
	env.operator_name = cfg.operator_name;
	env.key_kind = cfg.ca_keys;
	snprintf(key_dir, sizeof(key_dir), "%s/keys", cfg.datadir);
	env.key_dir = key_dir;
	env.crl_days = cfg.crl_days;
	env.shard_size = cfg.crl_shard_size;
	if ((rc = kn_keyalg_parse(&env.key_alg, cfg.ca_key_alg)) != 0) {
		fail(rc, "configuration");
		goto out;
	}
	if (n > 0 && issue(db, cfg.store, &env, ca, org, maildom, n,
	    threads) != 0)
		goto out;
	fflush(stdout);
	status = 0;
out:
	kn_db_close(db);
	kn_keystore_free(ks);
	kn_config_cleanup(&cfg);
	return status;
}
