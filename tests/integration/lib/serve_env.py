"""Helpers for the serving scenarios (tests/integration/serve/*.py): flatsign-slave signs a zone
with every answer shape (wildcard, ENT, CNAME, signed and unsigned delegations with glue) from
the fake master and serves it; queries over UDP/TCP with dnspython; unbound as a validator."""
import os

import dns.flags
import dns.message
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.zone

import harness as h
import slave_env as env
import zones_env

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


class Unbound(zones_env.Unbound):
    """A validating unbound on a free port, stub to 127.0.0.1@`port` for the zone, with
    `anchors` (presentation lines) as trust anchors."""

    def __init__(self, tmp, port, anchors):
        super().__init__(tmp, port, [ZONE], anchors)


def nsd_conf(d, port, files):
    """NSD's configuration serving `files` ({origin: zone file}) on 127.0.0.1:`port`, its state
    files in the folder `d`."""
    zones = "".join('zone:\n  name: "%s"\n  zonefile: "%s"\n' % (o, f) for o, f in files.items())
    return """server:
  ip-address: 127.0.0.1@%d
  port: %d
  database: ""
  zonesdir: "%s"
  zonelistfile: "%s/zone.list"
  xfrdfile: "%s/xfrd.state"
  pidfile: "%s/nsd.pid"
  username: ""
  chroot: ""
  logfile: "%s/nsd.log"
  verbosity: 1
  rrl-ratelimit: 0
  server-count: 1
remote-control:
  control-enable: no
%s""" % (port, port, d, d, d, d, d, zones)


def start_nsd(tmp, files, port):
    """NSD serving `files` ({origin: signed zone file}) on `port`, as the reference server for
    comparing answers; returns the running process once it answers the first zone's SOA."""
    d = tmp.file("nsd")
    os.makedirs(d, exist_ok=True)
    conf = tmp.write("nsd/nsd.conf", nsd_conf(d, port, files))
    p = h.Process([h.peer("nsd"), "-d", "-c", conf], log_path=tmp.file("nsd/stdout.log"))
    first = next(iter(files))
    h.wait_for(lambda: answers(first, "SOA", port) or not p.alive(), 10, what="nsd")
    h.check(p.alive(), "nsd exited:\n" + p.log())
    return p
