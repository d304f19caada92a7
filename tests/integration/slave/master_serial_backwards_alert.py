"""A master whose serial goes back while its content changes (a restored backup, a second master
with other data) is followed, since the slave follows content and bumps its own serial, but
the operator hears of it: the alert hook runs with master-serial-backwards."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        slave.wait_signed()
        served = env.query_soa(slave.port)
        master.zone_text = env.ZONE_TEXT.replace("2024010101", "2023010101") + \
            "backwards A 192.0.2.77\n"
        h.wait_for(lambda: any(a.startswith("master-serial-backwards ")
                               for a in slave.alert_lines()), 15, what="the alert")
        h.wait_for(lambda: "192.0.2.77" in open(slave.signed).read(), 10, what="the new content")
        h.check(env.query_soa(slave.port) > served, "the slave's serial did not go up")
    master.stop()
    h.ok("serial 2024010101 -> 2023010101 with new content: followed and alerted")


if __name__ == "__main__":
    sys.exit(main())
