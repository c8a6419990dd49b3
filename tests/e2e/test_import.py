"""Import of the National Tax Agency's corporate-number files, checked
against the synthetic file generator's own list of the rows it broke."""
import csv
import io

import pytest

from conftest import gen_nta, init_dir, new_number, nta_row

ROWS, BAD = 20000, 25

# What each injected defect's rejection reason must name.
REASON_FOR = {
    "check digit": "column 2 (corporateNumber)",
    "field count": "fields",
    "date": "column 5 (updateDate)",
    "unclosed quote": "field 7",
    "utf-8": "column 7 (name)",
    "process code": "column 3 (process)",
    "oversized field": "fields",
}


@pytest.fixture(scope="session")
def ntafile(tmp_path_factory):
    path = tmp_path_factory.mktemp("nta") / "nta.csv"
    # The default seed: with some seeds (e.g. -s 7) gen-nta lists a
    # "utf-8" row that it wrote as a valid quoted name instead.
    bad = gen_nta(path, "-n", ROWS, "-b", BAD, "-H")
    assert len(bad) == BAD
    return path, bad


def physical_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def fields(line):
    return next(csv.reader(io.StringIO(line.decode("utf-8"))))


def import_json(k, path, *extra):
    return k.json("org", "import", str(path), "--json", *extra)


def test_import_counts_and_rejected_lines(empty, ntafile, tmp_path):
    path, bad = ntafile
    lines = physical_lines(path)
    rejfile = tmp_path / "rejects.tsv"
    j = import_json(empty, path, "--rejects", str(rejfile))
    assert j["already_done"] is False and j["resumed_at"] == 0
    assert j["lines"] == len(lines)
    assert j["rejected"] == BAD
    assert j["accepted"] == len(lines) - BAD
    assert [r["line"] for r in j["rejects"]] == sorted(bad)
    for r in j["rejects"]:
        want = REASON_FOR[bad[r["line"]]]
        assert want in r["reason"], (r, bad[r["line"]])
    # The rejects file says the same.
    got = [ln.split("\t", 1) for ln in rejfile.read_text().splitlines()]
    assert [(int(n), why) for n, why in got] == [
        (r["line"], r["reason"]) for r in j["rejects"]]
    # Stored: every accepted record in the history, one organization per
    # number whose current record was accepted, all listed.
    assert empty.sql("SELECT COUNT(*) FROM nta_records")[0][0] == \
        j["accepted"]
    assert empty.sql("SELECT COUNT(*), MIN(status), MAX(status) FROM orgs") \
        == [(ROWS - BAD, "listed", "listed")]
    # A row the generator broke is not stored; its neighbours are.
    first_bad = sorted(bad)[0]
    nb = fields(lines[first_bad])       # the next physical line (1-based)
    assert empty.show(nb[1])["name"] == nb[6]
    assert empty.ok("audit", "verify").rc == 0


def test_text_output_lists_rejects(empty, ntafile):
    path, bad = ntafile
    r = empty.ok("org", "import", str(path), "--no-progress")
    assert "%d accepted, %d rejected" % (
        len(physical_lines(path)) - BAD, BAD) in r.out
    first = sorted(bad)[0]
    assert "  line %d: " % first in r.out
    assert "... %d more (--rejects FILE writes them all)" % (BAD - 20) in r.out


def test_check_digit_reject_names_the_number(empty, ntafile):
    # The reason for a wrong check digit quotes the number as it appears
    # in the file, once, after the column name.
    path, bad = ntafile
    lines = physical_lines(path)
    j = import_json(empty, path, "--rejects", "/dev/null")
    reasons = {r["line"]: r["reason"] for r in j["rejects"]}
    for n, defect in bad.items():
        if defect != "check digit":
            continue
        number = fields(lines[n - 1])[1]
        why = reasons[n]
        assert why.count("column 2 (corporateNumber)") == 1, why
        assert number in why, (number, why)
        assert "wrong check digit" in why


def test_import_again_says_already_imported(empty, ntafile):
    path, _ = ntafile
    first = import_json(empty, path)
    snap = empty.snapshot()
    again = import_json(empty, path)
    assert again["already_done"] is True
    assert again["import"] == first["import"]
    for key in ("lines", "accepted", "rejected"):
        assert again[key] == first[key]
    r = empty.ok("org", "import", str(path))
    assert "was already imported" in r.out
    assert "%d accepted, %d rejected" % (first["accepted"],
                                         first["rejected"]) in r.out
    assert empty.snapshot() == snap
    # --again imports it once more; nothing new appears.
    orgs = empty.sql("SELECT number, name, address FROM orgs ORDER BY 1")
    more = import_json(empty, path, "--again")
    assert more["import"] != first["import"] and not more["already_done"]
    assert more["accepted"] == first["accepted"]
    assert empty.sql("SELECT number, name, address FROM orgs ORDER BY 1") \
        == orgs


def org_digest(k):
    return k.sql("SELECT number, name, name_en, kana, address, address_en, "
                 "postal_code, kind, status, hidden, nta_updated FROM orgs "
                 "ORDER BY number")


def test_interrupted_import_resumes(tmp_path, ntafile):
    path, bad = ntafile
    whole = init_dir(tmp_path / "whole")
    ref = import_json(whole, path, "--batch", "1000", "--rejects",
                      "/dev/null")

    k = init_dir(tmp_path / "crash")
    r = k.run("org", "import", str(path), "--batch", "1000",
              "--stop-after", "5500", "--json")
    assert r.rc != 0
    assert "import stopped after 5500 lines" in r.err
    # Only whole batches were kept.
    assert k.sql("SELECT line, finished_at FROM imports") == [(5000, None)]
    partial = k.sql("SELECT COUNT(*) FROM nta_records")[0][0]
    assert partial == 5000 - len([n for n in bad if n <= 5000])

    r = k.run("org", "import", str(path), "--batch", "1000",
              "--stop-after", "12345", "--json")
    assert r.rc != 0
    res = import_json(k, path, "--batch", "1000", "--rejects", "/dev/null")
    assert res["resumed_at"] == 12000
    assert res["import"] == 1
    for key in ("lines", "accepted", "rejected"):
        assert res[key] == ref[key], key
    assert res["rejects"] == ref["rejects"]
    assert k.sql("SELECT COUNT(*) FROM nta_records") == whole.sql(
        "SELECT COUNT(*) FROM nta_records")
    assert org_digest(k) == org_digest(whole)
    r = k.ok("org", "import", str(path))
    assert "already imported" in r.out
    assert k.ok("audit", "verify").rc == 0
    # The audit log shows the import's batches.
    acts = [a for (a,) in k.sql("SELECT action FROM audit ORDER BY seq")]
    assert acts[0] == "org.import.start" and acts.count(
        "org.import.start") == 1
    assert acts.count("org.import") >= 22


def test_history_rows_do_not_overwrite_current_names(empty, ntafile):
    path, _ = ntafile
    lines = physical_lines(path)
    import_json(empty, path)
    checked = 0
    for i, line in enumerate(lines[:-1]):
        f = fields(line)
        if f[23] != "0":
            continue
        cur = fields(lines[i + 1])
        assert cur[1] == f[1] and cur[23] == "1"
        if cur[6] == f[6]:
            continue
        j = empty.show(f[1])
        assert j["name"] == cur[6], (f[6], cur[6])
        assert j["nta"]["updated"] == cur[4]
        checked += 1
        if checked == 30:
            break
    assert checked == 30
    # Both records are in the history.
    n = fields(lines[0])[1]
    assert empty.sql("SELECT COUNT(*) FROM nta_records WHERE number = ?",
                     (int(n),))[0][0] == 2


def test_history_order_in_a_small_file(empty, tmp_path):
    a, b = new_number(), new_number()
    f = tmp_path / "hist.csv"
    f.write_text(
        nta_row(1, a, "株式会社現在", latest=1, update="2024-06-28") +
        nta_row(2, a, "株式会社旧名", latest=0, update="2016-04-01") +
        nta_row(3, b, "株式会社新名", latest=1, update="2024-06-28") +
        nta_row(4, b, "株式会社古い最新", latest=1, update="2019-01-01"))
    j = import_json(empty, f)
    assert (j["accepted"], j["rejected"]) == (4, 0)
    assert empty.show(a)["name"] == "株式会社現在"
    assert empty.show(b)["name"] == "株式会社新名"
    assert empty.json("org", "search", "旧名", "--json")["orgs"] == []


def test_hidden_rows_are_not_public(empty, tmp_path, serve):
    shown, hidden = new_number(), new_number()
    f = tmp_path / "hidden.csv"
    f.write_text(
        nta_row(1, shown, "株式会社公開商事", kana="コウカイショウジ") +
        nta_row(2, hidden, "株式会社非表示商事", hihyoji=1,
                kana="ヒヒョウジショウジ"))
    j = import_json(empty, f)
    assert (j["accepted"], j["rejected"]) == (2, 0)
    assert empty.show(hidden)["hidden"] is True   # officers see it

    s = serve(empty)
    r = s.get("/orgs/" + shown)
    assert r.status == 200 and "株式会社公開商事" in r.text
    assert "未登録" in r.text                       # listed, not verified
    r = s.get("/orgs/" + hidden)
    assert r.status == 404 and "株式会社非表示商事" not in r.text
    r = s.get("/orgs?q=%E5%95%86%E4%BA%8B")         # 商事
    assert r.status == 200
    assert shown in r.text and hidden not in r.text
    assert "非表示" not in r.text
    r = s.get("/orgs?q=" + hidden)
    assert "/orgs/%s?" % hidden not in r.text
    assert "株式会社非表示商事" not in r.text
    r = s.get("/api/v1/orgs/" + hidden)
    assert r.status == 404 and "非表示" not in r.text
    r = s.get("/api/v1/orgs?q=%E5%95%86%E4%BA%8B")
    assert [o["number"] for o in r.json()["orgs"]] == [shown]
    empty.ok("user", "add", "ra1", "--role", "ra", "--no-password")
    tok = empty.token("ra1")
    r = s.get("/api/v1/orgs/" + hidden, token=tok)
    assert r.status == 200 and r.json()["hidden"] is True
    r = s.get("/api/v1/orgs?q=%E5%95%86%E4%BA%8B", token=tok)
    assert sorted(o["number"] for o in r.json()["orgs"]) == sorted(
        [shown, hidden])


def test_import_of_a_missing_file(empty, tmp_path):
    snap = empty.snapshot()
    r = empty.fail("org", "import", str(tmp_path / "nope.csv"))
    assert "cannot open" in r.err and "nope.csv" in r.err
    r = empty.fail("org", "import", str(tmp_path))
    assert "not a regular file" in r.err
    assert empty.snapshot() == snap


def test_malformed_rows_in_a_small_file(empty, tmp_path):
    good, quoted = new_number(), new_number()
    rows = [
        nta_row(1, good, "株式会社正常"),
        nta_row(2, new_number(), "株式会社日付", update="2024-13-01"),
        nta_row(3, new_number(), "株式会社表示", hihyoji=2),
        nta_row(4, new_number(), "株式会社最新", latest="x"),
        nta_row(5, new_number(), "株式会社\x07制御"),
        nta_row(6, new_number(), ""),
        "only,three,fields\n",
        nta_row(8, quoted, '"株式会社,""引用"""'),
        nta_row(9, new_number(), "株式会社,区切り"),
    ]
    f = tmp_path / "small.csv"
    f.write_bytes("".join(rows).encode())
    j = import_json(empty, f)
    reasons = {r["line"]: r["reason"] for r in j["rejects"]}
    assert reasons[2].startswith("column 5 (updateDate)")
    assert reasons[3].startswith("column 30 (hihyoji)")
    assert reasons[4].startswith("column 24 (latest)")
    assert reasons[5].startswith("column 7 (name): control character")
    assert reasons[6].startswith("column 7 (name): the name is empty")
    assert "3 fields" in reasons[7]
    assert "more than 30 fields" in reasons[9]
    assert 1 not in reasons and 8 not in reasons
    assert (j["accepted"], j["rejected"]) == (2, 7)
    assert empty.show(quoted)["name"] == '株式会社,"引用"'
    assert empty.show(good)["name"] == "株式会社正常"


def test_bom_and_crlf_line_ends(empty, tmp_path):
    # The agency's files may start with a byte order mark and end lines
    # with CRLF; neither makes a row bad or adds a row.
    nums = [new_number() for _ in range(3)]
    text = "".join(nta_row(i + 1, n, "株式会社改行%d" % i).replace("\n", "\r\n")
                   for i, n in enumerate(nums))
    f = tmp_path / "crlf.csv"
    f.write_bytes(b"\xef\xbb\xbf" + text.encode() + b"\r\n")
    j = import_json(empty, f)
    assert (j["lines"], j["accepted"], j["rejected"]) == (3, 3, 0), j
    for i, n in enumerate(nums):
        o = empty.show(n)
        assert o["name"] == "株式会社改行%d" % i
        assert o["hidden"] is False and o["kind"] == "301"


def test_agency_data_updates_a_registered_organization(demo, tmp_path,
                                                       serve):
    # The agency is the authority for legal data: a newer record changes
    # name, address and the hidden flag of a verified organization, but
    # not its status, website or domains.
    from conftest import JIPDEC
    before = demo.show(JIPDEC)
    f = tmp_path / "upd.csv"
    f.write_text(nta_row(1, JIPDEC, "一般財団法人新名称協会", kana="シンメイショウ"))
    j = import_json(demo, f)
    assert j["accepted"] == 1
    after = demo.show(JIPDEC)
    assert after["name"] == "一般財団法人新名称協会"
    assert after["address"] == "東京都千代田区丸の内1丁目1番1号"
    assert after["kind"] == "301"
    for key in ("status", "url", "verified_since", "name_en", "domains",
                "phone"):
        assert after[key] == before[key], key
    assert after["kana"] == "シンメイショウ"
    s = serve(demo)
    assert "一般財団法人新名称協会" in s.get("/orgs/" + JIPDEC).text
    # Hidden by the agency: gone from the public pages, still verified.
    f2 = tmp_path / "hide.csv"
    f2.write_text(nta_row(1, JIPDEC, "一般財団法人新名称協会", hihyoji=1,
                          update="2024-07-01"))
    import_json(demo, f2)
    assert demo.show(JIPDEC)["hidden"] is True
    assert demo.show(JIPDEC)["status"] == "verified"
    assert s.get("/orgs/" + JIPDEC).status == 404
    assert s.get("/api/v1/orgs/" + JIPDEC).status == 404


def test_closed_record_is_shown(empty, tmp_path, serve):
    n = new_number()
    row = nta_row(1, n, "株式会社閉鎖", process="71").split(",")
    row[18] = "2023-03-31"                   # closeDate
    row[19] = "01"                           # closeCause
    f = tmp_path / "closed.csv"
    f.write_text(",".join(row))
    j = import_json(empty, f)
    assert (j["accepted"], j["rejected"]) == (1, 0), j
    o = empty.show(n)
    assert o["nta"]["closed"] == "2023-03-31"
    assert o["nta"]["close_cause"] == "01"
    s = serve(empty)
    t = s.get("/orgs/" + n).text
    assert "登記記録の閉鎖" in t and "2023-03-31" in t
    t = s.get("/orgs/" + n + "?lang=en").text
    assert "Registry record closed" in t
    assert "registry record closed on 2023-03-31" in empty.ok(
        "org", "show", n).out
