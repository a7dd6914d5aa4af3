"""Existing network mode: nothing that exists is created; what only the account knows is checked at plan time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from examples import article
from topology import AdoptedService, Adoption, ExistingNetwork, NetworkSettings, Settings, validate

from ..conftest import Synthesizer
from ..tfjson import Synth

VPC = "vpc-0a1b2c3d4e5f60001"
NAMESPACE_ID = "ns-abcdefgh12345678"
SUBNETS = ("subnet-0a1b2c3d4e5f60010", "subnet-0a1b2c3d4e5f60011")
CREATED_NETWORK = (
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_nat_gateway",
    "aws_eip",
    "aws_route",
    "aws_route_table",
    "aws_route_table_association",
    "aws_default_security_group",
    "aws_flow_log",
)


def _settings(**existing: Any) -> Settings:
    return Settings(network=NetworkSettings(existing=ExistingNetwork(vpc_id=VPC, private_subnet_ids=SUBNETS, **existing)))


@pytest.fixture(scope="module")
def vpc_only(synthesize: Synthesizer) -> Synth:
    return synthesize(article.TOPOLOGY, _settings())


@pytest.fixture(scope="module")
def everything_existing(synthesize: Synthesizer) -> Synth:
    return synthesize(article.TOPOLOGY, _settings(use_existing_cluster=True, namespace_id=NAMESPACE_ID))


def _data(synth: Synth, stack: str, dtype: str) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = synth.stack(stack).get("data", {}).get(dtype, {})
    return result


def test_nothing_of_the_network_layer_is_created(vpc_only: Synth) -> None:
    resources = vpc_only.stack("network")["resource"]
    assert not set(CREATED_NETWORK) & set(resources)
    (namespace,) = resources["aws_service_discovery_private_dns_namespace"].values()
    assert namespace["vpc"] == VPC
    assert "aws_ecs_cluster" in resources and "aws_kms_key" in resources


def test_subnets_are_read_and_checked_at_plan_time(vpc_only: Synth) -> None:
    subnets = _data(vpc_only, "network", "aws_subnet")
    assert sorted(body["id"] for body in subnets.values()) == sorted(SUBNETS)
    for body in subnets.values():
        conditions = {c["condition"]: c["error_message"] for c in body["lifecycle"]["postcondition"]}
        assert conditions[f'${{self.vpc_id == "{VPC}"}}'].startswith(f"Subnet {body['id']} is in VPC ${{self.vpc_id}}, not in the VPC")
        assert "gives tasks public IP addresses" in conditions["${!self.map_public_ip_on_launch}"]
    tables = [body for body in _data(vpc_only, "network", "aws_route_table").values() if "route_table_id" in body]
    assert len(tables) == len(SUBNETS)
    for body in tables:
        (post,) = body["lifecycle"]["postcondition"]
        assert post["condition"] == '${!anytrue([for r in self.routes : can(regex("^igw-", r.gateway_id))])}'
        assert "has a route to an internet gateway" in post["error_message"]
        assert ".ids[0] : data.aws_route_table." in body["route_table_id"]  # falls back to the VPC's main table


def test_services_run_in_the_existing_subnets(vpc_only: Synth) -> None:
    network = vpc_only.stack("network")
    outputs = {name: body["value"] for name, body in network["output"].items()}
    (subnet_output,) = [v for v in outputs.values() if isinstance(v, list) and all("data.aws_subnet." in x for x in v)]
    assert len(subnet_output) == len(SUBNETS)
    for service in vpc_only.resources("services", "aws_ecs_service").values():
        assert service["network_configuration"]["assign_public_ip"] is False
        assert all("terraform_remote_state" in subnet for subnet in service["network_configuration"]["subnets"])


def test_existing_cluster_and_namespace_are_looked_up_not_created(everything_existing: Synth) -> None:
    resources = everything_existing.stack("network")["resource"]
    assert "aws_ecs_cluster" not in resources
    assert not any(rtype.startswith("aws_service_discovery") for rtype in resources)
    (cluster,) = _data(everything_existing, "network", "aws_ecs_cluster").values()
    assert cluster["cluster_name"] == "ServiceConnect"
    (pre,) = cluster["lifecycle"]["precondition"]
    assert pre["error_message"].startswith("ECS cluster ServiceConnect does not exist in ap-northeast-1")
    assert "cluster_arns" in pre["condition"]
    # Issue 20, finding 2: named by ID, never looked up by name (that lookup fails once two namespaces share the name).
    data = everything_existing.stack("network")["data"]
    assert not any(dtype.startswith("aws_service_discovery") for dtype in data)
    (arn,) = {body["value"] for name, body in everything_existing.stack("network")["output"].items() if "namespace" in name}
    assert re.fullmatch(
        rf"arn:\$\{{data\.aws_partition\.[\w-]+\.partition\}}:servicediscovery:ap-northeast-1:"
        rf"\$\{{data\.aws_caller_identity\.[\w-]+\.account_id\}}:namespace/{NAMESPACE_ID}",
        arn,
    ), arn
    # ... and checked to be this VPC's: Cloud Map's private zone of that name in that VPC must be the namespace's.
    (zone,) = _data(everything_existing, "network", "aws_route53_zone").values()
    assert (zone["name"], zone["private_zone"], zone["vpc_id"]) == ("ServiceConnectNS", True, VPC)
    (post,) = zone["lifecycle"]["postcondition"]
    assert post["condition"] == (
        '${self.linked_service_principal == "servicediscovery.amazonaws.com" '
        f'&& strcontains(self.linked_service_description, "{NAMESPACE_ID}")}}'
    )
    assert post["error_message"] == (
        f"The private zone ServiceConnectNS of VPC {VPC} (${{self.zone_id}}) is not namespace {NAMESPACE_ID}'s (it belongs to "
        '${self.linked_service_description == "" ? "no Cloud Map namespace" : self.linked_service_description}): '
        "network.existing.namespace_id must name the private DNS namespace of that name in that VPC."
    )


def test_an_existing_namespace_is_taken_by_arn_as_given(synthesize: Synthesizer) -> None:
    arn = f"arn:aws:servicediscovery:ap-northeast-1:123456789012:namespace/{NAMESPACE_ID}"
    settings = Settings(
        network=NetworkSettings(namespace_type="http", existing=ExistingNetwork(vpc_id=VPC, private_subnet_ids=SUBNETS, namespace_id=arn))
    )
    synth = synthesize(article.TOPOLOGY, settings)
    (value,) = {body["value"] for name, body in synth.stack("network")["output"].items() if "namespace" in name}
    assert value == arn
    assert "aws_route53_zone" not in synth.stack("network").get("data", {})  # an HTTP namespace has no VPC


def test_default_mode_is_unchanged(synthesize: Synthesizer) -> None:
    synth = synthesize(article.TOPOLOGY, Settings())
    assert "data" not in synth.stack("network") or "aws_subnet" not in synth.stack("network")["data"]
    assert set(CREATED_NETWORK) - {"aws_eip"} <= set(synth.stack("network")["resource"])


def test_bad_existing_ids_are_one_line_each() -> None:
    settings = Settings(
        network=NetworkSettings(
            existing=ExistingNetwork(vpc_id="vpc1", private_subnet_ids=("subnet-0a1b2c3d4e5f60010", "sn-1", "subnet-0a1b2c3d4e5f60010"))
        )
    )
    assert validate(article.TOPOLOGY, settings) == [
        "settings: network.existing.vpc_id: 'vpc1' is not a VPC ID (like 'vpc-0123456789abcdef0')",
        "settings: network.existing.private_subnet_ids[1]: 'sn-1' is not a subnet ID (like 'subnet-0123456789abcdef0')",
        "settings: network.existing.private_subnet_ids: a subnet is listed twice",
    ]
    by_name = ExistingNetwork(vpc_id=VPC, private_subnet_ids=SUBNETS, use_existing_namespace=True, namespace_id="ServiceConnectNS")
    assert validate(article.TOPOLOGY, Settings(network=NetworkSettings(existing=by_name))) == [
        "settings: network.existing.use_existing_namespace: a namespace is no longer looked up by name (the lookup fails once "
        "two namespaces share it); set network.existing.namespace_id to its ID or ARN (aws servicediscovery list-namespaces)",
        "settings: network.existing.namespace_id: 'ServiceConnectNS' is not a Cloud Map namespace ID or ARN "
        "(like 'ns-abcdefgh12345678' or 'arn:aws:servicediscovery:<region>:<account>:namespace/ns-abcdefgh12345678')",
    ]
    empty = Settings(network=NetworkSettings(existing=ExistingNetwork(vpc_id=VPC, private_subnet_ids=())))
    assert validate(article.TOPOLOGY, empty) == ["settings: network.existing.private_subnet_ids: name at least one subnet for the tasks"]


# --- adoption: import blocks for what runs already ---------------------------------------------------

SG = "sg-0a1b2c3d4e5f60002"
RULE = "sgr-0a1b2c3d4e5f60003"


def _adopting(synthesize: Synthesizer, **adopt: Any) -> Synth:
    adoption = Adoption(
        services=(
            AdoptedService(
                name="internal-nginx",
                security_group_id=SG,
                ingress_rule_ids=(("client-nginx", RULE),),
                execution_role_name="internal-nginx-execution",
                task_role_name="internal-nginx-task",
                log_group_name="/ecs/internal-nginx",
                proxy_log_group_name="/ecs/internal-nginx/service-connect",
            ),
            AdoptedService(name="client-nginx"),
        ),
        **adopt,
    )
    existing = ExistingNetwork(vpc_id=VPC, private_subnet_ids=SUBNETS, adopt=adoption)
    return synthesize(article.TOPOLOGY, Settings(network=NetworkSettings(existing=existing)))


def _imports(synth: Synth, stack: str) -> dict[str, str]:
    """resource type -> import ID, for every import block of the stack."""
    blocks = synth.stack(stack).get("import", [])
    return {block["to"]: block["id"] for block in blocks}


def test_adopted_resources_are_imported_and_keep_their_names(synthesize: Synthesizer) -> None:
    synth = _adopting(synthesize, cluster=True, namespace_id="ns-abcdefgh12345678")
    imports = _imports(synth, "services")
    by_type = sorted((to.split(".")[0], value) for to, value in imports.items())
    assert by_type == [
        ("aws_cloudwatch_log_group", "/ecs/internal-nginx"),
        ("aws_cloudwatch_log_group", "/ecs/internal-nginx/service-connect"),
        ("aws_ecs_service", "ServiceConnect/client-nginx"),
        ("aws_ecs_service", "ServiceConnect/internal-nginx"),
        ("aws_iam_role", "internal-nginx-execution"),
        ("aws_iam_role", "internal-nginx-task"),
        ("aws_security_group", SG),
        ("aws_vpc_security_group_ingress_rule", RULE),
    ]
    groups = synth.resources("services", "aws_security_group")
    adopted = next(body for name, body in groups.items() if f"aws_security_group.{name}" in imports)
    assert adopted["name"].startswith("${data.aws_security_group.") and adopted["description"].startswith("${data.aws_security_group.")
    roles = sorted(body["name"] for body in synth.resources("services", "aws_iam_role").values())
    assert roles == [
        "internal-api-client-nginx-execution",
        "internal-api-client-nginx-task",
        "internal-nginx-execution",
        "internal-nginx-task",
    ]
    # The logs key admits the adopted groups too (they are named outside /ecs/<cluster>/), and only as named.
    (policy,) = [body["policy"] for body in synth.resources("network", "aws_kms_key").values() if "log-group:" in body["policy"]]
    for group in ("/ecs/ServiceConnect/*", "/ecs/internal-nginx*", "/ecs/internal-nginx/service-connect*"):
        assert f"log-group:{group}" in policy
    network = {to.split(".")[0]: value for to, value in _imports(synth, "network").items()}
    assert network == {"aws_ecs_cluster": "ServiceConnect", "aws_service_discovery_private_dns_namespace": f"ns-abcdefgh12345678:{VPC}"}
    (namespace,) = synth.resources("network", "aws_service_discovery_private_dns_namespace").values()
    assert namespace["lifecycle"] == {"ignore_changes": ["description"]}  # it keeps the account's (issue 20, finding 7)


def test_adoption_problems_are_one_line_each() -> None:
    adoption = Adoption(
        cluster=True,
        namespace_id="namespace-1",
        services=(
            AdoptedService(name="db"),
            AdoptedService(name="internal-nginx", security_group_id="sg-x", ingress_rule_ids=(("web", "sgr-0a1b2c3d4e5f60003"),)),
            AdoptedService(name="client-nginx", ingress_rule_ids=(("internal-nginx", "rule"),)),
        ),
    )
    existing = ExistingNetwork(vpc_id=VPC, private_subnet_ids=SUBNETS, use_existing_cluster=True, adopt=adoption)
    assert validate(article.TOPOLOGY, Settings(network=NetworkSettings(existing=existing))) == [
        "settings: network.existing.adopt.cluster: the cluster is read (use_existing_cluster), so it cannot also be imported; choose one",
        "settings: network.existing.adopt.namespace_id: 'namespace-1' is not a Cloud Map namespace ID (like 'ns-abcdefgh12345678')",
        "settings: network.existing.adopt.services[0].name: 'db' is not a declared service (declared: internal-nginx, client-nginx)",
        "settings: network.existing.adopt.services[1].security_group_id: 'sg-x' is not a security group ID (like 'sg-0123456789abcdef0')",
        "settings: network.existing.adopt.services[1].ingress_rule_ids: 'web' is not a declared caller of 'internal-nginx' (one of: client-nginx, client-nginx:internal-nginx)",
        "settings: network.existing.adopt.services[2].ingress_rule_ids: 'internal-nginx' is not a declared caller of 'client-nginx' (one of: none)",
        "settings: network.existing.adopt.services[2].ingress_rule_ids: 'rule' is not a security group rule ID (like 'sgr-0123456789abcdef0')",
        "settings: network.existing.adopt.services[2].ingress_rule_ids: rules can only be adopted with their security group (set security_group_id)",
    ]


# --- the internal-only checker in this mode ----------------------------------------------------------


def test_checker_proves_existing_subnets_when_planned(vpc_only: Synth, capsys: pytest.CaptureFixture[str]) -> None:
    from proof.verify import declared_callers, load, verify
    from proof.verify.cli import main
    from proof.verify.existing import PLANNED

    violations = verify(load([vpc_only.outdir]), declared_callers("article"))
    # The checker covers every ECS service (client and server), so each one's subnets are reported.
    assert sorted((v.subject, v.kind, v.detail.split(":")[0]) for v in violations) == [
        (service, PLANNED, f"existing subnet {subnet}") for service in ("client-nginx", "internal-nginx") for subnet in sorted(SUBNETS)
    ]
    assert main([str(vpc_only.outdir), "--example", "article"]) == 0  # passes by default, no flag
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all(line.startswith("proven when planned: service '") for line in out)
    assert main([str(vpc_only.outdir), "--example", "article", "--accept-plan-time-checks"]) == 0  # old scripts keep working


def _weakened(vpc_only: Synth, edit: Callable[[dict[str, Any]], None]) -> set[tuple[str, str]]:
    """The findings once ``edit`` changed the network stack's data sources."""
    from proof.verify import Config, declared_callers, verify

    stacks = {name: json.loads(vpc_only.text(name)) for name in ("network", "services")}
    edit(stacks["network"]["data"])
    return {(v.kind, v.detail) for v in verify(Config(stacks), declared_callers("article")) if v.kind == "private-subnets"}


def _first(bodies: dict[str, Any], part: str) -> dict[str, Any]:
    found: dict[str, Any] = next(body for name, body in sorted(bodies.items()) if part in name)
    return found


def _vpc_condition_weakened(data: dict[str, Any]) -> None:
    for condition in _first(data["aws_subnet"], "subnet_0")["lifecycle"]["postcondition"]:
        condition["condition"] = condition["condition"].replace('"}', '" || true}')


def _route_check_removed(data: dict[str, Any]) -> None:
    del _first(data["aws_route_table"], "subnet_0_route_table")["lifecycle"]


def _own_tables_of_another_subnet(data: dict[str, Any]) -> None:
    _first(data["aws_route_tables"], "subnet_0")["filter"][0]["values"] = ["subnet-0ffffffffffffffff"]


def _main_table_not_main(data: dict[str, Any]) -> None:
    _first(data["aws_route_table"], "main_route_table")["filter"][0]["values"] = ["false"]


def _table_fallback_to_a_literal(data: dict[str, Any]) -> None:
    table = _first(data["aws_route_table"], "subnet_0_route_table")
    table["route_table_id"] = table["route_table_id"].rsplit(":", 1)[0] + ': "rtb-0123456789abcdef0"}'


@pytest.mark.parametrize(
    "edit",
    [_vpc_condition_weakened, _route_check_removed, _own_tables_of_another_subnet, _main_table_not_main, _table_fallback_to_a_literal],
)
def test_checker_refuses_a_weakened_plan_time_check(vpc_only: Synth, edit: Callable[[dict[str, Any]], None]) -> None:
    found = _weakened(vpc_only, edit)
    assert f"existing subnet {SUBNETS[0]}" in {detail.split(" is read")[0] for _, detail in found}


def test_checker_refuses_an_existing_subnet_without_plan_time_checks(vpc_only: Synth) -> None:
    from proof.verify import Config, declared_callers, verify

    stacks = {name: json.loads(vpc_only.text(name)) for name in ("network", "services")}
    for body in stacks["network"]["data"]["aws_subnet"].values():
        body["lifecycle"]["postcondition"] = [c for c in body["lifecycle"]["postcondition"] if "map_public_ip" not in c["condition"]]
    violations = verify(Config(stacks), declared_callers("article"))
    assert {(v.kind, v.detail) for v in violations} == {
        ("private-subnets", f"existing subnet {subnet} is read without the plan-time checks that it is private") for subnet in SUBNETS
    }


def test_adopted_servers_keep_their_app_protocol_checked_at_plan_time(synthesize: Synthesizer) -> None:
    synth = _adopting(synthesize)
    (running,) = _data(synth, "services", "aws_ecs_task_definition").values()  # only the server: a client has no port
    assert running["task_definition"].startswith("${data.aws_ecs_service.internal-nginx_running")
    (post,) = running["lifecycle"]["postcondition"]
    assert 'lookup({"internal-nginx" = "http"}, try(pm.name, ""), try(pm.appProtocol, "tcp"))' in post["condition"]
    assert "ECS cannot change appProtocol in a Service Connect service without deleting and recreating it" in post["error_message"]
    assert not _data(synthesize(article.TOPOLOGY, _settings()), "services", "aws_ecs_task_definition")  # nothing adopted: no check
