/* pages.c - public pages (no JavaScript needed), Japanese and English:
 * /orgs?q= search and /orgs/{number}; static files under /static/. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/text.h"
#include "registry/corpnum.h"
#include "registry/org.h"
#include "server/http.h"
#include "server/i18n.h"
#include "store/db.h"

#define STATIC_MAX (1 << 20)

static enum lang
pick_lang(struct req *r)
{
	const char *q = query_arg(r, "lang"), *h;

	if (q != NULL)
		return strcmp(q, "en") == 0 ? LANG_EN : LANG_JA;
	h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "Accept-Language");
	if (h != NULL && strncasecmp(h, "en", 2) == 0)
		return LANG_EN;
	return LANG_JA;
}

static const char *
lang_code(enum lang l)
{
	return l == LANG_EN ? "en" : "ja";
}

static void
head(struct kn_buf *b, enum lang l, const char *title, const char *self)
{
	kn_buf_putf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">"
	    "<title>", lang_code(l));
	kn_buf_put_html(b, title);
	kn_buf_puts(b, " — ");
	kn_buf_puts(b, T(l, M_SITE));
	kn_buf_puts(b, "</title><link rel=\"stylesheet\" "
	    "href=\"/static/kakuin.css\"></head><body>\n<header><a class=\""
	    "brand\" href=\"/orgs?lang=");
	kn_buf_puts(b, lang_code(l));
	kn_buf_puts(b, "\"><span class=\"seal\">角印</span> ");
	kn_buf_puts(b, T(l, M_SITE));
	kn_buf_puts(b, "</a><a class=\"lang\" id=\"lang-switch\" hreflang=\"");
	kn_buf_puts(b, l == LANG_EN ? "ja" : "en");
	kn_buf_puts(b, "\" href=\"");
	kn_buf_put_html(b, self);
	kn_buf_puts(b, strchr(self, '?') ? "&amp;" : "?");
	kn_buf_puts(b, l == LANG_EN ? "lang=ja" : "lang=en");
	kn_buf_puts(b, "\">");
	kn_buf_puts(b, T(l, M_OTHER_LANG));
	kn_buf_puts(b, "</a></header>\n<main>\n");
}

static void
search_form(struct kn_buf *b, enum lang l, const char *q)
{
	kn_buf_puts(b, "<form class=\"search\" action=\"/orgs\" method=\"get\" "
	    "role=\"search\"><input type=\"hidden\" name=\"lang\" value=\"");
	kn_buf_puts(b, lang_code(l));
	kn_buf_puts(b, "\"><input type=\"search\" name=\"q\" id=\"q\" "
	    "maxlength=\"100\" placeholder=\"");
	kn_buf_put_html(b, T(l, M_SEARCH_HINT));
	kn_buf_puts(b, "\" aria-label=\"");
	kn_buf_put_html(b, T(l, M_SEARCH_HINT));
	kn_buf_puts(b, "\" value=\"");
	kn_buf_put_html(b, q ? q : "");
	kn_buf_puts(b, "\"><button type=\"submit\">");
	kn_buf_puts(b, T(l, M_SEARCH));
	kn_buf_puts(b, "</button></form>\n");
}

static void
foot(struct kn_buf *b)
{
	kn_buf_puts(b, "</main>\n<footer>kakuin — Internet trust center"
	    "</footer></body></html>\n");
}

static enum msg
status_label(const char *s)
{
	if (strcmp(s, "verified") == 0)
		return M_ST_VERIFIED;
	if (strcmp(s, "applied") == 0)
		return M_ST_APPLIED;
	if (strcmp(s, "suspended") == 0)
		return M_ST_SUSPENDED;
	if (strcmp(s, "withdrawn") == 0)
		return M_ST_WITHDRAWN;
	return M_ST_LISTED;
}

static enum msg
status_sentence(const char *s)
{
	return (enum msg)(M_SAY_LISTED + (status_label(s) - M_ST_LISTED));
}

static void
badge(struct kn_buf *b, enum lang l, const char *status)
{
	kn_buf_putf(b, "<span class=\"badge %s\">", status);
	kn_buf_puts(b, T(l, status_label(status)));
	kn_buf_puts(b, "</span>");
}

/* The name to lead with: English pages prefer the English name. */
static const char *
display_name(const struct kn_org *o, enum lang l)
{
	if (l == LANG_EN && o->f[KN_ORG_NAME_EN] != NULL)
		return o->f[KN_ORG_NAME_EN];
	return o->f[KN_ORG_NAME];
}

static MHD_RESULT
page_search(struct req *r, enum lang l)
{
	struct kn_org_query q = { .limit = 50 };
	struct kn_org_list list;
	struct kn_buf b, self;
	struct kn_db *db;
	const char *off;
	char num[KN_CORPNUM_LEN + 1];
	int64_t o = 0;
	size_t i;
	int rc;

	q.q = query_arg(r, "q");
	if (q.q != NULL && *q.q == '\0')
		q.q = NULL;
	if ((off = query_arg(r, "offset")) != NULL &&
	    kn_parse_int64(&o, off, 0, 10000) == 0)
		q.offset = (int)o;
	if (q.q == NULL)
		q.status = "verified";
	if ((db = srv_db(r)) == NULL)
		return reply_errorf(r, 503, "busy", NULL, "store unavailable");
	if (!search_begin(r))
		return reply_errorf(r, 503, "busy", "q", "too many searches at "
		    "once; try again in a moment");
	kn_buf_init(&b, 1 << 20);
	rc = kn_org_search(db, &list, &q);
	search_end(r);
	/* The language switch keeps the search (r->url has no query). */
	kn_buf_init(&self, 512);
	kn_buf_puts(&self, "/orgs");
	if (q.q != NULL) {
		kn_buf_puts(&self, "?q=");
		kn_buf_put_urlenc(&self, q.q);
	}
	head(&b, l, q.q ? T(l, M_RESULTS) : T(l, M_VERIFIED_ORGS),
	    self.failed ? "/orgs" : self.data);
	kn_buf_cleanup(&self);
	kn_buf_puts(&b, "<p class=\"tagline\">");
	kn_buf_puts(&b, T(l, M_TAGLINE));
	kn_buf_puts(&b, "</p>\n");
	search_form(&b, l, q.q);
	if (rc != 0) {
		unsigned st = http_status_of(rc);

		kn_buf_puts(&b, "<p class=\"error\">");
		kn_buf_put_html(&b, st >= 500 ? "Temporarily unavailable; "
		    "try again." : kn_err_msg(rc));
		kn_buf_puts(&b, "</p>\n");
		foot(&b);
		if (st >= 500)
			fprintf(stderr, "kakuin serve: search: %s\n",
			    kn_err_msg(rc));
		return reply_html(r, st, &b);
	}
	kn_buf_puts(&b, "<h1>");
	kn_buf_puts(&b, q.q ? T(l, M_RESULTS) : T(l, M_VERIFIED_ORGS));
	kn_buf_puts(&b, "</h1>\n");
	if (list.n == 0) {
		kn_buf_puts(&b, "<p class=\"empty\">");
		kn_buf_puts(&b, T(l, M_NO_RESULTS));
		kn_buf_puts(&b, "</p>\n");
	} else
		kn_buf_puts(&b, "<ul class=\"orgs\" id=\"results\">\n");
	for (i = 0; i < list.n; i++) {
		const struct kn_org *org = &list.orgs[i];

		kn_corpnum_format(num, org->number);
		kn_buf_putf(&b, "<li><a href=\"/orgs/%s?lang=%s\">", num,
		    lang_code(l));
		kn_buf_put_html(&b, display_name(org, l));
		kn_buf_puts(&b, "</a> ");
		badge(&b, l, org->status);
		kn_buf_putf(&b, "<br><small>%s %s", T(l, M_NUMBER), num);
		if (l == LANG_JA && org->f[KN_ORG_NAME_EN]) {
			kn_buf_puts(&b, " · ");
			kn_buf_put_html(&b, org->f[KN_ORG_NAME_EN]);
		} else if (l == LANG_EN && org->f[KN_ORG_NAME_EN]) {
			kn_buf_puts(&b, " · ");
			kn_buf_put_html(&b, org->f[KN_ORG_NAME]);
		}
		kn_buf_puts(&b, "</small></li>\n");
	}
	if (list.n > 0)
		kn_buf_puts(&b, "</ul>\n");
	if (list.more) {
		kn_buf_puts(&b, "<p><a class=\"more\" href=\"/orgs?lang=");
		kn_buf_puts(&b, lang_code(l));
		if (q.q) {
			kn_buf_puts(&b, "&amp;q=");
			kn_buf_put_urlenc(&b, q.q);
		}
		kn_buf_putf(&b, "&amp;offset=%zu\">%s</a></p>\n",
		    (size_t)q.offset + list.n, T(l, M_MORE));
	}
	kn_org_list_cleanup(&list);
	foot(&b);
	return reply_html(r, 200, &b);
}

static void
row(struct kn_buf *b, enum lang l, enum msg label, const char *v)
{
	if (v == NULL)
		return;
	kn_buf_puts(b, "<tr><th>");
	kn_buf_puts(b, T(l, label));
	kn_buf_puts(b, "</th><td>");
	kn_buf_put_html(b, v);
	kn_buf_puts(b, "</td></tr>\n");
}

static MHD_RESULT
page_not_found(struct req *r, enum lang l, enum msg title, const char *say)
{
	struct kn_buf b;

	kn_buf_init(&b, 64 * 1024);
	/* Never the request path: "//host/x" would make a link to another
	 * site under kakuin's name. */
	head(&b, l, T(l, title), "/orgs");
	search_form(&b, l, NULL);
	kn_buf_puts(&b, "<h1>");
	kn_buf_puts(&b, T(l, title));
	kn_buf_puts(&b, "</h1><p class=\"error\">");
	kn_buf_put_html(&b, say);
	kn_buf_puts(&b, "</p>\n");
	foot(&b);
	return reply_html(r, 404, &b);
}

static MHD_RESULT
page_org(struct req *r, enum lang l, const char *numstr)
{
	struct kn_org o;
	struct kn_buf b;
	struct kn_db *db;
	char num[KN_CORPNUM_LEN + 1], postal[24];
	int64_t number;
	size_t i, shown = 0;
	int rc;

	if ((rc = kn_corpnum_parse(&number, numstr, strlen(numstr))) != 0)
		return page_not_found(r, l, M_BAD_NUMBER, kn_err_msg(rc));
	if ((db = srv_db(r)) == NULL)
		return reply_errorf(r, 503, "busy", NULL, "store unavailable");
	if ((rc = kn_org_load(db, &o, number, KN_ORG_LOAD_DOMAINS)) != 0 ||
	    o.hidden) {
		if (rc == 0)
			kn_org_cleanup(&o);
		else if (rc != KN_ERR_NOTFOUND)
			return reply_error(r, rc);
		return page_not_found(r, l, M_NOT_FOUND,
		    T(l, M_NOT_FOUND_SAY));
	}
	kn_corpnum_format(num, o.number);
	kn_buf_init(&b, 1 << 20);
	head(&b, l, display_name(&o, l), r->url);
	kn_buf_putf(&b, "<article class=\"org %s\" id=\"org\">\n<h1>",
	    o.status);
	kn_buf_put_html(&b, display_name(&o, l));
	kn_buf_puts(&b, "</h1>\n<p class=\"verdict\" id=\"verdict\">");
	badge(&b, l, o.status);
	kn_buf_puts(&b, " ");
	kn_buf_puts(&b, T(l, status_sentence(o.status)));
	if (strcmp(o.status, "verified") == 0 && o.verified_since) {
		kn_buf_putf(&b, " <span class=\"since\">(%s%.10s%s)</span>",
		    l == LANG_EN ? "since " : "", o.verified_since,
		    l == LANG_EN ? "" : " から");
	}
	kn_buf_puts(&b, "</p>\n<table class=\"facts\">\n");
	row(&b, l, M_NUMBER, num);
	row(&b, l, M_NAME, o.f[KN_ORG_NAME]);
	row(&b, l, M_NAME_EN, o.f[KN_ORG_NAME_EN]);
	row(&b, l, M_KANA, o.f[KN_ORG_KANA]);
	if (o.f[KN_ORG_POSTAL_CODE] && strlen(o.f[KN_ORG_POSTAL_CODE]) == 7) {
		snprintf(postal, sizeof(postal), "〒%.3s-%.4s",
		    o.f[KN_ORG_POSTAL_CODE], o.f[KN_ORG_POSTAL_CODE] + 3);
	} else
		postal[0] = '\0';
	if (l == LANG_EN && o.f[KN_ORG_ADDRESS_EN])
		row(&b, l, M_ADDRESS, o.f[KN_ORG_ADDRESS_EN]);
	else
		row(&b, l, M_ADDRESS, o.f[KN_ORG_ADDRESS]);
	row(&b, l, M_POSTAL, postal[0] ? postal : NULL);
	if (o.f[KN_ORG_URL]) {
		kn_buf_puts(&b, "<tr><th>");
		kn_buf_puts(&b, T(l, M_URL));
		kn_buf_puts(&b, "</th><td><a rel=\"nofollow noopener\" "
		    "href=\"");
		kn_buf_put_html(&b, o.f[KN_ORG_URL]);
		kn_buf_puts(&b, "\">");
		kn_buf_put_html(&b, o.f[KN_ORG_URL]);
		kn_buf_puts(&b, "</a></td></tr>\n");
	}
	row(&b, l, M_FOUNDED, o.f[KN_ORG_FOUNDED]);
	row(&b, l, M_PHONE, o.f[KN_ORG_PHONE]);
	row(&b, l, M_DESCRIPTION, o.f[KN_ORG_DESCRIPTION]);
	if (o.nta_closed)
		row(&b, l, M_NTA_CLOSED, o.nta_closed);
	kn_buf_puts(&b, "</table>\n<h2>");
	/* Proven control of a domain vouches for nothing while the
	 * organization itself is not verified: say so. */
	kn_buf_puts(&b, T(l, strcmp(o.status, "verified") == 0 ? M_DOMAINS :
	    M_DOMAINS_UNVOUCHED));
	kn_buf_puts(&b, "</h2>\n<ul class=\"domains\" id=\"domains\">\n");
	for (i = 0; i < o.ndomains; i++) {
		const struct kn_domain *d = &o.domains[i];

		if (d->verified_at == NULL || d->released_at != NULL)
			continue;
		shown++;
		kn_buf_puts(&b, "<li><code>");
		kn_buf_put_html(&b, d->name);
		kn_buf_puts(&b, "</code> <span class=\"uses\">");
		if (d->web)
			kn_buf_puts(&b, T(l, M_WEB));
		if (d->web && d->mail)
			kn_buf_puts(&b, " · ");
		if (d->mail)
			kn_buf_puts(&b, T(l, M_MAIL));
		kn_buf_putf(&b, "</span> <small>%s %.10s %s%s%s%s%s</small>"
		    "</li>\n", T(l, M_VERIFIED_ON), d->verified_at,
		    l == LANG_EN ? "(" : "（", T(l, M_HOW),
		    l == LANG_EN ? ": " : "：", strcmp(d->method, "demo") == 0 ?
		    T(l, M_METHOD_DEMO) : T(l, M_METHOD_DNS),
		    l == LANG_EN ? ")" : "）");
	}
	kn_buf_puts(&b, "</ul>\n");
	if (shown == 0) {
		kn_buf_puts(&b, "<p class=\"empty\">");
		kn_buf_puts(&b, T(l, M_NO_DOMAINS));
		kn_buf_puts(&b, "</p>\n");
	}
	kn_buf_puts(&b, "</article>\n<p><a href=\"/orgs?lang=");
	kn_buf_puts(&b, lang_code(l));
	kn_buf_puts(&b, "\">");
	kn_buf_puts(&b, T(l, M_BACK));
	kn_buf_puts(&b, "</a></p>\n");
	kn_org_cleanup(&o);
	foot(&b);
	return reply_html(r, 200, &b);
}

static MHD_RESULT
static_file(struct req *r, const char *name)
{
	struct srv *s = r->srv;
	struct MHD_Response *resp;
	const char *inm;
	MHD_RESULT ret;
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		if (strcmp(s->files[i].name, name) == 0)
			break;
	}
	if (i == s->nfiles)
		return reply_errorf(r, 404, "not_found", NULL, "no file %s",
		    name);
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    "If-None-Match");
	if (inm != NULL && strcmp(inm, s->files[i].etag) == 0) {
		resp = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
		r->status = 304;
	} else {
		resp = MHD_create_response_from_buffer(s->files[i].len,
		    s->files[i].data, MHD_RESPMEM_PERSISTENT);
		r->status = 200;
		r->resp_len = s->files[i].len;
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", s->files[i].ctype);
	MHD_add_response_header(resp, "ETag", s->files[i].etag);
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=3600");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

MHD_RESULT
page_route(struct req *r, const char *path)
{
	enum lang l = pick_lang(r);

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		r->allow = "GET, HEAD";
		return reply_errorf(r, 405, "method_not_allowed", NULL,
		    "pages answer GET only");
	}
	if (strcmp(path, "/") == 0)
		return reply_redirect(r, l == LANG_EN ? "/orgs?lang=en" :
		    "/orgs?lang=ja");
	if (strcmp(path, "/orgs") == 0 || strcmp(path, "/orgs/") == 0)
		return page_search(r, l);
	if (strncmp(path, "/orgs/", 6) == 0)
		return page_org(r, l, path + 6);
	if (strncmp(path, "/static/", 8) == 0)
		return static_file(r, path + 8);
	return page_not_found(r, l, M_NOT_FOUND, path);
}

static const char *
ctype_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".ico") == 0)
		return "image/x-icon";
	return "application/octet-stream";
}

int
pages_load_static(struct srv *s)
{
	char dir[4096], path[4400];
	struct dirent *de;
	unsigned char md[32];
	unsigned int mdlen;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/static", s->cfg->web_dir);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "kakuin serve: cannot open %s (web_dir in "
		    "kakuin.conf)\n", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL && s->nfiles < MAX_STATIC) {
		struct static_file *f = &s->files[s->nfiles];
		size_t namelen = strlen(de->d_name);
		FILE *fp;
		long n;

		if (de->d_name[0] == '.' || namelen >= sizeof(f->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fp = fopen(path, "rb")) == NULL)
			continue;
		if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
		    n > STATIC_MAX || fseek(fp, 0, SEEK_SET) != 0 ||
		    (f->data = malloc((size_t)n + 1)) == NULL ||
		    fread(f->data, 1, (size_t)n, fp) != (size_t)n) {
			fclose(fp);
			free(f->data);
			f->data = NULL;
			continue;
		}
		fclose(fp);
		f->len = (size_t)n;
		memcpy(f->name, de->d_name, namelen + 1);
		f->ctype = ctype_of(f->name);
		EVP_Digest(f->data, f->len, md, &mdlen, EVP_sha256(), NULL);
		f->etag[0] = '"';
		kn_hex(f->etag + 1, md, 10);
		f->etag[21] = '"';
		f->etag[22] = '\0';
		s->nfiles++;
	}
	closedir(d);
	return 0;
}

void
pages_free_static(struct srv *s)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		free(s->files[i].data);
	s->nfiles = 0;
}
