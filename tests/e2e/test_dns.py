"""lib/dns against a real unbound on loopback: record types, the four
kinds of "no answer" (NXDOMAIN, no data, temporary failure, bogus), and
DNSSEC -- a zone signed with ldns-signzone, whose key the resolver under
test is given as its trust anchor, is secure; an unsigned zone is not; a
signed zone whose data was changed after signing is bogus.
"""
import pytest

from spfdns import (LocalDNS, Zone, auth_zone, dns_query, signed_zone,
                    ztxt)

SIGNED = "signed.kakuin.example."
BROKEN = "broken.kakuin.example."


@pytest.fixture(scope="module")
def dnssec(tmp_path_factory):
    d = tmp_path_factory.mktemp("dnssec")
    good, ds_good = signed_zone(d / "good", SIGNED, [
        '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"',
        "@ IN MX 10 mx." + SIGNED,
        "mx IN A 192.0.2.25",
        "mx IN AAAA 2001:db8::25",
    ])
    bad, ds_bad = signed_zone(d / "bad", BROKEN, [
        '@ IN TXT "v=spf1 -all"',
    ], tamper=('"v=spf1 -all"', '"v=spf1 +all"'))
    anchor = d / "anchors"
    anchor.write_text(ds_good + ds_bad)
    z = Zone()
    z.add("plain.kakuin.example", "TXT", ztxt("v=spf1 mx -all"))
    z.add("plain.kakuin.example", "TXT", ztxt(["two ", "strings"]))
    z.add("plain.kakuin.example", "MX", "0 .")
    z.add("nul.kakuin.example", "TXT", ztxt(b"a\0b"))
    z.add("host.kakuin.example", "A", "192.0.2.7")
    z.add("host.kakuin.example", "A", "192.0.2.8")
    z.add("host.kakuin.example", "AAAA", "2001:db8::7")
    z.add("7.2.0.192.in-addr.arpa", "PTR", "host.kakuin.example.")
    z.add("7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
          ".ip6.arpa", "PTR", "host.kakuin.example.")
    z.add("odd name%.kakuin.example", "A", "192.0.2.9")
    z.mute("silent.kakuin.example")
    conf = z.config() + "".join(
        "    local-zone: '%s' transparent\n" % o for o in (SIGNED, BROKEN))
    conf += "    local-zone: 'refused.kakuin.example.' refuse\n"
    srv = LocalDNS(d / "server", conf,
                   auth_zone(SIGNED, good) + auth_zone(BROKEN, bad))
    srv.anchor = anchor
    yield srv
    srv.stop()


def q(srv, rtype, name, anchor=True, **kw):
    return dns_query(srv.resolver, rtype, name,
                     anchor=srv.anchor if anchor else None, **kw)


def test_signed_zone_is_secure(dnssec):
    r = q(dnssec, "TXT", SIGNED)
    assert r["status"] == "answer" and r["secure"] is True, r
    assert [x["text"] for x in r["records"]] == [
        "v=spf1 ip4:192.0.2.0/24 -all"]
    r = q(dnssec, "AAAA", "mx." + SIGNED)
    assert r["secure"] is True and r["records"] == [{"addr": "2001:db8::25"}]
    r = q(dnssec, "MX", SIGNED)
    assert r["secure"] is True
    assert r["records"] == [{"text": "mx.signed.kakuin.example",
                             "pref": 10}], r


def test_signed_denials_are_secure(dnssec):
    # NSEC proves the name or the type absent.
    r = q(dnssec, "TXT", "nowhere." + SIGNED)
    assert r["status"] == "NXDOMAIN" and r["secure"] is True, r
    r = q(dnssec, "A", SIGNED)
    assert r["status"] == "no records" and r["secure"] is True, r


def test_unsigned_zone_is_not_secure(dnssec):
    r = q(dnssec, "TXT", "plain.kakuin.example")
    assert r["status"] == "answer" and r["secure"] is False, r


def test_without_a_trust_anchor_nothing_is_secure(dnssec):
    r = q(dnssec, "TXT", SIGNED, anchor=False)
    assert r["status"] == "answer" and r["secure"] is False, r


def test_changed_signed_data_is_bogus(dnssec):
    r = q(dnssec, "TXT", BROKEN)
    assert r["status"] == "DNSSEC bogus" and r["records"] == [], r
    assert r["rc"] == -10 and "DNSSEC" in r["error"], r
    # Without validation the changed record is simply served.
    r = q(dnssec, "TXT", BROKEN, anchor=False)
    assert [x["text"] for x in r["records"]] == ["v=spf1 +all"], r


def test_nxdomain_and_no_data_are_told_apart(dnssec):
    assert q(dnssec, "A", "nowhere.kakuin.example")["status"] == "NXDOMAIN"
    r = q(dnssec, "A", "plain.kakuin.example")
    assert r["status"] == "no records" and r["rc"] == 0, r


def test_server_failure_and_timeout_are_temporary(dnssec):
    r = q(dnssec, "TXT", "x.refused.kakuin.example")
    assert r["status"] == "temporary failure" and r["rc"] == -10, r
    assert "REFUSED" in r["error"] or "SERVFAIL" in r["error"], r
    # The server drops the query: a real timeout, cut short by -t.
    r = q(dnssec, "TXT", "silent.kakuin.example", timeout_ms=300)
    assert r["status"] == "temporary failure" and r["rc"] == -10, r
    assert "timeout" in r["error"], r


def test_record_types(dnssec):
    r = q(dnssec, "A", "host.kakuin.example")
    assert sorted(x["addr"] for x in r["records"]) == ["192.0.2.7",
                                                       "192.0.2.8"]
    r = q(dnssec, "PTR", "7.2.0.192.in-addr.arpa")
    assert r["records"] == [{"text": "host.kakuin.example"}], r
    # 2001:db8::/32 is a documentation prefix: libunbound would answer
    # for it itself; the configured server decides instead.
    r = q(dnssec, "PTR", "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
          ".8.b.d.0.1.0.0.2.ip6.arpa")
    assert r["records"] == [{"text": "host.kakuin.example"}], r
    # TXT strings are joined with nothing between them; a null MX is
    # the root name.
    r = q(dnssec, "TXT", "plain.kakuin.example")
    assert sorted(x["text"] for x in r["records"]) == [
        "two strings", "v=spf1 mx -all"]
    r = q(dnssec, "MX", "plain.kakuin.example")
    assert r["records"] == [{"text": "", "pref": 0}], r


def test_names_are_queried_byte_for_byte(dnssec):
    # Macro expansion can make names with spaces and '%'.
    r = q(dnssec, "A", "odd name%.kakuin.example")
    assert r["records"] == [{"addr": "192.0.2.9"}], r
    # A NUL inside a TXT record is kept (length-counted), not cut.
    r = q(dnssec, "TXT", "nul.kakuin.example")
    assert r["records"] == [{"text": "a\\x00b"}], r


@pytest.mark.parametrize("name", [
    "a" * 64 + ".kakuin.example",           # label over 63 bytes
    "a..kakuin.example",                    # empty label
    ".",                                    # nothing but the root
    ("a" * 62 + ".") * 4 + "example",       # over 253 bytes
])
def test_names_dns_cannot_hold_are_refused_without_a_query(dnssec, name):
    before = dnssec.queries()
    r = q(dnssec, "A", name, anchor=False)
    assert r["rc"] == -2 and "RFC 1035" in r["error"], r
    assert dnssec.queries() == before


def test_threads_share_one_resolver(dnssec):
    # The milter looks up from several threads with one kn_dns.
    r = q(dnssec, "TXT", SIGNED, threads=8, repeat=4)
    assert r["agree"] is True and r["secure"] is True, r
    r = q(dnssec, "A", "host.kakuin.example", threads=8, repeat=4)
    assert r["agree"] is True and len(r["records"]) == 2, r


def test_answers_come_from_the_cache(dnssec):
    # Twenty lookups of one name through one kn_dns ask the server once.
    before = dnssec.queries()
    r = q(dnssec, "A", "host.kakuin.example", anchor=False, repeat=20)
    assert len(r["records"]) == 2
    assert dnssec.queries() - before == 1
