"""Helpers for the IXFR-out scenarios (tests/integration/serve/ixfr_*.py, secondary_*.py): a
flatsign-slave publishing successive versions from the fake master, transfers from it with
dnspython (AXFR, IXFR with TSIG), and an IXFR reply applied to an older AXFR (RFC 1995 §4)."""
import os
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsig

import harness as h
import master_env as m
import serve_env as s
import slave_env as env

ZONE = env.ZONE
# One key for every hop (fake master -> slave -> secondaries): master_env's, which its NSD and
# Knot secondaries are configured with.
TSIG_NAME = "xfr-key."
TSIG_ARG = "xfr-key:hmac-sha256:" + m.TSIG_SECRET


def keyring(name=TSIG_NAME, secret=m.TSIG_SECRET):
    import dns.tsigkeyring
    return dns.tsigkeyring.from_text({name: ("hmac-sha256", secret)})


def rr_list(messages):
    """The answer RRs of a transfer, in order, one (name, ttl, type, rdata text) per RR."""
    out = []
    for m in messages:
        for rrset in m.answer:
            for rd in rrset:
                out.append((rrset.name.to_text().lower(), rrset.ttl, rrset.rdtype,
                            rd.to_text()))
    return out


def transfer(port, rdtype="AXFR", serial=None, tsig=True, udp=False, payload=None,
             source="127.0.0.1"):
    """The messages of an AXFR or IXFR (from `serial`) of the zone from 127.0.0.1@port, each
    TSIG-verified when `tsig` (True: xfr-key; or a (name, secret) pair); over UDP a single
    message (EDNS with `payload` when set)."""
    q = dns.message.make_query(ZONE, rdtype, use_edns=0 if payload else False,
                               payload=payload or 512)
    if serial is not None:
        soa = dns.rrset.from_text(ZONE, 0, "IN", "SOA",
                                  ". . %d 0 0 0 0" % serial)
        q.authority.append(soa)
    name, secret = tsig if isinstance(tsig, tuple) else (TSIG_NAME, m.TSIG_SECRET)
    ring = keyring(name, secret) if tsig else None
    if tsig:
        q.use_tsig(ring, keyname=name, algorithm=dns.tsig.HMAC_SHA256)
        q.to_wire()  # sets q.mac, which the reply's TSIG covers
    if udp:
        return [dns.query.udp(q, "127.0.0.1", port=port, timeout=5, one_rr_per_rrset=True,
                              source=source)]
    return _xfr(q, port, rdtype == "IXFR", ring)


def _xfr(q, port, ixfr, keyring):
    """Sends `q` over TCP and reads messages, each TSIG-verified with `keyring`, until the
    transfer's closing SOA: the second SOA of an AXFR (or an IXFR in AXFR form), the end of an
    RFC 1995 §4 sequence, or after a lone SOA (up to date)."""
    import socket
    import struct
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def read(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            h.check(chunk, "the transfer was closed before its closing SOA")
            buf += chunk
        return buf

    try:
        wire = q.to_wire()
        sock.sendall(struct.pack("!H", len(wire)) + wire)
        messages, tsig_ctx, rrs = [], None, []
        state = "first"  # first, second, axfr, old_soa, deletions, additions
        while True:
            length = struct.unpack("!H", read(2))[0]
            m = dns.message.from_wire(read(length), keyring=keyring, request_mac=q.mac,
                                      xfr=True, tsig_ctx=tsig_ctx, multi=bool(keyring),
                                      one_rr_per_rrset=True)
            tsig_ctx = m.tsig_ctx
            messages.append(m)
            h.check(m.rcode() == 0, "transfer answered %s" % dns.rcode.to_text(m.rcode()))
            for rrset in m.answer:
                for rd in rrset:
                    soa = rrset.rdtype == dns.rdatatype.SOA
                    rrs.append(rd)
                    if state == "first":
                        h.check(soa, "the transfer does not start with the SOA")
                        current, state = rd.serial, "second"
                    elif state == "second":
                        state = "old_soa" if (ixfr and soa) else "axfr"
                        if soa and not ixfr:
                            return messages
                        if state == "old_soa":
                            state = "deletions"  # this RR was the first step's old SOA
                    elif state == "axfr":
                        if soa:
                            return messages
                    elif state == "deletions":
                        if soa:
                            state = "additions"
                    elif state == "additions":
                        if soa:
                            if rd.serial == current:
                                return messages
                            state = "deletions"
            if state == "second" and ixfr:
                return messages  # a lone SOA: up to date (RFC 1995 §2)
    finally:
        sock.close()


def ixfr_kind(rrs):
    """'soa-only', 'incremental' or 'axfr' for the RRs of an IXFR reply (RFC 1995 §4)."""
    if len(rrs) == 1:
        return "soa-only"
    return "incremental" if rrs[1][2] == dns.rdatatype.SOA else "axfr"


def apply_ixfr(old_rrs, ixfr_rrs):
    """The RR set (name, ttl, type, rdata) after applying an incremental reply to `old_rrs`
    (an AXFR's RRs); fails the scenario when the reply is not a well-formed sequence."""
    zone = {(n, t, rd): ttl for n, ttl, t, rd in old_rrs if t != dns.rdatatype.SOA}
    cur = ixfr_rrs[0]
    h.check(cur[2] == dns.rdatatype.SOA, "IXFR does not start with the SOA")
    i = 1
    while True:
        h.check(ixfr_rrs[i][2] == dns.rdatatype.SOA, "expected an old SOA at RR %d" % i)
        if i == len(ixfr_rrs) - 1:
            h.check(ixfr_rrs[i] == cur, "the last RR is not the current SOA")
            break
        i += 1
        while ixfr_rrs[i][2] != dns.rdatatype.SOA:
            n, ttl, t, rd = ixfr_rrs[i]
            h.check((n, t, rd) in zone, "IXFR deletes an absent RR: %s" % (ixfr_rrs[i],))
            del zone[(n, t, rd)]
            i += 1
        i += 1  # the new SOA of this step
        while ixfr_rrs[i][2] != dns.rdatatype.SOA:
            n, ttl, t, rd = ixfr_rrs[i]
            zone[(n, t, rd)] = ttl
            i += 1
    return {(n, ttl, t, rd) for (n, t, rd), ttl in zone.items()} | {cur}


def axfr_set(rrs):
    return set(rrs)


class SigningSlave:
    """The fake master (TSIG) with SERVE_TEXT and a flatsign-slave signing it with the same key
    for its own transfers out; bump() changes the zone upstream and waits for the new serial."""

    def __init__(self, tmp, extra=(), port=None):
        self.tmp = tmp
        self.master = env.FakeMaster(keyring())
        self.master.zone_text = s.SERVE_TEXT
        self.extra = ["--tsig", TSIG_ARG] + list(extra)
        self.port = port or h.free_port()
        self.version = 0
        self.start()

    def start(self):
        self.slave = env.Slave(self.tmp, self.master.port, extra=self.extra, poll_interval=1,
                               port=self.port)
        self.slave.wait_signed()
        h.wait_for(lambda: env.query_soa(self.port) is not None, 10, what="the slave's SOA")

    def serial(self):
        return env.query_soa(self.port)

    def bump(self, line=None):
        """Adds a record upstream (a new name each time) and waits until the slave serves a
        newer serial; returns it."""
        before = self.serial()
        self.version += 1
        line = line or "v%d A 192.0.2.%d" % (self.version, 100 + self.version)
        self.master.zone_text = self.master.zone_text.rstrip("\n") + "\n" + line + "\n"
        h.wait_for(lambda: (self.serial() or before) != before, 20,
                   what="the slave to publish version %d\n%s" % (self.version,
                                                                 self.slave.log()[-2000:]))
        time.sleep(0.2)
        return self.serial()

    def stop(self):
        self.slave.stop()
        self.master.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def journal_path(slave):
    return os.path.join(slave.state, "example.test", "example.test.journal")


def start_bind(tmp, primary_port, key, port):
    """BIND (named) as a secondary of 127.0.0.1@primary_port (transfers and SOA queries signed
    with the key when `key`), in the foreground; returns (Process, port)."""
    named = h.peer("named")
    d = tmp.file("bind")
    os.makedirs(d, exist_ok=True)
    keyclause = ('key "xfr-key" { algorithm hmac-sha256; secret "%s"; };\n'
                 'server 127.0.0.1 { keys { xfr-key; }; };\n' % m.TSIG_SECRET) if key else ""
    conf = tmp.write("bind/named.conf", """options {
  directory "%s";
  pid-file "%s/named.pid";
  session-keyfile "%s/session.key";
  listen-on port %d { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-query { any; };
};
controls { };
%szone "example.test" {
  type secondary;
  primaries port %d { 127.0.0.1%s; };
  file "%s/example.test.bk";
  masterfile-format text;
  allow-notify { 127.0.0.1; };
};
""" % (d, d, d, port, keyclause, primary_port, " key xfr-key" if key else "", d))
    return h.Process([named, "-g", "-n", "1", "-c", conf], log_path=tmp.file("bind/named.log")), port


STARTERS = {"nsd": m.start_nsd, "knot": m.start_knot, "bind": start_bind}
# Names whose signed answers must be the same at the slave and the secondary.
COMPARED = [(ZONE, "SOA"), (ZONE, "DNSKEY"), ("www." + ZONE, "A"), ("nx." + ZONE, "A"),
            ("x.wild." + ZONE, "TXT")]


def signed_answer(name, rdtype, port):
    """The answer RRs and the authority's SOA/NSEC proof (with RRSIGs) of a DO query, as sorted
    text lines; the apex NS some servers add to the authority section is left out."""
    r = s.query(name, rdtype, port, dnssec=True, tcp=True)
    rrsets = list(r.answer) + [x for x in r.authority if x.rdtype != dns.rdatatype.NS and
                               x.covers != dns.rdatatype.NS]
    return sorted(line for rrset in rrsets for line in rrset.to_text().splitlines())


def ds_anchor(state_dir):
    res = h.run([h.binary("flatsign-slave"), "ds", "--zone", ZONE, "--state-dir", state_dir])
    return ['"%s"' % line.replace("\t", " ") for line in res.stdout.splitlines() if line]


def secondary(kind):
    """The scenario of serve/secondary_<kind>.py: `kind` pulls the signed zone from the slave
    with TSIG, serves the slave's very RRSIGs, follows an upstream change by NOTIFY + IXFR, and
    its answers validate in unbound from the slave's DS."""
    with h.TempDir() as tmp:
        sport = h.free_port()
        with SigningSlave(tmp, extra=["--notify", "127.0.0.1:%d" % sport]) as srv:
            proc, sport = STARTERS[kind](tmp, srv.port, True, sport)
            try:
                def same(name, rdtype):
                    try:
                        return signed_answer(name, rdtype, sport) == signed_answer(
                            name, rdtype, srv.port)
                    except Exception:  # noqa: BLE001 - not serving yet
                        return False

                serial = srv.serial()
                h.wait_for(lambda: env.query_soa(sport) == serial, 30,
                           what="%s to load serial %s\n%s" % (kind, serial, proc.log()[-3000:]))
                for name, rdtype in COMPARED:
                    h.wait_for(lambda: same(name, rdtype), 5,
                               what="%s %s signed the same on %s" % (name, rdtype, kind))
                new = srv.bump("fresh A 192.0.2.201")
                h.wait_for(lambda: env.query_soa(sport) == new, 30,
                           what="%s to follow NOTIFY to serial %s\n%s\n%s" % (
                               kind, new, srv.slave.log()[-2000:], proc.log()[-3000:]))
                for name, rdtype in COMPARED + [("fresh." + ZONE, "A")]:
                    h.check(same(name, rdtype), "%s %s differs on %s after the change:\n%s\n%s"
                            % (name, rdtype, kind, signed_answer(name, rdtype, sport),
                               signed_answer(name, rdtype, srv.port)))
                line = "IXFR from serial %d to %d: incremental" % (serial, new)
                h.check(line in srv.slave.log(), "%s did not get the change by IXFR (no '%s'):\n%s"
                        % (kind, line, srv.slave.log()[-3000:]))
                with s.Unbound(tmp, sport, ds_anchor(srv.slave.state)) as ub:
                    for name, rdtype, rcode in (("fresh." + ZONE, "A", 0), ("nx." + ZONE, "A", 3),
                                                ("www." + ZONE, "TXT", 0)):
                        r = ub.ask(name, rdtype)
                        h.check(r.rcode() == rcode and r.flags & dns.flags.AD,
                                "unbound via %s: %s %s not validated:\n%s\n%s" % (
                                    kind, name, rdtype, r, ub.log()[-2000:]))
            finally:
                proc.stop()
    h.ok("%s as a secondary of the slave (TSIG, NOTIFY + IXFR) serves the signed zone; unbound "
         "validates it from the slave's DS" % kind)
