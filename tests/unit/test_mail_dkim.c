/*
 * test_mail_dkim.c - DKIM: tag lists, signature fields, key records,
 * canonicalization, the worked examples of RFC 6376 and RFC 8463, and
 * signing and verifying with each thing that can go wrong.
 *
 * Key records come from a table through the verifier's lookup hook (the
 * RFCs' examples publish under example.com); DNS itself is exercised by
 * the end-to-end tests against a real unbound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mail/dkim.h"
#include "mail/msg.h"
#include "testutil.h"

/* ---------------------------------------------------------------- data */

/* RFC 8463 appendix A.1: the RSA signing key, and the Ed25519 one (the
 * secret key of RFC 8032 section 7.1, test 1). */
static const char rfc8463_rsa_pem[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi\n"
    "Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM\n"
    "KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\n"
    "AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm\n"
    "6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe\n"
    "zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy\n"
    "6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc\n"
    "uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy\n"
    "WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd\n"
    "WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a\n"
    "licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst\n"
    "o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe\n"
    "uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL\n"
    "-----END RSA PRIVATE KEY-----\n";

static const unsigned char rfc8463_ed_seed[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
	0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
	0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

/* RFC 8463 appendix A.2: the key records. */
#define RFC8463_ED_P	"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RFC8463_RSA_P							\
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"		\
	"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCN"	\
	"b3W91y3FutAC"							\
	"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyV"	\
	"YLzBfO2EeC3"							\
	"Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

/* RFC 6376 appendix A.3: the key record of the example. */
#define RFC6376_P							\
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkM" \
	"oGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/R" \
	"tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToI" \
	"MmPSPDdQPNUYckcQ2QIDAQAB"

/* RFC 6376 appendix A.2, as corrected by errata 3192 (one space in the
 * body) and 4926 (six-space indentation of the folded lines). */
static const char rfc6376_msg[] =
    "DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
    "      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
    "      h=Received : From : To : Subject : Date : Message-ID;\r\n"
    "      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
    "        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
    "        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
    "        4bmp/YzhwvcubU4=;\r\n"
    "Received: from client1.football.example.com  [192.0.2.1]\r\n"
    "      by submitserver.example.com with SUBMISSION;\r\n"
    "      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game. Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

/* RFC 8463 appendix A.3: one message, an Ed25519 and an RSA signature. */
static const char rfc8463_msg[] =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    " date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

#define RFC8463_T	1528637909

/* The unsigned message the signing tests start from. */
static const char plain_msg[] =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?  \r\n"
    "\r\n"
    "Joe.\r\n"
    "\r\n";

/* ---------------------------------------------------------------- helpers */

static struct kn_mail_msg *
parse(const char *text, size_t len)
{
	struct kn_mail_msg *m = NULL;

	assert_int_equal(kn_mail_parse(&m, text, len, NULL), 0);
	return m;
}

/* Key records by name; a txt of "DNSFAIL" is a temporary failure. */
struct rec {
	const char	*name;
	const char	*txt[3];
};

struct recs {
	const struct rec	*v;
	size_t			 n;
	int			 calls;
};

static int
lookup(void *arg, const char *name, struct kn_dns_txt *out)
{
	struct recs *r = arg;
	size_t i, k;

	r->calls++;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].name, name) != 0)
			continue;
		if (r->v[i].txt[0] != NULL &&
		    strcmp(r->v[i].txt[0], "DNSFAIL") == 0)
			return kn_err_set(KN_ERR_DNS, NULL, "SERVFAIL for %s",
			    name);
		for (k = 0; k < 3 && r->v[i].txt[k] != NULL; k++)
			;
		out->txt = calloc(k ? k : 1, sizeof(char *));
		assert_non_null(out->txt);
		for (k = 0; k < 3 && r->v[i].txt[k] != NULL; k++)
			out->txt[out->n++] = strdup(r->v[i].txt[k]);
		return 0;
	}
	out->nxdomain = true;
	return 0;
}

static struct kn_dkim_verifier *
verifier(struct recs *r, time_t now)
{
	struct kn_dkim_verify_opts o = { .lookup = lookup, .lookup_arg = r,
	    .now = now };
	struct kn_dkim_verifier *v = NULL;

	assert_int_equal(kn_dkim_verifier_new(&v, &o), 0);
	return v;
}

static EVP_PKEY *
rfc_rsa_key(void)
{
	BIO *b = BIO_new_mem_buf(rfc8463_rsa_pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

	BIO_free(b);
	assert_non_null(k);
	return k;
}

static EVP_PKEY *
rfc_ed_key(void)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    rfc8463_ed_seed, sizeof(rfc8463_ed_seed));

	assert_non_null(k);
	return k;
}

static char *
slice_dup(struct kn_slice s)
{
	char *p = malloc(s.len + 1);

	assert_non_null(p);
	memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return p;
}

/* ---------------------------------------------------------------- tags */

static void
test_tags(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		int		 want_rc;
		size_t		 want_n;
		const char	*want_last;	/* "name=value" of the last */
		const char	*want_err;
	} tab[] = {
		{ "one", "a=b", 0, 1, "a=b", NULL },
		{ "two", "a=b; c=d", 0, 2, "c=d", NULL },
		{ "trailing semicolon", "a=b; c=d;", 0, 2, "c=d", NULL },
		{ "trailing semicolon FWS", "a=b;\r\n ", 0, 1, "a=b", NULL },
		{ "empty", "", 0, 0, NULL, NULL },
		{ "only FWS", " \t ", 0, 0, NULL, NULL },
		{ "empty value", "a=; b=", 0, 2, "b=", NULL },
		{ "FWS everywhere", " a \t= \r\n b  c \r\n\t; d=e ", 0, 2,
		    "d=e", NULL },
		{ "inner FWS kept", "b=ab\r\n cd", 0, 1, "b=ab\r\n cd", NULL },
		{ "underscore digits", "x_1=2", 0, 1, "x_1=2", NULL },
		{ "8-bit value", "z=\xe6\x97\xa5", 0, 1, "z=\xe6\x97\xa5",
		    NULL },
		{ "duplicate", "a=1; b=2; a=3", KN_ERR_INVAL, 0, NULL,
		    "appears twice" },
		{ "no equals", "a=1; b", KN_ERR_INVAL, 0, NULL, "no '='" },
		{ "name digit", "1a=2", KN_ERR_INVAL, 0, NULL, "letter" },
		{ "name hyphen", "a-b=2", KN_ERR_INVAL, 0, NULL, "no '='" },
		{ "empty spec", "a=1;;b=2", KN_ERR_INVAL, 0, NULL,
		    "empty tag" },
		{ "leading semicolon", ";a=1", KN_ERR_INVAL, 0, NULL,
		    "letter" },
		{ "control in value", "a=b\x01" "c", KN_ERR_INVAL, 0, NULL,
		    "control" },
		{ "NUL in value", "a=b\0c", KN_ERR_INVAL, 0, NULL,
		    "control" },
		{ "truncated", "a=1; b", KN_ERR_INVAL, 0, NULL, "no '='" },
	};
	struct kn_dkim_tags t;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		size_t len = strlen(tab[i].in);
		int rc;

		if (strcmp(tab[i].name, "NUL in value") == 0)
			len = 5;
		kn_err_clear();
		rc = kn_dkim_tags_parse(&t, tab[i].in, len);
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (rc != 0) {
			CHECK_HAS(tab[i].name, kn_err_get()->msg,
			    tab[i].want_err);
			CHECK_HAS(tab[i].name, kn_err_get()->msg,
			    "RFC 6376 section 3.2");
			continue;
		}
		CHECK_INT(tab[i].name, t.n, tab[i].want_n);
		if (tab[i].want_last != NULL) {
			const struct kn_dkim_tag *l = &t.v[t.n - 1];
			char *got = tu_printf("%.*s=%.*s", (int)l->name.len,
			    l->name.ptr, (int)l->value.len, l->value.ptr);

			CHECK_STR(tab[i].name, got, tab[i].want_last);
			free(got);
		}
	}
}

static void
test_tags_caps(void **state)
{
	struct kn_dkim_tags t;
	struct kn_buf b;
	int i;

	(void)state;
	kn_buf_init(&b, 1 << 16);
	for (i = 0; i < KN_DKIM_MAX_TAGS; i++)
		kn_buf_putf(&b, "t%d=%d;", i, i);
	assert_false(b.failed);
	assert_int_equal(kn_dkim_tags_parse(&t, b.data, b.len), 0);
	assert_int_equal(t.n, KN_DKIM_MAX_TAGS);
	kn_buf_puts(&b, "one=more");
	assert_int_equal(kn_dkim_tags_parse(&t, b.data, b.len),
	    KN_ERR_TOOBIG);
	kn_buf_cleanup(&b);

	/* The b= region covers everything between '=' and ';'. */
	assert_int_equal(kn_dkim_tags_parse(&t, "a=1; b= xy\r\n z ; c=2",
	    20), 0);
	assert_int_equal(t.v[1].val_start, 7);
	assert_int_equal(t.v[1].val_end, 15);
	assert_non_null(kn_dkim_tags_get(&t, "c"));
	assert_null(kn_dkim_tags_get(&t, "C"));
}

/* ---------------------------------------------------------------- base64 */

static void
test_base64(void **state)
{
	static const struct {
		const char	*in;
		int		 want_rc;
		const char	*want;
	} tab[] = {
		{ "", 0, "" },
		{ "YQ==", 0, "a" },
		{ "YWI=", 0, "ab" },
		{ "YWJj", 0, "abc" },
		{ "YW\r\n Jj ZA =\t=", 0, "abcd" },
		{ "YWJ", KN_ERR_INVAL, NULL },
		{ "YQ=", KN_ERR_INVAL, NULL },
		{ "Y===", KN_ERR_INVAL, NULL },
		{ "YQ==YQ==", KN_ERR_INVAL, NULL },
		{ "YW-j", KN_ERR_INVAL, NULL },
		{ "YWJjZGVmZ2g=", KN_ERR_TOOBIG, NULL },
	};
	struct kn_dkim_key k;
	size_t i;

	(void)state;
	/* Through p= of a key record, whose errors name the tag. */
	for (i = 0; i < NITEMS(tab); i++) {
		char *rec = tu_printf("k=ed25519; p=%s", tab[i].in);
		int rc = kn_dkim_key_parse(&k, rec, strlen(rec));

		if (tab[i].want_rc == 0) {
			/* Decodes, then is refused for its length (or
			 * revoked when empty). */
			if (*tab[i].want == '\0')
				assert_int_equal(rc, 0);
			else
				CHECK_HAS(tab[i].in, kn_err_get()->msg,
				    "not 32");
		} else if (tab[i].want_rc == KN_ERR_TOOBIG) {
			assert_int_equal(rc, KN_ERR_INVAL);
		} else {
			CHECK_INT(tab[i].in, rc, KN_ERR_INVAL);
			CHECK_HAS(tab[i].in, kn_err_get()->msg, "p= is not "
			    "base64");
		}
		kn_dkim_key_cleanup(&k);
		free(rec);
	}
}

/* ---------------------------------------------------------------- sig */

static int
parse_sig(struct kn_dkim_sig *s, const char *text)
{
	return kn_dkim_sig_parse(s, text, strlen(text));
}

#define SIG_OK "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; " \
	"bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=YWJj"

static void
test_sig_parse(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		int		 want_rc;
		const char	*want;	/* detail, or "d s i" when parsed */
	} tab[] = {
		{ "minimal", SIG_OK, 0, "example.com sel @example.com" },
		{ "uppercase d s", "v=1; a=rsa-sha256; d=Example.COM; s=SeL; "
		    "h=From; bh=YWJj; b=YWJj", 0,
		    "example.com sel @example.com" },
		{ "i= subdomain", SIG_OK "; i=joe@mail.example.com", 0,
		    "example.com sel joe@mail.example.com" },
		{ "i= empty local", SIG_OK "; i=@EXAMPLE.com", 0,
		    "example.com sel @EXAMPLE.com" },
		{ "i= other domain", SIG_OK "; i=joe@example.net",
		    KN_ERR_INVAL, "neither d=example.com" },
		{ "i= suffix trick", SIG_OK "; i=joe@badexample.com",
		    KN_ERR_INVAL, "neither d=example.com" },
		{ "i= parent", SIG_OK "; i=joe@com", KN_ERR_INVAL,
		    "neither" },
		{ "i= no at", SIG_OK "; i=joe.example.com", KN_ERR_INVAL,
		    "[local-part]@domain" },
		{ "no v", "a=rsa-sha256; d=e.com; s=s; h=from; bh=YWJj; "
		    "b=YWJj", KN_ERR_INVAL, "no v= tag" },
		{ "no b", "v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=YWJj",
		    KN_ERR_INVAL, "no b= tag" },
		{ "no bh", "v=1; a=rsa-sha256; d=e.com; s=s; h=from; b=YWJj",
		    KN_ERR_INVAL, "no bh= tag" },
		{ "no h", "v=1; a=rsa-sha256; d=e.com; s=s; bh=YWJj; b=YWJj",
		    KN_ERR_INVAL, "no h= tag" },
		{ "no d", "v=1; a=rsa-sha256; s=s; h=from; bh=YWJj; b=YWJj",
		    KN_ERR_INVAL, "no d= tag" },
		{ "no s", "v=1; a=rsa-sha256; d=e.com; h=from; bh=YWJj; "
		    "b=YWJj", KN_ERR_INVAL, "no s= tag" },
		{ "no a", "v=1; d=e.com; s=s; h=from; bh=YWJj; b=YWJj",
		    KN_ERR_INVAL, "no a= tag" },
		{ "v=2", "v=2; a=rsa-sha256; d=e.com; s=s; h=from; bh=YWJj; "
		    "b=YWJj", KN_ERR_INVAL, "only version 1" },
		{ "h without from", "v=1; a=rsa-sha256; d=e.com; s=s; "
		    "h=to:subject; bh=YWJj; b=YWJj", KN_ERR_INVAL,
		    "does not include From" },
		{ "h from prefix", "v=1; a=rsa-sha256; d=e.com; s=s; "
		    "h=from-x; bh=YWJj; b=YWJj", KN_ERR_INVAL,
		    "does not include From" },
		{ "h FWS", "v=1; a=rsa-sha256; d=e.com; s=s; "
		    "h=to :\r\n FROM ; bh=YWJj; b=YWJj", 0, "e.com s @e.com" },
		{ "h empty name", "v=1; a=rsa-sha256; d=e.com; s=s; "
		    "h=from::to; bh=YWJj; b=YWJj", KN_ERR_INVAL,
		    "empty or malformed" },
		{ "duplicate tag", SIG_OK "; d=example.com", KN_ERR_INVAL,
		    "appears twice" },
		{ "bad d", "v=1; a=rsa-sha256; d=exa mple.com; s=s; h=from; "
		    "bh=YWJj; b=YWJj", KN_ERR_INVAL, "not a domain" },
		{ "d with dot dot", "v=1; a=rsa-sha256; d=a..com; s=s; "
		    "h=from; bh=YWJj; b=YWJj", KN_ERR_INVAL, "not a domain" },
		{ "bad s", "v=1; a=rsa-sha256; d=e.com; s=a/b; h=from; "
		    "bh=YWJj; b=YWJj", KN_ERR_INVAL, "not a selector" },
		{ "b not base64", "v=1; a=rsa-sha256; d=e.com; s=s; h=from; "
		    "bh=YWJj; b=YW*j", KN_ERR_INVAL, "b= is not base64" },
		{ "b empty", "v=1; a=rsa-sha256; d=e.com; s=s; h=from; "
		    "bh=YWJj; b=", KN_ERR_INVAL, "b= is empty" },
		{ "bh not base64", "v=1; a=rsa-sha256; d=e.com; s=s; h=from; "
		    "bh=YWJ; b=YWJj", KN_ERR_INVAL, "bh= is not base64" },
		{ "c relaxed", SIG_OK "; c=relaxed", 0, "example.com sel" },
		{ "c bogus", SIG_OK "; c=relaxed/bogus", KN_ERR_INVAL,
		    "unknown canonicalization" },
		{ "c empty body", SIG_OK "; c=relaxed/", KN_ERR_INVAL,
		    "unknown canonicalization" },
		{ "q dns/txt", SIG_OK "; q=dns/txt", 0, "example.com" },
		{ "q other first", SIG_OK "; q=http/well-known:dns/txt", 0,
		    "example.com" },
		{ "q other", SIG_OK "; q=http/well-known", KN_ERR_INVAL,
		    "dns/txt" },
		{ "l", SIG_OK "; l=100", 0, "example.com" },
		{ "l not digits", SIG_OK "; l=1e3", KN_ERR_INVAL, "l= is not" },
		{ "l huge", SIG_OK "; l=99999999999999999999999999", 0,
		    "example.com" },
		{ "l 77 digits", SIG_OK "; l=1234567890123456789012345678901"
		    "2345678901234567890123456789012345678901234567",
		    KN_ERR_INVAL, "l= is not" },
		{ "t x", SIG_OK "; t=100; x=200", 0, "example.com" },
		{ "x before t", SIG_OK "; t=200; x=200", KN_ERR_INVAL,
		    "x= is not after t=" },
		{ "t 13 digits", SIG_OK "; t=1234567890123", KN_ERR_INVAL,
		    "t= is not" },
		{ "x negative", SIG_OK "; x=-1", KN_ERR_INVAL, "x= is not" },
		{ "trailing garbage", SIG_OK "; ;", KN_ERR_INVAL,
		    "empty tag" },
		{ "truncated", "v=1; a=rsa-sha256; d=e.com; s", KN_ERR_INVAL,
		    "no '='" },
		{ "oversized h", NULL, KN_ERR_INVAL, "more than 128" },
	};
	static const char full[] = SIG_OK "; c=relaxed; l=77; t=12; x=13; "
	    "z=From:a@b";
	struct kn_dkim_sig *s = malloc(sizeof(*s));
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < NITEMS(tab); i++) {
		char *in = NULL, *got;
		int rc, k;

		if (tab[i].in == NULL) {
			struct kn_buf b;

			kn_buf_init(&b, 1 << 16);
			kn_buf_puts(&b, "v=1; a=rsa-sha256; d=e.com; s=s; "
			    "bh=YWJj; b=YWJj; h=from");
			for (k = 0; k < KN_DKIM_MAX_H; k++)
				kn_buf_puts(&b, ":x");
			in = kn_buf_steal(&b, NULL);
		} else
			in = strdup(tab[i].in);
		kn_err_clear();
		rc = kn_dkim_sig_parse(s, in, strlen(in));
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (rc != 0) {
			CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want);
			CHECK_HAS(tab[i].name, kn_err_get()->msg, "RFC");
		} else {
			got = tu_printf("%s %s %s", s->d, s->s, s->i);
			CHECK_HAS(tab[i].name, got, tab[i].want);
			free(got);
		}
		free(in);
	}

	/* What the fields hold. */
	assert_int_equal(kn_dkim_sig_parse(s, full, strlen(full)), 0);
	assert_int_equal(s->alg, KN_DKIM_RSA_SHA256);
	assert_int_equal(s->hcanon, KN_DKIM_RELAXED);
	assert_int_equal(s->bcanon, KN_DKIM_SIMPLE);
	assert_true(s->has_l && s->l == 77);
	assert_true(s->has_t && s->t == 12 && s->has_x && s->x == 13);
	assert_int_equal(s->nh, 2);
	assert_int_equal(s->bh_len, 32);
	assert_int_equal(s->b_len, 3);
	assert_memory_equal(s->b, "abc", 3);
	assert_string_equal(s->b_head, "YWJj");
	assert_int_equal(kn_dkim_sig_parse(s, SIG_OK, strlen(SIG_OK)), 0);
	assert_int_equal(s->hcanon, KN_DKIM_SIMPLE);
	assert_int_equal(s->bcanon, KN_DKIM_SIMPLE);
	assert_false(s->has_l);
	/* Algorithms are names the verifier judges, not parse errors. */
	assert_int_equal(parse_sig(s, "v=1; a=RSA-SHA1; d=e.com; s=s; "
	    "h=from; bh=YWJj; b=YWJj"), 0);
	assert_int_equal(s->alg, KN_DKIM_RSA_SHA1);
	assert_int_equal(parse_sig(s, "v=1; a=rsa-sha512; d=e.com; s=s; "
	    "h=from; bh=YWJj; b=YWJj"), 0);
	assert_int_equal(s->alg, KN_DKIM_ALG_UNKNOWN);
	assert_string_equal(s->a, "rsa-sha512");
	/* A failed parse still names d= and s= for the result. */
	assert_int_equal(parse_sig(s, "v=1; a=rsa-sha256; d=e.com; s=sel; "
	    "h=to; bh=YWJj; b=YWJj"), KN_ERR_INVAL);
	assert_string_equal(s->d, "e.com");
	assert_string_equal(s->s, "sel");
	free(s);
}

/* ---------------------------------------------------------------- keys */

static char *
small_rsa_p(int bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	struct kn_buf b;
	char *rec;

	assert_non_null(k);
	kn_buf_init(&b, 1 << 16);
	assert_int_equal(kn_dkim_key_record(&b, k), 0);
	rec = kn_buf_steal(&b, NULL);
	EVP_PKEY_free(k);
	return rec;
}

static void
test_key_parse(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		int		 want_rc;
		const char	*want;	/* detail, or the flags "type bits
					   revoked testing strict sha256" */
	} tab[] = {
		{ "rfc8463 ed25519", "v=DKIM1; k=ed25519; p=" RFC8463_ED_P, 0,
		    "ed25519 256 0 0 0 1" },
		{ "rfc8463 rsa", "v=DKIM1; k=rsa; p=" RFC8463_RSA_P, 0,
		    "rsa 1024 0 0 0 1" },
		{ "rfc6376 no k", "v=DKIM1; p=" RFC6376_P, 0,
		    "rsa 1024 0 0 0 1" },
		{ "no v", "p=" RFC6376_P, 0, "rsa 1024 0 0 0 1" },
		{ "p folded", "k=ed25519; p=11qYAYKxCrfVS/7TyWQH\r\n "
		    "Og7hcvPapiMlrwIaaPcHURo=", 0, "ed25519 256 0 0 0 1" },
		{ "flags", "t=y:s; k=ed25519; p=" RFC8463_ED_P, 0,
		    "ed25519 256 0 1 1 1" },
		{ "flags unknown kept", "t = x : Y ; k=ed25519; p="
		    RFC8463_ED_P, 0, "ed25519 256 0 1 0 1" },
		{ "h sha1 only", "h=sha1; k=ed25519; p=" RFC8463_ED_P, 0,
		    "ed25519 256 0 0 0 0" },
		{ "h both", "h=sha1:sha256; k=ed25519; p=" RFC8463_ED_P, 0,
		    "ed25519 256 0 0 0 1" },
		{ "s email", "s=email; k=ed25519; p=" RFC8463_ED_P, 0,
		    "ed25519" },
		{ "s star", "s=*; k=ed25519; p=" RFC8463_ED_P, 0, "ed25519" },
		{ "s other:email", "s=tlsrpt:email; k=ed25519; p="
		    RFC8463_ED_P, 0, "ed25519" },
		{ "n ignored", "n=notes here; k=ed25519; p=" RFC8463_ED_P, 0,
		    "ed25519" },
		{ "revoked", "v=DKIM1; p=", 0, "rsa 0 1 0 0 1" },
		{ "revoked ed", "k=ed25519; p= ", 0, "ed25519 0 1 0 0 1" },
		{ "s other", "s=tlsrpt; k=ed25519; p=" RFC8463_ED_P,
		    KN_ERR_INVAL, "not for mail" },
		{ "v not first", "k=ed25519; v=DKIM1; p=" RFC8463_ED_P,
		    KN_ERR_INVAL, "come first" },
		{ "v DKIM2", "v=DKIM2; k=ed25519; p=" RFC8463_ED_P,
		    KN_ERR_INVAL, "DKIM1" },
		{ "v lowercase", "v=dkim1; k=ed25519; p=" RFC8463_ED_P,
		    KN_ERR_INVAL, "DKIM1" },
		{ "k dsa", "k=dsa; p=" RFC8463_ED_P, KN_ERR_INVAL,
		    "key type" },
		{ "no p", "v=DKIM1; k=rsa", KN_ERR_INVAL, "no p=" },
		{ "p garbage", "p=YWJj", KN_ERR_INVAL, "not an RSA" },
		{ "p ed as rsa", "k=rsa; p=" RFC8463_ED_P, KN_ERR_INVAL,
		    "not an RSA" },
		{ "p rsa as ed", "k=ed25519; p=" RFC8463_RSA_P, KN_ERR_INVAL,
		    "not 32" },
		{ "p trailing garbage", "p=" RFC6376_P "YWJj", KN_ERR_INVAL,
		    "not an RSA" },
		{ "p truncated", "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDw",
		    KN_ERR_INVAL, "not an RSA" },
		{ "duplicate p", "k=ed25519; p=" RFC8463_ED_P "; p=",
		    KN_ERR_INVAL, "appears twice" },
		{ "bad list", "h=sha256::sha1; p=" RFC6376_P, KN_ERR_INVAL,
		    "h= is not" },
		{ "not a record", "spf1 -all", KN_ERR_INVAL, "RFC 6376" },
	};
	struct kn_dkim_key k;
	char *rec;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		int rc;

		kn_err_clear();
		rc = kn_dkim_key_parse(&k, tab[i].in, strlen(tab[i].in));
		CHECK_INT(tab[i].name, rc, tab[i].want_rc);
		if (rc != 0) {
			CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want);
			assert_null(k.pkey);
		} else {
			char *got = tu_printf("%s %d %d %d %d %d",
			    k.type == KN_DKIM_KEY_RSA ? "rsa" : "ed25519",
			    k.bits, k.revoked, k.testing, k.strict, k.sha256);

			CHECK_HAS(tab[i].name, got, tab[i].want);
			assert_true(k.revoked == (k.pkey == NULL));
			free(got);
		}
		kn_dkim_key_cleanup(&k);
	}

	/* RFC 8301 section 3.2: under 1024 bits is refused. */
	rec = small_rsa_p(512);
	assert_int_equal(kn_dkim_key_parse(&k, rec, strlen(rec)),
	    KN_ERR_INVAL);
	assert_non_null(strstr(kn_err_get()->msg, "512 bits"));
	assert_non_null(strstr(kn_err_get()->msg, "RFC 8301"));
	free(rec);
	rec = small_rsa_p(1024);
	assert_int_equal(kn_dkim_key_parse(&k, rec, strlen(rec)), 0);
	assert_int_equal(k.bits, 1024);
	kn_dkim_key_cleanup(&k);
	free(rec);
}

/* ---------------------------------------------------------------- canon */

static void
buf_sink(void *arg, const void *p, size_t n)
{
	kn_buf_putn(arg, p, n);
}

static char *
canon_body(enum kn_dkim_canon c, const char *in, size_t len, uint64_t lim,
    uint64_t *total)
{
	struct kn_buf b;

	kn_buf_init(&b, 1 << 24);
	kn_buf_puts(&b, "");
	*total = kn_dkim_canon_body(c, in, len, lim, buf_sink, &b);
	assert_false(b.failed);
	return kn_buf_steal(&b, NULL);
}

static void
test_canon_body(void **state)
{
	static const struct {
		const char	*name;
		const char	*in;
		const char	*want_simple;
		const char	*want_relaxed;
	} tab[] = {
		/* RFC 6376 section 3.4.5, the worked example. */
		{ "rfc6376 3.4.5", " C \r\nD \t E\r\n\r\n\r\n",
		    " C \r\nD \t E\r\n", " C\r\nD E\r\n" },
		{ "empty", "", "\r\n", "" },
		{ "one CRLF", "\r\n", "\r\n", "" },
		{ "only empty lines", "\r\n\r\n\r\n", "\r\n", "" },
		{ "only WSP lines", " \r\n\t\r\n  ", " \r\n\t\r\n  \r\n", "" },
		{ "no final CRLF", "abc", "abc\r\n", "abc\r\n" },
		{ "WSP then end", "abc  \t", "abc  \t\r\n", "abc\r\n" },
		{ "trailing WSP lines", "abc\r\n \r\n\t \r\n",
		    "abc\r\n \r\n\t \r\n", "abc\r\n" },
		{ "leading WSP kept single", "  a", "  a\r\n", " a\r\n" },
		{ "tab alone", "a\tb\r\n", "a\tb\r\n", "a b\r\n" },
		{ "single spaces", "a b c\r\n", "a b c\r\n", "a b c\r\n" },
		{ "WSP before CRLF mid", "a \r\nb\r\n", "a \r\nb\r\n",
		    "a\r\nb\r\n" },
		{ "bare CR", "a \rb  \r\n", "a \rb  \r\n", "a \rb\r\n" },
		{ "WSP before bare CR", "a  \r", "a  \r\r\n", "a \r\r\n" },
		{ "bare LF kept", "a\nb", "a\nb\r\n", "a\nb\r\n" },
		{ "empty lines inside", "a\r\n\r\n\r\nb\r\n",
		    "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n" },
		{ "8 octet boundary", "1234567 \r\n1234567  x\r\n",
		    "1234567 \r\n1234567  x\r\n", "1234567\r\n1234567 x\r\n" },
		{ "space at octet 8", "1234567 x 234567 \t\r\n",
		    "1234567 x 234567 \t\r\n", "1234567 x 234567\r\n" },
	};
	uint64_t total;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		char *s = canon_body(KN_DKIM_SIMPLE, tab[i].in,
		    strlen(tab[i].in), UINT64_MAX, &total);
		char *r;

		CHECK_STR(tab[i].name, s, tab[i].want_simple);
		CHECK_INT(tab[i].name, total, strlen(tab[i].want_simple));
		r = canon_body(KN_DKIM_RELAXED, tab[i].in, strlen(tab[i].in),
		    UINT64_MAX, &total);
		CHECK_STR(tab[i].name, r, tab[i].want_relaxed);
		CHECK_INT(tab[i].name, total, strlen(tab[i].want_relaxed));
		free(s);
		free(r);
	}
	/* l= cuts what the hash sees, not the length counted. */
	{
		char *r = canon_body(KN_DKIM_RELAXED, "a  b\r\nc \r\n", 10, 4,
		    &total);

		assert_string_equal(r, "a b\r");
		assert_int_equal(total, 8);
		free(r);
		r = canon_body(KN_DKIM_SIMPLE, "", 0, 1, &total);
		assert_string_equal(r, "\r");
		assert_int_equal(total, 2);
		free(r);
		r = canon_body(KN_DKIM_SIMPLE, "abc", 3, 0, &total);
		assert_string_equal(r, "");
		assert_int_equal(total, 5);
		free(r);
	}
}

/* The relaxed body rule written the slow, obvious way (section 3.4.4). */
static char *
naive_relaxed(const char *in, size_t len)
{
	struct kn_buf lines, out;
	size_t i = 0, keep;

	kn_buf_init(&out, 1 << 24);
	kn_buf_init(&lines, 1 << 24);
	kn_buf_puts(&out, "");
	while (i < len) {
		size_t e = i, n;
		bool crlf = false;
		bool ws = false;

		while (e < len && !(in[e] == '\r' && e + 1 < len &&
		    in[e + 1] == '\n'))
			e++;
		crlf = e < len;
		/* Reduce WSP runs to one SP, drop WSP at the line end. */
		kn_buf_reset(&lines);
		for (n = i; n < e; n++) {
			if (in[n] == ' ' || in[n] == '\t') {
				ws = true;
				continue;
			}
			if (ws)
				kn_buf_putn(&lines, " ", 1);
			ws = false;
			kn_buf_putn(&lines, &in[n], 1);
		}
		kn_buf_putn(&out, lines.data ? lines.data : "", lines.len);
		kn_buf_putn(&out, "\r\n", 2);
		i = crlf ? e + 2 : e;
	}
	/* Drop empty lines at the end. */
	keep = out.len;
	while (keep >= 2 && out.data[keep - 2] == '\r' &&
	    out.data[keep - 1] == '\n' && (keep == 2 || (keep >= 4 &&
	    out.data[keep - 4] == '\r' && out.data[keep - 3] == '\n')))
		keep -= 2;
	out.len = keep;
	out.data[keep] = '\0';
	kn_buf_cleanup(&lines);
	return kn_buf_steal(&out, NULL);
}

static void
test_canon_body_random(void **state)
{
	static const char alphabet[] = "  \t\r\nab.";
	uint64_t x = 0x9e3779b97f4a7c15ULL, total;
	char in[200];
	int round;

	(void)state;
	/* Bodies drawn from an alphabet rich in white space and line ends,
	 * against the obvious implementation: the fast path must agree. */
	for (round = 0; round < 20000; round++) {
		size_t len, i;
		char *want, *got;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = (size_t)(x % sizeof(in));
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			in[i] = alphabet[x % (sizeof(alphabet) - 1)];
		}
		want = naive_relaxed(in, len);
		got = canon_body(KN_DKIM_RELAXED, in, len, UINT64_MAX, &total);
		if (strcmp(want, got) != 0) {
			char row[64];

			snprintf(row, sizeof(row), "round %d len %zu", round,
			    len);
			CHECK_STR(row, got, want);
		}
		assert_int_equal(total, strlen(want));
		free(want);
		free(got);
	}
}

static void
test_canon_header(void **state)
{
	static const struct {
		const char	*name;
		const char	*raw;
		const char	*want_relaxed;
	} tab[] = {
		/* RFC 6376 section 3.4.5. */
		{ "rfc A", "A: X\r\n", "a:X\r\n" },
		{ "rfc B", "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n" },
		{ "empty value", "Subject:\r\n", "subject:\r\n" },
		{ "WSP value", "Subject: \t \r\n", "subject:\r\n" },
		{ "folded runs", "To: a,\r\n  \t b\r\n", "to:a, b\r\n" },
		{ "no CRLF", "X-Y: z", "x-y:z\r\n" },
		{ "8-bit kept", "Subject: \xe6\x97\xa5  \xe6\x9c\xac\r\n",
		    "subject:\xe6\x97\xa5 \xe6\x9c\xac\r\n" },
	};
	struct kn_buf b;
	size_t i;

	(void)state;
	kn_buf_init(&b, 1 << 16);
	for (i = 0; i < NITEMS(tab); i++) {
		kn_buf_reset(&b);
		assert_int_equal(kn_dkim_canon_header(&b, KN_DKIM_RELAXED,
		    tab[i].raw, strlen(tab[i].raw), true), 0);
		CHECK_STR(tab[i].name, b.data, tab[i].want_relaxed);
		kn_buf_reset(&b);
		assert_int_equal(kn_dkim_canon_header(&b, KN_DKIM_SIMPLE,
		    tab[i].raw, strlen(tab[i].raw), false), 0);
		CHECK_INT(tab[i].name, b.len, strlen(tab[i].raw) -
		    (strstr(tab[i].raw, "\r\n") ? 2 : 0));
	}
	kn_buf_reset(&b);
	assert_int_equal(kn_dkim_canon_header(&b, KN_DKIM_RELAXED,
	    "no colon\r\n", 10, true), KN_ERR_INVAL);
	kn_buf_cleanup(&b);
}

/* ---------------------------------------------------------------- RFCs */

static void
test_rfc6376_example(void **state)
{
	static const struct rec recs[] = {
		{ "brisbane._domainkey.example.com", { "v=DKIM1; p="
		    RFC6376_P } },
	};
	struct recs r = { recs, NITEMS(recs), 0 };
	struct kn_dkim_verifier *v = verifier(&r, 1700000000);
	struct kn_mail_msg *m = parse(rfc6376_msg, sizeof(rfc6376_msg) - 1);
	struct kn_dkim_results res;
	char *tampered;

	(void)state;
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(res.n, 1);
	CHECK_STR("rfc6376", kn_dkim_status_name(res.v[0].status), "pass");
	assert_string_equal(res.v[0].d, "example.com");
	assert_string_equal(res.v[0].s, "brisbane");
	assert_string_equal(res.v[0].a, "rsa-sha256");
	assert_string_equal(res.v[0].i, "joe@football.example.com");
	assert_int_equal(res.v[0].key_bits, 1024);
	assert_false(res.v[0].has_l);
	assert_true(kn_dkim_results_pass(&res, "EXAMPLE.com"));
	assert_false(kn_dkim_results_pass(&res, "football.example.com"));
	kn_dkim_results_cleanup(&res);
	kn_mail_free(m);

	/* Simple/simple: the uncorrected text (two spaces) fails. */
	{
		const char *at = strstr(rfc6376_msg, "game. ");

		tampered = tu_printf("%.*s %s", (int)(at + 5 - rfc6376_msg),
		    rfc6376_msg, at + 5);
	}
	m = parse(tampered, strlen(tampered));
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	CHECK_STR("rfc6376 two spaces", kn_dkim_status_name(res.v[0].status),
	    "fail");
	CHECK_HAS("rfc6376 two spaces", res.v[0].reason, "body hash");
	kn_dkim_results_cleanup(&res);
	kn_mail_free(m);
	free(tampered);
	kn_dkim_verifier_free(v);
}

static void
test_rfc8463_example(void **state)
{
	static const struct rec recs[] = {
		{ "brisbane._domainkey.football.example.com", {
		    "v=DKIM1; k=ed25519; p=" RFC8463_ED_P } },
		{ "test._domainkey.football.example.com", {
		    "v=DKIM1; k=rsa; p=" RFC8463_RSA_P } },
	};
	struct recs r = { recs, NITEMS(recs), 0 };
	struct kn_dkim_verifier *v = verifier(&r, RFC8463_T + 60);
	struct kn_mail_msg *m = parse(rfc8463_msg, sizeof(rfc8463_msg) - 1);
	struct kn_dkim_results res;

	(void)state;
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(res.n, 2);
	CHECK_STR("ed25519", kn_dkim_status_name(res.v[0].status), "pass");
	assert_string_equal(res.v[0].a, "ed25519-sha256");
	assert_string_equal(res.v[0].s, "brisbane");
	assert_int_equal(res.v[0].key_bits, 256);
	assert_true(res.v[0].has_t && res.v[0].t == RFC8463_T);
	CHECK_STR("rsa", kn_dkim_status_name(res.v[1].status), "pass");
	assert_string_equal(res.v[1].a, "rsa-sha256");
	assert_string_equal(res.v[1].d, "football.example.com");
	assert_string_equal(res.v[1].b_head, "F45dVWDf");
	kn_dkim_results_cleanup(&res);
	kn_mail_free(m);

	/* A verifier keeping keys (and their contexts): a failure leaves
	 * nothing behind for the next message. */
	{
		struct kn_dkim_verify_opts o = { .lookup = lookup,
		    .lookup_arg = &r, .now = RFC8463_T, .cache_secs = 600 };
		struct kn_dkim_verifier *cv = NULL;
		char *bad = strdup(rfc8463_msg);
		int round;

		memcpy(strstr(bad, "dinner"), "lunch!", 6);
		assert_int_equal(kn_dkim_verifier_new(&cv, &o), 0);
		r.calls = 0;
		for (round = 0; round < 3; round++) {
			m = parse(bad, strlen(bad));
			assert_int_equal(kn_dkim_verify(cv, m, &res), 0);
			assert_int_equal(res.v[0].status, KN_DKIM_FAIL);
			assert_int_equal(res.v[1].status, KN_DKIM_FAIL);
			kn_dkim_results_cleanup(&res);
			kn_mail_free(m);
			m = parse(rfc8463_msg, sizeof(rfc8463_msg) - 1);
			assert_int_equal(kn_dkim_verify(cv, m, &res), 0);
			assert_int_equal(res.v[0].status, KN_DKIM_PASS);
			assert_int_equal(res.v[1].status, KN_DKIM_PASS);
			kn_dkim_results_cleanup(&res);
			kn_mail_free(m);
		}
		assert_int_equal(r.calls, 2);
		kn_dkim_verifier_free(cv);
		free(bad);
	}

	/* The same message with LF line ends, as stored in a file. */
	{
		char *lf = strdup(rfc8463_msg), *w = lf;
		const char *p;

		for (p = rfc8463_msg; *p != '\0'; p++) {
			if (*p != '\r')
				*w++ = *p;
		}
		*w = '\0';
		m = parse(lf, strlen(lf));
		assert_int_equal(kn_dkim_verify(v, m, &res), 0);
		assert_int_equal(res.n, 2);
		assert_int_equal(res.v[0].status, KN_DKIM_PASS);
		assert_int_equal(res.v[1].status, KN_DKIM_PASS);
		kn_dkim_results_cleanup(&res);
		kn_mail_free(m);
		free(lf);
	}
	kn_dkim_verifier_free(v);
}

/* ---------------------------------------------------------------- sign */

#define T0	1700000000
#define DOM	"football.example.com"

enum { K_RSA, K_ED };

struct scase {
	const char		*name;
	int			 key;
	enum kn_dkim_canon	 hc, bc;
	bool			 no_oversign;
	bool			 body_length;
	unsigned		 expire;
	const char		*identity;
	const char		*headers;
	/* Change to the signed message: replace the first find by repl
	 * ("^": put repl on top, "$": append it). */
	const char		*find;
	const char		*repl;
	/* The record published for the selector (%P: the key's p=);
	 * NULL: the right one. */
	const char		*record;
	const char		*record2;
	long			 dt;	/* verified at T0 + dt */
	bool			 l_policy;
	enum kn_dkim_status	 want;
	const char		*want_reason;
};

static char *
mutate(const char *in, const char *find, const char *repl)
{
	const char *at;

	if (find == NULL)
		return strdup(in);
	if (strcmp(find, "^") == 0)
		return tu_printf("%s%s", repl, in);
	if (strcmp(find, "$") == 0)
		return tu_printf("%s%s", in, repl);
	at = strstr(in, find);
	if (at == NULL)
		fail_msg("mutation: %s not in the signed message:\n%s", find,
		    in);
	return tu_printf("%.*s%s%s", (int)(at - in), in, repl,
	    at + strlen(find));
}

static char *
subst_p(const char *rec, const char *p)
{
	const char *at = strstr(rec, "%P");

	if (at == NULL)
		return strdup(rec);
	return tu_printf("%.*s%s%s", (int)(at - rec), rec, p, at + 2);
}

static const char *
p_of(int key)
{
	return key == K_RSA ? RFC8463_RSA_P : RFC8463_ED_P;
}

static char *
sign_text(struct kn_dkim_signer *const *s, size_t n, const char *msg,
    time_t now)
{
	struct kn_mail_msg *m = parse(msg, strlen(msg));
	struct kn_buf out;
	int rc;

	kn_buf_init(&out, 1 << 20);
	rc = kn_dkim_sign_all(s, n, m, now, &out);
	if (rc != 0)
		fail_msg("sign: %s", kn_err_msg(rc));
	kn_buf_puts(&out, msg);
	assert_false(out.failed);
	kn_mail_free(m);
	return kn_buf_steal(&out, NULL);
}

static void
test_sign_verify(void **state)
{
	static const struct scase tab[] = {
		{ "rsa relaxed", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, NULL, NULL, 0, false, KN_DKIM_PASS,
		    "signed by football.example.com" },
		{ "ed25519 relaxed", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, NULL, NULL, 0, false, KN_DKIM_PASS, "signed" },
		{ "rsa simple/simple", K_RSA, KN_DKIM_SIMPLE, KN_DKIM_SIMPLE,
		    false, false, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0,
		    false, KN_DKIM_PASS, "signed" },
		{ "ed simple/relaxed", K_ED, KN_DKIM_SIMPLE, KN_DKIM_RELAXED,
		    false, false, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0,
		    false, KN_DKIM_PASS, "signed" },
		{ "ed relaxed/simple", K_ED, KN_DKIM_RELAXED, KN_DKIM_SIMPLE,
		    false, false, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0,
		    false, KN_DKIM_PASS, "signed" },
		{ "identity", K_ED, 0, 0, false, false, 0,
		    "joe@mail." DOM, NULL, NULL, NULL, NULL, NULL, 0, false,
		    KN_DKIM_PASS, "signed" },
		{ "headers given", K_RSA, 0, 0, false, false, 0, NULL,
		    "From:Subject", NULL, NULL, NULL, NULL, 0, false,
		    KN_DKIM_PASS, "signed" },
		/* What relaxed forgives and simple does not. */
		{ "relaxed header WSP", K_RSA, 0, 0, false, false, 0, NULL,
		    NULL, "Subject: Is dinner", "SUBJECT :  Is \t dinner",
		    NULL, NULL, 0, false, KN_DKIM_PASS, "signed" },
		{ "relaxed body WSP", K_ED, 0, 0, false, false, 0, NULL,
		    NULL, "Hi.\r\n", "Hi.  \t\r\n", NULL, NULL, 0, false,
		    KN_DKIM_PASS, "signed" },
		{ "relaxed body empty lines", K_ED, 0, 0, false, false, 0,
		    NULL, NULL, "$", "\r\n  \r\n\r\n", NULL, NULL, 0, false,
		    KN_DKIM_PASS, "signed" },
		{ "simple header WSP", K_RSA, KN_DKIM_SIMPLE, KN_DKIM_SIMPLE,
		    false, false, 0, NULL, NULL, "Subject: Is",
		    "Subject:  Is", NULL, NULL, 0, false, KN_DKIM_FAIL,
		    "does not verify" },
		{ "simple body WSP", K_RSA, KN_DKIM_SIMPLE, KN_DKIM_SIMPLE,
		    false, false, 0, NULL, NULL, "Hi.\r\n", "Hi. \r\n",
		    NULL, NULL, 0, false, KN_DKIM_FAIL, "body hash" },
		{ "simple body empty lines", K_RSA, KN_DKIM_SIMPLE,
		    KN_DKIM_SIMPLE, false, false, 0, NULL, NULL, "$",
		    "\r\n\r\n", NULL, NULL, 0, false, KN_DKIM_PASS,
		    "signed" },
		/* Tampering. */
		{ "body changed", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    "hungry", "thirsty", NULL, NULL, 0, false, KN_DKIM_FAIL,
		    "body was changed" },
		{ "body appended", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    "$", "P.S. wire the money\r\n", NULL, NULL, 0, false,
		    KN_DKIM_FAIL, "body hash" },
		{ "subject changed", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    "dinner", "lunch", NULL, NULL, 0, false, KN_DKIM_FAIL,
		    "does not verify" },
		{ "from changed", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    "joe@", "jo@", NULL, NULL, 0, false, KN_DKIM_FAIL,
		    "does not verify" },
		{ "from added on top", K_RSA, 0, 0, false, false, 0, NULL,
		    NULL, "^", "From: <ceo@football.example.com>\r\n", NULL,
		    NULL, 0, false, KN_DKIM_FAIL, "does not verify" },
		{ "from added, not oversigned", K_RSA, 0, 0, true, false, 0,
		    NULL, NULL, "^", "From: <ceo@football.example.com>\r\n",
		    NULL, NULL, 0, false, KN_DKIM_FAIL, "2 From header" },
		{ "reply-to added", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    "^", "Reply-To: <x@evil.example>\r\n", NULL, NULL, 0,
		    false, KN_DKIM_FAIL, "does not verify" },
		{ "reply-to added, not oversigned", K_ED, 0, 0, true, false, 0,
		    NULL, NULL, "^", "Reply-To: <x@evil.example>\r\n", NULL,
		    NULL, 0, false, KN_DKIM_PASS, "signed" },
		{ "unsigned field added", K_ED, 0, 0, false, false, 0, NULL,
		    NULL, "^", "Received: from relay\r\n", NULL, NULL, 0,
		    false, KN_DKIM_PASS, "signed" },
		{ "b= changed", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    " b=", " b=AAAA", NULL, NULL, 0, false, KN_DKIM_FAIL,
		    "does not verify" },
		{ "bh= changed", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    "bh=", "bh=A", NULL, NULL, 0, false, KN_DKIM_PERMERROR,
		    "bh= is not base64" },
		{ "d= changed", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    "d=football", "d=Football", NULL, NULL, 0, false,
		    KN_DKIM_FAIL, "does not verify" },
		/* l=. */
		{ "l= whole body", K_RSA, 0, 0, false, true, 0, NULL, NULL,
		    NULL, NULL, NULL, NULL, 0, false, KN_DKIM_PASS,
		    "covers the whole body" },
		{ "l= appended", K_RSA, 0, 0, false, true, 0, NULL, NULL, "$",
		    "Click here.\r\n", NULL, NULL, 0, false, KN_DKIM_PASS,
		    "last 15 octets of the body unsigned" },
		{ "l= appended, policy", K_RSA, 0, 0, false, true, 0, NULL,
		    NULL, "$", "Click here.\r\n", NULL, NULL, 0, true,
		    KN_DKIM_POLICY, "unsigned" },
		{ "l= body cut", K_RSA, 0, 0, false, true, 0, NULL, NULL,
		    "Joe.\r\n", "", NULL, NULL, 0, false, KN_DKIM_PERMERROR,
		    "is more than the" },
		/* t= and x=. */
		{ "expired", K_ED, 0, 0, false, false, 600, NULL, NULL, NULL,
		    NULL, NULL, NULL, 1000, false, KN_DKIM_PERMERROR,
		    "expired 400 seconds ago" },
		{ "expired within skew", K_ED, 0, 0, false, false, 600, NULL,
		    NULL, NULL, NULL, NULL, NULL, 800, false, KN_DKIM_PASS,
		    "signed" },
		{ "future", K_ED, 0, 0, false, false, 0, NULL, NULL, NULL,
		    NULL, NULL, NULL, -1000, false, KN_DKIM_PERMERROR,
		    "1000 seconds in the future" },
		{ "future within skew", K_ED, 0, 0, false, false, 0, NULL,
		    NULL, NULL, NULL, NULL, NULL, -200, false, KN_DKIM_PASS,
		    "signed" },
		/* Algorithms. */
		{ "rsa-sha1", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    "a=rsa-sha256", "a=rsa-sha1", NULL, NULL, 0, false,
		    KN_DKIM_FAIL, "RFC 8301" },
		{ "unknown algorithm", K_RSA, 0, 0, false, false, 0, NULL,
		    NULL, "a=rsa-sha256", "a=rsa-sha512", NULL, NULL, 0,
		    false, KN_DKIM_PERMERROR, "a=rsa-sha512" },
		{ "h= without from", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    "h=from:from:", "h=", NULL, NULL, 0, false,
		    KN_DKIM_PERMERROR, "does not include From" },
		/* Keys. */
		{ "no key", K_ED, 0, 0, false, false, 0, NULL, NULL, NULL,
		    NULL, "", NULL, 0, false, KN_DKIM_PERMERROR,
		    "no key record at sel._domainkey." DOM },
		{ "dns failure", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, "DNSFAIL", NULL, 0, false, KN_DKIM_TEMPERROR,
		    "SERVFAIL" },
		{ "revoked", K_ED, 0, 0, false, false, 0, NULL, NULL, NULL,
		    NULL, "v=DKIM1; k=ed25519; p=", NULL, 0, false,
		    KN_DKIM_PERMERROR, "revoked" },
		{ "two records", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, "k=ed25519; p=%P", "k=ed25519; p=%P", 0,
		    false, KN_DKIM_PERMERROR, "2 TXT records" },
		{ "key type mismatch", K_ED, 0, 0, false, false, 0, NULL,
		    NULL, NULL, NULL, "k=rsa; p=" RFC8463_RSA_P, NULL, 0,
		    false, KN_DKIM_PERMERROR, "type rsa" },
		{ "other ed key", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL,
		    "k=ed25519; p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		    NULL, 0, false, KN_DKIM_FAIL, "does not verify" },
		{ "h=sha1 key", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, "h=sha1; p=%P", NULL, 0, false,
		    KN_DKIM_PERMERROR, "does not allow sha256" },
		{ "s=other key", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, "s=tlsrpt; p=%P", NULL, 0, false,
		    KN_DKIM_PERMERROR, "not for mail" },
		{ "bad record", K_RSA, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, "v=DKIM1; p=%P; p=%P", NULL, 0, false,
		    KN_DKIM_PERMERROR, "appears twice" },
		{ "t=s, i=d", K_ED, 0, 0, false, false, 0, "joe@" DOM, NULL,
		    NULL, NULL, "t=s; k=ed25519; p=%P", NULL, 0, false,
		    KN_DKIM_PASS, "signed" },
		{ "t=s, no i", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    NULL, NULL, "t=s; k=ed25519; p=%P", NULL, 0, false,
		    KN_DKIM_PASS, "signed" },
		{ "t=s, i= subdomain", K_ED, 0, 0, false, false, 0,
		    "joe@mail." DOM, NULL, NULL, NULL, "t=s; k=ed25519; p=%P",
		    NULL, 0, false, KN_DKIM_PERMERROR, "t=s" },
		{ "t=y pass", K_ED, 0, 0, false, false, 0, NULL, NULL, NULL,
		    NULL, "t=y; k=ed25519; p=%P", NULL, 0, false,
		    KN_DKIM_PASS, "signed" },
		{ "t=y fail", K_ED, 0, 0, false, false, 0, NULL, NULL,
		    "hungry", "full", "t=y; k=ed25519; p=%P", NULL, 0, false,
		    KN_DKIM_NEUTRAL, "testing mode" },
	};
	EVP_PKEY *keys[2] = { rfc_rsa_key(), rfc_ed_key() };
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		const struct scase *c = &tab[i];
		struct kn_dkim_sign_opts so = { .domain = DOM,
		    .selector = "sel", .identity = c->identity,
		    .hcanon = c->hc, .bcanon = c->bc,
		    .headers = c->headers, .no_oversign = c->no_oversign,
		    .body_length = c->body_length,
		    .expire_secs = c->expire };
		struct kn_dkim_verify_opts vo = { .lookup = lookup,
		    .now = T0 + c->dt, .l_policy = c->l_policy };
		struct kn_dkim_signer *s = NULL;
		struct kn_dkim_verifier *v = NULL;
		struct kn_dkim_results res;
		struct kn_mail_msg *m;
		char *signed_text, *text, *rec1 = NULL, *rec2 = NULL;
		struct rec rec = { "sel._domainkey." DOM, { NULL } };
		struct recs r = { &rec, 1, 0 };

		rec1 = subst_p(c->record ? c->record : (c->key == K_RSA ?
		    "v=DKIM1; k=rsa; p=%P" : "v=DKIM1; k=ed25519; p=%P"),
		    p_of(c->key));
		if (c->record2 != NULL)
			rec2 = subst_p(c->record2, p_of(c->key));
		if (*rec1 != '\0') {
			rec.txt[0] = rec1;
			rec.txt[1] = rec2;
		} else
			r.n = 0;
		vo.lookup_arg = &r;
		if (kn_dkim_signer_new(&s, keys[c->key], &so) != 0)
			fail_msg("%s: signer: %s", c->name, kn_err_msg(-1));
		signed_text = sign_text(&s, 1, plain_msg, T0);
		text = mutate(signed_text, c->find, c->repl);
		m = parse(text, strlen(text));
		assert_int_equal(kn_dkim_verifier_new(&v, &vo), 0);
		assert_int_equal(kn_dkim_verify(v, m, &res), 0);
		CHECK_INT(c->name, res.n, 1);
		if (res.v[0].status != c->want)
			fail_msg("%s: %s (%s), want %s\n%s", c->name,
			    kn_dkim_status_name(res.v[0].status),
			    res.v[0].reason, kn_dkim_status_name(c->want),
			    text);
		CHECK_HAS(c->name, res.v[0].reason, c->want_reason);
		CHECK_STR(c->name, res.v[0].d, DOM);
		CHECK_STR(c->name, res.v[0].s, "sel");
		CHECK_INT(c->name, res.v[0].has_l, c->body_length);
		kn_dkim_results_cleanup(&res);
		kn_dkim_verifier_free(v);
		kn_dkim_signer_free(s);
		kn_mail_free(m);
		free(signed_text);
		free(text);
		free(rec1);
		free(rec2);
	}
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

/* What the signer writes: oversigning, folding, one signer many times. */
static void
test_sign_output(void **state)
{
	struct kn_dkim_sign_opts so = { .domain = "Football.Example.COM",
	    .selector = "sel", .expire_secs = 3600 };
	EVP_PKEY *ed = rfc_ed_key(), *rsa = rfc_rsa_key();
	struct kn_dkim_signer *s[2] = { NULL, NULL };
	struct kn_mail_msg *m;
	struct kn_dkim_sig *sig = malloc(sizeof(*sig));
	char *t1, *t2, *line, *h;
	size_t i;

	(void)state;
	assert_non_null(sig);
	assert_int_equal(kn_dkim_signer_new(&s[0], ed, &so), 0);
	assert_int_equal(kn_dkim_signer_alg(s[0]), KN_DKIM_ED25519_SHA256);
	so.selector = "rsa";
	assert_int_equal(kn_dkim_signer_new(&s[1], rsa, &so), 0);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);

	t1 = sign_text(s, 2, plain_msg, T0);
	t2 = sign_text(s, 2, plain_msg, T0 + 1);
	m = parse(t1, strlen(t1));
	assert_int_equal(kn_mail_count(m, "DKIM-Signature"), 2);
	/* Ed25519 first, as asked; lines folded within 78 columns. */
	h = slice_dup(m->hdrs[0].raw);
	assert_non_null(strstr(h, "a=ed25519-sha256"));
	for (line = h; line != NULL; line = strstr(line, "\r\n")) {
		const char *e;

		if (line != h)
			line += 2;
		e = strstr(line, "\r\n");
		if (e == NULL)
			break;
		CHECK_INT("fold", (size_t)(e - line) <= 78, 1);
	}
	assert_int_equal(kn_dkim_sig_parse(sig, m->hdrs[0].value.ptr,
	    m->hdrs[0].value.len), 0);
	assert_string_equal(sig->d, "football.example.com");
	assert_true(sig->has_t && sig->t == T0);
	assert_true(sig->has_x && sig->x == T0 + 3600);
	assert_int_equal(sig->hcanon, KN_DKIM_RELAXED);
	assert_int_equal(sig->bcanon, KN_DKIM_RELAXED);
	/* From, To, Subject, Date, Message-ID once more than present;
	 * Cc, Reply-To once (absent); MIME-Version and Content-Type once. */
	{
		static const struct {
			const char	*name;
			size_t		 want;
		} want[] = { { "from", 2 }, { "to", 2 }, { "subject", 2 },
		    { "date", 2 }, { "message-id", 2 }, { "cc", 1 },
		    { "reply-to", 1 }, { "mime-version", 1 },
		    { "content-type", 1 }, { "sender", 0 },
		    { "received", 0 } };
		size_t k;

		for (k = 0; k < NITEMS(want); k++) {
			size_t n = 0;

			for (i = 0; i < sig->nh; i++) {
				if (sig->h[i].len == strlen(want[k].name) &&
				    strncmp(sig->h[i].ptr, want[k].name,
				    sig->h[i].len) == 0)
					n++;
			}
			CHECK_INT(want[k].name, n, want[k].want);
		}
	}
	free(h);
	kn_mail_free(m);
	/* Both runs of the reused signers verify. */
	{
		struct rec recs[] = {
			{ "sel._domainkey.football.example.com",
			    { "k=ed25519; p=" RFC8463_ED_P } },
			{ "rsa._domainkey.football.example.com",
			    { "p=" RFC8463_RSA_P } },
		};
		struct recs r = { recs, 2, 0 };
		struct kn_dkim_verifier *v = verifier(&r, T0 + 10);
		struct kn_dkim_results res;
		const char *texts[2] = { t1, t2 };

		for (i = 0; i < 2; i++) {
			m = parse(texts[i], strlen(texts[i]));
			assert_int_equal(kn_dkim_verify(v, m, &res), 0);
			assert_int_equal(res.n, 2);
			CHECK_STR(texts[i], kn_dkim_status_name(
			    res.v[0].status), "pass");
			CHECK_STR(texts[i], kn_dkim_status_name(
			    res.v[1].status), "pass");
			kn_dkim_results_cleanup(&res);
			kn_mail_free(m);
		}
		kn_dkim_verifier_free(v);
	}
	/* A message without exactly one From is not signed. */
	{
		static const char *const bad[] = {
			"To: a@b.example\r\n\r\nbody\r\n",
			"From: a@b.example\r\nFrom: c@d.example\r\n\r\nx\r\n",
		};
		struct kn_buf out;

		kn_buf_init(&out, 1 << 16);
		for (i = 0; i < NITEMS(bad); i++) {
			m = parse(bad[i], strlen(bad[i]));
			assert_int_equal(kn_dkim_sign(s[0], m, T0, &out),
			    KN_ERR_INVAL);
			assert_non_null(strstr(kn_err_get()->msg,
			    "From header"));
			kn_mail_free(m);
		}
		kn_buf_cleanup(&out);
	}
	free(t1);
	free(t2);
	free(sig);
	kn_dkim_signer_free(s[0]);
	kn_dkim_signer_free(s[1]);
}

static void
test_signer_refuses(void **state)
{
	static const struct {
		const char	*name;
		const char	*domain;
		const char	*selector;
		const char	*identity;
		const char	*headers;
		const char	*want;
	} tab[] = {
		{ "bad domain", "exa mple.com", "s", NULL, NULL, "domain" },
		{ "no domain", NULL, "s", NULL, NULL, "domain" },
		{ "bad selector", "e.com", "a;b", NULL, NULL, "selector" },
		{ "identity elsewhere", "e.com", "s", "joe@e.net", NULL,
		    "neither e.com" },
		{ "identity suffix", "e.com", "s", "joe@xe.com", NULL,
		    "neither e.com" },
		{ "identity no at", "e.com", "s", "joe", NULL,
		    "[local-part]@domain" },
		{ "identity semicolon", "e.com", "s", "a;b@e.com", NULL,
		    "[local-part]@domain" },
		{ "headers without from", "e.com", "s", NULL, "To:Subject",
		    "must include From" },
		{ "headers bad name", "e.com", "s", NULL, "From:Sub ject",
		    "not a header field name" },
		{ "headers empty name", "e.com", "s", NULL, "From::To",
		    "empty" },
	};
	EVP_PKEY *ed = rfc_ed_key(), *small, *ec;
	struct kn_dkim_signer *s = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_dkim_sign_opts so = { .domain = tab[i].domain,
		    .selector = tab[i].selector, .identity = tab[i].identity,
		    .headers = tab[i].headers };

		kn_err_clear();
		CHECK_INT(tab[i].name, kn_dkim_signer_new(&s, ed, &so),
		    KN_ERR_INVAL);
		CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want);
		assert_null(s);
	}
	{
		struct kn_dkim_sign_opts so = { .domain = "e.com",
		    .selector = "s" };

		small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
		ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_int_equal(kn_dkim_signer_new(&s, small, &so),
		    KN_ERR_INVAL);
		assert_non_null(strstr(kn_err_get()->msg, "RFC 8301"));
		assert_int_equal(kn_dkim_signer_new(&s, ec, &so),
		    KN_ERR_INVAL);
		assert_int_equal(kn_dkim_signer_load(&s, "/nonexistent.pem",
		    NULL, &so), KN_ERR_IO);
		EVP_PKEY_free(small);
		EVP_PKEY_free(ec);
	}
	EVP_PKEY_free(ed);
}

/* Several signatures on one message, each with its own result; caps. */
static void
test_multiple(void **state)
{
	EVP_PKEY *ed = rfc_ed_key(), *rsa = rfc_rsa_key();
	struct kn_dkim_signer *s[4] = { NULL };
	struct kn_dkim_sign_opts so = { .domain = DOM };
	static const char *const sels[4] = { "a", "b", "c", "d" };
	struct rec recs[4];
	struct recs r = { recs, 4, 0 };
	struct kn_dkim_verify_opts vo = { .lookup = lookup, .lookup_arg = &r,
	    .now = T0 };
	struct kn_dkim_verifier *v = NULL;
	struct kn_dkim_results res;
	struct kn_mail_msg *m;
	char *text, *bad;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		so.selector = sels[i];
		so.bcanon = i == 3 ? KN_DKIM_SIMPLE : KN_DKIM_RELAXED;
		assert_int_equal(kn_dkim_signer_new(&s[i], i % 2 ? rsa : ed,
		    &so), 0);
		recs[i].name = tu_printf("%s._domainkey." DOM, sels[i]);
		recs[i].txt[0] = i % 2 ? "p=" RFC8463_RSA_P :
		    "k=ed25519; p=" RFC8463_ED_P;
		recs[i].txt[1] = NULL;
	}
	/* The key of c is gone. */
	recs[2].txt[0] = "k=ed25519; p=";
	text = sign_text(s, 4, plain_msg, T0);
	m = parse(text, strlen(text));
	assert_int_equal(kn_dkim_verifier_new(&v, &vo), 0);
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(res.n, 4);
	assert_int_equal(res.v[0].status, KN_DKIM_PASS);
	assert_string_equal(res.v[0].s, "a");
	assert_int_equal(res.v[1].status, KN_DKIM_PASS);
	assert_int_equal(res.v[2].status, KN_DKIM_PERMERROR);
	assert_non_null(strstr(res.v[2].reason, "revoked"));
	assert_int_equal(res.v[3].status, KN_DKIM_PASS);
	assert_int_equal(r.calls, 4);
	kn_dkim_results_cleanup(&res);
	kn_dkim_verifier_free(v);

	/* Caps: two signatures evaluated, or two lookups. */
	vo.max_sigs = 2;
	assert_int_equal(kn_dkim_verifier_new(&v, &vo), 0);
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(res.n, 4);
	assert_int_equal(res.v[1].status, KN_DKIM_PASS);
	assert_int_equal(res.v[2].status, KN_DKIM_NEUTRAL);
	assert_non_null(strstr(res.v[2].reason, "more than 2 signatures"));
	assert_string_equal(res.v[3].s, "d");
	kn_dkim_results_cleanup(&res);
	kn_dkim_verifier_free(v);
	vo.max_sigs = 0;
	vo.max_lookups = 2;
	r.calls = 0;
	assert_int_equal(kn_dkim_verifier_new(&v, &vo), 0);
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(res.v[1].status, KN_DKIM_PASS);
	assert_int_equal(res.v[2].status, KN_DKIM_NEUTRAL);
	assert_non_null(strstr(res.v[2].reason, "more than 2 key lookups"));
	assert_int_equal(r.calls, 2);
	kn_dkim_results_cleanup(&res);
	kn_dkim_verifier_free(v);

	/* The key cache: a second message costs no lookup. */
	vo.max_lookups = 0;
	vo.cache_secs = 60;
	r.calls = 0;
	assert_int_equal(kn_dkim_verifier_new(&v, &vo), 0);
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	kn_dkim_results_cleanup(&res);
	assert_int_equal(r.calls, 4);
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(r.calls, 4);
	assert_int_equal(res.v[0].status, KN_DKIM_PASS);
	assert_int_equal(res.v[2].status, KN_DKIM_PERMERROR);
	kn_dkim_results_cleanup(&res);
	/* ... until it expires. */
	kn_dkim_verifier_set_now(v, T0 + 61);
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(r.calls, 8);
	kn_dkim_results_cleanup(&res);
	kn_dkim_verifier_free(v);
	kn_mail_free(m);

	/* A broken field among good ones spoils only itself. */
	bad = tu_printf("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; "
	    "s=s; h=to; bh=YWJj; b=YWJj\r\nDKIM-Signature: garbage\r\n%s",
	    text);
	m = parse(bad, strlen(bad));
	vo.cache_secs = 0;
	assert_int_equal(kn_dkim_verifier_new(&v, &vo), 0);
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(res.n, 6);
	assert_int_equal(res.v[0].status, KN_DKIM_PERMERROR);
	assert_string_equal(res.v[0].d, "x.example");
	assert_int_equal(res.v[1].status, KN_DKIM_PERMERROR);
	assert_int_equal(res.v[2].status, KN_DKIM_PASS);
	assert_false(kn_dkim_results_pass(&res, "x.example"));
	assert_true(kn_dkim_results_pass(&res, DOM));
	kn_dkim_results_cleanup(&res);
	kn_mail_free(m);
	free(bad);

	/* No signature: no results. */
	m = parse(plain_msg, strlen(plain_msg));
	assert_int_equal(kn_dkim_verify(v, m, &res), 0);
	assert_int_equal(res.n, 0);
	assert_null(res.v);
	kn_mail_free(m);
	kn_dkim_verifier_free(v);

	for (i = 0; i < 4; i++) {
		kn_dkim_signer_free(s[i]);
		free((char *)recs[i].name);
	}
	free(text);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
}

/* Keys made here sign, their records verify. */
static void
test_keygen(void **state)
{
	static const char *const kinds[] = { "ed25519", "rsa-2048" };
	size_t i;

	(void)state;
	for (i = 0; i < NITEMS(kinds); i++) {
		struct kn_dkim_sign_opts so = { .domain = DOM,
		    .selector = "k" };
		struct kn_dkim_signer *s = NULL;
		struct kn_dkim_verifier *v;
		struct kn_dkim_results res;
		struct kn_mail_msg *m;
		struct kn_buf rec;
		struct rec recs[1];
		struct recs r = { recs, 1, 0 };
		EVP_PKEY *k = NULL;
		char *text;

		assert_int_equal(kn_dkim_keygen(&k, kinds[i]), 0);
		kn_buf_init(&rec, 1 << 16);
		assert_int_equal(kn_dkim_key_record(&rec, k), 0);
		CHECK_HAS(kinds[i], rec.data, i == 0 ? "v=DKIM1; k=ed25519; "
		    "p=" : "v=DKIM1; k=rsa; p=MIIB");
		recs[0].name = "k._domainkey." DOM;
		recs[0].txt[0] = rec.data;
		recs[0].txt[1] = NULL;
		assert_int_equal(kn_dkim_signer_new(&s, k, &so), 0);
		text = sign_text(&s, 1, plain_msg, T0);
		v = verifier(&r, T0);
		m = parse(text, strlen(text));
		assert_int_equal(kn_dkim_verify(v, m, &res), 0);
		CHECK_STR(kinds[i], kn_dkim_status_name(res.v[0].status),
		    "pass");
		CHECK_INT(kinds[i], res.v[0].key_bits, i == 0 ? 256 : 2048);
		kn_dkim_results_cleanup(&res);
		kn_dkim_verifier_free(v);
		kn_mail_free(m);
		kn_dkim_signer_free(s);
		kn_buf_cleanup(&rec);
		EVP_PKEY_free(k);
		free(text);
	}
	{
		EVP_PKEY *k = NULL;

		assert_int_equal(kn_dkim_keygen(&k, "dsa-1024"), KN_ERR_INVAL);
		assert_null(k);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_tags_caps),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_sig_parse),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_canon_body),
		cmocka_unit_test(test_canon_body_random),
		cmocka_unit_test(test_canon_header),
		cmocka_unit_test(test_rfc6376_example),
		cmocka_unit_test(test_rfc8463_example),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_sign_output),
		cmocka_unit_test(test_signer_refuses),
		cmocka_unit_test(test_multiple),
		cmocka_unit_test(test_keygen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
