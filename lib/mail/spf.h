/*
 * spf.h - Sender Policy Framework (RFC 7208): is this client allowed to
 * send mail for the domain of its MAIL FROM (or HELO) identity?
 *
 * kn_spf_check() runs check_host() (RFC 7208 section 4) for one identity
 * and returns plain data: the result, the domain checked, the deciding
 * term and a reason a person can read that names the RFC section.  DNS
 * goes through lib/dns (one cached libunbound context); the lookups are
 * capped three ways: RFC 7208's 10 DNS-querying terms and 2 void lookups
 * (section 4.6.4), a per-message query budget shared by every check made
 * for one message, and a wall-clock limit.
 *
 * The record parser (kn_spf_parse) and the macro expander
 * (kn_spf_expand) are exported on their own: they read untrusted text
 * and are fuzzed separately.
 *
 * Threads: a check uses only its own request and verdict and the shared
 * struct kn_dns (see dns.h), so checks may run on several threads at
 * once.
 */
#ifndef KN_MAIL_SPF_H
#define KN_MAIL_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "dns/dns.h"

/* The results of RFC 7208 section 2.6, named as in RFC 8601. */
enum kn_spf_result {
	KN_SPF_NONE = 0,
	KN_SPF_NEUTRAL,
	KN_SPF_PASS,
	KN_SPF_FAIL,
	KN_SPF_SOFTFAIL,
	KN_SPF_TEMPERROR,
	KN_SPF_PERMERROR,
};

/* Which identity is checked (RFC 7208 sections 2.3 and 2.4). */
enum kn_spf_identity {
	KN_SPF_MAILFROM = 0,
	KN_SPF_HELO,
};

#define KN_SPF_MAX_LOOKUPS	10	/* RFC 7208 section 4.6.4 */
#define KN_SPF_MAX_VOID		2	/* RFC 7208 section 4.6.4 */
#define KN_SPF_MAX_NAMES	10	/* MX or PTR names per term, ditto */
#define KN_SPF_MAX_QUERIES	150	/* default per-message DNS budget */
#define KN_SPF_MAX_MS		20000	/* default wall-clock limit */
#define KN_SPF_RECORD_MAX	4096	/* bytes of one SPF record */
#define KN_SPF_MAX_TERMS	256	/* terms of one SPF record */
#define KN_SPF_SENDER_MAX	512	/* bytes of <sender> */
#define KN_SPF_EXP_MAX		512	/* bytes of an explanation */
#define KN_SPF_EXPAND_MAX	16384	/* bytes of one macro expansion */

/* What a check is about.  Strings are NUL-terminated; NULL is "". */
struct kn_spf_request {
	const char	*ip;		/* the SMTP client, IPv4 or IPv6 text */
	const char	*helo;		/* the HELO/EHLO argument */
	const char	*mailfrom;	/* MAIL FROM address, no <>; "": null */
	const char	*receiver;	/* our host name (%{r}); "unknown" */
	time_t		 now;		/* %{t}; 0: the clock */
	/*
	 * DNS queries this message may still make, shared by every check
	 * made for it; NULL: KN_SPF_MAX_QUERIES for this check alone.
	 */
	struct kn_dns_budget *budget;
	unsigned	 max_ms;	/* wall-clock limit; 0: KN_SPF_MAX_MS */
};

/* The outcome: plain data, no pointers. */
struct kn_spf_verdict {
	enum kn_spf_result	 result;
	enum kn_spf_identity	 identity;
	char	domain[KN_DNS_NAME_MAX + 1];	/* the domain checked */
	char	sender[KN_SPF_SENDER_MAX + 1];	/* <sender> as checked */
	char	mechanism[128];	/* the deciding term, e.g. "-all"; "" */
	char	reason[768];	/* a sentence naming the RFC section */
	/* exp= text of the sender's domain on fail (third-party text). */
	char	explanation[KN_SPF_EXP_MAX + 1];
	bool	secure;		/* every DNS answer used was validated */
	unsigned lookups;	/* DNS-querying terms (limit 10) */
	unsigned void_lookups;	/* ... that found nothing (limit 2) */
	unsigned queries;	/* DNS queries made */
};

/*
 * Checks the identity of req (MAIL FROM: the address's domain, or for a
 * null reverse-path postmaster@HELO; HELO: the HELO name) for the client
 * req->ip.  Every SPF result, temperror and permerror included, is
 * success (0) with the verdict in *out.  KN_ERR_INVAL when req->ip is not
 * an IP address; KN_ERR_NOMEM.
 */
int	kn_spf_check(struct kn_dns *dns, struct kn_spf_verdict *out,
	    const struct kn_spf_request *req, enum kn_spf_identity id) KN_WUR;

/* "none", "neutral", "pass", "fail", "softfail", "temperror",
 * "permerror". */
const char *kn_spf_result_str(enum kn_spf_result r);

/* ------------------------------------------------------------------ */
/* The record parser (RFC 7208 sections 4.5, 4.6, 5 and 6).            */

enum kn_spf_mech {
	KN_SPF_ALL = 0,
	KN_SPF_INCLUDE,
	KN_SPF_A,
	KN_SPF_MX,
	KN_SPF_PTR,
	KN_SPF_IP4,
	KN_SPF_IP6,
	KN_SPF_EXISTS,
};

struct kn_spf_term {
	enum kn_spf_mech	 mech;
	enum kn_spf_result	 qualifier;	/* pass, fail, softfail,
						   neutral */
	struct kn_slice		 text;		/* the whole term */
	struct kn_slice		 domain;	/* domain-spec; len 0: none */
	unsigned char		 addr[16];	/* ip4 (4 bytes) or ip6 */
	unsigned		 cidr4;		/* 0 to 32; default 32 */
	unsigned		 cidr6;		/* 0 to 128; default 128 */
};

/* A parsed record; slices point into the text given to kn_spf_parse. */
struct kn_spf_record {
	struct kn_spf_term	 term[KN_SPF_MAX_TERMS];
	size_t			 n;
	struct kn_slice		 redirect;	/* len 0: none */
	struct kn_slice		 exp;		/* len 0: none */
	size_t			 dns_terms;	/* include a mx ptr exists */
};

/*
 * True when the TXT record is an SPF record: "v=spf1" in any case,
 * followed by a space or the end (RFC 7208 section 4.5).
 */
bool	kn_spf_is_record(const char *txt, size_t len);
/*
 * Parses an SPF record (starting with "v=spf1").  0, or KN_ERR_INVAL with
 * the detail naming the term and the RFC section (a permerror),
 * KN_ERR_TOOBIG over KN_SPF_RECORD_MAX bytes or KN_SPF_MAX_TERMS terms.
 */
int	kn_spf_parse(struct kn_spf_record *out, const char *rec, size_t len)
	    KN_WUR;

/* ------------------------------------------------------------------ */
/* The macro expander (RFC 7208 section 7).                            */

/* The values macro letters stand for; NULL strings expand to "". */
struct kn_spf_macros {
	const char	*sender;	/* s */
	const char	*local;		/* l */
	const char	*sender_domain;	/* o */
	const char	*domain;	/* d */
	const char	*helo;		/* h */
	const char	*ptr;		/* p (validated name, or "unknown") */
	const char	*receiver;	/* r */
	long long	 now;		/* t */
	int		 family;	/* i, c, v: 4 or 6 */
	unsigned char	 ip[16];
};

enum kn_spf_macro_mode {
	KN_SPF_DOMAIN_SPEC = 0,	/* no space; c, r, t not allowed */
	KN_SPF_MACRO_STRING,	/* unknown modifiers: no space */
	KN_SPF_EXPLAIN_STRING,	/* exp= text: spaces; c, r, t allowed */
};

/*
 * Expands the macro-string s (len bytes) into out (whose cap bounds the
 * result).  m NULL: only checks the syntax.  0; KN_ERR_INVAL for a
 * syntax error, with the detail naming it and RFC 7208 section 7;
 * KN_ERR_TOOBIG when the result would pass out's cap.
 */
int	kn_spf_expand(struct kn_buf *out, const struct kn_spf_macros *m,
	    const char *s, size_t len, enum kn_spf_macro_mode mode) KN_WUR;

#endif
