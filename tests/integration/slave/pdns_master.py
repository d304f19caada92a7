"""PowerDNS 4.7 (bind backend, expand-alias, outgoing-axfr-expand-alias) as the slave's master:
an ALIAS target changes upstream -> the slave's polls (AXFR mode: PowerDNS keeps the serial)
publish the new address signed, dnssec-verify passes and the served serial increases."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as menv  # noqa: E402
import slave_env as env  # noqa: E402




def signed_text(slave):
    with open(slave.signed) as f:
        return f.read()


def main():
    h.peer("pdns_server")
    with h.TempDir() as tmp, menv.Upstream(tmp) as up:
        pdns, port = menv.start_pdns(tmp, tmp.write("pdns/example.test.zone", menv.MASTER_ZONE),
                                up.port)
        try:
            with env.Slave(tmp, port, poll_interval=1) as slave:
                slave.wait_signed()
                slave.verify()
                h.check("192.0.2.10" in signed_text(slave), "flattened www missing:\n" +
                        signed_text(slave)[:2000])
                s1 = env.query_soa(slave.port)
                up.change(menv.UPSTREAM_ZONE.replace("192.0.2.10", "192.0.2.99"))
                h.wait_for(lambda: "192.0.2.99" in signed_text(slave), 30,
                           what="the new address in the signed zone")
                slave.verify()
                s2 = env.query_soa(slave.port)
                h.check(s1 is not None and s2 is not None and s2 > s1, "serial %s -> %s" % (s1, s2))
                h.check("192.0.2.10" not in signed_text(slave), "the old address is still there")
        finally:
            pdns.stop()
    h.ok("PowerDNS master: ALIAS change published signed, serial %d -> %d" % (s1, s2))


if __name__ == "__main__":
    sys.exit(main())
