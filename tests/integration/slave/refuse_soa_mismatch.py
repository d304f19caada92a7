"""A transfer closing with a different SOA serial is refused (refused-soa-mismatch): the published zone stays, the alert hook runs."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import slave_env as env  # noqa: E402

if __name__ == "__main__":
    env.refusal_scenario("mismatch", "refused-soa-mismatch")
