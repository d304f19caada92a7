"""A mass deletion refused by the shrink guard is published once the operator forces it with
SIGUSR1 (one transfer only); the forced zone passes dnssec-verify."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        slave.wait_signed()
        s1 = env.query_soa(slave.port)
        master.mode = "shrunk"
        h.wait_for(lambda: any(a.startswith("refused-shrink ") for a in slave.alert_lines()), 15,
                   what="the refused-shrink alert")
        h.check("www.example.test." in open(slave.signed).read(), "published before forcing")
        os.kill(slave.pid, signal.SIGUSR1)
        h.wait_for(lambda: "www.example.test." not in open(slave.signed).read(), 15,
                   what="the forced publication")
        slave.verify()
        h.check(env.query_soa(slave.port) == s1 + 1, "serial after forcing")
        h.check("forced" in slave.log(), "no log line for the operator's force")
    master.stop()
    h.ok("shrink refused, then published when forced")


if __name__ == "__main__":
    sys.exit(main())
