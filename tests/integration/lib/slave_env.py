"""Helpers for the flatsign-slave scenarios (tests/integration/slave/*.py): a scripted fake master
(an asyncio TCP server on a free loopback port, in a thread) whose next AXFR answer the scenario
chooses — a good zone or a crafted broken stream — and the slave under test with its hooks."""
import asyncio
import os
import struct
import threading
import time

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

import harness as h

ZONE = "example.test."
ZONE_TEXT = """$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
@ NS ns2
ns1 A 127.0.0.1
ns2 A 127.0.0.2
www A 192.0.2.1
www AAAA 2001:db8::1
mail A 192.0.2.25
@ MX 10 mail
txt TXT "hello"
sub NS ns.sub
ns.sub A 192.0.2.53
alias CNAME www
"""

# The same zone with most RRsets gone: trips the default 50% shrink guard.
SHRUNK_TEXT = """$TTL 3600
@ SOA ns1 hostmaster 2024010102 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
"""


def zone_rrsets(text=ZONE_TEXT, origin=ZONE):
    """(soa_rrset, [other rrsets]) of a zone text."""
    z = dns.zone.from_text(text, origin=origin, relativize=False)
    soa, rest = None, []
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            rrset = dns.rrset.RRset(name, rds.rdclass, rds.rdtype)
            rrset.update(rds)
            if rds.rdtype == dns.rdatatype.SOA:
                soa = rrset
            else:
                rest.append(rrset)
    return soa, rest


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


class FakeMaster:
    """Answers every AXFR with self.mode: 'good' (self.zone_text in two messages), 'truncated'
    (the first message, then close), 'garbage', 'soa_only', 'mismatch' (closing SOA with another
    serial), 'servfail', 'stall' (first message, then silence), 'trickle' (first message, then
    an empty message every 0.3 s, never the end), 'unsigned' (the good zone
    without TSIG). With a keyring, queries must be TSIG-signed and 'good' is one signed message.
    Counts transfers served. Also answers SOA queries over UDP on the same port (the current
    zone's SOA, signed when a keyring is set), counted in soa_queries."""

    def __init__(self, keyring=None):
        self.keyring = keyring
        self.port = h.free_port()
        self.mode = "good"
        self.zone_text = ZONE_TEXT
        self.transfers = 0
        self.soa_queries = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self._server = server
        self._udp, _ = self._loop.run_until_complete(self._loop.create_datagram_endpoint(
            lambda: _SoaOverUdp(self), local_addr=("127.0.0.1", self.port)))
        self._ready.set()
        self._loop.run_forever()

    async def _shutdown(self):
        self._server.close()
        self._udp.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self):
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def messages(self, query):
        soa, rest = zone_rrsets(SHRUNK_TEXT if self.mode == "shrunk" else self.zone_text)
        first = dns.message.make_response(query)
        first.flags |= dns.flags.AA
        half = len(rest) // 2
        first.answer = [soa] + rest[:half]
        second = dns.message.make_response(query)
        second.question = []
        second.answer = rest[half:] + [soa]
        return soa, rest, first, second

    async def _serve(self, reader, writer):
        try:
            length = struct.unpack("!H", await reader.readexactly(2))[0]
            query = dns.message.from_wire(await reader.readexactly(length), keyring=self.keyring)
            self.transfers += 1
            soa, rest, first, second = self.messages(query)
            mode = self.mode
            if mode in ("good", "unsigned") and self.keyring:
                one = dns.message.make_response(query)
                one.answer = [soa] + rest + [soa]
                if mode == "unsigned":
                    one.tsig = None
                writer.write(frame(one.to_wire()))
            elif mode in ("good", "shrunk"):
                writer.write(frame(first.to_wire()) + frame(second.to_wire()))
            elif mode == "truncated":
                writer.write(frame(first.to_wire()))
            elif mode == "garbage":
                writer.write(frame(b"\x12\x34" + os.urandom(40)))
            elif mode == "soa_only":
                m = dns.message.make_response(query)
                m.answer = [soa, soa]
                writer.write(frame(m.to_wire()))
            elif mode == "mismatch":
                other = dns.rrset.from_text(soa.name, soa.ttl, "IN", "SOA",
                                            soa[0].to_text().replace(str(soa[0].serial),
                                                                     str(soa[0].serial + 1)))
                second.answer = rest[len(rest) // 2:] + [other]
                writer.write(frame(first.to_wire()) + frame(second.to_wire()))
            elif mode == "servfail":
                m = dns.message.make_response(query)
                m.set_rcode(dns.rcode.SERVFAIL)
                writer.write(frame(m.to_wire()))
            elif mode == "trickle":
                writer.write(frame(first.to_wire()))
                await writer.drain()
                empty = dns.message.make_response(query)
                empty.question = []
                for _ in range(200):  # 60 s at most; the slave's deadline ends it first
                    if self.mode != "trickle":
                        break
                    await asyncio.sleep(0.3)
                    writer.write(frame(empty.to_wire()))
                    await writer.drain()
            elif mode == "stall":
                writer.write(frame(first.to_wire()))
                await writer.drain()
                for _ in range(50):  # until the test moves on; the slave gives up after 1 s
                    if self.mode != "stall":
                        break
                    await asyncio.sleep(0.1)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class _SoaOverUdp(asyncio.DatagramProtocol):
    """The fake master's UDP side: an authoritative SOA answer for the zone it serves."""

    def __init__(self, master):
        self.master = master

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        try:
            query = dns.message.from_wire(data, keyring=self.master.keyring)
        except Exception:  # noqa: BLE001 - a fake master ignores what it cannot parse
            return
        self.master.soa_queries += 1
        soa, _ = zone_rrsets(self.master.zone_text)
        r = dns.message.make_response(query)
        r.flags |= dns.flags.AA
        r.answer = [soa]
        self.transport.sendto(r.to_wire(), addr)


class Slave(h.Process):
    """flatsign-slave for example.test against `master_port`, with hooks appending their JSON
    stdin to <dir>/changes.jsonl and their verdicts to <dir>/alerts.txt."""

    def __init__(self, tmp, master_port, extra=(), poll_interval=1, port=None, rrl_off=True):
        self.tmp = tmp
        self.port = port or h.free_port()
        self.state = tmp.file("state")
        os.makedirs(self.state, exist_ok=True)
        self.zone_state = os.path.join(self.state, "example.test")  # the zone's own folder
        self.signed = os.path.join(self.zone_state, "example.test.signed")
        self.alerts = tmp.file("alerts.txt")
        self.changes = tmp.file("changes.jsonl")
        cmd = [h.binary("flatsign-slave"), "--listen", "127.0.0.1:%d" % self.port,
               "--zone", ZONE, "--master", "127.0.0.1:%d" % master_port,
               "--state-dir", self.state, "--poll-interval", str(poll_interval),
               "--read-timeout", "1", "--connect-timeout", "1", "--log-level", "debug",
               "--on-change", "cat >> %s" % self.changes,
               "--on-alert", 'echo "$FLATSIGN_VERDICT $FLATSIGN_DETAIL" >> %s' % self.alerts]
        # Scenarios ask far more than 20 answers a second from one address: rate limiting is
        # off unless a scenario sets it (rrl_off=False for binaries without the option).
        if rrl_off and "--rrl-rate" not in extra:
            cmd += ["--rrl-rate", "0"]
        super().__init__(cmd + list(extra), log_path=tmp.file("slave.log"))

    def alert_lines(self):
        if not os.path.exists(self.alerts):
            return []
        with open(self.alerts) as f:
            return f.read().splitlines()

    def wait_signed(self, timeout=20):
        """Until the signed zone file is written and the zone answers (a small zone's file is
        written just before its snapshot is swapped in, so the file alone comes first)."""
        h.wait_for(lambda: os.path.exists(self.signed) or not self.alive(), timeout,
                   what="the signed zone file")
        h.wait_for(lambda: query_soa(self.port) is not None or not self.alive(), timeout,
                   what="the zone served")
        h.check(self.alive(), "the slave exited:\n" + self.log())

    def verify(self):
        res = h.run([h.peer("dnssec-verify"), "-z", "-o", ZONE, self.signed], check_rc=False)
        h.check(res.returncode == 0, "dnssec-verify failed:\n%s%s" % (res.stdout, res.stderr))


def generated_zone_text(tmp, names):
    """The text of a scripts/gen-zone zone of `names` names for ZONE, without ALIAS records (a
    large zone for a master to serve)."""
    path = tmp.file("generated.zone")
    h.gen_zone(path, names, origin=ZONE, extra=["--no-alias"])
    with open(path) as f:
        return f.read()


def stat_of(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return f.read(), st.st_mtime_ns


def wait_transfers(master, n, timeout=15):
    start = master.transfers
    h.wait_for(lambda: master.transfers >= start + n, timeout, what="%d more transfers" % n)
    time.sleep(0.3)  # let the slave finish handling the last one


def query_soa(port):
    """The serial the slave serves for example.test over UDP, or None."""
    import dns.query
    q = dns.message.make_query(ZONE, "SOA")
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    except Exception:  # noqa: BLE001 - any failure means no answer
        return None
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


TSIG_NAME = "xfr-key."
TSIG_SECRET = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def tsig_keyring():
    import dns.tsigkeyring
    return dns.tsigkeyring.from_text({TSIG_NAME: ("hmac-sha256", TSIG_SECRET)})


def refusal_scenario(mode, verdict, tsig=False, once=False):
    """Publishes a good zone, then switches the fake master to `mode`: the slave must log and
    alert `verdict`, leave the signed file untouched and keep serving the same serial."""
    master = FakeMaster(tsig_keyring() if tsig else None)
    extra = ["--tsig", "%shmac-sha256:%s" % (TSIG_NAME.rstrip(".") + ":", TSIG_SECRET)] if tsig else []
    with h.TempDir() as tmp, Slave(tmp, master.port, extra=extra) as slave:
        slave.wait_signed()
        before = stat_of(slave.signed)
        serial = query_soa(slave.port)
        h.check(serial is not None, "the slave does not answer SOA:\n" + slave.log()[-2000:])
        master.mode = mode
        h.wait_for(lambda: any(line.startswith(verdict + " ") for line in slave.alert_lines()),
                   20, what="an on-alert run with %s" % verdict)
        wait_transfers(master, 1)
        h.check(stat_of(slave.signed) == before, "a refused transfer changed the signed file")
        h.check(query_soa(slave.port) == serial, "the served serial changed")
        h.check(slave.alive(), "the slave died:\n" + slave.log()[-2000:])
        h.check("refused: " + verdict in slave.log(), "no refusal log line for " + verdict)
        other = [a for a in slave.alert_lines() if not a.startswith(verdict + " ")]
        h.check(not other, "unexpected alerts: %s" % other)
        if once:
            # The slave asks IXFR, then AXFR at once: one failure of the master, one alert
            # (the AXFR's), not one for each form.
            h.check("IXFR answered with an error" in slave.log(),
                    "the IXFR's error was not logged:\n" + slave.log()[-2000:])
            ixfr = [a for a in slave.alert_lines() if "IXFR" in a]
            h.check(not ixfr, "an alert for the IXFR as well as the AXFR: %s" % ixfr)
        master.mode = "good"
        wait_transfers(master, 1)
        h.check(stat_of(slave.signed) == before, "the good zone again was not 'unchanged'")
    master.stop()
    h.ok("%s refused with %s, published zone unchanged" % (mode, verdict))
