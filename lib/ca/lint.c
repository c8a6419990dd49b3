/* lint.c - pre-issuance linting.  Being written; see lint.h. */
#include "ca/lint.h"
