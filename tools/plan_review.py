"""Alias kept so that `python -m tools.plan_review` keeps working: the module is now ``proof.plan_review``."""

from proof.plan_review import main
from topology.errors import command

if __name__ == "__main__":
    raise SystemExit(command(main))
