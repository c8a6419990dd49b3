#!/usr/bin/env python3
"""hold-conns.py - opens N keep-alive connections to a server, makes one
request on each, and holds them all open and idle, for bench/run's memory
figure.

    hold-conns.py PORT N PATH [SOURCES]

Connections go to 127.0.0.1:PORT from SOURCES loopback addresses
(127.0.0.1, 127.0.0.2, ...; default 10), spread evenly, so that neither
the ephemeral ports of one address nor a per-address limit of the server
bounds the count.  At most 256 are being set up at any time (the server's
listen backlog is 1024).  Each sends "GET PATH HTTP/1.1" and must get a
complete 200 answer that does not close the connection.

Prints "ready open=N" once all N have their answer, then holds them until
SIGUSR1 or SIGTERM, then checks that each is still open (the server has
not closed it) and prints "still_open=N" and exits.  Exit status 0 when
all N opened and stayed open, 1 otherwise (with the reason on stderr).
"""
import errno
import selectors
import signal
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = 24    # Linux: pick the port at connect()
INFLIGHT = 256
SETUP_SECONDS = 120


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    nsrc = int(sys.argv[4]) if len(sys.argv) == 5 else 10
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" %
           (path, port)).encode()
    sel = selectors.DefaultSelector()
    held, pending, started = [], 0, 0
    deadline = time.monotonic() + SETUP_SECONDS

    def start(i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind(("127.0.0.%d" % (1 + i % nsrc), 0))
        s.setblocking(False)
        rc = s.connect_ex(("127.0.0.1", port))
        if rc not in (0, errno.EINPROGRESS):
            sys.exit("hold-conns: connect %d: %s" % (i, errno.errorcode.get(
                rc, rc)))
        # state: [socket, sent bytes, received bytes]
        sel.register(s, selectors.EVENT_WRITE, [s, 0, b""])

    while len(held) < n:
        while pending < INFLIGHT and started < n:
            start(started)
            started += 1
            pending += 1
        if time.monotonic() > deadline:
            sys.exit("hold-conns: only %d of %d connections answered in "
                     "%d s" % (len(held), n, SETUP_SECONDS))
        for key, ev in sel.select(timeout=1):
            st = key.data
            s = st[0]
            if ev & selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    sys.exit("hold-conns: connection %d of %d refused: %s"
                             % (started, n, errno.errorcode.get(err, err)))
                st[1] += s.send(req[st[1]:])
                if st[1] == len(req):
                    sel.modify(s, selectors.EVENT_READ, st)
                continue
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                sys.exit("hold-conns: the server closed connection %d "
                         "after %d bytes (limit reached?)" % (len(held),
                                                              len(st[2])))
            st[2] += data
            head, sep, body = st[2].partition(b"\r\n\r\n")
            if not sep:
                continue
            lines = head.split(b"\r\n")
            if not lines[0].startswith(b"HTTP/1.1 200"):
                sys.exit("hold-conns: answer %r" % lines[0])
            clen = None
            for h in lines[1:]:
                k, _, v = h.partition(b":")
                k = k.strip().lower()
                if k == b"content-length":
                    clen = int(v)
                elif k == b"connection" and b"close" in v.lower():
                    sys.exit("hold-conns: the server closes after one "
                             "request")
            if clen is None or len(body) < clen:
                continue
            sel.unregister(s)
            held.append(s)
            pending -= 1
    sel.close()

    got = []
    signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
    signal.signal(signal.SIGTERM, lambda *a: got.append(1))
    print("ready open=%d" % len(held), flush=True)
    while not got:
        time.sleep(0.1)
    alive = 0
    for s in held:
        try:
            alive += s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print("still_open=%d" % alive, flush=True)
    sys.exit(0 if alive == n else 1)


if __name__ == "__main__":
    main()
