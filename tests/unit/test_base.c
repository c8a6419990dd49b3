/* test_base.c - lib/base: errors, capped buffers, text checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/buf.h"
#include "base/der.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "testutil.h"

/* Every code has its own name and token; unknown codes say so. */
static void
test_err_names(void **state)
{
	const char *seen[32];
	int code, i, n = 0;

	(void)state;
	for (code = KN_OK; code >= KN_ERR_VERIFY; code--) {
		const char *tok = kn_errtoken(code);
		char row[32];

		snprintf(row, sizeof(row), "code %d", code);
		if (strcmp(kn_strerror(code), "unknown error") == 0 ||
		    strcmp(tok, "unknown") == 0)
			fail_msg("%s has no name", row);
		for (i = 0; i < n; i++) {
			if (strcmp(seen[i], tok) == 0)
				fail_msg("%s: token %s is used twice", row,
				    tok);
		}
		seen[n++] = tok;
	}
	assert_string_equal(kn_strerror(-999), "unknown error");
	assert_string_equal(kn_errtoken(-999), "unknown");
	assert_string_equal(kn_errtoken(KN_ERR_INVAL), "invalid");
}

static void
test_err_detail(void **state)
{
	(void)state;
	kn_err_clear();
	assert_int_equal(kn_err_get()->code, 0);
	assert_string_equal(kn_err_msg(KN_ERR_IO), "input/output failure");
	assert_int_equal(kn_err_set(KN_ERR_INVAL, "number", "bad %d", 7),
	    KN_ERR_INVAL);
	assert_string_equal(kn_err_get()->field, "number");
	assert_string_equal(kn_err_msg(KN_ERR_INVAL), "bad 7");
	/* The detail belongs to its own code only. */
	assert_string_equal(kn_err_msg(KN_ERR_DB), "store failure");
	assert_int_equal(kn_err_set(KN_ERR_DB, NULL, "x"), KN_ERR_DB);
	assert_string_equal(kn_err_get()->field, "");
}

/* Appends past the cap fail and leave the contents as they were. */
static void
test_buf_cap(void **state)
{
	struct kn_buf b;
	char *s;
	size_t len;

	(void)state;
	kn_buf_init(&b, 16);
	assert_int_equal(kn_buf_addstr(&b, "0123456789"), 0);
	assert_int_equal(kn_buf_add(&b, "abcdefg", 7), KN_ERR_TOOBIG);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	assert_int_equal(kn_buf_addf(&b, "%s", "abcdefg"), KN_ERR_TOOBIG);
	assert_string_equal(b.data, "0123456789");
	assert_int_equal(kn_buf_addf(&b, "%d%s", 12, "3456"), 0);
	assert_int_equal(b.len, 16);
	assert_string_equal(b.data, "0123456789123456");
	assert_int_equal(kn_buf_add(&b, "x", 1), KN_ERR_TOOBIG);
	assert_int_equal(kn_buf_add(&b, "", 0), 0);
	assert_false(b.failed);
	s = kn_buf_steal(&b, &len);
	assert_int_equal(len, 16);
	assert_string_equal(s, "0123456789123456");
	free(s);
	assert_int_equal(b.len, 0);
	/* A stolen buffer still has its cap. */
	assert_int_equal(kn_buf_addstr(&b, "0123456789abcdefg"),
	    KN_ERR_TOOBIG);
	kn_buf_cleanup(&b);

	/* Reserving makes room at once within the cap, and past it changes
	 * nothing (the cap still refuses later). */
	kn_buf_init(&b, 4096);
	kn_buf_reserve(&b, 3000);
	assert_true(b.cap >= 3001);
	s = b.data;
	assert_int_equal(kn_buf_addstr(&b, "0123456789"), 0);
	assert_ptr_equal(b.data, s);
	len = b.cap;
	kn_buf_reserve(&b, 5000);
	assert_int_equal(b.cap, len);
	assert_false(b.failed);
	assert_string_equal(b.data, "0123456789");
	kn_buf_cleanup(&b);

	/* Stealing an untouched buffer gives an empty string. */
	kn_buf_init(&b, 8);
	s = kn_buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	kn_buf_cleanup(&b);

	/* A zero cap takes nothing but the empty string. */
	kn_buf_init(&b, 0);
	assert_int_equal(kn_buf_add(&b, "a", 1), KN_ERR_TOOBIG);
	assert_int_equal(kn_buf_add(&b, "", 0), 0);
	kn_buf_cleanup(&b);
}

/* Once a sticky append fails, later ones do nothing until reset. */
static void
test_buf_sticky(void **state)
{
	struct kn_buf b;

	(void)state;
	kn_buf_init(&b, 8);
	kn_buf_puts(&b, "abcd");
	kn_buf_putf(&b, "%d", 12);
	assert_false(b.failed);
	assert_string_equal(b.data, "abcd12");
	kn_buf_puts(&b, "xyz");
	assert_true(b.failed);
	assert_string_equal(b.data, "abcd12");
	/* Would fit, but the buffer has failed: nothing is appended. */
	kn_buf_puts(&b, "z");
	kn_buf_putf(&b, "%c", 'y');
	kn_buf_putn(&b, "w", 1);
	kn_buf_put_html(&b, "v");
	kn_buf_put_urlenc(&b, "u");
	assert_true(b.failed);
	assert_string_equal(b.data, "abcd12");
	kn_buf_reset(&b);
	assert_false(b.failed);
	assert_int_equal(b.len, 0);
	kn_buf_puts(&b, "12345678");
	assert_false(b.failed);
	assert_string_equal(b.data, "12345678");
	kn_buf_cleanup(&b);

	/* Growth across many doublings keeps every byte. */
	kn_buf_init(&b, 100000);
	for (int i = 0; i < 10000; i++)
		kn_buf_putf(&b, "%04d", i % 10000);
	assert_false(b.failed);
	assert_int_equal(b.len, 40000);
	assert_memory_equal(b.data + 4 * 9999, "9999", 4);
	assert_int_equal(strlen(b.data), 40000);
	kn_buf_cleanup(&b);
}

static void
test_buf_html(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} tab[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "<script>alert(1)</script>",
		    "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a & b", "a &amp; b" },
		{ "\"q\" 'a'", "&quot;q&quot; &#39;a&#39;" },
		{ "&amp;", "&amp;amp;" },
		{ "株式会社<かくいん>", "株式会社&lt;かくいん&gt;" },
		{ "x\" onmouseover=\"y", "x&quot; onmouseover=&quot;y" },
	};
	struct kn_buf b;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		kn_buf_init(&b, 1024);
		kn_buf_puts(&b, "[");
		kn_buf_put_html(&b, tab[i].in);
		kn_buf_puts(&b, "]");
		assert_false(b.failed);
		CHECK_INT(tab[i].in, b.len, strlen(tab[i].want) + 2);
		CHECK_INT(tab[i].in, memcmp(b.data + 1, tab[i].want,
		    strlen(tab[i].want)), 0);
		kn_buf_cleanup(&b);
	}
	/* An escape that does not fit fails the buffer. */
	kn_buf_init(&b, 4);
	kn_buf_put_html(&b, "a<b");
	assert_true(b.failed);
	kn_buf_cleanup(&b);
}

static void
test_buf_urlenc(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} tab[] = {
		{ "", "" },
		{ "AZaz09-._~", "AZaz09-._~" },
		{ "a b", "a%20b" },
		{ "a+b=c&d", "a%2Bb%3Dc%26d" },
		{ "/?#%", "%2F%3F%23%25" },
		{ "日本", "%E6%97%A5%E6%9C%AC" },
		{ "\x7f\x01", "%7F%01" },
	};
	struct kn_buf b;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		kn_buf_init(&b, 1024);
		kn_buf_puts(&b, "");
		kn_buf_put_urlenc(&b, tab[i].in);
		assert_false(b.failed);
		CHECK_STR(tab[i].in, b.data ? b.data : "", tab[i].want);
		kn_buf_cleanup(&b);
	}
}

static void
test_hex(void **state)
{
	static const unsigned char in[] = { 0x00, 0x7f, 0x80, 0xff, 0x0a };
	char out[2 * sizeof(in) + 1];

	(void)state;
	kn_hex(out, in, sizeof(in));
	assert_string_equal(out, "007f80ff0a");
	kn_hex(out, in, 0);
	assert_string_equal(out, "");
}

static void
test_utf8(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;
		bool		 want;
		size_t		 want_count;
	} tab[] = {
		{ "empty", "", 0, true, 0 },
		{ "ascii", "abc", 3, true, 3 },
		{ "ascii run", "0123456789abcdefghij", 20, true, 20 },
		{ "two byte", "\xc3\xa9", 2, true, 1 },
		{ "kanji", "日本語", 9, true, 3 },
		{ "U+FFFF", "\xef\xbf\xbf", 3, true, 1 },
		{ "U+10000", "\xf0\x90\x80\x80", 4, true, 1 },
		{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 4, true, 1 },
		{ "U+D7FF", "\xed\x9f\xbf", 3, true, 1 },
		{ "U+E000", "\xee\x80\x80", 3, true, 1 },
		{ "NUL inside", "a\0b", 3, true, 3 },
		{ "ascii then kana", "abcdefgh\xe3\x82\xa2", 11, true, 9 },
		{ "overlong NUL", "\xc0\x80", 2, false, 0 },
		{ "overlong c1", "\xc1\xbf", 2, false, 0 },
		{ "overlong 3 byte", "\xe0\x80\x80", 3, false, 0 },
		{ "overlong U+07FF", "\xe0\x9f\xbf", 3, false, 0 },
		{ "overlong 4 byte", "\xf0\x80\x80\x80", 4, false, 0 },
		{ "overlong U+FFFF", "\xf0\x8f\xbf\xbf", 4, false, 0 },
		{ "surrogate D800", "\xed\xa0\x80", 3, false, 0 },
		{ "surrogate DFFF", "\xed\xbf\xbf", 3, false, 0 },
		{ "above U+10FFFF", "\xf4\x90\x80\x80", 4, false, 0 },
		{ "f5 lead", "\xf5\x80\x80\x80", 4, false, 0 },
		{ "ff byte", "\xff", 1, false, 0 },
		{ "fe byte", "\xfe", 1, false, 0 },
		{ "lone continuation", "\x80", 1, false, 0 },
		{ "truncated 3 byte", "\xe3\x81", 2, false, 0 },
		{ "truncated 4 byte", "\xf0\x9f\x98", 3, false, 0 },
		{ "bad continuation", "\xe3\x41\x82", 3, false, 0 },
		{ "truncated after ascii run", "abcdefgh\xe3", 9, false, 0 },
		{ "bad byte after ascii run", "abcdefghijklmnop\xc0\xaf", 18,
		    false, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		CHECK_INT(tab[i].name, kn_valid_utf8(tab[i].in, tab[i].len),
		    tab[i].want);
		if (tab[i].want)
			CHECK_INT(tab[i].name, kn_utf8_count(tab[i].in,
			    tab[i].len), tab[i].want_count);
	}
	/* A length that stops inside a character is not valid. */
	assert_false(kn_valid_utf8("日本", 4));
	assert_true(kn_valid_utf8("日本", 3));
}

static void
test_check_text(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 maxchars;
		bool		 multiline;
		int		 want_rc;
		const char	*want_msg;
	} tab[] = {
		{ "plain", "Kakuin Trading", 100, false, 0, NULL },
		{ "empty", "", 1, false, 0, NULL },
		{ "tab", "a\tb", 10, false, 0, NULL },
		{ "newline single", "a\nb", 10, false, KN_ERR_INVAL,
		    "control character at byte 1" },
		{ "newline multi", "a\nb", 10, true, 0, NULL },
		{ "crlf multi", "a\r\nb", 10, true, 0, NULL },
		{ "cr single", "a\rb", 10, false, KN_ERR_INVAL, "control" },
		{ "escape", "a\x1b[31m", 10, true, KN_ERR_INVAL, "control" },
		{ "bell", "\x07", 10, false, KN_ERR_INVAL, "byte 0" },
		{ "delete", "ab\x7f", 10, false, KN_ERR_INVAL, "byte 2" },
		{ "C1 NEL", "a\xc2\x85", 10, false, KN_ERR_INVAL, "control" },
		{ "C1 CSI", "\xc2\x9b", 10, true, KN_ERR_INVAL, "control" },
		{ "nbsp is text", "a\xc2\xa0" "b", 10, false, 0, NULL },
		{ "kanji at cap", "日本語", 3, false, 0, NULL },
		{ "kanji over cap", "日本語だ", 3, false, KN_ERR_INVAL,
		    "4 characters, at most 3" },
		{ "bytes over cap", "abcdefghi", 2, false, KN_ERR_INVAL,
		    "9 bytes" },
		{ "ascii at cap", "abc", 3, false, 0, NULL },
		{ "ascii over cap", "abcd", 3, false, KN_ERR_INVAL,
		    "at most 3" },
		{ "bad utf8", "a\xff", 10, false, KN_ERR_INVAL, "UTF-8" },
		{ "overlong slash", "\xc0\xaf", 10, false, KN_ERR_INVAL,
		    "UTF-8" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		int rc;

		kn_err_clear();
		rc = kn_check_text("name", tab[i].in, tab[i].maxchars,
		    tab[i].multiline);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (tab[i].want_rc != 0) {
			CHECK_STR(tab[i].name, kn_err_get()->field, "name");
			CHECK_HAS(tab[i].name, kn_err_get()->msg,
			    tab[i].want_msg);
		}
	}
}

static void
test_valid_date(void **state)
{
	static const struct {
		const char	*in;
		bool		 want;
	} tab[] = {
		{ "2024-02-29", true },		/* divisible by 4 */
		{ "2023-02-29", false },
		{ "2000-02-29", true },		/* divisible by 400 */
		{ "1900-02-29", false },	/* by 100, not 400 */
		{ "2100-02-29", false },
		{ "2023-02-28", true },
		{ "2023-04-30", true },
		{ "2023-04-31", false },
		{ "2023-06-31", false },
		{ "2023-09-31", false },
		{ "2023-11-31", false },
		{ "2023-01-31", true },
		{ "2023-12-31", true },
		{ "2023-13-01", false },
		{ "2023-00-10", false },
		{ "2023-01-00", false },
		{ "2023-01-32", false },
		{ "1000-01-01", true },
		{ "0999-12-31", false },
		{ "0000-01-01", false },
		{ "9999-12-31", true },
		{ "2023-1-01", false },
		{ "2023-01-1", false },
		{ "2023/01/01", false },
		{ "20230101", false },
		{ "2023-01-01T00:00:00Z", false },
		{ "2023-01-01 ", false },
		{ " 2023-01-01", false },
		{ "2023-01-0a", false },
		{ "２０２３-01-01", false },
		{ "-023-01-01", false },
		{ "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++)
		CHECK_INT(tab[i].in, kn_valid_date(tab[i].in), tab[i].want);
}

static void
test_parse_int64(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 min, max;
		int		 want_rc;
		int64_t		 want;
	} tab[] = {
		{ "0", INT64_MIN, INT64_MAX, 0, 0 },
		{ "42", INT64_MIN, INT64_MAX, 0, 42 },
		{ "-1", INT64_MIN, INT64_MAX, 0, -1 },
		{ "007", 0, 10, 0, 7 },
		{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX },
		{ "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN },
		{ "9223372036854775808", INT64_MIN, INT64_MAX, KN_ERR_INVAL,
		    0 },
		{ "-9223372036854775809", INT64_MIN, INT64_MAX, KN_ERR_INVAL,
		    0 },
		{ "99999999999999999999999", 0, INT64_MAX, KN_ERR_INVAL, 0 },
		{ "4", 1, 4, 0, 4 },
		{ "1", 1, 4, 0, 1 },
		{ "5", 1, 4, KN_ERR_INVAL, 0 },
		{ "0", 1, 4, KN_ERR_INVAL, 0 },
		{ "-1", 0, 4, KN_ERR_INVAL, 0 },
		{ "", 0, 4, KN_ERR_INVAL, 0 },
		{ "-", 0, 4, KN_ERR_INVAL, 0 },
		{ " 1", 0, 4, KN_ERR_INVAL, 0 },
		{ "1 ", 0, 4, KN_ERR_INVAL, 0 },
		{ "+1", 0, 4, KN_ERR_INVAL, 0 },
		{ "1a", 0, 4, KN_ERR_INVAL, 0 },
		{ "0x1", 0, 4, KN_ERR_INVAL, 0 },
		{ "1.0", 0, 4, KN_ERR_INVAL, 0 },
		{ "- 1", -4, 4, KN_ERR_INVAL, 0 },
		{ "--1", -4, 4, KN_ERR_INVAL, 0 },
		{ "１", 0, 4, KN_ERR_INVAL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		int64_t v = 12345;
		int rc = kn_parse_int64(&v, tab[i].in, tab[i].min,
		    tab[i].max);

		CHECK_INT(tab[i].in, rc, tab[i].want_rc);
		/* A failed parse leaves the output alone. */
		CHECK_INT(tab[i].in, v, rc == 0 ? tab[i].want : 12345);
	}
}

/* RFC 4648 section 10 vectors, in the URL alphabet without padding. */
static void
test_base64url(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*want;
	} tab[] = {
		{ "", 0, "" },
		{ "f", 1, "Zg" },
		{ "fo", 2, "Zm8" },
		{ "foo", 3, "Zm9v" },
		{ "foob", 4, "Zm9vYg" },
		{ "fooba", 5, "Zm9vYmE" },
		{ "foobar", 6, "Zm9vYmFy" },
		{ "\xfb\xff", 2, "-_8" },
		{ "\xff\xff\xff", 3, "____" },
		{ "\x00\x00\x00", 3, "AAAA" },
		{ "\xfb\xef\xbe", 3, "----" },
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		memset(out, 'X', sizeof(out));
		kn_base64url(out, (const unsigned char *)tab[i].in,
		    tab[i].len);
		CHECK_STR(tab[i].want, out, tab[i].want);
	}
	/* The API token size: 32 bytes make 43 characters. */
	{
		unsigned char raw[32];

		memset(raw, 0xa5, sizeof(raw));
		kn_base64url(out, raw, sizeof(raw));
		assert_int_equal(strlen(out), 43);
	}
}

static void
test_trim_time_random(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} tab[] = {
		{ "", "" },
		{ "   ", "" },
		{ " a ", "a" },
		{ "\t\r\na b\r\n", "a b" },
		{ "a", "a" },
		{ "\xe3\x80\x80x", "\xe3\x80\x80x" },	/* only ASCII space */
	};
	unsigned char r1[32], r2[32];
	char buf[64], t[21];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		snprintf(buf, sizeof(buf), "%s", tab[i].in);
		CHECK_STR(tab[i].in, kn_trim(buf), tab[i].want);
	}
	kn_time_rfc3339(t, 0);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	kn_time_rfc3339(t, 951782400);
	assert_string_equal(t, "2000-02-29T00:00:00Z");
	kn_now_rfc3339(t);
	assert_int_equal(strlen(t), 20);
	assert_true(kn_valid_date((char[11]){ t[0], t[1], t[2], t[3], t[4],
	    t[5], t[6], t[7], t[8], t[9], '\0' }));
	assert_int_equal(kn_random(r1, sizeof(r1)), 0);
	assert_int_equal(kn_random(r2, sizeof(r2)), 0);
	assert_memory_not_equal(r1, r2, sizeof(r1));
}

/* RFC 8259 section 7: quote, reverse solidus and U+0000..U+001F escaped;
 * everything else (UTF-8 included) passes through. */
static void
test_json_quote(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} tab[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "tab\there", "\"tab\\there\"" },
		{ "nl\ncr\r", "\"nl\\ncr\\r\"" },
		{ "\x01\x1f", "\"\\u0001\\u001f\"" },
		{ "\x7f", "\"\x7f\"" },
		{ "一般財団法人", "\"一般財団法人\"" },
		{ "</script>", "\"</script>\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_buf b;

		kn_buf_init(&b, 1024);
		kn_json_quote(&b, tab[i].in);
		CHECK_INT(tab[i].in, b.failed, 0);
		CHECK_STR(tab[i].in, b.data, tab[i].want);
		kn_buf_cleanup(&b);
	}
}

/* Commas and nesting come out right, and a full buffer fails sticky. */
static void
test_json_writer(void **state)
{
	struct kn_buf b;
	struct kn_jw w;

	(void)state;
	kn_buf_init(&b, 4096);
	kn_jw_init(&w, &b);
	kn_jw_obj(&w);
	kn_jw_kstr(&w, "a", "x");
	kn_jw_kstr(&w, "n", NULL);
	kn_jw_key(&w, "list");
	kn_jw_arr(&w);
	kn_jw_int(&w, -5);
	kn_jw_bool(&w, true);
	kn_jw_obj(&w);
	kn_jw_end_obj(&w);
	kn_jw_arr(&w);
	kn_jw_end_arr(&w);
	kn_jw_null(&w);
	kn_jw_end_arr(&w);
	kn_jw_key(&w, "last");
	kn_jw_bool(&w, false);
	kn_jw_end_obj(&w);
	assert_false(b.failed);
	assert_string_equal(b.data, "{\"a\":\"x\",\"n\":null,\"list\":"
	    "[-5,true,{},[],null],\"last\":false}");
	kn_buf_cleanup(&b);

	kn_buf_init(&b, 8);
	kn_jw_init(&w, &b);
	kn_jw_obj(&w);
	kn_jw_kstr(&w, "longer than eight", "bytes");
	kn_jw_end_obj(&w);
	assert_true(b.failed);
	kn_buf_cleanup(&b);
}

/* DER by hand: integers in the fewest octets with a sign octet when the
 * top bit is set, long-form lengths, GeneralizedTime fractions without
 * trailing zeros, SET OF order (X.690 sections 8.1.3, 8.3, 11.6, 11.7). */
static void
test_der(void **state)
{
	static const struct {
		uint64_t	 v;
		const char	*want_hex;
	} ints[] = {
		{ 0, "020100" }, { 1, "020101" }, { 127, "02017f" },
		{ 128, "02020080" }, { 255, "020200ff" }, { 256, "02020100" },
		{ 0x7fffffffffffffffULL, "02087fffffffffffffff" },
		{ 0x8000000000000000ULL, "0209008000000000000000" },
	};
	static const struct {
		long		 nsec;
		int		 digits;
		const char	*want;
	} times[] = {
		{ 0, 3, "20261121123456Z" },
		{ 120000000, 3, "20261121123456.12Z" },
		{ 335000000, 3, "20261121123456.335Z" },
		{ 999999999, 3, "20261121123456.999Z" },
		{ 400000, 3, "20261121123456Z" },	/* below a millisecond */
		{ 400000, 6, "20261121123456.0004Z" },
		{ 500000000, 0, "20261121123456Z" },
	};
	struct kn_buf b;
	struct kn_slice v[4];
	struct timespec ts;
	char hex[64];
	size_t i, k;

	(void)state;
	kn_buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		kn_buf_reset(&b);
		kn_der_uint(&b, ints[i].v);
		for (k = 0; k < b.len && 2 * k + 2 < sizeof(hex); k++)
			snprintf(hex + 2 * k, 3, "%02x",
			    (unsigned char)b.data[k]);
		hex[2 * k] = '\0';
		if (strcmp(hex, ints[i].want_hex) != 0)
			fail_msg("INTEGER %llu: got %s, want %s",
			    (unsigned long long)ints[i].v, hex,
			    ints[i].want_hex);
	}
	ts.tv_sec = 1795264496;		/* 2026-11-21 12:34:56 UTC */
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		kn_buf_reset(&b);
		ts.tv_nsec = times[i].nsec;
		kn_der_gentime(&b, &ts, times[i].digits);
		assert_int_equal((unsigned char)b.data[0], 0x18);
		assert_int_equal((size_t)(unsigned char)b.data[1], b.len - 2);
		if (b.len - 2 != strlen(times[i].want) ||
		    memcmp(b.data + 2, times[i].want, b.len - 2) != 0)
			fail_msg("time %ld/%d: got %.*s, want %s",
			    times[i].nsec, times[i].digits, (int)b.len - 2,
			    b.data + 2, times[i].want);
	}
	/* A wrap of 300 octets takes a two-octet long form. */
	kn_buf_reset(&b);
	kn_buf_putn(&b, "x", 1);
	for (i = 0; i < 300; i++)
		kn_buf_putn(&b, "a", 1);
	kn_der_wrap(&b, 1, 0x30);
	assert_false(b.failed);
	assert_int_equal(b.len, 1 + 4 + 300);
	assert_memory_equal(b.data, "x\x30\x82\x01\x2c" "aaa", 8);
	/* A cap too small for the header leaves the buffer failed, not
	 * torn. */
	kn_buf_cleanup(&b);
	kn_buf_init(&b, 4);
	kn_buf_putn(&b, "abc", 3);
	kn_der_wrap(&b, 0, 0x04);
	assert_true(b.failed);
	/* An i2d's octets are appended and freed; a failed i2d (n <= 0)
	 * fails the buffer. */
	kn_buf_cleanup(&b);
	kn_buf_init(&b, 64);
	{
		unsigned char *p = OPENSSL_malloc(3);

		assert_non_null(p);
		memcpy(p, "\x05\x00\x01", 3);
		kn_der_put_i2d(&b, &p, 2);
		assert_null(p);
		assert_false(b.failed);
		assert_int_equal(b.len, 2);
		assert_memory_equal(b.data, "\x05\x00", 2);
		kn_der_put_i2d(&b, &p, -1);
		assert_true(b.failed);
	}
	/* SET OF: by octets, a shorter prefix first. */
	v[0].ptr = "\x30\x02\x05\x00";
	v[0].len = 4;
	v[1].ptr = "\x30\x01\x05";
	v[1].len = 3;
	v[2].ptr = "\x02\x01\x09";
	v[2].len = 3;
	v[3].ptr = "\x30\x02\x04\x00";
	v[3].len = 4;
	kn_der_sort(v, 4);
	assert_memory_equal(v[0].ptr, "\x02\x01\x09", 3);
	assert_memory_equal(v[1].ptr, "\x30\x01\x05", 3);
	assert_memory_equal(v[2].ptr, "\x30\x02\x04\x00", 4);
	assert_memory_equal(v[3].ptr, "\x30\x02\x05\x00", 4);
	kn_buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_der),
		cmocka_unit_test(test_err_detail),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_sticky),
		cmocka_unit_test(test_buf_html),
		cmocka_unit_test(test_buf_urlenc),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_check_text),
		cmocka_unit_test(test_valid_date),
		cmocka_unit_test(test_parse_int64),
		cmocka_unit_test(test_json_quote),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_trim_time_random),
	};

	return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
