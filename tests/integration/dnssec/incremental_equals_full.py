#!/usr/bin/python3
"""Random edits signed incrementally (the previous zone patched) give the same RRsets as a full
sign, pass our verifier and dnssec-verify, and re-sign far fewer RRsets (NSEC and NSEC3)."""
import random
import re
import harness as h

TOOL = h.binary("flatsign-sign-tool")
DNSSEC_VERIFY = h.peer("dnssec-verify")
ZONE = "example.com."

with h.TempDir() as tmp:
    old = h.gen_dnssec_zone(tmp.file("old.zone"), 2000, seed=11)
    keys = tmp.file("keys")
    h.run(["mkdir", "-p", keys])
    h.run([TOOL, "keygen", "-z", ZONE, "-d", keys, "-a", "15"])
    rng = random.Random(4)
    lines = open(old).read().splitlines()
    for trial in range(4):
        new = list(lines)
        body = range(10, len(new))
        for k in sorted(rng.sample(body, 5), reverse=True):
            del new[k]  # removals (whole RRsets or single RRs)
        new.append("fresh%d IN A 192.0.2.%d" % (trial, trial + 1))
        new.append("x.y.ent%d IN TXT \"new ENT\"" % trial)
        new.append("*.wild%d IN A 192.0.2.9" % trial)
        new.append("deleg%d IN NS ns.deleg%d\nns.deleg%d IN A 192.0.2.8" % ((trial,) * 3))
        new[1] = re.sub(r" 1 7200", " %d 7200" % (trial + 2), new[1])  # serial
        path = tmp.write("new.zone", "\n".join(new) + "\n")
        for mode in ([], ["--nsec3"]):
            out = tmp.file("incr.zone")
            res = h.run([TOOL, "incremental", old, path, "-z", ZONE, "-k", keys, "-o", out,
                         "--check"] + mode, check_rc=False)
            h.check(res.returncode == 0, "incremental differs from full sign:\n" + res.stdout)
            stats = dict(kv.split("=") for kv in res.stdout.split()[1:] if "=" in kv)
            h.check(int(stats["signed"]) < int(stats["rrsets_in"]) // 10,
                    "incremental re-signed too much: " + res.stdout)
            h.check(stats.get("patched") == "true",
                    "incremental fell back to a full sign: " + res.stdout)
            res = h.run([DNSSEC_VERIFY, "-z", "-o", ZONE, out], check_rc=False)
            h.check(res.returncode == 0, "dnssec-verify rejects the incremental result:\n" +
                    res.stderr)
        old = tmp.write("old%d.zone" % trial, "\n".join(new) + "\n")
        lines = new
    h.ok("incremental signing equals full signing on random edits")
