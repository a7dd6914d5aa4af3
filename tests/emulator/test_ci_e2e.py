"""What the CI workflow runs (``make ci-plan`` / ``make ci-apply``), end to end against the emulator, chained on one
private copy of the production example's ``prod`` deployment (a system with two environments): a plan with a
change, that reviewed saved plan applied, a plan with no change, and the first plan refused as stale once applied.
The change is a release of ``api`` (a new image), and the first plan must change only api's task definition and
service: the release check that shares this chain's plan rather than planning the deployment once more.

Fails (never skips) when moto, terraform or the provider mirror is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from toolchain import reviewed

from ..deployments import Deploy
from .test_production_e2e import _changes, _local, _real

RELEASE = ("--var", "image_api=registry.example/api:v2")


@pytest.fixture(scope="module")
def home(deployed: Deploy, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return deployed("examples.production", "prod").copy(tmp_path_factory.mktemp("ci") / "home")


def _ci_plan(home: Path, plandir: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], int]:
    done = _local("plan", home, "--verdict", "--plandir", str(plandir), *extra)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, int((plandir / reviewed.VERDICT).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_plan_apply_replan_and_a_stale_plan(home: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    _, verdict = _ci_plan(home, first, *RELEASE)
    assert verdict == reviewed.CHANGES
    manifest = json.loads((first / reviewed.MANIFEST).read_text(encoding="utf-8"))
    assert sorted(manifest["plans"]) == ["network-prod", "services-prod"]
    assert manifest["read_outputs"]["network-prod"]  # what the services plan read of the network
    _assert_only_api_is_released(first)

    tampered = tmp_path / "tampered"
    shutil.copytree(first, tampered)
    (tampered / "services-prod.tfplan").write_bytes(b"not the reviewed plan")
    refused = _local("apply", home, "--plandir", str(tampered))
    assert (refused.returncode, refused.stderr.splitlines()[-1]) == (
        reviewed.BLOCKED,
        "refused: services-prod.tfplan is not the reviewed plan (its SHA-256 changed); nothing was applied",
    )

    applied = _local("apply", home, "--plandir", str(first))
    assert applied.returncode == 0, applied.stderr[-3000:]
    assert "Apply complete!" in applied.stdout

    _, verdict = _ci_plan(home, tmp_path / "again", *RELEASE)
    assert verdict == reviewed.NO_CHANGES, (tmp_path / "again" / "review.md").read_text(encoding="utf-8")

    stale = _local("apply", home, "--plandir", str(first))
    assert stale.returncode == reviewed.BLOCKED
    assert stale.stderr.splitlines()[-1].startswith("refused: Terraform says the network-prod plan is stale")


def _assert_only_api_is_released(plandir: Path) -> None:
    """A new image of ``api`` changes only api's task definition (a new revision) and service, nothing else."""
    network, services = (json.loads((plandir / f"{stack}.json").read_text(encoding="utf-8")) for stack in ("network-prod", "services-prod"))
    assert _changes(network) == ({}, {})
    changed, replaced = _changes(services)
    assert _real(changed) == {"aws_ecs_service.api_service_298EA376": {"task_definition"}}  # api alone is redeployed
    task = "aws_ecs_task_definition.api_task_EF517F7F"
    assert replaced.pop(task) == [["container_definitions"]]  # a new revision, as any image change
    assert replaced == {}  # nothing else: web keeps its Fargate Spot share (the emulator stores the strategy)
    (planned,) = [c for c in services["resource_changes"] if c["address"] == task]
    (container,) = json.loads(planned["change"]["after"]["container_definitions"])
    assert container["image"] == "registry.example/api:v2"
