"""SIGHUP re-reads the slave's config while queries keep coming: a zone added is transferred,
signed and served, a zone removed gets REFUSED (its state folder kept), a zone whose settings
changed is re-signed with them, and the zone left alone never misses an answer; a broken config
changes nothing and the log says where it is broken."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

import harness as h  # noqa: E402
import zones_env as z  # noqa: E402

KEEP, GONE, NEW, CHANGED = "keep.test.", "gone.test.", "new.test.", "changed.test."


class Asker(threading.Thread):
    """Asks KEEP's SOA every 5 ms; counts answers and failures (timeouts, wrong rcode)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.ok, self.bad, self.stop_flag = port, 0, [], False

    def run(self):
        while not self.stop_flag:
            try:
                r = z.query(KEEP, "SOA", self.port, timeout=1)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    self.ok += 1
                else:
                    self.bad.append(dns.rcode.to_text(r.rcode()))
            except Exception as e:  # noqa: BLE001 (a timeout is a failure here)
                self.bad.append(repr(e))
            time.sleep(0.005)


def main():
    with h.TempDir() as tmp:
        slave_port = h.free_port()
        texts = {o: z.zone_text(o) for o in (KEEP, GONE, NEW, CHANGED)}
        with z.Primary(tmp, texts, notify=[slave_port]) as primary:
            zones = [{"name": KEEP}, {"name": GONE}, {"name": CHANGED}]
            with z.ConfigSlave(tmp, primary.port, zones,
                               port=slave_port) as slave:
                slave.wait_signed([KEEP, GONE, CHANGED])
                h.check(z.query(NEW, "SOA", slave.port).rcode() == dns.rcode.REFUSED, "new early")
                asker = Asker(slave.port)
                asker.start()
                time.sleep(0.3)

                slave.write([{"name": KEEP}, {"name": NEW}, {"name": CHANGED, "denial": "nsec3"}])
                slave.hup()
                h.wait_for(lambda: z.signed(NEW, slave.port), 20, what="the added zone signed")
                h.wait_for(lambda: z.query(GONE, "SOA", slave.port).rcode() == dns.rcode.REFUSED,
                           10, what="the removed zone refused")
                h.wait_for(lambda: any(r.rdtype == dns.rdatatype.NSEC3 for r in
                                       z.query("nx." + CHANGED, "A", slave.port).authority),
                           20, what="the changed zone re-signed with NSEC3")
                h.check(os.path.isdir(os.path.join(slave.state, "gone.test")),
                        "the removed zone's state was not kept")
                slave.verify(NEW)

                # A broken config: refused whole, with file and line; everything keeps serving.
                slave.write([{"name": KEEP}], extra_text="\n[[zone]]\nname = \"x.test\"\n"
                            "algorithm = \"rot13\"\n")
                slave.hup()
                h.wait_for(lambda: "reload refused" in slave.log(), 10, what="the refusal")
                h.check("algorithm: \"rot13\" unsupported" in slave.log() and slave.conf in slave.log(),
                        "the refusal does not say where:\n" + slave.log()[-2000:])
                time.sleep(0.5)
                h.check(z.signed(NEW, slave.port), "a broken config stopped a zone")
                asker.stop_flag = True
                asker.join()
                h.check(asker.ok > 50 and not asker.bad,
                        "queries for the zone left alone failed during reloads: %d ok, %s" % (
                            asker.ok, asker.bad[:5]))
                st = slave.status()
                h.check(sorted(x["zone"] for x in st["zones"]) == [CHANGED, KEEP, NEW],
                        "status zones %s" % [x["zone"] for x in st["zones"]])
                h.check('flatsign_slave_reloads_total{result="refused"} 1' in slave.metrics(),
                        "the refused reload is not counted")
    h.ok("SIGHUP added, removed and changed zones without a missed answer (%d asked)" % asker.ok)


if __name__ == "__main__":
    sys.exit(main())
