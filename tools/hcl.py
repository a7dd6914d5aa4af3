"""Alias kept so that `python -m tools.hcl` keeps working: the module is now ``writers.hcl``."""

from topology.errors import command
from writers.hcl import main

if __name__ == "__main__":
    raise SystemExit(command(main))
