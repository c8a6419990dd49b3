/*
 * feed.h - the signed feed of verified mail domains (/feed/mail-domains).
 *
 * Receiving mail services use it for the trust mark (mail/mark.h): it
 * lists every mail domain the registry has verified for an organization
 * in good standing (status verified, not hidden), with the organization's
 * corporate number and names.  docs/mail.md documents the format.
 *
 * The feed is a CMS SignedData (RFC 5652) whose encapsulated content, of
 * content type KN_OID_CT_FEED, is UTF-8 JSON:
 *
 *	{"version":1,"issuer":"<operator>","serial":N,
 *	 "generated":"YYYY-MM-DDTHH:MM:SSZ","next_update":"...",
 *	 "domains":[{"domain":"a.example","number":"<13 digits>",
 *	   "name":"...","name_en":"..." or null,"verified_at":"..."}, ...]}
 *
 * domains sorted by name (bytewise), each at most once.  It is signed by
 * a key in the token whose certificate (profile feed-signing, kakuin's
 * feed-signing purpose KN_OID_KP_FEED) one of the trust center's CAs
 * issued; the signer's certificate and its issuing CAs are in the CMS.
 *
 * Publishing: one feed is stored (mail_feed) for every node sharing the
 * store.  kn_feed_current() gives it, signing a new one when the registry
 * says something else than the stored feed, when half its life is over,
 * or when its signer is no longer the current one; never per request.
 *
 * Receiving: kn_feed_verify() checks a feed against trust anchors at a
 * given time and gives a lookup structure, or an error naming the
 * problem.
 */
#ifndef KN_REGISTRY_FEED_H
#define KN_REGISTRY_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/buf.h"
#include "base/err.h"
#include "ca/ca.h"
#include "registry/corpnum.h"
#include "registry/org.h"

struct kn_db;

#define KN_FEED_VERSION		1
/* What a receiver accepts (kn_feed_limits, defaults when 0). */
#define KN_FEED_MAX_SIZE	(32u << 20)	/* bytes of the DER, and of
						   the JSON in it */
#define KN_FEED_MAX_DOMAINS	100000
#define KN_FEED_MAX_TTL		(7 * 86400)	/* next_update - generated */
#define KN_FEED_SKEW		300	/* seconds a feed's generated may be
					   ahead of the receiver's clock */
#define KN_FEED_MAX_ANCHORS	16	/* certificates in a trust anchor
					   PEM */
#define KN_FEED_ISSUER_MAX	200	/* characters of the issuer */

struct kn_feed_limits {
	size_t	max_size;
	size_t	max_domains;
};

/* One verified mail domain and its organization. */
struct kn_feed_entry {
	char	 domain[KN_DOMAIN_MAX + 1];
	char	 number[KN_CORPNUM_LEN + 1];
	char	*name;			/* registered (Japanese) name */
	char	*name_en;		/* English name, or NULL */
	char	 verified_at[21];	/* RFC 3339, when the domain was
					   proven */
};

/* A feed: what kn_feed_verify() or kn_feed_parse_json() read, or what
 * the publisher builds before kn_feed_encode(). */
struct kn_feed {
	int64_t			 serial;
	char			 generated[21];		/* RFC 3339 */
	char			 next_update[21];
	time_t			 generated_t;
	time_t			 next_update_t;
	char			*issuer;		/* the operator */
	struct kn_feed_entry	*v;			/* sorted by domain */
	size_t			 n;
	char			*signer;	/* subject of the signing
						   certificate (verified
						   feeds), or NULL */
	char			*json;		/* the content, NUL-terminated
						   (parsed feeds), or NULL */
	size_t			 json_len;
};

void	kn_feed_free(struct kn_feed *f);

/*
 * Parses feed JSON strictly: exactly the documented members and no others,
 * version 1, every field checked (domain syntax in normal form, 13-digit
 * corporate number with its check digit, names as the registry allows
 * them, RFC 3339 UTC times), domains strictly ascending, caps from lim
 * (NULL: the defaults).  Checks no time against a clock.  Returns 0 with
 * *out (free with kn_feed_free), KN_ERR_TOOBIG over a cap, KN_ERR_INVAL
 * naming the member at fault, or KN_ERR_NOMEM.
 */
int	kn_feed_parse_json(struct kn_feed **out, const char *json, size_t len,
	    const struct kn_feed_limits *lim) KN_WUR;

/*
 * Verifies a DER feed at time now against anchors (PEM, one or more root
 * certificates; see kn_feed_anchors()): the CMS SignedData structure and
 * content type, its one signature (SHA-256 or stronger), the signer's
 * certificate chaining to an anchor and valid at now and at the feed's
 * generated time, its feed-signing purpose, the content
 * (kn_feed_parse_json()), and freshness: generated <= now + KN_FEED_SKEW,
 * now < next_update, next_update - generated <= KN_FEED_MAX_TTL.
 *
 * Returns 0 with *out, or an error whose detail a person can act on:
 * KN_ERR_VERIFY when the feed is not to be trusted (signature, signer,
 * expired, not yet valid), KN_ERR_INVAL when it is no feed or its content
 * is malformed, KN_ERR_TOOBIG over a cap.
 */
int	kn_feed_verify(struct kn_feed **out, const unsigned char *der,
	    size_t len, const char *anchors_pem, time_t now,
	    const struct kn_feed_limits *lim) KN_WUR;

/* The entry of domain (any case, a trailing dot allowed), or NULL. */
const struct kn_feed_entry *kn_feed_lookup(const struct kn_feed *f,
	    const char *domain);

/* The store's root CA certificates as PEM (malloc'd): the trust anchors
 * of a receiver that is this trust center.  KN_ERR_NOTFOUND without a
 * CA. */
int	kn_feed_anchors(struct kn_db *db, char **pem) KN_WUR;

/*
 * Writes f as feed JSON (the documented member order, compact) into out.
 * f->v must be sorted; names must already be valid.  KN_ERR_TOOBIG when
 * out's cap is reached.
 */
int	kn_feed_encode(struct kn_buf *out, const struct kn_feed *f) KN_WUR;

/*
 * Signs json as a feed: CMS SignedData with eContentType KN_OID_CT_FEED,
 * signed attributes (content type, signing time, message digest), the
 * signer's certificate and chain (issuing CAs, may be NULL).  *der is
 * malloc'd.
 */
int	kn_feed_sign(unsigned char **der, size_t *len, const char *json,
	    size_t json_len, X509 *signer, EVP_PKEY *key, STACK_OF(X509) *chain)
	    KN_WUR;

/* ---- publishing (the server) ---- */

struct kn_feed_conf {
	int	 ttl;		/* seconds, generated to next_update */
	int	 check_ms;	/* how long a process serves its copy before
				   it compares it with the store and the
				   registry again */
};

/* The feed of one store, for any thread. */
struct kn_feed_pub;

/* KN_ERR_INVAL naming feed_ttl when ttl is not 600..KN_FEED_MAX_TTL. */
int	kn_feed_pub_new(struct kn_feed_pub **out,
	    const struct kn_feed_conf *conf) KN_WUR;
void	kn_feed_pub_free(struct kn_feed_pub *p);

/* What the current feed is, for HTTP caching. */
struct kn_feed_info {
	int64_t	 serial;
	time_t	 generated;	/* Last-Modified */
	time_t	 next_update;
	time_t	 refresh_at;	/* when a new one will be signed at the
				   latest (half its life) */
	size_t	 skipped;	/* registry rows left out: not valid for a
				   feed (names the verifier would refuse) */
	char	 etag[40];	/* quoted, from the DER's SHA-256 */
	char	 signer[KN_SERIAL_HEX];
	bool	 made;		/* this call signed it */
	char	 late[256];	/* why a new feed is due but was not signed
				   (the store or the token failed), or "" */
};

/*
 * The current feed: this process's copy while it is younger than
 * check_ms, else the stored one after comparing it with the registry,
 * signing a new one first when it is missing, says something else than
 * the registry, is past half its life, or was signed by a signer that is
 * no longer the current one (revoked, renewed).  A new signer is made
 * when there is none or the newest ends within 30 days.  env NULL (no
 * keys), or signing failing: the stored feed while it has not expired
 * (info->late says why signing failed).
 *
 * *der (malloc'd) may be skipped with der NULL.  Returns 0, or
 * KN_ERR_NOTFOUND / KN_ERR_STATE with a detail when no valid feed can be
 * given.
 */
int	kn_feed_current(struct kn_feed_pub *p, struct kn_db *db,
	    const struct kn_ca_env *env, struct kn_feed_info *info,
	    unsigned char **der, size_t *len) KN_WUR;

/*
 * For a background thread: kn_feed_current() without the DER, but only
 * once a feed has been published (the first is made when someone asks for
 * it, so that a trust center nobody fetches a feed from signs none).
 * KN_ERR_NOTFOUND, without a detail, when none has been.
 */
int	kn_feed_refresh(struct kn_feed_pub *p, struct kn_db *db,
	    const struct kn_ca_env *env, struct kn_feed_info *info) KN_WUR;

/* The signer that signs feeds now (made when there is none): its
 * certificate's serial and PEM (malloc'd). */
int	kn_feed_signer(struct kn_db *db, const struct kn_ca_env *env,
	    const char *actor, char serial[KN_SERIAL_HEX], char **cert_pem)
	    KN_WUR;

#endif
