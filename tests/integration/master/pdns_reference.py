#!/usr/bin/python3
"""Reference: PowerDNS 4.7 (expand-alias, outgoing-axfr-expand-alias) on the same zone and
upstream as flatsign-master; records the TTL PowerDNS gives flattened records and what it does
when a target fails, and checks flatsign's documented differences (ALIAS TTL, SERVFAIL)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402




def axfr(port):
    out = h.run(["dig", "@127.0.0.1", "-p", str(port), "example.test.", "AXFR", "+noall",
                 "+answer"], check_rc=False, timeout=30).stdout
    return [l.split(None, 4) for l in out.splitlines() if l and not l.startswith(";")]


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    p, port = env.start_pdns(tmp, tmp.write("pdns/example.test.zone", env.MASTER_ZONE), up.port)
    try:
        rows = axfr(port)
        www = [r for r in rows if r[0] == "www.example.test." and r[3] == "A"]
        h.check(www, "PowerDNS gave no flattened www A: %s" % rows)
        print("PowerDNS flattened www A TTL: %s (ALIAS TTL 3600, upstream TTL 2)" % www[0][1])
        apex = [r for r in rows if r[0] == "example.test." and r[3] == "A"]
        print("PowerDNS flattened apex A TTL: %s (ALIAS TTL 600)" % (apex[0][1] if apex else "-"))
        print("PowerDNS AXFR of a wildcard ALIAS: %s" %
              [r[3] for r in rows if r[0].startswith("*.sites")])
    finally:
        p.stop()
    bad = env.MASTER_ZONE + "bad ALIAS missing.up.test.\n"
    p, port = env.start_pdns(tmp, tmp.write("pdns2/example.test.zone", bad), up.port)
    try:
        out = h.run(["dig", "@127.0.0.1", "-p", str(port), "example.test.", "AXFR"],
                    check_rc=False, timeout=30).stdout
        rows = axfr(port)
        print("PowerDNS AXFR with an NXDOMAIN target: %d records, bad.example.test present: %s,"
              " transfer failed: %s" % (len(rows), any(r[0] == "bad.example.test." for r in rows),
                                        "Transfer failed" in out))
    finally:
        p.stop()
    with env.Master(tmp, [up.port]) as m:
        env.wait_log(m, "serving serial")
        rows = m.axfr()
        h.check(("www.example.test.", 3600, "A", "192.0.2.10") in rows, "flatsign TTL: %s" % rows)
    h.ok("PowerDNS reference recorded; flatsign uses the ALIAS TTL")
