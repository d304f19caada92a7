"""Helpers for the flatsign-master scenarios (tests/integration/master/*.py): a real upstream
(a plain zone served by flatsign-master as the authoritative, behind unbound as the recursive
resolver), the master under test, and small DNS clients. Peers run in the foreground with their
own config and free ports and are stopped by PID."""
import os
import socket
import struct
import time

import harness as h

UPSTREAM_ZONE = """$TTL 2
@ SOA ns1 host 1 7200 3600 1209600 2
@ NS ns1
ns1 A 127.0.0.1
multi A 192.0.2.1
multi A 192.0.2.2
multi A 192.0.2.3
both A 192.0.2.10
both AAAA 2001:db8::10
v6only AAAA 2001:db8::20
v4only A 192.0.2.30
chain CNAME chain2
chain2 CNAME chain3
chain3 CNAME both
loop1 CNAME loop2
loop2 CNAME loop1
"""

MASTER_ZONE = """$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
@ 600 ALIAS multi.up.test.
www ALIAS both.up.test.
*.sites ALIAS chain.up.test.
v6 ALIAS v6only.up.test.
v4 ALIAS v4only.up.test.
txt TXT "hello"
"""


def wait_udp(port, name="up.test.", timeout=10):
    """Waits until a DNS server answers a SOA query for `name` on 127.0.0.1:port."""
    def answered():
        try:
            return query(port, name, 6, timeout=0.3) is not None
        except OSError:
            return False
    h.wait_for(answered, timeout=timeout, what="DNS on port %d" % port)


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(port, name, qtype, timeout=2.0, rd=False, src="127.0.0.1"):
    """Sends one UDP query; returns the raw response or None on timeout."""
    qid = os.getpid() & 0xFFFF
    msg = struct.pack("!HHHHHH", qid, 0x0100 if rd else 0, 1, 0, 0, 0)
    msg += encode_name(name) + struct.pack("!HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((src, 0))
        s.settimeout(timeout)
        s.sendto(msg, ("127.0.0.1", port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def rcode(wire):
    return wire[3] & 0x0F


class Upstream:
    """flatsign-master serving up.test as a plain authoritative + unbound resolving through it."""

    def __init__(self, tmp, zone_text=UPSTREAM_ZONE):
        self.tmp = tmp
        self.zone_path = tmp.write("up/up.test.zone", zone_text)
        self.auth_port = h.free_port()
        self.port = h.free_port()
        master = h.binary("flatsign-master")
        unbound = h.peer("unbound")
        dead = h.free_port()  # never used as a resolver: up.test has no ALIAS
        self.auth = h.Process([master, "--listen", "127.0.0.1:%d" % self.auth_port, "--zone",
                               "up.test=" + self.zone_path, "--resolver", "127.0.0.1:%d" % dead],
                              log_path=tmp.file("up/auth.log"))
        conf = tmp.write("up/unbound.conf", """server:
  interface: 127.0.0.1
  port: %d
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "%s"
  pidfile: ""
  use-syslog: no
  logfile: ""
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  cache-min-ttl: 0
  cache-max-negative-ttl: 1
  num-threads: 1
  so-reuseport: no
  local-zone: "test." nodefault
stub-zone:
  name: "up.test"
  stub-addr: 127.0.0.1@%d
""" % (self.port, tmp.file("up"), self.auth_port))
        self.unbound = h.Process([unbound, "-d", "-c", conf], log_path=tmp.file("up/unbound.log"))
        wait_udp(self.auth_port)
        wait_udp(self.port)

    def change(self, zone_text):
        """Rewrites the upstream zone and makes its server reload it (SIGHUP)."""
        with open(self.zone_path, "w") as f:
            f.write(zone_text)
        os.kill(self.auth.pid, 1)

    def stop(self):
        self.unbound.stop()
        self.auth.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Master:
    """flatsign-master under test serving example.test (MASTER_ZONE unless given)."""

    def __init__(self, tmp, resolvers, zone_text=MASTER_ZONE, args=(), name="master"):
        self.port = h.free_port()
        self.zone_path = tmp.write(name + "/example.test.zone", zone_text)
        cmd = [h.binary("flatsign-master"), "--listen", "127.0.0.1:%d" % self.port,
               "--zone", "example.test=" + self.zone_path, "--min-refresh", "1",
               "--resolver-timeout", "300"]
        for r in resolvers:
            cmd += ["--resolver", "127.0.0.1:%d" % r]
        self.proc = h.Process(cmd + list(args), log_path=tmp.file(name + "/master.log"))
        wait_udp(self.port, "example.test.")

    def dig(self, *args, timeout=20):
        return h.run(["dig", "@127.0.0.1", "-p", str(self.port), "+norec"] + list(args),
                     timeout=timeout, check_rc=False).stdout

    def axfr(self, *extra):
        """AXFR records as a sorted list of (owner, ttl, type, rdata) lines (the SOA once)."""
        out = self.dig("example.test.", "AXFR", "+nocmd", "+nostats", "+noall", "+answer",
                       *extra)
        rows = set()
        for line in out.splitlines():
            if not line or line.startswith(";"):
                continue
            f = line.split(None, 4)
            rows.add((f[0].lower(), int(f[1]), f[3], f[4]))
        return sorted(rows)

    def serial(self):
        out = self.dig("example.test.", "SOA", "+short")
        return int(out.split()[2]) if out.strip() else None

    def log(self):
        return self.proc.log()

    def stop(self):
        return self.proc.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def wait_log(master, text, timeout=10):
    h.wait_for(lambda: text in master.log(), timeout=timeout, what="log line %r" % text)
    time.sleep(0.05)
