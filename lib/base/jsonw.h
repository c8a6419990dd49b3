/*
 * jsonw.h - a small streaming JSON writer (RFC 8259) into a kn_buf.
 *
 * The hot API answers are written straight into the reply buffer instead
 * of building a tree first.  Strings must be UTF-8 (everything kakuin
 * stores is checked on the way in); they are escaped as RFC 8259 section 7
 * requires.  Failures are sticky in the buffer (b->failed).
 */
#ifndef KN_BASE_JSONW_H
#define KN_BASE_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

#define KN_JW_DEPTH 16

struct kn_jw {
	struct kn_buf	*b;
	int		 depth;
	bool		 first[KN_JW_DEPTH];
	bool		 after_key;
};

void	kn_jw_init(struct kn_jw *w, struct kn_buf *b);
void	kn_jw_obj(struct kn_jw *w);
void	kn_jw_end_obj(struct kn_jw *w);
void	kn_jw_arr(struct kn_jw *w);
void	kn_jw_end_arr(struct kn_jw *w);
void	kn_jw_key(struct kn_jw *w, const char *key);
/* A string value; NULL writes null. */
void	kn_jw_str(struct kn_jw *w, const char *s);
void	kn_jw_int(struct kn_jw *w, int64_t v);
void	kn_jw_bool(struct kn_jw *w, bool v);
void	kn_jw_null(struct kn_jw *w);
/* key + string value (NULL: null). */
void	kn_jw_kstr(struct kn_jw *w, const char *key, const char *s);

/* Appends s as a quoted, escaped JSON string. */
void	kn_json_quote(struct kn_buf *b, const char *s);

#endif
