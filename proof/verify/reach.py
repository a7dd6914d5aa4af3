"""Who can open a TCP connection to each ECS service's tasks.

For every ECS service (Service Connect or not) and every security group on it:
every ingress rule in every form (standalone rules, legacy rules, inline blocks,
the VPC's unmanaged default group), every source those rules admit, and every
*member* of each admitted group: a resource whose schema arguments place it in
the group (ECS services, instances, launch templates, Lambda VPC configs, load
balancers, VPC links and endpoints, network interfaces ...; any reference, for a
type outside the schema), and one launched with no group in the VPC's default
group. A group mentioned elsewhere (a tag, a parameter) is not membership. The
proof holds only if each member is a task of a declared caller in the same
cluster and namespace, no rule admits an address range, and nothing from
outside has a path in (public IPs, internet routes, load balancers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .declaration import Declared, DeclaredEntry
from .hcl_values import json_template
from .kinds import schema
from .model import Address, Unknown, Violation, as_list, block, blocks

RULE = "ingress-callers-only"
CIDR_FIELDS = ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id", "prefix_list_ids")
RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule")
GROUP_TYPES = ("aws_security_group", "aws_default_security_group")
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


def truth(value: Any) -> bool | Unknown:
    """A Terraform bool as written (``true``, ``"true"``, absent) or Unknown when computed."""
    if isinstance(value, Unknown):
        return value
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unknown(f"{value!r} is not a bool")


def present(value: Any) -> list[Any]:
    """The items of a list-or-scalar field that are set (plans show unset strings as "")."""
    return [item for item in as_list(value) if item not in (None, "")]


def port(value: Any) -> int | Unknown | None:
    """A whole number written any way Terraform converts to one: ``80``, ``80.0``, ``"80"``, ``8e1``."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return Unknown(f"{value!r} is not a port")
    if isinstance(value, int):
        return value
    if isinstance(value, float | str) and not (isinstance(value, str) and "${" in value):
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except ValueError:
            return Unknown(f"port {value!r} is not a number")
        if number.is_integer():
            return int(number)
        return Unknown(f"port {value!r} is not a whole number")
    return Unknown(f"port {value!r} is computed")


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


# -- checks --------------------------------------------------------------------------------------------------------


def check_identity(model: Model, ecs: Ecs) -> Iterator[Violation]:
    where = str(ecs.address)
    if not ecs.name_known:
        yield Violation(ecs.name, where, "declared-services-only", "cannot prove: its name is computed")
    elif model.full and model.declared(ecs.name) is None:
        yield Violation(
            ecs.name, where, "declared-services-only", "an ECS service the declaration does not have; cannot prove who reaches it"
        )
    if isinstance(ecs.task, Unknown) or ecs.task.type != "aws_ecs_task_definition":
        yield Violation(ecs.name, where, "task-definition", f"cannot prove: its task definition cannot be traced ({ecs.task})")
    else:
        for other in model.by_task.get(ecs.task, []):
            if other.address != ecs.address:
                yield Violation(
                    ecs.name, str(other.address), "task-definition", f"its task definition {ecs.task} is also run by service '{other.name}'"
                )
    declared = model.declared(ecs.name)
    if isinstance(ecs.container_ports, Unknown):
        yield Violation(ecs.name, where, "service-connect-only", f"cannot prove which ports it serves: {ecs.container_ports}")
    if isinstance(ecs.sc_enabled, Unknown):
        yield Violation(ecs.name, where, "service-connect-only", f"cannot prove: service_connect_configuration.enabled: {ecs.sc_enabled}")
    elif not ecs.sc_served and (
        (isinstance(ecs.container_ports, list) and ecs.container_ports) or (declared is not None and declared.server)
    ):
        ports = ecs.container_ports if isinstance(ecs.container_ports, list) else []
        yield Violation(ecs.name, where, "service-connect-only", f"serves container ports {ports} but is not a Service Connect server")
    if isinstance(ecs.sc_ports, Unknown):
        yield Violation(ecs.name, where, "service-connect-only", f"cannot prove: {ecs.sc_ports}")


def check_ingress(model: Model, ecs: Ecs) -> Iterator[Violation]:
    ports = ecs.sc_ports if ecs.sc_served else ecs.container_ports
    for group in ecs.groups:
        if isinstance(group, Unknown):
            yield Violation(ecs.name, str(ecs.address), RULE, f"cannot prove: a security group cannot be traced ({group})")
            continue
        for where, stack, rule in ingress_rules(model.config, group):
            yield from _check_rule(model, ecs, group, where, stack, rule, ports)
    for address, where in untargeted_rules(model.config):
        yield Violation(
            ecs.name, address, RULE, f"cannot prove: its target security group {where} cannot be traced; it may open this service"
        )


def ingress_rules(config: Config, group: Address) -> Iterator[tuple[str, str, dict[str, Any] | Unknown]]:
    """(where, stack, rule) for every ingress rule on ``group``; a rule is normalised to one dict shape."""
    yield from config.indexed("reach.rules", lambda: _rules_by_group(config)).get(group, [])
    owners = [group] if group.type == "aws_security_group" else []
    if group.type == "aws_vpc":
        owners = [a for a, _ in config.resources("aws_default_security_group") if config.canonical_group(a) == group]
        if not owners:
            yield f"{group}", group.stack, Unknown("the VPC's default security group keeps its default rule (all traffic from itself)")
    for owner in owners:
        body = config.body(owner)
        if "dynamic" in body:
            yield f"{owner}.dynamic", owner.stack, Unknown("dynamic blocks generate rules the checker cannot see")
        inline = blocks(body.get("ingress"))
        if isinstance(inline, Unknown):
            yield f"{owner}.ingress", owner.stack, inline
            continue
        for index, rule in enumerate(inline):
            yield f"{owner}.ingress[{index}]", owner.stack, {**rule, "_sources": as_list(rule.get("security_groups"))}


Rule = tuple[str, str, dict[str, Any] | Unknown]
"""(where, stack, rule) of one ingress rule, normalised to one dict shape (``_sources``: the groups it admits)."""


def _rules_by_group(config: Config) -> dict[Address | Unknown, list[Rule]]:
    """Every standalone ingress rule by the group it is on, built once; the untargeted ones under their ``Unknown``."""
    found: dict[Address | Unknown, list[Rule]] = {}
    for rtype, sources in (
        ("aws_vpc_security_group_ingress_rule", "referenced_security_group_id"),
        ("aws_security_group_rule", "source_security_group_id"),
    ):
        for address, body in config.resources(rtype):
            if rtype == "aws_security_group_rule" and config.value(address.stack, body.get("type")) == "egress":
                continue
            group = config.group(address.stack, body.get("security_group_id"))
            found.setdefault(group, []).append((str(address), address.stack, {**body, "_sources": as_list(body.get(sources))}))
    return found


def untargeted_rules(config: Config) -> list[tuple[str, str]]:
    """Ingress rules whose target group cannot be traced: each may open any service."""
    return config.indexed("reach.untargeted", lambda: list(_untargeted_rules(config)))


def _untargeted_rules(config: Config) -> Iterator[tuple[str, str]]:
    for rtype in ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule"):
        for address, body in config.resources(rtype):
            if rtype == "aws_security_group_rule" and config.value(address.stack, body.get("type")) == "egress":
                continue
            target = config.group(address.stack, body.get("security_group_id"))
            if isinstance(target, Unknown):
                yield str(address), f"{body.get('security_group_id')} ({target})"


def _check_rule(
    model: Model, ecs: Ecs, group: Address, where: str, stack: str, rule: dict[str, Any] | Unknown, ports: set[int] | list[int] | Unknown
) -> Iterator[Violation]:
    config = model.config
    if isinstance(rule, Unknown):
        yield Violation(ecs.name, where, RULE, f"cannot prove: {rule}")
        return
    for name in CIDR_FIELDS:
        for value in present(rule.get(name)):
            yield Violation(ecs.name, where, RULE, f"ingress from {name} {value} (only callers' security groups may reach it)")
    itself = truth(config.value(stack, rule.get("self")))
    if itself is True:
        yield Violation(ecs.name, where, RULE, "ingress from its own security group (self)")
    elif isinstance(itself, Unknown):
        yield Violation(ecs.name, where, RULE, f"cannot prove: self {itself}")
    for source in present(rule["_sources"]):
        yield from _check_source(model, ecs, group, where, stack, source)
    routed = _entry_ports(model, ecs, stack, rule)
    yield from _check_ports(config, ecs, where, stack, rule, ports if routed is None else routed, routed is not None)


def _entry_ports(model: Model, ecs: Ecs, stack: str, rule: dict[str, Any]) -> set[int] | None:
    """For a rule that admits only entries routing to ``ecs``: the container ports they route to (what it may open)."""
    sources = present(rule["_sources"])
    ports: set[int] = set()
    for source in sources:
        entry = model.entry_behind(stack, source)
        if entry is None or not entry.reaches(ecs.name):
            return None
        ports |= entry.reaches(ecs.name)
    return ports or None


def _check_source(model: Model, ecs: Ecs, group: Address, where: str, stack: str, source: Any) -> Iterator[Violation]:
    if isinstance(source, str) and source in model.existing_entry_groups:
        entry = model.existing_entry_groups[source]
        if not entry.reaches(ecs.name):
            yield Violation(
                ecs.name, where, RULE, f"ingress from {source}, the load balancer group of entry '{entry.name}', which does not route to it"
            )
        return
    admitted = model.config.group(stack, source)
    if isinstance(admitted, Unknown):
        yield Violation(ecs.name, where, RULE, f"cannot prove: ingress from {source}: {admitted}")
        return
    if admitted in ecs.groups:
        yield Violation(ecs.name, where, RULE, "ingress from its own security group (self)")
        return
    members = model.members.get(admitted, [])
    problems = [(m, _member_problem(model, ecs, m)) for m in members]
    if not any(problem is None for _, problem in problems):
        reasons = sorted({f"{m}: {p}" for m, p in problems if p != "not a declared caller"})
        suffix = f" ({'; '.join(reasons)})" if reasons else ""
        yield Violation(ecs.name, where, RULE, f"ingress from {admitted}, which is not the security group of a declared caller{suffix}")
        return
    for member, problem in problems:
        if problem is not None:
            yield Violation(
                ecs.name, where, RULE, f"ingress from {admitted} admits {member} ({problem}), which is not a task of a declared caller"
            )
    for member, detail in model.untraced:
        yield Violation(ecs.name, str(member), RULE, f"cannot prove: it is placed in security group {detail}, which may be {admitted}")


def _member_problem(model: Model, server: Ecs, member: Address) -> str | None:
    entry = model.entry_of(member)
    if entry is not None:
        return None if entry.reaches(server.name) else f"the load balancer of entry '{entry.name}', which does not route to it"
    if member.type != "aws_ecs_service" or member not in model.by_address:
        return f"an {member.type}, not an ECS service"
    return model.caller_problem(server, model.by_address[member])


def _check_ports(
    config: Config, ecs: Ecs, where: str, stack: str, rule: dict[str, Any], ports: set[int] | list[int] | Unknown, routed: bool = False
) -> Iterator[Violation]:
    protocol = config.value(stack, rule.get("ip_protocol", rule.get("protocol", "")))
    low, high = config.value(stack, rule.get("from_port")), config.value(stack, rule.get("to_port"))
    if isinstance(protocol, Unknown) or isinstance(port(low), Unknown) or isinstance(port(high), Unknown):
        raw = f"{rule.get('ip_protocol', rule.get('protocol'))} {rule.get('from_port')}-{rule.get('to_port')}"
        yield Violation(ecs.name, where, RULE, f"cannot prove which ports it opens: {raw} is computed")
        return
    if isinstance(ports, Unknown):
        return  # reported once by check_identity
    number = port(protocol)
    text = str(number) if isinstance(number, int) else str(protocol).lower()
    if text not in ("tcp", "6") or port(low) != port(high) or port(low) not in ports:
        allowed = "the ports its entries route to" if routed else "its Service Connect ingress ports"
        yield Violation(ecs.name, where, RULE, f"opens {text or '?'} {low}-{high}; only tcp on {sorted(ports)} ({allowed})")


def check_modules(model: Model, ecs: Ecs) -> Iterator[Violation]:
    """Module calls in configuration input: their resources are invisible here (a plan shows them)."""
    for stack in sorted(model.config.stacks):
        for name in sorted(model.config.section(stack, "module")):
            yield Violation(
                ecs.name,
                f"{stack}:module.{name}",
                "reads-everything",
                "cannot prove: module contents are not read from configuration (verify the plan JSON)",
            )


# -- reach sets (for the plan review) ------------------------------------------------------------------------------

Reach = dict[str, dict[str, dict[str, str]]]
"""service name -> source label -> port label -> where (the rule or member that opens it)."""


def reach(model: Model) -> Reach:
    """Who can open a connection to each service and on which ports, labelled by name, not by ID or address.

    A source is a member of an admitted group (an ECS service by its name, anything else by its address), an
    address range (``cidr:<range>``), the service itself, or ``unknown`` for what cannot be resolved."""
    result: Reach = {}
    config = model.config
    for ecs in model.services:
        sources = result.setdefault(ecs.name, {})
        for group in ecs.groups:
            if isinstance(group, Unknown):
                sources.setdefault(f"unknown ({group})", {})["?"] = str(ecs.address)
                continue
            for where, stack, rule in ingress_rules(config, group):
                if isinstance(rule, Unknown):
                    sources.setdefault(f"unknown ({rule})", {})["?"] = where
                    continue
                opened = port_label(config, stack, rule)
                for label, via in _rule_sources(model, ecs, stack, rule, where):
                    sources.setdefault(label, {}).setdefault(opened, via)
    return result


def port_label(config: Config, stack: str, rule: dict[str, Any]) -> str:
    protocol = config.value(stack, rule.get("ip_protocol", rule.get("protocol", "?")))
    low, high = port(config.value(stack, rule.get("from_port"))), port(config.value(stack, rule.get("to_port")))
    return f"{str(protocol).lower()}/{low}" + ("" if low == high else f"-{high}")


def _rule_sources(model: Model, ecs: Ecs, stack: str, rule: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    for name in CIDR_FIELDS:
        for value in present(rule.get(name)):
            yield f"cidr:{value}", where
    if truth(model.config.value(stack, rule.get("self"))) is not False:
        yield "itself", where
    for source in present(rule["_sources"]):
        admitted = model.config.group(stack, source)
        if isinstance(admitted, Unknown):
            yield f"unknown ({admitted})", where
            continue
        members = model.members.get(admitted, [])
        if not members:
            yield f"empty group {admitted.type}.{admitted.name}", where
        for member in members:
            known = model.by_address.get(member)
            if known is not None:
                yield known.name, where
            else:  # a host joining a caller's group changes no rule: the host is what the reviewer must see
                yield f"{member.type}.{member.name}", str(member)
            if member.type in LOAD_BALANCERS:
                yield from _front_sources(model, member)


def _front_sources(model: Model, balancer: Address) -> Iterator[tuple[str, str]]:
    """Who may reach a load balancer in front of a service: a wider source there widens the service's reach too."""
    config = model.config
    for value in config.items(balancer.stack, config.body(balancer).get("security_groups")):
        group = config.group(balancer.stack, value)
        if isinstance(group, Unknown):
            yield f"{balancer.type}.{balancer.name} from unknown ({group})", str(balancer)
            continue
        for where, stack, rule in ingress_rules(config, group):
            if isinstance(rule, Unknown):
                yield f"{balancer.type}.{balancer.name} from unknown ({rule})", where
                continue
            opened = port_label(config, stack, rule)
            for name in CIDR_FIELDS:
                for value in present(rule.get(name)):
                    yield f"{balancer.type}.{balancer.name} from {value} on {opened}", where
            for source in present(rule["_sources"]):
                yield f"{balancer.type}.{balancer.name} from {source} on {opened}", where
