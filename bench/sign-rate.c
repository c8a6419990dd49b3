/*
 * sign-rate - the raw signing rate of one key of a data directory, on one
 * thread and then on THREADS threads sharing the key (as the server's
 * workers share a responder key), signing a message of LEN bytes each
 * time.  The key is opened the way the server opens it (kakuin.conf, the
 * keystore), so a pkcs11: URI signs inside the token; by default through
 * the signer the server signs with (kn_key_signer: a session and a session
 * copy of the key per thread), with -e through OpenSSL and libp11 on the
 * token object (EVP_DigestSign, a fresh context per signature).
 *
 *   sign-rate -d DATADIR -k KEY_URI [-t SECONDS] [-j THREADS] [-m LEN] [-e]
 *
 * Prints one key=value line per thread count on standard output:
 *
 *   sign threads=1 signatures=N seconds=S digest=NAME path=signer|evp
 *   sign threads=T signatures=N seconds=S digest=NAME path=signer|evp
 *
 * bench/run puts these beside the OCSP responder's nonce answers.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "base/err.h"
#include "config/config.h"
#include "crypto/key.h"

#define MAX_THREADS	64
#define MAX_MSG		65536

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

	fprintf(stderr, "sign-rate: %s: %s\n", what,
	    e->code == rc && e->msg[0] != '\0' ? e->msg : kn_strerror(rc));
	return 1;
}

/* The digest kakuin pairs with the key (lib/ca/issue.c kn__md_for). */
static const EVP_MD *
md_for(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC:
		return EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() :
		    EVP_sha256();
	default:
		return EVP_sha256();
	}
}

struct signer {
	pthread_t	 thread;
	EVP_PKEY	*key;
	struct kn_signer *ks;		/* NULL: EVP_DigestSign */
	const EVP_MD	*md;
	size_t		 len;
	double		 until;		/* CLOCK_MONOTONIC */
	long		 n;
	int		 rc;
};

static void *
sign_loop(void *arg)
{
	struct signer *s = arg;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *msg, sig[1024];
	size_t siglen;

	s->rc = 1;
	if ((msg = malloc(s->len)) == NULL)
		return NULL;
	memset(msg, 0x5a, s->len);
	do {
		msg[s->n % s->len] ^= 1;
		siglen = sizeof(sig);
		if (s->ks != NULL) {
			if (kn_signer_sign(s->ks, s->md, msg, s->len, sig,
			    &siglen) != 0) {
				fprintf(stderr, "sign-rate: kn_signer_sign "
				    "failed: %s\n", kn_err_get()->msg);
				goto out;
			}
			s->n++;
			continue;
		}
		if ((ctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(ctx, NULL, s->md, NULL, s->key) != 1) {
			fprintf(stderr, "sign-rate: EVP_DigestSignInit "
			    "failed\n");
			goto out;
		}
		if (EVP_DigestSign(ctx, sig, &siglen, msg, s->len) != 1) {
			fprintf(stderr, "sign-rate: EVP_DigestSign failed\n");
			goto out;
		}
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
		s->n++;
	} while (now() < s->until);
	s->rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(msg);
	return NULL;
}

/* Signs for secs seconds on threads threads; prints the line if print. */
static int
run(EVP_PKEY *key, struct kn_signer *ks, int threads, double secs,
    size_t len, bool print)
{
	struct signer s[MAX_THREADS];
	const EVP_MD *md = md_for(key);
	double t0, t1;
	long total = 0;
	int k, started = 0, rc = 0;

	t0 = now();
	for (k = 0; k < threads; k++) {
		memset(&s[k], 0, sizeof(s[k]));
		s[k].key = key;
		s[k].ks = ks;
		s[k].md = md;
		s[k].len = len;
		s[k].until = t0 + secs;
		if (pthread_create(&s[k].thread, NULL, sign_loop,
		    &s[k]) != 0) {
			fprintf(stderr, "sign-rate: cannot start a thread\n");
			rc = 1;
			break;
		}
		started++;
	}
	for (k = 0; k < started; k++) {
		pthread_join(s[k].thread, NULL);
		total += s[k].n;
		rc |= s[k].rc;
	}
	t1 = now();
	if (rc != 0)
		return 1;
	if (!print)
		return 0;
	printf("sign threads=%d signatures=%ld seconds=%.4f digest=%s "
	    "path=%s\n", threads, total, t1 - t0, md != NULL ?
	    EVP_MD_get0_name(md) : "none", ks != NULL ? "signer" : "evp");
	fflush(stdout);
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: sign-rate -d DATADIR -k KEY_URI "
	    "[-t SECONDS] [-j THREADS] [-m LEN] [-e]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct kn_keystore_config kc;
	struct kn_keystore *ks = NULL;
	struct kn_config cfg;
	EVP_PKEY *key = NULL;
	struct kn_signer *signer = NULL;
	const char *dir = NULL, *uri = NULL;
	bool evp = false;
	double secs = 2;
	long len = 200, threads = 1;
	int ch, rc, status = 1;

	while ((ch = getopt(argc, argv, "d:k:t:j:m:e")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'k':
			uri = optarg;
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'j':
			threads = strtol(optarg, NULL, 10);
			break;
		case 'm':
			len = strtol(optarg, NULL, 10);
			break;
		case 'e':
			evp = true;
			break;
		default:
			return usage();
		}
	}
	if (dir == NULL || uri == NULL || optind != argc || secs <= 0 ||
	    threads < 1 || threads > MAX_THREADS || len < 1 || len > MAX_MSG)
		return usage();
	memset(&cfg, 0, sizeof(cfg));
	if ((rc = kn_config_load(&cfg, dir, false)) != 0)
		return fail(rc, "configuration");
	/* As cli_fill_env() (src/kakuin/cli.c). */
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
	if ((rc = kn_key_load(ks, uri, &key)) != 0 ||
	    (!evp && (rc = kn_key_signer(ks, uri, &signer)) != 0)) {
		fail(rc, "key");
		goto out;
	}
	/* A short unmeasured warm-up: the token session, the key object. */
	if (run(key, signer, 1, 0.2, (size_t)len, false) != 0)
		goto out;
	if (run(key, signer, 1, secs, (size_t)len, true) != 0 ||
	    (threads > 1 && run(key, signer, (int)threads, secs,
	    (size_t)len, true) != 0))
		goto out;
	status = 0;
out:
	EVP_PKEY_free(key);
	kn_keystore_free(ks);
	kn_config_cleanup(&cfg);
	return status;
}
