"""An existing subnet, read by a data source: proven when planned, if Terraform's plan-time checks are exactly there.

The network stack reads each existing task subnet (``data.aws_subnet``) and has Terraform check, before anything is
changed, that it is in the VPC, maps no public IP on launch, and that its route table (its own, or the VPC's main
table it falls back to) has no route to an internet gateway. The Terraform cannot show those facts, but a plan
cannot be made without them: so a subnet whose checks are all present, each condition as a whole expression and
each lookup wired to exactly this subnet and this VPC, is "proven when planned". A check removed or weakened (a
different condition, a lookup of another subnet or another table) is a finding.
"""

from __future__ import annotations

from typing import Any

from proof.findings import Finding
from topology.checks import IN_VPC_PREFIX, IN_VPC_SUFFIX, NO_IGW_ROUTE, NO_PUBLIC_IP, in_vpc

from .config import Config
from .model import Address, Unknown, as_list, block, blocks

PLANNED = "private-subnets-when-planned"
"""The rule of a subnet proven when planned: printed, never counted as a finding."""


def postconditions(body: dict[str, Any]) -> set[str]:
    """Each postcondition's whole condition, as written."""
    lifecycle = block(body.get("lifecycle"))
    if isinstance(lifecycle, Unknown):
        return set()
    conditions = blocks(lifecycle.get("postcondition"))
    return set() if isinstance(conditions, Unknown) else {str(c.get("condition")) for c in conditions}


def _looks_up(body: Any, vpc_id: str, name: str, value: str) -> bool:
    """A route-table lookup in ``vpc_id`` by exactly one filter ``name = [value]`` and nothing else."""
    if not isinstance(body, dict) or body.get("vpc_id") != vpc_id:
        return False
    rest = {key for key in body if key not in ("//", "filter", "vpc_id", "lifecycle", "depends_on")}
    filters = as_list(body.get("filter"))
    return not rest and filters == [{"name": name, "values": [value]}]


def _table_checked(data: dict[str, Any], vpc_id: str, subnet_id: str) -> bool:
    """A route table read as this subnet's (own table, else the VPC's main table) with the no-internet-gateway check."""

    def named(dtype: str, name: str, value: str) -> list[str]:
        found = data.get(dtype)
        bodies: dict[str, Any] = found if isinstance(found, dict) else {}
        return [key for key, body in bodies.items() if _looks_up(body, vpc_id, name, value)]

    own = named("aws_route_tables", "association.subnet-id", subnet_id)
    main = named("aws_route_table", "association.main", "true")
    wanted = {
        f"${{length(data.aws_route_tables.{o}.ids) > 0 ? data.aws_route_tables.{o}.ids[0] : data.aws_route_table.{m}.id}}"
        for o in own
        for m in main
    }
    found = data.get("aws_route_table")
    tables: dict[str, Any] = found if isinstance(found, dict) else {}
    return any(
        isinstance(body, dict) and body.get("route_table_id") in wanted and NO_IGW_ROUTE in postconditions(body) for body in tables.values()
    )


def existing_subnet(config: Config, service: str, subnet: Address) -> Finding | None:
    """None when a saved plan shows the subnet private (``planned``); else ``PLANNED`` when every plan-time check
    of this subnet is in place, else a ``private-subnets`` finding."""
    outright = planned(config, service, subnet)
    if not isinstance(outright, Unknown):
        return outright
    data = config.section(subnet.stack, "data")
    body = config.body(subnet)
    subnet_id = body.get("id")
    conditions = postconditions(body)
    vpcs = [
        c.removeprefix(IN_VPC_PREFIX).removesuffix(IN_VPC_SUFFIX)
        for c in conditions
        if c.startswith(IN_VPC_PREFIX) and c.endswith(IN_VPC_SUFFIX)
    ]
    proven = (
        isinstance(subnet_id, str)
        and subnet_id.startswith("subnet-")
        and NO_PUBLIC_IP in conditions
        and any(vpc.startswith("vpc-") and in_vpc(vpc) in conditions and _table_checked(data, vpc, subnet_id) for vpc in vpcs)
    )
    if proven:
        detail = (
            f"existing subnet {subnet_id}: proven when planned: Terraform checks at plan time that it is in the VPC, "
            "maps no public IP, and that its route table (its own or the VPC's main one) has no internet-gateway route"
        )
        return Finding(service, str(subnet), PLANNED, detail)
    detail = f"existing subnet {subnet_id or '?'} is read without the plan-time checks that it is private"
    return Finding(service, str(subnet), "private-subnets", detail)


def planned(config: Config, service: str, subnet: Address) -> Finding | Unknown | None:
    """What a saved plan read of this subnet and its route table, proven outright: None when it maps no public IP
    and its table (its own, or the VPC's main table when a lookup of its own read none) routes to no internet
    gateway; a finding when the values show otherwise; Unknown when the plan does not hold those values
    (configuration input, or a value known only after apply): then the plan-time checks decide."""
    if config.source != "plan":
        return Unknown("configuration input")
    body = config.body(subnet)
    subnet_id, vpc_id, public = body.get("id"), body.get("vpc_id"), body.get("map_public_ip_on_launch")
    if not (isinstance(subnet_id, str) and subnet_id.startswith("subnet-") and isinstance(vpc_id, str) and vpc_id.startswith("vpc-")):
        return Unknown("the plan holds no values of this subnet")
    if public is True:
        return Finding(service, str(subnet), "private-subnets", f"existing subnet {subnet_id} maps a public IP on launch (as planned)")
    if public is not False:
        return Unknown("map_public_ip_on_launch is not known")
    tables = _planned_tables(config.section(subnet.stack, "data"), vpc_id, subnet_id)
    if isinstance(tables, Unknown):
        return tables
    for table in tables:
        for route in as_list(table.get("routes")):
            gateway = route.get("gateway_id") if isinstance(route, dict) else None
            if isinstance(gateway, str) and gateway.startswith("igw-"):
                where = table.get("route_table_id") or table.get("id")
                detail = f"existing subnet {subnet_id} routes {route.get('cidr_block') or route.get('ipv6_cidr_block')} to {gateway} (route table {where}, as planned)"
                return Finding(service, str(subnet), "private-subnets", detail)
    return None


def _planned_tables(data: dict[str, Any], vpc_id: str, subnet_id: str) -> list[dict[str, Any]] | Unknown:
    """The route table(s) a subnet uses, from the values a plan read: a table associated with it explicitly, or,
    when a lookup of exactly its own tables read none, the VPC's main table."""
    found = data.get("aws_route_table")
    tables = [b for b in (found.values() if isinstance(found, dict) else []) if isinstance(b, dict) and b.get("vpc_id") == vpc_id]

    def associated(table: dict[str, Any], key: str, value: Any) -> bool:
        return any(isinstance(a, dict) and a.get(key) == value for a in as_list(table.get("associations")))

    own = [t for t in tables if associated(t, "subnet_id", subnet_id)]
    if own:
        return own
    lookups = data.get("aws_route_tables")
    none_of_its_own = any(
        isinstance(b, dict)
        and b.get("vpc_id") == vpc_id
        and as_list(b.get("filter")) == [{"name": "association.subnet-id", "values": [subnet_id]}]
        and not b.get("tags")
        and b.get("ids") == []
        for b in (lookups.values() if isinstance(lookups, dict) else [])
    )
    main = [t for t in tables if associated(t, "main", True)]
    if not none_of_its_own or not main:
        return Unknown("the plan does not show which route table the subnet uses")
    return main
