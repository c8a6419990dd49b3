"""The hash-chained audit log: intact after real work, and every kind of
tampering with the SQLite file is found and named."""
import sqlite3

import pytest

from conftest import SAKURA, Kakuin, add_org, audit_hash, gen_nta


@pytest.fixture
def busy(demo, tmp_path):
    """A demo registry after a round of ordinary work."""
    n = add_org(demo, name="株式会社監査")
    demo.ok("org", "update", n, "--url", "https://audit.example/")
    demo.ok("org", "verify", n, "--reason", "確認")
    demo.ok("org", "domain", "add", n, "audit.example")
    demo.ok("org", "suspend", n, "--reason", "調査")
    demo.ok("org", "withdraw", SAKURA, "--reason", "申請取り下げ")
    demo.ok("user", "add", "auditor", "--role", "ra", "--no-password")
    demo.token("auditor")
    f = tmp_path / "small.csv"
    gen_nta(f, "-n", 300, "-b", 3)
    demo.ok("org", "import", str(f), "--batch", "100")
    return demo


def rows(k):
    return k.sql("SELECT seq, at, actor, action, object, detail, prev, hash "
                 "FROM audit ORDER BY seq")


def test_intact_after_operations(busy):
    r = busy.ok("audit", "verify")
    n = busy.audit_rows()
    assert n >= 40
    assert "audit log intact: %d records, every link checked." % n in r.out
    j = busy.json("audit", "verify", "--json")
    assert j["intact"] is True and j["rows"] == n
    all_rows = rows(busy)
    assert j["head"] == all_rows[-1][7]
    assert j["head"] in r.out


def test_chain_matches_an_independent_computation(busy):
    prev = "0" * 64
    for seq, at, actor, action, obj, detail, p, h in rows(busy):
        assert p == prev, seq
        assert audit_hash(seq, at, actor, action, obj, detail, p) == h, seq
        prev = h
    assert busy.sql("SELECT seq, hash FROM audit_head") == [
        (busy.audit_rows(), prev)]


def test_list_shows_who_did_what(busy):
    acts = busy.json("audit", "list", "--limit", "1000", "--json")
    assert len(acts) == busy.audit_rows()
    seen = {(a["action"], a["object"]) for a in acts}
    assert ("org.status.withdrawn", "org:" + SAKURA) in seen
    assert ("user.add", "user:auditor") in seen
    assert any(a["action"] == "org.import.start" for a in acts)
    w = [a for a in acts if a["action"] == "org.status.withdrawn"][0]
    assert w["detail"] == {"from": "applied", "to": "withdrawn",
                           "reason": "申請取り下げ"}
    last = busy.json("audit", "list", "--limit", "3", "--json")
    assert [a["seq"] for a in last] == [a["seq"] for a in acts[-3:]]
    text = busy.ok("audit", "list", "--limit", "5").out
    assert len(text.splitlines()) == 5


def tamper(k, *statements):
    c = sqlite3.connect(k.dbpath)
    try:
        for s in statements:
            c.execute(s[0], s[1:]) if isinstance(s, tuple) else c.execute(s)
        c.commit()
    finally:
        c.close()


def test_changed_middle_row_is_found(busy):
    n = busy.audit_rows()
    mid = n // 2
    tamper(busy, "DROP TRIGGER audit_no_update",
           ("UPDATE audit SET detail = ? WHERE seq = ?",
            '{"reason":"改ざん"}', mid))
    r = busy.fail("audit", "verify")
    assert "audit log BROKEN at record %d: row %d was changed after it was " \
        "written" % (mid, mid) in r.out
    assert "%d records before it are intact" % (mid - 1) in r.out
    j = busy.run("audit", "verify", "--json").json()
    assert j["intact"] is False and j["broken_at"] == mid
    assert j["rows"] == mid - 1


def test_changed_row_with_recomputed_hash_breaks_the_next_link(busy):
    all_rows = rows(busy)
    mid = len(all_rows) // 2
    seq, at, actor, action, obj, detail, prev, _ = all_rows[mid - 1]
    actor2 = "local:someone-else"
    h2 = audit_hash(seq, at, actor2, action, obj, detail, prev)
    tamper(busy, "DROP TRIGGER audit_no_update",
           ("UPDATE audit SET actor = ?, hash = ? WHERE seq = ?", actor2, h2,
            mid))
    r = busy.fail("audit", "verify")
    assert "BROKEN at record %d: row %d does not link to the hash of row " \
        "%d" % (mid + 1, mid + 1, mid) in r.out


def test_deleted_last_row_is_found(busy):
    n = busy.audit_rows()
    tamper(busy, "DROP TRIGGER audit_no_delete",
           ("DELETE FROM audit WHERE seq = ?", n))
    r = busy.fail("audit", "verify")
    assert "BROKEN at record %d" % n in r.out
    assert "the log ends at row %d but %d rows were written" % (n - 1, n) \
        in r.out
    assert busy.run("audit", "verify", "--json").json()["broken_at"] == n


def test_deleted_middle_row_is_found(busy):
    tamper(busy, "DROP TRIGGER audit_no_delete",
           ("DELETE FROM audit WHERE seq = ?", 7))
    r = busy.fail("audit", "verify")
    assert "BROKEN at record 7: row 7 is missing (next row present is 8)" \
        in r.out


def test_store_refuses_direct_changes(busy):
    before = rows(busy)
    c = sqlite3.connect(busy.dbpath)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        c.execute("UPDATE audit SET detail = '{}' WHERE seq = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        c.execute("DELETE FROM audit WHERE seq = (SELECT MAX(seq) "
                  "FROM audit)")
    c.rollback()
    c.close()
    assert rows(busy) == before
    busy.ok("audit", "verify")


def test_verify_after_refused_requests(demo):
    # Refused commands add no audit rows; the log stays intact.
    n = demo.audit_rows()
    demo.fail("org", "add", "--number", SAKURA, "--name", "重複")
    demo.fail("org", "suspend", SAKURA, "--reason", "x")
    demo.fail("org", "domain", "add", SAKURA, "bad..example")
    assert demo.audit_rows() == n
    demo.ok("audit", "verify")


def test_verify_without_a_store_exits_2(tmp_path):
    r = Kakuin(tmp_path / "missing").run("audit", "verify")
    assert r.rc == 2
    assert "kakuin init" in r.err
