#!/usr/bin/python3
"""alias-https publishes HTTPS 0 <target> (AliasMode) beside the flattened A/AAAA at each ALIAS owner (one with its own HTTPS keeps it), and --check explains each ALIAS: its target, TTL policy and failure policy."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

ZONE = env.MASTER_ZONE + 'own ALIAS both.up.test.\nown HTTPS 1 . alpn="h2"\n'

with h.TempDir() as tmp, env.Upstream(tmp) as up:
    with env.Master(tmp, [up.port], zone_text=ZONE, args=["--alias-https"]) as m:
        env.wait_log(m, "serving serial")
        h.check(m.dig("www.example.test.", "HTTPS", "+short").split() == ["0", "both.up.test."],
                "www HTTPS: %r" % m.dig("www.example.test.", "HTTPS", "+short"))
        h.check("192.0.2.10" in m.dig("www.example.test.", "A", "+short"), "A beside it")
        h.check(m.dig("own.example.test.", "HTTPS", "+short").split()[:2] == ["1", "."],
                "own HTTPS replaced: %r" % m.dig("own.example.test.", "HTTPS", "+short"))
        rows = m.axfr()
        h.check(("x.sites.example.test.", 3600, "HTTPS", "0 chain.up.test.") not in rows and
                ("*.sites.example.test.", 3600, "HTTPS", "0 chain.up.test.") in rows,
                "wildcard owner: %s" % [r for r in rows if r[2] == "HTTPS"])
    r = h.run([h.binary("flatsign-master"), "--check", "--zone", "example.test=" + m.zone_path,
               "--zone", "up.test=" + up.zone_path, "--resolver", "127.0.0.1:%d" % up.port,
               "--alias-failure", "stale", "--max-stale", "600"], check_rc=False, timeout=30)
    h.check(r.returncode == 0, "check: %s" % r.stderr)
    out = r.stdout
    for want in ("example.test. ALIAS www.example.test. -> both.up.test.",
                 "read from the master's own data",  # up.test is served here too in this run
                 "TTL: 600 (the ALIAS record's own",
                 "on failure (stale): the last good addresses are served for up to 600 s, then "
                 "AXFR answers SERVFAIL"):
        h.check(want in out, "%r not in --check output:\n%s" % (want, out))
h.ok("alias-https publishes AliasMode HTTPS; --check explains each ALIAS")
