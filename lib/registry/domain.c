/* domain.c - domain claims and DNS proof of control. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/text.h"
#include "dns/dns.h"
#include "registry/corpnum.h"
#include "registry/org.h"
#include "registry/registry_int.h"
#include "store/db.h"

#define TOKEN_DAYS 30

int
kn_domain_parse(char out[KN_DOMAIN_MAX + 1], const char *in)
{
	size_t n = strlen(in), i, label = 0, labels = 1;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0)
		return kn_err_set(KN_ERR_INVAL, "domain", "domain is empty");
	if (n > KN_DOMAIN_MAX)
		return kn_err_set(KN_ERR_INVAL, "domain", "domain is longer "
		    "than 253 characters (RFC 1035 section 2.3.4)");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x80)
			return kn_err_set(KN_ERR_INVAL, "domain", "domain %s "
			    "has non-ASCII characters: give an "
			    "internationalized name in its A-label form "
			    "(xn--..., RFC 5890)", in);
		if (c == '.') {
			if (label == 0)
				return kn_err_set(KN_ERR_INVAL, "domain",
				    "domain %s has an empty label", in);
			if (in[i - 1] == '-')
				return kn_err_set(KN_ERR_INVAL, "domain",
				    "a label of %s ends with a hyphen "
				    "(RFC 1035 section 2.3.1)", in);
			label = 0;
			labels++;
			out[i] = '.';
			continue;
		}
		if (!(isalnum(c) || c == '-'))
			return kn_err_set(KN_ERR_INVAL, "domain", "domain %s "
			    "has a character other than letters, digits, "
			    "hyphens and dots (RFC 1035 section 2.3.1)", in);
		if (c == '-' && label == 0)
			return kn_err_set(KN_ERR_INVAL, "domain", "a label of "
			    "%s starts with a hyphen (RFC 1035 section "
			    "2.3.1)", in);
		if (++label > 63)
			return kn_err_set(KN_ERR_INVAL, "domain", "a label of "
			    "%s is longer than 63 characters (RFC 1035 "
			    "section 2.3.4)", in);
		out[i] = (char)tolower(c);
	}
	if (label == 0)
		return kn_err_set(KN_ERR_INVAL, "domain", "domain %s has an "
		    "empty label", in);
	if (in[n - 1] == '-')
		return kn_err_set(KN_ERR_INVAL, "domain", "a label of %s ends "
		    "with a hyphen (RFC 1035 section 2.3.1)", in);
	if (labels < 2)
		return kn_err_set(KN_ERR_INVAL, "domain", "domain %s needs at "
		    "least two labels, as example.jp", in);
	out[n] = '\0';
	/* A top-level label is never all digits (RFC 3696 section 2). */
	for (i = n; i > 0 && out[i - 1] != '.'; i--)
		;
	if (strspn(out + i, "0123456789") == n - i)
		return kn_err_set(KN_ERR_INVAL, "domain", "%s looks like an "
		    "IP address, not a domain name", in);
	return 0;
}

/* The organization that has proven control of name, other than number. */
static int
other_owner(struct kn_db *db, const char *name, int64_t number,
    int64_t *owner)
{
	struct kn_stmt *st;
	int rc;

	*owner = 0;
	if ((rc = kn_db_stmt(db, &st, "SELECT org_number FROM domains "
	    "WHERE name = ? AND verified_at IS NOT NULL AND "
	    "released_at IS NULL AND org_number <> ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, name)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 2, number)) == 0 &&
	    (rc = kn_stmt_step(st)) == KN_ROW)
		*owner = kn_stmt_int64(st, 0);
	kn_stmt_done(st);
	return rc < 0 ? rc : 0;
}

static int
owned_error(const char *name, int64_t owner)
{
	char num[KN_CORPNUM_LEN + 1];

	kn_corpnum_format(num, owner);
	return kn_err_set(KN_ERR_EXISTS, "domain", "domain %s is already "
	    "verified for another organization (%s); a domain belongs to at "
	    "most one organization", name, num);
}

static int
get_domain(struct kn_db *db, int64_t number, const char *name,
    struct kn_domain *out)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT " KN_DOMAIN_COLS " FROM domains "
	    "WHERE org_number = ? AND name = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 2, name)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		kn_domain_cleanup(out);
		kn__read_domain(st, out);
		rc = 0;
	} else if (rc == KN_DONE) {
		rc = kn_err_set(KN_ERR_NOTFOUND, "domain", "domain %s has not "
		    "been claimed by this organization (kakuin org domain add "
		    "first)", name);
	}
	kn_stmt_done(st);
	return rc;
}

static int
new_token(char token[KN_TOKEN_LEN + 1], char expires[21])
{
	unsigned char raw[32];
	int rc;

	if ((rc = kn_random(raw, sizeof(raw))) != 0)
		return rc;
	kn_base64url(token, raw, sizeof(raw));
	kn_time_rfc3339(expires, time(NULL) + TOKEN_DAYS * 86400);
	return 0;
}

static int
domain_detail(struct kn_buf *b, const char *name, const char *extra_key,
    const char *extra)
{
	kn_buf_puts(b, "{\"domain\":");
	kn__json_str(b, name);
	if (extra_key != NULL) {
		kn_buf_putf(b, ",\"%s\":", extra_key);
		kn__json_str(b, extra);
	}
	kn_buf_puts(b, "}");
	return b->failed ? KN_ERR_NOMEM : 0;
}

int
kn_domain_add(struct kn_db *db, const char *actor, int64_t number,
    const char *in, bool web, bool mail, struct kn_domain *out)
{
	struct kn_stmt *st = NULL;
	struct kn_domain cur;
	struct kn_buf detail;
	char name[KN_DOMAIN_MAX + 1], status[12], now[21], exp[21];
	char token[KN_TOKEN_LEN + 1];
	int64_t owner;
	bool have;
	int rc;

	memset(&cur, 0, sizeof(cur));
	kn_buf_init(&detail, 4096);
	if (!web && !mail) {
		rc = kn_err_set(KN_ERR_INVAL, "use", "say what the domain is "
		    "for: web, mail, or both");
		goto out;
	}
	if ((rc = kn_domain_parse(name, in)) != 0)
		goto out;
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = kn__org_status(db, number, status)) != 0)
		goto out;
	if (strcmp(status, "listed") == 0 ||
	    strcmp(status, "withdrawn") == 0) {
		rc = kn_err_set(KN_ERR_STATE, "number", "a %s organization "
		    "cannot claim domains%s", status,
		    strcmp(status, "listed") == 0 ? "; it must apply first "
		    "(kakuin org add)" : "");
		goto out;
	}
	if ((rc = other_owner(db, name, number, &owner)) != 0)
		goto out;
	if (owner != 0) {
		rc = owned_error(name, owner);
		goto out;
	}
	if ((rc = kn__cap(db, "SELECT COUNT(*) FROM domains WHERE "
	    "org_number = ?", number, KN_ORG_MAX_DOMAINS,
	    "domain claims")) != 0)
		goto out;
	rc = get_domain(db, number, name, &cur);
	if (rc != 0 && rc != KN_ERR_NOTFOUND)
		goto out;
	have = rc == 0;
	kn_err_clear();
	kn_now_rfc3339(now);
	if (have) {
		/*
		 * Keep a valid token; rotate an expired one while unproven.  A
		 * domain released by a withdrawal starts over: new token, and
		 * the old proof no longer counts.
		 */
		bool released = cur.released_at != NULL;
		bool rotate = released || (cur.verified_at == NULL &&
		    strcmp(cur.token_expires, now) < 0);

		if (rotate && (rc = new_token(token, exp)) != 0)
			goto out;
		if ((rc = kn_db_stmt(db, &st, released ? "UPDATE domains SET "
		    "web = ?, mail = ?, token = ?, token_expires = ?, "
		    "verified_at = NULL, method = NULL, evidence = NULL, "
		    "verified_by = NULL, released_at = NULL, checked_at = NULL, "
		    "check_result = NULL WHERE org_number = ? AND name = ?" :
		    "UPDATE domains SET "
		    "web = web | ?, mail = mail | ?, token = ?, "
		    "token_expires = ? WHERE org_number = ? AND name = ?")) !=
		    0)
			goto out;
		if ((rc = kn_stmt_bind_int64(st, 1, web)) != 0 ||
		    (rc = kn_stmt_bind_int64(st, 2, mail)) != 0 ||
		    (rc = kn_stmt_bind_text(st, 3, rotate ? token :
		    cur.token)) != 0 ||
		    (rc = kn_stmt_bind_text(st, 4, rotate ? exp :
		    cur.token_expires)) != 0)
			goto out;
	} else {
		if ((rc = new_token(token, exp)) != 0)
			goto out;
		if ((rc = kn_db_stmt(db, &st, "INSERT INTO domains (web, "
		    "mail, token, token_expires, org_number, name, "
		    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) != 0)
			goto out;
		if ((rc = kn_stmt_bind_int64(st, 1, web)) != 0 ||
		    (rc = kn_stmt_bind_int64(st, 2, mail)) != 0 ||
		    (rc = kn_stmt_bind_text(st, 3, token)) != 0 ||
		    (rc = kn_stmt_bind_text(st, 4, exp)) != 0 ||
		    (rc = kn_stmt_bind_text(st, 7, now)) != 0)
			goto out;
	}
	if ((rc = kn_stmt_bind_int64(st, 5, number)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, name)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);
	st = NULL;
	if ((rc = domain_detail(&detail, name, "use", web && mail ?
	    "web,mail" : web ? "web" : "mail")) != 0 ||
	    (rc = kn__audit_org(db, actor, "domain.add", number,
	    detail.data)) != 0)
		goto out;
	if ((rc = get_domain(db, number, name, out)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_domain_cleanup(&cur);
	kn_buf_cleanup(&detail);
	return rc;
}

static int
record_check(struct kn_db *db, const char *actor, int64_t number,
    const struct kn_domain *d, const char *result, const char *evidence)
{
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	char now[21];
	int64_t owner;
	bool ok = evidence != NULL;
	int rc;

	kn_buf_init(&detail, 8192);
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if (ok) {
		/* Re-checked under the write lock: two organizations racing
		 * for one domain cannot both win. */
		if ((rc = other_owner(db, d->name, number, &owner)) != 0)
			goto out;
		if (owner != 0) {
			rc = owned_error(d->name, owner);
			goto out;
		}
		/* Only for the claim as it was when looked up: unproven,
		 * unreleased, same token. */
		rc = kn_db_stmt(db, &st, "UPDATE domains SET checked_at = ?, "
		    "check_result = ?, verified_at = ?, method = 'dns-txt', "
		    "evidence = ?, verified_by = ? "
		    "WHERE org_number = ? AND name = ? AND token = ? AND "
		    "verified_at IS NULL AND released_at IS NULL");
	} else {
		rc = kn_db_stmt(db, &st, "UPDATE domains SET checked_at = ?, "
		    "check_result = ? WHERE org_number = ? AND name = ?");
	}
	if (rc != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, result)) != 0)
		goto out;
	if (ok && ((rc = kn_stmt_bind_text(st, 3, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, evidence)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, actor)) != 0))
		goto out;
	if ((rc = kn_stmt_bind_int64(st, ok ? 6 : 3, number)) != 0 ||
	    (rc = kn_stmt_bind_text(st, ok ? 7 : 4, d->name)) != 0 ||
	    (ok && (rc = kn_stmt_bind_text(st, 8, d->token)) != 0) ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	if (ok && kn_stmt_changes(st) != 1) {
		rc = kn_err_set(KN_ERR_BUSY, "domain", "the claim of %s changed "
		    "during the DNS lookup; check again", d->name);
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	if ((rc = domain_detail(&detail, d->name, "result", result)) != 0 ||
	    (rc = kn__audit_org(db, actor, ok ? "domain.verify" :
	    "domain.check_failed", number, detail.data)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&detail);
	return rc;
}

int
kn_domain_check(struct kn_db *db, struct kn_dns *dns, const char *actor,
    int64_t number, const char *in, struct kn_domain *out)
{
	struct kn_dns_txt txt;
	struct kn_buf ev;
	char name[KN_DOMAIN_MAX + 1], qname[KN_DOMAIN_MAX + 32], now[21];
	char want[sizeof(KN_CHALLENGE_PREFIX) + KN_TOKEN_LEN + 1];
	char result[1024];
	size_t i;
	int rc, src;

	memset(&txt, 0, sizeof(txt));
	kn_buf_init(&ev, 4096);
	if ((rc = kn_domain_parse(name, in)) != 0)
		goto out;
	if ((rc = get_domain(db, number, name, out)) != 0)
		goto out;
	if (out->released_at != NULL) {
		rc = kn_err_set(KN_ERR_STATE, "domain", "domain %s was "
		    "released when the organization withdrew", name);
		goto out;
	}
	if (out->verified_at != NULL)
		goto out;	/* already proven; nothing to do */
	kn_now_rfc3339(now);
	if (strcmp(out->token_expires, now) < 0) {
		rc = kn_err_set(KN_ERR_VERIFY, "domain", "the challenge for "
		    "%s expired on %s; claim the domain again (kakuin org "
		    "domain add) for a new token", name, out->token_expires);
		goto out;
	}
	snprintf(qname, sizeof(qname), "%s.%s", KN_CHALLENGE_LABEL, name);
	snprintf(want, sizeof(want), "%s%s", KN_CHALLENGE_PREFIX,
	    out->token);
	src = kn_dns_txt(dns, qname, &txt);
	if (src != 0) {
		snprintf(result, sizeof(result), "DNS lookup of TXT %s "
		    "failed: %s", qname, kn_err_msg(src));
		if ((rc = record_check(db, actor, number, out, result,
		    NULL)) != 0)
			goto out;
		rc = kn_err_set(KN_ERR_DNS, "domain", "%s", result);
		goto out;
	}
	for (i = 0; i < txt.n; i++) {
		if (strcmp(txt.txt[i], want) == 0 ||
		    strcmp(txt.txt[i], out->token) == 0)
			break;
	}
	if (i == txt.n) {
		if (txt.nxdomain || txt.n == 0)
			snprintf(result, sizeof(result), "no TXT record at %s; "
			    "publish %s TXT \"%s\"", qname, qname, want);
		else
			snprintf(result, sizeof(result), "TXT %s holds %zu "
			    "record(s), none with this domain's token; "
			    "publish \"%s\"", qname, txt.n, want);
		if ((rc = record_check(db, actor, number, out, result,
		    NULL)) != 0)
			goto out;
		rc = kn_err_set(KN_ERR_VERIFY, "domain", "%s", result);
		goto out;
	}
	kn_buf_putf(&ev, "TXT %s \"%s\" seen by resolver %s, DNSSEC %s",
	    qname, txt.txt[i], kn_dns_resolver(dns),
	    txt.secure ? "secure" : "not validated");
	snprintf(result, sizeof(result), "TXT record found%s",
	    txt.secure ? " (DNSSEC secure)" : "");
	if (ev.failed) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = record_check(db, actor, number, out, result,
	    ev.data)) != 0)
		goto out;
	rc = get_domain(db, number, name, out);
out:
	kn_dns_txt_cleanup(&txt);
	kn_buf_cleanup(&ev);
	return rc;
}

int
kn_domain_mark_verified(struct kn_db *db, const char *actor,
    int64_t number, const char *in, const char *method)
{
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	char name[KN_DOMAIN_MAX + 1], now[21];
	int64_t owner;
	int rc;

	kn_buf_init(&detail, 4096);
	if ((rc = kn_domain_parse(name, in)) != 0)
		goto out;
	kn_now_rfc3339(now);
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = other_owner(db, name, number, &owner)) != 0)
		goto out;
	if (owner != 0) {
		rc = owned_error(name, owner);
		goto out;
	}
	if ((rc = kn_db_stmt(db, &st, "UPDATE domains SET verified_at = ?, "
	    "method = ?, evidence = ?, verified_by = ?, checked_at = ?, "
	    "check_result = 'marked verified without DNS' "
	    "WHERE org_number = ? AND name = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, method)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, "demonstration data: no DNS "
	    "proof")) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, now)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 6, number)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, name)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	if (kn_stmt_changes(st) != 1) {
		rc = kn_err_set(KN_ERR_NOTFOUND, "domain", "domain %s has not "
		    "been claimed by this organization", name);
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	if ((rc = domain_detail(&detail, name, "method", method)) != 0 ||
	    (rc = kn__audit_org(db, actor, "domain.verify", number,
	    detail.data)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&detail);
	return rc;
}
