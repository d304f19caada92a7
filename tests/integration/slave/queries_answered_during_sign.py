#!/usr/bin/python3
"""Signing does not stall serving: while the slave transfers, signs (every RRset, one signing
thread), verifies and writes a 50k-name zone, SOA queries keep being answered promptly with the
serial already published, and then with the new one."""
import os
import re
import signal
import statistics
import sys
import time

import dns.message
import dns.query

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as menv  # noqa: E402
import slave_env as env  # noqa: E402

NAMES = int(os.environ.get("FLATSIGN_SIGN_STALL_NAMES", "50000"))


def soa_timed(port):
    """(serial or None, seconds) of one SOA query over UDP."""
    q = dns.message.make_query(env.ZONE, "SOA")
    start = time.monotonic()
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    except Exception:  # noqa: BLE001 - a timeout is what this test looks for
        return None, time.monotonic() - start
    took = time.monotonic() - start
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial, took
    return None, took


with h.TempDir() as tmp:
    small, big = tmp.file("small.zone"), tmp.file("big.zone")
    h.gen_zone(small, 20, origin=env.ZONE, extra=["--no-alias"])
    rrs = h.gen_zone(big, NAMES, origin=env.ZONE, extra=["--no-alias"])
    with open(small) as f:
        small_text = f.read()
    with menv.Master(tmp, [], zone_text=small_text) as master:
        with env.Slave(tmp, master.port, extra=["--sign-threads", "1"]) as slave:
            slave.wait_signed()
            h.wait_for(lambda: env.query_soa(slave.port) is not None, 10, what="a first answer")
            old = env.query_soa(slave.port)
            # The master now serves the big zone: the slave's next poll transfers and signs it.
            os.replace(big, master.zone_path)
            os.kill(master.proc.pid, signal.SIGHUP)
            samples, deadline = [], time.monotonic() + 240
            while time.monotonic() < deadline:
                serial, took = soa_timed(slave.port)
                samples.append((serial, took))
                if serial is not None and serial != old:
                    break
                time.sleep(0.02)
            log = slave.log()
            h.check(samples[-1][0] not in (None, old), "the big zone was never published:\n" +
                    log[-2000:])
            during = samples[:-1]
            lost = [s for s in during if s[0] is None]
            h.check(not lost, "%d of %d SOA queries unanswered during the sign" %
                    (len(lost), len(during)))
            h.check(all(s[0] == old for s in during), "a serial other than %d served" % old)
            times = sorted(s[1] for s in during)
            # The sign itself must have been long enough to matter. The new zone is served
            # before its file is written and the publication logged: wait for the line.
            h.wait_for(lambda: "published serial %d" % samples[-1][0] in slave.log(), 120,
                       what="the publication log line")
            log = slave.log()
            pub = [line for line in log.splitlines() if "published serial %d" % samples[-1][0]
                   in line]
            h.check(pub, "no publication line:\n" + log[-2000:])
            sign_s = float(re.search(r"reused, ([0-9.]+) s", pub[0]).group(1))
            h.check(sign_s > 0.5, "the sign took %.3f s: too short to tell" % sign_s)
            h.check(len(during) >= 20, "only %d queries during the sign: too short to tell" %
                    len(during))
            slow = [t for t in times if t > 0.1]
            # A stalled io thread shows as seconds-long gaps; allow scheduler noise on a shared
            # box (2% of samples over 100 ms, none over 1 s).
            h.check(len(slow) <= max(1, len(times) // 50) and times[-1] < 1.0,
                    "%d of %d SOA answers took over 100 ms (max %.3f s)" %
                    (len(slow), len(times), times[-1]))
            h.check(slave.alive(), "the slave died:\n" + log[-2000:])
    h.ok("%d RRs signed and published (%s); %d SOA queries during it, median %.1f ms, max %.1f ms"
         % (rrs, pub[0].split("; ", 1)[-1].strip(), len(times),
            statistics.median(times) * 1000, times[-1] * 1000))
