/* testutil.c - scratch directories and files for the unit tests. */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "testutil.h"

char *
tu_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail_msg("out of memory");
	return s;
}

char *
tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	dir = tu_printf("%s/kakuin-unit-XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp %s: %s", dir, strerror(errno));
	return dir;
}

void
tu_rmtree(const char *dir)
{
	DIR *d;
	struct dirent *de;

	if (dir == NULL || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat sb;
		char *p;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = tu_printf("%s/%s", dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			tu_rmtree(p);
		else
			(void)unlink(p);
		free(p);
	}
	closedir(d);
	(void)rmdir(dir);
}

char *
tu_write(const char *dir, const char *name, const void *p, size_t n)
{
	char *path = tu_printf("%s/%s", dir, name);
	FILE *f;

	if ((f = fopen(path, "w")) == NULL)
		fail_msg("create %s: %s", path, strerror(errno));
	if (n > 0 && fwrite(p, 1, n, f) != n)
		fail_msg("write %s: %s", path, strerror(errno));
	if (fclose(f) != 0)
		fail_msg("close %s: %s", path, strerror(errno));
	return path;
}

/* base with its database name replaced by name. */
char *
tu_pg_url(const char *base, const char *name)
{
	const char *host = strstr(base, "://"), *slash, *query, *end;

	host = host ? host + 3 : base;
	slash = strchr(host, '/');
	query = strchr(host, '?');
	if (slash != NULL && (query == NULL || slash < query))
		end = slash;
	else
		end = query ? query : base + strlen(base);
	return tu_printf("%.*s/%s%s", (int)(end - base), base, name,
	    query ? query : "");
}

int
tu_pg_admin(const char *sql)
{
	struct kn_db *admin = NULL;
	int rc;

	if ((rc = kn_db_open(&admin, getenv("KAKUIN_TEST_PG"))) != 0) {
		print_error("cannot reach KAKUIN_TEST_PG: %s\n",
		    kn_err_msg(rc));
		return rc;
	}
	rc = kn_db_exec(admin, sql);
	if (rc != 0)
		print_error("%s: %s\n", sql, kn_err_msg(rc));
	kn_db_close(admin);
	return rc;
}

int
tu_pg_create(const char *prefix, char **name, char **url)
{
	static int serial;
	char *sql;
	int rc;

	*url = NULL;
	*name = tu_printf("%s_%ld_%d", prefix, (long)getpid(), ++serial);
	sql = tu_printf("CREATE DATABASE %s", *name);
	rc = tu_pg_admin(sql);
	free(sql);
	if (rc == 0)
		*url = tu_pg_url(getenv("KAKUIN_TEST_PG"), *name);
	return rc;
}

void
tu_pg_drop(const char *name)
{
	char *sql = tu_printf("DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    name);

	(void)tu_pg_admin(sql);
	free(sql);
}
