"""A TSIG-signed NOTIFY from the master gets a reply signed with the same key (RFC 8945 §5.3)
and starts a poll, with an OPT before the TSIG when the NOTIFY had one (RFC 6891 §7); a
NOTIFY signed with a wrong key gets NOTAUTH with TSIG error BADKEY and starts none."""
import os
import sys
import time

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def notify(port, keyring, keyname, edns=False):
    q = dns.message.make_query(env.ZONE, "SOA", use_edns=0 if edns else False)
    q.flags = dns.flags.AA  # replaces all flag bits, the opcode's too: set it after
    q.set_opcode(dns.opcode.NOTIFY)
    q.use_tsig(keyring, keyname=keyname)
    # dns.query.udp verifies the reply's TSIG against the request's MAC and raises when bad.
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=3)


def main():
    master = env.FakeMaster(env.tsig_keyring())
    extra = ["--tsig", "%s:hmac-sha256:%s" % (env.TSIG_NAME.rstrip("."), env.TSIG_SECRET)]
    with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=extra,
                                       poll_interval=3600) as slave:
        slave.wait_signed()
        env.wait_transfers(master, 0)
        before = master.transfers
        r = notify(slave.port, env.tsig_keyring(), env.TSIG_NAME)
        h.check(r.rcode() == dns.rcode.NOERROR, "rcode %s" % dns.rcode.to_text(r.rcode()))
        h.check(r.had_tsig, "the NOTIFY reply is not signed")
        h.check(r.edns == -1, "an OPT in the reply to a NOTIFY without one")
        h.wait_for(lambda: master.transfers > before, 10, what="a transfer after the NOTIFY")
        before = master.transfers
        r = notify(slave.port, env.tsig_keyring(), env.TSIG_NAME, edns=True)
        h.check(r.rcode() == dns.rcode.NOERROR and r.had_tsig and r.edns == 0,
                "NOTIFY with OPT: rcode %s, TSIG %s, EDNS %s" % (
                    dns.rcode.to_text(r.rcode()), r.had_tsig, r.edns))
        # Its poll waits out --notify-min-interval (1 s) after the first one.
        h.wait_for(lambda: master.transfers > before, 10, what="a transfer after that NOTIFY")

        wrong = dns.tsigkeyring.from_text({"other-key.": ("hmac-sha256", env.TSIG_SECRET)})
        before = master.transfers
        try:
            r = notify(slave.port, wrong, "other-key.")
            h.fail("a NOTIFY with an unknown key was answered without a TSIG error: %s" % r)
        except dns.tsig.PeerBadKey:
            pass
        time.sleep(1.5)
        h.check(master.transfers == before, "a badly signed NOTIFY started a transfer")
        h.check("bad-tsig" in slave.log(), "no refusal log line for the bad NOTIFY")
    master.stop()
    h.ok("signed NOTIFY answered with a signed reply (OPT kept); bad key refused with BADKEY")


if __name__ == "__main__":
    sys.exit(main())
