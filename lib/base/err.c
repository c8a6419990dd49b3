/* err.c - error codes and per-thread error detail. */
#include <stdio.h>
#include <string.h>

#include "base/err.h"

static _Thread_local struct kn_error last;

static const struct {
	int		 code;
	const char	*token;
	const char	*text;
} errtab[] = {
	{ KN_OK, "ok", "success" },
	{ KN_ERR_NOMEM, "nomem", "out of memory" },
	{ KN_ERR_INVAL, "invalid", "invalid input" },
	{ KN_ERR_NOTFOUND, "not_found", "not found" },
	{ KN_ERR_EXISTS, "exists", "already exists" },
	{ KN_ERR_STATE, "state", "not allowed in the current state" },
	{ KN_ERR_DB, "store", "store failure" },
	{ KN_ERR_IO, "io", "input/output failure" },
	{ KN_ERR_AUTH, "unauthorized", "missing or wrong credentials" },
	{ KN_ERR_PERM, "forbidden", "not permitted" },
	{ KN_ERR_DNS, "dns", "DNS lookup failed" },
	{ KN_ERR_TOOBIG, "too_big", "input too large" },
	{ KN_ERR_CRYPTO, "crypto", "cryptographic failure" },
	{ KN_ERR_INTERNAL, "internal", "internal error" },
	{ KN_ERR_BUSY, "busy", "busy, try again later" },
	{ KN_ERR_CONFIG, "config", "invalid configuration" },
	{ KN_ERR_VERIFY, "verify_failed", "verification failed" },
};

const char *
kn_strerror(int code)
{
	size_t i;

	for (i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++) {
		if (errtab[i].code == code)
			return errtab[i].text;
	}
	return "unknown error";
}

const char *
kn_errtoken(int code)
{
	size_t i;

	for (i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++) {
		if (errtab[i].code == code)
			return errtab[i].token;
	}
	return "unknown";
}

/*
 * Messages quote input, and truncation can split a character: replace
 * every byte that does not belong to a well-formed UTF-8 sequence with
 * '?', so the text is always safe to put into JSON and HTML.
 */
static void
make_utf8(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		size_t len, k;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			len = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			len = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			len = 4;
		else
			len = 0;
		for (k = 1; k < len; k++) {
			if ((p[k] & 0xc0) != 0x80)
				break;
		}
		/* Overlongs and surrogates: the second byte's range. */
		if (len != 0 && k == len &&
		    !((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] > 0x9f) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] > 0x8f))) {
			p += len;
			continue;
		}
		*p++ = '?';
	}
}

int
kn_err_vset(int code, const char *field, const char *fmt, va_list ap)
{
	last.code = code;
	snprintf(last.field, sizeof(last.field), "%s", field ? field : "");
	vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	make_utf8(last.field);
	make_utf8(last.msg);
	return code;
}

int
kn_err_set(int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kn_err_vset(code, field, fmt, ap);
	va_end(ap);
	return code;
}

const struct kn_error *
kn_err_get(void)
{
	return &last;
}

struct kn_error *
kn_err_get_mut(void)
{
	return &last;
}

void
kn_err_clear(void)
{
	memset(&last, 0, sizeof(last));
}

const char *
kn_err_msg(int code)
{
	if (last.code == code && last.msg[0] != '\0')
		return last.msg;
	return kn_strerror(code);
}
