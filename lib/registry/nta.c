/* nta.c - corporate-number CSV records: splitting and checking. */
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "registry/corpnum.h"
#include "registry/nta.h"

/* Skips to just past the next line end at or after i. */
static size_t
next_line(const char *p, size_t n, size_t i)
{
	const char *nl = memchr(p + i, '\n', n - i);

	return nl ? (size_t)(nl - p) + 1 : n;
}

int
kn_nta_parse_row(struct kn_nta_row *row, const char *p, size_t n,
    size_t *consumed)
{
	size_t i = 0, out = 0, k = 0;
	int rc;

	row->nfields = 0;
	for (;;) {
		struct kn_slice *f;

		if (k == KN_NTA_FIELDS) {
			rc = kn_err_set(KN_ERR_INVAL, "csv", "more than %d "
			    "fields in the record", KN_NTA_FIELDS);
			goto bad;
		}
		f = &row->f[k++];
		if (i < n && p[i] == '"') {
			/* RFC 4180 section 2 rule 7: "" is one quote. */
			size_t start = out;

			i++;
			for (;;) {
				if (i >= n) {
					rc = kn_err_set(KN_ERR_INVAL, "csv",
					    "quoted field %zu is not closed "
					    "(RFC 4180 section 2)", k);
					goto bad;
				}
				if (p[i] == '"') {
					if (i + 1 < n && p[i + 1] == '"') {
						i += 2;
						if (out == sizeof(row->scratch))
							goto toobig;
						row->scratch[out++] = '"';
						continue;
					}
					i++;
					break;
				}
				if (out == sizeof(row->scratch))
					goto toobig;
				row->scratch[out++] = p[i++];
			}
			f->ptr = row->scratch + start;
			f->len = out - start;
			if (i < n && p[i] != ',' && p[i] != '\n' &&
			    p[i] != '\r') {
				rc = kn_err_set(KN_ERR_INVAL, "csv", "text after "
				    "the closing quote of field %zu (RFC 4180 "
				    "section 2)", k);
				goto bad;
			}
		} else {
			size_t start = i;

			while (i < n && p[i] != ',' && p[i] != '\n' &&
			    p[i] != '\r') {
				if (p[i] == '"') {
					rc = kn_err_set(KN_ERR_INVAL, "csv",
					    "a quote inside unquoted field %zu "
					    "(RFC 4180 section 2)", k);
					goto bad;
				}
				i++;
			}
			f->ptr = p + start;
			f->len = i - start;
		}
		if (f->len > KN_NTA_MAX_FIELD)
			goto toobig;
		if (i > KN_NTA_MAX_ROW)
			goto toobig;
		if (i < n && p[i] == ',') {
			i++;
			continue;
		}
		/* End of record: CRLF, LF, or end of data. */
		if (i < n && p[i] == '\r') {
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
			else {
				rc = kn_err_set(KN_ERR_INVAL, "csv", "a bare "
				    "carriage return ends field %zu", k);
				goto bad;
			}
		}
		if (i < n)
			i++;
		break;
	}
	row->nfields = k;
	*consumed = i;
	if (k != KN_NTA_FIELDS)
		return kn_err_set(KN_ERR_INVAL, "csv", "%zu fields; the "
		    "corporate-number layout has %d", k, KN_NTA_FIELDS);
	return 0;
toobig:
	rc = kn_err_set(KN_ERR_TOOBIG, "csv", "record or field too long "
	    "(fields up to %d bytes, records up to %d)", KN_NTA_MAX_FIELD,
	    KN_NTA_MAX_ROW);
bad:
	*consumed = next_line(p, n, i < n ? i : n);
	if (*consumed == 0)
		*consumed = n;
	return rc;
}

static bool
digits(struct kn_slice s, size_t len)
{
	size_t i;

	if (s.len != len)
		return false;
	for (i = 0; i < len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
	}
	return true;
}

static bool
one_of(struct kn_slice s, const char *const *set)
{
	for (; *set != NULL; set++) {
		if (s.len == strlen(*set) && memcmp(s.ptr, *set, s.len) == 0)
			return true;
	}
	return false;
}

static bool
date_or_empty(struct kn_slice s, bool required)
{
	char d[11];

	if (s.len == 0)
		return !required;
	if (s.len != 10)
		return false;
	memcpy(d, s.ptr, 10);
	d[10] = '\0';
	return kn_valid_date(d);
}

static const char *const processes[] = { "01", "11", "12", "13", "21",
    "22", "71", "72", "81", "99", NULL };
static const char *const kinds[] = { "101", "201", "301", "302", "303",
    "304", "305", "399", "401", "499", NULL };
static const char *const causes[] = { "01", "11", "21", "31", NULL };
static const char *const flags[] = { "0", "1", NULL };

static const char *const names[KN_NTA_FIELDS] = {
	"sequenceNumber", "corporateNumber", "process", "correct",
	"updateDate", "changeDate", "name", "nameImageId", "kind",
	"prefectureName", "cityName", "streetNumber", "addressImageId",
	"prefectureCode", "cityCode", "postCode", "addressOutside",
	"addressOutsideImageId", "closeDate", "closeCause",
	"successorCorporateNumber", "changeCause", "assignmentDate", "latest",
	"enName", "enPrefectureName", "enCityName", "enAddressOutside",
	"furigana", "hihyoji",
};

static int
bad_field(int i, const char *why)
{
	return kn_err_set(KN_ERR_INVAL, names[i], "column %d (%s): %s",
	    i + 1, names[i], why);
}

int
kn_nta_check_row(const struct kn_nta_row *r)
{
	const struct kn_slice *f = r->f;
	int64_t num;
	size_t i, j;

	for (i = 0; i < KN_NTA_FIELDS; i++) {
		if (!kn_valid_utf8(f[i].ptr, f[i].len))
			return bad_field((int)i, "not valid UTF-8");
		for (j = 0; j < f[i].len; j++) {
			unsigned char c = (unsigned char)f[i].ptr[j];

			if ((c < 0x20 || c == 0x7f) && !(i ==
			    KN_NTA_CHANGE_CAUSE && (c == '\n' || c == '\r' ||
			    c == '\t')))
				return bad_field((int)i, "control character");
		}
	}
	if (f[KN_NTA_SEQ].len == 0 || f[KN_NTA_SEQ].len > 18 ||
	    !digits(f[KN_NTA_SEQ], f[KN_NTA_SEQ].len))
		return bad_field(KN_NTA_SEQ, "not a number");
	if (kn_corpnum_parse(&num, f[KN_NTA_NUMBER].ptr,
	    f[KN_NTA_NUMBER].len) != 0) {
		char why[sizeof(kn_err_get()->msg)];

		/* Copy first: kn_err_set() writes the same buffer. */
		snprintf(why, sizeof(why), "%s", kn_err_get()->msg);
		return kn_err_set(KN_ERR_INVAL, names[KN_NTA_NUMBER],
		    "column 2 (corporateNumber): %s", why);
	}
	if (!one_of(f[KN_NTA_PROCESS], processes))
		return bad_field(KN_NTA_PROCESS, "unknown process code");
	if (!one_of(f[KN_NTA_CORRECT], flags))
		return bad_field(KN_NTA_CORRECT, "must be 0 or 1");
	if (!date_or_empty(f[KN_NTA_UPDATE], true))
		return bad_field(KN_NTA_UPDATE, "must be a date YYYY-MM-DD");
	if (!date_or_empty(f[KN_NTA_CHANGE], false))
		return bad_field(KN_NTA_CHANGE, "must be a date YYYY-MM-DD");
	if (f[KN_NTA_NAME].len == 0)
		return bad_field(KN_NTA_NAME, "the name is empty");
	if (kn_utf8_count(f[KN_NTA_NAME].ptr, f[KN_NTA_NAME].len) > 150)
		return bad_field(KN_NTA_NAME, "longer than 150 characters");
	if (!one_of(f[KN_NTA_KIND], kinds))
		return bad_field(KN_NTA_KIND, "unknown kind code");
	if (f[KN_NTA_PREF_CODE].len != 0 && !digits(f[KN_NTA_PREF_CODE], 2))
		return bad_field(KN_NTA_PREF_CODE, "must be 2 digits");
	if (f[KN_NTA_CITY_CODE].len != 0 && !digits(f[KN_NTA_CITY_CODE], 3))
		return bad_field(KN_NTA_CITY_CODE, "must be 3 digits");
	if (f[KN_NTA_POST].len != 0 && !digits(f[KN_NTA_POST], 7))
		return bad_field(KN_NTA_POST, "must be 7 digits");
	if (!date_or_empty(f[KN_NTA_CLOSE_DATE], false))
		return bad_field(KN_NTA_CLOSE_DATE, "must be a date "
		    "YYYY-MM-DD");
	if (f[KN_NTA_CLOSE_CAUSE].len != 0 &&
	    !one_of(f[KN_NTA_CLOSE_CAUSE], causes))
		return bad_field(KN_NTA_CLOSE_CAUSE, "unknown close cause");
	if (f[KN_NTA_SUCCESSOR].len != 0 && kn_corpnum_parse(&num,
	    f[KN_NTA_SUCCESSOR].ptr, f[KN_NTA_SUCCESSOR].len) != 0)
		return bad_field(KN_NTA_SUCCESSOR, "not a valid corporate "
		    "number");
	if (!date_or_empty(f[KN_NTA_ASSIGNED], false))
		return bad_field(KN_NTA_ASSIGNED, "must be a date YYYY-MM-DD");
	if (!one_of(f[KN_NTA_LATEST], flags))
		return bad_field(KN_NTA_LATEST, "must be 0 or 1");
	if (!one_of(f[KN_NTA_HIHYOJI], flags))
		return bad_field(KN_NTA_HIHYOJI, "must be 0 or 1");
	return 0;
}
