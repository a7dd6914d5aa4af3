"""Values that belong to one account and region, checked against the environment that uses them.

An ARN names its region and account (``arn:aws:secretsmanager:<region>:<account>:...``),
so a prod value copied from staging is visible in the declaration: its account is the
staging account, or its region is not prod's. That holds for a front door's values too
(certificate, web ACL, another team's listener) as for a service's. IDs (``sg-``, ``pl-``, ``vpc-``, ``subnet-``)
do not say where they live; they are tied to an account and region through the
environments that use them: one ID used by two environments of different regions (a
security group, VPC or subnet also: of different accounts) is wrong in at least one.

Environments also must not collide in what AWS keys by name: two environments creating a
private DNS namespace of one name in one VPC (Route 53 ``ConflictingDomainExists``), an
HTTP namespace of one name in one account and region (Cloud Map ``NamespaceAlreadyExists``),
registering the same discovery names in one namespace (ECS: ``discoveryName`` is unique
in a namespace), or services of the same names in one cluster.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

from .endpoints import namespace_problems
from .entry import Entry
from .entry_rules import shared_listener_collisions
from .model import Service, Settings, Topology
from .patterns import ARN
from .resolved import ResolvedEnvironment

# Where an ID-shaped value sits in a service, and what must hold for two environments to share it.
ID_PREFIXES = {"sg-": "security group", "pl-": "prefix list", "vpc-": "VPC", "subnet-": "subnet"}


def service_arns(service: Service) -> Iterator[tuple[str, str]]:
    """``(field, arn)`` for every ARN a service names (secrets, keys, permissions, policies, TLS)."""
    for index, secret in enumerate(service.secrets):
        yield f"secrets[{index}].arn", secret.arn
        if secret.kms_key_arn is not None:
            yield f"secrets[{index}].kms_key_arn", secret.kms_key_arn
    for index, permission in enumerate(service.permissions):
        for number, resource in enumerate(permission.resources):
            yield f"permissions[{index}].resources[{number}]", resource
    for index, policy in enumerate(service.managed_policies):
        yield f"managed_policies[{index}]", policy
    for index, port in enumerate(service.ports):
        if port.tls is not None:
            for name in ("ca_arn", "kms_key", "role_arn"):
                value = getattr(port.tls, name)
                if value is not None:
                    yield f"ports[{index}].tls.{name}", value


def entry_arns(entry: Entry) -> Iterator[tuple[str, str]]:
    """``(field, arn)`` for every ARN a front door names: its certificates, its web ACL, another team's listener."""
    for index, listener in enumerate(entry.listeners):
        if listener.certificate_arn is not None:
            yield f"listeners[{index}].certificate_arn", listener.certificate_arn
    if entry.web_acl_arn is not None:
        yield "web_acl_arn", entry.web_acl_arn
    if entry.existing is not None:
        yield "existing.listener_arn", entry.existing.listener_arn


def named_arns(topology: Topology) -> Iterator[tuple[str, str, str]]:
    """``(owner, field, arn)``: every ARN of the services, then of the entries; ``owner`` is ``service 'x'`` or ``entry 'x'``."""
    for service in topology.services:
        for where, arn in service_arns(service):
            yield f"service {service.name!r}", where, arn
    for entry in topology.entries:
        for where, arn in entry_arns(entry):
            yield f"entry {entry.name!r}", where, arn


def service_ids(service: Service) -> Iterator[tuple[str, str]]:
    """``(field, id)`` for the security groups and prefix lists a service's egress names."""
    for index, rule in enumerate(service.egress):
        if rule.security_group_id is not None:
            yield f"egress[{index}].security_group_id", rule.security_group_id
        if rule.prefix_list_id is not None:
            yield f"egress[{index}].prefix_list_id", rule.prefix_list_id


def entry_ids(entry: Entry) -> Iterator[tuple[str, str]]:
    """``(field, id)`` for the prefix lists an entry admits and another team's load balancer group."""
    for index, source in enumerate(entry.allowed_sources or ()):
        if isinstance(source, str) and source.startswith("pl-"):
            yield f"allowed_sources[{index}]", source
    if entry.existing is not None:
        yield "existing.security_group_id", entry.existing.security_group_id


def arn_problems(topology: Topology, settings: Settings) -> Iterator[str]:
    """An ARN of another region than ``settings.region``, or of another account than ``settings.account_id``."""
    for owner, where, arn in named_arns(topology):
        match = ARN.match(arn) if isinstance(arn, str) else None
        if match is None:
            continue  # not an ARN at all: the field's own rule says so
        yield from _arn_place_problems(f"{owner}: {where}", arn, match, settings)


def _arn_place_problems(at: str, arn: str, match: re.Match[str], settings: Settings) -> Iterator[str]:
    """An ARN without a region (S3, IAM) or ``*`` passes the region check; an AWS-managed one the account check."""
    region, account = match["region"], match["account"]
    if region not in ("", "*") and region != settings.region:
        yield f"{at}: {arn!r} is in region {region}, but it is deployed to region {settings.region}"
    allowed = (settings.account_id, *settings.trusted_accounts)
    if account not in ("", "*", "aws") and settings.account_id is not None and account not in allowed:
        yield f"{at}: {arn!r} is in account {account}, but it is deployed to account {settings.account_id}"


@dataclass(frozen=True)
class _Use:
    environment: str
    account: str | None
    region: str
    where: str


def shared_problems(deployments: list[ResolvedEnvironment]) -> list[str]:
    """What the environments of one system cannot share; one line each, the later environment named first."""
    namespaces = {str(d.environment): d.settings.network.namespace for d in deployments}
    stale = [
        line
        for d in deployments
        for line in namespace_problems(
            {k: v for k, v in namespaces.items() if k != d.environment}, d.topology, d.settings.network.namespace, str(d.environment)
        )
    ]
    listeners = list(shared_listener_collisions([(f"environment {d.environment!r}: ", e) for d in deployments for e in d.topology.entries]))
    return [
        *_foreign_accounts(deployments),
        *_shared_ids(deployments),
        *_shared_names(deployments),
        *_shared_projects(deployments),
        *listeners,
        *stale,
    ]


def _shared_projects(deployments: list[ResolvedEnvironment]) -> Iterator[str]:
    """Two environments of one project name in one account: IAM role names (IAM is global) collide in any region,
    and load balancer and target group names (unique per account and region) in one region."""
    for first, later in combinations(deployments, 2):
        a, b = first.settings, later.settings
        if a.project != b.project or not _same_account(a, b):
            continue
        clash = "IAM role names (IAM is global to the account)"
        if a.region == b.region and (first.topology.entries or later.topology.entries):
            clash += f", and load balancer and target group names in {b.region}"
        yield (
            f"environment {later.environment!r}: project: {b.project!r} is also environment {first.environment!r}'s{_maybe(a, b)}; "
            f"their {clash} would collide (give each environment its own project)"
        )


def _foreign_accounts(deployments: list[ResolvedEnvironment]) -> Iterator[str]:
    """Without its own ``account_id``, an environment still must not name another environment's account."""
    owners = {d.settings.account_id: d.environment for d in deployments if d.settings.account_id is not None}
    for deployment in deployments:
        if deployment.settings.account_id is not None:
            continue  # validate() compares with its own account
        for named, where, arn in named_arns(deployment.topology):
            match = ARN.match(arn) if isinstance(arn, str) else None
            owner = owners.get(match["account"]) if match else None
            trusted = match is not None and match["account"] in deployment.settings.trusted_accounts
            if match and owner is not None and owner != deployment.environment and not trusted:
                yield (
                    f"environment {deployment.environment!r}: {named}: {where}: {arn!r} is in account "
                    f"{match['account']}, the account of environment {owner!r} (set this environment's account_id)"
                )


def _shared_ids(deployments: list[ResolvedEnvironment]) -> Iterator[str]:
    uses: dict[str, list[_Use]] = {}
    for deployment in deployments:
        settings, name = deployment.settings, str(deployment.environment)
        for service in deployment.topology.services:
            for where, value in service_ids(service):
                uses.setdefault(value, []).append(_Use(name, settings.account_id, settings.region, f"service {service.name!r}: {where}"))
        for entry in deployment.topology.entries:
            for where, value in entry_ids(entry):
                uses.setdefault(value, []).append(_Use(name, settings.account_id, settings.region, f"entry {entry.name!r}: {where}"))
        existing = settings.network.existing
        if existing is not None:
            uses.setdefault(existing.vpc_id, []).append(_Use(name, settings.account_id, settings.region, "existing.vpc_id"))
            for index, subnet in enumerate(existing.private_subnet_ids):
                uses.setdefault(subnet, []).append(
                    _Use(name, settings.account_id, settings.region, f"existing.private_subnet_ids[{index}]")
                )
    for value, found in uses.items():
        kind = next((noun for prefix, noun in ID_PREFIXES.items() if value.startswith(prefix)), "resource")
        for first, later in combinations(found, 2):
            if first.environment == later.environment:
                continue
            if first.region != later.region:
                yield (
                    f"environment {later.environment!r}: {later.where}: {value!r} is also used by environment {first.environment!r} "
                    f"in region {first.region}; a {kind} belongs to one region (give each environment its own)"
                )
            elif kind != "prefix list" and None not in (first.account, later.account) and first.account != later.account:
                yield (
                    f"environment {later.environment!r}: {later.where}: {value!r} is also used by environment {first.environment!r} "
                    f"in account {first.account}; a {kind} belongs to one account (give each environment its own)"
                )


def _same_account(a: Settings, b: Settings) -> bool:
    """True unless both accounts are known and differ: what is not known to be apart may collide (fail closed)."""
    return a.account_id is None or b.account_id is None or a.account_id == b.account_id


def _shared_names(deployments: list[ResolvedEnvironment]) -> Iterator[str]:
    for first, later in combinations(deployments, 2):
        a, b = first.settings, later.settings
        if a.region != b.region:
            continue
        line = _namespace_clash(first, later)
        if line is not None:
            yield f"environment {later.environment!r}: {line}"
        if _same_account(a, b) and a.network.cluster_name == b.network.cluster_name:
            yield (
                f"environment {later.environment!r}: cluster_name: {b.network.cluster_name!r} is also environment "
                f"{first.environment!r}'s cluster in {b.region}{_maybe(a, b)}; ECS service names are unique in a cluster "
                "(give each environment its own cluster_name)"
            )


def _namespace_clash(first: ResolvedEnvironment, later: ResolvedEnvironment) -> str | None:
    a, b = first.settings.network, later.settings.network
    if a.namespace.lower() != b.namespace.lower() or a.namespace_type != b.namespace_type:
        return None
    name, other = b.namespace, repr(first.environment)
    reads = any(net.existing is not None and net.existing.use_existing_namespace for net in (a, b))
    same_vpc = a.existing is not None and b.existing is not None and a.existing.vpc_id == b.existing.vpc_id
    maybe = _maybe(first.settings, later.settings)
    fix = "give each environment its own namespace (Environment(namespace=...))"
    if reads and _same_account(first.settings, later.settings) and _servers(later.topology):
        return (
            f"namespace: {name!r} is also environment {other}'s{maybe}, so both register the discovery names "
            f"{', '.join(_servers(later.topology))} in it; ECS requires a discoveryName to be unique in a namespace ({fix})"
        )
    if reads:
        return None
    if b.namespace_type == "private_dns" and same_vpc:
        assert b.existing is not None
        return (
            f"namespace: environment {other} also creates the private DNS namespace {name!r} in {b.existing.vpc_id}; "
            f"Route 53 refuses a second zone of that name in one VPC (ConflictingDomainExists) ({fix})"
        )
    if b.namespace_type == "http" and _same_account(first.settings, later.settings):
        return (
            f"namespace: environment {other} also creates the HTTP namespace {name!r} in {later.settings.region}{maybe}; "
            f"Cloud Map refuses a second of that name in one account and region (NamespaceAlreadyExists) ({fix})"
        )
    return None


def _maybe(a: Settings, b: Settings) -> str:
    """Why two environments count as one account: the same ID, or an ID that is not declared."""
    return "" if a.account_id is not None and a.account_id == b.account_id else " (account_id is not set on both, so possibly one account)"


def _servers(topology: Topology) -> list[str]:
    return [port.effective_discovery_name for service in topology.services for port in service.ports]
