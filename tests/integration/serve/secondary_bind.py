"""BIND as a secondary of flatsign-slave: pulls the signed zone with TSIG, serves the slave's own
RRSIGs, follows an upstream change by NOTIFY + IXFR, and unbound validates its answers from the DS."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import ixfr_env as x  # noqa: E402

if __name__ == "__main__":
    sys.exit(x.secondary("bind"))
