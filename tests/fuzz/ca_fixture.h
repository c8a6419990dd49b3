/* ca_fixture.h - a scratch SQLite store with a root and an issuing CA
 * (file keys), for the fuzz targets of the OCSP responder and the TSA. */
#ifndef KN_FUZZ_CA_FIXTURE_H
#define KN_FUZZ_CA_FIXTURE_H

#include "ca/ca.h"
#include "store/db.h"

/* Makes the store under /tmp/kakuin-fuzz-NAME-XXXXXX (removed at exit)
 * and fills *env; aborts on any failure. */
void	fuzz_ca_fixture(const char *name, struct kn_db **db,
	    struct kn_ca_env *env);

#endif
