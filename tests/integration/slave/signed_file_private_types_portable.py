"""A private-use type (RFC 6895: 65280-65534, where ALIAS lives) in the master's zone is written
to the slave's signed zone file in RFC 3597 form, as a record and in the NSEC bitmap, so BIND's
named-checkzone and dnssec-verify and Knot's kzonecheck read the file."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness as h  # noqa: E402
import slave_env as env  # noqa: E402


def main():
    checkzone = h.peer("named-checkzone")
    master = env.FakeMaster()
    master.zone_text = env.ZONE_TEXT + "priv TYPE65280 \\# 4 0a000001\n"
    with h.TempDir() as tmp, env.Slave(tmp, master.port) as slave:
        slave.wait_signed()
        with open(slave.signed) as f:
            text = f.read()
        h.check("priv.example.test.\t3600\tIN\tTYPE65280\t\\# 4 0A000001" in text,
                "the private-use record is not in RFC 3597 form:\n" + "\n".join(
                    line for line in text.splitlines() if line.startswith("priv")))
        nsec = [line for line in text.splitlines()
                if line.startswith("priv.example.test.") and "\tNSEC\t" in line]
        h.check(nsec and "TYPE65280" in nsec[0], "the NSEC bitmap does not name TYPE65280: %s"
                % nsec)
        res = h.run([checkzone, "-i", "none", env.ZONE, slave.signed], check_rc=False)
        h.check(res.returncode == 0, "named-checkzone refused the signed file:\n%s%s"
                % (res.stdout, res.stderr))
        slave.verify()
        kzonecheck = h.peer("kzonecheck")
        res = h.run([kzonecheck, "-o", env.ZONE, slave.signed], check_rc=False)
        h.check(res.returncode == 0, "kzonecheck refused the signed file:\n%s%s"
                % (res.stdout, res.stderr))
    master.stop()
    h.ok("private-use type written as TYPE65280 \\# in the signed file; named-checkzone, "
         "dnssec-verify and kzonecheck read it")


if __name__ == "__main__":
    sys.exit(main())
