"""Knot as the slave's primary: a one-record change (knotc transaction) reaches the slave by
NOTIFY + IXFR (Knot's log shows an outgoing IXFR, no second AXFR) and is served signed; after a
restart the slave asks IXFR from the master serial it kept, not AXFR."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import ixfr_in_env as env  # noqa: E402
import slave_env as senv  # noqa: E402


def outgoing(knot, kind):
    return [line for line in knot.log().splitlines()
            if kind + ", outgoing" in line and "started" in line]


def main():
    h.peer("knotd")
    with h.TempDir() as tmp:
        sport = h.free_port()
        knot, kport, sock = env.start_knot_primary(tmp, sport)
        with knot:
            slave = senv.Slave(tmp, kport, poll_interval=3600, port=sport)
            with slave:
                slave.wait_signed()
                env.wait_served(slave, "192.0.2.1", "the first publication")
                h.check(len(outgoing(knot, "AXFR")) == 1, "\n".join(outgoing(knot, "AXFR")))
                env.knot_change(sock, "www", "A", env.NEW_ADDRESS)
                env.wait_served(slave, env.NEW_ADDRESS, "the change by NOTIFY")
                ixfr = outgoing(knot, "IXFR")
                h.check(ixfr and "2024010101 -> 2024010102" in ixfr[0],
                        "no outgoing IXFR in Knot's log:\n" + knot.log()[-2000:])
                h.check(len(outgoing(knot, "AXFR")) == 1, "a second AXFR:\n" + knot.log())
                h.check("IXFR from serial 2024010101 to 2024010102" in slave.log(),
                        "the slave does not log the IXFR:\n" + slave.log()[-2000:])
                h.wait_for(lambda: env.NEW_ADDRESS in open(slave.signed).read(), 10,
                           what="the signed file")
                slave.verify()
            # Restarted, the slave asks IXFR from the master's serial of the zone it serves.
            env.knot_change(sock, "www", "A", "192.0.2.78")
            slave = senv.Slave(tmp, kport, poll_interval=3600, port=sport)
            with slave:
                env.wait_served(slave, "192.0.2.78", "the change after a restart")
                h.check(any("2024010102 -> 2024010103" in line for line in outgoing(knot, "IXFR")),
                        "no IXFR after the restart:\n" + knot.log()[-2000:])
                h.check(len(outgoing(knot, "AXFR")) == 1, "an AXFR after the restart:\n" +
                        knot.log()[-2000:])
                h.wait_for(lambda: "192.0.2.78" in open(slave.signed).read(), 10,
                           what="the signed file")
                slave.verify()
    h.ok("Knot primary: a one-record change arrives by IXFR and is served signed, also after a "
         "restart")


if __name__ == "__main__":
    sys.exit(main())
