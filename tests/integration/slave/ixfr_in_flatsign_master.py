"""flatsign-master as the slave's master: it keeps the differences between its flattened
versions, so an ALIAS target changed upstream reaches the slave by NOTIFY + an incremental IXFR
(both logs say so), served signed and passing dnssec-verify."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as menv  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    h.binary("flatsign-master")
    with h.TempDir() as tmp, menv.Upstream(tmp) as up:
        slave_port = h.free_port()
        with menv.Master(tmp, [up.port], args=["--notify", "127.0.0.1:%d" % slave_port]) as m:
            menv.wait_log(m, "serving serial")
            with env.Slave(tmp, m.port, poll_interval=60, port=slave_port) as slave:
                slave.wait_signed()
                s1 = env.query_soa(slave.port)
                up.change(menv.UPSTREAM_ZONE.replace("192.0.2.10", "192.0.2.99"))
                h.wait_for(lambda: "192.0.2.99" in open(slave.signed).read(), 30,
                           what=lambda: "the new address in the signed zone\n" +
                           slave.log()[-2000:])
                slave.verify()
                h.check(env.query_soa(slave.port) > s1, "the served serial did not go up")
                line = re.search(r"transfer from .*: IXFR from serial (\d+) to (\d+) in 1 steps",
                                 slave.log())
                h.check(line, "the slave did not apply an incremental IXFR:\n" +
                        slave.log()[-3000:])
                h.check("IXFR from serial %s to %s: incremental" % line.groups() in m.log(),
                        "the master did not answer incrementally:\n" + m.log()[-3000:])
    h.ok("flatsign-master answers the slave's IXFR incrementally; the change is served signed")


if __name__ == "__main__":
    sys.exit(main())
