"""--denial nsec3 with --algorithm ed25519 (and rsasha256 with nsec): the published zone passes
dnssec-verify and carries the chosen algorithm and denial records."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    master = env.FakeMaster()
    for alg, num, denial, rtype in (("ed25519", 15, "nsec3", "NSEC3"),
                                    ("rsasha256", 8, "nsec", "NSEC")):
        with h.TempDir() as tmp, env.Slave(tmp, master.port, extra=[
                "--algorithm", alg, "--denial", denial]) as slave:
            slave.wait_signed()
            slave.verify()
            text = open(slave.signed).read()
            h.check("\tDNSKEY\t257 3 %d " % num in text, "%s DNSKEY missing" % alg)
            h.check("\t%s\t" % rtype in text, "%s records missing" % rtype)
    master.stop()
    h.ok("ed25519/nsec3 and rsasha256/nsec verify")


if __name__ == "__main__":
    sys.exit(main())
