"""Helpers for the serving scenarios (tests/integration/serve/*.py): flatsign-slave signs a zone
with every answer shape (wildcard, ENT, CNAME, signed and unsigned delegations with glue) from
the fake master and serves it; queries over UDP/TCP with dnspython; unbound as a validator."""
import os
import time

import dns.flags
import dns.message
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.zone

import harness as h
import slave_env as env

ZONE = env.ZONE  # example.test.
SERVE_TEXT = """$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.1
www AAAA 2001:db8::1
Mixed TXT "case"
mail A 192.0.2.25
@ MX 10 mail
a.b.ent A 192.0.2.7
*.wild TXT "wildcard"
*.wild A 192.0.2.99
alias CNAME www
chain CNAME alias
dangling CNAME nothere
sub NS ns.sub
ns.sub A 192.0.2.53
sec NS ns1
sec DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"""


class SignedSlave:
    """A fake master with SERVE_TEXT and a flatsign-slave (extra args, e.g. --denial nsec3) that
    has signed and is serving it. Use as a context manager inside a TempDir."""

    def __init__(self, tmp, extra=()):
        self.master = env.FakeMaster()
        self.master.zone_text = SERVE_TEXT
        self.slave = env.Slave(tmp, self.master.port, extra=extra, poll_interval=60)
        self.port = self.slave.port
        self.signed = self.slave.signed

    def __enter__(self):
        self.slave.wait_signed()
        h.wait_for(lambda: answers("www." + ZONE, "A", self.port), 10,
                   what="the slave answering www")
        return self

    def __exit__(self, *exc):
        self.slave.stop()
        self.master.stop()


def query(name, rdtype, port, dnssec=False, tcp=False, payload=1232, timeout=3):
    q = dns.message.make_query(name, rdtype, want_dnssec=dnssec, use_edns=0, payload=payload)
    q.flags &= ~dns.flags.RD
    send = dns.query.tcp if tcp else dns.query.udp
    return send(q, "127.0.0.1", port=port, timeout=timeout)


def answers(name, rdtype, port):
    """True when the server on `port` answers `name` `rdtype` with records (no exception)."""
    try:
        return bool(query(name, rdtype, port, timeout=1).answer)
    except Exception:
        return False


def nsec3_owners(zonefile):
    """The owner names of the NSEC3 records in the signed `zonefile`, in file order: hashed
    names that answers treat as nonexistent (RFC 5155 §7.2.8)."""
    z = dns.zone.from_file(zonefile, origin=ZONE, relativize=False)
    return [name.to_text() for name, node in z.nodes.items()
            if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3)]


def dnskey_anchor(port):
    """The zone's DNSKEY RRset as served, as unbound trust-anchor lines."""
    r = query(ZONE, "DNSKEY", port)
    h.check(r.answer, "no DNSKEY served")
    return ['"%s"' % line for line in r.answer[0].to_text().splitlines()]


class Unbound(h.Process):
    """A validating unbound on a free port, stub to 127.0.0.1@`port` for the zone, with
    `anchors` (presentation lines) as trust anchors."""

    def __init__(self, tmp, port, anchors):
        self.port = h.free_port()
        conf = tmp.file("unbound.conf")
        lines = ["server:", "  interface: 127.0.0.1", "  port: %d" % self.port,
                 "  do-not-query-localhost: no", "  use-syslog: no", "  chroot: \"\"",
                 "  username: \"\"", "  directory: \"%s\"" % tmp.path, "  pidfile: \"\"",
                 "  logfile: \"\"", "  verbosity: 1", "  module-config: \"validator iterator\"",
                 "  val-log-level: 2", "  qname-minimisation: no", "  harden-referral-path: no",
                 "  target-fetch-policy: \"0 0 0 0 0\"", "  access-control: 127.0.0.0/8 allow",
                 "  local-zone: \"test.\" nodefault",  # RFC 6761 default zone
                 "  " + h.unbound_port_avoid()]
        lines += ["  trust-anchor: %s" % a for a in anchors]
        lines += ["stub-zone:", "  name: \"%s\"" % ZONE, "  stub-addr: 127.0.0.1@%d" % port]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        super().__init__([h.peer("unbound"), "-d", "-c", conf], log_path=tmp.file("unbound.log"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.ask(ZONE, "SOA")
                return
            except Exception:
                time.sleep(0.1)
        h.fail("unbound did not start:\n" + self.log())

    def ask(self, name, rdtype):
        q = dns.message.make_query(name, rdtype, want_dnssec=True)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=5)
