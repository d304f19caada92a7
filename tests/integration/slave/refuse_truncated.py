"""A master that closes the connection mid-transfer is refused (refused-incomplete): the published zone stays, the alert hook runs."""
import harness as h  # noqa: F401 - sets up nothing, keeps the import order uniform
import slave_env as env

if __name__ == "__main__":
    env.refusal_scenario("truncated", "refused-incomplete")
