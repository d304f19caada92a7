"""A good AXFR from a (fake) master is signed and written to <state>/<zone>.signed, which passes
dnssec-verify; identical later polls leave the file's bytes and mtime alone and run no hook."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        slave.wait_signed()
        slave.verify()
        before = env.stat_of(slave.signed)
        env.wait_transfers(master, 2)
        h.check(env.stat_of(slave.signed) == before,
                "an unchanged poll rewrote the signed file")
        h.check(slave.alert_lines() == [], "unexpected alerts: %s" % slave.alert_lines())
        h.check("unchanged" in slave.log(), "no 'unchanged' log line:\n" + slave.log()[-2000:])
        with open(slave.changes) as f:
            changes = f.read().splitlines()
        h.check(len(changes) == 1, "on-change ran %d times, expected once" % len(changes))
    master.stop()
    h.ok("signed, verified, unchanged polls write nothing")


if __name__ == "__main__":
    sys.exit(main())
