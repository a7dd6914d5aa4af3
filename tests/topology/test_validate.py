"""Every validation rule, with the exact line a user sees."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from examples import article, chain, fanin_grpc
from topology import NetworkSettings, Port, S3State, Service, Settings, Tls, Topology, TopologyError, check, validate

SERVER = Service(name="api", ports=(Port(name="api", container_port=80),))
CLIENT = Service(name="web", calls=("api",))


def problems(*services: Service, settings: Settings | None = None) -> list[str]:
    return validate(Topology(services=services), settings or Settings())


def with_port(**changes: Any) -> Service:
    return replace(SERVER, ports=(replace(SERVER.ports[0], **changes),))


@pytest.mark.parametrize("topology", [article.TOPOLOGY, chain.TOPOLOGY, fanin_grpc.TOPOLOGY], ids=["article", "chain", "fanin_grpc"])
def test_examples_are_valid(topology: Topology) -> None:
    assert validate(topology, Settings()) == []


def test_the_minimal_pair_is_valid() -> None:
    assert problems(SERVER, CLIENT) == []


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        pytest.param(
            (with_port(name="Bad_Name"), CLIENT),
            "service 'api': ports[0].name: 'Bad_Name' must be 1-64 characters of lowercase letters, digits, '-' or '_', not starting with '-'",
            id="port-name-uppercase",
        ),
        pytest.param(
            (with_port(name="-api"), CLIENT),
            "service 'api': ports[0].name: '-api' must be 1-64 characters of lowercase letters, digits, '-' or '_', not starting with '-'",
            id="port-name-leading-hyphen",
        ),
        pytest.param(
            (with_port(name="a" * 65), CLIENT),
            f"service 'api': ports[0].name: '{'a' * 65}' must be 1-64 characters of lowercase letters, digits, '-' or '_', not starting with '-'",
            id="port-name-too-long",
        ),
        pytest.param(
            (with_port(discovery_name="api.v1"), CLIENT),
            "service 'api': ports[0].discovery_name: 'api.v1' must be 1-64 characters of lowercase letters, digits, '-' or '_', not starting with '-'",
            id="discovery-name",
        ),
        pytest.param(
            (with_port(dns_name="api-.internal"), CLIENT),
            "service 'api': ports[0].dns_name: 'api-.internal' must be dot-separated DNS labels (1-63 lowercase letters, digits or '-', not starting or ending with '-'), at most 127 characters",
            id="dns-label-trailing-hyphen",
        ),
        pytest.param(
            (with_port(container_port=0), CLIENT),
            "service 'api': ports[0].container_port: 0 must be between 1 and 65535",
            id="container-port-zero",
        ),
        pytest.param(
            (with_port(client_port=70000), CLIENT),
            "service 'api': ports[0].client_port: 70000 must be between 1 and 65535",
            id="client-port-too-big",
        ),
        pytest.param(
            (with_port(ingress_port_override=-1), CLIENT),
            "service 'api': ports[0].ingress_port_override: -1 must be between 1 and 65535",
            id="ingress-port-negative",
        ),
        pytest.param(
            (with_port(protocol="tcp", per_request_timeout_seconds=10), CLIENT),
            "service 'api': ports[0].per_request_timeout_seconds: not allowed on a 'tcp' port (only http, http2, grpc)",
            id="per-request-timeout-on-tcp",
        ),
        pytest.param(
            (with_port(idle_timeout_seconds=-5), CLIENT),
            "service 'api': ports[0].idle_timeout_seconds: -5 must be 0 (disabled) or more",
            id="negative-idle-timeout",
        ),
        pytest.param(
            (with_port(tls=Tls(ca_arn="")), CLIENT),
            "service 'api': ports[0].tls.ca_arn: '' must be an AWS Private CA ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>)",
            id="tls-without-ca",
        ),
        pytest.param(
            (with_port(protocol="udp"), CLIENT),
            "service 'api': ports[0].protocol: 'udp' must be one of 'http', 'http2', 'grpc', 'tcp'",
            id="unknown-protocol",
        ),
        pytest.param(
            (replace(SERVER, cpu=256, memory=4096), CLIENT),
            "service 'api': memory: 4096 MiB does not fit cpu 256 on Fargate (allowed: 512-2048 MiB in steps of 512)",
            id="fargate-memory",
        ),
        pytest.param(
            (replace(SERVER, cpu=300), CLIENT),
            "service 'api': cpu: 300 is not a Fargate size (one of 256, 512, 1024, 2048, 4096, 8192, 16384)",
            id="fargate-cpu",
        ),
        pytest.param(
            (SERVER, replace(CLIENT, calls=("db",))),
            "service 'web': calls[0]: 'db' is not a declared service (declared: api, web)",
            id="call-undeclared",
        ),
        pytest.param(
            (SERVER, CLIENT, Service(name="cron", calls=("web",))),
            "service 'cron': calls[0]: 'web' serves no port (give it ports=... to make it a server)",
            id="call-non-server",
        ),
        pytest.param(
            (SERVER, replace(CLIENT, calls=("api", "api"))),
            "service 'web': calls[1]: 'api' is listed twice",
            id="call-twice",
        ),
        pytest.param(
            (SERVER, SERVER),
            "service 'api': name: declared more than once (service names must be unique)",
            id="duplicate-service",
        ),
        pytest.param(
            (SERVER, Service(name="api2", ports=(Port(name="other", container_port=80, discovery_name="api"),))),
            "service 'api2': ports[0].discovery_name: 'api' is already used by service 'api' (discovery names are unique in the namespace)",
            id="duplicate-discovery-name",
        ),
        pytest.param(
            (
                with_port(dns_name="shared.internal"),
                Service(name="b", ports=(Port(name="b", container_port=80, dns_name="shared.internal"),)),
            ),
            "service 'b': ports[0].dns_name: 'shared.internal' is already used by service 'api' (aliases are unique in the namespace)",
            id="duplicate-alias",
        ),
        pytest.param(
            (Service(name="Api", ports=(Port(name="api", container_port=80),)),),
            "service 'Api': name: must be 1-32 characters of lowercase letters, digits or '-', not starting or ending with '-'",
            id="service-name",
        ),
        pytest.param(
            (replace(SERVER, ports=(*SERVER.ports, Port(name="admin", container_port=80))),),
            "service 'api': ports[1].container_port: 80 is mapped twice in this service",
            id="container-port-twice",
        ),
        pytest.param(
            (replace(SERVER, ports=(*SERVER.ports, Port(name="admin", container_port=81, ingress_port_override=80))),),
            "service 'api': ports[1].ingress_port_override: ingress port 80 is already used by another port of this service",
            id="ingress-port-twice",
        ),
        pytest.param(
            (replace(SERVER, environment=(("A-B", "1"),)),),
            "service 'api': environment: 'A-B' is not a valid variable name",
            id="env-name",
        ),
        pytest.param(
            (replace(SERVER, desired_count=-1),),
            "service 'api': desired_count: -1 must be 0 or more",
            id="desired-count",
        ),
        pytest.param(
            (),
            "topology: services: declare at least one service",
            id="empty",
        ),
    ],
)
def test_rule(services: tuple[Service, ...], expected: str) -> None:
    assert problems(*services) == [expected]


def test_call_cycle_is_named() -> None:
    a = Service(name="a", ports=(Port(name="a", container_port=80),), calls=("b",))
    b = Service(name="b", ports=(Port(name="b", container_port=80),), calls=("c",))
    c = Service(name="c", ports=(Port(name="c", container_port=80),), calls=("a",))
    assert problems(a, b, c) == [
        "service 'a': calls: call cycle a -> b -> c -> a: "
        "refused because Service Connect writes a task's /etc/hosts names for the servers it calls when the task starts, "
        "so a server must run before its callers, and in a cycle one side would start without the other's name; "
        "instead, make one direction asynchronous (a queue or topic both reach through their egress), "
        "or merge the services, or move what both need into a third service that both call"
    ]


def test_self_call_is_a_cycle() -> None:
    assert problems(replace(SERVER, calls=("api",))) == [
        "service 'api': calls: call cycle api -> api: "
        "refused because Service Connect writes a task's /etc/hosts names for the servers it calls when the task starts, "
        "so a server must run before its callers, and in a cycle one side would start without the other's name; "
        "instead, make one direction asynchronous (a queue or topic both reach through their egress), "
        "or merge the services, or move what both need into a third service that both call"
    ]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (Settings(region="tokyo"), "settings: region: 'tokyo' is not an AWS region name (like 'ap-northeast-1')"),
        (
            Settings(log_retention_days=10),
            "settings: log_retention_days: 10 is not accepted by CloudWatch Logs (one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)",
        ),
        (
            Settings(network=NetworkSettings(cidr="10.0.0.0/8")),
            "settings: network.cidr: '10.0.0.0/8' must have a prefix between /16 and /24 (subnets are 1/16 of it)",
        ),
        (
            Settings(network=NetworkSettings(cidr="10.0.0.1/16")),
            "settings: network.cidr: '10.0.0.1/16' is not an IPv4 network like '10.0.0.0/16'",
        ),
        (
            Settings(network=NetworkSettings(availability_zones=())),
            "settings: network.availability_zones: 0 zones given; 1 to 6 are supported",
        ),
        (
            Settings(region="us-east-1"),
            "settings: network.availability_zones: 'ap-northeast-1a', 'ap-northeast-1c' not in region 'us-east-1' (name zones like 'us-east-1a')",
        ),
        (
            Settings(network=NetworkSettings(cluster_name="my cluster")),
            "settings: network.cluster_name: 'my cluster' must be 1-255 letters, digits, '-' or '_'",
        ),
        (
            Settings(network=NetworkSettings(namespace="bad_ns")),
            "settings: network.namespace: 'bad_ns' must be dot-separated DNS labels (1-63 lowercase letters, digits or '-', not starting or ending with '-'), at most 127 characters",
        ),
        (
            Settings(project="Internal"),
            "settings: project: 'Internal' must be 1-20 characters of lowercase letters, digits or '-', starting with a letter",
        ),
        (Settings(state=S3State(bucket="", region="ap-northeast-1")), "settings: state.bucket: must name an S3 bucket"),
    ],
    ids=[
        "region",
        "retention",
        "cidr-prefix",
        "cidr-host-bits",
        "no-zones",
        "zone-of-other-region",
        "cluster-name",
        "namespace",
        "project",
        "state-bucket",
    ],
)
def test_settings_rule(settings: Settings, expected: str) -> None:
    assert problems(SERVER, CLIENT, settings=settings) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    lines = problems(with_port(name="Bad", container_port=0), replace(CLIENT, calls=("nope",)))
    assert len(lines) == 3
    assert all("\n" not in line for line in lines)


def test_check_raises_with_the_lines() -> None:
    with pytest.raises(TopologyError) as caught:
        check(Topology(services=(replace(CLIENT, calls=("db",)),)), Settings())
    assert caught.value.lines == ["service 'web': calls[0]: 'db' is not a declared service (declared: web)"]


def test_a_valid_pca_arn_passes() -> None:
    arn = "arn:aws:acm-pca:ap-northeast-1:123456789012:certificate-authority/0a1b2c3d-aaaa-bbbb-cccc-123456789abc"
    assert problems(with_port(tls=Tls(ca_arn=arn)), CLIENT) == []
