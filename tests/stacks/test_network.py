"""Stack ``network``: VPC layout, NAT modes, cluster and namespace, provider pin."""

from __future__ import annotations

import ipaddress
import json

from examples import article
from topology import NetworkSettings, Settings

from ..conftest import Synthesizer
from ..tfjson import Synth, ref


def test_subnet_cidrs_split_the_vpc_without_overlap() -> None:
    zones = ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
    public, private = NetworkSettings(cidr="10.0.0.0/16", availability_zones=zones).subnet_cidrs()
    assert public == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    assert private == ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"]
    nets = [ipaddress.ip_network(c) for c in public + private]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


def test_two_azs_with_public_and_private_subnets(article_synth: Synth) -> None:
    subnets = article_synth.resources("network", "aws_subnet")
    tiers = sorted(body["tags"]["Tier"] for body in subnets.values())
    assert tiers == ["private", "private", "public", "public"]
    assert all(body["map_public_ip_on_launch"] is False for body in subnets.values())
    by_tier = sorted((body["tags"]["Tier"], body["availability_zone"]) for body in subnets.values())
    assert by_tier == [
        ("private", "ap-northeast-1a"),
        ("private", "ap-northeast-1c"),
        ("public", "ap-northeast-1a"),
        ("public", "ap-northeast-1c"),
    ]
    assert "data" not in article_synth.stack("network") or "aws_availability_zones" not in article_synth.stack("network")["data"]


def _routes_by_subnet(synth: Synth) -> dict[str, dict[str, str]]:
    """subnet resource name -> its default route's target {attr: resource name}."""
    routes = synth.resources("network", "aws_route")
    assoc = synth.resources("network", "aws_route_table_association")
    result: dict[str, dict[str, str]] = {}
    for body in assoc.values():
        subnet = ref(body["subnet_id"])[1]
        table = ref(body["route_table_id"])[1]
        (route,) = [r for r in routes.values() if ref(r["route_table_id"])[1] == table]
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        target = {k: ref(v)[0] for k, v in route.items() if k in ("gateway_id", "nat_gateway_id")}
        result[subnet] = target
    return result


def test_private_subnets_reach_out_only_through_nat(article_synth: Synth) -> None:
    subnets = article_synth.resources("network", "aws_subnet")
    routes = _routes_by_subnet(article_synth)
    tiers = sorted(body["tags"]["Tier"] for body in subnets.values())
    assert tiers == ["private", "private", "public", "public"]
    for name, body in subnets.items():
        expected = {"nat_gateway_id": "aws_nat_gateway"} if body["tags"]["Tier"] == "private" else {"gateway_id": "aws_internet_gateway"}
        assert routes[name] == expected, name


def test_one_nat_per_az_by_default(article_synth: Synth) -> None:
    nats = article_synth.resources("network", "aws_nat_gateway")
    assert len(nats) == 2
    public = {n for n, b in article_synth.resources("network", "aws_subnet").items() if b["tags"]["Tier"] == "public"}
    assert {ref(b["subnet_id"])[1] for b in nats.values()} == public


def test_single_nat_serves_every_private_subnet(synthesize: Synthesizer) -> None:
    zones = ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
    synth = synthesize(article.TOPOLOGY, Settings(network=NetworkSettings(nat="single", availability_zones=zones)))
    assert len(synth.resources("network", "aws_nat_gateway")) == 1
    assert len(synth.resources("network", "aws_eip")) == 1
    nat_targets = {body["nat_gateway_id"] for body in synth.resources("network", "aws_route").values() if "nat_gateway_id" in body}
    assert len(nat_targets) == 1
    assert len(synth.resources("network", "aws_subnet")) == 6


def test_cluster_and_namespace_as_in_the_article(article_synth: Synth) -> None:
    (cluster,) = article_synth.resources("network", "aws_ecs_cluster").values()
    (ns_name, namespace) = next(iter(article_synth.resources("network", "aws_service_discovery_private_dns_namespace").items()))
    assert cluster["name"] == "ServiceConnect"
    assert namespace["name"] == "ServiceConnectNS"
    assert cluster["service_connect_defaults"]["namespace"] == f"${{aws_service_discovery_private_dns_namespace.{ns_name}.arn}}"
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]


def test_http_namespace_is_selectable(synthesize: Synthesizer) -> None:
    synth = synthesize(article.TOPOLOGY, Settings(network=NetworkSettings(namespace_type="http")))
    assert len(synth.resources("network", "aws_service_discovery_http_namespace")) == 1
    assert synth.resources("network", "aws_service_discovery_private_dns_namespace") == {}


def test_default_security_group_is_emptied(article_synth: Synth) -> None:
    (default_sg,) = article_synth.resources("network", "aws_default_security_group").values()
    assert "ingress" not in default_sg and "egress" not in default_sg


def test_provider_is_pinned_to_the_mirrored_release(article_synth: Synth) -> None:
    for stack in ("network", "services"):
        required = article_synth.stack(stack)["terraform"]["required_providers"]["aws"]
        assert required == {"source": "aws", "version": "5.100.0"}
        assert article_synth.stack(stack)["provider"]["aws"][0]["region"] == "ap-northeast-1"


def test_logs_key_rotates_and_names_every_action(article_synth: Synth) -> None:
    key = article_synth.by_path("network", "aws_kms_key", "logs_key/key")[1]
    assert key["enable_key_rotation"] is True
    policy = json.loads(key["policy"])
    actions = [a for statement in policy["Statement"] for a in statement["Action"]]
    assert actions and not any("*" in action for action in actions)
    (logs,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsOfThisProject"]
    assert logs["Principal"] == {"Service": "logs.ap-northeast-1.amazonaws.com"}


def test_logs_key_serves_only_this_projects_log_groups(article_synth: Synth) -> None:
    """Finding 6: not every log group of the account (``log-group:*``), only the project's name prefixes."""
    key = article_synth.by_path("network", "aws_kms_key", "logs_key/key")[1]
    (logs,) = [s for s in json.loads(key["policy"])["Statement"] if s["Sid"] == "CloudWatchLogsOfThisProject"]
    base = _account_arn(article_synth, "network") + ":log-group:"
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": [f"{base}/ecs/ServiceConnect/*", f"{base}/vpc/internal-api/*"]}
    }
    names = [g["name"] for g in article_synth.resources("network", "aws_cloudwatch_log_group").values()]
    names += [g["name"] for g in article_synth.resources("services", "aws_cloudwatch_log_group").values()]
    assert names and all(name.startswith(("/ecs/ServiceConnect/", "/vpc/internal-api/")) for name in names)


def test_flow_log_is_created_after_its_roles_policy(article_synth: Synth) -> None:
    """Finding 5: a flow log created before its role may write can stay in "Access error"."""
    (flow,) = article_synth.resources("network", "aws_flow_log").values()
    policy = article_synth.by_path("network", "aws_iam_role_policy", "flow_logs/policy")[0]
    assert flow["depends_on"] == [f"aws_iam_role_policy.{policy}"]


def test_exec_sessions_are_audited_to_an_encrypted_group_with_a_session_key(article_synth: Synth) -> None:
    """Finding 4: ECS Exec sessions are logged (OVERRIDE, not DEFAULT) to a KMS-encrypted group of their own."""
    cluster = article_synth.by_path("network", "aws_ecs_cluster", "cluster")[1]
    group_name, group = article_synth.by_path("network", "aws_cloudwatch_log_group", "exec_audit")
    key_name, key = article_synth.by_path("network", "aws_kms_key", "exec_key/key")
    logs_key = article_synth.by_path("network", "aws_kms_key", "logs_key/key")[0]
    assert cluster["configuration"] == {
        "execute_command_configuration": {
            "kms_key_id": f"${{aws_kms_key.{key_name}.arn}}",
            "logging": "OVERRIDE",
            "log_configuration": {
                "cloud_watch_log_group_name": f"${{aws_cloudwatch_log_group.{group_name}.name}}",
                "cloud_watch_encryption_enabled": True,
            },
        }
    }
    assert group["name"] == "/ecs/ServiceConnect/exec-audit"
    assert group["kms_key_id"] == f"${{aws_kms_key.{logs_key}.arn}}" and group["retention_in_days"] == 365
    assert key["enable_key_rotation"] is True
    statements = json.loads(key["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AccountAdministersThroughIam", "AccountUsesThroughIam"]
    assert statements[1]["Action"] == ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]


def test_exec_audit_can_be_switched_off_explicitly(synthesize: Synthesizer) -> None:
    synth = synthesize(article.TOPOLOGY, Settings(network=NetworkSettings(exec_audit_logs=False)))
    cluster = synth.by_path("network", "aws_ecs_cluster", "cluster")[1]
    assert cluster["configuration"] == {"execute_command_configuration": {"logging": "NONE"}}
    assert len(synth.resources("network", "aws_kms_key")) == 1
    policies = [json.loads(b["policy"]) for b in synth.resources("services", "aws_iam_role_policy").values()]
    assert not any(s["Sid"].startswith("Exec") and s["Sid"] != "EcsExec" for p in policies for s in p["Statement"])


def test_flow_logs_record_all_traffic_to_an_encrypted_group(article_synth: Synth) -> None:
    (flow,) = article_synth.resources("network", "aws_flow_log").values()
    assert flow["traffic_type"] == "ALL"
    assert ref(flow["vpc_id"])[0] == "aws_vpc"
    group_name = ref(flow["log_destination"])[1]
    group = article_synth.resources("network", "aws_cloudwatch_log_group")[group_name]
    assert group["retention_in_days"] == 365
    assert ref(group["kms_key_id"])[0] == "aws_kms_key"


def _account_arn(synth: Synth, stack: str) -> str:
    """``arn:<partition>:logs:<region>:<account>`` as the stack writes it (references to its own lookups)."""
    data = synth.stack(stack)["data"]
    (partition,) = data["aws_partition"]
    (identity,) = data["aws_caller_identity"]
    return f"arn:${{data.aws_partition.{partition}.partition}}:logs:ap-northeast-1:${{data.aws_caller_identity.{identity}.account_id}}"
