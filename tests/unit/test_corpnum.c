/* test_corpnum.c - corporate numbers and their check digit. */
#include <stdio.h>
#include <string.h>

#include "registry/corpnum.h"
#include "testutil.h"

/*
 * Valid numbers: published numbers of real bodies (JIPDEC, the National
 * Tax Agency, Toyota, Sony Group) and the bounds of the range.
 */
static void
test_parse_valid(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 want;
		int		 want_check;
	} tab[] = {
		{ "1010405009403", 1010405009403LL, 1 },	/* JIPDEC */
		{ "7000012050002", 7000012050002LL, 7 },	/* NTA */
		{ "1180301018771", 1180301018771LL, 1 },	/* Toyota */
		{ "5010401067252", 5010401067252LL, 5 },	/* Sony Group */
		{ "2000012010019", 2000012010019LL, 2 },
		{ "4011001099001", 4011001099001LL, 4 },
		{ "9000020011002", 9000020011002LL, 9 },
		{ "9000000000000", 9000000000000LL, 9 },	/* base 0 */
		{ "9999999999999", 9999999999999LL, 9 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		int64_t v = -1;
		char out[KN_CORPNUM_LEN + 1];

		CHECK_INT(tab[i].in, kn_corpnum_check_digit(tab[i].in + 1),
		    tab[i].want_check);
		CHECK_INT(tab[i].in, kn_corpnum_parse(&v, tab[i].in,
		    strlen(tab[i].in)), 0);
		CHECK_INT(tab[i].in, v, tab[i].want);
		kn_corpnum_format(out, v);
		CHECK_STR(tab[i].in, out, tab[i].in);
	}
}

static void
test_parse_invalid(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		int		 want_check;	/* 0: not a check-digit case */
		const char	*want_msg;
	} tab[] = {
		{ "check off by one", "2010405009403", 1, "must be 1" },
		{ "last digit changed", "1010405009404", 9, "must be 9" },
		{ "sequence", "1234567890123", 9, "must be 9" },
		{ "one digit changed", "5010401067253", 4, "must be 4" },
		{ "leading zero", "0010405009403", 1, "must be 1" },
		{ "all zeros", "0000000000000", 9, "must be 9" },
		{ "12 digits", "101040500940", 0, "has 12 characters" },
		{ "14 digits", "10104050094030", 0, "has 14 characters" },
		{ "empty", "", 0, "has 0 characters" },
		{ "letter", "101040500940a", 0, "character 13" },
		{ "leading space", " 010405009403", 0, "character 1" },
		{ "sign", "+010405009403", 0, "character 1" },
		{ "hyphen", "1010-40500940", 0, "character 5" },
		{ "fullwidth", "１０１０４０５", 0, "has 21 characters" },
		{ "NUL inside", "101040\0009403", 0, "character 7" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		int64_t v = -1;
		size_t len = strlen(tab[i].in);
		int rc;

		if (strcmp(tab[i].name, "NUL inside") == 0)
			len = 13;
		kn_err_clear();
		rc = kn_corpnum_parse(&v, tab[i].in, len);
		CHECK_INT(tab[i].name, rc, KN_ERR_INVAL);
		CHECK_INT(tab[i].name, v, -1);
		CHECK_STR(tab[i].name, kn_err_get()->field, "number");
		CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want_msg);
		if (tab[i].want_check != 0)
			CHECK_INT(tab[i].name,
			    kn_corpnum_check_digit(tab[i].in + 1),
			    tab[i].want_check);
	}
}

/* The parser reads exactly len bytes: a slice inside a longer line. */
static void
test_parse_slice(void **state)
{
	const char *line = "1010405009403,\"株式会社\"";
	int64_t v = 0;

	(void)state;
	assert_int_equal(kn_corpnum_parse(&v, line, 13), 0);
	assert_int_equal(v, 1010405009403LL);
	assert_int_equal(kn_corpnum_parse(&v, line, 14), KN_ERR_INVAL);
}

/*
 * Every single-digit error is caught, except the one the rule cannot see:
 * with weights 1 and 2 modulo 9, a base digit 0 written as 9 (or 9 as 0)
 * leaves the sum unchanged.
 */
static void
test_single_digit_errors(void **state)
{
	const char *good = "1010405009403";
	char bad[KN_CORPNUM_LEN + 1], row[64];
	int pos, d;
	int64_t v;

	(void)state;
	for (pos = 0; pos < KN_CORPNUM_LEN; pos++) {
		for (d = 0; d <= 9; d++) {
			char o = good[pos];
			bool blind;

			if (o == '0' + d)
				continue;
			memcpy(bad, good, sizeof(bad));
			bad[pos] = (char)('0' + d);
			blind = pos > 0 && ((o == '0' && d == 9) ||
			    (o == '9' && d == 0));
			snprintf(row, sizeof(row), "%s", bad);
			CHECK_INT(row, kn_corpnum_parse(&v, bad,
			    KN_CORPNUM_LEN), blind ? 0 : KN_ERR_INVAL);
		}
	}
}

static void
test_format(void **state)
{
	static const struct {
		int64_t		 in;
		const char	*want;
	} tab[] = {
		{ 1010405009403LL, "1010405009403" },
		{ 123, "0000000000123" },
		{ 0, "0000000000000" },
	};
	char out[KN_CORPNUM_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		kn_corpnum_format(out, tab[i].in);
		CHECK_STR(tab[i].want, out, tab[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_slice),
		cmocka_unit_test(test_single_digit_errors),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests_name("corpnum", tests, NULL, NULL);
}
