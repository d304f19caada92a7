#!/usr/bin/python3
"""SIGHUP with a zone file that fails to parse keeps the old zone serving and logs the error; a
good file afterwards is picked up; a SIGHUP with the file untouched does not re-read it, and one
after an edit of the same size does."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


with h.TempDir() as tmp, env.Upstream(tmp) as up, env.Master(tmp, [up.port]) as m:
    env.wait_log(m, "serving serial")
    s1 = m.serial()
    with open(m.zone_path, "w") as f:
        f.write(env.MASTER_ZONE + "broken IN A not-an-address\n")
    os.kill(m.proc.pid, 1)
    env.wait_log(m, "reload failed, keeping the old zone")
    h.check(m.proc.alive() and m.serial() == s1, "old zone not kept")
    h.check("txt.example.test." in m.dig("txt.example.test.", "TXT"), "not serving")
    with open(m.zone_path, "w") as f:
        f.write(env.MASTER_ZONE + "new TXT \"added\"\n")
    os.kill(m.proc.pid, 1)
    h.wait_for(lambda: "added" in m.dig("new.example.test.", "TXT"), what="reloaded zone")
    h.check(m.serial() > s1, "serial not bumped after reload")
    os.kill(m.proc.pid, 1)
    env.wait_log(m, "1 zone file(s) not re-read: unchanged on disk")
    time.sleep(0.05)  # past the file system's timestamp granularity
    with open(m.zone_path, "w") as f:  # same size: only the stamp's time tells
        f.write(env.MASTER_ZONE + "new TXT \"edit1\"\n")
    os.kill(m.proc.pid, 1)
    h.wait_for(lambda: "edit1" in m.dig("new.example.test.", "TXT"), what="the edited zone")
    h.ok("broken reload kept the old zone; good reload served")
