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


def wait_udp(port, name="up.test.", timeout=10, proc=None):
    """Waits until a DNS server answers a SOA query for `name` on 127.0.0.1:port. With `proc`
    (the server), fails at once when it has exited, and shows its log either way."""
    def answered():
        if proc is not None and not proc.alive():
            h.fail("%s exited (%s) before answering on port %d\n%s"
                   % (proc.cmd[0], proc.proc.returncode, port, proc.log()[-3000:]))
        try:
            return query(port, name, 6, timeout=0.3) is not None
        except OSError:
            return False
    def what():
        if proc is None:
            return "DNS on port %d" % port
        return "DNS on port %d from %s\n%s" % (port, proc.cmd[0], proc.log()[-3000:])
    h.wait_for(answered, timeout=timeout, what=what)


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
  %s
stub-zone:
  name: "up.test"
  stub-addr: 127.0.0.1@%d
""" % (self.port, tmp.file("up"), h.unbound_port_avoid(), self.auth_port))
        self.unbound = h.Process([unbound, "-d", "-c", conf], log_path=tmp.file("up/unbound.log"))
        wait_udp(self.auth_port, proc=self.auth)
        wait_udp(self.port, proc=self.unbound)

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
               "--zone", "example.test=" + self.zone_path, "--resolver-timeout", "300"]
        # Test-speed defaults unless the scenario sets them: re-resolve after 1 s, and no serial
        # damping (scenarios change the upstream more often than the 60 s default allows).
        for flag, value in (("--min-refresh", "1"), ("--min-serial-interval", "0")):
            if flag not in args:
                cmd += [flag, value]
        for r in resolvers:
            cmd += ["--resolver", "127.0.0.1:%d" % r]
        self.proc = h.Process(cmd + list(args), log_path=tmp.file(name + "/master.log"))
        wait_udp(self.port, "example.test.", proc=self.proc)

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


TSIG_SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="


def start_pdns(tmp, zone_path, resolver_port, expand=True):
    """PowerDNS 4.7 (bind backend) serving example.test from `zone_path` (re-read within a second
    of a change); with `expand`, ALIAS records are expanded in answers and flattened in AXFR
    (expand-alias, outgoing-axfr-expand-alias), targets resolved through 127.0.0.1:`resolver_port`;
    without, AXFR carries them as they are. Returns (process, port)."""
    port = h.free_port()
    d = tmp.file("pdns")
    os.makedirs(d, exist_ok=True)
    tmp.write("pdns/named.conf", 'zone "example.test" { type master; file "%s"; };\n' % zone_path)
    alias = (["expand-alias=yes", "outgoing-axfr-expand-alias=yes",
              "resolver=127.0.0.1:%d" % resolver_port] if expand
             else ["expand-alias=no", "outgoing-axfr-expand-alias=no"])
    tmp.write("pdns/pdns.conf", "\n".join([
        "launch=bind", "bind-config=%s/named.conf" % d, "bind-check-interval=1"] + alias + [
        "local-address=127.0.0.1", "local-port=%d" % port, "socket-dir=%s" % d,
        "allow-axfr-ips=127.0.0.0/8", "disable-axfr=no", ""]))
    p = h.Process([h.peer("pdns_server"), "--config-dir=" + d, "--daemon=no", "--guardian=no"],
                  log_path=tmp.file("pdns/pdns.log"))
    wait_udp(port, "example.test.", timeout=60, proc=p)
    return p, port


def start_nsd(tmp, master_port, key, port):
    """NSD as a secondary of the master on 127.0.0.1 (transfers and NOTIFYs with TSIG when `key`:
    True for xfr-key, or a (name, secret) pair); returns (Process, port)."""
    nsd = h.peer("nsd")
    d = tmp.file("nsd")
    os.makedirs(d, exist_ok=True)
    keyname, secret = key if isinstance(key, tuple) else ("xfr-key", TSIG_SECRET)
    keyname = keyname.rstrip(".") if key else "NOKEY"
    keyconf = ('key:\n  name: "%s"\n  algorithm: hmac-sha256\n  secret: "%s"\n'
               % (keyname, secret)) if key else ""
    conf = tmp.write("nsd/nsd.conf", """server:
  ip-address: 127.0.0.1@%d
  port: %d
  database: ""
  zonesdir: "%s"
  zonelistfile: "%s/zone.list"
  xfrdfile: "%s/xfrd.state"
  xfrdir: "%s"
  pidfile: "%s/nsd.pid"
  username: ""
  chroot: ""
  logfile: "%s/nsd.log"
  verbosity: 2
  rrl-ratelimit: 0
  server-count: 1
remote-control:
  control-enable: no
%szone:
  name: "example.test"
  zonefile: "example.test.zone"
  request-xfr: 127.0.0.1@%d %s
  allow-notify: 127.0.0.1 %s
""" % (port, port, d, d, d, d, d, d, keyconf, master_port, keyname, keyname))
    return h.Process([nsd, "-d", "-c", conf], log_path=tmp.file("nsd/stdout.log")), port


def start_knot(tmp, master_port, key, port):
    """Knot as a secondary of the master on 127.0.0.1; returns (Process, port)."""
    knotd = h.peer("knotd")
    d = tmp.file("knot")
    os.makedirs(d, exist_ok=True)
    keyconf = ("key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: %s\n"
               % TSIG_SECRET) if key else ""
    keyref = "    key: xfr-key\n" if key else ""
    conf = tmp.write("knot/knot.conf", """server:
  listen: 127.0.0.1@%d
  rundir: "%s"
control:
  listen: "%s/knot.sock"
database:
  storage: "%s"
log:
  - target: stderr
    any: info
%sremote:
  - id: master
    address: 127.0.0.1@%d
%sacl:
  - id: notify_from_master
    address: 127.0.0.1
    action: notify
%stemplate:
  - id: default
    storage: "%s"
    refresh-min-interval: 2
    zonefile-sync: -1
zone:
  - domain: example.test
    master: master
    acl: notify_from_master
""" % (port, d, d, d, keyconf, master_port, keyref, keyref, d))
    return h.Process([knotd, "-c", conf], log_path=tmp.file("knot/knot.log")), port


def interop(kind, key):
    """The scenario of the interop_* files: the peer pulls the flattened zone from the master
    (with TSIG when `key`), serves the same data, and follows an upstream change by NOTIFY."""
    with h.TempDir() as tmp, Upstream(tmp) as up:
        args = ["--tsig", "xfr-key:hmac-sha256:" + TSIG_SECRET] if key else []
        # The secondary's port must be known before the master starts (--notify): pick it first.
        port = h.free_port()
        args += ["--notify", "127.0.0.1:%d" % port]
        with Master(tmp, [up.port], args=args) as m:
            wait_log(m, "serving serial")
            start = start_nsd if kind == "nsd" else start_knot
            proc, sport = start(tmp, m.port, key, port)
            try:
                def sec(name, qtype):
                    return h.run(["dig", "@127.0.0.1", "-p", str(sport), "+norec", "+short",
                                  name, qtype], check_rc=False, timeout=10).stdout.split()
                h.wait_for(lambda: "192.0.2.3" in sec("example.test.", "A"), timeout=30,
                           what="%s to load the zone\n%s" % (kind, proc.log()))
                for name, qtype in [("www.example.test.", "A"), ("www.example.test.", "AAAA"),
                                    ("x.sites.example.test.", "A"), ("v6.example.test.", "AAAA"),
                                    ("example.test.", "SOA")]:
                    want = sorted(m.dig(name, qtype, "+short").split())
                    h.wait_for(lambda: sorted(sec(name, qtype)) == want, timeout=10,
                               what="%s %s same on %s: %s" % (name, qtype, kind, want))
                up.change(UPSTREAM_ZONE.replace("192.0.2.10", "192.0.2.77"))
                h.wait_for(lambda: "192.0.2.77" in sec("www.example.test.", "A"), timeout=30,
                           what="%s to follow the change\n%s" % (kind, m.log()[-3000:]))
            finally:
                proc.stop()
    h.ok("%s pulled the flattened zone%s and followed a change" %
         (kind, " with TSIG" if key else ""))


def qname_of(wire):
    """The question name of a DNS message (uncompressed, as queries carry it), lowercased."""
    labels, p = [], 12
    while p < len(wire) and wire[p]:
        n = wire[p]
        labels.append(wire[p + 1:p + 1 + n].decode("ascii", "replace").lower())
        p += n + 1
    return ".".join(labels) + "."


class QueryLog:
    """A UDP relay in front of a resolver that records the name of every query passing: tells a
    test what the master asked its resolver. Queries go on to 127.0.0.1:`upstream`; each on its
    own thread, so a slow answer holds no other."""

    def __init__(self, upstream):
        import threading
        self.names = []
        self.upstream = upstream
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.port = h.free_port()
        self.sock.bind(("127.0.0.1", self.port))
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _relay(self, data, client):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(data, ("127.0.0.1", self.upstream))
            try:
                self.sock.sendto(s.recv(65535), client)
            except OSError:
                pass

    def _serve(self):
        import threading
        while True:
            try:
                data, client = self.sock.recvfrom(65535)
            except OSError:
                return
            with self.lock:
                self.names.append(qname_of(data))
            threading.Thread(target=self._relay, args=(data, client), daemon=True).start()

    def asked(self):
        with self.lock:
            return list(self.names)

    def stop(self):
        self.sock.close()
