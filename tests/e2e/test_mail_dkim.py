"""DKIM end to end: keys made by `kakuin mail keygen` and published in a
real DNS server (unbound on loopback); messages signed by `kakuin mail
sign` verified by dkimpy's `dkimverify` and by `opendkim-testmsg`
(libopendkim); messages signed by dkimpy's `dkimsign` (RSA and Ed25519)
verified by `kakuin mail verify`; the worked examples of RFC 6376 and
RFC 8463 verified through DNS; tampered messages failing everywhere.

dkimverify and opendkim-testmsg ask the system resolver, so they run in a
private network and mount namespace (unshare) whose /etc/resolv.conf
points at a second unbound on that namespace's own loopback, serving the
same records.
"""
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import KAKUIN, base_env

HERE = Path(__file__).resolve().parent

MSG = (b"From: Joe SixPack <joe@%(d)s>\r\n"
       b"To: Suzie Q <suzie@shopping.example.net>\r\n"
       b"Subject: Is dinner ready?\r\n"
       b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
       b"Message-ID: <20030712040037.46341.5F8J@%(d)s>\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"\r\n"
       b"Hi.\r\n"
       b"\r\n"
       b"We lost the game.  Are you hungry yet?\r\n"
       b"\r\n"
       b"Joe.\r\n")

# RFC 6376 appendix A (with errata 3192 and 4926) and RFC 8463 appendix
# A: the signed messages and their key records.
RFC6376_MSG = (
    b"DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
    b"      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
    b"      h=Received : From : To : Subject : Date : Message-ID;\r\n"
    b"      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    b"      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
    b"        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
    b"        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
    b"        4bmp/YzhwvcubU4=;\r\n"
    b"Received: from client1.football.example.com  [192.0.2.1]\r\n"
    b"      by submitserver.example.com with SUBMISSION;\r\n"
    b"      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n"
    b"From: Joe SixPack <joe@football.example.com>\r\n"
    b"To: Suzie Q <suzie@shopping.example.net>\r\n"
    b"Subject: Is dinner ready?\r\n"
    b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    b"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    b"\r\n"
    b"Hi.\r\n"
    b"\r\n"
    b"We lost the game. Are you hungry yet?\r\n"
    b"\r\n"
    b"Joe.\r\n")
RFC6376_KEY = (
    "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3"
    "/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/R"
    "tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToI"
    "MmPSPDdQPNUYckcQ2QIDAQAB")
RFC8463_MSG = (
    b"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    b" d=football.example.com; i=@football.example.com;\r\n"
    b" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    b" subject : date : message-id : from : subject : date;\r\n"
    b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    b" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    b" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    b" d=football.example.com; i=@football.example.com;\r\n"
    b" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    b" date : message-id : from : subject : date;\r\n"
    b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    b" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    b" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    b" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
    b"From: Joe SixPack <joe@football.example.com>\r\n"
    b"To: Suzie Q <suzie@shopping.example.net>\r\n"
    b"Subject: Is dinner ready?\r\n"
    b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    b"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    b"\r\n"
    b"Hi.\r\n"
    b"\r\n"
    b"We lost the game.  Are you hungry yet?\r\n"
    b"\r\n"
    b"Joe.\r\n")
RFC8463_KEYS = {
    "brisbane._domainkey.football.example.com":
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "test._domainkey.football.example.com":
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
        "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
        "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
        "Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
}


def txt_strings(value):
    """A TXT value as quoted character-strings of at most 250 octets."""
    return " ".join('"%s"' % value[i:i + 250]
                    for i in range(0, len(value), 250))


def publish(unbound, name, value):
    unbound.control("local_data", "%s. 60 IN TXT %s" % (
        name, txt_strings(value)))


def run(args, input=None, env=None, timeout=120):
    return subprocess.run(args, input=input, capture_output=True,
                          env=env or base_env(), timeout=timeout)


class Kakuin:
    def __init__(self, unbound, tmp):
        self.env = base_env(KAKUIN_RESOLVER=unbound.resolver)
        # No data directory: mail commands need none.
        self.dir = str(tmp / "no-datadir")

    def __call__(self, *args, input=None):
        return run([KAKUIN, "-d", self.dir] + list(args), input=input,
                   env=self.env)

    def verify(self, msg, *extra):
        r = self("mail", "verify", "--json", *extra, "-", input=msg)
        assert r.returncode in (0, 1, 2), r
        return r.returncode, json.loads(r.stdout)

    def sign(self, msg, *args):
        r = self("mail", "sign", *args, "-", input=msg)
        assert r.returncode == 0, r.stderr.decode()
        return r.stdout


# ---------------------------------------------------------------- the
# third parties, in a namespace with its own DNS


def _can_unshare():
    if shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-rmn", "true"], capture_output=True)
    return r.returncode == 0


NS_SCRIPT = r"""
set -e
ip link set lo up 2>/dev/null || ifconfig lo up
mount --bind "$D/resolv.conf" /etc/resolv.conf
unbound -d -c "$D/unbound.conf" >"$D/unbound.log" 2>&1 &
pid=$!
i=0
until /usr/bin/python3 -c 'import dns.resolver
r = dns.resolver.Resolver(); r.lifetime = 1
r.resolve("ready.ns.test", "TXT")' 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; exit 99; }
  sleep 0.1
done
set +e
for job in "$D"/job-*; do
  [ -d "$job" ] || continue
  sh "$job/cmd" <"$job/in" >"$job/out" 2>"$job/err"
  echo $? >"$job/rc"
done
kill $pid
"""


class Third:
    """Runs dkimverify and opendkim-testmsg against a set of records."""

    def __init__(self, tmp):
        self.dir = tmp / ("ns-" + uuid.uuid4().hex[:8])
        self.dir.mkdir()
        self.jobs = []

    def _conf(self, records):
        zones = sorted({n.split("._domainkey.", 1)[1] for n in records})
        lines = ["server:",
                 "    interface: 127.0.0.1", "    port: 53",
                 "    do-ip6: no", "    do-daemonize: no",
                 "    use-syslog: no", '    logfile: ""',
                 '    username: ""', '    chroot: ""', '    pidfile: ""',
                 '    directory: "%s"' % self.dir,
                 '    module-config: "iterator"',
                 '    local-zone: "ns.test." static',
                 "    local-data: 'ready.ns.test. 60 IN TXT \"yes\"'"]
        for z in zones:
            lines.append('    local-zone: "%s." static' % z)
        for n, v in records.items():
            lines.append("    local-data: '%s. 60 IN TXT %s'" % (
                n, txt_strings(v)))
        (self.dir / "unbound.conf").write_text("\n".join(lines) + "\n")
        (self.dir / "resolv.conf").write_text(
            "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")

    def add(self, cmd, msg):
        j = self.dir / ("job-%03d" % len(self.jobs))
        j.mkdir()
        (j / "cmd").write_text(cmd + "\n")
        (j / "in").write_bytes(msg)
        self.jobs.append(j)
        return len(self.jobs) - 1

    def dkimverify(self, msg, index=0):
        return self.add("dkimverify --index %d" % index, msg)

    def opendkim(self, msg):
        return self.add("opendkim-testmsg", msg)

    def run(self, records):
        self._conf(records)
        env = base_env(D=str(self.dir))
        r = subprocess.run(["unshare", "-rmn", "sh", "-c", NS_SCRIPT],
                           capture_output=True, env=env, timeout=300)
        assert r.returncode == 0, (r, (self.dir / "unbound.log").read_text())
        out = []
        for j in self.jobs:
            out.append((int((j / "rc").read_text()),
                        (j / "out").read_text() + (j / "err").read_text()))
        return out


needs_ns = pytest.mark.skipif(not _can_unshare(), reason="dkimverify and "
                              "opendkim-testmsg need a private network "
                              "namespace (unshare -rmn)")


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dkim_env(tmp_path_factory, unbound):
    """A domain of its own, an RSA-2048 and an Ed25519 key made by
    kakuin mail keygen, published in the session's unbound."""
    tmp = tmp_path_factory.mktemp("dkim")
    k = Kakuin(unbound, tmp)
    domain = "dkim%s.e2e.example" % uuid.uuid4().hex[:8]
    keys, records = {}, {}
    for sel, alg in (("rsa", "rsa-2048"), ("ed", "ed25519")):
        path = tmp / ("%s.pem" % sel)
        r = k("mail", "keygen", "--domain", domain, "--selector", sel,
              "--algorithm", alg, "-o", str(path), "--json")
        assert r.returncode == 0, r
        j = json.loads(r.stdout)
        assert j["name"] == "%s._domainkey.%s" % (sel, domain)
        publish(unbound, j["name"], j["value"])
        keys[sel] = path
        records[j["name"]] = j["value"]
    return {"k": k, "tmp": tmp, "domain": domain, "keys": keys,
            "records": records, "unbound": unbound}


def msg_for(domain):
    return MSG % {b"d": domain.encode()}


def statuses(j):
    return [x["result"] for x in j["dkim"]]


# ---------------------------------------------------------------- keygen


def test_keygen(dkim_env):
    k, tmp, domain = dkim_env["k"], dkim_env["tmp"], dkim_env["domain"]
    rsa = dkim_env["keys"]["rsa"]
    assert os.stat(rsa).st_mode & 0o777 == 0o600
    assert rsa.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    # openssl reads the key back: RSA of 2048 bits.
    r = run(["openssl", "pkey", "-in", str(rsa), "-noout", "-text"])
    assert r.returncode == 0 and b"2048 bit" in r.stdout, r
    rec = dkim_env["records"]["rsa._domainkey." + domain]
    assert rec.startswith("v=DKIM1; k=rsa; p=MIIB")
    ed = dkim_env["records"]["ed._domainkey." + domain]
    assert ed.startswith("v=DKIM1; k=ed25519; p=") and len(ed) == 66

    # The text output: a zone-file line split into strings.
    out = tmp / "text.pem"
    r = k("mail", "keygen", "--domain", domain, "--selector", "t1",
          "-o", str(out))
    assert r.returncode == 0, r
    text = r.stdout.decode()
    assert 't1._domainkey.%s. IN TXT ( "v=DKIM1; k=rsa; p=' % domain in text
    assert all(len(s) <= 255 for s in text.split('"')[1::2])

    # Never over an existing file; nothing made for a bad name.
    before = out.read_bytes()
    r = k("mail", "keygen", "--domain", domain, "--selector", "t1",
          "-o", str(out))
    assert r.returncode == 1 and b"exists" in r.stderr.lower(), r
    assert out.read_bytes() == before
    bad = tmp / "bad.pem"
    r = k("mail", "keygen", "--domain", "not a domain", "--selector", "s",
          "-o", str(bad))
    assert r.returncode == 1 and b"domain" in r.stderr, r
    assert not bad.exists()
    r = k("mail", "keygen", "--domain", domain, "--selector", "s",
          "--algorithm", "dsa", "-o", str(bad))
    assert r.returncode == 1 and b"ed25519" in r.stderr, r
    assert not bad.exists()


# ---------------------------------------------------------------- kakuin
# signs, the others verify


SIGN_CASES = [
    # name, selectors, extra sign args
    ("rsa", ["rsa"], []),
    ("ed25519", ["ed"], []),
    ("rsa simple", ["rsa"], ["--canon", "simple/simple"]),
    ("ed simple/relaxed", ["ed"], ["--canon", "simple/relaxed"]),
    ("rsa relaxed/simple", ["rsa"], ["--canon", "relaxed/simple"]),
    ("rsa with l=", ["rsa"], ["--body-length"]),
    ("rsa and ed25519", ["rsa", "ed"], []),
]

TAMPER = [
    ("body", lambda m: m.replace(b"hungry", b"thirsty")),
    ("subject", lambda m: m.replace(b"Subject: Is dinner",
                                    b"Subject: Was dinner")),
    ("added From", lambda m: b"From: <ceo@evil.example>\r\n" + m),
    ("From changed", lambda m: m.replace(b"From: Joe SixPack",
                                         b"From: The CEO")),
]


def sign_args(env, sels):
    args = ["--domain", env["domain"]]
    for s in sels:
        args += ["--selector", s, "--key", str(env["keys"][s])]
    return args


@needs_ns
def test_kakuin_signs_others_verify(dkim_env, tmp_path):
    k = dkim_env["k"]
    third = Third(tmp_path)
    expect = []
    for name, sels, extra in SIGN_CASES:
        signed = k.sign(msg_for(dkim_env["domain"]),
                        *(sign_args(dkim_env, sels) + extra))
        assert signed.count(b"DKIM-Signature:") == len(sels)
        assert signed.endswith(msg_for(dkim_env["domain"]))
        rc, j = k.verify(signed)
        assert rc == 0 and statuses(j) == ["pass"] * len(sels), (name, j)
        for i in range(len(sels)):
            expect.append((name, "dkimverify", i, 0,
                           third.dkimverify(signed, i)))
        expect.append((name, "opendkim-testmsg", 0, 0,
                       third.opendkim(signed)))
        for what, change in TAMPER:
            bad = change(signed)
            assert bad != signed
            rc, j = k.verify(bad)
            assert rc == 1, (name, what, j)
            assert all(s == "fail" for s in statuses(j)), (name, what, j)
            for i in range(len(sels)):
                expect.append((name + " / " + what, "dkimverify", i, 1,
                               third.dkimverify(bad, i)))
            expect.append((name + " / " + what, "opendkim-testmsg", 0,
                           "nonzero", third.opendkim(bad)))
    results = third.run(dkim_env["records"])
    for name, tool, idx, want, job in expect:
        rc, out = results[job]
        if want == "nonzero":
            assert rc != 0, (name, tool, out)
        else:
            assert rc == want, (name, tool, idx, out)
        if tool == "dkimverify":
            assert ("signature ok" in out) == (want == 0), (name, out)


@needs_ns
def test_kakuin_signs_lf_file(dkim_env, tmp_path):
    """A message stored with LF line ends is signed in that form; the
    others verify it as it stands and as sent (CRLF)."""
    k = dkim_env["k"]
    lf = msg_for(dkim_env["domain"]).replace(b"\r\n", b"\n")
    path = tmp_path / "lf.eml"
    path.write_bytes(lf)
    out = tmp_path / "lf-signed.eml"
    r = k("mail", "sign", *sign_args(dkim_env, ["ed", "rsa"]), "-o",
          str(out), str(path))
    assert r.returncode == 0, r
    signed = out.read_bytes()
    assert b"\r" not in signed and signed.endswith(lf)
    rc, j = k.verify(signed)
    assert rc == 0 and statuses(j) == ["pass", "pass"], j
    third = Third(tmp_path)
    jobs = [third.dkimverify(signed, 0), third.dkimverify(signed, 1),
            third.opendkim(signed.replace(b"\n", b"\r\n"))]
    res = third.run(dkim_env["records"])
    assert [res[i][0] for i in jobs] == [0, 0, 0], res


# ---------------------------------------------------------------- dkimpy
# signs, kakuin verifies


def dkimsign(env, sel, *args, msg=None):
    key = env["keys"][sel]
    if sel == "ed":
        # dkimpy takes an Ed25519 key as the base64 of its 32-byte seed.
        der = run(["openssl", "pkey", "-in", str(key), "-outform", "DER"])
        assert der.returncode == 0
        import base64
        seed = env["tmp"] / "ed.seed"
        seed.write_bytes(base64.b64encode(der.stdout[-32:]) + b"\n")
        key = seed
        args = ("--signalg", "ed25519-sha256") + args
    r = run(["dkimsign"] + list(args) + [sel, env["domain"], str(key)],
            input=msg or msg_for(env["domain"]))
    assert r.returncode == 0, r
    assert r.stdout.startswith(b"DKIM-Signature:")
    return r.stdout


DKIMPY_CASES = [
    ("rsa", "rsa", ()),
    ("ed25519", "ed", ()),
    ("rsa simple/simple", "rsa", ("--hcanon", "simple", "--bcanon",
                                  "simple")),
    ("ed relaxed/relaxed", "ed", ("--bcanon", "relaxed")),
    ("rsa identity", "rsa", ("--identity", "joe@mail.%s")),
]


def test_dkimpy_signs_kakuin_verifies(dkim_env):
    k = dkim_env["k"]
    for name, sel, args in DKIMPY_CASES:
        args = tuple(a % dkim_env["domain"] if "%s" in a else a
                     for a in args)
        signed = dkimsign(dkim_env, sel, *args)
        rc, j = k.verify(signed)
        assert rc == 0 and statuses(j) == ["pass"], (name, j)
        d = j["dkim"][0]
        assert d["domain"] == dkim_env["domain"] and d["selector"] == sel
        assert d["algorithm"] == ("ed25519-sha256" if sel == "ed" else
                                  "rsa-sha256")
        assert d["key_bits"] == (256 if sel == "ed" else 2048)
        assert d["body_length"] is None
        r = k("mail", "verify", "-", input=signed)
        assert r.returncode == 0, r
        assert r.stdout.decode().startswith(
            "AUTHENTIC DOMAIN, NO TRUST MARK: the message carries a valid "
            "DKIM signature of %s" % dkim_env["domain"]), r
        for what, change in TAMPER:
            rc, j = k.verify(change(signed))
            assert rc == 1 and statuses(j) == ["fail"], (name, what, j)
            r = k("mail", "verify", "-", input=change(signed))
            out = r.stdout.decode()
            # An added From makes the author ambiguous: worse than a
            # broken signature.
            assert (out.startswith("UNVERIFIED: ") and "does not hold" in
                    out.splitlines()[0]) or (what == "added From" and
                                              out.startswith("DO NOT TRUST")), r


@needs_ns
def test_dkimpy_signed_all_agree(dkim_env, tmp_path):
    """dkimpy's own signatures, genuine and tampered: kakuin, dkimverify
    and opendkim-testmsg give the same answer on each."""
    k = dkim_env["k"]
    third = Third(tmp_path)
    cases = []
    for name, sel, args in DKIMPY_CASES[:4]:
        signed = dkimsign(dkim_env, sel, *args)
        for what, change in [("genuine", lambda m: m)] + TAMPER:
            msg = change(signed)
            rc, j = k.verify(msg)
            cases.append((name, what, rc, third.dkimverify(msg),
                          third.opendkim(msg)))
    res = third.run(dkim_env["records"])
    for name, what, rc, dv, od in cases:
        want = 0 if what == "genuine" else 1
        assert rc == want, (name, what)
        assert res[dv][0] == want, (name, what, "dkimverify", res[dv][1])
        assert (res[od][0] == 0) == (want == 0), (name, what, "opendkim",
                                                  res[od][1])


def test_dual_signed_one_broken(dkim_env):
    """Two signatures, each with its own result: the message is still
    vouched for by the one that holds."""
    k, dom = dkim_env["k"], dkim_env["domain"]
    signed = k.sign(msg_for(dom), *sign_args(dkim_env, ["rsa", "ed"]))
    # Break only the RSA signature's b= (the first field).
    at = signed.index(b" b=") + 3
    while signed[at:at + 1] in b"\r\n\t ":
        at += 1
    broken = signed[:at] + (b"A" if signed[at:at + 1] != b"A" else b"B") + \
        signed[at + 1:]
    rc, j = k.verify(broken)
    assert rc == 0, j
    assert statuses(j) == ["fail", "pass"], j
    assert j["dkim"][0]["algorithm"] == "rsa-sha256"
    assert "does not verify" in j["dkim"][0]["reason"]
    assert j["verdict"] == "authentic"


# ---------------------------------------------------------------- keys
# and records in DNS


def test_key_records(dkim_env):
    k, dom, ub = dkim_env["k"], dkim_env["domain"], dkim_env["unbound"]
    ed_rec = dkim_env["records"]["ed._domainkey." + dom]
    p = ed_rec.split("p=", 1)[1]
    cases = [
        # selector, record (None: none published), want, reason part
        ("gone", None, "permerror", "no key record at gone._domainkey"),
        ("revoked", "v=DKIM1; k=ed25519; p=", "permerror", "revoked"),
        ("wrongtype", "v=DKIM1; k=rsa; p=" + p, "permerror",
         "not an RSA public key"),
        ("notmail", "v=DKIM1; k=ed25519; s=tlsrpt; p=" + p, "permerror",
         "not for mail"),
        ("sha1only", "v=DKIM1; k=ed25519; h=sha1; p=" + p, "permerror",
         "does not allow sha256"),
        ("testing", "v=DKIM1; k=ed25519; t=y; p=" + p, "pass", "signed by"),
        ("strict", "v=DKIM1; k=ed25519; t=s; p=" + p, "permerror",
         "t=s"),
    ]
    for sel, rec, want, why in cases:
        if rec is not None:
            publish(ub, "%s._domainkey.%s" % (sel, dom), rec)
        args = ["--domain", dom, "--selector", sel, "--key",
                str(dkim_env["keys"]["ed"])]
        if sel == "strict":
            args += ["--identity", "joe@mail." + dom]
        signed = k.sign(msg_for(dom), *args)
        rc, j = k.verify(signed)
        assert statuses(j) == [want], (sel, j)
        assert why in j["dkim"][0]["reason"], (sel, j)
        assert rc == (0 if want == "pass" else 1)
        if sel == "testing":
            assert j["dkim"][0]["testing"] is True
            # A failure under t=y counts for nothing: neutral.
            rc, j = k.verify(signed.replace(b"hungry", b"full"))
            assert statuses(j) == ["neutral"], j
            assert "testing" in j["dkim"][0]["reason"]

    # Two TXT records at one selector: ambiguous.
    name = "twice._domainkey." + dom
    publish(ub, name, ed_rec)
    publish(ub, name, ed_rec.replace("v=DKIM1; ", ""))
    signed = k.sign(msg_for(dom), "--domain", dom, "--selector", "twice",
                    "--key", str(dkim_env["keys"]["ed"]))
    rc, j = k.verify(signed)
    assert statuses(j) == ["permerror"] and "2 TXT records" in \
        j["dkim"][0]["reason"], j

    # A DNS server that refuses: temperror, and the verdict says so.
    signed = k.sign(msg_for(dom).replace(dom.encode(), b"refused.example"),
                    "--domain", "refused.example", "--selector", "ed",
                    "--key", str(dkim_env["keys"]["ed"]))
    rc, j = k.verify(signed)
    # Exit 2: no verdict can be given for now.
    assert rc == 2 and statuses(j) == ["temperror"], j
    assert j["text"].startswith("CANNOT CHECK"), j


def test_body_length(dkim_env):
    k, dom = dkim_env["k"], dkim_env["domain"]
    signed = k.sign(msg_for(dom), *sign_args(dkim_env, ["rsa"]),
                    "--body-length")
    rc, j = k.verify(signed)
    d = j["dkim"][0]
    assert rc == 0 and d["result"] == "pass" and d["body_length"] > 0
    assert d["unsigned_body_bytes"] == 0
    # Text appended after the signed length: still a pass as RFC 6376
    # has it, reported so that the trust mark can refuse it.
    more = signed + b"Click http://evil.example/ now.\r\n"
    rc, j = k.verify(more)
    d = j["dkim"][0]
    assert rc == 0 and d["result"] == "pass", j
    assert d["unsigned_body_bytes"] == 33
    assert "could have been added by anyone" in j["text"]
    r = k("mail", "verify", "-", input=more)
    assert "only the first %d octets" % d["body_length"] in r.stdout.decode()
    # A body shorter than l=: an error.
    rc, j = k.verify(signed.replace(b"Joe.\r\n", b""))
    assert statuses(j) == ["permerror"] and "l=" in j["dkim"][0]["reason"]


# ---------------------------------------------------------------- the RFCs'
# own examples, through DNS


def test_rfc_examples(dkim_env):
    k, ub = dkim_env["k"], dkim_env["unbound"]
    ub.control("local_zone", "football.example.com.", "static")
    ub.control("local_zone", "brisbane._domainkey.example.com.", "static")
    # No DMARC record at example.com (an answer, not a lookup that fails:
    # mail verify would then say it cannot check).
    ub.control("local_zone", "_dmarc.example.com.", "static")
    for n, v in RFC8463_KEYS.items():
        publish(ub, n, v)
    publish(ub, "brisbane._domainkey.example.com", RFC6376_KEY)

    rc, j = k.verify(RFC8463_MSG)
    assert rc == 0 and statuses(j) == ["pass", "pass"], j
    assert [x["algorithm"] for x in j["dkim"]] == ["ed25519-sha256",
                                                    "rsa-sha256"]
    assert j["dkim"][0]["timestamp"] == 1528637909

    rc, j = k.verify(RFC6376_MSG)
    assert rc == 0 and statuses(j) == ["pass"], j
    assert j["dkim"][0]["domain"] == "example.com"
    assert j["dkim"][0]["identity"] == "joe@football.example.com"
    # As printed before erratum 3192 (two spaces), simple/simple fails.
    rc, j = k.verify(RFC6376_MSG.replace(b"game. Are", b"game.  Are"))
    assert rc == 1 and statuses(j) == ["fail"], j


# ---------------------------------------------------------------- the CLI


def test_verify_cli(dkim_env, tmp_path):
    k, dom = dkim_env["k"], dkim_env["domain"]
    plain = msg_for(dom)
    path = tmp_path / "plain.eml"
    path.write_bytes(plain)
    r = k("mail", "verify", str(path))
    assert r.returncode == 1, r
    assert r.stdout.decode().startswith(
        "UNVERIFIED: nothing proves that this message comes from %s: it "
        "carries no DKIM signature" % dom), r
    rc, j = k.verify(plain)
    assert j["verdict"] == "unverified" and j["dkim"] == []

    # The person-readable form lists each signature.
    signed = k.sign(plain, *sign_args(dkim_env, ["ed", "rsa"]))
    r = k("mail", "verify", "-", input=signed)
    assert r.returncode == 0, r
    lines = r.stdout.decode().splitlines()
    assert lines[0].startswith(
        "AUTHENTIC DOMAIN, NO TRUST MARK: the message carries a valid DKIM "
        "signature of %s, so it comes from %s" % (dom, dom)), lines
    i = lines.index("  dkim=pass %s (selector ed, ed25519-sha256)" % dom)
    assert lines[i + 1] == "  dkim=pass %s (selector rsa, rsa-sha256)" % dom

    # Could not process: exit 2.
    r = k("mail", "verify", str(tmp_path / "missing.eml"))
    assert r.returncode == 2 and b"cannot read" in r.stderr, r
    r = k("mail", "verify")
    assert r.returncode == 2 and b"usage" in r.stderr, r

    # Signing refuses what it cannot sign well.
    r = k("mail", "sign", "--domain", dom, "--selector", "ed", "--key",
          str(dkim_env["keys"]["ed"]), "-", input=b"To: a@b.example\r\n\r\n")
    assert r.returncode == 1 and b"From header" in r.stderr, r
    r = k("mail", "sign", "--domain", dom, "--selector", "ed", "--key",
          str(dkim_env["keys"]["ed"]), "--algorithm", "rsa-sha256", "-",
          input=plain)
    assert r.returncode == 2 and b"is a key for ed25519-sha256" in \
        r.stderr, r
    r = k("mail", "sign", "--domain", dom, "--selector", "ed", "--key",
          str(tmp_path / "nokey.pem"), "-", input=plain)
    assert r.returncode == 1 and b"cannot read the key file" in r.stderr, r
    r = k("mail", "sign", "--domain", dom, "--selector", "a", "--selector",
          "b", "--selector", "c", "--key", str(dkim_env["keys"]["ed"]),
          "-", input=plain)
    assert r.returncode == 2, r

    # -o and --json.
    out = tmp_path / "signed.eml"
    r = k("mail", "sign", *sign_args(dkim_env, ["rsa", "ed"]), "--expire",
          "3600", "-o", str(out), "--json", "-", input=plain)
    assert r.returncode == 0, r
    j = json.loads(r.stdout)
    assert j["out"] == str(out)
    assert [s["algorithm"] for s in j["signatures"]] == ["rsa-sha256",
                                                        "ed25519-sha256"]
    assert b"x=" in out.read_bytes()
    rc, j = k.verify(out.read_bytes())
    assert rc == 0 and statuses(j) == ["pass", "pass"], j
