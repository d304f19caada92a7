#!/usr/bin/python3
"""Local targets: an ALIAS to a name in a zone the master serves (another zone, its own ALIAS -> ALIAS, a CNAME in the same zone) is answered from the master's own data, never asked of the resolver (a relay counts its queries), and a reload of the target's record changes the flattened answer at once with a new serial and a NOTIFY."""
import os
import socket
import sys

import dns.message
import dns.opcode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

ZONE = env.MASTER_ZONE + """host A 192.0.2.50
local ALIAS host.example.test.
two ALIAS local.example.test.
cn ALIAS alias-cname.example.test.
alias-cname CNAME host.example.test.
o ALIAS web.other.test.
"""
OTHER = """$TTL 3600
@ SOA ns1.example.test. hostmaster 1 7200 3600 1209600 300
@ NS ns1.example.test.
web A 192.0.2.60
"""


def a(m, name):
    return m.dig(name, "A", "+short").split()


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    log = env.QueryLog(up.port)
    other = tmp.write("other.test.zone", OTHER)
    notify = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    notify.bind(("127.0.0.1", 0))
    notify.settimeout(15)
    args = ["--zone", "other.test=" + other, "--notify", "127.0.0.1:%d" % notify.getsockname()[1]]
    try:
        m = env.Master(tmp, [log.port], zone_text=ZONE, args=args)
        with m:
            env.wait_log(m, "serving serial 2024010101")
            for name, want in (("local", "192.0.2.50"), ("two", "192.0.2.50"),
                               ("cn", "192.0.2.50"), ("o", "192.0.2.60")):
                h.check(a(m, name + ".example.test.") == [want], "%s: %s\n%s"
                        % (name, a(m, name + ".example.test."), m.log()[-2000:]))
            asked = log.asked()
            h.check(any(n == "both.up.test." for n in asked), "relay saw nothing: %s" % asked)
            local = [n for n in asked if n.endswith("example.test.") or n.endswith("other.test.")]
            h.check(not local, "local targets asked of the resolver: %s" % local)

            # A reload of the target's record (in the same zone, then in another): the flattened
            # answer follows at once, under a new serial, NOTIFYed.
            serial = m.serial()
            with open(m.zone_path, "w") as f:
                f.write(ZONE.replace("host A 192.0.2.50", "host A 192.0.2.51"))
            os.kill(m.proc.pid, 1)
            h.wait_for(lambda: a(m, "two.example.test.") == ["192.0.2.51"], timeout=10,
                       what="ALIAS -> ALIAS to follow the reload\n" + m.log()[-2000:])
            h.check(a(m, "cn.example.test.") == ["192.0.2.51"], "cname: %s" % a(m, "cn.example.test."))
            h.check(m.serial() > serial, "serial %s after reload" % m.serial())
            serial = m.serial()
            with open(other, "w") as f:
                f.write(OTHER.replace("192.0.2.60", "192.0.2.61"))
            while True:  # drain the NOTIFYs (and retries) of the first change
                notify.settimeout(0.5)
                try:
                    notify.recv(512)
                except socket.timeout:
                    break
            os.kill(m.proc.pid, 1)
            h.wait_for(lambda: a(m, "o.example.test.") == ["192.0.2.61"], timeout=10,
                       what="cross-zone ALIAS to follow the other zone's reload\n" + m.log()[-2000:])
            h.check(m.serial() == serial + 1, "serial %s after the other zone's reload" % m.serial())
            notify.settimeout(10)
            seen = []
            while (("example.test.", serial + 1)) not in seen:  # retries of older ones may come
                msg = dns.message.from_wire(notify.recv(512))
                if msg.opcode() == dns.opcode.NOTIFY and msg.answer:
                    seen.append((msg.question[0].name.to_text(), msg.answer[0][0].serial))
            local = [n for n in log.asked() if n.endswith("example.test.") or n.endswith("other.test.")]
            h.check(not local, "local targets asked of the resolver: %s" % local)
    finally:
        log.stop()
        notify.close()
h.ok("local targets: answered from the master's zones, follow reloads at once with NOTIFY")
