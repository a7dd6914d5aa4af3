"""``python -m proof.verify``: see ``proof.verify.cli``."""

from .cli import main

raise SystemExit(main())
