"""What the team declared, reduced to what the checker compares against.

Where the declaration comes from (an example, or each environment of a system
module) is decided in ``cli.declarations``; everything else takes the
``Declared`` mapping a topology is turned into here.
Fields added to ``Service`` later are read with ``getattr`` so the checker works
before and after they exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from topology import Settings, Topology, callers_by_server


@dataclass(frozen=True)
class Declared:
    """One declared service: who may call it, and what its task role may be given."""

    callers: tuple[str, ...] = ()
    managed_policies: tuple[str, ...] = ()
    """ARNs of AWS-managed policies the team explicitly opted into."""
    actions: tuple[str, ...] = ()
    """IAM actions (patterns) its declared permissions grant the task role."""
    server: bool = False


Declaration = Mapping[str, Declared]
"""Every service of the system by name; a name missing from it is an undeclared service."""


Acceptance = tuple[tuple[str, str], ...]
"""(address, reason) of each resource the declaration accepts although the checker does not model it."""


def accepted_of(settings: Settings | None) -> Acceptance:
    """What ``Settings.accepted`` hands the checker: every report prints each entry with its reason."""
    return tuple((entry.address, entry.reason) for entry in getattr(settings, "accepted", ()) or ())


def example_settings(example: str) -> Settings | None:
    """The ``SETTINGS`` of ``examples/<name>.py`` (None when it has none)."""
    import importlib

    found = getattr(importlib.import_module(f"examples.{example}"), "SETTINGS", None)
    return found if isinstance(found, Settings) else None


def load_topology(example: str) -> Topology:
    """The declared system. Rewire here (module, environment) without touching the checks."""
    from examples import load

    return load(example)


def from_topology(topology: Topology) -> dict[str, Declared]:
    callers = callers_by_server(topology)  # one pass over the calls, not one per service
    return {
        service.name: Declared(
            callers=tuple(callers.get(service.name, ())),
            managed_policies=tuple(str(arn) for arn in getattr(service, "managed_policies", ()) or ()),
            actions=tuple(_actions(getattr(service, "permissions", ()) or ())),
            server=service.is_server,
        )
        for service in topology.services
    }


def _actions(permissions: Iterable[Any]) -> Iterable[str]:
    """Actions of declared IAM statements, whether written as objects (``.actions``) or dicts (``Action``)."""
    for statement in permissions:
        raw = getattr(statement, "actions", None)
        if raw is None and isinstance(statement, Mapping):
            raw = statement.get("Action", statement.get("actions"))
        if getattr(statement, "effect", "Allow") != "Allow" or (
            isinstance(statement, Mapping) and statement.get("Effect", "Allow") != "Allow"
        ):
            continue
        yield from ([raw] if isinstance(raw, str) else list(raw or ()))


def declared_callers(topology: Topology | str) -> dict[str, Declared]:
    """The declaration of a topology, or of ``examples/<name>.py`` for a ``str`` (kept under its old name)."""
    return from_topology(load_topology(topology) if isinstance(topology, str) else topology)
