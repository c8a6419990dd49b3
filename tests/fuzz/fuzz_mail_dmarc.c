/*
 * fuzz_mail_dmarc.c - the DMARC record parser under both RFCs, and the
 * RFC 7489 Organizational Domain of the same bytes taken as a domain.
 * An accepted record starts with v=DMARC1, has a policy, keeps at most
 * KN_DMARC_MAX_URIS URIs per list, and only the tags of its RFC; an
 * Organizational Domain is the domain itself or one of its parents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dmarc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct kn_dmarc *psl;

static void
check(const struct kn_dmarc_record *r, const char *txt, size_t size,
    enum kn_dmarc_mode mode)
{
	size_t i;

	if (!kn_dmarc_record_is_dmarc(txt, size) || r->mode != mode ||
	    r->p == KN_DMARC_POLICY_UNSET || r->p > KN_DMARC_POLICY_REJECT ||
	    r->sp > KN_DMARC_POLICY_REJECT || r->np > KN_DMARC_POLICY_REJECT ||
	    r->pct < 0 || r->pct > 100 || r->nrua > KN_DMARC_MAX_URIS ||
	    r->nruf > KN_DMARC_MAX_URIS ||
	    (r->psd != 'y' && r->psd != 'n' && r->psd != 'u'))
		abort();
	if (mode == KN_DMARC_RFC7489 && (r->np != KN_DMARC_POLICY_UNSET ||
	    r->testing || r->psd != 'u'))
		abort();
	if (mode == KN_DMARC_RFC9989 && r->pct != 100)
		abort();
	for (i = 0; i < r->nrua; i++) {
		if (r->rua[i] == NULL || strchr(r->rua[i], ':') == NULL ||
		    strchr(r->rua[i], '!') != NULL ||
		    strchr(r->rua[i], ',') != NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_dmarc_record r;
	char org[KN_DMARC_DOMAIN_MAX + 1], dom[KN_DMARC_DOMAIN_MAX + 2];
	const char *txt = (const char *)data;
	char *s;
	size_t n, m;
	int rc;

	if (psl == NULL && kn_dmarc_new(&psl, NULL, KN_DMARC_RFC7489,
	    NULL) != 0)
		abort();
	rc = kn_dmarc_record_parse(&r, txt, size, KN_DMARC_RFC7489);
	if (rc == 0) {
		check(&r, txt, size, KN_DMARC_RFC7489);
		kn_dmarc_record_cleanup(&r);
	} else if (rc != KN_ERR_INVAL && rc != KN_ERR_TOOBIG &&
	    rc != KN_ERR_NOMEM)
		abort();
	rc = kn_dmarc_record_parse(&r, txt, size, KN_DMARC_RFC9989);
	if (rc == 0) {
		check(&r, txt, size, KN_DMARC_RFC9989);
		kn_dmarc_record_cleanup(&r);
	} else if (rc != KN_ERR_INVAL && rc != KN_ERR_TOOBIG &&
	    rc != KN_ERR_NOMEM)
		abort();

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (kn_dmarc_org_domain(psl, org, s) == 0) {
		/* The input, lowercased, without a final dot. */
		n = strlen(s);
		if (n > 0 && s[n - 1] == '.')
			n--;
		if (n > KN_DMARC_DOMAIN_MAX)
			abort();
		for (m = 0; m < n; m++)
			dom[m] = (s[m] >= 'A' && s[m] <= 'Z') ?
			    (char)(s[m] + 32) : s[m];
		dom[n] = '\0';
		m = strlen(org);
		if (m == 0 || m > n || strcmp(dom + n - m, org) != 0 ||
		    (m < n && dom[n - m - 1] != '.'))
			abort();
	}
	free(s);
	return 0;
}
