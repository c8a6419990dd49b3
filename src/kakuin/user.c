/* user.c - kakuin user add|list|token */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "base/text.h"
#include "kakuin/cli.h"
#include "registry/corpnum.h"
#include "store/db.h"

#define USAGE_ADD "user add NAME --role admin|ra [--org NUMBER] " \
	"[--password-env VAR | --no-password]"
#define USAGE_TOKEN "user token NAME [--ttl DAYS] [--label TEXT] [--json]"

static int
user_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "password-env", required_argument, NULL, 'p' },
		{ "no-password", no_argument, NULL, 'n' },
		{ "org", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *env = NULL;
	int64_t org = 0;
	char *pw = NULL;
	bool nopw = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			role = optarg;
			break;
		case 'p':
			env = optarg;
			break;
		case 'n':
			nopw = true;
			break;
		case 'o':
			if ((rc = kn_corpnum_parse(&org, optarg,
			    strlen(optarg))) != 0)
				return cli_fail(c, rc, NULL);
			break;
		default:
			return cli_usage(USAGE_ADD);
		}
	}
	if (optind + 1 != argc || role == NULL)
		return cli_usage(USAGE_ADD);
	if (!nopw && (pw = cli_secret(env, "password: ")) == NULL)
		return EXIT_BAD;
	if (cli_open(c) != 0) {
		free(pw);
		return EXIT_BAD;
	}
	rc = kn_user_add_org(c->db, c->actor, argv[optind], role, pw, org);
	if (pw != NULL) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "user add");
	printf("kakuin: added %s officer %s\n", role, argv[optind]);
	return 0;
}

static int
user_list(struct cli *c, int argc, char **argv)
{
	struct kn_user *u = NULL;
	size_t n = 0, i;
	bool json = false;
	int rc;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_usage("user list [--json]");
	}
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_user_list(c->db, &u, &n);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "user list");
	if (json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:s, "
			    "s:b, s:b, s:I}", "name", u[i].name, "role",
			    u[i].role, "created_at", u[i].created_at,
			    "disabled", u[i].disabled, "password",
			    u[i].has_password, "tokens",
			    (json_int_t)u[i].tokens));
		free(u);
		return cli_print_json(a);
	}
	printf("%-24s %-6s %-21s %s\n", "NAME", "ROLE", "CREATED", "TOKENS");
	for (i = 0; i < n; i++)
		printf("%-24s %-6s %-21s %lld%s\n", u[i].name, u[i].role,
		    u[i].created_at, (long long)u[i].tokens,
		    u[i].disabled ? " (disabled)" : "");
	free(u);
	return 0;
}

static int
user_token(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char token[KN_API_TOKEN_LEN + 1];
	const char *label = NULL;
	int64_t days = 90;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (kn_parse_int64(&days, optarg, 0, 3650) != 0) {
				fprintf(stderr, "kakuin: --ttl is a number of "
				    "days from 0 (no expiry) to 3650\n");
				return EXIT_BAD;
			}
			break;
		case 'l':
			label = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_usage(USAGE_TOKEN);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(USAGE_TOKEN);
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = kn_user_token(c->db, c->actor, argv[optind], label,
	    days * 86400, token);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, "user token");
	if (json)
		rc = cli_print_json(json_pack("{s:s, s:s, s:I}", "user",
		    argv[optind], "token", token, "ttl_days",
		    (json_int_t)days));
	else
		printf("%s\n", token);
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

/* user disable NAME, user revoke-tokens NAME */
static int
user_cut(struct cli *c, int argc, char **argv, bool disable)
{
	int64_t n = 0;
	int rc;

	if (argc != 2)
		return cli_usage(disable ? "user disable NAME" :
		    "user revoke-tokens NAME");
	if (cli_open(c) != 0)
		return EXIT_BAD;
	rc = disable ? kn_user_disable(c->db, c->actor, argv[1]) :
	    kn_user_revoke_tokens(c->db, c->actor, argv[1], &n);
	cli_close(c);
	if (rc != 0)
		return cli_fail(c, rc, argv[0]);
	if (disable)
		printf("kakuin: user %s is disabled; its tokens no longer "
		    "work\n", argv[1]);
	else
		printf("kakuin: revoked %lld token(s) of %s\n", (long long)n,
		    argv[1]);
	return 0;
}

int
cmd_user(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("user add|list|token|revoke-tokens|disable "
		    "...");
	argc--;
	argv++;
	if (strcmp(argv[0], "disable") == 0)
		return user_cut(c, argc, argv, true);
	if (strcmp(argv[0], "revoke-tokens") == 0)
		return user_cut(c, argc, argv, false);
	if (strcmp(argv[0], "add") == 0)
		return user_add(c, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return user_list(c, argc, argv);
	if (strcmp(argv[0], "token") == 0)
		return user_token(c, argc, argv);
	return cli_usage("user add|list|token|revoke-tokens|disable ...");
}
