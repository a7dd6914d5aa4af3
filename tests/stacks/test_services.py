"""Stack ``services`` for the article's topology: every property the foundation promises."""

from __future__ import annotations

import json
from typing import Any

from examples import article
from proof.verify import Address, load
from stacks.iam import EXEC_ACTIONS
from stacks.service import service_connect_fingerprint
from topology import Port, S3State, Service, Settings, Topology

from ..conftest import Synthesizer
from ..tfjson import Synth, ref

REMOTE = "${data.terraform_remote_state.cross-stack-reference-input-network.outputs."


def _service(synth: Synth, name: str) -> dict[str, Any]:
    return synth.by_path("services", "aws_ecs_service", f"{name}/service")[1]


def _container(synth: Synth, name: str) -> dict[str, Any]:
    body = synth.by_path("services", "aws_ecs_task_definition", f"{name}/task")[1]
    (container,) = json.loads(body["container_definitions"])
    result: dict[str, Any] = container
    return result


def test_task_definitions_are_the_articles(article_synth: Synth) -> None:
    for name in ("internal-nginx", "client-nginx"):
        body = article_synth.by_path("services", "aws_ecs_task_definition", f"{name}/task")[1]
        assert body["requires_compatibilities"] == ["FARGATE"]
        assert body["network_mode"] == "awsvpc"
        assert (body["cpu"], body["memory"]) == ("256", "512")
        container = _container(article_synth, name)
        assert container["name"] == name
        variable = "image_" + name.replace("-", "_")
        assert container["image"] == "${var." + variable + "}"  # a release sets it: -var image_<service>=...
        assert article_synth.stack("services")["variable"][variable] == {
            "default": "public.ecr.aws/nginx/nginx:latest",
            "description": f"Container image of {name} (a release: -var {variable}=<repository>:<tag>)",
            "type": "string",
        }
        assert container["logConfiguration"]["logDriver"] == "awslogs"
        group_ref = ref(container["logConfiguration"]["options"]["awslogs-group"])
        assert group_ref[0] == "aws_cloudwatch_log_group"
        assert article_synth.resources("services", "aws_cloudwatch_log_group")[group_ref[1]]["name"] == f"/ecs/ServiceConnect/{name}"


def test_internal_port_mapping_is_named_and_http(article_synth: Synth) -> None:
    assert _container(article_synth, "internal-nginx")["portMappings"] == [
        {"name": "internal-nginx", "containerPort": 80, "hostPort": 80, "protocol": "tcp", "appProtocol": "http"}
    ]
    assert "portMappings" not in _container(article_synth, "client-nginx")


def test_internal_service_serves_through_service_connect(article_synth: Synth) -> None:
    sc = _service(article_synth, "internal-nginx")["service_connect_configuration"]
    assert sc["enabled"] is True
    assert sc["namespace"].startswith(REMOTE) and "namespace" in sc["namespace"]
    assert sc["service"] == [{"port_name": "internal-nginx", "client_alias": {"port": 80}}]
    proxy_group = ref(sc["log_configuration"]["options"]["awslogs-group"])[1]
    assert (
        article_synth.resources("services", "aws_cloudwatch_log_group")[proxy_group]["name"]
        == "/ecs/ServiceConnect/internal-nginx/service-connect"
    )


def test_client_is_service_connect_client_only(article_synth: Synth) -> None:
    sc = _service(article_synth, "client-nginx")["service_connect_configuration"]
    assert sc["enabled"] is True
    assert sc["namespace"] == _service(article_synth, "internal-nginx")["service_connect_configuration"]["namespace"]
    assert "service" not in sc


def test_tasks_run_in_private_subnets_without_public_ip_or_load_balancer(article_synth: Synth) -> None:
    for name in ("internal-nginx", "client-nginx"):
        service = _service(article_synth, name)
        network = service["network_configuration"]
        assert network["assign_public_ip"] is False
        assert network["subnets"] == [f"{REMOTE}cross-stack-output-aws_subnetprivate_{i}id}}" for i in (0, 1)]
        assert "load_balancer" not in service
        assert service["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE", "weight": 1}]
    for rtype in ("aws_lb", "aws_lb_target_group", "aws_alb", "aws_eip", "aws_apigatewayv2_api"):
        assert article_synth.resources("services", rtype) == {}


def test_internal_accepts_only_the_client_on_port_80(article_synth: Synth) -> None:
    internal_sg = article_synth.by_path("services", "aws_security_group", "internal-nginx_sg/group")[0]
    client_sg = article_synth.by_path("services", "aws_security_group", "client-nginx_sg/group")[0]
    ingress = list(article_synth.resources("services", "aws_vpc_security_group_ingress_rule").values())
    assert len(ingress) == 1
    (rule,) = ingress
    assert ref(rule["security_group_id"])[1] == internal_sg
    assert ref(rule["referenced_security_group_id"])[1] == client_sg
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 80, 80)
    assert "cidr_ipv4" not in rule and "cidr_ipv6" not in rule
    assert article_synth.resources("services", "aws_security_group_rule") == {}
    for group in article_synth.resources("services", "aws_security_group").values():
        assert "ingress" not in group


def test_egress_is_https_plus_declared_calls(article_synth: Synth) -> None:
    internal_sg = article_synth.by_path("services", "aws_security_group", "internal-nginx_sg/group")[0]
    egress = article_synth.resources("services", "aws_vpc_security_group_egress_rule")
    to_groups = [r for r in egress.values() if "referenced_security_group_id" in r]
    assert [(ref(r["referenced_security_group_id"])[1], r["from_port"]) for r in to_groups] == [(internal_sg, 80)]
    cidr = [r for r in egress.values() if "cidr_ipv4" in r]
    assert {(r["ip_protocol"], r["from_port"], r["to_port"]) for r in cidr} == {("tcp", 443, 443)}


def test_client_is_created_after_the_internal_service(article_synth: Synth) -> None:
    internal_name = article_synth.by_path("services", "aws_ecs_service", "internal-nginx/service")[0]
    client = _service(article_synth, "client-nginx")
    assert f"aws_ecs_service.{internal_name}" in client["depends_on"]
    assert not any(d.startswith("aws_ecs_service.") for d in _service(article_synth, "internal-nginx")["depends_on"])


def test_client_is_redeployed_when_the_servers_service_connect_changes(article_synth: Synth) -> None:
    client = _service(article_synth, "client-nginx")
    internal = article.TOPOLOGY.service("internal-nginx")
    assert client["triggers"] == {"service_connect_internal-nginx": service_connect_fingerprint(internal, "ServiceConnectNS")}
    assert client["force_new_deployment"] is True
    moved = internal.__class__(name=internal.name, ports=(Port(name="internal-nginx", container_port=8080),))
    assert service_connect_fingerprint(moved, "ServiceConnectNS") != service_connect_fingerprint(internal, "ServiceConnectNS")
    assert service_connect_fingerprint(internal, "ServiceConnectNS") == service_connect_fingerprint(internal, "ServiceConnectNS")


def test_manifest_orders_services_after_network(article_synth: Synth) -> None:
    stacks = article_synth.manifest()["stacks"]
    assert stacks["services"]["dependencies"] == ["network"]
    assert stacks["network"]["dependencies"] == []


def _policies(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        body["//"]["metadata"]["path"]: json.loads(body["policy"]) for body in synth.resources("services", "aws_iam_role_policy").values()
    }


def test_ecs_exec_task_role_has_the_channel_actions_and_exactly_what_audit_logging_needs(article_synth: Synth) -> None:
    """Finding 4: the agent writes session logs with the task role, so it needs these, scoped to the audit group."""
    assert sorted(EXEC_ACTIONS) == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    policies = _policies(article_synth)
    group = f"{REMOTE}cross-stack-output-aws_cloudwatch_log_groupexec_auditarn}}"
    config = load([article_synth.outdir])
    exec_key = Address("network", "aws_kms_key", article_synth.by_path("network", "aws_kms_key", "exec_key/key")[0])
    (key,) = [v for v in _key_refs(article_synth) if config.resolve("services", v) == exec_key]
    account = _account_arn(article_synth, "services")
    for name in ("internal-nginx", "client-nginx"):
        assert _service(article_synth, name)["enable_execute_command"] is True
        assert policies[f"services/{name}_iam/exec_policy"]["Statement"] == [
            {"Sid": "EcsExec", "Effect": "Allow", "Action": list(EXEC_ACTIONS), "Resource": "*"},
            {"Sid": "ExecAuditFindGroup", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": f"{account}:log-group:*"},
            {
                "Sid": "ExecAuditWrite",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                "Resource": [group, f"{group}:log-stream:*"],
            },
            {"Sid": "ExecSessionKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key},
        ]
        task_role = article_synth.by_path("services", "aws_ecs_task_definition", f"{name}/task")[1]["task_role_arn"]
        assert ref(task_role)[1] == article_synth.by_path("services", "aws_iam_role", f"{name}_iam/task")[0]


def test_services_wait_for_steady_state(article_synth: Synth) -> None:
    """Finding 2: apply fails when tasks crash-loop, and callers are created only once their server is steady."""
    for name in ("internal-nginx", "client-nginx"):
        service = _service(article_synth, name)
        assert service["wait_for_steady_state"] is True
        assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}


def test_services_are_created_after_every_policy_of_their_roles(article_synth: Synth) -> None:
    """Finding 5: a first task must not hit AccessDenied writing logs (the circuit breaker would count it)."""
    for name in ("internal-nginx", "client-nginx"):
        depends_on = _service(article_synth, name)["depends_on"]
        for policy in ("execution_policy", "exec_policy"):
            address = article_synth.by_path("services", "aws_iam_role_policy", f"{name}_iam/{policy}")[0]
            assert f"aws_iam_role_policy.{address}" in depends_on


def test_servers_have_a_container_health_check(article_synth: Synth) -> None:
    """Finding 3: Service Connect gates traffic to new tasks on the essential container's health check."""
    assert _container(article_synth, "internal-nginx")["healthCheck"] == {
        "command": ["CMD-SHELL", "curl -fsS http://localhost:80/ || exit 1"],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 0,
    }


def test_a_tcp_endpoint_is_host_port_and_its_check_is_a_tcp_probe(synthesize: Synthesizer) -> None:
    """Finding 7: no http:// for a plain TCP port, and no curl against it."""
    db = Service(name="db", ports=(Port(name="db", container_port=5432, protocol="tcp"),))
    topology = Topology(services=(db, Service(name="api", calls=("db",))))
    outputs = synthesize(topology, Settings()).stack("services")["output"]
    assert outputs["endpoint_db"]["value"] == "db.serviceconnectns:5432"
    assert outputs["check_api_to_db"]["value"].endswith(
        "--container api --interactive --command \"bash -c 'exec 3<>/dev/tcp/db.serviceconnectns/5432 && echo connected to db.serviceconnectns:5432'\""
    )


def test_execution_role_only_writes_its_own_log_groups(article_synth: Synth) -> None:
    policies = _policies(article_synth)
    groups = article_synth.resources("services", "aws_cloudwatch_log_group")
    for name in ("internal-nginx", "client-nginx"):
        (statement,) = policies[f"services/{name}_iam/execution_policy"]["Statement"]
        assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
        own = sorted(n for n, g in groups.items() if g["name"].startswith(f"/ecs/ServiceConnect/{name}"))
        assert len(own) == 2
        assert sorted(statement["Resource"]) == [f"${{aws_cloudwatch_log_group.{n}.arn}}:log-stream:*" for n in own]


def test_no_wildcard_action_anywhere(article_synth: Synth) -> None:
    statements = [statement for policy in _policies(article_synth).values() for statement in policy["Statement"]]
    actions = [a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert "ssmmessages:CreateControlChannel" in actions, "the policies are read: ECS Exec's actions are among them"
    assert [action for action in actions if "*" in action] == []


def test_log_groups_keep_a_year_and_are_encrypted_with_the_network_key(article_synth: Synth) -> None:
    groups = article_synth.resources("services", "aws_cloudwatch_log_group").values()
    assert len(groups) == 4
    assert {g["retention_in_days"] for g in groups} == {365}
    config = load([article_synth.outdir])
    keys = {config.resolve("services", g["kms_key_id"]) for g in groups}
    assert keys == {Address("network", "aws_kms_key", article_synth.by_path("network", "aws_kms_key", "logs_key/key")[0])}


def test_outputs_endpoint_cluster_and_exec_check(article_synth: Synth) -> None:
    outputs = article_synth.stack("services")["output"]
    assert outputs["endpoint_internal-nginx"]["value"] == "http://internal-nginx.serviceconnectns:80"
    assert outputs["cluster_name"]["value"] == "ServiceConnect"
    command = outputs["check_client-nginx_to_internal-nginx"]["value"]
    assert command.startswith("aws ecs execute-command --region ap-northeast-1 --cluster ServiceConnect --task $(aws ecs list-tasks ")
    assert "--service-name client-nginx" in command
    assert command.endswith('--container client-nginx --interactive --command "curl -sS http://internal-nginx.serviceconnectns:80"')


def test_local_state_paths_are_relative(article_synth: Synth) -> None:
    services = article_synth.stack("services")
    assert article_synth.stack("network")["terraform"]["backend"] == {"local": {"path": "../../../state/network.tfstate"}}
    assert services["terraform"]["backend"] == {"local": {"path": "../../../state/services.tfstate"}}
    remote = services["data"]["terraform_remote_state"]["cross-stack-reference-input-network"]
    assert remote["backend"] == "local" and remote["config"] == {"path": "../../../state/network.tfstate"}


def test_s3_state_with_native_lock_file(synthesize: Synthesizer) -> None:
    settings = Settings(state=S3State(bucket="acme-tf-state", region="ap-northeast-1", key_prefix="team/internal"))
    synth = synthesize(article.TOPOLOGY, settings)
    for stack in ("network", "services"):
        assert synth.stack(stack)["terraform"]["backend"] == {
            "s3": {
                "bucket": "acme-tf-state",
                "key": f"team/internal/{stack}.tfstate",
                "region": "ap-northeast-1",
                "encrypt": True,
                "use_lockfile": True,
            }
        }
    remote = synth.stack("services")["data"]["terraform_remote_state"]["cross-stack-reference-input-network"]
    assert remote["backend"] == "s3"
    assert remote["config"]["bucket"] == "acme-tf-state" and remote["config"]["key"] == "team/internal/network.tfstate"


def test_output_holds_no_machine_path(article_synth: Synth, project_root: object) -> None:
    import os
    from pathlib import Path

    needles = {str(article_synth.outdir), str(Path.cwd()), os.path.expanduser("~"), str(project_root)}
    for stack in ("network", "services"):
        text = article_synth.text(stack)
        assert not any(needle in text for needle in needles), stack
    manifest = json.dumps(article_synth.manifest())
    assert not any(needle in manifest for needle in needles)


def _account_arn(synth: Synth, stack: str) -> str:
    """``arn:<partition>:logs:<region>:<account>`` as the stack writes it (references to its own lookups)."""
    data = synth.stack(stack)["data"]
    (partition,) = data["aws_partition"]
    (identity,) = data["aws_caller_identity"]
    return f"arn:${{data.aws_partition.{partition}.partition}}:logs:ap-northeast-1:${{data.aws_caller_identity.{identity}.account_id}}"


def _key_refs(synth: Synth) -> set[str]:
    """Every KMS key reference in the services stack's policies."""
    return {
        statement["Resource"]
        for policy in _policies(synth).values()
        for statement in policy["Statement"]
        if statement["Action"] == "kms:Decrypt" and isinstance(statement["Resource"], str)
    }
