/*
 * fuzz_mail_spf_macro.c - the SPF macro expander (RFC 7208 section 7).
 * The first byte picks the mode and the client's address family; the
 * rest is the macro-string.  The syntax check alone and the expansion
 * agree on what is valid, and the result respects the buffer's cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/spf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CAP 2048

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x01 };
	struct kn_spf_macros m;
	struct kn_buf b;
	enum kn_spf_macro_mode mode;
	int syntax, rc;

	if (size < 1)
		return 0;
	mode = (enum kn_spf_macro_mode)(data[0] % 3);
	memset(&m, 0, sizeof(m));
	m.sender = "strong-bad@email.example.com";
	m.local = "strong-bad";
	m.sender_domain = "email.example.com";
	m.domain = "email.example.com";
	m.helo = "mx.example.org";
	m.ptr = data[0] & 8 ? "mx.email.example.com" : NULL;
	m.receiver = data[0] & 16 ? "receiver.example" : NULL;
	m.now = 1700000000;
	if (data[0] & 4) {
		m.family = 6;
		memcpy(m.ip, ip6, 16);
	} else {
		m.family = 4;
		m.ip[0] = 192;
		m.ip[2] = 2;
		m.ip[3] = 3;
	}
	syntax = kn_spf_expand(NULL, NULL, (const char *)data + 1, size - 1,
	    mode);
	kn_buf_init(&b, CAP);
	rc = kn_spf_expand(&b, &m, (const char *)data + 1, size - 1, mode);
	if (syntax != 0 && syntax != KN_ERR_INVAL)
		abort();
	if (rc == 0 && (syntax != 0 || b.len > CAP))
		abort();
	if (rc == KN_ERR_INVAL && syntax == 0)
		abort();
	if (rc != 0 && rc != KN_ERR_INVAL && rc != KN_ERR_TOOBIG)
		abort();
	kn_buf_cleanup(&b);
	return 0;
}
