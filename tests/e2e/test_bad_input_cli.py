"""Bad input on the command line: exit 1, a message naming the problem,
and nothing stored changes."""
import pytest

from conftest import (JIPDEC, SAKURA, add_org, new_number, wrong_check)


def rejected(k, *args, want, rc=1):
    """Runs a command that must be refused; returns its result."""
    snap = k.snapshot()
    r = k.run(*args)
    assert r.rc == rc, r
    for w in ([want] if isinstance(want, (str, bytes)) else want):
        assert w in r.err, r
    assert r.out == "" or r.out.lstrip().startswith("{"), r
    assert k.snapshot() == snap, "a refused command changed the store"
    return r


def test_wrong_check_digit(demo):
    bad = wrong_check(new_number())
    r = rejected(demo, "org", "add", "--number", bad, "--name", "株式会社X",
                 want="wrong check digit")
    assert "the first digit must be %s" % (
        __import__("conftest").check_digit(bad[1:])) in r.err
    rejected(demo, "org", "show", wrong_check(JIPDEC),
             want="wrong check digit")
    rejected(demo, "org", "verify", wrong_check(SAKURA), "--reason", "x",
             want="wrong check digit")
    rejected(demo, "org", "domain", "add", wrong_check(SAKURA),
             "x.example.jp", want="wrong check digit")


@pytest.mark.parametrize("number,want", [
    ("101040500940", "has 13 digits; this one has 12 characters"),
    ("10104050094031", "has 13 digits; this one has 14 characters"),
    ("1O10405009403", "only digits 0-9; character 2 is not one"),
    ("", "has 13 digits; this one has 0 characters"),
])
def test_malformed_number(demo, number, want):
    rejected(demo, "org", "add", "--number", number, "--name", "株式会社X",
             want=want)


def test_unknown_number(demo):
    n = new_number()
    r = rejected(demo, "org", "show", n,
                 want="no organization with corporate number %s" % n)
    r = demo.run("org", "show", n, "--json")
    assert r.rc == 1
    assert r.json()["error"] == {
        "code": "not_found", "field": "number",
        "message": "no organization with corporate number %s is in the "
                   "registry" % n}
    rejected(demo, "org", "verify", n, "--reason", "x", want="no organization")
    rejected(demo, "org", "update", n, "--url", "https://x.example/",
             want="no organization")
    rejected(demo, "org", "domain", "add", n, "x.example.jp",
             want="no organization")


def test_duplicate_organization(demo):
    before = demo.show(JIPDEC)
    rejected(demo, "org", "add", "--number", JIPDEC, "--name", "偽の財団",
             want="organization %s is already registered (status verified)"
             % JIPDEC)
    r = demo.run("org", "add", "--number", JIPDEC, "--name", "偽", "--json")
    assert r.rc == 1
    e = r.json()["error"]
    assert e["code"] == "exists" and e["field"] == "number"
    assert demo.show(JIPDEC) == before


@pytest.mark.parametrize("flag,value,want", [
    ("--name", "あ" * 151, "name is too long: 151 characters, at most 150"),
    ("--name", "x" * 700, "name is too long"),
    ("--name-en", "e" * 201, "name_en is too long"),
    ("--description", "説" * 2001, "description is too long"),
    ("--name", "株式会社\x07ベル", "name contains a control character"),
    ("--name", "株式会社\n改行", "name contains a control character"),
    ("--name", "\u0085次行", "name contains a control character"),
    ("--address", "東京都\x1b[31m", "address contains a control character"),
    ("--kana", "かたかなではない", "kana must be written in katakana "
                             "(character 1 is not)"),
    ("--kana", "カタカナ漢字", "kana must be written in katakana "
                          "(character 5 is not)"),
    ("--postal-code", "12345", "postal_code must be 7 digits"),
    ("--url", "ftp://files.example/", "url must start with https:// or "
                                      "http://"),
    ("--url", "https://", "url has no host name"),
    ("--url", "https://a.example/<script>", "url contains a character "
                                            "not allowed"),
    ("--founded", "2023-02-29", "founded must be a calendar date"),
    ("--founded", "令和5年", "founded must be a calendar date"),
    ("--phone", "03-ABCD-1234", "phone may hold only digits"),
    ("--phone", "123", "phone must have 6 to 15 digits"),
    ("--name", "   ", "name (the legal name"),
])
def test_bad_field_on_add(demo, flag, value, want):
    n = new_number()
    args = ["org", "add", "--number", n, "--name", "株式会社よい名前"]
    args += [flag, value]
    rejected(demo, *args, want=want)
    r = demo.run("org", "show", n)
    assert r.rc == 1 and "no organization" in r.err


def test_non_utf8_field(demo):
    n = new_number()
    rejected(demo, "org", "add", "--number", n, "--name", b"\xff\xfe\x80",
             want="name is not valid UTF-8")
    before = demo.show(SAKURA)
    rejected(demo, "org", "update", SAKURA, "--address", b"\xe6\x9d",
             want="address is not valid UTF-8")
    assert demo.show(SAKURA) == before


def test_limits_are_inclusive(demo):
    # The longest allowed values are accepted.
    n = new_number()
    j = demo.json("org", "add", "--number", n, "--name", "あ" * 150,
                  "--description", "改\n行" * 666, "--json")
    assert len(j["name"]) == 150
    assert j["description"].count("\n") == 666


def test_bad_field_on_update_keeps_the_record(demo):
    before = demo.show(SAKURA)
    rejected(demo, "org", "update", SAKURA, "--url", "https://ok.example/",
             "--postal-code", "1", want="postal_code must be 7 digits")
    assert demo.show(SAKURA) == before


@pytest.mark.parametrize("domain,want", [
    ("exa mple.jp", "has a character other than letters, digits, hyphens"),
    ("a..example.jp", "has an empty label"),
    (".example.jp", "has an empty label"),
    ("www.-bad.example.jp", "starts with a hyphen"),
    ("bad-.example.jp", "ends with a hyphen"),
    ("localhost", "needs at least two labels"),
    ("192.0.2.1", "looks like an IP address"),
    ("x" * 64 + ".example.jp", "longer than 63 characters"),
    (("a" * 60 + ".") * 5 + "jp", "longer than 253 characters"),
    ("例え.jp", "non-ASCII characters"),
    ("under_score.example.jp", "has a character other than"),
    ("", "domain is empty"),
])
def test_malformed_domain(demo, domain, want):
    rejected(demo, "org", "domain", "add", SAKURA, domain, want=want)
    r = demo.run("org", "domain", "add", SAKURA, domain, "--json")
    assert r.rc == 1
    e = r.json()["error"]
    assert e["code"] == "invalid" and e["field"] == "domain"


def test_domain_claims_need_an_active_application(demo):
    n = add_org(demo)
    demo.ok("org", "withdraw", n, "--reason", "取り下げ")
    rejected(demo, "org", "domain", "add", n, "late.example.jp",
             want="a withdrawn organization cannot claim domains")
    rejected(demo, "org", "domain", "check", SAKURA, "unclaimed.example.jp",
             want="has not been claimed by this organization")


def test_usage_errors_exit_2(demo):
    snap = demo.snapshot()
    for args in (["org"], ["org", "frobnicate"], ["org", "add", "--name", "x"],
                 ["org", "show"], ["org", "verify", SAKURA, "extra", "arg"],
                 ["nosuchnoun"], ["user", "add", "bob"]):
        r = demo.run(*args)
        assert r.rc == 2, (args, r)
        assert "usage" in r.err, (args, r)
    assert demo.snapshot() == snap
