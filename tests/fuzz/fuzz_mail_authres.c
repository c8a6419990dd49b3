/*
 * fuzz_mail_authres.c - the Authentication-Results parser.  An accepted
 * field bears its own authserv-id (kn_authres_is_ours agrees), and when
 * its parts can be written again, writing and re-reading gives the same
 * results (the writer and the reader agree on every value).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/authres.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
same(const struct kn_authres *a, const struct kn_authres *b)
{
	size_t i, j;

	if (strcmp(a->authserv_id, b->authserv_id) != 0 ||
	    a->nresults != b->nresults)
		return false;
	for (i = 0; i < a->nresults; i++) {
		const struct kn_authres_result *x = &a->results[i];
		const struct kn_authres_result *y = &b->results[i];

		if (strcmp(x->method, y->method) != 0 ||
		    strcmp(x->result, y->result) != 0 ||
		    (x->reason == NULL) != (y->reason == NULL) ||
		    (x->reason != NULL && strcmp(x->reason, y->reason) != 0) ||
		    x->nprops != y->nprops)
			return false;
		for (j = 0; j < x->nprops; j++) {
			if (strcmp(x->props[j].ptype, y->props[j].ptype) != 0 ||
			    strcmp(x->props[j].property,
			    y->props[j].property) != 0 ||
			    strcmp(x->props[j].value, y->props[j].value) != 0)
				return false;
		}
	}
	return true;
}

/* Writes ar again; 0 when every part could be written. */
static int
rewrite(struct kn_buf *out, const struct kn_authres *ar)
{
	struct kn_authres w;
	struct kn_authres_result *r;
	size_t i, j;
	int rc;

	kn_authres_init(&w);
	w.utf8 = true;	/* values as they were, not as ext-values */
	if ((rc = kn_authres_set_id(&w, ar->authserv_id)) != 0)
		goto out;
	for (i = 0; i < ar->nresults; i++) {
		const struct kn_authres_result *x = &ar->results[i];

		if (x->version != 1) {
			rc = KN_ERR_INVAL;	/* not written by us */
			goto out;
		}
		if ((rc = kn_authres_add(&w, &r, x->method, x->result,
		    x->reason)) != 0)
			goto out;
		for (j = 0; j < x->nprops; j++) {
			struct kn_buf t;

			/* Decoding any value is safe. */
			kn_buf_init(&t, KN_AUTHRES_MAX_VALUE);
			if (kn_authres_ext_decode(&t, x->props[j].value) != 0)
				kn_err_clear();
			kn_buf_cleanup(&t);
			if ((rc = kn_authres_add_prop(r, x->props[j].ptype,
			    x->props[j].property, x->props[j].value)) != 0)
				goto out;
		}
	}
	rc = kn_authres_encode(out, &w, "\r\n\t");
out:
	kn_authres_cleanup(&w);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_authres ar, again;
	struct kn_buf b;
	int rc;

	rc = kn_authres_parse(&ar, (const char *)data, size);
	if (rc != 0) {
		if (rc != KN_ERR_INVAL && rc != KN_ERR_TOOBIG &&
		    rc != KN_ERR_NOMEM)
			abort();
		if (ar.nresults != 0 || ar.authserv_id != NULL)
			abort();
		return 0;
	}
	if (ar.authserv_id == NULL || (ar.nresults == 0) != ar.none)
		abort();
	if (!kn_authres_is_ours((const char *)data, size, ar.authserv_id))
		abort();
	kn_buf_init(&b, 1 << 20);
	if (rewrite(&b, &ar) == 0) {
		if (kn_authres_parse(&again, b.data, b.len) != 0)
			abort();
		if (!same(&ar, &again))
			abort();
		kn_authres_cleanup(&again);
	}
	kn_buf_cleanup(&b);
	kn_authres_cleanup(&ar);
	return 0;
}
