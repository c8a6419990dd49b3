/*
 * fuzz_ocsp.c - the OCSP responder (kn_ocsp_respond) on arbitrary request
 * bytes, against a scratch SQLite store with a root and an issuing CA
 * (file keys).  Whatever comes in, the answer must be a DER OCSPResponse
 * whose status is one RFC 6960 section 4.2.1 defines, with a body exactly
 * when it is successful.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ocsp.h>

#include "ca/ca.h"
#include "store/db.h"
#include "ca_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kn_db *db;
static struct kn_ca_env env;

static void
setup(void)
{
	fuzz_ca_fixture("ocsp", &db, &env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_ocsp_info info, pre;
	unsigned char *out = NULL;
	const unsigned char *p;
	size_t len = 0;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	int st;

	if (db == NULL)
		setup();
	if (kn_ocsp_respond(db, &env, data, size, &out, &len, &info) != 0)
		abort();
	p = out;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
	    p != out + len)
		abort();
	st = OCSP_response_status(resp);
	if (st != info.status || (st != OCSP_RESPONSE_STATUS_SUCCESSFUL &&
	    st != OCSP_RESPONSE_STATUS_MALFORMEDREQUEST &&
	    st != OCSP_RESPONSE_STATUS_INTERNALERROR &&
	    st != OCSP_RESPONSE_STATUS_UNAUTHORIZED))
		abort();
	/* A body exactly when successful, and a reason otherwise. */
	bs = OCSP_response_get1_basic(resp);
	if ((st == OCSP_RESPONSE_STATUS_SUCCESSFUL) != (bs != NULL) ||
	    (st != OCSP_RESPONSE_STATUS_SUCCESSFUL && info.why == NULL))
		abort();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	free(out);
	/* The path that never signs (the server's HTTP workers) answers
	 * the same, or leaves the answer to be signed. */
	out = NULL;
	if (kn_ocsp_presigned(db, &env, data, size, &out, &len, &pre) != 0 ||
	    (pre.must_sign != (out == NULL)) ||
	    (pre.must_sign != (pre.request != NULL)) ||
	    (!pre.must_sign && pre.status != st))
		abort();
	free(out);
	/* Signing the request it parsed answers as the first call did. */
	out = NULL;
	if (pre.must_sign && (kn_ocsp_respond_parsed(db, &env, &pre, &out,
	    &len, &info) != 0 || info.status != st || pre.request != NULL))
		abort();
	free(out);
	kn_ocsp_info_cleanup(&pre);
	return 0;
}
