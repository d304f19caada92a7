#!/usr/bin/python3
"""Stale policy: when a target starts failing, the last good expansion is served until --max-stale, then transfers SERVFAIL (strict)."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    with env.Master(tmp, [up.port], args=["--alias-failure", "stale", "--max-stale", "4"]) as m:
        env.wait_log(m, "serving serial")
        up.change(env.UPSTREAM_ZONE.replace("both ", "gone "))  # www's target is now NXDOMAIN
        env.wait_log(m, "stale data used", timeout=15)
        rows = m.axfr()
        h.check(("www.example.test.", 3600, "A", "192.0.2.10") in rows, "stale not used: %s" % rows)
        env.wait_log(m, "flattening failed", timeout=20)
        out = m.dig("example.test.", "AXFR")
        h.check("192.0.2.10" not in out, "stale data beyond max-stale:\n" + out)
    h.ok("stale: last good used, then strict after max-stale")
