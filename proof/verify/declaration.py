"""What the team declared, reduced to what the checker compares against.

Where the declaration comes from (an example, or each environment of a system
module) is decided in ``cli.declarations``; everything else takes the
``Declared`` mapping a topology is turned into here.
Fields added to ``Service`` later are read with ``getattr`` so the checker works
before and after they exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from topology import Guarded, Settings, Topology, callers_by_server


@dataclass(frozen=True)
class Declared:
    """One declared service: who may call it, and what its task role may be given."""

    callers: tuple[str, ...] = ()
    managed_policies: tuple[str, ...] = ()
    """ARNs of AWS-managed policies the team explicitly opted into."""
    actions: tuple[str, ...] = ()
    """IAM actions (patterns) its declared permissions grant the task role."""
    server: bool = False
    entries: tuple[DeclaredEntry, ...] = ()
    """The entries (front doors) that route to this service: it is an edge service when there is one."""
    grants: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(address of the team's own resource, the actions granted on it) per grant (topology/extras.py)."""
    guards: tuple[DeclaredGuard, ...] = ()
    """Every guarded resource of the system (the same on each service: the model reads them off any)."""

    @property
    def granted_actions(self) -> tuple[str, ...]:
        """Every action its grants allow, on their resources only."""
        return tuple(action for _, actions in self.grants for action in actions)


@dataclass(frozen=True)
class DeclaredEntry:
    """One declared front door, as the checker compares it: what it listens on, whom it admits, where it routes."""

    name: str
    internet_facing: bool
    listeners: tuple[tuple[int, str, bool], ...]
    """(port, protocol, forwards) per listener; empty for an existing load balancer."""
    sources: tuple[str, ...]
    """Admitted CIDRs and prefix list IDs."""
    routes: tuple[tuple[str, int, str | None, str | None], ...]
    """(service, container port, host, path) per route."""
    existing_listener_arn: str | None = None
    existing_group_id: str | None = None

    def reaches(self, service: str) -> set[int]:
        """The container ports of ``service`` this entry routes to."""
        return {port for name, port, _, _ in self.routes if name == service}


@dataclass(frozen=True)
class DeclaredGuard:
    """One guarded resource (``Guarded``): its group, its port, and the services granted ``.connect``."""

    name: str
    address: str
    """``aws_security_group.own_<name>``, the group the project writes; or the team's ``sg-...``."""
    group_id: str | None
    """The team's existing group, when named: the rules on it are found by this ID."""
    port: int
    admitted: tuple[str, ...]


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
    entries = _entries(topology)
    guards = tuple(_guards(topology))
    return {
        service.name: Declared(
            callers=tuple(callers.get(service.name, ())),
            managed_policies=tuple(str(arn) for arn in getattr(service, "managed_policies", ()) or ()),
            actions=tuple(_actions(getattr(service, "permissions", ()) or ())),
            server=service.is_server,
            entries=tuple(entry for entry in entries if entry.reaches(service.name)),
            grants=tuple((grant.resource.address, grant.actions) for grant in getattr(service, "grants", ()) or () if grant.actions),
            guards=guards,
        )
        for service in topology.services
    }


def _guards(topology: Topology) -> Iterator[DeclaredGuard]:
    for resource in getattr(topology, "resources", ()):
        if isinstance(resource, Guarded):
            admitted = tuple(s.name for s in topology.services if resource.connect in getattr(s, "grants", ()))
            yield DeclaredGuard(resource.name, resource.address, resource.group_id, resource.port, admitted)


def _entries(topology: Topology) -> list[DeclaredEntry]:
    from topology.entry_rules import routed_port

    found = []
    for entry in getattr(topology, "entries", ()):
        routes = []
        for route in entry.routes:
            port = routed_port(route, topology.service(route.service))
            if port is not None:
                routes.append((route.service, port.container_port, route.host, route.path))
        existing = entry.existing
        found.append(
            DeclaredEntry(
                name=entry.name,
                internet_facing=entry.internet_facing,
                listeners=tuple((listener.effective_port, listener.protocol, listener.forwards) for listener in entry.listeners),
                sources=entry.sources,
                routes=tuple(routes),
                existing_listener_arn=existing.listener_arn if existing is not None else None,
                existing_group_id=existing.security_group_id if existing is not None else None,
            )
        )
    return found


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
