"""The front door's declaration: every bad input is one exact line naming the entry, the field and what is allowed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from examples import storefront
from topology import (
    Entry,
    ExistingLoadBalancer,
    ExistingNetwork,
    Listener,
    NetworkSettings,
    Port,
    Route,
    Service,
    Settings,
    Topology,
    validate,
)
from topology.entry import EVERYONE

CERT = "arn:aws:acm:ap-northeast-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
WEB = Service(name="web", ports=(Port(name="web", container_port=8080),), calls=("db",))
DB = Service(name="db", ports=(Port(name="db", container_port=5432, protocol="tcp"),))
CLIENT = Service(name="client", calls=("web",))
HTTPS = Listener(certificate_arn=CERT)
GOOD = Entry(name="shop", listeners=(HTTPS,), routes=(Route(service="web", host="shop.example.com"),))


def problems(entry: Entry, settings: Settings | None = None) -> list[str]:
    return validate(Topology(services=(WEB, DB, CLIENT), entries=(entry,)), settings or Settings())


def test_the_storefront_and_a_minimal_entry_are_valid() -> None:
    assert validate(storefront.TOPOLOGY, Settings()) == []
    assert problems(GOOD) == []


def test_an_internet_facing_entry_admits_everyone_unless_told() -> None:
    assert GOOD.sources == EVERYONE == ("0.0.0.0/0", "::/0")
    assert replace(GOOD, allowed_sources=("pl-0123456789abcdef0",)).sources == ("pl-0123456789abcdef0",)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(
            replace(GOOD, routes=(Route(service="shop"),)),
            "entry 'shop': routes[0].service: 'shop' is not a declared service (declared: client, db, web)",
            id="route-to-undeclared-service",
        ),
        pytest.param(
            replace(GOOD, routes=(Route(service="client"),)),
            "entry 'shop': routes[0].service: 'client' serves no port (give it ports=... to route to it)",
            id="route-to-service-serving-nothing",
        ),
        pytest.param(
            replace(GOOD, routes=(Route(service="web", port="admin"),)),
            "entry 'shop': routes[0].port: 'admin' is not a port of 'web'; name one of: web",
            id="route-to-unknown-port",
        ),
        pytest.param(
            replace(GOOD, routes=(Route(service="db"),)),
            "entry 'shop': routes[0].port: 'db' of 'db' is tcp; an Application Load Balancer routes http, http2 or grpc ports only "
            "(Network Load Balancers are not supported)",
            id="tcp-port-on-an-alb",
        ),
        pytest.param(
            replace(GOOD, listeners=(Listener(),)),
            "entry 'shop': listeners[0].certificate_arn: HTTPS needs an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
            id="https-without-certificate",
        ),
        pytest.param(
            replace(GOOD, listeners=(HTTPS, Listener(protocol="HTTP"))),
            "entry 'shop': listeners[1]: plain HTTP that forwards on an internet-facing entry; set redirect_to_https=True (or internet_facing=False)",
            id="forwarding-http-on-internet-facing",
        ),
        pytest.param(
            replace(GOOD, allowed_sources=("10.0.0.0/33",)),
            "entry 'shop': allowed_sources[0]: '10.0.0.0/33' is not a CIDR (like '203.0.113.0/24' or '2001:db8::/32') or a prefix list ID "
            "(like 'pl-0123456789abcdef0')",
            id="invalid-cidr",
        ),
        pytest.param(
            replace(
                GOOD, routes=(Route(service="web", host="a.example.com", path="/x"), Route(service="web", host="a.example.com", path="/x"))
            ),
            "entry 'shop': routes[1]: host 'a.example.com' and path '/x' already routed by routes[0]",
            id="duplicate-host-and-path",
        ),
        pytest.param(
            replace(GOOD, routes=(Route(service="web"), Route(service="web"))),
            "entry 'shop': routes[1]: the default route (no host, no path) already routed by routes[0]",
            id="two-default-routes",
        ),
        pytest.param(
            replace(GOOD, listeners=(Listener(certificate_arn=CERT, tls_policy="ELBSecurityPolicy-2016-08"),)),
            "entry 'shop': listeners[0].tls_policy: 'ELBSecurityPolicy-2016-08' is not an ELB TLS 1.3 policy with a TLS 1.2 or 1.3 minimum "
            "(like 'ELBSecurityPolicy-TLS13-1-2-2021-06'; every accepted name: topology.entry.TLS_POLICIES)",
            id="old-tls-policy",
        ),
        pytest.param(
            replace(GOOD, internet_facing=False),
            "entry 'shop': allowed_sources: an internal entry must name who may connect (CIDRs or prefix list IDs like 'pl-0123456789abcdef0')",
            id="internal-without-sources",
        ),
        pytest.param(
            replace(GOOD, listeners=(Listener(protocol="HTTP", redirect_to_https=True),)),
            "entry 'shop': listeners[0].redirect_to_https: the entry has no HTTPS listener to redirect to",
            id="redirect-without-https",
        ),
        pytest.param(
            replace(GOOD, listeners=()),
            "entry 'shop': listeners: declare at least one Listener(...) (or attach to an existing one with existing=...)",
            id="no-listener",
        ),
        pytest.param(
            replace(GOOD, name="internal-shop"),
            "entry 'internal-shop': name: 'internal-shop' must not begin with 'internal-' (a load balancer's name may not)",
            id="internal-prefix",
        ),
        pytest.param(
            replace(GOOD, idle_timeout_seconds=0),
            "entry 'shop': idle_timeout_seconds: 0 must be between 1 and 4000",
            id="idle-timeout",
        ),
        pytest.param(
            replace(
                GOOD,
                listeners=(),
                existing=ExistingLoadBalancer(
                    listener_arn="arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/edge/0123456789abcdef/0123456789abcdef",
                    security_group_id="sg-0123456789abcdef0",
                ),
                routes=(Route(service="web"),),
            ),
            "entry 'shop': routes[0]: give a host and/or path (the existing listener's default action is its owner's)",
            id="existing-listener-default-route",
        ),
        pytest.param(
            replace(
                GOOD, listeners=(HTTPS,), existing=ExistingLoadBalancer(listener_arn="arn:nope", security_group_id="sg-0123456789abcdef0")
            ),
            "entry 'shop': existing.listener_arn: 'arn:nope' must be an Application Load Balancer listener ARN "
            "(arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<id>)",
            id="existing-listener-arn",
        ),
    ],
)
def test_each_bad_entry_is_one_line(entry: Entry, expected: str) -> None:
    assert expected in problems(entry)


def test_an_existing_load_balancer_owns_its_listeners() -> None:
    existing = ExistingLoadBalancer(
        listener_arn="arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/edge/0123456789abcdef/0123456789abcdef",
        security_group_id="sg-0123456789abcdef0",
    )
    assert problems(replace(GOOD, listeners=(), existing=existing)) == []
    assert problems(replace(GOOD, existing=existing)) == [
        "entry 'shop': listeners: the load balancer belongs to another team (existing=...), so this cannot be set here"
    ]


def test_an_existing_network_needs_public_subnets_for_an_internet_facing_entry() -> None:
    existing = ExistingNetwork(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=("subnet-0123456789abcdef0",))
    settings = Settings(network=NetworkSettings(existing=existing))
    assert problems(GOOD, settings) == [
        "entry 'shop': internet_facing: the network is an existing VPC and names no public subnets "
        "(set network.existing.public_subnet_ids, or internet_facing=False)"
    ]
    with_public = replace(existing, public_subnet_ids=("subnet-0aaaaaaaaaaaaaaa0", "subnet-0bbbbbbbbbbbbbbb0"))
    assert problems(GOOD, Settings(network=NetworkSettings(existing=with_public))) == []


def test_one_zone_is_too_few_for_a_load_balancer() -> None:
    settings = Settings(network=NetworkSettings(availability_zones=("ap-northeast-1a",)))
    assert problems(GOOD, settings) == [
        "entry 'shop': an Application Load Balancer needs subnets in at least two availability zones (settings: network.availability_zones has 1)"
    ]


def test_entries_of_the_wrong_type_are_one_line() -> None:
    assert validate(Topology(services=(WEB, DB), entries=[GOOD]), Settings()) == [  # type: ignore[arg-type]
        "topology: entries: must be a tuple of Entry(...), got list"
    ]
    assert validate(Topology(services=(WEB, DB), entries=(replace(GOOD, routes=Route(service="web")),)), Settings()) == [  # type: ignore[arg-type]
        "entry 'shop': routes: must be a tuple of Route(...), got Route(...)"
    ]


def test_a_health_path_must_be_a_path() -> None:
    web = replace(WEB, ports=(replace(WEB.ports[0], health_path="healthz"),))
    assert validate(Topology(services=(web, DB), entries=(GOOD,)), Settings()) == [
        "service 'web': ports[0].health_path: 'healthz' must start with '/' (at most 128 characters)"
    ]


def test_at_most_five_target_groups_per_service() -> None:
    ports = tuple(Port(name=f"p{index}", container_port=8000 + index) for index in range(6))
    web = replace(WEB, ports=ports)
    entry = replace(GOOD, routes=tuple(Route(service="web", port=port.name, path=f"/{port.name}/*") for port in ports))
    assert validate(Topology(services=(web, DB), entries=(entry,)), Settings()) == [
        "service 'web': entries route to it through 6 target groups (one per entry and port); ECS attaches at most 5 to a service"
    ]
