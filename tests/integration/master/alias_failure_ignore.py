#!/usr/bin/python3
"""Ignore policy: an ALIAS whose target fails (NXDOMAIN, CNAME loop) is left out and logged; the rest is served."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    zone = env.MASTER_ZONE + "bad ALIAS missing.up.test.\nloop ALIAS loop1.up.test.\n"
    with env.Master(tmp, [up.port], zone_text=zone, args=["--alias-failure", "ignore"]) as m:
        env.wait_log(m, "serving serial")
        rows = m.axfr()
        owners = {r[0] for r in rows}
        h.check("www.example.test." in owners, "www missing: %s" % rows)
        h.check("bad.example.test." not in owners and "loop.example.test." not in owners,
                "failing ALIAS served: %s" % rows)
        log = m.log()
        h.check("bad.example.test." in log and "left out" in log, "log:\n" + log)
        # unbound itself answers SERVFAIL for a looping chain; the stub's own loop check is
        # covered by the unit tests.
        h.check("loop.example.test." in log, "loop not logged:\n" + log)
    h.ok("ignore: failing ALIAS left out")
