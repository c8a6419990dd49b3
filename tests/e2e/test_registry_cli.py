"""The registry through the CLI: init, organizations, search, status."""
import pwd
import os

from conftest import (DEMO_STATUS, HIKARI, JIPDEC, KAKUIN_SHOJI, MINATO,
                      SAKURA, SAPPORO, Kakuin, add_org, new_number)

LOCAL_ACTOR = "local:" + pwd.getpwuid(os.getuid()).pw_name


def test_init_creates_an_empty_registry(tmp_path):
    k = Kakuin(tmp_path / "var")
    r = k.ok("init")
    assert "created" in r.out and "schema version" in r.out
    assert (tmp_path / "var" / "kakuin.conf").exists()
    assert k.json("org", "list", "--json") == {"orgs": [], "more": False}
    assert "no organizations found" in k.ok("org", "list").out
    assert k.json("user", "list", "--json") == []
    assert k.audit_rows() == 0


def test_init_refuses_an_existing_data_directory(empty):
    conf = os.path.join(empty.dir, "kakuin.conf")
    before = open(conf).read()
    number = add_org(empty)
    snap = empty.snapshot()
    r = empty.fail("init", "--demo")
    assert "already initialized" in r.err
    assert open(conf).read() == before
    assert empty.snapshot() == snap
    assert empty.show(number)["status"] == "applied"


def test_commands_on_a_missing_data_directory_say_to_init(tmp_path):
    r = Kakuin(tmp_path / "nothing").run("org", "list")
    assert r.rc != 0
    assert "kakuin init" in r.err
    assert not (tmp_path / "nothing").exists()


def test_demo_data(demo):
    listing = demo.json("org", "list", "--json")
    got = {o["number"]: o["status"] for o in listing["orgs"]}
    assert got == DEMO_STATUS
    # Verified organizations first.
    statuses = [o["status"] for o in listing["orgs"]]
    assert statuses[:4] == ["verified"] * 4

    verified = demo.json("org", "list", "--status", "verified", "--json")
    assert {o["number"] for o in verified["orgs"]} == {
        JIPDEC, KAKUIN_SHOJI, MINATO, SAPPORO}

    j = demo.show(JIPDEC)
    assert j["name"] == "一般財団法人日本情報経済社会推進協会"
    assert j["name_en"] == "JIPDEC"
    assert j["verified_since"]
    doms = {d["domain"]: d for d in j["domains"]}
    assert set(doms) == {"jipdec.example", "mail.jipdec.example"}
    for d in doms.values():
        assert d["verified"] is True and d["method"] == "demo"
    assert doms["mail.jipdec.example"]["uses"] == ["mail"]
    assert doms["jipdec.example"]["uses"] == ["web", "mail"]

    sakura = demo.show(SAKURA)
    assert sakura["status"] == "applied"
    assert [d["verified"] for d in sakura["domains"]] == [False]

    hikari = demo.show(HIKARI)
    assert hikari["status"] == "suspended"
    assert "under review" in hikari["status_reason"]
    assert [h["to"] for h in hikari["history"]] == [
        "applied", "verified", "suspended"]

    users = {u["name"]: u for u in demo.json("user", "list", "--json")}
    assert users["admin"]["role"] == "admin"
    assert users["ra-suzuki"]["role"] == "ra"
    assert users["admin"]["password"] and users["ra-suzuki"]["password"]

    text = demo.ok("org", "show", JIPDEC).out
    assert "verified" in text and "jipdec.example" in text
    listed = demo.ok("org", "list").out
    assert "株式会社かくいん商事 (Kakuin Trading Co., Ltd.)" in listed


ALL_FIELDS = {
    "name": "株式会社テスト商会",
    "name-en": "Test Shokai Co., Ltd.",
    "kana": "テストショウカイ",
    "address": "東京都千代田区丸の内一丁目1番1号",
    "address-en": "1-1-1 Marunouchi, Chiyoda-ku, Tokyo",
    "postal-code": "100-0005",
    "url": "https://test-shokai.example/",
    "founded": "2001-02-03",
    "phone": "+81 3-1234-5678",
    "description": "一行目\n二行目",
}


def test_org_add_and_show_json(empty):
    number = new_number()
    args = ["org", "add", "--number", number, "--json"]
    for k, v in ALL_FIELDS.items():
        args += ["--" + k, v]
    added = empty.json(*args)
    shown = empty.show(number)
    assert added == shown
    assert shown["number"] == number
    for k, v in ALL_FIELDS.items():
        key = k.replace("-", "_")
        want = "1000005" if key == "postal_code" else v
        assert shown[key] == want, key
    assert shown["status"] == "applied"
    assert shown["status_by"] == LOCAL_ACTOR
    assert shown["status_reason"] == "application received"
    assert shown["hidden"] is False
    assert shown["domains"] == []
    assert shown["verified_since"] is None
    assert [(h["from"], h["to"]) for h in shown["history"]] == [
        (None, "applied")]
    for key in ("kind", "status_at", "created_at", "updated_at"):
        assert key in shown
    text = empty.ok("org", "show", number).out
    assert number in text and "株式会社テスト商会" in text
    assert "applied" in text and "〒" not in text
    acts = empty.sql("SELECT actor, action, object FROM audit")
    assert (LOCAL_ACTOR, "org.add", "org:" + number) in acts


def test_org_add_trims_and_text_output(empty):
    number = new_number()
    r = empty.ok("org", "add", "--number", number, "--name",
                 "  株式会社スペース  ", "--kana", "", "--url", "   ")
    assert "registered application of 株式会社スペース" in r.out
    j = empty.show(number)
    assert j["name"] == "株式会社スペース"
    assert j["kana"] is None and j["url"] is None


def test_acting_officer(demo):
    number = add_org(demo, actor="ra-suzuki")
    j = demo.show(number)
    assert j["status_by"] == "user:ra-suzuki"
    assert demo.sql("SELECT actor FROM audit ORDER BY seq DESC LIMIT 1") == [
        ("user:ra-suzuki",)]
    snap = demo.snapshot()
    r = demo.fail("--as", "nobody", "org", "verify", number, "--reason",
                  "x")
    assert "officer nobody is not an active user" in r.err
    assert demo.snapshot() == snap


def test_search(demo):
    def found(q, *extra):
        j = demo.json("org", "search", q, "--json", *extra)
        return [o["number"] for o in j["orgs"]]

    # Name substring (kanji and hiragana as written in the name).
    assert found("かくいん") == [KAKUIN_SHOJI]
    assert found("日本情報") == [JIPDEC]
    # A reading typed in hiragana finds the katakana furigana.
    assert found("かくいんしょうじ") == [KAKUIN_SHOJI]
    assert found("さっぽろし") == [SAPPORO]
    assert found("サッポロ") == [SAPPORO]
    # English names, case-insensitively.
    assert found("minato e-contract") == [MINATO]
    # Corporate number.
    assert found(HIKARI) == [HIKARI]
    # A verified domain finds its organization; an unproven one does not.
    assert found("kakuin-shoji.example") == [KAKUIN_SHOJI]
    assert found("MAIL.JIPDEC.EXAMPLE") == [JIPDEC]
    assert found("sakura-mail.example") == []
    # LIKE wildcards are taken literally.
    assert found("%") == []
    assert found("_") == []
    assert found("株式会社", "--status", "suspended") == [HIKARI]
    out = demo.ok("org", "search", "存在しない名前").out
    assert "no organizations found" in out


def test_list_paging_text(demo):
    out = demo.ok("org", "list", "--limit", "2").out
    assert len(out.splitlines()) == 3
    assert "more: use --offset 2" in out
    out = demo.ok("org", "list", "--limit", "2", "--offset", "4").out
    assert len(out.splitlines()) == 2 and "more" not in out
    r = demo.fail("org", "list", "--limit", "lots")
    assert "--limit takes a number" in r.err


def test_list_json_says_when_more_pages_exist(demo):
    j = demo.json("org", "list", "--limit", "2", "--json")
    assert len(j["orgs"]) == 2
    assert j["more"] is True, "6 organizations, 2 shown: more must be true"
    j2 = demo.json("org", "list", "--limit", "2", "--offset", "4", "--json")
    assert len(j2["orgs"]) == 2 and j2["more"] is False


def test_update(demo):
    before = demo.show(SAKURA)
    j = demo.json("org", "update", SAKURA, "--url",
                  "https://new.sakura-mail.example/", "--phone",
                  "03-0000-1111", "--json")
    assert j["url"] == "https://new.sakura-mail.example/"
    assert j["phone"] == "03-0000-1111"
    for key in ("name", "name_en", "kana", "address", "postal_code"):
        assert j[key] == before[key]
    assert j["status"] == "applied"
    last = demo.sql("SELECT action, object, detail FROM audit "
                    "ORDER BY seq DESC LIMIT 1")[0]
    assert last[0] == "org.update" and last[1] == "org:" + SAKURA
    assert "new.sakura-mail.example" in last[2]
    r = demo.ok("org", "update", SAKURA, "--name-en", "Sakura Mail Inc.")
    assert "updated 株式会社さくらメール" in r.out
    assert demo.show(SAKURA)["name_en"] == "Sakura Mail Inc."


def test_status_transitions_with_reasons(empty):
    number = add_org(empty, name="株式会社遷移")

    def status(to, reason, *extra):
        return empty.json(to, number, "--reason", reason, "--json", *extra)

    def refused(verb, why):
        snap = empty.snapshot()
        r = empty.fail("org", verb, number, "--reason", "試験")
        assert why in r.err, r
        assert "organization %s cannot go from" % number in r.err
        assert empty.snapshot() == snap

    refused("suspend", "only verified organizations can be suspended")

    j = empty.json("org", "verify", number, "--reason", "登記事項証明書を確認",
                   "--json")
    assert j["status"] == "verified"
    assert j["status_reason"] == "登記事項証明書を確認"
    since = j["verified_since"]
    assert since

    refused("verify", "it already has that status")

    r = empty.ok("org", "suspend", number, "--reason", "住所変更の確認中")
    assert "株式会社遷移 is now suspended" in r.out
    j = empty.json("org", "verify", number, "--reason", "確認完了", "--json")
    assert j["status"] == "verified" and j["verified_since"] == since

    j = empty.json("org", "withdraw", number, "--reason", "本人の申し出",
                   "--json")
    assert j["status"] == "withdrawn"
    refused("verify", "a withdrawn organization must apply again")
    refused("withdraw", "it already has that status")

    hist = [(h["from"], h["to"], h["reason"]) for h in
            empty.show(number)["history"]]
    assert hist == [
        (None, "applied", "application received"),
        ("applied", "verified", "登記事項証明書を確認"),
        ("verified", "suspended", "住所変更の確認中"),
        ("suspended", "verified", "確認完了"),
        ("verified", "withdrawn", "本人の申し出"),
    ]
    actions = [a for (a,) in empty.sql(
        "SELECT action FROM audit WHERE object = ? ORDER BY seq",
        ("org:" + number,))]
    assert actions == ["org.add", "org.status.verified",
                       "org.status.suspended", "org.status.verified",
                       "org.status.withdrawn"]

    snap = empty.snapshot()
    r = empty.fail("org", "update", number, "--name", "別名")
    assert "withdrawn organization cannot be changed" in r.err
    assert empty.snapshot() == snap

    out = empty.ok("org", "show", number).out
    assert "withdrawn" in out and "本人の申し出" in out


def test_status_change_needs_a_reason(demo):
    snap = demo.snapshot()
    r = demo.fail("org", "verify", SAKURA)
    assert "reason is required" in r.err
    r = demo.fail("org", "verify", SAKURA, "--reason", "")
    assert "reason is required" in r.err
    r = demo.fail("org", "verify", SAKURA, "--reason", "x" * 501)
    assert "reason is too long" in r.err
    assert demo.snapshot() == snap
    assert demo.show(SAKURA)["status"] == "applied"


def test_listed_org_must_apply_first(empty, tmp_path):
    # A listed organization (from the NTA file) cannot be verified or
    # changed until it applies; applying keeps its number.
    from conftest import nta_row
    number = new_number()
    f = tmp_path / "one.csv"
    f.write_text(nta_row(1, number, "株式会社リスト", kana="リスト"))
    empty.ok("org", "import", str(f), "--no-progress")
    assert empty.show(number)["status"] == "listed"
    snap = empty.snapshot()
    r = empty.fail("org", "verify", number, "--reason", "x")
    assert "it has not applied" in r.err
    r = empty.fail("org", "update", number, "--url", "https://x.example/")
    assert "it must apply first" in r.err
    assert empty.snapshot() == snap
    j = empty.json("org", "add", "--number", number, "--name",
                   "株式会社リスト", "--url", "https://list.example/",
                   "--json")
    assert j["status"] == "applied"
    assert j["kana"] == "リスト"           # NTA data kept
    assert j["url"] == "https://list.example/"
    assert [(h["from"], h["to"]) for h in j["history"]] == [
        ("listed", "applied")]


def test_relative_data_directory_works_from_elsewhere(tmp_path):
    # `kakuin -d var init` run in one directory, then the same data
    # directory named by its absolute path from another directory: the
    # store belongs to the data directory, wherever the command runs.
    import subprocess
    from conftest import KAKUIN, base_env
    work = tmp_path / "work"
    other = tmp_path / "other"
    work.mkdir()
    other.mkdir()
    n = new_number()
    for args in (["init"], ["org", "add", "--number", n, "--name", "株式会社相対"]):
        r = subprocess.run([KAKUIN, "-d", "var"] + args, cwd=work,
                           capture_output=True, text=True, env=base_env())
        assert r.returncode == 0, r.stderr
    r = subprocess.run([KAKUIN, "-d", str(work / "var"), "org", "show", n],
                       cwd=other, capture_output=True, text=True,
                       env=base_env())
    created = (other / "var").exists()
    assert r.returncode == 0, r.stderr
    assert "株式会社相対" in r.stdout
    # Not a new, empty store made next to wherever the command ran.
    assert not created


def test_withdrawn_organization_can_apply_again(demo):
    # Refusing to verify a withdrawn organization, kakuin says it "must
    # apply again"; applying (kakuin org add) must then be possible.
    demo.ok("org", "withdraw", SAKURA, "--reason", "申請取り下げ")
    r = demo.fail("org", "verify", SAKURA, "--reason", "再開")
    assert "must apply again" in r.err
    r = demo.run("org", "add", "--number", SAKURA, "--name",
                 "株式会社さくらメール", "--json")
    assert r.rc == 0, r
    j = r.json()
    assert j["status"] == "applied" and j["verified_since"] is None
    assert [(h["from"], h["to"]) for h in j["history"]] == [
        (None, "applied"), ("applied", "withdrawn"), ("withdrawn", "applied")]
    r = demo.fail("org", "add", "--number", SAKURA, "--name", "again")
    assert "already registered (status applied)" in r.err
