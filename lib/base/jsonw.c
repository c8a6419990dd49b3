/* jsonw.c - streaming JSON writer. */
#include <inttypes.h>
#include <string.h>

#include "base/jsonw.h"

void
kn_json_quote(struct kn_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char esc[7];

	kn_buf_putn(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		const char *e;
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		/* RFC 8259 section 7: quote, reverse solidus, controls. */
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = '\0';
			e = esc;
			elen = 6;
			break;
		}
		kn_buf_putn(b, run, (size_t)(s - run));
		kn_buf_putn(b, e, elen);
		run = s + 1;
	}
	kn_buf_putn(b, run, (size_t)(s - run));
	kn_buf_putn(b, "\"", 1);
}

void
kn_jw_init(struct kn_jw *w, struct kn_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = true;
}

/* Separator before a value or key at the current level. */
static void
sep(struct kn_jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		kn_buf_putn(w->b, ",", 1);
	w->first[w->depth] = false;
}

static void
open(struct kn_jw *w, const char *c)
{
	sep(w);
	kn_buf_putn(w->b, c, 1);
	if (w->depth + 1 >= KN_JW_DEPTH) {
		w->b->failed = true;
		return;
	}
	w->first[++w->depth] = true;
}

static void
close_(struct kn_jw *w, const char *c)
{
	kn_buf_putn(w->b, c, 1);
	if (w->depth > 0)
		w->depth--;
}

void
kn_jw_obj(struct kn_jw *w)
{
	open(w, "{");
}

void
kn_jw_end_obj(struct kn_jw *w)
{
	close_(w, "}");
}

void
kn_jw_arr(struct kn_jw *w)
{
	open(w, "[");
}

void
kn_jw_end_arr(struct kn_jw *w)
{
	close_(w, "]");
}

void
kn_jw_key(struct kn_jw *w, const char *key)
{
	sep(w);
	kn_json_quote(w->b, key);
	kn_buf_putn(w->b, ":", 1);
	w->after_key = true;
}

void
kn_jw_str(struct kn_jw *w, const char *s)
{
	sep(w);
	if (s == NULL)
		kn_buf_putn(w->b, "null", 4);
	else
		kn_json_quote(w->b, s);
}

void
kn_jw_int(struct kn_jw *w, int64_t v)
{
	sep(w);
	kn_buf_putf(w->b, "%" PRId64, v);
}

void
kn_jw_bool(struct kn_jw *w, bool v)
{
	sep(w);
	kn_buf_puts(w->b, v ? "true" : "false");
}

void
kn_jw_null(struct kn_jw *w)
{
	sep(w);
	kn_buf_putn(w->b, "null", 4);
}

void
kn_jw_kstr(struct kn_jw *w, const char *key, const char *s)
{
	kn_jw_key(w, key);
	kn_jw_str(w, s);
}
