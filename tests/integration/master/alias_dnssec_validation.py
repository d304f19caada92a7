#!/usr/bin/python3
"""alias-dnssec: with a validating unbound (trust anchors of the test's own signed zones) behind the master, off flattens secure and insecure targets and fails the bogus one; flag flattens all three and alerts on the insecure and the bogus one; require flattens only the secure one; /status shows each target's validation."""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402
import serve_env  # noqa: E402
import zones_env  # noqa: E402

ZONE = """$TTL 3600
@ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
s ALIAS www.sec.test.
p ALIAS www.plain.test.
b ALIAS www.bogus.test.
"""


def upstream_zone(tmp, origin, address, sign):
    """`origin` with www A `address`, signed with its own key when `sign`; returns (file, anchor)."""
    d = tmp.file("up")
    os.makedirs(d, exist_ok=True)
    path = tmp.write("up/%s.zone" % origin, "$ORIGIN %s.\n$TTL 3600\n@ SOA ns host 1 7200 3600 "
                     "1209600 300\n@ NS ns\nns A 127.0.0.1\nwww A %s\n" % (origin, address))
    if not sign:
        return path, None
    key = subprocess.run(["ldns-keygen", "-a", "ED25519", "-k", origin], cwd=d, check=True,
                         capture_output=True, text=True).stdout.strip()
    subprocess.run(["ldns-signzone", path, key], cwd=d, check=True, capture_output=True)
    with open(os.path.join(d, key + ".key")) as f:
        anchor = f.read().split(";")[0].strip()
    return path + ".signed", anchor


def status(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=5) as r:
        doc = json.loads(r.read().decode())
    return {a["owner"].split(".")[0]: a for a in doc["zones"][0]["aliases"]}


def alerts(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {json.loads(l)["alias"].split(".")[0]: json.loads(l)["verdict"] for l in f if l.strip()}


with h.TempDir() as tmp:
    sec, sec_anchor = upstream_zone(tmp, "sec.test", "192.0.2.201", True)
    bogus, bogus_anchor = upstream_zone(tmp, "bogus.test", "192.0.2.202", True)
    plain, _ = upstream_zone(tmp, "plain.test", "192.0.2.203", False)
    with open(bogus) as f:  # an address changed after signing: its RRSIG no longer matches
        text = f.read()
    with open(bogus, "w") as f:
        f.write(text.replace("\t192.0.2.202", "\t192.0.2.222"))
    auth_port = h.free_port()
    nsd = serve_env.start_nsd(tmp, {"sec.test.": sec, "bogus.test.": bogus,
                                    "plain.test.": plain}, auth_port)
    resolver = zones_env.Unbound(tmp, auth_port, ["sec.test.", "bogus.test.", "plain.test."],
                                 [sec_anchor, bogus_anchor])
    try:
        resolver.secure("www.sec.test.", "A")  # the test's own premise: unbound validates
        want = {"off": ({"s", "p"}, {"s": "unchecked", "p": "unchecked"}, {"b": "alias-left-out"}),
                "flag": ({"s", "p", "b"}, {"s": "secure", "p": "insecure", "b": "bogus"},
                         {"p": "alias-insecure", "b": "alias-bogus"}),
                "require": ({"s"}, {"s": "secure", "p": "insecure"},
                            {"p": "alias-left-out", "b": "alias-left-out"})}
        for mode, (served, validation, alerted) in want.items():
            http = h.free_port()
            out = tmp.file(mode + "-alerts.jsonl")
            with env.Master(tmp, [resolver.port], zone_text=ZONE, name=mode,
                            args=["--alias-dnssec", mode, "--alias-failure", "ignore",
                                  "--http", "127.0.0.1:%d" % http,
                                  "--on-alert", "cat >> " + out]) as m:
                env.wait_log(m, "serving serial", timeout=20)
                owners = {r[0].split(".")[0] for r in m.axfr() if r[2] == "A"} - {"ns1"}
                h.check(owners == served, "%s: served %s, want %s\n%s"
                        % (mode, owners, served, m.log()[-3000:]))
                st = status(http)
                for name, v in validation.items():
                    h.check(st[name]["validation"] == v, "%s: %s is %s, want %s: %s"
                            % (mode, name, st[name]["validation"], v, st[name]))
                h.wait_for(lambda: alerts(out) == alerted, timeout=10,
                           what="%s alerts %s, got %s" % (mode, alerted, alerts(out)))
                if mode == "flag":
                    rows = m.axfr()
                    h.check(("b.example.test.", 3600, "A", "192.0.2.222") in rows,
                            "flag: bogus data not flattened: %s" % rows)
    finally:
        resolver.stop()
        nsd.stop()
h.ok("alias-dnssec off / flag / require against a validating unbound")
