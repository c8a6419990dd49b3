/*
 * test_mail_mark.c - the trust mark's decision table: the one way to
 * pass and every way to fail, with the reason a person reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mark.h"
#include "registry/feed.h"
#include "testutil.h"

/* A verified feed as the verifier leaves it (the signature is
 * test_feed's business; the mark sees plain data). */
static const char feed_json[] =
    "{\"version\":1,\"issuer\":\"kakuin unit\",\"serial\":5,"
    "\"generated\":\"2026-01-01T00:00:00Z\","
    "\"next_update\":\"2026-01-02T00:00:00Z\",\"domains\":["
    "{\"domain\":\"bank.example\",\"number\":\"1010405009403\","
    "\"name\":\"株式会社テスト銀行\",\"name_en\":\"Test Bank Ltd.\","
    "\"verified_at\":\"2025-12-01T00:00:00Z\"},"
    "{\"domain\":\"city.example\",\"number\":\"9000020011002\","
    "\"name\":\"テスト市\",\"name_en\":null,"
    "\"verified_at\":\"2025-12-01T00:00:00Z\"},"
    "{\"domain\":\"news.shop.example\",\"number\":\"4011001099001\","
    "\"name\":\"株式会社テスト商店\",\"name_en\":\"Test Shop\","
    "\"verified_at\":\"2025-12-01T00:00:00Z\"}]}";

#define PASS_		KN_MARK_PASS
#define FAIL_		KN_MARK_FAIL
#define NONE_		KN_MARK_NONE
#define D_PASS		KN_MARK_DMARC_PASS

/* DKIM results: d=, pass, l= used, why. */
#define SIG(d, pass, l, why)	{ d, pass, l, why }
#define OK(d)			SIG(d, true, false, NULL)

static const struct row {
	const char		*name;
	bool			 from_ok;
	const char		*from;
	const char		*from_error;
	enum kn_mark_dmarc	 dmarc;
	bool			 dmarc_dkim;
	struct kn_mark_dkim	 dkim[3];
	size_t			 ndkim;
	bool			 no_feed;
	const char		*feed_error;
	enum kn_mark_result	 want;
	const char		*want_reason;
	const char		*want_text;	/* on pass */
} rows[] = {
	/* The one way to pass, and its spellings. */
	{ "aligned exact DKIM, DMARC pass", true, "bank.example", NULL,
	  D_PASS, true, { OK("bank.example") }, 1, false, NULL, PASS_,
	  "carries a valid DKIM signature of its author's domain "
	  "bank.example, DMARC passed",
	  "sent by 株式会社テスト銀行 (Test Bank Ltd., corporate number "
	  "1010405009403), verified by kakuin unit" },
	{ "case and trailing dot", true, "Bank.Example.", NULL, D_PASS, true,
	  { OK("BANK.example") }, 1, false, NULL, PASS_, "bank.example",
	  "sent by 株式会社テスト銀行" },
	{ "no English name", true, "city.example", NULL, D_PASS, true,
	  { OK("city.example") }, 1, false, NULL, PASS_, "city.example",
	  "sent by テスト市 (corporate number 9000020011002), verified by "
	  "kakuin unit" },
	{ "among other signatures", true, "bank.example", NULL, D_PASS, true,
	  { OK("esp.example"), SIG("bank.example", false, false, "expired"),
	    OK("bank.example") }, 3, false, NULL, PASS_, "bank.example",
	  "Test Bank Ltd." },
	{ "an l= signature and a whole one", true, "bank.example", NULL,
	  D_PASS, true, { SIG("bank.example", true, true, NULL),
	    OK("bank.example") }, 2, false, NULL, PASS_, "bank.example",
	  "sent by" },

	/* The author. */
	{ "two From fields", false, NULL, "the message has 2 From header "
	  "fields (RFC 5322 section 3.6)", D_PASS, true,
	  { OK("bank.example") }, 1, false, NULL, FAIL_,
	  "no mark: the message does not have one unambiguous author: the "
	  "message has 2 From header fields", NULL },
	{ "no author domain", true, NULL, NULL, D_PASS, true,
	  { OK("bank.example") }, 1, false, NULL, FAIL_,
	  "names no single mailbox", NULL },
	{ "author domain malformed", true, "bank..example", NULL, D_PASS,
	  true, { OK("bank..example") }, 1, false, NULL, FAIL_,
	  "the author's domain bank..example is not a domain name", NULL },
	{ "ambiguous, no feed either", false, NULL, "a group in From",
	  D_PASS, true, { OK("bank.example") }, 1, true, "expired", FAIL_,
	  "a group in From", NULL },

	/* The feed. */
	{ "no feed", true, "bank.example", NULL, D_PASS, true,
	  { OK("bank.example") }, 1, true, "the feed expired at "
	  "2026-01-02T00:00:00Z", NONE_, "no mark: the trust center's list "
	  "of verified mail domains cannot be used: the feed expired at "
	  "2026-01-02T00:00:00Z", NULL },
	{ "no feed, no reason", true, "bank.example", NULL, D_PASS, true,
	  { OK("bank.example") }, 1, true, NULL, NONE_, "none is at hand",
	  NULL },
	{ "domain not verified", true, "other.example", NULL, D_PASS, true,
	  { OK("other.example") }, 1, false, NULL, NONE_,
	  "no mark: other.example is not a mail domain that kakuin unit has "
	  "verified for an organization", NULL },
	{ "subdomain of a verified domain", true, "mail.bank.example", NULL,
	  D_PASS, true, { OK("mail.bank.example") }, 1, false, NULL, NONE_,
	  "mail.bank.example is not a mail domain", NULL },
	{ "parent of a verified domain", true, "shop.example", NULL, D_PASS,
	  true, { OK("shop.example") }, 1, false, NULL, NONE_,
	  "shop.example is not a mail domain", NULL },
	{ "look-alike", true, "bank.example.evil.example", NULL, D_PASS,
	  true, { OK("bank.example.evil.example") }, 1, false, NULL, NONE_,
	  "bank.example.evil.example is not a mail domain", NULL },

	/* DKIM. */
	{ "signature of a subdomain", true, "bank.example", NULL, D_PASS,
	  true, { OK("mail.bank.example") }, 1, false, NULL, FAIL_,
	  "no mark: the message's DKIM signature is for mail.bank.example, "
	  "not the author's domain bank.example", NULL },
	{ "signature of the parent", true, "news.shop.example", NULL,
	  D_PASS, true, { OK("shop.example") }, 1, false, NULL, FAIL_,
	  "the message's DKIM signature is for shop.example, not the "
	  "author's domain news.shop.example", NULL },
	{ "signature of a look-alike", true, "bank.example", NULL, D_PASS,
	  true, { OK("bank.example.evil.example") }, 1, false, NULL, FAIL_,
	  "is for bank.example.evil.example, not the author's domain", NULL },
	{ "signature of an ESP", true, "bank.example", NULL, D_PASS, false,
	  { OK("esp.example") }, 1, false, NULL, FAIL_,
	  "is for esp.example", NULL },
	{ "l= used", true, "bank.example", NULL, D_PASS, true,
	  { SIG("bank.example", true, true, NULL) }, 1, false, NULL, FAIL_,
	  "no mark: the DKIM signature of bank.example covers only the first "
	  "part of the body (l=)", NULL },
	{ "signature broken", true, "bank.example", NULL, KN_MARK_DMARC_FAIL,
	  false, { SIG("bank.example", false, false, "the body hash does not "
	  "match") }, 1, false, NULL, FAIL_, "no mark: the DKIM signature of "
	  "bank.example does not verify (the body hash does not match)",
	  NULL },
	{ "signature broken, no reason", true, "bank.example", NULL,
	  KN_MARK_DMARC_FAIL, false, { SIG("bank.example", false, false,
	  NULL) }, 1, false, NULL, FAIL_, "of bank.example does not verify",
	  NULL },
	{ "no signature at all", true, "bank.example", NULL, D_PASS, false,
	  { { NULL, false, false, NULL } }, 0, false, NULL, FAIL_,
	  "no mark: the message has no DKIM signature; the mark needs one of "
	  "the author's domain bank.example", NULL },
	{ "only a failing foreign signature", true, "bank.example", NULL,
	  KN_MARK_DMARC_FAIL, false, { SIG("esp.example", false, false,
	  "revoked key") }, 1, false, NULL, FAIL_,
	  "no DKIM signature of the message verifies", NULL },
	{ "d= not a domain", true, "bank.example", NULL, D_PASS, true,
	  { OK("bank example") }, 1, false, NULL, FAIL_,
	  "no DKIM signature of the message verifies", NULL },

	/* DMARC. */
	{ "DMARC fail", true, "bank.example", NULL, KN_MARK_DMARC_FAIL, false,
	  { OK("bank.example") }, 1, false, NULL, FAIL_,
	  "no mark: DMARC did not pass for bank.example (fail)", NULL },
	{ "DMARC temperror", true, "bank.example", NULL,
	  KN_MARK_DMARC_TEMPERROR, false, { OK("bank.example") }, 1, false,
	  NULL, FAIL_, "(temperror)", NULL },
	{ "DMARC permerror", true, "bank.example", NULL,
	  KN_MARK_DMARC_PERMERROR, false, { OK("bank.example") }, 1, false,
	  NULL, FAIL_, "(permerror)", NULL },
	{ "no DMARC record", true, "bank.example", NULL, KN_MARK_DMARC_NONE,
	  false, { OK("bank.example") }, 1, false, NULL, FAIL_,
	  "DMARC did not pass for bank.example (none)", NULL },
	{ "DMARC through SPF only", true, "bank.example", NULL, D_PASS, false,
	  { OK("bank.example") }, 1, false, NULL, FAIL_,
	  "no mark: DMARC passed for bank.example through SPF only", NULL },
};

static void
test_decision_table(void **state)
{
	struct kn_feed *feed = NULL;
	size_t i;

	(void)state;
	assert_int_equal(kn_feed_parse_json(&feed, feed_json,
	    strlen(feed_json), NULL), 0);
	for (i = 0; i < NITEMS(rows); i++) {
		const struct row *r = &rows[i];
		struct kn_mark_in in;
		struct kn_mark m;

		memset(&in, 0, sizeof(in));
		in.from_ok = r->from_ok;
		in.from_domain = r->from;
		in.from_error = r->from_error;
		in.dmarc = r->dmarc;
		in.dmarc_dkim = r->dmarc_dkim;
		in.dkim = r->dkim;
		in.ndkim = r->ndkim;
		in.feed = r->no_feed ? NULL : feed;
		in.feed_error = r->feed_error;
		if (kn_mark_decide(&m, &in) != 0)
			fail_msg("%s: %s", r->name, kn_err_get()->msg);
		CHECK_STR(r->name, kn_mark_result_name(m.result),
		    kn_mark_result_name(r->want));
		CHECK_HAS(r->name, m.reason, r->want_reason);
		if (r->want == KN_MARK_PASS) {
			assert_non_null(m.org);
			CHECK_HAS(r->name, m.text, r->want_text);
			CHECK_STR(r->name, m.issuer, "kakuin unit");
			CHECK_STR(r->name, m.domain, m.org->domain);
		} else {
			if (m.org != NULL || m.text[0] != '\0')
				fail_msg("%s: an organization without a pass",
				    r->name);
			if (strncmp(m.reason, "no mark: ", 9) != 0)
				fail_msg("%s: reason \"%s\"", r->name,
				    m.reason);
		}
	}
	kn_feed_free(feed);
}

/* Input the decision cannot use is an error, not a verdict. */
static void
test_bad_input(void **state)
{
	struct kn_mark_dkim many[KN_MARK_MAX_DKIM + 1];
	struct kn_mark_in in;
	struct kn_mark m;
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	for (i = 0; i < NITEMS(many); i++)
		many[i] = (struct kn_mark_dkim){ "bank.example", true, false,
		    NULL };
	in.from_ok = true;
	in.from_domain = "bank.example";
	in.dkim = many;
	in.ndkim = NITEMS(many);
	assert_int_equal(kn_mark_decide(&m, &in), KN_ERR_INVAL);
	assert_int_equal(m.result, KN_MARK_NONE);
	in.ndkim = KN_MARK_MAX_DKIM;
	many[3].d = NULL;
	assert_int_equal(kn_mark_decide(&m, &in), KN_ERR_INVAL);
	CHECK_HAS("null d=", kn_err_get()->msg, "has no d=");
	in.ndkim = 2;
	in.dkim = NULL;
	assert_int_equal(kn_mark_decide(&m, &in), KN_ERR_INVAL);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(kn_mark_result_name(KN_MARK_PASS), "pass");
	assert_string_equal(kn_mark_result_name(KN_MARK_FAIL), "fail");
	assert_string_equal(kn_mark_result_name(KN_MARK_NONE), "none");
	assert_string_equal(kn_mark_dmarc_name(KN_MARK_DMARC_TEMPERROR),
	    "temperror");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
