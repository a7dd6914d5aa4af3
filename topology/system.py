"""A system: the team's own declaration, found by module name, in one or several environments.

A *system* is any importable Python module that defines ``TOPOLOGY`` (a
``Topology``) and optionally ``SETTINGS`` (a ``Settings``) and ``ENVIRONMENTS``
(a tuple of ``Environment``). Nothing is registered anywhere: ``SYSTEM=acme.shop``
(make) or ``INTERNAL_API_SYSTEM=acme.shop`` (plain ``cdktf``) names it.

An environment changes *where*, *how big* and *with what*, never *who may call
whom*: it overrides settings (account, region, zones, NAT, state, log retention,
existing network, namespace, ...), any service field but names, ports and calls
(``ServiceOverride``: image, variables, secrets, permissions, egress, scaling, ...)
and a front door's certificate, hosts, sources, WAF and logs (``EntryOverride``);
the call graph and what the internet may reach stay the system's. Each environment gets
its own pair of stacks (``network-<env>``, ``services-<env>``) and so its own
state; a system without environments keeps ``network`` and ``services``.

A system may also define ``STACKS``, a tuple of functions that add the team's own constructs: each is called
once per environment with that environment's built stacks and their typed handles (``stacks.app.Built``), and
may add to the services stack or make a stack of its own (``built.stack("alarms")``: ``alarms-<env>``), which
every runner command deploys in dependency order beside the pair.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from .accounts import shared_problems
from .entry import Entry
from .errors import UserError
from .model import ExistingNetwork, NamespaceType, NatMode, S3State, Settings, Skip, Topology
from .overrides import EntryOverride, ServiceOverride, apply, apply_entry, entry_override_problems, explain_type_error
from .overrides import Sizing as Sizing  # the older name, importable from here as before
from .patterns import ACCOUNT_ID, ACCOUNT_ID_RULE
from .resolved import ResolvedEnvironment

T = TypeVar("T")

DEFAULT_SYSTEM = "examples.article"
"""What every command acts on when no system is named: the article's two services."""

ENV_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")
ENV_NAME_RULE = "1-10 lowercase letters or digits, starting with a letter"


class SelectionError(UserError):
    """A system that cannot be loaded or selected; the message is one line for the user."""


@dataclass(frozen=True, kw_only=True)
class Environment:
    """One place the system runs (dev, staging, prod): settings, per-service and per-entry values, same call graph.

    Every field left as ``None`` keeps the system's ``SETTINGS`` value, with two
    exceptions that let environments live side by side in one account without
    name clashes: ``project`` defaults to ``<project>-<env>`` and ``cluster_name``
    to ``<cluster_name>-<env>``. The Service Connect namespace stays the system's
    unless ``namespace`` says otherwise, so by default the endpoints
    (``http://api.serviceconnectns:8080``) are identical everywhere.
    """

    name: str
    """Suffix of the stack names (``network-<name>``, ``services-<name>``) and of their state."""
    account_id: str | None = None
    """The AWS account this environment must be deployed to (the provider's ``allowed_account_ids``)."""
    region: str | None = None
    """The AWS region; ARNs named by this environment's services must be of it (or of no region)."""
    availability_zones: tuple[str, ...] | None = None
    """Zones of the created VPC, in ``region``."""
    cidr: str | None = None
    """CIDR of the created VPC."""
    nat: NatMode | None = None
    """NAT gateways of the created VPC: ``per_az`` or ``single``."""
    project: str | None = None
    """Tag value and name prefix; ``<project>-<name>`` if unset."""
    cluster_name: str | None = None
    """ECS cluster; ``<cluster_name>-<name>`` if unset."""
    container_insights: bool | None = None
    """CloudWatch Container Insights on the cluster."""
    flow_logs: bool | None = None
    """VPC flow logs of the created VPC."""
    log_retention_days: int | None = None
    """Retention of every log group of this environment."""
    state: S3State | None = None
    """Remote state for this environment; keys are ``<key_prefix>/<stack>.tfstate``, so distinct per environment."""
    namespace: str | None = None
    """This environment's Service Connect namespace; the system's if unset. Environments that share a VPC
    (one ``existing.vpc_id``) or, with an HTTP namespace, an account and region need one each."""
    existing: ExistingNetwork | None = None
    """This environment's existing VPC, subnets (and cluster, namespace); the system's if unset."""
    namespace_type: NamespaceType | None = None
    """``private_dns`` or ``http``; the system's if unset."""
    trusted_accounts: tuple[str, ...] | None = None
    """Accounts besides ``account_id`` whose ARNs this environment's values may name (a shared-services account);
    the system's ``Settings.trusted_accounts`` if unset."""
    services: Mapping[str, ServiceOverride] = field(default_factory=dict)
    """Per service name: the values this environment gives it (``ServiceOverride``); names, ports and calls excluded."""
    sizing: Mapping[str, ServiceOverride] = field(default_factory=dict)
    """The older spelling of ``services`` (``Sizing`` is ``ServiceOverride``); a service may be in one of the two."""
    entries: Mapping[str, EntryOverride] = field(default_factory=dict)
    """Per entry name: this environment's front-door values (``EntryOverride``: certificate, hosts, sources, WAF,
    logs); its routes' targets and ``internet_facing`` excluded."""
    tags: tuple[tuple[str, str], ...] = ()
    """``(key, value)`` tags of every resource of this environment, added to ``Settings.tags`` (a key here wins)."""
    checkov_skips: tuple[Skip, ...] = ()
    """checkov checks only this environment's stacks may fail (like a short log retention in staging), each
    with its reason; added to ``Settings.checkov_skips``."""


StackHook = Callable[..., object]
"""A function of ``STACKS``: it receives one environment's ``stacks.app.Built`` (typed there: this folder has no cdktf)."""


@dataclass(frozen=True, kw_only=True)
class System:
    """What a system module declares."""

    module: str
    topology: Topology
    settings: Settings
    environments: tuple[Environment, ...] = ()
    stacks: tuple[StackHook, ...] = ()
    """The module's ``STACKS``: functions called once per environment to add the team's own constructs and stacks."""

    def environment_names(self) -> list[str]:
        return [environment.name for environment in self.environments]


def load_system(module_name: str) -> System:
    """Import ``module_name`` and read its declaration; ``SelectionError`` (one line) if it is not a system."""
    module = _import(module_name)
    topology = getattr(module, "TOPOLOGY", None)
    if topology is None:
        raise SelectionError(
            f"system {module_name!r}: the module defines no TOPOLOGY "
            "(a system module sets TOPOLOGY = Topology(...), and optionally SETTINGS and ENVIRONMENTS)"
        )
    if not isinstance(topology, Topology):
        raise SelectionError(f"system {module_name!r}: TOPOLOGY is a {type(topology).__name__}, not a Topology")
    settings = getattr(module, "SETTINGS", None) or Settings()
    if not isinstance(settings, Settings):
        raise SelectionError(f"system {module_name!r}: SETTINGS is a {type(settings).__name__}, not a Settings")
    environments = getattr(module, "ENVIRONMENTS", ())
    if not isinstance(environments, (tuple, list)) or not all(isinstance(e, Environment) for e in environments):
        raise SelectionError(f"system {module_name!r}: ENVIRONMENTS must be a tuple of Environment(...)")
    hooks = getattr(module, "STACKS", ())
    if not isinstance(hooks, (tuple, list)) or not all(callable(hook) for hook in hooks):
        raise SelectionError(f"system {module_name!r}: STACKS must be a tuple of functions, each taking one environment's Built")
    return System(module=module_name, topology=topology, settings=settings, environments=tuple(environments), stacks=tuple(hooks))


def _import(module_name: str) -> ModuleType:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", module_name):
        raise SelectionError(f"system {module_name!r}: not a Python module name (write a dotted name like 'examples.chain' or 'acme.shop')")
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name or module_name.startswith(f"{error.name}.")):
            raise SelectionError(
                f"system {module_name!r}: no such module on the import path "
                "(put it under the project root, e.g. acme/shop.py for 'acme.shop', or add its folder to PYTHONPATH)"
            ) from None
        raise SelectionError(f"system {module_name!r}: importing it failed: {one_line(error)}") from None
    except Exception as error:  # the user's module raised: say where, in one line
        raise SelectionError(f"system {module_name!r}: importing it failed: {one_line(error)}") from None


def _importable_path(filename: str) -> str:
    """``acme/shop.py``: the file as seen from its import-path root (no machine path in the message)."""
    path = Path(filename).resolve()
    for root in sys.path:
        try:
            return path.relative_to(Path(root or ".").resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def one_line(error: BaseException) -> str:
    """What the user's code raised, in one line: the error and where (its file, as imported, and line)."""
    if isinstance(error, SyntaxError) and error.filename:  # raised by the compiler: its frames are importlib's, not the user's
        column = f", column {error.offset}" if error.offset else ""
        return f"{type(error).__name__}: {error.msg} ({_importable_path(error.filename)}, line {error.lineno}{column})"
    where = ""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    if trace is not None:
        where = f" ({trace.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}, line {trace.tb_lineno})"
    text = " ".join(str(error).split())
    explained = explain_type_error(text, (f.name for f in fields(Environment))) if isinstance(error, TypeError) else None
    if explained is not None:
        return f"{explained}{where}"
    return f"{type(error).__name__}: {text}{where}"


def deployments(system: System, environment: str | None = None) -> list[ResolvedEnvironment]:
    """The selected environment, or every environment (``None``), or the system itself when it declares none."""
    if not system.environments:
        if environment:
            raise SelectionError(f"system {system.module!r} declares no environments, so ENV={environment!r} cannot be selected (drop ENV)")
        return [ResolvedEnvironment(environment=None, topology=system.topology, settings=system.settings)]
    chosen = system.environments
    if environment:
        chosen = tuple(e for e in system.environments if e.name == environment)
        if not chosen:
            declared = ", ".join(system.environment_names())
            raise SelectionError(f"system {system.module!r}: environment {environment!r} is not declared (declared: {declared})")
    return [resolve(system, env) for env in chosen]


def merged_tags(base: tuple[tuple[str, str], ...], over: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """``base`` with ``over`` laid on it, key by key: a key of ``over`` replaces the same key of ``base`` in place."""
    merged = dict(base)
    merged.update(over)
    return tuple(merged.items())


def resolve(system: System, environment: Environment) -> ResolvedEnvironment:
    """Apply an environment's overrides; they never touch ports, calls or what an entry routes."""
    base = system.settings
    net = base.network
    network = replace(
        net,
        cidr=_pick(environment.cidr, net.cidr),
        availability_zones=_pick(environment.availability_zones, net.availability_zones),
        nat=_pick(environment.nat, net.nat),
        cluster_name=_pick(environment.cluster_name, f"{net.cluster_name}-{environment.name}"),
        namespace=_pick(environment.namespace, net.namespace),
        namespace_type=_pick(environment.namespace_type, net.namespace_type),
        existing=_pick(environment.existing, net.existing),
        container_insights=_pick(environment.container_insights, net.container_insights),
        flow_logs=_pick(environment.flow_logs, net.flow_logs),
    )
    settings = replace(
        base,
        account_id=_pick(environment.account_id, base.account_id),
        region=_pick(environment.region, base.region),
        project=_pick(environment.project, f"{base.project}-{environment.name}"),
        network=network,
        log_retention_days=_pick(environment.log_retention_days, base.log_retention_days),
        state=_pick(environment.state, base.state),
        checkov_skips=base.checkov_skips + environment.checkov_skips,
        trusted_accounts=_pick(environment.trusted_accounts, base.trusted_accounts),
        tags=merged_tags(base.tags, environment.tags),
    )
    overrides = {**environment.sizing, **environment.services}
    services = tuple(
        apply(service, overrides[service.name]) if service.name in overrides else service for service in system.topology.services
    )
    return ResolvedEnvironment(
        environment=environment.name,
        topology=replace(system.topology, services=services, entries=_entries(system, environment)),
        settings=settings,
    )


def _entries(system: System, environment: Environment) -> tuple[Entry, ...]:
    """The system's entries with this environment's ``EntryOverride`` applied (a malformed one is reported, not applied)."""
    overrides = environment.entries if isinstance(environment.entries, Mapping) else {}
    return tuple(
        apply_entry(entry, overrides[entry.name]) if isinstance(overrides.get(entry.name), EntryOverride) else entry
        for entry in system.topology.entries
    )


def _pick(value: T | None, default: T) -> T:
    return default if value is None else value


def environment_problems(system: System) -> list[str]:
    """One line per bad environment: names, accounts, overrides of undeclared services; then what environments
    cannot share (``topology.accounts``), once each environment resolves."""
    problems: list[str] = []
    seen: set[str] = set()
    for index, environment in enumerate(system.environments):
        where = f"environment {environment.name!r}"
        if not isinstance(environment.name, str) or not ENV_NAME.match(environment.name):
            problems.append(f"environments[{index}]: name: {environment.name!r} must be {ENV_NAME_RULE}")
            continue
        if environment.name in seen:
            problems.append(f"{where}: name: declared more than once (environment names must be unique)")
        seen.add(environment.name)
        trusted = environment.trusted_accounts or ()
        for key, account in [("account_id", environment.account_id), *(("trusted_accounts", a) for a in trusted)]:
            if account is not None and not (isinstance(account, str) and ACCOUNT_ID.match(account)):
                problems.append(f"{where}: {key}: {account!r} {ACCOUNT_ID_RULE}")
        problems += _override_problems(system, environment)
    if problems:
        return problems
    return shared_problems([resolve(system, environment) for environment in system.environments])


def _override_problems(system: System, environment: Environment) -> list[str]:
    where = f"environment {environment.name!r}"
    known = [service.name for service in system.topology.services]
    problems: list[str] = []
    for key in ("sizing", "services"):
        overrides = getattr(environment, key)
        if not isinstance(overrides, Mapping):
            problems.append(f"{where}: {key}: must be a dict of service name -> ServiceOverride(...)")
            continue
        for name, override in overrides.items():
            if name not in known:
                problems.append(f"{where}: {key}: {name!r} is not a declared service (declared: {', '.join(sorted(known))})")
            elif not isinstance(override, ServiceOverride):
                problems.append(f"{where}: {key}[{name!r}]: must be ServiceOverride(...) (or Sizing(...)), got {type(override).__name__}")
            elif key == "services" and isinstance(environment.sizing, Mapping) and name in environment.sizing:
                problems.append(f"{where}: services[{name!r}]: also in sizing; give all of its values in one ServiceOverride")
    return [*problems, *entry_override_problems(where, system.topology.entries, environment.entries)]
