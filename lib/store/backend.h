/*
 * backend.h - what a store backend provides to db.c.  Private to lib/store.
 */
#ifndef KN_STORE_BACKEND_H
#define KN_STORE_BACKEND_H

#include "store/db.h"

struct kn_backend_ops {
	enum kn_db_backend kind;
	int	(*open)(struct kn_db *db, const char *url);
	void	(*close)(struct kn_db *db);
	bool	(*broken)(const struct kn_db *db);
	int	(*exec)(struct kn_db *db, const char *sql);
	int	(*prepare)(struct kn_db *db, struct kn_stmt **out,
		    const char *sql);
	void	(*stmt_free)(struct kn_stmt *st);
	void	(*stmt_reset)(struct kn_stmt *st);
	int	(*bind_textn)(struct kn_stmt *st, int idx, const char *s,
		    size_t n);
	int	(*bind_textref)(struct kn_stmt *st, int idx, const char *s,
		    size_t n);
	int	(*bind_int64)(struct kn_stmt *st, int idx, int64_t v);
	int	(*bind_null)(struct kn_stmt *st, int idx);
	int	(*step)(struct kn_stmt *st);
	const char *(*text)(struct kn_stmt *st, int col);
	int64_t	(*int64)(struct kn_stmt *st, int col);
	bool	(*is_null)(struct kn_stmt *st, int col);
	int64_t	(*changes)(struct kn_stmt *st);
};

#define KN_STMT_CACHE 64

struct kn_stmt_cache_ent {
	const char	*sql;
	struct kn_stmt	*st;
};

struct kn_db {
	const struct kn_backend_ops *ops;
	void		*conn;		/* sqlite3 * or PGconn * */
	bool		 in_tx;
	bool		 writer;	/* holds the process's SQLite writer lock */
	unsigned	 nprepared;	/* names PostgreSQL statements */
	/* PostgreSQL statements freed inside an aborted transaction, to
	 * DEALLOCATE once it has ended. */
	char		 pending[16][24];
	unsigned	 npending;
	struct kn_stmt_cache_ent cache[KN_STMT_CACHE];
	uint64_t	 instance;	/* unique per open in this process */
};

/* Every backend statement starts with this header. */
struct kn_stmt {
	struct kn_db	*db;
};

struct kn_migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

extern const struct kn_backend_ops kn_sqlite_ops;
extern const struct kn_backend_ops kn_postgres_ops;
/* Generated from migrations/<backend>/\*.sql by scripts/embed-sql. */
extern const struct kn_migration kn_migrations_sqlite[];
extern const struct kn_migration kn_migrations_postgres[];

#endif
