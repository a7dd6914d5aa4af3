"""Alias kept so that `python -m tools.diagram` keeps working: the module is now ``writers.diagram``."""

from topology.errors import command
from writers.diagram import main

if __name__ == "__main__":
    raise SystemExit(command(main))
