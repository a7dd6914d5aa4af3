"""``python -m tools.import_ecspresso``: see the package docstring."""

from .cli import main

raise SystemExit(main())
