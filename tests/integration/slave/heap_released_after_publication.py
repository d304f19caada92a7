#!/usr/bin/python3
"""The slave names its heap allocator at start (jemalloc when the binary links it, as the release
build does) and, after publishing a zone of more than 20,000 RRsets, hands the transfer's and the
signing's free memory back to the kernel: a debug line says so, and the resident set at rest is
well below the peak of the first publication."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as menv  # noqa: E402
import slave_env as env  # noqa: E402

NAMES = 15000
RELEASE = re.compile(r"heap release \((jemalloc|glibc)\): memory released in [\d.]+ s; "
                     r"in use ([\d.]+) MB of ([\d.]+) MB held")


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    h.fail("%s missing from /proc/%d/status" % (field, pid))


slave_bin = h.binary("flatsign-slave")
linked = subprocess.run(["ldd", slave_bin], capture_output=True, text=True).stdout
want = "jemalloc" if "libjemalloc" in linked else "glibc"

with h.TempDir() as tmp:
    text = env.generated_zone_text(tmp, NAMES)
    with menv.Master(tmp, [], zone_text=text, args=["--log-level", "warning"]) as master:
        state = tmp.file("state")
        cmd = [slave_bin, "--listen", "127.0.0.1:%d" % h.free_port(), "--zone", env.ZONE,
               "--master", "127.0.0.1:%d" % master.port, "--state-dir", state,
               "--poll-interval", "3600", "--log-level", "debug"]
        with h.Process(cmd, log_path=tmp.file("slave.log")) as slave:
            h.wait_for(lambda: RELEASE.search(slave.log()) or not slave.alive(), 240,
                       what="the heap release after the first publication")
            h.check(slave.alive(), "the slave died:\n" + slave.log()[-3000:])
            log = slave.log()
            h.check(re.search(r"serving 1 zone\(s\) on 1 listener\(s\), 0 catalog\(s\); heap: "
                              + want, log), "start line does not name the %s heap:\n%s"
                    % (want, log[:3000]))
            m = RELEASE.search(log)
            h.check(m.group(1) == want, "released by %s, the binary links %s" % (m.group(1), want))
            in_use, held = float(m.group(2)), float(m.group(3))
            h.check(0 < in_use <= held, "heap figures in use %s, held %s" % (in_use, held))
            time.sleep(1)
            rss, peak = status_kb(slave.pid, "VmRSS"), status_kb(slave.pid, "VmHWM")
            h.check(rss < 0.8 * peak, "resident %d kB at rest, peak %d kB: not given back"
                    % (rss, peak))
h.ok("heap %s: %.1f MB in use of %.1f MB held after the release; RSS %d of peak %d kB"
     % (want, in_use, held, rss, peak))
