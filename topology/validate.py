"""Reject a bad declaration before anything is synthesized.

Every problem is one line: ``service 'x': field: what is wrong (what is allowed)``.
All problems are collected, so a user fixes them in one pass. Where a rule is an
AWS limit, the comment above it names the API field whose documentation states it.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from collections.abc import Iterator

from .accounts import arn_problems
from .endpoints import endpoint_host, endpoint_problems
from .entry import Entry
from .entry_rules import entry_problems, everyone_warnings
from .errors import UserError
from .extras import grant_problems, resource_problems
from .graph import call_edges, callers_by_server, find_cycle
from .iam import permission_problems
from .limits import FARGATE_SIZES, HEALTH_CHECK_LIMITS, LOG_RETENTION_DAYS, RULES_PER_SECURITY_GROUP
from .model import (
    PROJECT_TAG_KEYS,
    Autoscaling,
    Capacity,
    Deployment,
    Egress,
    Endpoint,
    ExistingNetwork,
    Port,
    Secret,
    Service,
    Settings,
    Skip,
    Topology,
)
from .patterns import (
    ACCOUNT_ID,
    ACCOUNT_ID_RULE,
    AWS_MANAGED_POLICY_ARN,
    KMS_KEY_ARN,
    NAMESPACE_ARN,
    NAMESPACE_ID,
    PCA_ARN,
    PREFIX_LIST_ID,
    SECRETS_MANAGER_ARN,
    SECURITY_GROUP_ID,
    SSM_PARAMETER_ARN,
    SUBNET_ID,
    VPC_ID,
)
from .patterns import NAME_LABEL as SERVICE_NAME
from .patterns import NAME_LABEL_RULE as SERVICE_NAME_RULE
from .regions import region_problem
from .types import type_problems

# ECS PortMapping.name, ServiceConnectService.portName / discoveryName:
# "up to 64 characters ... lowercase letters, numbers, underscores (_) and hyphens (-).
#  The name can't start with a hyphen."
PORT_NAME = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,63}$")
PORT_NAME_RULE = "1-64 characters of lowercase letters, digits, '-' or '_', not starting with '-'"

# RFC 1035 labels; ECS ServiceConnectClientAlias.dnsName allows up to 127 characters.
DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
DNS_NAME_RULE = "dot-separated DNS labels (1-63 lowercase letters, digits or '-', not starting or ending with '-'), at most 127 characters"

# ECS Cluster.clusterName: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens".
CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")

PROJECT = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CYCLE_REASON = (
    "refused because Service Connect writes a task's /etc/hosts names for the servers it calls when the task starts, "
    "so a server must run before its callers, and in a cycle one side would start without the other's name; "
    "instead, make one direction asynchronous (a queue or topic both reach through their egress), "
    "or merge the services, or move what both need into a third service that both call"
)
CHECKOV_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")


SCHEDULE = re.compile(
    r"^(cron\((\S+ ){5}\S+\)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$"
)


# ECS: "we recommend adding 256 CPU units and at least 64 MiB of memory to your task CPU and memory for
# the Service Connect container" (Service Connect concepts, "Proxy").
PROXY_CPU_UNITS = 256


class TopologyError(UserError):
    """A declaration that cannot be deployed; ``lines`` holds one message per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def check(topology: Topology, settings: Settings) -> None:
    """Raise ``TopologyError`` listing every problem, or return if there is none."""
    problems = validate(topology, settings)
    if problems:
        raise TopologyError(problems)


def validate(topology: Topology, settings: Settings) -> list[str]:
    """One line per problem; wrong types first and alone (every later rule assumes the declared types)."""
    typed = list(_type_problems(topology, settings))
    if typed:
        return typed
    return [
        *_settings_problems(settings),
        *_topology_problems(topology, settings),
        *_adoption_problems(topology, settings),
        *entry_problems(topology, settings),
        *arn_problems(topology, settings),
        *own_resource_problems(topology),
    ]


def own_resource_problems(topology: Topology) -> Iterator[str]:
    """The team's own resources and each service's grants to them (topology/extras.py)."""
    yield from resource_problems(topology.resources)
    for service in topology.services:
        yield from grant_problems(service.name, service.grants, topology.resources)


def _adoption_problems(topology: Topology, settings: Settings) -> Iterator[str]:
    existing = settings.network.existing
    if existing is None or existing.adopt is None:
        return
    adopt, where = existing.adopt, "settings: network.existing.adopt"
    if adopt.cluster and existing.use_existing_cluster:
        yield f"{where}.cluster: the cluster is read (use_existing_cluster), so it cannot also be imported; choose one"
    if adopt.namespace_id is not None:
        if existing.namespace_id is not None:
            yield f"{where}.namespace_id: the namespace is read (network.existing.namespace_id), so it cannot also be imported; choose one"
        if not NAMESPACE_ID.fullmatch(adopt.namespace_id):
            yield f"{where}.namespace_id: {adopt.namespace_id!r} is not a Cloud Map namespace ID (like 'ns-abcdefgh12345678')"
    names = [service.name for service in topology.services]
    seen: set[str] = set()
    for index, adopted in enumerate(adopt.services):
        at = f"{where}.services[{index}]"
        if adopted.name not in names:
            yield f"{at}.name: {adopted.name!r} is not a declared service (declared: {', '.join(names)})"
            continue
        if adopted.name in seen:
            yield f"{at}.name: {adopted.name!r} is adopted twice"
        seen.add(adopted.name)
        if adopted.security_group_id is not None and not SECURITY_GROUP_ID.match(adopted.security_group_id):
            yield f"{at}.security_group_id: {adopted.security_group_id!r} is not a security group ID (like 'sg-0123456789abcdef0')"
        service = topology.service(adopted.name)
        callers = [caller for caller, server in call_edges(topology) if server == adopted.name]
        keys = {caller for caller in callers} if len(service.ports) == 1 else set()
        keys |= {f"{caller}:{port.name}" for caller in callers for port in service.ports}
        for caller, rule in adopted.ingress_rule_ids:
            if caller not in keys:
                yield f"{at}.ingress_rule_ids: {caller!r} is not a declared caller of {adopted.name!r} (one of: {', '.join(sorted(keys)) or 'none'})"
            if not re.fullmatch(r"sgr-[0-9a-f]{8,17}", rule):
                yield f"{at}.ingress_rule_ids: {rule!r} is not a security group rule ID (like 'sgr-0123456789abcdef0')"
        if adopted.ingress_rule_ids and adopted.security_group_id is None:
            yield f"{at}.ingress_rule_ids: rules can only be adopted with their security group (set security_group_id)"


def warnings(topology: Topology, settings: Settings) -> list[str]:
    """Lines about a valid declaration that AWS's guidance says will serve badly; they do not stop synth."""
    lines = []
    small = [service.name for service in topology.services if service.cpu < PROXY_CPU_UNITS * 2]
    if small and not _seed_sizing(topology):
        lines.append(
            f"services {', '.join(map(repr, small))}: cpu {PROXY_CPU_UNITS} is shared with the Service Connect proxy; AWS recommends "
            f"{PROXY_CPU_UNITS} more units for it (cpu=512; docs/architecture.md)"
        )
    lines += everyone_warnings(topology)
    for service in topology.services:
        where = f"service {service.name!r}"
        if service.is_server and service.health_check is None:
            lines.append(f"{where}: health_check: not set; Service Connect then sends callers' traffic to new tasks before the app answers")
    return lines


def _seed_sizing(topology: Topology) -> bool:
    """Every service at the default size (the article's seed): a size chosen on purpose, whose advice is in the docs."""
    return all((service.cpu, service.memory) == (Service.cpu, Service.memory) for service in topology.services)


def _type_problems(topology: Topology, settings: Settings) -> Iterator[str]:
    yield from type_problems(settings, "settings: ")
    if not isinstance(topology.services, tuple):
        yield from type_problems(topology, "topology: ")
        return
    for index, service in enumerate(topology.services):
        if not isinstance(service, Service):
            yield f"topology: services[{index}]: must be Service(...), got {type(service).__name__}"
            continue
        yield from type_problems(service, f"service {service.name!r}: ")
    if not isinstance(topology.entries, tuple):
        yield f"topology: entries: must be a tuple of Entry(...), got {type(topology.entries).__name__}"
        return
    for index, entry in enumerate(topology.entries):
        if not isinstance(entry, Entry):
            yield f"topology: entries[{index}]: must be Entry(...), got {type(entry).__name__}"
            continue
        yield from type_problems(entry, f"entry {entry.name!r}: ")


def dns_name_ok(name: str) -> bool:
    return len(name) <= 127 and all(DNS_LABEL.match(label) for label in name.split("."))


ACCEPTED_ADDRESS = re.compile(r"([A-Za-z0-9_-]+:)?(data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*")


def _settings_problems(settings: Settings) -> Iterator[str]:
    net = settings.network
    if not REGION.match(settings.region):
        yield f"settings: region: {settings.region!r} is not an AWS region name (like 'ap-northeast-1')"
    else:
        yield from region_problem("settings: region", settings.region)
    if not PROJECT.match(settings.project):
        yield f"settings: project: {settings.project!r} must be 1-20 characters of lowercase letters, digits or '-', starting with a letter"
    if settings.log_retention_days not in LOG_RETENTION_DAYS:
        yield f"settings: log_retention_days: {settings.log_retention_days} is not accepted by CloudWatch Logs (one of {', '.join(map(str, LOG_RETENTION_DAYS))})"
    yield from _cidr_problems(net.cidr, net.az_count)
    if net.existing is None:  # an existing VPC's subnets are in the zones their owner chose: nothing to check here
        yield from _zone_problems(net.availability_zones, settings.region)
    if net.nat not in ("per_az", "single"):
        yield f"settings: network.nat: {net.nat!r} must be 'per_az' or 'single'"
    if not CLUSTER_NAME.match(net.cluster_name):
        yield f"settings: network.cluster_name: {net.cluster_name!r} must be 1-255 letters, digits, '-' or '_'"
    if not dns_name_ok(net.namespace.lower()):
        yield f"settings: network.namespace: {net.namespace!r} must be {DNS_NAME_RULE}"
    if net.namespace_type not in ("private_dns", "http"):
        yield f"settings: network.namespace_type: {net.namespace_type!r} must be 'private_dns' or 'http'"
    if net.existing is not None:
        yield from _existing_problems(net.existing)
    yield from _skip_problems(settings.checkov_skips)
    yield from tag_problems("settings: tags", settings.tags)
    for index, account in enumerate(settings.trusted_accounts):
        if not ACCOUNT_ID.match(account):
            yield f"settings: trusted_accounts[{index}]: {account!r} {ACCOUNT_ID_RULE}"
    if not re.fullmatch(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*", settings.local_state_dir):
        yield f"settings: local_state_dir: {settings.local_state_dir!r} must be a relative folder inside the project (letters, digits, '-', '_', '/')"
    for index, accepted in enumerate(settings.accepted):
        if not ACCEPTED_ADDRESS.fullmatch(accepted.address) or not accepted.reason.strip():
            yield f"settings: accepted[{index}]: {accepted.address!r} needs an address like 'aws_sns_topic.alerts' (or 'data.<type>.<name>', '<stack>:' first allowed) and a reason"
    for index, excluded in enumerate(settings.excluded_stacks):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", excluded.stack) or not excluded.reason.strip():
            yield f"settings: excluded_stacks[{index}]: {excluded.stack!r} needs a stack name (letters, digits, '-', '_') and a reason"
    if settings.state is not None:
        if not settings.state.bucket:
            yield "settings: state.bucket: must name an S3 bucket"
        if not REGION.match(settings.state.region):
            yield f"settings: state.region: {settings.state.region!r} is not an AWS region name"
        else:
            yield from region_problem("settings: state.region", settings.state.region)


TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
"""What AWS accepts in a tag key or value in every service: letters, digits, spaces and ``_ . : / = + - @``."""


def tag_problems(where: str, tags: tuple[tuple[str, str], ...]) -> Iterator[str]:
    """AWS's tag rules (key 1-128 characters, value up to 256, no ``aws:`` prefix) and the project's own keys."""
    seen: set[str] = set()
    for index, (key, value) in enumerate(tags):
        at = f"{where}[{index}]"
        if not 1 <= len(key) <= 128 or not TAG_TEXT.fullmatch(key):
            yield f"{at}: key {key!r} must be 1-128 letters, digits, spaces or _ . : / = + - @"
        elif key.lower().startswith("aws:"):
            yield f"{at}: key {key!r} may not start with 'aws:' (reserved by AWS)"
        elif key in PROJECT_TAG_KEYS:
            yield f"{at}: key {key!r} is written by the project (its own keys: {', '.join(PROJECT_TAG_KEYS)})"
        elif key in seen:
            yield f"{at}: key {key!r} is given twice"
        if len(value) > 256 or not TAG_TEXT.fullmatch(value):
            yield f"{at}: value {value!r} must be up to 256 letters, digits, spaces or _ . : / = + - @"
        seen.add(key)


def _existing_problems(existing: ExistingNetwork) -> Iterator[str]:
    where = "settings: network.existing"
    if not VPC_ID.match(existing.vpc_id):
        yield f"{where}.vpc_id: {existing.vpc_id!r} is not a VPC ID (like 'vpc-0123456789abcdef0')"
    if not existing.private_subnet_ids:
        yield f"{where}.private_subnet_ids: name at least one subnet for the tasks"
    for index, subnet in enumerate(existing.private_subnet_ids):
        if not SUBNET_ID.match(subnet):
            yield f"{where}.private_subnet_ids[{index}]: {subnet!r} is not a subnet ID (like 'subnet-0123456789abcdef0')"
    if len(set(existing.private_subnet_ids)) != len(existing.private_subnet_ids):
        yield f"{where}.private_subnet_ids: a subnet is listed twice"
    if existing.use_existing_namespace:
        yield (
            f"{where}.use_existing_namespace: a namespace is no longer looked up by name (the lookup fails once two "
            "namespaces share it); set network.existing.namespace_id to its ID or ARN (aws servicediscovery list-namespaces)"
        )
    if existing.namespace_id is not None and not (
        NAMESPACE_ID.fullmatch(existing.namespace_id) or NAMESPACE_ARN.fullmatch(existing.namespace_id)
    ):
        yield (
            f"{where}.namespace_id: {existing.namespace_id!r} is not a Cloud Map namespace ID or ARN "
            "(like 'ns-abcdefgh12345678' or 'arn:aws:servicediscovery:<region>:<account>:namespace/ns-abcdefgh12345678')"
        )


def _skip_problems(skips: tuple[Skip, ...]) -> Iterator[str]:
    seen: set[str] = set()
    for index, skip in enumerate(skips):
        where = f"settings: checkov_skips[{index}]"
        if not CHECKOV_ID.fullmatch(skip.check):
            yield f"{where}.check: {skip.check!r} is not a checkov check ID (like 'CKV_AWS_338')"
        elif skip.check in seen:
            yield f"{where}.check: {skip.check} is skipped twice (the system's and its environment's?): keep one, with its reason"
        seen.add(skip.check)
        if not skip.reason.strip():
            yield f"{where}.reason: say why {skip.check} is accepted here (make verify prints it)"


def _zone_problems(zones: tuple[str, ...], region: str) -> Iterator[str]:
    if not 1 <= len(zones) <= 6:
        yield f"settings: network.availability_zones: {len(zones)} zones given; 1 to 6 are supported"
    foreign = [zone for zone in zones if not (zone.startswith(region) and re.fullmatch(r"[a-z]", zone[len(region) :]))]
    if foreign and REGION.match(region) and not list(region_problem("", region)):
        yield f"settings: network.availability_zones: {', '.join(map(repr, foreign))} not in region {region!r} (name zones like '{region}a')"
    if len(set(zones)) != len(zones):
        yield "settings: network.availability_zones: a zone is listed twice"


def _cidr_problems(cidr: str, az_count: int) -> Iterator[str]:
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError:
        yield f"settings: network.cidr: {cidr!r} is not an IPv4 network like '10.0.0.0/16'"
        return
    # VPC CIDR blocks must be between /16 and /28; each subnet is 1/16 of the VPC and must be /28 or larger.
    if not 16 <= network.prefixlen <= 24:
        yield f"settings: network.cidr: {cidr!r} must have a prefix between /16 and /24 (subnets are 1/16 of it)"


def _topology_problems(topology: Topology, settings: Settings) -> Iterator[str]:
    if not topology.services:
        yield "topology: services: declare at least one service"
    namespace = settings.network.namespace
    by_name: dict[str, Service] = {}
    discovery_owner: dict[str, str] = {}
    alias_owner: dict[str, str] = {}
    for service in topology.services:
        if service.name in by_name:
            yield f"service {service.name!r}: name: declared more than once (service names must be unique)"
            continue
        by_name[service.name] = service
        yield from _service_problems(service)
        for index, port in enumerate(service.ports):
            where = f"service {service.name!r}: ports[{index}]"
            discovery, host = port.effective_discovery_name, endpoint_host(port, namespace)
            if discovery in discovery_owner:
                yield f"{where}.discovery_name: {discovery!r} is already used by service {discovery_owner[discovery]!r} (discovery names are unique in the namespace)"
            elif host in alias_owner:
                yield f"{where}.dns_name: {host!r} is already used by service {alias_owner[host]!r} (aliases are unique in the namespace)"
            discovery_owner.setdefault(discovery, service.name)
            alias_owner.setdefault(host, service.name)
    yield from _call_problems(topology, by_name)
    yield from _quota_problems(topology, by_name)
    yield from endpoint_problems(topology, namespace)


def _service_problems(service: Service) -> Iterator[str]:
    where = f"service {service.name!r}"
    if not SERVICE_NAME.match(service.name):
        yield f"{where}: name: must be {SERVICE_NAME_RULE}"
    if not service.image.strip():
        yield f"{where}: image: must name a container image"
    if service.cpu not in FARGATE_SIZES:
        yield f"{where}: cpu: {service.cpu} is not a Fargate size (one of {', '.join(map(str, FARGATE_SIZES))})"
    elif service.memory not in FARGATE_SIZES[service.cpu]:
        allowed = FARGATE_SIZES[service.cpu]
        yield f"{where}: memory: {service.memory} MiB does not fit cpu {service.cpu} on Fargate (allowed: {allowed[0]}-{allowed[-1]} MiB in steps of {allowed[1] - allowed[0]})"
    if service.desired_count < 0:
        yield f"{where}: desired_count: {service.desired_count} must be 0 or more"
    seen_env: set[str] = set()
    for key, value in service.environment:
        if not isinstance(value, (str, Endpoint)):
            yield f"{where}: environment: {key}: must be a string or Endpoint(server=...), got {type(value).__name__}"
        if not ENV_NAME.match(key):
            yield f"{where}: environment: {key!r} is not a valid variable name"
        if key in seen_env:
            yield f"{where}: environment: {key!r} is set more than once"
        seen_env.add(key)
    if service.health_check is not None:
        if not service.health_check.command:
            yield f"{where}: health_check.command: must not be empty"
        for name, (low, high) in HEALTH_CHECK_LIMITS.items():
            value = getattr(service.health_check, name)
            if not low <= value <= high:
                yield f"{where}: health_check.{name}: {value} must be between {low} and {high}"
    yield from _secret_problems(where, service)
    for index, permission in enumerate(service.permissions):
        yield from permission_problems(f"{where}: permissions[{index}]", permission)
    sids = [permission.sid for permission in service.permissions if permission.sid is not None]
    if len(set(sids)) != len(sids):
        yield f"{where}: permissions: a sid is used twice (statement ids are unique in the policy)"
    for index, arn in enumerate(service.managed_policies):
        if not AWS_MANAGED_POLICY_ARN.match(arn):
            yield f"{where}: managed_policies[{index}]: {arn!r} must be an AWS-managed policy ARN (arn:aws:iam::aws:policy/<name>)"
    if len(set(service.managed_policies)) != len(service.managed_policies):
        yield f"{where}: managed_policies: a policy is listed twice"
    yield from _egress_problems(where, service.egress)
    if service.autoscaling is not None:
        yield from _autoscaling_problems(where, service.autoscaling, service.desired_count)
    yield from _capacity_problems(where, service.capacity)
    yield from _deployment_problems(where, service.deployment)
    yield from tag_problems(f"{where}: tags", service.tags)
    port_names: set[str] = set()
    container_ports: set[int] = set()
    ingress_ports: set[int] = set()
    for index, port in enumerate(service.ports):
        if port.name in port_names:
            yield f"{where}: ports[{index}].name: {port.name!r} is used twice in this service"
        if port.container_port in container_ports:
            yield f"{where}: ports[{index}].container_port: {port.container_port} is mapped twice in this service"
        elif port.ingress_port in ingress_ports:
            field_name = "ingress_port_override" if port.ingress_port_override is not None else "container_port"
            yield f"{where}: ports[{index}].{field_name}: ingress port {port.ingress_port} is already used by another port of this service"
        port_names.add(port.name)
        container_ports.add(port.container_port)
        ingress_ports.add(port.ingress_port)
        yield from _port_problems(f"{where}: ports[{index}]", port)


def _port_problems(where: str, port: Port) -> Iterator[str]:
    if not PORT_NAME.match(port.name):
        yield f"{where}.name: {port.name!r} must be {PORT_NAME_RULE}"
    if port.discovery_name is not None and not PORT_NAME.match(port.discovery_name):
        yield f"{where}.discovery_name: {port.discovery_name!r} must be {PORT_NAME_RULE}"
    if port.dns_name is not None and not dns_name_ok(port.dns_name):
        yield f"{where}.dns_name: {port.dns_name!r} must be {DNS_NAME_RULE}"
    if port.protocol not in ("http", "http2", "grpc", "tcp"):
        yield f"{where}.protocol: {port.protocol!r} must be one of 'http', 'http2', 'grpc', 'tcp'"
    for field_name in ("container_port", "client_port", "ingress_port_override"):
        value = getattr(port, field_name)
        if value is not None and not 1 <= value <= 65535:
            yield f"{where}.{field_name}: {value} must be between 1 and 65535"
    for field_name in ("idle_timeout_seconds", "per_request_timeout_seconds"):
        value = getattr(port, field_name)
        if value is not None and value < 0:
            yield f"{where}.{field_name}: {value} must be 0 (disabled) or more"
    # ECS TimeoutConfiguration.perRequestTimeoutSeconds: "can't be set when the appProtocol is TCP".
    if port.protocol == "tcp" and port.per_request_timeout_seconds is not None:
        yield f"{where}.per_request_timeout_seconds: not allowed on a 'tcp' port (only http, http2, grpc)"
    if port.tls is not None and not PCA_ARN.match(port.tls.ca_arn or ""):
        yield f"{where}.tls.ca_arn: {port.tls.ca_arn!r} must be an AWS Private CA ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>)"


def _call_problems(topology: Topology, by_name: dict[str, Service]) -> Iterator[str]:
    for service in topology.services:
        seen: set[str] = set()
        for index, target in enumerate(service.calls):
            where = f"service {service.name!r}: calls[{index}]"
            if target in seen:
                yield f"{where}: {target!r} is listed twice"
            seen.add(target)
            if target not in by_name:
                yield f"{where}: {target!r} is not a declared service (declared: {', '.join(sorted(by_name))})"
            elif not by_name[target].is_server:
                yield f"{where}: {target!r} serves no port (give it ports=... to make it a server)"
    known = [name for name in by_name]
    edges = [(caller, server) for caller, server in call_edges(topology) if server in by_name]
    cycle = find_cycle(known, edges)
    if cycle:
        yield f"service {cycle[0]!r}: calls: call cycle {' -> '.join(cycle)}: {CYCLE_REASON}"


def _secret_problems(where: str, service: Service) -> Iterator[str]:
    names = {key for key, _ in service.environment}
    for index, secret in enumerate(service.secrets):
        yield from _one_secret_problems(f"{where}: secrets[{index}]", secret)
        if secret.name in names:
            yield f"{where}: secrets[{index}].name: {secret.name!r} is already set (environment or another secret)"
        names.add(secret.name)


def _one_secret_problems(where: str, secret: Secret) -> Iterator[str]:
    if not ENV_NAME.match(secret.name):
        yield f"{where}.name: {secret.name!r} is not a valid variable name"
    managed = SECRETS_MANAGER_ARN.match(secret.arn)
    if not managed and not SSM_PARAMETER_ARN.match(secret.arn):
        yield (
            f"{where}.arn: {secret.arn!r} must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>) "
            "or an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>)"
        )
    elif not managed:
        for field_name in ("json_key", "version_stage", "version_id"):
            if getattr(secret, field_name) is not None:
                yield f"{where}.{field_name}: only for Secrets Manager secrets, not SSM parameters"
    if secret.version_stage is not None and secret.version_id is not None:
        yield f"{where}.version_id: give a version_stage or a version_id, not both"
    for field_name in ("json_key", "version_stage", "version_id"):
        value = getattr(secret, field_name)
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_.+=@/-]{1,256}", value):
            yield f"{where}.{field_name}: {value!r} must be 1-256 characters without ':' or spaces"
    if secret.kms_key_arn is not None and not KMS_KEY_ARN.match(secret.kms_key_arn):
        yield f"{where}.kms_key_arn: {secret.kms_key_arn!r} must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; IAM cannot grant through an alias)"


def _egress_problems(where: str, egress: tuple[Egress, ...]) -> Iterator[str]:
    seen: set[str] = set()
    for index, rule in enumerate(egress):
        at = f"{where}: egress[{index}]"
        if not PORT_NAME.match(rule.name):
            yield f"{at}.name: {rule.name!r} must be {PORT_NAME_RULE}"
        if rule.name in seen:
            yield f"{at}.name: {rule.name!r} is used twice in this service"
        seen.add(rule.name)
        destinations = [name for name in ("security_group_id", "cidr", "prefix_list_id") if getattr(rule, name) is not None]
        if len(destinations) != 1:
            yield f"{at}: name exactly one destination: security_group_id, cidr or prefix_list_id (got {len(destinations)})"
        if rule.security_group_id is not None and not SECURITY_GROUP_ID.match(rule.security_group_id):
            yield f"{at}.security_group_id: {rule.security_group_id!r} must be a security group id like 'sg-0123456789abcdef0'"
        if rule.prefix_list_id is not None and not PREFIX_LIST_ID.match(rule.prefix_list_id):
            yield f"{at}.prefix_list_id: {rule.prefix_list_id!r} must be a prefix list id like 'pl-0123456789abcdef0'"
        if rule.cidr is not None:
            try:
                ipaddress.IPv4Network(rule.cidr)
            except ValueError:
                yield f"{at}.cidr: {rule.cidr!r} is not an IPv4 network like '10.0.0.0/16'"
        if rule.protocol not in ("tcp", "udp"):
            yield f"{at}.protocol: {rule.protocol!r} must be 'tcp' or 'udp'"
        if not 1 <= rule.port <= 65535:
            yield f"{at}.port: {rule.port} must be between 1 and 65535"
        elif rule.to_port is not None and not rule.port <= rule.to_port <= 65535:
            yield f"{at}.to_port: {rule.to_port} must be between port ({rule.port}) and 65535"


def _autoscaling_problems(where: str, scaling: Autoscaling, desired_count: int) -> Iterator[str]:
    at = f"{where}: autoscaling"
    if not 0 <= scaling.min_count <= scaling.max_count:
        yield f"{at}.min_count: {scaling.min_count} must be between 0 and max_count ({scaling.max_count})"
    elif scaling.max_count < 1:
        yield f"{at}.max_count: {scaling.max_count} must be 1 or more"
    elif not scaling.min_count <= desired_count <= scaling.max_count:
        yield f"{where}: desired_count: {desired_count} must be between autoscaling.min_count ({scaling.min_count}) and max_count ({scaling.max_count}) (it is the first deployment's count)"
    if scaling.cpu_target_percent is None and scaling.memory_target_percent is None:
        yield f"{at}: give cpu_target_percent and/or memory_target_percent (what to track)"
    for field_name in ("cpu_target_percent", "memory_target_percent"):
        value = getattr(scaling, field_name)
        if value is not None and not 1 <= value <= 100:
            yield f"{at}.{field_name}: {value} must be between 1 and 100"
    for field_name in ("scale_in_cooldown_seconds", "scale_out_cooldown_seconds"):
        value = getattr(scaling, field_name)
        if not 0 <= value <= 3600:
            yield f"{at}.{field_name}: {value} must be between 0 and 3600"
    names: set[str] = set()
    for index, step in enumerate(scaling.schedule):
        where_step = f"{at}.schedule[{index}]"
        if not PORT_NAME.match(step.name):
            yield f"{where_step}.name: {step.name!r} must be {PORT_NAME_RULE}"
        elif step.name in names:
            yield f"{where_step}.name: {step.name!r} is used twice"
        names.add(step.name)
        # Application Auto Scaling PutScheduledAction.Schedule: at(...), rate(...) or cron(... 6 fields ...).
        if not SCHEDULE.match(step.schedule):
            yield f"{where_step}.schedule: {step.schedule!r} must be 'cron(<6 fields>)', 'rate(<n> <unit>)' or 'at(yyyy-mm-ddThh:mm:ss)'"
        if not 0 <= step.min_count <= step.max_count:
            yield f"{where_step}.min_count: {step.min_count} must be between 0 and max_count ({step.max_count})"
        if step.timezone is not None and step.timezone not in _time_zones():
            yield f"{where_step}.timezone: {step.timezone!r} is not an IANA time zone (like 'Asia/Tokyo')"


def _capacity_problems(where: str, capacity: Capacity) -> Iterator[str]:
    if capacity.architecture not in ("X86_64", "ARM64"):
        yield f"{where}: capacity.architecture: {capacity.architecture!r} must be 'X86_64' or 'ARM64'"
    if not 0 <= capacity.spot_percent <= 100:
        yield f"{where}: capacity.spot_percent: {capacity.spot_percent} must be between 0 and 100"
    # ECS EphemeralStorage.sizeInGiB: "The minimum supported value is 21 GiB and the maximum supported value is 200 GiB".
    if capacity.ephemeral_storage_gib is not None and not 21 <= capacity.ephemeral_storage_gib <= 200:
        yield f"{where}: capacity.ephemeral_storage_gib: {capacity.ephemeral_storage_gib} must be between 21 and 200"


def _deployment_problems(where: str, deployment: Deployment) -> Iterator[str]:
    low, high = deployment.minimum_healthy_percent, deployment.maximum_percent
    if low is not None and not 0 <= low <= 100:
        yield f"{where}: deployment.minimum_healthy_percent: {low} must be between 0 and 100"
    if high is not None and not 100 <= high <= 200:
        yield f"{where}: deployment.maximum_percent: {high} must be between 100 and 200"
    if (low if low is not None else 100) == 100 and high == 100:
        yield f"{where}: deployment.maximum_percent: 100 with a minimum healthy 100% leaves no room to replace a task (raise maximum_percent or lower minimum_healthy_percent)"


def _quota_problems(topology: Topology, by_name: dict[str, Service]) -> Iterator[str]:
    """Rules per security group: one per (caller, port) inbound, one per egress rule and called port outbound."""
    callers_of = callers_by_server(topology)
    for service in by_name.values():
        callers = callers_of.get(service.name, [])
        inbound = len(callers) * len(service.ports)
        if inbound > RULES_PER_SECURITY_GROUP:
            yield (
                f"service {service.name!r}: ports: {len(callers)} callers x {len(service.ports)} port(s) need {inbound} inbound rules in its "
                f"security group; AWS allows {RULES_PER_SECURITY_GROUP} per group by default (VPC quota 'Inbound or outbound rules per security group')"
            )
        outbound = len(service.egress) + sum(len(by_name[name].ports) for name in set(service.calls) if name in by_name)
        if outbound > RULES_PER_SECURITY_GROUP:
            yield (
                f"service {service.name!r}: calls: its calls and egress need {outbound} outbound rules in its security group; "
                f"AWS allows {RULES_PER_SECURITY_GROUP} per group by default (VPC quota 'Inbound or outbound rules per security group')"
            )


def _time_zones() -> set[str]:
    """IANA names from the system's or the ``tzdata`` package's database (maintained, not a hand list)."""
    return zoneinfo.available_timezones()
