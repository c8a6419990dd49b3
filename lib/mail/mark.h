/*
 * mark.h - the trust mark (安心マーク): whether a message may be shown as
 * sent by a verified organization, and the words for a person.
 *
 * Pure logic over plain data: the author domain (kn_mail_from()), the
 * DMARC verdict, the DKIM results and the verified feed of mail domains
 * (registry/feed.h) come from the layers that compute them; nothing here
 * parses a message or asks DNS.
 *
 * The mark passes only when all of these hold:
 *  - the message has exactly one author (one From field with one
 *    mailbox);
 *  - a validly signed, fresh feed is at hand, and lists the author
 *    domain;
 *  - a DKIM signature verified whose d= is exactly the author domain (not
 *    a parent, not a subdomain) and that has no l= (a body length limit
 *    lets anyone append text below the signed part);
 *  - DMARC passed, through an aligned DKIM signature.
 *
 * Results: pass (show the organization); fail (the author domain is a
 * verified organization's, or the author is ambiguous, and the message
 * does not prove it came from there: show no mark, and a receiver may
 * warn); none (nothing to show: no usable feed, or the domain is not one
 * the registry verified).  Every result comes with its reason in words.
 */
#ifndef KN_MAIL_MARK_H
#define KN_MAIL_MARK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "registry/feed.h"

enum kn_mark_result {
	KN_MARK_NONE,
	KN_MARK_PASS,
	KN_MARK_FAIL,
};

/* The DMARC verdict for the author domain (RFC 7489 / RFC 9989). */
enum kn_mark_dmarc {
	KN_MARK_DMARC_NONE,		/* no DMARC record, or not evaluated */
	KN_MARK_DMARC_PASS,
	KN_MARK_DMARC_FAIL,
	KN_MARK_DMARC_TEMPERROR,
	KN_MARK_DMARC_PERMERROR,
};

/* One DKIM-Signature's result (RFC 6376). */
struct kn_mark_dkim {
	const char	*d;		/* its d= (SDID) */
	bool		 pass;		/* verified */
	bool		 has_l;		/* it carries l= */
	const char	*why;		/* why it did not verify, or NULL */
};

#define KN_MARK_MAX_DKIM	64	/* results looked at */

struct kn_mark_in {
	bool			 from_ok;	/* exactly one author mailbox */
	const char		*from_domain;	/* its domain (A-label) */
	const char		*from_error;	/* why not from_ok, or NULL */
	enum kn_mark_dmarc	 dmarc;
	bool			 dmarc_dkim;	/* DMARC passed through an
						   aligned DKIM signature */
	const struct kn_mark_dkim *dkim;
	size_t			 ndkim;
	const struct kn_feed	*feed;		/* verified and fresh, or
						   NULL */
	const char		*feed_error;	/* why there is none, or
						   NULL */
};

struct kn_mark {
	enum kn_mark_result	 result;
	char			 domain[KN_DOMAIN_MAX + 1]; /* the author
							       domain, or "" */
	char			 reason[1024];	/* why, for a person */
	/* On pass: the organization (points into in->feed) and the words
	 * to show: "sent by <name> (<name_en>, corporate number <n>),
	 * verified by <issuer>". */
	const struct kn_feed_entry *org;
	const char		*issuer;	/* into in->feed */
	char			 text[1024];
};

/*
 * Decides the mark for in into *out.  Returns 0 (the decision, whatever
 * it is, is in out->result and out->reason) or KN_ERR_INVAL when in is
 * not usable (more than KN_MARK_MAX_DKIM results, a NULL d=).
 */
int	kn_mark_decide(struct kn_mark *out, const struct kn_mark_in *in)
	    KN_WUR;

/* "pass", "fail", "none". */
const char *kn_mark_result_name(enum kn_mark_result r);
/* "none", "pass", "fail", "temperror", "permerror". */
const char *kn_mark_dmarc_name(enum kn_mark_dmarc d);

#endif
