"""A private unbound on loopback serving given zone data, for the DNS and
SPF tests, and spf-check (tests/tools/spf-check.c), the program through
which they drive lib/dns and lib/mail/spf.

Zone data is written as unbound local-data (every byte of a name or a TXT
string that is not a plain character is written as \\DDD, so names with
spaces or '%' and TXT strings with NUL or 8-bit bytes are served as they
are).  A name can be made silent: its local zone is `deny`, so unbound
drops every query for it that its local data does not answer -- a real
timeout for the resolver under test.
"""
import json
import os
import subprocess
import time
from pathlib import Path

from conftest import KAKUIN, free_port

SPF_CHECK = os.environ.get("KAKUIN_SPF_CHECK") or str(
    Path(KAKUIN).resolve().parent / "tests" / "spf-check")

_PLAIN = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
             b"0123456789-_")


def zname(name):
    """A name in zone-file text: labels of bytes, final dot added."""
    if isinstance(name, str):
        name = name.encode("utf-8")
    name = name.rstrip(b".")
    if not name:
        return "."
    out = []
    for label in name.split(b"."):
        out.append("".join(chr(c) if c in _PLAIN else "\\%03d" % c
                           for c in label))
    return ".".join(out) + "."


def ztxt(strings):
    """TXT RDATA: each string quoted, split into pieces of 255 bytes."""
    if isinstance(strings, (str, bytes)):
        strings = [strings]
    parts = []
    for s in strings:
        if isinstance(s, str):
            s = s.encode("utf-8")
        pieces = [s[i:i + 255] for i in range(0, len(s), 255)] or [b""]
        for p in pieces:
            parts.append('"' + "".join(
                chr(c) if 0x20 <= c < 0x7f and c not in b'"\\\'' else
                "\\%03d" % c for c in p) + '"')
    return " ".join(parts) if parts else '""'


class Zone:
    """Names, their records and which names are silent."""

    def __init__(self):
        self.names = {}      # lower-case name -> [(type, rdata text)]
        self.silent = set()

    def add(self, name, rtype, rdata):
        self.names.setdefault(zname(name).lower(), []).append(
            (rtype, rdata))

    def name(self, name):
        self.names.setdefault(zname(name).lower(), [])

    def mute(self, name):
        self.name(name)
        self.silent.add(zname(name).lower())

    def config(self):
        lines = []
        for n, recs in sorted(self.names.items()):
            kind = "deny" if n in self.silent else "static"
            lines.append("    local-zone: '%s' %s" % (n, kind))
            for rtype, rdata in recs:
                lines.append("    local-data: '%s 60 IN %s %s'" % (
                    n, rtype, rdata))
        return "\n".join(lines) + "\n"


class LocalDNS:
    """unbound on 127.0.0.1 answering from `server_conf` (lines of the
    server: clause) and nothing else: every other name is NXDOMAIN."""

    def __init__(self, workdir, server_conf="", tail_conf=""):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.ctl_port = free_port()
        self.conf = self.dir / "unbound.conf"
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
            "    rrset-roundrobin: no\n"
            "    verbosity: 0\n"
            "    local-zone: '.' static\n"
            "    local-zone: 'test.' nodefault\n"
            "%s%s"
            "remote-control:\n"
            "    control-enable: yes\n"
            "    control-interface: 127.0.0.1\n"
            "    control-port: %d\n"
            "    control-use-cert: no\n"
            % (self.port, self.dir, server_conf, tail_conf, self.ctl_port))
        self.log = open(self.dir / "unbound.log", "wb")
        self.proc = subprocess.Popen(["unbound", "-d", "-c", str(self.conf)],
                                     stdout=self.log, stderr=self.log)
        self._wait()

    def _wait(self):
        import dns.message
        import dns.query
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("unbound exited: " + (
                    self.dir / "unbound.log").read_text())
            try:
                q = dns.message.make_query("localhost.", "A")
                dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
                return
            except Exception:
                pass
            if time.time() > deadline:
                raise RuntimeError("unbound did not answer")
            time.sleep(0.05)

    @property
    def resolver(self):
        return "127.0.0.1@%d" % self.port

    def queries(self):
        """Queries the server has answered or dropped so far."""
        r = subprocess.run(["unbound-control", "-c", str(self.conf),
                            "stats_noreset"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        for line in r.stdout.splitlines():
            if line.startswith("total.num.queries="):
                return int(line.split("=")[1])
        raise AssertionError(r.stdout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def signed_zone(workdir, origin, body, tamper=None):
    """Signs a zone with fresh keys (ldns-keygen, ldns-signzone).
    body: zone-file lines relative to origin.  tamper: (old, new) text
    replaced in the signed file, leaving the old signature in place.
    Returns (signed zone file, DS record of its key-signing key)."""
    d = Path(workdir)
    d.mkdir(parents=True, exist_ok=True)
    zone = d / (origin + "zone")
    zone.write_text(
        "$ORIGIN %s\n$TTL 60\n"
        "@ IN SOA ns.%s hostmaster.%s 1 60 60 60 60\n"
        "@ IN NS ns.%s\nns IN A 127.0.0.1\n%s\n"
        % (origin, origin, origin, origin, "\n".join(body)))

    def keygen(*flags):
        r = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256"] +
                           list(flags) + [origin], cwd=d,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    ksk = keygen("-k")
    zsk = keygen()
    r = subprocess.run(["ldns-signzone", "-f", str(zone) + ".signed",
                        str(zone), ksk, zsk], cwd=d, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    signed = Path(str(zone) + ".signed")
    if tamper:
        text = signed.read_text()
        assert tamper[0] in text
        signed.write_text(text.replace(tamper[0], tamper[1]))
    return signed, (d / (ksk + ".ds")).read_text()


def auth_zone(origin, zonefile):
    """unbound configuration serving a (signed) zone file."""
    return ("auth-zone:\n"
            '    name: "%s"\n'
            '    zonefile: "%s"\n'
            "    for-downstream: yes\n"
            "    for-upstream: no\n" % (origin, zonefile))


def spf_check(resolver, *args, timeout_ms=None, anchor=None, extra=()):
    """Runs spf-check; returns its JSON object."""
    cmd = [SPF_CHECK, "-r", resolver]
    if timeout_ms:
        cmd += ["-t", str(timeout_ms)]
    if anchor:
        cmd += ["-a", str(anchor)]
    cmd += list(extra) + ["--"] + list(args)
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    assert r.returncode == 0, (cmd, r.stdout, r.stderr)
    return json.loads(r.stdout)


def dns_query(resolver, rtype, name, anchor=None, threads=None,
              timeout_ms=None, repeat=None):
    extra = ["-q", rtype]
    if threads:
        extra += ["-j", str(threads)]
    if repeat:
        extra += ["-c", str(repeat)]
    return spf_check(resolver, name, anchor=anchor, extra=extra,
                     timeout_ms=timeout_ms)
