#!/usr/bin/python3
"""Strict policy: an ALIAS whose target is NXDOMAIN makes AXFR answer SERVFAIL only, and the log names the ALIAS and why."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    zone = env.MASTER_ZONE + "bad ALIAS missing.up.test.\n"
    with env.Master(tmp, [up.port], zone_text=zone) as m:
        env.wait_log(m, "flattening failed")
        out = m.dig("example.test.", "AXFR")
        h.check("Transfer failed" in out or "SERVFAIL" in out, "AXFR not SERVFAIL:\n" + out)
        h.check("192.0.2" not in out, "records leaked:\n" + out)
        h.check("bad.example.test." in m.log() and "NXDOMAIN" in m.log(), "log:\n" + m.log())
        h.check(m.proc.alive(), "master died")
    h.ok("strict: SERVFAIL for AXFR, log names the ALIAS")
