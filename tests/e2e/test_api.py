"""The JSON API under /api/v1: authentication, organizations, bad input.
Every refusal is a 4xx with {"error": {code, field, message}} and leaves
the store as it was."""
import hashlib
import json
import os

import pytest

from conftest import (DEMO_ADMIN, DEMO_RA, HIKARI, JIPDEC, SAKURA, api_error,
                      new_number, wrong_check)

ORGS = "/api/v1/orgs"


@pytest.fixture
def api(demo, serve):
    s = serve(demo)
    s.ra = demo.token("ra-suzuki")
    s.admin = demo.token("admin")
    return s


def refused(api, method, path, status, field=None, code=None, **kw):
    """Sends a request that must be refused; checks nothing changed."""
    snap = api.k.snapshot()
    r = api.request(method, path, **kw)
    e = api_error(r, status, field=field, code=code)
    assert api.k.snapshot() == snap, "a refused request changed the store"
    return e


# ---------------------------------------------------------------- auth

def test_token_from_password(api):
    for user, pw, role in (DEMO_RA + ("ra",), DEMO_ADMIN + ("admin",)):
        r = api.post("/api/v1/auth/token", {"user": user, "password": pw})
        assert r.status == 201, r
        j = r.json()
        assert j["user"] == user and j["role"] == role and j["ttl_days"] == 1
        assert j["token"].startswith("kn_") and len(j["token"]) == 46
        assert r.header("Cache-Control") == "no-store"
        # The token works.
        n = new_number()
        r = api.post(ORGS, {"number": n, "name": "株式会社トークン" + role},
                     token=j["token"])
        assert r.status == 201, r
        assert r.json()["status_by"] == "user:" + user
    r = api.post("/api/v1/auth/token", {"user": DEMO_RA[0],
                                        "password": DEMO_RA[1],
                                        "ttl_days": 90})
    assert r.status == 201 and r.json()["ttl_days"] == 90
    # Issued tokens are audited, without the token itself.
    rows = api.k.sql("SELECT actor, detail FROM audit WHERE action = "
                     "'user.token' AND object = 'user:ra-suzuki'")
    assert all(j["token"] not in d for _, d in rows)
    assert [a for a, _ in rows].count("user:ra-suzuki") == 2


@pytest.mark.parametrize("body,status,field", [
    ({"user": "ra-suzuki", "password": "wrong-password"}, 401, None),
    ({"user": "nobody", "password": "kakuin-demo-officer"}, 401, None),
    ({"user": "ra-suzuki", "password": "x" * 5000}, 401, None),
    ({"user": "ra-suzuki"}, 400, "password"),
    ({"password": "kakuin-demo-officer"}, 400, "user"),
    ({"user": "ra-suzuki", "password": 12345678}, 400, "password"),
    ({"user": "ra-suzuki", "password": "kakuin-demo-officer",
      "ttl_days": 0}, 400, "ttl_days"),
    ({"user": "ra-suzuki", "password": "kakuin-demo-officer",
      "ttl_days": 91}, 400, "ttl_days"),
    ({"user": "ra-suzuki", "password": "kakuin-demo-officer",
      "ttl_days": "7"}, 400, "ttl_days"),
])
def test_token_refused(api, body, status, field):
    e = refused(api, "POST", "/api/v1/auth/token", status, field=field,
                json_body=body)
    if status == 401:
        assert e["message"] == "wrong user name or password"


def test_token_endpoint_wants_post(api):
    e = refused(api, "GET", "/api/v1/auth/token", 405)
    assert "use POST" in e["message"]


def test_user_add_list_token(demo, serve):
    r = demo.ok("user", "add", "tanaka", "--role", "ra", "--password-env",
                "PW", env={"PW": "correct horse battery"})
    assert "added ra officer tanaka" in r.out
    r = demo.ok("user", "add", "robot", "--role", "admin", "--no-password")
    users = {u["name"]: u for u in demo.json("user", "list", "--json")}
    assert users["tanaka"]["role"] == "ra" and users["tanaka"]["password"]
    assert users["robot"]["password"] is False
    assert users["tanaka"]["tokens"] == 0
    text = demo.ok("user", "list").out
    assert "tanaka" in text and "robot" in text and "ROLE" in text

    s = serve(demo)
    r = s.post("/api/v1/auth/token", {"user": "tanaka",
                                      "password": "correct horse battery"})
    assert r.status == 201 and r.json()["role"] == "ra"
    # A user without a password cannot log in, but can get a token.
    r = s.post("/api/v1/auth/token", {"user": "robot", "password": "x" * 12})
    api_error(r, 401, code="unauthorized")
    tok = demo.json("user", "token", "robot", "--ttl", "7", "--label",
                    "ci", "--json")
    assert tok["user"] == "robot" and tok["ttl_days"] == 7
    r = s.post(ORGS, {"number": new_number(), "name": "株式会社ロボット"},
               token=tok["token"])
    assert r.status == 201 and r.json()["status_by"] == "user:robot"
    plain = demo.ok("user", "token", "tanaka").out.strip()
    assert plain.startswith("kn_") and len(plain) == 46
    users = {u["name"]: u for u in demo.json("user", "list", "--json")}
    assert users["tanaka"]["tokens"] == 2 and users["robot"]["tokens"] == 1


@pytest.mark.parametrize("args,env,want", [
    (["user", "add", "tanaka", "--role", "boss", "--password-env", "PW"],
     {"PW": "long enough pw"}, "role must be admin or ra"),
    (["user", "add", "Tanaka!", "--role", "ra", "--password-env", "PW"],
     {"PW": "long enough pw"}, "user names are 1-64 characters"),
    (["user", "add", "tanaka", "--role", "ra", "--password-env", "PW"],
     {"PW": "short"}, "a password needs"),
    (["user", "add", "tanaka", "--role", "ra", "--password-env", "NOPE"],
     {}, "environment variable NOPE is not set"),
    (["user", "add", "admin", "--role", "ra", "--no-password"], {},
     "user admin already exists"),
    (["user", "token", "nobody"], {}, "no active user nobody"),
    (["user", "token", "admin", "--ttl", "9999"], {}, "--ttl is a number"),
])
def test_user_commands_refused(demo, args, env, want):
    snap = demo.snapshot()
    r = demo.fail(*args, env=env)
    assert want in r.err
    assert demo.snapshot() == snap


def test_missing_token(api):
    r = api.request("POST", ORGS, json_body={"number": new_number(),
                                             "name": "株式会社無名"})
    e = api_error(r, 401, field="Authorization", code="unauthorized")
    assert "kakuin user token" in e["message"]
    assert r.header("WWW-Authenticate").startswith("Bearer")
    refused(api, "PATCH", ORGS + "/" + SAKURA, 401, field="Authorization",
            json_body={"url": "https://x.example/"})
    refused(api, "POST", ORGS + "/" + SAKURA + "/verify", 401,
            json_body={"reason": "x"})
    refused(api, "GET", ORGS + "/" + SAKURA + "/domains", 401)


@pytest.mark.parametrize("header,field,words", [
    ("Bearer kn_" + "A" * 43, "token", "unknown, expired or revoked"),
    ("Bearer not-a-token", "token", "malformed"),
    ("Bearer ", "token", "malformed"),
    ("Basic cmEtc3V6dWtpOmtha3Vpbi1kZW1vLW9mZmljZXI=", "Authorization",
     "Bearer"),
])
def test_wrong_token(api, header, field, words):
    n = new_number()
    e = refused(api, "POST", ORGS, 401, field=field, code="unauthorized",
                json_body={"number": n, "name": "株式会社偽"},
                headers={"Authorization": header})
    assert words in e["message"]
    # Reads with a bad token are refused too, not served as public.
    refused(api, "GET", ORGS + "/" + JIPDEC, 401,
            headers={"Authorization": header})


def test_expired_token(api):
    tok = api.k.token("ra-suzuki")
    h = hashlib.sha256(tok.encode()).hexdigest()
    c = api.k.db(readonly=False)
    with c:
        n = c.execute("UPDATE tokens SET expires_at = '2001-01-01T00:00:00Z' "
                      "WHERE hash = ?", (h,)).rowcount
    c.close()
    assert n == 1
    e = refused(api, "POST", ORGS, 401, field="token", token=tok,
                json_body={"number": new_number(), "name": "株式会社期限切れ"})
    assert "expired" in e["message"]
    # Other tokens of the same user still work.
    r = api.get(ORGS + "/" + SAKURA, token=api.ra)
    assert r.status == 200 and "history" in r.json()


def test_disabled_user_token(api):
    c = api.k.db(readonly=False)
    with c:
        c.execute("UPDATE users SET disabled_at = '2020-01-01T00:00:00Z' "
                  "WHERE name = 'ra-suzuki'")
    c.close()
    refused(api, "POST", ORGS + "/" + SAKURA + "/verify", 401,
            token=api.ra, json_body={"reason": "x"})
    e = refused(api, "POST", "/api/v1/auth/token", 401,
                json_body={"user": DEMO_RA[0], "password": DEMO_RA[1]})
    assert e["message"] == "wrong user name or password"


def test_ra_and_admin_may_both_act_as_officers(api):
    # Registry changes need role ra; admin includes it.
    for tok in (api.ra, api.admin):
        n = new_number()
        r = api.post(ORGS, {"number": n, "name": "株式会社" + n}, token=tok)
        assert r.status == 201, r
        r = api.post(ORGS + "/" + n + "/verify", {"reason": "確認"},
                     token=tok)
        assert r.status == 200 and r.json()["status"] == "verified"


# ---------------------------------------------------------------- orgs

def test_common_headers(api):
    r = api.get(ORGS + "/" + JIPDEC)
    assert r.header("Cache-Control") == "no-cache"
    for r in (r, api.get(ORGS + "/" + new_number()),
              api.post(ORGS, {"number": new_number(), "name": "株式会社"},
                       token=api.ra)):
        assert r.header("X-Content-Type-Options") == "nosniff", r
        assert r.header("Referrer-Policy") == "same-origin", r
        assert r.body.endswith(b"}\n"), r
    assert r.header("Cache-Control") == "no-store"


def test_hidden_answers_like_unknown(empty, serve, tmp_path):
    from conftest import nta_row
    hidden, unknown = new_number(), new_number()
    f = tmp_path / "h.csv"
    f.write_text(nta_row(1, hidden, "株式会社隠れ", hihyoji=1))
    empty.ok("org", "import", str(f))
    s = serve(empty)
    a = s.get(ORGS + "/" + hidden)
    b = s.get(ORGS + "/" + unknown)
    assert a.status == b.status == 404
    assert a.body.replace(hidden.encode(), b"N") == b.body.replace(
        unknown.encode(), b"N")


def test_add_show_update_status(api):
    n = new_number()
    body = {"number": n, "name": "株式会社エーピーアイ", "name_en": "API K.K.",
            "kana": "エーピーアイ", "postal_code": "100-0001",
            "url": "https://api-kk.example/", "description": "一\n二"}
    r = api.post(ORGS, body, token=api.ra)
    assert r.status == 201, r
    j = r.json()
    assert j["number"] == n and j["status"] == "applied"
    assert j["postal_code"] == "1000001"
    assert j["status_by"] == "user:ra-suzuki"
    assert j["history"][0]["to"] == "applied"
    assert j == api.k.show(n)

    # The public view leaves out the officers' fields.
    pub = api.get(ORGS + "/" + n).json()
    for key in ("status_reason", "status_by", "hidden", "history"):
        assert key not in pub
    assert pub["name"] == "株式会社エーピーアイ" and pub["status"] == "applied"

    r = api.request("PATCH", ORGS + "/" + n, json_body={
        "url": "https://new.api-kk.example/", "name_en": None},
        token=api.admin)
    assert r.status == 200, r
    assert r.json()["url"] == "https://new.api-kk.example/"
    assert r.json()["name_en"] == "API K.K."

    r = api.post(ORGS + "/" + n + "/verify", {"reason": "書類確認済み"},
                 token=api.ra)
    assert r.status == 200 and r.json()["status"] == "verified"
    assert r.json()["status_reason"] == "書類確認済み"
    r = api.post(ORGS + "/" + n + "/suspend", {"reason": "調査中"},
                 token=api.ra)
    assert r.status == 200 and r.json()["status"] == "suspended"
    e = refused(api, "POST", ORGS + "/" + n + "/suspend", 409,
                field="status", code="state", json_body={"reason": "再度"},
                token=api.ra)
    assert "cannot go from suspended to suspended" in e["message"]
    r = api.post(ORGS + "/" + n + "/withdraw", {"reason": "廃業"},
                 token=api.ra)
    assert r.status == 200 and r.json()["status"] == "withdrawn"
    e = refused(api, "POST", ORGS + "/" + n + "/verify", 409, field="status",
                code="state", json_body={"reason": "復活"}, token=api.ra)
    assert "withdrawn" in e["message"]
    e = refused(api, "PATCH", ORGS + "/" + n, 409, field="status",
                json_body={"url": "https://x.example/"}, token=api.ra)
    assert "withdrawn organization cannot be changed" in e["message"]
    actors = api.k.sql("SELECT DISTINCT actor FROM audit WHERE object = ?",
                       ("org:" + n,))
    assert sorted(a for (a,) in actors) == ["user:admin", "user:ra-suzuki"]


def test_list_and_search(api):
    r = api.get(ORGS + "?q=" + "%E3%81%8B%E3%81%8F%E3%81%84%E3%82%93")
    assert r.status == 200
    assert [o["number"] for o in r.json()["orgs"]] == ["4011001099001"]
    r = api.get(ORGS + "?status=suspended")
    assert [o["number"] for o in r.json()["orgs"]] == [HIKARI]
    r = api.get(ORGS + "?limit=2")
    j = r.json()
    assert len(j["orgs"]) == 2 and j["more"] is True and j["limit"] == 2
    r = api.get(ORGS + "?limit=2&offset=4")
    j = r.json()
    assert len(j["orgs"]) == 2 and j["more"] is False and j["offset"] == 4
    # List items are public views without domains (docs/api.md).
    sak = [o for o in api.get(ORGS).json()["orgs"] if o["number"] == SAKURA]
    assert sak and "domains" not in sak[0]
    for key in ("history", "status_reason", "status_by", "hidden"):
        assert key not in sak[0]
    # Without q, every organization that has applied; with status only,
    # that status in number order.
    nums = [o["number"] for o in api.get(ORGS).json()["orgs"]]
    assert len(nums) == 6
    ver = [o["number"] for o in api.get(ORGS + "?status=verified").json()[
        "orgs"]]
    assert ver == sorted(ver) and len(ver) == 4


@pytest.mark.parametrize("query,field", [
    ("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"),
    ("offset=-1", "offset"), ("status=famous", "status"),
    ("q=" + "x" * 101, "q"),
])
def test_bad_list_query(api, query, field):
    refused(api, "GET", ORGS + "?" + query, (400, 413), field=field)


def test_unknown_and_malformed_numbers(api):
    n = new_number()
    e = refused(api, "GET", ORGS + "/" + n, 404, field="number",
                code="not_found")
    assert n in e["message"]
    refused(api, "GET", ORGS + "/" + n, 404, field="number", token=api.ra)
    refused(api, "POST", ORGS + "/" + n + "/verify", 404, field="number",
            json_body={"reason": "x"}, token=api.ra)
    e = refused(api, "GET", ORGS + "/" + wrong_check(JIPDEC), 400,
                field="number", code="invalid")
    assert "wrong check digit" in e["message"]
    refused(api, "GET", ORGS + "/12345", 400, field="number")
    refused(api, "GET", "/api/v1/nothing", 404, code="not_found")
    refused(api, "DELETE", ORGS + "/" + JIPDEC, 405)
    refused(api, "GET", ORGS + "/" + JIPDEC + "/verify", 405)
    r = api.request("PUT", ORGS)
    e = api_error(r, 405, code="method_not_allowed")
    assert e["message"] == "PUT is not allowed here; use GET, POST"
    assert r.header("Allow") is not None
    assert {m.strip() for m in r.header("Allow").split(",")} >= {"GET",
                                                                 "POST"}


def test_add_refused(api):
    good = new_number()
    cases = [
        ({"number": wrong_check(good), "name": "株式会社誤"}, 400, "number",
         "wrong check digit"),
        ({"number": int(good), "name": "株式会社数"}, 400, "number", "string"),
        ({"name": "株式会社番号なし"}, 400, "number", "required"),
        ({"number": good}, 400, "name", "required"),
        ({"number": good, "name": 42}, 400, "name", "must be a string"),
        ({"number": good, "name": "株式会社", "color": "red"}, 400, "color",
         "unknown field color"),
        ({"number": good, "name": "株式会社\u0007"}, 400, "name",
         "control character"),
        ({"number": good, "name": "株式会社\u0000NUL"}, 400, None,
         "\\u0000"),
        ({"number": good, "name": "株式会社\u009b"}, 400, "name",
         "control character"),
        ({"number": good, "name": "株式会社", "kana": "ひらがな"}, 400, "kana",
         "katakana"),
        ({"number": good, "name": "株式会社", "url": "javascript:alert(1)"},
         400, "url", "https://"),
        ({"number": good, "name": "株式会社", "founded": "2024-13-01"}, 400,
         "founded", "calendar date"),
        ({"number": JIPDEC, "name": "偽の財団"}, 409, "number",
         "already registered"),
    ]
    for body, status, field, words in cases:
        e = refused(api, "POST", ORGS, status, field=field, json_body=body,
                    token=api.ra)
        assert words in e["message"], (body, e)
    refused(api, "GET", ORGS + "/" + good, 404)


def test_oversized_field_is_a_bad_field_not_a_big_body(api):
    # A 151-character name in a 500-byte body: the field is at fault, so
    # 400 naming the field; 413 means the whole request was too large.
    n = new_number()
    e = refused(api, "POST", ORGS, 400, field="name", token=api.ra,
                json_body={"number": n, "name": "あ" * 151})
    assert "at most 150" in e["message"]


def test_oversized_field_is_refused(api):
    n = new_number()
    e = refused(api, "POST", ORGS, (400, 413), field="name", token=api.ra,
                json_body={"number": n, "name": "あ" * 151})
    assert "name is too long" in e["message"]
    e = refused(api, "PATCH", ORGS + "/" + SAKURA, (400, 413),
                field="description", token=api.ra,
                json_body={"description": "説" * 2001})
    assert "description is too long" in e["message"]
    refused(api, "GET", ORGS + "/" + n, 404)


def test_update_refused_keeps_record(api):
    before = api.k.show(SAKURA)
    for body, field in (({"number": JIPDEC}, "number"),
                        ({"phone": "call me"}, "phone"),
                        ({"postal_code": "12-34567"}, "postal_code"),
                        ({"name": ""}, "name"),
                        ({"url": ["https://a.example/"]}, "url")):
        refused(api, "PATCH", ORGS + "/" + SAKURA, 400, field=field,
                json_body=body, token=api.ra)
    assert api.k.show(SAKURA) == before


def test_status_change_refused(api):
    p = ORGS + "/" + SAKURA + "/verify"
    for body, field in (({}, "reason"), ({"reason": ""}, "reason"),
                        ({"reason": 1}, "reason"),
                        ({"reason": "ok", "by": "me"}, "by"),
                        ({"reason": "x" * 501}, "reason")):
        refused(api, "POST", p, (400, 413), field=field, json_body=body,
                token=api.ra)
    e = refused(api, "POST", ORGS + "/" + SAKURA + "/suspend", 409,
                field="status", json_body={"reason": "x"}, token=api.ra)
    assert "only verified organizations can be suspended" in e["message"]
    assert api.k.show(SAKURA)["status"] == "applied"


# ---------------------------------------------------------------- bodies

@pytest.mark.parametrize("body,words", [
    (b"{", "malformed JSON"),
    (b'{"number": "1010405009403",}', "malformed JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'"text"', "malformed JSON"),
    (b"", "body is empty"),
    (b'{"name": "a", "name": "b", "number": "1010405009403"}',
     "duplicate object key"),
    (b'{"number": "1010405009403"} trailing', "malformed JSON"),
    (b'{"name": "\xe6\xa0\xaa\xff\xfe"}', "0xff"),
    (b'{"name": "\xc0\xaf"}', "malformed JSON"),
    (b'{"name": "\xed\xa0\x80"}', "malformed JSON"),
])
def test_malformed_body(api, body, words):
    e = refused(api, "POST", ORGS, 400, code="invalid", body=body,
                headers={"Content-Type": "application/json"}, token=api.ra)
    assert words in e["message"]


@pytest.mark.parametrize("ctype", [None, "text/plain",
                                   "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x"])
def test_wrong_content_type(api, ctype):
    h = {"Content-Type": ctype} if ctype else {}
    body = json.dumps({"number": new_number(), "name": "株式会社型"}).encode()
    e = refused(api, "POST", ORGS, 415, field="Content-Type",
                code="unsupported_media_type", body=body, headers=h,
                token=api.ra)
    assert "application/json" in e["message"]


def test_json_content_type_with_charset_is_accepted(api):
    n = new_number()
    body = json.dumps({"number": n, "name": "株式会社文字"}).encode()
    r = api.request("POST", ORGS, body=body, token=api.ra, headers={
        "Content-Type": "application/json; charset=utf-8"})
    assert r.status == 201, r


def test_body_over_the_cap(api):
    cap = 1048576           # max_body in the default kakuin.conf
    pad = "x" * (cap + 10)
    body = json.dumps({"number": new_number(), "name": "株式会社大",
                       "description": pad}).encode()
    e = refused(api, "POST", ORGS, 413, code="too_big", body=body,
                headers={"Content-Type": "application/json"}, token=api.ra)
    assert str(cap) in e["message"]
    # Without a Content-Length (chunked), the cap holds as well.
    e = refused(api, "POST", ORGS, 413, code="too_big", body=body,
                headers={"Content-Type": "application/json"}, token=api.ra,
                chunked=True)
    # Unauthenticated oversized bodies too.
    refused(api, "POST", "/api/v1/auth/token", 413, body=body,
            headers={"Content-Type": "application/json"})
    # The server is still serving.
    assert api.get("/healthz").status == 200


def test_configured_body_cap(demo, serve):
    conf = os.path.join(demo.dir, "kakuin.conf")
    text = open(conf).read().replace("max_body = 1048576", "max_body = 2048")
    open(conf, "w").write(text)
    s = serve(demo)
    tok = demo.token("ra-suzuki")
    n = new_number()
    small = {"number": n, "name": "株式会社小", "description": "d" * 1500}
    big = {"number": new_number(), "name": "株式会社大", "description":
           "d" * 2100}
    r = s.post(ORGS, big, token=tok)
    e = api_error(r, 413, code="too_big")
    assert "2048" in e["message"]
    r = s.post(ORGS, small, token=tok)
    assert r.status == 201, r


def test_chunked_body_under_the_cap_is_accepted(api):
    n = new_number()
    body = json.dumps({"number": n, "name": "株式会社分割",
                       "description": "z" * 1999}).encode()
    r = api.request("POST", ORGS, body=body, chunked=True, token=api.ra,
                    headers={"Content-Type": "application/json"})
    assert r.status == 201, r
    assert api.k.show(n)["description"] == "z" * 1999


def test_user_password_from_standard_input(demo, serve):
    r = demo.ok("user", "add", "kimura", "--role", "ra",
                input=b"kimura-password-1\n")
    assert "added ra officer kimura" in r.out
    s = serve(demo)
    r = s.post("/api/v1/auth/token", {"user": "kimura",
                                      "password": "kimura-password-1"})
    assert r.status == 201 and r.json()["user"] == "kimura"
    r = s.post("/api/v1/auth/token", {"user": "kimura",
                                      "password": "kimura-password-1\n"})
    assert r.status == 401
