/* main.c - kakuin [-d DATADIR] [--as OFFICER] NOUN VERB ... */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kakuin/cli.h"

static const struct {
	const char	*noun;
	int		(*run)(struct cli *, int, char **);
	const char	*help;
} nouns[] = {
	{ "init", cmd_init, "create a data directory (--demo: with demo "
	    "data)" },
	{ "serve", cmd_serve, "run the HTTP server" },
	{ "org", cmd_org, "the registry of organizations and domains" },
	{ "user", cmd_user, "operator accounts and API tokens" },
	{ "audit", cmd_audit, "the hash-chained audit log" },
	{ "ca", cmd_ca, "certificate authorities (init, add, list, show)" },
	{ "cert", cmd_cert, "certificates: request, approve, revoke, lint..." },
	{ "crl", cmd_crl, "certificate revocation lists" },
	{ "ts", cmd_ts, "time-stamps: stamp, verify, unit, rekey" },
	{ "mail", cmd_mail, "mail: sign (DKIM), verify (DKIM, SPF, DMARC, "
	    "trust mark), keygen" },
	{ "feed", cmd_feed, "the signed feed of verified mail domains: show, "
	    "verify" },
};

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kakuin [-d DATADIR] [--as OFFICER] NOUN VERB "
	    "[ARGS]\n\n");
	for (i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
		fprintf(f, "  %-7s %s\n", nouns[i].noun, nouns[i].help);
	fprintf(f, "\nDATADIR defaults to $KAKUIN_DIR, else ./var.  "
	    "Add --json for machine output.\n");
	return f == stdout ? 0 : EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "datadir", required_argument, NULL, 'd' },
		{ "as", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .prog = "kakuin" };
	size_t i;
	int ch;

	c.datadir = getenv("KAKUIN_DIR");
	if (c.datadir == NULL || *c.datadir == '\0')
		c.datadir = "./var";
	while ((ch = getopt_long(argc, argv, "+d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			c.datadir = optarg;
			break;
		case 'a':
			c.as = optarg;
			break;
		case 'h':
			return usage(stdout);
		case 'V':
			printf("kakuin %s\n", KN_VERSION);
			return 0;
		default:
			return usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr);
	for (i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++) {
		if (strcmp(argv[0], nouns[i].noun) == 0) {
			/* 0, not 1: glibc then forgets main's "+" ordering. */
			optind = 0;
			return nouns[i].run(&c, argc, argv);
		}
	}
	fprintf(stderr, "kakuin: unknown command %s\n", argv[0]);
	return usage(stderr);
}
