"""flatsign-slave consumes a catalog produced by Knot (catalog-role: generate): the members Knot
lists, with Knot as their primary, are served signed with their group's template; a zone added
to Knot's catalog (SIGHUP) is served signed too."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

import harness as h  # noqa: E402
import zones_env as z  # noqa: E402

CATALOG = "catalog.invalid."


def knot_conf(d, port, members):
    zones = "".join("  - domain: %s\n    template: member\n%s" % (
        m, "    catalog-group: %s\n" % g if g else "") for m, g in members)
    return """server:
  listen: 127.0.0.1@%d
  rundir: %s
database:
  storage: %s
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: %s
    file: "%%s.zone"
    acl: xfr
  - id: member
    storage: %s
    file: "%%s.zone"
    acl: xfr
    catalog-role: member
    catalog-zone: %s
zone:
  - domain: %s
    catalog-role: generate
%slog:
  - target: stderr
    any: info
""" % (port, d, d, d, d, CATALOG, CATALOG, zones)


def main():
    knotd = h.peer("knotd")
    with h.TempDir() as tmp:
        d = tmp.file("knot")
        os.makedirs(d)
        for m in ("k1.test.", "k2.test.", "k3.test."):
            tmp.write("knot/%szone" % m, z.zone_text(m))
        tmp.write("knot/%szone" % CATALOG, "$TTL 0\n@ SOA invalid. invalid. 1 3600 600 2419200 0\n"
                  "@ NS invalid.\n")
        port = h.free_port()
        conf = tmp.write("knot/knot.conf", knot_conf(d, port, [("k1.test.", None),
                                                                 ("k2.test.", "nsec3")]))
        with h.Process([knotd, "-c", conf], log_path=tmp.file("knot/knotd.log")) as knot:
            # Knot answers no queries for a catalog zone (only transfers): wait for a member.
            h.wait_for(lambda: z.soa_serial("k1.test.", port) is not None or not knot.alive(), 10,
                       what="knotd serving the zones")
            h.check(knot.alive(), "knotd exited:\n" + knot.log())
            extra = """
[[template]]
name = "nsec3"
denial = "nsec3"

[[catalog]]
name = "%s"
poll-interval = 1
groups = { nsec3 = "nsec3" }
""" % CATALOG
            with z.ConfigSlave(tmp, port, [], extra_text=extra) as slave:
                slave.wait_signed(["k1.test.", "k2.test."], timeout=30)
                for m in ("k1.test.", "k2.test."):
                    slave.verify(m)
                nsec3 = any(r.rdtype == dns.rdatatype.NSEC3
                            for r in z.query("nx.k2.test.", "A", slave.port).authority)
                h.check(nsec3, "k2 (group nsec3) is not signed with NSEC3")
                h.check(z.query("k3.test.", "SOA", slave.port).rcode() == dns.rcode.REFUSED,
                        "k3 served before it is a member")
                with open(conf, "w") as f:
                    f.write(knot_conf(d, port, [("k1.test.", None), ("k2.test.", "nsec3"),
                                                ("k3.test.", None)]))
                os.kill(knot.pid, signal.SIGHUP)
                slave.wait_signed(["k3.test."], timeout=30)
                slave.verify("k3.test.")
    h.ok("flatsign-slave followed Knot's catalog: members signed by group, an added one served")


if __name__ == "__main__":
    sys.exit(main())
