/*
 * audit.h - the append-only, hash-chained audit log.
 *
 * Each row's hash is SHA-256 over a domain-separated, length-prefixed
 * encoding of (seq, at, actor, action, object, detail, prev), where prev is
 * the previous row's hash (64 zeros before the first row).  The head row
 * (audit_head) holds the last seq and hash, so deleting rows at the end is
 * caught too.  Rows are written in the same transaction as the change they
 * record: kn_audit_append() refuses to run outside one.
 */
#ifndef KN_AUDIT_AUDIT_H
#define KN_AUDIT_AUDIT_H

#include <stdint.h>

#include "base/err.h"

struct kn_db;

#define KN_AUDIT_HASH_HEX 65

/*
 * Appends one record inside the caller's open transaction.  detail is a
 * JSON object as text ("{}" when there is nothing to add).  Stores the new
 * row's sequence number in *seq when seq is not NULL.
 */
int	kn_audit_append(struct kn_db *db, const char *actor,
	    const char *action, const char *object, const char *detail,
	    int64_t *seq) KN_WUR;

struct kn_audit_report {
	int64_t	 rows;		/* rows checked */
	int64_t	 broken_seq;	/* first bad seq, 0 when intact */
	char	 reason[256];	/* what is wrong at broken_seq */
	char	 head[KN_AUDIT_HASH_HEX];	/* hash of the last row */
};

/*
 * Walks the chain from the first row.  Returns 0 when intact, KN_ERR_VERIFY
 * with the first broken link described in *rep, or another error when the
 * store could not be read.
 */
int	kn_audit_verify(struct kn_db *db, struct kn_audit_report *rep) KN_WUR;

/* Computes a row hash (exposed for tests); KN_ERR_CRYPTO when the digest
 * could not be computed (out of memory). */
int	kn_audit_hash(char out[KN_AUDIT_HASH_HEX], int64_t seq, const char *at,
	    const char *actor, const char *action, const char *object,
	    const char *detail, const char *prev) KN_WUR;

#endif
