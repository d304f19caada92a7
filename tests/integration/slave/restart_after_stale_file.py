"""The slave serves a new zone before writing its zone file. A stop in between leaves a file
older than the serial already served (kept in <zone>.serial, written before the swap): on
restart the slave re-signs the file's content under a higher serial before answering, so the
served serial never goes back, and the rewritten file verifies."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp:
        with env.Slave(tmp, master.port) as slave:
            slave.wait_signed()
            serial = env.query_soa(slave.port)
            h.check(serial is not None, "no SOA answer:\n" + slave.log()[-2000:])
        master.stop()
        # As if serial + 5 had been served and the process killed before the file was written.
        served = serial + 5
        with open(os.path.join(slave.state, "example.test", "example.test.serial"), "w") as f:
            f.write("%d\n" % served)
        with env.Slave(tmp, master.port) as again:
            h.wait_for(lambda: env.query_soa(again.port) is not None, 20, what="SOA after restart")
            now = env.query_soa(again.port)
            h.check(now > served, "restart served serial %d, not above %d:\n%s" %
                    (now, served, again.log()[-2000:]))
            h.check("re-signing it under a higher serial" in again.log(),
                    "no log line for the stale file:\n" + again.log()[-2000:])
            h.wait_for(lambda: ("published serial %d" % now) in again.log(), 20,
                       what="the re-signed zone file")
            again.verify()
            with open(again.signed) as f:
                h.check(" %d " % now in f.read().split("SOA", 1)[1][:200],
                        "the zone file does not carry serial %d" % now)
    h.ok("file at serial %d, %d served before the stop: restart serves %d" %
         (serial, served, now))


if __name__ == "__main__":
    sys.exit(main())
