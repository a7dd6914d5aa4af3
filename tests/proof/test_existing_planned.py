"""Existing subnets proven outright from a saved plan (issue 33, item 5): the values the plan read decide.

A saved plan holds what Terraform read of each existing subnet and route table. The article on an existing
network is synthesized, and its network stack's data sources are given the values a plan would show (as
``terraform show -json`` holds them: no lifecycle blocks, values instead of expressions). A private subnet is
then proven (no line at all); a public IP on launch or an internet-gateway route in the table the subnet uses is a
finding; a plan that does not show which table it uses falls back to the plan-time checks.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from examples import article
from proof.verify import Config, declared_callers, verify
from proof.verify.existing import PLANNED
from topology import ExistingNetwork, NetworkSettings, Settings

from ..conftest import Synthesizer
from ..tfjson import Synth

VPC = "vpc-0a1b2c3d4e5f60091"
SUBNETS = ("subnet-0a1b2c3d4e5f60090", "subnet-0a1b2c3d4e5f60099")
NAT = [{"cidr_block": "0.0.0.0/0", "gateway_id": "", "nat_gateway_id": "nat-0a1b2c3d4e5f60000"}]
IGW = [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-0a1b2c3d4e5f60000", "nat_gateway_id": ""}]
Stacks = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def existing(synthesize: Synthesizer) -> Synth:
    network = NetworkSettings(existing=ExistingNetwork(vpc_id=VPC, private_subnet_ids=SUBNETS))
    return synthesize(article.TOPOLOGY, Settings(network=network))


def _table(table_id: str, routes: list[dict[str, Any]], associations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": table_id, "route_table_id": table_id, "vpc_id": VPC, "routes": routes, "associations": associations}


def _planned(
    synth: Synth, *, main: list[dict[str, Any]], own: dict[str, list[dict[str, Any]]] | None = None, public: bool = False
) -> Stacks:
    """The stacks as a plan shows them: ``main`` the main table's routes, ``own[subnet]`` a subnet's own table's."""
    own = own or {}
    stacks = {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}
    data = stacks["network"]["data"]
    main_table = _table("rtb-0000000000000000a", main, [{"main": True, "subnet_id": "", "route_table_id": "rtb-0000000000000000a"}])
    for name in data["aws_route_table"]:
        data["aws_route_table"][name] = main_table
    for index, subnet in enumerate(SUBNETS):
        (name,) = [n for n, b in data["aws_subnet"].items() if b["id"] == subnet]
        data["aws_subnet"][name] = {"id": subnet, "vpc_id": VPC, "map_public_ip_on_launch": public, "cidr_block": f"10.9.{index}.0/24"}
        (lookup,) = [n for n in data["aws_route_tables"] if f"subnet_{index}" in n]
        table_id = f"rtb-000000000000000{index}"
        data["aws_route_tables"][lookup] = {
            "vpc_id": VPC,
            "filter": [{"name": "association.subnet-id", "values": [subnet]}],
            "ids": [table_id] if subnet in own else [],
            "tags": None,
        }
        if subnet in own:
            data["aws_route_table"][f"own_{index}"] = _table(table_id, own[subnet], [{"main": False, "subnet_id": subnet}])
    return stacks


def _found(stacks: Stacks, source: str = "plan") -> set[tuple[str, str]]:
    return {(v.kind, v.detail) for v in verify(Config(stacks, source=source), declared_callers("article"))}


def test_private_subnets_are_proven_outright(existing: Synth) -> None:
    assert _found(_planned(existing, main=NAT)) == set()
    assert _found(_planned(existing, main=IGW, own={s: NAT for s in SUBNETS})) == set()  # their own tables decide


def test_the_main_table_routing_to_an_internet_gateway_fails(existing: Synth) -> None:
    assert _found(_planned(existing, main=IGW)) == {
        (
            "private-subnets",
            f"existing subnet {s} routes 0.0.0.0/0 to igw-0a1b2c3d4e5f60000 (route table rtb-0000000000000000a, as planned)",
        )
        for s in SUBNETS
    }


def test_a_subnets_own_table_routing_to_an_internet_gateway_fails(existing: Synth) -> None:
    assert _found(_planned(existing, main=NAT, own={SUBNETS[1]: IGW})) == {
        (
            "private-subnets",
            f"existing subnet {SUBNETS[1]} routes 0.0.0.0/0 to igw-0a1b2c3d4e5f60000 (route table rtb-0000000000000001, as planned)",
        )
    }


def test_a_public_ip_on_launch_fails(existing: Synth) -> None:
    assert _found(_planned(existing, main=NAT, public=True)) == {
        ("private-subnets", f"existing subnet {s} maps a public IP on launch (as planned)") for s in SUBNETS
    }


def test_a_narrowed_lookup_of_its_own_tables_proves_nothing(existing: Synth) -> None:
    """An extra filter can make the lookup read no table although the subnet has one: the plan does not show it."""
    stacks = _planned(existing, main=NAT)
    for lookup in stacks["network"]["data"]["aws_route_tables"].values():
        lookup["filter"].append({"name": "tag:Name", "values": ["nothing"]})
    assert {rule for rule, _ in _found(stacks)} == {"private-subnets"}


def test_configuration_input_keeps_the_plan_time_checks(existing: Synth) -> None:
    stacks = {name: copy.deepcopy(existing.stack(name)) for name in ("network", "services")}
    assert {rule for rule, _ in _found(stacks, source="configuration")} == {PLANNED}
