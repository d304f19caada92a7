#!/usr/bin/python3
"""Two slaves of one zone share a key folder (`key-dir`): slave A rolls the CSK by itself
(key-policy csk-roll, lifetimes in seconds), slave B only reads the shared timing (key-policy
manual). Both are asked every ~0.1 s for the DNSKEY RRset, the CDS and the SOA's signers: they
must go through the same steps of the roll in the same order (double signature, CDS switch,
retirement, removal), disagree only for the moment a step takes to re-sign (under 1 s), and B
must never write a key. Both signed files pass dnssec-verify at the end."""
import os
import sys
import time

import dns.dnssec
import dns.message
import dns.query
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402

CHILD = env.ZONE
TTL = 2
ZONE_TEXT = """$TTL %d
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 %d
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.1
""" % (TTL, TTL)
TIMING = ["--cds", "publish", "--csk-lifetime", "40", "--dnskey-ttl", str(TTL),
          "--propagation-delay", "1", "--publish-safety", "1", "--retire-safety", "1",
          "--parent-ds-ttl", str(TTL), "--parent-propagation-delay", "3",
          "--key-check-interval", "0.5"]


def state_of(port):
    """(DNSKEY tags, CDS tags, SOA signer tags), or None when not answering."""
    out = []
    try:
        for rdtype in ("DNSKEY", "CDS", "SOA"):
            q = dns.message.make_query(CHILD, rdtype, want_dnssec=True)
            r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
            tags = []
            for rrset in r.answer:
                if rrset.rdtype == dns.rdatatype.DNSKEY:
                    tags += [dns.dnssec.key_id(rd) for rd in rrset]
                elif rrset.rdtype == dns.rdatatype.CDS:
                    tags += [rd.key_tag for rd in rrset]
                elif rrset.rdtype == dns.rdatatype.RRSIG and rdtype == "SOA":
                    tags += [rd.key_tag for rd in rrset]
            out.append(tuple(sorted(tags)))
    except Exception:
        return None
    return tuple(out)


def settled(seq):
    """The states held for more than one sample: a sample may fall between a slave's DNSKEY and
    SOA answers while it steps, which shows a state it never served as a whole. The last state
    counts however briefly it was seen: the loop ends as soon as both slaves are in it."""
    return [st for i, (_, st, n) in enumerate(seq) if n > 1 or i == len(seq) - 1]


def main():
    master = env.FakeMaster()
    master.zone_text = ZONE_TEXT
    with h.TempDir() as shared, h.TempDir() as tmp_a, h.TempDir() as tmp_b:
        keys = shared.file("keys")
        os.makedirs(keys)
        a = env.Slave(tmp_a, master.port, TIMING + ["--key-policy", "csk-roll", "--key-dir", keys])
        with a:
            a.wait_signed()
            b = env.Slave(tmp_b, master.port, TIMING + ["--key-policy", "manual", "--key-dir", keys])
            with b:
                b.wait_signed()
                h.check(os.listdir(b.zone_state) and
                        not any(n.startswith("K") for n in os.listdir(b.zone_state)),
                        "B made keys of its own: %s" % os.listdir(b.zone_state))
                h.wait_for(lambda: state_of(a.port) and state_of(a.port) == state_of(b.port), 10,
                           what="both slaves serving the same keys")
                first = state_of(a.port)[0]
                seq = {"A": [], "B": []}
                t0 = time.monotonic()
                samples = differing = 0
                longest = 0.0
                since = None
                done = False
                while time.monotonic() - t0 < 90 and not done:
                    sa, sb = state_of(a.port), state_of(b.port)
                    now = time.monotonic() - t0
                    samples += 1
                    for name, st in (("A", sa), ("B", sb)):
                        if st and seq[name] and seq[name][-1][1] == st:
                            seq[name][-1][2] += 1
                        elif st:
                            seq[name].append([round(now, 2), st, 1])
                    # A disagreement lasts from its first sample to the next agreeing one.
                    if sa != sb:
                        differing += 1
                        since = now if since is None else since
                    elif since is not None:
                        longest = max(longest, now - since)
                        since = None
                    done = (sa == sb and sa is not None and len(sa[0]) == 1 and sa[0] != first
                            and sa[2] == sa[0] and len(settled(seq["A"])) >= 4)
                    time.sleep(0.1)
                a_log, b_log = a.log(), b.log()
                h.check(a.alive() and b.alive(), "a slave exited")
                a.verify()
                b.verify()
        files = sorted(os.listdir(keys))
    master.stop()

    def trail(name):
        return "\n".join("  %6.2f s %s x%d" % (t, st, n) for t, st, n in seq[name])
    both = "A:\n%s\nB:\n%s" % (trail("A"), trail("B"))
    h.check(done, "the roll did not complete in 90 s:\n%s\n%s" % (both, a_log[-2000:]))
    steps_a, steps_b = settled(seq["A"]), settled(seq["B"])
    h.check(steps_a == steps_b, "the slaves went through different steps:\n" + both)
    seen_a = [st for _, st, _ in seq["A"]]
    seen_b = [st for _, st, _ in seq["B"]]
    new = seen_a[-1][0]
    both_keys = tuple(sorted(first + new))
    for what, st in (("double signature", (both_keys, first, both_keys)),
                     ("CDS switch", (both_keys, new, both_keys)),
                     ("old key retired", (both_keys, new, new)),
                     ("old key removed", (new, new, new))):
        h.check(st in seen_a and st in seen_b, "%s not seen on both:\n%s" % (what, both))
    h.check(longest < 1.0 and since is None, "the slaves disagreed for %.2f s:\n%s" % (longest, both))
    h.check("key-policy csk-roll: successor" in a_log and "successor" not in b_log,
            "A must make the successor, B never")
    h.check("key set changed" in b_log, "B never changed its key set")
    h.check(len([f for f in files if f.endswith(".key")]) == 2, "key files: %s" % files)
    print(both)
    h.ok("two slaves through a CSK roll from one key folder: the same %d steps, %d of %d samples "
         "apart (longest %.2f s, while a step re-signed)" % (len(steps_a), differing, samples,
                                                             longest))


if __name__ == "__main__":
    sys.exit(main())
