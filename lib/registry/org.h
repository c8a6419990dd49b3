/*
 * org.h - organizations of the registry and their domains.
 *
 * An organization is identified by its corporate number.  Its status moves
 *
 *	listed  -> applied -> verified <-> suspended
 *	applied | verified | suspended -> withdrawn
 *
 * "listed" organizations come only from the National Tax Agency's data
 * (kakuin org import): known to exist, never checked by kakuin.  A listed
 * or withdrawn organization applies (again) with kn_org_add().  Every
 * status change is made by an officer with a reason, recorded in
 * org_events and the audit log in the same transaction.
 *
 * Domains: an organization claims a domain for web and/or mail use and
 * proves control by publishing a TXT record at _kakuin-challenge.<domain>
 * holding the token kakuin issued.  Once proven, a domain belongs to that
 * organization only, until the organization withdraws.
 */
#ifndef KN_REGISTRY_ORG_H
#define KN_REGISTRY_ORG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct kn_db;
struct kn_dns;

/* Descriptive fields, in the order of kn_org_fields[]. */
enum kn_org_field {
	KN_ORG_NAME,
	KN_ORG_NAME_EN,
	KN_ORG_KANA,
	KN_ORG_ADDRESS,
	KN_ORG_ADDRESS_EN,
	KN_ORG_POSTAL_CODE,
	KN_ORG_URL,
	KN_ORG_FOUNDED,
	KN_ORG_PHONE,
	KN_ORG_DESCRIPTION,
	KN_ORG_NFIELDS
};

struct kn_org_field_info {
	const char	*key;		/* JSON key and column, e.g. "name_en" */
	const char	*flag;		/* CLI flag, e.g. "name-en" */
	size_t		 maxchars;
	bool		 multiline;
	/* Extra syntax rule; NULL when free text.  Normalizes in place. */
	int		(*check)(const char *key, char *value);
};
extern const struct kn_org_field_info kn_org_fields[KN_ORG_NFIELDS];

#define KN_DOMAIN_MAX 253
#define KN_ORG_MAX_DOMAINS 1000	/* domain claims loaded per organization */
#define KN_ORG_MAX_EVENTS 10000	/* status changes loaded per organization */
#define KN_TOKEN_LEN 43		/* base64url of 32 random bytes */
#define KN_CHALLENGE_LABEL "_kakuin-challenge"
#define KN_CHALLENGE_PREFIX "kakuin-domain-verification="

struct kn_domain {
	char	 name[KN_DOMAIN_MAX + 1];
	bool	 web;
	bool	 mail;
	char	*token;
	char	*token_expires;
	char	*created_at;
	char	*verified_at;	/* NULL while unproven */
	char	*method;	/* "dns-txt" or "demo" */
	char	*evidence;
	char	*verified_by;
	char	*released_at;
	char	*checked_at;
	char	*check_result;
};

struct kn_org_event {
	char	*at;
	char	*actor;
	char	*from_status;
	char	*to_status;
	char	*reason;
};

struct kn_org {
	int64_t		 number;
	char		*f[KN_ORG_NFIELDS];
	char		*kind;		/* NTA kind code, e.g. "301" */
	char		 status[12];
	char		*status_reason;
	char		*status_by;
	char		*status_at;
	char		*verified_since;
	bool		 hidden;
	char		*nta_process;
	char		*nta_updated;
	char		*nta_closed;
	char		*nta_close_cause;
	int64_t		 nta_successor;
	char		*nta_assigned;
	char		*created_at;
	char		*updated_at;
	unsigned	 loaded;	/* KN_ORG_LOAD_* parts present */
	unsigned	 clear;		/* fields given empty: 1 << field */
	struct kn_domain *domains;	/* loaded by kn_org_get */
	size_t		 ndomains;
	struct kn_org_event *events;	/* loaded by kn_org_get */
	size_t		 nevents;
};

void	kn_org_init(struct kn_org *org);
void	kn_org_cleanup(struct kn_org *org);
/* Replaces field i with a copy of v (NULL clears it). */
int	kn_org_set(struct kn_org *org, enum kn_org_field i, const char *v)
	    KN_WUR;
/* Index of the field with this JSON key, or -1. */
int	kn_org_field_by_key(const char *key);
int	kn_org_field_by_flag(const char *flag);
/* Checks every set field of org (and that a name is present). */
int	kn_org_validate(struct kn_org *org) KN_WUR;

/*
 * Registers an application: a new organization, or a listed one (from NTA
 * data) applying now, in status "applied".  Fields given in org replace
 * listed data.  KN_ERR_EXISTS when the organization has already applied.
 */
int	kn_org_add(struct kn_db *db, const char *actor, struct kn_org *org)
	    KN_WUR;
/* Updates the descriptive fields set in org (NULL fields are kept). */
int	kn_org_update(struct kn_db *db, const char *actor, struct kn_org *org)
	    KN_WUR;
/* Loads one organization with its domains and status history. */
int	kn_org_get(struct kn_db *db, struct kn_org *out, int64_t number)
	    KN_WUR;

#define KN_ORG_LOAD_DOMAINS	0x1
#define KN_ORG_LOAD_HISTORY	0x2
/* Loads one organization with the parts named in flags (public views
 * need no history). */
int	kn_org_load(struct kn_db *db, struct kn_org *out, int64_t number,
	    unsigned flags) KN_WUR;
/*
 * Moves an organization to status to ("verified", "suspended",
 * "withdrawn") for a reason.  KN_ERR_STATE names the transition refused.
 * Withdrawal releases the organization's domains.
 */
int	kn_org_set_status(struct kn_db *db, const char *actor, int64_t number,
	    const char *to, const char *reason) KN_WUR;

struct kn_org_query {
	const char	*q;		/* name, kana, number or domain; may be
					   NULL or "" for all */
	const char	*status;	/* only this status; NULL for any but
					   "listed" unless q is given */
	bool		 include_hidden;
	int		 limit;		/* 1..500 */
	int		 offset;
};

struct kn_org_list {
	struct kn_org	*orgs;
	size_t		 n;
	bool		 more;		/* another page exists */
};

int	kn_org_search(struct kn_db *db, struct kn_org_list *out,
	    const struct kn_org_query *q) KN_WUR;
void	kn_org_list_cleanup(struct kn_org_list *l);

/*
 * Domain names: lower-cased, trailing dot removed, LDH labels of 1..63
 * (RFC 1035 section 2.3.4, RFC 5890 A-labels allowed), at least two labels,
 * at most 253 characters.  Writes the normal form to out.
 */
int	kn_domain_parse(char out[KN_DOMAIN_MAX + 1], const char *in) KN_WUR;

/*
 * Claims a domain for web and/or mail use and returns its challenge in
 * *out (token and expiry).  A repeated claim adds the use and returns the
 * same token while it is valid.  KN_ERR_EXISTS when another organization
 * has already proven control of the domain.
 */
int	kn_domain_add(struct kn_db *db, const char *actor, int64_t number,
	    const char *name, bool web, bool mail, struct kn_domain *out)
	    KN_WUR;

/*
 * Looks up TXT _kakuin-challenge.<domain> through dns and, when it holds
 * the token, records the domain as verified (when, how, the evidence).
 * The check itself is recorded either way.  Returns 0 when verified (or
 * already verified), KN_ERR_VERIFY with the reason when the record is
 * missing or wrong, KN_ERR_DNS when the lookup failed.
 */
int	kn_domain_check(struct kn_db *db, struct kn_dns *dns,
	    const char *actor, int64_t number, const char *name,
	    struct kn_domain *out) KN_WUR;

/* Marks a domain verified without DNS (demo data only). */
int	kn_domain_mark_verified(struct kn_db *db, const char *actor,
	    int64_t number, const char *name, const char *method) KN_WUR;

void	kn_domain_cleanup(struct kn_domain *d);

/* True for a status name kakuin knows. */
bool	kn_valid_status(const char *s);

#endif
