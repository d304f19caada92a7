#!/usr/bin/python3
"""A target's address changes upstream: after its TTL the master serves a higher serial and sends NOTIFY (received by a UDP listener here)."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    lis = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lis.bind(("127.0.0.1", 0))
    lis.settimeout(20)
    nport = lis.getsockname()[1]
    with env.Master(tmp, [up.port], args=["--notify", "127.0.0.1:%d" % nport]) as m:
        env.wait_log(m, "serving serial")
        s1 = m.serial()
        # drain the initial NOTIFY
        lis.settimeout(3)
        try:
            while True:
                data, peer = lis.recvfrom(4096)
                lis.sendto(data[:2] + bytes([data[2] | 0x80, 0]) + data[4:], peer)
        except socket.timeout:
            pass
        t0 = time.monotonic()
        up.change(env.UPSTREAM_ZONE.replace("192.0.2.10", "192.0.2.99"))
        lis.settimeout(20)
        data, peer = lis.recvfrom(4096)
        took = time.monotonic() - t0
        h.check((data[2] >> 3) & 0xF == 4, "not a NOTIFY opcode")
        lis.sendto(data[:2] + bytes([data[2] | 0x80, 0]) + data[4:], peer)  # ack
        s2 = m.serial()
        h.check(s2 is not None and s2 > s1, "serial %s -> %s" % (s1, s2))
        rows = m.axfr()
        h.check(("www.example.test.", 3600, "A", "192.0.2.99") in rows, "new IP: %s" % rows)
    h.ok("NOTIFY %.2f s after the upstream change, serial %d -> %d" % (took, s1, s2))
