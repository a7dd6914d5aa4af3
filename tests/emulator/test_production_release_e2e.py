"""A release of examples/production.py (environment ``prod``): a plan with a new image of ``api`` changes only api's
task definition and service.

It plans on the session's shared deployment of the production example (test_production_e2e.py reads the
same one), in a file of its own so that pytest-xdist runs it beside that file's tests instead of after them.
Fails (never skips) when moto, terraform or the provider mirror is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..deployments import Deploy, Deployed
from .test_production_e2e import _changes, _local, _real


@pytest.fixture(scope="module")
def prod(deployed: Deploy) -> Deployed:
    return deployed("examples.production", "prod")


def test_a_release_of_api_changes_only_apis_task_definition_and_service(prod: Deployed, tmp_path: Path) -> None:
    home = prod.copy(tmp_path / "home")  # plan re-synthesizes into its home: keep the shared one as deployed
    done = _local("plan", home, "--plandir", str(tmp_path / "plan"), "--var", "image_api=registry.example/api:v2")
    assert done.returncode in (0, 1), done.stderr[-3000:]
    network, services = (
        json.loads((tmp_path / "plan" / f"{stack}.json").read_text(encoding="utf-8")) for stack in ("network-prod", "services-prod")
    )
    assert _changes(network) == ({}, {})
    changed, replaced = _changes(services)
    assert _real(changed) == {"aws_ecs_service.api_service_298EA376": {"task_definition"}}  # api alone is redeployed
    task = "aws_ecs_task_definition.api_task_EF517F7F"
    assert replaced.pop(task) == [["container_definitions"]]  # a new revision, as any image change
    assert replaced == {}  # nothing else: web keeps its Fargate Spot share (the emulator stores the strategy)
    (planned,) = [c for c in services["resource_changes"] if c["address"] == task]
    (container,) = json.loads(planned["change"]["after"]["container_definitions"])
    assert container["image"] == "registry.example/api:v2"
