"""Stacks beside the network/services pairs (issue 33, item 2): read with their environment's pair, excluded with a
reason, or a finding.

The system is examples/production.py (staging and prod, two accounts), synthesized once; each case copies its
synth output and writes one more stack folder beside the pairs, as a team's own cdktf stack or hand-written
Terraform would land there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from proof.verify.cli import main

from .conftest import SystemModule

RULE = {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "security_group_id": "${var.group}"}
"""An ingress rule whose group cannot be traced: it may open any service of the environment it is read with."""
LOG_GROUP = {"aws_cloudwatch_log_group": {"audit": {"name": "audit", "retention_in_days": 400}}}


@pytest.fixture
def outdir(production: Path) -> Path:
    return production


@pytest.fixture
def excluding(system_module: SystemModule) -> str:
    """examples.production with ``ops`` excluded: a system module of its own."""
    return system_module(
        "team_beside",
        "from examples.production import ENVIRONMENTS, TOPOLOGY\n"
        "from topology import ExcludedStack, Settings\n"
        'SETTINGS = Settings(excluded_stacks=(ExcludedStack(stack="ops", reason="dashboards only; no network path"),))\n',
    )


def _stack(outdir: Path, name: str, resources: dict[str, Any], **extra: Any) -> None:
    folder = outdir / "stacks" / name
    folder.mkdir(parents=True)
    body = {"terraform": {"backend": {"local": {"path": f"../../../state/{name}.tfstate"}}}, "resource": resources, **extra}
    (folder / "cdk.tf.json").write_text(json.dumps(body), encoding="utf-8")


def _reads(environment: str) -> dict[str, Any]:
    """A ``terraform_remote_state`` of that environment's network stack, as cdktf writes it."""
    config = {"path": f"../../../state/network-{environment}.tfstate"}
    return {"data": {"terraform_remote_state": {"net": {"backend": "local", "config": config}}}}


def _verify(
    outdir: Path, capsys: pytest.CaptureFixture[str], *args: str, system: str = "examples.production"
) -> tuple[int, list[str], str]:
    code = main([str(outdir), "--system", system, *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_harmless_stack_beside_the_pair_is_read_with_its_environment(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(outdir, "dashboards-prod", LOG_GROUP)
    code, out, err = _verify(outdir, capsys)
    assert (code, out) == (0, [])
    assert "network-prod, services-prod, dashboards-prod: ok" in err
    assert "network-staging, services-staging: ok" in err


def test_a_harmful_stack_beside_the_pair_fails_its_environment_only(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(outdir, "rules-prod", {"aws_vpc_security_group_ingress_rule": {"ssh": RULE}})
    code, out, err = _verify(outdir, capsys)
    assert code == 1
    assert out and all("rules-prod:aws_vpc_security_group_ingress_rule.ssh" in line for line in out), out
    assert {line.split("'")[1] for line in out} == {"web", "api", "worker"}
    assert "network-staging, services-staging: ok" in err
    code, out, _ = _verify(outdir, capsys, "--env", "staging")
    assert (code, out) == (0, [])


def test_a_stack_is_placed_by_the_state_it_reads(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(outdir, "ops", {"aws_vpc_security_group_ingress_rule": {"ssh": RULE}}, **_reads("staging"))
    code, out, err = _verify(outdir, capsys)
    assert code == 1 and out and all(line.endswith("it may open this service") and "ops:" in line for line in out), out
    assert "network-staging, services-staging, ops: FAILED" in err
    assert "network-prod, services-prod: ok" in err


def test_a_stack_that_cannot_be_placed_is_a_finding(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(outdir, "ops", LOG_GROUP)
    code, out, _ = _verify(outdir, capsys, "--env", "prod")
    assert code == 1
    assert out == [
        "service '*': ops: reads-everything: cannot prove: stack ops is beside the network/services stacks and belongs to no "
        "environment (end its name in -staging, -prod, read one environment's state, or exclude it with a reason: "
        "Settings.excluded_stacks)"
    ]


def test_an_excluded_stack_is_not_read_and_its_reason_is_printed(outdir: Path, capsys: pytest.CaptureFixture[str], excluding: str) -> None:
    _stack(outdir, "ops", {"aws_vpc_security_group_ingress_rule": {"ssh": RULE}})
    code, out, _ = _verify(outdir, capsys, system=excluding)
    assert (code, out) == (0, ["excluded: stack ops: dashboards only; no network path"] * 2)


def test_a_system_of_one_environment_reads_every_stack_beside_its_pair(article: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(article, "team", LOG_GROUP)
    assert _verify(article, capsys, system="examples.article")[:2] == (0, [])
    _stack(article, "more", {"aws_vpc_security_group_ingress_rule": {"ssh": RULE}})
    code, out, err = _verify(article, capsys, system="examples.article")
    assert code == 1 and {line.split(": ")[1] for line in out} == {"more:aws_vpc_security_group_ingress_rule.ssh"}
    assert "network, services, more, team: FAILED" in err


@pytest.fixture
def article(article_synth: Any, tmp_path: Path) -> Path:
    copy = tmp_path / "article"
    shutil.copytree(article_synth.outdir, copy)
    return copy


def test_a_declared_exclusion_is_one_line_when_malformed() -> None:
    from topology import ExcludedStack, Settings, validate
    from topology.model import Port, Service, Topology

    topology = Topology(services=(Service(name="api", ports=(Port(name="api", container_port=80),)),))
    assert validate(topology, Settings(excluded_stacks=(ExcludedStack(stack="ops", reason="dashboards"),))) == []
    assert validate(topology, Settings(excluded_stacks=(ExcludedStack(stack="a b", reason=" "),))) == [
        "settings: excluded_stacks[0]: 'a b' needs a stack name (letters, digits, '-', '_') and a reason"
    ]


@pytest.mark.parametrize(("name", "reads"), [("rules-staging", ["prod"]), ("ops", ["staging", "prod"])])
def test_a_stack_that_reads_another_environments_state_than_its_own_fails(
    outdir: Path, capsys: pytest.CaptureFixture[str], name: str, reads: list[str]
) -> None:
    """Named for staging but reading prod's state, it would be judged with staging's pair and miss what it does to prod."""
    data = {f"net_{e}": {"backend": "local", "config": {"path": f"../../../state/network-{e}.tfstate"}} for e in reads}
    _stack(outdir, name, LOG_GROUP, data={"terraform_remote_state": data})
    code, out, _ = _verify(outdir, capsys, "--env", "prod")
    assert code == 1
    assert len(out) == 1 and out[0].startswith(f"service '*': {name}: reads-everything: cannot prove: stack {name} reads the state of ")
