/*
 * fuzz_tsa.c - the time-stamp authority (kn_tsa_respond) on arbitrary
 * request bytes, against a scratch SQLite store with a root and an
 * issuing CA (file keys).  Whatever comes in, the answer must be a DER
 * TimeStampResp: a token over exactly the request's imprint, with the
 * request's nonce, when granted; else a rejection with a failure bit and
 * a text.  Serials of tokens must rise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ts.h>

#include "ca/ca.h"
#include "store/db.h"
#include "ca_fixture.h"
#include "tsa/tsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kn_db *db;
static struct kn_tsa *tsa;
static struct kn_ca_env env;
static int64_t last_serial;

static void
setup(void)
{
	struct kn_tsa_conf tc = {
		.policy = "1.2.3.4.1",
		.policies = "1.2.3.4.2",
		.accuracy_ms = 1000,
	};

	fuzz_ca_fixture("tsa", &db, &env);
	if (kn_tsa_new(&tsa, &tc) != 0)
		abort();
}

/* A granted token must be over what was asked. */
static void
check_token(TS_RESP *resp, const uint8_t *data, size_t size,
    const struct kn_tsa_info *info)
{
	const unsigned char *p = data;
	TS_TST_INFO *tst = TS_RESP_get_tst_info(resp);
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)size);
	const ASN1_INTEGER *rn, *tn;

	if (tst == NULL || req == NULL || TS_RESP_get_token(resp) == NULL)
		abort();
	if (TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(req)) == NULL ||
	    ASN1_STRING_cmp(TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(
	    req)), TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(
	    tst))) != 0)
		abort();
	rn = TS_REQ_get_nonce(req);
	tn = TS_TST_INFO_get_nonce(tst);
	if ((rn == NULL) != (tn == NULL) ||
	    (rn != NULL && ASN1_INTEGER_cmp(rn, tn) != 0))
		abort();
	if (ASN1_INTEGER_get(TS_TST_INFO_get_serial(tst)) != info->serial ||
	    info->serial <= last_serial)
		abort();
	last_serial = info->serial;
	TS_REQ_free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_tsa_info info;
	unsigned char *out = NULL;
	const unsigned char *p;
	size_t len = 0;
	TS_RESP *resp;
	TS_STATUS_INFO *si;
	long st;

	if (db == NULL)
		setup();
	if (kn_tsa_respond(tsa, db, &env, data, size, &out, &len, &info) != 0)
		abort();
	p = out;
	if ((resp = d2i_TS_RESP(NULL, &p, (long)len)) == NULL ||
	    p != out + len)
		abort();
	si = TS_RESP_get_status_info(resp);
	st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	if (st != info.status)
		abort();
	if (st == 0)
		check_token(resp, data, size, &info);
	else if (st != 2 || TS_RESP_get_token(resp) != NULL ||
	    info.why == NULL || TS_STATUS_INFO_get0_failure_info(si) == NULL ||
	    TS_STATUS_INFO_get0_text(si) == NULL)
		abort();
	TS_RESP_free(resp);
	free(out);
	return 0;
}
