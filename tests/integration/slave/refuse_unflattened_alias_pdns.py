"""PowerDNS (bind backend, outgoing-axfr-expand-alias=no) as the slave's master: once its zone
gains an ALIAS, the AXFR carries it unflattened; the slave refuses it as
refused-unflattened-alias naming the owner, alerts, and keeps serving the last good zone."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as menv  # noqa: E402
import slave_env as env  # noqa: E402

GOOD = """$TTL 3600
@ SOA ns1 hostmaster %d 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.10
"""


def main():
    h.peer("pdns_server")
    with h.TempDir() as tmp:
        zone_path = tmp.write("pdns/example.test.zone", GOOD % 1)
        pdns, port = menv.start_pdns(tmp, zone_path, h.free_port(), expand=False)
        try:
            with env.Slave(tmp, port, poll_interval=1) as slave:
                slave.wait_signed()
                slave.verify()
                before = env.stat_of(slave.signed)
                # The file is written before a small zone is swapped in: wait for the answer.
                h.wait_for(lambda: env.query_soa(slave.port) is not None, 10,
                           what="the zone served")
                serial = env.query_soa(slave.port)
                # The master's zone gains an ALIAS (PowerDNS re-reads the file within a second).
                # PowerDNS compares whole-second mtimes: the new file must not share the old
                # one's second.
                while int(time.time()) <= int(os.stat(zone_path).st_mtime):
                    time.sleep(0.1)
                tmp.write("pdns/example.test.zone", (GOOD % 2) + "shop ALIAS shops.example.net.\n")
                h.wait_for(lambda: any(a.startswith("refused-unflattened-alias ")
                                       for a in slave.alert_lines()), 30,
                           what="an on-alert run with refused-unflattened-alias")
                alert = next(a for a in slave.alert_lines()
                             if a.startswith("refused-unflattened-alias "))
                h.check("shop.example.test." in alert, "the alert does not name the owner: " +
                        alert)
                h.check("refused: refused-unflattened-alias" in slave.log(), "no refusal log line")
                h.check(env.stat_of(slave.signed) == before, "the signed file changed")
                h.check(env.query_soa(slave.port) == serial, "the served serial changed")
                with open(slave.signed) as f:
                    text = f.read()
                h.check("shop" not in text and "65401" not in text,
                        "the ALIAS reached the signed zone")
                h.check(slave.alive(), "the slave died:\n" + slave.log()[-2000:])
        finally:
            pdns.stop()
    h.ok("unflattened ALIAS from PowerDNS refused, last good serial %d served" % serial)


if __name__ == "__main__":
    sys.exit(main())
