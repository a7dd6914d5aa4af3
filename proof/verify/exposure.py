"""Paths in from outside the VPC: public IPs, subnets that route to an internet gateway, load balancers.

A task with a public IP in a subnet that routes to an internet gateway, or behind
a load balancer, target group, VPC endpoint service or API Gateway VPC link, can
be reached by more than its security groups' members; each is reported per service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from proof.findings import Finding

from .config import Config
from .declaration import DeclaredEntry
from .existing import existing_subnet
from .ingress import CIDR_FIELDS, ingress_rules
from .model import Address, Unknown, as_list, block, blocks
from .services import LOAD_BALANCERS, Ecs, Model, entry_tag
from .values import port as to_port
from .values import present, truth

FRONT_DOORS = ("aws_apigatewayv2_vpc_link", "aws_api_gateway_vpc_link")
LISTENERS = ("aws_lb_listener", "aws_alb_listener")
LISTENER_RULES = ("aws_lb_listener_rule", "aws_alb_listener_rule")
TARGET_GROUPS = ("aws_lb_target_group", "aws_alb_target_group")
ATTACHMENTS = ("aws_lb_target_group_attachment", "aws_alb_target_group_attachment")
NARROWING = ("aws_wafv2_web_acl_association", "aws_lb_listener_certificate")
"""They can only narrow who gets through (a WAF) or change nothing about it (another certificate)."""
FRONT_DOOR_TYPES = (
    *LOAD_BALANCERS,
    *LISTENERS,
    *LISTENER_RULES,
    *TARGET_GROUPS,
    *ATTACHMENTS,
    *NARROWING,
    "aws_vpc_endpoint_service",
    *FRONT_DOORS,
)
"""Every resource type modelled by the front-door checks (``check_front_doors`` and the entry-aware ingress checks)."""
WIDENING_TYPES = (*LOAD_BALANCERS, *LISTENERS, *LISTENER_RULES, *TARGET_GROUPS, *ATTACHMENTS, "aws_vpc_endpoint_service", *FRONT_DOORS)
"""Of those, the ones whose creation the plan review reports as a widening (a new path in, or a new route)."""
FRONT = "front-door-declared"
AUTHENTICATE = ("authenticate-oidc", "authenticate-cognito")
"""Listener actions that authenticate before the next action: they can only narrow who gets through."""


def check_placement(model: Model, ecs: Ecs) -> Iterator[Finding]:
    config, where = model.config, str(ecs.address)
    network = block(ecs.body.get("network_configuration"))
    if isinstance(network, Unknown) or "dynamic" in ecs.body:
        yield Finding(ecs.name, where, "private-subnets", f"cannot prove: network_configuration is computed ({network})")
        return
    public = truth(config.value(ecs.address.stack, network.get("assign_public_ip")))
    if public is True:
        yield Finding(ecs.name, where, "no-public-ip", "assign_public_ip is true")
    elif isinstance(public, Unknown):
        yield Finding(ecs.name, where, "no-public-ip", f"cannot prove: assign_public_ip {public}")
    subnets = config.items(ecs.address.stack, network.get("subnets"))
    if not subnets:
        yield Finding(ecs.name, where, "private-subnets", "cannot prove: no subnets listed")
    for subnet_ref in subnets:
        subnet = config.resolve(ecs.address.stack, subnet_ref)
        if isinstance(subnet, Address) and subnet.type == "aws_subnet" and subnet.mode == "data":
            found = existing_subnet(config, ecs.name, subnet)
            if found is not None:
                yield found
            continue
        if isinstance(subnet, Unknown) or subnet.type != "aws_subnet" or subnet.mode != "managed":
            yield Finding(ecs.name, where, "private-subnets", f"subnet {subnet_ref} cannot be traced to an aws_subnet")
            continue
        yield from _check_subnet(config, ecs, subnet)


def _check_subnet(config: Config, ecs: Ecs, subnet: Address) -> Iterator[Finding]:
    mapped = truth(config.value(subnet.stack, config.body(subnet).get("map_public_ip_on_launch")))
    if mapped is True:
        yield Finding(ecs.name, str(subnet), "private-subnets", "map_public_ip_on_launch is true")
    elif isinstance(mapped, Unknown):
        yield Finding(ecs.name, str(subnet), "private-subnets", f"cannot prove: map_public_ip_on_launch {mapped}")
    tables = [
        config.resolve(address.stack, body.get("route_table_id"))
        for address, body in config.resources("aws_route_table_association")
        if config.resolve(address.stack, body.get("subnet_id")) == subnet
    ]
    if not tables:
        tables = main_tables(config).get(config.resolve(subnet.stack, config.body(subnet).get("vpc_id")), [])
    if not tables:
        yield Finding(ecs.name, str(subnet), "private-subnets", "no route table association (the VPC's main route table is not checked)")
    for table in tables:
        if isinstance(table, Unknown):
            yield Finding(ecs.name, str(subnet), "private-subnets", "route table cannot be traced")
            continue
        routes = [(str(table), r) for r in as_list(config.body(table).get("route")) if isinstance(r, dict)]
        routes += [(str(a), b) for a, b in config.resources("aws_route") if config.resolve(a.stack, b.get("route_table_id")) == table]
        for where, route in routes:
            gateway = route.get("gateway_id")
            if gateway in (None, ""):  # plans show an unset gateway as ""
                continue
            target = config.resolve(table.stack, gateway)
            internet = isinstance(target, Address) and target.type == "aws_internet_gateway"
            if internet or str(gateway).startswith("igw-"):
                yield Finding(
                    ecs.name, where, "private-subnets", f"{subnet} routes {route.get('destination_cidr_block', '?')} to an internet gateway"
                )
            elif isinstance(target, Unknown):
                yield Finding(
                    ecs.name, where, "private-subnets", f"cannot prove: {subnet} routes to gateway {gateway}, which cannot be traced"
                )


def main_tables(config: Config) -> dict[Address | Unknown, list[Address | Unknown]]:
    """The route tables made main by an ``aws_main_route_table_association``, by VPC, built once: the table a
    subnet without an explicit association uses. One whose VPC cannot be traced may be any VPC's, so every
    VPC gets its table too (and the subnet is judged by it, or by its own untraceable table)."""

    def build() -> dict[Address | Unknown, list[Address | Unknown]]:
        found: dict[Address | Unknown, list[Address | Unknown]] = {}
        untraced: list[Address | Unknown] = []
        for address, body in config.resources("aws_main_route_table_association"):
            vpc, table = config.resolve(address.stack, body.get("vpc_id")), config.resolve(address.stack, body.get("route_table_id"))
            (untraced if isinstance(vpc, Unknown) else found.setdefault(vpc, [])).append(table)
        if untraced:
            for vpc, _ in config.resources("aws_vpc"):
                found.setdefault(vpc, []).extend(untraced)
        return found

    return config.indexed("exposure.main_tables", build)


def check_front_doors(model: Model, ecs: Ecs) -> Iterator[Finding]:
    """Load balancers are the only path in from outside, and only as declared: see ``front_door_findings``."""
    yield from _load_balancer_blocks(model, ecs)
    for violation in front_door_findings(model):
        if violation.subject == ecs.name:
            yield violation
    for address, _ in model.config.resources("aws_vpc_endpoint_service"):
        yield Finding(ecs.name, str(address), "no-load-balancer", "a VPC endpoint service could expose its tasks through a load balancer")
    own = set(ecs.groups)
    for rtype in FRONT_DOORS:
        for address, body in model.config.resources(rtype):
            linked = {model.config.group(address.stack, g) for g in as_list(body.get("security_group_ids"))}
            if linked & own:
                yield Finding(ecs.name, str(address), "no-load-balancer", "an API Gateway VPC link uses its security group")


def _load_balancer_blocks(model: Model, ecs: Ecs) -> Iterator[Finding]:
    """Each ``load_balancer`` block must name a declared entry's target group for this service on a routed port."""
    config, where = model.config, str(ecs.address)
    balancers = blocks(ecs.body.get("load_balancer"))
    routed = any(entry.reaches(ecs.name) for entry in model.entries.values())
    if isinstance(balancers, Unknown) or "dynamic" in ecs.body:
        yield Finding(
            ecs.name, where, "no-load-balancer", "has a load_balancer block" if not routed else f"cannot prove: load_balancer {balancers}"
        )
        return
    if balancers and not routed:
        yield Finding(ecs.name, where, "no-load-balancer", "has a load_balancer block")
        return
    groups = _target_groups(model)
    for balancer in balancers:
        group = config.resolve(ecs.address.stack, balancer.get("target_group_arn"))
        port = to_port(config.value(ecs.address.stack, balancer.get("container_port")))
        claim = groups.get(group) if isinstance(group, Address) else None
        if claim is None or claim[1] != ecs.name or claim[2] != port:
            target = group if isinstance(group, Address) else balancer.get("target_group_arn") or balancer.get("elb_name")
            yield Finding(ecs.name, where, FRONT, f"load_balancer block: {target} port {port} is not a declared entry's route to it")


def _target_groups(model: Model) -> dict[Address, tuple[str, str, int]]:
    """Target groups claimed (tag ``Entry``, ``Service``) by a declared entry, with the port it routes: (entry, service, port)."""
    config, found = model.config, {}
    for rtype in TARGET_GROUPS:
        for address, body in config.resources(rtype):
            entry = model.entries.get(entry_tag(config, address) or "")
            tags = config.value(address.stack, body.get("tags"))
            service = tags.get("Service") if isinstance(tags, dict) else None
            port = to_port(config.value(address.stack, body.get("port")))
            kind = config.value(address.stack, body.get("target_type"))
            if entry is not None and isinstance(service, str) and kind == "ip" and port in entry.reaches(service):
                found[address] = (entry.name, service, port)
    return found


def _listener_problem(entry: DeclaredEntry, which: str, declared: list[bool]) -> str | None:
    """Why a listener is not one of ``entry``'s declared forwarding listeners (``declared``: the forwards flags of
    the declared listeners that match it); None when it is."""
    if not declared:
        return f"{which}, which entry '{entry.name}' does not declare"
    if not any(declared):
        return f"{which}, which entry '{entry.name}' declares a redirect"
    return None


def front_door_findings(model: Model) -> list[Finding]:
    """Every finding about target groups, load balancers, their groups, listeners and rules, each naming the
    service it exposes (every service when that cannot be told). Computed once per model."""
    cached: list[Finding] | None = getattr(model, "_front_door_findings", None)
    if cached is None:
        cached = sorted(set(_FrontDoors(model).findings()))
        model._front_door_findings = cached  # type: ignore[attr-defined]
    return cached


class _FrontDoors:
    def __init__(self, model: Model) -> None:
        self.model, self.config = model, model.config
        self.everyone = sorted({ecs.name for ecs in model.services})
        self.groups = _target_groups(model)
        self.balancers = {a: e for t in LOAD_BALANCERS for a, _ in self.config.resources(t) if (e := model.entry_of(a)) is not None}

    def findings(self) -> Iterator[Finding]:
        yield from self._unclaimed_target_groups()
        for rtype in ATTACHMENTS:
            for address, body in self.config.resources(rtype):
                detail = f"cannot prove: it registers {body.get('target_id')} by address, which may be one of its tasks"
                yield from self._each(self.everyone, address, "no-load-balancer", detail)
        for address, entry in self.balancers.items():
            yield from self._balancer(address, self.model.entries[entry.name])
        for rtype in LISTENERS:
            for address, body in self.config.resources(rtype):
                yield from self._listener(address, body)
        for rtype in LISTENER_RULES:
            for address, body in self.config.resources(rtype):
                yield from self._rule(address, body)

    def _each(self, services: list[str], address: Address | str, rule: str, detail: str) -> Iterator[Finding]:
        for name in services or self.everyone:
            yield Finding(name, str(address), rule, detail)

    def _unclaimed_target_groups(self) -> Iterator[Finding]:
        for rtype in TARGET_GROUPS:
            for address, body in self.config.resources(rtype):
                kind = self.config.value(address.stack, body.get("target_type"))
                if address in self.groups:
                    continue
                if kind == "ip":
                    yield from self._each(self.everyone, address, "no-load-balancer", "an IP target group could register its tasks")
                elif isinstance(kind, Unknown):
                    yield from self._each(self.everyone, address, "no-load-balancer", f"cannot prove: target_type {kind}")

    def _routed(self, entry: DeclaredEntry) -> list[str]:
        return sorted({service for service, _, _, _ in entry.routes})

    def _internet_facing(self, balancer: Address) -> bool:
        return truth(self.config.value(balancer.stack, self.config.body(balancer).get("internal"))) is not True

    def _balancer(self, address: Address, entry: DeclaredEntry) -> Iterator[Finding]:
        body, routed = self.config.body(address), self._routed(entry)
        facing = self._internet_facing(address)
        if facing != entry.internet_facing:
            said = "internet-facing" if entry.internet_facing else "internal"
            yield from self._each(routed, address, FRONT, f"entry '{entry.name}' is declared {said}, but this load balancer is not")
        kind = self.config.value(address.stack, body.get("load_balancer_type"))
        if kind not in (None, "application"):
            yield from self._each(
                routed, address, FRONT, f"load_balancer_type {kind}; entry '{entry.name}' is an Application Load Balancer"
            )
        groups = self.config.items(address.stack, body.get("security_groups"))
        if not groups:
            yield from self._each(routed, address, FRONT, "cannot prove who reaches it: the load balancer has no security group")
        for value in groups:
            group = self.config.group(address.stack, value)
            if isinstance(group, Unknown):
                yield from self._each(routed, address, FRONT, f"cannot prove who reaches it: security group {value} ({group})")
                continue
            for where, stack, rule in ingress_rules(self.config, group):
                yield from self._group_rule(entry, routed, where, stack, rule)

    def _group_rule(
        self, entry: DeclaredEntry, routed: list[str], where: str, stack: str, rule: dict[str, Any] | Unknown
    ) -> Iterator[Finding]:
        """The load balancer's group admits only the declared sources, only on the declared listener ports."""
        if isinstance(rule, Unknown):
            yield from self._each(routed, where, FRONT, f"cannot prove: {rule}")
            return
        admitted = [str(v) for name in CIDR_FIELDS for v in present(rule.get(name))]
        extra = [a for a in admitted if a not in entry.sources] + [str(s) for s in present(rule["_sources"])]
        if truth(self.config.value(stack, rule.get("self"))) is not False:
            extra.append("itself")
        low, high = self.config.value(stack, rule.get("from_port")), self.config.value(stack, rule.get("to_port"))
        protocol = str(self.config.value(stack, rule.get("ip_protocol", rule.get("protocol", "")))).lower()
        ports = {port for port, _, _ in entry.listeners}
        if extra:
            declared = ", ".join(entry.sources) or "nobody"
            yield from self._each(
                routed, where, FRONT, f"the load balancer's group admits {', '.join(extra)}; entry '{entry.name}' declares {declared}"
            )
        if protocol not in ("tcp", "6") or low != high or low not in ports:
            yield from self._each(
                routed,
                where,
                FRONT,
                f"the load balancer's group opens {protocol} {low}-{high}; entry '{entry.name}' listens on tcp {sorted(ports)}",
            )

    def _forwards(self, stack: str, actions: Any) -> list[Address | Unknown]:
        """The target groups a list of actions forwards to (``target_group_arn`` or ``forward.target_group``)."""
        found: list[Address | Unknown] = []
        items = blocks(actions)
        if isinstance(items, Unknown):
            return [items]
        for action in items:
            kind = self.config.value(stack, action.get("type"))
            if kind in ("redirect", "fixed-response", *AUTHENTICATE):
                continue  # they answer or authenticate (narrowing who gets through); only a forward reaches a target
            if action.get("target_group_arn") not in (None, ""):
                found.append(self.config.resolve(stack, action.get("target_group_arn")))
            forward = block(action.get("forward"))
            groups = blocks(forward.get("target_group")) if isinstance(forward, dict) else forward
            for group in groups if isinstance(groups, list) else [groups]:
                found.append(self.config.resolve(stack, group.get("arn")) if isinstance(group, dict) else group)
            if kind != "forward" and not found:
                found.append(Unknown(f"action type {kind}"))
        return found

    def _exposed(self, targets: list[Address | Unknown]) -> list[str]:
        """The services a forward reaches; every service when a target cannot be traced to a claimed target group."""
        names: set[str] = set()
        for target in targets:
            if isinstance(target, Address) and target in self.groups:
                names.add(self.groups[target][1])
            elif isinstance(target, Unknown) or target.type in TARGET_GROUPS:
                return self.everyone
        return sorted(names)

    def _listener(self, address: Address, body: dict[str, Any]) -> Iterator[Finding]:
        stack = address.stack
        balancer = self.config.resolve(stack, body.get("load_balancer_arn"))
        entry = self.balancers.get(balancer) if isinstance(balancer, Address) else None
        targets = self._forwards(stack, body.get("default_action"))
        exposed = self._exposed(targets)
        if entry is None:
            if exposed:
                yield from self._each(exposed, address, FRONT, "a listener that no declared entry has forwards to its target group")
            return
        port, protocol = to_port(self.config.value(stack, body.get("port"))), self.config.value(stack, body.get("protocol"))
        declared = [forwards for p, proto, forwards in entry.listeners if p == port and proto == protocol]
        routed = self._routed(entry)
        if not declared:
            yield from self._each(routed, address, FRONT, f"listener {protocol} {port} is not declared by entry '{entry.name}'")
        elif targets and not declared[0]:
            yield from self._each(
                routed, address, FRONT, f"listener {protocol} {port} forwards; entry '{entry.name}' declares it a redirect"
            )
        if targets and protocol == "HTTP" and isinstance(balancer, Address) and self._internet_facing(balancer):
            yield from self._each(exposed or routed, address, FRONT, "a plain-HTTP listener forwards on an internet-facing entry")
        defaults = {(s, p) for s, p, host, path in entry.routes if host is None and path is None}
        for target in targets:
            claim = self.groups.get(target) if isinstance(target, Address) else None
            if claim is None or claim[0] != entry.name or (claim[1], claim[2]) not in defaults:
                yield from self._each(
                    exposed, address, FRONT, f"its default action forwards to {target}, not to a default route of entry '{entry.name}'"
                )

    def _rule(self, address: Address, body: dict[str, Any]) -> Iterator[Finding]:
        stack = address.stack
        entry, listener, problem = self._rule_entry(stack, body.get("listener_arn"))
        targets = self._forwards(stack, body.get("action"))
        exposed = self._exposed(targets)
        if entry is None:
            if exposed:
                yield from self._each(exposed, address, FRONT, "a listener rule that no declared entry has forwards to its target group")
            return
        if problem is not None and targets:
            yield from self._each(exposed or self._routed(entry), address, FRONT, f"it forwards on {problem}")
        hosts, paths = self._conditions(stack, body.get("condition"))
        for target in targets:
            claim = self.groups.get(target) if isinstance(target, Address) else None
            declared = (
                claim is not None
                and claim[0] == entry.name
                and any(
                    (claim[1], claim[2]) == (s, p) and hosts == ([h] if h else []) and paths == ([q] if q else [])
                    for s, p, h, q in entry.routes
                )
            )
            if not declared:
                route = f"host {hosts or 'any'} path {paths or 'any'}"
                yield from self._each(exposed, address, FRONT, f"routes {route} to {target}, which entry '{entry.name}' does not declare")
        if targets and listener is not None:
            listener_body = self.config.body(listener)
            balancer = self.config.resolve(listener.stack, listener_body.get("load_balancer_arn"))
            plain = self.config.value(listener.stack, listener_body.get("protocol")) == "HTTP"
            if plain and isinstance(balancer, Address) and self._internet_facing(balancer):
                yield from self._each(exposed, address, FRONT, "a plain-HTTP listener forwards on an internet-facing entry")

    def _rule_entry(self, stack: str, value: Any) -> tuple[DeclaredEntry | None, Address | None, str | None]:
        """The entry a rule's listener provably is, the listener resource, and why it is not a declared forwarding
        listener of that entry (None: it is). The listener is known by what the rule attaches to: another team's
        listener by its declared ARN; a listener resource by its load balancer, port and protocol; a data lookup by
        that ARN, or by its load balancer and port."""
        for entry in self.model.entries.values():
            if entry.existing_listener_arn is not None and value == entry.existing_listener_arn:
                return entry, None, None
        listener = self.config.resolve(stack, value)
        if not isinstance(listener, Address) or listener.type not in LISTENERS:
            return None, None, None
        body = self.config.body(listener)
        if listener.mode == "data":
            return self._looked_up(listener, body)
        balancer = self.config.resolve(listener.stack, body.get("load_balancer_arn"))
        owner = self.balancers.get(balancer) if isinstance(balancer, Address) else None
        if owner is None:
            return None, listener, None
        port, protocol = (
            to_port(self.config.value(listener.stack, body.get("port"))),
            self.config.value(listener.stack, body.get("protocol")),
        )
        declared = [forwards for p, proto, forwards in owner.listeners if p == port and proto == protocol]
        return owner, listener, _listener_problem(owner, f"listener {protocol} {port}", declared)

    def _looked_up(self, listener: Address, body: dict[str, Any]) -> tuple[DeclaredEntry | None, Address | None, str | None]:
        """A ``data.aws_lb_listener``: the existing listener its literal ``arn`` names, or the listener on ``port``
        of a declared entry's load balancer; anything else cannot be told apart from any other listener."""
        arn = self.config.value(listener.stack, body.get("arn"))
        for entry in self.model.entries.values():
            if isinstance(arn, str) and entry.existing_listener_arn == arn:
                return entry, None, None
        balancer = self.config.resolve(listener.stack, body.get("load_balancer_arn"))
        owner = self.balancers.get(balancer) if isinstance(balancer, Address) and body.get("arn") in (None, "") else None
        port = to_port(self.config.value(listener.stack, body.get("port")))
        if owner is None or not isinstance(port, int):
            return None, None, None
        declared = [forwards for p, _, forwards in owner.listeners if p == port]
        return owner, None, _listener_problem(owner, f"the listener on port {port} ({listener})", declared)

    def _conditions(self, stack: str, value: Any) -> tuple[list[str], list[str]]:
        hosts: list[str] = []
        paths: list[str] = []
        conditions = blocks(value)
        for condition in conditions if isinstance(conditions, list) else []:
            for key, into in (("host_header", hosts), ("path_pattern", paths)):
                found = block(condition.get(key))
                if isinstance(found, dict):
                    into += [str(v) for v in as_list(self.config.value(stack, found.get("values")))]
        return sorted(hosts), sorted(paths)
