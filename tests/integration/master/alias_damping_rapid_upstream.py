#!/usr/bin/python3
"""An upstream answering TTL 0 with a new address several times a second: the master's serials (and NOTIFYs, one per serial) are at least --min-serial-interval apart, the target is re-resolved by the zone's own --zone-min-refresh, and the last address is published (held, not lost)."""
import os
import socket
import sys
import threading
import time

import dns.message
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

INTERVAL = 3.0  # --min-serial-interval
CHURN = 6.0     # seconds of upstream changes, 5 a second


def upstream(n):
    return env.UPSTREAM_ZONE + "flip 0 A 198.51.%d.%d\n" % (n // 250, n % 250 + 1)


ZONE = """$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www 60 ALIAS flip.up.test.
"""


class NotifySink:
    """Acks every NOTIFY on a UDP port and records (monotonic time, serial) of each."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen = []
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            msg = dns.message.from_wire(data)
            soa = [r for r in msg.answer if r.rdtype == dns.rdatatype.SOA]
            self.seen.append((time.monotonic(), soa[0][0].serial if soa else None))
            self.sock.sendto(dns.message.make_response(msg).to_wire(), peer)

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


with h.TempDir() as tmp, env.Upstream(tmp, upstream(0)) as up:
    sink = NotifySink()
    args = ["--notify", "127.0.0.1:%d" % sink.port, "--min-serial-interval", "%d" % INTERVAL,
            # The global floor would keep the target for a minute; the zone's own floor is 1 s.
            "--min-refresh", "60", "--zone-min-refresh", "example.test=1"]
    try:
        with env.Master(tmp, [up.port], zone_text=ZONE, args=args) as m:
            env.wait_log(m, "serving serial")
            time.sleep(1.5)  # the first publication's NOTIFY
            before = len(sink.seen)
            t0 = time.monotonic()
            n = 0
            while time.monotonic() - t0 < CHURN:
                n += 1
                up.change(upstream(n))
                time.sleep(0.2)
            churn_end = time.monotonic()
            last = "198.51.%d.%d" % (n // 250, n % 250 + 1)

            def www():
                return [r[3] for r in m.axfr() if r[0] == "www.example.test." and r[2] == "A"]
            h.wait_for(lambda: www() == [last], timeout=INTERVAL + 10,
                       what="the last address %s published\n%s" % (last, m.log()[-3000:]))
            time.sleep(1.0)  # a late NOTIFY would show here
            notes = sink.seen[before:]
            serials = [s for _, s in notes]
            h.check(len(serials) == len(set(serials)),
                    "one NOTIFY per serial (acked, no retries): %s" % serials)
            h.check(serials == sorted(serials), "serials increase: %s" % serials)
            gaps = [b[0] - a[0] for a, b in zip(notes, notes[1:])]
            h.check(all(g >= INTERVAL - 0.3 for g in gaps),
                    "serials at least %.0f s apart: gaps %s" % (INTERVAL, gaps))
            span = notes[-1][0] - t0 if notes else 0
            bound = int((churn_end - t0) / INTERVAL) + 2
            h.check(1 <= len(notes) <= bound,
                    "%d serials for %d upstream changes in %.1f s (bound %d)\n%s"
                    % (len(notes), n, churn_end - t0, bound, m.log()[-3000:]))
            h.check("changes coalesced by min-serial-interval" in m.log(),
                    "a held change was published at the interval's end\n%s" % m.log()[-3000:])
    finally:
        sink.stop()
h.ok("%d upstream changes in %.0f s -> %d serials/NOTIFYs, gaps %s s, last address published"
     % (n, CHURN, len(notes), ", ".join("%.1f" % g for g in gaps)))
