"""The ECS services and who is a member of which security group: the model every check reads, built once.

For every ECS service (Service Connect or not): its groups, cluster, namespace, task
definition and ports; and for every security group its *members*: a resource whose
schema arguments place it in the group (ECS services, instances, launch templates,
Lambda VPC configs, load balancers, VPC links and endpoints, network interfaces ...;
any reference, for a type outside the schema), and one launched with no group in the
VPC's default group. A group mentioned elsewhere (a tag, a parameter) is not membership.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import GROUP_TYPES, Config
from .declaration import Declared, DeclaredEntry, DeclaredGuard
from .hcl_values import json_template
from .kinds import schema
from .model import Address, Unknown, as_list, block, blocks
from .modelled import BUILTIN_NEUTRAL
from .values import port, present, truth

RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule")
NOT_MEMBERSHIP = ("//", "depends_on", "lifecycle", "tags", "tags_all", "description", "triggers")
Callers = Mapping[str, Declared] | Mapping[str, list[str]] | None
LOAD_BALANCERS = ("aws_lb", "aws_alb")
ENTRY_TAG = "Entry"
"""The tag by which a load balancer or target group claims to be a declared entry's; the claim is then checked."""


def entry_tag(config: Config, address: Address) -> str | None:
    tags = config.value(address.stack, config.body(address).get("tags"))
    found = tags.get(ENTRY_TAG) if isinstance(tags, dict) else None
    return found if isinstance(found, str) else None


def _leaves(body: dict[str, Any], steps: list[str]) -> Iterator[tuple[dict[str, Any], str]]:
    """(holder, argument) for an argument path through nested blocks written as objects or lists of objects."""
    if len(steps) == 1:
        yield body, steps[0]
        return
    for child in as_list(body.get(steps[0])):
        if isinstance(child, dict):
            yield from _leaves(child, steps[1:])


def default_namespace(config: Config, cluster: Address | Unknown) -> Address | Unknown:
    """A Service Connect service without ``namespace`` uses its cluster's ``service_connect_defaults``."""
    if isinstance(cluster, Unknown) or cluster.type != "aws_ecs_cluster" or cluster.mode != "managed":
        return Unknown(f"no namespace, and the cluster's default cannot be traced ({cluster})")
    defaults = block(config.body(cluster).get("service_connect_defaults"))
    if isinstance(defaults, Unknown) or not defaults.get("namespace"):
        return Unknown(f"no namespace, and cluster {cluster} sets no service_connect_defaults")
    return config.resolve(cluster.stack, defaults.get("namespace"))


@dataclass
class Ecs:
    """One ``aws_ecs_service`` with what its reachability depends on, resolved once."""

    address: Address
    body: dict[str, Any]
    name: str
    name_known: bool
    groups: list[Address | Unknown]
    cluster: Address | Unknown
    connect: dict[str, Any] | Unknown
    sc_enabled: bool | Unknown
    namespace: Address | Unknown | None
    task: Address | Unknown
    container_ports: list[int] | Unknown = field(default_factory=list)
    sc_ports: set[int] | Unknown = field(default_factory=set)
    sc_served: bool = False


class Model:
    """The services, who is a member of which security group, and the declaration they are compared to."""

    def __init__(self, config: Config, callers: Callers) -> None:
        self.config = config
        self.full = callers is not None and all(isinstance(v, Declared) for v in callers.values())
        self.callers = callers
        self.entries: dict[str, DeclaredEntry] = {}
        if self.full and callers is not None:
            self.entries = {e.name: e for d in callers.values() if isinstance(d, Declared) for e in d.entries}
        self.existing_entry_groups = {e.existing_group_id: e for e in self.entries.values() if e.existing_group_id}
        self.guards: dict[str, DeclaredGuard] = {}
        if self.full and callers is not None:
            self.guards = {g.name: g for d in callers.values() if isinstance(d, Declared) for g in d.guards}
        self.guarded_ids = {g.group_id for g in self.guards.values() if g.group_id is not None}
        """The team's existing groups of guarded resources: a rule on one is judged by ``guarded``, not as untraced."""
        self.services = [self._ecs(a, b) for a, b in config.resources("aws_ecs_service")]
        self.by_address = {s.address: s for s in self.services}
        self.by_task: dict[Address | Unknown, list[Ecs]] = {}
        for service in self.services:
            self.by_task.setdefault(service.task, []).append(service)
        self.members: dict[Address, list[Address]] = {}
        self.untraced: list[tuple[Address, str]] = []
        for address, body in config.all_resources():
            if address.type not in RULE_TYPES + GROUP_TYPES:
                self._placements(address, body)

    # -- building ----------------------------------------------------------------------------------------------

    def _ecs(self, address: Address, body: dict[str, Any]) -> Ecs:
        config, stack = self.config, address.stack
        name = config.value(stack, body.get("name"))
        network = block(body.get("network_configuration"))
        groups: list[Address | Unknown] = (
            [network]
            if isinstance(network, Unknown)
            else [config.group(stack, g) for g in config.items(stack, network.get("security_groups"))]
            or [Unknown("it has no security group (the VPC default applies)")]
        )
        connect = block(body.get("service_connect_configuration"))
        enabled = truth(config.value(stack, connect.get("enabled"))) if isinstance(connect, dict) else connect
        namespace = config.resolve(stack, connect.get("namespace")) if isinstance(connect, dict) and connect.get("namespace") else None
        cluster = (
            config.resolve(stack, body.get("cluster")) if body.get("cluster") is not None else Unknown("no cluster (the default cluster)")
        )
        if namespace is None and enabled is True:
            namespace = default_namespace(config, cluster)
        ecs = Ecs(
            address=address,
            body=body,
            name=name if isinstance(name, str) else address.name,
            name_known=isinstance(name, str),
            groups=groups,
            cluster=cluster,
            connect=connect,
            sc_enabled=enabled,
            namespace=namespace,
            task=config.resolve(stack, body.get("task_definition")),
        )
        ecs.container_ports, mappings = self._container_ports(ecs)
        ecs.sc_ports, ecs.sc_served = self._sc_ports(ecs, mappings)
        return ecs

    def _container_ports(self, ecs: Ecs) -> tuple[list[int] | Unknown, dict[str, int]]:
        if isinstance(ecs.task, Unknown) or ecs.task.type != "aws_ecs_task_definition":
            return Unknown("its task definition cannot be traced"), {}
        containers = container_definitions(self.config, ecs.task)
        if isinstance(containers, Unknown):
            return containers, {}
        ports: list[int] = []
        names: dict[str, int] = {}
        for container in containers:
            for mapping in as_list(container.get("portMappings") if isinstance(container, dict) else None):
                number = port(mapping.get("containerPort")) if isinstance(mapping, dict) else Unknown("a port mapping is not an object")
                if not isinstance(number, int):
                    return Unknown(f"container port {number}"), names
                ports.append(number)
                if isinstance(mapping.get("name"), str):
                    names[mapping["name"]] = number
        return sorted(set(ports)), names

    def _sc_ports(self, ecs: Ecs, mappings: dict[str, int]) -> tuple[set[int] | Unknown, bool]:
        if not isinstance(ecs.connect, dict) or ecs.sc_enabled is not True:
            return set(), False
        services = blocks(ecs.connect.get("service"))
        if isinstance(services, Unknown) or "dynamic" in ecs.connect:
            return Unknown("its Service Connect services are computed"), True
        ports: set[int] = set()
        for service in services:
            override = port(self.config.value(ecs.address.stack, service.get("ingress_port_override")))
            override = None if override == 0 else override  # plans show an unset override as 0 (not a valid port)
            named = mappings.get(str(service.get("port_name")))
            chosen = override if override is not None else named
            if chosen is None or isinstance(chosen, Unknown):
                return Unknown(f"Service Connect port {service.get('port_name')!r} cannot be traced to a container port"), True
            ports.add(chosen)
        return ports, bool(services)

    def _placements(self, address: Address, body: dict[str, Any]) -> None:
        """The groups a resource is placed in, read only from the arguments its schema says place it in a group
        (``vpc_security_group_ids``, ``network_interfaces.security_groups`` ...): a group mentioned in a tag, a
        parameter's value or a document is not membership. A type outside the schema: any reference counts.
        Launched with none of its top-level group arguments set, it lands in its VPC's default group."""
        known = schema()
        if address.type in BUILTIN_NEUTRAL:
            return  # Terraform's own value holders join no group (a provisioner on one is judged by ``kinds``)
        if address.type not in known.resources:
            self._memberships(address, body, "")
            return
        paths = known.members.get(address.type, ())
        for path in paths:
            for holder, leaf in _leaves(body, path.split(".")):
                self._memberships(address, holder.get(leaf), leaf)
        implicit = [
            p for p in paths if "." not in p and p.endswith(("security_groups", "security_group_ids")) and not p.startswith("replace")
        ]
        if implicit and not any(present(body.get(p)) for p in implicit) and address.type != "aws_ecs_service":
            for vpc, _ in self.config.resources("aws_vpc"):
                self.members.setdefault(Address(vpc.stack, "aws_vpc", vpc.name, attr="default_security_group_id"), []).append(address)

    def _memberships(self, address: Address, value: Any, key: str) -> None:
        """Every security group a value places ``address`` in: any reference to a group."""
        if isinstance(value, dict):
            for child_key, child in value.items():
                if child_key not in NOT_MEMBERSHIP:
                    self._memberships(address, child, child_key)
            return
        if isinstance(value, list):
            for child in value:
                self._memberships(address, child, key)
            return
        for target in self.config.references_in(address.stack, value):
            group = self.config.canonical_group(target) if isinstance(target, Address) else target
            if isinstance(group, Address):
                if address not in self.members.setdefault(group, []):
                    self.members[group].append(address)
            elif "security_group" in key:
                self.untraced.append((address, f"{value} ({group})"))
        if "security_group" in key and isinstance(value, str) and value.startswith("sg-") and value not in self.config.ids:
            self.untraced.append((address, f"literal {value}"))

    # -- declaration -------------------------------------------------------------------------------------------

    def declared(self, name: str) -> Declared | None:
        if not self.full or self.callers is None:
            return None
        found = self.callers.get(name)
        return found if isinstance(found, Declared) else None

    def entry_of(self, balancer: Address) -> DeclaredEntry | None:
        """The declared entry (with a load balancer of its own) that this load balancer claims to be; None otherwise."""
        if balancer.type not in LOAD_BALANCERS:
            return None
        entry = self.entries.get(entry_tag(self.config, balancer) or "")
        return entry if entry is not None and entry.existing_listener_arn is None else None

    def entry_behind(self, stack: str, source: Any) -> DeclaredEntry | None:
        """The entry whose load balancer is the only member of the admitted group ``source`` (or whose existing group it is)."""
        if isinstance(source, str) and source in self.existing_entry_groups:
            return self.existing_entry_groups[source]
        admitted = self.config.group(stack, source)
        members = self.members.get(admitted, []) if isinstance(admitted, Address) else []
        entries = {self.entry_of(member) for member in members}
        if len(entries) != 1 or None in entries:
            return None
        return entries.pop()

    def caller_problem(self, server: Ecs, member: Ecs) -> str | None:
        """Why ``member`` may not reach ``server``; None when it is a task of a declared caller beside it."""
        if member.address == server.address:
            return "the service itself"
        if self.callers is None:
            eligible = member.sc_enabled is True
        else:
            entry = self.callers.get(server.name)
            names = entry.callers if isinstance(entry, Declared) else (entry or [])
            eligible = member.name_known and member.name in names
        if not eligible:
            return "not a declared caller"
        if not isinstance(server.cluster, Address):
            return f"the server's cluster cannot be traced: {server.cluster}"
        if not isinstance(member.cluster, Address) or member.cluster != server.cluster:
            return "in another cluster" if isinstance(member.cluster, Address) else f"its cluster cannot be traced: {member.cluster}"
        if member.sc_enabled is not True or member.namespace != server.namespace or not isinstance(member.namespace, Address):
            return "not a Service Connect client in its namespace"
        return None


def container_definitions(config: Config, task: Address) -> list[Any] | Unknown:
    raw = config.body(task).get("container_definitions")
    text = config.value(task.stack, raw)
    if isinstance(text, Unknown) and isinstance(raw, str):
        text = raw
    parsed = json_template(text) if isinstance(text, str) else text
    if isinstance(parsed, Unknown):
        return Unknown(f"container definitions of {task} cannot be read: {parsed}")
    return parsed if isinstance(parsed, list) else Unknown(f"container definitions of {task} are not a list")
