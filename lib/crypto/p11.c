/* p11.c - PKCS#11 tokens.  Being written; see key.h. */
#include "crypto/key.h"
