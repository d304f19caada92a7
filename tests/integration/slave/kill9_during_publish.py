"""kill -9 of the slave at random moments while it publishes again and again (a fake master
whose zone alternates between two contents every few hundred ms): after each kill the signed
file on disk passes dnssec-verify, and after each restart the served serial never goes
backwards. For a large zone the file may lag the served serial (the publisher serves first and
writes the file after the swap, with the serial stored before either), so the restart is what
must catch up: it re-signs a stale file under a higher serial; a small zone's file is written
before the swap and stands for its serial."""
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402

ROUNDS = 8
OTHER = env.ZONE_TEXT.replace("192.0.2.1\n", "192.0.2.111\n") + "extra TXT \"b\"\n"


def file_serial(path):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 7 and parts[3] == "SOA":
                return int(parts[6])
    h.fail("no SOA in " + path)


def start_slave(tmp, master_port):
    """A slave on a port fresh for this round. The port of the killed one is not reused: while
    it was down, any other process (another test, an outgoing connection) may have taken it."""
    for _ in range(3):
        port = h.free_port()
        slave = env.Slave(tmp, master_port, poll_interval=0.1, port=port)
        time.sleep(0.2)
        if slave.alive() or "in use" not in slave.log():
            return slave, port
    h.fail("the slave could not bind a port three times:\n" + slave.log()[-2000:])


def main():
    master = env.FakeMaster()
    stop = threading.Event()

    def flip():
        texts = [env.ZONE_TEXT, OTHER]
        i = 0
        while not stop.wait(0.25):
            i += 1
            master.zone_text = texts[i % 2]

    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    rng = random.Random(int(os.environ.get("FLATSIGN_SEED", "9")))
    highest = 0
    kills = 0
    try:
        with h.TempDir() as tmp:
            for _ in range(ROUNDS):
                slave, port = start_slave(tmp, master.port)
                try:
                    if os.path.exists(slave.signed):
                        h.wait_for(lambda: env.query_soa(port) is not None or not slave.alive(),
                                   10, what="the restarted slave answering SOA")
                        served = env.query_soa(port)
                        h.check(served is not None and served >= highest,
                                "served serial %s after restart, %d was served before"
                                % (served, highest))
                    else:
                        slave.wait_signed()
                    time.sleep(rng.uniform(0.2, 1.5))
                    h.check(slave.alive(), "the slave died:\n" + slave.log()[-2000:])
                    last = env.query_soa(port)
                    os.kill(slave.proc.pid, signal.SIGKILL)
                    slave.proc.wait(5)
                    kills += 1
                finally:
                    if slave.alive():
                        slave.stop()
                slave.verify()
                highest = max(highest, last or 0, file_serial(slave.signed))
    finally:
        stop.set()
        flipper.join(2)
        master.stop()
    h.ok("%d kill -9 during publishing: file always verified, serial reached %d" % (kills, highest))


if __name__ == "__main__":
    sys.exit(main())
