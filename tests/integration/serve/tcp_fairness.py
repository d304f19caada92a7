"""TCP fairness: one client opening 1,000 connections holds only --tcp-per-client of them, and
another client's TCP query is answered within 1 s; when many clients fill the unreserved slots,
a secondary named by --allow-transfer still gets its AXFR within 1 s through the reserved ones;
refusals are summed up in one log line per 10 s, not one per connection; memory stays flat."""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402

import harness as h  # noqa: E402
import serve_env as s  # noqa: E402

LIMITS = ["--tcp-max-connections", "64", "--tcp-per-client", "8", "--tcp-reserved", "8",
          "--allow-transfer", "127.0.0.1/32"]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def hold(src, port, n):
    socks = []
    for _ in range(n):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.bind((src, 0))
        c.settimeout(2)
        try:
            c.connect(("127.0.0.1", port))
        except OSError:
            c.close()
            continue
        socks.append(c)
    return socks


def tcp_query(src, port):
    q = dns.message.make_query("www." + s.ZONE, "A")
    t0 = time.monotonic()
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=1, source=src)
    return r, time.monotonic() - t0


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    with h.TempDir() as tmp, s.SignedSlave(tmp, LIMITS) as srv:
        pid = srv.slave.pid
        before = rss_kb(pid)
        flood = hold("127.0.0.2", srv.port, 1000)
        time.sleep(0.5)
        r, took = tcp_query("127.0.0.3", srv.port)
        h.check(r.rcode() == dns.rcode.NOERROR and r.answer and took < 1,
                "a second client's TCP query: %s in %.2f s" % (dns.rcode.to_text(r.rcode()), took))
        # Many clients now: the unreserved slots fill, the secondary still transfers.
        crowd = []
        for i in range(10, 30):
            crowd += hold("127.0.0.%d" % i, srv.port, 8)
        time.sleep(0.5)
        t0 = time.monotonic()
        rows = 0
        for msg in dns.query.xfr("127.0.0.1", s.ZONE, port=srv.port, timeout=1, lifetime=2):
            rows += sum(len(rr) for rr in msg.answer)
        took_xfr = time.monotonic() - t0
        h.check(rows > 10 and took_xfr < 1, "the secondary's AXFR: %d RRs in %.2f s" % (rows, took_xfr))
        after = rss_kb(pid)
        for c in flood + crowd:
            c.close()
        h.check(after - before < 20000, "RSS grew %d kB under the flood" % (after - before))
        log = srv.slave.log()
        lines = [line for line in log.splitlines() if "tcp connections refused" in line]
        h.check(1 <= len(lines) <= 3, "%d refusal log lines (want a summary per 10 s)" % len(lines))
        h.check("per-client limit" in log, "no per-client refusal reported:\n" + "\n".join(lines))
        h.check(srv.slave.alive(), "the slave died")
    h.ok("TCP: 1,000 connections from one client did not starve another (%.2f s); "
         "AXFR through the reserve in %.2f s; RSS +%d kB" % (took, took_xfr, after - before))


if __name__ == "__main__":
    sys.exit(main())
