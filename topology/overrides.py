"""Per-environment values of one service or one front door: everything but what the proof is about.

An environment may give a service another image, other variables, secrets,
permissions, egress, scaling, sizing, ... (``ServiceOverride``). What callers and
security groups are built from (the service's name, its ports, its calls) is the
call graph and stays the system's: the same in every environment, so what the
checker proves of one environment holds for all of them.

A front door (``Entry``) likewise takes this environment's certificate, host names,
sources, web ACL, access logs and, on another team's load balancer, its listener
(``EntryOverride``); what the internet may reach (the entry's name, its routes'
services, ports and paths, whether it is internet-facing) stays the system's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Literal

from .entry import Entry, ExistingLoadBalancer, Listener
from .model import Autoscaling, Capacity, Deployment, Egress, Endpoint, HealthCheck, Permission, Secret, Service
from .types import type_problems

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
    tags: tuple[tuple[str, str], ...] | None = None
    """Tags merged by key into the service's declared ``tags`` (a key here wins); they land on its resources."""


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
        if name in ("environment", "tags"):
            value = _merged(getattr(service, name), value)
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


ENTRY_FIXED_FIELDS = ("name", "routes", "internet_facing")
"""Entry fields that are what the internet may reach: never per environment (a route's host changes through ``hosts``)."""


@dataclass(frozen=True, kw_only=True)
class EntryOverride:
    """One entry's values in one environment; a field left as ``None`` keeps the declared value.

    What the internet may reach is not here: the entry's name, its routes' services, ports and
    paths, and ``internet_facing`` are set once, on the ``Entry``, so what ``make verify`` proves
    of one environment's front door holds for every environment. A route's host name may differ
    (``hosts``). Every ARN given here is checked against this environment's account and region.
    """

    listeners: tuple[Listener, ...] | None = None
    """Replaces the declared listeners as a whole (ports, protocols, certificates, TLS policies, redirects)."""
    certificate_arn: str | None = None
    """The ACM certificate of every HTTPS listener (of ``listeners`` when given too): ACM certificates are regional,
    so an environment in another region or account needs its own."""
    hosts: Mapping[str, str] | None = None
    """A declared route host -> this environment's host, like ``{"shop.example.com": "shop.staging.example.com"}``
    (a wildcard host such as ``*.example.com`` is a key like any other); hosts not named keep their value."""
    allowed_sources: tuple[str, ...] | None = None
    """Replaces who may connect: CIDRs and prefix list IDs (``EVERYONE`` for every address)."""
    web_acl_arn: str | Literal[False] | None = None
    """This environment's regional WAFv2 web ACL; ``False``: none (no association)."""
    access_logs_bucket: str | Literal[False] | None = None
    """This environment's access-log bucket; ``False``: no access logs (the declared prefix goes with them)."""
    access_logs_prefix: str | Literal[False] | None = None
    """Key prefix of the access logs; ``False``: none (the bucket's root)."""
    idle_timeout_seconds: int | None = None
    """Connection idle timeout, 1-4000 seconds."""
    deletion_protection: bool | None = None
    """Deletion protection of the load balancer (a staging door that is torn down often may turn it off)."""
    drop_invalid_header_fields: bool | None = None
    """Drop HTTP headers whose names are not valid."""
    existing: ExistingLoadBalancer | None = None
    """This environment's listener and security group of the other team's load balancer; only for an entry declared
    with ``existing`` (an entry does not switch between its own load balancer and another team's per environment)."""


ENTRY_OVERRIDE_FIELDS = tuple(f.name for f in fields(EntryOverride))
_REMOVABLE = ("web_acl_arn", "access_logs_bucket", "access_logs_prefix")
"""Fields where ``False`` means "none in this environment" (they are optional on the Entry)."""


def apply_entry(entry: Entry, override: EntryOverride) -> Entry:
    """``entry`` with the override's values; never its name, its routes' targets or whether it faces the internet."""
    changes: dict[str, object] = {}
    for name in ENTRY_OVERRIDE_FIELDS:
        value = getattr(override, name)
        if value is not None and name not in ("certificate_arn", "hosts"):
            changes[name] = None if value is False and name in _REMOVABLE else value
    if override.access_logs_bucket is False and override.access_logs_prefix is None:
        changes["access_logs_prefix"] = None
    listeners = changes.get("listeners", entry.listeners)
    if override.certificate_arn is not None and isinstance(listeners, tuple):
        changes["listeners"] = tuple(_with_certificate(listener, override.certificate_arn) for listener in listeners)
    if isinstance(override.hosts, Mapping) and override.hosts:
        hosts = override.hosts
        changes["routes"] = tuple(replace(route, host=hosts.get(route.host, route.host)) if route.host else route for route in entry.routes)
    return replace(entry, **changes)  # type: ignore[arg-type]


def _with_certificate(listener: Listener, certificate_arn: str) -> Listener:
    if isinstance(listener, Listener) and listener.protocol == "HTTPS":
        return replace(listener, certificate_arn=certificate_arn)
    return listener


def entry_override_problems(where: str, entries: Iterable[Entry], overrides: object) -> Iterator[str]:
    """One line per bad ``Environment.entries`` value; ``where`` names the environment."""
    if not isinstance(overrides, Mapping):
        yield f"{where}: entries: must be a dict of entry name -> EntryOverride(...), got {type(overrides).__name__}"
        return
    declared = {entry.name: entry for entry in entries}
    for name, override in overrides.items():
        if name not in declared:
            yield f"{where}: entries: {name!r} is not a declared entry (declared: {', '.join(sorted(declared)) or 'none'})"
        elif not isinstance(override, EntryOverride):
            yield f"{where}: entries[{name!r}]: must be EntryOverride(...), got {type(override).__name__}"
        else:
            yield from _one_entry_problems(f"{where}: entries[{name!r}]", declared[name], override)


def _one_entry_problems(at: str, entry: Entry, override: EntryOverride) -> Iterator[str]:
    yield from type_problems(override, f"{at}.")
    for name in _REMOVABLE:
        value = getattr(override, name)
        if value is not None and value is not False and not isinstance(value, str):
            yield f"{at}.{name}: must be a string or False (none in this environment), got {type(value).__name__} {value!r}"
    yield from _hosts_problems(at, entry, override.hosts)
    listeners = override.listeners if override.listeners is not None else entry.listeners
    https = isinstance(listeners, tuple) and any(getattr(item, "protocol", None) == "HTTPS" for item in listeners)
    if override.certificate_arn is not None and isinstance(listeners, tuple) and not https:
        yield (
            f"{at}.certificate_arn: entry {entry.name!r} has no HTTPS listener (the certificate is given to each HTTPS listener; "
            "an entry on another team's listener has none)"
        )
    if override.existing is not None and entry.existing is None:
        yield (
            f"{at}.existing: entry {entry.name!r} creates its own load balancer in every environment; existing=... here "
            "replaces only the listener of an entry declared with Entry(existing=...)"
        )


def _hosts_problems(at: str, entry: Entry, hosts: object) -> Iterator[str]:
    if hosts is None:
        return
    if not isinstance(hosts, Mapping):
        yield f"{at}.hosts: must be a dict of declared host -> this environment's host, got {type(hosts).__name__}"
        return
    declared = sorted({route.host for route in entry.routes if route.host is not None})
    for key, value in hosts.items():
        if key not in declared:
            yield f"{at}.hosts: {key!r} is not the host of a route of entry {entry.name!r} (declared hosts: {', '.join(declared) or 'none'})"
        elif not isinstance(value, str):
            yield f"{at}.hosts[{key!r}]: must be a string (this environment's host), got {type(value).__name__} {value!r}"


UNEXPECTED_KEYWORD = re.compile(
    r"^(?P<cls>ServiceOverride|EntryOverride|Environment)\.__init__\(\) got an unexpected keyword argument '(?P<arg>\w+)'$"
)


def explain_type_error(text: str, environment_fields: Iterable[str]) -> str | None:
    """A one-line reason for ``ServiceOverride(ports=...)``, ``EntryOverride(routes=...)`` or an unknown field, else ``None``.

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
    if cls == "EntryOverride" and arg in ENTRY_FIXED_FIELDS:
        return (
            f"EntryOverride({arg}=...): {arg!r} is part of what the internet may reach, the same in every environment "
            "(an entry's name, routes and internet_facing are set once, on the Entry; hosts=... gives a route's host per environment)"
        )
    known = {"ServiceOverride": OVERRIDE_FIELDS, "EntryOverride": ENTRY_OVERRIDE_FIELDS}.get(cls, tuple(environment_fields))
    return f"{cls}({arg}=...): no such field (one of: {', '.join(sorted(known))})"
