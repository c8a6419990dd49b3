/*
 * dns.h - every DNS lookup kakuin makes goes through here (libunbound).
 *
 * One resolver setting for the whole process: the system's resolv.conf by
 * default, or "ADDR@PORT" (KAKUIN_RESOLVER or the config's resolver key)
 * to send every query to one server, as tests do with their DNS server on
 * loopback.  With a trust anchor file, answers are DNSSEC-validated and the
 * result says whether they were secure.
 *
 * One struct kn_dns holds one libunbound context, and with it one cache:
 * make it once per process (or per worker pool) and reuse it; answers are
 * served from the cache until their TTL runs out.
 *
 * Threads: kn_dns_new(), kn_dns_set_timeout() and kn_dns_free() belong to
 * one thread, before and after the lookups.  In between, any number of
 * threads may call the lookup functions on the same struct kn_dns at once
 * (libunbound locks its context and cache; each call runs its own
 * worker).  Results and budgets belong to the caller's thread.
 */
#ifndef KN_DNS_DNS_H
#define KN_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct kn_dns;

#define KN_DNS_MAX_TXT	32	/* TXT records kn_dns_txt() keeps per name */
#define KN_DNS_MAX_RR	128	/* records kn_dns_lookup() keeps per answer */
#define KN_DNS_NAME_MAX	253	/* a name in text, without the final dot */
#define KN_DNS_LABEL_MAX 63	/* RFC 1035 section 2.3.4 */

/* Record types kn_dns_lookup() decodes (RFC 1035, RFC 3596). */
enum kn_dns_type {
	KN_DNS_A = 1,
	KN_DNS_PTR = 12,
	KN_DNS_MX = 15,
	KN_DNS_TXT = 16,
	KN_DNS_AAAA = 28,
};

/* What the DNS said. */
enum kn_dns_status {
	KN_DNS_OK = 0,		/* records of the type were found */
	KN_DNS_NODATA,		/* the name exists, no records of the type */
	KN_DNS_NXDOMAIN,	/* the name does not exist (RCODE 3) */
	KN_DNS_TEMPFAIL,	/* SERVFAIL, another RCODE, timeout: retry */
	KN_DNS_BOGUS,		/* the answer failed DNSSEC validation */
};

/* One record of an answer. */
struct kn_dns_rr {
	/*
	 * TXT: the record's character-strings joined with nothing between
	 * them (it may hold NUL bytes: len is authoritative); MX, PTR: the
	 * target name in text, no final dot ("" for the root, as in a null
	 * MX).  NUL-terminated.  NULL for A and AAAA.
	 */
	char		*text;
	size_t		 len;
	unsigned	 pref;		/* MX preference */
	unsigned char	 addr[16];	/* A: 4 bytes, AAAA: 16 */
};

struct kn_dns_answer {
	enum kn_dns_type	 type;
	enum kn_dns_status	 status;
	bool			 secure;	/* DNSSEC validated */
	int			 rcode;		/* the DNS RCODE */
	size_t			 n;		/* records kept in rr */
	size_t			 total;		/* records in the answer */
	struct kn_dns_rr	*rr;
};

/*
 * Queries one piece of work (one message) may cost.  Each lookup made
 * with a budget counts one query; once used reaches max, lookups fail
 * with KN_ERR_TOOBIG without asking the DNS.  max 0: no cap.
 */
struct kn_dns_budget {
	unsigned	used;
	unsigned	max;
};

/* The result of kn_dns_txt(), the TXT-only lookup. */
struct kn_dns_txt {
	char	**txt;		/* each record's strings concatenated */
	size_t	  n;
	bool	  nxdomain;
	bool	  secure;	/* DNSSEC validated */
};

/*
 * resolver: NULL or "" for the system's, else "ADDR" or "ADDR@PORT".
 * anchor: NULL, or a file of trust anchors (DS or DNSKEY records in zone
 * file format, e.g. /usr/share/dns/root.key) to enable DNSSEC validation.
 */
int	kn_dns_new(struct kn_dns **out, const char *resolver,
	    const char *anchor) KN_WUR;
void	kn_dns_free(struct kn_dns *dns);
/*
 * Caps how long one query waits for a server that does not answer
 * (libunbound's infra-cache-max-rtt), in milliseconds; after retries a
 * dead server costs about twice this.  Only before the first lookup.
 * Default: libunbound's (120 s cap; about 17 s for a dead server).
 */
int	kn_dns_set_timeout(struct kn_dns *dns, unsigned ms) KN_WUR;
/* "system" or the configured ADDR@PORT. */
const char *kn_dns_resolver(const struct kn_dns *dns);

/*
 * Looks up the records of one type at name (text, labels separated by
 * dots, a final dot optional; every byte of a label is taken literally).
 * Returns 0 when the DNS answered: status KN_DNS_OK, KN_DNS_NODATA or
 * KN_DNS_NXDOMAIN.  KN_ERR_DNS when it did not: status KN_DNS_TEMPFAIL or
 * KN_DNS_BOGUS, with the detail set.  KN_ERR_INVAL when name cannot be
 * put in a query (empty label, label over 63 or name over 253 bytes);
 * KN_ERR_TOOBIG when budget (may be NULL) is spent.  Records beyond
 * KN_DNS_MAX_RR are counted in total but not kept.  Free out with
 * kn_dns_answer_cleanup(), whatever the return.
 */
int	kn_dns_lookup(struct kn_dns *dns, struct kn_dns_budget *budget,
	    struct kn_dns_answer *out, const char *name,
	    enum kn_dns_type type) KN_WUR;
void	kn_dns_answer_cleanup(struct kn_dns_answer *a);

/* Static text for a status ("NXDOMAIN", ...), and a type ("TXT", ...). */
const char *kn_dns_status_str(enum kn_dns_status s);
const char *kn_dns_type_str(enum kn_dns_type t);

/*
 * The reverse-mapping name of an address (RFC 1035 section 3.5, RFC 3596
 * section 2.5): family 4 or 6, addr 4 or 16 bytes.  out holds at least
 * 74 bytes ("...ip6.arpa" and the NUL).
 */
void	kn_dns_reverse_name(char *out, size_t outsz, int family,
	    const unsigned char *addr);
/*
 * True when name (a final dot allowed) can be put in a query: 1 to 253
 * bytes, no empty label, no label over 63 bytes (RFC 1035 section 2.3.4).
 */
bool	kn_dns_valid_name(const char *name, size_t len);

/*
 * Looks up the TXT records of name.  A name that does not exist or has no
 * TXT records is success with n == 0.  A bogus (failed DNSSEC) answer,
 * SERVFAIL or timeout is KN_ERR_DNS.  Records holding a NUL byte are left
 * out; at most KN_DNS_MAX_TXT records are kept.
 */
int	kn_dns_txt(struct kn_dns *dns, const char *name,
	    struct kn_dns_txt *out) KN_WUR;
void	kn_dns_txt_cleanup(struct kn_dns_txt *t);

#endif
