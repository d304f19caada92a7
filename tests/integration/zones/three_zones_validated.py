"""Three zones with different settings in one flatsign-slave (alpha: NSEC3 + Ed25519, beta:
NSEC + ECDSA P-256, gamma: NSEC + RSA/SHA-256), configured by one TOML file and served on one
port: each signed file passes dnssec-verify, unbound validates each through its DS, an unknown
zone is REFUSED, /status and /metrics name every zone, and a NOTIFY for one zone moves only it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

import harness as h  # noqa: E402
import zones_env as z  # noqa: E402

ZONES = {"alpha.test.": ("nsec3", "ed25519", 15),
         "beta.test.": ("nsec", "ecdsap256sha256", 13),
         "gamma.test.": ("nsec", "rsasha256", 8)}


def main():
    h.peer("unbound")
    with h.TempDir() as tmp:
        slave_port = h.free_port()
        texts = {o: z.zone_text(o, www="192.0.2.%d" % (i + 1)) for i, o in enumerate(ZONES)}
        with z.Primary(tmp, texts, notify=[slave_port]) as primary:
            tables = [{"name": o, "denial": d, "algorithm": a} for o, (d, a, _) in ZONES.items()]
            slave = z.ConfigSlave(tmp, primary.port, tables, port=slave_port)
            with slave:
                slave.wait_signed(list(ZONES))
                for origin, (denial, _, alg) in ZONES.items():
                    h.wait_for(lambda: os.path.exists(slave.signed_path(origin)), 10,
                               what="the signed file of " + origin)
                    slave.verify(origin)
                    keys = z.query(origin, "DNSKEY", slave.port).answer
                    algs = {r.algorithm for rrset in keys if rrset.rdtype == dns.rdatatype.DNSKEY
                            for r in rrset}
                    h.check(algs == {alg}, "%s: DNSKEY algorithms %s, want %d" % (origin, algs, alg))
                    nsec3 = z.query("nx." + origin, "A", slave.port).authority
                    has3 = any(r.rdtype == dns.rdatatype.NSEC3 for r in nsec3)
                    h.check(has3 == (denial == "nsec3"), "%s: denial is not %s" % (origin, denial))
                r = z.query("www.other.test.", "A", slave.port)
                h.check(r.rcode() == dns.rcode.REFUSED, "unknown zone: %s" % dns.rcode.to_text(r.rcode()))

                anchors = []
                for origin in ZONES:
                    anchors += slave.ds(origin)
                h.check(len(anchors) == 3, "DS lines: %s" % anchors)
                with z.Unbound(tmp, slave.port, list(ZONES), anchors) as ub:
                    for i, origin in enumerate(ZONES):
                        a = ub.secure("www." + origin, "A")
                        h.check("192.0.2.%d" % (i + 1) in a.to_text(), a.to_text())
                        ub.secure("nx." + origin, "A", dns.rcode.NXDOMAIN)
                        ub.secure("www." + origin, "TXT")  # NODATA

                st = slave.status()
                names = sorted(x["zone"] for x in st["zones"])
                h.check(names == sorted(ZONES), "status zones %s" % names)
                h.check(st["totals"]["served"] == 3, "status totals %s" % st["totals"])
                one = slave.status("beta.test")
                h.check(one["zone"] == "beta.test." and one["served_serial"], "status beta %s" % one)
                metrics = slave.metrics()
                for origin in ZONES:
                    h.check('flatsign_slave_zone_serial{zone="%s"}' % origin in metrics,
                            "no serial metric for %s" % origin)
                h.check(metrics.count("# TYPE flatsign_slave_polls_total counter") == 1,
                        "a metric family rendered twice")

                # A change of beta alone: the primary NOTIFYs, only beta is polled and re-signed.
                before = {o: z.soa_serial(o, slave.port) for o in ZONES}
                polls = {o: slave.status(o)["counters"]["polls"] for o in ZONES}
                primary.change("beta.test.", z.zone_text("beta.test.", serial=2024010102,
                                                          www="192.0.2.99"))
                h.wait_for(lambda: "192.0.2.99" in z.query("www.beta.test.", "A", slave.port).to_text(),
                           10, what="beta's change served")
                after = {o: z.soa_serial(o, slave.port) for o in ZONES}
                h.check(after["beta.test."] > before["beta.test."], "beta serial %s" % after)
                for o in ("alpha.test.", "gamma.test."):
                    h.check(after[o] == before[o], "%s serial moved: %s -> %s" % (o, before[o], after[o]))
                    h.check(slave.status(o)["counters"]["polls"] == polls[o],
                            "%s was polled by beta's NOTIFY" % o)
                slave.verify("beta.test.")
    h.ok("three zones (NSEC3/Ed25519, NSEC/ECDSA, NSEC/RSA) in one slave, each validated")


if __name__ == "__main__":
    sys.exit(main())
