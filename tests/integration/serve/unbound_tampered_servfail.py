"""A signed zone whose A record was altered after signing (the slave restarted on the tampered
file, no master reachable) is served as is, and unbound answers SERVFAIL for it while untouched
names still validate with AD."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.flags  # noqa: E402
import dns.rcode  # noqa: E402

import harness as h  # noqa: E402
import serve_env as s  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    h.peer("unbound")
    with h.TempDir() as tmp:
        with s.SignedSlave(tmp) as srv:
            anchors = s.dnskey_anchor(srv.port)
            signed, port = srv.signed, srv.port
        with open(signed) as f:
            text = f.read()
        h.check("192.0.2.1\n" in text, "www A not found in the signed file")
        with open(signed, "w") as f:
            f.write(text.replace("192.0.2.1\n", "192.0.2.66\n"))
        dead = h.free_port()  # no master: the slave serves what it loaded
        with env.Slave(tmp, dead, poll_interval=60, port=port) as slave:
            h.wait_for(lambda: s.answers("www." + s.ZONE, "A", port) or not slave.alive(), 10,
                       what="the restarted slave answering")
            h.check(slave.alive(), "the slave refused the tampered file:\n" + slave.log())
            served = s.query("www." + s.ZONE, "A", port)
            h.check("192.0.2.66" in served.to_text(), "tampered data not served:\n%s" % served)
            with s.Unbound(tmp, port, anchors) as ub:
                bad = ub.ask("www." + s.ZONE, "A")
                h.check(bad.rcode() == dns.rcode.SERVFAIL,
                        "tampered answer not SERVFAIL:\n%s" % bad)
                good = ub.ask("mail." + s.ZONE, "A")
                h.check(good.rcode() == dns.rcode.NOERROR and good.flags & dns.flags.AD,
                        "untouched name lost AD:\n%s" % good)
            h.check(slave.alive(), "slave died")
    h.ok("tampered RRset -> SERVFAIL, the rest validates")


if __name__ == "__main__":
    sys.exit(main())
