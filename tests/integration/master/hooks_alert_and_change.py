#!/usr/bin/python3
"""Master hooks: on-change gets each new serial with the flattened difference (old/new addresses per ALIAS); on-alert gets one document per ALIAS state change (stale, stale about to reach max-stale, failed, left out, recovered); deploy/hooks/notify-email turns both into mail."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

HOOK = h.script("deploy/hooks/notify-email")


def docs(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def verdicts(path, alias):
    return [d["verdict"] for d in docs(path) if d.get("alias") == alias]


def mail(doc, event):
    environ = dict(os.environ, FLATSIGN_EVENT=event, FLATSIGN_MAIL_TO="ops@example.test")
    r = h.run(["/usr/bin/python3", HOOK, "--dry-run"], input=json.dumps(doc) + "\n",
              env=environ, check_rc=False, timeout=30)
    h.check(r.returncode == 0, "notify-email exit %d: %s" % (r.returncode, r.stderr))
    return r.stdout


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    alerts, changes = tmp.file("alerts.jsonl"), tmp.file("changes.jsonl")
    args = ["--alias-failure", "stale", "--max-stale", "6",
            "--on-alert", "cat >> " + alerts, "--on-change", "cat >> " + changes]
    with env.Master(tmp, [up.port], args=args) as m:
        env.wait_log(m, "serving serial")
        first = m.serial()
        h.check(docs(changes) == [], "a start is not a change: %s" % docs(changes))
        # An upstream change: one new serial, the ALIAS with its old and new addresses.
        up.change(env.UPSTREAM_ZONE.replace("192.0.2.10", "192.0.2.77"))
        h.wait_for(lambda: docs(changes), timeout=20, what="on-change document\n" + m.log())
        c = docs(changes)[0]
        h.check(c["daemon"] == "flatsign-master" and c["zone"] == "example.test.", "doc: %s" % c)
        h.check(c["old_serial"] == first and c["new_serial"] == m.serial(), "serials: %s" % c)
        www = [a for a in c["aliases"] if a["owner"] == "www.example.test."]
        h.check(len(www) == 1 and "192.0.2.10" in www[0]["old"] and "192.0.2.77" in www[0]["new"]
                and "2001:db8::10" in www[0]["new"], "aliases: %s" % c["aliases"])
        h.check(sorted(a["owner"] for a in c["aliases"]) ==
                ["*.sites.example.test.", "www.example.test."],  # *.sites' chain ends at both
                "only www and *.sites changed: %s" % c["aliases"])
        h.check(any("192.0.2.77" in r for r in c["added"]) and
                any("192.0.2.10" in r for r in c["removed"]), "records: %s" % c)
        text = mail(c, "change")
        h.check("2 ALIAS changed" in text and "192.0.2.77" in text and "flatsign-master" in text,
                "change mail:\n" + text)

        # v4's target fails hard (a CNAME loop: SERVFAIL): stale, then nearly out of max-stale,
        # then failed; fixed again: recovered. One document per state change.
        up.change(env.UPSTREAM_ZONE.replace("v4only A 192.0.2.30", "v4only CNAME loop1"))
        h.wait_for(lambda: "alias-failed" in verdicts(alerts, "v4.example.test."), timeout=30,
                   what="alias-failed alert\n" + m.log()[-3000:])
        up.change(env.UPSTREAM_ZONE)
        h.wait_for(lambda: "alias-recovered" in verdicts(alerts, "v4.example.test."), timeout=30,
                   what="alias-recovered alert\n" + m.log()[-3000:])
        got = verdicts(alerts, "v4.example.test.")
        h.check(got == ["alias-stale", "alias-stale-expiring", "alias-failed", "alias-recovered"],
                "v4 alerts: %s" % got)
        a = [d for d in docs(alerts) if d["verdict"] == "alias-stale"][0]
        h.check(a["target"] == "v4only.up.test." and a["policy"] == "stale" and
                "SERVFAIL" in a["detail"], "alert doc: %s" % a)
        h.check(all(d.get("alias") == "v4.example.test." for d in docs(alerts)),
                "alerts for others: %s" % docs(alerts))
        text = mail(a, "alert")
        h.check("ALERT example.test. v4.example.test.: alias-stale" in text and
                "last good addresses are served" in text, "alert mail:\n" + text)

    # Ignore and strict: a target that never resolves is one alert each, named by its policy.
    zone = env.MASTER_ZONE + "bad ALIAS missing.up.test.\n"
    for policy, verdict in (("ignore", "alias-left-out"), ("strict", "alias-failed")):
        out = tmp.file(policy + ".jsonl")
        with env.Master(tmp, [up.port], zone_text=zone, name=policy,
                        args=["--alias-failure", policy, "--on-alert", "cat >> " + out]) as m:
            h.wait_for(lambda: verdicts(out, "bad.example.test."), timeout=20,
                       what="%s alert\n%s" % (policy, m.log()))
            time.sleep(3)  # several refreshes: still one document
            h.check(verdicts(out, "bad.example.test.") == [verdict],
                    "%s: %s" % (policy, docs(out)))
h.ok("master hooks: change with flattened difference, alerts per state change, email renders")
