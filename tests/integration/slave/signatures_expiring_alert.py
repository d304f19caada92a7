"""Signature upkeep alerts: when the earliest RRSIG expires within --expiry-alert (here longer
than the signatures' whole validity, so they can never be refreshed far enough) the slave runs
--on-alert with verdict signatures-expiring, once per episode (not on every poll), and keeps
serving a zone that passes dnssec-verify."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    extra = ["--expiry-alert", str(400 * 86400)]
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=extra) as slave:
        slave.wait_signed()
        h.wait_for(lambda: any(a.startswith("signatures-expiring ") for a in slave.alert_lines()),
                   15, what="a signatures-expiring alert")
        env.wait_transfers(master, 3)  # three more polls
        time.sleep(0.5)
        alerts = [a for a in slave.alert_lines() if a.startswith("signatures-expiring ")]
        h.check(len(alerts) == 1, "expected one alert per episode, got %s" % alerts)
        h.check("earliest RRSIG expires at" in alerts[0], "detail: %s" % alerts[0])
        slave.verify()
    master.stop()
    h.ok("signatures-expiring alerted once: %s" % alerts[0])


if __name__ == "__main__":
    sys.exit(main())
