/*
 * test_mail_authres.c - the Authentication-Results field: what kakuin
 * writes (exact text, folding, quoting of a Japanese organization name),
 * what it refuses to write, parsing per RFC 8601 section 2.2 (comments,
 * versions, none, quoted values, addresses), the inputs behind OpenDMARC's
 * A-R bugs, and recognising forged fields that bear our authserv-id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/authres.h"
#include "testutil.h"

#define ORG_NAME "株式会社角印商事"
#define ORG_NUMBER "4011001099001"
/* ORG_NAME as an RFC 8187 ext-value. */
#define ORG_EXT "UTF-8''%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE" \
	"%E8%A7%92%E5%8D%B0%E5%95%86%E4%BA%8B"

/* A parsed field in one line, to compare against a table. */
static char *
show(const struct kn_authres *ar)
{
	struct kn_buf b;
	size_t i, j;

	kn_buf_init(&b, 1 << 20);
	kn_buf_putf(&b, "%s", ar->authserv_id);
	if (ar->none)
		kn_buf_puts(&b, "|none");
	for (i = 0; i < ar->nresults; i++) {
		const struct kn_authres_result *r = &ar->results[i];

		kn_buf_putf(&b, "|%s", r->method);
		if (r->version != 1)
			kn_buf_putf(&b, "/%d", r->version);
		kn_buf_putf(&b, "=%s", r->result);
		if (r->reason != NULL)
			kn_buf_putf(&b, " reason<%s>", r->reason);
		for (j = 0; j < r->nprops; j++)
			kn_buf_putf(&b, " %s.%s<%s>", r->props[j].ptype,
			    r->props[j].property, r->props[j].value);
	}
	assert_false(b.failed);
	return kn_buf_steal(&b, NULL);
}

/* Parses exactly len bytes from a private copy (ASan sees over-reads). */
static int
parse_exact(struct kn_authres *ar, const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, len);
	rc = kn_authres_parse(ar, copy, len);
	free(copy);
	return rc;
}

static void
build(struct kn_authres *ar)
{
	struct kn_authres_dkim k = {
		.result = "pass", .d = "kakuin.co.jp", .s = "sel2026",
		.a = "rsa-sha256", .b = "AbC+/dEfGhIjKlMn",
	};

	kn_authres_init(ar);
	assert_int_equal(kn_authres_set_id(ar, "mx.kakuin.example"), 0);
	assert_int_equal(kn_authres_add_dkim(ar, &k), 0);
	assert_int_equal(kn_authres_add_spf(ar, "pass",
	    "bounce@mail.kakuin.co.jp", "mta.kakuin.co.jp", NULL), 0);
	assert_int_equal(kn_authres_add_dmarc(ar, "pass", "kakuin.co.jp",
	    "none", NULL), 0);
	assert_int_equal(kn_authres_add_mark(ar, "pass", "kakuin.co.jp",
	    ORG_NUMBER, ORG_NAME, "the registry verified kakuin.co.jp"), 0);
}

static void
test_emit(void **state)
{
	struct kn_authres ar, back;
	struct kn_buf b;
	char *s;

	(void)state;
	build(&ar);
	kn_buf_init(&b, 4096);
	assert_int_equal(kn_authres_encode(&b, &ar, NULL), 0);
	assert_string_equal(b.data, " mx.kakuin.example;"
	    " dkim=pass header.d=kakuin.co.jp header.s=sel2026"
	    " header.a=rsa-sha256 header.b=\"AbC+/dEf\";"
	    " spf=pass smtp.mailfrom=bounce@mail.kakuin.co.jp;"
	    " dmarc=pass header.from=kakuin.co.jp policy.dmarc=none;"
	    " kakuin-mark=pass reason=\"the registry verified kakuin.co.jp\""
	    " header.from=kakuin.co.jp policy.corporate-number=4011001099001"
	    " policy.organization=" ORG_EXT);
	/* What we write, we read back the same. */
	assert_int_equal(kn_authres_parse(&back, b.data, b.len), 0);
	s = show(&back);
	assert_string_equal(s, "mx.kakuin.example"
	    "|dkim=pass header.d<kakuin.co.jp> header.s<sel2026>"
	    " header.a<rsa-sha256> header.b<AbC+/dEf>"
	    "|spf=pass smtp.mailfrom<bounce@mail.kakuin.co.jp>"
	    "|dmarc=pass header.from<kakuin.co.jp> policy.dmarc<none>"
	    "|kakuin-mark=pass reason<the registry verified kakuin.co.jp>"
	    " header.from<kakuin.co.jp>"
	    " policy.corporate-number<4011001099001>"
	    " policy.organization<" ORG_EXT ">");
	free(s);
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_ext_decode(&b, kn_authres_prop(
	    kn_authres_find(&back, "kakuin-mark", 0), "policy",
	    "organization")), 0);
	assert_string_equal(b.data, ORG_NAME);
	assert_null(kn_authres_find(&back, "kakuin-mark", 1));
	assert_null(kn_authres_prop(kn_authres_find(&back, "dkim", 0),
	    "header", "i"));
	kn_authres_cleanup(&back);

	/* Folded: one result per line, no line past 78 columns. */
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_encode(&b, &ar, "\r\n\t"), 0);
	assert_string_equal(b.data, " mx.kakuin.example;"
	    "\r\n\tdkim=pass header.d=kakuin.co.jp header.s=sel2026"
	    " header.a=rsa-sha256"
	    "\r\n\theader.b=\"AbC+/dEf\";"
	    "\r\n\tspf=pass smtp.mailfrom=bounce@mail.kakuin.co.jp;"
	    "\r\n\tdmarc=pass header.from=kakuin.co.jp policy.dmarc=none;"
	    "\r\n\tkakuin-mark=pass"
	    " reason=\"the registry verified kakuin.co.jp\""
	    "\r\n\theader.from=kakuin.co.jp"
	    " policy.corporate-number=4011001099001"
	    "\r\n\tpolicy.organization=" ORG_EXT);
	assert_int_equal(kn_authres_parse(&back, b.data, b.len), 0);
	s = show(&back);
	assert_non_null(strstr(s, "policy.organization<" ORG_EXT ">"));
	free(s);
	kn_authres_cleanup(&back);

	/* Asked for UTF-8 (RFC 6532): the name in a quoted-string. */
	ar.utf8 = true;
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_encode(&b, &ar, NULL), 0);
	assert_non_null(strstr(b.data, " policy.corporate-number="
	    "4011001099001 policy.organization=\"" ORG_NAME "\""));
	assert_int_equal(kn_authres_parse(&back, b.data, b.len), 0);
	assert_string_equal(kn_authres_prop(kn_authres_find(&back,
	    "kakuin-mark", 0), "policy", "organization"), ORG_NAME);
	kn_authres_cleanup(&back);
	kn_authres_cleanup(&ar);

	/* No results: "none"; SPF of a null reverse-path: smtp.helo. */
	kn_authres_init(&ar);
	assert_int_equal(kn_authres_set_id(&ar, "mx.kakuin.example"), 0);
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_encode(&b, &ar, "\r\n\t"), 0);
	assert_string_equal(b.data, " mx.kakuin.example; none");
	assert_int_equal(kn_authres_add_spf(&ar, "fail", "", "mta.evil.example",
	    "the HELO domain is not authorized"), 0);
	assert_int_equal(kn_authres_add_mark(&ar, "none", NULL, NULL, NULL,
	    "no valid DKIM signature of the author's domain"), 0);
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_encode(&b, &ar, NULL), 0);
	assert_string_equal(b.data, " mx.kakuin.example;"
	    " spf=fail reason=\"the HELO domain is not authorized\""
	    " smtp.helo=mta.evil.example;"
	    " kakuin-mark=none reason=\"no valid DKIM signature of the "
	    "author's domain\"");
	kn_authres_cleanup(&ar);
	kn_buf_cleanup(&b);
}

static void
test_emit_quoting(void **state)
{
	struct kn_authres ar, back;
	struct kn_authres_result *r;
	struct kn_buf b;

	(void)state;
	kn_authres_init(&ar);
	ar.utf8 = true;
	assert_int_equal(kn_authres_set_id(&ar, "mx.kakuin.example"), 0);
	/* Quotes and backslashes in a name become quoted-pairs. */
	assert_int_equal(kn_authres_add_mark(&ar, "pass", "kakuin.co.jp",
	    ORG_NUMBER, "株式会社\"角印\"\\商事", "a \"quoted\" reason"), 0);
	assert_int_equal(kn_authres_add(&ar, &r, "x-local", "pass", NULL), 0);
	assert_int_equal(kn_authres_add_prop(r, "policy", "note",
	    "semi;colon (paren)"), 0);
	assert_int_equal(kn_authres_add_prop(r, "smtp", "mailfrom",
	    "@kakuin.co.jp"), 0);
	kn_buf_init(&b, 4096);
	assert_int_equal(kn_authres_encode(&b, &ar, NULL), 0);
	assert_string_equal(b.data, " mx.kakuin.example;"
	    " kakuin-mark=pass reason=\"a \\\"quoted\\\" reason\""
	    " header.from=kakuin.co.jp policy.corporate-number=4011001099001"
	    " policy.organization=\"株式会社\\\"角印\\\"\\\\商事\";"
	    " x-local=pass policy.note=\"semi;colon (paren)\""
	    " smtp.mailfrom=@kakuin.co.jp");
	assert_int_equal(kn_authres_parse(&back, b.data, b.len), 0);
	assert_string_equal(kn_authres_prop(kn_authres_find(&back,
	    "kakuin-mark", 0), "policy", "organization"),
	    "株式会社\"角印\"\\商事");
	assert_string_equal(kn_authres_find(&back, "kakuin-mark", 0)->reason,
	    "a \"quoted\" reason");
	assert_string_equal(kn_authres_prop(kn_authres_find(&back, "x-local",
	    0), "policy", "note"), "semi;colon (paren)");
	kn_authres_cleanup(&back);

	/* ASCII (the default): the same name as an ext-value. */
	ar.utf8 = false;
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_encode(&b, &ar, NULL), 0);
	assert_non_null(strstr(b.data, " policy.organization=UTF-8''"
	    "%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE%22%E8%A7%92%E5%8D%B0%22%5C"
	    "%E5%95%86%E4%BA%8B;"));
	assert_int_equal(kn_authres_parse(&back, b.data, b.len), 0);
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_ext_decode(&b, kn_authres_prop(
	    kn_authres_find(&back, "kakuin-mark", 0), "policy",
	    "organization")), 0);
	assert_string_equal(b.data, "株式会社\"角印\"\\商事");
	kn_authres_cleanup(&back);
	kn_authres_cleanup(&ar);
	kn_buf_cleanup(&b);
}

static void
test_ext_value(void **state)
{
	static const struct {
		const char	*in;
		int		 want_rc;
		const char	*want;
	} tab[] = {
		{ "UTF-8''%E8%A7%92%E5%8D%B0", 0, "角印" },
		{ "utf-8'ja'%E8%A7%92-a.b", 0, "角-a.b" },
		{ "UTF-8''", 0, "" },
		{ "plain-token", 0, "plain-token" },
		{ "UTF-8'", 0, "UTF-8'" },		/* not an ext-value */
		{ "UTF-8'j a'x", 0, "UTF-8'j a'x" },	/* nor this */
		{ "UTF-8''%E8%A7", KN_ERR_INVAL, "not UTF-8 once decoded" },
		{ "UTF-8''%C0%AF", KN_ERR_INVAL, "not UTF-8" },	/* overlong */
		{ "UTF-8''%G0", KN_ERR_INVAL, "bad percent-escape" },
		{ "UTF-8''%4", KN_ERR_INVAL, "bad percent-escape" },
		{ "UTF-8''%", KN_ERR_INVAL, "bad percent-escape" },
	};
	struct kn_authres ar, back;
	struct kn_authres_result *r;
	struct kn_buf b;
	size_t i;
	int rc;

	(void)state;
	kn_buf_init(&b, 4096);
	for (i = 0; i < NITEMS(tab); i++) {
		kn_buf_reset(&b);
		rc = kn_authres_ext_decode(&b, tab[i].in);
		CHECK_INT(tab[i].in, rc, tab[i].want_rc);
		if (rc == 0)
			CHECK_STR(tab[i].in, b.data, tab[i].want);
		else
			CHECK_HAS(tab[i].in, kn_err_get()->msg, tab[i].want);
	}
	/* ASCII text that reads as an ext-value is encoded too. */
	kn_authres_init(&ar);
	assert_int_equal(kn_authres_set_id(&ar, "mx.kakuin.example"), 0);
	assert_int_equal(kn_authres_add(&ar, &r, "x", "pass", NULL), 0);
	assert_int_equal(kn_authres_add_prop(r, "p", "q", "utf-8''%41"), 0);
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_encode(&b, &ar, NULL), 0);
	assert_string_equal(b.data, " mx.kakuin.example; x=pass "
	    "p.q=UTF-8''utf-8%27%27%2541");
	assert_int_equal(kn_authres_parse(&back, b.data, b.len), 0);
	kn_buf_reset(&b);
	assert_int_equal(kn_authres_ext_decode(&b, back.results[0].props[0].
	    value), 0);
	assert_string_equal(b.data, "utf-8''%41");
	kn_authres_cleanup(&back);
	kn_authres_cleanup(&ar);
	kn_buf_cleanup(&b);
}

static void
test_emit_refused(void **state)
{
	static const struct {
		const char	*name;
		const char	*method, *result, *reason;
		const char	*ptype, *property, *value;
		int		 want_rc;
		const char	*want_err;
	} tab[] = {
		{ "method with a space", "dk im", "pass", NULL, NULL, NULL,
		    NULL, KN_ERR_INVAL, "must be keywords" },
		{ "result with a dot", "dkim", "pass.", NULL, NULL, NULL, NULL,
		    KN_ERR_INVAL, "must be keywords" },
		{ "empty method", "", "pass", NULL, NULL, NULL, NULL,
		    KN_ERR_INVAL, "must be keywords" },
		{ "reason with CRLF (header injection)", "dkim", "pass",
		    "ok\r\nX-Injected: 1", NULL, NULL, NULL, KN_ERR_INVAL,
		    "the reason has a control character at byte 3" },
		{ "reason not UTF-8", "dkim", "pass", "\xff\xfe", NULL, NULL,
		    NULL, KN_ERR_INVAL, "not well-formed UTF-8" },
		{ "ptype not a keyword", "dkim", "pass", NULL, "head er", "d",
		    "x.example", KN_ERR_INVAL, "ptype and property" },
		{ "property empty", "dkim", "pass", NULL, "header", "",
		    "x.example", KN_ERR_INVAL, "ptype and property" },
		{ "value empty", "dkim", "pass", NULL, "header", "d", "",
		    KN_ERR_INVAL, "header.d has no value" },
		{ "value with NUL-like control", "dkim", "pass", NULL,
		    "header", "d", "x\x01.example", KN_ERR_INVAL,
		    "control character" },
		{ "value with LF", "dkim", "pass", NULL, "header", "d",
		    "x.example\nBcc: victim@example", KN_ERR_INVAL,
		    "control character" },
	};
	struct kn_authres ar;
	struct kn_authres_result *r;
	struct kn_buf b;
	char *longname;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		kn_authres_init(&ar);
		rc = kn_authres_add(&ar, &r, tab[i].method, tab[i].result,
		    tab[i].reason);
		if (rc == 0 && tab[i].ptype != NULL)
			rc = kn_authres_add_prop(r, tab[i].ptype,
			    tab[i].property, tab[i].value);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want_err);
		kn_authres_cleanup(&ar);
	}

	kn_authres_init(&ar);
	/* The authserv-id is one token. */
	assert_int_equal(kn_authres_set_id(&ar, "mx kakuin"), KN_ERR_INVAL);
	assert_int_equal(kn_authres_set_id(&ar, "mx;kakuin"), KN_ERR_INVAL);
	assert_int_equal(kn_authres_set_id(&ar, ""), KN_ERR_INVAL);
	kn_buf_init(&b, 4096);
	assert_int_equal(kn_authres_encode(&b, &ar, NULL), KN_ERR_INVAL);
	assert_int_equal(kn_authres_set_id(&ar, "mx.kakuin.example"), 0);
	/* The mark: a real corporate number and a sane name. */
	assert_int_equal(kn_authres_add_mark(&ar, "pass", "kakuin.co.jp",
	    "4011001099002", ORG_NAME, NULL), KN_ERR_INVAL);
	assert_non_null(strstr(kn_err_get()->msg, "wrong check digit"));
	assert_int_equal(kn_authres_add_mark(&ar, "pass", "kakuin.co.jp",
	    "401100109900", ORG_NAME, NULL), KN_ERR_INVAL);
	assert_int_equal(kn_authres_add_mark(&ar, "maybe", "kakuin.co.jp",
	    ORG_NUMBER, ORG_NAME, NULL), KN_ERR_INVAL);
	assert_int_equal(kn_authres_add_mark(&ar, "pass", "kakuin.co.jp",
	    ORG_NUMBER, "", NULL), KN_ERR_INVAL);
	longname = malloc(3 * (KN_AUTHRES_MAX_NAME + 1) + 1);
	assert_non_null(longname);
	for (i = 0; i <= KN_AUTHRES_MAX_NAME; i++)
		memcpy(longname + 3 * i, "角", 3);
	longname[3 * (KN_AUTHRES_MAX_NAME + 1)] = '\0';
	assert_int_equal(kn_authres_add_mark(&ar, "pass", "kakuin.co.jp",
	    ORG_NUMBER, longname, NULL), KN_ERR_INVAL);
	assert_non_null(strstr(kn_err_get()->msg, "1 to 100 characters"));
	/* 100 characters fit, percent-encoded, on one line. */
	longname[3 * KN_AUTHRES_MAX_NAME] = '\0';
	assert_int_equal(kn_authres_add_mark(&ar, "pass", "kakuin.co.jp",
	    ORG_NUMBER, longname, NULL), 0);
	free(longname);
	/* A refused property takes its result away with it. */
	assert_int_equal(kn_authres_add_dmarc(&ar, "fail", "bad domain!\x7f",
	    "reject", NULL), KN_ERR_INVAL);
	assert_int_equal(ar.nresults, 1);
	/* Caps. */
	for (i = 1; i < KN_AUTHRES_MAX_RESULTS; i++)
		assert_int_equal(kn_authres_add(&ar, &r, "x", "pass", NULL), 0);
	assert_int_equal(kn_authres_add(&ar, &r, "x", "pass", NULL),
	    KN_ERR_TOOBIG);
	for (i = 0; i < KN_AUTHRES_MAX_PROPS; i++)
		assert_int_equal(kn_authres_add_prop(&ar.results[1], "p", "q",
		    "v"), 0);
	assert_int_equal(kn_authres_add_prop(&ar.results[1], "p", "q", "v"),
	    KN_ERR_TOOBIG);
	assert_int_equal(kn_authres_encode(&b, &ar, "\r\n\t"), 0);
	kn_authres_cleanup(&ar);
	kn_buf_cleanup(&b);
}

static void
test_parse(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;	/* 0: strlen */
		int		 want_rc;
		const char	*want;	/* show(), or the error detail */
	} tab[] = {
		/* RFC 8601 shapes. */
		{ "none with version", "example.org 1; none", 0, 0,
		    "example.org|none" },
		{ "none, no version", "example.org; none", 0, 0,
		    "example.org|none" },
		{ "spf", "example.com; spf=pass smtp.mailfrom=example.net", 0,
		    0, "example.com|spf=pass smtp.mailfrom<example.net>" },
		{ "comments everywhere", "(our mx) example.com (v) 1 (x);"
		    " dkim (a (nested) one) = pass (good sig) header (h) . (p) "
		    "d (q) = (r) example.net (yes) header.s=sel (s)", 0, 0,
		    "example.com|dkim=pass header.d<example.net> "
		    "header.s<sel>" },
		{ "folded with CRLF and LF", "mx.example.org;\r\n\tdkim=pass "
		    "header.d=a.example;\n spf=fail\r\n smtp.mailfrom="
		    "x@b.example", 0, 0, "mx.example.org|dkim=pass "
		    "header.d<a.example>|spf=fail smtp.mailfrom<x@b.example>" },
		{ "method version", "example.com; dkim/1=pass header.d=x; "
		    "spf / 2 = pass", 0, 0,
		    "example.com|dkim=pass header.d<x>|spf/2=pass" },
		{ "reason", "example.com; dmarc=fail reason=\"p=reject\" "
		    "header.from=bank.example", 0, 0, "example.com|dmarc=fail "
		    "reason<p=reject> header.from<bank.example>" },
		{ "reason as a token", "example.com; dkim=fail reason=bad-sig",
		    0, 0, "example.com|dkim=fail reason<bad-sig>" },
		{ "ptype named reason", "example.com; x=pass reason.y=z", 0,
		    0, "example.com|x=pass reason.y<z>" },
		{ "quoted value with escapes", "example.com; kakuin-mark=pass "
		    "policy.organization=\"株式会社\\\"角印\\\"\"", 0, 0,
		    "example.com|kakuin-mark=pass "
		    "policy.organization<株式会社\"角印\">" },
		{ "quoted local-part", "example.com; spf=pass "
		    "smtp.mailfrom=\"john doe\"@example.net", 0, 0,
		    "example.com|spf=pass "
		    "smtp.mailfrom<john doe@example.net>" },
		{ "local-part with = / ?", "example.com; spf=pass "
		    "smtp.mailfrom=a=b/c?d@example.net header.b=abc", 0, 0,
		    "example.com|spf=pass smtp.mailfrom<a=b/c?d@example.net> "
		    "header.b<abc>" },
		{ "quoted local-part with =", "example.com; spf=pass "
		    "p.q=\"jo=e\"@t", 0, 0,
		    "example.com|spf=pass p.q<jo=e@t>" },
		{ "base64 unquoted, as receivers write it", "example.com; "
		    "dkim=pass header.b=Ab/c+d=", 0, 0,
		    "example.com|dkim=pass header.b<Ab/c+d=>" },
		{ "address without local-part", "example.com; spf=pass "
		    "smtp.mailfrom=@example.net", 0, 0,
		    "example.com|spf=pass smtp.mailfrom<@example.net>" },
		{ "folded quoted string", "example.com; x=pass p.q=\"a\r\n b\"",
		    0, 0, "example.com|x=pass p.q<a b>" },
		{ "keywords lowercased, values kept", "Example.COM; "
		    "DKIM=Pass Header.D=Example.NET", 0, 0,
		    "Example.COM|dkim=pass header.d<Example.NET>" },
		{ "quoted authserv-id", "\"mx.example.org\"; none", 0, 0,
		    "mx.example.org|none" },
		{ "several of one method", "example.com; dkim=pass "
		    "header.d=a.example; dkim=fail header.d=b.example", 0, 0,
		    "example.com|dkim=pass header.d<a.example>|dkim=fail "
		    "header.d<b.example>" },
		{ "leading and trailing space", "  example.com ; none  ", 0, 0,
		    "example.com|none" },
		/*
		 * OpenDMARC CVE-2020-12272: the text in a comment is not the
		 * value; header.d is example.net, not example.com.
		 */
		{ "CVE-2020-12272 comment after d=", "mx.example.org; dkim=pass"
		    " header.d=example.net(.example.com)", 0, 0,
		    "mx.example.org|dkim=pass header.d<example.net>" },
		{ "CVE-2020-12272 spaced", "mx.example.org; dkim=pass "
		    "header.d=example.net (.example.com)", 0, 0,
		    "mx.example.org|dkim=pass header.d<example.net>" },
		{ "comment holding a result", "mx.example.org; dkim=fail "
		    "(dkim=pass header.d=bank.example) header.d=evil.example",
		    0, 0, "mx.example.org|dkim=fail header.d<evil.example>" },
		/* Malformed. */
		{ "empty", "", 0, KN_ERR_INVAL, "no authserv-id at byte 1" },
		{ "only a comment", "(x)", 0, KN_ERR_INVAL, "no authserv-id" },
		{ "no results", "example.com", 0, KN_ERR_INVAL,
		    "no results and no \"none\" (RFC 8601 section 2.2)" },
		{ "semicolon only", "example.com;", 0, KN_ERR_INVAL,
		    "a result has no method at byte 13" },
		{ "method without =", "example.com; dkim", 0, KN_ERR_INVAL,
		    "a method is not followed by '='" },
		{ "no result", "example.com; dkim=", 0, KN_ERR_INVAL,
		    "a method has no result" },
		{ "ptype without property", "example.com; dkim=pass header", 0,
		    KN_ERR_INVAL, "a ptype is not followed by '.'" },
		{ "property without =", "example.com; dkim=pass header.d", 0,
		    KN_ERR_INVAL, "a property is not followed by '='" },
		{ "property without value", "example.com; dkim=pass header.d=",
		    0, KN_ERR_INVAL, "a property has no value" },
		{ "reason without value", "example.com; dkim=pass reason=", 0,
		    KN_ERR_INVAL, "reason= has no value" },
		{ "comment not closed", "example.com; dkim=pass (oops", 0,
		    KN_ERR_INVAL, "a comment is not closed" },
		{ "comment closed too often", "example.com; dkim=pass (a))", 0,
		    KN_ERR_INVAL, "expected ptype.property=value" },
		{ "quoted-string not closed", "example.com; dkim=pass "
		    "header.d=\"x.example", 0, KN_ERR_INVAL,
		    "a quoted-string is not closed" },
		{ "quoted-pair at the end", "example.com; x=pass p.q=\"a\\", 0,
		    KN_ERR_INVAL, "a bad quoted-pair" },
		{ "version 2", "example.com 2; none", 0, KN_ERR_INVAL,
		    "version 2 is not 1" },
		{ "version huge", "example.com 99999999999; none", 0,
		    KN_ERR_INVAL, "the version is too big" },
		{ "none then more", "example.com; none; dkim=pass", 0,
		    KN_ERR_INVAL, "a result after \"none\"" },
		{ "none among results", "example.com; dkim=pass; none", 0,
		    KN_ERR_INVAL, "\"none\" among results" },
		{ "trailing garbage", "example.com; dkim=pass header.d=x junk",
		    0, KN_ERR_INVAL, "a ptype is not followed by '.'" },
		{ "two @", "example.com; spf=pass smtp.mailfrom=a@b@c.example",
		    0, KN_ERR_INVAL, "is not local-part@domain" },
		{ "bad domain after @", "example.com; spf=pass "
		    "smtp.mailfrom=a@-x.example", 0, KN_ERR_INVAL,
		    "is not local-part@domain" },
		{ "NUL inside", "example.com; dkim=pass\0 header.d=evil", 37,
		    KN_ERR_INVAL, "a control character (0x00) at byte 23" },
		{ "bare CR", "example.com; dkim=pass\r header.d=x", 0,
		    KN_ERR_INVAL, "expected ptype.property=value" },
		{ "line break not folded", "example.com; dkim=pass\r\nX: y", 0,
		    KN_ERR_INVAL, "expected ptype.property=value" },
		{ "final CRLF", "example.com; none\r\n", 0, KN_ERR_INVAL,
		    "a method is not followed by '='" },
		{ "bad UTF-8", "example.com; x=pass p.q=\"\xc3\x28\"", 0,
		    KN_ERR_INVAL, "not well-formed UTF-8" },
		{ "keyword ends with a hyphen", "example.com; dkim-=pass", 0,
		    KN_ERR_INVAL, "a result has no method" },
		{ "method version not a number", "example.com; dkim/x=pass", 0,
		    KN_ERR_INVAL, "a method version is not a number" },
	};
	struct kn_authres ar;
	size_t i;
	char *s;
	int rc;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		size_t len = tab[i].len ? tab[i].len : strlen(tab[i].in);

		kn_err_clear();
		rc = parse_exact(&ar, tab[i].in, len);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (rc != 0) {
			CHECK_HAS(tab[i].name, kn_err_get()->msg,
			    tab[i].want);
			CHECK_INT(tab[i].name, ar.nresults, 0);
			continue;
		}
		s = show(&ar);
		CHECK_STR(tab[i].name, s, tab[i].want);
		free(s);
		kn_authres_cleanup(&ar);
	}
	/* A NULL pointer with no bytes is an empty field. */
	assert_int_equal(kn_authres_parse(&ar, NULL, 0), KN_ERR_INVAL);
}

/*
 * Caps, and the OpenDMARC CVE-2020-12460 class (a buffer end or NUL
 * termination off by one): every prefix of a field, parsed from a copy of
 * exactly that length, parses or fails cleanly.
 */
static void
test_parse_caps(void **state)
{
	struct kn_authres ar, built;
	struct kn_buf b;
	size_t i;
	char *big;
	int rc;

	(void)state;
	build(&built);
	kn_buf_init(&b, 8192);
	assert_int_equal(kn_authres_encode(&b, &built, "\r\n\t"), 0);
	kn_buf_putf(&b, "; x=pass (c (d) \\) e) p.q=\"z\\\"\" r.s=a@b.example");
	assert_false(b.failed);
	assert_int_equal(parse_exact(&ar, b.data, b.len), 0);
	kn_authres_cleanup(&ar);
	for (i = 0; i < b.len; i++) {
		rc = parse_exact(&ar, b.data, i);
		assert_true(rc == 0 || rc == KN_ERR_INVAL);
		kn_authres_cleanup(&ar);
	}
	kn_authres_cleanup(&built);

	/* Oversized field. */
	big = malloc(KN_AUTHRES_MAX_LEN + 2);
	assert_non_null(big);
	memset(big, ' ', KN_AUTHRES_MAX_LEN + 1);
	memcpy(big, "example.com; none", 17);
	assert_int_equal(kn_authres_parse(&ar, big, KN_AUTHRES_MAX_LEN + 1),
	    KN_ERR_TOOBIG);
	assert_int_equal(kn_authres_parse(&ar, big, KN_AUTHRES_MAX_LEN), 0);
	kn_authres_cleanup(&ar);

	/* Too many results, properties; a value too long; deep comments. */
	kn_buf_reset(&b);
	kn_buf_puts(&b, "example.com");
	for (i = 0; i <= KN_AUTHRES_MAX_RESULTS; i++)
		kn_buf_puts(&b, "; x=pass");
	assert_int_equal(kn_authres_parse(&ar, b.data, b.len), KN_ERR_TOOBIG);
	kn_buf_reset(&b);
	kn_buf_puts(&b, "example.com; x=pass");
	for (i = 0; i <= KN_AUTHRES_MAX_PROPS; i++)
		kn_buf_puts(&b, " p.q=v");
	assert_int_equal(kn_authres_parse(&ar, b.data, b.len), KN_ERR_TOOBIG);
	kn_buf_reset(&b);
	kn_buf_puts(&b, "example.com; x=pass p.q=\"");
	for (i = 0; i <= KN_AUTHRES_MAX_VALUE; i++)
		kn_buf_puts(&b, "a");
	kn_buf_puts(&b, "\"");
	assert_int_equal(kn_authres_parse(&ar, b.data, b.len), KN_ERR_TOOBIG);
	kn_buf_reset(&b);
	kn_buf_puts(&b, "example.com; x=pass ");
	for (i = 0; i <= KN_AUTHRES_MAX_DEPTH; i++)
		kn_buf_puts(&b, "(");
	for (i = 0; i <= KN_AUTHRES_MAX_DEPTH; i++)
		kn_buf_puts(&b, ")");
	assert_int_equal(kn_authres_parse(&ar, b.data, b.len), KN_ERR_INVAL);
	assert_non_null(strstr(kn_err_get()->msg, "nested too deep"));
	kn_buf_cleanup(&b);
	free(big);
}

static void
test_is_ours(void **state)
{
	static const struct {
		const char	*in;
		bool		 want;
	} tab[] = {
		{ "mx.kakuin.example; kakuin-mark=pass", true },
		{ "MX.Kakuin.Example; none", true },
		{ "(forged) mx.kakuin.example (x); kakuin-mark=pass", true },
		{ "\"mx.kakuin.example\"; none", true },
		{ "mx.kakuin.example", true },
		/* Malformed after our id: still ours, still removed. */
		{ "mx.kakuin.example; kakuin-mark=pass policy.organization=\"x",
		    true },
		{ "mx.kakuin.example 7; broken", true },
		/* Too malformed to read strictly: ours if our id is a word
		 * before the first ';'. */
		{ "(unclosed mx.kakuin.example; kakuin-mark=pass", true },
		{ "\"mx.kakuin.example; kakuin-mark=pass", true },
		{ "(unclosed) (x mx.kakuin.example.evil; y", false },
		/* Someone else's. */
		{ "mx.other.example; dkim=pass header.d=mx.kakuin.example",
		    false },
		{ "mx.kakuin.example.evil; kakuin-mark=pass", false },
		{ "evil.mx.kakuin.example; kakuin-mark=pass", false },
		{ "xmx.kakuin.example; none", false },
		{ "(mx.kakuin.example) other.example; none", false },
		{ "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++)
		CHECK_INT(tab[i].in, kn_authres_is_ours(tab[i].in,
		    strlen(tab[i].in), "mx.kakuin.example"), tab[i].want);
	assert_false(kn_authres_is_ours("x; none", 7, ""));
	assert_false(kn_authres_is_ours("x; none", 7, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emit),
		cmocka_unit_test(test_emit_quoting),
		cmocka_unit_test(test_emit_refused),
		cmocka_unit_test(test_ext_value),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_caps),
		cmocka_unit_test(test_is_ours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
