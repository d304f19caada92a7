#!/usr/bin/python3
"""Knot as an RFC 9432 catalog consumer of flatsign-master's catalog serves every member zone (a group picking its template), then follows a SIGHUP that adds one zone and removes another."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import catalog_env as cat  # noqa: E402
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

KNOT_CONF = """server:
  listen: 127.0.0.1@%(port)d
  rundir: "%(dir)s"
control:
  listen: "%(dir)s/knot.sock"
database:
  storage: "%(dir)s"
log:
  - target: stderr
    any: info
remote:
  - id: master
    address: 127.0.0.1@%(master)d
acl:
  - id: notify_from_master
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: "%(dir)s"
    zonefile-sync: -1
    refresh-min-interval: 2
  - id: member
    storage: "%(dir)s"
    master: master
    acl: notify_from_master
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
    refresh-min-interval: 2
  - id: slow
    storage: "%(dir)s"
    master: master
    acl: notify_from_master
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
    refresh-min-interval: 2
    refresh-max-interval: 3600
zone:
  - domain: %(catalog)s
    master: master
    acl: notify_from_master
    catalog-role: interpret
    catalog-template: [ member, slow ]
"""

with h.TempDir() as tmp:
    knotd = h.peer("knotd")
    kcatalogprint = h.peer("kcatalogprint")
    kport = h.free_port()  # known before the master starts: its --notify target
    with cat.CatalogMaster(tmp, ["a.test.", "b.test."], [("b.test", "slow")],
                           notify=[kport]) as m:
        d = tmp.file("knot")
        os.makedirs(d, exist_ok=True)
        conf = tmp.write("knot/knot.conf", KNOT_CONF % {"port": kport, "dir": d,
                                                        "master": m.port,
                                                        "catalog": cat.CATALOG})
        knot = h.Process([knotd, "-c", conf], log_path=tmp.file("knot/knot.log"))
        try:
            def soa(zone):
                out = h.run(["dig", "@127.0.0.1", "-p", str(kport), "+norec", "+short",
                             "+time=1", "+tries=1", zone, "SOA"], check_rc=False,
                            timeout=10).stdout.split()
                return int(out[2]) if len(out) >= 3 and out[2].isdigit() else None

            def catalog_serial():
                """Knot gives no SOA answer for a catalog it interprets: its log has the serial."""
                pattern = r"\[%s\] refresh, .* serial \S+ -> (\d+)" % re.escape(cat.CATALOG)
                found = re.findall(pattern, knot.log())
                return int(found[-1]) if found else None

            def knot_catalog():
                """{member: (member node, group)} from Knot's catalog database."""
                out = h.run([kcatalogprint, "-D", os.path.join(d, "catalog")],
                            check_rc=False).stdout
                rows = [line.split() for line in out.splitlines()
                        if line.strip() and not line.startswith(";") and
                        not line.startswith("Total")]
                return {r[0]: (r[1], r[3] if len(r) > 3 else None) for r in rows}

            def serves(zones):
                return (catalog_serial() == m.serial()
                        and all(soa(z) == m.serial(z) for z in zones))

            def state(zones):
                return "catalog knot %s master %s; " % (catalog_serial(), m.serial()) + " ".join(
                    "%s knot %s master %s" % (z, soa(z), m.serial(z)) for z in zones)

            h.wait_for(lambda: serves(["a.test.", "b.test."]), timeout=60,
                       interval=0.5, what=lambda: "knot serving the members: %s\n%s"
                       % (state(["a.test.", "b.test."]), knot.log()[-3000:]))
            members = knot_catalog()
            want = {"a.test.": ("%s.zones.%s" % (cat.member_id("a.test."), cat.CATALOG), None),
                    "b.test.": ("%s.zones.%s" % (cat.member_id("b.test."), cat.CATALOG), "slow")}
            h.check(members == want, "knot's catalog: %s, want %s" % (members, want))
            m.reconfigure(["a.test.", "c.test."], [("c.test", "slow")])
            h.wait_for(lambda: serves(["c.test."]), timeout=60, interval=0.5,
                       what=lambda: "knot serving c.test.\n" + knot.log()[-3000:] +
                       m.log()[-2000:])
            h.wait_for(lambda: soa("b.test.") is None, timeout=60, interval=0.5,
                       what=lambda: "knot dropping b.test.\n" + knot.log()[-3000:])
            h.check(serves(["a.test."]), "a.test. or the catalog lost: " + state(["a.test."]))
            h.wait_for(lambda: set(knot_catalog()) == {"a.test.", "c.test."}, timeout=10,
                       what=lambda: "knot's catalog of a.test. and c.test.: %s" % knot_catalog())
            h.check(knot_catalog()["c.test."][1] == "slow", "c.test.'s group: %s" % knot_catalog())
        finally:
            knot.stop()
    h.ok("knot served the catalog's members and followed an added and a removed zone")
