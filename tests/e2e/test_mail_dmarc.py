"""DMARC against real DNS: the shared unbound on loopback serves the test
zones, and tests/tools/dmarc-check (lib/mail's DMARC and
Authentication-Results code) gives the verdict as JSON.  RFC 7489 (public
suffix list) and RFC 9989 (DNS Tree Walk) side by side; the worked examples
of RFC 9989 Appendix B.4; np= for non-existent subdomains; the OpenDMARC
CVE cases that concern the verdict.  The Authentication-Results field is
read back with python3-authres, a parser nobody here wrote."""
import json
import os
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import authres
import pytest

from conftest import KAKUIN

TOOL = os.environ.get("KAKUIN_DMARC_CHECK") or str(
    Path(KAKUIN).resolve().parent / "tests" / "dmarc-check")

# Answered by unbound itself (static local zones): a tree walk reaches the
# top-level label, and without these unbound would ask the root servers.
ZONES = ("example.", "jp.")
BOTH = ("rfc7489", "rfc9989")


class Dns:
    def __init__(self, unbound):
        self.u = unbound

    def txt(self, name, *strings):
        self.u.control("local_data", "%s. 60 IN TXT %s" % (
            name, " ".join('"%s"' % s for s in strings)))

    def dmarc(self, domain, *strings):
        self.txt("_dmarc." + domain, *strings)

    def host(self, name):
        self.u.control("local_data", "%s. 60 IN A 192.0.2.1" % name)

    def remove(self, name):
        self.u.remove(name)

    def run(self, *args, mode="rfc9989"):
        return subprocess.run(
            [TOOL, "--" + mode, "--resolver", self.u.resolver] + list(args),
            capture_output=True, timeout=60)

    def check(self, *args, mode="rfc9989"):
        cp = self.run(*args, mode=mode)
        assert cp.returncode == 0, cp.stderr.decode()
        v = json.loads(cp.stdout)
        assert v["mode"] == mode
        # Never a pass without an aligned identifier; never a policy
        # without a fail.
        assert (v["result"] == "pass") == bool(v["aligned"]), v
        if v["result"] != "fail":
            assert v["policy"] == "none", v
        assert "dmarc=%s" % v["result"] in v["authentication_results"]
        return v


@pytest.fixture(scope="module")
def dns(unbound):
    for z in ZONES:
        unbound.control("local_zone", z, "static")
    yield Dns(unbound)
    for z in ZONES:
        unbound.control("local_zone_remove", z)


@pytest.fixture
def b():
    """A fresh organizational domain under example."""
    return "b%s.example" % uuid.uuid4().hex[:10]


# ---------------------------------------------------------------- basics

@pytest.mark.parametrize("mode", BOTH)
def test_pass_and_fail(dns, b, mode):
    dns.dmarc(b, "v=DMARC1; p=reject; rua=mailto:dmarc@%s" % b)
    v = dns.check("--from", b, "--dkim", b + ":pass", mode=mode)
    assert v["result"] == "pass" and v["aligned"] == ["dkim"]
    assert v["policy"] == "none" and v["requested"] == "reject"
    assert v["policy_domain"] == b and v["policy_tag"] == "p"
    assert v["dkim_domain"] == b
    assert v["queried"] == ["_dmarc." + b]
    assert v["dnssec"] is False
    assert v["record"]["p"] == "reject"
    assert v["record"]["rua"] == ["mailto:dmarc@" + b]
    assert v["reason"] == ("the From domain %s publishes p=reject, and the "
                           "DKIM signature of %s aligned with it (relaxed)"
                           % (b, b))

    v = dns.check("--from", b, "--dkim", "evil.example:pass",
                  "--mailfrom", "evil.example", "--spf", "pass", mode=mode)
    assert v["result"] == "fail" and v["policy"] == "reject"
    assert v["reason"].startswith(
        "the From domain %s publishes p=reject and no DKIM signature or SPF "
        "result aligned with it" % b)
    assert ("the DKIM signature of evil.example passed but is not aligned "
            "(adkim=r)") in v["reason"]
    assert ("the SPF pass for the MAIL FROM domain evil.example is not "
            "aligned (aspf=r)") in v["reason"]

    # A signature of the right domain that did not verify is nothing.
    v = dns.check("--from", b, "--dkim", b + ":fail", mode=mode)
    assert v["result"] == "fail" and "no DKIM signature passed" in v[
        "reason"]


@pytest.mark.parametrize("mode", BOTH)
def test_subdomain_policy_and_relaxed_alignment(dns, b, mode):
    dns.dmarc(b, "v=DMARC1; p=reject; sp=quarantine")
    f = "mail." + b
    v = dns.check("--from", f, mode=mode)
    assert v["result"] == "fail" and v["policy"] == "quarantine"
    assert v["policy_tag"] == "sp" and v["policy_domain"] == b
    assert v["org_domain"] == b
    want = ["_dmarc." + f, "_dmarc." + b]
    if mode == "rfc9989":
        want.append("_dmarc.example")    # the walk goes to the top
    assert v["queried"] == want
    assert v["reason"].startswith(
        "the From domain %s falls under %s, which publishes sp=quarantine "
        "and no DKIM signature or SPF result aligned with it" % (f, b))

    # Relaxed: any name of the same Organizational Domain aligns.
    v = dns.check("--from", f, "--dkim", "news.%s:pass" % b,
                  "--mailfrom", "bounce." + b, "--spf", "pass", mode=mode)
    assert v["result"] == "pass" and v["aligned"] == ["dkim", "spf"]
    assert "the SPF pass for the MAIL FROM domain bounce.%s aligned" % b \
        in v["reason"]


@pytest.mark.parametrize("mode", BOTH)
def test_strict_alignment(dns, b, mode):
    dns.dmarc(b, "v=DMARC1; p=reject; adkim=s; aspf=s")
    v = dns.check("--from", b, "--dkim", "news.%s:pass" % b,
                  "--mailfrom", "bounce." + b, "--spf", "pass", mode=mode)
    assert v["result"] == "fail" and v["policy"] == "reject"
    assert "passed but is not aligned (adkim=s)" in v["reason"]
    assert "is not aligned (aspf=s)" in v["reason"]
    # Strict needs no DNS beyond the policy itself.
    assert v["queried"] == ["_dmarc." + b]
    v = dns.check("--from", b.upper(), "--dkim", b + ":pass", mode=mode)
    assert v["result"] == "pass"
    assert v["reason"].endswith("aligned with it (strict)")


@pytest.mark.parametrize("mode", BOTH)
def test_spf_identity_cve_2019_20790(dns, b, mode):
    """OpenDMARC CVE-2019-20790: a HELO that names the victim's domain
    must not stand in for the MAIL FROM domain."""
    dns.dmarc(b, "v=DMARC1; p=reject")
    v = dns.check("--from", b, "--mailfrom", "attacker.example",
                  "--helo", b, "--spf", "pass", mode=mode)
    assert v["result"] == "fail" and v["policy"] == "reject"
    assert v["spf_domain"] == "attacker.example" and not v["spf_helo"]
    assert "smtp.mailfrom" not in v["authentication_results"]

    # With the null reverse-path the HELO is the MAIL FROM identity
    # (postmaster@HELO, RFC 7208 section 2.4).
    v = dns.check("--from", b, "--mailfrom", "", "--helo", "mta." + b,
                  "--spf", "pass", mode=mode)
    assert v["result"] == "pass" and v["aligned"] == ["spf"]
    assert v["spf_helo"] and v["spf_domain"] == "mta." + b
    assert "the SPF pass for the HELO domain mta.%s aligned" % b in v[
        "reason"]

    v = dns.check("--from", b, "--mailfrom", b, "--spf", "softfail",
                  mode=mode)
    assert v["result"] == "fail"
    assert "SPF softfail for the MAIL FROM domain %s" % b in v["reason"]


@pytest.mark.parametrize("mode", BOTH)
def test_from_domain_cve_2019_16378(dns, mode):
    """OpenDMARC CVE-2019-16378: several From addresses must not pass.
    kn_mail_from() refuses such messages before DMARC; a From domain
    string that still holds two domains is a permerror here, with no DNS
    query made."""
    for bad in ("bank.example, evil.example", "bank.example evil.example",
                "", "ceo@bank.example"):
        v = dns.check("--from", bad, "--dkim", "evil.example:pass",
                      mode=mode)
        assert v["result"] == "permerror", v
        assert v["queried"] == [] and v["policy"] == "none"
        assert "is not one valid domain name" in v["reason"]


# ---------------------------------------------------------------- records

@pytest.mark.parametrize("mode", BOTH)
def test_record_sets(dns, b, mode):
    # Two DMARC records: RFC 7489 stops (none applies); RFC 9989 discards
    # them and walks on to the Organizational Domain.
    f = "two." + b
    dns.dmarc(f, "v=DMARC1; p=none")
    dns.dmarc(f, "v=DMARC1; p=quarantine")
    dns.dmarc(b, "v=DMARC1; p=reject")
    v = dns.check("--from", f, mode=mode)
    if mode == "rfc7489":
        assert v["result"] == "none"
        assert "_dmarc.%s has 2 DMARC records" % f in v["reason"]
    else:
        assert v["result"] == "fail" and v["policy"] == "reject"
        assert v["policy_domain"] == b

    # Character-strings are joined (RFC 7489 section 6.6.3).
    f = "split." + b
    dns.dmarc(f, "v=DMARC1; ", "p=quarantine")
    v = dns.check("--from", f, mode=mode)
    assert v["policy"] == "quarantine" and v["policy_domain"] == f

    # Other TXT records at the name do not count.
    f = "mixed." + b
    dns.dmarc(f, "v=spf1 -all")
    dns.dmarc(f, "v=DMARC1; p=quarantine; sp=none")
    v = dns.check("--from", f, mode=mode)
    assert v["policy"] == "quarantine"

    # A syntactically wrong record is a permerror, never a pass.
    f = "bad." + b
    dns.dmarc(f, "v=DMARC1; p=reject; adkim=x")
    v = dns.check("--from", f, "--dkim", f + ":pass", mode=mode)
    assert v["result"] == "permerror" and v["policy"] == "none"
    sec = "RFC 7489 section 6.3" if mode == "rfc7489" else \
        "RFC 9989 section 4.7"
    assert v["reason"] == (
        "the DMARC record at _dmarc.%s is invalid, so the policy of the From "
        "domain %s cannot be known: adkim=x is not r (relaxed) or s "
        "(strict) (%s)" % (f, f, sec))

    # p missing: RFC 9989 reads p=none; RFC 7489 needs a rua for that.
    f = "nop." + b
    dns.dmarc(f, "v=DMARC1; sp=reject")
    v = dns.check("--from", f, mode=mode)
    if mode == "rfc7489":
        assert v["result"] == "permerror"
    else:
        assert v["result"] == "fail" and v["policy"] == "none"
        assert v["record"]["p_implied"]
        assert "(implied: the record has no valid p tag)" in v["reason"]

    # Nothing published anywhere.
    f = "n%s.example" % uuid.uuid4().hex[:8]
    v = dns.check("--from", "www." + f, mode=mode)
    assert v["result"] == "none" and v["record"] is None
    assert v["reason"].startswith(
        "no DMARC policy applies to the From domain www.%s: no DMARC record "
        "at _dmarc.www.%s, _dmarc.%s" % (f, f, f))


def test_pct_rfc7489(dns, b):
    dns.dmarc(b, "v=DMARC1; p=reject; pct=20")
    v = dns.check("--from", b, "--sample", "19", mode="rfc7489")
    assert v["policy"] == "reject"
    assert "pct=20 and this message is in the sampled share" in v["reason"]
    v = dns.check("--from", b, "--sample", "20", mode="rfc7489")
    assert v["policy"] == "quarantine" and v["requested"] == "reject"
    assert ("pct=20 and this message is outside the sampled share (RFC 7489 "
            "section 6.6.4): quarantine instead of reject") in v["reason"]
    # RFC 9989 removed pct: the tag is unknown and ignored.
    v = dns.check("--from", b, "--sample", "99", mode="rfc9989")
    assert v["policy"] == "reject"


def test_testing_flag_rfc9989(dns, b):
    dns.dmarc(b, "v=DMARC1; p=reject; t=y")
    v = dns.check("--from", b)
    assert v["result"] == "fail"
    assert v["policy"] == "quarantine" and v["requested"] == "reject"
    assert v["record"]["t"] == "y"
    assert "t=y (the owner is testing): quarantine instead of reject" in v[
        "reason"]
    v = dns.check("--from", b, mode="rfc7489")
    assert v["policy"] == "reject"


@pytest.mark.parametrize("mode", BOTH)
def test_dns_failure_is_temperror(dns, mode):
    # unbound refuses queries under refused.example (SERVFAIL here).
    v = dns.check("--from", "bank.refused.example", "--dkim",
                  "bank.refused.example:pass", mode=mode)
    assert v["result"] == "temperror" and v["policy"] == "none"
    assert "the DNS lookup of _dmarc.bank.refused.example failed" in v[
        "reason"]
    assert "SERVFAIL" in v["reason"]


# ---------------------------------------------------------------- PSL

def test_public_suffix_list_rfc7489(dns):
    """RFC 7489 takes the Organizational Domain from the public suffix
    list: co.jp, *.kawasaki.jp with the exception city.kawasaki.jp."""
    uid = uuid.uuid4().hex[:8]
    dns.dmarc("city.kawasaki.jp", "v=DMARC1; p=reject; sp=quarantine")
    dns.dmarc("foo.kawasaki.jp", "v=DMARC1; p=reject")
    dns.dmarc("co.jp", "v=DMARC1; p=reject")
    try:
        v = dns.check("--from", "www.city.kawasaki.jp", mode="rfc7489")
        assert v["org_domain"] == "city.kawasaki.jp"
        assert v["policy_domain"] == "city.kawasaki.jp"
        assert v["policy"] == "quarantine" and v["policy_tag"] == "sp"
        assert v["queried"] == ["_dmarc.www.city.kawasaki.jp",
                                "_dmarc.city.kawasaki.jp"]

        # foo.kawasaki.jp is itself a public suffix: its record is not
        # the policy of shop.foo.kawasaki.jp.
        v = dns.check("--from", "mail.shop.foo.kawasaki.jp",
                      mode="rfc7489")
        assert v["org_domain"] == "shop.foo.kawasaki.jp"
        assert v["result"] == "none"
        assert v["queried"] == ["_dmarc.mail.shop.foo.kawasaki.jp",
                                "_dmarc.shop.foo.kawasaki.jp"]

        # Nor is co.jp's record anyone's policy.
        v = dns.check("--from", "mail.k%s.co.jp" % uid, mode="rfc7489")
        assert v["result"] == "none"
        assert v["org_domain"] == "k%s.co.jp" % uid
        assert "_dmarc.co.jp" not in v["queried"]

        # RFC 9989 has no list: a record at co.jp without psd=y makes co.jp
        # the Organizational Domain of everything under it ...
        v = dns.check("--from", "mail.k%s.co.jp" % uid)
        assert v["org_domain"] == "co.jp" and v["policy"] == "reject"
        # ... and psd=y makes it a public suffix domain whose policy covers
        # organizations that publish none.
        dns.remove("_dmarc.co.jp")
        dns.dmarc("co.jp", "v=DMARC1; p=reject; sp=quarantine; psd=y")
        v = dns.check("--from", "mail.k%s.co.jp" % uid)
        assert v["org_domain"] == "k%s.co.jp" % uid
        assert v["policy_domain"] == "co.jp" and v["policy"] == "quarantine"
        assert "falls under the public suffix domain co.jp" in v["reason"]
    finally:
        for n in ("city.kawasaki.jp", "foo.kawasaki.jp", "co.jp"):
            dns.remove("_dmarc." + n)


# ---------------------------------------------------------------- RFC 9989

def test_tree_walk_simple_b41(dns, b):
    """RFC 9989 B.4.1: signing.X and X both publish; X is the
    Organizational Domain of both, so DKIM and SPF align."""
    dns.dmarc(b, "v=DMARC1; p=reject")
    dns.dmarc("signing." + b, "v=DMARC1; p=none")
    v = dns.check("--from", b, "--mailfrom", b, "--spf", "pass",
                  "--dkim", "signing.%s:pass" % b)
    assert v["result"] == "pass" and v["aligned"] == ["dkim", "spf"]
    assert v["org_domain"] == b and v["policy_domain"] == b
    assert v["queried"] == ["_dmarc." + b, "_dmarc.example",
                            "_dmarc.signing." + b]
    cp = dns.run("--org", "signing." + b)
    assert json.loads(cp.stdout) == {"org_domain": b}


def test_tree_walk_deep_b42(dns, b):
    """RFC 9989 B.4.2: at most eight queries, skipping to seven labels."""
    f = "a.b.c.d.e.f.g.h.i.j.k." + b
    dns.dmarc(b, "v=DMARC1; p=reject")
    dns.dmarc("signing." + b, "v=DMARC1; p=none")
    # Published at a name the walk skips: never seen.
    dns.dmarc("c.d.e.f.g.h.i.j.k." + b, "v=DMARC1; p=none; psd=n")
    v = dns.check("--from", f, "--mailfrom", b, "--spf", "pass",
                  "--dkim", "signing.%s:pass" % b)
    assert v["queried"][:8] == [
        "_dmarc." + f, "_dmarc.g.h.i.j.k." + b, "_dmarc.h.i.j.k." + b,
        "_dmarc.i.j.k." + b, "_dmarc.j.k." + b, "_dmarc.k." + b,
        "_dmarc." + b, "_dmarc.example"]
    assert "_dmarc.c.d.e.f.g.h.i.j.k." + b not in v["queried"]
    assert v["org_domain"] == b and v["policy_domain"] == b
    assert v["result"] == "pass" and v["aligned"] == ["dkim", "spf"]
    v = dns.check("--from", f)
    assert v["result"] == "fail" and v["policy"] == "reject"
    assert v["policy_tag"] == "p"


def test_tree_walk_psd_b43(dns, b):
    """RFC 9989 B.4.3: bank.example is a PSD (psd=y); giant.bank.example
    and mega.bank.example are different organizations."""
    psd = "bank" + b
    dns.dmarc(psd, "v=DMARC1; p=reject; psd=y")
    dns.dmarc("giant." + psd, "v=DMARC1; p=quarantine")
    v = dns.check("--from", "giant." + psd, "--mailfrom",
                  "mail.giant." + psd, "--spf", "pass",
                  "--dkim", "mail.mega.%s:pass" % psd)
    assert v["result"] == "pass" and v["aligned"] == ["spf"]
    assert v["org_domain"] == "giant." + psd
    assert v["policy_domain"] == "giant." + psd
    v = dns.check("--from", "giant." + psd, "--dkim",
                  "mail.mega.%s:pass" % psd)
    assert v["result"] == "fail" and v["policy"] == "quarantine"
    assert ("the DKIM signature of mail.mega.%s passed but is not aligned"
            % psd) in v["reason"]
    for name, org in (("mail.mega." + psd, "mega." + psd),
                      ("mail.giant." + psd, "giant." + psd),
                      ("giant." + psd, "giant." + psd)):
        cp = dns.run("--org", name)
        assert json.loads(cp.stdout) == {"org_domain": org}, name


def test_psd_n_makes_an_organizational_domain(dns, b):
    dns.dmarc(b, "v=DMARC1; p=none")
    dns.dmarc("dept." + b, "v=DMARC1; p=reject; psd=n")
    f = "a.dept." + b
    v = dns.check("--from", f, "--dkim", b + ":pass")
    assert v["org_domain"] == "dept." + b
    assert v["policy_domain"] == "dept." + b
    assert v["result"] == "fail" and v["policy"] == "reject"
    # The walk stops at psd=n: _dmarc.<b> is not asked for the policy.
    assert v["queried"][:2] == ["_dmarc." + f, "_dmarc.dept." + b]
    v = dns.check("--from", f, "--dkim", "x.dept.%s:pass" % b)
    assert v["result"] == "pass"


def test_np_for_non_existent_subdomains(dns, b):
    dns.dmarc(b, "v=DMARC1; p=none; sp=quarantine; np=reject")
    dns.host("exists." + b)
    v = dns.check("--from", "ghost." + b)
    assert v["result"] == "fail" and v["policy"] == "reject"
    assert v["policy_tag"] == "np" and v["from_nxdomain"] is True
    assert "ghost." + b in v["queried"]       # the existence check
    assert v["reason"].startswith(
        "the From domain ghost.%s does not exist (NXDOMAIN), %s publishes "
        "np=reject for non-existent subdomains and no DKIM signature or SPF "
        "result aligned with it" % (b, b))
    v = dns.check("--from", "exists." + b)
    assert v["policy_tag"] == "sp" and v["policy"] == "quarantine"
    assert v["from_nxdomain"] is False
    v = dns.check("--from", b)
    assert v["policy_tag"] == "p" and v["policy"] == "none"
    # RFC 7489 has no np.
    v = dns.check("--from", "ghost." + b, mode="rfc7489")
    assert v["policy_tag"] == "sp" and v["policy"] == "quarantine"

    # A public suffix domain's np covers names under organizations that
    # publish nothing.
    psd = "psd" + b
    dns.dmarc(psd, "v=DMARC1; p=quarantine; np=reject; psd=y")
    v = dns.check("--from", "nobody.org1." + psd)
    assert v["org_domain"] == "org1." + psd
    assert v["policy_domain"] == psd and v["policy_tag"] == "np"
    assert v["policy"] == "reject"
    assert "the public suffix domain %s publishes np=reject" % psd in v[
        "reason"]


# ---------------------------------------------------------------- A-R

def test_authentication_results_read_independently(dns, b):
    """What kakuin writes is read by python3-authres the same way,
    including the organization's Japanese name (an RFC 8187 ext-value)."""
    dns.dmarc(b, "v=DMARC1; p=reject")
    v = dns.check("--from", b, "--dkim", b + ":pass",
                  "--mark", "4011001099001:株式会社角印商事")
    field = "Authentication-Results:" + v["authentication_results"]
    assert all(len(line) <= 998 for line in field.split("\r\n"))
    h = authres.AuthenticationResultsHeader.parse(field.replace("\r\n",
                                                                "\n"))
    assert str(h.authserv_id) == "mx.kakuin.example"
    methods = {r.method: r for r in h.results}
    d = methods["dmarc"]
    assert d.result == "pass" and d.reason == v["reason"]
    props = {(p.type, p.name): p.value for p in d.properties}
    assert props[("header", "from")] == b
    assert props[("policy", "dmarc")] == "none"
    m = methods["kakuin-mark"]
    props = {(p.type, p.name): p.value for p in m.properties}
    assert props[("policy", "corporate-number")] == "4011001099001"
    charset, _, text = props[("policy", "organization")].split("'", 2)
    assert charset == "UTF-8"
    assert urllib.parse.unquote(text, errors="strict") == "株式会社角印商事"

    # A fail carries its reason and the policy applied.
    v = dns.check("--from", b)
    h = authres.AuthenticationResultsHeader.parse(
        ("Authentication-Results:" + v["authentication_results"]).replace(
            "\r\n", "\n"))
    d = h.results[0]
    assert d.result == "fail" and d.reason == v["reason"]
    assert {(p.type, p.name): p.value for p in d.properties}[
        ("policy", "dmarc")] == "reject"
