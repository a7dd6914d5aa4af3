"""``python -m proof.verify``: see ``proof.verify.cli``."""

from topology.errors import command

from .cli import main

raise SystemExit(command(main))  # an argparse usage error exits 1 too (topology.errors)
