"""An IXFR answer whose second step does not start where the first ended is refused
(refused-soa-mismatch) like a broken AXFR: alert, the last good zone stays served, the next
transfer is an AXFR, which publishes the new version."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import ixfr_in_env as env  # noqa: E402

if __name__ == "__main__":
    env.broken_ixfr_scenario("bad_chain", "refused-soa-mismatch")
