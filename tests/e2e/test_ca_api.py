"""The certificate authority over HTTP (kakuin serve): CA and CRL
downloads checked by OpenSSL, the officer's workflow, subscriber
revocation with the code, local RA officers, bad input, and a crash in
the middle of a batch of issuances and revocations."""
import queue
import signal
import threading
from pathlib import Path

import pytest

from conftest import (HIKARI, JIPDEC, KAKUIN_SHOJI, SAKURA, api_error,
                      new_number)
from test_ca import (add_local_officer, bad_csr, ca, ca_snapshot,  # noqa
                     cli_request, crl_entries, fetch_crl, issue,
                     make_csr, openssl, pending_demo_request, save_cert,
                     verify, write_ca_pems, x509_serial)

REQS = "/api/v1/certs/requests"
IDENTITY = {"who": "ra-suzuki", "how": "photo ID checked in person",
            "ref": "e2e-api-1"}


@pytest.fixture
def api(ca, serve):
    s = serve(ca)
    s.ra = ca.token("ra-suzuki")
    s.admin = ca.token("admin")
    return s


def refused(api, method, path, status, field=None, code=None, **kw):
    """A request that must be refused and change nothing."""
    snap = ca_snapshot(api.k)
    r = api.request(method, path, **kw)
    e = api_error(r, status, field=field, code=code)
    assert ca_snapshot(api.k) == snap, "a refused request changed the store"
    return e


def api_request(api, csr_path=None, org=JIPDEC,
                profile="smime-sponsor-multipurpose", token=None, **fields):
    body = {"org": org, "profile": profile}
    if csr_path is not None:
        body["csr"] = Path(csr_path).read_text()
    if profile.startswith("smime-") and "emails" not in fields:
        body["emails"] = ["taro@jipdec.example"]
    if profile in ("smime-sponsor-multipurpose", "smime-sponsor-strict",
                   "client-auth", "document-signing"):
        body.setdefault("given_name", "太郎")
        body.setdefault("surname", "山田")
    body.update(fields)
    return api.post(REQS, body, token=token)


def api_approve(api, rid, token=None):
    return api.post("%s/%d/approve" % (REQS, rid), {"identity": IDENTITY},
                    token=token or api.ra)


# ---------------------------------------------------------------- downloads

def test_ca_certificates_and_crls_over_http(api, tmp_path):
    pems = write_ca_pems(api.k, tmp_path)
    j = api.get("/api/v1/cas").json()
    assert [(c["name"], c["kind"]) for c in j["cas"]] == [
        ("root", "root"), ("issuing", "issuing")]
    for c in j["cas"]:
        assert c["url"].endswith("/ca/%s.crt" % c["name"])
        r = api.get("/ca/%s.crt" % c["name"])
        assert r.status == 200 and r.header("Content-Type") == \
            "application/pkix-cert"
        der = tmp_path / ("%s.der" % c["name"])
        der.write_bytes(r.body)
        # The DER is the same certificate as the PEM.
        a = openssl("x509", "-inform", "DER", "-in", der, "-noout",
                    "-fingerprint", "-sha256").stdout
        b = openssl("x509", "-in", pems[c["name"]], "-noout",
                    "-fingerprint", "-sha256").stdout
        assert a == b
        r = api.get("/ca/%s.pem" % c["name"])
        assert r.status == 200 and r.text == c["pem"]
    openssl("verify", "-CAfile", pems["root"], pems["issuing"])
    # CRLs: DER, application/pkix-crl, signed by their CA.
    hanako = [c for c in api.k.json("cert", "list", "--json")["certs"]
              if c["emails"] == "hanako@jipdec.example"][0]
    for name in ("root", "issuing"):
        r = api.get("/crl/%s.crl" % name)
        assert r.status == 200, r
        assert r.header("Content-Type") == "application/pkix-crl"
        p = tmp_path / ("%s-http.crl" % name)
        p.write_bytes(r.body)
        entries, _ = crl_entries(p, pems[name])
        if name == "issuing":
            assert entries == {int(hanako["serial"], 16): "Key Compromise"}
        else:
            assert entries == {}
    # The URLs in the certificates point at these paths.
    leaf = save_cert(api.k, hanako["serial"], tmp_path / "h.pem")
    text = openssl("x509", "-in", leaf, "-noout", "-text").stdout
    assert "/crl/issuing.crl" in text and "/ca/issuing.crt" in text
    api_error(api.get("/ca/nosuch.crt"), 404)
    api_error(api.get("/crl/nosuch.crl"), 404)
    api_error(api.get("/ca/root.txt"), 404)
    api_error(api.post("/crl/issuing.crl", {}), 405)


# ---------------------------------------------------------------- workflow

def test_request_approve_revoke_over_api(api, tmp_path):
    """Done when: an officer takes an employee from request to an issued
    S/MIME certificate and a revoked one, through the API."""
    pems = write_ca_pems(api.k, tmp_path)
    _, csr = make_csr(tmp_path)
    # Anyone may ask; no token.
    r = api_request(api, csr, emails=["goro@jipdec.example"],
                    given_name="五郎", surname="渡辺")
    assert r.status == 201, r
    j = r.json()
    assert j["status"] == "pending" and j["revocation_code"]
    rid = j["id"]
    stored = api.k.sql("SELECT requested_by, revocation_hash FROM "
                       "cert_requests WHERE id = ?", (rid,))
    assert stored[0][0] == "subscriber"
    assert j["revocation_code"] not in stored[0][1]
    # The officer sees it among pending requests; nobody else does.
    api_error(api.get(REQS), 401)
    lst = api.get(REQS, token=api.ra).json()["requests"]
    assert [x["emails"] for x in lst if x["id"] == rid] == [
        "goro@jipdec.example"]
    # Approval needs the identity check recorded.
    refused(api, "POST", "%s/%d/approve" % (REQS, rid), 400,
            field="identity", token=api.ra, json_body={})
    refused(api, "POST", "%s/%d/approve" % (REQS, rid), 400,
            field="identity", token=api.ra,
            json_body={"identity": {"who": "ra-suzuki"}})
    refused(api, "POST", "%s/%d/approve" % (REQS, rid), 401,
            json_body={"identity": IDENTITY})
    r = api_approve(api, rid)
    assert r.status == 200, r
    a = r.json()
    assert a["status"] == "issued" and "p12_password" not in a
    serial = a["serial"]
    row = api.k.sql("SELECT decided_by, identity_who, identity_how, "
                    "identity_ref FROM cert_requests WHERE id = ?", (rid,))
    assert row == [("user:ra-suzuki", "ra-suzuki",
                    "photo ID checked in person", "e2e-api-1")]
    r = api.get("/api/v1/certs/" + serial)
    assert r.status == 200, r
    c = r.json()
    assert c["status"] == "valid" and c["emails"] == "goro@jipdec.example"
    assert c["org"] == JIPDEC
    leaf = tmp_path / "goro.pem"
    leaf.write_text(c["pem"])
    verify(pems, leaf, "smimesign")
    assert x509_serial(leaf) == int(serial, 16)
    r = api.get("/api/v1/certs/" + serial.upper())
    assert r.status == 200 and r.json()["serial"] == serial
    # Revoked by the officer: the CRL served over HTTP lists it.
    r = api.post("/api/v1/certs/%s/revoke" % serial,
                 {"reason": "affiliationChanged"}, token=api.ra)
    assert r.status == 200, r
    assert r.json()["status"] == "revoked"
    assert api.k.sql("SELECT revoked_by, reason FROM certs WHERE serial "
                     "= ?", (serial,)) == [("user:ra-suzuki",
                                            "affiliationChanged")]
    crl = tmp_path / "issuing.crl"
    crl.write_bytes(api.get("/crl/issuing.crl").body)
    entries, _ = crl_entries(crl, pems["issuing"])
    assert entries.get(int(serial, 16)) == "Affiliation Changed"
    e = refused(api, "POST", "/api/v1/certs/%s/revoke" % serial, 409,
                code="state", token=api.ra,
                json_body={"reason": "keyCompromise"})
    assert "already revoked" in e["message"]


def test_keygen_over_api_and_p12(api, tmp_path):
    r = api_request(api, keygen="ec-p256", emails=["rokuro@jipdec.example"],
                    given_name="六郎", surname="山本")
    assert r.status == 201, r
    a = api_approve(api, r.json()["id"]).json()
    assert a["p12_password"], a
    p12 = tmp_path / "r.p12"
    api.k.ok("cert", "export", a["serial"], "--p12", "-o", str(p12))
    info = openssl("pkcs12", "-info", "-in", p12, "-passin",
                   "pass:" + a["p12_password"], "-nokeys")
    assert "AES-256-CBC" in info.stdout + info.stderr


def test_subscriber_revokes_with_code(api, tmp_path):
    pems = write_ca_pems(api.k, tmp_path)
    _, csr = make_csr(tmp_path)
    r = api_request(api, csr, profile="client-auth")
    code = r.json()["revocation_code"]
    serial = api_approve(api, r.json()["id"]).json()["serial"]
    # Another request's code does not revoke this certificate.
    other = api_request(api, csr, profile="client-auth").json()
    for body in ({"reason": "keyCompromise", "code": "x" * 27},
                 {"reason": "keyCompromise", "code": other[
                     "revocation_code"]},
                 {"reason": "keyCompromise", "code": code[:-1]},
                 {"reason": "keyCompromise", "code": ""}):
        e = refused(api, "POST", "/api/v1/certs/%s/revoke" % serial, 401,
                    json_body=body)
        assert "code" in e["message"] or "token" in e["message"], e
    # Without code or token.
    refused(api, "POST", "/api/v1/certs/%s/revoke" % serial, 401,
            json_body={"reason": "keyCompromise"})
    # The code does not suspend.
    refused(api, "POST", "/api/v1/certs/%s/suspend" % serial, 401,
            json_body={"code": code})
    r = api.post("/api/v1/certs/%s/revoke" % serial,
                 {"reason": "keyCompromise", "code": code})
    assert r.status == 200, r
    assert r.json()["status"] == "revoked"
    assert api.k.sql("SELECT revoked_by FROM certs WHERE serial = ?",
                     (serial,)) == [("subscriber",)]
    crl = tmp_path / "c.crl"
    crl.write_bytes(api.get("/crl/issuing.crl").body)
    assert crl_entries(crl, pems["issuing"])[0].get(int(serial, 16)) == \
        "Key Compromise"
    e = refused(api, "POST", "/api/v1/certs/%s/revoke" % serial, 409,
                json_body={"reason": "keyCompromise", "code": code})
    assert "already revoked" in e["message"]


def test_suspend_resume_over_api(api, tmp_path):
    pems = write_ca_pems(api.k, tmp_path)
    _, csr = make_csr(tmp_path)
    serial = api_approve(api, api_request(api, csr).json()["id"]).json()[
        "serial"]
    refused(api, "POST", "/api/v1/certs/%s/suspend" % serial, 401)
    r = api.post("/api/v1/certs/%s/suspend" % serial, token=api.ra)
    assert r.status == 200 and r.json()["status"] == "hold", r
    crl = tmp_path / "a.crl"
    crl.write_bytes(api.get("/crl/issuing.crl").body)
    assert crl_entries(crl, pems["issuing"])[0].get(int(serial, 16)) == \
        "Certificate Hold"
    refused(api, "POST", "/api/v1/certs/%s/suspend" % serial, 409,
            token=api.ra)
    r = api.post("/api/v1/certs/%s/resume" % serial, token=api.ra)
    assert r.status == 200 and r.json()["status"] == "valid", r
    crl.write_bytes(api.get("/crl/issuing.crl").body)
    assert int(serial, 16) not in crl_entries(crl, pems["issuing"])[0]
    refused(api, "POST", "/api/v1/certs/%s/resume" % serial, 409,
            token=api.ra)
    # Strict: no certificateHold.
    strict = api_approve(api, api_request(
        api, csr, profile="smime-sponsor-strict").json()["id"]).json()[
        "serial"]
    e = refused(api, "POST", "/api/v1/certs/%s/suspend" % strict, 409,
                token=api.ra)
    assert "cannot be suspended" in e["message"]


def test_serial_with_colons_api(api, tmp_path):
    """ca.h: serials are accepted in hex with or without colons, any case
    (as openssl x509 -serial / -text print them); the CLI does."""
    taro = [c for c in api.k.json("cert", "list", "--json")["certs"]
            if c["emails"] == "taro@jipdec.example"][0]["serial"]
    colon = ":".join(taro[i:i + 2] for i in range(0, len(taro), 2)).upper()
    assert api.k.json("cert", "show", colon, "--json")["serial"] == taro
    r = api.get("/api/v1/certs/" + colon)
    assert r.status == 200, r
    assert r.json()["serial"] == taro
    r = api.post("/api/v1/certs/%s/suspend" % colon, token=api.ra)
    assert r.status == 200 and r.json()["status"] == "hold", r


# ---------------------------------------------------------------- officers

@pytest.fixture
def local_officers(api):
    add_local_officer(api.k, "lo-shoji", KAKUIN_SHOJI)
    add_local_officer(api.k, "lo-jipdec", JIPDEC)
    return api.k.token("lo-shoji"), api.k.token("lo-jipdec")


def test_local_officer_of_other_org_api(api, tmp_path, local_officers):
    other, own = local_officers
    rid = pending_demo_request(api.k)
    e = refused(api, "POST", "%s/%d/approve" % (REQS, rid), 403,
                code="forbidden", field="officer", token=other,
                json_body={"identity": IDENTITY})
    assert "another organization" in e["message"] and JIPDEC in e["message"]
    refused(api, "POST", "%s/%d/reject" % (REQS, rid), 403, token=other,
            json_body={"reason": "no"})
    taro = [c for c in api.k.json("cert", "list", "--json")["certs"]
            if c["emails"] == "taro@jipdec.example"][0]["serial"]
    for verb, body in (("revoke", {"reason": "keyCompromise"}),
                       ("suspend", None)):
        refused(api, "POST", "/api/v1/certs/%s/%s" % (taro, verb), 403,
                code="forbidden", token=other, json_body=body)
    # It sees only its organization's requests.
    lst = api.get(REQS, token=other).json()["requests"]
    assert lst == []
    # The organization's own local officer may approve.
    lst = api.get(REQS, token=own).json()["requests"]
    assert [x["id"] for x in lst] == [rid]
    r = api_approve(api, rid, token=own)
    assert r.status == 200, r
    assert api.k.sql("SELECT decided_by FROM cert_requests WHERE id = ?",
                     (rid,)) == [("user:lo-jipdec",)]
    # And is refused for another organization's request.
    _, csr = make_csr(tmp_path)
    r = api_request(api, csr, org=KAKUIN_SHOJI, profile="client-auth")
    assert r.status == 201, r
    refused(api, "POST", "%s/%d/approve" % (REQS, r.json()["id"]), 403,
            token=own, json_body={"identity": IDENTITY})


def test_local_officers_cannot_change_registry(api, local_officers):
    other, own = local_officers
    for tok in (other, own):
        e = refused(api, "POST", "/api/v1/orgs", 403, code="forbidden",
                    token=tok, json_body={"number": new_number(),
                                          "name": "株式会社ローカル"})
        assert "local RA officer" in e["message"]
        refused(api, "POST", "/api/v1/orgs/%s/suspend" % JIPDEC, 403,
                token=tok, json_body={"reason": "x"})


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kind,message", [
    ("rsa1024", "an RSA key of 1024 bits is not allowed"),
    ("p224", "an EC key on secp224r1 (224 bits) is not allowed"),
    ("dsa", "DSA key (2048 bits) is not allowed"),
    ("sha1", "a broken hash"),
    ("corrupt", "signature does not verify"),
    ("garbage", "no PEM CERTIFICATE REQUEST"),
    ("two", "data follows the certificate request"),
])
def test_bad_csr_api(api, tmp_path, kind, message):
    csr = bad_csr(tmp_path, kind)
    snap = ca_snapshot(api.k)
    r = api_request(api, csr)
    e = api_error(r, 400, field="csr", code="invalid")
    assert message in e["message"]
    assert ca_snapshot(api.k) == snap


@pytest.mark.parametrize("fields,status,field,message", [
    ({"emails": ["taro@example.org"]}, 400, "email",
     "is not at a mail domain this organization has verified"),
    ({"org": HIKARI, "profile": "client-auth"}, 409, "org", "is suspended"),
    ({"org": SAKURA, "emails": ["a@sakura-mail.example"]}, 409, "org",
     "is applied"),
    ({"profile": "tls-ov", "dns": ["www.kakuin-shoji.example"],
      "emails": None}, 400, "dns", "is not a web domain"),
    ({"profile": "root-ca"}, 400, "profile", "unknown profile"),
    ({"keygen": "ec-p256"}, 400, "csr", "not both"),
    ({"emails": "taro@jipdec.example"}, 400, "emails", "arrays"),
    ({"days": "30"}, 400, "days", "positive integer"),
    ({"days": 826}, 400, "days", "at most 825"),
    ({"org": "1010405009404"}, 400, None, None),
    ({"extra": 1}, 400, "extra", "unknown field"),
    ({"given_name": None}, 400, "given_name", "required"),
])
def test_bad_request_api(api, tmp_path, fields, status, field, message):
    _, csr = make_csr(tmp_path)
    body = {"org": JIPDEC, "profile": "smime-sponsor-multipurpose",
            "csr": csr.read_text(), "emails": ["taro@jipdec.example"],
            "given_name": "太郎", "surname": "山田"}
    for k, v in fields.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    snap = ca_snapshot(api.k)
    e = api_error(api.post(REQS, body), status, field=field)
    if message:
        assert message in e["message"], e
    assert ca_snapshot(api.k) == snap


def test_bad_decisions_api(api, tmp_path):
    rid = pending_demo_request(api.k)
    serial = api_approve(api, rid).json()["serial"]
    e = refused(api, "POST", "%s/%d/approve" % (REQS, rid), 409,
                code="state", token=api.ra, json_body={"identity": IDENTITY})
    assert "already issued as serial " + serial in e["message"]
    refused(api, "POST", "%s/%d/reject" % (REQS, rid), 409, token=api.ra,
            json_body={"reason": "late"})
    refused(api, "POST", "%s/999999/approve" % REQS, 404, token=api.ra,
            json_body={"identity": IDENTITY})
    refused(api, "POST", "%s/%d/reject" % (REQS, rid), 400,
            field="reason", token=api.ra, json_body={})
    unknown = "0a0b0c0d0e0f00112233445566778899"
    e = refused(api, "GET", "/api/v1/certs/" + unknown, 404)
    assert unknown in e["message"]
    for verb in ("revoke", "suspend", "resume"):
        refused(api, "POST", "/api/v1/certs/%s/%s" % (unknown, verb), 404,
                token=api.ra, json_body={"reason": "keyCompromise"})
    e = refused(api, "POST", "/api/v1/certs/%s/revoke" % serial, 400,
                field="reason", token=api.ra,
                json_body={"reason": "certificateHold"})
    refused(api, "POST", "/api/v1/certs/%s/revoke" % serial, 400,
            token=api.ra, json_body={"reason": 5})
    refused(api, "GET", "/api/v1/certs/%s/revoke" % serial, 405)


# ---------------------------------------------------------------- crash

def test_crash_during_batch(ca, serve, tmp_path):
    """SIGKILL the server in the middle of concurrent approvals and
    revocations, restart it: no serial reused, nothing acknowledged lost,
    the CRL lists every acknowledged revocation, the audit chain holds."""
    k = ca
    pems = write_ca_pems(k, tmp_path)
    _, csr = make_csr(tmp_path)
    # Certificates to revoke during the batch, requests to approve.
    victims = [issue(k, "client-auth", csr) for _ in range(16)]
    pending = [cli_request(k, "client-auth", csr=csr)["id"]
               for _ in range(48)]
    before = {s for (s,) in k.sql("SELECT serial FROM certs")}
    srv = serve(k)
    token = k.token("ra-suzuki")
    ops = queue.Queue()
    for i in range(max(len(pending), len(victims))):
        if i < len(pending):
            ops.put(("approve", pending[i]))
        if i < len(victims):
            ops.put(("revoke", victims[i]))
    lock = threading.Lock()
    issued, revoked, unknown = {}, [], []
    acked = threading.Semaphore(0)

    def worker():
        while True:
            try:
                op, arg = ops.get_nowait()
            except queue.Empty:
                return
            try:
                if op == "approve":
                    r = srv.post("%s/%d/approve" % (REQS, arg),
                                 {"identity": IDENTITY}, token=token)
                else:
                    r = srv.post("/api/v1/certs/%s/revoke" % arg,
                                 {"reason": "cessationOfOperation"},
                                 token=token)
            except OSError:
                with lock:
                    unknown.append((op, arg))
                continue
            with lock:
                if r.status == 200 and op == "approve":
                    issued[arg] = r.json()["serial"]
                elif r.status == 200:
                    revoked.append(arg)
                else:
                    unknown.append((op, arg, r.status, r.text))
            acked.release()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    # Kill after a third of the batch was acknowledged (no timing).
    for _ in range(len(pending) // 3 + len(victims) // 3):
        acked.acquire()
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    for t in threads:
        t.join()
    assert issued and revoked
    done = len(issued) + len(revoked)
    assert done < len(pending) + len(victims), \
        "the batch finished before the kill; the test proved nothing"
    # Nothing the server answered with an error (other than dying).
    assert all(len(u) == 2 for u in unknown), unknown

    # Restart on the same data directory; it comes up and still works.
    srv2 = serve(k)
    left = [i for i in pending if i not in issued]
    r = srv2.post("%s/%d/approve" % (REQS, left[-1]),
                  {"identity": IDENTITY}, token=token)
    late_serial = None
    if r.status == 200:
        late_serial = r.json()["serial"]
    else:
        # It was approved before the kill without an answer reaching us.
        e = api_error(r, 409)
        assert "already issued" in e["message"]
    srv2.stop()

    certs = k.json("cert", "list", "--limit", "500", "--json")["certs"]
    serials = [c["serial"] for c in certs]
    assert len(serials) == len(set(serials)), "a serial appears twice"
    db_serials = [s for (s,) in k.sql("SELECT serial FROM certs")]
    assert sorted(db_serials) == sorted(serials)
    # Every acknowledged issuance is there, exactly once, for its request.
    for rid, serial in issued.items():
        assert serials.count(serial) == 1, serial
        assert k.sql("SELECT serial, status FROM cert_requests WHERE id = "
                     "?", (rid,)) == [(serial, "issued")]
    assert len(set(issued.values())) == len(issued)
    assert not (set(issued.values()) & before)
    if late_serial:
        assert late_serial not in issued.values() and \
            late_serial not in before
    # Every stored certificate's serial is its certificate's serial, and
    # each issued request points at exactly one certificate.
    for c in certs:
        p = tmp_path / "c.pem"
        p.write_text(c["pem"])
        assert x509_serial(p) == int(c["serial"], 16)
    req_serials = [s for (s,) in k.sql(
        "SELECT serial FROM cert_requests WHERE status = 'issued'")]
    # (The demo's time-stamping unit is the one certificate of no request.)
    assert sorted(req_serials) == sorted(s for (s,) in k.sql(
        "SELECT serial FROM certs WHERE request_id IS NOT NULL"))
    assert k.sql("SELECT profile FROM certs WHERE request_id IS NULL") == [
        ("tsa",)]
    assert k.sql("SELECT COUNT(*) FROM cert_requests WHERE serial IS NULL "
                 "AND status <> 'pending' AND status <> 'rejected'") == [
        (0,)]
    # The CA's counter matches what it holds.
    for name, issued_n, count in k.sql(
            "SELECT a.name, a.issued, (SELECT COUNT(*) FROM certs c WHERE "
            "c.ca_id = a.id) FROM cas a"):
        assert issued_n == count, name
    # Every issuance and revocation in the store has its audit record.
    for s in db_serials:
        assert len(k.sql("SELECT 1 FROM audit WHERE action = 'cert.issue' "
                         "AND object = ?", ("cert:" + s,))) == 1, s
    for (s,) in k.sql("SELECT serial FROM certs WHERE status = 'revoked'"):
        assert len(k.sql("SELECT 1 FROM audit WHERE action = 'cert.revoke' "
                         "AND object = ?", ("cert:" + s,))) == 1, s
    # Every acknowledged revocation stands, and the new CRL lists it.
    for s in revoked:
        c = k.json("cert", "show", s, "--json")
        assert c["status"] == "revoked", c
        assert c["reason"] == "cessationOfOperation"
    k.ok("crl", "generate")
    entries, _ = crl_entries(fetch_crl(k, "issuing", tmp_path)[0],
                             pems["issuing"])
    store_revoked = {int(s, 16) for (s,) in k.sql(
        "SELECT serial FROM certs WHERE status = 'revoked'")}
    assert store_revoked == set(entries)
    for s in revoked:
        assert entries.get(int(s, 16)) == "Cessation Of Operation", s
    r = k.run("audit", "verify")
    assert r.rc == 0, r
    assert k.sql("PRAGMA integrity_check") == [("ok",)]


def test_concurrent_double_approval_and_revocation(api, tmp_path):
    """Eight officers approve the same request at once: one certificate;
    eight revoke it at once: one revocation."""
    rid = pending_demo_request(api.k)
    n_before = api.k.sql("SELECT COUNT(*) FROM certs")[0][0]
    results = []
    lock = threading.Lock()
    gate = threading.Barrier(8)

    def go(fn):
        gate.wait()
        r = fn()
        with lock:
            results.append(r)

    def run_all(fn):
        results.clear()
        ts = [threading.Thread(target=go, args=(fn,)) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return list(results)

    rs = run_all(lambda: api_approve(api, rid))
    ok = [r for r in rs if r.status == 200]
    assert len(ok) == 1, rs
    serial = ok[0].json()["serial"]
    for r in rs:
        if r.status != 200:
            e = api_error(r, 409, code="state")
            assert "already issued" in e["message"] or "meanwhile" in \
                e["message"], e
    assert api.k.sql("SELECT COUNT(*) FROM certs")[0][0] == n_before + 1
    assert api.k.sql("SELECT COUNT(*) FROM audit WHERE action = "
                     "'cert.issue' AND object = ?", ("cert:" + serial,)) == [
        (1,)]
    rs = run_all(lambda: api.post("/api/v1/certs/%s/revoke" % serial,
                                  {"reason": "keyCompromise"},
                                  token=api.ra))
    assert len([r for r in rs if r.status == 200]) == 1, rs
    for r in rs:
        if r.status != 200:
            api_error(r, (409, 503))
    assert api.k.sql("SELECT COUNT(*) FROM audit WHERE action = "
                     "'cert.revoke' AND object = ?", ("cert:" + serial,)) == [
        (1,)]
    assert api.k.run("audit", "verify").rc == 0
