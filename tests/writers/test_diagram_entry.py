"""The storefront's drawing: the entry with its listeners and routes, and the only arrow from the internet goes to it."""

from __future__ import annotations

from dataclasses import replace

from syrupy.assertion import SnapshotAssertion

from examples import chain, storefront
from topology import ExistingLoadBalancer, ExistingNetwork, NetworkSettings, Settings, Topology
from writers import diagram


def test_the_entry_is_drawn_with_its_listeners_and_routes() -> None:
    text = diagram.mermaid(storefront.TOPOLOGY, Settings())
    assert '      entry_shop["Entry shop: internet-facing ALB<br/>HTTPS 443, HTTP 80 (redirect)<br/>from 0.0.0.0/0, ::/0"]' in text
    assert '  entry_shop -- "shop.example.com -> web:8080" --> svc_web' in text
    assert 'subgraph sg_svc_web["SG web: tcp/8080<br/>from entry shop only"]' in text
    assert 'subgraph sg_svc_orders["SG orders: tcp/8080<br/>from web only"]' in text


def test_the_only_arrow_from_the_internet_goes_to_the_entry() -> None:
    lines = diagram.mermaid(storefront.TOPOLOGY, Settings()).splitlines()
    from_internet = [line.strip() for line in lines if line.strip().startswith("internet ")]
    assert from_internet == [
        'internet -- "HTTPS 443, HTTP 80 (redirect)" --> entry_shop',
        'internet -. "no other ingress: no public IP, no CIDR rule" .-x cluster',
    ]
    dot = diagram.dot(storefront.TOPOLOGY, Settings())
    arrows = sorted(line.strip().split(" [")[0] for line in dot.splitlines() if line.strip().startswith("internet ->"))
    assert arrows == ["internet -> blocked", "internet -> entry_shop"]
    assert '  entry_shop -> svc_web [label="shop.example.com -> web:8080", color="#1565c0"];' in dot


def test_without_an_entry_nothing_is_drawn_in_front() -> None:
    text = diagram.mermaid(chain.TOPOLOGY, Settings())
    assert "entry_" not in text and ".-x cluster" in text and diagram.NO_INGRESS in text
    internal = replace(
        storefront.TOPOLOGY.entries[0],
        internet_facing=False,
        allowed_sources=("10.0.0.0/8",),
        listeners=storefront.TOPOLOGY.entries[0].listeners[:1],
    )
    drawn = diagram.mermaid(Topology(services=storefront.TOPOLOGY.services, entries=(internal,)), Settings())
    assert "internet -- " not in drawn
    assert '      entry_shop["Entry shop: internal ALB<br/>HTTPS 443<br/>from 10.0.0.0/8"]' in drawn


EXISTING = ExistingNetwork(
    vpc_id="vpc-0123456789abcdef0",
    private_subnet_ids=("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
    public_subnet_ids=("subnet-0123456789abcdef2", "subnet-0123456789abcdef3"),
)


def test_an_existing_network_is_drawn_as_existing(snapshot: SnapshotAssertion) -> None:
    """Issue 35: the drawing showed a VPC, subnets and NAT gateways that the system does not create."""
    settings = Settings(network=NetworkSettings(existing=EXISTING))
    drawn = diagram.mermaid(storefront.TOPOLOGY, settings)
    assert "NAT gateway" not in drawn
    assert 'subgraph vpc["existing VPC vpc-0123456789abcdef0, ap-northeast-1<br/>(not created here)"]' in drawn
    assert "subnet-0123456789abcdef2" in drawn and "10.0." not in drawn
    assert "  style vpc stroke-dasharray: 5 5" in drawn
    assert "NAT gateway" not in diagram.dot(storefront.TOPOLOGY, settings)
    assert drawn == snapshot


def test_another_teams_load_balancer_is_drawn_dashed_as_existing() -> None:
    """Issue 35: an entry on an existing listener is drawn as what the system does not create, as an existing VPC is."""
    partner = replace(
        storefront.TOPOLOGY.entries[0],
        name="partner",
        listeners=(),
        routes=(replace(storefront.TOPOLOGY.entries[0].routes[0], host=None, path="/partner/*"),),
        existing=ExistingLoadBalancer(
            listener_arn="arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/edge/0123456789abcdef/0123456789abcdef",
            security_group_id="sg-0123456789abcdef0",
        ),
    )
    topology = replace(storefront.TOPOLOGY, entries=(*storefront.TOPOLOGY.entries, partner))
    drawn = diagram.mermaid(topology, Settings())
    assert (
        '    entry_partner["Entry partner<br/>rules on an existing listener<br/>(another team\'s load balancer, not created here)"]'
        in drawn
    )
    assert [line for line in drawn.splitlines() if "stroke-dasharray" in line] == ["  style entry_partner stroke-dasharray: 5 5"]
    dot = diagram.dot(topology, Settings())
    (node,) = [line for line in dot.splitlines() if line.strip().startswith("entry_partner [")]
    assert node.endswith('style="rounded,filled,dashed"];')
    (own,) = [line for line in dot.splitlines() if line.strip().startswith("entry_shop [")]
    assert "dashed" not in own
