"""Reach sets for the plan review: who can reach each service, and through which rule and port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .config import Config
from .ingress import CIDR_FIELDS, ingress_rules
from .model import Address, Unknown
from .services import LOAD_BALANCERS, Ecs, Model
from .values import port, present, truth

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
