/* registry_int.h - helpers shared by the registry's files.  Private. */
#ifndef KN_REGISTRY_INT_H
#define KN_REGISTRY_INT_H

#include <stdint.h>

#include "base/buf.h"
#include "registry/org.h"

struct kn_stmt;

/* Columns read by kn__read_domain(), in its order. */
#define KN_DOMAIN_COLS "name, web, mail, token, token_expires, " \
	"created_at, verified_at, method, evidence, verified_by, " \
	"released_at, checked_at, check_result"

void	 kn__read_domain(struct kn_stmt *st, struct kn_domain *d);
int	 kn__org_status(struct kn_db *db, int64_t number, char out[12])
	    KN_WUR;
int	 kn__org_event(struct kn_db *db, int64_t number, const char *actor,
	    const char *from, const char *to, const char *reason,
	    const char *at) KN_WUR;
int	 kn__audit_org(struct kn_db *db, const char *actor,
	    const char *action, int64_t number, const char *detail) KN_WUR;
void	 kn__json_str(struct kn_buf *b, const char *s);
/* KN_ERR_STATE when sql (counting rows of number) reaches max. */
int	 kn__cap(struct kn_db *db, const char *sql, int64_t number,
	    int64_t max, const char *what) KN_WUR;

#endif
