/*
 * fuzz_mail_msg.c - the RFC 5322 message parser.  Any input parses (or
 * hits a cap); the copy is CRLF-only and the fields and the body tile it
 * exactly; every field unfolds, decodes and is read as an address list;
 * an author, when there is one, is one mailbox with a host-name domain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_addrs(const struct kn_mail_addrs *a)
{
	size_t i;

	if (a->n > KN_MAIL_MAX_ADDRS || (a->n > 0 && a->v == NULL))
		abort();
	for (i = 0; i < a->n; i++) {
		if (a->v[i].local == NULL || a->v[i].domain == NULL ||
		    a->v[i].domain[0] == '\0')
			abort();
	}
}

static void
check_msg(const struct kn_mail_msg *m)
{
	const char *p = m->data;
	size_t i;

	for (i = 0; i < m->len; i++) {
		if (m->data[i] == '\n' && (i == 0 || m->data[i - 1] != '\r'))
			abort();
	}
	if (m->data[m->len] != '\0')
		abort();
	for (i = 0; i < m->nhdrs; i++) {
		const struct kn_mail_hdr *h = &m->hdrs[i];

		if (h->raw.ptr != p || h->name.ptr != p || h->name.len == 0 ||
		    h->value.ptr < h->name.ptr + h->name.len + 1 ||
		    h->value.ptr + h->value.len > h->raw.ptr + h->raw.len ||
		    kn_mail_count(m, "x") > m->nhdrs)
			abort();
		if (h->defects != 0 && (m->defects & KN_MAIL_HDR_DEFECT) == 0)
			abort();
		p += h->raw.len;
	}
	if (m->body.ptr < p || m->body.ptr + m->body.len != m->data + m->len)
		abort();
}

static void
each_field(const struct kn_mail_msg *m)
{
	struct kn_mail_addrs a;
	struct kn_buf u, d;
	size_t i;

	kn_buf_init(&u, KN_MAIL_MAX_HDR_LEN + 1);
	kn_buf_init(&d, 4 * KN_MAIL_MAX_HDR_LEN + 64);
	for (i = 0; i < m->nhdrs; i++) {
		kn_buf_reset(&u);
		kn_buf_reset(&d);
		if (kn_mail_unfold(&u, &m->hdrs[i]) != 0)
			abort();
		if (u.len > m->hdrs[i].value.len || (u.len > 0 &&
		    (u.data[0] == ' ' || u.data[u.len - 1] == ' ')))
			abort();
		if (kn_mail_decode_words(&d, u.data ? u.data : "", u.len) != 0)
			abort();
		if (kn_mail_addrs_parse(&a, u.data ? u.data : "", u.len) == 0)
			check_addrs(&a);
		else if (a.v != NULL || a.n != 0)
			abort();
		kn_mail_addrs_cleanup(&a);
	}
	kn_buf_cleanup(&u);
	kn_buf_cleanup(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_mail_limits lim;
	struct kn_mail_msg *m = NULL;
	struct kn_mail_addrs a;
	const char *s = (const char *)data;
	int rc;

	if (kn_mail_parse(&m, s, size, NULL) != 0)
		abort();
	check_msg(m);
	each_field(m);
	if (kn_mail_from(&a, m) == 0) {
		check_addrs(&a);
		if (a.n != 1 || a.v[0].group != NULL ||
		    kn_mail_count(m, "From") != 1 ||
		    strspn(a.v[0].domain, "abcdefghijklmnopqrstuvwxyz"
		    "0123456789-.") != strlen(a.v[0].domain))
			abort();
	} else if (a.v != NULL)
		abort();
	kn_mail_addrs_cleanup(&a);
	kn_mail_free(m);

	/* Small caps: a cap is an error, never a crash. */
	memset(&lim, 0, sizeof(lim));
	lim.max_hdrs = 3;
	lim.max_hdr_len = 16;
	rc = kn_mail_parse(&m, s, size, &lim);
	if (rc == 0) {
		check_msg(m);
		kn_mail_free(m);
	} else if (rc != KN_ERR_TOOBIG || m != NULL)
		abort();

	/* The whole input read as one address list. */
	if (kn_mail_addrs_parse(&a, s, size) == 0)
		check_addrs(&a);
	kn_mail_addrs_cleanup(&a);
	return 0;
}
