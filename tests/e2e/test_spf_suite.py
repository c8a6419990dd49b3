"""The RFC 7208 SPF conformance suite (openspf.org's rfc7208-tests.yml, as
Debian's python3-spf ships it) run against kakuin's SPF.

For each scenario of the suite, its zone data is loaded into a real
unbound on loopback (spfdns.LocalDNS) with the conventions of the suite's
own driver (pyspf's testspf.py): an "SPF" record is also served as TXT
unless the name has TXT records of its own, "TXT: NONE" means no TXT
records, and TIMEOUT makes the name silent for every type not listed
before it -- unbound drops those queries, so the resolver under test sees
a real timeout.  Then spf-check (lib/mail/spf through lib/dns) runs each
test's check_host() for its MAIL FROM (postmaster@HELO when empty) and
the result must be one the suite allows; where the suite gives an
explanation, kakuin's exp= text must equal it ("DEFAULT": none).

DIVERGE lists the tests where kakuin follows the RFC's text over the
suite, with the reason; they still run, against the RFC's answer.
"""
import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from spfdns import LocalDNS, Zone, spf_check, zname, ztxt

SUITE = Path(os.environ.get("KAKUIN_SPF_SUITE") or
             "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz")

# Test id -> (what kakuin gives instead, why).
DIVERGE = {
    "v-macro-ip6": (
        {"result": "fail", "explanation":
         "cafe:babe::1 is queried as 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
         ".0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa"},
        "%{i} of an IPv6 client gives lower-case nibbles, as the worked "
        "example of RFC 7208 section 7.4 does (1.0.b.c.0...ip6); the "
        "suite expects pyspf's upper case. DNS names are case-blind, so "
        "only this explanation text differs."),
}

# A dead name costs the resolver about two of these (spf-check -t).
TIMEOUT_MS = 400


def load_suite():
    if not SUITE.exists():
        return []
    opener = gzip.open if SUITE.suffix == ".gz" else open
    with opener(SUITE, "rb") as f:
        return list(yaml.safe_load_all(f))


SCENARIOS = load_suite()


def zone_of(scenario):
    """The scenario's zone data, as pyspf's test driver reads it."""
    z = Zone()
    for name, recs in scenario["zonedata"].items():
        z.name(name)
        has_txt = any(isinstance(r, dict) and "TXT" in r for r in recs)
        for r in recs:
            if r == "TIMEOUT":
                # Types listed before it are answered; every other
                # query for the name goes unanswered.
                z.mute(name)
                break
            (rtype, value), = r.items()
            if rtype in ("TXT", "SPF"):
                strings = [value] if isinstance(value, str) else value
                if strings == ["NONE"]:
                    continue
                if not strings:
                    strings = [""]   # no strings: served as one empty one
                z.add(name, rtype, ztxt(strings))
                if rtype == "SPF" and not has_txt:
                    z.add(name, "TXT", ztxt(strings))
            elif rtype == "MX":
                z.add(name, "MX", "%d %s" % (value[0], zname(value[1])))
            elif rtype in ("PTR", "CNAME"):
                z.add(name, rtype, zname(value))
            else:
                z.add(name, rtype, str(value))
    return z


def cases():
    out = []
    for i, sc in enumerate(SCENARIOS):
        for tid in sc["tests"]:
            out.append(pytest.param(i, tid, id=tid))
    return out


@pytest.fixture(scope="module")
def suite_results(tmp_path_factory):
    """Every test of the suite, run scenario by scenario (each with its
    own DNS server; the tests of one scenario in parallel)."""
    results = {}
    for i, sc in enumerate(SCENARIOS):
        dns = LocalDNS(tmp_path_factory.mktemp("spfsuite%d" % i),
                       zone_of(sc).config())
        try:
            def run(tid, sc=sc, dns=dns):
                t = sc["tests"][tid]
                return tid, spf_check(dns.resolver, str(t["host"]),
                                      t["helo"], t["mailfrom"],
                                      timeout_ms=TIMEOUT_MS,
                                      extra=["-R", "receiver.example"])
            with ThreadPoolExecutor(max_workers=8) as ex:
                for tid, res in ex.map(run, list(sc["tests"])):
                    results[(i, tid)] = res
        finally:
            dns.stop()
    return results


def test_suite_is_installed():
    # Debian's python3-spf ships the suite (scripts/deps installs it).
    assert SUITE.exists(), "%s is missing: install python3-spf" % SUITE
    n = sum(len(sc["tests"]) for sc in SCENARIOS)
    assert len(SCENARIOS) == 16 and n == 203, (len(SCENARIOS), n)


@pytest.mark.parametrize("scenario,tid", cases())
def test_rfc7208(suite_results, scenario, tid):
    t = SCENARIOS[scenario]["tests"][tid]
    got = suite_results[(scenario, tid)]
    want = t["result"] if isinstance(t["result"], list) else [t["result"]]
    want_exp = t.get("explanation")
    if tid in DIVERGE:
        alt, _ = DIVERGE[tid]
        want, want_exp = [alt["result"]], alt.get("explanation", want_exp)
    assert got["result"] in want, (t.get("description"), got)
    if want_exp is not None:
        assert got["explanation"] == ("" if want_exp == "DEFAULT"
                                      else want_exp), got
    # Every verdict explains itself, naming the RFC section.
    assert "RFC" in got["reason"], got
