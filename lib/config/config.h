/*
 * config.h - the data directory and its configuration file.
 *
 * DATADIR/kakuin.conf holds "key = value" lines ('#' starts a comment).
 * Environment variables override the file for the keys that name one
 * (KAKUIN_RESOLVER, KAKUIN_STORE, KAKUIN_LISTEN).
 */
#ifndef KN_CONFIG_CONFIG_H
#define KN_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define KN_CONFIG_FILE "kakuin.conf"
#define KN_CONFIG_MAX_LINE 1024
#define KN_CONFIG_MAX_LINES 512
/* kakuin's own time-stamp policy (its OID arc, see ca/profile.h). */
#define KN_TSA_DEFAULT_POLICY "2.25.74849698960942683782532264219848360184.3.1"

struct kn_config {
	char	*datadir;
	char	*store;		/* "sqlite:PATH" or "postgresql://...";
				   relative SQLite paths are made relative
				   to the data directory */
	char	*listen;	/* "ADDR:PORT" */
	char	*base_url;	/* public URL of the server */
	char	*resolver;	/* "" = system, or ADDR@PORT */
	char	*dnssec_anchor;	/* trust anchor file, "" = none */
	char	*access_log;	/* file path, "-" = stderr, "" = off */
	char	*web_dir;	/* templates and static files */
	char	*pkcs11_module;	/* PKCS#11 module of the token */
	char	*pkcs11_token;	/* token label */
	char	*pkcs11_pin;	/* user PIN (KAKUIN_PKCS11_PIN) */
	char	*softhsm_conf;	/* SOFTHSM2_CONF for the embedded token */
	char	*key_passphrase; /* file: keys (KAKUIN_KEY_PASSPHRASE) */
	char	*ca_keys;	/* "pkcs11" or "file": where CA keys go */
	char	*ca_key_alg;	/* e.g. "ec-p256" */
	char	*operator_name;	/* O of CA certificates */
	int	 crl_days;	/* nextUpdate - thisUpdate */
	int	 crl_shard_size; /* certificates per CRL */
	char	*tsa_ca;	/* CA of time-stamping units, "" = default */
	char	*tsa_policy;	/* default policy OID of tokens */
	char	*tsa_policies;	/* other OIDs requests may ask for */
	int	 tsa_accuracy_ms; /* accuracy of genTime, 0 = unstated */
	int	 feed_ttl;	/* seconds from a mail-domain feed's
				   generated to its next_update */
	int	 workers;	/* 0 = one per core */
	int	 max_connections;
	int	 max_connections_per_ip; /* 0 = no per-address cap */
	int	 timeout;	/* seconds an idle connection is kept */
	int	 request_timeout; /* seconds to send one whole request */
	size_t	 max_body;	/* bytes of a request body */
	int	 sign_threads;	/* 0 = one per core */
	int	 sign_queue;	/* requests waiting for a signature */
	int	 sign_wait_ms;	/* longest such a wait */
};

/* Loads DATADIR/kakuin.conf (which must exist unless allow_missing) and
 * the environment overrides.  Unknown keys are an error naming the line. */
int	kn_config_load(struct kn_config *c, const char *datadir,
	    bool allow_missing) KN_WUR;
void	kn_config_cleanup(struct kn_config *c);
/* Secrets kakuin init generates for a new data directory. */
struct kn_config_secrets {
	const char	*pkcs11_pin;
	const char	*key_passphrase;
};

/* Writes a commented default configuration file (mode 0600) for datadir;
 * store may be NULL for the embedded SQLite file. */
int	kn_config_write_default(const char *datadir, const char *store,
	    const struct kn_config_secrets *sec) KN_WUR;

#endif
