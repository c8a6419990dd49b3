/* audit.c - hash-chained audit log. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "base/text.h"
#include "store/db.h"

static bool
put_field(EVP_MD_CTX *md, const char *s)
{
	unsigned char len[8];
	uint64_t n = strlen(s);
	int i;

	for (i = 7; i >= 0; i--) {
		len[i] = n & 0xff;
		n >>= 8;
	}
	return EVP_DigestUpdate(md, len, sizeof(len)) == 1 &&
	    EVP_DigestUpdate(md, s, strlen(s)) == 1;
}

int
kn_audit_hash(char out[KN_AUDIT_HASH_HEX], int64_t seq, const char *at,
    const char *actor, const char *action, const char *object,
    const char *detail, const char *prev)
{
	static const char domain[] = "kakuin audit v1";
	unsigned char dig[32];
	unsigned int dlen = 0;
	char seqs[24];
	EVP_MD_CTX *md;
	bool ok;

	snprintf(seqs, sizeof(seqs), "%" PRId64, seq);
	md = EVP_MD_CTX_new();
	/* A hash that could not be computed must never be stored: the log
	 * is append-only and could not be repaired. */
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, domain, sizeof(domain)) == 1 &&
	    put_field(md, seqs) && put_field(md, at) && put_field(md, actor) &&
	    put_field(md, action) && put_field(md, object) &&
	    put_field(md, detail) && put_field(md, prev) &&
	    EVP_DigestFinal_ex(md, dig, &dlen) == 1 && dlen == sizeof(dig);
	EVP_MD_CTX_free(md);
	if (!ok)
		return kn_err_set(KN_ERR_CRYPTO, NULL, "audit: SHA-256 "
		    "failed");
	kn_hex(out, dig, sizeof(dig));
	return 0;
}

int
kn_audit_append(struct kn_db *db, const char *actor, const char *action,
    const char *object, const char *detail, int64_t *seq)
{
	struct kn_stmt *st = NULL;
	char prev[KN_AUDIT_HASH_HEX], hash[KN_AUDIT_HASH_HEX], at[21];
	int64_t n;
	int rc;

	if (!kn_db_in_tx(db))
		return kn_err_set(KN_ERR_INTERNAL, NULL,
		    "audit: append outside a transaction");
	/*
	 * Taking the head with an UPDATE locks it (PostgreSQL row lock;
	 * SQLite's writer lock is already held), so concurrent appenders
	 * queue and every seq follows exactly one prev.
	 */
	if ((rc = kn_db_stmt(db, &st, "UPDATE audit_head SET seq = seq + 1 "
	    "WHERE id = 1 RETURNING seq, hash")) != 0)
		return rc;
	if ((rc = kn_stmt_step(st)) != KN_ROW) {
		kn_stmt_done(st);
		return rc < 0 ? rc : kn_err_set(KN_ERR_INTERNAL, NULL,
		    "audit: head row missing");
	}
	n = kn_stmt_int64(st, 0);
	snprintf(prev, sizeof(prev), "%s", kn_stmt_text(st, 1));
	kn_stmt_done(st);

	kn_now_rfc3339(at);
	if ((rc = kn_audit_hash(hash, n, at, actor, action, object, detail,
	    prev)) != 0)
		return rc;

	if ((rc = kn_db_stmt(db, &st, "INSERT INTO audit (seq, at, actor, "
	    "action, object, detail, prev, hash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, n)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 2, at)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 3, actor)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 4, action)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 5, object)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 6, detail)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 7, prev)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 8, hash)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	kn_stmt_done(st);

	if ((rc = kn_db_stmt(db, &st, "UPDATE audit_head SET hash = ? "
	    "WHERE id = 1")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, hash)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0)
		goto out;
	if (seq != NULL)
		*seq = n;
out:
	kn_stmt_done(st);
	return rc;
}

static int
broken(struct kn_audit_report *rep, int64_t seq, const char *fmt, ...)
    KN_PRINTF(3, 4);

static int
broken(struct kn_audit_report *rep, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	rep->broken_seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
	return KN_ERR_VERIFY;
}

int
kn_audit_verify(struct kn_db *db, struct kn_audit_report *rep)
{
	struct kn_stmt *st = NULL;
	char prev[KN_AUDIT_HASH_HEX], want[KN_AUDIT_HASH_HEX];
	int64_t expect = 1, head_seq = 0;
	bool began = false;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(prev, '0', 64);
	prev[64] = '\0';

	/* Rows and head from one snapshot: a writer committing between
	 * the two reads must not look like tampering. */
	if ((rc = kn_db_begin_read(db, &began)) != 0)
		return rc;
	if ((rc = kn_db_prepare(db, &st, "SELECT seq, at, actor, action, "
	    "object, detail, prev, hash FROM audit ORDER BY seq")) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		int64_t seq = kn_stmt_int64(st, 0);
		const char *f[7];
		int i;

		for (i = 0; i < 7; i++) {
			f[i] = kn_stmt_text(st, i + 1);
			if (f[i] == NULL)
				f[i] = "";
		}
		if (seq != expect) {
			rc = broken(rep, expect, "row %" PRId64 " is missing "
			    "(next row present is %" PRId64 "): rows were "
			    "deleted", expect, seq);
			goto out;
		}
		if (strcmp(f[5], prev) != 0) {
			rc = broken(rep, seq, "row %" PRId64 " does not link "
			    "to the hash of row %" PRId64, seq, seq - 1);
			goto out;
		}
		if ((rc = kn_audit_hash(want, seq, f[0], f[1], f[2], f[3],
		    f[4], f[5])) != 0)
			goto out;
		if (strcmp(want, f[6]) != 0) {
			rc = broken(rep, seq, "row %" PRId64 " was changed "
			    "after it was written (its hash does not match "
			    "its contents)", seq);
			goto out;
		}
		memcpy(prev, f[6], sizeof(prev));
		prev[64] = '\0';
		rep->rows++;
		expect++;
	}
	if (rc < 0)
		goto out;
	kn_stmt_free(st);
	st = NULL;

	if ((rc = kn_db_prepare(db, &st, "SELECT seq, hash FROM audit_head "
	    "WHERE id = 1")) != 0)
		goto out;
	if ((rc = kn_stmt_step(st)) != KN_ROW) {
		rc = broken(rep, expect, "the audit head row is missing");
		goto out;
	}
	head_seq = kn_stmt_int64(st, 0);
	if (head_seq < expect - 1) {
		rc = broken(rep, head_seq + 1, "the head records %" PRId64
		    " rows but the log holds %" PRId64 ": the head was set "
		    "back or rows were added without it", head_seq,
		    expect - 1);
		goto out;
	}
	if (head_seq != expect - 1) {
		rc = broken(rep, expect, "the log ends at row %" PRId64 " but "
		    "%" PRId64 " rows were written: rows at the end were "
		    "deleted", expect - 1, head_seq);
		goto out;
	}
	if (strcmp(kn_stmt_text(st, 1) ? kn_stmt_text(st, 1) : "",
	    prev) != 0) {
		rc = broken(rep, head_seq, "the last row's hash does not match "
		    "the recorded head");
		goto out;
	}
	snprintf(rep->head, sizeof(rep->head), "%s", prev);
	rc = 0;
out:
	kn_stmt_free(st);
	kn_db_end_read(db, began);
	return rc;
}
