/*
 * org_json.h - organizations as JSON, for the API and the CLI's --json.
 *
 * The public view holds what the registry publishes: who, status, since
 * when, and proven domains.  The officer view adds the status reasons and
 * history, pending domain claims and their challenge tokens.
 */
#ifndef KN_REGISTRY_ORG_JSON_H
#define KN_REGISTRY_ORG_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "base/jsonw.h"
#include "registry/org.h"

/*
 * Writes the view of an organization or domain claim.  This is the one
 * definition of their JSON shape; the _to_json forms parse it back into a
 * jansson tree for callers that want one (the CLI's pretty printing).
 */
void	kn_org_write_json(struct kn_jw *w, const struct kn_org *org,
	    bool officer);
void	kn_domain_write_json(struct kn_jw *w, const struct kn_domain *d,
	    bool officer);
/* New reference, or NULL when out of memory. */
json_t	*kn_org_to_json(const struct kn_org *org, bool officer);
json_t	*kn_domain_to_json(const struct kn_domain *d, bool officer);
/*
 * Reads descriptive fields from a JSON object into org.  Every value must
 * be a string (null clears nothing); an unknown key is an error naming it,
 * unless it is listed in allow (NULL-terminated; may be NULL).
 */
int	kn_org_from_json(struct kn_org *org, const json_t *obj,
	    const char *const *allow) KN_WUR;

#endif
