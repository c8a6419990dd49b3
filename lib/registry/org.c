/* org.c - organizations: fields, application, status, search. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "registry/corpnum.h"
#include "registry/org.h"
#include "registry/registry_int.h"
#include "store/db.h"

static int check_kana(const char *, char *);
static int check_postal(const char *, char *);
static int check_url(const char *, char *);
static int check_date(const char *, char *);
static int check_phone(const char *, char *);

const struct kn_org_field_info kn_org_fields[KN_ORG_NFIELDS] = {
	[KN_ORG_NAME] = { "name", "name", 150, false, NULL },
	[KN_ORG_NAME_EN] = { "name_en", "name-en", 200, false, NULL },
	[KN_ORG_KANA] = { "kana", "kana", 300, false, check_kana },
	[KN_ORG_ADDRESS] = { "address", "address", 300, false, NULL },
	[KN_ORG_ADDRESS_EN] = { "address_en", "address-en", 400, false,
	    NULL },
	[KN_ORG_POSTAL_CODE] = { "postal_code", "postal-code", 8, false,
	    check_postal },
	[KN_ORG_URL] = { "url", "url", 2000, false, check_url },
	[KN_ORG_FOUNDED] = { "founded", "founded", 10, false, check_date },
	[KN_ORG_PHONE] = { "phone", "phone", 24, false, check_phone },
	[KN_ORG_DESCRIPTION] = { "description", "description", 2000, true,
	    NULL },
};

/*
 * Kana readings are katakana (the National Tax Agency publishes furigana
 * in katakana), with the prolonged sound mark, middle dot, spaces, and
 * Latin letters and digits (half or full width) for names that hold them.
 */
static int
check_kana(const char *key, char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	while (*p != '\0') {
		uint32_t cp;
		size_t len;

		if (*p < 0x80) {
			if (!((*p >= 'A' && *p <= 'Z') ||
			    (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == ' ' ||
			    *p == '&' || *p == '.' || *p == '-'))
				goto bad;
			p++;
			continue;
		}
		/* kn_check_text() already proved well-formed UTF-8. */
		if (*p >= 0xf0) {
			len = 4;
			cp = *p & 0x07;
		} else if (*p >= 0xe0) {
			len = 3;
			cp = *p & 0x0f;
		} else {
			len = 2;
			cp = *p & 0x1f;
		}
		for (size_t k = 1; k < len; k++)
			cp = (cp << 6) | (p[k] & 0x3f);
		if (!((cp >= 0x30a0 && cp <= 0x30ff) ||	/* katakana */
		    (cp >= 0x31f0 && cp <= 0x31ff) ||	/* small kana ext */
		    cp == 0x3000 ||			/* ideographic sp. */
		    (cp >= 0xff10 && cp <= 0xff19) ||	/* fullwidth 0-9 */
		    (cp >= 0xff21 && cp <= 0xff3a) ||	/* fullwidth A-Z */
		    (cp >= 0xff41 && cp <= 0xff5a) ||	/* fullwidth a-z */
		    (cp >= 0xff65 && cp <= 0xff9f)))	/* halfwidth kana */
			goto bad;
		p += len;
	}
	return 0;
bad:
	return kn_err_set(KN_ERR_INVAL, key, "%s must be written in katakana "
	    "(character %zu is not)", key,
	    kn_utf8_count(v, (size_t)((const char *)p - v)) + 1);
}

static int
check_postal(const char *key, char *v)
{
	char d[8];
	size_t i, n = 0;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '-' && i == 3)
			continue;
		if (v[i] < '0' || v[i] > '9' || n == 7)
			goto bad;
		d[n++] = v[i];
	}
	if (n != 7)
		goto bad;
	memcpy(v, d, 7);
	v[7] = '\0';
	return 0;
bad:
	return kn_err_set(KN_ERR_INVAL, key, "%s must be 7 digits, as "
	    "1000001 or 100-0001", key);
}

static int
check_url(const char *key, char *v)
{
	const char *host;
	size_t i;

	/* Schemes are case-insensitive (RFC 3986 section 3.1): store the
	 * canonical lower case. */
	if (strncasecmp(v, "https://", 8) == 0) {
		memcpy(v, "https://", 8);
		host = v + 8;
	} else if (strncasecmp(v, "http://", 7) == 0) {
		memcpy(v, "http://", 7);
		host = v + 7;
	}
	else
		return kn_err_set(KN_ERR_INVAL, key, "%s must start with "
		    "https:// or http://", key);
	if (*host == '\0' || *host == '/' || *host == '?' || *host == '#')
		return kn_err_set(KN_ERR_INVAL, key, "%s has no host name",
		    key);
	for (i = 0; v[i] != '\0'; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' ||
		    c == '>' || c == '\\' || c == '`')
			return kn_err_set(KN_ERR_INVAL, key, "%s contains a "
			    "character not allowed in a URI (RFC 3986 "
			    "section 2) at position %zu", key, i + 1);
	}
	return 0;
}

static int
check_date(const char *key, char *v)
{
	if (!kn_valid_date(v))
		return kn_err_set(KN_ERR_INVAL, key, "%s must be a calendar "
		    "date written YYYY-MM-DD", key);
	return 0;
}

static int
check_phone(const char *key, char *v)
{
	size_t i, digits = 0;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			digits++;
		else if (!(v[i] == '-' || v[i] == ' ' || v[i] == '(' ||
		    v[i] == ')' || (v[i] == '+' && i == 0)))
			return kn_err_set(KN_ERR_INVAL, key, "%s may hold "
			    "only digits, spaces, hyphens, parentheses and a "
			    "leading +", key);
	}
	if (digits < 6 || digits > 15)
		return kn_err_set(KN_ERR_INVAL, key, "%s must have 6 to 15 "
		    "digits (ITU-T E.164)", key);
	return 0;
}

void
kn_org_init(struct kn_org *org)
{
	memset(org, 0, sizeof(*org));
}

void
kn_domain_cleanup(struct kn_domain *d)
{
	free(d->token);
	free(d->token_expires);
	free(d->created_at);
	free(d->verified_at);
	free(d->method);
	free(d->evidence);
	free(d->verified_by);
	free(d->released_at);
	free(d->checked_at);
	free(d->check_result);
	memset(d, 0, sizeof(*d));
}

void
kn_org_cleanup(struct kn_org *org)
{
	size_t i;

	for (i = 0; i < KN_ORG_NFIELDS; i++)
		free(org->f[i]);
	free(org->kind);
	free(org->status_reason);
	free(org->status_by);
	free(org->status_at);
	free(org->verified_since);
	free(org->nta_process);
	free(org->nta_updated);
	free(org->nta_closed);
	free(org->nta_close_cause);
	free(org->nta_assigned);
	free(org->created_at);
	free(org->updated_at);
	for (i = 0; i < org->ndomains; i++)
		kn_domain_cleanup(&org->domains[i]);
	free(org->domains);
	for (i = 0; i < org->nevents; i++) {
		free(org->events[i].at);
		free(org->events[i].actor);
		free(org->events[i].from_status);
		free(org->events[i].to_status);
		free(org->events[i].reason);
	}
	free(org->events);
	memset(org, 0, sizeof(*org));
}

int
kn_org_set(struct kn_org *org, enum kn_org_field i, const char *v)
{
	char *c = NULL;

	if (v != NULL && (c = strdup(v)) == NULL)
		return KN_ERR_NOMEM;
	free(org->f[i]);
	org->f[i] = c;
	return 0;
}

int
kn_org_field_by_key(const char *key)
{
	int i;

	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		if (strcmp(kn_org_fields[i].key, key) == 0)
			return i;
	}
	return -1;
}

int
kn_org_field_by_flag(const char *flag)
{
	int i;

	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		if (strcmp(kn_org_fields[i].flag, flag) == 0)
			return i;
	}
	return -1;
}

int
kn_org_validate(struct kn_org *org)
{
	int i, rc;

	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		const struct kn_org_field_info *fi = &kn_org_fields[i];
		char *v = org->f[i];

		if (v == NULL)
			continue;
		/* Trim in place first: an all-space value counts as empty,
		 * and caps apply to what is stored. */
		memmove(v, kn_trim(v), strlen(kn_trim(v)) + 1);
		if ((rc = kn_check_text(fi->key, v, fi->maxchars,
		    fi->multiline)) != 0)
			return rc;
		if (v[0] == '\0') {
			/* A blank name is refused by add and update. */
			if (i == KN_ORG_NAME)
				continue;
			/* Given empty: an update clears the field. */
			free(org->f[i]);
			org->f[i] = NULL;
			org->clear |= 1u << i;
			continue;
		}
		if (fi->check != NULL && (rc = fi->check(fi->key, v)) != 0)
			return rc;
	}
	return 0;
}

bool
kn_valid_status(const char *s)
{
	return strcmp(s, "listed") == 0 || strcmp(s, "applied") == 0 ||
	    strcmp(s, "verified") == 0 || strcmp(s, "suspended") == 0 ||
	    strcmp(s, "withdrawn") == 0;
}

int
kn__org_event(struct kn_db *db, int64_t number, const char *actor,
    const char *from, const char *to, const char *reason, const char *at)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "INSERT INTO org_events (org_number, "
	    "at, actor, from_status, to_status, reason) "
	    "VALUES (?, ?, ?, ?, ?, ?)")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 2, at)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 3, actor)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 4, from)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 5, to)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 6, reason)) == 0)
		rc = kn_stmt_run(st);
	kn_stmt_done(st);
	return rc;
}

/* Status of an organization into out[12]; KN_ERR_NOTFOUND when absent. */
int
kn__org_status(struct kn_db *db, int64_t number, char out[12])
{
	struct kn_stmt *st;
	char num[KN_CORPNUM_LEN + 1];
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT status FROM orgs "
	    "WHERE number = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_ROW) {
		snprintf(out, 12, "%s", kn_stmt_text(st, 0));
		rc = 0;
	} else if (rc == KN_DONE) {
		kn_corpnum_format(num, number);
		rc = kn_err_set(KN_ERR_NOTFOUND, "number", "no organization "
		    "with corporate number %s is in the registry", num);
	}
	kn_stmt_done(st);
	return rc;
}

/* Audit detail {"number": "...", <extra>} as JSON text. */
int
kn__audit_org(struct kn_db *db, const char *actor, const char *action,
    int64_t number, const char *detail)
{
	char obj[32], num[KN_CORPNUM_LEN + 1];

	kn_corpnum_format(num, number);
	snprintf(obj, sizeof(obj), "org:%s", num);
	return kn_audit_append(db, actor, action, obj, detail, NULL);
}

/* JSON string literal of s appended to b (for audit details). */
void
kn__json_str(struct kn_buf *b, const char *s)
{
	kn_json_quote(b, s != NULL ? s : "");
}

static int
fields_detail(struct kn_buf *b, const struct kn_org *org)
{
	int i;
	bool first = true;

	kn_buf_puts(b, "{");
	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		if (org->f[i] == NULL && !(org->clear & (1u << i)))
			continue;
		if (!first)
			kn_buf_puts(b, ",");
		first = false;
		kn__json_str(b, kn_org_fields[i].key);
		kn_buf_puts(b, ":");
		if (org->f[i] == NULL)
			kn_buf_puts(b, "null");
		else
			kn__json_str(b, org->f[i]);
	}
	kn_buf_puts(b, "}");
	return b->failed ? KN_ERR_TOOBIG : 0;
}

static int
bind_fields(struct kn_stmt *st, int first, const struct kn_org *org)
{
	int i, rc;

	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		if ((rc = kn_stmt_bind_text(st, first + i, org->f[i])) != 0)
			return rc;
	}
	return 0;
}

int
kn_org_add(struct kn_db *db, const char *actor, struct kn_org *org)
{
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	char status[12], now[21], num[KN_CORPNUM_LEN + 1];
	bool listed = false;
	int rc;

	kn_buf_init(&detail, 64 * 1024);
	if ((rc = kn_org_validate(org)) != 0)
		goto out;
	if (org->f[KN_ORG_NAME] == NULL || org->f[KN_ORG_NAME][0] == '\0') {
		rc = kn_err_set(KN_ERR_INVAL, "name", "name (the legal name, "
		    "商号又は名称) is required");
		goto out;
	}
	kn_corpnum_format(num, org->number);
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	rc = kn__org_status(db, org->number, status);
	if (rc == 0) {
		/* Known from the NTA data, or withdrawn earlier: this is a
		 * (new) application; the history keeps what came before. */
		if (strcmp(status, "listed") != 0 &&
		    strcmp(status, "withdrawn") != 0) {
			rc = kn_err_set(KN_ERR_EXISTS, "number", "organization "
			    "%s is already registered (status %s)", num,
			    status);
			goto out;
		}
		listed = true;
	} else if (rc != KN_ERR_NOTFOUND)
		goto out;
	kn_err_clear();
	kn_now_rfc3339(now);
	if (listed) {
		rc = kn_db_stmt(db, &st, "UPDATE orgs SET "
		    "name = COALESCE(?, name), name_en = COALESCE(?, name_en), "
		    "kana = COALESCE(?, kana), address = COALESCE(?, address), "
		    "address_en = COALESCE(?, address_en), "
		    "postal_code = COALESCE(?, postal_code), "
		    "url = COALESCE(?, url), founded = COALESCE(?, founded), "
		    "phone = COALESCE(?, phone), "
		    "description = COALESCE(?, description), "
		    "status = 'applied', status_reason = ?, status_by = ?, "
		    "status_at = ?, verified_since = NULL, updated_at = ? "
		    "WHERE number = ? AND status = ?");
	} else {
		rc = kn_db_stmt(db, &st, "INSERT INTO orgs (name, name_en, "
		    "kana, address, address_en, postal_code, url, founded, "
		    "phone, description, status, status_reason, status_by, "
		    "status_at, updated_at, number, created_at) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'applied', ?, ?, ?, ?, ?, "
		    "?)");
	}
	if (rc != 0)
		goto out;
	if ((rc = bind_fields(st, 1, org)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 11, "application received")) != 0 ||
	    (rc = kn_stmt_bind_text(st, 12, actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 13, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 14, now)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 15, org->number)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 16, listed ? status : now)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0) {
		if (rc == KN_ERR_EXISTS)
			rc = kn_err_set(KN_ERR_EXISTS, "number", "organization "
			    "%s is already registered", num);
		goto out;
	}
	if (kn_stmt_changes(st) != 1) {
		rc = kn_err_set(KN_ERR_BUSY, "number", "organization %s "
		    "changed while this request ran; retry", num);
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	if ((rc = kn__org_event(db, org->number, actor,
	    listed ? status : NULL, "applied", "application received",
	    now)) != 0)
		goto out;
	if ((rc = fields_detail(&detail, org)) != 0 ||
	    (rc = kn__audit_org(db, actor, "org.add", org->number,
	    detail.data)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&detail);
	return rc;
}

int
kn_org_update(struct kn_db *db, const char *actor, struct kn_org *org)
{
	struct kn_stmt *upd = NULL;
	struct kn_buf detail, sql;
	char status[12], now[21];
	int rc, i, k;

	kn_buf_init(&detail, 64 * 1024);
	kn_buf_init(&sql, 4096);
	if ((rc = kn_org_validate(org)) != 0)
		goto out;
	if (org->f[KN_ORG_NAME] != NULL && org->f[KN_ORG_NAME][0] == '\0') {
		rc = kn_err_set(KN_ERR_INVAL, "name", "name cannot be empty");
		goto out;
	}
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = kn__org_status(db, org->number, status)) != 0)
		goto out;
	if (strcmp(status, "withdrawn") == 0 ||
	    strcmp(status, "listed") == 0) {
		rc = kn_err_set(KN_ERR_STATE, "status", "a %s organization "
		    "cannot be changed%s", status, strcmp(status, "listed") ?
		    "" : "; it must apply first (kakuin org add)");
		goto out;
	}
	kn_now_rfc3339(now);
	/* SET only the fields given (set or cleared); the column names
	 * come from kn_org_fields[], never from the request. */
	kn_buf_puts(&sql, "UPDATE orgs SET ");
	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		if (org->f[i] != NULL || (org->clear & (1u << i)))
			kn_buf_putf(&sql, "%s = ?, ", kn_org_fields[i].key);
	}
	kn_buf_puts(&sql, "updated_at = ? WHERE number = ? AND "
	    "status <> 'listed' AND status <> 'withdrawn'");
	if (sql.failed) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = kn_db_prepare(db, &upd, sql.data)) != 0)
		goto out;
	for (i = 0, k = 1; i < KN_ORG_NFIELDS; i++) {
		if (org->f[i] == NULL && !(org->clear & (1u << i)))
			continue;
		if ((rc = kn_stmt_bind_text(upd, k++, org->f[i])) != 0)
			goto out;
	}
	if ((rc = kn_stmt_bind_text(upd, k++, now)) != 0 ||
	    (rc = kn_stmt_bind_int64(upd, k, org->number)) != 0 ||
	    (rc = kn_stmt_run(upd)) != 0)
		goto out;
	if (kn_stmt_changes(upd) != 1) {
		rc = kn_err_set(KN_ERR_BUSY, "status", "the organization "
		    "changed while this request ran; look again and retry");
		goto out;
	}
	if ((rc = fields_detail(&detail, org)) != 0 ||
	    (rc = kn__audit_org(db, actor, "org.update", org->number,
	    detail.data)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_db_rollback(db);
	kn_stmt_free(upd);
	kn_buf_cleanup(&detail);
	kn_buf_cleanup(&sql);
	return rc;
}

#define ORG_COLS "number, name, name_en, kana, address, address_en, " \
	"postal_code, url, founded, phone, description, kind, status, " \
	"status_reason, status_by, status_at, verified_since, hidden, " \
	"nta_process, nta_updated, nta_closed, nta_close_cause, " \
	"nta_successor, nta_assigned, created_at, updated_at"

static int
read_org(struct kn_stmt *st, struct kn_org *o)
{
	int i, c = 0;

	o->number = kn_stmt_int64(st, c++);
	for (i = 0; i < KN_ORG_NFIELDS; i++)
		o->f[i] = kn_stmt_strdup(st, c++);
	o->kind = kn_stmt_strdup(st, c++);
	snprintf(o->status, sizeof(o->status), "%s",
	    kn_stmt_text(st, c) ? kn_stmt_text(st, c) : "");
	c++;
	o->status_reason = kn_stmt_strdup(st, c++);
	o->status_by = kn_stmt_strdup(st, c++);
	o->status_at = kn_stmt_strdup(st, c++);
	o->verified_since = kn_stmt_strdup(st, c++);
	o->hidden = kn_stmt_int64(st, c++) != 0;
	o->nta_process = kn_stmt_strdup(st, c++);
	o->nta_updated = kn_stmt_strdup(st, c++);
	o->nta_closed = kn_stmt_strdup(st, c++);
	o->nta_close_cause = kn_stmt_strdup(st, c++);
	o->nta_successor = kn_stmt_int64(st, c++);
	o->nta_assigned = kn_stmt_strdup(st, c++);
	o->created_at = kn_stmt_strdup(st, c++);
	o->updated_at = kn_stmt_strdup(st, c++);
	if (o->f[KN_ORG_NAME] == NULL || o->created_at == NULL)
		return KN_ERR_NOMEM;
	return 0;
}

static int
load_domains(struct kn_db *db, struct kn_org *o)
{
	struct kn_stmt *st;
	size_t cap = 0;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT " KN_DOMAIN_COLS " FROM domains "
	    "WHERE org_number = ? ORDER BY name")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, o->number)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		struct kn_domain *d;

		if ((rc = kn_reserve(&o->domains, &cap, o->ndomains,
		    sizeof(*d), KN_ORG_MAX_DOMAINS)) != 0)
			goto out;
		d = &o->domains[o->ndomains++];
		memset(d, 0, sizeof(*d));
		kn__read_domain(st, d);
	}
out:
	kn_stmt_done(st);
	return rc < 0 ? rc : 0;
}

void
kn__read_domain(struct kn_stmt *st, struct kn_domain *d)
{
	snprintf(d->name, sizeof(d->name), "%s", kn_stmt_text(st, 0));
	d->web = kn_stmt_int64(st, 1) != 0;
	d->mail = kn_stmt_int64(st, 2) != 0;
	d->token = kn_stmt_strdup(st, 3);
	d->token_expires = kn_stmt_strdup(st, 4);
	d->created_at = kn_stmt_strdup(st, 5);
	d->verified_at = kn_stmt_strdup(st, 6);
	d->method = kn_stmt_strdup(st, 7);
	d->evidence = kn_stmt_strdup(st, 8);
	d->verified_by = kn_stmt_strdup(st, 9);
	d->released_at = kn_stmt_strdup(st, 10);
	d->checked_at = kn_stmt_strdup(st, 11);
	d->check_result = kn_stmt_strdup(st, 12);
}

static int
load_events(struct kn_db *db, struct kn_org *o)
{
	struct kn_stmt *st;
	size_t cap = 0;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT at, actor, from_status, "
	    "to_status, reason FROM org_events WHERE org_number = ? "
	    "ORDER BY id")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, o->number)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		struct kn_org_event *e;

		if ((rc = kn_reserve(&o->events, &cap, o->nevents,
		    sizeof(*e), KN_ORG_MAX_EVENTS)) != 0)
			goto out;
		e = &o->events[o->nevents++];
		e->at = kn_stmt_strdup(st, 0);
		e->actor = kn_stmt_strdup(st, 1);
		e->from_status = kn_stmt_strdup(st, 2);
		e->to_status = kn_stmt_strdup(st, 3);
		e->reason = kn_stmt_strdup(st, 4);
	}
out:
	kn_stmt_done(st);
	return rc < 0 ? rc : 0;
}

int
kn_org_get(struct kn_db *db, struct kn_org *out, int64_t number)
{
	return kn_org_load(db, out, number, KN_ORG_LOAD_DOMAINS |
	    KN_ORG_LOAD_HISTORY);
}

int
kn_org_load(struct kn_db *db, struct kn_org *out, int64_t number,
    unsigned flags)
{
	struct kn_stmt *st;
	struct kn_org o;
	char num[KN_CORPNUM_LEN + 1];
	bool began;
	int rc;

	kn_org_init(&o);
	if ((rc = kn_db_begin_read(db, &began)) != 0)
		return rc;
	if ((rc = kn_db_stmt(db, &st, "SELECT " ORG_COLS " FROM orgs "
	    "WHERE number = ?")) != 0) {
		kn_db_end_read(db, began);
		return rc;
	}
	if ((rc = kn_stmt_bind_int64(st, 1, number)) == 0)
		rc = kn_stmt_step(st);
	if (rc == KN_DONE) {
		kn_corpnum_format(num, number);
		rc = kn_err_set(KN_ERR_NOTFOUND, "number", "no organization "
		    "with corporate number %s is in the registry", num);
	} else if (rc == KN_ROW)
		rc = read_org(st, &o);
	kn_stmt_done(st);
	o.loaded = flags;
	/* Listed organizations cannot claim domains: nothing to read. */
	if (rc == 0 && (flags & KN_ORG_LOAD_DOMAINS) &&
	    strcmp(o.status, "listed") != 0)
		rc = load_domains(db, &o);
	if (rc == 0 && (flags & KN_ORG_LOAD_HISTORY))
		rc = load_events(db, &o);
	kn_db_end_read(db, began);
	if (rc != 0) {
		kn_org_cleanup(&o);
		return rc;
	}
	*out = o;
	return 0;
}

/*
 * Refuses a write that would take an organization past a cap that its
 * readers enforce (they would fail to load it).  sql counts the rows.
 */
int
kn__cap(struct kn_db *db, const char *sql, int64_t number, int64_t max,
    const char *what)
{
	struct kn_stmt *st;
	int64_t n = 0;
	int rc;

	if ((rc = kn_db_stmt(db, &st, sql)) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) == 0 &&
	    (rc = kn_stmt_step(st)) == KN_ROW)
		n = kn_stmt_int64(st, 0);
	kn_stmt_done(st);
	if (rc < 0)
		return rc;
	if (n >= max)
		return kn_err_set(KN_ERR_STATE, NULL, "this organization has "
		    "reached the limit of %lld %s", (long long)max, what);
	return 0;
}

static const char *
transition_error(const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return "it already has that status";
	if (strcmp(from, "listed") == 0)
		return "it has not applied (kakuin org add registers an "
		    "application)";
	if (strcmp(from, "withdrawn") == 0)
		return "a withdrawn organization must apply again first "
		    "(kakuin org add)";
	if (strcmp(to, "verified") == 0 && strcmp(from, "applied") != 0 &&
	    strcmp(from, "suspended") != 0)
		return "only applied or suspended organizations can be "
		    "verified";
	if (strcmp(to, "suspended") == 0 && strcmp(from, "verified") != 0)
		return "only verified organizations can be suspended";
	if (strcmp(to, "withdrawn") == 0)
		return NULL;
	if (strcmp(to, "verified") == 0 || strcmp(to, "suspended") == 0)
		return NULL;
	return "that status cannot be set by an officer";
}

int
kn_org_set_status(struct kn_db *db, const char *actor, int64_t number,
    const char *to, const char *reason)
{
	struct kn_stmt *st = NULL;
	struct kn_buf detail;
	char from[12], now[21], action[32], num[KN_CORPNUM_LEN + 1];
	const char *why;
	int rc;

	kn_buf_init(&detail, 8192);
	kn_corpnum_format(num, number);
	if (reason == NULL || *reason == '\0') {
		rc = kn_err_set(KN_ERR_INVAL, "reason", "a reason is required "
		    "for every status change");
		goto out;
	}
	if ((rc = kn_check_text("reason", reason, 500, false)) != 0)
		goto out;
	if (!kn_valid_status(to)) {
		rc = kn_err_set(KN_ERR_INVAL, "status", "unknown status %s",
		    to);
		goto out;
	}
	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	if ((rc = kn__org_status(db, number, from)) != 0)
		goto out;
	if ((rc = kn__cap(db, "SELECT COUNT(*) FROM org_events WHERE "
	    "org_number = ?", number, KN_ORG_MAX_EVENTS, "status changes")) != 0)
		goto out;
	if ((why = transition_error(from, to)) != NULL) {
		rc = kn_err_set(KN_ERR_STATE, "status", "organization %s "
		    "cannot go from %s to %s: %s", num, from, to, why);
		goto out;
	}
	kn_now_rfc3339(now);
	/* Conditional on the status read above: on PostgreSQL (READ
	 * COMMITTED) a concurrent change makes this touch no row. */
	if ((rc = kn_db_stmt(db, &st, "UPDATE orgs SET status = ?, "
	    "status_reason = ?, status_by = ?, status_at = ?, "
	    "verified_since = CASE WHEN ? = 'verified' THEN "
	    "COALESCE(verified_since, ?) ELSE verified_since END, "
	    "updated_at = ? WHERE number = ? AND status = ?")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, to)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, reason)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, to)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, now)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 8, number)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 9, from)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	if (kn_stmt_changes(st) != 1) {
		rc = kn_err_set(KN_ERR_BUSY, "status", "organization %s "
		    "changed while this request ran; look again and retry",
		    num);
		goto out;
	}
	kn_stmt_done(st);
	st = NULL;
	if ((rc = kn__org_event(db, number, actor, from, to, reason,
	    now)) != 0)
		goto out;
	if (strcmp(to, "withdrawn") == 0) {
		if ((rc = kn_db_stmt(db, &st, "UPDATE domains SET "
		    "released_at = ? WHERE org_number = ? AND "
		    "released_at IS NULL")) != 0)
			goto out;
		if ((rc = kn_stmt_bind_text(st, 1, now)) != 0 ||
		    (rc = kn_stmt_bind_int64(st, 2, number)) != 0 ||
		    (rc = kn_stmt_run(st)) != 0)
			goto out;
		kn_stmt_done(st);
		st = NULL;
	}
	kn_buf_puts(&detail, "{\"from\":");
	kn__json_str(&detail, from);
	kn_buf_puts(&detail, ",\"to\":");
	kn__json_str(&detail, to);
	kn_buf_puts(&detail, ",\"reason\":");
	kn__json_str(&detail, reason);
	kn_buf_puts(&detail, "}");
	snprintf(action, sizeof(action), "org.status.%s", to);
	if (detail.failed) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	if ((rc = kn__audit_org(db, actor, action, number,
	    detail.data)) != 0)
		goto out;
	rc = kn_db_commit(db);
out:
	kn_stmt_done(st);
	kn_db_rollback(db);
	kn_buf_cleanup(&detail);
	return rc;
}

void
kn_org_list_cleanup(struct kn_org_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		kn_org_cleanup(&l->orgs[i]);
	free(l->orgs);
	memset(l, 0, sizeof(*l));
}

/* Appends q as a LIKE pattern matching it anywhere, with \ escapes.
 * Hiragana are turned into katakana so that a reading typed either way
 * finds the kana column. */
static void
like_pattern(struct kn_buf *b, const char *q, bool to_katakana)
{
	const unsigned char *p = (const unsigned char *)q;

	kn_buf_puts(b, "%");
	while (*p != '\0') {
		if (*p == '%' || *p == '_' || *p == '\\') {
			kn_buf_putf(b, "\\%c", *p);
			p++;
		} else if (to_katakana && p[0] == 0xe3 && (p[1] == 0x81 ||
		    p[1] == 0x82) && p[2] != '\0') {
			uint32_t cp = ((uint32_t)(p[0] & 0x0f) << 12) |
			    ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
			unsigned char o[3];

			if (cp >= 0x3041 && cp <= 0x3096)
				cp += 0x60;
			o[0] = 0xe0 | (cp >> 12);
			o[1] = 0x80 | ((cp >> 6) & 0x3f);
			o[2] = 0x80 | (cp & 0x3f);
			kn_buf_putn(b, o, 3);
			p += 3;
		} else {
			kn_buf_putn(b, p, 1);
			p++;
		}
	}
	kn_buf_puts(b, "%");
}

/* Common tail of the search queries: verified first, then by name. */
#define TAIL "(? = 1 OR hidden = 0) " \
	"AND (CAST(? AS TEXT) IS NULL OR status = ?) " \
	"ORDER BY CASE status WHEN 'verified' THEN 0 " \
	"WHEN 'applied' THEN 1 WHEN 'suspended' THEN 2 " \
	"WHEN 'listed' THEN 3 ELSE 4 END, name, number LIMIT ? OFFSET ?"

int
kn_org_search(struct kn_db *db, struct kn_org_list *out,
    const struct kn_org_query *q)
{
	struct kn_stmt *st = NULL;
	struct kn_buf pat, kpat;
	char dom[KN_DOMAIN_MAX + 1];
	const char *text = q->q ? q->q : "";
	int64_t number;
	size_t cap = 0;
	int limit = q->limit, rc, i;

	memset(out, 0, sizeof(*out));
	kn_buf_init(&pat, 1024);
	kn_buf_init(&kpat, 1024);
	if (limit < 1 || limit > 500)
		return kn_err_set(KN_ERR_INVAL, "limit", "limit must be "
		    "1..500");
	if (q->offset < 0 || q->offset > 100000)
		return kn_err_set(KN_ERR_INVAL, "offset", "offset must be "
		    "0..100000");
	if (q->status != NULL && !kn_valid_status(q->status))
		return kn_err_set(KN_ERR_INVAL, "status", "unknown status %s "
		    "(listed, applied, verified, suspended, withdrawn)",
		    q->status);
	if ((rc = kn_check_text("q", text, 100, false)) != 0)
		return rc;

	/*
	 * Each form binds its own leading parameters; the tail (hidden, status,
	 * limit, offset) is the same for all.
	 */
	if (strlen(text) == KN_CORPNUM_LEN &&
	    strspn(text, "0123456789") == KN_CORPNUM_LEN) {
		number = strtoll(text, NULL, 10);
		if ((rc = kn_db_stmt(db, &st, "SELECT " ORG_COLS " FROM orgs "
		    "WHERE number = ? AND " TAIL)) == 0)
			rc = kn_stmt_bind_int64(st, 1, number);
		i = 2;
	} else if (strchr(text, '.') != NULL && strchr(text, ' ') == NULL &&
	    kn_domain_parse(dom, text) == 0) {
		if ((rc = kn_db_stmt(db, &st, "SELECT " ORG_COLS " FROM orgs "
		    "WHERE number IN (SELECT org_number FROM domains WHERE "
		    "name = ? AND verified_at IS NOT NULL AND released_at IS "
		    "NULL) AND " TAIL)) == 0)
			rc = kn_stmt_bind_text(st, 1, dom);
		i = 2;
	} else if (text[0] != '\0') {
		like_pattern(&pat, text, false);
		like_pattern(&kpat, text, true);
		if (pat.failed || kpat.failed) {
			rc = KN_ERR_TOOBIG;
			goto out;
		}
		if ((rc = kn_db_stmt(db, &st, "SELECT " ORG_COLS " FROM orgs "
		    "WHERE (lower(name) LIKE lower(?) ESCAPE '\\' OR "
		    "lower(name_en) LIKE lower(?) ESCAPE '\\' OR "
		    "kana LIKE ? ESCAPE '\\') AND " TAIL)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 1, pat.data)) == 0 &&
		    (rc = kn_stmt_bind_text(st, 2, pat.data)) == 0)
			rc = kn_stmt_bind_text(st, 3, kpat.data);
		i = 4;
	} else if (q->status != NULL) {
		/* One status, in number order: cheap even for millions of
		 * listed organizations. */
		rc = kn_db_stmt(db, &st, "SELECT " ORG_COLS " FROM orgs "
		    "WHERE status = ? AND (? = 1 OR hidden = 0) "
		    "ORDER BY number LIMIT ? OFFSET ?");
		if (rc == 0 && (rc = kn_stmt_bind_text(st, 1, q->status)) == 0 &&
		    (rc = kn_stmt_bind_int64(st, 2, q->include_hidden)) == 0 &&
		    (rc = kn_stmt_bind_int64(st, 3, limit + 1)) == 0)
			rc = kn_stmt_bind_int64(st, 4, q->offset);
		i = 0;
	} else {
		/* Everything that has applied. */
		rc = kn_db_stmt(db, &st, "SELECT " ORG_COLS " FROM orgs "
		    "WHERE status <> 'listed' AND " TAIL);
		i = 1;
	}
	if (rc != 0)
		goto out;
	if (i > 0 && ((rc = kn_stmt_bind_int64(st, i, q->include_hidden)) != 0 ||
	    (rc = kn_stmt_bind_text(st, i + 1, q->status)) != 0 ||
	    (rc = kn_stmt_bind_text(st, i + 2, q->status)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, i + 3, limit + 1)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, i + 4, q->offset)) != 0))
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		if ((int)out->n == limit) {
			out->more = true;
			continue;
		}
		if ((rc = kn_reserve(&out->orgs, &cap, out->n,
		    sizeof(*out->orgs), (size_t)limit)) != 0)
			goto out;
		kn_org_init(&out->orgs[out->n]);
		if ((rc = read_org(st, &out->orgs[out->n++])) != 0)
			goto out;
	}
out:
	kn_stmt_done(st);
	kn_buf_cleanup(&pat);
	kn_buf_cleanup(&kpat);
	if (rc < 0) {
		kn_org_list_cleanup(out);
		return rc;
	}
	return 0;
}
