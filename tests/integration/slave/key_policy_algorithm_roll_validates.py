#!/usr/bin/python3
"""An algorithm roll (RSASHA256 8 -> ECDSAP256SHA256 13) driven by the running slave while
unbound validates the zone through a signed parent on NSD: every ~0.2 s unbound is asked for an A
record, an NXDOMAIN and the DNSKEY RRset of the child, and every answer must be secure. The slave
starts with an algorithm-8 CSK under key-policy csk-roll (configured by --config), the
configuration is switched to algorithm 13 and reloaded by SIGHUP, and the slave rolls by itself
(RFC 6781 §4.1.4, conservative): the new key's signatures first while the DNSKEY RRset holds
only the old key, then both keys, the CDS switch (the test plays the parent's operator with
BIND's dnssec-cds), the old key out of the DNSKEY RRset while its signatures stay, and at last
algorithm 13 alone. unbound runs with harden-algo-downgrade, so each answer must carry a valid
signature of every algorithm the parent's DS names.

Negative controls, run by hand: FLATSIGN_SKIP_DS_UPDATE=1 never updates the parent's DS (the old
key leaves while the DS still names it: answers turn bogus); FLATSIGN_ALG_ROLL_NO_STEP5=1 stops
the old algorithm's signatures when its key leaves the DNSKEY RRset (dnssec-settime -I on the old
key's files as the roll starts), while a resolver may still hold a DNSKEY RRset validated from
the old DS, which asks for the old algorithm's signatures."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rdatatype  # noqa: E402

import harness as h  # noqa: E402
import roll_env as r  # noqa: E402

SKIP_DS = os.environ.get("FLATSIGN_SKIP_DS_UPDATE") == "1"
NO_STEP5 = os.environ.get("FLATSIGN_ALG_ROLL_NO_STEP5") == "1"
OLD, NEW = 8, 13
# The DNSKEY TTL longer than the parent's DS steps: a resolver may hold a DNSKEY RRset validated
# from the old DS, asking for the old algorithm's signatures, well after the old key has left.
DNSKEY_TTL = 12
TIMING = list(r.TIMING)
TIMING[TIMING.index("--dnskey-ttl") + 1] = str(DNSKEY_TTL)


def algorithms(port, rdtype, signers=False):
    """Algorithms of the child's DNSKEYs, or (signers) of the RRSIGs over `rdtype`, at the slave."""
    out = set()
    for rrset in r.slave_rrsets(port, rdtype):
        if signers and rrset.rdtype == dns.rdatatype.RRSIG:
            out |= {rd.algorithm for rd in rrset}
        elif not signers and rrset.rdtype == dns.rdatatype.DNSKEY:
            out |= {rd.algorithm for rd in rrset}
    return sorted(int(a) for a in out)


def main():
    conf = {}

    def policy(parent):
        conf["path"] = parent.tmp.write("slave.conf", 'algorithm = "rsasha256"\n')
        conf["keys"] = parent.tmp.file(os.path.join("state", "example.test"))
        return ["--config", conf["path"], "--key-policy", "csk-roll",
                "--csk-lifetime", "0"] + TIMING

    def start(port):
        first = r.tags_of(port, "DNSKEY")
        h.check(len(first) == 1 and algorithms(port, "DNSKEY") == [OLD],
                "one algorithm-8 CSK at the start: %s %s" % (first, algorithms(port, "DNSKEY")))
        return first

    def change(slave):
        with open(conf["path"], "w") as f:
            f.write('algorithm = "ecdsap256sha256"\n')
        os.kill(slave.proc.pid, signal.SIGHUP)

    control = {"done": False}

    def retire_with_removal(first, state):
        """The control: the old key stops signing when it leaves the DNSKEY RRset."""
        if control["done"] or not [t for t in state[2] if t not in first]:
            return
        base = [n[:-len(".key")] for n in os.listdir(conf["keys"])
                if n.endswith("+%03d+%05d.key" % (OLD, first[0]))][0]
        with open(os.path.join(conf["keys"], base + ".key")) as f:
            delete = [line.split()[2] for line in f if line.startswith("; Delete:")][0]
        h.run([h.peer("dnssec-settime"), "-I", delete, "-K", conf["keys"], base])
        control["done"] = True

    def done(state, w, first):
        if NO_STEP5:
            retire_with_removal(first, state)
        keys, cds, signers, _ = state
        end = (len(keys) == 1 and keys != first and cds == keys and signers == keys and
               (w.ds_updates or SKIP_DS))
        if not end:
            return False
        # Asked on until every cache has dropped the DNSKEY RRset of before the end.
        conf.setdefault("end_at", w.now())
        conf["end"] = (algorithms(w.port, "DNSKEY"), algorithms(w.port, "SOA", True),
                       algorithms(w.port, "DNSKEY", True))
        return w.now() >= conf["end_at"] + DNSKEY_TTL + 2
    finished, watch, first, log, _ = r.run_roll(
        policy, start, done, 150, change=change, skip_ds=SKIP_DS,
        resolver_options=["harden-algo-downgrade: yes"])
    trail = watch.trail()
    h.check(finished, "the algorithm roll did not complete in 150 s:\n%s\n%s" % (trail, log[-3000:]))
    watch.check_secure()
    new = watch.steps[-1][1][0][0]
    both = sorted(first + [new])
    o, n = first, [new]
    for what, step in (("the new algorithm signing before its key is published", (o, o, both, both)),
                       ("both keys published and signing", (both, o, both, both)),
                       ("the CDS switch", (both, n, both, both)),
                       ("the old key removed, its signatures kept", (n, n, both, both)),
                       ("the new algorithm alone", (n, n, n, n))):
        h.check(watch.seen(step), "%s not seen:\n%s" % (what, trail))
    h.check(conf["end"] == ([NEW], [NEW], [NEW]),
            "DNSKEY algorithms, SOA and DNSKEY signers' algorithms at the end: %s" % (conf["end"],))
    h.check(watch.steps[0][1] == (o, o, o, o), "the roll did not start from the old key alone:\n"
            + trail)
    h.check("algorithm roll RSASHA256 -> ECDSAP256SHA256" in log, "no algorithm roll logged:\n"
            + log[-3000:])
    print(trail)
    h.ok("algorithm roll %s (alg %d) -> %s (alg %d) by the running slave after a reload: %d steps, "
         "DS updated %d times by dnssec-cds, %d queries through unbound (harden-algo-downgrade), "
         "%d not secure" % (first, OLD, n, NEW, len(watch.steps), len(watch.ds_updates),
                            watch.queries, watch.failures))


if __name__ == "__main__":
    sys.exit(main())
