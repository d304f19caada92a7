#!/usr/bin/python3
"""A target with 500 A records upstream: the master flattens the first 64 (--alias-max-addresses' default) in canonical order, keeps the same subset across refreshes, and logs one line naming the ALIAS, its target and the counts."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

UP = env.UPSTREAM_ZONE + "".join("many A 10.0.%d.%d\n" % (i // 256, i % 256)
                                 for i in reversed(range(500)))
ZONE = """$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www 300 ALIAS many.up.test.
"""

with h.TempDir() as tmp, env.Upstream(tmp, UP) as up:
    with env.Master(tmp, [up.port], zone_text=ZONE) as m:
        env.wait_log(m, "serving serial", timeout=20)
        rows = [r[3] for r in m.axfr() if r[0] == "www.example.test." and r[2] == "A"]
        want = sorted(["10.0.0.%d" % i for i in range(64)], key=socket.inet_aton)
        h.check(sorted(rows, key=socket.inet_aton) == want,
                "the first 64 in canonical order, got %d: %s" % (len(rows), rows[:5]))
        line = [l for l in m.log().splitlines() if "alias-max-addresses" in l]
        h.check(line and "www.example.test. -> many.up.test." in line[0] and
                "500 A" in line[0] and "first 64 A" in line[0],
                "a log line names the ALIAS and the counts:\n%s" % m.log()[-2000:])
        serial = m.serial()
        time.sleep(3)  # refreshed (TTL 2) at least once: the same subset, the same serial
        h.check(m.serial() == serial, "serial moved %s -> %s" % (serial, m.serial()))
h.ok("500 upstream A -> 64 flattened (10.0.0.0-63), logged: %s" % line[0].split("alias", 1)[-1])
