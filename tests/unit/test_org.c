/* test_org.c - organization fields, their JSON form, and domain names.
 * (Operations on the store are in test_store.c, against both backends.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "registry/org.h"
#include "registry/org_json.h"
#include "testutil.h"

static void
test_validate_fields(void **state)
{
	static const struct {
		const char	*name;
		int		 field;
		const char	*in;
		int		 want_rc;
		const char	*want;	/* normalized value; NULL: cleared */
	} tab[] = {
		/* Kana: katakana, as the National Tax Agency publishes. */
		{ "kana katakana", KN_ORG_KANA, "カクインショウジ", 0,
		    "カクインショウジ" },
		{ "kana long mark", KN_ORG_KANA, "メール", 0, "メール" },
		{ "kana middle dot", KN_ORG_KANA, "カクイン・ショウジ", 0,
		    "カクイン・ショウジ" },
		{ "kana spaces", KN_ORG_KANA, "カクイン　ショウジ Co", 0,
		    "カクイン　ショウジ Co" },
		{ "kana halfwidth", KN_ORG_KANA, "ｶｸｲﾝ", 0, "ｶｸｲﾝ" },
		{ "kana fullwidth latin", KN_ORG_KANA, "ＪＩＰＤＥＣ１", 0,
		    "ＪＩＰＤＥＣ１" },
		{ "kana small ext", KN_ORG_KANA, "ㇰㇱ", 0, "ㇰㇱ" },
		{ "kana ascii", KN_ORG_KANA, "NTT Data & Co. 2-1", 0,
		    "NTT Data & Co. 2-1" },
		{ "kana hiragana", KN_ORG_KANA, "かくいん", KN_ERR_INVAL,
		    "character 1" },
		{ "kana kanji", KN_ORG_KANA, "カクイン商事", KN_ERR_INVAL,
		    "character 5" },
		{ "kana punctuation", KN_ORG_KANA, "カクイン!", KN_ERR_INVAL,
		    "character 5" },
		{ "kana emoji", KN_ORG_KANA, "カ\xf0\x9f\x98\x80",
		    KN_ERR_INVAL, "character 2" },
		{ "kana trimmed", KN_ORG_KANA, "  カナ  ", 0, "カナ" },
		/* Postal codes: 7 digits, one hyphen after the third. */
		{ "postal digits", KN_ORG_POSTAL_CODE, "1000001", 0,
		    "1000001" },
		{ "postal hyphen", KN_ORG_POSTAL_CODE, "100-0001", 0,
		    "1000001" },
		{ "postal spaces", KN_ORG_POSTAL_CODE, " 1066117", 0,
		    "1066117" },
		{ "postal hyphen misplaced", KN_ORG_POSTAL_CODE, "10-00001",
		    KN_ERR_INVAL, "7 digits" },
		{ "postal two hyphens", KN_ORG_POSTAL_CODE, "100--001",
		    KN_ERR_INVAL, "7 digits" },
		{ "postal 6 digits", KN_ORG_POSTAL_CODE, "100000",
		    KN_ERR_INVAL, "7 digits" },
		{ "postal 8 digits", KN_ORG_POSTAL_CODE, "10000012",
		    KN_ERR_INVAL, "7 digits" },
		{ "postal letter", KN_ORG_POSTAL_CODE, "100-000a",
		    KN_ERR_INVAL, "7 digits" },
		{ "postal fullwidth", KN_ORG_POSTAL_CODE, "１０００００１",
		    KN_ERR_INVAL, "7 digits" },
		{ "postal mark", KN_ORG_POSTAL_CODE, "〒1000001",
		    KN_ERR_INVAL, "7 digits" },
		/* URLs: http(s) with a host, no characters RFC 3986 bars. */
		{ "url https", KN_ORG_URL, "https://www.example.jp/", 0,
		    "https://www.example.jp/" },
		{ "url http", KN_ORG_URL, "http://a", 0, "http://a" },
		{ "url query", KN_ORG_URL, "https://e.jp/a?b=c#d", 0,
		    "https://e.jp/a?b=c#d" },
		{ "url ftp", KN_ORG_URL, "ftp://example.jp/", KN_ERR_INVAL,
		    "https://" },
		{ "url javascript", KN_ORG_URL, "javascript:alert(1)",
		    KN_ERR_INVAL, "https://" },
		{ "url no scheme", KN_ORG_URL, "www.example.jp",
		    KN_ERR_INVAL, "https://" },
		{ "url no host", KN_ORG_URL, "https://", KN_ERR_INVAL,
		    "no host" },
		{ "url path only", KN_ORG_URL, "https:///etc/passwd",
		    KN_ERR_INVAL, "no host" },
		{ "url space", KN_ORG_URL, "https://example.jp/a b",
		    KN_ERR_INVAL, "position 21" },
		{ "url quote", KN_ORG_URL, "https://e.jp/\"onclick=",
		    KN_ERR_INVAL, "RFC 3986" },
		{ "url angle", KN_ORG_URL, "https://e.jp/<script>",
		    KN_ERR_INVAL, "RFC 3986" },
		{ "url backslash", KN_ORG_URL, "https://e.jp\\@evil",
		    KN_ERR_INVAL, "RFC 3986" },
		/* Dates. */
		{ "founded", KN_ORG_FOUNDED, "1967-12-20", 0, "1967-12-20" },
		{ "founded leap", KN_ORG_FOUNDED, "2024-02-29", 0,
		    "2024-02-29" },
		{ "founded not leap", KN_ORG_FOUNDED, "2023-02-29",
		    KN_ERR_INVAL, "calendar date" },
		{ "founded wareki", KN_ORG_FOUNDED, "R5-01-01", KN_ERR_INVAL,
		    "YYYY-MM-DD" },
		/* Phone numbers: 6 to 15 digits (E.164). */
		{ "phone tokyo", KN_ORG_PHONE, "03-1234-5678", 0,
		    "03-1234-5678" },
		{ "phone e164", KN_ORG_PHONE, "+81 3 1234 5678", 0,
		    "+81 3 1234 5678" },
		{ "phone parens", KN_ORG_PHONE, "(03) 1234-5678", 0,
		    "(03) 1234-5678" },
		{ "phone 6 digits", KN_ORG_PHONE, "123456", 0, "123456" },
		{ "phone 5 digits", KN_ORG_PHONE, "12345", KN_ERR_INVAL,
		    "6 to 15" },
		{ "phone 16 digits", KN_ORG_PHONE, "1234567890123456",
		    KN_ERR_INVAL, "6 to 15" },
		{ "phone letter", KN_ORG_PHONE, "03-1234-567a", KN_ERR_INVAL,
		    "only digits" },
		{ "phone inner plus", KN_ORG_PHONE, "03+12345678",
		    KN_ERR_INVAL, "leading +" },
		{ "phone extension", KN_ORG_PHONE, "03-1234-5678 ext. 9",
		    KN_ERR_INVAL, "only digits" },
		/* Free text: caps, control characters, blanks. */
		{ "address", KN_ORG_ADDRESS, "東京都港区六本木一丁目９番９号",
		    0, "東京都港区六本木一丁目９番９号" },
		{ "address newline", KN_ORG_ADDRESS, "東京都\n港区",
		    KN_ERR_INVAL, "control character" },
		{ "description newline", KN_ORG_DESCRIPTION, "一行目\n二行目",
		    0, "一行目\n二行目" },
		{ "description escape", KN_ORG_DESCRIPTION, "a\x1b[2J",
		    KN_ERR_INVAL, "control character" },
		{ "name_en bad UTF-8", KN_ORG_NAME_EN, "Kakuin \xff",
		    KN_ERR_INVAL, "UTF-8" },
		{ "blank clears", KN_ORG_NAME_EN, "   ", 0, NULL },
		{ "empty clears", KN_ORG_URL, "", 0, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_org org;
		int rc;

		kn_org_init(&org);
		assert_int_equal(kn_org_set(&org, KN_ORG_NAME,
		    "株式会社テスト"), 0);
		assert_int_equal(kn_org_set(&org, tab[i].field, tab[i].in),
		    0);
		kn_err_clear();
		rc = kn_org_validate(&org);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (rc == 0)
			CHECK_STR(tab[i].name, org.f[tab[i].field],
			    tab[i].want);
		else {
			CHECK_STR(tab[i].name, kn_err_get()->field,
			    kn_org_fields[tab[i].field].key);
			CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want);
		}
		kn_org_cleanup(&org);
	}
}

/* Each field has a cap in characters, counted as code points. */
static void
test_validate_caps(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		const struct kn_org_field_info *fi = &kn_org_fields[i];
		struct kn_org org;
		char *v;
		size_t k;

		if (fi->check != NULL)
			continue;	/* syntax fields have their own table */
		v = malloc(3 * (fi->maxchars + 1) + 1);
		assert_non_null(v);
		for (k = 0; k < fi->maxchars; k++)
			memcpy(v + 3 * k, "字", 3);
		v[3 * k] = '\0';
		kn_org_init(&org);
		assert_int_equal(kn_org_set(&org, (enum kn_org_field)i, v), 0);
		CHECK_INT(fi->key, kn_org_validate(&org), 0);
		kn_org_cleanup(&org);
		memcpy(v + 3 * k, "字", 4);
		kn_org_init(&org);
		assert_int_equal(kn_org_set(&org, (enum kn_org_field)i, v), 0);
		CHECK_INT(fi->key, kn_org_validate(&org), KN_ERR_INVAL);
		CHECK_STR(fi->key, kn_err_get()->field, fi->key);
		kn_org_cleanup(&org);
		free(v);
	}
}

static void
test_field_names(void **state)
{
	static const struct {
		const char	*key;
		const char	*flag;
		int		 want;
	} tab[] = {
		{ "name", "name", KN_ORG_NAME },
		{ "name_en", "name-en", KN_ORG_NAME_EN },
		{ "postal_code", "postal-code", KN_ORG_POSTAL_CODE },
		{ "address_en", "address-en", KN_ORG_ADDRESS_EN },
		{ "description", "description", KN_ORG_DESCRIPTION },
		{ "status", "status", -1 },
		{ "Name", "Name", -1 },
		{ "", "", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		CHECK_INT(tab[i].key, kn_org_field_by_key(tab[i].key),
		    tab[i].want);
		CHECK_INT(tab[i].flag, kn_org_field_by_flag(tab[i].flag),
		    tab[i].want);
	}
	/* The CLI flag form is not a JSON key, and the reverse. */
	assert_int_equal(kn_org_field_by_key("name-en"), -1);
	assert_int_equal(kn_org_field_by_flag("name_en"), -1);
}

static void
test_from_json(void **state)
{
	static const char *const allow[] = { "number", NULL };
	static const struct {
		const char	*name;
		const char	*json;
		int		 want_rc;
		const char	*want_field;	/* error field, or field set */
		const char	*want;		/* its value, or message part */
	} tab[] = {
		{ "fields", "{\"name\":\"株式会社テスト\",\"kana\":\"テスト\"}",
		    0, "kana", "テスト" },
		{ "allowed extra", "{\"number\":\"1010405009403\","
		    "\"name\":\"x\"}", 0, "name", "x" },
		{ "null skipped", "{\"name\":\"x\",\"url\":null}", 0, "url",
		    NULL },
		{ "unknown key", "{\"name\":\"x\",\"status\":\"verified\"}",
		    KN_ERR_INVAL, "status", "unknown field status" },
		{ "number", "{\"phone\":312345678}", KN_ERR_INVAL, "phone",
		    "must be a string" },
		{ "array", "{\"name\":[\"x\"]}", KN_ERR_INVAL, "name",
		    "must be a string" },
		{ "object", "{\"name\":{}}", KN_ERR_INVAL, "name",
		    "must be a string" },
		{ "bool", "{\"name\":true}", KN_ERR_INVAL, "name",
		    "must be a string" },
		{ "NUL", "{\"name\":\"a\\u0000b\"}", KN_ERR_INVAL, "name",
		    "NUL" },
		{ "not an object", "[1,2]", KN_ERR_INVAL, "", "JSON object" },
		{ "string", "\"name\"", KN_ERR_INVAL, "", "JSON object" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_org org;
		json_error_t jerr;
		json_t *j;
		int rc;

		j = json_loads(tab[i].json, JSON_ALLOW_NUL | JSON_DECODE_ANY,
		    &jerr);
		if (j == NULL)
			fail_msg("%s: test JSON: %s", tab[i].name, jerr.text);
		kn_org_init(&org);
		kn_err_clear();
		rc = kn_org_from_json(&org, j, allow);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (rc == 0)
			CHECK_STR(tab[i].name, org.f[kn_org_field_by_key(
			    tab[i].want_field)], tab[i].want);
		else {
			CHECK_STR(tab[i].name, kn_err_get()->field,
			    tab[i].want_field);
			CHECK_HAS(tab[i].name, kn_err_get()->msg,
			    tab[i].want);
		}
		kn_org_cleanup(&org);
		json_decref(j);
	}
}

/* The public JSON view leaves out what only officers may see. */
static void
test_to_json(void **state)
{
	struct kn_org org;
	struct kn_domain d[2];
	json_t *pub, *off;

	(void)state;
	kn_org_init(&org);
	org.number = 1010405009403LL;
	assert_int_equal(kn_org_set(&org, KN_ORG_NAME, "JIPDEC"), 0);
	snprintf(org.status, sizeof(org.status), "verified");
	org.status_reason = strdup("checked the register");
	memset(d, 0, sizeof(d));
	snprintf(d[0].name, sizeof(d[0].name), "jipdec.example");
	d[0].web = true;
	d[0].token = strdup("tok0");
	d[0].verified_at = strdup("2024-01-01T00:00:00Z");
	snprintf(d[1].name, sizeof(d[1].name), "pending.example");
	d[1].mail = true;
	d[1].token = strdup("secret-token");
	d[1].token_expires = strdup("2099-01-01T00:00:00Z");
	org.domains = d;
	org.ndomains = 2;
	org.loaded = KN_ORG_LOAD_DOMAINS;

	pub = kn_org_to_json(&org, false);
	off = kn_org_to_json(&org, true);
	assert_non_null(pub);
	assert_non_null(off);
	assert_string_equal(json_string_value(json_object_get(pub, "number")),
	    "1010405009403");
	assert_null(json_object_get(pub, "status_reason"));
	assert_int_equal(json_array_size(json_object_get(pub, "domains")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(pub, "domains"), 0), "domain")), "jipdec.example");
	{
		char *s = json_dumps(pub, 0);

		assert_non_null(s);
		assert_null(strstr(s, "secret-token"));
		free(s);
	}
	assert_string_equal(json_string_value(json_object_get(off,
	    "status_reason")), "checked the register");
	assert_int_equal(json_array_size(json_object_get(off, "domains")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(off, "domains"), 1), "challenge"),
	    "value")), "kakuin-domain-verification=secret-token");
	/* No history was loaded: the officer view says nothing of it. */
	assert_null(json_object_get(off, "history"));
	json_decref(pub);
	json_decref(off);
	/* Parts not loaded are left out, not shown empty. */
	org.loaded = 0;
	pub = kn_org_to_json(&org, false);
	assert_non_null(pub);
	assert_null(json_object_get(pub, "domains"));
	json_decref(pub);
	kn_domain_cleanup(&d[0]);
	kn_domain_cleanup(&d[1]);
	org.domains = NULL;
	org.ndomains = 0;
	kn_org_cleanup(&org);
}

/* Domain names as RFC 1035 section 2.3.1 and 2.3.4 have them. */
static void
test_domain_parse(void **state)
{
	static char l63[64], l64[65];
	static char d63[70], d64[70], n253[260], n254[260], n253dot[270];
	const struct {
		const char	*name;
		const char	*in;
		const char	*want;	/* NULL: rejected */
		const char	*want_msg;
	} tab[] = {
		{ "plain", "example.jp", "example.jp", NULL },
		{ "three labels", "www.city.sapporo.jp",
		    "www.city.sapporo.jp", NULL },
		{ "upper case lowered", "WWW.Example.JP", "www.example.jp",
		    NULL },
		{ "trailing dot dropped", "example.jp.", "example.jp", NULL },
		{ "hyphen inside", "kakuin-shoji.example",
		    "kakuin-shoji.example", NULL },
		{ "digits in labels", "3com.example", "3com.example", NULL },
		{ "A-label", "xn--wgv71a119e.jp", "xn--wgv71a119e.jp", NULL },
		{ "one letter labels", "a.b", "a.b", NULL },
		{ "TLD with a digit", "example.x1", "example.x1", NULL },
		{ "63-char label", d63, d63, NULL },
		{ "253 chars", n253, n253, NULL },
		{ "253 chars and a dot", n253dot, n253, NULL },
		{ "empty", "", NULL, "empty" },
		{ "root only", ".", NULL, "empty" },
		{ "empty label", "example..jp", NULL, "empty label" },
		{ "leading dot", ".example.jp", NULL, "empty label" },
		{ "two trailing dots", "example.jp..", NULL, NULL },
		{ "leading hyphen", "-example.jp", NULL,
		    "starts with a hyphen" },
		{ "label leading hyphen", "www.-example.jp", NULL,
		    "starts with a hyphen" },
		{ "trailing hyphen", "example-.jp", NULL,
		    "ends with a hyphen" },
		{ "last label hyphen", "example.jp-", NULL,
		    "ends with a hyphen" },
		{ "64-char label", d64, NULL, "longer than 63" },
		{ "254 chars", n254, NULL, "longer than 253" },
		{ "non-ASCII", "例え.jp", NULL, "A-label" },
		{ "latin-1", "caf\xc3\xa9.example", NULL, "non-ASCII" },
		{ "single label", "localhost", NULL, "two labels" },
		{ "single label dot", "jp.", NULL, "two labels" },
		{ "all-digit TLD", "example.123", NULL, "IP address" },
		{ "IPv4", "192.0.2.1", NULL, "IP address" },
		{ "underscore", "_dmarc.example.jp", NULL, "letters, digits" },
		{ "wildcard", "*.example.jp", NULL, "letters, digits" },
		{ "space", "exa mple.jp", NULL, "letters, digits" },
		{ "URL", "https://example.jp", NULL, "letters, digits" },
		{ "path", "example.jp/x", NULL, "letters, digits" },
		{ "port", "example.jp:443", NULL, "letters, digits" },
		{ "at sign", "user@example.jp", NULL, "letters, digits" },
	};
	size_t i;

	(void)state;
	memset(l63, 'a', 63);
	memset(l64, 'b', 64);
	snprintf(d63, sizeof(d63), "%s.jp", l63);
	snprintf(d64, sizeof(d64), "%s.jp", l64);
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	snprintf(n253, sizeof(n253), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	snprintf(n254, sizeof(n254), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	snprintf(n253dot, sizeof(n253dot), "%s.", n253);
	assert_int_equal(strlen(n253), 253);
	assert_int_equal(strlen(n254), 254);
	for (i = 0; i < NITEMS(tab); i++) {
		char out[KN_DOMAIN_MAX + 1];
		int rc;

		kn_err_clear();
		rc = kn_domain_parse(out, tab[i].in);
		CHECK_INT(tab[i].name, rc, tab[i].want ? 0 : KN_ERR_INVAL);
		if (rc == 0)
			CHECK_STR(tab[i].name, out, tab[i].want);
		else {
			CHECK_STR(tab[i].name, kn_err_get()->field, "domain");
			if (tab[i].want_msg != NULL)
				CHECK_HAS(tab[i].name, kn_err_get()->msg,
				    tab[i].want_msg);
		}
	}
}

static void
test_valid_status(void **state)
{
	static const struct {
		const char	*in;
		bool		 want;
	} tab[] = {
		{ "listed", true }, { "applied", true }, { "verified", true },
		{ "suspended", true }, { "withdrawn", true },
		{ "Verified", false }, { "", false }, { "deleted", false },
		{ "verified ", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++)
		CHECK_INT(tab[i].in, kn_valid_status(tab[i].in), tab[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_fields),
		cmocka_unit_test(test_validate_caps),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_from_json),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_domain_parse),
		cmocka_unit_test(test_valid_status),
	};

	return cmocka_run_group_tests_name("org", tests, NULL, NULL);
}
