"""The certificate authority through the CLI, checked by OpenSSL.

An officer takes demo organizations' employees from a request to issued
certificates of every subscriber profile, suspends, resumes, revokes and
renews them; `openssl verify`, `openssl crl` and `openssl pkcs12` (not
kakuin) judge what came out, and every bad input leaves the store as it
was.  Helpers here are shared by test_ca_api.py and test_ca_tools.py.
"""
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import (HIKARI, JIPDEC, KAKUIN_SHOJI, SAKURA, copy_datadir,
                      new_number)

# ---------------------------------------------------------------- helpers

SMIME = ("smime-sponsor-multipurpose", "smime-sponsor-strict",
         "smime-org-multipurpose", "smime-org-strict")
TLS = ("tls-dv", "tls-ov", "tls-ev")
PROFILES = SMIME + ("client-auth", "document-signing") + TLS
# openssl verify -purpose for each profile (None: OpenSSL has none).
PURPOSE = {p: "smimesign" for p in SMIME}
PURPOSE.update({"client-auth": "sslclient", "document-signing": None})
PURPOSE.update({p: "sslserver" for p in TLS})
# A purpose the certificate must NOT pass (proves the EKU is checked).
WRONG_PURPOSE = {p: "sslserver" for p in SMIME}
WRONG_PURPOSE.update({"client-auth": "sslserver",
                      "document-signing": "sslserver"})
WRONG_PURPOSE.update({p: "sslclient" for p in TLS})

JIPDEC_NAME = "一般財団法人日本情報経済社会推進協会"
OPENSSL_REASON = {
    "keyCompromise": "Key Compromise",
    "affiliationChanged": "Affiliation Changed",
    "superseded": "Superseded",
    "cessationOfOperation": "Cessation Of Operation",
    "privilegeWithdrawn": "Privilege Withdrawn",
    "certificateHold": "Certificate Hold",
    "unspecified": None,
}


def run(*args, input=None, check=True, env=None, timeout=120):
    cp = subprocess.run([str(a) for a in args], input=input,
                        capture_output=True, text=True, env=env,
                        timeout=timeout)
    if check:
        assert cp.returncode == 0, "%s\n%s%s" % (args, cp.stdout,
                                                 cp.stderr)
    return cp


def openssl(*args, **kw):
    return run("openssl", *args, **kw)


def ca_copy(src, dst):
    """A copy of a data directory with its own SoftHSM token directory
    (conftest's copy_datadir leaves softhsm2.conf pointing at the
    template's tokens, so new CA keys would land there)."""
    k = copy_datadir(src, dst)
    conf = Path(dst) / "softhsm2.conf"
    if conf.exists():
        conf.write_text(re.sub(r"(?m)^directories\.tokendir = .*$",
                               "directories.tokendir = %s/tokens" % dst,
                               conf.read_text()))
    return k


def set_conf(k, **kv):
    """Changes keys of the data directory's kakuin.conf."""
    conf = Path(k.dir) / "kakuin.conf"
    text = conf.read_text()
    for key, v in kv.items():
        text, n = re.subn(r"(?m)^%s = .*$" % key, "%s = %s" % (key, v),
                          text)
        assert n == 1, key
    conf.write_text(text)


@pytest.fixture
def ca(tmp_path, demo_template):
    """A demo data directory (kakuin init --demo) of its own."""
    return ca_copy(demo_template, tmp_path / "demo")


_keyargs = {
    "ec-p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec-p384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "ec-p224": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-224"],
    "rsa-2048": ["-newkey", "rsa:2048"],
    "rsa-1024": ["-newkey", "rsa:1024"],
    "ed25519": ["-newkey", "ed25519"],
}


def make_csr(d, kind="ec-p256", name=None, digest=None,
             subject="/CN=not from the CSR/O=Evil Corp"):
    """A key and a CSR made by openssl req; returns (key, csr) paths."""
    d = Path(d)
    name = name or kind
    key, csr = d / (name + ".key"), d / (name + ".csr")
    if kind == "dsa":
        params = d / "dsa.params"
        if not params.exists():
            openssl("genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt",
                    "dsa_paramgen_bits:2048", "-out", params)
        newkey = ["-newkey", "param:%s" % params]
    else:
        newkey = _keyargs[kind]
    openssl("req", "-new", *newkey, "-nodes", "-keyout", key, "-subj",
            subject, "-out", csr, *(["-" + digest] if digest else []))
    return key, csr


def write_ca_pems(k, d):
    """root.pem, issuing.pem (from ca list --json) and chain.pem."""
    d = Path(d)
    cas = k.json("ca", "list", "--json")["cas"]
    paths = {}
    for c in cas:
        p = d / ("%s.pem" % c["name"])
        p.write_text(c["pem"])
        paths[c["name"]] = p
    return paths


def names_for(profile, who="taro"):
    if profile in TLS:
        return ["--dns", "www.jipdec.example"]
    if profile.startswith("smime-"):
        return ["--email", "%s@jipdec.example" % who]
    return []


def cli_request(k, profile, csr=None, keygen=None, org=JIPDEC, names=None,
                given="太郎", surname="山田", who="taro", extra=()):
    args = ["cert", "request", "--org", org, "--profile", profile]
    args += ["--csr", str(csr)] if csr else ["--keygen", keygen]
    args += names if names is not None else names_for(profile, who)
    if given:
        args += ["--given-name", given]
    if surname:
        args += ["--surname", surname]
    j = k.json(*args, *extra, "--json")
    assert j["status"] == "pending" and isinstance(j["id"], int), j
    assert len(j["revocation_code"]) >= 27, j
    return j


def cli_approve(k, rid, *extra):
    j = k.json("cert", "approve", str(rid), "--checked-by", "ra-suzuki",
               "--method", "photo ID in person", "--evidence", "e2e-1",
               *extra, "--json")
    assert re.fullmatch(r"[0-9a-f]{2,40}", j["serial"]), j
    return j


def issue(k, profile, csr, **kw):
    return cli_approve(k, cli_request(k, profile, csr=csr, **kw)["id"])[
        "serial"]


def save_cert(k, serial, path):
    pem = k.ok("cert", "show", serial, "--pem").out
    assert pem.startswith("-----BEGIN CERTIFICATE-----"), pem
    Path(path).write_text(pem)
    return Path(path)


def x509_text(path):
    return openssl("x509", "-in", path, "-noout", "-text", "-nameopt",
                   "utf8,sep_comma_plus").stdout


def x509_serial(path):
    out = openssl("x509", "-in", path, "-noout", "-serial").stdout
    return int(out.strip().split("=", 1)[1], 16)


def verify(pems, cert, purpose=None, crls=None, check=True):
    """openssl verify with root as the only trust anchor."""
    args = ["verify", "-CAfile", pems["root"], "-untrusted",
            pems["issuing"]]
    if purpose:
        args += ["-purpose", purpose]
    if crls:
        args += ["-crl_check_all"] + sum((["-CRLfile", c] for c in crls),
                                         [])
    args.append(cert)
    cp = openssl(*args, check=False)
    if check:
        assert cp.returncode == 0 and cp.stdout.strip().endswith(": OK"), (
            cp.stdout + cp.stderr)
    return cp


def fetch_crl(k, ca_name, d):
    """The CA's current CRL as DER and PEM files."""
    der = Path(d) / ("%s.crl" % ca_name)
    if der.exists():
        der.unlink()
    k.ok("crl", "show", ca_name, "-o", str(der))
    pem = der.with_suffix(".crl.pem")
    openssl("crl", "-inform", "DER", "-in", der, "-outform", "PEM", "-out",
            pem)
    return der, pem


def crl_entries(der, issuer_pem):
    """Parses and verifies a DER CRL with openssl crl; returns
    ({serial int: reason text or None}, CRL number)."""
    cp = openssl("crl", "-inform", "DER", "-in", der, "-noout", "-text",
                 "-CAfile", issuer_pem)
    # openssl crl prints its signature verdict on standard error.
    assert "verify OK" in cp.stderr, cp.stderr
    entries, cur, want_reason = {}, None, False
    number = None
    lines = cp.stdout.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("X509v3 CRL Number:"):
            number = int(lines[i + 1].strip())
        elif s.startswith("Serial Number:"):
            cur = int(s.split(":", 1)[1].strip(), 16)
            entries[cur] = None
        elif s.startswith("X509v3 CRL Reason Code:"):
            want_reason = True
        elif want_reason:
            entries[cur] = s
            want_reason = False
    return entries, number


def ca_snapshot(k):
    """Everything a refused CA operation must leave alone."""
    snap = k.snapshot()
    for t, order in (("certs", "serial"), ("cert_requests", "id"),
                     ("cas", "id"), ("crls", "ca_id, shard")):
        snap[t] = k.sql("SELECT * FROM %s ORDER BY %s" % (t, order))
    return snap


def pending_demo_request(k):
    reqs = k.json("cert", "requests", "--json")["requests"]
    ids = [r["id"] for r in reqs if r["emails"] == "jiro@jipdec.example"]
    assert len(ids) == 1, reqs
    return ids[0]


# ---------------------------------------------------------------- tests

def test_demo_ca_as_openssl_sees_it(ca, tmp_path):
    """kakuin init --demo: a root, an issuing CA, taro valid, hanako
    revoked (keyCompromise) and in the CRL, jiro pending."""
    cas = ca.json("ca", "list", "--json")["cas"]
    assert [(c["name"], c["kind"]) for c in cas] == [("root", "root"), (
        "issuing", "issuing")]
    pems = write_ca_pems(ca, tmp_path)
    # The root is self-signed and a CA; the issuing CA chains to it.
    openssl("verify", "-CAfile", pems["root"], pems["root"])
    openssl("verify", "-CAfile", pems["root"], pems["issuing"])
    assert "CA:TRUE" in x509_text(pems["issuing"])
    listed = ca.json("cert", "list", "--json")["certs"]
    # The demo's time-stamping unit, certified by the issuing CA.
    units = [c for c in listed if c["profile"] == "tsa"]
    assert len(units) == 1 and units[0]["status"] == "valid", listed
    up = save_cert(ca, units[0]["serial"], tmp_path / "unit.pem")
    verify(pems, up, "timestampsign")
    certs = {c["emails"]: c for c in listed if c["profile"] != "tsa"}
    assert certs["taro@jipdec.example"]["status"] == "valid"
    hanako = certs["hanako@jipdec.example"]
    assert hanako["status"] == "revoked"
    assert hanako["reason"] == "keyCompromise"
    for c in certs.values():
        p = save_cert(ca, c["serial"], tmp_path / (c["serial"] + ".pem"))
        verify(pems, p, "smimesign")
        assert x509_serial(p) == int(c["serial"], 16)
        assert ca.run("cert", "lint", str(p)).rc == 0
    der, _ = fetch_crl(ca, "issuing", tmp_path)
    entries, _ = crl_entries(der, pems["issuing"])
    assert entries == {int(hanako["serial"], 16): "Key Compromise"}
    rder, _ = fetch_crl(ca, "root", tmp_path)
    assert crl_entries(rder, pems["root"])[0] == {}
    # With the CRLs, openssl refuses hanako and accepts taro.
    _, ipem = fetch_crl(ca, "issuing", tmp_path)
    _, rpem = fetch_crl(ca, "root", tmp_path)
    verify(pems, tmp_path / (certs["taro@jipdec.example"]["serial"] +
                             ".pem"), "smimesign", crls=[ipem, rpem])
    cp = verify(pems, tmp_path / (hanako["serial"] + ".pem"), "smimesign",
                crls=[ipem, rpem], check=False)
    assert cp.returncode != 0 and "certificate revoked" in (
        cp.stdout + cp.stderr)
    reqs = ca.json("cert", "requests", "--json")["requests"]
    assert [(r["emails"], r["status"]) for r in reqs] == [
        ("jiro@jipdec.example", "pending")]


@pytest.mark.parametrize("keykind", ["ec-p256", "rsa-2048"])
@pytest.mark.parametrize("profile", PROFILES)
def test_profile_issued_and_accepted(ca, tmp_path, profile, keykind):
    """Every subscriber profile a demo organization can get: issued from a
    CSR, subject from the registry (never from the CSR), accepted by
    openssl verify for its purpose (and refused for another), and clean
    under kakuin cert lint."""
    pems = write_ca_pems(ca, tmp_path)
    key, csr = make_csr(tmp_path, keykind)
    snap_certs = ca.sql("SELECT COUNT(*) FROM certs")[0][0]
    rid = cli_request(ca, profile, csr=csr)["id"]
    r = ca.run("cert", "approve", str(rid), "--checked-by", "ra-suzuki",
               "--method", "photo ID in person", "--json")
    assert r.rc == 0, "%s cannot be issued with a %s key: %s" % (
        profile, keykind, r.err.strip())
    serial = r.json()["serial"]
    assert "p12_password" not in r.json()
    assert ca.sql("SELECT COUNT(*) FROM certs")[0][0] == snap_certs + 1
    pem = save_cert(ca, serial, tmp_path / "leaf.pem")
    assert x509_serial(pem) == int(serial, 16)
    # The certificate carries the CSR's key.
    pub_csr = openssl("req", "-in", csr, "-noout", "-pubkey").stdout
    pub_cert = openssl("x509", "-in", pem, "-noout", "-pubkey").stdout
    assert pub_csr == pub_cert
    text = x509_text(pem)
    assert "Evil Corp" not in text and "not from the CSR" not in text
    if profile == "tls-dv":
        assert "CN=www.jipdec.example" in text
        assert JIPDEC_NAME not in text
    elif profile == "tls-ov":
        # TLS BR 7.1.4.2.2: organization and its prefecture, from the
        # registry.
        assert JIPDEC_NAME in text and "ST=東京都" in text
    elif profile == "tls-ev":
        # EV Guidelines 9.2: the registration number is serialNumber.
        assert JIPDEC_NAME in text and "serialNumber=1010405009403" in text
        assert "jurisdictionC=JP" in text
    else:
        assert JIPDEC_NAME in text and "NTRJP-1010405009403" in text
    if profile in TLS:
        assert "DNS:www.jipdec.example" in text
    elif profile.startswith("smime-"):
        assert "email:taro@jipdec.example" in text
    if profile.startswith("smime-sponsor") or profile in (
            "client-auth", "document-signing"):
        assert "山田 太郎" in text
    verify(pems, pem, PURPOSE[profile])
    cp = verify(pems, pem, WRONG_PURPOSE[profile], check=False)
    assert cp.returncode != 0 and "unsuitable certificate purpose" in (
        cp.stdout + cp.stderr), cp.stdout + cp.stderr
    lint = ca.run("cert", "lint", str(pem))
    assert lint.rc == 0, lint
    lj = ca.run("cert", "lint", str(pem), "--json")
    assert lj.rc == 0, lj
    shown = ca.json("cert", "show", serial, "--json")
    assert shown["profile"] == profile and shown["status"] == "valid"
    assert shown["org"] == JIPDEC and shown["ca"] == "issuing"


def test_ed25519_smime(ca, tmp_path):
    """S/MIME BR 6.1.5 allows EdDSA: an Ed25519 CSR gives a certificate
    OpenSSL accepts."""
    pems = write_ca_pems(ca, tmp_path)
    _, csr = make_csr(tmp_path, "ed25519")
    serial = issue(ca, "smime-sponsor-strict", csr)
    pem = save_cert(ca, serial, tmp_path / "ed.pem")
    assert "ED25519" in x509_text(pem)
    verify(pems, pem, "smimesign")
    assert ca.run("cert", "lint", str(pem)).rc == 0


def test_request_to_revocation_cli(ca, tmp_path):
    """The officer's whole day: list pending requests, approve one, see
    it, revoke it, and OpenSSL finds it in the new CRL with its reason."""
    pems = write_ca_pems(ca, tmp_path)
    _, csr = make_csr(tmp_path)
    j = cli_request(ca, "smime-sponsor-multipurpose", csr=csr,
                    who="saburo", given="三郎", surname="高橋")
    pend = ca.json("cert", "requests", "--json")["requests"]
    mine = [r for r in pend if r["id"] == j["id"]]
    assert mine and mine[0]["status"] == "pending"
    assert mine[0]["emails"] == "saburo@jipdec.example"
    assert mine[0]["org"] == JIPDEC
    serial = cli_approve(ca, j["id"])["serial"]
    # The audit names the identity check.
    det = ca.sql("SELECT detail FROM audit WHERE action = 'cert.issue' "
                 "AND object = ?", ("cert:" + serial,))
    assert len(det) == 1 and "photo ID in person" in det[0][0]
    listed = [c for c in ca.json("cert", "list", "--json")["certs"]
              if c["serial"] == serial]
    assert len(listed) == 1 and listed[0]["status"] == "valid"
    assert ca.run("cert", "show", serial).out.startswith(serial)
    pem = save_cert(ca, serial, tmp_path / "s.pem")
    verify(pems, pem, "smimesign")
    _, before = crl_entries(fetch_crl(ca, "issuing", tmp_path)[0],
                            pems["issuing"])
    r = ca.ok("cert", "revoke", serial, "--reason", "affiliationChanged")
    assert "REVOKED" in r.out
    shown = ca.json("cert", "show", serial, "--json")
    assert shown["status"] == "revoked"
    assert shown["reason"] == "affiliationChanged" and shown["revoked_at"]
    der, cpem = fetch_crl(ca, "issuing", tmp_path)
    entries, number = crl_entries(der, pems["issuing"])
    assert entries.get(int(serial, 16)) == "Affiliation Changed", entries
    assert number > before
    _, rpem = fetch_crl(ca, "root", tmp_path)
    cp = verify(pems, pem, "smimesign", crls=[cpem, rpem], check=False)
    assert cp.returncode != 0 and "certificate revoked" in (cp.stdout +
                                                            cp.stderr)
    assert ca.run("audit", "verify").rc == 0


def test_revoke_unspecified_has_no_reason_code(ca, tmp_path):
    """S/MIME BR 7.2.2: unspecified is listed without a reasonCode."""
    pems = write_ca_pems(ca, tmp_path)
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "client-auth", csr)
    ca.ok("cert", "revoke", serial, "--reason", "unspecified")
    entries, _ = crl_entries(fetch_crl(ca, "issuing", tmp_path)[0],
                             pems["issuing"])
    assert int(serial, 16) in entries and entries[int(serial, 16)] is None


@pytest.mark.parametrize("reason", ["keyCompromise", "superseded",
                                    "cessationOfOperation",
                                    "privilegeWithdrawn"])
def test_revocation_reasons_in_crl(ca, tmp_path, reason):
    pems = write_ca_pems(ca, tmp_path)
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-org-multipurpose", csr)
    ca.ok("cert", "revoke", serial, "--reason", reason)
    entries, _ = crl_entries(fetch_crl(ca, "issuing", tmp_path)[0],
                             pems["issuing"])
    assert entries.get(int(serial, 16)) == OPENSSL_REASON[reason]


def test_suspend_and_resume_in_crl(ca, tmp_path):
    """certificateHold appears in the CRL and vanishes on resume."""
    pems = write_ca_pems(ca, tmp_path)
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr)
    pem = save_cert(ca, serial, tmp_path / "h.pem")
    ca.ok("cert", "suspend", serial)
    assert ca.json("cert", "show", serial, "--json")["status"] == "hold"
    der, cpem = fetch_crl(ca, "issuing", tmp_path)
    entries, n1 = crl_entries(der, pems["issuing"])
    assert entries.get(int(serial, 16)) == "Certificate Hold", entries
    _, rpem = fetch_crl(ca, "root", tmp_path)
    cp = verify(pems, pem, "smimesign", crls=[cpem, rpem], check=False)
    assert cp.returncode != 0
    # Suspending twice is refused and changes nothing.
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "suspend", serial)
    assert "not valid" in r.err and serial in r.err
    assert ca_snapshot(ca) == snap
    ca.ok("cert", "resume", serial)
    assert ca.json("cert", "show", serial, "--json")["status"] == "valid"
    der, cpem = fetch_crl(ca, "issuing", tmp_path)
    entries, n2 = crl_entries(der, pems["issuing"])
    assert int(serial, 16) not in entries and n2 > n1
    verify(pems, pem, "smimesign", crls=[cpem, rpem])
    # Resuming a valid certificate is refused.
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "resume", serial)
    assert "not suspended" in r.err
    assert ca_snapshot(ca) == snap
    # A held certificate can still be revoked for good.
    ca.ok("cert", "suspend", serial)
    ca.ok("cert", "revoke", serial, "--reason", "keyCompromise")
    entries, _ = crl_entries(fetch_crl(ca, "issuing", tmp_path)[0],
                             pems["issuing"])
    assert entries.get(int(serial, 16)) == "Key Compromise"
    actions = [a for (a,) in ca.sql(
        "SELECT action FROM audit WHERE object = ? ORDER BY seq",
        ("cert:" + serial,))]
    assert actions == ["cert.issue", "cert.suspend", "cert.resume",
                       "cert.suspend", "cert.revoke"]


@pytest.mark.parametrize("profile", ["smime-sponsor-strict",
                                     "smime-org-strict", "document-signing"])
def test_no_hold_for_strict_profiles(ca, tmp_path, profile):
    _, csr = make_csr(tmp_path)
    serial = issue(ca, profile, csr)
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "suspend", serial)
    assert "cannot be suspended" in r.err and profile in r.err
    assert ca_snapshot(ca) == snap
    assert ca.json("cert", "show", serial, "--json")["status"] == "valid"


def test_pkcs12_for_generated_key(ca, tmp_path):
    """--keygen: the approval gives a password; the PKCS#12 is exported
    once (PBES2 AES-256-CBC), opens with it, holds the certificate and
    its key; the second export fails clearly and writes nothing."""
    pems = write_ca_pems(ca, tmp_path)
    j = cli_request(ca, "smime-sponsor-multipurpose", keygen="ec-p256",
                    who="shiro", given="四郎", surname="伊藤")
    a = cli_approve(ca, j["id"])
    serial, pw = a["serial"], a.get("p12_password")
    assert pw and len(pw) >= 20, a
    assert ca.json("cert", "show", serial, "--json")["p12_waiting"] is True
    p12 = tmp_path / "shiro.p12"
    r = ca.ok("cert", "export", serial, "--p12", "-o", str(p12))
    assert p12.stat().st_size > 500
    info = openssl("pkcs12", "-info", "-in", p12, "-passin", "pass:" + pw,
                   "-nokeys")
    both = info.stdout + info.stderr
    assert "PBES2" in both and "AES-256-CBC" in both, both
    assert "RC2" not in both and "3DES" not in both.upper().replace(
        "-", ""), both
    # The certificate in it is the issued one.
    leaf = tmp_path / "from-p12.pem"
    openssl("pkcs12", "-in", p12, "-passin", "pass:" + pw, "-nokeys",
            "-clcerts", "-out", leaf)
    assert x509_serial(leaf) == int(serial, 16)
    verify(pems, leaf, "smimesign")
    # The key in it matches the certificate.
    key = tmp_path / "from-p12.key"
    openssl("pkcs12", "-in", p12, "-passin", "pass:" + pw, "-nocerts",
            "-nodes", "-out", key)
    pub_key = openssl("pkey", "-in", key, "-pubout").stdout
    pub_cert = openssl("x509", "-in", leaf, "-noout", "-pubkey").stdout
    assert pub_key == pub_cert
    # A wrong password does not open it.
    bad = openssl("pkcs12", "-info", "-in", p12, "-passin", "pass:wrong",
                  "-nokeys", check=False)
    assert bad.returncode != 0
    # Handed out once.
    assert ca.json("cert", "show", serial, "--json")["p12_waiting"] is False
    again = tmp_path / "again.p12"
    r = ca.fail("cert", "export", serial, "--p12", "-o", str(again))
    assert "no PKCS#12 is waiting" in r.err and "once" in r.err
    assert not again.exists()
    assert ca.sql("SELECT p12 FROM cert_requests WHERE serial = ?",
                  (serial,)) == [(None,)]
    assert len(ca.sql("SELECT 1 FROM audit WHERE action = "
                      "'cert.p12_delivered' AND object = ?",
                      ("cert:" + serial,))) == 1


def test_pkcs12_refused_for_csr_key(ca, tmp_path):
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "client-auth", csr)
    snap = ca_snapshot(ca)
    out = tmp_path / "x.p12"
    r = ca.fail("cert", "export", serial, "--p12", "-o", str(out))
    assert "only for keys the CA generated" in r.err
    assert not out.exists() and ca_snapshot(ca) == snap


def test_renew_same_key_and_rekey(ca, tmp_path):
    pems = write_ca_pems(ca, tmp_path)
    key, csr = make_csr(tmp_path)
    old = issue(ca, "smime-sponsor-multipurpose", csr)
    r = ca.json("cert", "renew", old, "--json")
    assert r["renewal_of"] == old
    new = cli_approve(ca, r["id"])["serial"]
    assert new != old
    a = save_cert(ca, old, tmp_path / "old.pem")
    b = save_cert(ca, new, tmp_path / "new.pem")
    pub = lambda p: openssl("x509", "-in", p, "-noout", "-pubkey").stdout
    assert pub(a) == pub(b)
    verify(pems, b, "smimesign")
    assert "email:taro@jipdec.example" in x509_text(b)
    # Re-key with a new CSR.
    _, csr2 = make_csr(tmp_path, "rsa-2048", name="rekey")
    r = ca.json("cert", "renew", new, "--csr", str(csr2), "--json")
    third = cli_approve(ca, r["id"])["serial"]
    c = save_cert(ca, third, tmp_path / "third.pem")
    assert pub(c) == openssl("req", "-in", csr2, "-noout",
                             "-pubkey").stdout
    assert len({old, new, third}) == 3
    # Renewing an unknown serial.
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "renew", "00ff00ff00ff00ff00ff00ff00ff00ff")
    assert "no certificate with serial" in r.err
    assert ca_snapshot(ca) == snap


def test_reject(ca):
    rid = pending_demo_request(ca)
    ca.ok("cert", "reject", str(rid), "--reason", "not an employee")
    reqs = ca.json("cert", "requests", "--all", "--json")["requests"]
    mine = [r for r in reqs if r["id"] == rid][0]
    assert mine["status"] == "rejected"
    assert mine["decision"] == "not an employee"
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "approve", str(rid))
    assert "already rejected" in r.err
    r = ca.fail("cert", "reject", str(rid), "--reason", "again")
    assert "already rejected" in r.err
    assert ca_snapshot(ca) == snap


def test_serials_unique_and_random(ca, tmp_path):
    """RFC 5280 4.1.2.2 / CA/B BR 7.1: positive, at most 20 octets, with
    64 bits of CSPRNG output; never repeated."""
    _, csr = make_csr(tmp_path)
    serials = [issue(ca, "client-auth", csr) for _ in range(8)]
    allserials = [s for (s,) in ca.sql("SELECT serial FROM certs")]
    assert len(set(allserials)) == len(allserials)
    for s in serials:
        n = int(s, 16)
        assert 0 < n < 2 ** 159 and n.bit_length() > 64
    assert len(set(serials)) == 8


# ---------------------------------------------------------------- bad input

BAD_CSRS = [
    ("rsa1024", "an RSA key of 1024 bits is not allowed"),
    ("p224", "an EC key on secp224r1 (224 bits) is not allowed"),
    ("dsa", "DSA key (2048 bits) is not allowed"),
    ("sha1", "signed with sha1WithRSAEncryption, a broken hash"),
    ("corrupt", "signature does not verify"),
    ("garbage", "no PEM CERTIFICATE REQUEST"),
    ("two", "data follows the certificate request"),
    ("cert", "no PEM CERTIFICATE REQUEST"),
]


def bad_csr(d, kind):
    """Writes one kind of bad CSR; returns its path."""
    d = Path(d)
    if kind == "rsa1024":
        return make_csr(d, "rsa-1024")[1]
    if kind == "p224":
        return make_csr(d, "ec-p224")[1]
    if kind == "dsa":
        return make_csr(d, "dsa")[1]
    if kind == "ed25519":
        return make_csr(d, "ed25519")[1]
    if kind == "sha1":
        return make_csr(d, "rsa-2048", name="sha1", digest="sha1")[1]
    if kind == "corrupt":
        _, csr = make_csr(d, "ec-p256", name="good")
        cp = subprocess.run(["openssl", "req", "-in", str(csr), "-outform",
                             "DER"], capture_output=True, check=True)
        der = bytearray(cp.stdout)
        der[-3] ^= 0x5a          # inside the signature value
        p = d / "corrupt.der"
        p.write_bytes(bytes(der))
        out = d / "corrupt.csr"
        # openssl itself says the signature is bad.
        chk = openssl("req", "-inform", "DER", "-in", p, "-noout",
                      "-verify", check=False)
        assert "verify failure" in chk.stderr, chk.stderr
        openssl("req", "-inform", "DER", "-in", p, "-outform", "PEM",
                "-out", out)
        return out
    if kind == "garbage":
        p = d / "garbage.csr"
        p.write_text("-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS"
                     "\n-----END CERTIFICATE REQUEST-----\n")
        return p
    if kind == "two":
        a = make_csr(d, "ec-p256", name="one")[1]
        b = make_csr(d, "rsa-2048", name="other")[1]
        p = d / "two.csr"
        p.write_text(a.read_text() + b.read_text())
        return p
    if kind == "cert":
        key, csr = make_csr(d, "ec-p256", name="selfsigned")
        p = d / "cert.csr"
        openssl("req", "-x509", "-in", csr, "-key", key, "-days", "1",
                "-out", p)
        return p
    raise AssertionError(kind)


@pytest.mark.parametrize("kind,message", BAD_CSRS)
def test_bad_csr_cli(ca, tmp_path, kind, message):
    csr = bad_csr(tmp_path, kind)
    snap = ca_snapshot(ca)
    for profile in ("smime-sponsor-multipurpose", "client-auth"):
        r = ca.run("cert", "request", "--org", JIPDEC, "--profile", profile,
                   "--csr", str(csr), *names_for(profile), "--given-name",
                   "太郎", "--surname", "山田", "--json")
        assert r.rc == 1, r
        assert message in r.err, r
        e = json.loads(r.out)["error"]
        assert e["code"] == "invalid" and e["field"] == "csr", e
        assert ca_snapshot(ca) == snap


def test_forbidden_key_type_per_profile(ca, tmp_path):
    """Ed25519 is an S/MIME key (SBR 6.1.5) but not a TLS BR or client
    authentication key."""
    csr = bad_csr(tmp_path, "ed25519")
    snap = ca_snapshot(ca)
    for profile in ("client-auth", "document-signing") + TLS:
        r = ca.fail("cert", "request", "--org", JIPDEC, "--profile",
                    profile, "--csr", str(csr), *names_for(profile),
                    "--given-name", "太郎", "--surname", "山田")
        assert "ED25519 KEY" in r.err.upper() and "not allowed" in r.err, r
        assert profile in r.err
    r = ca.fail("cert", "request", "--org", JIPDEC, "--profile", "tls-ov",
                "--keygen", "ed25519", "--dns", "www.jipdec.example")
    assert "does not allow ed25519" in r.err
    assert ca_snapshot(ca) == snap


@pytest.mark.parametrize("args,field,message", [
    (["--profile", "smime-sponsor-multipurpose", "--email",
      "taro@example.org"], "email",
     "taro@example.org is not at a mail domain this organization has "
     "verified"),
    # kakuin-shoji.example is another organization's domain.
    (["--profile", "smime-org-strict", "--email",
      "info@kakuin-shoji.example"], "email", "is not at a mail domain"),
    (["--profile", "tls-ov", "--dns", "www.kakuin-shoji.example"], "dns",
     "www.kakuin-shoji.example is not a web domain"),
    (["--profile", "tls-dv", "--dns", "jipdec.example.evil.test"], "dns",
     "is not a web domain"),
    # mail.jipdec.example is verified for mail only.
    (["--profile", "tls-dv", "--dns", "mail.jipdec.example.org"], "dns",
     "is not a web domain"),
    (["--profile", "smime-sponsor-multipurpose"], "email",
     "needs a mail address"),
    (["--profile", "tls-ov"], "dns", "needs a host name"),
    (["--profile", "client-auth", "--dns", "www.jipdec.example"], "dns",
     "host names belong in TLS certificates only"),
    (["--profile", "tls-ov", "--dns", "www.jipdec.example", "--email",
      "taro@jipdec.example"], "email", "TLS certificates carry no mail"),
    (["--profile", "root-ca"], "profile", "unknown profile root-ca"),
    (["--profile", "sub-ca"], "profile", "unknown profile sub-ca"),
    (["--profile", "no-such-profile"], "profile", "unknown profile"),
    (["--profile", "smime-sponsor-multipurpose", "--email",
      "not-an-address"], "email", "is not a mail address"),
    (["--profile", "smime-sponsor-multipurpose", "--email",
      "taro@jipdec.example", "--days", "826"], "days",
     "allows at most 825 days"),
    (["--profile", "tls-ov", "--dns", "www.jipdec.example", "--days",
      "201"], "days", "allows at most 200 days"),
    (["--profile", "smime-sponsor-multipurpose", "--email",
      "taro@jipdec.example", "--ca", "root"], "ca", "root is a root CA"),
    (["--profile", "smime-sponsor-multipurpose", "--email",
      "taro@jipdec.example", "--ca", "nosuchca"], None, "nosuchca"),
])
def test_bad_request_cli(ca, tmp_path, args, field, message):
    _, csr = make_csr(tmp_path)
    snap = ca_snapshot(ca)
    r = ca.run("cert", "request", "--org", JIPDEC, "--csr", str(csr),
               "--given-name", "太郎", "--surname", "山田", *args, "--json")
    assert r.rc == 1, r
    assert message in r.err, r
    if field:
        assert json.loads(r.out)["error"]["field"] == field, r.out
    assert ca_snapshot(ca) == snap


def test_sponsored_profile_needs_person(ca, tmp_path):
    _, csr = make_csr(tmp_path)
    snap = ca_snapshot(ca)
    for p in ("smime-sponsor-multipurpose", "client-auth",
              "document-signing"):
        r = ca.fail("cert", "request", "--org", JIPDEC, "--profile", p,
                    "--csr", str(csr), *names_for(p), "--given-name", "太郎")
        assert "given name and surname are required" in r.err, r
    r = ca.fail("cert", "request", "--org", JIPDEC, "--profile",
                "client-auth", "--csr", str(csr), "--keygen", "ec-p256",
                "--given-name", "a", "--surname", "b")
    assert "not both" in r.err
    assert ca_snapshot(ca) == snap


@pytest.mark.parametrize("org,message", [
    (HIKARI, "is suspended: certificates are issued only for verified"),
    (SAKURA, "is applied: certificates are issued only for verified"),
    (new_number(), "no organization with corporate number"),
])
def test_request_for_unverified_org(ca, tmp_path, org, message):
    _, csr = make_csr(tmp_path)
    snap = ca_snapshot(ca)
    # hikari-bussan.example is HIKARI's verified web domain.
    for profile, names in (("tls-ov", ["--dns", "www.hikari-bussan.example"]),
                           ("client-auth", [])):
        r = ca.run("cert", "request", "--org", org, "--profile", profile,
                   "--csr", str(csr), *names, "--given-name", "a",
                   "--surname", "b")
        assert r.rc == 1 and message in r.err, r
    assert ca_snapshot(ca) == snap


def test_org_suspended_between_request_and_approval(ca, tmp_path):
    """Approval checks the registry again: a request filed while the
    organization was verified is not issued after it is suspended."""
    _, csr = make_csr(tmp_path)
    rid = cli_request(ca, "client-auth", csr=csr, org=KAKUIN_SHOJI)["id"]
    ca.ok("org", "suspend", KAKUIN_SHOJI, "--reason", "e2e: under review")
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "approve", str(rid))
    assert "is suspended" in r.err
    assert ca_snapshot(ca) == snap


def test_double_approval_and_unknown_request(ca):
    rid = pending_demo_request(ca)
    serial = cli_approve(ca, rid)["serial"]
    snap = ca_snapshot(ca)
    r = ca.run("cert", "approve", str(rid), "--json")
    assert r.rc == 1 and "already issued as serial " + serial in r.err, r
    assert json.loads(r.out)["error"]["code"] == "state"
    r = ca.fail("cert", "approve", "999999")
    assert "no certificate request 999999" in r.err
    r = ca.fail("cert", "reject", "999999", "--reason", "x")
    assert "no certificate request 999999" in r.err
    assert ca_snapshot(ca) == snap


def test_revoke_twice_unknown_and_bad_reason(ca, tmp_path):
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "client-auth", csr)
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "revoke", serial, "--reason", "becauseIsaidso")
    assert "reason must be one of" in r.err
    r = ca.fail("cert", "revoke", serial, "--reason", "certificateHold")
    assert "reason must be one of" in r.err
    assert ca_snapshot(ca) == snap
    ca.ok("cert", "revoke", serial, "--reason", "superseded")
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "revoke", serial, "--reason", "keyCompromise")
    assert "already revoked" in r.err
    r = ca.fail("cert", "suspend", serial)
    assert "revoked" in r.err
    r = ca.fail("cert", "resume", serial)
    assert "not suspended" in r.err
    assert ca_snapshot(ca) == snap
    # The first reason stands.
    assert ca.json("cert", "show", serial, "--json")["reason"] == "superseded"
    unknown = "0a0b0c0d0e0f00112233445566778899"
    for args in (("revoke", unknown, "--reason", "keyCompromise"),
                 ("suspend", unknown), ("resume", unknown),
                 ("show", unknown)):
        r = ca.fail("cert", *args)
        assert "no certificate with serial %s was issued here" % unknown in (
            r.err), r
    r = ca.fail("cert", "show", "not-a-serial")
    assert "serial" in r.err
    assert ca_snapshot(ca) == snap


def test_bad_identity_check(ca):
    rid = pending_demo_request(ca)
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "approve", str(rid), "--checked-by", "",
                "--method", "x")
    assert "identity" in r.err
    r = ca.fail("cert", "approve", str(rid), "--method", "a\x01b")
    assert "identity.how" in r.err, r
    assert ca_snapshot(ca) == snap


def test_cert_lint_exit_codes(ca, tmp_path):
    garbage = tmp_path / "g.pem"
    garbage.write_text("nothing here\n")
    assert ca.run("cert", "lint", str(garbage)).rc == 2
    assert ca.run("cert", "lint", str(tmp_path / "missing.pem")).rc == 2
    # A certificate openssl made with a SHA-1 signature and no policies:
    # kakuin's lint finds errors (exit 1).
    key, csr = make_csr(tmp_path, "rsa-2048", name="foreign")
    bad = tmp_path / "foreign.pem"
    openssl("req", "-x509", "-in", csr, "-key", key, "-days", "3000",
            "-sha1", "-out", bad)
    r = ca.run("cert", "lint", str(bad), "--profile",
               "smime-sponsor-multipurpose")
    assert r.rc == 1, r


# ---------------------------------------------------------------- officers

def add_local_officer(k, name, org):
    k.ok("user", "add", name, "--role", "ra", "--org", org,
         "--password-env", "E2E_PW", env={"E2E_PW": "local-officer-pw-1"})


def test_local_officer_of_other_org_cli(ca):
    """kakuin --as OFFICER cert approve: an officer bound to another
    organization may not approve (the audit would name them)."""
    add_local_officer(ca, "lo-shoji", KAKUIN_SHOJI)
    rid = pending_demo_request(ca)
    snap = ca_snapshot(ca)
    r = ca.run("--as", "lo-shoji", "cert", "approve", str(rid), "--json")
    assert r.rc == 1, ("a local RA officer of %s approved a request of %s "
                       "through the CLI: %r" % (KAKUIN_SHOJI, JIPDEC, r))
    assert "another organization" in r.err
    assert ca_snapshot(ca) == snap


def test_tls_profile_with_https_base_url(ca, tmp_path):
    """With base_url https://, the registry URL would be https, but the
    CRL distribution point must be http:// (TLS BR 7.1.2.11.2): a TLS
    certificate must still be issuable in some configuration."""
    set_conf(ca, base_url="https://ca.kakuin.example")
    pems = write_ca_pems(ca, tmp_path)
    _, csr = make_csr(tmp_path)
    rid = cli_request(ca, "tls-ov", csr=csr)["id"]
    r = ca.run("cert", "approve", str(rid), "--json")
    assert r.rc == 0, "tls-ov cannot be issued with an https base_url " \
        "either: " + r.err
    pem = save_cert(ca, r.json()["serial"], tmp_path / "tls.pem")
    verify(pems, pem, "sslserver")
