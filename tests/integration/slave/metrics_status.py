#!/usr/bin/python3
"""--http serves Prometheus /metrics and JSON /status for the slave: after the first publication,
a change and a refused (shrunk) transfer the poll, signing, refusal, query and serial series move,
and /status (also via `flatsign-slave status`) names the serials, the last poll and refusal, the
next signature expiry, the key tags and the DS."""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        return r.headers.get("Content-Type"), r.read().decode()


def sample(text, series):
    """The value of one series line ('name{labels}') in a Prometheus text exposition."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    h.fail("series %s missing from /metrics:\n%s" % (series, text))


def status(port, path="/status?zone=example.test."):
    """The zone's part of /status (the whole document with path="/status")."""
    ctype, body = get(port, path)
    h.check(ctype == "application/json", "status content type %s" % ctype)
    return json.loads(body)


ZONE_SERIES = '{zone="example.test."}'
master = env.FakeMaster()
with h.TempDir() as tmp:
    http = h.free_port(kind=__import__("socket").SOCK_STREAM)
    with env.Slave(tmp, master.port, extra=["--http", "127.0.0.1:%d" % http]) as slave:
        slave.wait_signed()
        h.wait_for(lambda: status(http)["counters"]["polls"]["unchanged"] >= 1, 10,
                   what="an unchanged poll after the first publication")
        serial = env.query_soa(slave.port)
        _, m0 = get(http, "/metrics")
        h.check(sample(m0, 'flatsign_slave_polls_total{zone="example.test.",result="changed"}') >= 1, m0)
        h.check(sample(m0, 'flatsign_slave_signings_total{zone="example.test.",kind="full"}') == 1, m0)
        h.check(sample(m0, "flatsign_slave_zone_serial" + ZONE_SERIES) == serial, m0)
        expiry = sample(m0, "flatsign_slave_signature_next_expiry_timestamp_seconds" + ZONE_SERIES)
        h.check(expiry > time.time() + 86400, "next expiry %s not in the future" % expiry)
        h.check(sample(m0, "flatsign_slave_last_successful_poll_timestamp_seconds" + ZONE_SERIES)
                > time.time() - 60, m0)
        s0 = status(http)
        h.check(s0["zone"] == "example.test." and s0["served_serial"] == serial, json.dumps(s0))
        h.check(s0["master_serial"] == 2024010101, json.dumps(s0))
        h.check(s0["last_refusal"] is None, json.dumps(s0))
        h.check(s0["last_poll"]["result"] == "unchanged", json.dumps(s0))
        h.check(abs(s0["next_signature_expiry"]["unix"] - expiry) < 2, json.dumps(s0))
        tags = [k["tag"] for k in s0["keys"]]
        h.check(tags and all(k["algorithm"] == 13 for k in s0["keys"]), json.dumps(s0))
        h.check(s0["ds"] and str(tags[0]) in s0["ds"][0].split(), json.dumps(s0))

        # Queries by RCODE: answers for the zone, REFUSED for another one.
        for _ in range(3):
            env.query_soa(slave.port)
        h.run([h.peer("dig"), "+short", "+tries=1", "+time=2", "-p", str(slave.port),
               "@127.0.0.1", "other.test.", "SOA"], check_rc=False)
        _, m1 = get(http, "/metrics")
        for series, moved in [('flatsign_slave_queries_total{rcode="NOERROR"}', 3),
                              ('flatsign_slave_queries_total{rcode="REFUSED"}', 1)]:
            delta = sample(m1, series) - sample(m0, series)
            h.check(delta >= moved, "%s moved by %s, want >= %d" % (series, delta, moved))

        # A change: published by an incremental sign, with its latency.
        master.zone_text = env.ZONE_TEXT.replace("2024010101", "2024010102") + "new A 192.0.2.9\n"
        h.wait_for(lambda: status(http)["master_serial"] == 2024010102, 20, what="the change")
        _, m2 = get(http, "/metrics")
        new_serial = env.query_soa(slave.port)
        h.check(new_serial != serial, "serial did not move")
        h.check(sample(m2, "flatsign_slave_zone_serial" + ZONE_SERIES) == new_serial, m2)
        h.check(sample(m2, "flatsign_slave_master_serial" + ZONE_SERIES) == 2024010102, m2)
        h.check(sample(m2, 'flatsign_slave_signings_total{zone="example.test.",kind="incremental"}') >= 1, m2)
        h.check(sample(m2, "flatsign_slave_publications_total" + ZONE_SERIES) >= 1, m2)
        latency = sample(m2, "flatsign_slave_publish_latency_seconds" + ZONE_SERIES)
        h.check(0 < latency < 10, "publish latency %s" % latency)
        h.check(sample(m2, 'flatsign_slave_polls_total{zone="example.test.",result="changed"}') >
                sample(m0, 'flatsign_slave_polls_total{zone="example.test.",result="changed"}'), m2)

        # A refusal: counted by its verdict name and shown as the last refusal.
        master.mode = "shrunk"
        h.wait_for(lambda: (status(http)["last_refusal"] or {}).get("reason") == "refused-shrink",
                   20, what="the refused-shrink refusal in /status")
        _, m3 = get(http, "/metrics")
        h.check(sample(m3, 'flatsign_slave_refusals_total{zone="example.test.",reason="refused-shrink"}') >= 1, m3)
        h.check(sample(m3, 'flatsign_slave_polls_total{zone="example.test.",result="refused"}') >= 1, m3)
        h.check(sample(m3, "flatsign_slave_zone_serial" + ZONE_SERIES) == new_serial, m3)
        s3 = status(http)
        h.check(s3["served_serial"] == new_serial, json.dumps(s3))
        h.check(s3["last_refusal"]["detail"] != "", json.dumps(s3))
        h.check(s3["counters"]["refusals"]["refused-shrink"] >= 1, json.dumps(s3))
        whole = status(http, "/status")
        h.check(whole["queries"]["NOERROR"] >= 3, json.dumps(whole))
        # The two documents are read at different moments: the poll times and the seconds left
        # to the next expiry may move between them, the zone's identity and state may not.
        stable = ["zone", "served_serial", "master_serial", "keys", "ds", "masters", "poll_mode"]
        h.check(whole["totals"]["zones"] == 1 and
                all(whole["zones"][0][k] == s3[k] for k in stable) and
                whole["zones"][0]["last_refusal"]["reason"] == "refused-shrink", json.dumps(whole))

        # The status subcommand: an outline by default, the JSON with --json.
        cli = h.run([h.binary("flatsign-slave"), "status", "--http", "127.0.0.1:%d" % http]).stdout
        for want in ["zone: example.test.", "served_serial: %d" % new_serial,
                     "reason: refused-shrink", "- tag: %d" % tags[0]]:
            h.check(want in cli, "status outline lacks %r:\n%s" % (want, cli))
        cli = h.run([h.binary("flatsign-slave"), "status", "--json", "--zone", "example.test",
                     "--http", "127.0.0.1:%d" % http]).stdout
        h.check(json.loads(cli)["served_serial"] == new_serial, "status --json:\n" + cli)
        h.check(slave.alive(), "the slave died:\n" + slave.log()[-2000:])
master.stop()
h.ok("slave metrics and status: serial %d -> %d, refused-shrink counted" % (serial, new_serial))
