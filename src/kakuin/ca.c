/* ca.c - kakuin ca init|add|list|show */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "ca/ca.h"
#include "kakuin/cli.h"
#include "store/db.h"

static json_t *
ca_json(const struct kn_ca *ca, const char *base_url)
{
	char url[512];

	snprintf(url, sizeof(url), "%s/ca/%s.crt", base_url, ca->name);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}",
	    "name", ca->name, "kind", ca->parent_id ? "issuing" : "root",
	    "subject", ca->subject, "serial", ca->serial, "not_before",
	    ca->not_before, "not_after", ca->not_after, "issued",
	    (json_int_t)ca->issued, "url", url, "pem", ca->cert_pem);
}

static void
print_ca(const struct kn_ca *ca)
{
	printf("%-12s %-7s %s\n  serial %s, valid %.10s to %.10s, %lld "
	    "certificates issued\n", ca->name, ca->parent_id ? "issuing" :
	    "root", ca->subject, ca->serial, ca->not_before, ca->not_after,
	    (long long)ca->issued);
}

/* ca init [--root NAME] [--issuing NAME] [--days N] [--json]:
 * a root and an issuing CA under it, and their first CRLs. */
static int
ca_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "issuing", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "root", *issuing = "issuing";
	struct kn_ca r, i;
	bool json = false;
	int ch, rc, n;

	memset(&r, 0, sizeof(r));
	memset(&i, 0, sizeof(i));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			root = optarg;
		else if (ch == 'i')
			issuing = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage("ca init [--root NAME] [--issuing "
			    "NAME] [--json]");
	}
	if (cli_open(c) != 0 || cli_ca(c) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	if ((rc = kn_ca_create_root(c->db, &c->env, c->actor, root, 0,
	    &r)) != 0 ||
	    (rc = kn_ca_create_sub(c->db, &c->env, c->actor, issuing, root,
	    NULL, 0, &i)) != 0 ||
	    (rc = kn_crl_generate(c->db, &c->env, c->actor, NULL, &n)) != 0) {
		kn_ca_cleanup(&r);
		kn_ca_cleanup(&i);
		rc = cli_fail(c, rc, "ca init");
		cli_close(c);
		return rc;
	}
	if (json)
		cli_print_json(json_pack("{s:[o, o]}", "cas",
		    ca_json(&r, c->cfg.base_url), ca_json(&i,
		    c->cfg.base_url)));
	else {
		printf("kakuin: created root CA and issuing CA (keys in %s)\n",
		    c->cfg.ca_keys);
		print_ca(&r);
		print_ca(&i);
	}
	kn_ca_cleanup(&r);
	kn_ca_cleanup(&i);
	cli_close(c);
	return 0;
}

static int
ca_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parent", required_argument, NULL, 'p' },
		{ "profile", required_argument, NULL, 'P' },
		{ "days", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *parent = "root", *profile = NULL;
	struct kn_ca ca;
	int64_t days = 0;
	bool json = false;
	int ch, rc, n;

	memset(&ca, 0, sizeof(ca));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			parent = optarg;
		else if (ch == 'P')
			profile = optarg;
		else if (ch == 'd' && kn_parse_int64(&days, optarg, 1,
		    100000) == 0)
			;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage("ca add NAME [--parent CA] [--profile "
			    "sub-ca|sub-ca-smime|sub-ca-tls] [--days N] "
			    "[--json]");
	}
	if (optind + 1 != argc)
		return cli_usage("ca add NAME [--parent CA] [--profile "
		    "sub-ca|sub-ca-smime|sub-ca-tls] [--days N] [--json]");
	if (cli_open(c) != 0 || cli_ca(c) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	if ((rc = kn_ca_create_sub(c->db, &c->env, c->actor, argv[optind],
	    parent, profile, (int)days, &ca)) != 0 ||
	    (rc = kn_crl_generate(c->db, &c->env, c->actor, argv[optind],
	    &n)) != 0) {
		rc = cli_fail(c, rc, "ca add");
		cli_close(c);
		kn_ca_cleanup(&ca);
		return rc;
	}
	if (json)
		cli_print_json(ca_json(&ca, c->cfg.base_url));
	else
		print_ca(&ca);
	kn_ca_cleanup(&ca);
	cli_close(c);
	return 0;
}

static int
ca_list(struct cli *c, int argc, char **argv, bool show)
{
	struct kn_ca *v = NULL;
	const char *name = NULL;
	bool json = false, pem = false;
	size_t n = 0, k;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--pem") == 0 && show)
			pem = true;
		else if (show && name == NULL)
			name = argv[i];
		else
			return cli_usage(show ? "ca show NAME [--pem|--json]" :
			    "ca list [--json]");
	}
	if (show && name == NULL)
		return cli_usage("ca show NAME [--pem|--json]");
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_ca_list(c->db, &v, &n);
	if (rc != 0) {
		rc = cli_fail(c, rc, "ca list");
		cli_close(c);
		return rc;
	}
	if (json && !show) {
		json_t *a = json_array();

		for (k = 0; k < n; k++)
			json_array_append_new(a, ca_json(&v[k],
			    c->cfg.base_url));
		cli_print_json(json_pack("{s:o}", "cas", a));
	}
	rc = show ? EXIT_BAD : 0;
	for (k = 0; k < n; k++) {
		if (show && strcmp(v[k].name, name) != 0)
			continue;
		rc = 0;
		if (pem)
			fputs(v[k].cert_pem, stdout);
		else if (json && show)
			cli_print_json(ca_json(&v[k], c->cfg.base_url));
		else if (!json)
			print_ca(&v[k]);
	}
	if (show && rc != 0)
		fprintf(stderr, "kakuin: no CA %s (kakuin ca list)\n", name);
	else if (!show && n == 0 && !json)
		printf("no CAs yet: kakuin ca init makes a root and an "
		    "issuing CA\n");
	kn_ca_list_free(v, n);
	cli_close(c);
	return rc;
}

int
cmd_ca(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("ca init|add|list|show ...");
	argc--;
	argv++;
	if (strcmp(argv[0], "init") == 0)
		return ca_init(c, argc, argv);
	if (strcmp(argv[0], "add") == 0)
		return ca_add(c, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return ca_list(c, argc, argv, false);
	if (strcmp(argv[0], "show") == 0)
		return ca_list(c, argc, argv, true);
	return cli_usage("ca init|add|list|show ...");
}
