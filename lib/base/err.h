/*
 * err.h - kakuin error codes and the per-thread error detail.
 *
 * Fallible functions return 0 or a negative KN_ERR_*.  The function that
 * detects a problem may also record a detail (which input field, and a
 * sentence a person can act on) with kn_err_set(); the edge (CLI, HTTP)
 * turns code + detail into an exit status or a protocol answer.  The detail
 * is thread-local so that server workers never see each other's errors.
 */
#ifndef KN_BASE_ERR_H
#define KN_BASE_ERR_H

#include <stdarg.h>

#define KN_WUR __attribute__((warn_unused_result))
#define KN_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum {
	KN_OK = 0,
	KN_ERR_NOMEM = -1,	/* out of memory */
	KN_ERR_INVAL = -2,	/* input is malformed or violates a rule */
	KN_ERR_NOTFOUND = -3,	/* no such object */
	KN_ERR_EXISTS = -4,	/* object already exists */
	KN_ERR_STATE = -5,	/* not allowed in the object's current state */
	KN_ERR_DB = -6,		/* store failure */
	KN_ERR_IO = -7,		/* file or socket failure */
	KN_ERR_AUTH = -8,	/* missing or wrong credentials */
	KN_ERR_PERM = -9,	/* authenticated, but not allowed */
	KN_ERR_DNS = -10,	/* DNS lookup failed */
	KN_ERR_TOOBIG = -11,	/* input exceeds a cap */
	KN_ERR_CRYPTO = -12,	/* cryptographic library failure */
	KN_ERR_INTERNAL = -13,	/* broken invariant */
	KN_ERR_BUSY = -14,	/* store locked or overloaded; retry later */
	KN_ERR_CONFIG = -15,	/* configuration is invalid */
	KN_ERR_VERIFY = -16,	/* a check was made and did not pass */
};

struct kn_error {
	int	 code;
	char	 field[64];	/* input field at fault, or "" */
	char	 msg[512];	/* a sentence for a person */
};

/* Static name of an error code, e.g. "invalid input". */
const char	*kn_strerror(int code);
/* A short machine token for an error code, e.g. "invalid". */
const char	*kn_errtoken(int code);

/*
 * Record the detail of an error on this thread and return code, so that
 * "return kn_err_set(KN_ERR_INVAL, "number", "...")" reads naturally.
 * field may be NULL.
 */
int		 kn_err_set(int code, const char *field, const char *fmt, ...)
		    KN_PRINTF(3, 4);
int		 kn_err_vset(int code, const char *field, const char *fmt,
		    va_list ap) KN_PRINTF(3, 0);
/* The detail recorded last on this thread (code 0 when none). */
const struct kn_error *kn_err_get(void);
/* The same, writable: to restore a detail kept from earlier. */
struct kn_error *kn_err_get_mut(void);
void		 kn_err_clear(void);
/* Detail message, or kn_strerror(code) when nothing more specific was set. */
const char	*kn_err_msg(int code);

#endif
