"""Alias kept so that `python -m tools.local` keeps working: the module is now ``emulator.local``."""

from emulator.local import main
from topology.errors import command

if __name__ == "__main__":
    raise SystemExit(command(main))
