"""Response rate limiting and DNS cookies on flatsign-slave's UDP answers: a flood of one query
from one loopback address gets the burst and then about the rate in full answers, the rest
dropped or slipped as TC=1 (so it is answered with fewer octets than it sent); a client that
presents a valid server cookie (RFC 7873) keeps full service during the flood; TCP is never
limited; dig +cookie and kdig +cookie see the server cookie (RFC 9018, 16 octets)."""
import os
import re
import shutil
import socket
import sys
import threading
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import serve_env as s  # noqa: E402

RATE, SLIP, BURST_SECONDS = 20, 2, 4
FLOOD, FLOOD_SECONDS = 3000, 2.0  # queries, and at most this long to send them
COOKIE = 10


def cookie_query(name, cookie):
    q = dns.message.make_query(name, "A", use_edns=0, payload=1232,
                               options=[dns.edns.GenericOption(COOKIE, cookie)])
    q.flags &= ~dns.flags.RD
    return q


def cookie_of(resp):
    """The COOKIE option's data in `resp`, or None (dnspython 2.3 keeps it generic)."""
    for o in resp.options:
        if o.otype == COOKIE:
            return bytes(o.client + o.server) if hasattr(o, "client") else bytes(o.data)
    return None


def flood(port, wire, count, seconds):
    """Sends `wire` `count` times from one socket within `seconds` and collects the answers
    for a second more. Returns (octets sent, [responses])."""
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sk.bind(("127.0.0.1", 0))
    got, sent = [], 0
    done = threading.Event()

    def receive():
        sk.settimeout(0.2)
        while True:
            try:
                got.append(sk.recv(65535))
            except socket.timeout:
                if done.is_set():
                    return
    t = threading.Thread(target=receive)
    t.start()
    start = time.monotonic()
    for i in range(count):
        # Paced evenly over `seconds`, so the flood is a rate, not one burst.
        while time.monotonic() - start < seconds * i / count:
            time.sleep(0.0005)
        sk.sendto(wire, ("127.0.0.1", port))
        sent += len(wire)
    elapsed = time.monotonic() - start
    time.sleep(1.0)
    done.set()
    t.join()
    sk.close()
    return sent, got, elapsed


def tool_cookie(cmd):
    """The server cookie a dig/kdig run printed (hex), or None."""
    res = h.run(cmd, check_rc=False, timeout=30)
    m = re.search(r"COOKIE: ([0-9a-fA-F]{16})([0-9a-fA-F]{16,64})", res.stdout)
    return (m.group(2) if m else None), res.stdout


def main():
    with h.TempDir() as tmp, s.SignedSlave(tmp, extra=["--rrl-rate", str(RATE), "--rrl-slip",
                                                        str(SLIP)]) as srv:
        port = srv.port
        # The tools first, on a name the flood does not touch.
        for tool in ("dig", "kdig"):
            if not shutil.which(tool):
                h.skip(tool + " not installed")
            sc, out = tool_cookie([tool, "@127.0.0.1", "-p", str(port), "+cookie", "+norec",
                                   "mail." + s.ZONE, "A"])
            h.check(sc and len(sc) == 32 and sc.startswith("01000000"),
                    "%s +cookie: no RFC 9018 server cookie in:\n%s" % (tool, out))

        # A client learns its server cookie (RFC 7873 §5.4: a query without a question).
        client = bytes.fromhex("0123456789abcdef")
        learn = dns.message.make_query("www." + s.ZONE, "A", use_edns=0,
                                       options=[dns.edns.GenericOption(COOKIE, client)])
        learn.question = []
        r = dns.query.udp(learn, "127.0.0.1", port=port, timeout=3)
        full = cookie_of(r)
        h.check(r.rcode() == dns.rcode.NOERROR and full and len(full) == 24,
                "cookie query: %s %r" % (dns.rcode.to_text(r.rcode()), full))

        # The flood, and the cookie client asking the same name all along.
        wire = dns.message.make_query("www." + s.ZONE, "A", use_edns=0, payload=1232)
        wire.flags &= ~dns.flags.RD
        wire = wire.to_wire()
        cookie_answers, cookie_asked = [], 0
        stop = threading.Event()

        def cookie_client():
            nonlocal cookie_asked
            while not stop.is_set():
                cookie_asked += 1
                try:
                    a = dns.query.udp(cookie_query("www." + s.ZONE, full), "127.0.0.1",
                                      port=port, timeout=2)
                    cookie_answers.append(a)
                except Exception:
                    pass
                time.sleep(0.02)
        ct = threading.Thread(target=cookie_client)
        ct.start()
        sent, got, elapsed = flood(port, wire, FLOOD, FLOOD_SECONDS)
        stop.set()
        ct.join()

        answers = [g for g in got if not (g[2] & 0x02)]
        truncated = [g for g in got if g[2] & 0x02]
        allowed = RATE * BURST_SECONDS + RATE * (elapsed + 1.0)  # + the second of collection
        h.check(len(answers) <= allowed + 2,
                "%d full answers to %d queries in %.1f s: more than the burst and rate (%d)"
                % (len(answers), FLOOD, elapsed, allowed))
        h.check(len(answers) >= RATE * BURST_SECONDS,
                "only %d full answers: the burst should pass" % len(answers))
        limited = FLOOD - len(answers)
        h.check(truncated, "no TC=1 slip among %d limited responses" % limited)
        h.check(abs(len(truncated) - limited / SLIP) <= limited * 0.1 + 5,
                "%d slips of %d limited responses, expected about 1 in %d"
                % (len(truncated), limited, SLIP))
        for t in truncated:
            h.check(len(t) <= len(wire), "a slip (%d octets) larger than the query (%d)"
                    % (len(t), len(wire)))
        # Beyond the answers the limit allows, nothing amplifies: octets answered to the limited
        # queries are at most the octets they sent.
        limited_bytes = sum(len(t) for t in truncated)
        h.check(limited_bytes <= limited * len(wire),
                "limited queries: %d octets answered for %d sent" % (limited_bytes,
                                                                    limited * len(wire)))
        ok = [a for a in cookie_answers
              if a.rcode() == dns.rcode.NOERROR and a.answer and not (a.flags & dns.flags.TC)]
        h.check(cookie_asked >= 20 and len(ok) == cookie_asked,
                "cookie client: %d full answers of %d asked during the flood"
                % (len(ok), cookie_asked))

        # Still limited right after; TCP is not.
        tcp = s.query("www." + s.ZONE, "A", port, tcp=True)
        h.check(tcp.answer and not (tcp.flags & dns.flags.TC), "TCP answer limited")
        h.check(srv.slave.alive(), "the slave died")
    h.ok("flood of %d in %.1f s: %d answered, %d TC slips, %d dropped; cookie client %d/%d "
         "answered; dig/kdig +cookie see the server cookie"
         % (FLOOD, elapsed, len(answers), len(truncated), FLOOD - len(got), len(ok),
            cookie_asked))


if __name__ == "__main__":
    sys.exit(main())
