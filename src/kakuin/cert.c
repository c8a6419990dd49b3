/* cert.c - kakuin cert request|approve|reject|show|list|requests|export|
 * renew|suspend|resume|revoke|lint */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <openssl/crypto.h>

#include "base/text.h"
#include "ca/ca.h"
#include "kakuin/cli.h"
#include "registry/corpnum.h"

#define FILE_MAX (1 << 20)

/* Reads a whole (small) file; NULL with a message on failure. */
static char *
slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		perror(path);
		return NULL;
	}
	if ((buf = malloc(FILE_MAX + 1)) == NULL) {
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	n = fread(buf, 1, FILE_MAX + 1, f);
	if (f != stdin)
		fclose(f);
	if (n > FILE_MAX) {
		fprintf(stderr, "kakuin: %s is larger than %d bytes\n", path,
		    FILE_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (strlen(buf) != n) {
		fprintf(stderr, "kakuin: %s is not a text (PEM) file\n", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* A local RA officer (--as) acts on its own organization only. */
static int
own_org(struct cli *c, const char *serial)
{
	struct kn_cert x;
	int rc, bad;

	if (c->officer == NULL || c->officer->org_number == 0)
		return 0;
	if ((rc = kn_cert_get(c->db, &x, serial)) != 0)
		return cli_fail(c, rc, "cert");
	bad = x.org_number != c->officer->org_number;
	kn_cert_cleanup(&x);
	if (bad) {
		fprintf(stderr, "kakuin: officer %s is a local RA officer of "
		    "another organization\n", c->officer->name);
		return EXIT_BAD;
	}
	return 0;
}

static json_t *
cert_json(const struct kn_cert *x)
{
	char num[KN_CORPNUM_LEN + 1];
	json_t *j;

	kn_corpnum_format(num, x->org_number);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "serial",
	    x->serial, "ca", x->ca, "org", num, "profile", x->profile,
	    "subject", x->subject, "not_before", x->not_before, "not_after",
	    x->not_after, "status", x->status);
	json_object_set_new(j, "emails", x->emails ? json_string(x->emails) :
	    json_null());
	json_object_set_new(j, "dns_names", x->dns_names ?
	    json_string(x->dns_names) : json_null());
	json_object_set_new(j, "revoked_at", x->revoked_at ?
	    json_string(x->revoked_at) : json_null());
	json_object_set_new(j, "reason", x->reason ? json_string(x->reason) :
	    json_null());
	json_object_set_new(j, "p12_waiting", json_boolean(x->p12_waiting));
	json_object_set_new(j, "pem", json_string(x->cert_pem));
	return j;
}

static const char *
status_words(const char *s)
{
	if (strcmp(s, "valid") == 0)
		return "valid";
	if (strcmp(s, "hold") == 0)
		return "SUSPENDED (certificateHold): do not rely on it now";
	return "REVOKED: do not rely on it";
}

static void
print_cert(const struct kn_cert *x)
{
	char num[KN_CORPNUM_LEN + 1];

	kn_corpnum_format(num, x->org_number);
	printf("%s  %s\n  %-10s %s\n  %-10s %s, organization %s, CA %s\n"
	    "  %-10s %.10s to %.10s\n", x->serial, status_words(x->status),
	    "subject", x->subject, "profile", x->profile, num, x->ca,
	    "valid", x->not_before, x->not_after);
	if (x->emails)
		printf("  %-10s %s\n", "email", x->emails);
	if (x->dns_names)
		printf("  %-10s %s\n", "dns", x->dns_names);
	if (x->revoked_at)
		printf("  %-10s %s (%s)\n", strcmp(x->status, "hold") == 0 ?
		    "suspended" : "revoked", x->revoked_at, x->reason ?
		    x->reason : "unspecified");
	if (x->p12_waiting)
		printf("  %-10s waiting to be exported once (kakuin cert "
		    "export %s --p12 -o FILE)\n", "pkcs12", x->serial);
}

static int
cert_request(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, 'p' },
		{ "csr", required_argument, NULL, 'c' },
		{ "keygen", required_argument, NULL, 'k' },
		{ "email", required_argument, NULL, 'e' },
		{ "dns", required_argument, NULL, 'd' },
		{ "given-name", required_argument, NULL, 'g' },
		{ "surname", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'D' },
		{ "ca", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "cert request --org NUMBER --profile P "
	    "(--csr FILE | --keygen ALG) [--email ADDR]... [--dns NAME]... "
	    "[--given-name G --surname S] [--days N] [--ca NAME] [--json]";
	struct kn_cert_request_in in;
	char code[KN_REVOCATION_CODE], *csr = NULL;
	const char *org = NULL, *csrfile = NULL;
	int64_t id, days;
	bool json = false;
	int ch, rc;

	memset(&in, 0, sizeof(in));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			org = optarg;
			break;
		case 'p':
			in.profile = optarg;
			break;
		case 'c':
			csrfile = optarg;
			break;
		case 'k':
			in.keygen = optarg;
			break;
		case 'e':
			if (in.nemails == KN_MAX_NAMES)
				return cli_usage(usage);
			in.emails[in.nemails++] = optarg;
			break;
		case 'd':
			if (in.ndns == KN_MAX_NAMES)
				return cli_usage(usage);
			in.dns[in.ndns++] = optarg;
			break;
		case 'g':
			in.given_name = optarg;
			break;
		case 's':
			in.surname = optarg;
			break;
		case 'D':
			if (kn_parse_int64(&days, optarg, 1, 100000) != 0)
				return cli_usage(usage);
			in.days = (int)days;
			break;
		case 'a':
			in.ca = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage(usage);
		}
	}
	if (optind != argc || org == NULL || in.profile == NULL)
		return cli_usage(usage);
	if ((rc = kn_corpnum_parse(&in.org, org, strlen(org))) != 0)
		return cli_fail(c, rc, NULL);
	if (csrfile != NULL && (csr = slurp(csrfile)) == NULL)
		return EXIT_BAD;
	in.csr_pem = csr;
	if (cli_open(c) != 0) {
		free(csr);
		return EXIT_BAD;
	}
	if (c->officer != NULL && c->officer->org_number != 0 &&
	    c->officer->org_number != in.org) {
		cli_close(c);
		free(csr);
		fprintf(stderr, "kakuin: cert request: officer %s is a local RA "
		    "officer of another organization\n", c->officer_buf.name);
		return EXIT_BAD;
	}
	rc = kn_cert_request(c->db, c->actor, &in, &id, code);
	cli_close(c);
	free(csr);
	if (rc != 0)
		return json ? cli_fail_json(c, rc, "cert request") :
		    cli_fail(c, rc, "cert request");
	if (json)
		cli_print_json(json_pack("{s:I, s:s, s:s}", "id",
		    (json_int_t)id, "status", "pending", "revocation_code",
		    code));
	else
		printf("kakuin: request %lld is waiting for an officer's "
		    "approval (kakuin cert approve %lld)\n"
		    "revocation code for the subscriber (shown once; it "
		    "revokes the certificate): %s\n", (long long)id,
		    (long long)id, code);
	OPENSSL_cleanse(code, sizeof(code));
	return 0;
}

static int
cert_approve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "checked-by", required_argument, NULL, 'w' },
		{ "method", required_argument, NULL, 'm' },
		{ "evidence", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "cert approve ID [--checked-by WHO] "
	    "[--method HOW] [--evidence REF] [--json]";
	struct kn_identity_check idc = { NULL, NULL, NULL };
	char serial[KN_SERIAL_HEX], pw[KN_P12_PASSWORD];
	int64_t id;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'w')
			idc.who = optarg;
		else if (ch == 'm')
			idc.how = optarg;
		else if (ch == 'e')
			idc.ref = optarg;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage(usage);
	}
	if (optind + 1 != argc || kn_parse_int64(&id, argv[optind], 1,
	    INT64_MAX) != 0)
		return cli_usage(usage);
	if (cli_open(c) != 0 || cli_ca(c) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	/* The approving officer is the checker unless someone else is
	 * named; the method must be said when the defaults do not fit. */
	if (idc.who == NULL)
		idc.who = c->actor;
	if (idc.how == NULL)
		idc.how = "confirmed by the approving officer";
	rc = kn_cert_approve(c->db, &c->env, c->actor, c->officer, id, &idc,
	    serial, pw);
	cli_close(c);
	if (rc != 0)
		return json ? cli_fail_json(c, rc, "cert approve") :
		    cli_fail(c, rc, "cert approve");
	if (json) {
		json_t *j = json_pack("{s:I, s:s}", "request", (json_int_t)id,
		    "serial", serial);

		if (pw[0] != '\0')
			json_object_set_new(j, "p12_password",
			    json_string(pw));
		cli_print_json(j);
	} else {
		printf("kakuin: issued certificate %s\n", serial);
		if (pw[0] != '\0')
			printf("the key was generated by the CA: hand the "
			    "subscriber the PKCS#12 once (kakuin cert export "
			    "%s --p12 -o FILE) and, separately, its password:"
			    "\n  %s\n", serial, pw);
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	return 0;
}

static int
cert_reject(struct cli *c, int argc, char **argv)
{
	int64_t id;
	int rc;

	if (argc != 4 || strcmp(argv[2], "--reason") != 0 ||
	    kn_parse_int64(&id, argv[1], 1, INT64_MAX) != 0)
		return cli_usage("cert reject ID --reason TEXT");
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_cert_reject(c->db, c->actor, c->officer, id, argv[3]);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "cert reject");
	printf("kakuin: request %lld rejected\n", (long long)id);
	return 0;
}

static int
cert_show(struct cli *c, int argc, char **argv)
{
	struct kn_cert x;
	const char *serial = NULL;
	bool json = false, pem = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--pem") == 0)
			pem = true;
		else if (serial == NULL)
			serial = argv[i];
		else
			return cli_usage("cert show SERIAL [--pem|--json]");
	}
	if (serial == NULL)
		return cli_usage("cert show SERIAL [--pem|--json]");
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_cert_get(c->db, &x, serial);
	cli_close(c);
	if (rc != 0)
		return json ? cli_fail_json(c, rc, "cert show") :
		    cli_fail(c, rc, "cert show");
	if (pem)
		fputs(x.cert_pem, stdout);
	else if (json)
		cli_print_json(cert_json(&x));
	else
		print_cert(&x);
	kn_cert_cleanup(&x);
	return 0;
}

static int
cert_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "status", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kn_cert_query q = { .limit = 50 };
	struct kn_cert *v = NULL;
	int64_t n64;
	size_t n = 0, i;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'o' && kn_corpnum_parse(&q.org, optarg,
		    strlen(optarg)) == 0)
			;
		else if (ch == 's' && (strcmp(optarg, "valid") == 0 ||
		    strcmp(optarg, "hold") == 0 || strcmp(optarg, "revoked") ==
		    0))
			q.status = optarg;
		else if (ch == 'l' && kn_parse_int64(&n64, optarg, 1,
		    500) == 0)
			q.limit = (int)n64;
		else if (ch == 'j')
			json = true;
		else
			return cli_usage("cert list [--org NUMBER] [--status "
			    "valid|hold|revoked] [--limit N] [--json]");
	}
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_cert_list(c->db, &q, &v, &n);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "cert list");
	if (json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, cert_json(&v[i]));
		cli_print_json(json_pack("{s:o}", "certs", a));
	} else {
		for (i = 0; i < n; i++)
			printf("%s  %-7s %-26s %s\n", v[i].serial, v[i].status,
			    v[i].profile, v[i].subject);
		if (n == 0)
			printf("no certificates\n");
	}
	kn_cert_list_free(v, n);
	return 0;
}

static int
cert_requests(struct cli *c, int argc, char **argv)
{
	struct kn_request_info *v = NULL;
	const char *status = "pending";
	char num[KN_CORPNUM_LEN + 1];
	bool json = false;
	size_t n = 0, i;
	int k, rc;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			json = true;
		else if (strcmp(argv[k], "--all") == 0)
			status = NULL;
		else if (strcmp(argv[k], "--status") == 0 && k + 1 < argc &&
		    (strcmp(argv[k + 1], "pending") == 0 ||
		    strcmp(argv[k + 1], "issued") == 0 ||
		    strcmp(argv[k + 1], "rejected") == 0))
			status = argv[++k];
		else
			return cli_usage("cert requests [--status S|--all] "
			    "[--json]");
	}
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_request_list(c->db, status, &v, &n);
	/* A local RA officer sees its own organization's requests. */
	if (rc == 0 && c->officer != NULL && c->officer->org_number != 0) {
		size_t k2 = 0;

		for (i = 0; i < n; i++) {
			if (v[i].org == c->officer->org_number)
				v[k2++] = v[i];
			else
				kn_request_list_free_one(&v[i]);
		}
		n = k2;
	}
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "cert requests");
	if (json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++) {
			kn_corpnum_format(num, v[i].org);
			json_array_append_new(a, json_pack("{s:I, s:s, s:s, "
			    "s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s?, s:s?}",
			    "id", (json_int_t)v[i].id, "org", num, "profile",
			    v[i].profile, "status", v[i].status, "name",
			    v[i].names, "emails", v[i].emails, "dns",
			    v[i].dns_names, "requested_by", v[i].requested_by,
			    "created_at", v[i].created_at, "decision",
			    v[i].decision, "serial", v[i].serial));
		}
		cli_print_json(json_pack("{s:o}", "requests", a));
	} else {
		for (i = 0; i < n; i++) {
			kn_corpnum_format(num, v[i].org);
			printf("%6lld  %-8s %s %-26s %s %s\n",
			    (long long)v[i].id, v[i].status, num,
			    v[i].profile, v[i].names ? v[i].names : "",
			    v[i].emails ? v[i].emails : v[i].dns_names ?
			    v[i].dns_names : "");
		}
		if (n == 0)
			printf("no %s requests\n", status ? status : "");
	}
	kn_request_list_free(v, n);
	return 0;
}

static int
cert_export(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "p12", no_argument, NULL, 'p' },
		{ "pem", no_argument, NULL, 'P' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct kn_cert x;
	unsigned char *der = NULL;
	const char *out = NULL;
	size_t len = 0;
	bool p12 = false;
	FILE *f;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch == 'p')
			p12 = true;
		else if (ch == 'P')
			p12 = false;
		else if (ch == 'o')
			out = optarg;
		else
			return cli_usage("cert export SERIAL [--pem|--p12] "
			    "[-o FILE]");
	}
	if (optind + 1 != argc || (p12 && out == NULL)) {
		if (p12 && out == NULL)
			fprintf(stderr, "kakuin: a PKCS#12 is written only to "
			    "a file (-o FILE)\n");
		return cli_usage("cert export SERIAL [--pem|--p12] [-o FILE]");
	}
	if (cli_open(c) != 0)
		return EXIT_BAD;
	if (own_org(c, argv[optind]) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	if (p12)
		rc = kn_cert_take_p12(c->db, c->actor, argv[optind], &der,
		    &len);
	else if ((rc = kn_cert_get(c->db, &x, argv[optind])) == 0) {
		der = (unsigned char *)strdup(x.cert_pem);
		len = der ? strlen(x.cert_pem) : 0;
		kn_cert_cleanup(&x);
		if (der == NULL)
			rc = KN_ERR_NOMEM;
	}
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "cert export");
	if (out != NULL) {
		/* Never readable by others: it holds a private key. */
		int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    p12 ? 0600 : 0644);

		f = fd == -1 ? NULL : fdopen(fd, "wb");
		if (f == NULL && fd != -1)
			close(fd);
	} else
		f = stdout;
	if (f == NULL) {
		perror(out);
		fprintf(stderr, "kakuin: the file must not exist yet%s\n", p12 ?
		    "; the PKCS#12 was handed out and is gone from the store "
		    "(issue a new key with kakuin cert renew)" : "");
		free(der);
		return EXIT_BAD;
	}
	rc = fwrite(der, 1, len, f) == len ? 0 : EXIT_BAD;
	if (f != stdout && fclose(f) != 0)
		rc = EXIT_BAD;
	free(der);
	if (rc == 0 && out != NULL)
		printf("kakuin: wrote %s\n", out);
	return rc;
}

static int
cert_renew(struct cli *c, int argc, char **argv)
{
	char code[KN_REVOCATION_CODE], *csr = NULL;
	int64_t id;
	bool json = false;
	int i, rc;
	const char *serial = NULL, *csrfile = NULL;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--csr") == 0 && i + 1 < argc)
			csrfile = argv[++i];
		else if (serial == NULL)
			serial = argv[i];
		else
			return cli_usage("cert renew SERIAL [--csr FILE] "
			    "[--json]");
	}
	if (serial == NULL)
		return cli_usage("cert renew SERIAL [--csr FILE] [--json]");
	if (csrfile != NULL && (csr = slurp(csrfile)) == NULL)
		return EXIT_BAD;
	if (cli_open(c) != 0 || own_org(c, serial) != 0) {
		cli_close(c);
		free(csr);
		return EXIT_BAD;
	}
	rc = kn_cert_renew(c->db, c->actor, serial, csr, &id, code);
	cli_close(c);
	free(csr);
	if (rc != 0)
		return cli_fail(c, rc, "cert renew");
	if (json)
		cli_print_json(json_pack("{s:I, s:s, s:s}", "id",
		    (json_int_t)id, "renewal_of", serial, "revocation_code",
		    code));
	else
		printf("kakuin: renewal request %lld is waiting for approval "
		    "(kakuin cert approve %lld)\nrevocation code: %s\n",
		    (long long)id, (long long)id, code);
	OPENSSL_cleanse(code, sizeof(code));
	return 0;
}

/* suspend, resume and revoke: the change, then the CA's new CRL. */
static int
cert_status(struct cli *c, int argc, char **argv)
{
	const char *reason = NULL, *code = NULL, *serial = NULL;
	struct kn_cert x;
	int i, rc, n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (strcmp(argv[i], "--code") == 0 && i + 1 < argc)
			code = argv[++i];
		else if (serial == NULL)
			serial = argv[i];
		else
			serial = NULL, i = argc;
	}
	if (serial == NULL || (strcmp(argv[0], "revoke") != 0 &&
	    (reason != NULL || code != NULL)))
		return cli_usage(strcmp(argv[0], "revoke") == 0 ?
		    "cert revoke SERIAL --reason REASON [--code CODE]" :
		    "cert suspend|resume SERIAL");
	if (cli_open(c) != 0 || cli_ca(c) != 0) {
		cli_close(c);
		return EXIT_BAD;
	}
	if (strcmp(argv[0], "revoke") == 0)
		rc = kn_cert_revoke(c->db, &c->env, c->actor, code ? NULL :
		    c->officer, serial, reason ? reason : "unspecified", code);
	else if (strcmp(argv[0], "suspend") == 0)
		rc = kn_cert_suspend(c->db, &c->env, c->actor, c->officer,
		    serial);
	else
		rc = kn_cert_resume(c->db, &c->env, c->actor, c->officer,
		    serial);
	if (rc != 0) {
		rc = cli_fail(c, rc, argv[0]);
		cli_close(c);
		return rc;
	}
	if (kn_cert_get(c->db, &x, serial) == 0) {
		if (kn_crl_generate(c->db, &c->env, c->actor, x.ca, &n) != 0)
			fprintf(stderr, "kakuin: the CRL of %s could not be "
			    "signed now: %s; kakuin serve signs it before its "
			    "next update\n", x.ca,
			    kn_err_msg(kn_err_get()->code));
		printf("kakuin: %s is now %s\n", x.serial,
		    status_words(x.status));
		kn_cert_cleanup(&x);
	}
	cli_close(c);
	return 0;
}

int
cmd_cert(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "cert request|approve|reject|show|list|"
	    "requests|export|renew|suspend|resume|revoke|lint ...";

	if (argc < 2)
		return cli_usage(usage);
	argc--;
	argv++;
	if (strcmp(argv[0], "request") == 0)
		return cert_request(c, argc, argv);
	if (strcmp(argv[0], "approve") == 0)
		return cert_approve(c, argc, argv);
	if (strcmp(argv[0], "reject") == 0)
		return cert_reject(c, argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return cert_show(c, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return cert_list(c, argc, argv);
	if (strcmp(argv[0], "requests") == 0)
		return cert_requests(c, argc, argv);
	if (strcmp(argv[0], "export") == 0)
		return cert_export(c, argc, argv);
	if (strcmp(argv[0], "renew") == 0)
		return cert_renew(c, argc, argv);
	if (strcmp(argv[0], "suspend") == 0 || strcmp(argv[0], "resume") ==
	    0 || strcmp(argv[0], "revoke") == 0)
		return cert_status(c, argc, argv);
	if (strcmp(argv[0], "lint") == 0)
		return cert_lint(c, argc, argv);
	return cli_usage(usage);
}
