"""The plan review on a front door: a new route into a service, and a wider source at its load balancer, are widenings."""

from __future__ import annotations

from typing import Any

from examples import article
from proof.plan_review import DeclaredReach, proven_front_doors, review

from .test_plan_input import SERVER_SG, _add, _plan

LB_GROUP = "aws_security_group.front"


def _front_door(plan: dict[str, Any], cidr: str) -> None:
    """A new entry in front of internal-nginx: its group (open to ``cidr`` on 443), its load balancer, a rule into the server."""
    refs = {"references": [f"{LB_GROUP}.id", LB_GROUP]}
    _add(plan, "aws_security_group", "front", {"name": "front", "ingress": [], "egress": []}, {"id": True}, {})
    _add(
        plan,
        "aws_vpc_security_group_ingress_rule",
        "into_front",
        {"security_group_id": None, "cidr_ipv4": cidr, "ip_protocol": "tcp", "from_port": 443, "to_port": 443},
        {"id": True, "security_group_id": True},
        {"security_group_id": refs},
    )
    _add(
        plan,
        "aws_lb",
        "front",
        {"name": "front", "internal": False, "load_balancer_type": "application", "security_groups": None, "tags": {"Entry": "front"}},
        {"id": True, "arn": True, "security_groups": True},
        {"security_groups": refs},
    )
    _add(
        plan,
        "aws_vpc_security_group_ingress_rule",
        "from_front",
        {"security_group_id": SERVER_SG, "referenced_security_group_id": None, "ip_protocol": "tcp", "from_port": 80, "to_port": 80},
        {"id": True, "referenced_security_group_id": True},
        {"referenced_security_group_id": refs},
    )
    _add(
        plan,
        "aws_lb_listener_rule",
        "route",
        {"priority": 1, "condition": [{"host_header": [{"values": ["api.example.com"]}]}]},
        {"id": True, "listener_arn": True, "action": True},
        {},
    )


def test_an_added_route_is_a_widening() -> None:
    plan = _plan("services")
    _front_door(plan, "0.0.0.0/0")
    assert review("services", plan).blocking == [
        "`aws_lb.front`: new ingress source aws_lb.front -> internal-nginx on tcp/80",
        "`aws_vpc_security_group_ingress_rule.into_front`: new ingress source aws_lb.front from 0.0.0.0/0 on tcp/443 -> internal-nginx on tcp/80",
        "`aws_lb.front`: a aws_lb is created (a new path in or a new route; only a declared entry may add one)",
        "`aws_lb_listener_rule.route`: a aws_lb_listener_rule is created (a new path in or a new route; only a declared entry may add one)",
    ]


LB_SG = "sg-0f0e0d0c0b0a09080"


def _deployed(plan: dict[str, Any], rtype: str, name: str, values: dict[str, Any]) -> None:
    """A resource already in the state and unchanged by the plan (IDs known)."""
    resource = {"address": f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name, "values": values}
    plan["prior_state"]["values"]["root_module"]["resources"].append(resource)
    plan["planned_values"]["root_module"]["resources"].append(resource)
    change = {"actions": ["no-op"], "before": values, "after": values, "after_unknown": {}}
    plan["resource_changes"].append({"address": resource["address"], "mode": "managed", "type": rtype, "name": name, "change": change})


def test_a_wider_source_at_an_existing_load_balancer_is_a_widening() -> None:
    """The front door is already deployed (open to one range); the change opens its group to one more range."""
    plan = _plan("services")
    _deployed(plan, "aws_security_group", "front", {"id": LB_SG, "name": "front", "ingress": [], "egress": []})
    _deployed(plan, "aws_lb", "front", {"id": "arn:lb", "internal": False, "security_groups": [LB_SG], "tags": {"Entry": "front"}})
    rule = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443}
    _deployed(
        plan,
        "aws_vpc_security_group_ingress_rule",
        "into_front",
        {"id": "sgr-1", "security_group_id": LB_SG, "cidr_ipv4": "203.0.113.0/24", **rule},
    )
    into_server = {
        "security_group_id": SERVER_SG,
        "referenced_security_group_id": LB_SG,
        "ip_protocol": "tcp",
        "from_port": 80,
        "to_port": 80,
    }
    _deployed(plan, "aws_vpc_security_group_ingress_rule", "from_front", {"id": "sgr-2", **into_server})
    _add(
        plan,
        "aws_vpc_security_group_ingress_rule",
        "office",
        {"security_group_id": LB_SG, "cidr_ipv4": "10.0.0.0/8", **rule},
        {"id": True},
        {},
    )
    assert review("services", plan).blocking == [
        "`aws_vpc_security_group_ingress_rule.office`: new ingress source aws_lb.front from 10.0.0.0/8 on tcp/443 -> internal-nginx on tcp/80",
    ]


def test_a_front_door_the_proof_ties_to_a_declared_entry_is_declared_not_blocking() -> None:
    """``DeclaredReach.front_doors`` (``proven_front_doors``: the front-door proof passed on the planned configuration):
    the load balancer, its rule and the reach through it are listed as declared; its open group's rule is not an entry
    resource, so nothing else changes."""
    plan = _plan("services")
    _front_door(plan, "0.0.0.0/0")
    proven = DeclaredReach(front_doors=frozenset({"services:aws_lb.front", "services:aws_lb_listener_rule.route"}))
    result = review("services", plan, declared=proven)
    assert result.blocking == []
    assert result.declared == [
        "`aws_lb.front`: new ingress source aws_lb.front -> internal-nginx on tcp/80 (declared: a declared entry's load balancer, proven on the plan)",
        "`aws_vpc_security_group_ingress_rule.into_front`: new ingress source aws_lb.front from 0.0.0.0/0 on tcp/443 -> internal-nginx"
        " on tcp/80 (declared: a declared entry's load balancer, proven on the plan)",
        "`aws_lb.front`: a aws_lb is created (declared: an entry's, proven on the plan)",
        "`aws_lb_listener_rule.route`: a aws_lb_listener_rule is created (declared: an entry's, proven on the plan)",
    ]


def test_a_front_door_of_another_stack_or_not_proven_still_blocks() -> None:
    plan = _plan("services")
    _front_door(plan, "0.0.0.0/0")
    elsewhere = DeclaredReach(front_doors=frozenset({"network:aws_lb.front", "network:aws_lb_listener_rule.route"}))
    assert review("services", plan, declared=elsewhere).blocking == review("services", plan).blocking != []


def test_the_proof_ties_no_front_door_when_it_finds_an_undeclared_one() -> None:
    """The article declares no entry: the front door added to its plan is the proof's finding, so none is declared."""
    plan = _plan("services")
    _front_door(plan, "0.0.0.0/0")
    assert proven_front_doors({"network": _plan("network"), "services": plan}, article.TOPOLOGY) == frozenset()
