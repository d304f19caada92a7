"""--config FILE and --tsig-file FILE: a slave started with only `--config` (zone, master, state
dir, hooks in the file) and the TSIG key in a BIND key file transfers from a TSIG-requiring
master and publishes a zone that passes dnssec-verify; no secret appears in its argv."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster(env.tsig_keyring())
    with h.TempDir() as tmp:
        port = h.free_port()
        state = tmp.file("state")
        os.makedirs(state)
        keyfile = tmp.write("xfr-key.key", 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n'
                            % (env.TSIG_NAME.rstrip("."), env.TSIG_SECRET))
        conf = tmp.write("slave.conf", "\n".join([
            "# flatsign-slave options, the same names as on the command line",
            'listen = "127.0.0.1:%d"' % port,
            'zone = "%s"' % env.ZONE,
            'master = "127.0.0.1:%d"' % master.port,
            'state-dir = "%s"' % state,
            'tsig-file = "%s"' % keyfile,
            "poll-interval = 1",
            'log-level = "debug"',
            ""]))
        cmd = [h.binary("flatsign-slave"), "--config", conf]
        with h.Process(cmd, log_path=tmp.file("slave.log")) as slave:
            signed = os.path.join(state, "example.test", "example.test.signed")
            h.wait_for(lambda: os.path.exists(signed) or not slave.alive(), 20,
                       what="the signed zone file")
            h.check(slave.alive(), "the slave exited:\n" + slave.log())
            res = h.run([h.peer("dnssec-verify"), "-z", "-o", env.ZONE, signed], check_rc=False)
            h.check(res.returncode == 0, "dnssec-verify failed:\n" + res.stdout + res.stderr)
            h.check(env.query_soa(port) is not None, "no SOA served on the configured listen")
            h.check(master.transfers >= 1, "no TSIG-signed transfer reached the master")
            with open("/proc/%d/cmdline" % slave.proc.pid, "rb") as f:
                argv = f.read().decode()
            h.check(env.TSIG_SECRET not in argv, "the secret is in argv")
        bad = h.run([h.binary("flatsign-slave"), "--config", conf, "--tsig",
                     "k:hmac-sha256:" + env.TSIG_SECRET], check_rc=False, timeout=10)
        h.check(bad.returncode != 0, "--tsig together with --tsig-file was accepted")
    master.stop()
    h.ok("slave configured by --config and --tsig-file published a verified zone")


if __name__ == "__main__":
    sys.exit(main())
