/* demo.c - demonstration registry data. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "registry/corpnum.h"
#include "registry/demo.h"
#include "registry/org.h"

struct demo_org {
	const char	*number;
	const char	*f[KN_ORG_NFIELDS];
	const char	*status;	/* final status */
	const char	*reason;
	const char	*domains[3];	/* "name web|mail|both" */
	bool		 prove;		/* mark the domains verified */
};

static const struct demo_org orgs[] = {
	{ "1010405009403", {
		[KN_ORG_NAME] = "一般財団法人日本情報経済社会推進協会",
		[KN_ORG_NAME_EN] = "JIPDEC",
		[KN_ORG_KANA] = "ニホンジョウホウケイザイシャカイスイシンキョウカイ",
		[KN_ORG_ADDRESS] = "東京都港区六本木一丁目９番９号",
		[KN_ORG_ADDRESS_EN] = "1-9-9 Roppongi, Minato-ku, Tokyo",
		[KN_ORG_POSTAL_CODE] = "1066117",
		[KN_ORG_URL] = "https://www.jipdec.example/",
		[KN_ORG_FOUNDED] = "1967-12-20",
		[KN_ORG_PHONE] = "03-5860-7555",
		[KN_ORG_DESCRIPTION] = "情報経済社会の推進のための調査研究と、"
		    "プライバシーマーク制度・電子署名の認証業務を行う財団。",
	  }, "verified", "登記事項証明書と代表者の本人確認を確認済み "
	  "(demo: certificate of registered matters checked)",
	  { "jipdec.example both", "mail.jipdec.example mail" }, true },
	{ "4011001099001", {
		[KN_ORG_NAME] = "株式会社かくいん商事",
		[KN_ORG_NAME_EN] = "Kakuin Trading Co., Ltd.",
		[KN_ORG_KANA] = "カクインショウジ",
		[KN_ORG_ADDRESS] = "東京都千代田区丸の内二丁目１番１号",
		[KN_ORG_ADDRESS_EN] = "2-1-1 Marunouchi, Chiyoda-ku, Tokyo",
		[KN_ORG_POSTAL_CODE] = "1000005",
		[KN_ORG_URL] = "https://www.kakuin-shoji.example/",
		[KN_ORG_FOUNDED] = "1998-04-01",
		[KN_ORG_PHONE] = "03-1234-5678",
		[KN_ORG_DESCRIPTION] = "印章と電子署名の専門商社。",
	  }, "verified", "登記事項証明書を確認済み (demo)",
	  { "kakuin-shoji.example both" }, true },
	{ "4010401088002", {
		[KN_ORG_NAME] = "合同会社みなと電子契約",
		[KN_ORG_NAME_EN] = "Minato E-Contract LLC",
		[KN_ORG_KANA] = "ミナトデンシケイヤク",
		[KN_ORG_ADDRESS] = "東京都港区芝公園四丁目２番８号",
		[KN_ORG_ADDRESS_EN] = "4-2-8 Shibakoen, Minato-ku, Tokyo",
		[KN_ORG_POSTAL_CODE] = "1050011",
		[KN_ORG_URL] = "https://minato-keiyaku.example/",
		[KN_ORG_FOUNDED] = "2019-10-01",
	  }, "verified", "登記事項証明書を確認済み (demo)",
	  { "minato-keiyaku.example both" }, true },
	{ "9000020011002", {
		[KN_ORG_NAME] = "札幌市",
		[KN_ORG_NAME_EN] = "Sapporo City",
		[KN_ORG_KANA] = "サッポロシ",
		[KN_ORG_ADDRESS] = "北海道札幌市中央区北一条西二丁目",
		[KN_ORG_ADDRESS_EN] = "Kita 1-jo Nishi 2-chome, Chuo-ku, Sapporo, "
		    "Hokkaido",
		[KN_ORG_POSTAL_CODE] = "0608611",
		[KN_ORG_URL] = "https://www.city.sapporo.example/",
	  }, "verified", "地方公共団体として確認済み (demo)",
	  { "city.sapporo.example both" }, true },
	{ "7011101077003", {
		[KN_ORG_NAME] = "株式会社さくらメール",
		[KN_ORG_NAME_EN] = "Sakura Mail K.K.",
		[KN_ORG_KANA] = "サクラメール",
		[KN_ORG_ADDRESS] = "東京都新宿区西新宿二丁目８番１号",
		[KN_ORG_POSTAL_CODE] = "1630001",
		[KN_ORG_URL] = "https://sakura-mail.example/",
	  }, "applied", NULL, { "sakura-mail.example mail" }, false },
	{ "8012001066004", {
		[KN_ORG_NAME] = "株式会社ひかり物産",
		[KN_ORG_NAME_EN] = "Hikari Bussan Co., Ltd.",
		[KN_ORG_KANA] = "ヒカリブッサン",
		[KN_ORG_ADDRESS] = "東京都台東区上野七丁目１番１号",
		[KN_ORG_POSTAL_CODE] = "1100005",
	  }, "suspended", "登記情報の変更を確認中 (demo: registered "
	  "address changed, under review)",
	  { "hikari-bussan.example web" }, true },
};

static int
add_one(struct kn_db *db, const char *actor, const struct demo_org *d)
{
	struct kn_org org;
	struct kn_domain dom;
	int64_t number;
	size_t i;
	int rc, k;

	kn_org_init(&org);
	memset(&dom, 0, sizeof(dom));
	if ((rc = kn_corpnum_parse(&number, d->number,
	    strlen(d->number))) != 0)
		return rc;
	org.number = number;
	for (k = 0; k < KN_ORG_NFIELDS; k++) {
		if (d->f[k] != NULL &&
		    (rc = kn_org_set(&org, (enum kn_org_field)k, d->f[k])) != 0)
			goto out;
	}
	if ((rc = kn_org_add(db, actor, &org)) != 0)
		goto out;
	for (i = 0; i < 3 && d->domains[i] != NULL; i++) {
		char name[KN_DOMAIN_MAX + 1];
		const char *sp = strchr(d->domains[i], ' ');
		bool both = strcmp(sp + 1, "both") == 0;

		snprintf(name, sizeof(name), "%.*s",
		    (int)(sp - d->domains[i]), d->domains[i]);
		if ((rc = kn_domain_add(db, actor, number, name,
		    both || strcmp(sp + 1, "web") == 0,
		    both || strcmp(sp + 1, "mail") == 0, &dom)) != 0)
			goto out;
		kn_domain_cleanup(&dom);
		if (d->prove && (rc = kn_domain_mark_verified(db, actor,
		    number, name, "demo")) != 0)
			goto out;
	}
	if (strcmp(d->status, "applied") != 0 &&
	    (rc = kn_org_set_status(db, actor, number, "verified",
	    strcmp(d->status, "verified") == 0 ? d->reason :
	    "登記事項証明書を確認済み (demo)")) != 0)
		goto out;
	if (strcmp(d->status, "suspended") == 0 &&
	    (rc = kn_org_set_status(db, actor, number, "suspended",
	    d->reason)) != 0)
		goto out;
out:
	kn_domain_cleanup(&dom);
	kn_org_cleanup(&org);
	return rc;
}

int
kn_demo_registry(struct kn_db *db, const char *actor)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++) {
		if ((rc = add_one(db, actor, &orgs[i])) != 0)
			return rc;
	}
	return 0;
}
