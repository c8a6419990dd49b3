/* i18n.c - message table. */
#include "server/i18n.h"

static const char *const tab[M_COUNT][2] = {
	[M_SITE] = { "kakuin 法人登録簿", "kakuin registry" },
	[M_TAGLINE] = { "相手が本当にその組織か、確認できます。",
	    "Check that the other side really is the organization it "
	    "claims to be." },
	[M_SEARCH] = { "検索", "Search" },
	[M_SEARCH_HINT] = { "法人名・フリガナ・法人番号・ドメイン",
	    "Name, reading, corporate number or domain" },
	[M_RESULTS] = { "検索結果", "Results" },
	[M_NO_RESULTS] = { "該当する組織は見つかりませんでした。",
	    "No organization matches." },
	[M_VERIFIED_ORGS] = { "登録されている組織", "Registered organizations" },
	[M_NUMBER] = { "法人番号", "Corporate number" },
	[M_NAME] = { "名称", "Name" },
	[M_NAME_EN] = { "英語表記", "English name" },
	[M_KANA] = { "フリガナ", "Reading" },
	[M_ADDRESS] = { "所在地", "Address" },
	[M_POSTAL] = { "郵便番号", "Postal code" },
	[M_URL] = { "ウェブサイト", "Website" },
	[M_FOUNDED] = { "設立", "Founded" },
	[M_PHONE] = { "電話番号", "Phone" },
	[M_DESCRIPTION] = { "概要", "About" },
	[M_STATUS] = { "状態", "Status" },
	[M_DOMAINS] = { "確認済みドメイン", "Verified domains" },
	[M_DOMAINS_UNVOUCHED] = { "管理が確認されたドメイン（組織としては確認"
	    "されていません）", "Domains whose control was proven (the "
	    "organization itself is not verified)" },
	[M_WEB] = { "ウェブ", "web" },
	[M_MAIL] = { "メール", "mail" },
	[M_VERIFIED_ON] = { "確認日", "verified on" },
	[M_NO_DOMAINS] = { "確認済みのドメインはありません。",
	    "No verified domains." },
	[M_ST_LISTED] = { "未登録", "Not registered" },
	[M_ST_APPLIED] = { "審査中", "Under review" },
	[M_ST_VERIFIED] = { "確認済み", "Verified" },
	[M_ST_SUSPENDED] = { "一時停止", "Suspended" },
	[M_ST_WITHDRAWN] = { "登録抹消", "Withdrawn" },
	[M_SAY_LISTED] = { "国税庁が公表している法人です。kakuin による"
	    "確認は受けていません。",
	    "Published by the National Tax Agency. kakuin has not "
	    "verified this organization." },
	[M_SAY_APPLIED] = { "kakuin に登録を申請中で、まだ確認されていませ"
	    "ん。この組織を名乗る相手を信頼する根拠にはなりません。",
	    "Has applied to kakuin and is not verified yet. Do not trust "
	    "someone on the strength of this name alone." },
	[M_SAY_VERIFIED] = { "kakuin がこの組織の実在と、下記ドメインの管理"
	    "を確認しています。",
	    "kakuin has verified that this organization exists and "
	    "controls the domains below." },
	[M_SAY_SUSPENDED] = { "確認は一時停止されています。現在この組織の"
	    "確認済みとしての表示を信頼しないでください。",
	    "Verification is suspended. Do not treat this organization as "
	    "verified for now." },
	[M_SAY_WITHDRAWN] = { "登録は抹消されています。この組織は kakuin の"
	    "確認を受けていません。",
	    "The registration was withdrawn. kakuin no longer vouches for "
	    "this organization." },
	[M_SINCE] = { "から", "since" },
	[M_NTA] = { "国税庁の公表情報", "National Tax Agency record" },
	[M_NTA_CLOSED] = { "登記記録の閉鎖", "Registry record closed" },
	[M_NOT_FOUND] = { "見つかりません", "Not found" },
	[M_NOT_FOUND_SAY] = { "この法人番号の組織は登録されていません。",
	    "No organization with this corporate number is in the "
	    "registry." },
	[M_BAD_NUMBER] = { "法人番号が正しくありません", "Not a valid "
	    "corporate number" },
	[M_MORE] = { "さらに表示", "More" },
	[M_OTHER_LANG] = { "English", "日本語" },
	[M_HOW] = { "確認方法", "how" },
	[M_METHOD_DNS] = { "DNS TXT レコード", "DNS TXT record" },
	[M_METHOD_DEMO] = { "デモデータ", "demo data" },
	[M_BACK] = { "検索に戻る", "Back to search" },
};

const char *
T(enum lang l, enum msg m)
{
	return tab[m][l == LANG_EN ? 1 : 0];
}
