"""Shared set-up of the key-roll scenarios: the child example.test. signed by a flatsign-slave,
its signed parent test. on NSD (the DS of the child derived by BIND's dnssec-cds from the child's
signed CDS/CDNSKEY, re-signed and reloaded when the CDS changes), and unbound validating from the
parent's key. Watch asks unbound continuously while a roll runs, counts every answer that is not
secure, records each state the slave serves and plays the parent's operator."""
import os
import signal
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

import harness as h
import serve_env as s
import slave_env as env

CHILD = env.ZONE  # example.test.
PARENT = "test."
TTL = 2
# Longer than the data's TTL, as usual: a resolver then holds a DNSKEY RRset while it fetches
# data again, so a key that signs before it was published long enough makes answers bogus.
DNSKEY_TTL = 6
CHILD_TEXT = """$TTL %d
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 %d
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.1
""" % (TTL, TTL)
# Every delay of a roll in seconds (the policy and its lifetimes are the scenario's).
TIMING = ["--cds", "publish", "--dnskey-ttl", str(DNSKEY_TTL), "--propagation-delay", "1",
          "--publish-safety", "1", "--retire-safety", "1", "--parent-ds-ttl", str(TTL),
          "--parent-propagation-delay", "3", "--key-check-interval", "0.5"]
TOOLS = ("nsd", "unbound", "dnssec-cds", "dnssec-signzone", "dnssec-keygen")


def slave_rrsets(port, rdtype):
    q = dns.message.make_query(CHILD, rdtype, want_dnssec=True)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=2).answer


def tags_of(port, rdtype, signers=False):
    """Key tags of the child's DNSKEY or CDS RRset at the slave, or (signers) of the RRSIGs over
    the RRset of `rdtype`."""
    out = []
    for rrset in slave_rrsets(port, rdtype):
        if signers:
            if rrset.rdtype == dns.rdatatype.RRSIG:
                out += [rd.key_tag for rd in rrset]
        elif rrset.rdtype == dns.rdatatype.DNSKEY:
            out += [dns.dnssec.key_id(rd) for rd in rrset]
        elif rrset.rdtype == dns.rdatatype.CDS:
            out += [rd.key_tag for rd in rrset]
    return sorted(out)


def state_of(port):
    """(DNSKEY tags, CDS tags, signers of the SOA, signers of the DNSKEY RRset) at the slave."""
    return (tags_of(port, "DNSKEY"), tags_of(port, "CDS"), tags_of(port, "SOA", True),
            tags_of(port, "DNSKEY", True))


class Parent:
    """The signed parent zone test. on NSD: delegation and DS of example.test., re-signed and
    reloaded when the DS changes. The port is chosen at once (the slave may be told of it)."""

    def __init__(self, tmp):
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
        self.child_file = os.path.join(self.dir, "child.db")
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

    def start(self, child_port):
        """Serves the DS of the child's CDS as it is now."""
        cds = [r for r in slave_rrsets(child_port, "CDS") if r.rdtype == dns.rdatatype.CDS][0]
        self.write(["%s %d IN DS %s" % (CHILD, TTL, rd.to_text()) for rd in cds])
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

    def ds_tags(self):
        """Key tags of the DS RRset NSD serves for the child."""
        q = dns.message.make_query(CHILD, "DS")
        r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=1)
        return sorted(rd.key_tag for rrset in r.answer if rrset.rdtype == dns.rdatatype.DS
                      for rd in rrset)

    def update_from_child(self, child_port):
        """The parent's operator: the DS from the child's signed CDS/CDNSKEY, which dnssec-cds
        checks against the current DS, then re-sign and reload."""
        with open(self.child_file, "w") as f:
            for t in ("DNSKEY", "CDS", "CDNSKEY"):
                for rrset in slave_rrsets(child_port, t):
                    f.write(rrset.to_text() + "\n")
        res = h.run([h.peer("dnssec-cds"), "-s", "-86400", "-T", str(TTL), "-f", self.child_file,
                     "-d", self.dsset, CHILD], check_rc=False)
        h.check(res.returncode == 0 and " DS " in res.stdout,
                "dnssec-cds: %s %s" % (res.stdout, res.stderr))
        self.write([line for line in res.stdout.splitlines() if " DS " in line])
        os.kill(self.nsd.proc.pid, signal.SIGHUP)
        h.wait_for(lambda: self.serial_served() == self.serial - 1, 10, what="nsd reloading")

    def stop(self):
        if self.nsd:
            self.nsd.stop()


def unbound(tmp, parent_port, child_port, anchor, options=()):
    port = h.free_port()
    conf = tmp.file("unbound.conf")
    lines = ["server:", "  interface: 127.0.0.1", "  port: %d" % port,
             "  do-not-query-localhost: no", "  use-syslog: no", "  chroot: \"\"",
             "  username: \"\"", "  directory: \"%s\"" % tmp.path, "  pidfile: \"\"",
             "  logfile: \"\"", "  verbosity: 1", "  module-config: \"validator iterator\"",
             "  val-log-level: 2", "  qname-minimisation: no", "  harden-referral-path: no",
             "  target-fetch-policy: \"0 0 0 0 0\"", "  access-control: 127.0.0.0/8 allow",
             # A failed validation is not tried again: a retry must not hide an answer that
             # was bogus with what the resolver held.
             "  val-max-restart: 0",
             "  local-zone: \"test.\" nodefault", "  " + h.unbound_port_avoid()] + [
             "  " + o for o in options] + [
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


class Watch:
    """Asks unbound every ~0.2 s for an A record, an NXDOMAIN and the child's DNSKEY RRset (each
    must be secure with the expected rcode), records each new state_of() the slave serves, and
    updates the parent's DS `ds_delay` seconds after each CDS change (never with skip_ds)."""

    def __init__(self, slave_port, parent, resolver_port, ds_delay=0.0, skip_ds=False):
        self.port, self.parent, self.ub = slave_port, parent, resolver_port
        self.ds_delay, self.skip_ds = ds_delay, skip_ds
        self.queries = self.failures = 0
        self.failed = []
        self.steps = []  # (seconds, state)
        self.ds_updates = []  # seconds of each DS update
        self.cds_changes = []  # seconds of each CDS change
        self.t0 = time.monotonic()

    def now(self):
        return time.monotonic() - self.t0

    def run(self, done, timeout):
        """Until done(state, watch) or `timeout` s; returns whether done."""
        seen_cds = tags_of(self.port, "CDS")
        due = None
        while self.now() < timeout:
            for name, rdtype, rcode in (("www." + CHILD, "A", dns.rcode.NOERROR),
                                        ("nx." + CHILD, "A", dns.rcode.NXDOMAIN),
                                        (CHILD, "DNSKEY", dns.rcode.NOERROR)):
                self.queries += 1
                try:
                    r = ask(self.ub, name, rdtype)
                    good = r.rcode() == rcode and r.flags & dns.flags.AD
                except Exception as e:  # a timeout is a failure too
                    r, good = e, False
                if not good:
                    self.failures += 1
                    self.failed.append("%.1f s %s %s: %s" % (self.now(), name, rdtype, r))
            state = state_of(self.port)
            if not self.steps or self.steps[-1][1] != state:
                self.steps.append((round(self.now(), 1), state))
            cds_now = state[1]
            if cds_now and cds_now != seen_cds:
                self.cds_changes.append(round(self.now(), 1))
                seen_cds = cds_now
                due = None if self.skip_ds else self.now() + self.ds_delay
            if due is not None and self.now() >= due:
                self.parent.update_from_child(self.port)
                self.ds_updates.append(round(self.now(), 1))
                due = None
            if done(state, self):
                return True
            time.sleep(0.2)
        return False

    def seen(self, state):
        return any(st == state for _, st in self.steps)

    def trail(self):
        return "\n".join("%6.1f s DNSKEY %s CDS %s SOA signed by %s DNSKEY signed by %s" % (
            (t,) + tuple(st)) for t, st in self.steps)

    def check_secure(self):
        h.check(self.failures == 0, "%d of %d answers were not secure:\n%s\n%s" % (
            self.failures, self.queries, "\n".join(self.failed[:10]), self.trail()))


def start_resolver(tmp, parent, slave_port, options=()):
    """Starts the parent (serving the DS of the slave's CDS now) and unbound validating through
    it (with its server `options` added); returns unbound once it answers securely."""
    h.wait_for(lambda: tags_of(slave_port, "CDS"), 10, what="the CDS")
    parent.start(slave_port)
    ub = unbound(tmp, parent.port, slave_port, parent.anchor, options)
    h.wait_for(lambda: secure_now(ub.port), 15, what="a secure answer from unbound")
    return ub


def run_roll(policy, start, done, limit, change=None, resolver_options=(), **watch_args):
    """One roll by a running slave: the child's slave under `policy` (a list of options, or a
    function of the Parent giving them, for options that name the parent's port or a file in
    parent.tmp), a signed parent on NSD and unbound validating through it (with
    `resolver_options`). `start(slave_port)` checks the keys at the start and returns what
    `done(state, watch, started)` needs; then `change(slave)`, when given, changes what the
    slave was started with (a configuration reload); the Watch (made with `watch_args`) runs
    until done() or `limit` seconds. Returns (finished, watch, started, slave log, slave
    alerts); every process is stopped."""
    for tool in TOOLS:
        h.peer(tool)
    master = env.FakeMaster()
    master.zone_text = CHILD_TEXT
    with h.TempDir() as tmp:
        parent = Parent(tmp)
        options = policy(parent) if callable(policy) else policy
        with env.Slave(tmp, master.port, options) as slave:
            slave.wait_signed()
            ub = start_resolver(tmp, parent, slave.port, resolver_options)
            started = start(slave.port)
            watch = Watch(slave.port, parent, ub.port, **watch_args)
            if change:
                change(slave)
            finished = watch.run(lambda state, w: done(state, w, started), limit)
            h.check(slave.alive(), slave.log()[-3000:])
            log, alerts = slave.log(), slave.alert_lines()
        ub.stop()
        parent.stop()
    master.stop()
    return finished, watch, started, log, alerts
