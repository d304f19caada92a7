#!/usr/bin/python3
"""An algorithm roll (RSASHA256 8 -> ECDSAP256SHA256 13) driven by the running slave while
unbound validates the zone through a signed parent on NSD: every ~0.2 s unbound is asked for an A
record, an NXDOMAIN and the DNSKEY RRset of the child, and every answer must be secure, up to a
DNSKEY TTL past the end. Twice: an algorithm-8 CSK under key-policy csk-roll, then an algorithm-8
KSK and ZSK under ksk-zsk-roll (configured by --config). The configuration is switched to
algorithm 13 and reloaded by SIGHUP, and the slave rolls by itself (RFC 6781 §4.1.4,
conservative): the new keys' signatures first while the DNSKEY RRset holds only the old keys,
then both algorithms' keys, the CDS switch (the test plays the parent's operator with BIND's
dnssec-cds), the old keys out of the DNSKEY RRset while their signatures stay, and at last
algorithm 13 alone. unbound runs with harden-algo-downgrade, so each answer must carry a valid
signature of every algorithm the parent's DS names.

Negative controls, run by hand: FLATSIGN_SKIP_DS_UPDATE=1 never updates the parent's DS (the old
key leaves while the DS still names it: answers turn bogus); FLATSIGN_ALG_ROLL_NO_STEP5=1 stops
the old algorithm's signatures when its key leaves the DNSKEY RRset (dnssec-settime -I on the old
key's files as the roll starts; CSK only), while a resolver may still hold a DNSKEY RRset validated from
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


def roll(mode):
    """One algorithm roll under `mode` ("csk-roll" or "ksk-zsk-roll"); returns the summary."""
    conf = {}

    def policy(parent):
        conf["path"] = parent.tmp.write("slave.conf", 'algorithm = "rsasha256"\n')
        conf["keys"] = parent.tmp.file(os.path.join("state", "example.test"))
        lifetimes = (["--csk-lifetime", "0"] if mode == "csk-roll" else
                     ["--ksk-lifetime", "0", "--zsk-lifetime", "0"])
        return ["--config", conf["path"], "--key-policy", mode] + lifetimes + TIMING

    def start(port):
        state = r.state_of(port)
        count = 1 if mode == "csk-roll" else 2
        h.check(len(state[0]) == count and algorithms(port, "DNSKEY") == [OLD],
                "%d algorithm-8 key(s) at the start: %s %s" % (count, state,
                                                               algorithms(port, "DNSKEY")))
        return state

    def change(slave):
        with open(conf["path"], "w") as f:
            f.write('algorithm = "ecdsap256sha256"\n')
        os.kill(slave.proc.pid, signal.SIGHUP)

    control = {"done": False}

    def retire_with_removal(first, state):
        """The control: the old key stops signing when it leaves the DNSKEY RRset."""
        if control["done"] or not [t for t in state[2] if t not in first[0]]:
            return
        base = [n[:-len(".key")] for n in os.listdir(conf["keys"])
                if n.endswith("+%03d+%05d.key" % (OLD, first[0][0]))][0]
        with open(os.path.join(conf["keys"], base + ".key")) as f:
            delete = [line.split()[2] for line in f if line.startswith("; Delete:")][0]
        h.run([h.peer("dnssec-settime"), "-I", delete, "-K", conf["keys"], base])
        control["done"] = True

    def done(state, w, first):
        if NO_STEP5 and mode == "csk-roll":
            retire_with_removal(first, state)
        keys, cds, soa_signers, dnskey_signers = state
        new = set(keys) - set(first[0])
        end = (len(new) == len(first[0]) == len(keys) and set(cds) <= new and
               set(soa_signers) <= new and set(dnskey_signers) <= new and
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
    h.check(finished, "the %s algorithm roll did not complete in 150 s:\n%s\n%s" % (
        mode, trail, log[-3000:]))
    watch.check_secure()
    last = watch.steps[-1][1]
    both = [sorted(a + b) for a, b in zip(first, last)]
    o, n = first, last
    for what, step in (("the new algorithm signing before its keys are published",
                        (o[0], o[1], both[2], both[3])),
                       ("both algorithms' keys published and signing",
                        (both[0], o[1], both[2], both[3])),
                       ("the CDS switch", (both[0], n[1], both[2], both[3])),
                       ("the old keys removed, their signatures kept",
                        (n[0], n[1], both[2], both[3])),
                       ("the new algorithm alone", n)):
        h.check(watch.seen(step), "%s: %s not seen:\n%s" % (mode, what, trail))
    h.check(conf["end"] == ([NEW], [NEW], [NEW]),
            "DNSKEY algorithms, SOA and DNSKEY signers' algorithms at the end: %s" % (conf["end"],))
    h.check(watch.steps[0][1] == first, "the roll did not start from the old keys alone:\n"
            + trail)
    h.check("key-policy %s: algorithm roll RSASHA256 -> ECDSAP256SHA256" % mode in log,
            "no algorithm roll logged:\n" + log[-3000:])
    print(trail)
    return ("%s: %s (alg %d) -> %s (alg %d), %d steps, DS updated %d times by dnssec-cds, %d "
            "queries, %d not secure" % (mode, o[0], OLD, n[0], NEW, len(watch.steps),
                                        len(watch.ds_updates), watch.queries, watch.failures))


def main():
    done = [roll("csk-roll")]
    if not NO_STEP5:
        done.append(roll("ksk-zsk-roll"))
    h.ok("algorithm rolls by the running slave after a reload, validated by unbound "
         "(harden-algo-downgrade): " + "; ".join(done))


if __name__ == "__main__":
    sys.exit(main())
