/* import.c - resumable import of the National Tax Agency's files. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "base/text.h"
#include "registry/corpnum.h"
#include "registry/nta.h"
#include "registry/registry_int.h"
#include "store/db.h"

#define DEFAULT_BATCH 100000
#define KEY_SAMPLE (1 << 20)

/*
 * A file is known by its size and a hash of its first and last MiB: cheap
 * on a 1.5 GB full-data file, and any edit that moves bytes shows.
 */
static void
file_key(char out[65], const unsigned char *p, size_t n)
{
	unsigned char d[32];
	unsigned int dlen;
	char size[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	snprintf(size, sizeof(size), "%zu:", n);
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		memset(out, '0', 64);
		out[64] = '\0';
		EVP_MD_CTX_free(md);
		return;
	}
	EVP_DigestUpdate(md, size, strlen(size));
	EVP_DigestUpdate(md, p, n < KEY_SAMPLE ? n : KEY_SAMPLE);
	if (n > KEY_SAMPLE)
		EVP_DigestUpdate(md, p + n - KEY_SAMPLE, KEY_SAMPLE);
	EVP_DigestFinal_ex(md, d, &dlen);
	EVP_MD_CTX_free(md);
	kn_hex(out, d, sizeof(d));
}

struct importer {
	struct kn_db		*db;
	const struct kn_import_opts *o;
	struct kn_import_result	*res;
	struct kn_nta_row	 row;
	struct kn_buf		 addr;
	struct kn_buf		 addr_en;
	char			 now[21];
};

static int
bind_slice(struct kn_stmt *st, int idx, struct kn_slice s, bool null_empty)
{
	if (s.len == 0 && null_empty)
		return kn_stmt_bind_null(st, idx);
	/* The row (mapped file or row scratch) outlives the statement run. */
	return kn_stmt_bind_textref(st, idx, s.ptr, s.len);
}

static int
int_of(struct kn_slice s, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < s.len; i++)
		v = v * 10 + (s.ptr[i] - '0');
	*out = v;
	return 0;
}

static int
apply_row(struct importer *im, int64_t line)
{
	const struct kn_slice *f = im->row.f;
	struct kn_stmt *st;
	int64_t number, seq, successor = 0;
	bool latest = f[KN_NTA_LATEST].ptr[0] == '1';
	int rc;

	(void)line;
	int_of(f[KN_NTA_NUMBER], &number);
	int_of(f[KN_NTA_SEQ], &seq);
	if (f[KN_NTA_SUCCESSOR].len)
		int_of(f[KN_NTA_SUCCESSOR], &successor);

	if ((rc = kn_db_stmt(im->db, &st, "INSERT INTO nta_records (number, "
	    "seq, process, correct, update_date, change_date, name, latest, "
	    "import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 2, seq)) != 0 ||
	    (rc = bind_slice(st, 3, f[KN_NTA_PROCESS], false)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 4, f[KN_NTA_CORRECT].ptr[0] ==
	    '1')) != 0 ||
	    (rc = bind_slice(st, 5, f[KN_NTA_UPDATE], false)) != 0 ||
	    (rc = bind_slice(st, 6, f[KN_NTA_CHANGE], true)) != 0 ||
	    (rc = bind_slice(st, 7, f[KN_NTA_NAME], false)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 8, latest)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 9, im->res->id)) != 0 ||
	    (rc = kn_stmt_run(st)) != 0) {
		kn_stmt_done(st);
		return rc;
	}
	kn_stmt_done(st);
	if (!latest)
		return 0;

	kn_buf_reset(&im->addr);
	kn_buf_reset(&im->addr_en);
	if (f[KN_NTA_OUTSIDE].len) {
		kn_buf_putn(&im->addr, f[KN_NTA_OUTSIDE].ptr,
		    f[KN_NTA_OUTSIDE].len);
	} else {
		kn_buf_putn(&im->addr, f[KN_NTA_PREF].ptr, f[KN_NTA_PREF].len);
		kn_buf_putn(&im->addr, f[KN_NTA_CITY].ptr, f[KN_NTA_CITY].len);
		kn_buf_putn(&im->addr, f[KN_NTA_STREET].ptr,
		    f[KN_NTA_STREET].len);
	}
	if (f[KN_NTA_EN_OUTSIDE].len) {
		kn_buf_putn(&im->addr_en, f[KN_NTA_EN_OUTSIDE].ptr,
		    f[KN_NTA_EN_OUTSIDE].len);
	} else if (f[KN_NTA_EN_CITY].len || f[KN_NTA_EN_PREF].len) {
		kn_buf_putn(&im->addr_en, f[KN_NTA_EN_CITY].ptr,
		    f[KN_NTA_EN_CITY].len);
		if (f[KN_NTA_EN_CITY].len && f[KN_NTA_EN_PREF].len)
			kn_buf_puts(&im->addr_en, ", ");
		kn_buf_putn(&im->addr_en, f[KN_NTA_EN_PREF].ptr,
		    f[KN_NTA_EN_PREF].len);
	}
	if (im->addr.failed || im->addr_en.failed)
		return KN_ERR_TOOBIG;

	/*
	 * Records apply in file order; an older record (by updateDate) never
	 * overwrites newer data already stored.
	 */
	if ((rc = kn_db_stmt(im->db, &st, "INSERT INTO orgs (number, name, "
	    "name_en, kana, address, address_en, postal_code, kind, status, "
	    "hidden, nta_process, nta_updated, nta_closed, nta_close_cause, "
	    "nta_successor, nta_assigned, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, 'listed', ?, ?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (number) DO UPDATE SET name = excluded.name, "
	    "name_en = COALESCE(excluded.name_en, orgs.name_en), "
	    "kana = COALESCE(excluded.kana, orgs.kana), "
	    "address = excluded.address, "
	    "address_en = COALESCE(excluded.address_en, orgs.address_en), "
	    "postal_code = excluded.postal_code, kind = excluded.kind, "
	    "hidden = excluded.hidden, nta_process = excluded.nta_process, "
	    "nta_updated = excluded.nta_updated, "
	    "nta_closed = excluded.nta_closed, "
	    "nta_close_cause = excluded.nta_close_cause, "
	    "nta_successor = excluded.nta_successor, "
	    "nta_assigned = COALESCE(excluded.nta_assigned, "
	    "orgs.nta_assigned), updated_at = excluded.updated_at "
	    "WHERE orgs.nta_updated IS NULL OR "
	    "excluded.nta_updated >= orgs.nta_updated")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, number)) != 0 ||
	    (rc = bind_slice(st, 2, f[KN_NTA_NAME], false)) != 0 ||
	    (rc = bind_slice(st, 3, f[KN_NTA_EN_NAME], true)) != 0 ||
	    (rc = bind_slice(st, 4, f[KN_NTA_FURIGANA], true)) != 0 ||
	    (rc = kn_stmt_bind_textn(st, 5, im->addr.data ? im->addr.data :
	    "", im->addr.len)) != 0 ||
	    (rc = (im->addr_en.len ? kn_stmt_bind_textn(st, 6,
	    im->addr_en.data, im->addr_en.len) :
	    kn_stmt_bind_null(st, 6))) != 0 ||
	    (rc = bind_slice(st, 7, f[KN_NTA_POST], true)) != 0 ||
	    (rc = bind_slice(st, 8, f[KN_NTA_KIND], false)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 9, f[KN_NTA_HIHYOJI].ptr[0] ==
	    '1')) != 0 ||
	    (rc = bind_slice(st, 10, f[KN_NTA_PROCESS], false)) != 0 ||
	    (rc = bind_slice(st, 11, f[KN_NTA_UPDATE], false)) != 0 ||
	    (rc = bind_slice(st, 12, f[KN_NTA_CLOSE_DATE], true)) != 0 ||
	    (rc = bind_slice(st, 13, f[KN_NTA_CLOSE_CAUSE], true)) != 0 ||
	    (rc = (successor ? kn_stmt_bind_int64(st, 14, successor) :
	    kn_stmt_bind_null(st, 14))) != 0 ||
	    (rc = bind_slice(st, 15, f[KN_NTA_ASSIGNED], true)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 16, im->now)) != 0 ||
	    (rc = kn_stmt_bind_text(st, 17, im->now)) != 0)
		goto out;
	rc = kn_stmt_run(st);
out:
	kn_stmt_done(st);
	return rc;
}

static int
reject(struct importer *im, int64_t line, const char *reason)
{
	struct kn_stmt *st;
	int rc;

	if ((rc = kn_db_stmt(im->db, &st, "INSERT INTO import_rejects "
	    "(import_id, line, reason) VALUES (?, ?, ?)")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, im->res->id)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 2, line)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 3, reason)) == 0)
		rc = kn_stmt_run(st);
	kn_stmt_done(st);
	return rc;
}

/* Records progress and the batch's audit row, then commits. */
static int
checkpoint(struct importer *im, uint64_t pos, int64_t first_line,
    bool finished)
{
	struct kn_stmt *st;
	char obj[32], detail[256];
	int rc;

	kn_now_rfc3339(im->now);
	if ((rc = kn_db_stmt(im->db, &st, "UPDATE imports SET pos = ?, "
	    "line = ?, accepted = ?, rejected = ?, updated_at = ?, "
	    "finished_at = ? WHERE id = ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, (int64_t)pos)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 2, im->res->lines)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 3, im->res->accepted)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 4, im->res->rejected)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 5, im->now)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 6, finished ? im->now : NULL)) ==
	    0 &&
	    (rc = kn_stmt_bind_int64(st, 7, im->res->id)) == 0)
		rc = kn_stmt_run(st);
	kn_stmt_done(st);
	if (rc != 0)
		return rc;
	snprintf(obj, sizeof(obj), "import:%" PRId64, im->res->id);
	snprintf(detail, sizeof(detail), "{\"lines\":[%" PRId64 ",%" PRId64
	    "],\"accepted\":%" PRId64 ",\"rejected\":%" PRId64
	    ",\"finished\":%s}", first_line, im->res->lines,
	    im->res->accepted, im->res->rejected, finished ? "true" :
	    "false");
	if ((rc = kn_audit_append(im->db, im->o->actor, "org.import", obj,
	    detail, NULL)) != 0)
		return rc;
	return kn_db_commit(im->db);
}

/* Finds an unfinished (or, unless again, finished) import of this file. */
static int
find_import(struct importer *im, const char *key, uint64_t *pos)
{
	struct kn_stmt *st;
	int rc;

	*pos = 0;
	if ((rc = kn_db_stmt(im->db, &st, "SELECT id, pos, line, accepted, "
	    "rejected, finished_at FROM imports WHERE file_key = ? "
	    "ORDER BY id DESC LIMIT 1")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_text(st, 1, key)) == 0 &&
	    (rc = kn_stmt_step(st)) == KN_ROW) {
		bool finished = !kn_stmt_is_null(st, 5);

		if (!finished || !im->o->again) {
			im->res->id = kn_stmt_int64(st, 0);
			*pos = (uint64_t)kn_stmt_int64(st, 1);
			im->res->lines = kn_stmt_int64(st, 2);
			im->res->accepted = kn_stmt_int64(st, 3);
			im->res->rejected = kn_stmt_int64(st, 4);
			im->res->already_done = finished;
			im->res->resumed_at = finished ? 0 : im->res->lines;
		}
	}
	kn_stmt_done(st);
	return rc < 0 ? rc : 0;
}

static int
new_import(struct importer *im, const char *key, uint64_t size)
{
	struct kn_stmt *st;
	char obj[32], detail[512];
	struct kn_buf d;
	int rc;

	kn_buf_init(&d, sizeof(detail));
	if ((rc = kn_db_begin(im->db)) != 0)
		return rc;
	if ((rc = kn_db_stmt(im->db, &st, "INSERT INTO imports (file_key, "
	    "path, size, started_at, updated_at) VALUES (?, ?, ?, ?, ?) "
	    "RETURNING id")) != 0)
		goto out;
	if ((rc = kn_stmt_bind_text(st, 1, key)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 2, im->o->path)) == 0 &&
	    (rc = kn_stmt_bind_int64(st, 3, (int64_t)size)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 4, im->now)) == 0 &&
	    (rc = kn_stmt_bind_text(st, 5, im->now)) == 0 &&
	    (rc = kn_stmt_step(st)) == KN_ROW) {
		im->res->id = kn_stmt_int64(st, 0);
		rc = 0;
	} else if (rc == KN_DONE)
		rc = KN_ERR_DB;
	kn_stmt_done(st);
	if (rc != 0)
		goto out;
	snprintf(obj, sizeof(obj), "import:%" PRId64, im->res->id);
	kn_buf_puts(&d, "{\"path\":");
	kn__json_str(&d, im->o->path);
	kn_buf_putf(&d, ",\"size\":%" PRIu64 ",\"key\":\"%s\"}", size, key);
	if (d.failed) {
		rc = KN_ERR_TOOBIG;
		goto out;
	}
	if ((rc = kn_audit_append(im->db, im->o->actor, "org.import.start",
	    obj, d.data, NULL)) != 0)
		goto out;
	rc = kn_db_commit(im->db);
out:
	kn_db_rollback(im->db);
	kn_buf_cleanup(&d);
	return rc;
}

int
kn_nta_import(struct kn_db *db, const struct kn_import_opts *o,
    struct kn_import_result *res)
{
	struct importer *im = NULL;
	struct kn_import_progress prog;
	struct stat sb;
	const char *p = MAP_FAILED;
	char key[65];
	uint64_t pos = 0, size = 0, last_report = 0;
	int64_t batch = o->batch > 0 ? o->batch : DEFAULT_BATCH, inbatch = 0;
	int64_t first_line;
	int fd = -1, rc;

	memset(res, 0, sizeof(*res));
	if ((fd = open(o->path, O_RDONLY | O_CLOEXEC)) == -1)
		return kn_err_set(KN_ERR_IO, "file", "cannot open %s: %s",
		    o->path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		rc = kn_err_set(KN_ERR_IO, "file", "%s is not a regular file",
		    o->path);
		goto out;
	}
	size = (uint64_t)sb.st_size;
	if (size > 0) {
		p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			rc = kn_err_set(KN_ERR_IO, "file", "cannot map %s: %s",
			    o->path, strerror(errno));
			goto out;
		}
		(void)madvise((void *)p, size, MADV_SEQUENTIAL);
	}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		rc = KN_ERR_NOMEM;
		goto out;
	}
	im->db = db;
	im->o = o;
	im->res = res;
	kn_buf_init(&im->addr, 4 * KN_NTA_MAX_FIELD);
	kn_buf_init(&im->addr_en, 4 * KN_NTA_MAX_FIELD);
	kn_now_rfc3339(im->now);
	file_key(key, (const unsigned char *)(size ? p : ""), size);

	if ((rc = find_import(im, key, &pos)) != 0)
		goto out;
	if (res->already_done) {
		rc = 0;
		goto out;
	}
	if (res->id == 0 && (rc = new_import(im, key, size)) != 0)
		goto out;
	/* Skip a UTF-8 byte order mark at the very start. */
	if (pos == 0 && size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		pos = 3;

	if ((rc = kn_db_begin(db)) != 0)
		goto out;
	first_line = res->lines + 1;
	while (pos < size) {
		size_t used = 0;
		int prc;

		if (o->stop_after > 0 && res->lines >= o->stop_after) {
			/* Simulated crash: the open batch is lost. */
			kn_db_rollback(db);
			rc = kn_err_set(KN_ERR_IO, NULL, "import stopped after "
			    "%" PRId64 " lines as asked", res->lines);
			goto out;
		}
		prc = kn_nta_parse_row(&im->row, p + pos, size - pos, &used);
		res->lines++;
		/* A blank line (e.g. the file's last) is not a record. */
		if (prc != 0 && used <= 2 && (p[pos] == '\n' ||
		    p[pos] == '\r')) {
			res->lines--;
			pos += used;
			continue;
		}
		if (prc == 0)
			prc = kn_nta_check_row(&im->row);
		if (prc == 0) {
			if ((rc = apply_row(im, res->lines)) != 0)
				goto out;
			res->accepted++;
		} else {
			if ((rc = reject(im, res->lines,
			    kn_err_get()->msg)) != 0)
				goto out;
			res->rejected++;
		}
		pos += used;
		if (++inbatch == batch) {
			if ((rc = checkpoint(im, pos, first_line, false)) != 0)
				goto out;
			if ((rc = kn_db_begin(db)) != 0)
				goto out;
			first_line = res->lines + 1;
			inbatch = 0;
		}
		if (o->progress != NULL && (pos - last_report > (1 << 20) ||
		    pos == size)) {
			prog.bytes_done = pos;
			prog.bytes_total = size;
			prog.lines = res->lines;
			prog.accepted = res->accepted;
			prog.rejected = res->rejected;
			o->progress(o->arg, &prog);
			last_report = pos;
		}
	}
	if ((rc = checkpoint(im, size, first_line, true)) != 0)
		goto out;
	if (o->progress != NULL) {
		prog.bytes_done = prog.bytes_total = size;
		prog.lines = res->lines;
		prog.accepted = res->accepted;
		prog.rejected = res->rejected;
		o->progress(o->arg, &prog);
	}
out:
	kn_db_rollback(db);
	if (im != NULL) {
		kn_buf_cleanup(&im->addr);
		kn_buf_cleanup(&im->addr_en);
		free(im);
	}
	if (p != MAP_FAILED)
		munmap((void *)p, size);
	if (fd != -1)
		close(fd);
	return rc;
}

int
kn_nta_rejects(struct kn_db *db, int64_t id, int64_t max,
    struct kn_import_reject **out, size_t *n)
{
	struct kn_stmt *st;
	struct kn_import_reject *v = NULL;
	size_t cap = 0, count = 0;
	int rc;

	if ((rc = kn_db_stmt(db, &st, "SELECT line, reason FROM "
	    "import_rejects WHERE import_id = ? ORDER BY line LIMIT ?")) != 0)
		return rc;
	if ((rc = kn_stmt_bind_int64(st, 1, id)) != 0 ||
	    (rc = kn_stmt_bind_int64(st, 2, max)) != 0)
		goto out;
	while ((rc = kn_stmt_step(st)) == KN_ROW) {
		if ((rc = kn_reserve(&v, &cap, count, sizeof(*v),
		    SIZE_MAX / sizeof(*v))) != 0)
			goto out;
		v[count].line = kn_stmt_int64(st, 0);
		v[count].reason = kn_stmt_strdup(st, 1);
		count++;
	}
out:
	kn_stmt_done(st);
	if (rc < 0) {
		kn_nta_rejects_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

void
kn_nta_rejects_free(struct kn_import_reject *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].reason);
	free(r);
}
