/* mark.c - the trust mark's decision (mark.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mail/mark.h"

const char *
kn_mark_result_name(enum kn_mark_result r)
{
	switch (r) {
	case KN_MARK_PASS:
		return "pass";
	case KN_MARK_FAIL:
		return "fail";
	default:
		return "none";
	}
}

const char *
kn_mark_dmarc_name(enum kn_mark_dmarc d)
{
	switch (d) {
	case KN_MARK_DMARC_PASS:
		return "pass";
	case KN_MARK_DMARC_FAIL:
		return "fail";
	case KN_MARK_DMARC_TEMPERROR:
		return "temperror";
	case KN_MARK_DMARC_PERMERROR:
		return "permerror";
	default:
		return "none";
	}
}

static int
decide(struct kn_mark *out, enum kn_mark_result r, const char *fmt, ...)
    KN_PRINTF(3, 4);

static int
decide(struct kn_mark *out, enum kn_mark_result r, const char *fmt, ...)
{
	va_list ap;

	out->result = r;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* The signature that earns the mark, or else the one that best says why
 * none does. */
struct scan {
	const struct kn_mark_dkim	*good;		/* pass, d= exact, no
							   l= */
	const struct kn_mark_dkim	*with_l;	/* pass, d= exact, l= */
	const struct kn_mark_dkim	*broken;	/* d= exact, failed */
	const struct kn_mark_dkim	*elsewhere;	/* pass, another d= */
	char				 elsewhere_d[KN_DOMAIN_MAX + 1];
};

static void
scan_dkim(struct scan *s, const struct kn_mark_in *in, const char *from)
{
	char d[KN_DOMAIN_MAX + 1];
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < in->ndkim; i++) {
		const struct kn_mark_dkim *k = &in->dkim[i];

		/* d= compared as a domain name: case-insensitively, with a
		 * trailing dot ignored (RFC 6376 section 3.5, RFC 4343); one
		 * that is no domain name matches nothing. */
		if (kn_domain_parse(d, k->d) != 0) {
			kn_err_clear();
			continue;
		}
		if (strcmp(d, from) == 0) {
			if (k->pass && !k->has_l && s->good == NULL)
				s->good = k;
			else if (k->pass && k->has_l && s->with_l == NULL)
				s->with_l = k;
			else if (!k->pass && s->broken == NULL)
				s->broken = k;
		} else if (k->pass && s->elsewhere == NULL) {
			s->elsewhere = k;
			snprintf(s->elsewhere_d, sizeof(s->elsewhere_d), "%s",
			    d);
		}
	}
}

int
kn_mark_decide(struct kn_mark *out, const struct kn_mark_in *in)
{
	const struct kn_feed_entry *e;
	struct scan s;
	const char *issuer;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->result = KN_MARK_NONE;
	if (in->ndkim > KN_MARK_MAX_DKIM || (in->ndkim > 0 &&
	    in->dkim == NULL))
		return kn_err_set(KN_ERR_INVAL, "dkim", "more than %d DKIM "
		    "results, or none given with a count",
		    KN_MARK_MAX_DKIM);
	for (i = 0; i < in->ndkim; i++)
		if (in->dkim[i].d == NULL)
			return kn_err_set(KN_ERR_INVAL, "dkim", "DKIM result "
			    "%zu has no d=", i);

	/* One author, or nobody can say whose mark it would be (RFC 5322
	 * section 3.6.2; RFC 7489 section 6.6.1: such messages are not
	 * DMARC-checked, so they cannot pass). */
	if (!in->from_ok || in->from_domain == NULL)
		return decide(out, KN_MARK_FAIL, "no mark: the message does "
		    "not have one unambiguous author: %s", in->from_error ?
		    in->from_error : "its From header field names no single "
		    "mailbox");
	if (kn_domain_parse(out->domain, in->from_domain) != 0) {
		kn_err_clear();
		out->domain[0] = '\0';
		return decide(out, KN_MARK_FAIL, "no mark: the author's "
		    "domain %.300s is not a domain name", in->from_domain);
	}
	if (in->feed == NULL)
		return decide(out, KN_MARK_NONE, "no mark: the trust center's "
		    "list of verified mail domains cannot be used: %s",
		    in->feed_error ? in->feed_error : "none is at hand");
	issuer = in->feed->issuer;
	if ((e = kn_feed_lookup(in->feed, out->domain)) == NULL)
		return decide(out, KN_MARK_NONE, "no mark: %s is not a mail "
		    "domain that %s has verified for an organization",
		    out->domain, issuer);

	/* From here the message claims a verified organization: anything
	 * short of proof is a fail. */
	scan_dkim(&s, in, out->domain);
	if (s.good == NULL) {
		if (s.with_l != NULL)
			return decide(out, KN_MARK_FAIL, "no mark: the DKIM "
			    "signature of %s covers only the first part of the "
			    "body (l=), so text may have been added below it",
			    out->domain);
		if (s.broken != NULL)
			return decide(out, KN_MARK_FAIL, "no mark: the DKIM "
			    "signature of %s does not verify%s%s%s",
			    out->domain, s.broken->why ? " (" : "",
			    s.broken->why ? s.broken->why : "",
			    s.broken->why ? ")" : "");
		if (s.elsewhere != NULL)
			return decide(out, KN_MARK_FAIL, "no mark: the "
			    "message's DKIM signature is for %s, not the "
			    "author's domain %s", s.elsewhere_d, out->domain);
		if (in->ndkim == 0)
			return decide(out, KN_MARK_FAIL, "no mark: the message "
			    "has no DKIM signature; the mark needs one of the "
			    "author's domain %s", out->domain);
		return decide(out, KN_MARK_FAIL, "no mark: no DKIM signature "
		    "of the message verifies, and none is of the author's "
		    "domain %s", out->domain);
	}
	if (in->dmarc != KN_MARK_DMARC_PASS)
		return decide(out, KN_MARK_FAIL, "no mark: DMARC did not pass "
		    "for %s (%s)", out->domain, kn_mark_dmarc_name(in->dmarc));
	if (!in->dmarc_dkim)
		return decide(out, KN_MARK_FAIL, "no mark: DMARC passed for %s "
		    "through SPF only; the mark needs an aligned DKIM "
		    "signature", out->domain);

	out->org = e;
	out->issuer = issuer;
	snprintf(out->text, sizeof(out->text), "sent by %s (%s%scorporate "
	    "number %s), verified by %s", e->name, e->name_en ? e->name_en :
	    "", e->name_en ? ", " : "", e->number, issuer);
	return decide(out, KN_MARK_PASS, "mark: the message carries a valid "
	    "DKIM signature of its author's domain %s, DMARC passed, and %s "
	    "verified %s for %s (corporate number %s)", out->domain, issuer,
	    out->domain, e->name, e->number);
}
