/*
 * fuzz_lint.c - the certificate linter on arbitrary bytes.  A report is
 * made for every input that is exactly one certificate and for nothing
 * else; its counts agree with its findings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ca/lint.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kn_lint_report rep;
	size_t i, e = 0, w = 0;

	if (kn_lint_der(&rep, data, size) != 0)
		return 0;
	if (rep.n > KN_LINT_MAX)
		abort();
	for (i = 0; i < rep.n; i++) {
		if (rep.f[i].rule == NULL || rep.f[i].source == NULL ||
		    memchr(rep.f[i].msg, '\0', sizeof(rep.f[i].msg)) == NULL)
			abort();
		if (rep.f[i].level == KN_LINT_ERROR)
			e++;
		else
			w++;
	}
	if (e > rep.errors || w > rep.warnings ||
	    (rep.n < KN_LINT_MAX && (e != rep.errors || w != rep.warnings)))
		abort();
	return 0;
}
