#!/usr/bin/python3
"""dnssec-verify, ldns-verify-zone, kzonecheck and our verifier accept zones we sign with every
algorithm (13, 15, 8), NSEC, NSEC3 and NSEC3 opt-out, one CSK or KSK+ZSK."""
import harness as h

TOOL = h.binary("flatsign-sign-tool")
DNSSEC_VERIFY = h.peer("dnssec-verify")
LDNS_VERIFY = h.peer("ldns-verify-zone")
KZONECHECK = h.peer("kzonecheck")
ZONE = "example.com."

with h.TempDir() as tmp:
    src = h.gen_dnssec_zone(tmp.file("z.zone"), 400, seed=3)
    checked = 0
    for alg in ("13", "15", "8"):
        for split in ([], ["--split"]):
            keys = tmp.file("k%s%d" % (alg, len(split)))
            h.run(["mkdir", "-p", keys])
            h.run([TOOL, "keygen", "-z", ZONE, "-d", keys, "-a", alg] + split)
            for mode in ([], ["--nsec3"], ["--nsec3", "--opt-out"]):
                out = tmp.file("signed.zone")
                h.run([TOOL, "sign", src, "-z", ZONE, "-k", keys, "-o", out] + mode)
                what = "alg %s %s %s" % (alg, "KSK+ZSK" if split else "CSK", " ".join(mode) or "NSEC")
                # -z: a single CSK has only the KSK flag (DESIGN.md §4).
                res = h.run([DNSSEC_VERIFY, "-z", "-o", ZONE, out], check_rc=False)
                h.check(res.returncode == 0, "dnssec-verify rejects %s:\n%s" % (what, res.stderr))
                res = h.run([LDNS_VERIFY, out], check_rc=False)
                h.check(res.returncode == 0, "ldns-verify-zone rejects %s:\n%s%s" %
                        (what, res.stdout, res.stderr))
                res = h.run([KZONECHECK, "-o", ZONE, out], check_rc=False)
                h.check(res.returncode == 0, "kzonecheck rejects %s:\n%s%s" %
                        (what, res.stdout, res.stderr))
                res = h.run([TOOL, "verify", out, "-z", ZONE], check_rc=False)
                h.check(res.returncode == 0, "our verifier rejects %s:\n%s" % (what, res.stdout))
                checked += 1
    h.ok("%d signed zones accepted by BIND, ldns, Knot and flatsign" % checked)
