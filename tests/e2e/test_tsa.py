"""The RFC 3161 time-stamp authority of kakuin serve, asked the way users
ask it: `openssl ts -query`, then `curl --data-binary`, then `openssl ts
-reply -text` and `openssl ts -verify`; and `kakuin ts stamp` / `ts
verify` with person-readable verdicts."""
import http.client
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from test_ca import ca, openssl, write_ca_pems  # noqa: F401

SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"     # RFC 5816
DEFAULT_POLICY = "2.25.74849698960942683782532264219848360184.3.1"


def curl_tsa(srv, query, out, ctype="application/timestamp-query"):
    """POSTs the query file with curl; returns the HTTP status."""
    r = subprocess.run(["curl", "-s", "-o", str(out), "-w", "%{http_code}",
                        "-H", "Content-Type: " + ctype, "--data-binary",
                        "@%s" % query,
                        "http://127.0.0.1:%d/tsa" % srv.port],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


def query(tmp_path, data, name="q.tsq", *args):
    q = tmp_path / name
    openssl("ts", "-query", "-data", data, *args, "-out", q)
    return q


def reply_text(tsr):
    r = openssl("ts", "-reply", "-in", tsr, "-text")
    return r.stdout


def serial_of(text):
    m = re.search(r"Serial number: 0x([0-9A-Fa-f]+)", text)
    assert m, text
    return int(m.group(1), 16)


@pytest.fixture
def doc(tmp_path):
    p = tmp_path / "contract.txt"
    p.write_text("売買契約書 — the buyer pays 1,000,000 yen.\n")
    return p


def pems_of(k, tmp_path):
    p = write_ca_pems(k, tmp_path)
    return p["root"], p["issuing"]


def test_openssl_query_curl_reply_verify(ca, tmp_path, serve, doc):
    root, issuing = pems_of(ca, tmp_path)
    srv = serve(ca)
    q = query(tmp_path, doc, "q.tsq", "-sha256", "-cert")
    tsr = tmp_path / "r.tsr"
    assert curl_tsa(srv, q, tsr) == 200
    text = reply_text(tsr)
    assert "Status: Granted." in text, text
    assert "Policy OID: " + DEFAULT_POLICY in text, text
    assert "Hash Algorithm: sha256" in text, text
    assert "Accuracy: 0x01 seconds" in text, text
    # The nonce openssl put into the query is echoed.
    qtext = openssl("ts", "-query", "-in", q, "-text").stdout
    nonce = re.search(r"Nonce: (0x[0-9A-F]+)", qtext).group(1)
    assert "Nonce: " + nonce in text, text
    assert "TSA: DirName:" in text and "Time-Stamping Unit" in text, text
    r = openssl("ts", "-verify", "-queryfile", q, "-in", tsr, "-CAfile",
                root, "-untrusted", issuing)
    assert "Verification: OK" in r.stdout, r.stdout + r.stderr
    r = openssl("ts", "-verify", "-data", doc, "-in", tsr, "-CAfile", root,
                "-untrusted", issuing)
    assert "Verification: OK" in r.stdout, r.stdout + r.stderr
    # ESSCertIDv2 (RFC 5816) in the signed attributes, and the unit's
    # certificate (certReq) in the token.
    tok = tmp_path / "r.tok"
    openssl("ts", "-reply", "-in", tsr, "-token_out", "-out", tok)
    cms = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in",
                  tok).stdout
    assert "signingCertificateV2" in cms or SIGNING_CERT_V2 in cms, cms
    assert "d.certificate:" in cms and "Time-Stamping Unit" in cms, cms
    # Any other file does not verify.
    other = tmp_path / "other.txt"
    other.write_text("売買契約書 — the buyer pays 9,000,000 yen.\n")
    r = openssl("ts", "-verify", "-data", other, "-in", tsr, "-CAfile", root,
                "-untrusted", issuing, check=False)
    assert "Verification: OK" not in r.stdout


def test_unit_certificate_has_critical_timestamping_eku(ca, tmp_path):
    pem = tmp_path / "unit.pem"
    ca.ok("ts", "unit", "-o", pem)
    text = openssl("x509", "-in", pem, "-noout", "-text").stdout
    m = re.search(r"X509v3 Extended Key Usage: critical\s+Time Stamping\s",
                  text)
    assert m, text
    listed = ca.json("cert", "list", "--json")["certs"]
    assert any(c["profile"] == "tsa" and c["status"] == "valid"
               for c in listed), listed


def test_cert_req_false_leaves_certificates_out(ca, tmp_path, serve, doc):
    root, issuing = pems_of(ca, tmp_path)
    unit = tmp_path / "unit.pem"
    ca.ok("ts", "unit", "-o", unit)
    srv = serve(ca)
    q = query(tmp_path, doc, "q.tsq", "-sha384")     # no -cert: certReq off
    tsr = tmp_path / "r.tsr"
    assert curl_tsa(srv, q, tsr) == 200
    tok = tmp_path / "r.tok"
    openssl("ts", "-reply", "-in", tsr, "-token_out", "-out", tok)
    cms = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in",
                  tok).stdout
    assert re.search(r"certificates:\s+<ABSENT>", cms), cms
    # Given the unit's certificate, openssl verifies it.
    untrusted = tmp_path / "untrusted.pem"
    untrusted.write_text(issuing.read_text() + unit.read_text())
    r = openssl("ts", "-verify", "-queryfile", q, "-in", tsr, "-CAfile",
                root, "-untrusted", untrusted)
    assert "Verification: OK" in r.stdout, r.stdout + r.stderr
    # kakuin ts verify finds the unit in its own store.
    ca.ok("ts", "verify", doc, tsr)


@pytest.mark.parametrize("digest", ["-sha256", "-sha384", "-sha512",
                                    "-sha3-256", "-sha3-512"])
def test_allowed_hashes_are_granted(ca, tmp_path, serve, doc, digest):
    root, issuing = pems_of(ca, tmp_path)
    srv = serve(ca)
    q = query(tmp_path, doc, "q.tsq", digest, "-cert")
    tsr = tmp_path / "r.tsr"
    assert curl_tsa(srv, q, tsr) == 200
    assert "Status: Granted." in reply_text(tsr)
    r = openssl("ts", "-verify", "-queryfile", q, "-in", tsr, "-CAfile",
                root, "-untrusted", issuing)
    assert "Verification: OK" in r.stdout, r.stdout + r.stderr
    ca.ok("ts", "verify", doc, tsr)


@pytest.mark.parametrize("digest,name", [("-sha1", "SHA-1"),
                                         ("-md5", "MD5")])
def test_weak_hashes_get_bad_alg(ca, tmp_path, serve, doc, digest, name):
    srv = serve(ca)
    q = query(tmp_path, doc, "q.tsq", digest)
    tsr = tmp_path / "r.tsr"
    assert curl_tsa(srv, q, tsr) == 200
    text = reply_text(tsr)
    assert "Status: Rejected." in text, text
    assert "unrecognized or unsupported algorithm identifier" in text, text
    assert name + " message imprints are not accepted" in text, text


def rejection(srv, tmp_path, body, ctype="application/timestamp-query"):
    q = tmp_path / "bad.tsq"
    q.write_bytes(body)
    tsr = tmp_path / "bad.tsr"
    status = curl_tsa(srv, q, tsr, ctype)
    return status, reply_text(tsr)


def test_malformed_requests_get_bad_data_format(ca, tmp_path, serve, doc):
    srv = serve(ca)
    good = query(tmp_path, doc, "q.tsq", "-sha256").read_bytes()
    for body in (b"", b"not a time-stamp request", good[:-3],
                 good + b"\x00\x00", b"\x30\x80" + good[2:]):
        status, text = rejection(srv, tmp_path, body)
        assert status == 200, (body, text)
        assert "Status: Rejected." in text, (body, text)
        assert "the data submitted has the wrong format" in text, (body,
                                                                   text)
        assert "RFC 3161 section 2.4.1" in text, (body, text)
    # A hash algorithm with parameters other than NULL (an empty
    # [UNIVERSAL 0] constructed) is refused, not copied into a token that
    # openssl could not read back.
    sha256 = bytes.fromhex("0609608648016503040201" "0500")
    assert sha256 in good
    status, text = rejection(srv, tmp_path, good.replace(
        sha256, bytes.fromhex("0609608648016503040201" "2000")))
    assert status == 200, text
    assert "Status: Rejected." in text, text
    assert "the data submitted has the wrong format" in text, text
    assert "RFC 5754 section 2" in text, text
    # A body over the anonymous cap (16 KiB) is refused in RFC 3161's
    # words too, with HTTP 413, not an API error in JSON.
    status, text = rejection(srv, tmp_path, good + b"\x00" * 20000)
    assert status == 413, text
    assert "Status: Rejected." in text, text
    assert "the data submitted has the wrong format" in text, text
    # A wrong Content-Type is refused with a TimeStampResp too.
    status, text = rejection(srv, tmp_path, good, "application/octet-stream")
    assert status == 415, text
    assert "application/timestamp-query" in text, text
    # The server still answers normally afterwards.
    q = query(tmp_path, doc, "q2.tsq", "-sha256")
    tsr = tmp_path / "ok.tsr"
    assert curl_tsa(srv, q, tsr) == 200
    assert "Status: Granted." in reply_text(tsr)


def test_wrong_imprint_length_and_method(ca, tmp_path, serve, doc):
    srv = serve(ca)
    # A SHA-256 imprint of 31 bytes (RFC 3161 section 2.4.1).
    alg = b"\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00"
    digest = b"\x04\x1f" + bytes(31)
    imprint = b"\x30" + bytes([len(alg) + len(digest)]) + alg + digest
    req = b"\x30" + bytes([3 + len(imprint)]) + b"\x02\x01\x01" + imprint
    status, text = rejection(srv, tmp_path, req)
    assert status == 200 and "length does not fit" in text, text
    assert "the data submitted has the wrong format" in text, text
    # Version 2 is a badRequest.
    req2 = req.replace(b"\x02\x01\x01", b"\x02\x01\x02", 1)
    status, text = rejection(srv, tmp_path, req2)
    assert "transaction not permitted or supported" in text, text
    r = srv.get("/tsa")
    assert r.status == 405 and r.header("Allow") == "POST", r


def test_policies(ca, tmp_path, serve, doc):
    extra = "1.2.392.200091.1.1"
    with open(Path(ca.dir) / "kakuin.conf", "a") as f:
        f.write("tsa_policies = %s\ntsa_accuracy_ms = 500\n" % extra)
    srv = serve(ca)
    q = query(tmp_path, doc, "q.tsq", "-sha256", "-tspolicy", extra)
    tsr = tmp_path / "r.tsr"
    assert curl_tsa(srv, q, tsr) == 200
    text = reply_text(tsr)
    assert "Policy OID: " + extra in text, text
    assert "Accuracy: unspecified seconds, 0x01F4 millis" in text, text
    q = query(tmp_path, doc, "q2.tsq", "-sha256", "-tspolicy", "1.2.3.4.5")
    assert curl_tsa(srv, q, tsr) == 200
    text = reply_text(tsr)
    assert "Status: Rejected." in text, text
    assert "requested policy is not supported" in text or \
        "unaccepted policy" in text.lower() or \
        "policy is not one this TSA serves" in text, text


def test_bad_policy_setting_stops_the_server(ca, tmp_path):
    with open(Path(ca.dir) / "kakuin.conf", "a") as f:
        f.write("tsa_policy = not-an-oid\n")
    r = ca.run("ts", "unit")
    assert r.rc != 0 and "tsa_policy" in r.err, r


def test_serials_unique_and_increasing_across_kill(ca, tmp_path, serve,
                                                    doc):
    q = query(tmp_path, doc, "q.tsq", "-sha256")
    seen = []
    for round_ in range(3):
        srv = serve(ca)
        for i in range(5):
            tsr = tmp_path / ("r%d-%d.tsr" % (round_, i))
            assert curl_tsa(srv, q, tsr) == 200
            seen.append(serial_of(reply_text(tsr)))
        if round_ == 1:
            srv.stop()              # a clean stop
        else:
            srv.proc.kill()         # SIGKILL: no chance to save anything
            srv.proc.wait()
    # The CLI signs from the same counter.
    out = tmp_path / "cli.tsr"
    ca.ok("ts", "stamp", doc, "-o", out)
    seen.append(serial_of(reply_text(out)))
    assert len(set(seen)) == len(seen), seen
    assert seen == sorted(seen), seen


def test_kakuin_ts_stamp_and_verify(ca, tmp_path, doc):
    root, issuing = pems_of(ca, tmp_path)
    tsr = tmp_path / "contract.tsr"
    ca.ok("ts", "stamp", doc, "-o", tsr)
    # openssl accepts what the CLI wrote.
    r = openssl("ts", "-verify", "-data", doc, "-in", tsr, "-CAfile", root,
                "-untrusted", issuing)
    assert "Verification: OK" in r.stdout, r.stdout + r.stderr
    r = ca.ok("ts", "verify", doc, tsr)
    assert r.out.startswith("GOOD: "), r
    assert "existed in exactly this form at" in r.out, r
    assert "not revoked" in r.out, r
    v = ca.json("ts", "verify", doc, tsr, "--json")
    assert v["verdict"] == "good" and v["cert_status"] == "valid", v
    assert v["hash"] == "sha256" and v["policy"] == DEFAULT_POLICY, v
    # A bare token (openssl ts -reply -token_out) verifies too.
    tok = tmp_path / "contract.tok"
    openssl("ts", "-reply", "-in", tsr, "-token_out", "-out", tok)
    ca.ok("ts", "verify", doc, tok)
    # A changed file does not.
    changed = tmp_path / "changed.txt"
    changed.write_bytes(doc.read_bytes() + b" ")
    r = ca.fail("ts", "verify", changed, tsr)
    assert r.out.startswith("NOT VALID: ") and "changed after it was " \
        "stamped" in r.out, r
    # Something that is not a time-stamp cannot be checked: exit 2.
    junk = tmp_path / "junk.tsr"
    junk.write_bytes(b"\x30\x03\x02\x01\x00garbage")
    r = ca.fail("ts", "verify", doc, junk, rc=2)
    assert "neither a TimeStampResp nor a time-stamp token" in r.out, r


def test_revoked_tsa_certificate_fails_verification(ca, tmp_path, doc):
    tsr = tmp_path / "contract.tsr"
    ca.ok("ts", "stamp", doc, "-o", tsr)
    unit = ca.json("ts", "unit", "--json")["serial"]
    ca.ok("cert", "revoke", unit, "--reason", "keyCompromise")
    r = ca.fail("ts", "verify", doc, tsr)
    assert r.out.startswith("NOT VALID: "), r
    assert "the time-stamping certificate %s was revoked" % unit in r.out, r
    assert "keyCompromise" in r.out and "RFC 3161 section 4" in r.out, r
    # The next stamp comes from a new unit, and is good.
    tsr2 = tmp_path / "contract2.tsr"
    ca.ok("ts", "stamp", doc, "-o", tsr2)
    v = ca.json("ts", "verify", doc, tsr2, "--json")
    assert v["verdict"] == "good" and v["cert_serial"] != unit, v


def test_retired_unit_keeps_earlier_stamps_good(ca, tmp_path, doc):
    """RFC 3161 section 4: a unit revoked for a reason other than key
    compromise leaves the tokens it made before valid."""
    tsr = tmp_path / "contract.tsr"
    ca.ok("ts", "stamp", doc, "-o", tsr)
    unit = ca.json("ts", "unit", "--json")["serial"]
    # Revocation times are recorded to the second: a revocation in the
    # same second as the stamp counts as before it.
    time.sleep(1.1)
    ca.ok("cert", "revoke", unit, "--reason", "cessationOfOperation")
    r = ca.ok("ts", "verify", doc, tsr)
    assert r.out.startswith("GOOD: ") and "revoked later" in r.out, r


def test_rekey_makes_a_new_unit(ca, tmp_path, doc):
    first = ca.json("ts", "unit", "--json")["serial"]
    second = ca.json("ts", "rekey", "--json")["serial"]
    assert first != second
    assert ca.json("ts", "unit", "--json")["serial"] == second
    tsr = tmp_path / "contract.tsr"
    ca.ok("ts", "stamp", doc, "-o", tsr)
    assert ca.json("ts", "verify", doc, tsr, "--json")["cert_serial"] == \
        second
    audit = ca.sql("SELECT action, object FROM audit WHERE action = "
                   "'cert.issue' AND object IN (?, ?)",
                   ("cert:" + first, "cert:" + second))
    assert len(audit) == 2, audit


def post_query(port, body):
    """One POST /tsa on a fresh connection; the reply bytes or None when
    the connection failed (the server was killed)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("POST", "/tsa", body=body, headers={
            "Content-Type": "application/timestamp-query"})
        r = c.getresponse()
        data = r.read()
        return data if r.status == 200 else None
    except OSError:
        return None
    finally:
        c.close()


def test_sigkill_under_load_reuses_no_serial(ca, tmp_path, serve, doc):
    """Clients stamp without pause from 4 threads while the server is
    killed with SIGKILL, twice; every token anyone received has a serial
    no other token has, and the tokens after a restart are above all
    before it."""
    body = query(tmp_path, doc, "q.tsq", "-sha256").read_bytes()
    rounds = []
    for round_ in range(3):
        srv = serve(ca)
        got = []
        stop = threading.Event()

        def client():
            while not stop.is_set():
                data = post_query(srv.port, body)
                # Granted tokens only (PKIStatusInfo { 0 } first): on a
                # busy machine some get the overload rejection, which
                # has no serial.
                if data is not None and data.find(
                        b"\x30\x03\x02\x01\x00", 0, 10) >= 0:
                    got.append(data)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while len(got) < 50 and time.time() < deadline:
            time.sleep(0.05)
        if round_ < 2:
            srv.proc.kill()
            srv.proc.wait()
        else:
            srv.stop()
        stop.set()
        for t in threads:
            t.join()
        assert len(got) >= 50, len(got)
        serials = []
        for i, data in enumerate(got):
            f = tmp_path / ("t%d-%d.tsr" % (round_, i))
            f.write_bytes(data)
            serials.append(serial_of(reply_text(f)))
        rounds.append(serials)
    every = [s for r in rounds for s in r]
    assert len(every) == len(set(every)), "a serial was given twice"
    for before, after in zip(rounds, rounds[1:]):
        assert min(after) > max(before), (max(before), min(after))
