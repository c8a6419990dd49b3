/* dns.c - libunbound lookups with one resolver setting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unbound.h>

#include "dns/dns.h"

#define TYPE_TXT 16
#define CLASS_IN 1
#define RCODE_SERVFAIL 2

struct kn_dns {
	struct ub_ctx	*ctx;
	char		 resolver[128];
};

int
kn_dns_new(struct kn_dns **out, const char *resolver, const char *anchor)
{
	struct kn_dns *d;
	int err;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return KN_ERR_NOMEM;
	if ((d->ctx = ub_ctx_create()) == NULL) {
		free(d);
		return KN_ERR_NOMEM;
	}
	if (resolver != NULL && *resolver != '\0') {
		snprintf(d->resolver, sizeof(d->resolver), "%s", resolver);
		/* Queries to a server on this machine are the point here. */
		(void)ub_ctx_set_option(d->ctx, "do-not-query-localhost:",
		    "no");
		/*
		 * libunbound answers the special-use names of RFC 6761
		 * itself; with one configured server, that server decides
		 * (test zones live under test. and invalid.).
		 */
		(void)ub_ctx_set_option(d->ctx, "local-zone:",
		    "test. transparent");
		(void)ub_ctx_set_option(d->ctx, "local-zone:",
		    "invalid. transparent");
		err = ub_ctx_set_fwd(d->ctx, resolver);
	} else {
		snprintf(d->resolver, sizeof(d->resolver), "system");
		err = ub_ctx_resolvconf(d->ctx, NULL);
		if (err == 0)
			err = ub_ctx_hosts(d->ctx, NULL);
	}
	if (err == 0 && anchor != NULL && *anchor != '\0')
		err = ub_ctx_add_ta_autr(d->ctx, anchor);
	if (err != 0) {
		int rc = kn_err_set(KN_ERR_CONFIG, "resolver", "DNS resolver "
		    "setting %s: %s", d->resolver, ub_strerror(err));

		ub_ctx_delete(d->ctx);
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void
kn_dns_free(struct kn_dns *d)
{
	if (d == NULL)
		return;
	ub_ctx_delete(d->ctx);
	free(d);
}

const char *
kn_dns_resolver(const struct kn_dns *d)
{
	return d->resolver;
}

void
kn_dns_txt_cleanup(struct kn_dns_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->txt[i]);
	free(t->txt);
	memset(t, 0, sizeof(*t));
}

/* Joins the <length><bytes> character-strings of one TXT RDATA
 * (RFC 1035 section 3.3.14).  NULL when malformed. */
static char *
join_strings(const unsigned char *p, size_t n)
{
	char *s, *o;
	size_t i = 0;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	o = s;
	while (i < n) {
		size_t len = p[i++];

		if (len > n - i) {
			free(s);
			return NULL;
		}
		memcpy(o, p + i, len);
		o += len;
		i += len;
	}
	*o = '\0';
	/* A NUL inside the record would truncate comparisons: reject. */
	if ((size_t)(o - s) != strlen(s)) {
		free(s);
		return NULL;
	}
	return s;
}

int
kn_dns_txt(struct kn_dns *d, const char *name, struct kn_dns_txt *out)
{
	struct ub_result *res = NULL;
	int err, rc = 0, i;

	memset(out, 0, sizeof(*out));
	err = ub_resolve(d->ctx, name, TYPE_TXT, CLASS_IN, &res);
	if (err != 0)
		return kn_err_set(KN_ERR_DNS, NULL, "DNS lookup of %s through "
		    "%s failed: %s", name, d->resolver, ub_strerror(err));
	if (res->bogus) {
		rc = kn_err_set(KN_ERR_DNS, NULL, "the DNS answer for %s "
		    "failed DNSSEC validation (%s)", name,
		    res->why_bogus ? res->why_bogus : "bogus");
		goto out;
	}
	if (res->rcode == RCODE_SERVFAIL) {
		rc = kn_err_set(KN_ERR_DNS, NULL, "DNS server failure "
		    "(SERVFAIL) for %s through %s", name, d->resolver);
		goto out;
	}
	out->nxdomain = res->nxdomain != 0;
	out->secure = res->secure != 0;
	if (!res->havedata)
		goto out;
	for (i = 0; res->data[i] != NULL && i < KN_DNS_MAX_TXT; i++)
		;
	if ((out->txt = calloc((size_t)i, sizeof(char *))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	for (i = 0; res->data[i] != NULL && i < KN_DNS_MAX_TXT; i++) {
		char *s = join_strings((unsigned char *)res->data[i],
		    (size_t)res->len[i]);

		if (s != NULL)
			out->txt[out->n++] = s;
	}
out:
	ub_resolve_free(res);
	return rc;
}
