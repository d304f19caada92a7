#!/usr/bin/python3
"""A resolver that never answers is skipped after its timeout; the next resolver's answers are used."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never read: silent
    sink.bind(("127.0.0.1", 0))
    dead = sink.getsockname()[1]
    with env.Master(tmp, [dead, up.port]) as m:
        env.wait_log(m, "serving serial", timeout=20)
        rows = m.axfr()
        h.check(("v6.example.test.", 3600, "AAAA", "2001:db8::20") in rows, "rows: %s" % rows)
    sink.close()
    h.ok("dead resolver skipped")
