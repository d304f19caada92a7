"""A SERVFAIL answer (a strict master whose ALIAS failed) is refused (refused-rcode): the published zone stays, the alert hook runs once for the IXFR and the AXFR asked after it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import slave_env as env  # noqa: E402

if __name__ == "__main__":
    env.refusal_scenario("servfail", "refused-rcode", once=True)
