#!/usr/bin/python3
"""With a TSIG key configured, AXFR needs it: the right key transfers (signed), a wrong key gets NOTAUTH/BADSIG, none gets REFUSED."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


KEY = "xfr-key:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
BAD = "xfr-key:hmac-sha256:d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc="
DIG_KEY = "hmac-sha256:xfr-key:" + KEY.split(":")[2]
DIG_BAD = "hmac-sha256:xfr-key:" + BAD.split(":")[2]
with h.TempDir() as tmp, env.Upstream(tmp) as up:
    with env.Master(tmp, [up.port], args=["--tsig", KEY]) as m:
        env.wait_log(m, "serving serial")
        out = m.dig("-y", DIG_KEY, "example.test.", "AXFR")
        h.check("192.0.2.1" in out and "Transfer failed" not in out, "signed AXFR:\n" + out)
        out = m.dig("-y", DIG_BAD, "example.test.", "AXFR")
        h.check("192.0.2.1" not in out, "wrong key transferred:\n" + out)
        h.check("TSIG" in m.log() and "NOTAUTH" in m.log(), "log:\n" + m.log())
        out = m.dig("example.test.", "AXFR")
        h.check("192.0.2.1" not in out, "unsigned AXFR allowed:\n" + out)
        out = m.dig("-y", DIG_KEY, "example.test.", "SOA")
        h.check("NOERROR" in out and "tsig" in out.lower(), "signed SOA:\n" + out)
        h.check(m.proc.alive(), "master died")
    h.ok("TSIG enforced on transfers")
