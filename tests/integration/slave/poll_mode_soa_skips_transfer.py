"""--poll-mode soa: while the master's SOA serial stays the same the slave only asks the SOA
(no transfer, file untouched); when the serial is bumped with a content change it transfers,
publishes the change signed (dnssec-verify) with a higher serial."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=["--poll-mode", "soa"]) as slave:
        slave.wait_signed()
        s1 = env.query_soa(slave.port)
        before = env.stat_of(slave.signed)
        transfers, probes = master.transfers, master.soa_queries
        time.sleep(4)  # about four polls
        h.check(master.soa_queries >= probes + 2, "no SOA probes: %d" % master.soa_queries)
        h.check(master.transfers == transfers, "transferred %d times with the serial unchanged"
                % (master.transfers - transfers))
        h.check(env.stat_of(slave.signed) == before, "the signed file changed")
        master.zone_text = env.ZONE_TEXT.replace("2024010101", "2024010102").replace(
            "192.0.2.1\n", "192.0.2.99\n")
        h.wait_for(lambda: "192.0.2.99" in open(slave.signed).read(), 15, what="the change")
        slave.verify()
        s2 = env.query_soa(slave.port)
        h.check(s2 > s1, "serial %s -> %s" % (s1, s2))
        h.check(master.transfers == transfers + 1, "expected one transfer, got %d"
                % (master.transfers - transfers))
    master.stop()
    h.ok("poll-mode soa: %d probes, one transfer on the serial bump" % master.soa_queries)


if __name__ == "__main__":
    sys.exit(main())
