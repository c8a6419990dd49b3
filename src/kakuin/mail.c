/*
 * mail.c - kakuin mail sign | verify | keygen: DKIM signing of outbound
 * mail, the verdict on a received message, and DKIM keys with the DNS
 * record that publishes them.
 *
 * mail verify runs the message through lib/mail/check.h (DKIM, SPF when
 * the envelope is given, DMARC, the trust mark against the verified feed
 * of the data directory or of --feed), prints a short verdict a person can
 * act on, or with --json one object per method.  Exit status 0: trusted
 * or an authentic domain, 1: forged or unverified, 2: cannot check or
 * could not process.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/http.h>

#include "base/text.h"
#include "config/config.h"
#include "dns/dns.h"
#include "kakuin/cli.h"
#include "mail/check.h"
#include "mail/dkim.h"
#include "mail/msg.h"
#include "registry/feed.h"

#define MAX_KEYS	4	/* --key options of one mail sign */

/* Reads a message ("-": standard input) up to the message cap; prints
 * the problem. */
static int
slurp(const char *path, char **out, size_t *len)
{
	int rc;

	if ((rc = cli_read_file(path, KN_MAIL_MAX_SIZE, out, len)) != 0) {
		fprintf(stderr, "kakuin: %s\n", kn_err_msg(rc));
		return EXIT_USAGE;
	}
	return 0;
}

static int
parse_msg(const char *path, const char *data, size_t len,
    struct kn_mail_msg **m)
{
	int rc;

	if ((rc = kn_mail_parse(m, data, len, NULL)) != 0) {
		fprintf(stderr, "kakuin: %s: %s\n", path, kn_err_msg(rc));
		return EXIT_USAGE;
	}
	return 0;
}

/* ---------------------------------------------------------------- sign */

static int
write_all(const char *path, const char *p1, size_t n1, const char *p2,
    size_t n2)
{
	FILE *f = stdout;
	int rc = 0;

	if (path != NULL && (f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "kakuin: cannot write %s: %s\n", path,
		    strerror(errno));
		return EXIT_BAD;
	}
	if (fwrite(p1, 1, n1, f) != n1 || fwrite(p2, 1, n2, f) != n2)
		rc = EXIT_BAD;
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
		rc = EXIT_BAD;
	if (rc != 0)
		fprintf(stderr, "kakuin: cannot write %s\n", path ? path :
		    "standard output");
	return rc;
}

/* The new fields in the line ends of the message they go on: a file
 * with LF ends gets LF ends. */
static void
match_line_ends(struct kn_buf *hdrs, const char *msg, size_t len)
{
	const char *nl = memchr(msg, '\n', len);
	size_t i, o = 0;

	if (nl == NULL || (nl > msg && nl[-1] == '\r'))
		return;
	for (i = 0; i < hdrs->len; i++) {
		if (hdrs->data[i] != '\r')
			hdrs->data[o++] = hdrs->data[i];
	}
	hdrs->len = o;
	hdrs->data[o] = '\0';
}

static int
mail_sign(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "canon", required_argument, NULL, 'c' },
		{ "headers", required_argument, NULL, 'H' },
		{ "identity", required_argument, NULL, 'i' },
		{ "expire", required_argument, NULL, 'x' },
		{ "body-length", no_argument, NULL, 'l' },
		{ "no-oversign", no_argument, NULL, 'O' },
		{ "pass-env", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "mail sign --domain D --selector S --key "
	    "KEY.pem [--selector S2 --key KEY2.pem] [--algorithm rsa-sha256|"
	    "ed25519-sha256] [--canon relaxed/relaxed] [--headers A:B:...] "
	    "[--identity I] [--expire SECONDS] [--body-length] "
	    "[--no-oversign] [--pass-env VAR] [-o FILE] [--json] "
	    "[MSG.eml|-]";
	struct kn_dkim_sign_opts so;
	struct kn_dkim_signer *signers[MAX_KEYS] = { NULL };
	const char *keys[MAX_KEYS], *sels[MAX_KEYS], *alg = NULL;
	const char *out = NULL, *pass_env = NULL, *path = "-";
	size_t nkeys = 0, nsels = 0, i, len = 0;
	struct kn_mail_msg *m = NULL;
	struct kn_buf hdrs;
	char *data = NULL, *pass = NULL;
	bool json = false;
	int ch, rc;
	int64_t n;

	memset(&so, 0, sizeof(so));
	kn_buf_init(&hdrs, 1 << 20);
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			so.domain = optarg;
			break;
		case 's':
			if (nsels == MAX_KEYS)
				return cli_usage(usage);
			sels[nsels++] = optarg;
			break;
		case 'k':
			if (nkeys == MAX_KEYS)
				return cli_usage(usage);
			keys[nkeys++] = optarg;
			break;
		case 'a':
			alg = optarg;
			break;
		case 'c': {
			const char *sl = strchr(optarg, '/');
			const char *b = sl ? sl + 1 : "simple";
			size_t hl = sl ? (size_t)(sl - optarg) :
			    strlen(optarg);

			if (hl == 6 && strncmp(optarg, "simple", 6) == 0)
				so.hcanon = KN_DKIM_SIMPLE;
			else if (hl == 7 && strncmp(optarg, "relaxed", 7) == 0)
				so.hcanon = KN_DKIM_RELAXED;
			else
				return cli_usage(usage);
			if (strcmp(b, "simple") == 0)
				so.bcanon = KN_DKIM_SIMPLE;
			else if (strcmp(b, "relaxed") == 0)
				so.bcanon = KN_DKIM_RELAXED;
			else
				return cli_usage(usage);
			break;
		}
		case 'H':
			so.headers = optarg;
			break;
		case 'i':
			so.identity = optarg;
			break;
		case 'x':
			if (kn_parse_int64(&n, optarg, 1, 10 * 366 * 86400) !=
			    0) {
				fprintf(stderr, "kakuin: --expire is "
				    "seconds, 1 to ten years\n");
				return EXIT_USAGE;
			}
			so.expire_secs = (unsigned)n;
			break;
		case 'l':
			so.body_length = true;
			break;
		case 'O':
			so.no_oversign = true;
			break;
		case 'p':
			pass_env = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage(usage);
		}
	}
	if (optind + 1 == argc)
		path = argv[optind];
	else if (optind != argc)
		return cli_usage(usage);
	if (so.domain == NULL || nkeys == 0 || nsels == 0)
		return cli_usage(usage);
	if (nsels != nkeys && nsels != 1) {
		fprintf(stderr, "kakuin: give one --selector, or one per "
		    "--key in the same order\n");
		return EXIT_USAGE;
	}
	if (json && out == NULL) {
		fprintf(stderr, "kakuin: with --json, write the message with "
		    "-o FILE\n");
		return EXIT_USAGE;
	}
	if (alg != NULL && strcmp(alg, "rsa-sha256") != 0 &&
	    strcmp(alg, "ed25519-sha256") != 0) {
		fprintf(stderr, "kakuin: --algorithm is rsa-sha256 or "
		    "ed25519-sha256 (rsa-sha1 is historic, RFC 8301)\n");
		return EXIT_USAGE;
	}
	if (pass_env != NULL && (pass = cli_secret(pass_env, "")) == NULL)
		return EXIT_USAGE;
	/* Keys load once, however many messages a process signs. */
	for (i = 0; i < nkeys; i++) {
		so.selector = sels[nsels == 1 ? 0 : i];
		if ((rc = kn_dkim_signer_load(&signers[i], keys[i], pass,
		    &so)) != 0) {
			rc = cli_fail(c, rc, "mail sign");
			goto out;
		}
		if (alg != NULL && strcmp(alg, kn_dkim_alg_name(
		    kn_dkim_signer_alg(signers[i]))) != 0) {
			fprintf(stderr, "kakuin: %s is a key for %s, not %s\n",
			    keys[i], kn_dkim_alg_name(kn_dkim_signer_alg(
			    signers[i])), alg);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if ((rc = slurp(path, &data, &len)) != 0 ||
	    (rc = parse_msg(path, data, len, &m)) != 0)
		goto out;
	if ((rc = kn_dkim_sign_all(signers, nkeys, m, 0, &hdrs)) != 0) {
		rc = cli_fail(c, rc, "mail sign");
		goto out;
	}
	match_line_ends(&hdrs, data, len);
	if ((rc = write_all(out, hdrs.data, hdrs.len, data, len)) != 0)
		goto out;
	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < nkeys; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}",
			    "domain", so.domain, "selector",
			    sels[nsels == 1 ? 0 : i], "algorithm",
			    kn_dkim_alg_name(kn_dkim_signer_alg(signers[i]))));
		rc = cli_print_json(json_pack("{s:s, s:o}", "out", out,
		    "signatures", arr));
	} else if (out != NULL)
		printf("kakuin: signed %s for %s with %zu DKIM signature%s "
		    "into %s\n", path, so.domain, nkeys, nkeys > 1 ? "s" : "",
		    out);
out:
	for (i = 0; i < nkeys; i++)
		kn_dkim_signer_free(signers[i]);
	kn_mail_free(m);
	kn_buf_cleanup(&hdrs);
	free(data);
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	return rc;
}

/* ---------------------------------------------------------------- verify */

#define FEED_FETCH_MAX	(32 << 20)	/* bytes of a feed fetched */
#define FEED_TIMEOUT	20		/* seconds to fetch it */

/* Reads a feed from an http:// URL with OpenSSL's HTTP client. */
static int
fetch_feed(const char *url, char **out, size_t *len)
{
	struct kn_buf b;
	BIO *in;
	char chunk[16384];
	int n, rc = 0;

	*out = NULL;
	*len = 0;
	if (strncmp(url, "https://", 8) == 0)
		return kn_err_set(KN_ERR_INVAL, "feed", "https feeds are "
		    "not fetched by kakuin itself: download it (curl -o "
		    "feed.der %s) and give the file", url);
	/* The feed is DER: OpenSSL reads exactly one ASN.1 object. */
	in = OSSL_HTTP_get(url, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
	    NULL, 1, FEED_FETCH_MAX, FEED_TIMEOUT);
	if (in == NULL) {
		ERR_clear_error();
		return kn_err_set(KN_ERR_IO, "feed", "the feed cannot be "
		    "fetched from %s (no answer, not HTTP 200, not DER, or "
		    "larger than 32 MiB)", url);
	}
	kn_buf_init(&b, FEED_FETCH_MAX);
	while ((n = BIO_read(in, chunk, sizeof(chunk))) > 0)
		kn_buf_putn(&b, chunk, (size_t)n);
	BIO_free_all(in);
	if (b.failed)
		rc = kn_err_set(KN_ERR_TOOBIG, "feed", "the feed at %s is "
		    "larger than 32 MiB", url);
	else if (b.len == 0)
		rc = kn_err_set(KN_ERR_INVAL, "feed", "%s answered with an "
		    "empty body", url);
	else
		*out = kn_buf_steal(&b, len);
	kn_buf_cleanup(&b);
	return rc;
}

static bool
has_store(const char *datadir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/kakuin.conf", datadir);
	return stat(path, &st) == 0;
}

/*
 * The verified feed the mark is decided against: --feed (a file or an
 * http:// URL) checked against --root or the data directory's roots, or
 * the data directory's own feed.  On failure, why (for the report).
 */
static void
load_feed(struct cli *c, const char *src, const char *root,
    struct kn_feed **out, char *why, size_t whylen)
{
	struct kn_feed_conf fc = { 0, 0 };
	struct kn_feed_pub *pub = NULL;
	struct kn_feed_info info;
	unsigned char *der = NULL;
	char *anchors = NULL, *data = NULL;
	size_t len = 0;
	bool opened = false;
	int rc;

	*out = NULL;
	why[0] = '\0';
	if (src == NULL && !has_store(c->datadir)) {
		snprintf(why, whylen, "no feed of verified mail domains: not "
		    "in a kakuin data directory, and no --feed given");
		return;
	}
	if (root != NULL)
		rc = cli_read_file(root, 1 << 20, &anchors, &len);
	else if (has_store(c->datadir)) {
		rc = cli_open(c);
		opened = rc == 0;
		if (rc == 0)
			rc = kn_feed_anchors(c->db, &anchors);
	} else
		rc = kn_err_set(KN_ERR_INVAL, "root", "give the trust "
		    "center's root certificate with --root to check the feed");
	if (rc != 0)
		goto out;
	if (src != NULL && strncmp(src, "http", 4) == 0 &&
	    strstr(src, "://") != NULL)
		rc = fetch_feed(src, &data, &len);
	else if (src != NULL)
		rc = cli_read_file(src, KN_FEED_MAX_SIZE, &data, &len);
	else if ((rc = cli_ca(c)) == 0 &&
	    (fc.ttl = c->cfg.feed_ttl, rc = kn_feed_pub_new(&pub, &fc)) == 0 &&
	    (rc = kn_feed_current(pub, c->db, &c->env, &info, &der,
	    &len)) == 0)
		data = (char *)der;
	if (rc != 0)
		goto out;
	rc = kn_feed_verify(out, (const unsigned char *)data, len, anchors,
	    time(NULL), NULL);
out:
	if (rc != 0) {
		const struct kn_error *e = kn_err_get();

		snprintf(why, whylen, "no usable feed of verified mail "
		    "domains: %s", e->code == rc && e->msg[0] != '\0' ?
		    e->msg : kn_strerror(rc));
		kn_err_clear();
	}
	kn_feed_pub_free(pub);
	free(anchors);
	free(data);
	if (opened)
		cli_close(c);
}

static void
dkim_text(const struct kn_mail_report *r)
{
	size_t i;

	for (i = 0; i < r->dkim.n; i++) {
		const struct kn_dkim_result *d = &r->dkim.v[i];

		printf("  dkim=%s %s (selector %s, %s)", kn_dkim_status_name(
		    d->status), d->d[0] ? d->d : "(no domain)",
		    d->s[0] ? d->s : "?", d->a[0] ? d->a : "?");
		if (d->status != KN_DKIM_PASS)
			printf(": %s", d->reason);
		else if (d->has_l && d->unsigned_bytes > 0)
			printf(": only the first %llu octets of the body are "
			    "signed (l=)", (unsigned long long)d->l);
		else if (d->testing)
			printf(": the key is marked as testing (t=y)");
		putchar('\n');
	}
	if (r->dkim.n == 0)
		printf("  dkim=none: the message carries no DKIM signature\n");
	if (r->dkim.unlisted > 0)
		printf("  and %zu more DKIM signatures, not looked at\n",
		    r->dkim.unlisted);
}

static void
report_text(const struct kn_mail_report *r)
{
	printf("%s\n", r->text);
	if (r->from_ok)
		printf("  from: %s%s%s%s\n", r->from_display ?
		    r->from_display : "", r->from_display ? " <" : "",
		    r->from_addr, r->from_display ? ">" : "");
	else
		printf("  from: %s\n", r->from_error);
	dkim_text(r);
	if (r->spf_checked)
		printf("  spf=%s %s: %s\n", kn_spf_result_str(r->spf.result),
		    r->spf.domain, r->spf.reason);
	else
		printf("  spf=none: %s\n", r->spf_note);
	printf("  dmarc=%s: %s\n", kn_dmarc_result_name(r->dmarc.result),
	    r->dmarc.reason);
	printf("  mark=%s: %s\n", kn_mark_result_name(r->mark.result),
	    r->mark.reason);
}

static json_t *
dkim_json(const struct kn_mail_report *r)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < r->dkim.n; i++) {
		const struct kn_dkim_result *d = &r->dkim.v[i];
		json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?}",
		    "result", kn_dkim_status_name(d->status),
		    "domain", d->d[0] ? d->d : NULL,
		    "selector", d->s[0] ? d->s : NULL,
		    "algorithm", d->a[0] ? d->a : NULL,
		    "identity", d->i[0] ? d->i : NULL,
		    "header_b", d->b_head[0] ? d->b_head : NULL);

		json_object_set_new(o, "body_length", d->has_l ?
		    json_integer((json_int_t)d->l) : json_null());
		json_object_set_new(o, "unsigned_body_bytes",
		    json_integer((json_int_t)d->unsigned_bytes));
		json_object_set_new(o, "timestamp", d->has_t ?
		    json_integer((json_int_t)d->t) : json_null());
		json_object_set_new(o, "testing", json_boolean(d->testing));
		json_object_set_new(o, "key_bits", d->key_bits > 0 ?
		    json_integer(d->key_bits) : json_null());
		json_object_set_new(o, "key_dnssec", json_boolean(
		    d->key_secure));
		json_object_set_new(o, "reason", json_string(d->reason));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* A DMARC policy, or null when none was set. */
static json_t *
policy_json(enum kn_dmarc_policy p)
{
	return p == KN_DMARC_POLICY_UNSET ? json_null() :
	    json_string(kn_dmarc_policy_name(p));
}

static json_t *
report_json(const struct kn_mail_report *r, const char *file)
{
	const struct kn_feed_entry *org = r->mark.org;
	json_t *j, *o;

	j = json_pack("{s:s, s:s, s:s}", "file", file, "verdict",
	    kn_mail_verdict_name(r->verdict), "text", r->text);
	json_object_set_new(j, "from", r->from_ok ? json_pack("{s:s, s:s, "
	    "s:s?}", "address", r->from_addr, "domain", r->from_domain,
	    "display", r->from_display) : json_pack("{s:s}", "problem",
	    r->from_error));
	json_object_set_new(j, "dkim", dkim_json(r));
	if (r->spf_checked) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "result",
		    kn_spf_result_str(r->spf.result), "domain", r->spf.domain,
		    "sender", r->spf.sender, "reason", r->spf.reason,
		    "dnssec", r->spf.secure, "lookups", (int)r->spf.lookups);
		if (r->spf.mechanism[0] != '\0')
			json_object_set_new(o, "mechanism",
			    json_string(r->spf.mechanism));
		if (r->spf.explanation[0] != '\0')
			json_object_set_new(o, "explanation",
			    json_string(r->spf.explanation));
	} else
		o = json_pack("{s:s, s:s}", "result", "none", "reason",
		    r->spf_note);
	json_object_set_new(j, "spf", o);
	o = json_pack("{s:s, s:s}", "result", kn_dmarc_result_name(
	    r->dmarc.result), "reason",
	    r->dmarc.reason);
	if (r->dmarc.have_record) {
		json_object_set_new(o, "policy_domain",
		    json_string(r->dmarc.policy_domain));
		json_object_set_new(o, "requested",
		    policy_json(r->dmarc.requested));
	}
	json_object_set_new(o, "policy", policy_json(r->dmarc.policy));
	json_object_set_new(o, "aligned", json_pack("{s:b, s:b}", "dkim",
	    (r->dmarc.aligned & KN_DMARC_ALIGNED_DKIM) != 0, "spf",
	    (r->dmarc.aligned & KN_DMARC_ALIGNED_SPF) != 0));
	json_object_set_new(o, "dnssec", json_boolean(r->dmarc.dnssec));
	json_object_set_new(j, "dmarc", o);
	o = json_pack("{s:s, s:s}", "result", kn_mark_result_name(
	    r->mark.result), "reason", r->mark.reason);
	if (org != NULL) {
		json_object_set_new(o, "organization", json_pack("{s:s, s:s, "
		    "s:s?, s:s}", "number", org->number, "name", org->name,
		    "name_en", org->name_en, "domain", org->domain));
		json_object_set_new(o, "text", json_string(r->mark.text));
		if (r->mark.issuer != NULL)
			json_object_set_new(o, "verified_by",
			    json_string(r->mark.issuer));
	}
	json_object_set_new(j, "mark", o);
	return j;
}

static int
mail_verify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "client-ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'H' },
		{ "mail-from", required_argument, NULL, 'f' },
		{ "feed", required_argument, NULL, 'F' },
		{ "root", required_argument, NULL, 'r' },
		{ "dmarc", required_argument, NULL, 'D' },
		{ "authres", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "mail verify [--client-ip ADDR] "
	    "[--helo NAME] [--mail-from ADDR] [--feed FILE|URL] "
	    "[--root ROOT.pem] [--dmarc 7489|9989] [--authres AUTHSERV-ID] "
	    "[--json] MSG.eml|-";
	struct kn_mail_checker_conf cc;
	struct kn_mail_checker *ck = NULL;
	struct kn_mail_envelope env;
	struct kn_mail_report r;
	struct kn_config cfg;
	struct kn_dns *dns = NULL;
	struct kn_mail_msg *m = NULL;
	struct kn_feed *feed = NULL;
	struct kn_buf ar;
	const char *feed_src = NULL, *root = NULL, *authserv = NULL;
	const char *file;
	char *data = NULL, feed_why[640];
	size_t len = 0;
	bool json = false;
	int ch, rc;

	memset(&r, 0, sizeof(r));
	memset(&cfg, 0, sizeof(cfg));
	memset(&env, 0, sizeof(env));
	memset(&cc, 0, sizeof(cc));
	kn_buf_init(&ar, 64 << 10);
	cc.dmarc_mode = KN_DMARC_RFC7489;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'i':
			env.ip = optarg;
			break;
		case 'H':
			env.helo = optarg;
			break;
		case 'f':
			env.mailfrom = optarg;
			break;
		case 'F':
			feed_src = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'A':
			authserv = optarg;
			break;
		case 'D':
			if (strcmp(optarg, "7489") == 0)
				cc.dmarc_mode = KN_DMARC_RFC7489;
			else if (strcmp(optarg, "9989") == 0)
				cc.dmarc_mode = KN_DMARC_RFC9989;
			else {
				fprintf(stderr, "kakuin: mail verify: --dmarc "
				    "is 7489 (public suffix list) or 9989 (DNS "
				    "tree walk)\n");
				return EXIT_USAGE;
			}
			break;
		default:
			return cli_usage(usage);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
	file = argv[optind];
	/* A data directory is optional: its resolver setting if it has
	 * one, else KAKUIN_RESOLVER or the system's. */
	if ((rc = kn_config_load(&cfg, c->datadir, true)) != 0) {
		(void)cli_fail(c, rc, "configuration");
		return EXIT_USAGE;
	}
	if ((rc = kn_dns_new(&dns, cfg.resolver, cfg.dnssec_anchor)) != 0) {
		(void)cli_fail(c, rc, "mail verify");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = slurp(file, &data, &len)) != 0 ||
	    (rc = parse_msg(file, data, len, &m)) != 0)
		goto out;
	load_feed(c, feed_src, root, &feed, feed_why, sizeof(feed_why));
	cc.dns = dns;
	if ((rc = kn_mail_checker_new(&ck, &cc)) != 0 ||
	    (rc = kn_mail_check(ck, &r, m, env.ip != NULL ? &env : NULL,
	    feed, feed_why, 0)) != 0) {
		(void)cli_fail(c, rc, "mail verify");
		rc = EXIT_USAGE;
		goto out;
	}
	switch (r.verdict) {
	case KN_MAIL_TRUSTED:
	case KN_MAIL_AUTHENTIC:
		rc = 0;
		break;
	case KN_MAIL_CANNOT_CHECK:
		rc = EXIT_USAGE;
		break;
	default:
		rc = EXIT_BAD;
		break;
	}
	if (authserv != NULL && kn_mail_report_authres(&ar, &r, authserv,
	    "\n\t") != 0) {
		(void)cli_fail(c, KN_ERR_INVAL, "mail verify --authres");
		rc = EXIT_USAGE;
		goto out;
	}
	if (json) {
		json_t *j = report_json(&r, file);

		if (authserv != NULL)
			json_object_set_new(j, "authentication_results",
			    json_string(ar.data + (ar.data[0] == ' ')));
		if (cli_print_json(j) != 0)
			rc = EXIT_USAGE;
	} else {
		report_text(&r);
		if (authserv != NULL)
			printf("Authentication-Results:%s\n", ar.data);
	}
out:
	kn_mail_report_cleanup(&r);
	kn_mail_checker_free(ck);
	kn_feed_free(feed);
	kn_dns_free(dns);
	kn_mail_free(m);
	kn_config_cleanup(&cfg);
	kn_buf_cleanup(&ar);
	free(data);
	return rc;
}

/* ---------------------------------------------------------------- keygen */

/* The record as a zone file line: strings of at most 255 octets. */
static void
zone_line(struct kn_buf *b, const char *name, const char *value)
{
	size_t n = strlen(value), at = 0;

	kn_buf_putf(b, "%s. IN TXT ", name);
	if (n > 255)
		kn_buf_puts(b, "( ");
	while (at < n) {
		size_t take = n - at > 250 ? 250 : n - at;

		kn_buf_putf(b, "\"%.*s\"%s", (int)take, value + at,
		    at + take < n ? " " : "");
		at += take;
	}
	if (n > 255)
		kn_buf_puts(b, " )");
}

static int
mail_keygen(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "mail keygen --domain D --selector S "
	    "[--algorithm rsa-2048|rsa-3072|rsa-4096|ed25519] -o KEY.pem "
	    "[--json]";
	struct kn_dkim_sign_opts so;
	struct kn_dkim_signer *s = NULL;
	const char *kind = "rsa-2048", *out = NULL;
	struct kn_buf rec, line;
	EVP_PKEY *key = NULL;
	char name[2 * KN_DKIM_NAME_MAX + 16];
	bool json = false;
	int ch, rc;

	memset(&so, 0, sizeof(so));
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch == 'd')
			so.domain = optarg;
		else if (ch == 's')
			so.selector = optarg;
		else if (ch == 'a')
			kind = optarg;
		else if (ch == 'o')
			out = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind != argc || so.domain == NULL || so.selector == NULL ||
	    out == NULL)
		return cli_usage(usage);
	kn_buf_init(&rec, 1 << 16);
	kn_buf_init(&line, 1 << 16);
	/* The names are checked as a signer checks them. */
	if ((rc = kn_dkim_keygen(&key, kind)) != 0 ||
	    (rc = kn_dkim_signer_new(&s, key, &so)) != 0 ||
	    (rc = kn_dkim_key_record(&rec, key)) != 0 ||
	    (rc = kn_dkim_key_save(key, out)) != 0) {
		rc = json ? cli_fail_json(c, rc, "mail keygen") :
		    cli_fail(c, rc, "mail keygen");
		goto out;
	}
	snprintf(name, sizeof(name), "%s._domainkey.%s", so.selector,
	    so.domain);
	zone_line(&line, name, rec.data);
	if (line.failed) {
		rc = EXIT_BAD;
		goto out;
	}
	if (json)
		rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		    "key_file", out, "algorithm", kn_dkim_alg_name(
		    kn_dkim_signer_alg(s)), "name", name, "type", "TXT",
		    "value", rec.data, "zone_line", line.data));
	else
		printf("kakuin: wrote a new %s DKIM key to %s; publish its "
		    "public half in DNS:\n%s\n", kind, out, line.data);
out:
	kn_dkim_signer_free(s);
	EVP_PKEY_free(key);
	kn_buf_cleanup(&rec);
	kn_buf_cleanup(&line);
	return rc;
}

int
cmd_mail(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "mail sign|verify|keygen ...";

	if (argc < 2)
		return cli_usage(usage);
	argc--;
	argv++;
	if (strcmp(argv[0], "sign") == 0)
		return mail_sign(c, argc, argv);
	if (strcmp(argv[0], "verify") == 0)
		return mail_verify(c, argc, argv);
	if (strcmp(argv[0], "keygen") == 0)
		return mail_keygen(c, argc, argv);
	return cli_usage(usage);
}
