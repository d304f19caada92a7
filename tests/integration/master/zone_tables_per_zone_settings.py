#!/usr/bin/python3
"""Two zones in one master from [[zone]] tables: each keeps its own ALIAS failure policy and its
own TSIG key (the other zone's key is refused), --check names FILE:LINE of a bad table, and
SIGHUP applies a zone's changed policy."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import master_env as env  # noqa: E402

SECRET1 = env.TSIG_SECRET
SECRET2 = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI="
ZONE = env.MASTER_ZONE + "bad ALIAS missing.up.test.\n"


def config(port, resolver, files, strict_policy):
    return """listen = ["127.0.0.1:%d"]
resolver = ["127.0.0.1:%d"]
resolver-timeout = 300
min-refresh = 1
min-serial-interval = 0
tsig = ["key-one:hmac-sha256:%s", "key-two:hmac-sha256:%s"]

[[zone]]
name = "strict.test"
file = "%s"
alias-failure = "%s"

[[zone]]
name = "lenient.test"
file = "%s"
alias-failure = "ignore"
tsig-key = "key-two"
""" % (port, resolver, SECRET1, SECRET2, files[0], strict_policy, files[1])


def dig(port, zone, key=None):
    """(status, answer lines) of an AXFR of `zone`, signed with `key` (name, secret) if given."""
    cmd = ["dig", "@127.0.0.1", "-p", str(port), "+norec", "+nocmd", "+nostats", "+noall",
           "+answer", "+comments", zone, "AXFR"]
    if key:
        cmd += ["-y", "hmac-sha256:%s:%s" % key]
    out = h.run(cmd, timeout=20, check_rc=False).stdout
    status = "NOERROR" if " SOA " in out or "\tSOA\t" in out else "other"
    for line in out.splitlines():
        if "status:" in line:
            status = line.split("status:")[1].split(",")[0].strip()
    return status, [l for l in out.splitlines() if l and not l.startswith(";")]


with h.TempDir() as tmp, env.Upstream(tmp) as up:
    master = h.binary("flatsign-master")
    files = [tmp.write("strict.zone", ZONE), tmp.write("lenient.zone", ZONE)]
    port = h.free_port()
    conf = tmp.write("master.toml", config(port, up.port, files, "strict"))
    r = h.run([master, "--config", conf, "--check"], check_rc=False)
    h.check(r.returncode == 0, "--check refused a good file: " + r.stderr)

    # A bad value in the second table: --check names the file, its line, the zone and option.
    bad = tmp.write("bad.toml", config(port, up.port, files, "strict").replace(
        'tsig-key = "key-two"', 'tsig-key = "key-three"'))
    r = h.run([master, "--config", bad, "--check"], check_rc=False)
    h.check(r.returncode != 0 and
            '%s:17: zone lenient.test.: tsig-key: no key named "key-three"' % bad in r.stderr,
            "bad table: %d %s" % (r.returncode, r.stderr))

    m = h.Process([master, "--config", conf], log_path=tmp.file("master.log"))
    try:
        env.wait_udp(port, "lenient.test.", proc=m)
        h.wait_for(lambda: "zone=lenient.test. serving serial" in m.log(), timeout=15,
                   what=lambda: "lenient.test. served\n" + m.log()[-3000:])
        key1, key2 = ("key-one", SECRET1), ("key-two", SECRET2)
        # lenient.test: ignore leaves the failing ALIAS out; only its own key may transfer it.
        status, rows = dig(port, "lenient.test.", key2)
        h.check(status == "NOERROR" and any(l.startswith("www.lenient.test.") for l in rows) and
                not any(l.startswith("bad.lenient.test.") for l in rows),
                "lenient.test. with its key: %s %s" % (status, rows))
        status, rows = dig(port, "lenient.test.", key1)
        h.check(status == "REFUSED", "lenient.test. with the other key: %s %s" % (status, rows))
        status, rows = dig(port, "lenient.test.")
        h.check(status == "REFUSED", "lenient.test. without TSIG: %s %s" % (status, rows))
        # strict.test: the failing ALIAS fails its transfers; any known key is accepted.
        h.wait_for(lambda: "zone=strict.test. flattening failed (policy strict)" in m.log(),
                   timeout=15, what=lambda: "strict.test. failing\n" + m.log()[-3000:])
        status, rows = dig(port, "strict.test.", key1)
        h.check(status == "SERVFAIL", "strict.test. transfer: %s %s" % (status, rows))

        # SIGHUP with strict.test now under ignore: its transfers work at once.
        with open(conf, "w") as f:
            f.write(config(port, up.port, files, "ignore"))
        os.kill(m.pid, 1)
        h.wait_for(lambda: dig(port, "strict.test.", key2)[0] == "NOERROR", timeout=15,
                   what=lambda: "strict.test. under ignore\n" + m.log()[-3000:])
    finally:
        m.stop()
    h.ok("per-zone ALIAS policy and TSIG key from [[zone]] tables, --check, SIGHUP")
