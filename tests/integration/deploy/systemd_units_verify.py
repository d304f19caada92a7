"""deploy/systemd/*.service pass `systemd-analyze verify` (in a temporary root holding the built
binaries at the units' /usr/local/bin paths, /bin/kill and the distribution's units), carry the
hardening the issue asks for, and a misspelled directive makes verify fail (so the check has
teeth); deploy/config/master.toml and deploy/config/slave.toml pass `--config --check` with their paths
pointed at a temporary zone and TSIG key made by deploy/tsig-keygen; no unit puts the TSIG key on
a command line."""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402

UNITS = ["flatsign-master.service", "flatsign-slave.service"]
REQUIRED = ["AmbientCapabilities=CAP_NET_BIND_SERVICE", "ProtectSystem=strict", "StateDirectory=",
            "ReadOnlyPaths=", "NoNewPrivileges=yes", "DynamicUser=yes", "Restart=on-failure"]


def make_root(tmp, master, slave):
    root = tmp.file("root")
    for d in ["usr/local/bin", "usr/bin", "usr/lib/systemd", "etc/systemd/system"]:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.symlink("usr/bin", os.path.join(root, "bin"))
    shutil.copytree("/usr/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"),
                    symlinks=True)
    shutil.copy(shutil.which("kill") or "/usr/bin/kill", os.path.join(root, "usr/bin/kill"))
    shutil.copy(master, os.path.join(root, "usr/local/bin/flatsign-master"))
    shutil.copy(slave, os.path.join(root, "usr/local/bin/flatsign-slave"))
    return root


def verify(analyze, root, units):
    return h.run([analyze, "verify", "--root=" + root, "--man=no"] +
                 ["/etc/systemd/system/" + u for u in units], check_rc=False, timeout=60)


def main():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        h.skip("systemd-analyze is not installed (apt install systemd)")
    master, slave = h.binary("flatsign-master"), h.binary("flatsign-slave")
    with h.TempDir() as tmp:
        root = make_root(tmp, master, slave)
        for u in UNITS:
            text = open(h.script("deploy/systemd/" + u)).read()
            for want in REQUIRED:
                h.check(want in text, "%s lacks %s" % (u, want))
            shutil.copy(h.script("deploy/systemd/" + u), os.path.join(root, "etc/systemd/system"))
        for u in UNITS:
            text = open(h.script("deploy/systemd/" + u)).read()
            h.check("ExecReload=/bin/kill -HUP $MAINPID" in text, u + " reloads with SIGHUP")
            h.check("--tsig " not in text and "LoadCredential=xfr-key.key:" in text,
                    u + " passes the TSIG key on its command line")
        h.check("ProtectProc=invisible" in open(h.script("deploy/systemd/flatsign-slave.service"))
                .read(), "the slave's unit shows other processes")
        r = verify(analyze, root, UNITS)
        h.check(r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(),
                "systemd-analyze verify (rc %d):\n%s%s" % (r.returncode, r.stdout, r.stderr))

        # Negative control: a misspelled directive must make verify complain.
        bad = open(h.script("deploy/systemd/flatsign-master.service")).read().replace(
            "ProtectSystem=strict", "ProtectSystem=strictest")
        with open(os.path.join(root, "etc/systemd/system/flatsign-broken.service"), "w") as f:
            f.write(bad)
        r = verify(analyze, root, ["flatsign-broken.service"])
        h.check(r.returncode != 0 or "strictest" in r.stderr,
                "verify accepted ProtectSystem=strictest:\n" + r.stderr)

        # The example master config, paths pointed at a temporary zone and key.
        h.run([h.script("deploy/tsig-keygen"), "-o", tmp.file("keys"), "xfr-key"])
        tsig_line = open(tmp.file("keys/xfr-key.tsig")).read().strip()
        h.check(tsig_line.startswith("xfr-key:hmac-sha256:") and len(tsig_line) > 40,
                "tsig line: %r" % tsig_line)
        zone = tmp.write("example.test.zone",
                         open(h.script("deploy/examples/example.test.zone")).read())
        conf = open(h.script("deploy/config/master.toml")).read()
        conf = conf.replace("/etc/flatsign/zones/example.test.zone", zone).replace(
            "/run/credentials/flatsign-master.service/xfr-key.key", tmp.file("keys/xfr-key.key"))
        path = tmp.write("master.toml", conf)
        r = h.run([master, "--config", path, "--check"], check_rc=False, timeout=60)
        h.check(r.returncode == 0, "master.toml --check: %s%s" % (r.stdout, r.stderr))
        # The example slave config, the key pointed at the same temporary key file.
        conf = open(h.script("deploy/config/slave.toml")).read().replace(
            "/run/credentials/flatsign-slave.service/xfr-key.key", tmp.file("keys/xfr-key.key"))
        path = tmp.write("slave.toml", conf)
        r = h.run([slave, "--config", path, "--check"], check_rc=False, timeout=60)
        h.check(r.returncode == 0 and "3 zone(s)" in r.stderr,
                "slave.toml --check: %s%s" % (r.stdout, r.stderr))
    h.ok("systemd units verify clean in a temp root; broken directive caught; example configs check")


if __name__ == "__main__":
    sys.exit(main())
