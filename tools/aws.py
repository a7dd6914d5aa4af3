"""Alias kept so that `python -m tools.aws` keeps working: the module is now ``aws.commands``."""

from aws.commands import main
from topology.errors import command

if __name__ == "__main__":
    raise SystemExit(command(main))
