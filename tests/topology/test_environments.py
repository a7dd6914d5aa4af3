"""Per-environment values (issue 18), what environments cannot share (issue 20 findings 1 and 6), endpoint references.

Each bad input is asserted as its exact line. The production example is the system of
record: staging and prod in two accounts and two regions.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from examples import production
from main import problems
from topology import (
    Endpoint,
    Environment,
    ExistingNetwork,
    Port,
    Service,
    ServiceOverride,
    Settings,
    Sizing,
    Topology,
    validate,
)
from topology.errors import USER_ERROR
from topology.system import SelectionError, System, deployments, environment_problems, load_system

from ..systems import SHOP, write_shop

ROOT = Path(__file__).resolve().parent.parent.parent


def _production() -> System:
    return load_system("examples.production")


def _with_prod(system: System, **services: ServiceOverride) -> System:
    staging, prod = system.environments
    return replace(system, environments=(staging, replace(prod, services={**prod.services, **services})))


def test_each_environment_gets_its_own_values_and_never_another_call_graph() -> None:
    staging, prod = deployments(_production())
    assert (staging.settings.account_id, staging.settings.region) == ("123456789012", "ap-northeast-1")
    assert (prod.settings.account_id, prod.settings.region) == ("210987654321", "us-west-2")
    api_staging, api_prod = staging.topology.service("api"), prod.topology.service("api")
    assert [s.arn for s in api_staging.secrets] == [production.DB_SECRET, production.FLAGS_PARAMETER]
    assert [s.arn for s in api_prod.secrets] == [production.PROD_DB_SECRET, production.PROD_FLAGS_PARAMETER]
    assert [rule.security_group_id for rule in api_prod.egress] == [None, "sg-0f1e2d3c4b5a69788"]
    assert api_prod.environment == (("DB_HOST", "db.prod.internal.example"), ("DB_PORT", "5432"))  # merged by name
    assert api_prod.autoscaling is not None
    assert (api_prod.autoscaling.min_count, api_prod.autoscaling.max_count, [step.min_count for step in api_prod.autoscaling.schedule]) == (
        4,
        20,
        [8, 4],
    )
    assert [(s.name, s.autoscaling, s.desired_count) for s in staging.topology.services] == [
        ("web", None, 1),
        ("api", None, 1),
        ("worker", None, 1),
    ]
    for deployment in (staging, prod):
        assert [(s.name, s.ports, s.calls) for s in deployment.topology.services] == [
            (s.name, s.ports, s.calls) for s in production.TOPOLOGY.services
        ]
        assert problems([deployment]) == []


def test_prod_has_its_own_front_door_and_staging_keeps_the_declared_one() -> None:
    staging, prod = (deployment.topology.entries[0] for deployment in deployments(_production()))
    assert [listener.certificate_arn for listener in staging.listeners] == [production.CERTIFICATE, None]
    assert [listener.certificate_arn for listener in prod.listeners] == [production.PROD_CERTIFICATE, None]
    assert ([route.host for route in staging.routes], [route.host for route in prod.routes]) == (
        ["app.staging.example.com"],
        ["app.example.com"],
    )
    assert (staging.sources, prod.sources) == (("203.0.113.0/24",), ("0.0.0.0/0", "::/0"))
    assert (staging.access_logs_bucket, prod.access_logs_bucket) == (
        "acme-internal-api-alb-logs-staging",
        "acme-internal-api-alb-logs-prod",
    )


def test_prod_without_its_front_door_values_would_get_stagings_certificate_and_that_is_its_line() -> None:
    system = _production()
    staging, prod = system.environments
    without = replace(system, environments=(staging, replace(prod, entries={})))
    assert problems(deployments(without)) == [
        f"environment 'prod': entry 'public': listeners[0].certificate_arn: '{production.CERTIFICATE}' is in region ap-northeast-1, "
        "but it is deployed to region us-west-2",
        f"environment 'prod': entry 'public': listeners[0].certificate_arn: '{production.CERTIFICATE}' is in account 123456789012, "
        "but it is deployed to account 210987654321",
    ]


def test_sizing_keeps_working_and_now_takes_every_field(on_path: Path) -> None:
    write_shop(on_path, SHOP.replace("Sizing(desired_count=1)", "Sizing(desired_count=1, image='acme/orders:2')"))
    dev, prod = deployments(load_system("acme.shop"))
    assert (dev.topology.service("orders").desired_count, dev.topology.service("orders").image) == (1, "acme/orders:2")
    assert (prod.topology.service("orders").cpu, prod.topology.service("orders").memory) == (512, 1024)
    assert Sizing is ServiceOverride


def test_a_prod_secret_of_the_staging_account_and_region_is_its_line() -> None:
    system = _with_prod(
        _production(),
        api=replace(
            _production().environments[1].services["api"],
            secrets=production._api_secrets(production.DB_SECRET, production.PROD_DB_SECRET_KEY, production.PROD_FLAGS_PARAMETER),
        ),
    )
    assert environment_problems(system) == []
    assert problems(deployments(system)) == [
        f"environment 'prod': service 'api': secrets[0].arn: '{production.DB_SECRET}' is in region ap-northeast-1, "
        "but it is deployed to region us-west-2",
        f"environment 'prod': service 'api': secrets[0].arn: '{production.DB_SECRET}' is in account 123456789012, "
        "but it is deployed to account 210987654321",
    ]


def test_a_trusted_account_may_be_named() -> None:
    shared = "999999999999"
    secret = f"arn:aws:secretsmanager:us-west-2:{shared}:secret:shared/db-AbCdEf"
    system = _with_prod(
        _production(),
        api=replace(
            _production().environments[1].services["api"],
            secrets=production._api_secrets(secret, production.PROD_DB_SECRET_KEY, production.PROD_FLAGS_PARAMETER),
        ),
    )
    assert problems(deployments(system)) == [
        f"environment 'prod': service 'api': secrets[0].arn: '{secret}' is in account {shared}, but it is deployed to account 210987654321"
    ]
    staging, prod = system.environments
    trusting = replace(system, environments=(staging, replace(prod, trusted_accounts=(shared,))))
    assert problems(deployments(trusting)) == []
    assert problems(deployments(replace(system, settings=Settings(trusted_accounts=(shared,))))) == []
    assert environment_problems(replace(system, environments=(staging, replace(prod, trusted_accounts=("12",))))) == [
        "environment 'prod': trusted_accounts: '12' must be a 12-digit AWS account ID"
    ]


def test_an_environment_without_account_still_may_not_name_another_environments_account() -> None:
    system = _production()
    staging, prod = system.environments
    queue = f"arn:aws:sqs:us-west-2:{production.ACCOUNT}:internal-api-jobs"
    prod = replace(
        prod, account_id=None, services={**prod.services, "worker": ServiceOverride(permissions=production._worker_permissions(queue))}
    )
    assert environment_problems(replace(system, environments=(staging, prod))) == [
        f"environment 'prod': service 'worker': permissions[0].resources[0]: '{queue}' is in account 123456789012, "
        "the account of environment 'staging' (set this environment's account_id)"
    ]


def test_the_staging_database_group_in_prod_is_its_line() -> None:
    system = _with_prod(
        _production(),
        api=replace(_production().environments[1].services["api"], egress=production._api_egress(production.DATABASE_SECURITY_GROUP)),
    )
    assert environment_problems(system) == [
        "environment 'prod': service 'api': egress[1].security_group_id: 'sg-0a1b2c3d4e5f60718' is also used by environment "
        "'staging' in region ap-northeast-1; a security group belongs to one region (give each environment its own)"
    ]


def test_a_group_shared_by_two_accounts_of_one_region_is_its_line() -> None:
    system = _production()
    staging, prod = system.environments
    prod = replace(prod, region="ap-northeast-1", availability_zones=None, services={})  # prod keeps the declared group
    assert environment_problems(replace(system, environments=(staging, prod))) == [
        "environment 'prod': service 'api': egress[1].security_group_id: 'sg-0a1b2c3d4e5f60718' is also used by environment "
        "'staging' in account 123456789012; a security group belongs to one account (give each environment its own)"
    ]


def test_overriding_the_call_graph_or_an_unknown_field_is_one_line(on_path: Path) -> None:
    for given, expected in (
        (
            "ServiceOverride(ports=())",
            "system 'acme.shop': importing it failed: ServiceOverride(ports=...): 'ports' is part of the call graph, the same in every "
            "environment (names, ports and calls are set once, on the Service) (shop.py, line 3)",
        ),
        (
            "Sizing(calls=())",
            "system 'acme.shop': importing it failed: ServiceOverride(calls=...): 'calls' is part of the call graph, the same in every "
            "environment (names, ports and calls are set once, on the Service) (shop.py, line 3)",
        ),
        (
            "ServiceOverride(imag='x')",
            "system 'acme.shop': importing it failed: ServiceOverride(imag=...): no such field (one of: autoscaling, capacity, command, "
            "cpu, deployment, desired_count, egress, enable_execute_command, environment, health_check, image, managed_policies, "
            "memory, permissions, proxy_logs, secrets, tags) (shop.py, line 3)",
        ),
        (
            "Environment(name='prod', image='x')",
            "system 'acme.shop': importing it failed: Environment(image=...): no such field (one of: account_id, availability_zones, "
            "checkov_skips, cidr, cluster_name, container_insights, entries, existing, flow_logs, log_retention_days, name, namespace, namespace_type, nat, "
            "project, region, services, sizing, state, tags, trusted_accounts) (shop.py, line 3)",
        ),
    ):
        write_shop(on_path, f"from topology import Environment, ServiceOverride, Sizing\n\nX = {given}\n")
        sys.modules.pop("acme.shop", None)
        with pytest.raises(SelectionError) as raised:
            load_system("acme.shop")
        assert str(raised.value) == expected


def test_an_override_that_is_not_a_service_override_or_doubled_is_its_line() -> None:
    system = _production()
    staging, prod = system.environments
    staging = replace(staging, services={"web": {"image": "x"}})  # type: ignore[dict-item]
    prod = replace(prod, sizing={"api": Sizing(cpu=2048, memory=4096)})
    assert environment_problems(replace(system, environments=(staging, prod))) == [
        "environment 'staging': services['web']: must be ServiceOverride(...) (or Sizing(...)), got dict",
        "environment 'prod': services['api']: also in sizing; give all of its values in one ServiceOverride",
    ]


def test_main_prints_the_line_and_exits_1_without_a_traceback(on_path: Path) -> None:
    write_shop(on_path, SHOP.replace("Sizing(desired_count=1)", "Sizing(ports=())"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{on_path}:{ROOT}", "INTERNAL_API_SYSTEM": "acme.shop"},
        capture_output=True,
        text=True,
        cwd=on_path,
    )
    assert (done.returncode, done.stdout) == (USER_ERROR, "")
    assert done.stderr == (
        "error: system 'acme.shop': importing it failed: ServiceOverride(ports=...): 'ports' is part of the call graph, the same in "
        "every environment (names, ports and calls are set once, on the Service) (shop.py, line 15)\n"
    )


# --- what environments cannot share (issue 20, findings 1 and 6) -------------------------------

SHARED_VPC = ExistingNetwork(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=("subnet-0123456789abcdef0",))
TWO = Topology(services=(Service(name="web", calls=("api",)), Service(name="api", ports=(Port(name="api", container_port=80),))))


def _system(settings: Settings, *environments: Environment) -> System:
    return System(module="m", topology=TWO, settings=settings, environments=environments)


def test_two_environments_creating_one_private_namespace_in_one_vpc_are_refused() -> None:
    system = _system(Settings(), Environment(name="staging", existing=SHARED_VPC), Environment(name="prod", existing=SHARED_VPC))
    assert environment_problems(system) == [
        "environment 'prod': namespace: environment 'staging' also creates the private DNS namespace 'ServiceConnectNS' in "
        "vpc-0123456789abcdef0; Route 53 refuses a second zone of that name in one VPC (ConflictingDomainExists) "
        "(give each environment its own namespace (Environment(namespace=...)))"
    ]
    fixed = _system(
        Settings(),
        Environment(name="staging", existing=SHARED_VPC),
        Environment(name="prod", existing=SHARED_VPC, namespace="prod.internal"),
    )
    assert environment_problems(fixed) == []
    staging, prod = deployments(fixed)
    assert (staging.settings.network.namespace, prod.settings.network.namespace) == ("ServiceConnectNS", "prod.internal")


def test_two_environments_reading_one_namespace_would_register_the_same_discovery_names() -> None:
    reads = replace(SHARED_VPC, use_existing_namespace=True)
    system = _system(
        Settings(),
        Environment(name="staging", account_id="111111111111", existing=reads),
        Environment(name="prod", account_id="111111111111", existing=reads),
    )
    assert environment_problems(system) == [
        "environment 'prod': namespace: 'ServiceConnectNS' is also environment 'staging''s, so both register the discovery names "
        "api in it; ECS requires a discoveryName to be unique in a namespace (give each environment its own namespace (Environment(namespace=...)))"
    ]


def test_two_http_namespaces_of_one_name_in_one_account_and_region_are_refused() -> None:
    http = Settings(network=replace(Settings().network, namespace_type="http"))
    system = _system(http, Environment(name="staging"), Environment(name="prod"))
    assert environment_problems(system) == [
        "environment 'prod': namespace: environment 'staging' also creates the HTTP namespace 'ServiceConnectNS' in ap-northeast-1 "
        "(account_id is not set on both, so possibly one account); Cloud Map refuses a second of that name in one account and region "
        "(NamespaceAlreadyExists) (give each environment its own namespace (Environment(namespace=...)))"
    ]
    apart = _system(http, Environment(name="staging", account_id="111111111111"), Environment(name="prod", account_id="222222222222"))
    assert environment_problems(apart) == []


def test_one_cluster_for_two_environments_is_refused() -> None:
    system = _system(Settings(), Environment(name="staging", cluster_name="Shared"), Environment(name="prod", cluster_name="Shared"))
    assert environment_problems(system) == [
        "environment 'prod': cluster_name: 'Shared' is also environment 'staging''s cluster in ap-northeast-1 (account_id is not set "
        "on both, so possibly one account); ECS service names are unique in a cluster (give each environment its own cluster_name)"
    ]


# --- endpoints as references ----------------------------------------------------------------------


def _web(value: str | Endpoint, *, calls: tuple[str, ...] = ("api",), port: int = 8081) -> Topology:
    return Topology(
        services=(
            Service(name="web", calls=calls, environment=(("API_URL", value),)),
            Service(name="api", ports=(Port(name="api", container_port=port),)),
            Service(name="db", ports=(Port(name="db", container_port=5432, protocol="tcp"),)),
        )
    )


def test_an_endpoint_reference_resolves_to_the_servers_endpoint(synthesize: object) -> None:
    from topology.endpoints import resolved_environment

    topology = _web(Endpoint(server="api"))
    assert validate(topology, Settings()) == []
    assert resolved_environment(topology.service("web"), topology, "ServiceConnectNS") == [("API_URL", "http://api.serviceconnectns:8081")]
    tcp = _web(Endpoint(server="db"), calls=("db",))
    assert resolved_environment(tcp.service("web"), tcp, "prod.internal") == [("API_URL", "db.prod.internal:5432")]


def test_a_stale_literal_endpoint_is_its_line() -> None:
    assert validate(_web("http://api.serviceconnectns:8080"), Settings()) == [
        "service 'web': environment: API_URL: 'http://api.serviceconnectns:8080' names port 8080 of api.serviceconnectns, but 'api' "
        "serves it as http://api.serviceconnectns:8081 (write Endpoint(server='api') to follow the declaration)"
    ]
    assert validate(_web("http://api.serviceconnectns:8081/v1"), Settings()) == []


def test_a_literal_or_reference_to_a_server_not_called_is_its_line() -> None:
    assert validate(_web("db.serviceconnectns:5432"), Settings()) == [
        "service 'web': environment: API_URL: 'db.serviceconnectns:5432' names db.serviceconnectns, the endpoint of 'db', which 'web' "
        "does not call (add 'db' to its calls, or write Endpoint(server=...) of a server it calls)"
    ]
    assert validate(_web(Endpoint(server="db")), Settings()) == [
        "service 'web': environment: API_URL: Endpoint(server='db') is not a server 'web' calls (calls: api)"
    ]
    assert validate(_web(Endpoint(server="api", port="admin")), Settings()) == [
        "service 'web': environment: API_URL: Endpoint(server='api'): 'api' has no port 'admin' (port=..., one of: api)"
    ]


def test_a_literal_of_another_environments_namespace_is_its_line() -> None:
    topology = _web("http://api.serviceconnectns:8081")
    system = System(
        module="m",
        topology=topology,
        settings=Settings(),
        environments=(Environment(name="staging"), Environment(name="prod", namespace="prod.internal")),
    )
    assert environment_problems(system) == [
        "environment 'prod': service 'web': environment: API_URL: 'http://api.serviceconnectns:8081' names api.serviceconnectns, 'api' in "
        "environment 'staging''s namespace; here it is http://api.prod.internal:8081 (write Endpoint(server='api'))"
    ]
    following = replace(system, topology=_web(Endpoint(server="api")))
    assert environment_problems(following) == []
