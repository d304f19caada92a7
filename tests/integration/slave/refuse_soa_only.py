"""A SOA-only transfer is refused (refused-empty): the published zone stays, the alert hook runs."""
import harness as h  # noqa: F401 - sets up nothing, keeps the import order uniform
import slave_env as env

if __name__ == "__main__":
    env.refusal_scenario("soa_only", "refused-empty")
