"""A corpus of malformed packets (short header, bad counts, compression loops, OPT in the wrong
section, two OPTs, a name of 128 labels, long labels, trailing octets, random bytes) sent to
flatsign-slave over UDP and TCP gets FORMERR or no answer, never anything else; unknown opcodes
get NOTIMP, EDNS version 1 gets BADVERS; the server answers normally after every packet."""
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import serve_env as s  # noqa: E402

QNAME = b"\x03www\x07example\x04test\x00"
Q = QNAME + struct.pack("!HH", 1, 1)


def hdr(qd=1, an=0, ns=0, ar=0, flags=0, ident=0x1234):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


OPT = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
CORPUS = [
    ("short header", b"\x12\x34\x00"),
    ("header only, QDCOUNT 1", hdr()),
    ("ANCOUNT 100, no records", hdr(an=100) + Q),
    ("QDCOUNT 65535", hdr(qd=65535) + Q),
    ("compression loop", hdr() + b"\xc0\x0c" + struct.pack("!HH", 1, 1)),
    ("forward pointer", hdr() + b"\xc0\x20" + struct.pack("!HH", 1, 1) + b"\x00" * 20),
    ("pointer into the header", hdr() + b"\xc0\x02" + struct.pack("!HH", 1, 1)),
    ("OPT in the answer section", hdr(an=1) + Q + OPT),
    ("two OPTs", hdr(ar=2) + Q + OPT + OPT),
    ("OPT not owned by the root", hdr(ar=1) + Q + b"\x01a\x00" + OPT[1:]),
    ("name of 128 labels", hdr() + b"\x01a" * 128 + b"\x00" + struct.pack("!HH", 1, 1)),
    ("label of 64 octets", hdr() + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", 1, 1)),
    ("reserved label type 0x80", hdr() + b"\x80a\x00" + struct.pack("!HH", 1, 1)),
    ("truncated question", hdr() + QNAME[:5]),
    ("trailing octets", hdr() + Q + b"\x00\x01\x02"),
    ("RDLENGTH past the end", hdr(ar=1) + Q + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 40)),
]
rng = random.Random(6)
CORPUS += [("random %d" % i, hdr(qd=rng.randrange(3), an=rng.randrange(3)) +
            bytes(rng.randrange(256) for _ in range(rng.randrange(40)))) for i in range(60)]


def send(port, wire, tcp):
    """The response octets, or None when nothing came back within 0.5 s."""
    kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as sk:
        sk.settimeout(0.5)
        try:
            if tcp:
                sk.connect(("127.0.0.1", port))
                sk.sendall(struct.pack("!H", len(wire)) + wire)
                n = struct.unpack("!H", sk.recv(2))[0]
                data = b""
                while len(data) < n:
                    data += sk.recv(n - len(data))
                return data
            sk.sendto(wire, ("127.0.0.1", port))
            return sk.recv(65535)
        except (socket.timeout, struct.error, ConnectionError):
            return None


def rcode(resp):
    return resp[3] & 0xF


def main():
    with h.TempDir() as tmp, s.SignedSlave(tmp) as srv:
        for tcp in (False, True):
            for what, wire in CORPUS:
                resp = send(srv.port, wire, tcp)
                where = "%s over %s" % (what, "TCP" if tcp else "UDP")
                if resp is not None:
                    h.check(len(resp) >= 12 and resp[2] & 0x80, "%s: not a response" % where)
                    ok = rcode(resp) == 1 or (what.startswith("random") and rcode(resp) in (0, 3, 4, 5))
                    h.check(ok, "%s: rcode %d, expected FORMERR" % (where, rcode(resp)))
                h.check(s.answers("www." + s.ZONE, "A", srv.port), "no answer after " + where)
        notimp = send(srv.port, hdr(flags=3 << 11) + Q, False)
        h.check(notimp is not None and rcode(notimp) == 4, "opcode 3: not NOTIMP")
        badvers = send(srv.port, hdr(ar=1) + Q + b"\x00" + struct.pack("!HHIH", 41, 1232,
                                                                        1 << 16, 0), False)
        h.check(badvers is not None and rcode(badvers) == 0 and badvers[-11 + 5] == 1,
                "EDNS version 1: extended rcode is not BADVERS: %r" % badvers)
        h.check(srv.slave.alive(), "the slave died")
    h.ok("%d malformed packets x UDP/TCP: FORMERR or silence; NOTIMP; BADVERS" % len(CORPUS))


if __name__ == "__main__":
    sys.exit(main())
