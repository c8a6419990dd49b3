/*
 * test_mail_spf.c - the SPF record parser and macro expander (RFC 7208),
 * and the DNS helpers they lean on.  Evaluation against DNS is in the
 * end-to-end tests (tests/e2e/test_spf*.py, a real unbound).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "mail/spf.h"
#include "testutil.h"

#define REC(s) (s), sizeof(s) - 1

static void
test_parse_accepts(void **state)
{
	static const struct {
		const char	*name;
		const char	*rec;
		size_t		 len;
		size_t		 want_terms;
		size_t		 want_dns;
		const char	*want_redirect;	/* NULL: none */
		const char	*want_exp;
	} tab[] = {
		{ "empty", REC("v=spf1"), 0, 0, NULL, NULL },
		{ "version any case", REC("V=SpF1 +ALL"), 1, 0, NULL, NULL },
		{ "spaces around", REC("v=spf1   a    -all   "), 2, 1, NULL,
		    NULL },
		{ "every mechanism", REC("v=spf1 ip4:192.0.2.0/24 "
		    "ip6:2001:db8::/32 a mx/24//64 ptr:example.com "
		    "exists:%{i}.x.example.com include:_spf.example.com ~all"),
		    8, 5, NULL, NULL },
		{ "modifiers anywhere", REC("v=spf1 redirect=_spf.example.net "
		    "exp=why.%{d} -all foo=bar"), 1, 0, "_spf.example.net",
		    "why.%{d}" },
		{ "unknown modifier names",
		    REC("v=spf1 moo.cow-far_out=man:dog/cat default=+ x="),
		    0, 0, NULL, NULL },
		{ "visible chars in domain", REC("v=spf1 a:foo:bar/baz.example."
		    "com"), 1, 1, NULL, NULL },
		{ "dashed top label", REC("v=spf1 a:foo.example.xn--zckzah"),
		    1, 1, NULL, NULL },
		{ "trailing dot", REC("v=spf1 include:o.spf.example.com."), 1,
		    1, NULL, NULL },
		{ "ends in macro", REC("v=spf1 exists:%{l2r+-}.user.%{d2}"), 1,
		    1, NULL, NULL },
		{ "escapes", REC("v=spf1 a:macro%%percent%_%_space%-url."
		    "example.com"), 1, 1, NULL, NULL },
		{ "prefix zero", REC("v=spf1 ip4:0.0.0.0/0 ip6:::/0 a/0//0"),
		    3, 1, NULL, NULL },
		{ "unknown modifier c r t", REC("v=spf1 note=%{c}%{r}%{t}"), 0,
		    0, NULL, NULL },
	};
	struct kn_spf_record *r = malloc(sizeof(*r));
	size_t i;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < NITEMS(tab); i++) {
		int rc = kn_spf_parse(r, tab[i].rec, tab[i].len);

		if (rc != 0)
			fail_msg("%s: rc %d: %s", tab[i].name, rc,
			    kn_err_get()->msg);
		CHECK_INT(tab[i].name, r->n, tab[i].want_terms);
		CHECK_INT(tab[i].name, r->dns_terms, tab[i].want_dns);
		CHECK_INT(tab[i].name, r->redirect.len, tab[i].want_redirect ?
		    strlen(tab[i].want_redirect) : 0);
		if (tab[i].want_redirect != NULL && memcmp(r->redirect.ptr,
		    tab[i].want_redirect, r->redirect.len) != 0)
			fail_msg("%s: redirect", tab[i].name);
		CHECK_INT(tab[i].name, r->exp.len, tab[i].want_exp ?
		    strlen(tab[i].want_exp) : 0);
		if (tab[i].want_exp != NULL && memcmp(r->exp.ptr,
		    tab[i].want_exp, r->exp.len) != 0)
			fail_msg("%s: exp", tab[i].name);
	}
	free(r);
}

static void
test_parse_terms(void **state)
{
	static const unsigned char v4[4] = { 192, 0, 2, 0 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const char rec[] = "v=spf1 ip4:192.0.2.0/24 -ip6:2001:db8::/32 "
	    "?a:%{d}/24//64 ~mx:mail.example.com ptr exists:e.example.com "
	    "+include:i.example.com -all";
	struct kn_spf_record *r = malloc(sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(kn_spf_parse(r, rec, strlen(rec)), 0);
	assert_int_equal(r->n, 8);
	assert_int_equal(r->term[0].mech, KN_SPF_IP4);
	assert_int_equal(r->term[0].qualifier, KN_SPF_PASS);
	assert_memory_equal(r->term[0].addr, v4, 4);
	assert_int_equal(r->term[0].cidr4, 24);
	assert_int_equal(r->term[1].mech, KN_SPF_IP6);
	assert_int_equal(r->term[1].qualifier, KN_SPF_FAIL);
	assert_memory_equal(r->term[1].addr, v6, 16);
	assert_int_equal(r->term[1].cidr6, 32);
	assert_int_equal(r->term[2].mech, KN_SPF_A);
	assert_int_equal(r->term[2].qualifier, KN_SPF_NEUTRAL);
	assert_int_equal(r->term[2].cidr4, 24);
	assert_int_equal(r->term[2].cidr6, 64);
	assert_int_equal(r->term[2].domain.len, 4);
	assert_memory_equal(r->term[2].domain.ptr, "%{d}", 4);
	assert_int_equal(r->term[3].mech, KN_SPF_MX);
	assert_int_equal(r->term[3].qualifier, KN_SPF_SOFTFAIL);
	assert_int_equal(r->term[3].cidr4, 32);
	assert_int_equal(r->term[3].cidr6, 128);
	assert_int_equal(r->term[4].mech, KN_SPF_PTR);
	assert_int_equal(r->term[4].domain.len, 0);
	assert_int_equal(r->term[5].mech, KN_SPF_EXISTS);
	assert_int_equal(r->term[6].mech, KN_SPF_INCLUDE);
	assert_int_equal(r->term[7].mech, KN_SPF_ALL);
	assert_int_equal(r->term[7].text.len, 4);
	assert_memory_equal(r->term[7].text.ptr, "-all", 4);
	free(r);
}

static void
test_parse_rejects(void **state)
{
	static const struct {
		const char	*name;
		const char	*rec;
		size_t		 len;
		int		 want_rc;
		const char	*want;	/* in the detail */
	} tab[] = {
		{ "not spf", REC("v=spf10 -all"), KN_ERR_INVAL, "4.5" },
		{ "tab after version", REC("v=spf1\t-all"), KN_ERR_INVAL,
		    "4.5" },
		{ "not txt", REC("spf2.0/pra -all"), KN_ERR_INVAL, "4.5" },
		{ "all with dot", REC("v=spf1 -all."), KN_ERR_INVAL, "5.1" },
		{ "all with arg", REC("v=spf1 -all:foo"), KN_ERR_INVAL, "5.1" },
		{ "all with cidr", REC("v=spf1 -all/8"), KN_ERR_INVAL, "5.1" },
		{ "unknown mech", REC("v=spf1 ip4:1.2.3.4 -all moo"),
		    KN_ERR_INVAL, "term 3 \"moo\"" },
		{ "modifier colon", REC("v=spf1 redirect:a.example.com"),
		    KN_ERR_INVAL, "4.6.1" },
		{ "modifier slash", REC("v=spf1 moo.cow/far_out=man:dog/cat"),
		    KN_ERR_INVAL, "4.6.1" },
		{ "modifier digit", REC("v=spf1 1up=foo"), KN_ERR_INVAL,
		    "4.6.1" },
		{ "modifier no name", REC("v=spf1 =all"), KN_ERR_INVAL,
		    "4.6.1" },
		{ "ip4 cidr 33", REC("v=spf1 ip4:1.2.3.4/33"), KN_ERR_INVAL,
		    "5.6" },
		{ "ip4 cidr zero", REC("v=spf1 ip4:1.2.3.4/032"), KN_ERR_INVAL,
		    "5.6" },
		{ "ip4 short", REC("v=spf1 ip4:1.2.3"), KN_ERR_INVAL, "5.6" },
		{ "ip4 truncated", REC("v=spf1 ip4:192.0.2."), KN_ERR_INVAL,
		    "5.6" },
		{ "ip4 port", REC("v=spf1 ip4:1.2.3.4:8080"), KN_ERR_INVAL,
		    "5.6" },
		{ "ip4 leading zero", REC("v=spf1 ip4:01.2.3.4"), KN_ERR_INVAL,
		    "5.6" },
		{ "ip4 256", REC("v=spf1 ip4:1.2.3.256"), KN_ERR_INVAL, "5.6" },
		{ "ip4 dual cidr", REC("v=spf1 ip4:1.2.3.4//32"), KN_ERR_INVAL,
		    "5.6" },
		{ "ip4 bare", REC("v=spf1 ip4"), KN_ERR_INVAL, "5.6" },
		{ "ip6 bad", REC("v=spf1 ip6::CAFE::BABE"), KN_ERR_INVAL,
		    "5.6" },
		{ "ip6 cidr 129", REC("v=spf1 ip6:::1/129"), KN_ERR_INVAL,
		    "5.6" },
		{ "ip6 dual cidr", REC("v=spf1 ip6:::1//33"), KN_ERR_INVAL,
		    "5.6" },
		{ "a cidr 33", REC("v=spf1 a/33"), KN_ERR_INVAL, "5.6" },
		{ "a cidr6 129", REC("v=spf1 a//129"), KN_ERR_INVAL, "5.6" },
		{ "a cidr wrong form", REC("v=spf1 a/24/64"), KN_ERR_INVAL,
		    "prefix length" },
		{ "a one label", REC("v=spf1 a:foo-bar"), KN_ERR_INVAL, "7.1" },
		{ "a numeric top", REC("v=spf1 a:111.222.33.44"), KN_ERR_INVAL,
		    "top-level label" },
		{ "a dash top", REC("v=spf1 a:example.-com"), KN_ERR_INVAL,
		    "top-level label" },
		{ "a port", REC("v=spf1 a:example.com:8080"), KN_ERR_INVAL,
		    "top-level label" },
		{ "a top only", REC("v=spf1 a:museum."), KN_ERR_INVAL, "7.1" },
		{ "a empty", REC("v=spf1 a:"), KN_ERR_INVAL, "empty" },
		{ "ptr cidr", REC("v=spf1 ptr/0 -all"), KN_ERR_INVAL, "5.5" },
		{ "include empty", REC("v=spf1 include: -all"), KN_ERR_INVAL,
		    "5.2" },
		{ "include bare", REC("v=spf1 include"), KN_ERR_INVAL, "5.2" },
		{ "include cidr", REC("v=spf1 include:a.example.com/24"),
		    KN_ERR_INVAL, "top-level label" },
		{ "exists bare", REC("v=spf1 exists"), KN_ERR_INVAL, "5.7" },
		{ "redirect twice", REC("v=spf1 redirect=a.example.com "
		    "redirect=b.example.com"), KN_ERR_INVAL, "appears twice" },
		{ "exp twice", REC("v=spf1 exp=a.example.com "
		    "exp=b.example.com"), KN_ERR_INVAL, "appears twice" },
		{ "exp empty", REC("v=spf1 exp= -all"), KN_ERR_INVAL, "empty" },
		{ "redirect bad", REC("v=spf1 redirect=-all"), KN_ERR_INVAL,
		    "7.1" },
		{ "bad percent", REC("v=spf1 -exists:%(ir).sbl.example.com"),
		    KN_ERR_INVAL, "'{', '%', '-' or '_'" },
		{ "percent at end", REC("v=spf1 exists:foo%"), KN_ERR_INVAL,
		    "at the end" },
		{ "unterminated", REC("v=spf1 include:%{d"), KN_ERR_INVAL,
		    "7.1" },
		{ "unknown letter", REC("v=spf1 a:%{a}.example.com"),
		    KN_ERR_INVAL, "unknown macro letter" },
		{ "r in domain", REC("v=spf1 exp=%{r}.example.com"),
		    KN_ERR_INVAL, "exp= text only" },
		{ "zero parts", REC("v=spf1 a:%{d0}.example.com"), KN_ERR_INVAL,
		    "nonzero" },
		{ "bad modifier macro", REC("v=spf1 -all foo=%abc"),
		    KN_ERR_INVAL, "7.1" },
		{ "nul", REC("v=spf1 a:foo.example.com\0"), KN_ERR_INVAL,
		    "byte 0x00" },
		{ "cr", REC("v=spf1 a:ctrl.example.com\rptr -all"),
		    KN_ERR_INVAL, "byte 0x0d" },
		{ "lf", REC("v=spf1 ip4:192.0.2.5\n include:a.example.com"),
		    KN_ERR_INVAL, "byte 0x0a" },
		{ "8 bit", REC("v=spf1 \x80" "a:example.net -all"),
		    KN_ERR_INVAL, "byte 0x80" },
		{ "utf-8", REC("v=spf1 a:\xef\xbb\xbfgarbage.example.net"),
		    KN_ERR_INVAL, "US-ASCII" },
	};
	struct kn_spf_record *r = malloc(sizeof(*r));
	size_t i;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < NITEMS(tab); i++) {
		kn_err_clear();
		CHECK_INT(tab[i].name, kn_spf_parse(r, tab[i].rec,
		    tab[i].len), tab[i].want_rc);
		CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want);
		CHECK_HAS(tab[i].name, kn_err_get()->msg, "RFC 7208");
	}
	free(r);
}

static void
test_parse_caps(void **state)
{
	struct kn_spf_record *r = malloc(sizeof(*r));
	char *big;
	size_t i, n;

	(void)state;
	assert_non_null(r);
	/* Oversized: more than KN_SPF_RECORD_MAX bytes. */
	big = malloc(KN_SPF_RECORD_MAX + 2);
	assert_non_null(big);
	memcpy(big, "v=spf1", 6);
	memset(big + 6, ' ', KN_SPF_RECORD_MAX + 1 - 6);
	big[KN_SPF_RECORD_MAX + 1] = '\0';
	assert_int_equal(kn_spf_parse(r, big, KN_SPF_RECORD_MAX + 1),
	    KN_ERR_TOOBIG);
	assert_int_equal(kn_spf_parse(r, big, KN_SPF_RECORD_MAX), 0);
	/* Too many terms. */
	n = 6;
	for (i = 0; i <= KN_SPF_MAX_TERMS; i++) {
		memcpy(big + n, " a", 2);
		n += 2;
	}
	assert_int_equal(kn_spf_parse(r, big, n), KN_ERR_TOOBIG);
	assert_int_equal(kn_spf_parse(r, big, n - 2), 0);
	assert_int_equal(r->n, KN_SPF_MAX_TERMS);
	free(big);
	free(r);
}

static void
macros_v4(struct kn_spf_macros *m)
{
	static const unsigned char ip[4] = { 192, 0, 2, 3 };

	memset(m, 0, sizeof(*m));
	m->sender = "strong-bad@email.example.com";
	m->local = "strong-bad";
	m->sender_domain = "email.example.com";
	m->domain = "email.example.com";
	m->helo = "mx.example.org";
	m->family = 4;
	memcpy(m->ip, ip, 4);
	m->now = 1700000000;
}

/* The worked examples of RFC 7208 section 7.4, and more. */
static void
test_expand(void **state)
{
	static const unsigned char ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x01 };
	static const struct {
		const char	*in;
		int		 mode;
		bool		 v6;
		const char	*want;
	} tab[] = {
		{ "%{s}", KN_SPF_DOMAIN_SPEC, false,
		    "strong-bad@email.example.com" },
		{ "%{o}", KN_SPF_DOMAIN_SPEC, false, "email.example.com" },
		{ "%{d}", KN_SPF_DOMAIN_SPEC, false, "email.example.com" },
		{ "%{d4}", KN_SPF_DOMAIN_SPEC, false, "email.example.com" },
		{ "%{d3}", KN_SPF_DOMAIN_SPEC, false, "email.example.com" },
		{ "%{d2}", KN_SPF_DOMAIN_SPEC, false, "example.com" },
		{ "%{d1}", KN_SPF_DOMAIN_SPEC, false, "com" },
		{ "%{dr}", KN_SPF_DOMAIN_SPEC, false, "com.example.email" },
		{ "%{d2r}", KN_SPF_DOMAIN_SPEC, false, "example.email" },
		{ "%{l}", KN_SPF_DOMAIN_SPEC, false, "strong-bad" },
		{ "%{l-}", KN_SPF_DOMAIN_SPEC, false, "strong.bad" },
		{ "%{lr}", KN_SPF_DOMAIN_SPEC, false, "strong-bad" },
		{ "%{lr-}", KN_SPF_DOMAIN_SPEC, false, "bad.strong" },
		{ "%{l1r-}", KN_SPF_DOMAIN_SPEC, false, "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", KN_SPF_DOMAIN_SPEC, false,
		    "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", KN_SPF_DOMAIN_SPEC, false,
		    "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", KN_SPF_DOMAIN_SPEC, false,
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", KN_SPF_DOMAIN_SPEC, false,
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net", KN_SPF_DOMAIN_SPEC,
		    false, "example.com.trusted-domains.example.net" },
		{ "%{ir}.%{v}._spf.%{d2}", KN_SPF_DOMAIN_SPEC, true,
		    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1."
		    "0.0.2.ip6._spf.example.com" },
		/* Escapes, case, more parts than there are, delimiters. */
		{ "a%%b%_c%-d", KN_SPF_DOMAIN_SPEC, false, "a%b c%20d" },
		{ "%{D2}", KN_SPF_DOMAIN_SPEC, false, "example.com" },
		{ "%{S}", KN_SPF_DOMAIN_SPEC, false,
		    "strong-bad%40email.example.com" },
		{ "%{d9}", KN_SPF_DOMAIN_SPEC, false, "email.example.com" },
		{ "%{d127r}", KN_SPF_DOMAIN_SPEC, false, "com.example.email" },
		{ "%{s2r@.}", KN_SPF_DOMAIN_SPEC, false, "INVALID" },
		{ "%{l2r+-}", KN_SPF_DOMAIN_SPEC, false, "bad.strong" },
		{ "%{h}", KN_SPF_DOMAIN_SPEC, false, "mx.example.org" },
		{ "%{p}", KN_SPF_DOMAIN_SPEC, false, "unknown" },
		/* exp= text: spaces and c, r, t. */
		{ "%{c} at %{t} by %{r}", KN_SPF_EXPLAIN_STRING, false,
		    "192.0.2.3 at 1700000000 by unknown" },
		{ "%{c} is queried as %{i}", KN_SPF_EXPLAIN_STRING, true,
		    "2001:db8::cb01 is queried as 2.0.0.1.0.d.b.8.0.0.0.0.0.0."
		    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1" },
		{ "", KN_SPF_EXPLAIN_STRING, false, "" },
	};
	struct kn_spf_macros m;
	struct kn_buf b;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		int rc;

		macros_v4(&m);
		if (tab[i].v6) {
			m.family = 6;
			memcpy(m.ip, ip6, 16);
		}
		kn_buf_init(&b, 1024);
		rc = kn_spf_expand(&b, &m, tab[i].in, strlen(tab[i].in),
		    (enum kn_spf_macro_mode)tab[i].mode);
		if (strcmp(tab[i].want, "INVALID") == 0) {
			CHECK_INT(tab[i].in, rc, KN_ERR_INVAL);
		} else {
			CHECK_INT(tab[i].in, rc, 0);
			CHECK_STR(tab[i].in, b.len > 0 ? b.data : "",
			    tab[i].want);
		}
		kn_buf_cleanup(&b);
	}
}

static void
test_expand_url_escape(void **state)
{
	struct kn_spf_macros m;
	struct kn_buf b;

	(void)state;
	macros_v4(&m);
	m.local = "~jack&jill=up-a_b3.c";
	kn_buf_init(&b, 256);
	assert_int_equal(kn_spf_expand(&b, &m, REC("l=%{L}"),
	    KN_SPF_EXPLAIN_STRING), 0);
	assert_string_equal(b.data, "l=~jack%26jill%3Dup-a_b3.c");
	kn_buf_cleanup(&b);
}

static void
test_expand_rejects(void **state)
{
	static const struct {
		const char	*in;
		int		 mode;
		const char	*want;
	} tab[] = {
		{ "%", KN_SPF_DOMAIN_SPEC, "at the end" },
		{ "%x", KN_SPF_DOMAIN_SPEC, "'{', '%', '-' or '_'" },
		{ "%{", KN_SPF_DOMAIN_SPEC, "unterminated" },
		{ "%{s", KN_SPF_DOMAIN_SPEC, "closing" },
		{ "%{s1", KN_SPF_DOMAIN_SPEC, "closing" },
		{ "%{q}", KN_SPF_DOMAIN_SPEC, "unknown macro letter" },
		{ "%{d0}", KN_SPF_DOMAIN_SPEC, "nonzero" },
		{ "%{sx}", KN_SPF_DOMAIN_SPEC, "closing" },
		{ "%{s r}", KN_SPF_EXPLAIN_STRING, "closing" },
		{ "%{c}", KN_SPF_DOMAIN_SPEC, "exp= text only" },
		{ "%{t}", KN_SPF_DOMAIN_SPEC, "exp= text only" },
		{ "a b", KN_SPF_DOMAIN_SPEC, "a space" },
		{ "a b", KN_SPF_MACRO_STRING, "a space" },
		{ "a\tb", KN_SPF_EXPLAIN_STRING, "visible US-ASCII" },
		{ "\xc3\xa9", KN_SPF_EXPLAIN_STRING, "visible US-ASCII" },
	};
	struct kn_spf_macros m;
	struct kn_buf b;
	size_t i;

	(void)state;
	macros_v4(&m);
	for (i = 0; i < NITEMS(tab); i++) {
		kn_buf_init(&b, 256);
		kn_err_clear();
		CHECK_INT(tab[i].in, kn_spf_expand(&b, &m, tab[i].in,
		    strlen(tab[i].in), (enum kn_spf_macro_mode)tab[i].mode),
		    KN_ERR_INVAL);
		CHECK_HAS(tab[i].in, kn_err_get()->msg, tab[i].want);
		CHECK_HAS(tab[i].in, kn_err_get()->msg, "RFC 7208 section 7");
		/* The syntax check alone says the same. */
		CHECK_INT(tab[i].in, kn_spf_expand(NULL, NULL, tab[i].in,
		    strlen(tab[i].in), (enum kn_spf_macro_mode)tab[i].mode),
		    KN_ERR_INVAL);
		kn_buf_cleanup(&b);
	}
	/* An expansion past the buffer's cap. */
	kn_buf_init(&b, 40);
	assert_int_equal(kn_spf_expand(&b, &m, REC("%{s}%{s}"),
	    KN_SPF_DOMAIN_SPEC), KN_ERR_TOOBIG);
	kn_buf_cleanup(&b);
}

static void
test_is_record(void **state)
{
	(void)state;
	assert_true(kn_spf_is_record(REC("v=spf1")));
	assert_true(kn_spf_is_record(REC("v=spf1 -all")));
	assert_true(kn_spf_is_record(REC("V=SPF1 -all")));
	assert_false(kn_spf_is_record(REC("v=spf10")));
	assert_false(kn_spf_is_record(REC("v=spf1-all")));
	assert_false(kn_spf_is_record(REC(" v=spf1")));
	assert_false(kn_spf_is_record(REC("v=spf")));
	assert_false(kn_spf_is_record(REC("")));
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(kn_spf_result_str(KN_SPF_NONE), "none");
	assert_string_equal(kn_spf_result_str(KN_SPF_NEUTRAL), "neutral");
	assert_string_equal(kn_spf_result_str(KN_SPF_PASS), "pass");
	assert_string_equal(kn_spf_result_str(KN_SPF_FAIL), "fail");
	assert_string_equal(kn_spf_result_str(KN_SPF_SOFTFAIL), "softfail");
	assert_string_equal(kn_spf_result_str(KN_SPF_TEMPERROR),
	    "temperror");
	assert_string_equal(kn_spf_result_str(KN_SPF_PERMERROR),
	    "permerror");
}

static void
test_dns_names(void **state)
{
	static const struct {
		const char	*name;
		bool		 want;
	} tab[] = {
		{ "example.com", true },
		{ "example.com.", true },
		{ "com", true },
		{ "odd name%.example", true },
		{ "", false },
		{ ".", false },
		{ "a..example", false },
		{ ".example", false },
		{ "example..", false },
	};
	static const unsigned char v4[4] = { 192, 0, 2, 3 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x01 };
	char big[300], rev[80];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++)
		CHECK_INT(tab[i].name, kn_dns_valid_name(tab[i].name,
		    strlen(tab[i].name)), tab[i].want);
	/* Label of 63 bytes is fine, 64 is not; 253 bytes, not 254. */
	memset(big, 'a', 64);
	assert_true(kn_dns_valid_name(big, 63));
	assert_false(kn_dns_valid_name(big, 64));
	for (i = 0; i < 253; i++)
		big[i] = i % 2 ? '.' : 'a';
	assert_true(kn_dns_valid_name(big, 253));
	big[253] = 'a';
	assert_false(kn_dns_valid_name(big, 254));
	kn_dns_reverse_name(rev, sizeof(rev), 4, v4);
	assert_string_equal(rev, "3.2.0.192.in-addr.arpa");
	kn_dns_reverse_name(rev, sizeof(rev), 6, v6);
	assert_string_equal(rev, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	kn_dns_reverse_name(rev, 10, 6, v6);
	assert_string_equal(rev, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_terms),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_caps),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_url_escape),
		cmocka_unit_test(test_expand_rejects),
		cmocka_unit_test(test_is_record),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_dns_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
