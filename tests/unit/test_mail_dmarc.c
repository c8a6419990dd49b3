/*
 * test_mail_dmarc.c - DMARC records under both RFCs, Organizational
 * Domains from the public suffix list (RFC 7489), SPF result names, and
 * the verdicts that need no DNS answer (an unusable From domain, no
 * resolver).  Discovery, the RFC 9989 tree walk and alignment against real
 * DNS are in tests/e2e/test_mail_dmarc.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dmarc.h"
#include "testutil.h"

#define R7489 KN_DMARC_RFC7489
#define R9989 KN_DMARC_RFC9989
#define NONE KN_DMARC_POLICY_NONE
#define QUAR KN_DMARC_POLICY_QUARANTINE
#define REJ KN_DMARC_POLICY_REJECT
#define UNSET KN_DMARC_POLICY_UNSET

static void
test_record_is_dmarc(void **state)
{
	static const struct {
		const char	*in;
		bool		 want;
	} tab[] = {
		{ "v=DMARC1", true },
		{ "v=DMARC1;", true },
		{ "v=DMARC1; p=none", true },
		{ "  v = DMARC1 ;p=none", true },
		{ "V=DMARC1; p=none", true },		/* ABNF: "v" */
		{ "v=dmarc1; p=none", false },		/* %s"DMARC1" */
		{ "v=DMARC1p=none", false },
		{ "v=DMARC1 p=none", false },
		{ "v=DMARC10", false },
		{ "v=DMARC", false },
		{ "v=spf1 -all", false },
		{ "p=none; v=DMARC1", false },
		{ "", false },
		{ "v", false },
		{ "v=", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++)
		CHECK_INT(tab[i].in, kn_dmarc_record_is_dmarc(tab[i].in,
		    strlen(tab[i].in)), tab[i].want);
}

static void
test_record_parse(void **state)
{
	static const struct {
		const char		*name;
		enum kn_dmarc_mode	 mode;
		const char		*in;
		size_t			 len;	/* 0: strlen */
		int			 want_rc;
		const char		*want_err;
		enum kn_dmarc_policy	 p, sp, np;
		bool			 implied;
		const char		*flags;	/* adkim aspf psd t: "rrun" */
		int			 pct;
		unsigned		 fo;
		size_t			 nrua;
		const char		*rua0;
	} tab[] = {
		/* Good records. */
		{ "minimal", R7489, "v=DMARC1; p=none", 0, 0, NULL,
		    NONE, UNSET, UNSET, false, "rrun", 100, 0, 0, NULL },
		{ "trailing semicolon", R9989, "v=DMARC1; p=reject;", 0, 0,
		    NULL, REJ, UNSET, UNSET, false, "rrun", 100, 0, 0, NULL },
		{ "all 7489 tags", R7489, "v=DMARC1; p=reject; sp=quarantine; "
		    "adkim=s; aspf=s; pct=50; rua=mailto:a@bank.example,"
		    "mailto:b@report.example!10m; ruf=mailto:f@bank.example; "
		    "fo=0:d; rf=afrf; ri=3600", 0, 0, NULL,
		    REJ, QUAR, UNSET, false, "ssun", 50,
		    KN_DMARC_FO_0 | KN_DMARC_FO_D, 2, "mailto:a@bank.example" },
		{ "all 9989 tags", R9989, "v=DMARC1;p=quarantine;sp=none;"
		    "np=reject;psd=n;t=y;adkim=r;aspf=s;fo=1:s;"
		    "rua=mailto:x@bank.example", 0, 0, NULL,
		    QUAR, NONE, REJ, false, "rsny", 100,
		    KN_DMARC_FO_1 | KN_DMARC_FO_S, 1,
		    "mailto:x@bank.example" },
		{ "psd=y", R9989, "v=DMARC1; p=reject; psd=y", 0, 0, NULL,
		    REJ, UNSET, UNSET, false, "rryn", 100, 0, 0, NULL },
		{ "spaces everywhere", R7489, "  v = DMARC1 ;  p = reject ;  ",
		    0, 0, NULL, REJ, UNSET, UNSET, false, "rrun", 100, 0, 0,
		    NULL },
		{ "names and keywords ignore case", R9989,
		    "V=DMARC1; P=Reject; SP=NONE; ADKIM=S", 0, 0, NULL,
		    REJ, NONE, UNSET, false, "srun", 100, 0, 0, NULL },
		{ "unknown tag ignored", R7489, "v=DMARC1; p=reject; "
		    "foo=bar baz; x_1=2", 0, 0, NULL,
		    REJ, UNSET, UNSET, false, "rrun", 100, 0, 0, NULL },
		{ "9989: pct rf ri are unknown", R9989, "v=DMARC1; p=reject; "
		    "pct=500; rf=???; ri=x", 0, 0, NULL,
		    REJ, UNSET, UNSET, false, "rrun", 100, 0, 0, NULL },
		{ "7489: np psd t are unknown", R7489, "v=DMARC1; p=reject; "
		    "np=bogus; psd=q; t=maybe", 0, 0, NULL,
		    REJ, UNSET, UNSET, false, "rrun", 100, 0, 0, NULL },
		{ "pct=0", R7489, "v=DMARC1; p=reject; pct=0", 0, 0, NULL,
		    REJ, UNSET, UNSET, false, "rrun", 0, 0, 0, NULL },
		{ "pct=007", R7489, "v=DMARC1; p=reject; pct=007", 0, 0, NULL,
		    REJ, UNSET, UNSET, false, "rrun", 7, 0, 0, NULL },
		{ "ri at 2^32-1", R7489, "v=DMARC1; p=none; ri=4294967295", 0,
		    0, NULL, NONE, UNSET, UNSET, false, "rrun", 100, 0, 0,
		    NULL },
		{ "fo 0 and 1 under 7489", R7489, "v=DMARC1; p=none; "
		    "fo=0 : 1", 0, 0, NULL, NONE, UNSET, UNSET, false, "rrun",
		    100, KN_DMARC_FO_0 | KN_DMARC_FO_1, 0, NULL },
		{ "encoded comma in a URI", R9989, "v=DMARC1; p=none; "
		    "rua=mailto:a%2Cb@bank.example", 0, 0, NULL,
		    NONE, UNSET, UNSET, false, "rrun", 100, 0, 1,
		    "mailto:a%2Cb@bank.example" },
		{ "URIs past the cap are dropped", R9989, "v=DMARC1; p=none; "
		    "rua=mailto:1@a.example,mailto:2@a.example,"
		    "mailto:3@a.example,mailto:4@a.example,mailto:5@a.example,"
		    "mailto:6@a.example,mailto:7@a.example,mailto:8@a.example,"
		    "mailto:9@a.example,mailto:10@a.example", 0, 0, NULL,
		    NONE, UNSET, UNSET, false, "rrun", 100, 0, 8,
		    "mailto:1@a.example" },
		/* p missing or bad: RFC 7489 6.6.3, RFC 9989 4.7 / 4.10.1. */
		{ "9989: no p is p=none", R9989, "v=DMARC1", 0, 0, NULL,
		    NONE, UNSET, UNSET, true, "rrun", 100, 0, 0, NULL },
		{ "9989: no p, rua", R9989, "v=DMARC1; rua=mailto:d@b.example",
		    0, 0, NULL, NONE, UNSET, UNSET, true, "rrun", 100, 0, 1,
		    "mailto:d@b.example" },
		{ "7489: no p, rua", R7489, "v=DMARC1; rua=mailto:d@b.example",
		    0, 0, NULL, NONE, UNSET, UNSET, true, "rrun", 100, 0, 1,
		    "mailto:d@b.example" },
		{ "bad p, rua", R7489, "v=DMARC1; p=rejet; "
		    "rua=mailto:d@bank.example", 0, 0, NULL,
		    NONE, UNSET, UNSET, true, "rrun", 100, 0, 1,
		    "mailto:d@bank.example" },
		{ "bad sp, rua: all p=none", R9989, "v=DMARC1; p=reject; "
		    "sp=maybe; rua=mailto:d@bank.example", 0, 0, NULL,
		    NONE, UNSET, UNSET, true, "rrun", 100, 0, 1,
		    "mailto:d@bank.example" },
	};
	struct kn_dmarc_record r;
	size_t i;
	char flags[5];

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		size_t len = tab[i].len ? tab[i].len : strlen(tab[i].in);

		kn_err_clear();
		CHECK_INT(tab[i].name, kn_dmarc_record_parse(&r, tab[i].in,
		    len, tab[i].mode), 0);
		CHECK_INT(tab[i].name, r.mode, tab[i].mode);
		CHECK_INT(tab[i].name, r.p, tab[i].p);
		CHECK_INT(tab[i].name, r.sp, tab[i].sp);
		CHECK_INT(tab[i].name, r.np, tab[i].np);
		CHECK_INT(tab[i].name, r.p_implied, tab[i].implied);
		snprintf(flags, sizeof(flags), "%c%c%c%c",
		    r.adkim_strict ? 's' : 'r', r.aspf_strict ? 's' : 'r',
		    r.psd, r.testing ? 'y' : 'n');
		CHECK_STR(tab[i].name, flags, tab[i].flags);
		CHECK_INT(tab[i].name, r.pct, tab[i].pct);
		CHECK_INT(tab[i].name, r.fo, tab[i].fo);
		CHECK_INT(tab[i].name, r.nrua, tab[i].nrua);
		if (tab[i].rua0 != NULL)
			CHECK_STR(tab[i].name, r.rua[0], tab[i].rua0);
		kn_dmarc_record_cleanup(&r);
	}
}

static void
test_record_refused(void **state)
{
	static const struct {
		const char		*name;
		enum kn_dmarc_mode	 mode;
		const char		*in;
		size_t			 len;	/* 0: strlen */
		int			 want_rc;
		const char		*want_err;
	} tab[] = {
		/* p missing or bad, and no rua to fall back on. */
		{ "7489: no p, no rua", R7489, "v=DMARC1; sp=reject", 0,
		    KN_ERR_INVAL, "no p tag and there is no rua URI" },
		{ "bad p, no rua", R9989, "v=DMARC1; p=rejet", 0, KN_ERR_INVAL,
		    "p=rejet is not none, quarantine or reject and there is "
		    "no rua URI, so the record cannot apply (RFC 9989 section "
		    "4.10.1)" },
		{ "bad np, no rua", R9989, "v=DMARC1; p=reject; np=bogus", 0,
		    KN_ERR_INVAL, "np=bogus is not" },
		/* Version. */
		{ "no v", R7489, "p=reject", 0, KN_ERR_INVAL,
		    "must start with the tag v=DMARC1 (RFC 7489 section 6.3)" },
		{ "v not first", R9989, "p=reject; v=DMARC1", 0, KN_ERR_INVAL,
		    "must start with the tag v=DMARC1 (RFC 9989 section 4.7)" },
		{ "v lowercase value", R9989, "v=dmarc1; p=reject", 0,
		    KN_ERR_INVAL, "v=DMARC1" },
		{ "v=DMARC2", R9989, "v=DMARC2; p=reject", 0, KN_ERR_INVAL,
		    "v=DMARC1" },
		{ "no semicolon after v", R9989, "v=DMARC1 p=reject", 0,
		    KN_ERR_INVAL, "v=DMARC1" },
		{ "empty", R9989, "", 0, KN_ERR_INVAL, "v=DMARC1" },
		/* Duplicates (RFC 6376 section 3.2). */
		{ "v twice", R9989, "v=DMARC1; v=DMARC1; p=none", 0,
		    KN_ERR_INVAL, "tag \"v\" appears twice" },
		{ "p twice", R7489, "v=DMARC1; p=none; p=reject", 0,
		    KN_ERR_INVAL, "tag \"p\" appears twice" },
		{ "p twice, other case", R9989, "v=DMARC1; p=reject; P=none",
		    0, KN_ERR_INVAL, "appears twice" },
		{ "unknown tag twice", R9989, "v=DMARC1; p=none; x=1; x=2", 0,
		    KN_ERR_INVAL, "tag \"x\" appears twice" },
		/* Bad values. */
		{ "adkim=x", R7489, "v=DMARC1; p=none; adkim=x", 0,
		    KN_ERR_INVAL, "adkim=x is not r (relaxed) or s (strict)" },
		{ "aspf=strict", R9989, "v=DMARC1; p=none; aspf=strict", 0,
		    KN_ERR_INVAL, "aspf=strict is not r" },
		{ "psd=x", R9989, "v=DMARC1; p=none; psd=x", 0, KN_ERR_INVAL,
		    "psd=x is not y, n or u (RFC 9989 section 4.7)" },
		{ "t=maybe", R9989, "v=DMARC1; p=none; t=maybe", 0,
		    KN_ERR_INVAL, "t=maybe is not y or n" },
		{ "pct=101", R7489, "v=DMARC1; p=none; pct=101", 0,
		    KN_ERR_INVAL, "pct=101 is not a whole number from 0 to "
		    "100 (RFC 7489 section 6.3)" },
		{ "pct=-1", R7489, "v=DMARC1; p=none; pct=-1", 0,
		    KN_ERR_INVAL, "pct=-1" },
		{ "pct=0100", R7489, "v=DMARC1; p=none; pct=0100", 0,
		    KN_ERR_INVAL, "pct=0100" },
		{ "pct=5%", R7489, "v=DMARC1; p=none; pct=5%", 0,
		    KN_ERR_INVAL, "pct=5%" },
		{ "ri past 2^32", R7489, "v=DMARC1; p=none; ri=4294967296", 0,
		    KN_ERR_INVAL, "ri=4294967296 is not a 32-bit number" },
		{ "fo 0 and 1 under 9989", R9989, "v=DMARC1; p=none; fo=0:1",
		    0, KN_ERR_INVAL, "fo has both 0 and 1" },
		{ "fo twice the same", R7489, "v=DMARC1; p=none; fo=d:d", 0,
		    KN_ERR_INVAL, "fo lists \"d\" twice" },
		{ "fo=x", R7489, "v=DMARC1; p=none; fo=x", 0, KN_ERR_INVAL,
		    "fo option \"x\" is not 0, 1, d or s" },
		{ "fo empty option", R7489, "v=DMARC1; p=none; fo=0:", 0,
		    KN_ERR_INVAL, "fo option" },
		{ "rf with a space", R7489, "v=DMARC1; p=none; rf=af rf", 0,
		    KN_ERR_INVAL, "rf must be report format names" },
		{ "rua not a URI", R7489, "v=DMARC1; p=none; rua=dmarc@bank",
		    0, KN_ERR_INVAL, "rua entry 1 \"dmarc@bank\" is not a "
		    "URI" },
		{ "rua empty entry", R9989, "v=DMARC1; p=none; "
		    "rua=mailto:a@b.example,,mailto:c@d.example", 0,
		    KN_ERR_INVAL, "rua has an empty URI (entry 2)" },
		{ "rua no address", R9989, "v=DMARC1; p=none; rua=mailto:", 0,
		    KN_ERR_INVAL, "is not a URI" },
		{ "rua bad size", R9989, "v=DMARC1; p=none; "
		    "rua=mailto:a@b.example!x", 0, KN_ERR_INVAL,
		    "is not a URI" },
		{ "rua bad escape", R9989, "v=DMARC1; p=none; "
		    "rua=mailto:a%zz@b.example", 0, KN_ERR_INVAL,
		    "is not a URI" },
		{ "rua escape cut short", R9989, "v=DMARC1; p=none; "
		    "rua=mailto:a@b.example%2", 0, KN_ERR_INVAL,
		    "is not a URI" },
		{ "ruf with a space", R9989, "v=DMARC1; p=none; "
		    "ruf=mailto:a b@c.example", 0, KN_ERR_INVAL,
		    "ruf entry 1" },
		/* Structure. */
		{ "empty tag", R9989, "v=DMARC1;; p=none", 0, KN_ERR_INVAL,
		    "empty tag after tag 1 (two semicolons" },
		{ "two trailing semicolons", R9989, "v=DMARC1; p=none;;", 0,
		    KN_ERR_INVAL, "empty tag after tag 2" },
		{ "tag without =", R9989, "v=DMARC1; p", 0, KN_ERR_INVAL,
		    "tag \"p\" of the DMARC record has no '='" },
		{ "tag with empty value", R9989, "v=DMARC1; p=", 0,
		    KN_ERR_INVAL, "tag \"p\" of the DMARC record has an "
		    "empty value" },
		{ "value without tag", R9989, "v=DMARC1; =none", 0,
		    KN_ERR_INVAL, "does not start with a tag name" },
		{ "tag starts with a digit", R9989, "v=DMARC1; 1p=none", 0,
		    KN_ERR_INVAL, "does not start with a tag name" },
		{ "tab in a value", R9989, "v=DMARC1; p=no\tne", 0,
		    KN_ERR_INVAL, "has a tab" },
		{ "control character", R9989, "v=DMARC1;\x01p=none", 0,
		    KN_ERR_INVAL, "byte 10 of the DMARC record is a control" },
		{ "NUL inside", R9989, "v=DMARC1; p=none\0; p=reject", 27,
		    KN_ERR_INVAL, "byte 17 of the DMARC record is a control" },
		{ "non-ASCII", R9989, "v=DMARC1; p=none; "
		    "rua=mailto:\xe8\xa7\x92@b.example", 0, KN_ERR_INVAL,
		    "non-ASCII" },
		{ "line break", R7489, "v=DMARC1;\r\n p=none", 0, KN_ERR_INVAL,
		    "control" },
		/* Truncated and trailing garbage. */
		{ "cut in v", R9989, "v=DMAR", 0, KN_ERR_INVAL, "v=DMARC1" },
		{ "cut in p", R9989, "v=DMARC1; p=rej", 0, KN_ERR_INVAL,
		    "p=rej is not" },
		{ "cut in rua", R9989, "v=DMARC1; p=none; rua=mailto", 0,
		    KN_ERR_INVAL, "is not a URI" },
		{ "garbage after p", R7489, "v=DMARC1; p=reject garbage", 0,
		    KN_ERR_INVAL, "p=reject garbage is not" },

	};
	struct kn_dmarc_record r;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		size_t len = tab[i].len ? tab[i].len : strlen(tab[i].in);

		kn_err_clear();
		CHECK_INT(tab[i].name, kn_dmarc_record_parse(&r, tab[i].in,
		    len, tab[i].mode), tab[i].want_rc);
		CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want_err);
		CHECK_INT(tab[i].name, r.nrua, 0);
		CHECK_INT(tab[i].name, r.p, UNSET);
	}
}

static void
test_record_fields(void **state)
{
	struct kn_dmarc_record r;
	const char *rec = "v=DMARC1; p=none; rua=mailto:a@x.example!20k, "
	    "mailto:b@y.example; ruf=mailto:c@x.example; rf=AFRF:iodef; "
	    "ri=600";

	(void)state;
	assert_int_equal(kn_dmarc_record_parse(&r, rec, strlen(rec), R7489),
	    0);
	/* The obsolete "!size" suffix is dropped (RFC 9989 section 4.8). */
	assert_int_equal(r.nrua, 2);
	assert_string_equal(r.rua[0], "mailto:a@x.example");
	assert_string_equal(r.rua[1], "mailto:b@y.example");
	assert_int_equal(r.nruf, 1);
	assert_string_equal(r.ruf[0], "mailto:c@x.example");
	assert_string_equal(r.rf, "afrf:iodef");
	assert_int_equal(r.ri, 600);
	kn_dmarc_record_cleanup(&r);
	kn_dmarc_record_cleanup(&r);	/* twice is harmless */
	kn_dmarc_record_cleanup(NULL);
}

static void
test_record_caps(void **state)
{
	struct kn_dmarc_record r;
	char *big;
	size_t i, n;

	(void)state;
	/* Oversized. */
	n = KN_DMARC_MAX_RECORD + 1;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "v=DMARC1; p=none; x=", 20);
	big[n] = '\0';
	assert_int_equal(kn_dmarc_record_parse(&r, big, n, R9989),
	    KN_ERR_TOOBIG);
	/* Exactly at the cap is read. */
	assert_int_equal(kn_dmarc_record_parse(&r, big, n - 1, R9989), 0);
	kn_dmarc_record_cleanup(&r);
	/* Too many tags. */
	n = (size_t)snprintf(big, KN_DMARC_MAX_RECORD, "v=DMARC1; p=none");
	for (i = 0; i < KN_DMARC_MAX_TAGS; i++)
		n += (size_t)snprintf(big + n, KN_DMARC_MAX_RECORD - n,
		    "; x%zu=1", i);
	assert_int_equal(kn_dmarc_record_parse(&r, big, n, R9989),
	    KN_ERR_TOOBIG);
	assert_non_null(strstr(kn_err_get()->msg, "more than 32 tags"));
	free(big);
	/* Every prefix of a good record parses or fails cleanly. */
	{
		const char *rec = "v=DMARC1; p=reject; sp=none; adkim=s; "
		    "rua=mailto:d@bank.example!1m; fo=0:d";
		size_t len = strlen(rec);

		for (i = 0; i <= len; i++) {
			char *cut = malloc(i + 1);
			int rc;

			assert_non_null(cut);
			memcpy(cut, rec, i);
			rc = kn_dmarc_record_parse(&r, cut, i, R9989);
			assert_true(rc == 0 || rc == KN_ERR_INVAL);
			if (rc == 0)
				kn_dmarc_record_cleanup(&r);
			free(cut);
		}
	}
}

static void
test_org_domain_psl(void **state)
{
	static const struct {
		const char	*in;
		int		 want_rc;
		const char	*want;
	} tab[] = {
		/* Not listed: the default rule "*" (RFC 7489 section 3.2). */
		{ "bank.example", 0, "bank.example" },
		{ "mail.bank.example", 0, "bank.example" },
		{ "a.b.c.bank.example", 0, "bank.example" },
		{ "WWW.Bank.Example.", 0, "bank.example" },
		/* Japanese second-level domains. */
		{ "jipdec.or.jp", 0, "jipdec.or.jp" },
		{ "www.jipdec.or.jp", 0, "jipdec.or.jp" },
		{ "mail.kakuin.co.jp", 0, "kakuin.co.jp" },
		{ "a.b.kakuin.co.jp", 0, "kakuin.co.jp" },
		{ "www.u-tokyo.ac.jp", 0, "u-tokyo.ac.jp" },
		{ "example.jp", 0, "example.jp" },
		/* A public suffix is its own Organizational Domain. */
		{ "co.jp", 0, "co.jp" },
		/* *.kawasaki.jp with the exception !city.kawasaki.jp. */
		{ "city.kawasaki.jp", 0, "city.kawasaki.jp" },
		{ "www.city.kawasaki.jp", 0, "city.kawasaki.jp" },
		{ "foo.kawasaki.jp", 0, "foo.kawasaki.jp" },
		{ "shop.foo.kawasaki.jp", 0, "shop.foo.kawasaki.jp" },
		{ "a.shop.foo.kawasaki.jp", 0, "shop.foo.kawasaki.jp" },
		/* IDN TLD .日本 in A-label form. */
		{ "mail.example.xn--wgv71a", 0, "example.xn--wgv71a" },
		/* The list's private section counts too. */
		{ "foo.blogspot.com", 0, "foo.blogspot.com" },
		{ "www.foo.blogspot.com", 0, "foo.blogspot.com" },
		/* Not domain names. */
		{ "", KN_ERR_INVAL, NULL },
		{ "bank..example", KN_ERR_INVAL, NULL },
		{ "localhost", KN_ERR_INVAL, NULL },
		{ "bank.example, evil.example", KN_ERR_INVAL, NULL },
		{ "user@bank.example", KN_ERR_INVAL, NULL },
	};
	struct kn_dmarc *d;
	char out[KN_DMARC_DOMAIN_MAX + 1];
	size_t i;

	(void)state;
	assert_int_equal(kn_dmarc_new(&d, NULL, R7489, NULL), 0);
	for (i = 0; i < NITEMS(tab); i++) {
		int rc = kn_dmarc_org_domain(d, out, tab[i].in);

		CHECK_INT(tab[i].in, rc, tab[i].want_rc);
		if (rc == 0)
			CHECK_STR(tab[i].in, out, tab[i].want);
	}
	kn_dmarc_free(d);
	/* The text form of the list loads as well. */
	assert_int_equal(kn_dmarc_new(&d, NULL, R7489,
	    "/usr/share/publicsuffix/public_suffix_list.dat"), 0);
	assert_int_equal(kn_dmarc_org_domain(d, out, "www.city.kawasaki.jp"),
	    0);
	assert_string_equal(out, "city.kawasaki.jp");
	kn_dmarc_free(d);
	/* A missing list is a configuration error, named. */
	assert_int_equal(kn_dmarc_new(&d, NULL, R7489, "/nonexistent/psl"),
	    KN_ERR_CONFIG);
	assert_non_null(strstr(kn_err_get()->msg, "/nonexistent/psl"));
	assert_int_equal(kn_dmarc_new(&d, NULL, (enum kn_dmarc_mode)1, NULL),
	    KN_ERR_CONFIG);
	kn_dmarc_free(NULL);
}

static void
test_spf_names(void **state)
{
	static const char *names[] = { "none", "neutral", "pass", "fail",
	    "softfail", "temperror", "permerror" };
	enum kn_dmarc_spf r;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(names); i++) {
		assert_int_equal(kn_dmarc_spf_parse(&r, names[i]), 0);
		assert_string_equal(kn_dmarc_spf_name(r), names[i]);
	}
	assert_int_equal(kn_dmarc_spf_parse(&r, "PASS"), 0);
	assert_int_equal(r, KN_DMARC_SPF_PASS);
	assert_int_equal(kn_dmarc_spf_parse(&r, "passed"), KN_ERR_INVAL);
	assert_int_equal(kn_dmarc_spf_parse(&r, ""), KN_ERR_INVAL);
	assert_int_equal(kn_dmarc_spf_parse(&r, NULL), KN_ERR_INVAL);
	assert_string_equal(kn_dmarc_result_name(KN_DMARC_PERMERROR),
	    "permerror");
	assert_string_equal(kn_dmarc_policy_name(QUAR), "quarantine");
}

/*
 * Verdicts reached before any DNS answer: the From domain must be exactly
 * one domain (OpenDMARC CVE-2019-16378 / CVE-2021-34555: several From
 * addresses never pass; kn_mail_from() refuses them upstream, and a string
 * that still carries two domains is refused here), and without a resolver
 * the result is temperror, never pass.
 */
static void
test_eval_without_dns(void **state)
{
	static const struct {
		const char		*name;
		enum kn_dmarc_mode	 mode;
		const char		*from;
		enum kn_dmarc_result	 want;
		const char		*want_reason;
	} tab[] = {
		{ "two domains (CVE-2019-16378)", R7489,
		    "bank.example, evil.example", KN_DMARC_PERMERROR,
		    "the From domain \"bank.example, evil.example\" is not "
		    "one valid domain name" },
		{ "two domains, 9989", R9989, "bank.example evil.example",
		    KN_DMARC_PERMERROR, "not one valid domain name" },
		{ "an address, not a domain", R9989, "ceo@bank.example",
		    KN_DMARC_PERMERROR, "not one valid domain name" },
		{ "no From domain", R9989, NULL, KN_DMARC_PERMERROR,
		    "the From domain \"\" is not" },
		{ "empty", R7489, "", KN_DMARC_PERMERROR, "not one valid" },
		{ "control characters shown safely", R9989,
		    "bank.example\r\nX: y", KN_DMARC_PERMERROR,
		    "\"bank.example??X: y\"" },
		{ "no resolver", R7489, "bank.example", KN_DMARC_TEMPERROR,
		    "the DNS lookup of _dmarc.bank.example failed" },
		{ "no resolver, 9989", R9989, "Mail.Bank.Example",
		    KN_DMARC_TEMPERROR, "DMARC cannot decide for the From "
		    "domain mail.bank.example" },
	};
	struct kn_dmarc_dkim dkim[] = { { "bank.example", true } };
	struct kn_dmarc_input in;
	struct kn_dmarc_verdict v;
	struct kn_dmarc *d;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		assert_int_equal(kn_dmarc_new(&d, NULL, tab[i].mode, NULL), 0);
		memset(&in, 0, sizeof(in));
		in.from_domain = tab[i].from;
		in.dkim = dkim;
		in.ndkim = 1;
		in.mailfrom_domain = "bank.example";
		in.spf = KN_DMARC_SPF_PASS;
		in.sample = -1;
		assert_int_equal(kn_dmarc_eval(d, &v, &in), 0);
		CHECK_INT(tab[i].name, v.result, tab[i].want);
		CHECK_HAS(tab[i].name, v.reason, tab[i].want_reason);
		CHECK_INT(tab[i].name, v.policy, NONE);
		CHECK_INT(tab[i].name, v.aligned, 0);
		CHECK_INT(tab[i].name, v.dnssec, false);
		kn_dmarc_verdict_cleanup(&v);
		kn_dmarc_free(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_is_dmarc),
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_record_refused),
		cmocka_unit_test(test_record_fields),
		cmocka_unit_test(test_record_caps),
		cmocka_unit_test(test_org_domain_psl),
		cmocka_unit_test(test_spf_names),
		cmocka_unit_test(test_eval_without_dns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
