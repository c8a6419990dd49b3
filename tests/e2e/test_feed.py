"""The signed feed of verified mail domains (/feed/mail-domains), fetched
the way a receiving mail service fetches it (curl, and Python's HTTP
client for the headers) from `kakuin serve`, and checked with `openssl cms
-verify`: an organization that proved a mail domain through the real DNS
server is in it with its corporate number and names; a suspended
organization's domain is not; HTTP caching and conditional requests work;
the feed changes when a domain is released; `kakuin feed verify` agrees
with openssl, and refuses a changed feed or another trust center's."""
import email.utils
import json
import re
import subprocess
import time

import pytest

from conftest import KAKUIN_SHOJI, MINATO, add_org, unique
from test_ca import ca, openssl, write_ca_pems  # noqa: F401

PATH = "/feed/mail-domains"
CTYPE = "application/pkcs7-mime; smime-type=signed-data"
FEED_CT = "2.25.74849698960942683782532264219848360184.5.1"
FEED_KP = "2.25.74849698960942683782532264219848360184.4.1"
PREFIX = "kakuin-domain-verification="


def fetch(srv, out, *extra):
    """GET with curl into out; returns the HTTP status."""
    r = subprocess.run(["curl", "-s", "-o", str(out), "-w", "%{http_code}"] +
                       list(extra) + ["http://127.0.0.1:%d%s" % (srv.port,
                                                                 PATH)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


def cms_verify(der, root):
    """The feed's JSON as openssl cms -verify sees it."""
    r = openssl("cms", "-verify", "-inform", "DER", "-in", der, "-CAfile",
                root, "-purpose", "any", "-binary")
    assert "Verification successful" in r.stderr, r.stderr
    return json.loads(r.stdout)


def domains_of(feed):
    return {d["domain"]: d for d in feed["domains"]}


def verified_mail_org(k, unbound, name, name_en):
    """An organization that proves a mail domain through DNS and is
    verified by an officer; returns (number, domain)."""
    number = add_org(k, None, name, "--name-en", name_en)
    dom = unique("mail") + ".e2e.example"
    j = k.json("org", "domain", "add", number, dom, "--mail", "--json")
    value = j["challenge"]["value"]
    assert value.startswith(PREFIX)
    unbound.add_txt("_kakuin-challenge." + dom, value)
    r = k.ok("org", "domain", "check", number, dom,
             env={"KAKUIN_RESOLVER": unbound.resolver})
    assert "%s is verified" % dom in r.out
    unbound.remove("_kakuin-challenge." + dom)
    k.ok("org", "verify", number, "--reason", "登記事項証明書を確認")
    return number, dom


def wait_for(srv, tmp_path, pred, what, timeout=20):
    """Fetches until pred(feed JSON) holds: a change reaches the server's
    copy within its 5 s check."""
    deadline = time.time() + timeout
    while True:
        der = tmp_path / "poll.der"
        assert fetch(srv, der) == 200
        feed = cms_verify(der, tmp_path / "root.pem")
        if pred(feed):
            return der, feed
        if time.time() > deadline:
            raise AssertionError("%s: feed %s" % (what, feed))
        time.sleep(0.5)


@pytest.fixture
def pems(ca, tmp_path):
    return write_ca_pems(ca, tmp_path)


def test_feed_with_openssl(ca, pems, unbound, serve, tmp_path):
    number, dom = verified_mail_org(ca, unbound, "株式会社フィード銀行",
                                    "Feed Bank Ltd.")
    # An organization that only applied: its proven domain is not listed.
    applied = add_org(ca, name="株式会社申請中")
    pending = unique("pending") + ".e2e.example"
    value = ca.json("org", "domain", "add", applied, pending, "--mail",
                    "--json")["challenge"]["value"]
    unbound.add_txt("_kakuin-challenge." + pending, value)
    ca.ok("org", "domain", "check", applied, pending,
          env={"KAKUIN_RESOLVER": unbound.resolver})
    unbound.remove("_kakuin-challenge." + pending)

    srv = serve(ca)
    der = tmp_path / "feed.der"
    assert fetch(srv, der) == 200
    feed = cms_verify(der, pems["root"])
    assert feed["version"] == 1 and feed["serial"] >= 1
    assert feed["issuer"] == "kakuin trust center"
    names = [d["domain"] for d in feed["domains"]]
    assert names == sorted(names)
    doms = domains_of(feed)
    assert doms[dom] == {"domain": dom, "number": number,
                         "name": "株式会社フィード銀行",
                         "name_en": "Feed Bank Ltd.",
                         "verified_at": doms[dom]["verified_at"]}
    assert doms["kakuin-shoji.example"]["number"] == KAKUIN_SHOJI
    assert pending not in doms
    assert "hikari-bussan.example" not in doms      # suspended, web only
    assert "sakura-mail.example" not in doms        # applied, unproven
    # Structure as openssl prints it: our content type, one signer whose
    # certificate carries the feed-signing purpose, and its chain.
    text = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in",
                   der).stdout
    assert "eContentType: undefined (%s)" % FEED_CT in text, text
    openssl("cms", "-verify", "-inform", "DER", "-in", der, "-CAfile",
            pems["root"], "-purpose", "any", "-binary", "-signer",
            tmp_path / "signer.pem")
    signer = openssl("x509", "-in", tmp_path / "signer.pem", "-noout",
                     "-text").stdout
    assert FEED_KP in signer and "Mail-Domain Feed Signer" in signer
    assert "Digital Signature" in signer
    # Without the trust center's root, openssl refuses it.
    r = openssl("cms", "-verify", "-inform", "DER", "-in", der, "-CAfile",
                tmp_path / "signer.pem", "-purpose", "any", check=False)
    assert r.returncode != 0
    # kakuin's own certificate linter knows the profile.
    r = ca.ok("cert", "lint", str(tmp_path / "signer.pem"))
    assert "feed-signing" in r.out, r.out

    # Suspended: gone from the feed, within the server's check interval.
    ca.ok("org", "suspend", number, "--reason", "登記情報の確認中")
    ca.ok("org", "suspend", MINATO, "--reason", "登記情報の確認中")
    _, feed2 = wait_for(srv, tmp_path, lambda f: dom not in domains_of(f),
                        "suspended domain still listed")
    assert "minato-keiyaku.example" not in domains_of(feed2)
    assert feed2["serial"] > feed["serial"]
    assert "kakuin-shoji.example" in domains_of(feed2)
    # Verified again: back.
    ca.ok("org", "verify", number, "--reason", "確認完了")
    wait_for(srv, tmp_path, lambda f: dom in domains_of(f),
             "verified domain missing")


def test_caching_headers_and_conditional_get(ca, pems, serve, tmp_path):
    srv = serve(ca)
    r = srv.get(PATH)
    assert r.status == 200, r
    assert r.header("Content-Type") == CTYPE
    etag = r.header("ETag")
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag), etag
    m = re.fullmatch(r"public, max-age=(\d+), no-transform",
                     r.header("Cache-Control"))
    assert m and 0 < int(m.group(1)) <= 600, r.header("Cache-Control")
    lm = email.utils.parsedate_to_datetime(r.header("Last-Modified"))
    ex = email.utils.parsedate_to_datetime(r.header("Expires"))
    date = email.utils.parsedate_to_datetime(r.header("Date"))
    assert abs((ex - date).total_seconds() - int(m.group(1))) <= 2
    (tmp_path / "f.der").write_bytes(r.body)
    feed = cms_verify(tmp_path / "f.der", pems["root"])
    gen = email.utils.parsedate_to_datetime(r.header("Last-Modified"))
    assert gen.strftime("%Y-%m-%dT%H:%M:%SZ") == feed["generated"]
    assert lm <= date

    # Never signed per request: the same bytes, the same ETag.
    r2 = srv.get(PATH)
    assert r2.body == r.body and r2.header("ETag") == etag

    # HEAD: the headers, no body.
    h = srv.request("HEAD", PATH)
    assert h.status == 200 and h.body == b""
    assert h.header("ETag") == etag
    assert h.header("Content-Length") == str(len(r.body))

    # Conditional requests.
    for inm in (etag, 'W/' + etag, '"nope", ' + etag, "*"):
        c = srv.get(PATH, headers={"If-None-Match": inm})
        assert c.status == 304 and c.body == b"", inm
        assert c.header("ETag") == etag
    c = srv.get(PATH, headers={"If-None-Match": '"other"'})
    assert c.status == 200 and c.body == r.body
    c = srv.get(PATH, headers={"If-Modified-Since": r.header(
        "Last-Modified")})
    assert c.status == 304
    c = srv.get(PATH, headers={"If-Modified-Since":
                               "Sat, 01 Jan 2000 00:00:00 GMT"})
    assert c.status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    c = srv.get(PATH, headers={"If-None-Match": '"other"',
                               "If-Modified-Since": r.header(
                                   "Last-Modified")})
    assert c.status == 200
    # curl's own ETag handling agrees.
    etag_file = tmp_path / "etag.txt"
    assert fetch(srv, tmp_path / "c.der", "--etag-save", str(etag_file)) == 200
    assert (tmp_path / "c.der").read_bytes() == r.body
    assert fetch(srv, tmp_path / "c2.der", "--etag-compare",
                 str(etag_file)) == 304

    # Only GET and HEAD; nothing else under /feed/.
    p = srv.post(PATH, json_body={})
    assert p.status == 405 and p.header("Allow") == "GET, HEAD"
    assert srv.get("/feed/other").status == 404
    assert srv.get(PATH + "/").status == 404


def test_feed_changes_when_a_domain_is_released(ca, pems, serve, tmp_path):
    srv = serve(ca)
    r1 = srv.get(PATH)
    (tmp_path / "1.der").write_bytes(r1.body)
    f1 = cms_verify(tmp_path / "1.der", pems["root"])
    assert "kakuin-shoji.example" in domains_of(f1)
    # Withdrawal releases the organization's domains.
    ca.ok("org", "withdraw", KAKUIN_SHOJI, "--reason", "事業譲渡")
    d = ca.show(KAKUIN_SHOJI)["domains"][0]
    assert d["released_at"]
    der, f2 = wait_for(srv, tmp_path,
                       lambda f: "kakuin-shoji.example" not in domains_of(f),
                       "released domain still listed")
    assert f2["serial"] > f1["serial"]
    assert f2["generated"] >= f1["generated"]
    r2 = srv.get(PATH)
    assert r2.header("ETag") != r1.header("ETag")
    assert srv.get(PATH, headers={"If-None-Match": r1.header("ETag")}
                   ).status == 200
    # The store keeps the one current feed, and the audit log each one.
    rows = ca.sql("SELECT serial FROM mail_feed")
    assert rows == [(f2["serial"],)]
    acts = ca.sql("SELECT object FROM audit WHERE action = 'feed.publish' "
                  "ORDER BY seq")
    assert ("feed:%d" % f2["serial"],) in acts
    assert ca.ok("audit", "verify").rc == 0


def test_kakuin_feed_verify(ca, pems, serve, tmp_path):
    srv = serve(ca)
    der = tmp_path / "feed.der"
    assert fetch(srv, der) == 200
    # A receiver with only the root certificate.
    r = ca.run("feed", "verify", str(der), "--root", str(pems["root"]))
    assert r.rc == 0, r
    assert r.out.startswith("GOOD: mail-domain feed ")
    assert "signed by kakuin trust center Mail-Domain Feed Signer" in r.out
    j = ca.json("feed", "verify", str(der), "--json")
    assert j["verdict"] == "good"
    assert {d["domain"] for d in j["domains"]} == set(domains_of(
        cms_verify(der, pems["root"])))
    # The data directory's own view agrees with what was served.
    show = ca.json("feed", "show", "--json")
    assert show == cms_verify(der, pems["root"])

    # One byte changed: refused, by kakuin and by openssl.
    bad = bytearray(der.read_bytes())
    i = bad.find(b"jipdec.example")
    bad[i] = ord("J")
    (tmp_path / "bad.der").write_bytes(bytes(bad))
    r = ca.run("feed", "verify", str(tmp_path / "bad.der"), "--root",
               str(pems["root"]))
    assert r.rc == 1 and r.out.startswith("NOT VALID: "), r
    assert "signature does not verify" in r.out
    r = openssl("cms", "-verify", "-inform", "DER", "-in",
                tmp_path / "bad.der", "-CAfile", pems["root"], "-purpose",
                "any", check=False)
    assert r.returncode != 0

    # Another trust center's root: not this trust center's feed.
    other = tmp_path / "other"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", other.with_suffix(
                ".key"), "-out", other.with_suffix(".pem"), "-subj",
            "/CN=Another Root", "-days", "30")
    r = ca.run("feed", "verify", str(der), "--root",
               str(other.with_suffix(".pem")), "--json")
    assert r.rc == 1, r
    assert r.json()["verdict"] == "bad"
    assert "not signed by a certificate of this trust center" in r.json()[
        "problem"]
    # Not a feed at all: cannot be checked.
    (tmp_path / "junk.der").write_bytes(b"\x30\x03\x02\x01\x00")
    r = ca.run("feed", "verify", str(tmp_path / "junk.der"), "--root",
               str(pems["root"]))
    assert r.rc == 2 and r.out.startswith("CANNOT CHECK: "), r
    # Written with -o, the same feed.
    ca.ok("feed", "show", "-o", str(tmp_path / "shown.der"))
    assert cms_verify(tmp_path / "shown.der", pems["root"]) == show
