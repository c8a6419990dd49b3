/* crl.c - kakuin crl generate [--ca NAME] | crl show CA [--shard N] [-o F] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text.h"
#include "ca/ca.h"
#include "kakuin/cli.h"

static int
crl_generate(struct cli *c, int argc, char **argv)
{
	const char *ca = NULL;
	int n = 0, rc;

	if (argc == 3 && strcmp(argv[1], "--ca") == 0)
		ca = argv[2];
	else if (argc != 1)
		return cli_usage("crl generate [--ca NAME]");
	if (cli_open(c) != 0 || cli_ca(c) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	rc = kn_crl_generate(c->db, &c->env, c->actor, ca, &n);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "crl generate");
	printf("kakuin: signed %d CRL%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int
crl_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shard", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char *der = NULL;
	const char *out = NULL;
	char next[21];
	int64_t shard = 0;
	size_t len = 0;
	FILE *f;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch == 's' && kn_parse_int64(&shard, optarg, 0,
		    1000000) == 0)
			;
		else if (ch == 'o')
			out = optarg;
		else
			return cli_usage("crl show CA [--shard N] [-o FILE]");
	}
	if (optind + 1 != argc)
		return cli_usage("crl show CA [--shard N] [-o FILE]");
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_crl_get(c->db, argv[optind], shard, &der, &len, next);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "crl show");
	if (out == NULL) {
		/* The DER; on a terminal say where it belongs instead. */
		if (isatty(STDOUT_FILENO)) {
			printf("CRL of %s (shard %lld): %zu bytes, next update "
			    "%s; write it with -o FILE\n", argv[optind],
			    (long long)shard, len, next);
			free(der);
			return 0;
		}
		f = stdout;
	} else if ((f = fopen(out, "wb")) == NULL) {
		perror(out);
		free(der);
		return EXIT_BAD;
	}
	rc = fwrite(der, 1, len, f) == len ? 0 : EXIT_BAD;
	if (f != stdout && fclose(f) != 0)
		rc = EXIT_BAD;
	free(der);
	return rc;
}

int
cmd_crl(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("crl generate|show ...");
	argc--;
	argv++;
	if (strcmp(argv[0], "generate") == 0)
		return crl_generate(c, argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return crl_show(c, argc, argv);
	return cli_usage("crl generate|show ...");
}
