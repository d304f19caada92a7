"""Transfers out of the slave with keys of the secondaries' own (transfer-key): an unsigned
request and one signed with the masters' key are REFUSED from an allowed address, each
secondary's key is accepted, and NSD as a secondary pulls with its key, gets the NOTIFY signed
with it and follows a change by IXFR."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

import slave_env as env  # noqa: E402
import harness as h  # noqa: E402
import ixfr_env as x  # noqa: E402
import master_env as m  # noqa: E402

SEC_A = ("sec-a.", "c2Vjb25kYXJ5LWEtc2Vjb25kYXJ5LWEtc2Vjb25kYXJ5LWE=")
SEC_B = ("sec-b.", "c2Vjb25kYXJ5LWItc2Vjb25kYXJ5LWItc2Vjb25kYXJ5LWI=")


def main():
    with h.TempDir() as tmp:
        nsd_port = h.free_port()
        extra = ["--tsig", "sec-a:hmac-sha256:" + SEC_A[1],
                 "--tsig", "sec-b:hmac-sha256:" + SEC_B[1],
                 "--tsig-key", "xfr-key",
                 "--transfer-key", "sec-a", "--transfer-key", "sec-b",
                 "--notify", "127.0.0.1:%d key sec-a" % nsd_port]
        with x.SigningSlave(tmp, extra=extra) as srv:
            serial = srv.serial()
            # Over UDP (as transfer_acl.py does) so that a refusal comes back as a message.
            for tsig, want, what in ((False, dns.rcode.REFUSED, "unsigned"),
                                     (True, dns.rcode.REFUSED, "signed with the masters' key"),
                                     (SEC_B, dns.rcode.NOERROR, "signed with sec-b")):
                r = x.transfer(srv.port, "IXFR", serial, tsig=tsig, udp=True, payload=1232)
                h.check(r[0].rcode() == want, "IXFR %s: %s, expected %s" % (
                    what, dns.rcode.to_text(r[0].rcode()), dns.rcode.to_text(want)))
            rrs = x.rr_list(x.transfer(srv.port, "AXFR", tsig=SEC_B))
            soa = dns.rdatatype.SOA
            h.check(len(rrs) > 10 and rrs[0][2] == soa and rrs[-1][2] == soa,
                    "AXFR with sec-b is not a whole zone: %d records" % len(rrs))
            log = srv.slave.log()
            h.check("transfer without TSIG" in log and
                    "TSIG key xfr-key. may not transfer this zone" in log,
                    "the refusals are not logged with their reason:\n" + log[-3000:])

            proc, _ = m.start_nsd(tmp, srv.port, SEC_A, nsd_port)
            try:
                h.wait_for(lambda: env.query_soa(nsd_port) == serial, 30,
                           what="NSD to load serial %s with sec-a\n%s" % (serial,
                                                                         proc.log()[-3000:]))
                new = srv.bump("fresh A 192.0.2.201")
                # NSD takes only NOTIFYs signed with sec-a (allow-notify ... sec-a): following
                # the change within seconds shows the slave signed its NOTIFY with that key.
                h.wait_for(lambda: env.query_soa(nsd_port) == new, 30,
                           what="NSD to follow the NOTIFY to serial %s\n%s\n%s" % (
                               new, srv.slave.log()[-2000:], proc.log()[-3000:]))
                line = "IXFR from serial %d to %d: incremental" % (serial, new)
                h.check(line in srv.slave.log(), "NSD did not get the change by IXFR:\n" +
                        srv.slave.log()[-3000:])
            finally:
                proc.stop()
    h.ok("transfers out need a secondary's own key; NSD pulls and is notified with sec-a")


if __name__ == "__main__":
    sys.exit(main())
