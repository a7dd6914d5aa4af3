"""The internal-only checker: accepts every example, rejects each deliberate break with the right line."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tools.verify import Config, declared_callers, declared_permissions, verify
from topology import Settings

from ..conftest import EXAMPLES, Synthesizer
from ..tfjson import Synth

SERVER = "internal-nginx"
Stacks = dict[str, dict[str, Any]]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_example_verifies(example: str, synthesize: Synthesizer) -> None:
    synth = synthesize(EXAMPLES[example], Settings())
    config = Config.load(synth.outdir)
    assert verify(config, declared_callers(example), declared_permissions(example)) == []
    # Callers derived from the JSON alone; the application's own permissions cannot be proven without the declaration.
    granted = {name for name, actions in declared_permissions(example).items() if actions}
    assert {v.service for v in verify(config)} == granted & {"api", "worker", "internal-nginx", "catalog"}
    assert all(v.rule == "exec-least-privilege" for v in verify(config))


def test_application_permissions_are_accepted_only_as_declared(synthesize: Synthesizer) -> None:
    synth = synthesize(EXAMPLES["production"], Settings())
    config = Config.load(synth.outdir)
    policy = synth.by_path("services", "aws_iam_role_policy", "api_iam/app_policy")[0]
    assert [str(v) for v in verify(config, declared_callers("production"))] == [
        f"service 'api': services:aws_iam_role_policy.{policy}: exec-least-privilege: task role allows s3:GetObject, s3:PutObject, "
        "sqs:SendMessage beyond the ssmmessages channel actions",
        f"service 'worker': services:aws_iam_role_policy.{synth.by_path('services', 'aws_iam_role_policy', 'worker_iam/app_policy')[0]}: "
        "exec-least-privilege: task role allows sqs:ChangeMessageVisibility, sqs:DeleteMessage, sqs:ReceiveMessage beyond the "
        "ssmmessages channel actions",
    ]


def _stacks(synth: Synth) -> Stacks:
    return {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}


def _name(stacks: Stacks, stack: str, rtype: str, path: str) -> str:
    (name,) = [str(n) for n, b in stacks[stack]["resource"][rtype].items() if b["//"]["metadata"]["path"] == f"{stack}/{path}"]
    return name


def _ref(stacks: Stacks, stack: str, rtype: str, path: str, attr: str = "id") -> str:
    return f"${{{rtype}.{_name(stacks, stack, rtype, path)}.{attr}}}"


def _add(stacks: Stacks, rtype: str, name: str, body: dict[str, Any]) -> None:
    stacks["services"]["resource"].setdefault(rtype, {})[name] = body


def _service(stacks: Stacks, name: str = SERVER) -> dict[str, Any]:
    body: dict[str, Any] = stacks["services"]["resource"]["aws_ecs_service"][
        _name(stacks, "services", "aws_ecs_service", f"{name}/service")
    ]
    return body


def cidr_ingress(s: Stacks) -> str:
    sg = _ref(s, "services", "aws_security_group", f"{SERVER}_sg/group")
    _add(
        s,
        "aws_vpc_security_group_ingress_rule",
        "open",
        {"security_group_id": sg, "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 80, "to_port": 80},
    )
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.open: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"


def legacy_cidr_rule(s: Stacks) -> str:
    sg = _ref(s, "services", "aws_security_group", f"{SERVER}_sg/group")
    _add(
        s,
        "aws_security_group_rule",
        "legacy",
        {"type": "ingress", "security_group_id": sg, "cidr_blocks": ["10.0.0.0/8"], "protocol": "tcp", "from_port": 80, "to_port": 80},
    )
    return f"service '{SERVER}': services:aws_security_group_rule.legacy: ingress-callers-only: ingress from cidr_blocks 10.0.0.0/8 (only callers' security groups may reach it)"


def inline_ingress(s: Stacks) -> str:
    group = _name(s, "services", "aws_security_group", f"{SERVER}_sg/group")
    s["services"]["resource"]["aws_security_group"][group]["ingress"] = [
        {"cidr_blocks": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 80, "to_port": 80}
    ]
    return f"service '{SERVER}': services:aws_security_group.{group}.ingress[0]: ingress-callers-only: ingress from cidr_blocks 0.0.0.0/0 (only callers' security groups may reach it)"


def public_ip(s: Stacks) -> str:
    _service(s)["network_configuration"]["assign_public_ip"] = True
    return f"service '{SERVER}': services:aws_ecs_service.{_name(s, 'services', 'aws_ecs_service', f'{SERVER}/service')}: no-public-ip: assign_public_ip is true"


def public_subnet(s: Stacks) -> str:
    s["network"]["output"]["cross-stack-output-aws_subnetprivate_0id"]["value"] = _ref(s, "network", "aws_subnet", "public_0")
    route = _name(s, "network", "aws_route", "public_default")
    subnet = _name(s, "network", "aws_subnet", "public_0")
    return f"service '{SERVER}': network:aws_route.{route}: private-subnets: network:aws_subnet.{subnet} routes 0.0.0.0/0 to an internet gateway"


def subnet_maps_public_ips(s: Stacks) -> str:
    subnet = _name(s, "network", "aws_subnet", "private_1")
    s["network"]["resource"]["aws_subnet"][subnet]["map_public_ip_on_launch"] = True
    return f"service '{SERVER}': network:aws_subnet.{subnet}: private-subnets: map_public_ip_on_launch is true"


def extra_caller(s: Stacks) -> str:
    sg = _ref(s, "services", "aws_security_group", f"{SERVER}_sg/group")
    _add(s, "aws_security_group", "intruder", {"name": "intruder", "vpc_id": "vpc-1"})
    _add(
        s,
        "aws_vpc_security_group_ingress_rule",
        "from_intruder",
        {
            "security_group_id": sg,
            "referenced_security_group_id": "${aws_security_group.intruder.id}",
            "ip_protocol": "tcp",
            "from_port": 80,
            "to_port": 80,
        },
    )
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.from_intruder: ingress-callers-only: ingress from services:aws_security_group.intruder, which is not the security group of a declared caller"


def wrong_port(s: Stacks) -> str:
    sg = _ref(s, "services", "aws_security_group", f"{SERVER}_sg/group")
    client = _ref(s, "services", "aws_security_group", "client-nginx_sg/group")
    _add(
        s,
        "aws_vpc_security_group_ingress_rule",
        "all_ports",
        {"security_group_id": sg, "referenced_security_group_id": client, "ip_protocol": "-1"},
    )
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.all_ports: ingress-callers-only: opens -1 None-None; only tcp on [80] (its Service Connect ingress ports)"


def wildcard_action(s: Stacks) -> str:
    name = _name(s, "services", "aws_iam_role_policy", f"{SERVER}_iam/exec_policy")
    body = s["services"]["resource"]["aws_iam_role_policy"][name]
    body["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"}]})
    return f"service '{SERVER}': services:aws_iam_role_policy.{name}: no-wildcard-action: allows 'ssmmessages:*'"


def extra_task_action(s: Stacks) -> str:
    name = _name(s, "services", "aws_iam_role_policy", f"{SERVER}_iam/exec_policy")
    policy = json.loads(s["services"]["resource"]["aws_iam_role_policy"][name]["policy"])
    policy["Statement"][0]["Action"].append("s3:GetObject")
    s["services"]["resource"]["aws_iam_role_policy"][name]["policy"] = json.dumps(policy)
    return f"service '{SERVER}': services:aws_iam_role_policy.{name}: exec-least-privilege: task role allows s3:GetObject beyond the ssmmessages channel actions"


def managed_policy(s: Stacks) -> str:
    role = _ref(s, "services", "aws_iam_role", f"{SERVER}_iam/task")
    _add(
        s,
        "aws_iam_role_policy_attachment",
        "admin",
        {"role": role.replace(".id}", ".name}"), "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )
    return f"service '{SERVER}': services:aws_iam_role_policy_attachment.admin: exec-least-privilege: a managed or unreadable policy is attached; cannot prove its actions"


def load_balancer(s: Stacks) -> str:
    _service(s)["load_balancer"] = [
        {"target_group_arn": "${aws_lb_target_group.front.arn}", "container_name": SERVER, "container_port": 80}
    ]
    return f"service '{SERVER}': services:aws_ecs_service.{_name(s, 'services', 'aws_ecs_service', f'{SERVER}/service')}: no-load-balancer: has a load_balancer block"


def ip_target_group(s: Stacks) -> str:
    _add(s, "aws_lb_target_group", "front", {"target_type": "ip", "port": 80, "protocol": "HTTP", "vpc_id": "vpc-1"})
    return f"service '{SERVER}': services:aws_lb_target_group.front: no-load-balancer: an IP target group could register its tasks"


MUTATIONS: list[Callable[[Stacks], str]] = [
    cidr_ingress,
    legacy_cidr_rule,
    inline_ingress,
    public_ip,
    public_subnet,
    subnet_maps_public_ips,
    extra_caller,
    wrong_port,
    wildcard_action,
    extra_task_action,
    managed_policy,
    load_balancer,
    ip_target_group,
]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_each_break_is_rejected_with_its_line(mutate: Callable[[Stacks], str], article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    expected = mutate(stacks)
    lines = [str(v) for v in verify(Config(stacks), declared_callers("article"))]
    assert expected in lines
    assert all(line.startswith(f"service '{SERVER}': ") for line in lines)


def test_a_caller_not_declared_in_the_topology_is_rejected(article_synth: Synth) -> None:
    """The client's rule is legitimate for the article, but not if the topology says nobody calls the server."""
    stacks = _stacks(article_synth)
    rule = _name(stacks, "services", "aws_vpc_security_group_ingress_rule", f"{SERVER}_sg/from_client-nginx_internal-nginx")
    client_sg = _name(stacks, "services", "aws_security_group", "client-nginx_sg/group")
    assert [str(v) for v in verify(Config(stacks), {SERVER: []})] == [
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.{rule}: ingress-callers-only: ingress from services:aws_security_group.{client_sg}, which is not the security group of a declared caller"
    ]
