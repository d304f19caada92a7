#!/usr/bin/python3
"""A ZSK roll by pre-publication driven by the running slave (key-policy ksk-zsk-roll,
zsk-lifetime in seconds) while unbound validates the zone through a signed parent on NSD: every
~0.2 s unbound is asked for an A record, an NXDOMAIN and the DNSKEY RRset, and every answer must
be secure. The slave starts with a KSK and a ZSK; the new ZSK must be published before it signs,
sign alone once it activates (the KSK alone signing the DNSKEY RRset throughout), and the old ZSK
must leave last; the CDS names the KSK throughout, so the parent's DS never changes."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import roll_env as r  # noqa: E402

POLICY = ["--key-policy", "ksk-zsk-roll", "--ksk-lifetime", "0", "--zsk-lifetime", "20"] + r.TIMING


def main():
    def start(port):
        keys, cds, soa_signers, dnskey_signers = r.state_of(port)
        h.check(len(keys) == 2 and len(cds) == 1 and dnskey_signers == cds and
                len(soa_signers) == 1 and soa_signers != cds,
                "a KSK (the CDS, signing the DNSKEY RRset) and a ZSK (signing the rest) at "
                "the start: %s" % (r.state_of(port),))
        return cds[0], soa_signers[0]

    def done(state, w, started):
        ksk, zsk = started
        return len(state[0]) == 2 and state[2] != [zsk] and state[0] == sorted([ksk] + state[2])
    finished, watch, (ksk, zsk), log, _ = r.run_roll(POLICY, start, done, 90)
    trail = watch.trail()
    h.check(finished, "the ZSK roll did not complete in 90 s:\n%s\n%s" % (trail, log[-3000:]))
    watch.check_secure()
    new = watch.steps[-1][1][2][0]
    three = sorted([ksk, zsk, new])
    for what, step in (("the new ZSK published, not signing", (three, [ksk], [zsk], [ksk])),
                       ("the new ZSK signing, the old one not", (three, [ksk], [new], [ksk])),
                       ("the old ZSK removed", (sorted([ksk, new]), [ksk], [new], [ksk]))):
        h.check(watch.seen(step), "%s not seen:\n%s" % (what, trail))
    # No state where nobody or both ZSKs sign, or the DNSKEY RRset is signed by a ZSK.
    for _, (keys, cds, soa_signers, dnskey_signers) in watch.steps:
        h.check(len(soa_signers) == 1 and dnskey_signers == [ksk] and cds == [ksk],
                "an unexpected state:\n%s" % trail)
    h.check(not watch.ds_updates, "the DS changed in a ZSK roll")
    h.check("key-policy ksk-zsk-roll: successor" in log, "no successor logged")
    print(trail)
    h.ok("ZSK roll %d -> %d by pre-publication (KSK %d): %d steps, %d queries through unbound, "
         "%d not secure" % (zsk, new, ksk, len(watch.steps), watch.queries, watch.failures))


if __name__ == "__main__":
    sys.exit(main())
