#!/usr/bin/python3
"""parent-ds-check holds an old KSK's retirement until the parent's DS names its successor: a KSK
roll by the running slave (ksk-zsk-roll, lifetimes in seconds) whose parent (NSD, the DS derived
by dnssec-cds from the CDS) is updated 12 s after the CDS switch, twice the time the roll's
timing allows. The slave asks NSD for the DS every second: the old KSK must keep signing the
DNSKEY RRset past its planned retirement until after the DS update (plus the DS TTL), the
parent-ds-lagging alert must fire (parent-ds-alert-after 3 s), the roll must then complete, and
unbound, validating throughout, must never see an answer that is not secure."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import roll_env as r  # noqa: E402

DS_DELAY = 12
# From the CDS switch to the planned retirement: parent-ds-ttl + parent-propagation-delay +
# retire-safety (roll_env.TIMING).
PLANNED = r.TTL + 3 + 1


def main():
    def policy(parent):
        return ["--key-policy", "ksk-zsk-roll", "--ksk-lifetime", "60", "--zsk-lifetime", "0",
                "--parent-ds-check", "127.0.0.1:%d" % parent.port,
                "--parent-ds-check-interval", "1", "--parent-ds-alert-after", "3"] + r.TIMING

    def done(state, w, ksk):
        keys, cds, _, dnskey_signers = state
        return len(keys) == 2 and cds != [ksk] and dnskey_signers == cds and w.ds_updates
    finished, watch, ksk, log, alerts = r.run_roll(
        policy, lambda port: r.tags_of(port, "CDS")[0], done, 120, ds_delay=DS_DELAY)
    trail = watch.trail()
    h.check(finished, "the KSK roll did not complete in 120 s:\n%s\n%s" % (trail, log[-3000:]))
    watch.check_secure()
    h.check(len(watch.cds_changes) == 1 and len(watch.ds_updates) == 1,
            "CDS changes %s, DS updates %s" % (watch.cds_changes, watch.ds_updates))
    switch, update = watch.cds_changes[0], watch.ds_updates[0]
    retired = [t for t, st in watch.steps if t > switch and ksk not in st[3]]
    h.check(retired, "the old KSK never stopped signing:\n%s" % trail)
    # Held past the planned retirement, until the DS named the successor and its TTL passed.
    h.check(retired[0] >= update + r.TTL and retired[0] > switch + PLANNED + 1,
            "the old KSK stopped signing at %.1f s: CDS switch at %.1f s, planned retirement "
            "%d s later, DS updated at %.1f s:\n%s" % (retired[0], switch, PLANNED, update, trail))
    h.check(all(ksk in st[3] for t, st in watch.steps if t <= update),
            "the old KSK stopped signing before the DS update:\n%s" % trail)
    h.check(any(a.startswith("parent-ds-lagging") for a in alerts),
            "no parent-ds-lagging alert: %s" % alerts)
    h.check("parent-ds-check: key %d keeps signing until" % ksk in log, "no hold logged")
    print(trail)
    h.ok("KSK %d held by parent-ds-check: CDS switch at %.1f s, DS updated at %.1f s (planned "
         "retirement at %.1f s), old KSK stopped signing at %.1f s; alert %s; %d queries through "
         "unbound, %d not secure" % (ksk, switch, update, switch + PLANNED, retired[0],
                                     [a.split()[0] for a in alerts], watch.queries,
                                     watch.failures))


if __name__ == "__main__":
    sys.exit(main())
