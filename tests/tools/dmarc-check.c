/*
 * dmarc-check.c - test-only program: one DMARC verdict through lib/mail
 * against a real resolver, printed as JSON with the Authentication-Results
 * field kakuin would write for it (with --mark, also a kakuin-mark=pass
 * result for that corporate number and name, to check its encoding).
 * The end-to-end tests drive it against unbound on loopback
 * (tests/e2e/test_mail_dmarc.py).
 *
 *   dmarc-check [--rfc7489 | --rfc9989] [--resolver ADDR@PORT]
 *       [--psl FILE] --from DOMAIN [--dkim DOMAIN:pass|fail]...
 *       [--mailfrom DOMAIN] [--helo DOMAIN] [--spf RESULT] [--sample N]
 *       [--mark NUMBER:NAME]
 *   dmarc-check [--rfc7489 | --rfc9989] [--resolver ADDR@PORT]
 *       --org DOMAIN
 *
 * Exit status 0 with a verdict (whatever it is), 1 when no answer could
 * be given (--org lookup failed), 2 for bad arguments.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jsonw.h"
#include "base/text.h"
#include "dns/dns.h"
#include "mail/authres.h"
#include "mail/dmarc.h"

#define MAX_DKIM 64

static int
usage(void)
{
	fprintf(stderr, "usage: dmarc-check [--rfc7489|--rfc9989] "
	    "[--resolver ADDR@PORT] [--psl FILE] --from DOMAIN "
	    "[--dkim DOMAIN:pass|fail]... [--mailfrom DOMAIN] [--helo DOMAIN] "
	    "[--spf RESULT] [--sample N] [--mark NUMBER:NAME]\n"
	    "       dmarc-check [--rfc7489|--rfc9989] [--resolver ADDR@PORT] "
	    "--org DOMAIN\n");
	return 2;
}

static void
record_json(struct kn_jw *w, const struct kn_dmarc_record *r)
{
	char psd[2] = { r->psd, '\0' };
	size_t i;

	kn_jw_obj(w);
	kn_jw_kstr(w, "p", kn_dmarc_policy_name(r->p));
	kn_jw_kstr(w, "sp", r->sp ? kn_dmarc_policy_name(r->sp) : NULL);
	kn_jw_kstr(w, "np", r->np ? kn_dmarc_policy_name(r->np) : NULL);
	kn_jw_key(w, "p_implied");
	kn_jw_bool(w, r->p_implied);
	kn_jw_kstr(w, "adkim", r->adkim_strict ? "s" : "r");
	kn_jw_kstr(w, "aspf", r->aspf_strict ? "s" : "r");
	kn_jw_kstr(w, "psd", psd);
	kn_jw_kstr(w, "t", r->testing ? "y" : "n");
	kn_jw_key(w, "pct");
	kn_jw_int(w, r->pct);
	kn_jw_key(w, "rua");
	kn_jw_arr(w);
	for (i = 0; i < r->nrua; i++)
		kn_jw_str(w, r->rua[i]);
	kn_jw_end_arr(w);
	kn_jw_end_obj(w);
}

static int
verdict_json(struct kn_buf *b, const struct kn_dmarc_verdict *v,
    char *mark)
{
	char *name = NULL;
	struct kn_authres ar;
	struct kn_buf arb;
	struct kn_jw w;
	size_t i;
	int rc;

	/* The field kakuin writes for this verdict. */
	kn_authres_init(&ar);
	kn_buf_init(&arb, 1 << 16);
	rc = kn_authres_set_id(&ar, "mx.kakuin.example");
	if (rc == 0)
		rc = kn_authres_add_dmarc(&ar, kn_dmarc_result_name(v->result),
		    v->from_domain[0] ? v->from_domain : NULL,
		    kn_dmarc_policy_name(v->policy), v->reason);
	if (rc == 0 && mark != NULL) {
		if ((name = strchr(mark, ':')) != NULL)
			*name++ = '\0';
		rc = kn_authres_add_mark(&ar, "pass", v->from_domain, mark,
		    name, "test mark");
	}
	if (rc == 0)
		rc = kn_authres_encode(&arb, &ar, "\r\n\t");
	if (rc != 0) {
		fprintf(stderr, "dmarc-check: Authentication-Results: %s\n",
		    kn_err_msg(rc));
		kn_authres_cleanup(&ar);
		kn_buf_cleanup(&arb);
		return 1;
	}
	kn_jw_init(&w, b);
	kn_jw_obj(&w);
	kn_jw_kstr(&w, "mode", v->mode == KN_DMARC_RFC7489 ? "rfc7489" :
	    "rfc9989");
	kn_jw_kstr(&w, "result", kn_dmarc_result_name(v->result));
	kn_jw_kstr(&w, "policy", kn_dmarc_policy_name(v->policy));
	kn_jw_kstr(&w, "requested", v->requested ?
	    kn_dmarc_policy_name(v->requested) : NULL);
	kn_jw_kstr(&w, "policy_tag", v->policy_tag);
	kn_jw_kstr(&w, "from_domain", v->from_domain);
	kn_jw_kstr(&w, "policy_domain", v->policy_domain);
	kn_jw_kstr(&w, "org_domain", v->org_domain);
	kn_jw_key(&w, "from_nxdomain");
	kn_jw_bool(&w, v->from_nxdomain);
	kn_jw_key(&w, "aligned");
	kn_jw_arr(&w);
	if (v->aligned & KN_DMARC_ALIGNED_DKIM)
		kn_jw_str(&w, "dkim");
	if (v->aligned & KN_DMARC_ALIGNED_SPF)
		kn_jw_str(&w, "spf");
	kn_jw_end_arr(&w);
	kn_jw_kstr(&w, "dkim_domain", v->dkim_domain);
	kn_jw_kstr(&w, "spf_domain", v->spf_domain);
	kn_jw_key(&w, "spf_helo");
	kn_jw_bool(&w, v->spf_helo);
	kn_jw_key(&w, "dnssec");
	kn_jw_bool(&w, v->dnssec);
	kn_jw_key(&w, "queried");
	kn_jw_arr(&w);
	for (i = 0; i < v->nqueried; i++)
		kn_jw_str(&w, v->queried[i]);
	kn_jw_end_arr(&w);
	kn_jw_key(&w, "record");
	if (v->have_record)
		record_json(&w, &v->record);
	else
		kn_jw_null(&w);
	kn_jw_kstr(&w, "reason", v->reason);
	kn_jw_kstr(&w, "authentication_results", arb.data);
	kn_jw_end_obj(&w);
	kn_authres_cleanup(&ar);
	kn_buf_cleanup(&arb);
	return b->failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rfc7489", no_argument, NULL, '7' },
		{ "rfc9989", no_argument, NULL, '9' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "psl", required_argument, NULL, 'P' },
		{ "from", required_argument, NULL, 'f' },
		{ "dkim", required_argument, NULL, 'k' },
		{ "mailfrom", required_argument, NULL, 'm' },
		{ "helo", required_argument, NULL, 'H' },
		{ "spf", required_argument, NULL, 's' },
		{ "sample", required_argument, NULL, 'n' },
		{ "org", required_argument, NULL, 'o' },
		{ "mark", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct kn_dmarc_dkim dkim[MAX_DKIM];
	struct kn_dmarc_input in;
	struct kn_dmarc_verdict v;
	struct kn_dmarc *d = NULL;
	struct kn_dns *dns = NULL;
	struct kn_buf b;
	enum kn_dmarc_mode mode = KN_DMARC_RFC9989;
	const char *resolver = getenv("KAKUIN_RESOLVER"), *psl = NULL;
	const char *org = NULL;
	char *mark = NULL;
	char out[KN_DMARC_DOMAIN_MAX + 1], *colon;
	int64_t n;
	int ch, rc, status = 1;

	memset(&in, 0, sizeof(in));
	in.sample = -1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case '7':
			mode = KN_DMARC_RFC7489;
			break;
		case '9':
			mode = KN_DMARC_RFC9989;
			break;
		case 'r':
			resolver = optarg;
			break;
		case 'P':
			psl = optarg;
			break;
		case 'f':
			in.from_domain = optarg;
			break;
		case 'k':
			if (in.ndkim == MAX_DKIM ||
			    (colon = strrchr(optarg, ':')) == NULL)
				return usage();
			*colon = '\0';
			dkim[in.ndkim].domain = optarg;
			dkim[in.ndkim].pass = strcmp(colon + 1, "pass") == 0;
			in.dkim = dkim;
			in.ndkim++;
			break;
		case 'm':
			in.mailfrom_domain = optarg;
			break;
		case 'H':
			in.helo_domain = optarg;
			break;
		case 's':
			if (kn_dmarc_spf_parse(&in.spf, optarg) != 0)
				return usage();
			break;
		case 'n':
			if (kn_parse_int64(&n, optarg, 0, 99) != 0)
				return usage();
			in.sample = (int)n;
			break;
		case 'o':
			org = optarg;
			break;
		case 'M':
			mark = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || (in.from_domain == NULL && org == NULL))
		return usage();
	if ((rc = kn_dns_new(&dns, resolver, NULL)) != 0 ||
	    (rc = kn_dmarc_new(&d, dns, mode, psl)) != 0) {
		fprintf(stderr, "dmarc-check: %s\n", kn_err_msg(rc));
		goto out;
	}
	kn_buf_init(&b, 1 << 20);
	if (org != NULL) {
		if ((rc = kn_dmarc_org_domain(d, out, org)) != 0)
			fprintf(stderr, "dmarc-check: %s\n", kn_err_msg(rc));
		else {
			printf("{\"org_domain\": ");
			kn_json_quote(&b, out);
			printf("%s}\n", b.data);
			status = 0;
		}
	} else if ((rc = kn_dmarc_eval(d, &v, &in)) != 0)
		fprintf(stderr, "dmarc-check: %s\n", kn_err_msg(rc));
	else {
		if (verdict_json(&b, &v, mark) == 0) {
			printf("%s\n", b.data);
			status = 0;
		}
		kn_dmarc_verdict_cleanup(&v);
	}
	kn_buf_cleanup(&b);
out:
	kn_dmarc_free(d);
	kn_dns_free(dns);
	return status;
}
