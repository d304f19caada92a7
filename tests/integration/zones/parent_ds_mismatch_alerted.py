"""A parent and its child zone in one flatsign-slave whose parent (from its master) publishes a
DS matching none of the child's keys: unbound fails the child, the slave keeps serving both,
alerts once (on-alert naming both zones and the DS and key tags, a log line) and lists the
conflict in /status, also after a restart; a DS that matches again clears it."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.flags  # noqa: E402
import dns.rcode  # noqa: E402

import harness as h  # noqa: E402
import zones_env as z  # noqa: E402

PARENT, CHILD = "example.test.", "child.example.test."
CUT = "child NS ns1.child\nns1.child A 127.0.0.1\n"
WRONG_TAG = 4242  # a DS of a key the child does not have
WRONG_DS = "child 3600 IN DS %d 13 2 %s\n" % (WRONG_TAG, "ab" * 32)


def conflicts(slave):
    return slave.status()["delegation_conflicts"]


def main():
    h.peer("unbound")
    with h.TempDir() as tmp:
        slave_port = h.free_port()
        alerts = tmp.file("alerts.jsonl")
        texts = {PARENT: z.zone_text(PARENT, extra=CUT), CHILD: z.zone_text(CHILD, www="192.0.2.77")}
        with z.Primary(tmp, texts, notify=[slave_port]) as primary:
            tables = [{"name": PARENT}, {"name": CHILD, "on-alert": "cat >> " + alerts}]
            slave = z.ConfigSlave(tmp, primary.port, tables, port=slave_port)
            try:
                slave.wait_signed([PARENT, CHILD])
                h.check(conflicts(slave) == [], "conflict without any DS: %s" % conflicts(slave))
                ds = slave.ds(CHILD)
                child_tag = int(ds[0].split()[4])
                good = "".join("child 3600 IN DS %s\n" % " ".join(l.split()[4:]) for l in ds)

                # The parent's master publishes a DS of another key.
                primary.change(PARENT, z.zone_text(PARENT, serial=2024010102, extra=CUT + WRONG_DS))
                h.wait_for(lambda: conflicts(slave), 15,
                           what=lambda: "the conflict in /status\n" + slave.log()[-3000:])
                c = conflicts(slave)
                h.check(len(c) == 1 and c[0]["parent"] == PARENT and c[0]["child"] == CHILD and
                        c[0]["ds_tags"] == [WRONG_TAG] and c[0]["dnskey_tags"] == [child_tag],
                        "conflict in /status: %s" % c)
                h.wait_for(lambda: os.path.exists(alerts) and open(alerts).read(), 10,
                           what="the on-alert hook")
                runs = [json.loads(l) for l in open(alerts).read().splitlines() if l]
                h.check(len(runs) == 1 and runs[0]["verdict"] == "delegation-mismatch" and
                        runs[0]["zone"] == CHILD and runs[0]["parent"] == PARENT and
                        runs[0]["ds_tags"] == [WRONG_TAG] and
                        runs[0]["dnskey_tags"] == [child_tag], "alert: %s" % runs)
                h.check("delegation-mismatch: the DS of %s at %s (key tags %d)" %
                        (PARENT, CHILD, WRONG_TAG) in slave.log(), "no log line")

                # Still served (the data is the master's), and the break is real: a validator
                # fails the child.
                r = z.query("www." + CHILD, "A", slave.port)
                h.check(r.rcode() == 0 and r.flags & dns.flags.AA and "192.0.2.77" in r.to_text(),
                        "the child is not served:\n%s" % r)
                h.check(z.query(CHILD, "DS", slave.port).answer, "the parent's DS not served")
                with z.Unbound(tmp, slave.port, [PARENT, CHILD], slave.ds(PARENT)) as ub:
                    ub.secure("www." + PARENT, "A")
                    r = ub.ask("www." + CHILD, "A")
                    h.check(r.rcode() == dns.rcode.SERVFAIL, "unbound accepted the child:\n%s" % r)

                # Found again from the state at start.
                slave.stop()
                slave.restart()
                slave.wait_signed([PARENT, CHILD])
                h.wait_for(lambda: conflicts(slave), 10, what="the conflict after a restart")

                # The right DS: cleared, and nothing alerted again meanwhile.
                primary.change(PARENT, z.zone_text(PARENT, serial=2024010103, extra=CUT + good))
                h.wait_for(lambda: conflicts(slave) == [], 15,
                           what=lambda: "the conflict cleared\n" + slave.log()[-3000:])
                h.check("matches this zone's keys again" in slave.log(), "no log of the fix")
                with z.Unbound(tmp, slave.port, [PARENT, CHILD], slave.ds(PARENT),
                               name="unbound2") as ub:
                    ub.secure("www." + CHILD, "A")
                runs = [l for l in open(alerts).read().splitlines() if l]
                h.check(len(runs) == 2, "alerts: one before and one at the restart: %s" % runs)
            finally:
                slave.stop()
    h.ok("a DS at the parent matching none of the child's keys: alerted, in /status, cleared")


if __name__ == "__main__":
    sys.exit(main())
