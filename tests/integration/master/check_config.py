#!/usr/bin/python3
"""--check validates options and zone files: exit 0 for a good setup (also from --config, in the
[[zone]] form and the older zone = ["ORIGIN=PATH"] form), non-zero with file:line for a broken
zone, a bad option of a [[zone]] table, and a message for a bad option or catalog property."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

with h.TempDir() as tmp:
    master = h.binary("flatsign-master")
    good = tmp.write("good.zone", env.MASTER_ZONE)
    bad = tmp.write("bad.zone", env.MASTER_ZONE + "oops IN A 999.1.2.3\n")
    r = h.run([master, "--zone", "example.test=" + good, "--resolver", "127.0.0.1", "--check"],
              check_rc=False)
    h.check(r.returncode == 0, "good zone rejected: " + r.stderr)
    r = h.run([master, "--zone", "example.test=" + bad, "--resolver", "127.0.0.1", "--check"],
              check_rc=False)
    h.check(r.returncode != 0 and "bad.zone:11" in r.stderr, "bad zone: %d %s" %
            (r.returncode, r.stderr))
    r = h.run([master, "--zone", "example.test=" + good, "--resolver", "127.0.0.1:99999",
               "--allow-transfer", "10.0.0.0/40", "--check"], check_rc=False)
    h.check(r.returncode != 0 and "127.0.0.1:99999" in r.stderr and "10.0.0.0/40" in r.stderr,
            "bad options: " + r.stderr)
    conf = tmp.write("master.conf", 'zone = ["example.test=%s"]\nresolver = ["127.0.0.1:5301"]\n'
                     'alias-failure = "ignore"\n' % good)
    r = h.run([master, "--config", conf, "--check"], check_rc=False)
    h.check(r.returncode == 0, "config file: " + r.stderr)
    conf = tmp.write("master.toml", 'resolver = ["127.0.0.1:5301"]\n\n[[zone]]\n'
                     'name = "example.test"\nfile = "%s"\nalias-failure = "ignore"\n' % good)
    r = h.run([master, "--config", conf, "--check"], check_rc=False)
    h.check(r.returncode == 0 and "1 zone(s) OK" in r.stderr, "[[zone]] file: " + r.stderr)
    conf = tmp.write("bad.toml", 'resolver = ["127.0.0.1:5301"]\n\n[[zone]]\n'
                     'name = "example.test"\nfile = "%s"\nalias-failure = "sometimes"\n' % good)
    r = h.run([master, "--config", conf, "--check"], check_rc=False)
    h.check(r.returncode != 0 and '%s:6: zone example.test.: alias-failure: "sometimes"' % conf
            in r.stderr, "bad [[zone]] option: " + r.stderr)
    base = [master, "--zone", "example.test=" + good, "--resolver", "127.0.0.1", "--check",
            "--catalog", "catalog.invalid"]
    r = h.run(base + ["--catalog-group", "example.test=fast"], check_rc=False)
    h.check(r.returncode == 0 and "catalog catalog.invalid." in r.stderr, "catalog: " + r.stderr)
    r = h.run(base + ["--catalog-group", "other.test=fast", "--catalog-coo",
                      "example.test=catalog.invalid"], check_rc=False)
    h.check(r.returncode != 0 and "other.test. is not a served zone" in r.stderr and
            "the new owner is this catalog itself" in r.stderr, "bad catalog: " + r.stderr)
    h.ok("--check reports errors and accepts a good config file and catalog")
