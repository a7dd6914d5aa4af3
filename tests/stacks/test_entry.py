"""Entries other than the storefront's: rules on another team's listener, an internal entry, an existing network."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from examples import storefront
from proof.verify import Config, from_topology, verify
from stacks.entry import elb_name
from topology import Entry, ExistingLoadBalancer, ExistingNetwork, NetworkSettings, Route, Settings, Topology

from ..conftest import Synthesizer

LISTENER = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/edge/0123456789abcdef/0123456789abcdef"
EDGE_GROUP = "sg-0123456789abcdef0"


def _strip(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "//"}


def test_long_names_are_cut_to_32_characters_deterministically() -> None:
    assert elb_name("internal-api", "shop", "web", "web") == "internal-api-shop-web-web"
    assert elb_name("acme", "shop", "web", "http_main") == "acme-shop-web-http-main"
    whole = "a-twenty-char-projec-storefront-recommendations-http"
    digest = hashlib.sha256(whole.encode()).hexdigest()[:6]
    assert elb_name("a-twenty-char-projec", "storefront", "recommendations", "http") == f"a-twenty-char-projec-stor-{digest}"
    assert len(f"a-twenty-char-projec-stor-{digest}") == 32


def test_rules_on_an_existing_listener(synthesize: Synthesizer) -> None:
    entry = Entry(
        name="edge",
        existing=ExistingLoadBalancer(listener_arn=LISTENER, security_group_id=EDGE_GROUP, first_priority=100),
        routes=(Route(service="web", path="/shop/*"),),
    )
    topology = replace(storefront.TOPOLOGY, entries=(entry,))
    synth = synthesize(topology, Settings())
    services = synth.stack("services")["resource"]
    assert "aws_lb" not in services and "aws_lb_listener" not in services
    (rule,) = services["aws_lb_listener_rule"].values()
    (group,) = services["aws_lb_target_group"]
    # No host (rank 2 of 131 path ranks each), a pattern with a 6-character literal prefix: band 2*131 + 1 + 128 - 6.
    band = (2 * 131 + 1 + 128 - 6) * 10
    assert 100 + band <= rule["priority"] < 100 + band + 10
    assert _strip(rule) == {
        "action": [{"target_group_arn": f"${{aws_lb_target_group.{group}.arn}}", "type": "forward"}],
        "condition": [{"path_pattern": {"values": ["/shop/*"]}}],
        "listener_arn": LISTENER,
        "priority": rule["priority"],
        "tags": {"Entry": "edge", "Service": "web"},
    }
    admitted = [b for b in services["aws_vpc_security_group_ingress_rule"].values() if b.get("referenced_security_group_id") == EDGE_GROUP]
    assert [(b["from_port"], b["description"]) for b in admitted] == [(8080, "Entry edge -> web:web")]
    config = Config({name: synth.stack(name) for name in ("network", "services")})
    assert [str(v) for v in verify(config, from_topology(topology))] == []


def test_an_internal_entry_sits_in_the_private_subnets_and_admits_its_sources(synthesize: Synthesizer) -> None:
    shop = storefront.TOPOLOGY.entries[0]
    entry = replace(shop, internet_facing=False, allowed_sources=("10.0.0.0/8", "pl-0123456789abcdef0"), listeners=shop.listeners[:1])
    topology = replace(storefront.TOPOLOGY, entries=(entry,))
    synth = synthesize(topology, Settings())
    services = synth.stack("services")["resource"]
    (balancer,) = services["aws_lb"].values()
    assert balancer["internal"] is True
    assert all("aws_subnetprivate_" in subnet for subnet in balancer["subnets"])
    (group,) = [name for name, body in services["aws_security_group"].items() if body["name"] == "internal-api-entry-shop"]
    into = [
        b
        for b in services["aws_vpc_security_group_ingress_rule"].values()
        if b["security_group_id"] == f"${{aws_security_group.{group}.id}}"
    ]
    assert sorted((b["from_port"], b.get("cidr_ipv4", ""), b.get("prefix_list_id", "")) for b in into) == [
        (443, "", "pl-0123456789abcdef0"),
        (443, "10.0.0.0/8", ""),
    ]
    config = Config({name: synth.stack(name) for name in ("network", "services")})
    assert [str(v) for v in verify(config, from_topology(topology))] == []


def test_an_existing_network_puts_the_load_balancer_in_its_named_public_subnets(synthesize: Synthesizer) -> None:
    existing = ExistingNetwork(
        vpc_id="vpc-0123456789abcdef0",
        private_subnet_ids=("subnet-0aaaaaaaaaaaaaaa0", "subnet-0bbbbbbbbbbbbbbb0"),
        public_subnet_ids=("subnet-0ccccccccccccccc0", "subnet-0ddddddddddddddd0"),
    )
    settings = Settings(network=NetworkSettings(existing=existing))
    synth = synthesize(storefront.TOPOLOGY, settings)
    (balancer,) = synth.stack("services")["resource"]["aws_lb"].values()
    assert balancer["subnets"] == ["subnet-0ccccccccccccccc0", "subnet-0ddddddddddddddd0"]
    assert synth.stack("network")["output"]["public_subnet_ids"]["value"] == ["subnet-0ccccccccccccccc0", "subnet-0ddddddddddddddd0"]
    assert Topology(services=storefront.TOPOLOGY.services).entries == ()


def test_a_web_acl_is_associated_with_the_load_balancer(synthesize: Synthesizer) -> None:
    acl = "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/shop/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    topology = replace(storefront.TOPOLOGY, entries=(replace(storefront.TOPOLOGY.entries[0], web_acl_arn=acl),))
    synth = synthesize(topology, Settings())
    services = synth.stack("services")["resource"]
    (balancer,) = services["aws_lb"]
    (association,) = services["aws_wafv2_web_acl_association"].values()
    assert _strip(association) == {"resource_arn": f"${{aws_lb.{balancer}.arn}}", "web_acl_arn": acl}
    config = Config({name: synth.stack(name) for name in ("network", "services")})
    assert [str(v) for v in verify(config, from_topology(topology))] == []
