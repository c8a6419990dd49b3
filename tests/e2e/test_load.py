"""kakuin serve under load, on loopback: slow clients (slowloris) and
connection floods from other loopback addresses (Linux routes all of
127/8 to lo) while `openssl ocsp` from 127.0.0.1 still gets its answers;
a burst of nonce requests larger than the signing queue gets tryLater
rather than a wait; SIGKILL in the middle of revocations and OCSP traffic
loses no acknowledged revocation.  Every wait here is bounded."""
import http.client
import os
import queue
import re
import select
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from conftest import JIPDEC
from test_ca import (ca, crl_entries, fetch_crl, make_csr,  # noqa: F401
                     openssl, save_cert, set_conf, write_ca_pems)
from test_ocsp import chain, demo_certs, get_request, wait_presigned


# ---------------------------------------------------------------- helpers

def connect(srv, source, timeout=10):
    """A TCP connection to the server from a loopback address."""
    return socket.create_connection(("127.0.0.1", srv.port), timeout=timeout,
                                    source_address=(source, 0))


def closed_by_server(s):
    """Whether the server has closed s (end of stream or reset); never
    blocks."""
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(4096, socket.MSG_PEEK) == b""
    except OSError:
        return True


def wait_closed(socks, want, bound=10.0):
    """Waits (at most bound seconds) until the server closed at least
    want of socks; returns the set it closed."""
    closed = set()
    deadline = time.monotonic() + bound
    while len(closed) < want and time.monotonic() < deadline:
        left = [s for s in socks if s not in closed]
        r, _, _ = select.select(left, [], [], 0.2)
        for s in r:
            if closed_by_server(s):
                closed.add(s)
    return closed


def read_response(s):
    """One HTTP/1.1 response from s: (status, headers dict, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an answer: %r" % data)
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of an answer")
        body += chunk
    return status, headers, body


def healthz(s):
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: kakuin\r\n\r\n")
    return read_response(s)[0]


def ocsp_post(pems, cp, srv, cert):
    """openssl ocsp over POST with a nonce; returns its whole output."""
    r = openssl("ocsp", "-issuer", pems["issuing"], "-cert", cert, "-url",
                "http://127.0.0.1:%d/ocsp" % srv.port, "-CAfile", cp,
                "-timeout", "20", "-resp_text", check=False)
    return r.stdout + r.stderr


def ocsp_get_status(srv, path, pems, cp, cert, d):
    """GET /ocsp/{base64} of a nonce-less request; openssl reads the
    answer.  Returns (cert status, whole output)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body)
        assert r.getheader("Content-Type") == "application/ocsp-response"
    finally:
        c.close()
    resp = Path(d) / ("get-%s.der" % threading.get_ident())
    resp.write_bytes(body)
    out = openssl("ocsp", "-respin", resp, "-issuer", pems["issuing"],
                  "-cert", cert, "-CAfile", cp, "-no_nonce", check=False)
    text = out.stdout + out.stderr
    line = [x for x in out.stdout.splitlines() if x.startswith(str(cert))]
    return (line[0].split(": ", 1)[1] if line else None), text


def assert_ocsp_answers(srv, pems, cp, good, gp, d):
    """What a relying party on 127.0.0.1 sees: a signed answer with its
    nonce over POST, the pre-signed one over GET."""
    out = ocsp_post(pems, cp, srv, gp)
    assert "Response verify OK" in out and "%s: good" % gp in out, out
    assert "OCSP Nonce" in out and "WARNING" not in out, out
    st, out = ocsp_get_status(srv, get_request(pems, gp, d), pems, cp, gp,
                              d)
    assert st == "good", out


def logged(srv, pattern, bound=10.0):
    """Waits (at most bound seconds) for a line of the server's log that
    matches pattern; returns the match or None."""
    deadline = time.monotonic() + bound
    while True:
        m = re.search(pattern, srv.stderr())
        if m or time.monotonic() > deadline:
            return m
        time.sleep(0.1)


def workers_of(srv):
    m = re.search(r"\((\d+) workers", srv.stderr())
    assert m, srv.stderr()
    return int(m.group(1))


# ---------------------------------------------------------------- slowloris

def test_slowloris_is_cut_off_and_ocsp_still_answers(ca, tmp_path, serve):
    """Connections from 127.0.0.2 trickle a header (or a body) one byte
    at a time, well inside the idle timeout; the server closes each once
    request_timeout has passed, without an answer, while OCSP over GET
    and POST from 127.0.0.1 is answered throughout.  A kept-alive
    connection may idle longer than request_timeout, but not trickle."""
    set_conf(ca, request_timeout=2, timeout=60)
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    srv = serve(ca)
    wait_presigned(ca)
    n = 40
    header = (b"GET /ocsp/AAAA HTTP/1.1\r\nHost: kakuin\r\nX-Pad: " +
              b"x" * 200)
    body = (b"POST /ocsp HTTP/1.1\r\nHost: kakuin\r\nContent-Type: "
            b"application/ocsp-request\r\nContent-Length: 300\r\n\r\n")
    slow = []
    for i in range(n):
        s = connect(srv, "127.0.0.2")
        if i % 2:
            s.sendall(body)     # the header is whole, the body trickles
            slow.append([s, b"x" * 300, time.monotonic(), None, b""])
        else:
            slow.append([s, header, time.monotonic(), None, b""])
    # A kept-alive connection: one request answered, then idle.
    ka = connect(srv, "127.0.0.2")
    assert healthz(ka) == 200
    ka_idle_since = time.monotonic()

    stop = threading.Event()

    def trickle():
        i = 0
        while not stop.is_set() and any(x[3] is None for x in slow):
            for x in slow:
                s, data, t0, done, got = x
                if done is not None:
                    continue
                try:
                    r, _, _ = select.select([s], [], [], 0)
                    if r:
                        chunk = s.recv(4096)
                        if chunk == b"":
                            x[3] = time.monotonic() - t0
                            continue
                        x[4] += chunk
                    s.send(data[i % len(data):i % len(data) + 1])
                except OSError:
                    x[3] = time.monotonic() - t0
            i += 1
            time.sleep(0.25)

    t = threading.Thread(target=trickle)
    t.start()
    try:
        # OCSP keeps answering while they hang on.
        for _ in range(3):
            assert_ocsp_answers(srv, pems, cp, good, gp, tmp_path)
        # Idle longer than request_timeout: still served.
        while time.monotonic() - ka_idle_since < 3:
            time.sleep(0.1)
        assert healthz(ka) == 200
        # Now trickle the next request on it: cut off.
        ka_t0 = time.monotonic()
        ka_cut = None
        for b in b"GET /healthz HTTP/1.1\r\nHost: kakuin\r\n":
            try:
                ka.send(bytes([b]))
            except OSError:
                ka_cut = time.monotonic() - ka_t0
                break
            if closed_by_server(ka):
                ka_cut = time.monotonic() - ka_t0
                break
            time.sleep(0.25)
        t.join(15)
    finally:
        stop.set()
        t.join()
    still_open = [x for x in slow if x[3] is None]
    assert not still_open, "%d slow connections were never closed" % len(
        still_open)
    for s, data, t0, done, got in slow:
        # Closed by the deadline (not earlier), and never answered.
        assert done >= 2.0, done
        assert got == b"", got
        s.close()
    assert ka_cut is not None and ka_cut >= 2.0, ka_cut
    ka.close()
    assert_ocsp_answers(srv, pems, cp, good, gp, tmp_path)
    # The operator is told.
    assert logged(srv, r"closed \d+ connections? that sent no whole "
                  r"request within request_timeout \(2 s\)"), srv.stderr()


# ---------------------------------------------------------------- floods

def test_flood_from_one_address_is_capped(ca, tmp_path, serve):
    """max_connections_per_ip = 20: of 60 idle connections from 127.0.0.3
    the server keeps 20 (and serves them) and closes the rest at once;
    other addresses, and OCSP from 127.0.0.1, are served."""
    set_conf(ca, max_connections_per_ip=20, request_timeout=60)
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    srv = serve(ca)
    wait_presigned(ca)
    flood = [connect(srv, "127.0.0.3") for _ in range(60)]
    closed = wait_closed(flood, 40)
    assert len(closed) == 40, len(closed)
    kept = [s for s in flood if s not in closed]
    assert_ocsp_answers(srv, pems, cp, good, gp, tmp_path)
    # The kept ones are real connections, not stuck in the listen queue.
    for s in kept:
        assert healthz(s) == 200
    # Another address has its own allowance.
    others = [connect(srv, "127.0.0.4") for _ in range(5)]
    for s in others:
        assert healthz(s) == 200
    for s in flood + others:
        s.close()


def test_flood_over_max_connections(ca, tmp_path, serve):
    """max_connections = 30: of 80 connections from 80 addresses, those
    over the cap are closed as soon as they are accepted (not left
    hanging), those kept are served; a newcomer is told no at once; when
    the flood is gone, OCSP from 127.0.0.1 is answered again."""
    set_conf(ca, max_connections=30, max_connections_per_ip=0,
             request_timeout=60)
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    srv = serve(ca)
    workers = workers_of(srv)
    wait_presigned(ca)
    flood = [connect(srv, "127.0.1.%d" % (i + 1)) for i in range(80)]
    # Workers accepting at the same instant may each let one more in.
    closed = wait_closed(flood, 80 - 30 - workers)
    served = 0
    for s in flood:
        if s in closed:
            continue
        try:
            assert healthz(s) == 200
            served += 1
        except ConnectionError:
            closed.add(s)   # refused, and seen only now
    # Each one either served (a real connection, not one stuck in the
    # listen queue) or closed.
    assert served + len(closed) == 80
    assert served <= 30 + workers - 1, served
    # Newcomers, even from 127.0.0.1, are served while there is room (the
    # server's start-up probe may have counted for a moment) and then
    # refused at once, never left waiting (a hung one would time out).
    newcomers = []
    while True:
        s = connect(srv, "127.0.0.1")
        try:
            assert healthz(s) == 200
        except ConnectionError:
            s.close()
            break
        newcomers.append(s)
        assert served + len(newcomers) < 30 + workers, "over the cap"
    assert 30 <= served + len(newcomers) <= 30 + workers - 1
    # The flood goes; service comes back.
    for s in flood + newcomers:
        s.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            c = connect(srv, "127.0.0.1")
            st = healthz(c)
            c.close()
            if st == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "not serving after the flood"
        time.sleep(0.1)
    assert_ocsp_answers(srv, pems, cp, good, gp, tmp_path)
    assert logged(srv, r"refused \d+ connections? over max_connections "
                  r"\(30\)"), srv.stderr()


# ---------------------------------------------------------------- overload

NONCE_EXT = b"\x04\x12\x04\x10"     # extnValue OCTET STRING { nonce(16) }


def with_nonce(req, nonce):
    """The openssl-made request req with another 16-byte nonce."""
    i = req.index(NONCE_EXT) + len(NONCE_EXT)
    return req[:i] + nonce + req[i + 16:]


@pytest.mark.parametrize("queue_len,wait_ms,why", [
    (2, 2000, r"\((\d+) with the signing queue full, \d+ after"),
    (1000, 1, r"\(\d+ with the signing queue full, (\d+) after waiting "
              r"over 1 ms\)"),
], ids=["queue-full", "waited-too-long"])
def test_overload_answers_try_later(ca, tmp_path, serve, queue_len, wait_ms,
                                    why):
    """One signing thread and a queue of 2 (or a wait of 1 ms): a burst of
    150 nonce requests gets some tryLater answers (HTTP 200, a DER
    OCSPResponse) rather than a wait, every other answer is signed and
    carries its own nonce, and pre-signed answers asked for during the
    burst are good.  (With a queue of 2 the first request is always
    signed; with a 1 ms wait on a busy machine perhaps none is.)"""
    set_conf(ca, sign_threads=1, sign_queue=queue_len, sign_wait_ms=wait_ms,
             max_connections_per_ip=0)
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    tmpl = tmp_path / "nonce-req.der"
    openssl("ocsp", "-issuer", pems["issuing"], "-cert", gp, "-reqout",
            tmpl)
    tmpl = tmpl.read_bytes()
    get_path = get_request(pems, gp, tmp_path)
    srv = serve(ca)
    wait_presigned(ca)
    n = 150
    reqs = [with_nonce(tmpl, os.urandom(16)) for _ in range(n)]
    socks = [connect(srv, "127.0.0.1", timeout=30) for _ in range(n)]
    wire = [b"POST /ocsp HTTP/1.1\r\nHost: kakuin\r\nContent-Type: "
            b"application/ocsp-request\r\nContent-Length: %d\r\n\r\n%s" %
            (len(r), r) for r in reqs]
    # Everything but the last byte first, then the last bytes together:
    # the requests reach the server within a few milliseconds.
    for s, w in zip(socks, wire):
        s.sendall(w[:-1])
    for s, w in zip(socks, wire):
        s.sendall(w[-1:])
    # Meanwhile, pre-signed answers come straight from the workers.
    st, out = ocsp_get_status(srv, get_path, pems, cp, gp, tmp_path)
    assert st == "good", out
    answers = [read_response(s) for s in socks]
    for s in socks:
        s.close()
    try_later, signed = [], []
    for i, (status, h, body) in enumerate(answers):
        assert status == 200, (status, body)
        assert h["content-type"] == "application/ocsp-response"
        (try_later if len(body) < 16 else signed).append((i, h, body))
    assert try_later, "the burst never filled the queue"
    assert signed or wait_ms == 1, "nothing was signed"
    # The tryLater answers: status only (RFC 6960 section 2.3), not to be
    # kept by caches.
    for i, h, body in try_later:
        assert h.get("cache-control") == "no-store", h
    bodies = {b for _, _, b in try_later}
    for b in bodies:
        p = tmp_path / "tl.der"
        p.write_bytes(b)
        out = openssl("ocsp", "-respin", p, "-resp_text", check=False)
        assert "Responder Error: trylater (3)" in out.stdout + out.stderr
    # Each signed answer verifies and carries the nonce of its request.
    for i, h, body in signed:
        rq, rs = tmp_path / "rq.der", tmp_path / "rs.der"
        rq.write_bytes(reqs[i])
        rs.write_bytes(body)
        out = openssl("ocsp", "-reqin", rq, "-respin", rs, "-issuer",
                      pems["issuing"], "-CAfile", cp, "-resp_text",
                      check=False)
        text = out.stdout + out.stderr
        assert "Response verify OK" in text, text
        assert "Nonce Verify error" not in text and "WARNING" not in text
        assert "Cert Status: good" in text, text
    # The operator is told.
    m = logged(srv, r"overloaded: told \d+ requests? to try later " + why)
    assert m and int(m.group(1)) > 0, srv.stderr()
    # Afterwards the service is whole again.
    if wait_ms > 1:
        assert_ocsp_answers(srv, pems, cp, good, gp, tmp_path)
    st, out = ocsp_get_status(srv, get_path, pems, cp, gp, tmp_path)
    assert st == "good", out


def test_sigterm_with_signatures_queued(ca, tmp_path, serve):
    """SIGTERM just after a burst of nonce requests reached one signing
    thread: the server finishes what it began (a signed answer, or
    tryLater), exits 0, and no client gets half an answer."""
    set_conf(ca, sign_threads=1, sign_queue=1000, max_connections_per_ip=0)
    pems = write_ca_pems(ca, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(ca)
    gp = save_cert(ca, good, tmp_path / "good.pem")
    tmpl = tmp_path / "nonce-req.der"
    openssl("ocsp", "-issuer", pems["issuing"], "-cert", gp, "-reqout",
            tmpl)
    tmpl = tmpl.read_bytes()
    srv = serve(ca)
    n = 100
    reqs = [with_nonce(tmpl, os.urandom(16)) for _ in range(n)]
    socks = [connect(srv, "127.0.0.1", timeout=30) for _ in range(n)]
    # Every request is begun (its connection accepted) before the signal.
    assert healthz(socks[-1]) == 200
    for s, r in zip(socks, reqs):
        s.sendall(b"POST /ocsp HTTP/1.1\r\nHost: kakuin\r\nContent-Type: "
                  b"application/ocsp-request\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(r), r))
    srv.proc.send_signal(signal.SIGTERM)
    answered = 0
    for i, s in enumerate(socks):
        try:
            status, h, body = read_response(s)
        except ConnectionError:
            continue    # closed before its request was begun
        finally:
            s.close()
        answered += 1
        assert status == 200 and h["content-type"] == \
            "application/ocsp-response"
        rq, rs = tmp_path / "rq.der", tmp_path / "rs.der"
        rq.write_bytes(reqs[i])
        rs.write_bytes(body)
        out = openssl("ocsp", "-reqin", rq, "-respin", rs, "-issuer",
                      pems["issuing"], "-CAfile", cp, "-resp_text",
                      check=False)
        text = out.stdout + out.stderr
        assert "Responder Error: trylater (3)" in text or (
            "Response verify OK" in text and "Cert Status: good" in text and
            "Nonce Verify error" not in text), text
    assert srv.proc.wait(60) == 0, srv.stderr()
    assert answered > 0
    err = srv.stderr()
    assert "SIGTERM received" in err and \
        err.rstrip().endswith("kakuin serve: stopped"), err


# ---------------------------------------------------------------- SIGKILL

def test_sigkill_under_load_loses_no_revocation(ca, tmp_path, serve):
    """Officers revoke through the API while relying parties hammer OCSP
    (pre-signed GETs and nonce POSTs); the server is killed with SIGKILL
    in the middle.  After a restart on the same data directory every
    revocation that was answered 200 is revoked in the store, in OCSP
    and in the next CRL, and the audit chain verifies."""
    k = ca
    pems = write_ca_pems(k, tmp_path)
    cp = chain(pems, tmp_path)
    good, _ = demo_certs(k)
    gp = save_cert(k, good, tmp_path / "good.pem")
    _, csr = make_csr(tmp_path)
    get_path = get_request(pems, gp, tmp_path)
    nonce_req = tmp_path / "hammer.der"
    openssl("ocsp", "-issuer", pems["issuing"], "-cert", gp, "-reqout",
            nonce_req)
    nonce_req = nonce_req.read_bytes()
    srv = serve(k)
    wait_presigned(k)
    token = k.token("ra-suzuki")
    # The certificates to revoke, issued through the API.
    victims, vpems = [], {}
    for _ in range(48):
        r = srv.post("/api/v1/certs/requests", {
            "org": JIPDEC, "profile": "client-auth", "csr": csr.read_text(),
            "given_name": "太郎", "surname": "山田"}, token=token)
        assert r.status == 201, r
        r = srv.post("/api/v1/certs/requests/%d/approve" % r.json()["id"],
                     {"identity": {"who": "ra-suzuki", "how": "photo ID",
                                   "ref": "e2e-load"}}, token=token)
        assert r.status == 200, r
        v = r.json()["serial"]
        victims.append(v)
        vpems[v] = tmp_path / ("v-%s.pem" % v)
        vpems[v].write_text(srv.get("/api/v1/certs/" + v).json()["pem"])
    todo = queue.Queue()
    for v in victims:
        todo.put(v)
    lock = threading.Lock()
    acked, lost = [], []
    ocsp_ok = [0]
    acks = threading.Semaphore(0)
    stop = threading.Event()

    def revoker():
        while True:
            try:
                v = todo.get_nowait()
            except queue.Empty:
                return
            try:
                r = srv.post("/api/v1/certs/%s/revoke" % v,
                             {"reason": "keyCompromise"}, token=token)
            except OSError:
                with lock:
                    lost.append(v)
                continue
            with lock:
                if r.status == 200:
                    acked.append(v)
                else:
                    lost.append((v, r.status, r.text))
            acks.release()

    def hammer():
        c = None
        while not stop.is_set():
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", srv.port,
                                                   timeout=10)
                c.request("GET", get_path)
                r = c.getresponse()
                r.read()
                c.request("POST", "/ocsp", body=with_nonce(
                    nonce_req, os.urandom(16)), headers={
                    "Content-Type": "application/ocsp-request"})
                r = c.getresponse()
                r.read()
                with lock:
                    ocsp_ok[0] += 1
            except (OSError, http.client.HTTPException):
                if c is not None:
                    c.close()
                c = None
                time.sleep(0.01)

    hammers = [threading.Thread(target=hammer) for _ in range(3)]
    revokers = [threading.Thread(target=revoker) for _ in range(4)]
    for t in hammers:
        t.start()
    # The revocations start once OCSP traffic is flowing.
    deadline = time.monotonic() + 20
    while ocsp_ok[0] < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    for t in revokers:
        t.start()
    # Kill once a third of the revocations were acknowledged (no timing).
    for _ in range(len(victims) // 3):
        acks.acquire()
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    for t in revokers:
        t.join()
    stop.set()
    for t in hammers:
        t.join()
    assert acked, "nothing was revoked before the kill"
    assert len(acked) < len(victims), \
        "every revocation finished before the kill; the test proved nothing"
    assert ocsp_ok[0] > 0, "OCSP was never answered during the load"
    # Nothing was refused: only the kill cut requests short.
    assert all(isinstance(x, str) for x in lost), lost

    srv2 = serve(k)
    for v in acked:
        c = k.json("cert", "show", v, "--json")
        assert c["status"] == "revoked" and c["reason"] == \
            "keyCompromise", c
    # OCSP after the restart: signed with a nonce, and the pre-signed
    # (or freshly signed) GET answer.
    for i in range(0, len(acked), 8):
        group = acked[i:i + 8]
        args = []
        for v in group:
            args += ["-cert", vpems[v]]
        out = openssl("ocsp", "-issuer", pems["issuing"], *args, "-url",
                      "http://127.0.0.1:%d/ocsp" % srv2.port, "-CAfile", cp,
                      "-resp_text", check=False)
        text = out.stdout + out.stderr
        assert "Response verify OK" in text, text
        for v in group:
            assert "%s: revoked" % vpems[v] in text, text
    for v in acked:
        st, out = ocsp_get_status(srv2, get_request(pems, vpems[v],
                                                     tmp_path), pems, cp,
                                  vpems[v], tmp_path)
        assert st == "revoked", out
    srv2.stop()
    # The next CRL lists every acknowledged revocation, and only what the
    # store holds as revoked.
    k.ok("crl", "generate")
    entries, _ = crl_entries(fetch_crl(k, "issuing", tmp_path)[0],
                             pems["issuing"])
    for v in acked:
        assert entries.get(int(v, 16)) == "Key Compromise", v
    store_revoked = {int(s, 16) for (s,) in k.sql(
        "SELECT serial FROM certs WHERE status = 'revoked'")}
    assert store_revoked == set(entries)
    r = k.run("audit", "verify")
    assert r.rc == 0, r
    assert k.sql("PRAGMA integrity_check") == [("ok",)]


def test_tsa_overload_answers_system_failure(ca, tmp_path, serve):
    """The TSA under the same burst: one signing thread and a queue of 2;
    the requests that do not fit get a TimeStampResp rejection with
    systemFailure at once (RFC 3161 section 2.4.2), every other answer is
    a granted token that openssl verifies against its own query."""
    set_conf(ca, sign_threads=1, sign_queue=2, sign_wait_ms=2000,
             max_connections_per_ip=0)
    pems = write_ca_pems(ca, tmp_path)
    doc = tmp_path / "doc.txt"
    doc.write_text("時刻認証 under load\n")
    q = tmp_path / "q.tsq"
    openssl("ts", "-query", "-data", doc, "-sha256", "-cert", "-out", q)
    body = q.read_bytes()
    srv = serve(ca)
    n = 120
    socks = [connect(srv, "127.0.0.1", timeout=30) for _ in range(n)]
    wire = (b"POST /tsa HTTP/1.1\r\nHost: kakuin\r\nContent-Type: "
            b"application/timestamp-query\r\nContent-Length: %d\r\n\r\n%s" %
            (len(body), body))
    for s in socks:
        s.sendall(wire[:-1])
    for s in socks:
        s.sendall(wire[-1:])
    answers = [read_response(s) for s in socks]
    for s in socks:
        s.close()
    busy, granted = [], []
    for status, h, resp in answers:
        assert status == 200, (status, resp)
        assert h["content-type"] == "application/timestamp-reply"
        p = tmp_path / "r.tsr"
        p.write_bytes(resp)
        text = openssl("ts", "-reply", "-in", p, "-text").stdout
        if "Status: Granted." in text:
            granted.append(resp)
        else:
            assert "Status: Rejected." in text, text
            assert "the request cannot be handled due to system failure" \
                in text, text
            assert "overloaded; try again shortly" in text, text
            busy.append(resp)
    assert busy, "the burst never filled the queue"
    assert granted, "nothing was signed"
    p = tmp_path / "g.tsr"
    p.write_bytes(granted[-1])
    r = openssl("ts", "-verify", "-queryfile", q, "-in", p, "-CAfile",
                pems["root"], "-untrusted", pems["issuing"])
    assert "Verification: OK" in r.stdout, r.stdout + r.stderr
    assert logged(srv, r"overloaded: told \d+ requests"), srv.stderr()
