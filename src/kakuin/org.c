/* org.c - kakuin org add|update|show|list|search|verify|suspend|withdraw|
 * domain add|check|list|import */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/text.h"
#include "dns/dns.h"
#include "kakuin/cli.h"
#include "registry/corpnum.h"
#include "registry/nta.h"
#include "registry/org.h"
#include "registry/org_json.h"
#include "store/db.h"

#define USAGE "org add|update|show|list|search|verify|suspend|withdraw|" \
	"domain|import ..."

static int
parse_number(struct cli *c, const char *s, int64_t *out)
{
	int rc;

	if ((rc = kn_corpnum_parse(out, s, strlen(s))) != 0)
		return cli_fail(c, rc, NULL);
	return 0;
}

/* Builds getopt options from kn_org_fields[] plus the given extras. */
static struct option *
field_options(const struct option *extra, size_t nextra)
{
	struct option *o;
	size_t i;

	o = calloc(KN_ORG_NFIELDS + nextra + 1, sizeof(*o));
	if (o == NULL)
		return NULL;
	for (i = 0; i < KN_ORG_NFIELDS; i++) {
		o[i].name = kn_org_fields[i].flag;
		o[i].has_arg = required_argument;
		o[i].val = 1000 + (int)i;
	}
	for (i = 0; i < nextra; i++)
		o[KN_ORG_NFIELDS + i] = extra[i];
	return o;
}

static void
print_org(const struct kn_org *o)
{
	char num[KN_CORPNUM_LEN + 1];
	size_t i;
	int k;

	kn_corpnum_format(num, o->number);
	printf("%s  %s", num, o->f[KN_ORG_NAME]);
	if (o->f[KN_ORG_NAME_EN])
		printf(" (%s)", o->f[KN_ORG_NAME_EN]);
	printf("\n  %-12s %s", "status", o->status);
	if (strcmp(o->status, "verified") == 0 && o->verified_since)
		printf(" since %.10s", o->verified_since);
	if (o->status_at && strcmp(o->status, "listed") != 0)
		printf(" (%.10s by %s: %s)", o->status_at,
		    o->status_by ? o->status_by : "-",
		    o->status_reason ? o->status_reason : "");
	if (strcmp(o->status, "listed") == 0)
		printf(" (published by the National Tax Agency; not verified "
		    "by kakuin)");
	printf("\n");
	for (k = KN_ORG_KANA; k < KN_ORG_NFIELDS; k++) {
		if (o->f[k] != NULL)
			printf("  %-12s %s\n", kn_org_fields[k].key, o->f[k]);
	}
	if (o->nta_closed)
		printf("  %-12s registry record closed on %s (cause %s)\n",
		    "nta", o->nta_closed,
		    o->nta_close_cause ? o->nta_close_cause : "-");
	for (i = 0; i < o->ndomains; i++) {
		const struct kn_domain *d = &o->domains[i];

		printf("  %-12s %s (%s%s%s) ", i == 0 ? "domains" : "",
		    d->name, d->web ? "web" : "", d->web && d->mail ? ", " :
		    "", d->mail ? "mail" : "");
		if (d->released_at)
			printf("released %.10s\n", d->released_at);
		else if (d->verified_at)
			printf("verified %.10s by %s\n", d->verified_at,
			    d->method);
		else
			printf("pending: publish TXT %s.%s \"%s%s\" (until "
			    "%.10s)\n", KN_CHALLENGE_LABEL, d->name,
			    KN_CHALLENGE_PREFIX, d->token, d->token_expires);
	}
}

static int
org_add_or_update(struct cli *c, int argc, char **argv, bool add)
{
	static const struct option extra[] = {
		{ "number", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
	};
	struct option *opts = field_options(extra, 2);
	struct kn_org org, got;
	const char *number = NULL;
	bool json = false;
	int ch, rc, ret = EXIT_BAD;

	kn_org_init(&org);
	kn_org_init(&got);
	if (opts == NULL)
		return EXIT_BAD;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch >= 1000 && ch < 1000 + KN_ORG_NFIELDS) {
			if (kn_org_set(&org, (enum kn_org_field)(ch - 1000),
			    optarg) != 0)
				goto out;
		} else if (ch == 'n')
			number = optarg;
		else if (ch == 'j')
			json = true;
		else {
			ret = cli_usage(add ? "org add --number N --name NAME "
			    "[--name-en ..] [--kana ..] [--address ..] "
			    "[--url ..] ... [--json]" : "org update NUMBER "
			    "[--FIELD VALUE ...] [--json]");
			goto out;
		}
	}
	if (!add && optind + 1 == argc)
		number = argv[optind++];
	if (number == NULL || optind != argc) {
		ret = cli_usage(add ? "org add --number N --name NAME ..." :
		    "org update NUMBER --FIELD VALUE ...");
		goto out;
	}
	if (parse_number(c, number, &org.number) != 0)
		goto out;
	if (cli_open(c) != 0)
		goto out;
	rc = add ? kn_org_add(c->db, c->actor, &org) :
	    kn_org_update(c->db, c->actor, &org);
	if (rc == 0)
		rc = kn_org_get(c->db, &got, org.number);
	if (rc != 0) {
		ret = json ? cli_fail_json(c, rc, add ? "org add" :
		    "org update") : cli_fail(c, rc, add ? "org add" :
		    "org update");
		goto out;
	}
	if (json)
		cli_print_json(kn_org_to_json(&got, true));
	else {
		printf("kakuin: %s %s\n", add ? "registered application of" :
		    "updated", got.f[KN_ORG_NAME]);
		print_org(&got);
	}
	ret = 0;
out:
	cli_close(c);
	kn_org_cleanup(&org);
	kn_org_cleanup(&got);
	free(opts);
	return ret;
}

static int
org_show(struct cli *c, int argc, char **argv)
{
	struct kn_org org;
	int64_t number;
	bool json = false;
	const char *arg = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (arg == NULL)
			arg = argv[i];
		else
			return cli_usage("org show NUMBER [--json]");
	}
	if (arg == NULL)
		return cli_usage("org show NUMBER [--json]");
	if (parse_number(c, arg, &number) != 0)
		return EXIT_BAD;
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_org_get(c->db, &org, number);
	cli_close(c);
	if (rc != 0)
		return json ? cli_fail_json(c, rc, "org show") :
		    cli_fail(c, rc, "org show");
	if (json)
		cli_print_json(kn_org_to_json(&org, true));
	else
		print_org(&org);
	kn_org_cleanup(&org);
	return 0;
}

static int
org_list(struct cli *c, int argc, char **argv, bool search)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kn_org_query q = { .limit = 50, .include_hidden = true };
	struct kn_org_list l;
	int64_t v;
	bool json = false;
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			q.status = optarg;
			break;
		case 'l':
		case 'o':
			if (kn_parse_int64(&v, optarg, 0, 100000) != 0) {
				fprintf(stderr, "kakuin: --%s takes a number\n",
				    ch == 'l' ? "limit" : "offset");
				return EXIT_BAD;
			}
			if (ch == 'l')
				q.limit = (int)v;
			else
				q.offset = (int)v;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage(search ? "org search QUERY [--status "
			    "S] [--limit N] [--json]" : "org list [--status S] "
			    "[--limit N] [--offset N] [--json]");
		}
	}
	if (search) {
		if (optind + 1 != argc)
			return cli_usage("org search QUERY [--json]");
		q.q = argv[optind];
	} else if (optind != argc)
		return cli_usage("org list [--status S] [--json]");
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_org_search(c->db, &l, &q);
	cli_close(c);
	if (rc != 0)
		return json ? cli_fail_json(c, rc, "org list") :
		    cli_fail(c, rc, "org list");
	if (json) {
		json_t *a = json_array();

		bool more = l.more;

		for (i = 0; i < l.n; i++)
			json_array_append_new(a, kn_org_to_json(&l.orgs[i],
			    false));
		kn_org_list_cleanup(&l);
		return cli_print_json(json_pack("{s:o, s:b}", "orgs", a,
		    "more", more));
	}
	for (i = 0; i < l.n; i++) {
		char num[KN_CORPNUM_LEN + 1];

		kn_corpnum_format(num, l.orgs[i].number);
		printf("%s  %-9s  %s%s%s%s\n", num, l.orgs[i].status,
		    l.orgs[i].f[KN_ORG_NAME], l.orgs[i].f[KN_ORG_NAME_EN] ?
		    " (" : "", l.orgs[i].f[KN_ORG_NAME_EN] ?
		    l.orgs[i].f[KN_ORG_NAME_EN] : "",
		    l.orgs[i].f[KN_ORG_NAME_EN] ? ")" : "");
	}
	if (l.n == 0)
		printf("no organizations found\n");
	else if (l.more)
		printf("... more: use --offset %zu\n", q.offset + l.n);
	kn_org_list_cleanup(&l);
	return 0;
}

static int
org_status(struct cli *c, int argc, char **argv, const char *to)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kn_org org;
	const char *reason = NULL;
	char usage[96];
	int64_t number;
	bool json = false;
	int ch, rc;

	snprintf(usage, sizeof(usage), "org %s NUMBER --reason TEXT [--json]",
	    argv[0]);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			reason = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
	if (parse_number(c, argv[optind], &number) != 0)
		return EXIT_BAD;
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_org_set_status(c->db, c->actor, number, to, reason);
	if (rc == 0)
		rc = kn_org_get(c->db, &org, number);
	cli_close(c);
	if (rc != 0)
		return json ? cli_fail_json(c, rc, argv[0]) :
		    cli_fail(c, rc, argv[0]);
	if (json)
		cli_print_json(kn_org_to_json(&org, true));
	else
		printf("kakuin: %s is now %s\n", org.f[KN_ORG_NAME],
		    org.status);
	kn_org_cleanup(&org);
	return 0;
}

static int
domain_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "web", no_argument, NULL, 'w' },
		{ "mail", no_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "org domain add|check NUMBER DOMAIN "
	    "[--web] [--mail] [--json]";
	struct kn_domain d;
	struct kn_dns *dns = NULL;
	int64_t number;
	bool web = false, mail = false, json = false, add;
	int ch, rc;

	memset(&d, 0, sizeof(d));
	if (argc < 2)
		return cli_usage(usage);
	argc--;
	argv++;
	if (strcmp(argv[0], "add") == 0)
		add = true;
	else if (strcmp(argv[0], "check") == 0)
		add = false;
	else
		return cli_usage(usage);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'w')
			web = true;
		else if (ch == 'm')
			mail = true;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind + 2 != argc)
		return cli_usage(usage);
	if (parse_number(c, argv[optind], &number) != 0)
		return EXIT_BAD;
	if (!web && !mail)
		web = mail = true;
	if (cli_open(c) != 0)
		return EXIT_BAD;
	if (add)
		rc = kn_domain_add(c->db, c->actor, number, argv[optind + 1],
		    web, mail, &d);
	else if ((rc = kn_dns_new(&dns, c->cfg.resolver,
	    c->cfg.dnssec_anchor)) == 0)
		rc = kn_domain_check(c->db, dns, c->actor, number,
		    argv[optind + 1], &d);
	kn_dns_free(dns);
	cli_close(c);
	if (rc != 0) {
		kn_domain_cleanup(&d);
		return json ? cli_fail_json(c, rc, add ? "domain add" :
		    "domain check") : cli_fail(c, rc, add ? "domain add" :
		    "domain check");
	}
	if (json)
		cli_print_json(kn_domain_to_json(&d, true));
	else if (d.verified_at)
		printf("kakuin: %s is verified (%s, %s)\n", d.name,
		    d.verified_at, d.method);
	else
		printf("kakuin: to prove control of %s, publish this DNS "
		    "record, then run kakuin org domain check:\n"
		    "  %s.%s. IN TXT \"%s%s\"\n(the token is valid until "
		    "%s)\n", d.name, KN_CHALLENGE_LABEL, d.name,
		    KN_CHALLENGE_PREFIX, d.token, d.token_expires);
	kn_domain_cleanup(&d);
	return 0;
}

struct bar {
	bool		 tty;
	struct timespec	 start;
};

static double
elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void
progress(void *arg, const struct kn_import_progress *p)
{
	struct bar *b = arg;
	double frac = p->bytes_total ? (double)p->bytes_done /
	    (double)p->bytes_total : 1.0, t = elapsed(&b->start);
	char bar[31];
	int i, fill = (int)(frac * 30);

	if (!b->tty)
		return;
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %5.1f%%  %" PRId64 " rows  %.0f rows/s  "
	    "%" PRId64 " rejected ", bar, frac * 100, p->lines,
	    t > 0 ? (double)p->lines / t : 0, p->rejected);
}

static int
org_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "again", no_argument, NULL, 'a' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "stop-after", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-progress", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "org import FILE.csv [--rejects OUT] "
	    "[--again] [--batch N] [--json] [--no-progress]";
	struct kn_import_opts o = { 0 };
	struct kn_import_result res;
	struct kn_import_reject *rej = NULL;
	struct bar bar;
	const char *rejfile = NULL;
	size_t nrej = 0, i;
	bool json = false, quiet = false;
	double t;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (kn_parse_int64(&o.batch, optarg, 1, 10000000) != 0)
				return cli_usage(usage);
			break;
		case 'a':
			o.again = true;
			break;
		case 'r':
			rejfile = optarg;
			break;
		case 's':
			if (kn_parse_int64(&o.stop_after, optarg, 1,
			    INT64_MAX) != 0)
				return cli_usage(usage);
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return cli_usage(usage);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
	o.path = argv[optind];
	bar.tty = !quiet && !json && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &bar.start);
	o.progress = progress;
	o.arg = &bar;
	if (cli_open(c) != 0)
		return EXIT_BAD;
	o.actor = c->actor;
	rc = kn_nta_import(c->db, &o, &res);
	t = elapsed(&bar.start);
	if (bar.tty)
		fprintf(stderr, "\n");
	if (rc == 0)
		rc = kn_nta_rejects(c->db, res.id, rejfile ? INT64_MAX :
		    json ? 1000 : 20, &rej, &nrej);
	cli_close(c);
	if (rc != 0)
		return json ? cli_fail_json(c, rc, "import") :
		    cli_fail(c, rc, "import");
	if (rejfile != NULL) {
		FILE *f = fopen(rejfile, "w");

		if (f == NULL) {
			perror(rejfile);
			kn_nta_rejects_free(rej, nrej);
			return EXIT_BAD;
		}
		for (i = 0; i < nrej; i++)
			fprintf(f, "%" PRId64 "\t%s\n", rej[i].line,
			    rej[i].reason);
		fclose(f);
	}
	if (json) {
		json_t *a = json_array();

		for (i = 0; i < nrej; i++)
			json_array_append_new(a, json_pack("{s:I, s:s}",
			    "line", (json_int_t)rej[i].line, "reason",
			    rej[i].reason));
		cli_print_json(json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, "
		    "s:f, s:o, s:I}", "import", (json_int_t)res.id, "lines",
		    (json_int_t)res.lines, "accepted",
		    (json_int_t)res.accepted, "rejected",
		    (json_int_t)res.rejected, "resumed_at",
		    (json_int_t)res.resumed_at, "already_done",
		    res.already_done, "seconds", t, "rejects", a,
		    "rejects_listed", (json_int_t)nrej));
	} else if (res.already_done) {
		printf("kakuin: %s was already imported (import %" PRId64
		    ": %" PRId64 " accepted, %" PRId64 " rejected); use "
		    "--again to import it once more\n", o.path, res.id,
		    res.accepted, res.rejected);
	} else {
		if (res.resumed_at > 0)
			printf("kakuin: resumed after line %" PRId64 "\n",
			    res.resumed_at);
		printf("kakuin: import %" PRId64 " of %s: %" PRId64 " rows, "
		    "%" PRId64 " accepted, %" PRId64 " rejected, %.1f s\n",
		    res.id, o.path, res.lines, res.accepted, res.rejected, t);
		for (i = 0; i < nrej && i < 20; i++)
			printf("  line %" PRId64 ": %s\n", rej[i].line,
			    rej[i].reason);
		if (res.rejected > 20)
			printf("  ... %" PRId64 " more%s\n",
			    res.rejected - 20, rejfile ? "" :
			    " (--rejects FILE writes them all)");
	}
	kn_nta_rejects_free(rej, nrej);
	return 0;
}

int
cmd_org(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(USAGE);
	argc--;
	argv++;
	c->registry_write = strcmp(argv[0], "show") != 0 &&
	    strcmp(argv[0], "list") != 0 && strcmp(argv[0], "search") != 0;
	if (strcmp(argv[0], "add") == 0)
		return org_add_or_update(c, argc, argv, true);
	if (strcmp(argv[0], "update") == 0)
		return org_add_or_update(c, argc, argv, false);
	if (strcmp(argv[0], "show") == 0)
		return org_show(c, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return org_list(c, argc, argv, false);
	if (strcmp(argv[0], "search") == 0)
		return org_list(c, argc, argv, true);
	if (strcmp(argv[0], "verify") == 0)
		return org_status(c, argc, argv, "verified");
	if (strcmp(argv[0], "suspend") == 0)
		return org_status(c, argc, argv, "suspended");
	if (strcmp(argv[0], "withdraw") == 0)
		return org_status(c, argc, argv, "withdrawn");
	if (strcmp(argv[0], "domain") == 0)
		return domain_cmd(c, argc, argv);
	if (strcmp(argv[0], "import") == 0)
		return org_import(c, argc, argv);
	return cli_usage(USAGE);
}
