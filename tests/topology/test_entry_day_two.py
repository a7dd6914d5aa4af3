"""The front door on day two (issue 35): names and rule priorities that survive a second apply, and the names two environments would share."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from examples import NAMES, storefront
from stacks.entry import elb_name, target_group_name
from stacks.services import probe_command
from topology import Endpoint, Entry, Environment, ExistingLoadBalancer, Listener, Port, Route, Service, Settings, Topology, validate
from topology.endpoints import endpoint, resolved_environment
from topology.entry_rules import rule_priorities
from topology.system import System, deployments, environment_problems, load_system

from ..conftest import Synthesizer

LISTENER = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/edge/0123456789abcdef/0123456789abcdef"
EDGE_GROUP = "sg-0123456789abcdef0"


def test_a_port_change_renames_the_target_group() -> None:
    """Finding 1: the name carries a hash of what replaces the group, so create_before_destroy can make the new one first."""
    before = target_group_name(("acme", "shop", "web", "web"), ("8080", "HTTP", "HTTP1", "ip", "cidr 10.0.0.0/16"))
    after = target_group_name(("acme", "shop", "web", "web"), ("8081", "HTTP", "HTTP1", "ip", "cidr 10.0.0.0/16"))
    other_vpc = target_group_name(("acme", "shop", "web", "web"), ("8080", "HTTP", "HTTP1", "ip", "vpc-0123456789abcdef0"))
    assert len({before, after, other_vpc}) == 3
    assert before.startswith("acme-shop-web-web-") and len(before) <= 32


def test_two_services_on_one_port_get_two_names_when_the_base_is_cut() -> None:
    """A long project and entry fill the 25 characters: the hash must still tell web:8080 from api:8080.
    (Seen on the emulator: internal-api-prod-public-<hash> was the whole name, the service and port cut off.)"""
    replacing = ("8080", "HTTP", "HTTP1", "ip", "cidr 10.1.0.0/16")
    web = target_group_name(("internal-api-prod", "public", "web", "web"), replacing)
    api = target_group_name(("internal-api-prod", "public", "api", "api"), replacing)
    assert web.rsplit("-", 1)[0] == api.rsplit("-", 1)[0] == "internal-api-prod-public"
    assert web != api


def test_a_port_name_ending_in_a_separator_gives_no_trailing_hyphen() -> None:
    """Finding 5: ELB names may not end in a hyphen."""
    assert elb_name("acme", "shop", "web", "http_") == "acme-shop-web-http"
    assert elb_name("acme", "shop", "web", "http-") == "acme-shop-web-http"
    assert not target_group_name(("a" * 20, "shop", "web_"), ("8080",)).split("-")[-2].endswith("-")


def _entry(*routes: Route, first: int = 1) -> Entry:
    return Entry(
        name="edge", existing=ExistingLoadBalancer(listener_arn=LISTENER, security_group_id=EDGE_GROUP, first_priority=first), routes=routes
    )


def test_priorities_do_not_shift_when_routes_are_added_or_reordered() -> None:
    """Finding 3: a route's priority depends on the route alone."""
    api, admin = Route(service="web", path="/api/*"), Route(service="web", path="/api/admin/*")
    shop = Route(service="web", host="shop.example.com")
    one = rule_priorities(_entry(api, shop))
    two = rule_priorities(_entry(admin, shop, api))
    assert one[0] == two[2] and one[1] == two[1]
    assert two[0] < two[2]  # the longer literal prefix is more specific: matched first


def test_entries_sharing_a_listener_may_not_share_a_priority() -> None:
    web = Route(service="web", path="/shop/*")
    topology = replace(storefront.TOPOLOGY, entries=(_entry(web), replace(_entry(replace(web, path="/shop/*")), name="edge2")))
    lines = validate(topology, Settings())
    assert any("is also taken by entry 'edge'" in line and "PriorityInUse" not in line for line in lines), lines


def test_two_entries_claiming_one_host_are_caught() -> None:
    shop = storefront.TOPOLOGY.entries[0]
    topology = replace(storefront.TOPOLOGY, entries=(shop, replace(shop, name="shop2")))
    assert "entry 'shop2': routes[0]: host 'shop.example.com' and path None are also routed by entry 'shop'" in validate(
        topology, Settings()
    )


def _system(*environments: Environment, entries: tuple[Entry, ...] = ()) -> System:
    topology = replace(storefront.TOPOLOGY, entries=entries or storefront.TOPOLOGY.entries)
    return System(module="tests.day_two", topology=topology, settings=Settings(), environments=environments)


def test_two_environments_of_one_project_in_one_account_are_caught() -> None:
    """Finding 4: LB, target group and IAM role names would collide."""
    a = Environment(name="staging", account_id="123456789012", region="ap-northeast-1", project="shop")
    b = Environment(name="prod", account_id="123456789012", region="ap-northeast-1", project="shop")
    lines = environment_problems(_system(a, b))
    assert any(
        line.startswith("environment 'prod': project: 'shop' is also environment 'staging''s") and "load balancer" in line for line in lines
    ), lines
    other_region = replace(b, region="us-west-2")
    lines = environment_problems(_system(a, other_region))
    assert any("IAM role names" in line and "load balancer" not in line for line in lines), lines
    assert not any("project:" in line for line in environment_problems(_system(a, replace(b, project="shop-prod"))))


def test_environments_on_one_listener_may_not_share_a_priority() -> None:
    entry = _entry(Route(service="web", path="/shop/*"))
    a = Environment(name="staging", account_id="123456789012", region="ap-northeast-1")
    b = Environment(name="prod", account_id="123456789012", region="ap-northeast-1")
    lines = environment_problems(_system(a, b, entries=(entry,)))
    assert any(
        line.startswith("environment 'prod': entry 'edge'") and "is also taken by environment 'staging': entry 'edge'" in line
        for line in lines
    ), lines


def test_a_tls_policy_that_looks_right_but_does_not_exist_is_refused() -> None:
    shop = storefront.TOPOLOGY.entries[0]
    https = replace(shop.listeners[0], tls_policy="ELBSecurityPolicy-TLS13-1-2-2099-01")
    lines = validate(replace(storefront.TOPOLOGY, entries=(replace(shop, listeners=(https, shop.listeners[1])),)), Settings())
    assert any("tls_policy: 'ELBSecurityPolicy-TLS13-1-2-2099-01' is not an ELB TLS 1.3 policy" in line for line in lines), lines
    pq = replace(shop.listeners[0], tls_policy="ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09")
    assert validate(replace(storefront.TOPOLOGY, entries=(replace(shop, listeners=(pq, shop.listeners[1])),)), Settings()) == []


def test_an_existing_network_need_not_name_zones_of_its_region() -> None:
    """The default zones are ap-northeast-1's; in us-west-2 on an existing VPC they do not apply, so they are not checked."""
    from topology import ExistingNetwork, NetworkSettings

    existing = ExistingNetwork(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"))
    settings = Settings(region="us-west-2", network=NetworkSettings(existing=existing))
    assert not [line for line in validate(storefront.TOPOLOGY, settings) if "availability_zones" in line]
    own = Settings(region="us-west-2")
    assert any("availability_zones" in line for line in validate(storefront.TOPOLOGY, own))


def test_everyone_on_an_internal_entry_is_an_error_unless_intended() -> None:
    from topology import warnings

    shop = storefront.TOPOLOGY.entries[0]
    internal = replace(shop, internet_facing=False, allowed_sources=("10.0.0.0/8", "0.0.0.0/0"), listeners=shop.listeners[:1])
    lines = validate(replace(storefront.TOPOLOGY, entries=(internal,)), Settings())
    assert (
        "entry 'shop': allowed_sources[1]: '0.0.0.0/0' on an internal entry admits the whole VPC and everything peered "
        "or VPN-connected to it; name the sources, or set everyone_intended=True"
    ) in lines
    intended = replace(storefront.TOPOLOGY, entries=(replace(internal, everyone_intended=True),))
    assert validate(intended, Settings()) == []
    assert any(
        line.startswith("entry 'shop': internal, and admits 0.0.0.0/0 (everyone_intended=True)") for line in warnings(intended, Settings())
    )


GRPC = Port(name="catalog-grpc", container_port=50051, protocol="grpc", discovery_name="catalog")


def test_a_grpc_endpoint_is_a_grpc_target_uri() -> None:
    """The new-user trial: an Endpoint to a gRPC server gave ``http://``; gRPC channels take ``dns:///host:port``."""
    assert endpoint(GRPC, "ServiceConnectNS") == "dns:///catalog.serviceconnectns:50051"
    assert endpoint(replace(GRPC, protocol="http2"), "ServiceConnectNS") == "http://catalog.serviceconnectns:50051"
    assert endpoint(replace(GRPC, protocol="tcp"), "ServiceConnectNS") == "catalog.serviceconnectns:50051"
    topology = Topology(
        services=(
            Service(name="catalog", ports=(GRPC,)),
            Service(name="orders", calls=("catalog",), environment=(("CATALOG", Endpoint(server="catalog")),)),
        )
    )
    assert resolved_environment(topology.service("orders"), topology, "ServiceConnectNS") == [
        ("CATALOG", "dns:///catalog.serviceconnectns:50051")
    ]
    # curl, the ECS Exec check, speaks no dns:/// URI: it dials the same host and port over HTTP/2
    assert probe_command(GRPC, "ServiceConnectNS") == "curl -sS --http2-prior-knowledge http://catalog.serviceconnectns:50051"


def _grpc_entry(health_path: str) -> Topology:
    catalog = Service(name="catalog", ports=(replace(GRPC, health_path=health_path),))
    https = Listener(protocol="HTTPS", certificate_arn=storefront.CERTIFICATE)
    entry = Entry(name="api", listeners=(https,), routes=(Route(service="catalog", host="api.example.com"),))
    return Topology(services=(catalog,), entries=(entry,))


def test_a_grpc_target_group_checks_health_with_a_grpc_method(synthesize: Synthesizer) -> None:
    """ELBv2: a GRPC target group's health check path is a method, /package.service/method (AWS's default
    /AWS.ALB/healthcheck); '/' is the HTTP default, so it becomes AWS's, and the matcher takes gRPC codes."""
    synth = synthesize(_grpc_entry("/"), Settings())
    (group,) = synth.resources("services", "aws_lb_target_group").values()
    assert (group["protocol_version"], group["health_check"]["path"], group["health_check"]["matcher"]) == (
        "GRPC",
        "/AWS.ALB/healthcheck",
        "0-99",
    )
    assert validate(_grpc_entry("/grpc.health.v1.Health/Check"), Settings()) == []
    assert validate(_grpc_entry("/healthz"), Settings()) == [
        "service 'catalog': ports[0].health_path: '/healthz' must be a gRPC method, /package.service/method "
        "(a grpc port's health check calls one; '/' means AWS's /AWS.ALB/healthcheck)"
    ]


MUTABLE_TAGS = re.compile(r":(latest|stable|mainline)$|^[^:@]+$")
"""A tag that moves by design (or none, which means :latest)."""


@pytest.mark.parametrize("name", [name for name in NAMES if name != "article"])
def test_the_examples_name_images_that_cannot_move(name: str) -> None:
    """Finding 6: a new task pulls its image again, so a mutable tag can start another image on any deployment.

    The examples pin an immutable tag (an ECR repository with tag immutability) or a digest; the article keeps
    the article's own ``:latest`` (it reproduces the article)."""
    images = {
        (str(resolved.environment), service.name): service.image
        for resolved in deployments(load_system(f"examples.{name}"))
        for service in resolved.topology.services
    }
    assert images  # every example declares services
    assert {where: image for where, image in images.items() if MUTABLE_TAGS.search(image.split("/")[-1])} == {}
