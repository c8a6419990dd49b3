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
		const char	*want_raw0;	/* raw of the first field */
		const char	*want_value0;	/* value of the first field */
		unsigned	 want_hdef0;	/* defects of the first field */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
