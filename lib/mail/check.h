/*
 * check.h - one message through every mail check: DKIM, SPF, DMARC and
 * the trust mark, ending in a verdict in words and the
 * Authentication-Results field that says the same.  `kakuin mail verify`
 * and kakuin-milter both use it, so they never disagree.
 *
 * Every layer reads the message through mail/msg.h: the From domain DMARC
 * and the mark judge is the one kn_mail_from() gives, and a message whose
 * author is ambiguous gets no pass anywhere.
 */
#ifndef KN_MAIL_CHECK_H
#define KN_MAIL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "dns/dns.h"
#include "mail/dkim.h"
#include "mail/dmarc.h"
#include "mail/mark.h"
#include "mail/msg.h"
#include "mail/spf.h"
#include "registry/feed.h"

struct kn_mail_checker_conf {
	struct kn_dns		*dns;		/* borrowed */
	enum kn_dmarc_mode	 dmarc_mode;	/* 0: RFC 7489 */
	const char		*psl_file;	/* NULL: Debian's list */
	unsigned		 key_cache_secs; /* DKIM keys kept; 0: not */
};

/* What is reused from message to message: the DKIM verifier (its key
 * cache) and the DMARC evaluator (its public suffix list). */
struct kn_mail_checker;

int	kn_mail_checker_new(struct kn_mail_checker **out,
	    const struct kn_mail_checker_conf *conf) KN_WUR;
void	kn_mail_checker_free(struct kn_mail_checker *ck);

/* The SMTP session the message came in, as far as it is known. */
struct kn_mail_envelope {
	const char	*ip;		/* client address; NULL: SPF is not
					   checked */
	const char	*helo;		/* HELO/EHLO name, or NULL */
	const char	*mailfrom;	/* MAIL FROM address; "" the null
					   reverse-path; NULL unknown */
	const char	*receiver;	/* our host name, or NULL */
};

/* What a person is told, in one word. */
enum kn_mail_verdict {
	KN_MAIL_TRUSTED = 0,	/* the trust mark: a verified organization
				   sent it */
	KN_MAIL_AUTHENTIC,	/* DMARC pass: it comes from its From
				   domain, whose owner the registry does
				   not vouch for */
	KN_MAIL_UNVERIFIED,	/* nothing proves who sent it */
	KN_MAIL_FORGED,		/* it claims a sender it cannot prove, or
				   its author is ambiguous */
	KN_MAIL_CANNOT_CHECK,	/* a DNS answer is missing for now */
};

struct kn_mail_report {
	enum kn_mail_verdict	 verdict;
	char			 text[4096];	/* the verdict for a person */

	bool			 from_ok;	/* exactly one author */
	char			 from_addr[KN_SPF_SENDER_MAX + 1];
	char			 from_domain[KN_DMARC_DOMAIN_MAX + 1];
	char			*from_display;	/* decoded, or NULL */
	char			 from_error[512];

	struct kn_dkim_results	 dkim;
	/* A verified DKIM signature whose d= is in the author domain's
	 * organizational domain (relaxed alignment, RFC 7489 3.1.1);
	 * looked for only when DMARC neither passed nor failed. */
	const struct kn_dkim_result *dkim_aligned;

	bool			 spf_checked;
	bool			 spf_null;	/* null reverse-path: the HELO
						   name was checked */
	char			 spf_helo[KN_DNS_NAME_MAX + 1];
	struct kn_spf_verdict	 spf;
	char			 spf_note[640];	/* why not checked */

	struct kn_dmarc_verdict	 dmarc;

	struct kn_mark		 mark;		/* points into the feed */
	char			 feed_error[640];
};

/*
 * Checks m as it arrived per env (NULL: nothing known of the session)
 * against the verified feed (NULL, with feed_error saying why there is
 * none) at time now (0: the clock).  Every outcome is a report (clean it
 * up with kn_mail_report_cleanup() either way); returns 0, or
 * KN_ERR_NOMEM.  The report points into feed, which must outlive it.
 */
int	kn_mail_check(struct kn_mail_checker *ck, struct kn_mail_report *out,
	    const struct kn_mail_msg *m, const struct kn_mail_envelope *env,
	    const struct kn_feed *feed, const char *feed_error, time_t now)
	    KN_WUR;
void	kn_mail_report_cleanup(struct kn_mail_report *r);

/* "trusted", "authentic", "unverified", "forged", "cannot-check". */
const char *kn_mail_verdict_name(enum kn_mail_verdict v);

/*
 * The Authentication-Results field value for r under authserv_id
 * (RFC 8601; dkim, spf, dmarc and kakuin-mark), appended to out; fold as
 * for kn_authres_encode().
 */
int	kn_mail_report_authres(struct kn_buf *out,
	    const struct kn_mail_report *r, const char *authserv_id,
	    const char *fold) KN_WUR;

#endif
