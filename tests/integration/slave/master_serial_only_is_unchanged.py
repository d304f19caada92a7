"""A master that bumps its SOA serial without changing any content causes no signing, no serial
bump, no file write and no hook on the slave (content, not the master's serial, decides)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        slave.wait_signed()
        before = env.stat_of(slave.signed)
        serial = env.query_soa(slave.port)
        master.zone_text = env.ZONE_TEXT.replace("2024010101", "2024010199")
        env.wait_transfers(master, 2)
        h.check(env.stat_of(slave.signed) == before, "a serial-only change rewrote the file")
        h.check(env.query_soa(slave.port) == serial, "the served serial moved")
        h.check(len(open(slave.changes).read().splitlines()) == 1, "on-change ran again")
        h.check(slave.alert_lines() == [], "alerts: %s" % slave.alert_lines())
    master.stop()
    h.ok("master serial bump without content: unchanged, serial %d kept" % serial)


if __name__ == "__main__":
    sys.exit(main())
