/*
 * gen-nta - writes a synthetic National Tax Agency corporate-number file
 * (30 columns, UTF-8, no header, RFC 4180 quoting) to standard output.
 *
 *   gen-nta [-n ROWS] [-s SEED] [-b BAD] [-H]
 *
 * Numbers are unique and carry correct check digits.  -b BAD spreads BAD
 * malformed rows through the file, each of a known defect, and reports
 * their line numbers and defects on standard error ("line<TAB>defect").
 * -H adds history: every 10th organization gets an older latest=0 record
 * before its current one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng;

static uint32_t
next(void)
{
	/* xorshift64*: deterministic for a seed; not for secrets. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static int
check_digit(const char base[12])
{
	int n, sum = 0;

	for (n = 1; n <= 12; n++)
		sum += (base[12 - n] - '0') * ((n % 2) ? 1 : 2);
	return 9 - sum % 9;
}

static const char *const words[] = { "さくら", "ひかり", "みらい", "あおば",
    "やまと", "日本", "東京", "大阪", "北海", "中央", "総合", "情報",
    "技研", "物産", "商事", "電子", "精工", "建設", "運輸", "食品", "製作所",
    "テクノ", "システム", "ネット", "データ", "企画", "興業", "工業" };
static const char *const kanas[] = { "サクラ", "ヒカリ", "ミライ", "アオバ",
    "ヤマト", "ニホン", "トウキョウ", "オオサカ", "ホッカイ", "チュウオウ",
    "ソウゴウ", "ジョウホウ", "ギケン", "ブッサン", "ショウジ", "デンシ",
    "セイコウ", "ケンセツ", "ウンユ", "ショクヒン", "セイサクショ", "テクノ",
    "システム", "ネット", "データ", "キカク", "コウギョウ", "コウギョウ" };
static const char *const romaji[] = { "Sakura", "Hikari", "Mirai", "Aoba",
    "Yamato", "Nihon", "Tokyo", "Osaka", "Hokkai", "Chuo", "Sogo", "Joho",
    "Giken", "Bussan", "Shoji", "Denshi", "Seiko", "Kensetsu", "Unyu",
    "Shokuhin", "Seisakusho", "Techno", "System", "Net", "Data", "Kikaku",
    "Kogyo", "Kogyo" };
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const struct {
	const char	*kind;
	const char	*form;
	const char	*form_kana;
	const char	*form_en;
} forms[] = {
	{ "301", "株式会社", "", " Co., Ltd." },
	{ "305", "合同会社", "", " LLC" },
	{ "302", "有限会社", "", " Yugen Kaisha" },
	{ "399", "一般社団法人", "", " Association" },
};

static const struct {
	const char	*code, *name, *en;
} prefs[] = {
	{ "13", "東京都", "Tokyo" }, { "27", "大阪府", "Osaka" },
	{ "01", "北海道", "Hokkaido" }, { "14", "神奈川県", "Kanagawa" },
	{ "23", "愛知県", "Aichi" }, { "40", "福岡県", "Fukuoka" },
};

static const char *const defects[] = {
	"check digit", "field count", "date", "unclosed quote", "utf-8",
	"process code", "oversized field",
};
#define NDEFECTS (sizeof(defects) / sizeof(defects[0]))

static void
number(char out[14], uint64_t i)
{
	char base[13];

	/* Spread bases over the 12-digit space, unique per i. */
	snprintf(base, sizeof(base), "%012" PRIu64,
	    (uint64_t)((i * 7919 + 100000000000ULL) % 1000000000000ULL));
	out[0] = (char)('0' + check_digit(base));
	memcpy(out + 1, base, 12);
	out[13] = '\0';
}

static void
record(FILE *f, uint64_t seq, const char *num, int defect, int latest,
    const char *update)
{
	unsigned w1 = next() % NWORDS, w2 = next() % NWORDS;
	unsigned fi = next() % 4, pi = next() % 6;
	unsigned block = next() % 9 + 1, lot = next() % 30 + 1;
	int quoted = next() % 50 == 0 && defect < 0;
	char badnum[14];

	if (defect == 0) {
		memcpy(badnum, num, 14);
		badnum[0] = badnum[0] == '9' ? '1' : (char)(badnum[0] + 1);
		num = badnum;
	}
	fprintf(f, "%" PRIu64 ",%s,%s,0,%s,%s,", seq, num,
	    defect == 5 ? "55" : "01", defect == 2 ? "2020-02-30" : update,
	    update);
	/* Name: sometimes quoted with a comma inside (RFC 4180). */
	if (defect == 3)
		fprintf(f, "\"%s%s%s,", forms[fi].form, words[w1], words[w2]);
	else if (quoted)
		fprintf(f, "\"%s%s・%s, \"\"本社\"\"\",", forms[fi].form,
		    words[w1], words[w2]);
	else if (defect == 4)
		fprintf(f, "%s\xff%s,", forms[fi].form, words[w1]);
	else
		fprintf(f, "%s%s%s,", forms[fi].form, words[w1], words[w2]);
	fprintf(f, ",%s,%s,", forms[fi].kind, prefs[pi].name);
	fprintf(f, "千代田区,丸の内%u丁目%u番%u号,,%s,101,%07u,,,,,,,",
	    block, lot, next() % 20 + 1, prefs[pi].code, next() % 10000000);
	fprintf(f, "2015-10-05,%d,\"%s%s%s\",%s,\"%u-%u, Marunouchi, Chiyoda "
	    "ku\",,%s%s,0", latest, romaji[w1], romaji[w2], forms[fi].form_en,
	    prefs[pi].en, block, lot, kanas[w1], kanas[w2]);
	if (defect == 1)
		fputs(",extra", f);
	if (defect == 6) {
		fputc(',', f);
		for (int k = 0; k < 1200; k++)
			fputc('x', f);
	}
	fputs("\n", f);
}

int
main(int argc, char **argv)
{
	uint64_t rows = 1000, seed = 1, bad = 0, i, line = 0, every = 0;
	int ch, history = 0;
	char num[14];
	static char obuf[1 << 20];

	while ((ch = getopt(argc, argv, "n:s:b:H")) != -1) {
		switch (ch) {
		case 'n':
			rows = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			bad = strtoull(optarg, NULL, 10);
			break;
		case 'H':
			history = 1;
			break;
		default:
			fprintf(stderr, "usage: gen-nta [-n ROWS] [-s SEED] "
			    "[-b BAD] [-H]\n");
			return 2;
		}
	}
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (bad > 0)
		every = rows / bad > 0 ? rows / bad : 1;
	for (i = 0; i < rows; i++) {
		int defect = -1;

		number(num, i + seed * 1000003);
		if (every && i % every == every / 2 && bad > 0) {
			defect = (int)((i / every) % NDEFECTS);
			bad--;
		}
		if (history && i % 10 == 0 && defect < 0) {
			line++;
			record(stdout, line, num, -1, 0, "2016-04-01");
		}
		line++;
		record(stdout, line, num, defect, 1, "2024-06-28");
		if (defect >= 0)
			fprintf(stderr, "%" PRIu64 "\t%s\n", line,
			    defects[defect]);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
