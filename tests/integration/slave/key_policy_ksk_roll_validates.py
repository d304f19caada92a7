#!/usr/bin/python3
"""A KSK roll (double-KSK, as the CSK roll) driven by the running slave (key-policy ksk-zsk-roll,
ksk-lifetime in seconds) while unbound validates the zone through a signed parent on NSD: every
~0.2 s unbound is asked for an A record, an NXDOMAIN and the DNSKEY RRset, and every answer must
be secure. The test plays the parent's operator: when the CDS changes it derives the new DS with
dnssec-cds from the child's CDS/CDNSKEY, re-signs the parent and reloads NSD. Both KSKs must sign
the DNSKEY RRset, the CDS switch to the new one, the old one retire and leave, while the ZSK alone
signs the rest. FLATSIGN_SKIP_DS_UPDATE=1 leaves the DS alone: the scenario must then fail
(answers go bogus once the old KSK stops signing), which shows that it sees a missed DS update."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import roll_env as r  # noqa: E402

POLICY = ["--key-policy", "ksk-zsk-roll", "--ksk-lifetime", "40", "--zsk-lifetime", "0"] + r.TIMING
SKIP_DS = os.environ.get("FLATSIGN_SKIP_DS_UPDATE") == "1"


def main():
    def start(port):
        keys, cds, soa_signers, dnskey_signers = r.state_of(port)
        h.check(len(keys) == 2 and len(cds) == 1 and dnskey_signers == cds and
                len(soa_signers) == 1 and soa_signers != cds,
                "a KSK and a ZSK at the start: %s" % (r.state_of(port),))
        return cds[0], soa_signers[0]

    def done(state, w, started):
        keys, cds, _, dnskey_signers = state
        return len(keys) == 2 and cds != [started[0]] and dnskey_signers == cds and (
            w.ds_updates or SKIP_DS)
    finished, watch, (ksk, zsk), log, _ = r.run_roll(POLICY, start, done, 100, skip_ds=SKIP_DS)
    trail = watch.trail()
    if SKIP_DS:
        print(trail)
    h.check(finished, "the KSK roll did not complete in 100 s:\n%s\n%s" % (trail, log[-3000:]))
    watch.check_secure()
    new = watch.steps[-1][1][1][0]
    both = sorted([ksk, new])
    three = sorted([ksk, zsk, new])
    for what, step in (("both KSKs signing the DNSKEY RRset", (three, [ksk], [zsk], both)),
                       ("the CDS switch", (three, [new], [zsk], both)),
                       ("the old KSK retired", (three, [new], [zsk], [new])),
                       ("the old KSK removed", (sorted([zsk, new]), [new], [zsk], [new]))):
        h.check(watch.seen(step), "%s not seen:\n%s" % (what, trail))
    for _, (keys, cds, soa_signers, dnskey_signers) in watch.steps:
        h.check(soa_signers == [zsk], "the ZSK stopped signing alone:\n%s" % trail)
    h.check(len(watch.ds_updates) == 1, "DS updates: %s" % watch.ds_updates)
    h.check("key-policy ksk-zsk-roll: successor" in log, "no successor logged")
    print(trail)
    h.ok("KSK roll %d -> %d by double-KSK (ZSK %d): %d steps, DS updated by dnssec-cds at %s s, "
         "%d queries through unbound, %d not secure" % (
             ksk, new, zsk, len(watch.steps), watch.ds_updates, watch.queries, watch.failures))


if __name__ == "__main__":
    sys.exit(main())
