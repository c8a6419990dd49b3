/*
 * fuzz_json.c - an organization as an API request body: JSON into fields,
 * field validation, the JSON views, and domain parsing of every string
 * value.  Validation normalizes in place and must be idempotent: a
 * validated organization validates again unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "registry/org.h"
#include "registry/org_json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
domains_of(const json_t *v, int depth)
{
	char out[KN_DOMAIN_MAX + 1];
	const char *key;
	json_t *e;
	size_t i;

	if (depth > 8)
		return;
	if (json_is_string(v)) {
		if (kn_domain_parse(out, json_string_value(v)) == 0 &&
		    strlen(out) > KN_DOMAIN_MAX)
			abort();
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			domains_of(e, depth + 1);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) {
			if (kn_domain_parse(out, key) == 0 &&
			    strlen(out) > KN_DOMAIN_MAX)
				abort();
			domains_of(e, depth + 1);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allow[] = { "number", NULL };
	struct kn_org org;
	char *before[KN_ORG_NFIELDS];
	json_error_t err;
	json_t *j, *view;
	int i;

	j = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &err);
	if (j == NULL)
		return 0;
	domains_of(j, 0);
	kn_org_init(&org);
	if (kn_org_from_json(&org, j, allow) == 0 &&
	    kn_org_validate(&org) == 0) {
		for (i = 0; i < KN_ORG_NFIELDS; i++)
			before[i] = org.f[i] ? strdup(org.f[i]) : NULL;
		if (kn_org_validate(&org) != 0)
			abort();
		for (i = 0; i < KN_ORG_NFIELDS; i++) {
			if ((before[i] == NULL) != (org.f[i] == NULL) ||
			    (before[i] != NULL &&
			    strcmp(before[i], org.f[i]) != 0))
				abort();
			free(before[i]);
		}
		if ((view = kn_org_to_json(&org, true)) != NULL) {
			char *s = json_dumps(view, JSON_COMPACT);

			free(s);
			json_decref(view);
		}
	}
	kn_org_cleanup(&org);
	json_decref(j);
	return 0;
}
