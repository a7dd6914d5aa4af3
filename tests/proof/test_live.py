"""The live check on recorded API responses (botocore Stubber): what the emulator cannot model (a task with a
public IP, a running task's ENI), the report's lines, and the read-only policy kept in step with the calls made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import botocore.session
import pytest
from botocore.stub import Stubber

from proof.findings import Finding
from proof.live.check import LINE, judge
from proof.live.cli import report, summary
from proof.live.read import read
from topology import Port, Service, Settings, Topology
from topology.errors import USER_ERROR

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "docs" / "live-policy.json"
PREFIX = {"ecs": "ecs", "ec2": "ec2", "elbv2": "elasticloadbalancing", "iam": "iam", "servicediscovery": "servicediscovery"}
TOPOLOGY = Topology(services=(Service(name="web", calls=("api",)), Service(name="api", ports=(Port(name="api", container_port=8080),))))
CLUSTER = "ServiceConnect"
ACCOUNT = "123456789012"
TG = f"arn:aws:elasticloadbalancing:ap-northeast-1:{ACCOUNT}:targetgroup/web/0123456789abcdef"
LB = f"arn:aws:elasticloadbalancing:ap-northeast-1:{ACCOUNT}:loadbalancer/app/shop/0123456789abcdef"
LISTENER = f"arn:aws:elasticloadbalancing:ap-northeast-1:{ACCOUNT}:listener/app/shop/0123456789abcdef/0123456789abcdef"
RULE = f"arn:aws:elasticloadbalancing:ap-northeast-1:{ACCOUNT}:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _service(name: str, group: str, revision: int, **extra: Any) -> dict[str, Any]:
    return {
        "serviceName": name,
        "serviceArn": f"arn:aws:ecs:ap-northeast-1:{ACCOUNT}:service/{CLUSTER}/{name}",
        "status": "ACTIVE",
        "desiredCount": 1,
        "taskDefinition": f"arn:aws:ecs:ap-northeast-1:{ACCOUNT}:task-definition/shop-{name}:{revision}",
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": ["subnet-0a"], "securityGroups": [group], "assignPublicIp": "DISABLED"}
        },
        **extra,
    }


def _rule(rule_id: str, group: str, *, egress: bool = False, port: int = 8080, **source: Any) -> dict[str, Any]:
    return {
        "SecurityGroupRuleId": rule_id,
        "GroupId": group,
        "IsEgress": egress,
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        **source,
    }


def _role(name: str, **extra: Any) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:role/shop-{name}-task"
    return {
        "Arn": arn,
        "RoleName": f"shop-{name}-task",
        "AssumeRolePolicyDocument": quote(json.dumps(TRUST)),
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
        **extra,
    }


def _responses(public_ip: str | None) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each client's recorded answers, in the order the reader asks: the article-like pair, one task each, web behind an entry."""
    web = _service("web", "sg-0web", 3, loadBalancers=[{"targetGroupArn": TG, "containerName": "web", "containerPort": 80}])
    api = _service("api", "sg-0api", 5)
    task = {
        "taskArn": f"arn:aws:ecs:ap-northeast-1:{ACCOUNT}:task/{CLUSTER}/0a",
        "group": "service:api",
        "taskDefinitionArn": api["taskDefinition"].replace(":5", ":4"),
        "attachments": [{"type": "ElasticNetworkInterface", "details": [{"name": "networkInterfaceId", "value": "eni-0task"}]}],
    }
    association = {"Association": {"PublicIp": public_ip}} if public_ip else {}
    return {
        "ecs": [
            ("list_services", {"serviceArns": [web["serviceArn"], api["serviceArn"]]}),
            ("describe_services", {"services": [web, api]}),
            (
                "describe_task_definition",
                {"taskDefinition": {"taskDefinitionArn": api["taskDefinition"], "taskRoleArn": _role("api")["Arn"]}},
            ),
            (
                "describe_task_definition",
                {"taskDefinition": {"taskDefinitionArn": web["taskDefinition"], "taskRoleArn": _role("web")["Arn"]}},
            ),
            ("list_tasks", {"taskArns": [task["taskArn"]]}),
            ("describe_tasks", {"tasks": [task]}),
        ],
        "elbv2": [
            ("describe_target_groups", {"TargetGroups": [{"TargetGroupArn": TG, "LoadBalancerArns": [LB]}]}),
            ("describe_load_balancers", {"LoadBalancers": [{"LoadBalancerArn": LB, "SecurityGroups": ["sg-0lb"]}]}),
            ("describe_listeners", {"Listeners": [{"ListenerArn": LISTENER, "LoadBalancerArn": LB, "Port": 443}]}),
            (
                "describe_rules",
                {
                    "Rules": [
                        {
                            "RuleArn": RULE,
                            "IsDefault": False,
                            "Conditions": [{"Field": "path-pattern", "Values": ["/admin/*"]}],
                            "Actions": [{"Type": "forward", "TargetGroupArn": TG}],
                        }
                    ]
                },
            ),
            ("describe_target_health", {"TargetHealthDescriptions": []}),
        ],
        "ec2": [
            (
                "describe_security_group_rules",
                {
                    "SecurityGroupRules": [
                        _rule("sgr-0caller", "sg-0api", ReferencedGroupInfo={"GroupId": "sg-0web"}),
                        _rule("sgr-0https", "sg-0web", egress=True, port=443, CidrIpv4="0.0.0.0/0"),
                        _rule("sgr-0https2", "sg-0api", egress=True, port=443, CidrIpv4="0.0.0.0/0"),
                        _rule("sgr-0toapi", "sg-0web", egress=True, ReferencedGroupInfo={"GroupId": "sg-0api"}),
                    ]
                },
            ),
            (
                "describe_network_interfaces",
                {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-0task", "Groups": [{"GroupId": "sg-0api"}], **association}]},
            ),
            ("describe_subnets", {"Subnets": [{"SubnetId": "subnet-0a", "VpcId": "vpc-0a"}]}),
            (
                "describe_route_tables",
                {
                    "RouteTables": [
                        {
                            "RouteTableId": "rtb-0main",
                            "Associations": [{"Main": True}],
                            "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}],
                        }
                    ]
                },
            ),
        ],
        "iam": [("get_account_authorization_details", {"RoleDetailList": [_role("api"), _role("web")]})],
        "servicediscovery": [
            ("list_namespaces", {"Namespaces": [{"Id": "ns-0a", "Name": "serviceconnectns"}]}),
            ("list_services", {"Services": [{"Id": "srv-0api", "Name": "api"}]}),
            ("list_instances", {"Instances": []}),
        ],
    }


def _stubbed(public_ip: str | None = None) -> tuple[list[str], list[str]]:
    """The findings of the stubbed account, and every ``<iam prefix>:<Operation>`` the reader called."""
    session = botocore.session.get_session()
    called: list[str] = []
    clients: dict[str, Any] = {}
    for service, answers in _responses(public_ip).items():
        client = session.create_client(service, region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
        client.meta.events.register(
            "before-parameter-build", lambda model, prefix=PREFIX[service], **_: called.append(f"{prefix}:{model.name}")
        )
        stubber = Stubber(client)
        for operation, answer in answers:
            stubber.add_response(operation, answer)
        stubber.activate()
        clients[service] = (client, stubber)
    account = read(lambda name: clients[name][0], CLUSTER, "ServiceConnectNS")
    for _, stubber in clients.values():
        stubber.assert_no_pending_responses()
    return [f.line(LINE) for f in judge(TOPOLOGY, Settings(), account)], called


def test_a_public_ip_on_a_task_is_violated() -> None:
    """moto cannot give a running task a public IP: the recorded answer of AWS's DescribeNetworkInterfaces does."""
    findings, _ = _stubbed(public_ip="203.0.113.7")
    assert "violated: api: eni-0task in sg-0api has public IP 203.0.113.7: reachable from the internet" in findings
    assert not any("public IP" in line for line in _stubbed()[0])


def test_the_stubbed_account_lines() -> None:
    findings, _ = _stubbed()
    assert "proven: api: sg-0api admits only its declared callers (web) and entries" in findings
    assert any(line.startswith("different: api: task arn:aws:ecs:") and "shop-api:4, the service" in line for line in findings)
    assert any(line.startswith(f"undeclared: web: listener {LISTENER} rule {RULE} forwards host * path /admin/*") for line in findings)
    assert not any(line.startswith("undeclared: api: eni-0task") for line in findings)  # the task's own ENI is a member


def test_the_policy_lists_exactly_the_calls_made() -> None:
    _, called = _stubbed()
    (statement,) = json.loads(POLICY.read_text(encoding="utf-8"))["Statement"]
    assert sorted(set(called)) == statement["Action"]
    assert all(action.split(":")[1].startswith(("Describe", "List", "Get")) for action in statement["Action"])


def test_summary_and_json() -> None:
    found = [Finding("api", "", "proven", "x"), Finding("web", "", "missing", "y")]
    assert (
        summary("acme.shop dev", found) == "live check of acme.shop dev: FAILED: 1 proven, 0 violated, 0 undeclared, 1 missing, 0 different"
    )
    assert report("t", found)["counts"]["missing"] == 1 and report("t", found)["ok"] is False
    assert report("t", found)["findings"][1] == {"kind": "missing", "service": "web", "text": "y"}  # the keys of before
    assert [f.line(LINE) for f in found] == ["proven: api: x", "missing: web: y"]
    assert summary("t", found[:1]).startswith("live check of t: ok")


@pytest.mark.parametrize("system", ["acme.none"])
def test_an_unknown_system_is_usage(system: str, capsys: pytest.CaptureFixture[str]) -> None:
    from proof.live.cli import main

    assert main(["--system", system], clients=lambda _: None) == USER_ERROR
    assert capsys.readouterr().err.startswith("verify-live: system 'acme.none'")


def test_an_undeclared_discovery_name_and_missing_services() -> None:
    from proof.live.read import Account

    account = Account(cluster=CLUSTER, instances={"api": [], "legacy": [{"Id": "10.0.0.9"}]})
    lines = [f.line(LINE) for f in judge(TOPOLOGY, Settings(), account)]
    assert "undeclared: legacy: Cloud Map service legacy in namespace ServiceConnectNS (10.0.0.9): no declared port has that name" in lines
    assert f"missing: api: declared, but no active ECS service of that name in cluster {CLUSTER}" in lines
    assert not any(line.startswith("undeclared: api:") for line in lines)
