/* key.c - key URIs (file: and pkcs11:).  Being written; see key.h. */
#include "crypto/key.h"
