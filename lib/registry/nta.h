/*
 * nta.h - the National Tax Agency's corporate-number files (CSV, UTF-8,
 * no header, 30 columns; RFC 4180 quoting) and their import.
 *
 * The importer applies records in file order: every record goes into the
 * history (nta_records); a record with latest = 1 becomes the current
 * legal data of its organization (listed, or already registered: the
 * agency is the authority for names and addresses).  It commits in
 * batches, recording in the same transaction how far it got, so an
 * interrupted import resumes where it stopped.  Rejected rows are stored
 * with the reason and never stop the import.
 */
#ifndef KN_REGISTRY_NTA_H
#define KN_REGISTRY_NTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

struct kn_db;

#define KN_NTA_FIELDS 30
#define KN_NTA_MAX_ROW 16384	/* bytes in one record */
#define KN_NTA_MAX_FIELD 1000	/* bytes in one field */

/* Column indexes (0-based) of the fields kakuin uses. */
enum {
	KN_NTA_SEQ = 0, KN_NTA_NUMBER = 1, KN_NTA_PROCESS = 2,
	KN_NTA_CORRECT = 3, KN_NTA_UPDATE = 4, KN_NTA_CHANGE = 5,
	KN_NTA_NAME = 6, KN_NTA_KIND = 8, KN_NTA_PREF = 9, KN_NTA_CITY = 10,
	KN_NTA_STREET = 11, KN_NTA_PREF_CODE = 13, KN_NTA_CITY_CODE = 14,
	KN_NTA_POST = 15, KN_NTA_OUTSIDE = 16, KN_NTA_CLOSE_DATE = 18,
	KN_NTA_CLOSE_CAUSE = 19, KN_NTA_SUCCESSOR = 20,
	KN_NTA_CHANGE_CAUSE = 21, KN_NTA_ASSIGNED = 22, KN_NTA_LATEST = 23,
	KN_NTA_EN_NAME = 24, KN_NTA_EN_PREF = 25, KN_NTA_EN_CITY = 26,
	KN_NTA_EN_OUTSIDE = 27, KN_NTA_FURIGANA = 28, KN_NTA_HIHYOJI = 29,
};

struct kn_nta_row {
	struct kn_slice	 f[KN_NTA_FIELDS];
	size_t		 nfields;
	char		 scratch[KN_NTA_MAX_ROW];	/* unquoted text */
};

/*
 * Splits one record from p[0..n).  Always sets *consumed to the bytes up
 * to and including the record's line end (for a malformed record: up to
 * the next line end), so a caller can go on with the next record.
 * Returns 0, or KN_ERR_INVAL / KN_ERR_TOOBIG with the reason in
 * kn_err_get().  Slices point into p or row->scratch.
 */
int	kn_nta_parse_row(struct kn_nta_row *row, const char *p, size_t n,
	    size_t *consumed) KN_WUR;
/* Checks the fields of a split record against the published layout. */
int	kn_nta_check_row(const struct kn_nta_row *row) KN_WUR;

struct kn_import_progress {
	uint64_t	 bytes_done;
	uint64_t	 bytes_total;
	int64_t		 lines;
	int64_t		 accepted;
	int64_t		 rejected;
};

struct kn_import_opts {
	const char	*path;
	const char	*actor;
	int64_t		 batch;		/* rows per transaction; 0: 20000 */
	bool		 again;		/* import a finished file again */
	int64_t		 stop_after;	/* stop (uncommitted) after this many
					   lines, to test resuming; 0: never */
	void		(*progress)(void *arg,
			    const struct kn_import_progress *p);
	void		*arg;
};

struct kn_import_result {
	int64_t		 id;
	int64_t		 lines;
	int64_t		 accepted;
	int64_t		 rejected;
	int64_t		 resumed_at;	/* line resumed after, 0 if fresh */
	bool		 already_done;	/* finished before; nothing done */
};

int	kn_nta_import(struct kn_db *db, const struct kn_import_opts *o,
	    struct kn_import_result *res) KN_WUR;

struct kn_import_reject {
	int64_t	 line;
	char	*reason;
};

/* Rejected rows of import id, in line order (at most max). */
int	kn_nta_rejects(struct kn_db *db, int64_t id, int64_t max,
	    struct kn_import_reject **out, size_t *n) KN_WUR;
void	kn_nta_rejects_free(struct kn_import_reject *r, size_t n);

#endif
