/* test_mail_msg.c - the RFC 5322 message parser: header fields and body,
 * defects, caps, unfolding, encoded words, addresses and the author. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/msg.h"
#include "testutil.h"

/* Field names, ';'-separated, in message order. */
static char *
names_of(const struct kn_mail_msg *m)
{
	struct kn_buf b;
	size_t i;

	kn_buf_init(&b, 1 << 20);
	kn_buf_puts(&b, "");
	for (i = 0; i < m->nhdrs; i++) {
		if (i > 0)
			kn_buf_puts(&b, ";");
		kn_buf_putn(&b, m->hdrs[i].name.ptr, m->hdrs[i].name.len);
	}
	assert_false(b.failed);
	return kn_buf_steal(&b, NULL);
}

static char *
dup_slice(struct kn_slice s)
{
	char *p = malloc(s.len + 1);

	assert_non_null(p);
	memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return p;
}

static void
test_parse(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		const char	*want_names;
		const char	*want_raw0;	/* raw of field 1 */
		const char	*want_value0;	/* value of field 1 */
		unsigned	 want_hdef0;	/* defects of field 1 */
		const char	*want_body;
		unsigned	 want_defects;
	} tab[] = {
		{ "plain", "From: a@b.example\r\nTo: c@d.example\r\n\r\nhi\r\n",
		    "From;To", "From: a@b.example\r\n", " a@b.example", 0,
		    "hi\r\n", 0 },
		{ "bare LF", "From: a@b\nTo: c\n\nhi\nthere\n", "From;To",
		    "From: a@b\r\n", " a@b", 0, "hi\r\nthere\r\n", 0 },
		{ "mixed EOL", "From: a@b\r\nTo: c\n\r\nhi\r\n", "From;To",
		    "From: a@b\r\n", " a@b", 0, "hi\r\n",
		    KN_MAIL_MIXED_EOL },
		{ "mixed EOL in body", "A: 1\r\n\r\nx\ny\r\n", "A",
		    "A: 1\r\n", " 1", 0, "x\r\ny\r\n", KN_MAIL_MIXED_EOL },
		{ "folded", "Subject: a\r\n b\r\n\tc\r\nX: y\r\n\r\n",
		    "Subject;X", "Subject: a\r\n b\r\n\tc\r\n",
		    " a\r\n b\r\n\tc", 0, "", 0 },
		{ "folded LF", "Subject: a\n b\n\n", "Subject",
		    "Subject: a\r\n b\r\n", " a\r\n b", 0, "", 0 },
		{ "obs-FWS line", "Subject: a\r\n \r\n b\r\n\r\n", "Subject",
		    "Subject: a\r\n \r\n b\r\n", " a\r\n \r\n b",
		    KN_MAIL_HDR_EMPTY_LINE, "", KN_MAIL_HDR_DEFECT },
		{ "WSP line is not the separator",
		    "From: a@b\r\n \r\nFrom: c@d\r\n\r\n", "From;From",
		    "From: a@b\r\n \r\n", " a@b\r\n ", KN_MAIL_HDR_EMPTY_LINE,
		    "", KN_MAIL_HDR_DEFECT },
		{ "WSP before colon", "From : a@b\r\n\r\n", "From",
		    "From : a@b\r\n", " a@b", KN_MAIL_HDR_WSP_NAME, "",
		    KN_MAIL_HDR_DEFECT },
		{ "tab before colon", "From\t: a@b\r\n\r\n", "From",
		    "From\t: a@b\r\n", " a@b", KN_MAIL_HDR_WSP_NAME, "",
		    KN_MAIL_HDR_DEFECT },
		{ "empty value", "From:\r\n\r\n", "From", "From:\r\n", "", 0,
		    "", 0 },
		{ "no space", "From:a@b\r\n\r\n", "From", "From:a@b\r\n",
		    "a@b", 0, "", 0 },
		{ "ESC in value", "Subject: \x1b$B\r\n\r\n", "Subject",
		    "Subject: \x1b$B\r\n", " \x1b$B", KN_MAIL_HDR_CTL, "",
		    KN_MAIL_HDR_DEFECT },
		{ "DEL in value", "X: \x7f\r\n\r\n", "X", "X: \x7f\r\n",
		    " \x7f", KN_MAIL_HDR_CTL, "", KN_MAIL_HDR_DEFECT },
		{ "8-bit value", "Subject: \xe6\x97\xa5\r\n\r\n", "Subject",
		    "Subject: \xe6\x97\xa5\r\n", " \xe6\x97\xa5",
		    KN_MAIL_HDR_8BIT, "", KN_MAIL_HDR_DEFECT },
		{ "bare CR", "Subject: a\rFrom: evil\r\n\r\n", "Subject",
		    "Subject: a\rFrom: evil\r\n", " a\rFrom: evil",
		    KN_MAIL_HDR_BARE_CR, "", KN_MAIL_HDR_DEFECT },
		{ "CR before CRLF", "X: a\r\r\n\r\n", "X", "X: a\r\r\n",
		    " a\r", KN_MAIL_HDR_BARE_CR, "", KN_MAIL_HDR_DEFECT },
		{ "8-bit name", "F\xc3\xa9: a\r\n\r\n", "F\xc3\xa9",
		    "F\xc3\xa9: a\r\n", " a", KN_MAIL_HDR_8BIT, "",
		    KN_MAIL_HDR_DEFECT },
		{ "no colon ends headers",
		    "From: a@b\r\nnot a header\r\nFrom: c@d\r\n\r\nx\r\n",
		    "From", "From: a@b\r\n", " a@b", 0,
		    "not a header\r\nFrom: c@d\r\n\r\nx\r\n",
		    KN_MAIL_BAD_LINE },
		{ "space in name ends headers",
		    "From: a@b\r\nX Y: z\r\n\r\n", "From", "From: a@b\r\n",
		    " a@b", 0, "X Y: z\r\n\r\n", KN_MAIL_BAD_LINE },
		{ "empty name ends headers", "A: 1\r\n: 2\r\n\r\n", "A",
		    "A: 1\r\n", " 1", 0, ": 2\r\n\r\n", KN_MAIL_BAD_LINE },
		{ "mbox From_ line", "From a@b Mon Jan  1 00:00:00 2024\n"
		    "From: a@b\n\n", "", NULL, NULL, 0,
		    "From a@b Mon Jan  1 00:00:00 2024\r\nFrom: a@b\r\n\r\n",
		    KN_MAIL_BAD_LINE },
		{ "bare CR line start ends headers", "A: 1\r\n\rB: 2\r\n\r\n",
		    "A", "A: 1\r\n", " 1", 0, "\rB: 2\r\n\r\n",
		    KN_MAIL_BAD_LINE },
		{ "leading WSP", " From: a@b\r\nFrom: c@d\r\n\r\n", "",
		    NULL, NULL, 0, " From: a@b\r\nFrom: c@d\r\n\r\n",
		    KN_MAIL_LEADING_WSP },
		{ "no separator", "From: a@b\r\nTo: c\r\n", "From;To",
		    "From: a@b\r\n", " a@b", 0, "", KN_MAIL_NO_BODY_SEP },
		{ "no final EOL", "From: a@b", "From", "From: a@b", " a@b",
		    0, "", KN_MAIL_NO_BODY_SEP },
		{ "no final EOL folded", "From: a@b\r\n c", "From",
		    "From: a@b\r\n c", " a@b\r\n c", 0, "",
		    KN_MAIL_NO_BODY_SEP },
		{ "ends in name", "From: a\r\nSubj", "From", "From: a\r\n",
		    " a", 0, "Subj", KN_MAIL_BAD_LINE },
		{ "empty", "", "", NULL, NULL, 0, "", KN_MAIL_NO_BODY_SEP },
		{ "only separator", "\r\nbody", "", NULL, NULL, 0, "body", 0 },
		{ "only LF separator", "\nbody\n", "", NULL, NULL, 0,
		    "body\r\n", 0 },
		{ "body keeps bare CR", "A: 1\r\n\r\nx\ry\r\n", "A", "A: 1\r\n",
		    " 1", 0, "x\ry\r\n", 0 },
		{ "body keeps separators", "A: 1\r\n\r\n\r\nB: 2\r\n", "A",
		    "A: 1\r\n", " 1", 0, "\r\nB: 2\r\n", 0 },
		{ "duplicates kept in order", "From: a\r\nfrom: b\r\nFROM: c"
		    "\r\n\r\n", "From;from;FROM", "From: a\r\n", " a", 0, "",
		    0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_mail_msg *m = NULL;
		char *names, *s;

		CHECK_INT(tab[i].name, kn_mail_parse(&m, tab[i].in,
		    strlen(tab[i].in), NULL), 0);
		names = names_of(m);
		CHECK_STR(tab[i].name, names, tab[i].want_names);
		free(names);
		CHECK_INT(tab[i].name, m->defects, tab[i].want_defects);
		if (tab[i].want_raw0 != NULL) {
			assert_true(m->nhdrs > 0);
			s = dup_slice(m->hdrs[0].raw);
			CHECK_STR(tab[i].name, s, tab[i].want_raw0);
			free(s);
			s = dup_slice(m->hdrs[0].value);
			CHECK_STR(tab[i].name, s, tab[i].want_value0);
			free(s);
		}
		if (m->nhdrs > 0)
			CHECK_INT(tab[i].name, m->hdrs[0].defects,
			    tab[i].want_hdef0);
		s = dup_slice(m->body);
		CHECK_STR(tab[i].name, s, tab[i].want_body);
		free(s);
		/* The slices lie in the copy, the copy is CRLF-only. */
		assert_true(m->body.ptr + m->body.len == m->data + m->len);
		assert_int_equal(m->data[m->len], '\0');
		kn_mail_free(m);
	}
}

/* A NUL is an octet like any other: it ends neither a field nor the
 * header section, and it is a defect of its field. */
static void
test_parse_nul(void **state)
{
	static const char in1[] = "From: a\0@b\r\nTo: c\r\n\r\nx\0y";
	static const char in2[] = "Fr\0om: a\r\n\r\n";
	struct kn_mail_msg *m;

	(void)state;
	assert_int_equal(kn_mail_parse(&m, in1, sizeof(in1) - 1, NULL), 0);
	assert_int_equal(m->nhdrs, 2);
	assert_int_equal(m->hdrs[0].raw.len, 12);
	assert_int_equal(m->hdrs[0].value.len, 5);
	assert_memory_equal(m->hdrs[0].value.ptr, " a\0@b", 5);
	assert_int_equal(m->hdrs[0].defects, KN_MAIL_HDR_CTL);
	assert_int_equal(m->hdrs[1].defects, 0);
	assert_int_equal(m->defects, KN_MAIL_HDR_DEFECT);
	assert_int_equal(m->body.len, 3);
	assert_memory_equal(m->body.ptr, "x\0y", 3);
	kn_mail_free(m);

	assert_int_equal(kn_mail_parse(&m, in2, sizeof(in2) - 1, NULL), 0);
	assert_int_equal(m->nhdrs, 1);
	assert_int_equal(m->hdrs[0].name.len, 5);
	assert_int_equal(m->hdrs[0].defects, KN_MAIL_HDR_CTL);
	assert_int_equal(kn_mail_count(m, "From"), 0);
	kn_mail_free(m);
}

/* A NUL anywhere in the header section: no author, whatever the field. */
static void
test_from_nul(void **state)
{
#define R(x) { x, sizeof(x) - 1 }
	static const struct {
		const char	*s;
		size_t		 n;
	} tab[] = {
		R("From: a@x.jp\0@attacker.example\r\n\r\n"),
		R("Fr\0om: admin@bank.example\r\nFrom: a@attacker.example\r\n"),
		R("From: a@attacker.example\r\nSubject: \0\r\n\r\n"),
		R("From: a@attacker.example\r\nX\0: y\r\n\r\n"),
	};
#undef R
	struct kn_mail_msg *m;
	struct kn_mail_addrs a;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		assert_int_equal(kn_mail_parse(&m, tab[i].s, tab[i].n,
		    NULL), 0);
		assert_true(m->defects & KN_MAIL_HDR_DEFECT);
		kn_err_clear();
		CHECK_INT("NUL", kn_mail_from(&a, m), KN_ERR_INVAL);
		CHECK_HAS("NUL", kn_err_get()->msg, "NUL");
		kn_mail_addrs_cleanup(&a);
		kn_mail_free(m);
	}
}

/* The raw fields and the separator are exactly the CRLF copy. */
static void
test_parse_raw_exact(void **state)
{
	const char *in = "Received: x\n\tby y\nFrom: a@b\nDKIM-Signature: "
	    "v=1;\n b=abc\n\nbody\n";
	const char *want = "Received: x\r\n\tby y\r\nFrom: a@b\r\n"
	    "DKIM-Signature: v=1;\r\n b=abc\r\n\r\nbody\r\n";
	struct kn_mail_msg *m;
	size_t i, off = 0;

	(void)state;
	assert_int_equal(kn_mail_parse(&m, in, strlen(in), NULL), 0);
	assert_int_equal(m->len, strlen(want));
	assert_memory_equal(m->data, want, m->len);
	for (i = 0; i < m->nhdrs; i++) {
		assert_ptr_equal(m->hdrs[i].raw.ptr, m->data + off);
		off += m->hdrs[i].raw.len;
	}
	assert_int_equal(off + 2, (size_t)(m->body.ptr - m->data));
	assert_int_equal(m->nhdrs, 3);
	kn_mail_free(m);
}

static void
test_parse_caps(void **state)
{
	struct kn_mail_limits lim;
	struct kn_mail_msg *m = NULL;
	struct kn_mail_addrs a;
	struct kn_buf b;
	size_t i;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.max_size = 10;
	kn_err_clear();
	CHECK_INT("size", kn_mail_parse(&m, "From: a@b\r\n", 11, &lim),
	    KN_ERR_TOOBIG);
	CHECK_HAS("size", kn_err_get()->msg, "max_size");
	assert_null(m);
	CHECK_INT("size at cap", kn_mail_parse(&m, "From: a@b\n", 10, &lim),
	    0);
	kn_mail_free(m);

	/* Header count: max_hdrs fields parse, one more does not. */
	memset(&lim, 0, sizeof(lim));
	lim.max_hdrs = 3;
	CHECK_INT("hdrs at cap", kn_mail_parse(&m, "A: 1\nB: 2\nC: 3\n\n", 16,
	    &lim), 0);
	kn_mail_free(m);
	CHECK_INT("hdrs over", kn_mail_parse(&m, "A: 1\nB: 2\nC: 3\nD: 4\n\n",
	    21, &lim), KN_ERR_TOOBIG);
	CHECK_HAS("hdrs over", kn_err_get()->msg, "max_hdrs");

	/* The default header count. */
	kn_buf_init(&b, 1 << 20);
	for (i = 0; i < KN_MAIL_MAX_HDRS; i++)
		kn_buf_puts(&b, "X: y\r\n");
	CHECK_INT("default hdrs", kn_mail_parse(&m, b.data, b.len, NULL), 0);
	assert_int_equal(m->nhdrs, KN_MAIL_MAX_HDRS);
	kn_mail_free(m);
	kn_buf_puts(&b, "X: y\r\n");
	CHECK_INT("default hdrs over", kn_mail_parse(&m, b.data, b.len,
	    NULL), KN_ERR_TOOBIG);

	/* One field's length, folding included. */
	memset(&lim, 0, sizeof(lim));
	lim.max_hdr_len = 8;
	CHECK_INT("field at cap", kn_mail_parse(&m, "A: 12345\r\n\r\n", 12,
	    &lim), 0);
	kn_mail_free(m);
	CHECK_INT("field over", kn_mail_parse(&m, "A: 1\r\n 345\r\n\r\n", 15,
	    &lim), KN_ERR_TOOBIG);
	CHECK_HAS("field over", kn_err_get()->msg, "max_hdr_len");
	kn_buf_reset(&b);
	kn_buf_puts(&b, "Subject: ");
	for (i = 0; i < KN_MAIL_MAX_HDR_LEN; i++)
		kn_buf_puts(&b, "a");
	kn_buf_puts(&b, "\r\n\r\n");
	CHECK_INT("default field over", kn_mail_parse(&m, b.data, b.len,
	    NULL), KN_ERR_TOOBIG);
	/* A field over the default cap, under the caller's own. */
	kn_buf_reset(&b);
	kn_buf_puts(&b, "From: ");
	for (i = 0; i < KN_MAIL_MAX_HDR_LEN; i++)
		kn_buf_puts(&b, "a");
	kn_buf_puts(&b, "@example.jp\r\n\r\n");
	memset(&lim, 0, sizeof(lim));
	lim.max_hdr_len = 2 * KN_MAIL_MAX_HDR_LEN;
	CHECK_INT("own cap", kn_mail_parse(&m, b.data, b.len, &lim), 0);
	CHECK_INT("own cap from", kn_mail_from(&a, m), 0);
	CHECK_INT("own cap from", strlen(a.v[0].local), KN_MAIL_MAX_HDR_LEN);
	kn_mail_addrs_cleanup(&a);
	kn_mail_free(m);
	/* A long body is no field. */
	kn_buf_reset(&b);
	kn_buf_puts(&b, "A: b\r\n\r\n");
	for (i = 0; i < KN_MAIL_MAX_HDR_LEN * 2; i++)
		kn_buf_puts(&b, "a");
	CHECK_INT("long body", kn_mail_parse(&m, b.data, b.len, NULL), 0);
	kn_mail_free(m);
	kn_buf_cleanup(&b);
}

static void
test_find_count(void **state)
{
	const char *in = "From: a\r\nTo: x\r\nFROM : b\r\nfrom: c\r\n"
	    "From-X: d\r\nFro: e\r\n\r\n";
	struct kn_mail_msg *m;
	const struct kn_mail_hdr *h;

	(void)state;
	assert_int_equal(kn_mail_parse(&m, in, strlen(in), NULL), 0);
	CHECK_INT("count from", kn_mail_count(m, "From"), 3);
	CHECK_INT("count from lower", kn_mail_count(m, "from"), 3);
	CHECK_INT("count to", kn_mail_count(m, "to"), 1);
	CHECK_INT("count cc", kn_mail_count(m, "Cc"), 0);
	h = kn_mail_find(m, "from", 0);
	assert_non_null(h);
	assert_memory_equal(h->value.ptr, " a", 2);
	h = kn_mail_find(m, "from", 1);
	assert_non_null(h);
	assert_memory_equal(h->value.ptr, " b", 2);
	assert_true(h->defects & KN_MAIL_HDR_WSP_NAME);
	assert_true(kn_mail_hdr_is(h, "From"));
	h = kn_mail_find(m, "from", 2);
	assert_non_null(h);
	assert_memory_equal(h->value.ptr, " c", 2);
	assert_null(kn_mail_find(m, "from", 3));
	assert_null(kn_mail_find(m, "Subject", 0));
	kn_mail_free(m);
}

static void
test_unfold(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		const char	*want;
	} tab[] = {
		{ "plain", "Subject: hello\r\n\r\n", "hello" },
		{ "folded", "Subject: a\r\n b\r\n\tc\r\n\r\n", "a b\tc" },
		{ "fold at start", "Subject:\r\n a\r\n\r\n", "a" },
		{ "trailing WSP", "Subject: a \t\r\n\r\n", "a" },
		{ "fold at end", "Subject: a\r\n \r\n\r\n", "a" },
		{ "inner WSP kept", "Subject: a  \t b\r\n\r\n", "a  \t b" },
		{ "empty", "Subject:\r\n\r\n", "" },
		{ "only WSP", "Subject:   \r\n\r\n", "" },
		{ "bare CR kept", "Subject: a\rb\r\n\r\n", "a\rb" },
		{ "LF input", "Subject: a\n b\n\n", "a b" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_mail_msg *m;
		struct kn_buf b;

		assert_int_equal(kn_mail_parse(&m, tab[i].in,
		    strlen(tab[i].in), NULL), 0);
		kn_buf_init(&b, 1024);
		kn_buf_puts(&b, ">");
		CHECK_INT(tab[i].name, kn_mail_unfold(&b, &m->hdrs[0]), 0);
		CHECK_STR(tab[i].name, b.data + 1, tab[i].want);
		CHECK_INT(tab[i].name, b.len, strlen(tab[i].want) + 1);
		kn_buf_cleanup(&b);
		kn_mail_free(m);
	}
}

static void
test_decode_words(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		const char	*want;
	} tab[] = {
		{ "plain text", "hello world", "hello world" },
		{ "utf-8 B", "=?UTF-8?B?5pel5pys6Kqe?=", "日本語" },
		{ "utf-8 Q", "=?utf-8?Q?caf=C3=A9_au_lait?=", "café au lait" },
		{ "Q lower hex", "=?utf-8?q?caf=c3=a9?=", "café" },
		{ "iso-2022-jp", "=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=",
		    "こんにちは" },
		{ "shift_jis", "=?Shift_JIS?B?k/qWe4zq?=", "日本語" },
		{ "cp932", "=?windows-31j?B?k/qWe4zq?=", "日本語" },
		{ "euc-jp", "=?EUC-JP?B?xvzL3Ljs?=", "日本語" },
		{ "iso-8859-1", "=?ISO-8859-1?Q?Andr=E9?=", "André" },
		{ "us-ascii", "=?us-ascii?q?plain?=", "plain" },
		{ "rfc 2231 language", "=?utf-8*ja?B?5pel?=", "日" },
		{ "adjacent words join", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab" },
		{ "adjacent words tab", "=?utf-8?q?a?=\t =?utf-8?q?b?=", "ab" },
		{ "word then text", "=?utf-8?q?a?= b", "a b" },
		{ "text then word", "a =?utf-8?q?b?=", "a b" },
		{ "split character", "=?utf-8?B?5g==?= =?utf-8?B?l6U=?=",
		    "日" },
		{ "two charsets", "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=",
		    "éé" },
		{ "RFC 2047 8 a", "(=?ISO-8859-1?Q?a?=)",
		    "(=?ISO-8859-1?Q?a?=)" },
		{ "RFC 2047 8 b", "=?ISO-8859-1?Q?a?= b", "a b" },
		{ "RFC 2047 8 c", "=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=",
		    "ab" },
		{ "unknown charset after word",
		    "=?ISO-8859-1?Q?a?=  =?ISO-8859-2?Q?b?=",
		    "a  =?ISO-8859-2?Q?b?=" },
		{ "RFC 2047 8 d", "=?ISO-8859-1?Q?a_b?=", "a b" },
		{ "leading and trailing WSP kept", " =?utf-8?q?a?= ", " a " },
		{ "glued to text", "x=?utf-8?q?a?=", "x=?utf-8?q?a?=" },
		{ "unknown charset", "=?koi8-r?q?a?=", "=?koi8-r?q?a?=" },
		{ "unknown encoding", "=?utf-8?x?a?=", "=?utf-8?x?a?=" },
		{ "empty text", "=?utf-8?q?\?=", "=?utf-8?q?\?=" },
		{ "bad base64", "=?utf-8?b?!!!!?=", "=?utf-8?b?!!!!?=" },
		{ "bad base64 length", "=?utf-8?b?QUJDR?=",
		    "=?utf-8?b?QUJDR?=" },
		{ "base64 no padding", "=?utf-8?b?QUI?=", "AB" },
		{ "bad Q escape", "=?utf-8?q?=ZZ?=", "=?utf-8?q?=ZZ?=" },
		{ "truncated Q escape", "=?utf-8?q?a=4?=", "=?utf-8?q?a=4?=" },
		{ "invalid utf-8", "=?utf-8?q?=FF?=", "=?utf-8?q?=FF?=" },
		{ "8-bit us-ascii", "=?us-ascii?q?=E9?=",
		    "=?us-ascii?q?=E9?=" },
		{ "decodes to NUL", "=?utf-8?q?a=00b?=", "=?utf-8?q?a=00b?=" },
		{ "decodes to CRLF", "=?utf-8?q?a=0D=0AFrom:?=",
		    "=?utf-8?q?a=0D=0AFrom:?=" },
		{ "decodes to C1", "=?utf-8?q?=C2=85?=", "=?utf-8?q?=C2=85?=" },
		{ "bad iso-2022-jp", "=?iso-2022-jp?q?=1B$B=FF=FF?=",
		    "=?iso-2022-jp?q?=1B$B=FF=FF?=" },
		{ "failed run kept whole", "=?utf-8?q?=FF?= =?utf-8?q?a?=",
		    "=?utf-8?q?=FF?= =?utf-8?q?a?=" },
		{ "decodes to an address",
		    "=?utf-8?b?PGFAYmFuay5leGFtcGxlPg==?=",
		    "<a@bank.example>" },
		{ "empty", "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_buf b;

		kn_buf_init(&b, 4096);
		CHECK_INT(tab[i].name, kn_mail_decode_words(&b, tab[i].in,
		    strlen(tab[i].in)), 0);
		CHECK_STR(tab[i].name, b.data, tab[i].want);
		kn_buf_cleanup(&b);
	}
}

/* An address list as text: "display|local|domain|group" per address, ';'
 * between addresses, "-" for NULL. */
static char *
addrs_text(const struct kn_mail_addrs *a)
{
	struct kn_buf b;
	size_t i;

	kn_buf_init(&b, 1 << 20);
	kn_buf_puts(&b, "");
	for (i = 0; i < a->n; i++) {
		const struct kn_mail_addr *x = &a->v[i];

		kn_buf_putf(&b, "%s%s|%s|%s|%s", i > 0 ? ";" : "",
		    x->display ? x->display : "-", x->local, x->domain,
		    x->group ? x->group : "-");
	}
	assert_false(b.failed);
	return kn_buf_steal(&b, NULL);
}

static void
test_addrs_parse(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		int		 want_rc;
		const char	*want;	/* addrs_text, or the error */
	} tab[] = {
		/* RFC 5322 appendix A.1 and A.5. */
		{ "A.1.1 addr", "John Doe <jdoe@machine.example>", 0,
		    "John Doe|jdoe|machine.example|-" },
		{ "A.1.1 quoted",
		    "\"Joe Q. Public\" <john.q.public@example.com>",
		    0, "Joe Q. Public|john.q.public|example.com|-" },
		{ "A.1.2 list", "Mary Smith <mary@x.test>, jdoe@example.org, "
		    "Who? <one@y.test>", 0, "Mary Smith|mary|x.test|-;"
		    "-|jdoe|example.org|-;Who?|one|y.test|-" },
		{ "A.1.2 quoted pair", "<boss@nil.test>, \"Giant; \\\"Big\\\" "
		    "Box\" <sysservices@example.net>", 0,
		    "-|boss|nil.test|-;Giant; \"Big\" Box|sysservices|"
		    "example.net|-" },
		{ "A.1.3 group", "A Group:Ed Jones <c@a.test>,joe@where.test,"
		    "John <jdoe@one.test>;", 0,
		    "Ed Jones|c|a.test|A Group;-|joe|where.test|A Group;"
		    "John|jdoe|one.test|A Group" },
		{ "A.1.3 empty group", "Undisclosed recipients:;", 0, "" },
		{ "A.5 comments", "Pete(A nice \\) chap) <pete(his account)"
		    "@silly.test(his host)>", 0, "Pete|pete|silly.test|-" },
		{ "A.5 group comments", "A Group(Some people)\r\n     :Chris "
		    "Jones <c@(Chris's host.)public.example>,\r\n"
		    "         joe@example.org,\r\n  John <jdoe@one.test> "
		    "(my dear friend); (the end of the group)", 0,
		    "Chris Jones|c|public.example|A Group;"
		    "-|joe|example.org|A Group;John|jdoe|one.test|A Group" },
		{ "A.5 empty group comment", "(Empty list)(start)Hidden "
		    "recipients  :(nobody(that I know))  ;", 0, "" },
		/* Obsolete forms (RFC 5322 section 4.4, appendix A.6). */
		{ "A.6.1 obs-phrase",
		    "Joe Q. Public <john.q.public@example.com>",
		    0, "Joe Q. Public|john.q.public|example.com|-" },
		{ "A.6.1 obs list", "Mary Smith <@node.test:mary@example.net>, "
		    ", jdoe@test  . example", 0,
		    "Mary Smith|mary|example.net|-;-|jdoe|test.example|-" },
		{ "A.6.3 obs-local-part", "John Doe <jdoe@machine(comment).  "
		    "example>", 0, "John Doe|jdoe|machine.example|-" },
		{ "obs-local-part CFWS", "a . \"b c\" @ d", 0,
		    "-|a.b c|d|-" },
		{ "obs-route list", "<@a.test,,@b.test:x@c.test>", 0,
		    "-|x|c.test|-" },
		{ "obs-route leading comma", "<,@a.test:x@c.test>", 0,
		    "-|x|c.test|-" },
		{ "obs empty elements", ", ,a@b.test,,c@d.test,", 0,
		    "-|a|b.test|-;-|c|d.test|-" },
		{ "obs-group-list", "g: , ,;", 0, "" },
		{ "group empty elements", "g: ,a@b.test,, ;", 0,
		    "-|a|b.test|g" },
		{ "group then address", "g: a@b.test; , c@d.test", 0,
		    "-|a|b.test|g;-|c|d.test|-" },
		/* Quoting, comments, case. */
		{ "nested comments", "a@b.test (x (y (z)) w)", 0,
		    "-|a|b.test|-" },
		{ "comment with @ and <>", "a@b.test (<c@bank.example>)", 0,
		    "-|a|b.test|-" },
		{ "quoted local with @", "\"a@bank.example\"@attacker.example",
		    0, "-|a@bank.example|attacker.example|-" },
		{ "quoted pair in local", "\"a\\\"b\"@c.test", 0,
		    "-|a\"b|c.test|-" },
		{ "empty quoted local", "\"\"@c.test", 0, "-||c.test|-" },
		{ "domain lowercased", "Ab@EXAMPLE.Test", 0,
		    "-|Ab|example.test|-" },
		{ "domain literal", "a@[192.0.2.1]", 0, "-|a|[192.0.2.1]|-" },
		{ "display decoded", "=?utf-8?B?5pel5pys?= <a@b.test>", 0,
		    "日本|a|b.test|-" },
		{ "display glued to <", "=?utf-8?q?x?=<a@b.test>", 0,
		    "x|a|b.test|-" },
		{ "display quoted not decoded", "\"=?utf-8?q?x?=\" <a@b.test>",
		    0, "=?utf-8?q?x?=|a|b.test|-" },
		{ "display mixed", "=?utf-8?q?a?= \"b c\" d <a@b.test>", 0,
		    "a b c d|a|b.test|-" },
		{ "display comment dropped", "Joe (the boss) Smith <a@b.test>",
		    0, "Joe Smith|a|b.test|-" },
		{ "display encoded address", "=?utf-8?b?PGFAYmFuay5leGFtcGxl"
		    "Pg==?= <x@attacker.example>", 0,
		    "<a@bank.example>|x|attacker.example|-" },
		{ "empty display", "\"\" <a@b.test>", 0, "-|a|b.test|-" },
		{ "UTF-8 display", "山田 太郎 <taro@b.test>", 0,
		    "山田 太郎|taro|b.test|-" },
		{ "UTF-8 local", "山田@b.test", 0, "-|山田|b.test|-" },
		{ "IDN domain", "a@日本語.jp", 0,
		    "-|a|xn--wgv71a119e.jp|-" },
		{ "A-label domain", "a@XN--WGV71A119E.jp", 0,
		    "-|a|xn--wgv71a119e.jp|-" },
		{ "folded value", "a@b.test,\r\n c@d.test", 0,
		    "-|a|b.test|-;-|c|d.test|-" },
		/* Refused. */
		{ "empty", "", KN_ERR_INVAL, "no address" },
		{ "only WSP", "   ", KN_ERR_INVAL, "no address" },
		{ "only commas", " , ,", KN_ERR_INVAL, "no address" },
		{ "no domain", "admin", KN_ERR_INVAL, "no @domain" },
		{ "no domain angle", "<admin>", KN_ERR_INVAL, "no @domain" },
		{ "phrase no angle", "John Doe", KN_ERR_INVAL, "no @domain" },
		{ "empty domain", "a@", KN_ERR_INVAL, "3.4.1" },
		{ "empty local", "@b.test", KN_ERR_INVAL, "3.4.1" },
		{ "empty angle", "<>", KN_ERR_INVAL, "empty address" },
		{ "two angles", "<a@b.test> <c@d.test>", KN_ERR_INVAL, "'<'" },
		{ "two angles glued", "<a@b.test><c@d.test>", KN_ERR_INVAL,
		    "3.4" },
		{ "trailing garbage", "<a@b.test> x", KN_ERR_INVAL,
		    "a word at character 12" },
		{ "trailing @", "<a@b.test>@c.test", KN_ERR_INVAL, "'@'" },
		{ "two @", "a@b.test@c.test", KN_ERR_INVAL, "3.4" },
		{ "unquoted @ in display",
		    "a@bank.example <b@attacker.example>",
		    KN_ERR_INVAL, "'<'" },
		{ "unclosed angle", "<a@b.test", KN_ERR_INVAL, "'>'" },
		{ "unclosed quote", "\"a <a@b.test>", KN_ERR_INVAL,
		    "quoted string is not closed" },
		{ "unclosed comment", "a@b.test (x", KN_ERR_INVAL,
		    "comment is not closed" },
		{ "unbalanced paren", "a@b.test )", KN_ERR_INVAL,
		    "closes no comment" },
		{ "deep comments", "a@b.test ((((((((((((((((((((((((((((((("
		    "((((((((((((((((((((((((((((((((((()))))))))))))))))))))"
		    ")))))))))))))))))))))))))))))))))))))))))))",
		    KN_ERR_INVAL, "64 deep" },
		{ "backslash outside quotes", "a\\@b@c.test", KN_ERR_INVAL,
		    "3.2.3" },
		{ "backslash at end", "\"a\\", KN_ERR_INVAL, "backslash" },
		{ "NUL", "a@b.test\x01", KN_ERR_INVAL, "control character" },
		{ "CR", "a@b.test\rc@d", KN_ERR_INVAL, "control character" },
		{ "LF", "a@b.test\nc@d", KN_ERR_INVAL, "control character" },
		{ "CTL in quoted", "\"a\x1b\"@b.test", KN_ERR_INVAL,
		    "quoted string" },
		{ "CTL in comment", "a@b.test (\x7f)", KN_ERR_INVAL,
		    "comment" },
		{ "CTL quoted-pair", "\"a\\\x01\"@b.test", KN_ERR_INVAL,
		    "backslash" },
		{ "semicolon", "a@b.test; c@d.test", KN_ERR_INVAL, "';'" },
		{ "nested group", "g: h: a@b.test;;", KN_ERR_INVAL,
		    "inside the group" },
		{ "unclosed group", "g: a@b.test", KN_ERR_INVAL,
		    "not closed" },
		{ "group garbage", "g: a@b.test x;", KN_ERR_INVAL, "a word" },
		{ "dot at local start", ".a@b.test", KN_ERR_INVAL, "'.'" },
		{ "double dot local", "a..b@c.test", KN_ERR_INVAL, "'.'" },
		{ "dot at local end", "a.@b.test", KN_ERR_INVAL, "'@'" },
		{ "double dot domain", "a@b..test", KN_ERR_INVAL,
		    "domain label" },
		{ "dot at domain end", "a@b.test.", KN_ERR_INVAL,
		    "domain label" },
		{ "route without colon", "<@a.test a@b.test>", KN_ERR_INVAL,
		    "4.4" },
		{ "route only", "<@bank.example>", KN_ERR_INVAL, "4.4" },
		{ "unclosed literal", "a@[1.2.3.4", KN_ERR_INVAL,
		    "not closed" },
		{ "bracket in literal", "a@[1[2]", KN_ERR_INVAL,
		    "domain literal" },
		{ "bad UTF-8", "\xff <a@b.test>", KN_ERR_INVAL, "UTF-8" },
		{ "IDN not mapped (fullwidth)",
		    "a@\xef\xbd\x82\xef\xbd\x81\xef\xbd\x8e\xef\xbd\x8b"
		    ".example", KN_ERR_INVAL, "internationalized" },
		{ "IDN disallowed", "a@\xe2\x98\x83.example", KN_ERR_INVAL,
		    "internationalized" },
		{ "colon alone", ": a@b.test;", KN_ERR_INVAL, "':'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_mail_addrs a;
		char *got;
		int rc;

		kn_err_clear();
		rc = kn_mail_addrs_parse(&a, tab[i].in, strlen(tab[i].in));
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (rc == 0) {
			got = addrs_text(&a);
			CHECK_STR(tab[i].name, got, tab[i].want);
			free(got);
		} else {
			CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want);
			CHECK_HAS(tab[i].name, kn_err_get()->msg, "RFC ");
			assert_null(a.v);
			assert_int_equal(a.n, 0);
		}
		kn_mail_addrs_cleanup(&a);
	}
}

static void
test_addrs_caps(void **state)
{
	struct kn_mail_addrs a;
	struct kn_buf b;
	size_t i;

	(void)state;
	kn_buf_init(&b, 1 << 20);
	for (i = 0; i < KN_MAIL_MAX_ADDRS; i++)
		kn_buf_putf(&b, "%sa%zu@b.test", i > 0 ? "," : "", i);
	assert_false(b.failed);
	CHECK_INT("at cap", kn_mail_addrs_parse(&a, b.data, b.len), 0);
	assert_int_equal(a.n, KN_MAIL_MAX_ADDRS);
	kn_mail_addrs_cleanup(&a);
	kn_buf_puts(&b, ",x@b.test");
	CHECK_INT("over cap", kn_mail_addrs_parse(&a, b.data, b.len),
	    KN_ERR_TOOBIG);
	CHECK_HAS("over cap", kn_err_get()->msg, "1000");
	assert_null(a.v);
	kn_buf_cleanup(&b);
}

struct from_row {
	const char	*name;
	const char	*in;		/* the header section */
	const char	*want_domain;	/* NULL: refused */
	const char	*want;		/* local part, or the error */
};

static void
check_from(const struct from_row *tab, size_t n, bool spoof)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct kn_mail_msg *m;
		struct kn_mail_addrs a;
		int rc;

		assert_int_equal(kn_mail_parse(&m, tab[i].in,
		    strlen(tab[i].in), NULL), 0);
		kn_err_clear();
		rc = kn_mail_from(&a, m);
		if (tab[i].want_domain == NULL) {
			CHECK_INT(tab[i].name, rc, KN_ERR_INVAL);
			CHECK_STR(tab[i].name, kn_err_get()->field, "From");
			CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want);
			CHECK_HAS(tab[i].name, kn_err_get()->msg,
			    "RFC 5322 section");
			assert_null(a.v);
		} else {
			CHECK_INT(tab[i].name, rc, 0);
			CHECK_INT(tab[i].name, a.n, 1);
			CHECK_STR(tab[i].name, a.v[0].domain,
			    tab[i].want_domain);
			CHECK_STR(tab[i].name, a.v[0].local, tab[i].want);
		}
		/* A spoofing row never yields the spoofed domain. */
		if (spoof && rc == 0 &&
		    strcmp(a.v[0].domain, "attacker.example") != 0)
			fail_msg("%s: author domain %s", tab[i].name,
			    a.v[0].domain);
		kn_mail_addrs_cleanup(&a);
		kn_mail_free(m);
	}
}

#define L31 "0123456789012345678901234567890"
#define L32 L31 "x"

static void
test_from(void **state)
{
	static const struct from_row tab[] = {
		{ "plain", "From: a@example.jp\r\n\r\n", "example.jp", "a" },
		{ "display", "From: Taro <taro@Example.JP>\r\n\r\n",
		    "example.jp", "taro" },
		{ "folded", "From: Taro\r\n <taro@example.jp>\r\n\r\n",
		    "example.jp", "taro" },
		{ "lower-case name", "from: a@example.jp\r\n\r\n",
		    "example.jp", "a" },
		{ "among others", "Received: x\r\nSubject: \xe4\xba\x9c\r\n"
		    "From: a@example.jp\r\nTo: b@c.test\r\n\r\nbody",
		    "example.jp", "a" },
		{ "LF endings", "To: b@c\nFrom: a@example.jp\n\n", "example.jp",
		    "a" },
		{ "no body", "From: a@example.jp", "example.jp", "a" },
		{ "UTF-8 display", "From: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEk"
		    "TxsoQg==?= <a@example.jp>\r\n\r\n", "example.jp", "a" },
		{ "UTF-8 raw", "From: 山田 <山田@example.jp>\r\n\r\n",
		    "example.jp", "山田" },
		{ "IDN", "From: a@日本語.jp\r\n\r\n", "xn--wgv71a119e.jp",
		    "a" },
		{ "obs-route", "From: <@x.test:a@example.jp>\r\n\r\n",
		    "example.jp", "a" },
		{ "obs empty elements", "From: , a@example.jp ,\r\n\r\n",
		    "example.jp", "a" },
		{ "comments", "From: a(x)@(y)example.jp(z)\r\n\r\n",
		    "example.jp", "a" },
		{ "label of 63", "From: a@b" L31 L31 ".test\r\n\r\n",
		    "b" L31 L31 ".test", "a" },
		{ "single label", "From: root@localhost\r\n\r\n", "localhost",
		    "root" },
		{ "control byte in Subject", "From: a@example.jp\r\n"
		    "Subject: \x1b$B\r\n\r\n", NULL, "control character" },
		/* Refused. */
		{ "no From", "To: a@example.jp\r\n\r\n", NULL, "no From" },
		{ "no header", "\r\nFrom: a@example.jp\r\n", NULL, "no From" },
		{ "empty message", "", NULL, "no From" },
		{ "two From", "From: a@example.jp\r\nFrom: a@example.jp\r\n"
		    "\r\n", NULL, "2 From" },
		{ "three From", "From: a@x.jp\r\nFrom: b@x.jp\r\nfrom: c@x.jp"
		    "\r\n\r\n", NULL, "3 From" },
		{ "empty From", "From:\r\n\r\n", NULL, "empty" },
		{ "blank From", "From: \r\n \r\n", NULL, "white space" },
		{ "blank From 2", "From:   \r\n\r\n", NULL, "empty" },
		{ "two mailboxes", "From: a@x.jp, b@y.jp\r\n\r\n", NULL,
		    "2 mailboxes" },
		{ "group", "From: g: a@x.jp;\r\n\r\n", NULL, "group" },
		{ "empty group", "From: undisclosed:;\r\n\r\n", NULL,
		    "no mailbox" },
		{ "no domain", "From: admin\r\n\r\n", NULL, "no @domain" },
		{ "no domain angle", "From: Admin <admin>\r\n\r\n", NULL,
		    "no @domain" },
		{ "domain literal", "From: a@[192.0.2.1]\r\n\r\n", NULL,
		    "domain literal" },
		{ "not a host name", "From: a@x!y.test\r\n\r\n", NULL,
		    "not a host name" },
		{ "numeric TLD", "From: a@192.0.2.1\r\n\r\n", NULL,
		    "not a host name" },
		{ "hyphen label", "From: a@-x.test\r\n\r\n", NULL,
		    "not a host name" },
		{ "label of 64", "From: a@" L32 L32 ".test\r\n\r\n", NULL,
		    "not a host name" },
		{ "NUL", "From: a@x.jp\r\nX: \x01\r\n\r\n", NULL, "NUL" },
		{ "fullwidth IDN", "From: a@\xef\xbd\x82\xef\xbd\x81\xef\xbd"
		    "\x8e"
		    "\xef\xbd\x8b.example\r\n\r\n", NULL, "internationalized" },
		{ "not UTF-8", "From: \x93\xfa\x96\x7b <a@x.jp>\r\n\r\n", NULL,
		    "UTF-8" },
		{ "name with 8-bit",
		    "From: a@x.jp\r\nFr\xc3\xb6m: b@y.jp\r\n\r\n",
		    NULL, "3.6.8" },
		{ "mbox From_ line", "From a@x.jp Mon Jan  1 00:00:00 2024\r\n"
		    "From: a@x.jp\r\n\r\n", NULL, "no colon" },
	};

	(void)state;
	check_from(tab, NITEMS(tab), false);
}

/*
 * The header-ambiguity attacks of "Composition Kills" (Chen, Paxson and
 * Jiang, USENIX Security 2020, section 5 and its appendix), with
 * bank.example the domain spoofed and attacker.example the one the
 * attacker controls: each gives no author, or the attacker's domain.
 */
static void
test_from_composition_kills(void **state)
{
	static const struct from_row tab[] = {
		/* Multiple From headers. */
		{ "A1 two From", "From: <a@attacker.example>\r\n"
		    "From: <admin@bank.example>\r\n\r\n", NULL, "2 From" },
		{ "A1 two From reversed", "From: <admin@bank.example>\r\n"
		    "From: <a@attacker.example>\r\n\r\n", NULL, "2 From" },
		{ "A1 upper-case second", "From: <a@attacker.example>\r\n"
		    "FROM: <admin@bank.example>\r\n\r\n", NULL, "2 From" },
		{ "A1 space before colon", "From : <admin@bank.example>\r\n"
		    "From: <a@attacker.example>\r\n\r\n", NULL, "2 From" },
		{ "A1 tab before colon", "From: <a@attacker.example>\r\n"
		    "From\t: <admin@bank.example>\r\n\r\n", NULL, "2 From" },
		{ "A1 lone space before colon", "From : <admin@bank.example>"
		    "\r\n\r\n", NULL, "4.5.1" },
		{ "A1 empty first From", "From:\r\nFrom: <admin@bank.example>"
		    "\r\n\r\n", NULL, "2 From" },
		/* Leading white space and folding. */
		{ "A2 leading space", " From: <admin@bank.example>\r\n"
		    "From: <a@attacker.example>\r\n\r\n", NULL, "white space" },
		{ "A2 folded second From", "From: <a@attacker.example>\r\n"
		    " From: <admin@bank.example>\r\n\r\n", NULL, "3.4" },
		{ "A2 WSP-only line", "From: <a@attacker.example>\r\n \r\n"
		    "From: <admin@bank.example>\r\n\r\n", NULL, "4.2" },
		{ "A2 WSP-only line single", "From: <a@attacker.example>\r\n"
		    " \r\nX: <admin@bank.example>\r\n\r\n", NULL, "4.2" },
		/* Line endings other readers split differently. */
		{ "A3 bare CR", "X: y\rFrom: <admin@bank.example>\r\n"
		    "From: <a@attacker.example>\r\n\r\n", NULL, "bare CR" },
		{ "A3 bare LF", "From: <a@attacker.example>\r\nX: y\n"
		    "From: <admin@bank.example>\r\n\r\n", NULL, "2 From" },
		{ "A3 control in name", "Fr\x01om: <admin@bank.example>\r\n"
		    "From: <a@attacker.example>\r\n\r\n", NULL,
		    "control character" },
		{ "A3 line without colon", "From: <a@attacker.example>\r\n"
		    "garbage\r\nFrom: <admin@bank.example>\r\n\r\n", NULL,
		    "no colon" },
		/* Several addresses. */
		{ "A4 two mailboxes", "From: <a@attacker.example>, "
		    "<admin@bank.example>\r\n\r\n", NULL, "2 mailboxes" },
		{ "A4 two angle-addrs", "From: <a@attacker.example> "
		    "<admin@bank.example>\r\n\r\n", NULL, "'<'" },
		{ "A4 two angle-addrs glued", "From: <a@attacker.example>"
		    "<admin@bank.example>\r\n\r\n", NULL, "'<'" },
		{ "A4 group", "From: bank: <admin@bank.example>, "
		    "<a@attacker.example>;\r\n\r\n", NULL, "group" },
		{ "A4 semicolon", "From: <a@attacker.example>;"
		    "<admin@bank.example>\r\n\r\n", NULL, "';'" },
		/* Display names that look like addresses. */
		{ "A5 quoted display", "From: \"admin@bank.example\" "
		    "<a@attacker.example>\r\n\r\n", "attacker.example", "a" },
		{ "A5 quoted display angle", "From: \"<admin@bank.example>\" "
		    "<a@attacker.example>\r\n\r\n", "attacker.example", "a" },
		{ "A5 unquoted display", "From: admin@bank.example "
		    "<a@attacker.example>\r\n\r\n", NULL, "'<'" },
		{ "A5 encoded display", "From: =?utf-8?b?YWRtaW5AYmFuay5leGFt"
		    "cGxl?= <a@attacker.example>\r\n\r\n", "attacker.example",
		    "a" },
		{ "A5 encoded display glued", "From: =?utf-8?b?PGFkbWluQGJhbmsu"
		    "ZXhhbXBsZT4=?=<a@attacker.example>\r\n\r\n",
		    "attacker.example", "a" },
		{ "A5 encoded address alone", "From: =?utf-8?b?PGFkbWluQGJhbmsu"
		    "ZXhhbXBsZT4=?=\r\n\r\n", NULL, "no @domain" },
		{ "A5 encoded local part", "From: =?utf-8?b?YWRtaW5AYmFuay5leG"
		    "FtcGxl?=@attacker.example\r\n\r\n", "attacker.example",
		    "=?utf-8?b?YWRtaW5AYmFuay5leGFtcGxl?=" },
		{ "A5 encoded domain", "From: admin@=?utf-8?q?bank.example?="
		    "\r\n\r\n", NULL, "not a host name" },
		/* Comments. */
		{ "A6 comment address", "From: a@attacker.example "
		    "(admin@bank.example)\r\n\r\n", "attacker.example", "a" },
		{ "A6 comment angle", "From: <a@attacker.example>"
		    "(<admin@bank.example>)\r\n\r\n", "attacker.example", "a" },
		{ "A6 comment first", "From: (admin@bank.example) "
		    "a@attacker.example\r\n\r\n", "attacker.example", "a" },
		{ "A6 comment in domain", "From: a@(bank.example)"
		    "attacker.example\r\n\r\n", "attacker.example", "a" },
		{ "A6 unclosed comment", "From: a@attacker.example "
		    "(<admin@bank.example>\r\n\r\n", NULL, "comment" },
		{ "A6 escaped paren", "From: a@attacker.example (x\\) "
		    "admin@bank.example\r\n\r\n", NULL, "comment" },
		/* Quoted local parts and routes. */
		{ "A7 quoted local", "From: \"admin@bank.example\"@"
		    "attacker.example\r\n\r\n", "attacker.example",
		    "admin@bank.example" },
		{ "A7 quoted local angle", "From: <\"admin@bank.example\"@"
		    "attacker.example>\r\n\r\n", "attacker.example",
		    "admin@bank.example" },
		{ "A7 percent hack", "From: admin%bank.example@attacker.example"
		    "\r\n\r\n", "attacker.example", "admin%bank.example" },
		{ "A7 route",
		    "From: <@bank.example:a@attacker.example>\r\n\r\n",
		    "attacker.example", "a" },
		{ "A7 route list", "From: <@bank.example,@bank.example:"
		    "a@attacker.example>\r\n\r\n", "attacker.example", "a" },
		{ "A7 route only", "From: <@bank.example>\r\n\r\n", NULL,
		    "4.4" },
		/* Trailing garbage. */
		{ "A8 two @", "From: admin@bank.example@attacker.example\r\n"
		    "\r\n", NULL, "'@'" },
		{ "A8 angle then @", "From: <admin@bank.example>@"
		    "attacker.example\r\n\r\n", NULL, "'@'" },
		{ "A8 backslash", "From: admin@bank.example\\@attacker.example"
		    "\r\n\r\n", NULL, "3.2.3" },
		{ "A8 NUL", "From: admin@bank.example\x01@attacker.example\r\n"
		    "\r\n", NULL, "control character" },
		{ "A8 word after", "From: <a@attacker.example> "
		    "admin@bank.example\r\n\r\n", NULL, "a word" },
		{ "A8 unclosed quote", "From: \"a <admin@bank.example>\r\n"
		    "\r\n", NULL, "quoted string" },
		/* Look-alike domains are taken for what they are. */
		{ "A9 fullwidth", "From: admin@\xef\xbd\x82\xef\xbd\x81\xef\xbd"
		    "\x8e\xef\xbd\x8b.example\r\n\r\n", NULL,
		    "internationalized" },
		{ "A9 literal", "From: admin@[192.0.2.1]\r\n\r\n", NULL,
		    "domain literal" },
	};

	(void)state;
	check_from(tab, NITEMS(tab), true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_nul),
		cmocka_unit_test(test_parse_raw_exact),
		cmocka_unit_test(test_parse_caps),
		cmocka_unit_test(test_find_count),
		cmocka_unit_test(test_unfold),
		cmocka_unit_test(test_decode_words),
		cmocka_unit_test(test_addrs_parse),
		cmocka_unit_test(test_addrs_caps),
		cmocka_unit_test(test_from),
		cmocka_unit_test(test_from_composition_kills),
		cmocka_unit_test(test_from_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
