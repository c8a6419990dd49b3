/*
 * dmarc.h - DMARC policy records, policy discovery, identifier alignment
 * and the verdict, in the two selectable flavours:
 *
 *   KN_DMARC_RFC7489  RFC 7489: the Organizational Domain comes from the
 *                     public suffix list (libpsl, Debian's publicsuffix
 *                     data); tags v p sp adkim aspf pct rua ruf fo rf ri.
 *   KN_DMARC_RFC9989  RFC 9989 (DMARCbis): the DNS Tree Walk (at most 8
 *                     queries per walk), psd=y/n/u, np for non-existent
 *                     subdomains, t=y testing; pct, rf and ri are unknown
 *                     tags there and ignored.
 *
 * The evaluation takes its inputs as plain data so that DKIM and SPF plug
 * in: the From domain, the DKIM results (d= and pass or not) and the SPF
 * result of the MAIL FROM identity.
 *
 * The From domain must come from kn_mail_from() (lib/mail/msg.h), which
 * refuses a message with several From fields or several mailboxes
 * (the OpenDMARC CVE-2019-16378 and CVE-2021-34555 class): this module
 * sees exactly one domain or none, and a string that is not one valid
 * domain name gives permerror, never pass.
 *
 * Bad records never crash and never turn into a pass.  All DNS goes
 * through lib/dns (kn_dns_txt); the verdict says whether every answer it
 * rests on was DNSSEC-validated.
 */
#ifndef KN_MAIL_DMARC_H
#define KN_MAIL_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "dns/dns.h"

#define KN_DMARC_DOMAIN_MAX	253	/* RFC 1035 section 2.3.4 */
#define KN_DMARC_MAX_RECORD	4096	/* bytes of one record */
#define KN_DMARC_MAX_TAGS	32	/* tags in one record */
#define KN_DMARC_MAX_URIS	8	/* rua / ruf URIs kept (more are
					   checked, then dropped) */
#define KN_DMARC_MAX_DKIM	16	/* DKIM results considered */
#define KN_DMARC_WALK_MAX	8	/* RFC 9989 section 4.10 */
#define KN_DMARC_MAX_QUERIES	64	/* distinct DNS queries per verdict */

/* The default public suffix list (Debian's publicsuffix package). */
#define KN_DMARC_PSL_FILE \
	"/usr/share/publicsuffix/public_suffix_list.dafsa"

enum kn_dmarc_mode {
	KN_DMARC_RFC7489 = 7489,
	KN_DMARC_RFC9989 = 9989,
};

enum kn_dmarc_policy {
	KN_DMARC_POLICY_UNSET = 0,	/* tag absent */
	KN_DMARC_POLICY_NONE,
	KN_DMARC_POLICY_QUARANTINE,
	KN_DMARC_POLICY_REJECT,
};

/* fo= options (kn_dmarc_record.fo). */
enum {
	KN_DMARC_FO_0 = 1u << 0,
	KN_DMARC_FO_1 = 1u << 1,
	KN_DMARC_FO_D = 1u << 2,
	KN_DMARC_FO_S = 1u << 3,
};

struct kn_dmarc_record {
	enum kn_dmarc_mode	 mode;
	enum kn_dmarc_policy	 p;	/* never UNSET after a parse */
	enum kn_dmarc_policy	 sp;	/* UNSET: absent */
	enum kn_dmarc_policy	 np;	/* UNSET: absent (RFC 9989 only) */
	bool			 p_implied;	/* p=none was implied: p absent
						   (RFC 9989 4.7) or absent or
						   invalid with a valid rua
						   (RFC 7489 6.6.3, RFC 9989
						   4.10.1) */
	bool			 adkim_strict;
	bool			 aspf_strict;
	char			 psd;	/* 'y', 'n' or 'u' (RFC 9989) */
	bool			 testing;	/* t=y (RFC 9989) */
	int			 pct;	/* 0..100 (RFC 7489); 100 else */
	unsigned		 fo;	/* KN_DMARC_FO_* */
	uint32_t		 ri;	/* seconds (RFC 7489) */
	char			 rf[64];	/* RFC 7489, e.g. "afrf" */
	char			*rua[KN_DMARC_MAX_URIS];
	size_t			 nrua;
	char			*ruf[KN_DMARC_MAX_URIS];
	size_t			 nruf;
};

/*
 * True when txt begins with the version tag "v=DMARC1" (RFC 7489 section
 * 6.6.3 step 3, RFC 9989 section 4.10 step 2): other TXT records at a
 * _dmarc name are discarded before records are counted.
 */
bool	kn_dmarc_record_is_dmarc(const char *txt, size_t len);

/*
 * Parses one DMARC record (the TXT character-strings joined) under the
 * tag set of mode.  Returns 0 and fills *out, KN_ERR_INVAL with a detail
 * naming the RFC section when it is not a valid record (*out is then
 * empty), KN_ERR_TOOBIG over KN_DMARC_MAX_RECORD, or KN_ERR_NOMEM.
 * Unknown tags are ignored; a duplicated tag, a bad value of a known tag,
 * or a record not starting with v=DMARC1 are errors (a syntactically
 * incorrect record is the permerror of RFC 7489 section 11.2), except
 * that a missing or invalid p with a valid rua URI is p=none as both RFCs
 * require.
 */
int	kn_dmarc_record_parse(struct kn_dmarc_record *out, const char *txt,
	    size_t len, enum kn_dmarc_mode mode) KN_WUR;
void	kn_dmarc_record_cleanup(struct kn_dmarc_record *r);

/* SPF results (RFC 7208 section 2.6), as the SPF module reports them. */
enum kn_dmarc_spf {
	KN_DMARC_SPF_NONE = 0,
	KN_DMARC_SPF_NEUTRAL,
	KN_DMARC_SPF_PASS,
	KN_DMARC_SPF_FAIL,
	KN_DMARC_SPF_SOFTFAIL,
	KN_DMARC_SPF_TEMPERROR,
	KN_DMARC_SPF_PERMERROR,
};

/* "pass" etc. (ASCII case ignored) to the enum: 0 or KN_ERR_INVAL. */
int	kn_dmarc_spf_parse(enum kn_dmarc_spf *out, const char *s) KN_WUR;
const char *kn_dmarc_spf_name(enum kn_dmarc_spf r);

struct kn_dmarc_dkim {
	const char	*domain;	/* the signature's d= */
	bool		 pass;
};

struct kn_dmarc_input {
	const char		 *from_domain;	/* from kn_mail_from() */
	const struct kn_dmarc_dkim *dkim;
	size_t			  ndkim;
	/*
	 * SPF: the result for the MAIL FROM identity.  When the reverse-path
	 * is null (mailfrom_domain NULL or ""), that identity is
	 * postmaster@<HELO> (RFC 7208 section 2.4) and helo_domain is the
	 * SPF domain; otherwise helo_domain is never used for alignment,
	 * whatever a HELO check said (OpenDMARC CVE-2019-20790).
	 */
	const char		 *mailfrom_domain;
	const char		 *helo_domain;
	enum kn_dmarc_spf	  spf;
	int			  sample;	/* RFC 7489 pct: 0..99, or -1
						   to draw at random */
};

enum kn_dmarc_result {
	KN_DMARC_NONE = 0,	/* no policy applies */
	KN_DMARC_PASS,
	KN_DMARC_FAIL,
	KN_DMARC_TEMPERROR,
	KN_DMARC_PERMERROR,
};

/* kn_dmarc_verdict.aligned */
enum {
	KN_DMARC_ALIGNED_DKIM = 1u << 0,
	KN_DMARC_ALIGNED_SPF = 1u << 1,
};

struct kn_dmarc_verdict {
	enum kn_dmarc_mode	 mode;
	enum kn_dmarc_result	 result;
	/* What to do with the message: none unless result is fail. */
	enum kn_dmarc_policy	 policy;
	/* What the record asks for this From domain, before t= / pct=. */
	enum kn_dmarc_policy	 requested;
	const char		*policy_tag;	/* "p", "sp", "np" or NULL */
	char			 from_domain[KN_DMARC_DOMAIN_MAX + 1];
	char			 policy_domain[KN_DMARC_DOMAIN_MAX + 1];
	char			 org_domain[KN_DMARC_DOMAIN_MAX + 1];
	bool			 from_nxdomain;	/* checked for np= only */
	unsigned		 aligned;	/* KN_DMARC_ALIGNED_* */
	char			 dkim_domain[KN_DMARC_DOMAIN_MAX + 1];
	char			 spf_domain[KN_DMARC_DOMAIN_MAX + 1];
	bool			 spf_helo;	/* spf_domain is the HELO */
	bool			 dnssec;	/* every DNS answer used was
						   DNSSEC-validated */
	bool			 have_record;
	struct kn_dmarc_record	 record;	/* the policy record */
	char			**queried;	/* TXT names asked, in order */
	size_t			 nqueried;
	char			 reason[768];	/* for a person */
};

struct kn_dmarc;

/*
 * A DMARC evaluator.  dns may be NULL (every lookup is then a temperror;
 * useful for RFC 7489 organizational domains, which need no DNS).
 * psl_file: NULL for KN_DMARC_PSL_FILE; read in RFC 7489 mode only, as a
 * DAFSA or the text list.  Returns 0, KN_ERR_CONFIG when the list cannot
 * be loaded, or KN_ERR_NOMEM.  The evaluator borrows dns.
 */
int	kn_dmarc_new(struct kn_dmarc **out, struct kn_dns *dns,
	    enum kn_dmarc_mode mode, const char *psl_file) KN_WUR;
void	kn_dmarc_free(struct kn_dmarc *d);

/*
 * The Organizational Domain of domain: RFC 7489 section 3.2 (public
 * suffix list; a public suffix is its own) or RFC 9989 section 4.10.2
 * (DNS Tree Walk).  out holds the lowercased name.  Returns 0,
 * KN_ERR_INVAL for a name that is not a domain, KN_ERR_DNS when a lookup
 * of the walk failed.
 */
int	kn_dmarc_org_domain(struct kn_dmarc *d,
	    char out[KN_DMARC_DOMAIN_MAX + 1], const char *domain) KN_WUR;

/*
 * Evaluates one message.  Always produces a verdict (result, policy,
 * reason in words) and returns 0, or KN_ERR_NOMEM.  Clean *out up with
 * kn_dmarc_verdict_cleanup() either way.
 */
int	kn_dmarc_eval(struct kn_dmarc *d, struct kn_dmarc_verdict *out,
	    const struct kn_dmarc_input *in) KN_WUR;
void	kn_dmarc_verdict_cleanup(struct kn_dmarc_verdict *v);

/* "none", "pass", "fail", "temperror", "permerror". */
const char *kn_dmarc_result_name(enum kn_dmarc_result r);
/* "none", "quarantine", "reject" ("unset" for UNSET). */
const char *kn_dmarc_policy_name(enum kn_dmarc_policy p);

#endif
