"""Plans as input: the checker and the plan review on ``terraform show -json`` output.

The fixtures are real plans (``make plan`` against the emulator right after a
deploy of the article, terraform 1.11); each test edits a copy the way a pull
request would change the plan, with values known only after apply left unknown
and named by the configuration's references, as Terraform writes them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emulator.server import KNOWN_GAPS
from proof.plan_review import WHAT_TO_DO, DeclaredReach, add_route_findings, markdown, review
from proof.verify import declared_callers, load, verify
from proof.verify.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "plan"
SERVER_SG = "sg-514411ba0bc2eb8c5"
CLIENT_SG = "sg-1ad7b70dee79220e6"
RULE = "aws_vpc_security_group_ingress_rule.internal-nginx_sg_from_client-nginx_internal-nginx_1F96E0E2"
CLIENT_GROUP = "aws_security_group.client-nginx_sg_group_7F9D7B29"


def _plan(stack: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((FIXTURES / f"{stack}.json").read_text(encoding="utf-8"))
    return result


def _add(plan: dict[str, Any], rtype: str, name: str, values: dict[str, Any], unknown: dict[str, Any], expressions: dict[str, Any]) -> None:
    address = f"{rtype}.{name}"
    common = {"address": address, "mode": "managed", "type": rtype, "name": name}
    plan["planned_values"]["root_module"]["resources"].append({**common, "values": values})
    change = {"actions": ["create"], "before": None, "after": values, "after_unknown": unknown}
    plan["resource_changes"].append({**common, "change": change})
    plan["configuration"]["root_module"]["resources"].append({**common, "expressions": expressions})


def _lines(tmp: Path, services: dict[str, Any]) -> list[str]:
    (tmp / "services.json").write_text(json.dumps(services), encoding="utf-8")
    config = load([FIXTURES / "network.json", tmp / "services.json"])
    return [str(v) for v in verify(config, declared_callers("article"))]


def test_both_plans_prove_the_article(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FIXTURES), "--example", "article"]) == 0
    assert capsys.readouterr().err == "ok: 0 violation(s); 1 server(s), 2 service(s) checked; input: plan\n"


def test_the_services_plan_alone_cannot_trace_the_network(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FIXTURES / "services.json"), "--example", "article"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert (
        "service 'internal-nginx': services:aws_ecs_service.internal-nginx_service_CDB1B8AA: private-subnets: subnet subnet-bc7bcb727bbd954fe cannot be traced to an aws_subnet"
        in out
    )


def _new_caller(plan: dict[str, Any]) -> None:
    """A new service 'reporter' with its own group and a rule into the server's: its IDs are known only after apply."""
    refs = {"references": ["aws_security_group.reporter.id", "aws_security_group.reporter"]}
    _add(
        plan,
        "aws_security_group",
        "reporter",
        {"name": "reporter", "ingress": [], "egress": []},
        {"id": True, "arn": True},
        {"name": {"constant_value": "reporter"}},
    )
    (client,) = [
        r for r in plan["planned_values"]["root_module"]["resources"] if r["address"] == "aws_ecs_service.client-nginx_service_9C1866D1"
    ]
    service = copy.deepcopy(client["values"])
    service["name"] = "reporter"
    service["network_configuration"][0]["security_groups"] = None
    _add(
        plan,
        "aws_ecs_service",
        "reporter",
        service,
        {"id": True, "network_configuration": [{"security_groups": True}]},
        {"network_configuration": [{"security_groups": refs}]},
    )
    rule = {"security_group_id": SERVER_SG, "referenced_security_group_id": None, "ip_protocol": "tcp", "from_port": 80, "to_port": 80}
    _add(
        plan,
        "aws_vpc_security_group_ingress_rule",
        "from_reporter",
        rule,
        {"id": True, "referenced_security_group_id": True},
        {"referenced_security_group_id": refs},
    )


def test_a_new_caller_known_only_after_apply_is_traced_through_references(tmp_path: Path) -> None:
    plan = _plan("services")
    _new_caller(plan)
    assert (
        "`aws_vpc_security_group_ingress_rule.from_reporter`: new ingress source reporter -> internal-nginx on tcp/80"
        in review("services", plan).blocking
    )
    lines = _lines(tmp_path, plan)
    assert (
        "service 'internal-nginx': services:aws_vpc_security_group_ingress_rule.from_reporter: ingress-callers-only: ingress from services:aws_security_group.reporter, which is not the security group of a declared caller"
        in lines
    )
    assert (
        "service 'reporter': services:aws_ecs_service.reporter: declared-services-only: an ECS service the declaration does not have; cannot prove who reaches it"
        in lines
    )


def test_a_widening_the_declaration_asks_for_is_declared_not_blocking() -> None:
    """Issue 20: a caller added on purpose (declared in ``calls``) is listed as declared; the rest still blocks."""
    plan = _plan("services")
    _new_caller(plan)
    line = "`aws_vpc_security_group_ingress_rule.from_reporter`: new ingress source reporter -> internal-nginx on tcp/80"
    declared = DeclaredReach({("internal-nginx", "reporter"): "declared: reporter calls internal-nginx"})
    result = review("services", plan, declared=declared)
    assert (result.blocking, result.declared) == ([], [f"{line} (declared: reporter calls internal-nginx)"])
    text = markdown([result])
    assert "**No unexplained widening: 1 change(s) widen who can reach a service, as the declaration asks.**" in text
    assert (
        f"### Declared widenings (the declaration asks for them; not blocking)\n\n- services: {line} (declared: reporter calls internal-nginx)"
        in text
    )
    assert WHAT_TO_DO not in text
    # Another caller's pair explains nothing: it blocks, and the review says what to do.
    other = review(
        "services", plan, declared=DeclaredReach({("internal-nginx", "client-nginx"): "declared: client-nginx calls internal-nginx"})
    )
    assert (other.blocking, other.declared) == ([line], [])
    blocked = markdown([other])
    assert "**BLOCKING: 1 change(s) widen who can reach a service, and the declaration does not explain them.**" in blocked
    assert f"- services: {line}\n\n{WHAT_TO_DO}\n" in blocked
    assert WHAT_TO_DO.startswith("What to do: each blocking line names the resource that adds the reach. If the reach is intended")


def test_the_declared_calls_come_from_the_topology() -> None:
    from examples import chain

    assert DeclaredReach.calls(chain.TOPOLOGY).reasons == {
        ("api", "web"): "declared: web calls api",
        ("worker", "api"): "declared: api calls worker",
    }


def test_a_host_joining_a_callers_group_is_a_widening(tmp_path: Path) -> None:
    plan = _plan("services")
    refs = {"references": [f"{CLIENT_GROUP}.id", CLIENT_GROUP]}
    _add(
        plan,
        "aws_instance",
        "bastion",
        {"ami": "ami-1", "vpc_security_group_ids": [CLIENT_SG]},
        {"id": True},
        {"vpc_security_group_ids": refs},
    )
    assert review("services", plan).blocking == [
        "`aws_instance.bastion`: new ingress source aws_instance.bastion -> internal-nginx on tcp/80"
    ]
    assert (
        f"service 'internal-nginx': services:{RULE}: ingress-callers-only: ingress from services:{CLIENT_GROUP} admits services:aws_instance.bastion (an aws_instance, not an ECS service), which is not a task of a declared caller"
        in _lines(tmp_path, plan)
    )


def test_a_port_change_for_an_existing_caller_is_a_change_not_a_finding() -> None:
    plan = _plan("services")
    for values in [r["values"] for r in plan["planned_values"]["root_module"]["resources"] if r["address"] == RULE] + [
        c["change"]["after"] for c in plan["resource_changes"] if c["address"] == RULE
    ]:
        values["from_port"] = values["to_port"] = 8080
    result = review("services", plan)
    assert result.blocking == []
    # Issue 20: one rule, one line (it said "now tcp/8080 (rule); removed tcp/80 (rule)").
    assert result.lines("reach-change") == [f"client-nginx -> internal-nginx: port change, tcp/80 -> tcp/8080 (`{RULE}`)"]


def test_every_changed_resource_is_listed_and_emulator_gaps_are_marked() -> None:
    plan = _plan("services")
    plain, marked = review("services", plan), review("services", plan, gaps=KNOWN_GAPS)
    assert plain.emulator_only == 0 and marked.emulator_only == 4 == plain.counts["change"]
    assert marked.counts["change"] == 0 and len(marked.emulator_gaps) == 4  # listed apart, never counted as changes
    assert f"`{RULE}` change: description (known emulator gap, not a real change)" in marked.changed
    assert f"`{RULE}` change: description" in plain.changed
    text = markdown([review("network", _plan("network"), gaps=KNOWN_GAPS), marked])
    assert "4 change(s) differ only in attributes the emulator is known not to store (docs/emulator.md's table of gaps)." in text
    assert "No change widens who can reach a service." in text
    assert text.splitlines()[2] == "No changes."  # a plan whose only differences are the emulator's is a no-op


def test_a_cidr_rule_and_a_public_ip_in_a_plan_are_rejected(tmp_path: Path) -> None:
    plan = _plan("services")
    rule = {"security_group_id": SERVER_SG, "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 80, "to_port": 80}
    _add(plan, "aws_vpc_security_group_ingress_rule", "world", rule, {"id": True}, {})
    (server,) = [
        r for r in plan["planned_values"]["root_module"]["resources"] if r["address"] == "aws_ecs_service.internal-nginx_service_CDB1B8AA"
    ]
    server["values"]["network_configuration"][0]["assign_public_ip"] = True
    assert (
        "`aws_vpc_security_group_ingress_rule.world`: CIDR ingress 0.0.0.0/0 -> internal-nginx on tcp/80"
        in review("services", plan).blocking
    )
    lines = _lines(tmp_path, plan)
    assert (
        "service 'internal-nginx': services:aws_vpc_security_group_ingress_rule.world: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"
        in lines
    )
    assert (
        "service 'internal-nginx': services:aws_ecs_service.internal-nginx_service_CDB1B8AA: no-public-ip: assign_public_ip is true"
        in lines
    )


def test_a_route_to_the_internet_in_the_network_plan_is_blocking_with_both_plans() -> None:
    network, services = _plan("network"), _plan("services")
    (route,) = [r for r in network["planned_values"]["root_module"]["resources"] if r["address"] == "aws_route.private_0_default"]
    igw = next(r["values"]["id"] for r in network["planned_values"]["root_module"]["resources"] if r["type"] == "aws_internet_gateway")
    route["values"]["gateway_id"], route["values"]["nat_gateway_id"] = igw, ""
    reviews = [review("network", network), review("services", services)]
    add_route_findings(reviews, {"network": network, "services": services})
    subnet = "network:aws_subnet.private_0"
    assert [line for line in reviews[0].blocking if "internet" in line] == [
        f"`aws_route.private_0_default`: client-nginx becomes reachable from the internet ({subnet} routes 0.0.0.0/0 to an internet gateway)",
        f"`aws_route.private_0_default`: internal-nginx becomes reachable from the internet ({subnet} routes 0.0.0.0/0 to an internet gateway)",
    ]
    unchanged = [review("network", _plan("network")), review("services", services)]
    add_route_findings(unchanged, {"network": _plan("network"), "services": services})
    assert unchanged[0].blocking == unchanged[1].blocking == []
