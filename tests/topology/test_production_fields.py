"""Validation of the production fields (issue 11) and of findings 8 and 9, with the exact line a user sees."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from examples import article
from topology import (
    Autoscaling,
    Capacity,
    Deployment,
    Egress,
    HealthCheck,
    NetworkSettings,
    Permission,
    Port,
    S3State,
    ScheduledCapacity,
    Secret,
    Service,
    Settings,
    Topology,
    validate,
    warnings,
)
from topology.regions import botocore_version

SERVER = Service(
    name="api",
    ports=(Port(name="api", container_port=80),),
    cpu=512,
    memory=1024,
    health_check=HealthCheck(command=("CMD-SHELL", "true")),
)
CLIENT = Service(name="web", calls=("api",), cpu=512, memory=1024)
SECRET_ARN = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-password-AbCdEf"
PARAMETER_ARN = "arn:aws:ssm:ap-northeast-1:123456789012:parameter/api/feature-flags"
KEY_ARN = "arn:aws:kms:ap-northeast-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-123456789abc"
BUCKET = "arn:aws:s3:::acme-reports/*"


def problems(*services: Service, settings: Settings | None = None) -> list[str]:
    return validate(Topology(services=services), settings or Settings())


def api(**changes: Any) -> Service:
    return replace(SERVER, **changes)


# --- finding 8: a string (or anything but a tuple of the right type) in a tuple field is one line


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        pytest.param(
            replace(CLIENT, calls="api"),  # type: ignore[arg-type]
            """service 'web': calls: must be a tuple of service names, got the string 'api' (write ("api",))""",
            id="string",
        ),
        pytest.param(
            replace(CLIENT, calls=("api")),  # type: ignore[arg-type]  # the typo under test: no comma
            """service 'web': calls: must be a tuple of service names, got the string 'api' (write ("api",))""",
            id="parenthesised-string",
        ),
        pytest.param(
            replace(CLIENT, calls=["api"]),  # type: ignore[arg-type]
            """service 'web': calls: must be a tuple of service names, got a list ['api'] (write ("api",))""",
            id="list",
        ),
        pytest.param(
            replace(CLIENT, calls=("api", 3)),  # type: ignore[arg-type]
            "service 'web': calls[1]: must be a string, got int 3",
            id="wrong-element",
        ),
        pytest.param(
            replace(CLIENT, environment=("A", "1")),  # type: ignore[arg-type]
            "service 'web': environment[0]: must be a tuple of 2 values, got the string 'A'",
            id="environment-not-pairs",
        ),
        pytest.param(
            replace(CLIENT, command="sleep 5"),  # type: ignore[arg-type]
            """service 'web': command: must be a tuple of strings, got the string 'sleep 5' (write ("sleep 5",))""",
            id="command-string",
        ),
        pytest.param(
            replace(CLIENT, managed_policies="arn:aws:iam::aws:policy/ReadOnlyAccess"),  # type: ignore[arg-type]
            """service 'web': managed_policies: must be a tuple of policy ARNs, got the string 'arn:aws:iam::aws:policy/ReadOnlyAccess' (write ("arn:aws:iam::aws:policy/ReadOnlyAccess",))""",
            id="managed-policies-string",
        ),
        pytest.param(
            replace(CLIENT, permissions=(Permission(actions="s3:GetObject", resources=(BUCKET,)),)),  # type: ignore[arg-type]
            """service 'web': permissions[0].actions: must be a tuple of action names, got the string 's3:GetObject' (write ("s3:GetObject",))""",
            id="nested-tuple-field",
        ),
        pytest.param(
            replace(CLIENT, egress=Egress(name="db", port=5432, cidr="10.0.0.0/16")),  # type: ignore[arg-type]
            "service 'web': egress: must be a tuple of Egress(...), got Egress(...)",
            id="one-dataclass-not-in-a-tuple",
        ),
        pytest.param(
            replace(CLIENT, cpu="512"),  # type: ignore[arg-type]
            "service 'web': cpu: must be an integer, got the string '512'",
            id="int-field",
        ),
    ],
)
def test_a_wrongly_typed_field_is_one_line(client: Service, expected: str) -> None:
    assert problems(SERVER, client) == [expected]


def test_every_tuple_field_of_settings_has_the_same_guard() -> None:
    settings = Settings(network=NetworkSettings(availability_zones="ap-northeast-1a"))  # type: ignore[arg-type]
    assert problems(SERVER, CLIENT, settings=settings) == [
        """settings: network.availability_zones: must be a tuple of zone names, got the string 'ap-northeast-1a' (write ("ap-northeast-1a",))"""
    ]


def test_a_healthcheck_command_string_is_one_line() -> None:
    server = api(health_check=HealthCheck(command="curl -f http://localhost/"))  # type: ignore[arg-type]
    assert problems(server, CLIENT) == [
        """service 'api': health_check.command: must be a tuple of strings, got the string 'curl -f http://localhost/' (write ("curl -f http://localhost/",))"""
    ]


# --- finding 9: regions from botocore's endpoint data


def test_a_region_that_does_not_exist_stops_at_validation() -> None:
    settings = Settings(region="us-east-9", network=NetworkSettings(availability_zones=("us-east-9a", "us-east-9b")))
    assert problems(SERVER, CLIENT, settings=settings) == [
        f"settings: region: 'us-east-9' is not an AWS region (botocore {botocore_version()}'s endpoint data lists none such; "
        "a region newer than that needs a newer botocore pin)"
    ]


def test_the_state_region_is_checked_too() -> None:
    settings = Settings(state=S3State(bucket="b", region="eu-west-9"))
    assert problems(SERVER, CLIENT, settings=settings) == [
        f"settings: state.region: 'eu-west-9' is not an AWS region (botocore {botocore_version()}'s endpoint data lists none such; "
        "a region newer than that needs a newer botocore pin)"
    ]


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1"])
def test_real_regions_pass(region: str) -> None:
    settings = Settings(region=region, network=NetworkSettings(availability_zones=(f"{region}a", f"{region}b")))
    assert problems(SERVER, CLIENT, settings=settings) == []


# --- security group rules quota


def test_sixty_callers_fit_and_sixty_one_are_rejected_with_the_quota() -> None:
    callers = tuple(replace(CLIENT, name=f"c{i}") for i in range(61))
    assert problems(SERVER, *callers[:60]) == []
    assert problems(SERVER, *callers) == [
        "service 'api': ports: 61 callers x 1 port(s) need 61 inbound rules in its security group; AWS allows 60 per group "
        "by default (VPC quota 'Inbound or outbound rules per security group')"
    ]


def test_ports_multiply_the_inbound_rules() -> None:
    server = api(ports=(Port(name="api", container_port=80), Port(name="admin", container_port=81)))
    callers = tuple(replace(CLIENT, name=f"c{i}") for i in range(31))
    assert problems(server, *callers) == [
        "service 'api': ports: 31 callers x 2 port(s) need 62 inbound rules in its security group; AWS allows 60 per group "
        "by default (VPC quota 'Inbound or outbound rules per security group')"
    ]


# --- warnings (not errors)


def test_the_articles_sizes_stay_valid_and_quiet() -> None:
    """The seed's size is a choice (the advice is in docs/architecture.md): no warning for it."""
    assert validate(article.TOPOLOGY, Settings()) == []
    assert warnings(article.TOPOLOGY, Settings()) == []


def test_a_sized_system_with_small_services_gets_one_line() -> None:
    services = tuple(replace(s, cpu=1024, memory=2048) if s.name == "client-nginx" else s for s in article.TOPOLOGY.services)
    services += (replace(services[0], name="third"),)
    assert warnings(replace(article.TOPOLOGY, services=services), Settings()) == [
        "services 'internal-nginx', 'third': cpu 256 is shared with the Service Connect proxy; AWS recommends "
        "256 more units for it (cpu=512; docs/architecture.md)"
    ]


def test_a_server_without_health_check_warns() -> None:
    assert warnings(Topology(services=(api(health_check=None), CLIENT)), Settings()) == [
        "service 'api': health_check: not set; Service Connect then sends callers' traffic to new tasks before the app answers"
    ]


# --- every rule of the new fields


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        pytest.param(
            api(secrets=(Secret(name="DB_PASSWORD", arn="arn:aws:s3:::bucket/key"),)),
            "service 'api': secrets[0].arn: 'arn:aws:s3:::bucket/key' must be a Secrets Manager secret ARN "
            "(arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>) or an SSM parameter ARN "
            "(arn:aws:ssm:<region>:<account>:parameter/<name>)",
            id="secret-arn",
        ),
        pytest.param(
            api(secrets=(Secret(name="FLAGS", arn=PARAMETER_ARN, json_key="on"),)),
            "service 'api': secrets[0].json_key: only for Secrets Manager secrets, not SSM parameters",
            id="json-key-on-ssm",
        ),
        pytest.param(
            api(secrets=(Secret(name="P", arn=SECRET_ARN, version_stage="AWSCURRENT", version_id="v1"),)),
            "service 'api': secrets[0].version_id: give a version_stage or a version_id, not both",
            id="stage-and-id",
        ),
        pytest.param(
            api(secrets=(Secret(name="P", arn=SECRET_ARN, kms_key_arn="alias/db"),)),
            "service 'api': secrets[0].kms_key_arn: 'alias/db' must be a KMS key ARN "
            "(arn:aws:kms:<region>:<account>:key/<id>; IAM cannot grant through an alias)",
            id="kms-alias",
        ),
        pytest.param(
            api(environment=(("P", "x"),), secrets=(Secret(name="P", arn=SECRET_ARN),)),
            "service 'api': secrets[0].name: 'P' is already set (environment or another secret)",
            id="secret-shadows-environment",
        ),
        pytest.param(
            api(secrets=(Secret(name="1P", arn=SECRET_ARN),)),
            "service 'api': secrets[0].name: '1P' is not a valid variable name",
            id="secret-name",
        ),
        pytest.param(
            api(permissions=(Permission(actions=("s3:*",), resources=(BUCKET,)),)),
            "service 'api': permissions[0].actions: 's3:*' contains a wildcard; name each action",
            id="wildcard-action",
        ),
        pytest.param(
            api(permissions=(Permission(actions=("*",), resources=("*",)),)),
            "service 'api': permissions[0].actions: '*' contains a wildcard; name each action",
            id="star-action",
        ),
        pytest.param(
            api(permissions=(Permission(actions=("s3:GetObject",), resources=("*",)),)),
            "service 'api': permissions[0].resources: \"*\" is not allowed: 's3:GetObject' support resource-level "
            "permissions (name the resources)",
            id="unscoped-resource",
        ),
        pytest.param(
            api(permissions=(Permission(actions=("sts:GetCallerIdentity",), resources=(BUCKET,)),)),
            "service 'api': permissions[0].actions: 'sts:GetCallerIdentity' support no resource-level permissions and take "
            'only resources=("*",) (put them in a statement of their own)',
            id="resource-on-unscopable-action",
        ),
        pytest.param(
            api(permissions=(Permission(actions=("s3:GetObjekt",), resources=(BUCKET,)),)),
            "service 'api': permissions[0].actions: 's3:GetObjekt' is not an action in AWS's service authorization "
            "reference (like 's3:GetObject')",
            id="unknown-action",
        ),
        pytest.param(
            api(permissions=(Permission(actions=("s3:GetObject",), resources=("acme-reports",)),)),
            "service 'api': permissions[0].resources: 'acme-reports' must be an ARN (arn:...) or \"*\"",
            id="resource-not-arn",
        ),
        pytest.param(
            api(managed_policies=("arn:aws:iam::123456789012:policy/mine",)),
            "service 'api': managed_policies[0]: 'arn:aws:iam::123456789012:policy/mine' must be an AWS-managed policy ARN "
            "(arn:aws:iam::aws:policy/<name>)",
            id="managed-policy-not-aws",
        ),
        pytest.param(
            api(egress=(Egress(name="db", port=5432),)),
            "service 'api': egress[0]: name exactly one destination: security_group_id, cidr or prefix_list_id (got 0)",
            id="egress-no-destination",
        ),
        pytest.param(
            api(egress=(Egress(name="db", port=5432, cidr="10.0.0.0/16", security_group_id="sg-0123456789abcdef0"),)),
            "service 'api': egress[0]: name exactly one destination: security_group_id, cidr or prefix_list_id (got 2)",
            id="egress-two-destinations",
        ),
        pytest.param(
            api(egress=(Egress(name="db", port=5432, security_group_id="db-sg"),)),
            "service 'api': egress[0].security_group_id: 'db-sg' must be a security group id like 'sg-0123456789abcdef0'",
            id="egress-sg-id",
        ),
        pytest.param(
            api(egress=(Egress(name="s3", port=443, prefix_list_id="s3"),)),
            "service 'api': egress[0].prefix_list_id: 's3' must be a prefix list id like 'pl-0123456789abcdef0'",
            id="egress-prefix-list",
        ),
        pytest.param(
            api(egress=(Egress(name="db", port=5432, cidr="10.0.0.300/16"),)),
            "service 'api': egress[0].cidr: '10.0.0.300/16' is not an IPv4 network like '10.0.0.0/16'",
            id="egress-cidr",
        ),
        pytest.param(
            api(egress=(Egress(name="db", port=5432, to_port=5000, cidr="10.0.0.0/16"),)),
            "service 'api': egress[0].to_port: 5000 must be between port (5432) and 65535",
            id="egress-range",
        ),
        pytest.param(
            api(egress=(Egress(name="dns", port=53, protocol="icmp", cidr="10.0.0.2/32"),)),  # type: ignore[arg-type]
            "service 'api': egress[0].protocol: 'icmp' must be 'tcp' or 'udp'",
            id="egress-protocol",
        ),
        pytest.param(
            api(autoscaling=Autoscaling(min_count=2, max_count=1, cpu_target_percent=60)),
            "service 'api': autoscaling.min_count: 2 must be between 0 and max_count (1)",
            id="autoscaling-min-max",
        ),
        pytest.param(
            api(autoscaling=Autoscaling(min_count=2, max_count=4, cpu_target_percent=60)),
            "service 'api': desired_count: 1 must be between autoscaling.min_count (2) and max_count (4) (it is the first deployment's count)",
            id="autoscaling-desired",
        ),
        pytest.param(
            api(autoscaling=Autoscaling(min_count=1, max_count=4)),
            "service 'api': autoscaling: give cpu_target_percent and/or memory_target_percent (what to track)",
            id="autoscaling-no-target",
        ),
        pytest.param(
            api(autoscaling=Autoscaling(min_count=1, max_count=4, memory_target_percent=120)),
            "service 'api': autoscaling.memory_target_percent: 120 must be between 1 and 100",
            id="autoscaling-target-range",
        ),
        pytest.param(
            api(
                autoscaling=Autoscaling(
                    min_count=1,
                    max_count=4,
                    cpu_target_percent=50,
                    schedule=(ScheduledCapacity(name="day", schedule="daily", min_count=2, max_count=4),),
                )
            ),
            "service 'api': autoscaling.schedule[0].schedule: 'daily' must be 'cron(<6 fields>)', 'rate(<n> <unit>)' or 'at(yyyy-mm-ddThh:mm:ss)'",
            id="schedule-expression",
        ),
        pytest.param(
            api(
                autoscaling=Autoscaling(
                    min_count=1,
                    max_count=4,
                    cpu_target_percent=50,
                    schedule=(ScheduledCapacity(name="day", schedule="cron(0 9 * * ? *)", min_count=2, max_count=4, timezone="Tokyo"),),
                )
            ),
            "service 'api': autoscaling.schedule[0].timezone: 'Tokyo' is not an IANA time zone (like 'Asia/Tokyo')",
            id="schedule-timezone",
        ),
        pytest.param(
            api(
                autoscaling=Autoscaling(
                    min_count=1,
                    max_count=4,
                    cpu_target_percent=50,
                    schedule=(ScheduledCapacity(name="day", schedule="rate(1 day)", min_count=5, max_count=4),),
                )
            ),
            "service 'api': autoscaling.schedule[0].min_count: 5 must be between 0 and max_count (4)",
            id="schedule-min-max",
        ),
        pytest.param(
            api(capacity=Capacity(architecture="arm64")),  # type: ignore[arg-type]
            "service 'api': capacity.architecture: 'arm64' must be 'X86_64' or 'ARM64'",
            id="architecture",
        ),
        pytest.param(
            api(capacity=Capacity(spot_percent=150)),
            "service 'api': capacity.spot_percent: 150 must be between 0 and 100",
            id="spot-percent",
        ),
        pytest.param(
            api(capacity=Capacity(ephemeral_storage_gib=20)),
            "service 'api': capacity.ephemeral_storage_gib: 20 must be between 21 and 200",
            id="ephemeral-storage",
        ),
        pytest.param(
            api(deployment=Deployment(minimum_healthy_percent=150)),
            "service 'api': deployment.minimum_healthy_percent: 150 must be between 0 and 100",
            id="min-healthy",
        ),
        pytest.param(
            api(deployment=Deployment(maximum_percent=100)),
            "service 'api': deployment.maximum_percent: 100 with a minimum healthy 100% leaves no room to replace a task "
            "(raise maximum_percent or lower minimum_healthy_percent)",
            id="no-room",
        ),
    ],
)
def test_field_rule(server: Service, expected: str) -> None:
    assert problems(server, CLIENT) == [expected]


def test_a_complete_declaration_is_valid() -> None:
    server = api(
        secrets=(
            Secret(name="DB_PASSWORD", arn=SECRET_ARN, json_key="password", kms_key_arn=KEY_ARN),
            Secret(name="FLAGS", arn=PARAMETER_ARN),
        ),
        permissions=(
            Permission(actions=("s3:GetObject", "s3:PutObject"), resources=(BUCKET,)),
            Permission(actions=("sts:GetCallerIdentity",), resources=("*",), sid="WhoAmI"),
        ),
        egress=(Egress(name="postgres", port=5432, security_group_id="sg-0123456789abcdef0"),),
        autoscaling=Autoscaling(min_count=1, max_count=4, cpu_target_percent=60, memory_target_percent=75),
        capacity=Capacity(architecture="ARM64", spot_percent=50, ephemeral_storage_gib=40),
        deployment=Deployment(minimum_healthy_percent=50, maximum_percent=200),
    )
    assert problems(server, CLIENT) == []


def test_services_in_a_list_is_one_line() -> None:
    topology = Topology(services=[SERVER, CLIENT])  # type: ignore[arg-type]
    assert validate(topology, Settings()) == ["topology: services: must be a tuple of Service(...), got a list of 2 items"]


def _tuple_fields(cls: type) -> list[str]:
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls)
    return [
        f.name
        for f in dataclasses.fields(cls)
        if typing.get_origin(hints[f.name]) is tuple or any(typing.get_origin(arg) is tuple for arg in typing.get_args(hints[f.name]))
    ]


@pytest.mark.parametrize("field_name", _tuple_fields(Service))
def test_a_string_in_any_tuple_field_of_a_service_is_one_line(field_name: str) -> None:
    """Generic: every tuple field, including ones added later, has the guard."""
    lines = problems(SERVER, replace(CLIENT, **{field_name: "x"}))  # type: ignore[arg-type]
    assert lines == [f"service 'web': {field_name}: " + lines[0].split(": ", 2)[2]]
    assert lines[0].endswith("""got the string 'x' (write ("x",))""")


def test_the_tuple_fields_are_the_expected_ones() -> None:
    assert _tuple_fields(Service) == [
        "ports",
        "calls",
        "environment",
        "command",
        "secrets",
        "permissions",
        "managed_policies",
        "egress",
        "tags",
        "grants",
    ]
