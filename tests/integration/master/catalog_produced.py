#!/usr/bin/python3
"""flatsign-master produces an RFC 9432 catalog (version "2", one PTR per zone, group and coo) that named-checkzone accepts; a SIGHUP adding one zone and removing another gives a higher serial, the new member list and a NOTIFY; a bad config is not applied; labels survive a restart."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import catalog_env as cat  # noqa: E402
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

C = cat.CATALOG
with h.TempDir() as tmp:
    checkzone = h.peer("named-checkzone")
    lis = cat.NotifyListener()
    groups = [("a.test", "fast"), ("a.test", "nsec3"), ("b.test", "slow")]
    coo = [("b.test", "new-catalog.invalid")]
    with cat.CatalogMaster(tmp, ["a.test.", "b.test."], groups, coo, notify=[lis.port]) as m:
        lis.drain(1.5)
        rows = m.axfr()
        h.check(("version." + C, 0, "TXT", '"2"') in rows, "no version \"2\": %s" % rows)
        h.check(("" + C, 0, "NS", "invalid.") in rows, "no NS invalid.: %s" % rows)
        members = m.members(rows)
        h.check(members == {"a.test.": cat.member_id("a.test."),
                            "b.test.": cat.member_id("b.test.")}, "members: %s" % members)
        a = "%s.zones.%s" % (members["a.test."], C)
        b = "%s.zones.%s" % (members["b.test."], C)
        h.check({r[3] for r in rows if r[0] == "group." + a} == {'"fast"', '"nsec3"'},
                "groups of a.test: %s" % rows)
        h.check(("group." + b, 0, "TXT", '"slow"') in rows, "group of b.test: %s" % rows)
        h.check(("coo." + b, 0, "PTR", "new-catalog.invalid.") in rows, "coo: %s" % rows)
        h.check(not any(r[0] == "coo." + a for r in rows), "coo on a.test: %s" % rows)
        h.check(not any(r[2] == "TYPE65401" for r in rows), "ALIAS in the catalog")
        text = "\n".join("%s %d IN %s %s" % r for r in sorted(rows, key=lambda r: r[2] != "SOA"))
        path = tmp.write("catalog.zone", text + "\n")
        r = h.run([checkzone, C, path], check_rc=False)
        h.check(r.returncode == 0, "named-checkzone: %s%s\n%s" % (r.stdout, r.stderr, text))
        s1 = m.serial()

        # One zone added, one removed: a new serial, the new list, a NOTIFY of the catalog.
        m.reconfigure(["a.test.", "c.test."], [("c.test", "fast")])
        h.wait_for(lambda: (m.serial() or 0) > s1, timeout=10,
                   what=lambda: "a new catalog serial\n" + m.log()[-3000:])
        s2 = m.serial()
        members = m.members()
        h.check(set(members) == {"a.test.", "c.test."}, "members after SIGHUP: %s" % members)
        h.check(members["a.test."] == cat.member_id("a.test."), "a.test.'s label changed")
        h.check(m.serial("c.test.") == 1, "c.test. not served")
        h.check(m.query("b.test.").rcode() == 5, "b.test. still served (want REFUSED)")
        h.wait_for(lambda: (lis.drain(0.5) or True) and (C, s2) in lis.seen, timeout=10,
                   what="NOTIFY of %s serial %d: %s" % (C, s2, lis.seen))

        # A config naming a property of an unknown zone is not applied.
        m.reconfigure(["a.test."], [("x.test", "fast")])
        env.wait_log(m, "configuration not applied")
        h.check(m.serial() == s2 and set(m.members()) == {"a.test.", "c.test."},
                "bad config changed the catalog")
        # Nor is one naming a zone file that does not load.
        os.unlink(tmp.file("master/c.test.zone"))
        m.write_config(["a.test.", "c.test.", "d.test."])
        with open(tmp.file("master/d.test.zone"), "w") as f:
            f.write(cat.zone_text() + "broken IN A 999.1.1.1\n")
        os.kill(m.proc.pid, 1)
        h.wait_for(lambda: "new zone failed to load" in m.log(), what="d.test. refused")
        h.check(m.query("d.test.").rcode() == 5 and m.serial() == s2, "broken d.test. applied")
    with cat.CatalogMaster(tmp, ["a.test.", "c.test."], [("c.test", "fast")],
                           name="restarted") as m2:
        h.check(m2.members() == members, "labels changed across a restart: %s vs %s"
                % (m2.members(), members))
        h.check(m2.serial() >= s2, "serial went back after a restart: %d" % m2.serial())
    lis.close()
    h.ok("catalog serial %d -> %d, members %s, NOTIFY sent, bad configs kept out"
         % (s1, s2, sorted(members)))
