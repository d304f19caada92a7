"""--poll-mode axfr (the default): every poll transfers, whatever the SOA serial says, so a
content change the master did not mark with a new serial is still published; no SOA probes."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=["--poll-mode", "axfr"]) as slave:
        slave.wait_signed()
        transfers = master.transfers
        time.sleep(3)
        h.check(master.transfers >= transfers + 2, "polls did not transfer")
        master.zone_text = env.ZONE_TEXT.replace("192.0.2.1\n", "192.0.2.98\n")  # same serial
        h.wait_for(lambda: "192.0.2.98" in open(slave.signed).read(), 15, what="the change")
        slave.verify()
        h.check(master.soa_queries == 0, "axfr mode probed the SOA %d times" % master.soa_queries)
    master.stop()
    h.ok("poll-mode axfr: change under an unchanged serial published")


if __name__ == "__main__":
    sys.exit(main())
