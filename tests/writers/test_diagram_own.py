"""The team's own resources in the diagrams: each drawn beside the services, an arrow per grant named by its access."""

from __future__ import annotations

import re

from examples import ledger
from topology import OwnResource, Service, Settings, Topology
from writers import diagram

GRANTS = [
    ("api", "send", "orders"),
    ("api", "write", "receipts"),
    ("api", "read", "payment_key"),
    ("worker", "receive", "orders"),
    ("worker", "read", "receipts"),
    ("worker", "connect", "orders_db"),
]
"""examples/ledger.py's grants, by service (the node IDs spell a dash as an underscore)."""


def test_each_grant_is_an_arrow_from_the_service_labelled_with_its_access() -> None:
    drawn = diagram.mermaid(ledger.TOPOLOGY, ledger.SETTINGS)
    edges = re.findall(r'^  svc_(\w+) -- "(\w+)" --> own_(\w+)$', drawn, re.M)
    assert sorted(edges) == sorted([*GRANTS, ("worker", "write", "ledger")])
    assert '    own_orders[("SQS queue orders")]' in drawn
    assert '    own_ledger[("DynamoDB table ledger")]' in drawn


def test_the_svg_source_draws_the_same_arrows() -> None:
    source = diagram.dot(ledger.TOPOLOGY, ledger.SETTINGS)
    edges = re.findall(r'^  svc_(\w+) -> own_(\w+) \[label="(\w+)"', source, re.M)
    assert sorted((service, access, resource) for service, resource, access in edges) == sorted([*GRANTS, ("worker", "write", "ledger")])
    assert 'own_receipts [label="S3 bucket receipts", shape=cylinder' in source


def test_a_kind_the_writer_does_not_know_is_drawn_with_its_kind_name() -> None:
    cache = OwnResource(name="sessions", kind="cache")  # type: ignore[arg-type]  # a kind added later
    topology = Topology(resources=(cache,), services=(Service(name="web"),))
    assert '    own_sessions[("cache sessions")]' in diagram.mermaid(topology, Settings())


def test_without_resources_nothing_is_drawn_for_them() -> None:
    drawn = diagram.mermaid(Topology(services=(Service(name="web"),)), Settings())
    assert "own" not in drawn
