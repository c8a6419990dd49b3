/*
 * fuzz_mail_spf.c - the SPF record parser (RFC 7208 sections 4.5 to 6).
 * An accepted record has at most KN_SPF_MAX_TERMS terms, every slice
 * lies inside the input, prefix lengths are in range, every domain-spec
 * passes the macro syntax check, and parsing again gives the same terms.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/spf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
inside(const struct kn_slice *s, const char *p, size_t n)
{
	if (s->len == 0)
		return;
	if (s->ptr < p || s->ptr + s->len > p + n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kn_spf_record r, again;
	const char *p = (const char *)data;
	size_t i;

	if (kn_spf_parse(&r, p, size) != 0)
		return 0;
	if (!kn_spf_is_record(p, size) || r.n > KN_SPF_MAX_TERMS ||
	    r.dns_terms > r.n)
		abort();
	inside(&r.redirect, p, size);
	inside(&r.exp, p, size);
	for (i = 0; i < r.n; i++) {
		const struct kn_spf_term *t = &r.term[i];

		inside(&t->text, p, size);
		inside(&t->domain, p, size);
		if (t->text.len == 0 || t->cidr4 > 32 || t->cidr6 > 128)
			abort();
		if (t->domain.len > 0 && kn_spf_expand(NULL, NULL,
		    t->domain.ptr, t->domain.len, KN_SPF_DOMAIN_SPEC) != 0)
			abort();
	}
	if (kn_spf_parse(&again, p, size) != 0 || again.n != r.n ||
	    again.dns_terms != r.dns_terms)
		abort();
	for (i = 0; i < r.n; i++) {
		if (again.term[i].mech != r.term[i].mech ||
		    again.term[i].qualifier != r.term[i].qualifier ||
		    memcmp(again.term[i].addr, r.term[i].addr, 16) != 0)
			abort();
	}
	return 0;
}
