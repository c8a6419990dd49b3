/*
 * testutil.h - helpers shared by the unit tests: cmocka includes,
 * table-row assertions that name the failing row, and scratch files.
 */
#ifndef KN_TESTUTIL_H
#define KN_TESTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>

#include <cmocka.h>

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Integer and string checks that report the table row by name. */
#define CHECK_INT(row, got, want) do {					\
	long long got_ = (long long)(got), want_ = (long long)(want);	\
	if (got_ != want_)						\
		fail_msg("%s: %s is %lld, want %lld", (row), #got,	\
		    got_, want_);					\
} while (0)

#define CHECK_STR(row, got, want) do {					\
	const char *got_ = (got), *want_ = (want);			\
	if (got_ == NULL || want_ == NULL) {				\
		if (got_ != want_)					\
			fail_msg("%s: %s is %s, want %s", (row), #got,	\
			    got_ ? got_ : "NULL", want_ ? want_ : "NULL"); \
	} else if (strcmp(got_, want_) != 0)				\
		fail_msg("%s: %s is \"%s\", want \"%s\"", (row), #got,	\
		    got_, want_);					\
} while (0)

/* want is a substring of got. */
#define CHECK_HAS(row, got, want) do {					\
	const char *got_ = (got), *want_ = (want);			\
	if (got_ == NULL || strstr(got_, want_) == NULL)		\
		fail_msg("%s: %s is \"%s\", want it to contain \"%s\"",	\
		    (row), #got, got_ ? got_ : "NULL", want_);		\
} while (0)

/* A fresh private directory under $TMPDIR (or /tmp); free() it. */
char	*tu_tmpdir(void);
/* Removes a directory made by tu_tmpdir and everything in it. */
void	 tu_rmtree(const char *dir);
/* Writes n bytes to dir/name; returns the path (free() it). */
char	*tu_write(const char *dir, const char *name, const void *p, size_t n);
/* A store URL: base (a PostgreSQL URL) with its database replaced by
 * name.  free() it. */
char	*tu_pg_url(const char *base, const char *name);
/* Runs sql on the server KAKUIN_TEST_PG names; 0 or an error (printed). */
int	 tu_pg_admin(const char *sql);
/*
 * A new, empty database on the KAKUIN_TEST_PG server named
 * <prefix>_<pid>_<n>: its name in *name and its store URL in *url (free()
 * both).  0, or an error (printed).
 */
int	 tu_pg_create(const char *prefix, char **name, char **url);
/* Drops a database tu_pg_create() made (connections closed by force). */
void	 tu_pg_drop(const char *name);
/* Asprintf that fails the test when out of memory. */
char	*tu_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
