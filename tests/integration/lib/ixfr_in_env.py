"""Helpers for the IXFR-in scenarios (tests/integration/slave/ixfr_in_*.py): Knot and BIND as the
slave's primaries with a journal (a one-record change made by knotc transaction or dynamic
update, so they answer IXFR), their logs of outgoing transfers, and a fake primary whose IXFR
answers are broken on purpose."""
import asyncio
import os
import struct

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.rrset
import dns.update

import harness as h
import slave_env as env

ZONE = env.ZONE
NEW_ADDRESS = "192.0.2.77"


def start_knot_primary(tmp, slave_port):
    """Knot serving example.test from a zone file, journaling changes, NOTIFYing the slave;
    returns (Process, port, control socket)."""
    d = tmp.file("knot-primary")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    zonefile = tmp.write("knot-primary/example.test.zone", env.ZONE_TEXT)
    port = h.free_port()
    conf = tmp.write("knot-primary/knot.conf", """server:
  listen: 127.0.0.1@{port}
  rundir: "{d}"
control:
  listen: "{d}/knot.sock"
database:
  storage: "{d}/db"
log:
  - target: stderr
    any: info
remote:
  - id: slave
    address: 127.0.0.1@{sport}
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "{d}"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: example.test
    file: "{zonefile}"
    notify: slave
    acl: xfr
""".format(port=port, d=d, sport=slave_port, zonefile=zonefile))
    proc = h.Process([h.peer("knotd"), "-c", conf], log_path=tmp.file("knot-primary/knot.log"))
    h.wait_for(lambda: env.query_soa(port) is not None or not proc.alive(), 20,
               what="the Knot primary to load example.test")
    h.check(proc.alive(), "knotd exited:\n" + proc.log())
    return proc, port, os.path.join(d, "knot.sock")


def knot_change(sock, owner, rdtype, new):
    """Replaces `owner` `rdtype` with `new` in one knotc transaction (a new serial)."""
    knotc = h.peer("knotc")
    h.run([knotc, "-s", sock, "zone-begin", ZONE])
    h.run([knotc, "-s", sock, "zone-unset", ZONE, owner, rdtype])
    h.run([knotc, "-s", sock, "zone-set", ZONE, owner, "3600", rdtype, new])
    h.run([knotc, "-s", sock, "zone-commit", ZONE])


def start_bind_primary(tmp, slave_port):
    """BIND (named) serving example.test as a primary with dynamic updates from 127.0.0.1 (its
    journal answers IXFR), NOTIFYing the slave; returns (Process, port)."""
    d = tmp.file("bind-primary")
    os.makedirs(d, exist_ok=True)
    zonefile = tmp.write("bind-primary/example.test.zone", env.ZONE_TEXT)
    port = h.free_port()
    conf = tmp.write("bind-primary/named.conf", """options {
  directory "%s";
  pid-file "%s/named.pid";
  session-keyfile "%s/session.key";
  listen-on port %d { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify explicit;
  also-notify { 127.0.0.1 port %d; };
  allow-transfer { 127.0.0.1; };
};
controls { };
zone "example.test" {
  type primary;
  file "%s";
  allow-update { 127.0.0.1; };
};
""" % (d, d, d, port, slave_port, zonefile))
    proc = h.Process([h.peer("named"), "-g", "-n", "1", "-c", conf],
                     log_path=tmp.file("bind-primary/named.log"))
    h.wait_for(lambda: env.query_soa(port) is not None or not proc.alive(), 20,
               what="BIND to load example.test")
    h.check(proc.alive(), "named exited:\n" + proc.log())
    return proc, port


def bind_change(port, owner, rdtype, new):
    """Replaces `owner` `rdtype` with `new` by a dynamic update (RFC 2136; a new serial)."""
    u = dns.update.Update(ZONE)
    u.replace(owner, 3600, rdtype, new)
    r = dns.query.tcp(u, "127.0.0.1", port=port, timeout=10)
    h.check(r.rcode() == 0, "the update was answered %s" % r.rcode())


def signed_answer(port, name, rdtype="A"):
    """(addresses, signed) of `name` at the slave, asked with DO."""
    q = dns.message.make_query(name, rdtype, want_dnssec=True)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    except Exception:  # noqa: BLE001 - not answering yet
        return set(), False
    got = {rd.to_text() for x in r.answer if x.rdtype == dns.rdatatype.from_text(rdtype)
           for rd in x}
    return got, any(x.rdtype == dns.rdatatype.RRSIG for x in r.answer)


def wait_served(slave, address, what):
    """Waits until the slave answers www with `address` and its RRSIG."""
    h.wait_for(lambda: signed_answer(slave.port, "www." + ZONE) == ({address}, True), 30,
               what=lambda: "%s: www %s served signed\n%s" % (what, address, slave.log()[-3000:]))


# ---------------------------------------------------------------------------------------------
# A fake primary with broken IXFR answers


def _soa_rr(serial):
    soa, _ = env.zone_rrsets()
    text = soa[0].to_text().split()
    text[2] = str(serial)
    return dns.rrset.from_text(ZONE, soa.ttl, "IN", "SOA", " ".join(text))


def broken_ixfr(mode, query, new_serial):
    """The messages of a broken IXFR answer to `query` (whose authority holds the slave's
    serial), going to `new_serial`: 'delete_missing' deletes a record the zone does not hold,
    'bad_chain' has a second step that does not start where the first ended, 'truncated' stops
    before its closing SOA (the connection is then closed)."""
    old = query.authority[0][0].serial
    new = _soa_rr(new_serial)
    changed = dns.rrset.from_text("www." + ZONE, 3600, "IN", "A", NEW_ADDRESS)
    present = dns.rrset.from_text("www." + ZONE, 3600, "IN", "A", "192.0.2.1")
    if mode == "delete_missing":
        absent = dns.rrset.from_text("nothere." + ZONE, 3600, "IN", "A", "192.0.2.250")
        rrsets = [new, _soa_rr(old), absent, new, changed, new]
    elif mode == "bad_chain":
        rrsets = [new, _soa_rr(old), present, _soa_rr(old + 1), changed, _soa_rr(old + 5),
                  new, new]
    elif mode == "truncated":
        rrsets = [new, _soa_rr(old), present, new, changed]
    else:
        raise ValueError(mode)
    m = dns.message.make_response(query)
    m.flags |= dns.flags.AA
    m.answer = rrsets
    return [m.to_wire()]


class IxfrFakeMaster(env.FakeMaster):
    """FakeMaster answering IXFR with broken_ixfr(self.ixfr_mode) while that is set (and AXFR
    with the zone as usual); self.qtypes lists the transfer types asked, in order."""

    def __init__(self):
        super().__init__()
        self.ixfr_mode = None
        self.ixfr_serial = None
        self.qtypes = []

    async def _serve(self, reader, writer):
        try:
            data = await reader.readexactly(2)
            length = struct.unpack("!H", data)[0]
            wire = await reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        query = dns.message.from_wire(wire)
        qtype = dns.rdatatype.to_text(query.question[0].rdtype)
        self.qtypes.append(qtype)
        if qtype == "IXFR" and self.ixfr_mode:
            self.transfers += 1
            for m in broken_ixfr(self.ixfr_mode, query, self.ixfr_serial):
                writer.write(env.frame(m))
            await writer.drain()
            writer.close()
            return
        # Anything else as FakeMaster answers it (the good zone in AXFR form).
        feeder = asyncio.StreamReader()
        feeder.feed_data(data + wire)
        feeder.feed_eof()
        await env.FakeMaster._serve(self, feeder, writer)


NEW_ZONE_SERIAL = 2024010105


def broken_ixfr_scenario(mode, verdict):
    """The slave publishes the fake primary's zone by AXFR; the primary then moves to a new
    version whose IXFR answer is broken (`mode`): the slave refuses it with `verdict`, alerts,
    keeps serving the last good zone, asks AXFR next, and publishes the new version from it."""
    master = IxfrFakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port, poll_interval=1,
                                       extra=["--notify-min-interval", "3"]) as slave:
        slave.wait_signed()
        wait_served(slave, "192.0.2.1", "the first publication")
        h.wait_for(lambda: "IXFR" in master.qtypes, 10, what="the slave to poll by IXFR")
        serial = env.query_soa(slave.port)
        before = env.stat_of(slave.signed)
        master.ixfr_serial = NEW_ZONE_SERIAL
        master.ixfr_mode = mode
        master.zone_text = env.ZONE_TEXT.replace("2024010101", str(NEW_ZONE_SERIAL)).replace(
            "www A 192.0.2.1", "www A " + NEW_ADDRESS)
        asked = len(master.qtypes)
        h.wait_for(lambda: any(a.startswith(verdict + " ") for a in slave.alert_lines()), 20,
                   what=lambda: "an on-alert run with %s\n%s" % (verdict, slave.log()[-3000:]))
        # The refusal leaves the last good zone served (the AXFR waits notify-min-interval).
        h.check(env.query_soa(slave.port) == serial, "the served serial changed at the refusal")
        h.check(env.stat_of(slave.signed) == before, "the refused IXFR changed the signed file")
        h.check(signed_answer(slave.port, "www." + ZONE) == ({"192.0.2.1"}, True),
                "the last good www is not served")
        alert = [a for a in slave.alert_lines() if a.startswith(verdict + " ")][0]
        h.check("IXFR" in alert, "the alert does not say the IXFR was refused: " + alert)
        refused_at = master.qtypes[asked:].index("IXFR") + asked
        wait_served(slave, NEW_ADDRESS, "the AXFR after the refused IXFR")
        h.check(master.qtypes[refused_at + 1] == "AXFR",
                "after the refused IXFR the slave asked %s" % master.qtypes[refused_at + 1:])
        h.wait_for(lambda: NEW_ADDRESS in open(slave.signed).read(), 10,
                   what="the new version's signed file")
        slave.verify()
        h.check(slave.alive(), "the slave died:\n" + slave.log()[-2000:])
    master.stop()
    h.ok("a broken IXFR (%s) is refused with %s, the last good zone served, and the AXFR after "
         "it publishes the new version" % (mode, verdict))
