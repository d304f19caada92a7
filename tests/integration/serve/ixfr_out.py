"""IXFR out of flatsign-slave (RFC 1995), TSIG-signed: the incremental reply from an older serial
applied to that version's AXFR gives the current AXFR (SOA, RRSIG, NSEC changes included); the
current serial gets the SOA alone; an unknown serial gets AXFR form; UDP gets the difference when
it fits; dig and kdig accept it; the journal survives a restart and a torn tail (kill -9)."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

import harness as h  # noqa: E402
import ixfr_env as x  # noqa: E402


def check_incremental(srv, old_rrs, old_serial, what):
    rrs = x.rr_list(x.transfer(srv.port, "IXFR", old_serial))
    h.check(x.ixfr_kind(rrs) == "incremental", "%s: IXFR from %d is %s:\n%s" % (
        what, old_serial, x.ixfr_kind(rrs), srv.slave.log()[-3000:]))
    now = x.rr_list(x.transfer(srv.port, "AXFR"))
    h.check(x.apply_ixfr(old_rrs, rrs) == set(now),
            "%s: IXFR from %d applied to its AXFR differs from the current AXFR" % (what,
                                                                                old_serial))
    h.check(len(rrs) < len(now), "%s: the IXFR (%d RRs) is not smaller than the AXFR (%d)" % (
        what, len(rrs), len(now)))
    return rrs


def main():
    dig, kdig = h.peer("dig"), h.peer("kdig")
    with h.TempDir() as tmp, x.SigningSlave(tmp) as srv:
        s1 = srv.serial()
        v1 = x.rr_list(x.transfer(srv.port, "AXFR"))
        s2 = srv.bump()
        v2 = x.rr_list(x.transfer(srv.port, "AXFR"))
        s3 = srv.bump()
        rrs = check_incremental(srv, v1, s1, "two steps")
        types = {t for _, _, t, _ in rrs}
        h.check({dns.rdatatype.A, dns.rdatatype.RRSIG, dns.rdatatype.NSEC} <= types,
                "the difference lacks A/RRSIG/NSEC changes: %s" % types)
        check_incremental(srv, v2, s2, "one step")
        h.check("IXFR from serial %d to %d: incremental" % (s1, s3) in srv.slave.log(),
                "no 'IXFR ... incremental' log line")

        up = x.rr_list(x.transfer(srv.port, "IXFR", s3))
        h.check(len(up) == 1 and up[0][2] == dns.rdatatype.SOA, "current serial: %s" % up)
        full = x.rr_list(x.transfer(srv.port, "IXFR", s1 - 100))
        h.check(x.ixfr_kind(full) == "axfr" and set(full) == set(x.rr_list(
            x.transfer(srv.port, "AXFR"))), "unknown serial: not the zone in AXFR form")

        # RFC 1995 §3: no SOA in the request is FORMERR, still TSIG-signed (dnspython checks).
        bad = x.transfer(srv.port, "IXFR", None, udp=True)[0]
        h.check(bad.rcode() == dns.rcode.FORMERR, "IXFR without SOA: %s" % bad)

        # UDP (RFC 1995 §2): the difference when it fits, else the SOA alone ("use TCP").
        urrs = x.rr_list(x.transfer(srv.port, "IXFR", s2, udp=True, payload=1232))
        h.check(x.ixfr_kind(urrs) == "incremental" and x.apply_ixfr(v2, urrs) == set(
            x.rr_list(x.transfer(srv.port, "AXFR"))), "UDP IXFR of one step: %s" % urrs[:3])
        small = x.rr_list(x.transfer(srv.port, "IXFR", s2, udp=True))
        h.check(x.ixfr_kind(small) == "soa-only", "512-octet UDP IXFR: %s" % small[:3])

        for tool, extra in ((dig, []), (kdig, [])):
            out = h.run([tool, "@127.0.0.1", "-p", str(srv.port), "-y",
                         "hmac-sha256:" + x.TSIG_ARG.split(":", 1)[0] + ":" +
                         x.TSIG_ARG.rsplit(":", 1)[1], "+tcp", "IXFR=%d" % s2, x.ZONE] + extra,
                        timeout=20).stdout
            lines = [ln for ln in out.splitlines() if ln and not ln.startswith(";")
                     and "TSIG" not in ln]
            h.check(len(lines) == len(check_incremental(srv, v2, s2, tool)),
                    "%s shows %d RRs:\n%s" % (os.path.basename(tool), len(lines), out))
            h.check("v2." in out and "RRSIG" in out, "%s: no v2 / RRSIG:\n%s" % (tool, out))

        # Restart: the journal is loaded again.
        h.check(srv.slave.stop() == 0, "the slave did not stop cleanly")
        srv.start()
        check_incremental(srv, v1, s1, "after a restart")

        # kill -9 with a torn record at the tail: dropped at load, the rest still serves.
        os.kill(srv.slave.pid, signal.SIGKILL)
        srv.slave.proc.wait()
        with open(x.journal_path(srv.slave), "ab") as f:
            f.write(b"FSJ1\x00\x00\x10\x00garbage")
        srv.start()
        check_incremental(srv, v1, s1, "after a torn tail")
        h.check("dropped" in srv.slave.log() and "torn" in srv.slave.log(),
                "no log line about the torn tail")
        s4 = srv.bump()
        h.check(s4 != s3, "no publication after the torn tail")
        check_incremental(srv, v1, s1, "appended after the repaired tail")
    h.ok("IXFR out: incremental, up to date, AXFR form, UDP, dig/kdig, restart, torn tail")


if __name__ == "__main__":
    sys.exit(main())
