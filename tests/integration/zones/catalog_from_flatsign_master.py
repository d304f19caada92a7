"""Two flatsign-slaves follow the RFC 9432 catalog of a flatsign-master: every member is
transferred, signed and served with the settings of its `group` template (NSEC3 for group
"nsec3"); a zone added on the master is served signed by both slaves, a zone removed stops
being served (state kept); a member whose group has no template is not served; after kill -9
and a restart with the master down, a slave serves the same members at the same serials."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

import catalog_env as cat  # noqa: E402
import harness as h  # noqa: E402
import zones_env as z  # noqa: E402

A, B, C, X = "a.cat.test.", "b.cat.test.", "c.cat.test.", "x.cat.test."


def nsec3(zone, port):
    return any(r.rdtype == dns.rdatatype.NSEC3 for r in z.query("nx." + zone, "A", port).authority)


TEMPLATES = """
[[template]]
name = "signed-nsec3"
denial = "nsec3"
algorithm = "ed25519"

[[catalog]]
name = "%s"
groups = { nsec3 = "signed-nsec3" }
""" % cat.CATALOG


def main():
    with h.TempDir() as tmp:
        ports = [h.free_port(), h.free_port()]
        groups = [(B, "nsec3"), (X, "no-such-group")]
        with cat.CatalogMaster(tmp, [A, B, X], groups=groups, notify=ports) as master:
            slaves = [z.ConfigSlave(tmp, master.port, [], name="slave%d" % i, port=ports[i],
                                    extra_text=TEMPLATES) for i in range(2)]
            try:
                for s in slaves:
                    s.wait_signed([A, B])
                    h.check(not nsec3(A, s.port) and nsec3(B, s.port), "group template not applied")
                    h.check(z.query(X, "SOA", s.port).rcode() == dns.rcode.REFUSED,
                            "a member without a template is served")
                    h.check('x.cat.test. (group "no-such-group") has no template' in s.log(),
                            "no log line for the member outside any template")
                    s.verify(A)
                    s.verify(B)
                st = slaves[0].status()
                h.check(st["catalogs"][0]["members"] == 2, "status catalogs %s" % st["catalogs"])

                # Added on the master: both slaves serve it signed, told by the catalog's NOTIFY.
                t0 = time.monotonic()
                master.reconfigure([A, B, C, X], groups=groups)
                for s in slaves:
                    s.wait_signed([C], timeout=15)
                added = time.monotonic() - t0
                # Removed on the master: no longer served, its state folder kept.
                master.reconfigure([B, C, X], groups=groups)
                for s in slaves:
                    h.wait_for(lambda: z.query(A, "SOA", s.port).rcode() == dns.rcode.REFUSED,
                               15, what="the removed member refused")
                    h.check(os.path.isdir(os.path.join(s.state, "a.cat.test")), "state of A lost")
                    h.check(z.signed(B, s.port) and z.signed(C, s.port), "members lost")

                # kill -9, master gone: the kept catalog brings the same members back at once.
                s = slaves[0]
                serials = {m: z.soa_serial(m, s.port) for m in (B, C)}
                os.kill(s.pid, 9)
                s.proc.wait()
                master.stop()
                s.restart()
                h.wait_for(lambda: all(z.soa_serial(m, s.port) == serials[m] for m in (B, C)),
                           10, what="the members at their serials after kill -9")
                h.check(z.query(A, "SOA", s.port).rcode() == dns.rcode.REFUSED,
                        "the removed member came back")
            finally:
                for s in slaves:
                    s.stop()
    h.ok("two slaves followed the catalog: groups, add (%.2f s to served signed), remove, "
         "kill -9" % added)


if __name__ == "__main__":
    sys.exit(main())
