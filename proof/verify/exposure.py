"""Paths in from outside the VPC: public IPs, subnets that route to an internet gateway, load balancers.

A task with a public IP in a subnet that routes to an internet gateway, or behind
a load balancer, target group, VPC endpoint service or API Gateway VPC link, can
be reached by more than its security groups' members; each is reported per service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .config import Config
from .model import Address, Unknown, Violation, as_list, block, blocks
from .reach import Ecs, Model, truth

FRONT_DOORS = ("aws_apigatewayv2_vpc_link", "aws_api_gateway_vpc_link")
TARGET_GROUPS = ("aws_lb_target_group", "aws_alb_target_group")


def check_placement(model: Model, ecs: Ecs) -> Iterator[Violation]:
    config, where = model.config, str(ecs.address)
    network = block(ecs.body.get("network_configuration"))
    if isinstance(network, Unknown) or "dynamic" in ecs.body:
        yield Violation(ecs.name, where, "private-subnets", f"cannot prove: network_configuration is computed ({network})")
        return
    public = truth(config.value(ecs.address.stack, network.get("assign_public_ip")))
    if public is True:
        yield Violation(ecs.name, where, "no-public-ip", "assign_public_ip is true")
    elif isinstance(public, Unknown):
        yield Violation(ecs.name, where, "no-public-ip", f"cannot prove: assign_public_ip {public}")
    subnets = config.items(ecs.address.stack, network.get("subnets"))
    if not subnets:
        yield Violation(ecs.name, where, "private-subnets", "cannot prove: no subnets listed")
    for subnet_ref in subnets:
        subnet = config.resolve(ecs.address.stack, subnet_ref)
        if isinstance(subnet, Address) and subnet.type == "aws_subnet" and subnet.mode == "data":
            yield existing_subnet(config, ecs, subnet)
            continue
        if isinstance(subnet, Unknown) or subnet.type != "aws_subnet" or subnet.mode != "managed":
            yield Violation(ecs.name, where, "private-subnets", f"subnet {subnet_ref} cannot be traced to an aws_subnet")
            continue
        yield from _check_subnet(config, ecs, subnet)


UNPROVEN = "private-subnets-unproven"
"""An existing (read) subnet: not provable from the Terraform, but checked by Terraform at plan time."""
PLAN_TIME_CHECKS = ("${!self.map_public_ip_on_launch}", '${!anytrue([for r in self.routes : can(regex("^igw-", r.gateway_id))])}')


def _postconditions(body: dict[str, Any]) -> set[str]:
    lifecycle = block(body.get("lifecycle"))
    if isinstance(lifecycle, Unknown):
        return set()
    conditions = blocks(lifecycle.get("postcondition"))
    return set() if isinstance(conditions, Unknown) else {str(c.get("condition")) for c in conditions}


def existing_subnet(config: Config, ecs: Ecs, subnet: Address) -> Violation:
    """An existing subnet is read, not declared: the Terraform cannot show that it is private, only that Terraform
    will check it at plan time. With all three plan-time checks that is ``private-subnets-unproven`` (accepted only
    with ``--accept-plan-time-checks``); without them it is a ``private-subnets`` violation."""
    data = config.section(subnet.stack, "data")
    body = config.body(subnet)
    subnet_id = body.get("id", "?")
    conditions = _postconditions(body)
    found = data.get("aws_route_tables")
    tables: dict[str, Any] = found if isinstance(found, dict) else {}
    own_tables = [
        name
        for name, table_body in tables.items()
        if isinstance(table_body, dict)
        and any(
            isinstance(f, dict) and f.get("name") == "association.subnet-id" and as_list(f.get("values")) == [subnet_id]
            for f in as_list(table_body.get("filter"))
        )
    ]
    found = data.get("aws_route_table")
    routes: dict[str, Any] = found if isinstance(found, dict) else {}
    routes_checked = any(
        isinstance(table_body, dict)
        and PLAN_TIME_CHECKS[1] in _postconditions(table_body)
        and any(f"data.aws_route_tables.{own}.ids" in str(table_body.get("route_table_id")) for own in own_tables)
        for table_body in routes.values()
    )
    in_vpc = any(condition.startswith("${self.vpc_id == ") for condition in conditions)
    if PLAN_TIME_CHECKS[0] in conditions and in_vpc and routes_checked:
        detail = (
            f"existing subnet {subnet_id}: cannot prove from the Terraform that it is private; Terraform checks it at plan time "
            "(in the VPC, no public IP mapping, no internet-gateway route)"
        )
        return Violation(ecs.name, str(subnet), UNPROVEN, detail)
    detail = f"existing subnet {subnet_id} is read without the plan-time checks that it is private"
    return Violation(ecs.name, str(subnet), "private-subnets", detail)


def _check_subnet(config: Config, ecs: Ecs, subnet: Address) -> Iterator[Violation]:
    mapped = truth(config.value(subnet.stack, config.body(subnet).get("map_public_ip_on_launch")))
    if mapped is True:
        yield Violation(ecs.name, str(subnet), "private-subnets", "map_public_ip_on_launch is true")
    elif isinstance(mapped, Unknown):
        yield Violation(ecs.name, str(subnet), "private-subnets", f"cannot prove: map_public_ip_on_launch {mapped}")
    tables = [
        config.resolve(address.stack, body.get("route_table_id"))
        for address, body in config.resources("aws_route_table_association")
        if config.resolve(address.stack, body.get("subnet_id")) == subnet
    ]
    if not tables:
        yield Violation(ecs.name, str(subnet), "private-subnets", "no route table association (the VPC's main route table is not checked)")
    for table in tables:
        if isinstance(table, Unknown):
            yield Violation(ecs.name, str(subnet), "private-subnets", "route table cannot be traced")
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
                yield Violation(
                    ecs.name, where, "private-subnets", f"{subnet} routes {route.get('destination_cidr_block', '?')} to an internet gateway"
                )
            elif isinstance(target, Unknown):
                yield Violation(
                    ecs.name, where, "private-subnets", f"cannot prove: {subnet} routes to gateway {gateway}, which cannot be traced"
                )


def check_front_doors(model: Model, ecs: Ecs) -> Iterator[Violation]:
    config, where = model.config, str(ecs.address)
    balancers = blocks(ecs.body.get("load_balancer"))
    if isinstance(balancers, Unknown) or balancers:
        yield Violation(ecs.name, where, "no-load-balancer", "has a load_balancer block")
    for rtype in TARGET_GROUPS:
        for address, body in config.resources(rtype):
            kind = config.value(address.stack, body.get("target_type"))
            if kind == "ip":
                yield Violation(ecs.name, str(address), "no-load-balancer", "an IP target group could register its tasks")
            elif isinstance(kind, Unknown):
                yield Violation(ecs.name, str(address), "no-load-balancer", f"cannot prove: target_type {kind}")
    for address, _ in config.resources("aws_vpc_endpoint_service"):
        yield Violation(ecs.name, str(address), "no-load-balancer", "a VPC endpoint service could expose its tasks through a load balancer")
    own = set(ecs.groups)
    for rtype in FRONT_DOORS:
        for address, body in config.resources(rtype):
            linked = {config.group(address.stack, g) for g in as_list(body.get("security_group_ids"))}
            if linked & own:
                yield Violation(ecs.name, str(address), "no-load-balancer", "an API Gateway VPC link uses its security group")
