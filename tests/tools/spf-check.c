/*
 * spf-check - the end-to-end tests' window on lib/dns and lib/mail/spf
 * (a test program, not installed).  Prints one JSON object.
 *
 *   spf-check [-r ADDR@PORT] [-a ANCHOR] [-t MS] [-b QUERIES] [-H]
 *       [-R RECEIVER] [-n NOW] IP HELO MAILFROM
 *	runs check_host() for the MAIL FROM identity (-H: HELO).
 *   spf-check [-r ADDR@PORT] [-a ANCHOR] [-t MS] [-j THREADS] [-c COUNT]
 *       -q TYPE NAME
 *	one DNS lookup (A, AAAA, MX, PTR, TXT); with -j, THREADS threads
 *	make it at once on one shared resolver and "agree" says whether
 *	they all saw the same answer; with -c, each makes it COUNT times.
 *
 * Exit status: 0 after printing, 2 on a usage or setup error.
 */
#include <arpa/inet.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/jsonw.h"
#include "dns/dns.h"
#include "mail/spf.h"

#define MAX_THREADS 16

struct job {
	struct kn_dns		*dns;
	const char		*name;
	enum kn_dns_type	 type;
	int			 repeat;
	struct kn_dns_answer	 a;
	int			 rc;
	char			 err[512];	/* this thread's detail */
};

/* s with every byte outside printable ASCII shown as \xNN. */
static void
put_ascii(struct kn_jw *w, const char *key, const char *s, size_t n)
{
	struct kn_buf b;
	size_t i;

	kn_buf_init(&b, 4 * n + 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			kn_buf_putn(&b, &c, 1);
		else
			kn_buf_putf(&b, "\\x%02x", c);
	}
	kn_jw_kstr(w, key, b.len > 0 ? b.data : "");
	kn_buf_cleanup(&b);
}

static void
put_answer(struct kn_jw *w, const struct kn_dns_answer *a, int rc,
    const char *err)
{
	char text[64];
	size_t i;

	kn_jw_kstr(w, "status", kn_dns_status_str(a->status));
	kn_jw_key(w, "secure");
	kn_jw_bool(w, a->secure);
	kn_jw_key(w, "rc");
	kn_jw_int(w, rc);
	kn_jw_kstr(w, "error", rc != 0 ? err : NULL);
	kn_jw_key(w, "total");
	kn_jw_int(w, (int64_t)a->total);
	kn_jw_key(w, "records");
	kn_jw_arr(w);
	for (i = 0; i < a->n; i++) {
		const struct kn_dns_rr *rr = &a->rr[i];

		kn_jw_obj(w);
		if (a->type == KN_DNS_A || a->type == KN_DNS_AAAA) {
			if (inet_ntop(a->type == KN_DNS_A ? AF_INET :
			    AF_INET6, rr->addr, text, sizeof(text)) == NULL)
				text[0] = '\0';
			kn_jw_kstr(w, "addr", text);
		} else
			put_ascii(w, "text", rr->text, rr->len);
		if (a->type == KN_DNS_MX) {
			kn_jw_key(w, "pref");
			kn_jw_int(w, rr->pref);
		}
		kn_jw_end_obj(w);
	}
	kn_jw_end_arr(w);
}

static bool
same_answer(const struct kn_dns_answer *x, const struct kn_dns_answer *y)
{
	size_t i;

	if (x->status != y->status || x->secure != y->secure ||
	    x->n != y->n)
		return false;
	for (i = 0; i < x->n; i++) {
		if (x->rr[i].len != y->rr[i].len ||
		    memcmp(x->rr[i].addr, y->rr[i].addr, 16) != 0 ||
		    (x->rr[i].len > 0 && memcmp(x->rr[i].text, y->rr[i].text,
		    x->rr[i].len) != 0))
			return false;
	}
	return true;
}

static void *
run_job(void *arg)
{
	struct job *j = arg;
	int i;

	for (i = 0; i < j->repeat; i++) {
		kn_dns_answer_cleanup(&j->a);
		j->rc = kn_dns_lookup(j->dns, NULL, &j->a, j->name, j->type);
	}
	snprintf(j->err, sizeof(j->err), "%s", kn_err_msg(j->rc));
	return NULL;
}

static int
do_query(struct kn_dns *dns, const char *type, const char *name,
    int threads, int repeat, struct kn_jw *w)
{
	static const enum kn_dns_type types[] = { KN_DNS_A, KN_DNS_AAAA,
	    KN_DNS_MX, KN_DNS_PTR, KN_DNS_TXT };
	struct job jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	bool agree = true;
	size_t k;
	int i;

	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		if (strcmp(type, kn_dns_type_str(types[k])) == 0)
			break;
	}
	if (k == sizeof(types) / sizeof(types[0]) || threads < 1 ||
	    threads > MAX_THREADS || repeat < 1) {
		fprintf(stderr, "spf-check: bad type or thread count\n");
		return 2;
	}
	for (i = 0; i < threads; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].dns = dns;
		jobs[i].name = name;
		jobs[i].type = types[k];
		jobs[i].repeat = repeat;
		if (pthread_create(&tid[i], NULL, run_job, &jobs[i]) != 0) {
			fprintf(stderr, "spf-check: pthread_create failed\n");
			exit(2);
		}
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	for (i = 1; i < threads; i++) {
		if (jobs[i].rc != jobs[0].rc ||
		    !same_answer(&jobs[i].a, &jobs[0].a))
			agree = false;
	}
	kn_jw_obj(w);
	put_answer(w, &jobs[0].a, jobs[0].rc, jobs[0].err);
	kn_jw_key(w, "threads");
	kn_jw_int(w, threads);
	kn_jw_key(w, "agree");
	kn_jw_bool(w, agree);
	kn_jw_end_obj(w);
	for (i = 0; i < threads; i++)
		kn_dns_answer_cleanup(&jobs[i].a);
	return 0;
}

static int
do_check(struct kn_dns *dns, struct kn_spf_request *req,
    enum kn_spf_identity id, struct kn_jw *w)
{
	struct kn_spf_verdict v;
	int rc;

	if ((rc = kn_spf_check(dns, &v, req, id)) != 0) {
		fprintf(stderr, "spf-check: %s\n", kn_err_msg(rc));
		return 2;
	}
	kn_jw_obj(w);
	kn_jw_kstr(w, "result", kn_spf_result_str(v.result));
	kn_jw_kstr(w, "identity", id == KN_SPF_HELO ? "helo" : "mailfrom");
	put_ascii(w, "domain", v.domain, strlen(v.domain));
	put_ascii(w, "sender", v.sender, strlen(v.sender));
	put_ascii(w, "mechanism", v.mechanism, strlen(v.mechanism));
	put_ascii(w, "reason", v.reason, strlen(v.reason));
	put_ascii(w, "explanation", v.explanation, strlen(v.explanation));
	kn_jw_key(w, "secure");
	kn_jw_bool(w, v.secure);
	kn_jw_key(w, "lookups");
	kn_jw_int(w, v.lookups);
	kn_jw_key(w, "void_lookups");
	kn_jw_int(w, v.void_lookups);
	kn_jw_key(w, "queries");
	kn_jw_int(w, v.queries);
	if (req->budget != NULL) {
		kn_jw_key(w, "budget_used");
		kn_jw_int(w, req->budget->used);
	}
	kn_jw_end_obj(w);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: spf-check [-r ADDR@PORT] [-a ANCHOR] "
	    "[-t MS] [-b QUERIES] [-H] [-R RECEIVER] [-n NOW] IP HELO "
	    "MAILFROM\n"
	    "       spf-check [-r ADDR@PORT] [-a ANCHOR] [-t MS] "
	    "[-j THREADS] [-c COUNT] -q TYPE NAME\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct kn_spf_request req;
	struct kn_dns_budget budget = { 0, 0 };
	struct kn_dns *dns = NULL;
	struct kn_buf out;
	struct kn_jw w;
	const char *resolver = NULL, *anchor = NULL, *qtype = NULL;
	enum kn_spf_identity id = KN_SPF_MAILFROM;
	int ch, threads = 1, repeat = 1, timeout = 0, rc;

	memset(&req, 0, sizeof(req));
	while ((ch = getopt(argc, argv, "a:b:c:Hj:n:q:r:R:t:")) != -1) {
		switch (ch) {
		case 'a':
			anchor = optarg;
			break;
		case 'b':
			budget.max = (unsigned)strtoul(optarg, NULL, 10);
			req.budget = &budget;
			break;
		case 'c':
			repeat = (int)strtol(optarg, NULL, 10);
			break;
		case 'H':
			id = KN_SPF_HELO;
			break;
		case 'j':
			threads = (int)strtol(optarg, NULL, 10);
			break;
		case 'n':
			req.now = (time_t)strtoll(optarg, NULL, 10);
			break;
		case 'q':
			qtype = optarg;
			break;
		case 'r':
			resolver = optarg;
			break;
		case 'R':
			req.receiver = optarg;
			break;
		case 't':
			timeout = (int)strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((qtype != NULL && argc != 1) || (qtype == NULL && argc != 3))
		usage();
	if (kn_dns_new(&dns, resolver, anchor) != 0 ||
	    (timeout > 0 && kn_dns_set_timeout(dns, (unsigned)timeout) != 0)) {
		fprintf(stderr, "spf-check: %s\n", kn_err_msg(KN_ERR_CONFIG));
		return 2;
	}
	kn_buf_init(&out, 1 << 20);
	kn_jw_init(&w, &out);
	if (qtype != NULL)
		rc = do_query(dns, qtype, argv[0], threads, repeat, &w);
	else {
		req.ip = argv[0];
		req.helo = argv[1];
		req.mailfrom = argv[2];
		rc = do_check(dns, &req, id, &w);
	}
	if (rc == 0 && !out.failed)
		printf("%s\n", out.data);
	kn_buf_cleanup(&out);
	kn_dns_free(dns);
	return rc;
}
