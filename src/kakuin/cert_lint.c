/*
 * cert_lint.c - kakuin cert lint FILE [--profile NAME] [--issuer CA.pem]
 * [--json]
 *
 * Reads one certificate (PEM or DER), lints it (lib/ca/lint.c) and prints
 * a verdict a person can act on, then each finding with its rule and the
 * section it comes from.  Exit 0: no error finding; 1: errors; 2: the file
 * could not be read or parsed, or wrong usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/lint.h"
#include "kakuin/cli.h"

#define USAGE "cert lint FILE [--profile NAME] [--issuer CA.pem] " \
	"[--json]"

int	cert_lint(struct cli *c, int argc, char **argv);

/* Reads a whole file of at most max bytes. */
static int
read_file(const char *path, unsigned char **out, size_t *out_len,
    size_t max)
{
	FILE *f;
	unsigned char *buf = NULL;
	size_t n = 0;
	int rc = KN_ERR_IO;

	if ((f = fopen(path, "rb")) == NULL)
		return kn_err_set(KN_ERR_IO, "file", "cannot open %s: %s",
		    path, strerror(errno));
	if ((buf = malloc(max + 1)) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		rc = kn_err_set(KN_ERR_IO, "file", "cannot read %s", path);
		goto out;
	}
	if (n > max) {
		rc = kn_err_set(KN_ERR_TOOBIG, "file", "%s is larger than "
		    "%zu bytes; it is not one certificate", path, max);
		goto out;
	}
	*out = buf;
	*out_len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/*
 * PEM (one CERTIFICATE block, nothing but white space around it) or DER
 * (exactly one certificate).
 */
static int
load_cert(const char *path, X509 **out)
{
	unsigned char *buf = NULL;
	const unsigned char *p;
	size_t len = 0, i;
	X509 *x = NULL;
	BIO *bio = NULL;
	int rc;

	if ((rc = read_file(path, &buf, &len, 2 * KN_LINT_DER_MAX)) != 0)
		return rc;
	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) != NULL; i++)
		;
	if (len - i >= 11 && memcmp(buf + i, "-----BEGIN ", 11) == 0) {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (bio == NULL || (x = PEM_read_bio_X509(bio, NULL, NULL,
		    NULL)) == NULL) {
			rc = kn_err_set(KN_ERR_INVAL, "file", "%s holds no "
			    "readable PEM CERTIFICATE", path);
			goto out;
		}
	} else {
		if (len > KN_LINT_DER_MAX) {
			rc = kn_err_set(KN_ERR_TOOBIG, "file", "%s is larger "
			    "than %d bytes", path, KN_LINT_DER_MAX);
			goto out;
		}
		p = buf;
		if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
			rc = kn_err_set(KN_ERR_INVAL, "file", "%s is neither "
			    "a PEM nor a DER certificate", path);
			goto out;
		}
		if (p != buf + len) {
			rc = kn_err_set(KN_ERR_INVAL, "file", "%s has %zu "
			    "bytes after the DER certificate", path,
			    (size_t)(buf + len - p));
			goto out;
		}
	}
	*out = x;
	x = NULL;
	rc = 0;
out:
	X509_free(x);
	BIO_free(bio);
	free(buf);
	return rc;
}

static const char *
level_name(enum kn_lint_level l)
{
	return l == KN_LINT_ERROR ? "error" : "warning";
}

static void
print_text(const struct kn_lint_report *rep, const char *path)
{
	const char *pname = rep->profile ? rep->profile->name : NULL;
	size_t i;

	if (rep->errors > 0)
		printf("This certificate breaks %zu rule%s of %s%s and must "
		    "not be trusted or issued:\n", rep->errors,
		    rep->errors == 1 ? "" : "s", pname ? "profile " :
		    "RFC 5280", pname ? pname : "");
	else
		printf("This certificate passes every rule of %s%s%s.\n",
		    pname ? "profile " : "RFC 5280", pname ? pname : "",
		    rep->warnings ? " (see the warnings below)" : "");
	if (pname == NULL)
		printf("(No kakuin profile fits %s; only RFC 5280 was "
		    "checked.  Name one with --profile.)\n", path);
	for (i = 0; i < rep->n; i++)
		printf("  %-7s %s [%s]: %s\n", level_name(rep->f[i].level),
		    rep->f[i].rule, rep->f[i].source, rep->f[i].msg);
	if (rep->errors + rep->warnings > rep->n)
		printf("  ... and %zu more findings not shown\n",
		    rep->errors + rep->warnings - rep->n);
}

static void
print_json(const struct kn_lint_report *rep)
{
	json_t *j, *a;
	size_t i;

	a = json_array();
	for (i = 0; i < rep->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
		    "level", level_name(rep->f[i].level), "rule",
		    rep->f[i].rule, "source", rep->f[i].source, "message",
		    rep->f[i].msg));
	j = json_pack("{s:s?, s:I, s:I, s:o}", "profile",
	    rep->profile ? rep->profile->name : NULL, "errors",
	    (json_int_t)rep->errors, "warnings", (json_int_t)rep->warnings,
	    "findings", a);
	cli_print_json(j);
}

int
cert_lint(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kn_lint_report *rep = NULL;
	const struct kn_profile *prof = NULL;
	const char *pname = NULL, *ipath = NULL, *path;
	X509 *x = NULL, *issuer = NULL;
	bool json = false;
	int ch, rc, status = EXIT_USAGE;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			pname = optarg;
			break;
		case 'i':
			ipath = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage(USAGE);
		}
	}
	if (optind != argc - 1)
		return cli_usage(USAGE);
	path = argv[optind];
	if (pname != NULL && (prof = kn_profile_find(pname)) == NULL) {
		rc = kn_err_set(KN_ERR_INVAL, "profile", "there is no "
		    "profile %s (docs/profiles.md lists them)", pname);
		goto fail;
	}
	if ((rc = load_cert(path, &x)) != 0)
		goto fail;
	if (ipath != NULL && (rc = load_cert(ipath, &issuer)) != 0)
		goto fail;
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto fail;
	}
	if ((rc = kn_lint_cert(rep, x, prof, issuer)) != 0)
		goto fail;
	if (json)
		print_json(rep);
	else
		print_text(rep, path);
	status = rep->errors > 0 ? EXIT_BAD : 0;
	goto out;
fail:
	if (json)
		cli_fail_json(c, rc, "cert lint");
	else
		cli_fail(c, rc, "cert lint");
	status = EXIT_USAGE;
out:
	free(rep);
	X509_free(x);
	X509_free(issuer);
	return status;
}
