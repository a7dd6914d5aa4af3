"""Runnable topologies: ``python -m examples.<name>`` synthesizes one into cdktf.out/.

``NAMES`` is the one list of examples that snapshots, diagrams, checkov and the
checker iterate over; a test fails if a module here is missing from it.
"""

from __future__ import annotations

import importlib

from topology import Topology

NAMES = ("article", "chain", "fanin_grpc", "production")


def load(name: str) -> Topology:
    """The ``TOPOLOGY`` of ``examples/<name>.py``."""
    if name not in NAMES:
        raise SystemExit(f"unknown example {name!r} (examples: {', '.join(NAMES)})")
    topology: Topology = importlib.import_module(f"examples.{name}").TOPOLOGY
    return topology
