"""With the real flatsign-master and upstream: an ALIAS target changes upstream -> the master's
NOTIFY makes the slave publish at once (no poll for 60 s) a signed zone with the new address that
passes dnssec-verify, with a higher serial, and the on-change hook gets the diff."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as menv  # noqa: E402
import slave_env as env  # noqa: E402


def signed_text(slave):
    with open(slave.signed) as f:
        return f.read()


def main():
    h.binary("flatsign-master")
    with h.TempDir() as tmp, menv.Upstream(tmp) as up:
        slave_port = h.free_port()
        with menv.Master(tmp, [up.port], args=["--notify", "127.0.0.1:%d" % slave_port]) as m:
            menv.wait_log(m, "serving serial")
            slave = env.Slave(tmp, m.port, poll_interval=60, port=slave_port)
            try:
                slave.wait_signed()
                slave.verify()
                h.check("192.0.2.10" in signed_text(slave), "flattened www missing")
                s1 = env.query_soa(slave.port)
                t0 = time.monotonic()
                up.change(menv.UPSTREAM_ZONE.replace("192.0.2.10", "192.0.2.99"))
                h.wait_for(lambda: "192.0.2.99" in signed_text(slave), 30,
                           what="the new address in the signed zone")
                took = time.monotonic() - t0
                slave.verify()
                s2 = env.query_soa(slave.port)
                h.check(s1 is not None and s2 is not None and s2 > s1, "serial %s -> %s" % (s1, s2))
                h.wait_for(lambda: os.path.exists(slave.changes) and
                           len(open(slave.changes).read().splitlines()) >= 2, 10,
                           what="the second on-change document")
                doc = json.loads(open(slave.changes).read().splitlines()[-1])
                h.check(doc["old_serial"] == s1 and doc["new_serial"] == s2, "hook serials %s" % doc)
                h.check(any("192.0.2.99" in r for r in doc["added"]), "hook added: %s" % doc)
                h.check(any("192.0.2.10" in r for r in doc["removed"]), "hook removed: %s" % doc)
                h.check("NOTIFY from" in slave.log(), "no NOTIFY in the slave log")
            finally:
                slave.stop()
    h.ok("change published %.2f s after the upstream change, serial %d -> %d" % (took, s1, s2))


if __name__ == "__main__":
    sys.exit(main())
