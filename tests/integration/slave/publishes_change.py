"""A content change on the master is published: the signed file gets the new data, passes
dnssec-verify, the serial increases by one (increment policy) and on-change gets the diff on
stdin as JSON."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        slave.wait_signed()
        s1 = env.query_soa(slave.port)
        master.zone_text = env.ZONE_TEXT.replace("192.0.2.1\n", "192.0.2.77\n") + "new TXT x\n"
        h.wait_for(lambda: "192.0.2.77" in open(slave.signed).read(), 15, what="the change")
        slave.verify()
        s2 = env.query_soa(slave.port)
        h.check(s2 == s1 + 1, "serial %s -> %s" % (s1, s2))
        h.wait_for(lambda: len(open(slave.changes).read().splitlines()) == 2, 10,
                   what="the on-change document")
        doc = json.loads(open(slave.changes).read().splitlines()[1])
        h.check(doc["zone"] == env.ZONE and doc["old_serial"] == s1 and doc["new_serial"] == s2,
                "document: %s" % doc)
        added = " ".join(doc["added"])
        h.check("192.0.2.77" in added and "new.example.test." in added, "added: %s" % doc)
        h.check(any("192.0.2.1" in r for r in doc["removed"]), "removed: %s" % doc)
    master.stop()
    h.ok("change published, serial %d -> %d" % (s1, s2))


if __name__ == "__main__":
    sys.exit(main())
