"""A zone whose SOA expire outlasts signature-refresh: a secondary of the slave could serve
expired signatures. With signature-validity/-refresh set by the operator the publication alerts
signature-margin (naming the figures), --check reports it and a restart is refused; with
neither set the slave derives a safe timing from the zone (signatures valid long enough, no
alert); an expire no timing can cover alerts."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402

EXPIRE = 30 * 86400  # 2592000 s: a month
MAX_TTL = 3600


def zone_with_expire(expire):
    return env.ZONE_TEXT.replace("7200 3600 1209600 300", "7200 3600 %d 300" % expire)


def min_rrsig_expiration(path):
    """The earliest RRSIG expiration in a signed file, as a Unix time."""
    earliest = None
    with open(path) as f:
        for line in f:
            fields = line.split("\t")
            if len(fields) > 4 and fields[3] == "RRSIG":
                t = time.mktime(time.strptime(fields[4].split()[4], "%Y%m%d%H%M%S")) - time.timezone
                earliest = t if earliest is None else min(earliest, t)
    return earliest


def margin_alerts(slave):
    return [a for a in slave.alert_lines() if a.startswith("signature-margin ")]


def operator_timing(master):
    timing = ["--signature-validity", "14d", "--signature-refresh", "7d"]
    with h.TempDir() as tmp:
        with env.Slave(tmp, master.port, extra=timing) as slave:
            slave.wait_signed()
            h.wait_for(lambda: margin_alerts(slave), 20, what="a signature-margin alert")
            alert = margin_alerts(slave)[0]
            for figure in ("604800", "SOA expire %d" % EXPIRE, str(EXPIRE + MAX_TTL)):
                h.check(figure in alert, "the alert does not name %s: %s" % (figure, alert))
            slave.verify()  # published all the same
            cmd = slave.cmd
        # --check reads the kept signed zone and refuses the configuration.
        res = h.run(cmd + ["--check"], check_rc=False)
        h.check(res.returncode == 2, "--check exit %d:\n%s%s" % (res.returncode, res.stdout,
                                                                  res.stderr))
        h.check("example.test." in res.stdout and "SOA expire %d" % EXPIRE in res.stdout,
                "--check does not name the zone and figures:\n" + res.stdout)
        # The daemon refuses to start with it.
        again = h.Process(cmd, log_path=tmp.file("restart.log"))
        try:
            again.proc.wait(20)
        except Exception:  # noqa: BLE001 - still running is the failure reported below
            pass
        h.check(not again.alive(), "the slave started with an unsafe signature-refresh")
        again.stop()
        log = again.log()
        h.check(again.proc.returncode != 0 and "example.test." in log and
                "SOA expire %d" % EXPIRE in log, "no refusal naming the zone:\n" + log[-2000:])


def derived_timing(master):
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        slave.wait_signed()
        slave.verify()
        h.check("signature timing derived from the zone" in slave.log(),
                "no derived timing logged:\n" + slave.log()[-2000:])
        refresh = EXPIRE + MAX_TTL + 86400
        earliest = min_rrsig_expiration(slave.signed)
        # Valid for twice the refresh, less at most a day of jitter (and a minute of slack).
        h.check(earliest is not None and earliest >= time.time() + 2 * refresh - 86400 - 60,
                "signatures expire too early: %s (refresh %d)" % (earliest, refresh))
        h.check(not margin_alerts(slave), "alerted: %s" % margin_alerts(slave))


def impossible_expire(master):
    master.zone_text = zone_with_expire(2147483647)
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        h.wait_for(lambda: margin_alerts(slave), 20, what="a signature-margin alert")
        h.check(re.search(r"no validity up to \d+ s", margin_alerts(slave)[0]),
                "alert: " + margin_alerts(slave)[0])


def main():
    master = env.FakeMaster()
    master.zone_text = zone_with_expire(EXPIRE)
    try:
        operator_timing(master)
        derived_timing(master)
        impossible_expire(master)
    finally:
        master.stop()
    h.ok("signature margin: operator timing alerted, --check and restart refused; derived "
         "timing covers a month's expire; an impossible expire alerts")


if __name__ == "__main__":
    sys.exit(main())
