"""examples/production.py (environment ``prod``) end to end against the local AWS emulator, as a user runs it.

One deployment for the whole module, through the same command as
``make deploy-local SYSTEM=examples.production ENV=prod``: the declaration names a database
group, secrets, a parameter, a key, a bucket and a queue that the project does not create,
and the command creates a stand-in for each first, saying so. Then: the apply order, what
reached the emulator, a release (a plan with a new image of ``api`` changes only api's task
definition and service), and ``destroy-local`` (which also removes the stand-ins) last.
Fails (never skips) when moto, terraform or the provider mirror is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import local
from emulator.server import KNOWN_GAPS, KNOWN_REPLACEMENTS
from examples import production

from .test_local_e2e import _first, _requests

SELECTION = ("--system", "examples.production", "--env", "prod")
STAND_INS = [
    "emulator: stand-in for sg-0f1e2d3c4b5a69788 (api egress postgres)",
    f"emulator: stand-in for {production.PROD_DB_SECRET} (api secret DB_PASSWORD)",
    f"emulator: stand-in for {production.PROD_DB_SECRET_KEY} (api secret DB_PASSWORD's key) "
    "(a key of another ID: moto cannot choose a key's ID; nothing in the emulator decrypts with it)",
    f"emulator: stand-in for {production.PROD_FLAGS_PARAMETER} (api secret FEATURE_FLAGS)",
    "emulator: stand-in for arn:aws:s3:::acme-internal-api-reports-prod (api permission Reports)",
    f"emulator: stand-in for {production.PROD_JOBS_QUEUE} (api permission Jobs)",
]


def _local(command: str, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.local", command, "--home", str(home), *SELECTION, *extra],
        cwd=local.ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=1200,
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, subprocess.CompletedProcess[str]]]:
    home = tmp_path_factory.mktemp("production-emulator")
    done = _local("deploy", home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield home, done
    if (home / "recording.jsonl").exists():  # the destroy test did not run or failed: clean up anyway
        _local("destroy", home)


def test_deploy_local_stands_in_for_what_exists_outside_and_says_so(deployed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    home, done = deployed
    assert [line for line in done.stderr.splitlines() if line.startswith("emulator: stand-in")] == STAND_INS
    text = "\n".join(_requests(home / "recording.jsonl"))
    assert "GroupName=sg-0f1e2d3c4b5a69788" in text  # moto resolves a group reference by ID, then by name
    assert '{"Key": "_custom_id_", "Value": "ZyXwVu"}' in text  # the secret's ARN suffix, so its ARN is the referenced one


def test_production_applies_servers_before_callers(deployed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    home, _ = deployed
    outputs = json.loads((home / "outputs.json").read_text(encoding="utf-8"))
    assert outputs["services-prod"]["endpoint_api"] == "http://api.serviceconnectns:8080"
    assert outputs["services-prod"]["endpoint_worker"] == "http://worker.serviceconnectns:80"
    assert outputs["services-prod"]["cluster_name"] == "ServiceConnect-prod"
    lines = _requests(home / "recording.jsonl")
    assert _first(lines, "CreateService", '"worker"') < _first(lines, "CreateService", '"api"') < _first(lines, "CreateService", '"web"')


def test_production_resources_reach_the_emulator(deployed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    home, _ = deployed
    text = "\n".join(_requests(home / "recording.jsonl"))
    assert "RegisterScalableTarget" in text and "PutScalingPolicy" in text
    assert "ECSServiceAverageMemoryUtilization" in text
    assert "PutScheduledAction" in text and "America/Los_Angeles" in text
    assert "PutClusterCapacityProviders" in text and "FARGATE_SPOT" in text
    assert '"cpuArchitecture":"ARM64"' in text and '"ephemeralStorage":{"sizeInGiB":30}' in text
    assert f"{production.PROD_DB_SECRET}:password::" in text and production.DB_SECRET not in text
    assert "IpPermissions.1.FromPort=5432" in text and "IpPermissions.1.Groups.1.GroupId=sg-0f1e2d3c4b5a69788" in text
    assert f'"image":"{production.PROD_NGINX}"' in text  # prod's image for web, the variable's default
    assert '"name":"API_URL","value":"http://api.serviceconnectns:8080"' in text  # Endpoint(server="api"), resolved
    assert '"logging":"OVERRIDE"' in text and '"cloudWatchLogGroupName":"/ecs/ServiceConnect-prod/exec-audit"' in text


def _changes(plan: dict[str, Any]) -> tuple[dict[str, set[str]], dict[str, list[list[str]]]]:
    """Per address: attributes changed in place; and each replaced resource's replace paths."""
    changed: dict[str, set[str]] = {}
    replaced: dict[str, list[list[str]]] = {}
    for change in plan["resource_changes"]:
        actions, before, after = change["change"]["actions"], change["change"]["before"], change["change"]["after"]
        if actions == ["update"]:
            changed[change["address"]] = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
        elif actions not in (["no-op"], ["read"]):
            assert actions == ["delete", "create"], f"{change['address']}: {actions}"
            replaced[change["address"]] = change["change"]["replace_paths"]
    return changed, replaced


def test_a_release_of_api_changes_only_apis_task_definition_and_service(
    deployed: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    home, _ = deployed
    done = _local("plan", home, "--plandir", str(tmp_path), "--var", "image_api=registry.example/api:v2")
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: the review blocks on web, see below
    network, services = (
        json.loads((tmp_path / f"{stack}.json").read_text(encoding="utf-8")) for stack in ("network-prod", "services-prod")
    )
    assert _changes(network) == ({}, {})
    changed, replaced = _changes(services)
    gaps = {attribute for _, attribute in KNOWN_GAPS}
    real = {address: attributes - gaps for address, attributes in changed.items() if attributes - gaps}
    assert real == {"aws_ecs_service.api_service_298EA376": {"task_definition"}}  # api alone is redeployed
    task = "aws_ecs_task_definition.api_task_EF517F7F"
    assert replaced.pop(task) == [["container_definitions"]]  # a new revision, as any image change
    (planned,) = [c for c in services["resource_changes"] if c["address"] == task]
    (container,) = json.loads(planned["change"]["after"]["container_definitions"])
    assert container["image"] == "registry.example/api:v2"
    # What remains is web's Fargate Spot share, which moto does not store (KNOWN_REPLACEMENTS), not the release.
    (address,) = replaced
    assert address.startswith("aws_ecs_service.web_service_")
    assert {("aws_ecs_service", path[0]) for path in replaced[address]} == KNOWN_REPLACEMENTS


def test_an_unknown_variable_is_one_line(deployed: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    home, _ = deployed
    done = _local("plan", home, "--plandir", str(tmp_path), "--var", "image_orders=x")
    assert (done.returncode, done.stderr.splitlines()[-1]) == (
        2,
        "error: VARS: 'image_orders' is not a variable of network-prod, services-prod (variables: image_api, image_web, image_worker)",
    )


def test_zz_destroy_local_removes_the_stand_ins(deployed: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    home, _ = deployed
    done = _local("destroy", home)
    assert done.returncode == 0, done.stderr[-3000:]
    removed = [
        line.removeprefix("emulator: removed the stand-in for ") for line in done.stderr.splitlines() if "removed the stand-in" in line
    ]
    assert removed == [line.removeprefix("emulator: stand-in for ").split(" (")[0] for line in STAND_INS]
    assert not (home / "stand-ins-prod.json").exists()
    assert not (home / "recording.jsonl").exists()  # nothing deployed any more: the account was forgotten
