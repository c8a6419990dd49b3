"""kakuin serve: health, access log, clean stops, public pages."""
import json
import re
import signal
import socket
import subprocess
import urllib.parse

import pytest

from conftest import (HIKARI, JIPDEC, KAKUIN, KAKUIN_SHOJI, MINATO, SAKURA,
                      SAPPORO, add_org, base_env, new_number,
                      wrong_check)

SIGNALS = [signal.SIGTERM, signal.SIGINT]


def q(s):
    return urllib.parse.quote(s)


def test_healthz_and_version(demo, serve):
    s = serve(demo)
    r = s.get("/healthz")
    assert r.status == 200
    j = r.json()
    out = subprocess.run([KAKUIN, "--version"], capture_output=True,
                         text=True).stdout.split()
    assert j == {"status": "ok", "version": out[-1]}
    assert r.header("Content-Type") == "application/json"
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert "listening on http://127.0.0.1:%d" % s.port in s.stderr()


def test_access_log(demo, serve, tmp_path):
    log = tmp_path / "access.log"
    s = serve(demo, access_log=log)
    tok = demo.token("ra-suzuki")
    s.get("/healthz")
    s.get("/orgs/" + JIPDEC + "?lang=en")
    s.get("/orgs/" + new_number())
    s.post("/api/v1/orgs/%s/verify" % SAKURA, {"reason": "ログ"}, token=tok)
    s.post("/api/v1/auth/token", {"user": "ra-suzuki", "password": "bad"})
    assert s.stop() == 0
    lines = log.read_text().splitlines()
    pat = re.compile(r'^127\.0\.0\.1 - (\S+) \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d '
                     r'\+0000\] "(\w+) (\S+)" (\d{3}) (\d+) [0-9.]+( aborted)?$')
    got = []
    for line in lines:
        m = pat.match(line)
        assert m, line
        got.append((m.group(1), m.group(2), m.group(3), m.group(4)))
    assert ("-", "GET", "/orgs/" + JIPDEC, "200") in got
    assert ("ra-suzuki", "POST", "/api/v1/orgs/%s/verify" % SAKURA,
            "200") in got
    assert ("-", "POST", "/api/v1/auth/token", "401") in got
    assert sum(1 for g in got if g[3] == "404") == 1
    # The token itself is never logged.
    assert tok not in log.read_text()


def test_access_log_to_stderr_by_default(demo, serve):
    s = serve(demo)
    s.get("/orgs?lang=en")
    s.stop()
    assert re.search(r'"GET /orgs" 200 \d+', s.stderr())


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_signal_stops_cleanly(demo, serve, sig):
    s = serve(demo)
    assert s.get("/healthz").status == 200
    assert s.stop(sig) == 0
    err = s.stderr()
    assert "%s received" % sig.name in err
    assert err.rstrip().endswith("kakuin serve: stopped")


def start_request_in_flight(s):
    """Sends a request the server has begun (it answered 100 Continue)
    and whose body it has; returns the socket to read the answer from."""
    body = json.dumps({"user": "ra-suzuki",
                       "password": "kakuin-demo-officer"}).encode()
    c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    c.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: kakuin\r\n"
              b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body))
    assert c.recv(100).startswith(b"HTTP/1.1 100")
    c.sendall(body)
    return c


def read_all(c):
    data = b""
    try:
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
    except OSError:
        pass
    c.close()
    return data


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_signal_with_a_request_in_flight_exits_cleanly(demo, serve, sig):
    s = serve(demo)
    c = start_request_in_flight(s)
    s.proc.send_signal(sig)
    rc = s.proc.wait(60)
    read_all(c)
    assert rc == 0
    err = s.stderr()
    assert "%s received, finishing requests in flight" % sig.name in err
    assert err.rstrip().endswith("kakuin serve: stopped")


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_request_in_flight_gets_its_answer(demo, serve, sig):
    # "finishing requests in flight": a request the server has begun is
    # answered before it exits (here: a login, which also issues a token).
    s = serve(demo)
    c = start_request_in_flight(s)
    s.proc.send_signal(sig)
    data = read_all(c)
    assert s.proc.wait(60) == 0
    assert data.startswith(b"HTTP/1.1 201"), (data, s.stderr())
    assert b'"token":"kn_' in data


def test_second_server_on_the_same_port(demo, serve):
    s = serve(demo)
    r = subprocess.run([KAKUIN, "-d", demo.dir, "serve", "--listen",
                        "127.0.0.1:%d" % s.port], capture_output=True,
                       text=True, env=base_env(), timeout=60)
    assert r.returncode == 1
    assert "cannot listen on 127.0.0.1:%d" % s.port in r.stderr
    assert s.get("/healthz").status == 200


def test_bad_listen_address(demo):
    r = demo.fail("serve", "--listen", "localhost")
    assert "expected ADDR:PORT" in r.err


# ---------------------------------------------------------------- pages

def test_org_page_in_japanese_and_english(demo, serve):
    s = serve(demo)
    r = s.get("/orgs/" + JIPDEC)
    assert r.status == 200
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert "default-src 'self'" in r.header("Content-Security-Policy")
    t = r.text
    assert '<html lang="ja">' in t
    assert "<h1>一般財団法人日本情報経済社会推進協会</h1>" in t
    assert "確認済み" in t and "jipdec.example" in t
    assert "mail.jipdec.example" in t and "デモデータ" in t
    assert "〒106-6117" in t and "東京都港区六本木一丁目９番９号" in t
    assert JIPDEC in t

    for r in (s.get("/orgs/" + JIPDEC + "?lang=en"),
              s.get("/orgs/" + JIPDEC, headers={
                  "Accept-Language": "en-US,en;q=0.8"})):
        t = r.text
        assert r.status == 200 and '<html lang="en">' in t
        assert "<h1>JIPDEC</h1>" in t
        assert "Verified" in t and "kakuin has verified" in t
        assert "1-9-9 Roppongi, Minato-ku, Tokyo" in t
        assert "demo data" in t


@pytest.mark.parametrize("number,ja,en", [
    (SAKURA, "審査中", "Under review"),
    (HIKARI, "一時停止", "Suspended"),
])
def test_status_is_shown(demo, serve, number, ja, en):
    s = serve(demo)
    t = s.get("/orgs/" + number).text
    assert ja in t and 'class="badge verified"' not in t
    t = s.get("/orgs/" + number + "?lang=en").text
    assert en in t
    # No unproven domain is shown as verified.
    if number == SAKURA:
        assert "sakura-mail.example" not in t.split('id="domains"')[1]
        assert "No verified domains." in t


def test_status_change_shows_on_the_page(demo, serve):
    s = serve(demo)
    demo.ok("org", "suspend", KAKUIN_SHOJI, "--reason", "確認中")
    t = s.get("/orgs/" + KAKUIN_SHOJI + "?lang=en").text
    assert 'class="badge suspended"' in t and "Verification is suspended" \
        in t
    demo.ok("org", "withdraw", KAKUIN_SHOJI, "--reason", "廃業")
    t = s.get("/orgs/" + KAKUIN_SHOJI).text
    assert "登録抹消" in t
    assert "kakuin-shoji.example" not in t.split('id="domains"')[1]


def test_search_page(demo, serve):
    s = serve(demo)
    r = s.get("/orgs?q=" + q("かくいん"))
    assert r.status == 200
    assert 'href="/orgs/%s?lang=ja"' % KAKUIN_SHOJI in r.text
    assert "株式会社かくいん商事" in r.text
    r = s.get("/orgs?lang=en&q=" + q("さっぽろし"))
    assert 'href="/orgs/%s?lang=en"' % SAPPORO in r.text
    assert "Sapporo City" in r.text
    r = s.get("/orgs?q=" + q("minato-keiyaku.example"))
    assert 'href="/orgs/%s' % MINATO in r.text
    r = s.get("/orgs?q=" + q("該当なしの名前"))
    assert r.status == 200 and "該当する組織は見つかりませんでした" in r.text
    # Without a query: the verified organizations only.
    t = s.get("/orgs").text
    for n in (JIPDEC, KAKUIN_SHOJI, MINATO, SAPPORO):
        assert "/orgs/%s?" % n in t
    for n in (SAKURA, HIKARI):
        assert "/orgs/%s?" % n not in t
    # The query is echoed escaped.
    t = s.get("/orgs?q=" + q('"><script>alert(1)</script>')).text
    assert "<script>alert(1)</script>" not in t
    assert "&lt;script&gt;" in t


def test_names_are_escaped_on_pages(demo, serve):
    n = add_org(demo, name="<script>alert('x')</script> & Co")
    demo.ok("org", "verify", n, "--reason", "<b>ok</b>")
    s = serve(demo)
    for t in (s.get("/orgs/" + n).text, s.get("/orgs?q=" + q("alert")).text):
        assert "<script>alert" not in t
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" \
            in t


def test_unknown_hidden_and_malformed_org_pages(demo, serve):
    s = serve(demo)
    r = s.get("/orgs/" + new_number())
    assert r.status == 404 and "見つかりません" in r.text
    r = s.get("/orgs/" + new_number() + "?lang=en")
    assert r.status == 404 and "Not found" in r.text
    r = s.get("/orgs/" + wrong_check(JIPDEC))
    assert r.status == 404 and "法人番号が正しくありません" in r.text
    r = s.get("/orgs/abc")
    assert r.status == 404
    r = s.get("/nowhere")
    assert r.status == 404
    r = s.request("POST", "/orgs/" + JIPDEC, body=b"x")
    assert r.status == 405


def test_root_redirects_and_static_files(demo, serve):
    s = serve(demo)
    r = s.get("/")
    assert r.status == 303 and r.header("Location") == "/orgs?lang=ja"
    r = s.get("/", headers={"Accept-Language": "en"})
    assert r.header("Location") == "/orgs?lang=en"
    r = s.get("/static/kakuin.css")
    assert r.status == 200 and r.header("Content-Type").startswith("text/css")
    etag = r.header("ETag")
    assert etag
    r2 = s.get("/static/kakuin.css", headers={"If-None-Match": etag})
    assert r2.status == 304 and r2.body == b""
    assert s.get("/static/nothing.css").status == 404
    assert s.get("/static/../kakuin.conf").status == 404


def test_server_sees_changes_made_by_the_cli(demo, serve):
    s = serve(demo)
    n = new_number()
    assert s.get("/api/v1/orgs/" + n).status == 404
    demo.ok("org", "add", "--number", n, "--name", "株式会社同時")
    r = s.get("/api/v1/orgs/" + n)
    assert r.status == 200 and r.json()["name"] == "株式会社同時"


def test_search_page_paging(empty, serve, tmp_path):
    import html
    from conftest import gen_nta
    f = tmp_path / "many.csv"
    gen_nta(f, "-n", 300, "-s", 3)
    empty.ok("org", "import", str(f))
    total = empty.sql("SELECT COUNT(*) FROM orgs WHERE name LIKE '%会社%'")[
        0][0]
    assert total > 100
    s = serve(empty)
    seen = []
    path = "/orgs?lang=ja&q=" + q("会社")
    for _ in range(10):
        t = s.get(path).text
        page = re.findall(r'<li><a href="/orgs/(\d{13})\?lang=ja">', t)
        assert 0 < len(page) <= 50
        seen += page
        m = re.search(r'<a class="more" href="([^"]+)">さらに表示</a>', t)
        if not m:
            break
        path = html.unescape(m.group(1))
    assert len(seen) == total and len(set(seen)) == total


def test_language_switch_keeps_the_search(demo, serve):
    s = serve(demo)
    t = s.get("/orgs?q=" + q("かくいん")).text
    m = re.search(r'id="lang-switch" hreflang="en" href="([^"]+)"', t)
    assert m, t
    import html
    link = html.unescape(m.group(1))
    t2 = s.get(link).text
    assert '<html lang="en">' in t2
    assert "Kakuin Trading Co., Ltd." in t2
