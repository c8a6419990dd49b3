"""The trust mark end to end: `kakuin mail verify` on genuine, spoofed and
broken mail of an organization the registry verified, with DKIM keys and
DMARC records served by the real unbound on loopback and the mark decided
against the data directory's own signed feed or a feed file given with
--feed and --root.  dkimpy signs a message too, and python3-authres (an
A-R parser nobody here wrote) reads the Authentication-Results field
kakuin writes."""
import json
import subprocess

import authres
import pytest

from conftest import KAKUIN, KAKUIN_SHOJI, base_env, unique
from test_ca import ca  # noqa: F401
from test_mail_dkim import publish

DOMAIN = "kakuin-shoji.example"      # the demo's verified mail domain
AUTHSERV = "mx.receiver.example"


def msg(frm=None, subject="御見積書の送付", body="請求書を添付します。\r\n",
        extra=b""):
    frm = frm or "営業部 <sales@%s>" % DOMAIN
    return (("From: %s\r\nTo: taro@receiver.example\r\nSubject: %s\r\n"
             "Date: Sat, 21 Nov 2026 10:00:00 +0900\r\n"
             "Message-ID: <%s@%s>\r\n" % (frm, subject, unique("m"), DOMAIN))
            .encode() + extra + b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
            body.encode())


@pytest.fixture
def mark_env(ca, unbound, tmp_path):
    """The demo data directory, an Ed25519 key for kakuin-shoji.example
    and one for an attacker's domain, both published, and a DMARC record
    p=reject for the verified domain."""
    env = {"KAKUIN_RESOLVER": unbound.resolver}
    attacker = unique("attacker") + ".e2e.example"
    keys = {}
    for dom, sel in ((DOMAIN, "k1"), (attacker, "a1")):
        key = tmp_path / ("%s.pem" % sel)
        j = ca.json("mail", "keygen", "--domain", dom, "--selector", sel,
                    "--algorithm", "ed25519", "-o", str(key), "--json")
        publish(unbound, j["name"], j["value"])
        keys[dom] = (sel, key)
    unbound.add_txt("_dmarc." + DOMAIN, "v=DMARC1; p=reject; adkim=s")
    unbound.add_txt("_dmarc." + attacker, "v=DMARC1; p=none")
    yield {"k": ca, "dir": ca.dir, "env": env, "keys": keys,
           "attacker": attacker, "tmp": tmp_path, "unbound": unbound}
    for dom, (sel, _) in keys.items():
        unbound.remove("%s._domainkey.%s" % (sel, dom))
    unbound.remove("_dmarc." + DOMAIN)
    unbound.remove("_dmarc." + attacker)


def cli(e, *args, input=None, datadir=None):
    """kakuin -d DATADIR ... with the test resolver; bytes in and out."""
    return subprocess.run([KAKUIN, "-d", datadir or e["dir"]] + list(args),
                          input=input, capture_output=True,
                          env=base_env(**e["env"]), timeout=120)


def sign(e, m, dom, *extra):
    sel, key = e["keys"][dom]
    r = cli(e, "mail", "sign", "--domain", dom, "--selector", sel, "--key",
            str(key), *extra, "-", input=m)
    assert r.returncode == 0, r
    return r.stdout


def verify(e, m, *extra, datadir=None):
    r = cli(e, "mail", "verify", "--json", "--authres", AUTHSERV, *extra,
            "-", input=m, datadir=datadir)
    assert r.returncode in (0, 1, 2), r
    return r.returncode, json.loads(r.stdout)


def test_genuine_mail_of_a_verified_organization(mark_env):
    e = mark_env
    rc, j = verify(e, sign(e, msg(), DOMAIN))
    assert rc == 0 and j["verdict"] == "trusted", j
    assert j["text"].startswith("TRUSTED: sent by 株式会社"), j["text"]
    assert KAKUIN_SHOJI in j["text"]
    assert j["mark"]["result"] == "pass"
    org = j["mark"]["organization"]
    assert org["number"] == KAKUIN_SHOJI and org["domain"] == DOMAIN
    assert j["dmarc"]["result"] == "pass" and j["dmarc"]["aligned"]["dkim"]
    assert [d["result"] for d in j["dkim"]] == ["pass"]
    # The Authentication-Results field, read by python3-authres.
    ar = authres.AuthenticationResultsHeader.parse(
        "Authentication-Results: " + j["authentication_results"])
    assert ar.authserv_id == AUTHSERV
    got = {r.method: r for r in ar.results}
    assert got["dkim"].result == "pass" and got["dmarc"].result == "pass"
    assert got["kakuin-mark"].result == "pass"
    props = {(p.type, p.name): p.value for p in got["kakuin-mark"].properties}
    assert props[("policy", "corporate-number")] == KAKUIN_SHOJI
    # RFC 9989's DNS tree walk finds the same policy.
    rc, j = verify(e, sign(e, msg(), DOMAIN), "--dmarc", "9989")
    assert rc == 0 and j["verdict"] == "trusted", j
    assert j["dmarc"]["policy_domain"] == DOMAIN
    # The person-readable form says the same on its first line.
    r = cli(e, "mail", "verify", "-", input=sign(e, msg(), DOMAIN))
    assert r.returncode == 0, r
    assert r.stdout.decode().startswith("TRUSTED: sent by "), r


def test_spoofed_from_signed_by_another_domain(mark_env):
    """The attacker signs validly with its own domain but writes the
    verified organization's address in From: DMARC fails (p=reject), no
    mark, and the verdict says not to trust it."""
    e = mark_env
    rc, j = verify(e, sign(e, msg(), e["attacker"]))
    assert rc == 1 and j["verdict"] == "forged", j
    assert j["text"].startswith("DO NOT TRUST"), j["text"]
    assert j["dmarc"]["result"] == "fail" and j["dmarc"]["policy"] == "reject"
    assert j["mark"]["result"] == "fail", j["mark"]
    assert "organization" not in j["mark"]


@pytest.mark.parametrize("name,build", [
    # Composition Kills (USENIX Security 2020) header ambiguity: each must
    # fail closed, never show the organization.
    ("two From fields", lambda e: sign(e, msg(), DOMAIN).replace(
        b"From: ", b"From: ceo@%s\r\nFrom: " % e["attacker"].encode(), 1)),
    ("From with space before colon", lambda e: sign(e, msg(), DOMAIN)
     .replace(b"To: ", b"From : ceo@%s\r\nTo: " % e["attacker"].encode(), 1)),
    ("two mailboxes", lambda e: sign(e, msg(
        frm="sales@%s, ceo@%s" % (DOMAIN, e["attacker"])), e["attacker"])),
    ("address in display name", lambda e: sign(e, msg(
        frm='"sales@%s" <ceo@%s>' % (DOMAIN, e["attacker"])), e["attacker"])),
    ("encoded word hiding an address", lambda e: sign(e, msg(
        frm="=?utf-8?b?c2FsZXNAa2FrdWluLXNob2ppLmV4YW1wbGU=?= <ceo@%s>" %
        e["attacker"]), e["attacker"])),
    ("quoted local part with the domain", lambda e: sign(e, msg(
        frm='"sales@%s"@%s' % (DOMAIN, e["attacker"])), e["attacker"])),
    ("NUL in From", lambda e: sign(e, msg(), DOMAIN).replace(
        b"From: ", b"From: \x00", 1)),
])
def test_ambiguous_or_disguised_author_never_shows_the_mark(mark_env, name,
                                                             build):
    """Either the author is refused as ambiguous (do not trust), or it is
    the attacker's own address, honestly shown as such: never the
    organization."""
    e = mark_env
    rc, j = verify(e, build(e))
    assert j["mark"]["result"] != "pass" and "organization" not in \
        j["mark"], (name, j)
    assert KAKUIN_SHOJI not in j["text"], (name, j["text"])
    if "problem" in j["from"]:
        assert rc == 1 and j["verdict"] == "forged", (name, j)
        assert j["text"].startswith("DO NOT TRUST"), (name, j["text"])
    else:
        assert j["from"]["domain"] == e["attacker"], (name, j["from"])
        assert j["verdict"] != "trusted", (name, j)


def test_no_mark_without_a_whole_signature_of_the_author_domain(mark_env):
    e = mark_env
    # l=: text appended below the signed body keeps DKIM passing (RFC 6376)
    # but never earns the mark.
    signed = sign(e, msg(), DOMAIN, "--body-length")
    rc, j = verify(e, signed + b"\r\nhttp://phish.example/login\r\n")
    assert j["dkim"][0]["result"] == "pass"
    assert j["mark"]["result"] != "pass" and "l=" in j["mark"]["reason"], j
    # A changed body: the signature fails, and so does DMARC.
    rc, j = verify(e, sign(e, msg(), DOMAIN).replace("請求書".encode(),
                                                      "振込先".encode()))
    assert rc == 1 and j["verdict"] == "forged", j
    assert j["dkim"][0]["result"] == "fail" and j["mark"]["result"] == "fail"


def test_feed_file_and_url_with_root(mark_env, serve):
    """A receiver without the registry: the feed as a file or fetched over
    HTTP from kakuin serve, checked against the root certificate."""
    e = mark_env
    k, tmp = e["k"], e["tmp"]
    root = tmp / "root.pem"
    root.write_text(k.ok("ca", "show", "root", "--pem").out)
    feed = tmp / "feed.der"
    k.ok("feed", "show", "-o", str(feed))
    signed = sign(e, msg(), DOMAIN)
    other = str(tmp / "elsewhere")      # no data directory there
    rc, j = verify(e, signed, "--feed", str(feed), "--root", str(root),
                   datadir=other)
    assert rc == 0 and j["verdict"] == "trusted", j
    # Fetched over HTTP from the server, as a receiver would.
    srv = serve(k)
    url = "http://127.0.0.1:%d/feed/mail-domains" % srv.port
    rc, j = verify(e, signed, "--feed", url, "--root", str(root),
                   datadir=other)
    assert rc == 0 and j["verdict"] == "trusted", j
    # A changed feed: no mark, and the reason names the feed.
    bad = bytearray(feed.read_bytes())
    bad[bad.index(DOMAIN.encode())] ^= 0x01
    (tmp / "bad.der").write_bytes(bytes(bad))
    rc, j = verify(e, signed, "--feed", str(tmp / "bad.der"), "--root",
                   str(root), datadir=other)
    assert j["mark"]["result"] == "none" and "feed" in j["mark"]["reason"], j
    assert rc == 0 and j["verdict"] == "authentic", j
    # An https feed is not fetched by kakuin: the reason says what to do.
    rc, j = verify(e, signed, "--feed", "https://127.0.0.1:1/feed",
                   "--root", str(root), datadir=other)
    assert j["mark"]["result"] == "none" and "curl" in j["mark"]["reason"]
    # No feed and no data directory: the domain is still authentic, and
    # the reason says why there is no mark.
    rc, j = verify(e, signed, datadir=other)
    assert rc == 0 and j["verdict"] == "authentic", j
    assert "no --feed" in j["mark"]["reason"], j
