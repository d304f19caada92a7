"""Signature upkeep runs on its own timer: while a master holds a transfer open (one empty
message every 0.3 s, under the read timeout, with a long transfer-timeout), the served zone's
signatures (20 s validity, refreshed 10 s before they expire) are still refreshed: the SOA's
RRSIG gets new inception and expiration times and a new serial while the transfer is stuck, and
the refreshed zone passes dnssec-verify."""
import os
import sys
import time

import dns.message
import dns.query
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def soa_signature(port):
    """(serial, inception, expiration) of the served SOA and its RRSIG, or None."""
    q = dns.message.make_query(env.ZONE, "SOA", want_dnssec=True)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    except Exception:  # noqa: BLE001 - no answer
        return None
    serial = sig = None
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            serial = rrset[0].serial
        elif rrset.rdtype == dns.rdatatype.RRSIG:
            sig = rrset[0]
    if serial is None or sig is None:
        return None
    return serial, sig.inception, sig.expiration


def main():
    master = env.FakeMaster()
    extra = ["--signature-validity", "20", "--signature-refresh", "10", "--expiry-alert", "1",
             "--transfer-timeout", "300"]
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=extra, poll_interval=600) as slave:
        slave.wait_signed()
        h.wait_for(lambda: soa_signature(slave.port) is not None, 10, what="a signed SOA")
        master.mode = "trickle"
        transfers = master.transfers
        os.kill(slave.pid, 10)  # SIGUSR1: poll now; the transfer never ends
        h.wait_for(lambda: master.transfers == transfers + 1, 10, what="the stuck transfer")
        stuck_at = time.monotonic()
        before = soa_signature(slave.port)
        h.check(before is not None, "no signed SOA served")
        # The signatures expire within 20 s: refreshed at least once in 15 s.
        h.wait_for(lambda: (soa_signature(slave.port) or before)[2] != before[2], 15,
                   what="the SOA's RRSIG refreshed while the transfer is stuck")
        after = soa_signature(slave.port)
        took = time.monotonic() - stuck_at
        h.check(after[1] != before[1], "the inception did not change: %s -> %s" % (before, after))
        h.check(after[0] != before[0], "no new serial for the refresh: %s -> %s" % (before, after))
        # The transfer is still held: no refusal yet, no other transfer started.
        h.check(not any(a.startswith("refused-") for a in slave.alert_lines()),
                "the stuck transfer ended: %s" % slave.alert_lines())
        h.check(master.transfers == transfers + 1, "a new transfer was started")
        h.check("signatures expire within 10 s: refreshing" in slave.log(), "no refresh line")
        slave.verify()
        master.mode = "good"
    master.stop()
    h.ok("signatures refreshed %.1f s into a stuck transfer: expiration %d -> %d, serial %d -> %d"
         % (took, before[2], after[2], before[0], after[0]))


if __name__ == "__main__":
    sys.exit(main())
