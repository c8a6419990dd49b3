"""The same registry on PostgreSQL (KAKUIN_TEST_PG): a representative
subset of the SQLite tests, each in a fresh database."""
import os

import pytest

from conftest import (Kakuin, api_error, gen_nta, new_number, psql, unique)

PREFIX = "kakuin-domain-verification="


@pytest.fixture
def pg(tmp_path, pg_store):
    k = Kakuin(tmp_path / "pg")
    r = k.ok("init", "--store", pg_store)
    assert "store %s" % pg_store in r.out
    k.url = pg_store
    return k


def pg_rows(k, sql):
    out = psql(k.url, sql).stdout.strip()
    return out.splitlines() if out else []


def test_pg_registry(pg):
    assert not os.path.exists(os.path.join(pg.dir, "kakuin.db"))
    n = new_number()
    j = pg.json("org", "add", "--number", n, "--name", "株式会社ポスグレ",
                "--kana", "ポスグレ", "--name-en", "Postgres K.K.", "--json")
    assert j["status"] == "applied"
    assert pg_rows(pg, "SELECT name, status FROM orgs WHERE number = %s" % n) \
        == ["株式会社ポスグレ|applied"]
    pg.ok("org", "verify", n, "--reason", "確認済み")
    pg.ok("org", "suspend", n, "--reason", "調査")
    audit = pg_rows(pg, "SELECT COUNT(*) FROM audit")
    r = pg.fail("org", "suspend", n, "--reason", "again")
    assert "cannot go from suspended to suspended" in r.err
    r = pg.fail("org", "add", "--number", n, "--name", "重複")
    assert "already registered" in r.err
    assert pg_rows(pg, "SELECT COUNT(*) FROM audit") == audit
    j = pg.show(n)
    assert j["status"] == "suspended"
    assert [h["to"] for h in j["history"]] == ["applied", "verified",
                                              "suspended"]
    found = pg.json("org", "search", "ぽすぐれ", "--json")["orgs"]
    assert [o["number"] for o in found] == [n]
    found = pg.json("org", "search", "postgres k", "--json")["orgs"]
    assert [o["number"] for o in found] == [n]
    r = pg.ok("audit", "verify")
    assert "audit log intact: %s records" % audit[0] in r.out


def test_pg_domain_check(pg, unbound):
    pg.env["KAKUIN_RESOLVER"] = unbound.resolver
    a, b = new_number(), new_number()
    for n in (a, b):
        pg.ok("org", "add", "--number", n, "--name", "株式会社" + n)
    dom = unique("pg") + ".e2e.example"
    rec = "_kakuin-challenge." + dom
    value = pg.json("org", "domain", "add", a, dom, "--json")["challenge"][
        "value"]
    r = pg.fail("org", "domain", "check", a, dom)
    assert "no TXT record at " + rec in r.err
    unbound.add_txt(rec, PREFIX + "nope")
    r = pg.fail("org", "domain", "check", a, dom)
    assert "none with this domain's token" in r.err
    unbound.add_txt(rec, value)
    r = pg.ok("org", "domain", "check", a, dom)
    assert "is verified" in r.out
    d = pg.show(a)["domains"][0]
    assert d["verified"] and d["method"] == "dns-txt" and value in d[
        "evidence"]
    r = pg.fail("org", "domain", "add", b, dom)
    assert "already verified for another organization (%s)" % a in r.err
    pg.ok("org", "withdraw", a, "--reason", "撤退")
    pg.ok("org", "domain", "add", b, dom)
    unbound.remove(rec)
    pg.ok("audit", "verify")


def test_pg_import(pg, tmp_path):
    f = tmp_path / "nta.csv"
    bad = gen_nta(f, "-n", 3000, "-b", 10, "-H")
    nlines = sum(1 for _ in open(f, "rb"))
    r = pg.run("org", "import", str(f), "--batch", "500", "--stop-after",
               "1700", "--json")
    assert r.rc != 0 and "stopped after 1700 lines" in r.err
    assert pg_rows(pg, "SELECT line FROM imports") == ["1500"]
    j = pg.json("org", "import", str(f), "--batch", "500", "--json",
                "--rejects", str(tmp_path / "rej"))
    assert j["resumed_at"] == 1500
    assert j["lines"] == nlines and j["rejected"] == 10
    assert j["accepted"] == nlines - 10
    assert [x["line"] for x in j["rejects"]] == sorted(bad)
    assert pg_rows(pg, "SELECT COUNT(*) FROM nta_records") == [
        str(nlines - 10)]
    assert pg_rows(pg, "SELECT COUNT(*) FROM orgs WHERE status = 'listed'") \
        == ["2990"]
    again = pg.json("org", "import", str(f), "--json")
    assert again["already_done"] is True
    pg.ok("audit", "verify")


def test_pg_audit_tampering(pg):
    for _ in range(3):
        n = new_number()
        pg.ok("org", "add", "--number", n, "--name", "株式会社" + n)
        pg.ok("org", "verify", n, "--reason", "ok")
    total = int(pg_rows(pg, "SELECT COUNT(*) FROM audit")[0])
    pg.ok("audit", "verify")
    r = psql(pg.url, "UPDATE audit SET detail = '{}' WHERE seq = 2",
             check=False)
    assert r.returncode != 0 and "append-only" in r.stderr
    r = psql(pg.url, "DELETE FROM audit WHERE seq = %d" % total, check=False)
    assert r.returncode != 0 and "append-only" in r.stderr
    pg.ok("audit", "verify")

    psql(pg.url, "ALTER TABLE audit DISABLE TRIGGER audit_no_change; "
         "UPDATE audit SET actor = 'local:mallory' WHERE seq = 3")
    r = pg.fail("audit", "verify")
    assert "BROKEN at record 3: row 3 was changed" in r.out
    psql(pg.url, "DELETE FROM audit WHERE seq >= 3")
    r = pg.fail("audit", "verify")
    assert "BROKEN at record 3" in r.out
    assert "rows at the end were deleted" in r.out


def test_pg_server(pg, serve):
    pg.ok("user", "add", "ra1", "--role", "ra", "--password-env", "PW",
          env={"PW": "pg-password-123"})
    s = serve(pg)
    assert s.get("/healthz").json()["status"] == "ok"
    r = s.post("/api/v1/auth/token", {"user": "ra1",
                                      "password": "pg-password-123"})
    assert r.status == 201
    tok = r.json()["token"]
    n = new_number()
    r = s.post("/api/v1/orgs", {"number": n, "name": "株式会社ウェブ"},
               token=tok)
    assert r.status == 201, r
    api_error(s.post("/api/v1/orgs", {"number": n, "name": "株式会社ウェブ"},
                     token=tok), 409, field="number")
    r = s.post("/api/v1/orgs/%s/verify" % n, {"reason": "確認"}, token=tok)
    assert r.status == 200 and r.json()["status"] == "verified"
    t = s.get("/orgs/" + n).text
    assert "株式会社ウェブ" in t and "確認済み" in t
    assert s.stop() == 0
    pg.ok("audit", "verify")


def test_pg_store_gone_is_reported(pg, serve):
    s = serve(pg)
    assert s.get("/healthz").status == 200
    db = pg.url.rpartition("/")[2]
    from conftest import PG_URL
    psql(PG_URL, "DROP DATABASE %s WITH (FORCE)" % db)
    r = s.get("/healthz")
    assert r.status == 503
    assert r.json() == {"status": "unavailable", "store": "unreachable"}
    r = s.get("/api/v1/orgs")
    assert 500 <= r.status < 600
    assert "error" in r.json()
    assert s.stop() == 0


def test_pg_server_recovers_after_connections_drop(pg, serve):
    # PostgreSQL restarts, fails over, or an operator terminates sessions:
    # the server's next requests must reconnect rather than fail forever.
    n = new_number()
    pg.ok("org", "add", "--number", n, "--name", "株式会社再接続")
    s = serve(pg)
    for _ in range(4):                  # touch every worker's connection
        assert s.get("/healthz").status == 200
    db = pg.url.rpartition("/")[2]
    from conftest import PG_URL
    killed = psql(PG_URL, "SELECT COUNT(pg_terminate_backend(pid)) FROM "
                  "pg_stat_activity WHERE datname = '%s'" % db).stdout
    assert int(killed) >= 1
    # Each worker notices its connection is gone before using it: no
    # request fails.
    statuses = [s.get("/api/v1/orgs/" + n).status for _ in range(6)]
    assert statuses == [200] * 6, statuses
    assert s.get("/healthz").status == 200
