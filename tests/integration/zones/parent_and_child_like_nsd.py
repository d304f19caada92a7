"""A parent zone and its child zone in one flatsign-slave: below the cut the child answers
(authoritatively), the parent holds the child's DS, and every answer (rcode, AA, answer and
authority RRsets, with and without DO) equals NSD's when NSD serves the same two signed files;
unbound validates the child from the parent's trust anchor alone, through the DS."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.flags  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype as T  # noqa: E402

import harness as h  # noqa: E402
import serve_env as s  # noqa: E402
import zones_env as z  # noqa: E402

PARENT, CHILD = "example.test.", "child.example.test."
CUT = "child NS ns1.child\nns1.child A 127.0.0.1\n"

QUERIES = [(PARENT, "SOA"), (PARENT, "DNSKEY"), ("www." + PARENT, "A"), ("nx." + PARENT, "A"),
           (CHILD, "SOA"), (CHILD, "NS"), (CHILD, "DS"), (CHILD, "DNSKEY"), (CHILD, "A"),
           ("www." + CHILD, "A"), ("www." + CHILD, "TXT"), ("nx." + CHILD, "A"),
           ("a.b.nx." + CHILD, "AAAA"), ("ns1." + CHILD, "A"), ("WWW.Child.Example.TEST.", "A"),
           ("txt." + CHILD, "TXT"), ("mail." + CHILD, "MX")]


def rrsets(msg, section):
    out = []
    for r in getattr(msg, section):
        if section == "authority" and T.NS in (r.rdtype, r.covers) and msg.answer and \
                msg.flags & dns.flags.AA:
            continue  # NSD adds the apex NS to positive answers; optional (RFC 1034 §4.3.2)
        ttl = None if r.rdtype == T.RRSIG else r.ttl  # RRSIG TTL: the covered RRset's (RFC 4034 §3)
        out.append((r.name.to_text().lower(), r.rdtype, r.covers, ttl,
                    tuple(sorted(x.to_text().lower() for x in r))))
    return sorted(out)


def main():
    h.peer("nsd")
    h.peer("unbound")
    with h.TempDir() as tmp:
        slave_port = h.free_port()
        texts = {PARENT: z.zone_text(PARENT, extra=CUT), CHILD: z.zone_text(CHILD, www="192.0.2.77")}
        with z.Primary(tmp, texts, notify=[slave_port]) as primary:
            tables = [{"name": PARENT}, {"name": CHILD, "denial": "nsec3"}]
            with z.ConfigSlave(tmp, primary.port, tables,
                               port=slave_port) as slave:
                slave.wait_signed([PARENT, CHILD])
                # The child's DS goes to the parent, as an operator would put it there.
                ds = slave.ds(CHILD)
                h.check(ds, "no DS for the child")
                rel = "".join("child 3600 IN DS %s\n" % " ".join(line.split()[4:]) for line in ds)
                primary.change(PARENT, z.zone_text(PARENT, serial=2024010102, extra=CUT + rel))
                h.wait_for(lambda: z.query(CHILD, "DS", slave.port).answer, 15,
                           what="the parent publishing the child's DS")
                r = z.query("www." + CHILD, "A", slave.port)
                h.check(r.rcode() == 0 and r.flags & dns.flags.AA and "192.0.2.77" in r.to_text(),
                        "below the cut the child does not answer:\n%s" % r)
                for o in (PARENT, CHILD):
                    h.wait_for(lambda: os.path.exists(slave.signed_path(o)), 10, what="files")
                    slave.verify(o)
                h.wait_for(lambda: " DS " in open(slave.signed_path(PARENT)).read().replace("\t", " "),
                           10, what="the parent's file with the DS")
                nsd_port = h.free_port()
                files = {o: slave.signed_path(o) for o in (PARENT, CHILD)}
                with s.start_nsd(tmp, files, nsd_port):
                    bad = []
                    for name, t in QUERIES:
                        for dnssec in (False, True):
                            a = z.query(name, t, slave.port, dnssec=dnssec)
                            b = z.query(name, t, nsd_port, dnssec=dnssec)
                            if a.rcode() != b.rcode():
                                bad.append("%s %s DO=%d rcode %s vs %s" % (name, t, dnssec, a.rcode(), b.rcode()))
                            if (a.flags & dns.flags.AA) != (b.flags & dns.flags.AA):
                                bad.append("%s %s DO=%d AA differs" % (name, t, dnssec))
                            for sec in ("answer", "authority"):
                                x, y = rrsets(a, sec), rrsets(b, sec)
                                if x != y:
                                    bad.append("%s %s DO=%d %s:\n  ours %s\n  nsd  %s" % (
                                        name, t, dnssec, sec, sorted(set(x) - set(y)),
                                        sorted(set(y) - set(x))))
                    h.check(not bad, "%d differences from NSD:\n%s" % (len(bad), "\n".join(bad[:20])))
                anchors = slave.ds(PARENT)
                with z.Unbound(tmp, slave.port, [PARENT, CHILD], anchors) as ub:
                    ub.secure("www." + CHILD, "A")
                    ub.secure("nx." + CHILD, "A", dns.rcode.NXDOMAIN)
                    ub.secure("www." + PARENT, "A")
    h.ok("parent and child in one slave answer as NSD does; the child validates through its DS")


if __name__ == "__main__":
    sys.exit(main())
