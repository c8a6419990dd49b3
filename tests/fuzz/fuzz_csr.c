/*
 * fuzz_csr.c - CSR handling (kn_csr_parse) on arbitrary bytes, for two
 * profiles with different key rules.  Whatever is accepted must carry a
 * public key the profile allows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca/ca.h"
#include "ca/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const profiles[] = { "smime-sponsor-strict",
	    "tls-dv" };
	EVP_PKEY *pub = NULL;
	char *pem;
	size_t i;

	if ((pem = malloc(size + 1)) == NULL)
		return 0;
	memcpy(pem, data, size);
	pem[size] = '\0';
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (kn_csr_parse(pem, profiles[i], &pub) == 0) {
			if (pub == NULL || !kn_profile_allows_key(
			    kn_profile_find(profiles[i]), kn_keyalg_of(pub)))
				abort();
			EVP_PKEY_free(pub);
			pub = NULL;
		}
	}
	free(pem);
	return 0;
}
