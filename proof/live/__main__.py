"""``python -m proof.live``: see ``proof.live.cli``."""

from .cli import main

raise SystemExit(main())
