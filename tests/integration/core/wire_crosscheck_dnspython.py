#!/usr/bin/python3
"""Wire cross-check against dnspython: messages flatsign writes decode in dnspython to the same
RRs, and wire dnspython writes decodes in flatsign to text dnspython reads back as the same RRs."""
import os
import subprocess
import sys

try:
    import dns.message
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rrset
except ImportError:
    print("SKIP: dnspython is not installed for /usr/bin/python3")
    sys.exit(77)

BIN = os.environ.get("FLATSIGN_BIN", "/work/main/build/bin")
TOOL = os.path.join(BIN, "flatsign-wire-tool")
ALIAS = 65401  # PowerDNS's private type; dnspython only knows it generically (RFC 3597)

B64_KEY = ("mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eK"
           "Gw==")
B64_SIG = ("Gh4Zq2pNhJmMNsU6XXb2gF9iBEP0hPj9TrWTtc3SpdKiPFJnMeY9A8b9SMfKFnGRz9eM7tHj8P5XgOX8YyJ"
           "bjQ==")
HEX32 = "2bb183af5f22588179a53b0a98631fad1a292118e2fdd0e13d5c2dd2cc3d7d9b"
RECORDS = {
    "A": ["192.0.2.1", "198.51.100.255"],
    "AAAA": ["2001:db8::1", "::ffff:192.0.2.1"],
    "NS": ["ns1.example.", "ns2.other.test."],
    "CNAME": ["target.example."],
    "DNAME": ["example.net."],
    "SOA": ["ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300"],
    "PTR": ["host.example."],
    "MX": ["10 mail.example.", "20 mail.backup.test."],
    "TXT": ['"hello world" "semi;colon"', '"quote\\"d" "back\\\\slash"', '""', '"tab\\009x"',
            '"' + "x" * 255 + '"'],
    "SPF": ['"v=spf1 -all"'],
    "HINFO": ['"PC" "Linux 6"'],
    "SRV": ["10 20 5060 sip.example.", "0 0 0 ."],
    "NAPTR": ['100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .',
              '10 5 "s" "SIP+D2U" "" _sip._udp.example.'],
    "CAA": ['0 issue "letsencrypt.org"', '128 iodef "mailto:sec@example.com"'],
    "TLSA": ["3 1 1 " + HEX32],
    "SSHFP": ["1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac", "4 2 " + HEX32],
    "DS": ["12345 13 2 " + HEX32],
    "CDS": ["12345 13 2 " + HEX32],
    "DNSKEY": ["257 3 13 " + B64_KEY, "256 3 13 " + B64_KEY],
    "CDNSKEY": ["257 3 13 " + B64_KEY],
    "RRSIG": ["A 13 2 300 20240201000000 20240101000000 12345 example. " + B64_SIG],
    "NSEC": ["b.example. A NS SOA RRSIG NSEC DNSKEY TYPE65534", "c.example. A"],
    "NSEC3": ["1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
              "1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"],
    "NSEC3PARAM": ["1 0 10 AABBCCDD", "1 0 0 -"],
    "SVCB": ["0 alias.example.", "1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1,192.0.2.2",
             "2 svc.example. mandatory=alpn alpn=h2 ipv6hint=2001:db8::1"],
    "HTTPS": ["1 . alpn=h3 no-default-alpn", "3 cdn.example. port=443 ech=AEX+DQBBpQAgACB/"],
    "ALIAS": ["target.example.net."],
    "TYPE65534": ["\\# 4 0a000001", "\\# 0"],
}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def tool(args, data):
    p = subprocess.run([TOOL] + args, input=data, capture_output=True, timeout=60)
    if p.returncode != 0:
        fail("flatsign-wire-tool %s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


# dnspython keeps one RDATA per RRset for these ("singleton" types), so each gets its own owner.
SINGLETONS = {"CNAME", "DNAME", "SOA", "NSEC"}


def owner(rtype, i=0):
    if rtype in SINGLETONS:
        return "r%d.%s.example." % (i, rtype.lower())
    return "%s.example." % rtype.lower()


def to_dnspython_text(rtype, rdata_text):
    """ALIAS is unknown to dnspython: give it the RFC 3597 form of its single name."""
    if rtype in ("ALIAS", "TYPE%d" % ALIAS):
        if rdata_text.startswith("\\#"):
            return "TYPE%d" % ALIAS, rdata_text
        wire = dns.name.from_text(rdata_text).to_wire()
        return "TYPE%d" % ALIAS, "\\# %d %s" % (len(wire), wire.hex())
    return rtype, rdata_text


def rr_key(name, ttl, rdclass, rdata):
    # Semantic identity: dnspython's rdata comparison (canonical wire), owner case-folded.
    return (dns.name.from_text(str(name)).canonicalize().to_text(), ttl, int(rdclass),
            int(rdata.rdtype), rdata.to_digestable())


def expected_set():
    out = set()
    for rtype, items in RECORDS.items():
        for i, text in enumerate(items):
            t, r = to_dnspython_text(rtype, text)
            rd = dns.rdata.from_text("IN", t, r)
            out.add(rr_key(owner(rtype, i), 300, dns.rdataclass.IN, rd))
    return out


def lines_for(rtypes):
    return "".join("%s 300 IN %s %s\n" % (owner(t, i), t, r)
                   for t in rtypes for i, r in enumerate(RECORDS[t]))


def message_set(msg):
    out = set()
    for rrset in msg.answer:
        for rd in rrset:
            out.add(rr_key(rrset.name, rrset.ttl, rrset.rdclass, rd))
    return out


def describe(diff):
    return "; ".join("%s %s %s" % (k[0], dns.rdatatype.to_text(k[3]), k[4].hex()) for k in diff)


def check_flatsign_to_dnspython(expected):
    """(1) Per type, then all at once: flatsign writes, dnspython reads."""
    for rtype in RECORDS:
        wire = bytes.fromhex(tool(["encode", "--hex", "--id", "7"], lines_for([rtype]).encode())
                             .decode().strip())
        try:
            msg = dns.message.from_wire(wire)
        except Exception as e:  # noqa: BLE001 - any dnspython refusal is a finding
            fail("dnspython rejects flatsign's %s message: %s (%s)" % (rtype, e, wire.hex()))
        owners = {owner(rtype, i) for i in range(len(RECORDS[rtype]))}
        want = {k for k in expected if k[0] in owners}
        got = message_set(msg)
        if got != want:
            fail("%s: flatsign wrote %s, expected %s" % (rtype, describe(got - want),
                                                         describe(want - got)))
    wire = bytes.fromhex(tool(["encode", "--hex", "--qname", "example.", "--qtype", "ANY",
                               "--edns", "1232"], lines_for(RECORDS).encode()).decode().strip())
    msg = dns.message.from_wire(wire)
    if message_set(msg) != expected:
        fail("combined message differs from the expected RRs")
    if msg.edns != 0 or msg.payload != 1232:
        fail("EDNS not as written: edns=%s payload=%s" % (msg.edns, msg.payload))
    print("ok: flatsign -> dnspython, %d types, %d RRs, %d octets" % (len(RECORDS), len(expected),
                                                                     len(wire)))


def check_dnspython_to_flatsign(expected):
    """(2) dnspython writes (with its compression), flatsign prints, dnspython parses the text."""
    msg = dns.message.make_response(dns.message.make_query("example.", "ANY"))
    for rtype, items in RECORDS.items():
        for i, r in enumerate(items):
            rd = dns.rdata.from_text("IN", *to_dnspython_text(rtype, r))
            msg.find_rrset(msg.answer, dns.name.from_text(owner(rtype, i)), rd.rdclass, rd.rdtype,
                           create=True).add(rd, 300)
    wire = msg.to_wire()
    text = tool(["decode"], wire.hex().encode()).decode()
    got = set()
    for line in text.splitlines():
        name, ttl, rdclass, rtype, rdata_text = (line.split(None, 4) + [""])[:5]
        t, r = to_dnspython_text(rtype, rdata_text)
        try:
            rd = dns.rdata.from_text(rdclass, t, r)
        except Exception as e:  # noqa: BLE001
            fail("dnspython cannot read flatsign's text %r: %s" % (line, e))
        got.add(rr_key(name, int(ttl), dns.rdataclass.from_text(rdclass), rd))
    if got != expected:
        fail("flatsign decoded %s; missed %s" % (describe(got - expected),
                                                  describe(expected - got)))
    # Binary input and the TCP framing take the same path.
    framed = len(wire).to_bytes(2, "big") + wire
    if tool(["decode", "--tcp"], framed).decode() != text:
        fail("TCP-framed decode differs")
    print("ok: dnspython -> flatsign, %d RRs from %d octets" % (len(got), len(wire)))


def check_truncation_and_axfr():
    big = "".join("big.example. 300 IN TXT \"%s\"\n" % ("%03d" % i * 60) for i in range(20))
    wire = bytes.fromhex(tool(["encode", "--hex", "--limit", "512", "--qname", "big.example.",
                               "--qtype", "TXT"], big.encode()).decode().strip())
    msg = dns.message.from_wire(wire)
    if len(wire) > 512 or not (msg.flags & dns.flags.TC) or msg.answer:
        fail("512-octet limit: size %d, TC %s, %d rrsets (the whole RRset must go)"
             % (len(wire), bool(msg.flags & dns.flags.TC), len(msg.answer)))
    zone = ["example. 300 IN SOA ns.example. h.example. 1 2 3 4 5"]
    zone += ["h%d.example. 300 IN TXT \"%s\"" % (i, "x" * 100) for i in range(3000)]
    zone.append(zone[0])
    hexes = tool(["encode", "--hex", "--axfr", "--id", "99", "--qname", "example.", "--qtype",
                  "AXFR"], ("\n".join(zone) + "\n").encode()).decode().split()
    names = []
    for i, h in enumerate(hexes):
        w = bytes.fromhex(h)
        m = dns.message.from_wire(w, xfr=True, origin=dns.name.from_text("example."))
        if len(w) > 65535 or m.id != 99 or len(m.question) != (1 if i == 0 else 0):
            fail("AXFR message %d: %d octets, id %d, %d questions" % (i, len(w), m.id,
                                                                       len(m.question)))
        names += [str(rrset.name) for rrset in m.answer for _ in rrset]
    if len(hexes) < 4 or len(names) != len(zone):
        fail("AXFR: %d messages, %d RRs for %d" % (len(hexes), len(names), len(zone)))
    print("ok: TC at 512 octets; AXFR of %d RRs in %d messages" % (len(zone), len(hexes)))


def main():
    if not os.access(TOOL, os.X_OK):
        print("SKIP: %s not built" % TOOL)
        return 77
    import dns.flags  # noqa: F401 - used in check_truncation_and_axfr
    expected = expected_set()
    check_flatsign_to_dnspython(expected)
    check_dnspython_to_flatsign(expected)
    check_truncation_and_axfr()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
