"""A guarded resource (``Guarded``, topology/extras.py; stacks/extras.py; proof/verify/guarded.py): the group and the
exact rules written for each ``.connect`` grant, an existing group named by its ID, and the proof, which accepts the
declared admissions and finds every other way into the group."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from examples import ledger
from proof.verify import Config, from_topology, load, verify
from topology import Guarded, Service, Settings, Topology, validate

from ..conftest import Synthesizer
from ..tfjson import Synth

SETTINGS = Settings(project="ledger")
DB = "own_orders-db"
EXISTING = Guarded(name="orders-db", port=5432, group_id="sg-0123456789abcdef0")


def _with_existing_group(topology: Topology) -> Topology:
    """The ledger with its database group named (an existing group) instead of written."""
    resources = tuple(EXISTING if r == ledger.ORDERS_DB else r for r in topology.resources)
    services = tuple(
        dataclasses.replace(s, grants=tuple(EXISTING.connect if g == ledger.ORDERS_DB.connect else g for g in s.grants))
        for s in topology.services
    )
    return dataclasses.replace(topology, resources=resources, services=services)


NAMED = _with_existing_group(ledger.TOPOLOGY)


@pytest.fixture(scope="module")
def ledger_synth(synthesize: Synthesizer) -> Synth:
    return synthesize(ledger.TOPOLOGY, SETTINGS)


@pytest.fixture(scope="module")
def named_synth(synthesize: Synthesizer) -> Synth:
    return synthesize(NAMED, SETTINGS)


def _resources(synth: Synth, rtype: str) -> dict[str, Any]:
    found: dict[str, Any] = synth.stack("services")["resource"].get(rtype, {})
    return found


def _group(synth: Synth, service: str) -> str:
    name, _ = synth.by_path("services", "aws_security_group", f"{service}_sg/group")
    return name


def _bare(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "//"}


def test_the_group_is_written_in_the_vpc_with_no_inline_rules(ledger_synth: Synth) -> None:
    group = _bare(_resources(ledger_synth, "aws_security_group")[DB])
    vpc = _bare(_resources(ledger_synth, "aws_security_group")[_group(ledger_synth, "worker")])["vpc_id"]
    assert group == {
        "name": "ledger-orders-db",
        "description": "orders-db: ingress only from the services granted orders-db.connect",
        "vpc_id": vpc,
        "revoke_rules_on_delete": True,
        "tags": {"Name": "ledger-orders-db"},
    }
    assert vpc.startswith("${data.terraform_remote_state.cross-stack-reference-input-network.outputs."), vpc


def test_one_ingress_rule_admits_exactly_the_granted_service_on_its_port(ledger_synth: Synth) -> None:
    worker = f"${{aws_security_group.{_group(ledger_synth, 'worker')}.id}}"
    on_db = {n: _bare(b) for n, b in _resources(ledger_synth, "aws_vpc_security_group_ingress_rule").items() if DB in str(b)}
    assert on_db == {
        f"{DB}_from_worker": {
            "security_group_id": f"${{aws_security_group.{DB}.id}}",
            "referenced_security_group_id": worker,
            "description": "worker -> orders-db:5432",
            "ip_protocol": "tcp",
            "from_port": 5432,
            "to_port": 5432,
        }
    }
    _, egress = ledger_synth.by_path("services", "aws_vpc_security_group_egress_rule", f"worker_sg/to_{DB}")
    assert _bare(egress) == {
        "security_group_id": worker,
        "referenced_security_group_id": f"${{aws_security_group.{DB}.id}}",
        "description": "worker -> orders-db:5432",
        "ip_protocol": "tcp",
        "from_port": 5432,
        "to_port": 5432,
    }
    egress_to_db = [n for n, b in _resources(ledger_synth, "aws_vpc_security_group_egress_rule").items() if DB in str(b)]
    assert len(egress_to_db) == 1, egress_to_db  # api is not granted: no rule of its own to the database


def test_a_connect_grant_writes_no_iam_statement(synthesize: Synthesizer) -> None:
    db = Guarded(name="cache", port=6379)
    topology = Topology(resources=(db,), services=(Service(name="reader", grants=(db.connect,)),))
    synth = synthesize(topology, SETTINGS)
    policies = _resources(synth, "aws_iam_role_policy")
    assert not [body for body in policies.values() if body["//"]["metadata"]["path"].endswith("grants_policy")]
    assert "own_cache_from_reader" in _resources(synth, "aws_vpc_security_group_ingress_rule")


def test_a_named_group_gets_only_the_rules(named_synth: Synth) -> None:
    assert DB not in _resources(named_synth, "aws_security_group")
    rule = _resources(named_synth, "aws_vpc_security_group_ingress_rule")[f"{DB}_from_worker"]
    assert rule["security_group_id"] == "sg-0123456789abcdef0"
    _, egress = named_synth.by_path("services", "aws_vpc_security_group_egress_rule", f"worker_sg/to_{DB}")
    assert egress["referenced_security_group_id"] == "sg-0123456789abcdef0"


def test_the_handle_gives_the_group_for_the_teams_database(tmp_path: Path) -> None:
    from stacks.app import build_app

    services = build_app(ledger.TOPOLOGY, SETTINGS, outdir=str(tmp_path)).services[0]
    assert services.guarded["orders-db"].group_id == f"${{aws_security_group.{DB}.id}}"
    assert list(services.guarded["orders-db"].ingress) == ["worker"]
    named = build_app(NAMED, SETTINGS, outdir=str(tmp_path / "named")).services[0].guarded["orders-db"]
    assert (named.group_id, named.group) == ("sg-0123456789abcdef0", None)


def test_declaration_mistakes_are_one_line_each() -> None:
    db = Guarded(name="orders-db", port=70000, group_id="sg-nope")
    topology = Topology(resources=(db,), services=(Service(name="api", grants=(db.read,)),))
    assert validate(topology, Settings()) == [
        "resources[0] ('orders-db'): port: 70000 must be a TCP port, 1-65535",
        "resources[0] ('orders-db'): group_id: 'sg-nope' must be a security group ID like 'sg-0123456789abcdef0'",
        "service 'api': grants[0]: a guarded grants connect, not 'read'",
    ]


# -- the proof -------------------------------------------------------------------------------------------------


def _findings(synth: Synth, topology: Topology, edit: Callable[[dict[str, Any]], None] | None = None) -> list[str]:
    if edit is None:
        return [str(v) for v in verify(load([synth.outdir]), from_topology(topology))]
    stacks = {name: copy.deepcopy(synth.stack(name)) for name in ("network", "services")}
    edit(stacks["services"])
    return [str(v) for v in verify(Config(stacks), from_topology(topology))]


def _rule(**body: Any) -> Callable[[dict[str, Any]], None]:
    def edit(stack: dict[str, Any]) -> None:
        rule = {"security_group_id": f"${{aws_security_group.{DB}.id}}", "ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, **body}
        stack["resource"]["aws_vpc_security_group_ingress_rule"]["added"] = rule

    return edit


def test_the_proof_accepts_the_declared_admissions(ledger_synth: Synth, named_synth: Synth) -> None:
    assert _findings(ledger_synth, ledger.TOPOLOGY) == []
    assert _findings(named_synth, NAMED) == []  # the named group's rules are its own, not an untraced target


def test_the_proof_rejects_an_undeclared_admission(ledger_synth: Synth) -> None:
    api = _group(ledger_synth, "api")
    ecs, _ = ledger_synth.by_path("services", "aws_ecs_service", "api/service")
    found = _findings(ledger_synth, ledger.TOPOLOGY, _rule(referenced_security_group_id=f"${{aws_security_group.{api}.id}}"))
    assert found == [
        "service 'orders-db': services:aws_vpc_security_group_ingress_rule.added: guarded-admits-granted-only: ingress from "
        f"services:aws_security_group.{api} admits services:aws_ecs_service.{ecs} (service 'api', not granted orders-db.connect)"
    ]


def test_the_proof_rejects_a_cidr_a_prefix_list_and_an_inline_rule(ledger_synth: Synth) -> None:
    rule = "service 'orders-db': services:aws_vpc_security_group_ingress_rule.added: guarded-admits-granted-only"
    only = "(only the services granted orders-db.connect may reach it)"
    assert _findings(ledger_synth, ledger.TOPOLOGY, _rule(cidr_ipv4="0.0.0.0/0")) == [f"{rule}: ingress from cidr_ipv4 0.0.0.0/0 {only}"]
    assert _findings(ledger_synth, ledger.TOPOLOGY, _rule(prefix_list_id="pl-0123456789abcdef0")) == [
        f"{rule}: ingress from prefix_list_id pl-0123456789abcdef0 {only}"
    ]

    def inline(stack: dict[str, Any]) -> None:
        stack["resource"]["aws_security_group"][DB]["ingress"] = [
            {"cidr_blocks": ["10.0.0.0/8"], "protocol": "tcp", "from_port": 5432, "to_port": 5432}
        ]

    assert _findings(ledger_synth, ledger.TOPOLOGY, inline) == [
        f"service 'orders-db': services:aws_security_group.{DB}.ingress[0]: guarded-admits-granted-only: "
        f"ingress from cidr_blocks 10.0.0.0/8 {only}"
    ]


def test_the_proof_rejects_a_wider_port_for_the_granted_service(ledger_synth: Synth) -> None:
    def widen(stack: dict[str, Any]) -> None:
        stack["resource"]["aws_vpc_security_group_ingress_rule"][f"{DB}_from_worker"].update(ip_protocol="-1", from_port=-1, to_port=-1)

    assert _findings(ledger_synth, ledger.TOPOLOGY, widen) == [
        f"service 'orders-db': services:aws_vpc_security_group_ingress_rule.{DB}_from_worker: guarded-admits-granted-only: "
        "opens -1 -1--1; only tcp 5432 (its declared port)"
    ]  # the rule still admits worker's group: only its ports are wrong


def test_the_proof_judges_an_admitted_group_by_its_members(ledger_synth: Synth) -> None:
    """An instance that joins worker's group reaches the database through worker's admission: a finding there too."""
    worker = _group(ledger_synth, "worker")

    def join(stack: dict[str, Any]) -> None:
        stack["resource"]["aws_network_interface"] = {
            "side": {"subnet_id": "subnet-0123456789abcdef0", "security_groups": [f"${{aws_security_group.{worker}.id}}"]}
        }

    found = _findings(ledger_synth, ledger.TOPOLOGY, join)
    assert (
        f"service 'orders-db': services:aws_vpc_security_group_ingress_rule.{DB}_from_worker: guarded-admits-granted-only: "
        f"ingress from services:aws_security_group.{worker} admits services:aws_network_interface.side "
        "(an aws_network_interface, not an ECS service)"
    ) in found, found


def test_the_proof_finds_a_cidr_on_a_named_group(named_synth: Synth) -> None:
    def open_group(stack: dict[str, Any]) -> None:
        stack["resource"]["aws_vpc_security_group_ingress_rule"]["added"] = {
            "security_group_id": "sg-0123456789abcdef0",
            "cidr_ipv4": "0.0.0.0/0",
            "ip_protocol": "tcp",
            "from_port": 5432,
            "to_port": 5432,
        }

    assert _findings(named_synth, NAMED, open_group) == [
        "service 'orders-db': services:aws_vpc_security_group_ingress_rule.added: guarded-admits-granted-only: "
        "ingress from cidr_ipv4 0.0.0.0/0 (only the services granted orders-db.connect may reach it)"
    ]
