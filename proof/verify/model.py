"""Values the checker passes around: addresses and what it could not resolve (its findings are ``proof.findings``).

``Unknown`` is the checker's fail-closed currency: every lookup that cannot be
proven returns one (with the reason) instead of ``None``, so a caller cannot
silently skip it; the checks turn it into a ``cannot prove: ...`` finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Address:
    """A resource (or data source, ``mode="data"``) of one stack; ``attr`` only for a VPC's default group."""

    stack: str
    type: str
    name: str
    mode: str = "managed"
    attr: str = ""

    def __str__(self) -> str:
        prefix = "data." if self.mode == "data" else ""
        suffix = f".{self.attr}" if self.attr else ""
        return f"{self.stack}:{prefix}{self.type}.{self.name}{suffix}"


@dataclass(frozen=True)
class Unknown:
    """Something the checker cannot resolve statically; ``reason`` reads after "cannot prove: ..." text."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class CheckerError(Exception):
    """The checker itself cannot run on this input (not a finding about the system): exit code 3."""


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def blocks(value: Any) -> list[dict[str, Any]] | Unknown:
    """A nested block written any way Terraform accepts: an object, a list of objects (HCL), or nothing."""
    items = as_list(value)
    if all(isinstance(item, dict) for item in items):
        return items
    return Unknown(f"block {value!r} is an expression")


def block(value: Any) -> dict[str, Any] | Unknown:
    """A single nested block: ``{...}`` and ``[{...}]`` are the same block; an empty one is ``{}``."""
    items = blocks(value)
    if isinstance(items, Unknown):
        return items
    if len(items) > 1:
        return Unknown(f"{len(items)} blocks where Terraform allows one")
    return items[0] if items else {}
