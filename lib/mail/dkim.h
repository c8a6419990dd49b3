/*
 * dkim.h - DKIM signatures (RFC 6376, updated by RFC 8301 and RFC 8463):
 * signing and verifying rsa-sha256 and ed25519-sha256.
 *
 * Verification gives one result per DKIM-Signature header field, as
 * plain data (kn_dkim_result) that DMARC, the trust mark and the
 * Authentication-Results writer take as they are: the signing domain d=,
 * the result, and a reason a person can read that names the RFC section.
 * Key records come from DNS (lib/dns) or from any other source of TXT
 * records (kn_dkim_verify_opts.lookup).
 *
 * Speed: the body is never copied.  It is canonicalized and hashed once
 * per (canonicalization, l=, hash) combination however many signatures
 * share it; fetched keys can be kept by the verifier (cache_secs).
 *
 * Signing: a signer loads its private key once and signs any number of
 * messages; several signers (say RSA and Ed25519 of one domain) sign one
 * message sharing the body hash.  The signature header field is written
 * first and hashed exactly as written.
 *
 * Neither a verifier nor a signer may be used by two threads at once;
 * make one per thread.
 */
#ifndef KN_MAIL_DKIM_H
#define KN_MAIL_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/err.h"
#include "dns/dns.h"
#include "mail/msg.h"

/* Caps. */
#define KN_DKIM_MAX_TAGS	64	/* tags in one tag-list */
#define KN_DKIM_MAX_H		128	/* names in h= */
#define KN_DKIM_MAX_SIG_LEN	1024	/* b= decoded: RSA-8192 */
#define KN_DKIM_MAX_KEY_LEN	1280	/* p= decoded: RSA-8192 SPKI */
#define KN_DKIM_MIN_RSA_BITS	1024	/* RFC 8301 section 3.2 */
#define KN_DKIM_MAX_RSA_BITS	8192
#define KN_DKIM_NAME_MAX	253	/* d=, s=, and s._domainkey.d */
#define KN_DKIM_AUID_MAX	320	/* i= */
#define KN_DKIM_REASON_MAX	512

/* Defaults of kn_dkim_verify_opts. */
#define KN_DKIM_SKEW		300	/* seconds of clock skew for t=/x= */
#define KN_DKIM_MAX_SIGS	8	/* signatures evaluated per message */
#define KN_DKIM_MAX_LOOKUPS	8	/* key lookups per message */
#define KN_DKIM_MAX_RESULTS	32	/* results listed per message */

enum kn_dkim_alg {
	KN_DKIM_ALG_UNKNOWN = 0,
	KN_DKIM_RSA_SHA256,
	KN_DKIM_ED25519_SHA256,
	KN_DKIM_RSA_SHA1,	/* historic: never passes (RFC 8301) */
};

/* Zero is relaxed, the signer's default. */
enum kn_dkim_canon {
	KN_DKIM_RELAXED = 0,
	KN_DKIM_SIMPLE,
};

enum kn_dkim_keytype {
	KN_DKIM_KEY_RSA = 0,
	KN_DKIM_KEY_ED25519,
};

/* "rsa-sha256", "ed25519-sha256", "rsa-sha1", or "unknown". */
const char	*kn_dkim_alg_name(enum kn_dkim_alg a);
/* "simple" or "relaxed". */
const char	*kn_dkim_canon_name(enum kn_dkim_canon c);

/*
 * Tag lists (RFC 6376 section 3.2), the syntax of both the signature
 * header field and key records.  Values are trimmed of surrounding
 * whitespace; folding inside them is kept.  val_start/val_end are the
 * offsets in the input of everything between "=" and the ";" or end (the
 * region verification deletes from b=).
 */
struct kn_dkim_tag {
	struct kn_slice	name;
	struct kn_slice	value;
	size_t		val_start;
	size_t		val_end;
};

struct kn_dkim_tags {
	struct kn_dkim_tag	v[KN_DKIM_MAX_TAGS];
	size_t			n;
};

/*
 * Parses a tag-list.  KN_ERR_INVAL with a detail naming RFC 6376 section
 * 3.2 for a malformed list or a duplicated tag, KN_ERR_TOOBIG over
 * KN_DKIM_MAX_TAGS.
 */
int	kn_dkim_tags_parse(struct kn_dkim_tags *out, const char *p, size_t len)
	    KN_WUR;
/* The tag named name (case-sensitive, as section 3.2 says), or NULL. */
const struct kn_dkim_tag *kn_dkim_tags_get(const struct kn_dkim_tags *t,
	    const char *name);

/* A DKIM-Signature header field's value, parsed (RFC 6376 section 3.5). */
struct kn_dkim_sig {
	enum kn_dkim_alg	alg;
	char			a[32];		/* a= as written (cut) */
	enum kn_dkim_canon	hcanon;
	enum kn_dkim_canon	bcanon;
	char			d[KN_DKIM_NAME_MAX + 1];  /* lowercased */
	char			s[KN_DKIM_NAME_MAX + 1];  /* lowercased */
	char			i[KN_DKIM_AUID_MAX + 1];  /* "@d" when absent */
	bool			has_l;
	uint64_t		l;		/* saturates at UINT64_MAX */
	bool			has_t;
	int64_t			t;
	bool			has_x;
	int64_t			x;
	unsigned char		bh[64];
	size_t			bh_len;
	unsigned char		b[KN_DKIM_MAX_SIG_LEN];
	size_t			b_len;
	char			b_head[16];	/* first characters of b=,
						   for header.b (RFC 6008) */
	struct kn_slice		h[KN_DKIM_MAX_H];  /* into the value */
	size_t			nh;
	size_t			b_start;	/* region of the b= value in */
	size_t			b_end;		/* the parsed text */
};

/*
 * Parses and checks the value of a DKIM-Signature field (after the colon)
 * as RFC 6376 section 6.1.1 says: required tags, v=1, i= within d=, From
 * in h=, q=dns/txt, x= after t=.  An unknown a= parses (alg
 * KN_DKIM_ALG_UNKNOWN) and so does rsa-sha1: the verifier decides.  On
 * KN_ERR_INVAL (detail: the problem and the RFC section) whatever of d=
 * and s= could be read is still in *out.
 */
int	kn_dkim_sig_parse(struct kn_dkim_sig *out, const char *value,
	    size_t len) KN_WUR;

/* A key record (RFC 6376 section 3.6.1, RFC 8463 section 4). */
struct kn_dkim_key {
	enum kn_dkim_keytype	type;
	bool			revoked;	/* p= empty */
	bool			testing;	/* t=y */
	bool			strict;		/* t=s: i= domain must be d= */
	bool			sha256;		/* h= allows sha256 */
	int			bits;
	EVP_PKEY		*pkey;		/* NULL when revoked */
};

/*
 * Parses a key record's text.  KN_ERR_INVAL with a detail naming the RFC
 * section for a malformed record, v= other than DKIM1, an unknown k=, a
 * service type without email, a p= that is no key of type k=, or an RSA
 * key under 1024 or over 8192 bits (RFC 8301 section 3.2).  An empty p=
 * parses with revoked set.  Free with kn_dkim_key_cleanup().
 */
int	kn_dkim_key_parse(struct kn_dkim_key *out, const char *txt,
	    size_t len) KN_WUR;
void	kn_dkim_key_cleanup(struct kn_dkim_key *k);

/*
 * Canonicalization (RFC 6376 section 3.4).  The body form is passed to
 * sink in pieces, at most limit octets of it (UINT64_MAX: all); the
 * return value is the length of the whole canonical body.
 */
typedef void	kn_dkim_sink(void *arg, const void *p, size_t n);

uint64_t kn_dkim_canon_body(enum kn_dkim_canon c, const char *body,
	    size_t len, uint64_t limit, kn_dkim_sink *sink, void *arg);
/*
 * Appends the canonical form of one header field (raw: name, colon,
 * value, folding and the ending CRLF if any) to out, with a CRLF at the
 * end when crlf is set.
 */
int	kn_dkim_canon_header(struct kn_buf *out, enum kn_dkim_canon c,
	    const char *raw, size_t len, bool crlf) KN_WUR;

/* Verification results (named as RFC 8601 section 2.7.1 names them). */
enum kn_dkim_status {
	KN_DKIM_PASS = 1,	/* zero is no result: never a pass */
	KN_DKIM_FAIL,
	KN_DKIM_NEUTRAL,
	KN_DKIM_TEMPERROR,
	KN_DKIM_PERMERROR,
	KN_DKIM_POLICY,
};

/* "pass", "fail", "neutral", "temperror", "permerror", "policy". */
const char	*kn_dkim_status_name(enum kn_dkim_status s);

struct kn_dkim_result {
	enum kn_dkim_status	status;
	char		d[KN_DKIM_NAME_MAX + 1];  /* SDID, lowercased; "" when
						     the field has none */
	char		s[KN_DKIM_NAME_MAX + 1];  /* selector */
	char		a[32];			  /* a= as written */
	char		i[KN_DKIM_AUID_MAX + 1];  /* AUID */
	char		b_head[16];		  /* header.b */
	bool		has_l;		/* l= was used: the signature may
					   not cover the whole body */
	uint64_t	l;
	uint64_t	unsigned_bytes;	/* canonical body octets after l= */
	bool		testing;	/* the key says t=y */
	bool		key_secure;	/* the key record was DNSSEC-
					   validated */
	int		key_bits;
	bool		has_t;
	int64_t		t;
	char		reason[KN_DKIM_REASON_MAX];
};

struct kn_dkim_results {
	struct kn_dkim_result	*v;	/* top to bottom of the header */
	size_t			 n;
	size_t			 unlisted;  /* fields past
					       KN_DKIM_MAX_RESULTS */
};

void	kn_dkim_results_cleanup(struct kn_dkim_results *r);
/* True when some signature of domain d (ASCII case ignored) passed. */
bool	kn_dkim_results_pass(const struct kn_dkim_results *r, const char *d);

/*
 * Where keys come from: the TXT records of a name, in kn_dns_txt() form
 * (n == 0 for none; KN_ERR_DNS for a temporary failure).
 */
typedef int	kn_dkim_lookup_fn(void *arg, const char *name,
		    struct kn_dns_txt *out);

struct kn_dkim_verify_opts {
	struct kn_dns		*dns;	/* key records from DNS, or */
	kn_dkim_lookup_fn	*lookup;	/* from this */
	void			*lookup_arg;
	time_t			 now;		/* 0: the clock */
	unsigned		 skew;		/* 0: KN_DKIM_SKEW */
	size_t			 max_sigs;	/* 0: KN_DKIM_MAX_SIGS */
	size_t			 max_lookups;	/* 0: KN_DKIM_MAX_LOOKUPS */
	unsigned		 cache_secs;	/* keep fetched keys (and their
						   absence) so long; 0: not */
	bool			 l_policy;	/* l= leaving body octets
						   unsigned: policy, not pass */
};

struct kn_dkim_verifier;

/* Copies opts (dns stays the caller's and must outlive the verifier). */
int	kn_dkim_verifier_new(struct kn_dkim_verifier **out,
	    const struct kn_dkim_verify_opts *opts) KN_WUR;
void	kn_dkim_verifier_free(struct kn_dkim_verifier *v);
/* Changes the time verifications are made at (0: the clock). */
void	kn_dkim_verifier_set_now(struct kn_dkim_verifier *v, time_t now);

/*
 * Verifies every DKIM-Signature field of m (RFC 6376 section 6).  *out
 * gets one result per field, top first (none: n == 0).  Returns 0, or
 * KN_ERR_NOMEM; a bad signature, key or DNS failure is a result, not an
 * error.
 */
int	kn_dkim_verify(struct kn_dkim_verifier *v, const struct kn_mail_msg *m,
	    struct kn_dkim_results *out) KN_WUR;

/* Signing. */
struct kn_dkim_sign_opts {
	const char		*domain;	/* d= */
	const char		*selector;	/* s= */
	const char		*identity;	/* i=, or NULL */
	enum kn_dkim_canon	 hcanon;	/* default relaxed/relaxed */
	enum kn_dkim_canon	 bcanon;
	const char		*headers;	/* colon-separated names to
						   sign; NULL: the default
						   set */
	bool			 no_oversign;	/* do not list From, To, Cc,
						   Subject, Date, Reply-To,
						   Message-ID once more than
						   they occur */
	bool			 body_length;	/* write l= */
	unsigned		 expire_secs;	/* x= = t= + this; 0: no x= */
};

struct kn_dkim_signer;

/*
 * A signer of key (a new reference is taken): RSA of 1024 bits or more,
 * or Ed25519.  KN_ERR_INVAL naming the option for a bad domain, selector,
 * identity, header list or key.
 */
int	kn_dkim_signer_new(struct kn_dkim_signer **out, EVP_PKEY *key,
	    const struct kn_dkim_sign_opts *opts) KN_WUR;
/*
 * The same with the key read from a PEM file (PKCS#8, or PKCS#1 RSA;
 * pass is the passphrase of an encrypted one, or NULL).
 */
int	kn_dkim_signer_load(struct kn_dkim_signer **out, const char *path,
	    const char *pass, const struct kn_dkim_sign_opts *opts) KN_WUR;
void	kn_dkim_signer_free(struct kn_dkim_signer *s);
enum kn_dkim_alg kn_dkim_signer_alg(const struct kn_dkim_signer *s);

/*
 * Signs m with n signers at time now (0: the clock), appending one
 * DKIM-Signature header field per signer (folded, CRLF line ends) to out
 * in the order given; the caller puts them above the message in that
 * order.  KN_ERR_INVAL when m does not have exactly one From field (RFC
 * 6376 section 5.4, RFC 5322 section 3.6).
 */
int	kn_dkim_sign_all(struct kn_dkim_signer *const *s, size_t n,
	    const struct kn_mail_msg *m, time_t now, struct kn_buf *out)
	    KN_WUR;
int	kn_dkim_sign(struct kn_dkim_signer *s, const struct kn_mail_msg *m,
	    time_t now, struct kn_buf *out) KN_WUR;

/*
 * Keys: a new key of kind "rsa-2048", "rsa-3072", "rsa-4096" or
 * "ed25519"; the TXT record value that publishes a key's public half
 * ("v=DKIM1; k=...; p=...") appended to out.
 */
int	kn_dkim_keygen(EVP_PKEY **out, const char *kind) KN_WUR;
int	kn_dkim_key_record(struct kn_buf *out, EVP_PKEY *key) KN_WUR;
/*
 * Writes key to a new file path (mode 0600, never over an existing file:
 * KN_ERR_EXISTS) as unencrypted PKCS#8 PEM, the form mail servers load
 * unattended.
 */
int	kn_dkim_key_save(EVP_PKEY *key, const char *path) KN_WUR;

#endif
