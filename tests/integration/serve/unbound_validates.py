"""unbound, validating with the served DNSKEY as trust anchor, gets AD on positive, NXDOMAIN,
NODATA, wildcard, CNAME and delegation (DS / no-DS) answers from flatsign-slave, NSEC and NSEC3,
and NXDOMAIN for NSEC3 owner names (RFC 5155 §7.2.8), which it marked bogus when answered as
existing names."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.flags  # noqa: E402
import dns.rcode  # noqa: E402

import harness as h  # noqa: E402
import serve_env as s  # noqa: E402

Z = s.ZONE
CASES = [  # name, type, rcode, whether the answer section has records
    ("www." + Z, "A", dns.rcode.NOERROR, True),
    ("nx." + Z, "A", dns.rcode.NXDOMAIN, False),
    ("www." + Z, "TXT", dns.rcode.NOERROR, False),         # NODATA
    ("ent." + Z, "A", dns.rcode.NOERROR, False),           # empty non-terminal
    ("x.y.wild." + Z, "TXT", dns.rcode.NOERROR, True),     # wildcard expansion
    ("x.wild." + Z, "MX", dns.rcode.NOERROR, False),       # wildcard NODATA
    ("chain." + Z, "A", dns.rcode.NOERROR, True),          # CNAME chain
    ("dangling." + Z, "A", dns.rcode.NXDOMAIN, True),      # CNAME to a missing name
    ("sec." + Z, "DS", dns.rcode.NOERROR, True),           # signed delegation: DS
    ("sub." + Z, "DS", dns.rcode.NOERROR, False),          # unsigned delegation: no-DS proof
    (Z, "DNSKEY", dns.rcode.NOERROR, True),
]


def run(denial):
    with h.TempDir() as tmp, s.SignedSlave(tmp, ["--denial", denial]) as srv:
        with s.Unbound(tmp, srv.port, s.dnskey_anchor(srv.port)) as ub:
            cases = list(CASES)
            for owner in s.nsec3_owners(srv.signed)[:2]:  # RFC 5155 §7.2.8: no such names
                cases += [(owner, "A", dns.rcode.NXDOMAIN, False),
                          (owner.upper(), "TXT", dns.rcode.NXDOMAIN, False),
                          ("x." + owner, "A", dns.rcode.NXDOMAIN, False)]
            h.check(denial == "nsec" or len(cases) > len(CASES), "no NSEC3 owner names")
            for name, t, rcode, has_answer in cases:
                r = ub.ask(name, t)
                what = "%s %s %s" % (denial, name, t)
                h.check(r.rcode() == rcode, "%s: rcode %s\n%s\n%s" % (
                    what, dns.rcode.to_text(r.rcode()), r, ub.log()[-3000:]))
                h.check(bool(r.answer) == has_answer, "%s: answer %s" % (what, r.answer))
                h.check(r.flags & dns.flags.AD, "%s: no AD\n%s\n%s" % (what, r, ub.log()[-3000:]))


def main():
    h.peer("unbound")
    for denial in ("nsec", "nsec3"):
        run(denial)
    h.ok("AD on every answer shape, NSEC and NSEC3, NSEC3 owner names NXDOMAIN")


if __name__ == "__main__":
    sys.exit(main())
