"""Regressions from the security and correctness review of the registry:
each test shows a behaviour a user or an attacker would notice."""
import os
import stat
import threading
import time

from conftest import (Kakuin, api_error, add_org, init_dir, psql, unique)


def test_audit_verify_is_not_fooled_by_concurrent_writes(demo, serve):
    # The chain is read from one snapshot: a writer committing between
    # reading the rows and the head must not look like tampering.
    s = serve(demo)
    token = demo.token("ra-suzuki")
    n = add_org(demo)
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            s.post("/api/v1/orgs/%s/domains" % n, token=token,
                   json_body={"domain": "w%d.%s.example" % (i, unique())})
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        verdicts = [demo.run("audit", "verify") for _ in range(25)]
    finally:
        stop.set()
        t.join()
    broken = [v for v in verdicts if v.rc != 0]
    assert not broken, broken[0]
    assert demo.audit_rows() > 30


def test_junk_authorization_does_not_lift_the_body_cap(demo, serve):
    # Only a valid token earns the 1 MiB cap; anything else gets 16 KiB.
    s = serve(demo)
    big = b'{"number":"' + b"1" * 100000 + b'"}'
    r = s.request("POST", "/api/v1/orgs", body=big,
                  headers={"Authorization": "Bearer junk",
                           "Content-Type": "application/json"})
    api_error(r, 413)
    assert "valid token" in r.json()["error"]["message"]
    # A valid token may send the larger body (and gets a field error).
    r = s.request("POST", "/api/v1/orgs", body=big,
                  token=demo.token("ra-suzuki"),
                  headers={"Content-Type": "application/json"})
    api_error(r, 400, field="number")


def test_store_password_never_printed_and_config_private(tmp_path,
                                                         pg_store):
    # A password in the store URL is not echoed, and kakuin.conf (which
    # holds it) is readable by its owner only.
    base, _, rest = pg_store.partition("://")
    user, _, hostpart = rest.partition("@")
    psql(pg_store, "ALTER USER %s PASSWORD 's3cret-pw'" % user)
    url = "%s://%s:s3cret-pw@%s" % (base, user, hostpart)
    r = Kakuin(tmp_path / "d").run("init", "--store", url)
    assert r.rc == 0, r
    assert "s3cret-pw" not in r.out + r.err, r
    assert ":***@" in r.out, r
    mode = stat.S_IMODE(os.stat(tmp_path / "d" / "kakuin.conf").st_mode)
    assert mode == 0o600, oct(mode)


def test_unknown_store_kind_is_not_echoed_with_its_password(tmp_path):
    r = Kakuin(tmp_path / "d").run("init", "--store",
                                   "mysql://u:topsecret@db/x")
    assert r.rc == 1
    assert "topsecret" not in r.err and "no kind of store" in r.err, r


def test_access_log_cannot_be_forged(demo, serve, tmp_path):
    log = tmp_path / "access.log"
    s = serve(demo, access_log=log)
    forged = '1.2.3.4 - admin [x] "POST /api/v1/orgs" 201'
    s.get("/x%0a" + forged.replace(" ", "%20").replace('"', "%22"))
    s.get("/healthz")
    s.stop()
    lines = log.read_text().splitlines()
    assert not any(l.startswith("1.2.3.4") for l in lines), lines
    assert any("\\x0a" in l for l in lines), lines


def test_disabled_user_and_revoked_tokens_stop_working(demo, serve):
    s = serve(demo)
    t1 = demo.token("ra-suzuki")
    assert s.post("/api/v1/orgs", token=t1, json_body={}).status == 400
    r = demo.ok("user", "revoke-tokens", "ra-suzuki")
    assert "revoked 1 token" in r.out, r
    api_error(s.post("/api/v1/orgs", token=t1, json_body={}), 401)
    t2 = demo.token("ra-suzuki")
    demo.ok("user", "disable", "ra-suzuki")
    api_error(s.post("/api/v1/orgs", token=t2, json_body={}), 401)
    r = demo.fail("user", "token", "ra-suzuki")
    assert "no active user" in r.err, r
    r = s.post("/api/v1/auth/token", json_body={
        "user": "ra-suzuki", "password": "kakuin-demo-officer"})
    api_error(r, 401)
    actions = [row[0] for row in demo.sql(
        "SELECT action FROM audit ORDER BY seq DESC LIMIT 3")]
    assert "user.disable" in actions and "user.tokens_revoked" in actions


def test_not_found_page_links_only_to_this_site(demo, serve):
    s = serve(demo)
    r = s.get("//evil.example/x")
    assert r.status == 404
    assert "evil.example/x?" not in r.text, r.text


def test_password_guessing_is_throttled(demo, serve):
    s = serve(demo)
    for _ in range(5):
        r = s.post("/api/v1/auth/token", json_body={
            "user": "admin", "password": "wrong-password-guess"})
        api_error(r, 401)
    r = s.post("/api/v1/auth/token", json_body={
        "user": "admin", "password": "kakuin-demo-admin"})
    api_error(r, 429, field="user")
    # Other users are not affected.
    r = s.post("/api/v1/auth/token", json_body={
        "user": "ra-suzuki", "password": "kakuin-demo-officer"})
    assert r.status == 201, r


def test_error_messages_stay_valid_utf8(demo, serve):
    s = serve(demo)
    n = add_org(demo)
    r = s.post("/api/v1/orgs/%s/domains/%%ff.example/check" % n,
               token=demo.token("ra-suzuki"))
    e = api_error(r, 400, field="domain")
    assert "?" in e["message"], e


def test_user_list_flags_on_postgres(tmp_path, pg_store):
    k = init_dir(tmp_path / "d", "--store", pg_store, "--demo")
    k.ok("user", "disable", "ra-suzuki")
    users = {u["name"]: u for u in k.json("user", "list", "--json")}
    assert users["admin"]["password"] is True
    assert users["ra-suzuki"]["disabled"] is True
    assert users["admin"]["disabled"] is False
