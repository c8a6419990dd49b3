/*
 * dkim - DKIM verify and sign rates of kakuin beside libopendkim, in one
 * process on one core, keys cached (each library's key lookup answers
 * from memory, as a resolver cache would).
 *
 *   dkim [-t SECONDS]
 *
 * Verify: a message of 2 KB and one of 50 KB, signed rsa-sha256
 * relaxed/relaxed with an RSA-2048 key; both libraries verify the same
 * bytes and must say pass before anything is timed.  Sign: the 2 KB
 * message, RSA-2048 and Ed25519, relaxed/relaxed; each library's
 * signature is checked by kakuin first.  Each side parses the message it
 * is given (kakuin: kn_mail_parse; libopendkim: dkim_chunk), as a milter
 * would.  The two sides run in alternating slices of 0.2 s so that load
 * from elsewhere on the machine falls on both; rates are per second of
 * this thread's CPU time.
 *
 * Prints key=value lines on standard output:
 *
 *   dkim op=verify bytes=N kakuin=R opendkim=R
 *   dkim op=sign alg=rsa-sha256 bytes=N kakuin=R opendkim=R
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <opendkim/dkim.h>

#include "base/buf.h"
#include "mail/dkim.h"
#include "mail/msg.h"

#define DOMAIN	"bench.example"
#define SLICE	0.2

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	const struct kn_error *e = kn_err_get();

	fprintf(stderr, "dkim bench: %s%s%s\n", what, e->msg[0] ? ": " : "",
	    e->msg);
	exit(1);
}

/* The key records both libraries are given, by selector. */
static char rec_rsa[2048], rec_ed[256];

static const char *
record_for(const char *sel)
{
	if (strcmp(sel, "rsa") == 0)
		return rec_rsa;
	if (strcmp(sel, "ed") == 0)
		return rec_ed;
	return NULL;
}

static int
kn_lookup(void *arg, const char *name, struct kn_dns_txt *out)
{
	const char *rec = NULL;

	(void)arg;
	memset(out, 0, sizeof(*out));
	if (strncmp(name, "rsa._domainkey.", 15) == 0)
		rec = rec_rsa;
	else if (strncmp(name, "ed._domainkey.", 14) == 0)
		rec = rec_ed;
	if (rec == NULL)
		return 0;
	if ((out->txt = calloc(1, sizeof(char *))) == NULL ||
	    (out->txt[0] = strdup(rec)) == NULL)
		return KN_ERR_NOMEM;
	out->n = 1;
	return 0;
}

static DKIM_CBSTAT
odkim_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t len)
{
	const char *rec = record_for((const char *)dkim_sig_getselector(sig));

	(void)dkim;
	if (rec == NULL || strlen(rec) >= len)
		return DKIM_CBSTAT_NOTFOUND;
	memcpy(buf, rec, strlen(rec) + 1);
	return DKIM_CBSTAT_CONTINUE;
}

/* A plain-text message of about size octets, as people write them. */
static char *
make_message(size_t size)
{
	static const char *const words[] = { "the", "quarterly", "report",
	    "is", "attached", "and", "we", "would", "like", "to", "meet",
	    "on", "Thursday", "about", "invoice", "numbers", "shipping",
	    "dates", "for", "Osaka", "office,", "please", "confirm.",
	    "Regards", "budget", "review", "of", "new", "contract" };
	struct kn_buf b;
	uint32_t x = 12345;
	size_t line = 0;

	kn_buf_init(&b, 1 << 24);
	kn_buf_puts(&b,
	    "Received: from mail.bench.example (mail.bench.example "
	    "[192.0.2.25])\r\n\tby mx.example.net with ESMTPS id 4Z1abc;\r\n"
	    "\tThu, 21 Nov 2024 10:00:00 +0900\r\n"
	    "From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@" DOMAIN ">\r\n"
	    "To: Hanako Suzuki <hanako@example.net>\r\n"
	    "Cc: accounts@example.net\r\n"
	    "Subject: Quarterly report and the meeting on Thursday\r\n"
	    "Date: Thu, 21 Nov 2024 10:00:00 +0900\r\n"
	    "Message-ID: <20241121100000.12345@" DOMAIN ">\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n");
	while (b.len < size) {
		size_t col = 0;

		while (col < 66) {
			const char *w;

			x = x * 1103515245u + 12345u;
			w = words[(x >> 16) %
			    (sizeof(words) / sizeof(words[0]))];
			if (col > 0)
				kn_buf_puts(&b, " ");
			kn_buf_puts(&b, w);
			col += strlen(w) + 1;
		}
		/* format=flowed: soft breaks end in a space. */
		kn_buf_puts(&b, ++line % 5 == 0 ? "\r\n\r\n" : " \r\n");
	}
	kn_buf_puts(&b, "-- \r\nTaro Yamada\r\n");
	if (b.failed)
		die("message");
	return kn_buf_steal(&b, NULL);
}

struct ctx {
	/* kakuin */
	struct kn_dkim_verifier	*v;
	struct kn_dkim_signer	*sign_rsa;
	struct kn_dkim_signer	*sign_ed;
	/* libopendkim */
	DKIM_LIB		*lib;
	unsigned char		*pem_rsa;
	unsigned char		*pem_ed;
	struct kn_buf		 out;
};

static bool
kn_verify_one(struct ctx *c, const char *msg, size_t len)
{
	struct kn_dkim_results r;
	struct kn_mail_msg *m = NULL;
	bool ok;

	if (kn_mail_parse(&m, msg, len, NULL) != 0 ||
	    kn_dkim_verify(c->v, m, &r) != 0)
		die("kakuin verify");
	ok = r.n == 1 && r.v[0].status == KN_DKIM_PASS;
	kn_dkim_results_cleanup(&r);
	kn_mail_free(m);
	return ok;
}

static bool
od_verify_one(struct ctx *c, const char *msg, size_t len)
{
	DKIM_STAT st;
	DKIM *d = dkim_verify(c->lib, (const u_char *)"bench", NULL, &st);
	bool ok;

	if (d == NULL)
		die("dkim_verify");
	(void)dkim_chunk(d, (u_char *)msg, len);
	(void)dkim_chunk(d, NULL, 0);
	ok = dkim_eom(d, NULL) == DKIM_STAT_OK;
	dkim_free(d);
	return ok;
}

static void
kn_sign_one(struct ctx *c, struct kn_dkim_signer *s, const char *msg,
    size_t len)
{
	struct kn_mail_msg *m = NULL;

	kn_buf_reset(&c->out);
	if (kn_mail_parse(&m, msg, len, NULL) != 0 ||
	    kn_dkim_sign(s, m, 0, &c->out) != 0)
		die("kakuin sign");
	kn_mail_free(m);
}

static void
od_sign_one(struct ctx *c, bool ed, const char *msg, size_t len)
{
	DKIM_STAT st;
	DKIM *d;
	u_char *hdr;
	size_t hlen;

	d = dkim_sign(c->lib, (const u_char *)"bench", NULL,
	    ed ? c->pem_ed : c->pem_rsa, (const u_char *)(ed ? "ed" : "rsa"),
	    (const u_char *)DOMAIN, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    ed ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &st);
	if (d == NULL)
		die("dkim_sign");
	(void)dkim_chunk(d, (u_char *)msg, len);
	(void)dkim_chunk(d, NULL, 0);
	if (dkim_eom(d, NULL) != DKIM_STAT_OK ||
	    dkim_getsighdr_d(d, strlen("DKIM-Signature: "), &hdr,
	    &hlen) != DKIM_STAT_OK)
		die("libopendkim signing");
	kn_buf_reset(&c->out);
	kn_buf_puts(&c->out, "DKIM-Signature: ");
	kn_buf_putn(&c->out, hdr, hlen);
	kn_buf_puts(&c->out, "\r\n");
	dkim_free(d);
}

enum job { VERIFY_KN, VERIFY_OD, SIGN_KN_RSA, SIGN_OD_RSA, SIGN_KN_ED,
	SIGN_OD_ED };

static void
run_one(struct ctx *c, enum job j, const char *msg, size_t len)
{
	switch (j) {
	case VERIFY_KN:
		if (!kn_verify_one(c, msg, len))
			die("kakuin did not verify the message");
		break;
	case VERIFY_OD:
		if (!od_verify_one(c, msg, len))
			die("libopendkim did not verify the message");
		break;
	case SIGN_KN_RSA:
		kn_sign_one(c, c->sign_rsa, msg, len);
		break;
	case SIGN_OD_RSA:
		od_sign_one(c, false, msg, len);
		break;
	case SIGN_KN_ED:
		kn_sign_one(c, c->sign_ed, msg, len);
		break;
	case SIGN_OD_ED:
		od_sign_one(c, true, msg, len);
		break;
	}
}

/* Rates of two jobs on one message, in alternating slices. */
static void
race(struct ctx *c, enum job a, enum job b, const char *msg, double secs,
    double *ra, double *rb)
{
	double spent[2] = { 0, 0 };
	long n[2] = { 0, 0 };
	size_t len = strlen(msg);
	int k;

	for (k = 0; k < 2; k++)
		run_one(c, k ? b : a, msg, len);	/* warm */
	while (spent[0] < secs || spent[1] < secs) {
		for (k = 0; k < 2; k++) {
			double t0 = cpu_now(), t;

			do {
				run_one(c, k ? b : a, msg, len);
				n[k]++;
				t = cpu_now();
			} while (t - t0 < SLICE);
			spent[k] += t - t0;
		}
	}
	*ra = n[0] / spent[0];
	*rb = n[1] / spent[1];
}

static unsigned char *
pem_of(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	unsigned char *s;

	if (b == NULL || PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
	    NULL) != 1)
		die("PEM");
	n = BIO_get_mem_data(b, &p);
	if ((s = malloc((size_t)n + 1)) == NULL)
		die("memory");
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

/* Checks with kakuin that the last signature in c->out holds on msg. */
static void
check_signed(struct ctx *c, const char *msg, const char *who)
{
	char *text;

	if ((text = malloc(c->out.len + strlen(msg) + 1)) == NULL)
		die("memory");
	memcpy(text, c->out.data, c->out.len);
	memcpy(text + c->out.len, msg, strlen(msg) + 1);
	if (!kn_verify_one(c, text, strlen(text))) {
		fprintf(stderr, "dkim bench: %s's signature does not verify\n",
		    who);
		exit(1);
	}
	free(text);
}

int
main(int argc, char **argv)
{
	struct kn_dkim_sign_opts so = { .domain = DOMAIN };
	struct kn_dkim_verify_opts vo = { .lookup = kn_lookup,
	    .cache_secs = 3600 };
	static const size_t sizes[2] = { 2048, 51200 };
	struct ctx c;
	EVP_PKEY *rsa = NULL, *ed = NULL;
	struct kn_buf rec;
	double secs = 3, ra, rb;
	int ch;
	size_t i;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		if (ch == 't')
			secs = strtod(optarg, NULL);
		else {
			fprintf(stderr, "usage: dkim [-t SECONDS]\n");
			return 2;
		}
	}
	if (secs <= 0)
		secs = 3;
	memset(&c, 0, sizeof(c));
	kn_buf_init(&c.out, 1 << 20);
	kn_buf_init(&rec, 1 << 16);
	if (kn_dkim_keygen(&rsa, "rsa-2048") != 0 ||
	    kn_dkim_keygen(&ed, "ed25519") != 0 ||
	    kn_dkim_key_record(&rec, rsa) != 0)
		die("keys");
	snprintf(rec_rsa, sizeof(rec_rsa), "%s", rec.data);
	kn_buf_reset(&rec);
	if (kn_dkim_key_record(&rec, ed) != 0)
		die("keys");
	snprintf(rec_ed, sizeof(rec_ed), "%s", rec.data);
	kn_buf_cleanup(&rec);
	so.selector = "rsa";
	if (kn_dkim_signer_new(&c.sign_rsa, rsa, &so) != 0)
		die("signer");
	so.selector = "ed";
	if (kn_dkim_signer_new(&c.sign_ed, ed, &so) != 0)
		die("signer");
	if (kn_dkim_verifier_new(&c.v, &vo) != 0)
		die("verifier");
	c.pem_rsa = pem_of(rsa);
	c.pem_ed = pem_of(ed);
	if ((c.lib = dkim_init(NULL, NULL)) == NULL ||
	    dkim_set_key_lookup(c.lib, odkim_lookup) != DKIM_STAT_OK)
		die("dkim_init");

	for (i = 0; i < 2; i++) {
		/* About 700 octets of the size are the RSA signature. */
		char *plain = make_message(sizes[i] - 700), *signed_msg;

		kn_sign_one(&c, c.sign_rsa, plain, strlen(plain));
		if ((signed_msg = malloc(c.out.len + strlen(plain) + 1)) ==
		    NULL)
			die("memory");
		memcpy(signed_msg, c.out.data, c.out.len);
		memcpy(signed_msg + c.out.len, plain, strlen(plain) + 1);
		race(&c, VERIFY_KN, VERIFY_OD, signed_msg, secs, &ra, &rb);
		printf("dkim op=verify alg=rsa-sha256 bytes=%zu kakuin=%.0f "
		    "opendkim=%.0f\n", strlen(signed_msg), ra, rb);
		fflush(stdout);
		if (i == 0) {
			/* Each side's signatures hold before being timed. */
			od_sign_one(&c, false, plain, strlen(plain));
			check_signed(&c, plain, "libopendkim (RSA)");
			od_sign_one(&c, true, plain, strlen(plain));
			check_signed(&c, plain, "libopendkim (Ed25519)");
			kn_sign_one(&c, c.sign_ed, plain, strlen(plain));
			check_signed(&c, plain, "kakuin (Ed25519)");
			race(&c, SIGN_KN_RSA, SIGN_OD_RSA, plain, secs, &ra,
			    &rb);
			printf("dkim op=sign alg=rsa-sha256 bytes=%zu "
			    "kakuin=%.0f opendkim=%.0f\n", strlen(plain), ra,
			    rb);
			race(&c, SIGN_KN_ED, SIGN_OD_ED, plain, secs, &ra,
			    &rb);
			printf("dkim op=sign alg=ed25519-sha256 bytes=%zu "
			    "kakuin=%.0f opendkim=%.0f\n", strlen(plain), ra,
			    rb);
			fflush(stdout);
		}
		free(signed_msg);
		free(plain);
	}
	dkim_close(c.lib);
	kn_dkim_verifier_free(c.v);
	kn_dkim_signer_free(c.sign_rsa);
	kn_dkim_signer_free(c.sign_ed);
	kn_buf_cleanup(&c.out);
	free(c.pem_rsa);
	free(c.pem_ed);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	return 0;
}
