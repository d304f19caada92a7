#!/usr/bin/python3
"""state-dir: after upstream-driven serial bumps, a restarted master never serves a lower serial; with the same flattened content it serves the same serial (no needless transfer), with new content one past the stored one, and a zone file serial ahead of it wins."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

FILE_SERIAL = 2024010101


def start(tmp, up, state, zone=env.MASTER_ZONE):
    m = env.Master(tmp, [up.port], zone_text=zone, args=["--state-dir", state])
    env.wait_log(m, "serving serial")
    return m


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    state = tmp.file("state")
    os.makedirs(state)
    m = start(tmp, up, state)
    h.check(m.serial() == FILE_SERIAL, "first serial %s" % m.serial())
    for n, addr in enumerate(("192.0.2.71", "192.0.2.72"), start=1):
        up.change(env.UPSTREAM_ZONE.replace("192.0.2.10", addr))
        h.wait_for(lambda: m.serial() == FILE_SERIAL + n, timeout=20,
                   what="bump %d\n%s" % (n, m.log()[-2000:]))
    bumped = m.serial()
    m.stop()
    with open(os.path.join(state, "example.test.serial")) as f:
        h.check(f.read().startswith("serial %d\n" % bumped), "state file")

    # Same upstream, same file: the same serial again, and the same records.
    m = start(tmp, up, state)
    h.check(m.serial() == bumped, "restart served %s, before %d" % (m.serial(), bumped))
    h.check("192.0.2.72" in m.dig("www.example.test.", "A", "+short"), "content")
    m.stop()

    # Changed upstream while it was down: one past the stored serial, never the file's.
    up.change(env.UPSTREAM_ZONE.replace("192.0.2.10", "192.0.2.73"))
    h.wait_for(lambda: "192.0.2.73" in h.run(["dig", "@127.0.0.1", "-p", str(up.port), "+short",
                                              "both.up.test.", "A"], check_rc=False).stdout,
               timeout=10, what="the resolver to see the change")
    m = start(tmp, up, state)
    h.check(m.serial() == bumped + 1, "restart after change served %s, before %d"
            % (m.serial(), bumped))
    m.stop()

    # A zone file whose serial is ahead wins.
    ahead = FILE_SERIAL + 100
    m = start(tmp, up, state, env.MASTER_ZONE.replace(str(FILE_SERIAL), str(ahead)))
    h.check(m.serial() == ahead, "file ahead: served %s" % m.serial())
    m.stop()

    # A damaged state file refuses the start rather than guessing.
    with open(os.path.join(state, "example.test.serial"), "w") as f:
        f.write("garbage\n")
    r = h.run([h.binary("flatsign-master"), "--check", "--zone",
               "example.test=" + m.zone_path, "--resolver", "127.0.0.1:%d" % up.port,
               "--state-dir", state], check_rc=False, timeout=30)
    h.check(r.returncode != 0 and "example.test.serial" in r.stderr, "damaged: %d %s"
            % (r.returncode, r.stderr))
h.ok("serial kept across restarts: never lower, same when unchanged")
