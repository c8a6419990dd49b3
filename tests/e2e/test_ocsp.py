"""The OCSP responder of kakuin serve, asked by `openssl ocsp` (RFC 6960):
good, revoked with time and reason, unknown, unauthorized, with and
without a nonce, over POST and GET, and malformed requests answered with
an OCSPResponse rather than a dropped connection."""
import base64
import time
import urllib.parse
from pathlib import Path

from test_ca import (ca, issue, make_csr, openssl, save_cert,  # noqa
                     set_conf, write_ca_pems)


def chain(pems, d):
    p = Path(d) / "chain.pem"
    p.write_text(pems["issuing"].read_text() + pems["root"].read_text())
    return p


def ask(srv, issuer, chain_pem, *args, check=True):
    """openssl ocsp against the server; stdout + stderr."""
    r = openssl("ocsp", "-issuer", issuer, *args, "-url",
                "http://127.0.0.1:%d/ocsp" % srv.port, "-CAfile", chain_pem,
                "-resp_text", check=check)
    return r.stdout + r.stderr


def demo_certs(k):
    certs = k.json("cert", "list", "--json")["certs"]
    good = [c["serial"] for c in certs if c["status"] == "valid"]
    revoked = [c["serial"] for c in certs if c["status"] == "revoked"]
    assert good and revoked, certs
    return good[0], revoked[0]


def test_good_and_revoked_with_nonce(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, revoked = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    rp = save_cert(ca, revoked, tmp_path / "revoked.pem")
    srv = serve(ca)
    out = ask(srv, pems["issuing"], cp, "-cert", gp, "-cert", rp)
    assert "Response verify OK" in out, out
    assert "%s: good" % gp in out, out
    assert "%s: revoked" % rp in out, out
    assert "Reason: keyCompromise" in out, out
    # openssl sent a nonce and found it echoed (else it warns).
    assert "OCSP Nonce" in out and "WARNING" not in out, out
    assert "Next Update:" in out, out


def test_rsa_responder_signs_in_the_token(ca, tmp_path, serve):
    """An RSA hierarchy: its responder key (RSA-3072 in the token) signs
    each nonce answer through the signer (CKM_RSA_PKCS over a SHA-256
    DigestInfo), and openssl verifies good and revoked."""
    set_conf(ca, ca_key_alg="rsa-3072")
    ca.ok("ca", "init", "--root", "rsaroot", "--issuing", "rsaiss")
    pems = write_ca_pems(ca, tmp_path)
    cp = Path(tmp_path) / "rsachain.pem"
    cp.write_text(pems["rsaiss"].read_text() + pems["rsaroot"].read_text())
    _, csr = make_csr(tmp_path, "ec-p256")
    good = issue(ca, "smime-sponsor-multipurpose", csr,
                 extra=("--ca", "rsaiss"))
    bad = issue(ca, "smime-sponsor-multipurpose", csr, who="hanako",
                given="花子", surname="佐藤", extra=("--ca", "rsaiss"))
    ca.ok("cert", "revoke", bad, "--reason", "keyCompromise")
    gp = save_cert(ca, good, tmp_path / "rgood.pem")
    bp = save_cert(ca, bad, tmp_path / "rbad.pem")
    srv = serve(ca)
    out = ask(srv, pems["rsaiss"], cp, "-cert", gp, "-cert", bp)
    assert "Response verify OK" in out, out
    assert "Signature Algorithm: sha256WithRSAEncryption" in out, out
    assert "%s: good" % gp in out, out
    assert "%s: revoked" % bp in out, out
    assert "OCSP Nonce" in out and "WARNING" not in out, out


def test_unknown_serial_with_sha256_certid_no_nonce(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    srv = serve(ca)
    out = ask(srv, pems["issuing"], cp, "-no_nonce", "-sha256", "-serial",
              "0x1234567890abcdef")
    assert "Response verify OK" in out, out
    assert "0x1234567890abcdef: unknown" in out, out
    assert "OCSP Nonce" not in out, out


def test_sub_ca_certificate_is_good_under_the_root(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    srv = serve(ca)
    out = ask(srv, pems["root"], pems["root"], "-cert", pems["issuing"])
    assert "Response verify OK" in out, out
    assert "%s: good" % pems["issuing"] in out, out


def test_suspend_and_resume(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr)
    pem = save_cert(ca, serial, tmp_path / "h.pem")
    srv = serve(ca)
    assert "%s: good" % pem in ask(srv, pems["issuing"], cp, "-cert", pem)
    ca.ok("cert", "suspend", serial)
    out = ask(srv, pems["issuing"], cp, "-cert", pem)
    assert "%s: revoked" % pem in out and "certificateHold" in out, out
    ca.ok("cert", "resume", serial)
    assert "%s: good" % pem in ask(srv, pems["issuing"], cp, "-cert", pem)


def test_get_request(ca, tmp_path, serve):
    """RFC 6960 appendix A.1: GET /ocsp/{url-encoded base64 of the DER}."""
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    req = tmp_path / "req.der"
    openssl("ocsp", "-issuer", pems["issuing"], "-cert", gp, "-no_nonce",
            "-reqout", req)
    b64 = base64.b64encode(req.read_bytes()).decode()
    srv = serve(ca)
    r = srv.get("/ocsp/" + urllib.parse.quote(b64, safe=""))
    assert r.status == 200
    assert r.header("Content-Type") == "application/ocsp-response"
    resp = tmp_path / "resp.der"
    resp.write_bytes(r.body)
    out = openssl("ocsp", "-respin", resp, "-issuer", pems["issuing"],
                  "-cert", gp, "-CAfile", cp, "-no_nonce")
    assert "%s: good" % gp in out.stdout, out.stdout + out.stderr


def test_issuer_not_ours_is_unauthorized(ca, tmp_path, serve):
    key = tmp_path / "other.key"
    other = tmp_path / "other.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-subj",
            "/CN=not kakuin", "-days", "2", "-out", other)
    srv = serve(ca)
    out = ask(srv, other, other, "-serial", "0x01", check=False)
    assert "Responder Error: unauthorized (6)" in out, out


def test_malformed_requests_get_malformed_request(ca, tmp_path, serve):
    srv = serve(ca)
    for how, r in [
        ("garbage POST", srv.request("POST", "/ocsp", body=b"\x30\x03abc",
                                     headers={"Content-Type":
                                              "application/ocsp-request"})),
        ("empty POST", srv.request("POST", "/ocsp", body=b"")),
        ("bad base64", srv.get("/ocsp/%21%21%21")),
        ("base64 of junk", srv.get("/ocsp/" + urllib.parse.quote(
            base64.b64encode(b"not DER at all").decode(), safe=""))),
    ]:
        assert r.status == 200, how
        assert r.header("Content-Type") == "application/ocsp-response", how
        resp = tmp_path / "m.der"
        resp.write_bytes(r.body)
        out = openssl("ocsp", "-respin", resp, "-resp_text", check=False)
        text = out.stdout + out.stderr
        assert "Responder Error: malformedrequest (1)" in text, (how, text)
    # The caps: more than 16 CertIDs, a GET path over 8192 characters.
    many = tmp_path / "many.der"
    args = []
    for i in range(17):
        args += ["-serial", "0x%x" % (i + 1)]
    pems = write_ca_pems(ca, tmp_path)
    openssl("ocsp", "-issuer", pems["issuing"], *args, "-reqout", many)
    for how, r in [
        ("17 CertIDs", srv.request("POST", "/ocsp",
                                   body=many.read_bytes())),
        ("long GET", srv.get("/ocsp/" + "A" * 8196)),
        # A CertID whose SHA-1 has parameters other than NULL (here an
        # empty [UNIVERSAL 0] constructed) must not be echoed into a
        # signed answer: openssl could not read that answer back.
        ("CertID hash parameters", srv.request(
            "POST", "/ocsp", body=odd_params(pems, tmp_path))),
        # Over the anonymous body cap (16 KiB): HTTP 413, but still an
        # OCSPResponse, not an API error in JSON.
        ("20 KB POST", srv.request("POST", "/ocsp",
                                   body=many.read_bytes() + b"\0" * 20000)),
    ]:
        if how == "20 KB POST":
            assert r.status == 413, r.status
            assert r.header("Content-Type") == "application/ocsp-response"
        resp = tmp_path / "m.der"
        resp.write_bytes(r.body)
        out = openssl("ocsp", "-respin", resp, "-resp_text", check=False)
        assert "Responder Error: malformedrequest (1)" in (
            out.stdout + out.stderr), how
    # The server still answers afterwards.
    assert srv.get("/healthz").status == 200


def odd_params(pems, d):
    req = Path(d) / "odd.der"
    openssl("ocsp", "-issuer", pems["issuing"], "-serial", "0x1234",
            "-reqout", req)
    der = req.read_bytes()
    sha1 = bytes.fromhex("06052b0e03021a0500")
    assert sha1 in der
    return der.replace(sha1, bytes.fromhex("06052b0e03021a2000"))


def test_certid_hash_other_than_sha1_or_sha256_is_unauthorized(ca, tmp_path,
                                                               serve):
    pems = write_ca_pems(ca, tmp_path)
    srv = serve(ca)
    out = ask(srv, pems["issuing"], chain(pems, tmp_path), "-sha384",
              "-serial", "0x01", check=False)
    assert "Responder Error: unauthorized (6)" in out, out


def test_server_without_ca_keys_answers_try_later(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    srv = serve(ca, env={"KAKUIN_PKCS11_PIN": "wrong-pin-1234"})
    assert "the CA is unavailable" in srv.stderr()
    out = ask(srv, pems["issuing"], chain(pems, tmp_path), "-serial",
              "0x01", check=False)
    assert "Responder Error: trylater (3)" in out, out


def test_wrong_method(ca, serve):
    srv = serve(ca)
    r = srv.get("/ocsp")
    assert r.status == 405 and r.header("Allow") == "POST"


def test_answers_come_from_a_delegated_responder(ca, tmp_path, serve):
    """RFC 6960 4.2.2.2: signed by a certificate the CA issued for OCSP
    signing only, with id-pkix-ocsp-nocheck, its key in the token."""
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    rows = ca.sql("SELECT s.key_uri, s.cert_pem FROM ocsp_signers s "
                  "JOIN cas c ON c.id = s.ca_id WHERE c.name = 'issuing'")
    assert len(rows) == 1, rows
    assert rows[0][0].startswith("pkcs11:"), rows
    signer = tmp_path / "signer.pem"
    signer.write_text(rows[0][1])
    text = openssl("x509", "-in", signer, "-noout", "-text").stdout
    assert "OCSP Signing" in text and "OCSP No Check" in text, text
    assert "OCSP responder" in text and "CRL Distribution" not in text
    verify = openssl("verify", "-CAfile", pems["root"], "-untrusted",
                     pems["issuing"], signer)
    assert "OK" in verify.stdout
    srv = serve(ca)
    out = ask(srv, pems["issuing"], cp, "-cert", gp)
    assert "Response verify OK" in out, out
    serial = openssl("x509", "-in", signer, "-noout",
                     "-serial").stdout.strip().split("=")[1]
    # openssl prints the certificates the response carries.
    assert serial.upper() in out.replace(":", "").upper(), out
    # The signer's key signs; the CA key would not verify with -VAfile.
    out = openssl("ocsp", "-issuer", pems["issuing"], "-cert", gp, "-url",
                  "http://127.0.0.1:%d/ocsp" % srv.port, "-VAfile",
                  signer).stdout
    assert "%s: good" % gp in out, out


def test_responder_certificate_renewed_before_it_ends(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    c = ca.db(readonly=False)
    c.execute("UPDATE ocsp_signers SET not_after = '2026-01-01T00:00:00Z'")
    c.commit()
    c.close()
    before = ca.sql("SELECT serial FROM ocsp_signers")
    srv = serve(ca)
    out = ask(srv, pems["issuing"], cp, "-cert", gp)
    assert "%s: good" % gp in out, out
    after = ca.sql("SELECT s.serial, s.key_uri FROM ocsp_signers s "
                   "JOIN cas c ON c.id = s.ca_id WHERE c.name = 'issuing' "
                   "ORDER BY s.id")
    assert len(after) == 2 and after[0][0] in [b[0] for b in before]
    assert after[1][0] not in [b[0] for b in before]
    audit = ca.sql("SELECT actor FROM audit WHERE action = "
                   "'ca.ocsp_signer' AND object = 'ca:issuing'")
    assert len(audit) == 2 and audit[-1][0] == "kakuin serve", audit
    assert ca.run("audit", "verify").rc == 0


def get_request(pems, cert, d):
    req = Path(d) / "get-req.der"
    openssl("ocsp", "-issuer", pems["issuing"], "-cert", cert, "-no_nonce",
            "-reqout", req)
    return "/ocsp/" + urllib.parse.quote(
        base64.b64encode(req.read_bytes()).decode(), safe="")


def status_of(body, pems, cert, d):
    resp = Path(d) / "get-resp.der"
    resp.write_bytes(body)
    out = openssl("ocsp", "-respin", resp, "-issuer", pems["issuing"],
                  "-cert", cert, "-CAfile", chain(pems, d), "-no_nonce")
    line = [x for x in out.stdout.splitlines() if x.startswith(str(cert))]
    assert line, out.stdout + out.stderr
    return line[0].split(": ", 1)[1]


def wait_presigned(k):
    """Until the server's refresher has signed every certificate's
    answer."""
    deadline = time.time() + 20
    while time.time() < deadline:
        left = k.sql("SELECT count(*) FROM certs c LEFT JOIN ocsp_responses "
                     "o ON o.serial = c.serial WHERE o.serial IS NULL")[0][0]
        if left == 0:
            return
        time.sleep(0.1)
    raise AssertionError("the server did not pre-sign every answer")


def test_pre_signed_answers_with_http_caching(ca, tmp_path, serve):
    """RFC 5019 section 6: GET answers carry max-age, ETag, Last-Modified
    and Expires; the same pre-signed bytes come back until kakuin signs
    again; If-None-Match gets 304."""
    pems = write_ca_pems(ca, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    path = get_request(pems, gp, tmp_path)
    srv = serve(ca)
    wait_presigned(ca)
    a = srv.get(path)
    b = srv.get(path)
    assert a.status == 200 and b.status == 200
    assert a.body == b.body, "a pre-signed answer is served as is"
    cc = a.header("Cache-Control")
    assert cc.startswith("public, max-age=") and "no-transform" in cc, cc
    age = int(cc.split("max-age=")[1].split(",")[0])
    assert 3600 <= age <= 12 * 3600, cc
    etag = a.header("ETag")
    assert etag and etag == b.header("ETag"), a.headers
    assert a.header("Last-Modified") and a.header("Expires"), a.headers
    assert status_of(a.body, pems, gp, tmp_path) == "good"
    c = srv.get(path, headers={"If-None-Match": etag})
    assert c.status == 304 and c.body == b"", c.status
    # POST is not for caches.
    post = srv.request("POST", "/ocsp", body=(tmp_path /
                                              "get-req.der").read_bytes())
    assert post.header("Cache-Control") == "no-store"


def test_status_change_signs_again_at_once(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr)
    pem = save_cert(ca, serial, tmp_path / "s.pem")
    path = get_request(pems, pem, tmp_path)
    srv = serve(ca)
    wait_presigned(ca)
    first = srv.get(path)
    assert status_of(first.body, pems, pem, tmp_path) == "good"
    ca.ok("cert", "suspend", serial)
    rows = ca.sql("SELECT der FROM ocsp_responses WHERE serial = ?",
                  (serial,))
    assert len(rows) == 1, "suspending signed the answer again at once"
    # A change made by another process (here the CLI) reaches the server's
    # workers within a second (docs/ca.md: each keeps answers 1 s).
    held = eventually(srv, path, pems, pem, tmp_path, "revoked")
    assert held.header("ETag") != first.header("ETag")
    ca.ok("cert", "resume", serial)
    eventually(srv, path, pems, pem, tmp_path, "good")
    # One made through this server shows at once.
    token = ca.token("ra-suzuki")
    r = srv.post("/api/v1/certs/%s/revoke" % serial,
                 {"reason": "keyCompromise"}, token=token)
    assert r.status == 200, r
    assert status_of(srv.get(path).body, pems, pem, tmp_path) == "revoked"


def eventually(srv, path, pems, pem, tmp_path, want, within=3.0):
    """GETs path until its answer says want (or within seconds pass)."""
    deadline = time.time() + within
    while True:
        r = srv.get(path)
        st = status_of(r.body, pems, pem, tmp_path)
        if st == want:
            return r
        assert time.time() < deadline, (want, st)
        time.sleep(0.1)


def test_server_pre_signs_every_certificate(ca, tmp_path, serve):
    certs = ca.json("cert", "list", "--json")["certs"]
    c = ca.db(readonly=False)
    c.execute("DELETE FROM ocsp_responses")
    c.commit()
    c.close()
    srv = serve(ca)
    deadline = time.time() + 20
    while time.time() < deadline:
        n = ca.sql("SELECT count(*) FROM ocsp_responses")[0][0]
        if n >= len(certs):
            break
        time.sleep(0.2)
    assert n == len(certs), (n, len(certs), srv.stderr())
    assert "pre-signed %d OCSP answer" % len(certs) in srv.stderr()


def test_nonce_answers_are_signed_each_time(ca, tmp_path, serve):
    pems = write_ca_pems(ca, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    srv = serve(ca)
    bodies = set()
    for i in range(2):
        req = tmp_path / ("n%d.der" % i)
        openssl("ocsp", "-issuer", pems["issuing"], "-cert", gp,
                "-reqout", req)
        r = srv.request("POST", "/ocsp", body=req.read_bytes(),
                        headers={"Content-Type": "application/ocsp-request"})
        assert r.status == 200
        bodies.add(r.body)
    assert len(bodies) == 2
