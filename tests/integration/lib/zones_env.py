"""Helpers for the many-zone scenarios (tests/integration/zones/*.py): flatsign-master as the
unsigned primary of several zones, flatsign-slave configured by a TOML file with one [[zone]]
table per zone, the DS records of its keys, and a validating unbound with a stub per zone."""
import json
import os
import signal
import time
import urllib.request

import dns.flags
import dns.message
import dns.query
import dns.rcode

import harness as h


def zone_text(origin, serial=2024010101, www="192.0.2.1", extra=""):
    return """$ORIGIN %s
$TTL 3600
@ SOA ns1 hostmaster %d 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www A %s
mail A 192.0.2.25
@ MX 10 mail
txt TXT "zone %s"
%s""" % (origin, serial, www, origin, extra)


def query(name, rdtype, port, dnssec=True, tcp=False, timeout=3):
    q = dns.message.make_query(name, rdtype, want_dnssec=dnssec)
    q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=timeout)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)


def soa_serial(name, port):
    """The SOA serial `port` serves for zone `name` (AA NOERROR), or None."""
    try:
        r = query(name, "SOA", port, dnssec=False, timeout=1)
    except Exception:
        return None
    if r.rcode() != dns.rcode.NOERROR or not r.flags & dns.flags.AA:
        return None
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


def signed(name, port):
    """True when `port` answers zone `name`'s SOA with its RRSIG."""
    try:
        r = query(name, "SOA", port, timeout=1)
    except Exception:
        return False
    return any(x.rdtype == dns.rdatatype.RRSIG for x in r.answer)


class Primary(h.Process):
    """flatsign-master serving `zones` ({origin: text}) unsigned, NOTIFYing `notify` ports."""

    def __init__(self, tmp, zones, notify=(), name="primary"):
        self.tmp, self.name = tmp, name
        self.port = h.free_port()
        self.paths = {}
        self.notify = list(notify)
        for origin, text in zones.items():
            self.paths[origin] = tmp.write("%s/%szone" % (name, origin), text)
        super().__init__(self._cmd(), log_path=tmp.file(name + "/master.log"))
        first = next(iter(zones))
        h.wait_for(lambda: soa_serial(first, self.port) is not None or not self.alive(), 10,
                   what="the primary")
        h.check(self.alive(), "the primary exited:\n" + self.log())

    def _cmd(self):
        cmd = [h.binary("flatsign-master"), "--listen", "127.0.0.1:%d" % self.port,
               "--resolver", "127.0.0.1:9"]
        for origin, path in self.paths.items():
            cmd += ["--zone", "%s=%s" % (origin, path)]
        for p in self.notify:
            cmd += ["--notify", "127.0.0.1:%d" % p]
        return cmd

    def change(self, origin, text):
        """Rewrites zone `origin` and reloads the primary (SIGHUP): it NOTIFYs on change."""
        with open(self.paths[origin], "w") as f:
            f.write(text)
        self.proc.send_signal(signal.SIGHUP)


class ConfigSlave(h.Process):
    """flatsign-slave started with only `--config FILE`: `globals` (dict of option values) and
    `zones` (list of dicts, each with a name and its overrides) written as TOML."""

    def __init__(self, tmp, master_port, zones, globals_=None, name="slave", port=None,
                 extra_text=""):
        self.tmp, self.name = tmp, name
        self.port = port or h.free_port()
        self.http = h.free_port(kind=__import__("socket").SOCK_STREAM)
        self.state = tmp.file(name + "/state")
        self.conf = tmp.file(name + "/slave.conf")
        self.globals = {"listen": ["127.0.0.1:%d" % self.port],
                        "master": ["127.0.0.1:%d" % master_port], "state-dir": self.state,
                        "poll-interval": 60, "read-timeout": 2, "connect-timeout": 2,
                        "log-level": "debug", "http": "127.0.0.1:%d" % self.http,
                        "rrl-rate": 0}  # scenarios ask more than 20/s from one address
        self.globals.update(globals_ or {})
        self.write(zones, extra_text)
        self.runs = 1
        super().__init__([h.binary("flatsign-slave"), "--config", self.conf],
                         log_path=tmp.file(name + "/slave.log"))

    def restart(self):
        """Starts the slave again on the same config and state (after stop() or a kill)."""
        self.runs += 1
        h.Process.__init__(self, [h.binary("flatsign-slave"), "--config", self.conf],
                           log_path=self.tmp.file("%s/slave%d.log" % (self.name, self.runs)))

    def write(self, zones, extra_text=""):
        def value(v):
            if isinstance(v, list):
                return "[" + ", ".join(value(x) for x in v) + "]"
            if isinstance(v, (int, float)):
                return str(v)
            return json.dumps(v)
        lines = ["# flatsign-slave test configuration"]
        lines += ["%s = %s" % (k, value(v)) for k, v in self.globals.items()]
        for z in zones:
            lines += ["", "[[zone]]"]
            lines += ["%s = %s" % (k, value(v)) for k, v in z.items()]
        os.makedirs(os.path.dirname(self.conf), exist_ok=True)
        with open(self.conf + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n" + extra_text)
        os.replace(self.conf + ".tmp", self.conf)

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def signed_path(self, zone):
        base = zone.rstrip(".").lower()
        return os.path.join(self.state, base, base + ".signed")

    def status(self, zone=None):
        url = "http://127.0.0.1:%d/status" % self.http
        if zone:
            url += "?zone=" + zone
        with urllib.request.urlopen(url, timeout=3) as r:
            return json.loads(r.read())

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.http, timeout=3) as r:
            return r.read().decode()

    def wait_signed(self, zones, timeout=30):
        h.wait_for(lambda: all(signed(z, self.port) for z in zones) or not self.alive(), timeout,
                   what="every zone served signed")
        h.check(self.alive(), "the slave exited:\n" + self.log()[-3000:])

    def verify(self, zone):
        res = h.run([h.peer("dnssec-verify"), "-z", "-o", zone, self.signed_path(zone)],
                    check_rc=False)
        h.check(res.returncode == 0, "dnssec-verify %s failed:\n%s%s" % (zone, res.stdout,
                                                                       res.stderr))

    def ds(self, zone):
        res = h.run([h.binary("flatsign-slave"), "ds", "--zone", zone, "--state-dir", self.state])
        return [line for line in res.stdout.splitlines() if line.strip()]


class Unbound(h.Process):
    """A validating unbound with a stub to 127.0.0.1@`port` for each of `zones` and `anchors`
    (presentation lines of DS or DNSKEY records) as trust anchors."""

    def __init__(self, tmp, port, zones, anchors, name="unbound"):
        self.port = h.free_port()
        conf = tmp.file(name + ".conf")
        lines = ["server:", "  interface: 127.0.0.1", "  port: %d" % self.port,
                 "  do-not-query-localhost: no", "  use-syslog: no", "  chroot: \"\"",
                 "  username: \"\"", "  directory: \"%s\"" % tmp.path, "  pidfile: \"\"",
                 "  logfile: \"\"", "  verbosity: 1", "  module-config: \"validator iterator\"",
                 "  val-log-level: 2", "  qname-minimisation: no", "  harden-referral-path: no",
                 "  target-fetch-policy: \"0 0 0 0 0\"", "  access-control: 127.0.0.0/8 allow",
                 "  local-zone: \"test.\" nodefault", "  " + h.unbound_port_avoid()]
        lines += ["  trust-anchor: %s" % (a if a.startswith('"') else '"%s"' % a.replace("\t", " "))
                  for a in anchors]
        for z in zones:
            lines += ["stub-zone:", "  name: \"%s\"" % z, "  stub-addr: 127.0.0.1@%d" % port]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        super().__init__([h.peer("unbound"), "-d", "-c", conf], log_path=tmp.file(name + ".log"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.ask(zones[0], "SOA")
                return
            except Exception:
                time.sleep(0.1)
        h.fail("unbound did not start:\n" + self.log())

    def ask(self, name, rdtype):
        q = dns.message.make_query(name, rdtype, want_dnssec=True)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=5)

    def secure(self, name, rdtype, rcode=dns.rcode.NOERROR):
        r = self.ask(name, rdtype)
        h.check(r.rcode() == rcode and r.flags & dns.flags.AD,
                "%s %s: rcode %s, AD %s\n%s\n%s" % (name, rdtype, dns.rcode.to_text(r.rcode()),
                                                   bool(r.flags & dns.flags.AD), r,
                                                   self.log()[-2000:]))
        return r
