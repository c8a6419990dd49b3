"""Proof of domain control with a real DNS server (unbound on loopback):
claim, check without the record, a wrong record, the right record; one
owner per domain; withdrawal releases the domain.  Via the CLI and the
API."""
import re

import pytest

from conftest import (SAKURA, add_org, api_error, new_number, unique)

PREFIX = "kakuin-domain-verification="


@pytest.fixture
def dns_demo(demo, unbound):
    demo.env["KAKUIN_RESOLVER"] = unbound.resolver
    return demo


def claim(k, number, domain, *uses):
    j = k.json("org", "domain", "add", number, domain, *uses, "--json")
    ch = j["challenge"]
    assert ch["record"] == "_kakuin-challenge." + domain.lower().rstrip(".")
    assert ch["type"] == "TXT" and ch["value"].startswith(PREFIX)
    return ch["value"]


def test_cli_domain_verification(dns_demo, unbound):
    k = dns_demo
    a = add_org(k, name="株式会社ドメインA")
    b = add_org(k, name="株式会社ドメインB")
    dom = unique("shop") + ".e2e.example"
    rec = "_kakuin-challenge." + dom

    # Claim: the text output tells what to publish.
    r = k.ok("org", "domain", "add", a, dom, "--web")
    m = re.search(r'%s\. IN TXT "(%s[A-Za-z0-9_-]{43})"' % (
        re.escape(rec), PREFIX), r.out)
    assert m, r.out
    value = m.group(1)
    assert claim(k, a, dom, "--mail") == value     # same token, both uses
    assert k.show(a)["domains"][0]["uses"] == ["web", "mail"]

    # B may claim it too while nobody has proven control.
    value_b = claim(k, b, dom)
    assert value_b != value

    # No record at all.
    audit0 = k.audit_rows()
    r = k.fail("org", "domain", "check", a, dom)
    assert "no TXT record at %s" % rec in r.err
    assert value in r.err
    d = k.show(a)["domains"][0]
    assert d["verified"] is False and "no TXT record" in d["check_result"]
    assert d["checked_at"]
    assert k.sql("SELECT action FROM audit ORDER BY seq DESC LIMIT 1") == [
        ("domain.check_failed",)]
    assert k.audit_rows() == audit0 + 1

    # A record with someone else's token.
    unbound.add_txt(rec, PREFIX + "x" * 43)
    assert unbound.query(rec) == ['"%s"' % (PREFIX + "x" * 43)]
    r = k.run("org", "domain", "check", a, dom, "--json")
    assert r.rc == 1
    e = r.json()["error"]
    assert e["code"] == "verify_failed" and e["field"] == "domain"
    assert "TXT %s holds 1 record(s), none with this domain's token" % rec \
        in e["message"]
    assert value in e["message"]
    assert k.show(a)["domains"][0]["verified"] is False

    # The right token next to the wrong one (and B's).
    unbound.add_txt(rec, value)
    unbound.add_txt(rec, value_b)
    r = k.ok("org", "domain", "check", a, dom)
    assert "%s is verified" % dom in r.out and "dns-txt" in r.out
    d = k.show(a)["domains"][0]
    assert d["verified"] is True and d["method"] == "dns-txt"
    assert d["verified_at"] and d["verified_by"].startswith("local:")
    assert value in d["evidence"] and rec in d["evidence"]
    assert "seen by resolver %s" % unbound.resolver in d["evidence"]
    assert "challenge" not in d
    assert k.sql("SELECT action, detail FROM audit ORDER BY seq DESC "
                 "LIMIT 1")[0][0] == "domain.verify"
    # Checking again changes nothing.
    snap = k.snapshot()
    k.ok("org", "domain", "check", a, dom)
    assert k.snapshot() == snap

    # The domain now finds A; B can neither verify nor claim it.
    assert [o["number"] for o in k.json("org", "search", dom, "--json")[
        "orgs"]] == [a]
    snap = k.snapshot()
    r = k.fail("org", "domain", "check", b, dom)
    assert "already verified for another organization (%s)" % a in r.err
    r = k.fail("org", "domain", "add", b, dom)
    assert "already verified for another organization (%s)" % a in r.err
    c = add_org(k, name="株式会社ドメインC")
    snap = k.snapshot()
    r = k.run("org", "domain", "add", c, dom.upper() + ".", "--json")
    assert r.rc == 1
    assert r.json()["error"]["code"] == "exists"
    assert r.json()["error"]["field"] == "domain"
    assert k.snapshot() == snap

    # Withdrawal releases it; B proves control and owns it.
    k.ok("org", "withdraw", a, "--reason", "事業譲渡")
    d = k.show(a)["domains"][0]
    assert d["verified"] is False and d["released_at"]
    r = k.fail("org", "domain", "check", a, dom)
    assert "was released" in r.err
    assert k.json("org", "search", dom, "--json")["orgs"] == []
    r = k.ok("org", "domain", "check", b, dom)
    assert "is verified" in r.out
    assert [o["number"] for o in k.json("org", "search", dom, "--json")[
        "orgs"]] == [b]
    unbound.remove(rec)
    assert k.ok("audit", "verify").rc == 0


def test_cli_domain_names_are_normalized(dns_demo, unbound):
    k = dns_demo
    n = add_org(k)
    dom = unique("Mixed") + ".E2E.Example."
    low = dom.lower().rstrip(".")
    value = claim(k, n, dom)
    assert k.show(n)["domains"][0]["domain"] == low
    unbound.add_txt("_kakuin-challenge." + low, value)
    r = k.ok("org", "domain", "check", n, dom)
    assert "%s is verified" % low in r.out
    unbound.remove("_kakuin-challenge." + low)


def test_bare_token_is_accepted(dns_demo, unbound):
    # The record may hold the token alone, without the prefix.
    k = dns_demo
    n = add_org(k)
    dom = unique("bare") + ".e2e.example"
    value = claim(k, n, dom)
    unbound.add_txt("_kakuin-challenge." + dom, value[len(PREFIX):])
    k.ok("org", "domain", "check", n, dom)
    assert k.show(n)["domains"][0]["verified"] is True
    unbound.remove("_kakuin-challenge." + dom)


def test_dns_failure_is_reported(dns_demo, unbound, serve):
    # The DNS server refuses queries under refused.example: the check
    # fails with a DNS error naming the record, and nothing is proven.
    k = dns_demo
    dom = unique("down") + ".refused.example"
    claim(k, SAKURA, dom)
    r = k.fail("org", "domain", "check", SAKURA, dom)
    assert "DNS lookup of TXT _kakuin-challenge.%s failed" % dom in r.err
    assert "SERVFAIL" in r.err
    d = [x for x in k.show(SAKURA)["domains"] if x["domain"] == dom][0]
    assert d["verified"] is False and "failed" in d["check_result"]
    s = serve(k, env={"KAKUIN_RESOLVER": unbound.resolver})
    e = api_error(s.post("/api/v1/orgs/%s/domains/%s/check" % (SAKURA, dom),
                         token=k.token("admin")), 502, field="domain",
                  code="dns")
    assert "_kakuin-challenge." + dom in e["message"]


def test_test_tld_reaches_the_configured_resolver(dns_demo, unbound):
    # RFC 6761 reserves .test for testing; with KAKUIN_RESOLVER set, all
    # queries must go to that server, including names under .test.
    k = dns_demo
    n = add_org(k)
    dom = unique("tld") + ".example.test"
    value = claim(k, n, dom)
    unbound.add_txt("_kakuin-challenge." + dom, value)
    assert unbound.query("_kakuin-challenge." + dom) == ['"%s"' % value]
    r = k.run("org", "domain", "check", n, dom)
    unbound.remove("_kakuin-challenge." + dom)
    assert r.rc == 0, r
    assert k.show(n)["domains"][0]["verified"] is True


# ---------------------------------------------------------------- API

def test_api_domain_verification(dns_demo, unbound, serve):
    k = dns_demo
    s = serve(k, env={"KAKUIN_RESOLVER": unbound.resolver})
    tok = k.token("ra-suzuki")
    a, b = new_number(), new_number()
    for n in (a, b):
        r = s.post("/api/v1/orgs", {"number": n, "name": "株式会社" + n},
                   token=tok)
        assert r.status == 201, r
    dom = unique("api") + ".e2e.example"
    rec = "_kakuin-challenge." + dom
    base = "/api/v1/orgs/%s/domains" % a

    snap = k.snapshot()
    for body, field in (({"domain": "bad..name"}, "domain"),
                        ({"domain": 7}, "domain"), ({}, "domain"),
                        ({"domain": dom, "uses": ["ftp"]}, "uses"),
                        ({"domain": dom, "uses": []}, "uses"),
                        ({"domain": dom, "uses": "web"}, "uses"),
                        ({"domain": dom, "extra": 1}, "extra")):
        api_error(s.post(base, body, token=tok), 400, field=field)
    api_error(s.post(base, {"domain": dom}), 401)
    assert k.snapshot() == snap

    r = s.post(base, {"domain": dom, "uses": ["mail"]}, token=tok)
    assert r.status == 201, r
    j = r.json()
    assert j["uses"] == ["mail"] and j["verified"] is False
    value = j["challenge"]["value"]
    assert j["challenge"]["record"] == rec

    r = s.get(base, token=tok)
    assert [d["domain"] for d in r.json()["domains"]] == [dom]

    check = base + "/" + dom + "/check"
    e = api_error(s.post(check, token=tok), 422, field="domain",
                  code="verify_failed")
    assert "no TXT record at " + rec in e["message"] and value in e["message"]
    unbound.add_txt(rec, PREFIX + "wrong")
    e = api_error(s.post(check, token=tok), 422, field="domain")
    assert "none with this domain's token" in e["message"]
    assert value in e["message"]
    # Public views show no unproven domain.
    assert s.get("/api/v1/orgs/" + a).json()["domains"] == []

    unbound.add_txt(rec, value)
    r = s.post(check, token=tok)
    assert r.status == 200, r
    j = r.json()
    assert j["verified"] is True and j["method"] == "dns-txt"
    assert j["verified_by"] == "user:ra-suzuki"
    assert value in j["evidence"]
    pub = s.get("/api/v1/orgs/" + a).json()["domains"]
    assert [(d["domain"], d["verified"]) for d in pub] == [(dom, True)]
    assert "evidence" not in pub[0]
    found = s.get("/api/v1/orgs?q=" + dom).json()["orgs"]
    assert [o["number"] for o in found] == [a]

    # Another organization cannot claim it.
    snap = k.snapshot()
    e = api_error(s.post("/api/v1/orgs/%s/domains" % b, {"domain": dom},
                         token=tok), 409, field="domain", code="exists")
    assert a in e["message"]
    assert k.snapshot() == snap

    # Unknown domain / unknown org.
    api_error(s.post(base + "/other.e2e.example/check", token=tok), 404,
              field="domain")
    api_error(s.post("/api/v1/orgs/%s/domains/%s/check" % (
        new_number(), dom), token=tok), 404)
    api_error(s.get(check, token=tok), 405)

    # Withdrawal releases the domain; b then claims and proves it.
    r = s.post("/api/v1/orgs/%s/withdraw" % a, {"reason": "廃業"}, token=tok)
    assert r.status == 200
    e = api_error(s.post(check, token=tok), 409, field="domain")
    assert "released" in e["message"]
    r = s.post("/api/v1/orgs/%s/domains" % b, {"domain": dom}, token=tok)
    assert r.status == 201, r
    unbound.add_txt(rec, r.json()["challenge"]["value"])
    r = s.post("/api/v1/orgs/%s/domains/%s/check" % (b, dom), token=tok)
    assert r.status == 200 and r.json()["verified"] is True
    unbound.remove(rec)
    assert k.ok("audit", "verify").rc == 0


def test_expired_challenge_is_renewed_by_claiming_again(dns_demo, unbound):
    k = dns_demo
    n = add_org(k)
    dom = unique("old") + ".e2e.example"
    rec = "_kakuin-challenge." + dom
    old = claim(k, n, dom)
    c = k.db(readonly=False)
    with c:
        c.execute("UPDATE domains SET token_expires = '2001-01-01T00:00:00Z'"
                  " WHERE name = ?", (dom,))
    c.close()
    unbound.add_txt(rec, old)
    r = k.fail("org", "domain", "check", n, dom)
    assert "the challenge for %s expired on 2001-01-01T00:00:00Z" % dom \
        in r.err
    assert "claim the domain again" in r.err
    assert k.show(n)["domains"][0]["verified"] is False
    new = claim(k, n, dom)
    assert new != old
    r = k.fail("org", "domain", "check", n, dom)
    assert "none with this domain's token" in r.err and new in r.err
    unbound.add_txt(rec, new)
    k.ok("org", "domain", "check", n, dom)
    assert k.show(n)["domains"][0]["verified"] is True
    unbound.remove(rec)


def test_reapplied_organization_proves_its_domain_again(dns_demo, unbound):
    k = dns_demo
    n = add_org(k)
    dom = unique("again") + ".e2e.example"
    rec = "_kakuin-challenge." + dom
    old = claim(k, n, dom)
    unbound.add_txt(rec, old)
    k.ok("org", "domain", "check", n, dom)
    k.ok("org", "verify", n, "--reason", "ok")
    k.ok("org", "withdraw", n, "--reason", "撤退")
    k.ok("org", "add", "--number", n, "--name", "株式会社再申請")
    d = k.show(n)["domains"][0]
    assert d["verified"] is False
    new = claim(k, n, dom)
    assert new != old, "a released domain needs a new token"
    r = k.fail("org", "domain", "check", n, dom)   # only the old record
    assert new in r.err
    unbound.add_txt(rec, new)
    k.ok("org", "domain", "check", n, dom)
    d = k.show(n)["domains"][0]
    assert d["verified"] is True and new in d["evidence"]
    assert "released_at" not in d or d["released_at"] is None
    assert [o["number"] for o in k.json("org", "search", dom, "--json")[
        "orgs"]] == [n]
    unbound.remove(rec)
