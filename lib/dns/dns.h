/*
 * dns.h - every DNS lookup kakuin makes goes through here (libunbound).
 *
 * One resolver setting for the whole process: the system's resolv.conf by
 * default, or "ADDR@PORT" (KAKUIN_RESOLVER or the config's resolver key)
 * to send every query to one server, as tests do with their DNS server on
 * loopback.  With a trust anchor file, answers are DNSSEC-validated and the
 * result says whether they were secure.
 */
#ifndef KN_DNS_DNS_H
#define KN_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct kn_dns;

#define KN_DNS_MAX_TXT 32	/* TXT records considered per name */

struct kn_dns_txt {
	char	**txt;		/* each record's strings concatenated */
	size_t	  n;
	bool	  nxdomain;
	bool	  secure;	/* DNSSEC validated */
};

/*
 * resolver: NULL or "" for the system's, else "ADDR" or "ADDR@PORT".
 * anchor: NULL, or a file of trust anchors (e.g. /usr/share/dns/root.key)
 * to enable DNSSEC validation.
 */
int	kn_dns_new(struct kn_dns **out, const char *resolver,
	    const char *anchor) KN_WUR;
void	kn_dns_free(struct kn_dns *dns);
/* "system" or the configured ADDR@PORT. */
const char *kn_dns_resolver(const struct kn_dns *dns);
/*
 * Looks up the TXT records of name.  A name that does not exist or has no
 * TXT records is success with n == 0.  A bogus (failed DNSSEC) answer,
 * SERVFAIL or timeout is KN_ERR_DNS.
 */
int	kn_dns_txt(struct kn_dns *dns, const char *name,
	    struct kn_dns_txt *out) KN_WUR;
void	kn_dns_txt_cleanup(struct kn_dns_txt *t);

#endif
