"""`cds`: with `publish` the slave serves signed CDS and CDNSKEY RRsets equal to the DS that
`flatsign-slave ds` prints and to its SEP DNSKEY (RFC 7344); restarted with `delete` it
re-signs at the first poll and serves the RFC 8078 delete form; with `none` neither is served.
dnssec-verify accepts the signed file each time."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402

import harness as h  # noqa: E402
import serve_env as s  # noqa: E402
import slave_env as env  # noqa: E402

ZONE = env.ZONE


def rrset(port, rdtype):
    """The answer RRset of `rdtype` at the apex (None when NODATA) and whether it is signed."""
    r = s.query(ZONE, rdtype, port, dnssec=True, tcp=True)
    data = [x for x in r.answer if x.rdtype == dns.rdatatype.from_text(rdtype)]
    signed = any(x.rdtype == dns.rdatatype.RRSIG and
                 x.covers == dns.rdatatype.from_text(rdtype) for x in r.answer)
    return (data[0] if data else None), signed


def texts(rr):
    return sorted(rd.to_text().upper() for rd in rr) if rr is not None else []


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp:
        port = h.free_port()
        with env.Slave(tmp, master.port, extra=["--cds", "publish"], port=port) as slave:
            slave.wait_signed()
            slave.verify()
            h.wait_for(lambda: env.query_soa(port) is not None, 10, what="the slave's SOA")
            ds = h.run([h.binary("flatsign-slave"), "ds", "--zone", ZONE, "--state-dir",
                        slave.state]).stdout
            want_ds = sorted(rd.to_text().upper() for line in ds.splitlines() if line.strip()
                             for rd in dns.rrset.from_text_list(ZONE, 0, "IN", "DS",
                                                                [line.split("DS", 1)[1]])
                             if rd.digest_type == 2)
            cds, cds_signed = rrset(port, "CDS")
            h.check(texts(cds) == want_ds and cds_signed,
                    "CDS %s (signed %s), expected the SHA-256 DS %s" % (texts(cds), cds_signed,
                                                                         want_ds))
            dnskey, _ = rrset(port, "DNSKEY")
            sep = sorted(rd.to_text().upper() for rd in dnskey if rd.flags & 1)
            cdnskey, cdnskey_signed = rrset(port, "CDNSKEY")
            h.check(texts(cdnskey) == sep and cdnskey_signed,
                    "CDNSKEY %s (signed %s), expected the SEP DNSKEYs %s" % (
                        texts(cdnskey), cdnskey_signed, sep))

        with env.Slave(tmp, master.port, extra=["--cds", "delete"], port=port) as slave:
            h.wait_for(lambda: env.query_soa(port) is not None, 10, what="the slave's SOA")
            h.wait_for(lambda: texts(rrset(port, "CDS")[0]) == ["0 0 0 00"], 20,
                       what="the delete form of CDS\n" + slave.log()[-2000:])
            h.check(texts(rrset(port, "CDNSKEY")[0]) == ["0 3 0 AA=="],
                    "CDNSKEY delete form: %s" % texts(rrset(port, "CDNSKEY")[0]))
            h.check("cds setting changed: re-signing at the first poll" in slave.log(),
                    "no re-sign reason logged:\n" + slave.log()[-2000:])
            h.wait_for(lambda: "0 0 0 00" in open(slave.signed).read(), 10,
                       what="the delete form in the signed file")
            slave.verify()

        with env.Slave(tmp, master.port, port=port) as slave:
            h.wait_for(lambda: env.query_soa(port) is not None, 10, what="the slave's SOA")
            h.wait_for(lambda: rrset(port, "CDS")[0] is None and
                       rrset(port, "CDNSKEY")[0] is None, 20,
                       what="CDS and CDNSKEY gone with cds = none\n" + slave.log()[-2000:])
            slave.verify()
    master.stop()
    h.ok("cds publish serves the DS as CDS/CDNSKEY, delete the RFC 8078 form, none neither")


if __name__ == "__main__":
    sys.exit(main())
