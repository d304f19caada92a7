"""BIND as the slave's primary: a one-record change (dynamic update) reaches the slave by
NOTIFY + IXFR (BIND's log shows an outgoing IXFR) and is served signed."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import ixfr_in_env as env  # noqa: E402
import slave_env as senv  # noqa: E402


def transfers(named, kind):
    return [line for line in named.log().splitlines() if kind + " started" in line]


def main():
    h.peer("named")
    with h.TempDir() as tmp:
        sport = h.free_port()
        named, bport = env.start_bind_primary(tmp, sport)
        with named:
            with senv.Slave(tmp, bport, poll_interval=3600, port=sport) as slave:
                slave.wait_signed()
                env.wait_served(slave, "192.0.2.1", "the first publication")
                h.check(len(transfers(named, "AXFR")) == 1, "\n".join(transfers(named, "AXFR")))
                env.bind_change(bport, "www", "A", env.NEW_ADDRESS)
                env.wait_served(slave, env.NEW_ADDRESS, "the change by NOTIFY")
                ixfr = transfers(named, "IXFR")
                h.check(ixfr and "(serial 2024010101 -> 2024010102)" in ixfr[0],
                        "no outgoing IXFR in BIND's log:\n" + named.log()[-3000:])
                h.check(len(transfers(named, "AXFR")) == 1, "a second AXFR:\n" + named.log())
                h.check("IXFR from serial 2024010101 to 2024010102" in slave.log(),
                        "the slave does not log the IXFR:\n" + slave.log()[-2000:])
                h.wait_for(lambda: env.NEW_ADDRESS in open(slave.signed).read(), 10,
                           what="the signed file")
                slave.verify()
    h.ok("BIND primary: a one-record change arrives by IXFR and is served signed")


if __name__ == "__main__":
    sys.exit(main())
