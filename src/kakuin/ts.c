/* ts.c - kakuin ts stamp FILE [-o FILE.tsr] | ts verify FILE FILE.tsr |
 * ts unit [-o FILE] | ts rekey: the time-stamp authority of this data
 * directory. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "kakuin/cli.h"
#include "tsa/tsa.h"

#define TSR_MAX (1 << 20)

static int
tsa_open(struct cli *c, struct kn_tsa **t)
{
	struct kn_tsa_conf tc;
	int rc;

	tc.ca = c->cfg.tsa_ca[0] != '\0' ? c->cfg.tsa_ca : NULL;
	tc.policy = c->cfg.tsa_policy;
	tc.policies = c->cfg.tsa_policies;
	tc.accuracy_ms = c->cfg.tsa_accuracy_ms;
	if ((rc = kn_tsa_new(t, &tc)) != 0)
		return cli_fail(c, rc, "configuration");
	return 0;
}

/* Writes len bytes to path, or to standard output when path is NULL
 * (refused on a terminal: binary). */
static int
write_out(const char *path, const unsigned char *p, size_t len)
{
	FILE *f;
	int rc;

	if (path == NULL) {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "kakuin: the answer is binary; write it "
			    "with -o FILE.tsr\n");
			return EXIT_USAGE;
		}
		f = stdout;
	} else if ((f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "kakuin: cannot write %s: %s\n", path,
		    strerror(errno));
		return EXIT_BAD;
	}
	rc = fwrite(p, 1, len, f) == len ? 0 : EXIT_BAD;
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
		rc = EXIT_BAD;
	if (rc != 0)
		fprintf(stderr, "kakuin: cannot write %s\n", path ? path :
		    "standard output");
	return rc;
}

static int
ts_stamp(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "hash", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "ts stamp FILE [-o FILE.tsr] "
	    "[--hash sha256|sha384|sha512|sha3-256|sha3-384|sha3-512] [--json]";
	struct kn_tsa *t = NULL;
	struct kn_tsa_info info;
	const EVP_MD *md = kn_tsa_md("sha256");
	const char *out = NULL;
	unsigned char dg[EVP_MAX_MD_SIZE], *q = NULL, *r = NULL;
	unsigned int dlen;
	size_t qlen, rlen;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch == 'o')
			out = optarg;
		else if (ch == 'H' && (md = kn_tsa_md(optarg)) != NULL)
			;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
	if ((rc = kn_tsa_hash_file(argv[optind], md, dg, &dlen)) != 0) {
		(void)cli_fail(c, rc, NULL);
		return EXIT_USAGE;
	}
	if ((rc = kn_tsa_query(md, dg, dlen, &q, &qlen)) != 0)
		return cli_fail(c, rc, "ts stamp");
	if (cli_open(c) != 0 || cli_ca(c) != 0 || tsa_open(c, &t) != 0) {
		free(q);
		cli_close(c);
		return EXIT_BAD;
	}
	rc = kn_tsa_respond(t, c->db, &c->env, q, qlen, &r, &rlen, &info);
	kn_tsa_free(t);
	cli_close(c);
	free(q);
	if (rc != 0)
		return cli_fail(c, rc, "ts stamp");
	if (info.status != 0 && info.status != 1) {
		free(r);
		fprintf(stderr, "kakuin: ts stamp: the time-stamp authority "
		    "refused: %s\n", info.why ? info.why : "no reason given");
		return EXIT_BAD;
	}
	rc = write_out(out, r, rlen);
	free(r);
	if (rc != 0)
		return rc;
	if (json)
		return cli_print_json(json_pack("{s:s, s:I, s:s, s:s?}",
		    "file", argv[optind], "serial", (json_int_t)info.serial,
		    "hash", info.hash, "out", out));
	fprintf(out ? stdout : stderr, "kakuin: time-stamped %s (token %lld, "
	    "%s)%s%s\n", argv[optind], (long long)info.serial, info.hash,
	    out ? " into " : "", out ? out : "");
	return 0;
}

static int
read_file(const char *path, unsigned char **out, size_t *len)
{
	int rc;

	if ((rc = cli_read_file(path, TSR_MAX, (char **)out, len)) != 0) {
		fprintf(stderr, "kakuin: %s\n", kn_err_msg(rc));
		return EXIT_USAGE;
	}
	return 0;
}

static int
ts_verify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "ts verify FILE FILE.tsr [--json]";
	struct kn_tsa_verdict v;
	unsigned char *tsr;
	size_t len;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind + 2 != argc)
		return cli_usage(usage);
	if (access(argv[optind], R_OK) != 0) {
		fprintf(stderr, "kakuin: cannot read %s: %s\n", argv[optind],
		    strerror(errno));
		return EXIT_USAGE;
	}
	if ((rc = read_file(argv[optind + 1], &tsr, &len)) != 0)
		return rc;
	if (cli_open(c) != 0) {
		free(tsr);
		return EXIT_USAGE;
	}
	rc = kn_tsa_verify(c->db, argv[optind], tsr, len, &v);
	cli_close(c);
	free(tsr);
	if (rc != 0) {
		cli_fail(c, rc, "ts verify");
		return EXIT_USAGE;
	}
	rc = v.result;
	if (json)
		(void)cli_print_json(json_pack("{s:s, s:s, s:s?, s:s, s:s, "
		    "s:s, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:s?}",
		    "verdict", rc == 0 ? "good" : rc == 1 ? "bad" : "error",
		    "text", v.text, "problem", v.problem, "gen_time",
		    v.gen_time, "serial", v.serial, "hash", v.hash, "policy",
		    v.policy, "tsa", v.tsa, "issuer", v.issuer, "cert_serial",
		    v.cert_serial, "cert_status", v.cert_status, "revoked_at",
		    v.revoked_at, "reason", v.reason));
	else
		printf("%s\n", v.text);
	kn_tsa_verdict_cleanup(&v);
	return rc;
}

static int
ts_unit(struct cli *c, int argc, char **argv, bool rekey)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kn_tsa *t = NULL;
	const char *out = NULL;
	char serial[KN_SERIAL_HEX], *pem = NULL;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch == 'o')
			out = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage("ts unit|rekey [-o FILE.pem] [--json]");
	}
	if (optind != argc)
		return cli_usage("ts unit|rekey [-o FILE.pem] [--json]");
	if (cli_open(c) != 0 || cli_ca(c) != 0 || tsa_open(c, &t) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	rc = 0;
	if (rekey)
		rc = kn_tsa_rekey(t, c->db, &c->env, c->actor, serial);
	if (rc == 0)
		rc = kn_tsa_unit(t, c->db, &c->env, c->actor, serial, &pem);
	kn_tsa_free(t);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, rekey ? "ts rekey" : "ts unit");
	if (out != NULL)
		rc = write_out(out, (unsigned char *)pem, strlen(pem));
	if (rc == 0 && json)
		rc = cli_print_json(json_pack("{s:s, s:s}", "serial", serial,
		    "cert_pem", pem));
	else if (rc == 0 && out == NULL)
		printf("%s", pem);
	else if (rc == 0)
		printf("kakuin: time-stamping unit %s%s; its certificate is in "
		    "%s\n", serial, rekey ? " (new key)" : "", out);
	free(pem);
	return rc;
}

int
cmd_ts(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "ts stamp|verify|unit|rekey ...";

	if (argc < 2)
		return cli_usage(usage);
	argc--;
	argv++;
	if (strcmp(argv[0], "stamp") == 0)
		return ts_stamp(c, argc, argv);
	if (strcmp(argv[0], "verify") == 0)
		return ts_verify(c, argc, argv);
	if (strcmp(argv[0], "unit") == 0)
		return ts_unit(c, argc, argv, false);
	if (strcmp(argv[0], "rekey") == 0)
		return ts_unit(c, argc, argv, true);
	return cli_usage(usage);
}
