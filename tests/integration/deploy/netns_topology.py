"""deploy/netns/topology runs clean: in namespaces it creates, the slave (public) transfers from the
master (private) with TSIG and publishes a signed zone, the internet namespace gets answers from
the slave but cannot reach the master, an AXFR without the key is refused, an upstream address
change reaches the slave by NOTIFY; and the script leaves no namespace behind. Skips (77) only
when the kernel forbids network namespaces (checked with `ip netns add` first)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402


def main():
    ip = h.peer("ip")
    h.peer("dig")
    h.binary("flatsign-master")
    h.binary("flatsign-slave")
    if os.geteuid() != 0:
        h.skip("network namespaces need root")
    probe = "fs-probe-%d" % os.getpid()
    r = subprocess.run([ip, "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        h.skip("the kernel forbids network namespaces here: " + r.stderr.strip())
    subprocess.run([ip, "netns", "del", probe], check=False)

    before = set(subprocess.run([ip, "netns", "list"], capture_output=True, text=True)
                 .stdout.split())
    r = h.run([h.script("deploy/netns/topology"), "--quiet"], check_rc=False, timeout=180,
              env=dict(os.environ, FLATSIGN_BIN=h.BIN))
    print(r.stdout)
    after = set(subprocess.run([ip, "netns", "list"], capture_output=True, text=True)
                .stdout.split())
    leaked = [n for n in after - before if n.startswith("fs-")]
    h.check(not leaked, "namespaces left behind: %s" % leaked)
    if r.returncode == 77:
        h.skip(r.stdout.strip().splitlines()[-1])
    h.check(r.returncode == 0, "topology exit %d:\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
    for want in ["ok: the master is unreachable from the internet side",
                 "ok: the master refuses an AXFR without TSIG",
                 "ok: the slave published the new address 198.51.100.7"]:
        h.check(want in r.stdout, "missing %r" % want)
    h.check("FAILED" not in r.stdout, "a check failed")
    h.ok("netns topology: slave public, master private and unreachable, TSIG, NOTIFY")


if __name__ == "__main__":
    sys.exit(main())
