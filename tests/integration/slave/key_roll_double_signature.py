#!/usr/bin/python3
"""Key rollover by double signature (RFC 6781 §4.1.2): `key roll` adds a CSK whose DS it prints;
after a restart the slave publishes both DNSKEYs and signs every RRset with both keys (a new
serial, verified by dnssec-verify); `key retire OLD` (refused for the last SEP key) leaves only
the new key after the next restart."""
import os
import sys

import dns.dnssec
import dns.exception
import dns.message
import dns.query
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def key_cmd(state, *args, check_rc=True):
    return h.run([h.binary("flatsign-slave"), "key"] + list(args) +
                 ["--zone", "example.test", "--state-dir", state], check_rc=check_rc)


def signing_tags(port):
    """(DNSKEY tags served, tags of the SOA's RRSIGs, SOA serial); Nones while not answering."""
    try:
        return _signing_tags(port)
    except dns.exception.Timeout:
        return None, None, None


def _signing_tags(port):
    q = dns.message.make_query(env.ZONE, "DNSKEY", want_dnssec=True)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    keys = sorted(dns.dnssec.key_id(rd) for rrset in r.answer
                  if rrset.rdtype == dns.rdatatype.DNSKEY for rd in rrset)
    q = dns.message.make_query(env.ZONE, "SOA", want_dnssec=True)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    sigs = sorted(rd.key_tag for rrset in r.answer if rrset.rdtype == dns.rdatatype.RRSIG
                  for rd in rrset)
    serial = [rrset[0].serial for rrset in r.answer if rrset.rdtype == dns.rdatatype.SOA][0]
    return keys, sigs, serial


master = env.FakeMaster()
with h.TempDir() as tmp:
    port = h.free_port()
    with env.Slave(tmp, master.port, port=port) as slave:
        slave.wait_signed()
        h.wait_for(lambda: env.query_soa(port) is not None, 10, what="an answer")
        old_keys, old_sigs, serial1 = signing_tags(port)
        state = slave.state
    h.check(len(old_keys) == 1 and old_sigs == old_keys, "one CSK: %s %s" % (old_keys, old_sigs))
    old = old_keys[0]
    res = key_cmd(state, "retire", str(old), check_rc=False)
    h.check(res.returncode != 0 and "last KSK/CSK" in res.stderr, "retired the last key: %s" %
            res.stderr)
    ds = key_cmd(state, "roll").stdout.split()
    h.check(ds[3] == "DS" and int(ds[4]) != old, "roll printed no new DS: %s" % ds)
    new = int(ds[4])
    listed = key_cmd(state, "list").stdout
    h.check("; key %d " % old in listed and "; key %d " % new in listed, listed)

    with env.Slave(tmp, master.port, port=port) as slave:
        h.wait_for(lambda: signing_tags(port)[1] == sorted([old, new]), 20,
                   what="the SOA signed by both keys")
        keys, sigs, serial2 = signing_tags(port)
        h.check(keys == sorted([old, new]), "DNSKEYs served: %s" % keys)
        h.check(serial2 != serial1, "the double-signed zone has no new serial")
        h.check("key set changed" in slave.log(), slave.log()[-2000:])
        h.wait_for(lambda: str(serial2) in open(slave.signed).read(), 10, what="the file")
        slave.verify()

    key_cmd(state, "retire", str(old))
    h.check(os.path.exists(os.path.join(state, "example.test", "retired")), "no retired/ directory")
    with env.Slave(tmp, master.port, port=port) as slave:
        h.wait_for(lambda: signing_tags(port)[:2] == ([new], [new]), 20,
                   what="only the new key after retiring %d" % old)
        _, _, serial3 = signing_tags(port)
        h.wait_for(lambda: str(serial3) in open(slave.signed).read(), 10, what="the file")
        slave.verify()
        h.check(slave.alive(), slave.log()[-2000:])
master.stop()
h.ok("rolled %d -> %d: double-signed serial %d, then %d alone at %d" %
     (old, new, serial2, new, serial3))
