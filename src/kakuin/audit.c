/* audit.c - kakuin audit verify|list */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "base/text.h"
#include "kakuin/cli.h"
#include "store/db.h"

static int
audit_verify(struct cli *c, bool json)
{
	struct kn_audit_report rep;
	int rc;

	if (cli_open(c) != 0)
		return EXIT_USAGE;
	rc = kn_audit_verify(c->db, &rep);
	cli_close(c);
	if (rc != 0 && rc != KN_ERR_VERIFY) {
		cli_fail(c, rc, "audit verify");
		return EXIT_USAGE;
	}
	if (json) {
		json_t *j = json_pack("{s:b, s:I}", "intact", rc == 0, "rows",
		    (json_int_t)rep.rows);

		if (rc == 0)
			json_object_set_new(j, "head", json_string(rep.head));
		else {
			json_object_set_new(j, "broken_at",
			    json_integer(rep.broken_seq));
			json_object_set_new(j, "reason",
			    json_string(rep.reason));
		}
		cli_print_json(j);
	} else if (rc == 0) {
		printf("audit log intact: %" PRId64 " records, every link "
		    "checked.\nhead %s\n(record the head elsewhere to detect "
		    "a rewrite of the whole log)\n", rep.rows, rep.head);
	} else {
		printf("audit log BROKEN at record %" PRId64 ": %s\n"
		    "%" PRId64 " records before it are intact.\n",
		    rep.broken_seq, rep.reason, rep.rows);
	}
	return rc == 0 ? 0 : EXIT_BAD;
}

static int
audit_list(struct cli *c, int64_t limit, bool json)
{
	struct kn_stmt *st = NULL;
	json_t *a = json_array();
	int rc;

	if (cli_open(c) != 0)
		return EXIT_BAD;
	if ((rc = kn_db_prepare(c->db, &st, "SELECT seq, at, actor, action, "
	    "object, detail FROM (SELECT * FROM audit ORDER BY seq DESC "
	    "LIMIT ?) AS t ORDER BY seq")) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 1, limit)) == 0) {
		while ((rc = kn_stmt_step(st)) == KN_ROW) {
			if (json) {
				json_array_append_new(a, json_pack("{s:I, "
				    "s:s, s:s, s:s, s:s, s:o}", "seq",
				    (json_int_t)kn_stmt_int64(st, 0), "at",
				    kn_stmt_text(st, 1), "actor",
				    kn_stmt_text(st, 2), "action",
				    kn_stmt_text(st, 3), "object",
				    kn_stmt_text(st, 4), "detail",
				    json_loads(kn_stmt_text(st, 5), 0,
				    NULL)));
			} else {
				printf("%6" PRId64 " %s %-18s %-22s %s %s\n",
				    kn_stmt_int64(st, 0), kn_stmt_text(st, 1),
				    kn_stmt_text(st, 2), kn_stmt_text(st, 3),
				    kn_stmt_text(st, 4), kn_stmt_text(st, 5));
			}
		}
	}
	kn_stmt_free(st);
	cli_close(c);
	if (rc < 0) {
		json_decref(a);
		return cli_fail(c, rc, "audit list");
	}
	if (json)
		return cli_print_json(a);
	json_decref(a);
	return 0;
}

int
cmd_audit(struct cli *c, int argc, char **argv)
{
	int64_t limit = 50;
	bool json = false;
	int i;

	if (argc < 2)
		return cli_usage("audit verify|list [--json] [--limit N]");
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
		    kn_parse_int64(&limit, argv[i + 1], 1, 1000000) == 0)
			i++;
		else
			return cli_usage("audit verify|list [--json] "
			    "[--limit N]");
	}
	if (strcmp(argv[1], "verify") == 0)
		return audit_verify(c, json);
	if (strcmp(argv[1], "list") == 0)
		return audit_list(c, limit, json);
	return cli_usage("audit verify|list [--json] [--limit N]");
}
