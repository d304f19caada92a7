#!/usr/bin/python3
"""Malformed packets get FORMERR (or nothing), unknown opcodes NOTIMP, AXFR from a denied address REFUSED; the daemon keeps running."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    with env.Master(tmp, [up.port], args=["--allow-transfer", "127.0.0.2/32"]) as m:
        env.wait_log(m, "serving serial")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            # header claims one question, none follows
            s.sendto(struct.pack("!HHHHHH", 77, 0, 1, 0, 0, 0), ("127.0.0.1", m.port))
            r = s.recv(4096)
            h.check(r[:2] == b"\0\x4d" and r[3] & 0xF == 1, "no FORMERR: %r" % r)
            s.sendto(b"\x01\x02\x03", ("127.0.0.1", m.port))  # too short: dropped
            # opcode 2 (STATUS)
            q = struct.pack("!HHHHHH", 78, 2 << 11, 1, 0, 0, 0) + env.encode_name("example.test.")
            s.sendto(q + struct.pack("!HH", 6, 1), ("127.0.0.1", m.port))
            r = s.recv(4096)
            h.check(r[3] & 0xF == 4, "no NOTIMP: %r" % r)
        out = m.dig("example.test.", "AXFR")
        h.check("Transfer failed" in out and "192.0.2" not in out, "AXFR not refused:\n" + out)
        h.check("REFUSED: transfer not allowed from 127.0.0.1" in m.log(), "log:\n" + m.log())
        out = m.dig("-b", "127.0.0.2", "example.test.", "AXFR")
        h.check("192.0.2.1" in out, "AXFR from the allowed 127.0.0.2 failed:\n" + out)
        h.check(m.proc.alive() and m.serial(), "master not serving")
    h.ok("bad input answered, ACL enforced")
