#!/usr/bin/python3
"""Our verifier accepts a zone dnssec-signzone signed with keys we generated (so BIND reads our
key files), and we sign with keys dnssec-keygen made (so we read BIND's)."""
import glob
import harness as h

TOOL = h.binary("flatsign-sign-tool")
SIGNZONE = h.peer("dnssec-signzone")
KEYGEN = h.peer("dnssec-keygen")
DSFROMKEY = h.peer("dnssec-dsfromkey")
DNSSEC_VERIFY = h.peer("dnssec-verify")
ZONE = "example.com."

with h.TempDir() as tmp:
    src = h.gen_dnssec_zone(tmp.file("z.zone"), 300, seed=5)
    for alg in ("13", "15", "8"):
        ours = tmp.file("ours%s" % alg)
        h.run(["mkdir", "-p", ours])
        h.run([TOOL, "keygen", "-z", ZONE, "-d", ours, "-a", alg, "--split"])
        for key in glob.glob(ours + "/*.key"):
            res = h.run([DSFROMKEY, "-2", key])
            tag = key.split("+")[-1].split(".")[0]
            h.check(res.stdout.split()[3] == str(int(tag)), "dnssec-dsfromkey tag differs: " +
                    res.stdout)
        for nsec3 in ([], ["-3", "-"]):
            out = tmp.file("bind%s.zone" % alg)
            h.run([SIGNZONE, "-K", ours, "-d", ours, "-S", "-o", ZONE, "-f", out] + nsec3 + [src])
            res = h.run([TOOL, "verify", out, "-z", ZONE], check_rc=False)
            h.check(res.returncode == 0, "we reject BIND's alg %s %s zone:\n%s" %
                    (alg, nsec3 or "NSEC", res.stdout))
        theirs = tmp.file("theirs%s" % alg)
        h.run(["mkdir", "-p", theirs])
        h.run([KEYGEN, "-q", "-K", theirs, "-a", alg] + (["-b", "2048"] if alg == "8" else []) +
              ["-f", "KSK", ZONE])
        out = tmp.file("ours%s.zone" % alg)
        h.run([TOOL, "sign", src, "-z", ZONE, "-k", theirs, "-o", out])
        res = h.run([DNSSEC_VERIFY, "-z", "-o", ZONE, out], check_rc=False)
        h.check(res.returncode == 0, "BIND rejects our zone signed with its keys:\n" + res.stderr)
    h.ok("BIND and flatsign read each other's keys and signed zones")
