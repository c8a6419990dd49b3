/* feed.c - kakuin feed show [-o FILE] [--json] | feed verify FILE [--root
 * ROOT.pem] [--json]: the signed feed of verified mail domains of this
 * data directory, and checking one the way a receiver does. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kakuin/cli.h"
#include "registry/feed.h"

/* cli_read_file(), printing the problem. */
static int
read_all(const char *path, size_t max, char **out, size_t *len)
{
	int rc;

	if ((rc = cli_read_file(path, max, out, len)) != 0) {
		fprintf(stderr, "kakuin: %s\n", kn_err_msg(rc));
		return EXIT_USAGE;
	}
	return 0;
}

static json_t *
entries_json(const struct kn_feed *f)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < f->n; i++) {
		const struct kn_feed_entry *e = &f->v[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s?, "
		    "s:s}", "domain", e->domain, "number", e->number, "name",
		    e->name, "name_en", e->name_en, "verified_at",
		    e->verified_at));
	}
	return a;
}

static void
print_feed(const struct kn_feed *f)
{
	size_t i;

	printf("Mail-domain feed %lld of %s, signed by %s\n"
	    "generated %s, valid until %s; %zu verified mail domain%s\n",
	    (long long)f->serial, f->issuer, f->signer ? f->signer : "?",
	    f->generated, f->next_update, f->n, f->n == 1 ? "" : "s");
	for (i = 0; i < f->n; i++) {
		const struct kn_feed_entry *e = &f->v[i];

		printf("  %-32s %s  %s%s%s%s\n", e->domain, e->number,
		    e->name, e->name_en ? " (" : "", e->name_en ? e->name_en :
		    "", e->name_en ? ")" : "");
	}
}

static int
write_der(const char *path, const unsigned char *p, size_t len)
{
	FILE *f;
	int rc;

	if ((f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "kakuin: cannot write %s: %s\n", path,
		    strerror(errno));
		return EXIT_BAD;
	}
	rc = fwrite(p, 1, len, f) == len ? 0 : EXIT_BAD;
	if (fclose(f) != 0)
		rc = EXIT_BAD;
	if (rc != 0)
		fprintf(stderr, "kakuin: cannot write %s\n", path);
	return rc;
}

static int
feed_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "feed show [-o FILE.p7m] [--json]";
	struct kn_feed_conf fc = { 0, 0 };
	struct kn_feed_pub *pub = NULL;
	struct kn_feed_info info;
	struct kn_feed *f = NULL;
	unsigned char *der = NULL;
	const char *out = NULL;
	char *anchors = NULL;
	size_t len = 0;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch == 'o')
			out = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind != argc)
		return cli_usage(usage);
	if (cli_open(c) != 0 || cli_ca(c) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	fc.ttl = c->cfg.feed_ttl;
	if ((rc = kn_feed_pub_new(&pub, &fc)) != 0 ||
	    (rc = kn_feed_current(pub, c->db, &c->env, &info, &der,
	    &len)) != 0 ||
	    (rc = kn_feed_anchors(c->db, &anchors)) != 0 ||
	    (rc = kn_feed_verify(&f, der, len, anchors, time(NULL),
	    NULL)) != 0) {
		rc = json ? cli_fail_json(c, rc, "feed show") :
		    cli_fail(c, rc, "feed show");
		goto out;
	}
	if (out != NULL && (rc = write_der(out, der, len)) != 0)
		goto out;
	if (json) {
		json_error_t jerr;

		rc = cli_print_json(json_loadb(f->json, f->json_len, 0,
		    &jerr));
	} else
		print_feed(f);
	if (rc == 0 && out != NULL)
		fprintf(stderr, "kakuin: feed %lld written to %s\n",
		    (long long)f->serial, out);
out:
	kn_feed_free(f);
	free(der);
	free(anchors);
	kn_feed_pub_free(pub);
	cli_close(c);
	return rc;
}

static int
feed_verify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "feed verify FILE.p7m [--root ROOT.pem] "
	    "[--json]";
	struct kn_feed *f = NULL;
	const char *root = NULL;
	char *der = NULL, *anchors = NULL;
	size_t len = 0, alen = 0;
	bool json = false;
	int ch, rc, result;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			root = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
	if ((rc = read_all(argv[optind], KN_FEED_MAX_SIZE, &der, &len)) != 0)
		return rc;
	/* The anchor: a root given by the receiver, else this data
	 * directory's own roots. */
	if (root != NULL)
		rc = read_all(root, 1 << 20, &anchors, &alen);
	else if (cli_open(c) != 0)
		rc = EXIT_USAGE;
	else {
		if ((rc = kn_feed_anchors(c->db, &anchors)) != 0)
			rc = cli_fail(c, rc, "feed verify");
		cli_close(c);
	}
	if (rc != 0) {
		free(der);
		return EXIT_USAGE;
	}
	rc = kn_feed_verify(&f, (const unsigned char *)der, len, anchors,
	    time(NULL), NULL);
	result = rc == 0 ? 0 : rc == KN_ERR_VERIFY ? EXIT_BAD : EXIT_USAGE;
	if (json && rc == 0)
		(void)cli_print_json(json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, "
		    "s:o}", "verdict", "good", "serial", (json_int_t)f->serial,
		    "issuer", f->issuer, "signer", f->signer, "generated",
		    f->generated, "next_update", f->next_update, "domains",
		    entries_json(f)));
	else if (json)
		(void)cli_print_json(json_pack("{s:s, s:s}", "verdict",
		    result == EXIT_BAD ? "bad" : "error", "problem",
		    kn_err_msg(rc)));
	else if (rc == 0)
		printf("GOOD: mail-domain feed %lld of %s, signed by %s; "
		    "generated %s, valid until %s; %zu verified mail "
		    "domain%s.\n", (long long)f->serial, f->issuer, f->signer,
		    f->generated, f->next_update, f->n, f->n == 1 ? "" : "s");
	else
		printf("%s: %s\n", result == EXIT_BAD ? "NOT VALID" :
		    "CANNOT CHECK", kn_err_msg(rc));
	kn_feed_free(f);
	free(der);
	free(anchors);
	return result;
}

int
cmd_feed(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "feed show|verify ...";

	if (argc < 2)
		return cli_usage(usage);
	argc--;
	argv++;
	if (strcmp(argv[0], "show") == 0)
		return feed_show(c, argc, argv);
	if (strcmp(argv[0], "verify") == 0)
		return feed_verify(c, argc, argv);
	return cli_usage(usage);
}
