"""Helpers for the catalog scenarios (tests/integration/master/catalog_*.py): flatsign-master
serving a few plain zones and the RFC 9432 catalog of them from a --config file that a scenario
rewrites and reloads with SIGHUP, the catalog read back by AXFR (dnspython), and a NOTIFY
listener."""
import hashlib
import os
import socket

import dns.exception
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rdatatype

import harness as h
import master_env as env

CATALOG = "catalog.invalid."


def zone_text(serial=1):
    return """$TTL 300
@ SOA ns1 hostmaster %d 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.1
""" % serial


def member_id(zone):
    """The member node label flatsign-master documents: the first 8 octets of SHA-256 over the
    lowercased wire name, in hex."""
    return hashlib.sha256(dns.name.from_text(zone.lower()).to_wire()).hexdigest()[:16]


class CatalogMaster:
    """flatsign-master with `zones` (origin list), the catalog, and the given properties."""

    def __init__(self, tmp, zones, groups=(), coo=(), notify=(), name="master"):
        self.tmp = tmp
        self.name = name
        self.port = h.free_port()
        self.dead = h.free_port()  # the resolver: never asked, the zones have no ALIAS
        self.notify = list(notify)
        self.conf = tmp.file(name + "/master.conf")
        self.write_config(zones, groups, coo)
        self.proc = h.Process([h.binary("flatsign-master"), "--config", self.conf],
                              log_path=tmp.file(name + "/master.log"))
        # Thousands of zones (bench/many-zones/catalog-add) take longer to load than a few.
        wait = 10 + len(zones) / 100
        env.wait_udp(self.port, zones[0], proc=self.proc, timeout=wait)
        h.wait_for(lambda: self.serial() is not None, timeout=wait,
                   what=lambda: "catalog served\n" + self.proc.log()[-3000:])

    def write_config(self, zones, groups=(), coo=()):
        """Writes the config file: globals, then a [[zone]] table per origin with its file
        (created when missing) and catalog properties. `groups` and `coo` are (zone, value)
        pairs; one naming a zone not in `zones` goes in the global ZONE=VALUE list, which the
        master refuses."""
        lines = ['listen = ["127.0.0.1:%d"]' % self.port,
                 'resolver = ["127.0.0.1:%d"]' % self.dead,
                 'catalog = "%s"' % CATALOG]
        if self.notify:
            lines.append("notify = [%s]" % ", ".join('"127.0.0.1:%d"' % p for p in self.notify))
        served = {z.rstrip(".").lower() for z in zones}
        stray = [(z, v) for z, v in groups if z.rstrip(".").lower() not in served]
        if stray:
            lines.append("catalog-group = [%s]" % ", ".join('"%s=%s"' % g for g in stray))
        for z in zones:
            path = self.tmp.file("%s/%szone" % (self.name, z))
            if not os.path.exists(path):
                self.tmp.write("%s/%szone" % (self.name, z), zone_text())
            lines += ["", "[[zone]]", 'name = "%s"' % z, 'file = "%s"' % path]
            key = z.rstrip(".").lower()
            mine = [v for n, v in groups if n.rstrip(".").lower() == key]
            if mine:
                lines.append("catalog-group = [%s]" % ", ".join('"%s"' % v for v in mine))
            for n, v in coo:
                if n.rstrip(".").lower() == key:
                    lines.append('catalog-coo = "%s"' % v)
        os.makedirs(os.path.dirname(self.conf), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def reconfigure(self, zones, groups=(), coo=()):
        """Rewrites the config file and makes the master re-read it (SIGHUP)."""
        self.write_config(zones, groups, coo)
        os.kill(self.proc.pid, 1)

    def query(self, name, rdtype="SOA"):
        q = dns.message.make_query(name, rdtype)
        q.flags = 0
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=3)

    def serial(self, zone=CATALOG):
        try:
            r = self.query(zone)
        except (dns.exception.Timeout, OSError):
            return None
        for rrset in r.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset[0].serial
        return None

    def axfr(self, zone=CATALOG):
        """The zone's RRs by AXFR as a set of (owner, ttl, type, rdata text), the SOA once."""
        rows = set()
        for msg in dns.query.xfr("127.0.0.1", zone, port=self.port, timeout=10, lifetime=20,
                                 relativize=False):
            for rrset in msg.answer:
                for rd in rrset:
                    rows.add((rrset.name.to_text().lower(), rrset.ttl,
                              dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
        return rows

    def members(self, rows=None):
        """{member zone: member node label} from the catalog's PTRs under zones.<catalog>."""
        rows = self.axfr() if rows is None else rows
        suffix = ".zones." + CATALOG
        return {rd.lower(): owner[:-len(suffix)] for owner, _, t, rd in rows
                if t == "PTR" and owner.endswith(suffix) and "." not in owner[:-len(suffix)]}

    def log(self):
        return self.proc.log()

    def stop(self):
        return self.proc.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class NotifyListener:
    """A UDP socket that acknowledges every NOTIFY and remembers (zone, serial) of each."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.port = h.free_port()
        self.sock.bind(("127.0.0.1", self.port))
        self.seen = []

    def drain(self, timeout):
        """Reads NOTIFYs for up to `timeout` seconds (after the last one); returns the new ones."""
        new = []
        self.sock.settimeout(timeout)
        while True:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                return new
            msg = dns.message.from_wire(data)
            if msg.opcode() != dns.opcode.NOTIFY:
                continue
            self.sock.sendto(dns.message.make_response(msg).to_wire(), peer)
            serial = None
            for rrset in msg.answer:
                if rrset.rdtype == dns.rdatatype.SOA:
                    serial = rrset[0].serial
            item = (msg.question[0].name.to_text().lower(), serial)
            self.seen.append(item)
            new.append(item)

    def close(self):
        self.sock.close()
