"""Per-environment values of one service: everything but the call graph.

An environment may give a service another image, other variables, secrets,
permissions, egress, scaling, sizing, ... (``ServiceOverride``). What callers and
security groups are built from (the service's name, its ports, its calls) is the
call graph and stays the system's: the same in every environment, so what the
checker proves of one environment holds for all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Literal

from .model import Autoscaling, Capacity, Deployment, Egress, Endpoint, HealthCheck, Permission, Secret, Service

GRAPH_FIELDS = ("name", "ports", "calls")
"""Service fields that are the call graph: never per environment."""


@dataclass(frozen=True, kw_only=True)
class ServiceOverride:
    """One service's values in one environment; a field left as ``None`` keeps the declared value.

    Tuples (secrets, permissions, managed_policies, egress, command) replace the declared
    tuple as a whole; ``environment`` is merged by variable name (a pair given here replaces
    the declared value of that name, or adds the variable). ``False`` removes what can be
    absent (autoscaling, health check, command).
    """

    image: str | None = None
    """Container image (the default of the service's ``image_<name>`` Terraform variable)."""
    cpu: int | None = None
    """Task CPU units (a Fargate size)."""
    memory: int | None = None
    """Task memory in MiB (fits ``cpu`` on Fargate)."""
    desired_count: int | None = None
    """Tasks to run (the first deployment's count when autoscaling is on)."""
    environment: tuple[tuple[str, str | Endpoint], ...] | None = None
    """Variables merged by name into the declared ones."""
    command: tuple[str, ...] | Literal[False] | None = None
    """The container command; ``False``: the image's own."""
    health_check: HealthCheck | Literal[False] | None = None
    """The container health check; ``False``: none."""
    enable_execute_command: bool | None = None
    """ECS Exec on or off."""
    proxy_logs: bool | None = None
    """The Service Connect proxy's own log group on or off."""
    secrets: tuple[Secret, ...] | None = None
    """Replaces the declared secrets (their ARNs are checked against this environment's account and region)."""
    permissions: tuple[Permission, ...] | None = None
    """Replaces the declared task-role statements (resource ARNs checked like secrets)."""
    managed_policies: tuple[str, ...] | None = None
    """Replaces the declared AWS-managed policy ARNs."""
    egress: tuple[Egress, ...] | None = None
    """Replaces the declared egress rules (a security group or prefix list of this environment)."""
    autoscaling: Autoscaling | Literal[False] | None = None
    """Target tracking for this environment; ``False``: a fixed ``desired_count``."""
    capacity: Capacity | None = None
    """Architecture, Fargate Spot share, ephemeral storage."""
    deployment: Deployment | None = None
    """How a deployment rolls."""


Sizing = ServiceOverride
"""The older name (``Sizing(desired_count=..., cpu=..., memory=...)``): the same class, so it takes every field."""

OVERRIDE_FIELDS = tuple(f.name for f in fields(ServiceOverride))


def apply(service: Service, override: ServiceOverride) -> Service:
    """``service`` with the override's values; never its name, ports or calls."""
    changes: dict[str, object] = {}
    for name in OVERRIDE_FIELDS:
        value = getattr(override, name)
        if value is None:
            continue
        if name == "environment":
            value = _merged(service.environment, value)
        changes[name] = None if value is False and name in ("command", "health_check", "autoscaling") else value
    return replace(service, **changes)  # type: ignore[arg-type]


def _merged(
    declared: tuple[tuple[str, str | Endpoint], ...], given: tuple[tuple[str, str | Endpoint], ...]
) -> tuple[tuple[str, str | Endpoint], ...]:
    if not isinstance(given, tuple) or not all(isinstance(pair, tuple) and len(pair) == 2 for pair in given):
        return given  # malformed: left for the type check to report on the resolved service
    values = dict(declared)
    values.update(dict(given))
    return tuple(values.items())


UNEXPECTED_KEYWORD = re.compile(r"^(?P<cls>ServiceOverride|Environment)\.__init__\(\) got an unexpected keyword argument '(?P<arg>\w+)'$")


def explain_type_error(text: str, environment_fields: Iterable[str]) -> str | None:
    """A one-line reason for ``ServiceOverride(ports=...)`` or an unknown field, else ``None``.

    ``environment_fields`` are ``Environment``'s, passed in by ``topology.system`` so this module need not import it.
    """
    match = UNEXPECTED_KEYWORD.match(text)
    if match is None:
        return None
    cls, arg = match["cls"], match["arg"]
    if cls == "ServiceOverride" and arg in GRAPH_FIELDS:
        return (
            f"ServiceOverride({arg}=...): {arg!r} is part of the call graph, the same in every environment "
            "(names, ports and calls are set once, on the Service)"
        )
    if cls == "ServiceOverride":
        return f"ServiceOverride({arg}=...): no such field (one of: {', '.join(sorted(OVERRIDE_FIELDS))})"
    return f"Environment({arg}=...): no such field (one of: {', '.join(sorted(environment_fields))})"
