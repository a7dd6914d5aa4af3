"""Who can open a TCP connection to each ECS service's tasks: every ingress rule, every source, every member.

For every security group on a service: every ingress rule in every form (standalone
rules, legacy rules, inline blocks, the VPC's unmanaged default group), every source
those rules admit, and every member of each admitted group (``services.Model``). The
proof holds only if each member is a task of a declared caller in the same cluster and
namespace, no rule admits an address range, and nothing from outside has a path in
(public IPs, internet routes, load balancers: ``exposure``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from proof.findings import Finding

from .config import Config
from .model import Address, Unknown, as_list, blocks
from .services import Ecs, Model
from .values import port, present, truth

RULE = "ingress-callers-only"
CIDR_FIELDS = ("cidr_ipv4", "cidr_ipv6", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_id", "prefix_list_ids")


def check_identity(model: Model, ecs: Ecs) -> Iterator[Finding]:
    where = str(ecs.address)
    if not ecs.name_known:
        yield Finding(ecs.name, where, "declared-services-only", "cannot prove: its name is computed")
    elif model.full and model.declared(ecs.name) is None:
        yield Finding(
            ecs.name, where, "declared-services-only", "an ECS service the declaration does not have; cannot prove who reaches it"
        )
    if isinstance(ecs.task, Unknown) or ecs.task.type != "aws_ecs_task_definition":
        yield Finding(ecs.name, where, "task-definition", f"cannot prove: its task definition cannot be traced ({ecs.task})")
    else:
        for other in model.by_task.get(ecs.task, []):
            if other.address != ecs.address:
                yield Finding(
                    ecs.name, str(other.address), "task-definition", f"its task definition {ecs.task} is also run by service '{other.name}'"
                )
    declared = model.declared(ecs.name)
    if isinstance(ecs.container_ports, Unknown):
        yield Finding(ecs.name, where, "service-connect-only", f"cannot prove which ports it serves: {ecs.container_ports}")
    if isinstance(ecs.sc_enabled, Unknown):
        yield Finding(ecs.name, where, "service-connect-only", f"cannot prove: service_connect_configuration.enabled: {ecs.sc_enabled}")
    elif not ecs.sc_served and (
        (isinstance(ecs.container_ports, list) and ecs.container_ports) or (declared is not None and declared.server)
    ):
        ports = ecs.container_ports if isinstance(ecs.container_ports, list) else []
        yield Finding(ecs.name, where, "service-connect-only", f"serves container ports {ports} but is not a Service Connect server")
    if isinstance(ecs.sc_ports, Unknown):
        yield Finding(ecs.name, where, "service-connect-only", f"cannot prove: {ecs.sc_ports}")


def check_ingress(model: Model, ecs: Ecs) -> Iterator[Finding]:
    ports = ecs.sc_ports if ecs.sc_served else ecs.container_ports
    for group in ecs.groups:
        if isinstance(group, Unknown):
            yield Finding(ecs.name, str(ecs.address), RULE, f"cannot prove: a security group cannot be traced ({group})")
            continue
        for where, stack, rule in ingress_rules(model.config, group):
            yield from _check_rule(model, ecs, group, where, stack, rule, ports)
    for address, target, where in untargeted_rules(model.config):
        if target in model.guarded_ids:
            continue  # a declared guarded resource's own group: judged by ``guarded``
        yield Finding(
            ecs.name, address, RULE, f"cannot prove: its target security group {where} cannot be traced; it may open this service"
        )


def check_group_members(model: Model, ecs: Ecs) -> Iterator[Finding]:
    """Nothing but ECS services joins a service's own group: a member of it is reached as that service is and
    reaches whatever admits it. An ECS service in another's group is judged as a caller (``_check_source``)."""
    for group in ecs.groups:
        if not isinstance(group, Address):
            continue
        for member in model.members.get(group, []):
            if member not in model.by_address:
                yield Finding(ecs.name, str(member), RULE, f"it joins {group}, this service's security group")
    for member, detail in model.untraced:
        if member.type != "aws_ecs_service":  # an ECS service in any group is judged as a caller where it is admitted
            yield Finding(
                ecs.name, str(member), RULE, f"cannot prove: it is placed in security group {detail}, which may be this service's"
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


def untargeted_rules(config: Config) -> list[tuple[str, Any, str]]:
    """Ingress rules whose target group cannot be traced, (address, the target as written, why): each may open any
    service."""
    return config.indexed("reach.untargeted", lambda: list(_untargeted_rules(config)))


def _untargeted_rules(config: Config) -> Iterator[tuple[str, Any, str]]:
    for rtype in ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule"):
        for address, body in config.resources(rtype):
            if rtype == "aws_security_group_rule" and config.value(address.stack, body.get("type")) == "egress":
                continue
            target = config.group(address.stack, body.get("security_group_id"))
            if isinstance(target, Unknown):
                yield str(address), body.get("security_group_id"), f"{body.get('security_group_id')} ({target})"


def not_by_group(config: Config, at: Finding, stack: str, rule: dict[str, Any], only: str, *, self_note: str) -> Iterator[Finding]:
    """What an ingress ``rule`` admits other than by a source group: an address range or prefix list (``only`` says
    who may reach the group instead), or the group itself (``self``). ``at`` is the finding's subject, resource and
    rule, shared by this check (a service's group) and ``guarded`` (a declared resource's group)."""
    for name in CIDR_FIELDS:
        for value in present(rule.get(name)):
            yield replace(at, detail=f"ingress from {name} {value} ({only})")
    itself = truth(config.value(stack, rule.get("self")))
    if itself is True:
        yield replace(at, detail=f"ingress from its own security group ({self_note})")
    elif isinstance(itself, Unknown):
        yield replace(at, detail=f"cannot prove: self {itself}")


def _check_rule(
    model: Model, ecs: Ecs, group: Address, where: str, stack: str, rule: dict[str, Any] | Unknown, ports: set[int] | list[int] | Unknown
) -> Iterator[Finding]:
    if isinstance(rule, Unknown):
        yield Finding(ecs.name, where, RULE, f"cannot prove: {rule}")
        return
    only = "only callers' security groups may reach it"
    yield from not_by_group(model.config, Finding(ecs.name, where, RULE, ""), stack, rule, only, self_note="self")
    for source in present(rule["_sources"]):
        yield from _check_source(model, ecs, group, where, stack, source)
    routed = _entry_ports(model, ecs, stack, rule)
    yield from _check_ports(model.config, ecs, where, stack, rule, ports if routed is None else routed, routed is not None)


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


def _check_source(model: Model, ecs: Ecs, group: Address, where: str, stack: str, source: Any) -> Iterator[Finding]:
    if isinstance(source, str) and source in model.existing_entry_groups:
        entry = model.existing_entry_groups[source]
        if not entry.reaches(ecs.name):
            yield Finding(
                ecs.name, where, RULE, f"ingress from {source}, the load balancer group of entry '{entry.name}', which does not route to it"
            )
        return
    admitted = model.config.group(stack, source)
    if isinstance(admitted, Unknown):
        yield Finding(ecs.name, where, RULE, f"cannot prove: ingress from {source}: {admitted}")
        return
    if admitted in ecs.groups:
        yield Finding(ecs.name, where, RULE, "ingress from its own security group (self)")
        return
    members = model.members.get(admitted, [])
    problems = [(m, _member_problem(model, ecs, m)) for m in members]
    if not any(problem is None for _, problem in problems):
        reasons = sorted({f"{m}: {p}" for m, p in problems if p != "not a declared caller"})
        suffix = f" ({'; '.join(reasons)})" if reasons else ""
        yield Finding(ecs.name, where, RULE, f"ingress from {admitted}, which is not the security group of a declared caller{suffix}")
        return
    for member, problem in problems:
        if problem is not None:
            yield Finding(
                ecs.name, where, RULE, f"ingress from {admitted} admits {member} ({problem}), which is not a task of a declared caller"
            )
    for member, detail in model.untraced:
        yield Finding(ecs.name, str(member), RULE, f"cannot prove: it is placed in security group {detail}, which may be {admitted}")


def _member_problem(model: Model, server: Ecs, member: Address) -> str | None:
    entry = model.entry_of(member)
    if entry is not None:
        return None if entry.reaches(server.name) else f"the load balancer of entry '{entry.name}', which does not route to it"
    if member.type != "aws_ecs_service" or member not in model.by_address:
        return f"an {member.type}, not an ECS service"
    return model.caller_problem(server, model.by_address[member])


def _check_ports(
    config: Config, ecs: Ecs, where: str, stack: str, rule: dict[str, Any], ports: set[int] | list[int] | Unknown, routed: bool = False
) -> Iterator[Finding]:
    protocol = config.value(stack, rule.get("ip_protocol", rule.get("protocol", "")))
    low, high = config.value(stack, rule.get("from_port")), config.value(stack, rule.get("to_port"))
    if isinstance(protocol, Unknown) or isinstance(port(low), Unknown) or isinstance(port(high), Unknown):
        raw = f"{rule.get('ip_protocol', rule.get('protocol'))} {rule.get('from_port')}-{rule.get('to_port')}"
        yield Finding(ecs.name, where, RULE, f"cannot prove which ports it opens: {raw} is computed")
        return
    if isinstance(ports, Unknown):
        return  # reported once by check_identity
    number = port(protocol)
    text = str(number) if isinstance(number, int) else str(protocol).lower()
    if text not in ("tcp", "6") or port(low) != port(high) or port(low) not in ports:
        allowed = "the ports its entries route to" if routed else "its Service Connect ingress ports"
        yield Finding(ecs.name, where, RULE, f"opens {text or '?'} {low}-{high}; only tcp on {sorted(ports)} ({allowed})")


def check_modules(model: Model, ecs: Ecs) -> Iterator[Finding]:
    """Module calls in configuration input: their resources are invisible here (a plan shows them)."""
    for stack in sorted(model.config.stacks):
        for name in sorted(model.config.section(stack, "module")):
            yield Finding(
                ecs.name,
                f"{stack}:module.{name}",
                "reads-everything",
                "cannot prove: module contents are not read from configuration (verify the plan JSON)",
            )
