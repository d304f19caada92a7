"""The slave's --allow-transfer ACL: an IXFR or AXFR from an address outside it is REFUSED (the
reply still TSIG-signed), the same request from an allowed address is answered."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rcode  # noqa: E402

import harness as h  # noqa: E402
import ixfr_env as x  # noqa: E402


def main():
    with h.TempDir() as tmp, x.SigningSlave(tmp, extra=["--allow-transfer", "127.0.0.2/32"]) as srv:
        s1 = srv.serial()
        srv.bump()
        cases = [("127.0.0.1", "IXFR", s1, dns.rcode.REFUSED),
                 ("127.0.0.1", "AXFR", None, dns.rcode.REFUSED),
                 ("127.0.0.2", "IXFR", s1, dns.rcode.NOERROR),
                 ("127.0.0.2", "AXFR", None, dns.rcode.NOTIMP)]  # allowed, but AXFR is TCP only
        for src, rdtype, serial, want in cases:
            r = x.transfer(srv.port, rdtype, serial, udp=True, payload=1232, source=src)[0]
            h.check(r.rcode() == want, "%s from %s: %s, expected %s" % (
                rdtype, src, dns.rcode.to_text(r.rcode()), dns.rcode.to_text(want)))
            h.check(r.had_tsig, "%s from %s: reply not TSIG-signed" % (rdtype, src))
        h.check(x.ixfr_kind(x.rr_list(x.transfer(srv.port, "IXFR", s1, udp=True, payload=1232,
                                                 source="127.0.0.2"))) == "incremental",
                "IXFR from the allowed address is not incremental")
    h.ok("--allow-transfer refuses outside addresses, answers allowed ones")


if __name__ == "__main__":
    sys.exit(main())
