"""A master that trickles an endless transfer (one empty message every 0.3 s, under the 1 s read
timeout) is cut at the transfer's total deadline (--transfer-timeout 3): refused-incomplete
naming the deadline, alert hook run, the last good zone still served."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=["--transfer-timeout", "3"],
                                       poll_interval=60) as slave:
        slave.wait_signed()
        serial = env.query_soa(slave.port)
        master.mode = "trickle"
        t0 = time.monotonic()
        os.kill(slave.pid, 10)  # SIGUSR1: poll now
        h.wait_for(lambda: any(a.startswith("refused-incomplete ") for a in slave.alert_lines()),
                   15, what="the trickling transfer refused")
        took = time.monotonic() - t0
        h.check(took < 6, "the transfer was cut after %.1f s, the deadline is 3 s" % took)
        h.check("exceeded its deadline of 3 s" in slave.log(), "the refusal does not name the "
                "deadline:\n" + slave.log()[-2000:])
        h.check(env.query_soa(slave.port) == serial, "the last good zone is not served")
        master.mode = "good"
    master.stop()
    h.ok("a trickling master was cut at the 3 s deadline after %.1f s" % took)


if __name__ == "__main__":
    sys.exit(main())
