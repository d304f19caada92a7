#!/usr/bin/python3
"""Our printed owner order is RFC 4034 canonical order, as ldns-read-zone -z sorts it."""
import harness as h

TOOL = h.binary("flatsign-zone-tool")
LDNS = h.peer("ldns-read-zone")
try:
    import dns.name
except ImportError:
    h.skip("dnspython is not installed for /usr/bin/python3")


def owners(lines, sep):
    """Owner names in order, consecutive repeats dropped, normalised by dnspython."""
    out = []
    for line in lines:
        if not line or line.startswith(";"):
            continue
        name = dns.name.from_text(line.split(sep, 1)[0] if sep else line.split(None, 1)[0])
        key = name.canonicalize().to_text()
        if not out or out[-1] != key:
            out.append(key)
    return out


with h.TempDir() as tmp:
    src = tmp.file("gen.zone")
    h.gen_zone(src, 20000, seed=3)
    printed = h.run([TOOL, "print", src, "--origin", "example.com."]).stdout.splitlines()
    sorted_by_ldns = h.run([LDNS, "-z", src]).stdout.splitlines()
    mine, theirs = owners(printed, "\t"), owners(sorted_by_ldns, None)
    h.check(len(mine) == len(theirs), "%d owners printed, ldns has %d" % (len(mine), len(theirs)))
    for i, (a, b) in enumerate(zip(mine, theirs)):
        h.check(a == b, "owner %d differs: ours %s, ldns %s" % (i, a, b))
    h.ok("%d owners in ldns's canonical order" % len(mine))
