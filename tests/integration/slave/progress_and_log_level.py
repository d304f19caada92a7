#!/usr/bin/python3
"""The first full sign of a large zone logs progress lines at info ("signing: 40% (n/N RRsets),
t s", rising to 100%); --log-level warning silences info and debug lines on both daemons."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as menv  # noqa: E402
import slave_env as env  # noqa: E402

# Enough names that one signing thread takes well over the 2 s between progress lines, even on
# a quiet machine where the sign runs on the calling thread.
NAMES = int(os.environ.get("FLATSIGN_PROGRESS_NAMES", "80000"))
PROGRESS = re.compile(r" info slave zone=example\.test\. signing: (\d+)% \((\d+)/(\d+) RRsets\), "
                      r"([\d.]+) s$")


def slave_cmd(tmp, name, master_port, level):
    state = tmp.file(name)
    os.makedirs(state)
    return [h.binary("flatsign-slave"), "--listen", "127.0.0.1:%d" % h.free_port(), "--zone",
            env.ZONE, "--master", "127.0.0.1:%d" % master_port, "--state-dir", state,
            "--poll-interval", "60", "--sign-threads", "1", "--log-level", level], state


with h.TempDir() as tmp:
    text = env.generated_zone_text(tmp, NAMES)
    with menv.Master(tmp, [], zone_text=text, args=["--log-level", "warning"]) as master:
        cmd, state = slave_cmd(tmp, "info", master.port, "info")
        with h.Process(cmd, log_path=tmp.file("info.log")) as slave:
            signed = os.path.join(state, "example.test", "example.test.signed")
            h.wait_for(lambda: os.path.exists(signed) or not slave.alive(), 240,
                       what="the signed zone")
            log = slave.log()
        lines = [m for m in map(PROGRESS.search, log.splitlines()) if m]
        h.check(len(lines) >= 2, "no progress lines during a %d-name sign:\n%s" %
                (NAMES, log[-3000:]))
        pct = [int(m.group(1)) for m in lines]
        h.check(pct == sorted(set(pct)) and pct[-1] == 100 and pct[0] < 100,
                "progress does not rise to 100%%: %s" % pct)
        h.check(all(int(m.group(3)) == int(lines[0].group(3)) for m in lines), "totals differ")
        h.check(float(lines[0].group(4)) >= 1.5, "first progress line too early: " +
                lines[0].group(0))

        cmd, state = slave_cmd(tmp, "quiet", master.port, "warning")
        with h.Process(cmd, log_path=tmp.file("quiet.log")) as quiet:
            signed = os.path.join(state, "example.test", "example.test.signed")
            h.wait_for(lambda: os.path.exists(signed) or not quiet.alive(), 240,
                       what="the quiet slave's signed zone")
            qlog = quiet.log()
        noisy = [line for line in qlog.splitlines() if " info " in line or " debug " in line]
        h.check(not noisy, "--log-level warning still logs:\n" + "\n".join(noisy[:5]))
        mnoisy = [line for line in master.log().splitlines()
                  if " info " in line or " debug " in line]
        h.check(not mnoisy, "master --log-level warning still logs:\n" + "\n".join(mnoisy[:5]))
    res = h.run([h.binary("flatsign-slave"), "--log-level", "chatty"], check_rc=False)
    h.check(res.returncode != 0 and "log-level" in (res.stdout or "") + (res.stderr or ""),
            "a bad --log-level was accepted")
h.ok("%d progress lines (%s%%) for %s RRsets; warning level quiet on both daemons" %
     (len(lines), ",".join(map(str, pct)), lines[0].group(3)))
