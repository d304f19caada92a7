"""A slave whose first transfers are refused (the master still resolving its ALIAS targets
answers SERVFAIL) retries within seconds, backing off (RFC 1035 §3.3.13 RETRY), instead of
waiting its whole poll interval (here one hour) with no zone to serve."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    master.mode = "servfail"
    with h.TempDir() as tmp, env.Slave(tmp, master.port, poll_interval=3600) as slave:
        h.wait_for(lambda: master.transfers >= 2, 10, what="a second try of the transfer")
        h.check("next poll in 1.0 s (failure 1 in a row)" in slave.log(),
                "no backoff line:\n" + slave.log()[-2000:])
        t0 = time.monotonic()
        master.mode = "good"
        slave.wait_signed(timeout=15)
        took = time.monotonic() - t0
        h.check(took < 10, "the zone came %.1f s after the master recovered" % took)
        slave.verify()
    master.stop()
    h.ok("no zone yet: retried after 1, 2, 4 ... s; served %.1f s after the master recovered"
         % took)


if __name__ == "__main__":
    sys.exit(main())
