"""Shared fixtures for kakuin's end-to-end tests.

Everything here drives the real programs: the kakuin binary (KAKUIN_BIN),
the synthetic NTA file generator (KAKUIN_GEN_NTA), a real unbound DNS
server on loopback, `kakuin serve` on a free loopback port, and (when
KAKUIN_TEST_PG is set) a real PostgreSQL server.  Stored state is read
back with Python's own sqlite3 module or psql, never through kakuin.
"""
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KAKUIN = os.environ.get("KAKUIN_BIN") or str(ROOT / "build" / "kakuin")
GEN_NTA = os.environ.get("KAKUIN_GEN_NTA") or str(
    ROOT / "build" / "bench" / "gen-nta")
PG_URL = os.environ.get("KAKUIN_TEST_PG") or None

# Demo organizations (kakuin init --demo) and their final statuses.
JIPDEC = "1010405009403"
KAKUIN_SHOJI = "4011001099001"
MINATO = "4010401088002"
SAPPORO = "9000020011002"
SAKURA = "7011101077003"
HIKARI = "8012001066004"
DEMO_STATUS = {
    JIPDEC: "verified", KAKUIN_SHOJI: "verified", MINATO: "verified",
    SAPPORO: "verified", SAKURA: "applied", HIKARI: "suspended",
}
DEMO_ADMIN = ("admin", "kakuin-demo-admin")
DEMO_RA = ("ra-suzuki", "kakuin-demo-officer")

# Variables that would make a test depend on the caller's shell.
_SCRUB = ("KAKUIN_DIR", "KAKUIN_OFFICER", "KAKUIN_STORE", "KAKUIN_RESOLVER",
          "KAKUIN_LISTEN")


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["LC_ALL"] = "C.UTF-8"
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


# ---------------------------------------------------------------- numbers

def check_digit(base12):
    """The National Tax Agency's check digit for a 12-digit base."""
    s = 0
    for n in range(1, 13):
        s += int(base12[12 - n]) * (1 if n % 2 else 2)
    return 9 - s % 9


def corpnum(base12):
    assert len(base12) == 12 and base12.isdigit()
    return str(check_digit(base12)) + base12


def wrong_check(number):
    """The same number with a wrong check digit."""
    d = int(number[0])
    return str(d % 9 + 1) + number[1:]


_counter = [int(time.time() * 1000) % 10**9]


def new_number():
    """A valid corporate number not used by the demo data."""
    _counter[0] += 1
    return corpnum("6%011d" % (_counter[0] % 10**11))


def unique(prefix="x"):
    return "%s%s" % (prefix, uuid.uuid4().hex[:10])


# ---------------------------------------------------------------- the CLI

class Result:
    def __init__(self, cp):
        self.rc = cp.returncode
        self.out = cp.stdout.decode("utf-8", "replace")
        self.err = cp.stderr.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "<rc=%d\nstdout=%s\nstderr=%s>" % (self.rc, self.out[-3000:],
                                                  self.err[-3000:])


class Kakuin:
    """One data directory and the kakuin CLI run against it."""

    def __init__(self, datadir, env=None):
        self.dir = str(datadir)
        self.env = dict(env or {})

    def run(self, *args, env=None, input=None, timeout=120):
        e = base_env(**self.env)
        if env:
            e.update(env)
        cp = subprocess.run([KAKUIN, "-d", self.dir] + [a for a in args],
                            input=input, capture_output=True, env=e,
                            timeout=timeout)
        return Result(cp)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.rc == 0, r
        return r

    def json(self, *args, **kw):
        r = self.ok(*args, **kw)
        return r.json()

    def fail(self, *args, rc=1, **kw):
        r = self.run(*args, **kw)
        assert r.rc == rc, r
        return r

    def show(self, number):
        return self.json("org", "show", number, "--json")

    def token(self, user, *extra):
        return self.json("user", "token", user, "--json", *extra)["token"]

    # Stored state, read with sqlite3 (not through kakuin).
    @property
    def dbpath(self):
        return os.path.join(self.dir, "kakuin.db")

    def db(self, readonly=True):
        if readonly:
            c = sqlite3.connect("file:%s?mode=ro" % self.dbpath, uri=True,
                                timeout=30)
        else:
            c = sqlite3.connect(self.dbpath, timeout=30)
        return c

    def sql(self, q, params=()):
        c = self.db()
        try:
            return c.execute(q, params).fetchall()
        finally:
            c.close()

    def snapshot(self):
        """Everything a rejected request must leave alone."""
        snap = {}
        for t, order in (("orgs", "number"), ("domains", "id"),
                         ("org_events", "id"), ("users", "id"),
                         ("tokens", "id"), ("imports", "id"),
                         ("import_rejects", "import_id, line"),
                         ("audit", "seq"), ("audit_head", "id")):
            snap[t] = self.sql("SELECT * FROM %s ORDER BY %s" % (t, order))
        snap["nta_records"] = self.sql("SELECT COUNT(*) FROM nta_records")
        return snap

    def audit_rows(self):
        return self.sql("SELECT COUNT(*) FROM audit")[0][0]


def init_dir(path, *args, env=None):
    k = Kakuin(path, env=env)
    r = k.run("init", *args)
    assert r.rc == 0, r
    return k


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    d = tmp_path_factory.mktemp("template") / "demo"
    init_dir(d, "--demo")
    return d


def copy_datadir(src, dst):
    """A copy of an SQLite data directory that points at its own store."""
    shutil.copytree(src, dst)
    conf = Path(dst) / "kakuin.conf"
    lines = []
    for line in conf.read_text().splitlines():
        if line.startswith("store ="):
            line = "store = sqlite:%s/kakuin.db" % dst
        lines.append(line)
    conf.write_text("\n".join(lines) + "\n")
    return Kakuin(dst)


@pytest.fixture
def demo(tmp_path, demo_template):
    """A fresh copy of a data directory made by kakuin init --demo."""
    return copy_datadir(demo_template, tmp_path / "demo")


@pytest.fixture
def empty(tmp_path):
    """A data directory made by kakuin init (no demo data)."""
    return init_dir(tmp_path / "empty")


def add_org(k, number=None, name=None, *extra, actor=None):
    number = number or new_number()
    name = name or unique("株式会社テスト")
    args = (["--as", actor] if actor else []) + [
        "org", "add", "--number", number, "--name", name, "--json"] + list(
        extra)
    j = k.json(*args)
    assert j["status"] == "applied"
    return number


# ---------------------------------------------------------------- ports

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ---------------------------------------------------------------- DNS

class Unbound:
    ZONES = ("e2e.example.", "example.test.")

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.port = free_port()
        self.ctl_port = free_port()
        self.conf = self.dir / "unbound.conf"
        zones = "".join(
            '    local-zone: "%s" static\n'
            '    local-data: "%s 60 IN SOA ns.%s hostmaster.%s 1 60 60 60 60"\n'
            % (z, z, z, z) for z in self.ZONES)
        self.conf.write_text(
            "server:\n"
            "    interface: 127.0.0.1\n"
            "    port: %d\n"
            "    do-ip6: no\n"
            "    do-daemonize: no\n"
            "    use-syslog: no\n"
            '    logfile: ""\n'
            '    username: ""\n'
            '    chroot: ""\n'
            '    pidfile: ""\n'
            '    directory: "%s"\n'
            "    access-control: 127.0.0.0/8 allow\n"
            '    module-config: "iterator"\n'
            "    cache-max-ttl: 0\n"
            "    cache-max-negative-ttl: 0\n"
            "    verbosity: 1\n"
            '    local-zone: "refused.example." refuse\n'
            "%s"
            "remote-control:\n"
            "    control-enable: yes\n"
            "    control-interface: 127.0.0.1\n"
            "    control-port: %d\n"
            "    control-use-cert: no\n"
            % (self.port, self.dir, zones, self.ctl_port))
        self.log = open(self.dir / "unbound.log", "wb")
        self.proc = subprocess.Popen(["unbound", "-d", "-c", str(self.conf)],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("unbound exited: " + (
                    self.dir / "unbound.log").read_text())
            try:
                if self.query("e2e.example", "SOA"):
                    break
            except Exception:
                pass
            if time.time() > deadline:
                raise RuntimeError("unbound did not answer")
            time.sleep(0.1)

    @property
    def resolver(self):
        return "127.0.0.1@%d" % self.port

    def control(self, *args):
        r = subprocess.run(["unbound-control", "-c", str(self.conf)] +
                           list(args), capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0 and "error" not in r.stdout, (
            r.stdout + r.stderr)
        return r.stdout

    def add_txt(self, name, value):
        self.control("local_data", '%s. 60 IN TXT "%s"' % (name, value))

    def remove(self, name):
        self.control("local_data_remove", name + ".")

    def query(self, name, rtype="TXT"):
        """Asks the server with dnspython (an independent client)."""
        import dns.exception
        import dns.resolver
        r = dns.resolver.Resolver(configure=False)
        r.nameservers = ["127.0.0.1"]
        r.port = self.port
        r.lifetime = 3
        try:
            ans = r.resolve(name, rtype)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        return [x.to_text() for x in ans]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def unbound(tmp_path_factory):
    u = Unbound(tmp_path_factory.mktemp("unbound"))
    yield u
    u.stop()


# ---------------------------------------------------------------- HTTP

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<HTTP %d %s>" % (self.status, self.body[:2000])


class Server:
    def __init__(self, k, workdir, env=None, access_log=None):
        self.k = k
        self.port = free_port()
        self.errpath = Path(workdir) / ("serve-%d.stderr" % self.port)
        self.errf = open(self.errpath, "wb")
        args = [KAKUIN, "-d", k.dir, "serve", "--listen",
                "127.0.0.1:%d" % self.port]
        if access_log is not None:
            args += ["--access-log", str(access_log)]
        e = base_env(**k.env)
        if env:
            e.update(env)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self.errf, env=e)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("kakuin serve exited %d: %s" % (
                    self.proc.returncode, self.stderr()))
            try:
                if self.get("/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("kakuin serve did not come up: " +
                                   self.stderr())
            time.sleep(0.05)

    def stderr(self):
        if not self.errf.closed:
            self.errf.flush()
        return self.errpath.read_bytes().decode("utf-8", "replace")

    def request(self, method, path, body=None, headers=None, token=None,
                json_body=None, chunked=False):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            if chunked:
                c.putrequest(method, path)
                for k, v in h.items():
                    c.putheader(k, v)
                c.putheader("Transfer-Encoding", "chunked")
                c.endheaders()
                step = 4096
                for i in range(0, len(body), step):
                    part = body[i:i + step]
                    c.send(b"%x\r\n%s\r\n" % (len(part), part))
                c.send(b"0\r\n\r\n")
            else:
                c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body=json_body, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errf.close()
        return self.proc.returncode


@pytest.fixture
def serve(tmp_path):
    """serve(k, env=..., access_log=...) starts kakuin serve; stopped at
    the end of the test whatever happens."""
    started = []

    def start(k, **kw):
        s = Server(k, tmp_path, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
        if not s.errf.closed:
            s.errf.close()


def api_error(resp, status, field=None, code=None):
    """Asserts the {"error": {code, field, message}} shape."""
    if isinstance(status, tuple):
        assert resp.status in status, resp
    else:
        assert resp.status == status, resp
    assert resp.header("Content-Type").startswith("application/json"), resp
    e = resp.json()["error"]
    assert isinstance(e.get("message"), str) and e["message"], resp
    if code is not None:
        assert e["code"] == code, resp
    if field is not None:
        assert e.get("field") == field, resp
    return e


# ---------------------------------------------------------------- audit

def audit_hash(seq, at, actor, action, obj, detail, prev):
    """kakuin's audit record hash, re-implemented from its definition:
    SHA-256 over a domain label and length-prefixed fields."""
    h = hashlib.sha256(b"kakuin audit v1\0")
    for f in (str(seq), at, actor, action, obj, detail, prev):
        b = f.encode()
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------- NTA rows

NTA_COLUMNS = 30


def nta_row(seq, number, name, latest=1, hihyoji=0, update="2024-06-28",
            kana="", name_en="", process="01"):
    """One record of the National Tax Agency's 30-column layout."""
    f = [""] * NTA_COLUMNS
    f[0] = str(seq)
    f[1] = number
    f[2] = process
    f[3] = "0"
    f[4] = update
    f[5] = update
    f[6] = name
    f[8] = "301"
    f[9] = "東京都"
    f[10] = "千代田区"
    f[11] = "丸の内1丁目1番1号"
    f[13] = "13"
    f[14] = "101"
    f[15] = "1000005"
    f[22] = "2015-10-05"
    f[23] = str(latest)
    f[24] = name_en
    f[28] = kana
    f[29] = str(hihyoji)
    return ",".join(f) + "\n"


def gen_nta(path, *args):
    """Runs gen-nta; returns {line: defect} from its standard error."""
    with open(path, "wb") as out:
        r = subprocess.run([GEN_NTA] + [str(a) for a in args], stdout=out,
                           stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 0, r.stderr
    bad = {}
    for line in r.stderr.decode().splitlines():
        n, defect = line.split("\t")
        bad[int(n)] = defect
    return bad


# ---------------------------------------------------------------- PostgreSQL

def psql(url, sql, check=True):
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-tA",
                        url, "-c", sql], capture_output=True, text=True,
                       timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def pg_url_for(db):
    base, _, _ = PG_URL.rpartition("/")
    return base + "/" + db


@pytest.fixture
def pg_store():
    """A fresh PostgreSQL database URL, dropped afterwards."""
    if not PG_URL:
        pytest.skip("KAKUIN_TEST_PG is not set")
    name = "e2e_" + uuid.uuid4().hex[:12]
    psql(PG_URL, "CREATE DATABASE %s" % name)
    yield pg_url_for(name)
    psql(PG_URL, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name,
         check=False)
