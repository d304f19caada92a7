#!/usr/bin/python3
"""A whole CSK roll driven by the running slave (key-policy csk-roll, lifetimes in seconds)
while unbound validates the zone through a signed parent served by NSD: every ~0.2 s unbound is
asked for an A record, an NXDOMAIN and the DNSKEY RRset of the child, and every answer must be
secure (AD, expected rcode). The test plays the parent's operator: when the slave's CDS changes
it derives the new DS with BIND's dnssec-cds from the child's CDS/CDNSKEY (which dnssec-cds
checks against the current DS), re-signs the parent and reloads NSD. The roll must go through
double signature, the CDS switch, the old key's retirement and its removal, with 0 failures."""
import os
import signal
import sys
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import serve_env as s  # noqa: E402
import slave_env as env  # noqa: E402

CHILD = env.ZONE  # example.test.
PARENT = "test."
TTL = 2
CHILD_TEXT = """$TTL %d
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 %d
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.1
""" % (TTL, TTL)
POLICY = ["--cds", "publish", "--key-policy", "csk-roll", "--csk-lifetime", "40",
          "--dnskey-ttl", str(TTL), "--propagation-delay", "1", "--publish-safety", "1",
          "--retire-safety", "1", "--parent-ds-ttl", str(TTL), "--parent-propagation-delay", "3",
          "--key-check-interval", "0.5"]


def slave_rrsets(port, rdtype):
    q = dns.message.make_query(CHILD, rdtype, want_dnssec=True)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=2).answer


def tags_of(port, rdtype):
    out = []
    for rrset in slave_rrsets(port, rdtype):
        if rrset.rdtype == dns.rdatatype.DNSKEY:
            out += [dns.dnssec.key_id(rd) for rd in rrset]
        elif rrset.rdtype == dns.rdatatype.CDS:
            out += [rd.key_tag for rd in rrset]
        elif rrset.rdtype == dns.rdatatype.RRSIG and rdtype == "SOA":
            out += [rd.key_tag for rd in rrset]
    return sorted(out)


class Parent:
    """The signed parent zone test. on NSD: delegation and DS of example.test., re-signed and
    reloaded when the DS changes."""

    def __init__(self, tmp, child_port):
        self.tmp = tmp
        self.dir = tmp.file("parent")
        os.makedirs(self.dir, exist_ok=True)
        self.port = h.free_port()
        base = h.run([h.peer("dnssec-keygen"), "-q", "-K", self.dir, "-a", "13", "-f", "KSK",
                      PARENT]).stdout.strip()
        self.key = os.path.join(self.dir, base)
        with open(self.key + ".key") as f:
            self.anchor = [line.strip() for line in f if not line.startswith(";")][0]
        self.serial = 1
        self.dsset = os.path.join(self.dir, "dsset-" + CHILD)
        self.zonefile = os.path.join(self.dir, "test.signed")
        self.nsd = None

    def write(self, ds_lines):
        with open(self.dsset, "w") as f:
            f.write("".join(line + "\n" for line in ds_lines))
        text = ("$TTL %d\n@ SOA ns hostmaster %d 7200 3600 1209600 %d\n@ NS ns\nns A 127.0.0.1\n"
                "example NS ns1.example\nns1.example A 127.0.0.1\n" % (TTL, self.serial, TTL))
        text += "".join(line + "\n" for line in ds_lines) + self.anchor + "\n"
        self.serial += 1
        unsigned = os.path.join(self.dir, "test.zone")
        with open(unsigned, "w") as f:
            f.write(text)
        h.run([h.peer("dnssec-signzone"), "-q", "-z", "-K", self.dir, "-d", self.dir,
               "-o", PARENT, "-f", self.zonefile, "-e", "+86400", unsigned, self.key + ".key"])

    def start(self):
        d = self.dir
        conf = os.path.join(d, "nsd.conf")
        with open(conf, "w") as f:
            f.write(s.nsd_conf(d, self.port, {PARENT: self.zonefile}))
        self.nsd = h.Process([h.peer("nsd"), "-d", "-c", conf], log_path=os.path.join(d, "out.log"))
        h.wait_for(lambda: self.serial_served() == self.serial - 1 or not self.nsd.alive(), 10,
                   what="nsd serving the parent")
        h.check(self.nsd.alive(), "nsd exited:\n" + self.nsd.log())

    def serial_served(self):
        try:
            q = dns.message.make_query(PARENT, "SOA")
            r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=1)
            return r.answer[0][0].serial if r.answer else None
        except Exception:
            return None

    def reload(self):
        os.kill(self.nsd.proc.pid, signal.SIGHUP)
        h.wait_for(lambda: self.serial_served() == self.serial - 1, 10, what="nsd reloading")


def unbound(tmp, parent_port, child_port, anchor):
    port = h.free_port()
    conf = tmp.file("unbound.conf")
    lines = ["server:", "  interface: 127.0.0.1", "  port: %d" % port,
             "  do-not-query-localhost: no", "  use-syslog: no", "  chroot: \"\"",
             "  username: \"\"", "  directory: \"%s\"" % tmp.path, "  pidfile: \"\"",
             "  logfile: \"\"", "  verbosity: 1", "  module-config: \"validator iterator\"",
             "  val-log-level: 2", "  qname-minimisation: no", "  harden-referral-path: no",
             "  target-fetch-policy: \"0 0 0 0 0\"", "  access-control: 127.0.0.0/8 allow",
             "  local-zone: \"test.\" nodefault", "  " + h.unbound_port_avoid(),
             "  trust-anchor: \"%s\"" % anchor.replace("\t", " "),
             "stub-zone:", "  name: \"%s\"" % PARENT, "  stub-addr: 127.0.0.1@%d" % parent_port,
             "stub-zone:", "  name: \"%s\"" % CHILD, "  stub-addr: 127.0.0.1@%d" % child_port]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = h.Process([h.peer("unbound"), "-d", "-c", conf], log_path=tmp.file("unbound.log"))
    p.port = port
    return p


def ask(port, name, rdtype):
    q = dns.message.make_query(name, rdtype, want_dnssec=True)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=3)


def secure_now(port):
    try:
        return bool(ask(port, "www." + CHILD, "A").flags & dns.flags.AD)
    except Exception:
        return False


def main():
    for tool in ("nsd", "unbound", "dnssec-cds", "dnssec-signzone", "dnssec-keygen"):
        h.peer(tool)
    master = env.FakeMaster()
    master.zone_text = CHILD_TEXT
    with h.TempDir() as tmp:
        with env.Slave(tmp, master.port, POLICY) as slave:
            slave.wait_signed()
            port = slave.port
            h.wait_for(lambda: tags_of(port, "CDS"), 10, what="the CDS")
            first = tags_of(port, "DNSKEY")
            h.check(len(first) == 1, "one CSK at the start: %s" % first)
            parent = Parent(tmp, port)
            cds = [r for r in slave_rrsets(port, "CDS") if r.rdtype == dns.rdatatype.CDS][0]
            parent.write(["%s %d IN DS %s" % (CHILD, TTL, rd.to_text()) for rd in cds])
            parent.start()
            ub = unbound(tmp, parent.port, port, parent.anchor)
            h.wait_for(lambda: secure_now(ub.port), 15, what="a secure answer from unbound")
            child_file = tmp.file("child.db")
            seen_cds = tags_of(port, "CDS")
            steps = []  # (seconds, what)
            t0 = time.monotonic()
            queries = failures = ds_updates = 0
            failed = []
            max_dnskeys = 1
            done = False
            while time.monotonic() - t0 < 120 and not done:
                for name, rdtype, rcode in (("www." + CHILD, "A", dns.rcode.NOERROR),
                                            ("nx." + CHILD, "A", dns.rcode.NXDOMAIN),
                                            (CHILD, "DNSKEY", dns.rcode.NOERROR)):
                    queries += 1
                    try:
                        r = ask(ub.port, name, rdtype)
                        good = r.rcode() == rcode and r.flags & dns.flags.AD
                    except Exception as e:  # a timeout is a failure too
                        r, good = e, False
                    if not good:
                        failures += 1
                        failed.append("%.1f s %s %s: %s" % (time.monotonic() - t0, name, rdtype,
                                                            r))
                keys, cds_now = tags_of(port, "DNSKEY"), tags_of(port, "CDS")
                signers = tags_of(port, "SOA")
                max_dnskeys = max(max_dnskeys, len(keys))
                if not steps or steps[-1][1] != (keys, cds_now, signers):
                    steps.append((round(time.monotonic() - t0, 1), (keys, cds_now, signers)))
                if cds_now and cds_now != seen_cds:
                    # The parent's operator: the DS from the child's signed CDS/CDNSKEY.
                    with open(child_file, "w") as f:
                        for t in ("DNSKEY", "CDS", "CDNSKEY"):
                            for rrset in slave_rrsets(port, t):
                                f.write(rrset.to_text() + "\n")
                    res = h.run([h.peer("dnssec-cds"), "-s", "-86400", "-T", str(TTL),
                                 "-f", child_file, "-d", parent.dsset, CHILD], check_rc=False)
                    h.check(res.returncode == 0 and " DS " in res.stdout,
                            "dnssec-cds: %s %s" % (res.stdout, res.stderr))
                    parent.write([line for line in res.stdout.splitlines() if " DS " in line])
                    parent.reload()
                    ds_updates += 1
                    seen_cds = cds_now
                done = (max_dnskeys == 2 and len(keys) == 1 and keys != first and
                        cds_now == keys and signers == keys and ds_updates >= 1)
                time.sleep(0.2)
            h.check(slave.alive(), slave.log()[-3000:])
            log = slave.log()
        ub.stop()
        parent.nsd.stop()
    master.stop()
    trail = "\n".join("%6.1f s DNSKEY %s CDS %s signed by %s" % (t, k, c, s)
                      for t, (k, c, s) in steps)
    # Every step of the roll was seen: double signature, CDS switch, retirement, removal.
    new = keys[0]
    both = sorted(first + [new])
    for what, step in (("double signature", (both, first, both)),
                       ("the CDS switch", (both, [new], both)),
                       ("the old key retired", (both, [new], [new])),
                       ("the old key removed", ([new], [new], [new]))):
        h.check(any(st == step for _, st in steps), "%s not seen:\n%s" % (what, trail))
    costs = sorted(float(line.split(" key step published in ")[1].split()[0])
                   for line in log.splitlines() if " key step published in " in line)
    h.check(done, "the roll did not complete in 120 s:\n%s\n%s" % (trail, log[-3000:]))
    h.check(failures == 0, "%d of %d answers were not secure:\n%s\n%s" % (
        failures, queries, "\n".join(failed[:10]), trail))
    h.check("key-policy csk-roll: successor" in log, "no successor logged")
    print(trail)
    h.ok("CSK roll %s -> %s by the running slave: %d steps, DS updated %d times by dnssec-cds, "
         "%d queries through unbound, %d not secure; key steps re-signed in %s s" % (
             first, keys, len(steps), ds_updates, queries, failures,
             " ".join("%.4f" % c for c in costs)))


if __name__ == "__main__":
    sys.exit(main())
