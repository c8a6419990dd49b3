/* profile.c - the certificate profiles as data.  Being written. */
#include "ca/profile.h"
