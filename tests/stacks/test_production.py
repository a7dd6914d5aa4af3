"""What each production field generates (examples/production.py), and finding 1 (a gRPC server that serves gRPC)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from examples import fanin_grpc, production
from topology import Capacity, Port, Service, Settings, Topology

from ..conftest import Synthesizer
from ..tfjson import Synth, ref


@pytest.fixture(scope="module")
def prod(synthesize: Synthesizer) -> Synth:
    return synthesize(production.TOPOLOGY, Settings())


def _service(synth: Synth, name: str) -> dict[str, Any]:
    return synth.by_path("services", "aws_ecs_service", f"{name}/service")[1]


def _task(synth: Synth, name: str) -> dict[str, Any]:
    return synth.by_path("services", "aws_ecs_task_definition", f"{name}/task")[1]


def _container(synth: Synth, name: str) -> dict[str, Any]:
    (container,) = json.loads(_task(synth, name)["container_definitions"])
    result: dict[str, Any] = container
    return result


def _policy(synth: Synth, path: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(synth.by_path("services", "aws_iam_role_policy", path)[1]["policy"])["Statement"]
    return statements


def test_the_grpc_server_really_serves_grpc_on_its_port_and_checks_it(synthesize: Synthesizer) -> None:
    """Finding 1: stock nginx listens on 80 and speaks HTTP/1.1; the declaration says gRPC on 50051."""
    synth = synthesize(fanin_grpc.TOPOLOGY, Settings())
    container = _container(synth, "catalog")
    assert container["image"] == "${var.image_catalog}"
    # etcd's client API is gRPC, with grpc.health.v1
    assert synth.stack("services")["variable"]["image_catalog"]["default"] == "registry.k8s.io/etcd:3.5.1-0"
    assert container["portMappings"] == [
        {"name": "catalog-grpc", "containerPort": 50051, "hostPort": 50051, "protocol": "tcp", "appProtocol": "grpc"}
    ]
    assert "--listen-client-urls=http://0.0.0.0:50051" in container["command"]
    assert container["healthCheck"]["command"] == [
        "CMD",
        "/usr/local/bin/etcdctl",
        "--endpoints=http://127.0.0.1:50051",
        "--command-timeout=3s",
        "endpoint",
        "health",
    ]


def test_secrets_are_container_secrets_and_exactly_what_the_execution_role_reads(prod: Synth) -> None:
    assert _container(prod, "api")["secrets"] == [
        {"name": "DB_PASSWORD", "valueFrom": f"{production.DB_SECRET}:password::"},
        {"name": "FEATURE_FLAGS", "valueFrom": production.FLAGS_PARAMETER},
    ]
    assert _policy(prod, "api_iam/execution_policy")[3:] == [  # after its logs and the image pull (EcrToken, EcrPull)
        {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [production.DB_SECRET]},
        {"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": [production.FLAGS_PARAMETER]},
        {"Sid": "DecryptSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": [production.DB_SECRET_KEY]},
    ]
    assert [statement["Sid"] for statement in _policy(prod, "worker_iam/execution_policy")] == ["OwnLogGroups", "EcrToken", "EcrPull"]
    (pull,) = [statement for statement in _policy(prod, "worker_iam/execution_policy") if statement["Sid"] == "EcrPull"]
    assert pull["Resource"].endswith(f":ecr:{production.REGION}:{production.ACCOUNT}:repository/internal-api/nginx")  # no secrets


def test_app_permissions_are_the_task_roles_app_policy(prod: Synth) -> None:
    assert _policy(prod, "api_iam/app_policy") == [
        {"Sid": "Reports", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [production.REPORTS]},
        {"Sid": "Jobs", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [production.JOBS_QUEUE]},
    ]
    task_role = prod.by_path("services", "aws_iam_role", "api_iam/task")[0]
    assert ref(prod.by_path("services", "aws_iam_role_policy", "api_iam/app_policy")[1]["role"]) == ("aws_iam_role", task_role, "id")
    assert "app_policy" not in json.dumps(
        [b["//"] for b in prod.resources("services", "aws_iam_role_policy").values() if "web" in b["//"]["metadata"]["path"]]
    )
    assert prod.resources("services", "aws_iam_role_policy_attachment") == {}


def test_managed_policies_are_attachments_to_the_task_role(synthesize: Synthesizer) -> None:
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    topology = Topology(services=(Service(name="reader", managed_policies=(arn,)),))
    synth = synthesize(topology, Settings())
    (attachment,) = synth.resources("services", "aws_iam_role_policy_attachment").values()
    assert attachment["policy_arn"] == arn
    assert ref(attachment["role"]) == ("aws_iam_role", synth.by_path("services", "aws_iam_role", "reader_iam/task")[0], "name")
    name = synth.by_path("services", "aws_iam_role_policy_attachment", "reader_iam/managed_0")[0]
    assert f"aws_iam_role_policy_attachment.{name}" in _service(synth, "reader")["depends_on"]


def test_egress_to_the_database_group_besides_https(prod: Synth) -> None:
    rules = {body["//"]["metadata"]["path"]: body for body in prod.resources("services", "aws_vpc_security_group_egress_rule").values()}
    api_sg = prod.by_path("services", "aws_security_group", "api_sg/group")[0]
    postgres = rules["services/api_sg/egress_postgres"]
    assert {k: v for k, v in postgres.items() if k != "//"} == {
        "security_group_id": f"${{aws_security_group.{api_sg}.id}}",
        "description": "PostgreSQL: the database's security group",
        "ip_protocol": "tcp",
        "from_port": 5432,
        "to_port": 5432,
        "referenced_security_group_id": production.DATABASE_SECURITY_GROUP,
    }
    assert rules["services/api_sg/egress_https"]["cidr_ipv4"] == "0.0.0.0/0"
    assert "services/worker_sg/egress_postgres" not in rules


def test_egress_can_be_narrowed_to_a_prefix_list(synthesize: Synthesizer) -> None:
    from topology import Egress

    only = Egress(name="s3", port=443, prefix_list_id="pl-61a54008")
    synth = synthesize(Topology(services=(Service(name="batch", egress=(only,)),)), Settings())
    (rule,) = synth.resources("services", "aws_vpc_security_group_egress_rule").values()
    assert (rule["prefix_list_id"], rule["from_port"], rule["to_port"], rule["description"]) == (
        "pl-61a54008",
        443,
        443,
        "s3: tcp/443 to pl-61a54008",
    )
    assert "cidr_ipv4" not in rule


def test_autoscaling_tracks_cpu_and_memory_and_owns_the_count(prod: Synth) -> None:
    service_name = prod.by_path("services", "aws_ecs_service", "api/service")[0]
    target_name, target = prod.by_path("services", "aws_appautoscaling_target", "api_scaling/target")
    assert {k: v for k, v in target.items() if k != "//"} == {
        "service_namespace": "ecs",
        "scalable_dimension": "ecs:service:DesiredCount",
        "resource_id": f"service/ServiceConnect/${{aws_ecs_service.{service_name}.name}}",
        "min_capacity": 2,
        "max_capacity": 10,
        "lifecycle": {"ignore_changes": ["min_capacity", "max_capacity"]},  # api has scheduled steps
    }
    for metric, kind, value in (("cpu", "ECSServiceAverageCPUUtilization", 60), ("memory", "ECSServiceAverageMemoryUtilization", 75)):
        policy = prod.by_path("services", "aws_appautoscaling_policy", f"api_scaling/{metric}")[1]
        assert policy["policy_type"] == "TargetTrackingScaling"
        assert policy["resource_id"] == f"${{aws_appautoscaling_target.{target_name}.resource_id}}"
        assert policy["target_tracking_scaling_policy_configuration"] == {
            "target_value": value,
            "scale_in_cooldown": 300,
            "scale_out_cooldown": 60,
            "predefined_metric_specification": {"predefined_metric_type": kind},
        }
    assert _service(prod, "api")["lifecycle"]["ignore_changes"] == ["desired_count"]
    assert _service(prod, "api")["desired_count"] == 2
    with pytest.raises(AssertionError):
        prod.by_path("services", "aws_appautoscaling_policy", "worker_scaling/cpu")  # worker tracks memory only


def test_without_autoscaling_terraform_owns_the_count(article_synth: Synth) -> None:
    assert "ignore_changes" not in _service(article_synth, "internal-nginx")["lifecycle"]
    assert article_synth.resources("services", "aws_appautoscaling_target") == {}


def test_arm64_and_ephemeral_storage_on_the_task_definition(prod: Synth) -> None:
    api = _task(prod, "api")
    assert api["runtime_platform"] == {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}
    assert api["ephemeral_storage"] == {"size_in_gib": 30}
    web = _task(prod, "web")
    assert "runtime_platform" not in web and "ephemeral_storage" not in web


def test_fargate_spot_share_through_capacity_providers(prod: Synth) -> None:
    web = _service(prod, "web")
    assert "launch_type" not in web
    assert web["capacity_provider_strategy"] == [
        {"capacity_provider": "FARGATE", "base": 1, "weight": 50},
        {"capacity_provider": "FARGATE_SPOT", "weight": 50},
    ]
    assert "launch_type" not in _service(prod, "api")
    assert _service(prod, "api")["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE", "weight": 1}]
    providers = prod.by_path("network", "aws_ecs_cluster_capacity_providers", "capacity_providers")[1]
    assert providers["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]


def test_all_spot_and_no_spot(synthesize: Synthesizer, article_synth: Synth) -> None:
    synth = synthesize(Topology(services=(Service(name="batch", capacity=Capacity(spot_percent=100)),)), Settings())
    assert _service(synth, "batch")["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    providers = article_synth.by_path("network", "aws_ecs_cluster_capacity_providers", "capacity_providers")[1]
    assert providers["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]  # every service names one


def test_deployment_percents_and_steady_state(prod: Synth, synthesize: Synthesizer) -> None:
    api = _service(prod, "api")
    assert (api["deployment_minimum_healthy_percent"], api["deployment_maximum_percent"]) == (100, 200)
    assert api["wait_for_steady_state"] is True
    assert api["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    from topology import Deployment

    quick = Service(name="s", ports=(Port(name="s", container_port=80),), deployment=Deployment(wait_for_steady_state=False))
    assert _service(synthesize(Topology(services=(quick,)), Settings()), "s")["wait_for_steady_state"] is False


def test_the_grpc_check_speaks_http2_to_the_grpc_port(synthesize: Synthesizer) -> None:
    outputs = synthesize(fanin_grpc.TOPOLOGY, Settings()).stack("services")["output"]
    assert outputs["endpoint_catalog"]["value"] == "dns:///catalog.serviceconnectns:50051"  # a gRPC target URI
    for caller in ("orders", "billing"):
        assert outputs[f"check_{caller}_to_catalog"]["value"].endswith(
            f'--container {caller} --interactive --command "curl -sS --http2-prior-knowledge http://catalog.serviceconnectns:50051"'
        )


def test_scheduled_steps_set_min_and_max(prod: Synth) -> None:
    target_name = prod.by_path("services", "aws_appautoscaling_target", "api_scaling/target")[0]
    service_name = prod.by_path("services", "aws_ecs_service", "api/service")[0]
    step = prod.by_path("services", "aws_appautoscaling_scheduled_action", "api_scaling/schedule_office-hours")[1]
    assert {k: v for k, v in step.items() if k != "//"} == {
        "name": f"ServiceConnect-${{aws_ecs_service.{service_name}.name}}-office-hours",
        "service_namespace": f"${{aws_appautoscaling_target.{target_name}.service_namespace}}",
        "scalable_dimension": f"${{aws_appautoscaling_target.{target_name}.scalable_dimension}}",
        "resource_id": f"${{aws_appautoscaling_target.{target_name}.resource_id}}",
        "schedule": "cron(0 9 ? * MON-FRI *)",
        "timezone": "Asia/Tokyo",
        "scalable_target_action": {"min_capacity": "4", "max_capacity": "10"},
    }
    assert len(prod.resources("services", "aws_appautoscaling_scheduled_action")) == 2


@pytest.mark.parametrize("example", ["article", "chain", "fanin_grpc", "production"])
def test_every_example_server_has_a_container_health_check(example: str, synthesize: Synthesizer) -> None:
    """Finding 3, for every example: Service Connect gates new tasks on the essential container's health check."""
    import examples

    topology = examples.load(example)
    synth = synthesize(topology, Settings())
    servers = [service.name for service in topology.services if service.is_server]
    assert servers
    for name in servers:
        check = _container(synth, name)["healthCheck"]
        port = str(topology.service(name).ports[0].container_port)
        assert port in " ".join(check["command"]), f"{example}/{name}: the check does not probe its port"


# --- staging and prod (issue 18): each environment's stacks carry that environment's values ----------


@pytest.fixture(scope="module")
def environments(synthesize: Synthesizer) -> dict[str, Synth]:
    from topology.system import deployments, load_system

    return {str(d.environment): synthesize(d.topology, d.settings) for d in deployments(load_system("examples.production"))}


def test_each_environment_reads_its_own_secrets_with_its_own_key(environments: dict[str, Synth]) -> None:
    for name, (secret, key, flags) in {
        "staging": (production.DB_SECRET, production.DB_SECRET_KEY, production.FLAGS_PARAMETER),
        "prod": (production.PROD_DB_SECRET, production.PROD_DB_SECRET_KEY, production.PROD_FLAGS_PARAMETER),
    }.items():
        synth = environments[name]
        assert _container(synth, "api")["secrets"] == [
            {"name": "DB_PASSWORD", "valueFrom": f"{secret}:password::"},
            {"name": "FEATURE_FLAGS", "valueFrom": flags},
        ]
        assert _policy(synth, "api_iam/execution_policy")[3:] == [  # after its logs and the image pull
            {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [secret]},
            {"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": [flags]},
            {"Sid": "DecryptSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": [key]},
        ]


def test_each_environment_reaches_its_own_database_group_and_queue(environments: dict[str, Synth]) -> None:
    for name, group, queue, region, account in (
        ("staging", "sg-0a1b2c3d4e5f60718", production.JOBS_QUEUE, "ap-northeast-1", "123456789012"),
        ("prod", "sg-0f1e2d3c4b5a69788", production.PROD_JOBS_QUEUE, "us-west-2", "210987654321"),
    ):
        synth = environments[name]
        (postgres,) = [b for b in synth.resources("services", "aws_vpc_security_group_egress_rule").values() if b.get("to_port") == 5432]
        assert postgres["referenced_security_group_id"] == group
        assert _policy(synth, "worker_iam/app_policy")[0]["Resource"] == [queue]
        assert synth.stack("services")["provider"]["aws"][0]["region"] == region
        assert synth.stack("services")["provider"]["aws"][0]["allowed_account_ids"] == [account]


def test_prod_autoscales_and_staging_runs_one_task_of_each(environments: dict[str, Synth]) -> None:
    staging, prod = environments["staging"], environments["prod"]
    assert staging.resources("services", "aws_appautoscaling_target") == {}
    assert [_service(staging, name)["desired_count"] for name in ("web", "api", "worker")] == [1, 1, 1]
    assert "ignore_changes" not in _service(staging, "api")["lifecycle"]  # no scaler owns its count (the postcondition stays)
    targets = {
        b["//"]["metadata"]["path"]: (b["min_capacity"], b["max_capacity"])
        for b in prod.resources("services", "aws_appautoscaling_target").values()
    }
    assert targets == {
        "services/web_scaling/target": (3, 12),
        "services/api_scaling/target": (4, 20),
        "services/worker_scaling/target": (2, 8),
    }
    assert [_service(prod, name)["desired_count"] for name in ("web", "api", "worker")] == [3, 4, 2]


def test_each_environment_declares_one_image_variable_per_service(environments: dict[str, Synth]) -> None:
    assert sorted(environments) == ["prod", "staging"]
    for env_name, synth in environments.items():
        variables = synth.stack("services")["variable"]
        own = production.PROD_NGINX if env_name == "prod" else production.NGINX  # each account pulls from its own registry
        assert {name: body["default"] for name, body in variables.items()} == {"image_web": own, "image_api": own, "image_worker": own}
        assert [_container(synth, name)["image"] for name in ("web", "api", "worker")] == [
            "${var.image_web}",
            "${var.image_api}",
            "${var.image_worker}",
        ]
        assert _container(synth, "web")["environment"] == [{"name": "API_URL", "value": "http://api.serviceconnectns:8080"}]
