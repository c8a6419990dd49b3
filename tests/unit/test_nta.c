/* test_nta.c - the National Tax Agency CSV record splitter and checker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "registry/nta.h"
#include "testutil.h"

/* A valid record, field by field (values, not CSV text). */
static const char *const good[KN_NTA_FIELDS] = {
	"1", "1010405009403", "01", "0", "2015-10-05", "2015-10-05",
	"一般財団法人日本情報経済社会推進協会", "", "401", "東京都", "港区",
	"六本木一丁目９番９号", "", "13", "103", "1066117", "", "", "", "",
	"", "", "2015-10-05", "1", "JIPDEC", "Tokyo", "Minato ku", "",
	"ニホンジョウホウケイザイシャカイスイシンキョウカイ", "0",
};

/*
 * Writes a record as the agency does (numbers bare, text quoted), with
 * field col replaced by the CSV text raw (col < 0: none), and the line
 * end eol.  A column of KN_NTA_FIELDS appends raw as an extra field; a
 * raw of NULL with col >= 0 drops the last field.
 */
static void
record(struct kn_buf *b, int col, const char *raw, const char *eol)
{
	int i, n = KN_NTA_FIELDS;

	if (col >= 0 && col < KN_NTA_FIELDS && raw == NULL)
		n--;
	for (i = 0; i < n; i++) {
		if (i > 0)
			kn_buf_puts(b, ",");
		if (i == col && raw != NULL)
			kn_buf_puts(b, raw);
		else if (i <= KN_NTA_NUMBER)
			kn_buf_puts(b, good[i]);
		else
			kn_buf_putf(b, "\"%s\"", good[i]);
	}
	if (col == KN_NTA_FIELDS)
		kn_buf_putf(b, ",%s", raw);
	kn_buf_puts(b, eol);
}

static char *
repeat(char c, size_t n, bool quoted)
{
	char *s = malloc(n + 3);
	size_t o = 0;

	assert_non_null(s);
	if (quoted)
		s[o++] = '"';
	memset(s + o, c, n);
	o += n;
	if (quoted)
		s[o++] = '"';
	s[o] = '\0';
	return s;
}

static void
test_parse(void **state)
{
	char *f1000 = repeat('x', 1000, false);
	char *f1001 = repeat('x', 1001, false);
	char *q1000 = repeat('x', 1000, true);
	char *q1001 = repeat('y', 1001, true);
	char *q1001a = repeat('"', 2002, true);	/* 1001 escaped quotes */
	const struct {
		const char	*name;
		int		 col;
		const char	*raw;
		const char	*eol;
		int		 want_rc;
		const char	*want;		/* value of col when OK */
		const char	*want_msg;	/* error detail part */
	} tab[] = {
		{ "as published", -1, NULL, "\n", 0, NULL, NULL },
		{ "CRLF", -1, NULL, "\r\n", 0, NULL, NULL },
		{ "last record without line end", -1, NULL, "", 0, NULL,
		    NULL },
		{ "doubled quote", 6, "\"A\"\"B\"", "\n", 0, "A\"B", NULL },
		{ "only a doubled quote", 6, "\"\"\"\"", "\n", 0, "\"", NULL },
		{ "doubled quote at ends", 6, "\"\"\"x\"\"\"", "\n", 0,
		    "\"x\"", NULL },
		{ "comma in quotes", 6, "\"a,b,c\"", "\n", 0, "a,b,c", NULL },
		{ "LF in quotes", 21, "\"a\nb\"", "\n", 0, "a\nb", NULL },
		{ "CRLF in quotes", 21, "\"a\r\nb\"", "\r\n", 0, "a\r\nb",
		    NULL },
		{ "empty quoted", 7, "\"\"", "\n", 0, "", NULL },
		{ "unquoted text", 6, "abc", "\n", 0, "abc", NULL },
		{ "empty unquoted", 7, "", "\n", 0, "", NULL },
		{ "unquoted 1000 bytes", 24, f1000, "\n", 0, f1000, NULL },
		{ "quoted 1000 bytes", 24, q1000, "\n", 0, f1000, NULL },
		{ "bare CR inside field", 6, "a\rb", "\n", KN_ERR_INVAL, NULL,
		    "carriage return" },
		{ "bare CR after quotes", 6, "\"a\"\rb", "\n", KN_ERR_INVAL,
		    NULL, "carriage return" },
		{ "text after closing quote", 6, "\"ab\"c", "\n",
		    KN_ERR_INVAL, NULL, "after the closing quote of field 7" },
		{ "space after closing quote", 6, "\"ab\" ", "\n",
		    KN_ERR_INVAL, NULL, "after the closing quote" },
		{ "quote inside unquoted", 6, "ab\"c\"", "\n", KN_ERR_INVAL,
		    NULL, "quote inside unquoted field 7" },
		{ "quote starting late", 6, " \"ab\"", "\n", KN_ERR_INVAL,
		    NULL, "quote inside unquoted" },
		{ "29 fields", 29, NULL, "\n", KN_ERR_INVAL, NULL,
		    "29 fields" },
		{ "31 fields", KN_NTA_FIELDS, "\"x\"", "\n", KN_ERR_INVAL,
		    NULL, "more than 30" },
		{ "31st field empty", KN_NTA_FIELDS, "", "\n", KN_ERR_INVAL,
		    NULL, "more than 30" },
		{ "unquoted 1001 bytes", 24, f1001, "\n", KN_ERR_TOOBIG, NULL,
		    "too long" },
		{ "quoted 1001 bytes", 24, q1001, "\n", KN_ERR_TOOBIG, NULL,
		    "too long" },
		{ "1001 escaped quotes", 24, q1001a, "\n", KN_ERR_TOOBIG,
		    NULL, "too long" },
	};
	struct kn_nta_row *row = malloc(sizeof(*row));
	size_t i;

	(void)state;
	assert_non_null(row);
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_buf b;
		size_t first, consumed = 0, used = 0;
		int rc;

		kn_buf_init(&b, 1 << 20);
		record(&b, tab[i].col, tab[i].raw, tab[i].eol);
		first = b.len;
		/* A good record follows, unless the first has no line end. */
		if (tab[i].eol[0] != '\0')
			record(&b, -1, NULL, "\n");
		assert_false(b.failed);

		kn_err_clear();
		rc = kn_nta_parse_row(row, b.data, b.len, &consumed);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		/* Always the whole record and its line end, no more. */
		CHECK_INT(tab[i].name, consumed, first);
		if (rc == 0) {
			CHECK_INT(tab[i].name, row->nfields, KN_NTA_FIELDS);
			CHECK_INT(tab[i].name, kn_nta_check_row(row), 0);
			CHECK_INT(tab[i].name, row->f[KN_NTA_HIHYOJI].len, 1);
			CHECK_INT(tab[i].name, row->f[KN_NTA_HIHYOJI].ptr[0],
			    '0');
			if (tab[i].want != NULL) {
				struct kn_slice s = row->f[tab[i].col];

				CHECK_INT(tab[i].name, s.len,
				    strlen(tab[i].want));
				CHECK_INT(tab[i].name, memcmp(s.ptr,
				    tab[i].want, s.len), 0);
			}
		} else {
			CHECK_STR(tab[i].name, kn_err_get()->field, "csv");
			CHECK_HAS(tab[i].name, kn_err_get()->msg,
			    tab[i].want_msg);
		}
		/* The next record parses from where this one stopped. */
		if (first < b.len) {
			rc = kn_nta_parse_row(row, b.data + consumed,
			    b.len - consumed, &used);
			CHECK_INT(tab[i].name, rc, 0);
			CHECK_INT(tab[i].name, consumed + used, b.len);
		}
		kn_buf_cleanup(&b);
	}
	free(row);
	free(f1000);
	free(f1001);
	free(q1000);
	free(q1001);
	free(q1001a);
}

/* A record whose fields are each allowed but whose sum is too long. */
static void
test_parse_record_cap(void **state)
{
	struct kn_nta_row *row = malloc(sizeof(*row));
	struct kn_buf b;
	size_t consumed = 0, first;
	char *wide = repeat('w', 600, false);
	int i;

	(void)state;
	assert_non_null(row);
	kn_buf_init(&b, 1 << 20);
	for (i = 0; i < KN_NTA_FIELDS; i++)
		kn_buf_putf(&b, "%s%s", i ? "," : "", wide);
	kn_buf_puts(&b, "\n");
	first = b.len;
	assert_true(first > KN_NTA_MAX_ROW);
	record(&b, -1, NULL, "\n");
	assert_int_equal(kn_nta_parse_row(row, b.data, b.len, &consumed),
	    KN_ERR_TOOBIG);
	assert_int_equal(consumed, first);

	/* The same with quoted fields, which go through the scratch copy. */
	kn_buf_reset(&b);
	for (i = 0; i < KN_NTA_FIELDS; i++)
		kn_buf_putf(&b, "%s\"%s\"", i ? "," : "", wide);
	kn_buf_puts(&b, "\n");
	first = b.len;
	record(&b, -1, NULL, "\n");
	assert_int_equal(kn_nta_parse_row(row, b.data, b.len, &consumed),
	    KN_ERR_TOOBIG);
	assert_int_equal(consumed, first);
	kn_buf_cleanup(&b);
	free(wide);
	free(row);
}

/* An unclosed quote swallows the rest of the data (RFC 4180 allows line
 * breaks inside quotes, so no later line end can close the record). */
static void
test_parse_unclosed(void **state)
{
	struct kn_nta_row *row = malloc(sizeof(*row));
	struct kn_buf b;
	size_t consumed = 0;

	(void)state;
	assert_non_null(row);
	kn_buf_init(&b, 1 << 20);
	/* The quote opens the last field; nothing after it closes it. */
	record(&b, 29, "\"0", "\n");
	kn_buf_puts(&b, "2,7000012050002,01,0,2015-10-05\n");
	assert_int_equal(kn_nta_parse_row(row, b.data, b.len, &consumed),
	    KN_ERR_INVAL);
	assert_int_equal(consumed, b.len);
	CHECK_HAS("unclosed", kn_err_get()->msg, "field 30 is not closed");

	kn_buf_reset(&b);
	kn_buf_puts(&b, "\"");
	assert_int_equal(kn_nta_parse_row(row, b.data, b.len, &consumed),
	    KN_ERR_INVAL);
	assert_int_equal(consumed, 1);
	kn_buf_cleanup(&b);
	free(row);
}

/*
 * Walking a file of good and bad lines: every call consumes something, the
 * walk ends exactly at the end, and every good record after a bad one is
 * found intact.
 */
static void
test_parse_stream(void **state)
{
	static const char *const bad[] = {
		"a,b\rc\n",
		"\"x\"y,z\n",
		"ab\"c\n",
		"only,three,fields\n",
		"\n",
		"\r\n",
		",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n",
		"\"quoted\nacross\"\"lines\",2\n",
	};
	struct kn_nta_row *row = malloc(sizeof(*row));
	struct kn_buf b;
	size_t i, pos = 0, calls = 0, ok = 0;

	(void)state;
	assert_non_null(row);
	kn_buf_init(&b, 1 << 20);
	for (i = 0; i < NITEMS(bad); i++) {
		kn_buf_puts(&b, bad[i]);
		record(&b, -1, NULL, i % 2 ? "\r\n" : "\n");
	}
	assert_false(b.failed);
	while (pos < b.len) {
		size_t used = 0;

		if (kn_nta_parse_row(row, b.data + pos, b.len - pos,
		    &used) == 0) {
			ok++;
			CHECK_INT("good record", kn_nta_check_row(row), 0);
		}
		if (used == 0 || used > b.len - pos)
			fail_msg("call %zu consumed %zu of %zu", calls, used,
			    b.len - pos);
		pos += used;
		calls++;
	}
	assert_int_equal(pos, b.len);
	assert_int_equal(ok, NITEMS(bad));
	assert_int_equal(calls, 2 * NITEMS(bad));
	kn_buf_cleanup(&b);
	free(row);
}

/* Puts the good record in row with field col set to value. */
static void
fill_row(struct kn_nta_row *row, int col, const char *value)
{
	int i;

	for (i = 0; i < KN_NTA_FIELDS; i++) {
		const char *v = i == col ? value : good[i];

		row->f[i].ptr = v;
		row->f[i].len = strlen(v);
	}
	row->nfields = KN_NTA_FIELDS;
}

static void
test_check_row(void **state)
{
	static char name150[150 * 3 + 1], name151[151 * 3 + 1];
	const struct {
		const char	*name;
		int		 col;
		const char	*value;
		const char	*want_field;	/* NULL: accepted */
	} tab[] = {
		{ "good", -1, NULL, NULL },
		{ "seq empty", KN_NTA_SEQ, "", "sequenceNumber" },
		{ "seq letter", KN_NTA_SEQ, "1a", "sequenceNumber" },
		{ "seq 18 digits", KN_NTA_SEQ, "999999999999999999", NULL },
		{ "seq 19 digits", KN_NTA_SEQ, "9999999999999999999",
		    "sequenceNumber" },
		{ "seq negative", KN_NTA_SEQ, "-1", "sequenceNumber" },
		{ "number check digit", KN_NTA_NUMBER, "2010405009403",
		    "corporateNumber" },
		{ "number short", KN_NTA_NUMBER, "101040500940",
		    "corporateNumber" },
		{ "number empty", KN_NTA_NUMBER, "", "corporateNumber" },
		{ "process 12", KN_NTA_PROCESS, "12", NULL },
		{ "process 99", KN_NTA_PROCESS, "99", NULL },
		{ "process 02", KN_NTA_PROCESS, "02", "process" },
		{ "process 1", KN_NTA_PROCESS, "1", "process" },
		{ "process empty", KN_NTA_PROCESS, "", "process" },
		{ "correct 1", KN_NTA_CORRECT, "1", NULL },
		{ "correct 2", KN_NTA_CORRECT, "2", "correct" },
		{ "correct empty", KN_NTA_CORRECT, "", "correct" },
		{ "update empty", KN_NTA_UPDATE, "", "updateDate" },
		{ "update Feb 30", KN_NTA_UPDATE, "2015-02-30", "updateDate" },
		{ "update slashes", KN_NTA_UPDATE, "2015/10/05", "updateDate" },
		{ "change empty", KN_NTA_CHANGE, "", NULL },
		{ "change leap day", KN_NTA_CHANGE, "2016-02-29", NULL },
		{ "change bad", KN_NTA_CHANGE, "2015-13-01", "changeDate" },
		{ "name empty", KN_NTA_NAME, "", "name" },
		{ "name 150", KN_NTA_NAME, name150, NULL },
		{ "name 151", KN_NTA_NAME, name151, "name" },
		{ "name control", KN_NTA_NAME, "株式会社\x01", "name" },
		{ "name newline", KN_NTA_NAME, "株式\n会社", "name" },
		{ "name DEL", KN_NTA_NAME, "abc\x7f", "name" },
		{ "name bad UTF-8", KN_NTA_NAME, "\xe6\x97", "name" },
		{ "name overlong", KN_NTA_NAME, "\xc0\xae", "name" },
		{ "kind 101", KN_NTA_KIND, "101", NULL },
		{ "kind 499", KN_NTA_KIND, "499", NULL },
		{ "kind 999", KN_NTA_KIND, "999", "kind" },
		{ "kind empty", KN_NTA_KIND, "", "kind" },
		{ "pref code empty", KN_NTA_PREF_CODE, "", NULL },
		{ "pref code 1", KN_NTA_PREF_CODE, "1", "prefectureCode" },
		{ "pref code x", KN_NTA_PREF_CODE, "1x", "prefectureCode" },
		{ "city code 12", KN_NTA_CITY_CODE, "12", "cityCode" },
		{ "city code empty", KN_NTA_CITY_CODE, "", NULL },
		{ "post empty", KN_NTA_POST, "", NULL },
		{ "post 6 digits", KN_NTA_POST, "106611", "postCode" },
		{ "post hyphen", KN_NTA_POST, "106-6117", "postCode" },
		{ "close date", KN_NTA_CLOSE_DATE, "2020-03-31", NULL },
		{ "close date bad", KN_NTA_CLOSE_DATE, "2020-03-32",
		    "closeDate" },
		{ "close cause 31", KN_NTA_CLOSE_CAUSE, "31", NULL },
		{ "close cause 02", KN_NTA_CLOSE_CAUSE, "02", "closeCause" },
		{ "successor valid", KN_NTA_SUCCESSOR, "7000012050002", NULL },
		{ "successor bad", KN_NTA_SUCCESSOR, "7000012050003",
		    "successorCorporateNumber" },
		{ "change cause multiline", KN_NTA_CHANGE_CAUSE,
		    "合併\r\n\t移転", NULL },
		{ "change cause control", KN_NTA_CHANGE_CAUSE, "a\x02",
		    "changeCause" },
		{ "assigned bad", KN_NTA_ASSIGNED, "2015-10-5",
		    "assignmentDate" },
		{ "latest 0", KN_NTA_LATEST, "0", NULL },
		{ "latest 2", KN_NTA_LATEST, "2", "latest" },
		{ "latest empty", KN_NTA_LATEST, "", "latest" },
		{ "en name tab", KN_NTA_EN_NAME, "a\tb", "enName" },
		{ "furigana bad UTF-8", KN_NTA_FURIGANA, "\xff",
		    "furigana" },
		{ "hihyoji 1", KN_NTA_HIHYOJI, "1", NULL },
		{ "hihyoji empty", KN_NTA_HIHYOJI, "", "hihyoji" },
		{ "image id free text", 7, "12345", NULL },
	};
	struct kn_nta_row *row = malloc(sizeof(*row));
	size_t k;

	(void)state;
	assert_non_null(row);
	for (k = 0; k < 151; k++) {
		if (k < 150)
			memcpy(name150 + 3 * k, "法", 3);
		memcpy(name151 + 3 * k, "人", 3);
	}
	for (k = 0; k < NITEMS(tab); k++) {
		int rc;

		fill_row(row, tab[k].col, tab[k].value);
		kn_err_clear();
		rc = kn_nta_check_row(row);
		CHECK_INT(tab[k].name, rc, tab[k].want_field ? KN_ERR_INVAL :
		    0);
		if (tab[k].want_field != NULL) {
			char col[32];

			CHECK_STR(tab[k].name, kn_err_get()->field,
			    tab[k].want_field);
			/* The message names the 1-based column. */
			snprintf(col, sizeof(col), "column %d", tab[k].col +
			    1);
			CHECK_HAS(tab[k].name, kn_err_get()->msg, col);
		}
	}
	free(row);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_record_cap),
		cmocka_unit_test(test_parse_unclosed),
		cmocka_unit_test(test_parse_stream),
		cmocka_unit_test(test_check_row),
	};

	return cmocka_run_group_tests_name("nta", tests, NULL, NULL);
}
