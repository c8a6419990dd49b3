/* config.c - DATADIR/kakuin.conf and environment overrides. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/text.h"
#include "config/config.h"

#ifndef KN_WEBDIR
#define KN_WEBDIR "web"
#endif

static int
set(char **dst, const char *v)
{
	char *c;

	if ((c = strdup(v)) == NULL)
		return KN_ERR_NOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static int
defaults(struct kn_config *c, const char *datadir)
{
	char store[4096];
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(store, sizeof(store), "sqlite:kakuin.db");
	if ((rc = set(&c->datadir, datadir)) != 0 ||
	    (rc = set(&c->store, store)) != 0 ||
	    (rc = set(&c->listen, "127.0.0.1:8080")) != 0 ||
	    (rc = set(&c->base_url, "http://127.0.0.1:8080")) != 0 ||
	    (rc = set(&c->resolver, "")) != 0 ||
	    (rc = set(&c->dnssec_anchor, "")) != 0 ||
	    (rc = set(&c->access_log, "-")) != 0 ||
	    (rc = set(&c->web_dir, KN_WEBDIR)) != 0 ||
	    (rc = set(&c->pkcs11_module,
	    "/usr/lib/softhsm/libsofthsm2.so")) != 0 ||
	    (rc = set(&c->pkcs11_token, "kakuin")) != 0 ||
	    (rc = set(&c->pkcs11_pin, "")) != 0 ||
	    (rc = set(&c->softhsm_conf, "softhsm2.conf")) != 0 ||
	    (rc = set(&c->key_passphrase, "")) != 0 ||
	    (rc = set(&c->ca_keys, "pkcs11")) != 0 ||
	    (rc = set(&c->ca_key_alg, "ec-p256")) != 0 ||
	    (rc = set(&c->operator_name, "kakuin trust center")) != 0 ||
	    (rc = set(&c->tsa_ca, "")) != 0 ||
	    (rc = set(&c->tsa_policy, KN_TSA_DEFAULT_POLICY)) != 0 ||
	    (rc = set(&c->tsa_policies, "")) != 0)
		return rc;
	c->tsa_accuracy_ms = 1000;
	c->feed_ttl = 86400;
	c->crl_days = 7;
	c->crl_shard_size = 100000;
	c->workers = 0;
	c->max_connections = 4096;
	c->max_connections_per_ip = 256;
	c->timeout = 30;
	c->request_timeout = 20;
	c->max_body = 1 << 20;
	c->sign_threads = 0;
	c->sign_queue = 256;
	c->sign_wait_ms = 2000;
	return 0;
}

/* Dotted numbers with at least two arcs: the shape of an OID. */
static bool
oid_shaped(const char *s)
{
	int arcs = 0;

	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		arcs++;
		if (*s == '.' && s[1] != '\0')
			s++;
		else if (*s != '\0')
			return false;
	}
	return arcs >= 2;
}

static int
set_int(int *dst, const char *key, const char *v, int64_t min, int64_t max,
    int line)
{
	int64_t n;

	if (kn_parse_int64(&n, v, min, max) != 0)
		return kn_err_set(KN_ERR_CONFIG, key, "%s line %d: %s must be "
		    "a number from %lld to %lld", KN_CONFIG_FILE, line, key,
		    (long long)min, (long long)max);
	*dst = (int)n;
	return 0;
}

static int
apply(struct kn_config *c, const char *key, const char *v, int line)
{
	int n = 0, rc;

	if (strcmp(key, "store") == 0)
		return set(&c->store, v);
	if (strcmp(key, "listen") == 0)
		return set(&c->listen, v);
	if (strcmp(key, "base_url") == 0)
		return set(&c->base_url, v);
	if (strcmp(key, "resolver") == 0)
		return set(&c->resolver, v);
	if (strcmp(key, "dnssec_anchor") == 0)
		return set(&c->dnssec_anchor, v);
	if (strcmp(key, "access_log") == 0)
		return set(&c->access_log, v);
	if (strcmp(key, "web_dir") == 0)
		return set(&c->web_dir, v);
	if (strcmp(key, "pkcs11_module") == 0)
		return set(&c->pkcs11_module, v);
	if (strcmp(key, "pkcs11_token") == 0)
		return set(&c->pkcs11_token, v);
	if (strcmp(key, "pkcs11_pin") == 0)
		return set(&c->pkcs11_pin, v);
	if (strcmp(key, "softhsm_conf") == 0)
		return set(&c->softhsm_conf, v);
	if (strcmp(key, "key_passphrase") == 0)
		return set(&c->key_passphrase, v);
	if (strcmp(key, "ca_keys") == 0) {
		if (strcmp(v, "pkcs11") != 0 && strcmp(v, "file") != 0)
			return kn_err_set(KN_ERR_CONFIG, key, "%s line %d: "
			    "ca_keys is pkcs11 or file", KN_CONFIG_FILE, line);
		return set(&c->ca_keys, v);
	}
	if (strcmp(key, "ca_key_alg") == 0)
		return set(&c->ca_key_alg, v);
	if (strcmp(key, "operator_name") == 0) {
		/* organizationName: ub-organization-name is 64 characters
		 * (RFC 5280 appendix A.1). */
		if (*v == '\0' || kn_check_text(key, v, 64, false) != 0)
			return kn_err_set(KN_ERR_CONFIG, key, "%s line %d: "
			    "operator_name is 1 to 64 characters of UTF-8 "
			    "text (RFC 5280 appendix A.1: the organizationName "
			    "of kakuin's certificates)", KN_CONFIG_FILE, line);
		return set(&c->operator_name, v);
	}
	if (strcmp(key, "crl_days") == 0)
		return set_int(&c->crl_days, key, v, 1, 10, line);
	if (strcmp(key, "crl_shard_size") == 0)
		return set_int(&c->crl_shard_size, key, v, 100, 100000000,
		    line);
	if (strcmp(key, "tsa_ca") == 0)
		return set(&c->tsa_ca, v);
	if (strcmp(key, "tsa_policy") == 0) {
		if (!oid_shaped(v))
			return kn_err_set(KN_ERR_CONFIG, key, "%s line %d: "
			    "tsa_policy is an object identifier (dotted "
			    "numbers, as 1.2.3.4)", KN_CONFIG_FILE, line);
		return set(&c->tsa_policy, v);
	}
	if (strcmp(key, "tsa_policies") == 0)
		return set(&c->tsa_policies, v);
	if (strcmp(key, "tsa_accuracy_ms") == 0)
		return set_int(&c->tsa_accuracy_ms, key, v, 0, 60000, line);
	/* At most the 7 days a receiver accepts (registry/feed.h). */
	if (strcmp(key, "feed_ttl") == 0)
		return set_int(&c->feed_ttl, key, v, 600, 604800, line);
	if (strcmp(key, "workers") == 0)
		return set_int(&c->workers, key, v, 0, 256, line);
	if (strcmp(key, "max_connections") == 0)
		return set_int(&c->max_connections, key, v, 1, 1000000, line);
	if (strcmp(key, "max_connections_per_ip") == 0)
		return set_int(&c->max_connections_per_ip, key, v, 0, 1000000,
		    line);
	if (strcmp(key, "timeout") == 0)
		return set_int(&c->timeout, key, v, 1, 3600, line);
	if (strcmp(key, "request_timeout") == 0)
		return set_int(&c->request_timeout, key, v, 1, 3600, line);
	if (strcmp(key, "sign_threads") == 0)
		return set_int(&c->sign_threads, key, v, 0, 256, line);
	if (strcmp(key, "sign_queue") == 0)
		return set_int(&c->sign_queue, key, v, 1, 1000000, line);
	if (strcmp(key, "sign_wait_ms") == 0)
		return set_int(&c->sign_wait_ms, key, v, 1, 60000, line);
	if (strcmp(key, "max_body") == 0) {
		if ((rc = set_int(&n, key, v, 1024, 64 << 20, line)) != 0)
			return rc;
		c->max_body = (size_t)n;
		return 0;
	}
	return kn_err_set(KN_ERR_CONFIG, key, "%s line %d: unknown key %s",
	    KN_CONFIG_FILE, line, key);
}

int
kn_config_load(struct kn_config *c, const char *datadir, bool allow_missing)
{
	char path[4096], line[KN_CONFIG_MAX_LINE + 2], *key, *val, *eq;
	const char *env;
	FILE *f;
	int rc, n = 0;

	if ((rc = defaults(c, datadir)) != 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", datadir, KN_CONFIG_FILE);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && allow_missing)
			goto env;
		rc = kn_err_set(KN_ERR_CONFIG, NULL, "cannot read %s: %s%s",
		    path, strerror(errno), errno == ENOENT ? " (run kakuin "
		    "init first, or pass -d DATADIR)" : "");
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (++n > KN_CONFIG_MAX_LINES ||
		    strlen(line) > KN_CONFIG_MAX_LINE) {
			fclose(f);
			rc = kn_err_set(KN_ERR_CONFIG, NULL, "%s line %d: line "
			    "too long or too many lines", path, n);
			goto fail;
		}
		if ((key = strchr(line, '#')) != NULL)
			*key = '\0';
		key = kn_trim(line);
		if (*key == '\0')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			fclose(f);
			rc = kn_err_set(KN_ERR_CONFIG, NULL, "%s line %d: "
			    "expected key = value", path, n);
			goto fail;
		}
		*eq = '\0';
		key = kn_trim(key);
		val = kn_trim(eq + 1);
		if ((rc = apply(c, key, val, n)) != 0) {
			fclose(f);
			goto fail;
		}
	}
	fclose(f);
env:
	if ((env = getenv("KAKUIN_RESOLVER")) != NULL &&
	    (rc = set(&c->resolver, env)) != 0)
		goto fail;
	if ((env = getenv("KAKUIN_STORE")) != NULL && *env != '\0' &&
	    (rc = set(&c->store, env)) != 0)
		goto fail;
	if ((env = getenv("KAKUIN_LISTEN")) != NULL && *env != '\0' &&
	    (rc = set(&c->listen, env)) != 0)
		goto fail;
	if ((env = getenv("KAKUIN_PKCS11_PIN")) != NULL && *env != '\0' &&
	    (rc = set(&c->pkcs11_pin, env)) != 0)
		goto fail;
	if ((env = getenv("KAKUIN_KEY_PASSPHRASE")) != NULL &&
	    *env != '\0' && (rc = set(&c->key_passphrase, env)) != 0)
		goto fail;
	/* The embedded token's configuration lives in the data directory. */
	if (c->softhsm_conf[0] != '\0' && c->softhsm_conf[0] != '/') {
		char abs[4096];

		snprintf(abs, sizeof(abs), "%s/%s", datadir, c->softhsm_conf);
		if ((rc = set(&c->softhsm_conf, abs)) != 0)
			goto fail;
	}
	/* A relative SQLite path lives in the data directory, wherever
	 * kakuin is started from. */
	if (strncmp(c->store, "sqlite:", 7) == 0 && c->store[7] != '/') {
		char abs[4096];

		snprintf(abs, sizeof(abs), "sqlite:%s/%s", datadir,
		    c->store + 7);
		if ((rc = set(&c->store, abs)) != 0)
			goto fail;
	}
	return 0;
fail:
	kn_config_cleanup(c);
	return rc;
}

void
kn_config_cleanup(struct kn_config *c)
{
	free(c->datadir);
	free(c->store);
	free(c->listen);
	free(c->base_url);
	free(c->resolver);
	free(c->dnssec_anchor);
	free(c->access_log);
	free(c->web_dir);
	free(c->pkcs11_module);
	free(c->pkcs11_token);
	if (c->pkcs11_pin != NULL)
		OPENSSL_clear_free(c->pkcs11_pin, strlen(c->pkcs11_pin));
	free(c->softhsm_conf);
	if (c->key_passphrase != NULL)
		OPENSSL_clear_free(c->key_passphrase,
		    strlen(c->key_passphrase));
	free(c->ca_keys);
	free(c->ca_key_alg);
	free(c->operator_name);
	free(c->tsa_ca);
	free(c->tsa_policy);
	free(c->tsa_policies);
	memset(c, 0, sizeof(*c));
}

int
kn_config_write_default(const char *datadir, const char *store,
    const struct kn_config_secrets *sec)
{
	char path[4096], def[4096];
	FILE *f;
	int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", datadir, KN_CONFIG_FILE);
	snprintf(def, sizeof(def), "sqlite:kakuin.db");
	/* It may hold a store password, the token PIN and the key
	 * passphrase: only the owner reads it. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		int e = errno;

		if (fd != -1)
			close(fd);
		return kn_err_set(KN_ERR_IO, NULL, "cannot create %s: %s",
		    path, strerror(e));
	}
	fprintf(f,
	    "# kakuin configuration (see docs/configuration.md).\n"
	    "# Store: the embedded SQLite file (a relative path is inside this\n"
	    "# data directory), or a PostgreSQL URI,\n"
	    "# e.g. store = postgresql://kakuin@db.example/kakuin\n"
	    "store = %s\n"
	    "# Address the server listens on, and the URL people reach it "
	    "by.\n"
	    "listen = 127.0.0.1:8080\n"
	    "base_url = http://127.0.0.1:8080\n"
	    "# DNS: empty for the system resolver, or ADDR@PORT.\n"
	    "resolver =\n"
	    "# DNSSEC trust anchor file (e.g. /usr/share/dns/root.key); "
	    "empty: no validation.\n"
	    "dnssec_anchor =\n"
	    "# Access log file, - for standard error, empty for none.\n"
	    "access_log = -\n"
	    "# Worker threads (0: one per core), connection cap, per-"
	    "connection timeout\n"
	    "# in seconds, and the largest request body in bytes.\n"
	    "workers = 0\n"
	    "max_connections = 4096\n"
	    "timeout = 30\n"
	    "max_body = 1048576\n"
	    "# Open connections from one client address (0: no cap), and the "
	    "seconds\n"
	    "# a client has to send one whole request, however slowly it "
	    "trickles.\n"
	    "max_connections_per_ip = 256\n"
	    "request_timeout = 20\n"
	    "# Answers signed per request (OCSP with a nonce, time-stamps): "
	    "signing\n"
	    "# threads (0: one per core), requests that may wait for one, "
	    "and the\n"
	    "# longest wait in milliseconds; beyond either, OCSP answers "
	    "tryLater.\n"
	    "sign_threads = 0\n"
	    "sign_queue = 256\n"
	    "sign_wait_ms = 2000\n"
	    "\n"
	    "# Keys.  CA keys live in a PKCS#11 token: by default the SoftHSM2\n"
	    "# token kakuin init made in this directory.  The PIN may come from\n"
	    "# KAKUIN_PKCS11_PIN instead.\n"
	    "pkcs11_module = /usr/lib/softhsm/libsofthsm2.so\n"
	    "pkcs11_token = kakuin\n"
	    "pkcs11_pin = %s\n"
	    "softhsm_conf = softhsm2.conf\n"
	    "# Passphrase of file: keys (always encrypted at rest); may come\n"
	    "# from KAKUIN_KEY_PASSPHRASE instead.\n"
	    "key_passphrase = %s\n"
	    "# Where new CA keys go (pkcs11 or file) and their algorithm.\n"
	    "ca_keys = pkcs11\n"
	    "ca_key_alg = ec-p256\n"
	    "# organizationName of the CA certificates.\n"
	    "operator_name = kakuin trust center\n"
	    "# CRLs: days between thisUpdate and nextUpdate, certificates per\n"
	    "# CRL before a CA's CRL is split into shards.\n"
	    "crl_days = 7\n"
	    "crl_shard_size = 100000\n"
	    "# Time-stamp authority: the CA that certifies its units (empty: "
	    "the\n"
	    "# newest issuing CA that may), the policy OID of its tokens, "
	    "other\n"
	    "# policy OIDs a request may ask for, and the accuracy of its "
	    "clock.\n"
	    "tsa_ca =\n"
	    "tsa_policy = " KN_TSA_DEFAULT_POLICY "\n"
	    "tsa_policies =\n"
	    "tsa_accuracy_ms = 1000\n"
	    "# The signed feed of verified mail domains (/feed/mail-domains):\n"
	    "# seconds from a feed's generated time to its next_update "
	    "(600 to\n"
	    "# 604800); a new one is signed when half of it has passed or "
	    "the\n"
	    "# registry changed.\n"
	    "feed_ttl = 86400\n", store ? store : def,
	    sec && sec->pkcs11_pin ? sec->pkcs11_pin : "",
	    sec && sec->key_passphrase ? sec->key_passphrase : "");
	if (fclose(f) != 0)
		return kn_err_set(KN_ERR_IO, NULL, "cannot write %s", path);
	return 0;
}
