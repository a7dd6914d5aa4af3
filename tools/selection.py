"""Alias kept so that `python -m tools.selection` keeps working: the module is now ``topology.selection``."""

from topology.errors import command
from topology.selection import main

if __name__ == "__main__":
    raise SystemExit(command(main))
