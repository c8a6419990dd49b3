/* dns.c - libunbound lookups with one resolver setting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unbound.h>

#include "dns/dns.h"

#define CLASS_IN 1
#define RCODE_NOERROR 0
#define RCODE_NXDOMAIN 3

struct kn_dns {
	struct ub_ctx	*ctx;
	char		 resolver[128];
};

/* Documentation prefixes libunbound would answer for (RFC 6303). */
static const char *const rfc6303[] = {
	"2.0.192.in-addr.arpa. nodefault",
	"100.51.198.in-addr.arpa. nodefault",
	"113.0.203.in-addr.arpa. nodefault",
	"8.b.d.0.1.0.0.2.ip6.arpa. nodefault",
};

int
kn_dns_new(struct kn_dns **out, const char *resolver, const char *anchor)
{
	struct kn_dns *d;
	size_t i;
	int err;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return KN_ERR_NOMEM;
	if ((d->ctx = ub_ctx_create()) == NULL) {
		free(d);
		return KN_ERR_NOMEM;
	}
	/*
	 * kakuin always forwards (to the configured server or to those of
	 * resolv.conf).  libunbound marks a server that let a query time
	 * out as down for infra-host-ttl (900 s by default), failing every
	 * other lookup meanwhile: one silent name must not cost a quarter
	 * of an hour of mail.
	 */
	(void)ub_ctx_set_option(d->ctx, "infra-host-ttl:", "60");
	/*
	 * libunbound answers the reverse zones of private and documentation
	 * addresses (RFC 6303) itself with NXDOMAIN.  The server kakuin
	 * forwards to knows better (an internal relay's PTR, a test zone):
	 * SPF's ptr mechanism and %{p} macro need its answers.
	 */
	(void)ub_ctx_set_option(d->ctx, "unblock-lan-zones:", "yes");
	(void)ub_ctx_set_option(d->ctx, "insecure-lan-zones:", "yes");
	for (i = 0; i < sizeof(rfc6303) / sizeof(rfc6303[0]); i++)
		(void)ub_ctx_set_option(d->ctx, "local-zone:", rfc6303[i]);
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
		err = ub_ctx_add_ta_file(d->ctx, anchor);
	if (err != 0) {
		int rc = kn_err_set(KN_ERR_CONFIG, "resolver", "DNS resolver "
		    "setting %s%s%s: %s", d->resolver,
		    anchor != NULL && *anchor != '\0' ? ", trust anchor " : "",
		    anchor != NULL ? anchor : "", ub_strerror(err));

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

int
kn_dns_set_timeout(struct kn_dns *d, unsigned ms)
{
	char v[16];
	int err;

	if (ms < 50 || ms > 120000)
		return kn_err_set(KN_ERR_INVAL, "timeout", "a DNS timeout "
		    "of %u ms is outside 50 to 120000 ms", ms);
	snprintf(v, sizeof(v), "%u", ms);
	if ((err = ub_ctx_set_option(d->ctx, "infra-cache-max-rtt:",
	    v)) != 0)
		return kn_err_set(KN_ERR_STATE, "timeout", "the DNS timeout "
		    "can only be set before the first lookup: %s",
		    ub_strerror(err));
	return 0;
}

const char *
kn_dns_resolver(const struct kn_dns *d)
{
	return d->resolver;
}

const char *
kn_dns_status_str(enum kn_dns_status s)
{
	switch (s) {
	case KN_DNS_OK:
		return "answer";
	case KN_DNS_NODATA:
		return "no records";
	case KN_DNS_NXDOMAIN:
		return "NXDOMAIN";
	case KN_DNS_TEMPFAIL:
		return "temporary failure";
	case KN_DNS_BOGUS:
		return "DNSSEC bogus";
	}
	return "?";
}

const char *
kn_dns_type_str(enum kn_dns_type t)
{
	switch (t) {
	case KN_DNS_A:
		return "A";
	case KN_DNS_PTR:
		return "PTR";
	case KN_DNS_MX:
		return "MX";
	case KN_DNS_TXT:
		return "TXT";
	case KN_DNS_AAAA:
		return "AAAA";
	}
	return "?";
}

bool
kn_dns_valid_name(const char *name, size_t len)
{
	size_t i, label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > KN_DNS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > KN_DNS_LABEL_MAX)
			return false;
	}
	return label > 0;
}

void
kn_dns_reverse_name(char *out, size_t outsz, int family,
    const unsigned char *addr)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i;

	if (outsz < 74) {
		if (outsz > 0)
			out[0] = '\0';
		return;
	}
	if (family == 4) {
		snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa", addr[3],
		    addr[2], addr[1], addr[0]);
		return;
	}
	for (i = 15; i >= 0; i--) {
		out[o++] = hex[addr[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[addr[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, outsz - o, "ip6.arpa");
}

/*
 * The name as libunbound parses it (presentation format): every byte of
 * a label other than a letter, digit, '-' or '_' becomes \DDD, so that
 * names made by macro expansion (spaces, '%', '\\') are queried as they
 * are.  out holds 4 * KN_DNS_NAME_MAX + 2 bytes.
 */
static void
escape_name(char *out, size_t outsz, const char *name, size_t len)
{
	size_t i, o = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (i = 0; i < len && o + 5 < outsz; i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\%03u", c);
	}
	out[o++] = '.';
	out[o] = '\0';
}

/* Joins the <length><bytes> character-strings of one TXT RDATA
 * (RFC 1035 section 3.3.14).  -1 when malformed. */
static int
join_strings(struct kn_dns_rr *rr, const unsigned char *p, size_t n)
{
	char *s;
	size_t i = 0, o = 0;

	if ((s = malloc(n + 1)) == NULL)
		return KN_ERR_NOMEM;
	while (i < n) {
		size_t len = p[i++];

		if (len > n - i) {
			free(s);
			return KN_ERR_INVAL;
		}
		memcpy(s + o, p + i, len);
		o += len;
		i += len;
	}
	s[o] = '\0';
	rr->text = s;
	rr->len = o;
	return 0;
}

/*
 * An uncompressed wire-format name (RFC 1035 section 3.1) as text without
 * the final dot.  A label holding a dot or a byte that is not a visible
 * ASCII character cannot be told apart in text: KN_ERR_INVAL.
 */
static int
wire_name(struct kn_dns_rr *rr, const unsigned char *p, size_t n)
{
	char buf[KN_DNS_NAME_MAX + 2];
	size_t i = 0, o = 0, j;

	while (i < n && p[i] != 0) {
		size_t len = p[i++];

		if (len > KN_DNS_LABEL_MAX || len > n - i ||
		    o + len + 1 > sizeof(buf) - 1)
			return KN_ERR_INVAL;
		if (o > 0)
			buf[o++] = '.';
		for (j = 0; j < len; j++) {
			if (p[i + j] <= 0x20 || p[i + j] >= 0x7f ||
			    p[i + j] == '.')
				return KN_ERR_INVAL;
			buf[o++] = (char)p[i + j];
		}
		i += len;
	}
	if (i >= n)
		return KN_ERR_INVAL;	/* no root label */
	buf[o] = '\0';
	if ((rr->text = strdup(buf)) == NULL)
		return KN_ERR_NOMEM;
	rr->len = o;
	return 0;
}

/* Decodes one RDATA; KN_ERR_INVAL for a malformed one (skipped). */
static int
decode_rr(struct kn_dns_rr *rr, enum kn_dns_type type,
    const unsigned char *p, size_t n)
{
	switch (type) {
	case KN_DNS_A:
		if (n != 4)
			return KN_ERR_INVAL;
		memcpy(rr->addr, p, 4);
		return 0;
	case KN_DNS_AAAA:
		if (n != 16)
			return KN_ERR_INVAL;
		memcpy(rr->addr, p, 16);
		return 0;
	case KN_DNS_TXT:
		return join_strings(rr, p, n);
	case KN_DNS_MX:
		if (n < 3)
			return KN_ERR_INVAL;
		rr->pref = (unsigned)p[0] << 8 | p[1];
		return wire_name(rr, p + 2, n - 2);
	case KN_DNS_PTR:
		return wire_name(rr, p, n);
	}
	return KN_ERR_INVAL;
}

void
kn_dns_answer_cleanup(struct kn_dns_answer *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->rr[i].text);
	free(a->rr);
	memset(a, 0, sizeof(*a));
}

int
kn_dns_lookup(struct kn_dns *d, struct kn_dns_budget *budget,
    struct kn_dns_answer *out, const char *name, enum kn_dns_type type)
{
	struct ub_result *res = NULL;
	char qname[4 * KN_DNS_NAME_MAX + 2];
	size_t i, len;
	int err, rc = 0;

	memset(out, 0, sizeof(*out));
	out->type = type;
	out->status = KN_DNS_TEMPFAIL;
	len = strlen(name);
	if (!kn_dns_valid_name(name, len))
		return kn_err_set(KN_ERR_INVAL, "name", "\"%.*s\" cannot be "
		    "looked up: a DNS name has 1 to 253 bytes in labels of 1 "
		    "to 63 (RFC 1035 section 2.3.4)", (int)(len > 300 ? 300 :
		    len), name);
	if (budget != NULL && budget->max != 0) {
		if (budget->used >= budget->max)
			return kn_err_set(KN_ERR_TOOBIG, "name", "DNS lookup "
			    "of %s %s not made: this message already used "
			    "its %u DNS queries", kn_dns_type_str(type), name,
			    budget->max);
		budget->used++;
	}
	escape_name(qname, sizeof(qname), name, len);
	err = ub_resolve(d->ctx, qname, (int)type, CLASS_IN, &res);
	if (err != 0)
		return kn_err_set(KN_ERR_DNS, "name", "DNS lookup of %s %s "
		    "through %s failed: %s", kn_dns_type_str(type), name,
		    d->resolver, ub_strerror(err));
	out->rcode = res->rcode;
	out->secure = res->secure != 0;
	if (res->bogus) {
		out->status = KN_DNS_BOGUS;
		out->secure = false;
		rc = kn_err_set(KN_ERR_DNS, "name", "the DNS answer for %s %s "
		    "failed DNSSEC validation (%s)", kn_dns_type_str(type),
		    name, res->why_bogus ? res->why_bogus : "bogus");
		goto out;
	}
	if (res->rcode == RCODE_NXDOMAIN) {
		out->status = KN_DNS_NXDOMAIN;
		goto out;
	}
	if (res->rcode != RCODE_NOERROR) {
		/* libunbound reports a timeout as SERVFAIL (RCODE 2). */
		rc = kn_err_set(KN_ERR_DNS, "name", "DNS lookup of %s %s "
		    "through %s failed: %s", kn_dns_type_str(type), name,
		    d->resolver, res->rcode == 2 ? "server failure or "
		    "timeout (SERVFAIL)" : res->rcode == 5 ? "REFUSED" :
		    "the server's RCODE was not NOERROR or NXDOMAIN");
		goto out;
	}
	if (!res->havedata) {
		out->status = KN_DNS_NODATA;
		goto out;
	}
	for (i = 0; res->data[i] != NULL; i++)
		out->total++;
	if ((out->rr = calloc(out->total < KN_DNS_MAX_RR ? out->total :
	    KN_DNS_MAX_RR, sizeof(*out->rr))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	for (i = 0; res->data[i] != NULL && out->n < KN_DNS_MAX_RR; i++) {
		int drc = decode_rr(&out->rr[out->n], type,
		    (const unsigned char *)res->data[i], (size_t)res->len[i]);

		if (drc == KN_ERR_NOMEM) {
			rc = drc;
			goto out;
		}
		if (drc == 0)
			out->n++;
	}
	out->status = KN_DNS_OK;
out:
	ub_resolve_free(res);
	return rc;
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

int
kn_dns_txt(struct kn_dns *d, const char *name, struct kn_dns_txt *out)
{
	struct kn_dns_answer a;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kn_dns_lookup(d, NULL, &a, name, KN_DNS_TXT);
	if (rc == KN_ERR_INVAL)
		rc = KN_ERR_DNS;	/* as before: any failure is DNS's */
	if (rc != 0)
		goto out;
	out->nxdomain = a.status == KN_DNS_NXDOMAIN;
	out->secure = a.secure;
	if (a.n == 0)
		goto out;
	if ((out->txt = calloc(a.n < KN_DNS_MAX_TXT ? a.n : KN_DNS_MAX_TXT,
	    sizeof(char *))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < a.n && out->n < KN_DNS_MAX_TXT; i++) {
		/* A NUL inside the record would truncate comparisons. */
		if (strlen(a.rr[i].text) != a.rr[i].len)
			continue;
		out->txt[out->n++] = a.rr[i].text;
		a.rr[i].text = NULL;
	}
out:
	if (rc != 0)
		kn_dns_txt_cleanup(out);
	kn_dns_answer_cleanup(&a);
	return rc;
}
