"""kakuin's SPF beyond the conformance suite (test_spf_suite.py): the HELO
identity, the null reverse-path, DNSSEC in the verdict, the per-message
DNS budget and the wall-clock limit, and verdicts a person can read --
through spf-check against a real unbound on loopback.
"""
import subprocess

import pytest

from spfdns import (SPF_CHECK, LocalDNS, Zone, auth_zone, signed_zone,
                    spf_check, ztxt)

SIGNED = "secure-mail.kakuin.example."


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    d = tmp_path_factory.mktemp("spf")
    zone, ds = signed_zone(d / "signed", SIGNED, [
        '@ IN TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"',
    ])
    anchor = d / "anchor"
    anchor.write_text(ds)
    z = Zone()
    z.add("mail.kakuin.example", "TXT", ztxt("v=spf1 a -all"))
    z.add("mail.kakuin.example", "A", "192.0.2.10")
    z.add("shop.kakuin.example", "TXT",
          ztxt("v=spf1 include:_spf.kakuin.example ~all "
               "exp=why.kakuin.example"))
    z.add("_spf.kakuin.example", "TXT",
          ztxt("v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 -all"))
    z.add("why.kakuin.example", "TXT",
          ztxt("%{i} may not send for %{d} (checked by %{r})"))
    z.add("strict.kakuin.example", "TXT",
          ztxt("v=spf1 -ip4:198.51.100.66 include:_spf.kakuin.example "
               "-all exp=why.kakuin.example"))
    # Ten DNS-querying terms, none matching 192.0.2.99.
    z.add("busy.kakuin.example", "TXT", ztxt(
        "v=spf1 " + " ".join("a:h%d.kakuin.example" % i for i in range(8))
        + " mx ip4:192.0.2.99 -all"))
    for i in range(8):
        z.add("h%d.kakuin.example" % i, "A", "203.0.113.%d" % (i + 1))
    z.add("busy.kakuin.example", "MX", "10 mail.kakuin.example.")
    z.add("slow.kakuin.example", "TXT",
          ztxt("v=spf1 a:silent.kakuin.example -all"))
    z.mute("silent.kakuin.example")
    conf = z.config() + "    local-zone: '%s' transparent\n" % SIGNED
    srv = LocalDNS(d / "server", conf, auth_zone(SIGNED, zone))
    srv.anchor = anchor
    yield srv
    srv.stop()


def check(dns, ip, helo, mailfrom, *extra, anchor=True):
    return spf_check(dns.resolver, ip, helo, mailfrom, timeout_ms=300,
                     anchor=dns.anchor if anchor else None,
                     extra=list(extra))


def test_pass_and_fail_name_the_domain_and_the_term(dns):
    v = check(dns, "198.51.100.7", "mx.example.net",
              "alice@shop.kakuin.example")
    assert v["result"] == "pass" and v["domain"] == "shop.kakuin.example"
    assert v["mechanism"] == "include:_spf.kakuin.example"
    assert "198.51.100.7 is authorized to send mail for " \
        "shop.kakuin.example" in v["reason"]
    assert "ip4:198.51.100.0/24" in v["reason"]     # the included term
    assert "RFC 7208 section 5.2" in v["reason"]
    v = check(dns, "192.0.2.1", "mx.example.net",
              "alice@shop.kakuin.example")
    assert v["result"] == "softfail" and v["mechanism"] == "~all"
    assert "probably not authorized" in v["reason"]
    assert v["explanation"] == ""   # exp= is for fail only


def test_fail_carries_the_domains_explanation(dns):
    v = check(dns, "198.51.100.66", "mx.example.net",
              "bob@strict.kakuin.example", "-R", "mx.kakuin.example")
    assert v["result"] == "fail" and v["mechanism"] == "-ip4:198.51.100.66"
    assert v["explanation"] == ("198.51.100.66 may not send for "
                                "strict.kakuin.example (checked by "
                                "mx.kakuin.example)")


def test_ipv6_and_ipv4_mapped_clients(dns):
    v = check(dns, "2001:db8:5::1", "mx.example.net",
              "a@shop.kakuin.example")
    assert v["result"] == "pass", v
    # An IPv4-mapped IPv6 address is checked as IPv4 (RFC 7208 5).
    v = check(dns, "::ffff:198.51.100.7", "mx.example.net",
              "a@shop.kakuin.example")
    assert v["result"] == "pass" and "198.51.100.7 is" in v["reason"], v


def test_helo_identity(dns):
    v = check(dns, "192.0.2.10", "mail.kakuin.example",
              "someone@elsewhere.example", "-H")
    assert v["identity"] == "helo" and v["result"] == "pass", v
    assert v["domain"] == "mail.kakuin.example"
    assert v["sender"] == "postmaster@mail.kakuin.example"
    v = check(dns, "192.0.2.11", "mail.kakuin.example", "", "-H")
    assert v["result"] == "fail", v
    # An address literal is no domain to check (RFC 7208 2.3).
    v = check(dns, "192.0.2.11", "[192.0.2.11]", "", "-H")
    assert v["result"] == "none" and "2.3" in v["reason"], v
    assert v["queries"] == 0


def test_null_reverse_path_checks_postmaster_at_helo(dns):
    v = check(dns, "192.0.2.10", "mail.kakuin.example", "")
    assert v["identity"] == "mailfrom" and v["result"] == "pass", v
    assert v["sender"] == "postmaster@mail.kakuin.example"


def test_dnssec_shows_in_the_verdict(dns):
    v = check(dns, "192.0.2.5", "mx.example.net", "a@" + SIGNED[:-1])
    assert v["result"] == "pass" and v["secure"] is True, v
    v = check(dns, "192.0.2.5", "mx.example.net", "a@" + SIGNED[:-1],
              anchor=False)
    assert v["result"] == "pass" and v["secure"] is False, v
    # One unsigned answer on the way makes the verdict not secure.
    v = check(dns, "198.51.100.7", "mx.example.net",
              "a@shop.kakuin.example")
    assert v["result"] == "pass" and v["secure"] is False, v


def test_lookup_counts_are_reported(dns):
    v = check(dns, "192.0.2.99", "mx.example.net", "a@busy.kakuin.example")
    assert v["result"] == "pass", v
    assert v["lookups"] == 9 and v["void_lookups"] == 0, v
    # TXT, 8 A, MX and the MX host's A.
    assert v["queries"] == 11, v


def test_per_message_budget_gives_temperror(dns):
    # The caller's budget for the whole message: 5 queries.
    v = check(dns, "192.0.2.99", "mx.example.net", "a@busy.kakuin.example",
              "-b", "5")
    assert v["result"] == "temperror", v
    assert "5 DNS queries" in v["reason"] and "budget" in v["reason"], v
    assert v["budget_used"] == 5 and v["queries"] == 5, v


def test_a_silent_server_gives_temperror(dns):
    v = check(dns, "192.0.2.1", "mx.example.net", "a@slow.kakuin.example")
    assert v["result"] == "temperror", v
    assert "silent.kakuin.example" in v["reason"] and \
        "RFC 7208 section 5.3" in v["reason"], v


def test_no_record_and_no_domain_give_none(dns):
    v = check(dns, "192.0.2.1", "mx.example.net", "a@h1.kakuin.example")
    assert v["result"] == "none" and "no SPF record" in v["reason"], v
    v = check(dns, "192.0.2.1", "mx.example.net", "a@gone.kakuin.example")
    assert v["result"] == "none" and "NXDOMAIN" in v["reason"], v


@pytest.mark.parametrize("ip", ["192.0.2.300", "192.0.2", "", "::g"])
def test_bad_client_address_is_refused(dns, ip):
    # Not an SPF result: the caller passed something that is no address.
    r = subprocess.run([SPF_CHECK, "-r", dns.resolver, "--", ip,
                        "mx.example.net", "a@mail.kakuin.example"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == "", r
    assert "is not an IPv4 or IPv6 address" in r.stderr, r
