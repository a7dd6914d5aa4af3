"""``python -m tools.verify``: see ``tools.verify.cli``."""

from .cli import main

raise SystemExit(main())
