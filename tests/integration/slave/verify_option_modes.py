"""--verify: full checks every signature before publishing, sampled (the default) leaves some to
their fields only on a full sign, and both publish a zone dnssec-verify accepts; an unknown mode
stops the slave at start with the option named."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    for extra, mode in (([], "sampled"), (["--verify", "full"], "full")):
        with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=extra) as slave:
            slave.wait_signed()
            slave.verify()
            h.wait_for(lambda: "verify (%s): ok: " % mode in slave.log(), timeout=5,
                       what=lambda: "the verify line in:\n" + slave.log())
            if mode == "full":
                h.check("sampled out" not in slave.log(), "full mode left signatures out")
    with h.TempDir() as tmp:
        res = h.run([h.binary("flatsign-slave"), "--zone", "example.test", "--master",
                     "127.0.0.1:%d" % master.port, "--state-dir", tmp.file("state"),
                     "--listen", "127.0.0.1:%d" % h.free_port(), "--verify", "most"],
                    check_rc=False, timeout=20)
        out = res.stdout + res.stderr
        h.check(res.returncode != 0 and "verify" in out and "most" in out,
                "--verify most was not refused by name:\n" + out)
    master.stop()
    h.ok("verify modes full and sampled publish verified zones; an unknown mode is refused")


if __name__ == "__main__":
    sys.exit(main())
