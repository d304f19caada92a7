#!/usr/bin/python3
"""Dangling-target watch: a target that had addresses and answers NXDOMAIN for alias-dangling-after checks in a row raises one alert naming the ALIAS, its last good addresses stay served (even under strict), and the recovery is reported once."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402


def docs(path):
    """The alert documents about www (*.sites, whose chain ends at the same name, has its own)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [d for d in map(json.loads, filter(str.strip, f))
                if d["alias"] == "www.example.test."]


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    alerts = tmp.file("alerts.jsonl")
    args = ["--alias-dangling-after", "3", "--on-alert", "cat >> " + alerts]
    with env.Master(tmp, [up.port], args=args) as m:  # the default policy: strict
        env.wait_log(m, "serving serial")
        serial = m.serial()
        up.change(env.UPSTREAM_ZONE.replace("both ", "gone "))  # www's target: NXDOMAIN
        h.wait_for(lambda: docs(alerts), timeout=30, what="dangling alert\n" + m.log()[-3000:])
        time.sleep(4)  # more NXDOMAIN checks: no second alert
        got = docs(alerts)
        h.check([d["verdict"] for d in got] == ["alias-dangling"], "alerts: %s" % got)
        d = got[0]
        h.check(d["alias"] == "www.example.test." and d["target"] == "both.up.test." and
                d["checks"] == 3 and "NXDOMAIN" in d["detail"], "alert doc: %s" % d)
        rows = m.axfr()
        h.check(("www.example.test.", 3600, "A", "192.0.2.10") in rows,
                "last good addresses not kept: %s" % rows)
        h.check(m.serial() == serial, "serial moved while dangling: %s" % m.serial())
        h.check("flattening failed" not in m.log(), "strict failed the zone:\n" + m.log())

        up.change(env.UPSTREAM_ZONE)
        h.wait_for(lambda: len(docs(alerts)) >= 2, timeout=30,
                   what="recovery alert\n" + m.log()[-3000:])
        time.sleep(2)
        got = [d["verdict"] for d in docs(alerts)]
        h.check(got == ["alias-dangling", "alias-recovered"], "alerts: %s" % got)

    # alias-dangling-after 0: no watch, NXDOMAIN fails the zone at once under strict.
    with env.Master(tmp, [up.port], name="nowatch", args=["--alias-dangling-after", "0"]) as m:
        env.wait_log(m, "serving serial")
        up.change(env.UPSTREAM_ZONE.replace("both ", "gone "))
        env.wait_log(m, "flattening failed", timeout=20)
h.ok("dangling target: one alert after N checks, last good kept, recovery reported")
