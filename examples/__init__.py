"""Runnable systems: each module here is an ordinary system module (``SYSTEM=examples.<name>``).

Nothing is registered: ``NAMES`` lists every module of this package that defines
``TOPOLOGY``, so snapshots, diagrams, checkov and the checker cover a new example
as soon as its file exists.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from topology import Topology
from topology.errors import UserError


def discover() -> tuple[str, ...]:
    """Every module of this package that declares a system, sorted."""
    names = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not info.ispkg and hasattr(importlib.import_module(f"{__name__}.{info.name}"), "TOPOLOGY"):
            names.append(info.name)
    return tuple(sorted(names))


NAMES = discover()


def load(name: str) -> Topology:
    """The ``TOPOLOGY`` of ``examples/<name>.py``."""
    if name not in NAMES:
        raise UserError(f"unknown example {name!r} (examples: {', '.join(NAMES)})")
    topology: Topology = importlib.import_module(f"{__name__}.{name}").TOPOLOGY
    return topology
