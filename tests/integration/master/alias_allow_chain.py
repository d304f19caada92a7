#!/usr/bin/python3
"""alias-allow and budgets: a target outside the allowed suffixes refuses the zone file naming file:line; a CNAME chain that leaves them at hop 2 flattens under alias-chain trust-chain and fails under each-hop; alias-max-hops, alias-max-targets and alias-max-queries (rounds) hold."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

# t.a -> t2.a (hop 1, inside a.up.test) -> t3.b (hop 2, outside) -> A
UPSTREAM = env.UPSTREAM_ZONE + "t.a CNAME t2.a\nt2.a CNAME t3.b\nt3.b A 192.0.2.90\n"
ZONE = """$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
x ALIAS t.a.up.test.
"""
ALLOW = ["--alias-allow", "a.up.test."]


def check_cli(tmp, up, zone_text, args, name):
    path = tmp.write(name + ".zone", zone_text)
    return h.run([h.binary("flatsign-master"), "--check", "--zone", "example.test=" + path,
                  "--resolver", "127.0.0.1:%d" % up.port] + args, check_rc=False, timeout=30)


with h.TempDir() as tmp, env.Upstream(tmp, UPSTREAM) as up:
    with env.Master(tmp, [up.port], zone_text=ZONE, name="trust", args=ALLOW) as m:
        env.wait_log(m, "serving serial")
        h.check("192.0.2.90" in m.dig("x.example.test.", "A", "+short"), "trust-chain:\n" + m.log())
    with env.Master(tmp, [up.port], zone_text=ZONE, name="eachhop",
                    args=ALLOW + ["--alias-chain", "each-hop"]) as m:
        env.wait_log(m, "flattening failed", timeout=20)
        h.check("CNAME hop 2 (t3.b.up.test.) is outside alias-allow" in m.log(), m.log())
        h.check("192.0.2.90" not in m.dig("example.test.", "AXFR"), "each-hop served the chain")
    with env.Master(tmp, [up.port], zone_text=ZONE, name="hops",
                    args=["--alias-max-hops", "1"]) as m:
        env.wait_log(m, "flattening failed", timeout=20)
        h.check("CNAME chain of 2 hops, more than alias-max-hops 1" in m.log(), m.log())

    # Load time: the record outside alias-allow is named by file:line; too many targets.
    r = check_cli(tmp, up, ZONE + "ok ALIAS t2.a.up.test.\ny ALIAS both.up.test.\n", ALLOW, "outside")
    h.check(r.returncode != 0 and "outside.zone:7" in r.stderr and "y.example.test." in r.stderr
            and "alias-allow" in r.stderr and "ok.example.test." not in r.stderr,
            "outside: %d %s" % (r.returncode, r.stderr))
    r = check_cli(tmp, up, ZONE + "y ALIAS both.up.test.\n", ["--alias-max-targets", "1"], "many")
    h.check(r.returncode != 0 and "2 distinct ALIAS targets, more than alias-max-targets 1"
            in r.stderr, "max-targets: %d %s" % (r.returncode, r.stderr))
    r = check_cli(tmp, up, ZONE, ["--alias-chain", "each-hop"], "noallow")
    h.check(r.returncode != 0 and "each-hop needs alias-allow" in r.stderr, r.stderr)

    # alias-max-queries 4: two targets a round; MASTER_ZONE's five targets take three rounds.
    with env.Master(tmp, [up.port], name="budget",
                    args=["--alias-max-queries", "4", "--log-level", "debug"]) as m:
        env.wait_log(m, "serving serial", timeout=20)
        h.check("alias-max-queries: round 3 of 3" in m.log(), m.log()[-3000:])
        rows = m.axfr()
        for owner in ("example.test.", "www.example.test.", "v6.example.test.", "v4.example.test."):
            h.check(any(r[0] == owner for r in rows), "%s missing: %s" % (owner, rows))
h.ok("alias-allow refused at load with file:line; each-hop fails a chain leaving it; budgets hold")
