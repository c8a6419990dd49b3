/*
 * fuzz_mail_dkim_key.c - DKIM key records (RFC 6376 section 3.6.1, RFC
 * 8463 section 4).  An accepted record is either revoked (no key) or
 * holds a key of the type k= names: RSA of 1024 to 8192 bits, or Ed25519.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "mail/dkim.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kn_dkim_key k;
	int rc;

	rc = kn_dkim_key_parse(&k, (const char *)data, size);
	if (rc != 0) {
		if ((rc != KN_ERR_INVAL && rc != KN_ERR_NOMEM) ||
		    k.pkey != NULL)
			abort();
		return 0;
	}
	if (k.revoked != (k.pkey == NULL))
		abort();
	if (k.pkey != NULL) {
		int id = EVP_PKEY_get_base_id(k.pkey);

		if (k.type == KN_DKIM_KEY_RSA && (id != EVP_PKEY_RSA ||
		    k.bits < KN_DKIM_MIN_RSA_BITS ||
		    k.bits > KN_DKIM_MAX_RSA_BITS))
			abort();
		if (k.type == KN_DKIM_KEY_ED25519 && id != EVP_PKEY_ED25519)
			abort();
	}
	kn_dkim_key_cleanup(&k);
	return 0;
}
