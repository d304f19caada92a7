"""The pre-publish review hook: a script that vetoes when more than one address changed lets a
one-address change publish and vetoes a four-address change (alert review-veto, the last good
zone and its serial kept, the signed file untouched); a review that outlasts review-timeout is
vetoed by default (review-timeout) and published with review-on-timeout = publish."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402

# Approves a first publication; after it, vetoes more than MAX changed addresses.
REVIEW = r"""import json, sys
doc = json.load(sys.stdin)
if doc["old_serial"] is None:
    sys.exit(0)
def addresses(lines):
    return {l.split("\t")[0] + " " + l.split("\t")[4] for l in lines
            if l.split("\t")[3] in ("A", "AAAA")}
changed = len(addresses(doc["added"]) | addresses(doc["removed"])) // 2
sys.exit(1 if changed > int(sys.argv[1]) else 0)
"""


def served_serial(slave):
    """The served serial once the first publication is served (its file comes first)."""
    h.wait_for(lambda: env.query_soa(slave.port) is not None, 10, what="the zone served")
    return env.query_soa(slave.port)


def signed_text(slave):
    with open(slave.signed) as f:
        return f.read()


def alerts(slave, reason):
    return [a for a in slave.alert_lines() if a.startswith(reason + " ")]


def veto_and_publish(master, tmp):
    script = tmp.write("review.py", REVIEW)
    review = ["--review", "%s %s 1" % (sys.executable, script)]
    with env.Slave(tmp, master.port, extra=review) as slave:
        slave.wait_signed()
        s1 = served_serial(slave)
        # One address changes: reviewed and published.
        master.zone_text = env.ZONE_TEXT.replace("www A 192.0.2.1", "www A 192.0.2.9")
        h.wait_for(lambda: "192.0.2.9" in signed_text(slave), 20, what="the one-address change")
        slave.verify()
        h.wait_for(lambda: (env.query_soa(slave.port) or 0) > s1, 10, what="the new serial served")
        s2 = env.query_soa(slave.port)
        h.check(s2 > s1, "serial %s -> %s" % (s1, s2))
        before = env.stat_of(slave.signed)
        # Three addresses change: vetoed, nothing published.
        master.zone_text = (env.ZONE_TEXT.replace("www A 192.0.2.1", "www A 192.0.2.9")
                            .replace("mail A 192.0.2.25", "mail A 192.0.2.26")
                            .replace("ns.sub A 192.0.2.53", "ns.sub A 192.0.2.54")
                            .replace("www AAAA 2001:db8::1", "www AAAA 2001:db8::2"))
        h.wait_for(lambda: alerts(slave, "review-veto"), 20, what="a review-veto alert")
        env.wait_transfers(master, 1)
        h.check(env.stat_of(slave.signed) == before, "a vetoed change reached the signed file")
        h.check(env.query_soa(slave.port) == s2, "the served serial moved after a veto")
        h.check("192.0.2.26" not in signed_text(slave), "the vetoed address is served")
        h.check("refused: review-veto" in slave.log(), "no veto log line")
    return s1, s2


def timeout(master, tmp, on_timeout):
    master.zone_text = env.ZONE_TEXT
    review = ["--review", 'test "$FLATSIGN_OLD_SERIAL" = "" || sleep 30', "--review-timeout",
              "1"] + (["--review-on-timeout", on_timeout] if on_timeout else [])
    with env.Slave(tmp, master.port, extra=review) as slave:
        slave.wait_signed()
        serial = served_serial(slave)
        master.zone_text = env.ZONE_TEXT.replace("txt TXT \"hello\"", "txt TXT \"changed\"")
        h.wait_for(lambda: alerts(slave, "review-timeout"), 20, what="a review-timeout alert")
        if on_timeout == "publish":
            h.wait_for(lambda: "changed" in signed_text(slave), 10, what="the change published")
            slave.verify()
        else:
            env.wait_transfers(master, 1)
            h.check(env.query_soa(slave.port) == serial, "published after a timed-out review")
            h.check("changed" not in signed_text(slave), "the change reached the signed file")
        h.check(slave.alive(), "the slave died:\n" + slave.log()[-2000:])


def main():
    master = env.FakeMaster()
    try:
        with h.TempDir() as tmp:
            s1, s2 = veto_and_publish(master, tmp)
        with h.TempDir() as tmp:
            timeout(master, tmp, None)
        with h.TempDir() as tmp:
            timeout(master, tmp, "publish")
    finally:
        master.stop()
    h.ok("review hook: one address published (serial %d -> %d), four vetoed; timeout vetoed "
         "by default, published with review-on-timeout publish" % (s1, s2))


if __name__ == "__main__":
    sys.exit(main())
