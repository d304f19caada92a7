"""An upstream that changes every second does not make an email each time: with
--hook-burst 1 --hook-min-interval 4, the first change runs the on-change hook at once and the
next three, published within the interval, reach it as one run whose document sums them up
(publications 3, every added and removed record, first old serial to last new serial), while
every change is still published at once."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def docs(slave):
    if not os.path.exists(slave.changes):
        return []
    with open(slave.changes) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=["--hook-min-interval", "4",
                                                                  "--hook-burst", "1"]) as slave:
        slave.wait_signed()
        h.wait_for(lambda: len(docs(slave)) == 1, 10, what="the first publication's hook")
        master.zone_text = env.ZONE_TEXT + "first A 192.0.2.99\n"
        h.wait_for(lambda: len(docs(slave)) == 2, 10, what="the first change's own hook run")
        first_serial = env.query_soa(slave.port)
        for i in range(3):
            master.zone_text = env.ZONE_TEXT + "burst%d A 192.0.2.%d\n" % (i, 100 + i)
            h.wait_for(lambda: "192.0.2.%d" % (100 + i) in open(slave.signed).read(), 10,
                       what="change %d published" % i)
        h.check(len(docs(slave)) == 2, "a hook ran per change: %d documents" % len(docs(slave)))
        h.wait_for(lambda: len(docs(slave)) == 3, 10, what="the batched hook run")
        time.sleep(1)
        d = docs(slave)
        h.check(len(d) == 3, "%d documents" % len(d))
        b = d[2]
        h.check(b["publications"] == 3 and b["old_serial"] == first_serial and
                b["new_serial"] == env.query_soa(slave.port), "batch: %s" % b)
        for i in range(3):
            h.check(any("192.0.2.%d" % (100 + i) in r for r in b["added"]), "batch lacks %d" % i)
        h.check(any("192.0.2.100" in r for r in b["removed"]), "batch lacks a removal: %s" % b)
    master.stop()
    h.ok("4 changes in 4 s: published at once; one hook run, then one batched run of 3")


if __name__ == "__main__":
    sys.exit(main())
