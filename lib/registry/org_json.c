/* org_json.c - JSON views of organizations. */
#include <string.h>

#include "registry/corpnum.h"
#include "registry/org_json.h"

static int
put_str(json_t *o, const char *key, const char *v)
{
	return json_object_set_new(o, key, v ? json_string(v) : json_null());
}

json_t *
kn_domain_to_json(const struct kn_domain *d, bool officer)
{
	json_t *o = json_object(), *uses = json_array();
	char rec[KN_DOMAIN_MAX + 32];

	if (o == NULL || uses == NULL)
		goto fail;
	if (d->web)
		json_array_append_new(uses, json_string("web"));
	if (d->mail)
		json_array_append_new(uses, json_string("mail"));
	json_object_set_new(o, "domain", json_string(d->name));
	json_object_set_new(o, "uses", uses);
	uses = NULL;
	json_object_set_new(o, "verified", json_boolean(d->verified_at &&
	    !d->released_at));
	put_str(o, "verified_at", d->verified_at);
	put_str(o, "method", d->method);
	if (d->released_at)
		put_str(o, "released_at", d->released_at);
	if (officer) {
		snprintf(rec, sizeof(rec), "%s.%s", KN_CHALLENGE_LABEL,
		    d->name);
		put_str(o, "evidence", d->evidence);
		put_str(o, "verified_by", d->verified_by);
		put_str(o, "checked_at", d->checked_at);
		put_str(o, "check_result", d->check_result);
		if (!d->verified_at) {
			json_t *ch = json_object();
			char val[sizeof(KN_CHALLENGE_PREFIX) + KN_TOKEN_LEN];

			snprintf(val, sizeof(val), "%s%s",
			    KN_CHALLENGE_PREFIX, d->token);
			json_object_set_new(ch, "record", json_string(rec));
			json_object_set_new(ch, "type", json_string("TXT"));
			json_object_set_new(ch, "value", json_string(val));
			put_str(ch, "expires", d->token_expires);
			json_object_set_new(o, "challenge", ch);
		}
	}
	return o;
fail:
	json_decref(o);
	json_decref(uses);
	return NULL;
}

json_t *
kn_org_to_json(const struct kn_org *org, bool officer)
{
	json_t *o = json_object(), *doms = json_array(), *nta;
	char num[KN_CORPNUM_LEN + 1], succ[KN_CORPNUM_LEN + 1];
	size_t i;
	int k;

	if (o == NULL || doms == NULL) {
		json_decref(o);
		json_decref(doms);
		return NULL;
	}
	kn_corpnum_format(num, org->number);
	json_object_set_new(o, "number", json_string(num));
	for (k = 0; k < KN_ORG_NFIELDS; k++)
		put_str(o, kn_org_fields[k].key, org->f[k]);
	put_str(o, "kind", org->kind);
	json_object_set_new(o, "status", json_string(org->status));
	put_str(o, "status_at", org->status_at);
	put_str(o, "verified_since", org->verified_since);
	if (officer) {
		put_str(o, "status_reason", org->status_reason);
		put_str(o, "status_by", org->status_by);
		json_object_set_new(o, "hidden", json_boolean(org->hidden));
	}
	for (i = 0; i < org->ndomains; i++) {
		const struct kn_domain *d = &org->domains[i];

		if (!officer && (d->verified_at == NULL ||
		    d->released_at != NULL))
			continue;
		json_array_append_new(doms, kn_domain_to_json(d, officer));
	}
	if (org->loaded & KN_ORG_LOAD_DOMAINS)
		json_object_set_new(o, "domains", doms);
	else
		json_decref(doms);
	if (org->nta_updated != NULL) {
		nta = json_object();
		put_str(nta, "process", org->nta_process);
		put_str(nta, "updated", org->nta_updated);
		put_str(nta, "closed", org->nta_closed);
		put_str(nta, "close_cause", org->nta_close_cause);
		put_str(nta, "assigned", org->nta_assigned);
		if (org->nta_successor) {
			kn_corpnum_format(succ, org->nta_successor);
			put_str(nta, "successor", succ);
		}
		json_object_set_new(o, "nta", nta);
	}
	if (officer && (org->loaded & KN_ORG_LOAD_HISTORY)) {
		json_t *ev = json_array();

		for (i = 0; i < org->nevents; i++) {
			json_t *e = json_object();

			put_str(e, "at", org->events[i].at);
			put_str(e, "actor", org->events[i].actor);
			put_str(e, "from", org->events[i].from_status);
			put_str(e, "to", org->events[i].to_status);
			put_str(e, "reason", org->events[i].reason);
			json_array_append_new(ev, e);
		}
		json_object_set_new(o, "history", ev);
	}
	put_str(o, "created_at", org->created_at);
	put_str(o, "updated_at", org->updated_at);
	return o;
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
