"""Alias kept so that `python -m tools.scan` keeps working: the module is now ``proof.scan``."""

from proof.scan import main
from topology.errors import command

if __name__ == "__main__":
    raise SystemExit(command(main))
