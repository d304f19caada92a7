"""With a TSIG key, unsigned NOTIFYs (forgeable over UDP from the master's address) start no
transfer and a burst of them logs one line; signed ones do start a transfer, and a burst of them
polls the zone at most once per --notify-min-interval."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.message  # noqa: E402
import dns.opcode  # noqa: E402
import dns.query  # noqa: E402

import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def notify(port, keyring=None):
    q = dns.message.make_query(env.ZONE, "SOA")
    q.set_opcode(dns.opcode.NOTIFY)
    if keyring:
        q.use_tsig(keyring, keyname=env.TSIG_NAME)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=3, ignore_unexpected=True)


def main():
    master = env.FakeMaster(env.tsig_keyring())
    extra = ["--tsig", "%s:hmac-sha256:%s" % (env.TSIG_NAME.rstrip("."), env.TSIG_SECRET),
             "--notify-min-interval", "2"]
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=extra, poll_interval=3600) as slave:
        slave.wait_signed()
        time.sleep(0.5)
        before = master.transfers
        for _ in range(20):
            notify(slave.port)
        time.sleep(2.5)
        h.check(master.transfers == before, "unsigned NOTIFYs started %d transfers"
                % (master.transfers - before))
        refusals = [l for l in slave.log().splitlines() if "NOTIFY from" in l and "refused" in l]
        h.check(len(refusals) == 1, "20 refused NOTIFYs in 2.5 s logged %d lines, want one per "
                "10 s:\n%s" % (len(refusals), "\n".join(refusals)))
        for _ in range(20):
            notify(slave.port, env.tsig_keyring())
        time.sleep(3)
        n = master.transfers - before
        h.check(1 <= n <= 2, "20 signed NOTIFYs in a burst made %d transfers (want 1-2)" % n)
    master.stop()
    h.ok("unsigned NOTIFYs ignored; 20 signed ones: %d transfer(s)" % n)


if __name__ == "__main__":
    sys.exit(main())
