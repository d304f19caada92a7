"""The .deb that `cpack -G DEB` builds from the build tree: its dependencies are the shared
libraries the daemons link (found by dpkg-shlibdeps) and are installed here; `dpkg -i` installs
it into a scratch root; the installed daemons print their version and commit, pass `--check` on
the installed example configs, and the units, the email hook and the man pages are where the
units say."""
import glob
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402


def main():
    for tool in ("cpack", "dpkg", "dpkg-deb"):
        if shutil.which(tool) is None:
            h.skip("%s is not installed" % tool)
    build = os.path.dirname(os.path.dirname(h.binary("flatsign-slave")))
    cache = open(os.path.join(build, "CMakeCache.txt")).read()
    prefix = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", cache, re.M).group(1)
    with h.TempDir() as tmp:
        out = tmp.file("pkg")
        r = h.run(["cpack", "-G", "DEB", "-B", out], cwd=build, check_rc=False, timeout=280)
        debs = glob.glob(os.path.join(out, "flatsign_*.deb"))
        h.check(r.returncode == 0 and len(debs) == 1,
                "cpack -G DEB (rc %d):\n%s%s" % (r.returncode, r.stdout[-3000:], r.stderr))
        deb = debs[0]
        depends = h.run(["dpkg-deb", "-f", deb, "Depends"]).stdout
        for lib in ("libbotan-2", "libssl3", "libsodium", "libfmt", "libtomlplusplus", "python3"):
            h.check(lib in depends, "Depends lacks %s: %s" % (lib, depends))
        # Every dependency is satisfied on this machine (what `dpkg -i` checks before installing).
        r = h.run(["dpkg", "--dry-run", "-i", deb], check_rc=False)
        h.check(r.returncode == 0, "dpkg --dry-run -i: %s%s" % (r.stdout, r.stderr))

        root = tmp.file("root")
        admin = os.path.join(root, "var/lib/dpkg")
        for d in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(admin, d), exist_ok=True)
        for f in ("status", "available"):
            open(os.path.join(admin, f), "w").close()
        # The scratch root's own package database is empty: its dependencies are checked above.
        r = h.run(["dpkg", "--root=" + root, "--log=/dev/null", "--force-depends",
                   "--force-script-chrootless", "-i", deb], check_rc=False, timeout=120)
        h.check(r.returncode == 0, "dpkg -i into %s: %s%s" % (root, r.stdout, r.stderr))

        def installed(path):
            return os.path.join(root, (prefix + "/" + path).lstrip("/"))

        master, slave = installed("bin/flatsign-master"), installed("bin/flatsign-slave")
        for daemon, binary in (("flatsign-master", master), ("flatsign-slave", slave)):
            v = h.run([binary, "--version"]).stdout.strip()
            h.check(re.fullmatch(daemon + r" \d+\.\d+\.\d+ \((commit [0-9a-f]{7,}(-dirty)?|"
                                 r"unknown commit)\)", v) is not None,
                    "%s --version: %r" % (daemon, v))
            page = installed("share/man/man8/%s.8" % daemon)
            h.check(os.path.exists(page) and "--config" in open(page).read().replace("\\-", "-"),
                    "no man page with the options at " + page)
            unit = open(installed("lib/systemd/system/%s.service" % daemon)).read()
            h.check("ExecStart=%s/bin/%s " % (prefix, daemon) in unit,
                    "%s.service does not run the installed binary:\n%s" % (daemon, unit))
        h.check(os.access(installed("lib/flatsign/notify-email"), os.X_OK), "no email hook")
        h.check(os.access(installed("bin/flatsign-tsig-keygen"), os.X_OK), "no tsig-keygen")

        # The installed example configs pass --check, with a key made by the installed keygen.
        examples = installed("share/doc/flatsign/examples")
        h.run([installed("bin/flatsign-tsig-keygen"), "-o", tmp.file("keys"), "xfr-key"])
        key = tmp.file("keys/xfr-key.key")
        zone = tmp.write("example.test.zone",
                         open(os.path.join(examples, "example.test.zone")).read())
        for daemon, binary in (("master", master), ("slave", slave)):
            configs = [p for p in glob.glob(os.path.join(examples, daemon + ".*"))
                       if not p.endswith(".env")]
            h.check(len(configs) == 1, "example configs of the %s: %s" % (daemon, configs))
            conf = open(configs[0]).read().replace("/etc/flatsign/zones/example.test.zone", zone)
            conf = re.sub(r"/run/credentials/flatsign-%s\.service/xfr-key\.key" % daemon, key, conf)
            path = tmp.write(os.path.basename(configs[0]), conf)
            r = h.run([binary, "--config", path, "--check"], check_rc=False, timeout=60)
            h.check(r.returncode == 0, "installed %s --check: %s%s" % (
                os.path.basename(configs[0]), r.stdout, r.stderr))
    h.ok("the .deb installs with dpkg into a scratch root; versions, --check, units, hook, man")


if __name__ == "__main__":
    sys.exit(main())
