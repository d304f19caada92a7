"""After a restart with the master down, the slave serves the last signed zone from its state dir
at once (same serial); `ds` prints the key's DS; with the key files gone it refuses to start
rather than make a new key."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    with h.TempDir() as tmp:
        with env.Slave(tmp, master.port) as slave:
            slave.wait_signed()
            serial = env.query_soa(slave.port)
            h.check(serial is not None, "no SOA answer:\n" + slave.log()[-2000:])
        master.stop()
        before = env.stat_of(slave.signed)
        with env.Slave(tmp, master.port, extra=["--alert-after", "2"]) as again:
            h.wait_for(lambda: env.query_soa(again.port) is not None, 10, what="SOA after restart")
            h.check(env.query_soa(again.port) == serial, "restart served another serial")
            h.wait_for(lambda: any(a.startswith("master-unreachable ")
                                   for a in again.alert_lines()), 15,
                       what="the master-unreachable alert")
            h.check(env.stat_of(again.signed) == before, "the signed file changed")
        keys = [f for f in os.listdir(slave.zone_state) if f.startswith("K")]
        h.check(len(keys) == 2, "key files: %s" % keys)
        ds = h.run([h.binary("flatsign-slave"), "ds", "--state-dir", slave.state, "--zone",
                    env.ZONE]).stdout
        tag = keys[0].split("+")[-1].split(".")[0]
        h.check(" DS " in ds.replace("\t", " ") and (" %d " % int(tag)) in ds.replace("\t", " "),
                "ds output: %r" % ds)
        for k in keys:
            os.remove(os.path.join(slave.zone_state, k))
        res = h.run([h.binary("flatsign-slave"), "--zone", env.ZONE, "--master",
                     "127.0.0.1:%d" % master.port, "--state-dir", slave.state,
                     "--listen", "127.0.0.1:%d" % h.free_port()], check_rc=False, timeout=20)
        h.check(res.returncode != 0 and "key files are missing" in res.stderr,
                "started without its keys: rc %d %s" % (res.returncode, res.stderr))
        h.check(not [f for f in os.listdir(slave.zone_state) if f.startswith("K")],
                "a new key was generated")
    h.ok("restart served serial %d from the state dir; missing keys refused" % serial)


if __name__ == "__main__":
    sys.exit(main())
