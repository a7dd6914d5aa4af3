"""Who can reach each guarded resource (``Guarded``, topology/extras.py): exactly the services granted ``.connect``.

A guarded resource is a database (or a cache, anything) the team puts in a security group of its own. The
declaration says which services may connect and on which port; the project writes one ingress rule per grant,
from that service's group. This check reads every ingress rule on that group, in every form (standalone, legacy,
inline), and judges each by what it admits: every member of an admitted group must be the ECS service of a
service granted ``.connect``, on the declared port only (TCP). An address range, a prefix list, the group itself
(``self``), an admitted group with any other member (another service, an instance, a load balancer) or none, a
wider port range, and anything that cannot be traced is a finding. What joins the guarded group (the database) is
the team's; a service's group that admits the guarded group is judged by ``ingress`` as for any source.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from proof.findings import Finding

from .config import Config
from .declaration import DeclaredGuard
from .ingress import Rule, ingress_rules, not_by_group
from .model import Unknown, as_list
from .services import Model
from .values import port, present

RULE = "guarded-admits-granted-only"
INGRESS_TYPES = (
    ("aws_vpc_security_group_ingress_rule", "referenced_security_group_id"),
    ("aws_security_group_rule", "source_security_group_id"),
)


def check_guarded(model: Model) -> Iterator[Finding]:
    """Every finding on every declared guarded resource's group."""
    for guard in model.guards.values():
        for where, stack, rule in guarded_rules(model.config, guard):
            yield from _check_rule(model, guard, where, stack, rule)


def guarded_rules(config: Config, guard: DeclaredGuard) -> Iterator[Rule]:
    """Every ingress rule on the guard's group: the one the project writes (``own_<name>``, in any stack of the
    selection), or the team's existing group, named by its ID."""
    if guard.group_id is not None:
        yield from _rules_on_literal(config, guard.group_id)
        return
    for address, _ in config.resources("aws_security_group"):
        if f"{address.type}.{address.name}" == guard.address:
            yield from ingress_rules(config, address)


def _rules_on_literal(config: Config, group_id: str) -> Iterator[Rule]:
    for rtype, sources in INGRESS_TYPES:
        for address, body in config.resources(rtype):
            if rtype == "aws_security_group_rule" and config.value(address.stack, body.get("type")) == "egress":
                continue
            if config.value(address.stack, body.get("security_group_id")) == group_id:
                yield str(address), address.stack, {**body, "_sources": as_list(body.get(sources))}


def _check_rule(model: Model, guard: DeclaredGuard, where: str, stack: str, rule: dict[str, Any] | Unknown) -> Iterator[Finding]:
    only = f"only the services granted {guard.name}.connect may reach it"
    if isinstance(rule, Unknown):
        yield Finding(guard.name, where, RULE, f"cannot prove: {rule}")
        return
    yield from not_by_group(model.config, Finding(guard.name, where, RULE, ""), stack, rule, only, self_note=f"self; {only}")
    for source in present(rule["_sources"]):
        yield from _check_source(model, guard, where, stack, source)
    yield from _check_port(model.config, guard, where, stack, rule)


def _check_source(model: Model, guard: DeclaredGuard, where: str, stack: str, source: Any) -> Iterator[Finding]:
    admitted = model.config.group(stack, source)
    if isinstance(admitted, Unknown):
        yield Finding(guard.name, where, RULE, f"cannot prove: ingress from {source}: {admitted}")
        return
    members = model.members.get(admitted, [])
    if not members:
        yield Finding(guard.name, where, RULE, f"ingress from {admitted}, which is not the security group of a granted service")
    for member in members:
        service = model.by_address.get(member)
        if service is None:
            problem = f"an {member.type}, not an ECS service"
        elif not service.name_known or service.name not in guard.admitted:
            problem = f"service '{service.name}', not granted {guard.name}.connect"
        else:
            continue
        yield Finding(guard.name, where, RULE, f"ingress from {admitted} admits {member} ({problem})")


def _check_port(config: Config, guard: DeclaredGuard, where: str, stack: str, rule: dict[str, Any]) -> Iterator[Finding]:
    protocol = config.value(stack, rule.get("ip_protocol", rule.get("protocol", "")))
    low, high = port(config.value(stack, rule.get("from_port"))), port(config.value(stack, rule.get("to_port")))
    if isinstance(protocol, Unknown) or isinstance(low, Unknown) or isinstance(high, Unknown):
        yield Finding(guard.name, where, RULE, f"cannot prove which ports it opens: {protocol} {low}-{high}")
        return
    number = port(protocol)
    text = str(number) if isinstance(number, int) else str(protocol).lower()
    if text not in ("tcp", "6") or low != high or low != guard.port:
        yield Finding(guard.name, where, RULE, f"opens {text or '?'} {low}-{high}; only tcp {guard.port} (its declared port)")
