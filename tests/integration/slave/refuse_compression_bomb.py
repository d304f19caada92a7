"""A master whose transfer is a compression bomb (hundreds of thousands of A records whose
250-octet owner names are 2-octet compression pointers) is refused with refused-too-large and an
alert naming the master, the slave's memory grows by less than 3x the bomb's wire size while it
reads it, and the last good zone is still served. Two bombs: every record on one owner (the RRset
outgrows any DNS message), and two owners in turn that share no label (the names would take 15x
the octets that carried them)."""
import asyncio
import os
import struct
import sys
import threading
import time

import dns.flags
import dns.message

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402

RECORDS = 400_000


def long_owner(char):
    """A 255-octet wire name below example.test. made of labels of `char`."""
    labels = [char * 63, char * 63, char * 63, char * 47]
    return b"".join(bytes([len(l)]) + l.encode() for l in labels) + \
        b"\x07example\x04test\x00"


def bomb_messages(owners):
    """The bomb after the first message: RECORDS A records on `owners` in turn, each owner
    written once per message and then pointed to. Returns (record count, octets after the
    header) per message."""
    out, done = [], 0
    while done < RECORDS:
        parts, size, offsets, count = [], 0, [], 0
        while size < 65535 - 12 - 600 and done < RECORDS:
            i = done % len(owners)
            if len(offsets) <= i:
                offsets.append(12 + size)
                name = owners[i]
            else:
                name = struct.pack("!H", 0xC000 | offsets[i])
            rr = name + struct.pack("!HHIHI", 1, 1, 300, 4, done)
            parts.append(rr)
            size += len(rr)
            done += 1
            count += 1
        body = b"".join(parts)
        out.append((count, body))
    return out


def framed(query_id, count, body):
    return env.frame(struct.pack("!HHHHHH", query_id, 0x8400, 0, count, 0, 0) + body)


class BombMaster(env.FakeMaster):
    """The fake master; mode 'bomb' sends the good zone's first message (SOA and all records),
    then the bomb, never the closing SOA."""

    async def _serve(self, reader, writer):
        if self.mode != "bomb":
            return await super()._serve(reader, writer)
        try:
            length = struct.unpack("!H", await reader.readexactly(2))[0]
            query = dns.message.from_wire(await reader.readexactly(length))
            self.transfers += 1
            soa, rest = env.zone_rrsets(self.zone_text)
            first = dns.message.make_response(query)
            first.flags |= dns.flags.AA
            first.answer = [soa] + rest
            writer.write(env.frame(first.to_wire()))
            for count, body in self.bomb:
                writer.write(framed(query.id, count, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def scenario(owners, expect):
    master = BombMaster()
    master.bomb = bomb_messages(owners)
    wire = sum(len(framed(0, c, b)) for c, b in master.bomb)
    with h.TempDir() as tmp, env.Slave(tmp, master.port, poll_interval=60) as slave:
        slave.wait_signed()
        serial = env.query_soa(slave.port)
        h.check(serial is not None, "no zone served:\n" + slave.log()[-2000:])
        time.sleep(1)  # let the first publication settle (hooks, memory trim)
        before = rss_kb(slave.pid)
        peak = [before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kb(slave.pid))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        master.mode = "bomb"
        os.kill(slave.pid, 10)  # SIGUSR1: poll now
        h.wait_for(lambda: any(a.startswith("refused-too-large ") for a in slave.alert_lines()),
                   30, what="the bomb refused with refused-too-large")
        time.sleep(0.5)
        stop.set()
        sampler.join()
        growth = (peak[0] - before) * 1024
        alert = [a for a in slave.alert_lines() if a.startswith("refused-too-large ")][0]
        h.check(expect in alert, "the refusal says %r, expected %r" % (alert, expect))
        h.check("transfer from 127.0.0.1:%d refused: refused-too-large" % master.port
                in slave.log(), "the log line does not name the master:\n" + slave.log()[-2000:])
        h.check(growth <= 3 * wire, "the slave grew by %.1f MB for a %.1f MB bomb (limit 3x)"
                % (growth / 1e6, wire / 1e6))
        h.check(env.query_soa(slave.port) == serial, "the last good zone is not served")
        h.check(slave.alive(), "the slave died:\n" + slave.log()[-2000:])
        master.mode = "good"
    master.stop()
    return "%s: RSS +%.2f MB for %.1f MB on the wire (%d records)" % (
        expect, growth / 1e6, wire / 1e6, RECORDS)


def main():
    one = scenario([long_owner("a")], "fits in no DNS message")
    two = scenario([long_owner("a"), long_owner("b")], "names expanded from compression pointers")
    h.ok("compression bombs refused; " + one + "; " + two)


if __name__ == "__main__":
    sys.exit(main())
