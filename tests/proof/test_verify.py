"""The internal-only checker: accepts every example and harmless rewrites, rejects each break with the right line.

Mutations edit a copy of the article's synthesized JSON the way a careless edit, a
second team's module or an attacker would; each asserts the exact line the
checker must print. Equivalent forms (same meaning, other spelling) must pass.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from proof.verify import Config, Declared, declared_callers, load, verify
from proof.verify.cli import main
from topology import Settings
from topology.errors import USER_ERROR

from ..conftest import EXAMPLES, Synthesizer
from ..tfjson import Synth

SERVER = "internal-nginx"
CLIENT = "client-nginx"
NET = "data.terraform_remote_state.cross-stack-reference-input-network.outputs"
Stacks = dict[str, dict[str, Any]]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_example_verifies(example: str, synthesize: Synthesizer) -> None:
    synth = synthesize(EXAMPLES[example], Settings())
    config = load([synth.outdir])
    declared = declared_callers(example)
    assert [str(v) for v in verify(config, declared)] == []
    # Callers derived from the JSON alone: the application's own permissions cannot be proven without the declaration
    # (checked where ECS Exec is on; the task role may then hold the exec channel and session-audit actions only).
    derived = verify(config)
    if EXAMPLES[example].entries:  # without the declaration no load balancer is declared: fail closed
        assert {"no-load-balancer", "front-door-declared", "ingress-callers-only"} <= {v.kind for v in derived}
        derived = [v for v in derived if v.kind == "exec-least-privilege"]
    with_exec = {s.name for s in EXAMPLES[example].services if s.enable_execute_command}
    assert {v.subject for v in derived} == {name for name, d in declared.items() if d.actions or d.grants} & with_exec
    assert all(v.kind == "exec-least-privilege" for v in derived)


def test_application_permissions_are_accepted_only_as_declared(synthesize: Synthesizer) -> None:
    synth = synthesize(EXAMPLES["production"], Settings())
    config = load([synth.outdir])
    policy = synth.by_path("services", "aws_iam_role_policy", "api_iam/app_policy")[0]
    # the same declaration (callers, the front door) without its permissions
    callers_only = {name: replace(d, actions=()) for name, d in declared_callers("production").items()}
    assert [str(v) for v in verify(config, callers_only)] == [
        f"service 'api': services:aws_iam_role_policy.{policy}: exec-least-privilege: task role allows s3:GetObject, s3:PutObject, "
        "sqs:SendMessage beyond the ssmmessages channel actions",
        f"service 'worker': services:aws_iam_role_policy.{synth.by_path('services', 'aws_iam_role_policy', 'worker_iam/app_policy')[0]}: "
        "exec-least-privilege: task role allows sqs:ChangeMessageVisibility, sqs:DeleteMessage, sqs:ReceiveMessage beyond the "
        "ssmmessages channel actions",
    ]
    assert verify(config, declared_callers("production")) == []


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


def _lines(stacks: Stacks, declared: Any = None) -> list[str]:
    return [str(v) for v in verify(Config(stacks), declared_callers("article") if declared is None else declared)]


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


ORIGINAL: list[Callable[[Stacks], str]] = [
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
SHARED = {public_subnet, subnet_maps_public_ips, ip_target_group}  # network-wide: every service is named


@pytest.mark.parametrize("mutate", ORIGINAL, ids=[m.__name__ for m in ORIGINAL])
def test_each_break_is_rejected_with_its_line(mutate: Callable[[Stacks], str], article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    expected = mutate(stacks)
    lines = _lines(stacks)
    assert expected in lines
    named = {line.split("'")[1] for line in lines}
    assert named == ({SERVER, CLIENT} if mutate in SHARED else {SERVER})


def test_a_caller_not_declared_in_the_topology_is_rejected(article_synth: Synth) -> None:
    """The client's rule is legitimate for the article, but not if the topology says nobody calls the server."""
    stacks = _stacks(article_synth)
    rule = _name(stacks, "services", "aws_vpc_security_group_ingress_rule", f"{SERVER}_sg/from_client-nginx_internal-nginx")
    client_sg = _name(stacks, "services", "aws_security_group", "client-nginx_sg/group")
    assert [str(v) for v in verify(Config(stacks), {SERVER: []})] == [
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.{rule}: ingress-callers-only: ingress from services:aws_security_group.{client_sg}, which is not the security group of a declared caller"
    ]


# -- new classes of break (issue 13) -------------------------------------------------------------------------


def _sg(s: Stacks, name: str = SERVER) -> str:
    return _name(s, "services", "aws_security_group", f"{name}_sg/group")


def _caller_rule(s: Stacks) -> str:
    return _name(s, "services", "aws_vpc_security_group_ingress_rule", f"{SERVER}_sg/from_client-nginx_internal-nginx")


def _open_rule(target: str) -> dict[str, Any]:
    return {"security_group_id": target, "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 80, "to_port": 80}


def _cannot_target(s: Stacks, rule: str, shown: str) -> str:
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.{rule}: ingress-callers-only: cannot prove: its target security group {shown} cannot be traced; it may open this service"


def spaced_reference(s: Stacks) -> str:
    _add(s, "aws_vpc_security_group_ingress_rule", "spaced", _open_rule(f"${{ aws_security_group.{_sg(s)}.id }}"))
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.spaced: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"


def local_reference(s: Stacks) -> str:
    s["services"]["locals"] = {"api_sg": f"${{aws_security_group.{_sg(s)}.id}}"}
    _add(s, "aws_vpc_security_group_ingress_rule", "via_local", _open_rule("${local.api_sg}"))
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.via_local: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"


def data_source_target(s: Stacks) -> str:
    s["services"]["data"]["aws_security_group"] = {"found": {"name": "internal-api-internal-nginx"}}
    _add(s, "aws_vpc_security_group_ingress_rule", "lookup", _open_rule("${data.aws_security_group.found.id}"))
    # The lookup names the server's own group: it is that group (issue 19), so the rule opens the server.
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.lookup: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"


def data_source_target_elsewhere(s: Stacks) -> str:
    s["services"]["data"]["aws_security_group"] = {"found": {"name": "someone-elses-group"}}
    _add(s, "aws_vpc_security_group_ingress_rule", "lookup", _open_rule("${data.aws_security_group.found.id}"))
    return _cannot_target(
        s, "lookup", "${data.aws_security_group.found.id} (security group looked up by data source services:data.aws_security_group.found)"
    )


def literal_group_target(s: Stacks) -> str:
    _add(s, "aws_vpc_security_group_ingress_rule", "literal", _open_rule("sg-0123456789abcdef0"))
    return _cannot_target(s, "literal", "sg-0123456789abcdef0 (literal 'sg-0123456789abcdef0' names no resource of this configuration)")


def function_target(s: Stacks) -> str:
    expr = f"${{element([aws_security_group.{_sg(s)}.id], 0)}}"
    _add(s, "aws_vpc_security_group_ingress_rule", "computed", _open_rule(expr))
    return _cannot_target(s, "computed", f"{expr} ({expr} is an expression (function, operator or conditional))")


def dynamic_ingress(s: Stacks) -> str:
    group = _sg(s)
    s["services"]["resource"]["aws_security_group"][group]["dynamic"] = {
        "ingress": {
            "for_each": "${var.cidrs}",
            "content": {"cidr_blocks": ["${ingress.value}"], "protocol": "tcp", "from_port": 80, "to_port": 80},
        }
    }
    return f"service '{SERVER}': services:aws_security_group.{group}.dynamic: ingress-callers-only: cannot prove: dynamic blocks generate rules the checker cannot see"


def default_group_other_spelling(s: Stacks) -> str:
    """The server joins the VPC's default group (by aws_vpc.default_security_group_id); the rule is on aws_default_security_group."""
    s["network"]["output"]["default_sg"] = {"value": "${aws_vpc.vpc.default_security_group_id}"}
    s["network"]["resource"]["aws_default_security_group"]["default_sg"]["ingress"] = [
        {"cidr_blocks": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 80, "to_port": 80}
    ]
    _service(s)["network_configuration"]["security_groups"].append(f"${{{NET}.default_sg}}")
    return f"service '{SERVER}': network:aws_default_security_group.default_sg.ingress[0]: ingress-callers-only: ingress from cidr_blocks 0.0.0.0/0 (only callers' security groups may reach it)"


def _member_line(s: Stacks, member: str, why: str) -> str:
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.{_caller_rule(s)}: ingress-callers-only: ingress from services:aws_security_group.{_sg(s, CLIENT)} admits {member} ({why}), which is not a task of a declared caller"


def instance_in_caller_group(s: Stacks) -> str:
    _add(
        s,
        "aws_instance",
        "bastion",
        {
            "ami": "ami-1",
            "instance_type": "t3.micro",
            "vpc_security_group_ids": [_ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")],
        },
    )
    return _member_line(s, "services:aws_instance.bastion", "an aws_instance, not an ECS service")


def lambda_in_caller_group(s: Stacks) -> str:
    client = _ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")
    _add(
        s,
        "aws_lambda_function",
        "fn",
        {
            "function_name": "fn",
            "role": "arn:aws:iam::1:role/x",
            "vpc_config": [{"security_group_ids": [client], "subnet_ids": ["subnet-1"]}],
        },
    )
    return _member_line(s, "services:aws_lambda_function.fn", "an aws_lambda_function, not an ECS service")


def vpc_link_in_caller_group(s: Stacks) -> str:
    client = _ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")
    _add(s, "aws_apigatewayv2_vpc_link", "link", {"name": "link", "security_group_ids": [client], "subnet_ids": ["subnet-1"]})
    return _member_line(s, "services:aws_apigatewayv2_vpc_link.link", "an aws_apigatewayv2_vpc_link, not an ECS service")


def interface_in_caller_group(s: Stacks) -> str:
    client = _ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")
    _add(s, "aws_network_interface", "eni", {"subnet_id": "subnet-1", "security_groups": [client]})
    return _member_line(s, "services:aws_network_interface.eni", "an aws_network_interface, not an ECS service")


def launch_template_in_caller_group(s: Stacks) -> str:
    client = _ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")
    _add(
        s,
        "aws_launch_template",
        "lt",
        {"name": "lt", "network_interfaces": {"security_groups": [client], "associate_public_ip_address": "true"}},
    )
    return _member_line(s, "services:aws_launch_template.lt", "an aws_launch_template, not an ECS service")


def load_balancer_in_caller_group(s: Stacks) -> str:
    client = _ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")
    _add(s, "aws_lb", "public", {"name": "public", "internal": False, "security_groups": [client], "subnets": ["subnet-1"]})
    return _member_line(s, "services:aws_lb.public", "an aws_lb, not an ECS service")


def endpoint_in_caller_group(s: Stacks) -> str:
    client = _ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")
    _add(
        s,
        "aws_vpc_endpoint",
        "api",
        {
            "vpc_id": "vpc-1",
            "service_name": "com.amazonaws.ap-northeast-1.execute-api",
            "vpc_endpoint_type": "Interface",
            "security_group_ids": [client],
        },
    )
    return _member_line(s, "services:aws_vpc_endpoint.api", "an aws_vpc_endpoint, not an ECS service")


def endpoint_service(s: Stacks) -> str:
    _add(s, "aws_vpc_endpoint_service", "share", {"acceptance_required": False, "network_load_balancer_arns": ["${aws_lb.nlb.arn}"]})
    return f"service '{SERVER}': services:aws_vpc_endpoint_service.share: no-load-balancer: a VPC endpoint service could expose its tasks through a load balancer"


def route_to_internet_by_literal_id(s: Stacks) -> str:
    route = _name(s, "network", "aws_route", "private_0_default")
    body = s["network"]["resource"]["aws_route"][route]
    body.pop("nat_gateway_id")
    body["gateway_id"] = "igw-0123456789abcdef0"
    return f"service '{SERVER}': network:aws_route.{route}: private-subnets: network:aws_subnet.{_name(s, 'network', 'aws_subnet', 'private_0')} routes 0.0.0.0/0 to an internet gateway"


def _copy_service(s: Stacks, source: str, address: str, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(_service(s, source))
    body.update(changes)
    _add(s, "aws_ecs_service", address, body)
    return body


def public_service_in_caller_group(s: Stacks) -> str:
    body = _copy_service(s, CLIENT, "web", name="public-web")
    body["network_configuration"]["assign_public_ip"] = True
    return _member_line(s, "services:aws_ecs_service.web", "not a declared caller")


def caller_name_in_other_cluster(s: Stacks) -> str:
    _add(s, "aws_ecs_cluster", "other", {"name": "other"})
    _copy_service(s, CLIENT, "impostor", cluster="${aws_ecs_cluster.other.arn}")
    return _member_line(s, "services:aws_ecs_service.impostor", "in another cluster")


def shared_second_group(s: Stacks) -> str:
    """The client also sits in a group shared with a public host; the server admits that group."""
    server_sg = _sg(s)
    _add(s, "aws_security_group", "shared", {"name": "shared", "vpc_id": "vpc-1"})
    _service(s, CLIENT)["network_configuration"]["security_groups"].append("${aws_security_group.shared.id}")
    _add(
        s,
        "aws_instance",
        "public_host",
        {
            "ami": "ami-1",
            "instance_type": "t3.micro",
            "associate_public_ip_address": True,
            "vpc_security_group_ids": ["${aws_security_group.shared.id}"],
        },
    )
    rule = {
        "security_group_id": f"${{aws_security_group.{server_sg}.id}}",
        "referenced_security_group_id": "${aws_security_group.shared.id}",
        "ip_protocol": "tcp",
        "from_port": 80,
        "to_port": 80,
    }
    _add(s, "aws_vpc_security_group_ingress_rule", "from_shared", rule)
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.from_shared: ingress-callers-only: ingress from services:aws_security_group.shared admits services:aws_instance.public_host (an aws_instance, not an ECS service), which is not a task of a declared caller"


def service_connect_off(s: Stacks) -> str:
    _service(s)["service_connect_configuration"]["enabled"] = False
    return f"service '{SERVER}': services:aws_ecs_service.{_name(s, 'services', 'aws_ecs_service', f'{SERVER}/service')}: service-connect-only: serves container ports [80] but is not a Service Connect server"


def task_definition_reused(s: Stacks) -> str:
    body = _copy_service(s, SERVER, "copy", name="public-copy")
    body["network_configuration"]["assign_public_ip"] = True
    body.pop("service_connect_configuration")
    task = _name(s, "services", "aws_ecs_task_definition", f"{SERVER}/task")
    return f"service '{SERVER}': services:aws_ecs_service.copy: task-definition: its task definition services:aws_ecs_task_definition.{task} is also run by service 'public-copy'"


def _task_role(s: Stacks) -> str:
    return _name(s, "services", "aws_iam_role", f"{SERVER}_iam/task")


ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
UNREADABLE = "exec-least-privilege: a managed or unreadable policy is attached; cannot prove its actions"


def managed_policy_arns(s: Stacks) -> str:
    role = _task_role(s)
    s["services"]["resource"]["aws_iam_role"][role]["managed_policy_arns"] = [ADMIN]
    return f"service '{SERVER}': services:aws_iam_role.{role}.managed_policy_arns[0]: {UNREADABLE}"


def _policy(*actions: str, key: str = "Action") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", key: list(actions), "Resource": "*"}]})


def policy_attachment(s: Stacks) -> str:
    _add(s, "aws_iam_policy", "wide", {"name": "wide", "policy": _policy("s3:*")})
    _add(
        s,
        "aws_iam_policy_attachment",
        "wide",
        {"name": "wide", "roles": [f"${{aws_iam_role.{_task_role(s)}.name}}"], "policy_arn": "${aws_iam_policy.wide.arn}"},
    )
    return f"service '{SERVER}': services:aws_iam_policy_attachment.wide: no-wildcard-action: allows 's3:*'"


def exclusive_attachments(s: Stacks) -> str:
    _add(
        s,
        "aws_iam_role_policy_attachments_exclusive",
        "only",
        {"role_name": f"${{aws_iam_role.{_task_role(s)}.name}}", "policy_arns": [ADMIN]},
    )
    return f"service '{SERVER}': services:aws_iam_role_policy_attachments_exclusive.only: {UNREADABLE}"


def policy_by_literal_role_name(s: Stacks) -> str:
    _add(
        s, "aws_iam_role_policy", "by_name", {"name": "read", "role": "internal-api-internal-nginx-task", "policy": _policy("s3:GetObject")}
    )
    return f"service '{SERVER}': services:aws_iam_role_policy.by_name: exec-least-privilege: task role allows s3:GetObject beyond the ssmmessages channel actions"


def question_mark_wildcard(s: Stacks) -> str:
    name = _name(s, "services", "aws_iam_role_policy", f"{SERVER}_iam/exec_policy")
    s["services"]["resource"]["aws_iam_role_policy"][name]["policy"] = _policy("ssmmessages:?reateControlChannel")
    return f"service '{SERVER}': services:aws_iam_role_policy.{name}: no-wildcard-action: allows 'ssmmessages:?reateControlChannel'"


def not_action(s: Stacks) -> str:
    name = _name(s, "services", "aws_iam_role_policy", f"{SERVER}_iam/exec_policy")
    s["services"]["resource"]["aws_iam_role_policy"][name]["policy"] = _policy("iam:*", key="NotAction")
    return f"service '{SERVER}': services:aws_iam_role_policy.{name}: no-wildcard-action: allows 'NotAction:iam:*'"


def exec_flag_as_variable(s: Stacks) -> str:
    _service(s)["enable_execute_command"] = "${var.exec}"
    return extra_task_action(s)


def port_as_variable(s: Stacks) -> str:
    rule = s["services"]["resource"]["aws_vpc_security_group_ingress_rule"][_caller_rule(s)]
    rule["from_port"] = rule["to_port"] = "${var.port}"
    return f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.{_caller_rule(s)}: ingress-callers-only: cannot prove which ports it opens: tcp ${{var.port}}-${{var.port}} is computed"


def container_port_as_variable(s: Stacks) -> str:
    task = _name(s, "services", "aws_ecs_task_definition", f"{SERVER}/task")
    body = s["services"]["resource"]["aws_ecs_task_definition"][task]
    body["container_definitions"] = body["container_definitions"].replace('"containerPort": 80', '"containerPort": ${var.port}')
    service = _name(s, "services", "aws_ecs_service", f"{SERVER}/service")
    return f"service '{SERVER}': services:aws_ecs_service.{service}: service-connect-only: cannot prove which ports it serves: container definitions of services:aws_ecs_task_definition.{task} cannot be read: the document is computed (an interpolation stands outside a JSON string)"


def module_call(s: Stacks) -> str:
    s["services"]["module"] = {
        "sidecar": {"source": "./modules/sidecar", "security_group_id": _ref(s, "services", "aws_security_group", f"{CLIENT}_sg/group")}
    }
    return f"service '{SERVER}': services:module.sidecar: reads-everything: cannot prove: module contents are not read from configuration (verify the plan JSON)"


NEW: list[Callable[[Stacks], str]] = [
    port_as_variable,
    container_port_as_variable,
    module_call,
    spaced_reference,
    local_reference,
    data_source_target,
    data_source_target_elsewhere,
    literal_group_target,
    function_target,
    dynamic_ingress,
    default_group_other_spelling,
    instance_in_caller_group,
    lambda_in_caller_group,
    vpc_link_in_caller_group,
    interface_in_caller_group,
    launch_template_in_caller_group,
    load_balancer_in_caller_group,
    endpoint_in_caller_group,
    endpoint_service,
    route_to_internet_by_literal_id,
    public_service_in_caller_group,
    caller_name_in_other_cluster,
    shared_second_group,
    service_connect_off,
    task_definition_reused,
    managed_policy_arns,
    policy_attachment,
    exclusive_attachments,
    policy_by_literal_role_name,
    question_mark_wildcard,
    not_action,
    exec_flag_as_variable,
]


@pytest.mark.parametrize("mutate", NEW, ids=[m.__name__ for m in NEW])
def test_each_new_class_of_break_is_rejected_with_its_line(mutate: Callable[[Stacks], str], article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    expected = mutate(stacks)
    lines = _lines(stacks)
    assert expected in lines, "\n".join(lines)


# -- harmless equivalent forms --------------------------------------------------------------------------------


def one_element_arrays(s: Stacks) -> None:
    for name in (SERVER, CLIENT):
        body = _service(s, name)
        for key in ("network_configuration", "service_connect_configuration", "deployment_circuit_breaker"):
            body[key] = [body[key]]


def jsonencoded_containers(s: Stacks) -> None:
    for body in s["services"]["resource"]["aws_ecs_task_definition"].values():
        body["container_definitions"] = f"${{jsonencode({body['container_definitions']})}}"


def ports_as_strings(s: Stacks) -> None:
    rule = s["services"]["resource"]["aws_vpc_security_group_ingress_rule"][_caller_rule(s)]
    rule["from_port"], rule["to_port"], rule["ip_protocol"] = "80", "80", "TCP"


def protocol_number(s: Stacks) -> None:
    s["services"]["resource"]["aws_vpc_security_group_ingress_rule"][_caller_rule(s)]["ip_protocol"] = "6"


def lowercase_actions(s: Stacks) -> None:
    for body in s["services"]["resource"]["aws_iam_role_policy"].values():
        body["policy"] = body["policy"].replace("ssmmessages:", "SSMMessages:").replace("CreateControlChannel", "createcontrolchannel")


def spaces_in_references(s: Stacks) -> None:
    for stack in s.values():
        for named in stack["resource"].values():
            for body in named.values():
                for key, value in body.items():
                    if isinstance(value, str) and value.startswith("${") and value.endswith("}") and "(" not in value:
                        body[key] = "${ " + value[2:-1] + " }"


def groups_through_a_local(s: Stacks) -> None:
    s["services"]["locals"] = {"server_sg": f"${{aws_security_group.{_sg(s)}.id}}"}
    _service(s)["network_configuration"]["security_groups"] = ["${local.server_sg}"]


def exec_flag_as_string(s: Stacks) -> None:
    _service(s)["enable_execute_command"] = "true"
    _service(s)["network_configuration"]["assign_public_ip"] = "false"


def legacy_rule_form(s: Stacks) -> None:
    rules = s["services"]["resource"]["aws_vpc_security_group_ingress_rule"]
    rule = rules.pop(_caller_rule(s))
    legacy = {
        "type": "ingress",
        "security_group_id": rule["security_group_id"],
        "source_security_group_id": rule["referenced_security_group_id"],
    }
    _add(s, "aws_security_group_rule", "caller", {**legacy, "protocol": "tcp", "from_port": 80, "to_port": 80})


def inline_rule_form(s: Stacks) -> None:
    rule = s["services"]["resource"]["aws_vpc_security_group_ingress_rule"].pop(_caller_rule(s))
    inline = {"security_groups": [rule["referenced_security_group_id"]], "protocol": "tcp", "from_port": 80, "to_port": 80}
    s["services"]["resource"]["aws_security_group"][_sg(s)]["ingress"] = [inline]


def single_statement_form(s: Stacks) -> None:
    name = _name(s, "services", "aws_iam_role_policy", f"{SERVER}_iam/exec_policy")
    body = s["services"]["resource"]["aws_iam_role_policy"][name]
    statement = json.loads(body["policy"])["Statement"][0]
    policies = [{**statement, "Action": action} for action in statement["Action"]]
    body["policy"] = json.dumps({"Version": "2012-10-17", "Statement": policies[0]})
    for index, extra in enumerate(policies[1:]):
        _add(
            s,
            "aws_iam_role_policy",
            f"exec_{index}",
            {"name": f"exec-{index}", "role": body["role"], "policy": json.dumps({"Statement": extra})},
        )


def policy_through_an_attachment(s: Stacks) -> None:
    name = _name(s, "services", "aws_iam_role_policy", f"{SERVER}_iam/exec_policy")
    inline = s["services"]["resource"]["aws_iam_role_policy"].pop(name)
    _add(s, "aws_iam_policy", "exec", {"name": "exec", "policy": inline["policy"]})
    _add(s, "aws_iam_role_policy_attachment", "exec", {"role": inline["role"], "policy_arn": "${aws_iam_policy.exec.arn}"})


def role_by_literal_arn(s: Stacks) -> None:
    task = _name(s, "services", "aws_ecs_task_definition", f"{SERVER}/task")
    s["services"]["resource"]["aws_ecs_task_definition"][task]["task_role_arn"] = (
        "arn:aws:iam::123456789012:role/internal-api-internal-nginx-task"
    )


EQUIVALENT: list[Callable[[Stacks], None]] = [
    legacy_rule_form,
    inline_rule_form,
    single_statement_form,
    policy_through_an_attachment,
    role_by_literal_arn,
    one_element_arrays,
    jsonencoded_containers,
    ports_as_strings,
    protocol_number,
    lowercase_actions,
    spaces_in_references,
    groups_through_a_local,
    exec_flag_as_string,
]


@pytest.mark.parametrize("rewrite", EQUIVALENT, ids=[m.__name__ for m in EQUIVALENT])
def test_harmless_equivalent_forms_are_accepted(rewrite: Callable[[Stacks], None], article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    rewrite(stacks)
    assert _lines(stacks) == []
    assert [str(v) for v in verify(Config(stacks))] == []


def test_declared_managed_policy_and_permissions_are_accepted(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    managed_policy_arns(stacks)
    _add(
        stacks,
        "aws_iam_role_policy",
        "app",
        {"name": "app", "role": f"${{aws_iam_role.{_task_role(stacks)}.id}}", "policy": _policy("s3:getobject", "s3:List*")},
    )
    declared = declared_callers("article")
    assert _lines(stacks, declared) != []
    opted = {**declared, SERVER: replace(declared[SERVER], managed_policies=(ADMIN,), actions=("s3:GetObject", "s3:List*"))}
    assert _lines(stacks, opted) == []
    partition = "${data.aws_partition.account_partition_32ACE770.partition}"
    role = _task_role(stacks)
    stacks["services"]["resource"]["aws_iam_role"][role]["managed_policy_arns"] = [f"arn:{partition}:iam::aws:policy/AdministratorAccess"]
    assert _lines(stacks, opted) == []
    assert f"service '{SERVER}': services:aws_iam_role.{role}.managed_policy_arns[0]: {UNREADABLE}" in _lines(stacks, declared)


def test_an_undeclared_service_is_named(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    _copy_service(stacks, CLIENT, "extra", name="reporter")
    assert (
        "service 'reporter': services:aws_ecs_service.extra: declared-services-only: an ECS service the declaration does not have; cannot prove who reaches it"
        in _lines(stacks)
    )


# -- what Terraform reads: every file, HCL, overrides --------------------------------------------------------


def _write(root: Path, stacks: Stacks, extra: dict[str, str]) -> Path:
    for name, body in stacks.items():
        folder = root / "cdktf.out" / "stacks" / name
        folder.mkdir(parents=True)
        (folder / "cdk.tf.json").write_text(json.dumps(body), encoding="utf-8")
    for relative, text in extra.items():
        (root / "cdktf.out" / "stacks" / relative).write_text(text, encoding="utf-8")
    return root / "cdktf.out"


def test_a_rule_in_another_json_file_is_read(article_synth: Synth, tmp_path: Path) -> None:
    stacks = _stacks(article_synth)
    rule = {"resource": {"aws_vpc_security_group_ingress_rule": {"extra": _open_rule(f"${{aws_security_group.{_sg(stacks)}.id}}")}}}
    lines = [
        str(v) for v in verify(load([_write(tmp_path, stacks, {"services/extra.tf.json": json.dumps(rule)})]), declared_callers("article"))
    ]
    assert lines == [
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.extra: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"
    ]


def test_an_hcl_file_is_read(article_synth: Synth, tmp_path: Path) -> None:
    stacks = _stacks(article_synth)
    hcl = f"""
resource "aws_security_group_rule" "hcl_open" {{
  type              = "ingress"
  security_group_id = aws_security_group.{_sg(stacks)}.id
  cidr_blocks       = ["10.0.0.0/8"]
  protocol          = "tcp"
  from_port         = 80
  to_port           = 80
}}
output "harmless" {{
  value = "x"
}}
"""
    lines = [str(v) for v in verify(load([_write(tmp_path, stacks, {"services/extra.tf": hcl})]), declared_callers("article"))]
    assert lines == [
        f"service '{SERVER}': services:aws_security_group_rule.hcl_open: ingress-callers-only: ingress from cidr_blocks 10.0.0.0/8 (only callers' security groups may reach it)"
    ]


def test_override_files_are_merged_as_terraform_merges_them(article_synth: Synth, tmp_path: Path) -> None:
    stacks = _stacks(article_synth)
    rule = _caller_rule(stacks)
    service = _name(stacks, "services", "aws_ecs_service", f"{SERVER}/service")
    override = {
        "resource": {"aws_vpc_security_group_ingress_rule": {rule: {"referenced_security_group_id": None, "cidr_ipv4": "0.0.0.0/0"}}}
    }
    hcl = f'resource "aws_ecs_service" "{service}" {{\n  desired_count = 2\n}}\n'
    outdir = _write(tmp_path, stacks, {"services/open_override.tf.json": json.dumps(override), "services/override.tf": hcl})
    config = load([outdir])
    assert config.stacks["services"]["resource"]["aws_ecs_service"][service]["desired_count"] == 2
    assert [str(v) for v in verify(config, declared_callers("article"))] == [
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.{rule}: ingress-callers-only: ingress from cidr_ipv4 0.0.0.0/0 (only callers' security groups may reach it)"
    ]


def test_resources_split_across_files_are_accepted(article_synth: Synth, tmp_path: Path) -> None:
    stacks = _stacks(article_synth)
    moved = {"resource": {t: stacks["services"]["resource"].pop(t) for t in ("aws_security_group", "aws_vpc_security_group_ingress_rule")}}
    outdir = _write(tmp_path, stacks, {"services/groups.tf.json": json.dumps(moved)})
    assert verify(load([outdir]), declared_callers("article")) == []


def test_a_harmless_override_is_accepted(article_synth: Synth, tmp_path: Path) -> None:
    stacks = _stacks(article_synth)
    override = {"resource": {"aws_vpc_security_group_ingress_rule": {_caller_rule(stacks): {"description": "reworded"}}}}
    outdir = _write(tmp_path, stacks, {"services/desc_override.tf.json": json.dumps(override)})
    assert verify(load([outdir]), declared_callers("article")) == []


# -- command line --------------------------------------------------------------------------------------------


def test_exit_codes_tell_proof_findings_usage_and_checker_failure(
    article_synth: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(article_synth.outdir), "--example", "article"]) == 0
    stacks = _stacks(article_synth)
    expected = cidr_ingress(stacks)
    assert main([str(_write(tmp_path / "bad", stacks, {})), "--example", "article"]) == 1
    assert capsys.readouterr().out.splitlines() == [expected]
    assert main([str(article_synth.outdir), "--example", "nope"]) == USER_ERROR
    assert capsys.readouterr().err.startswith("verify: unknown example 'nope'")
    broken = _write(tmp_path / "broken", _stacks(article_synth), {"services/bad.tf": "resource {{{"})
    assert main([str(broken)]) == 3
    assert capsys.readouterr().err == (
        "verify: checker failure: services/bad.tf: cannot parse: bad.tf:1,11-12: Argument or block definition required; "
        "An argument or block definition is required here.\n"
    )


def test_an_input_without_the_declared_services_proves_nothing(article_synth: Synth) -> None:
    stacks = _stacks(article_synth)
    del stacks["services"]["resource"]["aws_ecs_service"]
    assert _lines(stacks) == [
        "service '*': -: reads-everything: cannot prove: the input has no aws_ecs_service (wrong folder, or nothing synthesized?)",
        f"service '{CLIENT}': -: declared-services-only: cannot prove: declared, but no aws_ecs_service in the input has this name",
        f"service '{SERVER}': -: declared-services-only: cannot prove: declared, but no aws_ecs_service in the input has this name",
    ]


def test_stack_folders_can_be_given_one_by_one(article_synth: Synth, capsys: pytest.CaptureFixture[str]) -> None:
    stacks = article_synth.outdir / "stacks"
    assert main([str(stacks / "network"), str(stacks / "services"), "--example", "article"]) == 0
    assert capsys.readouterr().err == "ok: 0 violation(s); 1 server(s), 2 service(s) checked; input: configuration\n"
    assert main([str(stacks / "network"), str(stacks / "services"), "--example", "article", "-v"]) == 0
    assert (
        capsys.readouterr().err
        == "ok: 0 violation(s); servers checked: internal-nginx; services checked: client-nginx, internal-nginx; input: configuration\n"
    )
    assert main([str(stacks / "services"), "--example", "article"]) == 1  # the network stack is missing: nothing traced


HCL_SYSTEM = Path(__file__).parent / "fixtures" / "hcl"
HCL_DECLARED = {SERVER: Declared(callers=(CLIENT,), server=True), CLIENT: Declared()}


def _hcl_lines(tmp_path: Path, extra: str) -> list[str]:
    import shutil

    shutil.copytree(HCL_SYSTEM, tmp_path / "hcl")
    (tmp_path / "hcl" / "services" / "extra.tf").write_text(extra, encoding="utf-8")
    config = load([tmp_path / "hcl" / "network", tmp_path / "hcl" / "services"])
    return [str(v) for v in verify(config, HCL_DECLARED)]


def test_a_system_written_in_hcl_is_proven(tmp_path: Path) -> None:
    """Blocks, locals holding lists and objects, jsonencode documents with references: all read as Terraform reads them."""
    assert _hcl_lines(tmp_path, "") == []
    assert verify(load([HCL_SYSTEM])) == []  # a folder of stack folders, like hcl/<stack>/


def test_an_hcl_host_in_the_callers_group_is_rejected(tmp_path: Path) -> None:
    extra = 'resource "aws_instance" "jump" {\n  ami = "ami-1"\n  vpc_security_group_ids = [aws_security_group.client.id]\n}\n'
    assert _hcl_lines(tmp_path, extra) == [
        f"service '{CLIENT}': services:aws_instance.jump: ingress-callers-only: it joins services:aws_security_group.client, this service's security group",
        f"service '{SERVER}': services:aws_vpc_security_group_ingress_rule.client_to_server: ingress-callers-only: ingress from services:aws_security_group.client admits services:aws_instance.jump (an aws_instance, not an ECS service), which is not a task of a declared caller",
    ]


def test_an_hcl_rule_from_a_variable_range_is_rejected(tmp_path: Path) -> None:
    extra = """
resource "aws_security_group_rule" "ops" {
  type              = "ingress"
  security_group_id = aws_security_group.server.id
  cidr_blocks       = var.ops_cidrs
  protocol          = "tcp"
  from_port         = 80
  to_port           = 80
}
"""
    assert _hcl_lines(tmp_path, extra) == [
        f"service '{SERVER}': services:aws_security_group_rule.ops: ingress-callers-only: ingress from cidr_blocks ${{var.ops_cidrs}} (only callers' security groups may reach it)"
    ]


def test_a_checker_bug_is_exit_3_in_one_line(
    article_synth: Synth, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import proof.verify.cli as cli

    def broken(*_: Any) -> list[Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "verify", broken)
    assert main([str(article_synth.outdir)]) == 3
    assert capsys.readouterr().err == "verify: checker failure: RuntimeError: boom\n"
    with pytest.raises(RuntimeError):
        main([str(article_synth.outdir), "--traceback"])


def test_a_system_module_selects_its_stacks_and_declaration(article_synth: Synth, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(article_synth.outdir), "--system", "examples.article"]) == 0
    assert capsys.readouterr().err.startswith("network, services: ok: 0 violation(s); 1 server(s), 2 service(s) checked; ")
    assert main([str(article_synth.outdir), "--system", "nowhere.to.be.found"]) == USER_ERROR
    err = capsys.readouterr().err
    assert err.startswith("verify: ") and err.count("\n") == 1
