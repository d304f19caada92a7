#!/usr/bin/python3
"""AXFR of a zone with ALIAS records (apex, wildcard, CNAME chain, A-only, AAAA-only targets)
returns the flattened A/AAAA at the ALIAS owners with the ALIAS TTL, via dig and kdig."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

with h.TempDir() as tmp, env.Upstream(tmp) as up, env.Master(tmp, [up.port]) as m:
    env.wait_log(m, "serving serial")
    rows = m.axfr()
    want = {
        ("example.test.", 600, "A", "192.0.2.1"), ("example.test.", 600, "A", "192.0.2.2"),
        ("example.test.", 600, "A", "192.0.2.3"),
        ("www.example.test.", 3600, "A", "192.0.2.10"),
        ("www.example.test.", 3600, "AAAA", "2001:db8::10"),
        ("*.sites.example.test.", 3600, "A", "192.0.2.10"),
        ("*.sites.example.test.", 3600, "AAAA", "2001:db8::10"),
        ("v6.example.test.", 3600, "AAAA", "2001:db8::20"),
        ("v4.example.test.", 3600, "A", "192.0.2.30"),
        ("txt.example.test.", 3600, "TXT", '"hello"'),
    }
    missing = want - set(rows)
    h.check(not missing, "missing from AXFR: %s\n%s" % (missing, rows))
    h.check(not any(r[2] == "ALIAS" or r[2] == "TYPE65401" for r in rows), "ALIAS left in AXFR")
    h.check(not any(r[0] == "v6.example.test." and r[2] == "A" for r in rows), "A for v6only")
    h.check(not any(r[0] == "v4.example.test." and r[2] == "AAAA" for r in rows), "AAAA v4only")
    kd = h.run(["kdig", "@127.0.0.1", "-p", str(m.port), "example.test.", "AXFR"]).stdout
    h.check("192.0.2.3" in kd and "2001:db8::20" in kd, "kdig AXFR:\n" + kd)
    # Normal queries: authoritative, no recursion, wildcard synthesized.
    out = m.dig("foo.sites.example.test.", "AAAA")
    h.check("flags: qr aa;" in out and "2001:db8::10" in out, "wildcard query:\n" + out)
    out = m.dig("example.test.", "SOA")
    h.check("status: NOERROR" in out and " aa" in out and " ra" not in out, "SOA:\n" + out)
    out = m.dig("nope.example.test.", "A")
    h.check("status: NXDOMAIN" in out, "NXDOMAIN:\n" + out)
    out = m.dig("other.test.", "SOA")
    h.check("status: REFUSED" in out, "other zone:\n" + out)
    h.ok("flattened AXFR: %d records" % len(rows))
