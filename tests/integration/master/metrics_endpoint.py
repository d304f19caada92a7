#!/usr/bin/python3
"""--http serves Prometheus /metrics and JSON /status: after an AXFR (TSIG), a refused unsigned
AXFR and a REFUSED query the counters moved, and /status (also via `flatsign-master status`)
names the zone, its serial and its ALIAS targets; other paths get 404."""
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

KEY = "xfr-key:hmac-sha256:" + env.TSIG_SECRET
DIG_KEY = "hmac-sha256:xfr-key:" + env.TSIG_SECRET


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def sample(text, series):
    """The value of one series line ('name{labels}') in a Prometheus text exposition."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    h.fail("series %s missing from /metrics:\n%s" % (series, text))


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    http = h.free_port()
    with env.Master(tmp, [up.port], args=["--tsig", KEY, "--http", "127.0.0.1:%d" % http]) as m:
        env.wait_log(m, "serving serial")
        serial = m.serial()
        _, ctype, before = get(http, "/metrics")
        h.check(ctype.startswith("text/plain; version=0.0.4"), "content type " + ctype)
        h.check("# TYPE flatsign_master_queries_total counter" in before, before)
        out = m.dig("-y", DIG_KEY, "example.test.", "AXFR")
        h.check("192.0.2.1" in out, "signed AXFR:\n" + out)
        out = m.dig("example.test.", "AXFR")
        h.check("192.0.2.1" not in out, "unsigned AXFR allowed:\n" + out)
        out = m.dig("other.test.", "SOA")
        h.check("status: REFUSED" in out, "other zone:\n" + out)
        _, _, after = get(http, "/metrics")
        for series, moved in [('flatsign_master_transfers_total{result="served"}', 1),
                              ('flatsign_master_transfers_total{result="refused"}', 1),
                              ('flatsign_master_queries_total{rcode="REFUSED"}', 2)]:
            delta = sample(after, series) - sample(before, series)
            h.check(delta >= moved, "%s moved by %s, want >= %d" % (series, delta, moved))
        h.check(sample(after, 'flatsign_master_zone_serial{zone="example.test."}') == serial,
                "serial gauge:\n" + after)
        h.check(sample(after, 'flatsign_master_flattened_rebuilds_total{zone="example.test."}')
                >= 1, after)
        _, ctype, body = get(http, "/status")
        h.check(ctype == "application/json", "status content type " + ctype)
        doc = json.loads(body)
        zones = {z["zone"]: z for z in doc["zones"]}
        h.check("example.test." in zones, "zone missing:\n" + body)
        z = zones["example.test."]
        h.check(z["serial"] == serial and z["transfer"] == "ok", "zone status:\n" + body)
        h.check(z["last_reload"]["result"] == "ok", body)
        targets = {a["target"]: a for a in z["aliases"]}
        h.check(targets.get("both.up.test.", {}).get("result") == "ok", "aliases:\n" + body)
        h.check(targets["both.up.test."]["next_refresh_in_s"] is not None, body)
        cli = h.run([h.binary("flatsign-master"), "status", "--http", "127.0.0.1:%d" % http]).stdout
        h.check(json.loads(cli)["zones"][0]["serial"] == serial, "status subcommand:\n" + cli)
        try:
            get(http, "/nope")
            h.fail("/nope answered 200")
        except urllib.error.HTTPError as e:
            h.check(e.code == 404, "/nope: %d" % e.code)
        h.check(m.proc.alive(), "master died")
    h.ok("metrics and status endpoint: serial %d" % serial)
