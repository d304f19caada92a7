"""kill -9 of flatsign-slave while a catalog adds many members at once (their new keys are made
durable in batches: written to temporary files, synced, renamed): a flatsign-master's catalog
grows by 150 zones a round and the slave is killed at a random moment after it read the new
catalog. After each restart (master up) the slave serves exactly the catalog's members, each
signed at the master's serial with one key that validates its SOA, and each zone that was
served before the kill keeps the key it had (a new one would break the chain of trust at the
parent); on disk each member holds exactly one private key."""
import glob
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import dns.dnssec  # noqa: E402
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.rdatatype  # noqa: E402

import catalog_env as cat  # noqa: E402
import harness as h  # noqa: E402
import zones_env as z  # noqa: E402

ROUNDS = 4
PER_ROUND = 150


def answers(port, zones, rdtype, timeout=2.0):
    """{zone: dns.message} for `rdtype` at each zone's apex, all queries in flight at once over
    one UDP socket (DO set, over UDP: the answers here fit)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.settimeout(0.2)
    by_id = {}
    for i, name in enumerate(zones):
        q = dns.message.make_query(name, rdtype, want_dnssec=True, payload=4096)
        q.flags &= ~dns.flags.RD
        q.id = i
        by_id[i] = name
        sock.sendto(q.to_wire(), ("127.0.0.1", port))
    out = {}
    deadline = time.monotonic() + timeout
    while len(out) < len(zones) and time.monotonic() < deadline:
        try:
            m = dns.message.from_wire(sock.recv(65535))
        except (socket.timeout, Exception):  # noqa: BLE001
            continue
        if m.id in by_id:
            out[by_id[m.id]] = m
    sock.close()
    return out


def key_state(port, zones, timeout=2.0):
    """{zone: (serial, DNSKEY key tags)} of the zones served signed whose SOA validates with
    the served DNSKEY RRset; the others are left out."""
    soas, keys = answers(port, zones, "SOA", timeout), answers(port, zones, "DNSKEY", timeout)
    out = {}
    for zone in zones:
        if zone not in soas or zone not in keys:
            continue
        name = dns.name.from_text(zone)
        soa = [r for r in soas[zone].answer if r.rdtype == dns.rdatatype.SOA]
        sig = [r for r in soas[zone].answer if r.rdtype == dns.rdatatype.RRSIG]
        dnskey = [r for r in keys[zone].answer if r.rdtype == dns.rdatatype.DNSKEY]
        if not soa or not sig or not dnskey:
            continue
        try:
            dns.dnssec.validate(soa[0], sig[0], {name: dnskey[0]})
        except dns.dnssec.ValidationFailure:
            continue
        out[zone] = (soa[0][0].serial, tuple(sorted(dns.dnssec.key_id(k) for k in dnskey[0])))
    return out


def wait_state(slave, zones, timeout=180):
    """key_state() once every zone in `zones` is in it (or fails naming those missing)."""
    deadline = time.monotonic() + timeout
    while True:
        state = key_state(slave.port, zones)
        if len(state) == len(zones):
            return state
        h.check(slave.alive(), "the slave exited:\n" + slave.log()[-3000:])
        if time.monotonic() > deadline:
            missing = sorted(set(zones) - set(state))
            h.fail("%d of %d members not served signed and valid after %d s, e.g. %s\n%s"
                   % (len(missing), len(zones), timeout, missing[:5], slave.log()[-3000:]))
        time.sleep(0.5)


def check_disk(slave, zones):
    for zone in zones:
        d = os.path.join(slave.state, zone.rstrip(".").lower())
        private = glob.glob(os.path.join(d, "K*.private"))
        h.check(len(private) == 1, "%s: %d private keys on disk: %s" % (zone, len(private), private))


def main():
    rng = random.Random(int(os.environ.get("FLATSIGN_SEED", "16")))
    with h.TempDir() as tmp:
        port = h.free_port()
        members = ["base%d.cat.test." % i for i in range(5)]
        with cat.CatalogMaster(tmp, members, notify=[port]) as master:
            slave = z.ConfigSlave(tmp, master.port, [], {"log-level": "info"}, port=port,
                                  extra_text='\n[[catalog]]\nname = "%s"\n' % cat.CATALOG)
            try:
                known = wait_state(slave, members)  # zone -> (serial, key tags) once served
                kills = 0
                for r in range(ROUNDS):
                    members = members + ["r%d-%d.cat.test." % (r, i) for i in range(PER_ROUND)]
                    before = slave.log().count("member(s)")
                    master.reconfigure(members)
                    # Killed once the slave read the new catalog: while it makes, stores or
                    # commits the new members' keys, or shortly after.
                    h.wait_for(lambda: slave.log().count("member(s)") > before, 30,
                               what="the slave reading the new catalog")
                    time.sleep(rng.uniform(0.0, 0.6))
                    # What it serves at the kill: a zone served signed then started on keys
                    # that must be on disk.
                    known.update(key_state(slave.port, members, timeout=0.5))
                    os.kill(slave.pid, 9)
                    slave.proc.wait(5)
                    kills += 1
                    slave.restart()
                    state = wait_state(slave, members)
                    for zone, (serial, tags) in state.items():
                        h.check(len(tags) == 1, "%s: %d DNSKEYs served %s" % (zone, len(tags),
                                                                            tags))
                        h.check(serial == 1, "%s: serial %d served, the master has 1"
                                % (zone, serial))
                        if zone in known:
                            h.check(known[zone][1] == tags, "%s: key %s before the kill, %s "
                                    "after" % (zone, known[zone][1], tags))
                    known.update(state)
                    check_disk(slave, members)
                    listed = slave.status()["catalogs"][0]
                    h.check(listed["members"] == len(members),
                            "the slave lists %d members, the catalog has %d"
                            % (listed["members"], len(members)))
                    extra = [n for n in listed["zones"] if n.lower() not in members]
                    h.check(not extra, "members not in the catalog: %s" % extra[:5])
            finally:
                slave.stop()
    h.ok("%d kill -9 while a catalog added %d members each time: every member served signed at "
         "its serial with one key that validates, kept across kills; one key file each"
         % (kills, PER_ROUND))


if __name__ == "__main__":
    sys.exit(main())
