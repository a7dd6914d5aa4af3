"""Call edges and the deploy order that follows from them."""

from __future__ import annotations

import pytest

from examples import article, chain, fanin_grpc
from topology import Port, Service, Topology, call_edges, callers_of, deploy_order, find_cycle


def test_article_order_puts_the_server_first() -> None:
    assert deploy_order(article.TOPOLOGY) == ["internal-nginx", "client-nginx"]


def test_chain_deploys_backwards_along_the_calls() -> None:
    assert call_edges(chain.TOPOLOGY) == [("web", "api"), ("api", "worker")]
    assert deploy_order(chain.TOPOLOGY) == ["worker", "api", "web"]


def test_fan_in_keeps_declaration_order_among_ready_services() -> None:
    assert deploy_order(fanin_grpc.TOPOLOGY) == ["catalog", "orders", "billing"]
    assert callers_of(fanin_grpc.TOPOLOGY, "catalog") == ["orders", "billing"]


def test_order_waits_for_every_server_of_a_caller() -> None:
    a = Service(name="a", ports=(Port(name="a", container_port=80),))
    b = Service(name="b", ports=(Port(name="b", container_port=80),), calls=("a",))
    top = Service(name="top", calls=("b", "a"))
    assert deploy_order(Topology(services=(top, b, a))) == ["a", "b", "top"]


def test_find_cycle_returns_the_loop() -> None:
    assert find_cycle(["x", "y", "z"], [("x", "y"), ("y", "z"), ("z", "y")]) == ["y", "z", "y"]
    assert find_cycle(["x", "y"], [("x", "y")]) is None


def test_deploy_order_refuses_a_cycle() -> None:
    a = Service(name="a", ports=(Port(name="a", container_port=80),), calls=("b",))
    b = Service(name="b", ports=(Port(name="b", container_port=80),), calls=("a",))
    with pytest.raises(ValueError, match="call cycle: a -> b -> a"):
        deploy_order(Topology(services=(a, b)))
