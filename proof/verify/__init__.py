"""Prove "internal only" from what Terraform will actually run.

Input: a cdktf.out folder, stack folders (every ``*.tf.json`` and ``*.tf``, with
overrides merged), or ``terraform show -json`` plans. For every ECS service:
who can reach each port it serves (security groups, their rules, every member
of every admitted group), whether anything from outside has a path in, and the
effective permissions and trust of its roles. Every resource type is modelled
(``modelled``), neutral by the pinned provider's schema (``kinds``, ``types.json``)
or a finding; whatever cannot be resolved is a finding ("cannot prove: ..."),
never a pass. See ``cli`` for the command line and exit codes, docs/proof.md for
exactly what is covered.
"""

from __future__ import annotations

from .config import Config
from .core import verify
from .declaration import Declared, DeclaredEntry, declared_callers, from_topology, load_topology
from .load import load
from .model import Address, CheckerError, Unknown

__all__ = [
    "Address",
    "CheckerError",
    "Config",
    "Declared",
    "DeclaredEntry",
    "Unknown",
    "declared_callers",
    "from_topology",
    "load",
    "load_topology",
    "verify",
]
