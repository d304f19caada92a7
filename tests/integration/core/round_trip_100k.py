#!/usr/bin/python3
"""A generated 100k-name zone with every type survives parse -> print -> parse unchanged."""
import harness as h

TOOL = h.binary("flatsign-zone-tool")


def rr_count(check_output):
    # "example.com.: serial N, X nodes, Y RRsets, Z RRs, W warnings"
    return int(check_output.split(",")[3].split()[0])


with h.TempDir() as tmp:
    src = tmp.file("gen.zone")
    h.gen_zone(src, 100000, seed=42, extra=["--alias", "500"])
    first = h.run([TOOL, "check", src, "--origin", "example.com.", "-q"], timeout=300).stdout
    p1 = tmp.file("p1.zone")
    p2 = tmp.file("p2.zone")
    with open(p1, "w") as f:
        h.run([TOOL, "print", src, "--origin", "example.com."], stdout=f, timeout=300)
    with open(p2, "w") as f:
        h.run([TOOL, "print", p1, "--origin", "example.com."], stdout=f, timeout=300)
    second = h.run([TOOL, "check", p1, "--origin", "example.com.", "-q"], timeout=300).stdout
    text1, text2 = open(p1, "rb").read(), open(p2, "rb").read()
    h.check(text1 == text2, "printing the printed zone changed it (diff %s %s)" % (p1, p2))
    n = rr_count(first)
    h.check(n == rr_count(second), "RR count %d != %d after the round trip" % (n, rr_count(second)))
    lines = text1.count(b"\n")
    h.check(lines == n, "printed %d lines for %d RRs" % (lines, n))
    types = {line.split(b"\t")[3] for line in text1.splitlines()}
    # Private-use types (ALIAS is 65401) print in RFC 3597 form, which every tool reads.
    for t in (b"SOA", b"NS", b"A", b"AAAA", b"CNAME", b"DNAME", b"MX", b"TXT", b"SRV", b"NAPTR",
              b"CAA", b"TLSA", b"SSHFP", b"DS", b"CDS", b"DNSKEY", b"CDNSKEY", b"NSEC3PARAM",
              b"SVCB", b"HTTPS", b"PTR", b"HINFO", b"SPF", b"TYPE65401", b"TYPE65534"):
        h.check(t in types, "type %s missing from the printed zone" % t.decode())
    h.ok("%d RRs, %d types, print is a fixed point" % (n, len(types)))
