/* org_json.c - JSON views of organizations. */
#include <stdio.h>
#include <string.h>

#include "registry/corpnum.h"
#include "registry/org_json.h"

void
kn_domain_write_json(struct kn_jw *w, const struct kn_domain *d,
    bool officer)
{
	char rec[KN_DOMAIN_MAX + 32];
	char val[sizeof(KN_CHALLENGE_PREFIX) + KN_TOKEN_LEN];

	kn_jw_obj(w);
	kn_jw_kstr(w, "domain", d->name);
	kn_jw_key(w, "uses");
	kn_jw_arr(w);
	if (d->web)
		kn_jw_str(w, "web");
	if (d->mail)
		kn_jw_str(w, "mail");
	kn_jw_end_arr(w);
	kn_jw_key(w, "verified");
	kn_jw_bool(w, d->verified_at && !d->released_at);
	kn_jw_kstr(w, "verified_at", d->verified_at);
	kn_jw_kstr(w, "method", d->method);
	if (d->released_at)
		kn_jw_kstr(w, "released_at", d->released_at);
	if (officer) {
		kn_jw_kstr(w, "evidence", d->evidence);
		kn_jw_kstr(w, "verified_by", d->verified_by);
		kn_jw_kstr(w, "checked_at", d->checked_at);
		kn_jw_kstr(w, "check_result", d->check_result);
		if (!d->verified_at) {
			snprintf(rec, sizeof(rec), "%s.%s", KN_CHALLENGE_LABEL,
			    d->name);
			snprintf(val, sizeof(val), "%s%s", KN_CHALLENGE_PREFIX,
			    d->token);
			kn_jw_key(w, "challenge");
			kn_jw_obj(w);
			kn_jw_kstr(w, "record", rec);
			kn_jw_kstr(w, "type", "TXT");
			kn_jw_kstr(w, "value", val);
			kn_jw_kstr(w, "expires", d->token_expires);
			kn_jw_end_obj(w);
		}
	}
	kn_jw_end_obj(w);
}

void
kn_org_write_json(struct kn_jw *w, const struct kn_org *org, bool officer)
{
	char num[KN_CORPNUM_LEN + 1], succ[KN_CORPNUM_LEN + 1];
	size_t i;
	int k;

	kn_corpnum_format(num, org->number);
	kn_jw_obj(w);
	kn_jw_kstr(w, "number", num);
	for (k = 0; k < KN_ORG_NFIELDS; k++)
		kn_jw_kstr(w, kn_org_fields[k].key, org->f[k]);
	kn_jw_kstr(w, "kind", org->kind);
	kn_jw_kstr(w, "status", org->status);
	kn_jw_kstr(w, "status_at", org->status_at);
	kn_jw_kstr(w, "verified_since", org->verified_since);
	if (officer) {
		kn_jw_kstr(w, "status_reason", org->status_reason);
		kn_jw_kstr(w, "status_by", org->status_by);
		kn_jw_key(w, "hidden");
		kn_jw_bool(w, org->hidden);
	}
	if (org->loaded & KN_ORG_LOAD_DOMAINS) {
		kn_jw_key(w, "domains");
		kn_jw_arr(w);
		for (i = 0; i < org->ndomains; i++) {
			const struct kn_domain *d = &org->domains[i];

			/* The public sees proven, unreleased domains only. */
			if (!officer && (d->verified_at == NULL ||
			    d->released_at != NULL))
				continue;
			kn_domain_write_json(w, d, officer);
		}
		kn_jw_end_arr(w);
	}
	if (org->nta_updated != NULL) {
		kn_jw_key(w, "nta");
		kn_jw_obj(w);
		kn_jw_kstr(w, "process", org->nta_process);
		kn_jw_kstr(w, "updated", org->nta_updated);
		kn_jw_kstr(w, "closed", org->nta_closed);
		kn_jw_kstr(w, "close_cause", org->nta_close_cause);
		kn_jw_kstr(w, "assigned", org->nta_assigned);
		if (org->nta_successor) {
			kn_corpnum_format(succ, org->nta_successor);
			kn_jw_kstr(w, "successor", succ);
		}
		kn_jw_end_obj(w);
	}
	if (officer && (org->loaded & KN_ORG_LOAD_HISTORY)) {
		kn_jw_key(w, "history");
		kn_jw_arr(w);
		for (i = 0; i < org->nevents; i++) {
			kn_jw_obj(w);
			kn_jw_kstr(w, "at", org->events[i].at);
			kn_jw_kstr(w, "actor", org->events[i].actor);
			kn_jw_kstr(w, "from", org->events[i].from_status);
			kn_jw_kstr(w, "to", org->events[i].to_status);
			kn_jw_kstr(w, "reason", org->events[i].reason);
			kn_jw_end_obj(w);
		}
		kn_jw_end_arr(w);
	}
	kn_jw_kstr(w, "created_at", org->created_at);
	kn_jw_kstr(w, "updated_at", org->updated_at);
	kn_jw_end_obj(w);
}

/* Parses what a writer produced back into a tree. */
static json_t *
reparse(struct kn_buf *b)
{
	json_t *j = NULL;

	if (!b->failed)
		j = json_loadb(b->data, b->len, 0, NULL);
	kn_buf_cleanup(b);
	return j;
}

json_t *
kn_domain_to_json(const struct kn_domain *d, bool officer)
{
	struct kn_buf b;
	struct kn_jw w;

	kn_buf_init(&b, 1 << 20);
	kn_jw_init(&w, &b);
	kn_domain_write_json(&w, d, officer);
	return reparse(&b);
}

json_t *
kn_org_to_json(const struct kn_org *org, bool officer)
{
	struct kn_buf b;
	struct kn_jw w;

	kn_buf_init(&b, 16 << 20);
	kn_jw_init(&w, &b);
	kn_org_write_json(&w, org, officer);
	return reparse(&b);
}

int
kn_org_from_json(struct kn_org *org, const json_t *obj,
    const char *const *allow)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return kn_err_set(KN_ERR_INVAL, NULL, "the request body must "
		    "be a JSON object");
	json_object_foreach((json_t *)obj, key, v) {
		int i = kn_org_field_by_key(key);
		const char *const *a;

		if (i < 0) {
			for (a = allow; a != NULL && *a != NULL; a++) {
				if (strcmp(*a, key) == 0)
					break;
			}
			if (a != NULL && *a != NULL)
				continue;
			return kn_err_set(KN_ERR_INVAL, key, "unknown field "
			    "%s", key);
		}
		if (json_is_null(v))
			continue;
		if (!json_is_string(v))
			return kn_err_set(KN_ERR_INVAL, key, "%s must be a "
			    "string", key);
		if (strlen(json_string_value(v)) != json_string_length(v))
			return kn_err_set(KN_ERR_INVAL, key, "%s contains a "
			    "NUL character", key);
		if ((rc = kn_org_set(org, (enum kn_org_field)i,
		    json_string_value(v))) != 0)
			return rc;
	}
	return 0;
}
