"""``python -m proof.live``: see ``proof.live.cli``."""

from topology.errors import command

from .cli import main

raise SystemExit(command(main))  # an argparse usage error exits 1 too (topology.errors)
