"""CA rules added after review: compromised keys, renewal of revoked
certificates, PKCS#12 and renewal over the API, private PKCS#12 files,
issuing-CA profiles, CRL URLs of CAs whose names end in digits, a server
whose CA keys are unavailable, and the whole flow on PostgreSQL."""
import os
import stat

from conftest import JIPDEC, api_error, init_dir
from test_ca import (ca, ca_snapshot, cli_approve, cli_request, fetch_crl,
                     crl_entries, issue, make_csr, openssl, save_cert,
                     verify, write_ca_pems)

__all__ = ["ca"]


def test_compromised_key_is_never_certified_again(ca, tmp_path):
    key, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr)
    ca.ok("cert", "revoke", serial, "--reason", "keyCompromise")
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "request", "--org", JIPDEC, "--profile",
                "client-auth", "--csr", str(csr), "--given-name", "太郎",
                "--surname", "山田")
    assert "reported compromised" in r.err and serial in r.err, r
    assert "6.1.1.3" in r.err
    assert ca_snapshot(ca) == snap
    # A new key is fine.
    _, csr2 = make_csr(tmp_path, name="fresh")
    issue(ca, "smime-sponsor-multipurpose", csr2)


def test_key_compromised_while_request_waits(ca, tmp_path):
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr)
    pending = cli_request(ca, "client-auth", csr=csr, names=[])["id"]
    ca.ok("cert", "revoke", serial, "--reason", "keyCompromise")
    r = ca.fail("cert", "approve", str(pending), "--method", "in person")
    assert "reported compromised" in r.err, r


def test_revoked_certificate_is_renewed_only_with_a_new_key(ca, tmp_path):
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr)
    ca.ok("cert", "revoke", serial, "--reason", "superseded")
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "renew", serial)
    assert "revoked" in r.err and "new key" in r.err, r
    assert ca_snapshot(ca) == snap
    _, csr2 = make_csr(tmp_path, name="rekey")
    rid = ca.json("cert", "renew", serial, "--csr", str(csr2),
                  "--json")["id"]
    assert cli_approve(ca, rid)["serial"] != serial


def test_pkcs12_and_renewal_over_the_api(ca, serve, tmp_path):
    s = serve(ca)
    token = ca.token("ra-suzuki")
    r = s.post("/api/v1/certs/requests", json_body={
        "org": JIPDEC, "profile": "smime-sponsor-multipurpose",
        "keygen": "ec-p256", "emails": ["api@jipdec.example"],
        "given_name": "一郎", "surname": "田中"})
    assert r.status == 201, r
    rid = r.json()["id"]
    r = s.post("/api/v1/certs/requests/%d/approve" % rid, token=token,
               json_body={"identity": {"who": "ra-suzuki",
                                       "how": "video call with photo ID"}})
    assert r.status == 200, r
    serial, pw = r.json()["serial"], r.json()["p12_password"]
    api_error(s.get("/api/v1/certs/%s/p12" % serial), 401)
    r = s.get("/api/v1/certs/%s/p12" % serial, token=token)
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/x-pkcs12"
    p12 = tmp_path / "api.p12"
    p12.write_bytes(r.body)
    cp = openssl("pkcs12", "-info", "-in", p12, "-passin", "pass:" + pw,
                 "-nokeys")
    info = cp.stdout + cp.stderr
    assert "AES-256-CBC" in info and "BEGIN CERTIFICATE" in info, info
    # Handed out once.
    api_error(s.get("/api/v1/certs/%s/p12" % serial, token=token), 404)
    # Renewal: a new pending request with the same names.
    r = s.post("/api/v1/certs/%s/renew" % serial, token=token)
    assert r.status == 201, r
    assert r.json()["renewal_of"] == serial and r.json()["status"] == \
        "pending"


def test_exported_pkcs12_is_private(ca, tmp_path):
    rid = cli_request(ca, "smime-sponsor-multipurpose",
                      keygen="ec-p256")["id"]
    serial = cli_approve(ca, rid)["serial"]
    out = tmp_path / "taro.p12"
    ca.ok("cert", "export", serial, "--p12", "-o", str(out))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_issuing_ca_profiles(ca, tmp_path):
    ca.ok("ca", "add", "smime-2027", "--parent", "root", "--profile",
          "sub-ca-smime")
    pems = write_ca_pems(ca, tmp_path)
    text = openssl("x509", "-in", pems["smime-2027"], "-noout",
                   "-text").stdout
    assert "E-mail Protection" in text and "TLS Web Server" not in text
    r = ca.fail("ca", "add", "wrong", "--profile", "tls-dv")
    assert "not an issuing CA profile" in r.err, r
    # Certificates under a CA whose name ends in digits find their CRL.
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr,
                   extra=("--ca", "smime-2027"))
    ca.ok("cert", "revoke", serial, "--reason", "superseded")
    der, _ = fetch_crl(ca, "smime-2027", tmp_path)
    entries, _ = crl_entries(der, pems["smime-2027"])
    assert entries.get(int(serial, 16)) == "Superseded", entries
    leaf = save_cert(ca, serial, tmp_path / "leaf.pem")
    assert "/crl/smime-2027.crl" in openssl("x509", "-in", leaf, "-noout",
                                            "-ext",
                                            "crlDistributionPoints").stdout


def test_crl_served_for_ca_name_ending_in_digits(ca, serve, tmp_path):
    ca.ok("ca", "add", "issuing-2", "--parent", "root")
    s = serve(ca)
    r = s.get("/crl/issuing-2.crl")
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/pkix-crl"
    api_error(s.get("/crl/issuing-2/7.crl"), 404)


def test_server_without_ca_keys_serves_the_registry(ca, serve):
    # A wrong PIN: the server says so at start and answers CA calls 503.
    s = serve(ca, env={"KAKUIN_PKCS11_PIN": "wrong-pin-1234"})
    assert "the CA is unavailable" in s.stderr()
    assert s.get("/orgs/%s" % JIPDEC).status == 200
    rid = [r for r in ca.json("cert", "requests", "--json")["requests"]][0]
    r = s.post("/api/v1/certs/requests/%d/approve" % rid["id"],
               token=ca.token("ra-suzuki"),
               json_body={"identity": {"who": "x", "how": "y"}})
    api_error(r, 503)


def test_ca_on_postgresql(tmp_path, pg_store):
    k = init_dir(tmp_path / "d", "--store", pg_store, "--demo")
    pems = write_ca_pems(k, tmp_path)
    rid = k.json("cert", "requests", "--json")["requests"][0]["id"]
    serial = cli_approve(k, rid)["serial"]
    leaf = save_cert(k, serial, tmp_path / "leaf.pem")
    verify(pems, leaf, "smimesign")
    k.ok("cert", "revoke", serial, "--reason", "affiliationChanged")
    der, _ = fetch_crl(k, "issuing", tmp_path)
    entries, _ = crl_entries(der, pems["issuing"])
    assert entries.get(int(serial, 16)) == "Affiliation Changed", entries
    assert k.run("audit", "verify").rc == 0


def test_issuing_ca_must_cover_the_profile(ca, tmp_path):
    # An S/MIME-only issuing CA is never chosen for TLS, and may not be
    # named for it.
    ca.ok("ca", "add", "smime-only", "--parent", "root", "--profile",
          "sub-ca-smime")
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "tls-dv", csr)
    assert ca.json("cert", "show", serial, "--json")["ca"] == "issuing"
    pems = write_ca_pems(ca, tmp_path)
    verify(pems, save_cert(ca, serial, tmp_path / "tls.pem"), "sslserver")
    snap = ca_snapshot(ca)
    r = ca.fail("cert", "request", "--org", JIPDEC, "--profile", "tls-dv",
                "--csr", str(csr), "--dns", "www.jipdec.example", "--ca",
                "smime-only")
    assert "may not issue tls-dv" in r.err, r
    assert ca_snapshot(ca) == snap


def local_officer(k, name="lo-shoji", org="4011001099001"):
    k.ok("user", "add", name, "--role", "ra", "--org", org,
         "--no-password")
    return name


def test_cli_local_officer_is_bound(ca, tmp_path):
    lo = local_officer(ca)
    _, csr = make_csr(tmp_path)
    serial = issue(ca, "smime-sponsor-multipurpose", csr)     # JIPDEC's
    snap = ca_snapshot(ca)
    r = ca.fail("--as", lo, "org", "verify", JIPDEC, "--reason", "x")
    assert "local RA officer" in r.err, r
    r = ca.fail("--as", lo, "org", "domain", "add", JIPDEC,
                "evil.jipdec.example")
    assert "local RA officer" in r.err, r
    for args in (("cert", "renew", serial),
                 ("cert", "export", serial, "-o",
                  str(tmp_path / "x.pem"))):
        r = ca.fail("--as", lo, *args)
        assert "another organization" in r.err, r
    reqs = ca.json("--as", lo, "cert", "requests", "--all", "--json")
    assert all(q["org"] == "4011001099001" for q in reqs["requests"])
    assert ca_snapshot(ca) == snap


def test_pkcs12_download_is_never_cached(ca, serve):
    s = serve(ca)
    token = ca.token("ra-suzuki")
    rid = cli_request(ca, "smime-sponsor-multipurpose",
                      keygen="ec-p256")["id"]
    serial = cli_approve(ca, rid)["serial"]
    r = s.get("/api/v1/certs/%s/p12" % serial, token=token)
    assert r.status == 200
    assert r.header("Cache-Control") == "no-store"
    r = s.post("/api/v1/certs/%s/renew" % serial, token=token,
               json_body={"days": 3})
    api_error(r, 400, field="days")


def test_unavailable_ca_is_explained_once(ca, serve):
    s = serve(ca, env={"KAKUIN_PKCS11_PIN": "wrong-pin-1234"})
    err = s.stderr()
    line = [l for l in err.splitlines() if "the CA is unavailable" in l][0]
    assert line.count("the key of CA") == 1, line


def test_every_certificate_names_crl_ocsp_and_issuer(ca, tmp_path):
    # Issue 3: CRL distribution point and AIA (OCSP, caIssuers) URLs of
    # the server, plain http even when base_url is https (S/MIME BR
    # 7.1.2.3(b)(c)).
    from test_ca import set_conf
    set_conf(ca, base_url="https://trust.example")
    _, csr = make_csr(tmp_path)
    for profile, extra in (("smime-sponsor-multipurpose", ()),
                           ("tls-dv", ())):
        serial = issue(ca, profile, csr)
        leaf = save_cert(ca, serial, tmp_path / (profile + ".pem"))
        text = openssl("x509", "-in", leaf, "-noout", "-ext",
                       "authorityInfoAccess,crlDistributionPoints").stdout
        assert "OCSP - URI:http://trust.example/ocsp" in text, text
        assert "CA Issuers - URI:http://trust.example/ca/issuing.crt" \
            in text, text
        assert "URI:http://trust.example/crl/issuing.crl" in text, text
