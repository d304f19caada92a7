"""An IXFR answer cut before its closing SOA is refused (refused-incomplete) like a broken
AXFR: alert, the last good zone stays served, the next transfer is an AXFR, which publishes the
new version."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import ixfr_in_env as env  # noqa: E402

if __name__ == "__main__":
    env.broken_ixfr_scenario("truncated", "refused-incomplete")
