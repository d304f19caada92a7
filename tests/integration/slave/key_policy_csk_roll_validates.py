#!/usr/bin/python3
"""A whole CSK roll driven by the running slave (key-policy csk-roll, lifetimes in seconds)
while unbound validates the zone through a signed parent served by NSD: every ~0.2 s unbound is
asked for an A record, an NXDOMAIN and the DNSKEY RRset of the child, and every answer must be
secure (AD, expected rcode). The test plays the parent's operator: when the slave's CDS changes
it derives the new DS with BIND's dnssec-cds from the child's CDS/CDNSKEY (which dnssec-cds
checks against the current DS), re-signs the parent and reloads NSD. The roll must go through
double signature, the CDS switch, the old key's retirement and its removal, with 0 failures."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import roll_env as r  # noqa: E402

POLICY = ["--key-policy", "csk-roll", "--csk-lifetime", "40"] + r.TIMING


def main():
    def start(port):
        first = r.tags_of(port, "DNSKEY")
        h.check(len(first) == 1, "one CSK at the start: %s" % first)
        return first

    def done(state, w, first):
        keys, cds, signers, _ = state
        return (any(len(st[0]) == 2 for _, st in w.steps) and len(keys) == 1 and
                keys != first and cds == keys and signers == keys and w.ds_updates)
    finished, watch, first, log, _ = r.run_roll(POLICY, start, done, 120)
    trail = watch.trail()
    h.check(finished, "the roll did not complete in 120 s:\n%s\n%s" % (trail, log[-3000:]))
    watch.check_secure()
    # Every step of the roll was seen: double signature, CDS switch, retirement, removal.
    new = watch.steps[-1][1][0][0]
    both = sorted(first + [new])
    for what, (keys, cds, signers) in (("double signature", (both, first, both)),
                                       ("the CDS switch", (both, [new], both)),
                                       ("the old key retired", (both, [new], [new])),
                                       ("the old key removed", ([new], [new], [new]))):
        h.check(any(st[:3] == (keys, cds, signers) for _, st in watch.steps),
                "%s not seen:\n%s" % (what, trail))
    costs = sorted(float(line.split(" key step published in ")[1].split()[0])
                   for line in log.splitlines() if " key step published in " in line)
    h.check("key-policy csk-roll: successor" in log, "no successor logged")
    print(trail)
    h.ok("CSK roll %s -> %s by the running slave: %d steps, DS updated %d times by dnssec-cds, "
         "%d queries through unbound, %d not secure; key steps re-signed in %s s" % (
             first, [new], len(watch.steps), len(watch.ds_updates), watch.queries,
             watch.failures, " ".join("%.4f" % c for c in costs)))


if __name__ == "__main__":
    sys.exit(main())
