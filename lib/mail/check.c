/*
 * check.c - one message through DKIM, SPF, DMARC and the trust mark (see
 * check.h).  The layers are independent modules; this file only feeds
 * each the others' results as plain data, in the order RFC 7489 section
 * 6.6 and the mark need them, and says in words what came of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/authres.h"
#include "mail/check.h"

struct kn_mail_checker {
	struct kn_dns		*dns;
	struct kn_dkim_verifier	*dkim;
	struct kn_dmarc		*dmarc;
};

int
kn_mail_checker_new(struct kn_mail_checker **out,
    const struct kn_mail_checker_conf *conf)
{
	struct kn_mail_checker *ck;
	struct kn_dkim_verify_opts vo;
	int rc;

	*out = NULL;
	if ((ck = calloc(1, sizeof(*ck))) == NULL)
		return KN_ERR_NOMEM;
	ck->dns = conf->dns;
	memset(&vo, 0, sizeof(vo));
	vo.dns = conf->dns;
	vo.cache_secs = conf->key_cache_secs;
	if ((rc = kn_dkim_verifier_new(&ck->dkim, &vo)) != 0 ||
	    (rc = kn_dmarc_new(&ck->dmarc, conf->dns, conf->dmarc_mode != 0 ?
	    conf->dmarc_mode : KN_DMARC_RFC7489, conf->psl_file)) != 0) {
		kn_mail_checker_free(ck);
		return rc;
	}
	*out = ck;
	return 0;
}

void
kn_mail_checker_free(struct kn_mail_checker *ck)
{
	if (ck == NULL)
		return;
	kn_dkim_verifier_free(ck->dkim);
	kn_dmarc_free(ck->dmarc);
	free(ck);
}

void
kn_mail_report_cleanup(struct kn_mail_report *r)
{
	kn_dkim_results_cleanup(&r->dkim);
	kn_dmarc_verdict_cleanup(&r->dmarc);
	free(r->from_display);
	r->from_display = NULL;
}

const char *
kn_mail_verdict_name(enum kn_mail_verdict v)
{
	switch (v) {
	case KN_MAIL_TRUSTED:
		return "trusted";
	case KN_MAIL_AUTHENTIC:
		return "authentic";
	case KN_MAIL_UNVERIFIED:
		return "unverified";
	case KN_MAIL_FORGED:
		return "forged";
	case KN_MAIL_CANNOT_CHECK:
		return "cannot-check";
	}
	return "unverified";
}

/* The author, exactly one mailbox, or why not. */
static int
author(struct kn_mail_report *r, const struct kn_mail_msg *m)
{
	struct kn_mail_addrs a;
	const struct kn_error *e;
	int rc;

	memset(&a, 0, sizeof(a));
	kn_err_clear();
	if ((rc = kn_mail_from(&a, m)) != 0) {
		if (rc == KN_ERR_NOMEM)
			return rc;
		e = kn_err_get();
		snprintf(r->from_error, sizeof(r->from_error), "%s",
		    e->code == rc && e->msg[0] != '\0' ? e->msg :
		    "the message has no single author (RFC 5322 section "
		    "3.6.2)");
		kn_err_clear();
		return 0;
	}
	if (strlen(a.v[0].domain) > KN_DMARC_DOMAIN_MAX) {
		snprintf(r->from_error, sizeof(r->from_error), "the author's "
		    "domain is longer than 253 characters");
		kn_mail_addrs_cleanup(&a);
		return 0;
	}
	r->from_ok = true;
	snprintf(r->from_domain, sizeof(r->from_domain), "%s",
	    a.v[0].domain);
	snprintf(r->from_addr, sizeof(r->from_addr), "%s@%s", a.v[0].local,
	    a.v[0].domain);
	if (a.v[0].display != NULL && a.v[0].display[0] != '\0' &&
	    (r->from_display = strdup(a.v[0].display)) == NULL) {
		kn_mail_addrs_cleanup(&a);
		return KN_ERR_NOMEM;
	}
	kn_mail_addrs_cleanup(&a);
	return 0;
}

/* The domain of an address ("" for the null reverse-path). */
static const char *
domain_of(const char *addr)
{
	const char *at;

	if (addr == NULL)
		return "";
	at = strrchr(addr, '@');
	return at != NULL ? at + 1 : addr;
}

static void
spf(struct kn_mail_checker *ck, struct kn_mail_report *r,
    const struct kn_mail_envelope *env, time_t now)
{
	struct kn_spf_request req;

	if (env == NULL || env->ip == NULL || env->ip[0] == '\0') {
		snprintf(r->spf_note, sizeof(r->spf_note), "not checked: the "
		    "address of the server that sent the message is not "
		    "known");
		return;
	}
	if (env->mailfrom == NULL) {
		snprintf(r->spf_note, sizeof(r->spf_note), "not checked: the "
		    "envelope sender (MAIL FROM) is not known");
		return;
	}
	r->spf_null = env->mailfrom[0] == '\0';
	snprintf(r->spf_helo, sizeof(r->spf_helo), "%s", env->helo != NULL ?
	    env->helo : "");
	memset(&req, 0, sizeof(req));
	req.ip = env->ip;
	req.helo = env->helo;
	req.mailfrom = env->mailfrom;
	req.receiver = env->receiver;
	req.now = now;
	kn_err_clear();
	if (kn_spf_check(ck->dns, &r->spf, &req, KN_SPF_MAILFROM) != 0) {
		const struct kn_error *e = kn_err_get();

		snprintf(r->spf_note, sizeof(r->spf_note), "not checked: %s",
		    e->msg[0] != '\0' ? e->msg : "the envelope is not usable");
		kn_err_clear();
		memset(&r->spf, 0, sizeof(r->spf));
		return;
	}
	r->spf_checked = true;
}

static enum kn_dmarc_spf
dmarc_spf(const struct kn_mail_report *r)
{
	if (!r->spf_checked)
		return KN_DMARC_SPF_NONE;
	switch (r->spf.result) {
	case KN_SPF_PASS:
		return KN_DMARC_SPF_PASS;
	case KN_SPF_FAIL:
		return KN_DMARC_SPF_FAIL;
	case KN_SPF_SOFTFAIL:
		return KN_DMARC_SPF_SOFTFAIL;
	case KN_SPF_NEUTRAL:
		return KN_DMARC_SPF_NEUTRAL;
	case KN_SPF_TEMPERROR:
		return KN_DMARC_SPF_TEMPERROR;
	case KN_SPF_PERMERROR:
		return KN_DMARC_SPF_PERMERROR;
	case KN_SPF_NONE:
		break;
	}
	return KN_DMARC_SPF_NONE;
}

static int
dmarc(struct kn_mail_checker *ck, struct kn_mail_report *r,
    const struct kn_mail_envelope *env)
{
	struct kn_dmarc_dkim dk[KN_DKIM_MAX_RESULTS];
	struct kn_dmarc_input in;
	size_t i, n = 0;

	if (!r->from_ok) {
		r->dmarc.result = KN_DMARC_PERMERROR;
		snprintf(r->dmarc.reason, sizeof(r->dmarc.reason), "not "
		    "evaluated: %s", r->from_error);
		return 0;
	}
	for (i = 0; i < r->dkim.n && n < KN_DKIM_MAX_RESULTS; i++) {
		if (r->dkim.v[i].d[0] == '\0')
			continue;
		dk[n].domain = r->dkim.v[i].d;
		dk[n].pass = r->dkim.v[i].status == KN_DKIM_PASS;
		n++;
	}
	memset(&in, 0, sizeof(in));
	in.from_domain = r->from_domain;
	in.dkim = dk;
	in.ndkim = n;
	if (r->spf_checked) {
		in.mailfrom_domain = domain_of(env->mailfrom);
		in.helo_domain = env->helo;
	}
	in.spf = dmarc_spf(r);
	in.sample = -1;
	return kn_dmarc_eval(ck->dmarc, &r->dmarc, &in);
}

static enum kn_mark_dmarc
mark_dmarc(enum kn_dmarc_result d)
{
	switch (d) {
	case KN_DMARC_PASS:
		return KN_MARK_DMARC_PASS;
	case KN_DMARC_FAIL:
		return KN_MARK_DMARC_FAIL;
	case KN_DMARC_TEMPERROR:
		return KN_MARK_DMARC_TEMPERROR;
	case KN_DMARC_PERMERROR:
		return KN_MARK_DMARC_PERMERROR;
	case KN_DMARC_NONE:
		break;
	}
	return KN_MARK_DMARC_NONE;
}

static int
mark(struct kn_mail_report *r, const struct kn_feed *feed,
    const char *feed_error)
{
	struct kn_mark_dkim dk[KN_DKIM_MAX_RESULTS];
	struct kn_mark_in in;
	size_t i, n = 0;

	for (i = 0; i < r->dkim.n && n < KN_DKIM_MAX_RESULTS; i++) {
		dk[n].d = r->dkim.v[i].d;
		dk[n].pass = r->dkim.v[i].status == KN_DKIM_PASS;
		dk[n].has_l = r->dkim.v[i].has_l;
		dk[n].why = dk[n].pass ? NULL : r->dkim.v[i].reason;
		n++;
	}
	memset(&in, 0, sizeof(in));
	in.from_ok = r->from_ok;
	in.from_domain = r->from_ok ? r->from_domain : NULL;
	in.from_error = r->from_ok ? NULL : r->from_error;
	in.dmarc = mark_dmarc(r->dmarc.result);
	in.dmarc_dkim = r->dmarc.result == KN_DMARC_PASS &&
	    (r->dmarc.aligned & KN_DMARC_ALIGNED_DKIM) != 0;
	in.dkim = dk;
	in.ndkim = n;
	in.feed = feed;
	if (feed == NULL) {
		snprintf(r->feed_error, sizeof(r->feed_error), "%s",
		    feed_error != NULL ? feed_error : "no feed of verified "
		    "mail domains is at hand");
		in.feed_error = r->feed_error;
	}
	return kn_mark_decide(&r->mark, &in);
}

static bool
dkim_temperror(const struct kn_mail_report *r)
{
	size_t i;

	for (i = 0; i < r->dkim.n; i++) {
		if (r->dkim.v[i].status == KN_DKIM_PASS)
			return false;
	}
	for (i = 0; i < r->dkim.n; i++) {
		if (r->dkim.v[i].status == KN_DKIM_TEMPERROR)
			return true;
	}
	return false;
}

/* A verified signature aligned (relaxed) with the author domain. */
static void
aligned_dkim(struct kn_mail_checker *ck, struct kn_mail_report *r)
{
	char from_org[KN_DMARC_DOMAIN_MAX + 1], d_org[KN_DMARC_DOMAIN_MAX + 1];
	size_t i;

	if (!r->from_ok || kn_dmarc_org_domain(ck->dmarc, from_org,
	    r->from_domain) != 0) {
		kn_err_clear();
		return;
	}
	for (i = 0; i < r->dkim.n && r->dkim_aligned == NULL; i++) {
		const struct kn_dkim_result *d = &r->dkim.v[i];

		if (d->status != KN_DKIM_PASS)
			continue;
		if (strcasecmp(d->d, r->from_domain) == 0 ||
		    (kn_dmarc_org_domain(ck->dmarc, d_org, d->d) == 0 &&
		    strcmp(d_org, from_org) == 0))
			r->dkim_aligned = d;
		kn_err_clear();
	}
}

/* The first signature that did not verify, or NULL. */
static const struct kn_dkim_result *
first_failed(const struct kn_mail_report *r)
{
	size_t i;

	for (i = 0; i < r->dkim.n; i++) {
		if (r->dkim.v[i].status != KN_DKIM_PASS)
			return &r->dkim.v[i];
	}
	return NULL;
}

/* The verdict and its words, from what the layers found. */
static void
conclude(struct kn_mail_checker *ck, struct kn_mail_report *r)
{
	const struct kn_dkim_result *bad;
	const char *dom = r->from_domain;

	if (!r->from_ok) {
		r->verdict = KN_MAIL_FORGED;
		snprintf(r->text, sizeof(r->text), "DO NOT TRUST: who wrote "
		    "this message cannot be told: %s. Mail built this way is "
		    "a known trick to show one sender and be checked as "
		    "another.", r->from_error);
		return;
	}
	if (r->mark.result == KN_MARK_PASS) {
		r->verdict = KN_MAIL_TRUSTED;
		snprintf(r->text, sizeof(r->text), "TRUSTED: %s. It carries "
		    "a valid signature of %s, a mail domain the registry "
		    "verified for this organization, and the message was not "
		    "changed after it was signed.", r->mark.text, dom);
		return;
	}
	if (r->dmarc.result == KN_DMARC_PASS) {
		r->verdict = KN_MAIL_AUTHENTIC;
		snprintf(r->text, sizeof(r->text), "AUTHENTIC DOMAIN, NO "
		    "TRUST MARK: the message really comes from %s (DMARC "
		    "pass through %s), but no verified organization is shown "
		    "for it: %s", dom, (r->dmarc.aligned &
		    KN_DMARC_ALIGNED_DKIM) ? "its DKIM signature" :
		    "the sending server (SPF)", r->mark.reason);
		return;
	}
	if (r->dmarc.result == KN_DMARC_FAIL) {
		r->verdict = KN_MAIL_FORGED;
		snprintf(r->text, sizeof(r->text), "DO NOT TRUST: the message "
		    "claims to come from %s, but nothing proves it: %s", dom,
		    r->dmarc.reason);
		return;
	}
	/* Only now: in RFC 9989 mode finding organizational domains asks
	 * DNS, and DMARC has answered every case above. */
	aligned_dkim(ck, r);
	if (r->dkim_aligned != NULL) {
		/* No DMARC policy to apply (or none could be read), but the
		 * author domain's own signature holds. */
		r->verdict = KN_MAIL_AUTHENTIC;
		snprintf(r->text, sizeof(r->text), "AUTHENTIC DOMAIN, NO "
		    "TRUST MARK: the message carries a valid DKIM signature of "
		    "%s, so it comes from %s and was not changed after it was "
		    "signed%s; no verified organization is shown for it: %s",
		    r->dkim_aligned->d, dom, r->dkim_aligned->has_l &&
		    r->dkim_aligned->unsigned_bytes > 0 ? " (but only the "
		    "start of the body is signed: text below it could have "
		    "been added by anyone)" : "", r->mark.reason);
		return;
	}
	if (r->dmarc.result == KN_DMARC_TEMPERROR || dkim_temperror(r)) {
		r->verdict = KN_MAIL_CANNOT_CHECK;
		snprintf(r->text, sizeof(r->text), "CANNOT CHECK: a DNS "
		    "answer about %s is missing for now, so the sender cannot "
		    "be confirmed; try again later. (%s)", dom,
		    r->dmarc.reason);
		return;
	}
	if (r->mark.result == KN_MARK_FAIL) {
		r->verdict = KN_MAIL_FORGED;
		snprintf(r->text, sizeof(r->text), "DO NOT TRUST: the message "
		    "claims to come from %s, but nothing proves it: %s", dom,
		    r->mark.reason);
		return;
	}
	r->verdict = KN_MAIL_UNVERIFIED;
	if (r->dkim.n == 0)
		snprintf(r->text, sizeof(r->text), "UNVERIFIED: nothing "
		    "proves that this message comes from %s: it carries no "
		    "DKIM signature, and %s", dom, r->dmarc.reason);
	else if ((bad = first_failed(r)) != NULL)
		snprintf(r->text, sizeof(r->text), "UNVERIFIED: nothing "
		    "proves that this message comes from %s: the DKIM "
		    "signature of %s does not hold (%s); the message was "
		    "changed after it was signed, or the signature is forged",
		    dom, bad->d[0] != '\0' ? bad->d : "an unnamed domain",
		    bad->reason);
	else
		snprintf(r->text, sizeof(r->text), "UNVERIFIED: nothing "
		    "proves that this message comes from %s: no DKIM "
		    "signature of its own domain verifies, and %s", dom,
		    r->dmarc.reason);
}

int
kn_mail_check(struct kn_mail_checker *ck, struct kn_mail_report *out,
    const struct kn_mail_msg *m, const struct kn_mail_envelope *env,
    const struct kn_feed *feed, const char *feed_error, time_t now)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (now == 0)
		now = time(NULL);
	if ((rc = author(out, m)) != 0)
		return rc;
	kn_dkim_verifier_set_now(ck->dkim, now);
	if ((rc = kn_dkim_verify(ck->dkim, m, &out->dkim)) != 0)
		return rc;
	spf(ck, out, env, now);
	if ((rc = dmarc(ck, out, env)) != 0)
		return rc;
	if ((rc = mark(out, feed, feed_error)) != 0)
		return rc;
	conclude(ck, out);
	return 0;
}

int
kn_mail_report_authres(struct kn_buf *out, const struct kn_mail_report *r,
    const char *authserv_id, const char *fold)
{
	struct kn_authres ar;
	struct kn_authres_dkim k;
	const struct kn_feed_entry *org = r->mark.org;
	size_t i;
	int rc;

	kn_authres_init(&ar);
	if ((rc = kn_authres_set_id(&ar, authserv_id)) != 0)
		goto out;
	for (i = 0; i < r->dkim.n; i++) {
		const struct kn_dkim_result *d = &r->dkim.v[i];

		memset(&k, 0, sizeof(k));
		k.result = kn_dkim_status_name(d->status);
		k.d = d->d[0] != '\0' ? d->d : NULL;
		k.s = d->s[0] != '\0' ? d->s : NULL;
		k.a = d->a[0] != '\0' ? d->a : NULL;
		k.b = d->b_head[0] != '\0' ? d->b_head : NULL;
		k.reason = d->status != KN_DKIM_PASS ? d->reason : NULL;
		if ((rc = kn_authres_add_dkim(&ar, &k)) != 0)
			goto out;
	}
	if (r->dkim.n == 0 && (rc = kn_authres_add(&ar, NULL, "dkim", "none",
	    NULL)) != 0)
		goto out;
	if (r->spf_checked)
		rc = kn_authres_add_spf(&ar, kn_spf_result_str(r->spf.result),
		    r->spf_null ? NULL : r->spf.sender, r->spf_helo,
		    r->spf.reason);
	else
		rc = kn_authres_add(&ar, NULL, "spf", "none", r->spf_note);
	if (rc != 0)
		goto out;
	if (r->from_ok) {
		if ((rc = kn_authres_add_dmarc(&ar, kn_dmarc_result_name(
		    r->dmarc.result), r->from_domain, r->dmarc.result ==
		    KN_DMARC_FAIL && r->dmarc.policy != KN_DMARC_POLICY_UNSET ?
		    kn_dmarc_policy_name(r->dmarc.policy) : NULL,
		    r->dmarc.reason)) != 0)
			goto out;
	} else if ((rc = kn_authres_add(&ar, NULL, "dmarc", "permerror",
	    r->from_error)) != 0)
		goto out;
	if ((rc = kn_authres_add_mark(&ar, kn_mark_result_name(
	    r->mark.result), r->from_ok ? r->from_domain : NULL,
	    org != NULL ? org->number : NULL, org != NULL ? org->name : NULL,
	    r->mark.reason)) != 0)
		goto out;
	rc = kn_authres_encode(out, &ar, fold);
out:
	kn_authres_cleanup(&ar);
	return rc;
}
